/* ramp/npy.h — read and write numpy .npy files (format 1.0 and 2.0).
 *
 * Enough of the format for predictions and labels: little-endian '<f8',
 * '<f4', '<i8', '<i4', C order, 1-D or 2-D. Anything else is refused with a
 * message naming the file and the reason (bad magic, unsupported dtype,
 * fortran order, truncated data, ...).
 *
 *     double *p; size_t n, c; ramp_err err;
 *     if (ramp_npy_read_matrix(&p, &n, &c, "pred/valid_0.npy", &err))
 *         fprintf(stderr, "%s\n", err.msg);  // "pred/valid_0.npy: unsupported dtype '>f8'"
 *     ...
 *     free(p);
 *
 * Files are written in version 1.0 (2.0 when the header would exceed 64 KiB)
 * with the header padded to a multiple of 64 bytes, as numpy does; np.load
 * reads them back. All functions are thread-safe (no shared state).
 */
#ifndef RAMP_NPY_H
#define RAMP_NPY_H

#include <stddef.h>
#include <stdint.h>

#include "ramp/status.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum ramp_npy_dtype {
    RAMP_NPY_F8 = 0, /* '<f8' double */
    RAMP_NPY_F4 = 1, /* '<f4' float */
    RAMP_NPY_I8 = 2, /* '<i8' int64 */
    RAMP_NPY_I4 = 3, /* '<i4' int32 */
} ramp_npy_dtype;

/* An array as stored: shape[1] is 1 for a 1-D array. */
typedef struct ramp_npy {
    ramp_npy_dtype dtype;
    int ndim;        /* 1 or 2 */
    size_t shape[2]; /* rows, cols */
    void *data;      /* shape[0] × shape[1] elements, malloc'd, C order */
} ramp_npy;

/* Size in bytes of one element of `dt` (0 for a bad value). */
size_t ramp_npy_dtype_size(ramp_npy_dtype dt);

/* Reads `path` into *out; the caller frees out->data with free() (or calls
   ramp_npy_clear). Files over max_bytes fail with RAMP_ETOOBIG (0: no cap).
   On failure *out is zeroed. */
ramp_status ramp_npy_read(ramp_npy *out, const char *path, size_t max_bytes, ramp_err *err);

/* The most dimensions ramp_npy_read_nd takes. */
#define RAMP_NPY_MAX_DIMS 8

/* ramp_npy_read for arrays of 1 to RAMP_NPY_MAX_DIMS dimensions (images:
   N×C×H×W): the file's shape into dims[0..*ndim), and *out as its 2-D view,
   shape[0] = dims[0] rows of shape[1] = the product of the other dims (a
   1-D array as ramp_npy_read gives it). On failure *ndim is 0. */
ramp_status ramp_npy_read_nd(ramp_npy *out, int *ndim, size_t dims[RAMP_NPY_MAX_DIMS],
                             const char *path, size_t max_bytes, ramp_err *err);

/* Parses an in-memory .npy image (buf borrowed; `name` is used in messages);
   out->data is a fresh malloc'd copy. */
ramp_status ramp_npy_parse(ramp_npy *out, const uint8_t *buf, size_t len, const char *name,
                           ramp_err *err);

/* Frees a->data and zeroes *a; NULL is a no-op. */
void ramp_npy_clear(ramp_npy *a);

/* Writes an array (data borrowed: rows × cols elements, C order; ndim 1
   uses rows only). The file is written to PATH.tmp then renamed, so a
   reader never sees half a file. */
ramp_status ramp_npy_write(const char *path, ramp_npy_dtype dtype, int ndim, size_t rows,
                           size_t cols, const void *data, ramp_err *err);

/* Convenience: a 2-D '<f8' or '<f4' file as a malloc'd double (or float)
   matrix; the caller frees *data. Reading '<f8' into float rounds. */
ramp_status ramp_npy_read_matrix(double **data, size_t *rows, size_t *cols, const char *path,
                                 ramp_err *err);
ramp_status ramp_npy_read_matrix_f(float **data, size_t *rows, size_t *cols, const char *path,
                                   ramp_err *err);

/* Convenience: a 1-D '<i8' or '<i4' file as malloc'd int32 labels (values
   outside int32 fail with RAMP_ERANGE); the caller frees *y. */
ramp_status ramp_npy_read_labels(int32_t **y, size_t *n, const char *path, ramp_err *err);

/* Convenience writers: '<f8' / '<f4' 2-D, '<i4' 1-D. */
ramp_status ramp_npy_write_matrix(const char *path, const double *data, size_t rows, size_t cols,
                                  ramp_err *err);
ramp_status ramp_npy_write_matrix_f(const char *path, const float *data, size_t rows, size_t cols,
                                    ramp_err *err);
ramp_status ramp_npy_write_labels(const char *path, const int32_t *y, size_t n, ramp_err *err);

#ifdef __cplusplus
}
#endif
#endif
