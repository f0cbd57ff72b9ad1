#!/usr/bin/env bash
# bench/instructions.sh BUILD-DIR [COUNT [POLICY]]: instructions per admission decision.
#
# Wall-clock time drifts by a quarter between identical runs on a shared
# VM; instruction counts do not.  For each review fixture this runs
# BUILD-DIR/bench/bench_micro under callgrind, collecting inside
# admission_handle only, with exactly COUNT decisions (default 200; 20 for
# the large review) and no warm-up, and prints the collected instructions
# divided by the decisions.  Each fixture runs alone (its file under all
# three of bench_micro's names), so nothing else is counted.  POLICY (a
# file or directory; default the shipped policies/) is what bench_micro
# decides with.
set -euo pipefail
build=$(readlink -f "$1")
count=${2:-200}
src=$(cd "$(dirname "$0")/.." && pwd)
policy=$(readlink -f "${3:-$src/policies}")
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
for f in typical-allowed typical-denied large; do
    n=$count
    [ "$f" = large ] && n=$(((count + 9) / 10))
    mkdir -p "$tmp/$f"
    for name in typical-allowed typical-denied large; do
        cp "$src/tests/data/reviews/$f.json" "$tmp/$f/$name.json"
    done
    valgrind --tool=callgrind --callgrind-out-file="$tmp/cg.$f" \
        --toggle-collect=admission_handle "$build/bench/bench_micro" --data "$tmp/$f" \
        --policy "$policy" --count "$n" >/dev/null 2>"$tmp/log.$f"
    ir=$(grep -E '^summary:' "$tmp/cg.$f" | awk '{print $2}')
    printf '%-16s %9d instructions per decision (%d decisions)\n' "$f" \
        $((ir / (3 * n))) $((3 * n))
done
