/* check_rule_image_pull_policy.c -- Always for mutable tags. */
#include <string.h>

#include "evalfix.h"
#include "testutil.h"

#define RULE "imagePullPolicy"
#define DIGEST "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

static const struct {
    const char *container;
    size_t n;
} rows[] = {
    {"{'name':'a','image':'app:1','imagePullPolicy':'Always'}", 0},
    {"{'name':'a','image':'app:1','imagePullPolicy':'IfNotPresent'}", 1},
    {"{'name':'a','image':'app:1'}", 1},
    {"{'name':'a','image':'app:latest'}", 0}, /* the API server defaults it to Always */
    {"{'name':'a','image':'app@" DIGEST "','imagePullPolicy':'IfNotPresent'}", 0},
    {"{'name':'a','image':'app:1','imagePullPolicy':'Never'}", 1},
};

START_TEST(judges_pull_policy)
{
    struct evalfix ef;
    evalfix_init(&ef);
    ef.policy->image_pull_policy.common.action = ACTION_ENFORCE;
    char containers[512];
    snprintf(containers, sizeof(containers), "[%s]", rows[_i].container);
    ck_assert_int_eq(evalfix_run(&ef, evalfix_pod(NULL, containers)), TG_OK);
    ck_assert_uint_eq(evalfix_count(&ef, RULE), rows[_i].n);
    if (rows[_i].n) {
        const struct finding *f = evalfix_get(&ef, RULE, 0);
        ck_assert_str_eq(f->pointer, "/spec/containers/0/imagePullPolicy");
        ck_assert_uint_eq(f->n_fixes, 1);
        ck_assert_str_eq(json_string_value(f->fixes[0].value), "Always");
    }
    evalfix_cleanup(&ef);
}
END_TEST

START_TEST(off_by_default)
{
    struct evalfix ef;
    evalfix_init(&ef);
    ck_assert_int_eq(
        evalfix_run(&ef, evalfix_pod(NULL, "[{'name':'a','image':'app:1'}]")), TG_OK);
    ck_assert_uint_eq(evalfix_count(&ef, RULE), 0);
    evalfix_cleanup(&ef);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("rule_image_pull_policy");
    TCase *tc = tcase_create("core");
    tcase_add_loop_test(tc, judges_pull_policy, 0, ARRAY_LEN(rows));
    tcase_add_test(tc, off_by_default);
    suite_add_tcase(s, tc);
    return run_suite(s);
}
