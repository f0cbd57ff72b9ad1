#!/usr/bin/env bash
# bench/answers.sh BUILD-DIR OUT-FILE: every answer of one build.
#
# Runs BUILD-DIR/bench/bench_oracle (bench/oracle.c) over the review,
# server, modes, manifest and CLI fixtures, the admission and manifest fuzz
# corpora and the generated evasion and fault bodies, under the test
# policies, both endpoints, with mutated bodies (-M: under the first
# MUTPOLS policies, default 3).  Compare two builds with cmp:
#   bench/answers.sh build-before before.txt && bench/answers.sh build-after after.txt
#   cmp before.txt after.txt
# About 1.5 minutes and 900k answers on a 2-vCPU machine.
set -euo pipefail
build=$(readlink -f "$1")
out=$(readlink -f "$2")
src=$(cd "$(dirname "$0")/.." && pwd)
gen=$(mktemp -d)
trap 'rm -rf "$gen"' EXIT
mkdir -p "$gen/evasion" "$gen/faults"
python3 "$src/tests/data/evasion/generate.py" "$gen/evasion"
python3 "$src/tests/data/faults/generate.py" "$src/tests/data/server" "$gen/faults"
cd "$src"
policies=(default policies tests/data/server/policy_audit.yaml
    tests/data/server/policy_enforce.yaml tests/data/server/policy_mutate.yaml
    tests/data/modes/policy-audit.yaml tests/data/modes/policy-mutate.yaml
    tests/data/modes/policy-rollout.yaml tests/data/policies/full.yaml
    tests/data/policies/minimal.yaml tests/data/evasion/policy_hub.yaml
    tests/data/evasion/policy_registries.yaml tests/data/cli/mutate-policy.yaml
    tests/data/registry/policy-require.yaml)
args=()
for p in "${policies[@]}"; do
    args+=(-p "$p")
done
# The generated bodies are named by their place in $gen, which differs per
# run: the labels are made relative to it.
"$build/bench/bench_oracle" -m -M "${MUTPOLS:-3}" "${args[@]}" -- \
    tests/data/reviews/*.json tests/data/server/*.json tests/data/modes/podspec.json \
    tests/data/manifests/* tests/data/cli/*.yaml tests/fuzz/corpus/admission/* \
    tests/fuzz/corpus/manifest/* "$gen"/evasion/* "$gen"/faults/* 2>&1 |
    sed "s#$gen/##g" >"$out"
echo "$(wc -l <"$out") lines in $out" >&2
