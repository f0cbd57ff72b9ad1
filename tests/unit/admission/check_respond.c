/* check_respond.c -- the response writer against jansson.
 *
 * respond_encode writes the AdmissionReview response as text.  Each row is
 * also built the way it used to be, as a jansson tree dumped compactly
 * (reference() below), and the two must be the same bytes -- except where
 * jsonesc deliberately differs from jansson (DEL escaped, lower-case \u
 * hex, malformed UTF-8 replaced rather than refused), where both must at
 * least parse to the same JSON.
 */
#include <check.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "alloc_json.h"
#include "respond.h"
#include "testutil.h"

/* What respond_encode produced before it wrote text itself. */
static char *reference(const char *api_version, const char *uid, const struct verdict *v,
                       int code)
{
    json_t *resp = json_pack("{s:s,s:b}", "uid", uid, "allowed", v->allowed);
    if (!v->allowed)
        json_object_set_new(resp, "status",
                            json_pack("{s:i,s:s,s:s}", "code", code, "reason",
                                      code == 400   ? "BadRequest"
                                      : code == 500 ? "InternalError"
                                                    : "Forbidden",
                                      "message", v->message ? v->message : "denied"));
    if (v->n_warnings) {
        json_t *w = json_array();
        for (size_t i = 0; i < v->n_warnings; i++)
            json_array_append_new(w, json_string(v->warnings[i]));
        json_object_set_new(resp, "warnings", w);
    }
    if (v->audit_annotations)
        json_object_set(resp, "auditAnnotations", v->audit_annotations);
    json_t *root = json_pack("{s:s,s:s,s:o}", "apiVersion", api_version, "kind",
                             "AdmissionReview", "response", resp);
    char *text = json_dumps(root, JSON_COMPACT);
    json_decref(root);
    return text;
}

static const char *plain_warnings[] = {
    "[tollgate] probes: container \"web\" has no readinessProbe (audit)",
    "second \\ warning with a tab\tand a newline\n",
    "caf\xc3\xa9 \xf0\x9f\x90\xb3 and / slash",
};
static const char *odd_warnings[] = {
    "DEL \x7f and \x01 control",
    "bad \xc3 byte",
};

static const struct {
    bool allowed;
    const char *message;
    const char **warnings;
    size_t n_warnings;
    int code;
    bool audit;
    bool same_bytes; /* false: only the same JSON (jsonesc's own choices) */
} rows[] = {
    {true, NULL, NULL, 0, 403, false, true},
    {false,
     "tollgate: Pod team/web has 1 violation of 1 rule:\n  [pinnedTags] \"nginx:latest\"",
     NULL, 0, 403, false, true},
    {false, NULL, NULL, 0, 400, false, true},
    {false, "could not evaluate", NULL, 0, 500, false, true},
    {true, NULL, plain_warnings, 3, 403, false, true},
    {false, "quote \" backslash \\ \x1f unit separator", plain_warnings, 1, 403, true,
     false},
    {true, NULL, plain_warnings, 2, 403, true, true},
    {true, NULL, odd_warnings, 2, 403, false, false},
};

START_TEST(same_as_jansson)
{
    struct verdict v = {.allowed = rows[_i].allowed,
                        .message = rows[_i].message,
                        .warnings = rows[_i].warnings,
                        .n_warnings = rows[_i].n_warnings};
    if (rows[_i].audit)
        v.audit_annotations =
            json_pack("{s:s,s:s}", "tollgate.dev/would-deny", "pinnedTags: \"web\"",
                      "tollgate.dev/mode", "audit");
    char *got = NULL;
    size_t len = 0;
    ck_assert_int_eq(respond_encode("admission.k8s.io/v1", "705ab4f5-6393", &v,
                                    rows[_i].code, &got, &len),
                     TG_OK);
    ck_assert_uint_eq(len, strlen(got));
    json_error_t jerr;
    json_t *parsed = json_loads(got, JSON_REJECT_DUPLICATES, &jerr);
    ck_assert_msg(parsed, "not JSON: %s\n%s", jerr.text, got);
    if (rows[_i].same_bytes) {
        char *want = reference("admission.k8s.io/v1", "705ab4f5-6393", &v, rows[_i].code);
        ck_assert_str_eq(got, want);
        free(want);
    } else if (rows[_i].warnings != odd_warnings) {
        char *want = reference("admission.k8s.io/v1", "705ab4f5-6393", &v, rows[_i].code);
        json_t *w = json_loads(want, 0, NULL);
        ck_assert(json_equal(parsed, w));
        json_decref(w);
        free(want);
    } else { /* jansson refuses malformed UTF-8; the writer replaces it */
        const char *w1 = json_string_value(json_array_get(
            json_object_get(json_object_get(parsed, "response"), "warnings"), 1));
        ck_assert_str_eq(w1, "bad \xef\xbf\xbd byte");
    }
    json_decref(parsed);
    json_decref(v.audit_annotations);
    tg_free(got);
}
END_TEST

/* The patch: base64 of the compact JSON Patch, after patchType. */
START_TEST(patch_is_base64)
{
    struct verdict v = {.allowed = true};
    v.patch = json_pack("[{s:s,s:s,s:b}]", "op", "add", "path",
                        "/spec/containers/0/securityContext/runAsNonRoot", "value", 1);
    char *got = NULL;
    size_t len = 0;
    ck_assert_int_eq(respond_encode("admission.k8s.io/v1", "u", &v, 403, &got, &len),
                     TG_OK);
    json_t *parsed = json_loads(got, 0, NULL);
    json_t *resp = json_object_get(parsed, "response");
    ck_assert_str_eq(json_string_value(json_object_get(resp, "patchType")), "JSONPatch");
    ck_assert_str_eq(
        json_string_value(json_object_get(resp, "patch")),
        "W3sib3AiOiJhZGQiLCJwYXRoIjoiL3NwZWMvY29udGFpbmVycy8wL3NlY3VyaXR5Q29u"
        "dGV4dC9ydW5Bc05vblJvb3QiLCJ2YWx1ZSI6dHJ1ZX1d");
    json_decref(parsed);
    json_decref(v.patch);
    tg_free(got);
}
END_TEST

/* Every allocation failing in turn: TG_ENOMEM and nothing leaked, or the
 * whole answer. */
START_TEST(allocation_failures)
{
    struct verdict v = {
        .allowed = false, .message = "m", .warnings = plain_warnings, .n_warnings = 3};
    v.patch = json_pack("[{s:s}]", "op", "add");
    long n;
    for (n = 0; n < 100; n++) {
        char *got = NULL;
        size_t len = 0;
        alloc_fail_after(n);
        enum tg_rc rc = respond_encode("admission.k8s.io/v1", "u", &v, 403, &got, &len);
        alloc_fail_after(-1);
        if (rc == TG_OK) {
            ck_assert_ptr_nonnull(strstr(got, "\"patch\":\""));
            tg_free(got);
            break;
        }
        ck_assert_int_eq(rc, TG_ENOMEM);
        ck_assert_ptr_null(got);
    }
    ck_assert_int_gt(n, 0);
    ck_assert_int_lt(n, 100);
    json_decref(v.patch);
}
END_TEST

static Suite *respond_suite(void)
{
    Suite *s = suite_create("respond");
    TCase *tc = tcase_create("core");
    tcase_add_loop_test(tc, same_as_jansson, 0, ARRAY_LEN(rows));
    tcase_add_test(tc, patch_is_base64);
    tcase_add_test(tc, allocation_failures);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    alloc_json_install();
    return run_suite(respond_suite());
}
