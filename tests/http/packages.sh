#!/usr/bin/env bash
# tests/http/packages.sh: what the HTTP suites' contract check needs (tests/http/validate.mjs):
# node, and ajv, ajv-formats and @redocly/cli from npm into tests/http/node_modules, at the
# versions package-lock.json pins, installed only when missing. Prints nothing when all is
# there; a failure is reported by the check itself (its FAIL line says what is missing).
set -u
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# As tests/browser/run.sh: npm is asked for only when there is no npm at all (NodeSource's
# nodejs bundles it and conflicts with Debian's npm package).
pkgs=""
command -v node >/dev/null 2>&1 || pkgs="$pkgs nodejs"
command -v npm >/dev/null 2>&1 || pkgs="$pkgs npm"
[ -z "$pkgs" ] || "$HERE/../../scripts/install-deps.sh" $pkgs >/dev/null || echo "tests/http/packages.sh: could not install$pkgs" >&2
for p in ajv ajv-formats @redocly/cli; do
  if [ ! -f "$HERE/node_modules/$p/package.json" ]; then
    npm ci --prefix "$HERE" --no-audit --no-fund --loglevel=error >/dev/null 2>&1 ||
      echo "tests/http/packages.sh: npm ci in tests/http failed" >&2
    break
  fi
done
exit 0
