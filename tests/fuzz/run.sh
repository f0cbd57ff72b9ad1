#!/usr/bin/env bash
# run.sh -- build the libFuzzer targets with clang-14 and run each one.
#
#   bash tests/fuzz/run.sh [SECONDS] [TARGET...]
#
# SECONDS per target (default 20); TARGET is admission, manifest, policy,
# imgref or patch (default: all).  Builds into $FUZZ_BUILD (default
# build-fuzz/) with -fsanitize=fuzzer,address,undefined, separately from the
# gcc build.  Each target starts from a copy of tests/fuzz/corpus/<target>/
# and keeps what it learns in build-fuzz/corpus/<target>/ across runs.  A
# crash or broken property is saved as build-fuzz/crash/<target>-*; add it
# to tests/fuzz/corpus/<target>/ once fixed, so ctest replays it for good.
# Prints each target's executions, coverage (cov), features (ft) and
# corpus size; exits non-zero if any target failed.
set -euo pipefail
cd "$(dirname "$0")/../.."
seconds=${1:-20}
shift || true
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(admission manifest policy imgref patch)
out=${FUZZ_BUILD:-build-fuzz}
cc=${FUZZ_CC:-clang-14}
command -v "$cc" >/dev/null || { echo "$cc is required (apt-get install clang-14 libclang-rt-14-dev)"; exit 2; }

mkdir -p "$out/obj" "$out/crash" "$out/corpus"
# shellcheck disable=SC2054 # the commas are inside -fsanitize=
cflags=(-std=c11 -g -O1 -fno-omit-frame-pointer -fsanitize=address,undefined
    -fno-sanitize-recover=all -D_POSIX_C_SOURCE=200809L -DTOLLGATE_VERSION='"fuzz"'
    -Itests/support -Itests/fuzz -Wall -Wextra -Werror -Wno-unused-command-line-argument)
# webhook/ (commands.h) and every folder in it (the layering is the CMake
# build's to check).
for d in webhook webhook/*/; do cflags+=("-I${d%/}"); done
read -r -a pkgflags <<<"$(pkg-config --cflags libmicrohttpd gnutls jansson yaml-0.1 openssl libcurl)"
read -r -a libs <<<"$(pkg-config --libs libmicrohttpd gnutls jansson yaml-0.1 openssl libcurl)"

# The project's sources (but main.c) and the reference JSON Patch applier,
# compiled once with coverage instrumentation and no libFuzzer main.
objs=()
for src in webhook/*/*.c tests/support/jsonpatch_ref.c tests/fuzz/fuzz_common.c; do
    obj=$out/obj/$(basename "${src%.c}").o
    if [ ! -e "$obj" ] || [ "$src" -nt "$obj" ] || [ -n "$(find webhook tests/fuzz/fuzz.h -name '*.h' -newer "$obj")" ]; then
        "$cc" "${cflags[@]}" "${pkgflags[@]}" -fsanitize=fuzzer-no-link -c "$src" -o "$obj" &
    fi
    objs+=("$obj")
done
wait
for t in "${targets[@]}"; do
    "$cc" "${cflags[@]}" "${pkgflags[@]}" -fsanitize=fuzzer "tests/fuzz/fuzz_$t.c" \
        "${objs[@]}" "${libs[@]}" -lpthread -lm -o "$out/fuzz_$t"
done

status=0
printf '\n%-10s %12s %8s %8s %8s  %s\n' target executions cov ft corpus result
for t in "${targets[@]}"; do
    corpus=$out/corpus/$t
    mkdir -p "$corpus"
    cp -n tests/fuzz/corpus/"$t"/* "$corpus"/ 2>/dev/null || true
    maxlen=65536
    [ "$t" == imgref ] && maxlen=512
    log=$out/fuzz_$t.log
    dict=()
    [ -e "tests/fuzz/$t.dict" ] && dict=(-dict="tests/fuzz/$t.dict")
    result=ok
    if ! ASAN_OPTIONS=detect_leaks=1:allocator_may_return_null=1 \
        "$out/fuzz_$t" -max_total_time="$seconds" -print_final_stats=1 -timeout=10 \
        -rss_limit_mb=2048 -max_len="$maxlen" -artifact_prefix="$out/crash/$t-" \
        "${dict[@]}" "$corpus" >"$log" 2>&1; then
        result="FAILED (see $log)"
        status=1
    fi
    execs=$(awk '/stat::number_of_executed_units/ {print $2}' "$log")
    last=$(grep -E '^#[0-9]+' "$log" | tail -1 || true)
    cov=$(sed -nE 's/.* cov: ([0-9]+).*/\1/p' <<<"$last")
    ft=$(sed -nE 's/.* ft: ([0-9]+).*/\1/p' <<<"$last")
    printf '%-10s %12s %8s %8s %8s  %s\n' "$t" "${execs:-?}" "${cov:-?}" "${ft:-?}" \
        "$(find "$corpus" -type f | wc -l)" "$result"
done
if [ "$status" -ne 0 ]; then
    for t in "${targets[@]}"; do
        grep -A30 -E 'ERROR: |property broken' "$out/fuzz_$t.log" | head -60 || true
    done
fi
exit "$status"
