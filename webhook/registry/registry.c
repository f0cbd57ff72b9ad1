/* registry.c -- OCI distribution v2 client: tag -> digest, image -> USER.
 *
 * A lookup is a short conversation on one CURL handle (so the connection is
 * reused): the manifest, maybe the platform's manifest, maybe the config
 * blob, each behind the same Authorization once a challenge was answered.
 * Every request gets what is left of the lookup's budget as its timeout, so
 * the sum never exceeds it.  Bodies are capped; anything fetched by digest
 * is hashed and compared, so a registry (or a proxy) cannot hand us a
 * different image than the digest we report.
 */
#include "registry.h"

#include <ctype.h>
#include <curl/curl.h>
#include <jansson.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "alloc.h"
#include "buf.h"
#include "registry_auth.h"

#define MAX_BODY ((size_t)4 << 20)
#define POOL_MAX 8    /* idle CURL handles kept for their open connections */
#define DIGEST_LEN 71 /* "sha256:" + 64 hex */

#define MT_OCI_INDEX "application/vnd.oci.image.index.v1+json"
#define MT_OCI_MANIFEST "application/vnd.oci.image.manifest.v1+json"
#define MT_DOCKER_LIST "application/vnd.docker.distribution.manifest.list.v2+json"
#define MT_DOCKER_MANIFEST "application/vnd.docker.distribution.manifest.v2+json"

static const char accept_manifests[] = "Accept: " MT_OCI_INDEX ", " MT_OCI_MANIFEST
                                       ", " MT_DOCKER_LIST ", " MT_DOCKER_MANIFEST;

struct registry {
    char *ca_bundle;
    char **insecure;
    size_t n_insecure;
    char os[32], arch[32], variant[32];
    long timeout_ms;
    struct registry_auth *auth;
    struct registry_cache *cache;
    /* Idle handles: a lookup takes one for itself and gives it back, so the
     * next miss on the same registry reuses its connection (and TLS
     * session) instead of connecting again.  A handle is only ever used by
     * one lookup at a time; the lock guards the array, not the handles. */
    pthread_mutex_t pool_lock;
    CURL *pool[POOL_MAX];
    size_t n_pool;
};

/* What came back from one request. */
struct response {
    long status;
    struct buf body;
    enum tg_rc body_rc; /* why on_body stopped: TG_ETOOBIG or TG_ENOMEM */
    char content_type[128];
    char digest[DIGEST_LEN + 1]; /* Docker-Content-Digest, if well formed */
    char challenge[1024];        /* WWW-Authenticate */
    char effective[1024];        /* the URL that answered, after redirects */
};

/* One request of a lookup. */
struct http_req {
    const char *url;
    bool head;
    const char *accept; /* a whole "Accept: ..." line, or NULL */
};

enum auth_state { AUTH_NONE, AUTH_CACHED_TOKEN, AUTH_FRESH, AUTH_BASIC };

/* One lookup: one handle, one deadline, the Authorization that worked. */
struct lookup {
    struct registry *r;
    const struct imgref *ref;
    unsigned want;
    long long start_ms, deadline_ms;
    CURL *curl;
    char base[300]; /* "https://host/v2/<repo>" */
    bool insecure;
    char *authz; /* "Authorization: ..." (a secret: never in messages) */
    enum auth_state auth;
    char errbuf[CURL_ERROR_SIZE];
};

void registry_config_defaults(struct registry_config *cfg)
{
    memset(cfg, 0, sizeof(*cfg));
    cfg->platform = "linux/amd64";
    cfg->timeout_ms = 2000;
    cfg->cache_ttl_s = 300;
    cfg->error_ttl_s = 10;
    cfg->cache_max_entries = 1024;
}

static enum tg_rc parse_platform(struct registry *r, const char *p, struct tg_error *err)
{
    char copy[96];
    if (!p)
        p = "linux/amd64";
    int n = snprintf(copy, sizeof(copy), "%s", p);
    char *arch = strchr(copy, '/');
    char *variant = arch ? strchr(arch + 1, '/') : NULL;
    if (n < 0 || (size_t)n >= sizeof(copy) || !arch || arch == copy || !arch[1] ||
        (variant && (variant == arch + 1 || !variant[1] || strchr(variant + 1, '/'))))
        return tg_error_set(err, TG_EINVAL, "--registry-platform", 0, 0,
                            "\"%s\" is not a platform (expected os/arch or "
                            "os/arch/variant, e.g. linux/amd64)",
                            p);
    *arch++ = '\0';
    if (variant)
        *variant++ = '\0';
    if (strlen(copy) >= sizeof(r->os) || strlen(arch) >= sizeof(r->arch) ||
        (variant && strlen(variant) >= sizeof(r->variant)))
        return tg_error_set(err, TG_EINVAL, "--registry-platform", 0, 0,
                            "\"%s\" is too long", p);
    memcpy(r->os, copy, strlen(copy) + 1); /* lengths checked above */
    memcpy(r->arch, arch, strlen(arch) + 1);
    if (variant)
        memcpy(r->variant, variant, strlen(variant) + 1);
    return TG_OK;
}

