/* kube_client.c -- one CURL handle speaking JSON to the API server.
 *
 * The handle's fixed options (TLS material, protocols, callbacks) are set
 * once in kube_client_new; each call sets only what changes (URL, method,
 * body, headers, timeout), so the connection and TLS session are reused
 * from call to call.  Everything libcurl reports is sorted into the fault
 * classes of kube_error.h here, in one place, so callers never look at a
 * CURLcode.
 */
#include "kube_client.h"

#include <curl/curl.h>
#include <openssl/crypto.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "alloc.h"
#include "buf.h"
#include "kube_decode.h"
#include "kube_token.h"

#define CALL_MAX 200 /* "METHOD /path" in messages: the query left out */

struct kube_client {
    const struct kube_config *cfg;
    CURL *curl;
    long timeout_ms;
    size_t max_body;
    struct kube_token token;
    char errbuf[CURL_ERROR_SIZE];
};

/* What came back from one request. */
struct response {
    struct buf body;
    enum tg_rc body_rc; /* why on_body stopped: TG_ETOOBIG or TG_ENOMEM */
    char retry_after[32];
};

/* One request as sent. */
struct request {
    const struct kube_call *call;
    char name[CALL_MAX]; /* "GET /api/v1/pods" */
    char *body;          /* JSON text or NULL; owned */
    long timeout_ms;
};

static const char *const method_names[] = {
    [KUBE_GET] = "GET",           [KUBE_POST] = "POST",     [KUBE_PUT] = "PUT",
    [KUBE_PATCH_MERGE] = "PATCH", [KUBE_DELETE] = "DELETE",
};

