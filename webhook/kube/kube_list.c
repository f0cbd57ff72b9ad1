/* kube_list.c -- `limit` + `continue` pagination, restarted on 410.
 *
 * One page is alive at a time: it is fetched, checked as a whole (kind,
 * apiVersion, items), handed out item by item, and released before the
 * next one is asked for.  The continue token is copied out of the page
 * first, since it dies with it.
 */
#include "kube_list.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "alloc.h"
#include "buf.h"

/* One walk through the pages, from the first. */
struct pass {
    struct kube_client *c;
    const struct kube_list_opts *o;
    const struct kube_list_sink *sink;
    struct kube_list_stats *st;
    const char *base;   /* the collection's path */
    char *cont;         /* continue token of the next page; owned; NULL first */
    char list_kind[80]; /* "PodList" */
};

/* RFC 3986 unreserved bytes as they are, everything else as %XX. */
static enum tg_rc append_escaped(struct buf *b, const char *s)
{
    static const char hex[] = "0123456789ABCDEF";
    enum tg_rc rc = TG_OK;
    for (const unsigned char *p = (const unsigned char *)s; *p && rc == TG_OK; p++) {
        bool plain = (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
                     (*p >= '0' && *p <= '9') || strchr("-._~", *p);
        char esc[3] = {'%', hex[*p >> 4], hex[*p & 15]};
        rc = plain ? buf_append(b, p, 1) : buf_append(b, esc, 3);
    }
    return rc;
}

static enum tg_rc page_path(const struct pass *ps, struct buf *out)
{
    enum tg_rc rc = buf_appendf(out, "%s?limit=%ld", ps->base,
                                ps->o->limit ? ps->o->limit : KUBE_LIST_DEFAULT_LIMIT);
    if (rc == TG_OK && ps->o->label_selector && ps->o->label_selector[0]) {
        rc = buf_appends(out, "&labelSelector=");
        if (rc == TG_OK)
            rc = append_escaped(out, ps->o->label_selector);
    }
    if (rc == TG_OK && ps->cont) {
        rc = buf_appends(out, "&continue=");
        if (rc == TG_OK)
            rc = append_escaped(out, ps->cont);
    }
    return rc;
}

static enum tg_rc wrong(struct kube_error *err, const char *call, const char *fmt, ...)
    TG_PRINTF(3, 4);

static enum tg_rc wrong(struct kube_error *err, const char *call, const char *fmt, ...)
{
    char text[400];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof(text), fmt, ap);
    va_end(ap);
    kube_error_set(err, TG_EIO, KUBE_FAULT_BODY, call, "%s", text);
    if (err)
        err->http_code = 200;
    return TG_EIO;
}

/* The page is the list we asked for. */
static enum tg_rc check_page(const struct pass *ps, const json_t *page, const char *call,
                             struct kube_error *err)
{
    const char *kind = json_string_value(json_object_get(page, "kind"));
    const char *av = json_string_value(json_object_get(page, "apiVersion"));
    const json_t *items = json_object_get(page, "items");
    const char *want_av = ps->o->res->group_version;
    if (!kind || !av || strcmp(kind, ps->list_kind) != 0 || strcmp(av, want_av) != 0)
        return wrong(err, call, "wrong kind: expected %s (%s), got %s (%s)",
                     ps->list_kind, want_av, kind ? kind : "no kind",
                     av ? av : "no apiVersion");
    if (items && !json_is_array(items) && !json_is_null(items))
        return wrong(err, call, "%s: items is not a list", ps->list_kind);
    return TG_OK;
}

/* kind and apiVersion onto an item, which must not claim another kind. */
static enum tg_rc label_item(const struct pass *ps, json_t *item, const char *call,
                             struct kube_error *err)
{
    const struct kube_resource *r = ps->o->res;
    if (!json_is_object(item))
        return wrong(err, call, "%s: an item is not an object", ps->list_kind);
    const char *kind = json_string_value(json_object_get(item, "kind"));
    const char *av = json_string_value(json_object_get(item, "apiVersion"));
    if ((kind && strcmp(kind, r->kind) != 0) || (av && strcmp(av, r->group_version) != 0))
        return wrong(err, call, "wrong kind: %s holds a %s (%s)", ps->list_kind,
                     kind ? kind : "?", av ? av : "?");
    if (json_object_set_new(item, "kind", json_string(r->kind)) != 0 ||
        json_object_set_new(item, "apiVersion", json_string(r->group_version)) != 0)
        return kube_error_set(err, TG_ENOMEM, KUBE_FAULT_LOCAL, call, "out of memory");
    return TG_OK;
}

