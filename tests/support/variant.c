/* variant.c -- objects changed where no rule looks. */
#include "variant.h"

#include <stdio.h>

#include "jptr.h"
#include "workload.h"

json_t *variant_env_changed(const json_t *object)
{
    const char *kind = json_string_value(json_object_get(object, "kind"));
    const char *podspec = workload_podspec_pointer(kind);
    if (!podspec)
        return NULL;
    json_t *copy = json_deep_copy(object);
    char pointer[256];
    snprintf(pointer, sizeof(pointer), "%s/containers/0", podspec);
    json_t *c = jptr_get_mut(copy, pointer);
    if (!json_is_object(c)) {
        json_decref(copy);
        return NULL;
    }
    json_object_set_new(c, "env",
                        json_pack("[{s:s,s:s}]", "name", "CHANGED", "value", "1"));
    return copy;
}
