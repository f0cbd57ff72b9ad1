#!/usr/bin/env bash
# Certificate rotation while requests run: a Secret-volume style ..data
# swap is picked up with zero failed requests, a bad pair is refused and
# counted, and the old pair keeps serving.
source "$(dirname "$0")/lib_server.sh"

# One CA, three serving pairs: v1 (start), v2 (rotation), and a mismatched
# pair (v2's certificate with v1's key).
make_certs "$TMP/certs"
mkdir -p "$TMP/v2" "$TMP/bad"
openssl ecparam -name prime256v1 -genkey -noout -out "$TMP/v2/tls.key" 2>/dev/null
openssl req -new -key "$TMP/v2/tls.key" -subj "/CN=tollgate.tollgate-system.svc" \
    -out "$TMP/v2/tls.csr" 2>/dev/null
printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth\n' \
    >"$TMP/v2/ext"
openssl x509 -req -in "$TMP/v2/tls.csr" -CA "$TMP/certs/ca.crt" -CAkey "$TMP/certs/ca.key" \
    -CAcreateserial -days 30 -extfile "$TMP/v2/ext" -out "$TMP/v2/tls.crt" 2>/dev/null
cp "$TMP/v2/tls.crt" "$TMP/bad/tls.crt"
cp "$TMP/certs/tls.key" "$TMP/bad/tls.key"

# The layout kubelet gives a Secret volume: files are symlinks through ..data.
vol=$TMP/vol
mkdir -p "$vol/..v1" "$vol/..v2" "$vol/..bad"
cp "$TMP/certs/tls.crt" "$TMP/certs/tls.key" "$vol/..v1/"
cp "$TMP/v2/tls.crt" "$TMP/v2/tls.key" "$vol/..v2/"
cp "$TMP/bad/tls.crt" "$TMP/bad/tls.key" "$vol/..bad/"
ln -s ..v1 "$vol/..data"
ln -s ..data/tls.crt "$vol/tls.crt"
ln -s ..data/tls.key "$vol/tls.key"
swap_to() {
    ln -sfn "$1" "$vol/..data_tmp" && mv -T "$vol/..data_tmp" "$vol/..data"
}

cp "$DATA/policy_enforce.yaml" "$TMP/policy.yaml"
PORT=$(free_port)
MPORT=$(free_port)
"$TOLLGATE" serve --listen "127.0.0.1:$PORT" --tls-cert "$vol/tls.crt" \
    --tls-key "$vol/tls.key" --policy "$TMP/policy.yaml" --watch-interval 100 \
    --metrics-listen "127.0.0.1:$MPORT" 2>>"$TMP/server.log" &
SERVER_PID=$!
wait_for 5 curl -s -o /dev/null "http://127.0.0.1:$MPORT/healthz"

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
loop() {
    local n=0 bad=0 code
    while [ ! -e "$TMP/stop" ]; do
        code=$(curl -s -o /dev/null -w '%{http_code}' --cacert "$TMP/certs/ca.crt" \
            -H 'Content-Type: application/json' --data-binary "@$DATA/allow_v1.json" \
            "https://127.0.0.1:$PORT/validate")
        n=$((n + 1))
        [ "$code" == 200 ] || bad=$((bad + 1))
    done
    echo "$n $bad" >"$TMP/loop.out"
}
loop &
LOOP_PID=$!
sleep 0.5

swap_to ..bad
if wait_for 5 cert_reloads failed 1; then
    pass "mismatched pair counted as a failed reload"
else
    fail "mismatched pair counted as a failed reload"
fi
check "still serves v1 after the bad rotation" "$v1" "$(served_fingerprint)"
check_contains "bad rotation logged with the file" "$vol/tls.key" \
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
