/* check_audit_lease.c -- electors against the fake cluster's Lease: create,
 * renew, stand by, take over after a silent duration, release, lose races
 * (409), step down when renewals fail.  Time is passed in, never waited. */
#include <curl/curl.h>
#include <string.h>

#include "alloc_json.h"
#include "audit_lease.h"
#include "cluster_fixture.h"
#include "testutil.h"

#define S 1000000000ULL
#define LEASE_PATH "/apis/coordination.k8s.io/v1/namespaces/tollgate-system/leases/audit"

struct elector {
    struct audit_lease lease;
    struct kube_client *client;
};

static void elector_init(struct elector *e, struct cluster_fixture *f, const char *id)
{
    struct tg_error err = {0};
    ck_assert_int_eq(
        audit_lease_init(&e->lease, "tollgate-system", "audit", id, 10, &err), TG_OK);
    struct kube_error kerr;
    kube_error_clear(&kerr);
    ck_assert_int_eq(kube_client_new(f->kube, NULL, &e->client, &kerr), TG_OK);
}

/* One attempt at `t` seconds; whether it holds the Lease after it. */
static bool try_at(struct elector *e, double t, enum tg_rc want)
{
    bool held = false;
    struct kube_error err;
    kube_error_clear(&err);
    enum tg_rc rc =
        audit_lease_try(&e->lease, e->client, (uint64_t)(t * S) + S, &held, &err);
    ck_assert_msg(rc == want, "%s at %.1f s: rc %d (%s)", e->lease.identity, t, rc,
                  err.base.text);
    return held;
}

static const char *holder(struct cluster_fixture *f, json_t **keep)
{
    *keep = cluster_fixture_get(f, LEASE_PATH);
    ck_assert_ptr_nonnull(*keep);
    return json_string_value(
        json_object_get(json_object_get(*keep, "spec"), "holderIdentity"));
}

static long long transitions(const json_t *lease)
{
    return json_integer_value(
        json_object_get(json_object_get(lease, "spec"), "leaseTransitions"));
}

START_TEST(one_holder_and_takeover_after_a_silent_duration)
{
    struct cluster_fixture f;
    cluster_fixture_start(&f);
    struct elector a, b;
    elector_init(&a, &f, "replica-a");
    elector_init(&b, &f, "replica-b");
    ck_assert(try_at(&a, 0, TG_OK));     /* created */
    ck_assert(!try_at(&b, 0.5, TG_OK));  /* held by a */
    ck_assert(try_at(&a, 3, TG_OK));     /* renewed */
    ck_assert(!try_at(&b, 4, TG_OK));    /* b saw the renewal at 4 s */
    ck_assert(!try_at(&b, 13.5, TG_OK)); /* 9.5 s without change: not yet */
    json_t *l = NULL;
    ck_assert_str_eq(holder(&f, &l), "replica-a");
    ck_assert_int_eq(transitions(l), 0);
    json_decref(l);
    ck_assert(try_at(&b, 14.5, TG_OK)); /* 10.5 s: a stopped renewing */
    ck_assert_str_eq(holder(&f, &l), "replica-b");
    ck_assert_int_eq(transitions(l), 1);
    ck_assert_int_eq(json_integer_value(json_object_get(json_object_get(l, "spec"),
                                                        "leaseDurationSeconds")),
                     10);
    json_decref(l);
    ck_assert(!try_at(&a, 15, TG_OK)); /* a comes back: b holds it now */
    ck_assert(try_at(&b, 17, TG_OK));  /* and keeps it */
    kube_client_free(a.client);
    kube_client_free(b.client);
    cluster_fixture_stop(&f);
}
END_TEST

START_TEST(release_lets_another_take_over_at_once)
{
    struct cluster_fixture f;
    cluster_fixture_start(&f);
    struct elector a, b;
    elector_init(&a, &f, "replica-a");
    elector_init(&b, &f, "replica-b");
    ck_assert(try_at(&a, 0, TG_OK));
    ck_assert(!try_at(&b, 1, TG_OK));
    struct kube_error err;
    kube_error_clear(&err);
    ck_assert_int_eq(audit_lease_release(&a.lease, a.client, &err), TG_OK);
    json_t *l = NULL;
    ck_assert_str_eq(holder(&f, &l), "");
    json_decref(l);
    ck_assert(try_at(&b, 1.5, TG_OK)); /* no need to wait out the duration */
    ck_assert_str_eq(holder(&f, &l), "replica-b");
    json_decref(l);
    /* Releasing what one does not hold sends nothing. */
    size_t puts = cluster_fixture_count(&f, "PUT ");
    ck_assert_int_eq(audit_lease_release(&a.lease, a.client, &err), TG_OK);
    ck_assert_uint_eq(cluster_fixture_count(&f, "PUT "), puts);
    kube_client_free(a.client);
    kube_client_free(b.client);
    cluster_fixture_stop(&f);
}
END_TEST

