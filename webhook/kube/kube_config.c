/* kube_config.c -- kubeconfig files and the in-cluster service account.
 *
 * A kubeconfig is YAML read with kubectl's typing (manifest.h) into jansson
 * values, then looked up the way client-go merges several files: a name is
 * taken from the first file that defines it.  Each file keeps its own
 * directory, because a relative certificate path in a file means relative
 * to that file.  Every PEM is read and parsed here, once, so a wrong file
 * is a message naming the field at start-up, not a TLS failure on the
 * first request.  Inline data and files end up the same way, as bytes in
 * memory that the client hands to libcurl as blobs: no temporary files.
 */
#include "kube_config.h"

#include <errno.h>
#include <jansson.h>
#include <openssl/bio.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "alloc.h"
#include "buf.h"
#include "kube_file.h"
#include "kube_token.h"
#include "manifest.h"

#define KUBECONFIG_MAX ((size_t)16 << 20)
#define PEM_MAX ((size_t)1 << 20)
#define MAX_FILES 32

/* One kubeconfig file of the merged set. */
struct kc_file {
    char *path;
    char *dir; /* what relative paths in this file are relative to */
    json_t *root;
};

struct kc_set {
    struct kc_file files[MAX_FILES];
    size_t n;
};

/* Where a looked-up entry came from, for messages and relative paths. */
struct kc_entry {
    const json_t *body; /* the "cluster", "user" or "context" object */
    const struct kc_file *file;
    const char *name;
};

static enum tg_rc oom(struct kube_error *err)
{
    return kube_error_set(err, TG_ENOMEM, KUBE_FAULT_LOCAL, NULL, "out of memory");
}

static enum tg_rc bad(struct kube_error *err, enum tg_rc rc, const char *source,
                      const char *fmt, ...) TG_PRINTF(4, 5);

/* An error of the configuration: base.source is the file (or what was
 * being read), so tg_error_format prints "file: text". */
static enum tg_rc bad(struct kube_error *err, enum tg_rc rc, const char *source,
                      const char *fmt, ...)
{
    if (!err)
        return rc;
    kube_error_clear(err);
    err->fault = KUBE_FAULT_LOCAL;
    snprintf(err->base.source, sizeof(err->base.source), "%s", source);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->base.text, sizeof(err->base.text), fmt, ap);
    va_end(ap);
    return rc;
}

static char *join_path(const char *dir, const char *name)
{
    struct buf b;
    buf_init(&b, 0);
    enum tg_rc rc = (name[0] == '/' || !dir[0]) ? buf_appends(&b, name)
                                                : buf_appendf(&b, "%s/%s", dir, name);
    if (rc != TG_OK) {
        buf_cleanup(&b);
        return NULL;
    }
    return buf_take(&b);
}

static char *dir_of(const char *path)
{
    const char *slash = strrchr(path, '/');
    if (!slash)
        return tg_strdup("");
    if (slash == path)
        return tg_strdup("/");
    char *d = tg_malloc((size_t)(slash - path) + 1);
    if (d) {
        memcpy(d, path, (size_t)(slash - path));
        d[slash - path] = '\0';
    }
    return d;
}

static void wipe_free(char *s, size_t len)
{
    if (s)
        OPENSSL_cleanse(s, len);
    tg_free(s);
}

void kube_config_free(struct kube_config *cfg)
{
    if (!cfg)
        return;
    tg_free(cfg->server);
    tg_free(cfg->ca_pem);
    tg_free(cfg->cert_pem);
    wipe_free(cfg->key_pem, cfg->key_len);
    wipe_free(cfg->token, cfg->token ? strlen(cfg->token) : 0);
    tg_free(cfg->token_file);
    tg_free(cfg->namespace_);
    tg_free(cfg->origin);
    tg_free(cfg);
}

const char *kube_auth_str(enum kube_auth auth)
{
    switch (auth) {
    case KUBE_AUTH_NONE:
        return "none";
    case KUBE_AUTH_TOKEN:
        return "token";
    case KUBE_AUTH_TOKEN_FILE:
        return "token file";
    }
    return "unknown";
}

/* ---- PEM and base64 ------------------------------------------------------ */

