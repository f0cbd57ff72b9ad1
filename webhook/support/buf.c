/* buf.c -- growable, capped, NUL-terminated byte buffer. */
#include "buf.h"

#include <stdio.h>
#include <string.h>

#include "alloc.h"

void buf_init(struct buf *b, size_t cap)
{
    b->data = NULL;
    b->len = 0;
    b->alloc = 0;
    b->cap = cap;
}

void buf_cleanup(struct buf *b)
{
    if (!b)
        return;
    tg_free(b->data);
    b->data = NULL;
    b->len = 0;
    b->alloc = 0;
}

void buf_reset(struct buf *b)
{
    b->len = 0;
    if (b->data)
        b->data[0] = '\0';
}

static enum tg_rc ensure_room(struct buf *b, size_t extra)
{
    if (b->cap && (extra > b->cap || b->len > b->cap - extra))
        return TG_ETOOBIG;
    size_t need = b->len + extra + 1;
    if (need <= b->alloc)
        return TG_OK;
    size_t alloc = b->alloc ? b->alloc : 256;
    while (alloc < need)
        alloc *= 2;
    char *p = tg_realloc(b->data, alloc);
    if (!p)
        return TG_ENOMEM;
    b->data = p;
    b->alloc = alloc;
    return TG_OK;
}

enum tg_rc buf_reserve(struct buf *b, size_t extra)
{
    if (b->cap && (extra > b->cap || b->len > b->cap - extra))
        return TG_ETOOBIG;
    size_t need = b->len + extra + 1;
    if (need <= b->alloc)
        return TG_OK;
    char *p = tg_realloc(b->data, need);
    if (!p)
        return TG_ENOMEM;
    if (!b->data)
        p[0] = '\0';
    b->data = p;
    b->alloc = need;
    return TG_OK;
}

enum tg_rc buf_append(struct buf *b, const void *data, size_t len)
{
    enum tg_rc rc = ensure_room(b, len);
    if (rc != TG_OK)
        return rc;
    if (len)
        memcpy(b->data + b->len, data, len);
    b->len += len;
    b->data[b->len] = '\0';
    return TG_OK;
}

enum tg_rc buf_appends(struct buf *b, const char *s)
{
    return buf_append(b, s, strlen(s));
}

enum tg_rc buf_vappendf(struct buf *b, const char *fmt, va_list ap)
{
    va_list copy;
    va_copy(copy, ap);
    int n = vsnprintf(NULL, 0, fmt, copy);
    va_end(copy);
    if (n < 0)
        return TG_EINVAL;
    enum tg_rc rc = ensure_room(b, (size_t)n);
    if (rc != TG_OK)
        return rc;
    vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
    b->len += (size_t)n;
    return TG_OK;
}

enum tg_rc buf_appendf(struct buf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    enum tg_rc rc = buf_vappendf(b, fmt, ap);
    va_end(ap);
    return rc;
}

const char *buf_str(const struct buf *b)
{
    return b->data ? b->data : "";
}

size_t buf_len(const struct buf *b)
{
    return b->len;
}

char *buf_take(struct buf *b)
{
    char *p = b->data;
    b->data = NULL;
    b->len = 0;
    b->alloc = 0;
    return p;
}