static enum tg_rc copy_config(struct registry *r, const struct registry_config *cfg,
                              struct tg_error *err)
{
    if (cfg->ca_bundle) {
        FILE *f = fopen(cfg->ca_bundle, "r");
        if (!f)
            return tg_error_set(err, TG_EIO, cfg->ca_bundle, 0, 0,
                                "cannot read the registry CA bundle");
        fclose(f);
        if (!(r->ca_bundle = tg_strdup(cfg->ca_bundle)))
            return tg_error_setf(err, TG_ENOMEM, "out of memory");
    }
    if (cfg->n_insecure) {
        r->insecure = tg_calloc(cfg->n_insecure, sizeof(*r->insecure));
        if (!r->insecure)
            return tg_error_setf(err, TG_ENOMEM, "out of memory");
    }
    for (size_t i = 0; i < cfg->n_insecure; i++) {
        if (!(r->insecure[i] = tg_strdup(cfg->insecure[i])))
            return tg_error_setf(err, TG_ENOMEM, "out of memory");
        r->n_insecure++;
    }
    r->timeout_ms = cfg->timeout_ms > 0 ? cfg->timeout_ms : 2000;
    return parse_platform(r, cfg->platform, err);
}

enum tg_rc registry_new(const struct registry_config *cfg, struct registry **out,
                        struct tg_error *err)
{
    enum tg_rc rc;
    struct registry *r = tg_calloc(1, sizeof(*r));
    if (!r)
        return tg_error_setf(err, TG_ENOMEM, "out of memory");
    pthread_mutex_init(&r->pool_lock, NULL);
    rc = copy_config(r, cfg, err);
    if (rc != TG_OK)
        goto out;
    rc = registry_auth_new(cfg->docker_config, &r->auth, err);
    if (rc != TG_OK)
        goto out;
    size_t max = cfg->cache_ttl_s > 0 ? cfg->cache_max_entries : 0;
    r->cache = registry_cache_new(max, (long long)cfg->cache_ttl_s * 1000,
                                  (long long)cfg->error_ttl_s * 1000);
    if (!r->cache) {
        rc = tg_error_setf(err, TG_ENOMEM, "out of memory");
        goto out;
    }
    *out = r;
    r = NULL;
out:
    registry_free(r);
    return rc;
}

void registry_free(struct registry *r)
{
    if (!r)
        return;
    for (size_t i = 0; i < r->n_insecure; i++)
        tg_free(r->insecure[i]);
    tg_free(r->insecure);
    tg_free(r->ca_bundle);
    registry_auth_free(r->auth);
    registry_cache_free(r->cache);
    for (size_t i = 0; i < r->n_pool; i++)
        curl_easy_cleanup(r->pool[i]);
    pthread_mutex_destroy(&r->pool_lock);
    tg_free(r);
}

long registry_timeout_ms(const struct registry *r)
{
    return r->timeout_ms;
}

void registry_stats(struct registry *r, struct registry_cache_stats *out)
{
    registry_cache_stats(r->cache, out);
}

static bool is_insecure(const struct registry *r, const char *hostport)
{
    for (size_t i = 0; i < r->n_insecure; i++) {
        if (strcasecmp(r->insecure[i], hostport) == 0)
            return true;
    }
    return false;
}

/* ---- one HTTP request ---------------------------------------------------- */

static void response_init(struct response *resp)
{
    memset(resp, 0, sizeof(*resp));
    buf_init(&resp->body, MAX_BODY);
}

static size_t on_body(char *data, size_t size, size_t n, void *arg)
{
    struct response *resp = arg;
    enum tg_rc rc = buf_append(&resp->body, data, size * n);
    if (rc != TG_OK) {
        resp->body_rc = rc;
        return 0; /* curl stops with CURLE_WRITE_ERROR */
    }
    return size * n;
}

/* Copy a header's value without surrounding space and the CRLF. */
static bool header_value(const char *line, size_t len, const char *name, char *out,
                         size_t out_len)
{
    size_t nlen = strlen(name);
    if (len <= nlen || line[nlen] != ':' || strncasecmp(line, name, nlen) != 0)
        return false;
    const char *v = line + nlen + 1;
    const char *end = line + len;
    while (v < end && (*v == ' ' || *v == '\t'))
        v++;
    while (end > v && isspace((unsigned char)end[-1]))
        end--;
    size_t n = (size_t)(end - v) < out_len - 1 ? (size_t)(end - v) : out_len - 1;
    memcpy(out, v, n);
    out[n] = '\0';
    return true;
}

static bool is_sha256_digest(const char *d)
{
    if (strncmp(d, "sha256:", 7) != 0 || strlen(d) != DIGEST_LEN)
        return false;
    for (const char *p = d + 7; *p; p++) {
        if (!isdigit((unsigned char)*p) && !(*p >= 'a' && *p <= 'f'))
            return false;
    }
    return true;
}

static size_t on_header(char *line, size_t size, size_t n, void *arg)
{
    struct response *resp = arg;
    size_t len = size * n;
    char digest[96];
    if (len >= 5 && strncmp(line, "HTTP/", 5) == 0) {
        /* a new response (after a redirect): forget the previous headers */
        resp->content_type[0] = resp->digest[0] = resp->challenge[0] = '\0';
    } else if (header_value(line, len, "Content-Type", resp->content_type,
                            sizeof(resp->content_type))) {
        resp->content_type[strcspn(resp->content_type, "; ")] = '\0';
    } else if (header_value(line, len, "Docker-Content-Digest", digest, sizeof(digest))) {
        if (is_sha256_digest(digest))
            memcpy(resp->digest, digest, DIGEST_LEN + 1);
    } else {
        header_value(line, len, "WWW-Authenticate", resp->challenge,
                     sizeof(resp->challenge));
    }
    return len;
}

