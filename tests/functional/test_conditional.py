"""Conditional requests on every GET of the read API, official paths and extensions: a
strong ETag and Cache-Control on 200s, 304 with no body while nothing changed, 200 with a new
ETag right after any write. Clients that send nothing see plain 200s."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.factories import enc, server_json

NAME = "io.github.alice/weather"


def paths(server_id: str) -> list[str]:
    return [
        "/v0.1/servers",
        "/v0.1/servers?limit=50&version=latest",
        "/v0/servers?search=weather",
        f"/v0.1/servers/{enc(NAME)}/versions",
        f"/v0.1/servers/{enc(NAME)}/versions/latest",
        f"/v0.1/servers/{enc(NAME)}/versions/1.0.0",
        f"/v0/servers/{enc(NAME)}/versions/1.0.0",
        f"/v0.1/x/io.registrum/servers/{server_id}",
        f"/v0.1/x/io.registrum/servers/{server_id}/versions",
        "/v0.1/x/io.registrum/changes?since=0",
        "/v0/x/io.registrum/changes?since=1&limit=5",
        f"/v0.1/x/io.registrum/servers/{enc(NAME)}/versions/1.0.0/install",
        f"/v0/x/io.registrum/servers/{enc(NAME)}/versions/latest/install?client=vscode",
        "/v0.1/x/io.registrum/search?q=weather&registryType=npm",
        "/v0/x/io.registrum/search",
    ]


def test_every_get_revalidates(client: TestClient, publish) -> None:
    first = publish(server_json(NAME, "1.0.0"))
    server_id = first.json()["_meta"]["io.registrum/registry"]["serverId"]
    tags: dict[str, str] = {}
    for path in paths(server_id):
        r = client.get(path)
        assert r.status_code == 200, (path, r.text)
        etag = r.headers["etag"]
        assert etag.startswith('"'), path  # strong: no W/
        assert r.headers["cache-control"] == "public, no-cache", path
        again = client.get(path, headers={"If-None-Match": etag})
        assert again.status_code == 304, path
        assert again.content == b""
        assert again.headers["etag"] == etag
        # A list of candidates, and the weak form of the same tag, match too (RFC 9110).
        assert client.get(path, headers={"If-None-Match": f'"x", W/{etag}'}).status_code == 304
        assert client.get(path, headers={"If-None-Match": '"other"'}).status_code == 200
        tags[path] = etag
    assert len(set(tags.values())) == len(tags)  # each request its own tag

    # Any write: every path answers 200 again, with a new tag.
    assert publish(server_json("io.github.bob/unrelated")).status_code == 200
    for path, etag in tags.items():
        r = client.get(path, headers={"If-None-Match": etag})
        assert r.status_code == 200, path
        assert r.headers["etag"] != etag
        assert r.content


def test_a_transfer_offer_revalidates_until_it_is_accepted(client, publish, token) -> None:
    assert publish(server_json(NAME)).status_code == 200
    alice = {"Authorization": f"Bearer {token('publish:io.github.alice/*')}"}
    org = {"Authorization": f"Bearer {token('publish:org.example/*')}"}
    offer = client.post(
        f"/v0.1/x/io.registrum/servers/{enc(NAME)}/transfer",
        json={"newName": "org.example/weather"},
        headers=alice,
    ).json()
    path = f"/v0.1/x/io.registrum/transfers/{offer['id']}"
    etag = client.get(path).headers["etag"]
    assert client.get(path, headers={"If-None-Match": etag}).status_code == 304
    accepted = client.post(f"{path}/accept", headers=org)
    assert accepted.status_code == 200
    after = client.get(path, headers={"If-None-Match": etag})
    assert after.status_code == 200
    assert "acceptedAt" in after.json()


def test_not_found_answers_carry_no_etag(client: TestClient) -> None:
    r = client.get(f"/v0.1/servers/{enc(NAME)}/versions")
    assert r.status_code == 404
    assert "etag" not in r.headers
