#!/usr/bin/env bash
# Issue 21's side-by-side measurement, in one go, on one box: Stepwise (a
# release build) against the in-memory peer aws-local-stepfunctions (the npm
# package pinned in tests/bench/side_by_side/package-lock.json), on the same
# definitions and the same input (bench/input_807.json, 807 bytes):
#   peer          the peer in this box's Node, 10-state Pass chains at 1 and
#                 64 concurrent loops, and CPU per Pass / Choice step
#                 (tests/bench/side_by_side/peer_bench.mjs);
#   interpreter   Stepwise's interpreter alone, CPU per Pass / Choice step
#                 (interpreter_bench BM_PassChain / BM_ChoiceChain);
# and against a fresh stepwised (scratch data directory, WAL synced) for each
# of, through `stepwise bench` over gRPC (cli/bench.cc):
#   standard      durable Standard 10-state Pass chains, 64 callers;
#   express       Express StartSyncExecution of the same chain, 64 callers;
#   start_1k      StartExecution paced at 1,000/s from 16 callers (p50/p99);
#   activity_16   3-activity-task executions, 16 workers, 64 callers;
#   activity_round_trip  the same with one caller and one idle worker;
#   payload_64k   the standard figure with a 65,536-byte input;
#   parked        N executions parked on an activity task nobody polls: RSS
#                 (at 1,000,000 extrapolated from the second half's growth per
#                 execution unless N is 1,000,000).
# Prints each raw figure as it comes ("raw NAME {json}"), the load average
# before and after, a Markdown table, and as its LAST line one JSON object
# (bench/side_by_side_summary.mjs; ratios Stepwise ÷ peer, higher is better).
# The client, the peer and the server share the box's cores.
#
# Usage: bench/side_by_side.sh [--quick | --long] [--seconds S] [--parked N]
#                              [--keep DIR] [--dry-run] BUILD_DIR
#   (default)  10 s per figure, 100,000 parked (RSS at 1,000,000 extrapolated)
#   --quick    2 s per figure, 5,000 parked: for trying the script (5,000
#              is all warm-up: its RSS extrapolation means nothing)
#   --long     10 s per figure, 1,000,000 parked (RSS measured, not extrapolated)
#   --dry-run  checks the build and the tools, prints what it would run and
#              a last line with every key null; starts nothing, installs nothing
#   --keep DIR writes the raw JSON files into DIR (must not exist)
# BUILD_DIR is a release build (cmake --preset release) with the targets
# stepwised, stepwise_cli and interpreter_bench. The peer goes into
# BUILD_DIR/side_by_side_peer (npm ci from the lock file) when it is missing.
# Needs node and npm. CI does not run this (the ctest runs --dry-run only).
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/.." && pwd)
PEER_SRC=$ROOT/tests/bench/side_by_side
INPUT=$HERE/input_807.json

usage() {
  sed -n '/^# Usage:/,/^# Needs node/p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2
  exit 2
}
die() { echo "side_by_side: $*" >&2; exit 2; }

MODE=full SECS= PARKED= DRY=0 KEEP= BUILD=
while [ $# -gt 0 ]; do
  case $1 in
    --quick) MODE=quick ;;
    --long) MODE=long ;;
    --dry-run) DRY=1 ;;
    --seconds) [ $# -ge 2 ] || usage; SECS=$2; shift ;;
    --parked) [ $# -ge 2 ] || usage; PARKED=$2; shift ;;
    --keep) [ $# -ge 2 ] || usage; KEEP=$2; shift ;;
    -h|--help) usage ;;
    -*) echo "side_by_side: unknown flag $1" >&2; usage ;;
    *) [ -z "$BUILD" ] || usage; BUILD=$1 ;;
  esac
  shift
done
[ -n "$BUILD" ] || usage
case $MODE in
  quick) : "${SECS:=2}" "${PARKED:=5000}" ;;
  long) : "${SECS:=10}" "${PARKED:=1000000}" ;;
  full) : "${SECS:=10}" "${PARKED:=100000}" ;;
esac
[[ $SECS =~ ^[0-9]+([.][0-9]+)?$ ]] || die "--seconds must be a number of seconds, not '$SECS'"
[[ $PARKED =~ ^[1-9][0-9]*$ ]] || die "--parked must be a positive count, not '$PARKED'"
[ -z "$KEEP" ] || [ ! -e "$KEEP" ] || die "--keep $KEEP already exists"

