/* policy_load.c -- files and directories in, one validated policy out.
 *
 * Every document is parsed into a throw-away tree (policy_yaml.h), applied
 * onto one struct policy that starts from the defaults (policy_schema.h),
 * and the merged result is checked once at the end.  Any error frees the
 * half-built policy, so the caller's current policy is never touched.
 */
#include "policy_load.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "alloc.h"
#include "buf.h"
#include "policy_schema.h"
#include "policy_yaml.h"

static enum tg_rc io_error(struct tg_error *err, const char *path, const char *what,
                           int errnum)
{
    char why[128];
    if (strerror_r(errnum, why, sizeof(why)) != 0)
        snprintf(why, sizeof(why), "error %d", errnum);
    return tg_error_set(err, TG_EIO, path, 0, 0, "%s: %s", what, why);
}

static enum tg_rc no_memory(struct tg_error *err, const char *source)
{
    return tg_error_set(err, TG_ENOMEM, source, 0, 0,
                        "out of memory while loading the policy");
}

static enum tg_rc too_big(struct tg_error *err, const char *source)
{
    return tg_error_set(err, TG_ETOOBIG, source, 0, 0,
                        "policy file is larger than %d bytes (1 MiB)", POLICY_FILE_MAX);
}

/* Parse one document and apply it; the tree dies here. */
static enum tg_rc load_document(struct policy *p, struct policy_schema_state *st,
                                const char *data, size_t len, const char *source,
                                struct tg_error *err)
{
    if (len > POLICY_FILE_MAX)
        return too_big(err, source);
    struct arena tree;
    struct ynode *root = NULL;
    arena_init(&tree, 0); /* bounded by POLICY_YAML_MAX_NODES and the file cap */
    enum tg_rc rc = policy_yaml_parse(data, len, source, &tree, &root, err);
    if (rc == TG_OK)
        rc = policy_schema_apply(p, st, root, source, err);
    arena_cleanup(&tree);
    return rc;
}

/* The whole file into `b` (capped), which the caller cleans up. */
static enum tg_rc read_file(const char *path, struct buf *b, struct tg_error *err)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return io_error(err, path, "cannot open the policy file", errno);
    enum tg_rc rc = TG_OK;
    char chunk[8192];
    for (;;) {
        size_t n = fread(chunk, 1, sizeof(chunk), f);
        rc = buf_append(b, chunk, n);
        if (rc == TG_ETOOBIG)
            rc = too_big(err, path);
        else if (rc == TG_ENOMEM)
            rc = no_memory(err, path);
        if (rc != TG_OK || n < sizeof(chunk))
            break;
    }
    if (rc == TG_OK && ferror(f))
        rc = io_error(err, path, "cannot read the policy file", errno);
    fclose(f);
    return rc;
}

static enum tg_rc load_file(struct policy *p, struct policy_schema_state *st,
                            const char *path, struct tg_error *err)
{
    struct buf b;
    buf_init(&b, POLICY_FILE_MAX);
    enum tg_rc rc = read_file(path, &b, err);
    if (rc == TG_OK)
        rc = load_document(p, st, buf_str(&b), buf_len(&b), path, err);
    buf_cleanup(&b);
    return rc;
}

static bool is_policy_file_name(const char *name)
{
    size_t len = strlen(name);
    if (name[0] == '.') /* hidden, and a ConfigMap mount's ..data links */
        return false;
    return (len > 5 && strcmp(name + len - 5, ".yaml") == 0) ||
           (len > 4 && strcmp(name + len - 4, ".yml") == 0);
}

