/* check_workload.c -- every kind's pod spec, found at its place. */
#include <stdio.h>
#include <string.h>

#include "evalfix.h"
#include "testutil.h"
#include "workload.h"

#define C3                                                                               \
    "{'containers':[{'name':'a','image':'x:1'}],'initContainers':[{'name':'i'}],"        \
    "'ephemeralContainers':[{'name':'e'}]}"

static const struct {
    const char *object;
    bool found;
    const char *pointer;
} rows[] = {
    {"{'kind':'Pod','spec':" C3 "}", true, "/spec"},
    {"{'kind':'Deployment','spec':{'template':{'spec':" C3 "}}}", true,
     "/spec/template/spec"},
    {"{'kind':'ReplicaSet','spec':{'template':{'spec':" C3 "}}}", true,
     "/spec/template/spec"},
    {"{'kind':'StatefulSet','spec':{'template':{'spec':" C3 "}}}", true,
     "/spec/template/spec"},
    {"{'kind':'DaemonSet','spec':{'template':{'spec':" C3 "}}}", true,
     "/spec/template/spec"},
    {"{'kind':'Job','spec':{'template':{'spec':" C3 "}}}", true, "/spec/template/spec"},
    {"{'kind':'ReplicationController','spec':{'template':{'spec':" C3 "}}}", true,
     "/spec/template/spec"},
    {"{'kind':'CronJob','spec':{'jobTemplate':{'spec':{'template':{'spec':" C3 "}}}}}",
     true, "/spec/jobTemplate/spec/template/spec"},
    {"{'kind':'PodTemplate','template':{'spec':" C3 "}}", true, "/template/spec"},
    {"{'kind':'EphemeralContainers','ephemeralContainers':[{'name':'e'}]}", true, ""},
    {"{'kind':'Service','spec':" C3 "}", false, NULL},
    {"{'kind':'ConfigMap'}", false, NULL},
    {"{'spec':" C3 "}", false, NULL},
    {"{'kind':'Deployment','spec':{}}", false, NULL},
    {"{'kind':'Deployment','spec':{'template':null}}", false, NULL},
};

START_TEST(finds_pod_specs)
{
    json_t *o = evalfix_json(rows[_i].object);
    struct arena a;
    arena_init(&a, 1 << 20);
    struct podspec ps;
    bool found;
    ck_assert_int_eq(workload_find(o, &a, &ps, &found, NULL), TG_OK);
    ck_assert_int_eq(found, rows[_i].found);
    if (found) {
        ck_assert_str_eq(ps.pointer, rows[_i].pointer);
        bool ephemeral_only = !rows[_i].pointer[0];
        ck_assert_uint_eq(ps.n_containers, ephemeral_only ? 1 : 3);
        char want[128];
        if (!ephemeral_only) {
            snprintf(want, sizeof(want), "%s/containers/0", rows[_i].pointer);
            ck_assert_str_eq(ps.containers[0].pointer, want);
            ck_assert_str_eq(ps.containers[0].image, "x:1");
            snprintf(want, sizeof(want), "%s/initContainers/0", rows[_i].pointer);
            ck_assert_str_eq(ps.containers[1].pointer, want);
            ck_assert_int_eq(ps.containers[1].kind, CONTAINER_INIT);
        }
        const struct container *e = &ps.containers[ps.n_containers - 1];
        snprintf(want, sizeof(want), "%s/ephemeralContainers/0", rows[_i].pointer);
        ck_assert_str_eq(e->pointer, want);
        ck_assert_int_eq(e->kind, CONTAINER_EPHEMERAL);
    }
    arena_cleanup(&a);
    json_decref(o);
}
END_TEST

static const struct {
    const char *object, *message;
} bad[] = {
    {"{'kind':'Pod','spec':[]}", "/spec must be a mapping"},
    {"{'kind':'Deployment','spec':{'template':'x'}}", "/spec/template must be a mapping"},
    {"{'kind':'Pod','spec':{'containers':'nginx'}}", "/spec/containers must be a list"},
    {"{'kind':'Pod','spec':{'containers':[1]}}", "/spec/containers/0 must be a mapping"},
    {"{'kind':'Pod','spec':{'containers':[{'name':5}]}}",
     "/spec/containers/0/name must be a string"},
    {"{'kind':'Pod','spec':{'initContainers':[{'image':['a']}]}}",
     "/spec/initContainers/0/image must be a string"},
};

