/* policy_yaml.c -- libyaml events to a tree of positioned nodes.
 *
 * The event API (rather than yaml_parser_load) lets us refuse aliases and
 * tags where they appear and stop at the depth limit before libyaml has
 * built anything, so a hostile file costs at most POLICY_YAML_MAX_NODES nodes.
 */
#include "policy_yaml.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <yaml.h>

struct builder {
    const char *data; /* the text, to explain some syntax errors */
    size_t len;
    struct arena *a;
    const char *source;
    struct tg_error *err;
    struct ynode *stack[POLICY_YAML_MAX_DEPTH]; /* open collections, innermost last */
    size_t depth;
    size_t n_nodes;
    int n_docs;
    struct ynode *root;
};

static enum tg_rc fail(struct builder *b, enum tg_rc rc, yaml_mark_t m, const char *fmt,
                       ...) TG_PRINTF(4, 5);

/* libyaml marks count from 0; our messages count from 1. */
static enum tg_rc fail(struct builder *b, enum tg_rc rc, yaml_mark_t m, const char *fmt,
                       ...)
{
    char text[400];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof(text), fmt, ap);
    va_end(ap);
    return tg_error_set(b->err, rc, b->source, (int)m.line + 1, (int)m.column + 1, "%s",
                        text);
}

static enum tg_rc no_memory(struct builder *b)
{
    return tg_error_set(b->err, TG_ENOMEM, b->source, 0, 0,
                        "out of memory while reading the policy");
}

static enum tg_rc add_node(struct builder *b, enum ynode_kind kind, yaml_mark_t m,
                           struct ynode **out)
{
    if (++b->n_nodes > POLICY_YAML_MAX_NODES)
        return fail(b, TG_ETOOBIG, m, "more than %d YAML nodes in one policy file",
                    POLICY_YAML_MAX_NODES);
    struct ynode *n = arena_zalloc(b->a, sizeof(*n));
    if (!n)
        return no_memory(b);
    n->kind = kind;
    n->line = (int)m.line + 1;
    n->column = (int)m.column + 1;
    if (b->depth == 0) {
        b->root = n;
    } else {
        struct ynode *parent = b->stack[b->depth - 1];
        if (parent->last)
            parent->last->next = n;
        else
            parent->first = n;
        parent->last = n;
        parent->n_children++;
    }
    *out = n;
    return TG_OK;
}

static enum tg_rc open_collection(struct builder *b, const yaml_event_t *ev,
                                  enum ynode_kind kind, const yaml_char_t *tag)
{
    if (tag)
        return fail(b, TG_EINVAL, ev->start_mark,
                    "YAML tags (\"%s\") are not supported in policy files",
                    (const char *)tag);
    if (b->depth == POLICY_YAML_MAX_DEPTH)
        return fail(b, TG_ETOOBIG, ev->start_mark,
                    "nesting deeper than %d levels; a policy is never this deep",
                    POLICY_YAML_MAX_DEPTH);
    struct ynode *n;
    enum tg_rc rc = add_node(b, kind, ev->start_mark, &n);
    if (rc != TG_OK)
        return rc;
    b->stack[b->depth++] = n;
    return TG_OK;
}

static enum tg_rc add_scalar(struct builder *b, const yaml_event_t *ev)
{
    const char *value = (const char *)ev->data.scalar.value;
    size_t len = ev->data.scalar.length;
    if (ev->data.scalar.tag)
        return fail(b, TG_EINVAL, ev->start_mark,
                    "YAML tags (\"%s\") are not supported in policy files",
                    (const char *)ev->data.scalar.tag);
    if (memchr(value, '\0', len))
        return fail(b, TG_EINVAL, ev->start_mark, "a NUL character inside a string");
    struct ynode *n;
    enum tg_rc rc = add_node(b, YNODE_SCALAR, ev->start_mark, &n);
    if (rc != TG_OK)
        return rc;
    n->value = arena_strndup(b->a, value, len);
    if (!n->value)
        return no_memory(b);
    n->quoted = ev->data.scalar.style != YAML_PLAIN_SCALAR_STYLE;
    return TG_OK;
}

