/* check_lean.c -- leaving engine_unread_members unbuilt changes no answer.
 *
 * admission_handle keeps the object and array values of the members in
 * engine_unread_members as raw JSON text instead of building them (jsondec
 * raw values).  That is only sound while nothing reads them, so every
 * object tollgate's tests know -- the review fixtures, the manifests of the
 * CLI tests -- is put through both decodings, under several policies, on
 * both endpoints, as a CREATE and as UPDATEs, and the answers must be the
 * same byte for byte.  A rule that starts reading, say, `resources`
 * without saying so in its rule row (struct rule.reads) makes these
 * differ -- for fixtures that carry the field: tests/data/rules/ carries
 * env, volumes, mounts, ports and resources for the rules that read them,
 * and policy-all.yaml turns those rules on.
 */
#include <check.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "admission.h"
#include "alloc_json.h"
#include "engine.h"
#include "manifest.h"
#include "policy.h"
#include "policy_load.h"
#include "testutil.h"
#include "variant.h"

static const char *const object_sources[] = {
    "manifests/cronjob.yaml",
    "manifests/deployment.yaml",
    "manifests/list.yaml",
    "manifests/multi.yaml",
    "manifests/pod.yaml",
    "manifests/podlist.json",
    "manifests/deploymentlist.json",
    "rules/securitycontext.yaml",
    "cli/compliant.yaml",
    "cli/fixable.yaml",
    "cli/wrong-type.yaml",
    "rules/host.yaml",
    "rules/secrets.yaml",
};

static const char *const review_sources[] = {
    "reviews/typical-allowed.json", "reviews/typical-denied.json", "reviews/large.json",
    "rules/secrets-review.json",    "rules/host-review.json",
};

/* NULL: policy_new_default(); otherwise a path under the source tree. */
static const char *const policy_sources[] = {
    NULL,
    "policies",
    "tests/data/modes/policy-mutate.yaml",
    "tests/data/modes/policy-audit.yaml",
    "tests/data/rules/policy-all.yaml",
    "tests/data/modes/policy-hardening.yaml",
};

enum change { CREATE, UPDATE_UNREAD_CHANGED, UPDATE_SAME };

static struct policy *load_policy(const char *rel)
{
    if (!rel)
        return policy_new_default();
    char path[4096];
    snprintf(path, sizeof(path), "%s/%s", TOLLGATE_SOURCE_DIR, rel);
    struct policy *p = NULL;
    struct tg_error err = {0};
    ck_assert_msg(policy_load_path(path, &p, &err) == TG_OK, "%s: %s", rel, err.text);
    return p;
}

/* An AdmissionReview text for `object`, or NULL when the change does not
 * apply to it. */
static char *review_text(const json_t *object, enum change change)
{
    const char *kind = json_string_value(json_object_get(object, "kind"));
    json_t *req = json_pack(
        "{s:s,s:{s:s,s:s,s:s},s:s,s:s,s:s,s:{s:s},s:O,s:b}", "uid", "lean-0001", "kind",
        "group", "", "version", "v1", "kind", kind ? kind : "", "namespace", "team",
        "name", "x", "operation", change == CREATE ? "CREATE" : "UPDATE", "userInfo",
        "username", "tester", "object", object, "dryRun", 0);
    ck_assert_ptr_nonnull(req);
    if (change != CREATE) {
        json_t *old =
            change == UPDATE_SAME ? json_deep_copy(object) : variant_env_changed(object);
        if (!old) {
            json_decref(req);
            return NULL;
        }
        json_object_set_new(req, "oldObject", old);
    }
    json_t *rv = json_pack("{s:s,s:s,s:o}", "apiVersion", "admission.k8s.io/v1", "kind",
                           "AdmissionReview", "request", req);
    char *text = json_dumps(rv, JSON_COMPACT);
    json_decref(rv);
    ck_assert_ptr_nonnull(text);
    return text;
}

struct answer {
    char *response;
    const char *decision;
};

static struct answer answer(const struct policy *p, const char *body,
                            enum admission_endpoint endpoint, bool build_all)
{
    struct admission_options opt = {.endpoint = endpoint, .build_all = build_all};
    struct admission_result res;
    struct tg_error err = {0};
    ck_assert_int_eq(admission_handle(p, body, strlen(body), &opt, &res, &err), TG_OK);
    struct answer a = {res.response, res.decision};
    res.response = NULL;
    admission_result_cleanup(&res);
    return a;
}

/* Both decodings, both endpoints, every change; returns the lean
 * validate decision for `change` (NULL if it did not apply). */
static const char *compare(const struct policy *p, const json_t *object,
                           const char *label, enum change change)
{
    const char *validate_decision = NULL;
    char *body = review_text(object, change);
    if (!body)
        return NULL;
    for (int e = 0; e < 2; e++) {
        enum admission_endpoint ep = e ? ENDPOINT_MUTATE : ENDPOINT_VALIDATE;
        struct answer full = answer(p, body, ep, true);
        struct answer lean = answer(p, body, ep, false);
        ck_assert_msg(strcmp(full.response, lean.response) == 0,
                      "%s (change %d, endpoint %d):\nfull %s\nlean %s", label, change, e,
                      full.response, lean.response);
        ck_assert_str_eq(full.decision, lean.decision);
        if (ep == ENDPOINT_VALIDATE)
            validate_decision = lean.decision;
        free(full.response);
        free(lean.response);
    }
    free(body);
    return validate_decision;
}

