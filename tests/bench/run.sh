#!/usr/bin/env bash
# Benchmarks (not tests): `make bench` or tests/bench/run.sh [SLUICE] [QUERY...]
# Generates 1M lab-shaped tweets once into $SLUICE_BENCH_CACHE (default
# .bench-cache/), then times each query with threads 1 and 2 and prints
# wall s, rows/s, MB/s, peak RSS and the ratio to `wc -l` over the same
# files (and DuckDB's time when Node.js is there), then the latency of a
# new file under trigger "0 seconds" and the CPU an idle stream costs, and
# the lang count from Kafka next to kcat (tests/bench/kafka.py), and from
# S3 (s3rver on loopback) next to curl and disk (tests/bench/s3.py).
# Options go to bench.py: --threads 1,2 --repeat 3 --no-duckdb ...
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
sluice=${1:-build/sluice}
shift || true
python3 "$here/bench.py" --sluice "$sluice" "$@"
python3 "$here/latency.py" --sluice "$sluice"
# From Kafka, beside kcat, when librdkafka and kcat are there.
broker=$(dirname "$sluice")/tests/mock_broker
if [ -x "$broker" ] && command -v kcat >/dev/null; then
  python3 "$here/kafka.py" --sluice "$sluice" --broker "$broker"
fi
# From S3 (s3rver on loopback), beside curl and disk, when node and s3rver are there.
if command -v node >/dev/null && [ -d "$here/../s3/node_modules/s3rver" ]; then
  python3 "$here/s3.py" --sluice "$sluice"
fi
