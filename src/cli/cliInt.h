/* cliInt.h — the command-line tool's subcommands. Each takes the arguments
 * after its own name (argv[0] is the subcommand) and returns the process exit
 * code: 0 success, 1 a failure found in the user's data or submission, 2 a
 * usage error. Only this layer prints to stdout or turns statuses into exit
 * codes; the library never does. */
#ifndef RAMP_CLI_INT_H
#define RAMP_CLI_INT_H

#include <stdio.h>

#include "data/dataInt.h" /* ramp__kit */
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
int ramp__cmd_label(int argc, char **argv);
int ramp__cmd_blend(int argc, char **argv);
int ramp__cmd_kit(int argc, char **argv);
int ramp__cmd_model(int argc, char **argv);

/* ---- kits (cli_kit.c; the loader is the data module's, dataInt.h) ------------- */

/* ramp__kit_load with what o leaves NULL filled from this process: the
   reader and Python of ramp__cli_reader, $TMPDIR. */
ramp_status ramp__cli_kit_load(ramp__kit *k, const ramp__kit_opts *o, ramp_err *err);
/* Same with the data folder alone (NULL: KIT/data). */
ramp_status ramp__kit_open(ramp__kit *k, const char *kit_dir, const char *data_dir, ramp_err *err);
/* "ramp: <err>" on stderr, then the reader's output if it failed. */
void ramp__kit_report(ramp__kit *k, const ramp_err *err);

/* ---- Python, for RAMP kits (cli_kit.c) ----------------------------------- */

/* The activated Python environment: $VIRTUAL_ENV, else $CONDA_PREFIX (when
   set and non-empty; *which gets the variable's name), else NULL. */
const char *ramp__cli_py_env(const char **which);
/* ramp's reader of RAMP kits, python/ramp_problem.py beside this program
   (<exe dir>/python/, else <exe dir>/../share/ramp/python/), into script,
   and the Python to run it with (ENV/bin/python of ramp__cli_py_env, else
   python3 on PATH), into python. 0, or -1 when the reader is not there
   (script then names where it was looked for). */
int ramp__cli_reader(char *script, size_t slen, char *python, size_t plen);
/* A fresh private folder $TMPDIR/ramp-WHAT-XXXXXX (mkdtemp); malloc'd,
   NULL on failure (errno). */
char *ramp__cli_mkdtemp(const char *what);

/* ---- what the library is handed instead of the environment (tools.c) --- */

/* The compilers, the Python, ramp's headers and the Python plugin, from
   $RAMP_CC, $RAMP_CXX, $RAMP_PYTHON, $RAMP_INCLUDE_DIR, $RAMP_PYTHON_PLUGIN
   and $RAMP_PY_TRANSFORM, else found from this program's place. */
typedef struct ramp__cli_tools {
    const char *cc, *cxx;       /* NULL: the library's defaults (cc, c++) */
    const char *python;         /* checks .py files parse */
    char include_dir[4096];
    char python_plugin[4200];   /* "" when there is none */
    char plugin_looked[8500];   /* where it was looked for, for messages */
    int py_threads;             /* RAMP_PY_TRANSFORM=threads */
} ramp__cli_tools;

struct ramp__build_opts;
void ramp__cli_tools_find(ramp__cli_tools *t);
/* Fills the compile's programs and files from t (borrowed from it). */
void ramp__cli_tools_build(const ramp__cli_tools *t, struct ramp__build_opts *o);

/* ---- the sandbox's settings from the command line (sandbox.c) ---------- */

/* The environment a sandboxed program gets: a fixed PATH, HOME and TMPDIR
   (/tmp), and from this process's environment only the thread, locale and
   sanitizer variables (OMP_NUM_THREADS, OPENBLAS_*, MKL_NUM_THREADS,
   LANG, LC_ALL, ASAN/UBSAN/LSAN_OPTIONS...). With the
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

/* progress.c: the training display of `ramp test` (Keras's bar, a line per
   epoch, fold K/N and the fold's and run's ETA). `now` is the caller's clock
   in seconds. */
typedef struct ramp__bar {
    int tty;            /* redraw in place; else plain lines */
    int columns;        /* the terminal's width: a redrawn bar is cut to fit (0: no cut) */
    double plain_every; /* without a terminal: a line at least this often (10 s) */
    int fold, n_folds;  /* fold -1: the retrain; n_folds 0: unknown */
    int started;
    double fold_t0;
    double folds_s;     /* the CV folds done so far: their time, their count */
    int folds_done;
    double last_line;
    int open_line;      /* a bar is drawn without its newline */
} ramp__bar;

void ramp__bar_init(ramp__bar *b, int tty, double now);
void ramp__bar_fold_start(ramp__bar *b, int fold, int n_folds, double now);
/* The text for p (no newline, no escape), into out (len bytes); its length. */
size_t ramp__bar_line(const ramp__bar *b, const ramp_progress *p, double now, char *out,
                      size_t len);
/* Shows p on out: redraws the bar, or prints a plain line when due. */
void ramp__bar_update(ramp__bar *b, const ramp_progress *p, double now, FILE *out);
/* Ends a bar left open (before other output). */
void ramp__bar_close(ramp__bar *b, FILE *out);

#endif
