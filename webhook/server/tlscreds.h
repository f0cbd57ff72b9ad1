/* tlscreds.h -- the serving certificate and key, swappable while serving.
 *
 * libmicrohttpd 0.9.75 cannot change the certificate of a running daemon,
 * but it asks a callback (MHD_OPTION_HTTPS_CERT_CALLBACK, GnuTLS's
 * gnutls_certificate_retrieve_function2) for the credentials of each
 * handshake.  A struct tlscreds holds one certificate chain and its key in
 * the form GnuTLS wants, with a reference count: the server pins the
 * current one for each connection (its handshake uses it, and GnuTLS keeps
 * pointing at it for the session's lifetime) and releases it when the
 * connection closes.  A rotation loads and checks the new pair first and
 * then publishes it; connections already open keep the old one, new
 * handshakes get the new one, and nothing in flight fails.
 * Thread-safe like snapshot.h: a short lock around the current pointer,
 * atomic reference counts.
 */
#ifndef TOLLGATE_TLSCREDS_H
#define TOLLGATE_TLSCREDS_H

#include <gnutls/abstract.h>
#include <gnutls/gnutls.h>

#include "buf.h"
#include "error.h"

struct tlscreds;

/* Read and import a PEM certificate chain (leaf first) and its PEM private
 * key.  The caller checks the pair first (x509_check_pair: readable,
 * matching, in date); this fails with TG_EIO (unreadable) or TG_EINVAL
 * (GnuTLS cannot import it), err->source naming the file.  On success *out
 * holds one reference. */
TG_MUST_CHECK enum tg_rc tlscreds_load(const char *cert_path, const char *key_path,
                                       struct tlscreds **out, struct tg_error *err);

/* Append the whole file `path` to `out`, whose cap bounds it (PEM bundles
 * are small; a wrong path must not read a huge file).  TG_EIO when
 * unreadable, TG_EINVAL past the cap, TG_ENOMEM; err->source is the file. */
TG_MUST_CHECK enum tg_rc tlscreds_read_pem(const char *path, struct buf *out,
                                           struct tg_error *err);

/* Make `next` (one reference, taken) current; release the one replaced. */
void tlscreds_publish(struct tlscreds *next);

/* The current credentials plus one reference, or NULL if none. */
struct tlscreds *tlscreds_acquire(void);

void tlscreds_release(struct tlscreds *c); /* NULL-safe */
void tlscreds_clear(void);                 /* release the current one */

/* Borrowed, valid while the reference is held: what a
 * gnutls_certificate_retrieve_function2 returns.  Non-const because that
 * callback type wants mutable pointers; GnuTLS never writes through them. */
void tlscreds_get(struct tlscreds *c, gnutls_pcert_st **pcert, unsigned *n_pcert,
                  gnutls_privkey_t *key);

/* Lowercase hex SHA-256 of the leaf certificate (DER), for logs. */
const char *tlscreds_fingerprint(const struct tlscreds *c);

#endif
