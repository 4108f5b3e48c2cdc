#!/usr/bin/env bash
# Proof run (long, not in ctest/CI): a PostgreSQL failover under load with
# Patroni in synchronous mode loses no acknowledged Stepwise transition.
#
# Starts, all on loopback, in a temporary state directory:
#   - one etcd (Debian `etcd-server`), Patroni's DCS;
#   - PG_NODES (default 3) PostgreSQL 15 instances managed by Patroni (Debian
#     `patroni`), `synchronous_mode: true` and `synchronous_mode_strict`
#     (SYNC_STRICT, default true: the primary commits only once a synchronous
#     standby has the commit on disk, and with no standby it waits), fsync on;
#   - SW_NODES (default 2) stepwised nodes in cluster mode on a multi-host URI
#     `postgresql://stepwise@127.0.0.1:P1,...,127.0.0.1:Pn/stepwise?target_session_attrs=read-write`,
#     each under a supervisor loop here that restarts it when it exits (a node
#     exits when its database goes away, as docs/postgres.md says; systemd's
#     Restart=on-failure plays that part in production);
#   - a load (bench/patroni_failover_client.py, boto3 on the AWS JSON API):
#     starts of a 5-state Pass chain and a Pass/Wait 1 s/Pass machine, unique
#     names, each retried until acknowledged or ExecutionAlreadyExists.
# After LOAD_BEFORE_S seconds of load the client notes the histories of the
# latest executions; the script stops (SIGSTOP) the primary's WAL senders, so
# no more WAL reaches the replicas, waits STALL_REPLICAS_S (default 2) and
# kills the primary: SIGKILL to its Patroni, its postmaster and every child
# of the postmaster at once (a machine lost whose network went first). In
# synchronous mode nothing can be acknowledged during the stall; with
# SYNC_MODE=false (asynchronous replication, the check's own test) what was
# acknowledged then is lost, and the run must fail.
# The script measures the time until a survivor's Patroni REST API answers
# 200 on /primary and pg_is_in_recovery() is false there; the load goes on
# LOAD_AFTER_S seconds more. Then the client checks that every acknowledged
# start exists, is listed, closes SUCCEEDED, has a gapless history (event ids
# 1..N, ExecutionStarted first, ExecutionSucceeded last) that still begins
# with the events noted before the kill, and prints the figures.
#
#   bench/patroni_failover.sh            # exit 0: nothing acknowledged lost
#
# Environment (defaults in brackets):
#   PATRONI_FAILOVER_DIR  state directory [a new /tmp/sw-patroni.XXXXXX]; kept
#                         after the run (logs, client records, the three data
#                         directories: about 550 MB) unless KEEP=0
#   STEPWISED             the server [/work/main/build/dev/..., else build/dev of
#                         this checkout, else $PATH]
#   PG_BIN                PostgreSQL 15's binaries [/usr/lib/postgresql/15/bin]
#   PG_NODES, SW_NODES    PostgreSQL instances [3], stepwised nodes [2]
#   SYNC_MODE             Patroni's synchronous_mode [true]; false: asynchronous
#                         replication (with MAX_LAG=1073741824 a lagging replica
#                         may still be promoted): acknowledged starts are lost
#   SYNC_STRICT           synchronous_mode_strict [true]
#   MAX_LAG               maximum_lag_on_failover in bytes [1048576]
#   STALL_REPLICAS_S      seconds the WAL senders are stopped before the kill [2; 0 off]
#   LOAD_BEFORE_S, LOAD_AFTER_S  load before / after the kill [20 / 40]
#   THREADS               the client's starting threads [4]
#   BASE_PORT             ports BASE_PORT+0.. are used [24000]
# As root, etcd, Patroni and PostgreSQL run as the user `postgres` (PG_USER).
# Installs `patroni` and `etcd-server` with apt-get when they are missing.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/.." && pwd)"
pg_bin="${PG_BIN:-/usr/lib/postgresql/15/bin}"
pg_nodes="${PG_NODES:-3}"
sw_nodes="${SW_NODES:-2}"
strict="${SYNC_STRICT:-true}"
sync_mode="${SYNC_MODE:-true}"
max_lag="${MAX_LAG:-1048576}"
stall="${STALL_REPLICAS_S:-2}"
load_before="${LOAD_BEFORE_S:-20}"
load_after="${LOAD_AFTER_S:-40}"
threads="${THREADS:-4}"
base="${BASE_PORT:-24000}"
pg_user="${PG_USER:-postgres}"
etcd_client=$((base + 1)) etcd_peer=$((base + 2))
pg_port() { echo $((base + 10 + $1)); }    # PostgreSQL of Patroni node $1
rest_port() { echo $((base + 20 + $1)); }  # Patroni REST API of node $1
grpc_port() { echo $((base + 30 + $1)); }  # stepwised node $1
http_port() { echo $((base + 40 + $1)); }

