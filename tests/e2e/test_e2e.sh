#!/usr/bin/env bash
# test_e2e.sh -- tollgate against a real kube-apiserver (1.20.2, built by kube-tools.sh).
#
# tollgate serve runs locally on 127.0.0.1 with certificates from certs/tollgate-certs;
# the webhook configurations come from the Helm chart in URL mode
# (helm template ... | kubectl apply). Then, through kubectl:
#   compliant Pod and Deployment created; non-compliant Pod, Deployment and CronJob refused
#   with tollgate's message; the mutating webhook's patch stored (runAsNonRoot: true);
#   a privileged init container and a container-level Unconfined seccomp refused, the
#   hardening fixes (seccompProfile, allowPrivilegeEscalation, drop ALL) stored;
#   labelling existing Pods (even one admitted before tollgate) is not refused;
#   audit mode admits with a kubectl "Warning:"; --dry-run=server gives the same verdicts
#   and stores nothing; opted-out and excluded namespaces pass; the chart's own Deployment
#   passes the chart's own policy; with tollgate stopped, failurePolicy Fail refuses with a
#   call error and Ignore admits.
# Finally `helm install`s the whole chart: every object is accepted by the API server,
# an upgrade keeps the generated caBundle, and the release namespace stays writable while
# no tollgate pod answers (nothing runs pods here: there is no kubelet).
#
# Usage: tests/e2e/test_e2e.sh   (as root the first time: kube-tools.sh installs and builds)
# Env: TOLLGATE (the binary; default $BUILD/tollgate or build/tollgate), SRC, BUILD,
#      TOLLGATE_WRAPPER (e.g. "valgrind --leak-check=full --error-exitcode=99"),
#      E2E_VERBOSE=1 to show tollgate's denial messages, CLUSTER_KEEP=1 to keep the
#      cluster directory and logs.
set -uo pipefail

SRC=${SRC:-$(cd "$(dirname "$0")/../.." && pwd)}
BUILD=${BUILD:-$SRC/build}
TOLLGATE=${TOLLGATE:-$BUILD/tollgate}
CHART=$SRC/charts/tollgate
RELEASE_NS=tollgate-system

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

# --- Preconditions: fail loudly, never skip. ---------------------------------------------
[ -x "$TOLLGATE" ] ||
    die "no tollgate binary at $TOLLGATE: build it (cmake --build build --target tollgate) or set TOLLGATE"
"$TOLLGATE" serve --help >/dev/null 2>&1 ||
    die "'$TOLLGATE serve --help' fails: the binary has no working serve command yet"
[ -x "$SRC/certs/tollgate-certs" ] || die "certs/tollgate-certs is missing (it makes the test CA)"

tools=$("$SRC/tests/e2e/kube-tools.sh") || die "tests/e2e/kube-tools.sh failed"
eval "$tools"

work=
tollgate_pid=
tollgate_status=
stop_tollgate() { # SIGTERM (tollgate drains), then its exit status in $tollgate_status
    if [ -n "$tollgate_pid" ]; then
        kill -TERM "$tollgate_pid" 2>/dev/null
        wait "$tollgate_pid" 2>/dev/null
        tollgate_status=$?
        tollgate_pid=
    fi
}
cleanup() {
    stop_tollgate
    cluster_stop
    [ -n "$work" ] || return 0
    if [ "${CLUSTER_KEEP:-0}" = 1 ]; then
        echo "# kept $work (tollgate.log)" >&2
    else
        rm -rf "$work"
    fi
}

cluster_start || die "could not start etcd + kube-apiserver"
trap cleanup EXIT # replaces cluster_start's own trap, and calls cluster_stop
trap 'exit 130' INT TERM
work=$(mktemp -d "${TMPDIR:-/tmp}/tollgate-e2e-run.XXXXXX")

# --- tollgate, local, on 127.0.0.1 -----------------------------------------------------------
port=$(cluster_free_port) || die "no free port"
mport=$(cluster_free_port) || die "no free port"
ca_bundle=$("$SRC/certs/tollgate-certs" --out "$work/certs" --san 127.0.0.1 2>"$work/certs.log") ||
    die "certs/tollgate-certs failed: $(cat "$work/certs.log")"

