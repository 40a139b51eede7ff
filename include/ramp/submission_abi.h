/* ramp/submission_abi.h — the ABI mark every submission object carries.
 *
 * Included by <ramp/classifier.h> and <ramp/preprocess.h>; a submission
 * need not include it itself. It defines ramp_submission_abi, the
 * RAMP_ABI_VERSION the object was compiled against, which the workflow reads
 * at load to refuse a submission built against other headers. The symbol is
 * weak, so the several files of one submission may all include it.
 */
#ifndef RAMP_SUBMISSION_ABI_H
#define RAMP_SUBMISSION_ABI_H

#ifdef RAMP_BUILDING_LIBRARY
#error "ramp/submission_abi.h is for submissions; the library includes ramp/submission.h"
#endif

#include "ramp/submission.h" /* RAMP_ABI_VERSION */

#ifdef __cplusplus
extern "C" {
#endif

#if defined(__GNUC__)
#ifdef __cplusplus
#define RAMP__ABI_LINKAGE extern /* a namespace-scope const is internal in C++ otherwise */
#else
#define RAMP__ABI_LINKAGE
#endif
__attribute__((weak, visibility("default"))) RAMP__ABI_LINKAGE const int ramp_submission_abi =
    RAMP_ABI_VERSION;
#endif

#ifdef __cplusplus
}
#endif
#endif
