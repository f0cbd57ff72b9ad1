/* check_policy.c -- the built-in defaults, names, label selectors and
 * namespace patterns. */
#include <string.h>

#include "alloc.h"
#include "policy.h"
#include "testutil.h"

START_TEST(defaults_are_the_documented_baseline)
{
    struct policy *p = policy_new_default();
    ck_assert_ptr_nonnull(p);
    ck_assert_int_eq(p->mode, POLICY_ENFORCE);
    ck_assert_str_eq(p->name, "default");
    ck_assert_int_eq(p->run_as_non_root.common.action, ACTION_ENFORCE);
    ck_assert(!p->run_as_non_root.set_run_as_user);
    ck_assert(!p->run_as_non_root.check_image_user);
    ck_assert_int_eq(p->pinned_tags.common.action, ACTION_ENFORCE);
    ck_assert(!p->pinned_tags.require_digest);
    ck_assert_int_eq(p->probes.common.action, ACTION_ENFORCE);
    ck_assert_uint_eq(p->probes.required, PROBE_LIVENESS | PROBE_READINESS);
    ck_assert_int_eq(p->probes.defaults.initial_delay_seconds, 5);
    ck_assert_int_eq(p->probes.defaults.period_seconds, 10);
    ck_assert_int_eq(p->probes.defaults.timeout_seconds, 1);
    ck_assert_int_eq(p->probes.defaults.failure_threshold, 3);
    ck_assert_int_eq(p->allowed_registries.common.action, ACTION_ENFORCE);
    ck_assert_uint_eq(p->allowed_registries.registries.n, 0);
    ck_assert_int_eq(p->image_pull_policy.common.action, ACTION_OFF);
    ck_assert(p->run_as_non_root.common.allow_on_lookup_failure);
    ck_assert(p->pinned_tags.common.allow_on_lookup_failure);
    ck_assert(p->probes.common.allow_on_lookup_failure);
    ck_assert(p->allowed_registries.common.allow_on_lookup_failure);
    ck_assert(p->image_pull_policy.common.allow_on_lookup_failure);
    ck_assert_uint_eq(p->exclude.namespaces.n, 0);
    ck_assert(!p->exclude.has_object_selector);
    ck_assert_uint_eq(p->n_overrides, 0);
    policy_free(p);
    policy_free(NULL);
}
END_TEST

START_TEST(default_survives_allocation_failure)
{
    alloc_fail_after(0);
    struct policy *p = policy_new_default();
    alloc_fail_after(-1);
    ck_assert_ptr_null(p);
}
END_TEST

START_TEST(names_of_modes_and_actions)
{
    ck_assert_str_eq(policy_mode_name(POLICY_ENFORCE), "enforce");
    ck_assert_str_eq(policy_mode_name(POLICY_AUDIT), "audit");
    ck_assert_str_eq(rule_action_name(ACTION_OFF), "off");
    ck_assert_str_eq(rule_action_name(ACTION_ENFORCE), "enforce");
    ck_assert_str_eq(rule_action_name(ACTION_AUDIT), "audit");
    ck_assert_str_eq(rule_action_name(ACTION_MUTATE), "mutate");
}
END_TEST

/* ---- label selectors ------------------------------------------------- */

/* Not const: the policy structs hold plain pointers to their arrays. */
static const char *prod[] = {"prod"};
static const char *prod_stage[] = {"prod", "staging"};
static struct selector_expr expr_in = {"env", SELECTOR_IN, {.items = prod_stage, .n = 2}};
static struct selector_expr expr_not_in = {
    "env", SELECTOR_NOT_IN, {.items = prod, .n = 1}};
static struct selector_expr expr_exists = {
    "team", SELECTOR_EXISTS, {.items = NULL, .n = 0}};
static struct selector_expr expr_absent = {
    "legacy", SELECTOR_DOES_NOT_EXIST, {.items = NULL, .n = 0}};
static const char *app_key[] = {"app"};
static const char *app_web[] = {"web"};

static const struct {
    const char *name;
    const char *labels;         /* JSON object, or NULL for no labels */
    struct selector_expr *expr; /* one expression, or NULL */
    bool match_labels;          /* also require app=web */
    bool want;
} selector_rows[] = {
    {"matchLabels equal", "{\"app\":\"web\"}", NULL, true, true},
    {"matchLabels other value", "{\"app\":\"db\"}", NULL, true, false},
    {"matchLabels key absent", "{\"tier\":\"web\"}", NULL, true, false},
    {"matchLabels no labels", NULL, NULL, true, false},
    {"matchLabels non-string value", "{\"app\":1}", NULL, true, false},
    {"In listed", "{\"env\":\"staging\"}", &expr_in, false, true},
    {"In not listed", "{\"env\":\"dev\"}", &expr_in, false, false},
    {"In key absent", "{}", &expr_in, false, false},
    {"NotIn listed", "{\"env\":\"prod\"}", &expr_not_in, false, false},
    {"NotIn not listed", "{\"env\":\"dev\"}", &expr_not_in, false, true},
    {"NotIn key absent matches", "{}", &expr_not_in, false, true},
    {"NotIn no labels at all", NULL, &expr_not_in, false, true},
    {"Exists present", "{\"team\":\"\"}", &expr_exists, false, true},
    {"Exists absent", "{\"env\":\"x\"}", &expr_exists, false, false},
    {"DoesNotExist absent", "{\"env\":\"x\"}", &expr_absent, false, true},
    {"DoesNotExist present", "{\"legacy\":\"true\"}", &expr_absent, false, false},
    {"both terms hold", "{\"app\":\"web\",\"env\":\"prod\"}", &expr_in, true, true},
    {"one term fails", "{\"app\":\"web\",\"env\":\"dev\"}", &expr_in, true, false},
    {"no terms matches everything", "{\"x\":\"y\"}", NULL, false, true},
};

