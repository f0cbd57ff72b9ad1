/* check_rule_pinned_tags.c -- tags, digests and the misleading latest. */
#include <string.h>

#include "evalfix.h"
#include "testutil.h"

#define RULE "pinnedTags"
#define DIGEST "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

static const struct {
    const char *image;
    bool require_digest;
    size_t n;
    enum finding_severity severity;
    const char *message;
} rows[] = {
    {"nginx:1.25.3", false, 0, FINDING_VIOLATION, NULL},
    {"nginx", false, 1, FINDING_VIOLATION,
     "image \"nginx\" has no tag, so it means \":latest\""},
    {"nginx:latest", false, 1, FINDING_VIOLATION,
     "uses the mutable tag \"latest\"; pin a version tag (\"nginx:1.2.3\")"},
    {"docker.io/library/nginx:latest", false, 1, FINDING_VIOLATION, "mutable tag"},
    {"localhost:5000/app", false, 1, FINDING_VIOLATION, "(\"localhost:5000/app:1.2.3\")"},
    {"localhost:5000/app:2", false, 0, FINDING_VIOLATION, NULL},
    {"nginx@" DIGEST, false, 0, FINDING_VIOLATION, NULL},
    {"nginx:1.25@" DIGEST, true, 0, FINDING_VIOLATION, NULL},
    {"app:latest@" DIGEST, false, 1, FINDING_NOTE, "the tag \"latest\" is misleading"},
    {"nginx:1.25.3", true, 1, FINDING_VIOLATION,
     "not pinned by digest (the policy requires"},
    {"Nginx:1.0", false, 1, FINDING_VIOLATION, "is not a valid reference"},
    {"nginx@sha256:abc", false, 1, FINDING_VIOLATION, "is not a valid reference"},
    {"ghcr.io/acme/app:", false, 1, FINDING_VIOLATION, "is not a valid reference"},
};

START_TEST(judges_references)
{
    struct evalfix ef;
    evalfix_init(&ef);
    ef.policy->pinned_tags.require_digest = rows[_i].require_digest;
    char containers[512];
    snprintf(containers, sizeof(containers), "[{'name':'app','image':'%s'}]",
             rows[_i].image);
    ck_assert_int_eq(evalfix_run(&ef, evalfix_pod(NULL, containers)), TG_OK);
    ck_assert_uint_eq(evalfix_count(&ef, RULE), rows[_i].n);
    if (rows[_i].n) {
        const struct finding *f = evalfix_get(&ef, RULE, 0);
        ck_assert_str_eq(f->pointer, "/spec/containers/0/image");
        ck_assert_msg(strstr(f->message, rows[_i].message), "message: %s", f->message);
        ck_assert_msg(strstr(f->message, rows[_i].image), "quotes the image: %s",
                      f->message);
        ck_assert_int_eq(f->severity, rows[_i].severity);
        ck_assert_uint_eq(f->n_fixes, 0);
    }
    evalfix_cleanup(&ef);
}
END_TEST

START_TEST(missing_image_is_reported)
{
    struct evalfix ef;
    evalfix_init(&ef);
    ck_assert_int_eq(evalfix_run(&ef, evalfix_pod(NULL, "[{'name':'app'}]")), TG_OK);
    ck_assert_uint_eq(evalfix_count(&ef, RULE), 1);
    ck_assert(strstr(evalfix_get(&ef, RULE, 0)->message, "image is not set"));
    evalfix_cleanup(&ef);
}
END_TEST

/* resolveDigest: the message names the digest, mutate pins to it. */
START_TEST(resolved_digest_is_named_and_pinned)
{
    struct evalfix ef;
    evalfix_init(&ef);
    ef.policy->pinned_tags.resolve_digest = true;
    ef.policy->pinned_tags.common.action = ACTION_MUTATE;
    struct image_fact fact = {
        .image = "reg.io/app:1.4", .status = FACT_OK, .digest = DIGEST};
    ef.facts.items = &fact;
    ef.facts.n = 1;
    ck_assert_int_eq(
        evalfix_run(&ef, evalfix_pod(NULL, "[{'name':'a','image':'reg.io/app:1.4'}]")),
        TG_OK);
    ck_assert_uint_eq(evalfix_count(&ef, RULE), 1);
    const struct finding *f = evalfix_get(&ef, RULE, 0);
    ck_assert(strstr(f->message, "reg.io/app:1.4@" DIGEST));
    ck_assert_uint_eq(f->n_fixes, 1);
    ck_assert_str_eq(f->fixes[0].pointer, "/spec/containers/0/image");
    ck_assert_str_eq(json_string_value(f->fixes[0].value), "reg.io/app:1.4@" DIGEST);
    evalfix_cleanup(&ef);
}
END_TEST

START_TEST(failed_lookup_follows_policy)
{
    for (int deny = 0; deny <= 1; deny++) {
        struct evalfix ef;
        evalfix_init(&ef);
        ef.policy->pinned_tags.resolve_digest = true;
        ef.policy->pinned_tags.common.allow_on_lookup_failure = !deny;
        struct image_fact fact = {
            .image = "reg.io/app:1.4", .status = FACT_UNAVAILABLE, .error = "timed out"};
        ef.facts.items = &fact;
        ef.facts.n = 1;
        ck_assert_int_eq(
            evalfix_run(&ef,
                        evalfix_pod(NULL, "[{'name':'a','image':'reg.io/app:1.4'}]")),
            TG_OK);
        ck_assert_uint_eq(evalfix_count(&ef, RULE), 1);
        const struct finding *f = evalfix_get(&ef, RULE, 0);
        ck_assert(strstr(f->message, "cannot resolve the digest"));
        ck_assert(strstr(f->message, "timed out"));
        ck_assert_int_eq(f->severity, deny ? FINDING_VIOLATION : FINDING_NOTE);
        evalfix_cleanup(&ef);
    }
}
END_TEST

int main(void)
{
    Suite *s = suite_create("rule_pinned_tags");
    TCase *tc = tcase_create("core");
    tcase_add_loop_test(tc, judges_references, 0, ARRAY_LEN(rows));
    tcase_add_test(tc, missing_image_is_reported);
    tcase_add_test(tc, resolved_digest_is_named_and_pinned);
    tcase_add_test(tc, failed_lookup_follows_policy);
    suite_add_tcase(s, tc);
    return run_suite(s);
}
