/* check_patch.c -- the JSON Patch builder, cross-checked by an independent
 * RFC 6902 applier: every patch must apply, give the builder's own patched
 * object, and make a second build produce no operation. */
#include <string.h>

#include "alloc.h"
#include "alloc_json.h"
#include "evalfix.h"
#include "jptr.h"
#include "jsonpatch_ref.h"
#include "patch.h"
#include "testutil.h"

struct fixrow {
    const char *pointer, *value;
};

static const struct {
    const char *doc;
    struct fixrow fixes[3];
    size_t n;
    const char *want_ops; /* expected operations */
} rows[] = {
    /* missing parent: the whole object is added */
    {"{'spec':{'containers':[{'name':'a'}]}}",
     {{"/spec/containers/0/securityContext/runAsNonRoot", "true"}},
     1,
     "[{'op':'add','path':'/spec/containers/0/"
     "securityContext','value':{'runAsNonRoot':true}}]"},
    /* existing parent, missing member */
    {"{'spec':{'containers':[{'name':'a','securityContext':{'runAsUser':5}}]}}",
     {{"/spec/containers/0/securityContext/runAsNonRoot", "true"}},
     1,
     "[{'op':'add','path':'/spec/containers/0/securityContext/"
     "runAsNonRoot','value':true}]"},
    /* existing member with another value: replace */
    {"{'spec':{'containers':[{'name':'a','imagePullPolicy':'IfNotPresent'}]}}",
     {{"/spec/containers/0/imagePullPolicy", "'Always'"}},
     1,
     "[{'op':'replace','path':'/spec/containers/0/imagePullPolicy','value':'Always'}]"},
    /* already right: nothing */
    {"{'spec':{'containers':[{'name':'a','imagePullPolicy':'Always'}]}}",
     {{"/spec/containers/0/imagePullPolicy", "'Always'"}},
     1,
     "[]"},
    /* two fixes under one missing parent: the second adds into the first */
    {"{'spec':{'initContainers':[{'name':'i'}]}}",
     {{"/spec/initContainers/0/securityContext/runAsNonRoot", "true"},
      {"/spec/initContainers/0/securityContext/runAsUser", "10001"}},
     2,
     "[{'op':'add','path':'/spec/initContainers/0/"
     "securityContext','value':{'runAsNonRoot':"
     "true}},{'op':'add','path':'/spec/initContainers/0/securityContext/"
     "runAsUser','value':"
     "10001}]"},
    /* null parent is replaced */
    {"{'spec':{'containers':[{'name':'a','securityContext':null}]}}",
     {{"/spec/containers/0/securityContext/runAsNonRoot", "true"}},
     1,
     "[{'op':'replace','path':'/spec/containers/0/"
     "securityContext','value':{'runAsNonRoot':"
     "true}}]"},
    /* escaping in keys (annotation-like names) */
    {"{'metadata':{}}",
     {{"/metadata/annotations/tollgate.dev~1fixed", "'yes'"}},
     1,
     "[{'op':'add','path':'/metadata/annotations','value':{'tollgate.dev/"
     "fixed':'yes'}}]"},
    /* deep workload position */
    {"{'kind':'CronJob','spec':{'jobTemplate':{'spec':{'template':{'spec':{'containers':["
     "{'n':"
     "1},{'n':2}]}}}}}}",
     {{"/spec/jobTemplate/spec/template/spec/containers/1/securityContext/runAsNonRoot",
       "true"}},
     1,
     "[{'op':'add','path':'/spec/jobTemplate/spec/template/spec/containers/1/"
     "securityContext',"
     "'value':{'runAsNonRoot':true}}]"},
};

