/* fuzz_folds.c — libFuzzer target: arbitrary bytes through the folds file
 * reader (`fold,set,row` lines a kit's [cv] folds names). The first byte
 * chooses the number of labelled rows (1..256), the rest is the file. Any
 * crash, sanitizer report, hang or leak is a bug; accepted folds must hold
 * rows in range, every fold with both sides non-empty, and survive a
 * restriction to every other row.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ramp/dataset.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1) return 0;
    size_t n = (size_t)data[0] + 1;
    ramp_folds *f = NULL;
    ramp_err err;
    if (ramp_folds_parse(&f, (const char *)data + 1, size - 1, "fuzz.csv", n, &err) != RAMP_OK) {
        if (f || !err.msg[0]) abort();
        return 0;
    }
    int k_n = ramp_folds_n(f);
    if (k_n < 1) abort();
    for (int k = 0; k < k_n; k++) {
        const uint32_t *tr, *va;
        size_t ntr, nva;
        ramp_folds_get(f, k, &tr, &ntr, &va, &nva);
        if (!ntr || !nva) abort();
        for (size_t i = 0; i < ntr; i++)
            if (tr[i] >= n) abort();
        for (size_t i = 0; i < nva; i++)
            if (va[i] >= n) abort();
    }
    uint8_t keep[256];
    for (size_t i = 0; i < n; i++) keep[i] = (uint8_t)(i % 2 == 0);
    if (ramp_folds_restrict(f, keep, n) != RAMP_OK && !ramp_folds_errmsg(f)[0]) abort();
    ramp_folds_free(f);
    return 0;
}
