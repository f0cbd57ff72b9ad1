/* policy_schema.h -- what each key of a policy document means, as a table.
 *
 * One entry per key (in the spirit of Redis's standardConfig table): the
 * key, a reader for its type (bool, integer, enum, list, nested mapping,
 * ...), the offset of the member it fills and an optional validator.
 * Adding a rule means one entry in the `rules` table of policy_schema.c and
 * one table of its own keys; the keys every rule shares (action, exempt,
 * onLookupFailure) come with the COMMON_FIELDS macro there.
 *
 * Documents are applied one after another onto the same struct policy,
 * which is how a directory merges: a key that is present overrides scalars
 * and replaces lists; exclude.namespaces and overrides are appended; keys
 * that are absent keep what earlier documents (or the defaults) set.
 * Checks that need the merged result (probes must require something) run
 * once at the end, in policy_schema_finish.
 * Pure; not thread-safe for one policy (it is being built), otherwise so.
 */
#ifndef TOLLGATE_POLICY_SCHEMA_H
#define TOLLGATE_POLICY_SCHEMA_H

#include <stdbool.h>

#include "error.h"
#include "policy.h"
#include "policy_yaml.h"

/* Where a key was written, for errors found after the merge. */
struct schema_mark {
    bool set;
    char source[256];
    int line, column;
};

/* What the loader remembers across the documents of one load.  Caller
 * storage; start it with policy_schema_init. */
struct policy_schema_state {
    unsigned n_documents;               /* applied so far */
    struct schema_mark probes_require;  /* last spec.rules.probes.require */
    struct schema_mark registries_rule; /* last spec.rules.allowedRegistries */
    struct schema_mark resources_rule;  /* last spec.rules.resources */
};

void policy_schema_init(struct policy_schema_state *st);

/* Apply the document `root` (read from `source`) onto `p`; strings and
 * arrays are allocated from p->arena.  The first document's metadata.name
 * becomes p->name.  Errors: TG_EINVAL with source, 1-based line and column
 * and a message "key.path: what is wrong (what was expected)"; TG_ENOMEM.
 * On error `p` is partly updated and must be thrown away. */
TG_MUST_CHECK enum tg_rc policy_schema_apply(struct policy *p,
                                             struct policy_schema_state *st,
                                             const struct ynode *root, const char *source,
                                             struct tg_error *err);

/* The checks that need every document applied first.  TG_EINVAL with the
 * position of the key that made the merged policy invalid. */
TG_MUST_CHECK enum tg_rc policy_schema_finish(const struct policy *p,
                                              const struct policy_schema_state *st,
                                              struct tg_error *err);

#endif
