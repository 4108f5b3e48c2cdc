#!/usr/bin/env bash
# Installs the AWS-compatible servers the service-integration tests run
# against: dynalite (DynamoDB) and s3rver (S3), npm packages pinned by
# tests/integrations/servers/package-lock.json, into a project-local
# directory. dynalite's optional native LevelDB binding (leveldown) is left
# out (--omit=optional): the tests run it in memory, so nothing compiles and
# the install takes seconds. A second run with the same lock file does
# nothing.
# Directory: $STEPWISE_AWS_SERVERS_DIR, else build/npm/aws-servers.
# Needs node and npm (scripts/install-deps.sh installs them).
# Usage: bash scripts/install-aws-servers.sh   (prints the directory on success)
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
DIR=${STEPWISE_AWS_SERVERS_DIR:-$ROOT/build/npm/aws-servers}
SRC=$ROOT/tests/integrations/servers
BINS="node_modules/dynalite/cli.js node_modules/s3rver/bin/s3rver.js"

installed() {
  for bin in $BINS; do [ -f "$bin" ] || return 1; done
  [ -f node_modules/.package-lock.json ] && cmp -s "$SRC/package-lock.json" package-lock.json
}

mkdir -p "$DIR"
cd "$DIR"
if installed; then
  echo "install-aws-servers: already installed in $DIR"
  exit 0
fi
for tool in node npm; do
  command -v "$tool" >/dev/null || { echo "install-aws-servers: $tool missing (run scripts/install-deps.sh)" >&2; exit 1; }
done
cp "$SRC/package.json" "$SRC/package-lock.json" .
echo "install-aws-servers: npm ci in $DIR"
start=$(date +%s)
npm ci --omit=optional --no-audit --no-fund --loglevel=error
for bin in $BINS; do
  [ -f "$bin" ] || { echo "install-aws-servers: $bin missing after npm ci" >&2; exit 1; }
done
echo "install-aws-servers: installed in $DIR in $(( $(date +%s) - start )) s"
