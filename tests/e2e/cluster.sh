#!/usr/bin/env bash
# cluster.sh -- a throw-away Kubernetes control plane on 127.0.0.1 for admission tests:
# etcd plus kube-apiserver (admission webhooks on), no scheduler, no controller manager,
# no kubelet. Objects are stored and admitted, never run.
#
# As a library (what test_e2e.sh does):
#   source tests/e2e/cluster.sh
#   cluster_start          # sets KUBECONFIG, CLUSTER_DIR, CLUSTER_URL; traps EXIT to stop
#   kubectl get ns
#   cluster_stop           # also runs from the EXIT trap
# As a command, for poking around by hand:
#   tests/e2e/cluster.sh up    # runs until Ctrl-C, prints the KUBECONFIG to use
#
# Ports are picked at random among free ones (never etcd's 2379/2380 or 6443), data
# lives in a temporary directory that cluster_stop removes (set CLUSTER_KEEP=1 to
# keep it with the logs). Tools come from kube-tools.sh (built and cached on first use).

CLUSTER_E2E_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

cluster_log() { printf 'cluster: %s\n' "$*" >&2; }

# free_port: a random TCP port on 127.0.0.1 that nothing listens on now,
# below the kernel's ephemeral range (ip_local_port_range), so no outgoing
# connection -- the API server has many to etcd -- can take it before the
# server that is meant to listen on it starts.
cluster_free_port() {
    local port _ low
    read -r low _ </proc/sys/net/ipv4/ip_local_port_range
    [ "$low" -gt 12000 ] || low=32768
    for _ in $(seq 1 50); do
        port=$((10000 + RANDOM % (low - 10000)))
        if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
            echo "$port"
            return 0
        fi
    done
    cluster_log "no free port found"
    return 1
}

# cluster_wait TIMEOUT_S DESC CMD...: poll CMD every 0.2 s until it succeeds.
cluster_wait() {
    local timeout=$1 desc=$2 deadline
    shift 2
    deadline=$((SECONDS + timeout))
    until "$@" >/dev/null 2>&1; do
        if [ $SECONDS -ge $deadline ]; then
            cluster_log "timed out after ${timeout}s waiting for $desc"
            return 1
        fi
        sleep 0.2
    done
}

cluster_tools() {
    local env
    if [ -z "${KUBE_APISERVER:-}" ] || [ -z "${ETCD:-}" ] || [ -z "${KUBECTL:-}" ]; then
        env=$("$CLUSTER_E2E_DIR/kube-tools.sh") || return 1
        eval "$env"
    fi
    export KUBE_APISERVER ETCD KUBECTL HELM
}

cluster_start_etcd() {
    local client peer
    client=$(cluster_free_port) && peer=$(cluster_free_port) || return 1
    CLUSTER_ETCD_URL=http://127.0.0.1:$client
    "$ETCD" --name e2e --data-dir "$CLUSTER_DIR/etcd" \
        --listen-client-urls "$CLUSTER_ETCD_URL" --advertise-client-urls "$CLUSTER_ETCD_URL" \
        --listen-peer-urls "http://127.0.0.1:$peer" \
        --initial-advertise-peer-urls "http://127.0.0.1:$peer" \
        --initial-cluster "e2e=http://127.0.0.1:$peer" \
        --logger zap --log-level warn >"$CLUSTER_DIR/etcd.log" 2>&1 &
    CLUSTER_ETCD_PID=$!
    cluster_wait 30 "etcd on $CLUSTER_ETCD_URL" curl -fsS "$CLUSTER_ETCD_URL/health" || {
        tail -n 20 "$CLUSTER_DIR/etcd.log" >&2
        return 1
    }
}

