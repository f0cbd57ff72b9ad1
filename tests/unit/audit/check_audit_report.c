/* check_audit_report.c -- verdicts of the fixture cluster as PolicyReports:
 * one report per namespace, a result per object and rule, exact summaries,
 * the byte budget, the cluster totals. */
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "alloc_json.h"
#include "audit_fixture.h"
#include "audit_report.h"
#include "audit_scan.h"
#include "object_verdict.h"
#include "policy_load.h"
#include "testutil.h"

static struct policy *load_policy(const char *rel)
{
    return audit_fixture_policy(rel);
}

static enum tg_rc keep(void *ctx, const json_t *object, json_t *entry)
{
    (void)object;
    return json_array_append_new(ctx, entry) == 0 ? TG_OK : TG_ENOMEM;
}

/* The fixture cluster's verdicts under `p`. */
static json_t *fixture_entries(const struct policy *p)
{
    json_t *entries = json_array();
    struct audit_scan s = {.policy = p, .sink = keep, .sink_ctx = entries};
    struct audit_fixture f;
    audit_fixture_load(&f);
    ck_assert_int_eq(audit_fixture_scan(&f, &s), TG_OK);
    audit_fixture_cleanup(&f);
    return entries;
}

static struct audit_report *report_of(const struct policy *p, const json_t *entries)
{
    struct audit_report *r = audit_report_new(p, 1700000000);
    ck_assert_ptr_nonnull(r);
    size_t i;
    const json_t *e;
    json_array_foreach(entries, i, e)
    {
        ck_assert_int_eq(audit_report_add(r, e), TG_OK);
    }
    ck_assert_int_eq(audit_report_finish(r), TG_OK);
    return r;
}

static const char *s_of(const json_t *o, const char *path)
{
    /* "a.b.c" of objects only */
    char key[64];
    const json_t *cur = o;
    while (cur && *path) {
        const char *dot = strchr(path, '.');
        size_t len = dot ? (size_t)(dot - path) : strlen(path);
        snprintf(key, sizeof(key), "%.*s", (int)len, path);
        cur = json_object_get(cur, key);
        path += len + (dot ? 1 : 0);
    }
    return json_string_value(cur);
}

/* metadata.<map>[key]: label and annotation keys have dots of their own. */
static const char *meta_of(const json_t *doc, const char *map, const char *key)
{
    return json_string_value(
        json_object_get(json_object_get(json_object_get(doc, "metadata"), map), key));
}

static long long n_of(const json_t *o, const char *a, const char *b)
{
    return (long long)json_integer_value(json_object_get(json_object_get(o, a), b));
}

/* The result of `rule` for object `name` in a report, or NULL. */
static const json_t *result_of(const json_t *report, const char *name, const char *rule)
{
    size_t i;
    const json_t *x;
    json_array_foreach(json_object_get(report, "results"), i, x)
    {
        const json_t *res = json_array_get(json_object_get(x, "resources"), 0);
        const char *r = json_string_value(json_object_get(x, "rule"));
        if (strcmp(s_of(res, "name"), name) == 0 && r && strcmp(r, rule) == 0)
            return x;
    }
    return NULL;
}

static json_t *namespace_report(const struct audit_report *r, const char *ns)
{
    for (size_t i = 0; i < audit_report_n_namespaces(r); i++) {
        if (strcmp(audit_report_namespace(r, i), ns) == 0) {
            json_t *doc = NULL;
            ck_assert_int_eq(audit_report_namespace_json(r, i, &doc), TG_OK);
            return doc;
        }
    }
    ck_abort_msg("no report for namespace %s", ns);
    return NULL;
}

