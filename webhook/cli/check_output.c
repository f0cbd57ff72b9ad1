/* check_output.c -- text, JSON, JUnit and SARIF renderings of a report. */
#include "check_output.h"

#include <string.h>

#include "object_verdict.h"

enum tg_rc check_format_parse(const char *name, enum check_format *out)
{
    static const struct {
        const char *name;
        enum check_format format;
    } formats[] = {
        {"text", CHECK_TEXT},
        {"json", CHECK_JSON},
        {"junit", CHECK_JUNIT},
        {"sarif", CHECK_SARIF},
    };
    for (size_t i = 0; i < ARRAY_LEN(formats); i++) {
        if (strcmp(formats[i].name, name) == 0) {
            *out = formats[i].format;
            return TG_OK;
        }
    }
    return TG_EINVAL;
}

static const char *str(const json_t *o, const char *key)
{
    const char *s = json_string_value(json_object_get(o, key));
    return s ? s : "";
}

static int count_up(json_t *counts, const char *key)
{
    json_int_t n = json_integer_value(json_object_get(counts, key));
    return json_object_set_new(counts, key, json_integer(n + 1));
}

struct counts {
    json_t *sum, *by_rule, *by_ns, *by_kind;
};

static int summarize_object(const json_t *obj, const struct counts *c)
{
    json_t *sum = c->sum;
    int rc = count_up(sum, "objects");
    const char *decision = str(obj, "decision");
    rc |= count_up(sum, strcmp(decision, "deny") == 0       ? "denied"
                        : strcmp(decision, "excluded") == 0 ? "excluded"
                                                            : "allowed");
    size_t i;
    const json_t *f;
    json_array_foreach(json_object_get(obj, "findings"), i, f)
    {
        if (strcmp(str(f, "severity"), "violation") != 0)
            continue;
        rc |= count_up(sum, "violations");
        rc |= count_up(c->by_rule, str(f, "rule"));
        rc |= count_up(c->by_ns, str(obj, "namespace")[0] ? str(obj, "namespace") : "-");
        rc |= count_up(c->by_kind, str(obj, "kind")[0] ? str(obj, "kind") : "-");
    }
    return rc;
}

enum tg_rc check_summarize(json_t *report)
{
    json_t *sum = json_pack("{s:i,s:i,s:i,s:i,s:i}", "objects", 0, "denied", 0, "allowed",
                            0, "excluded", 0, "violations", 0);
    struct counts c = {sum, json_object(), json_object(), json_object()};
    int rc = (!sum || !c.by_rule || !c.by_ns || !c.by_kind) ? -1 : 0;
    size_t i;
    const json_t *obj;
    json_array_foreach(json_object_get(report, "objects"), i, obj)
    {
        if (rc == 0)
            rc = summarize_object(obj, &c);
    }
    rc |= json_object_set_new(sum, "byRule", c.by_rule);
    rc |= json_object_set_new(sum, "byNamespace", c.by_ns);
    rc |= json_object_set_new(sum, "byKind", c.by_kind);
    rc |= json_object_set_new(report, "summary", sum);
    return rc ? TG_ENOMEM : TG_OK;
}

static void print_counts(FILE *out, const char *title, json_t *counts)
{
    if (!json_object_size(counts))
        return;
    fprintf(out, "  %s:", title);
    const char *key;
    const json_t *v;
    json_object_foreach(counts, key, v)
    {
        fprintf(out, " %s=%lld", key, (long long)json_integer_value(v));
    }
    fprintf(out, "\n");
}

static long long num(const json_t *o, const char *key)
{
    return (long long)json_integer_value(json_object_get(o, key));
}

