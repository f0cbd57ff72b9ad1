/* check_kube_config.c -- kubeconfig files and the in-cluster configuration.
 *
 * Table rows of kubeconfigs as people write them (inline data and files,
 * relative paths, contexts, tokens, client certificates, kubectl's YAML
 * typing) and as they get them wrong: each error row asserts the code, the
 * file named and the message.  Then merging $KUBECONFIG, the AUTO order
 * (--kubeconfig, KUBECONFIG, ~/.kube/config, in-cluster), the in-cluster
 * environment and files, and allocation failures.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "alloc.h"
#include "alloc_json.h"
#include "kube_config.h"
#include "kube_fixture.h"
#include "testutil.h"

static struct kube_fixture fx;
static char *ca_b64, *cert_b64, *key_b64, *other_key_b64;

/* The environment each test starts from: nothing configured. */
static void env_reset(void)
{
    unsetenv("KUBECONFIG");
    unsetenv("KUBERNETES_SERVICE_HOST");
    unsetenv("KUBERNETES_SERVICE_PORT");
    setenv("HOME", kube_fixture_path(&fx, "nohome"), 1);
}

/* `tmpl` with @DIR@, @CA@, @CERT@, @KEY@ and @OTHERKEY@ filled in. */
static char *expand(const char *tmpl)
{
    const struct {
        const char *key, *value;
    } subst[] = {{"@DIR@", fx.dir},
                 {"@CA@", ca_b64},
                 {"@CERT@", cert_b64},
                 {"@KEY@", key_b64},
                 {"@OTHERKEY@", other_key_b64}};
    size_t cap = strlen(tmpl) + 1;
    for (size_t i = 0; i < ARRAY_LEN(subst); i++)
        cap += 4 * strlen(subst[i].value);
    char *out = malloc(cap), *w = out;
    ck_assert_ptr_nonnull(out);
    for (const char *p = tmpl; *p;) {
        size_t i = 0;
        while (i < ARRAY_LEN(subst) &&
               strncmp(p, subst[i].key, strlen(subst[i].key)) != 0)
            i++;
        if (i == ARRAY_LEN(subst)) {
            *w++ = *p++;
            continue;
        }
        w += snprintf(w, cap - (size_t)(w - out), "%s", subst[i].value);
        p += strlen(subst[i].key);
    }
    *w = '\0';
    return out;
}

#define CTX                                                                              \
    "current-context: a\n"                                                               \
    "contexts:\n"                                                                        \
    "- name: a\n"                                                                        \
    "  context: {cluster: c, user: u}\n"
#define CLUSTER(extra)                                                                   \
    "clusters:\n"                                                                        \
    "- name: c\n"                                                                        \
    "  cluster:\n"                                                                       \
    "    server: https://127.0.0.1:6443\n" extra
#define USER(extra)                                                                      \
    "users:\n"                                                                           \
    "- name: u\n"                                                                        \
    "  user:\n" extra
#define TOKEN USER("    token: abc\n")

enum where { NOWHERE, IN_KUBECONFIG, IN_TOKEN_FILE };

#define OK(server_, auth_, ns_, ca_, cert_, insecure_)                                   \
    .server = server_, .auth = auth_, .ns = ns_, .ca = ca_, .cert = cert_,               \
    .insecure = insecure_

