/* check_rule_no_secrets_in_env.c -- credential-looking env names with
 * literal values, key material in any value, in every container list and
 * kind; and no output ever carries a value. */
#include <stdlib.h>
#include <string.h>

#include "admission.h"
#include "evalfix.h"
#include "testutil.h"

#define RULE "noSecretsInEnv"
#define ON "    noSecretsInEnv: {action: enforce}\n"
#define PEM                                                                              \
    "-----BEGIN RSA PRIVATE KEY-----\\nMIIEpAIBAAKCAQEA\\n-----END RSA PRIVATE KEY-----"
#define LONG                                                                             \
    "x0123456789012345678901234567890123456789012345678901234567890123456789"            \
    "x0123456789012345678901234567890123456789012345678901234567890123456789"            \
    "x0123456789012345678901234567890123456789012345678901234567890123456789"            \
    "x0123456789012345678901234567890123456789012345678901234567890123456789"
#define ENV1(name, rest)                                                                 \
    "'containers':[{'name':'a','env':[{'name':'" name "'," rest "}]}]"

static const struct evalfix_row rows[] = {
    {ENV1("DB_PASSWORD", "'value':'x'"), ON, 1, "/containers/0/env/0/value",
     "env var \"DB_PASSWORD\" looks like a credential and has a literal value; put the "
     "value in a Secret and use valueFrom.secretKeyRef"},
    /* evasion: the patterns match regardless of case */
    {ENV1("db_password", "'value':'x'"), ON, 1, "/containers/0/env/0/value", NULL},
    {ENV1("Stripe_Api_Key", "'value':'x'"), ON, 1, "/containers/0/env/0/value", NULL},
    {ENV1("GITHUB_TOKEN", "'value':'x'"), ON, 1, NULL, NULL},
    {ENV1("AWS_SECRET_ACCESS_KEY", "'value':'x'"), ON, 1, NULL, NULL},
    /* a number is a literal too */
    {ENV1("API_TOKEN", "'value':12345"), ON, 1, "/containers/0/env/0/value", NULL},
    /* from a Secret, or no credential at all */
    {ENV1("DB_PASSWORD", "'valueFrom':{'secretKeyRef':{'name':'db','key':'pw'}}"), ON, 0,
     NULL, NULL},
    {ENV1("DB_PASSWORD", "'value':''"), ON, 0, NULL, NULL},
    {ENV1("DB_PASSWORD", "'value':'$(DB_PASSWORD_FROM_SECRET)'"), ON, 0, NULL, NULL},
    {ENV1("DB_PASSWORD", "'value':'$(A)$(B_2)'"), ON, 0, NULL, NULL},
    {ENV1("DB_PASSWORD", "'value':'$(A)-literal'"), ON, 1, NULL, NULL},
    {ENV1("DB_PASSWORD", "'value':'$$(A)'"), ON, 1, NULL, NULL},
    {ENV1("TOKEN_HOLDER", "'valueFrom':{'fieldRef':{'fieldPath':'metadata.name'}}"), ON,
     0, NULL, NULL},
    {ENV1("LOG_LEVEL", "'value':'debug'"), ON, 0, NULL, NULL},
    /* a ConfigMap is not secret */
    {ENV1("DB_PASSWORD", "'valueFrom':{'configMapKeyRef':{'name':'c','key':'k'}}"), ON, 1,
     "/containers/0/env/0/valueFrom/configMapKeyRef", "is read from a ConfigMap"},
    /* exceptions: a path to a mounted Secret */
    {ENV1("DB_PASSWORD_FILE", "'value':'/run/secrets/db'"), ON, 0, NULL, NULL},
    {ENV1("DB_PASSWORD_FILE", "'value':'/run/secrets/db'"),
     "    noSecretsInEnv: {action: enforce, exceptNames: []}\n", 1, NULL, NULL},
    /* the policy's own names replace the defaults */
    {ENV1("SIM_PIN", "'value':'1234'"),
     "    noSecretsInEnv: {action: enforce, names: ['*_pin']}\n", 1, NULL, NULL},
    {ENV1("DB_PASSWORD", "'value':'x'"),
     "    noSecretsInEnv: {action: enforce, names: ['*_PIN']}\n", 0, NULL, NULL},
    /* patterns of other shapes: a prefix, '?', a whole name */
    {ENV1("db_pass", "'value':'x'"),
     "    noSecretsInEnv: {action: enforce, names: ['DB_?ASS*']}\n", 1, NULL, NULL},
    {ENV1("Vault_Root", "'value':'x'"),
     "    noSecretsInEnv: {action: enforce, names: [vault_root]}\n", 1, NULL, NULL},
    {ENV1("VAULT_ROOTS", "'value':'x'"),
     "    noSecretsInEnv: {action: enforce, names: [vault_root]}\n", 0, NULL, NULL},
    /* a name too long to fold is matched the slow way, still by case */
    {ENV1(LONG "_password", "'value':'x'"), ON, 1, NULL, NULL},
    /* key material, whatever the name */
    {ENV1("CONFIG", "'value':'" PEM "'"), ON, 1, "/containers/0/env/0/value",
     "env var \"CONFIG\" has a literal value that looks like a PEM private key"},
    {ENV1("CONFIG", "'value':'-----BEGIN OPENSSH PRIVATE KEY-----\\nb3Bl'"), ON, 1, NULL,
     NULL},
    {ENV1("CONFIG", "'value':'-----BEGIN CERTIFICATE-----\\nMIIB'"), ON, 0, NULL, NULL},
    {ENV1("S3_KEY_ID", "'value':'AKIAIOSFODNN7EXAMPLE'"), ON, 1, NULL,
     "looks like an AWS access key id"},
    {ENV1("S3", "'value':'id=ASIAIOSFODNN7EXAMPLE;region=eu'"), ON, 1, NULL, NULL},
    {ENV1("S3", "'value':'XAKIAIOSFODNN7EXAMPLE'"), ON, 0, NULL, NULL},
    {ENV1("S3", "'value':'AKIAIOSFODNN7EXAMPLEX'"), ON, 0, NULL, NULL},
    {ENV1("S3", "'value':'AKIAIOSFODNN7EXAMPL'"), ON, 0, NULL, NULL},
    {ENV1("CONFIG", "'value':'" PEM "'"),
     "    noSecretsInEnv: {action: enforce, detectValues: false}\n", 0, NULL, NULL},
    /* every container list, every variable */
    {"'containers':[{'name':'a'}],'initContainers':[{'name':'i','env':[{'name':'A',"
     "'value':'1'},{'name':'ROOT_PASSWORD','value':'x'}]}]",
     ON, 1, "/initContainers/0/env/1/value", NULL},
    {"'containers':[{'name':'a'}],'ephemeralContainers':[{'name':'e','env':[{'name':"
     "'TOKEN','value':'x'}]}]",
     ON, 1, "/ephemeralContainers/0/env/0/value", NULL},
    {"'containers':[{'name':'a','env':[{'name':'PASSWORD','value':'x'},{'name':'K',"
     "'value':'AKIAIOSFODNN7EXAMPLE'}]},{'name':'b','env':[{'name':'SECRET','value':'y'}]"
     "}]",
     ON, 3, "/containers/0/env/0/value", NULL},
    /* off by default, and off */
    {ENV1("DB_PASSWORD", "'value':'x'"), "    probes: {action: off}\n", 0, NULL, NULL},
    {ENV1("DB_PASSWORD", "'value':'x'"), "    noSecretsInEnv: {action: off}\n", 0, NULL,
     NULL},
};

