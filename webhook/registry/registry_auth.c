/* registry_auth.c -- dockerconfigjson credentials, challenges, token cache. */
#include "registry_auth.h"

#include <ctype.h>
#include <jansson.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "alloc.h"
#include "registry_cache.h" /* registry_now_ms */

#define MAX_TOKENS 256
#define HOST_MAX 256

struct cred {
    char *host; /* normalised */
    char *user;
    char *password;
};

struct token {
    char *key;
    char *value;
    long long expires_ms;
};

struct registry_auth {
    struct cred *creds;
    size_t n_creds;
    pthread_mutex_t lock; /* guards tokens */
    struct token tokens[MAX_TOKENS];
    size_t n_tokens;
};

/* "https://Index.Docker.IO/v1/" -> "docker.io"; "ghcr.io/acme" -> "ghcr.io". */
static void normalise_host(const char *in, char *out, size_t out_len)
{
    const char *p = strstr(in, "://");
    p = p ? p + 3 : in;
    size_t n = strcspn(p, "/");
    if (n >= out_len)
        n = out_len - 1;
    for (size_t i = 0; i < n; i++)
        out[i] = (char)tolower((unsigned char)p[i]);
    out[n] = '\0';
    if (strcmp(out, "index.docker.io") == 0 || strcmp(out, "registry-1.docker.io") == 0)
        snprintf(out, out_len, "docker.io");
}

static void wipe_free(char *s)
{
    if (s)
        OPENSSL_cleanse(s, strlen(s));
    tg_free(s);
}

/* base64 "user:password" -> two strings.  EVP_DecodeBlock counts padding
 * as output bytes, so the '=' are subtracted. */
static enum tg_rc decode_auth(const char *b64, struct cred *c)
{
    size_t len = strlen(b64);
    if (len == 0 || len % 4 != 0 || len > 8192)
        return TG_EINVAL;
    unsigned char *raw = tg_malloc(len / 4 * 3 + 1);
    if (!raw)
        return TG_ENOMEM;
    int n = EVP_DecodeBlock(raw, (const unsigned char *)b64, (int)len);
    enum tg_rc rc = TG_EINVAL;
    if (n < 0)
        goto out;
    n -= (b64[len - 1] == '=') + (b64[len - 2] == '=');
    raw[n] = '\0';
    char *colon = memchr(raw, ':', (size_t)n);
    if (!colon || memchr(raw, '\0', (size_t)n))
        goto out;
    *colon = '\0';
    rc = TG_ENOMEM;
    c->user = tg_strdup((char *)raw);
    c->password = tg_strdup(colon + 1);
    if (c->user && c->password)
        rc = TG_OK;
out:
    OPENSSL_cleanse(raw, len / 4 * 3 + 1);
    tg_free(raw);
    return rc;
}

static enum tg_rc read_entry(const char *host, const json_t *v, struct cred *c,
                             const char *path, struct tg_error *err)
{
    enum tg_rc rc;
    const char *auth = json_string_value(json_object_get(v, "auth"));
    const char *user = json_string_value(json_object_get(v, "username"));
    const char *pass = json_string_value(json_object_get(v, "password"));
    if (!json_is_object(v))
        return tg_error_set(err, TG_EINVAL, path, 0, 0,
                            "auths[\"%s\"]: expected an object", host);
    if (auth && auth[0]) {
        rc = decode_auth(auth, c);
        if (rc == TG_EINVAL)
            return tg_error_set(err, rc, path, 0, 0,
                                "auths[\"%s\"].auth: not base64 of \"user:password\"",
                                host);
    } else if (user && pass) {
        c->user = tg_strdup(user);
        c->password = tg_strdup(pass);
        rc = c->user && c->password ? TG_OK : TG_ENOMEM;
    } else {
        return TG_ENOTFOUND; /* e.g. only an identitytoken: not ours to use */
    }
    if (rc != TG_OK)
        return tg_error_setf(err, rc, "out of memory reading %s", path);
    char norm[HOST_MAX];
    normalise_host(host, norm, sizeof(norm));
    c->host = tg_strdup(norm);
    if (!c->host)
        return tg_error_setf(err, TG_ENOMEM, "out of memory reading %s", path);
    return TG_OK;
}

