/* check_kube_list.c -- kube_list.c against the fake API server.
 *
 * Paging (limit, continue tokens that need escaping, one namespace and all
 * of them), kind and apiVersion put on every item, every pod-bearing kind,
 * and each way a list can go wrong part-way: a 410 once (the list starts
 * over and the sink is told), 410 every time (it gives up), the wrong
 * kind, a foreign item, a page truncated, hung, failing or malformed, a
 * server that repeats its token, and callbacks that fail.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

#include "alloc.h"
#include "alloc_json.h"
#include "kube_fixture.h"
#include "kube_list.h"
#include "testutil.h"

static struct kube_fixture fx;

/* What a sink saw. */
struct seen {
    char names[64][64]; /* "ns/name" of the current pass */
    size_t n;
    size_t total; /* items over all passes */
    int restarts; /* restart callbacks */
    char kind[32], api_version[32];
    size_t fail_at; /* item callback fails on this item (1-based); 0 = never */
    bool fail_restart;
};

static enum tg_rc on_item(void *ctx, json_t *item, struct kube_error *err)
{
    struct seen *s = ctx;
    const json_t *meta = json_object_get(item, "metadata");
    s->total++;
    if (s->fail_at && s->total == s->fail_at)
        return kube_error_set(err, TG_EINVAL, KUBE_FAULT_LOCAL, NULL, "sink is full");
    ck_assert_uint_lt(s->n, 64);
    snprintf(s->names[s->n++], 64, "%s/%s",
             json_string_value(json_object_get(meta, "namespace")),
             json_string_value(json_object_get(meta, "name")));
    snprintf(s->kind, sizeof(s->kind), "%s",
             json_string_value(json_object_get(item, "kind")));
    snprintf(s->api_version, sizeof(s->api_version), "%s",
             json_string_value(json_object_get(item, "apiVersion")));
    return TG_OK;
}

static enum tg_rc on_restart(void *ctx, struct kube_error *err)
{
    struct seen *s = ctx;
    s->restarts++;
    s->n = 0; /* the abandoned pass is dropped */
    if (s->fail_restart)
        return kube_error_set(err, TG_EIO, KUBE_FAULT_LOCAL, NULL, "cannot start over");
    return TG_OK;
}

static struct kube_config *cfg;

static struct kube_client *client(long timeout_ms)
{
    struct kube_client_opts o = {timeout_ms ? timeout_ms : 60000, 0};
    struct kube_client *c = NULL;
    struct kube_error err;
    ck_assert_msg(kube_client_new(cfg, &o, &c, &err) == TG_OK, "%s", err.base.text);
    return c;
}

static enum tg_rc list(const struct kube_list_opts *o, struct seen *s,
                       struct kube_list_stats *st, struct kube_error *err, long timeout)
{
    struct kube_client *c = client(timeout);
    const struct kube_list_sink sink = {on_item, on_restart, s};
    enum tg_rc rc = kube_list(c, o, &sink, st, err);
    kube_client_free(c);
    return rc;
}

/* ---- complete lists ------------------------------------------------------- */

static const struct {
    const struct kube_resource *res;
    const char *ns;
    long limit;
    size_t items, pages;
    const char *first, *last, *kind, *api_version;
} pagings[] = {
    {&KUBE_RES_PODS, "alpha", 2, 7, 4, "alpha/pod-0", "alpha/pod-6", "Pod", "v1"},
    {&KUBE_RES_PODS, "alpha", 7, 7, 1, "alpha/pod-0", "alpha/pod-6", "Pod", "v1"},
    {&KUBE_RES_PODS, "alpha", 6, 7, 2, "alpha/pod-0", "alpha/pod-6", "Pod", "v1"},
    {&KUBE_RES_PODS, "alpha", 0, 7, 1, "alpha/pod-0", "alpha/pod-6", "Pod", "v1"},
    {&KUBE_RES_PODS, NULL, 3, 10, 4, "alpha/pod-0", "beta/pod-2", "Pod", "v1"},
    {&KUBE_RES_PODS, "", 1, 10, 10, "alpha/pod-0", "beta/pod-2", "Pod", "v1"},
    {&KUBE_RES_DEPLOYMENTS, "alpha", 1, 2, 2, "alpha/web", "alpha/api", "Deployment",
     "apps/v1"},
    {&KUBE_RES_PODS, "items-null", 2, 0, 1, NULL, NULL, NULL, NULL},
    {&KUBE_RES_PODS, "empty", 2, 0, 1, NULL, NULL, NULL, NULL},
};

