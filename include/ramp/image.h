/* ramp/image.h — decoding and the image operations a preprocessor calls.
 *
 * A worked example: the seed's preprocessor (drop alpha, resize to 32×32,
 * CHW, RGB→BGR, subtract the mean pixel) reads
 *
 *     ramp_status transform(ramp_pp *pp, const ramp_image *x, ramp_tensor *out)
 *     {
 *         const ramp_image *y = ramp_img_rgb(pp, x);
 *         y = ramp_img_resize(pp, y, 32, 32);
 *         return ramp_img_to_tensor(pp, y, out, RAMP_CHW | RAMP_BGR,
 *                                   (const float[]){103.939f, 116.779f, 123.68f}, NULL);
 *     }
 *
 * Design:
 * - Every operation takes the preprocessing context `pp` first. `pp` owns a
 *   per-call arena: every image an operation returns lives there until
 *   ramp_pp_reset(), so user code frees nothing. Images are immutable.
 * - Errors (status.h, rule 4): an operation returns NULL on failure and
 *   records the status and a message in `pp` (ramp_pp_status(),
 *   ramp_pp_errmsg()). The error is sticky: once one is recorded, every
 *   later operation on `pp` returns NULL at once (ramp_img_to_tensor()
 *   returns the recorded status), whatever image it is given, until
 *   ramp_pp_reset(). A chain of calls is thus checked once, at its end.
 * - Images from ramp_img_open()/ramp_img_from_memory() are lazy: only the
 *   header is parsed. Pixels are decoded on first use (and cached in the
 *   image: the one write to an image after creation). A resize (or a
 *   ramp_img_decode_scaled()) applied directly to an image opened from a
 *   JPEG asks the decoder for the smallest DCT scale (1, 1/2, 1/4, 1/8)
 *   whose output still covers the target, which removes most of the decode
 *   cost for large photos; it does so even if the full pixels were decoded
 *   before, so results never depend on call order.
 * - Pixels are 8-bit, interleaved, 1 (gray), 2 (gray+alpha), 3 (RGB) or
 *   4 (RGBA) channels, rows `stride` bytes apart (a crop is a view into its
 *   parent, so stride may exceed width × channels). Every operation accepts
 *   each of the four channel counts (the decoders never give 2: gray+alpha
 *   PNGs become RGBA, as imread makes them).
 * - Decoding gives what rampwf's skimage.io.imread gives (skimage 0.19 over
 *   imageio 2.4's Pillow plugin, Pillow 9.4, as installed from Debian), in
 *   channel count, bit depth and value; docs/rampwf.md has the table.
 *   JPEG: grayscale stays 1 channel, colour becomes RGB, CMYK and YCCK
 *   become RGB by Pillow's CMYK→RGB (Adobe's inverted CMYK assumed, APP14
 *   marker or not); bit-exact with djpeg and with imread (same
 *   libjpeg-turbo, same defaults). PNG: gray stays 1 channel (below 8 bits
 *   scaled to 0–255), RGB 3, gray+alpha and RGBA 4 (gray repeated into R,
 *   G, B, as imageio converts every mode with alpha to RGBA), palette 1
 *   when every palette entry between the smallest and largest index used is
 *   gray, else 4 (alpha from tRNS, 255 without); tRNS on gray/RGB images is
 *   ignored; 16-bit colour samples keep their high byte (v >> 8, Pillow's
 *   "RGB;16B"). Bit-exact with imread.
 * - 16-bit gray PNGs keep their 16-bit samples (imread gives uint16):
 *   ramp_img_bits() says 16 and ramp_img_samples16() gives them. Every 8-bit
 *   accessor and operation still works on such an image: it reads an 8-bit
 *   copy made once and cached, v >> 8 (the truncation of skimage's
 *   img_as_ubyte, libpng's strip_16 and Pillow's 16-bit colour unpackers;
 *   not Pillow's own I;16→L conversion, which clips every value above 255
 *   to 255 and so whitens a 16-bit image). Operations return 8-bit images,
 *   except ramp_img_crop() (a view of both) and those that return their
 *   input unchanged.
 * - Palette PNGs are decoded when opened (their channel count depends on
 *   the indices used), so their data errors are reported by ramp_img_open().
 * - Hostile input: a maximum pixel count (default 64 megapixels) is checked
 *   from the header before any pixel allocation (RAMP_ETOOBIG); truncated or
 *   corrupt data (bad CRC, premature end, libjpeg warnings) is RAMP_EFORMAT,
 *   and an unknown format RAMP_EFORMAT "unrecognised image format"; every
 *   message names the image and the reason. Files over 256 MiB are refused.
 * - Random operations draw from the context's seeded stream (ramp_pp_rng()),
 *   which the workflow seeds from (seed, epoch, sample index).
 *
 * Thread-safety: a ramp_pp and the images made from it belong to one thread
 * at a time; distinct contexts may be used concurrently.
 */
