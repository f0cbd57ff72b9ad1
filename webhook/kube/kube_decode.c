/* kube_decode.c -- jsondec, and its errors sorted into the kube faults.
 *
 * jsondec says where it stopped as a line and a column (1-based, columns in
 * characters), not as a reason code, so "cut short" is told from
 * "malformed" by where: text that stops in the middle of a value fails at
 * its very end, whatever the reason given ("premature end of input" inside
 * a string, "',' or '}' expected" after a member).  A body cut inside a
 * literal, an escape or a UTF-8 sequence fails at that token's start and
 * reads as malformed, as it did with jansson.
 */
#include "kube_decode.h"

#include <stdbool.h>

#include "jsondec.h"

/* jsondec's position of the byte after the text: as jsondec and jansson
 * count, a line per '\n' and a column per character (UTF-8 lead byte). */
static void end_position(const char *text, size_t len, int *line, int *column)
{
    const char *end = text + len, *from = text;
    *line = 1;
    for (const char *p = text; p < end; p++) {
        if (*p == '\n') {
            ++*line;
            from = p + 1;
        }
    }
    *column = 1;
    for (const char *p = from; p < end; p++)
        *column += ((unsigned char)*p & 0xC0) != 0x80;
}

/* Did a value begin, and the text end before it did? */
static bool is_cut_short(const struct kube_body *b, const struct tg_error *e)
{
    size_t ws = 0;
    while (ws < b->len && (b->text[ws] == ' ' || b->text[ws] == '\t' ||
                           b->text[ws] == '\r' || b->text[ws] == '\n'))
        ws++;
    if (ws == b->len || (b->text[ws] != '{' && b->text[ws] != '['))
        return false; /* no value began: not JSON at all */
    int line, column;
    end_position(b->text, b->len, &line, &column);
    return e->line == line && e->column == column;
}

static enum tg_rc oom(struct kube_error *err, const char *call)
{
    return kube_error_set(err, TG_ENOMEM, KUBE_FAULT_LOCAL, call, "out of memory");
}

enum tg_rc kube_decode_object(const struct kube_body *body, const char *call,
                              json_t **out, struct kube_error *err)
{
    struct tg_error jerr = {0};
    json_t *v = NULL;
    if (body->len == 0) {
        if (!(v = json_object()))
            return oom(err, call);
        *out = v;
        return TG_OK;
    }
    const struct jsondec_opts opts = {.raw_keys = body->raw_keys};
    enum tg_rc rc = jsondec_parse_opts(body->text, body->len, NULL, &opts, &v, &jerr);
    if (rc == TG_ENOMEM)
        return oom(err, call);
    if (rc != TG_OK && is_cut_short(body, &jerr))
        return kube_error_set(
            err, TG_EIO, KUBE_FAULT_TRUNCATED, call,
            "the answer was cut short after %zu bytes (incomplete JSON)", body->len);
    if (rc != TG_OK)
        return kube_error_set(err, TG_EIO, KUBE_FAULT_BODY, call,
                              "the answer is not JSON: %s at line %d, column %d",
                              jerr.text, jerr.line, jerr.column);
    if (!json_is_object(v)) {
        json_decref(v);
        return kube_error_set(err, TG_EIO, KUBE_FAULT_BODY, call,
                              "the answer is not a JSON object");
    }
    *out = v;
    return TG_OK;
}
