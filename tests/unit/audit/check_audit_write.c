/* check_audit_write.c -- report sets into the fake cluster: created, left
 * alone when unchanged, replaced when changed, deleted when stale; a
 * missing CRD writes nothing; a 409 is read again and retried; the first
 * failure stops the write. */
#include <curl/curl.h>
#include <string.h>

#include "alloc_json.h"
#include "audit_fixture.h"
#include "audit_report.h"
#include "audit_write.h"
#include "cluster_fixture.h"
#include "testutil.h"

#define SHOP "/apis/wgpolicyk8s.io/v1alpha2/namespaces/shop/policyreports/tollgate-audit"
#define LEGACY                                                                           \
    "/apis/wgpolicyk8s.io/v1alpha2/namespaces/legacy-app/policyreports/tollgate-audit"
#define CLUSTER "/apis/wgpolicyk8s.io/v1alpha2/clusterpolicyreports/tollgate-audit"

static enum tg_rc add_entry(void *ctx, const json_t *object, json_t *entry)
{
    (void)object;
    enum tg_rc rc = audit_report_add(ctx, entry);
    json_decref(entry);
    return rc;
}

/* The fixture cluster's reports under the policy `rel`; `drop_ns`: leave
 * that namespace's objects out (they were deleted). */
static struct audit_report *fixture_report(const char *rel, const char *drop_ns)
{
    struct policy *p = audit_fixture_policy(rel);
    struct audit_report *r = audit_report_new(p, 1700000000);
    struct audit_fixture f;
    audit_fixture_load(&f);
    struct audit_scan s = {.policy = p, .sink = add_entry, .sink_ctx = r};
    for (size_t i = 0; i < AUDIT_FIXTURE_PAGES; i++) {
        size_t k;
        const json_t *item;
        json_array_foreach(json_object_get(f.list[i], "items"), k, item)
        {
            const char *ns = json_string_value(
                json_object_get(json_object_get(item, "metadata"), "namespace"));
            if (drop_ns && strcmp(ns, drop_ns) == 0)
                continue;
            ck_assert_int_eq(audit_scan_item(&s, f.res[i], item), TG_OK);
        }
    }
    audit_fixture_cleanup(&f);
    ck_assert_int_eq(audit_report_finish(r), TG_OK);
    policy_free(p);
    return r;
}

static enum tg_rc write_set(struct cluster_fixture *f, const struct audit_report *r,
                            struct audit_write_stats *st, struct kube_error *err)
{
    kube_error_clear(err);
    return audit_write_reports(f->ctl, r, st, err);
}

static const char *rv_of(const json_t *o)
{
    return json_string_value(
        json_object_get(json_object_get(o, "metadata"), "resourceVersion"));
}

START_TEST(creates_then_leaves_unchanged_reports_alone)
{
    struct cluster_fixture f;
    cluster_fixture_start(&f);
    struct audit_report *r = fixture_report("audit/policy.yaml", NULL);
    struct audit_write_stats st;
    struct kube_error err;
    ck_assert_int_eq(write_set(&f, r, &st, &err), TG_OK);
    ck_assert_uint_eq(st.created, 3); /* shop, legacy-app, the cluster's */
    json_t *shop = cluster_fixture_get(&f, SHOP);
    ck_assert_ptr_nonnull(shop);
    ck_assert_int_eq(
        json_integer_value(json_object_get(json_object_get(shop, "summary"), "fail")), 5);
    ck_assert_str_eq(json_string_value(json_object_get(
                         json_object_get(json_object_get(shop, "metadata"), "labels"),
                         "app.kubernetes.io/managed-by")),
                     "tollgate");
    json_t *cluster = cluster_fixture_get(&f, CLUSTER);
    ck_assert_ptr_nonnull(cluster);
    json_decref(cluster);

    /* The same findings again: one list, one GET, nothing written. */
    size_t puts = cluster_fixture_count(&f, "PUT ");
    ck_assert_int_eq(write_set(&f, r, &st, &err), TG_OK);
    ck_assert_uint_eq(st.unchanged, 3);
    ck_assert_uint_eq(st.created + st.replaced + st.deleted, 0);
    ck_assert_uint_eq(cluster_fixture_count(&f, "PUT "), puts);
    json_t *again = cluster_fixture_get(&f, SHOP);
    ck_assert_str_eq(rv_of(again), rv_of(shop));
    json_decref(again);
    json_decref(shop);
    audit_report_free(r);
    cluster_fixture_stop(&f);
}
END_TEST

