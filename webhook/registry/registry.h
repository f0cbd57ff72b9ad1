/* registry.h -- asking an OCI / Docker registry about an image (libcurl).
 *
 * Two questions, from the distribution spec (OCI distribution v2):
 *   - which digest does a tag name?  HEAD /v2/<repo>/manifests/<tag>, then
 *     GET if the registry sent no Docker-Content-Digest; the digest is that
 *     header or the sha256 of the body.  For a multi-platform image it is the
 *     index's digest, so a pinned reference still works on every node.
 *   - which USER does the image run as?  GET the manifest; for an index
 *     (OCI image index, Docker manifest list) pick the configured platform's
 *     manifest and GET it; then GET its config blob and read config.User.
 * Every body fetched by digest is checked against its sha256, and the
 * manifest body against Docker-Content-Digest when both are present.
 *
 * Auth: anonymous first; on 401 basic (credentials from the dockerconfigjson
 * file) or the bearer-token flow (registry_auth.h), tokens cached until they
 * expire.  HTTPS with the system CAs or a configured bundle; plain HTTP only
 * for registries listed as insecure.  Answers go through a registry_cache
 * (TTL, size bound, single flight).
 *
 * Each lookup has a CURL handle to itself, with CURLOPT_NOSIGNAL and a hard
 * budget (CURLOPT_TIMEOUT_MS from the remaining deadline), so it never
 * blocks an admission past the deadline its caller gave.  Idle handles are
 * kept (up to 8) so the next miss reuses their connections; a handle is
 * never used by two lookups at once.  libcurl is set up by the first
 * lookup (curl_global_init once, under pthread_once: OpenSSL's start-up
 * costs ~2 MB of resident memory that a server without lookups need not
 * pay); a caller that also calls curl_global_init is harmless, and the
 * process calls curl_global_cleanup at exit.
 * Thread-safe: a struct registry is shared by every server thread.
 */
#ifndef TOLLGATE_REGISTRY_H
#define TOLLGATE_REGISTRY_H

#include <stdbool.h>
#include <stddef.h>

#include "error.h"
#include "imgref.h"
#include "registry_cache.h"

/* Settings; the server and the CLI expose each as a flag.  Strings are
 * borrowed: they must outlive registry_new only (it copies them). */
struct registry_config {
    /* dockerconfigjson file with credentials per registry host (the format of
     * a kubernetes.io/dockerconfigjson Secret); NULL = anonymous only.
     * --registry-auth-file */
    const char *docker_config;
    /* PEM bundle of CAs trusted for registry HTTPS; NULL = the system CAs.
     * --registry-ca-file */
    const char *ca_bundle;
    /* Hosts ("host" or "host:port", as in the image reference) spoken to over
     * plain HTTP; the token realm of such a registry may be plain HTTP too.
     * Everything else is HTTPS only.  --registry-insecure (repeatable) */
    const char *const *insecure;
    size_t n_insecure;
    /* Platform whose image config is read from a multi-platform index:
     * "os/arch" or "os/arch/variant".  --registry-platform, default
     * "linux/amd64" (NULL means the default). */
    const char *platform;
    /* Hard budget of one lookup (all its requests, auth included), in ms;
     * keep it well inside the webhook timeout.  --registry-timeout, default
     * 2000 (0 or less means the default); the gatherer's deadline may cut
     * it shorter. */
    long timeout_ms;
    /* How long answers are kept, in s (--registry-cache-ttl, default 300;
     * 0 = no caching), and failures, in s (--registry-error-ttl, default 10;
     * 0 = retry every time). */
    long cache_ttl_s;
    long error_ttl_s;
    /* Most answers kept; the least recently used go first.
     * --registry-cache-size, default 1024; 0 = no caching. */
    size_t cache_max_entries;
};

/* Fill `cfg` with the defaults above (docker_config, ca_bundle, insecure
 * NULL/empty). */
void registry_config_defaults(struct registry_config *cfg);

struct registry;

/* A client for `cfg`: reads the credentials file now (errors name it, as
 * registry_auth_new says), checks the platform ("linux/amd64" form) and that
 * the CA bundle is readable (TG_EINVAL / TG_EIO naming the flag's value).
 * *out owns a new client; free with registry_free. */
TG_MUST_CHECK enum tg_rc registry_new(const struct registry_config *cfg,
                                      struct registry **out, struct tg_error *err);

void registry_free(struct registry *r); /* NULL-safe; no lookup may be running */

/* What a lookup should find out (bits). */
enum registry_want {
    REGISTRY_WANT_DIGEST = 1 << 0, /* digest of the tag (free if pinned) */
    REGISTRY_WANT_USER = 1 << 1,   /* config.User of the platform's image */
};

/* One question: what to find out about which image, by when. */
struct registry_request {
    const struct imgref *ref; /* parsed reference (imgref.h), borrowed */
    unsigned want;            /* REGISTRY_WANT_* bits */
    long long deadline_ms;    /* registry_now_ms clock */
};

/* Look rq->ref up within rq->deadline_ms and this client's per-lookup
 * timeout, whichever comes first.  On TG_OK *out (caller storage) holds what
 * rq->want asked for: digest when REGISTRY_WANT_DIGEST (the reference's own
 * digest if it has one), config_user when REGISTRY_WANT_USER; release with
 * registry_image_cleanup.  On failure err->text is one short line fit for
 * an admission message, never a credential:
 *   TG_ETIMEDOUT "registry 127.0.0.1:5000 did not answer within 2000 ms"
 *   TG_ENOTFOUND "manifest app:1.0 not found on 127.0.0.1:5000"
 *   TG_EIO       "registry 127.0.0.1:5000: authentication failed (401); ...",
 *                connection and TLS failures, 5xx answers
 *   TG_EINVAL    malformed or unsupported manifest, digest mismatch, no
 *                image for the platform
 *   TG_ETOOBIG   a manifest or config over 4 MiB
 *   TG_ENOMEM.
 * Answers (and failures, briefly) come from the cache when it has them. */
TG_MUST_CHECK enum tg_rc registry_lookup(struct registry *r,
                                         const struct registry_request *rq,
                                         struct registry_image *out,
                                         struct tg_error *err);

/* registry_lookup without I/O: the answer only if the reference itself
 * holds it (a digest, when only the digest is wanted) or the cache has a
 * fresh one.  *hit says whether it did; when false, the return is TG_OK
 * and *out is empty.  facts_gather uses it to start threads only for the
 * images that really need the network. */
TG_MUST_CHECK enum tg_rc registry_lookup_cached(struct registry *r,
                                                const struct registry_request *rq,
                                                struct registry_image *out, bool *hit,
                                                struct tg_error *err);

/* The per-lookup budget in ms (registry_config.timeout_ms, defaulted). */
long registry_timeout_ms(const struct registry *r);

/* The client's cache counters (tests, metrics). */
void registry_stats(struct registry *r, struct registry_cache_stats *out);

#endif
