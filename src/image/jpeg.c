/* jpeg.c — JPEG header parsing and decoding through TurboJPEG.
 *
 * Decoding uses TurboJPEG's defaults (accurate integer IDCT, fancy
 * upsampling), so the output is bit-exact with `djpeg` at the same scale.
 * Hostile input: the pixel limit is checked from the frame header before
 * the caller allocates; TJFLAG_STOPONWARNING turns libjpeg's warnings (premature
 * end of data, corrupt entropy data) into errors instead of silently grey
 * pixels, and TJFLAG_LIMITSCANS refuses progressive scan bombs.
 * Grayscale stays one channel, colour becomes RGB.
 *
 * CMYK and YCCK (four components) become RGB as skimage.io.imread gives them
 * (imageio's Pillow plugin converts Pillow's "CMYK" to "RGB"): libjpeg turns
 * YCCK into CMYK, TurboJPEG hands the CMYK samples over, and then
 *   - every sample is inverted (v → 255 − v): Pillow reads all four-component
 *     JPEGs as Adobe's inverted CMYK, with or without an APP14 marker;
 *   - with n = 255 − K, each of R, G, B = n − n·C/255, the product rounded
 *     as Pillow's fixed-point multiply does: t = a·b + 128,
 *     (t + (t >> 8)) >> 8.
 * In terms of the samples s TurboJPEG gives, n = s_K and C = 255 − s_C.
 *
 * A window (ramp__jpeg_decode_window(): the rows and columns a resize's
 * window reads) goes through libjpeg's own API, the same library and
 * settings as TurboJPEG's: jpeg_skip_scanlines() entropy-decodes the rows
 * above without their IDCT, upsampling and colour conversion, and
 * jpeg_crop_scanline() limits those to the columns needed. Fancy
 * upsampling treats the first and last decoded column, and the first row
 * after a skip, as image edges: the crop stays the largest horizontal
 * sampling factor in pixels (one chroma sample) and the skip one iMCU row
 * away from the window, so no such edge falls inside it and every sample
 * equals the full decode's. The rows
 * below are entropy-decoded too (skipped, then the last row read), so a
 * corrupt or truncated file fails as the full decode does; warnings stop
 * the decode and progressive files stop after 500 scans, as
 * TJFLAG_STOPONWARNING and TJFLAG_LIMITSCANS do.
 */
#include <setjmp.h>
#include <stdio.h> /* jpeglib.h needs FILE */
#include <stdlib.h>
#include <string.h>
#include <turbojpeg.h>
#include <jpeglib.h>

#include "image/imageInt.h"

#define JPEG_DECODE_FLAGS (TJFLAG_STOPONWARNING | TJFLAG_LIMITSCANS)

static tjhandle dec_handle(ramp_pp *pp, const char *name)
{
    if (!pp->tj_dec) pp->tj_dec = tjInitDecompress();
    if (!pp->tj_dec) ramp_pp_fail(pp, RAMP_ENOMEM, "%s: cannot create a JPEG decompressor", name);
    return (tjhandle)pp->tj_dec;
}

static unsigned be16(const uint8_t *p)
{
    return (unsigned)p[0] << 8 | p[1];
}

/* A Huffman-coded frame spends at least one bit per 8×8 block of every
   component (a DC code, in baseline and in a progressive DC scan), so a file
   with fewer bits than blocks cannot decode: it is refused before the caller
   allocates width × height (a tiny file must not reserve hundreds of MB).
   `sof` points at the frame header's payload (P, Y, X, Nf, components). */
static int huffman_size_ok(const uint8_t *sof, size_t len, size_t file_bytes)
{
    unsigned h = be16(sof + 1), w = be16(sof + 3), nc = sof[5];
    if (len < 6 + 3 * (size_t)nc) return 0;
    unsigned hmax = 1, vmax = 1;
    for (unsigned i = 0; i < nc; i++) {
        unsigned hs = sof[6 + 3 * i + 1] >> 4, vs = sof[6 + 3 * i + 1] & 15;
        if (hs == 0 || vs == 0) return 1; /* invalid: libjpeg reports it at decode */
        if (hs > hmax) hmax = hs;
        if (vs > vmax) vmax = vs;
    }
    uint64_t blocks = 0;
    for (unsigned i = 0; i < nc; i++) {
        unsigned hs = sof[6 + 3 * i + 1] >> 4, vs = sof[6 + 3 * i + 1] & 15;
        uint64_t cw = ((uint64_t)w * hs + hmax - 1) / hmax,
                 ch = ((uint64_t)h * vs + vmax - 1) / vmax;
        blocks += ((cw + 7) / 8) * ((ch + 7) / 8);
    }
    return (uint64_t)file_bytes * 8 >= blocks;
}

