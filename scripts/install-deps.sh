#!/usr/bin/env bash
# Install the Debian packages sluice needs to build and test, only those
# missing. Runs apt-get as root, or through sudo when not root.
#   scripts/install-deps.sh        what `make test` and `make demo` need
#   scripts/install-deps.sh fuzz   that, plus clang and libFuzzer for `make fuzz`
set -euo pipefail

packages=(build-essential cmake pkg-config libconfig-dev libjansson-dev libcurl4-openssl-dev
          libcmocka-dev libpcre2-dev libmicrohttpd-dev python3)
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
[ ${#missing[@]} -eq 0 ] && exit 0

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
