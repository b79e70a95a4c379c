"""GET /servers/{name}/versions and /servers/{name}/versions/{version}: the official read
endpoints of one server, with names and versions as encoded path segments."""

from __future__ import annotations

from typing import Any

import pytest

from registrum.core.wire import OFFICIAL_META as OFFICIAL
from registrum.core.wire import REGISTRUM_META as REGISTRUM
from tests.conftest import auth
from tests.factories import PREFIXES, assert_problem, enc, official, server_json, ts

NAME = "io.github.alice/weather"


def _seed(publish: Any, *versions: str, name: str = NAME) -> dict[str, dict[str, Any]]:
    out = {}
    for version in versions:
        r = publish(server_json(name=name, version=version))
        assert r.status_code == 200, r.text
        out[version] = r.json()
    return out


def _set_status(client: Any, jwt: str, version: str, status: str, name: str = NAME) -> None:
    r = client.patch(
        f"/v0.1/servers/{enc(name)}/versions/{enc(version)}/status",
        json={"status": status},
        headers=auth(jwt),
    )
    assert r.status_code == 200, r.text


def _frozen(item: dict[str, Any]) -> dict[str, Any]:
    """A ServerResponse without isLatest, which later publishes may move, nor the seq of the
    version's last change, which moves with it (the flag moving is a change: ADR 0015)."""
    meta = {k: v for k, v in official(item).items() if k != "isLatest"}
    ids = {k: v for k, v in item["_meta"][REGISTRUM].items() if k != "seq"}
    return {
        "server": item["server"],
        "_meta": dict(item["_meta"], **{OFFICIAL: meta, REGISTRUM: ids}),
    }


def _versions(body: dict[str, Any]) -> list[str]:
    return [s["server"]["version"] for s in body["servers"]]


# --- /versions ------------------------------------------------------------------------------


@pytest.mark.parametrize("prefix", PREFIXES)
def test_versions_newest_publication_first(client, publish, prefix):
    order = ["1.5.0", "1.0.0", "2.0.0", "0.9.0", "nightly"]
    published = _seed(publish, *order)
    _seed(publish, "3.0.0", name="io.github.alice/other")
    r = client.get(f"{prefix}/servers/{enc(NAME)}/versions")
    assert r.status_code == 200, r.text
    body = r.json()
    assert _versions(body) == list(reversed(order))
    stamps = [ts(official(s)["publishedAt"]) for s in body["servers"]]
    assert stamps == sorted(stamps, reverse=True)
    assert body["metadata"] == {"count": len(order)}
    # Each item is the same ServerResponse the publish answered.
    by_version = {s["server"]["version"]: _frozen(s) for s in body["servers"]}
    assert by_version == {v: _frozen(item) for v, item in published.items()}
    assert [official(s)["isLatest"] for s in body["servers"]] == [False, False, True, False, False]


@pytest.mark.parametrize("prefix", PREFIXES)
def test_versions_of_unknown_server_is_404(client, publish, prefix):
    _seed(publish, "1.0.0")
    r = client.get(f"{prefix}/servers/{enc('io.github.alice/nothing')}/versions")
    assert_problem(r, 404, "Server not found")


@pytest.mark.parametrize("prefix", PREFIXES)
def test_versions_hides_deleted_unless_include_deleted(client, publish, token, prefix):
    jwt = token("publish:io.github.alice/*")
    _seed(publish, "1.0.0", "2.0.0", "3.0.0")
    _set_status(client, jwt, "2.0.0", "deleted")
    url = f"{prefix}/servers/{enc(NAME)}/versions"
    assert _versions(client.get(url).json()) == ["3.0.0", "1.0.0"]
    assert _versions(client.get(url, params={"include_deleted": "false"}).json()) == [
        "3.0.0",
        "1.0.0",
    ]
    everything = client.get(url, params={"include_deleted": "true"}).json()
    assert _versions(everything) == ["3.0.0", "2.0.0", "1.0.0"]
    assert everything["metadata"]["count"] == 3
    assert official(everything["servers"][1])["status"] == "deleted"


@pytest.mark.parametrize("prefix", PREFIXES)
def test_versions_of_all_deleted_server_is_404_unless_include_deleted(
    client, publish, token, prefix
):
    jwt = token("publish:io.github.alice/*")
    _seed(publish, "1.0.0", "2.0.0")
    for version in ("1.0.0", "2.0.0"):
        _set_status(client, jwt, version, "deleted")
    url = f"{prefix}/servers/{enc(NAME)}/versions"
    assert_problem(client.get(url), 404, "Server not found")
    r = client.get(url, params={"include_deleted": "true"})
    assert r.status_code == 200
    assert _versions(r.json()) == ["2.0.0", "1.0.0"]


# --- /versions/{version} ----------------------------------------------------------------------


