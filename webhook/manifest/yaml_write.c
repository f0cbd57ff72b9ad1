/* yaml_write.c -- block-style YAML from jansson values. */
#include "yaml_write.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "yaml_read.h"
#include "yaml_resolve.h"

/* libyaml reads at most 1024 characters of a simple key before its ':';
 * longer keys (after quoting, up to 6 bytes per byte) use the explicit
 * "? key" form. */
#define SIMPLE_KEY_MAX_BYTES 150

/* Every append goes through put(); the first failure sticks in rc and
 * makes the rest no-ops, so the walk needs no check per line. */
struct writer {
    struct buf *out;
    enum tg_rc rc;
};

static void put(struct writer *w, const char *s, size_t len)
{
    if (w->rc == TG_OK)
        w->rc = buf_append(w->out, s, len);
}

static void put_str(struct writer *w, const char *s)
{
    put(w, s, strlen(s));
}

static void pad(struct writer *w, int n)
{
    static const char spaces[] = "                ";
    while (n > 0) {
        int k = n > 16 ? 16 : n;
        put(w, spaces, (size_t)k);
        n -= k;
    }
}

/* Decode one character of valid UTF-8 (jansson guarantees validity). */
static size_t utf8_next(const char *s, size_t left, unsigned long *cp)
{
    const unsigned char *u = (const unsigned char *)s;
    size_t n = u[0] < 0x80 ? 1 : u[0] < 0xE0 ? 2 : u[0] < 0xF0 ? 3 : 4;
    if (n > left)
        n = left;
    unsigned long c = n == 1 ? u[0] : u[0] & (0x7F >> n);
    for (size_t i = 1; i < n; i++)
        c = (c << 6) | (u[i] & 0x3F);
    *cp = c;
    return n;
}

/* Characters a plain or literal scalar may hold as they are: YAML 1.1's
 * printable set minus tab, CR and the characters YAML 1.1 counts as line
 * breaks (U+0085, U+2028, U+2029) or that look like a BOM. */
static int is_safe_char(unsigned long c)
{
    if (c >= 0x20 && c <= 0x7E)
        return 1;
    if (c == 0x85 || c == 0x2028 || c == 0x2029 || c == 0xFEFF)
        return 0;
    return (c >= 0xA0 && c <= 0xD7FF) || (c >= 0xE000 && c <= 0xFFFD) ||
           (c >= 0x10000 && c <= 0x10FFFF);
}

static int all_safe(const char *s, size_t len, int allow_newline)
{
    for (size_t i = 0; i < len;) {
        unsigned long c;
        i += utf8_next(s + i, len - i, &c);
        if (!is_safe_char(c) && !(allow_newline && c == '\n'))
            return 0;
    }
    return 1;
}

/* Whether `s` can be written plain and read back as the same string. */
static int plain_ok(const char *s, size_t len)
{
    if (len == 0 || !all_safe(s, len, 0))
        return 0;
    struct yaml_resolved res;
    yaml_resolve_plain(s, len, &res);
    if (res.kind != YAML_RESOLVED_STR)
        return 0; /* "true", "1000", "null", "0x1F", "<<", ... */
    if (strchr("-?:,[]{}#&*!|>'\"%@`", s[0]) || s[0] == ' ')
        return 0; /* indicators that start something else */
    if (s[len - 1] == ' ' || s[len - 1] == ':')
        return 0;
    if (len >= 3 && memcmp(s, "...", 3) == 0)
        return 0; /* the document end marker */
    for (size_t i = 0; i + 1 < len; i++) {
        if ((s[i] == ':' && s[i + 1] == ' ') || (s[i] == ' ' && s[i + 1] == '#'))
            return 0; /* a key separator, or a comment */
    }
    return 1;
}

/* A literal block reads back exactly when every character is safe, the
 * first line does not start with a space (the indentation is taken from
 * it) and no line is only spaces (YAML may count those as indentation). */
static int block_ok(const char *s, size_t len)
{
    if (!memchr(s, '\n', len) || s[0] == '\n' || s[0] == ' ' || !all_safe(s, len, 1))
        return 0;
    for (size_t i = 0; i < len; i++) {
        if (i > 0 && s[i - 1] != '\n')
            continue;
        size_t j = i;
        while (j < len && s[j] == ' ')
            j++;
        if (j > i && (j == len || s[j] == '\n'))
            return 0;
    }
    return 1;
}

static void write_block(struct writer *w, const char *s, size_t len, int indent)
{
    size_t trail = 0;
    while (trail < len && s[len - 1 - trail] == '\n')
        trail++;
    put_str(w, trail == 0 ? "|-\n" : trail == 1 ? "|\n" : "|+\n");
    size_t end = len - trail;
    for (size_t i = 0; i < end;) {
        const char *nl = memchr(s + i, '\n', end - i);
        size_t line = nl ? (size_t)(nl - (s + i)) : end - i;
        if (line) {
            pad(w, indent);
            put(w, s + i, line);
        }
        put(w, "\n", 1);
        i += line + 1;
    }
    for (size_t i = 1; i < trail; i++)
        put(w, "\n", 1); /* "|+" keeps these */
}

