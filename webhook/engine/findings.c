/* findings.c -- an append-only list of findings in a request's arena. */
#include "findings.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "jptr.h"

void findings_init(struct findings *f, struct arena *a)
{
    memset(f, 0, sizeof(*f));
    f->arena = a;
}

void findings_cleanup(struct findings *f)
{
    if (!f)
        return;
    for (size_t i = 0; i < f->n; i++) {
        for (size_t k = 0; k < f->items[i].n_fixes; k++)
            json_decref(f->items[i].fixes[k].value);
        f->items[i].n_fixes = 0;
    }
    f->n = 0;
    f->n_exemptions = 0;
}

/* Grow an arena array by doubling; the old copy stays in the arena until
 * the arena goes (a request makes few findings, so the waste is small). */
static void *grow(struct arena *a, void *items, size_t n, size_t *cap, size_t size)
{
    if (n < *cap)
        return items;
    size_t ncap = *cap ? *cap * 2 : 8;
    void *p = arena_alloc(a, ncap * size);
    if (!p)
        return NULL;
    if (n)
        memcpy(p, items, n * size);
    *cap = ncap;
    return p;
}

static const char *field_pointer(struct arena *a, const struct container *c,
                                 const char *field)
{
    if (!field || !field[0])
        return c->pointer;
    if (field[0] == '/')
        return field; /* absolute: e.g. a pod-level field; static or arena storage */
    return arena_printf(a, "%s/%s", c->pointer, field);
}

enum tg_rc findings_addf(struct findings *f, const char *rule, const struct container *c,
                         const char *field, struct finding **added, const char *fmt, ...)
{
    struct finding *items = grow(f->arena, f->items, f->n, &f->cap, sizeof(*items));
    if (!items)
        return TG_ENOMEM;
    f->items = items;
    struct finding *fnd = &items[f->n];
    memset(fnd, 0, sizeof(*fnd));
    fnd->rule = rule;
    fnd->container = c->name;
    fnd->container_kind = c->kind;
    fnd->pointer = field_pointer(f->arena, c, field);
    va_list ap;
    va_start(ap, fmt);
    char tmp[1024];
    vsnprintf(tmp, sizeof(tmp), fmt, ap);
    va_end(ap);
    fnd->message = arena_strdup(f->arena, tmp);
    if (!fnd->pointer || !fnd->message)
        return TG_ENOMEM;
    f->n++;
    if (added)
        *added = fnd;
    return TG_OK;
}

enum tg_rc finding_add_fix(struct findings *f, struct finding *fnd, const char *pointer,
                           json_t *value)
{
    const char *p = arena_strdup(f->arena, pointer);
    if (!value || !p || fnd->n_fixes >= FINDING_MAX_FIXES) {
        json_decref(value);
        return TG_ENOMEM;
    }
    fnd->fixes[fnd->n_fixes].pointer = p;
    fnd->fixes[fnd->n_fixes].value = value;
    fnd->n_fixes++;
    return TG_OK;
}

enum tg_rc finding_add_container_fix(struct findings *f, struct finding *fnd,
                                     const struct container *c, const char *field,
                                     json_t *value)
{
    const char *pointer = field_pointer(f->arena, c, field);
    if (!pointer) {
        json_decref(value);
        return TG_ENOMEM;
    }
    return finding_add_fix(f, fnd, pointer, value);
}

enum tg_rc findings_add_exemption(struct findings *f, const char *rule,
                                  const struct container *c, const char *reason)
{
    struct exemption *items = grow(f->arena, f->exemptions, f->n_exemptions,
                                   &f->cap_exemptions, sizeof(*items));
    if (!items)
        return TG_ENOMEM;
    f->exemptions = items;
    items[f->n_exemptions++] = (struct exemption){
        .rule = rule, .container = c->name, .image = c->image, .reason = reason};
    return TG_OK;
}

size_t findings_n_violations(const struct findings *f)
{
    size_t n = 0;
    for (size_t i = 0; i < f->n; i++)
        n += f->items[i].severity == FINDING_VIOLATION;
    return n;
}
