/* check_admission.c -- whole AdmissionReviews through admission_handle:
 * the same bytes the API server sends, the answer it gets. */
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "admission.h"
#include "alloc.h"
#include "alloc_json.h"
#include "engine.h"
#include "evalfix.h"
#include "jptr.h"
#include "jsonpatch_ref.h"
#include "policy_load.h"
#include "testutil.h"

static json_t *load_review(const char *name)
{
    char *text = fixture_read(name, NULL);
    json_t *j = json_loads(text, 0, NULL);
    free(text);
    ck_assert_ptr_nonnull(j);
    return j;
}

/* Run a review through the handler; returns the parsed response. */
static json_t *handle(const struct policy *p, const json_t *review,
                      enum admission_endpoint ep, struct admission_result *res)
{
    char *body = json_dumps(review, JSON_COMPACT);
    struct admission_options opt = {.endpoint = ep};
    struct tg_error err;
    ck_assert_int_eq(admission_handle(p, body, strlen(body), &opt, res, &err), TG_OK);
    free(body);
    json_t *out = json_loads(res->response, 0, NULL);
    ck_assert_ptr_nonnull(out);
    return out;
}

static const json_t *response_of(const json_t *r)
{
    return json_object_get(r, "response");
}

static const char *status_message(const json_t *r)
{
    return json_string_value(
        json_object_get(json_object_get(response_of(r), "status"), "message"));
}

START_TEST(allows_compliant_pod)
{
    struct policy *p = policy_new_default();
    json_t *rv = load_review("reviews/typical-allowed.json");
    struct admission_result res;
    json_t *out = handle(p, rv, ENDPOINT_VALIDATE, &res);
    ck_assert_str_eq(json_string_value(json_object_get(out, "apiVersion")),
                     "admission.k8s.io/v1");
    ck_assert_str_eq(json_string_value(json_object_get(out, "kind")), "AdmissionReview");
    ck_assert_str_eq(
        json_string_value(json_object_get(response_of(out), "uid")),
        json_string_value(json_object_get(json_object_get(rv, "request"), "uid")));
    ck_assert(json_is_true(json_object_get(response_of(out), "allowed")));
    ck_assert_ptr_null(json_object_get(response_of(out), "status"));
    ck_assert_str_eq(res.decision, "allow");
    ck_assert_uint_eq(res.n_hits, 0);
    ck_assert_str_eq(res.kind, "Pod");
    admission_result_cleanup(&res);
    json_decref(out);
    json_decref(rv);
    policy_free(p);
}
END_TEST

START_TEST(denies_with_every_violation)
{
    struct policy *p = policy_new_default();
    json_t *rv = load_review("reviews/typical-denied.json");
    struct admission_result res;
    json_t *out = handle(p, rv, ENDPOINT_VALIDATE, &res);
    ck_assert(json_is_false(json_object_get(response_of(out), "allowed")));
    json_t *status = json_object_get(response_of(out), "status");
    ck_assert_int_eq(json_integer_value(json_object_get(status, "code")), 403);
    const char *m = status_message(out);
    ck_assert_msg(strstr(m, "has 3 violations of 3 rules"), "%s", m);
    ck_assert_msg(strstr(m, "[pinnedTags] container \"web\" (/spec/containers/0/image)"),
                  "%s", m);
    ck_assert_msg(strstr(m, "[runAsNonRoot] container \"git-sync\" "
                            "(/spec/containers/1/securityContext/runAsUser)"),
                  "%s", m);
    ck_assert_msg(strstr(m, "[probes] container \"git-sync\" "
                            "(/spec/containers/1/readinessProbe)"),
                  "%s", m);
    ck_assert_str_eq(res.decision, "deny");
    ck_assert_uint_eq(res.n_hits, 3);
    ck_assert_str_eq(res.rules, "pinnedTags,runAsNonRoot,probes");
    admission_result_cleanup(&res);
    json_decref(out);
    json_decref(rv);
    policy_free(p);
}
END_TEST

