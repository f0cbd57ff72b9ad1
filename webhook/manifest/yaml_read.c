/* yaml_read.c -- libyaml events to jansson documents.
 *
 * A stack of open collections (one frame per mapping or sequence) is filled
 * as events arrive; a finished value goes into the frame below it, or
 * becomes the document root.  The stack is an array of YAML_READ_MAX_DEPTH
 * frames, so hostile nesting costs neither recursion nor unbounded memory.
 */
#include "yaml_read.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <yaml.h>

#include "alloc.h"
#include "yaml_resolve.h"

#define TAG_PREFIX "tag:yaml.org,2002:"

struct frame {
    json_t *value;  /* the object or array being filled (owned) */
    json_t *merges; /* mappings named by "<<", applied at the end (owned) */
    char *key;      /* the key waiting for its value (owned) */
    size_t key_len;
    int has_key;      /* a key (or "<<") was read; its value comes next */
    int is_merge;     /* ... and that key was "<<" */
    char *anchor;     /* &name on this collection (owned), or NULL */
    yaml_mark_t mark; /* where the collection starts */
    size_t nodes;     /* values inside, for the alias budget */
    int height;       /* levels of collections inside, itself included */
    int *key_lines;   /* line of each key, in the object's order (owned) */
    size_t n_keys;
    size_t keys_alloc;
};

struct anchor {
    json_t *value; /* one reference, released when the document ends */
    size_t nodes;
    int height;
};

/* A finished value on its way into its parent. */
struct node {
    json_t *value; /* one reference, passed on */
    size_t nodes;
    int height;
};

struct reader {
    yaml_parser_t parser;
    const char *data;
    size_t len;
    const char *source;
    struct tg_error *err;
    const struct yaml_read_sink *sink;
    struct frame *frames; /* YAML_READ_MAX_DEPTH of them */
    size_t depth;
    struct anchor *anchors;
    json_t *anchor_index; /* name -> position in anchors[], latest wins (owned) */
    size_t n_anchors;
    size_t anchors_alloc;
    size_t alias_nodes; /* copied by aliases so far, whole input */
    json_t *root;       /* the finished root of the current document */
    yaml_mark_t root_mark;
    int has_root_mark;
};

static enum tg_rc fail_at(struct reader *r, const yaml_mark_t *m, const char *fmt, ...)
    TG_PRINTF(3, 4);

static enum tg_rc fail_at(struct reader *r, const yaml_mark_t *m, const char *fmt, ...)
{
    char text[sizeof(r->err->text)];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof(text), fmt, ap);
    va_end(ap);
    return tg_error_set(r->err, TG_EINVAL, r->source, (int)m->line + 1,
                        (int)m->column + 1, "%s", text);
}

static enum tg_rc no_memory(struct reader *r)
{
    return tg_error_set(r->err, TG_ENOMEM, r->source, 0, 0, "out of memory reading YAML");
}

static void frame_cleanup(struct frame *f)
{
    json_decref(f->value);
    json_decref(f->merges);
    tg_free(f->key);
    tg_free(f->anchor);
    tg_free(f->key_lines);
    memset(f, 0, sizeof(*f));
}

static void anchors_clear(struct reader *r)
{
    for (size_t i = 0; i < r->n_anchors; i++)
        json_decref(r->anchors[i].value);
    r->n_anchors = 0;
    json_object_clear(r->anchor_index);
}

static struct frame *top(struct reader *r)
{
    return r->depth ? &r->frames[r->depth - 1] : NULL;
}

static int wants_key(struct reader *r)
{
    struct frame *f = top(r);
    return f && json_is_object(f->value) && !f->has_key;
}

static void note_root_mark(struct reader *r, const yaml_mark_t *m)
{
    if (r->depth == 0 && !r->has_root_mark) {
        r->root_mark = *m;
        r->has_root_mark = 1;
    }
}

/* `name` may be NULL: nothing to do.  A later anchor of the same name
 * hides an earlier one (YAML allows redefining); the index finds the
 * latest without a scan, so many anchors cost no quadratic time. */
