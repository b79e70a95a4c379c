"""Wire shapes: the official ServerResponse / ServerList envelopes around the stored body."""

from __future__ import annotations

import dataclasses
import json
from datetime import UTC, datetime
from typing import Any

import orjson
import pytest

from registrum.core import wire
from registrum.core.status import Status
from registrum.core.wire import (
    VersionView,
    dumps,
    official_meta,
    server_list_bytes,
    server_response,
    server_response_bytes,
    status_all_bytes,
    token_bytes,
)

CHANGED = datetime(2025, 3, 1, 10, 0, 0, tzinfo=UTC)
PUBLISHED = datetime(2025, 1, 2, 3, 4, 5, 678901, tzinfo=UTC)
UPDATED = datetime(2025, 3, 2, 0, 0, 0, tzinfo=UTC)

# Valid JSON, but spaced, ordered and escaped unlike anything orjson would produce.
ODD_BODY = (
    '{ "version" : "1.0.0",\n\t"name":"io.github.alice/weather" ,'
    ' "description":"caf\\u00e9 \\/ forecasts", "x":[1 ,2.50, 1e3],'
    ' "$schema": "' + wire.CURRENT_SCHEMA_URL + '" }'
)


def view(**changes: Any) -> VersionView:
    base = VersionView(
        server_id="srv-1",
        version_id="ver-1",
        name="io.github.alice/weather",
        version="1.0.0",
        body='{"name":"io.github.alice/weather","version":"1.0.0"}',
        status=Status.ACTIVE,
        status_message=None,
        status_changed_at=CHANGED,
        published_at=PUBLISHED,
        updated_at=UPDATED,
        is_latest=True,
    )
    return dataclasses.replace(base, **changes)


def test_official_meta_without_message() -> None:
    meta = official_meta(view())
    assert meta == {
        "status": "active",
        "statusChangedAt": CHANGED,
        "publishedAt": PUBLISHED,
        "updatedAt": UPDATED,
        "isLatest": True,
    }
    assert "statusMessage" not in meta


@pytest.mark.parametrize("message", ["use 2.0.0", ""])
def test_official_meta_with_message(message: str) -> None:
    meta = official_meta(view(status=Status.DEPRECATED, status_message=message, is_latest=False))
    assert meta["statusMessage"] == message
    assert meta["status"] == "deprecated"
    assert meta["isLatest"] is False
    assert list(meta) == [
        "status",
        "statusMessage",
        "statusChangedAt",
        "publishedAt",
        "updatedAt",
        "isLatest",
    ]


def test_server_response_bytes_shape() -> None:
    data = orjson.loads(server_response_bytes(view()))
    assert list(data) == ["server", "_meta"]
    assert data["server"] == {"name": "io.github.alice/weather", "version": "1.0.0"}
    assert set(data["_meta"]) == {wire.OFFICIAL_META, wire.REGISTRUM_META}
    assert wire.OFFICIAL_META == "io.modelcontextprotocol.registry/official"
    assert wire.REGISTRUM_META == "io.registrum/registry"
    official = data["_meta"][wire.OFFICIAL_META]
    assert official == {
        "status": "active",
        "statusChangedAt": "2025-03-01T10:00:00Z",
        "publishedAt": "2025-01-02T03:04:05.678901Z",
        "updatedAt": "2025-03-02T00:00:00Z",
        "isLatest": True,
    }
    assert data["_meta"][wire.REGISTRUM_META] == {
        "serverId": "srv-1",
        "versionId": "ver-1",
        "seq": 0,
    }


def test_previous_names_are_spliced_in_when_there_are_some() -> None:
    renamed = view(seq=7, previous_names_json='["io.github.alice/old","io.github.alice/older"]')
    meta = orjson.loads(server_response_bytes(renamed))["_meta"][wire.REGISTRUM_META]
    assert meta == {
        "serverId": "srv-1",
        "versionId": "ver-1",
        "seq": 7,
        "previousNames": ["io.github.alice/old", "io.github.alice/older"],
    }


def test_status_message_on_the_wire_only_when_set() -> None:
    without = orjson.loads(server_response_bytes(view()))
    assert "statusMessage" not in without["_meta"][wire.OFFICIAL_META]
    with_message = orjson.loads(
        server_response_bytes(view(status=Status.DELETED, status_message="gone"))
    )
    official = with_message["_meta"][wire.OFFICIAL_META]
    assert official["statusMessage"] == "gone"
    assert official["status"] == "deleted"


def test_body_is_spliced_verbatim() -> None:
    out = server_response_bytes(view(body=ODD_BODY))
    assert ODD_BODY.encode() in out
    assert out.startswith(b'{"server":' + ODD_BODY.encode() + b',"_meta":')
    # And the whole answer is still valid JSON with the body's values.
    data = json.loads(out)
    assert data["server"]["description"] == "café / forecasts"
    assert list(data["server"]) == ["version", "name", "description", "x", "$schema"]


