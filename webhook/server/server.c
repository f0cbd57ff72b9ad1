/* server.c -- libmicrohttpd daemons, routing, body cap, responses.
 *
 * MHD calls, per connection: notify_connection (STARTED) before the TLS
 * handshake, the certificate callback during it; per request: uri_logged
 * when the request line has arrived (it creates the struct req, which MHD
 * then hands to every later call as *con_cls), the access handler with the
 * headers, once per body chunk and once more with no data (the body is
 * complete), then completed, which alone frees the req.  notify_connection
 * (CLOSED) comes after MHD has deinitialised the TLS session and before it
 * closes the socket, so the pinned credentials and the socket in the reaper
 * list are valid for as long as we hold them.  (Checked against the 0.9.75
 * sources: daemon.c MHD_cleanup_connections, new_connection_prepare_, and
 * connection.c, where the URI log callback marks the request as one whose
 * completion we are told about.)
 */
#include "server.h"

#include <errno.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <jansson.h>
#include <microhttpd.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include "admission.h"
#include "alloc.h"
#include "facts_gather.h"
#include "metrics.h"
#include "req.h"
#include "snapshot.h"
#include "tlog.h"
#include "tlscreds.h"

/* Modern TLS only: 1.2 and 1.3, AEAD ciphers, no CBC, no RSA key exchange.
 * Key exchange X25519 first, then P-256: it is what Go (the API server) and
 * OpenSSL send a key share for.  SECURE256 alone puts P-384 first, which
 * costs every new connection a HelloRetryRequest round trip and a P-384
 * exchange -- about 3 ms of server CPU of the 4 per handshake measured in
 * bench/README.md. */
#define TLS_PRIORITIES                                                                   \
    "SECURE256:+SECURE128:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2:"                          \
    "-CIPHER-ALL:+AES-256-GCM:+AES-128-GCM:+CHACHA20-POLY1305:"                          \
    "-GROUP-ALL:+GROUP-X25519:+GROUP-SECP256R1:+GROUP-SECP384R1:"                        \
    "-RSA:-DHE-RSA:-SHA1:%SERVER_PRECEDENCE"

static char tls_priorities[] = TLS_PRIORITIES; /* MHD takes a non-const pointer */

/* MHD's own per-connection pool: the request line, headers and read and
 * write buffers; bodies are copied out into req as they arrive.  MHD
 * zeroes the pool between requests, so all of it is resident for every
 * open connection: 64 KB made 256 keep-alive connections 33-37 MB of RSS,
 * 16 KB makes them ~20 MB (bench/README.md), and a request may still
 * carry about 14 KB of headers (a larger set gets 431; test_faults.sh).
 * The API server sends well under 1 KB. */
#define CONNECTION_MEMORY_LIMIT (16 * 1024)
/* Registry lookups stop this long before the request deadline, leaving
 * time to evaluate and answer. */
#define LOOKUP_MARGIN_MS 100

struct server;

/* One accepted connection: MHD's socket_context. */
struct conn {
    struct conn *prev, *next; /* in server.conns, guarded by conns_lock */
    struct server *srv;
    int fd;
    struct tlscreds *creds;       /* pinned for the TLS session; NULL on plain HTTP */
    _Atomic uint64_t ready_since; /* ns: when it became ready for its next request */
    atomic_bool busy;             /* a complete request is being answered */
};

/* The closure of each daemon's callbacks. */
struct listener {
    struct server *srv;
    bool tls;
};

struct server {
    const struct serve_config *cfg;
    struct MHD_Daemon *tls;
    struct MHD_Daemon *plain;
    struct listener tls_l, plain_l;
    char *client_ca_pem;       /* owned; NULL = no mTLS */
    struct registry *registry; /* borrowed; NULL = no registry lookups */
    atomic_bool draining;
    atomic_uint in_flight;
    pthread_mutex_t conns_lock;
    struct conn *conns;
};

/* ---- responses ---------------------------------------------------------- */

static char oom_body[] = "{\"error\":\"out of memory\"}";

/* A response owning `body` (freed with tg_free); with no body (its
 * allocation failed) the static out-of-memory error.  NULL when MHD itself
 * is out of memory. */