START_TEST(one_report_per_namespace_with_exact_results)
{
    struct policy *p = load_policy("audit/policy.yaml");
    json_t *entries = fixture_entries(p);
    struct audit_report *r = report_of(p, entries);
    ck_assert_uint_eq(audit_report_n_namespaces(r), 2); /* kube-system is excluded */
    ck_assert_str_eq(audit_report_namespace(r, 0), "legacy-app");
    ck_assert_str_eq(audit_report_namespace(r, 1), "shop");

    json_t *shop = namespace_report(r, "shop");
    ck_assert_str_eq(s_of(shop, "apiVersion"), "wgpolicyk8s.io/v1alpha2");
    ck_assert_str_eq(s_of(shop, "kind"), "PolicyReport");
    ck_assert_str_eq(s_of(shop, "metadata.name"), AUDIT_REPORT_NAME);
    ck_assert_str_eq(s_of(shop, "metadata.namespace"), "shop");
    ck_assert_str_eq(meta_of(shop, "labels", "app.kubernetes.io/managed-by"), "tollgate");
    ck_assert_str_eq(meta_of(shop, "annotations", "tollgate.dev/policy"),
                     "audit-fixtures");
    /* 6 objects x 4 rules that are on (imagePullPolicy is off) */
    ck_assert_uint_eq(json_array_size(json_object_get(shop, "results")), 24);
    ck_assert_int_eq(n_of(shop, "summary", "fail"), 5);
    ck_assert_int_eq(n_of(shop, "summary", "pass"), 19);
    ck_assert_int_eq(n_of(shop, "summary", "warn"), 0);
    ck_assert_int_eq(n_of(shop, "summary", "error"), 0);

    const json_t *root = result_of(shop, "debug-root", "runAsNonRoot");
    ck_assert_ptr_nonnull(root);
    ck_assert_str_eq(s_of(root, "result"), "fail");
    ck_assert_str_eq(s_of(root, "severity"), "high");
    ck_assert_str_eq(s_of(root, "policy"), "audit-fixtures");
    ck_assert_str_eq(s_of(root, "source"), "tollgate");
    ck_assert(json_is_true(json_object_get(root, "scored")));
    ck_assert_str_eq(s_of(root, "properties.admission"), "deny");
    ck_assert_ptr_nonnull(strstr(s_of(root, "message"), "container \"shell\""));
    ck_assert_ptr_nonnull(strstr(s_of(root, "message"), "runAsUser is 0"));
    ck_assert_int_eq(n_of(root, "timestamp", "seconds"), 1700000000);
    const json_t *ref = json_array_get(json_object_get(root, "resources"), 0);
    ck_assert_str_eq(s_of(ref, "apiVersion"), "v1");
    ck_assert_str_eq(s_of(ref, "kind"), "Pod");
    ck_assert_str_eq(s_of(ref, "namespace"), "shop");
    ck_assert_str_eq(s_of(ref, "uid"), "p-root");
    const json_t *pass = result_of(shop, "web", "probes");
    ck_assert_str_eq(s_of(pass, "result"), "pass");
    ck_assert_str_eq(s_of(pass, "severity"), "low");
    ck_assert_ptr_null(json_object_get(pass, "message"));
    ck_assert_str_eq(s_of(result_of(shop, "nightly-report", "pinnedTags"), "result"),
                     "fail");
    ck_assert_str_eq(s_of(result_of(shop, "nightly-report", "probes"), "result"), "pass");
    /* objects in kind order: the CronJob's results come first */
    ck_assert_str_eq(
        s_of(json_array_get(
                 json_object_get(json_array_get(json_object_get(shop, "results"), 0),
                                 "resources"),
                 0),
             "kind"),
        "CronJob");

    json_t *legacy = namespace_report(r, "legacy-app");
    const json_t *latest = result_of(legacy, "old-web", "pinnedTags");
    ck_assert_str_eq(s_of(latest, "result"), "fail");
    ck_assert_str_eq(s_of(latest, "properties.admission"), "would-deny");
    const json_t *probes = result_of(legacy, "old-web", "probes");
    ck_assert_str_eq(s_of(probes, "properties.findings"), "2");
    ck_assert_ptr_nonnull(strstr(s_of(probes, "message"), "livenessProbe"));
    ck_assert_ptr_nonnull(strstr(s_of(probes, "message"), "; container"));
    ck_assert_int_eq(n_of(legacy, "summary", "fail"), 3);
    ck_assert_int_eq(n_of(legacy, "summary", "pass"), 1);

    struct audit_summary t = audit_report_totals(r);
    ck_assert_uint_eq(t.fail, 8);
    ck_assert_uint_eq(t.pass, 20);
    json_decref(shop);
    json_decref(legacy);
    audit_report_free(r);
    json_decref(entries);
    policy_free(p);
}
END_TEST

