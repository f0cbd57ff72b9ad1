/* check.c -- `tollgate check`: the webhook's verdict on files, offline.
 *
 * CI pipelines run it on manifests (YAML or JSON, many documents, Lists)
 * and get exactly the verdict the cluster would give: the same policy
 * loader, the same engine, mutate then validate as the API server does.
 * AdmissionReview documents are answered with the AdmissionReview response
 * the webhook would send.  Exit status: 0 all allowed, 1 something would be
 * denied, 2 usage or input error.
 */
#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "admission.h"
#include "alloc.h"
#include "buf.h"
#include "check_output.h"
#include "commands.h"
#include "engine.h"
#include "facts_gather.h"
#include "manifest.h"
#include "object_verdict.h"
#include "policy_load.h"
#include "registry_opts.h"
#include "rules.h"

#define CHECK_MAX_INPUT (256u << 20)
#define CHECK_FACTS_ARENA (16u << 20)

struct check_opts {
    const char *policy_path;
    bool offline;
    struct registry_opts registry;
    enum check_format format;
    bool force_audit;
    bool force_enforce;
    bool fix;
    enum admission_endpoint endpoint;
};

struct check_run {
    const struct check_opts *opts;
    const struct policy *policy;
    const struct policy *fix_policy; /* --fix: `policy` with every fix on; else NULL */
    struct registry *registry;       /* NULL: offline, or the policy needs no lookups */
    json_t *objects;                 /* report entries */
    json_t *fixed;                   /* --fix: objects to print, in input order */
    enum manifest_format fixed_format;
    bool denied;
    bool input_error;
};

static void usage(FILE *out)
{
    fprintf(
        out,
        "Usage: tollgate check [options] FILE... | -\n"
        "\n"
        "Evaluate Kubernetes manifests (YAML or JSON, multi-document, Lists) or\n"
        "AdmissionReview requests with the webhook's engine and policy, offline.\n"
        "Manifests go through the mutate stage and then the validate stage, as in\n"
        "the cluster; an AdmissionReview is answered with the response the webhook\n"
        "would send.\n"
        "\n"
        "Options:\n"
        "  -p, --policy FILE|DIR   policy file or directory of *.yaml files merged in\n"
        "                          name order (default: $TOLLGATE_POLICY, else the\n"
        "                          built-in defaults, as stderr and the report's\n"
        "                          policy metadata then say)\n"
        "  -o, --output FORMAT     text (default), json, junit or sarif\n"
        "      --mode MODE         audit: report everything, never fail (exit 0);\n"
        "                          enforce: ignore the policy's audit settings\n"
        "      --fix               print the manifests with the fixes of every rule\n"
        "                          that has one applied (YAML in, YAML out; JSON in,\n"
        "                          JSON out); the report, on stderr, judges the fixed\n"
        "                          manifests by the policy as it is\n"
        "      --endpoint NAME     for AdmissionReviews: validate (default) or mutate\n"
        "      --offline           make no registry lookups; rules that need one\n"
        "                          (resolveDigest, checkImageUser) say so instead\n"
        "  -h, --help              show this help\n"
        "\n"
        "Registry lookups (made only when the policy asks for them):\n");
    registry_opts_usage(out, 2);
    fprintf(
        out,
        "\n"
        "Exit status: 0 all allowed, 1 something would be denied, 2 usage or input\n"
        "error.\n"
        "\n"
        "Examples:\n"
        "  tollgate check --policy policies/ deploy/*.yaml\n"
        "  kubectl get pods,deployments -A -o json | tollgate check --mode audit -\n");
}

