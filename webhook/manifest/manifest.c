/* manifest.c -- manifests in (JSON or YAML, one or many, Lists flattened)
 * and out (YAML or JSON).
 *
 * JSON and YAML readers both hand whole documents to add_doc(), which
 * skips empty ones, refuses non-objects and flattens *List kinds, so the
 * two formats obey the same rules.
 */
#include "manifest.h"

#include <stdbool.h>
#include <string.h>

#include "alloc.h"
#include "yaml_read.h"
#include "yaml_write.h"

struct loader {
    struct manifest_set set; /* built here, moved to the caller on success */
    size_t alloc;
    size_t n_seen; /* documents read, empty ones included, for messages */
    const char *source;
};

static const char *type_name(const json_t *v)
{
    switch (json_typeof(v)) {
    case JSON_OBJECT:
        return "a mapping";
    case JSON_ARRAY:
        return "a list";
    case JSON_STRING:
        return "a string";
    case JSON_INTEGER:
    case JSON_REAL:
        return "a number";
    case JSON_TRUE:
    case JSON_FALSE:
        return "a boolean";
    case JSON_NULL:
        break;
    }
    return "null";
}

/* Borrows `obj`: the set takes its own reference. */
static enum tg_rc push_doc(struct loader *ld, json_t *obj, int line)
{
    if (ld->set.n == ld->alloc) {
        size_t alloc = ld->alloc ? 2 * ld->alloc : 8;
        struct manifest_doc *docs = tg_realloc(ld->set.docs, alloc * sizeof(*docs));
        if (!docs)
            return TG_ENOMEM;
        ld->set.docs = docs;
        ld->alloc = alloc;
    }
    ld->set.docs[ld->set.n].object = json_incref(obj); /* released by set cleanup */
    ld->set.docs[ld->set.n].line = line;
    ld->set.n++;
    return TG_OK;
}

/* kubectl's `get -o yaml|json` wraps objects in kind List (or PodList, ...)
 * with an items array; anything else ending in "List" keeps its shape. */
static json_t *list_items(const json_t *obj)
{
    const char *kind = json_string_value(json_object_get(obj, "kind"));
    json_t *items = json_object_get(obj, "items");
    size_t len = kind ? strlen(kind) : 0;
    if (len < 4 || strcmp(kind + len - 4, "List") != 0 || !json_is_array(items))
        return NULL;
    return items;
}

/* Items of a typed list straight from the API server (PodList,
 * DeploymentList) carry no kind or apiVersion: the list's name for them
 * says what they are, as the API server's own decoding knows. */
static enum tg_rc fill_item_type(json_t *item, const json_t *list)
{
    const char *kind = json_string_value(json_object_get(list, "kind"));
    json_t *api_version = json_object_get(list, "apiVersion");
    size_t len = strlen(kind) - 4; /* without "List" */
    if (len > 0 && !json_object_get(item, "kind") &&
        json_object_set_new(item, "kind", json_stringn(kind, len)) != 0)
        return TG_ENOMEM;
    if (len > 0 && json_is_string(api_version) && !json_object_get(item, "apiVersion") &&
        json_object_set(item, "apiVersion", api_version) != 0)
        return TG_ENOMEM;
    return TG_OK;
}

static enum tg_rc add_items(struct loader *ld, const json_t *list, json_t *items,
                            int line, struct tg_error *err)
{
    size_t i;
    json_t *item;
    json_array_foreach(items, i, item)
    {
        if (!json_is_object(item))
            return tg_error_set(err, TG_EINVAL, ld->source, line, 0,
                                "items[%zu] of this %s is %s, not a Kubernetes object", i,
                                json_string_value(json_object_get(list, "kind")),
                                type_name(item));
    }
    json_array_foreach(items, i, item)
    {
        if (fill_item_type(item, list) != TG_OK || push_doc(ld, item, line) != TG_OK)
            return tg_error_set(err, TG_ENOMEM, ld->source, 0, 0, "out of memory");
    }
    return TG_OK;
}