START_TEST(rejects_wrong_types)
{
    json_t *o = evalfix_json(bad[_i].object);
    struct arena a;
    arena_init(&a, 1 << 20);
    struct podspec ps;
    bool found;
    struct tg_error err;
    ck_assert_int_eq(workload_find(o, &a, &ps, &found, &err), TG_EINVAL);
    ck_assert_msg(strstr(err.text, bad[_i].message), "got: %s", err.text);
    arena_cleanup(&a);
    json_decref(o);
}
END_TEST

START_TEST(names_sidecars_and_escapes_nothing_odd)
{
    json_t *o = evalfix_json("{'kind':'Pod','spec':{'initContainers':[{'name':'s',"
                             "'restartPolicy':'Always'},{'name':'i'}]}}");
    struct arena a;
    arena_init(&a, 1 << 20);
    struct podspec ps;
    bool found;
    ck_assert_int_eq(workload_find(o, &a, &ps, &found, NULL), TG_OK);
    ck_assert_uint_eq(ps.n_containers, 2);
    ck_assert(ps.containers[0].is_sidecar);
    ck_assert(!ps.containers[1].is_sidecar);
    ck_assert_str_eq(ps.containers[1].name, "i");
    arena_cleanup(&a);
    json_decref(o);
}
END_TEST

/* The securityContexts (null counts as absent) and the pod's OS. */
static const struct {
    const char *spec;
    bool pod_sc, app_sc, windows;
} contexts[] = {
    {"{'containers':[{'name':'a'}]}", false, false, false},
    {"{'securityContext':{},'containers':[{'name':'a','securityContext':{}}]}", true,
     true, false},
    {"{'securityContext':null,'containers':[{'name':'a','securityContext':null}]}", false,
     false, false},
    {"{'os':{'name':'windows'},'containers':[{'name':'a'}]}", false, false, true},
    {"{'os':{'name':'linux'},'containers':[{'name':'a'}]}", false, false, false},
    {"{'os':'windows','containers':[{'name':'a'}]}", false, false, false},
};

START_TEST(reads_security_contexts_and_os)
{
    char text[512];
    snprintf(text, sizeof(text), "{'kind':'Deployment','spec':{'template':{'spec':%s}}}",
             contexts[_i].spec);
    json_t *o = evalfix_json(text);
    struct arena a;
    arena_init(&a, 1 << 20);
    struct podspec ps;
    bool found;
    ck_assert_int_eq(workload_find(o, &a, &ps, &found, NULL), TG_OK);
    ck_assert(found);
    ck_assert(!ps.security_context == !contexts[_i].pod_sc);
    ck_assert(!ps.containers[0].security_context == !contexts[_i].app_sc);
    ck_assert(ps.is_windows == contexts[_i].windows);
    arena_cleanup(&a);
    json_decref(o);
}
END_TEST

START_TEST(ten_thousand_containers)
{
    json_t *list = json_array();
    for (int i = 0; i < 10000; i++)
        json_array_append_new(list, json_pack("{s:s,s:s}", "name", "c", "image", "x:1"));
    json_t *o = json_pack("{s:s,s:{s:o}}", "kind", "Pod", "spec", "containers", list);
    struct arena a;
    arena_init(&a, 4u << 20);
    struct podspec ps;
    bool found;
    ck_assert_int_eq(workload_find(o, &a, &ps, &found, NULL), TG_OK);
    ck_assert_uint_eq(ps.n_containers, 10000);
    ck_assert_str_eq(ps.containers[9999].pointer, "/spec/containers/9999");
    arena_cleanup(&a);
    json_decref(o);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("workload");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 30);
    tcase_add_loop_test(tc, finds_pod_specs, 0, ARRAY_LEN(rows));
    tcase_add_loop_test(tc, rejects_wrong_types, 0, ARRAY_LEN(bad));
    tcase_add_test(tc, names_sidecars_and_escapes_nothing_odd);
    tcase_add_loop_test(tc, reads_security_contexts_and_os, 0, ARRAY_LEN(contexts));
    tcase_add_test(tc, ten_thousand_containers);
    suite_add_tcase(s, tc);
    return run_suite(s);
}
