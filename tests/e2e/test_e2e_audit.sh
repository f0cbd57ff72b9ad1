#!/usr/bin/env bash
# test_e2e_audit.sh -- `tollgate audit` and the background audit of `tollgate serve`
# against a real kube-apiserver (1.20.2, built by kube-tools.sh).
#
# Nothing runs pods here (no controller manager), so the test creates what controllers
# would: a Deployment with its ReplicaSet and Pods, a CronJob with its Job and Pod, each
# with the ownerReferences (and owner uids) a controller sets. Before tollgate runs:
#   shop        a compliant Deployment (+ ReplicaSet, 2 Pods), a Pod running as root,
#               a CronJob with a :latest image (+ Job, Pod)
#   legacy-app  a Deployment breaking two rules, in a namespace the policy audits only
#   kube-system a Deployment with :latest, in a namespace the policy excludes
#   bulk        7 compliant Pods, so that lists of 2 per page need many pages
# Then:
#   1. `tollgate audit --kubeconfig ... --limit 2` reports each object once, at its
#      top-level controller, the excluded one absent, every page read;
#   2. the webhook (two `tollgate serve` replicas, webhook configurations from the chart)
#      gives the same verdict on the same objects (kubectl --dry-run=server);
#   3. the background audit, as the chart's ServiceAccount with the chart's RBAC (a
#      token from the TokenRequest API): refused (403) before the RBAC is applied and
#      logged so; then PolicyReports as the audit reported, one writer by Lease;
#   4. fixing one workload and deleting another changes the reports at the next scan;
#   5. killing the Lease holder lets the other replica continue; SIGTERM exits 0.
#
# Usage: tests/e2e/test_e2e_audit.sh   (as root the first time: kube-tools.sh builds)
# Env: TOLLGATE (default $BUILD/tollgate or build/tollgate), SRC, BUILD,
#      CLUSTER_KEEP=1 to keep the cluster directory and the logs.
set -uo pipefail

SRC=${SRC:-$(cd "$(dirname "$0")/../.." && pwd)}
BUILD=${BUILD:-$SRC/build}
TOLLGATE=${TOLLGATE:-$BUILD/tollgate}
CHART=$SRC/charts/tollgate
RELEASE_NS=tollgate-system
FULL=tg-tollgate # the chart's full name for release "tg"

# shellcheck source=tests/e2e/cluster.sh
source "$SRC/tests/e2e/cluster.sh"

die() {
    echo "FAIL: $*" >&2
    exit 1
}
failures=0
n=0
ok() {
    n=$((n + 1))
    echo "ok $n - $*"
}
not_ok() {
    n=$((n + 1))
    failures=$((failures + 1))
    echo "not ok $n - $1"
    [ -n "${2:-}" ] && printf '%s\n' "$2" | sed 's/^/#   /'
    return 0
}
expect() { # NAME EXPECTED ACTUAL
    if [ "$2" = "$3" ]; then ok "$1"; else not_ok "$1" "expected: $2
actual:   $3"; fi
}

[ -x "$TOLLGATE" ] || die "no tollgate binary at $TOLLGATE (cmake --build build --target tollgate)"
"$TOLLGATE" audit --help >/dev/null 2>&1 || die "'$TOLLGATE audit --help' fails"
tools=$("$SRC/tests/e2e/kube-tools.sh") || die "tests/e2e/kube-tools.sh failed"
eval "$tools"

work=
pids=()
cleanup() {
    local p
    for p in "${pids[@]}"; do
        kill -KILL "$p" 2>/dev/null
        wait "$p" 2>/dev/null
    done
    cluster_stop
    [ -n "$work" ] || return 0
    if [ "${CLUSTER_KEEP:-0}" = 1 ]; then echo "# kept $work" >&2; else rm -rf "$work"; fi
}
cluster_start || die "could not start etcd + kube-apiserver"
trap cleanup EXIT
trap 'exit 130' INT TERM
work=$(mktemp -d "${TMPDIR:-/tmp}/tollgate-e2e-audit.XXXXXX")
k() { "$KUBECTL" "$@"; }

# --- The policy: the chart's own, with legacy-app in audit mode --------------------------------
mkdir -p "$work/policy"
"$HELM" template tg "$CHART" -n $RELEASE_NS --show-only templates/configmap.yaml >"$work/cm.yaml" ||
    die "helm template of the policy ConfigMap failed"
/usr/bin/python3 -c 'import sys, yaml; sys.stdout.write(yaml.safe_load(open(sys.argv[1]))["data"]["policy.yaml"])' \
    "$work/cm.yaml" >"$work/policy/10-chart.yaml" || die "no policy.yaml in the chart's ConfigMap"
