"""Issue #5's benchmark in one command: generate a registry (cached) and drive it.

    bench/run.sh --size 10k --backend sqlite
    bench/run.sh --size 1M --backend sqlite --workers 2
    bench/run.sh --size 1M --backend postgresql
    bench/run.sh --size 10k --backend postgresql --database-url postgresql://user@127.0.0.1:5432/db

Sizes: 10k = 2,000 servers x 5 versions, 100k = 20,000 x 5, 1M = 100,000 x 10 (or --servers
and --versions). Generated registries are kept under --data-dir (default /tmp/registrum-bench),
keyed by the parameters and by the generator's and the schema's source, so a changed schema
regenerates. Every run drives a copy (publish adds rows): a file copy on SQLite, a
``CREATE DATABASE ... TEMPLATE`` on PostgreSQL. Options it does not know go to bench/drive.py
(--workers, --connections, --duration, --warmup, --no-nginx, --markdown, --json, ...).
Installs wrk and nginx from Debian's packages when missing and running as root.

PostgreSQL without --database-url: a cluster of its own under --data-dir (kept, so the
generated databases are cached like the SQLite files), started for the run on a free loopback
port and stopped afterwards. Unlike the tests' throwaway server it keeps PostgreSQL's
durability defaults (fsync, synchronous commit, full-page writes), so publish pays for a
real commit; see CLUSTER_SETTINGS.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shlex
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Final

from sqlalchemy import text
from sqlalchemy.engine import make_url

from registrum.storage import engine as storage_engine

BENCH: Final = Path(__file__).resolve().parent
ROOT: Final = BENCH.parent
STORAGE: Final = ROOT / "src" / "registrum" / "storage"
# /tmp by default: not in the work tree, and gone with the machine (regenerating is minutes).
DATA_DIR: Final = Path(tempfile.gettempdir()) / "registrum-bench"
SIZES: Final = {"10k": (2_000, 5), "100k": (20_000, 5), "1M": (100_000, 10)}
# A production-shaped server for one box with 24 GiB: durability left at the defaults;
# memory for a 1M-version database; enough connections for several workers' pools.
CLUSTER_SETTINGS: Final = (
    "shared_buffers=2GB",
    "effective_cache_size=8GB",
    "work_mem=16MB",
    "max_connections=200",
)


def parse_size(size: str) -> tuple[int, int]:
    if size in SIZES:
        return SIZES[size]
    units = {"k": 1_000, "K": 1_000, "M": 1_000_000}
    total = int(float(size[:-1]) * units[size[-1]]) if size[-1] in units else int(size)
    per_server = 5 if total <= 100_000 else 10
    return max(1, total // per_server), per_server


def fingerprint() -> str:
    """Changes when the generator, the tables or a migration change: the cache is then stale."""
    digest = hashlib.sha256()
    sources = [BENCH / "generate.py", STORAGE / "tables.py"]
    sources += sorted((STORAGE / "migrations" / "versions").glob("*.py"))
    for path in sources:
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:12]


def ensure_tools(nginx: bool) -> None:
    wanted = {"wrk": shutil.which("wrk")}
    if nginx:
        wanted["nginx"] = shutil.which("nginx") or (
            "/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None
        )
    missing = [name for name, found in wanted.items() if found is None]
    if not missing:
        return
    apt = shutil.which("apt-get")
    if os.geteuid() != 0 or apt is None:
        raise SystemExit(f"missing: {', '.join(missing)}; install Debian's {' '.join(missing)}")
    print(f"installing {' '.join(missing)} from Debian's packages", file=sys.stderr)
    subprocess.run([apt, "update", "-qq"], check=True)
    subprocess.run([apt, "install", "-y", "-qq", *missing], check=True)


def python() -> str:
    return sys.executable


def generate(url: str, meta: Path, servers: int, versions: int, seed: int) -> None:
    argv = [python(), str(BENCH / "generate.py"), "--servers", str(servers)]
    argv += ["--versions", str(versions), "--seed", str(seed)]
    argv += ["--database-url", url, "--meta", str(meta), "--replace"]
    subprocess.run(argv, check=True)


def _remove_sqlite(path: Path) -> None:
    for suffix in ("", "-wal", "-shm"):
        Path(str(path) + suffix).unlink(missing_ok=True)


@contextmanager
def sqlite_copy(source: Path) -> Iterator[str]:
    """A copy to drive: the generator folds the WAL into the file, so one file is enough."""
    copy = source.with_name(f"run-{os.getpid()}-{source.name}")
    _remove_sqlite(copy)
    shutil.copyfile(source, copy)
    try:
        yield f"sqlite:///{copy}"
    finally:
        _remove_sqlite(copy)


@contextmanager
def postgres_copy(url: str) -> Iterator[str]:
    """A database made from the generated one as a template, dropped after the run."""
    parsed = make_url(storage_engine.normalise_url(url))
    name = parsed.database
    run_name = f"{name}_run{os.getpid()}"
    admin = storage_engine.create(url).execution_options(isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{run_name}" TEMPLATE "{name}"'))
    admin.dispose()
    try:
        yield parsed.set(database=run_name).render_as_string(hide_password=False)
    finally:
        admin = storage_engine.create(url).execution_options(isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{run_name}"'))
        admin.dispose()


def _pg_bindir() -> Path:
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/pg_ctl"))
    if not found:
        raise SystemExit("no PostgreSQL server found: install Debian's postgresql package")
    return found[-1].parent


def _as_owner(argv: list[str]) -> list[str]:
    """PostgreSQL will not run as root: as root the cluster belongs to the postgres user."""
    return ["runuser", "-u", "postgres", "--", *argv] if os.geteuid() == 0 else argv


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def own_cluster(data_dir: Path) -> Iterator[str]:
    """Start the benchmark's own cluster (made on first use); yields its admin URL."""
    bindir = _pg_bindir()
    home = data_dir / "postgresql"
    home.mkdir(parents=True, exist_ok=True)
    if os.geteuid() == 0:
        shutil.chown(home, "postgres")
    pgdata = home / "data"
    if not (pgdata / "PG_VERSION").is_file():
        print(f"creating the benchmark's PostgreSQL cluster in {pgdata}", file=sys.stderr)
        initdb = [str(bindir / "initdb"), "-D", str(pgdata), "-U", "registrum", "--auth=trust"]
        initdb += ["--encoding=UTF8", "--locale=C.UTF-8"]
        subprocess.run(_as_owner(initdb), check=True, stdout=subprocess.DEVNULL)
    port = _free_port()
    options = f"-p {port} -k {home} -c listen_addresses=127.0.0.1 "
    options += " ".join(f"-c {setting}" for setting in CLUSTER_SETTINGS)
    pg_ctl = [str(bindir / "pg_ctl"), "-D", str(pgdata), "-l", str(home / "server.log")]
    subprocess.run(
        _as_owner([*pg_ctl, "-w", "-t", "120", "start", "-o", options]),
        check=True,
        stdout=subprocess.DEVNULL,
    )
    try:
        yield f"postgresql://registrum@127.0.0.1:{port}/postgres"
    finally:
        subprocess.run(_as_owner([*pg_ctl, "-m", "fast", "-w", "stop"]), check=False)


