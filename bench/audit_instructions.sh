#!/usr/bin/env bash
# bench/audit_instructions.sh BUILD-DIR [PARSER] [PAGE] [PODS]: instructions
# per listed object in the audit's in-process work.
#
# Wall-clock time on the shared VM drifts by a quarter between identical
# runs; instruction counts do not.  This runs BUILD-DIR/bench/bench_audit
# under callgrind, one scan per mix, collecting only inside its stages
# (stage_parse, stage_judge, stage_release, stage_reports: making the page
# text, which stands for the network, is left out), and prints each stage's
# instructions divided by the objects listed.  PARSER (default lean) and
# PAGE (default 250) are bench_audit's --parser and --page; PODS defaults
# to 10000.
set -euo pipefail
build=$(readlink -f "$1")
parser=${2:-lean}
page=${3:-250}
pods=${4:-10000}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
for mix in bare owned; do
    valgrind --tool=callgrind --callgrind-out-file="$tmp/cg.$mix" --collect-atstart=no \
        --toggle-collect='stage_*' "$build/bench/bench_audit" --mix "$mix" --scans 1 \
        --pods "$pods" --page "$page" --parser "$parser" >/dev/null 2>"$tmp/log.$mix"
    callgrind_annotate --inclusive=yes "$tmp/cg.$mix" >"$tmp/ann.$mix"
    # "1,234,567 (12.3%)  ???:stage_parse [...]": the stage's inclusive count
    stage() {
        awk -v s="$1" '$0 ~ (":" s "(\\.[a-z]+\\.[0-9]+)? ") {gsub(",", "", $1); print $1; exit}' \
            "$tmp/ann.$mix"
    }
    parse=$(($(stage stage_parse) + $(stage stage_release)))
    judge=$(stage stage_judge)
    reports=$(stage stage_reports)
    printf '%-5s %-7s page %4d: %6d instructions per object (parse %6d, judge %6d, reports %6d)\n' \
        "$mix" "$parser" "$page" $(((parse + judge + reports) / pods)) $((parse / pods)) \
        $((judge / pods)) $((reports / pods))
done
