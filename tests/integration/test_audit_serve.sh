#!/usr/bin/env bash
# tollgate serve --audit-interval against a fake API server holding the
# fixture cluster of tests/data/audit: the PolicyReports it writes, how they
# follow a fixed and a deleted workload, every kind of bad answer from the
# API server (each one logged, counted by kind, the last good reports kept,
# the next scan recovering), the metrics (promtool), and two replicas
# sharing one Lease: one writes, the other takes over when the holder is
# killed or stops.  Waits are bounded polls, never timed assertions.
set -uo pipefail
: "${TOLLGATE:?}" "${SRC:?}"
TMP=$(mktemp -d)
# shellcheck source=tests/integration/lib_cluster.sh
source "$SRC/tests/integration/lib_cluster.sh"
PIDS=()
cleanup() {
    local p
    for p in "${PIDS[@]}"; do
        kill -KILL "$p" 2>/dev/null
        wait "$p" 2>/dev/null
    done
    cluster_cleanup
    rm -rf "$TMP"
}
trap cleanup EXIT
free_port() {
    local port
    for _ in $(seq 50); do
        port=$((20000 + RANDOM % 20000))
        if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
            echo "$port"
            return 0
        fi
    done
    return 1
}
api() { # METHOD PATH [BODY]: the fake API server, as a client with the token
    curl -sf -X "$1" -H "Authorization: Bearer audit-token" -H 'Content-Type: application/json' \
        ${3:+--data-binary "$3"} "$CLUSTER_URL$2"
}
metric() { # PORT SERIES: its value, 0 when absent
    curl -sf "http://127.0.0.1:$1/metrics" | awk -v s="$2" '$1 == s {print $2; found=1} END {if (!found) print 0}'
}
report() { # NAMESPACE: its PolicyReport
    api GET "/apis/wgpolicyk8s.io/v1alpha2/namespaces/$1/policyreports/tollgate-audit"
}

"$SRC/certs/tollgate-certs" --out "$TMP/certs" >/dev/null 2>&1 || { echo "FAIL: tollgate-certs"; exit 1; }
cp "$SRC/tests/data/audit/policy.yaml" "$TMP/policy.yaml"
cluster_start
cluster_load_fixture

PID_a='' PID_b='' PID_c='' MPORT_a='' MPORT_b='' MPORT_c='' # set by start_replica
# start_replica NAME: tollgate serve with the audit every second, a 2 s
# Lease, pages of 2; its metrics port in MPORT_<NAME>, pid in PID_<NAME>.
start_replica() {
    local name=$1 port mport
    port=$(free_port) && mport=$(free_port) || { echo "FAIL: no free port"; exit 1; }
    "$TOLLGATE" serve --listen "127.0.0.1:$port" --metrics-listen "127.0.0.1:$mport" \
        --tls-cert "$TMP/certs/tls.crt" --tls-key "$TMP/certs/tls.key" --policy "$TMP/policy.yaml" \
        --audit-interval 1 --audit-kubeconfig "$KUBECONFIG_FILE" --audit-lease-duration 2 \
        --audit-lease-namespace tollgate-system --audit-identity "replica-$name" \
        --audit-page-size 2 --audit-request-timeout 2 --audit-cpu-percent 50 \
        2>"$TMP/$name.log" &
    PIDS+=($!)
    printf -v "PID_$name" '%s' "$!"
    printf -v "MPORT_$name" '%s' "$mport"
    wait_for "replica $name's /healthz" curl -sf -o /dev/null "http://127.0.0.1:$mport/healthz"
}
ok_scans() { metric "$1" 'tollgate_audit_scans_total{result="ok"}'; }
failed_scans() { metric "$1" 'tollgate_audit_scans_total{result="failed"}'; }
more_than() { [ "$(eval "$1")" -gt "$2" ]; }

# --- the reports of one replica -----------------------------------------------------------
start_replica a
wait_for "a first scan" more_than "ok_scans $MPORT_a" 0
check "a holds the Lease" 1 "$(metric "$MPORT_a" tollgate_audit_leader)"
check "shop report: fail" 5 "$(report shop | jq '.summary.fail')"
check "shop report: pass" 19 "$(report shop | jq '.summary.pass')"
check "legacy-app report: would-deny is a failure" "would-deny" \
    "$(report legacy-app | jq -r '[.results[] | select(.rule == "pinnedTags")][0].properties.admission')"
check "no report for the excluded namespace" "" "$(report kube-system)"
check "reported once, at the controller" "CronJob/nightly-report" \
    "$(report shop | jq -r '[.results[] | select(.rule == "pinnedTags" and .result == "fail") | .resources[0] | "\(.kind)/\(.name)"] | join(",")')"
