# lib_server.sh -- shared by tests/integration/test_server_*.sh (sourced).
#
# Each test starts its own `tollgate serve` on a free 127.0.0.1 port with
# certificates from certs/tollgate-certs in a temporary directory, and
# removes everything on exit.  Needs: curl, jq, openssl, python3.
# Env (from CTest): TOLLGATE (the binary), SRC (source tree), BUILD.
set -uo pipefail

: "${SRC:=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}"
: "${BUILD:=$SRC/build}"
: "${TOLLGATE:=$BUILD/tollgate}"
# shellcheck disable=SC2034 # DATA and CLIENT are for the scripts that source this
DATA=$SRC/tests/data/server
# shellcheck disable=SC2034
CLIENT="python3 $SRC/tests/integration/server_client.py"
TMP=$(mktemp -d)
SERVER_PID=
FAILURES=0

cleanup() {
    if [ -n "$SERVER_PID" ] && kill -0 "$SERVER_PID" 2>/dev/null; then
        kill -KILL "$SERVER_PID" 2>/dev/null
        wait "$SERVER_PID" 2>/dev/null
    fi
    rm -rf "$TMP"
}
trap cleanup EXIT

for tool in curl jq openssl python3; do
    command -v "$tool" >/dev/null || { echo "FAIL: $tool is required"; exit 1; }
done

fail() {
    echo "FAIL: $*"
    FAILURES=$((FAILURES + 1))
}

pass() {
    echo "ok: $*"
}

# check DESCRIPTION EXPECTED ACTUAL
check() {
    if [ "$2" == "$3" ]; then
        pass "$1"
    else
        fail "$1: expected [$2], got [$3]"
    fi
}

# check_contains DESCRIPTION NEEDLE HAYSTACK
check_contains() {
    if [[ "$3" == *"$2"* ]]; then
        pass "$1"
    else
        fail "$1: [$2] not in [$3]"
    fi
}

finish() {
    if grep -q 'Sanitizer\|runtime error:' "$TMP/server.log" 2>/dev/null; then
        fail "sanitizer report in the server log"
    fi
    if [ "$FAILURES" -ne 0 ]; then
        echo "--- server log"
        tail -40 "$TMP/server.log" 2>/dev/null
        echo "$FAILURES check(s) failed"
        exit 1
    fi
    echo "all checks passed"
    exit 0
}

free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# make_certs DIR [tollgate-certs options...]
make_certs() {
    local dir=$1
    shift
    "$SRC/certs/tollgate-certs" --out "$dir" --force "$@" >/dev/null 2>"$TMP/certs.err" ||
        { cat "$TMP/certs.err"; echo "FAIL: tollgate-certs"; exit 1; }
}

# start_server [extra serve flags...]: PORT is the TLS port; the policy is
# $TMP/policy.yaml, certs $TMP/certs.  Waits for /healthz.
start_server() {
    PORT=$(free_port)
    "$TOLLGATE" serve --listen "127.0.0.1:$PORT" --tls-cert "$TMP/certs/tls.crt" \
        --tls-key "$TMP/certs/tls.key" --policy "$TMP/policy.yaml" "$@" \
        2>>"$TMP/server.log" &
    SERVER_PID=$!
    for _ in $(seq 100); do
        # CURL_CLIENT_CERT holds "--cert FILE --key FILE": split on purpose
        # shellcheck disable=SC2086
        if curl -s -o /dev/null --cacert "$TMP/certs/ca.crt" \
            ${CURL_CLIENT_CERT:-} "https://127.0.0.1:$PORT/healthz" ||
            ! kill -0 "$SERVER_PID" 2>/dev/null; then
            break
        fi
        sleep 0.05
    done
    kill -0 "$SERVER_PID" 2>/dev/null || { cat "$TMP/server.log"; echo "FAIL: server died"; exit 1; }
}

# SIGTERM and wait; anything but exit 0 (a crash, a sanitizer report) fails.
stop_server() {
    kill -TERM "$SERVER_PID" 2>/dev/null
    wait "$SERVER_PID" 2>/dev/null
    local status=$?
    SERVER_PID=
    [ "$status" == 0 ] || fail "server exited with status $status after SIGTERM"
}

# post ENDPOINT FILE [curl options...]: body in $TMP/body, status echoed.
# The Content-Type is $CT (default application/json).
post() {
    local endpoint=$1 file=$2
    shift 2
    curl -sS -o "$TMP/body" -w '%{http_code}' --cacert "$TMP/certs/ca.crt" \
        -H "Content-Type: ${CT:-application/json}" --data-binary "@$file" "$@" \
        "https://127.0.0.1:$PORT$endpoint"
}

# get PATH [curl options...]
get() {
    local path=$1
    shift
    curl -sS -o "$TMP/body" -w '%{http_code}' --cacert "$TMP/certs/ca.crt" "$@" \
        "https://127.0.0.1:$PORT$path"
}

body() {
    cat "$TMP/body"
}

# jqb FILTER: apply to the last response body
jqb() {
    jq -r "$1" "$TMP/body"
}

# metric NAME_WITH_LABELS: value from the last /metrics scrape in $TMP/metrics
metric() {
    awk -v m="$1" '$1 == m { print $2 }' "$TMP/metrics"
}

# SHA-256 fingerprint of the certificate the server presents now
served_fingerprint() {
    openssl s_client -connect "127.0.0.1:$PORT" -servername localhost </dev/null 2>/dev/null |
        openssl x509 -noout -fingerprint -sha256 2>/dev/null | cut -d= -f2
}

file_fingerprint() {
    openssl x509 -in "$1" -noout -fingerprint -sha256 | cut -d= -f2
}

# wait_for SECONDS COMMAND...: retry until it succeeds
wait_for() {
    local t=$1
    shift
    for _ in $(seq $((t * 20))); do
        "$@" && return 0
        sleep 0.05
    done
    return 1
}
