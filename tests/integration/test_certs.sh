#!/usr/bin/env bash
# test_certs.sh -- certs/tollgate-certs: options, SANs, key types, file
# modes, refusing to clobber, the printed CA bundle, client and expired
# certificates.  Every check runs; the script exits 1 if any failed.
set -euo pipefail

SRC=${SRC:-$(cd "$(dirname "$0")/../.." && pwd)}
script=$SRC/certs/tollgate-certs
tmp=$(mktemp -d /tmp/test_certs.XXXXXX)
trap 'rm -rf -- "$tmp"' EXIT

failures=0
checks=0
ok() { checks=$((checks + 1)); }
fail() {
    checks=$((checks + 1))
    failures=$((failures + 1))
    printf 'FAIL: %s\n' "$*" >&2
}
# check DESCRIPTION COMMAND...: the command must succeed
check() {
    local what=$1
    shift
    if "$@" >"$tmp/out" 2>&1; then ok; else fail "$what: $(head -c 500 "$tmp/out")"; fi
}
# refute DESCRIPTION COMMAND...: the command must fail
refute() {
    local what=$1
    shift
    if "$@" >"$tmp/out" 2>&1; then fail "$what: succeeded"; else ok; fi
}
mode() { stat -c %a "$1"; }
expect_eq() { # expect_eq DESCRIPTION GOT WANT
    if [[ $2 == "$3" ]]; then ok; else fail "$1: got '$2', want '$3'"; fi
}
# run_gen DIR ARGS...: run the script; stdout in DIR.stdout, stderr in DIR.stderr
run_gen() {
    local dir=$1
    shift
    "$script" --out "$dir" "$@" >"$dir.stdout" 2>"$dir.stderr"
}
# usage_error DESCRIPTION WORDS ARGS...: exit 2 and stderr mentions WORDS
usage_error() {
    local what=$1 words=$2 rc=0
    shift 2
    "$script" "$@" >"$tmp/ue.out" 2>"$tmp/ue.err" || rc=$?
    if [[ $rc -ne 2 ]]; then
        fail "$what: exit $rc, want 2"
    elif ! grep -qF -- "$words" "$tmp/ue.err"; then
        fail "$what: stderr lacks '$words': $(cat "$tmp/ue.err")"
    elif [[ -s $tmp/ue.out ]]; then
        fail "$what: wrote to stdout"
    else
        ok
    fi
}
sans_of() { openssl x509 -in "$1" -noout -ext subjectAltName | tail -n +2 | tr -d ' '; }

# --- help and usage errors ---------------------------------------------------
check "--help exits 0" "$script" --help
"$script" --help >"$tmp/help.txt"
check "--help lists --key-type" grep -qF -- "--key-type ecdsa|rsa" "$tmp/help.txt"
usage_error "no --out" "--out DIR is required"
usage_error "--out without value" "--out needs a value" --out
usage_error "unknown option" "unknown option '--bogus'" --out "$tmp/x" --bogus
usage_error "bad --days" "--days '0'" --out "$tmp/x" --days 0
usage_error "non-numeric --days" "--days 'ten'" --out "$tmp/x" --days ten
usage_error "bad --key-type" "--key-type 'dsa'" --out "$tmp/x" --key-type dsa
usage_error "bad --service" "--service 'Web_Hook'" --out "$tmp/x" --service Web_Hook
usage_error "bad --namespace" "--namespace 'a.b'" --out "$tmp/x" --namespace a.b
usage_error "--san with comma" "--san 'a,DNS:evil'" --out "$tmp/x" --san 'a,DNS:evil'
usage_error "--san with newline" "neither a DNS name nor an IP" --out "$tmp/x" \
    --san $'a\nIP.9 = 1.2.3.4'
usage_error "bad --client" "--client 'a/b'" --out "$tmp/x" --client a/b
check "usage errors create no directory" test ! -e "$tmp/x"

# --- default run: ECDSA P-256 ---------------------------------------------------
d=$tmp/default
check "default run" run_gen "$d"
for f in ca.crt ca.key tls.crt tls.key; do
    check "default run writes $f" test -s "$d/$f"