def ensure_database(admin_url: str, name: str) -> str:
    """The URL of database ``name`` on the server of ``admin_url``, created when missing."""
    admin = storage_engine.create(admin_url).execution_options(isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        exists = conn.execute(
            text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}
        ).first()
        if exists is None:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return make_url(admin_url).set(database=name).render_as_string(hide_password=False)


def cached(meta: Path, key: dict[str, object]) -> bool:
    if not meta.is_file():
        return False
    known = json.loads(meta.read_text())
    return bool(known.get("cache_key") == key)


def parse_args(argv: Sequence[str] | None) -> tuple[argparse.Namespace, list[str]]:
    p = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0] if __doc__ else None,
        epilog="Other options go to bench/drive.py: see bench/drive.py --help.",
    )
    p.add_argument("--size", default="10k", help="10k, 100k, 1M, or a count like 50k")
    p.add_argument("--servers", type=int, help="overrides --size")
    p.add_argument("--versions", type=int, help="versions per server; overrides --size")
    p.add_argument("--backend", choices=("sqlite", "postgresql"), default="sqlite")
    p.add_argument(
        "--database-url",
        help="postgresql: where to generate (default: the benchmark's own cluster)",
    )
    p.add_argument("--data-dir", type=Path, default=DATA_DIR, help=f"default {DATA_DIR}")
    p.add_argument("--seed", type=int, default=5)
    p.add_argument("--regenerate", action="store_true", help="ignore the cache")
    p.add_argument("--generate-only", action="store_true")
    return p.parse_known_args(argv)


