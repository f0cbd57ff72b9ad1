/* check_tlog.c -- log lines are read back from a file and parsed with
 * jansson: every line must be one valid JSON object, whatever went in. */
#include "tlog.h"

#include <fcntl.h>
#include <jansson.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "testutil.h"

static int log_fd = -1;
static int saved_fd = -1;
static char log_path[64];

static void setup(void)
{
    snprintf(log_path, sizeof(log_path), "/tmp/check_tlog.XXXXXX");
    int fd = mkstemp(log_path);
    ck_assert_int_ge(fd, 0);
    close(fd);
    /* O_APPEND: threads share one offset that the kernel advances atomically */
    log_fd = open(log_path, O_WRONLY | O_APPEND);
    ck_assert_int_ge(log_fd, 0);
    saved_fd = tlog_set_fd(log_fd);
    tlog_set_level(TLOG_DEBUG);
}

static void teardown(void)
{
    tlog_set_fd(saved_fd);
    tlog_set_level(TLOG_INFO);
    close(log_fd);
    unlink(log_path);
}

/* Everything logged so far (NUL-terminated; free()). */
static char *read_log(size_t *len)
{
    FILE *f = fopen(log_path, "rb");
    ck_assert_ptr_nonnull(f);
    size_t cap = 1 << 20, n = 0;
    char *data = malloc(cap);
    ck_assert_ptr_nonnull(data);
    for (size_t got = fread(data, 1, cap - 1, f); got > 0;
         got = fread(data + n, 1, cap - n - 1, f)) {
        n += got;
        if (n + 1 == cap) {
            cap *= 2;
            data = realloc(data, cap);
            ck_assert_ptr_nonnull(data);
        }
    }
    fclose(f);
    data[n] = '\0';
    if (len)
        *len = n;
    return data;
}

/* The log must hold exactly one line; it is parsed (decref the result). */
static json_t *only_line(char **raw)
{
    size_t len;
    char *text = read_log(&len);
    ck_assert_uint_gt(len, 0);
    ck_assert_msg(text[len - 1] == '\n', "line does not end in a newline");
    ck_assert_msg(memchr(text, '\n', len) == text + len - 1, "more than one line: %s",
                  text);
    ck_assert_uint_le(len, sizeof(((struct tlog_line *)0)->text));
    json_error_t jerr;
    json_t *root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
    ck_assert_msg(root, "not JSON (%s): %s", jerr.text, text);
    ck_assert(json_is_object(root));
    if (raw)
        *raw = text;
    else
        free(text);
    return root;
}

static const char *str_field(const json_t *o, const char *key)
{
    const json_t *v = json_object_get(o, key);
    ck_assert_msg(json_is_string(v), "field %s is not a string", key);
    return json_string_value(v);
}

START_TEST(writes_time_level_msg_and_fields)
{
    struct tlog_line l;
    time_t before = time(NULL);
    tlog_begin(&l, TLOG_WARN, "admission request");
    tlog_str(&l, "uid", "705ab4f5-6393-11e8-b7cc-42010a800002");
    tlog_str(&l, "namespace", NULL);
    tlog_int(&l, "latency_us", 123);
    tlog_int(&l, "min", -9223372036854775807LL - 1);
    tlog_bool(&l, "dry_run", true);
    tlog_bool(&l, "patched", false);
    tlog_end(&l);
    char *raw;
    json_t *o = only_line(&raw);
    ck_assert_msg(strncmp(raw, "{\"time\":\"", 9) == 0, "time is not first: %s", raw);
    ck_assert_str_eq(str_field(o, "level"), "warn");
    ck_assert_str_eq(str_field(o, "msg"), "admission request");
    ck_assert_str_eq(str_field(o, "uid"), "705ab4f5-6393-11e8-b7cc-42010a800002");
    ck_assert(json_is_null(json_object_get(o, "namespace")));
    ck_assert_int_eq(json_integer_value(json_object_get(o, "latency_us")), 123);
    ck_assert(json_integer_value(json_object_get(o, "min")) ==
              -9223372036854775807LL - 1);
    ck_assert(json_is_true(json_object_get(o, "dry_run")));
    ck_assert(json_is_false(json_object_get(o, "patched")));
    ck_assert_ptr_null(json_object_get(o, "truncated"));
    ck_assert_int_eq(json_object_size(o), 9);

    /* RFC 3339, UTC, milliseconds, and the current time */
    int y, mo, d, h, mi, s, ms;
    char z;
    const char *t = str_field(o, "time");
    ck_assert_uint_eq(strlen(t), 24);
    ck_assert_int_eq(
        sscanf(t, "%4d-%2d-%2dT%2d:%2d:%2d.%3d%c", &y, &mo, &d, &h, &mi, &s, &ms, &z), 8);
    ck_assert_int_eq(z, 'Z');
    struct tm tm;
    gmtime_r(&before, &tm);
    ck_assert_int_eq(y, tm.tm_year + 1900);
    ck_assert_int_eq(mo, tm.tm_mon + 1);
    long secs = h * 3600L + mi * 60L + s;
    long then = tm.tm_hour * 3600L + tm.tm_min * 60L + tm.tm_sec;
    ck_assert_msg(secs - then >= 0 && secs - then <= 2, "time %s is not now", t);
    json_decref(o);
    free(raw);
}
END_TEST

