/* review.c -- AdmissionReview request decoding. */
#include "review.h"

#include <stdio.h>
#include <string.h>

#include "alloc.h"
#include "jsondec.h"

static const char *const api_versions[] = {
    "admission.k8s.io/v1",
    "admission.k8s.io/v1beta1",
};

static const char *str_or_empty(const json_t *o, const char *key)
{
    const char *s = json_string_value(json_object_get(o, key));
    return s ? s : "";
}

static enum tg_rc check_envelope(const json_t *root, struct review *rv,
                                 struct tg_error *err)
{
    if (!json_is_object(root))
        return tg_error_setf(err, TG_EINVAL, "the body is not a JSON object");
    const char *kind = json_string_value(json_object_get(root, "kind"));
    const char *version = json_string_value(json_object_get(root, "apiVersion"));
    if (!kind || strcmp(kind, "AdmissionReview") != 0)
        return tg_error_setf(err, TG_EINVAL, "kind is %s%s%s, expected AdmissionReview",
                             kind ? "\"" : "", kind ? kind : "missing", kind ? "\"" : "");
    for (size_t i = 0; version && i < ARRAY_LEN(api_versions); i++) {
        if (strcmp(version, api_versions[i]) == 0) {
            rv->api_version = api_versions[i];
            return TG_OK;
        }
    }
    return tg_error_setf(
        err, TG_EINVAL,
        "apiVersion %s is not supported (expected admission.k8s.io/v1 or "
        "admission.k8s.io/v1beta1)",
        version ? version : "is missing:");
}

static bool is_create_or_update(const char *operation)
{
    return strcmp(operation, "CREATE") == 0 || strcmp(operation, "UPDATE") == 0;
}

static enum tg_rc read_request(struct review *rv, const json_t *req, struct tg_error *err)
{
    if (!json_is_object(req))
        return tg_error_setf(err, TG_EINVAL, "request is missing or not an object");
    const char *uid = json_string_value(json_object_get(req, "uid"));
    if (!uid || !uid[0])
        return tg_error_setf(err, TG_EINVAL, "request.uid is missing");
    rv->uid = uid;
    rv->kind = str_or_empty(json_object_get(req, "kind"), "kind");
    rv->sub_resource = str_or_empty(req, "subResource");
    rv->operation = str_or_empty(req, "operation");
    rv->namespace_ = str_or_empty(req, "namespace");
    rv->name = str_or_empty(req, "name");
    rv->username = str_or_empty(json_object_get(req, "userInfo"), "username");
    rv->dry_run = json_is_true(json_object_get(req, "dryRun"));
    json_t *object = json_object_get(req, "object");
    if (object && !json_is_null(object) && !json_is_object(object))
        return tg_error_setf(err, TG_EINVAL, "request.object is not an object");
    /* DELETE and CONNECT carry no object; a CREATE or UPDATE without one
     * leaves nothing to judge, and allowing it would wave it through. */
    if (!json_is_object(object) && is_create_or_update(rv->operation))
        return tg_error_setf(err, TG_EINVAL,
                             "request.object is %s (operation %s); CREATE and UPDATE "
                             "reviews must carry the object",
                             object ? "null" : "missing", rv->operation);
    rv->object = json_is_object(object) ? object : NULL;
    json_t *old = json_object_get(req, "oldObject");
    rv->old_object = json_is_object(old) ? old : NULL;
    return TG_OK;
}

enum tg_rc review_decode(const char *body, size_t len, const char *const *raw_members,
                         struct review **out, struct tg_error *err)
{
    enum tg_rc rc;
    struct review *rv = NULL;
    json_t *root = NULL;
    struct jsondec_opts opts = {.raw_keys = raw_members};
    /* jsondec, not json_loadb: the same tree, a fifth of the CPU (jsondec.h) */
    rc = jsondec_parse_opts(body, len, "request body", &opts, &root, err);
    if (rc == TG_ENOMEM)
        return tg_error_setf(err, TG_ENOMEM, "out of memory decoding the request");
    if (rc != TG_OK) {
        tg_error_prefix(err, "malformed JSON");
        return rc;
    }
    rv = tg_calloc(1, sizeof(*rv));
    if (!rv) {
        rc = TG_ENOMEM;
        goto out;
    }
    rc = check_envelope(root, rv, err);
    if (rc == TG_OK)
        rc = read_request(rv, json_object_get(root, "request"), err);
    if (rc != TG_OK)
        goto out;
    rv->root = root; /* rv now keeps root alive; its strings borrow from it */
    root = NULL;
    *out = rv;
    rv = NULL;
out:
    review_free(rv);
    json_decref(root);
    return rc;
}

void review_free(struct review *rv)
{
    if (!rv)
        return;
    json_decref(rv->root);
    tg_free(rv);
}

void review_free_arena_tree(struct review *rv)
{
    if (!rv)
        return;
    rv->root = NULL; /* its memory is the arena's, released by arena_reset */
    review_free(rv);
}

const char *review_display_name(const struct review *rv, char *buf, size_t len)
{
    if (rv->name[0])
        return rv->name;
    const json_t *meta = json_object_get(rv->object, "metadata");
    const char *gen = json_string_value(json_object_get(meta, "generateName"));
    if (!gen)
        return "";
    snprintf(buf, len, "%s*", gen);
    return buf;
}
