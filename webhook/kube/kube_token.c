/* kube_token.c -- inline and file-backed bearer tokens, re-read on change.
 *
 * The identity check costs one stat(2) per request, far below the request
 * itself, and needs no timer or thread: a rotated token is in use from the
 * first request after the kubelet swapped the file.
 */
#include "kube_token.h"

#include <openssl/crypto.h>
#include <string.h>
#include <sys/stat.h>

#include "alloc.h"
#include "kube_file.h"

bool kube_token_is_valid(const char *s)
{
    if (!s || !s[0])
        return false;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p <= 0x20 || *p >= 0x7f)
            return false;
    }
    return true;
}

static void wipe(char *s)
{
    if (s) {
        OPENSSL_cleanse(s, strlen(s));
        tg_free(s);
    }
}

static bool same_identity(const struct kube_token *t, const struct stat *st)
{
    return t->dev == st->st_dev && t->ino == st->st_ino && t->size == st->st_size &&
           t->mtime.tv_sec == st->st_mtim.tv_sec &&
           t->mtime.tv_nsec == st->st_mtim.tv_nsec;
}

/* Read t->path; on success replace the value and remember the identity
 * the file had just before it was read (a change during the read is then
 * seen next time). */
static enum tg_rc read_token(struct kube_token *t, struct tg_error *err)
{
    struct stat st;
    if (stat(t->path, &st) != 0)
        memset(&st, 0, sizeof(st)); /* kube_file_read_trimmed says why */
    char *v = NULL;
    enum tg_rc rc = kube_file_read_trimmed(t->path, &v, err);
    if (rc != TG_OK)
        return rc;
    if (!kube_token_is_valid(v)) {
        wipe(v);
        return tg_error_setf(err, TG_EINVAL,
                             "holds spaces or control characters; a bearer token cannot");
    }
    wipe(t->value);
    t->value = v;
    t->dev = st.st_dev;
    t->ino = st.st_ino;
    t->size = st.st_size;
    t->mtime = st.st_mtim;
    return TG_OK;
}

enum tg_rc kube_token_init(struct kube_token *t, const char *value, const char *path,
                           struct tg_error *err)
{
    memset(t, 0, sizeof(*t));
    if (path) {
        if (!(t->path = tg_strdup(path)))
            return tg_error_setf(err, TG_ENOMEM, "out of memory");
        enum tg_rc rc = read_token(t, err);
        if (rc != TG_OK) {
            kube_token_cleanup(t);
            return rc == TG_ENOTFOUND ? TG_EIO : rc;
        }
        return TG_OK;
    }
    if (value && !(t->value = tg_strdup(value)))
        return tg_error_setf(err, TG_ENOMEM, "out of memory");
    return TG_OK;
}

void kube_token_cleanup(struct kube_token *t)
{
    if (!t)
        return;
    wipe(t->value);
    tg_free(t->path);
    memset(t, 0, sizeof(*t));
}

const char *kube_token_get(struct kube_token *t)
{
    struct stat st;
    if (t->path && stat(t->path, &st) == 0 && !same_identity(t, &st))
        (void)read_token(t, NULL); /* unreadable: keep the last good value */
    return t->value;
}

bool kube_token_reload(struct kube_token *t)
{
    if (!t->path)
        return false;
    char *before = t->value ? tg_strdup(t->value) : NULL;
    bool changed =
        read_token(t, NULL) == TG_OK && (!before || strcmp(before, t->value) != 0);
    wipe(before);
    return changed;
}
