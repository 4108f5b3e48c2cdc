#!/usr/bin/env bash
# Builds the Debian package from a configured build directory and proves it on
# this machine, then leaves the machine as it found it:
#  1. `cpack -G DEB` (cmake/packaging.cmake) into a temporary directory;
#  2. lintian when installed: its report is printed; an error (E:) fails;
#  3. `apt-get install ./stepwise_<version>_<arch>.deb` (dependencies resolved
#     by apt from the package's dpkg-shlibdeps Depends);
#  4. checks the `stepwise` system user and group, the installed files, their
#     owners and modes, the conffile and /var/lib/stepwise; with systemd
#     running, that postinst enabled and started the service (then stopped
#     here), without it, that `systemctl enable` links the unit offline;
#  5. starts stepwised as the unit would, without systemd: the installed
#     unit's User=, UMask=, Environment= lines (packaged config and data
#     directory) and ExecStart= line, under `runuser -u stepwise --`; only the
#     listen addresses are moved to free loopback ports;
#  6. the walkthrough with the packaged `stepwise` CLI: an activity, a state
#     machine using it (examples/walkthrough/), a worker, an execution that
#     must SUCCEED, its history, an online backup written by the server into
#     /var/lib/stepwise-backup;
#  7. stops stepwised with SIGTERM (it must exit 0) and `apt-get purge`s the
#     package: no file, directory, unit link or dpkg record of it may
#     remain. The `stepwise` user (which Debian packages keep on purge) is
#     deleted when this script created it.
# A trap undoes whatever was done when a step fails.
#
# It installs a package system-wide, so it needs root. With --if-enabled (how
# ctest runs it) it runs only as root with CI=true or STEPWISE_PACKAGE_TEST=1
# and otherwise exits 77 (ctest: skipped), saying why.
# Usage: check-package.sh [--if-enabled] BUILD_DIR     (25-40 s)
set -u
IF_ENABLED=0
if [ "${1:-}" = --if-enabled ]; then IF_ENABLED=1; shift; fi
[ $# -eq 1 ] || { echo "usage: $0 [--if-enabled] BUILD_DIR" >&2; exit 2; }
BUILD=$(realpath "$1")
ROOT=$(realpath "$(dirname "$0")/../..")

skip_or_fail() {
  if [ "$IF_ENABLED" = 1 ]; then echo "SKIP: $*"; exit 77; fi
  echo "FAIL: $*"; exit 1
}
if [ "$IF_ENABLED" = 1 ] && [ "${CI:-}" != true ] && [ "${STEPWISE_PACKAGE_TEST:-}" != 1 ]; then
  echo "SKIP: installs the stepwise package system-wide; runs only with CI=true or STEPWISE_PACKAGE_TEST=1 (as root)"
  exit 77
fi
[ "$(id -u)" -eq 0 ] || skip_or_fail "needs root (it installs and purges the stepwise package)"
for tool in cpack apt-get dpkg dpkg-shlibdeps runuser; do
  command -v "$tool" >/dev/null || skip_or_fail "$tool not found (Debian's cmake, apt, dpkg-dev, util-linux)"
done
[ -f "$BUILD/CPackConfig.cmake" ] || { echo "FAIL: no CPackConfig.cmake in $BUILD (configure it first)"; exit 1; }
# Never touch an installation or data this script did not make.
if dpkg-query -W -f='${Status}' stepwise 2>/dev/null | grep -q 'ok installed\|config-files'; then
  echo "FAIL: the stepwise package is already installed; this check installs and purges it"
  exit 1
fi
WANTS_LINK=/etc/systemd/system/multi-user.target.wants/stepwised.service
for path in /var/lib/stepwise /var/lib/stepwise-backup /etc/stepwise $WANTS_LINK; do
  [ ! -e "$path" ] && [ ! -L "$path" ] || { echo "FAIL: $path exists; purging the package would delete it"; exit 1; }
done

START=$(date +%s%N)
elapsed() { local ms=$((($(date +%s%N) - START) / 1000000)); printf '%d.%d s' $((ms / 1000)) $((ms % 1000 / 100)); }
FAILS=0
fail() { echo "FAIL: $*"; FAILS=$((FAILS + 1)); }
ok() { echo "ok: $*"; }
expect_contains() {
  case "$2" in *"$3"*) ok "$1" ;; *) fail "$1: expected '$3' in: $2" ;; esac
}