/* The header counts violations and rules apart: a container missing both
 * probes is two violations of one rule (it used to say "violates 3 rules"
 * for three violations of two). */
static const struct {
    const char *containers, *header;
} headers[] = {
    {"[{'name':'a','image':'nginx:1.25','securityContext':{'runAsNonRoot':true}}]",
     "tollgate: Pod ns/p has 2 violations of 1 rule:\n"},
    {"[{'name':'a','image':'nginx:latest','securityContext':{'runAsNonRoot':true}}]",
     "tollgate: Pod ns/p has 3 violations of 2 rules:\n"},
    {"[{'name':'a','image':'nginx:1.25','securityContext':{'runAsNonRoot':true},"
     "'livenessProbe':{'exec':{'command':['true']}}}]",
     "tollgate: Pod ns/p has 1 violation of 1 rule:\n"},
};

START_TEST(deny_header_counts_violations_and_rules)
{
    struct policy *p = policy_new_default();
    char text[2048];
    snprintf(text, sizeof(text),
             "{'apiVersion':'admission.k8s.io/v1','kind':'AdmissionReview',"
             "'request':{'uid':'h1','kind':{'kind':'Pod'},'namespace':'ns',"
             "'name':'p','operation':'CREATE','object':%s}}",
             evalfix_pod(NULL, headers[_i].containers));
    json_t *rv = evalfix_json(text);
    struct admission_result res;
    json_t *out = handle(p, rv, ENDPOINT_VALIDATE, &res);
    const char *m = status_message(out);
    ck_assert_msg(strncmp(m, headers[_i].header, strlen(headers[_i].header)) == 0, "%s",
                  m);
    admission_result_cleanup(&res);
    json_decref(out);
    json_decref(rv);
    policy_free(p);
}
END_TEST

START_TEST(answers_v1beta1_in_kind)
{
    struct policy *p = policy_new_default();
    json_t *rv = load_review("reviews/typical-v1beta1.json");
    struct admission_result res;
    json_t *out = handle(p, rv, ENDPOINT_VALIDATE, &res);
    ck_assert_str_eq(json_string_value(json_object_get(out, "apiVersion")),
                     "admission.k8s.io/v1beta1");
    ck_assert(json_is_true(json_object_get(response_of(out), "allowed")));
    admission_result_cleanup(&res);
    json_decref(out);
    json_decref(rv);
    policy_free(p);
}
END_TEST

START_TEST(audit_mode_warns_and_never_denies)
{
    struct policy *p = policy_new_default();
    p->mode = POLICY_AUDIT;
    json_t *rv = load_review("reviews/typical-denied.json");
    struct admission_result res;
    json_t *out = handle(p, rv, ENDPOINT_VALIDATE, &res);
    const json_t *r = response_of(out);
    ck_assert(json_is_true(json_object_get(r, "allowed")));
    json_t *w = json_object_get(r, "warnings");
    ck_assert_uint_eq(json_array_size(w), 3);
    ck_assert_msg(strncmp(json_string_value(json_array_get(w, 0)),
                          "[tollgate] pinnedTags: container \"web\"", 38) == 0,
                  "%s", json_string_value(json_array_get(w, 0)));
    json_t *ann = json_object_get(r, "auditAnnotations");
    ck_assert_str_eq(json_string_value(json_object_get(ann, "decision")), "would-deny");
    ck_assert_str_eq(json_string_value(json_object_get(ann, "violations")),
                     "pinnedTags:1,runAsNonRoot:1,probes:1");
    ck_assert_str_eq(res.decision, "would-deny");
    admission_result_cleanup(&res);
    json_decref(out);
    /* audit mode patches nothing either */
    p->run_as_non_root.common.action = ACTION_MUTATE;
    out = handle(p, rv, ENDPOINT_MUTATE, &res);
    ck_assert_ptr_null(json_object_get(response_of(out), "patch"));
    admission_result_cleanup(&res);
    json_decref(out);
    json_decref(rv);
    policy_free(p);
}
END_TEST

