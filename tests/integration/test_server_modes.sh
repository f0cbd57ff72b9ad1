#!/usr/bin/env bash
# Audit, mutate and enforce through the real TLS server: every workload
# kind is patched at the right positions, the patch is applied by an
# independent RFC 6902 implementation (python3-jsonpatch), and the patched
# object passes /validate and gets no second patch.  Audit mode, per-rule
# audit, namespace overrides and exemptions are checked on the wire, in the
# decision log and in the metrics.
# shellcheck source=tests/integration/lib_server.sh
. "$(dirname "$0")/lib_server.sh"

PY=/usr/bin/python3 # Debian's, with python3-jsonpatch
"$PY" -c 'import jsonpatch' 2>/dev/null || { echo "FAIL: python3-jsonpatch is required (.ci/deps)"; exit 1; }
MODES=$SRC/tests/data/modes
make_certs "$TMP/certs"

# workload KIND: the object of KIND wrapping the shared pod spec
workload() {
    jq --arg kind "$1" '
        . as $ps | ($ps + {restartPolicy: "OnFailure"}) as $batch |
        {metadata: {name: "demo", namespace: "shop"}} + (
        if $kind == "Pod" then {apiVersion: "v1", kind: $kind, spec: $ps}
        elif $kind == "PodTemplate" then {apiVersion: "v1", kind: $kind, template: {spec: $ps}}
        elif $kind == "Job" then {apiVersion: "batch/v1", kind: $kind, spec: {template: {spec: $batch}}}
        elif $kind == "CronJob" then {apiVersion: "batch/v1", kind: $kind,
            spec: {schedule: "@daily", jobTemplate: {spec: {template: {spec: $batch}}}}}
        elif $kind == "ReplicationController" then {apiVersion: "v1", kind: $kind, spec: {template: {spec: $ps}}}
        else {apiVersion: "apps/v1", kind: $kind, spec: {template: {spec: $ps}}} end)' \
        "$MODES/podspec.json"
}

# review OBJECT-FILE NAMESPACE OUT: an AdmissionReview as the API server sends it
review() {
    jq --arg ns "$2" '{apiVersion: "admission.k8s.io/v1", kind: "AdmissionReview",
        request: {uid: "0f0e0d0c-0000-4000-8000-\(now | floor)", operation: "CREATE",
                  kind: {group: "", version: "v1", kind: .kind}, namespace: $ns,
                  userInfo: {username: "alice"}, object: (.metadata.namespace = $ns)}}' "$1" >"$3"
}

# apply_patch OBJECT-FILE: apply the base64 patch of the last response, in place
apply_patch() {
    jqb .response.patch | base64 -d >"$TMP/patch.json"
    "$PY" - "$1" "$TMP/patch.json" <<'PYEOF'
import json, sys, jsonpatch
doc = json.load(open(sys.argv[1]))
patch = jsonpatch.JsonPatch(json.load(open(sys.argv[2])))
json.dump(patch.apply(doc), open(sys.argv[1], "w"))
PYEOF
}

# podspec_of OBJECT-FILE: the object's pod spec, compact JSON
podspec_of() {
    jq -c 'if .kind == "Pod" then .spec elif .kind == "PodTemplate" then .template.spec
           elif .kind == "CronJob" then .spec.jobTemplate.spec.template.spec
           else .spec.template.spec end' "$1"
}

# judge_again DESC [WARNING]: $TMP/obj.json (patched) is allowed by /validate,
# with WARNING among its warnings if given, and /mutate patches nothing more
judge_again() {
    review "$TMP/obj.json" shop "$TMP/review2.json"
    post /validate "$TMP/review2.json" >/dev/null
    check "$1: the patched object is allowed" true "$(jqb .response.allowed)"
    if [ -n "${2:-}" ]; then
        check_contains "$1: warns" "$2" "$(jqb '.response.warnings | join("\n")')"
    fi
    post /mutate "$TMP/review2.json" >/dev/null
    check "$1: a second pass patches nothing" null "$(jqb .response.patch)"
}

# pod_with JQ: a Pod of the shared pod spec changed by JQ, in $TMP/obj.json,
# and its review in $TMP/review.json
pod_with() {
    jq "$1" "$MODES/podspec.json" >"$TMP/ps.json"
    jq --slurpfile ps "$TMP/ps.json" '.spec = $ps[0]' <(workload Pod) >"$TMP/obj.json"
    review "$TMP/obj.json" shop "$TMP/review.json"
}

