/* check_rule_host_ports.c -- host ports in every container list and kind,
 * spelled out or implied by hostNetwork, against the allowed list. */
#include "evalfix.h"
#include "testutil.h"

#define RULE "hostPorts"
#define ON "    hostPorts: {action: enforce}\n"
#define ALLOW "    hostPorts: {action: enforce, allowed: [53, 9000-9100]}\n"

static const struct evalfix_row rows[] = {
    /* container ports alone are not host ports */
    {"'containers':[{'name':'a','ports':[{'containerPort':80}]}]", ON, 0, NULL, NULL},
    {"'containers':[{'name':'a','ports':[{'containerPort':80,'hostPort':0}]}]", ON, 0,
     NULL, NULL},
    {"'containers':[{'name':'a','ports':[{'containerPort':80,'hostPort':8080}]}]", ON, 1,
     "/containers/0/ports/0/hostPort", "hostPort 8080 opens port 8080 on the node"},
    /* every container list, every port of it */
    {"'containers':[{'name':'a'}],'initContainers':[{'name':'i','ports':[{"
     "'containerPort':1},{'containerPort':2,'hostPort':2222}]}]",
     ON, 1, "/initContainers/0/ports/1/hostPort", NULL},
    {"'containers':[{'name':'a'}],'ephemeralContainers':[{'name':'e','ports':[{"
     "'containerPort':22,'hostPort':22}]}]",
     ON, 1, "/ephemeralContainers/0/ports/0/hostPort", NULL},
    {"'containers':[{'name':'a','ports':[{'hostPort':1},{'hostPort':2}]},{'name':'b',"
     "'ports':[{'hostPort':3}]}]",
     ON, 3, "/containers/0/ports/0/hostPort", NULL},
    /* allowed ports and ranges */
    {"'containers':[{'name':'a','ports':[{'containerPort':53,'hostPort':53,'protocol':"
     "'UDP'},{'hostPort':9000},{'hostPort':9100}]}]",
     ALLOW, 0, NULL, NULL},
    {"'containers':[{'name':'a','ports':[{'hostPort':9101},{'hostPort':52}]}]", ALLOW, 2,
     "/containers/0/ports/0/hostPort", "allow the port in hostPorts.allowed"},
    /* evasion: hostNetwork makes every containerPort a host port */
    {"'hostNetwork':true,'containers':[{'name':'a','ports':[{'containerPort':9100}]}]",
     ON, 1, "/containers/0/ports/0/containerPort",
     "containerPort 9100 is a port of the node itself (hostNetwork: true)"},
    {"'hostNetwork':true,'containers':[{'name':'a','ports':[{'containerPort':9100,"
     "'hostPort':0}]}]",
     ON, 1, "/containers/0/ports/0/containerPort", NULL},
    {"'hostNetwork':true,'containers':[{'name':'a','ports':[{'containerPort':9050}]}]",
     ALLOW, 0, NULL, NULL},
    {"'hostNetwork':false,'containers':[{'name':'a','ports':[{'containerPort':9100}]}]",
     ON, 0, NULL, NULL},
    /* evasion: a port that is not a number cannot be checked */
    {"'containers':[{'name':'a','ports':[{'containerPort':80,'hostPort':'80'}]}]", ALLOW,
     1, "/containers/0/ports/0/hostPort", "hostPort is not a port number"},
    {"'containers':[{'name':'a','ports':[{'hostPort':70000}]}]", ALLOW, 1,
     "/containers/0/ports/0/hostPort", "not a port number"},
    /* off by default, and off */
    {"'containers':[{'name':'a','ports':[{'hostPort':80}]}]",
     "    probes: {action: off}\n", 0, NULL, NULL},
    {"'containers':[{'name':'a','ports':[{'hostPort':80}]}]",
     "    hostPorts: {action: off}\n", 0, NULL, NULL},
};