static enum tg_rc add_anchor(struct reader *r, const char *name, const struct node *n)
{
    if (!name)
        return TG_OK;
    if (r->n_anchors == r->anchors_alloc) {
        size_t alloc = r->anchors_alloc ? 2 * r->anchors_alloc : 8;
        struct anchor *a = tg_realloc(r->anchors, alloc * sizeof(*a));
        if (!a)
            return no_memory(r);
        r->anchors = a;
        r->anchors_alloc = alloc;
    }
    struct anchor *a = &r->anchors[r->n_anchors];
    a->value = json_incref(n->value); /* released by anchors_clear */
    a->nodes = n->nodes;
    a->height = n->height;
    if (json_object_set_new(r->anchor_index, name,
                            json_integer((json_int_t)r->n_anchors++)))
        return no_memory(r);
    return TG_OK;
}

static const struct anchor *find_anchor(const struct reader *r, const char *name)
{
    json_t *at = json_object_get(r->anchor_index, name);
    return at ? &r->anchors[json_integer_value(at)] : NULL;
}

/* Takes `v` in every case. */
static enum tg_rc add_merge(struct reader *r, struct frame *f, json_t *v,
                            const yaml_mark_t *m)
{
    enum tg_rc rc = TG_OK;
    size_t i;
    json_t *item;
    if (!json_is_object(v) && !json_is_array(v)) {
        rc = fail_at(r, m,
                     "the merge key '<<' needs a mapping or a list of mappings, "
                     "such as '<<: *defaults'");
        goto out;
    }
    json_array_foreach(json_is_array(v) ? v : NULL, i, item)
    {
        if (!json_is_object(item)) {
            rc = fail_at(r, m,
                         "the merge key '<<' needs a list of mappings, but item %zu "
                         "is not a mapping",
                         i + 1);
            goto out;
        }
    }
    if (!f->merges) {
        f->merges = json_array();
        if (!f->merges) {
            rc = no_memory(r);
            goto out;
        }
    }
    int fail = json_is_object(v) ? json_array_append(f->merges, v)
                                 : json_array_extend(f->merges, v);
    if (fail)
        rc = no_memory(r);
out:
    json_decref(v);
    return rc;
}

/* Keys the mapping sets itself win; among merged mappings the first wins,
 * as the YAML merge-key spec says. */
static enum tg_rc apply_merges(struct reader *r, struct frame *f)
{
    size_t i;
    json_t *src;
    json_array_foreach(f->merges, i, src)
    {
        const char *key;
        size_t key_len;
        json_t *v;
        json_object_keylen_foreach(src, key, key_len, v)
        {
            if (json_object_getn(f->value, key, key_len))
                continue;
            /* The merge sources die with the frame, so `v` is not shared. */
            if (json_object_setn(f->value, key, key_len, v))
                return no_memory(r);
        }
    }
    return TG_OK;
}

/* Put a finished value into the open collection, or make it the root.
 * Takes n->value in every case. */
static enum tg_rc complete(struct reader *r, const struct node *n, const yaml_mark_t *m)
{
    struct frame *f = top(r);
    if (!f) {
        json_decref(r->root); /* libyaml gives one root per document */
        r->root = n->value;
        return TG_OK;
    }
    f->nodes += n->nodes;
    if (n->height + 1 > f->height)
        f->height = n->height + 1;
    if (json_is_array(f->value))
        return json_array_append_new(f->value, n->value) ? no_memory(r) : TG_OK;
    enum tg_rc rc = TG_OK;
    if (f->is_merge)
        rc = add_merge(r, f, n->value, m);
    else if (json_object_setn_new(f->value, f->key, f->key_len, n->value))
        rc = no_memory(r);
    tg_free(f->key);
    f->key = NULL;
    f->has_key = 0;
    f->is_merge = 0;
    return rc;
}

/* The line where `key` was first set: jansson keeps keys in insertion
 * order, the same order as key_lines.  Only called for an error. */
static int first_key_line(const struct frame *f, const char *key, size_t key_len)
{
    size_t i = 0;
    const char *k;
    size_t k_len;
    json_t *v;
    json_object_keylen_foreach(f->value, k, k_len, v)
    {
        if (k_len == key_len && memcmp(k, key, key_len) == 0)
            return i < f->n_keys ? f->key_lines[i] : 0;
        i++;
    }
    return 0;
}