/* The header is read by a marker walk up to the frame header (SOFn) rather
   than by tjDecompressHeader3(): it is a few bytes of work against a
   microsecond of table parsing, which matters for 64×64 images. Anything the
   walk does not check (tables, scan headers) fails at decode time with
   libjpeg's own message. */
ramp_status ramp__jpeg_header(ramp_pp *pp, ramp_image *im)
{
    const uint8_t *b = im->enc;
    size_t n = im->enc_len, off = 2; /* after SOI */
    while (off + 4 <= n) {
        if (b[off] != 0xff) break; /* not at a marker: corrupt */
        unsigned m = b[off + 1];
        if (m == 0xff) { /* fill byte */
            off++;
            continue;
        }
        if (m == 0x01 || (m >= 0xd0 && m <= 0xd8)) { /* markers without a length */
            off += 2;
            continue;
        }
        if (m == 0xd9 || m == 0xda) break; /* EOI or SOS before any frame header */
        size_t len = be16(b + off + 2);
        if (len < 2 || len > n - off - 2) break;
        int sof = m >= 0xc0 && m <= 0xcf && m != 0xc4 && m != 0xc8 && m != 0xcc;
        if (sof) {
            if (len < 8) break;
            unsigned h = be16(b + off + 5), w = be16(b + off + 7), nc = b[off + 9];
            if (h == 0) {
                ramp_pp_fail(pp, RAMP_EUNSUPPORTED, "%s: JPEG with its height in a DNL marker",
                             im->name);
                return RAMP_EUNSUPPORTED;
            }
            ramp_status st = ramp__img_check_size(pp, im->name, w, h);
            if (st != RAMP_OK) return st;
            if (nc != 1 && nc != 3 && nc != 4) {
                ramp_pp_fail(pp, RAMP_EFORMAT, "%s: corrupt JPEG header: %u components", im->name,
                             nc);
                return RAMP_EFORMAT;
            }
            if ((m == 0xc0 || m == 0xc1 || m == 0xc2) &&
                !huffman_size_ok(b + off + 4, len - 2, n)) {
                ramp_pp_fail(pp, RAMP_EFORMAT,
                             "%s: truncated JPEG: %zu bytes cannot hold a %u×%u image", im->name, n,
                             w, h);
                return RAMP_EFORMAT;
            }
            im->width = (int)w;
            im->height = (int)h;
            im->channels = nc == 1 ? 1 : 3;
            im->jpeg_cmyk = nc == 4;
            im->bits = 8;
            return RAMP_OK;
        }
        off += 2 + len;
    }
    ramp_pp_fail(pp, RAMP_EFORMAT, "%s: corrupt JPEG header: no frame header (SOF) found",
                 im->name);
    return RAMP_EFORMAT;
}

void ramp__jpeg_scaled_size(int w, int h, int min_w, int min_h, int *out_w, int *out_h)
{
    /* TurboJPEG's scaled size is ceil(dim / denom); try the smallest first */
    static const int denoms[] = {8, 4, 2};
    for (size_t i = 0; i < sizeof denoms / sizeof denoms[0]; i++) {
        int d = denoms[i];
        int sw = (w + d - 1) / d, sh = (h + d - 1) / d;
        if (sw >= min_w && sh >= min_h) {
            *out_w = sw;
            *out_h = sh;
            return;
        }
    }
    *out_w = w;
    *out_h = h;
}

double ramp__jpeg_scale_factor(int w, int h, int out_w, int out_h)
{
    /* tjDecompress2's own choice: the first (largest) factor, in
       TurboJPEG's list, whose scaled size fits the requested one */
    int n = 0;
    tjscalingfactor *sf = tjGetScalingFactors(&n);
    for (int i = 0; sf && i < n; i++)
        if (TJSCALED(w, sf[i]) <= out_w && TJSCALED(h, sf[i]) <= out_h)
            return (double)sf[i].num / sf[i].denom;
    return 1.0;
}

/* a·b/255 rounded as Pillow's MULDIV255 */
static inline unsigned mul255(unsigned a, unsigned b)
{
    unsigned t = a * b + 128;
    return (t + (t >> 8)) >> 8;
}

/* w × h CMYK samples as TurboJPEG gives them (4 bytes a pixel, packed rows)
   → RGB rows `stride` apart (see the file comment). */
