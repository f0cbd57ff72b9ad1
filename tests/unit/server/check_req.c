/* check_req.c -- per-request state: the capped body and the pinned policy. */
#include "req.h"

#include <string.h>

#include "alloc.h"
#include "snapshot.h"
#include "testutil.h"

/* Chunks appended to a body capped at 8 bytes. */
static const struct {
    const char *chunks[4];
    enum tg_rc rc;
    const char *body; /* when rc is TG_OK */
} bodies[] = {
    {{"abc", "def"}, TG_OK, "abcdef"},
    {{"12345678"}, TG_OK, "12345678"},
    {{"1234", "56789"}, TG_ETOOBIG, NULL},
    {{"123456789", "1"}, TG_ETOOBIG, NULL},
    {{""}, TG_OK, ""},
};

START_TEST(body_cap)
{
    struct req *r = req_new(8, 42);
    ck_assert_ptr_nonnull(r);
    ck_assert_uint_eq(r->start_ns, 42);
    ck_assert_int_eq(r->route, ROUTE_UNKNOWN);
    for (int k = 0; k < 4 && bodies[_i].chunks[k]; k++)
        req_append(r, bodies[_i].chunks[k], strlen(bodies[_i].chunks[k]));
    ck_assert_int_eq(r->body_rc, bodies[_i].rc);
    if (bodies[_i].rc == TG_OK) {
        ck_assert_str_eq(buf_str(&r->body), bodies[_i].body);
    } else { /* nothing kept past the cap, not even the prefix */
        ck_assert_uint_eq(buf_len(&r->body), 0);
        req_append(r, "", 0); /* and nothing more is taken */
        ck_assert_int_eq(r->body_rc, TG_ETOOBIG);
        ck_assert_uint_eq(buf_len(&r->body), 0);
    }
    req_free(r);
}
END_TEST

START_TEST(oom)
{
    alloc_fail_after(0);
    ck_assert_ptr_null(req_new(8, 0));
    alloc_fail_after(1); /* the req, not its body */
    struct req *r = req_new(1024, 0);
    ck_assert_ptr_nonnull(r);
    req_append(r, "abc", 3);
    alloc_fail_after(-1);
    ck_assert_int_eq(r->body_rc, TG_ENOMEM);
    req_free(r);
    req_free(NULL);
}
END_TEST

/* A declared length is reserved at once (the body then never moves),
 * unless it is over REQ_EXPECT_MAX or the cap; a failed reservation
 * changes nothing. */
static const struct {
    size_t cap, declared;
    size_t alloc; /* what the body holds after req_expect */
} expects[] = {
    {1024, 100, 101},
    {1024, 0, 0},
    {1024, 2000, 0}, /* over the cap: the appends will refuse it */
    {1u << 20, REQ_EXPECT_MAX, REQ_EXPECT_MAX + 1},
    {1u << 20, REQ_EXPECT_MAX + 1, 0},
};

START_TEST(expect_reserves)
{
    struct req *r = req_new(expects[_i].cap, 0);
    ck_assert_ptr_nonnull(r);
    req_expect(r, expects[_i].declared);
    ck_assert_uint_eq(r->body.alloc, expects[_i].alloc);
    ck_assert_int_eq(r->body_rc, TG_OK);
    ck_assert_str_eq(buf_str(&r->body), "");
    const char *before = buf_str(&r->body);
    for (size_t i = 0; expects[_i].alloc && i < expects[_i].declared; i += 50)
        req_append(r, "0123456789012345678901234567890123456789012345678901234567890",
                   expects[_i].declared - i < 50 ? expects[_i].declared - i : 50);
    if (expects[_i].alloc) {
        ck_assert_uint_eq(buf_len(&r->body), expects[_i].declared);
        ck_assert_ptr_eq(buf_str(&r->body), before); /* never moved */
    }
    alloc_fail_after(0);
    req_expect(r, 10); /* no memory: nothing changes */
    alloc_fail_after(-1);
    ck_assert_int_eq(r->body_rc, TG_OK);
    req_free(r);
}
END_TEST

START_TEST(pins_policy)
{
    snapshot_clear();
    struct req *r = req_new(8, 0);
    ck_assert(!req_pin_policy(r));
    snapshot_publish(snapshot_new(policy_new_default(), 7));
    ck_assert(req_pin_policy(r));
    struct snapshot *pinned = r->snap;
    snapshot_publish(snapshot_new(policy_new_default(), 8));
    ck_assert(req_pin_policy(r)); /* still the first one */
    ck_assert_ptr_eq(r->snap, pinned);
    ck_assert_uint_eq(snapshot_generation(r->snap), 7);
    req_free(r); /* releases generation 7, now unreferenced: valgrind checks */
    snapshot_clear();
}
END_TEST

START_TEST(clock_moves)
{
    uint64_t a = req_now_ns();
    uint64_t b = req_now_ns();
    ck_assert_uint_gt(a, 0);
    ck_assert_uint_ge(b, a);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("req");
    TCase *tc = tcase_create("req");
    tcase_add_loop_test(tc, body_cap, 0, (int)ARRAY_LEN(bodies));
    tcase_add_test(tc, oom);
    tcase_add_loop_test(tc, expect_reserves, 0, (int)ARRAY_LEN(expects));
    tcase_add_test(tc, pins_policy);
    tcase_add_test(tc, clock_moves);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return run_suite(suite());
}
