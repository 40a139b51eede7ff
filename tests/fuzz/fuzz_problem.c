/* fuzz_problem.c — libFuzzer target: arbitrary bytes through the problem
 * file parser. The input is split at the first "\n--\n" into problem.ini
 * and class_codes.csv (absent without the separator), so both parsers and
 * their interplay are reached. Any crash, sanitizer report, hang or leak is
 * a bug; an accepted problem must answer every accessor sensibly.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ramp/problem.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *ini = (const char *)data, *codes = NULL;
    size_t ini_len = size, codes_len = 0;
    for (size_t i = 0; i + 4 <= size; i++)
        if (memcmp(data + i, "\n--\n", 4) == 0) {
            ini_len = i + 1;
            codes = (const char *)data + i + 4;
            codes_len = size - i - 4;
            break;
        }
    ramp_problem *p = NULL;
    ramp_err err;
    if (ramp_problem_parse(&p, ini, ini_len, "fuzz.ini", codes, codes_len, "fuzz_codes.csv", NULL,
                           &err) != RAMP_OK) {
        if (p || !err.msg[0]) abort();
        return 0;
    }
    int k = ramp_problem_n_classes(p);
    if (k < 2 || !ramp_problem_title(p) || ramp_problem_n_scores(p) < 1) abort();
    for (int i = 0; i < k; i++)
        if (!ramp_problem_class_name(p, i)) abort();
    for (int i = 0; i < ramp_problem_n_scores(p); i++)
        if (!ramp_problem_score_name(p, i) ||
            strcmp(ramp_score_kind_name(ramp_problem_score_kind(p, i)), "unknown") == 0)
            abort();
    if (ramp_problem_cv_n_splits(p) < 1 || !(ramp_problem_cv_test_size(p) > 0)) abort();
    ramp_problem_free(p);
    return 0;
}