static enum tg_rc oom(struct kube_error *err, const char *call)
{
    return kube_error_set(err, TG_ENOMEM, KUBE_FAULT_LOCAL, call, "out of memory");
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

static size_t on_header(char *line, size_t size, size_t n, void *arg)
{
    struct response *resp = arg;
    size_t len = size * n;
    static const char name[] = "retry-after:";
    if (len > sizeof(name) - 1 && strncasecmp(line, name, sizeof(name) - 1) == 0) {
        const char *v = line + sizeof(name) - 1;
        size_t vlen = len - (sizeof(name) - 1);
        while (vlen > 0 && (*v == ' ' || *v == '\t')) {
            v++;
            vlen--;
        }
        while (vlen > 0 &&
               (v[vlen - 1] == '\r' || v[vlen - 1] == '\n' || v[vlen - 1] == ' '))
            vlen--;
        if (vlen >= sizeof(resp->retry_after))
            vlen = sizeof(resp->retry_after) - 1;
        memcpy(resp->retry_after, v, vlen);
        resp->retry_after[vlen] = '\0';
    } else if (len >= 5 && strncmp(line, "HTTP/", 5) == 0) {
        resp->retry_after[0] = '\0'; /* a new response (after 100 Continue) */
    }
    return len;
}

/* libcurl refused an option: only TLS blobs can fail this way, on a libcurl
 * built without support for them. */
static enum tg_rc setopt_failed(struct kube_error *err, const char *what, CURLcode cc)
{
    return kube_error_set(err, TG_EINVAL, KUBE_FAULT_LOCAL, NULL,
                          "libcurl cannot use %s: %s", what, curl_easy_strerror(cc));
}

static enum tg_rc set_blob(CURL *curl, CURLoption opt, const char *data, size_t len,
                           const char *what, struct kube_error *err)
{
    struct curl_blob blob = {(void *)(uintptr_t)data, len, CURL_BLOB_COPY};
    CURLcode cc = curl_easy_setopt(curl, opt, &blob);
    return cc == CURLE_OK ? TG_OK : setopt_failed(err, what, cc);
}

/* The TLS settings from the configuration, set once for the handle. */
static enum tg_rc set_tls(struct kube_client *c, struct kube_error *err)
{
    const struct kube_config *cfg = c->cfg;
    CURL *curl = c->curl;
    enum tg_rc rc = TG_OK;
    if (cfg->insecure) {
        curl_easy_setopt(curl, CURLOPT_SSL_VERIFYPEER, 0L);
        curl_easy_setopt(curl, CURLOPT_SSL_VERIFYHOST, 0L);
    } else if (cfg->ca_pem) {
        /* exactly this CA, not the system's as well */
        curl_easy_setopt(curl, CURLOPT_CAINFO, NULL);
        curl_easy_setopt(curl, CURLOPT_CAPATH, NULL);
        rc = set_blob(curl, CURLOPT_CAINFO_BLOB, cfg->ca_pem, cfg->ca_len,
                      "an in-memory CA bundle", err);
    }
    if (rc == TG_OK && cfg->cert_pem) {
        curl_easy_setopt(curl, CURLOPT_SSLCERTTYPE, "PEM");
        curl_easy_setopt(curl, CURLOPT_SSLKEYTYPE, "PEM");
        rc = set_blob(curl, CURLOPT_SSLCERT_BLOB, cfg->cert_pem, cfg->cert_len,
                      "an in-memory client certificate", err);
        if (rc == TG_OK)
            rc = set_blob(curl, CURLOPT_SSLKEY_BLOB, cfg->key_pem, cfg->key_len,
                          "an in-memory client key", err);
    }
    return rc;
}

enum tg_rc kube_client_new(const struct kube_config *cfg,
                           const struct kube_client_opts *opts, struct kube_client **out,
                           struct kube_error *err)
{
    enum tg_rc rc;
    struct tg_error terr;
    struct kube_client *c = tg_calloc(1, sizeof(*c));
    if (!c)
        return oom(err, NULL);
    c->cfg = cfg;
    c->timeout_ms =
        opts && opts->timeout_ms > 0 ? opts->timeout_ms : KUBE_DEFAULT_TIMEOUT_MS;
    c->max_body = opts && opts->max_body > 0 ? opts->max_body : KUBE_DEFAULT_MAX_BODY;
    rc = kube_token_init(&c->token, cfg->token, cfg->token_file, &terr);
    if (rc != TG_OK) {
        if (rc == TG_ENOMEM)
            oom(err, NULL);
        else if (err)
            kube_error_set(err, rc, KUBE_FAULT_LOCAL, NULL,
                           "%s: the bearer token file %s", cfg->token_file, terr.text);
        goto out;
    }
    if (!(c->curl = curl_easy_init())) {
        rc = kube_error_set(err, TG_EIO, KUBE_FAULT_LOCAL, NULL,
                            "libcurl could not make a handle");
        goto out;
    }
    CURL *curl = c->curl;
    curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, c->errbuf);
    curl_easy_setopt(curl, CURLOPT_USERAGENT, "tollgate/" TOLLGATE_VERSION);
    curl_easy_setopt(curl, CURLOPT_ACCEPT_ENCODING, ""); /* gzip: lists are large */
    curl_easy_setopt(curl, CURLOPT_TCP_KEEPALIVE, 1L);
    curl_easy_setopt(curl, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)c->max_body);
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, on_header);
    rc = set_tls(c, err);
    if (rc != TG_OK)
        goto out;
    *out = c;
    c = NULL;
out:
    kube_client_free(c);
    return rc;
}

void kube_client_free(struct kube_client *c)
{
    if (!c)
        return;
    if (c->curl)
        curl_easy_cleanup(c->curl);
    kube_token_cleanup(&c->token);
    tg_free(c);
}

const struct kube_config *kube_client_config(const struct kube_client *c)
{
    return c->cfg;
}

/* ---- one exchange -------------------------------------------------------- */

static bool is_valid_path(const char *p)
{
    if (!p || p[0] != '/')
        return false;
    for (; *p; p++) {
        unsigned char ch = (unsigned char)*p;
        if (ch <= 0x20 || ch >= 0x7f || ch == '#')
            return false;
    }
    return true;
}

