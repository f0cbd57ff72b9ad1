/* check_policy_names.c -- the validators behind policy values: what each
 * accepts, and the reason it gives for what it refuses. */
#include <string.h>

#include "policy_names.h"
#include "testutil.h"

enum which {
    POLICY_NAME,
    NAMESPACE,
    CONTAINER,
    LABEL_KEY,
    LABEL_VALUE,
    REASON,
    CAPABILITY
};

static const char *check(enum which w, const char *s)
{
    switch (w) {
    case POLICY_NAME:
        return policy_check_policy_name(s);
    case NAMESPACE:
        return policy_check_namespace_pattern(s);
    case CONTAINER:
        return policy_check_container_name(s);
    case LABEL_KEY:
        return policy_check_label_key(s);
    case LABEL_VALUE:
        return policy_check_label_value(s);
    case REASON:
        return policy_check_reason(s);
    case CAPABILITY:
        return policy_check_capability(s);
    }
    return "unknown validator";
}

static const struct {
    enum which which;
    const char *value;
    const char *why; /* NULL: valid; else a substring of the reason */
} rows[] = {
    {POLICY_NAME, "baseline", NULL},
    {POLICY_NAME, "team-a.exemptions", NULL},
    {POLICY_NAME, "", "is not a valid name"},
    {POLICY_NAME, "Baseline", "is not a valid name"},
    {POLICY_NAME, "a..b", "is not a valid name"},
    {POLICY_NAME, "-a", "is not a valid name"},
    {NAMESPACE, "kube-system", NULL},
    {NAMESPACE, "legacy-*", NULL},
    {NAMESPACE, "team-?", NULL},
    {NAMESPACE, "*", NULL},
    {NAMESPACE, "", "namespace name or pattern"},
    {NAMESPACE, "Kube-System", "namespace name or pattern"},
    {NAMESPACE, "a_b", "namespace name or pattern"},
    {NAMESPACE, "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
     "at most 63"},
    {CONTAINER, "istio-proxy", NULL},
    {CONTAINER, "a", NULL},
    {CONTAINER, "app-", "container name"},
    {CONTAINER, "App", "container name"},
    {CONTAINER, "", "container name"},
    {LABEL_KEY, "app", NULL},
    {LABEL_KEY, "app.kubernetes.io/name", NULL},
    {LABEL_KEY, "Team_Name", NULL},
    {LABEL_KEY, "", "label key"},
    {LABEL_KEY, "/name", "label key"},
    {LABEL_KEY, "Example.com/name", "label key"},
    {LABEL_KEY, "example.com/", "label key"},
    {LABEL_KEY, "a b", "label key"},
    {LABEL_VALUE, "", NULL},
    {LABEL_VALUE, "true", NULL},
    {LABEL_VALUE, "v1.2_3-x", NULL},
    {LABEL_VALUE, "-x", "label value"},
    {LABEL_VALUE, "a/b", "label value"},
    {REASON, "owned by the mesh team", NULL},
    {REASON, "", "1 to 1024 characters"},
    {CAPABILITY, "NET_BIND_SERVICE", NULL},
    {CAPABILITY, "CHOWN", NULL},
    {CAPABILITY, "CHECKPOINT_RESTORE", NULL},
    {CAPABILITY, "ALL", "would allow every capability"},
    {CAPABILITY, "all", "would allow every capability"},
    {CAPABILITY, "net_bind_service", "upper case, without CAP_"},
    {CAPABILITY, "CAP_NET_BIND_SERVICE", "upper case, without CAP_"},
    {CAPABILITY, "NET_BIND_SERVIC", "is not a Linux capability"},
    {CAPABILITY, "", "is not a Linux capability"},
};

START_TEST(validators)
{
    const char *why = check(rows[_i].which, rows[_i].value);
    if (!rows[_i].why) {
        ck_assert_msg(!why, "\"%s\" refused: %s", rows[_i].value, why);
        return;
    }
    ck_assert_msg(why, "\"%s\" accepted", rows[_i].value);
    ck_assert_msg(strstr(why, rows[_i].why), "\"%s\": \"%s\" lacks \"%s\"",
                  rows[_i].value, why, rows[_i].why);
}
END_TEST

static Suite *policy_names_suite(void)
{
    Suite *s = suite_create("policy_names");
    TCase *tc = tcase_create("validators");
    tcase_add_loop_test(tc, validators, 0, ARRAY_LEN(rows));
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return run_suite(policy_names_suite());
}
