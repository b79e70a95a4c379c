"""Load a real `registrum serve` with wrk and report req/s, p50/p99 and worker RSS per request,
each also as a ratio to two ceilings measured in the same run: the same server's fixed-bytes
route (/v0.1/ping) and nginx serving the list-call page as a static file.

    .venv/bin/python bench/drive.py --database-url sqlite:////tmp/registrum-bench/10k.db

The database should come from bench/generate.py, whose ``<database>.meta.json`` names a deep
cursor and the search terms; without it they are found by walking the list. Publish adds rows:
drive a copy (bench/run.py does). Needs wrk and nginx (Debian packages ``wrk``, ``nginx``).
``--server-env MCP_REGISTRY_RESPONSE_CACHE_BYTES=0`` measures the read path without its cache.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import pwd
import shlex
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Final
from urllib.parse import quote, urlencode

import httpx
from sqlalchemy.engine import make_url

from registrum.core import wire
from registrum.storage import engine as storage_engine

ROOT: Final = Path(__file__).resolve().parents[1]
LIST_CALL: Final = {"limit": "50", "version": "latest"}
MARK: Final = "WRK_JSON "
KEYS: Final = (
    "ping",
    "nginx",
    "list",
    "deep",
    "search-selective",
    "search-common",
    "latest",
    "revalidate",
    "publish",
)

# wrk calls done() once at the end; printing JSON from it saves parsing wrk's human output.
REPORT_LUA: Final = """
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'WRK_JSON {"requests":%d,"duration_us":%d,"bytes":%d,"connect":%d,"read":%d,' ..
    '"write":%d,"status":%d,"timeout":%d,"p50_us":%d,"p99_us":%d,"mean_us":%.1f}\\n',
    summary.requests, summary.duration, summary.bytes, e.connect, e.read, e.write, e.status,
    e.timeout, latency:percentile(50), latency:percentile(99), latency.mean))
end
"""

# Unique (name, version) per request: each thread numbers its own requests and 100 versions go
# to one server, far below the registry's per-server cap. Remotes only: no package to check.
PUBLISH_LUA: Final = """
local schema = "@SCHEMA@"
local counter = 0
local threads = 0
setup = function(thread)
  threads = threads + 1
  thread:set("tid", threads)
end
init = function(args)
  run = args[1]
  wrk.method = "POST"
  wrk.headers["Content-Type"] = "application/json"
end
request = function()
  counter = counter + 1
  local server = string.format("bench-%s-%d-%d", run, tid, math.floor(counter / 100))
  local body = string.format(
    '{"$schema":"%s","name":"io.modelcontextprotocol.anonymous/%s",' ..
    '"description":"Benchmark publish %d","version":"1.0.%d","remotes":' ..
    '[{"type":"streamable-http","url":"https://%s.example.com/mcp"}]}',
    schema, server, counter, counter, server)
  return wrk.format(nil, nil, nil, body)
