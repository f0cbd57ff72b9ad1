#!/usr/bin/env bash
# Evasion attempts a rule must still catch, through the real server: the
# same image spelled other ways, containers where a careless reader would
# not look, and security settings that contradict each other.  Each case
# asserts the exact answer; the controls (same image, allowed spelling)
# show the rule is not simply denying everything.
# shellcheck source=tests/integration/lib_server.sh
source "$(dirname "$0")/lib_server.sh"
EV=$SRC/tests/data/evasion

make_certs "$TMP/certs"
mkdir -p "$TMP/ev"
python3 "$EV/generate.py" "$TMP/ev" || exit 1

# expect CASE ALLOWED [MESSAGE]: on /validate, with the whole deny message
expect() {
    local status
    status=$(post /validate "$TMP/ev/$1.json")
    check "$1: verdict" "200 $2" "$status $(jqb .response.allowed)"
    if [ "$2" == false ]; then
        check "$1: message" "$3" "$(jqb .response.status.message)"
    else
        check "$1: no warnings" "" "$(jqb '.response.warnings // [] | .[]')"
    fi
}

# registries: "ghcr.io/acme, localhost:5000"; runAsNonRoot and pinnedTags enforced
cp "$EV/policy_registries.yaml" "$TMP/policy.yaml"
start_server
registry_denial() { # IMAGE NORMALISED
    printf '%s\n%s' "tollgate: Pod team/web has 1 violation of 1 rule:" \
        "- [allowedRegistries] container \"app\" (/spec/containers/0/image): image \"$1\" ($2) is not from an allowed registry (ghcr.io/acme, localhost:5000); use an image from one of them, or mirror it there"
}
expect compliant true
# registry hosts are case-insensitive: uppercase is the same registry...
expect host-uppercase-allowed true
# ...and cannot smuggle another organisation or host past the prefix
expect host-uppercase-other-org false "$(registry_denial GHCR.IO/evil/app:1.0 ghcr.io/evil/app)"
expect org-prefix-not-boundary false \
    "$(registry_denial ghcr.io/acmecorp/app:1.0 ghcr.io/acmecorp/app)"
expect host-suffix false \
    "$(registry_denial ghcr.io.evil.example/acme/app:1.0 ghcr.io.evil.example/acme/app)"