# The policy is the chart's own (rendered from its default values) plus a
# second file, merged on top: runAsNonRoot fixed by mutation, hostPath
# enforced (the chart's policy has it in audit), and namespace e2e-audit in
# audit mode.
mkdir -p "$work/policy"
"$HELM" template tollgate "$CHART" -n $RELEASE_NS --show-only templates/configmap.yaml \
    >"$work/policy-cm.yaml" || die "helm template of the policy ConfigMap failed"
/usr/bin/python3 -c 'import sys, yaml; sys.stdout.write(yaml.safe_load(open(sys.argv[1]))["data"]["policy.yaml"])' \
    "$work/policy-cm.yaml" >"$work/policy/10-chart.yaml" || die "no policy.yaml in the chart's ConfigMap"
cat >"$work/policy/20-e2e-audit.yaml" <<'EOF'
apiVersion: tollgate.dev/v1
kind: Policy
metadata: {name: e2e}
spec:
  overrides:
    - namespaces: [e2e-audit]
      mode: audit
  rules:
    runAsNonRoot: {action: mutate}
    hostPath: {action: enforce, allowedPaths: [/var/log]}
EOF
# The container-hardening rules (off in the chart's policy): privileged is
# refused, the three with a safe fix are fixed by mutation.
cat >"$work/policy/30-e2e-hardening.yaml" <<'EOF'
apiVersion: tollgate.dev/v1
kind: Policy
metadata: {name: e2e-hardening}
spec:
  rules:
    privileged: {action: enforce}
    allowPrivilegeEscalation: {action: mutate}
    capabilities: {action: mutate}
    seccompProfile: {action: mutate}
EOF

start_tollgate() {
    # TOLLGATE_WRAPPER: e.g. "valgrind --leak-check=full --error-exitcode=99".
    # shellcheck disable=SC2086
    ${TOLLGATE_WRAPPER:-} "$TOLLGATE" serve --listen "127.0.0.1:$port" --tls-cert "$work/certs/tls.crt" \
        --tls-key "$work/certs/tls.key" --policy "$work/policy" \
        --metrics-listen "127.0.0.1:$mport" --log-level debug >>"$work/tollgate.log" 2>&1 &
    tollgate_pid=$!
    # With --metrics-listen, /readyz is served on that plain-HTTP port only;
    # the HTTPS port must then complete a handshake verified against our CA.
    if ! cluster_wait 60 "tollgate /readyz" curl -fsS "http://127.0.0.1:$mport/readyz" ||
        ! curl -sS --cacert "$work/certs/ca.crt" -o /dev/null "https://127.0.0.1:$port/"; then
        tail -n 30 "$work/tollgate.log" >&2
        die "tollgate serve did not become ready on 127.0.0.1:$port"
    fi
}
start_tollgate

# --- Webhook configurations from the chart, URL mode ----------------------------------------
# kube-apiserver 1.20 sets no kubernetes.io/metadata.name label, so the test
# labels namespaces the way the chart's README tells 1.20 users to.
kubectl create namespace $RELEASE_NS >/dev/null
kubectl label namespace $RELEASE_NS kube-system tollgate.dev/ignore=true >/dev/null
for ns in e2e-app e2e-audit; do
    kubectl create namespace $ns >/dev/null
done
kubectl create namespace e2e-optout >/dev/null
kubectl label namespace e2e-optout tollgate.dev/ignore=true >/dev/null
kubectl create namespace e2e-excluded >/dev/null
kubectl label namespace e2e-excluded kubernetes.io/metadata.name=e2e-excluded >/dev/null

# apply_webhooks FAILURE_POLICY: (re)install the URL-mode webhook configurations.
apply_webhooks() {
    "$HELM" template e2e "$CHART" -n $RELEASE_NS --set webhook.url="https://127.0.0.1:$port" \
        --set certs.caBundle="$ca_bundle" --set webhook.failurePolicy="$1" \
        --set 'webhook.excludeNamespaces={kube-system,e2e-excluded}' >"$work/webhooks.yaml" &&
        kubectl apply -f "$work/webhooks.yaml" >/dev/null
}

