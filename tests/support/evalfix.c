/* evalfix.c -- engine fixtures for the rule suites. */
#include "evalfix.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "decide.h"
#include "jsonpatch_ref.h"
#include "patch.h"
#include "policy_load.h"
#include "workload.h"

json_t *evalfix_json(const char *snippet)
{
    size_t len = strlen(snippet);
    char *text = malloc(len + 1);
    ck_assert_ptr_nonnull(text);
    for (size_t i = 0; i <= len; i++)
        text[i] = snippet[i] == '\'' ? '"' : snippet[i];
    json_error_t jerr;
    json_t *j = json_loads(text, JSON_DECODE_ANY, &jerr);
    ck_assert_msg(j != NULL, "bad test JSON: %s: %s", jerr.text, text);
    free(text);
    return j;
}

void evalfix_init(struct evalfix *ef)
{
    memset(ef, 0, sizeof(*ef));
    ef->policy = policy_new_default();
    ck_assert_ptr_nonnull(ef->policy);
    arena_init(&ef->arena, 4u << 20);
    findings_init(&ef->findings, &ef->arena);
}

void evalfix_cleanup(struct evalfix *ef)
{
    findings_cleanup(&ef->findings);
    arena_cleanup(&ef->arena);
    json_decref(ef->object);
    policy_free(ef->policy);
}

static enum tg_rc evaluate(struct evalfix *ef, json_t *object)
{
    findings_cleanup(&ef->findings);
    json_decref(ef->object);
    ef->object = object;
    struct tg_error err;
    return engine_eval(ef->policy, ef->object, &ef->facts, &ef->arena, &ef->findings,
                       NULL, &err);
}

enum tg_rc evalfix_run(struct evalfix *ef, const char *snippet)
{
    return evaluate(ef, evalfix_json(snippet));
}

size_t evalfix_count(const struct evalfix *ef, const char *rule)
{
    size_t n = 0;
    for (size_t i = 0; i < ef->findings.n; i++)
        n += !rule || strcmp(ef->findings.items[i].rule, rule) == 0;
    return n;
}

const struct finding *evalfix_get(const struct evalfix *ef, const char *rule, size_t i)
{
    for (size_t k = 0; k < ef->findings.n; k++) {
        if (rule && strcmp(ef->findings.items[k].rule, rule) != 0)
            continue;
        if (i-- == 0)
            return &ef->findings.items[k];
    }
    ck_abort_msg("no finding %zu of rule %s", i, rule ? rule : "(any)");
    return NULL;
}

const char *evalfix_pod(const char *pod_security_context, const char *containers)
{
    static char text[16384];
    snprintf(text, sizeof(text),
             "{'apiVersion':'v1','kind':'Pod','metadata':{'name':'p','namespace':'ns'},"
             "'spec':{%s%s%s'containers':%s}}",
             pod_security_context ? "'securityContext':" : "",
             pod_security_context ? pod_security_context : "",
             pod_security_context ? "," : "", containers);
    return text;
}

const char *const evalfix_kinds[EVALFIX_N_KINDS] = {
    "Pod",
    "Deployment",
    "ReplicaSet",
    "StatefulSet",
    "DaemonSet",
    "Job",
    "ReplicationController",
    "CronJob",
    "PodTemplate",
};

const char *evalfix_object(const char *kind, const char *spec)
{
    static char text[16384];
    const char *open = "'spec':{'template':{'spec':{", *close = "}}}";
    if (strcmp(kind, "Pod") == 0) {
        open = "'spec':{";
        close = "}";
    } else if (strcmp(kind, "CronJob") == 0) {
        open = "'spec':{'jobTemplate':{'spec':{'template':{'spec':{";
        close = "}}}}}";
    } else if (strcmp(kind, "PodTemplate") == 0) {
        open = "'template':{'spec':{";
        close = "}}";
    }
    int n = snprintf(text, sizeof(text),
                     "{'kind':'%s','metadata':{'name':'w','namespace':'ns'},%s%s%s}",
                     kind, open, spec, close);
    ck_assert_int_lt(n, (int)sizeof(text));
    return text;
}

static char *rules_document(const char *rules)
{
    static char text[16384];
    int n = snprintf(text, sizeof(text),
                     "apiVersion: tollgate.dev/v1\nkind: Policy\nmetadata: {name: t}\n"
                     "spec:\n  rules:\n%s",
                     rules);
    ck_assert_int_lt(n, (int)sizeof(text));
    return text;
}

void evalfix_rules(struct evalfix *ef, const char *rules)
{
    struct policy *p = NULL;
    struct tg_error err = {0};
    const char *text = rules_document(rules);
    ck_assert_msg(policy_load_buffer(text, strlen(text), "test.yaml", &p, &err) == TG_OK,
                  "%s:%d:%d: %s", err.source, err.line, err.column, err.text);
    policy_free(ef->policy);
    ef->policy = p;
}

enum tg_rc evalfix_rules_error(const char *rules, struct tg_error *err)
{
    struct policy *p = NULL;
    const char *text = rules_document(rules);
    enum tg_rc rc = policy_load_buffer(text, strlen(text), "test.yaml", &p, err);
    policy_free(p);
    return rc;
}