static enum tg_rc curl_failure(struct lookup *lk, CURLcode cc,
                               const struct response *resp, struct tg_error *err)
{
    const char *host = lk->ref->registry;
    const char *detail = lk->errbuf[0] ? lk->errbuf : curl_easy_strerror(cc);
    switch (cc) {
    case CURLE_OPERATION_TIMEDOUT:
        return tg_error_setf(err, TG_ETIMEDOUT,
                             "registry %s did not answer within %lld ms", host,
                             lk->deadline_ms - lk->start_ms);
    case CURLE_WRITE_ERROR:
        if (resp->body_rc == TG_ENOMEM)
            return tg_error_setf(err, TG_ENOMEM, "out of memory");
        if (resp->body_rc == TG_ETOOBIG)
            return tg_error_setf(err, TG_ETOOBIG,
                                 "registry %s sent a document larger than %zu bytes",
                                 host, MAX_BODY);
        break;
    case CURLE_COULDNT_CONNECT:
    case CURLE_COULDNT_RESOLVE_HOST:
        return tg_error_setf(err, TG_EIO, "cannot connect to registry %s: %s", host,
                             detail);
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_SSL_CACERT_BADFILE:
        return tg_error_setf(err, TG_EIO, "TLS with registry %s failed: %s", host,
                             detail);
    default:
        break;
    }
    return tg_error_setf(err, TG_EIO, "registry %s: %s", host, detail);
}

/* GET (or HEAD) `url` with the lookup's Authorization and what is left of
 * its budget.  HTTP errors are the caller's to judge (resp->status). */
static enum tg_rc perform(struct lookup *lk, const struct http_req *rq,
                          struct response *resp, struct tg_error *err)
{
    long long left = lk->deadline_ms - registry_now_ms();
    if (left <= 0)
        return curl_failure(lk, CURLE_OPERATION_TIMEDOUT, resp, err);
    struct curl_slist *hdrs = NULL, *tmp;
    const char *lines[] = {rq->accept, lk->authz};
    for (size_t i = 0; i < ARRAY_LEN(lines); i++) {
        if (!lines[i])
            continue;
        if (!(tmp = curl_slist_append(hdrs, lines[i]))) {
            curl_slist_free_all(hdrs);
            return tg_error_setf(err, TG_ENOMEM, "out of memory");
        }
        hdrs = tmp;
    }
    CURL *c = lk->curl;
    curl_easy_setopt(c, CURLOPT_URL, rq->url);
    curl_easy_setopt(c, CURLOPT_NOBODY, rq->head ? 1L : 0L);
    if (!rq->head)
        curl_easy_setopt(c, CURLOPT_HTTPGET, 1L);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdrs);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, (long)left);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, (long)left);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, resp);
    curl_easy_setopt(c, CURLOPT_HEADERDATA, resp);
    lk->errbuf[0] = '\0';
    CURLcode cc = curl_easy_perform(c);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, NULL);
    curl_slist_free_all(hdrs);
    if (cc != CURLE_OK)
        return curl_failure(lk, cc, resp, err);
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &resp->status);
    const char *effective = NULL;
    curl_easy_getinfo(c, CURLINFO_EFFECTIVE_URL, &effective);
    if (!effective || strlen(effective) >= sizeof(resp->effective))
        effective = ""; /* too long to follow by hand; the retry uses the original */
    memcpy(resp->effective, effective, strlen(effective) + 1);
    return TG_OK;
}

/* ---- authentication ------------------------------------------------------ */

static void drop_authz(struct lookup *lk)
{
    if (lk->authz)
        OPENSSL_cleanse(lk->authz, strlen(lk->authz));
    tg_free(lk->authz);
    lk->authz = NULL;
}

static enum tg_rc set_authz(struct lookup *lk, const char *value, enum auth_state state)
{
    struct buf b;
    buf_init(&b, 0);
    if (buf_appendf(&b, "Authorization: %s", value) != TG_OK) {
        buf_cleanup(&b);
        return TG_ENOMEM;
    }
    drop_authz(lk);
    lk->authz = buf_take(&b);
    lk->auth = state;
    return TG_OK;
}

/* The scope to ask for: the challenge's, or pull on the image's repository.
 * NULL on OOM. */
static char *scope_for(const struct lookup *lk, const struct registry_challenge *ch)
{
    struct buf b;
    buf_init(&b, 0);
    enum tg_rc rc = ch->scope
                        ? buf_appends(&b, ch->scope)
                        : buf_appendf(&b, "repository:%s:pull", lk->ref->repository);
    if (rc != TG_OK) {
        buf_cleanup(&b);
        return NULL;
    }
    return buf_take(&b);
}

/* "<host> <scope>": a token is good for one registry and one scope. */
static enum tg_rc token_key(const struct lookup *lk, const char *scope, struct buf *key)
{
    return buf_appendf(key, "%s %s", lk->ref->registry, scope);
}

/* A realm gets our credentials: it must be HTTPS unless it is listed as
 * insecure, exactly like a registry. */
static enum tg_rc check_realm(const struct lookup *lk, const char *realm,
                              struct tg_error *err)
{
    enum tg_rc rc = TG_EIO;
    char *scheme = NULL, *host = NULL, *port = NULL;
    CURLU *u = curl_url();
    if (!u)
        return tg_error_setf(err, TG_ENOMEM, "out of memory");
    if (curl_url_set(u, CURLUPART_URL, realm, 0) != CURLUE_OK ||
        curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK ||
        curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK) {
        tg_error_setf(err, rc, "registry %s sent a token realm that is not a URL",
                      lk->ref->registry);
        goto out;
    }
    char hostport[300];
    if (curl_url_get(u, CURLUPART_PORT, &port, 0) == CURLUE_OK)
        snprintf(hostport, sizeof(hostport), "%s:%s", host, port);
    else
        snprintf(hostport, sizeof(hostport), "%s", host);
    if (strcmp(scheme, "https") == 0 ||
        (strcmp(scheme, "http") == 0 && is_insecure(lk->r, hostport)))
        rc = TG_OK;
    else
        tg_error_setf(err, rc,
                      "token realm %s of registry %s is not HTTPS (list %s as insecure "
                      "to allow it)",
                      realm, lk->ref->registry, hostport);
out:
    curl_free(scheme);
    curl_free(host);
    curl_free(port);
    curl_url_cleanup(u);
    return rc;
}