START_TEST(mutate_fixes_are_warnings)
{
    struct policy *p = load_policy("audit/policy-mutate.yaml");
    json_t *entries = fixture_entries(p);
    struct audit_report *r = report_of(p, entries);
    json_t *shop = namespace_report(r, "shop");
    const json_t *x = result_of(shop, "api", "runAsNonRoot");
    ck_assert_str_eq(s_of(x, "result"), "warn");
    ck_assert_str_eq(s_of(x, "properties.admission"), "patch");
    ck_assert(!json_is_true(json_object_get(x, "scored")));
    /* runAsUser 0 cannot be fixed by a patch: still a failure */
    ck_assert_str_eq(s_of(result_of(shop, "debug-root", "runAsNonRoot"), "result"),
                     "fail");
    ck_assert_int_eq(n_of(shop, "summary", "warn"), 1);
    json_decref(shop);
    audit_report_free(r);
    json_decref(entries);
    policy_free(p);
}
END_TEST

START_TEST(budget_drops_passes_first_then_failures)
{
    struct policy *p = load_policy("audit/policy.yaml");
    json_t *entries = fixture_entries(p);
    struct audit_report *r = report_of(p, entries);
    audit_report_set_budget(r, 6000);
    json_t *shop = namespace_report(r, "shop");
    const json_t *results = json_object_get(shop, "results");
    ck_assert_uint_eq(json_array_size(results), 5); /* the failures only */
    for (size_t i = 0; i < json_array_size(results); i++)
        ck_assert_str_eq(s_of(json_array_get(results, i), "result"), "fail");
    ck_assert_str_eq(meta_of(shop, "annotations", "tollgate.dev/omitted-results"), "19");
    ck_assert_int_eq(n_of(shop, "summary", "pass"), 19); /* the summary stays exact */
    json_decref(shop);

    audit_report_set_budget(r, 2500);
    shop = namespace_report(r, "shop");
    size_t kept = json_array_size(json_object_get(shop, "results"));
    ck_assert_uint_gt(kept, 0);
    ck_assert_uint_lt(kept, 5);
    char *text = json_dumps(shop, JSON_COMPACT);
    ck_assert_uint_le(strlen(text), 2500);
    free(text);
    char omitted[16];
    snprintf(omitted, sizeof(omitted), "%zu", 24 - kept);
    ck_assert_str_eq(meta_of(shop, "annotations", "tollgate.dev/omitted-results"),
                     omitted);
    ck_assert_int_eq(n_of(shop, "summary", "fail"), 5);
    json_decref(shop);
    audit_report_free(r);
    json_decref(entries);
    policy_free(p);
}
END_TEST

