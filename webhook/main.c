/* main.c -- `tollgate <command>`: dispatch to a subcommand. */
#include <stdio.h>
#include <string.h>

#include "commands.h"

static void usage(FILE *out)
{
    fprintf(out, "Usage: tollgate <command> [options]\n"
                 "\n"
                 "Kubernetes admission webhook that enforces container security policy.\n"
                 "\n"
                 "Commands:\n"
                 "  serve     run the TLS admission webhook server\n"
                 "  check     evaluate manifests or AdmissionReviews offline (CI)\n"
                 "  audit     judge the workloads already running in a cluster\n"
                 "  version   print the version\n"
                 "  help      print this help\n"
                 "\n"
                 "Run 'tollgate <command> --help' for the options of a command.\n");
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return 2;
    }
    const char *cmd = argv[1];
    if (strcmp(cmd, "check") == 0)
        return cmd_check(argc - 1, argv + 1);
    if (strcmp(cmd, "serve") == 0)
        return cmd_serve(argc - 1, argv + 1);
    if (strcmp(cmd, "audit") == 0)
        return cmd_audit(argc - 1, argv + 1);
    if (strcmp(cmd, "version") == 0 || strcmp(cmd, "--version") == 0) {
        printf("tollgate %s\n", TOLLGATE_VERSION);
        return 0;
    }
    if (strcmp(cmd, "help") == 0 || strcmp(cmd, "--help") == 0 ||
        strcmp(cmd, "-h") == 0) {
        usage(stdout);
        return 0;
    }
    fprintf(stderr, "tollgate: unknown command '%s'\n\n", cmd);
    usage(stderr);
    return 2;
}
