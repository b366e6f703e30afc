#!/usr/bin/env bash
# Install the Debian packages sluice needs to build and test, only those
# missing (apt-get as root, or through sudo when not root); then the npm
# packages the tests pin in package-lock.json files (tests/web: playwright-core
# to drive Debian's chromium; tests/s3: s3rver, a real S3 server on
# loopback), only where node_modules is missing or older than its lockfile.
#   scripts/install-deps.sh        what `make test` and `make demo` need
#   scripts/install-deps.sh fuzz   that, plus clang and libFuzzer for `make fuzz`
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)

packages=(build-essential cmake pkg-config libconfig-dev libjansson-dev libcurl4-openssl-dev
          libcmocka-dev libpcre2-dev libmicrohttpd-dev libxxhash-dev librdkafka-dev kcat python3
          chromium libexpat1-dev zlib1g-dev curl tzdata)
# Node.js from Debian unless one is already there (e.g. NodeSource's, which
# bundles npm and conflicts with Debian's npm package).
command -v node >/dev/null 2>&1 || packages+=(nodejs)
command -v npm >/dev/null 2>&1 || packages+=(npm)
for group in "$@"; do
  case "$group" in
    fuzz) packages+=(clang-14 libclang-rt-14-dev) ;;
    *) echo "sluice: unknown package group '$group' (known: fuzz)" >&2; exit 2 ;;
  esac
done
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

npm_packages() {
  for lock in "$root"/tests/*/package-lock.json; do
    [ -f "$lock" ] || continue
    dir=$(dirname "$lock")
    [ -d "$dir/node_modules" ] && [ "$dir/node_modules" -nt "$lock" ] && continue
    echo "sluice: npm ci in ${dir#"$root"/}" >&2
    (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error >&2 && touch node_modules)
  done
}

if [ ${#missing[@]} -eq 0 ]; then
  npm_packages
  exit 0
fi

echo "sluice: installing ${missing[*]}" >&2
if [ "$(id -u)" -eq 0 ]; then
  sudo=()
elif command -v sudo >/dev/null 2>&1; then
  sudo=(sudo)
else
  echo "sluice: need root or sudo to install: ${missing[*]}" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
"${sudo[@]}" apt-get update -qq
"${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
npm_packages
