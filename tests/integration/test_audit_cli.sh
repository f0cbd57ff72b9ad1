#!/usr/bin/env bash
# tollgate audit against a fake API server holding the fixture cluster of
# tests/data/audit: who is reported and how, page by page (limit 2: every
# kind takes several pages), each output format, exit codes, and every
# kind of bad answer from the API server (401, 403, 404, 429, 500, a
# timeout, a truncated or malformed body, a continue token that expires
# mid-list) -- a clear message, exit 2, and never a report of half a pass.
set -uo pipefail
: "${TOLLGATE:?}" "${SRC:?}"
TMP=$(mktemp -d)
# shellcheck source=tests/integration/lib_cluster.sh
source "$SRC/tests/integration/lib_cluster.sh"
trap 'cluster_cleanup; rm -rf "$TMP"' EXIT
audit() { # ARGS...: stdout to $TMP/out, stderr to $TMP/err, status in $status
    "$TOLLGATE" audit --kubeconfig "$KUBECONFIG_FILE" --policy "$SRC/tests/data/audit/policy.yaml" \
        "$@" >"$TMP/out" 2>"$TMP/err"
    status=$?
}

cluster_start
cluster_load_fixture

# --- what is reported, and how -----------------------------------------------------------
audit --limit 2 -o json
check "violations exit 1" 1 "$status"
check "objects in namespace order, controllers first" \
    "legacy-app/Deployment/old-web/would-deny shop/CronJob/nightly-report/deny shop/Deployment/api/deny shop/Deployment/web/allow shop/ReplicaSet/canary-7c4/deny shop/Pod/canary-direct/deny shop/Pod/debug-root/deny" \
    "$(jq -r '[.objects[] | "\(.namespace)/\(.kind)/\(.name)/\(.decision)"] | join(" ")' "$TMP/out")"
check "nothing from the excluded namespace" 0 "$(jq '[.objects[] | select(.namespace == "kube-system")] | length' "$TMP/out")"
check "owned objects are not reported" 0 \
    "$(jq '[.objects[] | select(.name == "web-5d8f" or .name == "nightly-report-28000" or .name == "canary-7c4-z9")] | length' "$TMP/out")"
check "summary counts" '{"objects":9,"denied":5,"excluded":2,"listed":15,"owned":6}' \
    "$(jq -c '.summary | {objects, denied, excluded, listed, owned}' "$TMP/out")"
check "summary by kind" '{"Deployment":5,"CronJob":1,"ReplicaSet":2,"Pod":3}' "$(jq -c '.summary.byKind' "$TMP/out")"
check "the API path of each object" "/apis/batch/v1beta1/namespaces/shop/cronjobs/nightly-report" \
    "$(jq -r '.objects[] | select(.kind == "CronJob") | .source' "$TMP/out")"
check "pages of 2 were asked for" 1 \
    "$(cluster_control GET log | jq '[.items[] | select(test("/pods\\?limit=2&continue="))] | length > 0 | if . then 1 else 0 end')"

audit
check "text exits 1" 1 "$status"
contains "text names the object" "Pod shop/debug-root: deny" "$TMP/out"
contains "text names container and pointer" \
    '[runAsNonRoot] container "shell" (/spec/containers/0/securityContext/runAsUser)' "$TMP/out"
contains "audit-override namespace is would-deny" "Deployment legacy-app/old-web: would-deny" "$TMP/out"
contains "text summary" "9 object(s) checked: 5 denied, 2 allowed, 2 excluded" "$TMP/out"
contains "text listed line" "15 object(s) listed, 6 reported through their controller" "$TMP/out"
contains "text by kind" "by kind:" "$TMP/out"