START_TEST(per_rule_audit_in_enforce_mode)
{
    struct policy *p = policy_new_default();
    p->probes.common.action = ACTION_AUDIT;
    json_t *rv = load_review("reviews/typical-denied.json");
    struct admission_result res;
    json_t *out = handle(p, rv, ENDPOINT_VALIDATE, &res);
    const json_t *r = response_of(out);
    ck_assert(json_is_false(json_object_get(r, "allowed")));
    ck_assert_msg(strstr(status_message(out), "has 2 violations of 2 rules"), "%s",
                  status_message(out));
    ck_assert(!strstr(status_message(out), "[probes]"));
    json_t *w = json_object_get(r, "warnings");
    ck_assert_uint_eq(json_array_size(w), 1);
    ck_assert(strstr(json_string_value(json_array_get(w, 0)), "[tollgate] probes: "));
    admission_result_cleanup(&res);
    json_decref(out);
    json_decref(rv);
    policy_free(p);
}
END_TEST

static json_t *decode_patch(const json_t *response)
{
    const char *b64 = json_string_value(json_object_get(response, "patch"));
    ck_assert_ptr_nonnull(b64);
    size_t len = strlen(b64);
    unsigned char *raw = malloc(len + 1);
    int n = EVP_DecodeBlock(raw, (const unsigned char *)b64, (int)len);
    ck_assert_int_gt(n, 0);
    while (n > 0 && raw[n - 1] == '\0') /* EVP_DecodeBlock counts padding bytes */
        n--;
    json_t *patch = json_loadb((const char *)raw, (size_t)n, 0, NULL);
    free(raw);
    ck_assert_ptr_nonnull(patch);
    return patch;
}

/* The mutate answer patches, the patch applies (independent applier), and
 * the patched object passes the rule that was fixed. */
START_TEST(mutate_patch_applies_and_fixes)
{
    struct policy *p = policy_new_default();
    p->run_as_non_root.common.action = ACTION_MUTATE;
    json_t *rv = load_review("reviews/typical-allowed.json");
    json_t *object = json_object_get(json_object_get(rv, "request"), "object");
    json_object_del(json_object_get(object, "spec"),
                    "securityContext"); /* now it violates */
    struct admission_result res;
    json_t *out = handle(p, rv, ENDPOINT_MUTATE, &res);
    const json_t *r = response_of(out);
    ck_assert(json_is_true(json_object_get(r, "allowed")));
    ck_assert_str_eq(json_string_value(json_object_get(r, "patchType")), "JSONPatch");
    ck_assert_str_eq(res.decision, "patch");
    json_t *patch = decode_patch(r);
    char why[256];
    ck_assert_msg(jsonpatch_ref_apply(object, patch, why) == 0, "%s", why);
    ck_assert(json_is_true(
        jptr_get(object, "/spec/containers/0/securityContext/runAsNonRoot")));
    admission_result_cleanup(&res);
    json_decref(out);
    /* the patched object: validate allows, mutate patches nothing more */
    out = handle(p, rv, ENDPOINT_VALIDATE, &res);
    ck_assert(json_is_true(json_object_get(response_of(out), "allowed")));
    admission_result_cleanup(&res);
    json_decref(out);
    out = handle(p, rv, ENDPOINT_MUTATE, &res);
    ck_assert_ptr_null(json_object_get(response_of(out), "patch"));
    admission_result_cleanup(&res);
    json_decref(out);
    json_decref(patch);
    json_decref(rv);
    policy_free(p);
}
END_TEST

static const char *excluded_ns[] = {"kube-system", "tollgate-*"};
static const char *legacy_ns[] = {"legacy-*"};

