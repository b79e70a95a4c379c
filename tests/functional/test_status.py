"""PATCH .../versions/{v}/status, PATCH .../status and DELETE .../versions/{v}: the official
status rules, and isLatest recomputed after each change."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import auth
from tests.factories import PREFIXES, assert_problem, enc, official, server_json, ts

NAME = "io.github.alice/weather"
NO_PERMISSION = "You do not have publish or edit permissions for this server"
ACTIVE_WITH_MESSAGE = "status_message cannot be provided when setting status to active"
NO_CHANGE_ONE = "No changes to apply: status and message are already set to the provided values"
NO_CHANGE_ALL = "No changes to apply: all versions already have the requested status and message"


@pytest.fixture
def alice(token):
    return token("publish:io.github.alice/*")


def _seed(publish: Any, *versions: str, name: str = NAME) -> None:
    for version in versions:
        r = publish(server_json(name=name, version=version))
        assert r.status_code == 200, r.text


def _patch_one(
    client: Any, prefix: str, jwt: str | None, version: str, body: Any, name: str = NAME
) -> Any:
    return client.patch(
        f"{prefix}/servers/{enc(name)}/versions/{enc(version)}/status",
        json=body,
        headers=auth(jwt) if jwt else {},
    )


def _patch_all(client: Any, prefix: str, jwt: str | None, body: Any, name: str = NAME) -> Any:
    return client.patch(
        f"{prefix}/servers/{enc(name)}/status", json=body, headers=auth(jwt) if jwt else {}
    )


def _get(client: Any, version: str, name: str = NAME) -> dict[str, Any]:
    r = client.get(
        f"/v0.1/servers/{enc(name)}/versions/{enc(version)}", params={"include_deleted": "true"}
    )
    assert r.status_code == 200, r.text
    body: dict[str, Any] = r.json()
    return body


def _all(client: Any, name: str = NAME) -> dict[str, dict[str, Any]]:
    r = client.get(f"/v0.1/servers/{enc(name)}/versions", params={"include_deleted": "true"})
    assert r.status_code == 200, r.text
    return {s["server"]["version"]: official(s) for s in r.json()["servers"]}


def _latest(client: Any, name: str = NAME) -> list[str]:
    return [v for v, meta in _all(client, name).items() if meta["isLatest"]]


# --- one version ----------------------------------------------------------------------------


@pytest.mark.parametrize("prefix", PREFIXES)
@pytest.mark.parametrize("status", ["deprecated", "deleted"])
def test_set_version_status_with_message(client, publish, alice, prefix, status):
    _seed(publish, "1.0.0", "2.0.0")
    before = official(_get(client, "1.0.0"))
    r = _patch_one(client, prefix, alice, "1.0.0", {"status": status, "statusMessage": "Use 2"})
    assert r.status_code == 200, r.text
    assert r.json()["server"]["version"] == "1.0.0"
    meta = official(r.json())
    assert meta["status"] == status
    assert meta["statusMessage"] == "Use 2"
    assert meta["publishedAt"] == before["publishedAt"]
    assert ts(meta["statusChangedAt"]) > ts(before["statusChangedAt"])
    assert ts(meta["updatedAt"]) > ts(before["updatedAt"])
    assert meta["updatedAt"] == meta["statusChangedAt"]
    assert official(_get(client, "1.0.0")) == meta
    # The other version is untouched.
    assert _all(client)["2.0.0"]["status"] == "active"


@pytest.mark.parametrize("prefix", PREFIXES)
@pytest.mark.parametrize(
    "grants",
    [
        ("publish:io.github.alice/*",),
        (f"publish:{NAME}",),
        ("edit:io.github.alice/*",),
        ("edit:*",),
        ("publish:io.github.bob/*", "edit:io.github.alice/weather"),
    ],
)
def test_publish_or_edit_permission_suffices(client, publish, token, prefix, grants):
    _seed(publish, "1.0.0")
    r = _patch_one(client, prefix, token(*grants), "1.0.0", {"status": "deprecated"})
    assert r.status_code == 200, r.text
    r = _patch_all(client, prefix, token(*grants), {"status": "active"})
    assert r.status_code == 200, r.text


@pytest.mark.parametrize("prefix", PREFIXES)
@pytest.mark.parametrize(
    "grants", [("publish:io.github.bob/*",), ("edit:io.github.alice/other",), ()]
)
def test_other_permissions_are_403(client, publish, token, prefix, grants):
    _seed(publish, "1.0.0")
    r = _patch_one(client, prefix, token(*grants), "1.0.0", {"status": "deleted"})
    assert_problem(r, 403, NO_PERMISSION)
    r = _patch_all(client, prefix, token(*grants), {"status": "deleted"})
    assert_problem(r, 403, NO_PERMISSION)
    r = client.delete(f"{prefix}/servers/{enc(NAME)}/versions/1.0.0", headers=auth(token(*grants)))
    assert_problem(r, 403, NO_PERMISSION)
    assert _all(client)["1.0.0"]["status"] == "active"


@pytest.mark.parametrize("prefix", PREFIXES)
def test_status_changes_need_a_token(client, publish, prefix):
    _seed(publish, "1.0.0")
    assert_problem(_patch_one(client, prefix, None, "1.0.0", {"status": "deleted"}), 401)
    assert_problem(_patch_all(client, prefix, None, {"status": "deleted"}), 401)
    assert_problem(client.delete(f"{prefix}/servers/{enc(NAME)}/versions/1.0.0"), 401)
    bad = {"Authorization": "Bearer not-a-token"}
    r = client.patch(
        f"{prefix}/servers/{enc(NAME)}/status", json={"status": "deleted"}, headers=bad
    )
    assert_problem(r, 401, "Invalid or expired Registry JWT token")
    assert _all(client)["1.0.0"]["status"] == "active"


@pytest.mark.parametrize("prefix", PREFIXES)
@pytest.mark.parametrize(
    ("name", "version"), [(NAME, "9.9.9"), ("io.github.alice/nothing", "1.0.0")]
)
def test_unknown_version_is_404(client, publish, alice, prefix, name, version):
    _seed(publish, "1.0.0")
    r = _patch_one(client, prefix, alice, version, {"status": "deleted"}, name=name)
    assert_problem(r, 404, "Server version not found")
    r = client.delete(f"{prefix}/servers/{enc(name)}/versions/{version}", headers=auth(alice))
    assert_problem(r, 404, "Server version not found")


@pytest.mark.parametrize("prefix", PREFIXES)
def test_unknown_server_is_404_for_all_versions(client, publish, alice, prefix):
    _seed(publish, "1.0.0")
    r = _patch_all(client, prefix, alice, {"status": "deleted"}, name="io.github.alice/nothing")
    assert_problem(r, 404, "Server not found")


@pytest.mark.parametrize("prefix", PREFIXES)
def test_status_message_with_active_is_400(client, publish, alice, prefix):
    _seed(publish, "1.0.0")
    assert _patch_one(client, prefix, alice, "1.0.0", {"status": "deprecated"}).status_code == 200
    body = {"status": "active", "statusMessage": "back"}
    assert_problem(_patch_one(client, prefix, alice, "1.0.0", body), 400, ACTIVE_WITH_MESSAGE)
    assert_problem(_patch_all(client, prefix, alice, body), 400, ACTIVE_WITH_MESSAGE)
    assert _all(client)["1.0.0"]["status"] == "deprecated"


@pytest.mark.parametrize("prefix", PREFIXES)
@pytest.mark.parametrize(
    "body",
    [
        {"status": "gone"},
        {"status": "Deleted"},
        {"statusMessage": "no status"},
        {"status": None},
        {"status": "deprecated", "statusMessage": "x" * 501},
        {"status": "deprecated", "statusMessage": 5},
        ["deleted"],
    ],
)
def test_malformed_status_body_is_rejected(client, publish, alice, prefix, body):
    _seed(publish, "1.0.0")
    r = _patch_one(client, prefix, alice, "1.0.0", body)
    assert r.status_code in (400, 422)
    assert_problem(r, r.status_code)
    r = _patch_all(client, prefix, alice, body)
    assert r.status_code in (400, 422)
    assert_problem(r, r.status_code)
    assert _all(client)["1.0.0"]["status"] == "active"


@pytest.mark.parametrize("prefix", PREFIXES)
def test_status_message_of_500_characters_is_accepted(client, publish, alice, prefix):
    _seed(publish, "1.0.0")
    body = {"status": "deprecated", "statusMessage": "x" * 500}
    r = _patch_one(client, prefix, alice, "1.0.0", body)
    assert r.status_code == 200, r.text
    assert official(r.json())["statusMessage"] == "x" * 500


@pytest.mark.parametrize("prefix", PREFIXES)
def test_no_op_is_400(client, publish, alice, prefix):
    _seed(publish, "1.0.0")
    r = _patch_one(client, prefix, alice, "1.0.0", {"status": "active"})
    assert_problem(r, 400, NO_CHANGE_ONE)
    body = {"status": "deprecated", "statusMessage": "old"}
    assert _patch_one(client, prefix, alice, "1.0.0", body).status_code == 200
    before = _all(client)
    assert_problem(_patch_one(client, prefix, alice, "1.0.0", body), 400, NO_CHANGE_ONE)
    assert _all(client) == before


@pytest.mark.parametrize("prefix", PREFIXES)
def test_status_message_is_cleared_when_omitted(client, publish, alice, prefix):
    _seed(publish, "1.0.0", "2.0.0")
    body = {"status": "deprecated", "statusMessage": "old"}
    assert _patch_one(client, prefix, alice, "1.0.0", body).status_code == 200
    # The same status without a message is a change: the message goes.
    r = _patch_one(client, prefix, alice, "1.0.0", {"status": "deprecated"})
    assert r.status_code == 200, r.text
    assert "statusMessage" not in official(r.json())
    assert "statusMessage" not in official(_get(client, "1.0.0"))
    # A status change without a message clears it too.
    assert _patch_one(client, prefix, alice, "2.0.0", body).status_code == 200
    r = _patch_one(client, prefix, alice, "2.0.0", {"status": "deleted"})
    assert "statusMessage" not in official(r.json())
    # And a change to active never has one.
    r = _patch_one(client, prefix, alice, "2.0.0", {"status": "active"})
    assert official(r.json())["status"] == "active"
    assert "statusMessage" not in official(r.json())


@pytest.mark.parametrize("prefix", PREFIXES)
def test_status_changed_at_moves_only_on_a_status_change(client, publish, alice, prefix):
    _seed(publish, "1.0.0")
    first = official(
        _patch_one(
            client, prefix, alice, "1.0.0", {"status": "deprecated", "statusMessage": "a"}
        ).json()
    )
    # A message-only edit: updatedAt moves, statusChangedAt does not.
    second = official(
        _patch_one(
            client, prefix, alice, "1.0.0", {"status": "deprecated", "statusMessage": "b"}
        ).json()
    )
    assert second["statusMessage"] == "b"
    assert second["statusChangedAt"] == first["statusChangedAt"]
    assert ts(second["updatedAt"]) > ts(first["updatedAt"])
    # A real change moves both.
    third = official(_patch_one(client, prefix, alice, "1.0.0", {"status": "deleted"}).json())
    assert ts(third["statusChangedAt"]) > ts(second["statusChangedAt"])
    assert ts(third["updatedAt"]) > ts(second["updatedAt"])
    assert third["publishedAt"] == first["publishedAt"]


@pytest.mark.parametrize("prefix", PREFIXES)
def test_deleted_version_can_be_restored(client, publish, alice, prefix):
    _seed(publish, "1.0.0")
    url = f"{prefix}/servers/{enc(NAME)}/versions/1.0.0"
    assert _patch_one(client, prefix, alice, "1.0.0", {"status": "deleted"}).status_code == 200
    assert_problem(client.get(url), 404)
    r = _patch_one(client, prefix, alice, "1.0.0", {"status": "active"})
    assert r.status_code == 200, r.text
    assert official(r.json())["status"] == "active"
    assert client.get(url).status_code == 200
    assert [s["server"]["version"] for s in client.get(f"{prefix}/servers").json()["servers"]] == [
        "1.0.0"
    ]


@pytest.mark.parametrize("prefix", PREFIXES)
def test_all_status_transitions_are_allowed(client, publish, alice, prefix):
    _seed(publish, "1.0.0")
    for status in ("deprecated", "deleted", "deprecated", "active", "deleted", "active"):
        r = _patch_one(client, prefix, alice, "1.0.0", {"status": status})
        assert r.status_code == 200, (status, r.text)
        assert official(r.json())["status"] == status


# --- isLatest after status changes ------------------------------------------------------------


@pytest.mark.parametrize("prefix", PREFIXES)
def test_deleting_the_latest_moves_it_to_the_next_greatest(client, publish, alice, prefix):
    # Published 1.5.0, then a 1.0.0 backport, then 2.0.0: the next-greatest is 1.5.0, not the
    # most recently published 1.0.0.
    _seed(publish, "1.5.0", "1.0.0", "2.0.0")
    assert _latest(client) == ["2.0.0"]
    r = _patch_one(client, prefix, alice, "2.0.0", {"status": "deleted"})
    assert official(r.json())["isLatest"] is False
    assert _latest(client) == ["1.5.0"]
    got = client.get(f"{prefix}/servers/{enc(NAME)}/versions/latest").json()
    assert got["server"]["version"] == "1.5.0"
    # Deprecated versions stay eligible.
    r = _patch_one(client, prefix, alice, "1.5.0", {"status": "deprecated"})
    assert official(r.json())["isLatest"] is True
    assert _latest(client) == ["1.5.0"]
    # Restoring 2.0.0 gives it back the flag.
    r = _patch_one(client, prefix, alice, "2.0.0", {"status": "active"})
    assert official(r.json())["isLatest"] is True
    assert _latest(client) == ["2.0.0"]


@pytest.mark.parametrize("prefix", PREFIXES)
def test_deleting_a_semver_latest_can_hand_it_to_a_non_semver(client, publish, alice, prefix):
    _seed(publish, "nightly-1", "nightly-2", "1.0.0")
    assert _latest(client) == ["1.0.0"]
    _patch_one(client, prefix, alice, "1.0.0", {"status": "deleted"})
    # Among non-semvers the later publish wins.
    assert _latest(client) == ["nightly-2"]


@pytest.mark.parametrize("prefix", PREFIXES)
def test_all_deleted_keeps_latest_on_the_greatest(client, publish, alice, prefix):
    _seed(publish, "2.0.0", "1.0.0", "1.5.0")
    for version in ("2.0.0", "1.5.0", "1.0.0"):
        r = _patch_one(client, prefix, alice, version, {"status": "deleted"})
        assert r.status_code == 200, r.text
        assert len(_latest(client)) == 1
    assert _latest(client) == ["2.0.0"]
    url = f"{prefix}/servers/{enc(NAME)}/versions/latest"
    assert_problem(client.get(url), 404, "Server not found")
    r = client.get(url, params={"include_deleted": "true"})
    assert r.status_code == 200, r.text
    assert r.json()["server"]["version"] == "2.0.0"
    assert official(r.json())["status"] == "deleted"
    # Restoring a lower version makes it latest again.
    _patch_one(client, prefix, alice, "1.0.0", {"status": "active"})
    assert _latest(client) == ["1.0.0"]


# --- all versions -----------------------------------------------------------------------------


@pytest.mark.parametrize("prefix", PREFIXES)
def test_set_all_status(client, publish, alice, prefix):
    _seed(publish, "1.0.0", "2.0.0", "3.0.0")
    body = {"status": "deprecated", "statusMessage": "Moved"}
    assert _patch_one(client, prefix, alice, "2.0.0", body).status_code == 200
    assert _patch_one(client, prefix, alice, "1.0.0", {"status": "deleted"}).status_code == 200
    before = _all(client)
    r = _patch_all(client, prefix, alice, body)
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("application/json")
    answer = r.json()
    assert set(answer) == {"updatedCount", "servers"}
    # 2.0.0 already had this status and message: only two rows change.
    assert answer["updatedCount"] == 2
    got = {s["server"]["version"]: official(s) for s in answer["servers"]}
    assert sorted(got) == ["1.0.0", "2.0.0", "3.0.0"]
    assert got == _all(client)
    assert all(m["status"] == "deprecated" and m["statusMessage"] == "Moved" for m in got.values())
    assert got["2.0.0"] == before["2.0.0"]
    for version in ("1.0.0", "3.0.0"):
        assert ts(got[version]["updatedAt"]) > ts(before[version]["updatedAt"])
        assert ts(got[version]["statusChangedAt"]) > ts(before[version]["statusChangedAt"])
    assert [v for v, m in got.items() if m["isLatest"]] == ["3.0.0"]


@pytest.mark.parametrize("prefix", PREFIXES)
def test_set_all_deleted_then_restore(client, publish, alice, prefix):
    _seed(publish, "1.0.0", "2.0.0")
    r = _patch_all(client, prefix, alice, {"status": "deleted", "statusMessage": "Gone"})
    assert r.status_code == 200, r.text
    answer = r.json()
    assert answer["updatedCount"] == 2
    # The answer lists every version, deleted ones included.
    assert {s["server"]["version"] for s in answer["servers"]} == {"1.0.0", "2.0.0"}
    assert all(official(s)["status"] == "deleted" for s in answer["servers"])
    assert [s["server"]["version"] for s in answer["servers"] if official(s)["isLatest"]] == [
        "2.0.0"
    ]
    assert client.get(f"{prefix}/servers").json()["servers"] == []
    assert_problem(client.get(f"{prefix}/servers/{enc(NAME)}/versions"), 404, "Server not found")
    # The server is still found (including deleted) for the bulk change.
    r = _patch_all(client, prefix, alice, {"status": "active"})
    assert r.status_code == 200, r.text
    assert r.json()["updatedCount"] == 2
    assert all("statusMessage" not in official(s) for s in r.json()["servers"])
    assert len(client.get(f"{prefix}/servers").json()["servers"]) == 2


@pytest.mark.parametrize("prefix", PREFIXES)
def test_set_all_no_op_is_400(client, publish, alice, prefix):
    _seed(publish, "1.0.0", "2.0.0")
    assert_problem(_patch_all(client, prefix, alice, {"status": "active"}), 400, NO_CHANGE_ALL)
    body = {"status": "deprecated", "statusMessage": "m"}
    assert _patch_all(client, prefix, alice, body).status_code == 200
    before = _all(client)
    assert_problem(_patch_all(client, prefix, alice, body), 400, NO_CHANGE_ALL)
    assert _all(client) == before


@pytest.mark.parametrize("prefix", PREFIXES)
def test_set_all_status_changed_at_rule(client, publish, alice, prefix):
    _seed(publish, "1.0.0", "2.0.0")
    body = {"status": "deprecated", "statusMessage": "a"}
    first = {
        s["server"]["version"]: official(s)
        for s in _patch_all(client, prefix, alice, body).json()["servers"]
    }
    body["statusMessage"] = "b"
    second = {
        s["server"]["version"]: official(s)
        for s in _patch_all(client, prefix, alice, body).json()["servers"]
    }
    for version in ("1.0.0", "2.0.0"):
        assert second[version]["statusMessage"] == "b"
        assert second[version]["statusChangedAt"] == first[version]["statusChangedAt"]
        assert ts(second[version]["updatedAt"]) > ts(first[version]["updatedAt"])


# --- DELETE and unencoded names ---------------------------------------------------------------


@pytest.mark.parametrize("prefix", PREFIXES)
def test_delete_marks_the_version_deleted(client, publish, alice, prefix):
    _seed(publish, "1.0.0", "2.0.0")
    r = client.delete(f"{prefix}/servers/{enc(NAME)}/versions/2.0.0", headers=auth(alice))
    assert r.status_code == 200, r.text
    meta = official(r.json())
    assert meta["status"] == "deleted"
    assert meta["isLatest"] is False
    assert _all(client)["2.0.0"]["status"] == "deleted"
    assert _latest(client) == ["1.0.0"]
    assert_problem(client.get(f"{prefix}/servers/{enc(NAME)}/versions/2.0.0"), 404)
    # Deleting again changes nothing.
    r = client.delete(f"{prefix}/servers/{enc(NAME)}/versions/2.0.0", headers=auth(alice))
    assert_problem(r, 400, NO_CHANGE_ONE)


@pytest.mark.parametrize("prefix", PREFIXES)
def test_status_routes_accept_unencoded_names_and_encoded_versions(client, publish, alice, prefix):
    _seed(publish, "1.0.0+build.1", "2.0.0")
    r = client.patch(
        f"{prefix}/servers/{NAME}/versions/1.0.0%2Bbuild.1/status",
        json={"status": "deprecated"},
        headers=auth(alice),
    )
    assert r.status_code == 200, r.text
    assert r.json()["server"]["version"] == "1.0.0+build.1"
    assert _all(client)["1.0.0+build.1"]["status"] == "deprecated"
    r = client.patch(
        f"{prefix}/servers/{NAME}/status", json={"status": "deprecated"}, headers=auth(alice)
    )
    assert r.status_code == 200, r.text
    assert r.json()["updatedCount"] == 1
    r = client.patch(
        f"{prefix}/servers/io.github.alice%zzweather/status",
        json={"status": "deleted"},
        headers=auth(alice),
    )
    assert_problem(r, 400, "Invalid server name encoding")
