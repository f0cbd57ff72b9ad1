/* yaml_write.h -- one JSON object as a block-style YAML document.
 *
 * What `tollgate check --fix` writes back for YAML input, in the shape
 * kubectl prints: mappings keep their key order, nested mappings indent by
 * two spaces, list items start with "- " at the indentation of their key.
 * Scalars keep their JSON types when read back (yaml_read.h): a string is
 * written plain only when yaml_resolve_plain() would read it back as that
 * same string and no YAML indicator could misread it, so "true", "1000",
 * "null", "", " x", "a: b", "#x", "-x", "*x" ... are double-quoted (with
 * escapes for control and non-printable characters).  A multi-line string
 * becomes a literal block ("|", "|-" or "|+" to keep its trailing newlines)
 * when that reads back exactly, and a quoted string otherwise.  Comments and
 * anchors of the original file are not reproduced.
 * No globals; thread-safe.
 */
#ifndef TOLLGATE_YAML_WRITE_H
#define TOLLGATE_YAML_WRITE_H

#include <jansson.h>

#include "buf.h"
#include "error.h"

/* Append `doc` (a JSON object) as one YAML document, newline-terminated and
 * without a "---" line, to `out`.  TG_EINVAL when `doc` is not an object or
 * nests deeper than YAML_READ_MAX_DEPTH; TG_ENOMEM or TG_ETOOBIG (out's cap)
 * from the buffer.  On failure `out` may hold part of the document.
 * `doc` is only read (it is not const because jansson's object iterators
 * take a plain json_t *). */
TG_MUST_CHECK enum tg_rc yaml_write_doc(json_t *doc, struct buf *out,
                                        struct tg_error *err);

#endif
