#!/usr/bin/env bash
# Checks the deploy files against the built binaries without installing or
# running anything:
#  - deploy/stepwised.service passes `systemd-analyze verify` (ExecStart
#    pointed at the built stepwised; skipped when systemd-analyze is absent);
#  - every shared library stepwised and stepwise need (readelf NEEDED) comes
#    from a package the Containerfile's runtime stage installs, from one of
#    their direct dependencies, or from the base image;
#  - the Containerfile builds and copies both binaries.
# Usage: verify_deploy.sh REPO_ROOT STEPWISED STEPWISE
set -u
ROOT=$1
STEPWISED=$(realpath "$2")
SW=$(realpath "$3")
FAILS=0
fail() { echo "FAIL: $*"; FAILS=$((FAILS + 1)); }
ok() { echo "ok: $*"; }
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

# --- systemd unit ---
if command -v systemd-analyze >/dev/null; then
  sed "s|/usr/local/bin/stepwised|$STEPWISED|" "$ROOT/deploy/stepwised.service" \
    >"$TMP/stepwised.service"
  if OUT=$(cd "$TMP" && systemd-analyze verify stepwised.service 2>&1) && [ -z "$OUT" ]; then
    ok "systemd-analyze verify"
  else
    fail "systemd-analyze verify: $OUT"
  fi
else
  echo "skip: systemd-analyze not installed (apt-get install systemd)"
fi

# --- Containerfile ---
CF="$ROOT/deploy/Containerfile"
# Packages of the runtime stage: the apt-get install after the last FROM.
RUNTIME=$(awk '/^FROM /{stage++} stage==2' "$CF" | tr ' \\' '\n\n' |
  grep -E '^lib[a-z0-9.+-]+$' | sort -u)
[ -n "$RUNTIME" ] && ok "runtime packages: $(echo $RUNTIME)" || fail "no runtime packages found"
grep -q 'cmake --build /build --target stepwised stepwise_cli' "$CF" &&
  ok "Containerfile builds stepwised and stepwise" || fail "Containerfile build targets"
grep -q '^COPY --from=build /build/cli/stepwise ' "$CF" && grep -q '^COPY --from=build /build/server/stepwised ' "$CF" &&
  ok "Containerfile copies both binaries" || fail "Containerfile COPY lines"
if command -v dpkg >/dev/null && command -v apt-cache >/dev/null; then
  ALLOWED="$RUNTIME libc6 libstdc++6 libgcc-s1 zlib1g"
  for p in $RUNTIME; do
    ALLOWED="$ALLOWED $(apt-cache depends "$p" 2>/dev/null | sed -n 's/^ *Depends: //p' | tr -d '<>')"
  done
  # Each binary's NEEDED libraries, resolved by ldconfig; then one dpkg -S
  # for all of them (one call per library took a minute on sanitizer builds).
  NEEDED=()  # "binary|library|path|real path"
  for bin in "$STEPWISED" "$SW"; do
    for lib in $(readelf -d "$bin" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p'); do
      path=$(ldconfig -p | awk -v l="$lib" '$1 == l {print $NF; exit}')
      [ -n "$path" ] || { fail "$(basename "$bin"): $lib not found by ldconfig"; continue; }
      NEEDED+=("$(basename "$bin")|$lib|$path|$(readlink -f "$path")")
    done
  done
  OWNERS=$(for n in "${NEEDED[@]}"; do IFS='|' read -r _ _ path real <<<"$n"; echo "$path"; echo "$real"; done |
    sort -u | xargs -r dpkg -S 2>/dev/null)
  owner() {  # PATH: the package dpkg says holds it (first one named), or nothing
    awk -v f="$1" '{ i = index($0, ": "); if (substr($0, i + 2) == f) { p = substr($0, 1, i - 1); sub(/[:,].*/, "", p); print p; exit } }' <<<"$OWNERS"
  }
  for n in "${NEEDED[@]}"; do
    IFS='|' read -r name lib path real <<<"$n"
    pkg=$(owner "$real")
    [ -n "$pkg" ] || pkg=$(owner "$path")
    # Sanitizer runtimes of the asan/tsan presets: not in a release image.
    # (libatomic comes with them: the sanitizer link pulls it in.)
    case "$pkg" in libasan* | libubsan* | libtsan* | liblsan* | libatomic*) continue ;; esac
    case " $(echo $ALLOWED) " in
      *" $pkg "*) ;;
      *) fail "$name needs $lib from $pkg, which the runtime stage does not install" ;;
    esac
  done
  [ "$FAILS" -eq 0 ] && ok "runtime stage provides every needed library"
else
  echo "skip: no dpkg/apt-cache"
fi

[ "$FAILS" -eq 0 ] && echo "all deploy checks passed" || { echo "$FAILS check(s) failed"; exit 1; }