/* What goes in, and what a JSON parser must read back. */
static const struct {
    const char *in, *out;
} escapes[] = {
    {"plain text", "plain text"},
    {"say \"hi\" \\ bye", "say \"hi\" \\ bye"},
    {"line\nbreak\ttab\rret\bbs\fff", "line\nbreak\ttab\rret\bbs\fff"},
    {"\x01\x1f\x7f", "\x01\x1f\x7f"},
    {"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80",
     "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80"},
    {"bad \xff byte", "bad \xef\xbf\xbd byte"},
    {"cut \xc3", "cut \xef\xbf\xbd"},
    {"cut \xe2\x82", "cut \xef\xbf\xbd\xef\xbf\xbd"},
    {"overlong \xc0\xaf", "overlong \xef\xbf\xbd\xef\xbf\xbd"},
    {"overlong \xe0\x80\xaf", "overlong \xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd"},
    {"surrogate \xed\xa0\x80", "surrogate \xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd"},
    {"too big \xf4\x90\x80\x80",
     "too big \xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd"},
    {"max \xf4\x8f\xbf\xbf", "max \xf4\x8f\xbf\xbf"},
    {"lone continuation \x80", "lone continuation \xef\xbf\xbd"},
    {"", ""},
};

START_TEST(escapes_values_keys_and_msg)
{
    struct tlog_line l;
    tlog_begin(&l, TLOG_INFO, escapes[_i].in);
    tlog_str(&l, "v", escapes[_i].in);
    tlog_str(&l, escapes[_i].in[0] ? escapes[_i].in : "empty", "k");
    tlog_end(&l);
    char *raw;
    json_t *o = only_line(&raw); /* fails on raw control chars or bad UTF-8 */
    ck_assert_str_eq(str_field(o, "msg"), escapes[_i].out);
    ck_assert_str_eq(str_field(o, "v"), escapes[_i].out);
    ck_assert_str_eq(str_field(o, escapes[_i].in[0] ? escapes[_i].out : "empty"), "k");
    for (const char *p = raw; *p; p++)
        ck_assert_msg((unsigned char)*p >= 0x20 || p[1] == '\0', "raw control byte");
    json_decref(o);
    free(raw);
}
END_TEST

/* Long input of several kinds: the line stays valid JSON within the
 * buffer and says it was truncated. */
static const struct {
    const char *unit; /* repeated to fill a message or a field */
    bool in_msg;
} longs[] = {
    {"a", true},    {"\x01", true}, {"\xe2\x82\xac", true}, {"\"", true},
    {"\xff", true}, {"a", false},   {"\x01", false},        {"\xf0\x9f\x98\x80", false},
    {"\\n", false},
};