/* The sink of both readers; takes `root`. */
static enum tg_rc add_doc(void *ctx, json_t *root, int line, int column,
                          struct tg_error *err)
{
    struct loader *ld = ctx;
    enum tg_rc rc = TG_OK;
    ld->n_seen++;
    if (json_is_null(root))
        goto out; /* an empty document, as between "---" lines */
    if (!json_is_object(root)) {
        rc = tg_error_set(err, TG_EINVAL, ld->source, line, column,
                          "document %zu is %s, not a Kubernetes object (a mapping with "
                          "apiVersion and kind)",
                          ld->n_seen, type_name(root));
        goto out;
    }
    json_t *items = list_items(root);
    if (items)
        rc = add_items(ld, root, items, line, err);
    else if (push_doc(ld, root, line) != TG_OK)
        rc = tg_error_set(err, TG_ENOMEM, ld->source, 0, 0, "out of memory");
out:
    json_decref(root);
    return rc;
}

static int is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* Advance the 1-based line and column (in characters) from data[from] to
 * data[to]. */
static void track(const char *data, size_t from, size_t to, int *line, int *col)
{
    for (size_t i = from; i < to; i++) {
        if (data[i] == '\n') {
            (*line)++;
            *col = 1;
        } else if (((unsigned char)data[i] & 0xC0) != 0x80) {
            (*col)++;
        }
    }
}

/* jansson has its own depth limit (2048), deeper than ours, and its values
 * do not remember positions: count brackets first so that too deep a
 * document is refused with the place where it goes too deep. */
static enum tg_rc check_json_depth(const char *data, size_t len, const char *source,
                                   struct tg_error *err)
{
    int depth = 0;
    int in_string = 0;
    for (size_t i = 0; i < len; i++) {
        char c = data[i];
        if (in_string) {
            if (c == '\\')
                i++;
            else if (c == '"')
                in_string = 0;
        } else if (c == '"') {
            in_string = 1;
        } else if (c == '{' || c == '[') {
            if (++depth <= MANIFEST_MAX_DEPTH)
                continue;
            int line = 1, col = 1;
            track(data, 0, i, &line, &col);
            return tg_error_set(err, TG_EINVAL, source, line, col,
                                "nesting deeper than %d levels", MANIFEST_MAX_DEPTH);
        } else if (c == '}' || c == ']') {
            depth--;
        }
    }
    return TG_OK;
}

/* jansson reports some failed allocations (a key, a string buffer) as
 * syntax errors, or with no text at all.  If memory is short right now,
 * that is the likelier story. */
static int jansson_out_of_memory(const json_error_t *jerr)
{
    if (json_error_code(jerr) == json_error_out_of_memory || !jerr->text[0])
        return 1;
    void *probe = tg_malloc(64);
    int short_of_memory = probe == NULL;
    tg_free(probe);
    return short_of_memory;
}

/* One JSON value after another ("kubectl get -o json" output concatenated,
 * or a JSON stream): jansson stops after each value and says where. */
static enum tg_rc load_json(struct loader *ld, const char *data, size_t len,
                            struct tg_error *err)
{
    enum tg_rc rc = check_json_depth(data, len, ld->source, err);
    size_t pos = 0;
    int line = 1, col = 1;
    while (rc == TG_OK) {
        size_t start = pos;
        while (pos < len && is_space(data[pos]))
            pos++;
        track(data, start, pos, &line, &col);
        if (pos == len)
            break;
        json_error_t jerr;
        memset(&jerr, 0,
               sizeof(jerr)); /* jansson leaves it unset when OOM strikes early */
        json_t *v = json_loadb(data + pos, len - pos,
                               JSON_DISABLE_EOF_CHECK | JSON_REJECT_DUPLICATES, &jerr);
        if (!v) {
            if (jansson_out_of_memory(&jerr))
                return tg_error_set(err, TG_ENOMEM, ld->source, 0, 0, "out of memory");
            return tg_error_set(
                err, TG_EINVAL, ld->source, line + jerr.line - 1,
                jerr.line == 1 ? col + jerr.column - 1 : jerr.column,
                "malformed JSON: %s",
                strstr(jerr.text, "JSON_ALLOW_NUL")
                    ? "a NUL character (\\u0000) is not allowed in a string"
                    : jerr.text);
        }
        rc = add_doc(ld, v, line, col, err);
        track(data, pos, pos + (size_t)jerr.position, &line, &col);
        pos += (size_t)jerr.position;
    }
    return rc;
}

