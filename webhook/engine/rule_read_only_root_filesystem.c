/* rule_read_only_root_filesystem.c -- the container's root filesystem is
 * read-only.
 *
 * With readOnlyRootFilesystem: true, nothing the container runs can change
 * its image's files (drop a binary, edit a config, persist a foothold);
 * what must be written goes to volumes (an emptyDir for /tmp).  Unset
 * means false.  Not a Pod Security Standards control; Polaris and
 * Kyverno's best-practice policies ask for it.
 * No fix: setting it stops any app that writes under / (a cache, a pid
 * file, /tmp) at its first write, and which paths need a volume only the
 * app's author knows -- the one change of this family that cannot be made
 * blind.  Container-only field; Linux-only (the API server refuses it on a
 * Windows pod), so Windows pods are not judged.
 */
#include "rules.h"
#include "secctx.h"

#define RULE_ID "readOnlyRootFilesystem"

enum tg_rc rule_read_only_root_filesystem_eval(const struct rule_ctx *ctx,
                                               const struct container *c,
                                               struct findings *out)
{
    if (ctx->pod->is_windows)
        return TG_OK;
    const json_t *ro = secctx_container(c, "readOnlyRootFilesystem");
    if (json_is_true(ro))
        return TG_OK;
    return findings_addf(out, RULE_ID, c, "securityContext/readOnlyRootFilesystem", NULL,
                         "readOnlyRootFilesystem is %s, so the container can change its "
                         "image's files; set it to true and mount an emptyDir where the "
                         "app writes (/tmp)",
                         ro ? "false" : "not set");
}