START_TEST(truncates_long_lines_cleanly)
{
    char big[5000];
    size_t ulen = strlen(longs[_i].unit), n = 0;
    while (n + ulen < sizeof(big)) {
        memcpy(big + n, longs[_i].unit, ulen);
        n += ulen;
    }
    big[n] = '\0';
    struct tlog_line l;
    tlog_begin(&l, TLOG_ERROR, longs[_i].in_msg ? big : "short");
    tlog_str(&l, "before", "kept");
    if (!longs[_i].in_msg)
        tlog_str(&l, "big", big); /* dropped whole */
    tlog_int(&l, "after", 7);     /* still fits */
    tlog_end(&l);
    json_t *o = only_line(NULL);
    ck_assert(json_is_true(json_object_get(o, "truncated")));
    ck_assert_ptr_null(json_object_get(o, "big"));
    if (longs[_i].in_msg) {
        const char *msg = str_field(o, "msg");
        ck_assert_uint_gt(strlen(msg), 100); /* cut, not dropped */
        ck_assert_ptr_null(json_object_get(o, "before"));
    } else {
        ck_assert_str_eq(str_field(o, "before"), "kept");
        ck_assert_int_eq(json_integer_value(json_object_get(o, "after")), 7);
    }
    json_decref(o);
}
END_TEST

/* Fill the line field by field: the first field that no longer fits and
 * every later one are dropped, and the JSON stays whole. */
START_TEST(drops_fields_that_do_not_fit)
{
    struct tlog_line l;
    char key[16];
    tlog_begin(&l, TLOG_INFO, "many fields");
    for (int i = 0; i < 200; i++) {
        snprintf(key, sizeof(key), "field%03d", i);
        tlog_str(&l, key, "0123456789");
    }
    tlog_end(&l);
    json_t *o = only_line(NULL);
    ck_assert(json_is_true(json_object_get(o, "truncated")));
    size_t n = json_object_size(o);
    ck_assert_uint_gt(n, 50);
    ck_assert_uint_lt(n, 200);
    snprintf(key, sizeof(key), "field%03d", (int)n - 5); /* time level msg truncated */
    ck_assert_ptr_nonnull(json_object_get(o, key));
    json_decref(o);
}
END_TEST

START_TEST(printf_formats_the_message)
{
    TLOG(TLOG_ERROR, "cannot load %s: %d%%", "policy.yaml", 42);
    json_t *o = only_line(NULL);
    ck_assert_str_eq(str_field(o, "msg"), "cannot load policy.yaml: 42%");
    ck_assert_str_eq(str_field(o, "level"), "error");
    ck_assert_int_eq(json_object_size(o), 3);
    json_decref(o);
}
END_TEST