@pytest.mark.parametrize("prefix", PREFIXES)
def test_get_exact_version(client, publish, prefix):
    published = _seed(publish, "1.0.0", "2.0.0")
    for version in ("1.0.0", "2.0.0"):
        r = client.get(f"{prefix}/servers/{enc(NAME)}/versions/{version}")
        assert r.status_code == 200, r.text
        assert r.headers["content-type"].startswith("application/json")
        assert _frozen(r.json()) == _frozen(published[version])
        assert official(r.json())["isLatest"] is (version == "2.0.0")


@pytest.mark.parametrize("prefix", PREFIXES)
def test_get_latest(client, publish, prefix):
    published = _seed(publish, "2.0.0", "1.0.0", "1.9.9")
    r = client.get(f"{prefix}/servers/{enc(NAME)}/versions/latest")
    assert r.status_code == 200, r.text
    assert r.json()["server"]["version"] == "2.0.0"
    assert official(r.json())["isLatest"] is True
    assert r.json()["_meta"] == published["2.0.0"]["_meta"]


@pytest.mark.parametrize("prefix", PREFIXES)
@pytest.mark.parametrize(
    ("name", "version"),
    [("io.github.alice/nothing", "1.0.0"), (NAME, "9.9.9"), ("io.github.alice/nothing", "latest")],
)
def test_get_unknown_is_404(client, publish, prefix, name, version):
    _seed(publish, "1.0.0")
    r = client.get(f"{prefix}/servers/{enc(name)}/versions/{version}")
    assert_problem(r, 404, "Server not found")


@pytest.mark.parametrize("prefix", PREFIXES)
def test_deleted_version_is_404_unless_include_deleted(client, publish, token, prefix):
    jwt = token("publish:io.github.alice/*")
    _seed(publish, "1.0.0", "2.0.0")
    _set_status(client, jwt, "1.0.0", "deleted")
    url = f"{prefix}/servers/{enc(NAME)}/versions/1.0.0"
    assert_problem(client.get(url), 404, "Server not found")
    assert_problem(client.get(url, params={"include_deleted": "false"}), 404, "Server not found")
    r = client.get(url, params={"include_deleted": "true"})
    assert r.status_code == 200, r.text
    assert official(r.json())["status"] == "deleted"
    # A deprecated version is still served.
    _set_status(client, jwt, "2.0.0", "deprecated")
    r = client.get(f"{prefix}/servers/{enc(NAME)}/versions/2.0.0")
    assert r.status_code == 200
    assert official(r.json())["status"] == "deprecated"


@pytest.mark.parametrize("prefix", PREFIXES)
def test_version_with_build_metadata_sent_as_percent_2b(client, publish, prefix):
    _seed(publish, "1.0.0+build.5", "1.0.0+build.6")
    r = client.get(f"{prefix}/servers/{enc(NAME)}/versions/1.0.0%2Bbuild.5")
    assert r.status_code == 200, r.text
    assert r.json()["server"]["version"] == "1.0.0+build.5"
    # A literal '+' in a path is not a space: it names the same version.
    r = client.get(f"{prefix}/servers/{enc(NAME)}/versions/1.0.0+build.6")
    assert r.status_code == 200, r.text
    assert r.json()["server"]["version"] == "1.0.0+build.6"
    assert_problem(client.get(f"{prefix}/servers/{enc(NAME)}/versions/1.0.0"), 404)


@pytest.mark.parametrize("prefix", PREFIXES)
def test_name_sent_encoded_or_unencoded(client, publish, prefix):
    published = _seed(publish, "1.0.0")
    for name in ("io.github.alice%2Fweather", "io.github.alice%2fweather", NAME):
        r = client.get(f"{prefix}/servers/{name}/versions/1.0.0")
        assert r.status_code == 200, (name, r.text)
        assert r.json() == published["1.0.0"]
        r = client.get(f"{prefix}/servers/{name}/versions/latest")
        assert r.status_code == 200, (name, r.text)
        assert r.json()["server"]["version"] == "1.0.0"
        r = client.get(f"{prefix}/servers/{name}/versions")
        assert r.status_code == 200, (name, r.text)
        assert _versions(r.json()) == ["1.0.0"]


@pytest.mark.parametrize("prefix", PREFIXES)
def test_other_percent_escapes_in_a_name_are_decoded(client, publish, prefix):
    _seed(publish, "1.0.0")
    r = client.get(f"{prefix}/servers/io%2Egithub%2Ealice%2Fweather/versions/1%2E0%2E0")
    assert r.status_code == 200, r.text
    assert r.json()["server"]["name"] == NAME


@pytest.mark.parametrize("prefix", PREFIXES)
@pytest.mark.parametrize(
    ("path", "detail"),
    [
        ("io.github.alice%zzweather/versions/1.0.0", "Invalid server name encoding"),
        ("io.github.alice%2/versions/1.0.0", "Invalid server name encoding"),
        ("io.github.alice%zzweather/versions", "Invalid server name encoding"),
        ("io.github.alice%2Fweather/versions/1.0.0%zz", "Invalid version encoding"),
    ],
)
def test_bad_percent_encoding_is_400(client, publish, prefix, path, detail):
    _seed(publish, "1.0.0")
    r = client.get(f"{prefix}/servers/{path}")
    assert_problem(r, 400, detail)
