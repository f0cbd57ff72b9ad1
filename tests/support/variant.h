/* variant.h -- objects changed where no rule looks, for answer comparisons.
 *
 * check_lean and bench_oracle (bench/oracle.c) both judge an UPDATE whose
 * old object differs from the new one only in a member nobody reads: the
 * answer must still see the change.  Pure; borrows nothing.
 */
#ifndef TOLLGATE_VARIANT_H
#define TOLLGATE_VARIANT_H

#include <jansson.h>

/* A new reference to a copy of `object` whose first container's env is
 * changed; NULL when the object has no container (or on OOM). */
json_t *variant_env_changed(const json_t *object);

#endif
