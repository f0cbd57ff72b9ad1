# shellcheck shell=bash
# lib_cluster.sh -- a fake Kubernetes API server for the audit tests (sourced).
#
# Starts tests/support/fake_cluster.py on a free 127.0.0.1 port, writes a
# kubeconfig for it (bearer token), and loads the fixture cluster of
# tests/data/audit into it; and the tests' check helpers.  Needs curl, jq
# and Debian's python3.  The caller sets TMP (a directory removed on exit)
# and traps cluster_cleanup.
# Env: SRC (source tree).

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
        tail -n 20 "$3" | sed 's/^/    /'
    fi
}

# wait_for DESCRIPTION CMD...: poll CMD every 0.2 s, at most 60 s (a bound
# on waiting, not a timed assertion).
wait_for() {
    local desc=$1
    shift
    for _ in $(seq 300); do
        "$@" && return 0
        sleep 0.2
    done
    failed=$((failed + 1))
    echo "FAIL waiting for $desc"
    return 1
}

CLUSTER_PID=
CLUSTER_URL=
KUBECONFIG_FILE=

cluster_cleanup() {
    if [ -n "$CLUSTER_PID" ]; then
        kill "$CLUSTER_PID" 2>/dev/null
        wait "$CLUSTER_PID" 2>/dev/null
        CLUSTER_PID=
    fi
}

# cluster_start: the fake API server, its kubeconfig in $KUBECONFIG_FILE.
cluster_start() {
    local portfile=$TMP/cluster.port port
    /usr/bin/python3 "$SRC/tests/support/fake_cluster.py" "$portfile" --token audit-token \
        2>"$TMP/cluster.log" &
    CLUSTER_PID=$!
    for _ in $(seq 1 100); do
        [ -s "$portfile" ] && break
        sleep 0.1
    done
    [ -s "$portfile" ] || { echo "FAIL: the fake API server did not start"; cat "$TMP/cluster.log"; exit 1; }
    port=$(cat "$portfile")
    CLUSTER_URL=http://127.0.0.1:$port
    KUBECONFIG_FILE=$TMP/kubeconfig
    cat >"$KUBECONFIG_FILE" <<EOF
apiVersion: v1
kind: Config
clusters:
  - name: fake
    cluster: {server: "$CLUSTER_URL"}
users:
  - name: auditor
    user: {token: audit-token}
contexts:
  - name: fake
    context: {cluster: fake, user: auditor}
current-context: fake
EOF
}

# cluster_control METHOD WHAT [JSON]: the fake's /_control/WHAT.
cluster_control() {
    if [ $# -ge 3 ]; then
        curl -sf -X "$1" -H 'Content-Type: application/json' --data-binary "$3" \
            "$CLUSTER_URL/_control/$2"
    else
        curl -sf -X "$1" "$CLUSTER_URL/_control/$2"
    fi
}

# cluster_load_fixture: the objects of tests/data/audit, as created by kubectl.
cluster_load_fixture() {
    local f objects=()
    for f in deployments replicasets pods cronjobs jobs; do
        objects+=("$(jq -c --arg f "$f" '.kind as $k | .apiVersion as $a | .items
            | map(. + {kind: ($k | rtrimstr("List")),
                       apiVersion: (if $f == "cronjobs" then "batch/v1beta1" else $a end)}
                  | del(.metadata.resourceVersion))' "$SRC/tests/data/audit/$f.json")")
    done
    cluster_control POST objects "$(printf '%s\n' "${objects[@]}" | jq -cs 'add')" >/dev/null
}

# cluster_faults JSON: answer the next matching requests with these rules.
cluster_faults() {
    cluster_control DELETE faults >/dev/null
    cluster_control POST faults "$1" >/dev/null
}