START_TEST(exclusions_and_namespace_overrides)
{
    struct policy *p = policy_new_default();
    p->exclude.namespaces.items = excluded_ns;
    p->exclude.namespaces.n = ARRAY_LEN(excluded_ns);
    struct mode_override o = {.namespaces = {legacy_ns, 1}, .mode = POLICY_AUDIT};
    p->overrides = &o;
    p->n_overrides = 1;
    json_t *rv = load_review("reviews/typical-denied.json");
    json_t *req = json_object_get(rv, "request");
    static const struct {
        const char *ns;
        bool allowed;
        const char *decision;
    } cases[] = {{"tollgate-system", true, "allow"},
                 {"kube-system", true, "allow"},
                 {"legacy-billing", true, "would-deny"},
                 {"billing", false, "deny"}};
    for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
        json_object_set_new(req, "namespace", json_string(cases[i].ns));
        struct admission_result res;
        json_t *out = handle(p, rv, ENDPOINT_VALIDATE, &res);
        ck_assert_int_eq(json_is_true(json_object_get(response_of(out), "allowed")),
                         cases[i].allowed);
        ck_assert_str_eq(res.decision, cases[i].decision);
        ck_assert_int_eq(res.excluded != NULL, i < 2); /* the log says why */
        admission_result_cleanup(&res);
        json_decref(out);
    }
    p->overrides = NULL;
    p->n_overrides = 0;
    json_decref(rv);
    policy_free(p);
}
END_TEST

/* Updates are judged only when they change the pod spec, and running pods
 * are never patched (their spec is immutable). */
START_TEST(updates_judge_only_pod_spec_changes)
{
    struct policy *p = policy_new_default();
    p->run_as_non_root.common.action = ACTION_MUTATE;
    json_t *rv = load_review("reviews/typical-denied.json");
    json_t *req = json_object_get(rv, "request");
    json_t *object = json_object_get(req, "object");
    json_object_set_new(req, "operation", json_string("UPDATE"));
    json_object_set_new(req, "oldObject", json_deep_copy(object));
    json_object_set_new(json_object_get(object, "metadata"), "labels",
                        json_pack("{s:s}", "team", "blue"));
    struct admission_result res;
    json_t *out = handle(p, rv, ENDPOINT_VALIDATE, &res);
    ck_assert(json_is_true(json_object_get(response_of(out), "allowed")));
    ck_assert_str_eq(res.excluded, "update leaves the pod spec unchanged");
    admission_result_cleanup(&res);
    json_decref(out);
    /* a changed image is judged */
    json_t *c0 =
        json_array_get(json_object_get(json_object_get(object, "spec"), "containers"), 1);
    json_object_set_new(c0, "image",
                        json_string("registry.k8s.io/git-sync/git-sync:latest"));
    out = handle(p, rv, ENDPOINT_VALIDATE, &res);
    ck_assert(json_is_false(json_object_get(response_of(out), "allowed")));
    admission_result_cleanup(&res);
    json_decref(out);
    /* but a running Pod is never patched */
    json_object_del(json_object_get(object, "spec"), "securityContext");
    out = handle(p, rv, ENDPOINT_MUTATE, &res);
    ck_assert_ptr_null(json_object_get(response_of(out), "patch"));
    ck_assert_str_eq(res.excluded, "a Pod's spec cannot be patched after creation");
    admission_result_cleanup(&res);
    json_decref(out);
    json_decref(rv);
    policy_free(p);
}
END_TEST

static const char *exempt_names[] = {"git-sync"};

