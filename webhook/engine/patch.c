/* patch.c -- the JSON Patch builder. */
#include "patch.h"

#include <stdlib.h>
#include <string.h>

#include "jptr.h"

#define MAX_DEPTH 32

struct tokens {
    char text[2048]; /* unescaped tokens, NUL-separated */
    const char *tok[MAX_DEPTH];
    size_t n;
};

/* Split "/a/b~1c" into "a", "b/c"; -1 if malformed or too deep/long. */
static int split_pointer(const char *pointer, struct tokens *t)
{
    size_t w = 0;
    t->n = 0;
    if (pointer[0] != '/')
        return -1;
    for (const char *p = pointer; *p;) {
        if (t->n == MAX_DEPTH)
            return -1;
        t->tok[t->n++] = &t->text[w];
        for (p++; *p && *p != '/'; p++) {
            char c = *p;
            if (c == '~') {
                if (p[1] != '0' && p[1] != '1')
                    return -1;
                c = *++p == '0' ? '~' : '/';
            }
            if (w + 2 >= sizeof(t->text))
                return -1;
            t->text[w++] = c;
        }
        t->text[w++] = '\0';
    }
    return 0;
}

/* Set `value` (stolen) as member `token` of `parent` in the working copy. */
static int place(json_t *parent, const char *token, json_t *value)
{
    if (json_is_object(parent))
        return json_object_set_new(parent, token, value);
    unsigned long i = strtoul(token, NULL, 10);  /* checked by jptr_step() already */
    return json_array_set_new(parent, i, value); /* decrefs value on failure */
}

/* The pointer of the first `depth` tokens of `pointer`. */
static json_t *prefix_string(const char *pointer, size_t depth)
{
    const char *p = pointer;
    for (size_t i = 0; i < depth && *p; i++) {
        const char *slash = strchr(p + 1, '/');
        p = slash ? slash : p + strlen(p);
    }
    return json_stringn(pointer, (size_t)(p - pointer));
}

/* {"t[k+1]": {"...": value}}: the value wrapped in the missing parents. */
static json_t *wrap(const struct tokens *t, size_t from, json_t *value)
{
    for (size_t i = t->n - 1; i > from && value; i--) {
        json_t *o = json_object();
        if (!o) {
            json_decref(value);
            return NULL;
        }
        if (json_object_set_new(o, t->tok[i], value) != 0) { /* released value */
            json_decref(o);
            return NULL;
        }
        value = o;
    }
    return value;
}

/* The operation gets its own copy of the value: later fixes change the
 * working copy, and must not change what an earlier operation says.
 * Steals `path`, on failure too.  Built with the _new setters, which
 * release what they are given even when they fail (json_pack's "o" leaked
 * the path and the copy when an allocation failed: check_admission's
 * allocation rows on the mutate endpoint). */
static enum tg_rc add_op(json_t *ops, const char *op, json_t *path, const json_t *value)
{
    json_t *o = json_object();
    if (!o) {
        json_decref(path);
        return TG_ENOMEM;
    }
    int failed = json_object_set_new(o, "op", json_string(op));
    failed |= json_object_set_new(o, "path", path);
    failed |= json_object_set_new(o, "value", json_deep_copy(value));
    if (failed) {
        json_decref(o);
        return TG_ENOMEM;
    }
    return json_array_append_new(ops, o) == 0 ? TG_OK : TG_ENOMEM;
}

/* One fix against the working copy; *ok false when a parent is a scalar. */
static enum tg_rc apply_fix(json_t *work, const struct fix *f, json_t *ops, bool *ok)
{
    struct tokens t;
    *ok = false;
    if (split_pointer(f->pointer, &t) != 0 || t.n == 0)
        return TG_OK;
    json_t *parent = work;
    size_t depth = 0;
    for (; depth + 1 < t.n; depth++) {
        json_t *next = jptr_step(parent, t.tok[depth]);
        if (!next || json_is_null(next))
            break;
        parent = next;
    }
    json_t *existing = depth + 1 == t.n ? jptr_step(parent, t.tok[depth]) : NULL;
    /* In a list only an existing element can be replaced: a new member
     * there would be a path the API server cannot apply. */
    if (!json_is_object(parent) && !(json_is_array(parent) && existing))
        return TG_OK;
    *ok = true;
    if (existing && json_equal(existing, f->value))
        return TG_OK; /* already right: applying twice changes nothing */
    json_t *value = wrap(&t, depth, json_deep_copy(f->value));
    if (!value)
        return TG_ENOMEM;
    const char *op = existing || (depth + 1 < t.n && jptr_step(parent, t.tok[depth]))
                         ? "replace"
                         : "add";
    enum tg_rc rc = add_op(ops, op, prefix_string(f->pointer, depth + 1), value);
    if (rc == TG_OK && place(parent, t.tok[depth], json_incref(value)) != 0)
        rc = TG_ENOMEM;
    json_decref(value);
    return rc;
}

enum tg_rc patch_build(const json_t *object, const struct fix *const *fixes, size_t n,
                       bool *applied, struct patch_result *out)
{
    enum tg_rc rc = TG_OK;
    struct patch_result r = {.ops = json_array(), .patched = json_deep_copy(object)};
    if (!r.ops || !r.patched) {
        rc = TG_ENOMEM;
        goto out;
    }
    for (size_t i = 0; i < n; i++) {
        bool ok;
        rc = apply_fix(r.patched, fixes[i], r.ops, &ok);
        if (rc != TG_OK)
            goto out;
        if (applied)
            applied[i] = ok;
        ok ? r.n_applied++ : r.n_skipped++;
    }
    *out = r;
    return TG_OK;
out:
    patch_result_cleanup(&r);
    return rc;
}

void patch_result_cleanup(struct patch_result *r)
{
    if (!r)
        return;
    json_decref(r->ops);
    json_decref(r->patched);
    r->ops = NULL;
    r->patched = NULL;
}