static enum tg_rc token_url(struct lookup *lk, const struct registry_challenge *ch,
                            const char *scope, struct buf *url)
{
    char *esc_scope = curl_easy_escape(lk->curl, scope, 0);
    char *esc_service = ch->service ? curl_easy_escape(lk->curl, ch->service, 0) : NULL;
    enum tg_rc rc = TG_ENOMEM;
    if (!esc_scope || (ch->service && !esc_service))
        goto out;
    rc = buf_appendf(url, "%s%cscope=%s", ch->realm, strchr(ch->realm, '?') ? '&' : '?',
                     esc_scope);
    if (rc == TG_OK && esc_service)
        rc = buf_appendf(url, "&service=%s", esc_service);
out:
    curl_free(esc_scope);
    curl_free(esc_service);
    return rc;
}

static enum tg_rc use_token(struct lookup *lk, const char *token, enum auth_state state)
{
    struct buf v;
    buf_init(&v, 0);
    enum tg_rc rc = buf_appendf(&v, "Bearer %s", token);
    if (rc == TG_OK)
        rc = set_authz(lk, buf_str(&v), state);
    if (buf_len(&v))
        OPENSSL_cleanse(v.data, buf_len(&v));
    buf_cleanup(&v);
    return rc;
}

/* GET the realm with basic credentials when we have some: the lookup's
 * Authorization is swapped for them meanwhile, so a registry's token is
 * never sent to a token server. */
static enum tg_rc ask_realm(struct lookup *lk, const char *url, struct response *resp,
                            bool *had_creds, struct tg_error *err)
{
    char *basic = NULL;
    enum tg_rc rc = registry_auth_basic(lk->r->auth, lk->ref->registry, &basic);
    if (rc == TG_ENOMEM)
        return tg_error_setf(err, rc, "out of memory");
    *had_creds = rc == TG_OK;
    char *saved = lk->authz;
    lk->authz = NULL;
    rc = basic ? set_authz(lk, basic, AUTH_BASIC) : TG_OK;
    if (rc == TG_OK)
        rc = perform(lk, &(struct http_req){url, false, NULL}, resp, err);
    else
        tg_error_setf(err, rc, "out of memory");
    drop_authz(lk);
    lk->authz = saved;
    if (basic)
        OPENSSL_cleanse(basic, strlen(basic));
    tg_free(basic);
    return rc;
}

/* The bearer flow: ask the realm for a token for the scope, remember it and
 * use it for the rest of the lookup. */
static enum tg_rc fetch_token(struct lookup *lk, const struct registry_challenge *ch,
                              struct tg_error *err)
{
    char *scope = NULL, *token = NULL;
    long expires_in = 0;
    bool had_creds = false;
    struct buf url, key;
    struct response resp;
    buf_init(&url, 0);
    buf_init(&key, 0);
    response_init(&resp);
    enum tg_rc rc = check_realm(lk, ch->realm, err);
    if (rc != TG_OK)
        goto out;
    scope = scope_for(lk, ch);
    if (!scope || token_key(lk, scope, &key) != TG_OK ||
        token_url(lk, ch, scope, &url) != TG_OK) {
        rc = tg_error_setf(err, TG_ENOMEM, "out of memory");
        goto out;
    }
    rc = ask_realm(lk, buf_str(&url), &resp, &had_creds, err);
    if (rc != TG_OK)
        goto out;
    if (resp.status != 200) {
        rc = tg_error_setf(
            err, TG_EIO, "token server of registry %s refused a token (%ld)%s",
            lk->ref->registry, resp.status,
            had_creds ? "" : "; no credentials for it in the registry auth file");
        goto out;
    }
    rc = registry_auth_parse_token(buf_str(&resp.body), buf_len(&resp.body), &token,
                                   &expires_in, err);
    if (rc != TG_OK) {
        tg_error_prefix(err, "token server");
        goto out;
    }
    rc = registry_auth_token_put(lk->r->auth, buf_str(&key), token, expires_in);
    if (rc == TG_OK)
        rc = use_token(lk, token, AUTH_FRESH);
    if (rc != TG_OK)
        tg_error_setf(err, rc, "out of memory");
out:
    if (token)
        OPENSSL_cleanse(token, strlen(token));
    tg_free(token);
    tg_free(scope);
    buf_cleanup(&url);
    buf_cleanup(&key);
    buf_cleanup(&resp.body);
    return rc;
}

/* Answer a Basic challenge with the host's credentials, if we have some. */
static enum tg_rc use_basic(struct lookup *lk, struct tg_error *err)
{
    char *basic = NULL;
    enum tg_rc rc = registry_auth_basic(lk->r->auth, lk->ref->registry, &basic);
    if (rc == TG_OK)
        rc = set_authz(lk, basic, AUTH_BASIC);
    if (basic)
        OPENSSL_cleanse(basic, strlen(basic));
    tg_free(basic);
    if (rc == TG_ENOTFOUND)
        return tg_error_setf(err, TG_EIO,
                             "registry %s requires authentication; there are no "
                             "credentials for it in the registry auth file",
                             lk->ref->registry);
    if (rc != TG_OK)
        return tg_error_setf(err, rc, "out of memory");
    return TG_OK;
}

