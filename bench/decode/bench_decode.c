/* bench_decode.c — images/s for ramp's decoders on one thread, from bytes
 * already in memory (the same work bench_pil.py gives Pillow):
 *   jpeg64_full:        64×64 JPEG → pixels
 *   jpeg64_to32_float:  64×64 JPEG → (scaled decode) resize 32×32 → float CHW
 *   png28_float:        28×28 PNG → pixels → float CHW
 * Prints one line per case: `<case> <images/s>`.
 * usage: bench_decode DIR [seconds]   (DIR holds jpeg/ and png/)
 */
#define _POSIX_C_SOURCE 200809L
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/coreInt.h"
#include "ramp/image.h"

typedef struct {
    uint8_t **data;
    size_t *len;
    size_t n;
} blobs;

static int load_dir(const char *dir, blobs *b)
{
    DIR *d = opendir(dir);
    if (!d) return -1;
    struct dirent *e;
    size_t cap = 0;
    memset(b, 0, sizeof *b);
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.') continue;
        if (b->n == cap) {
            cap = cap ? 2 * cap : 1024;
            uint8_t **nd = realloc(b->data, cap * sizeof *nd);
            size_t *nl = nd ? realloc(b->len, cap * sizeof *nl) : NULL;
            if (!nd || !nl) {
                closedir(d);
                return -1;
            }
            b->data = nd;
            b->len = nl;
        }
        char *path = ramp__path_join(dir, e->d_name);
        ramp_err err;
        if (!path ||
            ramp__read_file(path, 1 << 24, &b->data[b->n], &b->len[b->n], &err) != RAMP_OK) {
            free(path);
            closedir(d);
            return -1;
        }
        free(path);
        b->n++;
    }
    closedir(d);
    return b->n ? 0 : -1;
}

enum { JPEG_FULL, JPEG_SMALL, PNG_SMALL };

static int one(ramp_pp *pp, int kind, const uint8_t *data, size_t len, float *buf)
{
    ramp_pp_reset(pp);
    const ramp_image *x = ramp_img_from_memory(pp, data, len, "bench");
    ramp_tensor t = {buf, 32 * 32 * 3, 0, {0}};
    switch (kind) {
    case JPEG_FULL:
        return ramp_img_pixels(pp, x, NULL) ? 0 : -1;
    case JPEG_SMALL:
        return ramp_img_to_tensor(pp, ramp_img_resize(pp, x, 32, 32), &t, RAMP_CHW, NULL, NULL);
    default:
        return ramp_img_to_tensor(pp, x, &t, RAMP_CHW, NULL, NULL);
    }
}

static double rate(ramp_pp *pp, int kind, const blobs *b, double seconds, float *buf)
{
    for (size_t i = 0; i < b->n && i < 50; i++)
        one(pp, kind, b->data[i], b->len[i], buf);
    size_t n = 0;
    double t0 = ramp__now(), dt;
    for (;;) {
        for (size_t i = 0; i < b->n; i++) {
            if (one(pp, kind, b->data[i], b->len[i], buf) != 0) {
                fprintf(stderr, "decode failed: %s\n", ramp_pp_errmsg(pp));
                return -1;
            }
        }
        n += b->n;
        dt = ramp__now() - t0;
        if (dt >= seconds) return (double)n / dt;
    }
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: %s DIR [seconds]\n", argv[0]);
        return 2;
    }
    double secs = argc > 2 ? atof(argv[2]) : 2.0;
    char *jdir = ramp__path_join(argv[1], "jpeg"), *pdir = ramp__path_join(argv[1], "png");
    blobs jp, pn;
    if (!jdir || !pdir || load_dir(jdir, &jp) != 0 || load_dir(pdir, &pn) != 0) {
        fprintf(stderr, "cannot read images under %s\n", argv[1]);
        return 1;
    }
    ramp_pp *pp;
    if (ramp_pp_new(&pp, NULL) != RAMP_OK) return 1;
    static float buf[32 * 32 * 3];
    printf("ramp_jpeg64_full %.0f\n", rate(pp, JPEG_FULL, &jp, secs, buf));
    printf("ramp_jpeg64_to32_float %.0f\n", rate(pp, JPEG_SMALL, &jp, secs, buf));
    printf("ramp_png28_float %.0f\n", rate(pp, PNG_SMALL, &pn, secs, buf));
    ramp_pp_free(pp);
    for (size_t i = 0; i < jp.n; i++)
        free(jp.data[i]);
    for (size_t i = 0; i < pn.n; i++)
        free(pn.data[i]);
    free(jp.data);
    free(jp.len);
    free(pn.data);
    free(pn.len);
    free(jdir);
    free(pdir);
    return 0;
}