log() { printf '%s  %s\n' "$(date -u +%H:%M:%S.%3N)" "$*"; }
now() { date +%s.%N; }
die() { log "FAILED: $*"; exit 1; }

find_stepwised() {
  if [[ -n "${STEPWISED:-}" ]]; then echo "$STEPWISED"; return; fi
  for p in /work/main/build/dev/server/stepwised "$root/build/dev/server/stepwised"; do
    if [[ -x "$p" ]]; then echo "$p"; return; fi
  done
  command -v stepwised || { echo "patroni_failover.sh: cannot find stepwised (STEPWISED)" >&2; exit 2; }
}
stepwised="$(find_stepwised)"

if ! command -v patroni >/dev/null || ! command -v etcd >/dev/null; then
  log "installing Debian's patroni and etcd-server"
  apt-get install -y patroni etcd-server >/dev/null
fi
python3 -c 'import boto3' 2>/dev/null || { echo "patroni_failover.sh: needs python3 with boto3" >&2; exit 2; }

# Runs a command as the database's user; exec's in place (no fork), so $! of
# a background `as_pg ...` is the command's own pid.
as_pg() {
  if [[ "$(id -u)" == 0 ]]; then
    exec setpriv --reuid="$pg_user" --regid="$pg_user" --init-groups --reset-env -- "$@"
  else
    exec "$@"
  fi
}

dir="${PATRONI_FAILOVER_DIR:-$(mktemp -d /tmp/sw-patroni.XXXXXX)}"
mkdir -p "$dir"
if [[ "$(id -u)" == 0 ]]; then chown "$pg_user" "$dir"; fi
chmod 755 "$dir"
log "state in $dir; stepwised $stepwised"

etcd_pid="" patroni_pids=() supervisor_pids=()
cleanup() {
  set +e
  touch "$dir/stop"
  for i in $(seq 1 "$sw_nodes"); do
    [[ -f "$dir/sw$i.pid" ]] && kill -TERM "$(cat "$dir/sw$i.pid")" 2>/dev/null
  done
  for p in "${supervisor_pids[@]}"; do wait "$p" 2>/dev/null; done
  for p in "${patroni_pids[@]}"; do kill -TERM "$p" 2>/dev/null; done
  for p in "${patroni_pids[@]}"; do
    for _ in $(seq 1 100); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
  done
  [[ -n "$etcd_pid" ]] && kill -TERM "$etcd_pid" 2>/dev/null && wait "$etcd_pid" 2>/dev/null
  if [[ "${KEEP:-1}" == 0 ]]; then rm -rf "$dir"; else log "logs and records kept in $dir"; fi
}
trap cleanup EXIT

# --- etcd -----------------------------------------------------------------
(as_pg etcd --name e1 --data-dir "$dir/etcd" \
  --listen-client-urls "http://127.0.0.1:$etcd_client" \
  --advertise-client-urls "http://127.0.0.1:$etcd_client" \
  --listen-peer-urls "http://127.0.0.1:$etcd_peer" \
  --initial-advertise-peer-urls "http://127.0.0.1:$etcd_peer" \
  --initial-cluster "e1=http://127.0.0.1:$etcd_peer" >"$dir/etcd.log" 2>&1) &