/* The PEM in `b` (from `what`, e.g. "certificate-authority-data") holds at
 * least one certificate.  OpenSSL's error queue is left empty. */
static bool has_cert(const struct buf *b)
{
    BIO *bio = BIO_new_mem_buf(buf_str(b), (int)buf_len(b));
    X509 *x = bio ? PEM_read_bio_X509(bio, NULL, NULL, NULL) : NULL;
    bool ok = x != NULL;
    X509_free(x);
    BIO_free(bio);
    ERR_clear_error();
    return ok;
}

static int no_password(char *buf, int size, int rwflag, void *u)
{
    (void)buf;
    (void)size;
    (void)rwflag;
    (void)u;
    return -1; /* an encrypted key cannot be used without a prompt */
}

/* Does the key in `key` belong to the first certificate in `cert`?
 * 0 yes, 1 the key is unreadable, 2 the certificate, 3 they do not match. */
static int check_pair(const struct buf *cert, const struct buf *key)
{
    BIO *cb = BIO_new_mem_buf(buf_str(cert), (int)buf_len(cert));
    BIO *kb = BIO_new_mem_buf(buf_str(key), (int)buf_len(key));
    X509 *x = cb ? PEM_read_bio_X509(cb, NULL, NULL, NULL) : NULL;
    EVP_PKEY *k = kb ? PEM_read_bio_PrivateKey(kb, NULL, no_password, NULL) : NULL;
    int res = !k ? 1 : !x ? 2 : X509_check_private_key(x, k) == 1 ? 0 : 3;
    EVP_PKEY_free(k);
    X509_free(x);
    BIO_free(kb);
    BIO_free(cb);
    ERR_clear_error();
    return res;
}

/* base64 (Go's StdEncoding, line breaks allowed, as kubectl reads []byte
 * fields) into `out`.  TG_EINVAL if it is not base64. */
static enum tg_rc b64_decode(const char *in, struct buf *out)
{
    size_t len = strlen(in);
    char *clean = tg_malloc(len + 1);
    unsigned char *raw = tg_malloc(len / 4 * 3 + 3);
    enum tg_rc rc = TG_ENOMEM;
    if (!clean || !raw)
        goto out;
    size_t n = 0;
    for (const char *p = in; *p; p++) {
        if (*p != '\n' && *p != '\r')
            clean[n++] = *p;
    }
    clean[n] = '\0';
    rc = TG_EINVAL;
    if (n == 0 || n % 4 != 0)
        goto out;
    int got = EVP_DecodeBlock(raw, (const unsigned char *)clean, (int)n);
    if (got < 0)
        goto out;
    got -= (clean[n - 1] == '=') + (clean[n - 2] == '=');
    rc = buf_append(out, raw, (size_t)got);
out:
    if (raw)
        OPENSSL_cleanse(raw, len / 4 * 3 + 3);
    tg_free(raw);
    tg_free(clean);
    return rc;
}

/* ---- reading fields ------------------------------------------------------ */

/* Field `key` of `obj`: a string, or absent/null (*out NULL).  `where`
 * names obj in messages: `users["dev"].user`. */
static enum tg_rc get_str(const json_t *obj, const char *key, const char *file,
                          const char *where, const char **out, struct kube_error *err)
{
    const json_t *v = json_object_get(obj, key);
    *out = NULL;
    if (!v || json_is_null(v))
        return TG_OK;
    if (!json_is_string(v))
        return bad(err, TG_EINVAL, file, "%s.%s: expected a string", where, key);
    *out = json_string_value(v);
    if (!(*out)[0])
        *out = NULL; /* kubectl treats "" as unset */
    return TG_OK;
}

static enum tg_rc get_bool(const json_t *obj, const char *key, const char *file,
                           const char *where, bool *out, struct kube_error *err)
{
    const json_t *v = json_object_get(obj, key);
    *out = false;
    if (!v || json_is_null(v))
        return TG_OK;
    if (!json_is_boolean(v))
        return bad(err, TG_EINVAL, file, "%s.%s: expected true or false", where, key);
    *out = json_is_true(v);
    return TG_OK;
}

/* A PEM given as a file field (`file_key`) or an inline base64 field
 * (`data_key`), never both, into out (left empty when neither is set). */
