/* check_kube_client.c -- kube_client.c against the fake API server.
 *
 * Every answer the fake can give (tests/support/fake_apiserver.py): each
 * HTTP error status with its Status object, bodies that are cut short,
 * malformed, not objects or too large, a server that never answers, one
 * that closes the connection, TLS that fails; then the requests as sent
 * (headers, methods, bodies), create/replace/patch/delete with conflicts,
 * client certificates, token rotation and CronJob discovery.  The real API
 * server is check_kube_live.c's.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <curl/curl.h>

#include "alloc.h"
#include "alloc_json.h"
#include "fake_registry.h"
#include "kube_client.h"
#include "kube_fixture.h"
#include "kube_resource.h"
#include "testutil.h"

static struct kube_fixture fx;

/* Generous: under valgrind a TLS handshake takes a good fraction of a
 * second, which is not what these tests judge. */
#define LONG_MS 60000

static struct kube_client *client_for(const struct kube_config *cfg, long timeout_ms,
                                      size_t max_body)
{
    struct kube_client_opts o = {timeout_ms ? timeout_ms : LONG_MS, max_body};
    struct kube_client *c = NULL;
    struct kube_error err;
    ck_assert_msg(kube_client_new(cfg, &o, &c, &err) == TG_OK, "%s", err.base.text);
    return c;
}

/* A kubeconfig for the fake server trusting its CA, with token tok1. */
static struct kube_config *token_config(const char *token_line)
{
    char cluster[200];
    snprintf(cluster, sizeof(cluster), "    certificate-authority: certs/ca.crt\n");
    const char *path =
        kube_fixture_kubeconfig(&fx, "kc-token", NULL, cluster, token_line);
    return kube_fixture_config(path);
}

/* The client most tests use: the fake server's CA and token tok1.  A
 * checked fixture, made and freed around each of those tests. */
static struct kube_config *tok_cfg;
static struct kube_client *tok;

static void with_client(void)
{
    tok_cfg = token_config("    token: tok1\n");
    tok = client_for(tok_cfg, 0, 0);
}

static void without_client(void)
{
    kube_client_free(tok);
    kube_config_free(tok_cfg);
    tok = NULL;
    tok_cfg = NULL;
}

/* ---- every fault --------------------------------------------------------- */

static const struct {
    const char *name;
    enum tg_rc rc;
    enum kube_fault fault;
    long code;
    const char *reason;
    long retry_after;
    bool transient;
    const char *text; /* a part of the message */
} faults[] = {
    {"unauthorized", TG_EIO, KUBE_FAULT_HTTP, 401, "Unauthorized", 0, false,
     "401 Unauthorized: Unauthorized (the API server refused the credentials"},
    {"forbidden", TG_EIO, KUBE_FAULT_HTTP, 403, "Forbidden", 0, false,
     "cannot get resource \"configmaps\" in API group \"\" in the namespace \"faults\" "
     "(grant the verb"},
    {"missing", TG_ENOTFOUND, KUBE_FAULT_HTTP, 404, "NotFound", 0, false,
     "404 Not Found: configmaps \"missing\" not found"},
    {"conflict", TG_EIO, KUBE_FAULT_HTTP, 409, "Conflict", 0, false,
     "409 Conflict: Operation cannot be fulfilled"},
    {"gone", TG_EIO, KUBE_FAULT_HTTP, 410, "Expired", 0, false, "410 Gone: too old"},
    {"invalid", TG_EIO, KUBE_FAULT_HTTP, 422, "Invalid", 0, false,
     "422 Unprocessable Entity: ConfigMap \"Invalid\" is invalid"},
    {"throttled", TG_EIO, KUBE_FAULT_HTTP, 429, "TooManyRequests", 7, true,
     "(retry after 7 s) (the API server is throttling"},
    {"throttled-body", TG_EIO, KUBE_FAULT_HTTP, 429, "TooManyRequests", 3, true,
     "slow down (retry after 3 s)"},
    {"broken", TG_EIO, KUBE_FAULT_HTTP, 500, "InternalError", 0, true,
     "500 Internal Server Error: Internal error occurred: etcdserver"},
    {"unavailable", TG_EIO, KUBE_FAULT_HTTP, 503, "", 0, true,
     "503 Service Unavailable: <html><body><h1>503 Service Unavailable</h1>"},
    {"redirect", TG_EIO, KUBE_FAULT_HTTP, 302, "", 0, false, "302 Unexpected"},
    {"malformed", TG_EIO, KUBE_FAULT_BODY, 200, "", 0, false, "the answer is not JSON"},
    {"notobject", TG_EIO, KUBE_FAULT_BODY, 200, "", 0, false, "not a JSON object"},
    {"huge", TG_ETOOBIG, KUBE_FAULT_BODY, 200, "", 0, false, "larger than 65536 bytes"},
    {"truncated", TG_EIO, KUBE_FAULT_TRUNCATED, 200, "", 0, true, "was cut short"},
    {"cut", TG_EIO, KUBE_FAULT_TRUNCATED, 200, "", 0, true, "was cut short"},
    {"close", TG_EIO, KUBE_FAULT_CONNECT, 0, "", 0, true, "cannot talk to https://"},
    {"hang", TG_ETIMEDOUT, KUBE_FAULT_TIMEOUT, 0, "", 0, true,
     "no complete answer from https://127.0.0.1:"},
};