static const struct row {
    const char *name, *yaml, *context;
    enum tg_rc rc;
    /* on success */
    const char *server;
    enum kube_auth auth;
    const char *ns;
    bool ca, cert, insecure;
    /* on failure */
    enum where source;
    const char *text;
} rows[] = {
    {"token", CTX CLUSTER("") TOKEN, NULL, TG_OK,
     OK("https://127.0.0.1:6443", KUBE_AUTH_TOKEN, "default", false, false, false)},
    {"server with a path",
     CTX "clusters:\n- name: c\n  cluster:\n    server: "
         "https://h.example:6443/k8s/clusters/c-1/\n" TOKEN,
     NULL, TG_OK,
     OK("https://h.example:6443/k8s/clusters/c-1", KUBE_AUTH_TOKEN, "default", false,
        false, false)},
    {"token file, relative", CTX CLUSTER("") USER("    tokenFile: tokfile\n"), NULL,
     TG_OK,
     OK("https://127.0.0.1:6443", KUBE_AUTH_TOKEN_FILE, "default", false, false, false)},
    {"token file wins", CTX CLUSTER("") USER("    token: abc\n    tokenFile: tokfile\n"),
     NULL, TG_OK,
     OK("https://127.0.0.1:6443", KUBE_AUTH_TOKEN_FILE, "default", false, false, false)},
    {"CA file, relative", CTX CLUSTER("    certificate-authority: certs/ca.crt\n") TOKEN,
     NULL, TG_OK,
     OK("https://127.0.0.1:6443", KUBE_AUTH_TOKEN, "default", true, false, false)},
    {"CA file, absolute",
     CTX CLUSTER("    certificate-authority: @DIR@/certs/ca.crt\n") TOKEN, NULL, TG_OK,
     OK("https://127.0.0.1:6443", KUBE_AUTH_TOKEN, "default", true, false, false)},
    {"CA data", CTX CLUSTER("    certificate-authority-data: @CA@\n") TOKEN, NULL, TG_OK,
     OK("https://127.0.0.1:6443", KUBE_AUTH_TOKEN, "default", true, false, false)},
    {"client certificate data",
     CTX CLUSTER("")
         USER("    client-certificate-data: @CERT@\n    client-key-data: @KEY@\n"),
     NULL, TG_OK,
     OK("https://127.0.0.1:6443", KUBE_AUTH_NONE, "default", false, true, false)},
    {"client certificate files",
     CTX CLUSTER("") USER("    client-certificate: certs/client.crt\n"
                          "    client-key: certs/client.key\n    token: abc\n"),
     NULL, TG_OK,
     OK("https://127.0.0.1:6443", KUBE_AUTH_TOKEN, "default", false, true, false)},
    {"insecure", CTX CLUSTER("    insecure-skip-tls-verify: true\n") TOKEN, NULL, TG_OK,
     OK("https://127.0.0.1:6443", KUBE_AUTH_TOKEN, "default", false, false, true)},
    {"insecure: yes (YAML 1.1, as kubectl reads it)",
     CTX CLUSTER("    insecure-skip-tls-verify: yes\n") TOKEN, NULL, TG_OK,
     OK("https://127.0.0.1:6443", KUBE_AUTH_TOKEN, "default", false, false, true)},
    {"namespace",
     "current-context: a\ncontexts:\n- name: a\n  context: {cluster: c, user: "
     "u, namespace: shop}\n" CLUSTER("") TOKEN,
     NULL, TG_OK,
     OK("https://127.0.0.1:6443", KUBE_AUTH_TOKEN, "shop", false, false, false)},
    {"--context",
     CTX "- name: b\n  context: {cluster: c2}\n" CLUSTER(
         "- name: c2\n  cluster: {server: 'http://10.0.0.2:8080'}\n") TOKEN,
     "b", TG_OK,
     OK("http://10.0.0.2:8080", KUBE_AUTH_NONE, "default", false, false, false)},
    {"no user: anonymous",
     "current-context: a\ncontexts:\n- name: a\n  context: {cluster: c}\n" CLUSTER(""),
     NULL, TG_OK,
     OK("https://127.0.0.1:6443", KUBE_AUTH_NONE, "default", false, false, false)},
    {"empty token is unset", CTX CLUSTER("") USER("    token: ''\n"), NULL, TG_OK,
     OK("https://127.0.0.1:6443", KUBE_AUTH_NONE, "default", false, false, false)},

    {"no current-context", CLUSTER("") TOKEN, NULL, TG_ENOTFOUND, .source = IN_KUBECONFIG,
     .text = "no current-context is set; pass --context"},
    {"unknown current-context",
     "current-context: nope\ncontexts:\n- name: a\n  context: {cluster: c}\n"
     "- name: b\n  context: {cluster: c}\n" CLUSTER(""),
     NULL, TG_ENOTFOUND, .source = IN_KUBECONFIG,
     .text = "context \"nope\" not found (contexts: a, b)"},
    {"unknown --context", CTX CLUSTER("") TOKEN, "zz", TG_ENOTFOUND,
     .source = IN_KUBECONFIG, .text = "context \"zz\" not found (contexts: a)"},
    {"unknown cluster",
     "current-context: a\ncontexts:\n- name: a\n  context: {cluster: x}\n" CLUSTER(""),
     NULL, TG_ENOTFOUND, .source = IN_KUBECONFIG,
     .text = "contexts[\"a\"].context.cluster: cluster \"x\" not found (clusters: c)"},
    {"unknown user", CTX CLUSTER(""), NULL, TG_ENOTFOUND, .source = IN_KUBECONFIG,
     .text = "contexts[\"a\"].context.user: user \"u\" not found (users: none)"},
    {"context without cluster",
     "current-context: a\ncontexts:\n- name: a\n  context: {user: u}\n" CLUSTER("") TOKEN,
     NULL, TG_EINVAL, .source = IN_KUBECONFIG,
     .text = "contexts[\"a\"].context.cluster: missing"},
    {"no server", CTX "clusters:\n- name: c\n  cluster: {}\n" TOKEN, NULL, TG_EINVAL,
     .source = IN_KUBECONFIG, .text = "clusters[\"c\"].cluster.server: missing"},
    {"server not a URL",
     CTX "clusters:\n- name: c\n  cluster: {server: '127.0.0.1:6443'}\n" TOKEN, NULL,
     TG_EINVAL, .source = IN_KUBECONFIG,
     .text = "server: \"127.0.0.1:6443\" is not an https:// (or http://) URL"},
    {"server not a string", CTX "clusters:\n- name: c\n  cluster: {server: 5}\n" TOKEN,
     NULL, TG_EINVAL, .source = IN_KUBECONFIG,
     .text = "clusters[\"c\"].cluster.server: expected a string"},
    {"insecure as a string",
     CTX CLUSTER("    insecure-skip-tls-verify: \"true\"\n") TOKEN, NULL, TG_EINVAL,
     .source = IN_KUBECONFIG, .text = "insecure-skip-tls-verify: expected true or false"},
    {"CA and insecure",
     CTX CLUSTER(
         "    insecure-skip-tls-verify: true\n    certificate-authority-data: @CA@\n")
         TOKEN,
     NULL, TG_EINVAL, .source = IN_KUBECONFIG,
     .text = "a certificate authority and insecure-skip-tls-verify: true are both set"},
    {"CA file and data",
     CTX CLUSTER("    certificate-authority: certs/ca.crt\n"
                 "    certificate-authority-data: @CA@\n") TOKEN,
     NULL, TG_EINVAL, .source = IN_KUBECONFIG,
     .text =
         "both certificate-authority and certificate-authority-data are set; keep one"},
    {"CA file missing", CTX CLUSTER("    certificate-authority: nope.crt\n") TOKEN, NULL,
     TG_EIO, .source = IN_KUBECONFIG,
     .text = "clusters[\"c\"].cluster.certificate-authority: file \"@DIR@/nope.crt\" "
             "cannot be read: No such file or directory"},
    {"CA file empty", CTX CLUSTER("    certificate-authority: empty\n") TOKEN, NULL,
     TG_EINVAL, .source = IN_KUBECONFIG, .text = "file \"@DIR@/empty\" is empty"},
    {"CA file a directory", CTX CLUSTER("    certificate-authority: certs\n") TOKEN, NULL,
     TG_EIO, .source = IN_KUBECONFIG, .text = "\"@DIR@/certs\" is not a regular file"},
    {"CA data not base64",
     CTX CLUSTER("    certificate-authority-data: 'not base64!'\n") TOKEN, NULL,
     TG_EINVAL, .source = IN_KUBECONFIG,
     .text = "certificate-authority-data: not valid base64"},
    {"CA data not PEM", CTX CLUSTER("    certificate-authority-data: aGVsbG8K\n") TOKEN,
     NULL, TG_EINVAL, .source = IN_KUBECONFIG,
     .text = "certificate-authority: no PEM certificate in it"},
    {"certificate without key",
     CTX CLUSTER("") USER("    client-certificate-data: @CERT@\n"), NULL, TG_EINVAL,
     .source = IN_KUBECONFIG,
     .text = "users[\"u\"].user: client-certificate is set without client-key"},
    {"key without certificate",
     CTX CLUSTER("") USER("    client-key: certs/client.key\n"), NULL, TG_EINVAL,
     .source = IN_KUBECONFIG, .text = "client-key is set without client-certificate"},
    {"key of another certificate",
     CTX CLUSTER("") USER("    client-certificate-data: @CERT@\n"
                          "    client-key-data: @OTHERKEY@\n"),
     NULL, TG_EINVAL, .source = IN_KUBECONFIG,
     .text = "client-key: does not belong to client-certificate"},
    {"certificate not PEM",
     CTX CLUSTER("")
         USER("    client-certificate-data: aGVsbG8K\n    client-key-data: @KEY@\n"),
     NULL, TG_EINVAL, .source = IN_KUBECONFIG,
     .text = "client-certificate: no PEM certificate in it"},
    {"exec plugin", CTX CLUSTER("") USER("    exec: {command: aws}\n"), NULL, TG_EINVAL,
     .source = IN_KUBECONFIG,
     .text = "users[\"u\"].user.exec: credential plugins (exec)"},
    {"auth-provider", CTX CLUSTER("") USER("    auth-provider: {name: gcp}\n"), NULL,
     TG_EINVAL, .source = IN_KUBECONFIG,
     .text = "auth-provider plugins are not supported"},
    {"basic auth", CTX CLUSTER("") USER("    username: a\n    password: b\n"), NULL,
     TG_EINVAL, .source = IN_KUBECONFIG,
     .text = "basic authentication (username/password)"},
    {"tls-server-name", CTX CLUSTER("    tls-server-name: api\n") TOKEN, NULL, TG_EINVAL,
     .source = IN_KUBECONFIG, .text = "tls-server-name is not supported"},
    {"proxy-url", CTX CLUSTER("    proxy-url: http://proxy:3128\n") TOKEN, NULL,
     TG_EINVAL, .source = IN_KUBECONFIG, .text = "set HTTPS_PROXY instead"},
    {"malformed YAML", "clusters: [\n  {name: c\n", NULL, TG_EINVAL,
     .source = IN_KUBECONFIG, .text = ""},
    {"clusters not a list", CTX "clusters: {c: 1}\n" TOKEN, NULL, TG_EINVAL,
     .source = IN_KUBECONFIG, .text = "clusters: expected a list"},
    {"cluster not a mapping", CTX "clusters:\n- name: c\n  cluster: 5\n" TOKEN, NULL,
     TG_EINVAL, .source = IN_KUBECONFIG,
     .text = "clusters[\"c\"].cluster: expected a mapping"},
    {"two documents", CTX CLUSTER("") TOKEN "---\n" CTX, NULL, TG_EINVAL,
     .source = IN_KUBECONFIG, .text = "holds 2 YAML documents; a kubeconfig is one"},
    {"duplicate key", CTX CLUSTER("") TOKEN "current-context: b\n", NULL, TG_EINVAL,
     .source = IN_KUBECONFIG, .text = "current-context"},
    {"token with a space", CTX CLUSTER("") USER("    token: 'a b'\n"), NULL, TG_EINVAL,
     .source = IN_KUBECONFIG, .text = "users[\"u\"].user.token: holds spaces"},
    {"token file missing", CTX CLUSTER("") USER("    tokenFile: nope\n"), NULL, TG_EIO,
     .source = IN_TOKEN_FILE,
     .text = "the bearer token file cannot be read: No such file or directory"},
    {"token file empty", CTX CLUSTER("") USER("    tokenFile: empty\n"), NULL, TG_EINVAL,
     .source = IN_TOKEN_FILE, .text = "the bearer token file is empty"},
    {"token file with spaces", CTX CLUSTER("") USER("    tokenFile: spacetok\n"), NULL,
     TG_EINVAL, .source = IN_TOKEN_FILE, .text = "holds spaces or control characters"},
};

