/* policy_yaml.h -- one YAML document read into a small tree, for the
 * policy loader.
 *
 * libyaml's events are turned into nodes that remember their 1-based line
 * and column, so the schema (policy_schema.h) can walk the document in any
 * order and still point at the exact place of a mistake.  Only what a
 * policy file needs is accepted; everything else is an error with a
 * position rather than a surprise later:
 *   - exactly one document (an empty stream is an error: a policy file that
 *     lost its contents must not silently mean "defaults");
 *   - no aliases (they make a small file expand into a huge tree) and no
 *     explicit tags ("!!str"): the schema decides what a scalar means;
 *   - at most POLICY_YAML_MAX_DEPTH levels of nesting and
 *     POLICY_YAML_MAX_NODES nodes;
 *   - no NUL bytes inside scalars.
 * Scalars are kept as text: libyaml resolves no types, so `off` stays the
 * string "off" and `yes` is not a boolean.
 * Pure; thread-safe (no shared state).
 */
#ifndef TOLLGATE_POLICY_YAML_H
#define TOLLGATE_POLICY_YAML_H

#include <stdbool.h>
#include <stddef.h>

#include "arena.h"
#include "error.h"

#define POLICY_YAML_MAX_DEPTH 32
#define POLICY_YAML_MAX_NODES 100000

enum ynode_kind {
    YNODE_SCALAR,
    YNODE_SEQUENCE,
    YNODE_MAPPING,
};

struct ynode {
    enum ynode_kind kind;
    int line, column;  /* 1-based start of the node */
    const char *value; /* scalar text, NUL-terminated; NULL for collections */
    bool quoted;       /* written in quotes or as a block scalar, not plain */
    /* Children in document order; a mapping alternates key, value. */
    struct ynode *first;
    struct ynode *last;
    struct ynode *next; /* next sibling */
    size_t n_children;  /* a mapping counts keys and values */
};

/* Parse `len` bytes of `data` into a tree whose nodes and strings all come
 * from `a` (the caller frees them with the arena).  `source` names the text
 * in errors.  On success *root is the document's top node.  Errors:
 * TG_EINVAL (syntax, several documents, empty stream, alias, tag, NUL) and
 * TG_ETOOBIG (too deep, too many nodes), with err's line and column set;
 * TG_ENOMEM. */
TG_MUST_CHECK enum tg_rc policy_yaml_parse(const char *data, size_t len,
                                           const char *source, struct arena *a,
                                           struct ynode **root, struct tg_error *err);

/* A plain scalar that YAML would read as null: empty, "~", "null". */
bool policy_yaml_is_null(const struct ynode *n);

/* "a mapping", "a list", "an empty value" or "the string \"...\"" (the
 * value shortened to fit) into `out`, for "expected X, got Y" messages. */
void policy_yaml_describe(const struct ynode *n, char *out, size_t out_len);

#endif