TMP=$(mktemp -d)
chmod 0755 "$TMP"  # apt's _apt user reads the .deb from here
USER_EXISTED=0
getent passwd stepwise >/dev/null && USER_EXISTED=1
INSTALLED=0
SERVER_PID=
WORKER_PID=
cleanup() {
  [ -n "$WORKER_PID" ] && kill "$WORKER_PID" 2>/dev/null && wait "$WORKER_PID" 2>/dev/null
  if [ -n "$SERVER_PID" ]; then
    kill -TERM $(pgrep -P "$SERVER_PID") 2>/dev/null
    wait "$SERVER_PID" 2>/dev/null
  fi
  if [ "$INSTALLED" = 1 ]; then
    rm -rf /var/lib/stepwise-backup/check
    DEBIAN_FRONTEND=noninteractive apt-get purge -y -qq stepwise >/dev/null 2>&1 ||
      dpkg --purge stepwise >/dev/null 2>&1
  fi
  # Absent at the start (checked above): whatever a broken package left goes.
  rm -rf /var/lib/stepwise /var/lib/stepwise-backup /etc/stepwise
  rm -f "$WANTS_LINK"
  if [ "$USER_EXISTED" = 0 ] && getent passwd stepwise >/dev/null; then
    userdel stepwise 2>/dev/null
  fi
  if [ "$USER_EXISTED" = 0 ] && getent group stepwise >/dev/null; then
    groupdel stepwise 2>/dev/null
  fi
  rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

# --- 1. build the package ---
if ! (cd "$BUILD" && cpack -G DEB -B "$TMP/pkg" >"$TMP/cpack.log" 2>&1); then
  cat "$TMP/cpack.log"; echo "FAIL: cpack -G DEB"; exit 1
fi
DEB=$(ls "$TMP"/pkg/stepwise_*.deb 2>/dev/null | head -1)
[ -n "$DEB" ] || { cat "$TMP/cpack.log"; echo "FAIL: cpack made no stepwise_*.deb"; exit 1; }
chmod 0755 "$TMP/pkg"
ok "built $(basename "$DEB") ($(du -h "$DEB" | cut -f1)) in $(elapsed)"
VERSION=$(dpkg-deb -f "$DEB" Version)
ARCH=$(dpkg-deb -f "$DEB" Architecture)
PROJECT_VERSION=$(sed -n 's/^CMAKE_PROJECT_VERSION:STATIC=//p' "$BUILD/CMakeCache.txt")
[ "$VERSION" = "$PROJECT_VERSION" ] && ok "version $VERSION is the project's" ||
  fail "package version $VERSION, project version $PROJECT_VERSION"
[ "$ARCH" = "$(dpkg --print-architecture)" ] && ok "architecture $ARCH is dpkg's" ||
  fail "architecture $ARCH, dpkg says $(dpkg --print-architecture)"
DEPENDS=$(dpkg-deb -f "$DEB" Depends)
expect_contains "Depends has adduser" "$DEPENDS" "adduser"
expect_contains "Depends computed by dpkg-shlibdeps" "$DEPENDS" "librocksdb"

# --- 2. lintian ---
if command -v lintian >/dev/null; then
  lintian "$DEB" >"$TMP/lintian.log" 2>&1
  if [ -s "$TMP/lintian.log" ]; then echo "--- lintian ---"; cat "$TMP/lintian.log"; echo "---"; fi
  if grep -q '^E: ' "$TMP/lintian.log"; then fail "lintian reports errors"; else ok "lintian: no errors"; fi
else
  echo "skip: lintian not installed (apt-get install lintian)"
fi

# --- 3. install ---
if ! DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
       -o DPkg::Lock::Timeout=60 "$DEB" >"$TMP/install.log" 2>&1; then
  cat "$TMP/install.log"; echo "FAIL: apt-get install $DEB"; exit 1
fi
INSTALLED=1
ok "apt-get install in $(elapsed)"

# --- 4. user, files, permissions ---
check_stat() {  # PATH OWNER:GROUP MODE
  local got
  got=$(stat -c '%U:%G %a' "$1" 2>/dev/null)
  [ "$got" = "$2 $3" ] && ok "$1 $2 $3" || fail "$1: expected $2 $3, got '${got:-missing}'"
}
IFS=: read -r _ _ uid gid _ home shell < <(getent passwd stepwise)
if [ -n "${uid:-}" ]; then
  [ "$uid" -lt 1000 ] && ok "stepwise is a system user (uid $uid)" || fail "stepwise uid $uid is not a system uid"
  [ "$(getent group stepwise | cut -d: -f3)" = "$gid" ] && ok "stepwise's group is stepwise" ||
    fail "stepwise's primary group is $gid, not the stepwise group"
  [ "$home" = /var/lib/stepwise ] && ok "home /var/lib/stepwise" || fail "home is $home"
  [ "$shell" = /usr/sbin/nologin ] && ok "shell nologin" || fail "shell is $shell"
else
  fail "no stepwise user after install"
fi
check_stat /usr/bin/stepwised root:root 755
check_stat /usr/bin/stepwise root:root 755
check_stat /lib/systemd/system/stepwised.service root:root 644
check_stat /etc/stepwise/stepwised.conf root:root 644
check_stat /usr/share/doc/stepwise/copyright root:root 644
check_stat /var/lib/stepwise stepwise:stepwise 750
check_stat /var/lib/stepwise-backup stepwise:stepwise 750
[ "$(dpkg-query -W -f='${Conffiles}' stepwise | awk '{print $1}')" = /etc/stepwise/stepwised.conf ] &&
  ok "conffile /etc/stepwise/stepwised.conf" || fail "conffiles: $(dpkg-query -W -f='${Conffiles}' stepwise)"
readelf -S /usr/bin/stepwised | grep -q '\.symtab' && fail "stepwised is not stripped" || ok "stepwised is stripped"
/usr/bin/stepwise help >/dev/null 2>&1 && ok "stepwise help runs" || fail "stepwise help"
if command -v systemd-analyze >/dev/null; then
  OUT=$(systemd-analyze verify /lib/systemd/system/stepwised.service 2>&1)
  [ -z "$OUT" ] && ok "systemd-analyze verify (installed unit)" || fail "systemd-analyze verify: $OUT"
fi

# With systemd running, postinst enabled and started the service: it must be
# active; it is stopped to free the data directory for the run below.
# Without systemd, `systemctl enable` (the README's step for that case) must
# work offline, and purge must remove its link.
if [ -d /run/systemd/system ]; then
  systemctl --quiet is-enabled stepwised.service && ok "postinst enabled the unit" ||
    fail "stepwised.service not enabled after install"
  systemctl --quiet is-active stepwised.service && ok "postinst started the service" ||
    fail "stepwised.service not active after install: $(systemctl status stepwised.service 2>&1 | tail -5)"
  systemctl stop stepwised.service
elif command -v systemctl >/dev/null; then
  systemctl enable stepwised.service >/dev/null 2>&1 &&
    [ -L /etc/systemd/system/multi-user.target.wants/stepwised.service ] &&
    ok "systemctl enable (offline) links the unit" || fail "systemctl enable stepwised.service"
fi

# --- 5. start stepwised as the unit does ---
UNIT=/lib/systemd/system/stepwised.service
unit_values() { sed -n "s/^$1=//p" "$UNIT"; }
EXEC=$(unit_values ExecStart)
[ "$(unit_values User)" = stepwise ] && ok "unit runs as User=stepwise" || fail "unit User=$(unit_values User)"
case "$EXEC" in /usr/bin/stepwised*) ok "ExecStart=$EXEC" ;; *) fail "ExecStart=$EXEC is not the packaged stepwised" ;; esac
ENV_ARGS=()
while read -r assignment; do ENV_ARGS+=("$assignment"); done < <(unit_values Environment)
expect_contains "unit passes the packaged config" "${ENV_ARGS[*]}" "STEPWISE_CONFIG=/etc/stepwise/stepwised.conf"
PORTS=/var/lib/stepwise/check-ports
read -r -a EXEC_ARGV <<<"$EXEC"
(
  cd / && umask "$(unit_values UMask)" &&
    exec runuser -u stepwise -- env "${ENV_ARGS[@]}" \
      STEPWISE_GRPC_LISTEN=127.0.0.1:0 STEPWISE_HTTP_LISTEN=127.0.0.1:0 STEPWISE_PORTS_FILE=$PORTS \
      "${EXEC_ARGV[@]}"
) >"$TMP/server.log" 2>&1 &
SERVER_PID=$!
for _ in $(seq 1 200); do [ -s "$PORTS" ] && break; sleep 0.05; done
if [ ! -s "$PORTS" ]; then cat "$TMP/server.log"; echo "FAIL: stepwised did not start"; exit 1; fi
SERVER_USER=$(ps -o user= -p "$(pgrep -P "$SERVER_PID" | head -1)" 2>/dev/null)
[ "$SERVER_USER" = stepwise ] && ok "stepwised runs as stepwise" || fail "stepwised runs as '$SERVER_USER'"
expect_contains "server log names the data directory" "$(cat "$TMP/server.log")" "/var/lib/stepwise"
export STEPWISE_ENDPOINT=127.0.0.1:$(sed -n 's/^grpc=//p' "$PORTS")
ok "stepwised listening on $STEPWISE_ENDPOINT ($(elapsed))"