# The build: a release build with the three programs.
[ -d "$BUILD" ] || die "$BUILD is not a directory"
BUILD=$(cd "$BUILD" && pwd)
[ -f "$BUILD/CMakeCache.txt" ] || die "$BUILD has no CMakeCache.txt: not a CMake build directory"
BUILD_TYPE=$(sed -n 's/^CMAKE_BUILD_TYPE:[A-Z]*=//p' "$BUILD/CMakeCache.txt")
case $BUILD_TYPE in
  Release|RelWithDebInfo|MinSizeRel) ;;
  *) die "$BUILD is a ${BUILD_TYPE:-no-build-type} build; the figures need an optimised one:" \
         "cmake --preset release && cmake --build build/release --target stepwised" \
         "stepwise_cli interpreter_bench, then bench/side_by_side.sh build/release" ;;
esac
STEPWISED=$BUILD/server/stepwised
STEPWISE=$BUILD/cli/stepwise
INTERP=$BUILD/tests/bench/interpreter_bench
for bin in "$STEPWISED" "$STEPWISE" "$INTERP"; do
  [ -x "$bin" ] || die "$bin is missing: cmake --build $BUILD --target stepwised stepwise_cli" \
                       "interpreter_bench (interpreter_bench needs -DSW_BENCHMARKS=ON)"
done
command -v node >/dev/null || die "node is missing (the peer runs in Node)"
command -v npm >/dev/null || die "npm is missing (it installs the peer)"
[ "$(wc -c <"$INPUT")" -eq 807 ] || die "$INPUT is not the 807-byte input any more"

PEER_DIR=$BUILD/side_by_side_peer
PINNED=$(node -e 'const l = require(process.argv[1]);
  console.log(l.packages["node_modules/aws-local-stepfunctions"].version)' \
  "$PEER_SRC/package-lock.json")
peer_installed() {
  [ -f "$PEER_DIR/node_modules/aws-local-stepfunctions/package.json" ] &&
    [ "$(node -e 'console.log(require(process.argv[1]).version)' \
        "$PEER_DIR/node_modules/aws-local-stepfunctions/package.json")" = "$PINNED" ]
}

TMP=$(mktemp -d "${TMPDIR:-/tmp}/side-by-side.XXXXXX")
RAW=$TMP/raw
mkdir -p "$RAW"
SERVER_PID=
cleanup() {
  if [ -n "$SERVER_PID" ]; then kill "$SERVER_PID" 2>/dev/null || true; wait "$SERVER_PID" 2>/dev/null || true; fi
  rm -rf "$TMP"
}
trap cleanup EXIT

# The 64 KiB input: the 807-byte input with a "pad" member making it 65,536 bytes.
PAYLOAD=$TMP/input_64k.json
node -e 'const fs = require("fs");
  const base = fs.readFileSync(process.argv[1], "utf8").replace(/}\s*$/, "");
  const frame = base + ",\"pad\":\"\"}";
  fs.writeFileSync(process.argv[2], base + ",\"pad\":\"" + "x".repeat(65536 - frame.length) + "\"}");
  JSON.parse(fs.readFileSync(process.argv[2], "utf8"));' "$INPUT" "$PAYLOAD"

loadavg() { cut -d' ' -f1-3 /proc/loadavg; }
COMMIT=$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)
[ -z "$(git -C "$ROOT" status --porcelain 2>/dev/null)" ] || COMMIT="$COMMIT+changes"
echo "side_by_side: $MODE mode, $SECS s per figure, $PARKED parked; build $BUILD ($BUILD_TYPE)," \
     "source $COMMIT; peer aws-local-stepfunctions@$PINNED; $(nproc) cores; node $(node --version)"

