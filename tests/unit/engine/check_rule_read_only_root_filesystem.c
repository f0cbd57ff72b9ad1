/* check_rule_read_only_root_filesystem.c -- readOnlyRootFilesystem must be
 * true, at every pod-bearing kind and in every container list; never
 * fixed. */
#include <string.h>

#include "evalfix.h"
#include "testutil.h"

#define RULE "readOnlyRootFilesystem"
#define RO "/securityContext/readOnlyRootFilesystem"
#define RO_TRUE "'securityContext':{'readOnlyRootFilesystem':true}"

static const struct {
    const char *podspec;
    struct evalfix_expect want;
} rows[] = {
    {"{'containers':[{'name':'a'," RO_TRUE "}]}", {0}},
    {"{'containers':[{'name':'a'}]}", {1, "/containers/0" RO, "is not set", 0}},
    {"{'containers':[{'name':'a','securityContext':null}]}",
     {1, "/containers/0" RO, "is not set", 0}},
    {"{'containers':[{'name':'a','securityContext':{'readOnlyRootFilesystem':false}}]}",
     {1, "/containers/0" RO, "is false", 0}},
    /* the pod's securityContext has no such field */
    {"{'securityContext':{'readOnlyRootFilesystem':true},'containers':[{'name':'a'}]}",
     {1, "/containers/0" RO, "is not set", 0}},
    /* every list */
    {"{'containers':[{'name':'a'," RO_TRUE "}],'initContainers':[{'name':'i'}]}",
     {1, "/initContainers/0" RO, "is not set", 0}},
    {"{'containers':[{'name':'a'," RO_TRUE "}],'ephemeralContainers':[{'name':'dbg'}]}",
     {1, "/ephemeralContainers/0" RO, "is not set", 0}},
    {"{'containers':[{'name':'a'," RO_TRUE "},{'name':'b'}]}",
     {1, "/containers/1" RO, "is not set", 0}},
    /* Linux-only */
    {"{'os':{'name':'windows'},'containers':[{'name':'a'}]}", {0}},
};

START_TEST(judges_every_kind_and_list)
{
    struct evalfix ef;
    evalfix_init(&ef);
    ef.policy->read_only_root_filesystem.common.action = ACTION_ENFORCE;
    evalfix_check_kinds(&ef, RULE, rows[_i].podspec, &rows[_i].want);
    evalfix_cleanup(&ef);
}
END_TEST

/* Setting it blind would break apps that write under /: mutate denies. */
START_TEST(mutate_does_not_set_it)
{
    struct evalfix ef;
    evalfix_init(&ef);
    ef.policy->read_only_root_filesystem.common.action = ACTION_MUTATE;
    ck_assert_int_eq(evalfix_run(&ef, evalfix_pod(NULL, "[{'name':'a'}]")), TG_OK);
    ck_assert_uint_eq(evalfix_count(&ef, RULE), 1);
    ck_assert_uint_eq(evalfix_get(&ef, RULE, 0)->n_fixes, 0);
    evalfix_apply_fixes(&ef);
    ck_assert_uint_eq(evalfix_count(&ef, RULE), 1);
    evalfix_cleanup(&ef);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("rule_read_only_root_filesystem");
    TCase *tc = tcase_create("core");
    tcase_add_loop_test(tc, judges_every_kind_and_list, 0, ARRAY_LEN(rows));
    tcase_add_test(tc, mutate_does_not_set_it);
    suite_add_tcase(s, tc);
    return run_suite(s);
}
