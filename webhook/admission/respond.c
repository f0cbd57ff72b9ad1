/* respond.c -- AdmissionReview response JSON, written directly.
 *
 * Every admission ends here, so the answer is written into a buffer as
 * text rather than built as a jansson tree and dumped: building and
 * dumping was ~7% of an allowed decision and ~15% of a denied one, whose
 * message and warnings are long (callgrind, bench_micro).  Only the rare
 * parts that are JSON values already (auditAnnotations, the patch) go
 * through json_dumps.  Strings are escaped by jsonesc.c.
 */
#include "respond.h"

#include <openssl/evp.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "alloc.h"
#include "buf.h"
#include "jsonesc.h"

/* The text so far; the first failure sticks, and later writes do nothing. */
struct writer {
    struct buf b;
    bool failed;
};

static void put(struct writer *w, const char *s, size_t n)
{
    if (!w->failed && buf_append(&w->b, s, n) != TG_OK)
        w->failed = true;
}

#define PUT_LITERAL(w, lit) put((w), (lit), sizeof(lit) - 1)

/* `s` as a JSON string, quotes included. */
static void put_string(struct writer *w, const char *s)
{
    const unsigned char *p = (const unsigned char *)(s ? s : "");
    PUT_LITERAL(w, "\"");
    while (*p) {
        size_t run = jsonesc_plain_run(p);
        put(w, (const char *)p, run);
        p += run;
        if (!*p)
            break;
        char esc[8];
        size_t adv, n;
        const char *out = jsonesc_char(p, esc, &adv, &n);
        put(w, out ? out : (const char *)p, n);
        p += adv;
    }
    PUT_LITERAL(w, "\"");
}

/* A JSON value as compact text (jansson keeps members in insertion order). */
static void put_json(struct writer *w, const json_t *v)
{
    char *text = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
    if (!text) {
        w->failed = true;
        return;
    }
    put(w, text, strlen(text));
    free(text);
}

/* Base64 of the compact patch text, as the API server expects in
 * response.patch (base64 needs no escaping). */
static void put_patch(struct writer *w, const json_t *patch)
{
    char *text = json_dumps(patch, JSON_COMPACT);
    size_t len = text ? strlen(text) : 0;
    unsigned char *b64 = text ? tg_malloc(4 * ((len + 2) / 3) + 1) : NULL;
    if (!b64) {
        w->failed = true;
    } else {
        int n = EVP_EncodeBlock(b64, (const unsigned char *)text, (int)len);
        PUT_LITERAL(w, "\"");
        put(w, (const char *)b64, (size_t)n);
        PUT_LITERAL(w, "\"");
    }
    tg_free(b64);
    free(text);
}

static const char *reason_for(int code)
{
    return code == 400 ? "BadRequest" : code == 500 ? "InternalError" : "Forbidden";
}

static void put_status(struct writer *w, const struct verdict *v, int code)
{
    char num[16];
    int n = snprintf(num, sizeof(num), "%d", code);
    PUT_LITERAL(w, ",\"status\":{\"code\":");
    put(w, num, n > 0 ? (size_t)n : 0);
    PUT_LITERAL(w, ",\"reason\":");
    put_string(w, reason_for(code));
    PUT_LITERAL(w, ",\"message\":");
    put_string(w, v->message ? v->message : "denied");
    PUT_LITERAL(w, "}");
}

static void put_warnings(struct writer *w, const struct verdict *v)
{
    PUT_LITERAL(w, ",\"warnings\":[");
    for (size_t i = 0; i < v->n_warnings; i++) {
        if (i)
            PUT_LITERAL(w, ",");
        put_string(w, v->warnings[i]);
    }
    PUT_LITERAL(w, "]");
}

enum tg_rc respond_encode(const char *api_version, const char *uid,
                          const struct verdict *v, int status_code, char **out,
                          size_t *len)
{
    struct writer w = {.failed = false};
    buf_init(&w.b, 0);
    PUT_LITERAL(&w, "{\"apiVersion\":");
    put_string(&w, api_version);
    PUT_LITERAL(&w, ",\"kind\":\"AdmissionReview\",\"response\":{\"uid\":");
    put_string(&w, uid);
    if (v->allowed)
        PUT_LITERAL(&w, ",\"allowed\":true");
    else
        PUT_LITERAL(&w, ",\"allowed\":false");
    if (!v->allowed)
        put_status(&w, v, status_code);
    if (v->n_warnings)
        put_warnings(&w, v);
    if (v->audit_annotations) {
        PUT_LITERAL(&w, ",\"auditAnnotations\":");
        put_json(&w, v->audit_annotations);
    }
    if (v->patch) {
        PUT_LITERAL(&w, ",\"patchType\":\"JSONPatch\",\"patch\":");
        put_patch(&w, v->patch);
    }
    PUT_LITERAL(&w, "}}");
    if (w.failed) {
        buf_cleanup(&w.b);
        return TG_ENOMEM;
    }
    *len = buf_len(&w.b);
    *out = buf_take(&w.b);
    return TG_OK;
}