static struct MHD_Response *make_response(char *body, size_t len, const char *ctype)
{
    struct MHD_Response *r;
    if (body) {
        r = MHD_create_response_from_buffer_with_free_callback(len, body, tg_free);
        if (!r)
            tg_free(body);
    } else {
        r = MHD_create_response_from_buffer(strlen(oom_body), oom_body,
                                            MHD_RESPMEM_PERSISTENT);
        ctype = "application/json";
    }
    if (r)
        MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, ctype);
    return r;
}

/* Queue `r` and drop our reference at once: MHD keeps its own. */
static enum MHD_Result queue(struct server *srv, struct MHD_Connection *c,
                             unsigned status, struct MHD_Response *r)
{
    if (!r)
        return MHD_NO; /* MHD closes the connection: nothing else we can do */
    if (atomic_load_explicit(&srv->draining, memory_order_relaxed))
        MHD_add_response_header(r, MHD_HTTP_HEADER_CONNECTION, "close");
    enum MHD_Result ret = MHD_queue_response(c, status, r);
    MHD_destroy_response(r);
    return ret;
}

static enum MHD_Result respond(struct server *srv, struct MHD_Connection *c,
                               unsigned status, const char *ctype, char *body, size_t len)
{
    return queue(srv, c, status, make_response(body, len, ctype));
}

/* {"error":"<text>"} with `status`; `allow` adds an Allow header (405). */
static enum MHD_Result respond_error(struct server *srv, struct MHD_Connection *c,
                                     unsigned status, const char *allow, const char *text)
{
    json_t *o = json_pack("{s:s}", "error", text);
    char *body = o ? json_dumps(o, JSON_COMPACT) : NULL;
    json_decref(o);
    struct MHD_Response *r =
        make_response(body, body ? strlen(body) : 0, "application/json");
    if (r && allow)
        MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, allow);
    return queue(srv, c, status, r);
}

/* An answer that never reached the engine: counted, then sent. */
static enum MHD_Result reject(struct server *srv, struct MHD_Connection *c,
                              struct req *req, unsigned status, const char *allow,
                              const char *text)
{
    req->route = ROUTE_REJECTED;
    metrics_http_error((int)status);
    return respond_error(srv, c, status, allow, text);
}

/* 413, naming the limit: the client's operator needs the number to decide
 * between a smaller object and a larger --max-body-bytes. */
static enum MHD_Result reject_too_large(struct server *srv, struct MHD_Connection *c,
                                        struct req *req)
{
    char text[96];
    snprintf(text, sizeof(text), "request body larger than --max-body-bytes (%zu bytes)",
             srv->cfg->max_body_bytes);
    return reject(srv, c, req, MHD_HTTP_CONTENT_TOO_LARGE, NULL, text);
}

/* ---- routing ------------------------------------------------------------ */

struct route_def {
    const char *path;
    enum req_route route;
    const char *method;
    bool on_tls;   /* served on the TLS port (probes/metrics: only without
                      --metrics-listen) */
    bool on_plain; /* served on the metrics port */
};

static const struct route_def routes[] = {
    {"/validate", ROUTE_VALIDATE, MHD_HTTP_METHOD_POST, true, false},
    {"/mutate", ROUTE_MUTATE, MHD_HTTP_METHOD_POST, true, false},
    {"/healthz", ROUTE_HEALTHZ, MHD_HTTP_METHOD_GET, false, true},
    {"/readyz", ROUTE_READYZ, MHD_HTTP_METHOD_GET, false, true},
    {"/metrics", ROUTE_METRICS, MHD_HTTP_METHOD_GET, false, true},
};

static const struct route_def *find_route(const struct listener *l, const char *url)
{
    for (size_t i = 0; i < ARRAY_LEN(routes); i++) {
        const struct route_def *d = &routes[i];
        bool here =
            l->tls ? (d->on_tls || !l->srv->cfg->has_metrics_listen) : d->on_plain;
        if (here && strcmp(url, d->path) == 0)
            return d;
    }
    return NULL;
}

