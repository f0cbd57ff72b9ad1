/* audit_scan.c -- one listed object through the webhook's verdict. */
#include "audit_scan.h"

#include <stdbool.h>
#include <string.h>

#include "arena.h"
#include "audit_kinds.h"
#include "buf.h"
#include "engine.h"
#include "object_verdict.h"

#define FACTS_ARENA_CAP (16u << 20)
#define PATH_MAX_BYTES 1024

static const char *meta_str(const json_t *object, const char *key)
{
    const char *s =
        json_string_value(json_object_get(json_object_get(object, "metadata"), key));
    return s ? s : "";
}

/* "/api/v1/namespaces/shop/pods/web": where the object lives. */
static json_t *api_path(const struct kube_resource *res, const json_t *object)
{
    struct buf b;
    buf_init(&b, PATH_MAX_BYTES);
    const char *ns = meta_str(object, "namespace");
    enum tg_rc rc = kube_resource_path(&b, res, ns, meta_str(object, "name"), NULL);
    json_t *path = json_string(rc == TG_OK ? buf_str(&b) : "");
    buf_cleanup(&b);
    return path;
}

static json_t *error_entry(const json_t *object, const struct tg_error *err)
{
    const char *kind = json_string_value(json_object_get(object, "kind"));
    return json_pack("{s:s,s:s,s:s,s:s,s:s,s:[]}", "kind", kind ? kind : "", "namespace",
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
        rc = object_verdict_eval(s->policy, NULL, object, &facts, entry, &err);
    arena_cleanup(&a);
    if (rc == TG_EINVAL) {
        /* The webhook would refuse it as unreadable; the scan goes on. */
        *entry = error_entry(object, &err);
        rc = *entry ? TG_OK : TG_ENOMEM;
    }
    return rc;
}

/* What a report needs to point at the object: apiVersion, uid, API path. */
static enum tg_rc describe(json_t *entry, const json_t *object,
                           const struct kube_resource *res)
{
    const char *api_version = json_string_value(json_object_get(object, "apiVersion"));
    if (json_object_set_new(
            entry, "apiVersion",
            json_string(api_version ? api_version : res->group_version)) != 0 ||
        json_object_set_new(entry, "uid", json_string(meta_str(object, "uid"))) != 0 ||
        json_object_set_new(entry, "source", api_path(res, object)) != 0)
        return TG_ENOMEM;
    return TG_OK;
}

enum tg_rc audit_scan_item(struct audit_scan *s, const struct kube_resource *res,
                           const json_t *item)
{
    s->counts.listed++;
    if (!audit_is_top_level(item)) {
        s->counts.owned++;
        return TG_OK;
    }
    json_t *entry = NULL;
    enum tg_rc rc = verdict(s, item, &entry);
    if (rc != TG_OK)
        return rc;
    const char *decision = json_string_value(json_object_get(entry, "decision"));
    if (decision && strcmp(decision, "excluded") == 0) {
        s->counts.excluded++;
        json_decref(entry);
        return TG_OK;
    }
    bool error = decision && strcmp(decision, "error") == 0;
    rc = describe(entry, item, res);
    if (rc != TG_OK) {
        json_decref(entry);
        return rc;
    }
    s->counts.judged++;
    s->counts.errors += error;
    return s->sink(s->sink_ctx, item, entry); /* the sink takes the entry */
}

const char *const *audit_scan_unread_members(const struct policy *policy,
                                             const char *out[ENGINE_UNREAD_CAP])
{
    engine_unread_members(policy, out);
    size_t k = 0;
    for (size_t i = 0; out[i]; i++) {
        if (strcmp(out[i], "ownerReferences") != 0) /* audit_kinds.c reads it */
            out[k++] = out[i];
    }
    out[k] = NULL;
    return out;
}

void audit_scan_rewind(struct audit_scan *s, const struct audit_counts *mark)
{
    if (s->rollback)
        s->rollback(s->sink_ctx, mark->judged);
    s->counts = *mark;
}
