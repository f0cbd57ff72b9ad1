#!/usr/bin/env bash
# The HTTP contract of `tollgate serve`: decisions, status codes, headers.
# shellcheck source=tests/integration/lib_server.sh
source "$(dirname "$0")/lib_server.sh"

make_certs "$TMP/certs"
cp "$DATA/policy_enforce.yaml" "$TMP/policy.yaml"
start_server

# allow: uid echoed, v1 response
check "allow: status" 200 "$(post /validate "$DATA/allow_v1.json")"
check "allow: allowed" true "$(jqb .response.allowed)"
check "allow: uid echoed" 11111111-1111-4111-8111-111111111111 "$(jqb .response.uid)"
check "allow: apiVersion" admission.k8s.io/v1 "$(jqb .apiVersion)"
check "allow: kind" AdmissionReview "$(jqb .kind)"

# deny: 403 with a message naming the container, field and fix
check "deny: status" 200 "$(post /validate "$DATA/deny_v1.json")"
check "deny: allowed" false "$(jqb .response.allowed)"
check "deny: status.code" 403 "$(jqb .response.status.code)"
check "deny: uid echoed" 22222222-2222-4222-8222-222222222222 "$(jqb .response.uid)"
msg=$(jqb .response.status.message)
check_contains "deny: message names the container" 'container "app"' "$msg"
check_contains "deny: message names the field" "/spec/containers/0/securityContext/runAsNonRoot" "$msg"
check_contains "deny: message says the fix" "runAsNonRoot: true" "$msg"
check_contains "deny: message names the tag rule" "pinnedTags" "$msg"

# v1beta1 in, v1beta1 out; a query string (?timeout=) is accepted
check "v1beta1: status" 200 "$(post '/validate?timeout=10s' "$DATA/deny_v1beta1.json")"
check "v1beta1: apiVersion" admission.k8s.io/v1beta1 "$(jqb .apiVersion)"
check "v1beta1: uid" 33333333-3333-4333-8333-333333333333 "$(jqb .response.uid)"
check "v1beta1: denied" false "$(jqb .response.allowed)"

# Content-Type with parameters is fine; anything else is 415
check "json; charset: status" 200 \
    "$(CT='Application/JSON; charset=utf-8' post /validate "$DATA/allow_v1.json")"
check "415 text/plain" 415 "$(CT=text/plain post /validate "$DATA/allow_v1.json")"
check "415 body" "Content-Type must be application/json" "$(jqb .error)"
check "415 application/jsonx" 415 "$(CT=application/jsonx post /validate "$DATA/allow_v1.json")"
check "415 on /mutate too" 415 "$(CT=application/yaml post /mutate "$DATA/allow_v1.json")"

# wrong path 404, wrong method 405 with Allow
check "404 status" 404 "$(get /nope)"
check "404 body" "not found" "$(jqb .error)"
check "405 status" 405 "$(get /validate)"
check_contains "405 body" "not allowed" "$(jqb .error)"
allow=$(curl -sS -o /dev/null -D - --cacert "$TMP/certs/ca.crt" \
    "https://127.0.0.1:$PORT/mutate" | tr -d '\r' | awk -F': ' 'tolower($1)=="allow"{print $2}')
check "405 Allow header" POST "$allow"
check "405 on POST /healthz" 405 "$(post /healthz "$DATA/allow_v1.json")"

# malformed JSON and non-AdmissionReview: 400 with a JSON error
printf '{"apiVersion":' >"$TMP/malformed.json"
check "400 malformed status" 400 "$(post /validate "$TMP/malformed.json")"
check_contains "400 malformed body" "JSON" "$(jqb .error)"
echo '{"kind":"Pod"}' >"$TMP/notreview.json"
check "400 not a review" 400 "$(post /validate "$TMP/notreview.json")"

# body cap: 3 MiB + 1 -> 413 (declared: before the body; chunked: at the end)
head -c $((3 * 1024 * 1024 + 1)) /dev/zero | tr '\0' ' ' >"$TMP/big.json"
check "413 declared (Expect: 100-continue)" 413 "$(post /validate "$TMP/big.json" \
    -H 'Expect: 100-continue')"
check "413 body" "request body larger than --max-body-bytes (3145728 bytes)" "$(jqb .error)"
out=$($CLIENT declared "$PORT" "$TMP/certs/ca.crt" $((3 * 1024 * 1024 + 1)))
check "413 on headers alone (no body sent)" 413 "$(head -1 <<<"$out")"
check "413 chunked" 413 "$(post /validate "$TMP/big.json" -H 'Transfer-Encoding: chunked')"
head -c $((3 * 1024 * 1024)) /dev/zero | tr '\0' ' ' >"$TMP/exact.json"
check "exactly 3 MiB is read (400: not JSON, not 413)" 400 "$(post /validate "$TMP/exact.json")"

# audit mode: allowed, findings as warnings
cp "$DATA/policy_audit.yaml" "$TMP/policy.yaml"
stop_server
start_server
check "audit: status" 200 "$(post /validate "$DATA/deny_v1.json")"
check "audit: allowed" true "$(jqb .response.allowed)"
check "audit: warnings" 2 "$(jqb '.response.warnings | length')"
check_contains "audit: warning text" 'container "app"' "$(jqb '.response.warnings[0]')"

# mutate: a JSONPatch that sets runAsNonRoot
cp "$DATA/policy_mutate.yaml" "$TMP/policy.yaml"
stop_server
start_server
check "mutate: status" 200 "$(post /mutate "$DATA/deny_v1.json")"
check "mutate: allowed" true "$(jqb .response.allowed)"
check "mutate: patchType" JSONPatch "$(jqb .response.patchType)"
check_contains "mutate: patch sets runAsNonRoot" runAsNonRoot "$(jqb .response.patch | base64 -d)"

# probes and metrics on the TLS port when --metrics-listen is unset
check "healthz" 200 "$(get /healthz)"
check "readyz" 200 "$(get /readyz)"
check "metrics status" 200 "$(get /metrics)"
ctype=$(curl -sS -o "$TMP/metrics" -w '%{content_type}' --cacert "$TMP/certs/ca.crt" \
    "https://127.0.0.1:$PORT/metrics")
check_contains "metrics content type" "text/plain; version=0.0.4" "$ctype"
check "metrics count the mutate request" 1 \
    "$(metric 'tollgate_requests_total{endpoint="mutate",decision="patch",kind="Pod"}')"
if command -v promtool >/dev/null; then
    if promtool check metrics <"$TMP/metrics" >"$TMP/promtool.out" 2>&1; then
        pass "promtool check metrics"
    else
        fail "promtool check metrics: $(cat "$TMP/promtool.out")"
    fi
else
    fail "promtool not installed (Debian package prometheus)"
fi

# one JSON decision line per request, with the fields and without the body
stop_server
line=$(grep '"msg":"admission"' "$TMP/server.log" | grep '"endpoint":"mutate"' | tail -1)
for field in time uid kind namespace name operation user decision rules latency_us; do
    check "log line has $field" true "$(jq "has(\"$field\")" <<<"$line")"
done
check "log line decision" patch "$(jq -r .decision <<<"$line")"
check "log line user" alice "$(jq -r .user <<<"$line")"
if grep -q 'registry.k8s.io/pause\|nginx:latest' "$TMP/server.log"; then
    fail "the log contains object bodies"
else
    pass "no object bodies in the log"
fi
finish
