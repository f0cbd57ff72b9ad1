#!/usr/bin/env bash
# tollgate check, as a CI pipeline and a person use it: exit codes, formats,
# AdmissionReview answers, --fix round trips, stdin and bad input.
set -uo pipefail
: "${TOLLGATE:?}" "${SRC:?}"
DATA=$SRC/tests/data
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
passed=0
failed=0

check() { # NAME EXPECTED ACTUAL
    if [ "$2" = "$3" ]; then
        passed=$((passed + 1))
    else
        failed=$((failed + 1))
        printf 'FAIL %s\n  expected: %s\n  actual:   %s\n' "$1" "$2" "$3"
    fi
}
contains() { # NAME NEEDLE FILE
    if grep -qF -- "$2" "$3"; then
        passed=$((passed + 1))
    else
        failed=$((failed + 1))
        printf 'FAIL %s: %s not in %s:\n' "$1" "$2" "$3"
        sed 's/^/    /' "$3"
    fi
}
run() { # run ARGS...: stdout to $TMP/out, stderr to $TMP/err, status in $status
    "$TOLLGATE" check "$@" >"$TMP/out" 2>"$TMP/err"
    status=$?
}

# exit status: 0 allowed, 1 denied, 2 usage or input error
run --policy "$SRC/policies" "$DATA/cli/compliant.yaml"
check "compliant exits 0" 0 "$status"
run --policy "$SRC/policies" "$DATA/manifests/pod.yaml"
check "violation exits 1" 1 "$status"
contains "text names the container and pointer" \
    '[runAsNonRoot] container "shell" (/spec/containers/0/securityContext/runAsNonRoot)' "$TMP/out"
contains "text shows the file and line" "pod.yaml:3: Pod default/toolbox: deny" "$TMP/out"
run --output yaml "$DATA/cli/compliant.yaml"
check "unknown format exits 2" 2 "$status"
contains "unknown format says so" "unknown output format 'yaml'" "$TMP/err"
run
check "no input exits 2" 2 "$status"
run --bogus x.yaml
check "unknown option exits 2" 2 "$status"
run "$TMP/missing.yaml"
check "missing file exits 2" 2 "$status"
contains "missing file is named" "missing.yaml: cannot open" "$TMP/err"
run "$DATA/cli/broken.yaml"
check "malformed YAML exits 2" 2 "$status"
contains "malformed YAML names file and line" "broken.yaml:" "$TMP/err"
run "$DATA/cli/wrong-type.yaml"
check "wrong type exits 2" 2 "$status"
contains "wrong type names the pointer" "wrong-type.yaml:1: /spec/containers must be a list" "$TMP/err"
run --policy "$DATA/cli/missing-policy.yaml" "$DATA/cli/compliant.yaml"
check "missing policy exits 2" 2 "$status"
"$TOLLGATE" check --help >"$TMP/out"
check "--help exits 0" 0 "$?"
contains "--help lists --fix" "--fix" "$TMP/out"

# stdin, and a kubectl-style List
run --policy "$SRC/policies" - <"$DATA/manifests/pod.yaml"
check "stdin is read" 1 "$status"
contains "stdin is named" "<stdin>:3: Pod default/toolbox" "$TMP/out"

# machine-readable formats
run --policy "$SRC/policies" --output json "$DATA/manifests/pod.yaml" "$DATA/cli/compliant.yaml"
check "json exit status" 1 "$status"
check "json: objects" 2 "$(jq '.summary.objects' "$TMP/out")"
check "json: denied" 1 "$(jq '.summary.denied' "$TMP/out")"
check "json: first finding rule" runAsNonRoot "$(jq -r '.objects[0].findings[0].rule' "$TMP/out")"
check "json: first finding pointer" /spec/containers/0/securityContext/runAsNonRoot \
    "$(jq -r '.objects[0].findings[0].pointer' "$TMP/out")"
run --policy "$SRC/policies" --output junit "$DATA/manifests/pod.yaml" "$DATA/cli/compliant.yaml"
check "junit parses and counts" "2 1" "$(python3 -c '
import sys, xml.etree.ElementTree as ET
r = ET.parse(sys.argv[1]).getroot()
print(r.get("tests"), len(r.findall(".//failure")))' "$TMP/out")"
run --policy "$SRC/policies" --output sarif "$DATA/manifests/pod.yaml"
check "sarif version" 2.1.0 "$(jq -r .version "$TMP/out")"
check "sarif error results" 1 "$(jq '[.runs[0].results[] | select(.level=="error")] | length' "$TMP/out")"
check "sarif location" 3 "$(jq '.runs[0].results[0].locations[0].physicalLocation.region.startLine' "$TMP/out")"

# without --policy (and TOLLGATE_POLICY) the built-in defaults judge, and
# every output says so; with one, the report names it and stderr is quiet
(unset TOLLGATE_POLICY; run --output json "$DATA/manifests/pod.yaml")
contains "no policy: stderr names the built-in defaults" \
    "using the built-in default policy" "$TMP/err"
check "no policy: json metadata" '"default" "built-in defaults" true' \
    "$(jq -c '.policy.name, .policy.source, .policy.builtIn' "$TMP/out" | tr '\n' ' ' | sed 's/ $//')"
