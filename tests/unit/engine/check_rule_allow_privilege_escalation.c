/* check_rule_allow_privilege_escalation.c -- allowPrivilegeEscalation must
 * be false, at every pod-bearing kind and in every container list; what
 * forces it on (privileged, SYS_ADMIN) is named, and only an unset field is
 * fixed. */
#include <string.h>

#include "evalfix.h"
#include "jptr.h"
#include "testutil.h"

#define RULE "allowPrivilegeEscalation"
#define APE "/securityContext/allowPrivilegeEscalation"
#define UNSET "is not set"
#define FORCED "always allows privilege escalation"

static const struct {
    const char *podspec;
    struct evalfix_expect want;
} rows[] = {
    /* allowed */
    {"{'containers':[{'name':'a','securityContext':{'allowPrivilegeEscalation':false}}]}",
     {0}},
    {"{'containers':[{'name':'a','securityContext':{'allowPrivilegeEscalation':false,"
     "'capabilities':{'add':['NET_BIND_SERVICE']}}}]}",
     {0}},
    /* unset, in any spelling: fixed */
    {"{'containers':[{'name':'a'}]}", {1, "/containers/0" APE, UNSET, 1}},
    {"{'containers':[{'name':'a','securityContext':null}]}",
     {1, "/containers/0" APE, UNSET, 1}},
    {"{'containers':[{'name':'a','securityContext':{'allowPrivilegeEscalation':null}}]}",
     {1, "/containers/0" APE, UNSET, 1}},
    /* the pod's securityContext has no such field: it does not count */
    {"{'securityContext':{'allowPrivilegeEscalation':false},'containers':[{'name':'a'}]}",
     {1, "/containers/0" APE, UNSET, 1}},
    /* an explicit true is somebody's decision: not fixed */
    {"{'containers':[{'name':'a','securityContext':{'allowPrivilegeEscalation':true}}]}",
     {1, "/containers/0" APE, "is true", 0}},
    /* forced on: the cause is named, and false would not help */
    {"{'containers':[{'name':'a','securityContext':{'privileged':true}}]}",
     {1, "/containers/0/securityContext/privileged", FORCED, 0}},
    {"{'containers':[{'name':'a','securityContext':{'privileged':true,"
     "'allowPrivilegeEscalation':false}}]}",
     {1, "/containers/0/securityContext/privileged", FORCED, 0}},
    {"{'containers':[{'name':'a','securityContext':{'allowPrivilegeEscalation':false,"
     "'capabilities':{'add':['SYS_ADMIN']}}}]}",
     {1, "/containers/0/securityContext/capabilities/add/0", "\"SYS_ADMIN\" " FORCED, 0}},
    /* evasion: SYS_ADMIN spelled the ways a runtime still grants it */
    {"{'containers':[{'name':'a','securityContext':{'allowPrivilegeEscalation':false,"
     "'capabilities':{'add':['NET_BIND_SERVICE','cap_sys_admin']}}}]}",
     {1, "/containers/0/securityContext/capabilities/add/1", "\"cap_sys_admin\"", 0}},
    {"{'containers':[{'name':'a','securityContext':{'capabilities':{'add':['CAP_SYS_"
     "ADMIN']}}}]}",
     {1, "/containers/0/securityContext/capabilities/add/0", FORCED, 0}},
    /* every list: the init, sidecar and debug containers are judged too */
    {"{'containers':[{'name':'a','securityContext':{'allowPrivilegeEscalation':false}}],"
     "'initContainers':[{'name':'i'}]}",
     {1, "/initContainers/0" APE, UNSET, 1}},
    {"{'containers':[{'name':'a','securityContext':{'allowPrivilegeEscalation':false}}],"
     "'ephemeralContainers':[{'name':'dbg','securityContext':{'privileged':true}}]}",
     {1, "/ephemeralContainers/0/securityContext/privileged", FORCED, 0}},
    {"{'containers':[{'name':'a','securityContext':{'allowPrivilegeEscalation':false}},"
     "{'name':'b'}]}",
     {1, "/containers/1" APE, UNSET, 1}},
    /* Linux-only: a Windows pod cannot set it */
    {"{'os':{'name':'windows'},'containers':[{'name':'a'}]}", {0}},
    {"{'os':{'name':'linux'},'containers':[{'name':'a'}]}",
     {1, "/containers/0" APE, UNSET, 1}},
};

START_TEST(judges_every_kind_and_list)
{
    struct evalfix ef;
    evalfix_init(&ef);
    ef.policy->allow_privilege_escalation.common.action = ACTION_ENFORCE;
    evalfix_check_kinds(&ef, RULE, rows[_i].podspec, &rows[_i].want);
    evalfix_cleanup(&ef);
}
END_TEST

/* mutate sets false where it is unset, in every list at every kind; the
 * patched object passes, and an explicit true or a forcing cause stays. */
START_TEST(mutate_sets_false_where_unset)
{
    const char *podspec =
        "{'containers':[{'name':'a'},{'name':'b','securityContext':{'runAsUser':5}},"
        "{'name':'c','securityContext':{'allowPrivilegeEscalation':true}}],"
        "'initContainers':[{'name':'i','securityContext':null}],"
        "'ephemeralContainers':[{'name':'dbg','securityContext':{'privileged':true}}]}";
    struct evalfix ef;
    evalfix_init(&ef);
    ef.policy->allow_privilege_escalation.common.action = ACTION_MUTATE;
    for (size_t k = 0; k < EVALFIX_N_KINDS; k++) {
        ck_assert_int_eq(evalfix_run(&ef, evalfix_workload(evalfix_kinds[k], podspec)),
                         TG_OK);
        ck_assert_uint_eq(evalfix_count(&ef, RULE), 5);
        ck_assert_uint_eq(evalfix_apply_fixes(&ef), 3);
        ck_assert_uint_eq(evalfix_count(&ef, RULE), 2); /* "c" and "dbg" */
        ck_assert_str_eq(evalfix_get(&ef, RULE, 0)->container, "c");
        ck_assert_str_eq(evalfix_get(&ef, RULE, 1)->container, "dbg");
        char p[256];
        snprintf(p, sizeof(p), "%s/containers/1/securityContext",
                 workload_podspec_pointer(evalfix_kinds[k]));
        const json_t *sc = jptr_get(ef.object, p);
        ck_assert_int_eq(json_integer_value(json_object_get(sc, "runAsUser")), 5);
        ck_assert(json_is_false(json_object_get(sc, "allowPrivilegeEscalation")));
        ck_assert_uint_eq(evalfix_apply_fixes(&ef), 0); /* nothing left to patch */
    }
    evalfix_cleanup(&ef);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("rule_allow_privilege_escalation");
    TCase *tc = tcase_create("core");
    tcase_add_loop_test(tc, judges_every_kind_and_list, 0, ARRAY_LEN(rows));
    tcase_add_test(tc, mutate_sets_false_where_unset);
    suite_add_tcase(s, tc);
    return run_suite(s);
}