START_TEST(selector_matches)
{
    struct label_selector sel = {0};
    if (selector_rows[_i].match_labels) {
        sel.label_keys = app_key;
        sel.label_values = app_web;
        sel.n_labels = 1;
    }
    if (selector_rows[_i].expr) {
        sel.exprs = selector_rows[_i].expr;
        sel.n_exprs = 1;
    }
    json_t *labels = NULL;
    if (selector_rows[_i].labels) {
        labels = json_loads(selector_rows[_i].labels, 0, NULL);
        ck_assert_ptr_nonnull(labels);
    }
    ck_assert_msg(label_selector_matches(&sel, labels) == selector_rows[_i].want, "%s",
                  selector_rows[_i].name);
    json_decref(labels);
}
END_TEST

/* ---- namespace patterns ---------------------------------------------- */

static const struct {
    const char *pattern, *name;
    bool want;
} pattern_rows[] = {
    {"kube-system", "kube-system", true},
    {"kube-system", "kube-system2", false},
    {"kube-system", "kube-syste", false},
    {"legacy-*", "legacy-", true},
    {"legacy-*", "legacy-billing", true},
    {"legacy-*", "legacy", false},
    {"*-legacy", "team-a-legacy", true},
    {"*-legacy", "legacy", false},
    {"team-?", "team-a", true},
    {"team-?", "team-", false},
    {"team-?", "team-ab", false},
    {"*", "", true},
    {"*", "anything", true},
    {"", "", true},
    {"", "a", false},
    {"a*b*c", "axxbyyc", true},
    {"a*b*c", "axxbyy", false},
    {"a*b*c", "abcbc", true},
    {"*a*a*a*a*b", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", false},
    {"**", "x", true},
    {"?*?", "ab", true},
    {"?*?", "a", false},
};

START_TEST(pattern_matches)
{
    ck_assert_msg(name_pattern_matches(pattern_rows[_i].pattern, pattern_rows[_i].name) ==
                      pattern_rows[_i].want,
                  "pattern \"%s\" on \"%s\"", pattern_rows[_i].pattern,
                  pattern_rows[_i].name);
}
END_TEST

/* Environment variable names: letters match regardless of case. */
static const struct {
    const char *pattern, *name;
    bool exact, nocase;
} nocase_rows[] = {
    {"*PASSWORD*", "DB_PASSWORD", true, true},
    {"*PASSWORD*", "db_password", false, true},
    {"*PASSWORD*", "Db_PassWord_2", false, true},
    {"*PASSWORD*", "DB_PASSWD", false, false},
    {"*_file", "PASSWORD_FILE", false, true},
    {"a?c", "ABC", false, true},
    {"a?c", "A_C", false, true},
    {"_*_", "_-_", true, true}, /* only letters fold */
};

START_TEST(pattern_matches_nocase)
{
    ck_assert_int_eq(name_pattern_matches(nocase_rows[_i].pattern, nocase_rows[_i].name),
                     nocase_rows[_i].exact);
    ck_assert_int_eq(
        name_pattern_matches_nocase(nocase_rows[_i].pattern, nocase_rows[_i].name),
        nocase_rows[_i].nocase);
}
END_TEST

/* The rules of issue 15 are off unless a policy names them, with their
 * documented settings. */
START_TEST(host_and_hygiene_rules_default_off)
{
    struct policy *p = policy_new_default();
    ck_assert_ptr_nonnull(p);
    ck_assert_int_eq(p->host_namespaces.common.action, ACTION_OFF);
    ck_assert_uint_eq(p->host_namespaces.allowed, 0);
    ck_assert_int_eq(p->host_ports.common.action, ACTION_OFF);
    ck_assert_uint_eq(p->host_ports.n_allowed, 0);
    ck_assert_int_eq(p->host_path.common.action, ACTION_OFF);
    ck_assert_uint_eq(p->host_path.allowed_paths.n, 0);
    ck_assert(p->host_path.require_read_only);
    ck_assert_int_eq(p->no_secrets_in_env.common.action, ACTION_OFF);
    ck_assert_uint_eq(p->no_secrets_in_env.names.n, 8);
    ck_assert_str_eq(p->no_secrets_in_env.names.items[0], "*PASSWORD*");
    ck_assert_uint_eq(p->no_secrets_in_env.except_names.n, 3);
    ck_assert(p->no_secrets_in_env.detect_values);
    policy_free(p);
}
END_TEST

static Suite *policy_suite(void)
{
    Suite *s = suite_create("policy");
    TCase *tc = tcase_create("defaults");
    tcase_add_test(tc, defaults_are_the_documented_baseline);
    tcase_add_test(tc, host_and_hygiene_rules_default_off);
    tcase_add_test(tc, default_survives_allocation_failure);
    tcase_add_test(tc, names_of_modes_and_actions);
    suite_add_tcase(s, tc);
    tc = tcase_create("selectors");
    tcase_add_loop_test(tc, selector_matches, 0, ARRAY_LEN(selector_rows));
    suite_add_tcase(s, tc);
    tc = tcase_create("patterns");
    tcase_add_loop_test(tc, pattern_matches, 0, ARRAY_LEN(pattern_rows));
    tcase_add_loop_test(tc, pattern_matches_nocase, 0, ARRAY_LEN(nocase_rows));
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return run_suite(policy_suite());
}
