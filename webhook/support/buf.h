/* buf.h -- a growable byte buffer with a size cap (after curl's dynbuf).
 *
 * Holds a request body, a response being built, an output file.  The bytes
 * are always NUL-terminated (the NUL is not counted in len), so text can be
 * handed to parsers directly.  Appending past `cap` fails with TG_ETOOBIG and
 * leaves the contents as they were.  Members are read through the accessors
 * only.  Not thread-safe.
 */
#ifndef TOLLGATE_BUF_H
#define TOLLGATE_BUF_H

#include <stdarg.h>
#include <stddef.h>

#include "error.h"

struct buf {
    char *data; /* owned; NULL until the first append */
    size_t len;
    size_t alloc;
    size_t cap; /* most bytes the buffer may hold; 0 = no cap */
};

void buf_init(struct buf *b, size_t cap);
void buf_cleanup(struct buf *b); /* frees the bytes; b may be reused after buf_init */
void buf_reset(struct buf *b);   /* len = 0, keeps the memory */

TG_MUST_CHECK enum tg_rc buf_append(struct buf *b, const void *data, size_t len);

/* Room for `extra` more bytes now, exactly, so that appending up to that
 * much neither moves nor copies the bytes (a request body whose length is
 * declared).  TG_ETOOBIG past the cap, TG_ENOMEM; the contents are
 * unchanged either way. */
TG_MUST_CHECK enum tg_rc buf_reserve(struct buf *b, size_t extra);
TG_MUST_CHECK enum tg_rc buf_appends(struct buf *b, const char *s);
TG_MUST_CHECK enum tg_rc buf_appendf(struct buf *b, const char *fmt, ...) TG_PRINTF(2, 3);
TG_MUST_CHECK enum tg_rc buf_vappendf(struct buf *b, const char *fmt, va_list ap);

/* Borrow the bytes ("" when empty): valid until the next change. */
const char *buf_str(const struct buf *b);
size_t buf_len(const struct buf *b);

/* Hand the bytes to the caller, who frees them with tg_free(); the buffer
 * is empty afterwards.  Returns NULL when nothing was ever appended. */
char *buf_take(struct buf *b);

#endif