static enum tg_rc note_key_line(struct reader *r, struct frame *f, const yaml_mark_t *m)
{
    if (f->n_keys == f->keys_alloc) {
        size_t alloc = f->keys_alloc ? 2 * f->keys_alloc : 8;
        int *lines = tg_realloc(f->key_lines, alloc * sizeof(*lines));
        if (!lines)
            return no_memory(r);
        f->key_lines = lines;
        f->keys_alloc = alloc;
    }
    f->key_lines[f->n_keys++] = (int)m->line + 1;
    return TG_OK;
}

/* Takes `*key` (owned). */
static enum tg_rc set_key(struct reader *r, char **key, size_t key_len,
                          const yaml_mark_t *m)
{
    struct frame *f = top(r);
    enum tg_rc rc;
    if (json_object_getn(f->value, *key, key_len))
        rc = fail_at(r, m,
                     "duplicate key \"%.100s\" (first at line %d): each key may appear "
                     "only once in a mapping",
                     *key, first_key_line(f, *key, key_len));
    else
        rc = note_key_line(r, f, m);
    if (rc == TG_OK) {
        f->key = *key;
        f->key_len = key_len;
        f->has_key = 1;
    } else {
        tg_free(*key);
    }
    *key = NULL;
    return rc;
}

static char *copy_bytes(const char *s, size_t len)
{
    char *d = tg_malloc(len + 1);
    if (d) {
        memcpy(d, s, len);
        d[len] = '\0';
    }
    return d;
}

/* Go's strconv.FormatFloat(f, 'g', -1, 32), which sigs.k8s.io/yaml uses for
 * float keys: the fewest digits that give the float32 back, %e style when
 * the exponent is below -4 or at least 6. */
static void float_key_text(double d, char *out, size_t size)
{
    if (isnan(d) || isinf(d)) {
        snprintf(out, size, "%s", isnan(d) ? ".nan" : d > 0 ? ".inf" : "-.inf");
        return;
    }
    float f = (float)d;
    int prec = 1;
    for (; prec < 9; prec++) {
        snprintf(out, size, "%.*e", prec - 1, (double)f);
        if (strtof(out, NULL) == f)
            break;
    }
    snprintf(out, size, "%.*e", prec - 1, (double)f);
    const char *e = strchr(out, 'e');
    long exp = e ? strtol(e + 1, NULL, 10) : 0;
    if (exp < -4 || exp >= 6)
        return;
    int decimals = prec - 1 - (int)exp;
    snprintf(out, size, "%.*f", decimals > 0 ? decimals : 0, (double)f);
}

/* The text a JSON object key gets for a non-string YAML key. */
static enum tg_rc key_from_json(struct reader *r, const json_t *v, const yaml_mark_t *m,
                                char **out, size_t *out_len)
{
    char text[64];
    if (json_is_string(v)) {
        *out_len = json_string_length(v);
        *out = copy_bytes(json_string_value(v), *out_len);
        return *out ? TG_OK : no_memory(r);
    }
    if (json_is_integer(v))
        snprintf(text, sizeof(text), "%lld", (long long)json_integer_value(v));
    else if (json_is_real(v))
        float_key_text(json_real_value(v), text, sizeof(text));
    else if (json_is_boolean(v))
        snprintf(text, sizeof(text), "%s", json_is_true(v) ? "true" : "false");
    else if (json_is_null(v))
        return fail_at(r, m,
                       "a mapping key cannot be null (~ or empty); quote it to "
                       "use it as text");
    else
        return fail_at(r, m,
                       "a mapping key must be a scalar (string or number), not a "
                       "%s",
                       json_is_object(v) ? "mapping" : "list");
    *out_len = strlen(text);
    *out = copy_bytes(text, *out_len);
    return *out ? TG_OK : no_memory(r);
}

