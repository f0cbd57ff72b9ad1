/* fake_registry.h -- a scripted HTTP server on 127.0.0.1 for registry tests.
 *
 * The real registry (Debian's docker-registry, driven by
 * tests/support/registry_fixture.sh) covers the protocol as registries speak
 * it; this server says what a real one never would -- malformed manifests,
 * lying digests, oversized bodies, broken challenges -- so every failure
 * path of registry.c can be walked.  Each route answers one exact path
 * (the query string is ignored) with a canned status, headers and body, and
 * counts its hits.  A route with `need_auth` set answers 401 with
 * `challenge` unless the request's Authorization equals it.
 * The server runs on libmicrohttpd's own thread; routes must not change
 * while it runs.
 */
#ifndef TOLLGATE_FAKE_REGISTRY_H
#define TOLLGATE_FAKE_REGISTRY_H

#include <stddef.h>

struct fake_route {
    const char *path;         /* "/v2/app/manifests/1.0" */
    int status;               /* 200, 404, ... */
    const char *content_type; /* or NULL */
    const char *digest;       /* Docker-Content-Digest, or NULL */
    const char *challenge;    /* WWW-Authenticate on 401, or NULL */
    const char *need_auth;    /* required Authorization value, or NULL */
    const char *location;     /* Location header (for a 3xx), or NULL */
    const char *body;         /* NUL-terminated; NULL = empty */
    size_t body_len;          /* 0 = strlen(body) */
    unsigned hits;            /* requests answered (read after stop or between) */
    unsigned heads;           /* how many of them were HEAD */
    unsigned authorized;      /* how many carried an Authorization header */
};

struct fake_registry;

/* Serve `routes` (borrowed, hits updated in place) on a random port;
 * unknown paths get 404.  NULL if the daemon cannot start. */
struct fake_registry *fake_registry_start(struct fake_route *routes, size_t n);

/* "127.0.0.1:<port>" of the running server. */
const char *fake_registry_host(const struct fake_registry *fr);

void fake_registry_stop(struct fake_registry *fr); /* NULL-safe */

/* A socket that listens and never answers: connections complete (the
 * kernel's backlog accepts them) and then nothing is ever said.  Returns the
 * fd (close it to stop) and writes "127.0.0.1:<port>" into host. */
int silent_listener_open(char *host, size_t host_len);

/* sha256 of `data` as "sha256:<hex>" into out (72 bytes). */
void fake_sha256(const char *data, size_t len, char out[72]);

#endif
