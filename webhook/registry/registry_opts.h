/* registry_opts.h -- the registry settings as command-line options.
 *
 * `tollgate serve` and `tollgate check` take the same registry flags; this
 * module owns their names, defaults, parsing and help text, so the two
 * commands cannot drift apart.  Values are copied into fixed buffers; the
 * struct is plain data.  registry_opts_open turns them into a client.
 * Not thread-safe while parsing (done once at start-up).
 */
#ifndef TOLLGATE_REGISTRY_OPTS_H
#define TOLLGATE_REGISTRY_OPTS_H

#include <stdio.h>

#include "error.h"
#include "registry.h"

#define REGISTRY_OPTS_PATH_MAX 1024

struct registry_opts {
    char auth_file[REGISTRY_OPTS_PATH_MAX]; /* --registry-auth-file, "" = anonymous */
    char ca_file[REGISTRY_OPTS_PATH_MAX];   /* --registry-ca-file, "" = system CAs */
    char insecure[REGISTRY_OPTS_PATH_MAX];  /* --registry-insecure host[:port],... */
    char platform[64];                      /* --registry-platform, linux/amd64 */
    long timeout_ms;                        /* --registry-timeout, 2000 */
    long cache_ttl_s;                       /* --registry-cache-ttl, 300 */
    long error_ttl_s;                       /* --registry-error-ttl, 10 */
    long cache_size;                        /* --registry-cache-size, 1024 */
};

void registry_opts_defaults(struct registry_opts *o);

/* Set the option `name` (without "--", e.g. "registry-timeout") to
 * `value`.  TG_ENOTFOUND when `name` is not a registry option; TG_EINVAL
 * (err says what was expected) when the value is bad. */
TG_MUST_CHECK enum tg_rc registry_opts_set(struct registry_opts *o, const char *name,
                                           const char *value, struct tg_error *err);

/* Is `name` one of the registry options? */
int registry_opts_is_option(const char *name);

/* The option names, NULL-terminated, for getopt tables and env lookups. */
const char *const *registry_opts_names(void);

/* Help lines for every option, indented by `indent` spaces. */
void registry_opts_usage(FILE *out, int indent);

/* A registry client for these options (registry_new): errors name the
 * file or value at fault.  *out owns the client (registry_free). */
TG_MUST_CHECK enum tg_rc registry_opts_open(const struct registry_opts *o,
                                            struct registry **out, struct tg_error *err);

#endif
