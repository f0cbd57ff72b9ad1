/* check_kube_live.c -- the kube client against a real kube-apiserver (1.20).
 *
 * tests/support/kube_cluster.sh starts etcd and the API server of
 * tests/e2e/cluster.sh on 127.0.0.1 (kube-tools.sh builds and caches the
 * binary).  Through the kubeconfig cluster.sh writes (embedded CA, static
 * token): the version and CronJob discovery, objects of every pod-bearing
 * kind created and listed back in pages of 1 and 2 (3+ pages per list),
 * the API server's own 404, 409 (AlreadyExists and Conflict), 422, 401 and
 * 403 (anonymous), a merge patch, and a continue token that expires
 * mid-list because etcd is compacted under it (a real 410: the list starts
 * over and completes).  Then in-cluster mode, with a service-account
 * directory holding the cluster's CA and token, and the token rotated.
 */
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>

#include "alloc_json.h"
#include "kube_client.h"
#include "kube_list.h"
#include "testutil.h"

extern char **environ;

static char dir[64];
static char env_text[4096];
static pid_t cluster_pid;
static struct kube_config *cfg;

/* The value of KEY in DIR/env, in a rotating static buffer. */
static const char *env(const char *key)
{
    static char vals[8][512];
    static int next;
    char *out = vals[next++ % 8];
    size_t klen = strlen(key);
    for (const char *p = env_text; p && *p;
         p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL) {
        if (strncmp(p, key, klen) == 0 && p[klen] == '=') {
            snprintf(out, 512, "%.*s", (int)strcspn(p + klen + 1, "\n"), p + klen + 1);
            return out;
        }
    }
    ck_abort_msg("%s not in %s/env", key, dir);
    return NULL;
}

static void script(const char *cmd)
{
    char line[512];
    snprintf(line, sizeof(line), "bash %s/tests/support/kube_cluster.sh %s %s",
             TOLLGATE_SOURCE_DIR, cmd, dir);
    ck_assert_msg(system(line) == 0, "%s failed", line);
}

static void setup(void)
{
    snprintf(dir, sizeof(dir), "/tmp/tollgate-kube-live-XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(dir));
    char path[512], env_path[128], failed[128];
    snprintf(path, sizeof(path), "%s/tests/support/kube_cluster.sh", TOLLGATE_SOURCE_DIR);
    char bash[] = "/bin/bash", run[] = "run";
    char *argv[] = {bash, path, run, dir, NULL};
    ck_assert_int_eq(posix_spawn(&cluster_pid, argv[0], NULL, NULL, argv, environ), 0);
    snprintf(env_path, sizeof(env_path), "%s/env", dir);
    snprintf(failed, sizeof(failed), "%s/failed", dir);
    /* a bound on waiting for start-up (seconds, or minutes when kube-tools.sh
     * must build the API server first), not a timed assertion */
    struct timespec ts = {0, 200 * 1000 * 1000};
    FILE *f = NULL;
    for (int i = 0; i < 3000 && !f; i++) {
        ck_assert_msg(access(failed, F_OK) != 0,
                      "the API server did not start (see above)");
        ck_assert_msg(waitpid(cluster_pid, NULL, WNOHANG) == 0, "kube_cluster.sh exited");
        if (!(f = fopen(env_path, "r")))
            nanosleep(&ts, NULL);
    }
    ck_assert_msg(f != NULL, "the API server did not start in 10 minutes");
    size_t n = fread(env_text, 1, sizeof(env_text) - 1, f);
    env_text[n] = '\0';
    fclose(f);
    struct kube_config_opts o = {KUBE_CONFIG_KUBECONFIG, env("KUBECONFIG"), NULL, NULL};
    struct kube_error err;
    ck_assert_msg(kube_config_load(&o, &cfg, &err) == TG_OK, "%s", err.base.text);
}

static void teardown(void)
{
    kube_config_free(cfg);
    if (cluster_pid > 0) {
        kill(cluster_pid, SIGTERM);
        waitpid(cluster_pid, NULL, 0);
    }
    char cmd[96];
    snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
    ck_assert_int_eq(system(cmd), 0);
}

static struct kube_client *client_of(const struct kube_config *c)
{
    /* generous: valgrind makes every TLS handshake slow */
    struct kube_client_opts o = {120000, 0};
    struct kube_client *kc = NULL;
    struct kube_error err;
    ck_assert_msg(kube_client_new(c, &o, &kc, &err) == TG_OK, "%s", err.base.text);
    return kc;
}

/* POST `json` (printf-formatted) to `path`; the test fails unless created. */
static void create(struct kube_client *c, const char *path, const char *fmt, ...)
    TG_PRINTF(3, 4);

static void create(struct kube_client *c, const char *path, const char *fmt, ...)
{
    char text[4096];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof(text), fmt, ap);
    va_end(ap);
    json_error_t jerr;
    json_t *body = json_loads(text, 0, &jerr);
    ck_assert_msg(body != NULL, "%s: %s", text, jerr.text);
    struct kube_error err;
    enum tg_rc rc = kube_client_create(c, path, body, NULL, &err);
    ck_assert_msg(rc == TG_OK, "POST %s: %s", path, err.base.text);
    json_decref(body);
}