/* Hand out one page's items and take its continue token (NULL at the end). */
static enum tg_rc deliver(struct pass *ps, json_t *page, const char *call,
                          struct kube_error *err)
{
    enum tg_rc rc = check_page(ps, page, call, err);
    if (rc != TG_OK)
        return rc;
    const json_t *meta = json_object_get(page, "metadata");
    const char *rv = json_string_value(json_object_get(meta, "resourceVersion"));
    if (!ps->cont && rv)
        snprintf(ps->st->resource_version, sizeof(ps->st->resource_version), "%s", rv);
    size_t i;
    json_t *item;
    json_array_foreach(json_object_get(page, "items"), i, item)
    {
        rc = label_item(ps, item, call, err);
        if (rc == TG_OK)
            rc = ps->sink->item(ps->sink->ctx, item, err);
        if (rc != TG_OK)
            return rc;
        ps->st->items++;
    }
    const char *next = json_string_value(json_object_get(meta, "continue"));
    if (next && next[0] && ps->cont && strcmp(next, ps->cont) == 0)
        return wrong(err, call, "the API server sent the same continue token twice");
    char *copy = next && next[0] ? tg_strdup(next) : NULL;
    if (next && next[0] && !copy)
        return kube_error_set(err, TG_ENOMEM, KUBE_FAULT_LOCAL, call, "out of memory");
    tg_free(ps->cont);
    ps->cont = copy;
    return TG_OK;
}

/* One page: fetch, deliver.  *done when it was the last. */
static enum tg_rc one_page(struct pass *ps, bool *done, struct kube_error *err)
{
    struct buf path;
    json_t *page = NULL;
    buf_init(&path, 0);
    enum tg_rc rc = page_path(ps, &path);
    if (rc != TG_OK) {
        buf_cleanup(&path);
        return kube_error_set(err, TG_ENOMEM, KUBE_FAULT_LOCAL, ps->base,
                              "out of memory");
    }
    const struct kube_call get = {KUBE_GET, buf_str(&path), NULL, 0, ps->o->raw_keys};
    rc = kube_client_call(ps->c, &get, &page, err);
    if (rc == TG_OK) {
        ps->st->pages++;
        char call[200];
        snprintf(call, sizeof(call), "GET %s", ps->base);
        rc = deliver(ps, page, call, err);
    }
    json_decref(page);
    buf_cleanup(&path);
    *done = rc == TG_OK && !ps->cont;
    return rc;
}

/* A raw key that names a member kube_list reads, or NULL. */
static const char *read_here(const char *const *raw_keys)
{
    static const char *const read[] = {"items",      "metadata", "kind",
                                       "apiVersion", "continue", "resourceVersion"};
    for (const char *const *k = raw_keys; k && *k; k++) {
        for (size_t i = 0; i < ARRAY_LEN(read); i++) {
            if (strcmp(*k, read[i]) == 0)
                return *k;
        }
    }
    return NULL;
}

static enum tg_rc check_opts(const struct kube_list_opts *o,
                             const struct kube_list_sink *sink, struct kube_error *err)
{
    if (!o || !o->res || !sink || !sink->item)
        return kube_error_set(err, TG_EINVAL, KUBE_FAULT_LOCAL, NULL,
                              "kube_list needs a resource and an item callback");
    if (o->limit < 0)
        return kube_error_set(err, TG_EINVAL, KUBE_FAULT_LOCAL, NULL,
                              "the page size (limit) must not be negative, got %ld",
                              o->limit);
    const char *key = read_here(o->raw_keys);
    if (key)
        return kube_error_set(err, TG_EINVAL, KUBE_FAULT_LOCAL, NULL,
                              "kube_list reads \"%s\": it cannot be a raw key", key);
    return TG_OK;
}

enum tg_rc kube_list(struct kube_client *c, const struct kube_list_opts *o,
                     const struct kube_list_sink *sink, struct kube_list_stats *stats,
                     struct kube_error *err)
{
    struct kube_list_stats local;
    struct kube_list_stats *st = stats ? stats : &local;
    struct kube_error kerr; /* always kept: a 410 must be seen to be restarted */
    struct buf base;
    memset(st, 0, sizeof(*st));
    buf_init(&base, 0);
    enum tg_rc rc = check_opts(o, sink, err);
    if (rc != TG_OK)
        return rc;
    rc = kube_resource_path(&base, o->res, o->ns, NULL, err);
    if (rc != TG_OK)
        return rc;
    unsigned max_restarts =
        o->max_restarts ? o->max_restarts : KUBE_LIST_DEFAULT_RESTARTS;
    struct pass ps = {c, o, sink, st, buf_str(&base), NULL, ""};
    snprintf(ps.list_kind, sizeof(ps.list_kind), "%sList", o->res->kind);
    for (bool done = false; !done;) {
        kube_error_clear(&kerr);
        bool continuing = ps.cont != NULL;
        rc = one_page(&ps, &done, &kerr);
        if (rc == TG_OK)
            continue;
        /* the snapshot behind the token is gone: start over, once the
         * sink has dropped the abandoned pass */
        if (kerr.http_code != 410 || !continuing)
            break;
        if (st->restarts >= max_restarts) {
            char what[80];
            snprintf(what, sizeof(what),
                     "the list started over %u times and expired again", st->restarts);
            tg_error_prefix(&kerr.base, what);
            break;
        }
        st->restarts++;
        st->items = 0;
        st->resource_version[0] = '\0';
        tg_free(ps.cont);
        ps.cont = NULL;
        rc = sink->restart ? sink->restart(sink->ctx, &kerr) : TG_OK;
        if (rc != TG_OK)
            break;
    }
    if (rc != TG_OK && err)
        *err = kerr;
    tg_free(ps.cont);
    buf_cleanup(&base);
    return rc;
}