cluster_start_apiserver() {
    local port
    port=$(cluster_free_port) || return 1
    CLUSTER_URL=https://127.0.0.1:$port
    CLUSTER_TOKEN=$(openssl rand -hex 16)
    printf '%s,e2e-admin,e2e-admin-uid,system:masters\n' "$CLUSTER_TOKEN" \
        >"$CLUSTER_DIR/tokens.csv"
    # One RSA key both signs and verifies service-account tokens.
    openssl genrsa -out "$CLUSTER_DIR/sa.key" 2048 2>/dev/null || return 1
    # ServiceAccount admission is off: no controller manager creates the
    # default service accounts it would insist on.
    "$KUBE_APISERVER" \
        --etcd-servers="$CLUSTER_ETCD_URL" \
        --bind-address=127.0.0.1 --advertise-address=127.0.0.1 \
        --secure-port="$port" --insecure-port=0 \
        --cert-dir="$CLUSTER_DIR/pki" \
        --token-auth-file="$CLUSTER_DIR/tokens.csv" \
        --authorization-mode=RBAC \
        --service-account-issuer=https://kubernetes.default.svc.cluster.local \
        --service-account-key-file="$CLUSTER_DIR/sa.key" \
        --service-account-signing-key-file="$CLUSTER_DIR/sa.key" \
        --service-cluster-ip-range=10.96.0.0/16 \
        --enable-admission-plugins=MutatingAdmissionWebhook,ValidatingAdmissionWebhook \
        --disable-admission-plugins=ServiceAccount \
        --allow-privileged=true \
        >"$CLUSTER_DIR/apiserver.log" 2>&1 &
    CLUSTER_APISERVER_PID=$!
    cluster_wait 90 "kube-apiserver /readyz on $CLUSTER_URL" \
        curl -fsSk -H "Authorization: Bearer $CLUSTER_TOKEN" "$CLUSTER_URL/readyz" || {
        tail -n 30 "$CLUSTER_DIR/apiserver.log" >&2
        return 1
    }
}

cluster_write_kubeconfig() {
    KUBECONFIG=$CLUSTER_DIR/kubeconfig
    local k=("$KUBECTL" --kubeconfig "$KUBECONFIG")
    # The API server made its own self-signed serving certificate; trust exactly it.
    "${k[@]}" config set-cluster e2e --server "$CLUSTER_URL" \
        --certificate-authority "$CLUSTER_DIR/pki/apiserver.crt" --embed-certs=true >/dev/null &&
        "${k[@]}" config set-credentials e2e-admin --token "$CLUSTER_TOKEN" >/dev/null &&
        "${k[@]}" config set-context e2e --cluster e2e --user e2e-admin >/dev/null &&
        "${k[@]}" config use-context e2e >/dev/null || return 1
    chmod 600 "$KUBECONFIG"
    export KUBECONFIG
}

# cluster_start: bring everything up; on failure stop what did start and return 1.
cluster_start() {
    cluster_tools || return 1
    CLUSTER_DIR=$(mktemp -d "${TMPDIR:-/tmp}/tollgate-e2e.XXXXXX") || return 1
    trap cluster_stop EXIT
    trap 'exit 130' INT TERM
    if ! cluster_start_etcd || ! cluster_start_apiserver || ! cluster_write_kubeconfig; then
        cluster_stop
        return 1
    fi
    # The default namespace is made by a controller loop just after /readyz.
    cluster_wait 30 "namespace default" "$KUBECTL" get namespace default || {
        cluster_stop
        return 1
    }
    cluster_log "up: $CLUSTER_URL (logs and kubeconfig in $CLUSTER_DIR)"
}

cluster_stop() {
    local pid
    for pid in ${CLUSTER_APISERVER_PID:-} ${CLUSTER_ETCD_PID:-}; do
        kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
    done
    CLUSTER_APISERVER_PID='' CLUSTER_ETCD_PID=''
    if [ -n "${CLUSTER_DIR:-}" ] && [ -d "$CLUSTER_DIR" ]; then
        if [ "${CLUSTER_KEEP:-0}" = 1 ]; then
            cluster_log "kept $CLUSTER_DIR"
        else
            rm -rf "$CLUSTER_DIR"
        fi
    fi
    CLUSTER_DIR=
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
    set -euo pipefail
    case "${1:-}" in
    up)
        cluster_start
        echo "export KUBECONFIG=$KUBECONFIG"
        echo "cluster: running; Ctrl-C stops it and removes its data" >&2
        while kill -0 "$CLUSTER_APISERVER_PID" 2>/dev/null; do sleep 1; done
        cluster_log "kube-apiserver exited; see its log above"
        CLUSTER_KEEP=1
        exit 1
        ;;
    *)
        echo "usage: $0 up   (or source it and call cluster_start / cluster_stop)" >&2
        exit 2
        ;;
    esac
fi
