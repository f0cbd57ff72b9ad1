/* x509.c -- checking a certificate/key pair before it is served.
 *
 * Files are read into memory first (capped, through tg_malloc) rather than
 * handed to OpenSSL by name: that way a missing, empty or swapped file gets
 * a precise message instead of OpenSSL's generic "no start line", and the
 * key bytes can be wiped before they are freed.  Every OpenSSL failure is
 * turned into tg_error text from this thread's error queue, which is
 * drained so a later call never reports a stale error.
 */
#include "x509.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "alloc.h"
#include "buf.h"

/* A PEM certificate chain or key is a few kB; anything this large is not one. */
#define PEM_FILE_CAP (1024 * 1024)

/* Pop every queued OpenSSL error of this thread into `out` as
 * "reason; reason", so the message says what OpenSSL saw. */
static void drain_openssl_errors(char *out, size_t len)
{
    size_t used = 0;
    out[0] = '\0';
    for (unsigned long e = ERR_get_error(); e; e = ERR_get_error()) {
        const char *reason = ERR_reason_error_string(e);
        char num[32];
        if (!reason) {
            snprintf(num, sizeof(num), "error %lx", e);
            reason = num;
        }
        if (used + 1 >= len)
            continue; /* keep popping: the queue must end up empty */
        int n = snprintf(out + used, len - used, "%s%s", used ? "; " : "", reason);
        used += n > 0 ? (size_t)n : 0;
        if (used >= len)
            used = len - 1;
    }
    if (!out[0])
        snprintf(out, len, "unknown OpenSSL error");
}

static enum tg_rc set_openssl_error(struct tg_error *err, const char *path,
                                    const char *what)
{
    char detail[256];
    drain_openssl_errors(detail, sizeof(detail));
    return tg_error_set(err, TG_EINVAL, path, 0, 0, "%s (%s)", what, detail);
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
        OPENSSL_cleanse(b->data, b->alloc);
    buf_cleanup(b);
}

static bool has(const struct buf *b, const char *needle)
{
    return strstr(buf_str(b), needle);
}

/* The first certificate in `b` (a chain starts with the leaf). */
static enum tg_rc parse_cert(const struct buf *b, const char *path, X509 **out,
                             struct tg_error *err)
{
    if (!has(b, "-----BEGIN")) {
        ERR_clear_error();
        return tg_error_set(err, TG_EINVAL, path, 0, 0,
                            "not a PEM file: no \"-----BEGIN CERTIFICATE-----\" line "
                            "(if it is DER, convert it: openssl x509 -inform der -in "
                            "FILE -out FILE.pem)");
    }
    BIO *bio = BIO_new_mem_buf(buf_str(b), (int)buf_len(b));
    if (!bio)
        return set_openssl_error(err, path, "cannot read the certificate");
    X509 *x = PEM_read_bio_X509(bio, NULL, NULL, NULL);
    BIO_free(bio);
    if (x) {
        *out = x;
        return TG_OK;
    }
    if (!has(b, "-----BEGIN CERTIFICATE-----") && has(b, "PRIVATE KEY-----")) {
        ERR_clear_error();
        return tg_error_set(err, TG_EINVAL, path, 0, 0,
                            "this is a private key, not a certificate; were the "
                            "certificate and key files swapped?");
    }
    return set_openssl_error(err, path, "no valid PEM certificate");
}

/* Never prompt on a terminal for a passphrase: note that one was wanted. */
static int no_passphrase(char *buf, int size, int rwflag, void *u)
{
    (void)buf;
    (void)size;
    (void)rwflag;
    *(bool *)u = true;
    return -1;
}

static enum tg_rc parse_key(const struct buf *b, const char *path, EVP_PKEY **out,
                            struct tg_error *err)
{
    bool wanted_pass = false;
    if (!has(b, "-----BEGIN")) {
        ERR_clear_error();
        return tg_error_set(err, TG_EINVAL, path, 0, 0,
                            "not a PEM file: no \"-----BEGIN PRIVATE KEY-----\" line");
    }
    BIO *bio = BIO_new_mem_buf(buf_str(b), (int)buf_len(b));
    if (!bio)
        return set_openssl_error(err, path, "cannot read the private key");
    EVP_PKEY *k = PEM_read_bio_PrivateKey(bio, NULL, no_passphrase, &wanted_pass);
    BIO_free(bio);
    if (k) {
        *out = k;
        return TG_OK;
    }
    if (wanted_pass || has(b, "ENCRYPTED")) {
        ERR_clear_error();
        return tg_error_set(err, TG_EINVAL, path, 0, 0,
                            "private key is encrypted; tollgate needs an unencrypted "
                            "key (decrypt it with: openssl pkey -in KEY -out KEY.plain)");
    }
    if (!has(b, "PRIVATE KEY-----") && has(b, "-----BEGIN CERTIFICATE-----")) {
        ERR_clear_error();
        return tg_error_set(err, TG_EINVAL, path, 0, 0,
                            "this is a certificate, not a private key; were the "
                            "certificate and key files swapped?");
    }
    return set_openssl_error(err, path, "no valid PEM private key");
}

/* Days since 1970-01-01 of a proleptic Gregorian date (month 1..12); the
 * usual era arithmetic, so no timegm() (not POSIX) and no TZ dependence. */
