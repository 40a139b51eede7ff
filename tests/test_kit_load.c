/* test_kit_load.c — opening a problem.py kit in the data module: the
 * Python, the reader and the temporary folder come from the caller's
 * options (the command line fills them from the environment), and each
 * failure says which file is at fault. */
#define _POSIX_C_SOURCE 200809L
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <cmocka.h>

#include "data/dataInt.h"

static char dir[] = "/tmp/ramp-test-kit-load-XXXXXX";
static char kit[300], tmp[300];

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static int n_entries(const char *path)
{
    DIR *d = opendir(path);
    if (!d) return -1;
    int n = 0;
    for (struct dirent *e; (e = readdir(d));)
        n += strcmp(e->d_name, ".") && strcmp(e->d_name, "..");
    closedir(d);
    return n;
}

/* No reader where the caller says: ENOENT naming the kit and the reader. */
static void test_missing_reader(void **state)
{
    (void)state;
    ramp__kit k;
    ramp_err err;
    ramp__kit_opts o = {.kit_dir = kit,
                        .python = "/bin/sh",
                        .reader = "/nonexistent/ramp_problem.py",
                        .tmp_base = tmp};
    assert_int_equal(ramp__kit_load(&k, &o, &err), RAMP_ENOENT);
    assert_non_null(strstr(err.msg, "problem.py: cannot find ramp's reader"));
    assert_non_null(strstr(err.msg, "/nonexistent/ramp_problem.py"));
    ramp__kit_close(&k);
    assert_int_equal(n_entries(tmp), 0); /* its private folder is gone */
}

/* The reader runs as PYTHON READER --kit KIT --data DATA --out OUT, OUT a
   fresh folder under tmp_base; when it fails, its output is kept. */
static void test_reader_command(void **state)
{
    (void)state;
    char reader[400];
    snprintf(reader, sizeof reader, "%s/reader.sh", dir);
    write_file(reader, "echo \"args: $*\"\necho boom >&2\nexit 3\n");
    ramp__kit k;
    ramp_err err;
    ramp__kit_opts o = {.kit_dir = kit, .python = "/bin/sh", .reader = reader, .tmp_base = tmp};
    assert_int_equal(ramp__kit_load(&k, &o, &err), RAMP_EFORMAT);
    assert_non_null(strstr(err.msg, "ramp's reader failed (/bin/sh"));
    assert_non_null(strstr(err.msg, "exited with status 3"));
    assert_non_null(k.reader_log);
    char want[1000];
    snprintf(want, sizeof want, "args: --kit %s --data %s --out %s/ramp-kit-", kit, kit, tmp);
    if (!strstr(k.reader_log, want)) fail_msg("log '%s' lacks '%s'", k.reader_log, want);
    assert_non_null(strstr(k.reader_log, "boom"));
    ramp__kit_close(&k);
    assert_null(k.reader_log);
    assert_int_equal(n_entries(tmp), 0);
}

/* Neither problem file: ENOENT naming the folder. */
static void test_not_a_kit(void **state)
{
    (void)state;
    ramp__kit k;
    ramp_err err;
    ramp__kit_opts o = {.kit_dir = tmp};
    assert_int_equal(ramp__kit_load(&k, &o, &err), RAMP_ENOENT);
    assert_non_null(strstr(err.msg, "is not a kit: it has neither problem.ini nor problem.py"));
    assert_non_null(strstr(err.msg, tmp));
    ramp__kit_close(&k);
}

static int setup(void **state)
{
    (void)state;
    if (!mkdtemp(dir)) return -1;
    snprintf(kit, sizeof kit, "%s/kit", dir);
    snprintf(tmp, sizeof tmp, "%s/tmp", dir);
    if (mkdir(kit, 0700) || mkdir(tmp, 0700)) return -1;
    char py[400];
    snprintf(py, sizeof py, "%s/problem.py", kit);
    write_file(py, "problem_title = 'read by the reader, never by ramp'\n");
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    char cmd[400];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    return system(cmd) == 0 ? 0 : -1;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_missing_reader),
        cmocka_unit_test(test_reader_command),
        cmocka_unit_test(test_not_a_kit),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