START_TEST(exemptions_are_applied_and_reported)
{
    struct policy *p = policy_new_default();
    p->run_as_non_root.common.exempt_containers.items = exempt_names;
    p->run_as_non_root.common.exempt_containers.n = 1;
    p->run_as_non_root.common.exempt_reason = "upstream image, tracked in SEC-42";
    json_t *rv = load_review("reviews/typical-denied.json");
    struct admission_result res;
    json_t *out = handle(p, rv, ENDPOINT_VALIDATE, &res);
    ck_assert(!strstr(status_message(out), "[runAsNonRoot]"));
    ck_assert(strstr(status_message(out), "has 2 violations of 2 rules"));
    ck_assert_str_eq(res.exempted,
                     "runAsNonRoot/git-sync: upstream image, tracked in SEC-42");
    ck_assert_ptr_null(res.excluded);
    admission_result_cleanup(&res);
    json_decref(out);
    json_decref(rv);
    policy_free(p);
}
END_TEST

static const struct {
    const char *body, *message;
} bad[] = {
    {"{", "malformed JSON"},
    {"[]", "not a JSON object"},
    {"{'kind':'Pod'}", "expected AdmissionReview"},
    {"{'kind':'AdmissionReview','apiVersion':'admission.k8s.io/v2'}", "is not supported"},
    {"{'kind':'AdmissionReview','apiVersion':'admission.k8s.io/v1'}",
     "request is missing"},
    {"{'kind':'AdmissionReview','apiVersion':'admission.k8s.io/v1','request':{}}",
     "request.uid is missing"},
    {"{'kind':'AdmissionReview','apiVersion':'admission.k8s.io/v1','request':{'uid':'u',"
     "'object':'x'}}",
     "request.object is not an object"},
    /* a CREATE or UPDATE without its object was allowed silently */
    {"{'kind':'AdmissionReview','apiVersion':'admission.k8s.io/v1','request':{'uid':'u',"
     "'operation':'CREATE'}}",
     "request.object is missing (operation CREATE); CREATE and UPDATE reviews must "
     "carry the object"},
    {"{'kind':'AdmissionReview','apiVersion':'admission.k8s.io/v1','request':{'uid':'u',"
     "'operation':'UPDATE','object':null,'oldObject':{'kind':'Pod'}}}",
     "request.object is null (operation UPDATE)"},
    {"{'kind':'AdmissionReview','kind':'AdmissionReview'}", "duplicate"},
};

START_TEST(rejects_what_it_cannot_answer)
{
    struct policy *p = policy_new_default();
    char body[512];
    snprintf(body, sizeof(body), "%s", bad[_i].body);
    for (char *c = body; *c; c++)
        *c = *c == '\'' ? '"' : *c;
    struct admission_options opt = {.endpoint = ENDPOINT_VALIDATE};
    struct admission_result res;
    struct tg_error err;
    ck_assert_int_eq(admission_handle(p, body, strlen(body), &opt, &res, &err),
                     TG_EINVAL);
    ck_assert_msg(strstr(err.text, bad[_i].message), "got: %s", err.text);
    ck_assert_ptr_null(res.response);
    admission_result_cleanup(&res);
    policy_free(p);
}
END_TEST

START_TEST(unreadable_object_is_refused_clearly)
{
    struct policy *p = policy_new_default();
    json_t *rv = load_review("reviews/typical-allowed.json");
    json_t *spec = json_object_get(
        json_object_get(json_object_get(rv, "request"), "object"), "spec");
    json_object_set_new(spec, "containers", json_string("nginx"));
    struct admission_result res;
    json_t *out = handle(p, rv, ENDPOINT_VALIDATE, &res);
    json_t *status = json_object_get(response_of(out), "status");
    ck_assert_int_eq(json_integer_value(json_object_get(status, "code")), 400);
    ck_assert(strstr(status_message(out), "/spec/containers must be a list"));
    admission_result_cleanup(&res);
    json_decref(out);
    json_decref(rv);
    policy_free(p);
}
END_TEST

/* DELETE sends the old object, CONNECT none: both keep being allowed. */
static const struct {
    const char *operation;
    bool null_object; /* "object": null rather than no member */
} no_object[] = {
    {"DELETE", true},
    {"DELETE", false},
    {"CONNECT", false},
};

