"""POST /publish: authentication, permission, what is stored, isLatest, by the official
registry's rules."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import orjson
import pytest

from registrum.core import wire
from registrum.core.errors import VersionLimitError
from registrum.core.permissions import Action, Permission, Principal
from registrum.services.publish import PublishService
from registrum.services.tokens import TokenService
from tests.conftest import auth
from tests.factories import (
    PREFIXES,
    assert_problem,
    enc,
    npm_package,
    official,
    remote,
    server_json,
)

NAME = "io.github.alice/weather"
BAD_HEADER = "Invalid Authorization header format. Expected 'Bearer <token>'"
BAD_TOKEN = "Invalid or expired Registry JWT token"
NO_PERMISSION = "You do not have permission to publish this server"
ALICE = Principal("test", "alice", (Permission(Action.PUBLISH, "io.github.alice/*"),))


def _post(client: Any, prefix: str, doc: Any, jwt: str | None) -> Any:
    headers = auth(jwt) if jwt else {}
    return client.post(f"{prefix}/publish", json=doc, headers=headers)


def _all_versions(client: Any, name: str = NAME) -> list[dict[str, Any]]:
    r = client.get(f"/v0.1/servers/{enc(name)}/versions", params={"include_deleted": "true"})
    if r.status_code == 404:
        return []
    assert r.status_code == 200, r.text
    servers: list[dict[str, Any]] = r.json()["servers"]
    return servers


def _latest_versions(client: Any, name: str = NAME) -> list[str]:
    return [s["server"]["version"] for s in _all_versions(client, name) if official(s)["isLatest"]]


def _publish_sequence(client: Any, prefix: str, jwt: str, versions: list[str]) -> dict[str, bool]:
    """Publish in order, checking after each publish that exactly one version is latest;
    return each version's isLatest as the publish answered it."""
    answered = {}
    for version in versions:
        r = _post(client, prefix, server_json(version=version), jwt)
        assert r.status_code == 200, r.text
        answered[version] = official(r.json())["isLatest"]
        assert len(_latest_versions(client)) == 1
    return answered


# --- authentication -------------------------------------------------------------------------


@pytest.mark.parametrize("prefix", PREFIXES)
def test_publish_without_authorization_is_401(client, prefix):
    r = _post(client, prefix, server_json(), None)
    assert_problem(r, 401)
    assert _all_versions(client) == []


@pytest.mark.parametrize("prefix", PREFIXES)
@pytest.mark.parametrize(
    "header", ["Token abc", "Bearer", "Bearer ", "Basic YWxpY2U6c2VjcmV0", "Bearerabc", "abc"]
)
def test_malformed_authorization_header_is_401(client, token, prefix, header):
    jwt = token("publish:*")
    if header == "Bearerabc":
        header = f"Bearer{jwt}"
    r = client.post(f"{prefix}/publish", json=server_json(), headers={"Authorization": header})
    assert_problem(r, 401, BAD_HEADER)
    assert _all_versions(client) == []


@pytest.mark.parametrize("prefix", PREFIXES)
def test_bearer_prefix_is_case_insensitive(client, token, prefix):
    jwt = token("publish:io.github.alice/*")
    r = client.post(
        f"{prefix}/publish", json=server_json(), headers={"Authorization": f"bearer {jwt}"}
    )
    assert r.status_code == 200, r.text


@pytest.mark.parametrize("prefix", PREFIXES)
def test_forged_token_is_401(client, prefix):
    other_key = TokenService(bytes(range(32)))
    forged, _ = other_key.issue(Principal("test", "mallory", (Permission(Action.PUBLISH, "*"),)))
    r = _post(client, prefix, server_json(), forged)
    assert_problem(r, 401, BAD_TOKEN)
    assert _all_versions(client) == []


@pytest.mark.parametrize("prefix", PREFIXES)
def test_tampered_and_garbage_tokens_are_401(client, token, prefix):
    jwt = token("publish:io.github.bob/*")
    head, _, signature = jwt.split(".")
    # Swap in the payload of a token for a different namespace: the signature no longer fits.
    other_payload = token("publish:io.github.alice/*").split(".")[1]
    for bad in (f"{head}.{other_payload}.{signature}", "not.a.jwt", "x", jwt[:-4]):
        r = _post(client, prefix, server_json(), bad)
        assert_problem(r, 401, BAD_TOKEN)
    assert _all_versions(client) == []


