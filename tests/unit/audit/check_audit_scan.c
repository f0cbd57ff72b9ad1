/* check_audit_scan.c -- listed pages through the audit's verdict: who is
 * reported (once, at the top-level controller), who is skipped or excluded,
 * and that every verdict is the one the webhook gives the same object. */
#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>

#include "admission.h"
#include "alloc.h"
#include "alloc_json.h"
#include "audit_fixture.h"
#include "audit_scan.h"
#include "jsonpatch_ref.h"
#include "testutil.h"

static struct policy *load_policy(void)
{
    return audit_fixture_policy("audit/policy.yaml");
}

struct collected {
    json_t *entries; /* the verdicts */
    json_t *objects; /* the objects as the sink saw them */
    int fail_after;  /* sink refuses the n-th entry; < 0: never */
};

static enum tg_rc collect(void *ctx, const json_t *object, json_t *entry)
{
    struct collected *c = ctx;
    if (c->fail_after >= 0 && (int)json_array_size(c->entries) == c->fail_after) {
        json_decref(entry);
        return TG_EIO;
    }
    if (json_array_append_new(c->entries, entry) != 0 ||
        json_array_append_new(c->objects, json_deep_copy(object)) != 0)
        return TG_ENOMEM;
    return TG_OK;
}

static enum tg_rc scan_fixture(const struct policy *p, const struct audit_fixture *f,
                               struct collected *c, struct audit_counts *counts)
{
    struct audit_scan s = {.policy = p, .sink = collect, .sink_ctx = c};
    enum tg_rc rc = audit_fixture_scan(f, &s);
    *counts = s.counts;
    return rc;
}

static enum tg_rc scan_all(const struct policy *p, struct collected *c,
                           struct audit_counts *counts)
{
    struct audit_fixture f;
    audit_fixture_load(&f);
    enum tg_rc rc = scan_fixture(p, &f, c, counts);
    audit_fixture_cleanup(&f);
    return rc;
}

static const json_t *find_entry(const json_t *entries, const char *kind, const char *ns,
                                const char *name)
{
    size_t i;
    const json_t *e;
    json_array_foreach(entries, i, e)
    {
        if (strcmp(json_string_value(json_object_get(e, "kind")), kind) == 0 &&
            strcmp(json_string_value(json_object_get(e, "namespace")), ns) == 0 &&
            strcmp(json_string_value(json_object_get(e, "name")), name) == 0)
            return e;
    }
    return NULL;
}

static const struct {
    const char *kind, *ns, *name, *decision, *rules, *source;
} reported[] = {
    {"Deployment", "shop", "web", "allow", "",
     "/apis/apps/v1/namespaces/shop/deployments/web"},
    {"Deployment", "shop", "api", "deny", "runAsNonRoot",
     "/apis/apps/v1/namespaces/shop/deployments/api"},
    {"Deployment", "legacy-app", "old-web", "would-deny",
     "runAsNonRoot,pinnedTags,probes",
     "/apis/apps/v1/namespaces/legacy-app/deployments/old-web"},
    {"CronJob", "shop", "nightly-report", "deny", "pinnedTags",
     "/apis/batch/v1/namespaces/shop/cronjobs/nightly-report"},
    {"Pod", "shop", "debug-root", "deny", "runAsNonRoot",
     "/api/v1/namespaces/shop/pods/debug-root"},
    {"ReplicaSet", "shop", "canary-7c4", "deny", "probes",
     "/apis/apps/v1/namespaces/shop/replicasets/canary-7c4"},
    {"Pod", "shop", "canary-direct", "deny", "probes",
     "/api/v1/namespaces/shop/pods/canary-direct"},
};

/* "rule,rule" of the findings in an entry, in order, each once; with
 * `unfixed`, only violations the mutate stage did not fix (what the
 * webhook's decision log lists). */
static void entry_rules(const json_t *e, bool unfixed, char *out, size_t len)
{
    size_t i, used = 0;
    const json_t *f;
    out[0] = '\0';
    json_array_foreach(json_object_get(e, "findings"), i, f)
    {
        const char *rule = json_string_value(json_object_get(f, "rule"));
        const char *outcome = json_string_value(json_object_get(f, "outcome"));
        const char *severity = json_string_value(json_object_get(f, "severity"));
        if (strstr(out, rule) ||
            (unfixed && (strcmp(outcome, "fixed") == 0 || strcmp(severity, "note") == 0)))
            continue;
        used += (size_t)snprintf(out + used, len - used, "%s%s", used ? "," : "", rule);
    }
}

