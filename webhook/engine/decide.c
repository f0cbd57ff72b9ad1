/* decide.c -- from findings to allow, deny, patch or would-deny. */
#include "decide.h"

#include <stdio.h>
#include <string.h>

#include "buf.h"
#include "patch.h"

#define DENY_MESSAGE_MAX_LINES 50

bool decide_is_excluded(const struct policy *p, const struct decide_subject *s,
                        const char **why)
{
    const char *ns = s->namespace_ ? s->namespace_ : "";
    for (size_t i = 0; ns[0] && i < p->exclude.namespaces.n; i++) {
        if (name_pattern_matches(p->exclude.namespaces.items[i], ns)) {
            if (why)
                *why = "namespace excluded by policy (spec.exclude.namespaces)";
            return true;
        }
    }
    if (p->exclude.has_object_selector &&
        label_selector_matches(&p->exclude.object_selector, s->labels)) {
        if (why)
            *why = "labels match the policy's spec.exclude.objectSelector";
        return true;
    }
    return false;
}

static bool override_matches(const struct mode_override *o,
                             const struct decide_subject *s)
{
    const char *ns = s->namespace_ ? s->namespace_ : "";
    bool ns_ok = o->namespaces.n == 0;
    for (size_t i = 0; !ns_ok && i < o->namespaces.n; i++)
        ns_ok = name_pattern_matches(o->namespaces.items[i], ns);
    return ns_ok && (!o->has_object_selector ||
                     label_selector_matches(&o->object_selector, s->labels));
}

enum policy_mode decide_mode(const struct policy *p, const struct decide_subject *s)
{
    for (size_t i = 0; i < p->n_overrides; i++) {
        if (override_matches(&p->overrides[i], s))
            return p->overrides[i].mode;
    }
    return p->mode;
}

enum decide_treatment decide_treatment(const struct finding *f, enum policy_mode mode,
                                       enum decide_stage stage)
{
    if (stage == STAGE_MUTATE)
        return mode == POLICY_ENFORCE && f->action == ACTION_MUTATE && f->n_fixes &&
                       f->severity == FINDING_VIOLATION
                   ? TREAT_FIX
                   : TREAT_NONE;
    if (f->severity == FINDING_NOTE || mode == POLICY_AUDIT || f->action == ACTION_AUDIT)
        return TREAT_WARN;
    return TREAT_DENY;
}

bool decide_would_deny(const struct finding *f, enum policy_mode mode)
{
    return mode == POLICY_AUDIT && f->severity == FINDING_VIOLATION &&
           f->action != ACTION_AUDIT;
}

const char *decide_finding_subject(struct arena *a, const struct finding *fnd)
{
    if (fnd->container_kind == CONTAINER_POD)
        return "pod";
    return arena_printf(a, "%s \"%s\"", container_kind_name(fnd->container_kind),
                        fnd->container);
}

/* One formatting per line: a denial or warning per finding is the
 * expensive part of a denied review (bench/README.md). */
const char *decide_finding_line(struct arena *a, const struct finding *fnd)
{
    if (fnd->container_kind == CONTAINER_POD)
        return arena_printf(a, "[%s] pod (%s): %s", fnd->rule, fnd->pointer,
                            fnd->message);
    return arena_printf(a, "[%s] %s \"%s\" (%s): %s", fnd->rule,
                        container_kind_name(fnd->container_kind), fnd->container,
                        fnd->pointer, fnd->message);
}

/* Copy `text` into at most `max` bytes (with the NUL), cutting at a UTF-8
 * boundary with "..." and replacing control characters, which the API
 * server would reject in a warning. */
static char *bounded_copy(struct arena *a, const char *text, size_t max)
{
    size_t len = strlen(text);
    bool cut = len >= max;
    if (cut) {
        len = max - 4;
        while (len > 0 && ((unsigned char)text[len] & 0xC0) == 0x80)
            len--;
    }
    char *s = arena_alloc(a, len + (cut ? 4 : 1));
    if (!s)
        return NULL;
    for (size_t i = 0; i < len; i++)
        s[i] = (unsigned char)text[i] < 0x20 ? ' ' : text[i];
    memcpy(s + len, cut ? "..." : "", cut ? 4 : 1);
    return s;
}

struct warnings {
    const char **items;
    size_t n, cap, bytes, dropped;
};

static enum tg_rc warn(struct arena *a, struct warnings *w, const char *rule,
                       const char *text)
{
    char tmp[DECIDE_WARNING_MAX * 2];
    snprintf(tmp, sizeof(tmp), "[tollgate] %s: %s", rule, text);
    char *line = bounded_copy(a, tmp, DECIDE_WARNING_MAX);
    if (!line)
        return TG_ENOMEM;
    size_t reserve = DECIDE_WARNING_MAX; /* room for the closing "N more" line */
    if (w->bytes + strlen(line) + reserve > DECIDE_WARNINGS_TOTAL || w->n == w->cap) {
        w->dropped++;
        return TG_OK;
    }
    w->items[w->n++] = line;
    w->bytes += strlen(line);
    return TG_OK;
}