def test_body_non_ascii_bytes_verbatim() -> None:
    body = '{"name":"io.github.alice/météo","emoji":"☀️"}'
    out = server_list_bytes([view(body=body)], None)
    assert body.encode() in out


def test_server_response_keeps_body_unparsed() -> None:
    envelope = server_response(view(body=ODD_BODY))
    assert isinstance(envelope["server"], orjson.Fragment)
    assert dumps(envelope["server"]) == ODD_BODY.encode()


@pytest.mark.parametrize(
    "when",
    [
        datetime(2025, 1, 1, tzinfo=UTC),
        datetime(2025, 1, 1),  # naive values are taken as UTC
        datetime(2025, 1, 1, 0, 0, 0, 1, tzinfo=UTC),
    ],
)
def test_timestamps_end_in_z(when: datetime) -> None:
    out = orjson.loads(
        server_response_bytes(view(status_changed_at=when, published_at=when, updated_at=when))
    )
    official = out["_meta"][wire.OFFICIAL_META]
    for key in ("statusChangedAt", "publishedAt", "updatedAt"):
        assert official[key].endswith("Z"), official[key]
        assert official[key].startswith("2025-01-01T00:00:00")
        parsed = datetime.fromisoformat(official[key])
        assert parsed == when.replace(tzinfo=UTC)


def test_list_without_cursor() -> None:
    views = [view(), view(version="2.0.0", version_id="ver-2", is_latest=False)]
    data = orjson.loads(server_list_bytes(views, None))
    assert list(data) == ["servers", "metadata"]
    assert data["metadata"] == {"count": 2}
    assert [s["_meta"][wire.REGISTRUM_META]["versionId"] for s in data["servers"]] == [
        "ver-1",
        "ver-2",
    ]
    assert [s["_meta"][wire.OFFICIAL_META]["isLatest"] for s in data["servers"]] == [True, False]


def test_list_empty_cursor_is_omitted() -> None:
    data = orjson.loads(server_list_bytes([view()], ""))
    assert "nextCursor" not in data["metadata"]


def test_list_with_cursor() -> None:
    data = orjson.loads(server_list_bytes([view()], "io.github.alice/weather:1.0.0"))
    assert data["metadata"] == {"nextCursor": "io.github.alice/weather:1.0.0", "count": 1}
    assert list(data["metadata"]) == ["nextCursor", "count"]


def test_empty_list() -> None:
    assert orjson.loads(server_list_bytes([], None)) == {"servers": [], "metadata": {"count": 0}}


def test_list_items_match_single_responses() -> None:
    views = [view(body=ODD_BODY), view(status=Status.DEPRECATED, status_message="m")]
    listed = server_list_bytes(views, None)
    for v in views:
        assert server_response_bytes(v) in listed


def test_status_all_bytes() -> None:
    data = orjson.loads(status_all_bytes(2, [view(), view(version_id="ver-2")]))
    assert list(data) == ["updatedCount", "servers"]
    assert data["updatedCount"] == 2
    assert len(data["servers"]) == 2
    assert data["servers"][1]["_meta"][wire.REGISTRUM_META]["versionId"] == "ver-2"


def test_token_bytes() -> None:
    assert orjson.loads(token_bytes("abc.def.ghi", 1_700_000_000)) == {
        "registry_token": "abc.def.ghi",
        "expires_at": 1_700_000_000,
    }


def test_dumps_is_compact() -> None:
    assert dumps({"a": [1, 2], "b": None}) == b'{"a":[1,2],"b":null}'


def test_previous_names_are_served_as_stored_and_parsed_on_demand() -> None:
    # A rename here stores them json.dumps-spaced: the served bytes keep that spelling.
    stored = '["io.github.alice/old", "io.github.alice/older"]'
    renamed = view(previous_names_json=stored)
    assert b'"previousNames":' + stored.encode() in server_response_bytes(renamed)
    assert renamed.previous_names == ("io.github.alice/old", "io.github.alice/older")
    assert view().previous_names == ()


def test_a_deleted_version_in_the_feed_is_a_tombstone() -> None:
    entry = dataclasses.make_dataclass(
        "Entry",
        ["seq", "kind", "at", "server_id", "version_id", "name", "version", "detail", "view"],
    )
    gone = entry(
        1,
        "status-changed",
        UPDATED,
        "srv-1",
        "ver-1",
        "n",
        "1.0.0",
        "{}",
        view(status=Status.DELETED),
    )
    kept = entry(2, "status-changed", UPDATED, "srv-1", "ver-1", "n", "1.0.0", "{}", view())
    assert wire.change_entry(gone)[wire.TOMBSTONE] is True
    assert wire.TOMBSTONE not in wire.change_entry(kept)
