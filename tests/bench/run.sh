#!/usr/bin/env bash
# Benchmarks (not tests): `make bench` or tests/bench/run.sh [SLUICE] [QUERY...]
# Generates 1M lab-shaped tweets once into $SLUICE_BENCH_CACHE (default
# .bench-cache/), then times each query and prints wall s, rows/s, MB/s and
# peak RSS, next to `wc -l` over the same files.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
sluice=${1:-build/sluice}
shift || true
exec python3 "$here/bench.py" --sluice "$sluice" "$@"