struct pem_field {
    const char *file_key, *data_key;
};

static enum tg_rc read_pem_field(const struct kc_entry *e, const char *where,
                                 const struct pem_field *f, struct buf *out,
                                 struct kube_error *err)
{
    const char *src = e->file->path;
    const char *path, *data;
    enum tg_rc rc = get_str(e->body, f->file_key, src, where, &path, err);
    if (rc == TG_OK)
        rc = get_str(e->body, f->data_key, src, where, &data, err);
    if (rc != TG_OK)
        return rc;
    if (path && data)
        return bad(err, TG_EINVAL, src, "%s: both %s and %s are set; keep one", where,
                   f->file_key, f->data_key);
    if (data) {
        rc = b64_decode(data, out);
        if (rc == TG_EINVAL)
            return bad(err, rc, src, "%s.%s: not valid base64", where, f->data_key);
        return rc == TG_OK ? TG_OK : oom(err);
    }
    if (!path)
        return TG_OK;
    char *full = join_path(e->file->dir, path);
    if (!full)
        return oom(err);
    struct tg_error ferr;
    rc = kube_file_read(full, PEM_MAX, out, &ferr);
    if (rc == TG_OK && buf_len(out) == 0)
        rc = tg_error_setf(&ferr, TG_EINVAL, "is empty");
    if (rc != TG_OK)
        rc = bad(err, rc == TG_ENOTFOUND ? TG_EIO : rc, src, "%s.%s: file \"%s\" %s",
                 where, f->file_key, full, ferr.text);
    tg_free(full);
    return rc;
}

/* ---- the merged kubeconfig ----------------------------------------------- */

static void kc_set_cleanup(struct kc_set *s)
{
    for (size_t i = 0; i < s->n; i++) {
        tg_free(s->files[i].path);
        tg_free(s->files[i].dir);
        json_decref(s->files[i].root);
    }
    s->n = 0;
}

/* Parse one kubeconfig file into the set.  An empty file is an empty
 * configuration, as for kubectl. */
static enum tg_rc kc_add_file(struct kc_set *s, const char *path, struct kube_error *err)
{
    struct buf b;
    struct manifest_set docs = {0};
    struct tg_error perr;
    buf_init(&b, KUBECONFIG_MAX);
    enum tg_rc rc = kube_file_read(path, KUBECONFIG_MAX, &b, &perr);
    if (rc != TG_OK) {
        rc = bad(err, rc, path, "%s", perr.text);
        goto out;
    }
    rc = manifest_load(buf_str(&b), buf_len(&b), path, &docs, &perr);
    if (rc != TG_OK) {
        rc = rc == TG_ENOMEM ? oom(err) : bad(err, rc, path, "%s", perr.text);
        if (err && rc != TG_ENOMEM) {
            err->base.line = perr.line;
            err->base.column = perr.column;
        }
        goto out;
    }
    if (docs.n > 1) {
        rc = bad(err, TG_EINVAL, path, "holds %zu YAML documents; a kubeconfig is one",
                 docs.n);
        goto out;
    }
    struct kc_file *f = &s->files[s->n];
    f->path = tg_strdup(path);
    f->dir = dir_of(path);
    f->root = docs.n ? json_incref(docs.docs[0].object) : json_object();
    /* f->root: released by kc_set_cleanup */
    s->n++;
    rc = (f->path && f->dir && f->root) ? TG_OK : oom(err);
out:
    manifest_set_cleanup(&docs);
    buf_cleanup(&b);
    return rc;
}

/* Entry `name` of list `list_key` ("clusters") whose body is under
 * `body_key` ("cluster"), from the first file defining it. */
