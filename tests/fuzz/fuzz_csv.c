/* fuzz_csv.c — libFuzzer target: arbitrary bytes through the id,class index
 * reader, both failing on the first problem and reporting every problem.
 * Any crash, sanitizer report, hang or leak is a bug; an error status is the
 * expected outcome for most inputs. The first byte picks n_classes, so the
 * range check is exercised too. Invariants of an accepted index are checked,
 * the ids' path rules among them (checked here by another route than csv.c's).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ramp/dataset.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* An accepted id stays inside the images folder: relative, every
   component non-empty and neither "." nor "..", no backslash, the bounds. */
static int safe_path(const char *id)
{
    size_t n = strlen(id);
    if (n == 0 || n > 1024 || id[0] == '/' || strchr(id, '\\')) return 0;
    const char *c = id;
    for (;;) {
        const char *slash = strchr(c, '/');
        size_t len = slash ? (size_t)(slash - c) : strlen(c);
        if (len == 0 || len > 255 || (len == 1 && c[0] == '.') ||
            (len == 2 && c[0] == '.' && c[1] == '.'))
            return 0;
        if (!slash) return 1;
        c = slash + 1;
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    int n_classes = size ? data[0] % 16 : 10;
    const char *text = size ? (const char *)data + 1 : "";
    size_t len = size ? size - 1 : 0;
    ramp_err err;
    ramp_index *ix = NULL;
    if (ramp_index_parse(&ix, text, len, "fuzz.csv", n_classes, 0, &err) == RAMP_OK) {
        for (size_t i = 0; i < ramp_index_n(ix); i++) {
            const char *id = ramp_index_id(ix, i);
            int y = ramp_index_label(ix, i);
            if (!safe_path(id) || y < 0 || (n_classes > 0 && y >= n_classes)) abort();
        }
        ramp_index_free(ix);
    } else if (ix || !err.msg[0]) {
        abort();
    }
    if (ramp_index_parse(&ix, text, len, "fuzz.csv", n_classes, RAMP_INDEX_SKIP_BAD_ROWS, &err) ==
        RAMP_OK) {
        for (size_t k = 0; k < ramp_index_n_skipped(ix); k++) {
            const char *msg = ramp_index_skipped(ix, k, NULL);
            if (!msg || !msg[0]) abort(); /* every skipped row says something */
        }
        ramp_index_free(ix);
    }
    return 0;
}
