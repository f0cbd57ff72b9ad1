/* manifest.h -- Kubernetes manifests from files: YAML or JSON in, JSON out.
 *
 * `tollgate check` reads what people keep in their repositories and what
 * `kubectl get -o json|yaml` prints: one or many YAML documents ("---"), a
 * JSON value or a stream of them, and `kind: List` or any `*List` kind
 * (items are flattened into separate objects).  YAML is turned into jansson
 * values with the scalar typing that kubectl applies (sigs.k8s.io/yaml on
 * go-yaml v2, YAML 1.1): plain `true`/`false` (and yes/no/on/off) are
 * booleans, plain integers and floats are numbers, `null`/`~`/empty are null,
 * quoted scalars are always strings.  Anchors and aliases are expanded with
 * a bound on the total size (no "billion laughs"); nesting deeper than
 * MANIFEST_MAX_DEPTH is an error, as are non-string mapping keys.
 * Pure apart from the bytes given; thread-safe.
 */
#ifndef TOLLGATE_MANIFEST_H
#define TOLLGATE_MANIFEST_H

#include <jansson.h>
#include <stddef.h>

#include "buf.h"
#include "error.h"

#define MANIFEST_MAX_DEPTH 512

/* Most values that YAML aliases may copy in one input: far above what
 * anchors for shared env lists or resources need, far below what a
 * "billion laughs" document would take. */
#define MANIFEST_MAX_ALIAS_NODES 100000

enum manifest_format { MANIFEST_YAML, MANIFEST_JSON };

struct manifest_doc {
    json_t *object; /* owned (one reference) */
    int line;       /* 1-based line where this object starts in the source */
};

struct manifest_set {
    struct manifest_doc *docs; /* owned */
    size_t n;
    enum manifest_format format; /* what the input was, for output in kind */
};

/* Parse all documents of `data`.  `source` names the input in errors
 * ("deploy.yaml", "<stdin>").  Empty documents are skipped; a document that
 * is not a mapping is an error.  On failure err has source, line, column.
 * On success *out (caller storage) holds the objects; release with
 * manifest_set_cleanup. */
TG_MUST_CHECK enum tg_rc manifest_load(const char *data, size_t len, const char *source,
                                       struct manifest_set *out, struct tg_error *err);

void manifest_set_cleanup(struct manifest_set *set); /* NULL-safe */

/* Write `objects` (an array of JSON objects) back in `format`: YAML as
 * "---"-separated block documents whose scalars keep their types on a
 * round trip (strings that would read as another type are quoted), JSON as
 * one pretty-printed value per object.  Used by `tollgate check --fix`. */
TG_MUST_CHECK enum tg_rc manifest_emit(const json_t *objects, enum manifest_format format,
                                       struct buf *out, struct tg_error *err);

#endif