static enum tg_rc kc_find(const struct kc_set *s, const char *list_key,
                          const char *body_key, const char *name, struct kc_entry *out,
                          struct kube_error *err)
{
    for (size_t i = 0; i < s->n; i++) {
        const json_t *list = json_object_get(s->files[i].root, list_key);
        if (!list || json_is_null(list))
            continue;
        if (!json_is_array(list))
            return bad(err, TG_EINVAL, s->files[i].path, "%s: expected a list", list_key);
        size_t j;
        const json_t *it;
        json_array_foreach(list, j, it)
        {
            const char *n = json_string_value(json_object_get(it, "name"));
            if (!n || strcmp(n, name) != 0)
                continue;
            const json_t *body = json_object_get(it, body_key);
            if (body && !json_is_object(body) && !json_is_null(body))
                return bad(err, TG_EINVAL, s->files[i].path,
                           "%s[\"%s\"].%s: expected a mapping", list_key, name, body_key);
            out->body = body;
            out->file = &s->files[i];
            out->name = n;
            return TG_OK;
        }
    }
    return TG_ENOTFOUND;
}

/* "dev, staging" (at most ~200 bytes): the names a list defines. */
static void kc_names(const struct kc_set *s, const char *list_key, char *out, size_t len)
{
    size_t used = 0;
    out[0] = '\0';
    for (size_t i = 0; i < s->n; i++) {
        size_t j;
        const json_t *it;
        json_array_foreach(json_object_get(s->files[i].root, list_key), j, it)
        {
            const char *n = json_string_value(json_object_get(it, "name"));
            if (!n || used + strlen(n) + 8 >= len)
                continue;
            used += (size_t)snprintf(out + used, len - used, "%s%s", used ? ", " : "", n);
        }
    }
    if (!used)
        snprintf(out, len, "none");
}

static const char *kc_current_context(const struct kc_set *s)
{
    for (size_t i = 0; i < s->n; i++) {
        const char *c =
            json_string_value(json_object_get(s->files[i].root, "current-context"));
        if (c && c[0])
            return c;
    }
    return NULL;
}

/* The kubeconfig field names tollgate refuses rather than ignores. */
static const struct {
    const char *key, *why;
} unsupported_user[] = {
    {"exec", "credential plugins (exec) are not supported; use a token, a tokenFile "
             "or a client certificate"},
    {"auth-provider", "auth-provider plugins are not supported; use a token, a "
                      "tokenFile or a client certificate"},
    {"username", "basic authentication (username/password) is not supported by "
                 "Kubernetes 1.19+; use a token or a client certificate"},
    {"password", "basic authentication (username/password) is not supported by "
                 "Kubernetes 1.19+; use a token or a client certificate"},
};
static const struct {
    const char *key, *why;
} unsupported_cluster[] = {
    {"tls-server-name", "tls-server-name is not supported; set server to a name the "
                        "API server's certificate covers"},
    {"proxy-url", "proxy-url is not supported; set HTTPS_PROXY instead"},
};

static enum tg_rc take_buf(struct buf *b, char **out, size_t *len)
{
    *len = buf_len(b);
    *out = buf_take(b);
    return TG_OK;
}

static enum tg_rc read_cluster(struct kube_config *cfg, const struct kc_entry *e,
                               struct kube_error *err)
{
    char where[300];
    const char *src = e->file->path;
    const char *server;
    snprintf(where, sizeof(where), "clusters[\"%s\"].cluster", e->name);
    for (size_t i = 0; i < ARRAY_LEN(unsupported_cluster); i++) {
        if (json_object_get(e->body, unsupported_cluster[i].key))
            return bad(err, TG_EINVAL, src, "%s.%s: %s", where,
                       unsupported_cluster[i].key, unsupported_cluster[i].why);
    }
    enum tg_rc rc = get_str(e->body, "server", src, where, &server, err);
    if (rc == TG_OK)
        rc = get_bool(e->body, "insecure-skip-tls-verify", src, where, &cfg->insecure,
                      err);
    if (rc != TG_OK)
        return rc;
    if (!server)
        return bad(err, TG_EINVAL, src, "%s.server: missing; set the API server's URL",
                   where);
    if (strncmp(server, "https://", 8) != 0 && strncmp(server, "http://", 7) != 0)
        return bad(err, TG_EINVAL, src,
                   "%s.server: \"%s\" is not an https:// (or http://) URL", where,
                   server);
    if (!(cfg->server = tg_strdup(server)))
        return oom(err);
    size_t n = strlen(cfg->server);
    while (n > 0 && cfg->server[n - 1] == '/')
        cfg->server[--n] = '\0';
    struct buf ca;
    buf_init(&ca, PEM_MAX);
    static const struct pem_field ca_field = {"certificate-authority",
                                              "certificate-authority-data"};
    rc = read_pem_field(e, where, &ca_field, &ca, err);
    if (rc == TG_OK && buf_len(&ca) && cfg->insecure)
        rc = bad(err, TG_EINVAL, src,
                 "%s: a certificate authority and insecure-skip-tls-verify: true are "
                 "both set; keep one (kubectl refuses this too)",
                 where);
    else if (rc == TG_OK && buf_len(&ca) && !has_cert(&ca))
        rc = bad(err, TG_EINVAL, src,
                 "%s.certificate-authority: no PEM certificate in it", where);
    if (rc == TG_OK && buf_len(&ca))
        rc = take_buf(&ca, &cfg->ca_pem, &cfg->ca_len);
    buf_cleanup(&ca);
    return rc;
}

