/* audit_cluster.c -- discover, list, judge: one pass. */
#include "audit_cluster.h"

#include "kube_list.h"
#include "kube_resource.h"

struct pass {
    struct audit_scan *scan;
    const struct kube_resource *res;
    const struct audit_cluster_opts *opts;
    struct audit_counts mark; /* the scan when this kind's list started */
};

static enum tg_rc on_item(void *ctx, json_t *item, struct kube_error *err)
{
    struct pass *p = ctx;
    enum tg_rc rc = audit_scan_item(p->scan, p->res, item);
    if (rc != TG_OK)
        return kube_error_set(err, rc, KUBE_FAULT_LOCAL, NULL, "judging %s: %s",
                              p->res->plural, tg_rc_str(rc));
    return p->opts->pace ? p->opts->pace(p->opts->pace_ctx, err) : TG_OK;
}

static enum tg_rc on_restart(void *ctx, struct kube_error *err)
{
    struct pass *p = ctx;
    (void)err;
    audit_scan_rewind(p->scan, &p->mark);
    return TG_OK;
}

enum tg_rc audit_cluster_scan(struct kube_client *c, const struct audit_cluster_opts *o,
                              struct audit_scan *scan, struct audit_cluster_stats *stats,
                              struct kube_error *err)
{
    struct audit_cluster_stats st = {0};
    struct kube_workloads w;
    const char *unread[ENGINE_UNREAD_CAP];
    audit_scan_unread_members(scan->policy, unread);
    enum tg_rc rc = kube_workloads_discover(c, &w, err);
    for (size_t i = 0; rc == TG_OK && i < w.n; i++) {
        struct pass p = {.scan = scan, .res = w.res[i], .opts = o, .mark = scan->counts};
        struct kube_list_opts lo = {.res = w.res[i],
                                    .ns = o->ns,
                                    .limit = o->limit,
                                    .raw_keys = o->build_all ? NULL : unread};
        struct kube_list_sink sink = {.item = on_item, .restart = on_restart, .ctx = &p};
        struct kube_list_stats ls = {0};
        rc = kube_list(c, &lo, &sink, &ls, err);
        st.resources++;
        st.pages += ls.pages;
        st.restarts += ls.restarts;
    }
    if (stats)
        *stats = st;
    return rc;
}
