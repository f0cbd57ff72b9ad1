/* check_rule_resources.c -- required requests and limits, maximums in any
 * quantity spelling, malformed quantities, and the defaults mutate sets;
 * in every container list and kind. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "decide.h"
#include "evalfix.h"
#include "testutil.h"

#define RULE "resources"
#define ON "    resources: {action: enforce}\n"
#define FULL                                                                             \
    "'resources':{'requests':{'cpu':'250m','memory':'256Mi'},'limits':{'memory':'512Mi'" \
    "}}"
#define C1(res) "'containers':[{'name':'a'," res "}]"
#define MAX(m) "    resources: {action: enforce, maximum: " m "}\n"

static const struct evalfix_row rows[] = {
    {C1(FULL), ON, 0, NULL, NULL},
    /* the defaults ask for both requests and a memory limit */
    {"'containers':[{'name':'a'}]", ON, 3, "/containers/0/resources/requests/cpu",
     "resources.requests.cpu is not set; set a CPU request (such as 250m)"},
    {C1("'resources':{'requests':{'cpu':'1','memory':'1Gi'}}"), ON, 1,
     "/containers/0/resources/limits/memory",
     "resources.limits.memory is not set; set a memory limit"},
    /* a request defaults to its limit, as in the cluster */
    {C1("'resources':{'limits':{'cpu':'1','memory':'1Gi'}}"), ON, 0, NULL, NULL},
    /* numbers, as a manifest may write them */
    {C1("'resources':{'requests':{'cpu':0.5,'memory':268435456},'limits':{'memory':2e9}"
        "}"),
     ON, 0, NULL, NULL},
    /* malformed: a finding with the reason, not a crash or a pass */
    {C1("'resources':{'requests':{'cpu':'1.2.3','memory':'1Gi'},'limits':{'memory':'1Gi'}"
        "}"),
     ON, 1, "/containers/0/resources/requests/cpu",
     "resources.requests.cpu \"1.2.3\" is not a valid quantity: it has an unknown "
     "suffix"},
    {C1("'resources':{'requests':{'cpu':'1','memory':'1GB'},'limits':{'memory':'1Gi'}}"),
     ON, 1, "/containers/0/resources/requests/memory", "has an unknown suffix"},
    {C1("'resources':{'requests':{'cpu':'','memory':'1Gi'},'limits':{'memory':'1Gi'}}"),
     ON, 1, "/containers/0/resources/requests/cpu", "quantity: it is empty;"},
    {C1("'resources':{'requests':{'cpu':'1','memory':'1Gi'},'limits':{'memory':'-1Gi'}}"),
     ON, 1, "/containers/0/resources/limits/memory", "quantity: it is negative;"},
    {C1("'resources':{'requests':{'cpu':true,'memory':'1Gi'},'limits':{'memory':'1Gi'}}"),
     ON, 1, "/containers/0/resources/requests/cpu",
     "quantity: it is not a string or a number;"},
    /* maximums, compared across spellings */
    {C1(FULL), MAX("{limits: {memory: 256Mi}}"), 1,
     "/containers/0/resources/limits/memory",
     "resources.limits.memory is 512Mi, above the policy's maximum of 256Mi"},
    {C1(FULL), MAX("{limits: {memory: 0.5Gi}}"), 0, NULL, NULL},
    {C1(FULL), MAX("{limits: {memory: 536870912}}"), 0, NULL, NULL},
    {C1(FULL), MAX("{limits: {memory: 536870911}}"), 1, NULL, NULL},
    {C1(FULL), MAX("{requests: {cpu: 0.25}}"), 0, NULL, NULL},
    {C1(FULL), MAX("{requests: {cpu: 249m}}"), 1, "/containers/0/resources/requests/cpu",
     "above the policy's maximum of 249m"},
    {C1(FULL), MAX("{requests: {cpu: 2.5e-1}}"), 0, NULL, NULL},
    /* evasion: no request, a large limit -- the request is that limit */
    {C1("'resources':{'requests':{'memory':'1Gi'},'limits':{'cpu':'64','memory':'1Gi'}}"),
     MAX("{requests: {cpu: 4}}"), 1, "/containers/0/resources/limits/cpu",
     "resources.requests.cpu is not set, so it is the limit 64, above the policy's "
     "maximum request of 4"},
    /* every container list: init containers (sidecars too); not ephemeral */
    {C1(FULL) ",'initContainers':[{'name':'i'}]", ON, 3,
     "/initContainers/0/resources/requests/cpu", NULL},
    {C1(FULL) ",'initContainers':[{'name':'s','restartPolicy':'Always'," FULL "}]", ON, 0,
     NULL, NULL},
    {C1(FULL) ",'ephemeralContainers':[{'name':'e'}]", ON, 0, NULL, NULL},
    /* what is required is the policy's choice */
    {"'containers':[{'name':'a'}]",
     "    resources: {action: enforce, require: {requests: [], limits: [cpu]}}\n", 1,
     "/containers/0/resources/limits/cpu", "set a CPU limit"},
    {"'containers':[{'name':'a'}]",
     "    resources: {action: enforce, require: {requests: [memory]}}\n", 2,
     "/containers/0/resources/requests/memory", NULL},
    /* off by default, and off */
    {"'containers':[{'name':'a'}]", "    probes: {action: off}\n", 0, NULL, NULL},
    {"'containers':[{'name':'a'}]", "    resources: {action: off}\n", 0, NULL, NULL},
};

