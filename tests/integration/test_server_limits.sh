#!/usr/bin/env bash
# Limits that must not stop well-behaved clients: a slow client is cut
# off while others are served; a request past its deadline still gets the
# configured internal-error answer with its uid.
# shellcheck source=tests/integration/lib_server.sh
source "$(dirname "$0")/lib_server.sh"

make_certs "$TMP/certs"
cp "$DATA/policy_enforce.yaml" "$TMP/policy.yaml"
start_server --read-timeout 2 --request-deadline 500

# slowloris: one byte per second, while normal requests keep succeeding
$CLIENT slow "$PORT" "$TMP/certs/ca.crt" 5 >"$TMP/slow.out" 2>&1 &
SLOW_PID=$!
$CLIENT slow "$PORT" "$TMP/certs/ca.crt" 5 >"$TMP/slow2.out" 2>&1 &
SLOW2_PID=$!
sleep 0.5
ok=0
for _ in $(seq 20); do
    [ "$(post /validate "$DATA/allow_v1.json" --max-time 2)" == 200 ] && ok=$((ok + 1))
    sleep 0.1
done
check "normal requests served while slow clients dribble" 20 "$ok"
if wait "$SLOW_PID" && wait "$SLOW2_PID"; then
    pass "slow clients cut off: $(cat "$TMP/slow.out")"
else
    fail "slow clients not cut off in time: $(cat "$TMP/slow.out" "$TMP/slow2.out")"
fi

# a body that arrives after --request-deadline: the internal-error answer
out=$($CLIENT late "$PORT" "$TMP/certs/ca.crt" "$DATA/deny_v1.json" 1)
check "late body: HTTP 200" 200 "$(head -1 <<<"$out")"
resp=$(tail -n +2 <<<"$out")
check "late body: uid" 22222222-2222-4222-8222-222222222222 "$(jq -r .response.uid <<<"$resp")"
check "late body: allowed (--on-internal-error allow)" true "$(jq -r .response.allowed <<<"$resp")"
check_contains "late body: says why" "deadline" "$(jq -r '.response.warnings[0]' <<<"$resp")"
check "on time: denied as usual" false \
    "$(post /validate "$DATA/deny_v1.json" >/dev/null; jqb .response.allowed)"
stop_server
check "decision logged as error" error \
    "$(grep '"msg":"admission"' "$TMP/server.log" | grep 2222 | head -1 | jq -r .decision)"

start_server --request-deadline 300 --on-internal-error deny
out=$($CLIENT late "$PORT" "$TMP/certs/ca.crt" "$DATA/allow_v1.json" 1)
resp=$(tail -n +2 <<<"$out")
check "late body with deny: HTTP 200" 200 "$(head -1 <<<"$out")"
check "late body with deny: refused" false "$(jq -r .response.allowed <<<"$resp")"
check_contains "late body with deny: message" "deadline" "$(jq -r .response.status.message <<<"$resp")"
stop_server

# the connection cap: excess connections wait or fail, and once the slow
# ones are reaped a normal client gets through again
start_server --read-timeout 2 --max-connections 2 --threads 1
$CLIENT slow "$PORT" "$TMP/certs/ca.crt" 5 >/dev/null 2>&1 &
SLOW_PID=$!
$CLIENT slow "$PORT" "$TMP/certs/ca.crt" 5 >/dev/null 2>&1 &
SLOW2_PID=$!
sleep 0.5
served() {
    [ "$(post /validate "$DATA/allow_v1.json" --max-time 1)" == 200 ]
}
if wait_for 8 served; then
    pass "served again after the slow connections holding the cap were reaped"
else
    fail "never served while slow connections hold the cap"
fi
wait "$SLOW_PID" "$SLOW2_PID"
stop_server

# the 413 names the limit in force, declared or chunked
start_server --max-body-bytes 4096
head -c 4097 /dev/zero | tr '\0' ' ' >"$TMP/over.json"
check "413 over a configured cap" 413 "$(post /validate "$TMP/over.json")"
check "413 names the configured limit" \
    "request body larger than --max-body-bytes (4096 bytes)" "$(jqb .error)"
check "413 chunked over a configured cap" 413 \
    "$(post /validate "$TMP/over.json" -H 'Transfer-Encoding: chunked')"
check "413 chunked names the configured limit" \
    "request body larger than --max-body-bytes (4096 bytes)" "$(jqb .error)"
stop_server
finish