START_TEST(kubeconfigs)
{
    const struct row *r = &rows[_i];
    env_reset();
    char *text = expand(r->yaml);
    const char *path = kube_fixture_write(&fx, "kc-row", text, false);
    free(text);
    struct kube_config_opts o = {KUBE_CONFIG_KUBECONFIG, path, r->context, NULL};
    struct kube_config *cfg = NULL;
    struct kube_error err;
    enum tg_rc rc = kube_config_load(&o, &cfg, &err);
    ck_assert_msg(rc == r->rc, "%s: rc %d, %s: %s", r->name, rc, err.base.source,
                  err.base.text);
    if (rc != TG_OK) {
        char *want = expand(r->text);
        ck_assert_ptr_null(cfg);
        ck_assert_int_eq(err.fault, KUBE_FAULT_LOCAL);
        ck_assert_msg(strstr(err.base.text, want), "%s: \"%s\" lacks \"%s\"", r->name,
                      err.base.text, want);
        free(want);
        if (r->source == IN_KUBECONFIG)
            ck_assert_str_eq(err.base.source, path);
        else if (r->source == IN_TOKEN_FILE)
            ck_assert_ptr_nonnull(strstr(err.base.source, fx.dir));
        return;
    }
    ck_assert_str_eq(cfg->server, r->server);
    ck_assert_str_eq(kube_auth_str(cfg->auth), kube_auth_str(r->auth));
    ck_assert_str_eq(cfg->namespace_, r->ns);
    ck_assert_int_eq(cfg->ca_pem != NULL, r->ca);
    ck_assert_int_eq(cfg->cert_pem != NULL && cfg->key_pem != NULL, r->cert);
    ck_assert_int_eq(cfg->insecure, r->insecure);
    if (cfg->auth == KUBE_AUTH_TOKEN)
        ck_assert_str_eq(cfg->token, "abc");
    if (cfg->auth == KUBE_AUTH_TOKEN_FILE)
        ck_assert_str_eq(cfg->token_file, kube_fixture_path(&fx, "tokfile"));
    if (r->ca)
        ck_assert_ptr_nonnull(strstr(cfg->ca_pem, "-----BEGIN CERTIFICATE-----"));
    char origin[300];
    snprintf(origin, sizeof(origin), "kubeconfig %s, context %s", path,
             r->context ? r->context : "a");
    ck_assert_str_eq(cfg->origin, origin);
    kube_config_free(cfg);
}
END_TEST

