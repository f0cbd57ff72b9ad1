/* tlog.c -- JSON-lines logging into a caller's stack buffer, one write(2)
 * per line.
 *
 * The line is built in struct tlog_line and never allocates, so logging
 * works when memory has run out and costs nothing but formatting.  Room for
 * the ending (,"truncated":true}\n) is always kept back, so whatever was
 * dropped, the line is still one valid JSON object.  A line is at most
 * 2048 bytes, below PIPE_BUF, so a write to a pipe is atomic and lines from
 * different threads never interleave.
 */
#include "tlog.h"

#include <errno.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "decimal.h"
#include "jsonesc.h"

#define TEXT_SIZE sizeof(((struct tlog_line *)0)->text)
#define TRUNCATED_FIELD ",\"truncated\":true"
#define LINE_END "}\n"
/* Bytes usable for content: the rest is reserved for the ending. */
#define CONTENT_MAX (TEXT_SIZE - (sizeof(TRUNCATED_FIELD) - 1) - (sizeof(LINE_END) - 1))

static atomic_int min_level = TLOG_INFO;
static atomic_int out_fd = 2;

static const char *const level_names[] = {"debug", "info", "warn", "error"};

void tlog_set_level(enum tlog_level level)
{
    atomic_store_explicit(&min_level, (int)level, memory_order_relaxed);
}

bool tlog_enabled(enum tlog_level level)
{
    return (int)level >= atomic_load_explicit(&min_level, memory_order_relaxed);
}

enum tg_rc tlog_parse_level(const char *name, enum tlog_level *out)
{
    if (!name)
        return TG_EINVAL;
    for (size_t i = 0; i < ARRAY_LEN(level_names); i++) {
        if (strcasecmp(name, level_names[i]) == 0) {
            *out = (enum tlog_level)i;
            return TG_OK;
        }
    }
    if (strcasecmp(name, "warning") == 0) { /* what most tools call it */
        *out = TLOG_WARN;
        return TG_OK;
    }
    return TG_EINVAL;
}

int tlog_set_fd(int fd)
{
    return atomic_exchange_explicit(&out_fd, fd, memory_order_relaxed);
}

/* Append raw bytes if they fit below `limit`. */
static bool put(struct tlog_line *l, const char *s, size_t n, size_t limit)
{
    if (n > limit || l->len > limit - n)
        return false;
    memcpy(l->text + l->len, s, n);
    l->len += n;
    return true;
}

/* Append `s` as JSON string content, whole characters only, below `limit`.
 * Returns false if it had to stop early. */
static bool put_escaped(struct tlog_line *l, const char *s, size_t limit)
{
    const unsigned char *p = (const unsigned char *)s;
    while (*p) {
        size_t run = jsonesc_plain_run(p);
        if (run) { /* whole characters, so a run may be cut anywhere */
            size_t room = limit > l->len ? limit - l->len : 0;
            if (!put(l, (const char *)p, run < room ? run : room, limit) || run > room)
                return false;
            p += run;
            continue;
        }
        char esc[8];
        size_t adv, n;
        const char *out = jsonesc_char(p, esc, &adv, &n);
        if (!put(l, out ? out : (const char *)p, n, limit))
            return false;
        p += adv;
    }
    return true;
}

static bool put_str(struct tlog_line *l, const char *s)
{
    return put(l, s, strlen(s), CONTENT_MAX);
}

/* ,"key": -- the start of every field */
static bool put_key(struct tlog_line *l, const char *key)
{
    return put_str(l, ",\"") && put_escaped(l, key ? key : "(null)", CONTENT_MAX) &&
           put_str(l, "\":");
}

/* A field that does not fit is dropped whole, so the line stays valid. */
static void field_done(struct tlog_line *l, size_t mark, bool ok)
{
    if (ok)
        return;
    l->len = mark;
    l->truncated = true;
}

/* "2026-11-22T13:14:15", formatted once per second per thread: gmtime_r
 * takes glibc's time zone lock, and every request logs a line. */