check "no owned object in the reports" 0 \
    "$(report shop | jq '[.results[].resources[0].name | select(. == "web-5d8f" or . == "web-5d8f-a1" or . == "nightly-report-28000")] | length')"
check "cluster report totals" '{"pass":20,"fail":8,"warn":0,"error":0,"skip":0}' \
    "$(api GET /apis/wgpolicyk8s.io/v1alpha2/clusterpolicyreports/tollgate-audit | jq -c '.summary')"
check "objects scanned" 15 "$(metric "$MPORT_a" tollgate_audit_objects_scanned)"
check "violations by rule and namespace" 4 \
    "$(metric "$MPORT_a" 'tollgate_audit_violations{rule="probes",namespace="shop"}')"
contains "a scan is logged" '"msg":"audit scan","listed":15,"judged":7' "$TMP/a.log"
curl -sf "http://127.0.0.1:$MPORT_a/metrics" >"$TMP/metrics"
if promtool check metrics <"$TMP/metrics" >"$TMP/promtool.out" 2>&1; then
    passed=$((passed + 1))
else
    failed=$((failed + 1))
    echo "FAIL promtool check metrics:"
    cat "$TMP/promtool.out"
fi

# --- bad answers: logged, counted, last reports kept, recovered -----------------------------
# fault NAME KIND RULES-JSON NEEDLE: NAME's failure shows in the log and in
# tollgate_audit_api_errors_total{kind=KIND}; the reports stay as they were.
fault() {
    local name=$1 kind=$2 rules=$3 needle=$4 rv before errors
    rv=$(report shop | jq -r '.metadata.resourceVersion')
    before=$(failed_scans "$MPORT_a")
    errors=$(metric "$MPORT_a" "tollgate_audit_api_errors_total{kind=\"$kind\"}")
    cluster_faults "$rules"
    wait_for "$name: a failed scan" more_than "failed_scans $MPORT_a" "$before"
    check "$name: counted as $kind" 1 \
        "$(($(metric "$MPORT_a" "tollgate_audit_api_errors_total{kind=\"$kind\"}") > errors))"
    contains "$name: logged" "$needle" "$TMP/a.log"
    check "$name: the last reports stay" "$rv" "$(report shop | jq -r '.metadata.resourceVersion')"
    cluster_control DELETE faults >/dev/null
    local ok
    ok=$(ok_scans "$MPORT_a")
    wait_for "$name: recovered" more_than "ok_scans $MPORT_a" "$ok"
}
many=100 # enough for every scan until the rule is cleared
fault 401 unauthorized "[{\"path\":\"/api/v1/pods\",\"status\":401,\"reason\":\"Unauthorized\",\"message\":\"Unauthorized\",\"times\":$many}]" \
    "GET /api/v1/pods: 401 Unauthorized"
fault 403 forbidden "[{\"path\":\"/apis/apps/v1/deployments\",\"status\":403,\"reason\":\"Forbidden\",\"message\":\"deployments.apps is forbidden\",\"times\":$many}]" \
    "deployments.apps is forbidden"
fault 429 throttled "[{\"path\":\"/apis/apps/v1/replicasets\",\"status\":429,\"reason\":\"TooManyRequests\",\"message\":\"slow down\",\"times\":$many}]" \
    "429 Too Many Requests"
fault 500 server_error "[{\"path\":\"/api/v1/pods\",\"continue\":true,\"status\":500,\"message\":\"etcdserver: leader changed\",\"times\":$many}]" \
    "etcdserver: leader changed"
fault timeout timeout "[{\"path\":\"/apis/apps/v1/deployments\",\"action\":\"hang\",\"seconds\":4,\"times\":$many}]" \
    "within 2000 ms"
fault truncated truncated "[{\"path\":\"/api/v1/pods\",\"continue\":true,\"action\":\"truncate\",\"times\":$many}]" \
    "was cut short"
fault malformed malformed "[{\"path\":\"/apis/batch/v1/jobs\",\"action\":\"malformed\",\"times\":$many}]" \
    "the answer is not JSON"
fault "expired continue" gone "[{\"path\":\"/api/v1/pods\",\"continue\":true,\"action\":\"expire\",\"times\":$many}]" \
    "410 Gone"
fault "report write" server_error "[{\"method\":\"GET\",\"path\":\"/apis/wgpolicyk8s.io/v1alpha2/clusterpolicyreports\",\"status\":500,\"message\":\"etcdserver: too many requests\",\"times\":$many}]" \
    "etcdserver: too many requests"
