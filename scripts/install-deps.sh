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
# The test passes on the two stores run side by side, and each may ask for the same package:
# one apt at a time (ours in turn on a lock file of our own, anyone else's on dpkg's lock).
lock=/tmp/kinflow-install-deps.lock
apt="apt-get -o DPkg::Lock::Timeout=600"
$SUDO flock -w 900 "$lock" $apt install -y --no-install-recommends $missing >/dev/null 2>&1 || {
  $SUDO flock -w 900 "$lock" $apt update >/dev/null &&
    $SUDO flock -w 900 "$lock" $apt install -y --no-install-recommends $missing >/dev/null; }