/* A 401: answer the challenge once, unless what we sent was already the
 * best we have. */
static enum tg_rc answer_challenge(struct lookup *lk, const struct response *resp,
                                   struct tg_error *err)
{
    const char *host = lk->ref->registry;
    if (lk->auth == AUTH_FRESH || lk->auth == AUTH_BASIC)
        return tg_error_setf(err, TG_EIO,
                             "registry %s: authentication failed (401); check its "
                             "credentials in the registry auth file",
                             host);
    struct registry_challenge ch;
    struct tg_error cerr;
    enum tg_rc rc = registry_challenge_parse(resp->challenge, &ch, &cerr);
    if (rc == TG_ENOMEM)
        return tg_error_setf(err, rc, "out of memory");
    if (rc != TG_OK)
        return tg_error_setf(err, TG_EIO,
                             "registry %s answered 401 with a malformed WWW-Authenticate "
                             "(column %d: %s)",
                             host, cerr.column, cerr.text);
    if (strcmp(ch.scheme, "basic") == 0) {
        rc = use_basic(lk, err);
    } else if (strcmp(ch.scheme, "bearer") == 0 && ch.realm) {
        rc = fetch_token(lk, &ch, err);
    } else {
        rc = tg_error_setf(err, TG_EIO,
                           "registry %s asks for unsupported authentication %s", host,
                           ch.scheme);
    }
    registry_challenge_cleanup(&ch);
    return rc;
}

/* perform() behind the auth dance: at most one challenge answered. */
static enum tg_rc request(struct lookup *lk, const struct http_req *rq,
                          struct response *resp, struct tg_error *err)
{
    char url[sizeof(resp->effective)];
    struct http_req cur = *rq;
    for (int attempt = 0;; attempt++) {
        enum tg_rc rc = perform(lk, &cur, resp, err);
        if (rc != TG_OK || resp->status != 401 || attempt == 2)
            return rc;
        rc = answer_challenge(lk, resp, err);
        if (rc != TG_OK)
            return rc;
        /* A registry that redirects (registry.k8s.io to its mirrors) passes
         * on the final host's 401, and curl sends our Authorization only to
         * the host a URL names, so a token from that host's own realm is
         * sent there directly.  Basic credentials never follow a redirect. */
        if (lk->auth == AUTH_FRESH && resp->effective[0] &&
            strcmp(resp->effective, cur.url) != 0) {
            memcpy(url, resp->effective, strlen(resp->effective) + 1);
            cur.url = url;
        }
        buf_reset(&resp->body);
        resp->status = 0;
    }
}

/* An answer other than 200 as a message; `what` names the document. */
static enum tg_rc status_failure(const struct lookup *lk, long status, const char *what,
                                 struct tg_error *err)
{
    const char *host = lk->ref->registry;
    if (status == 404)
        return tg_error_setf(err, TG_ENOTFOUND, "%s not found on %s", what, host);
    if (status == 401 || status == 403)
        return tg_error_setf(err, TG_EIO, "registry %s denied access to %s (%ld)", host,
                             what, status);
    return tg_error_setf(err, TG_EIO, "registry %s answered HTTP %ld for %s", host,
                         status, what);
}

/* ---- documents ----------------------------------------------------------- */

static void sha256_digest(const struct buf *b, char out[DIGEST_LEN + 1])
{
    unsigned char md[32];
    static const char hex[] = "0123456789abcdef";
    EVP_Digest(buf_str(b), buf_len(b), md, NULL, EVP_sha256(), NULL);
    memcpy(out, "sha256:", 7);
    for (size_t i = 0; i < sizeof(md); i++) {
        out[7 + 2 * i] = hex[md[i] >> 4];
        out[8 + 2 * i] = hex[md[i] & 15];
    }
    out[DIGEST_LEN] = '\0';
}

/* The body's digest into `out`, checked against Docker-Content-Digest and
 * against `expected` (what we asked for by digest; may be NULL). */
static enum tg_rc verify(const struct lookup *lk, const struct response *resp,
                         const char *expected, char out[DIGEST_LEN + 1],
                         struct tg_error *err)
{
    sha256_digest(&resp->body, out);
    if (resp->digest[0] && strcmp(resp->digest, out) != 0)
        return tg_error_setf(err, TG_EINVAL,
                             "registry %s sent a manifest whose sha256 is not its "
                             "Docker-Content-Digest",
                             lk->ref->registry);
    if (expected && strcmp(expected, out) != 0)
        return tg_error_setf(err, TG_EINVAL,
                             "registry %s sent content for %s whose sha256 is %s",
                             lk->ref->registry, expected, out);
    return TG_OK;
}

/* GET `base/kind/reference` into resp (caller-initialised); 200 or an error. */
static enum tg_rc get_doc(struct lookup *lk, const char *kind, const char *reference,
                          struct response *resp, struct tg_error *err)
{
    char url[512], what[400];
    snprintf(url, sizeof(url), "%s/%s/%s", lk->base, kind, reference);
    bool manifest = strcmp(kind, "manifests") == 0;
    struct http_req rq = {url, false, manifest ? accept_manifests : NULL};
    enum tg_rc rc = request(lk, &rq, resp, err);
    if (rc != TG_OK || resp->status == 200)
        return rc;
    snprintf(what, sizeof(what), "%s %s%c%s", manifest ? "manifest" : "config blob",
             lk->ref->repository, strncmp(reference, "sha256:", 7) == 0 ? '@' : ':',
             reference);
    return status_failure(lk, resp->status, what, err);
}