# --- 6. the walkthrough, with the packaged CLI ---
SW=/usr/bin/stepwise
EXAMPLES=$ROOT/examples/walkthrough
OUT=$(timeout 20 $SW activity create greet 2>&1)
expect_contains "activity created" "$OUT" "arn:aws:states:us-east-1:123456789012:activity:greet"
OUT=$(timeout 20 $SW machine create Greeter --definition "$EXAMPLES/definition.json" 2>&1)
expect_contains "machine created" "$OUT" "arn:aws:states:us-east-1:123456789012:stateMachine:Greeter"
$SW worker --activity greet -- "$EXAMPLES/greet.sh" >"$TMP/worker.log" 2>&1 &
WORKER_PID=$!
OUT=$(timeout 30 $SW start Greeter --name packaged --input '{"name": "Ada"}' --wait 2>&1)
expect_contains "execution SUCCEEDED" "$OUT" '"status": "SUCCEEDED"'
expect_contains "worker result in output" "$OUT" '"greeting": "Hello, Ada!"'
OUT=$(timeout 20 $SW history arn:aws:states:us-east-1:123456789012:execution:Greeter:packaged 2>&1)
expect_contains "history ends" "$OUT" "ExecutionSucceeded"
OUT=$(timeout 20 $SW admin backup /var/lib/stepwise-backup/check 2>&1)
expect_contains "backup written" "$OUT" "backup written to /var/lib/stepwise-backup/check"
check_stat /var/lib/stepwise-backup/check/CURRENT stepwise:stepwise 640
[ -f /var/lib/stepwise/CURRENT ] && ok "RocksDB data in /var/lib/stepwise" || fail "no /var/lib/stepwise/CURRENT"
kill "$WORKER_PID" 2>/dev/null; wait "$WORKER_PID" 2>/dev/null; WORKER_PID=