done
check "no client.crt without --client" test ! -e "$d/client.crt"
expect_eq "dir mode" "$(mode "$d")" 700
expect_eq "ca.key mode" "$(mode "$d/ca.key")" 600
expect_eq "tls.key mode" "$(mode "$d/tls.key")" 600
expect_eq "tls.crt mode" "$(mode "$d/tls.crt")" 644
expect_eq "no work dirs left" "$(find "$d" -name '.tollgate-certs.*' | wc -l)" 0

openssl x509 -in "$d/tls.crt" -noout -text >"$tmp/tls.txt"
check "default cert key is EC P-256" grep -q "NIST CURVE: P-256" "$tmp/tls.txt"
openssl pkey -in "$d/tls.key" -noout -text >"$tmp/key.txt"
check "tls.key is P-256" grep -q "ASN1 OID: prime256v1" "$tmp/key.txt"
check "serverAuth EKU" grep -q "TLS Web Server Authentication" "$tmp/tls.txt"
check "server cert is CA:FALSE" grep -q "CA:FALSE" "$tmp/tls.txt"
openssl x509 -in "$d/ca.crt" -noout -text >"$tmp/ca.txt"
check "CA is CA:TRUE" grep -q "CA:TRUE" "$tmp/ca.txt"
expect_eq "subject" "$(openssl x509 -in "$d/tls.crt" -noout -subject)" \
    "subject=CN = tollgate.tollgate-system.svc"
expect_eq "SANs" "$(sans_of "$d/tls.crt")" \
    "DNS:tollgate.tollgate-system.svc,DNS:tollgate.tollgate-system.svc.cluster.local,DNS:tollgate,DNS:tollgate.tollgate-system,DNS:localhost,IPAddress:127.0.0.1"
check "server cert verifies for TLS server use" \
    openssl verify -CAfile "$d/ca.crt" -purpose sslserver "$d/tls.crt"
for host in tollgate.tollgate-system.svc tollgate.tollgate-system.svc.cluster.local \
    tollgate tollgate.tollgate-system localhost; do
    check "hostname $host" openssl verify -CAfile "$d/ca.crt" -verify_hostname "$host" \
        "$d/tls.crt"
done
check "IP 127.0.0.1" openssl verify -CAfile "$d/ca.crt" -verify_ip 127.0.0.1 "$d/tls.crt"
refute "other hostname" openssl verify -CAfile "$d/ca.crt" -verify_hostname evil.example \
    "$d/tls.crt"
expect_eq "key matches cert" "$(openssl pkey -in "$d/tls.key" -pubout)" \
    "$(openssl x509 -in "$d/tls.crt" -noout -pubkey)"
check "valid for 364 more days" openssl x509 -in "$d/tls.crt" -noout -checkend $((364 * 86400))
refute "not valid for 366 days" openssl x509 -in "$d/tls.crt" -noout -checkend $((366 * 86400))

# stdout: exactly the CA bundle, base64 on one line; status on stderr
expect_eq "stdout is one line" "$(wc -l <"$d.stdout")" 1
openssl base64 -d -A -in "$d.stdout" -out "$tmp/bundle.pem"
check "bundle decodes to ca.crt" cmp "$tmp/bundle.pem" "$d/ca.crt"
check "status on stderr" grep -q "wrote ca.crt ca.key tls.crt tls.key" "$d.stderr"