START_TEST(every_fault)
{
    struct kube_config *cfg = token_config("    token: tok1\n");
    /* the hang row waits this long; the others answer at once */
    struct kube_client *c =
        client_for(cfg, strcmp(faults[_i].name, "hang") ? 0 : 1500, 65536);
    char path[128], call[160];
    snprintf(path, sizeof(path), "/api/v1/namespaces/faults/configmaps/%s",
             faults[_i].name);
    snprintf(call, sizeof(call), "GET %s", path);
    json_t *out = NULL;
    struct kube_error err;
    enum tg_rc rc = kube_client_get(c, path, &out, &err);
    ck_assert_msg(rc == faults[_i].rc, "%s: rc %d (%s)", faults[_i].name, rc,
                  err.base.text);
    ck_assert_ptr_null(out);
    ck_assert_str_eq(kube_fault_str(err.fault), kube_fault_str(faults[_i].fault));
    ck_assert_int_eq(err.http_code, faults[_i].code);
    ck_assert_str_eq(err.reason, faults[_i].reason);
    ck_assert_int_eq(err.retry_after_s, faults[_i].retry_after);
    ck_assert_int_eq(kube_error_is_transient(&err), faults[_i].transient);
    ck_assert_str_eq(err.base.source, call);
    ck_assert_msg(strstr(err.base.text, faults[_i].text), "%s: \"%s\" lacks \"%s\"",
                  faults[_i].name, err.base.text, faults[_i].text);
    /* the handle still works after any of these */
    ck_assert_int_eq(
        kube_client_get(c, "/api/v1/namespaces/faults/configmaps/gzip", NULL, &err),
        TG_OK);
    kube_client_free(c);
    kube_config_free(cfg);
}
END_TEST

START_TEST(good_odd_answers)
{
    json_t *out = NULL;
    struct kube_error err;
    /* an empty 200 body is an empty object */
    ck_assert_int_eq(
        kube_client_get(tok, "/api/v1/namespaces/faults/configmaps/empty", &out, &err),
        TG_OK);
    ck_assert_int_eq(json_object_size(out), 0);
    json_decref(out);
    /* gzip is asked for and decoded */
    ck_assert_int_eq(
        kube_client_get(tok, "/api/v1/namespaces/faults/configmaps/gzip", &out, &err),
        TG_OK);
    const char *z = json_string_value(json_object_get(json_object_get(out, "data"), "z"));
    ck_assert_uint_eq(strlen(z), 5000);
    json_decref(out);
}
END_TEST

