#!/usr/bin/env bash
# Installs what is missing, builds everything and runs every test, including
# the conformance regression gates; then prints the conformance summary. The
# corpus is read from ../shared when it is there.
#   default:            the dev preset (gcc, Debug, -Werror) in build/dev.
#   CI=true:            the asan preset instead (clang, Debug, ASan+UBSan,
#                       -Werror, coverage for libFuzzer) in build/asan: the
#                       whole suite once under the sanitizers, then a fuzz
#                       smoke run of the libFuzzer targets built in that tree.
#                       One build and one run of the suite keep CI in its
#                       time budget; the gcc dev build is what developers and
#                       scripts/run.sh build.
#   SW_FULL_TESTS=1:    the dev pass, then the CI pass as well.
#   STEPWISE_TSAN=1:    also the whole suite under ThreadSanitizer.
# Usage: bash scripts/test.sh
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/install-deps.sh
# AWS's Lambda runtime client for tests/lambda (once; a no-op afterwards).
# Without it that test skips, except under CI=true, where it installs it.
# Its install compiles a native addon mostly on one core: it runs beside the
# dev build and is awaited before the tests.
ric_log="$(mktemp)"
bash scripts/install-lambda-ric.sh >"$ric_log" 2>&1 &
ric_pid=$!
# dynalite and s3rver (DynamoDB- and S3-compatible servers, seconds; a no-op
# afterwards) for tests/integrations, the live conformance runner's AWS
# cases and the crash harness's DynamoDB Tasks. Without them those parts
# skip, except under CI=true, where they must run.
bash scripts/install-aws-servers.sh || echo "install-aws-servers failed: the dynalite/s3rver tests will skip"
# The sanitizer pass leaves nothing out: the crash harnesses (their SIGKILLed
# daemons never reach the exit checks, but any error before the kill aborts
# the daemon and fails the test), the external clients' end-to-end scripts,
# the browser, the Debian package and the PostgreSQL cluster tests all run
# against the sanitized stepwised.
dev_pass=1
asan_pass=0
if [ "${CI:-}" = "true" ]; then dev_pass=0; asan_pass=1; fi
if [ "${SW_FULL_TESTS:-}" = "1" ]; then asan_pass=1; fi
status=0
summary_tree=build/dev

if [ "$dev_pass" = 1 ]; then
  cmake --preset dev
  cmake --build --preset dev
fi
if [ "$asan_pass" = 1 ]; then
  cmake --preset asan
  cmake --build --preset asan
fi
wait "$ric_pid" || echo "install-lambda-ric failed: tests/lambda will skip"
cat "$ric_log"
rm -f "$ric_log"
if [ "$dev_pass" = 1 ]; then
  ctest --preset dev -j2 || status=$?
fi
if [ "$asan_pass" = 1 ]; then
  ctest --preset asan -j2 || status=$?
  # A short libFuzzer run of the definition, JSONPath and intrinsic-function
  # parsers, task tokens and the AWS JSON request decoding (20 s per target),
  # built in the same tree.
  bash tests/fuzz/smoke.sh "${SW_FUZZ_SECONDS:-20}" || status=$?
  [ "$dev_pass" = 1 ] || summary_tree=build/asan
fi

# With STEPWISE_TSAN=1: the whole suite again under ThreadSanitizer (tsan
# preset, build/tsan). tests/CMakeLists.txt gives every test TSAN_OPTIONS
# with tests/tsan.supp (uninstrumented third-party libraries only) and
# halt_on_error=1. Not part of CI: the build (~12 min on 2 cores) plus the
# run (~10 min) would take CI past its budget; run it before a release.
if [ "${STEPWISE_TSAN:-}" = "1" ]; then
  cmake --preset tsan
  cmake --build --preset tsan
  ctest --preset tsan -j2 || status=$?
fi

# The summaries are the conformance gates' own output, read back from the
# ctest log of the tree that ran them (the runners are not run twice).
test_output() {  # TEST_NAME: that test's output in the last ctest run's log
  awk -v name="$1" '
    $0 ~ "^[0-9]+/[0-9]+ Test: " name "$" { want = 1; next }
    want && /^Output:$/ { getline; inside = 1; next }
    inside && /^<end of output>$/ { exit }
    inside { print }' "$summary_tree/Testing/Temporary/LastTest.log" 2>/dev/null
}
echo
echo "=== Execution conformance summary ==="
out="$(test_output conformance)"
if [ -n "$out" ]; then echo "$out"; else echo "the conformance test did not run in $summary_tree"; fi
echo
echo "=== Validation conformance summary ==="
out="$(test_output validation_conformance)"
if [ -n "$out" ]; then echo "$out"; else echo "the validation_conformance test did not run in $summary_tree"; fi
exit "$status"