static void wipe_buf(struct buf *b)
{
    if (b->data)
        OPENSSL_cleanse(b->data, b->alloc);
    buf_cleanup(b);
}

static enum tg_rc read_client_cert(struct kube_config *cfg, const struct kc_entry *e,
                                   const char *where, struct kube_error *err)
{
    static const struct pem_field cert_field = {"client-certificate",
                                                "client-certificate-data"};
    static const struct pem_field key_field = {"client-key", "client-key-data"};
    const char *src = e->file->path;
    struct buf cert, key;
    buf_init(&cert, PEM_MAX);
    buf_init(&key, PEM_MAX);
    enum tg_rc rc = read_pem_field(e, where, &cert_field, &cert, err);
    if (rc == TG_OK)
        rc = read_pem_field(e, where, &key_field, &key, err);
    if (rc != TG_OK || (!buf_len(&cert) && !buf_len(&key)))
        goto out;
    if (!buf_len(&cert) || !buf_len(&key)) {
        rc = bad(err, TG_EINVAL, src,
                 "%s: %s is set without %s; a client certificate "
                 "needs both",
                 where, buf_len(&cert) ? "client-certificate" : "client-key",
                 buf_len(&cert) ? "client-key" : "client-certificate");
        goto out;
    }
    static const char *const pair_errors[] = {
        NULL, "client-key: no unencrypted PEM private key in it",
        "client-certificate: no PEM certificate in it",
        "client-key: does not belong to client-certificate"};
    int pair = check_pair(&cert, &key);
    if (pair != 0) {
        rc = bad(err, TG_EINVAL, src, "%s.%s", where, pair_errors[pair]);
        goto out;
    }
    take_buf(&cert, &cfg->cert_pem, &cfg->cert_len);
    take_buf(&key, &cfg->key_pem, &cfg->key_len);
out:
    buf_cleanup(&cert);
    wipe_buf(&key);
    return rc;
}

static enum tg_rc read_user(struct kube_config *cfg, const struct kc_entry *e,
                            struct kube_error *err)
{
    char where[300];
    const char *src = e->file->path;
    const char *token, *token_file;
    snprintf(where, sizeof(where), "users[\"%s\"].user", e->name);
    for (size_t i = 0; i < ARRAY_LEN(unsupported_user); i++) {
        if (json_object_get(e->body, unsupported_user[i].key))
            return bad(err, TG_EINVAL, src, "%s.%s: %s", where, unsupported_user[i].key,
                       unsupported_user[i].why);
    }
    enum tg_rc rc = get_str(e->body, "token", src, where, &token, err);
    if (rc == TG_OK)
        rc = get_str(e->body, "tokenFile", src, where, &token_file, err);
    if (rc == TG_OK)
        rc = read_client_cert(cfg, e, where, err);
    if (rc != TG_OK)
        return rc;
    if (token_file) { /* client-go: the file wins over an inline token */
        cfg->auth = KUBE_AUTH_TOKEN_FILE;
        if (!(cfg->token_file = join_path(e->file->dir, token_file)))
            return oom(err);
    } else if (token) {
        cfg->auth = KUBE_AUTH_TOKEN;
        if (!kube_token_is_valid(token))
            return bad(err, TG_EINVAL, src,
                       "%s.token: holds spaces or control characters; a bearer token "
                       "cannot",
                       where);
        if (!(cfg->token = tg_strdup(token)))
            return oom(err);
    }
    return TG_OK;
}