static enum tg_rc handle_event(struct builder *b, const yaml_event_t *ev)
{
    switch (ev->type) {
    case YAML_DOCUMENT_START_EVENT:
        if (b->n_docs++ > 0)
            return fail(b, TG_EINVAL, ev->start_mark,
                        "a second YAML document; a policy file holds exactly one "
                        "(put each policy in its own file)");
        return TG_OK;
    case YAML_MAPPING_START_EVENT:
        return open_collection(b, ev, YNODE_MAPPING, ev->data.mapping_start.tag);
    case YAML_SEQUENCE_START_EVENT:
        return open_collection(b, ev, YNODE_SEQUENCE, ev->data.sequence_start.tag);
    case YAML_MAPPING_END_EVENT:
    case YAML_SEQUENCE_END_EVENT:
        b->depth--; /* libyaml guarantees balanced start/end events */
        return TG_OK;
    case YAML_SCALAR_EVENT:
        return add_scalar(b, ev);
    case YAML_ALIAS_EVENT:
        return fail(b, TG_EINVAL, ev->start_mark,
                    "YAML aliases (*%s) are not supported in policy files; "
                    "write the value out",
                    (const char *)ev->data.alias.anchor);
    case YAML_STREAM_END_EVENT:
        if (!b->root)
            return tg_error_set(b->err, TG_EINVAL, b->source, 1, 1,
                                "the file is empty (expected a Policy document: "
                                "apiVersion: tollgate.dev/v1, kind: Policy, ...)");
        return TG_OK;
    default: /* stream start, document end */
        return TG_OK;
    }
}

/* libyaml's reader (encoding) errors carry a byte offset, not a mark. */
static enum tg_rc reader_error(struct builder *b, const yaml_parser_t *parser)
{
    yaml_mark_t m = {0};
    size_t end = parser->problem_offset < b->len ? parser->problem_offset : b->len;
    for (size_t i = 0; i < end; i++) {
        if (b->data[i] == '\n') {
            m.line++;
            m.column = 0;
        } else if (((unsigned char)b->data[i] & 0xc0) != 0x80) {
            m.column++; /* count characters, not UTF-8 continuation bytes */
        }
    }
    const char *problem = parser->problem ? parser->problem : "unreadable input";
    if (parser->problem_value >= 0)
        return fail(b, TG_EINVAL, m,
                    "YAML syntax error: %s (byte 0x%02x); policy files are "
                    "UTF-8 text",
                    problem, (unsigned)parser->problem_value & 0xffu);
    return fail(b, TG_EINVAL, m, "YAML syntax error: %s", problem);
}

static enum tg_rc syntax_error(struct builder *b, const yaml_parser_t *parser)
{
    if (parser->error == YAML_MEMORY_ERROR)
        return no_memory(b);
    if (parser->error == YAML_READER_ERROR)
        return reader_error(b, parser);
    const char *problem = parser->problem ? parser->problem : "unknown problem";
    size_t at = parser->problem_mark.index;
    if (at < b->len && b->data[at] == '\t') /* libyaml's own message does not say */
        return fail(b, TG_EINVAL, parser->problem_mark,
                    "YAML syntax error: a tab character; YAML indents with spaces only");
    if (parser->context)
        return fail(b, TG_EINVAL, parser->problem_mark, "YAML syntax error: %s %s",
                    problem, parser->context);
    return fail(b, TG_EINVAL, parser->problem_mark, "YAML syntax error: %s", problem);
}

enum tg_rc policy_yaml_parse(const char *data, size_t len, const char *source,
                             struct arena *a, struct ynode **root, struct tg_error *err)
{
    struct builder b = {.data = data, .len = len, .a = a, .source = source, .err = err};
    yaml_parser_t parser;
    if (!yaml_parser_initialize(&parser))
        return no_memory(&b);
    yaml_parser_set_input_string(&parser, (const unsigned char *)data, len);
    enum tg_rc rc = TG_OK;
    bool done = false;
    while (!done) {
        yaml_event_t ev;
        if (!yaml_parser_parse(&parser, &ev)) {
            rc = syntax_error(&b, &parser);
            break;
        }
        done = ev.type == YAML_STREAM_END_EVENT;
        rc = handle_event(&b, &ev);
        yaml_event_delete(&ev);
        if (rc != TG_OK)
            break;
    }
    yaml_parser_delete(&parser);
    if (rc == TG_OK)
        *root = b.root;
    return rc;
}

bool policy_yaml_is_null(const struct ynode *n)
{
    if (n->kind != YNODE_SCALAR || n->quoted)
        return false;
    return n->value[0] == '\0' || strcmp(n->value, "~") == 0 ||
           strcmp(n->value, "null") == 0 || strcmp(n->value, "Null") == 0 ||
           strcmp(n->value, "NULL") == 0;
}

void policy_yaml_describe(const struct ynode *n, char *out, size_t out_len)
{
    if (n->kind == YNODE_MAPPING)
        snprintf(out, out_len, "a mapping");
    else if (n->kind == YNODE_SEQUENCE)
        snprintf(out, out_len, "a list");
    else if (policy_yaml_is_null(n))
        snprintf(out, out_len, "an empty value");
    else if (strlen(n->value) > 40)
        snprintf(out, out_len, "\"%.40s...\"", n->value);
    else
        snprintf(out, out_len, "\"%s\"", n->value);
}
