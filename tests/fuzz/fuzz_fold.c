/* fuzz_fold.c — libFuzzer target: the fold's two wires. The first byte
 * picks one:
 *   even: arbitrary bytes as the fold child's output on the protocol pipe,
 *         read by the trusted parent (ramp__fold_protocol_feed), in pieces
 *         cut where the input says: whatever a hostile child sends, the
 *         parent's state stays sane (a known step, a bounded message, no
 *         control character in it);
 *   odd:  arbitrary bytes as a fold specification (ramp__fold_wire_decode):
 *         an error, or a wire whose counts and strings are all in bounds.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "submission/runInt.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0) return 0;
    if (data[0] % 2 == 0) {
        ramp__fold_result r;
        size_t cut = size > 1 ? 1 + data[1] % (size - 1 ? size - 1 : 1) : 1;
        ramp__fold_protocol_test(data + 1, size - 1, cut, &r);
        if (r.step != RAMP__STEP_TRAIN && r.step != RAMP__STEP_VALID && r.step != RAMP__STEP_TEST)
            abort();
        if (strlen(r.message) >= sizeof r.message) abort();
        for (const char *p = r.message; *p; p++)
            if ((unsigned char)*p < 0x20 || *p == 0x7f) abort();
        if (r.reported == RAMP_ETIMEOUT || r.reported == RAMP_ECRASH) abort();
        for (size_t i = 1; i < r.n_history; i++)
            if (r.history[i].epoch <= r.history[i - 1].epoch) abort(); /* epochs go forward */
        ramp__fold_result_clear(&r);
        return 0;
    }
    ramp__fold_wire w;
    ramp_err err;
    if (ramp__fold_wire_decode(data + 1, size - 1, &w, &err) != RAMP_OK) {
        if (!err.msg[0]) abort();
        return 0;
    }
    if (w.n_classes < 2) abort();
    for (size_t i = 0; i < w.n_train; i++)
        if (!w.train_ids[i] || w.train_labels[i] < 0 || w.train_labels[i] >= w.n_classes) abort();
    for (size_t i = 0; i < w.n_valid; i++)
        if (!w.valid_ids[i]) abort();
    for (size_t i = 0; i < w.n_test; i++)
        if (!w.test_ids[i]) abort();
    ramp__fold_wire_clear(&w);
    return 0;
}
