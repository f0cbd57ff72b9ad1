/* imgref.h -- container image references, parsed and normalised.
 *
 * Implements the reference grammar of the distribution project
 * (github.com/distribution/reference), which the container runtimes use:
 *     reference  := name [ ":" tag ] [ "@" digest ]
 *     name       := [domain "/"] path-component ["/" path-component]*
 *     domain     := host [":" port]   (a first component is a domain only if
 *                   a '/' follows it and it contains "." or ":", is
 *                   "localhost", or has an uppercase letter -- the
 *                   distribution rule)
 *     host       := label ("." label)* | "[" IPv6 "]"
 *                   (label := [A-Za-z0-9] | [A-Za-z0-9][A-Za-z0-9-]*[A-Za-z0-9])
 *     port       := 1..65535 (at most 5 digits)
 *     path-component := [a-z0-9]+ ( ("." | "_" | "__" | "-"+) [a-z0-9]+ )*
 *     tag        := [A-Za-z0-9_][A-Za-z0-9_.-]{0,127}
 *     digest     := algorithm ":" hex   (sha256: exactly 64 lowercase hex;
 *                   sha384: 96; sha512: 128 -- what go-digest accepts)
 * The tag's ':' is the first one after the last '/', so
 * "localhost:5000/app" is host and port, and "app:1.2@sha256:..." keeps both
 * tag and digest.  The normalised name (registry "/" repository) is at most
 * 255 characters, and a bare 64-hex string is refused as an image ID.
 * Docker Hub normalisation: no domain, "index.docker.io" and
 * "registry-1.docker.io" become "docker.io"; a single-component path on
 * docker.io gets "library/".  Registry hosts are compared case-insensitively,
 * so they are lowercased ("DOCKER.IO/nginx" is docker.io/library/nginx and
 * cannot evade a rule); the repository path must already be lowercase.
 * One quirk is kept for compatibility with the runtimes: a dotless host
 * recognised only by its uppercase ("MyRegistry/app") normalises to
 * "myregistry/app", which no prefix can name (a dotless prefix means Docker
 * Hub), so allowlists deny it.
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

/* Parse `ref` into `out`; every string of `out` is allocated from `a` (one
 * allocation of about twice the reference's length).
 * Errors: TG_EINVAL with err->text saying what is wrong (without repeating
 * the whole reference, which the caller quotes) and err->line 1,
 * err->column the 1-based offset in `ref` where it was found, e.g.
 *   "repository \"Nginx\" must be lowercase"                         (col 1)
 *   "digest \"sha256:abc\" must be sha256 followed by 64 hex digits (found 3)"
 *   "empty path component (remove the extra '/')"
 *   "empty tag after ':' (remove the ':' or add a tag)"
 *   "whitespace is not allowed in an image reference"
 * err->source is left empty.  NULL or "" is TG_EINVAL at column 1.
 * TG_ENOMEM when `a` is full.  `out` is written only on success. */
TG_MUST_CHECK enum tg_rc imgref_parse(const char *ref, struct arena *a,
                                      struct imgref *out, struct tg_error *err);

/* True when `name` (a normalised name, as in imgref.name) lies under
 * `prefix` at a path boundary: "ghcr.io/acme" covers "ghcr.io/acme" and
 * "ghcr.io/acme/app" but not "ghcr.io/acmecorp/app".  The prefix is
 * normalised first (imgref_normalise_prefix); a prefix that cannot be
 * normalised matches nothing -- validate policy prefixes at load time with
 * imgref_normalise_prefix so such a typo is an error, not a silent miss. */
bool imgref_name_has_prefix(const char *name, const char *prefix);

/* imgref_name_has_prefix for a prefix that is normalised already (the
 * output of imgref_normalise_prefix): a compare, nothing parsed. */
bool imgref_name_under(const char *name, const char *normalised_prefix);

/* Normalise an image-name prefix (a registry, or a registry and repository
 * path, without tag or digest) the way imgref_parse normalises names:
 *   "nginx"                        -> "docker.io/library/nginx"
 *   "docker.io", "INDEX.DOCKER.IO" -> "docker.io"  (all of Docker Hub)
 *   "docker.io/nginx"              -> "docker.io/library/nginx"
 *   "docker.io/library", "library" -> "docker.io/library" (official images)
 *   "GHCR.IO/acme"                 -> "ghcr.io/acme"
 *   "ghcr.io", "localhost:5000"    -> unchanged (a registry)
 * A trailing '/' names a namespace taken as written, so Docker Hub
 * organisations can be listed: "bitnami/", "docker.io/bitnami/" ->
 * "docker.io/bitnami".  On success *out is a copy in `a`.  Errors: TG_EINVAL
 * with err->column as for imgref_parse (a tag or digest, a bad host or path
 * component, empty); TG_ENOMEM when `a` is full. */
TG_MUST_CHECK enum tg_rc imgref_normalise_prefix(const char *prefix, struct arena *a,
                                                 const char **out, struct tg_error *err);

/* Is the reference pinned, i.e. does it carry a digest? */
bool imgref_is_pinned(const struct imgref *r);

#endif
