/* check_audit_lean.c -- listing lean changes no verdict and no report.
 *
 * The audit's lists leave the members no verdict reads as JSON text
 * (audit_scan_unread_members, through kube_list's raw keys and
 * kube_decode), and kube_client decodes with jsondec instead of jansson's
 * json_loadb.  Both are only sound while they change no answer, so the same
 * pages are judged three ways -- json_loadb as kube_client did, jsondec
 * building everything, jsondec lean -- under several policies, and every
 * verdict entry and every rendered PolicyReport (each namespace's and the
 * cluster's) must be the same byte for byte; the first two trees must be
 * equal too.  The pages: bench_audit's own (tests/support/podlist.c, both
 * mixes; what its 10,000 pods vary that a rule could read repeats every
 * 150), the audit fixture cluster (tests/data/audit) and every object of
 * the manifest fixtures; and a whole pass through the fake API server, lean
 * against build_all.  The policies
 * and manifests are found, not listed (every *policy*.yaml and manifest
 * under tests/data's modes, rules, audit, cli and manifests), so a fixture
 * added for a new rule is compared here as in check_lean.  A rule that
 * starts reading a member of engine_unread_members without saying so in
 * its rule row makes these differ.
 */
#include <curl/curl.h>
#include <glob.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alloc_json.h"
#include "audit_cluster.h"
#include "audit_fixture.h"
#include "audit_report.h"
#include "audit_scan.h"
#include "buf.h"
#include "cluster_fixture.h"
#include "kube_decode.h"
#include "manifest.h"
#include "podlist.h"
#include "policy_load.h"
#include "testutil.h"

#define SCAN_TIME 1700000000
#define PODS 300 /* twice lcm(3, 10, 50): every rule-breaking, owned, namespace mix */
#define PAGE 250

/* What the tests are run over, found once in main: [0] is the built-in
 * default, [1] policies/, then every match of policy_globs; objects are
 * the files of object_globs that are manifests. */
static const char *const policy_globs[] = {"modes/*policy*.yaml", "rules/*policy*.yaml",
                                           "audit/*policy*.yaml", "cli/*policy*.yaml"};
static const char *const object_globs[] = {"manifests/*.yaml", "manifests/*.json",
                                           "cli/*.yaml", "rules/*.yaml"};
static glob_t policies, objects;

static const char *const audit_pages[] = {"cronjobs", "deployments", "jobs",
                                          "replicasets", "pods"};

static void find(glob_t *g, const char *const *patterns, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        int rc = glob(fixture_path(patterns[i]), i ? GLOB_APPEND : 0, NULL, g);
        if (rc != 0 && rc != GLOB_NOMATCH)
            abort();
    }
}

static size_t n_policies(void)
{
    return 2 + policies.gl_pathc;
}

static const char *policy_name(size_t i)
{
    return i == 0 ? "default" : i == 1 ? "policies/" : policies.gl_pathv[i - 2];
}

static struct policy *policy_at(size_t i)
{
    if (i == 0)
        return policy_new_default();
    struct policy *p = NULL;
    struct tg_error err = {0};
    const char *path =
        i == 1 ? TOLLGATE_SOURCE_DIR "/policies" : policies.gl_pathv[i - 2];
    ck_assert_msg(policy_load_path(path, &p, &err) == TG_OK, "%s: %s", path, err.text);
    return p;
}

enum decoder { JANSSON, FULL, LEAN, N_DECODERS };

static const char *const decoder_names[] = {"json_loadb", "jsondec", "jsondec lean"};

/* One way of judging: its verdicts, in order, and its reports. */
struct run {
    json_t *entries;
    struct audit_report *report;
    struct audit_scan scan;
};

static enum tg_rc keep(void *ctx, const json_t *object, json_t *entry)
{
    struct run *r = ctx;
    (void)object;
    enum tg_rc rc = audit_report_add(r->report, entry);
    if (json_array_append_new(r->entries, entry) != 0)
        return TG_ENOMEM;
    return rc;
}

static void run_init(struct run *r, const struct policy *p)
{
    r->entries = json_array();
    r->report = audit_report_new(p, SCAN_TIME);
    ck_assert_ptr_nonnull(r->entries);
    ck_assert_ptr_nonnull(r->report);
    r->scan = (struct audit_scan){.policy = p, .sink = keep, .sink_ctx = r};
}

