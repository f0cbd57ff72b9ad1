#!/usr/bin/env bash
# Start-up of `tollgate serve`: flags, environment, and the checks that
# refuse to serve (exit 2, naming the file and the problem).
source "$(dirname "$0")/lib_server.sh"

make_certs "$TMP/certs"
make_certs "$TMP/other"
make_certs "$TMP/expired" --expired
cp "$DATA/policy_enforce.yaml" "$TMP/policy.yaml"
cp "$DATA/policy_broken.yaml" "$TMP/broken.yaml"

# run_serve ARGS...: exit status in $status, stderr in $err
run_serve() {
    timeout 10 "$TOLLGATE" serve "$@" 2>"$TMP/err" >"$TMP/out"
    status=$?
    err=$(cat "$TMP/err")
}

good=(--listen 127.0.0.1:1 --tls-cert "$TMP/certs/tls.crt" --tls-key "$TMP/certs/tls.key"
    --policy "$TMP/policy.yaml")

# --help: every flag, its variable and its default
run_serve --help
check "--help exits 0" 0 "$status"
for flag in listen tls-cert tls-key policy client-ca metrics-listen log-level max-body-bytes \
    read-timeout max-connections threads request-deadline on-internal-error \
    shutdown-timeout watch-interval; do
    check_contains "--help lists --$flag" "--$flag" "$(cat "$TMP/out")"
done
check_contains "--help names the env var" TOLLGATE_MAX_BODY_BYTES "$(cat "$TMP/out")"
check_contains "--help gives the default" "default 3145728" "$(cat "$TMP/out")"

# invalid values: exit 2 and a message naming the flag
bad_values=(
    "--threads 0|--threads"
    "--threads many|--threads"
    "--listen nowhere|--listen"
    "--listen 127.0.0.1:70000|--listen"
    "--log-level loud|--log-level"
    "--on-internal-error maybe|--on-internal-error"
    "--max-body-bytes -5|--max-body-bytes"
    "--request-deadline 1.5|--request-deadline"
    "--bogus 1|--bogus"
)
for row in "${bad_values[@]}"; do
    args=${row%%|*}
    want=${row##*|}
    # shellcheck disable=SC2086
    run_serve "${good[@]}" $args
    check "$args exits 2" 2 "$status"
    check_contains "$args names the flag" "$want" "$err"
done
run_serve --tls-cert "$TMP/certs/tls.crt" --tls-key "$TMP/certs/tls.key"
check "missing --policy exits 2" 2 "$status"
check_contains "missing --policy is named" "--policy" "$err"
TOLLGATE_THREADS=zero run_serve "${good[@]}"
check "bad env value exits 2" 2 "$status"
check_contains "bad env value names the variable" TOLLGATE_THREADS "$err"

# certificate checks
run_serve --listen 127.0.0.1:1 --tls-cert "$TMP/nope.crt" --tls-key "$TMP/certs/tls.key" \
    --policy "$TMP/policy.yaml"
check "missing cert exits 2" 2 "$status"
check_contains "missing cert is named" "$TMP/nope.crt" "$err"
run_serve --listen 127.0.0.1:1 --tls-cert "$TMP/expired/tls.crt" \
    --tls-key "$TMP/expired/tls.key" --policy "$TMP/policy.yaml"
check "expired cert exits 2" 2 "$status"
check_contains "expired cert is named" "$TMP/expired/tls.crt" "$err"
check_contains "expired cert says so" "expired" "$err"
run_serve --listen 127.0.0.1:1 --tls-cert "$TMP/certs/tls.crt" --tls-key "$TMP/other/tls.key" \
    --policy "$TMP/policy.yaml"
check "mismatched key exits 2" 2 "$status"
check_contains "mismatched key names a file" "$TMP/other/tls.key" "$err"
check_contains "mismatched key says so" "match" "$err"
run_serve "${good[@]}" --client-ca "$TMP/nope-ca.crt"
check "missing client CA exits 2" 2 "$status"
check_contains "missing client CA is named" "$TMP/nope-ca.crt" "$err"

# policy checks: file:line:col
run_serve --listen 127.0.0.1:1 --tls-cert "$TMP/certs/tls.crt" --tls-key "$TMP/certs/tls.key" \
    --policy "$TMP/broken.yaml"
check "broken policy exits 2" 2 "$status"
check_contains "broken policy: file:line:col" "$TMP/broken.yaml:7:" "$err"
check_contains "broken policy: the bad value" "liveness2" "$err"
run_serve --listen 127.0.0.1:1 --tls-cert "$TMP/certs/tls.crt" --tls-key "$TMP/certs/tls.key" \
    --policy "$TMP/missing.yaml"
check "missing policy exits 2" 2 "$status"
check_contains "missing policy is named" "$TMP/missing.yaml" "$err"

# environment equivalents, and the flag wins over the variable
PORT=$(free_port)
TOLLGATE_LISTEN=127.0.0.1:$PORT TOLLGATE_TLS_CERT=$TMP/certs/tls.crt \
    TOLLGATE_TLS_KEY=$TMP/certs/tls.key TOLLGATE_POLICY=$TMP/policy.yaml \
    TOLLGATE_LOG_LEVEL=warn "$TOLLGATE" serve 2>"$TMP/server.log" &
SERVER_PID=$!
if wait_for 5 curl -s -o /dev/null --cacert "$TMP/certs/ca.crt" \
    "https://127.0.0.1:$PORT/healthz"; then
    pass "configured from the environment alone"
else
    fail "configured from the environment alone"
fi
post /validate "$DATA/allow_v1.json" >/dev/null
stop_server
if grep -q '"level":"info"' "$TMP/server.log"; then
    fail "TOLLGATE_LOG_LEVEL=warn still logs info lines"
else
    pass "TOLLGATE_LOG_LEVEL=warn drops info lines"
fi
PORT=$(free_port)
TOLLGATE_LISTEN=127.0.0.1:1 "$TOLLGATE" serve --listen "127.0.0.1:$PORT" \
    --tls-cert "$TMP/certs/tls.crt" --tls-key "$TMP/certs/tls.key" \
    --policy "$TMP/policy.yaml" 2>"$TMP/server.log" &
SERVER_PID=$!
if wait_for 5 curl -s -o /dev/null --cacert "$TMP/certs/ca.crt" \
    "https://127.0.0.1:$PORT/healthz"; then
    pass "--listen wins over TOLLGATE_LISTEN"
else
    fail "--listen wins over TOLLGATE_LISTEN"
fi
stop_server

# the port is taken: a runtime failure (1), not a usage error
start_server
run_serve --listen "127.0.0.1:$PORT" --tls-cert "$TMP/certs/tls.crt" \
    --tls-key "$TMP/certs/tls.key" --policy "$TMP/policy.yaml"
check "port in use exits 1" 1 "$status"
check_contains "port in use is explained" "cannot listen" "$err"
finish