end
""".replace("@SCHEMA@", wire.CURRENT_SCHEMA_URL)


# --- the machine ----------------------------------------------------------------------------


def _cpu_model() -> str:
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return platform.processor() or "unknown"


def _mem_gib() -> float:
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemTotal:"):
            return int(line.split()[1]) / 1024**2
    return 0.0


def _tool_version(argv: list[str]) -> str:
    if shutil.which(argv[0]) is None:
        return "not installed"  # the mirror benchmark needs neither wrk nor nginx
    done = subprocess.run(argv, capture_output=True, text=True, check=False)
    out = (done.stdout + done.stderr).strip().splitlines()
    return out[0] if out else "unknown"


def _git_commit() -> str:
    git = shutil.which("git")
    if git is None:
        return "unknown"
    head = subprocess.run([git, "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True)
    dirty = subprocess.run([git, "status", "--porcelain"], cwd=ROOT, capture_output=True)
    return head.stdout.decode().strip() + (" + uncommitted changes" if dirty.stdout else "")


def machine(database_url: str) -> dict[str, str]:
    info = {
        "cpu": f"{os.cpu_count()} cores, {_cpu_model()}",
        "memory": f"{_mem_gib():.0f} GiB",
        "kernel": platform.release(),
        "python": f"{platform.python_implementation()} {platform.python_version()}",
        "wrk": _tool_version(["wrk", "-v"]).split(" [")[0],
        "nginx": _tool_version([nginx_binary(), "-v"]).split(": ")[-1],
        "registrum": _git_commit(),
    }
    if make_url(storage_engine.normalise_url(database_url)).get_backend_name() == "sqlite":
        info["database"] = f"SQLite {sqlite3.sqlite_version}"
    else:
        engine = storage_engine.create(database_url)
        with engine.connect() as conn:
            info["database"] = f"PostgreSQL {conn.exec_driver_sql('SHOW server_version').scalar()}"
        engine.dispose()
    return info


def nginx_binary() -> str:
    return shutil.which("nginx") or "/usr/sbin/nginx"


# --- processes ------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_for(url: str, process: subprocess.Popen[bytes], log: Path, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"{url} never came up:\n{log.read_text()[-3000:]}")
        try:
            if httpx.get(url, timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise SystemExit(f"{url} did not answer within {timeout:.0f} s")


def stop(process: subprocess.Popen[bytes], sig: int = signal.SIGTERM) -> None:
    if process.poll() is None:
        process.send_signal(sig)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def children(pid: int) -> list[int]:
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.append(int(stat.parent.name))
    return found


def worker_pids(server_pid: int, workers: int) -> list[int]:
    """The processes that answer requests: the server itself with one worker; uvicorn's
    spawned children (not multiprocessing's resource tracker) with several."""
    if workers == 1:
        return [server_pid]
    pids = []
    for pid in children(server_pid):
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ")
        if b"resource_tracker" not in cmdline:
            pids.append(pid)
    return pids


@contextmanager
def registry_server(
    database_url: str, workers: int, work: Path, extra_env: dict[str, str]
) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    port = free_port()
    env = dict(os.environ)
    env.update(
        {
            "MCP_REGISTRY_DATA_DIR": str(work / "data"),
            # No access log: one line per request would be part of what is measured.
            "MCP_REGISTRY_LOG_LEVEL": "warning",
            # Publish measures the registry, not package registries: checks off.
            "MCP_REGISTRY_ENABLE_REGISTRY_VALIDATION": "false",
            "MCP_REGISTRY_ENABLE_ANONYMOUS_AUTH": "true",
            **extra_env,
        }
    )
    argv = [sys.executable, "-m", "registrum", "serve", "--address", f"127.0.0.1:{port}"]
    argv += ["--database-url", database_url, "--workers", str(workers)]
    log = work / "registrum.log"
    with log.open("wb") as out:
        process = subprocess.Popen(argv, env=env, stdout=out, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_for(f"{base}/v0.1/ping", process, log)
        yield base, process
    finally:
        stop(process, signal.SIGINT)


NGINX_CONF: Final = """
worker_processes {workers};
daemon off;
pid {dir}/nginx.pid;
error_log {dir}/error.log warn;
{user}
events {{ worker_connections 1024; }}
http {{
    access_log off;
    sendfile on;
    tcp_nopush on;
    tcp_nodelay on;
    open_file_cache max=16;
    # uvicorn keeps a connection open for as many requests as it is sent: so does nginx here.
    keepalive_requests 1000000;
    default_type application/json;
    client_body_temp_path {dir}/tmp/body;
    proxy_temp_path {dir}/tmp/proxy;
    fastcgi_temp_path {dir}/tmp/fastcgi;
    uwsgi_temp_path {dir}/tmp/uwsgi;
    scgi_temp_path {dir}/tmp/scgi;
    server {{
        listen 127.0.0.1:{port};
        root {dir}/www;
    }}
}}
"""


@contextmanager
def nginx(page: bytes, workers: int, work: Path) -> Iterator[str]:
    """nginx as a child process serving ``page`` as /page.json on a free loopback port."""
    where = work / "nginx"
    (where / "www").mkdir(parents=True)
    (where / "tmp").mkdir()
    (where / "www" / "page.json").write_bytes(page)
    # Started as root, nginx's workers run as `nobody` unless told otherwise: they must be
    # able to read the page.
    user = f"user {pwd.getpwuid(os.geteuid()).pw_name};" if os.geteuid() == 0 else ""
    port = free_port()
    conf = where / "nginx.conf"
    conf.write_text(NGINX_CONF.format(workers=workers, dir=where, user=user, port=port))
    log = where / "stderr.log"
    with log.open("wb") as out:
        argv = [nginx_binary(), "-c", str(conf), "-p", str(where)]
        process = subprocess.Popen(argv, stdout=out, stderr=subprocess.STDOUT)
    try:
        wait_for(f"http://127.0.0.1:{port}/page.json", process, log, timeout=20)
        yield f"http://127.0.0.1:{port}/page.json"
    finally:
        stop(process, signal.SIGQUIT)


# --- measuring ------------------------------------------------------------------------------


@dataclass
class WrkResult:
    requests: int
    seconds: float
    bytes: int
    errors: int  # connect, read, write, timeout and non-2xx/3xx answers
    non_2xx_3xx: int
    p50_ms: float
    p99_ms: float
    mean_ms: float

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0


@dataclass(frozen=True)
class WrkSettings:
    threads: int
    connections: int
    duration: str
    warmup: str


def run_wrk(
    url: str,
    settings: WrkSettings,
    script: Path,
    headers: Sequence[str] = (),
    args: Sequence[str] = (),
    connections: int | None = None,
    duration: str | None = None,
) -> WrkResult:
    conns = connections or settings.connections
    argv = ["wrk", f"-t{min(settings.threads, conns)}", f"-c{conns}"]
    argv += [f"-d{duration or settings.duration}", "--timeout", "10s", "-s", str(script)]
    for h in headers:
        argv += ["-H", h]
    argv += [url, *(["--", *args] if args else [])]
    done = subprocess.run(argv, capture_output=True, text=True, check=False)
    line = next((x for x in done.stdout.splitlines() if x.startswith(MARK)), None)
    if line is None:
        raise SystemExit(f"wrk gave no result for {url}:\n{done.stdout}\n{done.stderr}")
    r = json.loads(line.removeprefix(MARK))
    return WrkResult(
        requests=r["requests"],
        seconds=r["duration_us"] / 1e6,
        bytes=r["bytes"],
        errors=r["connect"] + r["read"] + r["write"] + r["timeout"] + r["status"],
        non_2xx_3xx=r["status"],
        p50_ms=r["p50_us"] / 1000,
        p99_ms=r["p99_us"] / 1000,
        mean_ms=r["mean_us"] / 1000,
    )


@dataclass
class Rss:
    vm_rss_mb: float
    vm_hwm_mb: float
    rss_anon_mb: float
    rss_file_mb: float
    rss_shmem_mb: float
    database_mapped_mb: float  # Rss of mappings of the database file (and its -wal/-shm)

    @property
    def without_database_mb(self) -> float:
        return self.vm_rss_mb - self.database_mapped_mb


def _status_kb(pid: int) -> dict[str, int]:
    values = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, rest = line.partition(":")
        if rest.strip().endswith("kB"):
            values[key] = int(rest.split()[0])
    return values


def _mapped_kb(pid: int, prefix: str | None) -> int:
    """Rss of the mappings whose file starts with ``prefix`` (from /proc/<pid>/smaps)."""
    if not prefix:
        return 0
    total, inside = 0, False
    for line in Path(f"/proc/{pid}/smaps").read_text().splitlines():
        parts = line.split()
        if parts and "-" in parts[0] and len(parts) >= 5:  # a mapping's header line
            inside = len(parts) >= 6 and parts[5].startswith(prefix)
        elif inside and parts and parts[0] == "Rss:":
            total += int(parts[1])
    return total


def rss(pid: int, database_file: str | None) -> Rss:
    s = _status_kb(pid)
    return Rss(
        vm_rss_mb=s.get("VmRSS", 0) / 1024,
        vm_hwm_mb=s.get("VmHWM", 0) / 1024,
        rss_anon_mb=s.get("RssAnon", 0) / 1024,
        rss_file_mb=s.get("RssFile", 0) / 1024,
        rss_shmem_mb=s.get("RssShmem", 0) / 1024,
        database_mapped_mb=_mapped_kb(pid, database_file) / 1024,
    )


def largest_rss(pids: Sequence[int], database_file: str | None) -> Rss:
    return max((rss(p, database_file) for p in pids), key=lambda r: r.vm_rss_mb)


# --- what is asked ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Hints:
    deep_cursor: str
    selective_term: str
    common_term: str
    sample_name: str
    note: str


def hints_from_meta(meta: dict[str, Any]) -> Hints:
    return Hints(
        deep_cursor=meta["deep_cursor"],
        selective_term=meta["selective_term"],
        common_term=meta["common_term"],
        sample_name=meta["sample_name"],
        note=(
            f"deep cursor at {meta['deep_cursor_position']:.1%} of the latest versions; "
            f"selective term `{meta['selective_term']}` matches "
            f"{meta['selective_matches_latest']} latest version(s), common term "
            f"`{meta['common_term']}` {meta['common_fraction_latest']:.0%} of them"
        ),
    )


def hints_by_walking(base: str) -> Hints:
    """Without the generator's hints: walk the latest versions to find a deep cursor."""
    entries: list[tuple[str, str]] = []
    cursor = None
    with httpx.Client(base_url=base, timeout=60) as client:
        while True:
            params = {"limit": "100", "version": "latest", **({"cursor": cursor} if cursor else {})}
            page = client.get("/v0.1/servers", params=params).json()
            entries += [(s["server"]["name"], s["server"]["version"]) for s in page["servers"]]
            cursor = page["metadata"].get("nextCursor")
            if not cursor:
                break
    if not entries:
        raise SystemExit("the registry is empty")
    deep = entries[max(0, len(entries) - 101)]
    middle = entries[len(entries) // 2][0]
    return Hints(
        deep_cursor=f"{deep[0]}:{deep[1]}",
        selective_term=middle.split("/")[0].rsplit(".", 1)[-1],
        common_term="mcp",
        sample_name=middle,
        note="hints found by walking the list (no generator meta file)",
    )


@dataclass
class Request:
    key: str
    label: str
    path: str
    headers: tuple[str, ...] = ()
    publish: bool = False
    skipped: str | None = None


def list_path(**extra: str) -> str:
    return "/v0.1/servers?" + urlencode({**LIST_CALL, **extra})


def requests_to_make(hints: Hints, etag: str | None, etag_note: str | None) -> list[Request]:
    latest = f"/v0.1/servers/{quote(hints.sample_name, safe='')}/versions/latest"
    revalidate = Request("revalidate", "304 revalidation of the list call", list_path())
    if etag is None or etag_note:
        revalidate.skipped = etag_note or "n/a: no ETag"
    else:
        revalidate.headers = (f"If-None-Match: {etag}",)
    deep = list_path(cursor=hints.deep_cursor)
    return [
        Request("list", "VS Code list call", list_path()),
        Request("deep", "deep page (list call, cursor near the end)", deep),
        Request(
            "search-selective", "search, selective term", list_path(search=hints.selective_term)
        ),
        Request("search-common", "search, common term", list_path(search=hints.common_term)),
        Request("latest", "one server, versions/latest", latest),
        revalidate,
        Request("publish", "publish (remotes only, checks off)", "/v0.1/publish", publish=True),
    ]


def etag_of(base: str) -> tuple[str | None, str | None, bytes]:
    """The list call's ETag and page; a note when the 304 cannot be measured."""
    with httpx.Client(base_url=base, timeout=60) as client:
        first = client.get(list_path())
        first.raise_for_status()
        etag = first.headers.get("etag")
        if etag is None:
            return None, "n/a: no ETag", first.content
        again = client.get(list_path(), headers={"If-None-Match": etag})
        if again.status_code != 304:
            return etag, f"n/a: If-None-Match answered {again.status_code}", first.content
        return etag, None, first.content


def token(base: str) -> str:
    answer = httpx.post(f"{base}/v0.1/auth/none", timeout=30)
    answer.raise_for_status()
    return str(answer.json()[wire.REGISTRY_TOKEN])


# --- the run ----------------------------------------------------------------------------------


@dataclass
class Row:
    label: str
    request: str
    result: WrkResult | None
    rss: Rss | None
    connections: int
    skipped: str | None = None


@dataclass
class Report:
    command: str
    date: str
    machine: dict[str, str]
    settings: WrkSettings
    workers: int
    publish_connections: int
    server_env: dict[str, str]
    database: str
    hints_note: str
    ping: Row | None = None
    nginx: Row | None = None
    rows: list[Row] = field(default_factory=list)
    final_rss: list[Rss] = field(default_factory=list)


def measure(
    url: str, settings: WrkSettings, script: Path, pids: Sequence[int], db: str | None, **kw: Any
) -> tuple[WrkResult, Rss | None]:
    if settings.warmup not in ("", "0", "0s"):
        run_wrk(url, settings, script, duration=settings.warmup, **kw)
    result = run_wrk(url, settings, script, **kw)
    return result, (largest_rss(pids, db) if pids else None)


def drive(args: argparse.Namespace, work: Path) -> Report:
    settings = WrkSettings(args.threads, args.connections, args.duration, args.warmup)
    parsed = make_url(storage_engine.normalise_url(args.database_url))
    db_file = parsed.database if parsed.get_backend_name() == "sqlite" else None
    report_lua = work / "report.lua"
    report_lua.write_text(REPORT_LUA)
    publish_lua = work / "publish.lua"
    publish_lua.write_text(PUBLISH_LUA + REPORT_LUA)
    report = Report(
        command=args.command or shlex.join([Path(sys.argv[0]).as_posix(), *sys.argv[1:]]),
        date=dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        machine=machine(args.database_url),
        settings=settings,
        workers=args.workers,
        publish_connections=args.publish_connections,
        server_env=args.server_env,
        database=args.label or args.database_url,
        hints_note="",
    )
    with registry_server(args.database_url, args.workers, work, args.server_env) as (
        base,
        server,
    ):
        pids = worker_pids(server.pid, args.workers)
        meta = json.loads(args.meta.read_text()) if args.meta and args.meta.is_file() else None
        hints = hints_from_meta(meta) if meta else hints_by_walking(base)
        report.hints_note = hints.note
        etag, etag_note, page = etag_of(base)
        if "ping" in args.only:
            ping, ping_rss = measure(f"{base}/v0.1/ping", settings, report_lua, pids, db_file)
            report.ping = Row(
                "fixed-bytes route", "GET /v0.1/ping", ping, ping_rss, args.connections
            )
        if "nginx" in args.only and not args.no_nginx:
            with nginx(page, args.workers, work) as static:
                result, _ = measure(static, settings, report_lua, [], None)
            request = f"nginx: GET the list-call page as a file ({len(page) / 1024:.1f} KB)"
            report.nginx = Row("nginx static file", request, result, None, args.connections)
        for req in requests_to_make(hints, etag, etag_note):
            if req.key not in args.only:
                continue
            print(f"  measuring: {req.label}", file=sys.stderr, flush=True)
            report.rows.append(measure_one(req, base, settings, work, pids, db_file, args))
        report.final_rss = [rss(p, db_file) for p in pids]
    return report


def measure_one(
    req: Request,
    base: str,
    settings: WrkSettings,
    work: Path,
    pids: Sequence[int],
    db_file: str | None,
    args: argparse.Namespace,
) -> Row:
    method = "POST" if req.publish else "GET"
    shown = f"{method} {req.path}" + "".join(f" ({h.split(':')[0]})" for h in req.headers)
    if req.skipped:
        return Row(req.label, shown, None, None, settings.connections, req.skipped)
    if req.publish:
        headers = (f"Authorization: Bearer {token(base)}",)
        # A run id keeps names unique across the warm-up, this run and earlier runs.
        run_id = f"{int(time.time()) % 100000}{os.getpid() % 1000}"
        if settings.warmup not in ("", "0", "0s"):
            run_wrk(
                base + req.path,
                settings,
                work / "publish.lua",
                headers,
                (run_id + "w",),
                connections=args.publish_connections,
                duration=settings.warmup,
            )
        result = run_wrk(
            base + req.path,
            settings,
            work / "publish.lua",
            headers,
            (run_id,),
            connections=args.publish_connections,
        )
        return Row(req.label, shown, result, largest_rss(pids, db_file), args.publish_connections)
    result, sample = measure(
        base + req.path, settings, work / "report.lua", pids, db_file, headers=req.headers
    )
    return Row(req.label, shown, result, sample, settings.connections)


# --- output -----------------------------------------------------------------------------------


def _ratio(value: float, ceiling: Row | None) -> str:
    if ceiling is None or ceiling.result is None or not ceiling.result.rps:
        return "—"
    return f"{value / ceiling.result.rps:.2f}x"


def _row(row: Row, ping: Row | None, nginx_row: Row | None) -> str:
    if row.result is None:
        return f"| {row.label} | {row.skipped} | | | | | | | | `{row.request}` |"
    r = row.result
    memory = f"{row.rss.rss_anon_mb:.0f} / {row.rss.vm_rss_mb:.0f}" if row.rss else "—"
    size = r.bytes / r.requests / 1024 if r.requests else 0
    return (
        f"| {row.label} | {r.rps:,.0f} | {r.p50_ms:.2f} | {r.p99_ms:.2f} | "
        f"{_ratio(r.rps, ping)} | {_ratio(r.rps, nginx_row)} | {r.errors:,} | {size:.1f} | "
        f"{memory} | `{row.request}` |"
    )


def markdown(report: Report) -> str:
    s = report.settings
    m = report.machine
    lines = [
        f"`{report.command}`",
        "",
        f"- date: {report.date}",
        f"- machine: {m['cpu']}, {m['memory']} RAM, Linux {m['kernel']}; {m['python']}, "
        f"{m['database']}, {m['wrk']}, {m['nginx']}",
        f"- registrum: {m['registrum']}; {report.workers} worker(s); database {report.database}"
        + "".join(f"; `{k}={v}`" for k, v in report.server_env.items()),
        f"- load: `wrk -t{s.threads} -c{s.connections} -d{s.duration}` after a {s.warmup} "
        f"warm-up; publish with {report.publish_connections} connections. "
        "wrk and the server share the same cores.",
        f"- {report.hints_note}",
        "",
        "| request | req/s | p50 ms | p99 ms | x ping | x nginx | errors | KB/resp "
        "| worker RSS MB (anon / total) | path |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |",
    ]
    for ceiling in (report.ping, report.nginx):
        if ceiling is not None:
            lines.append(_row(ceiling, report.ping, report.nginx))
    lines += [_row(r, report.ping, report.nginx) for r in report.rows]
    for n, f in enumerate(report.final_rss):
        lines.append("")
        lines.append(
            f"Worker {n + 1} after the run: VmRSS {f.vm_rss_mb:.1f} MB (peak {f.vm_hwm_mb:.1f}), "
            f"RssAnon {f.rss_anon_mb:.1f}, RssFile {f.rss_file_mb:.1f}, "
            f"RssShmem {f.rss_shmem_mb:.1f}; database file mapped {f.database_mapped_mb:.1f}, "
            f"so {f.without_database_mb:.1f} MB without it."
        )
    return "\n".join(lines) + "\n"


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    p.add_argument("--database-url", required=True)
    p.add_argument("--meta", type=Path, help="the generator's hints (default: <db>.meta.json)")
    p.add_argument("--workers", type=int, default=1)
    p.add_argument("--threads", type=int, default=2, help="wrk threads")
    p.add_argument("--connections", type=int, default=64)
    p.add_argument("--publish-connections", type=int, default=8)
    p.add_argument("--duration", default="10s")
    p.add_argument("--warmup", default="2s", help="wrk warm-up before each measurement")
    p.add_argument("--no-nginx", action="store_true", help="skip the nginx ceiling")
    p.add_argument(
        "--only",
        default=",".join(KEYS),
        type=lambda v: set(v.split(",")),
        help=f"comma-separated subset of {','.join(KEYS)}",
    )
    p.add_argument("--markdown", type=Path, help="also write the Markdown report here")
    p.add_argument("--json", type=Path, help="also write the raw results here")
    p.add_argument("--label", help="how to name the database in the report")
    p.add_argument(
        "--server-env",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="extra environment for registrum serve (repeatable), e.g. a cache setting",
    )
    p.add_argument("--command", help="the command line to print (bench/run.py passes its own)")
    args = p.parse_args(argv)
    args.server_env = dict(item.split("=", 1) for item in args.server_env)
    if args.meta is None:
        parsed = make_url(storage_engine.normalise_url(args.database_url))
        if parsed.get_backend_name() == "sqlite" and parsed.database:
            args.meta = Path(parsed.database + ".meta.json")
    return args


def require_tools(no_nginx: bool) -> None:
    missing = [t for t in ("wrk",) if shutil.which(t) is None]
    if not no_nginx and not Path(nginx_binary()).exists():
        missing.append("nginx")
    if missing:
        raise SystemExit(f"missing: {', '.join(missing)} (apt-get install -y {' '.join(missing)})")


def main(argv: Sequence[str] | None = None) -> Report:
    args = parse_args(argv)
    require_tools(args.no_nginx)
    with tempfile.TemporaryDirectory(prefix="registrum-drive-") as tmp:
        report = drive(args, Path(tmp))
    text = markdown(report)
    print(text)
    if args.markdown:
        args.markdown.write_text(text)
    if args.json:
        args.json.write_text(json.dumps(asdict(report), indent=2, default=str) + "\n")
    return report


if __name__ == "__main__":
    main()