# Compliant, with $3 more members of the pod spec and $4 of the container
# (one YAML line each; the host rules' checks put host access there).
pod_host() { # $1 name, $2 namespace, $3 pod spec members, $4 container members
    cat <<EOF
apiVersion: v1
kind: Pod
metadata: {name: $1, namespace: $2}
spec:
  securityContext: {runAsNonRoot: true, runAsUser: 101}
  $3
  containers:
    - name: web
      image: nginx:1.25.3
      livenessProbe: {httpGet: {path: /, port: 8080}}
      readinessProbe: {httpGet: {path: /, port: 8080}}
      $4
EOF
}

# Manifests. $1 name, $2 namespace.
pod_compliant() {
    pod_host "$1" "$2" '' ''
}
# Fine but for runAsNonRoot, which the policy fixes by mutation.
pod_fixable() {
    cat <<EOF
apiVersion: v1
kind: Pod
metadata: {name: $1, namespace: $2}
spec:
  containers:
    - name: web
      image: nginx:1.25.3
      livenessProbe: {httpGet: {path: /, port: 8080}}
      readinessProbe: {httpGet: {path: /, port: 8080}}
EOF
}
# An unpinned image and no probes: nothing to patch, must be refused.
pod_bad() {
    cat <<EOF
apiVersion: v1
kind: Pod
metadata: {name: $1, namespace: $2}
spec:
  securityContext: {runAsNonRoot: true, runAsUser: 101}
  containers:
    - name: web
      image: nginx:latest
EOF
}
deployment() { # $1 name, $2 namespace, $3 image, $4 "probes" or ""
    local probes=
    [ "$4" = probes ] && probes='
          livenessProbe: {httpGet: {path: /, port: 8080}}
          readinessProbe: {httpGet: {path: /, port: 8080}}'
    cat <<EOF
apiVersion: apps/v1
kind: Deployment
metadata: {name: $1, namespace: $2}
spec:
  replicas: 1
  selector: {matchLabels: {app: $1}}
  template:
    metadata: {labels: {app: $1}}
    spec:
      securityContext: {runAsNonRoot: true, runAsUser: 101}
      containers:
        - name: web
          image: $3$probes
EOF
}
cronjob_bad() { # batch/v1beta1: CronJob is not in batch/v1 before Kubernetes 1.21
    cat <<EOF
apiVersion: batch/v1beta1
kind: CronJob
metadata: {name: $1, namespace: $2}
spec:
  schedule: "*/5 * * * *"
  jobTemplate:
    spec:
      template:
        spec:
          restartPolicy: Never
          securityContext: {runAsNonRoot: true, runAsUser: 101}
          containers:
            - name: job
              image: busybox:latest
EOF
}

# kapply DESC ARGS... (manifest on stdin): sets $out and $rc.
kapply() {
    out=$(kubectl apply "$@" -f - 2>&1)
    rc=$?
}

# expect_admitted DESC [kubectl apply args] < manifest
expect_admitted() {
    local desc=$1
    shift
    kapply "$@"
    if [ $rc -eq 0 ]; then
        ok "$desc"
    else
        not_ok "$desc" "$out"
    fi
}

