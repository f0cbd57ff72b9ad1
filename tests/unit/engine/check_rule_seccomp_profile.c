/* check_rule_seccomp_profile.c -- the effective seccompProfile (container
 * over pod) must be RuntimeDefault or Localhost, at every pod-bearing kind
 * and in every container list; where the fix goes, pod or container. */
#include <string.h>

#include "evalfix.h"
#include "jptr.h"
#include "testutil.h"

#define RULE "seccompProfile"
#define SP "/securityContext/seccompProfile"
#define UNSET "no seccompProfile is set on the container or the pod"
#define RD "'seccompProfile':{'type':'RuntimeDefault'}"
#define UNCONFINED "'seccompProfile':{'type':'Unconfined'}"

static const struct {
    const char *podspec;
    struct evalfix_expect want;
} rows[] = {
    /* allowed: either level, the container's winning */
    {"{'securityContext':{" RD "},'containers':[{'name':'a'}]}", {0}},
    {"{'securityContext':{'seccompProfile':{'type':'Localhost','localhostProfile':"
     "'p.json'}},'containers':[{'name':'a'}]}",
     {0}},
    {"{'containers':[{'name':'a','securityContext':{" RD "}}]}", {0}},
    {"{'securityContext':{" UNCONFINED "},'containers':[{'name':'a','securityContext':{"
     "'seccompProfile':{'type':'Localhost','localhostProfile':'p.json'}}}]}",
     {0}},
    {"{'securityContext':{" RD "},'containers':[{'name':'a','securityContext':{"
     "'seccompProfile':null}}]}",
     {0}},
    /* set nowhere: fixed */
    {"{'containers':[{'name':'a'}]}", {1, "/containers/0" SP, UNSET, 1}},
    {"{'securityContext':{'seccompProfile':null},'containers':[{'name':'a',"
     "'securityContext':null}]}",
     {1, "/containers/0" SP, UNSET, 1}},
    {"{'containers':[{'name':'a','securityContext':{" RD "}},{'name':'b'}]}",
     {1, "/containers/1" SP, UNSET, 1}},
    /* an explicit Unconfined, at the level that set it: never fixed */
    {"{'securityContext':{" UNCONFINED "},'containers':[{'name':'a'}]}",
     {1, SP "/type", "\"Unconfined\" at the pod level", 0}},
    /* evasion: the container's Unconfined overrides the pod's RuntimeDefault */
    {"{'securityContext':{" RD
     "},'containers':[{'name':'a','securityContext':{" UNCONFINED "}}]}",
     {1, "/containers/0" SP "/type", "\"Unconfined\" at the container level", 0}},
    {"{'securityContext':{" RD "},'containers':[{'name':'a'}],'initContainers':[{'name':"
     "'i','securityContext':{" UNCONFINED "}}]}",
     {1, "/initContainers/0" SP "/type", "at the container level", 0}},
    {"{'securityContext':{" RD "},'containers':[{'name':'a'}],'ephemeralContainers':[{"
     "'name':'dbg','securityContext':{" UNCONFINED "}}]}",
     {1, "/ephemeralContainers/0" SP "/type", "at the container level", 0}},
    /* what the API server would refuse is still named */
    {"{'containers':[{'name':'a','securityContext':{'seccompProfile':{}}}]}",
     {1, "/containers/0" SP "/type", "at the container level has no type", 0}},
    {"{'securityContext':{'seccompProfile':{'type':'runtimedefault'}},'containers':[{"
     "'name':'a'}]}",
     {1, SP "/type", "\"runtimedefault\" at the pod level", 0}},
    /* every list inherits the pod's */
    {"{'containers':[{'name':'a','securityContext':{" RD "}}],'initContainers':[{'name':"
     "'i'}]}",
     {1, "/initContainers/0" SP, UNSET, 1}},
    {"{'containers':[{'name':'a','securityContext':{" RD "}}],'ephemeralContainers':[{"
     "'name':'dbg'}]}",
     {1, "/ephemeralContainers/0" SP, UNSET, 1}},
    /* Linux-only */
    {"{'os':{'name':'windows'},'containers':[{'name':'a'}]}", {0}},
};