static void compare_all_policies(const json_t *object, const char *label)
{
    for (size_t k = 0; k < ARRAY_LEN(policy_sources); k++) {
        struct policy *p = load_policy(policy_sources[k]);
        for (int c = CREATE; c <= UPDATE_SAME; c++)
            compare(p, object, label, (enum change)c);
        policy_free(p);
    }
}

START_TEST(manifests_same_answers)
{
    const char *rel = object_sources[_i];
    size_t len;
    char *text = fixture_read(rel, &len);
    struct manifest_set set = {0};
    struct tg_error err = {0};
    ck_assert_msg(manifest_load(text, len, rel, &set, &err) == TG_OK, "%s", err.text);
    ck_assert_uint_gt(set.n, 0);
    for (size_t i = 0; i < set.n; i++)
        compare_all_policies(set.docs[i].object, rel);
    manifest_set_cleanup(&set);
    free(text);
}
END_TEST

START_TEST(reviews_same_answers)
{
    const char *rel = review_sources[_i];
    json_t *rv = json_load_file(fixture_path(rel), 0, NULL);
    ck_assert_ptr_nonnull(rv);
    json_t *object = json_object_get(json_object_get(rv, "request"), "object");
    ck_assert(json_is_object(object));
    compare_all_policies(object, rel);
    json_decref(rv);
}
END_TEST

/* The raw values are compared as text in an UPDATE: a change only in env
 * still makes the update judged (and denied), an identical spec does not. */
START_TEST(update_compares_raw_members)
{
    json_t *rv = json_load_file(fixture_path("reviews/typical-denied.json"), 0, NULL);
    json_t *object = json_object_get(json_object_get(rv, "request"), "object");
    ck_assert_ptr_nonnull(json_object_get(
        json_array_get(json_object_get(json_object_get(object, "spec"), "containers"), 0),
        "env")); /* the fixture does carry env */
    struct policy *p = policy_new_default();
    ck_assert_str_eq(compare(p, object, "denied", CREATE), "deny");
    ck_assert_str_eq(compare(p, object, "denied", UPDATE_UNREAD_CHANGED), "deny");
    ck_assert_str_eq(compare(p, object, "denied", UPDATE_SAME), "allow");
    policy_free(p);
    json_decref(rv);
}
END_TEST

static bool has_member(const char *const *list, const char *name)
{
    for (; *list; list++) {
        if (strcmp(*list, name) == 0)
            return true;
    }
    return false;
}

/* A member is built exactly while a rule that reads it is on. */
static const struct {
    const char *rules; /* spec.rules of the policy, NULL: the built-in defaults */
    const char *built[4];
} readers[] = {
    {NULL, {NULL}},
    {"    hostNamespaces: {action: enforce}\n    hostPorts: {action: enforce}\n", {NULL}},
    {"    noSecretsInEnv: {action: audit}\n", {"env"}},
    {"    hostPath: {action: enforce}\n", {"volumes", "volumeMounts"}},
    {"    resources: {action: mutate}\n", {"resources"}},
    {"    resources: {action: off}\n    hostPath: {action: off}\n", {NULL}},
};

START_TEST(members_are_built_while_a_rule_reads_them)
{
    static const char *const readable[] = {"env", "volumes", "volumeMounts", "resources"};
    struct policy *p = policy_new_default();
    if (readers[_i].rules) {
        char text[512];
        snprintf(text, sizeof(text),
                 "apiVersion: tollgate.dev/v1\nkind: Policy\nmetadata: {name: t}\n"
                 "spec:\n  rules:\n%s",
                 readers[_i].rules);
        struct tg_error err = {0};
        policy_free(p);
        p = NULL;
        ck_assert_msg(policy_load_buffer(text, strlen(text), "t", &p, &err) == TG_OK,
                      "%s", err.text);
    }
    const char *buf[ENGINE_UNREAD_CAP];
    const char *const *unread = engine_unread_members(p, buf);
    ck_assert(has_member(unread, "envFrom")); /* nothing reads these */
    ck_assert(has_member(unread, "managedFields"));
    /* parts of a built member that no rule reads are listed only while it
     * is built: each name costs every lookup */
    ck_assert_int_eq(has_member(unread, "projected"), !has_member(unread, "volumes"));
    ck_assert_int_eq(has_member(unread, "secretKeyRef"), !has_member(unread, "env"));
    for (size_t i = 0; i < ARRAY_LEN(readable); i++) {
        bool built = false;
        for (size_t k = 0; k < ARRAY_LEN(readers[_i].built) && readers[_i].built[k]; k++)
            built = built || strcmp(readers[_i].built[k], readable[i]) == 0;
        ck_assert_msg(has_member(unread, readable[i]) == !built, "%s", readable[i]);
    }
    policy_free(p);
}
END_TEST

static Suite *lean_suite(void)
{
    Suite *s = suite_create("lean");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 120);
    tcase_add_loop_test(tc, manifests_same_answers, 0, ARRAY_LEN(object_sources));
    tcase_add_loop_test(tc, reviews_same_answers, 0, ARRAY_LEN(review_sources));
    tcase_add_test(tc, update_compares_raw_members);
    tcase_add_loop_test(tc, members_are_built_while_a_rule_reads_them, 0,
                        ARRAY_LEN(readers));
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    alloc_json_install();
    return run_suite(lean_suite());
}
