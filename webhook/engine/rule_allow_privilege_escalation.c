/* rule_allow_privilege_escalation.c -- no process may gain privileges its
 * parent did not have.
 *
 * With allowPrivilegeEscalation: false the kubelet starts the container
 * with no_new_privs, so a setuid binary or a file capability cannot raise a
 * process's privileges.  Unset, Kubernetes treats it as true, and the API
 * reference says it is always true for a container that is privileged or
 * has CAP_SYS_ADMIN: the API server refuses allowPrivilegeEscalation: false
 * next to privileged: true (and next to an add of "CAP_SYS_ADMIN"), and
 * SYS_ADMIN can mount and unshare its way around no_new_privs anyway.  So,
 * per container (the field has no pod-level counterpart):
 *   privileged: true                   violation at privileged, no fix
 *   capabilities.add names SYS_ADMIN   violation at that item, no fix (in
 *                                      any spelling a runtime grants it by)
 *   allowPrivilegeEscalation: true     violation, no fix: somebody decided
 *   unset                              violation; the fix sets it to false
 *   false                              passes
 * Adding "false" where it is unset is the safe fix: only a process that
 * relies on setuid or file capabilities to gain privileges notices, and
 * that is what the rule forbids.  Linux-only: Windows pods are not judged
 * (the API server refuses the field on them).
 */
#include <stdio.h>

#include "rules.h"
#include "secctx.h"

#define RULE_ID "allowPrivilegeEscalation"
#define FIELD "securityContext/allowPrivilegeEscalation"

/* The index of the first capabilities.add item that grants SYS_ADMIN, or
 * -1 when none does. */
static long sys_admin_index(const struct container *c)
{
    const json_t *add = json_object_get(secctx_container(c, "capabilities"), "add");
    for (size_t i = 0; i < json_array_size(add); i++) {
        const char *cap = json_string_value(json_array_get(add, i));
        if (cap && secctx_capability_is(cap, "SYS_ADMIN"))
            return (long)i;
    }
    return -1;
}

/* SYS_ADMIN, added as capabilities.add[i]. */
static enum tg_rc report_sys_admin(const struct container *c, size_t i,
                                   struct findings *out)
{
    const json_t *add = json_object_get(secctx_container(c, "capabilities"), "add");
    char field[64];
    snprintf(field, sizeof(field), "securityContext/capabilities/add/%zu", i);
    return findings_addf(out, RULE_ID, c, field, NULL,
                         "capability \"%s\" always allows privilege escalation; remove "
                         "it, then set allowPrivilegeEscalation: false",
                         json_string_value(json_array_get(add, i)));
}

enum tg_rc rule_allow_privilege_escalation_eval(const struct rule_ctx *ctx,
                                                const struct container *c,
                                                struct findings *out)
{
    if (ctx->pod->is_windows)
        return TG_OK;
    if (json_is_true(secctx_container(c, "privileged")))
        return findings_addf(
            out, RULE_ID, c, "securityContext/privileged", NULL,
            "privileged: true always allows privilege escalation; "
            "remove privileged, then set allowPrivilegeEscalation: false");
    long sys_admin = sys_admin_index(c);
    if (sys_admin >= 0)
        return report_sys_admin(c, (size_t)sys_admin, out);
    const json_t *allow = secctx_container(c, "allowPrivilegeEscalation");
    if (json_is_false(allow))
        return TG_OK;
    if (allow)
        return findings_addf(
            out, RULE_ID, c, FIELD, NULL,
            "allowPrivilegeEscalation is true; set it to false so that "
            "no process can gain privileges (setuid, file capabilities)");
    struct finding *fnd;
    enum tg_rc rc = findings_addf(out, RULE_ID, c, FIELD, &fnd,
                                  "allowPrivilegeEscalation is not set, and Kubernetes "
                                  "then allows it; set securityContext."
                                  "allowPrivilegeEscalation: false");
    if (rc != TG_OK)
        return rc;
    return finding_add_container_fix(out, fnd, c, FIELD, json_false());
}
