"""One live server per remote URL (the official rule); a deleted server releases its URLs."""

from __future__ import annotations

import pytest

from tests.conftest import auth
from tests.factories import PREFIXES, enc, remote, server_json

URL = "https://mcp.example.com/mcp"
A, B = "io.github.alice/weather", "io.github.bob/weather"


def _doc(name, version="1.0.0", url=URL, **members):
    return server_json(name=name, version=version, remotes=[remote(url)], **members)


@pytest.fixture
def admin(token):
    return auth(token("publish:*", "edit:*"))


def _status(client, admin, name, status, version=None, prefix="/v0.1"):
    path = f"{prefix}/servers/{enc(name)}"
    path += f"/versions/{enc(version)}/status" if version else "/status"
    return client.patch(path, json={"status": status}, headers=admin)


@pytest.mark.parametrize("prefix", PREFIXES)
def test_a_second_server_cannot_take_a_live_remote_url(client, admin, publish, prefix):
    assert publish(_doc(A)).status_code == 200
    r = client.post(f"{prefix}/publish", json=_doc(B), headers=admin)
    assert r.status_code == 400
    body = r.json()
    assert body["detail"] == f"remote URL {URL} is already used by server {A}"
    assert body["errors"][0]["location"] == "body.remotes[0].url"
    assert client.get(f"{prefix}/servers/{enc(B)}/versions").status_code == 404


def test_other_versions_of_the_same_server_may_reuse_it(publish):
    assert publish(_doc(A, "1.0.0")).status_code == 200
    assert publish(_doc(A, "1.1.0")).status_code == 200


# Other spellings of URL: the same endpoint, so the same owner.
SAME_ADDRESS = [
    "https://MCP.EXAMPLE.COM/mcp",
    "https://mcp.example.com/mcp/",
    "https://mcp.example.com:443/mcp",
    "https://mcp.example.com/%6d%63%70",
    "https://mcp.example.com/x/../mcp",
    "https://mcp.example.com/mcp#tools",
    "https://mcp.example.com/mcp?",
]


@pytest.mark.parametrize("url", SAME_ADDRESS)
def test_another_spelling_of_a_taken_url_is_refused(client, admin, publish, url):
    assert publish(_doc(A)).status_code == 200
    r = client.post("/v0.1/publish", json=_doc(B, url=url), headers=admin)
    assert r.status_code == 400, r.text
    assert r.json()["detail"] == f"remote URL {url} is already used by server {A}"
    # the owner keeps publishing under any spelling, and its document keeps its own
    assert publish(_doc(A, "1.1.0", url=url)).status_code == 200
    got = client.get(f"/v0.1/servers/{enc(A)}/versions/1.1.0").json()
    assert got["server"]["remotes"][0]["url"] == url


def test_internationalised_hosts_compare_in_their_ascii_form(publish):
    assert publish(_doc(A, url="https://bücher.example.com/mcp")).status_code == 200
    r = publish(_doc(B, url="https://xn--bcher-kva.example.com/mcp"))
    assert r.status_code == 400, r.text


@pytest.mark.parametrize(
    "url",
    [
        "https://mcp.example.com/mcp2",
        "https://mcp.example.com/MCP",
        "http://mcp.example.com/mcp",
        "https://mcp.example.com:8443/mcp",
        "https://mcp.example.com/mcp?tenant=b",
        "https://mcp.example.com/mcp%2F",
    ],
)
def test_a_different_address_is_free(publish, url):
    assert publish(_doc(A)).status_code == 200
    assert publish(_doc(B, url=url)).status_code == 200


def test_deleting_a_server_releases_its_urls(client, admin, publish):
    assert publish(_doc(A)).status_code == 200
    assert _status(client, admin, A, "deleted").status_code == 200
    assert publish(_doc(B)).status_code == 200


@pytest.mark.parametrize("bulk", [False, True])
def test_restoring_a_version_whose_url_was_taken_is_refused(client, admin, publish, bulk):
    assert publish(_doc(A)).status_code == 200
    assert _status(client, admin, A, "deleted").status_code == 200
    assert publish(_doc(B)).status_code == 200
    r = _status(client, admin, A, "active", None if bulk else "1.0.0")
    assert r.status_code == 400
    assert f"already used by server {B}" in r.json()["detail"]
    # nothing changed: A is still deleted
    got = client.get(f"/v0.1/servers/{enc(A)}/versions/1.0.0", params={"include_deleted": "true"})
    assert got.json()["_meta"]["io.modelcontextprotocol.registry/official"]["status"] == "deleted"
    # deprecating a deleted version is a restore too
    assert _status(client, admin, A, "deprecated", "1.0.0").status_code == 400


def test_the_admin_edit_cannot_take_another_servers_url(client, admin, publish):
    assert publish(_doc(A)).status_code == 200
    assert publish(_doc(B, url="https://other.example.com/mcp")).status_code == 200
    r = client.put(f"/v0.1/servers/{enc(B)}/versions/1.0.0", json=_doc(B), headers=admin)
    assert r.status_code == 400
    # and an edit that drops a URL releases it
    r = client.put(
        f"/v0.1/servers/{enc(A)}/versions/1.0.0", json=server_json(name=A), headers=admin
    )
    assert r.status_code == 200
    r = client.put(f"/v0.1/servers/{enc(B)}/versions/1.0.0", json=_doc(B), headers=admin)
    assert r.status_code == 200


def test_import_keeps_a_conflicting_item_and_records_the_clash(registry, client, publish):
    """Publishing refuses a URL another live server holds; an import keeps what the source
    served (both servers) and records the clash on the version that found the URL taken."""
    result = registry.context.importer.import_items([_doc(A), _doc(B), _doc(A, "2.0.0")])
    assert result.added == 3
    assert result.rejected == []
    # B found A's URL taken; A 2.0.0 then found B holding it too
    assert result.deviations == {"remote-url-taken": 2}
    first = client.get(f"/v0.1/servers/{enc(A)}/versions/1.0.0").json()
    assert "warnings" not in first["_meta"]["io.registrum/registry"]
    clash = client.get(f"/v0.1/servers/{enc(B)}/versions/1.0.0").json()
    warnings = clash["_meta"]["io.registrum/registry"]["warnings"]
    assert [(w["rule"], w["path"]) for w in warnings] == [("remote-url-taken", "remotes[0].url")]
    assert A in warnings[0]["message"]
    # publishing still keeps the rule for new servers
    r = publish(_doc("io.github.carol/weather"))
    assert r.status_code == 400
    assert r.json()["errors"][0]["location"] == "body.remotes[0].url"


def test_import_records_a_clash_between_two_spellings(registry, client):
    result = registry.context.importer.import_items(
        [_doc(A), _doc(B, url="https://Mcp.Example.com:443/mcp/")]
    )
    assert result.added == 2
    assert result.deviations == {"remote-url-taken": 1}
    clash = client.get(f"/v0.1/servers/{enc(B)}/versions/1.0.0").json()
    assert clash["server"]["remotes"][0]["url"] == "https://Mcp.Example.com:443/mcp/"
    warnings = clash["_meta"]["io.registrum/registry"]["warnings"]
    assert [(w["rule"], w["path"]) for w in warnings] == [("remote-url-taken", "remotes[0].url")]
