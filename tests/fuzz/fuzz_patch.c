/* fuzz_patch.c -- patch_build on any object and any fixes.
 *
 * Input: {"object": <any JSON>, "fixes": [[pointer, value], ...]} (at most
 * 16 fixes; other inputs are skipped).  Properties: the operations, applied
 * by the independent applier (tests/support/jsonpatch_ref.c) to the
 * object, give exactly the patched object the builder returned.  When no
 * fix's pointer lies inside another's (the engine's fixes never overlap),
 * each fix reported applied holds in the patched object, and building again
 * on it makes no operation: patching a patched object is a no-op.
 */
#include "fuzz.h"

#include <jansson.h>
#include <stdbool.h>
#include <string.h>

#include "jsonpatch_ref.h"
#include "patch.h"

#define MAX_FIXES 16

/* Does pointer `a` equal `b` or lie inside it, or `b` inside `a`? */
static bool overlap(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    size_t n = la < lb ? la : lb;
    if (strncmp(a, b, n) != 0)
        return false;
    return la == lb || (la < lb ? b[la] == '/' : a[lb] == '/');
}

static bool any_overlap(const struct fix *fixes, size_t n)
{
    for (size_t i = 0; i < n; i++)
        for (size_t j = i + 1; j < n; j++)
            if (overlap(fixes[i].pointer, fixes[j].pointer))
                return true;
    return false;
}

static size_t read_fixes(const json_t *list, struct fix *fixes)
{
    size_t n = 0;
    for (size_t i = 0; i < json_array_size(list) && n < MAX_FIXES; i++) {
        const json_t *f = json_array_get(list, i);
        const char *ptr = json_string_value(json_array_get(f, 0));
        json_t *value = json_array_get(f, 1);
        /* Pointers are C strings (no NUL inside), and the reference
         * applier reads tokens of up to 1023 bytes: keep below that. */
        if (!ptr || !value || strlen(ptr) != json_string_length(json_array_get(f, 0)) ||
            strlen(ptr) > 1000)
            continue;
        fixes[n].pointer = ptr;
        fixes[n].value = value; /* borrowed from the input document */
        n++;
    }
    return n;
}

static void check_applied(const json_t *patched, const struct fix *fixes, size_t n,
                          const bool *applied)
{
    for (size_t i = 0; i < n; i++) {
        if (!applied[i])
            continue;
        json_t *doc = json_deep_copy(patched);
        json_t *test = json_pack("[{s:s, s:s, s:O}]", "op", "test", "path",
                                 fixes[i].pointer, "value", fixes[i].value);
        char why[256] = "";
        FUZZ_CHECK(jsonpatch_ref_apply(doc, test, why) == 0,
                   "fix %zu (%s) reported applied: %s", i, fixes[i].pointer, why);
        json_decref(test);
        json_decref(doc);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_init();
    json_t *in = json_loadb((const char *)data, size, JSON_DECODE_ANY, NULL);
    json_t *object = json_object_get(in, "object");
    struct fix fixes[MAX_FIXES];
    const struct fix *ptrs[MAX_FIXES];
    bool applied[MAX_FIXES];
    size_t n = read_fixes(json_object_get(in, "fixes"), fixes);
    if (!object || n == 0)
        goto out;
    for (size_t i = 0; i < n; i++)
        ptrs[i] = &fixes[i];
    struct patch_result res;
    FUZZ_CHECK(patch_build(object, ptrs, n, applied, &res) == TG_OK,
               "patch_build failed");
    FUZZ_CHECK(res.n_applied + res.n_skipped <= n, "%zu applied + %zu skipped of %zu",
               res.n_applied, res.n_skipped, n);
    json_t *copy = json_deep_copy(object);
    char why[256] = "";
    FUZZ_CHECK(jsonpatch_ref_apply(copy, res.ops, why) == 0, "ops do not apply: %s", why);
    FUZZ_CHECK(json_equal(copy, res.patched), "ops give another object than `patched`");
    if (!any_overlap(fixes, n)) { /* else a later fix may undo an earlier one */
        check_applied(res.patched, fixes, n, applied);
        struct patch_result again;
        FUZZ_CHECK(patch_build(res.patched, ptrs, n, NULL, &again) == TG_OK,
                   "second build");
        FUZZ_CHECK(json_array_size(again.ops) == 0,
                   "patched object patched again (%zu ops)", json_array_size(again.ops));
        patch_result_cleanup(&again);
    }
    json_decref(copy);
    patch_result_cleanup(&res);
out:
    json_decref(in);
    return 0;
}