static void cred_cleanup(struct cred *c)
{
    tg_free(c->host);
    wipe_free(c->user);
    wipe_free(c->password);
    c->host = c->user = c->password = NULL;
}

/* `root` is not const only because json_object_foreach cannot take one. */
static enum tg_rc read_creds(struct registry_auth *a, json_t *root, const char *path,
                             struct tg_error *err)
{
    json_t *auths = json_object_get(root, "auths");
    if (!auths)
        auths = root; /* the older .dockercfg: hosts at the top */
    if (!json_is_object(auths))
        return tg_error_set(err, TG_EINVAL, path, 0, 0, "\"auths\" must be an object");
    size_t n = json_object_size(auths);
    a->creds = tg_calloc(n, sizeof(*a->creds));
    if (!a->creds)
        return tg_error_setf(err, TG_ENOMEM, "out of memory reading %s", path);
    const char *host;
    json_t *v;
    json_object_foreach(auths, host, v)
    {
        struct cred *c = &a->creds[a->n_creds];
        enum tg_rc rc = read_entry(host, v, c, path, err);
        if (rc == TG_ENOTFOUND)
            continue;
        if (rc != TG_OK) {
            cred_cleanup(c);
            return rc;
        }
        a->n_creds++;
    }
    return TG_OK;
}

enum tg_rc registry_auth_new(const char *docker_config, struct registry_auth **out,
                             struct tg_error *err)
{
    enum tg_rc rc = TG_OK;
    json_t *root = NULL;
    struct registry_auth *a = tg_calloc(1, sizeof(*a));
    if (!a)
        return tg_error_setf(err, TG_ENOMEM, "out of memory");
    pthread_mutex_init(&a->lock, NULL);
    if (docker_config) {
        json_error_t jerr = {.line = 0}; /* jansson may fill nothing on OOM */
        root = json_load_file(docker_config, 0, &jerr);
        if (!root) {
            /* jansson leaves the text empty when its first allocation fails */
            enum json_error_code code = json_error_code(&jerr);
            rc = TG_EINVAL;
            if (code == json_error_out_of_memory || !jerr.text[0])
                rc = TG_ENOMEM;
            else if (code == json_error_cannot_open_file)
                rc = TG_EIO;
            tg_error_set(err, rc, docker_config, jerr.line > 0 ? jerr.line : 0,
                         jerr.column > 0 ? jerr.column : 0, "%s", jerr.text);
            goto out;
        }
        rc = read_creds(a, root, docker_config, err);
        if (rc != TG_OK)
            goto out;
    }
    *out = a;
    a = NULL;
out:
    json_decref(root);
    registry_auth_free(a);
    return rc;
}

void registry_auth_free(struct registry_auth *a)
{
    if (!a)
        return;
    for (size_t i = 0; i < a->n_creds; i++)
        cred_cleanup(&a->creds[i]);
    tg_free(a->creds);
    for (size_t i = 0; i < a->n_tokens; i++) {
        tg_free(a->tokens[i].key);
        wipe_free(a->tokens[i].value);
    }
    pthread_mutex_destroy(&a->lock);
    tg_free(a);
}

size_t registry_auth_n_hosts(const struct registry_auth *a)
{
    return a ? a->n_creds : 0;
}

enum tg_rc registry_auth_basic(const struct registry_auth *a, const char *host,
                               char **out)
{
    char norm[HOST_MAX];
    normalise_host(host, norm, sizeof(norm));
    const struct cred *c = NULL;
    for (size_t i = 0; a && i < a->n_creds && !c; i++) {
        if (strcmp(a->creds[i].host, norm) == 0)
            c = &a->creds[i];
    }
    if (!c)
        return TG_ENOTFOUND;
    size_t plain_len = strlen(c->user) + 1 + strlen(c->password);
    size_t b64_len = 4 * ((plain_len + 2) / 3);
    char *plain = tg_malloc(plain_len + 1);
    char *hdr = tg_malloc(sizeof("Basic ") + b64_len);
    enum tg_rc rc = TG_ENOMEM;
    if (!plain || !hdr)
        goto out;
    snprintf(plain, plain_len + 1, "%s:%s", c->user, c->password);
    memcpy(hdr, "Basic ", 6);
    EVP_EncodeBlock((unsigned char *)hdr + 6, (const unsigned char *)plain,
                    (int)plain_len);
    *out = hdr;
    hdr = NULL;
    rc = TG_OK;
out:
    if (plain)
        OPENSSL_cleanse(plain, plain_len);
    tg_free(plain);
    tg_free(hdr);
    return rc;
}

