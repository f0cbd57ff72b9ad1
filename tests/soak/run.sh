#!/usr/bin/env bash
# run.sh -- soak the TLS server: many reviews over keep-alive, no error,
# memory flat after warm-up.
#
#   bash tests/soak/run.sh [REVIEWS] [MAX_RSS_GROWTH_KB]
#
# REVIEWS defaults to 1000000 (the release soak; about 5-10 minutes on two
# cores), MAX_RSS_GROWTH_KB to 1024.  .ci/run uses a short one:
#   bash tests/soak/run.sh 50000
# Starts `tollgate serve` ($TOLLGATE, default build/tollgate; use a build
# without sanitizers -- ASan's quarantine grows RSS on purpose) with the
# enforce policy, then runs wrk (8 keep-alive connections, 2 threads) in
# rounds of SEGMENT seconds (default: 1 s up to 200,000 reviews, else 5 s)
# until REVIEWS are answered, cycling a compliant review, a denied one and a
# patched one.  After each round it
# records the server's RSS.  Fails when any request failed (socket error,
# non-200), when /metrics counts an internal-error decision or a total
# different from what wrk sent, when the server's RSS grew more than
# MAX_RSS_GROWTH_KB between the end of warm-up (the first 10% of reviews)
# and the end, or when the server does not exit 0 on SIGTERM.
set -euo pipefail
SRC=$(cd "$(dirname "$0")/../.." && pwd)
TOLLGATE=${TOLLGATE:-$SRC/build/tollgate}
reviews=${1:-1000000}
max_growth=${2:-1024}
segment=${SEGMENT:-$((reviews > 200000 ? 5 : 1))}
DATA=$SRC/tests/data/server
TMP=$(mktemp -d)
PID=
cleanup() {
    [ -z "$PID" ] || kill -KILL "$PID" 2>/dev/null || true
    rm -rf "$TMP"
}
trap cleanup EXIT
for tool in wrk curl openssl python3; do
    command -v "$tool" >/dev/null || { echo "FAIL: $tool is required"; exit 1; }
done

"$SRC/certs/tollgate-certs" --out "$TMP/certs" --force >/dev/null 2>&1
port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}
PORT=$(port)
MPORT=$(port)
"$TOLLGATE" serve --listen "127.0.0.1:$PORT" --metrics-listen "127.0.0.1:$MPORT" \
    --tls-cert "$TMP/certs/tls.crt" --tls-key "$TMP/certs/tls.key" \
    --policy "$DATA/policy_enforce.yaml" --log-level warn 2>"$TMP/server.log" &
PID=$!
for _ in $(seq 100); do
    curl -sf -o /dev/null "http://127.0.0.1:$MPORT/healthz" && break
    sleep 0.05
done

rss_kb() { awk '/^VmRSS:/ {print $2}' "/proc/$PID/status"; }
total=0 errors=0 rounds=0 warm_rss='' warm_at=0
warm=$((reviews / 10))
printf 'soak: %d reviews, rss before: %s kB\n' "$reviews" "$(rss_kb)"
printf '%8s %10s %8s %8s %8s %10s\n' round reviews req/s p99_us max_us rss_kB
while [ "$total" -lt "$reviews" ]; do
    t0=$(date +%s%N)
    out=$(wrk -t2 -c8 -d"${segment}s" --timeout 5s -s "$SRC/tests/soak/reviews.lua" \
        "https://127.0.0.1:$PORT" -- "$DATA" | grep '^SOAK')
    ms=$((($(date +%s%N) - t0) / 1000000))
    n=$(sed -E 's/.*requests=([0-9]+).*/\1/' <<<"$out")
    bad=$(awk '{s=0; for (i=3;i<=7;i++) {split($i,kv,"="); s+=kv[2]} print s}' <<<"$out")
    total=$((total + n))
    errors=$((errors + bad))
    rounds=$((rounds + 1))
    rss=$(rss_kb)
    if [ -z "$warm_rss" ] && [ "$total" -ge "$warm" ]; then
        warm_rss=$rss
        warm_at=$total
    fi
    printf '%8d %10d %8d %8s %8s %10s\n' "$rounds" "$total" $((n * 1000 / (ms ? ms : 1))) \
        "$(sed -E 's/.*p99_us=([0-9]+).*/\1/' <<<"$out")" \
        "$(sed -E 's/.*max_us=([0-9]+).*/\1/' <<<"$out")" "$rss"
    [ "$bad" -eq 0 ] || echo "errors in round $rounds: $out"
done
final_rss=$(rss_kb)
curl -sf -o "$TMP/metrics" "http://127.0.0.1:$MPORT/metrics"
answered=$(awk '/^tollgate_requests_total\{/ {s += $2} END {print s + 0}' "$TMP/metrics")
internal=$(awk '/^tollgate_requests_total\{.*decision="error"/ {s += $2} END {print s + 0}' "$TMP/metrics")
kill -TERM "$PID"
status=0
wait "$PID" || status=$?
PID=

fail=0
growth=$((final_rss - warm_rss))
echo "reviews: $total in $rounds rounds; failed requests: $errors; answered per /metrics: $answered; internal errors: $internal"
echo "rss: $warm_rss kB after warm-up ($warm_at reviews), $final_rss kB at the end: growth $growth kB (limit $max_growth)"
[ "$errors" -eq 0 ] || { echo "FAIL: $errors failed requests"; fail=1; }
[ "$internal" -eq 0 ] || { echo "FAIL: $internal internal-error answers"; fail=1; }
# wrk stops each round with requests in flight, so it may count a few
# fewer than the server answered -- never more.
if [ "$answered" -lt "$total" ] || [ "$answered" -gt $((total + 16 * rounds)) ]; then
    echo "FAIL: wrk counted $total, the server answered $answered"
    fail=1
fi
[ "$growth" -le "$max_growth" ] || { echo "FAIL: RSS grew $growth kB after warm-up"; fail=1; }
[ "$status" -eq 0 ] || { echo "FAIL: server exited $status"; fail=1; }
if grep -q 'Sanitizer\|runtime error:\|"level":"error"' "$TMP/server.log"; then
    echo "FAIL: errors in the server log:"
    head -5 "$TMP/server.log"
    fail=1
fi
[ "$fail" -eq 0 ] && echo "soak passed"
exit "$fail"
