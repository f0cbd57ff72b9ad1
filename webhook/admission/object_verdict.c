/* object_verdict.c -- mutate, then validate, one object as the cluster would. */
#include "object_verdict.h"

#include <stdio.h>
#include <string.h>

#include "decide.h"
#include "engine.h"

#define CHECK_ARENA_CAP (64u << 20)

struct stage_out {
    struct findings f;
    struct verdict v;
};

static const char *meta_str(const json_t *object, const char *key)
{
    const json_t *meta = json_object_get(object, "metadata");
    const char *s = json_string_value(json_object_get(meta, key));
    return s ? s : "";
}

static enum tg_rc run_stage(const struct policy *p, const struct decide_subject *s,
                            enum decide_stage stage, const json_t *object,
                            const struct facts *facts, struct arena *a,
                            struct stage_out *o, struct tg_error *err)
{
    findings_init(&o->f, a);
    enum tg_rc rc = engine_eval(p, object, facts, a, &o->f, NULL, err);
    if (rc == TG_OK)
        rc = decide(p, s, stage, object, &o->f, a, &o->v);
    return rc;
}

/* The validate stage's treatment, as decide() applies it. */
static const char *outcome_of(const struct finding *f, const struct verdict *v)
{
    return decide_treatment(f, v->mode, STAGE_VALIDATE) == TREAT_WARN ? "warn" : "deny";
}

static int add_finding(json_t *list, const struct finding *f, const char *outcome)
{
    return json_array_append_new(
        list,
        json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s}", "rule", f->rule, "action",
                  rule_action_name(f->action), "severity",
                  f->severity == FINDING_NOTE ? "note" : "violation", "container",
                  f->container, "containerType", container_kind_name(f->container_kind),
                  "pointer", f->pointer, "message", f->message, "outcome", outcome));
}

/* A warning that enforcement would turn into a denial says so. */
static int add_validated(json_t *list, const struct finding *f, const struct verdict *v)
{
    int rc = add_finding(list, f, outcome_of(f, v));
    if (rc == 0 && decide_would_deny(f, v->mode))
        rc = json_object_set_new(json_array_get(list, json_array_size(list) - 1),
                                 "wouldDeny", json_true());
    return rc;
}

static json_t *findings_json(const struct stage_out *mut, const struct stage_out *val)
{
    json_t *list = json_array();
    int rc = list ? 0 : -1;
    for (size_t i = 0; rc == 0 && mut && i < mut->f.n; i++) {
        const struct finding *f = &mut->f.items[i];
        if (mut->v.patch && decide_treatment(f, mut->v.mode, STAGE_MUTATE) == TREAT_FIX)
            rc = add_finding(list, f, "fixed");
    }
    for (size_t i = 0; rc == 0 && i < val->f.n; i++)
        rc = add_validated(list, &val->f.items[i], &val->v);
    if (rc != 0) {
        json_decref(list);
        return NULL;
    }
    return list;
}

static json_t *entry_new(const struct decide_subject *s, const char *decision)
{
    return json_pack("{s:s,s:s,s:s,s:s}", "kind", s->kind, "namespace", s->namespace_,
                     "name", s->name, "decision", decision);
}

enum tg_rc object_verdict_eval(const struct policy *policy,
                               const struct policy *fix_policy, const json_t *object,
                               const struct facts *facts, json_t **entry,
                               struct tg_error *err)
{
    const char *kind = json_string_value(json_object_get(object, "kind"));
    const char *ns = meta_str(object, "namespace");
    const char *name = meta_str(object, "name");
    struct decide_subject s = {
        .kind = kind ? kind : "",
        .namespace_ = ns[0] ? ns : "default", /* what kubectl would use */
        .name = name[0] ? name : meta_str(object, "generateName"),
        .labels = json_object_get(json_object_get(object, "metadata"), "labels"),
    };
    if (decide_is_excluded(policy, &s, NULL)) {
        *entry = entry_new(&s, "excluded");
        return *entry ? TG_OK : TG_ENOMEM;
    }
    struct arena a;
    arena_init(&a, CHECK_ARENA_CAP);
    struct stage_out mut = {0}, val = {0};
    json_t *e = NULL;
    const struct policy *mutate_by = fix_policy ? fix_policy : policy;
    enum tg_rc rc = run_stage(mutate_by, &s, STAGE_MUTATE, object, facts, &a, &mut, err);
    const json_t *judged = mut.v.patched ? mut.v.patched : object;
    if (rc == TG_OK)
        rc = run_stage(policy, &s, STAGE_VALIDATE, judged, facts, &a, &val, err);
    if (rc != TG_OK)
        goto out;
    e = entry_new(&s, val.v.decision);
    if (json_object_set_new(e, "findings", findings_json(&mut, &val)) != 0 ||
        (fix_policy && json_object_set_new(e, "fixed", json_deep_copy(judged)) != 0)) {
        rc = TG_ENOMEM;
        goto out;
    }
    *entry = e;
    e = NULL;
out:
    json_decref(e);
    verdict_cleanup(&mut.v);
    verdict_cleanup(&val.v);
    findings_cleanup(&mut.f);
    findings_cleanup(&val.f);
    arena_cleanup(&a);
    return rc;
}

void object_verdict_subject(const json_t *finding, char *buf, size_t len)
{
    const char *type = json_string_value(json_object_get(finding, "containerType"));
    const char *name = json_string_value(json_object_get(finding, "container"));
    if (type && strcmp(type, "pod") == 0)
        snprintf(buf, len, "pod");
    else
        snprintf(buf, len, "%s \"%s\"", type ? type : "", name ? name : "");
}