static bool is_tls_failure(CURLcode cc)
{
    switch (cc) {
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_CIPHER:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_ISSUER_ERROR:
    case CURLE_SSL_CRL_BADFILE:
    case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
    case CURLE_SSL_INVALIDCERTSTATUS:
    case CURLE_USE_SSL_FAILED:
    case CURLE_SSL_ENGINE_NOTFOUND:
    case CURLE_SSL_ENGINE_SETFAILED:
    case CURLE_SSL_ENGINE_INITFAILED:
        return true;
    default:
        return false;
    }
}

/* Sort a failed transfer into its fault class. */
static enum tg_rc transfer_failed(struct kube_client *c, const struct request *rq,
                                  CURLcode cc, const struct response *resp,
                                  struct kube_error *err)
{
    const char *server = c->cfg->server;
    const char *detail = c->errbuf[0] ? c->errbuf : curl_easy_strerror(cc);
    long status = 0;
    curl_easy_getinfo(c->curl, CURLINFO_RESPONSE_CODE, &status);
    if (cc == CURLE_OPERATION_TIMEDOUT)
        return kube_error_set(err, TG_ETIMEDOUT, KUBE_FAULT_TIMEOUT, rq->name,
                              "no complete answer from %s within %ld ms", server,
                              rq->timeout_ms);
    if ((cc == CURLE_WRITE_ERROR && resp->body_rc == TG_ETOOBIG) ||
        cc == CURLE_FILESIZE_EXCEEDED) {
        kube_error_set(err, TG_ETOOBIG, KUBE_FAULT_BODY, rq->name,
                       "the answer is larger than %zu bytes (for a list, ask for "
                       "smaller pages)",
                       c->max_body);
        if (err)
            err->http_code = status;
        return TG_ETOOBIG;
    }
    if (cc == CURLE_WRITE_ERROR && resp->body_rc == TG_ENOMEM)
        return oom(err, rq->name);
    /* a TLS 1.3 server refuses a client certificate after the handshake,
     * so curl sees an alert on its first read */
    if (is_tls_failure(cc) ||
        (cc == CURLE_RECV_ERROR && status == 0 && strstr(detail, "alert")))
        return kube_error_set(err, TG_EIO, KUBE_FAULT_TLS, rq->name,
                              "TLS with %s failed: %s", server, detail);
    if (status != 0 && (cc == CURLE_PARTIAL_FILE || cc == CURLE_RECV_ERROR ||
                        cc == CURLE_BAD_CONTENT_ENCODING || cc == CURLE_HTTP2_STREAM ||
                        cc == CURLE_HTTP2)) {
        kube_error_set(err, TG_EIO, KUBE_FAULT_TRUNCATED, rq->name,
                       "the answer from %s was cut short after %zu bytes: %s", server,
                       buf_len(&resp->body), detail);
        if (err)
            err->http_code = status;
        return TG_EIO;
    }
    return kube_error_set(err, TG_EIO, KUBE_FAULT_CONNECT, rq->name,
                          "cannot talk to %s: %s", server, detail);
}

static enum tg_rc add_header(struct curl_slist **list, const char *line)
{
    struct curl_slist *next = curl_slist_append(*list, line);
    if (!next)
        return TG_ENOMEM;
    *list = next;
    return TG_OK;
}

/* The request's header lines; the Authorization line is wiped by
 * free_headers. */
