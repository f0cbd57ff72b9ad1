/* check_tlscreds.c -- loading the serving pair into GnuTLS form, and the
 * refcounted current pair the handshake callback hands out.  Fixtures in
 * tests/data/server/tls (test-only keys, valid for 100 years). */
#include "tlscreds.h"

#include <stdio.h>
#include <string.h>

#include "alloc.h"
#include "testutil.h"

#define LEAF_SHA256 "b4c286c56abb05ce0952ff0ba562e40e27ef354f9df69931b16fa75833ab34a1"

static char cert_path[512], key_path[512];

static void paths(const char *cert, const char *key)
{
    snprintf(cert_path, sizeof(cert_path), "%s", fixture_path(cert));
    snprintf(key_path, sizeof(key_path), "%s", fixture_path(key));
}

static const struct {
    const char *cert, *key;
    unsigned n_chain;
} good[] = {
    {"server/tls/tls.crt", "server/tls/tls.key", 1},
    {"server/tls/chain.crt", "server/tls/tls.key", 2},
};

START_TEST(loads)
{
    paths(good[_i].cert, good[_i].key);
    struct tlscreds *c = NULL;
    struct tg_error err = {0};
    ck_assert_msg(tlscreds_load(cert_path, key_path, &c, &err) == TG_OK, "%s: %s",
                  err.source, err.text);
    ck_assert_str_eq(tlscreds_fingerprint(c), LEAF_SHA256);
    gnutls_pcert_st *pcert = NULL;
    unsigned n = 0;
    gnutls_privkey_t key = NULL;
    tlscreds_get(c, &pcert, &n, &key);
    ck_assert_uint_eq(n, good[_i].n_chain);
    ck_assert_ptr_nonnull(pcert);
    ck_assert_ptr_nonnull(key);
    tlscreds_release(c);
}
END_TEST

/* What is wrong, and the file that gets the blame. */
static const struct {
    const char *cert, *key;
    enum tg_rc rc;
    int blame_key; /* err->source is the key (1) or the certificate (0) */
    const char *text;
} bad[] = {
    {"server/tls/missing.crt", "server/tls/tls.key", TG_EIO, 0, "cannot open"},
    {"server/tls/tls.crt", "server/tls/missing.key", TG_EIO, 1, "cannot open"},
    {"server/tls/garbage.pem", "server/tls/tls.key", TG_EINVAL, 0,
     "not a PEM certificate"},
    {"server/tls/tls.crt", "server/tls/garbage.pem", TG_EINVAL, 1,
     "not a PEM private key"},
    {"server/tls/tls.key", "server/tls/tls.key", TG_EINVAL, 0, "not a PEM certificate"},
    {"server/tls/tls.crt", "server/tls/tls.crt", TG_EINVAL, 1, "not a PEM private key"},
};

START_TEST(refuses)
{
    paths(bad[_i].cert, bad[_i].key);
    struct tlscreds *c = (struct tlscreds *)&c; /* untouched on failure */
    struct tlscreds *const before = c;
    struct tg_error err = {0};
    ck_assert_int_eq(tlscreds_load(cert_path, key_path, &c, &err), bad[_i].rc);
    ck_assert_ptr_eq(c, before);
    ck_assert_str_eq(err.source, bad[_i].blame_key ? key_path : cert_path);
    ck_assert_msg(strstr(err.text, bad[_i].text), "\"%s\" lacks \"%s\"", err.text,
                  bad[_i].text);
}
END_TEST

/* Every allocation failing in turn: a clean error or success, never a
 * leak (valgrind) or a crash. */
START_TEST(allocation_failures)
{
    paths("server/tls/chain.crt", "server/tls/tls.key");
    int ok = 0;
    for (long n = 0; n < 200 && !ok; n++) {
        struct tlscreds *c = NULL;
        alloc_fail_after(n);
        enum tg_rc rc = tlscreds_load(cert_path, key_path, &c, NULL);
        alloc_fail_after(-1);
        if (rc == TG_OK) {
            ok = 1;
            tlscreds_release(c);
        } else {
            ck_assert_int_eq(rc, TG_ENOMEM);
        }
    }
    ck_assert(ok);
}
END_TEST

START_TEST(current_pair)
{
    paths("server/tls/tls.crt", "server/tls/tls.key");
    tlscreds_clear();
    ck_assert_ptr_null(tlscreds_acquire());
    struct tlscreds *a = NULL, *b = NULL;
    ck_assert_int_eq(tlscreds_load(cert_path, key_path, &a, NULL), TG_OK);
    ck_assert_int_eq(tlscreds_load(cert_path, key_path, &b, NULL), TG_OK);
    tlscreds_publish(a);
    struct tlscreds *conn = tlscreds_acquire(); /* a connection pins a */
    ck_assert_ptr_eq(conn, a);
    tlscreds_publish(b); /* rotation: a lives on for that connection */
    gnutls_pcert_st *pcert;
    unsigned n;
    gnutls_privkey_t key;
    tlscreds_get(conn, &pcert, &n, &key);
    ck_assert_uint_eq(n, 1);
    struct tlscreds *next = tlscreds_acquire();
    ck_assert_ptr_eq(next, b);
    tlscreds_release(next);
    tlscreds_release(conn); /* frees a */
    tlscreds_clear();       /* frees b */
    tlscreds_release(NULL);
}
END_TEST

START_TEST(read_pem_cap)
{
    struct buf b;
    struct tg_error err = {0};
    buf_init(&b, 64); /* a certificate is larger */
    ck_assert_int_eq(tlscreds_read_pem(fixture_path("server/tls/ca.crt"), &b, &err),
                     TG_EINVAL);
    ck_assert_str_eq(err.source, fixture_path("server/tls/ca.crt"));
    ck_assert_ptr_nonnull(strstr(err.text, "too large"));
    buf_cleanup(&b);
    buf_init(&b, 1 << 20);
    ck_assert_int_eq(tlscreds_read_pem(fixture_path("server/tls/ca.crt"), &b, &err),
                     TG_OK);
    ck_assert_ptr_nonnull(strstr(buf_str(&b), "-----BEGIN CERTIFICATE-----"));
    buf_cleanup(&b);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("tlscreds");
    TCase *tc = tcase_create("tlscreds");
    tcase_add_loop_test(tc, loads, 0, (int)ARRAY_LEN(good));
    tcase_add_loop_test(tc, refuses, 0, (int)ARRAY_LEN(bad));
    tcase_add_test(tc, allocation_failures);
    tcase_add_test(tc, current_pair);
    tcase_add_test(tc, read_pem_cap);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return run_suite(suite());
}