static void create_namespace(struct kube_client *c, const char *ns)
{
    create(c, "/api/v1/namespaces",
           "{\"apiVersion\":\"v1\",\"kind\":\"Namespace\","
           "\"metadata\":{\"name\":\"%s\"}}",
           ns);
}

#define POD_SPEC "{\"containers\":[{\"name\":\"c\",\"image\":\"nginx:1.25\"}]}"
#define TEMPLATE_WITH(extra)                                                             \
    "{\"metadata\":{\"labels\":{\"app\":\"a\"}},\"spec\":{\"containers\":[{\"name\":"    \
    "\"c\",\"image\":\"nginx:1.25\"}]" extra "}}"
#define TEMPLATE TEMPLATE_WITH("")
#define BATCH_TEMPLATE TEMPLATE_WITH(",\"restartPolicy\":\"Never\"")
#define SELECTOR "{\"matchLabels\":{\"app\":\"a\"}}"

static void create_pod(struct kube_client *c, const char *ns, const char *name)
{
    char path[200];
    snprintf(path, sizeof(path), "/api/v1/namespaces/%s/pods", ns);
    create(c, path,
           "{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"name\":\"%s\"},"
           "\"spec\":" POD_SPEC "}",
           name);
}

/* What a list gave. */
struct seen {
    size_t n, total;
    int restarts;
    bool compact_after_first; /* expire the continue token after the first item */
    bool compacted;
    const char *kind, *api_version; /* every item must have these */
};

static enum tg_rc on_item(void *ctx, json_t *item, struct kube_error *err)
{
    struct seen *s = ctx;
    (void)err;
    ck_assert_str_eq(json_string_value(json_object_get(item, "kind")), s->kind);
    ck_assert_str_eq(json_string_value(json_object_get(item, "apiVersion")),
                     s->api_version);
    s->n++;
    s->total++;
    if (s->compact_after_first && !s->compacted) {
        script("compact");
        s->compacted = true;
    }
    return TG_OK;
}

static enum tg_rc on_restart(void *ctx, struct kube_error *err)
{
    struct seen *s = ctx;
    (void)err;
    s->restarts++;
    s->n = 0;
    return TG_OK;
}

static void list(struct kube_client *c, const struct kube_list_opts *o, struct seen *s,
                 struct kube_list_stats *st)
{
    s->kind = o->res->kind;
    s->api_version = o->res->group_version;
    const struct kube_list_sink sink = {on_item, on_restart, s};
    struct kube_error err;
    enum tg_rc rc = kube_list(c, o, &sink, st, &err);
    ck_assert_msg(rc == TG_OK, "list %s: %s: %s", o->res->plural, err.base.source,
                  err.base.text);
}

