/* fuzz_imgref.c -- imgref_parse and imgref_normalise_prefix on any string.
 *
 * Properties of a parsed reference: the registry is lowercase, name is
 * registry "/" repository and at most 255 characters, a digest is
 * "<alg>:<hex>"; formatting it back (name[:tag][@digest]) and parsing that
 * gives the same fields (normalisation is idempotent); and the name lies
 * under its own registry (except for the dotless uppercase hosts imgref.h
 * keeps for compatibility, which no name can spell).  Errors carry a message and a column
 * inside the input.  A normalised prefix covers itself and its children at a path
 * boundary, but not a longer sibling name.
 */
#include "fuzz.h"

#include <ctype.h>
#include <stdbool.h>
#include <string.h>

#include "imgref.h"

static bool same(const char *a, const char *b)
{
    return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

static void check_ref(const struct imgref *r, struct arena *a)
{
    for (const char *p = r->registry; *p; p++)
        FUZZ_CHECK(!isupper((unsigned char)*p), "registry %s not lowercase", r->registry);
    size_t rl = strlen(r->registry);
    FUZZ_CHECK(strncmp(r->name, r->registry, rl) == 0 && r->name[rl] == '/' &&
                   strcmp(r->name + rl + 1, r->repository) == 0,
               "name %s is not %s/%s", r->name, r->registry, r->repository);
    FUZZ_CHECK(strlen(r->name) <= 255, "name longer than 255");
    FUZZ_CHECK(!r->digest || strchr(r->digest, ':'), "digest %s", r->digest);
    FUZZ_CHECK(imgref_is_pinned(r) == (r->digest != NULL), "pinned without digest");
    if (!strchr(r->registry, '.') && !strchr(r->registry, ':') &&
        strcmp(r->registry, "localhost") != 0)
        return; /* the documented quirk (imgref.h): "MyRegistry/app" names no prefix */
    FUZZ_CHECK(imgref_name_has_prefix(r->name, r->registry), "%s not under %s", r->name,
               r->registry);

    char *text =
        arena_printf(a, "%s%s%s%s%s", r->name, r->tag ? ":" : "", r->tag ? r->tag : "",
                     r->digest ? "@" : "", r->digest ? r->digest : "");
    FUZZ_CHECK(text, "arena full");
    struct imgref again;
    struct tg_error err = {0};
    FUZZ_CHECK(imgref_parse(text, a, &again, &err) == TG_OK, "formatted %s: %s", text,
               err.text);
    FUZZ_CHECK(same(again.name, r->name) && same(again.registry, r->registry) &&
                   same(again.repository, r->repository) && same(again.tag, r->tag) &&
                   same(again.digest, r->digest),
               "%s parses back as %s", text, again.name);
}

static void check_prefix(const char *in, struct arena *a)
{
    const char *norm = NULL;
    struct tg_error err = {0};
    enum tg_rc rc = imgref_normalise_prefix(in, a, &norm, &err);
    if (rc != TG_OK) {
        FUZZ_CHECK(rc == TG_EINVAL, "normalise_prefix returned %d", (int)rc);
        FUZZ_CHECK(err.text[0] != '\0', "prefix error without a message");
        return;
    }
    FUZZ_CHECK(imgref_name_has_prefix(norm, in), "%s does not cover itself (%s)", in,
               norm);
    char *child = arena_printf(a, "%s/x", norm);
    char *sibling = arena_printf(a, "%sx", norm);
    FUZZ_CHECK(child && sibling, "arena full");
    FUZZ_CHECK(imgref_name_has_prefix(child, in), "%s does not cover %s", in, child);
    FUZZ_CHECK(!imgref_name_has_prefix(sibling, in), "%s covers %s", in, sibling);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_init();
    if (size > 4096)
        return 0; /* references are short; longer inputs only slow the search */
    char *in = fuzz_strndup(data, size);
    struct arena a;
    struct imgref r;
    struct tg_error err = {0};
    arena_init(&a, 64 * 1024);
    enum tg_rc rc = imgref_parse(in, &a, &r, &err);
    if (rc == TG_OK) {
        check_ref(&r, &a);
    } else {
        FUZZ_CHECK(rc == TG_EINVAL, "imgref_parse returned %d", (int)rc);
        FUZZ_CHECK(err.text[0] != '\0', "error without a message");
        FUZZ_CHECK(err.column >= 1 && (size_t)err.column <= strlen(in) + 1,
                   "column %d outside [1, %zu]", err.column, strlen(in) + 1);
    }
    check_prefix(in, &a);
    arena_cleanup(&a);
    free(in);
    return 0;
}
