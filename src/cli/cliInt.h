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
/* One split, DATA/NAME.csv with its images DATA/imgs/<id>. */
ramp_status ramp__kit_split_open(ramp__kit_split *s, const char *data_dir, const char *name,
                                 int n_classes, ramp_err *err);
void ramp__kit_split_close(ramp__kit_split *s);

/* ---- the sandbox's settings from the command line (sandbox.c) ---------- */

/* The environment a sandboxed program gets: a fixed PATH, HOME and TMPDIR
   (/tmp), and from this process's environment only the thread, locale and
   sanitizer variables (OMP_NUM_THREADS, OPENBLAS_*, MKL_NUM_THREADS,
   RAMP_PY_TRANSFORM, LANG, LC_ALL, ASAN/UBSAN/LSAN_OPTIONS...). With the
   sandbox off: the whole environment. NULL-terminated; free with
   ramp__cli_env_free. NULL when out of memory. */
char **ramp__cli_sandbox_env(int sandboxed);
void ramp__cli_env_free(char **env);

/* The path of this ramp program (/proc/self/exe), into buf; 0 or -1. */
int ramp__cli_exe(char *buf, size_t len);

/* Checks that the sandbox can be made here; prints why not and returns 1
   when it cannot (with the way out: `hint`). */
int ramp__cli_sandbox_check(const char *hint);

/* `ramp __fold`: the fold child (hidden). */
int ramp__cmd_fold(int argc, char **argv);
/* `ramp sandbox-check`: says whether the sandbox works here. */
int ramp__cmd_sandbox_check(int argc, char **argv);

/* Prints "ramp: <msg>" on stderr. */
void ramp__cli_error(const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 1, 2)))
#endif
    ;

/* True when argv[i] is -h or --help. */
int ramp__cli_is_help(const char *arg);

/* Options of a subcommand, for ramp__cli_parse (args.c). */
typedef enum ramp__cli_kind {
    RAMP__CLI_FLAG,    /* no value; dst: int, set to 1 */
    RAMP__CLI_STR,     /* dst: const char *, the argument itself */
    RAMP__CLI_SECONDS, /* dst: double, finite and > 0 */
    RAMP__CLI_NUMBER,  /* dst: double, finite and >= lo */
    RAMP__CLI_INT,     /* dst: int or int64_t (size); >= lo, and <= hi if hi > lo */
    RAMP__CLI_U64      /* dst: uint64_t, any value (seeds) */
} ramp__cli_kind;

typedef struct ramp__cli_opt {
    const char *name; /* "--data"; NULL ends the table */
    ramp__cli_kind kind;
    void *dst;
    double lo, hi;
    size_t size;
} ramp__cli_opt;

/* Table rows: OPT_INT takes int * or int64_t * (the size says which). */
#define RAMP__OPT_STR(name, p) { (name), RAMP__CLI_STR, (p), 0, 0, 0 }
#define RAMP__OPT_FLAG(name, p) { (name), RAMP__CLI_FLAG, (p), 0, 0, 0 }
#define RAMP__OPT_SECONDS(name, p) { (name), RAMP__CLI_SECONDS, (p), 0, 0, 0 }
#define RAMP__OPT_NUMBER(name, p, lo) { (name), RAMP__CLI_NUMBER, (p), (lo), 0, 0 }
#define RAMP__OPT_INT(name, p, lo, hi) { (name), RAMP__CLI_INT, (p), (lo), (hi), sizeof *(p) }
#define RAMP__OPT_U64(name, p) { (name), RAMP__CLI_U64, (p), 0, 0, sizeof *(p) }
#define RAMP__OPT_END { NULL, RAMP__CLI_FLAG, NULL, 0, 0, 0 }

typedef struct ramp__cli_spec {
    const char *cmd;            /* as typed after "ramp", for messages: "test", "data check" */
    void (*usage)(FILE *f);     /* the --help text */
    const ramp__cli_opt *opts;
    const char **pos;           /* positional arguments, in order (max_pos of them) */
    int max_pos;
    int *n_pos;                 /* how many were given (may be NULL) */
} ramp__cli_spec;

/* Parses argv[1..argc): 0 when all is well; 1 after printing the usage for
   -h/--help (the command then exits 0); 2 after printing an error naming
   the option and the value at fault: an unknown option, a missing or bad
   value, one positional argument too many. */
int ramp__cli_parse(const ramp__cli_spec *spec, int argc, char **argv);

#endif
