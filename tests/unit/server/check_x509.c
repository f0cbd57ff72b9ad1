/* check_x509.c -- certificate/key pair checks on pairs made by
 * certs/tollgate-certs, plus broken, swapped, expired and foreign files. */
#include "x509.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "alloc.h"
#include "testutil.h"

#define SCRIPT TOLLGATE_SOURCE_DIR "/certs/tollgate-certs"

static char dir[64]; /* the temporary directory of every generated file */
static time_t started;

/* Run a shell command (formatted); the suite cannot go on if it fails. */
static void sh(const char *fmt, ...) TG_PRINTF(1, 2);
static void sh(const char *fmt, ...)
{
    char cmd[4096];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(cmd, sizeof(cmd), fmt, ap);
    va_end(ap);
    ck_assert_msg(n > 0 && (size_t)n < sizeof(cmd), "command too long");
    int status = system(cmd);
    ck_assert_msg(status == 0, "command failed (status %d): %s", status, cmd);
}

static const char *path(const char *rel)
{
    static char p[4][256]; /* a few live at once: cert, key, expected source */
    static int next;
    char *out = p[next++ % 4];
    snprintf(out, sizeof(p[0]), "%s/%s", dir, rel);
    return out;
}

/* One generated set of files per directory under `dir`:
 *   ec/      default run, with a client certificate
 *   ec2/     a second default run (its key matches nothing in ec/)
 *   rsa/     --key-type rsa
 *   expired/ --expired
 *   bad/     hand-made broken files */