@pytest.mark.parametrize("prefix", PREFIXES)
def test_expired_token_is_401(client, registry, prefix):
    expired, expires_at = registry.context.tokens.issue(
        ALICE, now=datetime.now(UTC) - timedelta(hours=1)
    )
    assert expires_at < datetime.now(UTC).timestamp()
    r = _post(client, prefix, server_json(), expired)
    assert_problem(r, 401, BAD_TOKEN)
    # The same principal with a fresh token may publish.
    fresh, _ = registry.context.tokens.issue(ALICE)
    assert _post(client, prefix, server_json(), fresh).status_code == 200


# --- permission -----------------------------------------------------------------------------


@pytest.mark.parametrize("prefix", PREFIXES)
@pytest.mark.parametrize(
    "grants",
    [
        ("publish:io.github.bob/*",),
        ("publish:io.github.alice/other",),
        ("publish:io.github.alicex/*",),
        ("edit:*",),
        (),
    ],
)
def test_publish_outside_the_token_pattern_is_403(client, token, prefix, grants):
    r = _post(client, prefix, server_json(), token(*grants))
    assert_problem(r, 403, NO_PERMISSION)
    assert _all_versions(client) == []


@pytest.mark.parametrize("prefix", PREFIXES)
@pytest.mark.parametrize(
    "grant", ["publish:*", "publish:io.github.alice/*", "publish:io.github.*", f"publish:{NAME}"]
)
def test_publish_inside_the_token_pattern(client, token, prefix, grant):
    r = _post(client, prefix, server_json(), token("publish:io.github.bob/*", grant))
    assert r.status_code == 200, r.text


@pytest.mark.parametrize("prefix", PREFIXES)
def test_permission_is_checked_before_the_document(client, token, prefix):
    doc = server_json(name="io.github.bob/tool")
    del doc["description"]
    r = _post(client, prefix, doc, token("publish:io.github.alice/*"))
    assert_problem(r, 403, NO_PERMISSION)


# --- the answer and what is stored ----------------------------------------------------------


@pytest.mark.parametrize("prefix", PREFIXES)
def test_publish_answers_200_server_response(client, token, prefix):
    doc = server_json(packages=[npm_package()], remotes=[remote()], title="Weather")
    r = _post(client, prefix, doc, token("publish:io.github.alice/*"))
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("application/json")
    body = r.json()
    assert set(body) == {"server", "_meta"}
    assert body["server"] == doc
    meta = official(body)
    assert meta["status"] == "active"
    assert "statusMessage" not in meta
    assert meta["publishedAt"] == meta["updatedAt"] == meta["statusChangedAt"]
    assert meta["isLatest"] is True
    published = datetime.fromisoformat(meta["publishedAt"])
    assert abs(datetime.now(UTC) - published) < timedelta(minutes=1)
    # Reading it back, through either prefix, gives the same answer.
    for read_prefix in PREFIXES:
        got = client.get(f"{read_prefix}/servers/{enc(NAME)}/versions/1.0.0")
        assert got.json() == body


@pytest.mark.parametrize("prefix", PREFIXES)
def test_duplicate_version_is_400_and_changes_nothing(client, token, prefix):
    jwt = token("publish:io.github.alice/*")
    assert _post(client, prefix, server_json(), jwt).status_code == 200
    assert _post(client, prefix, server_json(version="2.0.0"), jwt).status_code == 200
    before = _all_versions(client)
    changed = server_json(description="A different description.")
    r = _post(client, prefix, changed, jwt)
    body = assert_problem(r, 400)
    assert "duplicate version" in body["detail"]
    assert _all_versions(client) == before
    listed = client.get("/v0.1/servers", params={"search": "different"}).json()
    assert listed["servers"] == []


@pytest.mark.parametrize("prefix", PREFIXES)
def test_duplicate_of_a_deleted_version_is_400(client, token, prefix):
    jwt = token("publish:io.github.alice/*")
    assert _post(client, prefix, server_json(), jwt).status_code == 200
    r = client.delete(f"{prefix}/servers/{enc(NAME)}/versions/1.0.0", headers=auth(jwt))
    assert r.status_code == 200, r.text
    before = _all_versions(client)
    assert_problem(_post(client, prefix, server_json(), jwt), 400)
    assert _all_versions(client) == before