START_TEST(transport_failures)
{
    struct kube_error err;
    /* nothing listens on port 1 */
    const char *kc = kube_fixture_kubeconfig(&fx, "kc-refused", "https://127.0.0.1:1/",
                                             "", "    token: tok1\n");
    struct kube_config *cfg = kube_fixture_config(kc);
    ck_assert_str_eq(cfg->server, "https://127.0.0.1:1");
    struct kube_client *c = client_for(cfg, 0, 0);
    ck_assert_int_eq(kube_client_get(c, "/version", NULL, &err), TG_EIO);
    ck_assert_int_eq(err.fault, KUBE_FAULT_CONNECT);
    ck_assert_ptr_nonnull(strstr(err.base.text, "cannot talk to https://127.0.0.1:1"));
    kube_client_free(c);
    kube_config_free(cfg);
    /* a listener that accepts and never speaks: the TLS handshake times out */
    char host[64], url[80];
    int fd = silent_listener_open(host, sizeof(host));
    ck_assert_int_ge(fd, 0);
    snprintf(url, sizeof(url), "https://%s", host);
    kc = kube_fixture_kubeconfig(&fx, "kc-silent", url, "", "    token: tok1\n");
    cfg = kube_fixture_config(kc);
    c = client_for(cfg, 1000, 0);
    ck_assert_int_eq(kube_client_get(c, "/version", NULL, &err), TG_ETIMEDOUT);
    ck_assert_int_eq(err.fault, KUBE_FAULT_TIMEOUT);
    ck_assert_ptr_nonnull(strstr(err.base.text, "within 1000 ms"));
    kube_client_free(c);
    kube_config_free(cfg);
    close(fd);
}
END_TEST

START_TEST(tls_failures)
{
    struct kube_error err;
    /* the server's certificate is not signed by the CA we trust */
    const char *kc = kube_fixture_kubeconfig(&fx, "kc-other-ca", NULL,
                                             "    certificate-authority: other/ca.crt\n",
                                             "    token: tok1\n");
    struct kube_config *cfg = kube_fixture_config(kc);
    struct kube_client *c = client_for(cfg, 0, 0);
    ck_assert_int_eq(kube_client_get(c, "/_echo", NULL, &err), TG_EIO);
    ck_assert_int_eq(err.fault, KUBE_FAULT_TLS);
    ck_assert_ptr_nonnull(strstr(err.base.text, "TLS with https://127.0.0.1:"));
    ck_assert(!kube_error_is_transient(&err));
    kube_client_free(c);
    kube_config_free(cfg);
    /* the system's CAs do not know it either */
    kc = kube_fixture_kubeconfig(&fx, "kc-system-ca", NULL, "", "    token: tok1\n");
    cfg = kube_fixture_config(kc);
    ck_assert_ptr_null(cfg->ca_pem);
    c = client_for(cfg, 0, 0);
    ck_assert_int_eq(kube_client_get(c, "/_echo", NULL, &err), TG_EIO);
    ck_assert_int_eq(err.fault, KUBE_FAULT_TLS);
    kube_client_free(c);
    kube_config_free(cfg);
    /* unless told not to check */
    kc = kube_fixture_kubeconfig(&fx, "kc-insecure", NULL,
                                 "    insecure-skip-tls-verify: true\n",
                                 "    token: tok1\n");
    cfg = kube_fixture_config(kc);
    c = client_for(cfg, 0, 0);
    ck_assert_int_eq(kube_client_get(c, "/_echo", NULL, &err), TG_OK);
    kube_client_free(c);
    kube_config_free(cfg);
    /* a server that demands a client certificate we do not have */
    kc = kube_fixture_kubeconfig(&fx, "kc-no-cert", fx.mtls_server,
                                 "    certificate-authority: certs/ca.crt\n",
                                 "    token: tok1\n");
    cfg = kube_fixture_config(kc);
    c = client_for(cfg, 0, 0);
    ck_assert_int_eq(kube_client_get(c, "/_echo", NULL, &err), TG_EIO);
    ck_assert_msg(err.fault == KUBE_FAULT_TLS, "%s: %s", kube_fault_str(err.fault),
                  err.base.text);
    kube_client_free(c);
    kube_config_free(cfg);
}
END_TEST

