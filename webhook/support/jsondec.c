/* jsondec.c -- JSON text to jansson values, scanning the bytes in place.
 *
 * Recursive descent over the input.  Strings without escapes (nearly all in
 * an AdmissionReview) go from the input straight to json_stringn_nocheck,
 * after one pass that finds the closing quote and checks the UTF-8; only
 * strings with escapes are copied through a scratch buffer.  The values of
 * raw members (opts) are checked by a second set of readers that build
 * nothing (skip_*).  Errors record the offending byte; its line and column
 * are counted only then.
 */
#include "jsondec.h"

#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#if defined(__SSE2__) && !defined(TOLLGATE_NO_SIMD)
#include <emmintrin.h>
#endif

#include "alloc.h"
#include "buf.h"

#define MAX_DEPTH 2048  /* jansson's JSON_PARSER_MAX_DEPTH, counted the same way */
#define RAW_LONG 32     /* raw keys this long or longer share one list */
#define RAW_INDEXED 255 /* raw keys indexed by length; any more are scanned */

struct parser {
    const char *start, *p, *end;
    unsigned depth;
    const struct jsondec_opts *opts; /* NULL: build everything */
    /* opts->raw_keys by length: head[len] is 1 + the index of the first key
     * of that length (RAW_LONG and more share the last), next[i] 1 + the
     * next one of key i's length; 0 ends a list.  Keys past RAW_INDEXED
     * are looked for one by one. */
    unsigned char raw_head[RAW_LONG + 1];
    unsigned char raw_next[RAW_INDEXED];
    size_t n_raw_indexed;
    struct buf scratch; /* the unescaped text of the current string */
    const char *err_at; /* the first error's byte; NULL while all is well */
    const char *why;    /* static */
    bool oom;
};

static void fail(struct parser *ps, const char *at, const char *why)
{
    if (!ps->err_at && !ps->oom) {
        ps->err_at = at;
        ps->why = why;
    }
}

static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

/* Compact JSON (what the API server sends) has no white space, so the
 * usual case is one load and one test. */
static void skip_ws(struct parser *ps)
{
    const char *p = ps->p;
    while (p < ps->end && (unsigned char)*p <= ' ' &&
           (*p == ' ' || *p == '\n' || *p == '\r' || *p == '\t'))
        p++;
    ps->p = p;
}

/* Bytes in the UTF-8 sequence at p (p[0] >= 0x80), or 0 when it is not a
 * shortest-form encoding of a scalar value (RFC 3629). */
static size_t utf8_len(const unsigned char *p, const unsigned char *end)
{
    unsigned c = p[0];
    size_t n;
    uint32_t cp, min;
    if (c >= 0xC2 && c <= 0xDF) {
        n = 2, cp = c & 0x1F, min = 0x80;
    } else if (c >= 0xE0 && c <= 0xEF) {
        n = 3, cp = c & 0x0F, min = 0x800;
    } else if (c >= 0xF0 && c <= 0xF4) {
        n = 4, cp = c & 0x07, min = 0x10000;
    } else {
        return 0;
    }
    if ((size_t)(end - p) < n)
        return 0;
    for (size_t i = 1; i < n; i++) {
        if ((p[i] & 0xC0) != 0x80)
            return 0;
        cp = (cp << 6) | (p[i] & 0x3F);
    }
    if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
        return 0;
    return n;
}

#if defined(__SSE2__) && !defined(TOLLGATE_NO_SIMD)
/* One bit per byte of the 16 at p that ends a run of plain ASCII. */
static unsigned stop_mask(const unsigned char *p)
{
    __m128i v = _mm_loadu_si128((const __m128i *)(const void *)p);
    __m128i stop = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(v, _mm_set1_epi8('"')),
                                             _mm_cmpeq_epi8(v, _mm_set1_epi8('\\'))),
                                _mm_cmplt_epi8(v, _mm_set1_epi8(0x20)));
    return (unsigned)_mm_movemask_epi8(stop);
}
#endif

