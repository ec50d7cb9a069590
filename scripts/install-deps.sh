#!/bin/sh
# Installs the Debian 12 packages kinflow needs to build and test, only those missing.
# Usage: scripts/install-deps.sh [extra-package...]   (called by `make run` and `make test`)
set -eu
need="pkg-config gcc make liblua5.4-dev libsqlite3-dev libjansson-dev libsodium-dev libmicrohttpd-dev libpq-dev libpwquality-dev cracklib-runtime sqlite3 python3 $*"
missing=""
for p in $need; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
[ -z "$missing" ] && exit 0
echo "installing:$missing"
if [ "$(id -u)" = 0 ]; then SUDO=""; elif command -v sudo >/dev/null; then SUDO="sudo"; else
  echo "install-deps: need root or sudo to install:$missing" >&2; exit 1; fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get install -y --no-install-recommends $missing >/dev/null 2>&1 || {
  $SUDO apt-get update >/dev/null && $SUDO apt-get install -y --no-install-recommends $missing >/dev/null; }
