#!/usr/bin/env bash
# Runs the README walkthrough (the shell block between the
# `<!-- walkthrough:begin -->` and `<!-- walkthrough:end -->` markers of
# README.md), exactly as written, against a real stepwised on an ephemeral
# port, from a scratch directory holding a copy of examples/walkthrough/,
# and checks what it prints.
# Usage: readme_walkthrough_test.sh STEPWISED STEPWISE REPO_ROOT
set -u
STEPWISED=$(realpath "$1")
SW=$(realpath "$2")
ROOT=$(realpath "$3")
TMP=$(mktemp -d)
SERVER_PID=
cleanup() {
  [ -n "$SERVER_PID" ] && kill "$SERVER_PID" 2>/dev/null && wait "$SERVER_PID" 2>/dev/null
  rm -rf "$TMP"
}
trap cleanup EXIT
FAILS=0
fail() { echo "FAIL: $*"; FAILS=$((FAILS + 1)); }
ok() { echo "ok: $*"; }
expect_contains() {
  case "$2" in *"$3"*) ok "$1" ;; *) fail "$1: expected '$3' in: $2" ;; esac
}

# The block, without its fences.
sed -n '/<!-- walkthrough:begin -->/,/<!-- walkthrough:end -->/p' "$ROOT/README.md" |
  sed '/^<!--/d; /^```/d' >"$TMP/walkthrough.sh"
if [ "$(grep -c . "$TMP/walkthrough.sh")" -lt 5 ]; then
  echo "FAIL: no walkthrough block in README.md"; exit 1
fi
echo "--- walkthrough block ---"; cat "$TMP/walkthrough.sh"; echo "---"

mkdir -p "$TMP/repo/examples"
cp -r "$ROOT/examples/walkthrough" "$TMP/repo/examples/"
"$STEPWISED" --data-dir "$TMP/data" --grpc-listen 127.0.0.1:0 \
  --http-listen 127.0.0.1:0 --ports-file "$TMP/ports" >"$TMP/server.log" 2>&1 &
SERVER_PID=$!
for _ in $(seq 1 200); do [ -s "$TMP/ports" ] && break; sleep 0.05; done
if [ ! -s "$TMP/ports" ]; then
  cat "$TMP/server.log"; echo "FAIL: stepwised did not start"; exit 1
fi
export STEPWISE_ENDPOINT=127.0.0.1:$(sed -n 's/^grpc=//p' "$TMP/ports")

# `stepwise` on PATH is the one under test; the block's own PATH line adds a
# build/dev/cli that does not exist in the scratch directory.
mkdir -p "$TMP/bin"
ln -s "$SW" "$TMP/bin/stepwise"
OUT=$(cd "$TMP/repo" && PATH="$TMP/bin:$PATH" timeout 120 bash -e "$TMP/walkthrough.sh" 2>&1)
RC=$?
echo "$OUT"
[ $RC -eq 0 ] && ok "walkthrough exits 0" || fail "walkthrough rc=$RC"
expect_contains "activity created" "$OUT" "arn:aws:states:us-east-1:123456789012:activity:greet"
expect_contains "machine created" "$OUT" "arn:aws:states:us-east-1:123456789012:stateMachine:Greeter"
expect_contains "start --wait succeeded" "$OUT" '"status": "SUCCEEDED"'
expect_contains "worker result in output" "$OUT" '"greeting": "Hello, Ada!"'
expect_contains "history shows the activity" "$OUT" "ActivitySucceeded"
expect_contains "history ends" "$OUT" "ExecutionSucceeded"
expect_contains "list shows the execution" "$OUT" "first"
expect_contains "backup written" "$OUT" "backup written to $TMP/repo/stepwise-backup"
[ -f "$TMP/repo/stepwise-backup/CURRENT" ] && ok "backup is a RocksDB directory" ||
  fail "no CURRENT in the backup"

if [ "$FAILS" -ne 0 ]; then
  echo "--- server log ---"; cat "$TMP/server.log"
  echo "$FAILS check(s) failed"; exit 1
fi
echo "all walkthrough checks passed"