static int parse_args(int argc, char **argv, struct check_opts *o)
{
    static const struct option longopts[] = {
        {"policy", required_argument, NULL, 'p'},
        {"output", required_argument, NULL, 'o'},
        {"mode", required_argument, NULL, 'm'},
        {"fix", no_argument, NULL, 'f'},
        {"endpoint", required_argument, NULL, 'e'},
        {"offline", no_argument, NULL, 'O'},
        {"help", no_argument, NULL, 'h'},
        /* the registry options (registry_opts.h) */
        {"registry-auth-file", required_argument, NULL, 'R'},
        {"registry-ca-file", required_argument, NULL, 'R'},
        {"registry-insecure", required_argument, NULL, 'R'},
        {"registry-platform", required_argument, NULL, 'R'},
        {"registry-timeout", required_argument, NULL, 'R'},
        {"registry-cache-ttl", required_argument, NULL, 'R'},
        {"registry-error-ttl", required_argument, NULL, 'R'},
        {"registry-cache-size", required_argument, NULL, 'R'},
        {NULL, 0, NULL, 0},
    };
    int c, index = 0;
    struct tg_error err = {0};
    opterr = 0;
    registry_opts_defaults(&o->registry);
    while ((c = getopt_long(argc, argv, "p:o:h", longopts, &index)) != -1) {
        switch (c) {
        case 'p':
            o->policy_path = optarg;
            break;
        case 'o':
            if (check_format_parse(optarg, &o->format) != TG_OK) {
                fprintf(stderr,
                        "tollgate check: unknown output format '%s' (expected "
                        "text, json, junit or sarif)\n",
                        optarg);
                return 2;
            }
            break;
        case 'm':
            o->force_audit = strcmp(optarg, "audit") == 0;
            o->force_enforce = strcmp(optarg, "enforce") == 0;
            if (!o->force_audit && !o->force_enforce) {
                fprintf(stderr,
                        "tollgate check: --mode must be audit or enforce, not '%s'\n",
                        optarg);
                return 2;
            }
            break;
        case 'f':
            o->fix = true;
            break;
        case 'e':
            if (strcmp(optarg, "validate") && strcmp(optarg, "mutate")) {
                fprintf(stderr,
                        "tollgate check: --endpoint must be validate or mutate\n");
                return 2;
            }
            o->endpoint = optarg[0] == 'm' ? ENDPOINT_MUTATE : ENDPOINT_VALIDATE;
            break;
        case 'O':
            o->offline = true;
            break;
        case 'R':
            if (registry_opts_set(&o->registry, longopts[index].name, optarg, &err) !=
                TG_OK) {
                fprintf(stderr, "tollgate check: --%s: %s\n", longopts[index].name,
                        err.text);
                return 2;
            }
            break;
        case 'h':
            usage(stdout);
            return 0;
        default:
            fprintf(stderr, "tollgate check: unknown or incomplete option '%s'\n\n",
                    argv[optind - 1]);
            usage(stderr);
            return 2;
        }
    }
    if (optind >= argc) {
        fprintf(stderr, "tollgate check: no input files (use - for standard input)\n\n");
        usage(stderr);
        return 2;
    }
    return -1; /* go on */
}

static void print_error(const struct tg_error *err)
{
    char line[1024];
    tg_error_format(err, line, sizeof(line));
    fprintf(stderr, "tollgate check: %s\n", line);
}

static enum tg_rc read_input(const char *path, struct buf *b, struct tg_error *err)
{
    bool is_stdin = strcmp(path, "-") == 0;
    FILE *f = is_stdin ? stdin : fopen(path, "rb");
    if (!f)
        return tg_error_set(err, TG_EIO, path, 0, 0, "cannot open: %s", strerror(errno));
    char chunk[65536];
    size_t n;
    enum tg_rc rc = TG_OK;
    while (rc == TG_OK && (n = fread(chunk, 1, sizeof(chunk), f)) > 0)
        rc = buf_append(b, chunk, n);
    if (rc == TG_OK && ferror(f))
        rc = tg_error_set(err, TG_EIO, path, 0, 0, "read error: %s", strerror(errno));
    else if (rc == TG_ETOOBIG)
        tg_error_set(err, rc, path, 0, 0, "input is larger than %u MiB",
                     CHECK_MAX_INPUT >> 20);
    else if (rc == TG_ENOMEM)
        tg_error_set(err, rc, path, 0, 0, "out of memory");
    if (!is_stdin)
        fclose(f);
    return rc;
}

