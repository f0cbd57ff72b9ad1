/* audit_scan.c -- one page of listed objects through the webhook's verdict. */
#include "audit_scan.h"

#include <stdio.h>
#include <string.h>

#include "arena.h"
#include "engine.h"
#include "object_verdict.h"

#define FACTS_ARENA_CAP (16u << 20)

static const char *meta_str(const json_t *object, const char *key)
{
    const char *s =
        json_string_value(json_object_get(json_object_get(object, "metadata"), key));
    return s ? s : "";
}

/* "/api/v1/namespaces/shop/pods/web", "/apis/apps/v1/deployments/x" */
static json_t *api_path(const char *api_version, const struct audit_kind *k,
                        const json_t *object)
{
    char path[1024];
    const char *ns = meta_str(object, "namespace");
    snprintf(path, sizeof(path), "/%s/%s%s%s/%s/%s", k->group[0] ? "apis" : "api",
             api_version, ns[0] ? "/namespaces/" : "", ns, k->resource,
             meta_str(object, "name"));
    return json_string(path);
}

static json_t *error_entry(const json_t *object, const struct tg_error *err)
{
    return json_pack("{s:s,s:s,s:s,s:s,s:s,s:[]}", "kind",
                     json_string_value(json_object_get(object, "kind")), "namespace",
                     meta_str(object, "namespace"), "name", meta_str(object, "name"),
                     "decision", "error", "error", err->text, "findings");
}

static enum tg_rc verdict(const struct audit_scan *s, const json_t *object,
                          json_t **entry)
{
    struct arena a;
    struct facts facts = {0};
    struct tg_error err = {0};
    arena_init(&a, FACTS_ARENA_CAP);
    enum tg_rc rc = TG_OK;
    if (s->gather)
        rc = engine_gather_facts(s->policy, object, s->gather, s->gather_ctx, &a, &facts);
    if (rc == TG_OK)
        rc = object_verdict_eval(s->policy, object, &facts, false, entry, &err);
    arena_cleanup(&a);
    if (rc == TG_EINVAL) {
        /* The webhook would refuse it as unreadable; the scan goes on. */
        *entry = error_entry(object, &err);
        rc = *entry ? TG_OK : TG_ENOMEM;
    }
    return rc;
}

/* The reference a report needs: apiVersion, uid and the API path. */
static enum tg_rc describe(json_t *entry, const json_t *object, const char *api_version,
                           const struct audit_kind *k)
{
    if (json_object_set_new(entry, "apiVersion", json_string(api_version)) != 0 ||
        json_object_set_new(entry, "uid", json_string(meta_str(object, "uid"))) != 0 ||
        json_object_set_new(entry, "source", api_path(api_version, k, object)) != 0)
        return TG_ENOMEM;
    return TG_OK;
}

static enum tg_rc judge_item(struct audit_scan *s, const struct audit_kind *k,
                             const char *api_version, json_t *item)
{
    s->counts.listed++;
    if (!audit_is_top_level(item)) {
        s->counts.owned++;
        return TG_OK;
    }
    /* A shallow copy, so the page stays as listed: items carry no kind. */
    json_t *object = json_copy(item);
    json_t *entry = NULL;
    enum tg_rc rc = TG_ENOMEM;
    if (!object || json_object_set_new(object, "kind", json_string(k->kind)) != 0 ||
        json_object_set_new(object, "apiVersion", json_string(api_version)) != 0)
        goto out;
    rc = verdict(s, object, &entry);
    if (rc != TG_OK)
        goto out;
    const char *decision = json_string_value(json_object_get(entry, "decision"));
    if (decision && strcmp(decision, "excluded") == 0) {
        s->counts.excluded++;
        goto out;
    }
    rc = describe(entry, object, api_version, k);
    if (rc != TG_OK)
        goto out;
    s->counts.judged++;
    if (decision && strcmp(decision, "error") == 0)
        s->counts.errors++;
    rc = s->sink(s->sink_ctx, object, entry);
    entry = NULL; /* the sink took it */
out:
    json_decref(entry);
    json_decref(object);
    return rc;
}

enum tg_rc audit_scan_items(struct audit_scan *s, const struct audit_kind *kind,
                            const char *api_version, json_t *items, struct tg_error *err)
{
    if (!json_is_array(items))
        return tg_error_setf(err, TG_EINVAL, "list of %s: \"items\" is not an array",
                             kind->resource);
    size_t i;
    json_t *item;
    json_array_foreach(items, i, item)
    {
        if (!json_is_object(item))
            return tg_error_setf(err, TG_EINVAL, "list of %s: item %zu is not an object",
                                 kind->resource, i);
        enum tg_rc rc = judge_item(s, kind, api_version, item);
        if (rc != TG_OK)
            return rc;
    }
    return TG_OK;
}