START_TEST(malformed_yaml_has_a_position)
{
    env_reset();
    const char *path =
        kube_fixture_write(&fx, "kc-bad", "clusters:\n  - name: [\n", false);
    struct kube_config_opts o = {KUBE_CONFIG_KUBECONFIG, path, NULL, NULL};
    struct kube_config *cfg = NULL;
    struct kube_error err;
    ck_assert_int_eq(kube_config_load(&o, &cfg, &err), TG_EINVAL);
    ck_assert_str_eq(err.base.source, path);
    ck_assert_int_gt(err.base.line, 0);
}
END_TEST

START_TEST(missing_kubeconfig)
{
    env_reset();
    const char *path = kube_fixture_path(&fx, "does-not-exist");
    struct kube_config_opts o = {KUBE_CONFIG_KUBECONFIG, path, NULL, NULL};
    struct kube_config *cfg = NULL;
    struct kube_error err;
    ck_assert_int_eq(kube_config_load(&o, &cfg, &err), TG_ENOTFOUND);
    ck_assert_str_eq(err.base.source, path);
    ck_assert_str_eq(err.base.text, "the kubeconfig file does not exist");
    /* AUTO with --kubeconfig does not fall back to anything */
    setenv("KUBERNETES_SERVICE_HOST", "10.0.0.1", 1);
    setenv("KUBERNETES_SERVICE_PORT", "443", 1);
    o.mode = KUBE_CONFIG_AUTO;
    ck_assert_int_eq(kube_config_load(&o, &cfg, &err), TG_ENOTFOUND);
    env_reset();
}
END_TEST