START_TEST(version_and_discovery)
{
    struct kube_client *c = client_of(cfg);
    json_t *v = NULL;
    struct kube_error err;
    ck_assert_msg(kube_client_get(c, "/version", &v, &err) == TG_OK, "%s", err.base.text);
    const char *minor = json_string_value(json_object_get(v, "minor"));
    ck_assert_ptr_nonnull(minor);
    struct kube_workloads w;
    ck_assert_msg(kube_workloads_discover(c, &w, &err) == TG_OK, "%s", err.base.text);
    ck_assert_uint_eq(w.n, KUBE_N_WORKLOADS);
    const char *want = strtol(minor, NULL, 10) >= 21 ? "batch/v1" : "batch/v1beta1";
    bool found = false;
    for (size_t i = 0; i < w.n; i++) {
        if (strcmp(w.res[i]->kind, "CronJob") == 0) {
            ck_assert_str_eq(w.res[i]->group_version, want);
            found = true;
        }
    }
    ck_assert(found);
    json_decref(v);
    kube_client_free(c);
}
END_TEST

/* One object of each kind, then every kind listed back in pages of 1. */
START_TEST(every_kind_paged)
{
    struct kube_client *c = client_of(cfg);
    const char *ns = "live-kinds";
    char p[200];
    create_namespace(c, ns);
    for (int i = 0; i < 7; i++) {
        char name[16];
        snprintf(name, sizeof(name), "pod-%d", i);
        create_pod(c, ns, name);
    }
    struct kube_workloads w;
    struct kube_error err;
    ck_assert_int_eq(kube_workloads_discover(c, &w, &err), TG_OK);
    static const struct {
        const char *kind, *spec;
    } specs[] = {
        {"Deployment", "{\"selector\":" SELECTOR ",\"template\":" TEMPLATE "}"},
        {"ReplicaSet", "{\"selector\":" SELECTOR ",\"template\":" TEMPLATE "}"},
        {"StatefulSet",
         "{\"serviceName\":\"s\",\"selector\":" SELECTOR ",\"template\":" TEMPLATE "}"},
        {"DaemonSet", "{\"selector\":" SELECTOR ",\"template\":" TEMPLATE "}"},
        {"Job", "{\"template\":" BATCH_TEMPLATE "}"},
        {"CronJob", "{\"schedule\":\"*/5 * * * *\",\"jobTemplate\":{\"spec\":{"
                    "\"template\":" BATCH_TEMPLATE "}}}"},
        {"ReplicationController",
         "{\"selector\":{\"app\":\"a\"},\"template\":" TEMPLATE "}"},
    };
    for (size_t i = 0; i < w.n; i++) {
        const struct kube_resource *r = w.res[i];
        for (size_t j = 0; j < ARRAY_LEN(specs); j++) {
            if (strcmp(specs[j].kind, r->kind) != 0)
                continue;
            struct buf b;
            buf_init(&b, 0);
            ck_assert_int_eq(kube_resource_path(&b, r, ns, NULL, &err), TG_OK);
            for (int k = 0; k < 3; k++)
                create(c, buf_str(&b),
                       "{\"apiVersion\":\"%s\",\"kind\":\"%s\",\"metadata\":{\"name\":"
                       "\"x%d\"},\"spec\":%s}",
                       r->group_version, r->kind, k, specs[j].spec);
            buf_cleanup(&b);
        }
    }
    snprintf(p, sizeof(p), "/api/v1/namespaces/%s/podtemplates", ns);
    for (int k = 0; k < 3; k++)
        create(c, p,
               "{\"apiVersion\":\"v1\",\"kind\":\"PodTemplate\",\"metadata\":{\"name\":"
               "\"t%d\"},\"template\":" TEMPLATE "}",
               k);
    for (size_t i = 0; i < w.n; i++) {
        const struct kube_list_opts o = {w.res[i], ns, 1, NULL, 0, NULL};
        struct seen s = {0};
        struct kube_list_stats st;
        list(c, &o, &s, &st);
        size_t want = strcmp(w.res[i]->kind, "Pod") == 0 ? 7 : 3;
        ck_assert_msg(s.n == want, "%s: %zu items", w.res[i]->kind, s.n);
        ck_assert_uint_ge(st.pages, want); /* one item per page */
        ck_assert_uint_eq(st.restarts, 0);
        ck_assert_str_ne(st.resource_version, "");
    }
    /* pods across all namespaces, two a page */
    const struct kube_list_opts all = {&KUBE_RES_PODS, NULL, 2, NULL, 0, NULL};
    struct seen s = {0};
    struct kube_list_stats st;
    list(c, &all, &s, &st);
    ck_assert_uint_ge(s.n, 7);
    ck_assert_uint_ge(st.pages, 4);
    kube_client_free(c);
}
END_TEST

