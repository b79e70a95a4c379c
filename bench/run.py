"""Issue #5's benchmark in one command: generate a registry (cached) and drive it.

    bench/run.sh --size 10k --backend sqlite
    bench/run.sh --size 1M --backend sqlite --workers 2
    bench/run.sh --size 10k --backend postgresql --database-url postgresql://user@127.0.0.1:5432/db

Sizes: 10k = 2,000 servers x 5 versions, 100k = 20,000 x 5, 1M = 100,000 x 10 (or --servers
and --versions). Generated registries are kept under --data-dir (default /tmp/registrum-bench),
keyed by the parameters and by the generator's and the schema's source, so a changed schema
regenerates. Every run drives a copy (publish adds rows): a file copy on SQLite, a
``CREATE DATABASE ... TEMPLATE`` on PostgreSQL. Options it does not know go to bench/drive.py
(--workers, --connections, --duration, --warmup, --no-nginx, --markdown, --json, ...).
Installs wrk and nginx from Debian's packages when missing and running as root.
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
    p.add_argument("--database-url", help="required for postgresql: where to generate")
    p.add_argument("--data-dir", type=Path, default=DATA_DIR, help=f"default {DATA_DIR}")
    p.add_argument("--seed", type=int, default=5)
    p.add_argument("--regenerate", action="store_true", help="ignore the cache")
    p.add_argument("--generate-only", action="store_true")
    return p.parse_known_args(argv)


def main(argv: Sequence[str] | None = None) -> None:
    args, drive_args = parse_args(argv)
    servers, versions = parse_size(args.size)
    servers, versions = args.servers or servers, args.versions or versions
    args.data_dir.mkdir(parents=True, exist_ok=True)
    fp = fingerprint()
    stem = f"{args.backend}-{servers}x{versions}-seed{args.seed}-{fp}"
    if args.backend == "sqlite":
        db = args.data_dir / f"{stem}.db"
        url = args.database_url or f"sqlite:///{db}"
    else:
        if not args.database_url:
            raise SystemExit("--backend postgresql needs --database-url postgresql://...")
        url = args.database_url
        where = make_url(storage_engine.normalise_url(url))
        place = f"{where.host}:{where.port}/{where.database}".encode()
        stem += "-" + hashlib.sha256(place).hexdigest()[:8]
    meta = args.data_dir / f"{stem}.meta.json"
    key: dict[str, object] = {"url": url, "fingerprint": fp}
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