static enum tg_rc close_warnings(struct arena *a, struct warnings *w)
{
    if (!w->dropped)
        return TG_OK;
    const char *more = arena_printf(a,
                                    "[tollgate] %zu more finding(s) not shown; see the "
                                    "tollgate decision log or run 'tollgate check'",
                                    w->dropped);
    if (!more)
        return TG_ENOMEM;
    w->items[w->n++] = more;
    return TG_OK;
}

/* How many rules the denied findings come from.  Rule ids are the rule
 * table's static strings, and the table is short, so a linear search over
 * the ones seen keeps this linear in the findings (a padded pod can bring
 * thousands). */
static size_t denied_rules(const struct findings *f, const enum decide_treatment *t)
{
    const char *seen[64];
    size_t n_seen = 0;
    for (size_t i = 0; i < f->n; i++) {
        if (t[i] != TREAT_DENY)
            continue;
        size_t k = 0;
        while (k < n_seen && strcmp(seen[k], f->items[i].rule) != 0)
            k++;
        if (k == n_seen && n_seen < ARRAY_LEN(seen))
            seen[n_seen++] = f->items[i].rule;
    }
    return n_seen;
}

static const char *deny_message(struct arena *a, const struct decide_subject *s,
                                const struct findings *f, const enum decide_treatment *t,
                                size_t n_denied)
{
    struct buf b;
    buf_init(&b, 0);
    size_t n_rules = denied_rules(f, t);
    enum tg_rc rc =
        buf_appendf(&b, "tollgate: %s %s%s%s has %zu violation%s of %zu rule%s:",
                    s->kind && s->kind[0] ? s->kind : "object",
                    s->namespace_ && s->namespace_[0] ? s->namespace_ : "",
                    s->namespace_ && s->namespace_[0] ? "/" : "",
                    s->name && s->name[0] ? s->name : "(unnamed)", n_denied,
                    n_denied == 1 ? "" : "s", n_rules, n_rules == 1 ? "" : "s");
    size_t shown = 0;
    for (size_t i = 0; rc == TG_OK && i < f->n; i++) {
        if (t[i] != TREAT_DENY)
            continue;
        if (shown++ == DENY_MESSAGE_MAX_LINES) {
            rc = buf_appendf(&b, "\n- ... and %zu more",
                             n_denied - DENY_MESSAGE_MAX_LINES);
            break;
        }
        const char *line = decide_finding_line(a, &f->items[i]);
        rc = line ? buf_appendf(&b, "\n- %s", line) : TG_ENOMEM;
    }
    const char *msg = rc == TG_OK ? arena_strdup(a, buf_str(&b)) : NULL;
    buf_cleanup(&b);
    return msg;
}

/* "pinnedTags:2,probes:1" over the findings that were warned or denied,
 * into *out; NULL there when no violation was (notes alone, such as a
 * registry lookup that failed under allowOnLookupFailure, annotate nothing). */
static enum tg_rc audit_annotations(const struct findings *f,
                                    const enum decide_treatment *t, bool would_deny,
                                    json_t **out)
{
    struct buf b;
    buf_init(&b, 0);
    const char *seen[16];
    size_t n_seen = 0;
    enum tg_rc rc = TG_OK;
    for (size_t i = 0; rc == TG_OK && i < f->n && n_seen < ARRAY_LEN(seen); i++) {
        const char *rule = f->items[i].rule;
        bool dup = false;
        for (size_t k = 0; k < n_seen; k++)
            dup = dup || strcmp(seen[k], rule) == 0;
        if (dup || t[i] == TREAT_NONE || f->items[i].severity != FINDING_VIOLATION)
            continue;
        size_t count = 0;
        for (size_t k = i; k < f->n; k++)
            count += strcmp(f->items[k].rule, rule) == 0 &&
                     f->items[k].severity == FINDING_VIOLATION;
        seen[n_seen++] = rule;
        rc = buf_appendf(&b, "%s%s:%zu", n_seen > 1 ? "," : "", rule, count);
    }
    *out = NULL;
    if (rc == TG_OK && n_seen) {
        *out = json_pack("{s:s,s:s}", "decision", would_deny ? "would-deny" : "allow",
                         "violations", buf_str(&b));
        rc = *out ? TG_OK : TG_ENOMEM;
    }
    buf_cleanup(&b);
    return rc;
}

