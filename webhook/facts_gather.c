/* facts_gather.c -- image strings in, struct facts out, within a deadline. */
#include "facts_gather.h"

#include <string.h>

#include "imgref.h"

unsigned facts_need_of(const struct policy *p)
{
    unsigned need = 0;
    if (p->pinned_tags.common.action != ACTION_OFF && p->pinned_tags.resolve_digest)
        need |= FACTS_NEED_DIGEST;
    if (p->run_as_non_root.common.action != ACTION_OFF &&
        p->run_as_non_root.check_image_user)
        need |= FACTS_NEED_USER;
    return need;
}

static bool seen_before(const char *const *images, size_t i)
{
    for (size_t k = 0; k < i; k++) {
        if (strcmp(images[k], images[i]) == 0)
            return true;
    }
    return false;
}

/* Copy what the lookup found (or why it did not) into the arena. */
static enum tg_rc record(struct arena *a, enum tg_rc rc, const struct registry_image *img,
                         const char *reason, struct image_fact *f)
{
    if (rc != TG_OK) {
        f->status = FACT_UNAVAILABLE;
        f->error = arena_strdup(a, reason[0] ? reason : tg_rc_str(rc));
        return f->error ? TG_OK : TG_ENOMEM;
    }
    f->status = FACT_OK;
    if (img->digest && !(f->digest = arena_strdup(a, img->digest)))
        return TG_ENOMEM;
    if (img->config_user) {
        f->has_config_user = true;
        if (!(f->config_user = arena_strdup(a, img->config_user)))
            return TG_ENOMEM;
    }
    return TG_OK;
}

/* One image: parse, look up, record.  Only TG_ENOMEM (the arena) fails. */
static enum tg_rc gather_one(struct registry *reg, const struct facts_query *q,
                             const char *image, struct arena *a, struct image_fact *f)
{
    struct imgref ref;
    struct registry_image img = {NULL, NULL};
    struct tg_error lerr = {.text = ""};
    memset(f, 0, sizeof(*f));
    if (!(f->image = arena_strdup(a, image)))
        return TG_ENOMEM;
    enum tg_rc rc = imgref_parse(image, a, &ref, &lerr);
    if (rc == TG_ENOMEM)
        return rc;
    if (rc != TG_OK) {
        tg_error_prefix(&lerr, "invalid image reference");
    } else if (registry_now_ms() >= q->deadline_ms) {
        rc = tg_error_setf(&lerr, TG_ETIMEDOUT,
                           "registry lookup skipped: deadline exceeded");
    } else {
        struct registry_request rq = {&ref, q->need, q->deadline_ms};
        rc = registry_lookup(reg, &rq, &img, &lerr);
    }
    enum tg_rc rrc = record(a, rc, &img, lerr.text, f);
    registry_image_cleanup(&img);
    return rrc;
}

enum tg_rc facts_gather(struct registry *reg, const struct facts_query *q,
                        struct arena *a, struct facts *out, struct tg_error *err)
{
    struct image_fact *items = NULL;
    size_t n = 0;
    if (reg && q->need && q->n_images) {
        items = arena_zalloc(a, q->n_images * sizeof(*items));
        if (!items)
            return tg_error_setf(err, TG_ENOMEM, "out of memory gathering image facts");
    }
    for (size_t i = 0; items && i < q->n_images; i++) {
        if (!q->images[i] || seen_before(q->images, i))
            continue;
        if (gather_one(reg, q, q->images[i], a, &items[n]) != TG_OK)
            return tg_error_setf(err, TG_ENOMEM, "out of memory gathering image facts");
        n++;
    }
    out->items = items;
    out->n = n;
    return TG_OK;
}

enum tg_rc facts_gather_admission(void *ctx, const char *const *images, size_t n,
                                  struct arena *a, struct facts *out)
{
    const struct facts_gather_ctx *g = ctx;
    if (!g->registry || !g->policy) {
        out->items = NULL;
        out->n = 0;
        return TG_OK;
    }
    struct facts_query q = {images, n, facts_need_of(g->policy), g->deadline_ms};
    if (!q.deadline_ms)
        q.deadline_ms = registry_now_ms() + registry_timeout_ms(g->registry);
    return facts_gather(g->registry, &q, a, out, NULL);
}