static enum tg_rc resolve_tagged(struct reader *r, const yaml_event_t *ev,
                                 struct yaml_resolved *res)
{
    const char *tag = (const char *)ev->data.scalar.tag;
    const char *s = (const char *)ev->data.scalar.value;
    size_t len = ev->data.scalar.length;
    const char *name = tag + strlen(TAG_PREFIX);
    if (strcmp(name, "binary") == 0)
        return fail_at(r, &ev->start_mark,
                       "!!binary values are not supported; write "
                       "the base64 text as a plain string");
    yaml_resolve_plain(s, len, res);
    enum yaml_resolved_kind want = YAML_RESOLVED_STR;
    if (strcmp(name, "int") == 0)
        want = YAML_RESOLVED_INT;
    else if (strcmp(name, "float") == 0)
        want = YAML_RESOLVED_FLOAT;
    else if (strcmp(name, "bool") == 0)
        want = YAML_RESOLVED_BOOL;
    else if (strcmp(name, "null") == 0)
        want = YAML_RESOLVED_NULL;
    if (want == YAML_RESOLVED_FLOAT && res->kind == YAML_RESOLVED_INT) {
        res->kind = YAML_RESOLVED_FLOAT; /* !!float 1 is 1.0, as in go-yaml */
        res->real = (double)res->integer;
    }
    if (want == YAML_RESOLVED_STR)
        res->kind = YAML_RESOLVED_STR; /* !!str, !!timestamp and the rest */
    if (res->kind != want)
        return fail_at(r, &ev->start_mark, "cannot read \"%.40s\" as !!%s", s, name);
    return TG_OK;
}

/* Plain untagged scalars are typed; quoted and block scalars are strings;
 * local tags (!foo) and the non-specific "!" leave a string, as go-yaml
 * does for tags it cannot resolve. */
static enum tg_rc resolve_scalar(struct reader *r, const yaml_event_t *ev,
                                 struct yaml_resolved *res)
{
    const char *tag = (const char *)ev->data.scalar.tag;
    memset(res, 0, sizeof(*res));
    res->kind = YAML_RESOLVED_STR;
    if (tag && strncmp(tag, TAG_PREFIX, strlen(TAG_PREFIX)) == 0)
        return resolve_tagged(r, ev, res);
    if (!tag && ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE)
        yaml_resolve_plain((const char *)ev->data.scalar.value, ev->data.scalar.length,
                           res);
    return TG_OK;
}

static enum tg_rc scalar_json(struct reader *r, const yaml_event_t *ev, json_t **out)
{
    struct yaml_resolved res;
    enum tg_rc rc = resolve_scalar(r, ev, &res);
    if (rc != TG_OK)
        return rc;
    switch (res.kind) {
    case YAML_RESOLVED_NULL:
        *out = json_null();
        break;
    case YAML_RESOLVED_BOOL:
        *out = json_boolean(res.boolean);
        break;
    case YAML_RESOLVED_INT:
        *out = json_integer(res.integer);
        break;
    case YAML_RESOLVED_FLOAT:
        if (!isfinite(res.real))
            return fail_at(r, &ev->start_mark,
                           "%s has no JSON form (Kubernetes objects "
                           "are JSON); quote it to keep it as text",
                           (const char *)ev->data.scalar.value);
        *out = json_real(res.real);
        break;
    case YAML_RESOLVED_STR:
    case YAML_RESOLVED_MERGE:
        /* JSON input refuses \u0000 too: both formats give the same strings. */
        if (memchr(ev->data.scalar.value, '\0', ev->data.scalar.length))
            return fail_at(r, &ev->start_mark,
                           "a NUL character (\\0) is not allowed in "
                           "a string");
        *out = json_stringn((const char *)ev->data.scalar.value, ev->data.scalar.length);
        break;
    }
    return *out ? TG_OK : no_memory(r);
}

