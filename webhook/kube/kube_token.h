/* kube_token.h -- the bearer token a client sends, and its rotation.
 *
 * A token comes inline (a kubeconfig's `token`, never changing) or from a
 * file (the service account's `token`, a kubeconfig's `tokenFile`) that is
 * replaced while we run: the kubelet rotates bound service-account tokens
 * (by default when 80% of their hour has passed) by swapping the mounted
 * volume's `..data` link.  kube_token_get therefore stats the file (through
 * the link) before each request and reads it again when its identity --
 * device, inode, size, modification time -- changed; kube_token_reload
 * reads it unconditionally (after a 401, in case a rewrite kept all four).
 * A file that cannot be read keeps the last good token, so a rotation
 * caught half-way costs one failed request at most, not the client.
 * Values are wiped from memory when replaced or freed, and never appear in
 * messages.
 * Not thread-safe: one per client (kube_client.h).
 */
#ifndef TOLLGATE_KUBE_TOKEN_H
#define TOLLGATE_KUBE_TOKEN_H

#include <stdbool.h>
#include <sys/types.h>
#include <time.h>

#include "error.h"

struct kube_token {
    char *value; /* owned; NULL = no token */
    char *path;  /* owned; NULL for an inline token */
    dev_t dev;   /* identity of the file when value was read */
    ino_t ino;
    off_t size;
    struct timespec mtime;
};

/* Is `s` usable as a bearer token: non-empty, printable ASCII, no spaces
 * (it goes into an HTTP header line)? */
bool kube_token_is_valid(const char *s);

/* `t` (caller storage) for an inline token `value`, or the token in file
 * `path` (read now), or none when both are NULL; `value` is ignored when
 * `path` is set.  TG_EIO / TG_EINVAL (err->text: a phrase to follow the
 * file's name, as kube_file.h) when the file cannot be read, is empty or
 * holds no valid token; TG_ENOMEM.  On failure `t` holds nothing to clean
 * up. */
TG_MUST_CHECK enum tg_rc kube_token_init(struct kube_token *t, const char *value,
                                         const char *path, struct tg_error *err);

/* Wipe and free.  NULL-safe; `t` may be initialised again. */
void kube_token_cleanup(struct kube_token *t);

/* The token to send now, re-read first if its file changed (borrowed: valid
 * until the next call on `t`), or NULL when there is none.  Never fails: a
 * changed file that cannot be read keeps the previous value. */
const char *kube_token_get(struct kube_token *t);

/* Read the file again, whatever its identity.  true if the value changed
 * (a request refused with 401 is then worth one retry).  false for an
 * inline token, or when the file cannot be read. */
bool kube_token_reload(struct kube_token *t);

#endif