static void run_cleanup(struct run *r)
{
    json_decref(r->entries);
    audit_report_free(r->report);
}

/* A body as the audit's client decodes it (JANSSON: as it used to). */
static json_t *decode(enum decoder d, const struct policy *p, const char *text,
                      size_t len)
{
    if (d == JANSSON)
        return json_loadb(text, len, JSON_REJECT_DUPLICATES, NULL);
    const char *unread[ENGINE_UNREAD_CAP];
    const struct kube_body body = {
        text, len, d == LEAN ? audit_scan_unread_members(p, unread) : NULL};
    json_t *v = NULL;
    struct kube_error err;
    ck_assert_msg(kube_decode_object(&body, "t", &v, &err) == TG_OK, "%s", err.base.text);
    return v;
}

/* One list page's items, kind and apiVersion set as kube_list does, judged
 * by each decoder's run; the two built trees must be equal. */
static void judge_page(struct run runs[N_DECODERS], const struct kube_resource *res,
                       const char *text, size_t len)
{
    json_t *pages[N_DECODERS];
    for (int d = 0; d < N_DECODERS; d++)
        pages[d] = decode((enum decoder)d, runs[d].scan.policy, text, len);
    ck_assert(json_equal(pages[JANSSON], pages[FULL]));
    for (int d = 0; d < N_DECODERS; d++) {
        size_t i;
        json_t *item;
        json_array_foreach(json_object_get(pages[d], "items"), i, item)
        {
            json_object_set_new(item, "kind", json_string(res->kind));
            json_object_set_new(item, "apiVersion", json_string(res->group_version));
            ck_assert_int_eq(audit_scan_item(&runs[d].scan, res, item), TG_OK);
        }
        json_decref(pages[d]);
    }
}

static char *dump(const json_t *v)
{
    char *s = json_dumps(v, JSON_SORT_KEYS | JSON_COMPACT);
    ck_assert_ptr_nonnull(s);
    return s;
}

/* a and b dump the same; on a difference, where it starts (Check cannot
 * carry a message of whole reports). */
static void same(const json_t *a, const json_t *b, const char *what, const char *label)
{
    char *sa = dump(a), *sb = dump(b);
    size_t at = 0;
    while (sa[at] && sa[at] == sb[at])
        at++;
    size_t from = at > 120 ? at - 120 : 0;
    ck_assert_msg(!sa[at] && !sb[at], "%s, %s: at byte %zu:\n...%.240s\n...%.240s", label,
                  what, at, sa + from, sb + from);
    free(sa);
    free(sb);
}

/* Every run against the first: entries, then every rendered report. */
static void compare(struct run runs[N_DECODERS], const char *label)
{
    for (int d = 0; d < N_DECODERS; d++)
        ck_assert_int_eq(audit_report_finish(runs[d].report), TG_OK);
    const struct run *want = &runs[JANSSON];
    ck_assert_uint_gt(json_array_size(want->entries), 0);
    for (int d = 1; d < N_DECODERS; d++) {
        const struct run *got = &runs[d];
        char what[128];
        snprintf(what, sizeof(what), "%s against json_loadb", decoder_names[d]);
        same(want->entries, got->entries, what, label);
        ck_assert_mem_eq(&want->scan.counts, &got->scan.counts, sizeof(got->scan.counts));
        size_t n = audit_report_n_namespaces(want->report);
        ck_assert_uint_eq(audit_report_n_namespaces(got->report), n);
        for (size_t i = 0; i <= n; i++) {
            json_t *a = NULL, *b = NULL;
            if (i < n) {
                ck_assert_int_eq(audit_report_namespace_json(want->report, i, &a), TG_OK);
                ck_assert_int_eq(audit_report_namespace_json(got->report, i, &b), TG_OK);
            } else {
                ck_assert_int_eq(audit_report_cluster_json(want->report, &a), TG_OK);
                ck_assert_int_eq(audit_report_cluster_json(got->report, &b), TG_OK);
            }
            same(a, b, what, label);
            json_decref(a);
            json_decref(b);
        }
    }
}

static void runs_init(struct run runs[N_DECODERS], const struct policy *p)
{
    for (int d = 0; d < N_DECODERS; d++)
        run_init(&runs[d], p);
}

