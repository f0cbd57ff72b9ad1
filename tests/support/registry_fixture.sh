#!/usr/bin/env bash
# registry_fixture.sh -- real OCI registries on 127.0.0.1 for the registry tests.
#
#   registry_fixture.sh start DIR        start everything, push the test images
#   registry_fixture.sh stop DIR [NAME]  stop one registry (plain, basic, token,
#                                        doomed, tokens) or all of them
#
# Debian's docker-registry (distribution 2.8), each instance on a random port
# with its own config and storage under DIR:
#   plain   HTTP, anonymous; every test image (see make_oci.py), plus "broken"
#           (config blob that is not JSON) and "numuser" (config.User a number)
#           pushed by hand, since no tool would build them
#   basic   HTTPS (CA in DIR/ca.crt), htpasswd basic auth alice:s3cret
#   token   HTTPS, bearer tokens from token_server.py (tokenuser:tokenpass)
#   doomed  HTTP, anonymous; a test stops it half-way
# Images are built as OCI layouts by make_oci.py and pushed with skopeo.
# DIR/env gets KEY=VALUE lines: PLAIN BASIC TOKEN DOOMED (host:port), CA,
# DOCKERCFG (credentials for basic and token), DIGEST_<image> (the digest
# each tag names), and the access logs are DIR/<name>.access.log; the
# token server appends a line per token to DIR/tokens.count.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
py=/usr/bin/python3 # Debian's, which has python3-jwt
# Every server dies by itself after this long, even if the test that
# started it was killed before it could say stop (timeout forwards stop's
# SIGTERM to the server, so the pid files name the timeout processes).
lifetime=900

die() {
    echo "registry_fixture: $*" >&2
    exit 2
}

check_tools() {
    local t
    for t in docker-registry skopeo htpasswd openssl curl "$py"; do
        command -v "$t" >/dev/null ||
            die "$t is missing (apt-get install docker-registry skopeo apache2-utils openssl curl python3-jwt python3-cryptography)"
    done
    "$py" -c 'import jwt, cryptography' 2>/dev/null ||
        die "python3-jwt and python3-cryptography are needed (apt-get install python3-jwt python3-cryptography)"
}

make_certs() {
    local d=$1
    openssl req -x509 -newkey rsa:2048 -nodes -keyout "$d/ca.key" -out "$d/ca.crt" \
        -days 2 -subj /CN=tollgate-test-ca 2>/dev/null
    openssl req -newkey rsa:2048 -nodes -keyout "$d/server.key" -out "$d/server.csr" \
        -subj /CN=127.0.0.1 2>/dev/null
    printf 'subjectAltName=IP:127.0.0.1\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n' \
        >"$d/server.ext"
    openssl x509 -req -in "$d/server.csr" -CA "$d/ca.crt" -CAkey "$d/ca.key" \
        -CAcreateserial -out "$d/server.crt" -days 2 -extfile "$d/server.ext" 2>/dev/null
    openssl req -x509 -newkey rsa:2048 -nodes -keyout "$d/token.key" -out "$d/token.crt" \
        -days 2 -subj /CN=tollgate-token-signer 2>/dev/null
}

# wait_for FILE PATTERN: until FILE has a line matching PATTERN (10 s).
wait_for() {
    local _
    for _ in $(seq 100); do
        if [ -s "$1" ] && grep -q "$2" "$1"; then
            return 0
        fi
        sleep 0.1
    done
    die "timed out waiting for $2 in $1"
}

# start_registry DIR NAME TLS(0|1) AUTH-YAML: prints host:port.
start_registry() {
    local d=$1 name=$2 tls=$3 auth=$4 port
    mkdir -p "$d/storage-$name"
    {
        printf 'version: 0.1\nlog:\n  level: info\n  formatter: text\n'
        printf '  accesslog:\n    disabled: false\n'
        printf 'storage:\n  filesystem:\n    rootdirectory: %s\n' "$d/storage-$name"
        printf 'http:\n  addr: 127.0.0.1:0\n  secret: tollgate-test\n'
        if [ "$tls" = 1 ]; then
            printf '  tls:\n    certificate: %s\n    key: %s\n' "$d/server.crt" "$d/server.key"
        fi
        printf '%s' "$auth"
    } >"$d/$name.yml"
    timeout "$lifetime" docker-registry serve "$d/$name.yml" >"$d/$name.access.log" \
        2>"$d/$name.log" &
    echo $! >"$d/$name.pid"
    wait_for "$d/$name.log" 'listening on 127.0.0.1:'
    port=$(sed -n 's/.*listening on 127\.0\.0\.1:\([0-9]*\).*/\1/p' "$d/$name.log" | head -n1)
    echo "127.0.0.1:$port"
}

push() { # DIR IMAGE HOST [skopeo args...]
    local d=$1 image=$2 host=$3
    shift 3
    skopeo --insecure-policy copy --quiet --all --preserve-digests --dest-tls-verify=false "$@" \
        "oci:$d/oci/$image:1.0" "docker://$host/$image:1.0" >/dev/null
}

