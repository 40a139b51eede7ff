/* cliInt.h — the command-line tool's subcommands. Each takes the arguments
 * after its own name (argv[0] is the subcommand) and returns the process exit
 * code: 0 success, 1 a failure found in the user's data or submission, 2 a
 * usage error. Only this layer prints to stdout or turns statuses into exit
 * codes; the library never does. */
#ifndef RAMP_CLI_INT_H
#define RAMP_CLI_INT_H

#include <stdio.h>

int ramp__cmd_data(int argc, char **argv);

/* Prints "ramp: <msg>" on stderr. */
void ramp__cli_error(const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 1, 2)))
#endif
    ;

/* True when argv[i] is -h or --help. */
int ramp__cli_is_help(const char *arg);

#endif
