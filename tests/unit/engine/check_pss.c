/* check_pss.c -- the restricted preset (policies/presets/restricted.yaml)
 * on the Pod Security Standards fixtures (tests/data/pss/): the compliant
 * pod is allowed without a single finding, and each fixture that breaks
 * one PSS control is denied by the rules that cover it, and by no other. */
#include <stdlib.h>
#include <string.h>

#include "decide.h"
#include "engine.h"
#include "manifest.h"
#include "policy_load.h"
#include "testutil.h"

#define POLICY TOLLGATE_SOURCE_DIR "/policies/presets/restricted.yaml"

static const struct {
    const char *fixture; /* under tests/data/pss/ */
    const char *rules;   /* the rules that deny it, in table order: "a,b"; "" allowed */
} rows[] = {
    {"compliant.yaml", ""},
    /* hostNetwork makes every containerPort a port of the node */
    {"baseline-host-namespaces-network.yaml", "hostNamespaces,hostPorts"},
    {"baseline-host-namespaces-pid.yaml", "hostNamespaces"},
    {"baseline-host-namespaces-ipc.yaml", "hostNamespaces"},
    {"baseline-host-path.yaml", "hostPath"},
    {"baseline-host-ports.yaml", "hostPorts"},
    {"baseline-privileged.yaml", "privileged,allowPrivilegeEscalation"},
    {"baseline-capabilities.yaml", "capabilities"},
    {"baseline-seccomp.yaml", "seccompProfile"},
    {"restricted-privilege-escalation.yaml", "allowPrivilegeEscalation"},
    {"restricted-run-as-non-root.yaml", "runAsNonRoot"},
    {"restricted-run-as-user.yaml", "runAsNonRoot"},
    {"restricted-seccomp.yaml", "seccompProfile"},
    {"restricted-capabilities-drop.yaml", "capabilities"},
    {"restricted-capabilities-add.yaml", "capabilities"},
};

/* The distinct ids of the findings that deny, "a,b", into `out`. */
static void denying_rules(const struct findings *f, char *out, size_t size)
{
    out[0] = '\0';
    for (size_t i = 0; i < f->n; i++) {
        const struct finding *fnd = &f->items[i];
        if (decide_treatment(fnd, POLICY_ENFORCE, STAGE_VALIDATE) != TREAT_DENY)
            continue;
        char item[64];
        snprintf(item, sizeof(item), ",%s,", fnd->rule);
        char padded[512];
        snprintf(padded, sizeof(padded), ",%s,", out);
        if (strstr(padded, item))
            continue;
        size_t len = strlen(out);
        snprintf(out + len, size - len, "%s%s", len ? "," : "", fnd->rule);
    }
}

START_TEST(each_control_is_denied_by_its_rules)
{
    char rel[256];
    snprintf(rel, sizeof(rel), "pss/%s", rows[_i].fixture);
    size_t len;
    char *text = fixture_read(rel, &len);
    struct manifest_set set = {0};
    struct tg_error err = {0};
    ck_assert_msg(manifest_load(text, len, rel, &set, &err) == TG_OK, "%s", err.text);
    ck_assert_uint_eq(set.n, 1);
    struct policy *p = NULL;
    ck_assert_msg(policy_load_path(POLICY, &p, &err) == TG_OK, "%s", err.text);
    struct arena a;
    arena_init(&a, 1 << 20);
    struct findings f;
    findings_init(&f, &a);
    ck_assert_int_eq(engine_eval(p, set.docs[0].object, NULL, &a, &f, NULL, &err), TG_OK);
    char got[512];
    denying_rules(&f, got, sizeof(got));
    ck_assert_msg(strcmp(got, rows[_i].rules) == 0, "%s: denied by [%s], want [%s]",
                  rows[_i].fixture, got, rows[_i].rules);
    struct decide_subject s = {.kind = "Pod", .namespace_ = "shop", .name = "x"};
    struct verdict v;
    ck_assert_int_eq(decide(p, &s, STAGE_VALIDATE, set.docs[0].object, &f, &a, &v),
                     TG_OK);
    ck_assert(v.allowed == !rows[_i].rules[0]);
    if (!rows[_i].rules[0]) /* not even a warning */
        ck_assert_msg(f.n == 0, "%s: %zu findings, the first: [%s] %s", rows[_i].fixture,
                      f.n, f.items[0].rule, f.items[0].message);
    verdict_cleanup(&v);
    findings_cleanup(&f);
    arena_cleanup(&a);
    policy_free(p);
    manifest_set_cleanup(&set);
    free(text);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("pss");
    TCase *tc = tcase_create("core");
    tcase_add_loop_test(tc, each_control_is_denied_by_its_rules, 0, ARRAY_LEN(rows));
    suite_add_tcase(s, tc);
    return run_suite(s);
}