/* ---- what is sent -------------------------------------------------------- */

static json_t *echo(struct kube_client *c, enum kube_method m, const json_t *body)
{
    const struct kube_call call = {m, "/_echo?x=1", body, 0, NULL};
    json_t *out = NULL;
    struct kube_error err;
    ck_assert_msg(kube_client_call(c, &call, &out, &err) == TG_OK, "%s", err.base.text);
    return out;
}

static const char *field(const json_t *o, const char *key)
{
    const char *v = json_string_value(json_object_get(o, key));
    return v ? v : "(null)";
}

static const struct {
    enum kube_method method;
    const char *name, *content_type;
    bool body;
} methods[] = {
    {KUBE_GET, "GET", "(null)", false},
    {KUBE_POST, "POST", "application/json", true},
    {KUBE_PUT, "PUT", "application/json", true},
    {KUBE_PATCH_MERGE, "PATCH", "application/merge-patch+json", true},
    {KUBE_DELETE, "DELETE", "(null)", false},
    {KUBE_DELETE, "DELETE", "application/json", true},
};

START_TEST(requests_as_sent)
{
    json_t *body = json_pack("{s:s,s:{s:i}}", "kind", "Thing", "spec", "n", 1);
    json_t *e = echo(tok, methods[_i].method, methods[_i].body ? body : NULL);
    ck_assert_str_eq(field(e, "method"), methods[_i].name);
    ck_assert_str_eq(field(e, "path"), "/_echo?x=1");
    ck_assert_str_eq(field(e, "authorization"), "Bearer tok1");
    ck_assert_str_eq(field(e, "accept"), "application/json");
    ck_assert_str_eq(field(e, "user_agent"), "tollgate/" TOLLGATE_VERSION);
    ck_assert_str_eq(field(e, "content_type"), methods[_i].content_type);
    ck_assert_str_eq(field(e, "body"),
                     methods[_i].body ? "{\"kind\":\"Thing\",\"spec\":{\"n\":1}}" : "");
    json_decref(e);
    json_decref(body);
}
END_TEST

static const struct {
    enum kube_method method;
    const char *path;
    bool body;
    const char *text;
} bad_calls[] = {
    {KUBE_GET, "api/v1/pods", false, "the path must start with '/'"},
    {KUBE_GET, "/api/v1/pods?x=a b", false, "no spaces"},
    {KUBE_GET, "/api/v1/pods#frag", false, "'#'"},
    {KUBE_GET, NULL, false, "the path must start"},
    {KUBE_POST, "/api/v1/namespaces", false, "a POST needs a body"},
    {KUBE_PATCH_MERGE, "/api/v1/namespaces/x", false, "a PATCH needs a body"},
    {(enum kube_method)42, "/api/v1/namespaces", false, "not a valid API request"},
};

START_TEST(bad_calls_are_not_sent)
{
    const struct kube_call call = {bad_calls[_i].method, bad_calls[_i].path, NULL, 0,
                                   NULL};
    struct kube_error err;
    json_t *out = NULL;
    ck_assert_int_eq(kube_client_call(tok, &call, &out, &err), TG_EINVAL);
    ck_assert_int_eq(err.fault, KUBE_FAULT_LOCAL);
    ck_assert_msg(strstr(err.base.text, bad_calls[_i].text), "%s", err.base.text);
    ck_assert_ptr_null(out);
}
END_TEST

