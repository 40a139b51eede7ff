/* main.c — `ramp`, the command-line tool: a table of subcommands, each with
 * its own --help. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "cli/cliInt.h"
#include "ramp/nn.h"

#ifndef RAMP_VERSION
#define RAMP_VERSION "0.1.0"
#endif

typedef struct command {
    const char *name;
    int (*run)(int argc, char **argv);
    const char *summary;
} command;

static const command commands[] = {
    {"data", ramp__cmd_data, "build a kit from a dataset, or check a kit"},
    {"kit", ramp__cmd_kit, "import a RAMP kit's problem.py as problem.ini"},
    {"test", ramp__cmd_test, "train and score a submission on each CV fold (ramp-test)"},
    {"score", ramp__cmd_score, "score a saved prediction file against a kit's labels"},
    {"event", ramp__cmd_event, "register a kit as the platform's event in a store"},
    {"team", ramp__cmd_team, "add a team to a store and print its upload token"},
    {"submit", ramp__cmd_submit, "store a submission for the workers to train"},
    {"worker", ramp__cmd_worker, "train the store's pending submissions"},
    {"leaderboard", ramp__cmd_leaderboard, "print the leaderboard (table, CSV, JSON, HTML)"},
    {"label", ramp__cmd_label, "the labelling page: register images, open it, export the labels"},
    {"serve", ramp__cmd_serve, "serve the leaderboard, submission pages and upload over HTTP"},
    {"model", ramp__cmd_model, "ONNX models: print the layer table, run on a .npy array"},
    {"blend", ramp__cmd_blend, "blend saved predictions: combined score and contributivity"},
    {"sandbox-check", ramp__cmd_sandbox_check, "say whether submissions can be sandboxed here"},
};

void ramp__cli_error(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("ramp: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
}

int ramp__cli_is_help(const char *arg)
{
    return strcmp(arg, "-h") == 0 || strcmp(arg, "--help") == 0;
}

static void usage(FILE *f)
{
    fprintf(f, "usage: ramp <command> [options]\n\n"
               "RAMP image-classification workflow: kits, submissions, scores.\n\n"
               "commands:\n");
    for (size_t i = 0; i < sizeof commands / sizeof *commands; i++)
        fprintf(f, "  %-12s %s\n", commands[i].name, commands[i].summary);
    fprintf(f, "\n'ramp <command> --help' describes a command.\n");
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return 2;
    }
    if (ramp__cli_is_help(argv[1]) || strcmp(argv[1], "help") == 0) {
        usage(stdout);
        return 0;
    }
    if (strcmp(argv[1], "--version") == 0) {
        /* the version, then what this build can compute on */
        printf("ramp %s\n%s\n", RAMP_VERSION, ramp_nn_build_info());
        return 0;
    }
    if (strcmp(argv[1], "__fold") == 0) return ramp__cmd_fold(argc - 1, argv + 1); /* not for people */
    for (size_t i = 0; i < sizeof commands / sizeof *commands; i++)
        if (strcmp(argv[1], commands[i].name) == 0) return commands[i].run(argc - 1, argv + 1);
    ramp__cli_error("unknown command '%s' (see 'ramp --help')", argv[1]);
    return 2;
}