static void write_quoted(struct writer *w, const char *s, size_t len)
{
    put(w, "\"", 1);
    size_t run = 0; /* start of the bytes not yet written */
    for (size_t i = 0; i < len;) {
        unsigned long c;
        size_t n = utf8_next(s + i, len - i, &c);
        char esc[16] = "";
        if (c == '"' || c == '\\')
            snprintf(esc, sizeof(esc), "\\%c", (char)c);
        else if (c == '\n')
            snprintf(esc, sizeof(esc), "\\n");
        else if (c == '\t')
            snprintf(esc, sizeof(esc), "\\t");
        else if (c < 0x20 || c == 0x7F)
            snprintf(esc, sizeof(esc), "\\x%02X", (unsigned)c);
        else if (!is_safe_char(c))
            snprintf(esc, sizeof(esc), "\\u%04X", (unsigned)c);
        if (esc[0]) {
            put(w, s + run, i - run);
            put_str(w, esc);
            run = i + n;
        }
        i += n;
    }
    put(w, s + run, len - run);
    put(w, "\"", 1);
}

static void write_real(struct writer *w, double d)
{
    char text[40];
    for (int prec = 1; prec <= 17; prec++) {
        snprintf(text, sizeof(text), "%.*g", prec, d);
        if (strtod(text, NULL) == d)
            break; /* the shortest text that gives d back */
    }
    put_str(w, text);
    struct yaml_resolved res;
    yaml_resolve_plain(text, strlen(text), &res);
    if (res.kind != YAML_RESOLVED_FLOAT)
        put_str(w, ".0"); /* "1" would read back as an integer */
}

/* A scalar (or an empty collection) and the end of its line; a literal
 * block's lines are indented to `indent`. */
static void write_scalar(struct writer *w, json_t *v, int indent)
{
    char text[32];
    switch (json_typeof(v)) {
    case JSON_OBJECT:
        put_str(w, "{}");
        break;
    case JSON_ARRAY:
        put_str(w, "[]");
        break;
    case JSON_STRING: {
        const char *s = json_string_value(v);
        size_t len = json_string_length(v);
        if (plain_ok(s, len))
            put(w, s, len);
        else if (block_ok(s, len)) {
            write_block(w, s, len, indent);
            return;
        } else
            write_quoted(w, s, len);
        break;
    }
    case JSON_INTEGER:
        snprintf(text, sizeof(text), "%" JSON_INTEGER_FORMAT, json_integer_value(v));
        put_str(w, text);
        break;
    case JSON_REAL:
        write_real(w, json_real_value(v));
        break;
    case JSON_TRUE:
        put_str(w, "true");
        break;
    case JSON_FALSE:
        put_str(w, "false");
        break;
    case JSON_NULL:
        put_str(w, "null");
        break;
    }
    put(w, "\n", 1);
}

static void write_key(struct writer *w, const char *key, size_t len, int indent)
{
    int explicit_key = len > SIMPLE_KEY_MAX_BYTES;
    if (explicit_key)
        put_str(w, "? ");
    if (plain_ok(key, len))
        put(w, key, len);
    else
        write_quoted(w, key, len);
    if (explicit_key) {
        put(w, "\n", 1);
        pad(w, indent);
    }
}

static void write_sequence(struct writer *w, json_t *arr, int indent, int inline_first,
                           int depth);

static int too_deep(struct writer *w, int depth)
{
    if (depth <= YAML_READ_MAX_DEPTH)
        return 0;
    if (w->rc == TG_OK)
        w->rc = TG_EINVAL;
    return 1;
}

/* The keys of `obj` at column `indent`; with inline_first the first key
 * goes where the cursor is (after "- "). */
static void write_mapping(struct writer *w, json_t *obj, int indent, int inline_first,
                          int depth)
{
    const char *key;
    size_t key_len;
    json_t *v;
    int first = 1;
    if (too_deep(w, depth))
        return;
    json_object_keylen_foreach(obj, key, key_len, v)
    {
        if (!first || !inline_first)
            pad(w, indent);
        first = 0;
        write_key(w, key, key_len, indent);
        if (json_is_object(v) && json_object_size(v)) {
            put_str(w, ":\n");
            write_mapping(w, v, indent + 2, 0, depth + 1);
        } else if (json_is_array(v) && json_array_size(v)) {
            put_str(w, ":\n"); /* kubectl's style: items line up with the key */
            write_sequence(w, v, indent, 0, depth + 1);
        } else {
            put_str(w, ": ");
            write_scalar(w, v, indent + 2);
        }
    }
}

static void write_sequence(struct writer *w, json_t *arr, int indent, int inline_first,
                           int depth)
{
    size_t i;
    json_t *v;
    if (too_deep(w, depth))
        return;
    json_array_foreach(arr, i, v)
    {
        if (i > 0 || !inline_first)
            pad(w, indent);
        put_str(w, "- ");
        if (json_is_object(v) && json_object_size(v))
            write_mapping(w, v, indent + 2, 1, depth + 1);
        else if (json_is_array(v) && json_array_size(v))
            write_sequence(w, v, indent + 2, 1, depth + 1);
        else
            write_scalar(w, v, indent + 2);
    }
}

enum tg_rc yaml_write_doc(json_t *doc, struct buf *out, struct tg_error *err)
{
    struct writer w = {out, TG_OK};
    if (!json_is_object(doc))
        return tg_error_setf(err, TG_EINVAL,
                             "only JSON objects can be written as YAML "
                             "documents");
    if (json_object_size(doc) == 0)
        put_str(&w, "{}\n");
    else
        write_mapping(&w, doc, 0, 0, 1);
    if (w.rc == TG_EINVAL)
        return tg_error_setf(err, w.rc, "the object nests deeper than %d levels",
                             YAML_READ_MAX_DEPTH);
    if (w.rc != TG_OK)
        return tg_error_setf(err, w.rc, "cannot write YAML: %s", tg_rc_str(w.rc));
    return TG_OK;
}