START_TEST(delete_and_other_kinds_are_allowed)
{
    struct policy *p = policy_new_default();
    json_t *rv = load_review("reviews/typical-denied.json");
    json_t *req = json_object_get(rv, "request");
    json_object_set_new(req, "operation", json_string(no_object[_i].operation));
    json_object_set_new(req, "oldObject", json_deep_copy(json_object_get(req, "object")));
    if (no_object[_i].null_object)
        json_object_set_new(req, "object", json_null());
    else
        json_object_del(req, "object");
    struct admission_result res;
    json_t *out = handle(p, rv, ENDPOINT_VALIDATE, &res);
    ck_assert(json_is_true(json_object_get(response_of(out), "allowed")));
    admission_result_cleanup(&res);
    json_decref(out);
    json_decref(rv);
    policy_free(p);
}
END_TEST

/* kubectl debug on a 1.20 API server sends an EphemeralContainers object. */
START_TEST(ephemeral_containers_subresource_is_judged)
{
    struct policy *p = policy_new_default();
    json_t *rv = evalfix_json(
        "{'apiVersion':'admission.k8s.io/"
        "v1','kind':'AdmissionReview','request':{'uid':'e1',"
        "'kind':{'group':'','version':'v1','kind':'EphemeralContainers'},'subResource':"
        "'ephemeralcontainers','namespace':'ns','name':'web','operation':'UPDATE','"
        "object':"
        "{'kind':'EphemeralContainers','apiVersion':'v1','ephemeralContainers':[{'name':'"
        "dbg',"
        "'image':'busybox','securityContext':{'runAsUser':0}}]}}}");
    struct admission_result res;
    json_t *out = handle(p, rv, ENDPOINT_VALIDATE, &res);
    ck_assert(json_is_false(json_object_get(response_of(out), "allowed")));
    const char *m = status_message(out);
    ck_assert_msg(strstr(m, "ephemeralContainer \"dbg\" (/ephemeralContainers/0/image)"),
                  "%s", m);
    ck_assert(strstr(m, "/ephemeralContainers/0/securityContext/runAsUser"));
    admission_result_cleanup(&res);
    json_decref(out);
    json_decref(rv);
    policy_free(p);
}
END_TEST

/* 150 violating containers in audit mode: warnings stay inside the API
 * server's limits and the last one counts what did not fit. */
START_TEST(warnings_respect_api_server_limits)
{
    struct policy *p = policy_new_default();
    p->mode = POLICY_AUDIT;
    json_t *containers = json_array();
    for (int i = 0; i < 150; i++)
        json_array_append_new(
            containers, json_pack("{s:s,s:s}", "name",
                                  "a-container-with-a-long-name-to-fill-the-warning",
                                  "image", "nginx"));
    json_t *rv =
        json_pack("{s:s,s:s,s:{s:s,s:{s:s},s:s,s:s,s:{s:s,s:{s:o}}}}", "apiVersion",
                  "admission.k8s.io/v1", "kind", "AdmissionReview", "request", "uid",
                  "w1", "kind", "kind", "Pod", "namespace", "ns", "operation", "CREATE",
                  "object", "kind", "Pod", "spec", "containers", containers);
    struct admission_result res;
    json_t *out = handle(p, rv, ENDPOINT_VALIDATE, &res);
    json_t *w = json_object_get(response_of(out), "warnings");
    size_t total = 0, n = json_array_size(w);
    ck_assert_uint_gt(n, 2);
    for (size_t i = 0; i < n; i++) {
        size_t len = strlen(json_string_value(json_array_get(w, i)));
        ck_assert_uint_le(len, 256);
        total += len;
    }
    ck_assert_uint_le(total, 4096);
    ck_assert_msg(strstr(json_string_value(json_array_get(w, n - 1)),
                         "more finding(s) not "
                         "shown"),
                  "%s", json_string_value(json_array_get(w, n - 1)));
    admission_result_cleanup(&res);
    json_decref(out);
    json_decref(rv);
    policy_free(p);
}
END_TEST