void registry_challenge_cleanup(struct registry_challenge *ch)
{
    if (!ch)
        return;
    tg_free(ch->realm);
    tg_free(ch->service);
    tg_free(ch->scope);
    ch->realm = ch->service = ch->scope = NULL;
}

static bool is_tchar(char c)
{
    return isalnum((unsigned char)c) || (c && strchr("!#$%&'*+-.^_`|~/:", c));
}

static const char *skip_space(const char *p)
{
    while (*p == ' ' || *p == '\t')
        p++;
    return p;
}

/* A token or a quoted string at *pp into a new string; NULL with *pp at
 * the fault when malformed, or on OOM (*oom set). */
static char *parse_value(const char **pp, bool *oom)
{
    const char *p = *pp;
    size_t n = 0;
    char *v;
    if (*p != '"') {
        while (is_tchar(p[n]) || p[n] == '=')
            n++;
        if (n == 0)
            return NULL;
        v = tg_malloc(n + 1);
        if (v) {
            memcpy(v, p, n);
            v[n] = '\0';
        }
        *oom = !v;
        *pp = p + n;
        return v;
    }
    v = tg_malloc(strlen(p)); /* the unquoted text is shorter */
    if (!v) {
        *oom = true;
        return NULL;
    }
    for (p++; *p && *p != '"'; p++) {
        if (*p == '\\' && p[1])
            p++;
        v[n++] = *p;
    }
    if (*p != '"') {
        tg_free(v);
        return NULL; /* unterminated */
    }
    v[n] = '\0';
    *pp = p + 1;
    return v;
}

static void keep_param(struct registry_challenge *ch, const char *name, size_t name_len,
                       char **value)
{
    char **slot = NULL;
    if (name_len == 5 && strncasecmp(name, "realm", 5) == 0)
        slot = &ch->realm;
    else if (name_len == 7 && strncasecmp(name, "service", 7) == 0)
        slot = &ch->service;
    else if (name_len == 5 && strncasecmp(name, "scope", 5) == 0)
        slot = &ch->scope;
    if (!slot)
        return;
    tg_free(*slot);
    *slot = *value;
    *value = NULL;
}

static enum tg_rc bad_header(const char *header, const char *p, const char *what,
                             struct tg_error *err)
{
    return tg_error_set(err, TG_EINVAL, "WWW-Authenticate", 1, (int)(p - header) + 1,
                        "%s", what);
}

static enum tg_rc parse_params(const char *header, const char *p,
                               struct registry_challenge *ch, struct tg_error *err)
{
    for (;;) {
        while (*p == ' ' || *p == '\t' || *p == ',')
            p++;
        if (!*p)
            return TG_OK;
        const char *name = p;
        while (is_tchar(*p))
            p++;
        size_t name_len = (size_t)(p - name);
        p = skip_space(p);
        if (name_len == 0 || *p != '=')
            return bad_header(header, p, "expected name=value", err);
        p = skip_space(p + 1);
        bool oom = false;
        char *value = parse_value(&p, &oom);
        if (!value)
            return oom ? tg_error_setf(err, TG_ENOMEM, "out of memory")
                       : bad_header(header, p, "malformed parameter value", err);
        keep_param(ch, name, name_len, &value);
        tg_free(value);
        p = skip_space(p);
        if (*p && *p != ',')
            return bad_header(header, p, "expected \",\" between parameters", err);
    }
}