/* The end of the run of plain ASCII from p: printable, not '"' or '\\'.
 * Sixteen bytes at a time where SSE2 is there (every x86-64): a review's
 * strings are mostly a few to a few dozen bytes, so one or two steps find
 * the closing quote instead of a load and test per byte.  A signed
 * compare with 0x20 catches both the control characters and the bytes
 * from 0x80 (negative as signed). */
static const unsigned char *ascii_run(const unsigned char *p, const unsigned char *end)
{
    /* 1: printable ASCII other than '"' and '\\' */
    static const unsigned char plain[256] = {
        0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, /* 0x00 */
        0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, /* 0x10 */
        1, 1, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, /* 0x20 */
        1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, /* 0x30 */
        1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, /* 0x40 */
        1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 1, 1, 1, /* 0x50 */
        1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, /* 0x60 */
        1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, /* 0x70 */
    };
#if defined(__SSE2__) && !defined(TOLLGATE_NO_SIMD)
    while (end - p >= 16) {
        unsigned mask = stop_mask(p);
        if (mask)
            return p + __builtin_ctz(mask);
        p += 16;
    }
#endif
    while (p < end && *p < 0x80 && plain[*p])
        p++;
    return p;
}

/* The end of the run of plain string bytes from p: stops at '"', '\\', a
 * control character or the end; NULL at invalid UTF-8 (recorded). */
static const unsigned char *plain_run(struct parser *ps, const unsigned char *p,
                                      const unsigned char *end)
{
    for (;;) {
        p = ascii_run(p, end);
        if (p >= end || *p < 0x80)
            return p; /* '"', '\\', a control character or the end */
        size_t k = utf8_len(p, end);
        if (!k) {
            fail(ps, (const char *)p, "invalid UTF-8 in a string");
            return NULL;
        }
        p += k;
    }
}

static bool hex4(const unsigned char *p, const unsigned char *end, uint32_t *out)
{
    uint32_t v = 0;
    if (end - p < 4)
        return false;
    for (int i = 0; i < 4; i++) {
        unsigned c = p[i];
        unsigned d = c >= '0' && c <= '9'   ? c - '0'
                     : c >= 'a' && c <= 'f' ? c - 'a' + 10
                     : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                            : 16;
        if (d == 16)
            return false;
        v = v << 4 | d;
    }
    *out = v;
    return true;
}

/* A \u escape at p (the backslash), a surrogate pair as one: the code point
 * in *cp and the byte after the escape; NULL on error (recorded). */
static const unsigned char *unicode_escape(struct parser *ps, const unsigned char *p,
                                           const unsigned char *end, uint32_t *cp)
{
    uint32_t lo;
    if (!hex4(p + 2, end, cp)) {
        fail(ps, (const char *)p, "invalid \\u escape");
        return NULL;
    }
    p += 6;
    if (*cp >= 0xDC00 && *cp <= 0xDFFF) {
        fail(ps, (const char *)p - 6, "invalid Unicode: a lone low surrogate");
        return NULL;
    }
    if (*cp >= 0xD800 && *cp <= 0xDBFF) {
        if (end - p < 6 || p[0] != '\\' || p[1] != 'u' || !hex4(p + 2, end, &lo) ||
            lo < 0xDC00 || lo > 0xDFFF) {
            fail(ps, (const char *)p - 6, "invalid Unicode: a high surrogate alone");
            return NULL;
        }
        *cp = 0x10000 + ((*cp - 0xD800) << 10) + (lo - 0xDC00);
        p += 6;
    }
    if (*cp == 0) {
        fail(ps, (const char *)p - 6, "\\u0000 is not allowed in a string");
        return NULL;
    }
    return p;
}