static enum tg_rc set_origin(struct kube_config *cfg, const char *fmt, ...)
    TG_PRINTF(2, 3);

static enum tg_rc set_origin(struct kube_config *cfg, const char *fmt, ...)
{
    struct buf b;
    buf_init(&b, 0);
    va_list ap;
    va_start(ap, fmt);
    enum tg_rc rc = buf_vappendf(&b, fmt, ap);
    va_end(ap);
    if (rc != TG_OK) {
        buf_cleanup(&b);
        return rc;
    }
    cfg->origin = buf_take(&b);
    return TG_OK;
}

/* What to look up: entry `name` of `list_key` ("clusters", body under
 * `body_key`, "cluster"), named by field `field` of file `src` (NULL for
 * the context itself), for the message when it is not there. */
struct kc_ref {
    const char *list_key, *body_key, *name, *src, *field;
};

static enum tg_rc kc_lookup(const struct kc_set *s, const struct kc_ref *ref,
                            struct kc_entry *out, struct kube_error *err)
{
    enum tg_rc rc = kc_find(s, ref->list_key, ref->body_key, ref->name, out, err);
    if (rc != TG_ENOTFOUND)
        return rc;
    char names[256];
    kc_names(s, ref->list_key, names, sizeof(names));
    return bad(err, rc, ref->src, "%s%s%s \"%s\" not found (%s: %s)",
               ref->field ? ref->field : "", ref->field ? ": " : "", ref->body_key,
               ref->name, ref->list_key, names);
}

/* The cluster and the user a context names (no user: anonymous). */
static enum tg_rc kc_resolve_refs(struct kube_config *cfg, const struct kc_set *s,
                                  const struct kc_entry *ctx, struct kube_error *err)
{
    const char *src = ctx->file->path, *cluster, *user;
    char where[300], field[320];
    snprintf(where, sizeof(where), "contexts[\"%s\"].context", ctx->name);
    enum tg_rc rc = get_str(ctx->body, "cluster", src, where, &cluster, err);
    if (rc == TG_OK)
        rc = get_str(ctx->body, "user", src, where, &user, err);
    if (rc != TG_OK)
        return rc;
    if (!cluster)
        return bad(err, TG_EINVAL, src, "%s.cluster: missing", where);
    struct kc_entry e;
    snprintf(field, sizeof(field), "%s.cluster", where);
    const struct kc_ref cl = {"clusters", "cluster", cluster, src, field};
    rc = kc_lookup(s, &cl, &e, err);
    if (rc == TG_OK)
        rc = read_cluster(cfg, &e, err);
    if (rc != TG_OK || !user)
        return rc;
    snprintf(field, sizeof(field), "%s.user", where);
    const struct kc_ref us = {"users", "user", user, src, field};
    rc = kc_lookup(s, &us, &e, err);
    return rc == TG_OK ? read_user(cfg, &e, err) : rc;
}

/* The context, its cluster and its user, from the merged set. */
static enum tg_rc kc_resolve(struct kube_config *cfg, const struct kc_set *s,
                             const char *want, struct kube_error *err)
{
    const char *first = s->files[0].path;
    const char *name = want ? want : kc_current_context(s);
    if (!name)
        return bad(err, TG_ENOTFOUND, first,
                   "no current-context is set; pass --context or run kubectl config "
                   "use-context NAME");
    struct kc_entry ctx;
    const struct kc_ref ref = {"contexts", "context", name, first, NULL};
    enum tg_rc rc = kc_lookup(s, &ref, &ctx, err);
    if (rc == TG_OK)
        rc = kc_resolve_refs(cfg, s, &ctx, err);
    const char *ns = NULL;
    char where[300];
    snprintf(where, sizeof(where), "contexts[\"%s\"].context", name);
    if (rc == TG_OK)
        rc = get_str(ctx.body, "namespace", ctx.file->path, where, &ns, err);
    if (rc != TG_OK)
        return rc;
    if (!(cfg->namespace_ = tg_strdup(ns ? ns : "default")))
        return oom(err);
    rc = set_origin(cfg, "kubeconfig %s, context %s", ctx.file->path, name);
    return rc == TG_OK ? TG_OK : oom(err);
}

