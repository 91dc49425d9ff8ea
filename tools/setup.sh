#!/usr/bin/env bash
# Installs every Debian package arkmq needs to build, test and run. Idempotent: when all
# packages are present it does nothing (no apt-get update, no network).
set -euo pipefail
packages=(
  build-essential cmake ninja-build pkg-config ccache git
  clang libclang-rt-14-dev            # libFuzzer targets and sanitizers
  libssl-dev openssl                  # TLS and the development PKI
  libasio-dev                         # networking (standalone Asio)
  libexpected-dev                     # tl::expected for data-path errors
  libcli11-dev libtomlplusplus-dev    # command line and TOML configuration
  libspdlog-dev libfmt-dev            # logging
  nlohmann-json3-dev                  # JSON (service announcements, exports)
  libsqlite3-dev sqlite3              # storage
  libgtest-dev libgmock-dev libbenchmark-dev
  libpaho-mqttpp-dev libpaho-mqtt-dev # Paho MQTT C++ (tests, edge bridge)
  libcpp-httplib-dev                  # arkmq-edge's HTTP backends (client) and test services
  mosquitto mosquitto-clients         # reference broker, bridge and CLI clients for tests
  chromium                            # headless browser for the status page test (28)
  python3 util-linux                  # tools/bench-compare (taskset pins the brokers)
  dpkg-dev adduser systemd            # tools/package-test.sh: dpkg-shlibdeps, the arkmq user, systemd-analyze
)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi
echo "setup: installing ${missing[*]}"
if [ "$(id -u)" -ne 0 ]; then SUDO=sudo; else SUDO=; fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
# The mosquitto package may start a system broker on 1883; arkmq's default listener wants that port.
if command -v systemctl >/dev/null 2>&1 && systemctl is-active --quiet mosquitto 2>/dev/null; then
  $SUDO systemctl disable --now mosquitto >/dev/null 2>&1 || true
fi
