/* check_rule_allowed_registries.c -- prefixes at path boundaries, after
 * normalisation, so spelling tricks do not get an image past the list. */
#include <string.h>

#include "evalfix.h"
#include "testutil.h"

#define RULE "allowedRegistries"

static const char *allowed[] = {"registry.k8s.io", "ghcr.io/acme", "docker.io/library",
                                "localhost:5000"};

static const struct {
    const char *image;
    size_t n;
} rows[] = {
    {"registry.k8s.io/pause:3.9", 0},
    {"ghcr.io/acme/app:1", 0},
    {"ghcr.io/acme/team/app:1", 0},
    {"ghcr.io/acmecorp/app:1", 1},
    {"ghcr.io/acme:1", 0},
    {"nginx:1.25", 0},
    {"docker.io/nginx:1.25", 0},
    {"index.docker.io/library/nginx:1.25", 0},
    {"DOCKER.IO/library/nginx:1.25", 0},
    {"bitnami/nginx:1.25", 1},
    {"quay.io/acme/app:1", 1},
    {"localhost:5000/app:1", 0},
    {"localhost:5001/app:1", 1},
    {"registry.k8s.io.evil.com/pause:3.9", 1},
    {"Bad/Ref", 1},
};

START_TEST(judges_origins)
{
    struct evalfix ef;
    evalfix_init(&ef);
    ef.policy->allowed_registries.registries.items = allowed;
    ef.policy->allowed_registries.registries.n = ARRAY_LEN(allowed);
    char containers[512];
    snprintf(containers, sizeof(containers), "[{'name':'app','image':'%s'}]",
             rows[_i].image);
    ck_assert_int_eq(evalfix_run(&ef, evalfix_pod(NULL, containers)), TG_OK);
    ck_assert_uint_eq(evalfix_count(&ef, RULE), rows[_i].n);
    if (rows[_i].n) {
        const struct finding *f = evalfix_get(&ef, RULE, 0);
        ck_assert_str_eq(f->pointer, "/spec/containers/0/image");
        ck_assert_msg(strstr(f->message, rows[_i].image), "message: %s", f->message);
    }
    evalfix_cleanup(&ef);
}
END_TEST

START_TEST(message_lists_the_allowed_registries)
{
    struct evalfix ef;
    evalfix_init(&ef);
    ef.policy->allowed_registries.registries.items = allowed;
    ef.policy->allowed_registries.registries.n = ARRAY_LEN(allowed);
    ck_assert_int_eq(
        evalfix_run(&ef, evalfix_pod(NULL, "[{'name':'a','image':'quay.io/x:1'}]")),
        TG_OK);
    const char *m = evalfix_get(&ef, RULE, 0)->message;
    ck_assert_msg(strstr(m, "(quay.io/x)") && strstr(m, "registry.k8s.io, ghcr.io/acme"),
                  "message: %s", m);
    evalfix_cleanup(&ef);
}
END_TEST

START_TEST(empty_list_is_off)
{
    struct evalfix ef;
    evalfix_init(&ef);
    ck_assert_int_eq(
        evalfix_run(&ef, evalfix_pod(NULL, "[{'name':'a','image':'quay.io/x:1'}]")),
        TG_OK);
    ck_assert_uint_eq(evalfix_count(&ef, RULE), 0);
    evalfix_cleanup(&ef);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("rule_allowed_registries");
    TCase *tc = tcase_create("core");
    tcase_add_loop_test(tc, judges_origins, 0, ARRAY_LEN(rows));
    tcase_add_test(tc, message_lists_the_allowed_registries);
    tcase_add_test(tc, empty_list_is_off);
    suite_add_tcase(s, tc);
    return run_suite(s);
}