START_TEST(create_replace_patch_delete)
{
    const char *coll = "/api/v1/namespaces/store/configmaps";
    const char *one = "/api/v1/namespaces/store/configmaps/cm1";
    struct kube_error err;
    json_t *cm = json_pack("{s:s,s:s,s:{s:s},s:{s:s}}", "apiVersion", "v1", "kind",
                           "ConfigMap", "metadata", "name", "cm1", "data", "a", "1");
    json_t *got = NULL;
    ck_assert_int_eq(kube_client_create(tok, coll, cm, &got, &err), TG_OK);
    ck_assert_str_eq(field(json_object_get(got, "metadata"), "resourceVersion"), "1");
    json_decref(got);
    /* again: AlreadyExists */
    ck_assert_int_eq(kube_client_create(tok, coll, cm, NULL, &err), TG_EIO);
    ck_assert_int_eq(err.http_code, 409);
    ck_assert_str_eq(err.reason, "AlreadyExists");
    /* replace with a stale resourceVersion: Conflict */
    json_object_set_new(json_object_get(cm, "metadata"), "resourceVersion",
                        json_string("0"));
    ck_assert_int_eq(kube_client_replace(tok, one, cm, NULL, &err), TG_EIO);
    ck_assert_int_eq(err.http_code, 409);
    ck_assert_str_eq(err.reason, "Conflict");
    /* with the current one */
    json_object_set_new(json_object_get(cm, "metadata"), "resourceVersion",
                        json_string("1"));
    ck_assert_int_eq(kube_client_replace(tok, one, cm, &got, &err), TG_OK);
    ck_assert_str_eq(field(json_object_get(got, "metadata"), "resourceVersion"), "2");
    json_decref(got);
    /* a merge patch: add b, remove a */
    json_t *patch = json_pack("{s:{s:s,s:n}}", "data", "b", "2", "a");
    ck_assert_int_eq(kube_client_patch(tok, one, patch, &got, &err), TG_OK);
    ck_assert_str_eq(field(json_object_get(got, "data"), "b"), "2");
    ck_assert_ptr_null(json_object_get(json_object_get(got, "data"), "a"));
    json_decref(got);
    ck_assert_int_eq(kube_client_get(tok, one, &got, &err), TG_OK);
    ck_assert_str_eq(field(json_object_get(got, "metadata"), "resourceVersion"), "3");
    json_decref(got);
    ck_assert_int_eq(kube_client_delete(tok, one, &err), TG_OK);
    ck_assert_int_eq(kube_client_delete(tok, one, &err), TG_ENOTFOUND);
    ck_assert_int_eq(kube_client_get(tok, one, NULL, &err), TG_ENOTFOUND);
    ck_assert_str_eq(err.reason, "NotFound");
    /* an invalid name: 422 */
    json_object_set_new(json_object_get(cm, "metadata"), "name", json_string("Bad"));
    ck_assert_int_eq(kube_client_create(tok, coll, cm, NULL, &err), TG_EIO);
    ck_assert_int_eq(err.http_code, 422);
    ck_assert_str_eq(err.reason, "Invalid");
    json_decref(patch);
    json_decref(cm);
}
END_TEST

/* ---- credentials ---------------------------------------------------------- */

START_TEST(client_certificate)
{
    char user[8192];
    char *cert = kube_fixture_b64(&fx, "certs/client.crt");
    char *key = kube_fixture_b64(&fx, "certs/client.key");
    snprintf(user, sizeof(user),
             "    client-certificate-data: %s\n    client-key-data: %s\n", cert, key);
    free(cert);
    free(key);
    /* the mTLS server, which refuses connections without one */
    const char *kc =
        kube_fixture_kubeconfig(&fx, "kc-cert", fx.mtls_server,
                                "    certificate-authority: certs/ca.crt\n", user);
    struct kube_config *cfg = kube_fixture_config(kc);
    ck_assert_int_eq(cfg->auth, KUBE_AUTH_NONE);
    struct kube_client *c = client_for(cfg, 0, 0);
    json_t *e = echo(c, KUBE_GET, NULL);
    ck_assert_str_eq(field(e, "client_cn"), "tollgate-test");
    ck_assert_str_eq(field(e, "authorization"), "(null)");
    json_decref(e);
    kube_client_free(c);
    kube_config_free(cfg);
}
END_TEST