static void text_object(const json_t *obj, FILE *out)
{
    const json_t *findings = json_object_get(obj, "findings");
    const char *decision = str(obj, "decision");
    if (!json_array_size(findings) && strcmp(decision, "deny") != 0)
        return;
    const char *ns = str(obj, "namespace");
    if (num(obj, "line") > 0) /* from a file; a listed object is named by itself */
        fprintf(out, "%s:%lld: ", str(obj, "source"), num(obj, "line"));
    fprintf(out, "%s %s%s%s: %s\n", str(obj, "kind"), ns, ns[0] ? "/" : "",
            str(obj, "name"), decision);
    size_t i;
    const json_t *f;
    json_array_foreach(findings, i, f)
    {
        char who[300];
        object_verdict_subject(f, who, sizeof(who));
        fprintf(out, "  %-5s [%s] %s (%s): %s\n", str(f, "outcome"), str(f, "rule"), who,
                str(f, "pointer"), str(f, "message"));
    }
}

static void render_text(const json_t *report, FILE *out)
{
    size_t i;
    const json_t *obj;
    json_array_foreach(json_object_get(report, "objects"), i, obj)
    {
        text_object(obj, out);
    }
    const json_t *sum = json_object_get(report, "summary");
    fprintf(out,
            "%lld object(s) checked: %lld denied, %lld allowed, %lld excluded; %lld "
            "violation(s)\n",
            num(sum, "objects"), num(sum, "denied"), num(sum, "allowed"),
            num(sum, "excluded"), num(sum, "violations"));
    if (json_object_get(sum, "listed")) /* tollgate audit */
        fprintf(out, "  %lld object(s) listed, %lld reported through their controller\n",
                num(sum, "listed"), num(sum, "owned"));
    print_counts(out, "by rule", json_object_get(sum, "byRule"));
    print_counts(out, "by namespace", json_object_get(sum, "byNamespace"));
    print_counts(out, "by kind", json_object_get(sum, "byKind"));
}

static void xml_escaped(FILE *out, const char *s)
{
    for (; *s; s++) {
        switch (*s) {
        case '<':
            fputs("&lt;", out);
            break;
        case '>':
            fputs("&gt;", out);
            break;
        case '&':
            fputs("&amp;", out);
            break;
        case '"':
            fputs("&quot;", out);
            break;
        default:
            if ((unsigned char)*s >= 0x20 || *s == '\n' || *s == '\t')
                fputc(*s, out);
        }
    }
}

static void junit_case(const json_t *obj, FILE *out)
{
    fputs("    <testcase classname=\"", out);
    xml_escaped(out, str(obj, "source"));
    fputs("\" name=\"", out);
    xml_escaped(out, str(obj, "kind"));
    fputc(' ', out);
    xml_escaped(out, str(obj, "namespace"));
    fputc('/', out);
    xml_escaped(out, str(obj, "name"));
    if (num(obj, "line") > 0)
        fprintf(out, " (line %lld)", num(obj, "line"));
    fputs("\">\n", out);
    if (strcmp(str(obj, "decision"), "deny") == 0) {
        fputs("      <failure type=\"tollgate\" message=\"denied by policy\">", out);
        size_t i;
        const json_t *f;
        json_array_foreach(json_object_get(obj, "findings"), i, f)
        {
            if (strcmp(str(f, "outcome"), "deny") != 0)
                continue;
            char who[300];
            object_verdict_subject(f, who, sizeof(who));
            fprintf(out, "[%s] ", str(f, "rule"));
            xml_escaped(out, who);
            fputs(" (", out);
            xml_escaped(out, str(f, "pointer"));
            fputs("): ", out);
            xml_escaped(out, str(f, "message"));
            fputc('\n', out);
        }
        fputs("</failure>\n", out);
    }
    fputs("    </testcase>\n", out);
}

