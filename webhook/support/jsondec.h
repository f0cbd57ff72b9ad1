/* jsondec.h -- a fast JSON decoder that builds jansson values.
 *
 * The request body is decoded on every admission, and jansson's own
 * json_loadb reads it a character at a time through a stream and a string
 * buffer: bench/run measured ~90 us for the 7 KB typical review, most of
 * tollgate's CPU per request.  This decoder scans the bytes in place and
 * builds the same tree with jansson's constructors, so everything after
 * decoding (review, workload, engine, decide) is unchanged.
 *
 * It accepts exactly what json_loadb(text, len, JSON_REJECT_DUPLICATES)
 * accepts: RFC 8259 JSON with an object or array at the top, valid UTF-8,
 * no "\u0000" in strings, no duplicate keys, integers that fit json_int_t,
 * finite reals, at most 2048 levels of nesting (jansson's limit).  Numbers
 * become integers or reals by the same rule (a fraction or an exponent
 * makes a real).  Thread-safe: no shared state; allocates through jansson
 * (tg_malloc once alloc_json_install has run).
 */
#ifndef TOLLGATE_JSONDEC_H
#define TOLLGATE_JSONDEC_H

#include <jansson.h>
#include <stddef.h>

#include "error.h"

/* Decode `len` bytes of `text` (need not be NUL-terminated) into a new
 * reference in *out.  TG_EINVAL: malformed; err gets the 1-based line and
 * column (in characters, as jansson counts) of the offending byte and a
 * one-line reason, with `source` (may be NULL) as its source.  TG_ENOMEM:
 * an allocation failed.  *out is written only on success. */
TG_MUST_CHECK enum tg_rc jsondec_parse(const char *text, size_t len, const char *source,
                                       json_t **out, struct tg_error *err);

/* What to leave unbuilt.  raw_keys (NULL-terminated; NULL for none): an
 * object or array that is the value of a member with one of these names,
 * at any depth, is checked like any other value but kept as one string
 * holding its JSON text exactly as in the input, not built into a tree:
 * no allocation or key hashing per member.  Scalars are always built.
 * The one difference in what is accepted: a duplicate key inside such a
 * value is not looked for (nothing is kept that it could hide). */
struct jsondec_opts {
    const char *const *raw_keys;
};

/* jsondec_parse with options (NULL: the same as jsondec_parse). */
TG_MUST_CHECK enum tg_rc jsondec_parse_opts(const char *text, size_t len,
                                            const char *source,
                                            const struct jsondec_opts *opts, json_t **out,
                                            struct tg_error *err);

#endif
