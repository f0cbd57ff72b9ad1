/* jsonpatch_ref.h -- an independent RFC 6902 applier for the tests.
 *
 * Written separately from webhook/engine/patch.c (different pointer parsing,
 * recursive descent) so that a patch tollgate builds is checked by code
 * that does not share its mistakes.  Supports add, replace, remove and
 * test, with RFC 6901 escapes and "-" for appending to arrays.
 */
#ifndef TOLLGATE_JSONPATCH_REF_H
#define TOLLGATE_JSONPATCH_REF_H

#include <jansson.h>

/* Apply `patch` (an array of operations) to `doc` in place.  Returns 0, or
 * -1 with a reason in `why` (at least 256 bytes) when an operation fails
 * as RFC 6902 says it must (missing parent, bad index, failed test...). */
int jsonpatch_ref_apply(json_t *doc, const json_t *patch, char *why);

#endif