etcd_pid=$!
for _ in $(seq 1 100); do
  curl -fs "http://127.0.0.1:$etcd_client/health" >/dev/null 2>&1 && break
  kill -0 "$etcd_pid" 2>/dev/null || { tail "$dir/etcd.log"; die "etcd exited"; }
  sleep 0.1
done
log "etcd on 127.0.0.1:$etcd_client"

# --- Patroni + PostgreSQL ---------------------------------------------------
write_patroni_config() {  # node index
  local i=$1 d="$dir/pg$1"
  mkdir -p "$d"
  cat >"$d/patroni.yml" <<EOF
scope: stepwise-failover
namespace: /stepwise/
name: pg$i
log:
  level: INFO
restapi:
  listen: 127.0.0.1:$(rest_port "$i")
  connect_address: 127.0.0.1:$(rest_port "$i")
etcd3:
  hosts: 127.0.0.1:$etcd_client
bootstrap:
  dcs:
    ttl: 10
    loop_wait: 1
    retry_timeout: 4
    maximum_lag_on_failover: $max_lag
    synchronous_mode: $sync_mode
    synchronous_mode_strict: $strict
    postgresql:
      use_pg_rewind: false
      use_slots: true
      parameters:
        fsync: "on"
        synchronous_commit: "on"
        full_page_writes: "on"
        max_connections: 200
        wal_level: replica
        hot_standby: "on"
        max_wal_senders: 10
        max_replication_slots: 10
        wal_keep_size: 256MB
  initdb:
    - encoding: UTF8
    - locale: C
postgresql:
  listen: 127.0.0.1:$(pg_port "$i")
  connect_address: 127.0.0.1:$(pg_port "$i")
  data_dir: $d/data
  bin_dir: $pg_bin
  pgpass: $d/pgpass
  pg_hba:
    - local all all trust
    - host replication replicator 127.0.0.1/32 trust
    - host all all 127.0.0.1/32 trust
  authentication:
    superuser:
      username: postgres
      password: unused-trust-auth
    replication:
      username: replicator
      password: unused-trust-auth
  parameters:
    unix_socket_directories: $d
EOF
  if [[ "$(id -u)" == 0 ]]; then chown -R "$pg_user" "$d"; fi
}

start_patroni() {  # node index
  local i=$1
  (as_pg patroni "$dir/pg$i/patroni.yml" >>"$dir/pg$i/patroni.log" 2>&1) &
  patroni_pids[i]=$!
  disown "$!"  # no job notice when the kill comes
}

role_of() {  # node index -> primary | replica | down (Patroni's REST API)
  local code
  code="$(curl -s -o /dev/null -m 1 -w '%{http_code}' "http://127.0.0.1:$(rest_port "$1")/primary" || true)"
  case "$code" in 200) echo primary ;; 503) echo replica ;; *) echo down ;; esac
}

psql_at() {  # port, SQL (as the superuser, database postgres)
  "$pg_bin/psql" -h 127.0.0.1 -p "$1" -U postgres -d postgres -qAtX -c "$2"
}

for i in $(seq 1 "$pg_nodes"); do write_patroni_config "$i"; done
start_patroni 1  # the first bootstraps the cluster (initdb), the others clone it
for _ in $(seq 1 300); do
  [[ "$(role_of 1)" == primary ]] && break
  kill -0 "${patroni_pids[1]}" 2>/dev/null || { tail -20 "$dir/pg1/patroni.log"; die "Patroni pg1 exited"; }
  sleep 0.2
done
[[ "$(role_of 1)" == primary ]] || { tail -20 "$dir/pg1/patroni.log"; die "pg1 never became primary"; }
for i in $(seq 2 "$pg_nodes"); do start_patroni "$i"; done
sync_ok=""
for _ in $(seq 1 600); do
  streaming="$(psql_at "$(pg_port 1)" "SELECT count(*) FROM pg_stat_replication WHERE state = 'streaming'" 2>/dev/null || true)"
  sync="$(psql_at "$(pg_port 1)" "SELECT count(*) FROM pg_stat_replication WHERE sync_state = 'sync'" 2>/dev/null || true)"
  if [[ "$streaming" == "$((pg_nodes - 1))" && ( "$sync" -ge 1 || "$sync_mode" != true ) ]]; then
    sync_ok=1; break
  fi
  sleep 0.2
