#!/usr/bin/env bash
# noSecretsInEnv finds credentials in env, and no output of tollgate ever
# carries their values: not the CLI's reports in any format (nor stderr),
# not the server's answers on either endpoint in enforce or audit mode, not
# its log (at debug level) and not its metrics.  The fixtures plant values
# that contain "planted" (and an AWS key id); every output is searched.
# shellcheck source=tests/integration/lib_server.sh
source "$(dirname "$0")/lib_server.sh"

RULES=$SRC/tests/data/rules
PLANTED='planted|AKIAPLANTEDKEY000001'

# no_value NAME FILE...: none of the planted values in the files
no_value() {
    local name=$1
    shift
    if grep -E -q -- "$PLANTED" "$@"; then
        fail "$name carries a secret value: $(grep -E -o -- ".{0,40}($PLANTED).{0,10}" "$@" | head -3)"
    else
        pass "$name carries no secret value"
    fi
}

grep -E -q -- "$PLANTED" "$RULES/secrets.yaml" "$RULES/secrets-review.json" ||
    fail "the fixtures lost their planted values: this test would prove nothing"

# The CLI, every format, enforce and audit
for fmt in text json junit sarif; do
    "$TOLLGATE" check --policy "$RULES/policy-all.yaml" --output "$fmt" \
        "$RULES/secrets.yaml" >"$TMP/cli.$fmt" 2>"$TMP/cli.$fmt.err"
    check "check --output $fmt: denied" 1 "$?"
    no_value "check --output $fmt" "$TMP/cli.$fmt" "$TMP/cli.$fmt.err"
done
check "check: every planted secret found" 5 \
    "$(jq '[.objects[0].findings[] | select(.rule == "noSecretsInEnv")] | length' "$TMP/cli.json")"
check "check: the lower-case name is found" 1 \
    "$(jq '[.objects[0].findings[] | select(.message | contains("\"api_token\""))] | length' "$TMP/cli.json")"
"$TOLLGATE" check --policy "$RULES/policy-all.yaml" --mode audit "$RULES/secrets.yaml" \
    >"$TMP/cli.audit" 2>&1
no_value "check --mode audit" "$TMP/cli.audit"
# --fix prints the manifests back (values and all: they are the user's
# own); its report, on stderr, is a report like any other
"$TOLLGATE" check --policy "$RULES/policy-all.yaml" --fix "$RULES/secrets.yaml" \
    >/dev/null 2>"$TMP/cli.fix.err"
no_value "check --fix report" "$TMP/cli.fix.err"
check_contains "check --fix report lists the findings" "[noSecretsInEnv]" "$(cat "$TMP/cli.fix.err")"
"$TOLLGATE" check --policy "$RULES/policy-all.yaml" "$RULES/secrets-review.json" \
    >"$TMP/cli.review" 2>&1
no_value "check on the AdmissionReview" "$TMP/cli.review"
check_contains "check on the AdmissionReview: refused" '"allowed": false' "$(cat "$TMP/cli.review")"

# The server: enforce, then audit (findings become warnings and annotations)
make_certs "$TMP/certs"
for mode in enforce audit; do
    sed "s/^spec:/spec:\n  mode: $mode/" "$RULES/policy-all.yaml" >"$TMP/policy.yaml"
    start_server --log-level debug
    check "$mode: /validate answers" 200 "$(post /validate "$RULES/secrets-review.json")"
    cp "$TMP/body" "$TMP/validate.$mode"
    check "$mode: /mutate answers" 200 "$(post /mutate "$RULES/secrets-review.json")"
    cp "$TMP/body" "$TMP/mutate.$mode"
    get /metrics >/dev/null
    cp "$TMP/body" "$TMP/metrics.$mode"
    stop_server
    no_value "$mode: /validate answer" "$TMP/validate.$mode"
    no_value "$mode: /mutate answer" "$TMP/mutate.$mode"
    no_value "$mode: metrics" "$TMP/metrics.$mode"
done
check "enforce: denied" false "$(jq .response.allowed "$TMP/validate.enforce")"
check_contains "enforce: names the variable" '[noSecretsInEnv] container "app" (/spec/template/spec/containers/0/env/0/value): env var "DB_PASSWORD" looks like a credential' \
    "$(jq -r .response.status.message "$TMP/validate.enforce")"
check "audit: allowed" true "$(jq .response.allowed "$TMP/validate.audit")"
check "audit: warnings name the rule" 5 \
    "$(jq '[.response.warnings[] | select(startswith("[tollgate] noSecretsInEnv"))] | length' "$TMP/validate.audit")"
check_contains "audit: annotation counts" "noSecretsInEnv:5" \
    "$(jq -r '.response.auditAnnotations.violations' "$TMP/validate.audit")"
check_contains "the decision is logged" '"rules":"noSecretsInEnv' "$(cat "$TMP/server.log")"
no_value "server log (debug)" "$TMP/server.log"
finish
