#!/usr/bin/env bash
# Tries Stepwise's cluster mode on one machine: PostgreSQL 15 from initdb in
# a state directory and three stepwised nodes on it (32 shards, one cluster
# secret, loopback ports), as in README.md "Beyond one machine".
#
#   deploy/cluster/run-local.sh start    # prints the nodes' endpoints
#   deploy/cluster/run-local.sh status   # stepwise admin cluster, via node 1
#   deploy/cluster/run-local.sh stop     # SIGTERM the nodes, stop PostgreSQL, keep the files
#   deploy/cluster/run-local.sh clean    # stop, then remove the state directory
#
# Environment (defaults in brackets):
#   STEPWISE_CLUSTER_DIR  state: PostgreSQL data, secret, logs [/tmp/stepwise-cluster]
#   STEPWISED, STEPWISE   the binaries [build/dev/... of this checkout, else $PATH]
#   PG_BIN                PostgreSQL 15's binaries [/usr/lib/postgresql/15/bin]
#   PG_PORT               PostgreSQL's TCP port on 127.0.0.1 [55432]
#   GRPC_BASE, HTTP_BASE  node i listens on GRPC_BASE+i / HTTP_BASE+i [7710 / 8090]
# PostgreSQL refuses to run as root: as root it runs as the user `postgres`
# (Debian's postgresql-common creates it; PG_USER overrides) via runuser.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
state="${STEPWISE_CLUSTER_DIR:-/tmp/stepwise-cluster}"
pg_bin="${PG_BIN:-/usr/lib/postgresql/15/bin}"
pg_port="${PG_PORT:-55432}"
grpc_base="${GRPC_BASE:-7710}"
http_base="${HTTP_BASE:-8090}"
nodes=3
shards=32

find_binary() {  # NAME, path under build/dev
  if [[ -x "$root/build/dev/$2" ]]; then echo "$root/build/dev/$2"; return; fi
  command -v "$1" || { echo "run-local.sh: cannot find $1 (build it, or set ${1^^})" >&2; exit 2; }
}
stepwised="${STEPWISED:-$(find_binary stepwised server/stepwised)}"
stepwise="${STEPWISE:-$(find_binary stepwise cli/stepwise)}"

as_pg() {  # runs a command as PostgreSQL's user
  if [[ "$(id -u)" == 0 ]]; then runuser -u "${PG_USER:-postgres}" -- "$@"; else "$@"; fi
}

uri="postgresql://stepwise@127.0.0.1:$pg_port/stepwise"

start() {
  if [[ -f "$state/node1.pid" ]] && kill -0 "$(cat "$state/node1.pid")" 2>/dev/null; then
    echo "already running (state in $state); run-local.sh stop first" >&2; exit 1
  fi
  mkdir -p "$state/pg"
  if [[ "$(id -u)" == 0 ]]; then chown "${PG_USER:-postgres}" "$state/pg"; fi
  if [[ ! -f "$state/pg/data/PG_VERSION" ]]; then
    echo "initdb: $state/pg/data"
    as_pg "$pg_bin/initdb" -D "$state/pg/data" -U stepwise --auth=trust -E UTF8 --locale=C \
      >"$state/initdb.log"
  fi
  as_pg "$pg_bin/pg_ctl" -D "$state/pg/data" -l "$state/pg/log" -w -t 60 \
    -o "-c listen_addresses=127.0.0.1 -p $pg_port -k $state/pg -c fsync=on -c max_connections=200" \
    start >/dev/null
  as_pg "$pg_bin/psql" -h 127.0.0.1 -p "$pg_port" -U stepwise -d postgres -qAt \
    -c "SELECT 1 FROM pg_database WHERE datname = 'stepwise'" | grep -q 1 ||
    as_pg "$pg_bin/psql" -h 127.0.0.1 -p "$pg_port" -U stepwise -d postgres -q \
      -c "CREATE DATABASE stepwise"
  # One secret for every node: forwarded calls are signed with it.
  if [[ ! -s "$state/cluster-secret" ]]; then
    (umask 077; openssl rand -hex 32 >"$state/cluster-secret")
  fi
  for i in $(seq 1 "$nodes"); do
    local grpc="127.0.0.1:$((grpc_base + i))" http="127.0.0.1:$((http_base + i))"
    "$stepwised" --store "$uri" --cluster-shards "$shards" \
      --cluster-secret-file "$state/cluster-secret" \
      --grpc-listen "$grpc" --http-listen "$http" >"$state/node$i.log" 2>&1 &
    echo $! >"$state/node$i.pid"
  done
  for i in $(seq 1 "$nodes"); do
    local http="127.0.0.1:$((http_base + i))" ok=""
    for _ in $(seq 1 300); do
      if curl -fs "http://$http/readyz" >/dev/null 2>&1; then ok=1; break; fi
      if ! kill -0 "$(cat "$state/node$i.pid")" 2>/dev/null; then break; fi
      sleep 0.1
    done
    if [[ -z "$ok" ]]; then
      echo "node $i did not become ready; its log ($state/node$i.log):" >&2
      tail -20 "$state/node$i.log" >&2
      exit 1
    fi
  done
  echo "PostgreSQL 15: $uri (data in $state/pg/data)"
  for i in $(seq 1 "$nodes"); do
    echo "node $i: gRPC 127.0.0.1:$((grpc_base + i))  AWS JSON + console http://127.0.0.1:$((http_base + i))/  log $state/node$i.log"
  done
  echo "try:  $stepwise admin cluster --endpoint 127.0.0.1:$((grpc_base + 1))"
  echo "      aws stepfunctions --endpoint-url http://127.0.0.1:$((http_base + 2)) list-state-machines"
}

stop() {
  for i in $(seq 1 "$nodes"); do
    if [[ -f "$state/node$i.pid" ]]; then
      local pid; pid="$(cat "$state/node$i.pid")"
      if kill -0 "$pid" 2>/dev/null; then kill -TERM "$pid"; fi
    fi
  done
  for i in $(seq 1 "$nodes"); do
    if [[ -f "$state/node$i.pid" ]]; then
      local pid; pid="$(cat "$state/node$i.pid")"
      for _ in $(seq 1 150); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
      rm -f "$state/node$i.pid"
    fi
  done
  if [[ -f "$state/pg/data/postmaster.pid" ]]; then
    as_pg "$pg_bin/pg_ctl" -D "$state/pg/data" -m fast -w stop >/dev/null
  fi
  echo "stopped (state kept in $state)"
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  status) "$stepwise" admin cluster --endpoint "127.0.0.1:$((grpc_base + 1))" ;;
  clean) stop; rm -rf "$state"; echo "removed $state" ;;
  *) echo "usage: $0 start|status|stop|clean" >&2; exit 2 ;;
esac
