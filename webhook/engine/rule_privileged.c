/* rule_privileged.c -- no privileged containers.
 *
 * securityContext.privileged: true gives the container every capability,
 * the node's devices and no seccomp or AppArmor confinement: root in it is
 * root on the node.  The field exists on containers only (the pod's
 * securityContext has none).  Init and ephemeral containers are judged like
 * app containers, so a privileged init container, or a debug container
 * from `kubectl debug --profile=sysadmin`, is refused too.  No fix:
 * privileged: true is always somebody's explicit choice, and only they can
 * say which capabilities the container needs instead.
 */
#include "rules.h"
#include "secctx.h"

#define RULE_ID "privileged"

enum tg_rc rule_privileged_eval(const struct rule_ctx *ctx, const struct container *c,
                                struct findings *out)
{
    (void)ctx;
    if (!json_is_true(secctx_container(c, "privileged")))
        return TG_OK;
    return findings_addf(out, RULE_ID, c, "securityContext/privileged", NULL,
                         "privileged is true, which gives the container every capability "
                         "and the node's devices; remove it or set it to false");
}