audit -n legacy-app
check "would-deny alone exits 0" 0 "$status"
audit -n legacy-app --as-enforced
check "--as-enforced exits 1" 1 "$status"
contains "--as-enforced denies the override namespace" "Deployment legacy-app/old-web: deny" "$TMP/out"
audit -n shop -o junit
check "junit exits 1" 1 "$status"
contains "junit suite" '<testsuite name="tollgate audit">' "$TMP/out"
check "junit failures" 5 "$(grep -c '<failure' "$TMP/out")"
audit -n shop -o sarif
check "sarif results" 7 "$(jq '.runs[0].results | length' "$TMP/out")"
check "sarif uri is the API path" "/api/v1/namespaces/shop/pods/debug-root" \
    "$(jq -r '.runs[0].results[] | select(.ruleId == "runAsNonRoot") | .locations[0].physicalLocation.artifactLocation.uri | select(contains("/pods/"))' "$TMP/out")"
audit -n nowhere
check "an empty namespace exits 0" 0 "$status"
contains "empty report" "0 object(s) checked" "$TMP/out"

# --- usage errors -------------------------------------------------------------------------
audit --limit 0
check "--limit 0 exits 2" 2 "$status"
contains "--limit message" "--limit: '0' is not a number" "$TMP/err"
audit deploy.yaml
check "a file argument exits 2" 2 "$status"
audit --output xml
check "bad format exits 2" 2 "$status"
"$TOLLGATE" audit --kubeconfig "$TMP/missing" >"$TMP/out" 2>"$TMP/err"
check "missing kubeconfig exits 2" 2 "$?"
contains "missing kubeconfig named" "$TMP/missing" "$TMP/err"
"$TOLLGATE" audit --help >"$TMP/out"
check "--help exits 0" 0 "$?"
contains "--help lists --as-enforced" "--as-enforced" "$TMP/out"

# --- bad answers: a message, exit 2, no report of half a pass ------------------------------
# fault RULES-JSON NEEDLE [AUDIT-ARGS...]
fault() {
    local rules=$1 needle=$2
    shift 2
    cluster_faults "$rules"
    audit --limit 2 "$@"
    check "$needle: exits 2" 2 "$status"
    contains "$needle: message" "$needle" "$TMP/err"
    check "$needle: no report printed" "" "$(cat "$TMP/out")"
    cluster_control DELETE faults >/dev/null
}
fault '[{"path":"/api/v1/pods","status":401,"reason":"Unauthorized","message":"Unauthorized"}]' "401"
fault '[{"path":"/apis/apps/v1/deployments","status":403,"reason":"Forbidden","message":"deployments.apps is forbidden: User \"x\" cannot list resource"}]' \
    "cannot list resource"
fault '[{"path":"/apis/batch/v1beta1/cronjobs","status":404,"reason":"NotFound","message":"the server could not find the requested resource"}]' \
    "could not find the requested resource"
fault '[{"path":"/apis/apps/v1/replicasets","status":429,"reason":"TooManyRequests","message":"slow down","retryAfter":3}]' "429"
fault '[{"path":"/apis/apps/v1/deployments","continue":true,"status":500,"message":"etcdserver: request timed out"}]' \
    "etcdserver: request timed out"
fault '[{"path":"/api/v1/pods","continue":true,"action":"truncate"}]' "/api/v1/pods"
fault '[{"path":"/apis/apps/v1/deployments","action":"malformed"}]' "/apis/apps/v1/deployments"
fault '[{"path":"/api/v1/pods","action":"hang","seconds":5}]' "/api/v1/pods" --request-timeout 1
# A continue token that expires every time: the list gives up.
fault '[{"path":"/api/v1/pods","continue":true,"action":"expire","times":10}]' "410"

# A continue token that expires once, mid-list: the list starts over, and
# what the abandoned pass gave is not reported twice.
cluster_faults '[{"path":"/api/v1/pods","continue":true,"action":"expire","times":1}]'
audit --limit 2 -o json
check "expired once: complete" 1 "$status"
check "expired once: each object once" 9 "$(jq '.summary.objects' "$TMP/out")"
check "expired once: no duplicates" 7 "$(jq '[.objects[] | "\(.kind)/\(.namespace)/\(.name)"] | unique | length' "$TMP/out")"
check "expired once: listed once" 15 "$(jq '.summary.listed' "$TMP/out")"

echo "test_audit_cli: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