static enum tg_rc on_key_scalar(struct reader *r, const yaml_event_t *ev)
{
    enum tg_rc rc;
    json_t *v = NULL;
    char *key = NULL;
    size_t key_len = 0;
    if (!ev->data.scalar.tag && ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE &&
        strcmp((const char *)ev->data.scalar.value, "<<") == 0) {
        top(r)->has_key = 1;
        top(r)->is_merge = 1;
        return TG_OK;
    }
    if (ev->data.scalar.anchor)
        return fail_at(r, &ev->start_mark, "anchors on mapping keys are not supported");
    rc = scalar_json(r, ev, &v);
    if (rc != TG_OK)
        goto out;
    rc = key_from_json(r, v, &ev->start_mark, &key, &key_len);
    if (rc != TG_OK)
        goto out;
    rc = set_key(r, &key, key_len, &ev->start_mark);
out:
    json_decref(v);
    return rc;
}

static enum tg_rc on_scalar(struct reader *r, const yaml_event_t *ev)
{
    if (wants_key(r))
        return on_key_scalar(r, ev);
    note_root_mark(r, &ev->start_mark);
    struct node n = {NULL, 1, 0};
    enum tg_rc rc = scalar_json(r, ev, &n.value);
    if (rc == TG_OK)
        rc = add_anchor(r, (const char *)ev->data.scalar.anchor, &n);
    if (rc != TG_OK) {
        json_decref(n.value);
        return rc;
    }
    return complete(r, &n, &ev->start_mark);
}

static enum tg_rc on_alias(struct reader *r, const yaml_event_t *ev)
{
    const char *name = (const char *)ev->data.alias.anchor;
    const struct anchor *a = find_anchor(r, name);
    if (!a)
        return fail_at(r, &ev->start_mark,
                       "unknown alias *%.100s: define the anchor "
                       "&%.100s earlier in the same document",
                       name, name);
    if (wants_key(r)) {
        char *key = NULL;
        size_t key_len = 0;
        enum tg_rc rc = key_from_json(r, a->value, &ev->start_mark, &key, &key_len);
        return rc != TG_OK ? rc : set_key(r, &key, key_len, &ev->start_mark);
    }
    note_root_mark(r, &ev->start_mark);
    if (a->nodes > YAML_READ_MAX_ALIAS_NODES - r->alias_nodes)
        return fail_at(r, &ev->start_mark,
                       "aliases expand to more than %d values "
                       "(a \"billion laughs\" document?); expand them by hand",
                       YAML_READ_MAX_ALIAS_NODES);
    if (r->depth + (size_t)a->height > YAML_READ_MAX_DEPTH)
        return fail_at(r, &ev->start_mark, "alias *%.100s nests deeper than %d levels",
                       name, YAML_READ_MAX_DEPTH);
    r->alias_nodes += a->nodes;
    /* A copy, so that a later fix to one place does not change the others. */
    struct node n = {json_deep_copy(a->value), a->nodes, a->height};
    if (!n.value)
        return no_memory(r);
    return complete(r, &n, &ev->start_mark);
}

static enum tg_rc on_collection_start(struct reader *r, const yaml_event_t *ev,
                                      int is_map)
{
    if (wants_key(r))
        return fail_at(r, &ev->start_mark,
                       "a mapping key must be a scalar (string or "
                       "number), not a %s",
                       is_map ? "mapping" : "list");
    if (r->depth == YAML_READ_MAX_DEPTH)
        return fail_at(r, &ev->start_mark, "nesting deeper than %d levels",
                       YAML_READ_MAX_DEPTH);
    const yaml_char_t *anchor =
        is_map ? ev->data.mapping_start.anchor : ev->data.sequence_start.anchor;
    note_root_mark(r, &ev->start_mark);
    struct frame *f = &r->frames[r->depth];
    f->value = is_map ? json_object() : json_array();
    f->anchor = anchor ? tg_strdup((const char *)anchor) : NULL;
    f->mark = ev->start_mark;
    f->nodes = 1;
    f->height = 1;
    r->depth++; /* the frame is on the stack now, so cleanup frees its parts */
    if (!f->value || (anchor && !f->anchor))
        return no_memory(r);
    return TG_OK;
}

static enum tg_rc on_collection_end(struct reader *r)
{
    struct frame *f = top(r);
    enum tg_rc rc = apply_merges(r, f);
    if (rc != TG_OK)
        return rc;
    struct node n = {f->value, f->nodes, f->height};
    yaml_mark_t mark = f->mark;
    char *anchor = f->anchor;
    f->value = NULL;
    f->anchor = NULL;
    frame_cleanup(f);
    r->depth--;
    rc = add_anchor(r, anchor, &n);
    tg_free(anchor);
    if (rc != TG_OK) {
        json_decref(n.value);
        return rc;
    }
    return complete(r, &n, &mark);
}

