/* policy_schema.c -- the policy format as tables of keys, and the readers
 * that turn YAML nodes into struct policy members.
 *
 * A reader gets the node of one key's value and the base address of the
 * struct the key belongs to; it writes base + field->offset.  Readers never
 * guess: a value of the wrong type or out of range is an error naming the
 * key path and what was expected, so a typo cannot turn a rule off.
 */
#include "policy_schema.h"

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fspath.h"
#include "imgref.h"
#include "policy_names.h"
#include "quantity.h"

#define MAX_SELECTOR_LABELS 64 /* duplicates are found by pairwise comparison */
#define MAX_TABLE_KEYS 16      /* keys in one table; checked below the tables */

struct walk {
    struct policy *p;
    struct policy_schema_state *st;
    const char *source;
    struct tg_error *err;
    char path[256]; /* "spec.rules.probes.require[1]" of the node being read */
    size_t path_len;
};

struct field {
    const char *key;
    enum tg_rc (*read)(struct walk *w, const struct field *f, const struct ynode *v,
                       void *base);
    size_t offset;                       /* of the member within base */
    const struct field *sub;             /* nested mapping: its keys */
    const char *(*check)(const char *s); /* strings and list items: policy_names.h */
    /* list items only: a check that needs more than a static reason, which
     * also gives the form kept in strlist.normalised (image prefixes) */
    enum tg_rc (*normalise)(struct walk *w, const struct ynode *v, const char *s,
                            const char **out);
    long min, max; /* integers */
    size_t flag;   /* bool member set when the key is given; 0 = none (never first) */
    bool required;
    /* read_name_set: the names of bits 1 << 0, 1 << 1, ... (NULL-terminated)
     * and what one is called in messages ("probe") */
    const char *const *names;
    const char *noun;
};

/* Table entries, one line each (after Redis's createBoolConfig and
 * friends); entries that need more (required keys, special readers) spell
 * out their initializers. */
/* clang-format off */
#define BOOL_FIELD(k, type, m) {.key = k, .read = read_bool, .offset = offsetof(type, m)}
#define ENUM_FIELD(k, reader, type, m)                                          \
    {.key = k, .read = reader, .offset = offsetof(type, m)}
#define INT_FIELD(k, type, m, lo)                                               \
    {.key = k, .read = read_int, .offset = offsetof(type, m), .min = lo, .max = INT_MAX}
