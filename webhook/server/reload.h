/* reload.h -- loading the policy and the serving certificate, and again
 * whenever their files change.
 *
 * Files are watched by polling a fingerprint of their contents (FNV-1a
 * over the bytes; for a policy directory, over the names and bytes of its
 * *.yaml and *.yml files in name order).  Reading through the path follows
 * symlinks, so a Kubernetes Secret or ConfigMap volume, which swaps its
 * `..data` symlink to a new directory, is seen as the content change it
 * is; a touch without a change is not.  A change is acted on once it has
 * been stable for one poll, so a certificate and key written one after the
 * other are loaded together rather than rejected as a mismatched pair.
 *
 * A load validates everything before publishing (snapshot.h, tlscreds.h);
 * a failed reload is logged with file:line:col, counted in the metrics,
 * and the previous policy or certificate keeps serving.
 * Not thread-safe: one control thread owns a struct reload.
 */
#ifndef TOLLGATE_RELOAD_H
#define TOLLGATE_RELOAD_H

#include <stdint.h>

#include "error.h"
#include "serve_config.h"

struct watched {
    uint64_t loaded;  /* fingerprint of what was last loaded (or tried) */
    uint64_t pending; /* last fingerprint seen, waiting to be stable */
};

struct reload {
    const struct serve_config *cfg; /* borrowed */
    struct watched policy;
    struct watched cert;
    uint64_t generation; /* of the policy snapshot last published */
};

void reload_init(struct reload *r, const struct serve_config *cfg);

/* Load and publish the policy now.  On failure nothing changes and err
 * says why (file:line:col).  Counts metrics_policy_reload either way. */
TG_MUST_CHECK enum tg_rc reload_policy(struct reload *r, struct tg_error *err);

/* Check, load and publish the certificate pair now (x509_check_pair, then
 * tlscreds_load).  On failure nothing changes; err->source names the file.
 * Counts metrics_cert_reload and sets metrics_set_cert_expiry. */
TG_MUST_CHECK enum tg_rc reload_certs(struct reload *r, struct tg_error *err);

/* SIGHUP: reload the policy now and log the outcome. */
void reload_on_signal(struct reload *r);

/* Look at the files and reload what has changed (and is stable); logs the
 * outcome of every attempt. */
void reload_poll(struct reload *r);

/* The fingerprint of a file or a policy directory.  Unreadable paths get
 * a value derived from the error, so they count as a change once. */
uint64_t reload_fingerprint(const char *path);

#endif
