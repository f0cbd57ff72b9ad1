#!/usr/bin/env bash
# Certificate rotation and policy reload under load: wrk keeps 8 keep-alive
# connections busy and a loop opens a new TLS connection per request (so
# handshakes meet every rotation) while the serving pair is swapped every
# 300 ms and the policy flipped by file change and SIGHUP every 100 ms,
# with one broken policy and one mismatched pair in between.  Zero failed
# requests, every reload counted, no internal-error answer, a clean exit.
# (test_server_rotation.sh and test_server_reload.sh check the details of
# each reload with a single client; this is the same under load.)
# shellcheck source=tests/integration/lib_server.sh
source "$(dirname "$0")/lib_server.sh"
command -v wrk >/dev/null || { echo "FAIL: wrk is required"; exit 1; }

make_certs "$TMP/certs"
# a second serving pair from the same CA and a mismatched one, as a Secret volume
secret_volume

cp "$DATA/policy_enforce.yaml" "$TMP/policy.yaml"
start_volume_server 50
scrape() {
    curl -sS -o "$TMP/metrics" "http://127.0.0.1:$MPORT/metrics"
}

# load: wrk on keep-alive connections, and fresh connections one by one
wrk -t1 -c8 -d8s --timeout 5s -s "$SRC/tests/soak/reviews.lua" "https://127.0.0.1:$PORT" \
    -- "$DATA" >"$TMP/wrk.out" 2>&1 &
WRK_PID=$!
request_loop "$DATA/deny_v1.json" "$TMP/handshakes.out" &
LOOP_PID=$!

# 6 seconds of churn: 60 policy flips (odd ones by SIGHUP), 20 rotations
policies=("$DATA/policy_enforce.yaml" "$DATA/policy_audit.yaml")
for i in $(seq 60); do
    cp "${policies[$((i % 2))]}" "$TMP/policy.yaml.new"
    mv "$TMP/policy.yaml.new" "$TMP/policy.yaml"
    [ $((i % 2)) == 1 ] && kill -HUP "$SERVER_PID"
    [ "$i" == 30 ] && cp "$DATA/policy_broken.yaml" "$TMP/policy.yaml" && sleep 0.2
    if [ $((i % 3)) == 0 ]; then
        if [ "$i" == 30 ]; then
            swap_to ..bad
            sleep 0.2
        fi
        swap_to "..v$((i / 3 % 2 + 1))"
    fi
    sleep 0.1
done
cp "$DATA/policy_enforce.yaml" "$TMP/policy.yaml"
wait "$WRK_PID"
touch "$TMP/stop"
wait "$LOOP_PID"

wrk_line=$(grep '^SOAK' "$TMP/wrk.out")
echo "wrk: $wrk_line"
check "wrk: no socket or HTTP error" "connect=0 read=0 write=0 status=0 timeout=0" \
    "$(grep -oE 'connect=[0-9]+ read=[0-9]+ write=[0-9]+ status=[0-9]+ timeout=[0-9]+' <<<"$wrk_line")"
n=$(sed -E 's/.*requests=([0-9]+).*/\1/' <<<"$wrk_line")
[ "${n:-0}" -ge 1000 ] && pass "wrk sent $n reviews" || fail "wrk sent too few reviews: $n"
read -r total failed <"$TMP/handshakes.out"
check "fresh connections: none failed (of $total)" 0 "$failed"
[ "$total" -ge 20 ] && pass "fresh connections: $total" || fail "too few fresh connections: $total"

policy_ok() {
    scrape
    [ "$(metric 'tollgate_policy_reloads_total{result="ok"}')" -ge 20 ]
}
wait_for 5 policy_ok && pass "policy reloads counted: $(metric 'tollgate_policy_reloads_total{result="ok"}')" ||
    fail "policy reloads: $(metric 'tollgate_policy_reloads_total{result="ok"}')"
check "the broken policy counted as failed at least once" true \
    "$([ "$(metric 'tollgate_policy_reloads_total{result="failed"}')" -ge 1 ] && echo true)"
cert_ok=$(metric 'tollgate_cert_reloads_total{result="ok"}')
[ "${cert_ok:-0}" -ge 10 ] && pass "certificate reloads counted: $cert_ok" ||
    fail "certificate reloads: $cert_ok"
check "the mismatched pair counted as failed" true \
    "$([ "$(metric 'tollgate_cert_reloads_total{result="failed"}')" -ge 1 ] && echo true)"
check "no internal-error answers" 0 \
    "$(awk '/^tollgate_requests_total\{.*decision="error"/ {s += $2} END {print s + 0}' "$TMP/metrics")"
# the last policy written is enforce: it must be what decides now
enforced() {
    post /validate "$DATA/deny_v1.json" >/dev/null && [ "$(jqb .response.allowed)" == false ]
}
wait_for 5 enforced && pass "enforce policy in force at the end" ||
    fail "enforce policy not in force at the end: $(body)"
stop_server
finish
