# shellcheck shell=bash
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

# free_port: a port nothing listens on, below the kernel's ephemeral range,
# so the outgoing connections of tests running in parallel (curl picks its
# local ports there) cannot take it before the server binds it.
free_port() {
    python3 - <<'PYEOF'
import random, socket
low = int(open("/proc/sys/net/ipv4/ip_local_port_range").read().split()[0])
low = low if low > 12000 else 32768
for _ in range(200):
    port = random.randrange(10000, low)
    s = socket.socket()
    try:
        s.bind(("127.0.0.1", port))
        print(port)
        break
    except OSError:
        pass
    finally:
        s.close()
PYEOF
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
# secret_volume: beside make_certs's pair in $TMP/certs, a second serving
# pair from the same CA ($TMP/v2) and a mismatched one ($TMP/bad: v2's
# certificate with v1's key), laid out in $VOL the way kubelet lays out a
# Secret volume: ..v1, ..v2 and ..bad behind the ..data symlink, v1 first,
# and tls.crt/tls.key links through ..data.  swap_to NAME switches ..data
# atomically, as kubelet does.
secret_volume() {
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
    VOL=$TMP/vol
    mkdir -p "$VOL/..v1" "$VOL/..v2" "$VOL/..bad"
    cp "$TMP/certs/tls.crt" "$TMP/certs/tls.key" "$VOL/..v1/"
    cp "$TMP/v2/tls.crt" "$TMP/v2/tls.key" "$VOL/..v2/"
    cp "$TMP/bad/tls.crt" "$TMP/bad/tls.key" "$VOL/..bad/"
    ln -s ..v1 "$VOL/..data"
    ln -s ..data/tls.crt "$VOL/tls.crt"
    ln -s ..data/tls.key "$VOL/tls.key"
}

# start_volume_server WATCH_MS: tollgate serving $VOL's pair with
# $TMP/policy.yaml, watching both every WATCH_MS, metrics on plain HTTP at
# $MPORT; returns once /healthz answers there.
start_volume_server() {
    PORT=$(free_port)
    MPORT=$(free_port)
    "$TOLLGATE" serve --listen "127.0.0.1:$PORT" --tls-cert "$VOL/tls.crt" \
        --tls-key "$VOL/tls.key" --policy "$TMP/policy.yaml" --watch-interval "$1" \
        --metrics-listen "127.0.0.1:$MPORT" 2>>"$TMP/server.log" &
    SERVER_PID=$!
    wait_for 10 curl -s -o /dev/null "http://127.0.0.1:$MPORT/healthz" ||
        { cat "$TMP/server.log"; echo "FAIL: server did not start"; exit 1; }
}

swap_to() { # NAME: ..v1, ..v2 or ..bad
    ln -sfn "$1" "$VOL/..data_tmp" && mv -T "$VOL/..data_tmp" "$VOL/..data"
}

# request_loop BODY OUT: POST BODY to /validate on a new connection each
# time (so each one handshakes) until $TMP/stop exists, then write
# "requests non-200s" to OUT.  Run it in the background.
request_loop() {
    local body=$1 out=$2 n=0 bad=0 code
    while [ ! -e "$TMP/stop" ]; do
        code=$(curl -s -o /dev/null -w '%{http_code}' --cacert "$TMP/certs/ca.crt" \
            -H 'Content-Type: application/json' --data-binary "@$body" \
            "https://127.0.0.1:$PORT/validate")
        n=$((n + 1))
        [ "$code" == 200 ] || bad=$((bad + 1))
    done
    echo "$n $bad" >"$out"
}

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