static enum tg_rc parse_doc(const struct lookup *lk, const struct response *resp,
                            json_t **out, struct tg_error *err)
{
    json_error_t jerr;
    json_t *root = json_loadb(buf_str(&resp->body), buf_len(&resp->body), 0, &jerr);
    if (!root || !json_is_object(root)) {
        json_decref(root);
        return tg_error_setf(err, TG_EINVAL,
                             "registry %s sent a malformed document for %s (line %d: %s)",
                             lk->ref->registry, lk->ref->repository, root ? 1 : jerr.line,
                             root ? "not an object" : jerr.text);
    }
    *out = root;
    return TG_OK;
}

enum doc_kind { DOC_INDEX, DOC_MANIFEST };

/* A manifest or index as fetched: its digest, document and kind. */
struct manifest {
    char digest[DIGEST_LEN + 1];
    json_t *doc; /* owned */
    enum doc_kind kind;
};

static enum tg_rc classify(const struct lookup *lk, const json_t *doc,
                           const struct response *resp, enum doc_kind *kind,
                           struct tg_error *err)
{
    const char *mt = json_string_value(json_object_get(doc, "mediaType"));
    if (!mt)
        mt = resp->content_type;
    if (json_integer_value(json_object_get(doc, "schemaVersion")) != 2)
        return tg_error_setf(err, TG_EINVAL,
                             "registry %s sent an unsupported manifest for %s (schema "
                             "version is not 2)",
                             lk->ref->registry, lk->ref->repository);
    if (strcmp(mt, MT_OCI_INDEX) == 0 || strcmp(mt, MT_DOCKER_LIST) == 0)
        *kind = DOC_INDEX;
    else if (strcmp(mt, MT_OCI_MANIFEST) == 0 || strcmp(mt, MT_DOCKER_MANIFEST) == 0)
        *kind = DOC_MANIFEST;
    else if (json_is_array(json_object_get(doc, "manifests"))) /* mediaType is optional */
        *kind = DOC_INDEX;
    else if (json_is_object(json_object_get(doc, "config")))
        *kind = DOC_MANIFEST;
    else
        return tg_error_setf(err, TG_EINVAL,
                             "registry %s sent a document for %s that is not an image "
                             "manifest (media type \"%s\")",
                             lk->ref->registry, lk->ref->repository, mt);
    return TG_OK;
}

static bool platform_matches(const struct registry *r, const json_t *platform)
{
    const char *os = json_string_value(json_object_get(platform, "os"));
    const char *arch = json_string_value(json_object_get(platform, "architecture"));
    const char *variant = json_string_value(json_object_get(platform, "variant"));
    if (!os || !arch || strcmp(os, r->os) != 0 || strcmp(arch, r->arch) != 0)
        return false;
    return !r->variant[0] || (variant && strcmp(variant, r->variant) == 0);
}

/* The digest of the configured platform's manifest in an index. */
static enum tg_rc pick_platform(const struct lookup *lk, const json_t *index,
                                char out[DIGEST_LEN + 1], struct tg_error *err)
{
    const struct registry *r = lk->r;
    const json_t *list = json_object_get(index, "manifests");
    char seen[200] = "";
    size_t seen_len = 0;
    for (size_t i = 0; i < json_array_size(list); i++) {
        const json_t *m = json_array_get(list, i);
        const json_t *platform = json_object_get(m, "platform");
        const char *digest = json_string_value(json_object_get(m, "digest"));
        if (platform_matches(r, platform) && digest && is_sha256_digest(digest)) {
            memcpy(out, digest, DIGEST_LEN + 1);
            return TG_OK;
        }
        const char *os = json_string_value(json_object_get(platform, "os"));
        const char *arch = json_string_value(json_object_get(platform, "architecture"));
        if (os && arch && seen_len < sizeof(seen)) {
            int n = snprintf(seen + seen_len, sizeof(seen) - seen_len, "%s%s/%s",
                             seen_len ? ", " : "", os, arch);
            seen_len += n > 0 ? (size_t)n : 0;
        }
    }
    return tg_error_setf(err, TG_EINVAL, "%s:%s has no image for %s/%s%s%s (it has: %s)",
                         lk->ref->name, lk->ref->tag ? lk->ref->tag : "", r->os, r->arch,
                         r->variant[0] ? "/" : "", r->variant,
                         seen_len ? seen : "nothing usable");
}

/* config.User of the image whose manifest is `manifest`: "" when unset. */
static enum tg_rc read_user(struct lookup *lk, const json_t *manifest, char **user,
                            struct tg_error *err)
{
    const char *cd =
        json_string_value(json_object_get(json_object_get(manifest, "config"), "digest"));
    json_t *cfg = NULL;
    char got[DIGEST_LEN + 1];
    struct response resp;
    response_init(&resp);
    enum tg_rc rc;
    if (!cd || !is_sha256_digest(cd)) {
        rc = tg_error_setf(err, TG_EINVAL,
                           "registry %s sent a manifest for %s without a sha256 config "
                           "digest",
                           lk->ref->registry, lk->ref->repository);
        goto out;
    }
    rc = get_doc(lk, "blobs", cd, &resp, err);
    if (rc == TG_OK)
        rc = verify(lk, &resp, cd, got, err);
    if (rc == TG_OK)
        rc = parse_doc(lk, &resp, &cfg, err);
    if (rc != TG_OK)
        goto out;
    const json_t *u = json_object_get(json_object_get(cfg, "config"), "User");
    if (u && !json_is_string(u)) {
        rc = tg_error_setf(err, TG_EINVAL,
                           "image config of %s: config.User is not a string",
                           lk->ref->repository);
        goto out;
    }
    *user = tg_strdup(u ? json_string_value(u) : "");
    rc = *user ? TG_OK : tg_error_setf(err, TG_ENOMEM, "out of memory");
out:
    json_decref(cfg);
    buf_cleanup(&resp.body);
    return rc;
}