static void runs_cleanup(struct run runs[N_DECODERS])
{
    for (int d = 0; d < N_DECODERS; d++)
        run_cleanup(&runs[d]);
}

/* bench_audit's pages: _i / 2 is the policy, _i % 2 the mix. */
START_TEST(bench_pages_same_answers)
{
    struct policy *p = policy_at((size_t)_i / 2);
    const struct podlist_opts o = {.pods = PODS, .page = PAGE, .owned = _i % 2};
    struct run runs[N_DECODERS];
    runs_init(runs, p);
    struct buf text;
    buf_init(&text, 0);
    for (int pg = 0; pg < podlist_n_pages(&o); pg++) {
        ck_assert_int_eq(podlist_page(&text, pg, &o), TG_OK);
        judge_page(runs, &KUBE_RES_PODS, buf_str(&text), buf_len(&text));
    }
    char label[128];
    snprintf(label, sizeof(label), "podlist %s, policy %s", o.owned ? "owned" : "bare",
             policy_name((size_t)_i / 2));
    compare(runs, label);
    ck_assert_uint_eq(runs[LEAN].scan.counts.listed, PODS);
    buf_cleanup(&text);
    runs_cleanup(runs);
    policy_free(p);
}
END_TEST

static const struct kube_resource *resource_of(const json_t *list)
{
    const char *list_kind = json_string_value(json_object_get(list, "kind"));
    const char *api_version = json_string_value(json_object_get(list, "apiVersion"));
    char kind[64];
    snprintf(kind, sizeof(kind), "%.*s", (int)strlen(list_kind) - 4, list_kind);
    return kube_resource_find(kind, api_version);
}

START_TEST(fixture_cluster_same_answers)
{
    struct policy *p = policy_at((size_t)_i);
    struct run runs[N_DECODERS];
    runs_init(runs, p);
    for (size_t k = 0; k < ARRAY_LEN(audit_pages); k++) {
        char rel[64];
        size_t len;
        snprintf(rel, sizeof(rel), "audit/%s.json", audit_pages[k]);
        char *text = fixture_read(rel, &len);
        json_t *list = json_loadb(text, len, 0, NULL);
        const struct kube_resource *res = resource_of(list);
        ck_assert_ptr_nonnull(res);
        judge_page(runs, res, text, len);
        json_decref(list);
        free(text);
    }
    compare(runs, policy_name((size_t)_i));
    runs_cleanup(runs);
    policy_free(p);
}
END_TEST

/* Each object of a manifest fixture as a one-item list of its kind (a file
 * that is no manifest, such as a policy or a broken one, is skipped). */
START_TEST(manifest_objects_same_answers)
{
    const char *rel = objects.gl_pathv[_i] + strlen(TOLLGATE_SOURCE_DIR "/tests/data/");
    size_t len;
    char *text = fixture_read(rel, &len);
    struct manifest_set set = {0};
    struct tg_error err = {0};
    if (manifest_load(text, len, rel, &set, &err) != TG_OK) {
        free(text);
        return;
    }
    for (size_t k = 0; k < n_policies(); k++) {
        struct policy *p = policy_at(k);
        struct run runs[N_DECODERS];
        runs_init(runs, p);
        for (size_t i = 0; i < set.n; i++) {
            const json_t *o = set.docs[i].object;
            const struct kube_resource *res =
                kube_resource_find(json_string_value(json_object_get(o, "kind")),
                                   json_string_value(json_object_get(o, "apiVersion")));
            if (!res)
                continue; /* not a kind the audit lists */
            json_t *page = json_pack("{s:[O]}", "items", o);
            char *body = dump(page);
            judge_page(runs, res, body, strlen(body));
            free(body);
            json_decref(page);
        }
        if (json_array_size(runs[JANSSON].entries) > 0)
            compare(runs, rel);
        runs_cleanup(runs);
        policy_free(p);
    }
    manifest_set_cleanup(&set);
    free(text);
}
END_TEST

/* ---- a whole pass through the fake API server --------------------------- */

static enum tg_rc collect(void *ctx, const json_t *object, json_t *entry)
{
    (void)object;
    return json_array_append_new(ctx, entry) == 0 ? TG_OK : TG_ENOMEM;
}

/* The fixture cluster's objects (as cluster_load_fixture of lib_cluster.sh
 * creates them) and 100 of the bench's pods, into the fake. */