/* "application/json", any case, optionally followed by ";params". */
static bool is_json_type(const char *ctype)
{
    static const char want[] = "application/json";
    if (!ctype)
        return false;
    while (*ctype == ' ' || *ctype == '\t')
        ctype++;
    if (strncasecmp(ctype, want, sizeof(want) - 1) != 0)
        return false;
    const char *rest = ctype + sizeof(want) - 1;
    while (*rest == ' ' || *rest == '\t')
        rest++;
    return *rest == '\0' || *rest == ';';
}

/* Content-Length over the cap is refused before a byte of the body is read;
 * one within it is *declared (0 when there is none). */
static bool declared_too_big(struct MHD_Connection *c, size_t cap, size_t *declared)
{
    const char *cl =
        MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
    *declared = 0;
    if (!cl)
        return false;
    char *end = NULL;
    errno = 0;
    unsigned long long n = strtoull(cl, &end, 10);
    bool too_big = errno == ERANGE || (end != cl && n > cap);
    if (!too_big && end != cl)
        *declared = (size_t)n;
    return too_big;
}

/* First call, headers only: route, or queue the error answer. */
static enum MHD_Result on_headers(struct listener *l, struct MHD_Connection *c,
                                  const char *url, const char *method, struct req *req)
{
    struct server *srv = l->srv;
    const struct route_def *d = find_route(l, url);
    if (!d)
        return reject(srv, c, req, MHD_HTTP_NOT_FOUND, NULL, "not found");
    if (strcmp(method, d->method) != 0) {
        char text[64];
        snprintf(text, sizeof(text), "method %s not allowed; use %s", method, d->method);
        return reject(srv, c, req, MHD_HTTP_METHOD_NOT_ALLOWED, d->method, text);
    }
    if (d->route == ROUTE_VALIDATE || d->route == ROUTE_MUTATE) {
        const char *ct =
            MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_TYPE);
        if (!is_json_type(ct))
            return reject(srv, c, req, MHD_HTTP_UNSUPPORTED_MEDIA_TYPE, NULL,
                          "Content-Type must be application/json");
        size_t declared;
        if (declared_too_big(c, srv->cfg->max_body_bytes, &declared))
            return reject_too_large(srv, c, req);
        req_expect(req, declared);
    }
    req->route = d->route;
    return MHD_YES;
}

/* ---- endpoints ---------------------------------------------------------- */

static bool is_ready(struct server *srv)
{
    if (atomic_load_explicit(&srv->draining, memory_order_relaxed))
        return false;
    struct snapshot *s = snapshot_acquire();
    struct tlscreds *t = tlscreds_acquire();
    bool ok = s && t;
    snapshot_release(s);
    tlscreds_release(t);
    return ok;
}

static enum MHD_Result serve_probe(struct server *srv, struct MHD_Connection *c,
                                   enum req_route route)
{
    bool ok = route == ROUTE_HEALTHZ || is_ready(srv);
    const char *text = ok                            ? "{\"status\":\"ok\"}"
                       : atomic_load(&srv->draining) ? "{\"status\":\"draining\"}"
                                                     : "{\"status\":\"not ready\"}";
    char *body = tg_strdup(text);
    return respond(srv, c, ok ? MHD_HTTP_OK : MHD_HTTP_SERVICE_UNAVAILABLE,
                   "application/json", body, body ? strlen(body) : 0);
}

static enum MHD_Result serve_metrics(struct server *srv, struct MHD_Connection *c)
{
    struct buf b;
    buf_init(&b, 0);
    if (metrics_render(&b) != TG_OK) {
        buf_cleanup(&b);
        return respond_error(srv, c, MHD_HTTP_INTERNAL_SERVER_ERROR, NULL,
                             "cannot render metrics");
    }
    size_t len = buf_len(&b);
    char *text = buf_take(&b);
    if (!text)
        text = tg_strdup("");
    return respond(srv, c, MHD_HTTP_OK, "text/plain; version=0.0.4; charset=utf-8", text,
                   len);
}