#ifndef RAMP_IMAGE_H
#define RAMP_IMAGE_H

#include <stddef.h>
#include <stdint.h>

#include "ramp/arena.h"
#include "ramp/gen.h"
#include "ramp/rng.h"
#include "ramp/status.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct ramp_pp ramp_pp;
typedef struct ramp_image ramp_image;

/* Encoded formats, sniffed from the first bytes (never from a file name). */
typedef enum ramp_img_format {
    RAMP_FMT_PIXELS = 0, /* made in memory, no encoded form */
    RAMP_FMT_JPEG = 1,
    RAMP_FMT_PNG = 2,
} ramp_img_format;

#define RAMP_DEFAULT_MAX_PIXELS ((uint64_t)64 * 1000 * 1000)

/* A float tensor written by ramp_img_to_tensor().
 * In: `data` is where to write (capacity in floats), or NULL to allocate
 * from the context's arena. Out: ndim = 3 and shape = {C, H, W} (RAMP_CHW)
 * or {H, W, C} (RAMP_HWC); `data` points at the values. */
typedef struct ramp_tensor {
    float *data;
    size_t capacity;
    int ndim;
    int shape[4];
} ramp_tensor;

/* ramp_img_to_tensor() flags */
enum {
    RAMP_CHW = 0,          /* channels first (the default) */
    RAMP_HWC = 1 << 0,     /* channels last */
    RAMP_BGR = 1 << 1,     /* reverse the colour channels (RGB→BGR); alpha stays last;
                              1- and 2-channel images are left as they are */
    RAMP_SCALE01 = 1 << 2, /* divide by 255 before mean/std */
};

/* ---- the context ------------------------------------------------------ */

/* New context with its own arena, a zero-seeded stream and default limits.
   On failure *out is NULL and err (may be NULL) says why. The caller frees
   it with ramp_pp_free(). */
ramp_status ramp_pp_new(ramp_pp **out, ramp_err *err);

/* Frees the context and every image made from it; NULL is a no-op. */
void ramp_pp_free(ramp_pp *pp);

/* Releases every image made since the last reset and clears the error. */
void ramp_pp_reset(ramp_pp *pp);

/* Seeds the context's stream from (seed, epoch, index): the workflow calls
   it before each sample so augmentation does not depend on thread count. */
void ramp_pp_seed(ramp_pp *pp, uint64_t seed, uint64_t epoch, uint64_t index);

/* The context's random stream and arena (borrowed; valid while pp lives). */
ramp_rng *ramp_pp_rng(ramp_pp *pp);
ramp_arena *ramp_pp_arena(ramp_pp *pp);

/* Largest accepted width×height (0 restores RAMP_DEFAULT_MAX_PIXELS). */
void ramp_pp_set_max_pixels(ramp_pp *pp, uint64_t max_pixels);

/* First error recorded since the last reset (RAMP_OK if none), and its
   message (borrowed; "" if none). */
ramp_status ramp_pp_status(const ramp_pp *pp);
const char *ramp_pp_errmsg(const ramp_pp *pp);

/* Records an error from user code (kept only if none is recorded yet);
   returns the recorded status. */
