/* fuzz_admission.c -- an AdmissionReview body through admission_handle.
 *
 * Every input goes through three policies (enforce, mutate, audit; the
 * rules of issue 15 among them) on both endpoints.  Properties: the call
 * answers TG_OK or TG_EINVAL with a message; an answer is an
 * AdmissionReview with the request's uid, a
 * boolean `allowed`, and a status message when it denies, and never the
 * internal-error fallback (nothing here fails to allocate); a patch is base64
 * of a JSON array that the independent applier (tests/support/
 * jsonpatch_ref.c) applies to request.object; and the patched object, sent
 * again, needs no further patch (the fixes are complete and idempotent);
 * and leaving engine_unread_members unbuilt answers exactly as building
 * everything does.
 */
#include "fuzz.h"

#include <jansson.h>
#include <openssl/evp.h>
#include <string.h>

#include "admission.h"
#include "jsonpatch_ref.h"
#include "policy_load.h"

static const char *const policy_texts[] = {
    "apiVersion: tollgate.dev/v1\nkind: Policy\nmetadata: {name: fuzz-enforce}\n"
    "spec:\n  mode: enforce\n  exclude: {namespaces: [kube-system]}\n"
    "  overrides: [{namespaces: [sandbox-*], mode: audit}]\n  rules:\n"
    "    runAsNonRoot: {action: enforce, exempt: {containers: [istio-proxy]}}\n"
    "    pinnedTags: {action: enforce, requireDigest: false}\n"
    "    probes: {action: enforce, require: [liveness, readiness]}\n"
    "    allowedRegistries: {action: enforce, registries: [registry.k8s.io, "
    "ghcr.io/acme, docker.io/library, \"localhost:5000/team\"]}\n"
    "    imagePullPolicy: {action: enforce}\n"
    "    hostNamespaces: {action: enforce, allow: [hostPID]}\n"
    "    hostPorts: {action: enforce, allowed: [53, 9000-9100]}\n"
    "    hostPath: {action: enforce, allowedPaths: [/var/log, /proc/]}\n"
    "    noSecretsInEnv: {action: enforce}\n"
    "    resources: {action: enforce, maximum: {requests: {cpu: 2}, limits: {memory: "
    "4Gi}}}\n",
    "apiVersion: tollgate.dev/v1\nkind: Policy\nmetadata: {name: fuzz-mutate}\n"
    "spec:\n  mode: enforce\n  rules:\n"
    "    runAsNonRoot: {action: mutate, runAsUser: 10001, runAsGroup: 10001}\n"
    "    pinnedTags: {action: enforce}\n"
    "    probes: {action: mutate, addDefaultTcp: true, defaults: "
    "{initialDelaySeconds: 3, periodSeconds: 7}}\n"
    "    imagePullPolicy: {action: mutate}\n"
    "    allowedRegistries: {action: audit, registries: [ghcr.io/acme]}\n"
    "    resources: {action: mutate, require: {limits: [cpu, memory]}, defaults: "
    "{requests: {cpu: 100m, memory: 64Mi}, limits: {cpu: 1, memory: 1Gi}}}\n"
    "    hostPath: {action: mutate}\n",
    "apiVersion: tollgate.dev/v1\nkind: Policy\nmetadata: {name: fuzz-audit}\n"
    "spec:\n  mode: audit\n  rules:\n    runAsNonRoot: {action: mutate}\n"
    "    probes: {action: enforce, require: [readiness, startup]}\n"
    "    noSecretsInEnv: {action: audit, names: ['*pass*', 'KEY?']}\n",
};
#define N_POLICIES (sizeof(policy_texts) / sizeof(policy_texts[0]))

static struct policy *policies[N_POLICIES];

static void load_policies(void)
{
    if (policies[0])
        return;
    for (size_t i = 0; i < N_POLICIES; i++) {
        struct tg_error err = {0};
        enum tg_rc rc = policy_load_buffer(policy_texts[i], strlen(policy_texts[i]),
                                           "fuzz-policy", &policies[i], &err);
        FUZZ_CHECK(rc == TG_OK, "built-in policy %zu: %s", i, err.text);
    }
}

