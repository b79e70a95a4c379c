"""The JSON log format: one parseable object per record, with the request id while a
request is answered."""

from __future__ import annotations

import json
import logging
import sys

from registrum.api.request_state import RequestState, current
from registrum.server.logs import JsonFormatter, TextFormatter, logging_config


def _record(message: str = "hello %s", *args: object, **extra: object) -> logging.LogRecord:
    record = logging.LogRecord("registrum.test", logging.WARNING, __file__, 1, message, args, None)
    record.__dict__.update(extra)
    return record


def test_a_record_is_one_json_line() -> None:
    line = JsonFormatter().format(_record("hello %s", "world"))
    assert "\n" not in line
    parsed = json.loads(line)
    assert parsed["message"] == "hello world"
    assert parsed["level"] == "warning"
    assert parsed["logger"] == "registrum.test"
    assert parsed["timestamp"].endswith("+00:00")
    assert "request_id" not in parsed


def test_records_during_a_request_carry_its_id_and_access_fields() -> None:
    token = current.set(RequestState("req-42"))
    try:
        access = {"method": "GET", "status": 200, "route": "/v0.1/ping"}
        parsed = json.loads(JsonFormatter().format(_record("x", access=access)))
        text = TextFormatter().format(_record("boom"))
    finally:
        current.reset(token)
    assert parsed["request_id"] == "req-42"
    assert parsed["status"] == 200
    assert parsed["route"] == "/v0.1/ping"
    assert text == "WARNING: boom [request req-42]"


def test_exceptions_stay_inside_the_line() -> None:
    try:
        raise RuntimeError("bad\nthing")
    except RuntimeError:
        record = logging.LogRecord(
            "registrum", logging.ERROR, __file__, 1, "failed", (), sys.exc_info()
        )
    line = JsonFormatter().format(record)
    assert "\n" not in line
    assert "RuntimeError: bad" in json.loads(line)["exception"]


def test_json_mode_configures_uvicorn_and_the_root_alike() -> None:
    config = logging_config("json", "info")
    assert config["root"]["handlers"] == ["stderr"]
    assert config["loggers"]["uvicorn"]["handlers"] == ["stderr"]
    assert config["formatters"]["json"]["()"].endswith("JsonFormatter")
    assert logging_config("text", "trace")["root"]["level"] == "DEBUG"
