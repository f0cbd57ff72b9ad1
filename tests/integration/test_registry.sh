#!/usr/bin/env bash
# Registry-aware rules from the command line and through the server, against
# real registries on 127.0.0.1 (Debian's docker-registry, images pushed with
# skopeo by tests/support/registry_fixture.sh): digests named and pinned,
# the image's own USER judged, credentials used, and a registry that is gone.
# shellcheck source=tests/integration/lib_server.sh
source "$(dirname "$0")/lib_server.sh"

REG=$TMP/registries
bash "$SRC/tests/support/registry_fixture.sh" start "$REG" >"$TMP/fixture.log" 2>&1 ||
    { cat "$TMP/fixture.log"; echo "FAIL: the registries did not start"; exit 1; }
# shellcheck disable=SC2064 # expand now: TMP is fixed
trap "bash \"$SRC/tests/support/registry_fixture.sh\" stop \"$REG\"; cleanup" EXIT
# shellcheck source=/dev/null
source "$REG/env"
: "${DIGEST_uid:?}" "${DIGEST_multi:?}" "${PLAIN:?}" "${DOOMED:?}" "${TOKEN_SERVER:?}"
RDATA=$SRC/tests/data/registry

# pod IMAGE [SECURITY-CONTEXT-JSON]: a Pod manifest using IMAGE
pod() {
    jq -n --arg image "$1" --argjson sc "${2:-{\}}" '{apiVersion: "v1", kind: "Pod",
        metadata: {name: "p", namespace: "shop"},
        spec: {securityContext: $sc, containers: [{name: "app", image: $image}]}}'
}
# No CLI check here is about the lookup budget, so it is generous: under
# valgrind on a busy machine the token flow (two TLS servers) took over the
# default 2 s.
tg_check() { # tg_check POLICY FILE [flags...]: stdout in $TMP/out, status in $status
    local policy=$1 file=$2
    shift 2
    "$TOLLGATE" check --policy "$RDATA/$policy" --registry-insecure "$PLAIN,$DOOMED" \
        --registry-timeout 20000 "$@" "$file" >"$TMP/out" 2>"$TMP/err"
    status=$?
}

# --- the CLI: requireDigest names the digest the tag has today
pod "$PLAIN/uid:1.0" >"$TMP/pod.json"
tg_check policy-require.yaml "$TMP/pod.json"
check "requireDigest: denied" 1 "$status"
check_contains "requireDigest: names the digest" "pin it as \"$PLAIN/uid:1.0@$DIGEST_uid\"" "$(cat "$TMP/out")"

# --fix pins the tag to the index digest of a multi-platform image
pod "$PLAIN/multi:1.0" >"$TMP/pod.json"
tg_check policy-pin.yaml "$TMP/pod.json" --fix
check "resolveDigest --fix: exit" 0 "$status"
check "resolveDigest --fix: pinned to the index" "$PLAIN/multi:1.0@$DIGEST_multi" \
    "$(jq -r '.spec.containers[0].image' "$TMP/out")"

# checkImageUser: the image's USER decides when the pod sets no runAsUser
for row in "root 1" "unset 1" "uid 0" "named 1"; do
    read -r image want <<<"$row"
    pod "$PLAIN/$image:1.0" '{"runAsNonRoot": true}' >"$TMP/pod.json"
    tg_check policy-user.yaml "$TMP/pod.json"
    check "checkImageUser $image: exit" "$want" "$status"
done
check_contains "checkImageUser named: says why" "cannot verify as non-root" "$(cat "$TMP/out")"
pod "$PLAIN/root:1.0" '{"runAsNonRoot": true, "runAsUser": 1000}' >"$TMP/pod.json"
tg_check policy-user.yaml "$TMP/pod.json"
check "checkImageUser: an explicit runAsUser wins" 0 "$status"
# --offline makes no lookup, and onLookupFailure: deny says so
pod "$PLAIN/uid:1.0" '{"runAsNonRoot": true}' >"$TMP/pod.json"
tg_check policy-user.yaml "$TMP/pod.json" --offline
check "offline: denied by onLookupFailure deny" 1 "$status"
check_contains "offline: says no lookup was made" "no registry lookup was made" "$(cat "$TMP/out")"
# credentials from a dockerconfigjson file, over TLS with the test CA
pod "$BASIC/uid:1.0" '{"runAsNonRoot": true}' >"$TMP/pod.json"
tg_check policy-user.yaml "$TMP/pod.json" --registry-auth-file "$DOCKERCFG" --registry-ca-file "$CA"
check "basic auth over TLS: USER 1000 allowed" 0 "$status"
pod "$TOKEN/named:1.0" '{"runAsNonRoot": true}' >"$TMP/pod.json"
# the test's token server speaks plain HTTP, so it must be listed as insecure
tg_check policy-user.yaml "$TMP/pod.json" --registry-auth-file "$DOCKERCFG" --registry-ca-file "$CA" \
    --registry-insecure "$TOKEN_SERVER"
check "token auth over TLS: named user denied" 1 "$status"
check_contains "token auth: the USER was read" '"appuser"' "$(cat "$TMP/out")"

# --- the server: /mutate pins the digest; a registry that is gone
make_certs "$TMP/certs"
cp "$RDATA/policy-pin.yaml" "$TMP/policy.yaml"
start_server --registry-insecure "$PLAIN,$DOOMED" --registry-timeout 1000
pod "$PLAIN/uid:1.0" | jq '{apiVersion: "admission.k8s.io/v1", kind: "AdmissionReview",
    request: {uid: "r-1", kind: {group: "", version: "v1", kind: "Pod"}, namespace: "shop",
              operation: "CREATE", object: .}}' >"$TMP/review.json"
check "server /mutate: status" 200 "$(post /mutate "$TMP/review.json")"
check "server /mutate: pins the image" \
    "[{\"op\":\"replace\",\"path\":\"/spec/containers/0/image\",\"value\":\"$PLAIN/uid:1.0@$DIGEST_uid\"}]" \
    "$(jqb .response.patch | base64 -d)"
stop_server

cp "$RDATA/policy-user.yaml" "$TMP/policy.yaml"
# no caching, so the second request asks the registry again
start_server --registry-insecure "$PLAIN,$DOOMED" --registry-timeout 1000 \
    --registry-cache-ttl 0 --registry-error-ttl 0
pod "$DOOMED/uid:1.0" '{"runAsNonRoot": true}' | jq '{apiVersion: "admission.k8s.io/v1",
    kind: "AdmissionReview", request: {uid: "r-2", kind: {group: "", version: "v1", kind: "Pod"},
    namespace: "shop", operation: "CREATE", object: .}}' >"$TMP/review.json"
post /validate "$TMP/review.json" >/dev/null
check "registry up: allowed" true "$(jqb .response.allowed)"
bash "$SRC/tests/support/registry_fixture.sh" stop "$REG" doomed
post /validate "$TMP/review.json" >/dev/null
check "registry gone, onLookupFailure deny: denied" false "$(jqb .response.allowed)"
check_contains "registry gone: says the USER could not be checked" "cannot check the USER" "$(jqb .response.status.message)"
check "registry gone: the server still answers /healthz" 200 "$(get /healthz)"
stop_server

finish
