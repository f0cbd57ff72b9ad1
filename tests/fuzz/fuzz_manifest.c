/* fuzz_manifest.c -- manifest_load on any bytes, and the emit round trip.
 *
 * Properties: loading answers TG_OK, TG_EINVAL or TG_ETOOBIG, an error
 * has a message and a 1-based line; every loaded document is an object; and
 * emitting the objects as YAML and as JSON and loading that text gives the
 * same objects back (what `tollgate check --fix` relies on).
 */
#include "fuzz.h"

#include <jansson.h>
#include <string.h>

#include "manifest.h"

static void round_trip(const json_t *objects, enum manifest_format format)
{
    struct buf out;
    struct manifest_set back = {0};
    struct tg_error err = {0};
    buf_init(&out, 64u << 20);
    enum tg_rc rc = manifest_emit(objects, format, &out, &err);
    /* deeper than MANIFEST_MAX_DEPTH cannot happen: load refused it */
    FUZZ_CHECK(rc == TG_OK, "emit (format %d): %s", (int)format, err.text);
    rc = manifest_load(buf_str(&out), buf_len(&out), "emitted", &back, &err);
    FUZZ_CHECK(rc == TG_OK, "emitted text does not load (format %d): %d:%d: %s\n%s",
               (int)format, err.line, err.column, err.text, buf_str(&out));
    FUZZ_CHECK(back.n == json_array_size(objects), "%zu objects emitted, %zu read back",
               json_array_size(objects), back.n);
    for (size_t i = 0; i < back.n; i++)
        FUZZ_CHECK(json_equal(back.docs[i].object, json_array_get(objects, i)),
                   "object %zu changed in the round trip (format %d):\n%s", i,
                   (int)format, buf_str(&out));
    manifest_set_cleanup(&back);
    buf_cleanup(&out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_init();
    struct manifest_set set = {0};
    struct tg_error err = {0};
    enum tg_rc rc = manifest_load((const char *)data, size, "fuzz", &set, &err);
    if (rc != TG_OK) {
        FUZZ_CHECK(rc == TG_EINVAL || rc == TG_ETOOBIG, "manifest_load returned %d",
                   (int)rc);
        FUZZ_CHECK(err.text[0] != '\0' && err.line >= 1, "error without text or line");
        return 0;
    }
    json_t *objects = json_array();
    for (size_t i = 0; i < set.n; i++) {
        FUZZ_CHECK(json_is_object(set.docs[i].object), "document %zu is not an object",
                   i);
        FUZZ_CHECK(set.docs[i].line >= 1, "document %zu has line %d", i,
                   set.docs[i].line);
        json_array_append(objects, set.docs[i].object);
    }
    round_trip(objects, MANIFEST_YAML);
    round_trip(objects, MANIFEST_JSON);
    json_decref(objects);
    manifest_set_cleanup(&set);
    return 0;
}
