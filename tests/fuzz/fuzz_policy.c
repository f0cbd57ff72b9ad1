/* fuzz_policy.c -- policy_load_buffer on any bytes.
 *
 * Properties: TG_OK gives a policy, anything else is TG_EINVAL or
 * TG_ETOOBIG with a message, the source name and a 1-based line (a policy
 * error must say where to look), and nothing leaks either way.
 */
#include "fuzz.h"

#include <string.h>

#include "policy_load.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_init();
    struct policy *p = NULL;
    struct tg_error err = {0};
    enum tg_rc rc = policy_load_buffer((const char *)data, size, "fuzz.yaml", &p, &err);
    if (rc == TG_OK) {
        FUZZ_CHECK(p, "TG_OK without a policy");
        policy_free(p);
        return 0;
    }
    FUZZ_CHECK(rc == TG_EINVAL || rc == TG_ETOOBIG, "policy_load_buffer returned %d",
               (int)rc);
    FUZZ_CHECK(!p, "a policy on failure");
    FUZZ_CHECK(err.text[0] != '\0', "error without a message");
    FUZZ_CHECK(strcmp(err.source, "fuzz.yaml") == 0, "error names [%s]", err.source);
    FUZZ_CHECK(err.line >= 1, "error without a line: %s", err.text);
    return 0;
}
