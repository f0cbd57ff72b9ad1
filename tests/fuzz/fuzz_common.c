/* fuzz_common.c -- the helpers of fuzz.h. */
#include "fuzz.h"

#include <jansson.h>
#include <stdbool.h>
#include <string.h>

#include "alloc_json.h"

void fuzz_init(void)
{
    static bool done;
    if (done)
        return;
    done = true;
    alloc_json_install();
    json_object_seed(1);
}

char *fuzz_strndup(const uint8_t *data, size_t size)
{
    char *s = malloc(size + 1);
    if (!s)
        abort();
    memcpy(s, data, size);
    s[size] = '\0';
    return s;
}