START_TEST(judges_env_in_every_kind)
{
    evalfix_check_row(RULE, &rows[(size_t)_i / EVALFIX_N_KINDS],
                      (size_t)_i % EVALFIX_N_KINDS);
}
END_TEST

/* ---- the values never come out ---------------------------------------- */

/* Planted in the review; none may appear in any answer. */
static const char *const planted[] = {
    "hunter2-planted",
    "MIIEpAIBAAKCAQEAplanted",
    "AKIAPLANTEDKEY000001",
    "lowercase-planted",
};

static char *leak_review(void)
{
    static const char text[] =
        "{'apiVersion':'admission.k8s.io/v1','kind':'AdmissionReview','request':{"
        "'uid':'leak-1','kind':{'kind':'Deployment'},'namespace':'ns','name':'w',"
        "'operation':'CREATE','userInfo':{'username':'dev'},'object':{'kind':'Deployment'"
        ","
        "'metadata':{'name':'w','namespace':'ns'},'spec':{'template':{'spec':{"
        "'containers':[{'name':'a','image':'x:1','env':["
        "{'name':'DB_PASSWORD','value':'hunter2-planted'},"
        "{'name':'TLS_KEY_PEM','value':'-----BEGIN PRIVATE "
        "KEY-----\\nMIIEpAIBAAKCAQEAplanted"
        "\\n-----END PRIVATE KEY-----'},"
        "{'name':'S3','value':'AKIAPLANTEDKEY000001'},"
        "{'name':'api_token','value':'lowercase-planted'}]}],"
        "'initContainers':[{'name':'i','image':'x:1','env':[{'name':'CONFIG',"
        "'value':'AKIAPLANTEDKEY000001'}]}]}}}}}}";
    json_t *j = evalfix_json(text);
    char *body = json_dumps(j, JSON_COMPACT);
    json_decref(j);
    ck_assert_ptr_nonnull(body);
    return body;
}

static void assert_no_value(const char *where, const char *text)
{
    for (size_t i = 0; text && i < ARRAY_LEN(planted); i++)
        ck_assert_msg(!strstr(text, planted[i]), "%s carries \"%s\": %s", where,
                      planted[i], text);
}

