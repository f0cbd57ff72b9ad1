/* check_review_fixtures.c -- the shared review fixtures get the verdicts
 * they were written for.
 *
 * tests/data/reviews/ feeds the engine tests and bench_micro; if a fixture
 * drifted (an image left unpinned, a probe dropped) every number measured on
 * it would measure the wrong path.  Each fixture goes through the whole
 * admission_handle() pipeline, with the built-in policy and with an
 * allowedRegistries policy, and the answer is read back as JSON.
 */
#include <check.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "admission.h"
#include "policy.h"
#include "policy_load.h"
#include "testutil.h"

#define MAX_NEEDLES 8

/* The registries of DESIGN.md's sample policy. */
static const char registries_policy[] =
    "apiVersion: tollgate.dev/v1\n"
    "kind: Policy\n"
    "metadata: {name: fixtures}\n"
    "spec:\n"
    "  rules:\n"
    "    allowedRegistries:\n"
    "      action: enforce\n"
    "      registries: [registry.k8s.io, ghcr.io/acme, docker.io/library]\n";

/* Only Docker Hub's official images: the acme and k8s images must fail. */
static const char hub_only_policy[] =
    "apiVersion: tollgate.dev/v1\n"
    "kind: Policy\n"
    "metadata: {name: hub-only}\n"
    "spec:\n"
    "  rules:\n"
    "    allowedRegistries: {action: enforce, registries: [docker.io/library]}\n";

static const struct {
    const char *fixture;
    const char *policy_yaml; /* NULL: policy_new_default() */
    const char *api_version;
    const char *uid;
    bool allowed;
    const char *decision;
    const char *needles[MAX_NEEDLES]; /* substrings of status.message */
} rows[] = {
    {"typical-allowed",
     NULL,
     "admission.k8s.io/v1",
     "705ab4f5-6393-11e8-b7cc-42010a800002",
     true,
     "allow",
     {NULL}},
    {"typical-v1beta1",
     NULL,
     "admission.k8s.io/v1beta1",
     "0e9d4c6b-7a31-4f28-b5e0-8c2d1a9f3b64",
     true,
     "allow",
     {NULL}},
    {"large",
     NULL,
     "admission.k8s.io/v1",
     "3b8f2e91-4c7d-4a06-a1e5-9d0c6b2f7e38",
     true,
     "allow",
     {NULL}},
    {"typical-denied",
     NULL,
     "admission.k8s.io/v1",
     "c1d7a3e2-5f04-4b8a-9e6c-3a2b1f0d9e57",
     false,
     "deny",
     {"\"web\"", "/spec/containers/0/image", "latest",
      "/spec/containers/1/readinessProbe", "/spec/containers/1/securityContext/runAsUser",
      "\"git-sync\"", NULL}},
    {"typical-allowed",
     registries_policy,
     "admission.k8s.io/v1",
     "705ab4f5-6393-11e8-b7cc-42010a800002",
     true,
     "allow",
     {NULL}},
    {"large",
     registries_policy,
     "admission.k8s.io/v1",
     "3b8f2e91-4c7d-4a06-a1e5-9d0c6b2f7e38",
     true,
     "allow",
     {NULL}},
    {"typical-allowed",
     hub_only_policy,
     "admission.k8s.io/v1",
     "705ab4f5-6393-11e8-b7cc-42010a800002",
     false,
     "deny",
     {"allowedRegistries", "ghcr.io/acme/storefront", "registry.k8s.io/git-sync/git-sync",
      "/spec/initContainers/0/image", NULL}},
};

static struct policy *row_policy(const char *yaml)
{
    struct policy *p = NULL;
    struct tg_error err = {0};
    if (!yaml)
        return policy_new_default();
    enum tg_rc rc = policy_load_buffer(yaml, strlen(yaml), "fixture policy", &p, &err);
    ck_assert_msg(rc == TG_OK, "policy: %s", err.text);
    return p;
}