/* The JSON Patch inside a response, decoded; NULL when there is none. */
static json_t *decode_patch(const json_t *resp)
{
    const char *b64 = json_string_value(json_object_get(resp, "patch"));
    if (!b64)
        return NULL;
    FUZZ_CHECK(
        strcmp(json_string_value(json_object_get(resp, "patchType")), "JSONPatch") == 0,
        "patch without patchType JSONPatch");
    size_t len = strlen(b64);
    FUZZ_CHECK(len % 4 == 0, "base64 length %zu", len);
    unsigned char *raw = malloc(len / 4 * 3 + 1);
    FUZZ_CHECK(raw, "out of memory");
    int n = EVP_DecodeBlock(raw, (const unsigned char *)b64, (int)len);
    FUZZ_CHECK(n >= 0, "patch is not base64: %s", b64);
    while (len > 0 && b64[len - 1] == '=') { /* DecodeBlock counts padding as bytes */
        len--;
        n--;
    }
    json_error_t jerr;
    json_t *patch = json_loadb((const char *)raw, (size_t)n, 0, &jerr);
    free(raw);
    FUZZ_CHECK(json_is_array(patch), "patch is not a JSON array: %s", jerr.text);
    return patch;
}

/* A body admission_handle answered, as jansson reads it.  Without
 * JSON_REJECT_DUPLICATES: a duplicate key inside a member the engine does
 * not read (engine_unread_members) is answered, not refused. */
static json_t *load_answered(const char *body, size_t len)
{
    return json_loadb(body, len, 0, NULL);
}

/* The body again, with request.object replaced by `object`. */
static char *rebody(const char *body, size_t len, const json_t *object, size_t *out_len)
{
    json_t *root = load_answered(body, len);
    FUZZ_CHECK(root, "an answered body no longer parses");
    json_object_set_new(json_object_get(root, "request"), "object",
                        json_deep_copy(object));
    char *text = json_dumps(root, JSON_COMPACT);
    json_decref(root);
    FUZZ_CHECK(text, "json_dumps failed");
    *out_len = strlen(text);
    return text;
}

static json_t *answer(const struct policy *p, enum admission_endpoint ep,
                      const char *body, size_t len)
{
    struct admission_options opt = {.endpoint = ep, .internal_error_allows = true};
    struct admission_result res = {0};
    struct tg_error err = {0};
    enum tg_rc rc = admission_handle(p, body, len, &opt, &res, &err);
    json_t *root = NULL;
    FUZZ_CHECK(rc == TG_OK || rc == TG_EINVAL, "admission_handle returned %d", (int)rc);
    if (rc == TG_EINVAL) {
        FUZZ_CHECK(err.text[0] != '\0', "TG_EINVAL without a message");
        goto out;
    }
    json_error_t jerr;
    root = json_loadb(res.response, res.response_len, JSON_REJECT_DUPLICATES, &jerr);
    FUZZ_CHECK(root, "response is not JSON: %s", jerr.text);
    const json_t *resp = json_object_get(root, "response");
    json_t *req = load_answered(body, len);
    FUZZ_CHECK(json_equal(json_object_get(resp, "uid"),
                          json_object_get(json_object_get(req, "request"), "uid")),
               "the response's uid is not the request's");
    json_decref(req);
    FUZZ_CHECK(json_is_boolean(json_object_get(resp, "allowed")), "allowed not boolean");
    if (!json_is_true(json_object_get(resp, "allowed")))
        FUZZ_CHECK(
            json_is_string(json_object_get(json_object_get(resp, "status"), "message")),
            "a denial without a message");
    /* Without allocation failures, nothing an input does is an internal
     * error: a fuzzed body must get a real verdict, not the fallback. */
    FUZZ_CHECK(strcmp(res.decision, "error") != 0, "internal-error answer: %s",
               json_string_value(json_array_get(json_object_get(resp, "warnings"), 0)));
    if (ep == ENDPOINT_MUTATE && !json_is_true(json_object_get(resp, "allowed")))
        FUZZ_CHECK(json_integer_value(
                       json_object_get(json_object_get(resp, "status"), "code")) == 400,
                   "mutate denied an object it could read");
out:
    admission_result_cleanup(&res);
    return root;
}