static void log_decision(const struct admission_result *res, const char *endpoint,
                         uint64_t latency_ns)
{
    struct tlog_line l;
    tlog_begin(&l, TLOG_INFO, "admission");
    tlog_str(&l, "endpoint", endpoint);
    tlog_str(&l, "uid", res->uid);
    tlog_str(&l, "kind", res->kind);
    tlog_str(&l, "namespace", res->namespace_);
    tlog_str(&l, "name", res->name);
    tlog_str(&l, "operation", res->operation);
    tlog_str(&l, "user", res->user);
    tlog_str(&l, "decision", res->decision);
    tlog_str(&l, "rules", res->rules);
    if (res->exempted[0]) /* why a container was not judged */
        tlog_str(&l, "exempted", res->exempted);
    if (res->excluded)
        tlog_str(&l, "excluded", res->excluded);
    tlog_int(&l, "latency_us", (long long)(latency_ns / 1000));
    tlog_end(&l);
}

/* The request duration metric counts from the complete body (its help
 * text says so); upload time is in the log line instead. */
static double seconds_since(uint64_t from_ns, uint64_t now_ns)
{
    return now_ns > from_ns ? (double)(now_ns - from_ns) / 1e9 : 0.0;
}

/* Each worker thread keeps one arena for the requests it decodes
 * (admission_options.scratch): after the first few requests decoding no
 * longer calls malloc, which a profile under bench/run put at ~40% of the CPU per
 * request with glibc's per-thread heaps.  Past SCRATCH_CAP a request's
 * values come from the heap; a reset keeps one block as big as the blocks
 * were, so a thread keeps at most about twice the cap.  Freed when the
 * thread ends (MHD_stop_daemon joins its threads). */
#define SCRATCH_CAP (2u << 20)

static pthread_key_t scratch_key;
static pthread_once_t scratch_once = PTHREAD_ONCE_INIT;
static bool scratch_key_ok;

static void scratch_free(void *p)
{
    arena_cleanup(p);
    tg_free(p);
}

static void scratch_key_create(void)
{
    scratch_key_ok = pthread_key_create(&scratch_key, scratch_free) == 0;
}

/* This thread's arena, or NULL (no memory: decode on the heap). */
static struct arena *thread_scratch(void)
{
    pthread_once(&scratch_once, scratch_key_create);
    if (!scratch_key_ok)
        return NULL;
    struct arena *a = pthread_getspecific(scratch_key);
    if (a)
        return a;
    a = tg_malloc(sizeof(*a));
    if (a)
        arena_init(a, SCRATCH_CAP);
    if (a && pthread_setspecific(scratch_key, a) != 0) {
        tg_free(a);
        a = NULL;
    }
    return a;
}

/* The decision for a complete body, against the snapshot it pins. */
static enum tg_rc decide_body(struct server *srv, struct req *req,
                              struct admission_result *res, struct tg_error *err)
{
    uint64_t deadline_ns =
        req->start_ns + (uint64_t)srv->cfg->request_deadline_ms * 1000000u;
    struct admission_options opt = {
        .endpoint = req->route == ROUTE_MUTATE ? ENDPOINT_MUTATE : ENDPOINT_VALIDATE,
        .internal_error_allows = srv->cfg->internal_error_allows,
        .arena_cap = 0,
        .deadline_ns = deadline_ns,
        .scratch = thread_scratch(),
    };
    if (req->body_rc != TG_OK)
        return tg_error_setf(err, TG_ENOMEM, "out of memory");
    if (!req_pin_policy(req))
        return tg_error_setf(err, TG_ENOMEM, "no policy loaded");
    /* Lookups end early enough to leave time for the decision itself; both
     * clocks are CLOCK_MONOTONIC. */
    struct facts_gather_ctx gather = {
        .registry = srv->registry,
        .policy = snapshot_policy(req->snap),
        .deadline_ms = (long long)(deadline_ns / 1000000u) - LOOKUP_MARGIN_MS,
    };
    if (srv->registry) {
        opt.gather = facts_gather_admission;
        opt.gather_ctx = &gather;
    }
    return admission_handle(snapshot_policy(req->snap), buf_str(&req->body),
                            buf_len(&req->body), &opt, res, err);
}

