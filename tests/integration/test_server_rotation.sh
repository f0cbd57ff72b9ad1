#!/usr/bin/env bash
# Certificate rotation while requests run: a Secret-volume style ..data
# swap is picked up with zero failed requests, a bad pair is refused and
# counted, and the old pair keeps serving.
# shellcheck source=tests/integration/lib_server.sh
source "$(dirname "$0")/lib_server.sh"

# One CA, three serving pairs: v1 (start), v2 (rotation), and a mismatched
# pair (v2's certificate with v1's key), in a Secret-volume layout.
make_certs "$TMP/certs"
secret_volume

cp "$DATA/policy_enforce.yaml" "$TMP/policy.yaml"
start_volume_server 100

v1=$(file_fingerprint "$TMP/certs/tls.crt")
v2=$(file_fingerprint "$TMP/v2/tls.crt")
check "serves v1 at start" "$v1" "$(served_fingerprint)"

scrape() {
    curl -sS -o "$TMP/metrics" "http://127.0.0.1:$MPORT/metrics"
}

cert_reloads() {
    scrape
    [ "$(metric "tollgate_cert_reloads_total{result=\"$1\"}")" == "$2" ]
}

# A request loop (new connection each time, so each one handshakes) runs
# across the bad rotation and the good one.
request_loop "$DATA/allow_v1.json" "$TMP/loop.out" &
LOOP_PID=$!
sleep 0.5

swap_to ..bad
if wait_for 5 cert_reloads failed 1; then
    pass "mismatched pair counted as a failed reload"
else
    fail "mismatched pair counted as a failed reload"
fi
check "still serves v1 after the bad rotation" "$v1" "$(served_fingerprint)"
check_contains "bad rotation logged with the file" "$VOL/tls.key" \
    "$(grep 'certificate reload failed' "$TMP/server.log" | tail -1)"

swap_to ..v2
if wait_for 5 cert_reloads ok 2; then
    pass "good rotation counted"
else
    fail "good rotation counted"
fi
check "serves v2 after rotation" "$v2" "$(served_fingerprint)"
sleep 0.5
touch "$TMP/stop"
wait "$LOOP_PID"
read -r total failed <"$TMP/loop.out"
check "requests failed during rotation (of $total)" 0 "$failed"
if [ "$total" -ge 10 ]; then
    pass "the loop ran ($total requests)"
else
    fail "the loop ran too few requests ($total)"
fi
expiry=$(metric tollgate_certificate_expiry_timestamp_seconds)
want=$(date -d "$(openssl x509 -in "$TMP/v2/tls.crt" -noout -enddate | cut -d= -f2)" +%s)
check "expiry metric is v2's notAfter" "$want" "${expiry%.*}"
stop_server
finish