cluster_control POST crds '{"policyreports": false}' >/dev/null
before=$(failed_scans "$MPORT_a")
wait_for "missing CRD: a failed scan" more_than "failed_scans $MPORT_a" "$before"
contains "missing CRD: says so" "the PolicyReport CRD (policyreports.wgpolicyk8s.io/v1alpha2) is not installed" "$TMP/a.log"
cluster_control POST crds '{"policyreports": true}' >/dev/null
ok=$(ok_scans "$MPORT_a")
wait_for "missing CRD: recovered" more_than "ok_scans $MPORT_a" "$ok"
kill -0 "$PID_a" 2>/dev/null
check "a survived every fault" 0 "$?"

# --- fixing and deleting workloads changes the reports ---------------------------------------
cj=/apis/batch/v1beta1/namespaces/shop/cronjobs/nightly-report
api PUT "$cj" "$(api GET "$cj" | jq -c '.spec.jobTemplate.spec.template.spec.containers[0].image = "ghcr.io/acme/report:2.1"')" >/dev/null
api DELETE /api/v1/namespaces/shop/pods/debug-root >/dev/null
api DELETE /apis/apps/v1/namespaces/legacy-app/deployments/old-web >/dev/null
fixed() { [ "$(report shop | jq '.summary.fail')" = 3 ]; }
wait_for "the reports to follow the changes" fixed
check "fixed CronJob passes" pass \
    "$(report shop | jq -r '[.results[] | select(.resources[0].name == "nightly-report" and .rule == "pinnedTags")][0].result')"
check "deleted Pod is gone from the report" 0 \
    "$(report shop | jq '[.results[] | select(.resources[0].name == "debug-root")] | length')"
gone() { ! report legacy-app >/dev/null; }
wait_for "the emptied namespace's report to go" gone
check "cluster totals follow" 3 "$(api GET /apis/wgpolicyk8s.io/v1alpha2/clusterpolicyreports/tollgate-audit | jq '.summary.fail')"

# --- two replicas, one Lease -----------------------------------------------------------------
lease_reads() {
    cluster_control GET log | jq '[.items[] | select(startswith("GET /apis/coordination.k8s.io/"))] | length'
}
lease_holder() {
    api GET /apis/coordination.k8s.io/v1/namespaces/tollgate-system/leases/tollgate-audit | jq -r '.spec.holderIdentity'
}
reads=$(lease_reads)
start_replica b
# Both replicas read the Lease about twice a second: 12 more reads span
# well over its 2 s duration, long enough for b to take it if it would.
wait_for "b to watch a's Lease for a while" more_than lease_reads $((reads + 12))
check "b stands by" 0 "$(metric "$MPORT_b" tollgate_audit_leader)"
check "b has not scanned" 0 "$(ok_scans "$MPORT_b")"
# a dies without releasing: b takes over once the Lease has not changed for 2 s.
kill -KILL "$PID_a"
wait "$PID_a" 2>/dev/null
b_leads() { [ "$(metric "$MPORT_b" tollgate_audit_leader)" = 1 ]; }
wait_for "b to take over from a killed a" b_leads
check "the Lease names b" replica-b "$(lease_holder)"
wait_for "b to write" more_than "ok_scans $MPORT_b" 0
api PUT /api/v1/namespaces/shop/pods/canary-direct \
    "$(api GET /api/v1/namespaces/shop/pods/canary-direct | jq -c '.spec.containers[0].livenessProbe = {"tcpSocket": {"port": 80}} | .spec.containers[0].readinessProbe = {"tcpSocket": {"port": 80}}')" >/dev/null
b_fixed() { [ "$(report shop | jq '.summary.fail')" = 2 ]; }
wait_for "b's reports to follow a change" b_fixed
# A clean stop releases the Lease: the next replica need not wait it out.
start_replica c
kill -TERM "$PID_b"
wait "$PID_b"
check "b exits 0 on SIGTERM" 0 "$?"
contains "b released the Lease" '"msg":"audit lease lost"' "$TMP/b.log"
c_leads() { [ "$(metric "$MPORT_c" tollgate_audit_leader)" = 1 ]; }
wait_for "c to take over from a stopped b" c_leads
check "the Lease names c" replica-c "$(lease_holder)"
check "leaseTransitions counts the takeovers" 2 \
    "$(api GET /apis/coordination.k8s.io/v1/namespaces/tollgate-system/leases/tollgate-audit | jq '.spec.leaseTransitions')"
kill -TERM "$PID_c"
wait "$PID_c"
check "c exits 0 on SIGTERM" 0 "$?"
check "c left the Lease free" "" "$(lease_holder)"

echo "test_audit_serve: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