/* A uid/gid: a long with a "was set" flag named set_<member>. */
#define ID_FIELD(k, type, m, lo)                                                \
    {.key = k, .read = read_long, .offset = offsetof(type, m), .min = lo,     \
     .max = UID_MAX, .flag = offsetof(type, set_##m)}
#define STRING_FIELD(k, type, m, checker)                                       \
    {.key = k, .read = read_string, .offset = offsetof(type, m), .check = checker}
#define LIST_FIELD(k, type, m, checker)                                         \
    {.key = k, .read = read_strlist, .offset = offsetof(type, m), .check = checker}
#define MAP_FIELD(k, type, m, table)                                            \
    {.key = k, .read = read_mapping, .offset = offsetof(type, m), .sub = table}
#define PREFIX_LIST_FIELD(k, type, m)                                           \
    {.key = k, .read = read_strlist, .offset = offsetof(type, m),             \
     .normalise = normalise_image_prefix}
#define SELECTOR_FIELD(k, type, m)                                              \
    {.key = k, .read = read_selector, .offset = offsetof(type, m),            \
     .flag = offsetof(type, has_##m)}
/* clang-format on */

#define UID_MAX 2147483647L /* Kubernetes takes int64, Linux uids stop here */

static enum tg_rc fail(struct walk *w, const struct ynode *at, const char *fmt, ...)
    TG_PRINTF(3, 4);

static enum tg_rc fail(struct walk *w, const struct ynode *at, const char *fmt, ...)
{
    char text[400];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof(text), fmt, ap);
    va_end(ap);
    if (w->path_len == 0)
        return tg_error_set(w->err, TG_EINVAL, w->source, at->line, at->column, "%s",
                            text);
    return tg_error_set(w->err, TG_EINVAL, w->source, at->line, at->column, "%s: %s",
                        w->path, text);
}

static enum tg_rc no_memory(struct walk *w)
{
    return tg_error_set(w->err, TG_ENOMEM, w->source, 0, 0,
                        "out of memory while loading the policy");
}

static enum tg_rc expected(struct walk *w, const struct ynode *v, const char *what)
{
    char got[64];
    policy_yaml_describe(v, got, sizeof(got));
    return fail(w, v, "expected %s, got %s", what, got);
}

/* Append ".key" or "[i]" to the path; returns the length to restore. */
static size_t path_push(struct walk *w, const char *key, long index)
{
    size_t old = w->path_len;
    size_t room = sizeof(w->path) - old;
    int n;
    if (key)
        n = snprintf(w->path + old, room, "%s%s", old ? "." : "", key);
    else
        n = snprintf(w->path + old, room, "[%ld]", index);
    w->path_len = (n < 0 || (size_t)n >= room) ? sizeof(w->path) - 1 : old + (size_t)n;
    return old;
}

static void path_pop(struct walk *w, size_t old)
{
    w->path_len = old;
    w->path[old] = '\0';
}

static void *member(void *base, size_t offset)
{
    return (char *)base + offset;
}

/* A non-null scalar's text, or an "expected" error. */
static enum tg_rc scalar(struct walk *w, const struct ynode *v, const char *what,
                         const char **out)
{
    if (v->kind != YNODE_SCALAR || policy_yaml_is_null(v))
        return expected(w, v, what);
    *out = v->value;
    return TG_OK;
}

static enum tg_rc checked_copy(struct walk *w, const struct field *f,
                               const struct ynode *v, const char **out)
{
    const char *s = NULL;
    enum tg_rc rc = scalar(w, v, "a string", &s);
    if (rc != TG_OK)
        return rc;
    const char *why = f->check ? f->check(s) : NULL;
    if (why)
        return fail(w, v, "\"%s\" %s", s, why);
    *out = arena_strdup(&w->p->arena, s);
    return *out ? TG_OK : no_memory(w);
}

/* Image prefixes are normalised the way the matcher normalises image
 * names, so a typo is a load error instead of a prefix that silently
 * matches nothing; the normalised form is kept (strlist.normalised) so
 * matching a container is a string compare (normalising per container and
 * rule was ~5% of a typical review's decision).  The list keeps them as
 * written too, for messages that quote the policy. */
static enum tg_rc normalise_image_prefix(struct walk *w, const struct ynode *v,
                                         const char *s, const char **out)
{
    struct tg_error why = {0};
    enum tg_rc rc = imgref_normalise_prefix(s, &w->p->arena, out, &why);
    if (rc == TG_ENOMEM)
        return no_memory(w);
    if (rc == TG_OK)
        return TG_OK;
    struct ynode at = *v;
    if (!v->quoted && why.column > 0) /* plain text: point at the culprit */
        at.column += why.column - 1;
    return fail(w, &at, "\"%s\" is not a valid image prefix: %s", s, why.text);
}

static enum tg_rc read_string(struct walk *w, const struct field *f,
                              const struct ynode *v, void *base)
{
    return checked_copy(w, f, v, member(base, f->offset));
}

/* A key whose value is fixed (apiVersion, kind): checked, not stored. */
static enum tg_rc read_const(struct walk *w, const struct field *f, const struct ynode *v,
                             void *base)
{
    (void)base;
    const char *s = NULL;
    enum tg_rc rc = scalar(w, v, "a string", &s);
    if (rc != TG_OK)
        return rc;
    const char *why = f->check(s);
    return why ? fail(w, v, "\"%s\" %s", s, why) : TG_OK;
}

static const char *check_api_version(const char *s)
{
    return strcmp(s, "tollgate.dev/v1") == 0
               ? NULL
               : "is not supported (expected tollgate.dev/v1)";
}

static const char *check_kind(const char *s)
{
    return strcmp(s, "Policy") == 0 ? NULL : "is not supported (expected Policy)";
}

/* metadata.name: the first document names the merged policy. */
static enum tg_rc read_name(struct walk *w, const struct field *f, const struct ynode *v,
                            void *base)
{
    const char *name;
    enum tg_rc rc = checked_copy(w, f, v, &name);
    if (rc == TG_OK && w->st->n_documents == 0)
        *(const char **)member(base, f->offset) = name;
    return rc;
}

/* metadata.labels and .annotations are allowed for kubectl-minded users
 * and ignored, but must still be mappings. */
static enum tg_rc read_ignored_mapping(struct walk *w, const struct field *f,
                                       const struct ynode *v, void *base)
{
    (void)f;
    (void)base;
    return v->kind == YNODE_MAPPING ? TG_OK : expected(w, v, "a mapping");
}

static enum tg_rc read_bool(struct walk *w, const struct field *f, const struct ynode *v,
                            void *base)
{
    static const char *const yes[] = {"true", "True", "TRUE"};
    static const char *const no[] = {"false", "False", "FALSE"};
    bool *out = member(base, f->offset);
    if (v->kind == YNODE_SCALAR && !v->quoted) {
        for (size_t i = 0; i < ARRAY_LEN(yes); i++) {
            if (strcmp(v->value, yes[i]) == 0 || strcmp(v->value, no[i]) == 0) {
                *out = strcmp(v->value, yes[i]) == 0;
                return TG_OK;
            }
        }
    }
    if (v->kind == YNODE_SCALAR && v->quoted)
        return fail(w, v,
                    "expected true or false, got the quoted string \"%s\" "
                    "(remove the quotes)",
                    v->value);
    return expected(w, v, "true or false");
}

static enum tg_rc parse_integer(struct walk *w, const struct field *f,
                                const struct ynode *v, long *out)
{
    char what[96];
    snprintf(what, sizeof(what), "an integer from %ld to %ld", f->min, f->max);
    if (v->kind == YNODE_SCALAR && v->quoted)
        return fail(w, v, "expected %s, got the quoted string \"%s\" (remove the quotes)",
                    what, v->value);
    if (v->kind != YNODE_SCALAR || policy_yaml_is_null(v))
        return expected(w, v, what);
    const char *s = v->value;
    char *end;
    errno = 0;
    long n = strtol(s, &end, 10);
    /* strtol skips leading blanks; a number in a policy has none */
    if (s[0] == ' ' || s[0] == '\t' || *end != '\0' || errno == ERANGE || n < f->min ||
        n > f->max)
        return expected(w, v, what);
    *out = n;
    return TG_OK;
}

static enum tg_rc read_long(struct walk *w, const struct field *f, const struct ynode *v,
                            void *base)
{
    long n = 0;
    enum tg_rc rc = parse_integer(w, f, v, &n);
    if (rc != TG_OK)
        return rc;
    *(long *)member(base, f->offset) = n;
    if (f->flag)
        *(bool *)member(base, f->flag) = true;
    return TG_OK;
}

static enum tg_rc read_int(struct walk *w, const struct field *f, const struct ynode *v,
                           void *base)
{
    long n = 0;
    enum tg_rc rc = parse_integer(w, f, v, &n); /* min and max fit an int */
    if (rc == TG_OK)
        *(int *)member(base, f->offset) = (int)n;
    return rc;
}

/* One of `names` (n of them); *out is its index. */
static enum tg_rc choose(struct walk *w, const struct ynode *v, const char *const *names,
                         size_t n, const char *what, size_t *out)
{
    if (v->kind == YNODE_SCALAR) {
        for (size_t i = 0; i < n; i++) {
            if (strcmp(v->value, names[i]) == 0) {
                *out = i;
                return TG_OK;
            }
        }
    }
    return expected(w, v, what);
}

static enum tg_rc read_mode(struct walk *w, const struct field *f, const struct ynode *v,
                            void *base)
{
    static const char *const names[] = {"enforce", "audit"};
    static const enum policy_mode modes[] = {POLICY_ENFORCE, POLICY_AUDIT};
    size_t i = 0;
    enum tg_rc rc = choose(w, v, names, ARRAY_LEN(names), "enforce or audit", &i);
    if (rc == TG_OK)
        *(enum policy_mode *)member(base, f->offset) = modes[i];
    return rc;
}

static enum tg_rc read_action(struct walk *w, const struct field *f,
                              const struct ynode *v, void *base)
{
    static const char *const names[] = {"enforce", "audit", "mutate", "off"};
    static const enum rule_action actions[] = {ACTION_ENFORCE, ACTION_AUDIT,
                                               ACTION_MUTATE, ACTION_OFF};
    size_t i = 0;
    enum tg_rc rc =
        choose(w, v, names, ARRAY_LEN(names), "one of enforce, audit, mutate, off", &i);
    if (rc == TG_OK)
        *(enum rule_action *)member(base, f->offset) = actions[i];
    return rc;
}

static enum tg_rc read_lookup(struct walk *w, const struct field *f,
                              const struct ynode *v, void *base)
{
    static const char *const names[] = {"allow", "deny"};
    size_t i = 0;
    enum tg_rc rc = choose(w, v, names, ARRAY_LEN(names), "allow or deny", &i);
    if (rc == TG_OK)
        *(bool *)member(base, f->offset) = i == 0;
    return rc;
}

/* The items of a list of strings, each checked and copied, and normalised
 * into `norm` when the field says how (f->normalise; norm is NULL
 * otherwise). */
static enum tg_rc read_items(struct walk *w, const struct field *f, const struct ynode *v,
                             const char **items, const char **norm)
{
    size_t i = 0;
    for (const struct ynode *it = v->first; it; it = it->next, i++) {
        size_t old = path_push(w, NULL, (long)i);
        enum tg_rc rc = checked_copy(w, f, it, &items[i]);
        if (rc == TG_OK && norm)
            rc = f->normalise(w, it, items[i], &norm[i]);
        path_pop(w, old);
        if (rc != TG_OK)
            return rc;
    }
    return TG_OK;
}

/* A list of strings.  `keep` items of the current list stay in front (for
 * the lists that later files append to). */
static enum tg_rc strlist_read(struct walk *w, const struct field *f,
                               const struct ynode *v, struct strlist *l, size_t keep)
{
    if (v->kind != YNODE_SEQUENCE)
        return expected(w, v, "a list");
    size_t n = keep + v->n_children;
    const char **items = arena_alloc(&w->p->arena, (n ? n : 1) * sizeof(*items));
    const char **norm =
        f->normalise ? arena_alloc(&w->p->arena, (n ? n : 1) * sizeof(*norm)) : NULL;
    if (!items || (f->normalise && !norm))
        return no_memory(w);
    if (keep)
        memcpy(items, l->items, keep * sizeof(*items));
    if (keep && norm) /* kept items were normalised when they were read */
        memcpy(norm, l->normalised, keep * sizeof(*norm));
    enum tg_rc rc = read_items(w, f, v, items + keep, norm ? norm + keep : NULL);
    if (rc != TG_OK)
        return rc;
    l->items = items;
    l->n = n;
    l->normalised = norm;
    return TG_OK;
}

static enum tg_rc read_strlist(struct walk *w, const struct field *f,
                               const struct ynode *v, void *base)
{
    return strlist_read(w, f, v, member(base, f->offset), 0);
}

static enum tg_rc read_strlist_append(struct walk *w, const struct field *f,
                                      const struct ynode *v, void *base)
{
    struct strlist *l = member(base, f->offset);
    return strlist_read(w, f, v, l, l->n);
}

static void mark_here(struct walk *w, const struct ynode *v, struct schema_mark *m)
{
    m->set = true;
    snprintf(m->source, sizeof(m->source), "%s", w->source);
    m->line = v->line;
    m->column = v->column;
}

/* "a, b, c" (sep ", ") or "a, b or c" (last " or "), for messages. */
static void join_names(const char *const *names, const char *last, char *buf, size_t len)
{
    size_t used = 0;
    buf[0] = '\0';
    for (size_t i = 0; names[i] && used < len; i++) {
        const char *sep = i == 0 ? "" : names[i + 1] ? ", " : last;
        int n = snprintf(buf + used, len - used, "%s%s", sep, names[i]);
        used = n < 0 ? len : used + (size_t)n;
    }
}

/* A list of names, each at most once, into a bit set (unsigned member):
 * names[k] is bit 1 << k. */
static enum tg_rc read_name_set(struct walk *w, const struct field *f,
                                const struct ynode *v, void *base)
{
    char all[128], any[128], what[200];
    join_names(f->names, ", ", all, sizeof(all));
    join_names(f->names, " or ", any, sizeof(any));
    snprintf(what, sizeof(what), "a list of %ss (%s)", f->noun, all);
    if (v->kind != YNODE_SEQUENCE)
        return expected(w, v, what);
    unsigned set = 0;
    long i = 0;
    for (const struct ynode *it = v->first; it; it = it->next, i++) {
        size_t k = 0, old = path_push(w, NULL, i);
        enum tg_rc rc = TG_OK;
        while (f->names[k] && !(it->kind == YNODE_SCALAR && !policy_yaml_is_null(it) &&
                                strcmp(it->value, f->names[k]) == 0))
            k++;
        if (it->kind != YNODE_SCALAR || policy_yaml_is_null(it))
            rc = expected(w, it, any);
        else if (!f->names[k])
            rc = fail(w, it, "unknown %s \"%s\" (expected %s)", f->noun, it->value, all);
        else if (set & (1u << k))
            rc = fail(w, it, "\"%s\" is listed twice", f->names[k]);
        path_pop(w, old);
        if (rc != TG_OK)
            return rc;
        set |= 1u << k;
    }
    *(unsigned *)member(base, f->offset) = set;
    return TG_OK;
}

static const char *const probe_names[] = {"liveness", "readiness", "startup", NULL};
_Static_assert(PROBE_LIVENESS == 1 << 0 && PROBE_READINESS == 1 << 1 &&
                   PROBE_STARTUP == 1 << 2,
               "probe_names follows enum probe_kind");

/* probes.require is remembered: an empty list is an error once the files
 * are merged (policy_schema_finish), unless the rule is off. */
static enum tg_rc read_probe_kinds(struct walk *w, const struct field *f,
                                   const struct ynode *v, void *base)
{
    enum tg_rc rc = read_name_set(w, f, v, base);
    if (rc == TG_OK)
        mark_here(w, v, &w->st->probes_require);
    return rc;
}

/* ---- nested mappings ------------------------------------------------- */

static enum tg_rc apply_fields(struct walk *w, const struct ynode *map,
                               const struct field *fields, void *base);

static enum tg_rc read_mapping(struct walk *w, const struct field *f,
                               const struct ynode *v, void *base)
{
    return apply_fields(w, v, f->sub, member(base, f->offset));
}

/* allowedRegistries is remembered: naming the rule but no registry is a
 * mistake that policy_schema_finish reports. */
static enum tg_rc read_registries_rule(struct walk *w, const struct field *f,
                                       const struct ynode *v, void *base)
{
    mark_here(w, v, &w->st->registries_rule);
    return read_mapping(w, f, v, base);
}

static enum tg_rc read_match_labels(struct walk *w, const struct field *f,
                                    const struct ynode *v, void *base)
{
    struct label_selector *sel = member(base, f->offset);
    if (v->kind != YNODE_MAPPING)
        return expected(w, v, "a mapping of label keys to values");
    size_t n = v->n_children / 2;
    if (n > MAX_SELECTOR_LABELS)
        return fail(w, v, "more than %d labels", MAX_SELECTOR_LABELS);
    const char **keys = arena_alloc(&w->p->arena, (n ? n : 1) * sizeof(*keys));
    const char **values = arena_alloc(&w->p->arena, (n ? n : 1) * sizeof(*values));
    if (!keys || !values)
        return no_memory(w);
    const struct field kf = {.check = policy_check_label_key};
    const struct field vf = {.check = policy_check_label_value};
    size_t i = 0;
    for (const struct ynode *k = v->first; k; k = k->next->next, i++) {
        enum tg_rc rc = checked_copy(w, &kf, k, &keys[i]);
        for (size_t j = 0; rc == TG_OK && j < i; j++) {
            if (strcmp(keys[j], keys[i]) == 0)
                rc = fail(w, k, "duplicate label \"%s\"", keys[i]);
        }
        size_t old = path_push(w, k->value, 0);
        if (rc == TG_OK)
            rc = checked_copy(w, &vf, k->next, &values[i]);
        path_pop(w, old);
        if (rc != TG_OK)
            return rc;
    }
    sel->label_keys = keys;
    sel->label_values = values;
    sel->n_labels = n;
    return TG_OK;
}

static enum tg_rc read_selector_op(struct walk *w, const struct field *f,
                                   const struct ynode *v, void *base)
{
    static const char *const names[] = {"In", "NotIn", "Exists", "DoesNotExist"};
    static const enum selector_op ops[] = {SELECTOR_IN, SELECTOR_NOT_IN, SELECTOR_EXISTS,
                                           SELECTOR_DOES_NOT_EXIST};
    size_t i = 0;
    enum tg_rc rc =
        choose(w, v, names, ARRAY_LEN(names), "In, NotIn, Exists or DoesNotExist", &i);
    if (rc == TG_OK)
        *(enum selector_op *)member(base, f->offset) = ops[i];
    return rc;
}

/* clang-format off */
static const struct field expr_fields[] = {
    {.key = "key", .read = read_string, .offset = offsetof(struct selector_expr, key),
     .check = policy_check_label_key, .required = true},
    {.key = "operator", .read = read_selector_op,
     .offset = offsetof(struct selector_expr, op), .required = true},
    LIST_FIELD("values", struct selector_expr, values, policy_check_label_value),
    {0},
};
/* clang-format on */

/* Kubernetes: In and NotIn need values, Exists and DoesNotExist take none. */
static enum tg_rc read_expr(struct walk *w, const struct ynode *v,
                            struct selector_expr *e)
{
    enum tg_rc rc = apply_fields(w, v, expr_fields, e);
    if (rc != TG_OK)
        return rc;
    bool wants_values = e->op == SELECTOR_IN || e->op == SELECTOR_NOT_IN;
    if (wants_values && e->values.n == 0)
        return fail(w, v, "operator In and NotIn need a non-empty values list");
    if (!wants_values && e->values.n > 0)
        return fail(w, v, "operator Exists and DoesNotExist take no values");
    return TG_OK;
}

static enum tg_rc read_match_exprs(struct walk *w, const struct field *f,
                                   const struct ynode *v, void *base)
{
    struct label_selector *sel = member(base, f->offset);
    if (v->kind != YNODE_SEQUENCE)
        return expected(w, v, "a list of {key, operator, values}");
    size_t n = v->n_children;
    struct selector_expr *exprs =
        arena_zalloc(&w->p->arena, (n ? n : 1) * sizeof(*exprs));
    if (!exprs)
        return no_memory(w);
    long i = 0;
    for (const struct ynode *it = v->first; it; it = it->next, i++) {
        size_t old = path_push(w, NULL, i);
        enum tg_rc rc = read_expr(w, it, &exprs[i]);
        path_pop(w, old);
        if (rc != TG_OK)
            return rc;
    }
    sel->exprs = exprs;
    sel->n_exprs = n;
    return TG_OK;
}

static const struct field selector_fields[] = {
    {.key = "matchLabels", .read = read_match_labels},
    {.key = "matchExpressions", .read = read_match_exprs},
    {0},
};

/* An objectSelector replaces the one before it.  An empty one would match
 * every object (Kubernetes semantics), which in `exclude` means "judge
 * nothing": refused, since it is never what the author meant. */
static enum tg_rc read_selector(struct walk *w, const struct field *f,
                                const struct ynode *v, void *base)
{
    struct label_selector sel = {0};
    enum tg_rc rc = apply_fields(w, v, selector_fields, &sel);
    if (rc != TG_OK)
        return rc;
    if (sel.n_labels == 0 && sel.n_exprs == 0)
        return fail(w, v,
                    "an empty selector matches every object; add matchLabels or "
                    "matchExpressions, or leave objectSelector out");
    *(struct label_selector *)member(base, f->offset) = sel;
    *(bool *)member(base, f->flag) = true;
    return TG_OK;
}

/* ---- the tables ------------------------------------------------------ */

/* clang-format off */
static const struct field exclude_fields[] = {
    {.key = "namespaces", .read = read_strlist_append,
     .offset = offsetof(struct exclusions, namespaces),
     .check = policy_check_namespace_pattern},
    SELECTOR_FIELD("objectSelector", struct exclusions, object_selector),
    {0},
};
/* clang-format on */

/* clang-format off */
static const struct field override_fields[] = {
    LIST_FIELD("namespaces", struct mode_override, namespaces,
               policy_check_namespace_pattern),
    SELECTOR_FIELD("objectSelector", struct mode_override, object_selector),
    {.key = "mode", .read = read_mode, .offset = offsetof(struct mode_override, mode),
     .required = true},
    {0},
};
/* clang-format on */

static enum tg_rc read_override(struct walk *w, const struct ynode *v,
                                struct mode_override *o)
{
    enum tg_rc rc = apply_fields(w, v, override_fields, o);
    if (rc == TG_OK && o->namespaces.n == 0 && !o->has_object_selector)
        rc = fail(w, v,
                  "an override needs namespaces or objectSelector "
                  "(to change the mode everywhere, set spec.mode)");
    return rc;
}

/* Overrides from later documents are appended: one file per team works. */
static enum tg_rc read_overrides(struct walk *w, const struct field *f,
                                 const struct ynode *v, void *base)
{
    (void)f;
    struct policy *p = base;
    if (v->kind != YNODE_SEQUENCE)
        return expected(w, v, "a list of {namespaces, objectSelector, mode}");
    size_t n = p->n_overrides + v->n_children;
    struct mode_override *all = arena_zalloc(&p->arena, (n ? n : 1) * sizeof(*all));
    if (!all)
        return no_memory(w);
    if (p->n_overrides)
        memcpy(all, p->overrides, p->n_overrides * sizeof(*all));
    long i = 0;
    for (const struct ynode *it = v->first; it; it = it->next, i++) {
        size_t old = path_push(w, NULL, i);
        enum tg_rc rc = read_override(w, it, &all[p->n_overrides + (size_t)i]);
        path_pop(w, old);
        if (rc != TG_OK)
            return rc;
    }
    p->overrides = all;
    p->n_overrides = n;
    return TG_OK;
}

/* clang-format off */
static const struct field exempt_fields[] = {
    PREFIX_LIST_FIELD("images", struct rule_common, exempt_images),
    LIST_FIELD("containers", struct rule_common, exempt_containers,
               policy_check_container_name),
    STRING_FIELD("reason", struct rule_common, exempt_reason, policy_check_reason),
    {0},
};
/* clang-format on */

/* clang-format off */
/* The keys every rule has; `type` is the rule's config struct, which
 * starts with its struct rule_common. */
#define COMMON_FIELDS(type)                                                    \
    ENUM_FIELD("action", read_action, type, common.action),                   \
    MAP_FIELD("exempt", type, common, exempt_fields),                         \
    ENUM_FIELD("onLookupFailure", read_lookup, type, common.allow_on_lookup_failure)
/* clang-format on */

/* clang-format off */
static const struct field run_as_non_root_fields[] = {
    COMMON_FIELDS(struct run_as_non_root_config),
    ID_FIELD("runAsUser", struct run_as_non_root_config, run_as_user, 1),
    ID_FIELD("runAsGroup", struct run_as_non_root_config, run_as_group, 0),
    BOOL_FIELD("checkImageUser", struct run_as_non_root_config, check_image_user),
    BOOL_FIELD("allowNamedUsers", struct run_as_non_root_config, allow_named_users),
    {0},
};
/* clang-format on */

/* clang-format off */
static const struct field pinned_tags_fields[] = {
    COMMON_FIELDS(struct pinned_tags_config),
    BOOL_FIELD("requireDigest", struct pinned_tags_config, require_digest),
    BOOL_FIELD("resolveDigest", struct pinned_tags_config, resolve_digest),
    {0},
};
/* clang-format on */

/* clang-format off */
static const struct field probe_default_fields[] = {
    INT_FIELD("initialDelaySeconds", struct probe_defaults, initial_delay_seconds, 0),
    INT_FIELD("periodSeconds", struct probe_defaults, period_seconds, 1),
    INT_FIELD("timeoutSeconds", struct probe_defaults, timeout_seconds, 1),
    INT_FIELD("failureThreshold", struct probe_defaults, failure_threshold, 1),
    {0},
};
/* clang-format on */

/* clang-format off */
static const struct field probes_fields[] = {
    COMMON_FIELDS(struct probes_config),
    {.key = "require", .read = read_probe_kinds,
     .offset = offsetof(struct probes_config, required), .names = probe_names,
     .noun = "probe"},
    BOOL_FIELD("addDefaultTcp", struct probes_config, add_default_tcp),
    MAP_FIELD("defaults", struct probes_config, defaults, probe_default_fields),
    {0},
};
/* clang-format on */

/* clang-format off */
static const struct field allowed_registries_fields[] = {
    COMMON_FIELDS(struct allowed_registries_config),
    PREFIX_LIST_FIELD("registries", struct allowed_registries_config, registries),
    {0},
};
/* clang-format on */

/* clang-format off */
static const struct field image_pull_policy_fields[] = {
    COMMON_FIELDS(struct image_pull_policy_config),
    {0},
};
/* clang-format on */

/* ---- host access and hygiene (issue 15) ---- */

static const char *const host_namespace_names[] = {"hostNetwork", "hostPID", "hostIPC",
                                                   NULL};
_Static_assert(HOST_NETWORK == 1 << 0 && HOST_PID == 1 << 1 && HOST_IPC == 1 << 2,
               "host_namespace_names follows enum host_namespace");

/* clang-format off */
static const struct field host_namespaces_fields[] = {
    COMMON_FIELDS(struct host_namespaces_config),
    {.key = "allow", .read = read_name_set,
     .offset = offsetof(struct host_namespaces_config, allowed),
     .names = host_namespace_names, .noun = "host namespace"},
    {0},
};
/* clang-format on */

/* A port (8080) or a range of ports ("9000-9100"), 1-65535. */
static enum tg_rc read_port_range(struct walk *w, const struct ynode *v,
                                  struct port_range *out)
{
    const char *s = v->kind == YNODE_SCALAR && !policy_yaml_is_null(v) ? v->value : "";
    long lo = -1, hi = -1;
    char *end = NULL;
    if (s[0] >= '0' && s[0] <= '9') {
        errno = 0;
        lo = strtol(s, &end, 10);
        hi = lo;
        if (errno == 0 && *end == '-' && end[1] >= '0' && end[1] <= '9')
            hi = strtol(end + 1, &end, 10);
    }
    static const char what[] = "a port from 1 to 65535 or a range such as 9000-9100";
    if (end && *end == '\0' && v->quoted && hi == lo)
        return fail(w, v, "expected %s, got the quoted string \"%s\" (remove the quotes)",
                    what, s);
    if (!end || *end != '\0' || errno == ERANGE || lo < 1 || hi > 65535)
        return expected(w, v, what);
    if (hi < lo)
        return fail(w, v, "the range %ld-%ld is empty (write the lower port first)", lo,
                    hi);
    out->lo = (int)lo;
    out->hi = (int)hi;
    return TG_OK;
}

static enum tg_rc read_port_ranges(struct walk *w, const struct field *f,
                                   const struct ynode *v, void *base)
{
    struct host_ports_config *c = base;
    (void)f;
    if (v->kind != YNODE_SEQUENCE)
        return expected(w, v, "a list of ports and port ranges");
    size_t n = v->n_children;
    struct port_range *r = arena_alloc(&w->p->arena, (n ? n : 1) * sizeof(*r));
    if (!r)
        return no_memory(w);
    long i = 0;
    for (const struct ynode *it = v->first; it; it = it->next, i++) {
        size_t old = path_push(w, NULL, i);
        enum tg_rc rc = read_port_range(w, it, &r[i]);
        path_pop(w, old);
        if (rc != TG_OK)
            return rc;
    }
    c->allowed = r;
    c->n_allowed = n;
    return TG_OK;
}

/* A hostPath prefix: absolute, no "..", kept normalised (fspath.h) so a
 * volume's path is compared with what the kubelet would use. */
static enum tg_rc normalise_host_path(struct walk *w, const struct ynode *v,
                                      const char *s, const char **out)
{
    char norm[4096];
    enum fspath_problem why = fspath_normalise(s, norm, sizeof(norm));
    if (why != FSPATH_OK)
        return fail(w, v, "\"%s\" %s (expected an absolute path such as /var/log)", s,
                    fspath_problem_text(why));
    *out = arena_strdup(&w->p->arena, norm);
    return *out ? TG_OK : no_memory(w);
}

/* clang-format off */
static const struct field host_path_fields[] = {
    COMMON_FIELDS(struct host_path_config),
    {.key = "allowedPaths", .read = read_strlist,
     .offset = offsetof(struct host_path_config, allowed_paths),
     .normalise = normalise_host_path},
    BOOL_FIELD("requireReadOnly", struct host_path_config, require_read_only),
    {0},
};
/* clang-format on */

/* A quantity ("500m", 2Gi, 4), checked by the code that reads containers'
 * (quantity.h), so a maximum that could never compare is a load error. */
static enum tg_rc read_quantity(struct walk *w, const struct field *f,
                                const struct ynode *v, void *base)
{
    struct quantity_setting *q = member(base, f->offset);
    const char *s = NULL, *why = NULL;
    enum tg_rc rc = scalar(w, v, "a quantity such as 500m, 2 or 4Gi", &s);
    if (rc != TG_OK)
        return rc;
    int64_t milli = 0;
    if (quantity_parse(s, &milli, &why) != TG_OK)
        return fail(w, v, "\"%s\" is not a quantity: it %s", s, why);
    if (milli < 0)
        return fail(w, v, "\"%s\" is negative", s);
    q->text = arena_strdup(&w->p->arena, s);
    if (!q->text)
        return no_memory(w);
    q->set = true;
    q->milli = milli;
    return TG_OK;
}

static const char *const resource_names[] = {"cpu", "memory", NULL};
_Static_assert(RESOURCE_CPU == 1 << 0 && RESOURCE_MEMORY == 1 << 1,
               "resource_names follows enum resource_name");

/* clang-format off */
static const struct field amount_fields[] = {
    {.key = "cpu", .read = read_quantity, .offset = offsetof(struct resource_amounts, cpu)},
    {.key = "memory", .read = read_quantity,
     .offset = offsetof(struct resource_amounts, memory)},
    {0},
};
static const struct field require_fields[] = {
    {.key = "requests", .read = read_name_set,
     .offset = offsetof(struct resources_config, require_requests),
     .names = resource_names, .noun = "resource"},
    {.key = "limits", .read = read_name_set,
     .offset = offsetof(struct resources_config, require_limits),
     .names = resource_names, .noun = "resource"},
    {0},
};
static const struct field maximum_fields[] = {
    MAP_FIELD("requests", struct resources_config, max_requests, amount_fields),
    MAP_FIELD("limits", struct resources_config, max_limits, amount_fields),
    {0},
};
static const struct field defaults_fields[] = {
    MAP_FIELD("requests", struct resources_config, default_requests, amount_fields),
    MAP_FIELD("limits", struct resources_config, default_limits, amount_fields),
    {0},
};
/* The three nested mappings fill members of the config itself. */
static const struct field resources_fields[] = {
    COMMON_FIELDS(struct resources_config),
    {.key = "require", .read = read_mapping, .sub = require_fields},
    {.key = "maximum", .read = read_mapping, .sub = maximum_fields},
    {.key = "defaults", .read = read_mapping, .sub = defaults_fields},
    {0},
};
/* clang-format on */

/* resources is remembered: its settings are checked against each other
 * once the files are merged (policy_schema_finish). */
static enum tg_rc read_resources_rule(struct walk *w, const struct field *f,
                                      const struct ynode *v, void *base)
{
    mark_here(w, v, &w->st->resources_rule);
    return read_mapping(w, f, v, base);
}

/* An env name pattern, kept upper-cased too: names are matched regardless
 * of case, and folding each pattern once here spares doing it per env var. */
static enum tg_rc normalise_upper(struct walk *w, const struct ynode *v, const char *s,
                                  const char **out)
{
    (void)v;
    size_t len = strlen(s);
    char *u = arena_alloc(&w->p->arena, len + 1);
    if (!u)
        return no_memory(w);
    for (size_t i = 0; i <= len; i++)
        u[i] = s[i] >= 'a' && s[i] <= 'z' ? (char)(s[i] - 'a' + 'A') : s[i];
    *out = u;
    return TG_OK;
}

/* clang-format off */
static const struct field no_secrets_in_env_fields[] = {
    COMMON_FIELDS(struct no_secrets_in_env_config),
    {.key = "names", .read = read_strlist,
     .offset = offsetof(struct no_secrets_in_env_config, names),
     .check = policy_check_env_name_pattern, .normalise = normalise_upper},
    {.key = "exceptNames", .read = read_strlist,
     .offset = offsetof(struct no_secrets_in_env_config, except_names),
     .check = policy_check_env_name_pattern, .normalise = normalise_upper},
    BOOL_FIELD("detectValues", struct no_secrets_in_env_config, detect_values),
    {0},
};
/* clang-format on */

/* clang-format off */
static const struct field host_ports_fields[] = {
    COMMON_FIELDS(struct host_ports_config),
    {.key = "allowed", .read = read_port_ranges}, /* base is the config */
    {0},
};
/* clang-format on */

/* ---- container hardening (issue 15) ---- */

/* clang-format off */
static const struct field privileged_fields[] = {
    COMMON_FIELDS(struct privileged_config),
    {0},
};
/* clang-format on */

/* clang-format off */
static const struct field allow_privilege_escalation_fields[] = {
    COMMON_FIELDS(struct allow_privilege_escalation_config),
    {0},
};
/* clang-format on */

/* clang-format off */
static const struct field capabilities_fields[] = {
    COMMON_FIELDS(struct capabilities_config),
    LIST_FIELD("allowedCapabilities", struct capabilities_config, allowed,
               policy_check_capability),
    {0},
};
/* clang-format on */

/* clang-format off */
static const struct field read_only_root_filesystem_fields[] = {
    COMMON_FIELDS(struct read_only_root_filesystem_config),
    {0},
};
/* clang-format on */

/* clang-format off */
static const struct field seccomp_profile_fields[] = {
    COMMON_FIELDS(struct seccomp_profile_config),
    {0},
};
/* clang-format on */

/* One entry per rule: adding a rule starts here. */
/* clang-format off */
static const struct field rules[] = {
    MAP_FIELD("runAsNonRoot", struct policy, run_as_non_root, run_as_non_root_fields),
    MAP_FIELD("pinnedTags", struct policy, pinned_tags, pinned_tags_fields),
    MAP_FIELD("probes", struct policy, probes, probes_fields),
    {.key = "allowedRegistries", .read = read_registries_rule,
     .offset = offsetof(struct policy, allowed_registries),
     .sub = allowed_registries_fields},
    MAP_FIELD("imagePullPolicy", struct policy, image_pull_policy,
              image_pull_policy_fields),
    /* host access and hygiene (issue 15) */
    MAP_FIELD("hostNamespaces", struct policy, host_namespaces, host_namespaces_fields),
    MAP_FIELD("hostPorts", struct policy, host_ports, host_ports_fields),
    MAP_FIELD("hostPath", struct policy, host_path, host_path_fields),
    MAP_FIELD("noSecretsInEnv", struct policy, no_secrets_in_env, no_secrets_in_env_fields),
    {.key = "resources", .read = read_resources_rule,
     .offset = offsetof(struct policy, resources), .sub = resources_fields},
    /* container hardening (issue 15) */
    MAP_FIELD("privileged", struct policy, privileged, privileged_fields),
    MAP_FIELD("allowPrivilegeEscalation", struct policy, allow_privilege_escalation,
              allow_privilege_escalation_fields),
    MAP_FIELD("capabilities", struct policy, capabilities, capabilities_fields),
    MAP_FIELD("readOnlyRootFilesystem", struct policy, read_only_root_filesystem,
              read_only_root_filesystem_fields),
    MAP_FIELD("seccompProfile", struct policy, seccomp_profile,
              seccomp_profile_fields),
    {0},
};
/* clang-format on */

/* clang-format off */
static const struct field spec_fields[] = {
    ENUM_FIELD("mode", read_mode, struct policy, mode),
    MAP_FIELD("exclude", struct policy, exclude, exclude_fields),
    {.key = "overrides", .read = read_overrides}, /* base is the policy */
    {.key = "rules", .read = read_mapping, .sub = rules},
    {0},
};
/* clang-format on */

/* clang-format off */
static const struct field metadata_fields[] = {
    {.key = "name", .read = read_name, .offset = offsetof(struct policy, name),
     .check = policy_check_policy_name, .required = true},
    {.key = "labels", .read = read_ignored_mapping},
    {.key = "annotations", .read = read_ignored_mapping},
    {0},
};
/* clang-format on */

/* clang-format off */
static const struct field document_fields[] = {
    {.key = "apiVersion", .read = read_const, .check = check_api_version,
     .required = true},
    {.key = "kind", .read = read_const, .check = check_kind, .required = true},
    {.key = "metadata", .read = read_mapping, .sub = metadata_fields, .required = true},
    {.key = "spec", .read = read_mapping, .sub = spec_fields},
    {0},
};
/* clang-format on */

/* apply_fields tracks the keys of one table in a fixed array ({0} ends a table). */
#define TABLE_FITS(t)                                                                    \
    _Static_assert(ARRAY_LEN(t) <= MAX_TABLE_KEYS + 1, #t " is too long")
TABLE_FITS(expr_fields);
TABLE_FITS(selector_fields);
TABLE_FITS(exclude_fields);
TABLE_FITS(override_fields);
TABLE_FITS(exempt_fields);
TABLE_FITS(run_as_non_root_fields);
TABLE_FITS(pinned_tags_fields);
TABLE_FITS(probe_default_fields);
TABLE_FITS(probes_fields);
TABLE_FITS(allowed_registries_fields);
TABLE_FITS(image_pull_policy_fields);
TABLE_FITS(host_namespaces_fields);
TABLE_FITS(host_ports_fields);
TABLE_FITS(host_path_fields);
TABLE_FITS(no_secrets_in_env_fields);
TABLE_FITS(amount_fields);
TABLE_FITS(require_fields);
TABLE_FITS(maximum_fields);
TABLE_FITS(defaults_fields);
TABLE_FITS(resources_fields);
TABLE_FITS(privileged_fields);
TABLE_FITS(allow_privilege_escalation_fields);
TABLE_FITS(capabilities_fields);
TABLE_FITS(read_only_root_filesystem_fields);
TABLE_FITS(seccomp_profile_fields);
TABLE_FITS(rules);
TABLE_FITS(spec_fields);
TABLE_FITS(metadata_fields);
TABLE_FITS(document_fields);

/* ---- walking a mapping against a table ------------------------------- */

/* Levenshtein distance, or a large number for long strings. */
static size_t edit_distance(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    size_t row[64];
    if (la >= ARRAY_LEN(row) || lb >= ARRAY_LEN(row))
        return SIZE_MAX;
    for (size_t j = 0; j <= lb; j++)
        row[j] = j;
    for (size_t i = 1; i <= la; i++) {
        size_t diag = row[0];
        row[0] = i;
        for (size_t j = 1; j <= lb; j++) {
            size_t up = row[j];
            size_t best = diag + (a[i - 1] != b[j - 1]);
            if (up + 1 < best)
                best = up + 1;
            if (row[j - 1] + 1 < best)
                best = row[j - 1] + 1;
            row[j] = best;
            diag = up;
        }
    }
    return row[lb];
}

/* "a, b, c" of the table's keys into `out`; when they do not all fit, as
 * many as do and ", ..." (spec.rules alone has more keys than an error's
 * 256 bytes of text can list). */
static void list_keys(const struct field *fields, char *out, size_t size)
{
    static const char more[] = ", ...";
    size_t used = 0;
    out[0] = '\0';
    for (const struct field *f = fields; f->key; f++) {
        size_t need = strlen(f->key) + (used ? 2 : 0);
        if (used + need + sizeof(more) > size) {
            memcpy(out + used, more, sizeof(more));
            return;
        }
        snprintf(out + used, size - used, "%s%s", used ? ", " : "", f->key);
        used += need;
    }
}

static enum tg_rc unknown_key(struct walk *w, const struct ynode *k,
                              const struct field *fields)
{
    const char *closest = NULL;
    size_t best = 3; /* suggest only for small typos */
    for (const struct field *f = fields; f->key; f++) {
        size_t d = edit_distance(k->value, f->key);
        if (d < best && d < strlen(k->value)) {
            best = d;
            closest = f->key;
        }
    }
    if (closest)
        return fail(w, k, "unknown key \"%s\" (did you mean \"%s\"?)", k->value, closest);
    char known[168]; /* with the path, the key and the words, within 256 */
    list_keys(fields, known, sizeof(known));
    return fail(w, k, "unknown key \"%s\" (expected one of: %s)", k->value, known);
}

static const struct field *find_field(const struct field *fields, const char *key)
{
    for (const struct field *f = fields; f->key; f++) {
        if (strcmp(f->key, key) == 0)
            return f;
    }
    return NULL;
}

static enum tg_rc check_required(struct walk *w, const struct ynode *map,
                                 const struct field *fields, const int *seen_line)
{
    for (size_t i = 0; fields[i].key; i++) {
        if (fields[i].required && !seen_line[i])
            return fail(w, map, "missing required key \"%s\"", fields[i].key);
    }
    return TG_OK;
}

static enum tg_rc apply_fields(struct walk *w, const struct ynode *map,
                               const struct field *fields, void *base)
{
    int seen_line[MAX_TABLE_KEYS] = {0}; /* per field: line where it was set */
    if (map->kind != YNODE_MAPPING)
        return expected(w, map, "a mapping");
    for (const struct ynode *k = map->first; k; k = k->next->next) {
        if (k->kind != YNODE_SCALAR)
            return fail(w, k, "a key must be a plain string, not %s",
                        k->kind == YNODE_MAPPING ? "a mapping" : "a list");
        const struct field *f = find_field(fields, k->value);
        if (!f)
            return unknown_key(w, k, fields);
        size_t idx = (size_t)(f - fields);
        if (seen_line[idx])
            return fail(w, k, "duplicate key \"%s\" (first set on line %d)", f->key,
                        seen_line[idx]);
        seen_line[idx] = k->line;
        size_t old = path_push(w, f->key, 0);
        enum tg_rc rc = f->read(w, f, k->next, base);
        path_pop(w, old);
        if (rc != TG_OK)
            return rc;
    }
    return check_required(w, map, fields, seen_line);
}

void policy_schema_init(struct policy_schema_state *st)
{
    memset(st, 0, sizeof(*st));
}

enum tg_rc policy_schema_apply(struct policy *p, struct policy_schema_state *st,
                               const struct ynode *root, const char *source,
                               struct tg_error *err)
{
    struct walk w = {.p = p, .st = st, .source = source, .err = err};
    if (root->kind != YNODE_MAPPING)
        return expected(&w, root,
                        "a Policy document (a mapping with apiVersion, kind, "
                        "metadata, spec)");
    enum tg_rc rc = apply_fields(&w, root, document_fields, p);
    if (rc == TG_OK)
        st->n_documents++;
    return rc;
}

static enum tg_rc fail_at_mark(struct tg_error *err, const struct schema_mark *m,
                               const char *text)
{
    return tg_error_set(err, TG_EINVAL, m->source, m->line, m->column, "%s", text);
}

/* a > b, both set: "spec.rules.resources.<what_a> (<a>) is above <what_b> (<b>)" */
static enum tg_rc amount_above(const struct schema_mark *m,
                               const struct quantity_setting *a, const char *what_a,
                               const struct quantity_setting *b, const char *what_b,
                               const char *why, struct tg_error *err)
{
    if (!a->set || !b->set || a->milli <= b->milli)
        return TG_OK;
    char text[400];
    snprintf(text, sizeof(text), "spec.rules.resources.%s (%s) is above %s (%s): %s",
             what_a, a->text, what_b, b->text, why);
    return fail_at_mark(err, m, text);
}

/* The resources settings against each other: a default the rule itself
 * would refuse, a default request above the default limit (the API server
 * would refuse the patched pod), or nothing to check at all. */
static enum tg_rc resources_finish(const struct resources_config *r,
                                   const struct schema_mark *m, struct tg_error *err)
{
    static const char *const max_why = "a pod fixed with it would still be refused";
    static const char *const lim_why = "the API server refuses a request above its limit";
    const struct resource_amounts *dr = &r->default_requests, *dl = &r->default_limits;
    enum tg_rc rc = TG_OK;
    if (!m->set || r->common.action == ACTION_OFF)
        return TG_OK;
    bool any_max = r->max_requests.cpu.set || r->max_requests.memory.set ||
                   r->max_limits.cpu.set || r->max_limits.memory.set;
    if (!r->require_requests && !r->require_limits && !any_max)
        return fail_at_mark(
            err, m,
            "spec.rules.resources: nothing to check (require is empty and "
            "no maximum is set); require requests or limits, set a maximum, "
            "or set action: off");
    rc = amount_above(m, &dr->cpu, "defaults.requests.cpu", &r->max_requests.cpu,
                      "maximum.requests.cpu", max_why, err);
    if (rc == TG_OK)
        rc = amount_above(m, &dr->memory, "defaults.requests.memory",
                          &r->max_requests.memory, "maximum.requests.memory", max_why,
                          err);
    if (rc == TG_OK)
        rc = amount_above(m, &dl->cpu, "defaults.limits.cpu", &r->max_limits.cpu,
                          "maximum.limits.cpu", max_why, err);
    if (rc == TG_OK)
        rc = amount_above(m, &dl->memory, "defaults.limits.memory", &r->max_limits.memory,
                          "maximum.limits.memory", max_why, err);
    if (rc == TG_OK)
        rc = amount_above(m, &dr->cpu, "defaults.requests.cpu", &dl->cpu,
                          "defaults.limits.cpu", lim_why, err);
    if (rc == TG_OK)
        rc = amount_above(m, &dr->memory, "defaults.requests.memory", &dl->memory,
                          "defaults.limits.memory", lim_why, err);
    return rc;
}

enum tg_rc policy_schema_finish(const struct policy *p,
                                const struct policy_schema_state *st,
                                struct tg_error *err)
{
    if (p->probes.common.action != ACTION_OFF && p->probes.required == 0)
        return fail_at_mark(err, &st->probes_require,
                            "spec.rules.probes.require: the list is empty; name at least "
                            "one probe or set the rule's action to off");
    const struct allowed_registries_config *ar = &p->allowed_registries;
    if (st->registries_rule.set && ar->common.action != ACTION_OFF &&
        ar->registries.n == 0)
        return fail_at_mark(err, &st->registries_rule,
                            "spec.rules.allowedRegistries: no registries are listed, so "
                            "the rule would allow every image; list registries or set "
                            "action: off");
    return resources_finish(&p->resources, &st->resources_rule, err);
}
