/* workload.c -- the kind -> pod spec table and the container listing. */
#include "workload.h"

#include <string.h>

#include "jptr.h"

static const struct {
    const char *kind;
    const char *pointer;
} podspec_places[] = {
    {"Pod", "/spec"},
    {"Deployment", "/spec/template/spec"},
    {"ReplicaSet", "/spec/template/spec"},
    {"StatefulSet", "/spec/template/spec"},
    {"DaemonSet", "/spec/template/spec"},
    {"Job", "/spec/template/spec"},
    {"ReplicationController", "/spec/template/spec"},
    {"CronJob", "/spec/jobTemplate/spec/template/spec"},
    {"PodTemplate", "/template/spec"},
    {"EphemeralContainers", ""},
};

static const struct {
    const char *field;
    enum container_kind kind;
} container_lists[] = {
    {"containers", CONTAINER_APP},
    {"initContainers", CONTAINER_INIT},
    {"ephemeralContainers", CONTAINER_EPHEMERAL},
};

const char *workload_podspec_pointer(const char *kind)
{
    if (!kind)
        return NULL;
    for (size_t i = 0; i < ARRAY_LEN(podspec_places); i++) {
        if (strcmp(podspec_places[i].kind, kind) == 0)
            return podspec_places[i].pointer;
    }
    return NULL;
}

const char *container_kind_name(enum container_kind k)
{
    switch (k) {
    case CONTAINER_APP:
        return "container";
    case CONTAINER_INIT:
        return "initContainer";
    case CONTAINER_EPHEMERAL:
        return "ephemeralContainer";
    case CONTAINER_POD:
        return "pod";
    }
    return "container";
}

static enum tg_rc type_error(struct tg_error *err, const char *pointer, const char *want)
{
    return tg_error_setf(err, TG_EINVAL, "%s must be %s", pointer[0] ? pointer : "/",
                         want);
}

/* Each step of the path from the root to the pod spec must be a mapping
 * when present; a missing step means "no pod spec here". */
static enum tg_rc walk_to_podspec(const json_t *object, const char *pointer,
                                  const json_t **out, struct tg_error *err)
{
    char prefix[64];
    const char *p = pointer;
    const json_t *cur = object;
    while (*p) {
        const char *next = strchr(p + 1, '/');
        size_t len = next ? (size_t)(next - pointer) : strlen(pointer);
        memcpy(prefix, pointer, len);
        prefix[len] = '\0';
        cur = jptr_get(object, prefix);
        if (!cur || json_is_null(cur)) {
            *out = NULL;
            return TG_OK;
        }
        if (!json_is_object(cur))
            return type_error(err, prefix, "a mapping");
        p = next ? next : pointer + len;
    }
    *out = cur;
    return TG_OK;
}

/* Member `key` of `o`, or NULL when it is absent or null. */
static const json_t *object_or_null(const json_t *o, const char *key)
{
    const json_t *v = json_object_get(o, key);
    return json_is_null(v) ? NULL : v;
}

static enum tg_rc read_container(const json_t *item, const char *pointer,
                                 struct container *c, struct tg_error *err)
{
    if (!json_is_object(item))
        return type_error(err, pointer, "a mapping (a container)");
    const json_t *name = json_object_get(item, "name");
    const json_t *image = json_object_get(item, "image");
    const json_t *restart = json_object_get(item, "restartPolicy");
    if (name && !json_is_string(name) && !json_is_null(name))
        return tg_error_setf(err, TG_EINVAL, "%s/name must be a string", pointer);
    if (image && !json_is_string(image) && !json_is_null(image))
        return tg_error_setf(err, TG_EINVAL, "%s/image must be a string", pointer);
    c->name = json_is_string(name) ? json_string_value(name) : "";
    c->image = json_is_string(image) ? json_string_value(image) : NULL;
    c->is_sidecar = c->kind == CONTAINER_INIT && json_is_string(restart) &&
                    strcmp(json_string_value(restart), "Always") == 0;
    c->pointer = pointer;
    c->spec = item;
    c->security_context = object_or_null(item, "securityContext");
    return TG_OK;
}

static size_t count_containers(const json_t *spec)
{
    size_t n = 0;
    for (size_t i = 0; i < ARRAY_LEN(container_lists); i++)
        n += json_array_size(json_object_get(spec, container_lists[i].field));
    return n;
}

static enum tg_rc list_containers(struct podspec *ps, struct arena *a,
                                  struct tg_error *err)
{
    size_t n = 0;
    for (size_t l = 0; l < ARRAY_LEN(container_lists); l++) {
        const json_t *list = json_object_get(ps->spec, container_lists[l].field);
        char *list_ptr = jptr_child(a, ps->pointer, container_lists[l].field);
        if (!list_ptr)
            return TG_ENOMEM;
        if (!list || json_is_null(list))
            continue;
        if (!json_is_array(list))
            return type_error(err, list_ptr, "a list");
        for (size_t i = 0; i < json_array_size(list); i++) {
            struct container *c = &ps->containers[n++];
            c->kind = container_lists[l].kind;
            c->index = i;
            char *ptr = jptr_index(a, list_ptr, i);
            if (!ptr)
                return TG_ENOMEM;
            enum tg_rc rc = read_container(json_array_get(list, i), ptr, c, err);
            if (rc != TG_OK)
                return rc;
        }
    }
    ps->n_containers = n;
    return TG_OK;
}

bool workload_same_podspec(const json_t *a, const json_t *b)
{
    const char *pointer =
        workload_podspec_pointer(json_string_value(json_object_get(a, "kind")));
    if (!pointer)
        return true;
    const json_t *sa = jptr_get(a, pointer);
    const json_t *sb = jptr_get(b, pointer);
    if (!sa || !sb)
        return sa == sb;
    return json_equal(sa, sb);
}

enum tg_rc workload_find(const json_t *object, struct arena *a, struct podspec *out,
                         bool *found, struct tg_error *err)
{
    *found = false;
    const char *pointer =
        workload_podspec_pointer(json_string_value(json_object_get(object, "kind")));
    if (!pointer)
        return TG_OK;
    const json_t *spec = NULL;
    enum tg_rc rc = walk_to_podspec(object, pointer, &spec, err);
    if (rc != TG_OK || !spec)
        return rc;
    const char *os =
        json_string_value(json_object_get(json_object_get(spec, "os"), "name"));
    struct podspec ps = {.pointer = pointer,
                         .spec = spec,
                         .security_context = object_or_null(spec, "securityContext"),
                         .is_windows = os && strcmp(os, "windows") == 0};
    size_t n = count_containers(spec);
    ps.containers = arena_zalloc(a, (n ? n : 1) * sizeof(*ps.containers));
    if (!ps.containers)
        return TG_ENOMEM;
    rc = list_containers(&ps, a, err);
    if (rc != TG_OK)
        return rc;
    *out = ps;
    *found = true;
    return TG_OK;
}
