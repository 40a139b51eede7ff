/* args.c — the subcommands' option parser: each command describes its
 * options in a table (name, kind, where the value goes, bounds) and gets the
 * same handling of --help, missing values, bad numbers and unknown options,
 * with messages that name the command, the option and the value. */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cliInt.h"

/* What a value of this kind must be, for messages. */
static void want(char *buf, size_t len, const ramp__cli_opt *o)
{
    switch (o->kind) {
    case RAMP__CLI_SECONDS: snprintf(buf, len, "a positive number of seconds"); break;
    case RAMP__CLI_U64: snprintf(buf, len, "an integer in [0, 2^64)"); break;
    case RAMP__CLI_NUMBER: snprintf(buf, len, "a number >= %g", o->lo); break;
    case RAMP__CLI_INT:
        if (o->hi > o->lo)
            snprintf(buf, len, "an integer in [%.0f, %.0f]", o->lo, o->hi);
        else
            snprintf(buf, len, "an integer >= %.0f", o->lo);
        break;
    default: snprintf(buf, len, "a value"); break;
    }
}

/* Stores value v of option o; 0, or −1 if v is not a valid value. */
static int store(const ramp__cli_opt *o, const char *v)
{
    char *end;
    errno = 0;
    switch (o->kind) {
    case RAMP__CLI_STR: *(const char **)o->dst = v; return 0;
    case RAMP__CLI_SECONDS:
    case RAMP__CLI_NUMBER: {
        double d = strtod(v, &end);
        if (!*v || *end || !isfinite(d)) return -1; /* no nan, no inf: seconds become sleeps */
        if (o->kind == RAMP__CLI_SECONDS ? !(d > 0) : !(d >= o->lo)) return -1;
        *(double *)o->dst = d;
        return 0;
    }
    case RAMP__CLI_INT: {
        if (v[0] == '-' && o->lo >= 0) return -1; /* strtoull would wrap it */
        long long x = strtoll(v, &end, 10);
        if (!*v || *end || errno || (double)x < o->lo || (o->hi > o->lo && (double)x > o->hi))
            return -1;
        if (o->size == sizeof(int64_t))
            *(int64_t *)o->dst = (int64_t)x;
        else if (x > INT32_MAX || x < INT32_MIN)
            return -1;
        else
            *(int *)o->dst = (int)x;
        return 0;
    }
    case RAMP__CLI_U64: {
        if (v[0] == '-') return -1;
        unsigned long long x = strtoull(v, &end, 10);
        if (!*v || *end || errno) return -1;
        *(uint64_t *)o->dst = (uint64_t)x;
        return 0;
    }
    case RAMP__CLI_FLAG: *(int *)o->dst = 1; return 0;
    }
    return -1;
}

int ramp__cli_parse(const ramp__cli_spec *spec, int argc, char **argv)
{
    int n_pos = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (ramp__cli_is_help(a)) {
            spec->usage(stdout);
            return 1;
        }
        if (a[0] != '-' || !a[1]) {
            if (n_pos >= spec->max_pos) {
                ramp__cli_error("%s: unexpected argument '%s' (see 'ramp %s --help')", spec->cmd, a,
                                spec->cmd);
                return 2;
            }
            spec->pos[n_pos++] = a;
            continue;
        }
        const ramp__cli_opt *o = spec->opts;
        while (o->name && strcmp(o->name, a)) o++;
        if (!o->name) {
            ramp__cli_error("%s: unknown option '%s' (see 'ramp %s --help')", spec->cmd, a,
                            spec->cmd);
            return 2;
        }
        if (o->kind == RAMP__CLI_FLAG) {
            store(o, NULL);
            continue;
        }
        if (i + 1 >= argc) {
            ramp__cli_error("%s: %s needs a value", spec->cmd, a);
            return 2;
        }
        const char *v = argv[++i];
        if (store(o, v)) {
            char w[96];
            want(w, sizeof w, o);
            ramp__cli_error("%s: %s wants %s, not '%s'", spec->cmd, a, w, v);
            return 2;
        }
    }
    if (spec->n_pos) *spec->n_pos = n_pos;
    return 0;
}
