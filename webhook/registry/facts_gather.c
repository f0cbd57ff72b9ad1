/* facts_gather.c -- image strings in, struct facts out, within a deadline. */
#include "facts_gather.h"

#include <pthread.h>
#include <string.h>

#include "alloc.h"
#include "imgref.h"

#define MAX_PARALLEL 8 /* lookups in flight at once for one object */

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

/* One image that needs the network, looked up on its own thread. */
struct job {
    struct registry *reg;
    struct imgref ref;
    struct registry_request rq;
    struct image_fact *fact; /* where the answer goes (filled on the caller's thread) */
    enum tg_rc rc;
    struct registry_image img;
    struct tg_error err;
    pthread_t th;
    bool threaded;
};

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

static void *run_job(void *arg)
{
    struct job *j = arg;
    if (registry_now_ms() >= j->rq.deadline_ms)
        j->rc = tg_error_setf(&j->err, TG_ETIMEDOUT,
                              "registry lookup skipped: deadline exceeded");
    else
        j->rc = registry_lookup(j->reg, &j->rq, &j->img, &j->err);
    return NULL;
}

/* Parse one image and answer it without I/O if possible (a parse error, a
 * cached answer, a pinned digest); otherwise leave it to a job (*queued).
 * Only TG_ENOMEM fails. */
static enum tg_rc prepare(const struct facts_query *q, const char *image, struct arena *a,
                          struct job *j, bool *queued)
{
    struct registry_image img = {NULL, NULL};
    struct tg_error err = {.text = ""};
    bool hit = true;
    *queued = false;
    memset(j->fact, 0, sizeof(*j->fact));
    if (!(j->fact->image = arena_strdup(a, image)))
        return TG_ENOMEM;
    enum tg_rc rc = imgref_parse(image, a, &j->ref, &err);
    if (rc == TG_ENOMEM)
        return rc;
    if (rc != TG_OK) {
        tg_error_prefix(&err, "invalid image reference");
    } else {
        j->rq = (struct registry_request){&j->ref, q->need, q->deadline_ms};
        rc = registry_lookup_cached(j->reg, &j->rq, &img, &hit, &err);
    }
    if (!hit) {
        *queued = true;
        return TG_OK;
    }
    enum tg_rc rrc = record(a, rc, &img, err.text, j->fact);
    registry_image_cleanup(&img);
    return rrc;
}

/* Look the queued images up at the same time, at most MAX_PARALLEL at
 * once; the last of each wave runs on this thread, as does any whose
 * thread could not be started. */
static void run_jobs(struct job **queue, size_t n)
{
    for (size_t start = 0; start < n; start += MAX_PARALLEL) {
        size_t end = n - start > MAX_PARALLEL ? start + MAX_PARALLEL : n;
        for (size_t i = start; i + 1 < end; i++)
            queue[i]->threaded =
                pthread_create(&queue[i]->th, NULL, run_job, queue[i]) == 0;
        for (size_t i = start; i < end; i++) {
            if (!queue[i]->threaded)
                run_job(queue[i]);
        }
        for (size_t i = start; i + 1 < end; i++) {
            if (queue[i]->threaded)
                pthread_join(queue[i]->th, NULL);
        }
    }
}

static enum tg_rc gather(struct registry *reg, const struct facts_query *q,
                         struct arena *a, struct image_fact *items, size_t *n_items)
{
    enum tg_rc rc = TG_ENOMEM;
    size_t n = 0, n_queued = 0;
    struct job *jobs = tg_calloc(q->n_images, sizeof(*jobs));
    struct job **queue = tg_calloc(q->n_images, sizeof(*queue));
    if (!jobs || !queue)
        goto out;
    for (size_t i = 0; i < q->n_images; i++) {
        if (!q->images[i] || seen_before(q->images, i))
            continue;
        struct job *j = &jobs[n];
        bool queued;
        *j = (struct job){.reg = reg, .fact = &items[n++]};
        if (prepare(q, q->images[i], a, j, &queued) != TG_OK)
            goto out;
        if (queued)
            queue[n_queued++] = j;
    }
    run_jobs(queue, n_queued);
    rc = TG_OK;
    for (size_t k = 0; k < n_queued && rc == TG_OK; k++)
        rc = record(a, queue[k]->rc, &queue[k]->img, queue[k]->err.text, queue[k]->fact);
    *n_items = n;
out:
    for (size_t k = 0; jobs && k < n; k++)
        registry_image_cleanup(&jobs[k].img);
    tg_free(jobs);
    tg_free(queue);
    return rc;
}

enum tg_rc facts_gather(struct registry *reg, const struct facts_query *q,
                        struct arena *a, struct facts *out, struct tg_error *err)
{
    struct image_fact *items = NULL;
    size_t n = 0;
    if (reg && q->need && q->n_images) {
        items = arena_zalloc(a, q->n_images * sizeof(*items));
        if (!items || gather(reg, q, a, items, &n) != TG_OK)
            return tg_error_setf(err, TG_ENOMEM, "out of memory gathering image facts");
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
