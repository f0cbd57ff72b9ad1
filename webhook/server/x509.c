/* x509.c -- checking a certificate/key pair before it is served.
 *
 * Files are read into memory first (capped, through tg_malloc) rather than
 * handed to the TLS library by name: that way a missing, empty or swapped
 * file gets a precise message, and the key bytes can be wiped before they
 * are freed.  GnuTLS, not OpenSSL: the server's handshakes already run on
 * GnuTLS, whose certificate code is then mapped and resident anyway, while
 * OpenSSL's PEM, X509 and EVP code paged ~3 MB of libcrypto into the
 * server's resident set for a check made once per (re)load -- the
 * difference between 21 and 18 MB at 256 connections (bench/README.md).
 * A GnuTLS failure becomes tg_error text with gnutls_strerror's reason.
 */
#include "x509.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include <gnutls/abstract.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>

#include "alloc.h"
#include "buf.h"

/* A PEM certificate chain or key is a few kB; anything this large is not one. */
#define PEM_FILE_CAP (1024 * 1024)

static enum tg_rc set_gnutls_error(struct tg_error *err, const char *path,
                                   const char *what, int gnutls_rc)
{
    return tg_error_set(err, TG_EINVAL, path, 0, 0, "%s (%s)", what,
                        gnutls_strerror(gnutls_rc));
}

static enum tg_rc set_errno_error(struct tg_error *err, const char *path,
                                  const char *what, int errnum)
{
    char msg[128];
    if (strerror_r(errnum, msg, sizeof(msg)) != 0)
        snprintf(msg, sizeof(msg), "error %d", errnum);
    return tg_error_set(err, TG_EIO, path, 0, 0, "%s: %s", what, msg);
}

static enum tg_rc read_stream(FILE *f, const char *path, struct buf *b,
                              struct tg_error *err)
{
    char chunk[4096];
    for (size_t n = fread(chunk, 1, sizeof(chunk), f); n > 0;
         n = fread(chunk, 1, sizeof(chunk), f)) {
        enum tg_rc rc = buf_append(b, chunk, n);
        if (rc == TG_ETOOBIG)
            return tg_error_set(err, rc, path, 0, 0,
                                "file is larger than %d bytes; expected a PEM file",
                                PEM_FILE_CAP);
        if (rc != TG_OK)
            return tg_error_set(err, rc, path, 0, 0, "out of memory reading the file");
    }
    if (ferror(f))
        return set_errno_error(err, path, "cannot read", errno);
    if (buf_len(b) == 0)
        return tg_error_set(err, TG_EINVAL, path, 0, 0,
                            "file is empty; expected PEM data");
    return TG_OK;
}

/* Whole file into `b` (capped); directories and other non-files refused. */
static enum tg_rc read_file(const char *path, struct buf *b, struct tg_error *err)
{
    struct stat st;
    FILE *f = fopen(path, "rb");
    if (!f)
        return set_errno_error(err, path, "cannot open", errno);
    enum tg_rc rc;
    if (fstat(fileno(f), &st) != 0)
        rc = set_errno_error(err, path, "cannot stat", errno);
    else if (!S_ISREG(st.st_mode))
        rc = tg_error_set(err, TG_EIO, path, 0, 0, "not a regular file");
    else
        rc = read_stream(f, path, b, err);
    fclose(f);
    return rc;
}

/* Wipe and free a buffer that may hold key material. */
static void buf_wipe(struct buf *b)
{
    if (b->data)
        gnutls_memset(b->data, 0, b->alloc);
    buf_cleanup(b);
}

static bool has(const struct buf *b, const char *needle)
{
    return strstr(buf_str(b), needle);
}

/* The bytes of `b` from offset `from` (GnuTLS's datum is not const but
 * only read here). */
static gnutls_datum_t datum_of(const struct buf *b, size_t from)
{
    return (gnutls_datum_t){(unsigned char *)b->data + from,
                            (unsigned)(buf_len(b) - from)};
}