START_TEST(pages_in_order)
{
    const struct kube_list_opts o = {
        pagings[_i].res, pagings[_i].ns, pagings[_i].limit, NULL, 0, NULL};
    struct seen s = {0};
    struct kube_list_stats st;
    struct kube_error err;
    ck_assert_msg(list(&o, &s, &st, &err, 0) == TG_OK, "%s", err.base.text);
    ck_assert_uint_eq(s.n, pagings[_i].items);
    ck_assert_uint_eq(st.items, pagings[_i].items);
    ck_assert_uint_eq(st.pages, pagings[_i].pages);
    ck_assert_uint_eq(st.restarts, 0);
    ck_assert_int_eq(s.restarts, 0);
    ck_assert_str_eq(st.resource_version, "1000");
    if (pagings[_i].items) {
        ck_assert_str_eq(s.names[0], pagings[_i].first);
        ck_assert_str_eq(s.names[s.n - 1], pagings[_i].last);
        ck_assert_str_eq(s.kind, pagings[_i].kind);
        ck_assert_str_eq(s.api_version, pagings[_i].api_version);
    }
}
END_TEST

START_TEST(every_workload_kind)
{
    struct kube_client *c = client(0);
    struct kube_workloads w;
    struct kube_error err;
    ck_assert_int_eq(kube_workloads_discover(c, &w, &err), TG_OK);
    kube_client_free(c);
    size_t total = 0;
    for (size_t i = 0; i < w.n; i++) {
        const struct kube_list_opts o = {w.res[i], NULL, 1, NULL, 0, NULL};
        struct seen s = {0};
        struct kube_list_stats st;
        ck_assert_msg(list(&o, &s, &st, &err, 0) == TG_OK, "%s: %s", w.res[i]->kind,
                      err.base.text);
        if (s.n)
            ck_assert_str_eq(s.kind, w.res[i]->kind);
        total += s.n;
    }
    ck_assert_uint_eq(total, 10 + 2); /* the pods and deployments of alpha and beta */
}
END_TEST

START_TEST(label_selector_is_escaped)
{
    const struct kube_list_opts o = {.res = &KUBE_RES_PODS,
                                     .ns = "alpha",
                                     .limit = 2,
                                     .label_selector = "app=web,tier!=db"};
    struct seen s = {0};
    struct kube_error err;
    ck_assert_msg(list(&o, &s, NULL, &err, 0) == TG_OK, "%s", err.base.text);
    ck_assert_uint_eq(s.n, 1);
}
END_TEST

/* ---- 410 Gone -------------------------------------------------------------- */

START_TEST(gone_once_starts_over)
{
    const struct kube_list_opts o = {&KUBE_RES_PODS, "gone-once", 2, NULL, 0, NULL};
    struct seen s = {0};
    struct kube_list_stats st;
    struct kube_error err;
    ck_assert_msg(list(&o, &s, &st, &err, 0) == TG_OK, "%s", err.base.text);
    ck_assert_int_eq(s.restarts, 1);
    ck_assert_uint_eq(st.restarts, 1);
    ck_assert_uint_eq(s.n, 5); /* one complete pass, nothing of the first */
    ck_assert_uint_eq(st.items, 5);
    ck_assert_uint_eq(s.total, 2 + 5);
    ck_assert_uint_eq(st.pages, 1 + 3);
    ck_assert_str_eq(s.names[0], "gone-once/pod-0");
    ck_assert_str_eq(s.names[4], "gone-once/pod-4");
}
END_TEST

START_TEST(gone_always_gives_up)
{
    const struct kube_list_opts o = {&KUBE_RES_PODS, "gone-always", 2, NULL, 2, NULL};
    struct seen s = {0};
    struct kube_list_stats st;
    struct kube_error err;
    ck_assert_int_eq(list(&o, &s, &st, &err, 0), TG_EIO);
    ck_assert_int_eq(err.http_code, 410);
    ck_assert_str_eq(err.reason, "Expired");
    ck_assert_ptr_nonnull(strstr(err.base.text,
                                 "the list started over 2 times and expired "
                                 "again: 410 Gone: The provided continue "
                                 "parameter is too old"));
    ck_assert_int_eq(s.restarts, 2);
    ck_assert_uint_eq(st.restarts, 2);
    ck_assert_uint_eq(st.pages, 3);
}
END_TEST

