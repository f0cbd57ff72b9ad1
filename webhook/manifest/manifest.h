/* manifest.h -- Kubernetes manifests from files: YAML or JSON in, JSON out.
 *
 * `tollgate check` reads what people keep in their repositories and what
 * `kubectl get -o json|yaml` prints: one or many YAML documents ("---"), a
 * JSON value or a stream of them, and `kind: List` or any `*List` kind with
 * an `items` array (items are flattened into separate objects).  As kubectl
 * decides, input whose first non-space byte is `{` or `[` is JSON (parsed
 * with duplicate keys refused), anything else YAML.  YAML becomes jansson
 * values with kubectl's typing (sigs.k8s.io/yaml on go-yaml v2, YAML 1.1;
 * the rules are in yaml_resolve.h, the reader in yaml_read.h): plain
 * true/yes/on/y and false/no/off/n are booleans, plain integers (also 0x1F,
 * 0o17, 017, 1_000) and floats are numbers, null/~/empty are null, quoted
 * and block scalars are strings, int/bool keys become their text ("1",
 * "true").  Aliases are expanded into copies, at most
 * MANIFEST_MAX_ALIAS_NODES values per input; the merge key `<<` works.
 * Nesting deeper than MANIFEST_MAX_DEPTH, duplicate keys, non-scalar keys,
 * .inf/.nan values (no JSON form) and documents that are not mappings are
 * errors.  Every error names the source with a 1-based line and column
 * (column 0 when only the line is known) and says what to fix.
 * Pure apart from the bytes given; thread-safe.
 */
#ifndef TOLLGATE_MANIFEST_H
#define TOLLGATE_MANIFEST_H

#include <jansson.h>
#include <stddef.h>

#include "buf.h"
#include "error.h"
#include "yaml_read.h"

/* The reader's limits (yaml_read.h), which JSON input shares. */
#define MANIFEST_MAX_DEPTH YAML_READ_MAX_DEPTH
#define MANIFEST_MAX_ALIAS_NODES YAML_READ_MAX_ALIAS_NODES

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

/* Parse all documents of data[0..len) (need not be NUL-terminated).
 * `source` names the input in errors ("deploy.yaml", "<stdin>"; NULL gives
 * "<input>").  Empty and null documents are skipped, so *out may hold no
 * objects.  Each doc's line is where its mapping starts; objects from a
 * List carry the line of the List, and items of a typed list (PodList,
 * DeploymentList) without their own kind/apiVersion get them from the list.
 * Returns TG_EINVAL for malformed or refused input, TG_ENOMEM when memory
 * runs out; err (may be NULL) then has source, line, column and text, and
 * *out is untouched.  On success *out (caller storage) owns the objects;
 * release with manifest_set_cleanup. */
TG_MUST_CHECK enum tg_rc manifest_load(const char *data, size_t len, const char *source,
                                       struct manifest_set *out, struct tg_error *err);

/* Drop the objects and the array; `set` may be reused.  NULL-safe. */
void manifest_set_cleanup(struct manifest_set *set);

/* Append `objects` (a JSON array of objects, only read) to `out` in
 * `format`.  YAML: block documents separated by "---" lines, keys in
 * order, strings quoted wherever a plain scalar would read back as another
 * type or break the syntax, multi-line strings as literal blocks (see
 * yaml_write.h); comments and anchors of the source are not kept.  JSON:
 * each object pretty-printed (2-space indent, keys in order) on its own,
 * newline-terminated.  Either way manifest_load() of the text gives the
 * same objects back.  All or nothing: on failure `out` is unchanged.
 * TG_EINVAL when `objects` is not an array of objects or nests deeper than
 * MANIFEST_MAX_DEPTH, TG_ETOOBIG past out's cap, TG_ENOMEM.  Used by
 * `tollgate check --fix`. */
TG_MUST_CHECK enum tg_rc manifest_emit(const json_t *objects, enum manifest_format format,
                                       struct buf *out, struct tg_error *err);

#endif
