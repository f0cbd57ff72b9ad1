/* check_rule_run_as_non_root.c -- the runAsNonRoot rule, level by level. */
#include <string.h>

#include "evalfix.h"
#include "testutil.h"

#define RULE "runAsNonRoot"

static const struct {
    const char *pod_sc, *containers;
    size_t n;
    const char *pointer, *message;
    size_t n_fixes;
} rows[] = {
    {NULL, "[{'name':'a','image':'x:1'}]", 1,
     "/spec/containers/0/securityContext/runAsNonRoot",
     "neither the container nor the pod", 1},
    {"{'runAsNonRoot':true}", "[{'name':'a','image':'x:1'}]", 0, NULL, NULL, 0},
    {NULL, "[{'name':'a','securityContext':{'runAsNonRoot':true}}]", 0, NULL, NULL, 0},
    {"{'runAsNonRoot':true}", "[{'name':'a','securityContext':{'runAsNonRoot':false}}]",
     1, "/spec/containers/0/securityContext/runAsNonRoot", "false at the container level",
     0},
    {"{'runAsNonRoot':false}", "[{'name':'a','securityContext':{'runAsNonRoot':true}}]",
     0, NULL, NULL, 0},
    {"{'runAsNonRoot':false}", "[{'name':'a'}]", 1, "/spec/securityContext/runAsNonRoot",
     "false at the pod level", 0},
    {NULL, "[{'name':'a','securityContext':{'runAsNonRoot':true,'runAsUser':0}}]", 1,
     "/spec/containers/0/securityContext/runAsUser",
     "runAsUser is 0 (root), set at the "
     "container level",
     0},
    {"{'runAsUser':0}", "[{'name':'a'}]", 1, "/spec/securityContext/runAsUser",
     "set at the pod level", 0},
    {"{'runAsUser':0}", "[{'name':'a','securityContext':{'runAsUser':1000}}]", 0, NULL,
     NULL, 0},
    {"{'runAsUser':1000}", "[{'name':'a'}]", 0, NULL, NULL, 0},
    {"{'runAsNonRoot':true}", "[{'name':'a','securityContext':{'runAsUser':0}}]", 1,
     "/spec/containers/0/securityContext/runAsUser", "does not override it", 0},
    {"{'runAsNonRoot':true,'runAsUser':0}", "[{'name':'a'}]", 1,
     "/spec/securityContext/runAsUser", "runAsUser is 0", 0},
    {NULL, "[{'name':'a','securityContext':{'runAsUser':1000}},{'name':'b'}]", 1,
     "/spec/containers/1/securityContext/runAsNonRoot", "neither", 1},
    {NULL, "[{'name':'a','securityContext':null}]", 1,
     "/spec/containers/0/securityContext/runAsNonRoot", "neither", 1},
};

START_TEST(judges_levels)
{
    struct evalfix ef;
    evalfix_init(&ef);
    ck_assert_int_eq(evalfix_run(&ef, evalfix_pod(rows[_i].pod_sc, rows[_i].containers)),
                     TG_OK);
    ck_assert_uint_eq(evalfix_count(&ef, RULE), rows[_i].n);
    if (rows[_i].n) {
        const struct finding *f = evalfix_get(&ef, RULE, 0);
        ck_assert_str_eq(f->pointer, rows[_i].pointer);
        ck_assert_msg(strstr(f->message, rows[_i].message), "message: %s", f->message);
        ck_assert_uint_eq(f->n_fixes, rows[_i].n_fixes);
        ck_assert_int_eq(f->severity, FINDING_VIOLATION);
    }
    evalfix_cleanup(&ef);
}
END_TEST

/* Init and ephemeral containers inherit the pod's context and are judged. */
START_TEST(judges_hidden_containers)
{
    struct evalfix ef;
    evalfix_init(&ef);
    ck_assert_int_eq(
        evalfix_run(&ef,
                    "{'kind':'Pod','spec':{'containers':[{'name':'a','securityContext':"
                    "{'runAsNonRoot':true}}],'initContainers':[{'name':'i'}],"
                    "'ephemeralContainers':[{'name':'dbg','securityContext':"
                    "{'runAsUser':0}}]}}"),
        TG_OK);
    ck_assert_uint_eq(evalfix_count(&ef, RULE), 2);
    ck_assert_str_eq(evalfix_get(&ef, RULE, 0)->pointer,
                     "/spec/initContainers/0/securityContext/runAsNonRoot");
    ck_assert_str_eq(evalfix_get(&ef, RULE, 1)->pointer,
                     "/spec/ephemeralContainers/0/securityContext/runAsUser");
    evalfix_cleanup(&ef);
}
END_TEST