START_TEST(restart_callback_may_refuse)
{
    const struct kube_list_opts o = {&KUBE_RES_PODS, "gone-always", 2, NULL, 0, NULL};
    struct seen s = {.fail_restart = true};
    struct kube_error err;
    ck_assert_int_eq(list(&o, &s, NULL, &err, 0), TG_EIO);
    ck_assert_int_eq(err.fault, KUBE_FAULT_LOCAL);
    ck_assert_str_eq(err.base.text, "cannot start over");
    ck_assert_int_eq(s.restarts, 1);
}
END_TEST

/* ---- pages that go wrong ---------------------------------------------------- */

static const struct {
    const char *ns;
    enum tg_rc rc;
    enum kube_fault fault;
    long code;
    size_t delivered; /* items the sink had before the failure */
    const char *text;
} broken[] = {
    {"wrong-kind", TG_EIO, KUBE_FAULT_BODY, 200, 0,
     "wrong kind: expected PodList (v1), got ConfigMapList (v1)"},
    {"wrong-item", TG_EIO, KUBE_FAULT_BODY, 200, 0, "wrong kind: PodList holds a Secret"},
    {"truncated-page2", TG_EIO, KUBE_FAULT_TRUNCATED, 200, 2, "cut short"},
    {"hang-page2", TG_ETIMEDOUT, KUBE_FAULT_TIMEOUT, 0, 2, "within 1500 ms"},
    {"error-page2", TG_EIO, KUBE_FAULT_HTTP, 500, 2, "500 Internal Server Error"},
    {"malformed-page2", TG_EIO, KUBE_FAULT_BODY, 200, 2, "not JSON"},
    {"same-token", TG_EIO, KUBE_FAULT_BODY, 200, 4, "the same continue token twice"},
    {"forbidden", TG_EIO, KUBE_FAULT_HTTP, 403, 0, "pods is forbidden"},
};

START_TEST(broken_pages)
{
    const struct kube_list_opts o = {&KUBE_RES_PODS, broken[_i].ns, 2, NULL, 0, NULL};
    struct seen s = {0};
    struct kube_list_stats st;
    struct kube_error err;
    bool hang = strcmp(broken[_i].ns, "hang-page2") == 0;
    enum tg_rc rc = list(&o, &s, &st, &err, hang ? 1500 : 0);
    ck_assert_msg(rc == broken[_i].rc, "%s: %d %s", broken[_i].ns, rc, err.base.text);
    ck_assert_str_eq(kube_fault_str(err.fault), kube_fault_str(broken[_i].fault));
    ck_assert_int_eq(err.http_code, broken[_i].code);
    ck_assert_msg(strstr(err.base.text, broken[_i].text), "%s", err.base.text);
    ck_assert_uint_eq(s.n, broken[_i].delivered);
    ck_assert_uint_eq(st.items, broken[_i].delivered);
    ck_assert_int_eq(s.restarts, 0);
}
END_TEST

START_TEST(item_callback_stops_the_list)
{
    const struct kube_list_opts o = {&KUBE_RES_PODS, "alpha", 2, NULL, 0, NULL};
    struct seen s = {.fail_at = 3};
    struct kube_list_stats st;
    struct kube_error err;
    ck_assert_int_eq(list(&o, &s, &st, &err, 0), TG_EINVAL);
    ck_assert_str_eq(err.base.text, "sink is full");
    ck_assert_uint_eq(st.pages, 2); /* no page after the one that failed */
    ck_assert_uint_eq(st.items, 2);
}
END_TEST

/* Raw keys: the items' members named there come as the JSON text the API
 * server sent; the rest, kind and apiVersion included, as before. */
static enum tg_rc on_raw_item(void *ctx, json_t *item, struct kube_error *err)
{
    size_t *n = ctx;
    (void)err;
    const char *spec = json_string_value(json_object_get(item, "spec"));
    ck_assert_ptr_nonnull(spec);
    json_t *back = json_loads(spec, 0, NULL);
    ck_assert_ptr_nonnull(json_object_get(back, "containers"));
    json_decref(back);
    ck_assert(json_is_object(json_object_get(item, "metadata")));
    ck_assert_str_eq(json_string_value(json_object_get(item, "kind")), "Pod");
    ++*n;
    return TG_OK;
}

START_TEST(raw_keys_leave_members_as_text)
{
    static const char *const raw[] = {"spec", NULL};
    const struct kube_list_opts o = {
        .res = &KUBE_RES_PODS, .ns = "alpha", .limit = 2, .raw_keys = raw};
    size_t n = 0;
    struct kube_client *c = client(0);
    const struct kube_list_sink sink = {on_raw_item, NULL, &n};
    struct kube_list_stats st;
    struct kube_error err;
    ck_assert_msg(kube_list(c, &o, &sink, &st, &err) == TG_OK, "%s", err.base.text);
    ck_assert_uint_eq(n, st.items);
    ck_assert_uint_gt(st.pages, 1);
    kube_client_free(c);
}
END_TEST