static void make_files(void)
{
    started = time(NULL);
    snprintf(dir, sizeof(dir), "/tmp/check_x509.XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(dir));
    sh("%s --out %s/ec --client alice >/dev/null 2>&1", SCRIPT, dir);
    sh("%s --out %s/ec2 >/dev/null 2>&1", SCRIPT, dir);
    sh("%s --out %s/rsa --key-type rsa >/dev/null 2>&1", SCRIPT, dir);
    sh("%s --out %s/expired --expired >/dev/null 2>&1", SCRIPT, dir);
    sh("mkdir %s/bad %s/bad/dir", dir, dir);
    sh(": > %s/bad/empty", dir);
    sh("echo 'hello, I am not a certificate' > %s/bad/text", dir);
    sh("openssl x509 -in %s/ec/tls.crt -outform der -out %s/bad/tls.der", dir, dir);
    sh("openssl pkey -in %s/ec/tls.key -aes256 -passout pass:secret -out %s/bad/enc.key",
       dir, dir);
    /* a PEM frame around base64 that is not a certificate */
    sh("printf -- '-----BEGIN CERTIFICATE-----\\nAAAA!!!!notbase64\\n"
       "-----END CERTIFICATE-----\\n' > %s/bad/corrupt.crt",
       dir);
    sh("cat %s/ec/ca.crt %s/rsa/ca.crt > %s/bad/two-cas.crt", dir, dir, dir);
    sh("cat %s/ec/ca.crt %s/bad/corrupt.crt > %s/bad/ca-then-corrupt.crt", dir, dir, dir);
    sh("head -c 1100000 /dev/zero | tr '\\0' 'A' > %s/bad/huge", dir);
    /* other encodings a user may bring: the loader takes them all */
    sh("mkdir %s/formats", dir);
    sh("openssl pkey -in %s/rsa/tls.key -traditional -out %s/formats/rsa-trad.key", dir,
       dir);
    sh("openssl pkey -in %s/rsa/tls.key -traditional -aes128 -passout pass:x "
       "-out %s/formats/rsa-trad-enc.key",
       dir, dir);
    sh("openssl ecparam -name prime256v1 -genkey -out %s/formats/ecparam.key", dir);
    sh("openssl req -x509 -new -key %s/formats/ecparam.key -subj /CN=ecparam -days 365 "
       "-out %s/formats/ecparam.crt",
       dir, dir);
    sh("cat %s/ec/tls.crt %s/ec/ca.crt > %s/formats/chain.crt", dir, dir, dir);
}

static void remove_files(void)
{
    if (dir[0])
        sh("rm -rf %s", dir);
}

/* Good pairs: the info is filled and the dates are those of a fresh
 * 365-day certificate. */
static const struct {
    const char *cert, *key, *key_type;
} good[] = {
    {"ec/tls.crt", "ec/tls.key", "EC P-256"},
    {"rsa/tls.crt", "rsa/tls.key", "RSA 2048"},
    {"ec/client.crt", "ec/client.key", "EC P-256"},
    {"rsa/tls.crt", "formats/rsa-trad.key", "RSA 2048"}, /* BEGIN RSA PRIVATE KEY */
    {"formats/ecparam.crt", "formats/ecparam.key", "EC P-256"}, /* EC PARAMETERS first */
    {"formats/chain.crt", "ec/tls.key", "EC P-256"},            /* leaf, then CA */
};

START_TEST(accepts_good_pairs)
{
    struct x509_info info;
    struct tg_error err = {0};
    enum tg_rc rc =
        x509_check_pair(path(good[_i].cert), path(good[_i].key), time(NULL), &info, &err);
    ck_assert_msg(rc == TG_OK, "%s: %s", err.source, err.text);
    ck_assert_str_eq(info.key_type, good[_i].key_type);
    ck_assert_int_eq((long long)(info.not_after - info.not_before), 365LL * 86400);
    ck_assert_int_le((long long)info.not_before, (long long)time(NULL));
    ck_assert_int_ge((long long)info.not_before, (long long)started - 120);
    if (strstr(good[_i].cert, "client"))
        ck_assert_str_eq(info.subject, "CN=alice");
    else if (strstr(good[_i].cert, "ecparam"))
        ck_assert_str_eq(info.subject, "CN=ecparam");
    else
        ck_assert_str_eq(info.subject, "CN=tollgate.tollgate-system.svc");
}
END_TEST

START_TEST(out_may_be_null)
{
    struct tg_error err = {0};
    ck_assert_int_eq(
        x509_check_pair(path("ec/tls.crt"), path("ec/tls.key"), time(NULL), NULL, &err),
        TG_OK);
    ck_assert_int_eq(
        x509_check_pair(path("ec/tls.crt"), path("ec/tls.key"), time(NULL), NULL, NULL),
        TG_OK);
}
END_TEST

enum at { AT_CERT, AT_KEY };

/* Bad pairs: code, the file blamed, and words of the message.  `shift` is
 * added to the current time for the check. */
static const struct {
    const char *cert, *key;
    long shift;
    enum tg_rc rc;
    enum at at;
    const char *text1, *text2;
} bad[] = {
    {"nope/tls.crt", "ec/tls.key", 0, TG_EIO, AT_CERT, "cannot open",
     "No such file or directory"},
    {"ec/tls.crt", "nope/tls.key", 0, TG_EIO, AT_KEY, "cannot open",
     "No such file or directory"},
    {"bad/dir", "ec/tls.key", 0, TG_EIO, AT_CERT, "not a regular file", NULL},
    {"bad/empty", "ec/tls.key", 0, TG_EINVAL, AT_CERT, "file is empty", NULL},
    {"ec/tls.crt", "bad/empty", 0, TG_EINVAL, AT_KEY, "file is empty", NULL},
    {"bad/text", "ec/tls.key", 0, TG_EINVAL, AT_CERT, "not a PEM file",
     "BEGIN CERTIFICATE"},
    {"ec/tls.crt", "bad/text", 0, TG_EINVAL, AT_KEY, "not a PEM file",
     "BEGIN PRIVATE KEY"},
    {"bad/tls.der", "ec/tls.key", 0, TG_EINVAL, AT_CERT, "not a PEM file", "-inform der"},
    {"bad/corrupt.crt", "ec/tls.key", 0, TG_EINVAL, AT_CERT, "no valid PEM certificate (",
     NULL},
    {"bad/huge", "ec/tls.key", 0, TG_ETOOBIG, AT_CERT, "larger than", NULL},
    {"ec/tls.key", "ec/tls.crt", 0, TG_EINVAL, AT_CERT, "private key, not a certificate",
     "swapped"},
    {"ec/tls.crt", "ec/tls.crt", 0, TG_EINVAL, AT_KEY, "certificate, not a private key",
     "swapped"},
    {"ec/tls.crt", "bad/enc.key", 0, TG_EINVAL, AT_KEY, "private key is encrypted",
     "openssl pkey"},
    {"rsa/tls.crt", "formats/rsa-trad-enc.key", 0, TG_EINVAL, AT_KEY,
     "private key is encrypted", NULL},
    {"ec/tls.crt", "ec2/tls.key", 0, TG_EINVAL, AT_KEY, "does not match the certificate",
     "ec/tls.crt"},
    {"ec/tls.crt", "ec/client.key", 0, TG_EINVAL, AT_KEY, "does not match", NULL},
    {"ec/tls.crt", "rsa/tls.key", 0, TG_EINVAL, AT_KEY,
     "(RSA 2048) is of a different type", NULL},
    {"expired/tls.crt", "expired/tls.key", 0, TG_EINVAL, AT_CERT,
     "certificate expired on ", "hours ago"},
    {"ec/tls.crt", "ec/tls.key", 400L * 86400, TG_EINVAL, AT_CERT,
     "certificate expired on ", "days ago"},
    {"ec/tls.crt", "ec/tls.key", -3L * 86400, TG_EINVAL, AT_CERT, "not valid yet",
     "from now"},
    {"ec/tls.crt", "ec/tls.key", -600, TG_EINVAL, AT_CERT, "not valid yet",
     "minutes from now"},
};

START_TEST(rejects_bad_pairs)
{
    struct x509_info info;
    struct tg_error err = {0};
    const char *cert = path(bad[_i].cert);
    const char *key = path(bad[_i].key);
    memset(&info, 0x5a, sizeof(info));
    enum tg_rc rc = x509_check_pair(cert, key, time(NULL) + bad[_i].shift, &info, &err);
    ck_assert_msg(rc == bad[_i].rc, "row %d: rc %d (%s: %s)", _i, rc, err.source,
                  err.text);
    ck_assert_str_eq(err.source, bad[_i].at == AT_CERT ? cert : key);
    ck_assert_msg(strstr(err.text, bad[_i].text1), "row %d: '%s' lacks '%s'", _i,
                  err.text, bad[_i].text1);
    if (bad[_i].text2)
        ck_assert_msg(strstr(err.text, bad[_i].text2), "row %d: '%s' lacks '%s'", _i,
                      err.text, bad[_i].text2);
    ck_assert_int_eq(info.subject[0], 0x5a); /* outputs are written only on success */
}
END_TEST

/* The expired message says when, in the same UTC form as openssl prints. */
START_TEST(expired_message_names_the_date)
{
    struct tg_error err = {0};
    struct x509_info info;
    ck_assert_int_eq(
        x509_check_pair(path("ec/tls.crt"), path("ec/tls.key"), time(NULL), &info, NULL),
        TG_OK);
    char when[32];
    struct tm tm;
    gmtime_r(&info.not_after, &tm);
    strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
    ck_assert_int_eq(x509_check_pair(path("ec/tls.crt"), path("ec/tls.key"),
                                     info.not_after + 1, NULL, &err),
                     TG_EINVAL);
    ck_assert_ptr_nonnull(strstr(err.text, when));
    ck_assert_ptr_nonnull(strstr(err.text, "1 seconds ago"));
    /* the boundaries themselves are valid */
    ck_assert_int_eq(x509_check_pair(path("ec/tls.crt"), path("ec/tls.key"),
                                     info.not_after, NULL, &err),
                     TG_OK);
    ck_assert_int_eq(x509_check_pair(path("ec/tls.crt"), path("ec/tls.key"),
                                     info.not_before, NULL, &err),
                     TG_OK);
}
END_TEST

/* A failure leaves no stale OpenSSL error behind for the next check. */
START_TEST(errors_do_not_leak_into_next_call)
{
    struct tg_error err = {0};
    ck_assert_int_eq(x509_check_pair(path("bad/corrupt.crt"), path("ec/tls.key"),
                                     time(NULL), NULL, &err),
                     TG_EINVAL);
    ck_assert_int_eq(
        x509_check_pair(path("ec/tls.crt"), path("bad/text"), time(NULL), NULL, &err),
        TG_EINVAL);
    ck_assert_ptr_null(strstr(err.text, "base64"));
    ck_assert_int_eq(
        x509_check_pair(path("ec/tls.crt"), path("ec/tls.key"), time(NULL), NULL, &err),
        TG_OK);
}
END_TEST

static const struct {
    const char *file;
    enum tg_rc rc;
    const char *text;
} cas[] = {
    {"ec/ca.crt", TG_OK, NULL},
    {"bad/two-cas.crt", TG_OK, NULL},
    {"ec/tls.crt", TG_OK, NULL},
    {"nope/ca.crt", TG_EIO, "No such file or directory"},
    {"bad/empty", TG_EINVAL, "file is empty"},
    {"bad/text", TG_EINVAL, "no PEM certificate found"},
    {"ec/ca.key", TG_EINVAL, "no PEM certificate found"},
    {"bad/corrupt.crt", TG_EINVAL, "certificate #1 is not valid PEM"},
    {"bad/ca-then-corrupt.crt", TG_EINVAL, "certificate #2 is not valid PEM"},
    {"bad/dir", TG_EIO, "not a regular file"},
};

START_TEST(checks_ca_bundles)
{
    struct tg_error err = {0};
    const char *file = path(cas[_i].file);
    enum tg_rc rc = x509_check_ca(file, &err);
    ck_assert_msg(rc == cas[_i].rc, "row %d: rc %d (%s)", _i, rc, err.text);
    if (!cas[_i].text)
        return;
    ck_assert_str_eq(err.source, file);
    ck_assert_msg(strstr(err.text, cas[_i].text), "row %d: '%s' lacks '%s'", _i, err.text,
                  cas[_i].text);
}
END_TEST

/* Every allocation the module makes may fail: the answer is TG_ENOMEM (or
 * success once enough were allowed), never a crash or a leak. */
START_TEST(survives_allocation_failures)
{
    struct tg_error err = {0};
    enum tg_rc rc = TG_ENOMEM;
    long n;
    for (n = 0; n < 100 && rc == TG_ENOMEM; n++) {
        alloc_fail_after(n);
        rc = _i ? x509_check_ca(path("bad/two-cas.crt"), &err)
                : x509_check_pair(path("rsa/tls.crt"), path("rsa/tls.key"), time(NULL),
                                  NULL, &err);
        alloc_fail_after(-1);
        ck_assert_msg(rc == TG_OK || rc == TG_ENOMEM, "n=%ld: rc %d: %s", n, rc,
                      err.text);
    }
    ck_assert_int_eq(rc, TG_OK);
    ck_assert_int_gt(n, 1); /* at least one failure was injected and survived */
}
END_TEST

static Suite *x509_suite(void)
{
    Suite *s = suite_create("x509");
    TCase *tc = tcase_create("x509");
    tcase_add_unchecked_fixture(tc, make_files, remove_files);
    tcase_set_timeout(tc, 60);
    tcase_add_loop_test(tc, accepts_good_pairs, 0, ARRAY_LEN(good));
    tcase_add_test(tc, out_may_be_null);
    tcase_add_loop_test(tc, rejects_bad_pairs, 0, ARRAY_LEN(bad));
    tcase_add_test(tc, expired_message_names_the_date);
    tcase_add_test(tc, errors_do_not_leak_into_next_call);
    tcase_add_loop_test(tc, checks_ca_bundles, 0, ARRAY_LEN(cas));
    tcase_add_loop_test(tc, survives_allocation_failures, 0, 2);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return run_suite(x509_suite());
}