START_TEST(judges_resources_in_every_kind)
{
    evalfix_check_row(RULE, &rows[(size_t)_i / EVALFIX_N_KINDS],
                      (size_t)_i % EVALFIX_N_KINDS);
}
END_TEST

/* ---- fixes -------------------------------------------------------------- */

#define DEFAULTS                                                                         \
    "    resources:\n      action: mutate\n      require: {requests: [cpu, memory], "    \
    "limits: [cpu, memory]}\n      defaults:\n        requests: {cpu: 100m, memory: "    \
    "128Mi}\n        limits: {cpu: \"1\", memory: 256Mi}\n"

static const struct {
    const char *resources; /* the container's members */
    const char *fixed[4];  /* "pointer below the container=value" of each fix */
} fix_rows[] = {
    {"",
     {"/resources/requests/cpu=100m", "/resources/limits/cpu=1",
      "/resources/requests/memory=128Mi", "/resources/limits/memory=256Mi"}},
    /* only what is missing */
    {"'resources':{'requests':{'cpu':'50m'},'limits':{'cpu':'2'}}",
     {"/resources/requests/memory=128Mi", "/resources/limits/memory=256Mi"}},
    /* a default limit below the request would make an invalid pod */
    {"'resources':{'requests':{'cpu':'100m','memory':'1Gi'},'limits':{'cpu':'1'}}",
     {NULL}},
    /* resources that is not a mapping is not patched into one */
    {"'resources':'lots'", {NULL}},
    {"'resources':{'requests':[1]}",
     {"/resources/limits/cpu=1", "/resources/limits/memory=256Mi"}},
};

START_TEST(fixes_missing_values_with_the_defaults)
{
    struct evalfix ef;
    evalfix_init(&ef);
    evalfix_rules(&ef, DEFAULTS);
    char spec[512];
    snprintf(spec, sizeof(spec), "'containers':[{'name':'a'%s%s}]",
             fix_rows[_i].resources[0] ? "," : "", fix_rows[_i].resources);
    ck_assert_int_eq(evalfix_run(&ef, evalfix_object("Deployment", spec)), TG_OK);
    size_t k = 0;
    for (size_t i = 0; i < evalfix_count(&ef, RULE); i++) {
        const struct finding *f = evalfix_get(&ef, RULE, i);
        for (size_t j = 0; j < f->n_fixes; j++, k++) {
            ck_assert_ptr_nonnull(fix_rows[_i].fixed[k]);
            char got[160];
            snprintf(got, sizeof(got), "%s=%s",
                     f->fixes[j].pointer + strlen("/spec/template/spec/containers/0"),
                     json_string_value(f->fixes[j].value));
            ck_assert_str_eq(got, fix_rows[_i].fixed[k]);
        }
    }
    ck_assert_msg(k == 4 || !fix_rows[_i].fixed[k], "fix %zu missing", k);
    evalfix_cleanup(&ef);
}
END_TEST

/* The mutate stage turns the fixes into one patch, and the validate stage
 * then passes the patched object. */
START_TEST(mutate_then_validate_passes)
{
    struct evalfix ef;
    evalfix_init(&ef);
    evalfix_rules(&ef, DEFAULTS
                  "    probes: {action: off}\n    runAsNonRoot: {action: off}\n");
    ck_assert_int_eq(evalfix_run(&ef, evalfix_object("Deployment", C1("'image':'x:1'"))),
                     TG_OK);
    struct decide_subject subject = {
        .kind = "Deployment", .namespace_ = "ns", .name = "w"};
    struct verdict v;
    ck_assert_int_eq(
        decide(ef.policy, &subject, STAGE_MUTATE, ef.object, &ef.findings, &ef.arena, &v),
        TG_OK);
    ck_assert_str_eq(v.decision, "patch");
    ck_assert_uint_eq(v.n_fixed, 4);
    json_t *res = json_object_get(
        json_array_get(
            json_object_get(
                json_object_get(
                    json_object_get(json_object_get(v.patched, "spec"), "template"),
                    "spec"),
                "containers"),
            0),
        "resources");
    ck_assert_str_eq(
        json_string_value(json_object_get(json_object_get(res, "limits"), "memory")),
        "256Mi");
    char *patched = json_dumps(v.patched, JSON_COMPACT);
    verdict_cleanup(&v);
    for (size_t i = 0; patched[i]; i++)
        patched[i] = patched[i] == '"' ? '\'' : patched[i];
    ck_assert_int_eq(evalfix_run(&ef, patched), TG_OK);
    free(patched);
    ck_assert_uint_eq(evalfix_count(&ef, RULE), 0);
    evalfix_cleanup(&ef);
}
END_TEST