START_TEST(cluster_report_has_the_totals)
{
    struct policy *p = load_policy("audit/policy.yaml");
    json_t *entries = fixture_entries(p);
    struct audit_report *r = report_of(p, entries);
    json_t *c = NULL;
    ck_assert_int_eq(audit_report_cluster_json(r, &c), TG_OK);
    ck_assert_str_eq(s_of(c, "kind"), "ClusterPolicyReport");
    ck_assert_ptr_null(json_object_get(json_object_get(c, "metadata"), "namespace"));
    ck_assert_int_eq(n_of(c, "summary", "fail"), 8);
    ck_assert_int_eq(n_of(c, "summary", "pass"), 20);
    const json_t *results = json_object_get(c, "results");
    ck_assert_uint_eq(json_array_size(results), 4); /* one per rule that is on */
    size_t i;
    const json_t *x;
    json_array_foreach(results, i, x)
    {
        const char *rule = s_of(x, "rule");
        if (strcmp(rule, "probes") == 0) {
            ck_assert_str_eq(s_of(x, "result"), "fail");
            ck_assert_str_eq(s_of(x, "properties.failed"), "3");
            ck_assert_str_eq(s_of(x, "properties.namespaces"), "legacy-app,shop");
        } else if (strcmp(rule, "allowedRegistries") == 0) {
            ck_assert_str_eq(s_of(x, "result"), "pass");
            /* no empty values: the API server would read "" as null */
            ck_assert_ptr_null(
                json_object_get(json_object_get(x, "properties"), "namespaces"));
        }
    }
    json_decref(c);
    audit_report_free(r);
    json_decref(entries);
    policy_free(p);
}
END_TEST

struct tally {
    char text[512];
    size_t used;
};

static void add_count(void *ctx, const char *rule, const char *ns, size_t count)
{
    struct tally *t = ctx;
    t->used += (size_t)snprintf(t->text + t->used, sizeof(t->text) - t->used,
                                "%s/%s=%zu ", ns, rule, count);
}

START_TEST(violations_by_rule_and_namespace)
{
    struct policy *p = load_policy("audit/policy.yaml");
    json_t *entries = fixture_entries(p);
    struct audit_report *r = report_of(p, entries);
    struct tally t = {.used = 0};
    t.text[0] = '\0';
    audit_report_violations(r, add_count, &t);
    ck_assert_str_eq(t.text, "legacy-app/runAsNonRoot=1 legacy-app/pinnedTags=1 "
                             "legacy-app/probes=2 shop/runAsNonRoot=2 shop/pinnedTags=1 "
                             "shop/probes=4 ");
    audit_report_free(r);
    json_decref(entries);
    policy_free(p);
}
END_TEST

START_TEST(unreadable_object_is_an_error_result)
{
    struct policy *p = policy_new_default();
    struct audit_report *r = audit_report_new(p, 1);
    json_t *e = json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:[]}", "kind", "Pod", "namespace",
                          "x", "name", "bad", "apiVersion", "v1", "decision", "error",
                          "error", "/spec/containers: expected a list", "findings");
    ck_assert_int_eq(audit_report_add(r, e), TG_OK);
    ck_assert_int_eq(audit_report_finish(r), TG_OK);
    ck_assert_int_eq(audit_report_add(r, e), TG_EINVAL); /* finished */
    json_t *doc = NULL;
    ck_assert_int_eq(audit_report_namespace_json(r, 0, &doc), TG_OK);
    ck_assert_uint_eq(json_array_size(json_object_get(doc, "results")), 1);
    const json_t *x = json_array_get(json_object_get(doc, "results"), 0);
    ck_assert_str_eq(s_of(x, "result"), "error");
    ck_assert_ptr_null(json_object_get(x, "rule"));
    ck_assert_int_eq(n_of(doc, "summary", "error"), 1);
    ck_assert_int_eq(n_of(doc, "summary", "pass"), 0);
    ck_assert_int_eq(audit_report_namespace_json(r, 1, &doc), TG_EINVAL);
    json_decref(doc);
    json_decref(e);
    audit_report_free(r);
    policy_free(p);
}
END_TEST

/* A finding about a pod spec field reads "pod (pointer)" in the report, as
 * in a denial: no container to name. */