done
[[ -n "$sync_ok" ]] || { for i in $(seq 2 "$pg_nodes"); do tail -5 "$dir/pg$i/patroni.log"; done; die "replicas not streaming"; }
log "PostgreSQL: pg1 primary, $((pg_nodes - 1)) replica(s) streaming; synchronous_mode $sync_mode, synchronous_mode_strict $strict, maximum_lag_on_failover $max_lag"
log "  $(psql_at "$(pg_port 1)" "SELECT 'synchronous_standby_names=' || current_setting('synchronous_standby_names') || ' fsync=' || current_setting('fsync') || ' synchronous_commit=' || current_setting('synchronous_commit')")"
psql_at "$(pg_port 1)" "CREATE ROLE stepwise LOGIN" >/dev/null
psql_at "$(pg_port 1)" "CREATE DATABASE stepwise OWNER stepwise" >/dev/null

hosts=""
for i in $(seq 1 "$pg_nodes"); do hosts+="${hosts:+,}127.0.0.1:$(pg_port "$i")"; done
uri="postgresql://stepwise@$hosts/stepwise?target_session_attrs=read-write&connect_timeout=2"
log "store: $uri"

# --- stepwised nodes, each under a supervisor that restarts it ----------------
(umask 077; openssl rand -hex 32 >"$dir/cluster-secret")
supervise() {  # node index
  local i=$1 starts=0 rc
  while [[ ! -f "$dir/stop" ]]; do
    starts=$((starts + 1))
    "$stepwised" --store "$uri" --cluster-shards 8 --cluster-lease-ttl 4 \
      --cluster-secret-file "$dir/cluster-secret" \
      --grpc-listen "127.0.0.1:$(grpc_port "$i")" --advertise-address "127.0.0.1:$(grpc_port "$i")" \
      --http-listen "127.0.0.1:$(http_port "$i")" >>"$dir/sw$i.log" 2>&1 &
    echo $! >"$dir/sw$i.pid"
    rc=0; wait $! || rc=$?
    [[ -f "$dir/stop" ]] && break
    printf '%s node %d exited with code %d; restarting (start %d)\n' "$(now)" "$i" "$rc" \
      $((starts + 1)) >>"$dir/supervisor.log"
    sleep 0.5
  done
}
for i in $(seq 1 "$sw_nodes"); do
  supervise "$i" &
  supervisor_pids+=($!)
  if [[ "$i" == 1 ]]; then sleep 1; fi  # node 1 creates the schema and the shards
done
endpoints=""
for i in $(seq 1 "$sw_nodes"); do
  ok=""
  for _ in $(seq 1 300); do
    curl -fs "http://127.0.0.1:$(http_port "$i")/readyz" >/dev/null 2>&1 && { ok=1; break; }
    sleep 0.1
  done
  [[ -n "$ok" ]] || { tail -20 "$dir/sw$i.log"; die "stepwised node $i not ready"; }
  endpoints+="${endpoints:+,}http://127.0.0.1:$(http_port "$i")"
done
sleep 5  # the shards balance over the nodes (lease TTL 4 s)
log "stepwised: $sw_nodes node(s) ready: $endpoints"

# --- the load, the kill, the measurements -----------------------------------
python3 "$here/patroni_failover_client.py" --endpoints "$endpoints" --dir "$dir" \
  --before "$load_before" --after "$load_after" --threads "$threads" &
client_pid=$!

while [[ ! -f "$dir/kill-now" ]]; do
  kill -0 "$client_pid" 2>/dev/null || die "the client exited before the kill"
  sleep 0.05
