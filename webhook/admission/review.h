/* review.h -- decoding an AdmissionReview request.
 *
 * The API server posts {"apiVersion":"admission.k8s.io/v1" (or v1beta1),
 * "kind":"AdmissionReview","request":{uid, kind, resource, subResource,
 * namespace, name, operation, userInfo, object, oldObject, dryRun, ...}}.
 * review_decode checks what tollgate relies on and borrows the rest: a
 * struct review owns the parsed document, and every string and object in
 * it points into that document.
 * Pure; a review is used by one thread at a time.
 */
#ifndef TOLLGATE_REVIEW_H
#define TOLLGATE_REVIEW_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "error.h"

struct review {
    json_t *root;            /* owned: the whole document */
    const char *api_version; /* "admission.k8s.io/v1" or ".../v1beta1" */
    const char *uid;
    const char *kind;         /* request.kind.kind ("Pod"), "" if absent */
    const char *sub_resource; /* "" or "ephemeralcontainers", ... */
    const char *operation;    /* CREATE, UPDATE, DELETE, CONNECT */
    const char *namespace_;   /* "" for cluster-scoped objects */
    const char *name;         /* may be "" (generateName) */
    const char *username;     /* request.userInfo.username, "" if absent */
    bool dry_run;
    json_t *object;     /* borrowed from root; NULL for DELETE and CONNECT, never for
                           CREATE or UPDATE (review_decode refuses those) */
    json_t *old_object; /* borrowed from root; set for UPDATE (and DELETE) */
};

/* Decode `len` bytes of `body`, leaving the object or array values of
 * `raw_members` (NULL-terminated; NULL for none) as strings of their JSON
 * text (jsondec.h, struct jsondec_opts).  TG_EINVAL with a one-line reason
 * fit for an HTTP 400 body when the JSON is malformed (with line and
 * column), the apiVersion or kind is not an AdmissionReview tollgate
 * speaks, request.uid is missing, or a CREATE or UPDATE carries no
 * object (DELETE and CONNECT need none); TG_ENOMEM on allocation failure.  On
 * success *out owns a new review (review_free). */
TG_MUST_CHECK enum tg_rc review_decode(const char *body, size_t len,
                                       const char *const *raw_members,
                                       struct review **out, struct tg_error *err);

void review_free(struct review *rv); /* NULL-safe */

/* review_free() for a review decoded into a JSON arena that holds all of
 * its tree (alloc_json_arena_holds_all()), and to which nothing was added
 * since: the tree is not walked and released node by node, because the
 * caller's arena_reset() releases it at once.  Walking it cost ~8% of the
 * server's CPU per typical review (bench/README.md). */
void review_free_arena_tree(struct review *rv);

/* The object's metadata.name, or its generateName followed by "*" into
 * `buf` when it has no name yet (pods of a Deployment), for logs. */
const char *review_display_name(const struct review *rv, char *buf, size_t len);

#endif