ramp_status ramp_pp_fail(ramp_pp *pp, ramp_status st, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;

/* ---- sources ------------------------------------------------------------ */

/* Reads `path` into the arena, sniffs the format and parses the header only
   (a palette PNG is decoded too). Errors name the path: RAMP_ENOENT,
   RAMP_EIO, RAMP_EFORMAT, RAMP_ETOOBIG, RAMP_EUNSUPPORTED. */
const ramp_image *ramp_img_open(ramp_pp *pp, const char *path);

/* Same from bytes already in memory. `bytes` is borrowed and must outlive
   the image; `name` (copied) is used in error messages. */
const ramp_image *ramp_img_from_memory(ramp_pp *pp, const void *bytes, size_t n, const char *name);

/* An image holding a copy of `pixels` (rows `stride` bytes apart). */
const ramp_image *ramp_img_from_pixels(ramp_pp *pp, const uint8_t *pixels, int width, int height,
                                       int channels, size_t stride);

/* ---- inspection (no decode needed) --------------------------------------- */

int ramp_img_width(const ramp_image *x);
int ramp_img_height(const ramp_image *x);
int ramp_img_channels(const ramp_image *x);
/* Bits per sample of the decoded samples: 16 for a 16-bit gray PNG (and a
   crop of one), 8 for every other image; 0 for NULL. Known from the header. */
int ramp_img_bits(const ramp_image *x);
ramp_img_format ramp_img_format_of(const ramp_image *x);
const char *ramp_img_name(const ramp_image *x); /* file or given name; "" if none */

/* Sniffs a format from the first bytes; RAMP_FMT_PIXELS if unknown. */
ramp_img_format ramp_img_sniff(const void *bytes, size_t n);

/* Decodes if needed and returns the 8-bit pixels (borrowed, arena-owned) and
   the row stride in bytes; NULL on error. For a 16-bit image these are the
   cached v >> 8 copy (see above). */
const uint8_t *ramp_img_pixels(ramp_pp *pp, const ramp_image *x, size_t *stride);

/* The 16-bit samples of a 16-bit image (ramp_img_bits() == 16), decoding if
   needed: host-endian, interleaved like the 8-bit pixels, rows
   *stride_bytes bytes apart (borrowed, arena-owned). NULL, with no error
   recorded, for an 8-bit image; NULL with the error recorded when decoding
   fails. `stride_bytes` may be NULL (it is set to 0 when NULL is returned). */
const uint16_t *ramp_img_samples16(ramp_pp *pp, const ramp_image *x, size_t *stride_bytes);

/* Full decode of a lazy image at its own bit depth; returns x itself
   (decoded ones are returned as they are). */
const ramp_image *ramp_img_decode(ramp_pp *pp, const ramp_image *x);

/* Decode at the smallest JPEG DCT scale whose output is at least
   min_w × min_h: a new image of ceil(w/d) × ceil(h/d), d in 8, 4, 2, equal
   to `djpeg -scale 1/d`; x itself, fully decoded, for PNG, for images not
   opened from a JPEG, or when no scale covers the request. */
const ramp_image *ramp_img_decode_scaled(ramp_pp *pp, const ramp_image *x, int min_w, int min_h);

/* ---- geometry -------------------------------------------------------- */

/* Rectangle [x0, x0+w) × [y0, y0+h); it must lie inside the image
   (RAMP_EINVAL otherwise). A view sharing x's pixels, no copy. */
const ramp_image *ramp_img_crop(ramp_pp *pp, const ramp_image *x, int x0, int y0, int w, int h);

/* The largest centred square. */
const ramp_image *ramp_img_center_square(ramp_pp *pp, const ramp_image *x);

/* Resize to w × h: an antialiased triangle (bilinear) filter whose support
   widens with the shrink factor, plain bilinear when enlarging (the same
   fixed-point arithmetic as Pillow's BILINEAR resample: bit-exact for gray
   and RGB). Alpha is resampled like any channel (Pillow premultiplies it).
   An image opened from a JPEG first takes the decoder's DCT scaling. The
   same size returns x. */
const ramp_image *ramp_img_resize(ramp_pp *pp, const ramp_image *x, int w, int h);

/* The w × h window at (x0, y0) of x resized to rw × rh: bit for bit
   ramp_img_crop(pp, ramp_img_resize(pp, x, rw, rh), x0, y0, w, h), computing
   only the window's samples (a 224×224 crop of a 341×256 resize costs 57 %
   of the resize); a JPEG not decoded yet that no DCT scale brings to
   rw × rh decodes only the rows and columns the window reads (same
   samples; x itself stays undecoded). The window must lie inside rw × rh
   (RAMP_EINVAL). */
const ramp_image *ramp_img_resize_crop(ramp_pp *pp, const ramp_image *x, int rw, int rh, int x0,
                                       int y0, int w, int h);

/* Rotation by `degrees` counter-clockwise about the centre, same size,
   bilinear, uncovered pixels set to `fill` (every channel): Pillow's
   Image.rotate(degrees, BILINEAR, fillcolor=fill), within 1 on a few
   samples. 0 and 180, and 90/270 on square images, take the exact path
   below; 90/270 on other images keep the size like Pillow does. */
const ramp_image *ramp_img_rotate(ramp_pp *pp, const ramp_image *x, double degrees, uint8_t fill);

/* Exact rotation by quarter turns counter-clockwise (1 = 90°, 2, 3; any
   integer, taken mod 4); 1 and 3 swap width and height. */
const ramp_image *ramp_img_rotate90(ramp_pp *pp, const ramp_image *x, int quarter_turns);

const ramp_image *ramp_img_flip_h(ramp_pp *pp, const ramp_image *x); /* left ↔ right */
const ramp_image *ramp_img_flip_v(ramp_pp *pp, const ramp_image *x); /* top ↔ bottom */

/* ---- colour ----------------------------------------------------------- */

const ramp_image *ramp_img_drop_alpha(ramp_pp *pp, const ramp_image *x); /* 2→1, 4→3 */
/* any → 3 channels: gray (and gray+alpha) repeats the gray, alpha dropped */
const ramp_image *ramp_img_rgb(ramp_pp *pp, const ramp_image *x);
/* any → 1: ITU-R 601-2 luma in Pillow's fixed point (bit-exact with convert("L")) */
const ramp_image *ramp_img_gray(ramp_pp *pp, const ramp_image *x);
const ramp_image *ramp_img_bgr(ramp_pp *pp, const ramp_image *x); /* swap R and B */

/* ---- random augmentation (draws from ramp_pp_rng(pp)) ------------------- */

/* A w × h crop at a uniformly drawn position. */
const ramp_image *ramp_img_random_crop(ramp_pp *pp, const ramp_image *x, int w, int h);

/* ramp_img_random_crop(pp, ramp_img_resize(pp, x, rw, rh), w, h) — the same
   draws, the same samples — through ramp_img_resize_crop(): torchvision's
   Resize + RandomCrop at the cost of the crop. */
const ramp_image *ramp_img_resize_random_crop(ramp_pp *pp, const ramp_image *x, int rw, int rh,
                                              int w, int h);

/* Flips left ↔ right with probability p (one draw whatever the outcome). */
const ramp_image *ramp_img_random_flip_h(ramp_pp *pp, const ramp_image *x, double p);

/* Flips top ↔ bottom with probability p. */
const ramp_image *ramp_img_random_flip_v(ramp_pp *pp, const ramp_image *x, double p);

/* Rotates by an angle drawn uniformly from [-max_degrees, max_degrees]. */
const ramp_image *ramp_img_random_rotate(ramp_pp *pp, const ramp_image *x, double max_degrees,
                                         uint8_t fill);

/* ---- to a tensor ------------------------------------------------------ */

/* Converts to float: v = (p [/255 with RAMP_SCALE01] − mean[c]) / std[c],
   mean/std per output channel (NULL: 0 and 1). Layout and channel order from
   `flags`. Returns the context's first error if any operation in the chain
   failed (x NULL), RAMP_ESHAPE if out->data is too small. When out->data
   is NULL the values go to the arena and out->capacity is set. On success
   it records x's map and size in pp for ramp_pp_geometry(). */
ramp_status ramp_img_to_tensor(ramp_pp *pp, const ramp_image *x, ramp_tensor *out, unsigned flags,
                               const float *mean, const float *std);

/* ---- geometry: where each pixel came from ------------------------------ */

/* Every image carries the affine map from its source image's pixel
   coordinates (the file as decoded at full size) to its own: a point
   (x, y) of the source is at (a[0] x + a[1] y + a[2], a[3] x + a[4] y + a[5])
   here. Coordinates are continuous, origin at the top-left corner of the
   top-left pixel (pixel (i, j) covers [i, i+1) × [j, j+1)). Resizes, crops,
   flips, rotations and scaled decodes compose it; colour operations keep
   it; operations that return their input return its map with it. An
   opened image's, and one made from pixels, is the identity.
   Each step, in those coordinates (w × h the step's input):
   - resize to w' × h': (x w'/w, y h'/h) (the filter centres output pixel
     i on input (i + 0.5) w/w'); resize_crop: that, then the crop;
   - JPEG scaled decode (a resize or ramp_img_decode_scaled() on an opened
     JPEG): (f x, f y), f the decoder's factor (1/2, 1/4, 1/8): its output
     pixel i covers source pixels [i/f, (i+1)/f). When the width is not a
     multiple of 1/f the last pixel covers the padded block, so a resize
     of a JPEG has a map slightly different (under one output pixel) from
     the same resize of its fully decoded pixels: each map is the one its
     pixels follow;
   - crop at (x0, y0): (x − x0, y − y0); flip_h: (w − x, y); flip_v:
     (x, h − y); rotate90 by 1, 2, 3 turns: (y, w − x), (w − x, h − y),
     (h − y, x); rotate: the inverse of the matrix it samples with (a
     rotation about (w/2, h/2), counter-clockwise on screen by `degrees`).
   `a` gets x's map (the identity for NULL). Reads x only: thread-safe as
   x is (see above). */
void ramp_img_affine(const ramp_image *x, double a[6]);

/* The map and the size of the image the last successful ramp_img_to_tensor()
   on pp converted (since ramp_pp_reset()): what the workflow uses to move a
   sample's targets into the tensor and its predictions back. Returns 0, or
   -1 when no tensor was made since the reset (a, width and height are then
   left alone). Any out pointer may be NULL. */
int ramp_pp_geometry(const ramp_pp *pp, double a[6], int *width, int *height);

/* Applies / inverts such a map. ramp_affine_invert returns -1 (and leaves
   inv alone) when the map is singular (or not finite). Pure, thread-safe. */
void ramp_affine_apply(const double a[6], double x, double y, double *ox, double *oy);
int ramp_affine_invert(double inv[6], const double a[6]);

/* Moving targets and predictions through such a map. All three are pure
   functions of their arguments: no context, no allocation, no state;
   thread-safe. Every buffer is the caller's (borrowed for the call).
   A typical use: `a` and (width, height) from ramp_pp_geometry() move a
   sample's targets into its tensor; ramp_affine_invert(inv, a) and the
   original image's size move the net's predictions back. */

/* Maps n objects (ramp_obj, ramp/gen.h) through `a` into an image of
   width × height, writing the kept ones to dst in order; returns how many
   were written (≤ n). dst may equal src (in place); otherwise they must
   not overlap. cls and conf are copied.
   - geometry 0, boxes g = x0, y0, x1, y1: the bounding box of the four
     mapped corners, clipped to [0, width] × [0, height]; kept when the
     clipped area is > 0 and ≥ min_visible × the unclipped area
     (min_visible 0: any visible part keeps it).
   - geometry 1, circles g = x, y, r: the centre mapped, r scaled by
     sqrt(|det a|) (exact for the similarities flips, turns and uniform
     resizes make; an average for anisotropic ones); kept when the centre
     lies in [0, width) × [0, height). g[3] is written 0.
   min_visible < 0 keeps every object as the map moves it: boxes not
   clipped, circles wherever their centre lands. Objects with non-finite
   coordinates are dropped; any other geometry value writes nothing and
   returns 0. */
size_t ramp_objs_transform(ramp_obj *dst, const ramp_obj *src, size_t n, const double a[6],
                           int width, int height, int geometry, double min_visible);

/* Warps a label mask (sw × sh bytes, rows `stride` bytes apart; class per
   pixel) through `a` (source → dst pixels) into dst (w × h int32,
   row-major): dst pixel (i, j) takes the source pixel containing the
   inverse image of its centre (i + 0.5, j + 0.5) (nearest neighbour:
   floor of each coordinate, a point within 1e-9 below an integer counting
   as on it), or RAMP_IGNORE_LABEL when that point falls outside the source.
   RAMP_EINVAL for NULL buffers, a non-positive size, stride < sw, or a
   singular map (dst untouched). */
ramp_status ramp_mask_warp(int32_t *dst, int w, int h, const uint8_t *src, size_t stride, int sw,
                           int sh, const double a[6]);

/* The inverse move for a segmenter's output: proba holds k class maps of
   h × w floats (k × h × w, the tensor's pixels); each pixel (i, j) of the
   original sw × sh image takes the class with the largest probability at
   a(i + 0.5, j + 0.5), sampled bilinearly between the four nearest pixel
   centres (sample position u = x' − 0.5, v = y' − 0.5, clamped to the map's
   edges); ties go to the lowest class. dst is sw × sh bytes, row-major.
   `a` is the image → tensor map (ramp_pp_geometry()'s). RAMP_EINVAL for
   NULL buffers, non-positive sizes, k > 255, or a non-finite map. */
ramp_status ramp_proba_unwarp(uint8_t *dst, int sw, int sh, const float *proba, int k, int h, int w,
                              const double a[6]);

/* ---- encoding (used to build kits) ------------------------------------- */

/* Encodes pixels (1 or 3 channels for JPEG; 1–4 for PNG) into a malloc'd
   buffer the caller frees with free(). `quality` is for JPEG (1–100); for
   PNG, 1–9 is zlib's compression level (1: fastest; noisy RGB encodes about
   3x faster than at the default, a little larger) and any other value
   zlib's default. Colour JPEGs are 4:2:0, PNGs 8-bit. Thread-safe (no
   shared state). */
ramp_status ramp_img_encode(uint8_t **out, size_t *out_len, ramp_img_format fmt,
                            const uint8_t *pixels, int width, int height, int channels,
                            size_t stride, int quality, ramp_err *err);

#ifdef __cplusplus
}
#endif
#endif
