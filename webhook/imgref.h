/* imgref.h -- container image references, parsed and normalised.
 *
 * Implements the reference grammar of the distribution project
 * (github.com/distribution/reference):
 *     reference  := name [ ":" tag ] [ "@" digest ]
 *     name       := [domain "/"] path-component ["/" path-component]*
 *     domain     := host [":" port]   (a first component is a domain only if
 *                   it contains "." or ":" or is "localhost", or has an
 *                   uppercase letter -- the distribution rule)
 *     path-component := [a-z0-9]+ ( (".", "_", "__", "-"+) [a-z0-9]+ )*
 *     tag        := [A-Za-z0-9_][A-Za-z0-9_.-]{0,127}
 *     digest     := algorithm ":" hex   (sha256: exactly 64 lowercase hex)
 * and Docker Hub normalisation: no domain, "index.docker.io" and
 * "registry-1.docker.io" become "docker.io"; a single-component path on
 * docker.io gets "library/".  Registry hosts are compared case-insensitively,
 * so they are lowercased; the repository path must already be lowercase.
 * Pure: no I/O, no globals, thread-safe.
 */
#ifndef TOLLGATE_IMGREF_H
#define TOLLGATE_IMGREF_H

#include <stdbool.h>

#include "arena.h"
#include "error.h"

struct imgref {
    const char *registry;   /* "docker.io", "ghcr.io", "localhost:5000" (lowercase) */
    const char *repository; /* "library/nginx", "acme/app/api" */
    const char *name;       /* registry "/" repository: "docker.io/library/nginx" */
    const char *tag;        /* "1.25", or NULL when the reference has none */
    const char *digest;     /* "sha256:<64 hex>", or NULL */
};

/* Parse `ref` into `out`; every string of `out` is allocated from `a`.
 * Errors: TG_EINVAL with err->text saying what is wrong and err->column the
 * 1-based offset in `ref` where it was found, e.g.
 *   "repository \"Nginx\" must be lowercase"
 *   "digest \"sha256:abc\" must be sha256 followed by 64 hex digits"
 *   "empty path component"
 * TG_ENOMEM when `a` is full.  `out` is written only on success. */
TG_MUST_CHECK enum tg_rc imgref_parse(const char *ref, struct arena *a,
                                      struct imgref *out, struct tg_error *err);

/* True when `name` (a normalised name, as in imgref.name) lies under
 * `prefix` at a path boundary: "ghcr.io/acme" covers "ghcr.io/acme" and
 * "ghcr.io/acme/app" but not "ghcr.io/acmecorp/app".  The prefix is
 * normalised first ("nginx" means "docker.io/library/nginx", "docker.io"
 * means all of Docker Hub, host part case-insensitive); a prefix that cannot
 * be normalised matches nothing. */
bool imgref_name_has_prefix(const char *name, const char *prefix);

/* Is the reference pinned, i.e. does it carry a digest? */
bool imgref_is_pinned(const struct imgref *r);

#endif
