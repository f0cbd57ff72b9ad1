#!/usr/bin/env bash
# Faults and abuse against the real server.  Each case asserts the exact
# answer (status, verdict, message) and then that the server is still
# healthy (/healthz 200, a compliant review allowed, a bad one denied).
# Covered elsewhere, not repeated here: one byte a second and the
# connection cap (test_server_limits.sh); 3 MiB + 1 declared, chunked and
# Expect: 100-continue (test_server_api.sh).
# shellcheck source=tests/integration/lib_server.sh
source "$(dirname "$0")/lib_server.sh"
FAULTS="python3 $SRC/tests/integration/fault_client.py"

make_certs "$TMP/certs"
cp "$DATA/policy_enforce.yaml" "$TMP/policy.yaml"
mkdir -p "$TMP/gen"
python3 "$SRC/tests/data/faults/generate.py" "$DATA" "$TMP/gen" || exit 1
# a generous deadline: the 10,000-container cases must not depend on build speed
start_server --read-timeout 10 --request-deadline 30000
pid=$SERVER_PID

healthy() { # LABEL
    check "$1: healthz" 200 "$(get /healthz)"
    check "$1: compliant review allowed" "200 true" \
        "$(post /validate "$DATA/allow_v1.json") $(jqb .response.allowed)"
    check "$1: bad review denied" "200 false" \
        "$(post /validate "$DATA/deny_v1.json") $(jqb .response.allowed)"
    check "$1: same server process" "$pid" "$SERVER_PID"
    kill -0 "$pid" 2>/dev/null || fail "$1: server died"
}

# -- transport --
curl -sS -o /dev/null "http://127.0.0.1:$PORT/healthz" 2>"$TMP/plain.err"
check "plain HTTP to the TLS port: no HTTP answer, connection closed" \
    "curl: (52) Empty reply from server" "$(cat "$TMP/plain.err")"
healthy "after plain HTTP"

out=$($FAULTS halfhello "$PORT" 12) || fail "half a ClientHello: $out"
check_contains "half a ClientHello: closed by --read-timeout" "closed after" "$out"
out=$($FAULTS halfhandshake "$PORT" "$TMP/certs/ca.crt" 12) || fail "handshake stopped: $out"
check_contains "handshake stopped after the server's flight: closed" "closed after" "$out"
healthy "after broken handshakes"

# 500 idle connections (half bare TCP, half after a TLS handshake) while
# reviews on fresh connections keep their latency
out=$($FAULTS idle "$PORT" "$TMP/certs/ca.crt" 500 "$DATA/allow_v1.json" 30)
echo "idle: $out"
check "500 idle connections all held open" 500 "$(jq .idle_open <<<"$out")"
check "every review answered 200 (30 before, 30 during)" 60 "$(jq .ok <<<"$out")"
if jq -e '.during_ms.median <= 3 * .before_ms.median + 20 and .during_ms.max < 1000' \
    <<<"$out" >/dev/null; then
    pass "latency with 500 idle connections within 3x + 20 ms of normal, max < 1 s"
else
    fail "latency with 500 idle connections: $out"
fi
healthy "after 500 idle connections"

# 3 MiB + 1 byte sent as a naive client does (no Expect, body right after
# the headers): 413 as soon as the headers are read
out=$($FAULTS fullbody "$PORT" "$TMP/certs/ca.crt" $((3 * 1024 * 1024 + 1)))
check "3 MiB + 1 sent whole: 413" 413 "$(head -1 <<<"$out")"
check "3 MiB + 1 sent whole: message" \
    '{"error":"request body larger than --max-body-bytes (3145728 bytes)"}' \
    "$(tail -n +2 <<<"$out")"
healthy "after 3 MiB + 1"

# Headers live in libmicrohttpd's 16 KB per-connection pool (server.c):
# 12 KB of them (a long bearer token, say) still fit, with the large review;
# 64 KB get 431 and the connection is closed, nothing else.  The 431 is
# sent while curl may still be writing headers, so curl sometimes sees
# only the reset (000): either is the refusal.
big_header() { # BYTES
    printf 'Authorization: Bearer %s' "$(head -c "$1" /dev/zero | tr '\0' a)"
}
check "12 KB of headers: answered" "200 true" \
    "$(post /validate "$SRC/tests/data/reviews/large.json" -H "$(big_header 12000)") $(jqb .response.allowed)"
code=$(post /validate "$DATA/allow_v1.json" -H "$(big_header 65536)" 2>/dev/null)
if [ "$code" = 431 ] || [ "$code" = 000 ]; then
    pass "64 KB of headers: refused ($code)"
else
    fail "64 KB of headers: expected 431 or a closed connection, got $code"
fi
healthy "after large header sets"

