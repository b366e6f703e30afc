#!/usr/bin/env bash
# What `sluice run` logs at each level (issue 11: -v and -v -v printed the
# same, though --help says to repeat -v for debug):
#   default  warnings (here: the malformed count), nothing per batch
#   -v       info: one line per batch, no debug
#   -v -v    debug: the progress record and the aggregation's state per batch
#   -q       nothing at all
# SLUICE_LOG sets the level that -v and -q start from.
# Usage: verbosity_levels.sh SLUICE
set -euo pipefail
sluice=$1
work=$(mktemp -d "${TMPDIR:-/tmp}/sluice-verbosity.XXXXXX")
trap 'rm -rf "$work"' EXIT
cd "$work"

fail() { echo "FAIL: $*" >&2; [ -f err.txt ] && { echo "--- stderr:" >&2; cat err.txt >&2; }; exit 1; }

mkdir in
printf '{"lang":"en"}\n{"lang":"fr"}\nnot json\n' >in/a.json
cat > pipeline.conf <<'CONF'
runtime = { trigger = "once"; shuffle_partitions = 1; };
stages = (
  { name = "rows"; source = "file"; path = "in"; schema = "lang STRING"; },
  { name = "counts"; input = "rows"; group_by = ["lang"]; aggregate = ["count(*) AS n"]; },
  { name = "out"; input = "counts"; sink = "console"; output_mode = "complete"; format = "jsonl"; }
);
CONF

run() { "$sluice" run pipeline.conf "$@" >out.txt 2>err.txt || fail "run $*"; }
has() { grep -qF -- "$1" err.txt || fail "$2: stderr lacks '$1'"; }
lacks() { ! grep -qF -- "$1" err.txt || fail "$2: stderr has '$1'"; }

run
has "warning: 1 malformed input lines were read" default
lacks "batch 0:" default
lacks "debug:" default

run -v
has "stage 'rows': batch 0: 1 units, 3 rows to sinks, 1 malformed" "-v"
lacks "debug:" "-v"

run -v -v
has "stage 'rows': batch 0:" "-v -v"
has "debug: progress: {" "-v -v"
has "debug: stage 'counts': batch 0: 3 groups in state" "-v -v"

run -q
[ ! -s err.txt ] || fail "-q printed: $(cat err.txt)"

SLUICE_LOG=info run
has "batch 0:" "SLUICE_LOG=info"
lacks "debug:" "SLUICE_LOG=info"
SLUICE_LOG=info run -v
has "debug:" "SLUICE_LOG=info -v"

echo "ok verbosity: warnings by default, -v info, -v -v debug, -q nothing"
