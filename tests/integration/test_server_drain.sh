#!/usr/bin/env bash
# SIGTERM: /readyz turns 503, no new connections, the request in flight
# is answered, and the process exits 0 within --shutdown-timeout.
source "$(dirname "$0")/lib_server.sh"

make_certs "$TMP/certs"
cp "$DATA/policy_enforce.yaml" "$TMP/policy.yaml"
MPORT=$(free_port)
start_server --metrics-listen "127.0.0.1:$MPORT" --shutdown-timeout 5

check "readyz before" 200 "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$MPORT/readyz")"
check "probes live on the metrics port only" 404 "$(get /readyz)"

# The client sends half a body, SIGTERMs the server, then sends the rest.
$CLIENT drain "$PORT" "$TMP/certs/ca.crt" "$DATA/deny_v1.json" "$SERVER_PID" >"$TMP/drain.out" &
CLIENT_PID=$!
readyz_is() {
    [ "$(curl -s -o "$TMP/body" -w '%{http_code}' "http://127.0.0.1:$MPORT/readyz")" == "$1" ]
}
# the client pauses 0.7 s after the signal before finishing its body
if wait_for 2 readyz_is 503; then pass "readyz 503 while draining"; else fail "readyz 503 while draining"; fi
check "readyz says draining" draining "$(jqb .status)"
check "healthz while draining" 200 "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$MPORT/healthz")"
check "new TLS connections refused" 000 "$(get /healthz --max-time 2 2>/dev/null)"
wait "$CLIENT_PID"
check "request in flight answered" 200 "$(head -1 "$TMP/drain.out")"
check "request in flight decided" false "$(tail -n +2 "$TMP/drain.out" | jq -r .response.allowed)"

start=$(date +%s)
wait "$SERVER_PID"
status=$?
SERVER_PID=
check "exit status after SIGTERM" 0 "$status"
took=$(($(date +%s) - start))
if [ "$took" -le 5 ]; then pass "exited within --shutdown-timeout"; else fail "took ${took}s to exit"; fi

# A request that never completes cannot hold the exit past the timeout.
start_server --shutdown-timeout 1 --read-timeout 30
$CLIENT late "$PORT" "$TMP/certs/ca.crt" "$DATA/allow_v1.json" 30 >/dev/null 2>"$TMP/late.err" &
LATE_PID=$!
wait_for 10 grep -q "headers sent" "$TMP/late.err" || fail "the late client never sent its headers"
sleep 0.3 # for the server to read them
start=$(date +%s%N)
kill -TERM "$SERVER_PID"
wait "$SERVER_PID"
status=$?
SERVER_PID=
took=$((($(date +%s%N) - start) / 1000000))
check "exit status with a stuck request" 0 "$status"
if [ "$took" -ge 900 ] && [ "$took" -le 3000 ]; then
    pass "stuck request: waited for --shutdown-timeout, then exited (${took}ms)"
else
    fail "stuck request: exited after ${took}ms, expected about 1000"
fi
check_contains "stuck request logged" "closing 1 request(s) still in flight" "$(cat "$TMP/server.log")"
kill "$LATE_PID" 2>/dev/null
wait "$LATE_PID" 2>/dev/null
finish
