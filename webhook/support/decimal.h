/* decimal.h -- unsigned integers as decimal digits, without printf.
 *
 * For the per-request paths (the decision log line, a JSON pointer per
 * container) where snprintf's format parsing showed in profiles.
 * Pure; thread-safe.
 */
#ifndef TOLLGATE_DECIMAL_H
#define TOLLGATE_DECIMAL_H

#include <stddef.h>

#define DECIMAL_MAX_DIGITS 20 /* of an unsigned 64-bit value */

/* The digits of `v` into `out`, at least `width` of them (zero-padded in
 * front; width <= DECIMAL_MAX_DIGITS), no NUL; returns how many it wrote,
 * which is all it writes (a value known to be below 1000 needs 3 bytes,
 * any value at most DECIMAL_MAX_DIGITS). */
size_t decimal_format(char *out, unsigned long long v, size_t width);

#endif
