/* tlscreds.c -- refcounted GnuTLS credentials and the current pair. */
#include "tlscreds.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

#include <gnutls/crypto.h>

#include "alloc.h"
#include "buf.h"

#define MAX_CHAIN 16
#define MAX_PEM (1024 * 1024) /* far above any real chain; bounds a wrong path */

struct tlscreds {
    atomic_uint refs;
    gnutls_pcert_st pcert[MAX_CHAIN];
    unsigned n_pcert;
    gnutls_privkey_t key;
    char fingerprint[65];
};

static pthread_mutex_t swap_lock = PTHREAD_MUTEX_INITIALIZER;
static struct tlscreds *current; /* guarded by swap_lock */

enum tg_rc tlscreds_read_pem(const char *path, struct buf *out, struct tg_error *err)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return tg_error_set(err, TG_EIO, path, 0, 0, "cannot open: %s", strerror(errno));
    enum tg_rc rc = TG_OK;
    char chunk[8192];
    size_t n;
    while (rc == TG_OK && (n = fread(chunk, 1, sizeof(chunk), f)) > 0)
        rc = buf_append(out, chunk, n);
    if (rc == TG_OK && ferror(f))
        rc = tg_error_set(err, TG_EIO, path, 0, 0, "read failed");
    else if (rc == TG_ETOOBIG)
        rc = tg_error_set(err, TG_EINVAL, path, 0, 0, "too large for a PEM file");
    else if (rc != TG_OK)
        rc = tg_error_set(err, rc, path, 0, 0, "%s", tg_rc_str(rc));
    fclose(f);
    return rc;
}

static void free_creds(struct tlscreds *c)
{
    for (unsigned i = 0; i < c->n_pcert; i++)
        gnutls_pcert_deinit(&c->pcert[i]);
    if (c->key)
        gnutls_privkey_deinit(c->key);
    tg_free(c);
}

static enum tg_rc import_chain(struct tlscreds *c, const struct buf *pem,
                               const char *path, struct tg_error *err)
{
    gnutls_datum_t d = {(unsigned char *)pem->data, (unsigned)buf_len(pem)};
    unsigned n = MAX_CHAIN;
    int r = gnutls_pcert_list_import_x509_raw(c->pcert, &n, &d, GNUTLS_X509_FMT_PEM, 0);
    if (r < 0)
        return tg_error_set(err, TG_EINVAL, path, 0, 0, "not a PEM certificate chain: %s",
                            gnutls_strerror(r));
    c->n_pcert = n;
    unsigned char sum[32];
    r = gnutls_hash_fast(GNUTLS_DIG_SHA256, c->pcert[0].cert.data, c->pcert[0].cert.size,
                         sum);
    if (r < 0)
        return tg_error_set(err, TG_EINVAL, path, 0, 0, "hash: %s", gnutls_strerror(r));
    for (size_t i = 0; i < sizeof(sum); i++)
        snprintf(c->fingerprint + 2 * i, 3, "%02x", sum[i]);
    return TG_OK;
}

static enum tg_rc import_key(struct tlscreds *c, struct buf *pem, const char *path,
                             struct tg_error *err)
{
    int r = gnutls_privkey_init(&c->key);
    if (r < 0)
        return tg_error_set(err, TG_ENOMEM, path, 0, 0, "%s", gnutls_strerror(r));
    gnutls_datum_t d = {(unsigned char *)pem->data, (unsigned)buf_len(pem)};
    r = gnutls_privkey_import_x509_raw(c->key, &d, GNUTLS_X509_FMT_PEM, NULL, 0);
    if (r < 0)
        return tg_error_set(err, TG_EINVAL, path, 0, 0, "not a PEM private key: %s",
                            gnutls_strerror(r));
    return TG_OK;
}

enum tg_rc tlscreds_load(const char *cert_path, const char *key_path,
                         struct tlscreds **out, struct tg_error *err)
{
    struct buf cert_pem, key_pem;
    buf_init(&cert_pem, MAX_PEM);
    buf_init(&key_pem, MAX_PEM);
    struct tlscreds *c = tg_calloc(1, sizeof(*c));
    enum tg_rc rc = c ? TG_OK : tg_error_setf(err, TG_ENOMEM, "out of memory");
    if (rc == TG_OK)
        rc = tlscreds_read_pem(cert_path, &cert_pem, err);
    if (rc == TG_OK)
        rc = tlscreds_read_pem(key_path, &key_pem, err);
    if (rc == TG_OK)
        rc = import_chain(c, &cert_pem, cert_path, err);
    if (rc == TG_OK)
        rc = import_key(c, &key_pem, key_path, err);
    if (key_pem.data) /* key material does not linger in freed memory */
        gnutls_memset(key_pem.data, 0, key_pem.alloc);
    buf_cleanup(&key_pem);
    buf_cleanup(&cert_pem);
    if (rc != TG_OK) {
        if (c)
            free_creds(c);
        return rc;
    }
    atomic_init(&c->refs, 1);
    *out = c;
    return TG_OK;
}

void tlscreds_release(struct tlscreds *c)
{
    if (c && atomic_fetch_sub_explicit(&c->refs, 1, memory_order_acq_rel) == 1)
        free_creds(c);
}

struct tlscreds *tlscreds_acquire(void)
{
    pthread_mutex_lock(&swap_lock);
    struct tlscreds *c = current;
    if (c)
        atomic_fetch_add_explicit(&c->refs, 1, memory_order_relaxed);
    pthread_mutex_unlock(&swap_lock);
    return c;
}

void tlscreds_publish(struct tlscreds *next)
{
    pthread_mutex_lock(&swap_lock);
    struct tlscreds *old = current;
    current = next;
    pthread_mutex_unlock(&swap_lock);
    tlscreds_release(old);
}

void tlscreds_clear(void)
{
    tlscreds_publish(NULL);
}

void tlscreds_get(struct tlscreds *c, gnutls_pcert_st **pcert, unsigned *n_pcert,
                  gnutls_privkey_t *key)
{
    *pcert = c->pcert;
    *n_pcert = c->n_pcert;
    *key = c->key;
}

const char *tlscreds_fingerprint(const struct tlscreds *c)
{
    return c->fingerprint;
}