static void render_junit(const json_t *report, FILE *out)
{
    const json_t *sum = json_object_get(report, "summary");
    fprintf(out,
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
            "<testsuites name=\"tollgate\" tests=\"%lld\" failures=\"%lld\">\n",
            num(sum, "objects"), num(sum, "denied"));
    const char *command = str(report, "command");
    fprintf(out, "  <testsuite name=\"tollgate %s\">\n", command[0] ? command : "check");
    const json_t *policy = json_object_get(report, "policy");
    if (policy) {
        fputs("    <properties>\n      <property name=\"policy.name\" value=\"", out);
        xml_escaped(out, str(policy, "name"));
        fputs("\"/>\n      <property name=\"policy.source\" value=\"", out);
        xml_escaped(out, str(policy, "source"));
        fprintf(out, "\"/>\n      <property name=\"policy.builtIn\" value=\"%s\"/>\n",
                json_is_true(json_object_get(policy, "builtIn")) ? "true" : "false");
        fputs("    </properties>\n", out);
    }
    size_t i;
    const json_t *obj;
    json_array_foreach(json_object_get(report, "objects"), i, obj)
    {
        junit_case(obj, out);
    }
    fputs("  </testsuite>\n</testsuites>\n", out);
}

static const char *sarif_level(const json_t *f)
{
    const char *outcome = str(f, "outcome");
    if (strcmp(outcome, "deny") == 0)
        return "error";
    return strcmp(str(f, "severity"), "note") == 0 ? "note" : "warning";
}

static json_t *sarif_result(const json_t *obj, const json_t *f)
{
    const char *ns = str(obj, "namespace");
    char where[512];
    snprintf(where, sizeof(where), "%s/%s%s%s%s", str(obj, "kind"), ns, ns[0] ? "/" : "",
             str(obj, "name"), str(f, "pointer"));
    char who[300], text[2048];
    object_verdict_subject(f, who, sizeof(who));
    snprintf(text, sizeof(text), "%s (%s): %s", who, str(f, "pointer"),
             str(f, "message"));
    json_int_t line = json_integer_value(json_object_get(obj, "line"));
    return json_pack("{s:s,s:s,s:{s:s},s:[{s:{s:{s:s},s:{s:I}},s:[{s:s}]}]}", "ruleId",
                     str(f, "rule"), "level", sarif_level(f), "message", "text", text,
                     "locations", "physicalLocation", "artifactLocation", "uri",
                     str(obj, "source"), "region", "startLine", line > 0 ? line : 1,
                     "logicalLocations", "fullyQualifiedName", where);
}

static enum tg_rc render_sarif(const json_t *report, FILE *out)
{
    json_t *results = json_array();
    int rc = results ? 0 : -1;
    size_t i, k;
    const json_t *obj, *f;
    json_array_foreach(json_object_get(report, "objects"), i, obj)
    {
        json_array_foreach(json_object_get(obj, "findings"), k, f)
        {
            if (rc == 0 && strcmp(str(f, "outcome"), "fixed") != 0)
                rc = json_array_append_new(results, sarif_result(obj, f));
        }
    }
    /* The policy that gave the verdict, in the run's property bag (SARIF
     * 2.1.0 section 3.8): a report from the built-in defaults says so. */
    const json_t *policy = json_object_get(report, "policy");
    json_t *props = json_pack("{s:O?}", "policy", policy);
    json_t *doc =
        json_pack("{s:s,s:s,s:[{s:{s:{s:s,s:s,s:s}},s:o,s:o}]}", "$schema",
                  "https://json.schemastore.org/sarif-2.1.0.json", "version", "2.1.0",
                  "runs", "tool", "driver", "name", "tollgate", "version",
                  TOLLGATE_VERSION, "informationUri", "https://tollgate.dev", "results",
                  results, "properties", props);
    if (rc != 0 || !doc || json_dumpf(doc, out, JSON_INDENT(2)) != 0) {
        json_decref(doc);
        return TG_ENOMEM;
    }
    fputc('\n', out);
    json_decref(doc);
    return TG_OK;
}

enum tg_rc check_render(const json_t *report, enum check_format format, FILE *out)
{
    switch (format) {
    case CHECK_TEXT:
        render_text(report, out);
        return TG_OK;
    case CHECK_JUNIT:
        render_junit(report, out);
        return TG_OK;
    case CHECK_SARIF:
        return render_sarif(report, out);
    case CHECK_JSON:
        if (json_dumpf(report, out, JSON_INDENT(2)) != 0)
            return TG_EIO;
        fputc('\n', out);
        return TG_OK;
    }
    return TG_EINVAL;
}
