#!/usr/bin/env bash
# `make fuzz`: build the harnesses with clang and libFuzzer (-DSLUICE_FUZZ=ON,
# ASan and UBSan) in a build directory of their own, then run each target for
# FUZZ_SECONDS (default 60). New inputs libFuzzer finds go to
# BUILD/fuzz-corpus/<target>/ (kept between runs, never committed); an input
# that crashes, leaks, hangs or runs out of memory is written to
# tests/fuzz/crashes/<target>/, where `make test` replays it from then on.
# Prints, per target, the executions and libFuzzer's coverage (cov: edges,
# ft: features) at the end; exits 1 if any target found something.
#
# Usage: tests/fuzz/run.sh [BUILD_DIR [TARGET...]]   (FUZZ_SECONDS, JOBS, FUZZ_CC)
set -euo pipefail

src=$(cd "$(dirname "$0")/../.." && pwd)
build=${1:-build-fuzz}
shift || true
seconds=${FUZZ_SECONDS:-60}
cc=${FUZZ_CC:-$(command -v clang-14 || command -v clang || true)}
[ -n "$cc" ] || { echo "sluice: make fuzz needs clang: scripts/install-deps.sh fuzz" >&2; exit 2; }

cmake -S "$src" -B "$build" -DCMAKE_C_COMPILER="$cc" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DSLUICE_FUZZ=ON >/dev/null
cmake --build "$build" --target fuzzers -j "${JOBS:-2}" -- --no-print-directory

targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(decode_json decode_json_types decode_csv expr schema sql config checkpoint)
# Inputs a little longer than the largest sensible one: a few tweets, a
# long expression or statement, a pipeline, a checkpoint file of some groups.
declare -A max_len=([decode_json]=8192 [decode_json_types]=4096 [decode_csv]=2048 [expr]=512 [schema]=2048 [sql]=1024
                    [config]=4096 [checkpoint]=4096)

export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1}
export LSAN_OPTIONS=suppressions=$src/tests/fuzz/lsan.supp
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1

status=0
report=()
for t in "${targets[@]}"; do
  [ -n "${max_len[$t]:-}" ] || { echo "sluice: unknown fuzz target '$t'" >&2; exit 2; }
  work=$build/fuzz-corpus/$t
  crashes=$src/tests/fuzz/crashes/$t
  log=$build/fuzz-$t.log
  mkdir -p "$work" "$crashes"
  dict=()
  [ -f "$src/tests/fuzz/$t.dict" ] && dict=(-dict="$src/tests/fuzz/$t.dict")
  echo "fuzz: $t for ${seconds}s (log: $log)" >&2
  rc=0
  "$build/tests/fuzz/fuzz_$t" -max_total_time="$seconds" -max_len="${max_len[$t]}" -timeout=10 \
    -artifact_prefix="$crashes/" -print_final_stats=1 "${dict[@]}" "$work" "$src/tests/fuzz/corpus/$t" \
    >"$log" 2>&1 || rc=$?
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  cov=$(grep -oE 'cov: [0-9]+ ft: [0-9]+' "$log" | tail -1)
  if [ "$rc" -eq 0 ]; then
    result=clean
  else
    status=1
    result="FOUND: $(grep -m1 -oE "(Test unit written to|ERROR: [A-Za-z]+: [a-z-]+|==ERROR.*)" "$log" | head -1)"
    grep -oE 'Test unit written to .*' "$log" >&2 || true
  fi
  report+=("$(printf '%-12s %10s execs  %-22s %s' "$t" "${execs:-?}" "${cov:-?}" "$result")")
done
echo
printf '%s\n' "${report[@]}"
exit $status