static enum tg_rc make_headers(struct kube_client *c, const struct request *rq,
                               struct curl_slist **out)
{
    static const char *const content_types[] = {
        [KUBE_GET] = NULL,
        [KUBE_POST] = "Content-Type: application/json",
        [KUBE_PUT] = "Content-Type: application/json",
        [KUBE_PATCH_MERGE] = "Content-Type: application/merge-patch+json",
        [KUBE_DELETE] = "Content-Type: application/json",
    };
    struct curl_slist *h = NULL;
    enum tg_rc rc = add_header(&h, "Accept: application/json");
    if (rc == TG_OK && rq->body)
        rc = add_header(&h, content_types[rq->call->method]);
    if (rc == TG_OK)
        rc = add_header(&h, "Expect:"); /* no 100-continue round trip */
    const char *token = kube_token_get(&c->token);
    if (rc == TG_OK && token) {
        struct buf line;
        buf_init(&line, 0);
        rc = buf_appendf(&line, "Authorization: Bearer %s", token);
        if (rc == TG_OK)
            rc = add_header(&h, buf_str(&line));
        if (line.data)
            OPENSSL_cleanse(line.data, line.alloc);
        buf_cleanup(&line);
    }
    if (rc != TG_OK) {
        curl_slist_free_all(h);
        return rc;
    }
    *out = h;
    return TG_OK;
}

static void free_headers(struct curl_slist *h)
{
    for (struct curl_slist *p = h; p; p = p->next) {
        if (strncmp(p->data, "Authorization:", 14) == 0)
            OPENSSL_cleanse(p->data, strlen(p->data));
    }
    curl_slist_free_all(h);
}

static void set_method(CURL *curl, const struct request *rq)
{
    enum kube_method m = rq->call->method;
    curl_easy_setopt(curl, CURLOPT_NOBODY, 0L);
    if (rq->body) {
        curl_easy_setopt(curl, CURLOPT_POSTFIELDS, rq->body);
        curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)strlen(rq->body));
    } else {
        curl_easy_setopt(curl, CURLOPT_HTTPGET, 1L);
    }
    curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST,
                     m == KUBE_GET || m == KUBE_POST ? NULL : method_names[m]);
}

/* One HTTP exchange: *status and resp filled on TG_OK. */
static enum tg_rc exchange(struct kube_client *c, const struct request *rq,
                           struct response *resp, long *status, struct kube_error *err)
{
    struct buf url;
    struct curl_slist *headers = NULL;
    buf_init(&url, 0);
    enum tg_rc rc = buf_appendf(&url, "%s%s", c->cfg->server, rq->call->path);
    if (rc == TG_OK)
        rc = make_headers(c, rq, &headers);
    if (rc != TG_OK) {
        buf_cleanup(&url);
        return oom(err, rq->name);
    }
    CURL *curl = c->curl;
    curl_easy_setopt(curl, CURLOPT_URL, buf_str(&url));
    curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
    set_method(curl, rq);
    curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, rq->timeout_ms);
    curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, rq->timeout_ms);
    curl_easy_setopt(curl, CURLOPT_WRITEDATA, resp);
    curl_easy_setopt(curl, CURLOPT_HEADERDATA, resp);
    c->errbuf[0] = '\0';
    CURLcode cc = curl_easy_perform(curl);
    curl_easy_setopt(curl, CURLOPT_HTTPHEADER, NULL);
    curl_easy_setopt(curl, CURLOPT_POSTFIELDS, NULL);
    free_headers(headers);
    buf_cleanup(&url);
    if (cc != CURLE_OK)
        return transfer_failed(c, rq, cc, resp, err);
    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, status);
    return TG_OK;
}

/* A 2xx body into one JSON object (kube_decode.h). */
static enum tg_rc decode_body(const struct request *rq, long status,
                              const struct response *resp, json_t **out,
                              struct kube_error *err)
{
    const struct kube_body body = {buf_str(&resp->body), buf_len(&resp->body),
                                   rq->call->raw_keys};
    json_t *v = NULL;
    enum tg_rc rc = kube_decode_object(&body, rq->name, &v, err);
    if (rc != TG_OK) {
        if (err && rc != TG_ENOMEM)
            err->http_code = status;
        return rc;
    }
    if (out)
        *out = v;
    else
        json_decref(v);
    return TG_OK;
}