START_TEST(reports_each_object_once_at_its_controller)
{
    struct policy *p = load_policy();
    struct collected c = {json_array(), json_array(), -1};
    struct audit_counts counts;
    ck_assert_int_eq(scan_all(p, &c, &counts), TG_OK);
    ck_assert_uint_eq(counts.listed, 15);
    ck_assert_uint_eq(counts.owned,
                      6); /* RS of web, its 2 Pods, Job, Job's Pod, canary Pod */
    ck_assert_uint_eq(counts.excluded, 2); /* kube-system's Deployment and Pod */
    ck_assert_uint_eq(counts.judged, ARRAY_LEN(reported));
    ck_assert_uint_eq(counts.errors, 0);
    ck_assert_uint_eq(json_array_size(c.entries), ARRAY_LEN(reported));
    for (size_t i = 0; i < ARRAY_LEN(reported); i++) {
        const json_t *e =
            find_entry(c.entries, reported[i].kind, reported[i].ns, reported[i].name);
        ck_assert_msg(e != NULL, "%s %s/%s not reported", reported[i].kind,
                      reported[i].ns, reported[i].name);
        ck_assert_str_eq(json_string_value(json_object_get(e, "decision")),
                         reported[i].decision);
        char rules[256];
        entry_rules(e, false, rules, sizeof(rules));
        ck_assert_str_eq(rules, reported[i].rules);
        ck_assert_str_eq(json_string_value(json_object_get(e, "source")),
                         reported[i].source);
        ck_assert_ptr_nonnull(json_object_get(e, "uid"));
    }
    /* Nothing from the excluded namespace, no owned object. */
    ck_assert_ptr_null(find_entry(c.entries, "Deployment", "kube-system", "coredns"));
    ck_assert_ptr_null(find_entry(c.entries, "ReplicaSet", "shop", "web-5d8f"));
    ck_assert_ptr_null(find_entry(c.entries, "Job", "shop", "nightly-report-28000"));
    json_decref(c.entries);
    json_decref(c.objects);
    policy_free(p);
}
END_TEST

/* The webhook's answer for `object` as the API server asks: /mutate on
 * CREATE, its patch applied, then /validate on the result. */
static const char *webhook_decision(const struct policy *p, const json_t *object,
                                    char *rules, size_t len)
{
    json_t *obj = json_deep_copy(object);
    static char decision[32];
    for (int ep = ENDPOINT_MUTATE; ep >= ENDPOINT_VALIDATE; ep--) {
        const json_t *meta = json_object_get(obj, "metadata");
        json_t *rv = json_pack(
            "{s:s,s:s,s:{s:s,s:{s:s,s:s,s:s},s:s,s:s,s:s,s:O}}", "apiVersion",
            "admission.k8s.io/v1", "kind", "AdmissionReview", "request", "uid", "u-1",
            "kind", "group", "", "version", "v1", "kind",
            json_string_value(json_object_get(obj, "kind")), "operation", "CREATE",
            "namespace", json_string_value(json_object_get(meta, "namespace")), "name",
            json_string_value(json_object_get(meta, "name")), "object", obj);
        char *body = json_dumps(rv, JSON_COMPACT);
        struct admission_options opt = {.endpoint = (enum admission_endpoint)ep};
        struct admission_result res;
        struct tg_error err = {0};
        ck_assert_int_eq(admission_handle(p, body, strlen(body), &opt, &res, &err),
                         TG_OK);
        json_t *out = json_loads(res.response, 0, NULL);
        const char *patch =
            json_string_value(json_object_get(json_object_get(out, "response"), "patch"));
        if (ep == ENDPOINT_MUTATE && patch) {
            /* The patch is base64 JSON; the validate stage sees it applied. */
            size_t plen = strlen(patch);
            unsigned char *raw = malloc(plen);
            int n = EVP_DecodeBlock(raw, (const unsigned char *)patch, (int)plen);
            ck_assert_int_gt(n, 0);
            while (n > 0 && raw[n - 1] == '\0')
                n--;
            json_t *ops = json_loadb((const char *)raw, (size_t)n, 0, NULL);
            char why[256];
            ck_assert_int_eq(jsonpatch_ref_apply(obj, ops, why), 0);
            json_decref(ops);
            free(raw);
        }
        if (ep == ENDPOINT_VALIDATE) {
            snprintf(decision, sizeof(decision), "%s", res.decision);
            snprintf(rules, len, "%s", res.rules);
        }
        json_decref(out);
        admission_result_cleanup(&res);
        free(body);
        json_decref(rv);
    }
    json_decref(obj);
    return decision;
}

static const char *const policies[] = {"audit/policy.yaml", "audit/policy-mutate.yaml"};