START_TEST(judges_host_ports_in_every_kind)
{
    evalfix_check_row(RULE, &rows[(size_t)_i / EVALFIX_N_KINDS],
                      (size_t)_i % EVALFIX_N_KINDS);
}
END_TEST

/* Exemptions are per container: the exempt one passes, the other not. */
START_TEST(exemption_is_per_container)
{
    struct evalfix ef;
    evalfix_init(&ef);
    evalfix_rules(&ef, "    hostPorts: {action: enforce, exempt: {containers: [dns]}}\n");
    ck_assert_int_eq(
        evalfix_run(&ef,
                    evalfix_object("DaemonSet",
                                   "'containers':[{'name':'dns','ports':[{'hostPort':"
                                   "53}]},{'name':'web','ports':[{'hostPort':80}]}]")),
        TG_OK);
    ck_assert_uint_eq(evalfix_count(&ef, RULE), 1);
    ck_assert_str_eq(evalfix_get(&ef, RULE, 0)->container, "web");
    ck_assert_uint_eq(ef.findings.n_exemptions, 1);
    evalfix_cleanup(&ef);
}
END_TEST

START_TEST(loads_ports_and_ranges)
{
    struct evalfix ef;
    evalfix_init(&ef);
    evalfix_rules(&ef, "    hostPorts:\n      allowed: [80, \"8000-8080\", 9000-9000]\n");
    const struct host_ports_config *c = &ef.policy->host_ports;
    ck_assert_uint_eq(c->n_allowed, 3);
    ck_assert_int_eq(c->allowed[0].lo, 80);
    ck_assert_int_eq(c->allowed[0].hi, 80);
    ck_assert_int_eq(c->allowed[1].lo, 8000);
    ck_assert_int_eq(c->allowed[1].hi, 8080);
    ck_assert_int_eq(c->allowed[2].lo, 9000);
    ck_assert_int_eq(c->allowed[2].hi, 9000);
    ck_assert_int_eq(c->common.action, ACTION_OFF); /* naming the rule turns nothing on */
    evalfix_cleanup(&ef);
}
END_TEST

static const struct evalfix_error_row errors[] = {
#define EXPECTED "expected a port from 1 to 65535 or a range such as 9000-9100, got "
    {"    hostPorts: {allowed: [0]}\n", 6, 27,
     "spec.rules.hostPorts.allowed[0]: " EXPECTED "\"0\""},
    {"    hostPorts: {allowed: [80, 65536]}\n", 6, 31,
     "spec.rules.hostPorts.allowed[1]: " EXPECTED "\"65536\""},
    {"    hostPorts: {allowed: [9100-9000]}\n", 6, 27,
     "spec.rules.hostPorts.allowed[0]: the range 9100-9000 is empty (write the lower "
     "port "
     "first)"},
    {"    hostPorts: {allowed: [\"80\"]}\n", 6, 27,
     "spec.rules.hostPorts.allowed[0]: " EXPECTED
     "the quoted string \"80\" (remove the quotes)"},
    {"    hostPorts: {allowed: [80-]}\n", 6, 27,
     "spec.rules.hostPorts.allowed[0]: " EXPECTED "\"80-\""},
    {"    hostPorts: {allowed: 80}\n", 6, 26,
     "spec.rules.hostPorts.allowed: expected a list of ports and port ranges, got "
     "\"80\""},
#undef EXPECTED
};

START_TEST(policy_errors_say_where)
{
    evalfix_check_error_row(&errors[_i]);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("rule_host_ports");
    TCase *tc = tcase_create("core");
    tcase_add_loop_test(tc, judges_host_ports_in_every_kind, 0,
                        (int)(ARRAY_LEN(rows) * EVALFIX_N_KINDS));
    tcase_add_test(tc, exemption_is_per_container);
    tcase_add_test(tc, loads_ports_and_ranges);
    tcase_add_loop_test(tc, policy_errors_say_where, 0, ARRAY_LEN(errors));
    suite_add_tcase(s, tc);
    return run_suite(s);
}
