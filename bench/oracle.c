/* oracle.c -- bench_oracle: every answer admission_handle gives, to compare builds.
 *
 *   bench_oracle [-m] [-M N] -p POLICY ... -- FILE ...
 *
 * A change made for speed must not change any answer.  This prints one
 * line per (body, policy, endpoint) -- the return code, the decision, the
 * fields the log line and metrics take from the result, the error text
 * and the response -- so two builds' outputs can be compared with cmp
 * (bench/answers.sh does it).  Bodies: each FILE as it is; an
 * AdmissionReview also as two UPDATEs (oldObject the same, and with the
 * first container's env changed); a manifest (manifest_load) wrapped into a
 * review per object, with the same UPDATEs.  -m adds mutated bodies
 * (about 200 prefixes and up to 3000 single-byte substitutions each) that
 * walk the decoder's error paths and positions; they print a hash of the
 * same fields instead of the text, under the first N policies (-M).
 * POLICY "default" is policy_new_default().  A tool, not a test.
 */
#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "admission.h"
#include "alloc.h"
#include "alloc_json.h"
#include "manifest.h"
#include "policy_load.h"
#include "variant.h"

static struct policy *pols[32];
static const char *pol_names[32];
static int n_pols;
static struct arena scratch;

static uint64_t fnv(uint64_t h, const void *p, size_t n)
{
    const unsigned char *c = p;
    for (size_t i = 0; i < n; i++)
        h = (h ^ c[i]) * 1099511628211ull;
    return h;
}

static int n_mut_pols = 1000; /* -M: policies for the mutated bodies */

/* What the server takes from a result besides the response. */
static void result_fields(const struct admission_result *r, char *out, size_t len)
{
    int n = snprintf(out, len, "%s|%s|%s|%s|%s|%s|%s|%s|%s|%s|%s|",
                     r->decision ? r->decision : "-", r->api_version, r->uid, r->kind,
                     r->namespace_, r->name, r->operation, r->user, r->rules, r->exempted,
                     r->excluded ? r->excluded : "-");
    for (size_t i = 0; i < r->n_hits && n > 0 && (size_t)n < len; i++)
        n += snprintf(out + n, len - (size_t)n, "%s/%s/%u,", r->hits[i].rule,
                      r->hits[i].action, r->hits[i].count);
}

static void answer(const char *label, int k, int e, const char *body, size_t len,
                   int full)
{
    struct admission_options opt = {.endpoint = e ? ENDPOINT_MUTATE : ENDPOINT_VALIDATE,
                                    .internal_error_allows = true,
                                    .scratch = &scratch};
    struct admission_result r;
    struct tg_error err = {0};
    enum tg_rc rc = admission_handle(pols[k], body, len, &opt, &r, &err);
    char etext[1024] = "";
    char fields[4096];
    if (rc != TG_OK)
        tg_error_format(&err, etext, sizeof(etext));
    result_fields(&r, fields, sizeof(fields));
    if (full) {
        printf("%s p=%s e=%d rc=%d %s err=%s\n  %.*s\n", label, pol_names[k], e, (int)rc,
               fields, etext, (int)r.response_len, r.response ? r.response : "");
    } else {
        uint64_t h = fnv(1469598103934665603ull, fields, strlen(fields));
        h = fnv(h, etext, strlen(etext));
        if (r.response)
            h = fnv(h, r.response, r.response_len);
        printf("%s p=%s e=%d rc=%d h=%016llx\n", label, pol_names[k], e, (int)rc,
               (unsigned long long)h);
    }
    admission_result_cleanup(&r);
}

/* Every policy (the first n_mut_pols for a mutated body), both endpoints. */
static void run(const char *label, const char *body, size_t len, int full)
{
    int np = full || n_mut_pols > n_pols ? n_pols : n_mut_pols;
    for (int k = 0; k < np; k++) {
        for (int e = 0; e < 2; e++)
            answer(label, k, e, body, len, full);
    }
}

static void mutations(const char *label, const char *body, size_t len)
{
    static const char subst[] = "\"\\{}[],:0-en \x80\xc3\n\x01x9.tE";
    size_t nsub = sizeof(subst); /* includes the NUL */
    char *copy = malloc(len + 1);
    char lab[512];
    size_t stride = len / 200 + 1;
    for (size_t cut = 0; cut < len; cut += stride) {
        snprintf(lab, sizeof(lab), "%s#cut%zu", label, cut);
        run(lab, body, cut, 0);
    }
    size_t step = len > 20000 ? len / 300 : len / 3000 + 1;
    for (size_t i = 0, j = 0; i < len; i += step, j++) {
        memcpy(copy, body, len);
        copy[i] = subst[j % nsub];
        snprintf(lab, sizeof(lab), "%s#sub%zu:%02x", label, i, (unsigned char)copy[i]);
        run(lab, copy, len, 0);
    }
    free(copy);
}

