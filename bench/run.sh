#!/usr/bin/env bash
# Issue #5's benchmark in one command: generate a registry (cached) and drive it with wrk.
#   bench/run.sh --size 10k --backend sqlite          (bench/run.py --help for every option)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export REGISTRUM_BENCH_ENTRY="bench/run.sh"
exec "$root/.venv/bin/python" "$root/bench/run.py" "$@"
