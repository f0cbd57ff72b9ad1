/* quantity.h -- Kubernetes resource quantities as integers.
 *
 * "500m", "1", "1.5", "2Gi", "512Mi", "1e3", "1k": the grammar of
 * k8s.io/apimachinery's resource.Quantity, <signedNumber><suffix>, where
 * the number has digits before and/or after a '.', and the suffix is a
 * binary multiple (Ki Mi Gi Ti Pi Ei), a decimal one (n u m "" k M G T P E)
 * or an exponent (e3, E-2; "E" alone is exa).  No blanks anywhere.
 * The value is kept in thousandths of the unit (millicores for cpu,
 * millibytes for memory): "500m" is 500, "1" is 1000, "1Ki" is 1024000.
 * Like Kubernetes, a value below the last milli is rounded up ("0.1m" is
 * 1); a value beyond QUANTITY_MAX (about 9.2e15 units: 8 PiB, 9 million
 * million cores) is held at QUANTITY_MAX, which still compares as above
 * every real maximum.
 * Pure; thread-safe.
 */
#ifndef TOLLGATE_QUANTITY_H
#define TOLLGATE_QUANTITY_H

#include <stdint.h>

#include "error.h"

#define QUANTITY_MAX INT64_MAX

/* Parse `s` into *milli (negative for "-1").  TG_EINVAL when `s` is not a
 * quantity; *why (may be NULL) then gets a static phrase such as "has an
 * unknown suffix" or "has no digits".  *milli is written only on success. */
TG_MUST_CHECK enum tg_rc quantity_parse(const char *s, int64_t *milli, const char **why);

#endif
