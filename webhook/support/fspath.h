/* fspath.h -- absolute file system paths, compared without the file system.
 *
 * A hostPath volume names a path on the node, and the policy names the
 * paths it allows; both are compared as text, the way the kubelet would
 * resolve them before any symlink: "/var/log/" and "/var//log/." are
 * /var/log, a prefix matches at a path boundary (/var/log covers
 * /var/log/pods, not /var/logs), and a ".." element is refused rather
 * than resolved, as the API server refuses it in a hostPath.
 * Pure; thread-safe.
 */
#ifndef TOLLGATE_FSPATH_H
#define TOLLGATE_FSPATH_H

#include <stdbool.h>
#include <stddef.h>

/* Why fspath_normalise refused a path. */
enum fspath_problem {
    FSPATH_OK,
    FSPATH_RELATIVE, /* does not start with '/' (or is empty) */
    FSPATH_BACKSTEP, /* has a ".." element */
    FSPATH_TOO_LONG, /* does not fit `cap` bytes */
};

/* `in` without repeated '/', "." elements and a trailing '/' (the root
 * stays "/"), into `out` (cap bytes with the NUL).  `out` is written only
 * on FSPATH_OK. */
enum fspath_problem fspath_normalise(const char *in, char *out, size_t cap);

/* Is `path` `prefix` itself or below it?  Both normalised. */
bool fspath_is_under(const char *path, const char *prefix);

/* "is not an absolute path", ... for messages; "" for FSPATH_OK. */
const char *fspath_problem_text(enum fspath_problem p);

#endif
