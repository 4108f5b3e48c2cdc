#!/usr/bin/env bash
# Installs @aws-sdk/client-sfn from package-lock.json (npm ci) into a work
# directory and runs the Node tests against the stepwised binary given.
# Usage: run.sh <stepwised> [work dir [script args...]]: with a script, runs
# `node <script> <args...>` (e.g. conformance.mjs, bench.mjs) instead. Exits 77 (skip) without node/npm or
# when npm cannot install (offline without a cache).
set -euo pipefail
STEPWISED=$(realpath "${1:?usage: run.sh <stepwised> [work dir]}")
HERE=$(cd "$(dirname "$0")" && pwd)
WORK=${2:-$HERE}
command -v node >/dev/null && command -v npm >/dev/null || { echo "SKIP: node/npm missing"; exit 77; }
mkdir -p "$WORK"
if [ "$WORK" != "$HERE" ]; then
  cp -p "$HERE"/package.json "$HERE"/package-lock.json "$HERE"/*.mjs "$WORK"/
fi
cd "$WORK"
if [ ! -d node_modules/@aws-sdk/client-sfn ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund --loglevel=error || { echo "SKIP: npm ci failed"; exit 77; }
fi
export STEPWISED NODE_NO_WARNINGS=1
shift $(( $# < 2 ? $# : 2 ))
if [ $# -gt 0 ]; then exec node "$@"; fi
exec node --test --test-concurrency=1 ./*.test.mjs
