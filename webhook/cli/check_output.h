/* check_output.h -- printing `tollgate check` reports for people and tools.
 *
 * The report is a JSON value built by the check command:
 *   {"policy":{"name","source","builtIn"},      (which policy judged)
 *    "objects":[{"source","line","kind","namespace","name","decision",
 *                "findings":[...]}],            (entries of object_verdict.h)
 *    "summary":{"objects","denied","allowed","excluded","violations",
 *               "byRule":{rule:n},"byNamespace":{ns:n},"byKind":{kind:n}}}
 * `tollgate audit` reports objects listed from a cluster the same way: no
 * "line" (so no file position is printed), "source" their API path, the
 * report's "command" is "audit", and the summary also has "listed" and
 * "owned" (skipped, reported through their controller).
 * and is rendered as text (one line per finding, a summary), json (the
 * report itself), junit (a testsuite per file, a testcase per object; CI
 * systems show failures) or sarif 2.1.0 (code-scanning UIs).  junit and
 * sarif carry the policy too (testsuite properties; the run's property
 * bag), so a report made with the built-in defaults says so.
 * Pure apart from writing to the given stream.
 */
#ifndef TOLLGATE_CHECK_OUTPUT_H
#define TOLLGATE_CHECK_OUTPUT_H

#include <jansson.h>
#include <stdio.h>

#include "error.h"

enum check_format { CHECK_TEXT, CHECK_JSON, CHECK_JUNIT, CHECK_SARIF };

/* "text" | "json" | "junit" | "sarif"; TG_EINVAL otherwise. */
TG_MUST_CHECK enum tg_rc check_format_parse(const char *name, enum check_format *out);

/* Fill report.summary from report.objects. */
TG_MUST_CHECK enum tg_rc check_summarize(json_t *report);

TG_MUST_CHECK enum tg_rc check_render(const json_t *report, enum check_format format,
                                      FILE *out);

#endif
