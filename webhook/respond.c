/* respond.c -- AdmissionReview response JSON. */
#include "respond.h"

#include <openssl/evp.h>
#include <string.h>

#include "alloc.h"

/* Base64 of the compact patch text, as the API server expects in
 * response.patch. */
static json_t *encode_patch(const json_t *patch)
{
    char *text = json_dumps(patch, JSON_COMPACT);
    if (!text)
        return NULL;
    size_t len = strlen(text);
    unsigned char *b64 = tg_malloc(4 * ((len + 2) / 3) + 1);
    json_t *s = NULL;
    if (b64) {
        int n = EVP_EncodeBlock(b64, (const unsigned char *)text, (int)len);
        s = json_stringn((const char *)b64, (size_t)n);
    }
    tg_free(b64);
    free(text);
    return s;
}

static const char *reason_for(int code)
{
    return code == 400 ? "BadRequest" : code == 500 ? "InternalError" : "Forbidden";
}

static int add_details(json_t *resp, const struct verdict *v, int code)
{
    int rc = 0;
    if (!v->allowed)
        rc |= json_object_set_new(resp, "status",
                                  json_pack("{s:i,s:s,s:s}", "code", code, "reason",
                                            reason_for(code), "message",
                                            v->message ? v->message : "denied"));
    if (v->n_warnings) {
        json_t *w = json_array();
        for (size_t i = 0; w && i < v->n_warnings; i++)
            rc |= json_array_append_new(w, json_string(v->warnings[i]));
        rc |= json_object_set_new(resp, "warnings", w);
    }
    if (v->audit_annotations)
        rc |= json_object_set(resp, "auditAnnotations", v->audit_annotations);
    if (v->patch) {
        rc |= json_object_set_new(resp, "patchType", json_string("JSONPatch"));
        rc |= json_object_set_new(resp, "patch", encode_patch(v->patch));
    }
    return rc;
}

enum tg_rc respond_encode(const char *api_version, const char *uid,
                          const struct verdict *v, int status_code, char **out,
                          size_t *len)
{
    json_t *resp = json_pack("{s:s,s:b}", "uid", uid, "allowed", v->allowed);
    json_t *root = NULL;
    enum tg_rc rc = TG_ENOMEM;
    if (!resp || add_details(resp, v, status_code) != 0)
        goto out;
    root = json_pack("{s:s,s:s,s:O}", "apiVersion", api_version, "kind",
                     "AdmissionReview", "response", resp);
    if (!root)
        goto out;
    /* jansson allocates with malloc (or tg_malloc in tests), so tg_free,
     * which is free(), releases it. */
    char *text = json_dumps(root, JSON_COMPACT);
    if (!text)
        goto out;
    *len = strlen(text);
    *out = text;
    rc = TG_OK;
out:
    json_decref(resp);
    json_decref(root);
    return rc;
}
