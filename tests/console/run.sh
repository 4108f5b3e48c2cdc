#!/usr/bin/env bash
# Installs playwright-core from package-lock.json (npm ci) into a work
# directory and runs the browser end-to-end tests of the web console
# (console.test.mjs, then operate.test.mjs; SW_CONSOLE_TESTS="operate" runs
# only the ones named) against
# the stepwised binary given, in Debian's chromium (/usr/bin/chromium,
# headless). Screenshots go to <work dir>/screenshots; with
# SW_CONSOLE_DOCS_SCREENSHOT=path the execution graph is also copied there.
# Usage: run.sh <stepwised> [work dir]. Exits 77 (skip) without node/npm or
# chromium, or when npm cannot install (offline without a cache).
set -euo pipefail
STEPWISED=$(realpath "${1:?usage: run.sh <stepwised> [work dir]}")
HERE=$(cd "$(dirname "$0")" && pwd)
WORK=${2:-$HERE/out}
command -v node >/dev/null && command -v npm >/dev/null || { echo "SKIP: node/npm missing"; exit 77; }
[ -x "${SW_CHROMIUM:-/usr/bin/chromium}" ] || { echo "SKIP: chromium missing (scripts/install-deps.sh)"; exit 77; }
mkdir -p "$WORK"
cp -p "$HERE"/package.json "$HERE"/package-lock.json "$HERE"/*.mjs "$WORK"/
cd "$WORK"
if [ ! -d node_modules/playwright-core ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund --loglevel=error || { echo "SKIP: npm ci failed"; exit 77; }
fi
# Graphviz's process-lifetime caches are not leaks (asan preset).
export LSAN_OPTIONS="suppressions=$HERE/../../server/console/lsan.supp${LSAN_OPTIONS:+:$LSAN_OPTIONS}"
export STEPWISED NODE_NO_WARNINGS=1 SW_CONSOLE_OUT="$WORK/screenshots"
rc=0
for t in ${SW_CONSOLE_TESTS:-console operate}; do
  echo "== $t.test.mjs"
  node "$t.test.mjs" || rc=1
done
exit $rc
