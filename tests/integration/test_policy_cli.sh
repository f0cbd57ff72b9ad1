#!/usr/bin/env bash
# test_policy_cli.sh -- policy files through `tollgate check`: the shipped
# policies/ judge a manifest, a team file merged after them changes the
# verdict (override to audit, exclusion), and a broken policy is exit 2 with
# file:line:column, the key path and the fix.  Every check runs; the script
# exits 1 if any failed.
set -euo pipefail

SRC=${SRC:-$(cd "$(dirname "$0")/../.." && pwd)}
BUILD=${BUILD:-$SRC/build}
TOLLGATE=${TOLLGATE:-$BUILD/tollgate}
tmp=$(mktemp -d /tmp/test_policy_cli.XXXXXX)
trap 'rm -rf -- "$tmp"' EXIT

manifest=$SRC/tests/data/manifests/deployment.yaml # namespace shop; a container lacks probes
failures=0
checks=0
fail() {
    failures=$((failures + 1))
    printf 'FAIL: %s\n' "$*" >&2
}
# expect DESCRIPTION STATUS PATTERN POLICY: run check; exit STATUS, and
# PATTERN (fixed string) in its combined output
expect() {
    local what=$1 want=$2 pattern=$3 policy=$4 got=0
    checks=$((checks + 1))
    "$TOLLGATE" check --offline --policy "$policy" "$manifest" >"$tmp/out" 2>&1 || got=$?
    if [[ $got != "$want" ]]; then
        fail "$what: exit $got, want $want: $(head -c 600 "$tmp/out")"
    elif ! grep -qF -- "$pattern" "$tmp/out"; then
        fail "$what: output lacks '$pattern': $(head -c 600 "$tmp/out")"
    fi
}
# team_dir NAME BODY: policies/ plus one more file with BODY as its spec
team_dir() {
    local dir=$tmp/$1
    mkdir -p "$dir"
    cp "$SRC/policies/default.yaml" "$dir/00-default.yaml"
    printf 'apiVersion: tollgate.dev/v1\nkind: Policy\nmetadata: {name: %s}\nspec:\n%s' \
        "$1" "$2" >"$dir/50-$1.yaml"
    printf '%s' "$dir"
}

expect "shipped policies deny a pod without probes" 1 \
    'deny  [probes] container "metrics"' "$SRC/policies"
expect "the shipped file alone gives the same verdict" 1 \
    'deny  [probes]' "$SRC/policies/default.yaml"

dir=$(team_dir audit-shop $'  overrides:\n    - namespaces: [shop]\n      mode: audit\n')
expect "a team file's override puts the namespace in audit" 0 'warn  [probes]' "$dir"

dir=$(team_dir exclude-shop $'  exclude: {namespaces: ["sh?p"]}\n')
expect "a team file's exclusion is appended to the baseline's" 0 '2 excluded' "$dir"

dir=$(team_dir typo $'  rules:\n    probes:\n      requre: [liveness]\n')
expect "a typo fails the load with a suggestion" 2 \
    "$dir/50-typo.yaml:7:7: spec.rules.probes: unknown key \"requre\" (did you mean \"require\"?)" \
    "$dir"

dir=$(team_dir bad-probe $'  rules:\n    probes: {require: [liveness, liveness2]}\n')
expect "a bad value names file, line, column and key path" 2 \
    "$dir/50-bad-probe.yaml:6:34: spec.rules.probes.require[1]: unknown probe \"liveness2\"" \
    "$dir"

mkdir -p "$tmp/empty"
: >"$tmp/empty/policy.yaml"
expect "an empty policy file is an error, not the defaults" 2 \
    "$tmp/empty/policy.yaml:1:1: the file is empty" "$tmp/empty/policy.yaml"

printf 'checks: %d, failures: %d\n' "$checks" "$failures"
[[ $failures -eq 0 ]]