static int compare_names(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

struct name_list {
    char *items[POLICY_DIR_MAX_FILES];
    size_t n;
};

static void name_list_cleanup(struct name_list *l)
{
    for (size_t i = 0; i < l->n; i++)
        tg_free(l->items[i]);
    l->n = 0;
}

/* The policy file names of `dir`, sorted; at least one. */
static enum tg_rc list_dir(const char *dir, struct name_list *out, struct tg_error *err)
{
    DIR *d = opendir(dir);
    if (!d)
        return io_error(err, dir, "cannot open the policy directory", errno);
    enum tg_rc rc = TG_OK;
    for (const struct dirent *e = readdir(d); e && rc == TG_OK; e = readdir(d)) {
        if (!is_policy_file_name(e->d_name))
            continue;
        if (out->n == POLICY_DIR_MAX_FILES) {
            rc = tg_error_set(err, TG_ETOOBIG, dir, 0, 0,
                              "more than %d policy files in the directory",
                              POLICY_DIR_MAX_FILES);
            break;
        }
        out->items[out->n] = tg_strdup(e->d_name);
        if (!out->items[out->n])
            rc = no_memory(err, dir);
        else
            out->n++;
    }
    closedir(d);
    if (rc == TG_OK && out->n == 0)
        rc = tg_error_set(err, TG_EINVAL, dir, 0, 0,
                          "no policy files (*.yaml, *.yml) in the directory");
    if (rc == TG_OK)
        qsort(out->items, out->n, sizeof(out->items[0]), compare_names);
    return rc;
}

static enum tg_rc load_dir_entry(struct policy *p, struct policy_schema_state *st,
                                 const char *dir, const char *name, struct tg_error *err)
{
    char path[4096];
    int n = snprintf(path, sizeof(path), "%s/%s", dir, name);
    if (n < 0 || (size_t)n >= sizeof(path))
        return tg_error_set(err, TG_EINVAL, dir, 0, 0, "path of \"%s\" is too long",
                            name);
    struct stat sb;
    if (stat(path, &sb) != 0)
        return io_error(err, path, "cannot read the policy file", errno);
    if (!S_ISREG(sb.st_mode))
        return tg_error_set(err, TG_EINVAL, path, 0, 0,
                            "not a regular file (a policy directory holds *.yaml files)");
    return load_file(p, st, path, err);
}

static enum tg_rc load_dir(struct policy *p, struct policy_schema_state *st,
                           const char *dir, struct tg_error *err)
{
    struct name_list *names = tg_calloc(1, sizeof(*names));
    if (!names)
        return no_memory(err, dir);
    enum tg_rc rc = list_dir(dir, names, err);
    for (size_t i = 0; rc == TG_OK && i < names->n; i++)
        rc = load_dir_entry(p, st, dir, names->items[i], err);
    name_list_cleanup(names);
    tg_free(names);
    return rc;
}

/* The merged checks, then the policy is named after where it came from. */
static enum tg_rc finish(struct policy *p, const struct policy_schema_state *st,
                         const char *source, struct tg_error *err)
{
    enum tg_rc rc = policy_schema_finish(p, st, err);
    if (rc != TG_OK)
        return rc;
    p->source = arena_strdup(&p->arena, source);
    return p->source ? TG_OK : no_memory(err, source);
}

enum tg_rc policy_load_path(const char *path, struct policy **out, struct tg_error *err)
{
    struct policy_schema_state st;
    struct stat sb;
    if (stat(path, &sb) != 0)
        return io_error(err, path, "cannot read the policy", errno);
    struct policy *p = policy_new_default();
    if (!p)
        return no_memory(err, path);
    policy_schema_init(&st);
    enum tg_rc rc;
    if (S_ISDIR(sb.st_mode))
        rc = load_dir(p, &st, path, err);
    else
        rc = load_file(p, &st, path, err);
    if (rc == TG_OK)
        rc = finish(p, &st, path, err);
    if (rc == TG_OK) {
        *out = p;
        p = NULL;
    }
    policy_free(p);
    return rc;
}

enum tg_rc policy_load_buffer(const char *data, size_t len, const char *source,
                              struct policy **out, struct tg_error *err)
{
    struct policy_schema_state st;
    if (!source)
        source = "(buffer)";
    struct policy *p = policy_new_default();
    if (!p)
        return no_memory(err, source);
    policy_schema_init(&st);
    enum tg_rc rc = load_document(p, &st, data, len, source, err);
    if (rc == TG_OK)
        rc = finish(p, &st, source, err);
    if (rc == TG_OK) {
        *out = p;
        p = NULL;
    }
    policy_free(p);
    return rc;
}