/* An AdmissionReview: print the response the webhook would send. */
static enum tg_rc handle_review(struct check_run *run, const json_t *doc,
                                struct tg_error *err)
{
    char *body = json_dumps(doc, JSON_COMPACT);
    if (!body)
        return TG_ENOMEM;
    struct facts_gather_ctx ctx = {.registry = run->registry, .policy = run->policy};
    struct admission_options opt = {.endpoint = run->opts->endpoint};
    if (run->registry) {
        opt.gather = facts_gather_admission;
        opt.gather_ctx = &ctx;
    }
    struct admission_result res;
    enum tg_rc rc = admission_handle(run->policy, body, strlen(body), &opt, &res, err);
    free(body);
    json_t *resp = rc == TG_OK ? json_loads(res.response, 0, NULL) : NULL;
    if (resp) {
        json_dumpf(resp, stdout, JSON_INDENT(2));
        fputc('\n', stdout);
        if (!json_is_true(json_object_get(json_object_get(resp, "response"), "allowed")))
            run->denied = true;
    } else if (rc == TG_OK) {
        rc = TG_ENOMEM;
    }
    json_decref(resp);
    admission_result_cleanup(&res);
    return rc;
}

/* Registry facts for the object's images, as the server gathers them. */
static enum tg_rc gather_facts(const struct check_run *run, const json_t *object,
                               struct arena *a, struct facts *out)
{
    if (!run->registry)
        return TG_OK;
    struct facts_gather_ctx ctx = {.registry = run->registry, .policy = run->policy};
    return engine_gather_facts(run->policy, object, facts_gather_admission, &ctx, a, out);
}

static enum tg_rc handle_object(struct check_run *run, const struct manifest_doc *doc,
                                const char *source, struct tg_error *err)
{
    json_t *entry = NULL;
    struct arena a;
    struct facts facts = {0};
    arena_init(&a, CHECK_FACTS_ARENA);
    enum tg_rc rc = gather_facts(run, doc->object, &a, &facts);
    if (rc == TG_OK)
        rc = object_verdict_eval(run->policy, run->fix_policy, doc->object, &facts,
                                 &entry, err);
    arena_cleanup(&a);
    if (rc != TG_OK) {
        if (rc == TG_EINVAL) { /* place the engine's message in the file */
            char text[sizeof(err->text)];
            memcpy(text, err->text, sizeof(text));
            tg_error_set(err, rc, source, doc->line, 0, "%s", text);
        }
        return rc;
    }
    if (strcmp(json_string_value(json_object_get(entry, "decision")), "deny") == 0)
        run->denied = true;
    if (run->fixed) {
        json_t *fixed = json_object_get(entry, "fixed");
        if (json_array_append(run->fixed, fixed ? fixed : doc->object) != 0)
            rc = TG_ENOMEM;
        json_object_del(entry, "fixed");
    }
    if (json_object_set_new(entry, "source", json_string(source)) != 0 ||
        json_object_set_new(entry, "line", json_integer(doc->line)) != 0 ||
        json_array_append_new(run->objects, entry) != 0)
        rc = TG_ENOMEM;
    return rc;
}

static void check_file(struct check_run *run, const char *path)
{
    const char *source = strcmp(path, "-") == 0 ? "<stdin>" : path;
    struct buf b;
    struct manifest_set set = {0};
    struct tg_error err = {0};
    buf_init(&b, CHECK_MAX_INPUT);
    enum tg_rc rc = read_input(path, &b, &err);
    if (rc == TG_OK)
        rc = manifest_load(buf_str(&b), buf_len(&b), source, &set, &err);
    run->fixed_format = set.format;
    for (size_t i = 0; rc == TG_OK && i < set.n; i++) {
        const char *kind = json_string_value(json_object_get(set.docs[i].object, "kind"));
        if (kind && strcmp(kind, "AdmissionReview") == 0)
            rc = handle_review(run, set.docs[i].object, &err);
        else
            rc = handle_object(run, &set.docs[i], source, &err);
    }
    if (rc != TG_OK) {
        if (rc == TG_ENOMEM && !err.text[0])
            tg_error_set(&err, rc, source, 0, 0, "out of memory");
        print_error(&err);
        run->input_error = true;
    }
    manifest_set_cleanup(&set);
    buf_cleanup(&b);
}

/* The policy path from --policy or $TOLLGATE_POLICY; NULL: the built-in
 * defaults. */
static const char *policy_path_of(const struct check_opts *o)
{
    const char *path = o->policy_path ? o->policy_path : getenv("TOLLGATE_POLICY");
    return path && path[0] ? path : NULL;
}