/* $KUBECONFIG: the first file to name something wins, each file's paths
 * are its own, missing files are skipped. */
START_TEST(kubeconfig_list_merges)
{
    env_reset();
    mkdir(kube_fixture_path(&fx, "sub"), 0700);
    mkdir(kube_fixture_path(&fx, "sub/certs"), 0700);
    char cmd[300];
    snprintf(cmd, sizeof(cmd), "cp %s/certs/ca.crt %s/sub/certs/ca.crt", fx.dir, fx.dir);
    ck_assert_int_eq(system(cmd), 0);
    char a[200], b[200], list[700];
    snprintf(a, sizeof(a), "%s",
             kube_fixture_write(&fx, "merge-a",
                                "current-context: a\n"
                                "contexts:\n- name: a\n  context: {cluster: c, user: u, "
                                "namespace: first}\n"
                                "users:\n- name: u\n  user: {token: from-a}\n",
                                false));
    snprintf(
        b, sizeof(b), "%s",
        kube_fixture_write(&fx, "sub/merge-b",
                           "current-context: b\n"
                           "contexts:\n- name: a\n  context: {cluster: zz}\n"
                           "clusters:\n- name: c\n  cluster: {server: "
                           "'https://10.1.1.1', certificate-authority: certs/ca.crt}\n"
                           "users:\n- name: u\n  user: {token: from-b}\n",
                           false));
    snprintf(list, sizeof(list), "%s:%s/none:%s:", a, fx.dir, b);
    setenv("KUBECONFIG", list, 1);
    struct kube_config *cfg = NULL;
    struct kube_error err;
    ck_assert_msg(kube_config_load(NULL, &cfg, &err) == TG_OK, "%s: %s", err.base.source,
                  err.base.text);
    ck_assert_str_eq(cfg->server, "https://10.1.1.1");
    ck_assert_str_eq(cfg->token, "from-a");
    ck_assert_str_eq(cfg->namespace_, "first");
    ck_assert_ptr_nonnull(cfg->ca_pem); /* sub/certs/ca.crt, relative to merge-b */
    kube_config_free(cfg);
    /* none of the files exist */
    snprintf(list, sizeof(list), "%s/none:%s/none2", fx.dir, fx.dir);
    setenv("KUBECONFIG", list, 1);
    struct kube_config_opts o = {KUBE_CONFIG_KUBECONFIG, NULL, NULL, NULL};
    ck_assert_int_eq(kube_config_load(&o, &cfg, &err), TG_ENOTFOUND);
    ck_assert_str_eq(err.base.source, "KUBECONFIG");
    ck_assert_ptr_nonnull(strstr(err.base.text, "none of its files exist"));
    env_reset();
}
END_TEST

