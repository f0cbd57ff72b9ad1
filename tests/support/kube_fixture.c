/* kube_fixture.c -- certificates, the fake API server, kubeconfig files. */
#include "kube_fixture.h"

#include <check.h>
#include <errno.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>

extern char **environ;

static void run(const char *cmd)
{
    ck_assert_msg(system(cmd) == 0, "failed: %s", cmd);
}

const char *kube_fixture_path(const struct kube_fixture *f, const char *name)
{
    static char paths[8][256];
    static int next;
    char *p = paths[next++ % 8];
    snprintf(p, 256, "%s/%s", f->dir, name);
    return p;
}

const char *kube_fixture_write(const struct kube_fixture *f, const char *name,
                               const char *text, bool swap)
{
    const char *path = kube_fixture_path(f, name);
    char tmp[300];
    snprintf(tmp, sizeof(tmp), "%s.new", path);
    FILE *out = fopen(swap ? tmp : path, swap ? "w" : "r+");
    if (!out && !swap)
        out = fopen(path, "w"); /* in place, but it did not exist yet */
    ck_assert_msg(out != NULL, "cannot write %s: %s", path, strerror(errno));
    ck_assert_int_eq(fputs(text, out) >= 0, 1);
    ck_assert_int_eq(fflush(out), 0);
    ck_assert_int_eq(ftruncate(fileno(out), (off_t)strlen(text)), 0);
    ck_assert_int_eq(fclose(out), 0);
    if (swap)
        ck_assert_int_eq(rename(tmp, path), 0);
    return path;
}

void kube_fixture_accept(const struct kube_fixture *f, const char *tokens)
{
    /* swapped, so the server never reads a half-written list */
    kube_fixture_write(f, "tokens", tokens, true);
}

char *kube_fixture_b64(const struct kube_fixture *f, const char *name)
{
    const char *path = kube_fixture_path(f, name);
    FILE *in = fopen(path, "rb");
    ck_assert_msg(in != NULL, "cannot read %s", path);
    unsigned char data[16384];
    size_t n = fread(data, 1, sizeof(data), in);
    fclose(in);
    ck_assert_uint_lt(n, sizeof(data));
    char *out = malloc(n / 3 * 4 + 8);
    ck_assert_ptr_nonnull(out);
    EVP_EncodeBlock((unsigned char *)out, data, (int)n);
    return out;
}

static void start_server(struct kube_fixture *f, bool require_cert, pid_t *pid,
                         char *server, size_t server_len)
{
    char port_file[128], port[16] = "";
    snprintf(port_file, sizeof(port_file), "%s/port%s", f->dir,
             require_cert ? "-mtls" : "");
    char script[512], cert[256], key[256], ca[256];
    snprintf(script, sizeof(script), "%s/tests/support/fake_apiserver.py",
             TOLLGATE_SOURCE_DIR);
    snprintf(cert, sizeof(cert), "%s/certs/tls.crt", f->dir);
    snprintf(key, sizeof(key), "%s/certs/tls.key", f->dir);
    snprintf(ca, sizeof(ca), "%s/certs/ca.crt", f->dir);
    char python[] = "/usr/bin/python3", mtls[] = "--require-client-cert";
    char *argv[] = {python, script, port_file, cert,
                    key,    ca,     f->tokens, require_cert ? mtls : NULL,
                    NULL};
    ck_assert_int_eq(posix_spawn(pid, argv[0], NULL, NULL, argv, environ), 0);
    /* until it listens: a bound on waiting, not a timed assertion */
    struct timespec ts = {0, 20 * 1000 * 1000};
    for (int i = 0; i < 1500; i++) {
        FILE *pf = fopen(port_file, "r");
        if (pf) {
            ck_assert_ptr_nonnull(fgets(port, sizeof(port), pf));
            fclose(pf);
            break;
        }
        ck_assert_msg(waitpid(*pid, NULL, WNOHANG) == 0, "fake_apiserver.py exited");
        nanosleep(&ts, NULL);
    }
    ck_assert_msg(port[0], "fake_apiserver.py did not start");
    snprintf(server, server_len, "https://127.0.0.1:%s", port);
}

void kube_fixture_start(struct kube_fixture *f, bool serve)
{
    memset(f, 0, sizeof(*f));
    snprintf(f->dir, sizeof(f->dir), "/tmp/tollgate-kube-XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(f->dir));
    char cmd[512];
    snprintf(cmd, sizeof(cmd),
             "%s/certs/tollgate-certs --out %s/certs --client tollgate-test >/dev/null "
             "2>&1 && %s/certs/tollgate-certs --out %s/other >/dev/null 2>&1",
             TOLLGATE_SOURCE_DIR, f->dir, TOLLGATE_SOURCE_DIR, f->dir);
    run(cmd);
    snprintf(f->tokens, sizeof(f->tokens), "%s/tokens", f->dir);
    kube_fixture_accept(f, "tok1\n");
    if (serve) {
        start_server(f, false, &f->pid, f->server, sizeof(f->server));
        start_server(f, true, &f->mtls_pid, f->mtls_server, sizeof(f->mtls_server));
    }
}

void kube_fixture_stop(struct kube_fixture *f)
{
    pid_t *pids[] = {&f->pid, &f->mtls_pid};
    for (size_t i = 0; i < 2; i++) {
        if (*pids[i] > 0) {
            kill(*pids[i], SIGTERM);
            waitpid(*pids[i], NULL, 0);
            *pids[i] = 0;
        }
    }
    if (f->dir[0]) {
        char cmd[128];
        snprintf(cmd, sizeof(cmd), "rm -rf %s", f->dir);
        run(cmd);
        f->dir[0] = '\0';
    }
}

const char *kube_fixture_kubeconfig(const struct kube_fixture *f, const char *name,
                                    const char *server, const char *cluster_extra,
                                    const char *user_yaml)
{
    char text[65536];
    int n = snprintf(text, sizeof(text),
                     "apiVersion: v1\n"
                     "kind: Config\n"
                     "current-context: test\n"
                     "clusters:\n"
                     "- name: fake\n"
                     "  cluster:\n"
                     "    server: %s\n"
                     "%s"
                     "contexts:\n"
                     "- name: test\n"
                     "  context: {cluster: fake, user: tester, namespace: testns}\n"
                     "users:\n"
                     "- name: tester\n"
                     "  user:\n"
                     "%s",
                     server ? server : f->server, cluster_extra, user_yaml);
    ck_assert_int_lt(n, (int)sizeof(text));
    return kube_fixture_write(f, name, text, false);
}

struct kube_config *kube_fixture_config(const char *kubeconfig_path)
{
    struct kube_config_opts o = {KUBE_CONFIG_KUBECONFIG, kubeconfig_path, NULL, NULL};
    struct kube_config *cfg = NULL;
    struct kube_error err;
    enum tg_rc rc = kube_config_load(&o, &cfg, &err);
    ck_assert_msg(rc == TG_OK, "%s: %s", err.base.source, err.base.text);
    return cfg;
}