expect host-port false "$(registry_denial ghcr.io:443/acme/app:1.0 ghcr.io:443/acme/app)"
# every spelling of Docker Hub's nginx is one name, and it is not allowed here
for c in hub-short:nginx:1.25 hub-library:docker.io/library/nginx:1.25 \
    hub-index:index.docker.io/nginx:1.25 hub-registry-1:registry-1.docker.io/library/nginx:1.25 \
    hub-uppercase:DOCKER.IO/nginx:1.25; do
    expect "${c%%:*}" false "$(registry_denial "${c#*:}" docker.io/library/nginx)"
done

# pinned by digest: allowed, and the misleading tag is a warning on /validate
status=$(post /validate "$TMP/ev/latest-with-digest.json")
check "latest-with-digest: allowed" "200 true" "$status $(jqb .response.allowed)"
check "latest-with-digest: one warning" 1 "$(jqb '.response.warnings | length')"
check "latest-with-digest: the warning" \
    '[tollgate] pinnedTags: container "app" (/spec/containers/0/image): image "ghcr.io/acme/app:latest@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef" is pinned by its digest, but the tag "latest" is misleading (the digest wins); dr...' \
    "$(jqb '.response.warnings[0]')"
check "latest-with-digest: on /mutate, allowed without a patch" "200 true null" \
    "$(post /mutate "$TMP/ev/latest-with-digest.json") $(jqb .response.allowed) $(jqb .response.patch)"
# ...but the same tag without the digest is denied, and so is no tag at all
tag_denial() { # CONTAINER-KIND NAME POINTER IMAGE PROBLEM SUGGESTED [KIND NAME]
    printf '%s\n%s' "tollgate: ${7:-Pod} ${8:-team/web} has 1 violation of 1 rule:" \
        "- [pinnedTags] $1 \"$2\" ($3): image \"$4\" $5; pin a version tag (\"$6:1.2.3\") or a digest (\"@sha256:...\")"
}
expect latest false "$(tag_denial container app /spec/containers/0/image \
    ghcr.io/acme/app:latest 'uses the mutable tag "latest"' ghcr.io/acme/app)"
expect no-tag false "$(tag_denial container app /spec/containers/0/image \
    ghcr.io/acme/app 'has no tag, so it means ":latest"' ghcr.io/acme/app)"
# localhost:5000 is a host and port: the image has no tag
expect port-not-tag false "$(tag_denial container app /spec/containers/0/image \
    localhost:5000/app 'has no tag, so it means ":latest"' localhost:5000/app)"
expect port-and-tag true

# containers where a careless reader would not look
expect init-container false "$(tag_denial initContainer setup /spec/initContainers/0/image \
    ghcr.io/acme/setup:latest 'uses the mutable tag "latest"' ghcr.io/acme/setup)"
expect cronjob-template false "$(tag_denial container job \
    /spec/jobTemplate/spec/template/spec/containers/0/image ghcr.io/acme/job:latest \
    'uses the mutable tag "latest"' ghcr.io/acme/job CronJob team/nightly)"
# kubectl debug: an UPDATE of pods/ephemeralcontainers adding a debugger
status=$(post /validate "$TMP/ev/ephemeral-container.json")
check "ephemeral-container: denied" "200 false" "$status $(jqb .response.allowed)"
msg=$(jqb .response.status.message)
check "ephemeral-container: three rules" "tollgate: Pod team/web has 3 violations of 3 rules:" "$(head -1 <<<"$msg")"
check_contains "ephemeral-container: runAsNonRoot" \
    '- [runAsNonRoot] ephemeralContainer "debugger" (/spec/ephemeralContainers/0/securityContext/runAsNonRoot)' "$msg"
check_contains "ephemeral-container: pinnedTags" \
    '- [pinnedTags] ephemeralContainer "debugger" (/spec/ephemeralContainers/0/image): image "busybox" has no tag' "$msg"
check_contains "ephemeral-container: allowedRegistries" \
    '- [allowedRegistries] ephemeralContainer "debugger" (/spec/ephemeralContainers/0/image): image "busybox" (docker.io/library/busybox) is not from an allowed registry' "$msg"

# contradicting security settings
root_uid="runAsUser is 0 (root), set at the %s level; use a non-zero UID such as 10001 (runAsNonRoot: true does not override it: the kubelet would refuse to start the container)"
root_denial() { # POINTER LEVEL
    # shellcheck disable=SC2059 # the format is root_uid
    printf '%s\n- [runAsNonRoot] container "app" (%s): %s' \
        "tollgate: Pod team/web has 1 violation of 1 rule:" "$1" "$(printf "$root_uid" "$2")"
}
expect nonroot-but-uid-0 false "$(root_denial /spec/containers/0/securityContext/runAsUser container)"
expect pod-user-container-uid-0 false \
    "$(root_denial /spec/containers/0/securityContext/runAsUser container)"
expect pod-level-uid-0 false "$(root_denial /spec/securityContext/runAsUser pod)"
expect pod-nonroot-container-root false "$(printf '%s\n%s' \
    "tollgate: Pod team/web has 1 violation of 1 rule:" \
    '- [runAsNonRoot] container "app" (/spec/containers/0/securityContext/runAsNonRoot): runAsNonRoot is false at the container level and no non-zero runAsUser is set; set runAsNonRoot: true and a non-zero runAsUser')"
stop_server

# only Docker Hub's official nginx: every spelling of it passes, near misses do not
cp "$EV/policy_hub.yaml" "$TMP/policy.yaml"
start_server
for c in hub-short hub-library hub-index hub-registry-1 hub-uppercase; do
    expect "$c" true
done
hub_denial() { # IMAGE NORMALISED
    printf '%s\n%s' "tollgate: Pod team/web has 1 violation of 1 rule:" \
        "- [allowedRegistries] container \"app\" (/spec/containers/0/image): image \"$1\" ($2) is not from an allowed registry (nginx); use an image from one of them, or mirror it there"
}
expect hub-longer-name false "$(hub_denial nginxx:1.25 docker.io/library/nginxx)"
expect hub-other-org false "$(hub_denial docker.io/evil/nginx:1.25 docker.io/evil/nginx)"
stop_server

# the container-hardening rules: wherever a setting hides, however it is spelled
cp "$EV/policy_hardening.yaml" "$TMP/policy.yaml"
start_server
# expect_lines CASE LINE...: denied on /validate, with exactly these finding lines
expect_lines() {
    local c=$1 msg line
    shift
    check "$c: verdict" "200 false" "$(post /validate "$TMP/ev/$c.json") $(jqb .response.allowed)"
    msg=$(jqb .response.status.message)
    check "$c: findings" "$#" "$(grep -c '^- \[' <<<"$msg")"
    for line in "$@"; do
        check_contains "$c: ${line:0:60}" "$line" "$msg"
    done
}
expect sc-compliant true
e0='ephemeralContainer "debugger" (/spec/ephemeralContainers/0/securityContext'
expect_lines sc-debug-sysadmin \
    "- [privileged] $e0/privileged): privileged is true" \
    "- [allowPrivilegeEscalation] $e0/privileged): privileged: true always allows privilege escalation" \
    "- [capabilities] $e0/capabilities/drop): capabilities.drop does not contain \"ALL\""
c0='container "app" (/spec/containers/0/securityContext'
for c in sc-caps-lowercase:sys_admin sc-caps-prefixed:CAP_SYS_ADMIN; do
    expect_lines "${c%%:*}" \
        "- [allowPrivilegeEscalation] $c0/capabilities/add/0): capability \"${c#*:}\" always allows privilege escalation" \
        "- [capabilities] $c0/capabilities/add/0): capability \"${c#*:}\" may not be added (allowed: none)"
done
expect_lines sc-drop-all-lowercase \
    "- [capabilities] $c0/capabilities/drop): capabilities.drop has \"all\": runtimes take it, but Pod Security Admission only counts \"ALL\" as written; write \"ALL\""
expect_lines sc-unconfined-override \
    "- [seccompProfile] $c0/seccompProfile/type): seccompProfile.type is \"Unconfined\" at the container level"
expect_lines sc-pod-level-container-fields \
    "- [allowPrivilegeEscalation] $c0/allowPrivilegeEscalation): allowPrivilegeEscalation is not set" \
    "- [capabilities] $c0/capabilities/drop): capabilities.drop does not contain \"ALL\""
stop_server
finish