static long long days_from_civil(long long y, int m, int d)
{
    y -= m <= 2;
    long long era = (y >= 0 ? y : y - 399) / 400;
    long long yoe = y - era * 400;
    long long doy = (153LL * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    long long doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

static enum tg_rc asn1_to_time(const ASN1_TIME *t, time_t *out)
{
    struct tm tm;
    if (!t || ASN1_TIME_to_tm(t, &tm) != 1)
        return TG_EINVAL;
    long long days = days_from_civil(tm.tm_year + 1900LL, tm.tm_mon + 1, tm.tm_mday);
    *out = (time_t)(days * 86400 + tm.tm_hour * 3600 + tm.tm_min * 60 + tm.tm_sec);
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

static enum tg_rc check_validity(const X509 *x, const char *path, time_t now,
                                 struct x509_info *info, struct tg_error *err)
{
    char when[64];
    char span[32];
    if (asn1_to_time(X509_get0_notBefore(x), &info->not_before) != TG_OK ||
        asn1_to_time(X509_get0_notAfter(x), &info->not_after) != TG_OK)
        return set_openssl_error(err, path,
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

static void describe_key(const EVP_PKEY *k, char *out, size_t len)
{
    char group[24]; /* "prime256v1", "brainpoolP512r1": short names */
    size_t glen = 0;
    switch (EVP_PKEY_get_base_id(k)) {
    case EVP_PKEY_EC:
        if (EVP_PKEY_get_utf8_string_param(k, OSSL_PKEY_PARAM_GROUP_NAME, group,
                                           sizeof(group), &glen) == 1) {
            const char *nist = EC_curve_nid2nist(OBJ_txt2nid(group));
            snprintf(out, len, "EC %s", nist ? nist : group);
        } else {
            snprintf(out, len, "EC %d", EVP_PKEY_get_bits(k));
        }
        break;
    case EVP_PKEY_RSA:
    case EVP_PKEY_RSA_PSS:
        snprintf(out, len, "RSA %d", EVP_PKEY_get_bits(k));
        break;
    default: {
        const char *name = OBJ_nid2sn(EVP_PKEY_get_base_id(k));
        snprintf(out, len, "%s", name ? name : "unknown");
    }
    }
}

static void describe_subject(const X509 *x, char *out, size_t len)
{
    out[0] = '\0';
    BIO *mem = BIO_new(BIO_s_mem());
    if (mem &&
        X509_NAME_print_ex(mem, X509_get_subject_name(x), 0, XN_FLAG_RFC2253) >= 0) {
        int n = BIO_read(mem, out, (int)len - 1);
        out[n > 0 ? n : 0] = '\0';
    }
    BIO_free(mem);
    ERR_clear_error(); /* a subject we cannot print is not worth failing for */
}

static enum tg_rc check_match(const X509 *x, EVP_PKEY *key, const char *cert_path,
                              const char *key_path, struct tg_error *err)
{
    const EVP_PKEY *pub = X509_get0_pubkey(x);
    if (!pub)
        return set_openssl_error(err, cert_path,
                                 "the certificate's public key cannot be read "
                                 "(unsupported algorithm?)");
    int eq = EVP_PKEY_eq(pub, key);
    if (eq == 1)
        return TG_OK;
    ERR_clear_error();
    if (eq == -1) {
        char ktype[32];
        describe_key(key, ktype, sizeof(ktype));
        return tg_error_set(err, TG_EINVAL, key_path, 0, 0,
                            "private key (%s) is of a different type than the "
                            "certificate %s; use the key the certificate was issued for",
                            ktype, cert_path);
    }
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
    X509 *x = NULL;
    EVP_PKEY *key = NULL;
    struct x509_info info;
    buf_init(&cert_pem, PEM_FILE_CAP);
    buf_init(&key_pem, PEM_FILE_CAP);
    memset(&info, 0, sizeof(info));
    ERR_clear_error(); /* errors left by someone else are not ours to report */

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
    describe_key(X509_get0_pubkey(x), info.key_type, sizeof(info.key_type));
    if (out)
        *out = info;
out:
    EVP_PKEY_free(key);
    X509_free(x);
    buf_wipe(&key_pem);
    buf_cleanup(&cert_pem);
    ERR_clear_error();
    return rc;
}

/* Count the certificates in a bundle; a block that fails to parse is an
 * error, running out of blocks is the normal end. */
static enum tg_rc count_certs(const struct buf *b, const char *path, int *n,
                              struct tg_error *err)
{
    BIO *bio = BIO_new_mem_buf(buf_str(b), (int)buf_len(b));
    if (!bio)
        return set_openssl_error(err, path, "cannot read the CA bundle");
    enum tg_rc rc = TG_OK;
    *n = 0;
    for (X509 *x = PEM_read_bio_X509(bio, NULL, NULL, NULL); x;
         x = PEM_read_bio_X509(bio, NULL, NULL, NULL)) {
        X509_free(x);
        (*n)++;
    }
    unsigned long e = ERR_peek_last_error();
    if (ERR_GET_LIB(e) == ERR_LIB_PEM && ERR_GET_REASON(e) == PEM_R_NO_START_LINE)
        ERR_clear_error(); /* no more certificates */
    else if (e != 0) {
        char what[64];
        snprintf(what, sizeof(what), "certificate #%d is not valid PEM", *n + 1);
        rc = set_openssl_error(err, path, what);
    }
    BIO_free(bio);
    return rc;
}

enum tg_rc x509_check_ca(const char *ca_path, struct tg_error *err)
{
    struct buf pem;
    int n = 0;
    buf_init(&pem, PEM_FILE_CAP);
    ERR_clear_error();
    enum tg_rc rc = read_file(ca_path, &pem, err);
    if (rc == TG_OK)
        rc = count_certs(&pem, ca_path, &n, err);
    if (rc == TG_OK && n == 0)
        rc = tg_error_set(err, TG_EINVAL, ca_path, 0, 0,
                          "no PEM certificate found; expected one or more "
                          "\"-----BEGIN CERTIFICATE-----\" blocks");
    buf_cleanup(&pem);
    ERR_clear_error();
    return rc;
}
