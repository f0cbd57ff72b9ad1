/* kube_client.h -- JSON requests to the Kubernetes API server (libcurl).
 *
 * A client sends one request at a time, by API path, and returns the
 * answer as a jansson object: GET, POST (create), PUT (replace), PATCH with
 * a JSON merge patch, DELETE.  What it guarantees on every call:
 *   - a deadline: the whole call (connecting, TLS, sending, waiting for and
 *     reading the answer) ends within its timeout (CURLOPT_TIMEOUT_MS), and
 *     then fails with TG_ETIMEDOUT; no signals are used (CURLOPT_NOSIGNAL);
 *   - a cap on the response body (kube_client_opts.max_body), enforced while
 *     reading: a larger answer is TG_ETOOBIG, not a large allocation;
 *   - success means a 2xx status and a complete body holding exactly one
 *     JSON object (no duplicate keys; decoded by kube_decode.h); a
 *     truncated body (KUBE_FAULT_TRUNCATED) or a malformed or non-object
 *     one (KUBE_FAULT_BODY) is an error, never a partial result;
 *   - an HTTP error status is decoded from the Kubernetes Status object into
 *     kube_error (code, reason, message, Retry-After); 401, 403, 404, 409,
 *     410, 422, 429 and 5xx are told apart (kube_error.h);
 *   - connection, TLS and timeout failures are told apart from HTTP errors;
 *   - only http/https, no redirects followed (a redirect would carry the
 *     bearer token elsewhere), TLS verified against the configuration's CA
 *     (or the system's when it names none) unless insecure-skip-tls-verify.
 * Authentication: the client certificate, and/or "Authorization: Bearer"
 * with the configuration's token.  A token file is re-read when it changes
 * (its identity -- inode, size, mtime -- is checked before each request),
 * and once more on a 401 before that 401 is returned, so a rotated
 * service-account token is picked up without restarting.  Requests carry
 * "Accept: application/json" and a User-Agent of "tollgate/<version>".
 * The connection is kept alive between calls of one client.
 *
 * Thread-safety: a client is used by one thread at a time (it owns one CURL
 * handle and its copy of the token); give each thread its own client --
 * the background scanner one, the CLI one.  Clients made from one struct
 * kube_config share it read-only.  The process must have called
 * curl_global_init(CURL_GLOBAL_DEFAULT) before the first kube_client_new
 * (main does, before starting threads).  Logs nothing: errors go to the
 * caller, who logs them once.
 */
#ifndef TOLLGATE_KUBE_CLIENT_H
#define TOLLGATE_KUBE_CLIENT_H

#include <jansson.h>
#include <stddef.h>

#include "kube_config.h"
#include "kube_error.h"

#define KUBE_DEFAULT_TIMEOUT_MS 30000L
#define KUBE_DEFAULT_MAX_BODY ((size_t)64 << 20)

/* Settings of one client; zero fields take the defaults. */
struct kube_client_opts {
    long timeout_ms; /* per call, unless the call says otherwise;
                      * 0 = KUBE_DEFAULT_TIMEOUT_MS */
    size_t max_body; /* largest response body read; 0 = KUBE_DEFAULT_MAX_BODY.
                      * A list page must fit: lower the list's limit rather
                      * than raising this much */
};

struct kube_client;

/* A client for `cfg`, which is borrowed: it must outlive the client and
 * not change.  `opts` may be NULL.  Reads the token file once now (an
 * unreadable or empty one fails here with TG_EIO naming it).  *out owns the
 * new client; free with kube_client_free.  TG_ENOMEM, TG_EIO (libcurl could
 * not make a handle, or the token file), TG_EINVAL (a TLS option libcurl
 * refuses). */
TG_MUST_CHECK enum tg_rc kube_client_new(const struct kube_config *cfg,
                                         const struct kube_client_opts *opts,
                                         struct kube_client **out,
                                         struct kube_error *err);

/* Close the connection and free the client (the token wiped).  NULL-safe. */
void kube_client_free(struct kube_client *c);

enum kube_method {
    KUBE_GET,
    KUBE_POST,        /* create: the body is the new object */
    KUBE_PUT,         /* replace: the body carries metadata.resourceVersion to
                       * fail with 409 Conflict if the object changed */
    KUBE_PATCH_MERGE, /* application/merge-patch+json (RFC 7386) */
    KUBE_DELETE,      /* the body, if any, is DeleteOptions */
};

/* One request. */
struct kube_call {
    enum kube_method method;
    /* Absolute API path, already escaped, optionally with a query:
     * "/api/v1/namespaces/shop/pods?limit=500" (kube_resource_path builds them).
     * Appended to the configuration's server URL (and its path prefix).
     * Must start with '/' and hold no spaces, control bytes or '#'
     * (TG_EINVAL otherwise, nothing sent). */
    const char *path;
    const json_t *body; /* sent as JSON for POST/PUT/PATCH (required there)
                         * and DELETE (optional); only read */
    long timeout_ms;    /* 0 = the client's */
    /* Members of the answer to leave as their JSON text, unbuilt
     * (kube_decode.h: at any depth; NULL-terminated), or NULL to build
     * every member.  Only for members the caller never reads: a list of
     * objects most of whose bytes nobody looks at (kube_list_opts). */
    const char *const *raw_keys;
};

/* Send `call` and wait for the answer.  On TG_OK, if `out` is not NULL,
 * *out is a new reference to the response object (caller releases it with
 * json_decref); with `out` NULL the answer is checked and dropped.  On
 * failure *out is untouched and `err` (may be NULL) says what happened;
 * codes and faults as in kube_error.h.  A 2xx answer with an empty body (a
 * DELETE through some proxies) gives an empty object. */
TG_MUST_CHECK enum tg_rc kube_client_call(struct kube_client *c,
                                          const struct kube_call *call, json_t **out,
                                          struct kube_error *err);

/* Shorthands for kube_client_call with the client's timeout.  `body` is
 * only read; `out` may be NULL. */
TG_MUST_CHECK enum tg_rc kube_client_get(struct kube_client *c, const char *path,
                                         json_t **out, struct kube_error *err);
TG_MUST_CHECK enum tg_rc kube_client_create(struct kube_client *c, const char *path,
                                            const json_t *body, json_t **out,
                                            struct kube_error *err);
TG_MUST_CHECK enum tg_rc kube_client_replace(struct kube_client *c, const char *path,
                                             const json_t *body, json_t **out,
                                             struct kube_error *err);
TG_MUST_CHECK enum tg_rc kube_client_patch(struct kube_client *c, const char *path,
                                           const json_t *patch, json_t **out,
                                           struct kube_error *err);
TG_MUST_CHECK enum tg_rc kube_client_delete(struct kube_client *c, const char *path,
                                            struct kube_error *err);

/* The configuration the client was made from (borrowed). */
const struct kube_config *kube_client_config(const struct kube_client *c);

#endif
