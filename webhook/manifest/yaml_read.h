/* yaml_read.h -- YAML text to jansson values, one per document.
 *
 * Reads a multi-document YAML stream with libyaml's event parser and builds
 * each document as JSON the way kubectl would see it (typing in
 * yaml_resolve.h; quoted and block scalars are strings; tags !!str, !!int,
 * !!float, !!bool, !!null are honoured, !!timestamp and local tags give
 * strings, !!binary is refused).  Mapping keys must be scalars; int, float
 * and bool keys become their text ("1", "true"), as sigs.k8s.io/yaml does,
 * and a key that repeats in one mapping is an error.  Anchors and aliases
 * are expanded into independent copies (changing one never changes
 * another), with at most YAML_READ_MAX_ALIAS_NODES nodes copied per input;
 * the merge key `<<: *base` (or a list of aliases) adds the keys the mapping
 * does not set itself.  Containers nest at most YAML_READ_MAX_DEPTH deep.
 * Errors carry the source, the 1-based line and column, and say what is
 * wrong in words (libyaml's own texts are rewritten).
 * No globals; thread-safe.
 */
#ifndef TOLLGATE_YAML_READ_H
#define TOLLGATE_YAML_READ_H

#include <jansson.h>
#include <stddef.h>

#include "error.h"

#define YAML_READ_MAX_DEPTH 512

/* Most values that YAML aliases may copy in one input: far above what
 * anchors for shared env lists or resources need, far below what a
 * "billion laughs" document would take. */
#define YAML_READ_MAX_ALIAS_NODES 100000

/* Where documents go.  `add` gets each document's root in order: a new
 * reference it must release even when it fails (json null for an empty
 * document), and the 1-based line and column where the root node starts.
 * A failure it returns (with err filled) stops the reading. */
struct yaml_read_sink {
    enum tg_rc (*add)(void *ctx, json_t *root, int line, int column,
                      struct tg_error *err);
    void *ctx;
};

/* Read every document of data[0..len) into `sink`.  `source` names the
 * input in errors.  TG_EINVAL for malformed or refused YAML, TG_ENOMEM when
 * memory runs out; documents already handed to the sink stay with it. */
TG_MUST_CHECK enum tg_rc yaml_read_docs(const char *data, size_t len, const char *source,
                                        const struct yaml_read_sink *sink,
                                        struct tg_error *err);

#endif