# -- hostile JSON: 400 with the decoder's reason and the byte position --
bad_json() { # FILE EXPECTED-ERROR
    check "$1: 400" 400 "$(post /validate "$TMP/gen/$1.json")"
    check "$1: message" "$2" "$(jqb .error)"
}
bad_json utf8-stray "request body:1:556: malformed JSON: invalid UTF-8 in a string"
bad_json utf8-overlong "request body:1:556: malformed JSON: invalid UTF-8 in a string"
bad_json deep-array "request body:1:2049: malformed JSON: maximum parsing depth reached"
bad_json deep-field "request body:1:10974: malformed JSON: maximum parsing depth reached"
bad_json dup-top "request body:1:736: malformed JSON: duplicate object key"
# a second securityContext must not hide the first: refused outright
bad_json dup-securitycontext "request body:1:559: malformed JSON: duplicate object key"
healthy "after hostile JSON"

# -- 10,000 containers --
check "10,000 compliant containers: allowed" "200 true" \
    "$(post /validate "$TMP/gen/many-ok.json") $(jqb .response.allowed)"
check "10,000 containers, the last bad: denied" "200 false 403" \
    "$(post /validate "$TMP/gen/many-last-bad.json") $(jqb .response.allowed) \
$(jqb .response.status.code)"
check_contains "10,000 containers, the last bad: names it" \
    'container "c9999" (/spec/containers/9999/image): image "nginx:latest" uses the mutable tag "latest"' \
    "$(jqb .response.status.message)"
# every container bad: too many findings for a request's memory.  Refused,
# never the allow-on-internal-error answer (that would be a way around
# every rule).
for ep in /validate /mutate; do
    check "10,000 bad containers on $ep: refused" "200 false 400" \
        "$(post $ep "$TMP/gen/many-all-bad.json") $(jqb .response.allowed) \
$(jqb .response.status.code)"
    check "10,000 bad containers on $ep: says why" \
        "tollgate cannot judge the object: its findings need more than the 4096 KiB a request may use; fix the violations or split the workload" \
        "$(jqb .response.status.message)"
done
healthy "after 10,000 containers"

# -- numbers where strings belong, null where a field may be (on the bad Pod) --
# review CASE HTTP ALLOWED CODE MESSAGE-PREFIX: a 200 answer, or a 400 error
review() {
    local status
    status=$(post /validate "$TMP/gen/$1.json")
    if [ "$2" == 400 ]; then
        check "$1" "400 $5" "$status $(jqb .error)"
        return
    fi
    check "$1: verdict" "$2 $3 $4" "$status $(jqb .response.allowed) $(jqb '.response.status.code')"
    local msg
    msg=$(jqb '.response.status.message // ""' | head -1)
    check "$1: message" "$5" "${msg:0:${#5}}"
    [ -n "$5" ] || check "$1: no message" "" "$msg"
}
denied2="tollgate: Pod default/bad has 2 violations of 2 rules:"
review number-request-uid 400 - - "request.uid is missing"
review null-request-uid 400 - - "request.uid is missing"
review number-review-request 400 - - "request is missing or not an object"
review null-review-request 400 - - "request is missing or not an object"
review number-request-object 400 - - "request.object is not an object"
review null-request-object 400 - - "request.object is null (operation CREATE); CREATE and UPDATE reviews must carry the object"
review number-request-kind 200 false 403 "tollgate: object default/bad has 2 violations of 2 rules:"
review null-request-kind 200 false 403 "tollgate: object default/bad has 2 violations of 2 rules:"
review number-request-operation 200 false 403 "$denied2"
review null-request-operation 200 false 403 "$denied2"
review number-request-namespace 200 false 403 "tollgate: Pod bad has 2 violations of 2 rules:"
review null-request-namespace 200 false 403 "tollgate: Pod bad has 2 violations of 2 rules:"
review number-object-metadata 200 false 403 "$denied2"
review null-object-metadata 200 false 403 "$denied2"
review number-object-spec 200 false 400 "tollgate cannot read the object: /spec must be a mapping"
review null-object-spec 200 true null "" # no pod spec, nothing to judge
# object.kind says which pod specs exist; the API server always sets it.
# Without it nothing is judged (see the report: a fallback to
# request.kind would be stricter).
review number-object-kind 200 true null ""
review null-object-kind 200 true null ""
review number-spec-containers 200 false 400 \
    "tollgate cannot read the object: /spec/containers must be a list"
review null-spec-containers 200 true null ""
review number-spec-securityContext 200 false 403 "$denied2"
review null-spec-securityContext 200 false 403 "$denied2"
review number-container-name 200 false 400 \
    "tollgate cannot read the object: /spec/containers/0/name must be a string"
review null-container-name 200 false 403 "$denied2"
review number-container-image 200 false 400 \
    "tollgate cannot read the object: /spec/containers/0/image must be a string"
review null-container-image 200 false 403 "$denied2"
review number-container-securityContext 200 false 403 "$denied2"
review null-container-securityContext 200 false 403 "$denied2"
review number-container-livenessProbe 200 false 403 "$denied2"
review null-container-livenessProbe 200 false 403 "tollgate: Pod default/bad has 3 violations of 3 rules:"
healthy "after numbers and nulls"

stop_server
grep -q '"level":"error"' "$TMP/server.log" && fail "errors logged: $(grep '"level":"error"' "$TMP/server.log" | head -3)"
finish
