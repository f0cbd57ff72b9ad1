/* check_rule_capabilities.c -- drop ALL, add only what the policy allows,
 * at every pod-bearing kind and in every container list; spellings the
 * runtimes accept but Pod Security Admission does not are named. */
#include <string.h>

#include "evalfix.h"
#include "jptr.h"
#include "testutil.h"

#define RULE "capabilities"
#define DROP "/securityContext/capabilities/drop"
#define NO_ALL "does not contain \"ALL\""
#define DROP_ALL "'capabilities':{'drop':['ALL']}"

static const char *net_bind[] = {"NET_BIND_SERVICE"};

static const struct {
    const char *podspec;
    bool allow_net_bind; /* allowedCapabilities: [NET_BIND_SERVICE] */
    struct evalfix_expect want;
} rows[] = {
    /* allowed */
    {"{'containers':[{'name':'a','securityContext':{" DROP_ALL "}}]}", false, {0}},
    {"{'containers':[{'name':'a','securityContext':{'capabilities':{'drop':['NET_RAW',"
     "'ALL']}}}]}",
     false,
     {0}},
    {"{'containers':[{'name':'a','securityContext':{'capabilities':{'drop':['ALL'],"
     "'add':['NET_BIND_SERVICE']}}}]}",
     true,
     {0}},
    /* no drop ALL, in every shape: fixed */
    {"{'containers':[{'name':'a'}]}", false, {1, "/containers/0" DROP, NO_ALL, 1}},
    {"{'containers':[{'name':'a','securityContext':{'capabilities':null}}]}",
     false,
     {1, "/containers/0" DROP, NO_ALL, 1}},
    {"{'containers':[{'name':'a','securityContext':{'capabilities':{'drop':[]}}}]}",
     false,
     {1, "/containers/0" DROP, NO_ALL, 1}},
    {"{'containers':[{'name':'a','securityContext':{'capabilities':{'drop':['NET_RAW',"
     "'SYS_ADMIN']}}}]}",
     false,
     {1, "/containers/0" DROP, NO_ALL, 1}},
    /* the pod's securityContext has no capabilities: it does not count */
    {"{'securityContext':{" DROP_ALL "},'containers':[{'name':'a'}]}",
     false,
     {1, "/containers/0" DROP, NO_ALL, 1}},
    /* "all": the runtimes drop everything, PSA does not count it */
    {"{'containers':[{'name':'a','securityContext':{'capabilities':{'drop':['all']}}}]}",
     false,
     {1, "/containers/0" DROP, "has \"all\": runtimes take it", 1}},
    /* additions: none allowed by default; each one is named, never removed */
    {"{'containers':[{'name':'a','securityContext':{'capabilities':{'drop':['ALL'],"
     "'add':['NET_BIND_SERVICE']}}}]}",
     false,
     {1, "/containers/0/securityContext/capabilities/add/0",
      "\"NET_BIND_SERVICE\" may not be added (allowed: none)", 0}},
    {"{'containers':[{'name':'a','securityContext':{'capabilities':{'drop':['ALL'],"
     "'add':['NET_BIND_SERVICE','SYS_TIME']}}}]}",
     true,
     {1, "/containers/0/securityContext/capabilities/add/1",
      "\"SYS_TIME\" may not be added (allowed: NET_BIND_SERVICE)", 0}},
    {"{'containers':[{'name':'a','securityContext':{'capabilities':{'drop':['ALL'],"
     "'add':['ALL']}}}]}",
     true,
     {1, "/containers/0/securityContext/capabilities/add/0", "\"ALL\" may not be added",
      0}},
    /* evasion: spellings a runtime grants by are not the allowed name */
    {"{'containers':[{'name':'a','securityContext':{'capabilities':{'drop':['ALL'],"
     "'add':['net_bind_service']}}}]}",
     true,
     {1, "/containers/0/securityContext/capabilities/add/0",
      "\"net_bind_service\" is allowed only as written in the policy; write "
      "\"NET_BIND_SERVICE\"",
      0}},
    {"{'containers':[{'name':'a','securityContext':{'capabilities':{'drop':['ALL'],"
     "'add':['CAP_SYS_ADMIN']}}}]}",
     true,
     {1, "/containers/0/securityContext/capabilities/add/0",
      "\"CAP_SYS_ADMIN\" may not be added", 0}},
    /* missing drop and a bad add: two findings, the drop first */
    {"{'containers':[{'name':'a','securityContext':{'capabilities':{'add':['NET_ADMIN']"
     "}}}]}",
     false,
     {2, "/containers/0" DROP, NO_ALL, 1}},
    /* every list */
    {"{'containers':[{'name':'a','securityContext':{" DROP_ALL
     "}}],'initContainers':[{'name':'i'}]}",
     false,
     {1, "/initContainers/0" DROP, NO_ALL, 1}},
    {"{'containers':[{'name':'a','securityContext':{" DROP_ALL "}}],"
     "'ephemeralContainers':[{'name':'dbg','securityContext':{'capabilities':{'drop':["
     "'ALL'],'add':['SYS_PTRACE']}}}]}",
     false,
     {1, "/ephemeralContainers/0/securityContext/capabilities/add/0",
      "\"SYS_PTRACE\" may not be added", 0}},
    /* Linux-only */
    {"{'os':{'name':'windows'},'containers':[{'name':'a'}]}", false, {0}},
};

