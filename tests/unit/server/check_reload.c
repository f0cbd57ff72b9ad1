/* check_reload.c -- content fingerprints, and reloads that publish all or
 * nothing: a change is applied once stable, a broken policy or pair is
 * refused and counted, and what was serving stays. */
#include "reload.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"
#include "metrics.h"
#include "snapshot.h"
#include "testutil.h"
#include "tlog.h"
#include "tlscreds.h"

static char dir[64];

static void setup(void)
{
    snprintf(dir, sizeof(dir), "/tmp/check_reload.XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(dir));
    tlog_set_level(TLOG_ERROR); /* failed reloads log; keep the output short */
    metrics_reset();
}

static void teardown(void)
{
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
    ck_assert_int_eq(system(cmd), 0);
    snapshot_clear();
    tlscreds_clear();
}

static const char *path_in(const char *name)
{
    static char p[256];
    snprintf(p, sizeof(p), "%s/%s", dir, name);
    return p;
}

static void write_file(const char *name, const char *text)
{
    FILE *f = fopen(path_in(name), "w");
    ck_assert_ptr_nonnull(f);
    fputs(text, f);
    fclose(f);
}

static void copy_fixture(const char *rel, const char *name)
{
    char *data = fixture_read(rel, NULL);
    write_file(name, data);
    free(data);
}

START_TEST(fingerprint_follows_content)
{
    write_file("a.yaml", "one");
    uint64_t a = reload_fingerprint(path_in("a.yaml"));
    ck_assert_uint_eq(reload_fingerprint(path_in("a.yaml")), a);
    write_file("a.yaml", "one"); /* rewritten, same bytes: no change */
    ck_assert_uint_eq(reload_fingerprint(path_in("a.yaml")), a);
    write_file("a.yaml", "two");
    ck_assert_uint_ne(reload_fingerprint(path_in("a.yaml")), a);
    uint64_t missing = reload_fingerprint(path_in("missing.yaml"));
    ck_assert_uint_eq(reload_fingerprint(path_in("missing.yaml")), missing);
    write_file("empty.yaml", "");
    ck_assert_uint_ne(reload_fingerprint(path_in("empty.yaml")), missing);
}
END_TEST

/* A directory counts its *.yaml and *.yml files, names and bytes, and
 * nothing else (hidden entries are ConfigMap plumbing). */
START_TEST(fingerprint_of_directory)
{
    ck_assert_int_eq(mkdir(path_in("p"), 0700), 0);
    write_file("p/10-base.yaml", "base");
    uint64_t base = reload_fingerprint(path_in("p"));
    write_file("p/README.md", "docs");
    write_file("p/.hidden.yaml", "hidden");
    ck_assert_uint_eq(reload_fingerprint(path_in("p")), base);
    write_file("p/20-team.yml", "team");
    uint64_t two = reload_fingerprint(path_in("p"));
    ck_assert_uint_ne(two, base);
    char from[256];
    snprintf(from, sizeof(from), "%s", path_in("p/20-team.yml")); /* path_in is static */
    ck_assert_int_eq(rename(from, path_in("p/30-team.yml")), 0);
    ck_assert_uint_ne(reload_fingerprint(path_in("p")), two); /* names count */
}
END_TEST

static struct serve_config config(void)
{
    struct serve_config c;
    memset(&c, 0, sizeof(c));
    snprintf(c.policy, sizeof(c.policy), "%s", path_in("policy.yaml"));
    snprintf(c.tls_cert, sizeof(c.tls_cert), "%s", path_in("tls.crt"));
    snprintf(c.tls_key, sizeof(c.tls_key), "%s", path_in("tls.key"));
    return c;
}

static uint64_t current_generation(void)
{
    struct snapshot *s = snapshot_acquire();
    ck_assert_ptr_nonnull(s);
    uint64_t g = snapshot_generation(s);
    snapshot_release(s);
    return g;
}

static enum policy_mode current_mode(void)
{
    struct snapshot *s = snapshot_acquire();
    ck_assert_ptr_nonnull(s);
    enum policy_mode m = snapshot_policy(s)->mode;
    snapshot_release(s);
    return m;
}

static long metric_value(const char *series)
{
    struct buf b;
    buf_init(&b, 0);
    ck_assert_int_eq(metrics_render(&b), TG_OK);
    char line_start[160];
    snprintf(line_start, sizeof(line_start), "\n%s", series); /* not the # HELP line */
    const char *p = strstr(buf_str(&b), line_start);
    ck_assert_msg(p != NULL, "no series %s", series);
    long v = strtol(p + strlen(line_start), NULL, 10);
    buf_cleanup(&b);
    return v;
}

START_TEST(policy_change_applied_once_stable)
{
    copy_fixture("server/policy_enforce.yaml", "policy.yaml");
    struct serve_config c = config();
    struct reload r;
    reload_init(&r, &c);
    struct tg_error err = {0};
    ck_assert_int_eq(reload_policy(&r, &err), TG_OK);
    ck_assert_uint_eq(current_generation(), 1);
    reload_poll(&r); /* nothing changed */
    ck_assert_uint_eq(current_generation(), 1);
    copy_fixture("server/policy_audit.yaml", "policy.yaml");
    reload_poll(&r); /* seen once: may still be being written */
    ck_assert_uint_eq(current_generation(), 1);
    reload_poll(&r); /* stable: applied */
    ck_assert_uint_eq(current_generation(), 2);
    ck_assert_int_eq(current_mode(), POLICY_AUDIT);
    reload_poll(&r);
    ck_assert_uint_eq(current_generation(), 2);
    ck_assert_int_eq(metric_value("tollgate_policy_reloads_total{result=\"ok\"} "), 2);
}
END_TEST

START_TEST(broken_policy_keeps_the_last_good)
{
    copy_fixture("server/policy_audit.yaml", "policy.yaml");
    struct serve_config c = config();
    struct reload r;
    reload_init(&r, &c);
    ck_assert_int_eq(reload_policy(&r, NULL), TG_OK);
    copy_fixture("server/policy_broken.yaml", "policy.yaml");
    reload_poll(&r);
    reload_poll(&r);
    ck_assert_uint_eq(current_generation(), 1);
    ck_assert_int_eq(current_mode(), POLICY_AUDIT);
    ck_assert_int_eq(metric_value("tollgate_policy_reloads_total{result=\"failed\"} "),
                     1);
    reload_poll(&r); /* not retried until the file changes again */
    ck_assert_int_eq(metric_value("tollgate_policy_reloads_total{result=\"failed\"} "),
                     1);
    struct tg_error err = {0};
    ck_assert_int_eq(reload_policy(&r, &err), TG_EINVAL); /* what SIGHUP runs */
    ck_assert_str_eq(err.source, c.policy);
    ck_assert_int_eq(err.line, 7);
    ck_assert_int_gt(err.column, 0);
    reload_on_signal(&r);
    ck_assert_uint_eq(current_generation(), 1);
    ck_assert_int_eq(metric_value("tollgate_policy_reloads_total{result=\"failed\"} "),
                     3);
}
END_TEST

START_TEST(certificate_rotation)
{
    copy_fixture("server/tls/tls.crt", "tls.crt");
    copy_fixture("server/tls/tls.key", "tls.key");
    struct serve_config c = config();
    struct reload r;
    reload_init(&r, &c);
    struct tg_error err = {0};
    ck_assert_msg(reload_certs(&r, &err) == TG_OK, "%s: %s", err.source, err.text);
    struct tlscreds *first = tlscreds_acquire();
    ck_assert_ptr_nonnull(first);
    /* a key that does not match: refused, counted, the first pair stays */
    copy_fixture("server/tls/other.key", "tls.key");
    reload_poll(&r);
    reload_poll(&r);
    struct tlscreds *now = tlscreds_acquire();
    ck_assert_ptr_eq(now, first);
    tlscreds_release(now);
    ck_assert_int_eq(metric_value("tollgate_cert_reloads_total{result=\"failed\"} "), 1);
    /* the matching key back (same bytes as the first time): a new load */
    copy_fixture("server/tls/tls.key", "tls.key");
    copy_fixture("server/tls/chain.crt", "tls.crt");
    reload_poll(&r);
    reload_poll(&r);
    now = tlscreds_acquire();
    ck_assert_ptr_ne(now, first);
    gnutls_pcert_st *pcert;
    unsigned n;
    gnutls_privkey_t key;
    tlscreds_get(now, &pcert, &n, &key);
    ck_assert_uint_eq(n, 2); /* the chain file is the one serving now */
    tlscreds_release(now);
    tlscreds_release(first);
    ck_assert_int_eq(metric_value("tollgate_cert_reloads_total{result=\"ok\"} "), 2);
    ck_assert_int_gt(metric_value("tollgate_certificate_expiry_timestamp_seconds "), 0);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("reload");
    TCase *tc = tcase_create("reload");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, fingerprint_follows_content);
    tcase_add_test(tc, fingerprint_of_directory);
    tcase_add_test(tc, policy_change_applied_once_stable);
    tcase_add_test(tc, broken_policy_keeps_the_last_good);
    tcase_add_test(tc, certificate_rotation);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return run_suite(suite());
}