START_TEST(verdicts_equal_the_webhooks)
{
    struct policy *p = audit_fixture_policy(policies[_i]);
    struct collected c = {json_array(), json_array(), -1};
    struct audit_counts counts;
    ck_assert_int_eq(scan_all(p, &c, &counts), TG_OK);
    size_t i;
    int fixed = 0;
    const json_t *e;
    json_array_foreach(c.entries, i, e)
    {
        char rules[256], expected[256];
        const char *d =
            webhook_decision(p, json_array_get(c.objects, i), rules, sizeof(rules));
        ck_assert_str_eq(json_string_value(json_object_get(e, "decision")), d);
        /* The webhook lists the rules that found a violation it did not fix. */
        entry_rules(e, true, expected, sizeof(expected));
        ck_assert_str_eq(rules, expected);
        fixed += strcmp(json_string_value(json_object_get(e, "name")), "api") == 0 &&
                 strcmp(d, "allow") == 0;
    }
    ck_assert_int_eq(fixed, _i == 1); /* the mutate policy fixes shop/api */
    json_decref(c.entries);
    json_decref(c.objects);
    policy_free(p);
}
END_TEST

START_TEST(unreadable_object_is_an_error_entry)
{
    struct policy *p = policy_new_default();
    json_t *items = json_loads(
        "[{\"kind\":\"Pod\",\"apiVersion\":\"v1\",\"metadata\":{\"name\":\"bad\","
        "\"namespace\":\"ns\",\"uid\":\"u\"},\"spec\":{\"containers\":{\"not\":\"a "
        "list\"}}},"
        "{\"kind\":\"Pod\",\"apiVersion\":\"v1\",\"metadata\":{\"name\":\"good\","
        "\"namespace\":\"ns\"},\"spec\":{\"containers\":[{\"name\":\"a\",\"image\":"
        "\"nginx:1.2\"}]}}]",
        0, NULL);
    ck_assert_ptr_nonnull(items);
    struct collected c = {json_array(), json_array(), -1};
    struct audit_scan s = {.policy = p, .sink = collect, .sink_ctx = &c};
    for (size_t i = 0; i < json_array_size(items); i++)
        ck_assert_int_eq(audit_scan_item(&s, &KUBE_RES_PODS, json_array_get(items, i)),
                         TG_OK);
    ck_assert_uint_eq(s.counts.judged, 2);
    ck_assert_uint_eq(s.counts.errors, 1);
    const json_t *bad = json_array_get(c.entries, 0);
    ck_assert_str_eq(json_string_value(json_object_get(bad, "decision")), "error");
    ck_assert_str_eq(json_string_value(json_object_get(bad, "kind")), "Pod");
    ck_assert_ptr_nonnull(
        strstr(json_string_value(json_object_get(bad, "error")), "/spec/containers"));
    ck_assert_str_eq(json_string_value(json_object_get(bad, "source")),
                     "/api/v1/namespaces/ns/pods/bad");
    ck_assert_str_eq(
        json_string_value(json_object_get(json_array_get(c.entries, 1), "decision")),
        "deny");
    /* The item is left as listed. */
    ck_assert_ptr_null(json_object_get(json_array_get(items, 1), "source"));
    json_decref(items);
    json_decref(c.entries);
    json_decref(c.objects);
    policy_free(p);
}
END_TEST

START_TEST(sink_failure_stops_the_scan)
{
    struct policy *p = load_policy();
    struct collected c = {json_array(), json_array(), 1};
    struct audit_counts counts;
    ck_assert_int_eq(scan_all(p, &c, &counts), TG_EIO);
    ck_assert_uint_eq(json_array_size(c.entries), 1);
    json_decref(c.entries);
    json_decref(c.objects);
    policy_free(p);
}
END_TEST

START_TEST(survives_allocation_failures)
{
    struct policy *p = audit_fixture_policy(policies[_i]);
    struct audit_fixture f;
    audit_fixture_load(&f);
    long n = 0;
    for (;; n++) {
        struct collected c = {json_array(), json_array(), -1};
        struct audit_counts counts;
        alloc_fail_after(n);
        enum tg_rc rc = scan_fixture(p, &f, &c, &counts);
        alloc_fail_after(-1);
        json_decref(c.entries);
        json_decref(c.objects);
        if (rc == TG_OK)
            break;
        ck_assert_msg(rc == TG_ENOMEM, "after %ld allocations: rc %d", n, rc);
    }
    ck_assert_int_gt(n, 50);
    audit_fixture_cleanup(&f);
    policy_free(p);
}
END_TEST

static Suite *audit_scan_suite(void)
{
    Suite *s = suite_create("audit_scan");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, reports_each_object_once_at_its_controller);
    tcase_add_loop_test(tc, verdicts_equal_the_webhooks, 0, ARRAY_LEN(policies));
    tcase_add_test(tc, unreadable_object_is_an_error_entry);
    tcase_add_test(tc, sink_failure_stops_the_scan);
    tcase_add_loop_test(tc, survives_allocation_failures, 0, ARRAY_LEN(policies));
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    alloc_json_install();
    return run_suite(audit_scan_suite());
}
