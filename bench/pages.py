"""The web UI's pages (issue #16), rendered in process through the ASGI app (the API and the
pages, as ``registrum serve`` runs them), with the read cache off and on.

    .venv/bin/python bench/pages.py --database-url sqlite:////tmp/registrum-bench/search.db

Each page is requested ``--warmup`` times, then ``--repeat`` times, through Starlette's test
client: with the response cache off (every request renders: what the target is about), then
with it on (64 MiB; a repeated page is answered from the cache). Median and p95 in
milliseconds.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import statistics
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any
from urllib.parse import quote

from fastapi.testclient import TestClient
from sqlalchemy.engine import make_url

from registrum.server.settings import Settings
from registrum.server.wiring import build
from registrum.web.site import create_site

CACHE_BYTES = 64 * 1024 * 1024
SEED = "11" * 32


def _time(run: Callable[[], Any], warmup: int, repeat: int) -> tuple[float, float]:
    """Median and p95 of ``repeat`` runs after ``warmup``, in milliseconds."""
    for _ in range(warmup):
        run()
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        run()
        samples.append((time.perf_counter() - started) * 1000)
    samples.sort()
    p95 = samples[min(len(samples) - 1, round(0.95 * (len(samples) - 1)))]
    return statistics.median(samples), p95


def _pages(meta: dict[str, Any]) -> list[tuple[str, str]]:
    common = meta.get("common_term", "server")
    selective = meta.get("selective_term", "zzz")
    name = meta.get("sample_name", "com.example/search-server")
    return [
        ("`/` (home: blank query, facets, recent servers)", "/"),
        (f"`/?q={common}` (common term)", f"/?q={quote(common)}"),
        (f"`/?q={selective}` (selective term)", f"/?q={quote(selective)}"),
        ("`/?registryType=npm` (a filter alone)", "/?registryType=npm"),
        ("`/servers/{name}`", f"/servers/{name}"),
    ]


def main(argv: Sequence[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    p.add_argument("--database-url", required=True)
    p.add_argument("--meta", type=Path, help="the generator's hints (default: next to a file)")
    p.add_argument("--warmup", type=int, default=3)
    p.add_argument("--repeat", type=int, default=30)
    p.add_argument("--json", type=Path, help="write the results here too")
    args = p.parse_args(argv)
    url = make_url(args.database_url)
    meta_path = args.meta
    if meta_path is None and url.get_backend_name() == "sqlite" and url.database:
        meta_path = Path(url.database + ".meta.json")
    meta = json.loads(meta_path.read_text()) if meta_path and meta_path.exists() else {}
    settings = Settings(
        data_dir=Path(tempfile.gettempdir()) / "registrum-bench-pages",
        database_url=args.database_url,
        jwt_private_key=SEED,
        enable_anonymous_auth=True,
        response_cache_bytes=0,
    )
    registry = build(settings)
    cached = dataclasses.replace(registry.context, response_cache_bytes=CACHE_BYTES)
    results = []
    with (
        TestClient(create_site(registry.context)) as uncached_client,
        TestClient(create_site(cached)) as cached_client,
    ):
        for label, path in _pages(meta):
            row: dict[str, Any] = {"page": label, "path": path}
            for key, client in (("uncached", uncached_client), ("cached", cached_client)):

                def get(client: TestClient = client, path: str = path) -> None:
                    r = client.get(path)
                    assert r.status_code == 200, (path, r.status_code, r.text[:300])

                median, p95 = _time(get, args.warmup, args.repeat)
                row[f"{key}_median_ms"] = round(median, 1)
                row[f"{key}_p95_ms"] = round(p95, 1)
            results.append(row)
            print(
                f"| {label} | {row['uncached_median_ms']} / {row['uncached_p95_ms']} | "
                f"{row['cached_median_ms']} / {row['cached_p95_ms']} |",
                flush=True,
            )
    registry.close()
    if args.json:
        args.json.write_text(json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    main()
