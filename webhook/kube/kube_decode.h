/* kube_decode.h -- an API server's answer body to one JSON object.
 *
 * What kube_client makes of a 2xx body, on its own so that it can be tested
 * and measured (bench_audit) without a server.  The body is decoded with
 * tollgate's jsondec (jsondec.h): the tree json_loadb(JSON_REJECT_DUPLICATES)
 * would build -- the same values, the same rejections -- at a third of the
 * CPU or less (bench/README.md).  Members named in raw_keys may be left as
 * their JSON text instead of being built (jsondec_opts): in a list of pods,
 * the managedFields, status and annotations nobody reads cost over a third
 * of the decoding and half the tree.
 *
 * What a body gives:
 *   - empty: an empty object (a DELETE through some proxies answers so);
 *   - JSON text that ends before its value does (the connection closed in
 *     the middle of it): TG_EIO, KUBE_FAULT_TRUNCATED;
 *   - anything else that is not JSON (including trailing bytes, invalid
 *     UTF-8, a duplicate key outside a raw value) or JSON that is not an
 *     object: TG_EIO, KUBE_FAULT_BODY, with the line and column and reason;
 *   - TG_ENOMEM (KUBE_FAULT_LOCAL) when an allocation fails.
 * err->http_code is left 0: the caller knows the status.
 * Pure; thread-safe (no shared state).
 */
#ifndef TOLLGATE_KUBE_DECODE_H
#define TOLLGATE_KUBE_DECODE_H

#include <jansson.h>
#include <stddef.h>

#include "error.h"
#include "kube_error.h"

struct kube_body {
    const char *text; /* `len` bytes, need not be NUL-terminated; borrowed */
    size_t len;
    /* Members whose object or array values are kept as one string of
     * their JSON text (jsondec_opts.raw_keys: at any depth, NULL-terminated);
     * NULL builds everything.  Only for members the caller never reads:
     * a raw array looks like a string. */
    const char *const *raw_keys;
};

/* Decode `body` into *out, a new reference to an object (the caller
 * releases it), for the call named `call` ("GET /api/v1/pods", may be
 * NULL), which becomes err's source.  *out is written only on TG_OK;
 * errors as above.  `err` may be NULL. */
TG_MUST_CHECK enum tg_rc kube_decode_object(const struct kube_body *body,
                                            const char *call, json_t **out,
                                            struct kube_error *err);

#endif
