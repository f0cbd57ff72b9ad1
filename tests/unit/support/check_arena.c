/* check_arena.c -- reuse after arena_reset, and arena_owns. */
#include "arena.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "testutil.h"

/* Allocation sizes per round, made three times with a reset between:
 * each pointer is owned, and the memory is really that big (ASan). */
static const struct {
    size_t sizes[4];
} rounds[] = {
    {{16, 16, 16, 16}},
    {{3000, 3000, 3000, 0}},
    {{100000, 8, 0, 0}},
    {{1, 70000, 5000, 200000}},
};

START_TEST(reset_keeps_room)
{
    struct arena a;
    arena_init(&a, 0);
    for (int pass = 0; pass < 3; pass++) {
        void *p[4] = {0};
        for (int k = 0; k < 4 && rounds[_i].sizes[k]; k++) {
            p[k] = arena_alloc(&a, rounds[_i].sizes[k]);
            ck_assert_ptr_nonnull(p[k]);
            memset(p[k], 0xab, rounds[_i].sizes[k]); /* ASan: really that big */
            ck_assert(arena_owns(&a, p[k]));
            ck_assert(arena_owns(&a, (char *)p[k] + rounds[_i].sizes[k] - 1));
        }
        arena_reset(&a);
        ck_assert_uint_eq(a.used, 0);
    }
    arena_cleanup(&a);
}
END_TEST

START_TEST(reset_needs_no_malloc)
{
    struct arena a;
    arena_init(&a, 0);
    for (int k = 0; k < 20; k++)
        ck_assert_ptr_nonnull(arena_alloc(&a, 1000)); /* several blocks */
    arena_reset(&a);
    alloc_fail_after(0); /* the same again, with every malloc failing */
    for (int k = 0; k < 20; k++)
        ck_assert_ptr_nonnull(arena_alloc(&a, 1000));
    alloc_fail_after(-1);
    arena_cleanup(&a);
}
END_TEST

START_TEST(owns_only_its_memory)
{
    struct arena a, b;
    arena_init(&a, 0);
    arena_init(&b, 0);
    int local = 0;
    ck_assert(!arena_owns(&a, &local)); /* empty arena owns nothing */
    char *pa = arena_alloc(&a, 64);
    char *pb = arena_alloc(&b, 64);
    char *heap = malloc(64);
    ck_assert(arena_owns(&a, pa));
    ck_assert(!arena_owns(&a, pb));
    ck_assert(!arena_owns(&b, pa));
    ck_assert(!arena_owns(&a, heap));
    ck_assert(!arena_owns(&a, &local));
    free(heap);
    arena_cleanup(&a);
    arena_cleanup(&b);
}
END_TEST

START_TEST(reset_with_failing_malloc)
{
    struct arena a;
    arena_init(&a, 0);
    ck_assert_ptr_nonnull(arena_alloc(&a, 5000));
    ck_assert_ptr_nonnull(arena_alloc(&a, 5000)); /* two blocks */
    alloc_fail_after(0);
    arena_reset(&a); /* cannot merge them: left empty, not broken */
    ck_assert_ptr_null(a.head);
    ck_assert_ptr_null(arena_alloc(&a, 10));
    alloc_fail_after(-1);
    ck_assert_ptr_nonnull(arena_alloc(&a, 10));
    arena_cleanup(&a);
    arena_reset(&a); /* empty: nothing to do */
    ck_assert_ptr_null(a.head);
}
END_TEST

static Suite *arena_suite(void)
{
    Suite *s = suite_create("arena");
    TCase *tc = tcase_create("core");
    tcase_add_loop_test(tc, reset_keeps_room, 0, ARRAY_LEN(rounds));
    tcase_add_test(tc, reset_needs_no_malloc);
    tcase_add_test(tc, owns_only_its_memory);
    tcase_add_test(tc, reset_with_failing_malloc);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return run_suite(arena_suite());
}