START_TEST(pod_field_findings_name_the_pod)
{
    static const char text[] =
        "apiVersion: tollgate.dev/v1\nkind: Policy\nmetadata: {name: host}\n"
        "spec:\n  rules:\n    hostNamespaces: {action: enforce}\n";
    struct policy *p = NULL;
    struct tg_error err = {0};
    ck_assert_int_eq(policy_load_buffer(text, strlen(text), "t", &p, &err), TG_OK);
    json_t *object = json_loads(
        "{\"kind\":\"DaemonSet\",\"metadata\":{\"name\":\"agent\",\"namespace\":\"mon\"},"
        "\"spec\":{\"template\":{\"spec\":{\"hostPID\":true,\"containers\":[{\"name\":"
        "\"a\",\"image\":\"x:1\"}]}}}}",
        0, NULL);
    json_t *entry = NULL;
    ck_assert_int_eq(object_verdict_eval(p, NULL, object, NULL, &entry, &err), TG_OK);
    json_t *entries = json_pack("[o]", entry);
    struct audit_report *r = report_of(p, entries);
    json_t *mon = namespace_report(r, "mon");
    const json_t *host = result_of(mon, "agent", "hostNamespaces");
    ck_assert_ptr_nonnull(host);
    ck_assert_str_eq(s_of(host, "result"), "fail");
    ck_assert_str_eq(s_of(host, "severity"), "high");
    ck_assert_msg(
        strncmp(s_of(host, "message"), "pod (/spec/template/spec/hostPID): ", 35) == 0,
        "%s", s_of(host, "message"));
    json_decref(mon);
    audit_report_free(r);
    json_decref(entries);
    json_decref(object);
    policy_free(p);
}
END_TEST

START_TEST(severities_are_the_crds)
{
    ck_assert_str_eq(audit_report_severity("runAsNonRoot"), "high");
    ck_assert_str_eq(audit_report_severity("pinnedTags"), "medium");
    ck_assert_str_eq(audit_report_severity("probes"), "low");
    ck_assert_str_eq(audit_report_severity("aRuleAddedLater"), "medium");
}
END_TEST

/* Every step through a failing allocation: TG_ENOMEM or NULL, no leak. */
static enum tg_rc build_all(const struct policy *p, const json_t *entries)
{
    struct audit_report *r = audit_report_new(p, 5);
    if (!r)
        return TG_ENOMEM;
    enum tg_rc rc = TG_OK;
    size_t i;
    const json_t *e;
    json_array_foreach(entries, i, e)
    {
        if (rc == TG_OK)
            rc = audit_report_add(r, e);
    }
    if (rc == TG_OK)
        rc = audit_report_finish(r);
    for (size_t k = 0; rc == TG_OK && k < audit_report_n_namespaces(r); k++) {
        json_t *doc = NULL;
        rc = audit_report_namespace_json(r, k, &doc);
        json_decref(doc);
    }
    json_t *c = NULL;
    if (rc == TG_OK)
        rc = audit_report_cluster_json(r, &c);
    json_decref(c);
    audit_report_free(r);
    return rc;
}

START_TEST(survives_allocation_failures)
{
    struct policy *p = load_policy("audit/policy.yaml");
    json_t *entries = fixture_entries(p);
    long n = 0;
    for (;; n++) {
        alloc_fail_after(n);
        enum tg_rc rc = build_all(p, entries);
        alloc_fail_after(-1);
        if (rc == TG_OK)
            break;
        ck_assert_msg(rc == TG_ENOMEM, "after %ld allocations: rc %d", n, rc);
    }
    ck_assert_int_gt(n, 50);
    json_decref(entries);
    policy_free(p);
}
END_TEST

static Suite *audit_report_suite(void)
{
    Suite *s = suite_create("audit_report");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, one_report_per_namespace_with_exact_results);
    tcase_add_test(tc, mutate_fixes_are_warnings);
    tcase_add_test(tc, budget_drops_passes_first_then_failures);
    tcase_add_test(tc, cluster_report_has_the_totals);
    tcase_add_test(tc, violations_by_rule_and_namespace);
    tcase_add_test(tc, unreadable_object_is_an_error_result);
    tcase_add_test(tc, pod_field_findings_name_the_pod);
    tcase_add_test(tc, severities_are_the_crds);
    tcase_add_test(tc, survives_allocation_failures);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    alloc_json_install();
    return run_suite(audit_report_suite());
}