def main(argv: Sequence[str] | None = None) -> None:
    args, drive_args = parse_args(argv)
    if args.backend == "postgresql" and not args.database_url:
        args.data_dir.mkdir(parents=True, exist_ok=True)
        with own_cluster(args.data_dir) as admin_url:
            run(args, drive_args, argv, admin_url)
    else:
        run(args, drive_args, argv, None)


def run(
    args: argparse.Namespace,
    drive_args: list[str],
    argv: Sequence[str] | None,
    cluster_url: str | None,
) -> None:
    servers, versions = parse_size(args.size)
    servers, versions = args.servers or servers, args.versions or versions
    args.data_dir.mkdir(parents=True, exist_ok=True)
    fp = fingerprint()
    stem = f"{args.backend}-{servers}x{versions}-seed{args.seed}-{fp}"
    if args.backend == "sqlite":
        db = args.data_dir / f"{stem}.db"
        url = args.database_url or f"sqlite:///{db}"
    elif cluster_url is not None:
        # The port changes from run to run; the database (named for the data) does not.
        url = ensure_database(cluster_url, f"bench_{servers}x{versions}_s{args.seed}_{fp}")
        stem += "-own"
    else:
        url = args.database_url
        where = make_url(storage_engine.normalise_url(url))
        place = f"{where.host}:{where.port}/{where.database}".encode()
        stem += "-" + hashlib.sha256(place).hexdigest()[:8]
    meta = args.data_dir / f"{stem}.meta.json"
    key: dict[str, object] = {"url": url, "fingerprint": fp}
    if cluster_url is not None:
        key["url"] = f"own cluster/{make_url(url).database}"
    if args.regenerate or not cached(meta, key):
        started = time.perf_counter()
        generate(url, meta, servers, versions, args.seed)
        data = json.loads(meta.read_text())
        data["cache_key"] = key
        meta.write_text(json.dumps(data, indent=2) + "\n")
        print(f"generated in {time.perf_counter() - started:.0f} s", file=sys.stderr)
    else:
        print(f"using the cached registry ({meta})", file=sys.stderr)
    if args.generate_only:
        return
    ensure_tools(nginx="--no-nginx" not in drive_args)
    entry = os.environ.get("REGISTRUM_BENCH_ENTRY", "bench/run.py")
    command = shlex.join([entry, *(argv if argv is not None else sys.argv[1:])])
    label = f"{args.backend}, {servers:,} servers x {versions} versions ({servers * versions:,})"
    if args.backend == "postgresql":
        copy = postgres_copy(url)
    else:
        copy = sqlite_copy(Path(str(make_url(url).database)))
    with copy as run_url:
        argv_drive = [python(), str(BENCH / "drive.py"), "--database-url", run_url]
        argv_drive += ["--meta", str(meta), "--label", label, "--command", command, *drive_args]
        subprocess.run(argv_drive, check=True)


if __name__ == "__main__":
    main()