static size_t utf8_encode(uint32_t cp, char *out)
{
    if (cp < 0x80) {
        out[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        out[0] = (char)(0xC0 | cp >> 6);
        out[1] = (char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        out[0] = (char)(0xE0 | cp >> 12);
        out[1] = (char)(0x80 | (cp >> 6 & 0x3F));
        out[2] = (char)(0x80 | (cp & 0x3F));
        return 3;
    }
    out[0] = (char)(0xF0 | cp >> 18);
    out[1] = (char)(0x80 | (cp >> 12 & 0x3F));
    out[2] = (char)(0x80 | (cp >> 6 & 0x3F));
    out[3] = (char)(0x80 | (cp & 0x3F));
    return 4;
}

/* The escape at p (a backslash) decoded into utf8[] (*n bytes); the byte
 * after it, or NULL on error (recorded). */
static const unsigned char *escape(struct parser *ps, const unsigned char *p,
                                   const unsigned char *end, char utf8[4], size_t *n)
{
    static const char from[] = "\"\\/bfnrt";
    static const char to[] = "\"\\/\b\f\n\r\t";
    const char *simple = end - p >= 2 && p[1] ? strchr(from, p[1]) : NULL;
    *n = 1;
    if (simple) {
        utf8[0] = to[simple - from];
        return p + 2;
    }
    if (end - p >= 2 && p[1] == 'u') {
        uint32_t cp;
        p = unicode_escape(ps, p, end, &cp);
        if (p)
            *n = utf8_encode(cp, utf8);
        return p;
    }
    fail(ps, (const char *)p, "invalid escape in a string");
    return NULL;
}

/* The string from its first byte `p` (after the quote), checked and, when
 * `into` is not NULL, unescaped into it; returns the closing quote or NULL
 * on error (recorded). */
static const unsigned char *escaped_string(struct parser *ps, const unsigned char *p,
                                           const unsigned char *end, struct buf *into)
{
    for (;;) {
        const unsigned char *run = p;
        p = plain_run(ps, p, end);
        if (!p)
            return NULL;
        if (into && p > run && buf_append(into, run, (size_t)(p - run)) != TG_OK) {
            ps->oom = true;
            return NULL;
        }
        if (p >= end || *p < 0x20) {
            fail(ps, (const char *)p,
                 p >= end ? "premature end of input in a string"
                          : "control character in a string");
            return NULL;
        }
        if (*p == '"')
            return p;
        char utf8[4];
        size_t n;
        p = escape(ps, p, end, utf8, &n);
        if (!p)
            return NULL;
        if (into && buf_append(into, utf8, n) != TG_OK) {
            ps->oom = true;
            return NULL;
        }
    }
}

/* scan_string past its fast case: a string with an escape, a byte from
 * 0x80, or longer than 16 bytes (or near the end of the input). */
__attribute__((noinline)) static const unsigned char *
scan_string_slow(struct parser *ps, struct buf *into, bool *escaped)
{
    const unsigned char *end = (const unsigned char *)ps->end;
    const unsigned char *begin = (const unsigned char *)ps->p + 1;
    const unsigned char *p = plain_run(ps, begin, end);
    if (p && p < end && *p == '\\') {
        *escaped = true;
        if (into)
            buf_reset(into);
        return escaped_string(ps, begin, end, into);
    }
    if (p && (p >= end || *p != '"')) {
        fail(ps, (const char *)p,
             p >= end ? "premature end of input in a string"
                      : "control character in a string");
        return NULL;
    }
    return p;
}

/* The closing quote of the string whose opening quote is at ps->p, all of
 * it checked, with *escaped telling whether it holds an escape; NULL on
 * error (recorded).  Unescapes into `into` (reset first) only when it is
 * not NULL and the string has escapes.  Most strings are plain ASCII and
 * end within 16 bytes: that case is decided here, small enough to inline,
 * and the rest in scan_string_slow. */
static const unsigned char *scan_string(struct parser *ps, struct buf *into,
                                        bool *escaped)
{
    *escaped = false;
#if defined(__SSE2__) && !defined(TOLLGATE_NO_SIMD)
    const unsigned char *begin = (const unsigned char *)ps->p + 1;
    if ((const unsigned char *)ps->end - begin >= 16) {
        unsigned mask = stop_mask(begin);
        const unsigned char *q = begin + (mask ? __builtin_ctz(mask) : 0);
        if (mask && *q == '"')
            return q;
    }
#endif
    return scan_string_slow(ps, into, escaped);
}

/* The string whose opening quote is at ps->p: its bytes in *s and *n (in
 * the input, or in the scratch buffer when it had escapes, valid until the
 * next string).  false on error (recorded). */
static bool read_string(struct parser *ps, const char **s, size_t *n, bool *copied)
{
    const char *begin = ps->p + 1;
    const unsigned char *p = scan_string(ps, &ps->scratch, copied);
    if (!p)
        return false;
    *s = *copied ? buf_str(&ps->scratch) : begin;
    *n = *copied ? buf_len(&ps->scratch) : (size_t)((const char *)p - begin);
    ps->p = (const char *)p + 1;
    return true;
}

/* The integer in [p, end) (digits, maybe a '-'), checked to fit json_int_t;
 * false when it does not (recorded). */
static bool integer_value(struct parser *ps, const char *p, const char *end,
                          json_int_t *out)
{
    bool neg = *p == '-';
    uint64_t limit = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
    uint64_t v = 0;
    for (const char *q = p + neg; q < end; q++) {
        unsigned d = (unsigned)(*q - '0');
        if (v > (limit - d) / 10) {
            fail(ps, p, "too big integer");
            return false;
        }
        v = v * 10 + d;
    }
    *out = neg ? (v == limit ? INT64_MIN : -(json_int_t)v) : (json_int_t)v;
    return true;
}

/* The real in [p, end), checked to be finite; false when not (recorded). */
static bool real_value(struct parser *ps, const char *p, const char *end, double *out)
{
    buf_reset(&ps->scratch); /* strtod wants a NUL-terminated copy */
    if (buf_append(&ps->scratch, p, (size_t)(end - p)) != TG_OK) {
        ps->oom = true;
        return false;
    }
    errno = 0;
    double d = strtod(buf_str(&ps->scratch), NULL);
    if (errno == ERANGE && (d == HUGE_VAL || d == -HUGE_VAL)) {
        fail(ps, p, "real number overflow");
        return false;
    }
    *out = d;
    return true;
}

/* -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)? (RFC 8259 section 6): the
 * number's syntax checked, ps->p moved past it; false on error (recorded). */
static bool number_token(struct parser *ps, bool *is_real)
{
    const char *p = ps->p, *end = ps->end;
    *is_real = false;
    if (*p == '-')
        p++;
    if (p >= end || !is_digit(*p))
        goto bad;
    if (*p == '0' && p + 1 < end && is_digit(p[1]))
        goto bad; /* no leading zeros */
    while (p < end && is_digit(*p))
        p++;
    if (p < end && *p == '.') {
        *is_real = true;
        if (++p >= end || !is_digit(*p))
            goto bad;
        while (p < end && is_digit(*p))
            p++;
    }
    if (p < end && (*p == 'e' || *p == 'E')) {
        *is_real = true;
        if (++p < end && (*p == '+' || *p == '-'))
            p++;
        if (p >= end || !is_digit(*p))
            goto bad;
        while (p < end && is_digit(*p))
            p++;
    }
    ps->p = p;
    return true;
bad:
    fail(ps, p < end ? p : end, "invalid number");
    return false;
}

static json_t *read_number(struct parser *ps)
{
    const char *start = ps->p;
    bool is_real;
    json_int_t i;
    double d;
    json_t *j = NULL;
    if (!number_token(ps, &is_real))
        return NULL;
    if (is_real && real_value(ps, start, ps->p, &d))
        j = json_real(d);
    else if (!is_real && integer_value(ps, start, ps->p, &i))
        j = json_integer(i);
    else
        return NULL;
    ps->oom |= !j;
    return j;
}

/* Does the literal `word` stand at ps->p?  Then move past it. */
static bool literal(struct parser *ps, const char *word)
{
    size_t n = strlen(word);
    if ((size_t)(ps->end - ps->p) < n || memcmp(ps->p, word, n) != 0) {
        fail(ps, ps->p, "invalid token");
        return false;
    }
    ps->p += n;
    return true;
}

/* ---- checking without building: the values of raw members ----------- */

/* The object and array loops (walk_object, walk_array), the start of a
 * value (enter_value) and the checks of strings and numbers are the
 * building readers' own, so an error is reported at the same byte with the
 * same reason; these keep nothing: no values, no unescaped strings, and
 * duplicate keys are not looked for. */

static bool skip_value(struct parser *ps);

static bool skip_string(struct parser *ps)
{
    bool escaped;
    const unsigned char *p = scan_string(ps, NULL, &escaped);
    if (!p)
        return false;
    ps->p = (const char *)p + 1;
    return true;
}

static bool skip_number(struct parser *ps)
{
    const char *start = ps->p;
    bool is_real;
    json_int_t i;
    double d;
    if (!number_token(ps, &is_real))
        return false;
    return is_real ? real_value(ps, start, ps->p, &d)
                   : integer_value(ps, start, ps->p, &i);
}

static bool skip_scalar(struct parser *ps)
{
    switch (*ps->p) {
    case '"':
        return skip_string(ps);
    case 't':
        return literal(ps, "true");
    case 'f':
        return literal(ps, "false");
    case 'n':
        return literal(ps, "null");
    default:
        if (*ps->p == '-' || is_digit(*ps->p))
            return skip_number(ps);
        fail(ps, ps->p, "invalid token");
        return false;
    }
}

/* After a member or an element: ',' (more follow: true, *more) or `close`
 * (the end: true, !*more); anything else is an error (recorded). */
static bool next_item(struct parser *ps, char close, const char *why, bool *more)
{
    skip_ws(ps);
    char c = ps->p < ps->end ? *ps->p : '\0';
    ps->p += c == ',' || c == close;
    *more = c == ',';
    if (c == close || c == ',')
        return true;
    fail(ps, ps->p, why);
    return false;
}

/* The object at ps->p ('{'): each member is read by `member`, which starts
 * at the key's quote; the closing brace is passed over.  The one loop for
 * building and for checking, so both fail at the same byte. */
static bool walk_object(struct parser *ps, bool (*member)(struct parser *, void *),
                        void *ctx)
{
    bool more;
    ps->p++;
    skip_ws(ps);
    if (ps->p < ps->end && *ps->p == '}') {
        ps->p++;
        return true;
    }
    for (;;) {
        if (ps->p >= ps->end || *ps->p != '"') {
            fail(ps, ps->p, "string expected as an object key");
            return false;
        }
        if (!member(ps, ctx) || !next_item(ps, '}', "',' or '}' expected", &more))
            return false;
        if (!more)
            return true;
        skip_ws(ps);
    }
}

/* The array at ps->p ('['), each element read by `element`. */
static bool walk_array(struct parser *ps, bool (*element)(struct parser *, void *),
                       void *ctx)
{
    bool more;
    ps->p++;
    skip_ws(ps);
    if (ps->p < ps->end && *ps->p == ']') {
        ps->p++;
        return true;
    }
    for (;;) {
        if (!element(ps, ctx) || !next_item(ps, ']', "',' or ']' expected", &more))
            return false;
        if (!more)
            return true;
        skip_ws(ps);
    }
}

/* The start of a value at ps->p: white space passed, one more level of
 * depth (the caller leaves it with ps->depth--); false at the depth limit
 * or the end of the input (recorded). */
static bool enter_value(struct parser *ps)
{
    skip_ws(ps);
    if (++ps->depth > MAX_DEPTH)
        fail(ps, ps->p, "maximum parsing depth reached");
    else if (ps->p >= ps->end)
        fail(ps, ps->p, "premature end of input");
    else
        return true;
    return false;
}

static bool skip_member(struct parser *ps, void *unused)
{
    (void)unused;
    if (!skip_string(ps))
        return false;
    skip_ws(ps);
    if (ps->p >= ps->end || *ps->p != ':') {
        fail(ps, ps->p, "':' expected");
        return false;
    }
    ps->p++;
    return skip_value(ps);
}

static bool skip_element(struct parser *ps, void *unused)
{
    (void)unused;
    return skip_value(ps);
}

/* One value at ps->p, checked and passed over; false on error (recorded). */
static bool skip_value(struct parser *ps)
{
    bool ok = enter_value(ps);
    if (ok && *ps->p == '{')
        ok = walk_object(ps, skip_member, NULL);
    else if (ok && *ps->p == '[')
        ok = walk_array(ps, skip_element, NULL);
    else if (ok)
        ok = skip_scalar(ps);
    ps->depth--;
    return ok;
}

/* ---- building ---------------------------------------------------------- */

static json_t *read_value(struct parser *ps);

static size_t raw_bucket(size_t len)
{
    return len < RAW_LONG ? len : RAW_LONG;
}

/* Index opts->raw_keys by length (the parser starts zeroed). */
static void index_raw_keys(struct parser *ps)
{
    const char *const *k = ps->opts ? ps->opts->raw_keys : NULL;
    for (size_t i = 0; k && k[i] && i < RAW_INDEXED; i++) {
        size_t b = raw_bucket(strlen(k[i]));
        ps->raw_next[i] = ps->raw_head[b];
        ps->raw_head[b] = (unsigned char)(i + 1);
        ps->n_raw_indexed = i + 1;
    }
}

static bool is_key(const char *k, const char *key, size_t klen)
{
    return strncmp(k, key, klen) == 0 && k[klen] == '\0';
}

/* Is `key` one whose object or array values are kept raw (opts)?  Only
 * the raw keys of its length are compared: ~70 container members of a
 * review against a list of ~30 keys was ~6% of a decision. */
static bool is_raw_key(const struct parser *ps, const char *key, size_t klen)
{
    if (!ps->opts || !ps->opts->raw_keys)
        return false;
    const char *const *keys = ps->opts->raw_keys;
    for (unsigned i = ps->raw_head[raw_bucket(klen)]; i; i = ps->raw_next[i - 1])
        if (is_key(keys[i - 1], key, klen))
            return true;
    for (const char *const *k = keys + ps->n_raw_indexed; *k; k++)
        if (is_key(*k, key, klen))
            return true;
    return false;
}

/* The object or array at ps->p, checked as any value is but not built:
 * a string holding its JSON text as it is in the input. */
static json_t *read_raw(struct parser *ps)
{
    const char *from = ps->p;
    if (!skip_value(ps))
        return NULL;
    /* valid UTF-8 without NUL bytes: the scan just checked every byte */
    json_t *v = json_stringn_nocheck(from, (size_t)(ps->p - from));
    ps->oom |= !v;
    return v;
}

/* The value of the member whose key (still valid) was just read: raw when
 * it is an object or array under one of opts->raw_keys.  Only containers
 * are looked up: most members are scalars. */
static json_t *member_value(struct parser *ps, const char *key, size_t klen)
{
    skip_ws(ps);
    if (ps->p < ps->end && (*ps->p == '{' || *ps->p == '[') && is_raw_key(ps, key, klen))
        return read_raw(ps);
    return read_value(ps);
}

/* A key (its quote at ps->p), ':' and a value, set into the object `o`. */
static bool read_member(struct parser *ps, void *o)
{
    json_t *obj = o;
    const char *at = ps->p, *key;
    char *copy = NULL;
    size_t klen;
    bool copied, ok = false;
    if (!read_string(ps, &key, &klen, &copied))
        return false;
    if (copied) { /* the value's strings reuse the scratch buffer */
        copy = tg_malloc(klen ? klen : 1);
        if (!copy) {
            ps->oom = true;
            return false;
        }
        memcpy(copy, key, klen);
        key = copy;
    }
    skip_ws(ps);
    json_t *v = NULL;
    if (ps->p < ps->end && *ps->p == ':') {
        ps->p++;
        v = member_value(ps, key, klen);
    } else {
        fail(ps, ps->p, "':' expected");
    }
    size_t before = json_object_size(obj);
    if (v && json_object_setn_new_nocheck(obj, key, klen, v) != 0) /* steals v */
        ps->oom = true;
    else if (v && json_object_size(obj) == before) /* the key replaced another */
        fail(ps, at, "duplicate object key");
    else if (v)
        ok = true;
    tg_free(copy);
    return ok;
}

static bool read_element(struct parser *ps, void *a)
{
    json_t *v = read_value(ps);
    if (v && json_array_append_new(a, v) != 0) /* steals v */
        ps->oom = true;
    return v && !ps->oom;
}

static json_t *read_container(struct parser *ps)
{
    bool is_object = *ps->p == '{';
    json_t *c = is_object ? json_object() : json_array();
    if (!c) {
        ps->oom = true;
        return NULL;
    }
    if (is_object ? walk_object(ps, read_member, c) : walk_array(ps, read_element, c))
        return c;
    json_decref(c);
    return NULL;
}

static json_t *read_scalar(struct parser *ps)
{
    const char *s;
    size_t n;
    bool copied;
    json_t *v;
    switch (*ps->p) {
    case '"':
        if (!read_string(ps, &s, &n, &copied))
            return NULL;
        v = json_stringn_nocheck(s, n); /* UTF-8 checked, no NUL: see above */
        ps->oom |= !v;
        return v;
    case 't':
        return literal(ps, "true") ? json_true() : NULL;
    case 'f':
        return literal(ps, "false") ? json_false() : NULL;
    case 'n':
        return literal(ps, "null") ? json_null() : NULL;
    default:
        if (*ps->p == '-' || is_digit(*ps->p))
            return read_number(ps);
        fail(ps, ps->p, "invalid token");
        return NULL;
    }
}

/* One value at ps->p (after white space). */
static json_t *read_value(struct parser *ps)
{
    json_t *v = NULL;
    if (enter_value(ps))
        v = *ps->p == '{' || *ps->p == '[' ? read_container(ps) : read_scalar(ps);
    ps->depth--;
    return v;
}

/* 1-based line and column (in UTF-8 characters) of `at`. */
static void position(const char *start, const char *at, int *line, int *column)
{
    *line = 1;
    *column = 1;
    for (const char *p = start; p < at; p++) {
        if (*p == '\n') {
            ++*line;
            *column = 1;
        } else if (((unsigned char)*p & 0xC0) != 0x80) {
            ++*column;
        }
    }
}

enum tg_rc jsondec_parse(const char *text, size_t len, const char *source, json_t **out,
                         struct tg_error *err)
{
    return jsondec_parse_opts(text, len, source, NULL, out, err);
}

enum tg_rc jsondec_parse_opts(const char *text, size_t len, const char *source,
                              const struct jsondec_opts *opts, json_t **out,
                              struct tg_error *err)
{
    struct parser ps = {.start = text, .p = text, .end = text + len, .opts = opts};
    json_t *root = NULL;
    buf_init(&ps.scratch, 0);
    index_raw_keys(&ps);
    skip_ws(&ps);
    if (ps.p < ps.end && (*ps.p == '{' || *ps.p == '['))
        root = read_value(&ps);
    else
        fail(&ps, ps.p, "'[' or '{' expected");
    skip_ws(&ps);
    if (root && ps.p != ps.end) {
        fail(&ps, ps.p, "end of input expected");
        json_decref(root);
        root = NULL;
    }
    buf_cleanup(&ps.scratch);
    if (root) {
        *out = root;
        return TG_OK;
    }
    if (ps.oom)
        return tg_error_setf(err, TG_ENOMEM, "out of memory decoding JSON");
    int line, column;
    position(text, ps.err_at, &line, &column);
    return tg_error_set(err, TG_EINVAL, source, line, column, "%s", ps.why);
}
