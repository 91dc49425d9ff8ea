#!/usr/bin/env bash
# Package install test: builds the Debian packages with cpack from a built tree, installs them on
# this machine, checks files, modes and the arkmq user, verifies the systemd units, starts the
# packaged broker as user arkmq with the packaged configuration and a NOTIFY_SOCKET this script
# listens on (READY=1 must arrive), round-trips a message with mosquitto_pub/sub, stops it with
# SIGTERM (exit 0), then purges the packages and checks that the user and the files are gone.
# Usage: tools/package-test.sh [BUILD_DIR]   (default build/release, already built; run as root)
# Owner: ops-package. Skips (exit 0, with the reason) when it cannot run: not root, no dpkg.
set -euo pipefail
cd "$(dirname "$0")/.."
root_dir=$PWD
build_dir=${1:-build/release}
packages=(arkmq-broker arkmq-edge arkmq-tools)

exec 3>&2  # failures reach stderr even from inside a silenced condition
skip() { echo "package-test: skipped: $*"; exit 0; }
fail() { echo "package-test: FAILED: $*" >&3; exit 1; }
step() { echo "package-test: $*"; }

[ "$(id -u)" -eq 0 ] || skip "needs root (it installs packages and creates the arkmq user)"
command -v dpkg >/dev/null 2>&1 || skip "no dpkg (not a Debian system)"
command -v cpack >/dev/null 2>&1 || skip "no cpack"
for tool in python3 mosquitto_pub mosquitto_sub setpriv; do
  command -v "$tool" >/dev/null 2>&1 || skip "$tool is not installed (tools/setup.sh)"
done
[ -f "$build_dir/CPackConfig.cmake" ] || fail "$build_dir is not a configured build (cmake --preset release)"
for binary in broker/app/arkmq-broker edge-client/arkmq-edge tools/arkmqctl/arkmqctl; do
  [ -x "$build_dir/$binary" ] || fail "$build_dir/$binary is missing (build first)"
done

installed() { dpkg-query -W -f='${db:Status-Status}' "$1" 2>/dev/null | grep -qv '^not-installed$'; }
# Never touch an arkmq that this script did not install (a real one holds someone's data).
for package in "${packages[@]}"; do
  if installed "$package"; then
    if [ "${ARKMQ_PACKAGE_TEST_FORCE:-0}" = 1 ]; then
      dpkg --purge "${packages[@]}" >/dev/null
    else
      fail "$package is already installed; purge it or set ARKMQ_PACKAGE_TEST_FORCE=1"
    fi
  fi
done
if getent passwd arkmq >/dev/null || [ -e /var/lib/arkmq ] || [ -e /etc/arkmq ]; then
  fail "an arkmq user, /var/lib/arkmq or /etc/arkmq exists already; not touching it"
fi

