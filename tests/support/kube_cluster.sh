#!/usr/bin/env bash
# kube_cluster.sh -- a real kube-apiserver (tests/e2e/cluster.sh) for check_kube_live.c.
#
#   kube_cluster.sh run DIR      start etcd and kube-apiserver on 127.0.0.1, write
#                                DIR/env (KEY=VALUE lines: KUBECONFIG, URL, PORT, TOKEN,
#                                CA, ETCD), then wait; SIGTERM (or the lifetime below)
#                                stops both and removes their data.  DIR/failed
#                                appears instead of DIR/env when the start fails.
#   kube_cluster.sh compact DIR  write a key to etcd and compact at the new revision:
#                                every continue token the API server has handed out
#                                so far expires (its next page is 410 Gone)
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
# A test killed before it could say stop must not leave a control plane behind.
lifetime=900

die() {
    echo "kube_cluster: $*" >&2
    exit 2
}

env_value() { # DIR KEY
    sed -n "s/^$2=//p" "$1/env"
}

run() {
    local dir=$1 sleeper=''
    # shellcheck source=../e2e/cluster.sh
    source "$here/../e2e/cluster.sh"
    if ! cluster_start; then
        touch "$dir/failed"
        exit 1
    fi
    # cluster.sh's own EXIT trap, plus the sleeper below; without errexit,
    # which would stop cluster_stop at its first `wait` for a killed process
    trap 'set +e; [ -n "$sleeper" ] && kill "$sleeper" 2>/dev/null; cluster_stop' EXIT
    {
        echo "KUBECONFIG=$KUBECONFIG"
        echo "URL=$CLUSTER_URL"
        echo "PORT=${CLUSTER_URL##*:}"
        echo "TOKEN=$CLUSTER_TOKEN"
        echo "CA=$CLUSTER_DIR/pki/apiserver.crt"
        echo "ETCD=$CLUSTER_ETCD_URL"
    } >"$dir/env.tmp"
    mv "$dir/env.tmp" "$dir/env"
    sleep "$lifetime" &
    sleeper=$!
    wait "$sleeper" || true
}

compact() {
    local dir=$1 etcd key rev
    etcd=$(env_value "$dir" ETCD)
    key=$(printf 'tollgate-test-bump' | base64) # etcd's JSON gateway wants base64
    curl -fsS -X POST "$etcd/v3/kv/put" -d "{\"key\":\"$key\",\"value\":\"MQ==\"}" >/dev/null
    rev=$(curl -fsS -X POST "$etcd/v3/kv/range" -d "{\"key\":\"$key\"}" |
        python3 -c 'import json, sys; print(json.load(sys.stdin)["header"]["revision"])')
    curl -fsS -X POST "$etcd/v3/kv/compaction" -d "{\"revision\":\"$rev\",\"physical\":true}" \
        >/dev/null
}

case "${1:-}" in
run | compact)
    [ -d "${2:-}" ] || die "usage: $0 run|compact DIR (DIR must exist)"
    "$1" "$2"
    ;;
*)
    die "usage: $0 run|compact DIR"
    ;;
esac