/* GET a manifest by reference (tag or digest), verified and parsed into
 * *m; the caller releases m->doc. */
static enum tg_rc get_manifest(struct lookup *lk, const char *reference,
                               struct manifest *m, struct tg_error *err)
{
    struct response resp;
    response_init(&resp);
    const char *expected = is_sha256_digest(reference) ? reference : NULL;
    m->doc = NULL;
    enum tg_rc rc = get_doc(lk, "manifests", reference, &resp, err);
    if (rc == TG_OK)
        rc = verify(lk, &resp, expected, m->digest, err);
    if (rc == TG_OK)
        rc = parse_doc(lk, &resp, &m->doc, err);
    if (rc == TG_OK)
        rc = classify(lk, m->doc, &resp, &m->kind, err);
    if (rc != TG_OK) {
        json_decref(m->doc);
        m->doc = NULL;
    }
    buf_cleanup(&resp.body);
    return rc;
}

/* The platform's image manifest: `top` itself, or the one its index names. */
static enum tg_rc platform_manifest(struct lookup *lk, const struct manifest *top,
                                    struct manifest *m, struct tg_error *err)
{
    char digest[DIGEST_LEN + 1];
    enum tg_rc rc = pick_platform(lk, top->doc, digest, err);
    if (rc == TG_OK)
        rc = get_manifest(lk, digest, m, err);
    if (rc == TG_OK && m->kind != DOC_MANIFEST)
        rc =
            tg_error_setf(err, TG_EINVAL,
                          "registry %s: the %s/%s entry of %s's index is itself an index",
                          lk->ref->registry, lk->r->os, lk->r->arch, lk->ref->repository);
    return rc;
}

/* Digest of the tag, and the platform image's USER when wanted. */
static enum tg_rc resolve_full(struct lookup *lk, const char *reference,
                               struct registry_image *out, struct tg_error *err)
{
    struct manifest top = {.doc = NULL}, plat = {.doc = NULL};
    enum tg_rc rc = get_manifest(lk, reference, &top, err);
    if (rc == TG_OK && (lk->want & REGISTRY_WANT_USER)) {
        const struct manifest *image = &top;
        if (top.kind == DOC_INDEX) {
            rc = platform_manifest(lk, &top, &plat, err);
            image = &plat;
        }
        if (rc == TG_OK)
            rc = read_user(lk, image->doc, &out->config_user, err);
    }
    if (rc == TG_OK && !(out->digest = tg_strdup(top.digest)))
        rc = tg_error_setf(err, TG_ENOMEM, "out of memory");
    json_decref(top.doc);
    json_decref(plat.doc);
    return rc;
}

/* Only the digest: a HEAD is enough when the registry sends
 * Docker-Content-Digest (they all do; the spec says SHOULD). */
static enum tg_rc resolve_digest(struct lookup *lk, const char *reference,
                                 struct registry_image *out, struct tg_error *err)
{
    char url[512];
    struct response resp;
    response_init(&resp);
    snprintf(url, sizeof(url), "%s/manifests/%s", lk->base, reference);
    enum tg_rc rc =
        request(lk, &(struct http_req){url, true, accept_manifests}, &resp, err);
    if (rc == TG_OK && resp.status == 404) {
        rc = tg_error_setf(err, TG_ENOTFOUND, "manifest %s:%s not found on %s",
                           lk->ref->repository, reference, lk->ref->registry);
    } else if (rc == TG_OK && resp.status == 200 && resp.digest[0]) {
        if (!(out->digest = tg_strdup(resp.digest)))
            rc = tg_error_setf(err, TG_ENOMEM, "out of memory");
    } else if (rc == TG_OK) {
        rc = resolve_full(lk, reference, out, err); /* no header, or HEAD refused */
    }
    buf_cleanup(&resp.body);
    return rc;
}

/* libcurl (and through it OpenSSL) is set up at the first lookup, not at
 * start-up: OpenSSL 3's initialisation alone pages ~3 MB of libcrypto into
 * the server's resident set (bench/README.md), and a policy without
 * resolveDigest or checkImageUser never looks anything up.  pthread_once
 * makes it safe from the server's threads whatever libcurl's own
 * guarantees; curl_global_cleanup at exit is harmless if it never ran. */
static pthread_once_t curl_once = PTHREAD_ONCE_INIT;

static void curl_setup(void)
{
    curl_global_init(CURL_GLOBAL_DEFAULT);
}

/* A handle of our own: an idle one (options cleared, connections kept) or
 * a new one.  NULL on OOM. */
static CURL *handle_take(struct registry *r)
{
    CURL *c = NULL;
    pthread_once(&curl_once, curl_setup);
    pthread_mutex_lock(&r->pool_lock);
    if (r->n_pool)
        c = r->pool[--r->n_pool];
    pthread_mutex_unlock(&r->pool_lock);
    if (!c)
        return curl_easy_init();
    curl_easy_reset(c);
    return c;
}

static void handle_give(struct registry *r, CURL *c)
{
    if (!c)
        return;
    pthread_mutex_lock(&r->pool_lock);
    if (r->n_pool < POOL_MAX) {
        r->pool[r->n_pool++] = c;
        c = NULL;
    }
    pthread_mutex_unlock(&r->pool_lock);
    curl_easy_cleanup(c);
}