START_TEST(token_file_rotation)
{
    struct kube_error err;
    kube_fixture_write(&fx, "rot-token", "tok1\n", true);
    struct kube_config *cfg = token_config("    tokenFile: rot-token\n");
    ck_assert_int_eq(cfg->auth, KUBE_AUTH_TOKEN_FILE);
    struct kube_client *c = client_for(cfg, 0, 0);
    const char *cm = "/api/v1/namespaces/faults/configmaps/gzip";
    ck_assert_int_eq(kube_client_get(c, cm, NULL, &err), TG_OK);
    /* the kubelet swaps in a new token and the old one stops working */
    kube_fixture_accept(&fx, "tok2\n");
    ck_assert_int_eq(kube_client_get(c, cm, NULL, &err), TG_EIO);
    ck_assert_int_eq(err.http_code, 401);
    kube_fixture_write(&fx, "rot-token", "tok2\n", true);
    ck_assert_msg(kube_client_get(c, cm, NULL, &err) == TG_OK, "%s", err.base.text);
    json_t *e = echo(c, KUBE_GET, NULL);
    ck_assert_str_eq(field(e, "authorization"), "Bearer tok2");
    json_decref(e);
    /* rewritten in place with its old size and mtime: only the 401 shows
     * the change, and the client reads the file again and retries once */
    struct stat st;
    const char *path = kube_fixture_path(&fx, "rot-token");
    ck_assert_int_eq(stat(path, &st), 0);
    kube_fixture_accept(&fx, "tok3\n");
    kube_fixture_write(&fx, "rot-token", "tok3\n", false);
    struct timespec times[2] = {st.st_atim, st.st_mtim};
    ck_assert_int_eq(utimensat(AT_FDCWD, path, times, 0), 0);
    ck_assert_msg(kube_client_get(c, cm, NULL, &err) == TG_OK, "%s", err.base.text);
    /* a vanished token file keeps the last good token */
    ck_assert_int_eq(unlink(path), 0);
    ck_assert_int_eq(kube_client_get(c, cm, NULL, &err), TG_OK);
    kube_fixture_accept(&fx, "tok1\n");
    kube_client_free(c);
    kube_config_free(cfg);
}
END_TEST

START_TEST(wrong_token_is_401)
{
    struct kube_config *cfg = token_config("    token: nope\n");
    struct kube_client *c = client_for(cfg, 0, 0);
    struct kube_error err;
    ck_assert_int_eq(kube_client_get(c, "/api/v1/namespaces/alpha/pods", NULL, &err),
                     TG_EIO);
    ck_assert_int_eq(err.http_code, 401);
    ck_assert_str_eq(err.reason, "Unauthorized");
    ck_assert_ptr_null(strstr(err.base.text, "nope")); /* never the token */
    kube_client_free(c);
    kube_config_free(cfg);
}
END_TEST

/* ---- discovery ------------------------------------------------------------ */

static const struct {
    const char *prefix;
    const char *cronjob_version; /* NULL: not served */
} discoveries[] = {
    {"", "batch/v1beta1"},
    {"/v121", "batch/v1"},
    {"/v125", "batch/v1"},
    {"/nocron", NULL},
};

START_TEST(cronjob_discovery)
{
    char server[128];
    snprintf(server, sizeof(server), "%s%s", fx.server, discoveries[_i].prefix);
    const char *kc = kube_fixture_kubeconfig(&fx, "kc-disc", server,
                                             "    certificate-authority: certs/ca.crt\n",
                                             "    token: tok1\n");
    struct kube_config *cfg = kube_fixture_config(kc);
    struct kube_client *c = client_for(cfg, 0, 0);
    struct kube_workloads w;
    struct kube_error err;
    ck_assert_msg(kube_workloads_discover(c, &w, &err) == TG_OK, "%s", err.base.text);
    const struct kube_resource *cron = NULL;
    for (size_t i = 0; i < w.n; i++) {
        if (strcmp(w.res[i]->kind, "CronJob") == 0)
            cron = w.res[i];
    }
    ck_assert_uint_eq(w.n, discoveries[_i].cronjob_version ? 9 : 8);
    ck_assert_str_eq(w.res[0]->kind, "Pod");
    if (discoveries[_i].cronjob_version)
        ck_assert_str_eq(cron->group_version, discoveries[_i].cronjob_version);
    else
        ck_assert_ptr_null(cron);
    kube_client_free(c);
    kube_config_free(cfg);
}
END_TEST

