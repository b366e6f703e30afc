#!/usr/bin/env bash
# The layering rules the compiler cannot see (README, "Layout"); the build
# already refuses upward includes and libconfig/libcurl out of place.
#   1. a *_priv.h is included only from its own folder (and its unit tests);
#   2. core files include each other by name, never by relative path;
#   3. a plugin includes <sluice/*.h>, system headers and its own folder's
#      or plugins/common's headers, never a core header.
set -u
root=${1:-$(cd "$(dirname "$0")/../.." && pwd)}
cd "$root" || exit 2
bad=0
fail() { echo "layers: $*"; bad=1; }

while IFS= read -r priv; do
    dir=$(dirname "$priv")
    name=$(basename "$priv")
    while IFS=: read -r file _; do
        [ "$(dirname "$file")" = "$dir" ] || fail "$file includes $name, which is private to $dir/"
    done < <(grep -rl --include='*.c' --include='*.h' "#include \"$name\"" core plugins)
done < <(find core -name '*_priv.h')

while IFS= read -r hit; do fail "relative include in core: $hit"; done \
    < <(grep -rn --include='*.c' --include='*.h' '#include "\.\./' core)

core_headers=$(find core -name '*.h' -printf '%f\n' | sort -u)
while IFS= read -r line; do
    file=${line%%:*}
    name=$(sed -E 's/.*#include "([^"]+)".*/\1/' <<<"${line#*:}")
    case $name in
        ../common/*) [ -f "plugins/common/${name#../common/}" ] || fail "$file includes missing $name" ;;
        */*) fail "$file includes $name: plugins include only their own folder, plugins/common and <sluice/*.h>" ;;
        *) if [ -f "$(dirname "$file")/$name" ]; then :
           elif grep -qx "$name" <<<"$core_headers"; then fail "$file includes core header $name: plugins see only <sluice/*.h>"
           else fail "$file includes $name, which is not in its folder"; fi ;;
    esac
done < <(grep -rn --include='*.c' --include='*.h' '#include "' plugins | sed -E 's/^([^:]+):[0-9]+:/\1:/')

[ $bad -eq 0 ] && echo "layers: every rule holds"
exit $bad
