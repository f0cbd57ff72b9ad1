/* check_quantity.c -- resource.Quantity text to thousandths: every suffix
 * family, rounding, saturation and the malformed ones. */
#include <string.h>

#include "quantity.h"
#include "testutil.h"

static const struct {
    const char *in;
    int64_t milli;
} good[] = {
    {"0", 0},
    {"1", 1000},
    {"+1", 1000},
    {"-1", -1000},
    {"500m", 500},
    {"0.5", 500},
    {".5", 500},
    {"1.", 1000},
    {"1.5", 1500},
    {"0.05", 50},
    {"007", 7000},
    {"100m", 100},
    {"1k", 1000000},
    {"1M", 1000000000},
    {"1G", INT64_C(1000000000000)},
    {"1T", INT64_C(1000000000000000)},
    {"1P", INT64_C(1000000000000000000)},
    {"1Ki", 1024000},
    {"512Mi", INT64_C(536870912000)},
    {"2Gi", INT64_C(2147483648000)},
    {"1.5Gi", INT64_C(1610612736000)},
    {"1Ti", INT64_C(1099511627776000)},
    {"1e3", 1000000},
    {"1E3", 1000000},
    {"1e+3", 1000000},
    {"1e-3", 1},
    {"2.5e2", 250000},
    {"1n", 1},     /* 0.000001 thousandths, rounded up */
    {"1u", 1},     /* 0.001, rounded up */
    {"1500u", 2},  /* 1.5, rounded up */
    {"0.1m", 1},   /* Kubernetes: 0.1m is 1m */
    {"0.0001", 1}, /* 0.1 thousandths */
    {"1e-10000", 1},
    {"0e10000", 0},
    /* held at QUANTITY_MAX, which is still above every real maximum */
    {"1E", QUANTITY_MAX},
    {"8Ei", QUANTITY_MAX},
    {"10P", QUANTITY_MAX},
    {"1e10000", QUANTITY_MAX},
    {"99999999999999999999999999", QUANTITY_MAX},
    /* digits past the 18 kept still count */
    {"1234567890123456789", QUANTITY_MAX},
    {"0.1234567890123456789", 124},
    {"123456789012345.6789", INT64_C(123456789012345679)},
};

START_TEST(parses)
{
    int64_t v = -42;
    const char *why = NULL;
    ck_assert_msg(quantity_parse(good[_i].in, &v, &why) == TG_OK, "%s: %s", good[_i].in,
                  why ? why : "");
    ck_assert_msg(v == good[_i].milli, "%s: %lld, want %lld", good[_i].in, (long long)v,
                  (long long)good[_i].milli);
}
END_TEST

static const struct {
    const char *in, *why;
} bad[] = {
    {"", "is empty"},
    {"m", "has no digits"},
    {".", "has no digits"},
    {"-", "has no digits"},
    {"--1", "has no digits"},
    {" 1", "has no digits"},
    {"1 ", "has an unknown suffix"},
    {"1.2.3", "has an unknown suffix"},
    {"1K", "has an unknown suffix"},
    {"1ki", "has an unknown suffix"},
    {"1MiB", "has an unknown suffix"},
    {"1e", "has an unknown suffix"},
    {"1e+", "has an unknown suffix"},
    {"1e3m", "has an unknown suffix"},
    {"1,5", "has an unknown suffix"},
    {"0x10", "has an unknown suffix"},
    {"1Gi ", "has an unknown suffix"},
};

START_TEST(refuses)
{
    int64_t v = -42;
    const char *why = NULL;
    ck_assert_int_eq(quantity_parse(bad[_i].in, &v, &why), TG_EINVAL);
    ck_assert_int_eq(v, -42);
    ck_assert_msg(why && strncmp(why, bad[_i].why, strlen(bad[_i].why)) == 0, "%s: %s",
                  bad[_i].in, why ? why : "(none)");
    ck_assert_int_eq(quantity_parse(bad[_i].in, &v, NULL), TG_EINVAL);
}
END_TEST

/* The reason there is for a user: "has an unknown suffix" names them all. */
START_TEST(suffix_reason_lists_the_suffixes)
{
    int64_t v;
    const char *why = NULL;
    ck_assert_int_eq(quantity_parse("2GB", &v, &why), TG_EINVAL);
    ck_assert_ptr_nonnull(strstr(why, "Ki Mi Gi Ti Pi Ei"));
}
END_TEST

int main(void)
{
    Suite *s = suite_create("quantity");
    TCase *tc = tcase_create("core");
    tcase_add_loop_test(tc, parses, 0, ARRAY_LEN(good));
    tcase_add_loop_test(tc, refuses, 0, ARRAY_LEN(bad));
    tcase_add_test(tc, suffix_reason_lists_the_suffixes);
    suite_add_tcase(s, tc);
    return run_suite(s);
}
