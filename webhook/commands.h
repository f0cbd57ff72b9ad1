/* commands.h -- the subcommands of the tollgate binary.
 *
 * Each takes the arguments after its name (argv[0] is the subcommand) and
 * returns the process exit status: 0 success, 1 "something would be denied"
 * (check, audit) or a runtime failure (serve), 2 usage, input or
 * configuration error.
 */
#ifndef TOLLGATE_COMMANDS_H
#define TOLLGATE_COMMANDS_H

int cmd_check(int argc, char **argv); /* check.c: the offline CLI */
int cmd_serve(int argc, char **argv); /* serve.c: the TLS admission server */
int cmd_audit(int argc, char **argv); /* audit_cli.c: the cluster's running workloads */

#endif