cat >"$work/policy/20-legacy.yaml" <<'EOF'
apiVersion: tollgate.dev/v1
kind: Policy
metadata: {name: e2e-audit}
spec:
  overrides:
    - namespaces: [legacy-app]
      mode: audit
EOF

# --- The workloads, created before tollgate runs ------------------------------------------
for ns in $RELEASE_NS shop legacy-app bulk; do
    k create namespace $ns >/dev/null || die "namespace $ns"
done
# Kubernetes 1.20 sets no kubernetes.io/metadata.name: opt out as the chart's README says.
k label namespace $RELEASE_NS kube-system tollgate.dev/ignore=true >/dev/null
podspec() { # IMAGE [RESTART]: a pod spec, compliant unless the image is unpinned
    printf '{"securityContext":{"runAsNonRoot":true,"runAsUser":101},"restartPolicy":"%s",
      "containers":[{"name":"app","image":"%s",
      "livenessProbe":{"httpGet":{"path":"/","port":8080}},
      "readinessProbe":{"httpGet":{"path":"/","port":8080}}}]}' "${2:-Always}" "$1"
}
owner() { # API-VERSION KIND NAME NAMESPACE: the ownerReferences a controller sets
    local uid
    uid=$(k -n "$4" get "$2" "$3" -o jsonpath='{.metadata.uid}') || return 1
    printf '[{"apiVersion":"%s","kind":"%s","name":"%s","uid":"%s","controller":true,"blockOwnerDeletion":true}]' \
        "$1" "$2" "$3" "$uid"
}
create() { k create -f - >/dev/null || die "creating $1"; }
deployment() { # NAMESPACE NAME IMAGE
    printf '{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"%s","namespace":"%s"},
      "spec":{"selector":{"matchLabels":{"app":"%s"}},
      "template":{"metadata":{"labels":{"app":"%s"}},"spec":%s}}}' "$2" "$1" "$2" "$2" "$(podspec "$3")"
}
deployment shop web nginx:1.25.3 | create "shop/web"
printf '{"apiVersion":"apps/v1","kind":"ReplicaSet","metadata":{"name":"web-6d4f","namespace":"shop","ownerReferences":%s},
  "spec":{"selector":{"matchLabels":{"app":"web"}},"template":{"metadata":{"labels":{"app":"web"}},"spec":%s}}}' \
    "$(owner apps/v1 Deployment web shop)" "$(podspec nginx:1.25.3)" | create "shop/web-6d4f"
for p in a b; do
    printf '{"apiVersion":"v1","kind":"Pod","metadata":{"name":"web-6d4f-%s","namespace":"shop","labels":{"app":"web"},"ownerReferences":%s},"spec":%s}' \
        $p "$(owner apps/v1 ReplicaSet web-6d4f shop)" "$(podspec nginx:1.25.3)" | create "shop/web-6d4f-$p"
done
cat >"$work/debug-root.json" <<'EOF'
{"apiVersion":"v1","kind":"Pod","metadata":{"name":"debug-root","namespace":"shop"},
 "spec":{"containers":[{"name":"shell","image":"busybox:1.36","securityContext":{"runAsUser":0},
   "livenessProbe":{"exec":{"command":["true"]}},"readinessProbe":{"exec":{"command":["true"]}}}]}}
EOF
create shop/debug-root <"$work/debug-root.json"
printf '{"apiVersion":"batch/v1beta1","kind":"CronJob","metadata":{"name":"nightly","namespace":"shop"},
  "spec":{"schedule":"0 3 * * *","jobTemplate":{"spec":{"template":{"spec":%s}}}}}' \
    "$(podspec nginx:latest OnFailure)" >"$work/nightly.json"
create shop/nightly <"$work/nightly.json"
printf '{"apiVersion":"batch/v1","kind":"Job","metadata":{"name":"nightly-1","namespace":"shop","ownerReferences":%s},
  "spec":{"template":{"spec":%s}}}' "$(owner batch/v1beta1 CronJob nightly shop)" \
    "$(podspec nginx:latest OnFailure)" | create shop/nightly-1
printf '{"apiVersion":"v1","kind":"Pod","metadata":{"name":"nightly-1-x","namespace":"shop","ownerReferences":%s},"spec":%s}' \
    "$(owner batch/v1 Job nightly-1 shop)" "$(podspec nginx:latest OnFailure)" | create shop/nightly-1-x
deployment legacy-app old-web nginx:latest | jq -c '.spec.template.spec.containers[0] |= del(.livenessProbe, .readinessProbe)' \
    >"$work/old-web.json"
