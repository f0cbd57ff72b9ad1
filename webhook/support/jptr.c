/* jptr.c -- building, resolving and splitting RFC 6901 JSON Pointers. */
#include "jptr.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "decimal.h"

char *jptr_child(struct arena *a, const char *base, const char *token)
{
    size_t blen = strlen(base);
    char *s = arena_alloc(a, blen + 2 * strlen(token) + 2); /* worst case: all escaped */
    if (!s)
        return NULL;
    memcpy(s, base, blen);
    char *w = s + blen;
    *w++ = '/';
    for (const char *p = token; *p; p++) {
        if (*p == '~' || *p == '/')
            *w++ = '~';
        *w++ = (*p == '~') ? '0' : (*p == '/') ? '1' : *p;
    }
    *w = '\0';
    return s;
}

char *jptr_index(struct arena *a, const char *base, size_t index)
{
    /* not arena_printf: one per container per review, and vsnprintf twice
     * over was ~2% of a typical decision */
    char digits[DECIMAL_MAX_DIGITS];
    size_t n = decimal_format(digits, index, 1);
    size_t blen = strlen(base);
    char *s = arena_alloc(a, blen + 1 + n + 1);
    if (!s)
        return NULL;
    memcpy(s, base, blen);
    s[blen] = '/';
    memcpy(s + blen + 1, digits, n);
    s[blen + 1 + n] = '\0';
    return s;
}

/* Unescape one token of `len` bytes into `out`; -1 on a bad escape or
 * when it does not fit. */
static int unescape_token(const char *tok, size_t len, char *out, size_t out_len)
{
    size_t w = 0;
    for (size_t i = 0; i < len; i++) {
        char c = tok[i];
        if (c == '~') {
            if (i + 1 >= len || (tok[i + 1] != '0' && tok[i + 1] != '1'))
                return -1;
            c = tok[++i] == '0' ? '~' : '/';
        }
        if (w + 1 >= out_len)
            return -1;
        out[w++] = c;
    }
    out[w] = '\0';
    return 0;
}

/* jansson's getters take const containers and hand back mutable children,
 * so one step serves both the const and the mutable lookup. */
json_t *jptr_step(const json_t *cur, const char *token)
{
    if (json_is_object(cur))
        return json_object_get(cur, token);
    /* RFC 6901 indexes are "0" or digits without a leading zero; strtoul
     * alone would also take "01", "+1" and " 1", which the API server's
     * applier refuses. */
    if (!json_is_array(cur) || !isdigit((unsigned char)token[0]) ||
        (token[0] == '0' && token[1]))
        return NULL;
    char *end;
    errno = 0;
    unsigned long idx = strtoul(token, &end, 10);
    return errno || *end ? NULL : json_array_get(cur, idx);
}

/* Walk a non-empty pointer ("/a/b") below `root`. */
static json_t *walk(const json_t *root, const char *pointer)
{
    if (pointer[0] != '/')
        return NULL;
    const char *p = pointer + 1;
    char token[1024];
    const json_t *cur = root;
    for (;;) {
        const char *slash = strchr(p, '/');
        size_t len = slash ? (size_t)(slash - p) : strlen(p);
        if (unescape_token(p, len, token, sizeof(token)) != 0)
            return NULL;
        json_t *next = jptr_step(cur, token);
        if (!next || !slash)
            return next;
        cur = next;
        p = slash + 1;
    }
}

const json_t *jptr_get(const json_t *root, const char *pointer)
{
    return pointer[0] ? walk(root, pointer) : root;
}

json_t *jptr_get_mut(json_t *root, const char *pointer)
{
    return pointer[0] ? walk(root, pointer) : root;
}

int jptr_split(const char *pointer, char *parent, size_t parent_len, char *token,
               size_t token_len)
{
    const char *last = strrchr(pointer, '/');
    if (!last)
        return -1;
    size_t plen = (size_t)(last - pointer);
    if (plen + 1 > parent_len)
        return -1;
    memcpy(parent, pointer, plen);
    parent[plen] = '\0';
    return unescape_token(last + 1, strlen(last + 1), token, token_len);
}