START_TEST(errors_from_the_api_server)
{
    struct kube_client *c = client_of(cfg);
    struct kube_error err;
    const char *ns = "live-crud";
    const char *coll = "/api/v1/namespaces/live-crud/configmaps";
    const char *one = "/api/v1/namespaces/live-crud/configmaps/cm";
    create_namespace(c, ns);
    const char *cm = "{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":"
                     "{\"name\":\"cm\"},\"data\":{\"a\":\"1\"}}";
    create(c, coll, "%s", cm);
    json_t *body = json_loads(cm, 0, NULL);
    /* 409 AlreadyExists */
    ck_assert_int_eq(kube_client_create(c, coll, body, NULL, &err), TG_EIO);
    ck_assert_int_eq(err.http_code, 409);
    ck_assert_str_eq(err.reason, "AlreadyExists");
    /* 409 Conflict: a replace with a stale resourceVersion */
    json_object_set_new(json_object_get(body, "metadata"), "resourceVersion",
                        json_string("1"));
    ck_assert_int_eq(kube_client_replace(c, one, body, NULL, &err), TG_EIO);
    ck_assert_int_eq(err.http_code, 409);
    ck_assert_str_eq(err.reason, "Conflict");
    ck_assert_ptr_nonnull(strstr(err.base.text, "the object has been modified"));
    /* a merge patch, then a replace with the current resourceVersion */
    json_t *patch = json_pack("{s:{s:{s:s}}}", "metadata", "labels", "tollgate", "yes");
    json_t *got = NULL;
    ck_assert_msg(kube_client_patch(c, one, patch, &got, &err) == TG_OK, "%s",
                  err.base.text);
    const json_t *meta = json_object_get(got, "metadata");
    ck_assert_str_eq(
        json_string_value(json_object_get(json_object_get(meta, "labels"), "tollgate")),
        "yes");
    json_object_set(json_object_get(body, "metadata"), "resourceVersion",
                    json_object_get(meta, "resourceVersion"));
    ck_assert_msg(kube_client_replace(c, one, body, NULL, &err) == TG_OK, "%s",
                  err.base.text);
    json_decref(got);
    /* 422 Invalid */
    json_object_set_new(json_object_get(body, "metadata"), "name",
                        json_string("Not_Valid"));
    json_object_del(json_object_get(body, "metadata"), "resourceVersion");
    ck_assert_int_eq(kube_client_create(c, coll, body, NULL, &err), TG_EIO);
    ck_assert_int_eq(err.http_code, 422);
    ck_assert_str_eq(err.reason, "Invalid");
    /* 404 NotFound, after a delete */
    ck_assert_msg(kube_client_delete(c, one, &err) == TG_OK, "%s", err.base.text);
    ck_assert_int_eq(kube_client_get(c, one, NULL, &err), TG_ENOTFOUND);
    ck_assert_str_eq(err.reason, "NotFound");
    ck_assert_ptr_nonnull(strstr(err.base.text, "configmaps \"cm\" not found"));
    /* a list of a resource that is not served (a missing CRD) */
    const struct kube_resource reports = {"wgpolicyk8s.io/v1alpha2", "policyreports",
                                          "PolicyReport", true};
    struct seen s = {0};
    const struct kube_list_sink sink = {on_item, NULL, &s};
    const struct kube_list_opts o = {&reports, NULL, 2, NULL, 0, NULL};
    ck_assert_int_eq(kube_list(c, &o, &sink, NULL, &err), TG_ENOTFOUND);
    ck_assert_int_eq(err.http_code, 404);
    json_decref(patch);
    json_decref(body);
    kube_client_free(c);
}
END_TEST

