/* audit_write.c -- list what tollgate wrote, replace it, delete the stale. */
#include "audit_write.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "alloc.h"
#include "buf.h"
#include "kube_list.h"

const struct kube_resource AUDIT_RES_POLICYREPORTS = {
    "wgpolicyk8s.io/v1alpha2", "policyreports", "PolicyReport", true};
const struct kube_resource AUDIT_RES_CLUSTERPOLICYREPORTS = {
    "wgpolicyk8s.io/v1alpha2", "clusterpolicyreports", "ClusterPolicyReport", false};

#define PATH_BYTES 1024
#define HASH_HEX 17

/* A report that exists: where, its resourceVersion, its content hash. */
struct existing {
    char *ns; /* NULL for the ClusterPolicyReport */
    char *rv;
    char hash[HASH_HEX];
    bool seen; /* still has objects: kept */
};

struct existing_set {
    struct existing *items;
    size_t n, cap;
};

static void existing_cleanup(struct existing_set *s)
{
    for (size_t i = 0; i < s->n; i++) {
        tg_free(s->items[i].ns);
        tg_free(s->items[i].rv);
    }
    tg_free(s->items);
}

static const char *meta(const json_t *o, const char *key)
{
    const char *s =
        json_string_value(json_object_get(json_object_get(o, "metadata"), key));
    return s ? s : "";
}

static const char *annotation(const json_t *o, const char *key)
{
    const char *s = json_string_value(json_object_get(
        json_object_get(json_object_get(o, "metadata"), "annotations"), key));
    return s ? s : "";
}

static enum tg_rc remember(struct existing_set *s, const json_t *report, bool namespaced,
                           struct kube_error *err)
{
    if (s->n == s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 16;
        struct existing *items = tg_realloc(s->items, cap * sizeof(*items));
        if (!items)
            return kube_error_set(err, TG_ENOMEM, KUBE_FAULT_LOCAL, NULL,
                                  "out of memory");
        s->items = items;
        s->cap = cap;
    }
    struct existing *e = &s->items[s->n];
    *e = (struct existing){.ns = namespaced ? tg_strdup(meta(report, "namespace")) : NULL,
                           .rv = tg_strdup(meta(report, "resourceVersion"))};
    snprintf(e->hash, sizeof(e->hash), "%s",
             annotation(report, AUDIT_CONTENT_HASH_ANNOTATION));
    if (!e->rv || (namespaced && !e->ns)) {
        tg_free(e->ns);
        tg_free(e->rv);
        return kube_error_set(err, TG_ENOMEM, KUBE_FAULT_LOCAL, NULL, "out of memory");
    }
    s->n++;
    return TG_OK;
}

static enum tg_rc on_report(void *ctx, json_t *item, struct kube_error *err)
{
    if (strcmp(meta(item, "name"), AUDIT_REPORT_NAME) != 0)
        return TG_OK; /* ours by label, but not by name: not ours to replace */
    return remember(ctx, item, true, err);
}

/* The restart of a list: forget what the abandoned pass gave. */
static enum tg_rc on_restart(void *ctx, struct kube_error *err)
{
    struct existing_set *s = ctx;
    (void)err;
    for (size_t i = 0; i < s->n; i++) {
        tg_free(s->items[i].ns);
        tg_free(s->items[i].rv);
    }
    s->n = 0;
    return TG_OK;
}

static enum tg_rc list_existing(struct kube_client *c, struct existing_set *s,
                                struct kube_error *err)
{
    struct kube_list_opts o = {.res = &AUDIT_RES_POLICYREPORTS,
                               .label_selector = AUDIT_REPORT_MANAGED_LABEL
                               "=" AUDIT_REPORT_MANAGED_VALUE};
    struct kube_list_sink sink = {.item = on_report, .restart = on_restart, .ctx = s};
    enum tg_rc rc = kube_list(c, &o, &sink, NULL, err);
    if (rc == TG_ENOTFOUND)
        tg_error_prefix(
            &err->base,
            "the PolicyReport CRD (policyreports.wgpolicyk8s.io/v1alpha2) is "
            "not installed: install it (chart value audit.installCRDs) or turn "
            "the background audit off");
    return rc;
}

/* FNV-1a over the report without its timestamps: the same findings give the
 * same hash from one scan to the next. */
