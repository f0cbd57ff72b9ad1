/* yaml_resolve.h -- what type a plain YAML scalar has, the way kubectl sees it.
 *
 * kubectl turns YAML into JSON with sigs.k8s.io/yaml, which resolves plain
 * (unquoted, untagged) scalars with go-yaml v2's YAML 1.1 rules:
 *   null:  "", ~, null, Null, NULL
 *   bool:  y Y yes Yes YES true True TRUE on On ON, and n N no No NO false
 *          False FALSE off Off OFF
 *   int:   Go's strconv.ParseInt(s, 0, 64) after removing every '_':
 *          1000, -7, +3, 0x1F, 0o17, 017 (octal), 0b101
 *   float: [-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?, also
 *          .inf, -.inf, +.inf, .nan (and their Inf/INF/NaN/NAN spellings);
 *          a float too large for a double stays a string, as in go-yaml
 *   merge: "<<" (only meaningful as a mapping key)
 *   everything else, timestamps included, is a string.
 * The reader uses this to type values and the writer to decide which
 * strings must be quoted so that they read back as strings: one table for
 * both directions keeps the round trip exact.
 * Known gaps against go-yaml: integers above INT64_MAX become floats (Go
 * gives uint64), and numeric-looking scalars longer than
 * YAML_RESOLVE_MAX_NUMBER bytes stay strings.
 * Pure and thread-safe.
 */
#ifndef TOLLGATE_YAML_RESOLVE_H
#define TOLLGATE_YAML_RESOLVE_H

#include <stddef.h>

#define YAML_RESOLVE_MAX_NUMBER 255

enum yaml_resolved_kind {
    YAML_RESOLVED_STR,
    YAML_RESOLVED_NULL,
    YAML_RESOLVED_BOOL,
    YAML_RESOLVED_INT,
    YAML_RESOLVED_FLOAT, /* may be infinite or NaN: JSON cannot hold those */
    YAML_RESOLVED_MERGE,
};

struct yaml_resolved {
    enum yaml_resolved_kind kind;
    int boolean;       /* YAML_RESOLVED_BOOL */
    long long integer; /* YAML_RESOLVED_INT */
    double real;       /* YAML_RESOLVED_FLOAT */
};

/* Resolve the plain scalar s[0..len) (need not be NUL-terminated).  Never
 * fails: anything that is not another type is YAML_RESOLVED_STR. */
void yaml_resolve_plain(const char *s, size_t len, struct yaml_resolved *out);

#endif
