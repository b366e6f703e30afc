#!/usr/bin/env bash
# An installed sluice finds the plugins installed with it, wherever the
# prefix was put: `cmake --install --prefix P` fixes no path at configure
# time, so P/bin/sluice must look in P/lib/sluice/plugins (issue 13).
# Usage: installed_sluice_finds_its_plugins.sh SLUICE_BINARY
set -euo pipefail
build=$(cd "$(dirname "$1")" && pwd)
work=$(mktemp -d "${TMPDIR:-/tmp}/sluice-installed.XXXXXX")
trap 'rm -rf "$work"' EXIT
cmake --install "$build" --prefix "$work/prefix" >/dev/null
# Moved after the install, as a package unpacked elsewhere would be.
mv "$work/prefix" "$work/moved"
sluice="$work/moved/bin/sluice"
unset SLUICE_PLUGIN_PATH
out=$("$sluice" plugins file)
grep -q "^file:     $work/moved/lib.*/sluice/plugins/sluice_source_file.so$" <<<"$out" || {
    echo "FAIL: the installed sluice did not find its own file source:" >&2
    echo "$out" >&2
    exit 1
}
mkdir -p "$work/in"
echo '{"n":1}' >"$work/in/a.json"
cat >"$work/p.conf" <<CONF
runtime = { trigger = "once"; };
stages = (
  { name = "src"; source = "file"; path = "$work/in"; schema = "n LONG"; },
  { name = "out"; input = "src"; sink = "console"; format = "jsonl"; }
);
CONF
got=$("$sluice" run "$work/p.conf" 2>/dev/null)
[ "$got" = '{"batch_id":0,"row":{"n":1}}' ] || { echo "FAIL: installed sluice printed: $got" >&2; exit 1; }
echo "ok installed_sluice_finds_its_plugins"