create legacy-app/old-web <"$work/old-web.json"
deployment kube-system dns nginx:latest >"$work/dns.json"
create kube-system/dns <"$work/dns.json"
deployment shop web nginx:1.25.3 >"$work/web.json"
for i in 0 1 2 3 4 5 6; do
    printf '{"apiVersion":"v1","kind":"Pod","metadata":{"name":"bulk-%s","namespace":"bulk"},"spec":%s}' \
        $i "$(podspec nginx:1.25.3)" | create bulk/bulk-$i
done
total=$(k get pods,replicationcontrollers,podtemplates,deployments,replicasets,statefulsets,daemonsets,jobs,cronjobs.v1beta1.batch -A -o name | wc -l)
expect "the cluster holds the 17 objects" 17 "$total"

# --- 1. tollgate audit ------------------------------------------------------------------------
"$TOLLGATE" audit --kubeconfig "$KUBECONFIG" --policy "$work/policy" --limit 2 -o json \
    >"$work/audit.json" 2>"$work/audit.err"
expect "tollgate audit: violations exit 1" 1 "$?"
want="bulk/Pod/bulk-0/allow bulk/Pod/bulk-1/allow bulk/Pod/bulk-2/allow bulk/Pod/bulk-3/allow bulk/Pod/bulk-4/allow bulk/Pod/bulk-5/allow bulk/Pod/bulk-6/allow legacy-app/Deployment/old-web/would-deny shop/CronJob/nightly/deny shop/Deployment/web/allow shop/Pod/debug-root/deny"
expect "tollgate audit: each object once, at its top-level controller" "$want" \
    "$(jq -r '[.objects[] | "\(.namespace)/\(.kind)/\(.name)/\(.decision)"] | join(" ")' "$work/audit.json")"
expect "tollgate audit: every object listed (pages of 2), owned and excluded counted" \
    '{"listed":17,"owned":5,"excluded":1}' "$(jq -c '.summary | {listed, owned, excluded}' "$work/audit.json")"
expect "tollgate audit: rules of the root Pod" runAsNonRoot \
    "$(jq -r '[.objects[] | select(.name == "debug-root") | .findings[].rule] | unique | join(",")' "$work/audit.json")"
expect "tollgate audit: rules of the CronJob" pinnedTags \
    "$(jq -r '[.objects[] | select(.name == "nightly") | .findings[].rule] | unique | join(",")' "$work/audit.json")"
"$TOLLGATE" audit --kubeconfig "$KUBECONFIG" --policy "$work/policy" -n legacy-app --as-enforced \
    >"$work/enforced.txt" 2>&1
expect "tollgate audit --as-enforced: the audit namespace would be denied" 1 "$?"
grep -q 'Deployment legacy-app/old-web: deny' "$work/enforced.txt" && ok "--as-enforced names it" ||
    not_ok "--as-enforced names it" "$(cat "$work/enforced.txt")"

# --- 2. the webhook gives the same verdicts ---------------------------------------------------
ca_bundle=$("$SRC/certs/tollgate-certs" --out "$work/certs" --san 127.0.0.1 2>"$work/certs.log") ||
    die "certs/tollgate-certs failed: $(cat "$work/certs.log")"
"$HELM" template tg "$CHART" -n $RELEASE_NS --show-only templates/audit-crds.yaml >"$work/crds.yaml" &&
    "$HELM" template tg "$CHART" -n $RELEASE_NS --show-only templates/serviceaccount.yaml >"$work/sa.yaml" &&
    "$HELM" template tg "$CHART" -n $RELEASE_NS --show-only templates/audit-rbac.yaml >"$work/rbac.yaml" ||
    die "helm template of the audit's CRDs, ServiceAccount or RBAC failed"
k apply -f "$work/crds.yaml" -f "$work/sa.yaml" >/dev/null || die "CRDs and ServiceAccount refused"
cluster_wait 30 "the PolicyReport CRD" k get policyreports -A || die "PolicyReport CRD not served"
token=$(k -n $RELEASE_NS create token $FULL --duration=2h) || die "no token from the TokenRequest API"
sa_kubeconfig=$work/sa-kubeconfig
KUBECONFIG=$sa_kubeconfig k config set-cluster e2e --server "$CLUSTER_URL" \
    --certificate-authority "$CLUSTER_DIR/pki/apiserver.crt" --embed-certs=true >/dev/null &&
    KUBECONFIG=$sa_kubeconfig k config set-credentials sa --token "$token" >/dev/null &&
    KUBECONFIG=$sa_kubeconfig k config set-context sa --cluster e2e --user sa >/dev/null &&
    KUBECONFIG=$sa_kubeconfig k config use-context sa >/dev/null || die "ServiceAccount kubeconfig"

