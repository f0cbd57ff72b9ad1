/* kube_list.h -- list a resource, page by page, one item at a time.
 *
 * The API server pages a list when asked (`limit`) and hands back an opaque
 * `metadata.continue` token for the next page; all pages show the one
 * snapshot of the first (its resourceVersion).  kube_list walks the pages
 * and gives the caller each item, so memory is bounded by one page (its
 * body, at most the client's max_body, and its JSON), never by the cluster.
 *
 * Items of a list carry no `kind` or `apiVersion` (the API server leaves
 * them out); kube_list puts the list's on each, so the engine (workload.h)
 * finds the pod specs.  The list's own kind must be the resource's kind +
 * "List" and its apiVersion the resource's group/version, else the list
 * fails with KUBE_FAULT_BODY ("wrong kind"): a proxy or a misrouted path
 * never passes a ConfigMapList for pods.
 *
 * A continue token expires (410 Gone, reason "Expired") when the snapshot
 * it points into is compacted away -- about five minutes in etcd, sooner
 * under load.  The list is then started again from the beginning, after
 * telling the caller through sink->restart, so the caller discards what it
 * received: a consumer that writes a report from the items must see one
 * complete pass, never half of one pass and half of another.
 *
 * Same thread rules as the client it runs on.
 */
#ifndef TOLLGATE_KUBE_LIST_H
#define TOLLGATE_KUBE_LIST_H

#include <jansson.h>
#include <stddef.h>

#include "kube_client.h"
#include "kube_error.h"
#include "kube_resource.h"

#define KUBE_LIST_DEFAULT_LIMIT 500
#define KUBE_LIST_DEFAULT_RESTARTS 3

/* What to list.  Strings are borrowed for the duration of the call. */
struct kube_list_opts {
    const struct kube_resource *res; /* required */
    const char *ns;                  /* one namespace; NULL or "" = all namespaces
                                      * (ignored for cluster-scoped resources) */
    long limit;                      /* items per page; 0 = KUBE_LIST_DEFAULT_LIMIT */
    const char *label_selector;      /* "app=web,tier!=db", or NULL; sent escaped */
    unsigned max_restarts;           /* starts over after 410 before giving up;
                                      * 0 = KUBE_LIST_DEFAULT_RESTARTS */
    /* Members of the items that the sink never reads, left as their JSON
     * text rather than built (kube_call.raw_keys; NULL-terminated), or NULL
     * to build every member.  A list's memory is its page's tree, and most
     * of an object's bytes (managedFields, status) are read by nobody.
     * Must not name what kube_list reads itself: items, metadata, kind,
     * apiVersion, continue, resourceVersion (TG_EINVAL). */
    const char *const *raw_keys;
};

/* Where the items go.  Both callbacks may fail: return non-TG_OK (and fill
 * err->base, e.g. with kube_error_set(..., KUBE_FAULT_LOCAL, ...)) to stop
 * the list; kube_list then returns that code and error unchanged. */
struct kube_list_sink {
    /* One item, with kind and apiVersion set.  Borrowed: valid until the
     * callback returns, and freed with its page.  To keep it, json_incref
     * it (the caller then owns that reference) or copy what is needed.
     * Required. */
    enum tg_rc (*item)(void *ctx, json_t *item, struct kube_error *err);
    /* The list is starting over because a continue token expired: every
     * item given since the last restart (or the start) belongs to an
     * abandoned pass and must be discarded.  NULL: the sink keeps nothing
     * between items, so there is nothing to discard. */
    enum tg_rc (*restart)(void *ctx, struct kube_error *err);
    void *ctx;
};

/* What a list did (also filled, as far as it got, on failure). */
struct kube_list_stats {
    size_t pages;              /* pages received, over all passes */
    size_t items;              /* items given to sink->item in the last pass */
    unsigned restarts;         /* passes abandoned after 410 */
    char resource_version[64]; /* the last pass's snapshot
                                * (metadata.resourceVersion of its first
                                * page), "" if none */
};

/* List per `o` into `sink`.  TG_OK: one complete pass was delivered (after
 * `stats->restarts` abandoned ones).  On failure the items given since the
 * last restart are an incomplete pass: discard them.  Errors: those of
 * kube_client_call for each page (a 404 is TG_ENOTFOUND: the resource is
 * not served, e.g. a missing CRD); a 410 on the first page of a pass
 * (nothing to restart from), or more than max_restarts 410s, returns the
 * 410 (reason "Expired"); KUBE_FAULT_BODY for a list of the wrong kind or
 * apiVersion, an `items` that is not an array, an item that is not an
 * object or carries another kind; TG_EINVAL (nothing sent) for a missing
 * resource or sink->item, a bad namespace, a negative limit or a raw key
 * kube_list reads; whatever a callback returned.  `stats` may be NULL. */
TG_MUST_CHECK enum tg_rc kube_list(struct kube_client *c, const struct kube_list_opts *o,
                                   const struct kube_list_sink *sink,
                                   struct kube_list_stats *stats, struct kube_error *err);

#endif
