#!/usr/bin/env bash
# Installs the reference jsonata 2.0.6 from package-lock.json (npm ci) into a
# work directory and runs the differential test against the jsonata_eval
# driver given. Usage: run.sh <jsonata_eval> <work dir> [differential.mjs args...]
# Exits 77 (skip) without node/npm or when npm cannot install (offline
# without a cache).
set -euo pipefail
DRIVER=$(realpath "${1:?usage: run.sh <jsonata_eval> <work dir>}")
HERE=$(cd "$(dirname "$0")" && pwd)
WORK=${2:?usage: run.sh <jsonata_eval> <work dir>}
command -v node >/dev/null && command -v npm >/dev/null || { echo "SKIP: node/npm missing"; exit 77; }
mkdir -p "$WORK"
cp -p "$HERE"/package.json "$HERE"/package-lock.json "$HERE"/differential.mjs "$HERE"/known_differences.txt "$WORK"/
cd "$WORK"
if [ ! -d node_modules/jsonata ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund --loglevel=error || { echo "SKIP: npm ci failed"; exit 77; }
fi
shift 2
exec node differential.mjs "$DRIVER" "$@"
