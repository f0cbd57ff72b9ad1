/* cluster_fixture.c -- the fake cluster as a child process. */
#include "cluster_fixture.h"

#include <check.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

static void wait_port(struct cluster_fixture *f, const char *port_file)
{
    char port[16] = "";
    struct timespec ts = {0, 20 * 1000 * 1000};
    for (int i = 0; i < 1500 && !port[0]; i++) { /* a bound on waiting, not a timing */
        FILE *pf = fopen(port_file, "r");
        if (pf) {
            ck_assert_ptr_nonnull(fgets(port, sizeof(port), pf));
            fclose(pf);
            break;
        }
        ck_assert_msg(waitpid(f->pid, NULL, WNOHANG) == 0, "fake_cluster.py exited");
        nanosleep(&ts, NULL);
    }
    ck_assert_msg(port[0], "fake_cluster.py did not start");
    snprintf(f->server, sizeof(f->server), "http://127.0.0.1:%s", port);
}

static void load_kubeconfig(struct cluster_fixture *f)
{
    char path[128];
    snprintf(path, sizeof(path), "%s/kubeconfig", f->dir);
    FILE *out = fopen(path, "w");
    ck_assert_ptr_nonnull(out);
    fprintf(out,
            "apiVersion: v1\nkind: Config\ncurrent-context: fake\n"
            "clusters: [{name: fake, cluster: {server: \"%s\"}}]\n"
            "users: [{name: u, user: {}}]\n"
            "contexts: [{name: fake, context: {cluster: fake, user: u, namespace: "
            "tollgate-system}}]\n",
            f->server);
    fclose(out);
    struct kube_config_opts o = {.mode = KUBE_CONFIG_KUBECONFIG, .kubeconfig = path};
    struct kube_error err;
    kube_error_clear(&err);
    ck_assert_msg(kube_config_load(&o, &f->kube, &err) == TG_OK, "%s", err.base.text);
    ck_assert_int_eq(kube_client_new(f->kube, NULL, &f->ctl, &err), TG_OK);
}

void cluster_fixture_start(struct cluster_fixture *f)
{
    memset(f, 0, sizeof(*f));
    snprintf(f->dir, sizeof(f->dir), "/tmp/tollgate-cluster-XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(f->dir));
    char port_file[128], script[512];
    snprintf(port_file, sizeof(port_file), "%s/port", f->dir);
    snprintf(script, sizeof(script), "%s/tests/support/fake_cluster.py",
             TOLLGATE_SOURCE_DIR);
    char python[] = "/usr/bin/python3";
    char *argv[] = {python, script, port_file, NULL};
    ck_assert_int_eq(posix_spawn(&f->pid, argv[0], NULL, NULL, argv, environ), 0);
    wait_port(f, port_file);
    load_kubeconfig(f);
}

void cluster_fixture_stop(struct cluster_fixture *f)
{
    kube_client_free(f->ctl);
    kube_config_free(f->kube);
    f->ctl = NULL;
    f->kube = NULL;
    if (f->pid > 0) {
        kill(f->pid, SIGTERM);
        waitpid(f->pid, NULL, 0);
        f->pid = 0;
    }
    if (f->dir[0]) {
        char cmd[128];
        snprintf(cmd, sizeof(cmd), "rm -rf %s", f->dir);
        ck_assert_int_eq(system(cmd), 0);
        f->dir[0] = '\0';
    }
}

void cluster_fixture_control(struct cluster_fixture *f, const char *what,
                             const char *json)
{
    char path[128];
    snprintf(path, sizeof(path), "/_control/%s", what);
    json_t *body = json ? json_loads(json, JSON_DECODE_ANY, NULL) : NULL;
    ck_assert_msg(!json || body, "bad control JSON: %s", json);
    struct kube_call call = {
        .method = json ? KUBE_POST : KUBE_DELETE, .path = path, .body = body};
    struct kube_error err;
    kube_error_clear(&err);
    ck_assert_msg(kube_client_call(f->ctl, &call, NULL, &err) == TG_OK, "%s",
                  err.base.text);
    json_decref(body);
}

json_t *cluster_fixture_get(struct cluster_fixture *f, const char *path)
{
    json_t *out = NULL;
    struct kube_error err;
    kube_error_clear(&err);
    enum tg_rc rc = kube_client_get(f->ctl, path, &out, &err);
    if (rc == TG_ENOTFOUND)
        return NULL;
    ck_assert_msg(rc == TG_OK, "GET %s: %s", path, err.base.text);
    return out;
}

size_t cluster_fixture_count(struct cluster_fixture *f, const char *prefix)
{
    json_t *log = cluster_fixture_get(f, "/_control/log");
    size_t i, n = 0;
    const json_t *line;
    json_array_foreach(json_object_get(log, "items"), i, line)
    {
        n += strncmp(json_string_value(line), prefix, strlen(prefix)) == 0;
    }
    json_decref(log);
    return n;
}
