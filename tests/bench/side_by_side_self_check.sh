#!/usr/bin/env bash
# ctest bench_side_by_side_self_check: the cheap checks of
# bench/side_by_side.sh that CI can run (it never runs the benchmark):
#   1. a Debug build directory is refused with exit 2 and a message saying so;
#   2. --dry-run on a release-looking build directory (stub programs, never
#      started) exits 0, names every figure it would run, and its last line
#      is one JSON object holding every key issue 21 lists;
#   3. bench/side_by_side_summary.mjs on canned raw figures computes the
#      ratios, the percentiles' picks and the extrapolated RSS it must.
# Exits 77 (skipped) without node. Usage: side_by_side_self_check.sh SOURCE_DIR
set -euo pipefail
SRC=$(cd "$1" && pwd)
command -v node >/dev/null || { echo "node missing: skipped"; exit 77; }
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

fake_build() {  # DIR BUILD_TYPE
  mkdir -p "$1/server" "$1/cli" "$1/tests/bench"
  echo "CMAKE_BUILD_TYPE:STRING=$2" >"$1/CMakeCache.txt"
  for p in server/stepwised cli/stepwise tests/bench/interpreter_bench; do
    printf '#!/bin/sh\necho "stub %s must not run" >&2; exit 1\n' "$p" >"$1/$p"
    chmod +x "$1/$p"
  done
}

# 1. Debug is refused.
fake_build "$TMP/debug" Debug
set +e
out=$(bash "$SRC/bench/side_by_side.sh" --dry-run "$TMP/debug" 2>&1)
rc=$?
set -e
[ "$rc" = 2 ] || fail "a Debug build gave exit $rc, not 2: $out"
grep -q "is a Debug build" <<<"$out" || fail "no clear refusal of the Debug build: $out"
echo "ok: Debug build refused"

# 2. The dry run.
fake_build "$TMP/release" RelWithDebInfo
out=$(bash "$SRC/bench/side_by_side.sh" --dry-run --quick "$TMP/release")
for figure in peer interpreter standard express start_1k activity_16 activity_round_trip \
              payload_64k parked; do
  grep -q "^would run $figure: " <<<"$out" || fail "the dry run does not name $figure: $out"
done
grep -q -- "--workload parked --executions 5000" <<<"$out" || fail "quick mode parks 5000: $out"
[ ! -e "$TMP/release/side_by_side_peer" ] || fail "the dry run installed the peer"
tail -n 1 <<<"$out" | node -e '
  const o = JSON.parse(require("fs").readFileSync(0, "utf8"));
  for (const k of ["interpreter_cpu_ratio", "standard_transitions_ratio", "express_sync_ratio",
                   "start_p50_ms_at_1k", "start_p99_ms_at_1k", "activity_tasks_per_s",
                   "activity_round_trip_p50_ms", "payload_64k_transitions_per_s",
                   "parked_1m_rss_mib", "load_before", "load_after"]) {
    if (!(k in o)) { console.error("last line lacks " + k); process.exit(1); }
  }' || fail "the dry run's last line is not the figures object"
echo "ok: dry run"

# 3. The summary on canned figures.
RAW=$TMP/raw
mkdir -p "$RAW"
cat >"$RAW/run.json" <<'EOF'
{"mode":"full","seconds":10,"commit":"abc","date":"d","load_before":"1.00 1.00 1.00","load_after":"2.00 1.50 1.00","input_bytes":807}
EOF
cat >"$RAW/peer.json" <<'EOF'
{"pass_chain_10":{"1":{"transitions_per_s":20000},"64":{"transitions_per_s":25000}},"cpu_per_step":{"pass_us":10,"choice_us":60}}
EOF
cat >"$RAW/interpreter.json" <<'EOF'
{"benchmarks":[
 {"name":"BM_PassChain_mean","run_name":"BM_PassChain","run_type":"aggregate","aggregate_name":"mean","us/step":9},
 {"name":"BM_PassChain_median","run_name":"BM_PassChain","run_type":"aggregate","aggregate_name":"median","us/step":1},
 {"name":"BM_ChoiceChain","run_name":"BM_ChoiceChain","run_type":"iteration","us/step":3}]}
EOF
echo '{"pass_chain_10":{"errors":0,"transitions_per_s":50000,"server_cpu_us_per_transition":17.4}}' >"$RAW/standard.json"
echo '{"express_sync_10":{"errors":1,"transitions_per_s":100000}}' >"$RAW/express.json"
echo '{"start_only":{"errors":0,"start_execution_latency":{"p50_ms":0.5,"p99_ms":2}}}' >"$RAW/start_1k.json"
echo '{"activity_3":{"errors":0,"tasks_per_s":1984.4}}' >"$RAW/activity_16.json"
echo '{"activity_3":{"errors":0,"activity_round_trip":{"p50_ms":0.8}}}' >"$RAW/activity_round_trip.json"
echo '{"pass_chain_10":{"errors":0,"transitions_per_s":5000}}' >"$RAW/payload_64k.json"
echo '{"parked":{"executions":100000,"errors":0,"server_rss_before_kb":20480,"server_rss_half_kb":122880,"server_rss_after_kb":225280,"server_rss_kb_per_execution":2.048,"server_rss_kb_per_execution_second_half":2.048}}' >"$RAW/parked.json"
out=$(node "$SRC/bench/side_by_side_summary.mjs" "$RAW")
grep -q "extrapolated from 100,000" <<<"$out" || fail "the extrapolated RSS is not labelled: $out"
tail -n 1 <<<"$out" | node -e '
  const o = JSON.parse(require("fs").readFileSync(0, "utf8"));
  const want = {
    interpreter_cpu_ratio: 10, interpreter_pass_cpu_ratio: 10, interpreter_choice_cpu_ratio: 20,
    standard_transitions_ratio: 2, express_sync_ratio: 4, start_p50_ms_at_1k: 0.5,
    start_p99_ms_at_1k: 2, activity_tasks_per_s: 1984, activity_round_trip_p50_ms: 0.8,
    payload_64k_transitions_per_s: 5000, parked_1m_rss_mib: 2020, parked_1m_rss_extrapolated: true,
    stepwise_errors: 1, peer_transitions_per_s_c1: 20000, load_after: "2.00 1.50 1.00",
  };
  for (const [k, v] of Object.entries(want)) {
    if (o[k] !== v) { console.error(`${k}: ${JSON.stringify(o[k])}, want ${v}`); process.exit(1); }
  }' || fail "the summary computed wrong figures: $out"
echo "ok: summary"