# --- 7. stop, purge, nothing left ---
# runuser passes its child's exit status on; SIGTERM to runuser itself
# would end the session instead, so the signal goes to stepwised.
kill -TERM $(pgrep -P "$SERVER_PID")
wait "$SERVER_PID"; RC=$?
SERVER_PID=
[ "$RC" -eq 0 ] && ok "stepwised exits 0 on SIGTERM" || fail "stepwised exit status $RC on SIGTERM"
rm -rf /var/lib/stepwise-backup/check
if DEBIAN_FRONTEND=noninteractive apt-get purge -y -qq -o DPkg::Lock::Timeout=60 stepwise \
     >"$TMP/purge.log" 2>&1; then
  INSTALLED=0
  ok "apt-get purge"
else
  cat "$TMP/purge.log"; fail "apt-get purge stepwise"
fi
dpkg-query -W stepwise >/dev/null 2>&1 && fail "dpkg still knows stepwise after purge" || ok "no dpkg record left"
LEFT=
for path in /usr/bin/stepwised /usr/bin/stepwise /lib/systemd/system/stepwised.service \
            /etc/stepwise /usr/share/doc/stepwise /var/lib/stepwise /var/lib/stepwise-backup \
            $WANTS_LINK; do
  [ ! -e "$path" ] && [ ! -L "$path" ] || LEFT="$LEFT $path"
done
[ -z "$LEFT" ] && ok "purge left none of the package's files or directories" || fail "left after purge:$LEFT"

if [ "$FAILS" -ne 0 ]; then
  echo "--- server log ---"; cat "$TMP/server.log"
  echo "--- worker log ---"; cat "$TMP/worker.log"
  echo "$FAILS check(s) failed ($(elapsed))"; exit 1
fi
echo "all package checks passed in $(elapsed)"