START_TEST(loads_quantities)
{
    struct evalfix ef;
    evalfix_init(&ef);
    const struct resources_config *r = &ef.policy->resources;
    ck_assert_uint_eq(r->require_requests, RESOURCE_CPU | RESOURCE_MEMORY);
    ck_assert_uint_eq(r->require_limits, RESOURCE_MEMORY);
    evalfix_rules(&ef,
                  "    resources:\n      maximum: {requests: {cpu: 4, memory: 16Gi}, "
                  "limits: {cpu: \"8\"}}\n      require: {limits: []}\n");
    r = &ef.policy->resources;
    ck_assert(r->max_requests.cpu.set && r->max_requests.cpu.milli == 4000);
    ck_assert_str_eq(r->max_requests.cpu.text, "4");
    ck_assert(r->max_requests.memory.milli == INT64_C(17179869184000));
    ck_assert(r->max_limits.cpu.set && r->max_limits.cpu.milli == 8000);
    ck_assert(!r->max_limits.memory.set);
    ck_assert_uint_eq(r->require_requests, RESOURCE_CPU | RESOURCE_MEMORY); /* kept */
    ck_assert_uint_eq(r->require_limits, 0);
    evalfix_cleanup(&ef);
}
END_TEST

static const struct evalfix_error_row errors[] = {
    {"    resources: {maximum: {requests: {cpu: 1.2.3}}}\n", 6, 43,
     "spec.rules.resources.maximum.requests.cpu: \"1.2.3\" is not a quantity: it has an "
     "unknown suffix (expected one of Ki Mi Gi Ti Pi Ei, n u m k M G T P E, or an "
     "exponent "
     "such as e3)"},
    {"    resources: {maximum: {limits: {memory: -1Gi}}}\n", 6, 44,
     "spec.rules.resources.maximum.limits.memory: \"-1Gi\" is negative"},
    {"    resources: {maximum: {limits: {memory: }}}\n", 6, 44,
     "spec.rules.resources.maximum.limits.memory: expected a quantity such as 500m, 2 or "
     "4Gi, got an empty value"},
    {"    resources: {require: {requests: [gpu]}}\n", 6, 38,
     "spec.rules.resources.require.requests[0]: unknown resource \"gpu\" (expected cpu, "
     "memory)"},
    {"    resources: {maximum: {requests: {storage: 1}}}\n", 6, 38,
     "spec.rules.resources.maximum.requests: unknown key \"storage\" (expected one of: "
     "cpu, "
     "memory)"},
    /* checked once the files are merged, at the rule */
    {"    resources:\n      action: mutate\n      maximum: {requests: {cpu: 1}}\n"
     "      defaults: {requests: {cpu: 2}}\n",
     7, 7,
     "spec.rules.resources.defaults.requests.cpu (2) is above maximum.requests.cpu (1): "
     "a "
     "pod fixed with it would still be refused"},
    {"    resources:\n      action: mutate\n      defaults: {requests: {memory: 1Gi}, "
     "limits: {memory: 512Mi}}\n",
     7, 7,
     "spec.rules.resources.defaults.requests.memory (1Gi) is above "
     "defaults.limits.memory (512Mi): the API server refuses a request above its limit"},
    {"    resources: {action: enforce, require: {requests: [], limits: []}}\n", 6, 16,
     "spec.rules.resources: nothing to check (require is empty and no maximum is set); "
     "require requests or limits, set a maximum, or set action: off"},
};

START_TEST(policy_errors_say_where)
{
    evalfix_check_error_row(&errors[_i]);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("rule_resources");
    TCase *tc = tcase_create("core");
    tcase_add_loop_test(tc, judges_resources_in_every_kind, 0,
                        (int)(ARRAY_LEN(rows) * EVALFIX_N_KINDS));
    tcase_add_loop_test(tc, fixes_missing_values_with_the_defaults, 0,
                        ARRAY_LEN(fix_rows));
    tcase_add_test(tc, mutate_then_validate_passes);
    tcase_add_test(tc, loads_quantities);
    tcase_add_loop_test(tc, policy_errors_say_where, 0, ARRAY_LEN(errors));
    suite_add_tcase(s, tc);
    return run_suite(s);
}
