/* kube_fixture.h -- files and servers for the kube client suites.
 *
 * A temporary directory with certificates made by certs/tollgate-certs (a
 * CA, a serving pair for 127.0.0.1, a client pair with CN tollgate-test,
 * and a second, unrelated CA), the fake API server of fake_apiserver.py
 * running on it, and helpers that write kubeconfigs and token files.
 * Every helper fails the running test (ck_assert) instead of returning an
 * error, so call them inside the runner: start and stop the fixture in an
 * unchecked fixture (tcase_add_unchecked_fixture), which runs in the
 * parent, so forked tests share the servers.  Not thread-safe.
 */
#ifndef TOLLGATE_KUBE_FIXTURE_H
#define TOLLGATE_KUBE_FIXTURE_H

#include <stdbool.h>
#include <sys/types.h>

#include "kube_config.h"

struct kube_fixture {
    char dir[64];         /* /tmp/tollgate-kube-XXXXXX */
    char server[64];      /* "https://127.0.0.1:PORT" of the fake API server */
    char mtls_server[64]; /* the same, but refusing clients without a certificate */
    char tokens[128];     /* the servers' accepted tokens, a line each */
    pid_t pid, mtls_pid;  /* the fake servers, 0 when not running */
};

/* Make the directory and the certificates; start both fake API servers
 * when `serve`.  They accept the token "tok1" until kube_fixture_accept
 * says otherwise. */
void kube_fixture_start(struct kube_fixture *f, bool serve);

/* Stop the servers and remove the directory. */
void kube_fixture_stop(struct kube_fixture *f);

/* Path of `name` in the fixture's directory (a rotating static buffer of
 * eight). */
const char *kube_fixture_path(const struct kube_fixture *f, const char *name);

/* Write `text` to DIR/name (replacing it via rename when `swap`, as the
 * kubelet swaps a mounted token; in place otherwise).  Returns the path. */
const char *kube_fixture_write(const struct kube_fixture *f, const char *name,
                               const char *text, bool swap);

/* The server accepts exactly these tokens (one line each) from now on. */
void kube_fixture_accept(const struct kube_fixture *f, const char *tokens);

/* base64 of the whole file DIR/name, one line, in a new malloc'd string. */
char *kube_fixture_b64(const struct kube_fixture *f, const char *name);

/* A kubeconfig at DIR/name with one context "test" (namespace "testns")
 * on cluster `server` (NULL: the fake server) with `cluster_extra` and
 * user `user_yaml` (both YAML mapping lines indented by 4, may be "").
 * Returns the path. */
const char *kube_fixture_kubeconfig(const struct kube_fixture *f, const char *name,
                                    const char *server, const char *cluster_extra,
                                    const char *user_yaml);

/* Load that kubeconfig (the test fails if it does not load). */
struct kube_config *kube_fixture_config(const char *kubeconfig_path);

#endif