/* A copy of the cluster's kubeconfig with another user. */
static struct kube_config *config_with_user(const char *user_yaml)
{
    char path[128], text[8192];
    snprintf(path, sizeof(path), "%s/kc-user", dir);
    snprintf(text, sizeof(text),
             "current-context: e2e\n"
             "contexts:\n- name: e2e\n  context: {cluster: e2e, user: x}\n"
             "clusters:\n- name: e2e\n  cluster:\n    server: %s\n"
             "    certificate-authority: %s\n"
             "users:\n- name: x\n  user: %s\n",
             env("URL"), env("CA"), user_yaml);
    FILE *f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    fputs(text, f);
    fclose(f);
    struct kube_config_opts o = {KUBE_CONFIG_KUBECONFIG, path, NULL, NULL};
    struct kube_config *c = NULL;
    struct kube_error err;
    ck_assert_msg(kube_config_load(&o, &c, &err) == TG_OK, "%s", err.base.text);
    return c;
}

START_TEST(unauthorized_and_forbidden)
{
    struct kube_error err;
    struct kube_config *bad = config_with_user("{token: not-the-token}");
    struct kube_client *c = client_of(bad);
    ck_assert_int_eq(kube_client_get(c, "/api/v1/namespaces", NULL, &err), TG_EIO);
    ck_assert_int_eq(err.http_code, 401);
    ck_assert_str_eq(err.reason, "Unauthorized");
    kube_client_free(c);
    kube_config_free(bad);
    /* anonymous: /version is public, listing pods is not */
    struct kube_config *anon = config_with_user("{}");
    c = client_of(anon);
    ck_assert_int_eq(kube_client_get(c, "/version", NULL, &err), TG_OK);
    struct seen s = {0};
    const struct kube_list_sink sink = {on_item, NULL, &s};
    const struct kube_list_opts o = {&KUBE_RES_PODS, NULL, 2, NULL, 0, NULL};
    ck_assert_int_eq(kube_list(c, &o, &sink, NULL, &err), TG_EIO);
    ck_assert_int_eq(err.http_code, 403);
    ck_assert_str_eq(err.reason, "Forbidden");
    ck_assert_ptr_nonnull(strstr(err.base.text, "User \"system:anonymous\" cannot list "
                                                "resource \"pods\""));
    kube_client_free(c);
    kube_config_free(anon);
}
END_TEST

/* The token of the list's snapshot is compacted away after its first page:
 * the API server answers the next page with 410 Expired, and the list
 * starts over and completes. */
START_TEST(expired_continue_token)
{
    struct kube_client *c = client_of(cfg);
    const char *ns = "live-gone";
    create_namespace(c, ns);
    for (int i = 0; i < 6; i++) {
        char name[16];
        snprintf(name, sizeof(name), "pod-%d", i);
        create_pod(c, ns, name);
    }
    const struct kube_list_opts o = {&KUBE_RES_PODS, ns, 2, NULL, 0, NULL};
    struct seen s = {.compact_after_first = true};
    struct kube_list_stats st;
    list(c, &o, &s, &st);
    ck_assert(s.compacted);
    ck_assert_int_eq(s.restarts, 1);
    ck_assert_uint_eq(st.restarts, 1);
    ck_assert_uint_eq(s.n, 6); /* the complete second pass */
    ck_assert_uint_eq(st.items, 6);
    ck_assert_uint_eq(s.total, 2 + 6);
    ck_assert_uint_eq(st.pages, 1 + 3);
    kube_client_free(c);
}
END_TEST

