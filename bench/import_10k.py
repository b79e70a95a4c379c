"""Benchmark: `registrum import` of 10,000 realistic server.json documents, then a full walk.

Documents are the valid real-world ones from ../shared/corpus (renamed and re-versioned to make
10,000 distinct versions); without the corpus, synthetic documents. Usage:

    .venv/bin/python bench/import_10k.py [--count 10000]
"""

from __future__ import annotations

import argparse
import copy
import json
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.processes import serving  # noqa: E402

CORPUS = ROOT.parent / "shared" / "corpus" / "real-server-json"
SCHEMA = "https://static.modelcontextprotocol.io/schemas/2025-12-11/server.schema.json"


def templates() -> list[dict]:
    if not CORPUS.is_dir():
        return [
            {
                "$schema": SCHEMA,
                "name": "io.github.bench/server",
                "description": "A synthetic server for benchmarks.",
                "version": "1.0.0",
                "packages": [
                    {
                        "registryType": "npm",
                        "identifier": "@bench/server",
                        "version": "1.0.0",
                        "transport": {"type": "stdio"},
                    }
                ],
            }
        ]
    manifest = json.loads((CORPUS / "MANIFEST.json").read_text())
    return [
        json.loads((CORPUS / m["file"]).read_text())
        for m in manifest
        if m["valid_2025_12_11"] and m["declared_schema"] == SCHEMA
    ]


def documents(count: int, per_server: int = 5) -> list[dict]:
    base = templates()
    docs = []
    for n in range(count):
        # All versions of one server come from the same template (same namespace, same shape).
        doc = copy.deepcopy(base[(n // per_server) % len(base)])
        namespace = doc["name"].split("/")[0]
        doc["name"] = f"{namespace}/bench-{n // per_server:05d}"
        doc["version"] = f"1.{n % per_server}.0"
        # Each server its own remote URLs: one live server per remote URL.
        for k, remote in enumerate(doc.get("remotes") or []):
            remote["url"] = f"https://bench-{n // per_server:05d}.example.com/mcp/{k}"
            remote.pop("variables", None)
        docs.append(doc)
    return docs


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--count", type=int, default=10_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        (work / "seed.json").write_text(json.dumps(documents(args.count)))
        started = time.perf_counter()
        result = subprocess.run(
            [sys.executable, "-m", "registrum", "import", "seed.json"],
            cwd=work,
            capture_output=True,
            text=True,
            check=True,
        )
        imported = time.perf_counter() - started
        print(result.stderr.strip().splitlines()[-1])
        with serving(work) as (base, _):
            started = time.perf_counter()
            seen, cursor, pages = 0, None, 0
            with httpx.Client(base_url=base) as client:
                while True:
                    params = {"limit": 100, **({"cursor": cursor} if cursor else {})}
                    page = client.get("/v0.1/servers", params=params).json()
                    seen += len(page["servers"])
                    pages += 1
                    cursor = page["metadata"].get("nextCursor")
                    if not cursor:
                        break
            walked = time.perf_counter() - started
    print(
        f"machine: {platform.machine()}, "
        f"{platform.python_implementation()} {platform.python_version()}"
    )
    print(
        f"import of {args.count} documents (CLI, incl. start-up): {imported:.1f} s "
        f"({args.count / imported:.0f} documents/s)"
    )
    print(
        f"walk of {seen} versions in {pages} pages of 100: {walked:.2f} s "
        f"({walked / pages * 1000:.1f} ms/page)"
    )


if __name__ == "__main__":
    main()