static enum tg_rc judge_validate(const struct decide_subject *s, const struct findings *f,
                                 struct arena *a, const enum decide_treatment *t,
                                 struct verdict *v)
{
    struct warnings w = {.cap = f->n + 1};
    w.items = arena_alloc(a, w.cap * sizeof(*w.items));
    if (!w.items)
        return TG_ENOMEM;
    for (size_t i = 0; i < f->n; i++) {
        const struct finding *fnd = &f->items[i];
        if (t[i] == TREAT_DENY) {
            v->n_denied++;
            continue;
        }
        if (decide_would_deny(fnd, v->mode)) {
            v->would_deny = true;
            v->n_denied++;
        }
        v->n_warned++;
        const char *line =
            fnd->container_kind == CONTAINER_POD
                ? arena_printf(a, "pod (%s): %s", fnd->pointer, fnd->message)
                : arena_printf(a, "%s \"%s\" (%s): %s",
                               container_kind_name(fnd->container_kind), fnd->container,
                               fnd->pointer, fnd->message);
        enum tg_rc rc = line ? warn(a, &w, fnd->rule, line) : TG_ENOMEM;
        if (rc != TG_OK)
            return rc;
    }
    enum tg_rc rc = close_warnings(a, &w);
    if (rc != TG_OK)
        return rc;
    v->warnings = w.items;
    v->n_warnings = w.n;
    v->allowed = v->would_deny || !v->n_denied;
    if (!v->allowed) {
        v->message = deny_message(a, s, f, t, v->n_denied);
        if (!v->message)
            return TG_ENOMEM;
    }
    v->decision = !v->allowed ? "deny" : v->would_deny ? "would-deny" : "allow";
    if (v->n_warned || v->would_deny)
        return audit_annotations(f, t, v->would_deny, &v->audit_annotations);
    return TG_OK;
}

static enum tg_rc judge_mutate(const json_t *object, const struct findings *f,
                               struct arena *a, const enum decide_treatment *t,
                               struct verdict *v)
{
    const struct fix **fixes =
        arena_alloc(a, (f->n * FINDING_MAX_FIXES + 1) * sizeof(*fixes));
    if (!fixes)
        return TG_ENOMEM;
    size_t n_fixes = 0;
    for (size_t i = 0; i < f->n; i++) {
        if (t[i] != TREAT_FIX)
            continue;
        for (size_t k = 0; k < f->items[i].n_fixes; k++)
            fixes[n_fixes++] = &f->items[i].fixes[k];
        v->n_fixed++;
    }
    v->allowed = true;
    v->decision = "allow";
    if (!n_fixes)
        return TG_OK;
    struct patch_result pr;
    enum tg_rc rc = patch_build(object, fixes, n_fixes, NULL, &pr);
    if (rc != TG_OK)
        return rc;
    v->patched = pr.patched;
    if (json_array_size(pr.ops) == 0) {
        json_decref(pr.ops);
        return TG_OK;
    }
    v->patch = pr.ops;
    v->decision = "patch";
    return TG_OK;
}

static enum tg_rc mutate_warnings(const struct findings *f,
                                  const enum decide_treatment *t, struct arena *a,
                                  struct verdict *v)
{
    struct warnings w = {.cap = f->n + 1};
    w.items = arena_alloc(a, w.cap * sizeof(*w.items));
    if (!w.items)
        return TG_ENOMEM;
    for (size_t i = 0; i < f->n && v->patch; i++) {
        const struct finding *fnd = &f->items[i];
        if (t[i] != TREAT_FIX)
            continue;
        const char *subject = decide_finding_subject(a, fnd);
        const char *line =
            subject ? arena_printf(a, "fixed %s: set %s", subject, fnd->fixes[0].pointer)
                    : NULL;
        enum tg_rc rc = line ? warn(a, &w, fnd->rule, line) : TG_ENOMEM;
        if (rc != TG_OK)
            return rc;
    }
    enum tg_rc rc = close_warnings(a, &w);
    v->warnings = w.items;
    v->n_warnings = w.n;
    return rc;
}

enum tg_rc decide(const struct policy *p, const struct decide_subject *s,
                  enum decide_stage stage, const json_t *object, const struct findings *f,
                  struct arena *a, struct verdict *out)
{
    struct verdict v = {.mode = decide_mode(p, s), .decision = "allow", .allowed = true};
    enum decide_treatment *t = arena_alloc(a, (f->n + 1) * sizeof(*t));
    if (!t)
        return TG_ENOMEM;
    for (size_t i = 0; i < f->n; i++)
        t[i] = decide_treatment(&f->items[i], v.mode, stage);
    enum tg_rc rc;
    if (stage == STAGE_VALIDATE) {
        rc = judge_validate(s, f, a, t, &v);
    } else {
        rc = judge_mutate(object, f, a, t, &v);
        if (rc == TG_OK)
            rc = mutate_warnings(f, t, a, &v);
    }
    if (rc != TG_OK) {
        verdict_cleanup(&v);
        return rc;
    }
    *out = v;
    return TG_OK;
}

void verdict_cleanup(struct verdict *v)
{
    if (!v)
        return;
    json_decref(v->patch);
    json_decref(v->patched);
    json_decref(v->audit_annotations);
    v->patch = v->patched = v->audit_annotations = NULL;
}
