#!/usr/bin/env bash
# bench/registry.sh -- the cost of registry-aware rules, against Debian's
# docker-registry on 127.0.0.1 with the test images (a Release build of its
# own in build-bench-registry/).  Usage: bench/registry.sh [SECONDS]
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-2}
cmake -S . -B build-bench-registry -DCMAKE_BUILD_TYPE=Release -DTOLLGATE_TESTS=OFF >/dev/null
cmake --build build-bench-registry -j"$(nproc)" --target bench_registry >/dev/null
dir=$(mktemp -d)
trap 'bash tests/support/registry_fixture.sh stop "$dir"; rm -rf "$dir"' EXIT
bash tests/support/registry_fixture.sh start "$dir" >"$dir/fixture.log" 2>&1 ||
    { cat "$dir/fixture.log"; exit 1; }
PLAIN=$(sed -n 's/^PLAIN=//p' "$dir/env")
export PLAIN
mkdir -p bench/out
PLAIN=$PLAIN build-bench-registry/bench/bench_registry --seconds "$seconds" \
    --json "bench/out/registry-$(date -u +%Y%m%dT%H%M%SZ).json"
