/* cliInt.h — the command-line tool's subcommands. Each takes the arguments
 * after its own name (argv[0] is the subcommand) and returns the process exit
 * code: 0 success, 1 a failure found in the user's data or submission, 2 a
 * usage error. Only this layer prints to stdout or turns statuses into exit
 * codes; the library never does. */
#ifndef RAMP_CLI_INT_H
#define RAMP_CLI_INT_H

#include <stdio.h>

#include "ramp/dataset.h"
#include "ramp/loader.h"
#include "ramp/problem.h"

int ramp__cmd_data(int argc, char **argv);
int ramp__cmd_test(int argc, char **argv);
int ramp__cmd_score(int argc, char **argv);
int ramp__cmd_event(int argc, char **argv);
int ramp__cmd_team(int argc, char **argv);
int ramp__cmd_submit(int argc, char **argv);
int ramp__cmd_worker(int argc, char **argv);
int ramp__cmd_leaderboard(int argc, char **argv);
int ramp__cmd_serve(int argc, char **argv);
int ramp__cmd_blend(int argc, char **argv);

/* One split of a kit: its index and the image path of each row. */
typedef struct ramp__kit_split {
    ramp_index *index;
    char **paths;
    const char **ids;
    ramp_samples samples; /* views of the above */
} ramp__kit_split;

typedef struct ramp__kit {
    ramp_problem *problem;
    char data_dir[4096];
    ramp__kit_split train, test;
} ramp__kit;

/* Loads KIT/problem.ini and DATA/{train,test}.csv (DATA defaults to
   KIT/data); images are DATA/imgs/<id>. */
ramp_status ramp__kit_open(ramp__kit *k, const char *kit_dir, const char *data_dir, ramp_err *err);
void ramp__kit_close(ramp__kit *k);

/* Prints "ramp: <msg>" on stderr. */
void ramp__cli_error(const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 1, 2)))
#endif
    ;

/* True when argv[i] is -h or --help. */
int ramp__cli_is_help(const char *arg);

#endif