@pytest.mark.parametrize("prefix", PREFIXES)
def test_only_publisher_provided_meta_is_kept(client, token, prefix):
    provided = {"tool": "example", "tags": ["a", "b"], "nested": {"n": 1}}
    doc = server_json(
        _meta={
            wire.PUBLISHER_META: provided,
            wire.OFFICIAL_META: {"status": "deleted", "isLatest": False},
            "com.example/other": {"x": 1},
            wire.REGISTRUM_META: {"serverId": "mine"},
        }
    )
    r = _post(client, prefix, doc, token("publish:io.github.alice/*"))
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["server"]["_meta"] == {wire.PUBLISHER_META: provided}
    assert official(body)["status"] == "active"
    assert body["_meta"][wire.REGISTRUM_META]["serverId"] != "mine"
    got = client.get(f"{prefix}/servers/{enc(NAME)}/versions/1.0.0").json()
    assert got["server"]["_meta"] == {wire.PUBLISHER_META: provided}


@pytest.mark.parametrize("prefix", PREFIXES)
def test_meta_without_publisher_provided_is_dropped_entirely(client, token, prefix):
    doc = server_json(_meta={"com.example/other": {"x": 1}})
    r = _post(client, prefix, doc, token("publish:io.github.alice/*"))
    assert r.status_code == 200, r.text
    assert "_meta" not in r.json()["server"]


@pytest.mark.parametrize("prefix", PREFIXES)
def test_publisher_provided_meta_over_4kb_is_rejected(client, token, prefix):
    jwt = token("publish:io.github.alice/*")
    # {"k":"..."} marshals to 8 bytes plus the string: 4088 characters make exactly 4096.
    at_limit = server_json(version="1.0.0", _meta={wire.PUBLISHER_META: {"k": "x" * 4088}})
    r = _post(client, prefix, at_limit, jwt)
    assert r.status_code == 200, r.text
    over = server_json(version="2.0.0", _meta={wire.PUBLISHER_META: {"k": "x" * 4089}})
    body = assert_problem(_post(client, prefix, over, jwt), 422)
    messages = " ".join(e["message"] for e in body.get("errors", [])) + body["detail"]
    assert "4KB" in messages
    assert "4097" in messages
    assert [s["server"]["version"] for s in _all_versions(client)] == ["1.0.0"]


@pytest.mark.parametrize("prefix", PREFIXES)
def test_unknown_members_are_dropped(client, token, prefix):
    doc = server_json(
        packages=[npm_package(colour="blue")],
        remotes=[remote(weight=3)],
        unknownTopLevel={"a": 1},
        status="deprecated",
    )
    r = _post(client, prefix, doc, token("publish:io.github.alice/*"))
    assert r.status_code == 200, r.text
    stored = r.json()["server"]
    expected = server_json(packages=[npm_package()], remotes=[remote()])
    assert stored == expected
    assert official(r.json())["status"] == "active"
    got = client.get(f"{prefix}/servers/{enc(NAME)}/versions/1.0.0").json()["server"]
    assert got == expected


@pytest.mark.parametrize("prefix", PREFIXES)
def test_invalid_document_is_422_with_located_errors(client, token, prefix):
    doc = server_json(version="latest")
    del doc["description"]
    body = assert_problem(_post(client, prefix, doc, token("publish:*")), 422)
    locations = {e["location"] for e in body["errors"]}
    assert {"body.description", "body.version"} <= locations
    assert _all_versions(client) == []


# --- isLatest -------------------------------------------------------------------------------