static enum tg_rc setup_handle(struct lookup *lk, struct tg_error *err)
{
    CURL *c = handle_take(lk->r);
    if (!c)
        return tg_error_setf(err, TG_ENOMEM, "cannot create a curl handle");
    lk->curl = c;
    const char *protocols = lk->insecure ? "http,https" : "https";
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L); /* threads: no SIGALRM for timeouts */
    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, lk->errbuf);
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https"); /* realms checked apart */
    curl_easy_setopt(c, CURLOPT_REDIR_PROTOCOLS_STR, protocols);
    curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 1L); /* blobs live behind redirects */
    curl_easy_setopt(c, CURLOPT_MAXREDIRS, 3L);
    curl_easy_setopt(c, CURLOPT_USERAGENT, "tollgate/" TOLLGATE_VERSION);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
    if (lk->r->ca_bundle)
        curl_easy_setopt(c, CURLOPT_CAINFO, lk->r->ca_bundle);
    return TG_OK;
}

/* The cache's fetch: one lookup on its own handle. */
static enum tg_rc fetch(void *arg, struct registry_image *out, struct tg_error *err)
{
    struct lookup *lk = arg;
    const struct imgref *ref = lk->ref;
    const char *reference = ref->digest ? ref->digest : ref->tag ? ref->tag : "latest";
    char *cached = NULL;
    struct buf key;
    buf_init(&key, 0);
    enum tg_rc rc = setup_handle(lk, err);
    if (rc != TG_OK)
        goto out;
    /* a token from an earlier lookup saves the 401 round trip */
    if (buf_appendf(&key, "%s repository:%s:pull", ref->registry, ref->repository) ==
            TG_OK &&
        registry_auth_token_get(lk->r->auth, buf_str(&key), &cached) == TG_OK &&
        use_token(lk, cached, AUTH_CACHED_TOKEN) != TG_OK) {
        rc = tg_error_setf(err, TG_ENOMEM, "out of memory");
        goto out;
    }
    if (lk->want & REGISTRY_WANT_USER || ref->digest)
        rc = resolve_full(lk, reference, out, err);
    else
        rc = resolve_digest(lk, reference, out, err);
    if (rc != TG_OK)
        registry_image_cleanup(out);
out:
    if (cached)
        OPENSSL_cleanse(cached, strlen(cached));
    tg_free(cached);
    buf_cleanup(&key);
    drop_authz(lk);
    handle_give(lk->r, lk->curl);
    lk->curl = NULL;
    return rc;
}

static enum tg_rc cache_key(const struct imgref *ref, unsigned want, struct buf *key)
{
    return buf_appendf(key, "%u %s%s%s%s%s", want, ref->name, ref->tag ? ":" : "",
                       ref->tag ? ref->tag : "", ref->digest ? "@" : "",
                       ref->digest ? ref->digest : "");
}

/* Pinned, and only the digest asked for: the reference already says it. */
static bool answered_by_reference(const struct registry_request *rq)
{
    return !(rq->want & REGISTRY_WANT_USER) && rq->ref->digest;
}

static enum tg_rc copy_reference_digest(const struct imgref *ref,
                                        struct registry_image *out, struct tg_error *err)
{
    out->digest = tg_strdup(ref->digest);
    return out->digest ? TG_OK : tg_error_setf(err, TG_ENOMEM, "out of memory");
}

enum tg_rc registry_lookup_cached(struct registry *r, const struct registry_request *rq,
                                  struct registry_image *out, bool *hit,
                                  struct tg_error *err)
{
    out->digest = out->config_user = NULL;
    *hit = true;
    if (answered_by_reference(rq))
        return copy_reference_digest(rq->ref, out, err);
    struct buf key;
    buf_init(&key, 0);
    enum tg_rc rc = cache_key(rq->ref, rq->want, &key);
    if (rc == TG_OK)
        rc = registry_cache_peek(r->cache, buf_str(&key), out, hit, err);
    else
        rc = tg_error_setf(err, TG_ENOMEM, "out of memory");
    buf_cleanup(&key);
    return rc;
}

enum tg_rc registry_lookup(struct registry *r, const struct registry_request *rq,
                           struct registry_image *out, struct tg_error *err)
{
    const struct imgref *ref = rq->ref;
    unsigned want = rq->want;
    out->digest = out->config_user = NULL;
    if (answered_by_reference(rq))
        return copy_reference_digest(ref, out, err);
    long long now = registry_now_ms();
    struct lookup lk = {.r = r, .ref = ref, .want = want, .start_ms = now};
    lk.deadline_ms = now + r->timeout_ms;
    if (rq->deadline_ms < lk.deadline_ms)
        lk.deadline_ms = rq->deadline_ms;
    lk.insecure = is_insecure(r, ref->registry);
    /* Docker Hub's API lives on another host than its name */
    const char *api =
        strcmp(ref->registry, "docker.io") == 0 ? "registry-1.docker.io" : ref->registry;
    int n = snprintf(lk.base, sizeof(lk.base), "%s://%s/v2/%s",
                     lk.insecure ? "http" : "https", api, ref->repository);
    if (n < 0 || (size_t)n >= sizeof(lk.base))
        return tg_error_setf(err, TG_EINVAL, "image name %s is too long", ref->name);
    struct buf key;
    buf_init(&key, 0);
    if (cache_key(ref, want, &key) != TG_OK) {
        buf_cleanup(&key);
        return tg_error_setf(err, TG_ENOMEM, "out of memory");
    }
    struct registry_query q = {buf_str(&key), lk.deadline_ms, fetch, &lk,
                               lk.deadline_ms < now + r->timeout_ms};
    enum tg_rc rc = registry_cache_get(r->cache, &q, out, err);
    buf_cleanup(&key);
    return rc;
}
