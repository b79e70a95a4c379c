"""PUT /servers/{name}/versions/{version}: the official admin edit (edit permission)."""

from __future__ import annotations

from typing import Any

import pytest

from registrum.core import wire
from tests.conftest import auth
from tests.factories import PREFIXES, assert_problem, enc, npm_package, official, server_json, ts

NAME = "io.github.alice/weather"
NO_EDIT = "You do not have edit permissions for this server"


@pytest.fixture
def admin(token):
    return token("edit:*")


@pytest.fixture
def alice_token(token):
    return token("publish:io.github.alice/*")


def _seed(publish: Any, *versions: str, name: str = NAME) -> dict[str, dict[str, Any]]:
    out = {}
    for version in versions:
        r = publish(server_json(name=name, version=version))
        assert r.status_code == 200, r.text
        out[version] = r.json()
    return out


def _put(
    client: Any, prefix: str, jwt: str | None, doc: Any, version: str = "1.0.0", name: str = NAME
) -> Any:
    return client.put(
        f"{prefix}/servers/{enc(name)}/versions/{enc(version)}",
        json=doc,
        headers=auth(jwt) if jwt else {},
    )


def _get(client: Any, version: str = "1.0.0", name: str = NAME) -> dict[str, Any]:
    r = client.get(
        f"/v0.1/servers/{enc(name)}/versions/{enc(version)}", params={"include_deleted": "true"}
    )
    assert r.status_code == 200, r.text
    body: dict[str, Any] = r.json()
    return body


@pytest.mark.parametrize("prefix", PREFIXES)
def test_edit_replaces_the_document_and_keeps_the_metadata(client, publish, admin, prefix):
    published = _seed(publish, "1.0.0", "2.0.0")
    before = _get(client)
    doc = server_json(description="Edited by an admin.", packages=[npm_package()])
    r = _put(client, prefix, admin, doc)
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("application/json")
    answer = r.json()
    assert answer["server"] == doc
    assert answer == _get(client)
    old, new = official(before), official(answer)
    for key in ("status", "publishedAt", "statusChangedAt", "isLatest"):
        assert new[key] == old[key], key
    assert new["isLatest"] is False
    assert ts(new["updatedAt"]) > ts(old["updatedAt"])
    # Same ids; the edit is the version's newest change, so its seq moves on.
    mine, then = (
        answer["_meta"][wire.REGISTRUM_META],
        published["1.0.0"]["_meta"][wire.REGISTRUM_META],
    )
    assert (mine["serverId"], mine["versionId"]) == (then["serverId"], then["versionId"])
    assert mine["seq"] > then["seq"]
    # The other version and the latest pointer are untouched.
    assert _get(client, "2.0.0") == published["2.0.0"]
    # The edit is what readers and search now see.
    listed = client.get(f"{prefix}/servers", params={"search": "edited by"}).json()
    assert [s["server"]["version"] for s in listed["servers"]] == ["1.0.0"]


@pytest.mark.parametrize("prefix", PREFIXES)
def test_edit_keeps_deprecated_status_and_message(client, publish, admin, alice_token, prefix):
    _seed(publish, "1.0.0")
    r = client.patch(
        f"{prefix}/servers/{enc(NAME)}/versions/1.0.0/status",
        json={"status": "deprecated", "statusMessage": "Old"},
        headers=auth(alice_token),
    )
    assert r.status_code == 200, r.text
    before = official(r.json())
    r = _put(client, prefix, admin, server_json(description="New text."))
    assert r.status_code == 200, r.text
    after = official(r.json())
    assert after["status"] == "deprecated"
    assert after["statusMessage"] == "Old"
    assert after["statusChangedAt"] == before["statusChangedAt"]
    assert ts(after["updatedAt"]) > ts(before["updatedAt"])


@pytest.mark.parametrize("prefix", PREFIXES)
@pytest.mark.parametrize(
    "grants",
    [
        ("publish:io.github.alice/*",),
        ("publish:*",),
        ("edit:io.github.bob/*",),
        ("edit:io.github.alice/other",),
        (),
    ],
)
def test_edit_needs_edit_permission(client, publish, token, prefix, grants):
    published = _seed(publish, "1.0.0")
    r = _put(client, prefix, token(*grants), server_json(description="Hijacked."))
    assert_problem(r, 403, NO_EDIT)
    assert _get(client) == published["1.0.0"]


@pytest.mark.parametrize("prefix", PREFIXES)
@pytest.mark.parametrize("grant", ["edit:*", "edit:io.github.alice/*", f"edit:{NAME}"])
def test_edit_permission_patterns(client, publish, token, prefix, grant):
    _seed(publish, "1.0.0")
    r = _put(client, prefix, token(grant), server_json(description="Edited."))
    assert r.status_code == 200, r.text


@pytest.mark.parametrize("prefix", PREFIXES)
def test_edit_needs_a_token(client, publish, prefix):
    published = _seed(publish, "1.0.0")
    assert_problem(_put(client, prefix, None, server_json(description="X.")), 401)
    r = client.put(
        f"{prefix}/servers/{enc(NAME)}/versions/1.0.0",
        json=server_json(description="X."),
        headers={"Authorization": "Token abc"},
    )
    assert_problem(r, 401, "Invalid Authorization header format. Expected 'Bearer <token>'")
    assert _get(client) == published["1.0.0"]