@pytest.mark.parametrize("prefix", PREFIXES)
@pytest.mark.parametrize(
    ("versions", "latest_answers", "final_latest"),
    [
        # A higher semver takes latest.
        (["1.0.0", "2.0.0"], [True, True], "2.0.0"),
        (["1.0.0", "1.0.1", "1.1.0", "10.0.0"], [True, True, True, True], "10.0.0"),
        # A lower backport does not.
        (["2.0.0", "1.5.0"], [True, False], "2.0.0"),
        (["1.10.0", "1.9.0"], [True, False], "1.10.0"),
        # A pre-release of the same core is lower; the release beats it.
        (["1.0.0-alpha", "1.0.0"], [True, True], "1.0.0"),
        (["1.0.0", "1.0.0-beta"], [True, False], "1.0.0"),
        (["1.0.0-alpha.2", "1.0.0-alpha.10"], [True, True], "1.0.0-alpha.10"),
        (["1.0.0-alpha.1", "1.0.0-alpha"], [True, False], "1.0.0-alpha.1"),
        # A non-semver after a semver never takes latest.
        (["1.0.0", "nightly"], [True, False], "1.0.0"),
        (["1.0.0", "v2.0.0"], [True, False], "1.0.0"),
        (["1.0.0", "2.0.0-pre-release"], [True, False], "1.0.0"),
        (["1.0.0", "2.0"], [True, False], "1.0.0"),
        # A semver after a non-semver always does, whatever its value.
        (["snapshot-2024", "0.0.1"], [True, True], "0.0.1"),
        (["v9.0.0", "0.1.0"], [True, True], "0.1.0"),
        # Among non-semvers the newest publish wins, whatever the text order.
        (["build-b", "build-a", "build-0"], [True, True, True], "build-0"),
    ],
)
def test_is_latest_rules(client, token, prefix, versions, latest_answers, final_latest):
    answered = _publish_sequence(client, prefix, token("publish:*"), versions)
    assert list(answered.values()) == latest_answers
    assert _latest_versions(client) == [final_latest]
    got = client.get(f"{prefix}/servers/{enc(NAME)}/versions/latest").json()
    assert got["server"]["version"] == final_latest


@pytest.mark.parametrize("prefix", PREFIXES)
def test_latest_is_per_server(client, token, prefix):
    jwt = token("publish:*")
    for name, version in [(NAME, "2.0.0"), ("io.github.alice/other", "1.0.0"), (NAME, "1.0.0")]:
        r = _post(client, prefix, server_json(name=name, version=version), jwt)
        assert r.status_code == 200, r.text
    assert _latest_versions(client) == ["2.0.0"]
    assert _latest_versions(client, "io.github.alice/other") == ["1.0.0"]


# --- registrum's own metadata ---------------------------------------------------------------


@pytest.mark.parametrize("prefix", PREFIXES)
def test_registrum_meta_has_stable_server_id_and_unique_version_ids(client, token, prefix):
    jwt = token("publish:*")
    answers = []
    for name, version in [
        (NAME, "1.0.0"),
        (NAME, "2.0.0"),
        (NAME, "nightly"),
        ("io.github.alice/other", "1.0.0"),
    ]:
        r = _post(client, prefix, server_json(name=name, version=version), jwt)
        assert r.status_code == 200, r.text
        answers.append(r.json()["_meta"][wire.REGISTRUM_META])
    assert all(set(a) == {"serverId", "versionId", "seq"} for a in answers)
    # Each publish is the next change; seq 3 is 1.0.0 losing the latest flag to 2.0.0.
    assert [a["seq"] for a in answers] == [1, 2, 4, 5]
    assert len({a["serverId"] for a in answers[:3]}) == 1
    assert answers[3]["serverId"] != answers[0]["serverId"]
    assert len({a["versionId"] for a in answers}) == 4
    # Reads carry the same identifiers (the seq of 1.0.0 moved on when 2.0.0 took the latest
    # flag from it: that is a change of 1.0.0 too).
    ids = [(a["serverId"], a["versionId"]) for a in answers[:3]]
    for item in _all_versions(client):
        meta = item["_meta"][wire.REGISTRUM_META]
        assert (meta["serverId"], meta["versionId"]) in ids


# --- the version cap (service level: the real cap is 10 000) ---------------------------------


def test_version_cap_refuses_one_more_version(registry, client, token):
    service = PublishService(registry.store, max_versions=3)
    for version in ("1.0.0", "1.1.0", "1.2.0"):
        service.publish(server_json(version=version), ALICE)
    with pytest.raises(VersionLimitError) as caught:
        service.publish(server_json(version="1.3.0"), ALICE)
    assert "maximum number of versions" in str(caught.value)
    assert sorted(s["server"]["version"] for s in _all_versions(client)) == [
        "1.0.0",
        "1.1.0",
        "1.2.0",
    ]
    # Another server is not affected.
    service.publish(server_json(name="io.github.alice/other"), ALICE)


