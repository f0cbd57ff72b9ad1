/* replay.c -- run a fuzz target over files, without libFuzzer.
 *
 * Usage: fuzz_<name> FILE|DIR...  Each file (and each regular file in a
 * directory, not recursively) is one input.  Linked with each target in
 * the normal build so ctest replays the corpus, including every input that
 * once crashed, under gcc, ASan and valgrind.  Exits 1 if nothing was run
 * (a missing corpus must not pass as an empty one); a broken property
 * aborts.
 */
#include "fuzz.h"

#include <dirent.h>
#include <string.h>
#include <sys/stat.h>

static size_t run_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        perror(path);
        exit(1);
    }
    uint8_t *data = NULL;
    size_t len = 0, cap = 0;
    for (;;) {
        if (len == cap) {
            cap = cap ? 2 * cap : 4096;
            data = realloc(data, cap);
            if (!data)
                abort();
        }
        size_t got = fread(data + len, 1, cap - len, f);
        if (got == 0)
            break;
        len += got;
    }
    fclose(f);
    /* an exact-size copy, so ASan sees a read one past the input */
    uint8_t *exact = malloc(len ? len : 1);
    if (!exact)
        abort();
    memcpy(exact, data, len);
    free(data);
    LLVMFuzzerTestOneInput(exact, len);
    free(exact);
    return 1;
}

static size_t run_dir(const char *dir)
{
    size_t n = 0;
    DIR *d = opendir(dir);
    if (!d) {
        perror(dir);
        exit(1);
    }
    struct dirent *e = readdir(d);
    for (; e; e = readdir(d)) {
        char path[4096];
        struct stat st;
        if (e->d_name[0] == '.')
            continue;
        int w = snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
        if (w < 0 || (size_t)w >= sizeof(path) || stat(path, &st) != 0)
            continue;
        if (S_ISREG(st.st_mode))
            n += run_file(path);
    }
    closedir(d);
    return n;
}

int main(int argc, char **argv)
{
    size_t n = 0;
    for (int i = 1; i < argc; i++) {
        struct stat st;
        if (stat(argv[i], &st) != 0) {
            perror(argv[i]);
            return 1;
        }
        n += S_ISDIR(st.st_mode) ? run_dir(argv[i]) : run_file(argv[i]);
    }
    printf("%zu inputs replayed\n", n);
    return n ? 0 : 1;
}