static enum tg_rc prepare(const struct kube_client *c, const struct kube_call *call,
                          struct request *rq, struct kube_error *err)
{
    memset(rq, 0, sizeof(*rq));
    rq->call = call;
    bool known = (unsigned)call->method < ARRAY_LEN(method_names);
    size_t plen = call->path ? strcspn(call->path, "?") : 0;
    snprintf(rq->name, sizeof(rq->name), "%s %.*s",
             known ? method_names[call->method] : "?", (int)(plen < 150 ? plen : 150),
             call->path ? call->path : "");
    rq->timeout_ms = call->timeout_ms > 0 ? call->timeout_ms : c->timeout_ms;
    if (!known || !is_valid_path(call->path))
        return kube_error_set(err, TG_EINVAL, KUBE_FAULT_LOCAL, rq->name,
                              "not a valid API request: the path must start with '/' and "
                              "hold no spaces, control characters or '#'");
    bool needs_body = call->method == KUBE_POST || call->method == KUBE_PUT ||
                      call->method == KUBE_PATCH_MERGE;
    if (needs_body && !call->body)
        return kube_error_set(err, TG_EINVAL, KUBE_FAULT_LOCAL, rq->name,
                              "a %s needs a body", method_names[call->method]);
    if (call->body && call->method != KUBE_GET &&
        !(rq->body = json_dumps(call->body, JSON_COMPACT)))
        return oom(err, rq->name);
    return TG_OK;
}

enum tg_rc kube_client_call(struct kube_client *c, const struct kube_call *call,
                            json_t **out, struct kube_error *err)
{
    struct request rq;
    struct response resp;
    long status = 0;
    buf_init(&resp.body, c->max_body);
    enum tg_rc rc = prepare(c, call, &rq, err);
    for (int attempt = 0; rc == TG_OK; attempt++) {
        buf_reset(&resp.body);
        resp.body_rc = TG_OK;
        resp.retry_after[0] = '\0';
        rc = exchange(c, &rq, &resp, &status, err);
        /* a rotated token: the file changed between our stat and the
         * server's check, or was rewritten in place */
        if (rc != TG_OK || status != 401 || attempt > 0 || !kube_token_reload(&c->token))
            break;
    }
    if (rc != TG_OK)
        goto out;
    if (status >= 200 && status < 300)
        rc = decode_body(&rq, status, &resp, out, err);
    else
        rc = kube_error_from_status(
            err, rq.name,
            &(const struct kube_answer){status, buf_str(&resp.body), buf_len(&resp.body),
                                        resp.retry_after[0] ? resp.retry_after : NULL});
out:
    tg_free(rq.body);
    buf_cleanup(&resp.body);
    return rc;
}

static enum tg_rc simple(struct kube_client *c, enum kube_method m, const char *path,
                         const json_t *body, json_t **out, struct kube_error *err)
{
    const struct kube_call call = {m, path, body, 0, NULL};
    return kube_client_call(c, &call, out, err);
}

enum tg_rc kube_client_get(struct kube_client *c, const char *path, json_t **out,
                           struct kube_error *err)
{
    return simple(c, KUBE_GET, path, NULL, out, err);
}

enum tg_rc kube_client_create(struct kube_client *c, const char *path, const json_t *body,
                              json_t **out, struct kube_error *err)
{
    return simple(c, KUBE_POST, path, body, out, err);
}

enum tg_rc kube_client_replace(struct kube_client *c, const char *path,
                               const json_t *body, json_t **out, struct kube_error *err)
{
    return simple(c, KUBE_PUT, path, body, out, err);
}

enum tg_rc kube_client_patch(struct kube_client *c, const char *path, const json_t *patch,
                             json_t **out, struct kube_error *err)
{
    return simple(c, KUBE_PATCH_MERGE, path, patch, out, err);
}

enum tg_rc kube_client_delete(struct kube_client *c, const char *path,
                              struct kube_error *err)
{
    return simple(c, KUBE_DELETE, path, NULL, NULL, err);
}