/* Every field of the result the server logs and counts, and the answer. */
static void assert_result_clean(const struct admission_result *res)
{
    assert_no_value("response", res->response);
    assert_no_value("rules", res->rules);
    assert_no_value("exempted", res->exempted);
    assert_no_value("excluded", res->excluded);
    assert_no_value("name", res->name);
    assert_no_value("user", res->user);
    for (size_t i = 0; i < res->n_hits; i++)
        assert_no_value("hit", res->hits[i].rule);
}

static const struct {
    const char *rules;
    enum admission_endpoint endpoint;
    const char *decision;
    size_t n_hits;
} leak_runs[] = {
#define ONLY "    runAsNonRoot: {action: off}\n    probes: {action: off}\n"
    {ONLY "    noSecretsInEnv: {action: enforce}\n", ENDPOINT_VALIDATE, "deny", 1},
    {ONLY "    noSecretsInEnv: {action: audit}\n", ENDPOINT_VALIDATE, "allow", 1},
    {ONLY "    noSecretsInEnv: {action: mutate}\n", ENDPOINT_MUTATE, "allow", 1},
    {ONLY "    noSecretsInEnv: {action: mutate}\n", ENDPOINT_VALIDATE, "deny", 1},
#undef ONLY
};

START_TEST(values_never_appear_in_any_answer)
{
    struct evalfix ef;
    evalfix_init(&ef);
    evalfix_rules(&ef, leak_runs[_i].rules);
    char *body = leak_review();
    for (size_t i = 0; i < ARRAY_LEN(planted); i++)
        ck_assert_msg(strstr(body, planted[i]), "not planted: %s", planted[i]);
    struct admission_options opt = {.endpoint = leak_runs[_i].endpoint};
    struct admission_result res;
    struct tg_error err = {0};
    ck_assert_int_eq(admission_handle(ef.policy, body, strlen(body), &opt, &res, &err),
                     TG_OK);
    ck_assert_str_eq(res.decision, leak_runs[_i].decision);
    ck_assert_uint_eq(res.n_hits, leak_runs[_i].n_hits);
    ck_assert_str_eq(res.hits[0].rule, RULE);
    ck_assert_uint_eq(res.hits[0].count, 5); /* every planted one was found */
    assert_result_clean(&res);
    assert_no_value("error", err.text);
    admission_result_cleanup(&res);
    free(body);
    evalfix_cleanup(&ef);
}
END_TEST

/* The findings themselves -- what the CLI's reports are made of -- hold
 * no value either. */
START_TEST(findings_hold_no_value)
{
    struct evalfix ef;
    evalfix_init(&ef);
    evalfix_rules(&ef, ON);
    char *body = leak_review();
    json_t *review = json_loads(body, 0, NULL);
    free(body);
    char *object =
        json_dumps(json_object_get(json_object_get(review, "request"), "object"), 0);
    json_decref(review);
    ck_assert_int_eq(evalfix_run(&ef, object), TG_OK); /* no quote to turn into '"' */
    free(object);
    ck_assert_uint_eq(evalfix_count(&ef, RULE), 5);
    for (size_t i = 0; i < ef.findings.n; i++) {
        assert_no_value("message", ef.findings.items[i].message);
        assert_no_value("pointer", ef.findings.items[i].pointer);
        assert_no_value("container", ef.findings.items[i].container);
    }
    evalfix_cleanup(&ef);
}
END_TEST

static const struct evalfix_error_row errors[] = {
    {"    noSecretsInEnv: {names: ['']}\n", 6, 30,
     "spec.rules.noSecretsInEnv.names[0]: \"\" is not a valid environment variable name "
     "pattern (1 to 256 printable characters without '=' or spaces; '*' and '?' match "
     "any run and any one character)"},
    {"    noSecretsInEnv: {exceptNames: ['A=B']}\n", 6, 36,
     "spec.rules.noSecretsInEnv.exceptNames[0]: \"A=B\" is not a valid environment "
     "variable name pattern (1 to 256 printable characters without '=' or spaces; '*' "
     "and "
     "'?' match any run and any one character)"},
    {"    noSecretsInEnv: {detectValues: yes}\n", 6, 36,
     "spec.rules.noSecretsInEnv.detectValues: expected true or false, got \"yes\""},
    {"    noSecretsInEnv: {name: []}\n", 6, 22,
     "spec.rules.noSecretsInEnv: unknown key \"name\" (did you mean \"names\"?)"},
};

START_TEST(policy_errors_say_where)
{
    evalfix_check_error_row(&errors[_i]);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("rule_no_secrets_in_env");
    TCase *tc = tcase_create("core");
    tcase_add_loop_test(tc, judges_env_in_every_kind, 0,
                        (int)(ARRAY_LEN(rows) * EVALFIX_N_KINDS));
    tcase_add_loop_test(tc, values_never_appear_in_any_answer, 0, ARRAY_LEN(leak_runs));
    tcase_add_test(tc, findings_hold_no_value);
    tcase_add_loop_test(tc, policy_errors_say_where, 0, ARRAY_LEN(errors));
    suite_add_tcase(s, tc);
    return run_suite(s);
}