START_TEST(judges_every_kind_and_list)
{
    struct evalfix ef;
    evalfix_init(&ef);
    ef.policy->seccomp_profile.common.action = ACTION_ENFORCE;
    evalfix_check_kinds(&ef, RULE, rows[_i].podspec, &rows[_i].want);
    evalfix_cleanup(&ef);
}
END_TEST

static const char *names[1], *images[1];

/* Where the fix goes.  `fix` is the pointer below the pod spec that every
 * finding's fix sets; after the patch nothing is left to find, and the
 * exempt container is as it was. */
static const struct {
    const char *exempt_container, *exempt_image;
    const char *podspec;
    size_t n; /* findings, each fixed */
    const char *fix;
    size_t n_ops;
} placements[] = {
    /* one pod-level field covers the app and the init container; b keeps its own */
    {NULL, NULL,
     "{'containers':[{'name':'a'},{'name':'b','securityContext':{'seccompProfile':{"
     "'type':'Localhost','localhostProfile':'b.json'}}}],'initContainers':[{'name':'i'}"
     "]}",
     2, SP, 1},
    /* an exempt container that would inherit it: each judged container instead */
    {"i", NULL,
     "{'containers':[{'name':'a'},{'name':'b'}],'initContainers':[{'name':'i'}]}", 2,
     NULL, 2},
    {NULL, "registry.k8s.io/pause",
     "{'containers':[{'name':'a','image':'ghcr.io/acme/a:1'},{'name':'p','image':"
     "'registry.k8s.io/pause:3.9'}]}",
     1, "/containers/0" SP, 1},
    /* an exempt container with its own profile inherits nothing: pod level */
    {"i", NULL,
     "{'containers':[{'name':'a'}],'initContainers':[{'name':'i','securityContext':"
     "{" UNCONFINED "}}]}",
     1, SP, 1},
};

START_TEST(mutate_places_the_fix)
{
    struct evalfix ef;
    evalfix_init(&ef);
    struct rule_common *common = &ef.policy->seccomp_profile.common;
    common->action = ACTION_MUTATE;
    if (placements[_i].exempt_container) {
        names[0] = placements[_i].exempt_container;
        common->exempt_containers.items = names;
        common->exempt_containers.n = 1;
    }
    if (placements[_i].exempt_image) {
        images[0] = placements[_i].exempt_image;
        common->exempt_images.items = images;
        common->exempt_images.n = 1;
    }
    for (size_t k = 0; k < EVALFIX_N_KINDS; k++) {
        const char *base = workload_podspec_pointer(evalfix_kinds[k]);
        ck_assert_int_eq(
            evalfix_run(&ef, evalfix_workload(evalfix_kinds[k], placements[_i].podspec)),
            TG_OK);
        ck_assert_uint_eq(evalfix_count(&ef, RULE), placements[_i].n);
        for (size_t i = 0; placements[_i].fix && i < placements[_i].n; i++) {
            const struct finding *f = evalfix_get(&ef, RULE, i);
            char want[256];
            snprintf(want, sizeof(want), "%s%s", base, placements[_i].fix);
            ck_assert_uint_eq(f->n_fixes, 1);
            ck_assert_str_eq(f->fixes[0].pointer, want);
        }
        json_t *before = json_deep_copy(ef.object);
        ck_assert_uint_eq(evalfix_apply_fixes(&ef), placements[_i].n_ops);
        ck_assert_uint_eq(evalfix_count(&ef, RULE), 0);
        /* the pod-level field is there exactly when the fix put it there */
        char p[256];
        snprintf(p, sizeof(p), "%s" SP, base);
        bool pod_level = placements[_i].fix && strcmp(placements[_i].fix, SP) == 0;
        ck_assert(!jptr_get(ef.object, p) == !pod_level);
        /* an exempt init container is as it was */
        snprintf(p, sizeof(p), "%s/initContainers/0", base);
        if (placements[_i].exempt_container)
            ck_assert(json_equal(jptr_get(before, p), jptr_get(ef.object, p)));
        json_decref(before);
    }
    evalfix_cleanup(&ef);
}
END_TEST

/* The pods/ephemeralcontainers object of API servers before 1.22 has no
 * pod spec to put the field in. */