work=$(mktemp -d /tmp/arkmq-package-test.XXXXXX)
chmod 0755 "$work"  # the broker (user arkmq) reaches the notify socket and config copy in here
broker_pid=
listener_pid=
we_installed=no
cleanup() {
  local status=$?
  if [ -n "$broker_pid" ]; then
    kill -KILL "$broker_pid" 2>/dev/null || true
    wait "$broker_pid" 2>/dev/null || true
  fi
  if [ -n "$listener_pid" ]; then
    kill "$listener_pid" 2>/dev/null || true
    wait "$listener_pid" 2>/dev/null || true
  fi
  if [ "$we_installed" = yes ]; then
    for package in "${packages[@]}"; do
      installed "$package" && dpkg --purge "$package" >/dev/null 2>&1 || true
    done
  fi
  rm -rf "$work"
  if [ $status -ne 0 ]; then
    echo "package-test: FAILED (exit $status)" >&2
  fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM  # interrupted: still clean up (through the EXIT trap)

step "building the packages (cpack in $build_dir)"
(cd "$build_dir" && cpack -B "$work/debs" >"$work/cpack.log" 2>&1) ||
  { cat "$work/cpack.log" >&2; fail "cpack"; }
debs=()
for package in "${packages[@]}"; do
  deb=$(ls "$work/debs/${package}_"*.deb 2>/dev/null | head -n 1)
  [ -n "$deb" ] || fail "cpack made no $package package"
  debs+=("$deb")
  # Nothing from the build machine in the package: only /usr, /etc/arkmq and the unit.
  if dpkg-deb -c "$deb" | awk '{print $6}' | grep -vE '^\./($|usr/|etc/$|etc/arkmq/|lib/$|lib/systemd/)' ; then
    fail "$package installs files outside /usr, /etc/arkmq and /lib/systemd"
  fi
done

step "installing ${packages[*]}"
we_installed=yes
export DEBIAN_FRONTEND=noninteractive
if command -v apt-get >/dev/null 2>&1; then
  apt-get install -y -qq --no-install-recommends "${debs[@]}" >"$work/install.log" 2>&1 ||
    { cat "$work/install.log" >&2; fail "apt-get install"; }
else
  dpkg -i "${debs[@]}" >"$work/install.log" 2>&1 || { cat "$work/install.log" >&2; fail "dpkg -i"; }
fi

step "checking files, modes and the arkmq user"
expect_stat() {  # PATH "MODE OWNER:GROUP"
  local actual
  actual=$(stat -c '%a %U:%G' "$1" 2>/dev/null) || fail "$1 is missing"
  [ "$actual" = "$2" ] || fail "$1 is '$actual', expected '$2'"
}
expect_stat /usr/bin/arkmq-broker "755 root:root"
expect_stat /usr/bin/arkmq-edge "755 root:root"
expect_stat /usr/bin/arkmqctl "755 root:root"
expect_stat /usr/bin/arkmq-bench "755 root:root"
expect_stat /etc/arkmq/arkmq.toml "644 root:root"
expect_stat /etc/arkmq/edge.toml "644 root:root"
expect_stat /etc/arkmq/tls "750 root:arkmq"
expect_stat /lib/systemd/system/arkmq-broker.service "644 root:root"
expect_stat /lib/systemd/system/arkmq-edge.service "644 root:root"
expect_stat /var/lib/arkmq "700 arkmq:arkmq"
dpkg-query -W -f='${Conffiles}' arkmq-broker | grep -q '/etc/arkmq/arkmq.toml' ||
  fail "/etc/arkmq/arkmq.toml is not a conffile"
dpkg-query -W -f='${Conffiles}' arkmq-edge | grep -q '/etc/arkmq/edge.toml' ||
  fail "/etc/arkmq/edge.toml is not a conffile"
IFS=: read -r _ _ uid _ _ home shell < <(getent passwd arkmq) || fail "no arkmq user"
[ "$home" = /var/lib/arkmq ] || fail "arkmq's home is $home"
[ "$shell" = /usr/sbin/nologin ] || fail "arkmq's shell is $shell"
[ "$uid" -lt 1000 ] || fail "arkmq is not a system user (uid $uid)"
getent group arkmq >/dev/null || fail "no arkmq group"
/usr/bin/arkmq-edge --check-config /etc/arkmq/edge.toml >/dev/null ||
  fail "the packaged /etc/arkmq/edge.toml does not load"

step "systemd-analyze verify on the installed units"
if command -v systemd-analyze >/dev/null 2>&1; then
  # Offline: no running systemd is needed. Any complaint about our units is a failure.
  systemd-analyze verify /lib/systemd/system/arkmq-broker.service \
    /lib/systemd/system/arkmq-edge.service >"$work/verify.log" 2>&1 ||
    { cat "$work/verify.log" >&2; fail "systemd-analyze verify"; }
  if grep -i 'arkmq' "$work/verify.log"; then fail "systemd-analyze verify complained"; fi
  grep -q '^Type=notify' /lib/systemd/system/arkmq-broker.service || fail "unit is not Type=notify"
  # The hardening holds: systemd's exposure score (0 = locked down, 10 = none) at most 2.0.
  for unit in arkmq-broker arkmq-edge; do
    systemd-analyze security --offline=true --threshold=20 "/lib/systemd/system/$unit.service" \
      >"$work/security.log" 2>&1 || { tail -n 30 "$work/security.log" >&2; fail "$unit exposure"; }
    step "  $(grep -o 'Overall exposure level.*' "$work/security.log")"
  done
else
  step "(no systemd-analyze: units not verified)"
fi

# The packaged configuration, unless port 1883 is taken here: then a copy with a free port.
config=/etc/arkmq/arkmq.toml
port=1883
if ! python3 -c 'import socket; s=socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); s.bind(("127.0.0.1", 1883))' 2>/dev/null; then
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  config=$work/arkmq.toml
  sed "s#mqtt://127.0.0.1:1883#mqtt://127.0.0.1:$port#" /etc/arkmq/arkmq.toml >"$config"
  chmod 0644 "$config"
  step "port 1883 is busy: using a copy of /etc/arkmq/arkmq.toml on port $port"
fi

step "starting /usr/bin/arkmq-broker as arkmq with NOTIFY_SOCKET"
notify_socket=$work/notify.sock
notify_log=$work/notify.log
python3 - "$notify_socket" "$notify_log" <<'EOF' &
# Stands in for systemd: receives sd_notify datagrams and appends them to a log, one per line.
import os, socket, sys, time
path, log = sys.argv[1], sys.argv[2]
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(path)
os.chmod(path, 0o666)
s.settimeout(1.0)
deadline = time.monotonic() + 120
with open(log, "a", buffering=1) as out:
    out.write("LISTENING\n")
    while time.monotonic() < deadline:
        try:
            data = s.recv(4096).decode(errors="replace")
        except socket.timeout:
            continue
        out.write(data.replace("\n", " ") + "\n")
        if "STOPPING=1" in data:
            break
EOF
listener_pid=$!
wait_for() {  # SECONDS DESCRIPTION COMMAND...: polls COMMAND every 0.1 s until it succeeds
  local seconds=$1 what=$2
  shift 2
  local tries=$((seconds * 10))
  while ! "$@" 2>/dev/null; do
    tries=$((tries - 1))
    [ $tries -gt 0 ] || fail "timed out after ${seconds}s waiting for $what"
    sleep 0.1
  done
}
wait_for 10 "the notify listener" grep -q LISTENING "$notify_log"

(cd /var/lib/arkmq && exec env -i PATH=/usr/bin:/bin NOTIFY_SOCKET="$notify_socket" \
  setpriv --reuid=arkmq --regid=arkmq --init-groups \
  /usr/bin/arkmq-broker --config "$config" >"$work/broker.out" 2>"$work/broker.err") &
broker_pid=$!
broker_alive() { kill -0 "$broker_pid"; }
ready() {
  broker_alive || { cat "$work/broker.err" >&3; fail "the broker exited during startup"; }
  grep -q 'READY=1' "$notify_log"
}
wait_for 30 "READY=1 on NOTIFY_SOCKET" ready
grep -q "STATUS=listening on mqtt://127.0.0.1:$port" "$notify_log" || fail "no STATUS line"
grep -q "listening on mqtt://127.0.0.1:$port" "$work/broker.out" || fail "no listening line"
[ "$(stat -c %U "/proc/$broker_pid")" = arkmq ] || fail "the broker does not run as arkmq"

step "round trip with mosquitto_pub/mosquitto_sub (user and rule added with arkmqctl)"
ctl() {
  (cd / && setpriv --reuid=arkmq --regid=arkmq --init-groups /usr/bin/arkmqctl \
    --data-dir /var/lib/arkmq "$@")
}
ctl user add pkgtest --password-stdin <<<'package-test-pw' >/dev/null
ctl acl add --allow --all --topic 'pkgtest/#' --user pkgtest >/dev/null
# The user and the rule reach the broker within one policy poll: until then the subscriber is
# refused. So: (re)start the subscriber, publish until it has its message; 30 s at most.
received=
deadline=$((SECONDS + 30))
while [ -z "$received" ] && [ $SECONDS -lt $deadline ]; do
  mosquitto_sub -h 127.0.0.1 -p "$port" -u pkgtest -P package-test-pw -t 'pkgtest/#' -C 1 -W 10 \
    >"$work/sub.out" 2>"$work/sub.err" &
  sub_pid=$!
  for _ in $(seq 1 50); do
    kill -0 "$sub_pid" 2>/dev/null || break
    mosquitto_pub -h 127.0.0.1 -p "$port" -u pkgtest -P package-test-pw -t pkgtest/hello \
      -m from-the-package -q 1 2>/dev/null || true
    sleep 0.2
  done
  if wait "$sub_pid" && [ "$(cat "$work/sub.out")" = from-the-package ]; then
    received=yes
  else
    sleep 0.2
  fi
done
[ -n "$received" ] || { cat "$work/sub.err" >&2; fail "mosquitto_sub got no message"; }
for db in arkmq.db audit.db state.db; do
  [ -f "/var/lib/arkmq/$db" ] || continue
  expect_stat "/var/lib/arkmq/$db" "600 arkmq:arkmq"
done

step "online backup with arkmqctl (as root, the broker running)"
/usr/bin/arkmqctl --data-dir /var/lib/arkmq backup --to "$work/backup" >"$work/backup.out" ||
  fail "arkmqctl backup"
grep -q 'arkmq.db -> .*quick_check ok' "$work/backup.out" || fail "no arkmq.db in the backup"
expect_stat "$work/backup" "700 root:root"
# SQLite gives files it creates as root the database's owner: nothing in the data dir may now
# belong to root, or the broker could not open it after a restart.
if find /var/lib/arkmq ! -user arkmq | grep .; then fail "root-owned files in /var/lib/arkmq"; fi

step "stopping it with SIGTERM"
kill -TERM "$broker_pid"
status=0
wait "$broker_pid" || status=$?
broker_pid=
[ $status -eq 0 ] || { cat "$work/broker.err" >&2; fail "the broker exited $status after SIGTERM"; }
wait_for 10 "STOPPING=1 on NOTIFY_SOCKET" grep -q 'STOPPING=1' "$notify_log"
wait "$listener_pid" || true
listener_pid=

step "purging the packages"
dpkg --purge "${packages[@]}" >"$work/purge.log" 2>&1 || { cat "$work/purge.log" >&2; fail "purge"; }
we_installed=no
for package in "${packages[@]}"; do
  ! installed "$package" || fail "$package is still installed"
done
! getent passwd arkmq >/dev/null || fail "the arkmq user is still there"
! getent group arkmq >/dev/null || fail "the arkmq group is still there"
for path in /var/lib/arkmq /etc/arkmq /usr/bin/arkmq-broker /usr/bin/arkmqctl \
  /lib/systemd/system/arkmq-broker.service /lib/systemd/system/arkmq-edge.service; do
  [ ! -e "$path" ] || fail "$path is still there after purge"
done
step "passed"