/* A mutate answer's patch applies, and the patched object needs no more. */
static void check_patch(const struct policy *p, const char *body, size_t len,
                        const json_t *root)
{
    json_t *patch = decode_patch(json_object_get(root, "response"));
    if (!patch)
        return;
    json_t *req = load_answered(body, len);
    FUZZ_CHECK(req, "a patched body no longer parses");
    json_t *object =
        json_deep_copy(json_object_get(json_object_get(req, "request"), "object"));
    char why[256] = "";
    FUZZ_CHECK(jsonpatch_ref_apply(object, patch, why) == 0, "patch does not apply: %s",
               why);
    size_t len2 = 0;
    char *body2 = rebody(body, len, object, &len2);
    json_t *root2 = answer(p, ENDPOINT_MUTATE, body2, len2);
    FUZZ_CHECK(root2, "the patched review is refused");
    json_t *patch2 = decode_patch(json_object_get(root2, "response"));
    FUZZ_CHECK(!patch2 || json_array_size(patch2) == 0,
               "the patched object is patched again (%zu ops)", json_array_size(patch2));
    json_decref(patch2);
    json_decref(root2);
    free(body2);
    json_decref(object);
    json_decref(req);
    json_decref(patch);
}

/* Leaving engine_unread_members unbuilt (the default) answers exactly as
 * building the whole tree does.  The one allowed difference: a duplicate
 * key inside such a member, which only the full decoder looks for (and
 * reports before any later error). */
static void check_lean_same(const struct policy *p, enum admission_endpoint ep,
                            const char *body, size_t len)
{
    struct admission_result res[2];
    struct tg_error err[2];
    memset(res, 0, sizeof(res));
    memset(err, 0, sizeof(err));
    enum tg_rc rc[2];
    for (int full = 0; full < 2; full++) {
        struct admission_options opt = {
            .endpoint = ep, .internal_error_allows = true, .build_all = full};
        rc[full] = admission_handle(p, body, len, &opt, &res[full], &err[full]);
    }
    /* A duplicate key inside an unbuilt member: the lean decoder does not
     * see it, and answers or finds the next error in the body instead. */
    if (rc[1] == TG_EINVAL && strstr(err[1].text, "duplicate object key") &&
        (rc[0] == TG_OK || rc[0] == TG_EINVAL))
        goto out;
    FUZZ_CHECK(rc[0] == rc[1], "lean rc %d, full rc %d (%s)", (int)rc[0], (int)rc[1],
               err[1].text);
    if (rc[0] == TG_OK)
        FUZZ_CHECK(res[0].response_len == res[1].response_len &&
                       memcmp(res[0].response, res[1].response, res[0].response_len) == 0,
                   "lean and full answers differ:\n%s\n%s", res[0].response,
                   res[1].response);
    else
        FUZZ_CHECK(strcmp(err[0].text, err[1].text) == 0, "errors differ: %s / %s",
                   err[0].text, err[1].text);
out:
    admission_result_cleanup(&res[0]);
    admission_result_cleanup(&res[1]);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_init();
    load_policies();
    const char *body = (const char *)data;
    for (size_t i = 0; i < N_POLICIES; i++) {
        json_decref(answer(policies[i], ENDPOINT_VALIDATE, body, size));
        check_lean_same(policies[i], ENDPOINT_VALIDATE, body, size);
        check_lean_same(policies[i], ENDPOINT_MUTATE, body, size);
        json_t *root = answer(policies[i], ENDPOINT_MUTATE, body, size);
        if (root)
            check_patch(policies[i], body, size, root);
        json_decref(root);
    }
    return 0;
}
