#!/usr/bin/env bash
# Installs what is missing, builds stepwised and the `stepwise` CLI (dev
# preset) and starts stepwised in the foreground: data in ./stepwise-data,
# gRPC on 127.0.0.1:7700, HTTP (health, /metrics) on 127.0.0.1:8083. Its
# first log line says where it listens; Ctrl-C stops it cleanly.
# Usage: bash scripts/run.sh [extra stepwised flags, e.g. --log-format json]
# The offline mode (no server) is `build/dev/cli/stepwise run-local`.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/install-deps.sh
cmake --preset dev
cmake --build --preset dev --target stepwised stepwise_cli

exec build/dev/server/stepwised "$@"