START_TEST(builds_applicable_idempotent_patches)
{
    json_t *doc = evalfix_json(rows[_i].doc);
    struct fix fixes[3];
    const struct fix *ptrs[3];
    for (size_t k = 0; k < rows[_i].n; k++) {
        fixes[k].pointer = rows[_i].fixes[k].pointer;
        fixes[k].value = evalfix_json(rows[_i].fixes[k].value);
        ptrs[k] = &fixes[k];
    }
    struct patch_result r;
    bool applied[3];
    ck_assert_int_eq(patch_build(doc, ptrs, rows[_i].n, applied, &r), TG_OK);
    json_t *want = evalfix_json(rows[_i].want_ops);
    char *got = json_dumps(r.ops, JSON_COMPACT);
    ck_assert_msg(json_equal(r.ops, want), "ops: %s", got);
    free(got);
    for (size_t k = 0; k < rows[_i].n; k++)
        ck_assert(applied[k]);

    /* the independent applier agrees with the builder's patched object */
    json_t *copy = json_deep_copy(doc);
    char why[256];
    ck_assert_msg(jsonpatch_ref_apply(copy, r.ops, why) == 0, "apply: %s", why);
    ck_assert(json_equal(copy, r.patched));
    for (size_t k = 0; k < rows[_i].n; k++)
        ck_assert(json_equal(jptr_get(copy, fixes[k].pointer), fixes[k].value));

    /* applying twice changes nothing the second time */
    struct patch_result again;
    ck_assert_int_eq(patch_build(copy, ptrs, rows[_i].n, NULL, &again), TG_OK);
    ck_assert_uint_eq(json_array_size(again.ops), 0);

    patch_result_cleanup(&again);
    patch_result_cleanup(&r);
    json_decref(copy);
    json_decref(want);
    for (size_t k = 0; k < rows[_i].n; k++)
        json_decref(fixes[k].value);
    json_decref(doc);
}
END_TEST

START_TEST(scalar_parent_is_skipped)
{
    json_t *doc =
        evalfix_json("{'spec':{'containers':[{'name':'a','securityContext':'x'}]}}");
    struct fix f = {"/spec/containers/0/securityContext/runAsNonRoot", json_true()};
    const struct fix *p = &f;
    bool applied = true;
    struct patch_result r;
    ck_assert_int_eq(patch_build(doc, &p, 1, &applied, &r), TG_OK);
    ck_assert(!applied);
    ck_assert_uint_eq(r.n_skipped, 1);
    ck_assert_uint_eq(json_array_size(r.ops), 0);
    patch_result_cleanup(&r);
    json_decref(doc);
}
END_TEST

/* Found by tests/fuzz/fuzz_patch.c: a fix into a list made an "add" with a
 * path the API server refuses (a name or a leading-zero index where an
 * index belongs), or failed the whole patch (an index past the end). */
static const char *const list_pointers[] = {
    "/spec/containers/securityContext",
    "/spec/containers/1",
    "/spec/containers/00/imagePullPolicy",
    "/spec/containers/+0/imagePullPolicy",
    "/spec/containers/-",
};

START_TEST(list_member_must_exist)
{
    json_t *doc = evalfix_json("{'spec':{'containers':[{'name':'a'}]}}");
    struct fix f = {list_pointers[_i], json_true()};
    const struct fix *p = &f;
    bool applied = true;
    struct patch_result r;
    ck_assert_int_eq(patch_build(doc, &p, 1, &applied, &r), TG_OK);
    ck_assert(!applied);
    ck_assert_uint_eq(r.n_skipped, 1);
    ck_assert_uint_eq(json_array_size(r.ops), 0);
    ck_assert(json_equal(r.patched, doc));
    patch_result_cleanup(&r);
    json_decref(doc);
}
END_TEST

START_TEST(allocation_failures_are_clean)
{
    json_t *doc = evalfix_json("{'spec':{'containers':[{'name':'a'}]}}");
    struct fix f = {"/spec/containers/0/securityContext/runAsNonRoot", json_true()};
    const struct fix *p = &f;
    alloc_json_install();
    enum tg_rc rc = TG_ENOMEM;
    for (long n = 0; rc != TG_OK && n < 200; n++) {
        struct patch_result r;
        alloc_fail_after(n);
        rc = patch_build(doc, &p, 1, NULL, &r);
        alloc_fail_after(-1);
        ck_assert(rc == TG_OK || rc == TG_ENOMEM);
        if (rc == TG_OK)
            patch_result_cleanup(&r);
    }
    ck_assert_int_eq(rc, TG_OK);
    json_decref(doc);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("patch");
    TCase *tc = tcase_create("core");
    tcase_add_loop_test(tc, builds_applicable_idempotent_patches, 0, ARRAY_LEN(rows));
    tcase_add_test(tc, scalar_parent_is_skipped);
    tcase_add_loop_test(tc, list_member_must_exist, 0, ARRAY_LEN(list_pointers));
    tcase_add_test(tc, allocation_failures_are_clean);
    suite_add_tcase(s, tc);
    return run_suite(s);
}