START_TEST(replaces_changed_and_deletes_stale_reports)
{
    struct cluster_fixture f;
    cluster_fixture_start(&f);
    struct audit_report *before = fixture_report("audit/policy.yaml", NULL);
    struct audit_write_stats st;
    struct kube_error err;
    ck_assert_int_eq(write_set(&f, before, &st, &err), TG_OK);
    /* shop/api gets fixed by a mutate rule; legacy-app's workload is gone. */
    struct audit_report *after = fixture_report("audit/policy-mutate.yaml", "legacy-app");
    ck_assert_int_eq(write_set(&f, after, &st, &err), TG_OK);
    ck_assert_uint_eq(st.replaced, 2); /* shop and the cluster's */
    ck_assert_uint_eq(st.deleted, 1);
    ck_assert_ptr_null(cluster_fixture_get(&f, LEGACY));
    json_t *shop = cluster_fixture_get(&f, SHOP);
    ck_assert_int_eq(
        json_integer_value(json_object_get(json_object_get(shop, "summary"), "warn")), 1);
    json_decref(shop);
    audit_report_free(before);
    audit_report_free(after);
    cluster_fixture_stop(&f);
}
END_TEST

START_TEST(missing_crd_writes_nothing)
{
    struct cluster_fixture f;
    cluster_fixture_start(&f);
    cluster_fixture_control(&f, "crds", "{\"policyreports\": false}");
    struct audit_report *r = fixture_report("audit/policy.yaml", NULL);
    struct audit_write_stats st;
    struct kube_error err;
    ck_assert_int_eq(write_set(&f, r, &st, &err), TG_ENOTFOUND);
    ck_assert_ptr_nonnull(strstr(err.base.text, "CRD"));
    ck_assert_ptr_nonnull(strstr(err.base.text, "audit.installCRDs"));
    ck_assert_uint_eq(cluster_fixture_count(&f, "POST "), 0);
    ck_assert_uint_eq(cluster_fixture_count(&f, "PUT "), 0);
    audit_report_free(r);
    cluster_fixture_stop(&f);
}
END_TEST

START_TEST(conflict_is_read_again_and_retried)
{
    struct cluster_fixture f;
    cluster_fixture_start(&f);
    struct audit_report *before = fixture_report("audit/policy.yaml", NULL);
    struct audit_report *after = fixture_report("audit/policy-mutate.yaml", NULL);
    struct audit_write_stats st;
    struct kube_error err;
    ck_assert_int_eq(write_set(&f, before, &st, &err), TG_OK);
    cluster_fixture_control(&f, "faults",
                            "[{\"method\":\"PUT\",\"path\":\"" SHOP "\",\"status\":409,"
                            "\"reason\":\"Conflict\",\"message\":\"the object has been "
                            "modified\"}]");
    size_t gets = cluster_fixture_count(&f, "GET " SHOP);
    ck_assert_int_eq(write_set(&f, after, &st, &err), TG_OK);
    ck_assert_uint_eq(st.replaced, 3); /* another policy name: every report changes */
    ck_assert_uint_eq(cluster_fixture_count(&f, "GET " SHOP), gets + 1);
    ck_assert_uint_eq(cluster_fixture_count(&f, "PUT " SHOP), 2);
    audit_report_free(before);
    audit_report_free(after);
    cluster_fixture_stop(&f);
}
END_TEST

START_TEST(first_failure_stops_the_write)
{
    struct cluster_fixture f;
    cluster_fixture_start(&f);
    cluster_fixture_control(
        &f, "faults",
        "[{\"method\":\"POST\",\"path\":\"/apis/wgpolicyk8s.io/v1alpha2/namespaces/"
        "shop\","
        "\"status\":500,\"message\":\"etcdserver: request timed out\"}]");
    struct audit_report *r = fixture_report("audit/policy.yaml", NULL);
    struct audit_write_stats st;
    struct kube_error err;
    ck_assert_int_eq(write_set(&f, r, &st, &err), TG_EIO);
    ck_assert_int_eq(err.http_code, 500);
    ck_assert_ptr_nonnull(strstr(err.base.text, "etcdserver"));
    ck_assert_uint_eq(st.created, 1); /* legacy-app, before shop in name order */
    ck_assert_ptr_null(cluster_fixture_get(&f, CLUSTER));
    /* The next write completes the set. */
    ck_assert_int_eq(write_set(&f, r, &st, &err), TG_OK);
    ck_assert_uint_eq(st.created, 2);
    ck_assert_uint_eq(st.unchanged, 1);
    audit_report_free(r);
    cluster_fixture_stop(&f);
}
END_TEST

static Suite *audit_write_suite(void)
{
    Suite *s = suite_create("audit_write");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, creates_then_leaves_unchanged_reports_alone);
    tcase_add_test(tc, replaces_changed_and_deletes_stale_reports);
    tcase_add_test(tc, missing_crd_writes_nothing);
    tcase_add_test(tc, conflict_is_read_again_and_retried);
    tcase_add_test(tc, first_failure_stops_the_write);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    alloc_json_install();
    curl_global_init(CURL_GLOBAL_DEFAULT);
    int rc = run_suite(audit_write_suite());
    curl_global_cleanup();
    return rc;
}