START_TEST(a_lost_race_is_no_error)
{
    struct cluster_fixture f;
    cluster_fixture_start(&f);
    struct elector a, b;
    elector_init(&a, &f, "replica-a");
    elector_init(&b, &f, "replica-b");
    ck_assert(try_at(&a, 0, TG_OK));
    ck_assert(!try_at(&b, 1, TG_OK));
    /* b's takeover PUT meets a write that came first (409 Conflict). */
    cluster_fixture_control(&f, "faults",
                            "[{\"method\":\"PUT\",\"path\":\"" LEASE_PATH "\","
                            "\"status\":409,\"reason\":\"Conflict\"}]");
    ck_assert(!try_at(&b, 12, TG_OK));
    json_t *l = NULL;
    ck_assert_str_eq(holder(&f, &l), "replica-a");
    json_decref(l);
    /* Two replicas creating the Lease at once: the second gets 409. */
    cluster_fixture_control(&f, "objects", NULL);
    ck_assert(try_at(&b, 13, TG_OK));
    cluster_fixture_control(&f, "faults",
                            "[{\"method\":\"GET\",\"path\":\"" LEASE_PATH "\","
                            "\"status\":404,\"reason\":\"NotFound\"}]");
    ck_assert(!try_at(&a, 13.5, TG_OK)); /* its POST: AlreadyExists */
    kube_client_free(a.client);
    kube_client_free(b.client);
    cluster_fixture_stop(&f);
}
END_TEST

START_TEST(holder_steps_down_when_it_cannot_renew)
{
    struct cluster_fixture f;
    cluster_fixture_start(&f);
    struct elector a;
    elector_init(&a, &f, "replica-a");
    ck_assert(try_at(&a, 0, TG_OK));
    cluster_fixture_control(&f, "faults",
                            "[{\"path\":\"" LEASE_PATH "\",\"status\":500,\"times\":5}]");
    ck_assert(try_at(&a, 3, TG_EIO));  /* still within 2/3 of the duration */
    ck_assert(!try_at(&a, 7, TG_EIO)); /* past it: no longer the holder */
    cluster_fixture_control(&f, "faults", NULL);
    ck_assert(try_at(&a, 8, TG_OK)); /* its own record: renewed */
    kube_client_free(a.client);
    cluster_fixture_stop(&f);
}
END_TEST

static const struct {
    const char *ns, *name, *id;
    unsigned duration;
    const char *error;
} bad_settings[] = {
    {"", "audit", "a", 10, "namespace"},
    {"ns", "", "a", 10, "name"},
    {"ns", "audit", "", 10, "identity"},
    {"ns", "audit", "a", 1, "at least 2 s"},
};

START_TEST(rejects_bad_settings)
{
    struct audit_lease l;
    struct tg_error err = {0};
    ck_assert_int_eq(audit_lease_init(&l, bad_settings[_i].ns, bad_settings[_i].name,
                                      bad_settings[_i].id, bad_settings[_i].duration,
                                      &err),
                     TG_EINVAL);
    ck_assert_ptr_nonnull(strstr(err.text, bad_settings[_i].error));
}
END_TEST

START_TEST(microtime_has_microseconds)
{
    struct timespec t = {1700000000, 123456789};
    char out[40];
    audit_lease_microtime(&t, out);
    ck_assert_str_eq(out, "2023-11-14T22:13:20.123456Z");
}
END_TEST

static Suite *audit_lease_suite(void)
{
    Suite *s = suite_create("audit_lease");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, one_holder_and_takeover_after_a_silent_duration);
    tcase_add_test(tc, release_lets_another_take_over_at_once);
    tcase_add_test(tc, a_lost_race_is_no_error);
    tcase_add_test(tc, holder_steps_down_when_it_cannot_renew);
    tcase_add_loop_test(tc, rejects_bad_settings, 0, ARRAY_LEN(bad_settings));
    tcase_add_test(tc, microtime_has_microseconds);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    alloc_json_install();
    curl_global_init(CURL_GLOBAL_DEFAULT);
    int rc = run_suite(audit_lease_suite());
    curl_global_cleanup();
    return rc;
}