# --- mutate: every workload kind, patched, applied, then judged again
cp "$MODES/policy-mutate.yaml" "$TMP/policy.yaml"
start_server
for kind in Pod Deployment ReplicaSet StatefulSet DaemonSet Job CronJob ReplicationController PodTemplate; do
    workload "$kind" >"$TMP/obj.json"
    review "$TMP/obj.json" shop "$TMP/review.json"
    check "$kind: /mutate status" 200 "$(post /mutate "$TMP/review.json")"
    check "$kind: patchType" JSONPatch "$(jqb .response.patchType)"
    check_contains "$kind: says what it fixed" "[tollgate] runAsNonRoot: fixed container" "$(jqb '.response.warnings[0]')"
    apply_patch "$TMP/obj.json" || fail "$kind: python3-jsonpatch could not apply the patch"
    ps=$(podspec_of "$TMP/obj.json")
    check "$kind: app runAsNonRoot" true "$(jq '.containers[0].securityContext.runAsNonRoot' <<<"$ps")"
    check "$kind: app runAsUser" 10001 "$(jq '.containers[0].securityContext.runAsUser' <<<"$ps")"
    check "$kind: init runAsNonRoot" true "$(jq '.initContainers[0].securityContext.runAsNonRoot' <<<"$ps")"
    check "$kind: pull policy" Always "$(jq -r '.containers[0].imagePullPolicy' <<<"$ps")"
    if [ "$kind" = Job ] || [ "$kind" = CronJob ]; then
        check "$kind: batch pods get no probe" null "$(jq -c '.containers[0].readinessProbe' <<<"$ps")"
    else
        check "$kind: default tcp probe" '{"tcpSocket":{"port":8080},"initialDelaySeconds":3,"periodSeconds":7,"timeoutSeconds":1,"failureThreshold":3}' \
            "$(jq -c '.containers[0].readinessProbe' <<<"$ps")"
    fi
    check "$kind: sidecar probes untouched" /healthz/ready "$(jq -r '.containers[1].livenessProbe.httpGet.path' <<<"$ps")"
    judge_again "$kind"
done

# an explicit runAsNonRoot: false is a decision: never overwritten, still denied
pod_with '.containers[0].securityContext = {runAsNonRoot: false}'
post /mutate "$TMP/review.json" >/dev/null
check "explicit false: not in the patch" "" \
    "$(jqb .response.patch | base64 -d | jq -r '.[] | select(.path | startswith("/spec/containers/0/securityContext")) | .path')"
post /validate "$TMP/review.json" >/dev/null
check "explicit false: denied" false "$(jqb .response.allowed)"
check_contains "explicit false: says so" "runAsNonRoot is false at the container level" "$(jqb .response.status.message)"
stop_server

# --- audit mode: allowed, warnings, audit annotations, log and metric
cp "$MODES/policy-audit.yaml" "$TMP/policy.yaml"
start_server
workload Pod >"$TMP/obj.json"
review "$TMP/obj.json" shop "$TMP/review.json"
check "audit: status" 200 "$(post /validate "$TMP/review.json")"
check "audit: allowed" true "$(jqb .response.allowed)"
check "audit: warnings" 5 "$(jqb '.response.warnings | length')"
check_contains "audit: warning format" "[tollgate] runAsNonRoot: container \"app\" (/spec/containers/0/securityContext/runAsNonRoot)" "$(jqb '.response.warnings[0]')"
check "audit: annotation decision" would-deny "$(jqb '.response.auditAnnotations.decision')"
check "audit: annotation violations" "runAsNonRoot:3,probes:2" "$(jqb '.response.auditAnnotations.violations')"
post /mutate "$TMP/review.json" >/dev/null
check "audit: no patch" null "$(jqb .response.patch)"
wait_for 2 grep -q '"decision":"would-deny"' "$TMP/server.log" || fail "audit: no would-deny log line"
get /metrics >/dev/null
cp "$TMP/body" "$TMP/metrics"
check "audit: would-deny metric" 1 "$(metric 'tollgate_requests_total{endpoint="validate",decision="would-deny",kind="Pod"}')"
stop_server

