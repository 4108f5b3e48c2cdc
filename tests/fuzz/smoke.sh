#!/usr/bin/env bash
# Fuzz smoke test: builds the libFuzzer targets in the `asan` preset's tree
# (clang, ASan+UBSan, coverage for libFuzzer; the tree CI tests in) or the
# preset named by SW_FUZZ_PRESET (`fuzz`: -O1, more runs per second for long
# sessions), extracts seeds (make_seeds.sh) and runs each target for SECONDS seconds
# (default 60), two at a time (SW_FUZZ_JOBS). Exits non-zero when a target crashes, leaks, times out or a
# sanitizer reports; crash-* / leak-* / timeout-* files land in
# <build>/fuzz-artifacts/. Usage: tests/fuzz/smoke.sh [seconds]
set -uo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
secs="${1:-${SECONDS_PER_TARGET:-60}}"
preset="${SW_FUZZ_PRESET:-asan}"
build="$repo/build/$preset"
cd "$repo" || exit 2
targets=(fuzz_definition fuzz_jsonpath fuzz_intrinsics fuzz_task_token fuzz_aws_request)

cmake --preset "$preset" >/dev/null || exit 2
cmake --build "$build" --target "${targets[@]}" -j2 || exit 2
"$here/make_seeds.sh" "$build/fuzz-seeds" || exit 2

status=0
mkdir -p "$build/fuzz-artifacts"
rm -f "$build"/fuzz-artifacts/*.rc
# Runs target $1 for $secs seconds; its exit code is written to its .rc file.
run_target() {
  local t="$1" corpus="$build/fuzz-corpus/$1" dict=()
  mkdir -p "$corpus"
  [[ -f "$here/$t.dict" ]] && dict=(-dict="$here/$t.dict")
  ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1}" \
  UBSAN_OPTIONS="${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}" \
  "$build/tests/fuzz/$t" "$corpus" "$build/fuzz-seeds/$t" "${dict[@]}" \
      -max_total_time="$secs" -rss_limit_mb=2048 -timeout=5 -max_len=8192 \
      -artifact_prefix="$build/fuzz-artifacts/$t-" -print_final_stats=1 \
      2>"$build/fuzz-artifacts/$t.log"
  echo $? >"$build/fuzz-artifacts/$t.rc"
}
# A target runs on one core: SW_FUZZ_JOBS (default 2) run at once.
jobs_at_once="${SW_FUZZ_JOBS:-2}"
for t in "${targets[@]}"; do
  while [[ $(jobs -rp | wc -l) -ge $jobs_at_once ]]; do wait -n || true; done
  echo "== $t (${secs}s)"
  run_target "$t" &
done
wait
for t in "${targets[@]}"; do
  rc=$(cat "$build/fuzz-artifacts/$t.rc" 2>/dev/null || echo 99)
  echo "== $t: exit $rc"
  grep -E "^#[0-9]+ +DONE|stat::number_of_executed_units|cov:" "$build/fuzz-artifacts/$t.log" | tail -2
  if [[ $rc -ne 0 ]]; then
    echo "!! $t failed (exit $rc); see $build/fuzz-artifacts/$t.log"
    grep -E "ERROR: |SUMMARY: |runtime error" "$build/fuzz-artifacts/$t.log" | head -5
    status=1
  fi
done
exit $status