/* Every allocation failure ends in a clean answer or TG_ENOMEM, never a
 * crash or a leak; past the decode, the answer is the internal-error one. */
/* Found by tests/integration/test_faults.sh: 10,000 containers that each
 * break a rule filled the request's arena, and the TG_ENOMEM became the
 * internal-error answer -- "allow" by default -- so padding a pod spec got
 * it past every rule.  Now such an object is refused on both endpoints,
 * whatever --on-internal-error says. */
START_TEST(too_many_findings_are_refused_not_waved_through)
{
    struct policy *p = policy_new_default();
    json_t *rv = load_review("server/deny_v1.json");
    json_t *list = json_object_get(
        json_object_get(json_object_get(json_object_get(rv, "request"), "object"),
                        "spec"),
        "containers");
    json_t *first = json_deep_copy(json_array_get(list, 0));
    json_array_clear(list);
    for (int i = 0; i < 10000; i++) {
        json_t *c = json_deep_copy(first);
        json_object_set_new(c, "name", json_sprintf("c%d", i));
        json_array_append_new(list, c);
    }
    char *body = json_dumps(rv, JSON_COMPACT);
    struct admission_options opt = {.endpoint = _i ? ENDPOINT_MUTATE : ENDPOINT_VALIDATE,
                                    .internal_error_allows = true};
    struct admission_result res;
    struct tg_error err;
    ck_assert_int_eq(admission_handle(p, body, strlen(body), &opt, &res, &err), TG_OK);
    json_t *out = json_loads(res.response, 0, NULL);
    ck_assert(json_is_false(json_object_get(response_of(out), "allowed")));
    ck_assert_int_eq(json_integer_value(json_object_get(
                         json_object_get(response_of(out), "status"), "code")),
                     400);
    ck_assert_msg(strstr(status_message(out), "cannot judge the object"), "%s",
                  status_message(out));
    ck_assert_str_eq(res.decision, "deny");
    admission_result_cleanup(&res);
    json_decref(out);
    free(body);
    json_decref(first);
    json_decref(rv);
    policy_free(p);
}
END_TEST

/* Found by tests/integration/test_evasion.sh: a note with no violation
 * beside it ("app:latest@sha256:...", pinned but with a misleading tag)
 * made the audit annotations NULL, read as out of memory: the answer was
 * the internal-error one (a refusal under --on-internal-error deny) instead
 * of "allowed, with a warning". */
START_TEST(note_alone_is_a_warning_not_an_error)
{
    struct policy *p = policy_new_default();
    json_t *rv = load_review("server/allow_v1.json");
    json_t *c = json_array_get(
        json_object_get(
            json_object_get(json_object_get(json_object_get(rv, "request"), "object"),
                            "spec"),
            "containers"),
        0);
    json_object_set_new(c, "image",
                        json_string("registry.k8s.io/pause:latest@sha256:"
                                    "0123456789abcdef0123456789abcdef"
                                    "0123456789abcdef0123456789abcdef"));
    struct admission_result res;
    json_t *out = handle(p, rv, ENDPOINT_VALIDATE, &res); /* internal errors deny */
    ck_assert_str_eq(res.decision, "allow");
    ck_assert(json_is_true(json_object_get(response_of(out), "allowed")));
    const json_t *warnings = json_object_get(response_of(out), "warnings");
    ck_assert_uint_eq(json_array_size(warnings), 1);
    const char *w = json_string_value(json_array_get(warnings, 0));
    ck_assert_msg(strstr(w, "the tag \"latest\" is misleading"), "%s", w);
    ck_assert_ptr_null(json_object_get(response_of(out), "auditAnnotations"));
    admission_result_cleanup(&res);
    json_decref(out);
    json_decref(rv);
    policy_free(p);
}
END_TEST