/* ---- which files --------------------------------------------------------- */

static bool exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0;
}

/* The kubeconfig files to merge: --kubeconfig, else $KUBECONFIG's existing
 * files, else ~/.kube/config if it exists.  TG_ENOTFOUND when none. */
static enum tg_rc kc_load_files(struct kc_set *s, const struct kube_config_opts *o,
                                struct kube_error *err)
{
    if (o->kubeconfig) {
        if (!exists(o->kubeconfig))
            return bad(err, TG_ENOTFOUND, o->kubeconfig,
                       "the kubeconfig file does not exist");
        return kc_add_file(s, o->kubeconfig, err);
    }
    const char *env = getenv("KUBECONFIG");
    if (env && env[0]) {
        char *list = tg_strdup(env);
        if (!list)
            return oom(err);
        enum tg_rc rc = TG_OK;
        for (char *p = list, *next; p && rc == TG_OK; p = next) {
            next = strchr(p, ':');
            if (next)
                *next++ = '\0';
            if (!p[0] || !exists(p))
                continue; /* kubectl skips missing files in the list */
            if (s->n == MAX_FILES)
                rc = bad(err, TG_EINVAL, "KUBECONFIG", "more than %d files", MAX_FILES);
            else
                rc = kc_add_file(s, p, err);
        }
        tg_free(list);
        if (rc == TG_OK && s->n == 0)
            rc =
                bad(err, TG_ENOTFOUND, "KUBECONFIG", "none of its files exist (%s)", env);
        return rc;
    }
    const char *home = getenv("HOME");
    char path[4096];
    if (!home ||
        (size_t)snprintf(path, sizeof(path), "%s/.kube/config", home) >= sizeof(path) ||
        !exists(path))
        return bad(err, TG_ENOTFOUND, "kubeconfig",
                   "no kubeconfig: pass --kubeconfig, set KUBECONFIG or create "
                   "~/.kube/config");
    return kc_add_file(s, path, err);
}

/* *no_files: there was no kubeconfig to read at all (AUTO then tries
 * in-cluster). */
static enum tg_rc load_kubeconfig(struct kube_config *cfg,
                                  const struct kube_config_opts *o, bool *no_files,
                                  struct kube_error *err)
{
    struct kc_set *s = tg_calloc(1, sizeof(*s));
    if (!s)
        return oom(err);
    enum tg_rc rc = kc_load_files(s, o, err);
    *no_files = rc == TG_ENOTFOUND && s->n == 0 && !o->kubeconfig;
    if (rc == TG_OK)
        rc = kc_resolve(cfg, s, o->context, err);
    kc_set_cleanup(s);
    tg_free(s);
    return rc;
}

/* ---- in-cluster ---------------------------------------------------------- */

static enum tg_rc in_cluster_server(struct kube_config *cfg, struct kube_error *err)
{
    const char *host = getenv("KUBERNETES_SERVICE_HOST");
    const char *port = getenv("KUBERNETES_SERVICE_PORT");
    if (!host || !host[0] || !port || !port[0])
        return bad(err, TG_ENOTFOUND, "in-cluster",
                   "KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT must both be set "
                   "(they are in a pod); outside a cluster use --kubeconfig");
    char *end;
    errno = 0;
    long p = strtol(port, &end, 10);
    if (errno || *end || p < 1 || p > 65535)
        return bad(err, TG_EINVAL, "in-cluster",
                   "KUBERNETES_SERVICE_PORT \"%s\" is not a port number", port);
    if (strspn(host,
               "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ.:-") !=
        strlen(host))
        return bad(err, TG_EINVAL, "in-cluster",
                   "KUBERNETES_SERVICE_HOST \"%s\" is not a host name or address", host);
    struct buf b;
    buf_init(&b, 0);
    bool v6 = strchr(host, ':') != NULL;
    if (buf_appendf(&b, "https://%s%s%s:%ld", v6 ? "[" : "", host, v6 ? "]" : "", p) !=
        TG_OK) {
        buf_cleanup(&b);
        return oom(err);
    }
    cfg->server = buf_take(&b);
    return TG_OK;
}