upload_blob() { # HOST REPO FILE
    local host=$1 repo=$2 file=$3 digest loc sep
    digest=sha256:$(sha256sum <"$file" | cut -d' ' -f1)
    loc=$(curl -sfi -X POST "http://$host/v2/$repo/blobs/uploads/" | tr -d '\r' |
        awk 'tolower($1) == "location:" { print $2 }')
    case $loc in http*) ;; *) loc="http://$host$loc" ;; esac
    sep='?'
    case $loc in *\?*) sep='&' ;; esac
    curl -sf -X PUT -H 'Content-Type: application/octet-stream' --data-binary "@$file" \
        "$loc${sep}digest=$digest" >/dev/null
    echo "$digest $(wc -c <"$file")"
}

# An image no builder would make: a config blob of our choosing.
push_odd_image() { # DIR HOST REPO CONFIG-TEXT
    local d=$1 host=$2 repo=$3 cfg ldigest lsize cdigest csize layer
    printf '%s' "$4" >"$d/$repo.config"
    layer=$(find "$d/oci/uid/blobs/sha256" -type f -size -200c -exec sh -c \
        'gzip -t "$1" 2>/dev/null && echo "$1"' _ {} \; | head -n1)
    read -r ldigest lsize < <(upload_blob "$host" "$repo" "$layer")
    read -r cdigest csize < <(upload_blob "$host" "$repo" "$d/$repo.config")
    cfg='{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json",'
    cfg+="\"config\":{\"mediaType\":\"application/vnd.oci.image.config.v1+json\",\"digest\":\"$cdigest\",\"size\":$csize},"
    cfg+="\"layers\":[{\"mediaType\":\"application/vnd.oci.image.layer.v1.tar+gzip\",\"digest\":\"$ldigest\",\"size\":$lsize}]}"
    curl -sf -X PUT -H 'Content-Type: application/vnd.oci.image.manifest.v1+json' \
        --data-binary "$cfg" "http://$host/v2/$repo/manifests/1.0" >/dev/null
}

start() {
    local d=$1 plain basic token doomed tport name digest user
    check_tools
    mkdir -p "$d/oci"
    make_certs "$d"
    "$py" "$here/make_oci.py" "$d/oci" >"$d/images"
    htpasswd -Bbn alice s3cret >"$d/htpasswd" 2>/dev/null
    : >"$d/tokens.count"
    timeout "$lifetime" "$py" "$here/token_server.py" "$d/tokens.port" "$d/token.key" "$d/token.crt" \
        tollgate-test-issuer tollgate-test tokenuser:tokenpass "$d/tokens.count" \
        2>"$d/tokens.log" &
    echo $! >"$d/tokens.pid"
    for _ in $(seq 100); do
        [ -s "$d/tokens.port" ] && break
        sleep 0.1
    done
    [ -s "$d/tokens.port" ] || die "the token server did not start: $(cat "$d/tokens.log")"
    tport=$(cat "$d/tokens.port")

    plain=$(start_registry "$d" plain 0 '')
    doomed=$(start_registry "$d" doomed 0 '')
    basic=$(start_registry "$d" basic 1 "$(printf 'auth:\n  htpasswd:\n    realm: tollgate-test\n    path: %s\n' "$d/htpasswd")")
    token=$(start_registry "$d" token 1 "$(printf 'auth:\n  token:\n    realm: http://127.0.0.1:%s/token\n    service: tollgate-test\n    issuer: tollgate-test-issuer\n    rootcertbundle: %s\n' "$tport" "$d/token.crt")")

    while read -r name digest user; do
        push "$d" "$name" "$plain"
        echo "DIGEST_$name=$digest"
        echo "USER_$name=$user"
    done <"$d/images" >"$d/env.images"
    push "$d" uid "$doomed"
    push "$d" uid "$basic" --dest-creds alice:s3cret
    push "$d" named "$token" --dest-creds tokenuser:tokenpass
    push "$d" multi "$token" --dest-creds tokenuser:tokenpass
    push_odd_image "$d" "$plain" broken 'this is { not JSON'
    push_odd_image "$d" "$plain" numuser '{"architecture":"amd64","os":"linux","config":{"User":1000}}'

    printf '{"auths":{"%s":{"auth":"%s"},"%s":{"username":"tokenuser","password":"tokenpass"}}}\n' \
        "$basic" "$(printf alice:s3cret | base64)" "$token" >"$d/dockercfg.json"
    {
        echo "PLAIN=$plain"
        echo "BASIC=$basic"
        echo "TOKEN=$token"
        echo "DOOMED=$doomed"
        echo "TOKEN_SERVER=127.0.0.1:$tport"
        echo "CA=$d/ca.crt"
        echo "DOCKERCFG=$d/dockercfg.json"
        cat "$d/env.images"
    } >"$d/env.tmp"
    mv "$d/env.tmp" "$d/env"
}

stop_one() { # DIR NAME
    local pidfile="$1/$2.pid" pid
    [ -f "$pidfile" ] || return 0
    pid=$(cat "$pidfile")
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 50); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
    rm -f "$pidfile"
}

stop() {
    local d=$1 name
    shift
    if [ $# -gt 0 ]; then
        stop_one "$d" "$1"
        return
    fi
    for name in plain basic token doomed tokens; do
        stop_one "$d" "$name"
    done
}

[ $# -ge 2 ] || die "usage: $0 start|stop DIR [NAME]"
cmd=$1
shift
case $cmd in
start) start "$@" ;;
stop) stop "$@" ;;
*) die "unknown command $cmd" ;;
esac