/* ---- in-cluster ------------------------------------------------------------ */

/* A service-account directory: DIR/sa-NAME with ca.crt, token, namespace. */
static const char *sa_dir(const char *name, bool ca, const char *token, const char *ns)
{
    static char dir[256];
    char sub[128], cmd[600];
    snprintf(dir, sizeof(dir), "%s/sa-%s", fx.dir, name);
    snprintf(cmd, sizeof(cmd), "rm -rf %s && mkdir -p %s", dir, dir);
    ck_assert_int_eq(system(cmd), 0);
    if (ca) {
        snprintf(cmd, sizeof(cmd), "cp %s/certs/ca.crt %s/ca.crt", fx.dir, dir);
        ck_assert_int_eq(system(cmd), 0);
    }
    if (token) {
        snprintf(sub, sizeof(sub), "sa-%s/token", name);
        kube_fixture_write(&fx, sub, token, false);
    }
    if (ns) {
        snprintf(sub, sizeof(sub), "sa-%s/namespace", name);
        kube_fixture_write(&fx, sub, ns, false);
    }
    return dir;
}

static const struct {
    const char *name, *host, *port;
    bool ca;
    const char *token, *ns;
    enum tg_rc rc;
    const char *server, *want_ns, *text;
} clusters[] = {
    {"ipv4", "10.96.0.1", "443", true, "sa-token\n", "shop\n", TG_OK,
     "https://10.96.0.1:443", "shop", NULL},
    {"ipv6", "fd00:10:96::1", "443", true, "sa-token", "shop", TG_OK,
     "https://[fd00:10:96::1]:443", "shop", NULL},
    {"name", "kubernetes.default.svc", "6443", true, "sa-token", NULL, TG_OK,
     "https://kubernetes.default.svc:6443", "default", NULL},
    {"empty namespace file", "10.96.0.1", "443", true, "sa-token", "\n", TG_OK,
     "https://10.96.0.1:443", "default", NULL},
    {"no host", NULL, "443", true, "sa-token", NULL, TG_ENOTFOUND, NULL, NULL,
     "KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT must both be set"},
    {"no port", "10.96.0.1", NULL, true, "sa-token", NULL, TG_ENOTFOUND, NULL, NULL,
     "must both be set"},
    {"bad port", "10.96.0.1", "https", true, "sa-token", NULL, TG_EINVAL, NULL, NULL,
     "KUBERNETES_SERVICE_PORT \"https\" is not a port number"},
    {"port zero", "10.96.0.1", "0", true, "sa-token", NULL, TG_EINVAL, NULL, NULL,
     "is not a port number"},
    {"bad host", "10.96.0.1/x", "443", true, "sa-token", NULL, TG_EINVAL, NULL, NULL,
     "KUBERNETES_SERVICE_HOST \"10.96.0.1/x\" is not a host name or address"},
    {"no CA", "10.96.0.1", "443", false, "sa-token", NULL, TG_EIO, NULL, NULL,
     "the service account's CA cannot be read: No such file or directory"},
    {"no token", "10.96.0.1", "443", true, NULL, NULL, TG_EIO, NULL, NULL,
     "the bearer token file cannot be read: No such file or directory"},
    {"empty token", "10.96.0.1", "443", true, " \n", NULL, TG_EINVAL, NULL, NULL,
     "the bearer token file is empty"},
};

