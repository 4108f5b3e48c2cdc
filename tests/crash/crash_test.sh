#!/usr/bin/env bash
# Kills crash_driver with SIGKILL at random instants, restarts it on the same
# directory each time, lets the last life finish, then runs --verify.
#   crash_test.sh DRIVER DIR
# Environment (defaults are the CI run):
#   CRASH_EXECUTIONS  executions (300)       CRASH_KILLS     kills (20)
#   CRASH_MAX_GAP_MS  longest life (5000)    CRASH_WORKERS   worker threads (8)
#   CRASH_SCALE       clock speed-up (20)    CRASH_MAX_STEPS --max-steps (100)
#   CRASH_DEADLINE_S  final life's limit (240)
#   CRASH_START_RATE  executions started per second of the run (5)
# Each life lasts a uniform random time in [0, CRASH_MAX_GAP_MS) ms.
set -u
DRIVER=${1:?usage: crash_test.sh DRIVER DIR}
DIR=${2:?usage: crash_test.sh DRIVER DIR}
N=${CRASH_EXECUTIONS:-300}
KILLS=${CRASH_KILLS:-20}
GAP=${CRASH_MAX_GAP_MS:-5000}
WORKERS=${CRASH_WORKERS:-8}
SCALE=${CRASH_SCALE:-20}
STEPS=${CRASH_MAX_STEPS:-100}
DEADLINE=${CRASH_DEADLINE_S:-240}
RATE=${CRASH_START_RATE:-5}

rm -rf "$DIR"
mkdir -p "$DIR"
COMMON=(--dir "$DIR" --executions "$N" --max-steps "$STEPS")
RUN=("${COMMON[@]}" --workers "$WORKERS" --scale "$SCALE" --start-rate "$RATE")
start=$(date +%s.%N)
kills=0
finished_early=0
while (( kills < KILLS )); do
  "$DRIVER" "${RUN[@]}" --deadline-s "$DEADLINE" >>"$DIR/driver.out" 2>>"$DIR/driver.err" &
  pid=$!
  ms=$(( RANDOM * 32768 + RANDOM ))
  ms=$(( ms % GAP ))
  sleep "$(printf '%d.%03d' $((ms / 1000)) $((ms % 1000)))"
  if kill -0 "$pid" 2>/dev/null; then
    kill -9 "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
    kills=$((kills + 1))
    echo "kill $kills after ${ms} ms"
  else
    wait "$pid"
    rc=$?
    if (( rc != 0 )); then
      echo "FAIL: driver exited with $rc before it was killed"; tail -20 "$DIR/driver.err"; exit 1
    fi
    finished_early=1
    echo "driver finished after ${ms} ms budget; $kills kills delivered"
    break
  fi
done
echo "final life"
if ! "$DRIVER" "${RUN[@]}" --deadline-s "$DEADLINE" >>"$DIR/driver.out" 2>>"$DIR/driver.err"; then
  echo "FAIL: final life did not close every execution"; tail -30 "$DIR/driver.err"; exit 1
fi
end=$(date +%s.%N)
tail -1 "$DIR/driver.out"
echo "kills: $kills, wall: $(echo "$end - $start" | bc) s"
"$DRIVER" --verify "${COMMON[@]}"
rc=$?
if (( rc != 0 )); then echo "FAIL: verify found violations"; exit "$rc"; fi
if (( finished_early )) && (( kills < KILLS )); then
  echo "NOTE: the workload finished before $KILLS kills; lower CRASH_MAX_GAP_MS or raise CRASH_EXECUTIONS"
fi
echo "PASS"