# run NAME COMMAND...: runs one figure (or prints it in a dry run), keeping
# its JSON as RAW/NAME.json and printing it as "raw NAME {json}".
run() {
  local name=$1; shift
  if [ "$DRY" = 1 ]; then echo "would run $name: $*"; return; fi
  "$@" >"$RAW/$name.json"
  echo "raw $name $(node -e 'process.stdout.write(JSON.stringify(JSON.parse(
    require("fs").readFileSync(process.argv[1], "utf8"))))' "$RAW/$name.json")"
}
start_server() {
  if [ "$DRY" = 1 ]; then SERVER_PID=0; ENDPOINT=127.0.0.1:PORT; return; fi
  rm -rf "$TMP/data" "$TMP/ports"
  "$STEPWISED" --data-dir "$TMP/data" --grpc-listen 127.0.0.1:0 --http-listen 127.0.0.1:0 \
    --ports-file "$TMP/ports" --log-level warn &
  SERVER_PID=$!
  for _ in $(seq 1 200); do [ -s "$TMP/ports" ] && break; sleep 0.05; done
  [ -s "$TMP/ports" ] || die "stepwised did not start (no ports file after 10 s)"
  ENDPOINT=127.0.0.1:$(sed -n 's/^grpc=//p' "$TMP/ports")
}
stop_server() {
  if [ "$DRY" = 0 ]; then kill "$SERVER_PID"; wait "$SERVER_PID" || true; fi
  SERVER_PID=
}
# stepwise_figure NAME ARGS...: one `stepwise bench` figure against a fresh stepwised.
stepwise_figure() {
  local name=$1; shift
  start_server
  run "$name" "$STEPWISE" bench --endpoint "$ENDPOINT" --server-pid "$SERVER_PID" "$@"
  stop_server
}

if [ "$DRY" = 0 ] && ! peer_installed; then
  echo "side_by_side: installing aws-local-stepfunctions@$PINNED into $PEER_DIR (npm ci)"
  rm -rf "$PEER_DIR"
  mkdir -p "$PEER_DIR"
  cp "$PEER_SRC/package.json" "$PEER_SRC/package-lock.json" "$PEER_DIR/"
  (cd "$PEER_DIR" && npm ci --no-audit --no-fund --loglevel=error >&2)
  peer_installed || die "npm ci did not install aws-local-stepfunctions@$PINNED in $PEER_DIR"
elif [ "$DRY" = 1 ]; then
  if peer_installed; then echo "peer installed in $PEER_DIR"; else echo "would install the peer into $PEER_DIR (npm ci)"; fi
fi
if [ "$DRY" = 0 ]; then
  # Node finds the package from the importing file's directory: the runners go beside it.
  cp "$PEER_SRC/peer.mjs" "$PEER_SRC/peer_bench.mjs" "$PEER_DIR/"
fi

LOAD_BEFORE=$(loadavg)
echo "load average before: $LOAD_BEFORE"
case $MODE in quick) MIN_TIME=0.2 REPS=1 ;; *) MIN_TIME=1 REPS=3 ;; esac
run peer node "$PEER_DIR/peer_bench.mjs" --input "$INPUT" --seconds "$SECS" --concurrency 1,64
run interpreter env SW_BENCH_INPUT="$INPUT" "$INTERP" \
  --benchmark_filter='^BM_(PassChain|ChoiceChain)$' --benchmark_min_time="$MIN_TIME" \
  --benchmark_repetitions="$REPS" --benchmark_report_aggregates_only=true --benchmark_format=json
stepwise_figure standard --workload pass-chain --concurrency 64 --duration "$SECS" --input "@$INPUT"
stepwise_figure express --workload express-sync --concurrency 64 --duration "$SECS" --input "@$INPUT"
stepwise_figure start_1k --workload start-only --rate 1000 --concurrency 16 --duration "$SECS" \
  --input "@$INPUT"
stepwise_figure activity_16 --workload activity --concurrency 64 --workers 16 --duration "$SECS" \
  --input "@$INPUT"
stepwise_figure activity_round_trip --workload activity --concurrency 1 --workers 1 \
  --duration "$SECS" --input "@$INPUT"
stepwise_figure payload_64k --workload pass-chain --concurrency 64 --duration "$SECS" \
  --input "@$PAYLOAD"
stepwise_figure parked --workload parked --executions "$PARKED" --concurrency 64 --input "@$INPUT"
LOAD_AFTER=$(loadavg)
echo "load average after: $LOAD_AFTER"

node -e 'require("fs").writeFileSync(process.argv[1], JSON.stringify({
  mode: process.argv[2], seconds: Number(process.argv[3]), commit: process.argv[4],
  date: new Date().toISOString(), load_before: process.argv[5], load_after: process.argv[6],
  input_bytes: 807, dry_run: process.argv[7] === "1" }))' \
  "$RAW/run.json" "$MODE" "$SECS" "$COMMIT" "$LOAD_BEFORE" "$LOAD_AFTER" "$DRY"
if [ -n "$KEEP" ]; then cp -r "$RAW" "$KEEP"; fi
node "$HERE/side_by_side_summary.mjs" "$RAW"
