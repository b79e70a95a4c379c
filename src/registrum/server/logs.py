"""Logging for ``registrum serve``: uvicorn's text lines (the default), or one JSON object per
line on stderr (``MCP_REGISTRY_LOG_FORMAT=json``) for log collectors.

In JSON mode every record is an object with ``timestamp`` (UTC, ISO 8601), ``level``,
``logger`` and ``message``; ``request_id`` when it was emitted while a request was answered;
``exception`` with the traceback when there is one. The access records
(``registrum.access``, one per request, written by ``api/observe.py``) add ``method``,
``route``, ``path``, ``query``, ``status``, ``duration_ms``, ``client``, ``subject`` and
``bytes``; uvicorn's own access log is then off, so a request is logged once.

The configuration is a ``logging.config.dictConfig`` dictionary handed to uvicorn, which
applies it in every worker process it starts, not only in the parent.
"""

from __future__ import annotations

import logging
import logging.config
from datetime import UTC, datetime
from typing import Any

import orjson
from uvicorn.config import LOGGING_CONFIG

from registrum.api.request_state import current_request_id


class JsonFormatter(logging.Formatter):
    """One JSON object per record, on one line."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "timestamp": datetime.fromtimestamp(record.created, UTC).isoformat(
                timespec="milliseconds"
            ),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        request_id = current_request_id()
        if request_id is not None:
            line["request_id"] = request_id
        access = getattr(record, "access", None)
        if isinstance(access, dict):
            line.update(access)
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        elif record.exc_text:
            line["exception"] = record.exc_text
        return orjson.dumps(line, default=str).decode()


class TextFormatter(logging.Formatter):
    """Today's ``LEVEL: message``, with the request's id when one is being answered."""

    def __init__(self) -> None:
        super().__init__("%(levelname)s: %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        text = super().format(record)
        request_id = current_request_id()
        return f"{text} [request {request_id}]" if request_id is not None else text


def logging_config(log_format: str, level: str) -> dict[str, Any]:
    """The dictConfig for the server's processes: uvicorn's own loggers as uvicorn sets them
    up (text) or in JSON, and the registry's records through the same stream."""
    level = "DEBUG" if level == "trace" else level.upper()
    if log_format == "json":
        return {
            "version": 1,
            "disable_existing_loggers": False,
            "formatters": {"json": {"()": f"{__name__}.JsonFormatter"}},
            "handlers": {
                "stderr": {
                    "class": "logging.StreamHandler",
                    "formatter": "json",
                    "stream": "ext://sys.stderr",
                }
            },
            "loggers": {
                "uvicorn": {"handlers": ["stderr"], "level": level, "propagate": False},
                "uvicorn.access": {"handlers": ["stderr"], "level": level, "propagate": False},
            },
            "root": {"handlers": ["stderr"], "level": level},
        }
    config: dict[str, Any] = {
        **LOGGING_CONFIG,
        "formatters": {
            **LOGGING_CONFIG["formatters"],
            "registrum": {"()": f"{__name__}.TextFormatter"},
        },
        "handlers": {
            **LOGGING_CONFIG["handlers"],
            "registrum": {
                "class": "logging.StreamHandler",
                "formatter": "registrum",
                "stream": "ext://sys.stderr",
            },
        },
    }
    config["root"] = {"handlers": ["registrum"], "level": level}
    return config


def configure(log_format: str, level: str) -> dict[str, Any]:
    """Set up logging in this process and return the same configuration for uvicorn (which
    applies it again in each worker)."""
    config = logging_config(log_format, level)
    logging.config.dictConfig(config)
    return config