def test_version_cap_counts_deleted_versions(registry, client, token):
    service = PublishService(registry.store, max_versions=3)
    for version in ("1.0.0", "1.1.0", "1.2.0"):
        service.publish(server_json(version=version), ALICE)
    jwt = token("publish:io.github.alice/*")
    for version in ("1.0.0", "1.1.0"):
        r = client.delete(f"/v0.1/servers/{enc(NAME)}/versions/{version}", headers=auth(jwt))
        assert r.status_code == 200, r.text
    with pytest.raises(VersionLimitError):
        service.publish(server_json(version="2.0.0"), ALICE)
    assert len(_all_versions(client)) == 3


def test_version_cap_allows_up_to_the_limit(registry, client):
    service = PublishService(registry.store, max_versions=3)
    views = [service.publish(server_json(version=v), ALICE) for v in ("1.0.0", "1.1.0", "1.2.0")]
    assert [v.version for v in views] == ["1.0.0", "1.1.0", "1.2.0"]
    assert [v.is_latest for v in views] == [True, True, True]
    assert _latest_versions(client) == ["1.2.0"]


@pytest.mark.parametrize("prefix", PREFIXES)
def test_a_new_version_takes_latest_from_an_all_deleted_server(client, token, prefix):
    jwt = token("publish:*")
    assert _post(client, prefix, server_json(version="1.0.0"), jwt).status_code == 200
    gone = client.patch(
        f"{prefix}/servers/{enc(NAME)}/versions/1.0.0/status",
        json={"status": "deleted"},
        headers=auth(jwt),
    )
    assert gone.status_code == 200
    assert client.get(f"{prefix}/servers/{enc(NAME)}/versions/latest").status_code == 404
    published = _post(client, prefix, server_json(version="0.9.0"), jwt)
    assert published.json()["_meta"][wire.OFFICIAL_META]["isLatest"] is True
    latest = client.get(f"{prefix}/servers/{enc(NAME)}/versions/latest")
    assert latest.status_code == 200
    assert latest.json()["server"]["version"] == "0.9.0"
    assert _latest_versions(client) == ["0.9.0"]


@pytest.mark.parametrize("prefix", PREFIXES)
def test_null_members_are_refused_with_their_paths(client, token, prefix):
    doc = server_json(title=None, packages=[npm_package(runtimeHint=None)])
    r = _post(client, prefix, doc, token("publish:*"))
    assert r.status_code in (400, 422)
    locations = {e["location"] for e in r.json()["errors"]}
    assert locations == {"body.title", "body.packages[0].runtimeHint"}


@pytest.mark.parametrize(
    ("member", "value", "named"),
    [
        ("description", "Weather \u202eevil", "U+202E RIGHT-TO-LEFT OVERRIDE (at character 8)"),
        ("title", "Weather\u2066", "U+2066 LEFT-TO-RIGHT ISOLATE (at character 7)"),
        ("version", "1.0.0-\u0430", "U+0430 CYRILLIC SMALL LETTER A (at character 6)"),
    ],
)
def test_hidden_and_look_alike_characters_are_refused(publish, member, value, named):
    r = publish(server_json(**{member: value}))
    assert r.status_code == 422, r.text
    (error,) = r.json()["errors"]
    assert error["location"] == f"body.{member}"
    assert named in error["message"]


def test_numbers_are_kept_exactly_or_refused(client, token, publish):
    headers = {**auth(token("publish:*")), "Content-Type": "application/json"}
    doc = server_json(_meta={wire.PUBLISHER_META: {"x": {"count": 0}}})
    text = orjson_text(doc).replace('"count":0', '"count":18446744073709551616')
    r = client.post("/v0.1/publish", content=text, headers=headers)
    assert r.status_code == 400, r.text
    (error,) = r.json()["errors"]
    assert error["location"] == f"body._meta.{wire.PUBLISHER_META}.x.count"
    assert "cannot be kept exactly" in error["message"]
    # The largest integer that is kept, and a decimal, read back as sent.
    text = orjson_text(doc).replace('"count":0', '"count":18446744073709551615,"ratio":0.1')
    assert client.post("/v0.1/publish", content=text, headers=headers).status_code == 200
    got = client.get("/v0.1/servers/io.github.alice%2Fweather/versions/1.0.0")
    assert '"count":18446744073709551615,"ratio":0.1' in got.text


def orjson_text(doc: dict[str, Any]) -> str:
    return orjson.dumps(doc).decode()
