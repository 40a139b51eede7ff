/* fuzz_det_csv.c — libFuzzer target: arbitrary bytes through the detection
 * CSV reader (ramp_det_index_parse), failing on the first problem and
 * skipping bad rows. Any crash, sanitizer report, hang or leak is a bug.
 * The first byte picks n_classes and the geometry asked for. An accepted
 * index is checked against its contract: obj_off ascending from 0 to
 * n_objs, every object's class in range, finite coordinates, x0 <= x1 and
 * y0 <= y1 (boxes), r >= 0 and g[3] == 0 (circles), distinct ids.
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ramp/dataset.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(const ramp_det_index *ix, int n_classes)
{
    size_t n = ramp_det_index_n(ix), m = ramp_det_index_n_objs(ix);
    const size_t *off = ramp_det_index_obj_off(ix);
    const ramp_obj *o = ramp_det_index_objs(ix);
    int geom = ramp_det_index_geometry(ix);
    if (!off || off[0] != 0 || off[n] != m || (geom != 0 && geom != 1)) abort();
    for (size_t i = 0; i < n; i++) {
        if (off[i] > off[i + 1] || !ramp_det_index_id(ix, i)[0]) abort();
        for (size_t k = 0; k < i && k < 64; k++) /* a few pairs: ids are distinct */
            if (strcmp(ramp_det_index_id(ix, i), ramp_det_index_id(ix, k)) == 0) abort();
    }
    for (size_t j = 0; j < m; j++) {
        if (o[j].cls < 0 || (n_classes > 0 && o[j].cls >= n_classes)) abort();
        for (int k = 0; k < 4; k++)
            if (!isfinite(o[j].g[k])) abort();
        if (geom == 0 && (o[j].g[0] > o[j].g[2] || o[j].g[1] > o[j].g[3])) abort();
        if (geom == 1 && (o[j].g[2] < 0 || o[j].g[3] != 0)) abort();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    int n_classes = size ? data[0] % 8 : 3;
    int geometry = size ? (data[0] >> 3) % 3 - 1 : -1;
    const char *text = size ? (const char *)data + 1 : "";
    size_t len = size ? size - 1 : 0;
    ramp_err err;
    ramp_det_index *ix = NULL;
    if (ramp_det_index_parse(&ix, text, len, "fuzz.csv", n_classes, geometry, 0, &err) == RAMP_OK) {
        check(ix, n_classes);
        ramp_det_index_free(ix);
    } else if (ix || !err.msg[0]) {
        abort();
    }
    if (ramp_det_index_parse(&ix, text, len, "fuzz.csv", n_classes, geometry,
                             RAMP_INDEX_SKIP_BAD_ROWS, &err) == RAMP_OK) {
        check(ix, n_classes);
        for (size_t k = 0; k < ramp_det_index_n_skipped(ix); k++) {
            const char *msg = ramp_det_index_skipped(ix, k, NULL);
            if (!msg || !msg[0]) abort();
        }
        ramp_det_index_free(ix);
    }
    return 0;
}
