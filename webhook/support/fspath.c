/* fspath.c -- lexical normalisation and prefix matching of paths. */
#include "fspath.h"

#include <string.h>

/* One pass of the normalisation: checks, and writes when `out` is set;
 * *len gets the length without the NUL. */
static enum fspath_problem walk(const char *in, char *out, size_t *len)
{
    size_t n = 0;
    for (const char *p = in; *p;) {
        while (*p == '/')
            p++;
        size_t step = strcspn(p, "/");
        if (step == 2 && p[0] == '.' && p[1] == '.')
            return FSPATH_BACKSTEP;
        if (step > 1 || (step == 1 && p[0] != '.')) {
            if (out) {
                out[n] = '/';
                memcpy(out + n + 1, p, step);
            }
            n += 1 + step;
        }
        p += step;
    }
    if (n == 0 && out)
        out[0] = '/';
    *len = n ? n : 1;
    return FSPATH_OK;
}

enum fspath_problem fspath_normalise(const char *in, char *out, size_t cap)
{
    if (in[0] != '/')
        return FSPATH_RELATIVE;
    size_t len;
    enum fspath_problem p = walk(in, NULL, &len);
    if (p != FSPATH_OK)
        return p;
    if (len + 1 > cap)
        return FSPATH_TOO_LONG;
    p = walk(in, out, &len);
    out[len] = '\0';
    return p;
}

bool fspath_is_under(const char *path, const char *prefix)
{
    size_t len = strlen(prefix);
    if (len == 1 && prefix[0] == '/')
        return path[0] == '/';
    return strncmp(path, prefix, len) == 0 && (path[len] == '\0' || path[len] == '/');
}

const char *fspath_problem_text(enum fspath_problem p)
{
    switch (p) {
    case FSPATH_OK:
        return "";
    case FSPATH_RELATIVE:
        return "is not an absolute path";
    case FSPATH_BACKSTEP:
        return "has a \"..\" element";
    case FSPATH_TOO_LONG:
        return "is too long";
    }
    return "is not a path";
}
