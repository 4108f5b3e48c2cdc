#!/usr/bin/env bash
# Installs what is missing, builds the `stepwise` CLI (dev preset) and runs the
# bundled example state machine in-process, printing its result and history.
# Usage: bash scripts/run.sh [extra run-local flags]
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/install-deps.sh
cmake --preset dev
cmake --build --preset dev --target stepwise_cli

exec build/dev/client/stepwise run-local \
  --definition examples/hello/definition.json \
  --input @examples/hello/input.json \
  --history "$@"