/* An AdmissionReview answer: logged, counted, sent (the response moves). */
static enum MHD_Result answer_decision(struct server *srv, struct MHD_Connection *c,
                                       const struct req *req,
                                       struct admission_result *res)
{
    const char *endpoint = req->route == ROUTE_MUTATE ? "mutate" : "validate";
    uint64_t now = req_now_ns();
    log_decision(res, endpoint, now - req->start_ns); /* incl. upload time */
    metrics_request(endpoint, res->decision, res->kind, seconds_since(req->body_ns, now));
    for (size_t i = 0; i < res->n_hits; i++)
        metrics_violations(res->hits[i].rule, res->hits[i].action, res->hits[i].count);
    char *body = res->response;
    res->response = NULL; /* respond() owns it now */
    return respond(srv, c, MHD_HTTP_OK, "application/json", body, res->response_len);
}

/* No AdmissionReview could be built: 400 for a body that is not one, 500
 * with a JSON error when tollgate failed before it knew the uid. */
static enum MHD_Result answer_failure(struct server *srv, struct MHD_Connection *c,
                                      const struct req *req, enum tg_rc rc,
                                      struct tg_error *err)
{
    const char *endpoint = req->route == ROUTE_MUTATE ? "mutate" : "validate";
    unsigned status =
        rc == TG_EINVAL ? MHD_HTTP_BAD_REQUEST : MHD_HTTP_INTERNAL_SERVER_ERROR;
    if (!err->text[0]) /* TG_ENOMEM comes without details */
        tg_error_setf(err, rc, "%s", tg_rc_str(rc));
    char text[sizeof(err->text) + sizeof(err->source) + 32];
    tg_error_format(err, text, sizeof(text));
    TLOG(rc == TG_EINVAL ? TLOG_INFO : TLOG_ERROR, "%s: %u: %s", endpoint, status, text);
    metrics_request(endpoint, rc == TG_EINVAL ? "bad-request" : "error", "other",
                    seconds_since(req->body_ns, req_now_ns()));
    return respond_error(srv, c, status, NULL, text);
}

static enum MHD_Result serve_admission(struct server *srv, struct MHD_Connection *c,
                                       struct req *req)
{
    if (req->body_rc == TG_ETOOBIG)
        return reject_too_large(srv, c, req);
    struct admission_result res;
    memset(&res, 0, sizeof(res)); /* cleanup is safe even if handle never ran */
    struct tg_error err = {0};
    enum tg_rc rc = decide_body(srv, req, &res, &err);
    enum MHD_Result ret = rc == TG_OK ? answer_decision(srv, c, req, &res)
                                      : answer_failure(srv, c, req, rc, &err);
    admission_result_cleanup(&res);
    return ret;
}

/* ---- MHD callbacks -------------------------------------------------------- */