done
primary=""
for i in $(seq 1 "$pg_nodes"); do
  if [[ "$(role_of "$i")" == primary ]]; then primary=$i; fi
done
[[ -n "$primary" ]] || die "no primary before the kill"
# The primary's WAL senders are stopped (SIGSTOP) STALL_REPLICAS_S before the
# kill (the kill ends them): the replicas get nothing more, as when the
# primary's network goes first, and the primary runs ahead of them until it
# dies. In synchronous mode it cannot acknowledge a commit meanwhile.
stalled=()
if [[ "$stall" != 0 ]]; then
  for c in $(pgrep -P "$(head -1 "$dir/pg$primary/data/postmaster.pid")" || true); do
    if tr '\0' ' ' <"/proc/$c/cmdline" 2>/dev/null | grep -q walsender; then stalled+=("$c"); fi
  done
  [[ "${#stalled[@]}" == $((pg_nodes - 1)) ]] || die "found ${#stalled[@]} WAL senders, not $((pg_nodes - 1))"
  kill -STOP "${stalled[@]}"
  now >"$dir/stalled"
  log "stopped the primary's WAL senders (${stalled[*]}) for $stall s"
  sleep "$stall"
fi
postmaster="$(head -1 "$dir/pg$primary/data/postmaster.pid")"
victims=("${patroni_pids[$primary]}" "$postmaster")
mapfile -t children < <(pgrep -P "$postmaster" || true)
victims+=("${children[@]}")
kill -KILL "${victims[@]}"
t_kill="$(now)"  # after the signals are sent: nothing acknowledged later can come from pg$primary
echo "$t_kill" >"$dir/killed"
log "killed the primary pg$primary: SIGKILL to Patroni ${patroni_pids[$primary]}, postmaster $postmaster and its ${#children[@]} children"

promoted="" t_promoted=""
for _ in $(seq 1 1200); do
  for i in $(seq 1 "$pg_nodes"); do
    [[ "$i" == "$primary" ]] && continue
    if [[ "$(role_of "$i")" == primary ]] &&
       [[ "$(psql_at "$(pg_port "$i")" "SELECT pg_is_in_recovery()" 2>/dev/null)" == f ]]; then
      promoted=$i; t_promoted="$(now)"; break 2
    fi
  done
  sleep 0.05
done
[[ -n "$promoted" ]] || die "no replica promoted within 60 s"
failover_s="$(echo "$t_promoted - $t_kill" | bc -l)"
printf '%s %s %s\n' "$t_promoted" "$promoted" "$failover_s" >"$dir/promoted"
log "pg$promoted promoted: $(printf '%.2f' "$failover_s") s after the kill"
t_sync=""
for _ in $(seq 1 "$([[ "$sync_mode" == true ]] && echo 1200 || echo 0)"); do
  sync="$(psql_at "$(pg_port "$promoted")" "SELECT count(*) FROM pg_stat_replication WHERE sync_state = 'sync'" 2>/dev/null || true)"
  [[ "$sync" -ge 1 ]] 2>/dev/null && { t_sync="$(now)"; break; }
  sleep 0.05
done
if [[ -n "$t_sync" ]]; then
  log "pg$promoted has a synchronous standby again $(printf '%.2f' "$(echo "$t_sync - $t_kill" | bc -l)") s after the kill"
  echo "$t_sync" >"$dir/sync-again"
elif [[ "$sync_mode" == true ]]; then
  log "pg$promoted has no synchronous standby 60 s after the kill"
fi

rc=0
wait "$client_pid" || rc=$?
restarts="$(grep -c 'restarting' "$dir/supervisor.log" 2>/dev/null || true)"
log "stepwised restarts by the supervisor: ${restarts:-0} (exit codes: $(awk '{n[$7+0]++} END {for (c in n) printf "%d x code %d; ", n[c], c}' "$dir/supervisor.log" 2>/dev/null))"
if [[ "$rc" == 0 ]]; then log "PASS: no acknowledged start or transition lost"; else log "FAIL (client exit $rc)"; fi
exit "$rc"