static void run_json(const char *label, json_t *rv)
{
    char *t = json_dumps(rv, JSON_COMPACT);
    run(label, t, strlen(t), 1);
    free(t);
}

static void updates(const char *label, const json_t *rv)
{
    json_t *req = json_object_get(rv, "request");
    json_t *obj = json_object_get(req, "object");
    if (!json_is_object(obj))
        return;
    char lab[512];
    for (int v = 0; v < 2; v++) {
        json_t *copy = json_deep_copy(rv);
        json_t *creq = json_object_get(copy, "request");
        json_t *old = v ? variant_env_changed(obj) : json_deep_copy(obj);
        if (!old) {
            json_decref(copy);
            continue;
        }
        json_object_set_new(creq, "operation", json_string("UPDATE"));
        json_object_set_new(creq, "oldObject", old);
        snprintf(lab, sizeof(lab), "%s#update%d", label, v);
        run_json(lab, copy);
        json_decref(copy);
    }
}

static json_t *wrap(const json_t *object)
{
    const char *kind = json_string_value(json_object_get(object, "kind"));
    return json_pack("{s:s,s:s,s:{s:s,s:{s:s,s:s,s:s},s:s,s:s,s:s,s:{s:s},s:O,s:b}}",
                     "apiVersion", "admission.k8s.io/v1", "kind", "AdmissionReview",
                     "request", "uid", "oracle-0001", "kind", "group", "", "version",
                     "v1", "kind", kind ? kind : "", "namespace", "team", "name", "x",
                     "operation", "CREATE", "userInfo", "username", "tester", "object",
                     object, "dryRun", 0);
}

static void one_file(const char *path, int mut)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        fprintf(stderr, "cannot open %s\n", path);
        exit(1);
    }
    static char data[8 << 20];
    size_t len = fread(data, 1, sizeof(data), f);
    fclose(f);
    run(path, data, len, 1);
    if (mut)
        mutations(path, data, len);
    json_t *rv = json_loadb(data, len, 0, NULL);
    if (json_is_object(rv) && json_object_get(rv, "request")) {
        updates(path, rv);
    } else {
        struct manifest_set set = {0};
        struct tg_error err = {0};
        if (manifest_load(data, len, path, &set, &err) == TG_OK) {
            for (size_t i = 0; i < set.n; i++) {
                char lab[512];
                json_t *w = wrap(set.docs[i].object);
                snprintf(lab, sizeof(lab), "%s@%zu", path, i);
                run_json(lab, w);
                updates(lab, w);
                if (mut) {
                    char *t = json_dumps(w, JSON_COMPACT);
                    mutations(lab, t, strlen(t));
                    free(t);
                }
                json_decref(w);
            }
            manifest_set_cleanup(&set);
        }
    }
    json_decref(rv);
}

int main(int argc, char **argv)
{
    int i = 1, mut = 0;
    alloc_json_install();
    json_object_seed(0);
    arena_init(&scratch, 2u << 20);
    for (; i < argc && strcmp(argv[i], "--") != 0; i++) {
        if (strcmp(argv[i], "-m") == 0) {
            mut = 1;
        } else if (strcmp(argv[i], "-M") == 0 && i + 1 < argc) {
            n_mut_pols = (int)strtol(argv[++i], NULL, 10);
        } else if (strcmp(argv[i], "-p") == 0 && i + 1 < argc &&
                   n_pols < (int)ARRAY_LEN(pols)) {
            const char *p = argv[++i];
            struct tg_error err = {0};
            pol_names[n_pols] = p;
            if (strcmp(p, "default") == 0)
                pols[n_pols] = policy_new_default();
            else if (policy_load_path(p, &pols[n_pols], &err) != TG_OK) {
                fprintf(stderr, "%s: %s\n", p, err.text);
                return 2;
            }
            n_pols++;
        }
    }
    for (i++; i < argc; i++)
        one_file(argv[i], mut);
    for (int k = 0; k < n_pols; k++)
        policy_free(pols[k]);
    arena_cleanup(&scratch);
    return 0;
}
