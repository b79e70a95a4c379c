"""What a hostile upstream can do to a mirror, and what it no longer can: answer with a
page that never ends (the read stops at MCP_REGISTRY_MIRROR_MAX_PAGE_BYTES, the sync fails
with a message naming the URL and the cap, what was staged before stays), and redirect the
sync to an address behind the mirror (refused when the redirect comes from a public
address; 127.0.0.2 is public here only through MCP_REGISTRY_OUTBOUND_PUBLIC_NETWORKS)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest
from fastapi.testclient import TestClient

from registrum.api.app import create_app
from registrum.core.errors import UpstreamSyncError
from tests.fakes.hostile import HostileServer, redirect_to, stream
from tests.fakes.official_registry import FakeOfficialRegistry
from tests.functional.test_mirror import SERVE_ENV, mirror_registry, served
from tests.processes import new_registry, run_cli

pytestmark = pytest.mark.slow

MIB = 1024 * 1024
CAP = 1 * MIB


def first_page_of(fake: FakeOfficialRegistry, next_cursor: str | None) -> Any:
    """A behaviour answering with the fake's first page, its next cursor replaced."""
    page = httpx.get(f"{fake.url}/v0.1/servers", params={"limit": 100}).json()
    page["metadata"] = {"count": len(page["servers"])}
    if next_cursor:
        page["metadata"]["nextCursor"] = next_cursor
    body = orjson.dumps(page)

    def behave(handler: Any) -> None:
        handler.send_response(200)
        handler.send_header("Content-Type", "application/json")
        handler.send_header("Content-Length", str(len(body)))
        handler.end_headers()
        handler.write(body)

    return behave


def test_a_never_ending_page_stops_at_the_cap_and_what_was_mirrored_stays(
    tmp_path: Path, database_url: str
) -> None:
    with FakeOfficialRegistry() as fake:
        fake.put("com.example/one", "1.0.0")
        fake.put("com.example/two", "1.0.0")
        whole = first_page_of(fake, None)
    both = {("com.example/one", "1.0.0"), ("com.example/two", "1.0.0")}
    with HostileServer("127.0.0.1", whole) as upstream:
        mirror = mirror_registry(tmp_path, database_url=database_url, mirror_max_page_bytes=CAP)
        try:
            service = mirror.context.mirror
            service.add("hostile", upstream.url, "official")
            assert service.sync("hostile").fetched == 2
            upstream.behave(stream(400 * MIB))  # the upstream turns hostile
            with pytest.raises(UpstreamSyncError) as info:
                service.sync("hostile")
            message = str(info.value)
            assert upstream.url in message
            assert "larger than 1,048,576 bytes" in message
            assert "MCP_REGISTRY_MIRROR_MAX_PAGE_BYTES" in message
            assert upstream.sent < 64 * MIB
            assert service.get("hostile").last_error == message
            with TestClient(create_app(mirror.context)) as api:
                assert set(served(api)) == both  # nothing mirrored before is lost
            upstream.behave(whole)  # and once it behaves again, syncs go on
            service.sync("hostile")
            assert service.get("hostile").last_error is None
        finally:
            mirror.close()


def test_the_sync_process_memory_stays_bounded(tmp_path: Path) -> None:
    """`registrum mirror sync` in its own process against a 400 MiB answer: before the cap
    the process grew to about 929 MB; now it reads at most the cap."""
    folder = tmp_path / "m"
    folder.mkdir()
    env = {**SERVE_ENV, "MCP_REGISTRY_MIRROR_MAX_PAGE_BYTES": str(CAP)}
    new_registry(folder, env)
    with HostileServer("127.0.0.1", stream(400 * MIB)) as upstream:
        r = run_cli(
            "mirror", "add", "hostile", upstream.url, "--kind", "official", cwd=folder, env=env
        )
        assert r.returncode == 0, r.stderr
        # The sync runs under a small launcher process and the launcher reports its child's
        # peak memory: a child forked straight from this test process (a large pytest
        # worker) would start its peak at this process's size.
        launcher = (
            "import resource, subprocess, sys\n"
            "code = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL).returncode\n"
            "peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss\n"
            "print(code, peak)\n"
        )
        r = subprocess.run(
            [
                sys.executable,
                "-c",
                launcher,
                sys.executable,
                "-m",
                "registrum",
                "mirror",
                "sync",
                "--quiet",
            ],
            cwd=folder,
            env={**os.environ, **env, "COLUMNS": "200", "NO_COLOR": "1"},
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        code, peak_kib = (int(x) for x in r.stdout.split())
        assert code == 1, r.stderr
        assert "larger than 1,048,576 bytes" in r.stderr
        assert upstream.sent < 64 * MIB
    assert peak_kib < 250 * 1024, f"peak RSS {peak_kib // 1024} MiB"
    listed = run_cli("mirror", "list", cwd=folder, env=env)
    assert "MCP_REGISTRY_MIRROR_MAX_PAGE_BYTES" in listed.stdout


def test_a_redirect_from_a_public_upstream_to_a_private_address_is_refused(
    tmp_path: Path, database_url: str
) -> None:
    with (
        FakeOfficialRegistry() as internal,
        HostileServer("127.0.0.2", redirect_to(internal.url)) as upstream,
    ):
        for i in range(23):
            internal.put(f"com.example/internal-{i}", "1.0.0")
        public = mirror_registry(
            tmp_path, "public", database_url, outbound_public_networks="127.0.0.2"
        )
        try:
            public.context.mirror.add("hostile", upstream.url, "official")
            with pytest.raises(UpstreamSyncError) as info:
                public.context.mirror.sync("hostile")
            assert "after a redirect from a public address" in str(info.value)
            assert "127.0.0.1, a loopback address: the address is not allowed" in str(info.value)
            assert internal.requests == []
        finally:
            public.close()
        # Control: with 127.0.0.2 loopback (as it is), the operator's loopback upstream may
        # redirect within loopback, and the 23 entries come through.
        plain = mirror_registry(tmp_path, "plain", database_url)
        try:
            plain.context.mirror.add("loopback", upstream.url, "official")
            assert plain.context.mirror.sync("loopback").fetched == 23
        finally:
            plain.close()


def test_a_dump_file_over_its_cap_is_a_sync_error(tmp_path: Path) -> None:
    dump = tmp_path / "dump.json"
    dump.write_bytes(b"[" + b" " * (2 * MIB) + b"]")
    mirror = mirror_registry(tmp_path, mirror_max_file_bytes=MIB)
    try:
        mirror.context.mirror.add("dump", str(dump), "file")
        with pytest.raises(UpstreamSyncError, match="MCP_REGISTRY_MIRROR_MAX_FILE_BYTES"):
            mirror.context.mirror.sync("dump")
    finally:
        mirror.close()
