/* kube_file.c -- reading small files whole, with a cap. */
#include "kube_file.h"

#include <ctype.h>
#include <errno.h>
#include <openssl/crypto.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "alloc.h"

#define TRIMMED_MAX ((size_t)64 << 10)

enum tg_rc kube_file_read(const char *path, size_t cap, struct buf *out,
                          struct tg_error *err)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return tg_error_setf(err, errno == ENOENT ? TG_ENOTFOUND : TG_EIO,
                             "cannot be read: %s", strerror(errno));
    struct stat st;
    char chunk[8192];
    enum tg_rc rc = TG_OK;
    if (fstat(fileno(f), &st) != 0 || !S_ISREG(st.st_mode)) {
        rc = tg_error_setf(err, TG_EIO, "is not a regular file");
        goto out;
    }
    size_t total = 0;
    size_t n;
    while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0) {
        total += n;
        if (total > cap) {
            rc = tg_error_setf(err, TG_ETOOBIG, "is larger than %zu bytes", cap);
            goto out;
        }
        if (buf_append(out, chunk, n) != TG_OK) {
            rc = tg_error_setf(err, TG_ENOMEM, "out of memory");
            goto out;
        }
    }
    if (ferror(f))
        rc = tg_error_setf(err, TG_EIO, "cannot be read: %s", strerror(errno));
out:
    OPENSSL_cleanse(chunk, sizeof(chunk));
    fclose(f);
    return rc;
}

enum tg_rc kube_file_read_trimmed(const char *path, char **out, struct tg_error *err)
{
    struct buf b;
    buf_init(&b, 0);
    enum tg_rc rc = kube_file_read(path, TRIMMED_MAX, &b, err);
    if (rc != TG_OK)
        goto out;
    const char *s = buf_str(&b);
    size_t len = buf_len(&b);
    while (len > 0 && isspace((unsigned char)s[len - 1]))
        len--;
    while (len > 0 && isspace((unsigned char)*s)) {
        s++;
        len--;
    }
    if (len == 0) {
        rc = tg_error_setf(err, TG_EINVAL, "is empty");
        goto out;
    }
    char *copy = tg_malloc(len + 1);
    if (!copy) {
        rc = tg_error_setf(err, TG_ENOMEM, "out of memory");
        goto out;
    }
    memcpy(copy, s, len);
    copy[len] = '\0';
    *out = copy;
out:
    if (b.data)
        OPENSSL_cleanse(b.data, b.alloc);
    buf_cleanup(&b);
    return rc;
}