START_TEST(discovery_failure_is_returned)
{
    /* without credentials the discovery document is a 401 */
    struct kube_config *cfg = token_config("    token: nope\n");
    struct kube_client *c = client_for(cfg, 0, 0);
    struct kube_workloads w = {.n = 77};
    struct kube_error err;
    ck_assert_int_eq(kube_workloads_discover(c, &w, &err), TG_EIO);
    ck_assert_int_eq(err.http_code, 401);
    ck_assert_uint_eq(w.n, 77); /* untouched */
    kube_client_free(c);
    kube_config_free(cfg);
}
END_TEST

/* ---- allocation failures -------------------------------------------------- */

START_TEST(allocation_failures)
{
    kube_fixture_write(&fx, "alloc-token", "tok1\n", true);
    struct kube_config *cfg = token_config("    tokenFile: alloc-token\n");
    json_t *cm = json_pack("{s:s}", "kind", "ConfigMap");
    bool passed = false;
    for (long n = 0; n < 400 && !passed; n++) {
        struct kube_client *c = NULL;
        struct kube_error err;
        json_t *out = NULL;
        alloc_fail_after(n);
        enum tg_rc rc = kube_client_new(cfg, NULL, &c, &err);
        if (rc == TG_OK)
            rc = kube_client_get(c, "/api/v1/namespaces/faults/configmaps/gzip", &out,
                                 &err);
        if (rc == TG_OK)
            rc = kube_client_replace(c, "/_echo", cm, NULL, &err);
        alloc_fail_after(-1);
        /* jansson's lexer reports some failed allocations as a syntax
         * error, so a body may read as malformed: never as success */
        bool body = rc == TG_EIO && err.fault == KUBE_FAULT_BODY;
        ck_assert_msg(rc == TG_OK || rc == TG_ENOMEM || body, "n=%ld: %d %s", n, rc,
                      err.base.text);
        if (rc == TG_ENOMEM)
            ck_assert_int_eq(err.fault, KUBE_FAULT_LOCAL);
        passed = rc == TG_OK;
        json_decref(out);
        kube_client_free(c);
    }
    ck_assert(passed);
    json_decref(cm);
    kube_config_free(cfg);
}
END_TEST

static void setup(void)
{
    kube_fixture_start(&fx, true);
}

static void teardown(void)
{
    kube_fixture_stop(&fx);
}

static Suite *suite(void)
{
    Suite *s = suite_create("kube_client");
    TCase *tc = tcase_create("core");
    tcase_add_unchecked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 300);
    tcase_add_loop_test(tc, every_fault, 0, ARRAY_LEN(faults));
    tcase_add_test(tc, transport_failures);
    tcase_add_test(tc, tls_failures);
    tcase_add_test(tc, client_certificate);
    tcase_add_test(tc, token_file_rotation);
    tcase_add_test(tc, wrong_token_is_401);
    tcase_add_loop_test(tc, cronjob_discovery, 0, ARRAY_LEN(discoveries));
    tcase_add_test(tc, discovery_failure_is_returned);
    tcase_add_test(tc, allocation_failures);
    suite_add_tcase(s, tc);
    TCase *tc2 = tcase_create("token client");
    tcase_add_unchecked_fixture(tc2, setup, teardown);
    tcase_add_checked_fixture(tc2, with_client, without_client);
    tcase_add_test(tc2, good_odd_answers);
    tcase_add_loop_test(tc2, requests_as_sent, 0, ARRAY_LEN(methods));
    tcase_add_loop_test(tc2, bad_calls_are_not_sent, 0, ARRAY_LEN(bad_calls));
    tcase_add_test(tc2, create_replace_patch_delete);
    suite_add_tcase(s, tc2);
    return s;
}

int main(void)
{
    alloc_json_install();
    curl_global_init(CURL_GLOBAL_DEFAULT);
    int rc = run_suite(suite());
    curl_global_cleanup();
    return rc;
}
