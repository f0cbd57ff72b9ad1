/* check_rule_privileged.c -- the privileged rule, at every pod-bearing kind
 * and in every container list. */
#include <string.h>

#include "decide.h"
#include "evalfix.h"
#include "jptr.h"
#include "testutil.h"

#define RULE "privileged"
#define MSG "privileged is true"

static const struct {
    const char *podspec;
    struct evalfix_expect want;
} rows[] = {
    /* allowed */
    {"{'containers':[{'name':'a'}]}", {0}},
    {"{'containers':[{'name':'a','securityContext':{'privileged':false}}]}", {0}},
    {"{'containers':[{'name':'a','securityContext':{'privileged':null}}]}", {0}},
    {"{'containers':[{'name':'a','securityContext':null}]}", {0}},
    /* the pod's securityContext has no such field (the API server drops it) */
    {"{'securityContext':{'privileged':true},'containers':[{'name':'a'}]}", {0}},
    /* denied, in each of the three lists */
    {"{'containers':[{'name':'a','securityContext':{'privileged':true}}]}",
     {1, "/containers/0/securityContext/privileged", MSG, 0}},
    {"{'containers':[{'name':'a'},{'name':'b','securityContext':{'privileged':true}}]}",
     {1, "/containers/1/securityContext/privileged", MSG, 0}},
    /* evasion: only an init container, a native sidecar, or a debug
     * container is privileged */
    {"{'containers':[{'name':'a'}],'initContainers':[{'name':'i','securityContext':"
     "{'privileged':true}}]}",
     {1, "/initContainers/0/securityContext/privileged", MSG, 0}},
    {"{'containers':[{'name':'a'}],'initContainers':[{'name':'s','restartPolicy':"
     "'Always','securityContext':{'privileged':true}}]}",
     {1, "/initContainers/0/securityContext/privileged", MSG, 0}},
    {"{'containers':[{'name':'a'}],'ephemeralContainers':[{'name':'dbg',"
     "'securityContext':{'privileged':true}}]}",
     {1, "/ephemeralContainers/0/securityContext/privileged", MSG, 0}},
    /* every privileged container is named */
    {"{'containers':[{'name':'a','securityContext':{'privileged':true}}],"
     "'initContainers':[{'name':'i','securityContext':{'privileged':true}}]}",
     {2, "/containers/0/securityContext/privileged", MSG, 0}},
};

START_TEST(judges_every_kind_and_list)
{
    struct evalfix ef;
    evalfix_init(&ef);
    ef.policy->privileged.common.action = ACTION_ENFORCE;
    evalfix_check_kinds(&ef, RULE, rows[_i].podspec, &rows[_i].want);
    evalfix_cleanup(&ef);
}
END_TEST

/* The pods/ephemeralcontainers object of API servers before 1.22. */
START_TEST(judges_the_ephemeral_containers_object)
{
    struct evalfix ef;
    evalfix_init(&ef);
    ef.policy->privileged.common.action = ACTION_ENFORCE;
    ck_assert_int_eq(
        evalfix_run(&ef, evalfix_workload("EphemeralContainers",
                                          "{'ephemeralContainers':[{'name':'dbg',"
                                          "'securityContext':{'privileged':true}}]}")),
        TG_OK);
    ck_assert_uint_eq(evalfix_count(&ef, RULE), 1);
    ck_assert_str_eq(evalfix_get(&ef, RULE, 0)->pointer,
                     "/ephemeralContainers/0/securityContext/privileged");
    evalfix_cleanup(&ef);
}
END_TEST

/* The denial names the container, its JSON Pointer and the fix. */
START_TEST(message_names_container_pointer_and_fix)
{
    struct evalfix ef;
    evalfix_init(&ef);
    ef.policy->privileged.common.action = ACTION_ENFORCE;
    ck_assert_int_eq(
        evalfix_run(&ef, evalfix_workload("Deployment",
                                          "{'containers':[{'name':'a'}],'initContainers':"
                                          "[{'name':'i','securityContext':{'privileged':"
                                          "true}}]}")),
        TG_OK);
    const char *line = decide_finding_line(&ef.arena, evalfix_get(&ef, RULE, 0));
    ck_assert_str_eq(line, "[privileged] initContainer \"i\" "
                           "(/spec/template/spec/initContainers/0/securityContext/"
                           "privileged): privileged is true, which gives the container "
                           "every capability and the node's devices; remove it or set "
                           "it to false");
    evalfix_cleanup(&ef);
}
END_TEST

/* mutate never flips an explicit privileged: true: it stays a violation. */
START_TEST(mutate_never_flips_it)
{
    struct evalfix ef;
    evalfix_init(&ef);
    ef.policy->privileged.common.action = ACTION_MUTATE;
    ck_assert_int_eq(evalfix_run(&ef, evalfix_pod(NULL, "[{'name':'a','securityContext':"
                                                        "{'privileged':true}}]")),
                     TG_OK);
    ck_assert_uint_eq(evalfix_count(&ef, RULE), 1);
    ck_assert_int_eq(evalfix_get(&ef, RULE, 0)->action, ACTION_MUTATE);
    ck_assert_uint_eq(evalfix_get(&ef, RULE, 0)->n_fixes, 0);
    evalfix_apply_fixes(&ef); /* the other rules' fixes only */
    ck_assert_uint_eq(evalfix_count(&ef, RULE), 1);
    ck_assert(json_is_true(jptr_get(ef.object, "/spec/containers/0/securityContext/"
                                               "privileged")));
    evalfix_cleanup(&ef);
}
END_TEST

/* Off (the built-in default) judges nothing; an exempt container is
 * recorded, not judged. */
START_TEST(off_and_exempt)
{
    struct evalfix ef;
    evalfix_init(&ef);
    const char *pod = evalfix_pod(NULL, "[{'name':'a','securityContext':{'privileged':"
                                        "true}},{'name':'b','securityContext':{"
                                        "'privileged':true}}]");
    ck_assert_int_eq(evalfix_run(&ef, pod), TG_OK);
    ck_assert_uint_eq(evalfix_count(&ef, RULE), 0);
    static const char *names[] = {"b"};
    ef.policy->privileged.common.action = ACTION_ENFORCE;
    ef.policy->privileged.common.exempt_containers.items = names;
    ef.policy->privileged.common.exempt_containers.n = 1;
    ck_assert_int_eq(evalfix_run(&ef, pod), TG_OK);
    ck_assert_uint_eq(evalfix_count(&ef, RULE), 1);
    ck_assert_str_eq(evalfix_get(&ef, RULE, 0)->container, "a");
    ck_assert_uint_eq(ef.findings.n_exemptions, 1);
    ck_assert_str_eq(ef.findings.exemptions[0].rule, RULE);
    ck_assert_str_eq(ef.findings.exemptions[0].container, "b");
    evalfix_cleanup(&ef);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("rule_privileged");
    TCase *tc = tcase_create("core");
    tcase_add_loop_test(tc, judges_every_kind_and_list, 0, ARRAY_LEN(rows));
    tcase_add_test(tc, judges_the_ephemeral_containers_object);
    tcase_add_test(tc, message_names_container_pointer_and_fix);
    tcase_add_test(tc, mutate_never_flips_it);
    tcase_add_test(tc, off_and_exempt);
    suite_add_tcase(s, tc);
    return run_suite(s);
}