START_TEST(in_cluster)
{
    env_reset();
    const char *dir = sa_dir("row", clusters[_i].ca, clusters[_i].token, clusters[_i].ns);
    if (clusters[_i].host)
        setenv("KUBERNETES_SERVICE_HOST", clusters[_i].host, 1);
    if (clusters[_i].port)
        setenv("KUBERNETES_SERVICE_PORT", clusters[_i].port, 1);
    struct kube_config_opts o = {KUBE_CONFIG_IN_CLUSTER, NULL, NULL, dir};
    struct kube_config *cfg = NULL;
    struct kube_error err;
    enum tg_rc rc = kube_config_load(&o, &cfg, &err);
    env_reset();
    ck_assert_msg(rc == clusters[_i].rc, "%s: %d %s", clusters[_i].name, rc,
                  err.base.text);
    if (rc != TG_OK) {
        ck_assert_msg(strstr(err.base.text, clusters[_i].text), "%s", err.base.text);
        ck_assert_ptr_null(cfg);
        return;
    }
    ck_assert_str_eq(cfg->server, clusters[_i].server);
    ck_assert_str_eq(cfg->namespace_, clusters[_i].want_ns);
    ck_assert_int_eq(cfg->auth, KUBE_AUTH_TOKEN_FILE);
    char path[300], origin[300];
    snprintf(path, sizeof(path), "%s/token", dir);
    ck_assert_str_eq(cfg->token_file, path);
    ck_assert_ptr_nonnull(cfg->ca_pem);
    snprintf(origin, sizeof(origin), "in-cluster, service account directory %s", dir);
    ck_assert_str_eq(cfg->origin, origin);
    kube_config_free(cfg);
}
END_TEST

/* AUTO: KUBECONFIG, then ~/.kube/config, then in-cluster, then an error. */
START_TEST(auto_order)
{
    env_reset();
    struct kube_config *cfg = NULL;
    struct kube_error err;
    const char *dir = sa_dir("auto", true, "sa-token", "pods-ns");
    struct kube_config_opts o = {KUBE_CONFIG_AUTO, NULL, NULL, dir};
    /* nothing at all */
    ck_assert_int_eq(kube_config_load(&o, &cfg, &err), TG_ENOTFOUND);
    ck_assert_msg(strstr(err.base.text, "pass --kubeconfig, set KUBECONFIG or create "
                                        "~/.kube/config; not in a pod either"),
                  "%s", err.base.text);
    /* in a pod */
    setenv("KUBERNETES_SERVICE_HOST", "10.96.0.1", 1);
    setenv("KUBERNETES_SERVICE_PORT", "443", 1);
    ck_assert_int_eq(kube_config_load(&o, &cfg, &err), TG_OK);
    ck_assert_str_eq(cfg->namespace_, "pods-ns");
    kube_config_free(cfg);
    /* ~/.kube/config wins over the pod */
    setenv("HOME", kube_fixture_path(&fx, "home"), 1);
    mkdir(kube_fixture_path(&fx, "home"), 0700);
    mkdir(kube_fixture_path(&fx, "home/.kube"), 0700);
    kube_fixture_write(&fx, "home/.kube/config", CTX CLUSTER("") TOKEN, false);
    ck_assert_int_eq(kube_config_load(&o, &cfg, &err), TG_OK);
    ck_assert_str_eq(cfg->server, "https://127.0.0.1:6443");
    kube_config_free(cfg);
    /* and KUBECONFIG over ~/.kube/config */
    const char *other = kube_fixture_write(
        &fx, "kc-env",
        CTX "clusters:\n- name: c\n  cluster: {server: 'https://env'}\n" TOKEN, false);
    setenv("KUBECONFIG", other, 1);
    ck_assert_int_eq(kube_config_load(&o, &cfg, &err), TG_OK);
    ck_assert_str_eq(cfg->server, "https://env");
    kube_config_free(cfg);
    /* an error in a kubeconfig is an error, not a reason to try the pod */
    kube_fixture_write(&fx, "kc-env", CLUSTER("") TOKEN, false);
    ck_assert_int_eq(kube_config_load(&o, &cfg, &err), TG_ENOTFOUND);
    ck_assert_ptr_nonnull(strstr(err.base.text, "no current-context"));
    env_reset();
}
END_TEST