static struct conn *conn_of(struct MHD_Connection *c)
{
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(c, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
    return ci ? ci->socket_context : NULL;
}

static void *uri_logged(void *cls, const char *uri, struct MHD_Connection *c)
{
    struct listener *l = cls;
    (void)uri; /* never logged: query strings are the client's business */
    (void)c;
    struct req *req = req_new(l->srv->cfg->max_body_bytes, req_now_ns());
    if (req)
        atomic_fetch_add_explicit(&l->srv->in_flight, 1, memory_order_relaxed);
    return req; /* becomes *con_cls; NULL makes the handler close the connection */
}

static enum MHD_Result handle(void *cls, struct MHD_Connection *c, const char *url,
                              const char *method, const char *version, const char *data,
                              size_t *data_len, void **con_cls)
{
    struct listener *l = cls;
    struct req *req = *con_cls;
    (void)version;
    if (!req)
        return MHD_NO; /* uri_logged ran out of memory: MHD closes the connection */
    if (req->route == ROUTE_UNKNOWN) /* first call: headers only */
        return on_headers(l, c, url, method, req);
    if (*data_len > 0) {
        req_append(req, data, *data_len);
        *data_len = 0; /* consumed, or dropped once over the cap */
        return MHD_YES;
    }
    /* the body is complete: answer exactly once */
    req->body_ns = req_now_ns();
    struct conn *cn = conn_of(c);
    if (cn)
        atomic_store(&cn->busy, true);
    switch (req->route) {
    case ROUTE_VALIDATE:
    case ROUTE_MUTATE:
        return serve_admission(l->srv, c, req);
    case ROUTE_HEALTHZ:
    case ROUTE_READYZ:
        return serve_probe(l->srv, c, req->route);
    case ROUTE_METRICS:
        return serve_metrics(l->srv, c);
    case ROUTE_UNKNOWN:
    case ROUTE_REJECTED:
        break;
    }
    return MHD_YES; /* ROUTE_REJECTED: the answer is already queued */
}

static void completed(void *cls, struct MHD_Connection *c, void **con_cls,
                      enum MHD_RequestTerminationCode toe)
{
    struct listener *l = cls;
    (void)toe;
    struct req *req = *con_cls;
    *con_cls = NULL;
    if (!req)
        return;
    req_free(req);
    atomic_fetch_sub_explicit(&l->srv->in_flight, 1, memory_order_relaxed);
    struct conn *cn = conn_of(c);
    if (cn) { /* ready for the next request on this connection from now */
        atomic_store(&cn->ready_since, req_now_ns());
        atomic_store(&cn->busy, false);
    }
}

/* Make the TLS layer demand a client certificate and verify it against the
 * trusted CA during the handshake.  MHD only asks (GNUTLS_CERT_REQUEST) and
 * leaves verification to the application, which would let a client without
 * a certificate through. */
static bool require_client_cert(struct MHD_Connection *c)
{
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(c, MHD_CONNECTION_INFO_GNUTLS_SESSION);
    if (!ci || !ci->tls_session)
        return false;
    gnutls_session_t session = ci->tls_session;
    /* A certificate made for serving is not one for calling us. */
    static gnutls_typed_vdata_st purpose = {GNUTLS_DT_KEY_PURPOSE_OID,
                                            (unsigned char *)GNUTLS_KP_TLS_WWW_CLIENT, 0};
    gnutls_certificate_server_set_request(session, GNUTLS_CERT_REQUIRE);
    gnutls_session_set_verify_cert2(session, &purpose, 1, 0);
    return true;
}

static void conn_started(struct listener *l, struct MHD_Connection *c, void **socket_ctx)
{
    struct server *srv = l->srv;
    struct conn *cn = tg_calloc(1, sizeof(*cn));
    *socket_ctx = cn;
    if (!cn)
        return; /* TLS: the certificate callback fails the handshake */
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(c, MHD_CONNECTION_INFO_CONNECTION_FD);
    cn->srv = srv;
    cn->fd = ci ? ci->connect_fd : -1;
    atomic_init(&cn->ready_since, req_now_ns());
    atomic_init(&cn->busy, false);
    if (l->tls) {
        cn->creds = tlscreds_acquire();
        if (srv->client_ca_pem && !require_client_cert(c)) {
            /* fail closed: without credentials the handshake is refused */
            tlscreds_release(cn->creds);
            cn->creds = NULL;
        }
    }
    pthread_mutex_lock(&srv->conns_lock);
    cn->next = srv->conns;
    if (srv->conns)
        srv->conns->prev = cn;
    srv->conns = cn;
    pthread_mutex_unlock(&srv->conns_lock);
}

static void conn_closed(struct listener *l, struct conn *cn)
{
    struct server *srv = l->srv;
    pthread_mutex_lock(&srv->conns_lock);
    if (cn->prev)
        cn->prev->next = cn->next;
    else
        srv->conns = cn->next;
    if (cn->next)
        cn->next->prev = cn->prev;
    pthread_mutex_unlock(&srv->conns_lock);
    tlscreds_release(cn->creds);
    tg_free(cn);
}

static void notify_connection(void *cls, struct MHD_Connection *c, void **socket_ctx,
                              enum MHD_ConnectionNotificationCode toe)
{
    if (toe == MHD_CONNECTION_NOTIFY_STARTED)
        conn_started(cls, c, socket_ctx);
    else if (*socket_ctx) {
        conn_closed(cls, *socket_ctx);
        *socket_ctx = NULL;
    }
}

/* gnutls_certificate_retrieve_function2: the credentials this connection
 * pinned when it was accepted.  MHD sets the session pointer to its
 * connection (new_connection_prepare), which leads to our socket context. */
static int pick_certificate(gnutls_session_t session, const gnutls_datum_t *req_ca_dn,
                            int n_req_ca_dn, const gnutls_pk_algorithm_t *pk_algos,
                            int n_pk_algos, gnutls_pcert_st **pcert,
                            unsigned int *n_pcert, gnutls_privkey_t *key)
{
    (void)req_ca_dn;
    (void)n_req_ca_dn;
    (void)pk_algos;
    (void)n_pk_algos;
    struct MHD_Connection *c = gnutls_session_get_ptr(session);
    struct conn *cn = c ? conn_of(c) : NULL;
    if (!cn || !cn->creds)
        return -1; /* fails this handshake only */
    tlscreds_get(cn->creds, pcert, n_pcert, key);
    return 0;
}

__attribute__((format(printf, 2, 0))) static void mhd_log(void *cls, const char *fmt,
                                                          va_list ap)
{
    (void)cls;
    if (!tlog_enabled(TLOG_WARN))
        return;
    char text[512];
    vsnprintf(text, sizeof(text), fmt, ap);
    size_t n = strlen(text);
    while (n > 0 && (text[n - 1] == '\n' || text[n - 1] == '\r'))
        text[--n] = '\0';
    struct tlog_line line;
    tlog_begin(&line, TLOG_WARN, text);
    tlog_str(&line, "component", "libmicrohttpd");
    tlog_end(&line);
}

/* ---- lifecycle ------------------------------------------------------------ */

static enum tg_rc make_sockaddr(const struct serve_addr *a, struct sockaddr_storage *ss,
                                bool *v6)
{
    memset(ss, 0, sizeof(*ss));
    struct sockaddr_in *in4 = (struct sockaddr_in *)ss;
    struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)ss;
    if (inet_pton(AF_INET, a->host, &in4->sin_addr) == 1) {
        in4->sin_family = AF_INET;
        in4->sin_port = htons(a->port);
        *v6 = false;
        return TG_OK;
    }
    if (inet_pton(AF_INET6, a->host, &in6->sin6_addr) == 1) {
        in6->sin6_family = AF_INET6;
        in6->sin6_port = htons(a->port);
        *v6 = true;
        return TG_OK;
    }
    return TG_EINVAL;
}