# expect_denied DESC REGEX... -- [kubectl apply args] < manifest: refused by a tollgate
# webhook, and the message matches every REGEX.
expect_denied() {
    local desc=$1 re missing=
    shift
    local res=()
    while [ $# -gt 0 ] && [ "$1" != -- ]; do
        res+=("$1")
        shift
    done
    shift
    kapply "$@"
    if [ $rc -eq 0 ]; then
        not_ok "$desc: admitted, must be refused" "$out"
        return
    fi
    if ! printf '%s' "$out" | grep -q -E 'admission webhook "(validate|mutate)\.tollgate\.dev" denied the request'; then
        not_ok "$desc: refused, but not by tollgate" "$out"
        return
    fi
    [ "${E2E_VERBOSE:-0}" = 1 ] && printf '%s\n' "$out" | sed 's/^/#   | /'
    for re in "${res[@]}"; do
        printf '%s' "$out" | grep -q -E -- "$re" || missing+=" /$re/"
    done
    if [ -n "$missing" ]; then
        not_ok "$desc: tollgate's message lacks$missing" "$out"
    else
        ok "$desc"
    fi
}

# The API server picks webhook configuration changes up asynchronously: wait
# until a probe object gets the expected treatment.
wait_webhooks() { # $1 "deny" or "admit"
    local deadline=$((SECONDS + 30))
    while [ $SECONDS -lt $deadline ]; do
        kapply --dry-run=server < <(pod_bad probe-wait e2e-app)
        if [ "$1" = deny ] && [ $rc -ne 0 ]; then return 0; fi
        if [ "$1" = admit ] && [ $rc -eq 0 ]; then return 0; fi
        sleep 0.5
    done
    die "webhook configuration not in effect after 30s (wanted $1): $out"
}

# A Pod that was admitted before tollgate was installed, as in any real cluster.
kubectl apply -f - >/dev/null < <(pod_bad legacy e2e-app) || die "could not create the legacy Pod"

apply_webhooks Fail || die "could not apply the chart's URL-mode webhook configurations"
wait_webhooks deny

# --- Enforce ---------------------------------------------------------------------------------
expect_admitted "compliant Pod created" < <(pod_compliant good e2e-app)
expect_admitted "compliant Deployment created" < <(deployment good e2e-app nginx:1.25.3 probes)
expect_denied "Pod with nginx:latest and no probes refused, naming the container, field and fix" \
    'container "web" \(/spec/containers/0/image\)' '"latest"' 'pin a version tag' \
    '\(/spec/containers/0/livenessProbe\)' '\(/spec/containers/0/readinessProbe\)' -- \
    < <(pod_bad bad e2e-app)
denied_for_real=$out
if kubectl -n e2e-app get pod bad >/dev/null 2>&1; then
    not_ok "refused Pod is not stored"
else
    ok "refused Pod is not stored"
fi
expect_denied "Deployment with nginx:latest refused" \
    'container "web" \(/spec/template/spec/containers/0/image\)' '"latest"' -- \
    < <(deployment bad e2e-app nginx:latest probes)
expect_denied "CronJob (batch/v1beta1) with busybox:latest refused" \
    'container "job" \(/spec/jobTemplate/spec/template/spec/containers/0/image\)' '"latest"' -- \
    < <(cronjob_bad bad e2e-app)

# --- The rules of issue 15 (host access) ------------------------------------------------------
expect_denied "hostPath outside the allowed paths refused, naming the pod's volume" \
    '\[hostPath\] pod \(/spec/volumes/0/hostPath/path\)' 'mounts /etc from the node' -- \
    < <(pod_host host-etc e2e-app 'volumes: [{name: h, hostPath: {path: /etc}}]' \
        'volumeMounts: [{name: h, mountPath: /h, readOnly: true}]')
expect_denied "allowed hostPath mounted writable refused, naming the mount" \
    '\[hostPath\] container "web" \(/spec/containers/0/volumeMounts/0/readOnly\)' \
    'set readOnly: true' -- \
    < <(pod_host host-logs e2e-app 'volumes: [{name: h, hostPath: {path: /var/log/}}]' \
        'volumeMounts: [{name: h, mountPath: /h}]')
expect_admitted "allowed hostPath mounted read-only admitted" \
    < <(pod_host host-logs-ro e2e-app 'volumes: [{name: h, hostPath: {path: /var/log/pods}}]' \
        'volumeMounts: [{name: h, mountPath: /h, readOnly: true}]')
kapply --dry-run=server < <(pod_host host-net e2e-app 'hostNetwork: true' '')
if [ $rc -eq 0 ] && printf '%s' "$out" |
    grep -q '^Warning: \[tollgate\] hostNamespaces: pod (/spec/hostNetwork): hostNetwork is true'; then
    ok "hostNetwork (audit in the chart's policy) admitted with a kubectl Warning naming the pod field"
else
    not_ok "hostNetwork (audit in the chart's policy) admitted with a kubectl Warning naming the pod field" "$out"
fi

# --- Mutate ----------------------------------------------------------------------------------
expect_admitted "Pod without runAsNonRoot admitted (patched)" < <(pod_fixable fixed e2e-app)
pod_rnr=$(kubectl -n e2e-app get pod fixed -o jsonpath='{.spec.securityContext.runAsNonRoot}' 2>&1)
ctr_rnr=$(kubectl -n e2e-app get pod fixed -o jsonpath='{.spec.containers[0].securityContext.runAsNonRoot}' 2>&1)
if [ "$pod_rnr" = true ] || [ "$ctr_rnr" = true ]; then
    ok "stored Pod carries runAsNonRoot: true (pod '$pod_rnr', container '$ctr_rnr')"
else
    not_ok "stored Pod carries runAsNonRoot: true" \
        "$(kubectl -n e2e-app get pod fixed -o yaml 2>&1)"
fi

# --- Container hardening (issue 15) ------------------------------------------------------------
# pod_changed NAME NAMESPACE PYTHON: pod_compliant, changed by PYTHON (which edits `pod`)
pod_changed() {
    pod_compliant "$1" "$2" | /usr/bin/python3 -c 'import sys, yaml
pod = yaml.safe_load(sys.stdin)
exec(sys.argv[1])
yaml.safe_dump(pod, sys.stdout)' "$3"
}
# The API server runs with --allow-privileged=true: tollgate is what refuses.
expect_denied "Pod with a privileged init container refused, naming it and the field" \
    '\[privileged\] initContainer "setup" \(/spec/initContainers/0/securityContext/privileged\)' \
    'privileged is true' -- < <(pod_changed priv e2e-app 'pod["spec"]["initContainers"] = [
        {"name": "setup", "image": "busybox:1.36", "securityContext": {"privileged": True}}]')
expect_denied "container seccompProfile Unconfined under a pod-level RuntimeDefault refused" \
    '\[seccompProfile\] container "web" \(/spec/containers/0/securityContext/seccompProfile/type\)' \
    '"Unconfined" at the container level' -- < <(pod_changed unconfined e2e-app '
spec = pod["spec"]
spec["securityContext"]["seccompProfile"] = {"type": "RuntimeDefault"}
spec["containers"][0]["securityContext"] = {"seccompProfile": {"type": "Unconfined"}}')
# The stored object carries the fixes: the real API server accepted the patch.
expect_admitted "Deployment with no securityContext hardening admitted (patched)" \
    < <(deployment hardened e2e-app nginx:1.25.3 probes)
got=$(kubectl -n e2e-app get deployment hardened -o jsonpath='{.spec.template.spec.securityContext.seccompProfile.type}/{.spec.template.spec.containers[0].securityContext.allowPrivilegeEscalation}/{.spec.template.spec.containers[0].securityContext.capabilities.drop}' 2>&1)
if [ "$got" = 'RuntimeDefault/false/["ALL"]' ]; then
    ok "stored Deployment: pod-level RuntimeDefault, allowPrivilegeEscalation false, drop ALL"
else
    not_ok "stored Deployment: pod-level RuntimeDefault, allowPrivilegeEscalation false, drop ALL (got '$got')" \
        "$(kubectl -n e2e-app get deployment hardened -o yaml 2>&1)"
fi

# --- UPDATEs that do not touch the pod spec ---------------------------------------------------
# Labels, annotations, finalizers and owner references change on existing Pods
# all the time (controllers adopt them, finalizers get removed for deletion).
# The spec cannot change, so refusing or patching such an UPDATE only blocks.
if out=$(kubectl -n e2e-app label pod fixed team=a 2>&1); then
    ok "label on a compliant (mutated) Pod admitted"
else
    not_ok "label on a compliant (mutated) Pod admitted" "$out"
fi
if out=$(kubectl -n e2e-app label pod legacy team=a 2>&1); then
    ok "label on a non-compliant Pod admitted before tollgate was installed is not refused"
else
    not_ok "label on a non-compliant Pod admitted before tollgate was installed is not refused" "$out"
fi

# --- Server-side dry run: the same verdicts, nothing stored ----------------------------------
expect_admitted "dry-run=server: compliant Pod admitted" --dry-run=server \
    < <(pod_compliant dry-good e2e-app)
expect_denied "dry-run=server: non-compliant Pod refused" 'latest' -- \
    --dry-run=server < <(pod_bad bad e2e-app)
if [ "$out" = "$denied_for_real" ]; then
    ok "dry-run=server: exactly the same message as the real create"
else
    not_ok "dry-run=server: exactly the same message as the real create" \
        "$(diff <(printf '%s\n' "$denied_for_real") <(printf '%s\n' "$out"))"
fi
kapply --dry-run=server -o jsonpath='{.spec.securityContext.runAsNonRoot}{"/"}{.spec.containers[0].securityContext.runAsNonRoot}' \
    < <(pod_fixable dry-fixed e2e-app)
if [ $rc -eq 0 ] && printf '%s' "$out" | grep -q true; then
    ok "dry-run=server: the mutation shows in the returned object"
else
    not_ok "dry-run=server: the mutation shows in the returned object" "$out"
fi
if kubectl -n e2e-app get pod dry-good >/dev/null 2>&1; then
    not_ok "dry-run=server stores nothing"
else
    ok "dry-run=server stores nothing"
fi

# --- Audit mode (policy override for e2e-audit) ----------------------------------------------
kapply < <(pod_bad audited e2e-audit)
if [ $rc -eq 0 ] && printf '%s' "$out" | grep -q '^Warning: ' &&
    printf '%s' "$out" | grep -q 'latest'; then
    ok "audit namespace: non-compliant Pod admitted with a kubectl Warning"
else
    not_ok "audit namespace: non-compliant Pod admitted with a kubectl Warning" "$out"
fi

# --- Excluded namespaces --------------------------------------------------------------------
expect_admitted "opt-out label: non-compliant Pod admitted in e2e-optout" < <(pod_bad bad e2e-optout)
expect_admitted "excludeNamespaces: non-compliant Pod admitted in e2e-excluded" \
    < <(pod_bad bad e2e-excluded)
expect_admitted "release namespace (labelled): non-compliant Pod admitted" \
    < <(pod_bad bad $RELEASE_NS)

# --- The chart's own Deployment passes the chart's own policy -------------------------------
"$HELM" template tollgate "$CHART" -n e2e-app --show-only templates/deployment.yaml \
    >"$work/chart-deployment.yaml"
kapply --dry-run=server <"$work/chart-deployment.yaml"
if [ $rc -eq 0 ] && ! printf '%s' "$out" | grep -q '^Warning: '; then
    ok "the chart's Deployment is admitted by tollgate without warnings"
else
    not_ok "the chart's Deployment is admitted by tollgate without warnings" "$out"
fi

# --- tollgate down: failurePolicy -----------------------------------------------------------
stop_tollgate
if [ "$tollgate_status" = 0 ]; then
    ok "tollgate serve exits 0 on SIGTERM after the scenarios (sanitizer/valgrind clean)"
else
    not_ok "tollgate serve exits 0 on SIGTERM after the scenarios (status $tollgate_status)" \
        "$(tail -n 40 "$work/tollgate.log")"
fi
kapply < <(pod_compliant down-fail e2e-app)
if [ $rc -ne 0 ] && printf '%s' "$out" | grep -q -E 'failed calling webhook "(validate|mutate)\.tollgate\.dev"'; then
    ok "tollgate down, failurePolicy Fail: refused with a webhook call error"
else
    not_ok "tollgate down, failurePolicy Fail: refused with a webhook call error" "$out"
fi
expect_admitted "tollgate down, failurePolicy Fail: release namespace still writable" \
    < <(pod_compliant down-recovery $RELEASE_NS)
apply_webhooks Ignore || die "could not re-apply the webhooks with failurePolicy Ignore"
wait_webhooks admit
expect_admitted "tollgate down, failurePolicy Ignore: Pod admitted" < <(pod_bad down-ignore e2e-app)
kubectl delete -f "$work/webhooks.yaml" >/dev/null

# --- helm install of the whole chart --------------------------------------------------------
if hout=$("$HELM" install tollgate "$CHART" -n $RELEASE_NS 2>&1); then
    ok "helm install: every object accepted by the API server"
else
    not_ok "helm install: every object accepted by the API server" "$hout"
fi
missing=
for obj in deployment/tollgate service/tollgate serviceaccount/tollgate \
    configmap/tollgate-policy secret/tollgate-tls poddisruptionbudget/tollgate; do
    kubectl -n $RELEASE_NS get "$obj" >/dev/null 2>&1 || missing+=" $obj"
done
for obj in validatingwebhookconfiguration/tollgate mutatingwebhookconfiguration/tollgate; do
    kubectl get "$obj" >/dev/null 2>&1 || missing+=" $obj"
done
if [ -z "$missing" ]; then
    ok "helm install: Deployment, Service, ServiceAccount, ConfigMap, Secret, PDB, webhooks exist"
else
    not_ok "helm install: objects missing:$missing"
fi
pdb_api=$(kubectl -n $RELEASE_NS get poddisruptionbudget tollgate -o jsonpath='{.apiVersion}' 2>&1)
if [ "$pdb_api" = policy/v1beta1 ]; then
    ok "PDB uses policy/v1beta1 on 1.20"
else
    not_ok "PDB uses policy/v1beta1 on 1.20 (got '$pdb_api')"
fi
ca_of() {
    kubectl get "$1" tollgate -o jsonpath='{.webhooks[0].clientConfig.caBundle}'
}
secret_ca=$(kubectl -n $RELEASE_NS get secret tollgate-tls -o jsonpath='{.data.ca\.crt}')
v_ca=$(ca_of validatingwebhookconfiguration)
m_ca=$(ca_of mutatingwebhookconfiguration)
if [ -n "$secret_ca" ] && [ "$v_ca" = "$secret_ca" ] && [ "$m_ca" = "$secret_ca" ]; then
    ok "caBundle of both webhooks is the Secret's CA"
else
    not_ok "caBundle of both webhooks is the Secret's CA"
fi
hout=$("$HELM" upgrade tollgate "$CHART" -n $RELEASE_NS --set server.logLevel=debug 2>&1) ||
    not_ok "helm upgrade" "$hout"
if [ "$(ca_of validatingwebhookconfiguration)" = "$secret_ca" ] &&
    [ "$(kubectl -n $RELEASE_NS get secret tollgate-tls -o jsonpath='{.data.ca\.crt}')" = "$secret_ca" ]; then
    ok "helm upgrade keeps the generated CA and caBundle (lookup)"
else
    not_ok "helm upgrade keeps the generated CA and caBundle (lookup)"
fi
# No kubelet runs the webhook pods, so every call fails: exactly an outage.
kapply < <(pod_compliant outage e2e-app)
if [ $rc -ne 0 ] && printf '%s' "$out" | grep -q 'failed calling webhook'; then
    ok "in-cluster webhook without pods, failurePolicy Fail: covered namespace refuses"
else
    not_ok "in-cluster webhook without pods, failurePolicy Fail: covered namespace refuses" "$out"
fi
expect_admitted "in-cluster webhook without pods: release namespace still writable" \
    < <(pod_compliant outage $RELEASE_NS)
expect_admitted "in-cluster webhook without pods: kube-system still writable" \
    < <(pod_compliant outage kube-system)
hout=$("$HELM" uninstall tollgate -n $RELEASE_NS 2>&1) || not_ok "helm uninstall" "$hout"
if ! kubectl get validatingwebhookconfiguration tollgate >/dev/null 2>&1 &&
    ! kubectl get mutatingwebhookconfiguration tollgate >/dev/null 2>&1; then
    ok "helm uninstall removes the webhook configurations"
else
    not_ok "helm uninstall removes the webhook configurations"
fi

echo "1..$n"
if [ $failures -ne 0 ]; then
    echo "# tollgate log (last 40 lines):"
    tail -n 40 "$work/tollgate.log" | sed 's/^/#   /'
    echo "FAIL: $failures of $n end-to-end checks failed" >&2
    exit 1
fi
echo "PASS: $n end-to-end checks"
