#!/usr/bin/env bash
# Policy reload: on SIGHUP and on file change; a broken policy is counted
# and the last good one keeps serving.
# shellcheck source=tests/integration/lib_server.sh
source "$(dirname "$0")/lib_server.sh"

make_certs "$TMP/certs"
cp "$DATA/policy_enforce.yaml" "$TMP/policy.yaml"
start_server --watch-interval 100 --metrics-listen "127.0.0.1:$(free_port)"
MPORT=$(sed -n 's/.*"metrics_port":\([0-9]*\).*/\1/p' "$TMP/server.log" | tail -1)

scrape() {
    curl -sS -o "$TMP/metrics" "http://127.0.0.1:$MPORT/metrics"
}

allowed() {
    post /validate "$DATA/deny_v1.json" >/dev/null && [ "$(jqb .response.allowed)" == true ]
}

failed_reloads() {
    scrape
    metric 'tollgate_policy_reloads_total{result="failed"}'
}

failed_reloads_are() {
    [ "$(failed_reloads)" == "$1" ]
}

check "enforce policy denies" false "$(post /validate "$DATA/deny_v1.json" >/dev/null; jqb .response.allowed)"

# a broken policy written over the good one: counted, the old one stays
cp "$DATA/policy_broken.yaml" "$TMP/policy.yaml"
if wait_for 5 failed_reloads_are 1; then
    pass "broken policy counted as a failed reload"
else
    fail "broken policy counted as a failed reload (got $(failed_reloads))"
fi
if grep -q '"msg":"policy reload failed; the previous policy stays in force"' "$TMP/server.log"; then
    pass "failed reload logged"
else
    fail "failed reload logged"
fi
check_contains "failed reload names file:line:col" "policy.yaml:7:" \
    "$(grep 'policy reload failed' "$TMP/server.log" | tail -1)"
check "old policy still denies" false "$(post /validate "$DATA/deny_v1.json" >/dev/null; jqb .response.allowed)"
check "readyz stays 200" 200 "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$MPORT/readyz")"
# SIGHUP with the broken file: counted again, still the old policy
kill -HUP "$SERVER_PID"
if wait_for 5 failed_reloads_are 2; then
    pass "SIGHUP with a broken policy counted"
else
    fail "SIGHUP with a broken policy counted (got $(failed_reloads))"
fi
check "old policy still denies after SIGHUP" false \
    "$(post /validate "$DATA/deny_v1.json" >/dev/null; jqb .response.allowed)"

# a good policy by file change: applied without a signal
cp "$DATA/policy_audit.yaml" "$TMP/policy.yaml"
if wait_for 5 allowed; then
    pass "file change applies the audit policy"
else
    fail "file change applies the audit policy"
fi
check "audit policy warns" 2 "$(jqb '.response.warnings | length')"

# SIGHUP applies a new policy even when the watcher would not see it yet
stop_server
cp "$DATA/policy_enforce.yaml" "$TMP/policy.yaml"
start_server --watch-interval 3600000
check "enforce before SIGHUP" false "$(post /validate "$DATA/deny_v1.json" >/dev/null; jqb .response.allowed)"
cp "$DATA/policy_audit.yaml" "$TMP/policy.yaml"
kill -HUP "$SERVER_PID"
if wait_for 5 allowed; then
    pass "SIGHUP applies the new policy"
else
    fail "SIGHUP applies the new policy"
fi

# requests keep being answered while the policy flips under them
request_loop "$DATA/deny_v1.json" "$TMP/loop.out" &
LOOP_PID=$!
for i in $(seq 10); do
    if [ $((i % 2)) == 0 ]; then
        cp "$DATA/policy_enforce.yaml" "$TMP/policy.yaml"
    else
        cp "$DATA/policy_audit.yaml" "$TMP/policy.yaml"
    fi
    kill -HUP "$SERVER_PID"
    sleep 0.1
done
touch "$TMP/stop"
wait "$LOOP_PID"
read -r total failed <"$TMP/loop.out"
check "requests failed while reloading (of $total)" 0 "$failed"
check "generation after 10 SIGHUPs" 12 \
    "$(grep '"trigger":"SIGHUP"' "$TMP/server.log" | tail -1 | jq -r .generation)"

# a policy directory behind a ConfigMap-style ..data symlink
stop_server
mkdir -p "$TMP/pol/..v1" "$TMP/pol/..v2"
cp "$DATA/policy_enforce.yaml" "$TMP/pol/..v1/policy.yaml"
cp "$DATA/policy_audit.yaml" "$TMP/pol/..v2/policy.yaml"
ln -s ..v1 "$TMP/pol/..data"
ln -s ..data/policy.yaml "$TMP/pol/policy.yaml"
PORT=$(free_port)
"$TOLLGATE" serve --listen "127.0.0.1:$PORT" --tls-cert "$TMP/certs/tls.crt" \
    --tls-key "$TMP/certs/tls.key" --policy "$TMP/pol" --watch-interval 100 \
    2>>"$TMP/server.log" &
SERVER_PID=$!
wait_for 5 curl -s -o /dev/null --cacert "$TMP/certs/ca.crt" "https://127.0.0.1:$PORT/healthz"
check "directory policy enforces" false "$(post /validate "$DATA/deny_v1.json" >/dev/null; jqb .response.allowed)"
ln -s ..v2 "$TMP/pol/..data_tmp" && mv -T "$TMP/pol/..data_tmp" "$TMP/pol/..data"
if wait_for 5 allowed; then
    pass "..data symlink swap reloads the directory"
else
    fail "..data symlink swap reloads the directory"
fi
stop_server
finish
