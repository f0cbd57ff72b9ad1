/* x509.h -- checking a TLS certificate and key pair (with GnuTLS).
 *
 * Used at start-up (a bad pair is exit 2 with a message naming the file and
 * the problem) and before a rotated pair replaces the serving one (a bad
 * rotation keeps the old pair).  Checks: both files readable and PEM, the
 * key matches the certificate's public key, the certificate is valid at
 * `now` (not before notBefore, not after notAfter).
 * Thread-safe (GnuTLS's certificate functions keep no shared state).
 */
#ifndef TOLLGATE_X509_H
#define TOLLGATE_X509_H

#include <time.h>

#include "error.h"

struct x509_info {
    time_t not_before;
    time_t not_after;
    char subject[256]; /* one-line subject, for logs */
    char key_type[32]; /* "EC P-256", "RSA 2048", ... */
};

/* Check the certificate (the first PEM block of cert_path: a chain starts
 * with the leaf) and its private key, and fill *out (may be NULL) on success.
 * err->source is set to the file at fault.
 * Errors: TG_EIO a file cannot be opened or read (or is not a regular file);
 * TG_ETOOBIG a file is over 1 MiB; TG_EINVAL empty, not PEM, swapped files,
 * encrypted key (never prompts for a passphrase), key does not match,
 * expired or not yet valid (the text says when); TG_ENOMEM.
 * The key bytes read are wiped before they are freed. */
TG_MUST_CHECK enum tg_rc x509_check_pair(const char *cert_path, const char *key_path,
                                         time_t now, struct x509_info *out,
                                         struct tg_error *err);

/* Check a CA bundle file (for --client-ca): readable, at least one PEM cert,
 * every certificate block parses.  Errors as for x509_check_pair. */
TG_MUST_CHECK enum tg_rc x509_check_ca(const char *ca_path, struct tg_error *err);

#endif