static void cmyk_to_rgb(uint8_t *dst, size_t stride, const uint8_t *cmyk, int w, int h)
{
    for (int y = 0; y < h; y++) {
        const uint8_t *s = cmyk + (size_t)y * (size_t)w * 4;
        uint8_t *d = dst + (size_t)y * stride;
        for (int x = 0; x < w; x++, s += 4, d += 3) {
            unsigned n = s[3];
            d[0] = (uint8_t)(n - mul255(255u - s[0], n));
            d[1] = (uint8_t)(n - mul255(255u - s[1], n));
            d[2] = (uint8_t)(n - mul255(255u - s[2], n));
        }
    }
}

ramp_status ramp__jpeg_decode(ramp_pp *pp, const ramp_image *im, uint8_t *dst, int w, int h,
                              size_t stride)
{
    tjhandle tj = dec_handle(pp, im->name);
    if (!tj) return RAMP_ENOMEM;
    int pf = im->channels == 1 ? TJPF_GRAY : TJPF_RGB;
    uint8_t *out = dst;
    size_t out_stride = stride;
    if (im->jpeg_cmyk) {
        /* libjpeg cannot convert CMYK to RGB: take CMYK, convert below */
        pf = TJPF_CMYK;
        out_stride = (size_t)w * 4;
        out = ramp_arena_alloc(pp->arena, out_stride * (size_t)h);
        if (!out) {
            ramp_pp_fail(pp, RAMP_ENOMEM, "%s: out of memory for a %d×%d CMYK image", im->name, w,
                         h);
            return RAMP_ENOMEM;
        }
    }
    if (tjDecompress2(tj, im->enc, (unsigned long)im->enc_len, out, w, (int)out_stride, h, pf,
                      JPEG_DECODE_FLAGS) != 0) {
        int warn = tjGetErrorCode(tj) == TJERR_WARNING;
        ramp_pp_fail(pp, RAMP_EFORMAT, "%s: %s JPEG data: %s", im->name,
                     warn ? "truncated or corrupt" : "corrupt", tjGetErrorStr2(tj));
        return RAMP_EFORMAT;
    }
    if (im->jpeg_cmyk) cmyk_to_rgb(dst, stride, out, w, h);
    return RAMP_OK;
}

/* The libjpeg decompressor of the window path, kept in the context
   (ramp_pp.jpeg_win) across images. */
typedef struct {
    struct jpeg_decompress_struct d;
    struct jpeg_error_mgr err;
    struct jpeg_progress_mgr progress;
    jmp_buf jb;
    int warning; /* the failure was a warning (corrupt or truncated data) */
    char msg[JMSG_LENGTH_MAX];
} jwin;

static void jw_error_exit(j_common_ptr c)
{
    jwin *jw = c->client_data;
    (*c->err->format_message)(c, jw->msg);
    longjmp(jw->jb, 1);
}

/* a warning (level < 0) stops the decode; trace messages are dropped (the
   library never prints) */
static void jw_emit(j_common_ptr c, int level)
{
    if (level >= 0) return;
    jwin *jw = c->client_data;
    jw->warning = 1;
    (*c->err->format_message)(c, jw->msg);
    longjmp(jw->jb, 1);
}

static void jw_output(j_common_ptr c)
{
    (void)c;
}

static void jw_progress(j_common_ptr c)
{
    jwin *jw = c->client_data;
    if (c->is_decompressor && ((j_decompress_ptr)c)->input_scan_number > 500) {
        snprintf(jw->msg, sizeof jw->msg, "Progressive JPEG image has more than 500 scans");
        longjmp(jw->jb, 1);
    }
}

static jwin *win_handle(ramp_pp *pp, const char *name)
{
    if (pp->jpeg_win) return pp->jpeg_win;
    jwin *jw = calloc(1, sizeof *jw);
    if (!jw) {
        ramp_pp_fail(pp, RAMP_ENOMEM, "%s: cannot create a JPEG decompressor", name);
        return NULL;
    }
    jw->d.err = jpeg_std_error(&jw->err);
    jw->err.error_exit = jw_error_exit;
    jw->err.emit_message = jw_emit;
    jw->err.output_message = jw_output;
    jw->d.client_data = jw;
    jw->progress.progress_monitor = jw_progress;
    if (setjmp(jw->jb)) { /* jpeg_create_decompress out of memory */
        free(jw);
        ramp_pp_fail(pp, RAMP_ENOMEM, "%s: cannot create a JPEG decompressor", name);
        return NULL;
    }
    jpeg_create_decompress(&jw->d);
    jw->d.progress = &jw->progress;
    pp->jpeg_win = jw;
    return jw;
}

