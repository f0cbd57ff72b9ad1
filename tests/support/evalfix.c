/* evalfix.c -- engine fixtures for the rule suites. */
#include "evalfix.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

enum tg_rc evalfix_run(struct evalfix *ef, const char *snippet)
{
    findings_cleanup(&ef->findings);
    json_decref(ef->object);
    ef->object = evalfix_json(snippet);
    struct tg_error err;
    return engine_eval(ef->policy, ef->object, &ef->facts, &ef->arena, &ef->findings,
                       NULL, &err);
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