static enum tg_rc load_in_cluster(struct kube_config *cfg,
                                  const struct kube_config_opts *o,
                                  struct kube_error *err)
{
    const char *dir = o->sa_dir ? o->sa_dir : KUBE_SA_DIR;
    enum tg_rc rc = in_cluster_server(cfg, err);
    if (rc != TG_OK)
        return rc;
    struct tg_error ferr;
    struct buf b;
    buf_init(&b, PEM_MAX);
    char *ca = join_path(dir, "ca.crt");
    char *ns = join_path(dir, "namespace");
    cfg->token_file = join_path(dir, "token");
    cfg->auth = KUBE_AUTH_TOKEN_FILE;
    if (!ca || !ns || !cfg->token_file) {
        rc = oom(err);
        goto out;
    }
    rc = kube_file_read(ca, PEM_MAX, &b, &ferr);
    if (rc != TG_OK) {
        rc = bad(err, rc == TG_ENOTFOUND ? TG_EIO : rc, ca, "the service account's CA %s",
                 ferr.text);
        goto out;
    }
    if (!has_cert(&b)) {
        rc = bad(err, TG_EINVAL, ca, "the service account's CA holds no PEM certificate");
        goto out;
    }
    take_buf(&b, &cfg->ca_pem, &cfg->ca_len);
    rc = kube_file_read_trimmed(ns, &cfg->namespace_, &ferr);
    if (rc == TG_ENOTFOUND || rc == TG_EINVAL) /* absent or empty: "default" */
        rc = (cfg->namespace_ = tg_strdup("default")) ? TG_OK : TG_ENOMEM;
    if (rc == TG_OK)
        rc = set_origin(cfg, "in-cluster, service account directory %s", dir);
    if (rc != TG_OK)
        rc = rc == TG_ENOMEM ? oom(err) : bad(err, rc, ns, "%s", ferr.text);
out:
    buf_cleanup(&b);
    tg_free(ca);
    tg_free(ns);
    return rc;
}

/* The token file must be readable now: a wrong path fails at start-up. */
static enum tg_rc check_token_file(const struct kube_config *cfg, struct kube_error *err)
{
    if (cfg->auth != KUBE_AUTH_TOKEN_FILE)
        return TG_OK;
    struct kube_token t;
    struct tg_error ferr;
    enum tg_rc rc = kube_token_init(&t, NULL, cfg->token_file, &ferr);
    kube_token_cleanup(&t);
    if (rc == TG_ENOMEM)
        return oom(err);
    if (rc != TG_OK)
        return bad(err, rc, cfg->token_file, "the bearer token file %s", ferr.text);
    return TG_OK;
}

enum tg_rc kube_config_load(const struct kube_config_opts *opts, struct kube_config **out,
                            struct kube_error *err)
{
    static const struct kube_config_opts defaults = {KUBE_CONFIG_AUTO, NULL, NULL, NULL};
    const struct kube_config_opts *o = opts ? opts : &defaults;
    struct kube_config *cfg = tg_calloc(1, sizeof(*cfg));
    if (!cfg)
        return oom(err);
    enum tg_rc rc;
    bool no_files = false;
    if (o->mode == KUBE_CONFIG_IN_CLUSTER)
        rc = load_in_cluster(cfg, o, err);
    else
        rc = load_kubeconfig(cfg, o, &no_files, err);
    if (no_files && o->mode == KUBE_CONFIG_AUTO) { /* maybe we run in a pod */
        struct kube_error kerr;
        rc = load_in_cluster(cfg, o, &kerr);
        if (rc == TG_ENOTFOUND && err) {
            size_t n = strlen(err->base.text);
            snprintf(err->base.text + n, sizeof(err->base.text) - n,
                     "; not in a pod either (KUBERNETES_SERVICE_HOST is not set)");
        } else if (rc != TG_OK && err) {
            *err = kerr;
        }
    }
    if (rc == TG_OK)
        rc = check_token_file(cfg, err);
    if (rc == TG_OK) {
        *out = cfg;
        cfg = NULL;
    }
    kube_config_free(cfg);
    return rc;
}