/* mutate with runAsUser and runAsGroup 10001 configured. */
static void init_with_ids(struct evalfix *ef)
{
    evalfix_init(ef);
    ef->policy->run_as_non_root.set_run_as_user = true;
    ef->policy->run_as_non_root.run_as_user = 10001;
    ef->policy->run_as_non_root.set_run_as_group = true;
    ef->policy->run_as_non_root.run_as_group = 10001;
}

START_TEST(fixes_add_configured_user_and_group)
{
    struct evalfix ef;
    init_with_ids(&ef);
    ck_assert_int_eq(evalfix_run(&ef, evalfix_pod("{'runAsGroup':5}", "[{'name':'a'}]")),
                     TG_OK);
    const struct finding *f = evalfix_get(&ef, RULE, 0);
    ck_assert_uint_eq(f->n_fixes, 2); /* runAsGroup is already set at the pod level */
    ck_assert_str_eq(f->fixes[0].pointer,
                     "/spec/containers/0/securityContext/runAsNonRoot");
    ck_assert(json_is_true(f->fixes[0].value));
    ck_assert_str_eq(f->fixes[1].pointer, "/spec/containers/0/securityContext/runAsUser");
    ck_assert_int_eq(json_integer_value(f->fixes[1].value), 10001);
    evalfix_cleanup(&ef);
}
END_TEST

/* On a Windows pod the API server refuses runAsUser and runAsGroup: only
 * runAsNonRoot is set. */
START_TEST(fixes_windows_pods_without_ids)
{
    struct evalfix ef;
    init_with_ids(&ef);
    ck_assert_int_eq(evalfix_run(&ef, "{'kind':'Pod','spec':{'os':{'name':'windows'},"
                                      "'containers':[{'name':'a'}]}}"),
                     TG_OK);
    const struct finding *f = evalfix_get(&ef, RULE, 0);
    ck_assert_uint_eq(f->n_fixes, 1);
    ck_assert_str_eq(f->fixes[0].pointer,
                     "/spec/containers/0/securityContext/runAsNonRoot");
    evalfix_cleanup(&ef);
}
END_TEST

static const struct {
    const char *user;
    bool allow_named;
    enum fact_status status;
    size_t n;
    const char *message;
    enum finding_severity severity;
} image_users[] = {
    {"", false, FACT_OK, 1, "runs as root (USER unset", FINDING_VIOLATION},
    {"root", false, FACT_OK, 1, "USER root", FINDING_VIOLATION},
    {"0", false, FACT_OK, 1, "USER 0", FINDING_VIOLATION},
    {"0:0", false, FACT_OK, 1, "USER 0:0", FINDING_VIOLATION},
    {"1000", false, FACT_OK, 0, NULL, FINDING_VIOLATION},
    {"1000:1000", false, FACT_OK, 0, NULL, FINDING_VIOLATION},
    {"appuser", false, FACT_OK, 1, "cannot verify as non-root", FINDING_VIOLATION},
    {"appuser", true, FACT_OK, 0, NULL, FINDING_VIOLATION},
    {"", false, FACT_UNAVAILABLE, 1, "allowed by policy", FINDING_NOTE},
};

START_TEST(checks_image_user)
{
    struct evalfix ef;
    evalfix_init(&ef);
    ef.policy->run_as_non_root.check_image_user = true;
    ef.policy->run_as_non_root.allow_named_users = image_users[_i].allow_named;
    struct image_fact fact = {.image = "reg.io/app:1",
                              .status = image_users[_i].status,
                              .error = "registry timed out",
                              .has_config_user = image_users[_i].status == FACT_OK,
                              .config_user = image_users[_i].user};
    ef.facts.items = &fact;
    ef.facts.n = 1;
    ck_assert_int_eq(
        evalfix_run(&ef, evalfix_pod("{'runAsNonRoot':true}",
                                     "[{'name':'a','image':'reg.io/app:1'}]")),
        TG_OK);
    ck_assert_uint_eq(evalfix_count(&ef, RULE), image_users[_i].n);
    if (image_users[_i].n) {
        const struct finding *f = evalfix_get(&ef, RULE, 0);
        ck_assert_msg(strstr(f->message, image_users[_i].message), "message: %s",
                      f->message);
        ck_assert_int_eq(f->severity, image_users[_i].severity);
    }
    evalfix_cleanup(&ef);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("rule_run_as_non_root");
    TCase *tc = tcase_create("core");
    tcase_add_loop_test(tc, judges_levels, 0, ARRAY_LEN(rows));
    tcase_add_test(tc, judges_hidden_containers);
    tcase_add_test(tc, fixes_add_configured_user_and_group);
    tcase_add_test(tc, fixes_windows_pods_without_ids);
    tcase_add_loop_test(tc, checks_image_user, 0, ARRAY_LEN(image_users));
    suite_add_tcase(s, tc);
    return run_suite(s);
}
