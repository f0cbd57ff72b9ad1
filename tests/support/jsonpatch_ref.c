/* jsonpatch_ref.c -- RFC 6902 by recursive descent, for cross-checking. */
#include "jsonpatch_ref.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Decode the token at *p (after the '/') into tok; advance *p. */
static int next_token(const char **p, char *tok, size_t cap)
{
    size_t n = 0;
    const char *s = *p;
    while (*s && *s != '/') {
        char c = *s++;
        if (c == '~') {
            if (*s == '0')
                c = '~';
            else if (*s == '1')
                c = '/';
            else
                return -1;
            s++;
        }
        if (n + 1 >= cap)
            return -1;
        tok[n++] = c;
    }
    tok[n] = '\0';
    *p = s;
    return 0;
}

static int array_index(const char *tok, size_t size, int allow_end, size_t *out)
{
    if (allow_end && strcmp(tok, "-") == 0) {
        *out = size;
        return 0;
    }
    if (!tok[0] || (tok[0] == '0' && tok[1]))
        return -1;
    for (const char *c = tok; *c; c++) {
        if (!isdigit((unsigned char)*c))
            return -1;
    }
    *out = strtoul(tok, NULL, 10);
    return (*out < size || (allow_end && *out == size)) ? 0 : -1;
}

/* Act on the last token of `path` below `node`. */
static int act(json_t *node, const char *path, const char *op, json_t *value, char *why)
{
    char tok[1024];
    const char *rest = path + 1;
    if (*path != '/' || next_token(&rest, tok, sizeof(tok)) != 0) {
        snprintf(why, 256, "bad pointer at %s", path);
        return -1;
    }
    if (*rest) { /* descend */
        json_t *child = json_is_object(node) ? json_object_get(node, tok) : NULL;
        size_t i;
        if (json_is_array(node) && array_index(tok, json_array_size(node), 0, &i) == 0)
            child = json_array_get(node, i);
        if (!child) {
            snprintf(why, 256, "%s: parent \"%.100s\" does not exist", op, tok);
            return -1;
        }
        return act(child, rest, op, value, why);
    }
    if (json_is_object(node)) {
        json_t *cur = json_object_get(node, tok);
        if (strcmp(op, "add") == 0)
            return json_object_set(node, tok, value);
        if (!cur) {
            snprintf(why, 256, "%s: member \"%.100s\" does not exist", op, tok);
            return -1;
        }
        if (strcmp(op, "replace") == 0)
            return json_object_set(node, tok, value);
        if (strcmp(op, "remove") == 0)
            return json_object_del(node, tok);
        if (json_equal(cur, value))
            return 0;
        snprintf(why, 256, "test failed at \"%.100s\"", tok);
        return -1;
    }
    size_t i;
    if (!json_is_array(node) ||
        array_index(tok, json_array_size(node), strcmp(op, "add") == 0, &i) != 0) {
        snprintf(why, 256, "%s: bad target \"%.100s\"", op, tok);
        return -1;
    }
    if (strcmp(op, "add") == 0)
        return json_array_insert(node, i, value);
    if (strcmp(op, "replace") == 0)
        return json_array_set(node, i, value);
    if (strcmp(op, "remove") == 0)
        return json_array_remove(node, i);
    return json_equal(json_array_get(node, i), value) ? 0 : -1;
}

int jsonpatch_ref_apply(json_t *doc, const json_t *patch, char *why)
{
    if (!json_is_array(patch)) {
        snprintf(why, 256, "patch is not an array");
        return -1;
    }
    for (size_t i = 0; i < json_array_size(patch); i++) {
        const json_t *o = json_array_get(patch, i);
        const char *op = json_string_value(json_object_get(o, "op"));
        const char *path = json_string_value(json_object_get(o, "path"));
        json_t *value = json_object_get(o, "value");
        if (!op || !path || (strcmp(op, "remove") != 0 && !value)) {
            snprintf(why, 256, "operation %zu is incomplete", i);
            return -1;
        }
        if (strcmp(op, "add") && strcmp(op, "replace") && strcmp(op, "remove") &&
            strcmp(op, "test")) {
            snprintf(why, 256, "operation %zu: unsupported op %s", i, op);
            return -1;
        }
        if (!path[0]) {
            snprintf(why, 256, "operation %zu: whole-document ops are not used", i);
            return -1;
        }
        if (act(doc, path, op, value, why) != 0)
            return -1;
    }
    return 0;
}
