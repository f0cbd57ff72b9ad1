#!/usr/bin/env bash
# --client-ca: a client certificate from that CA (with clientAuth) is
# required; everything else fails the TLS handshake.
source "$(dirname "$0")/lib_server.sh"

make_certs "$TMP/certs" --client kube-apiserver
make_certs "$TMP/foreign" --client intruder
cp "$DATA/policy_enforce.yaml" "$TMP/policy.yaml"
CURL_CLIENT_CERT="--cert $TMP/certs/client.crt --key $TMP/certs/client.key"
start_server --client-ca "$TMP/certs/ca.crt"

# shellcheck disable=SC2086
check "with a client certificate: served" 200 \
    "$(post /validate "$DATA/allow_v1.json" $CURL_CLIENT_CERT)"
check "with a client certificate: decided" true "$(jqb .response.allowed)"

refused() {
    local code
    code=$(curl -s -o /dev/null -w '%{http_code}' --cacert "$TMP/certs/ca.crt" "$@" \
        -H 'Content-Type: application/json' --data-binary "@$DATA/allow_v1.json" \
        "https://127.0.0.1:$PORT/validate")
    [ "$code" == 000 ]
}
if refused; then
    pass "without a client certificate: handshake refused"
else
    fail "without a client certificate: handshake refused"
fi
if refused --cert "$TMP/foreign/client.crt" --key "$TMP/foreign/client.key"; then
    pass "client certificate from another CA: refused"
else
    fail "client certificate from another CA: refused"
fi
if refused --cert "$TMP/certs/tls.crt" --key "$TMP/certs/tls.key"; then
    pass "serving certificate (no clientAuth) as client: refused"
else
    fail "serving certificate (no clientAuth) as client: refused"
fi
out=$(openssl s_client -connect "127.0.0.1:$PORT" -CAfile "$TMP/certs/ca.crt" </dev/null 2>&1)
check_contains "the server asks for a client certificate" "Acceptable client certificate CA names" "$out"
# shellcheck disable=SC2086
check "still serving after refusals" 200 "$(post /validate "$DATA/allow_v1.json" $CURL_CLIENT_CERT)"

# Modern TLS only.  SECLEVEL=0 lets the client really offer the old
# things, so a refusal is the server's.
stop_server
start_server
tls() {
    openssl s_client -connect "127.0.0.1:$PORT" -CAfile "$TMP/certs/ca.crt" "$@" \
        </dev/null 2>&1 | grep -q 'Verify return code: 0 (ok)'
}
if tls -tls1_2; then pass "TLS 1.2 accepted"; else fail "TLS 1.2 accepted"; fi
if tls -tls1_3; then pass "TLS 1.3 accepted"; else fail "TLS 1.3 accepted"; fi
if tls -tls1_1 -cipher 'DEFAULT:@SECLEVEL=0'; then fail "TLS 1.1 accepted"; else pass "TLS 1.1 refused"; fi
if tls -tls1_2 -cipher 'AES128-SHA:@SECLEVEL=0'; then
    fail "TLS 1.2 with a CBC cipher accepted"
else
    pass "TLS 1.2 with a CBC cipher refused"
fi
stop_server
finish