enum tg_rc registry_challenge_parse(const char *header, struct registry_challenge *out,
                                    struct tg_error *err)
{
    struct registry_challenge ch = {.realm = NULL};
    const char *p = skip_space(header);
    size_t n = 0;
    while (isalpha((unsigned char)p[n]) && n < sizeof(ch.scheme) - 1) {
        ch.scheme[n] = (char)tolower((unsigned char)p[n]);
        n++;
    }
    if (n == 0 || (p[n] && p[n] != ' '))
        return bad_header(header, p + n, "expected an auth scheme (Bearer, Basic)", err);
    enum tg_rc rc = parse_params(header, p + n, &ch, err);
    if (rc != TG_OK) {
        registry_challenge_cleanup(&ch);
        return rc;
    }
    *out = ch;
    return TG_OK;
}

enum tg_rc registry_auth_parse_token(const char *body, size_t len, char **token,
                                     long *expires_in, struct tg_error *err)
{
    json_error_t jerr;
    json_t *root = json_loadb(body, len, 0, &jerr);
    if (!root)
        return tg_error_set(err, TG_EINVAL, "token response", jerr.line, jerr.column,
                            "malformed JSON: %s", jerr.text);
    enum tg_rc rc;
    const char *t = json_string_value(json_object_get(root, "token"));
    if (!t || !t[0])
        t = json_string_value(json_object_get(root, "access_token"));
    const json_t *exp = json_object_get(root, "expires_in");
    if (!t || !t[0]) {
        rc = tg_error_setf(err, TG_EINVAL,
                           "token response has neither \"token\" nor \"access_token\"");
        goto out;
    }
    if (exp && !json_is_integer(exp)) {
        rc = tg_error_setf(err, TG_EINVAL, "token response: expires_in is not a number");
        goto out;
    }
    char *copy = tg_strdup(t);
    if (!copy) {
        rc = tg_error_setf(err, TG_ENOMEM, "out of memory");
        goto out;
    }
    *token = copy;
    *expires_in = exp ? (long)json_integer_value(exp) : 60;
    rc = TG_OK;
out:
    json_decref(root);
    return rc;
}

enum tg_rc registry_auth_token_get(struct registry_auth *a, const char *key, char **out)
{
    enum tg_rc rc = TG_ENOTFOUND;
    long long now = registry_now_ms();
    pthread_mutex_lock(&a->lock);
    for (size_t i = 0; i < a->n_tokens; i++) {
        const struct token *t = &a->tokens[i];
        if (strcmp(t->key, key) != 0 || t->expires_ms <= now)
            continue;
        *out = tg_strdup(t->value);
        rc = *out ? TG_OK : TG_ENOMEM;
        break;
    }
    pthread_mutex_unlock(&a->lock);
    return rc;
}

/* The slot for `key`: its old token, an expired one, or the one that
 * expires first.  Lock held. */
static struct token *slot_for(struct registry_auth *a, const char *key, long long now)
{
    struct token *victim = NULL;
    for (size_t i = 0; i < a->n_tokens; i++) {
        struct token *t = &a->tokens[i];
        if (strcmp(t->key, key) == 0 || t->expires_ms <= now)
            return t;
        if (!victim || t->expires_ms < victim->expires_ms)
            victim = t;
    }
    return a->n_tokens < MAX_TOKENS ? &a->tokens[a->n_tokens++] : victim;
}

enum tg_rc registry_auth_token_put(struct registry_auth *a, const char *key,
                                   const char *token, long expires_in)
{
    /* A token used at the edge of its life fails half-way through a lookup,
     * so it is dropped early: 10 s before, or at 90% of a short life. */
    long long life_ms = (long long)expires_in * 1000;
    life_ms -= life_ms > 100000 ? 10000 : life_ms / 10;
    if (life_ms <= 0)
        return TG_OK;
    char *k = tg_strdup(key);
    char *v = tg_strdup(token);
    if (!k || !v) {
        tg_free(k);
        wipe_free(v);
        return TG_ENOMEM;
    }
    long long now = registry_now_ms();
    pthread_mutex_lock(&a->lock);
    struct token *t = slot_for(a, key, now);
    tg_free(t->key);
    wipe_free(t->value);
    t->key = k;
    t->value = v;
    t->expires_ms = now + life_ms;
    pthread_mutex_unlock(&a->lock);
    return TG_OK;
}