static const struct {
    const char *policy; /* NULL: the built-in defaults; else below the source tree */
    const char *review;
    enum admission_endpoint endpoint;
    const char *decision; /* once nothing fails */
} alloc_rows[] = {
    {NULL, "reviews/typical-denied.json", ENDPOINT_VALIDATE, "deny"},
    /* the rules of issue 15: their arena and jansson failures too */
    {"tests/data/rules/policy-all.yaml", "rules/secrets-review.json", ENDPOINT_VALIDATE,
     "deny"},
    {"tests/data/rules/policy-all.yaml", "rules/secrets-review.json", ENDPOINT_MUTATE,
     "patch"},
    {"tests/data/rules/policy-all.yaml", "rules/host-review.json", ENDPOINT_VALIDATE,
     "deny"},
};

START_TEST(allocation_failures_answer_cleanly)
{
    struct policy *p = policy_new_default();
    if (alloc_rows[_i].policy) {
        char path[4096];
        struct tg_error perr = {0};
        snprintf(path, sizeof(path), "%s/%s", TOLLGATE_SOURCE_DIR, alloc_rows[_i].policy);
        policy_free(p);
        p = NULL;
        ck_assert_msg(policy_load_path(path, &p, &perr) == TG_OK, "%s", perr.text);
    }
    char *body = fixture_read(alloc_rows[_i].review, NULL);
    struct admission_options opt = {.endpoint = alloc_rows[_i].endpoint,
                                    .internal_error_allows = true};
    alloc_json_install();
    enum tg_rc rc = TG_ENOMEM;
    long n;
    for (n = 0; n < 5000; n++) {
        struct admission_result res;
        struct tg_error err;
        alloc_fail_after(n);
        rc = admission_handle(p, body, strlen(body), &opt, &res, &err);
        alloc_fail_after(-1);
        /* jansson reports a few allocation failures as syntax errors */
        ck_assert_msg(rc == TG_OK || rc == TG_ENOMEM || rc == TG_EINVAL, "n=%ld rc=%d", n,
                      rc);
        bool done = rc == TG_OK && strcmp(res.decision, alloc_rows[_i].decision) == 0;
        if (rc == TG_OK && !done)
            ck_assert_str_eq(res.decision, "error");
        admission_result_cleanup(&res);
        if (done)
            break;
    }
    ck_assert_uint_lt(n, 5000);
    free(body);
    policy_free(p);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("admission");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, allows_compliant_pod);
    tcase_add_test(tc, denies_with_every_violation);
    tcase_add_loop_test(tc, deny_header_counts_violations_and_rules, 0,
                        ARRAY_LEN(headers));
    tcase_add_test(tc, answers_v1beta1_in_kind);
    tcase_add_test(tc, audit_mode_warns_and_never_denies);
    tcase_add_test(tc, per_rule_audit_in_enforce_mode);
    tcase_add_test(tc, mutate_patch_applies_and_fixes);
    tcase_add_test(tc, exclusions_and_namespace_overrides);
    tcase_add_test(tc, exemptions_are_applied_and_reported);
    tcase_add_test(tc, updates_judge_only_pod_spec_changes);
    tcase_add_loop_test(tc, rejects_what_it_cannot_answer, 0, ARRAY_LEN(bad));
    tcase_add_test(tc, unreadable_object_is_refused_clearly);
    tcase_add_loop_test(tc, delete_and_other_kinds_are_allowed, 0, ARRAY_LEN(no_object));
    tcase_add_test(tc, ephemeral_containers_subresource_is_judged);
    tcase_add_test(tc, warnings_respect_api_server_limits);
    tcase_add_loop_test(tc, allocation_failures_answer_cleanly, 0, ARRAY_LEN(alloc_rows));
    tcase_add_test(tc, note_alone_is_a_warning_not_an_error);
    tcase_add_loop_test(tc, too_many_findings_are_refused_not_waved_through, 0, 2);
    suite_add_tcase(s, tc);
    return run_suite(s);
}