START_TEST(allocation_failures)
{
    env_reset();
    char *text = expand(
        "current-context: a\ncontexts:\n- name: a\n  context: {cluster: c, user: u, "
        "namespace: ns}\n" CLUSTER("    certificate-authority: certs/ca.crt\n")
            USER("    client-certificate-data: @CERT@\n    client-key: certs/client.key\n"
                 "    tokenFile: tokfile\n"));
    const char *path = kube_fixture_write(&fx, "kc-alloc", text, false);
    free(text);
    const char *dir = sa_dir("alloc", true, "sa-token", "ns");
    for (int mode = 0; mode < 2; mode++) {
        bool passed = false;
        struct kube_config_opts o = {
            mode ? KUBE_CONFIG_IN_CLUSTER : KUBE_CONFIG_KUBECONFIG, path, NULL, dir};
        setenv("KUBERNETES_SERVICE_HOST", "10.96.0.1", 1);
        setenv("KUBERNETES_SERVICE_PORT", "443", 1);
        for (long n = 0; n < 5000 && !passed; n++) {
            struct kube_config *cfg = NULL;
            struct kube_error err;
            alloc_fail_after(n);
            enum tg_rc rc = kube_config_load(&o, &cfg, &err);
            alloc_fail_after(-1);
            ck_assert_msg(rc == TG_OK || rc == TG_ENOMEM, "mode %d n=%ld: %d %s", mode, n,
                          rc, err.base.text);
            passed = rc == TG_OK;
            kube_config_free(cfg);
        }
        ck_assert(passed);
    }
    env_reset();
}
END_TEST

static void setup(void)
{
    kube_fixture_start(&fx, false);
    ca_b64 = kube_fixture_b64(&fx, "certs/ca.crt");
    cert_b64 = kube_fixture_b64(&fx, "certs/client.crt");
    key_b64 = kube_fixture_b64(&fx, "certs/client.key");
    other_key_b64 = kube_fixture_b64(&fx, "other/tls.key");
    kube_fixture_write(&fx, "tokfile", "abc\n", false);
    kube_fixture_write(&fx, "empty", "", false);
    kube_fixture_write(&fx, "spacetok", "a b\n", false);
}

static void teardown(void)
{
    free(ca_b64);
    free(cert_b64);
    free(key_b64);
    free(other_key_b64);
    kube_fixture_stop(&fx);
}

static Suite *suite(void)
{
    Suite *s = suite_create("kube_config");
    TCase *tc = tcase_create("core");
    tcase_add_unchecked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 300);
    tcase_add_loop_test(tc, kubeconfigs, 0, ARRAY_LEN(rows));
    tcase_add_test(tc, malformed_yaml_has_a_position);
    tcase_add_test(tc, missing_kubeconfig);
    tcase_add_test(tc, kubeconfig_list_merges);
    tcase_add_loop_test(tc, in_cluster, 0, ARRAY_LEN(clusters));
    tcase_add_test(tc, auto_order);
    tcase_add_test(tc, allocation_failures);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    alloc_json_install();
    return run_suite(suite());
}
