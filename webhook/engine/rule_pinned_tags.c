/* rule_pinned_tags.c -- images must name one immutable thing.
 *
 * A missing tag means ":latest", and ":latest" (like any tag) can be
 * re-pushed, so what runs tomorrow is not what was reviewed today.  A
 * reference passes with a non-latest tag, or with a digest; requireDigest
 * demands the digest.  "app:latest@sha256:..." is pinned by its digest (the
 * runtime ignores the tag), so it passes -- with a note that the tag is
 * misleading.  With resolveDigest the registry's digest for the tag is in
 * the facts: the message names it, and the mutate action pins the image to
 * it ("name:tag@sha256:...", the index digest so every platform works).
 */
#include <string.h>

#include "rules.h"

#define RULE_ID "pinnedTags"

static const struct image_fact *resolved(const struct rule_ctx *ctx,
                                         const struct container *c)
{
    if (!ctx->policy->pinned_tags.resolve_digest)
        return NULL;
    const struct image_fact *f = facts_find(ctx->facts, c->image);
    return f && f->status == FACT_OK && f->digest ? f : NULL;
}

static enum tg_rc pin_fix(const struct rule_ctx *ctx, const struct container *c,
                          struct findings *out, struct finding *fnd, const char *digest)
{
    char *pinned = arena_printf(ctx->arena, "%s@%s", c->image, digest);
    char *ptr = arena_printf(ctx->arena, "%s/image", c->pointer);
    if (!pinned || !ptr)
        return TG_ENOMEM;
    return finding_add_fix(out, fnd, ptr, json_string(pinned));
}

/* The image as the user wrote it, without its tag: "nginx" for
 * "nginx:latest", so the suggestion reads in the user's own spelling. */
static const char *written_name(const struct rule_ctx *ctx, const struct container *c)
{
    size_t len = strlen(c->image);
    if (ctx->image && ctx->image->tag)
        len -= strlen(ctx->image->tag) + 1;
    const char *s = arena_strndup(ctx->arena, c->image, len);
    return s ? s : c->image;
}

static enum tg_rc unpinned(const struct rule_ctx *ctx, const struct container *c,
                           struct findings *out, const char *problem)
{
    const struct image_fact *fact = resolved(ctx, c);
    struct finding *fnd;
    enum tg_rc rc;
    if (fact)
        rc = findings_addf(out, RULE_ID, c, "image", &fnd,
                           "image \"%s\" %s; pin it as \"%s@%s\"", c->image, problem,
                           c->image, fact->digest);
    else
        rc = findings_addf(out, RULE_ID, c, "image", &fnd,
                           "image \"%s\" %s; pin a version tag (\"%s:1.2.3\") or a "
                           "digest (\"@sha256:...\")",
                           c->image, problem, written_name(ctx, c));
    if (rc != TG_OK || !fact)
        return rc;
    return pin_fix(ctx, c, out, fnd, fact->digest);
}

static enum tg_rc lookup_failed(const struct rule_ctx *ctx, const struct container *c,
                                struct findings *out)
{
    const struct rule_common *common = &ctx->policy->pinned_tags.common;
    const struct image_fact *f = facts_find(ctx->facts, c->image);
    if (!ctx->policy->pinned_tags.resolve_digest || !f || f->status == FACT_OK)
        return TG_OK;
    struct finding *fnd;
    enum tg_rc rc = findings_addf(out, RULE_ID, c, "image", &fnd,
                                  "cannot resolve the digest of image \"%s\" (%s)%s",
                                  c->image, f->error ? f->error : "lookup failed",
                                  common->allow_on_lookup_failure ? "; allowed by policy"
                                                                  : "; pin a digest");
    if (rc == TG_OK && common->allow_on_lookup_failure)
        fnd->severity = FINDING_NOTE;
    return rc;
}

enum tg_rc rule_pinned_tags_eval(const struct rule_ctx *ctx, const struct container *c,
                                 struct findings *out)
{
    if (!c->image)
        return findings_addf(out, RULE_ID, c, "image", NULL,
                             "image is not set; name an image with a version tag");
    if (!ctx->image)
        return findings_addf(out, RULE_ID, c, "image", NULL,
                             "image \"%s\" is not a valid reference: %s", c->image,
                             ctx->image_error ? ctx->image_error : "unparseable");
    const struct imgref *r = ctx->image;
    if (r->digest) {
        if (!r->tag || strcmp(r->tag, "latest") != 0)
            return TG_OK;
        struct finding *fnd;
        enum tg_rc rc = findings_addf(out, RULE_ID, c, "image", &fnd,
                                      "image \"%s\" is pinned by its digest, but the tag "
                                      "\"latest\" is misleading (the digest wins); drop "
                                      "the tag or name the version",
                                      c->image);
        if (rc == TG_OK)
            fnd->severity = FINDING_NOTE;
        return rc;
    }
    enum tg_rc rc = lookup_failed(ctx, c, out);
    if (rc != TG_OK)
        return rc;
    if (!r->tag)
        return unpinned(ctx, c, out, "has no tag, so it means \":latest\"");
    if (strcmp(r->tag, "latest") == 0)
        return unpinned(ctx, c, out, "uses the mutable tag \"latest\"");
    if (ctx->policy->pinned_tags.require_digest)
        return unpinned(ctx, c, out, "is not pinned by digest (the policy requires one)");
    /* resolveDigest with mutate: pin every tag to what it names today. */
    if (ctx->policy->pinned_tags.common.action == ACTION_MUTATE && resolved(ctx, c))
        return unpinned(ctx, c, out, "is not pinned by digest");
    return TG_OK;
}
