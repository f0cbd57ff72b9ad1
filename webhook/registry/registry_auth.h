/* registry_auth.h -- who tollgate is to a registry: credentials and tokens.
 *
 * Credentials come from a dockerconfigjson file, the format of a Kubernetes
 * `kubernetes.io/dockerconfigjson` Secret and of ~/.docker/config.json:
 *     {"auths": {"ghcr.io": {"auth": "<base64 of user:password>"},
 *                "https://index.docker.io/v1/": {"username": "u", "password": "p"}}}
 * (a file without "auths" is read as the older .dockercfg map of hosts).
 * Hosts are matched after dropping the scheme and any path, lowercased;
 * index.docker.io and registry-1.docker.io mean docker.io.
 *
 * The bearer-token flow of the distribution spec: a registry answers 401
 * with `WWW-Authenticate: Bearer realm="...",service="...",scope="..."`;
 * the client GETs the realm with service and scope (and basic credentials
 * when it has some) and retries with `Authorization: Bearer <token>`.  This
 * module parses the challenge and the token answer and keeps tokens until
 * `expires_in` (less a margin); the HTTP requests themselves are made by
 * registry.c, so nothing here does network I/O.
 *
 * Secrets never appear in a struct tg_error, a log line or a message: errors
 * name the file, the host and the field, not the value.
 * Thread-safe after registry_auth_new: credentials are read-only and the
 * token cache has its own mutex (held only for the copy in or out).
 */
#ifndef TOLLGATE_REGISTRY_AUTH_H
#define TOLLGATE_REGISTRY_AUTH_H

#include <stddef.h>

#include "error.h"

struct registry_auth;

/* Load credentials from `docker_config` (NULL: none, anonymous only).
 * Errors: TG_EIO (unreadable file), TG_EINVAL (not JSON, or an entry whose
 * "auth" is not base64 of "user:password"; err->source is the file and
 * err->text names the host), TG_ENOMEM.  *out owns a new object. */
TG_MUST_CHECK enum tg_rc registry_auth_new(const char *docker_config,
                                           struct registry_auth **out,
                                           struct tg_error *err);

void registry_auth_free(struct registry_auth *a); /* NULL-safe; wipes passwords */

/* Number of hosts with credentials (for a start-up log line). */
size_t registry_auth_n_hosts(const struct registry_auth *a);

/* "Basic <base64 user:password>" for `host` ("ghcr.io", "127.0.0.1:5000"),
 * newly allocated in *out (tg_free; it is a secret: do not log it).
 * TG_ENOTFOUND when there are no credentials for the host; TG_ENOMEM. */
TG_MUST_CHECK enum tg_rc registry_auth_basic(const struct registry_auth *a,
                                             const char *host, char **out);

/* A parsed WWW-Authenticate challenge.  Strings are owned (tg_malloc). */
struct registry_challenge {
    char scheme[16]; /* "bearer" or "basic", lowercased */
    char *realm;     /* NULL when absent */
    char *service;
    char *scope;
};

/* Parse a WWW-Authenticate value: `Scheme k="v",k2=v2`.  Quoted strings
 * may contain commas and backslash escapes; unknown parameters are ignored.
 * TG_EINVAL with err->column at the fault for a malformed header;
 * TG_ENOMEM.  *out (caller storage) is filled only on success. */
TG_MUST_CHECK enum tg_rc registry_challenge_parse(const char *header,
                                                  struct registry_challenge *out,
                                                  struct tg_error *err);

void registry_challenge_cleanup(struct registry_challenge *ch); /* NULL-safe */

/* Read a token server's answer: `token` (or the OAuth2 `access_token`) and
 * `expires_in` seconds (60 when absent, as the spec says).  *token is newly
 * allocated (tg_free).  TG_EINVAL for malformed JSON or no token. */
TG_MUST_CHECK enum tg_rc registry_auth_parse_token(const char *body, size_t len,
                                                   char **token, long *expires_in,
                                                   struct tg_error *err);

/* The token cache, keyed by a string the caller builds (registry.c uses
 * "<host> <scope>").  get: a copy of a token that has not expired, in *out
 * (tg_free), or TG_ENOTFOUND.  put: keep `token` for `expires_in` seconds
 * less a margin, so it is not used at the edge of its life (a lifetime of
 * 0 or less keeps nothing); at most 256 tokens are kept, the oldest go. */
TG_MUST_CHECK enum tg_rc registry_auth_token_get(struct registry_auth *a, const char *key,
                                                 char **out);
TG_MUST_CHECK enum tg_rc registry_auth_token_put(struct registry_auth *a, const char *key,
                                                 const char *token, long expires_in);

#endif