(unset TOLLGATE_POLICY; run --output sarif "$DATA/manifests/pod.yaml")
check "no policy: sarif run properties" true "$(jq '.runs[0].properties.policy.builtIn' "$TMP/out")"
(unset TOLLGATE_POLICY; run --output junit "$DATA/manifests/pod.yaml")
contains "no policy: junit property" '<property name="policy.builtIn" value="true"/>' "$TMP/out"
run --policy "$SRC/policies" --output json "$DATA/manifests/pod.yaml"
check "--policy: json metadata" '"baseline" false' \
    "$(jq -c '.policy.name, .policy.builtIn' "$TMP/out" | tr '\n' ' ' | sed 's/ $//')"
check "--policy: nothing on stderr" "" "$(cat "$TMP/err")"
run --policy "$SRC/policies" --output sarif "$DATA/manifests/pod.yaml"
check "--policy: sarif names the source" "$SRC/policies" \
    "$(jq -r '.runs[0].properties.policy.source' "$TMP/out")"
TOLLGATE_POLICY=$SRC/policies run --output json "$DATA/manifests/pod.yaml"
check "TOLLGATE_POLICY: not the built-in defaults" false "$(jq '.policy.builtIn' "$TMP/out")"

# audit mode: a report over a cluster dump, never failing
kubectl_dump=$TMP/dump.json
jq -s '{apiVersion: "v1", kind: "List", items: .}' \
    <(jq '.request.object' "$DATA/reviews/typical-denied.json") \
    <(jq '.request.object' "$DATA/reviews/typical-allowed.json") >"$kubectl_dump"
run --policy "$SRC/policies" --mode audit - <"$kubectl_dump"
check "audit mode exits 0" 0 "$status"
contains "audit summary by rule" "by rule: pinnedTags=1 runAsNonRoot=1 probes=1" "$TMP/out"
contains "audit summary by namespace" "by namespace: shop=3" "$TMP/out"
contains "audit summary by kind" "by kind: Pod=3" "$TMP/out"
contains "audit findings are warnings" "warn  [pinnedTags]" "$TMP/out"

# AdmissionReviews get the webhook's answer, same uid and apiVersion
for f in typical-allowed typical-denied typical-v1beta1; do
    run --policy "$SRC/policies" "$DATA/reviews/$f.json"
    check "$f: uid" "$(jq -r .request.uid "$DATA/reviews/$f.json")" "$(jq -r .response.uid "$TMP/out")"
    check "$f: apiVersion" "$(jq -r .apiVersion "$DATA/reviews/$f.json")" "$(jq -r .apiVersion "$TMP/out")"
done
run --policy "$SRC/policies" "$DATA/reviews/typical-denied.json"
check "denied review exits 1" 1 "$status"
check "denied review code" 403 "$(jq .response.status.code "$TMP/out")"

# --fix: YAML in, YAML out; the fixed manifests pass what was fixed
run --policy "$DATA/cli/mutate-policy.yaml" "$DATA/cli/fixable.yaml"
check "fixable: the mutate stage fixes it" 0 "$status"
contains "fixable: fixes are reported" "fixed [runAsNonRoot]" "$TMP/out"
run --policy "$DATA/cli/mutate-policy.yaml" --fix "$DATA/cli/fixable.yaml"
check "--fix exit status" 0 "$status"
cp "$TMP/out" "$TMP/fixed.yaml"
contains "--fix keeps YAML" "kind: Deployment" "$TMP/fixed.yaml"
contains "--fix keeps the Service" "kind: Service" "$TMP/fixed.yaml"
contains "--fix keeps string typing" 'value: "true"' "$TMP/fixed.yaml"
run --policy "$SRC/policies" --output json "$TMP/fixed.yaml"
check "fixed manifest: runAsNonRoot passes" 0 \
    "$(jq '[.objects[].findings[] | select(.rule=="runAsNonRoot")] | length' "$TMP/out")"
check "fixed manifest: probes pass" 0 \
    "$(jq '[.objects[].findings[] | select(.rule=="probes")] | length' "$TMP/out")"
run --policy "$DATA/cli/mutate-policy.yaml" --fix "$TMP/fixed.yaml"
check "--fix twice changes nothing" "$(cat "$TMP/fixed.yaml")" "$(cat "$TMP/out")"
# JSON in, JSON out
# --fix applies every fix but judges by the policy: an audit finding with no
# fix (hostNetwork) still only warns, and the exit status says allowed.
run --policy "$DATA/cli/fix-audit-policy.yaml" --fix "$DATA/cli/hostnetwork.yaml"
check "--fix with an audit rule: exit" 0 "$status"
contains "--fix with an audit rule: fixed" "runAsNonRoot: true" "$TMP/out"
contains "--fix with an audit rule: it warns" "warn  [hostNamespaces]" "$TMP/err"
contains "--fix with an audit rule: the fix is reported" "fixed [runAsNonRoot]" "$TMP/err"
"$TOLLGATE" check --policy "$DATA/cli/mutate-policy.yaml" --fix <(jq '.request.object | del(.spec.securityContext)' "$DATA/reviews/typical-allowed.json") >"$TMP/fixed.json" 2>"$TMP/err"
check "--fix JSON in, JSON out" true "$(jq '.spec.containers[0].securityContext.runAsNonRoot' "$TMP/fixed.json")"

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
