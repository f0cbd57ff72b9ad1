/* check_scratch.c -- a decoded request in a reused scratch arena.
 *
 * admission_options.scratch must change nothing but where the decoded
 * request lives: the same answer byte for byte as on the heap, request
 * after request through one arena, and clean answers when allocations fail.
 */
#include "admission.h"

#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "alloc_json.h"
#include "policy.h"
#include "testutil.h"

static const struct {
    const char *fixture;
    enum admission_endpoint endpoint;
    const char *decision;
} rows[] = {
    {"reviews/typical-allowed.json", ENDPOINT_VALIDATE, "allow"},
    {"reviews/typical-denied.json", ENDPOINT_VALIDATE, "deny"},
    {"reviews/typical-denied.json", ENDPOINT_MUTATE, "allow"}, /* no mutate rules */
    {"reviews/typical-v1beta1.json", ENDPOINT_VALIDATE, "allow"},
    {"reviews/large.json", ENDPOINT_VALIDATE, "allow"},
    {"server/deny_v1.json", ENDPOINT_VALIDATE, "deny"},
};

static char *answer(const struct policy *p, const char *body,
                    const struct admission_options *opt, const char **decision)
{
    struct admission_result res;
    struct tg_error err = {0};
    ck_assert_int_eq(admission_handle(p, body, strlen(body), opt, &res, &err), TG_OK);
    *decision = res.decision;
    char *text = res.response;
    res.response = NULL;
    admission_result_cleanup(&res);
    return text;
}

START_TEST(same_answer_as_heap)
{
    struct policy *p = policy_new_default();
    char *body = fixture_read(rows[_i].fixture, NULL);
    struct arena scratch;
    arena_init(&scratch, 1u << 20);
    struct admission_options heap = {.endpoint = rows[_i].endpoint};
    struct admission_options reuse = heap;
    reuse.scratch = &scratch;
    alloc_json_install();
    const char *d;
    char *want = answer(p, body, &heap, &d);
    ck_assert_str_eq(d, rows[_i].decision);
    for (int k = 0; k < 5; k++) { /* the arena is reset and reused each time */
        char *got = answer(p, body, &reuse, &d);
        ck_assert_str_eq(got, want);
        ck_assert_str_eq(d, rows[_i].decision);
        ck_assert_uint_eq(scratch.used, 0);
        tg_free(got);
    }
    /* and a tiny arena: the tree spills to the heap past the cap */
    struct arena tiny;
    arena_init(&tiny, 256);
    reuse.scratch = &tiny;
    char *got = answer(p, body, &reuse, &d);
    ck_assert_str_eq(got, want);
    tg_free(got);
    arena_cleanup(&tiny);
    tg_free(want);
    arena_cleanup(&scratch);
    free(body);
    policy_free(p);
}
END_TEST

/* A malformed body leaves the arena reset and the thread on the heap. */
START_TEST(malformed_body_resets)
{
    struct policy *p = policy_new_default();
    struct arena scratch;
    arena_init(&scratch, 1u << 20);
    struct admission_options opt = {.endpoint = ENDPOINT_VALIDATE, .scratch = &scratch};
    alloc_json_install();
    static const char body[] = "{\"kind\":\"AdmissionReview\",\"request\":{\"uid\":[1,2,";
    struct admission_result res;
    struct tg_error err = {0};
    ck_assert_int_eq(admission_handle(p, body, strlen(body), &opt, &res, &err),
                     TG_EINVAL);
    admission_result_cleanup(&res);
    ck_assert_uint_eq(scratch.used, 0);
    json_t *after = json_pack("{s:i}", "a", 1); /* not from the arena any more */
    ck_assert(!arena_owns(&scratch, after));
    json_decref(after);
    arena_cleanup(&scratch);
    policy_free(p);
}
END_TEST

/* Every allocation failing in turn, with the scratch arena emptied first
 * so its blocks are allocated (and fail) too. */
START_TEST(allocation_failures)
{
    struct policy *p = policy_new_default();
    char *body = fixture_read("reviews/typical-denied.json", NULL);
    struct arena scratch;
    arena_init(&scratch, 1u << 20);
    struct admission_options opt = {.endpoint = ENDPOINT_VALIDATE,
                                    .internal_error_allows = true,
                                    .scratch = &scratch};
    alloc_json_install();
    long n;
    for (n = 0; n < 5000; n++) {
        struct admission_result res;
        struct tg_error err = {0};
        arena_cleanup(&scratch);
        alloc_fail_after(n);
        enum tg_rc rc = admission_handle(p, body, strlen(body), &opt, &res, &err);
        alloc_fail_after(-1);
        ck_assert_msg(rc == TG_OK || rc == TG_ENOMEM, "n=%ld rc=%d %s", n, rc, err.text);
        bool done = rc == TG_OK && strcmp(res.decision, "deny") == 0;
        if (rc == TG_OK && !done)
            ck_assert_str_eq(res.decision, "error");
        admission_result_cleanup(&res);
        ck_assert_uint_eq(scratch.used, 0);
        if (done)
            break;
    }
    ck_assert_uint_lt(n, 5000);
    ck_assert_int_gt(n, 3);
    arena_cleanup(&scratch);
    free(body);
    policy_free(p);
}
END_TEST

/* Whether the arena holds the whole tree decides whether admission_handle
 * may drop the tree without walking it: a spilled tree must be walked, or
 * its heap nodes leak (valgrind and LeakSanitizer in CI would say so). */
START_TEST(holds_all_only_without_spill)
{
    static const char doc[] = "{\"a\":[1,2,{\"b\":\"some text\"}],\"c\":{\"d\":null}}";
    alloc_json_install();
    struct arena big, tiny;
    arena_init(&big, 1u << 20);
    arena_init(&tiny, 64);
    ck_assert(!alloc_json_arena_holds_all()); /* no arena at all */
    struct arena *arenas[] = {&big, &tiny};
    for (size_t i = 0; i < ARRAY_LEN(arenas); i++) {
        alloc_json_arena_begin(arenas[i]);
        json_t *v = json_loads(doc, 0, NULL);
        ck_assert_ptr_nonnull(v);
        bool all = alloc_json_arena_holds_all();
        alloc_json_arena_pause();
        ck_assert(all == (arenas[i] == &big));
        json_decref(v); /* what spilled is freed; the arena's part is ignored */
        alloc_json_arena_end();
        arena_reset(arenas[i]);
    }
    arena_cleanup(&big);
    arena_cleanup(&tiny);
}
END_TEST

static Suite *scratch_suite(void)
{
    Suite *s = suite_create("scratch");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 120);
    tcase_add_loop_test(tc, same_answer_as_heap, 0, ARRAY_LEN(rows));
    tcase_add_test(tc, malformed_body_resets);
    tcase_add_test(tc, holds_all_only_without_spill);
    tcase_add_test(tc, allocation_failures);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return run_suite(scratch_suite());
}