/* kubectl's rule: input whose first non-space byte opens a JSON object or
 * array is JSON, anything else YAML. */
static int looks_like_json(const char *data, size_t len)
{
    size_t i = 0;
    while (i < len && is_space(data[i]))
        i++;
    return i < len && (data[i] == '{' || data[i] == '[');
}

void manifest_set_cleanup(struct manifest_set *set)
{
    if (!set)
        return;
    for (size_t i = 0; i < set->n; i++)
        json_decref(set->docs[i].object);
    tg_free(set->docs);
    set->docs = NULL;
    set->n = 0;
}

enum tg_rc manifest_load(const char *data, size_t len, const char *source,
                         struct manifest_set *out, struct tg_error *err)
{
    struct loader ld;
    enum tg_rc rc;
    memset(&ld, 0, sizeof(ld));
    ld.source = source ? source : "<input>";
    if (looks_like_json(data, len)) {
        ld.set.format = MANIFEST_JSON;
        rc = load_json(&ld, data, len, err);
    } else {
        struct yaml_read_sink sink = {add_doc, &ld};
        ld.set.format = MANIFEST_YAML;
        rc = yaml_read_docs(data, len, ld.source, &sink, err);
    }
    if (rc != TG_OK) {
        manifest_set_cleanup(&ld.set);
        return rc;
    }
    *out = ld.set;
    return TG_OK;
}

struct dump_ctx {
    struct buf *out;
    enum tg_rc rc;
};

static int dump_to_buf(const char *buffer, size_t size, void *data)
{
    struct dump_ctx *ctx = data;
    ctx->rc = buf_append(ctx->out, buffer, size);
    return ctx->rc == TG_OK ? 0 : -1;
}

static enum tg_rc emit_one(json_t *obj, enum manifest_format format, size_t index,
                           struct buf *out, struct tg_error *err)
{
    if (format == MANIFEST_YAML) {
        /* An empty object is written "{}", which, first in the text, would
         * read back as JSON (manifest_load goes by the first byte). */
        bool marker = index > 0 || json_object_size(obj) == 0;
        enum tg_rc rc = marker ? buf_appends(out, "---\n") : TG_OK;
        return rc != TG_OK ? rc : yaml_write_doc(obj, out, err);
    }
    struct dump_ctx ctx = {out, TG_OK};
    if (json_dump_callback(obj, dump_to_buf, &ctx, JSON_INDENT(2)) != 0)
        return ctx.rc != TG_OK ? ctx.rc : TG_ENOMEM;
    return buf_appends(out, "\n");
}

enum tg_rc manifest_emit(const json_t *objects, enum manifest_format format,
                         struct buf *out, struct tg_error *err)
{
    enum tg_rc rc = TG_OK;
    struct buf text;
    size_t i;
    json_t *obj;
    buf_init(&text, 0);
    if (!json_is_array(objects))
        return tg_error_setf(err, TG_EINVAL, "manifest_emit needs an array of objects");
    json_array_foreach(objects, i, obj)
    {
        if (!json_is_object(obj)) {
            rc = tg_error_setf(err, TG_EINVAL, "item %zu is %s, not an object", i,
                               type_name(obj));
            goto out;
        }
        rc = emit_one(obj, format, i, &text, err);
        if (rc != TG_OK)
            goto out;
    }
    /* Written whole or not at all: out's cap applies to the complete text. */
    rc = buf_append(out, buf_str(&text), buf_len(&text));
out:
    if (rc != TG_OK && rc != TG_EINVAL)
        rc = tg_error_setf(err, rc, "cannot write the manifests: %s", tg_rc_str(rc));
    buf_cleanup(&text);
    return rc;
}