START_TEST(fixture_verdicts)
{
    char rel[128];
    size_t len = 0;
    snprintf(rel, sizeof(rel), "reviews/%s.json", rows[_i].fixture);
    char *body = fixture_read(rel, &len);
    struct policy *p = row_policy(rows[_i].policy_yaml);
    ck_assert_ptr_nonnull(p);
    struct admission_options opt = {.endpoint = ENDPOINT_VALIDATE};
    struct admission_result res;
    struct tg_error err = {0};

    ck_assert_msg(admission_handle(p, body, len, &opt, &res, &err) == TG_OK, "%s: %s",
                  rows[_i].fixture, err.text);
    ck_assert_str_eq(res.decision, rows[_i].decision);
    json_error_t jerr;
    json_t *doc = json_loadb(res.response, res.response_len, 0, &jerr);
    ck_assert_msg(doc != NULL, "response is not JSON: %s", jerr.text);
    json_t *resp = json_object_get(doc, "response");
    ck_assert_str_eq(json_string_value(json_object_get(doc, "apiVersion")),
                     rows[_i].api_version);
    ck_assert_str_eq(json_string_value(json_object_get(resp, "uid")), rows[_i].uid);
    ck_assert(json_is_boolean(json_object_get(resp, "allowed")));
    ck_assert(json_is_true(json_object_get(resp, "allowed")) == rows[_i].allowed);
    const char *msg =
        json_string_value(json_object_get(json_object_get(resp, "status"), "message"));
    for (size_t k = 0; rows[_i].needles[k]; k++)
        ck_assert_msg(msg && strstr(msg, rows[_i].needles[k]),
                      "%s: message lacks \"%s\": %s", rows[_i].fixture,
                      rows[_i].needles[k], msg ? msg : "(none)");
    json_decref(doc);
    admission_result_cleanup(&res);
    policy_free(p);
    free(body);
}
END_TEST

/* Every fixture is a Pod CREATE by the ReplicaSet controller, as the
 * engine tests and the benchmark assume. */
static const char *const all_fixtures[] = {"typical-allowed", "typical-denied",
                                           "typical-v1beta1", "large"};

START_TEST(fixture_shape)
{
    char rel[128];
    json_error_t jerr;
    snprintf(rel, sizeof(rel), "reviews/%s.json", all_fixtures[_i]);
    char *body = fixture_read(rel, NULL);
    json_t *doc = json_loads(body, JSON_REJECT_DUPLICATES, &jerr);
    ck_assert_msg(doc != NULL, "%s: %s", rel, jerr.text);
    json_t *req = json_object_get(doc, "request");
    json_t *obj = json_object_get(req, "object");
    json_t *spec = json_object_get(obj, "spec");
    ck_assert_str_eq(json_string_value(json_object_get(req, "operation")), "CREATE");
    ck_assert_str_eq(json_string_value(json_object_get(obj, "kind")), "Pod");
    ck_assert_str_eq(
        json_string_value(json_object_get(json_object_get(req, "userInfo"), "username")),
        "system:serviceaccount:kube-system:replicaset-controller");
    json_t *owner = json_array_get(
        json_object_get(json_object_get(obj, "metadata"), "ownerReferences"), 0);
    ck_assert_str_eq(json_string_value(json_object_get(owner, "kind")), "ReplicaSet");
    ck_assert_uint_ge(json_array_size(json_object_get(spec, "containers")), 2);
    ck_assert_uint_eq(json_array_size(json_object_get(spec, "initContainers")), 1);
    json_decref(doc);
    free(body);
}
END_TEST

static Suite *fixtures_suite(void)
{
    Suite *s = suite_create("review_fixtures");
    TCase *tc = tcase_create("core");
    tcase_add_loop_test(tc, fixture_shape, 0, ARRAY_LEN(all_fixtures));
    tcase_add_loop_test(tc, fixture_verdicts, 0, ARRAY_LEN(rows));
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return run_suite(fixtures_suite());
}
