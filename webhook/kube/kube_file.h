/* kube_file.h -- the small files a Kubernetes client reads: kubeconfigs,
 * PEM bundles, tokens, the pod's namespace.
 *
 * Each is read whole into memory, up to a cap, and only if it is a regular
 * file (after following symlinks: the kubelet mounts service-account files
 * as links into a `..data` directory it swaps atomically).  Error texts are
 * phrases to follow the file's name: "cannot be read: Permission denied",
 * "is not a regular file", "is larger than 1048576 bytes", "is empty".
 * No shared state; thread-safe.
 */
#ifndef TOLLGATE_KUBE_FILE_H
#define TOLLGATE_KUBE_FILE_H

#include <stddef.h>

#include "buf.h"
#include "error.h"

/* Append the whole of `path` (at most `cap` bytes) to `out`.  TG_ENOTFOUND
 * when it does not exist, TG_EIO when it cannot be read or is no regular
 * file, TG_ETOOBIG over the cap, TG_ENOMEM; err->text says which (the
 * source is left empty for the caller to name the file in its own terms).
 * An empty file is TG_OK with nothing appended.  On failure `out` may hold
 * part of the file: clean it up. */
TG_MUST_CHECK enum tg_rc kube_file_read(const char *path, size_t cap, struct buf *out,
                                        struct tg_error *err);

/* The contents of `path` without leading and trailing white space, as a
 * new string (caller frees with tg_free; wipe it first if it is a secret:
 * the buffer it was read into is wiped here).  As kube_file_read, and
 * TG_EINVAL "is empty" when nothing but white space is in it.  At most
 * 64 KiB. */
TG_MUST_CHECK enum tg_rc kube_file_read_trimmed(const char *path, char **out,
                                                struct tg_error *err);

#endif