static enum tg_rc content_hash(const json_t *doc, char out[HASH_HEX])
{
    json_t *results = json_deep_copy(json_object_get(doc, "results"));
    size_t i;
    json_t *x;
    json_array_foreach(results, i, x)
    {
        json_object_del(x, "timestamp");
    }
    json_t *content = json_pack("{s:O,s:o}", "summary", json_object_get(doc, "summary"),
                                "results", results);
    char *text = content ? json_dumps(content, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
    json_decref(content);
    if (!text)
        return TG_ENOMEM;
    uint64_t h = 14695981039346656037ULL;
    for (const unsigned char *p = (const unsigned char *)text; *p; p++)
        h = (h ^ *p) * 1099511628211ULL;
    tg_free(text);
    snprintf(out, HASH_HEX, "%016llx", (unsigned long long)h);
    return TG_OK;
}

static struct existing *find_existing(struct existing_set *s, const char *ns)
{
    for (size_t i = 0; i < s->n; i++) {
        if ((!ns && !s->items[i].ns) ||
            (ns && s->items[i].ns && strcmp(s->items[i].ns, ns) == 0))
            return &s->items[i];
    }
    return NULL;
}

static enum tg_rc path_of(const struct kube_resource *res, const char *ns,
                          const char *name, struct buf *out, struct kube_error *err)
{
    buf_reset(out);
    return kube_resource_path(out, res, ns, name, err);
}

/* Read the current resourceVersion of an object that a write raced with. */
static enum tg_rc current_rv(struct kube_client *c, const char *path, char **rv,
                             struct kube_error *err)
{
    json_t *obj = NULL;
    enum tg_rc rc = kube_client_get(c, path, &obj, err);
    if (rc == TG_OK) {
        tg_free(*rv);
        *rv = tg_strdup(meta(obj, "resourceVersion"));
        rc = *rv ? TG_OK : TG_ENOMEM;
    }
    json_decref(obj);
    return rc;
}

struct target {
    const struct kube_resource *res;
    const char *ns; /* NULL: cluster-scoped */
    json_t *doc;    /* the new report (annotated here) */
    struct existing *old;
};

/* One PUT (with `rv`) or POST (without). */
static enum tg_rc send_once(struct kube_client *c, struct target *t, const char *rv,
                            struct audit_write_stats *st, struct kube_error *err)
{
    struct buf path;
    buf_init(&path, PATH_BYTES);
    json_t *md = json_object_get(t->doc, "metadata");
    enum tg_rc rc = path_of(t->res, t->ns, rv ? AUDIT_REPORT_NAME : NULL, &path, err);
    if (rc == TG_OK && rv &&
        json_object_set_new(md, "resourceVersion", json_string(rv)) != 0)
        rc = kube_error_set(err, TG_ENOMEM, KUBE_FAULT_LOCAL, NULL, "out of memory");
    if (rc == TG_OK && rv)
        rc = kube_client_replace(c, buf_str(&path), t->doc, NULL, err);
    else if (rc == TG_OK)
        rc = kube_client_create(c, buf_str(&path), t->doc, NULL, err);
    if (rc == TG_OK && rv)
        st->replaced++;
    else if (rc == TG_OK)
        st->created++;
    if (rc == TG_ENOTFOUND && !rv)
        tg_error_prefix(&err->base, "is the wgpolicyk8s.io/v1alpha2 CRD installed?");
    buf_cleanup(&path);
    return rc;
}

/* PUT over what exists, or POST a new one; after a 409 (changed or made
 * meanwhile, by another writer), read its resourceVersion and PUT once more. */
static enum tg_rc put_or_post(struct kube_client *c, struct target *t,
                              struct audit_write_stats *st, struct kube_error *err)
{
    char *rv = t->old ? tg_strdup(t->old->rv) : NULL;
    if (t->old && !rv)
        return kube_error_set(err, TG_ENOMEM, KUBE_FAULT_LOCAL, NULL, "out of memory");
    enum tg_rc rc = send_once(c, t, rv, st, err);
    if (rc != TG_OK && err->http_code == 409) {
        struct buf path;
        buf_init(&path, PATH_BYTES);
        rc = path_of(t->res, t->ns, AUDIT_REPORT_NAME, &path, err);
        if (rc == TG_OK)
            rc = current_rv(c, buf_str(&path), &rv, err);
        if (rc == TG_OK)
            rc = send_once(c, t, rv, st, err);
        buf_cleanup(&path);
    }
    tg_free(rv);
    return rc;
}

static enum tg_rc write_one(struct kube_client *c, struct target *t,
                            struct audit_write_stats *st, struct kube_error *err)
{
    char hash[HASH_HEX];
    if (content_hash(t->doc, hash) != TG_OK ||
        json_object_set_new(
            json_object_get(json_object_get(t->doc, "metadata"), "annotations"),
            AUDIT_CONTENT_HASH_ANNOTATION, json_string(hash)) != 0)
        return kube_error_set(err, TG_ENOMEM, KUBE_FAULT_LOCAL, NULL, "out of memory");
    if (t->old)
        t->old->seen = true;
    if (t->old && strcmp(t->old->hash, hash) == 0) {
        st->unchanged++;
        return TG_OK;
    }
    return put_or_post(c, t, st, err);
}

static enum tg_rc write_namespaces(struct kube_client *c, const struct audit_report *r,
                                   struct existing_set *old, struct audit_write_stats *st,
                                   struct kube_error *err)
{
    enum tg_rc rc = TG_OK;
    for (size_t i = 0; rc == TG_OK && i < audit_report_n_namespaces(r); i++) {
        const char *ns = audit_report_namespace(r, i);
        struct target t = {
            .res = &AUDIT_RES_POLICYREPORTS, .ns = ns, .old = find_existing(old, ns)};
        rc = audit_report_namespace_json(r, i, &t.doc);
        if (rc != TG_OK)
            return kube_error_set(err, rc, KUBE_FAULT_LOCAL, NULL, "out of memory");
        rc = write_one(c, &t, st, err);
        json_decref(t.doc);
    }
    return rc;
}

static enum tg_rc write_cluster(struct kube_client *c, const struct audit_report *r,
                                struct audit_write_stats *st, struct kube_error *err)
{
    struct existing_set cur = {0};
    struct buf path;
    buf_init(&path, PATH_BYTES);
    json_t *old = NULL;
    struct target t = {.res = &AUDIT_RES_CLUSTERPOLICYREPORTS};
    enum tg_rc rc = path_of(t.res, NULL, AUDIT_REPORT_NAME, &path, err);
    if (rc == TG_OK)
        rc = kube_client_get(c, buf_str(&path), &old, err);
    if (rc == TG_OK)
        rc = remember(&cur, old, false, err);
    else if (rc == TG_ENOTFOUND)
        rc = TG_OK; /* none yet (a missing CRD shows when it is created) */
    t.old = cur.n ? &cur.items[0] : NULL;
    if (rc == TG_OK && audit_report_cluster_json(r, &t.doc) != TG_OK)
        rc = kube_error_set(err, TG_ENOMEM, KUBE_FAULT_LOCAL, NULL, "out of memory");
    if (rc == TG_OK)
        rc = write_one(c, &t, st, err);
    json_decref(t.doc);
    json_decref(old);
    buf_cleanup(&path);
    existing_cleanup(&cur);
    return rc;
}

static enum tg_rc delete_stale(struct kube_client *c, struct existing_set *old,
                               struct audit_write_stats *st, struct kube_error *err)
{
    struct buf path;
    buf_init(&path, PATH_BYTES);
    enum tg_rc rc = TG_OK;
    for (size_t i = 0; rc == TG_OK && i < old->n; i++) {
        if (old->items[i].seen)
            continue;
        rc = path_of(&AUDIT_RES_POLICYREPORTS, old->items[i].ns, AUDIT_REPORT_NAME, &path,
                     err);
        if (rc == TG_OK)
            rc = kube_client_delete(c, buf_str(&path), err);
        if (rc == TG_OK)
            st->deleted++;
        else if (rc == TG_ENOTFOUND)
            rc = TG_OK; /* already gone */
    }
    buf_cleanup(&path);
    return rc;
}

enum tg_rc audit_write_reports(struct kube_client *c, const struct audit_report *r,
                               struct audit_write_stats *stats, struct kube_error *err)
{
    struct audit_write_stats st = {0};
    struct existing_set old = {0};
    enum tg_rc rc = list_existing(c, &old, err);
    if (rc == TG_OK)
        rc = write_namespaces(c, r, &old, &st, err);
    if (rc == TG_OK)
        rc = write_cluster(c, r, &st, err);
    if (rc == TG_OK)
        rc = delete_stale(c, &old, &st, err);
    existing_cleanup(&old);
    if (stats)
        *stats = st;
    return rc;
}