# --- refusing to clobber, --force -----------------------------------------------
sum_before=$(cat "$d"/*.crt "$d"/*.key | openssl dgst -sha256)
usage_error "refuses to clobber" "already exists; use --force" --out "$d"
expect_eq "files unchanged after refusal" "$(cat "$d"/*.crt "$d"/*.key | openssl dgst -sha256)" \
    "$sum_before"
check "--force overwrites" run_gen "$d" --force
check "--force replaced the files" test "$(cat "$d"/*.crt "$d"/*.key | openssl dgst -sha256)" \
    != "$sum_before"
check "new pair verifies" openssl verify -CAfile "$d/ca.crt" "$d/tls.crt"

# --- options: names, SANs, RSA, days ---------------------------------------------
r=$tmp/rsa
check "rsa run" run_gen "$r" --key-type rsa --service hook --namespace security \
    --days 30 --san hook.example.com --san 10.1.2.3 --san ::1
openssl x509 -in "$r/tls.crt" -noout -text >"$tmp/rsa.txt"
check "rsa key is 2048 bits" grep -q "Public-Key: (2048 bit)" "$tmp/rsa.txt"
check "rsa cert has an RSA key" grep -q "rsaEncryption" "$tmp/rsa.txt"
check "rsa cert has keyEncipherment" grep -q "Key Encipherment" "$tmp/rsa.txt"
expect_eq "rsa SANs" "$(sans_of "$r/tls.crt")" \
    "DNS:hook.security.svc,DNS:hook.security.svc.cluster.local,DNS:hook,DNS:hook.security,DNS:localhost,DNS:hook.example.com,IPAddress:127.0.0.1,IPAddress:10.1.2.3,IPAddress:0:0:0:0:0:0:0:1"
check "rsa verifies" openssl verify -CAfile "$r/ca.crt" -verify_hostname hook.security.svc \
    "$r/tls.crt"
check "--days 30: valid in 29 days" openssl x509 -in "$r/tls.crt" -noout -checkend $((29 * 86400))
refute "--days 30: not in 31 days" openssl x509 -in "$r/tls.crt" -noout -checkend $((31 * 86400))

# --- client certificate ----------------------------------------------------------
c=$tmp/client
check "client run" run_gen "$c" --client alice
expect_eq "client.key mode" "$(mode "$c/client.key")" 600
check "client cert verifies for TLS client use" \
    openssl verify -CAfile "$c/ca.crt" -purpose sslclient "$c/client.crt"
openssl x509 -in "$c/client.crt" -noout -text >"$tmp/client.txt"
check "clientAuth EKU" grep -q "TLS Web Client Authentication" "$tmp/client.txt"
check "client CN is alice" grep -q "Subject: CN = alice" "$tmp/client.txt"
refute "server cert is not a client cert" \
    openssl verify -CAfile "$c/ca.crt" -purpose sslclient "$c/tls.crt"
refute "client cert is not a server cert" \
    openssl verify -CAfile "$c/ca.crt" -purpose sslserver "$c/client.crt"
refute "client cert does not verify against another CA" \
    openssl verify -CAfile "$d/ca.crt" "$c/client.crt"
check "re-run without --client but --force" run_gen "$c" --force
check "warns about a stale client.crt" grep -q "client.crt was not replaced" "$c.stderr"

# --- expired -----------------------------------------------------------------------
e=$tmp/expired
check "expired run" run_gen "$e" --expired --client bob
refute "expired server cert does not verify" openssl verify -CAfile "$e/ca.crt" "$e/tls.crt"
cp "$tmp/out" "$tmp/verify.out"
check "verify says expired" grep -q "certificate has expired" "$tmp/verify.out"
refute "expired client cert does not verify" openssl verify -CAfile "$e/ca.crt" "$e/client.crt"
check "CA itself is still valid" openssl x509 -in "$e/ca.crt" -noout -checkend 86400
nb=$(date -u -d "$(openssl x509 -in "$e/tls.crt" -noout -startdate | cut -d= -f2)" +%s)
na=$(date -u -d "$(openssl x509 -in "$e/tls.crt" -noout -enddate | cut -d= -f2)" +%s)
now=$(date -u +%s)
check "expired: notBefore < notAfter" test "$nb" -lt "$na"
check "expired: notAfter < now" test "$na" -lt "$now"

# --- awkward output paths ------------------------------------------------------------
# '#' and '$' mean comment and variable to the openssl config parser
w="$tmp/with space#hash\$dollar/nested"
mkdir -p "$(dirname "$w")"
check "awkward --out path" run_gen "$w"
check "awkward path: pair verifies" openssl verify -CAfile "$w/ca.crt" "$w/tls.crt"
mkdir "$tmp/cwd"
gen_relative() { (cd "$tmp/cwd" && "$script" --out rel/dir); }
check "relative --out path" gen_relative
check "relative path: pair verifies" openssl verify -CAfile "$tmp/cwd/rel/dir/ca.crt" \
    "$tmp/cwd/rel/dir/tls.crt"

echo "test_certs: $checks checks, $failures failed"
[[ $failures -eq 0 ]]