# start_replica NAME: webhook and background audit; ports in PORT_x/MPORT_x, pid in PID_x.
# shellcheck disable=SC2034 # read through ${!name}
PORT_a='' PORT_b='' MPORT_a='' MPORT_b='' PID_a='' PID_b=''
start_replica() {
    local port mport
    port=$(cluster_free_port) && mport=$(cluster_free_port) || die "no free port"
    "$TOLLGATE" serve --listen "127.0.0.1:$port" --metrics-listen "127.0.0.1:$mport" \
        --tls-cert "$work/certs/tls.crt" --tls-key "$work/certs/tls.key" --policy "$work/policy" \
        --audit-interval 2 --audit-kubeconfig "$sa_kubeconfig" --audit-lease-duration 3 \
        --audit-lease-namespace $RELEASE_NS --audit-lease-name $FULL-audit \
        --audit-identity "replica-$1" --audit-page-size 2 >"$work/$1.log" 2>&1 &
    pids+=($!)
    printf -v "PID_$1" '%s' "$!"
    printf -v "PORT_$1" '%s' "$port"
    printf -v "MPORT_$1" '%s' "$mport"
    cluster_wait 60 "replica $1 /readyz" curl -fsS "http://127.0.0.1:$mport/readyz" ||
        die "replica $1 did not start: $(tail -n 20 "$work/$1.log")"
}
start_replica a
start_replica b
"$HELM" template tg "$CHART" -n $RELEASE_NS --set webhook.url="https://127.0.0.1:$PORT_a" \
    --set certs.caBundle="$ca_bundle" >"$work/webhooks.yaml" &&
    k apply -f "$work/webhooks.yaml" >/dev/null || die "webhook configurations refused"
# webhook FILE: "deny:rules" or "allow:rules" (the rules the answer names), for a copy
# of the object under another name, by kubectl --dry-run=server.
webhook() {
    local out status rules
    out=$(jq -c '.metadata.name += "-copy"' "$1" | k create --dry-run=server -f - 2>&1)
    status=$?
    # "- [rule] container ..." in a denial, "Warning: [tollgate] rule: ..." when admitted
    rules=$({
        printf '%s\n' "$out" | grep -oE '^- \[[a-zA-Z]+\]' | sed 's/^- \[//; s/\]$//'
        printf '%s\n' "$out" | grep -oE '\[tollgate\] [a-zA-Z]+:' | sed 's/^\[tollgate\] //; s/:$//'
    } | sort -u | paste -sd, -)
    printf '%s:%s\n' "$([ $status = 0 ] && echo allow || echo deny)" "$rules"
}
audit_rules() { # NAME: "decision:rules" of the audit, the webhook's way (would-deny admits)
    jq -r --arg n "$1" '.objects[] | select(.name == $n) |
        "\(if .decision == "deny" then "deny" else "allow" end):\([.findings[].rule] | unique | join(","))"' \
        "$work/audit.json"
}
for obj in web debug-root nightly old-web; do
    expect "webhook and audit agree on $obj" "$(audit_rules "$obj")" "$(webhook "$work/$obj.json")"
done
expect "the excluded Deployment is admitted untouched" "allow:" "$(webhook "$work/dns.json")"
k delete -f "$work/webhooks.yaml" >/dev/null # the replicas are killed below

# --- 3. the background audit, as the chart's ServiceAccount -----------------------------------
logged_403() { grep -q '"msg":"audit lease: cannot read or renew".*403 Forbidden' "$work/a.log"; }
cluster_wait 60 "the Lease refused without RBAC" logged_403 &&
    ok "without the chart's RBAC the audit is refused (403) and says so" ||
    not_ok "without the chart's RBAC the audit is refused (403) and says so" "$(tail -n 5 "$work/a.log")"
