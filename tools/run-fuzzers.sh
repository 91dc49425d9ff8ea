#!/usr/bin/env bash
# Runs every libFuzzer target of a fuzz build (cmake --preset fuzz) on a temp copy of its seed
# corpus, splitting SECONDS between them. Exits non-zero if any fuzzer finds a crash.
# Usage: tools/run-fuzzers.sh BUILD_DIR SECONDS
set -euo pipefail

if [[ $# -ne 2 ]]; then
  echo "usage: $0 BUILD_DIR SECONDS" >&2
  exit 2
fi
build_dir=$(cd "$1" && pwd)
total_seconds=$2
repo_dir=$(cd "$(dirname "$0")/.." && pwd)
fuzz_bin_dir="$build_dir/tests/fuzz"

# fuzzer executable -> seed corpus directory under tests/fuzz/corpus
declare -A corpus=( [fuzz_decoder]=decoder [fuzz_topic]=topic [fuzz_acl_policy]=acl_policy
                 [fuzz_service_announcement]=service_announcement )

fuzzers=()
for name in "${!corpus[@]}"; do
  if [[ -x "$fuzz_bin_dir/$name" ]]; then
    fuzzers+=("$name")
  else
    echo "missing fuzzer $fuzz_bin_dir/$name (build target arkmq_fuzz_targets)" >&2
    exit 2
  fi
done
per_fuzzer=$(( total_seconds / ${#fuzzers[@]} ))
(( per_fuzzer >= 1 )) || per_fuzzer=1

work_dir=$(mktemp -d)
trap 'rm -rf "$work_dir"' EXIT
artifacts="$build_dir/fuzz-artifacts"
mkdir -p "$artifacts"

status=0
for name in "${fuzzers[@]}"; do
  run_corpus="$work_dir/$name"
  mkdir -p "$run_corpus"
  cp -r "$repo_dir/tests/fuzz/corpus/${corpus[$name]}/." "$run_corpus/"
  echo "== $name: ${per_fuzzer}s, corpus $(ls "$run_corpus" | wc -l) files"
  if ! "$fuzz_bin_dir/$name" "$run_corpus" -max_len=4096 -max_total_time="$per_fuzzer" \
        -artifact_prefix="$artifacts/$name-" -print_final_stats=1 2>"$work_dir/$name.log"; then
    echo "!! $name failed; crash input in $artifacts/, log follows" >&2
    tail -n 60 "$work_dir/$name.log" >&2
    status=1
  else
    grep -E "^(stat::number_of_executed_units|stat::peak_rss_mb|#[0-9]+ +DONE)" "$work_dir/$name.log" || true
  fi
done
exit $status