START_TEST(judges_every_kind_and_list)
{
    struct evalfix ef;
    evalfix_init(&ef);
    ef.policy->capabilities.common.action = ACTION_ENFORCE;
    if (rows[_i].allow_net_bind) {
        ef.policy->capabilities.allowed.items = net_bind;
        ef.policy->capabilities.allowed.n = 1;
    }
    evalfix_check_kinds(&ef, RULE, rows[_i].podspec, &rows[_i].want);
    evalfix_cleanup(&ef);
}
END_TEST

/* mutate sets drop: [ALL] (replacing a drop list without it) in every list
 * at every kind; additions are left alone, so a disallowed one stays. */
START_TEST(mutate_drops_all)
{
    const char *podspec =
        "{'containers':[{'name':'a'},{'name':'b','securityContext':{'capabilities':{"
        "'drop':['NET_RAW'],'add':['NET_BIND_SERVICE']}}},{'name':'c','securityContext'"
        ":{'capabilities':{'drop':['all'],'add':['SYS_ADMIN']}}}],"
        "'initContainers':[{'name':'i','securityContext':{'runAsUser':5}}]}";
    struct evalfix ef;
    evalfix_init(&ef);
    ef.policy->capabilities.common.action = ACTION_MUTATE;
    ef.policy->capabilities.allowed.items = net_bind;
    ef.policy->capabilities.allowed.n = 1;
    for (size_t k = 0; k < EVALFIX_N_KINDS; k++) {
        const char *base = workload_podspec_pointer(evalfix_kinds[k]);
        ck_assert_int_eq(evalfix_run(&ef, evalfix_workload(evalfix_kinds[k], podspec)),
                         TG_OK);
        ck_assert_uint_eq(evalfix_count(&ef, RULE), 5);
        ck_assert_uint_eq(evalfix_apply_fixes(&ef), 4);
        ck_assert_uint_eq(evalfix_count(&ef, RULE), 1); /* c adds SYS_ADMIN */
        ck_assert_str_eq(evalfix_get(&ef, RULE, 0)->container, "c");
        char p[256];
        snprintf(p, sizeof(p), "%s/containers/1/securityContext/capabilities", base);
        const json_t *caps = jptr_get(ef.object, p);
        json_t *all = evalfix_json("['ALL']");
        ck_assert(json_equal(json_object_get(caps, "drop"), all));
        json_decref(all);
        ck_assert_str_eq(
            json_string_value(json_array_get(json_object_get(caps, "add"), 0)),
            "NET_BIND_SERVICE");
        snprintf(p, sizeof(p), "%s/initContainers/0/securityContext/runAsUser", base);
        ck_assert_int_eq(json_integer_value(jptr_get(ef.object, p)), 5);
        ck_assert_uint_eq(evalfix_apply_fixes(&ef), 0);
    }
    evalfix_cleanup(&ef);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("rule_capabilities");
    TCase *tc = tcase_create("core");
    tcase_add_loop_test(tc, judges_every_kind_and_list, 0, ARRAY_LEN(rows));
    tcase_add_test(tc, mutate_drops_all);
    suite_add_tcase(s, tc);
    return run_suite(s);
}