static enum tg_rc load_policy(const struct check_opts *o, struct policy **out)
{
    const char *path = policy_path_of(o);
    struct tg_error err = {0};
    enum tg_rc rc;
    if (path) {
        rc = policy_load_path(path, out, &err);
        if (rc != TG_OK)
            print_error(&err);
    } else {
        *out = policy_new_default();
        rc = *out ? TG_OK : TG_ENOMEM;
    }
    if (rc != TG_OK)
        return rc;
    if (o->force_audit || o->force_enforce) /* the command line wins over the file */
        policy_force_mode(*out, o->force_audit ? POLICY_AUDIT : POLICY_ENFORCE);
    return TG_OK;
}

static enum tg_rc open_registry(const struct check_opts *o, struct registry **out)
{
    struct tg_error err = {0};
    enum tg_rc rc = registry_opts_open(&o->registry, out, &err);
    if (rc != TG_OK)
        print_error(&err);
    return rc;
}

/* With --fix, the mutate stage's policy: every rule that has a fix applies
 * it, whatever its action.  The verdict stays the policy's own. */
static void enable_all_fixes(struct policy *p)
{
    size_t n;
    const struct rule *rules = rules_table(&n);
    for (size_t i = 0; i < n; i++) {
        struct rule_common *c =
            (struct rule_common *)((char *)p + rules[i].config_offset);
        if (c->action != ACTION_OFF)
            c->action = ACTION_MUTATE;
    }
}

static int finish(struct check_run *run, json_t *report)
{
    FILE *report_out = run->fixed ? stderr : stdout;
    if (run->fixed && json_array_size(run->fixed)) {
        struct buf out;
        struct tg_error err = {0};
        buf_init(&out, 0);
        if (manifest_emit(run->fixed, run->fixed_format, &out, &err) == TG_OK) {
            fwrite(buf_str(&out), 1, buf_len(&out), stdout);
        } else {
            print_error(&err);
            run->input_error = true;
        }
        buf_cleanup(&out);
    }
    if (json_array_size(run->objects) &&
        (check_summarize(report) != TG_OK ||
         check_render(report, run->opts->format, report_out) != TG_OK)) {
        fprintf(stderr, "tollgate check: cannot write the report\n");
        return 2;
    }
    if (run->input_error)
        return 2;
    return run->denied && !run->opts->force_audit ? 1 : 0;
}

int cmd_check(int argc, char **argv)
{
    struct check_opts opts = {.format = CHECK_TEXT, .endpoint = ENDPOINT_VALIDATE};
    int status = parse_args(argc, argv, &opts);
    if (status >= 0)
        return status;
    struct policy *policy = NULL, *fix_policy = NULL;
    if (load_policy(&opts, &policy) != TG_OK)
        return 2;
    /* A verdict from a policy nobody chose must not pass for the team's
     * own: say which one it is. */
    if (!policy_path_of(&opts))
        fprintf(stderr, "tollgate check: no --policy or TOLLGATE_POLICY given: "
                        "using the built-in default policy (policies/README.md, "
                        "\"Built-in defaults\")\n");
    if (opts.fix) {
        if (load_policy(&opts, &fix_policy) != TG_OK) {
            policy_free(policy);
            return 2;
        }
        enable_all_fixes(fix_policy);
    }
    struct registry *registry = NULL;
    if (!opts.offline && facts_need_of(policy) &&
        open_registry(&opts, &registry) != TG_OK) {
        policy_free(fix_policy);
        policy_free(policy);
        return 2;
    }
    json_t *report =
        json_pack("{s:{s:s,s:s,s:b}}", "policy", "name", policy->name, "source",
                  policy->source, "builtIn", !policy_path_of(&opts));
    struct check_run run = {.opts = &opts,
                            .policy = policy,
                            .fix_policy = fix_policy,
                            .registry = registry,
                            .objects = json_array()};
    if (opts.fix)
        run.fixed = json_array();
    if (!report || !run.objects || (opts.fix && !run.fixed) ||
        json_object_set(report, "objects", run.objects) != 0) {
        fprintf(stderr, "tollgate check: out of memory\n");
        status = 2;
        goto out;
    }
    for (int i = optind; i < argc; i++)
        check_file(&run, argv[i]);
    status = finish(&run, report);
out:
    json_decref(report);
    json_decref(run.objects);
    json_decref(run.fixed);
    registry_free(registry);
    policy_free(fix_policy);
    policy_free(policy);
    return status;
}