# --- enforce with per-rule audit, namespace overrides and exemptions
cp "$MODES/policy-rollout.yaml" "$TMP/policy.yaml"
start_server
review "$TMP/obj.json" shop "$TMP/review.json"
post /validate "$TMP/review.json" >/dev/null
check "rollout: denied in shop" false "$(jqb .response.allowed)"
check_contains "rollout: runAsNonRoot denies" '[runAsNonRoot] container "app"' "$(jqb .response.status.message)"
check "rollout: exempt sidecar not judged" 0 "$(jqb .response.status.message | grep -c 'istio-proxy' || true)"
check "rollout: probes only warn" 2 "$(jqb '[.response.warnings[] | select(startswith("[tollgate] probes:"))] | length')"
wait_for 2 grep -q 'runAsNonRoot/istio-proxy: injected by the mesh; tracked in SEC-42' "$TMP/server.log" ||
    fail "rollout: the exemption and its reason are not logged"
review "$TMP/obj.json" legacy-billing "$TMP/review.json"
post /validate "$TMP/review.json" >/dev/null
check "rollout: legacy-* is audited" true "$(jqb .response.allowed)"
check "rollout: legacy-* would deny" would-deny "$(jqb .response.auditAnnotations.decision)"
stop_server

# --- container hardening (issue 15): the fixes of allowPrivilegeEscalation,
# capabilities and seccompProfile at every kind, applied by python3-jsonpatch;
# the patched object is allowed (readOnlyRootFilesystem only warns) and gets
# no second patch
cp "$MODES/policy-hardening.yaml" "$TMP/policy.yaml"
start_server
for kind in Pod Deployment ReplicaSet StatefulSet DaemonSet Job CronJob ReplicationController PodTemplate; do
    workload "$kind" >"$TMP/obj.json"
    review "$TMP/obj.json" shop "$TMP/review.json"
    check "$kind: hardening /mutate status" 200 "$(post /mutate "$TMP/review.json")"
    apply_patch "$TMP/obj.json" || fail "$kind: python3-jsonpatch could not apply the hardening patch"
    ps=$(podspec_of "$TMP/obj.json")
    for c in containers[0] containers[1] initContainers[0]; do
        check "$kind: $c allowPrivilegeEscalation" false "$(jq ".$c.securityContext.allowPrivilegeEscalation" <<<"$ps")"
        check "$kind: $c drops ALL" '["ALL"]' "$(jq -c ".$c.securityContext.capabilities.drop" <<<"$ps")"
        check "$kind: $c inherits the profile" null "$(jq -c ".$c.securityContext.seccompProfile" <<<"$ps")"
    done
    check "$kind: one pod-level seccompProfile" RuntimeDefault "$(jq -r '.securityContext.seccompProfile.type' <<<"$ps")"
    judge_again "$kind: hardened" '[tollgate] readOnlyRootFilesystem: container "app"'
done

# privileged is never patched: denied at /validate, with the container and field
pod_with '.initContainers[0].securityContext = {privileged: true}'
post /mutate "$TMP/review.json" >/dev/null
check "privileged: not in the patch" "" \
    "$(jqb .response.patch | base64 -d | jq -r '.[] | select(.path | endswith("privileged")) | .path')"
post /validate "$TMP/review.json" >/dev/null
check "privileged: denied" false "$(jqb .response.allowed)"
check_contains "privileged: names the init container and the field" \
    '[privileged] initContainer "init" (/spec/initContainers/0/securityContext/privileged): privileged is true' \
    "$(jqb .response.status.message)"
stop_server

# an exempt container that would inherit a pod-level profile: the profile goes
# to each judged container instead, and the exempt one is left as it is
sed 's/seccompProfile: {action: mutate}/seccompProfile: {action: mutate, exempt: {containers: [istio-proxy]}}/' \
    "$MODES/policy-hardening.yaml" >"$TMP/policy.yaml"
grep -q 'istio-proxy' "$TMP/policy.yaml" || fail "hardening: the exemption was not written"
start_server
workload Deployment >"$TMP/obj.json"
review "$TMP/obj.json" shop "$TMP/review.json"
post /mutate "$TMP/review.json" >/dev/null
apply_patch "$TMP/obj.json" || fail "exempt: python3-jsonpatch could not apply the patch"
ps=$(podspec_of "$TMP/obj.json")
check "exempt: no pod-level profile" null "$(jq -c '.securityContext.seccompProfile' <<<"$ps")"
check "exempt: app gets its own" RuntimeDefault "$(jq -r '.containers[0].securityContext.seccompProfile.type' <<<"$ps")"
check "exempt: init gets its own" RuntimeDefault "$(jq -r '.initContainers[0].securityContext.seccompProfile.type' <<<"$ps")"
check "exempt: the sidecar is left as it is" null "$(jq -c '.containers[1].securityContext.seccompProfile' <<<"$ps")"
judge_again exempt
stop_server

finish
