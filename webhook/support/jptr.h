/* jptr.h -- JSON Pointers (RFC 6901) for findings and patches.
 *
 * Every finding names the field it is about ("/spec/containers/1/image"),
 * and every patch operation a path; both are built here so the escaping
 * ('~' -> "~0", '/' -> "~1") is done in one place.  Pure; thread-safe.
 */
#ifndef TOLLGATE_JPTR_H
#define TOLLGATE_JPTR_H

#include <jansson.h>
#include <stddef.h>

#include "arena.h"

/* base + "/" + escaped token, from `a`; NULL if `a` is full. */
char *jptr_child(struct arena *a, const char *base, const char *token);

/* base + "/" + index, from `a`; NULL if `a` is full. */
char *jptr_index(struct arena *a, const char *base, size_t index);

/* One step below `cur`: its member `token` (unescaped), or its element at
 * index `token` ("0" or digits without a leading zero, as RFC 6901 says);
 * NULL when there is none.  Borrowed reference, mutable because jansson's
 * getters hand back mutable children. */
json_t *jptr_step(const json_t *cur, const char *token);

/* The value at `pointer` inside `root`, or NULL when a step is missing or
 * the pointer is malformed.  "" is the root itself.  Borrowed reference. */
const json_t *jptr_get(const json_t *root, const char *pointer);

/* The same for a document the caller may change (patch application). */
json_t *jptr_get_mut(json_t *root, const char *pointer);

/* Split `pointer` into its parent (written to `parent`, at most
 * parent_len bytes) and its last token, unescaped (to `token`).  Returns
 * 0, or -1 when the pointer is "" or a buffer is too small. */
int jptr_split(const char *pointer, char *parent, size_t parent_len, char *token,
               size_t token_len);

#endif
