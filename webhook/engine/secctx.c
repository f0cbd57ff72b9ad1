/* secctx.c -- effective securityContext fields. */
#include "secctx.h"

#include <string.h>
#include <strings.h>

/* The member `field` of `sc`, or NULL when absent or null. */
static const json_t *member(const json_t *sc, const char *field)
{
    const json_t *v = json_object_get(sc, field);
    return v && !json_is_null(v) ? v : NULL;
}

const json_t *secctx_container(const struct container *c, const char *field)
{
    return member(c->security_context, field);
}

struct secctx_field secctx_effective(const struct podspec *pod, const struct container *c,
                                     const char *field)
{
    struct secctx_field f = {.field = field};
    const json_t *v = secctx_container(c, field);
    if (v) {
        f.value = v;
        f.level = "container";
        f.base = c->pointer;
        return f;
    }
    v = member(pod->security_context, field);
    if (v) {
        f.value = v;
        f.level = "pod";
        f.base = pod->pointer;
    }
    return f;
}

const char *secctx_pointer(struct arena *a, const struct secctx_field *f)
{
    return arena_printf(a, "%s/securityContext/%s", f->base, f->field);
}

bool secctx_capability_is(const char *written, const char *name)
{
    if (strncasecmp(written, "CAP_", 4) == 0 && strncasecmp(name, "CAP_", 4) != 0)
        written += 4;
    return strcasecmp(written, name) == 0;
}