static const char *second_stamp(time_t sec)
{
    static _Thread_local time_t cached_sec = -1;
    static _Thread_local char cached[32];
    if (sec != cached_sec) {
        struct tm tm;
        gmtime_r(&sec, &tm);
        const int parts[] = {tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                             tm.tm_hour,        tm.tm_min,     tm.tm_sec};
        static const char after[] = "--T::";
        size_t n = 0;
        for (size_t i = 0; i < ARRAY_LEN(parts); i++) {
            n += decimal_format(cached + n,
                                (unsigned long long)(parts[i] < 0 ? 0 : parts[i]),
                                i == 0 ? 4 : 2);
            if (i < sizeof(after) - 1)
                cached[n++] = after[i];
        }
        cached[n] = '\0';
        cached_sec = sec;
    }
    return cached;
}

static void put_time(struct tlog_line *l)
{
    struct timespec ts;
    char ms[8] = ".";
    clock_gettime(CLOCK_REALTIME, &ts);
    size_t n = 1 + decimal_format(ms + 1, (unsigned long long)(ts.tv_nsec / 1000000), 3);
    ms[n++] = 'Z';
    put_str(l, second_stamp(ts.tv_sec));
    put(l, ms, n, CONTENT_MAX);
}

void tlog_begin(struct tlog_line *l, enum tlog_level level, const char *msg)
{
    l->len = 0;
    l->truncated = false;
    l->enabled = tlog_enabled(level);
    if (!l->enabled)
        return;
    unsigned idx =
        (unsigned)level < ARRAY_LEN(level_names) ? (unsigned)level : TLOG_ERROR;
    /* Fixed-size parts: they always fit in an empty line. */
    put_str(l, "{\"time\":\"");
    put_time(l);
    put_str(l, "\",\"level\":\"");
    put_str(l, level_names[idx]);
    put_str(l, "\",\"msg\":\"");
    /* The message is cut rather than dropped: one byte stays for the quote. */
    if (!put_escaped(l, msg ? msg : "", CONTENT_MAX - 1))
        l->truncated = true;
    put_str(l, "\"");
}

void tlog_str(struct tlog_line *l, const char *key, const char *value)
{
    if (!l->enabled)
        return;
    size_t mark = l->len;
    bool ok = put_key(l, key);
    if (ok && !value)
        ok = put_str(l, "null");
    else if (ok)
        ok = put_str(l, "\"") && put_escaped(l, value, CONTENT_MAX) && put_str(l, "\"");
    field_done(l, mark, ok);
}

void tlog_int(struct tlog_line *l, const char *key, long long value)
{
    if (!l->enabled)
        return;
    char num[24];
    size_t n = 0;
    if (value < 0)
        num[n++] = '-';
    /* the magnitude as unsigned, so LLONG_MIN does not overflow */
    unsigned long long mag =
        value < 0 ? 0ull - (unsigned long long)value : (unsigned long long)value;
    n += decimal_format(num + n, mag, 1);
    size_t mark = l->len;
    field_done(l, mark, put_key(l, key) && put(l, num, n, CONTENT_MAX));
}

void tlog_bool(struct tlog_line *l, const char *key, bool value)
{
    if (!l->enabled)
        return;
    size_t mark = l->len;
    field_done(l, mark, put_key(l, key) && put_str(l, value ? "true" : "false"));
}

void tlog_end(struct tlog_line *l)
{
    if (!l->enabled)
        return;
    size_t room = sizeof(l->text);
    if (l->truncated)
        put(l, TRUNCATED_FIELD, sizeof(TRUNCATED_FIELD) - 1, room);
    put(l, LINE_END, sizeof(LINE_END) - 1, room);
    l->enabled = false; /* a second tlog_end writes nothing */
    int fd = atomic_load_explicit(&out_fd, memory_order_relaxed);
    const char *p = l->text;
    size_t left = l->len;
    while (left > 0) { /* one write, unless a signal or a full pipe cuts it short */
        ssize_t n = write(fd, p, left);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return; /* nowhere left to report a logging failure */
        p += n;
        left -= (size_t)n;
    }
}

void tlog_printf(enum tlog_level level, const char *fmt, ...)
{
    if (!tlog_enabled(level))
        return;
    char msg[TEXT_SIZE];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    struct tlog_line l;
    tlog_begin(&l, level, n < 0 ? "(unformattable log message)" : msg);
    if (n >= (int)sizeof(msg))
        l.truncated = true;
    tlog_end(&l);
}
