/* check_rule_host_namespaces.c -- hostNetwork, hostPID and hostIPC, once
 * per pod spec, in every pod-bearing kind. */
#include <stdio.h>
#include <string.h>

#include "decide.h"
#include "evalfix.h"
#include "testutil.h"

#define RULE "hostNamespaces"
#define ON "    hostNamespaces: {action: enforce}\n"
#define C3                                                                               \
    "'containers':[{'name':'a','image':'x:1'}],'initContainers':[{'name':'i',"           \
    "'image':'x:1'}],'ephemeralContainers':[{'name':'e','image':'x:1'}]"

/* The pod spec's members; what is found, at the pod spec's pointer. */
static const struct evalfix_row rows[] = {
    {C3, ON, 0, NULL, NULL},
    {"'hostNetwork':false,'hostPID':false,'hostIPC':null," C3, ON, 0, NULL, NULL},
    /* one finding per field, not per container of the three lists */
    {"'hostNetwork':true," C3, ON, 1, "/hostNetwork",
     "hostNetwork is true: the pod shares"},
    {"'hostPID':true," C3, ON, 1, "/hostPID", "the node's processes"},
    {"'hostIPC':true," C3, ON, 1, "/hostIPC", "shared memory"},
    {"'hostNetwork':true,'hostPID':true,'hostIPC':true," C3, ON, 3, "/hostNetwork",
     "remove it, or allow it"},
    /* evasion: a value that is not false is not "off" */
    {"'hostNetwork':'true'," C3, ON, 1, "/hostNetwork", "hostNetwork is not false"},
    {"'hostPID':1," C3, ON, 1, "/hostPID", "hostPID is not false"},
    /* allowed by the policy: only that one */
    {"'hostNetwork':true,'hostPID':true," C3,
     "    hostNamespaces: {action: enforce, allow: [hostNetwork]}\n", 1, "/hostPID",
     NULL},
    {"'hostNetwork':true,'hostPID':true,'hostIPC':true," C3,
     "    hostNamespaces: {action: audit, allow: [hostIPC, hostPID, hostNetwork]}\n", 0,
     NULL, NULL},
    /* off by default, and off */
    {"'hostNetwork':true," C3, "    probes: {action: off}\n", 0, NULL, NULL},
    {"'hostNetwork':true," C3, "    hostNamespaces: {action: off}\n", 0, NULL, NULL},
    /* no containers at all: still judged (nothing to be exempt) */
    {"'hostNetwork':true,'containers':[]", ON, 1, "/hostNetwork", NULL},
};

/* Every row in every pod-bearing kind: same findings, pointer under the
 * kind's pod spec, kind "pod", no fix even with mutate. */
START_TEST(judges_pod_fields_in_every_kind)
{
    evalfix_check_row(RULE, &rows[(size_t)_i / EVALFIX_N_KINDS],
                      (size_t)_i % EVALFIX_N_KINDS);
}
END_TEST

/* A pod-level finding is exempt only when every container is: the
 * namespace reaches all of them. */
static const struct {
    const char *exempt;
    size_t n, n_exemptions;
} exemptions[] = {
    {"exempt: {containers: [a, i, e]}", 0, 1},
    {"exempt: {containers: [a, i]}", 1, 0},
    {"exempt: {images: [x]}", 0, 1},
    {"exempt: {images: [y]}", 1, 0},
};

START_TEST(exempt_only_when_every_container_is)
{
    char rules[256];
    snprintf(rules, sizeof(rules),
             "    hostNamespaces:\n      action: enforce\n      %s\n"
             "    probes: {action: off}\n    runAsNonRoot: {action: off}\n",
             exemptions[_i].exempt);
    struct evalfix ef;
    evalfix_init(&ef);
    evalfix_rules(&ef, rules);
    ck_assert_int_eq(evalfix_run(&ef, evalfix_object("Deployment", "'hostPID':true," C3)),
                     TG_OK);
    ck_assert_uint_eq(evalfix_count(&ef, RULE), exemptions[_i].n);
    ck_assert_uint_eq(ef.findings.n_exemptions, exemptions[_i].n_exemptions);
    if (exemptions[_i].n_exemptions) {
        ck_assert_str_eq(ef.findings.exemptions[0].rule, RULE);
        ck_assert_str_eq(ef.findings.exemptions[0].container, "(pod)");
    }
    evalfix_cleanup(&ef);
}
END_TEST

