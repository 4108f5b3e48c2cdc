#!/usr/bin/env bash
# Installs what is missing, builds everything (dev preset: Debug, -Werror) and
# runs every test, including the conformance regression gates; then prints the
# conformance summary. The corpus is read from ../shared when it is there.
# Usage: bash scripts/test.sh
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/install-deps.sh
cmake --preset dev
cmake --build --preset dev
ctest --preset dev -j2

shared="$(grep -E '^SW_SHARED_DIR:' build/dev/CMakeCache.txt | cut -d= -f2-)"
runner=build/dev/tests/conformance/conformance_runner
echo
echo "=== Execution conformance summary ==="
if [ ! -d "$shared/conformance/cases" ]; then
  echo "conformance corpus not found at $shared: skipped"
elif [ -x "$runner" ]; then
  "$runner" "$shared" || true
else
  echo "conformance_runner not built (the engine is not there yet)"
fi
