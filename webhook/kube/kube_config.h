/* kube_config.h -- where the Kubernetes API server is and who we are to it.
 *
 * Two sources, as client-go and kubectl have them:
 *
 * In-cluster (a pod): https://$KUBERNETES_SERVICE_HOST:$KUBERNETES_SERVICE_PORT
 * (an IPv6 host gets brackets), the service-account CA `ca.crt`, the bearer
 * token `token` and the pod's `namespace` from the service-account directory
 * (/var/run/secrets/kubernetes.io/serviceaccount, overridable).  The token
 * is read now, and again by each client whenever the file changes (bound
 * service-account tokens are rotated by the kubelet, about hourly).
 *
 * Kubeconfig (the CLI): `--kubeconfig FILE`, else $KUBECONFIG (a
 * ':'-separated list of files, merged as kubectl merges them: files that do
 * not exist are skipped, the first file to set current-context wins, and a
 * context, cluster or user is taken from the first file that defines that
 * name), else ~/.kube/config.  The YAML is read with kubectl's typing
 * (manifest.h).  From the context (current-context, or `--context`): the
 * cluster's `server`, `certificate-authority` (a file) or
 * `certificate-authority-data` (base64 PEM), `insecure-skip-tls-verify`;
 * the user's `client-certificate(-data)` + `client-key(-data)` and/or
 * `token` / `tokenFile` (the file wins, and is re-read when it changes, as
 * in-cluster); the context's `namespace`.  Relative file names resolve
 * against the directory of the kubeconfig file that names them.  What
 * tollgate cannot do is refused with the reason, never silently dropped:
 * `exec` and `auth-provider` plugins, `username`/`password`,
 * `tls-server-name`, `proxy-url` (use HTTPS_PROXY; libcurl honours the
 * proxy variables as kubectl does).  A CA together with
 * insecure-skip-tls-verify is refused, as kubectl refuses it.
 *
 * Every file is read once, by kube_config_load (the token file again by the
 * client), and every PEM is checked here: a CA bundle must hold a
 * certificate, a client certificate must match its key.  Errors name the
 * file and the field, in kubeconfig terms, and say what to do:
 *   /home/ana/.kube/config: users["dev"].user.client-key: file
 *   "/home/ana/.kube/dev.key" cannot be read: No such file or directory
 *   /home/ana/.kube/config: context "prod" not found (contexts: dev, staging)
 *
 * A loaded struct kube_config is never written again: share it read-only
 * among any number of clients and threads (kube_client.h).  Loading reads
 * the environment (getenv), so load before starting threads that setenv.
 */
#ifndef TOLLGATE_KUBE_CONFIG_H
#define TOLLGATE_KUBE_CONFIG_H

#include <stdbool.h>
#include <stddef.h>

#include "kube_error.h"

#define KUBE_SA_DIR "/var/run/secrets/kubernetes.io/serviceaccount"

/* Where to look. */
enum kube_config_mode {
    /* --kubeconfig if given, else $KUBECONFIG if set, else ~/.kube/config if
     * it exists, else in-cluster if $KUBERNETES_SERVICE_HOST is set, else an
     * error saying all of that.  What kubectl does. */
    KUBE_CONFIG_AUTO,
    KUBE_CONFIG_IN_CLUSTER, /* the service account only */
    KUBE_CONFIG_KUBECONFIG, /* a kubeconfig only */
};

/* What the caller chose; every field may be NULL/0 for the default.
 * Strings are borrowed for the duration of kube_config_load only. */
struct kube_config_opts {
    enum kube_config_mode mode;
    const char *kubeconfig; /* --kubeconfig: exactly this file (must exist) */
    const char *context;    /* --context: instead of current-context */
    const char *sa_dir;     /* in-cluster files; NULL = KUBE_SA_DIR (tests) */
};

enum kube_auth {
    KUBE_AUTH_NONE,       /* anonymous (a kubeconfig user with no credentials) */
    KUBE_AUTH_TOKEN,      /* a bearer token given inline (kubeconfig `token`) */
    KUBE_AUTH_TOKEN_FILE, /* a bearer token read from token_file, re-read on change */
};

/* The loaded configuration.  Read-only for everyone after kube_config_load;
 * every pointer is owned by the struct (freed by kube_config_free).  PEM
 * blobs are the bytes as read (NUL-terminated, len without the NUL). */
struct kube_config {
    char *server; /* "https://10.96.0.1:443", "https://host:6443/prefix":
                   * scheme://authority[/path], no trailing '/' */
    char *ca_pem; /* trusted CA bundle, or NULL = the system's CAs */
    size_t ca_len;
    bool insecure;  /* insecure-skip-tls-verify: no server verification */
    char *cert_pem; /* client certificate (chain), or NULL */
    size_t cert_len;
    char *key_pem; /* its private key (wiped on free), or NULL with cert_pem */
    size_t key_len;
    enum kube_auth auth;
    char *token;      /* KUBE_AUTH_TOKEN: the token (wiped on free); else NULL */
    char *token_file; /* KUBE_AUTH_TOKEN_FILE: absolute or as given; else NULL */
    char *namespace_; /* the context's or the pod's namespace; "default" if none */
    char *origin;     /* for logs: "kubeconfig /home/ana/.kube/config, context
                       * dev" or "in-cluster, service account directory
                       * /var/run/secrets/kubernetes.io/serviceaccount"; no
                       * secrets */
};

/* Load per `opts` (NULL = all defaults, KUBE_CONFIG_AUTO).  On TG_OK *out
 * owns a new configuration; release with kube_config_free.  Errors (fault
 * KUBE_FAULT_LOCAL; base.source is the file, or "in-cluster" / "kubeconfig"
 * when there is no file):
 *   TG_ENOTFOUND no configuration at all (AUTO), the --kubeconfig file or
 *                every $KUBECONFIG file missing, KUBERNETES_SERVICE_HOST or
 *                _PORT unset (IN_CLUSTER), the context / cluster / user
 *                named but not defined
 *   TG_EINVAL    malformed YAML (with line and column), a field of the wrong
 *                type, a missing server, bad base64 or PEM, a certificate
 *                without its key (or not matching it), an unsupported
 *                feature (see above), a bad host or port, an empty file
 *                where a CA or token must be, a token that is no token
 *   TG_EIO       a file that cannot be read (or a named certificate or
 *                token file that does not exist)
 *   TG_ETOOBIG   a file over its cap (16 MiB kubeconfig, 1 MiB PEM)
 *   TG_ENOMEM.
 * Reads files and the environment; thread-safe otherwise. */
TG_MUST_CHECK enum tg_rc kube_config_load(const struct kube_config_opts *opts,
                                          struct kube_config **out,
                                          struct kube_error *err);

/* Free everything, wiping the key and the token first.  NULL-safe; no
 * client made from it may still exist. */
void kube_config_free(struct kube_config *cfg);

/* "none", "token", "token file": for logs. */
const char *kube_auth_str(enum kube_auth auth);

#endif