k apply -f "$work/rbac.yaml" >/dev/null || die "the chart's RBAC refused"
metric() { curl -sf "http://127.0.0.1:$1/metrics" | awk -v s="$2" '$1 == s {print $2; f=1} END {if (!f) print 0}'; }
leader() { # the replica holding the Lease
    k -n $RELEASE_NS get lease $FULL-audit -o jsonpath='{.spec.holderIdentity}' 2>/dev/null
}
has_reports() { k -n shop get policyreport tollgate-audit >/dev/null 2>&1; }
cluster_wait 90 "the first PolicyReports" has_reports || die "no PolicyReport: $(tail -n 10 "$work/a.log" "$work/b.log")"
holder=$(leader)
case $holder in
replica-a) standby=b ;;
replica-b) standby=a ;;
*) die "no replica holds the Lease ($holder)" ;;
esac
hport=MPORT_${holder#replica-} sport=MPORT_$standby
expect "the holder says it leads" 1 "$(metric "${!hport}" tollgate_audit_leader)"
expect "the other stands by" 0 "$(metric "${!sport}" tollgate_audit_leader)"
expect "the other never scanned" 0 "$(metric "${!sport}" 'tollgate_audit_scans_total{result="ok"}')"
report() { k -n "$1" get policyreport tollgate-audit -o json; }
# results NS: "kind/name/rule/result" of every non-pass result, sorted
results() { report "$1" | jq -r '[.results[] | select(.result != "pass") | "\(.resources[0].kind)/\(.resources[0].name)/\(.rule)/\(.result)"] | sort | join(" ")'; }
expect "shop: the root Pod and the CronJob fail" \
    "CronJob/nightly/pinnedTags/fail Pod/debug-root/runAsNonRoot/fail" "$(results shop)"
expect "shop: every object judged once, at its top-level controller" "CronJob/nightly Deployment/web Pod/debug-root" \
    "$(report shop | jq -r '[.results[].resources[0] | "\(.kind)/\(.name)"] | unique | join(" ")')"
expect "legacy-app: would-deny is a failure" "Deployment/old-web/pinnedTags/fail Deployment/old-web/probes/fail" \
    "$(results legacy-app)"
expect "legacy-app: admission would-deny" would-deny \
    "$(report legacy-app | jq -r '[.results[] | select(.result == "fail")][0].properties.admission')"
expect "bulk: 7 Pods, all pass" "7/0" "$(report bulk | jq -r '"\([.results[].resources[0].name] | unique | length)/\(.summary.fail)"')"
expect "no report in the excluded namespace" "" "$(k -n kube-system get policyreports -o name)"
expect "the cluster report's totals" 4 "$(k get clusterpolicyreport tollgate-audit -o jsonpath='{.summary.fail}')"
expect "the report's uid is the object's" "$(k -n shop get pod debug-root -o jsonpath='{.metadata.uid}')" \
    "$(report shop | jq -r '[.results[] | select(.resources[0].name == "debug-root")][0].resources[0].uid')"

# --- 4. fix one workload, delete another: the next scan follows ---------------------------------
jq -c '.spec.jobTemplate.spec.template.spec.containers[0].image = "nginx:1.25.3"' "$work/nightly.json" |
    k replace -f - >/dev/null || die "fixing the CronJob"
k -n shop delete pod debug-root --wait=false >/dev/null || die "deleting the root Pod"
shop_clean() { [ "$(results shop)" = "" ]; }
cluster_wait 60 "shop's report to follow the fix and the deletion" shop_clean &&
    ok "fixed and deleted workloads leave shop's report" || not_ok "fixed and deleted workloads leave shop's report" "$(results shop)"
expect "the deleted Pod has no result any more" 0 \
    "$(report shop | jq '[.results[] | select(.resources[0].name == "debug-root")] | length')"

# --- 5. the holder dies: the other replica continues ---------------------------------------------
hpid=PID_${holder#replica-}
kill -KILL "${!hpid}"
wait "${!hpid}" 2>/dev/null
taken_over() { [ "$(leader)" = "replica-$standby" ]; }
cluster_wait 60 "replica-$standby to take the Lease over" taken_over &&
    ok "replica-$standby holds the Lease after replica ${holder#replica-} was killed" ||
    not_ok "replica-$standby holds the Lease after the holder was killed" "$(leader)"
k -n legacy-app delete deployment old-web >/dev/null || die "deleting old-web"
legacy_gone() { ! k -n legacy-app get policyreport tollgate-audit >/dev/null 2>&1; }
cluster_wait 60 "the new holder to drop legacy-app's report" legacy_gone &&
    ok "the new holder writes: legacy-app's report is gone with its workload" ||
    not_ok "the new holder writes: legacy-app's report is gone with its workload" "$(tail -n 5 "$work/$standby.log")"
expect "the new holder counts its scans" 1 \
    "$([ "$(metric "${!sport}" 'tollgate_audit_scans_total{result="ok"}')" -gt 0 ] && echo 1 || echo 0)"
spid=PID_$standby
kill -TERM "${!spid}"
wait "${!spid}"
expect "tollgate serve exits 0 on SIGTERM (memory clean under ASan)" 0 "$?"
expect "it released the Lease" "" "$(leader)"

echo "# $n checks, $failures failed"
[ "$failures" -eq 0 ]