static unsigned daemon_flags(bool v6, bool tls)
{
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ITC | MHD_USE_ERROR_LOG;
    flags |= MHD_is_feature_supported(MHD_FEATURE_EPOLL) == MHD_YES ? MHD_USE_EPOLL
                                                                    : MHD_USE_POLL;
    if (v6)
        flags |= MHD_USE_IPv6;
    if (tls)
        flags |= MHD_USE_TLS;
    return flags;
}

/* The options that differ by listener: thread pool, TLS, mTLS.  `o` has
 * room for 5 items and is END-terminated. */
static void listener_options(const struct server *srv, const struct listener *l,
                             struct MHD_OptionItem *o)
{
    size_t n = 0;
    unsigned threads = l->tls ? srv->cfg->threads : 1;
    if (threads > 1) /* MHD warns about a pool of one */
        o[n++] = (struct MHD_OptionItem){MHD_OPTION_THREAD_POOL_SIZE, threads, NULL};
    if (l->tls) {
        o[n++] = (struct MHD_OptionItem){MHD_OPTION_HTTPS_CERT_CALLBACK, 0,
                                         (void *)pick_certificate};
        o[n++] = (struct MHD_OptionItem){MHD_OPTION_HTTPS_PRIORITIES, 0, tls_priorities};
        if (srv->client_ca_pem)
            o[n++] = (struct MHD_OptionItem){MHD_OPTION_HTTPS_MEM_TRUST, 0,
                                             srv->client_ca_pem};
    }
    o[n] = (struct MHD_OptionItem){MHD_OPTION_END, 0, NULL};
}

