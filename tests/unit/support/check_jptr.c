/* check_jptr.c -- JSON Pointers built and followed.
 *
 * Every finding and patch path is built by jptr_child and jptr_index;
 * jptr_get must find what they name.
 */
#include "jptr.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"

static const struct {
    const char *base;
    size_t index;
    const char *want;
} index_rows[] = {
    {"", 0, "/0"},
    {"/spec/containers", 7, "/spec/containers/7"},
    {"/spec/containers", 10, "/spec/containers/10"},
    {"/spec/template/spec/initContainers", 1234567,
     "/spec/template/spec/initContainers/1234567"},
};

START_TEST(index_pointers)
{
    struct arena a;
    arena_init(&a, 0);
    ck_assert_str_eq(jptr_index(&a, index_rows[_i].base, index_rows[_i].index),
                     index_rows[_i].want);
    arena_cleanup(&a);
}
END_TEST

START_TEST(largest_index)
{
    struct arena a;
    arena_init(&a, 0);
    char want[64];
    snprintf(want, sizeof(want), "/x/%zu", (size_t)SIZE_MAX);
    ck_assert_str_eq(jptr_index(&a, "/x", SIZE_MAX), want);
    arena_cleanup(&a);
}
END_TEST

/* What the two build, jptr_get follows, escapes included. */
START_TEST(built_then_found)
{
    struct arena a;
    arena_init(&a, 0);
    json_t *doc = json_pack("{s:{s:[i,i,{s:s}]}}", "a/b~c", "list", 1, 2, "k", "v");
    const char *list = jptr_child(&a, jptr_child(&a, "", "a/b~c"), "list");
    ck_assert_str_eq(list, "/a~1b~0c/list");
    ck_assert_int_eq(json_integer_value(jptr_get(doc, jptr_index(&a, list, 1))), 2);
    ck_assert_str_eq(
        json_string_value(jptr_get(doc, jptr_child(&a, jptr_index(&a, list, 2), "k"))),
        "v");
    ck_assert_ptr_null(jptr_get(doc, jptr_index(&a, list, 3)));
    json_decref(doc);
    arena_cleanup(&a);
}
END_TEST

/* Array indexes as RFC 6901 writes them, and nothing strtoul would also
 * take: the API server's applier refuses those. */
static const struct {
    const char *token;
    bool found;
} index_tokens[] = {
    {"0", true},
    {"2", true},
    {"10", true},
    {"01", false},
    {"+1", false},
    {"-1", false},
    {" 1", false},
    {"1 ", false},
    {"", false},
    {"x", false},
    {"99999999999999999999999", false},
};

START_TEST(step_takes_rfc6901_indexes)
{
    json_t *list = json_pack("[i,i,i,i,i,i,i,i,i,i,i]", 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10);
    json_t *got = jptr_step(list, index_tokens[_i].token);
    ck_assert_msg((got != NULL) == index_tokens[_i].found, "token \"%s\"",
                  index_tokens[_i].token);
    if (got)
        ck_assert_int_eq(json_integer_value(got), atoi(index_tokens[_i].token));
    json_decref(list);
}
END_TEST

/* A full arena is NULL, not a short pointer. */
START_TEST(full_arena)
{
    struct arena a;
    arena_init(&a, 8);
    ck_assert_ptr_null(jptr_index(&a, "/spec/containers", 3));
    arena_cleanup(&a);
}
END_TEST

static Suite *jptr_suite(void)
{
    Suite *s = suite_create("jptr");
    TCase *tc = tcase_create("core");
    tcase_add_loop_test(tc, index_pointers, 0, ARRAY_LEN(index_rows));
    tcase_add_test(tc, largest_index);
    tcase_add_test(tc, built_then_found);
    tcase_add_test(tc, full_arena);
    tcase_add_loop_test(tc, step_takes_rfc6901_indexes, 0, ARRAY_LEN(index_tokens));
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return run_suite(jptr_suite());
}
