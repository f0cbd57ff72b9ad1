/* respond.h -- encoding the AdmissionReview response.
 *
 * The response carries the request's apiVersion and uid (the API server
 * rejects anything else), `allowed`, a status {code, reason, message} when
 * denied, warnings, auditAnnotations, and for a patch patchType JSONPatch
 * with the operations base64-encoded.
 * Pure; thread-safe.
 */
#ifndef TOLLGATE_RESPOND_H
#define TOLLGATE_RESPOND_H

#include <stddef.h>

#include "decide.h"
#include "error.h"

/* Encode `v` as the answer to (api_version, uid) into a new string that
 * the caller frees with tg_free(); its length goes to *len.  `status_code`
 * is used when denying (403 for a policy denial, 400 for an object tollgate
 * cannot read, 500 for an internal-error denial).  TG_ENOMEM on failure. */
TG_MUST_CHECK enum tg_rc respond_encode(const char *api_version, const char *uid,
                                        const struct verdict *v, int status_code,
                                        char **out, size_t *len);

#endif
