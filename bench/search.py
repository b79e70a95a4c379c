"""Ranked search with facets (issue #16), in process: the service and the API route.

    .venv/bin/python bench/generate.py --servers 100000 --versions 2 \\
        --database-url sqlite:////tmp/registrum-bench/search.db
    .venv/bin/python bench/search.py --database-url sqlite:////tmp/registrum-bench/search.db

Each query is run ``--warmup`` times, then ``--repeat`` times, through
``SearchService.search`` (the store's indexed search, what the API and the web pages call)
and through ``GET /v0.1/x/io.registrum/search`` on the app in process (Starlette's test
client, the response cache off, so every request reaches the route); median and p95 in
milliseconds. Then every statement a search ran is explained on the backend
(``EXPLAIN QUERY PLAN`` / ``EXPLAIN``), and a plan that reads ``server_versions`` other than
by its primary key, or scans a table the search does not have to read whole, is reported.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy.engine import make_url

from registrum.api.app import create_app
from registrum.core.search import Filters, SearchQuery
from registrum.server.settings import Settings
from registrum.server.wiring import build

SEED = "11" * 32


def _queries(meta: dict[str, Any]) -> list[tuple[str, SearchQuery, dict[str, str]]]:
    selective = meta.get("selective_term", "zzz")
    common = meta.get("common_term", "server")
    return [
        ("blank query, facets (home page)", SearchQuery(), {}),
        (f"selective term `{selective}`", SearchQuery(text=selective), {"q": selective}),
        (f"common term `{common}`", SearchQuery(text=common), {"q": common}),
        (
            "blank query, registryType=npm",
            SearchQuery(filters=Filters(registry_type="npm")),
            {"registryType": "npm"},
        ),
        (
            f"common term `{common}`, registryType=npm",
            SearchQuery(text=common, filters=Filters(registry_type="npm")),
            {"q": common, "registryType": "npm"},
        ),
        ("short term `ai`", SearchQuery(text="ai"), {"q": "ai"}),
    ]


def _time(run: Callable[[], Any], warmup: int, repeat: int) -> tuple[float, float]:
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


class Recording:
    """The statements the read line runs, for EXPLAIN."""

    def __init__(self, reads: Any) -> None:
        self.statements: list[tuple[str, dict[str, Any]]] = []
        self._rows = reads.rows
        reads.rows = self

    def __call__(self, sql: str, params: dict[str, Any] | None = None) -> list[Any]:
        self.statements.append((sql, dict(params or {})))
        return self._rows(sql, params)  # type: ignore[no-any-return]


def _explain(store: Any, sql: str, params: dict[str, Any]) -> list[str]:
    reads = store.reads
    if reads.dialect.name == "sqlite":
        rows = reads.rows_unrecorded(f"EXPLAIN QUERY PLAN {sql}", params)
        return [str(r[3]) for r in rows]
    rows = reads.rows_unrecorded(f"EXPLAIN {sql}", params)
    return [str(r[0]) for r in rows]


def _full_scans(plan: Sequence[str]) -> list[str]:
    bad = []
    for line in plan:
        text = line.strip()
        if "server_versions" in text and ("SCAN" in text or "Seq Scan" in text):
            bad.append(text)
    return bad


def main(argv: Sequence[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    p.add_argument("--database-url", required=True)
    p.add_argument("--meta", type=Path, help="the generator's hints (default: next to a file)")
    p.add_argument("--warmup", type=int, default=3)
    p.add_argument("--repeat", type=int, default=30)
    p.add_argument("--plans", action="store_true", help="print every plan")
    p.add_argument("--json", type=Path, help="write the results here too")
    args = p.parse_args(argv)
    meta_path = args.meta
    url = make_url(args.database_url)
    if meta_path is None and url.get_backend_name() == "sqlite" and url.database:
        meta_path = Path(url.database + ".meta.json")
    meta = json.loads(meta_path.read_text()) if meta_path and meta_path.exists() else {}
    settings = Settings(
        data_dir=Path(tempfile.gettempdir()) / "registrum-bench-search",
        database_url=args.database_url,
        jwt_private_key=SEED,
        enable_anonymous_auth=True,
        response_cache_bytes=0,
    )
    registry = build(settings)
    store = registry.store
    service = registry.context.search
    counts = store.reads.rows("SELECT count(*) FROM search_entries", {})[0][0]
    versions = store.reads.rows("SELECT count(*) FROM server_versions", {})[0][0]
    print(f"{url.get_backend_name()}: {counts:,} servers in search, {versions:,} versions")
    results = []
    with TestClient(create_app(registry.context), raise_server_exceptions=True) as client:
        for label, query, params in _queries(meta):
            page = service.search(query)
            service_ms = _time(lambda q=query: service.search(q), args.warmup, args.repeat)

            def call(params: dict[str, str] = params) -> None:
                r = client.get("/v0.1/x/io.registrum/search", params=params)
                assert r.status_code == 200, r.text

            api_ms = _time(call, args.warmup, args.repeat)
            recording = Recording(store.reads)
            try:
                service.search(query)
            finally:
                store.reads.rows = recording._rows
            store.reads.rows_unrecorded = recording._rows
            scans = []
            for sql, sql_params in recording.statements:
                plan = _explain(store, sql, sql_params)
                if args.plans:
                    print(f"\n{label}: {sql[:120]}...\n  " + "\n  ".join(plan))
                scans += _full_scans(plan)
            row = {
                "query": label,
                "total": page.total,
                "service_median_ms": round(service_ms[0], 1),
                "service_p95_ms": round(service_ms[1], 1),
                "api_median_ms": round(api_ms[0], 1),
                "api_p95_ms": round(api_ms[1], 1),
                "server_versions_scans": scans,
            }
            results.append(row)
            print(
                f"| {label} | {page.total:,} | {row['service_median_ms']} | "
                f"{row['service_p95_ms']} | {row['api_median_ms']} | {row['api_p95_ms']} | "
                f"{'none' if not scans else '; '.join(scans)} |",
                flush=True,
            )
    registry.close()
    if args.json:
        args.json.write_text(json.dumps(results, indent=2) + "\n")
    if any(r["server_versions_scans"] for r in results):
        sys.exit("a search scanned server_versions")


if __name__ == "__main__":
    main()
