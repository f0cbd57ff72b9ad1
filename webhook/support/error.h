/* error.h -- the project-wide result codes and error details.
 *
 * Every fallible function returns an enum tg_rc (TG_OK is 0) and, where the
 * caller may want to know more, fills a caller-owned struct tg_error.  The
 * struct lives on the caller's stack and may be NULL.  Positions are 1-based
 * (0 means "unknown"), so a message reads like a compiler's:
 *     policies/base.yaml:14:7: spec.rules.probes.require[1]: unknown probe ...
 * Thread-safe: no shared state.
 */
#ifndef TOLLGATE_ERROR_H
#define TOLLGATE_ERROR_H

#include <stddef.h>

#define TG_MUST_CHECK __attribute__((warn_unused_result))
#define TG_PRINTF(fmt, args) __attribute__((format(printf, fmt, args)))
#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

enum tg_rc {
    TG_OK = 0,
    TG_ENOMEM,    /* an allocation failed, or an arena/buffer cap was reached */
    TG_EINVAL,    /* the input is malformed or breaks a rule of its format */
    TG_ETOOBIG,   /* the input is larger than a configured cap */
    TG_EIO,       /* a file, socket or library call failed */
    TG_ETIMEDOUT, /* a deadline passed */
    TG_ENOTFOUND, /* a looked-up thing does not exist */
};

struct tg_error {
    char source[256]; /* file name, "request body", "--policy", ... */
    int line;         /* 1-based, 0 = unknown */
    int column;       /* 1-based, 0 = unknown */
    char text[512];
};

/* Fill `err` (if not NULL) and return `rc`, so a caller can write
 * `return tg_error_set(err, TG_EINVAL, path, line, col, "...", ...);`.
 * `source` may be NULL.  Text longer than the buffer is truncated. */
enum tg_rc tg_error_set(struct tg_error *err, enum tg_rc rc, const char *source, int line,
                        int column, const char *fmt, ...) TG_PRINTF(6, 7);

/* Like tg_error_set but without a position. */
enum tg_rc tg_error_setf(struct tg_error *err, enum tg_rc rc, const char *fmt, ...)
    TG_PRINTF(3, 4);

/* Prepend "prefix: " to err->text (keeps source and position).  NULL-safe. */
void tg_error_prefix(struct tg_error *err, const char *prefix);

/* "source:line:col: text" (parts that are unknown are left out) into `out`. */
void tg_error_format(const struct tg_error *err, char *out, size_t out_len);

/* A short constant name for a code, e.g. "out of memory". */
const char *tg_rc_str(enum tg_rc rc);

#endif