/* The first certificate in `b` (a chain starts with the leaf). */
static enum tg_rc parse_cert(const struct buf *b, const char *path,
                             gnutls_x509_crt_t *out, struct tg_error *err)
{
    if (!has(b, "-----BEGIN"))
        return tg_error_set(err, TG_EINVAL, path, 0, 0,
                            "not a PEM file: no \"-----BEGIN CERTIFICATE-----\" line "
                            "(if it is DER, convert it: openssl x509 -inform der -in "
                            "FILE -out FILE.pem)");
    if (!has(b, "-----BEGIN CERTIFICATE-----") && has(b, "PRIVATE KEY-----"))
        return tg_error_set(err, TG_EINVAL, path, 0, 0,
                            "this is a private key, not a certificate; were the "
                            "certificate and key files swapped?");
    gnutls_x509_crt_t x;
    int r = gnutls_x509_crt_init(&x);
    if (r < 0)
        return tg_error_set(err, TG_ENOMEM, path, 0, 0, "out of memory");
    gnutls_datum_t d = datum_of(b, 0);
    r = gnutls_x509_crt_import(x, &d, GNUTLS_X509_FMT_PEM);
    if (r < 0) {
        gnutls_x509_crt_deinit(x);
        return set_gnutls_error(err, path, "no valid PEM certificate", r);
    }
    *out = x;
    return TG_OK;
}

/* An unencrypted key: never prompts, never tries a passphrase. */
static enum tg_rc parse_key(const struct buf *b, const char *path,
                            gnutls_x509_privkey_t *out, struct tg_error *err)
{
    if (!has(b, "-----BEGIN"))
        return tg_error_set(err, TG_EINVAL, path, 0, 0,
                            "not a PEM file: no \"-----BEGIN PRIVATE KEY-----\" line");
    if (has(b, "ENCRYPTED"))
        return tg_error_set(err, TG_EINVAL, path, 0, 0,
                            "private key is encrypted; tollgate needs an unencrypted "
                            "key (decrypt it with: openssl pkey -in KEY -out KEY.plain)");
    if (!has(b, "PRIVATE KEY-----") && has(b, "-----BEGIN CERTIFICATE-----"))
        return tg_error_set(err, TG_EINVAL, path, 0, 0,
                            "this is a certificate, not a private key; were the "
                            "certificate and key files swapped?");
    gnutls_x509_privkey_t k;
    int r = gnutls_x509_privkey_init(&k);
    if (r < 0)
        return tg_error_set(err, TG_ENOMEM, path, 0, 0, "out of memory");
    gnutls_datum_t d = datum_of(b, 0);
    r = gnutls_x509_privkey_import2(k, &d, GNUTLS_X509_FMT_PEM, NULL, GNUTLS_PKCS_PLAIN);
    if (r < 0) {
        gnutls_x509_privkey_deinit(k);
        return set_gnutls_error(err, path, "no valid PEM private key", r);
    }
    *out = k;
    return TG_OK;
}

