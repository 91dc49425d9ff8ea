#!/usr/bin/env bash
# Builds arkmq and runs every test: unit, integration and system tests (ctest), then the
# libFuzzer targets for a bounded time. Usage: tools/test.sh  (after tools/setup.sh)
set -euo pipefail
cd "$(dirname "$0")/.."
jobs=$(nproc)

cmake --preset release >/dev/null
cmake --build --preset release -j"$jobs"
ctest --preset release -j"$jobs"

# The codec, the core, the policy engine and storage again under AddressSanitizer +
# UndefinedBehaviorSanitizer: cheap to build, and they hold the parsers, the session logic, the
# ACL trie and the SQLite code. (`ctest --preset asan` runs everything.)
cmake --preset asan >/dev/null
cmake --build --preset asan -j"$jobs" --target arkmq_protocol_test arkmq_core_test \
  arkmq_acl_test arkmq_storage_test
build/asan/broker/protocol/arkmq_protocol_test --gtest_brief=1
build/asan/broker/core/arkmq_core_test --gtest_brief=1
build/asan/acl/arkmq_acl_test --gtest_brief=1
build/asan/storage/arkmq_storage_test --gtest_brief=1

# Fuzzing: the decoder must turn any bytes into a packet or a reason code. Bounded in time.
if command -v clang++ >/dev/null 2>&1; then
  cmake --preset fuzz >/dev/null
  cmake --build --preset fuzz -j"$jobs" --target arkmq_fuzz_targets
  tools/run-fuzzers.sh build/fuzz "${ARKMQ_FUZZ_SECONDS:-60}"
fi

# The Debian packages of the release build: installed, started as user arkmq, purged. Needs
# root and dpkg; otherwise it prints why it skipped.
tools/package-test.sh build/release
