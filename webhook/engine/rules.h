/* rules.h -- the rule table and what a rule sees.
 *
 * A rule judges one container at a time and adds findings; it never
 * denies, logs, or does I/O -- the engine (engine.h) decides which rules
 * run on which containers, and decide.h what the findings mean.  A rule
 * about the pod spec's own fields (hostNetwork, volumes) also has a pod
 * hook, run once per pod spec with a container of kind CONTAINER_POD that
 * stands for the pod spec (its pointer is the pod spec's), so its findings
 * are made once, not once per container.  Each rule
 * lives in its own file, rule_<id>.c, with its own test suite, and has one
 * config struct in policy.h whose first member is a struct rule_common.
 * Adding a rule: the file, its test, a row in the table in rules.c, its
 * config in policy.h and its keys in the policy schema.
 * Pure and thread-safe: the table is const.
 */
#ifndef TOLLGATE_RULES_H
#define TOLLGATE_RULES_H

#include <stdbool.h>
#include <stddef.h>

#include "error.h"
#include "facts.h"
#include "findings.h"
#include "imgref.h"
#include "policy.h"
#include "workload.h"

/* Everything a rule may look at for one container. */
struct rule_ctx {
    const struct policy *policy;
    const struct podspec *pod;
    const struct facts *facts; /* NULL when no lookups were made (offline) */
    struct arena *arena;
    const struct imgref *image; /* the container's image, parsed; NULL if invalid */
    const char *image_error;    /* why it is invalid, or NULL (also NULL if unset) */
};

/* Members of engine_unread_members that a rule reads (struct rule.reads):
 * while a rule that reads one is on, the admission path builds it
 * (engine_unread_members). */
enum rule_reads {
    READS_ENV = 1u << 0,           /* a container's env */
    READS_VOLUME_MOUNTS = 1u << 1, /* a container's volumeMounts */
    READS_VOLUMES = 1u << 2,       /* the pod's volumes */
    READS_RESOURCES = 1u << 3,     /* a container's resources */
};

struct rule {
    const char *id;       /* as in policy files and messages: "runAsNonRoot" */
    size_t config_offset; /* offsetof(struct policy, <config>) */
    /* Each container (NULL: none). */
    enum tg_rc (*eval)(const struct rule_ctx *ctx, const struct container *c,
                       struct findings *out);
    /* Once per pod spec, before its containers, with `pod` of kind
     * CONTAINER_POD (NULL: none).  Exempt only when every container of the
     * pod is: the pod's own fields reach all of them. */
    enum tg_rc (*eval_pod)(const struct rule_ctx *ctx, const struct container *pod,
                           struct findings *out);
    unsigned reads; /* bit set of enum rule_reads */
};

/* The rules, in the order their findings are reported. */
const struct rule *rules_table(size_t *n);

/* The rule with this id, or NULL. */
const struct rule *rule_find(const char *id);

/* The first `max` items of `l` as written, for a message: "a, b, and 3
 * more".  "" when the arena is full (the message loses the list, not the
 * finding). */
const char *rules_list_text(struct arena *a, const struct strlist *l, size_t max);

/* The common part of the rule's config in `p`. */
const struct rule_common *rule_common_of(const struct rule *r, const struct policy *p);

/* Does `common`'s exemption cover container `c`: its name, or its image
 * (`image`, parsed; NULL when it has none or it is invalid)?  The engine
 * asks before it runs a rule on a container; a rule whose fix reaches
 * other containers too (a pod-level field) asks about those. */
bool rule_exempts(const struct rule_common *common, const struct container *c,
                  const struct imgref *image);

/* rule_exempts for a container whose image is not parsed yet: parses it
 * (into `a`) when the exemption names images; an invalid image is exempt
 * by name only, as the engine has it.  *out is written on success;
 * TG_ENOMEM when `a` is full. */
TG_MUST_CHECK enum tg_rc rule_exempts_container(const struct rule_common *common,
                                                const struct container *c,
                                                struct arena *a, bool *out);

/* The rules (one file each). */
enum tg_rc rule_run_as_non_root_eval(const struct rule_ctx *ctx,
                                     const struct container *c, struct findings *out);
enum tg_rc rule_pinned_tags_eval(const struct rule_ctx *ctx, const struct container *c,
                                 struct findings *out);
enum tg_rc rule_probes_eval(const struct rule_ctx *ctx, const struct container *c,
                            struct findings *out);
enum tg_rc rule_allowed_registries_eval(const struct rule_ctx *ctx,
                                        const struct container *c, struct findings *out);
enum tg_rc rule_image_pull_policy_eval(const struct rule_ctx *ctx,
                                       const struct container *c, struct findings *out);
/* host access and hygiene (issue 15) */
enum tg_rc rule_host_namespaces_eval_pod(const struct rule_ctx *ctx,
                                         const struct container *pod,
                                         struct findings *out);
enum tg_rc rule_host_ports_eval(const struct rule_ctx *ctx, const struct container *c,
                                struct findings *out);
enum tg_rc rule_host_path_eval_pod(const struct rule_ctx *ctx,
                                   const struct container *pod, struct findings *out);
enum tg_rc rule_host_path_eval(const struct rule_ctx *ctx, const struct container *c,
                               struct findings *out);
enum tg_rc rule_no_secrets_in_env_eval(const struct rule_ctx *ctx,
                                       const struct container *c, struct findings *out);
enum tg_rc rule_resources_eval(const struct rule_ctx *ctx, const struct container *c,
                               struct findings *out);
/* container hardening (issue 15) */
enum tg_rc rule_privileged_eval(const struct rule_ctx *ctx, const struct container *c,
                                struct findings *out);
enum tg_rc rule_allow_privilege_escalation_eval(const struct rule_ctx *ctx,
                                                const struct container *c,
                                                struct findings *out);
enum tg_rc rule_capabilities_eval(const struct rule_ctx *ctx, const struct container *c,
                                  struct findings *out);
enum tg_rc rule_read_only_root_filesystem_eval(const struct rule_ctx *ctx,
                                               const struct container *c,
                                               struct findings *out);
enum tg_rc rule_seccomp_profile_eval(const struct rule_ctx *ctx,
                                     const struct container *c, struct findings *out);

#endif