START_TEST(ephemeral_containers_object_fixed_per_container)
{
    struct evalfix ef;
    evalfix_init(&ef);
    ef.policy->seccomp_profile.common.action = ACTION_MUTATE;
    ck_assert_int_eq(evalfix_run(&ef, evalfix_workload("EphemeralContainers",
                                                       "{'ephemeralContainers':[{'name':"
                                                       "'dbg'}]}")),
                     TG_OK);
    ck_assert_uint_eq(evalfix_count(&ef, RULE), 1);
    ck_assert_str_eq(evalfix_get(&ef, RULE, 0)->fixes[0].pointer,
                     "/ephemeralContainers/0" SP);
    ck_assert_uint_eq(evalfix_apply_fixes(&ef), 1);
    ck_assert_uint_eq(evalfix_count(&ef, RULE), 0);
    evalfix_cleanup(&ef);
}
END_TEST

/* With exemptions, the pod-level decision looks at every container: past
 * 64 of them each container gets its own, so the rule stays linear.
 * Without exemptions there is nothing to look at: pod level at any size. */
static const struct {
    size_t n_containers;
    bool exemption;
    bool pod_level;
} sizes[] = {
    {64, true, true},
    {65, true, false},
    {500, false, true},
};

START_TEST(pod_level_only_for_pods_it_can_afford)
{
    static char spec[32768];
    size_t used = (size_t)snprintf(spec, sizeof(spec), "{'containers':[");
    for (size_t i = 0; i < sizes[_i].n_containers; i++)
        used += (size_t)snprintf(spec + used, sizeof(spec) - used, "%s{'name':'c%zu'}",
                                 i ? "," : "", i);
    snprintf(spec + used, sizeof(spec) - used, "]}");
    struct evalfix ef;
    evalfix_init(&ef);
    ef.policy->seccomp_profile.common.action = ACTION_MUTATE;
    if (sizes[_i].exemption) {
        names[0] = "not-in-this-pod";
        ef.policy->seccomp_profile.common.exempt_containers.items = names;
        ef.policy->seccomp_profile.common.exempt_containers.n = 1;
    }
    ck_assert_int_eq(evalfix_run(&ef, evalfix_workload("Pod", spec)), TG_OK);
    ck_assert_uint_eq(evalfix_count(&ef, RULE), sizes[_i].n_containers);
    const struct finding *last = evalfix_get(&ef, RULE, sizes[_i].n_containers - 1);
    char want[128];
    snprintf(want, sizeof(want), "/spec/containers/%zu" SP, sizes[_i].n_containers - 1);
    ck_assert_str_eq(last->fixes[0].pointer, sizes[_i].pod_level ? "/spec" SP : want);
    evalfix_cleanup(&ef);
}
END_TEST

/* An explicit Unconfined is never overwritten, at either level. */
START_TEST(mutate_keeps_an_explicit_unconfined)
{
    struct evalfix ef;
    evalfix_init(&ef);
    ef.policy->seccomp_profile.common.action = ACTION_MUTATE;
    ck_assert_int_eq(
        evalfix_run(&ef, evalfix_pod("{" UNCONFINED "}",
                                     "[{'name':'a'},{'name':'b',"
                                     "'securityContext':{" UNCONFINED "}}]")),
        TG_OK);
    ck_assert_uint_eq(evalfix_count(&ef, RULE), 2);
    evalfix_apply_fixes(&ef);
    ck_assert_uint_eq(evalfix_count(&ef, RULE), 2);
    ck_assert_str_eq(json_string_value(jptr_get(
                         ef.object, "/spec/securityContext/seccompProfile/type")),
                     "Unconfined");
    evalfix_cleanup(&ef);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("rule_seccomp_profile");
    TCase *tc = tcase_create("core");
    tcase_add_loop_test(tc, judges_every_kind_and_list, 0, ARRAY_LEN(rows));
    tcase_add_loop_test(tc, mutate_places_the_fix, 0, ARRAY_LEN(placements));
    tcase_add_test(tc, ephemeral_containers_object_fixed_per_container);
    tcase_add_test(tc, mutate_keeps_an_explicit_unconfined);
    tcase_add_loop_test(tc, pod_level_only_for_pods_it_can_afford, 0, ARRAY_LEN(sizes));
    suite_add_tcase(s, tc);
    return run_suite(s);
}