/* The subresource object of kubectl debug (API servers before 1.22) holds
 * containers, not a pod spec: its top-level members are not pod fields. */
START_TEST(ephemeral_containers_object_has_none)
{
    struct evalfix ef;
    evalfix_init(&ef);
    evalfix_rules(&ef, ON);
    ck_assert_int_eq(
        evalfix_run(&ef, "{'kind':'EphemeralContainers','hostNetwork':true,"
                         "'ephemeralContainers':[{'name':'d','image':'busybox:1'}]}"),
        TG_OK);
    ck_assert_uint_eq(evalfix_count(&ef, RULE), 0);
    evalfix_cleanup(&ef);
}
END_TEST

/* The denial names the pod spec's field, not a container; audit warns the
 * same way. */
START_TEST(denial_names_the_pod_field)
{
    struct evalfix ef;
    evalfix_init(&ef);
    evalfix_rules(&ef,
                  "    hostNamespaces: {action: enforce}\n    probes: {action: off}\n"
                  "    runAsNonRoot: {action: off}\n");
    ck_assert_int_eq(
        evalfix_run(&ef, evalfix_object("DaemonSet", "'hostNetwork':true," C3)), TG_OK);
    struct decide_subject subject = {
        .kind = "DaemonSet", .namespace_ = "ns", .name = "w"};
    struct verdict v;
    ck_assert_int_eq(decide(ef.policy, &subject, STAGE_VALIDATE, ef.object, &ef.findings,
                            &ef.arena, &v),
                     TG_OK);
    ck_assert(!v.allowed);
    ck_assert_str_eq(
        v.message,
        "tollgate: DaemonSet ns/w has 1 violation of 1 rule:\n"
        "- [hostNamespaces] pod (/spec/template/spec/hostNetwork): hostNetwork "
        "is true: the pod shares the node's network (every port, its "
        "localhost); remove it, or allow it for this workload "
        "(hostNamespaces.allow or an exemption)");
    verdict_cleanup(&v);
    ef.policy->mode = POLICY_AUDIT;
    ck_assert_int_eq(decide(ef.policy, &subject, STAGE_VALIDATE, ef.object, &ef.findings,
                            &ef.arena, &v),
                     TG_OK);
    ck_assert_uint_eq(v.n_warnings, 1);
    const char *want =
        "[tollgate] hostNamespaces: pod (/spec/template/spec/hostNetwork): "
        "hostNetwork is true";
    ck_assert_msg(strncmp(v.warnings[0], want, strlen(want)) == 0, "%s", v.warnings[0]);
    ck_assert_msg(strstr(v.warnings[0], "hostNamespaces.allow"), "cut: %s",
                  v.warnings[0]);
    verdict_cleanup(&v);
    evalfix_cleanup(&ef);
}
END_TEST

/* Policy errors name the file, line and column. */
static const struct evalfix_error_row errors[] = {
    {"    hostNamespaces: {allow: [hostNet]}\n", 6, 30,
     "spec.rules.hostNamespaces.allow[0]: unknown host namespace \"hostNet\" (expected "
     "hostNetwork, hostPID, hostIPC)"},
    {"    hostNamespaces: {allow: hostPID}\n", 6, 29,
     "spec.rules.hostNamespaces.allow: expected a list of host namespaces (hostNetwork, "
     "hostPID, hostIPC), got \"hostPID\""},
    {"    hostNamespaces: {allow: [hostPID, hostPID]}\n", 6, 39,
     "spec.rules.hostNamespaces.allow[1]: \"hostPID\" is listed twice"},
    {"    hostNamespaces: {alow: []}\n", 6, 22,
     "spec.rules.hostNamespaces: unknown key \"alow\" (did you mean \"allow\"?)"},
};

START_TEST(policy_errors_say_where)
{
    evalfix_check_error_row(&errors[_i]);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("rule_host_namespaces");
    TCase *tc = tcase_create("core");
    tcase_add_loop_test(tc, judges_pod_fields_in_every_kind, 0,
                        (int)(ARRAY_LEN(rows) * EVALFIX_N_KINDS));
    tcase_add_loop_test(tc, exempt_only_when_every_container_is, 0,
                        ARRAY_LEN(exemptions));
    tcase_add_test(tc, ephemeral_containers_object_has_none);
    tcase_add_test(tc, denial_names_the_pod_field);
    tcase_add_loop_test(tc, policy_errors_say_where, 0, ARRAY_LEN(errors));
    suite_add_tcase(s, tc);
    return run_suite(s);
}