static const struct {
    const struct kube_resource *res;
    const char *ns;
    long limit;
    bool no_item;
    const char *text;
    const char *const *raw;
} bad_opts[] = {
    {NULL, "alpha", 2, false, "needs a resource", NULL},
    {&KUBE_RES_PODS, "alpha", 2, true, "an item callback", NULL},
    {&KUBE_RES_PODS, "alpha", -1, false, "must not be negative", NULL},
    {&KUBE_RES_PODS, "Not_A_Namespace", 2, false, "namespace \"Not_A_Namespace\" is not",
     NULL},
    {&KUBE_RES_PODS, "alpha", 2, false,
     "kube_list reads \"items\": it cannot be a raw key",
     (const char *const[]){"status", "items", NULL}},
    {&KUBE_RES_PODS, "alpha", 2, false, "kube_list reads \"metadata\"",
     (const char *const[]){"metadata", NULL}},
    {&KUBE_RES_PODS, "alpha", 2, false, "kube_list reads \"continue\"",
     (const char *const[]){"continue", NULL}},
};

START_TEST(bad_options)
{
    const struct kube_list_opts o = {
        bad_opts[_i].res, bad_opts[_i].ns, bad_opts[_i].limit, NULL, 0, bad_opts[_i].raw};
    struct seen s = {0};
    struct kube_client *c = client(0);
    const struct kube_list_sink sink = {bad_opts[_i].no_item ? NULL : on_item, NULL, &s};
    struct kube_error err;
    ck_assert_int_eq(kube_list(c, &o, &sink, NULL, &err), TG_EINVAL);
    ck_assert_int_eq(err.fault, KUBE_FAULT_LOCAL);
    ck_assert_msg(strstr(err.base.text, bad_opts[_i].text), "%s", err.base.text);
    kube_client_free(c);
}
END_TEST

START_TEST(allocation_failures)
{
    const struct kube_list_opts o = {&KUBE_RES_PODS, "gone-once", 2, NULL, 0, NULL};
    struct kube_client *c = client(0);
    bool passed = false;
    for (long n = 0; n < 2000 && !passed; n++) {
        struct seen s = {0};
        const struct kube_list_sink sink = {on_item, on_restart, &s};
        struct kube_error err;
        alloc_fail_after(n);
        enum tg_rc rc = kube_list(c, &o, &sink, NULL, &err);
        alloc_fail_after(-1);
        bool body =
            rc == TG_EIO && err.fault == KUBE_FAULT_BODY; /* see check_kube_client */
        ck_assert_msg(rc == TG_OK || rc == TG_ENOMEM || body, "n=%ld: %d %s", n, rc,
                      err.base.text);
        passed = rc == TG_OK;
        if (passed)
            ck_assert_uint_eq(s.n, 5);
    }
    ck_assert(passed);
    kube_client_free(c);
}
END_TEST

static void setup(void)
{
    kube_fixture_start(&fx, true);
    const char *kc = kube_fixture_kubeconfig(&fx, "kc", NULL,
                                             "    certificate-authority: certs/ca.crt\n",
                                             "    token: tok1\n");
    cfg = kube_fixture_config(kc);
}

static void teardown(void)
{
    kube_config_free(cfg);
    kube_fixture_stop(&fx);
}

static Suite *suite(void)
{
    Suite *s = suite_create("kube_list");
    TCase *tc = tcase_create("core");
    tcase_add_unchecked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 300);
    tcase_add_loop_test(tc, pages_in_order, 0, ARRAY_LEN(pagings));
    tcase_add_test(tc, every_workload_kind);
    tcase_add_test(tc, label_selector_is_escaped);
    tcase_add_test(tc, gone_once_starts_over);
    tcase_add_test(tc, gone_always_gives_up);
    tcase_add_test(tc, restart_callback_may_refuse);
    tcase_add_loop_test(tc, broken_pages, 0, ARRAY_LEN(broken));
    tcase_add_test(tc, item_callback_stops_the_list);
    tcase_add_test(tc, raw_keys_leave_members_as_text);
    tcase_add_loop_test(tc, bad_options, 0, ARRAY_LEN(bad_opts));
    tcase_add_test(tc, allocation_failures);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    alloc_json_install();
    curl_global_init(CURL_GLOBAL_DEFAULT);
    int rc = run_suite(suite());
    curl_global_cleanup();
    return rc;
}
