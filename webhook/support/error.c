/* error.c -- filling and formatting struct tg_error. */
#include "error.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static void set_source(struct tg_error *err, const char *source, int line, int column)
{
    snprintf(err->source, sizeof(err->source), "%s", source ? source : "");
    err->line = line;
    err->column = column;
}

enum tg_rc tg_error_set(struct tg_error *err, enum tg_rc rc, const char *source, int line,
                        int column, const char *fmt, ...)
{
    if (!err)
        return rc;
    set_source(err, source, line, column);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->text, sizeof(err->text), fmt, ap);
    va_end(ap);
    return rc;
}

enum tg_rc tg_error_setf(struct tg_error *err, enum tg_rc rc, const char *fmt, ...)
{
    if (!err)
        return rc;
    set_source(err, NULL, 0, 0);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->text, sizeof(err->text), fmt, ap);
    va_end(ap);
    return rc;
}

void tg_error_prefix(struct tg_error *err, const char *prefix)
{
    if (!err || !prefix)
        return;
    size_t cap = sizeof(err->text) - 1;
    size_t plen = strlen(prefix);
    if (plen + 2 > cap)
        plen = cap - 2;
    size_t tlen = strlen(err->text);
    if (plen + 2 + tlen > cap)
        tlen = cap - plen - 2; /* keep the prefix, cut the end of the old text */
    memmove(err->text + plen + 2, err->text, tlen);
    memcpy(err->text, prefix, plen);
    memcpy(err->text + plen, ": ", 2);
    err->text[plen + 2 + tlen] = '\0';
}

void tg_error_format(const struct tg_error *err, char *out, size_t out_len)
{
    if (!out_len)
        return;
    if (!err->source[0])
        snprintf(out, out_len, "%s", err->text);
    else if (err->line > 0 && err->column > 0)
        snprintf(out, out_len, "%s:%d:%d: %s", err->source, err->line, err->column,
                 err->text);
    else if (err->line > 0)
        snprintf(out, out_len, "%s:%d: %s", err->source, err->line, err->text);
    else
        snprintf(out, out_len, "%s: %s", err->source, err->text);
}

const char *tg_rc_str(enum tg_rc rc)
{
    switch (rc) {
    case TG_OK:
        return "ok";
    case TG_ENOMEM:
        return "out of memory";
    case TG_EINVAL:
        return "invalid input";
    case TG_ETOOBIG:
        return "too big";
    case TG_EIO:
        return "input/output error";
    case TG_ETIMEDOUT:
        return "timed out";
    case TG_ENOTFOUND:
        return "not found";
    }
    return "unknown error";
}
