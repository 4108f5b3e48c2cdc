#!/usr/bin/env bash
# Installs AWS's Node.js Lambda runtime interface client (npm package
# aws-lambda-ric, pinned by tests/lambda/package-lock.json) into a
# project-local directory, for the tests/lambda end-to-end test of
# `stepwise lambda-runtime`. Its install compiles a native addon (curl and
# aws-lambda-cpp from source: several minutes), so it runs once: a second run
# with the same lock file does nothing.
# Directory: $STEPWISE_LAMBDA_RIC_DIR, else build/npm/lambda-ric.
# Needs node, npm, cmake, make, g++, autoconf, automake and libtool
# (scripts/install-deps.sh installs them).
# Usage: bash scripts/install-lambda-ric.sh   (prints the directory on success)
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
DIR=${STEPWISE_LAMBDA_RIC_DIR:-$ROOT/build/npm/lambda-ric}
SRC=$ROOT/tests/lambda
ADDON=node_modules/aws-lambda-ric/dist/rapid-client.node

mkdir -p "$DIR"
cd "$DIR"
if [ -f "$ADDON" ] && [ -f node_modules/.package-lock.json ] \
   && cmp -s "$SRC/package-lock.json" package-lock.json; then
  echo "install-lambda-ric: already installed in $DIR"
  exit 0
fi
for tool in node npm cmake make g++ autoconf automake libtoolize; do
  command -v "$tool" >/dev/null || { echo "install-lambda-ric: $tool missing (run scripts/install-deps.sh)" >&2; exit 1; }
done
cp "$SRC/package.json" "$SRC/package-lock.json" .
echo "install-lambda-ric: npm ci in $DIR (compiles a native addon: several minutes)"
start=$(date +%s)
npm ci --no-audit --no-fund --loglevel=error
[ -f "$ADDON" ] || { echo "install-lambda-ric: $ADDON was not built" >&2; exit 1; }
echo "install-lambda-ric: installed in $DIR in $(( $(date +%s) - start )) s"
