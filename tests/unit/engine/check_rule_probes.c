/* check_rule_probes.c -- probes on app containers and native sidecars. */
#include <string.h>

#include "evalfix.h"
#include "testutil.h"

#define RULE "probes"
#define LIVE "'livenessProbe':{'httpGet':{'path':'/healthz','port':8080}}"
#define READY "'readinessProbe':{'httpGet':{'path':'/ready','port':8080}}"

static const struct {
    const char *spec; /* the pod's spec members */
    unsigned required;
    size_t n;
    const char *first_pointer;
} rows[] = {
    {"'containers':[{'name':'a'," LIVE "," READY "}]", PROBE_LIVENESS | PROBE_READINESS,
     0, NULL},
    {"'containers':[{'name':'a'}]", PROBE_LIVENESS | PROBE_READINESS, 2,
     "/spec/containers/0/livenessProbe"},
    {"'containers':[{'name':'a'," LIVE "}]", PROBE_LIVENESS | PROBE_READINESS, 1,
     "/spec/containers/0/readinessProbe"},
    {"'containers':[{'name':'a'," LIVE "}]", PROBE_LIVENESS, 0, NULL},
    {"'containers':[{'name':'a'," LIVE "," READY "}]",
     PROBE_LIVENESS | PROBE_READINESS | PROBE_STARTUP, 1,
     "/spec/containers/0/startupProbe"},
    /* plain init containers are exempt */
    {"'containers':[{'name':'a'," LIVE "," READY "}],'initContainers':[{'name':'i'}]",
     PROBE_LIVENESS | PROBE_READINESS, 0, NULL},
    /* a native sidecar runs for the pod's life and is judged */
    {"'containers':[{'name':'a'," LIVE "," READY "}],'initContainers':[{'name':'s',"
     "'restartPolicy':'Always'," READY "}]",
     PROBE_LIVENESS | PROBE_READINESS, 1, "/spec/initContainers/0/livenessProbe"},
    {"'containers':[{'name':'a'," LIVE "," READY
     "}],'ephemeralContainers':[{'name':'d'}]",
     PROBE_LIVENESS | PROBE_READINESS, 0, NULL},
    {"'containers':[{'name':'a','livenessProbe':null," READY "}]",
     PROBE_LIVENESS | PROBE_READINESS, 1, "/spec/containers/0/livenessProbe"},
    /* batch pods run to completion: no probes, except on a native sidecar */
    {"'restartPolicy':'OnFailure','containers':[{'name':'a'}]", PROBE_LIVENESS, 0, NULL},
    {"'restartPolicy':'Never','containers':[{'name':'a'}],'initContainers':[{'name':'s',"
     "'restartPolicy':'Always'}]",
     PROBE_LIVENESS, 1, "/spec/initContainers/0/livenessProbe"},
    {"'restartPolicy':'Always','containers':[{'name':'a'}]", PROBE_LIVENESS, 1,
     "/spec/containers/0/livenessProbe"},
};

START_TEST(judges_probes)
{
    struct evalfix ef;
    evalfix_init(&ef);
    ef.policy->probes.required = rows[_i].required;
    char pod[2048];
    snprintf(pod, sizeof(pod), "{'kind':'Pod','spec':{%s}}", rows[_i].spec);
    ck_assert_int_eq(evalfix_run(&ef, pod), TG_OK);
    ck_assert_uint_eq(evalfix_count(&ef, RULE), rows[_i].n);
    if (rows[_i].n) {
        const struct finding *f = evalfix_get(&ef, RULE, 0);
        ck_assert_str_eq(f->pointer, rows[_i].first_pointer);
        ck_assert_uint_eq(f->n_fixes, 0); /* addDefaultTcp is off by default */
    }
    evalfix_cleanup(&ef);
}
END_TEST

static const struct {
    const char *ports;
    bool fixed;
    int port;
} port_rows[] = {
    {"[{'containerPort':8080}]", true, 8080},
    {"[{'containerPort':8080,'protocol':'TCP'}]", true, 8080},
    {"[{'containerPort':53,'protocol':'UDP'},{'containerPort':8080}]", true, 8080},
    {"[{'containerPort':8080},{'containerPort':9090}]", false, 0},
    {"[]", false, 0},
    {"[{'containerPort':53,'protocol':'UDP'}]", false, 0},
};

START_TEST(default_tcp_probe_only_on_the_only_port)
{
    struct evalfix ef;
    evalfix_init(&ef);
    ef.policy->probes.add_default_tcp = true;
    ef.policy->probes.required = PROBE_READINESS;
    ef.policy->probes.defaults = (struct probe_defaults){5, 10, 1, 3};
    char pod[1024];
    snprintf(pod, sizeof(pod),
             "{'kind':'Pod','spec':{'containers':[{'name':'a','ports':%s}]}}",
             port_rows[_i].ports);
    ck_assert_int_eq(evalfix_run(&ef, pod), TG_OK);
    const struct finding *f = evalfix_get(&ef, RULE, 0);
    ck_assert_uint_eq(f->n_fixes, port_rows[_i].fixed ? 1 : 0);
    if (port_rows[_i].fixed) {
        json_t *want =
            json_pack("{s:{s:i},s:i,s:i,s:i,s:i}", "tcpSocket", "port",
                      port_rows[_i].port, "initialDelaySeconds", 5, "periodSeconds", 10,
                      "timeoutSeconds", 1, "failureThreshold", 3);
        ck_assert(json_equal(f->fixes[0].value, want));
        ck_assert_str_eq(f->fixes[0].pointer, "/spec/containers/0/readinessProbe");
        json_decref(want);
    }
    evalfix_cleanup(&ef);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("rule_probes");
    TCase *tc = tcase_create("core");
    tcase_add_loop_test(tc, judges_probes, 0, ARRAY_LEN(rows));
    tcase_add_loop_test(tc, default_tcp_probe_only_on_the_only_port, 0,
                        ARRAY_LEN(port_rows));
    suite_add_tcase(s, tc);
    return run_suite(s);
}