static void load_objects(struct cluster_fixture *f)
{
    struct audit_fixture fx;
    audit_fixture_load(&fx);
    json_t *all = json_array();
    for (size_t i = 0; i < AUDIT_FIXTURE_PAGES; i++) {
        size_t k;
        json_t *item;
        json_array_foreach(json_object_get(fx.list[i], "items"), k, item)
        {
            /* the fake serves CronJobs as 1.20 does (lib_cluster.sh) */
            if (fx.res[i] == &KUBE_RES_CRONJOBS_V1)
                json_object_set_new(item, "apiVersion", json_string("batch/v1beta1"));
            json_array_append(all, item);
        }
    }
    struct buf text;
    buf_init(&text, 0);
    const struct podlist_opts o = {.pods = 100, .page = 100, .owned = false};
    ck_assert_int_eq(podlist_page(&text, 0, &o), TG_OK);
    json_t *pods = json_loads(buf_str(&text), 0, NULL);
    size_t i;
    json_t *pod;
    json_array_foreach(json_object_get(pods, "items"), i, pod)
    {
        json_object_set_new(pod, "kind", json_string("Pod"));
        json_object_set_new(pod, "apiVersion", json_string("v1"));
        json_array_append(all, pod);
    }
    char *body = dump(all);
    cluster_fixture_control(f, "objects", body);
    free(body);
    json_decref(pods);
    json_decref(all);
    buf_cleanup(&text);
    audit_fixture_cleanup(&fx);
}

static json_t *cluster_pass(struct cluster_fixture *f, const struct policy *p,
                            bool build_all)
{
    json_t *entries = json_array();
    struct audit_scan s = {.policy = p, .sink = collect, .sink_ctx = entries};
    const struct audit_cluster_opts o = {.limit = 7, .build_all = build_all};
    struct kube_client *c = NULL;
    struct kube_error err;
    struct audit_cluster_stats st;
    ck_assert_int_eq(kube_client_new(f->kube, NULL, &c, &err), TG_OK);
    ck_assert_msg(audit_cluster_scan(c, &o, &s, &st, &err) == TG_OK, "%s", err.base.text);
    ck_assert_uint_gt(st.pages, 15); /* 100 pods alone are 15 pages */
    kube_client_free(c);
    return entries;
}

START_TEST(cluster_pass_same_answers)
{
    struct cluster_fixture f;
    cluster_fixture_start(&f);
    load_objects(&f);
    size_t passes = 0;
    for (size_t k = 0; k < n_policies(); k++) {
        /* the plumbing, not every policy: the default, and the one that
         * turns on the rules reading env, resources and volumes */
        if (k != 0 && !strstr(policy_name(k), "rules/policy-all"))
            continue;
        struct policy *p = policy_at(k);
        json_t *full = cluster_pass(&f, p, true);
        json_t *lean = cluster_pass(&f, p, false);
        ck_assert_uint_gt(json_array_size(full), 100);
        same(full, lean, "lean against build_all", policy_name(k));
        json_decref(full);
        json_decref(lean);
        policy_free(p);
        passes++;
    }
    ck_assert_uint_eq(passes, 2);
    cluster_fixture_stop(&f);
}
END_TEST

int main(void)
{
    alloc_json_install();
    Suite *s = suite_create("audit_lean");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 240);
    find(&policies, policy_globs, ARRAY_LEN(policy_globs));
    find(&objects, object_globs, ARRAY_LEN(object_globs));
    if (policies.gl_pathc < 5 || objects.gl_pathc < 10) {
        fprintf(stderr, "check_audit_lean: the fixtures are missing under %s\n",
                fixture_path(""));
        return EXIT_FAILURE;
    }
    tcase_add_loop_test(tc, bench_pages_same_answers, 0, 2 * (int)n_policies());
    tcase_add_loop_test(tc, fixture_cluster_same_answers, 0, (int)n_policies());
    tcase_add_loop_test(tc, manifest_objects_same_answers, 0, (int)objects.gl_pathc);
    tcase_add_test(tc, cluster_pass_same_answers);
    suite_add_tcase(s, tc);
    curl_global_init(CURL_GLOBAL_DEFAULT);
    int rc = run_suite(s);
    curl_global_cleanup();
    globfree(&policies);
    globfree(&objects);
    return rc;
}