START_TEST(printf_truncates_long_messages)
{
    char big[3000];
    memset(big, 'x', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    tlog_printf(TLOG_INFO, "%s", big);
    json_t *o = only_line(NULL);
    ck_assert(json_is_true(json_object_get(o, "truncated")));
    json_decref(o);
}
END_TEST

static int evaluations;
static int count_evaluation(void)
{
    return ++evaluations;
}

START_TEST(level_filter_drops_lower_levels)
{
    tlog_set_level(TLOG_WARN);
    ck_assert(!tlog_enabled(TLOG_DEBUG));
    ck_assert(!tlog_enabled(TLOG_INFO));
    ck_assert(tlog_enabled(TLOG_WARN));
    ck_assert(tlog_enabled(TLOG_ERROR));
    evaluations = 0;
    TLOG(TLOG_INFO, "not written %d", count_evaluation()); /* args not evaluated */
    ck_assert_int_eq(evaluations, 0);
    tlog_printf(TLOG_DEBUG, "not written");
    struct tlog_line l;
    tlog_begin(&l, TLOG_INFO, "not written either");
    tlog_str(&l, "k", "v");
    tlog_int(&l, "n", 1);
    tlog_bool(&l, "b", true);
    tlog_end(&l);
    size_t len;
    free(read_log(&len));
    ck_assert_uint_eq(len, 0);
    TLOG(TLOG_WARN, "written %d", count_evaluation());
    ck_assert_int_eq(evaluations, 1);
    json_t *o = only_line(NULL);
    ck_assert_str_eq(str_field(o, "msg"), "written 1");
    json_decref(o);
}
END_TEST

START_TEST(end_twice_writes_once)
{
    struct tlog_line l;
    tlog_begin(&l, TLOG_INFO, "once");
    tlog_end(&l);
    tlog_end(&l);
    json_decref(only_line(NULL));
}
END_TEST

static const struct {
    const char *name;
    enum tg_rc rc;
    enum tlog_level level;
} levels[] = {
    {"debug", TG_OK, TLOG_DEBUG},    {"info", TG_OK, TLOG_INFO},
    {"warn", TG_OK, TLOG_WARN},      {"error", TG_OK, TLOG_ERROR},
    {"INFO", TG_OK, TLOG_INFO},      {"warning", TG_OK, TLOG_WARN},
    {"", TG_EINVAL, TLOG_INFO},      {"trace", TG_EINVAL, TLOG_INFO},
    {"info ", TG_EINVAL, TLOG_INFO}, {NULL, TG_EINVAL, TLOG_INFO},
};

START_TEST(parses_level_names)
{
    enum tlog_level got = (enum tlog_level)99;
    ck_assert_int_eq(tlog_parse_level(levels[_i].name, &got), levels[_i].rc);
    if (levels[_i].rc == TG_OK)
        ck_assert_int_eq(got, levels[_i].level);
    else
        ck_assert_int_eq(got, 99); /* untouched on failure */
}
END_TEST

#define THREADS 8
#define LINES 400

static void *log_from_thread(void *arg)
{
    long id = (long)arg;
    char value[1500];
    for (int i = 0; i < LINES; i++) {
        size_t n = (size_t)(i * 37 + id * 11) % (sizeof(value) - 1);
        memset(value, 'a' + (int)id, n);
        value[n] = '\0';
        struct tlog_line l;
        tlog_begin(&l, TLOG_INFO, "from a thread");
        tlog_int(&l, "thread", id);
        tlog_int(&l, "i", i);
        tlog_str(&l, "pad", value);
        tlog_end(&l);
    }
    return NULL;
}

/* Lines written at once from many threads never interleave. */
START_TEST(threads_never_interleave)
{
    pthread_t t[THREADS];
    for (long i = 0; i < THREADS; i++)
        ck_assert_int_eq(pthread_create(&t[i], NULL, log_from_thread, (void *)i), 0);
    for (int i = 0; i < THREADS; i++)
        pthread_join(t[i], NULL);
    size_t len;
    char *text = read_log(&len);
    int seen[THREADS] = {0};
    int lines = 0;
    for (char *line = text, *nl = strchr(line, '\n'); nl;
         line = nl + 1, nl = strchr(line, '\n')) {
        json_error_t jerr;
        json_t *o = json_loadb(line, (size_t)(nl - line), 0, &jerr);
        ck_assert_msg(o, "line %d is not JSON: %s", lines, jerr.text);
        long id = (long)json_integer_value(json_object_get(o, "thread"));
        ck_assert(id >= 0 && id < THREADS);
        ck_assert_int_eq(json_integer_value(json_object_get(o, "i")), seen[id]++);
        ck_assert_uint_eq(strspn(str_field(o, "pad"), (char[]){(char)('a' + id), 0}),
                          strlen(str_field(o, "pad")));
        json_decref(o);
        lines++;
    }
    ck_assert_int_eq(lines, THREADS * LINES);
    ck_assert_uint_eq(text[len - 1], '\n');
    free(text);
}
END_TEST

START_TEST(set_fd_returns_previous)
{
    int prev = tlog_set_fd(99);
    ck_assert_int_eq(prev, log_fd);
    ck_assert_int_eq(tlog_set_fd(prev), 99);
}
END_TEST

static Suite *tlog_suite(void)
{
    Suite *s = suite_create("tlog");
    TCase *tc = tcase_create("tlog");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, writes_time_level_msg_and_fields);
    tcase_add_loop_test(tc, escapes_values_keys_and_msg, 0, ARRAY_LEN(escapes));
    tcase_add_loop_test(tc, truncates_long_lines_cleanly, 0, ARRAY_LEN(longs));
    tcase_add_test(tc, drops_fields_that_do_not_fit);
    tcase_add_test(tc, printf_formats_the_message);
    tcase_add_test(tc, printf_truncates_long_messages);
    tcase_add_test(tc, level_filter_drops_lower_levels);
    tcase_add_test(tc, end_twice_writes_once);
    tcase_add_loop_test(tc, parses_level_names, 0, ARRAY_LEN(levels));
    tcase_add_test(tc, threads_never_interleave);
    tcase_add_test(tc, set_fd_returns_previous);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return run_suite(tlog_suite());
}