static enum tg_rc on_document_end(struct reader *r, const yaml_event_t *ev)
{
    json_t *root = r->root ? r->root : json_null();
    const yaml_mark_t *m = r->has_root_mark ? &r->root_mark : &ev->start_mark;
    r->root = NULL;
    r->has_root_mark = 0;
    anchors_clear(r); /* aliases never reach into another document */
    return r->sink->add(r->sink->ctx, root, (int)m->line + 1, (int)m->column + 1, r->err);
}

static enum tg_rc on_event(struct reader *r, const yaml_event_t *ev)
{
    switch (ev->type) {
    case YAML_SCALAR_EVENT:
        return on_scalar(r, ev);
    case YAML_ALIAS_EVENT:
        return on_alias(r, ev);
    case YAML_MAPPING_START_EVENT:
        return on_collection_start(r, ev, 1);
    case YAML_SEQUENCE_START_EVENT:
        return on_collection_start(r, ev, 0);
    case YAML_MAPPING_END_EVENT:
    case YAML_SEQUENCE_END_EVENT:
        return on_collection_end(r);
    case YAML_DOCUMENT_END_EVENT:
        return on_document_end(r, ev);
    default:
        return TG_OK;
    }
}

/* libyaml's problem and context, told the way a person fixes them. */
static const struct {
    const char *problem; /* libyaml's text (a prefix) */
    const char *context; /* NULL: any */
    const char *says;
    int cite_start; /* 1: say where the construct started; 2: point there */
} problems[] = {
    {"found a tab character", NULL,
     "a tab character is used for indentation; YAML indents with spaces only", 0},
    {"found unexpected end of stream", "while scanning a quoted scalar",
     "unclosed quoted string: the closing quote is missing", 2},
    {"found unexpected document indicator", "while scanning a quoted scalar",
     "unclosed quoted string: the closing quote is missing", 2},
    {"mapping values are not allowed", NULL,
     "unexpected ':' here: check the indentation, or quote a value that contains ': '",
     0},
    {"did not find expected key", "while parsing a block mapping",
     "bad indentation: this line does not line up with the keys of its mapping", 1},
    {"did not find expected '-' indicator", NULL,
     "bad indentation: this line does not line up with the '- ' items of its list", 1},
    {"block sequence entries are not allowed", NULL,
     "a '- ' list item cannot start here: check the indentation", 0},
    {"could not find expected ':'", NULL,
     "a key must be followed by ': ' (a multi-line plain value needs quotes)", 1},
    {"did not find expected node content", NULL, "a value is missing here", 0},
    {"did not find expected ',' or ']'", NULL, "unclosed '[': expected ',' or ']'", 1},
    {"did not find expected ',' or '}'", NULL, "unclosed '{': expected ',' or '}'", 1},
    {"found unknown escape character", NULL,
     "unknown escape in a double-quoted string (write \\\\ for a backslash, or use "
     "single "
     "quotes)",
     0},
    {"found undefined tag handle", NULL, "unknown tag handle (only ! and !! are defined)",
     0},
    {"did not find expected <document start>", NULL,
     "unexpected content after the document: start a new document with '---'", 0},
    {"control characters are not allowed", NULL,
     "control character in the input: YAML allows only printable text", 0},
    {"invalid leading UTF-8 octet", NULL, "the input is not valid UTF-8", 0},
    {"invalid trailing UTF-8 octet", NULL, "the input is not valid UTF-8", 0},
    {"incomplete UTF-8 octet sequence", NULL, "the input is not valid UTF-8", 0},
    {"invalid length of a UTF-8 sequence", NULL, "the input is not valid UTF-8", 0},
    {"invalid Unicode character", NULL, "the input is not valid UTF-8", 0},
};