static void format_utc(time_t t, char *out, size_t len)
{
    struct tm tm;
    if (!gmtime_r(&t, &tm) || strftime(out, len, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
        snprintf(out, len, "%lld (seconds since 1970)", (long long)t);
}

/* "3 days", "5 hours", "42 seconds": enough to tell a clock skew from a
 * forgotten renewal. */
static void format_span(long long s, char *out, size_t len)
{
    if (s >= 2 * 86400)
        snprintf(out, len, "%lld days", s / 86400);
    else if (s >= 2 * 3600)
        snprintf(out, len, "%lld hours", s / 3600);
    else if (s >= 120)
        snprintf(out, len, "%lld minutes", s / 60);
    else
        snprintf(out, len, "%lld seconds", s);
}

static enum tg_rc check_validity(gnutls_x509_crt_t x, const char *path, time_t now,
                                 struct x509_info *info, struct tg_error *err)
{
    char when[64];
    char span[32];
    info->not_before = gnutls_x509_crt_get_activation_time(x);
    info->not_after = gnutls_x509_crt_get_expiration_time(x);
    if (info->not_before == (time_t)-1 || info->not_after == (time_t)-1)
        return tg_error_set(err, TG_EINVAL, path, 0, 0,
                            "certificate has an unreadable validity period");
    if (now < info->not_before) {
        format_utc(info->not_before, when, sizeof(when));
        format_span((long long)(info->not_before - now), span, sizeof(span));
        return tg_error_set(err, TG_EINVAL, path, 0, 0,
                            "certificate is not valid yet: notBefore is %s, %s from now "
                            "(check this machine's clock)",
                            when, span);
    }
    if (now > info->not_after) {
        format_utc(info->not_after, when, sizeof(when));
        format_span((long long)(now - info->not_after), span, sizeof(span));
        return tg_error_set(err, TG_EINVAL, path, 0, 0,
                            "certificate expired on %s, %s ago; issue a new one "
                            "(e.g. certs/tollgate-certs --force)",
                            when, span);
    }
    return TG_OK;
}

/* "EC P-256", "RSA 2048", as openssl names them. */
static void describe_key(gnutls_pk_algorithm_t algo, unsigned bits,
                         gnutls_ecc_curve_t curve, char *out, size_t len)
{
    static const struct {
        gnutls_ecc_curve_t curve;
        const char *nist;
    } nist[] = {
        {GNUTLS_ECC_CURVE_SECP192R1, "P-192"}, {GNUTLS_ECC_CURVE_SECP224R1, "P-224"},
        {GNUTLS_ECC_CURVE_SECP256R1, "P-256"}, {GNUTLS_ECC_CURVE_SECP384R1, "P-384"},
        {GNUTLS_ECC_CURVE_SECP521R1, "P-521"},
    };
    const char *name = NULL;
    switch (algo) {
    case GNUTLS_PK_ECDSA:
        for (size_t i = 0; i < ARRAY_LEN(nist) && !name; i++)
            name = nist[i].curve == curve ? nist[i].nist : NULL;
        if (!name)
            name = gnutls_ecc_curve_get_name(curve);
        snprintf(out, len, "EC %s", name ? name : "unknown curve");
        break;
    case GNUTLS_PK_RSA:
    case GNUTLS_PK_RSA_PSS:
        snprintf(out, len, "RSA %u", bits);
        break;
    default:
        name = gnutls_pk_algorithm_get_name(algo);
        snprintf(out, len, "%s", name ? name : "unknown");
    }
}

static void describe_cert_key(gnutls_x509_crt_t x, char *out, size_t len)
{
    unsigned bits = 0;
    gnutls_ecc_curve_t curve = GNUTLS_ECC_CURVE_INVALID;
    int algo = gnutls_x509_crt_get_pk_algorithm(x, &bits);
    if (algo == GNUTLS_PK_ECDSA)
        gnutls_x509_crt_get_pk_ecc_raw(x, &curve, NULL, NULL);
    describe_key((gnutls_pk_algorithm_t)(algo < 0 ? GNUTLS_PK_UNKNOWN : algo), bits,
                 curve, out, len);
}

static void describe_private_key(gnutls_x509_privkey_t k, char *out, size_t len)
{
    unsigned bits = 0;
    gnutls_ecc_curve_t curve = GNUTLS_ECC_CURVE_INVALID;
    int algo = gnutls_x509_privkey_get_pk_algorithm2(k, &bits);
    if (algo == GNUTLS_PK_ECDSA)
        gnutls_x509_privkey_export_ecc_raw(k, &curve, NULL, NULL, NULL);
    describe_key((gnutls_pk_algorithm_t)(algo < 0 ? GNUTLS_PK_UNKNOWN : algo), bits,
                 curve, out, len);
}

/* RFC 4514 (the order and form of openssl's RFC 2253 output). */
static void describe_subject(gnutls_x509_crt_t x, char *out, size_t len)
{
    gnutls_datum_t dn = {NULL, 0};
    out[0] = '\0';
    if (gnutls_x509_crt_get_dn3(x, &dn, 0) < 0)
        return; /* a subject we cannot print is not worth failing for */
    snprintf(out, len, "%.*s", (int)dn.size, (const char *)dn.data);
    gnutls_free(dn.data);
}

/* The SHA-256 of the public key of a certificate or a private key. */
static int cert_key_id(gnutls_x509_crt_t x, unsigned char *id, size_t *len)
{
    return gnutls_x509_crt_get_key_id(x, GNUTLS_KEYID_USE_SHA256, id, len);
}

static int private_key_id(gnutls_x509_privkey_t k, unsigned char *id, size_t *len)
{
    return gnutls_x509_privkey_get_key_id(k, GNUTLS_KEYID_USE_SHA256, id, len);
}

static enum tg_rc check_match(gnutls_x509_crt_t x, gnutls_x509_privkey_t key,
                              const char *cert_path, const char *key_path,
                              struct tg_error *err)
{
    unsigned char cid[64], kid[64];
    size_t clen = sizeof(cid), klen = sizeof(kid);
    int r = cert_key_id(x, cid, &clen);
    if (r < 0)
        return set_gnutls_error(err, cert_path,
                                "the certificate's public key cannot be read "
                                "(unsupported algorithm?)",
                                r);
    unsigned bits;
    if (gnutls_x509_crt_get_pk_algorithm(x, &bits) !=
        gnutls_x509_privkey_get_pk_algorithm(key)) {
        char ktype[32];
        describe_private_key(key, ktype, sizeof(ktype));
        return tg_error_set(err, TG_EINVAL, key_path, 0, 0,
                            "private key (%s) is of a different type than the "
                            "certificate %s; use the key the certificate was issued for",
                            ktype, cert_path);
    }
    r = private_key_id(key, kid, &klen);
    if (r >= 0 && klen == clen && memcmp(cid, kid, clen) == 0)
        return TG_OK;
    return tg_error_set(err, TG_EINVAL, key_path, 0, 0,
                        "private key does not match the certificate %s; use the key "
                        "the certificate was issued for",
                        cert_path);
}

enum tg_rc x509_check_pair(const char *cert_path, const char *key_path, time_t now,
                           struct x509_info *out, struct tg_error *err)
{
    enum tg_rc rc;
    struct buf cert_pem;
    struct buf key_pem;
    gnutls_x509_crt_t x = NULL;
    gnutls_x509_privkey_t key = NULL;
    struct x509_info info;
    buf_init(&cert_pem, PEM_FILE_CAP);
    buf_init(&key_pem, PEM_FILE_CAP);
    memset(&info, 0, sizeof(info));

    rc = read_file(cert_path, &cert_pem, err);
    if (rc != TG_OK)
        goto out;
    rc = parse_cert(&cert_pem, cert_path, &x, err);
    if (rc != TG_OK)
        goto out;
    rc = read_file(key_path, &key_pem, err);
    if (rc != TG_OK)
        goto out;
    rc = parse_key(&key_pem, key_path, &key, err);
    if (rc != TG_OK)
        goto out;
    rc = check_match(x, key, cert_path, key_path, err);
    if (rc != TG_OK)
        goto out;
    rc = check_validity(x, cert_path, now, &info, err);
    if (rc != TG_OK)
        goto out;
    describe_subject(x, info.subject, sizeof(info.subject));
    describe_cert_key(x, info.key_type, sizeof(info.key_type));
    if (out)
        *out = info;
out:
    if (key)
        gnutls_x509_privkey_deinit(key);
    if (x)
        gnutls_x509_crt_deinit(x);
    buf_wipe(&key_pem);
    buf_cleanup(&cert_pem);
    return rc;
}

/* Count the certificates in a bundle: each "-----BEGIN CERTIFICATE-----"
 * block must parse; blocks of other kinds are passed over. */
static enum tg_rc count_certs(const struct buf *b, const char *path, int *n,
                              struct tg_error *err)
{
    static const char begin[] = "-----BEGIN CERTIFICATE-----";
    const char *text = buf_str(b);
    *n = 0;
    for (const char *at = strstr(text, begin); at; at = strstr(at + 1, begin)) {
        gnutls_x509_crt_t x;
        if (gnutls_x509_crt_init(&x) < 0)
            return tg_error_set(err, TG_ENOMEM, path, 0, 0, "out of memory");
        gnutls_datum_t d = datum_of(b, (size_t)(at - text));
        int r = gnutls_x509_crt_import(x, &d, GNUTLS_X509_FMT_PEM);
        gnutls_x509_crt_deinit(x);
        if (r < 0) {
            char what[64];
            snprintf(what, sizeof(what), "certificate #%d is not valid PEM", *n + 1);
            return set_gnutls_error(err, path, what, r);
        }
        (*n)++;
    }
    return TG_OK;
}

enum tg_rc x509_check_ca(const char *ca_path, struct tg_error *err)
{
    struct buf pem;
    int n = 0;
    buf_init(&pem, PEM_FILE_CAP);
    enum tg_rc rc = read_file(ca_path, &pem, err);
    if (rc == TG_OK)
        rc = count_certs(&pem, ca_path, &n, err);
    if (rc == TG_OK && n == 0)
        rc = tg_error_set(err, TG_EINVAL, ca_path, 0, 0,
                          "no PEM certificate found; expected one or more "
                          "\"-----BEGIN CERTIFICATE-----\" blocks");
    buf_cleanup(&pem);
    return rc;
}
