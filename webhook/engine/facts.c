/* facts.c -- looking up gathered image facts. */
#include "facts.h"

#include <string.h>

const struct image_fact *facts_find(const struct facts *f, const char *image)
{
    if (!f || !image)
        return NULL;
    for (size_t i = 0; i < f->n; i++) {
        if (f->items[i].image && strcmp(f->items[i].image, image) == 0)
            return &f->items[i];
    }
    return NULL;
}