void ramp__jpeg_win_free(void *jw)
{
    if (!jw) return;
    jpeg_destroy_decompress(&((jwin *)jw)->d);
    free(jw);
}

int ramp__jpeg_window_ok(const ramp_image *im)
{
    return im->format == RAMP_FMT_JPEG && im->enc && !im->pixels && !im->jpeg_cmyk && im->bits == 8;
}

ramp_status ramp__jpeg_decode_window(ramp_pp *pp, const ramp_image *im, int x0, int y0, int w,
                                     int h, const uint8_t **px, size_t *stride)
{
    jwin *jw = win_handle(pp, im->name);
    if (!jw) return RAMP_ENOMEM;
    j_decompress_ptr d = &jw->d;
    int c = im->channels;
    jw->warning = 0;
    if (setjmp(jw->jb)) {
        jpeg_abort_decompress(d);
        ramp_pp_fail(pp, RAMP_EFORMAT, "%s: %s JPEG data: %s", im->name,
                     jw->warning ? "truncated or corrupt" : "corrupt", jw->msg);
        return RAMP_EFORMAT;
    }
    jpeg_mem_src(d, im->enc, (unsigned long)im->enc_len);
    jpeg_read_header(d, TRUE);
    d->out_color_space = c == 1 ? JCS_GRAYSCALE : JCS_RGB;
    jpeg_start_decompress(d);
    if ((int)d->output_width != im->width || (int)d->output_height != im->height ||
        d->output_components != c) {
        jpeg_abort_decompress(d);
        ramp_pp_fail(pp, RAMP_EFORMAT, "%s: JPEG frame %u×%u×%d, header said %d×%d×%d", im->name,
                     d->output_width, d->output_height, d->output_components, im->width, im->height,
                     c);
        return RAMP_EFORMAT;
    }
    /* fancy upsampling reads one chroma sample either side: a margin of
       max_h_samp_factor pixels keeps the crop's edge columns, where it
       replicates instead, out of the window (the crop then starts at an
       iMCU boundary at or left of x0 − mx); rows keep a whole iMCU row */
    int mx = d->max_h_samp_factor, my = d->max_v_samp_factor * DCTSIZE;
    int cx0 = x0 > mx ? x0 - mx : 0, cx1 = x0 + w + mx < im->width ? x0 + w + mx : im->width;
    JDIMENSION xoff = (JDIMENSION)cx0, cw = (JDIMENSION)(cx1 - cx0);
    if (cx0 > 0 || cx1 < im->width) jpeg_crop_scanline(d, &xoff, &cw);
    /* rows cw pixels wide (libjpeg's cropped width): the h window rows,
       then one for the margin rows and the last row */
    size_t rs = (size_t)cw * (size_t)c;
    uint8_t *buf = ramp_arena_alloc(pp->arena, rs * ((size_t)h + 1));
    JSAMPROW *rows = ramp_arena_alloc(pp->arena, sizeof *rows * (size_t)h);
    if (!buf || !rows) {
        jpeg_abort_decompress(d);
        ramp_pp_fail(pp, RAMP_ENOMEM, "%s: out of memory for a %d×%d JPEG window", im->name, w, h);
        return RAMP_ENOMEM;
    }
    JSAMPROW spare = buf + rs * (size_t)h;
    for (int y = 0; y < h; y++)
        rows[y] = buf + rs * (size_t)y;
    if (y0 > my) jpeg_skip_scanlines(d, (JDIMENSION)(y0 - my));
    while ((int)d->output_scanline < y0) /* the margin: read, not kept */
        jpeg_read_scanlines(d, &spare, 1);
    while ((int)d->output_scanline < y0 + h) {
        int y = (int)d->output_scanline - y0;
        if (jpeg_read_scanlines(d, rows + y, (JDIMENSION)(h - y)) == 0) {
            jpeg_abort_decompress(d);
            ramp_pp_fail(pp, RAMP_EFORMAT, "%s: truncated or corrupt JPEG data: row %d missing",
                         im->name, y0 + y);
            return RAMP_EFORMAT;
        }
    }
    /* the rows below: entropy-decoded (a skip that reaches the last row
       would not decode them), so bad data there fails here too */
    int left = im->height - (int)d->output_scanline;
    if (left > 1) jpeg_skip_scanlines(d, (JDIMENSION)(left - 1));
    if (left > 0) jpeg_read_scanlines(d, &spare, 1);
    jpeg_finish_decompress(d);
    *px = buf + (size_t)(x0 - (int)xoff) * (size_t)c;
    *stride = rs;
    return RAMP_OK;
}
