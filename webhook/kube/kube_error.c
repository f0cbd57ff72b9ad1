/* kube_error.c -- Kubernetes Status answers into messages a person can act on.
 *
 * The API server answers every error with a `Status` object (apimachinery
 * metav1.Status: code, reason, message, details.retryAfterSeconds), and
 * its message is already precise ("pods is forbidden: User ... cannot list
 * resource ..."), so it is kept as is and only followed by what to do where
 * the cause is nearly always the same.  A body that is no Status (an HTML
 * page from a proxy, a load balancer's text) still gives its first line.
 */
#include "kube_error.h"

#include <ctype.h>
#include <errno.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SNIPPET_MAX 200

void kube_error_clear(struct kube_error *e)
{
    if (e)
        memset(e, 0, sizeof(*e));
}

static void set_call(struct kube_error *e, const char *call)
{
    snprintf(e->base.source, sizeof(e->base.source), "%s", call ? call : "");
    e->base.line = 0;
    e->base.column = 0;
}

enum tg_rc kube_error_set(struct kube_error *e, enum tg_rc rc, enum kube_fault fault,
                          const char *call, const char *fmt, ...)
{
    if (!e)
        return rc;
    kube_error_clear(e);
    set_call(e, call);
    e->fault = fault;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(e->base.text, sizeof(e->base.text), fmt, ap);
    va_end(ap);
    return rc;
}

/* The HTTP reason phrase, for messages when the body has none. */
static const char *status_text(long code)
{
    static const struct {
        long code;
        const char *text;
    } texts[] = {
        {400, "Bad Request"},
        {401, "Unauthorized"},
        {403, "Forbidden"},
        {404, "Not Found"},
        {405, "Method Not Allowed"},
        {406, "Not Acceptable"},
        {409, "Conflict"},
        {410, "Gone"},
        {413, "Payload Too Large"},
        {415, "Unsupported Media Type"},
        {422, "Unprocessable Entity"},
        {429, "Too Many Requests"},
        {500, "Internal Server Error"},
        {502, "Bad Gateway"},
        {503, "Service Unavailable"},
        {504, "Gateway Timeout"},
    };
    for (size_t i = 0; i < ARRAY_LEN(texts); i++) {
        if (texts[i].code == code)
            return texts[i].text;
    }
    return code >= 500 ? "Server Error" : code >= 400 ? "Client Error" : "Unexpected";
}

/* What to do, for the statuses whose cause is nearly always the same. */
static const char *advice(long code)
{
    switch (code) {
    case 401:
        return "the API server refused the credentials: check the token (an expired "
               "or rotated service-account token?) or the client certificate";
    case 403:
        return "grant the verb on this resource to the user in a Role or ClusterRole";
    case 410:
        return "the list snapshot expired; start the list again";
    case 429:
        return "the API server is throttling requests; retry later";
    default:
        return code >= 500 ? "the API server failed; retry later" : NULL;
    }
}

/* The first line of a body that is no Status, made printable. */
static void snippet(const char *body, size_t len, char *out, size_t out_len)
{
    size_t n = 0;
    size_t i = 0;
    while (i < len && isspace((unsigned char)body[i]))
        i++;
    for (; i < len && n + 1 < out_len && n < SNIPPET_MAX; i++) {
        unsigned char ch = (unsigned char)body[i];
        if (ch == '\n' || ch == '\r')
            break;
        out[n++] = (ch < 0x20 || ch == 0x7f) ? '?' : (char)ch;
    }
    out[n] = '\0';
}

static long parse_retry_after(const char *v)
{
    if (!v)
        return 0;
    char *end;
    errno = 0;
    long s = strtol(v, &end, 10);
    if (errno || end == v || s < 0)
        return 0; /* an HTTP-date: the API server never sends one */
    return s;
}

/* Fill reason, message and retry from a Status body; false if it is none. */
static bool read_status(struct kube_error *e, const char *body, size_t len, char *msg,
                        size_t msg_len)
{
    json_t *st = json_loadb(body, len, 0, NULL);
    const char *kind = json_string_value(json_object_get(st, "kind"));
    bool ok = json_is_object(st) && kind && strcmp(kind, "Status") == 0;
    if (ok) {
        const char *reason = json_string_value(json_object_get(st, "reason"));
        const char *message = json_string_value(json_object_get(st, "message"));
        const json_t *ra =
            json_object_get(json_object_get(st, "details"), "retryAfterSeconds");
        snprintf(e->reason, sizeof(e->reason), "%s", reason ? reason : "");
        snprintf(msg, msg_len, "%s", message ? message : "");
        if (e->retry_after_s == 0 && json_is_integer(ra) && json_integer_value(ra) > 0)
            e->retry_after_s = (long)json_integer_value(ra);
    }
    json_decref(st);
    return ok;
}

enum tg_rc kube_error_from_status(struct kube_error *e, const char *call,
                                  const struct kube_answer *a)
{
    long code = a->code;
    const char *body = a->body;
    size_t len = body ? a->len : 0;
    enum tg_rc rc = code == 404 ? TG_ENOTFOUND : TG_EIO;
    if (!e)
        return rc;
    char msg[400] = "";
    kube_error_clear(e);
    set_call(e, call);
    e->fault = KUBE_FAULT_HTTP;
    e->http_code = code;
    e->retry_after_s = parse_retry_after(a->retry_after);
    if (!body || !read_status(e, body, len, msg, sizeof(msg)))
        snippet(body ? body : "", len, msg, sizeof(msg));
    const char *todo = advice(code);
    int n = snprintf(e->base.text, sizeof(e->base.text), "%ld %s%s%s", code,
                     status_text(code), msg[0] ? ": " : "", msg);
    size_t used = n < 0 ? 0 : (size_t)n;
    if (e->retry_after_s > 0 && used < sizeof(e->base.text))
        used += (size_t)snprintf(e->base.text + used, sizeof(e->base.text) - used,
                                 " (retry after %ld s)", e->retry_after_s);
    if (todo && used < sizeof(e->base.text))
        snprintf(e->base.text + used, sizeof(e->base.text) - used, " (%s)", todo);
    return rc;
}

bool kube_error_is_transient(const struct kube_error *e)
{
    if (!e)
        return false;
    switch (e->fault) {
    case KUBE_FAULT_CONNECT:
    case KUBE_FAULT_TIMEOUT:
    case KUBE_FAULT_TRUNCATED:
        return true;
    case KUBE_FAULT_HTTP:
        return e->http_code == 429 || e->http_code == 500 || e->http_code == 502 ||
               e->http_code == 503 || e->http_code == 504;
    default:
        return false;
    }
}

const char *kube_fault_str(enum kube_fault fault)
{
    switch (fault) {
    case KUBE_FAULT_NONE:
        return "none";
    case KUBE_FAULT_LOCAL:
        return "local";
    case KUBE_FAULT_CONNECT:
        return "connect";
    case KUBE_FAULT_TLS:
        return "tls";
    case KUBE_FAULT_TIMEOUT:
        return "timeout";
    case KUBE_FAULT_HTTP:
        return "http";
    case KUBE_FAULT_TRUNCATED:
        return "truncated";
    case KUBE_FAULT_BODY:
        return "body";
    }
    return "unknown";
}