/* The byte at a libyaml mark (0-based line, column in characters). */
static char byte_at(const struct reader *r, const yaml_mark_t *m)
{
    size_t i = 0;
    for (size_t line = 0; line < m->line && i < r->len; i++) {
        if (r->data[i] == '\n')
            line++;
    }
    for (size_t col = 0; i < r->len; i++) {
        if (((unsigned char)r->data[i] & 0xC0) == 0x80)
            continue; /* a UTF-8 continuation byte is part of the last character */
        if (col++ == m->column)
            return r->data[i];
    }
    return '\0';
}

/* A reader error has only a byte offset; turn it into a mark. */
static yaml_mark_t mark_at_offset(const struct reader *r, size_t offset)
{
    yaml_mark_t m = {0, 0, 0};
    for (size_t i = 0; i < offset && i < r->len; i++) {
        if (r->data[i] == '\n') {
            m.line++;
            m.column = 0;
        } else if (((unsigned char)r->data[i] & 0xC0) != 0x80) {
            m.column++;
        }
    }
    m.index = offset;
    return m;
}

static enum tg_rc parser_error(struct reader *r)
{
    const yaml_parser_t *p = &r->parser;
    if (p->error == YAML_MEMORY_ERROR)
        return no_memory(r);
    const char *problem = p->problem ? p->problem : "unknown error";
    const char *context = p->context ? p->context : "";
    yaml_mark_t m = p->problem_mark;
    if (p->error == YAML_READER_ERROR)
        m = mark_at_offset(r, p->problem_offset);
    const yaml_mark_t *start = &p->context_mark;
    if (strcmp(problem, "found character that cannot start any token") == 0) {
        char c = byte_at(r, &m);
        if (c == '\t')
            return fail_at(r, &m, "%s", problems[0].says);
        return fail_at(r, &m, "'%c' cannot start a value: quote the value", c);
    }
    for (size_t i = 0; i < ARRAY_LEN(problems); i++) {
        if (strncmp(problem, problems[i].problem, strlen(problems[i].problem)) != 0)
            continue;
        if (problems[i].context && strcmp(context, problems[i].context) != 0)
            continue;
        if (!problems[i].cite_start || !p->context)
            return fail_at(r, &m, "%s", problems[i].says);
        if (problems[i].cite_start == 2) /* the fix belongs where it started */
            return fail_at(r, start, "%s", problems[i].says);
        return fail_at(r, &m, "%s (it started at line %d, column %d)", problems[i].says,
                       (int)start->line + 1, (int)start->column + 1);
    }
    return fail_at(r, &m, "YAML syntax error: %s%s%s", problem, p->context ? ", " : "",
                   context);
}

static enum tg_rc read_events(struct reader *r)
{
    for (;;) {
        yaml_event_t ev;
        if (!yaml_parser_parse(&r->parser, &ev))
            return parser_error(r);
        enum tg_rc rc = on_event(r, &ev);
        int done = ev.type == YAML_STREAM_END_EVENT;
        yaml_event_delete(&ev);
        if (rc != TG_OK || done)
            return rc;
    }
}

enum tg_rc yaml_read_docs(const char *data, size_t len, const char *source,
                          const struct yaml_read_sink *sink, struct tg_error *err)
{
    struct reader r;
    memset(&r, 0, sizeof(r));
    r.data = data;
    r.len = len;
    r.source = source;
    r.err = err;
    r.sink = sink;
    enum tg_rc rc;
    r.frames = tg_calloc(YAML_READ_MAX_DEPTH, sizeof(*r.frames));
    r.anchor_index = json_object();
    if (!r.frames || !r.anchor_index || !yaml_parser_initialize(&r.parser)) {
        tg_free(r.frames);
        json_decref(r.anchor_index);
        return no_memory(&r);
    }
    yaml_parser_set_input_string(&r.parser, (const unsigned char *)data, len);
    rc = read_events(&r);
    for (size_t i = 0; i < r.depth; i++)
        frame_cleanup(&r.frames[i]);
    anchors_clear(&r);
    tg_free(r.anchors);
    json_decref(r.anchor_index);
    tg_free(r.frames);
    json_decref(r.root);
    yaml_parser_delete(&r.parser);
    return rc;
}
