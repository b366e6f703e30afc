#!/usr/bin/env bash
# What an outside author gets (issue 13, "done when"): install sluice into
# a scratch prefix; from PREFIX/share/sluice/examples build the four
# example plugins (a source, a transform, an aggregator merging partial
# states, a sink) out of tree with the CMake package, and run their unit
# tests on the installed test kit; build one plugin and its test again
# with pkg-config alone. Then run the examples in one checkpointed
# pipeline (examples.conf) with the installed sluice: once without a
# break, and once killed with SIGKILL at several points of several batches
# and restarted each time; both must leave the same files, batch for batch.
# Usage: sdk_installed_examples.sh SLUICE
set -euo pipefail
build=$(cd "$(dirname "$1")" && pwd)
work=$(mktemp -d "${TMPDIR:-/tmp}/sluice-sdk-examples.XXXXXX")
trap 'rm -rf "$work"' EXIT
cd "$work"
fail() { echo "FAIL: $*" >&2; [ -f err.txt ] && { echo "--- stderr:" >&2; tail -20 err.txt >&2; }; exit 1; }
unset SLUICE_PLUGIN_PATH

cmake --install "$build" --prefix "$work/prefix" >/dev/null
prefix=$work/prefix
sluice=$prefix/bin/sluice
cp -R "$prefix/share/sluice/examples" examples
cd examples

# A sanitizer build's test kit needs its runtime in the executables that link it.
san="" deps=$(ldd "$prefix"/lib*/libsluice-testkit.so.* 2>/dev/null || true)
case $deps in
  *libasan*) san="-fsanitize=address,undefined" ;;
  *libtsan*) san="-fsanitize=thread" ;;
esac

# Out of tree with the CMake package: the plugins and their tests on the installed test kit.
cmake -S . -B build -DCMAKE_PREFIX_PATH="$prefix" -DCMAKE_C_FLAGS="$san" -DCMAKE_EXE_LINKER_FLAGS="$san" \
  >../cmake.log 2>&1 || { cat ../cmake.log >&2; fail "configure"; }
cmake --build build >../build.log 2>&1 || { cat ../build.log >&2; fail "build"; }
(cd build && ctest --output-on-failure >../../ctest.log 2>&1) || { cat ../ctest.log >&2; fail "the examples' unit tests"; }

# With pkg-config alone.
export PKG_CONFIG_PATH="$prefix/lib/pkgconfig:$(ls -d "$prefix"/lib*/*/pkgconfig 2>/dev/null | tr '\n' ':')"
mkdir -p pc
cc -shared $(pkg-config --cflags sluice-plugin) -o pc/sluice_transform_modulo.so modulo/modulo.c
cc $san modulo/test_modulo.c $(pkg-config --cflags --libs sluice-testkit) -o pc/test_modulo
pc/test_modulo pc/sluice_transform_modulo.so >/dev/null || fail "test_modulo built with pkg-config"

# Every plugin on the path is fine by sluice's loader.
"$sluice" plugins --plugin-path build >plugins.txt 2>err.txt || fail "sluice plugins refused the examples"
for p in rate modulo stddev batch_files; do grep -q "^  $p " plugins.txt || fail "sluice plugins does not list $p"; done

# One uninterrupted run.
"$sluice" run examples.conf -q 2>err.txt || fail "the uninterrupted run failed"
[ "$(ls out | wc -l)" = 6 ] || fail "expected 6 batch files, got: $(ls out)"
mv out expected
rm -rf checkpoint
# The complete result of the last batch, worked out by hand: values 0..119,
# buckets of 40 values 3 apart (b, b+3, ..., b+117): sample deviation
# 3 * sqrt(40 * 41 / 12), population 3 * sqrt((40^2 - 1) / 12).
python3 - <<'PY' || fail "the final result"
import json, math
rows = sorted((json.loads(l) for l in open("expected/batch-5.jsonl")), key=lambda r: r["bucket"])
assert [r["bucket"] for r in rows] == [0, 1, 2], rows
for r in rows:
    assert r["n"] == 40, r
    assert math.isclose(r["sd"], 3 * math.sqrt(40 * 41 / 12), rel_tol=1e-12), r
    assert math.isclose(r["sd_pop"], 3 * math.sqrt((40 * 40 - 1) / 12), rel_tol=1e-12), r
PY

# Killed with SIGKILL at one point after another, restarted each time.
for at in plan:0 batch:1 state:2 sink:3 commit:4 batch:5; do
  status=$( { SLUICE_TEST_CRASH_AT=$at "$sluice" run examples.conf -q 2>err.txt; echo $?; } 2>/dev/null )
  [ "$status" = 137 ] || fail "SLUICE_TEST_CRASH_AT=$at: exit status $status, expected 137 (killed)"
done
"$sluice" run examples.conf -q 2>err.txt || fail "the last restart failed"
diff -r expected out >&2 || fail "the interrupted runs left other files than the uninterrupted one"
echo "ok sdk_installed_examples"
