/* kube_error.h -- what went wrong in a call to the Kubernetes API server.
 *
 * A failed call returns an enum tg_rc like every other module, and fills a
 * caller-owned struct kube_error with what the caller needs to decide what
 * to do next: which kind of fault it was (the transport, TLS, a deadline, an
 * HTTP status from the API server, or a body that could not be read), the
 * HTTP status code, the Kubernetes `Status.reason` ("NotFound", "Conflict",
 * "Expired", ...) and how long the server asked us to wait.  `base` is an
 * ordinary struct tg_error, so tg_error_format(&e.base, ...) prints the
 * message: base.source is the call ("GET /api/v1/namespaces/shop/pods"),
 * base.text what happened and, where there is one, what to do about it:
 *
 *   GET /api/v1/pods: 403 Forbidden: pods is forbidden: User "system:
 *   serviceaccount:tollgate-system:tollgate" cannot list resource "pods" in
 *   API group "" at the cluster scope (grant the "list" verb on this resource
 *   to the user in a ClusterRole)
 *
 * Return codes of the kube_* calls:
 *   TG_ENOTFOUND  404 (fault KUBE_FAULT_HTTP)
 *   TG_ETIMEDOUT  the call's deadline passed (KUBE_FAULT_TIMEOUT)
 *   TG_ETOOBIG    a response body over the client's cap (KUBE_FAULT_BODY)
 *   TG_ENOMEM     out of memory (KUBE_FAULT_LOCAL)
 *   TG_EINVAL     the caller's mistake: a bad path, name or option
 *                 (KUBE_FAULT_LOCAL); no request was sent
 *   TG_EIO        everything else: other HTTP statuses, connection and TLS
 *                 failures, truncated or malformed bodies, the wrong kind,
 *                 an unreadable token file
 * so a caller that only cares about "missing or not" tests the code, and one
 * that retries, backs off or counts by class looks at fault / http_code.
 * Never holds a credential: tokens, keys and Authorization headers are never
 * put in a message.
 * Pure; thread-safe (no shared state).
 */
#ifndef TOLLGATE_KUBE_ERROR_H
#define TOLLGATE_KUBE_ERROR_H

#include <stdbool.h>
#include <stddef.h>

#include "error.h"

enum kube_fault {
    KUBE_FAULT_NONE = 0,  /* no error (kube_error_clear) */
    KUBE_FAULT_LOCAL,     /* before or without I/O: memory, a bad argument, the
                           * token file, a callback's own failure */
    KUBE_FAULT_CONNECT,   /* refused, unreachable, name not resolved, reset */
    KUBE_FAULT_TLS,       /* handshake, server certificate verification, the
                           * client certificate or key refused */
    KUBE_FAULT_TIMEOUT,   /* the call's deadline passed (connecting, waiting
                           * for the answer, or reading it) */
    KUBE_FAULT_HTTP,      /* the API server answered with an HTTP error status
                           * (>= 400, or a 1xx/3xx it should never send) */
    KUBE_FAULT_TRUNCATED, /* the answer was cut short: the connection closed
                           * or broke before the whole body had come */
    KUBE_FAULT_BODY,      /* a success status, but the whole body is not JSON,
                           * not an object, over the cap, or of the wrong kind */
};

struct kube_error {
    struct tg_error base;  /* source: "METHOD /path" (no query); text: message */
    enum kube_fault fault; /* KUBE_FAULT_NONE until something failed */
    long http_code;        /* the HTTP status (FAULT_HTTP, FAULT_BODY,
                            * FAULT_TRUNCATED when headers came), else 0 */
    char reason[64];       /* Status.reason: "Unauthorized", "Forbidden",
                            * "NotFound", "AlreadyExists", "Conflict",
                            * "Expired", "Gone", "Invalid", "TooManyRequests",
                            * "InternalError", "ServiceUnavailable", ... or ""
                            * when the body was no Status */
    long retry_after_s;    /* seconds the server asked us to wait (Retry-After
                            * header, else Status.details.retryAfterSeconds),
                            * 0 when it did not say; typical on 429 and 5xx */
};

/* Reset `e` to "no error" (fault NONE, empty strings).  NULL-safe. */
void kube_error_clear(struct kube_error *e);

/* Fill `e` (may be NULL) with a fault of class `fault` and no HTTP status,
 * for `call` ("GET /api/v1/pods", may be NULL), and return `rc`. */
enum tg_rc kube_error_set(struct kube_error *e, enum tg_rc rc, enum kube_fault fault,
                          const char *call, const char *fmt, ...) TG_PRINTF(5, 6);

/* An HTTP answer as it came: the status, the body (may be NULL/0) and the
 * Retry-After header's value (NULL when absent).  All borrowed. */
struct kube_answer {
    long code;
    const char *body;
    size_t len;
    const char *retry_after;
};

/* The error for an HTTP error answer `a` to `call`: its body is a
 * Kubernetes Status object, or anything else a proxy may send (HTML, text,
 * nothing).  Reads Status.message, .reason and .details.retryAfterSeconds
 * (the Retry-After header wins), falls back to the first line of a
 * non-JSON body (control characters replaced, cut at 200 bytes), and adds
 * what to do for the usual causes (401: the credentials; 403: RBAC; 429:
 * wait).  Returns TG_ENOTFOUND for 404, else TG_EIO; `e` may be NULL. */
enum tg_rc kube_error_from_status(struct kube_error *e, const char *call,
                                  const struct kube_answer *a);

/* Is it worth trying again later, unchanged: the connection failed or was
 * reset, the deadline passed, the API server throttled (429) or failed
 * (500, 502, 503, 504), or the answer was cut short (FAULT_TRUNCATED)?  Not for 401/403
 * (fix the credentials or RBAC first), 404, 409, 410 (the caller must start over
 * differently), 422 or local faults.  NULL-safe (false). */
bool kube_error_is_transient(const struct kube_error *e);

/* A short constant name of a fault: "connect", "tls", "timeout", "http",
 * "truncated", "body", "local", "none" (metric labels, log fields). */
const char *kube_fault_str(enum kube_fault fault);

#endif
