/* engine.h -- pure evaluation: (object, facts, policy) -> findings.
 *
 * The engine finds the object's pod spec (workload.h), parses each
 * container's image once, and runs every rule that is not off on every
 * container that the rule's exemptions do not cover.  It does not decide
 * (decide.h does), does no I/O, keeps no globals and never logs, so the
 * server and the CLI give the same verdict for the same object.
 * Thread-safe: the policy and facts are read-only; the findings and arena
 * belong to the caller.
 */
#ifndef TOLLGATE_ENGINE_H
#define TOLLGATE_ENGINE_H

#include <jansson.h>
#include <stdbool.h>

#include "error.h"
#include "facts.h"
#include "findings.h"
#include "policy.h"
#include "workload.h"

/* Members whose object or array values nothing in the engine, the
 * workload lookup or the decision reads unless a rule that needs them is
 * on: the pod's volumes, affinity and tolerations, a container's env,
 * mounts, resources, command, arguments and probes (whose presence alone
 * is checked), annotations, managedFields, status, the request's options
 * (engine.c has the list).  The admission path leaves them unbuilt (jsondec
 * raw values, compared byte for byte when an UPDATE's pod specs are
 * compared), which saves ~30% of decoding a typical review.  A rule that
 * reads one says so in its row of the rule table (struct rule.reads), and
 * the member is built while that rule is on; check_lean compares every
 * fixture's answers with and without the lean decoding.
 * Writes the list for `policy`, NULL-terminated, into `out` and returns
 * it.  Pure. */
#define ENGINE_UNREAD_CAP 40
const char *const *engine_unread_members(const struct policy *policy,
                                         const char *out[ENGINE_UNREAD_CAP]);

struct engine_result {
    bool has_podspec;   /* false: a kind without pod spec, nothing judged */
    struct podspec pod; /* valid when has_podspec */
};

/* Evaluate `object` under `policy`, appending to `out` (initialised by the
 * caller with the same arena `a`).  Each finding carries the rule's action
 * from the policy.  Errors: TG_EINVAL when the object's structure is not
 * what its kind requires (err names the JSON Pointer), TG_ENOMEM when the
 * arena is full. */
TG_MUST_CHECK enum tg_rc engine_eval(const struct policy *policy, const json_t *object,
                                     const struct facts *facts, struct arena *a,
                                     struct findings *out, struct engine_result *res,
                                     struct tg_error *err);

/* The registry facts `object` needs under `policy`, from `gather` (which
 * does the I/O, with `ctx`), into `out` from `a`: the images of its
 * containers when a rule looks them up (resolveDigest, checkImageUser),
 * each once.  Nothing is gathered when no rule needs a lookup, or when the
 * object is malformed (engine_eval reports that).  The server and the CLI
 * both gather this way, before evaluating. */
TG_MUST_CHECK enum tg_rc engine_gather_facts(const struct policy *policy,
                                             const json_t *object, facts_gather_fn gather,
                                             void *ctx, struct arena *a,
                                             struct facts *out);

#endif