@pytest.mark.parametrize("prefix", PREFIXES)
def test_edit_cannot_rename(client, publish, admin, prefix):
    published = _seed(publish, "1.0.0")
    _seed(publish, "1.0.0", name="io.github.alice/other")
    doc = server_json(name="io.github.alice/other", description="Renamed.")
    assert_problem(_put(client, prefix, admin, doc), 400, "Cannot rename server")
    assert _get(client) == published["1.0.0"]
    assert _get(client, name="io.github.alice/other")["server"]["description"] != "Renamed."


@pytest.mark.parametrize("prefix", PREFIXES)
def test_edit_cannot_change_the_version(client, publish, admin, prefix):
    _seed(publish, "1.0.0", "2.0.0")
    before = _get(client)
    doc = server_json(version="2.0.0", description="Moved.")
    r = _put(client, prefix, admin, doc, version="1.0.0")
    assert_problem(r, 400, "Version in request body must match URL path parameter")
    assert _get(client) == before
    assert _get(client, "2.0.0")["server"]["description"] != "Moved."


@pytest.mark.parametrize("prefix", PREFIXES)
def test_edit_body_is_validated_like_publish(client, publish, admin, prefix):
    published = _seed(publish, "1.0.0")
    doc = server_json(websiteUrl="http://example.com/insecure")
    del doc["description"]
    body = assert_problem(_put(client, prefix, admin, doc), 422)
    locations = {e["location"] for e in body["errors"]}
    assert {"body.description", "body.websiteUrl"} <= locations
    no_schema = server_json(description="No schema.")
    del no_schema["$schema"]
    assert_problem(_put(client, prefix, admin, no_schema), 422)
    assert_problem(_put(client, prefix, admin, ["not", "an", "object"]), 422)
    big = server_json(_meta={wire.PUBLISHER_META: {"k": "x" * 5000}})
    assert_problem(_put(client, prefix, admin, big), 422)
    assert _get(client) == published["1.0.0"]


@pytest.mark.parametrize("prefix", PREFIXES)
def test_edit_strips_meta_and_unknown_members(client, publish, admin, prefix):
    _seed(publish, "1.0.0")
    doc = server_json(
        description="Edited.",
        _meta={wire.PUBLISHER_META: {"a": 1}, wire.OFFICIAL_META: {"status": "deleted"}},
        extra="dropped",
    )
    r = _put(client, prefix, admin, doc)
    assert r.status_code == 200, r.text
    expected = server_json(description="Edited.", _meta={wire.PUBLISHER_META: {"a": 1}})
    assert r.json()["server"] == expected
    assert _get(client)["server"] == expected
    assert official(r.json())["status"] == "active"


@pytest.mark.parametrize("prefix", PREFIXES)
@pytest.mark.parametrize(
    ("name", "version"), [(NAME, "9.9.9"), ("io.github.alice/nothing", "1.0.0")]
)
def test_edit_unknown_version_is_404(client, publish, admin, prefix, name, version):
    _seed(publish, "1.0.0")
    doc = server_json(name=name, version=version)
    r = _put(client, prefix, admin, doc, version=version, name=name)
    assert_problem(r, 404)
    missing = client.get(f"/v0.1/servers/{enc(name)}/versions/{version}")
    assert_problem(missing, 404)


@pytest.mark.parametrize("prefix", PREFIXES)
def test_edit_a_deleted_version(client, publish, admin, alice_token, prefix):
    _seed(publish, "1.0.0", "2.0.0")
    r = client.delete(f"{prefix}/servers/{enc(NAME)}/versions/2.0.0", headers=auth(alice_token))
    assert r.status_code == 200, r.text
    before = official(r.json())
    doc = server_json(version="2.0.0", description="Still gone.")
    r = _put(client, prefix, admin, doc, version="2.0.0")
    assert r.status_code == 200, r.text
    after = official(r.json())
    assert r.json()["server"]["description"] == "Still gone."
    assert after["status"] == "deleted"
    assert after["isLatest"] is False
    assert after["statusChangedAt"] == before["statusChangedAt"]
    assert ts(after["updatedAt"]) > ts(before["updatedAt"])
    assert_problem(client.get(f"{prefix}/servers/{enc(NAME)}/versions/2.0.0"), 404)
    assert _get(client, "2.0.0")["server"]["description"] == "Still gone."


@pytest.mark.parametrize("prefix", PREFIXES)
def test_edit_with_encoded_build_metadata_and_unencoded_name(client, publish, admin, prefix):
    _seed(publish, "1.0.0+build.7")
    doc = server_json(version="1.0.0+build.7", description="Build seven.")
    r = client.put(
        f"{prefix}/servers/{NAME}/versions/1.0.0%2Bbuild.7", json=doc, headers=auth(admin)
    )
    assert r.status_code == 200, r.text
    assert _get(client, "1.0.0+build.7")["server"] == doc
