"""The ``registrum`` command as a user runs it: real processes, real files, real HTTP."""

from __future__ import annotations

import json
from urllib.parse import quote

import httpx
import pytest

from tests.factories import ANON, npm_package, server_json
from tests.processes import run_cli, serving

pytestmark = pytest.mark.slow


def test_validate_prints_every_problem_with_its_path(tmp_path):
    doc = server_json(
        name="bad name",
        description="x" * 101,
        packages=[npm_package(version="latest", packageArguments=[{"type": "positional"}])],
    )
    (tmp_path / "server.json").write_text(json.dumps(doc))
    result = run_cli("validate", cwd=tmp_path)
    assert result.returncode == 1
    out = result.stdout
    for path in (
        "name:",
        "description:",
        "packages[0].version:",
        "packages[0].packageArguments[0]:",
    ):
        assert path in out, out
    assert "4 problems to fix" in out


def test_validate_accepts_a_valid_file_and_names_it(tmp_path):
    (tmp_path / "s.json").write_text(json.dumps(server_json()))
    result = run_cli("validate", "s.json", cwd=tmp_path)
    assert result.returncode == 0, result.stdout
    assert "io.github.alice/weather 1.0.0" in result.stdout


def test_validate_reports_malformed_json_and_missing_file(tmp_path):
    (tmp_path / "s.json").write_text("{ not json")
    bad = run_cli("validate", "s.json", cwd=tmp_path)
    assert bad.returncode == 1
    assert "not valid JSON" in bad.stdout
    missing = run_cli("validate", "nope.json", cwd=tmp_path)
    assert missing.returncode == 2
    assert "no such file" in missing.stdout


def test_a_bad_setting_stops_serve_with_a_message_naming_it(tmp_path):
    result = run_cli("serve", cwd=tmp_path, env={"MCP_REGISTRY_JWT_PRIVATE_KEY": "abc"})
    assert result.returncode == 2
    assert "MCP_REGISTRY_JWT_PRIVATE_KEY" in result.stderr
    result = run_cli("serve", cwd=tmp_path, env={"MCP_REGISTRY_SERVER_ADDRESS": "nowhere"})
    assert result.returncode == 2
    assert "MCP_REGISTRY_SERVER_ADDRESS" in result.stderr
    assert "host:port" in result.stderr


def test_import_file_then_export_round_trips(tmp_path):
    items = [server_json(version=f"1.{i}.0") for i in range(5)] + [{"name": "nope"}]
    (tmp_path / "seed.json").write_text(json.dumps(items))
    first = run_cli("import", "seed.json", cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    assert "imported 5 new version(s); 0 already present; 1 rejected" in first.stderr
    assert "rejected item 5" in first.stderr
    again = run_cli("import", "seed.json", cwd=tmp_path)
    assert "imported 0 new version(s); 5 already present" in again.stderr
    exported = run_cli("export", "-o", "dump.json", cwd=tmp_path)
    assert exported.returncode == 0, exported.stderr
    dump = json.loads((tmp_path / "dump.json").read_text())
    assert sorted(d["server"]["version"] for d in dump) == [f"1.{i}.0" for i in range(5)]
    assert [d["_meta"]["io.modelcontextprotocol.registry/official"]["isLatest"] for d in dump] == [
        False,
        False,
        False,
        False,
        True,
    ]
    fresh = tmp_path / "fresh"
    fresh.mkdir()
    back = run_cli("import", str(tmp_path / "dump.json"), cwd=fresh)
    assert "imported 5 new version(s)" in back.stderr
    again = run_cli("export", cwd=fresh)
    assert json.loads(again.stdout) == dump


def test_import_reports_an_unreadable_source(tmp_path):
    (tmp_path / "x.json").write_text('{"not": "a list"}')
    result = run_cli("import", "x.json", cwd=tmp_path)
    assert result.returncode == 2
    assert "expected a JSON array" in result.stderr
    result = run_cli("import", "missing.json", cwd=tmp_path)
    assert result.returncode == 2
    assert "no such file" in result.stderr


def test_serve_publish_and_read_back_as_the_readme_shows(tmp_path):
    with serving(tmp_path) as (base, log):
        assert "anonymous auth is ENABLED" in log.read_text()
        token = httpx.post(f"{base}/v0.1/auth/none").json()["registry_token"]
        doc = server_json(name=f"{ANON}/weather")
        r = httpx.post(f"{base}/v0/publish", json=doc, headers={"Authorization": f"Bearer {token}"})
        assert r.status_code == 200, r.text
        for prefix in ("/v0", "/v0.1"):
            listed = httpx.get(f"{base}{prefix}/servers", params={"search": "weather"}).json()
            assert [s["server"]["name"] for s in listed["servers"]] == [doc["name"]]
            enc = quote(doc["name"], safe="")
            latest = httpx.get(f"{base}{prefix}/servers/{enc}/versions/latest").json()
            assert latest["server"] == doc
            versions = httpx.get(f"{base}{prefix}/servers/{enc}/versions").json()
            assert versions["metadata"]["count"] == 1


def test_import_from_another_registrys_servers_url(tmp_path):
    upstream, downstream = tmp_path / "up", tmp_path / "down"
    upstream.mkdir()
    downstream.mkdir()
    items = [server_json(name=f"io.github.u{i:03d}/srv", version="1.0.0") for i in range(250)]
    (upstream / "seed.json").write_text(json.dumps(items))
    assert run_cli("import", "seed.json", cwd=upstream).returncode == 0
    with serving(upstream) as (base, _):
        result = run_cli("import", f"{base}/v0.1/servers", cwd=downstream)
    assert result.returncode == 0, result.stderr
    assert "imported 250 new version(s)" in result.stderr
    dump = json.loads(run_cli("export", cwd=downstream).stdout)
    assert sorted(d["server"]["name"] for d in dump) == sorted(i["name"] for i in items)


def test_validate_refuses_a_number_it_cannot_keep_exactly(tmp_path):
    text = json.dumps(server_json(_meta={"x": {"count": 0}})).replace(
        '"count": 0', '"count": 18446744073709551616'
    )
    (tmp_path / "server.json").write_text(text)
    result = run_cli("validate", cwd=tmp_path)
    assert result.returncode == 1
    assert "_meta.x.count" in result.stdout
    assert "cannot be kept exactly" in result.stdout