static void write_file(const char *path, const char *text)
{
    char tmp[300];
    snprintf(tmp, sizeof(tmp), "%s.new", path);
    FILE *f = fopen(tmp, "w");
    ck_assert_ptr_nonnull(f);
    fputs(text, f);
    ck_assert_int_eq(fclose(f), 0);
    ck_assert_int_eq(rename(tmp, path), 0); /* as the kubelet swaps it */
}

START_TEST(in_cluster_with_rotation)
{
    char sa[128], path[200], cmd[512];
    snprintf(sa, sizeof(sa), "%s/serviceaccount", dir);
    snprintf(cmd, sizeof(cmd), "mkdir -p %s && cp %s %s/ca.crt", sa, env("CA"), sa);
    ck_assert_int_eq(system(cmd), 0);
    snprintf(path, sizeof(path), "%s/token", sa);
    write_file(path, "an-old-token\n");
    setenv("KUBERNETES_SERVICE_HOST", "127.0.0.1", 1);
    setenv("KUBERNETES_SERVICE_PORT", env("PORT"), 1);
    struct kube_config_opts o = {KUBE_CONFIG_IN_CLUSTER, NULL, NULL, sa};
    struct kube_config *ic = NULL;
    struct kube_error err;
    ck_assert_msg(kube_config_load(&o, &ic, &err) == TG_OK, "%s", err.base.text);
    unsetenv("KUBERNETES_SERVICE_HOST");
    unsetenv("KUBERNETES_SERVICE_PORT");
    struct kube_client *c = client_of(ic);
    ck_assert_int_eq(kube_client_get(c, "/api/v1/namespaces/default", NULL, &err),
                     TG_EIO);
    ck_assert_int_eq(err.http_code, 401);
    /* the kubelet rotates the token: the same client picks it up */
    char token[300];
    snprintf(token, sizeof(token), "%s\n", env("TOKEN"));
    write_file(path, token);
    json_t *ns = NULL;
    ck_assert_msg(kube_client_get(c, "/api/v1/namespaces/default", &ns, &err) == TG_OK,
                  "%s", err.base.text);
    ck_assert_str_eq(json_string_value(json_object_get(ns, "kind")), "Namespace");
    json_decref(ns);
    const struct kube_list_opts lo = {&KUBE_RES_NAMESPACES, NULL, 1, NULL, 0, NULL};
    struct seen s = {0};
    struct kube_list_stats st;
    list(c, &lo, &s, &st);
    ck_assert_uint_ge(s.n, 4); /* default, kube-system, kube-public, kube-node-lease */
    ck_assert_uint_ge(st.pages, 4);
    kube_client_free(c);
    kube_config_free(ic);
}
END_TEST

int main(void)
{
    alloc_json_install();
    curl_global_init(CURL_GLOBAL_DEFAULT);
    Suite *s = suite_create("kube_live");
    TCase *tc = tcase_create("live");
    tcase_add_unchecked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 600);
    tcase_add_test(tc, version_and_discovery);
    tcase_add_test(tc, every_kind_paged);
    tcase_add_test(tc, errors_from_the_api_server);
    tcase_add_test(tc, unauthorized_and_forbidden);
    tcase_add_test(tc, expired_continue_token);
    tcase_add_test(tc, in_cluster_with_rotation);
    suite_add_tcase(s, tc);
    int rc = run_suite(s);
    curl_global_cleanup();
    return rc;
}