static bool below_a_container(const char *pointer)
{
    return strstr(pointer, "/containers/") || strstr(pointer, "/initContainers/") ||
           strstr(pointer, "/ephemeralContainers/");
}

void evalfix_check_row(const char *rule, const struct evalfix_row *row, size_t kind)
{
    struct evalfix ef;
    evalfix_init(&ef);
    evalfix_rules(&ef, row->rules);
    ck_assert_int_eq(evalfix_run(&ef, evalfix_object(evalfix_kinds[kind], row->spec)),
                     TG_OK);
    ck_assert_uint_eq(evalfix_count(&ef, rule), row->n);
    for (size_t i = 0; i < row->n; i++) {
        const struct finding *f = evalfix_get(&ef, rule, i);
        ck_assert_int_eq(f->container_kind == CONTAINER_POD,
                         !below_a_container(f->pointer));
        ck_assert_int_eq(f->severity, FINDING_VIOLATION);
    }
    if (row->n) {
        const struct finding *f = evalfix_get(&ef, rule, 0);
        if (row->pointer) {
            char want[256];
            snprintf(want, sizeof(want), "%s%s",
                     workload_podspec_pointer(evalfix_kinds[kind]), row->pointer);
            ck_assert_str_eq(f->pointer, want);
        }
        ck_assert_uint_eq(f->n_fixes, 0);
        if (row->message)
            ck_assert_msg(strstr(f->message, row->message), "%s", f->message);
    }
    evalfix_cleanup(&ef);
}

void evalfix_check_error_row(const struct evalfix_error_row *row)
{
    struct tg_error err = {0};
    ck_assert_int_eq(evalfix_rules_error(row->rules, &err), TG_EINVAL);
    ck_assert_str_eq(err.text, row->text);
    ck_assert_int_eq(err.line, row->line);
    ck_assert_int_eq(err.column, row->column);
    ck_assert_str_eq(err.source, "test.yaml");
}

const char *evalfix_workload(const char *kind, const char *podspec)
{
    static char text[16384];
    size_t len = strlen(podspec);
    ck_assert(len >= 2 && podspec[0] == '{' && podspec[len - 1] == '}');
    if (strcmp(kind, "EphemeralContainers") != 0) {
        snprintf(text, sizeof(text), "%.*s", (int)(len - 2), podspec + 1);
        return evalfix_object(kind, text);
    }
    int n = snprintf(text, sizeof(text),
                     "{'kind':'EphemeralContainers','metadata':{'name':'w','namespace':"
                     "'ns'},%.*s}",
                     (int)(len - 2), podspec + 1);
    ck_assert_int_lt(n, (int)sizeof(text));
    return text;
}

void evalfix_check_kinds(struct evalfix *ef, const char *rule, const char *podspec,
                         const struct evalfix_expect *want)
{
    for (size_t k = 0; k < EVALFIX_N_KINDS; k++) {
        const char *kind = evalfix_kinds[k];
        ck_assert_int_eq(evalfix_run(ef, evalfix_workload(kind, podspec)), TG_OK);
        ck_assert_msg(evalfix_count(ef, rule) == want->n, "%s: %zu %s findings, want %zu",
                      kind, evalfix_count(ef, rule), rule, want->n);
        if (!want->n)
            continue;
        const struct finding *f = evalfix_get(ef, rule, 0);
        char pointer[512];
        snprintf(pointer, sizeof(pointer), "%s%s", workload_podspec_pointer(kind),
                 want->pointer);
        ck_assert_str_eq(f->pointer, pointer);
        ck_assert_msg(strstr(f->message, want->message), "%s: message: %s", kind,
                      f->message);
        ck_assert_uint_eq(f->n_fixes, want->n_fixes);
        ck_assert_int_eq(f->severity, FINDING_VIOLATION);
    }
}

size_t evalfix_apply_fixes(struct evalfix *ef)
{
    const struct fix **fixes =
        calloc(ef->findings.n * FINDING_MAX_FIXES + 1, sizeof(*fixes));
    ck_assert_ptr_nonnull(fixes);
    size_t n = 0;
    for (size_t i = 0; i < ef->findings.n; i++) {
        const struct finding *f = &ef->findings.items[i];
        if (decide_treatment(f, ef->policy->mode, STAGE_MUTATE) != TREAT_FIX)
            continue;
        for (size_t k = 0; k < f->n_fixes; k++)
            fixes[n++] = &f->fixes[k];
    }
    struct patch_result r;
    ck_assert_int_eq(patch_build(ef->object, fixes, n, NULL, &r), TG_OK);
    free(fixes);
    json_t *copy = json_deep_copy(ef->object);
    char why[256];
    ck_assert_msg(jsonpatch_ref_apply(copy, r.ops, why) == 0, "patch does not apply: %s",
                  why);
    ck_assert_msg(json_equal(copy, r.patched), "the applier and the builder disagree");
    size_t n_ops = json_array_size(r.ops);
    patch_result_cleanup(&r);
    ck_assert_int_eq(evaluate(ef, copy), TG_OK);
    return n_ops;
}