static struct MHD_Daemon *start_daemon(struct server *srv, struct listener *l,
                                       const struct serve_addr *addr,
                                       struct tg_error *err)
{
    const struct serve_config *cfg = srv->cfg;
    struct sockaddr_storage ss;
    bool v6;
    if (make_sockaddr(addr, &ss, &v6) != TG_OK) {
        tg_error_setf(err, TG_EINVAL, "bad address %s", addr->host);
        return NULL;
    }
    struct MHD_OptionItem opts[5];
    listener_options(srv, l, opts);
    /* MHD splits the connection limit among the pool's threads. */
    unsigned conn_limit =
        cfg->max_connections < cfg->threads ? cfg->threads : cfg->max_connections;
    struct MHD_Daemon *d = MHD_start_daemon(
        daemon_flags(v6, l->tls), 0, NULL, NULL, handle, l, MHD_OPTION_EXTERNAL_LOGGER,
        mhd_log, NULL, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss,
        MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)cfg->read_timeout_s,
        MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)CONNECTION_MEMORY_LIMIT,
        MHD_OPTION_CONNECTION_LIMIT, conn_limit, MHD_OPTION_URI_LOG_CALLBACK, uri_logged,
        l, MHD_OPTION_NOTIFY_COMPLETED, completed, l, MHD_OPTION_NOTIFY_CONNECTION,
        notify_connection, l, MHD_OPTION_ARRAY, opts, MHD_OPTION_END);
    if (!d)
        tg_error_setf(err, TG_EIO,
                      "cannot listen on %s:%u%s (address in use, or not local?)",
                      addr->host, addr->port, l->tls ? " (TLS)" : "");
    return d;
}

enum tg_rc server_start(const struct serve_config *cfg, const char *client_ca_pem,
                        struct registry *registry, struct server **out,
                        struct tg_error *err)
{
    struct server *srv = tg_calloc(1, sizeof(*srv));
    if (!srv)
        return tg_error_setf(err, TG_ENOMEM, "out of memory");
    srv->cfg = cfg;
    srv->registry = registry;
    srv->tls_l = (struct listener){srv, true};
    srv->plain_l = (struct listener){srv, false};
    atomic_init(&srv->draining, false);
    atomic_init(&srv->in_flight, 0);
    pthread_mutex_init(&srv->conns_lock, NULL);
    enum tg_rc rc = TG_OK;
    if (client_ca_pem && !(srv->client_ca_pem = tg_strdup(client_ca_pem)))
        rc = tg_error_setf(err, TG_ENOMEM, "out of memory");
    if (rc == TG_OK && !(srv->tls = start_daemon(srv, &srv->tls_l, &cfg->listen, err)))
        rc = TG_EIO;
    if (rc == TG_OK && cfg->has_metrics_listen &&
        !(srv->plain = start_daemon(srv, &srv->plain_l, &cfg->metrics_listen, err)))
        rc = TG_EIO;
    if (rc != TG_OK) {
        server_stop(srv);
        return rc;
    }
    *out = srv;
    return TG_OK;
}

void server_reap(struct server *s)
{
    uint64_t now = req_now_ns();
    uint64_t limit = (uint64_t)s->cfg->read_timeout_s * 1000000000u;
    pthread_mutex_lock(&s->conns_lock);
    for (struct conn *cn = s->conns; cn; cn = cn->next) {
        if (atomic_load(&cn->busy) || cn->fd < 0)
            continue;
        uint64_t since = atomic_load(&cn->ready_since);
        if (now > since && now - since > limit) {
            /* shutdown, not close: MHD sees the end of the stream and
             * cleans up; the descriptor stays MHD's (see the file comment). */
            shutdown(cn->fd, SHUT_RDWR);
            cn->fd = -1;
        }
    }
    pthread_mutex_unlock(&s->conns_lock);
}

void server_drain(struct server *s)
{
    atomic_store(&s->draining, true);
    if (!s->tls)
        return;
    MHD_socket fd = MHD_quiesce_daemon(s->tls);
    if (fd != MHD_INVALID_SOCKET)
        close(fd); /* new connections are refused from here on */
}

unsigned server_in_flight(const struct server *s)
{
    return atomic_load_explicit(&s->in_flight, memory_order_relaxed);
}

void server_stop(struct server *s)
{
    if (!s)
        return;
    if (s->tls)
        MHD_stop_daemon(s->tls);
    if (s->plain)
        MHD_stop_daemon(s->plain);
    pthread_mutex_destroy(&s->conns_lock);
    tg_free(s->client_ca_pem);
    tg_free(s);
}
