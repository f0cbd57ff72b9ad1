/* tlog.h -- structured logging: one JSON object per line on stderr.
 *
 * Cluster log pipelines parse JSON lines, so every line is
 *   {"time":"2026-11-22T10:22:38.123Z","level":"info","msg":"...",<fields>}
 * written with a single write(2) so lines from threads never interleave.
 * Build a line with tlog_begin, add fields, finish with tlog_end; or use
 * TLOG() for a message with printf-formatted text.  Values are JSON-escaped
 * (control characters, quotes, invalid UTF-8 replaced).  Never pass object
 * bodies, env values, Secret data or key material.
 * The level is process-wide (set once at start, read with a relaxed load);
 * everything else is per-line, so the module is thread-safe.
 */
#ifndef TOLLGATE_TLOG_H
#define TOLLGATE_TLOG_H

#include <stdbool.h>
#include <stddef.h>

#include "error.h"

enum tlog_level { TLOG_DEBUG, TLOG_INFO, TLOG_WARN, TLOG_ERROR };

void tlog_set_level(enum tlog_level level);
bool tlog_enabled(enum tlog_level level);

/* "debug", "info", "warn", "error" -> level; TG_EINVAL otherwise. */
TG_MUST_CHECK enum tg_rc tlog_parse_level(const char *name, enum tlog_level *out);

/* Send lines to this fd instead of 2 (tests); returns the previous fd. */
int tlog_set_fd(int fd);

/* A line being built on the caller's stack.  Fields that do not fit in
 * the buffer are dropped and the line ends with "truncated":true.  A "msg"
 * that does not fit is cut at a character boundary instead (never dropped).
 * No call allocates, so logging works when memory has run out. */
struct tlog_line {
    char text[2048];
    size_t len;
    bool truncated;
    bool enabled; /* false: every call is a no-op (level filtered out) */
};

void tlog_begin(struct tlog_line *l, enum tlog_level level, const char *msg);
void tlog_str(struct tlog_line *l, const char *key, const char *value); /* NULL -> null */
void tlog_int(struct tlog_line *l, const char *key, long long value);
void tlog_bool(struct tlog_line *l, const char *key, bool value);
void tlog_end(struct tlog_line *l);

/* A whole line with a formatted "msg" and no other fields. */
void tlog_printf(enum tlog_level level, const char *fmt, ...) TG_PRINTF(2, 3);

/* Check the level before evaluating the arguments. */
#define TLOG(level, ...)                                                                 \
    do {                                                                                 \
        if (tlog_enabled(level))                                                         \
            tlog_printf(level, __VA_ARGS__);                                             \
    } while (0)

#endif
