/* cmd_data.c — `ramp data`: build the Fashion-MNIST kit, make the data of
 * the objects and circles kits, check a kit.
 *
 * Thin wrappers: argument parsing and printing here, the work in the data
 * module (ramp_kit_build_fashion_mnist, ramp_kit_build_objects,
 * ramp_kit_build_circles, ramp_kit_check). Exit codes: 0 fine,
 * 1 problems found in the data (or the build failed), 2 usage errors.
 */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli/cliInt.h"
#include "ramp/dataset.h"
#include "ramp/problem.h"

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void usage_data(FILE *f)
{
    fprintf(f,
            "usage: ramp data fashion-mnist --out DIR [options]   build the Fashion-MNIST kit\n"
            "       ramp data objects --out DIR [options]         Fashion-MNIST items on canvases\n"
            "                                                     (detection + segmentation data)\n"
            "       ramp data circles --out DIR [options]         crater-like circles (detection "
            "data)\n"
            "       ramp data check KIT [--data DIR]              check a kit\n\n"
            "'ramp data <subcommand> --help' describes each.\n");
}

static void usage_fmnist(FILE *f)
{
    fprintf(f,
            "usage: ramp data fashion-mnist --out DIR [options]\n\n"
            "Builds a kit (problem.ini, data/train.csv, data/test.csv, data/class_codes.csv,\n"
            "data/imgs/<id>) from Debian's dataset-fashion-mnist.\n\n"
            "options:\n"
            "  --out DIR          the kit folder to create (required)\n"
            "  --format png|jpg   image format (default png; jpg is quality 90)\n"
            "  --size N           side in pixels, upscaled from 28 (default 28)\n"
            "  --rgb              write 3-channel images (gray replicated)\n"
            "  --limit-train N    first N training images only\n"
            "  --limit-test N     first N test images only\n"
            "  --source DIR       the IDX .gz files (default /usr/share/datasets/fashion-mnist)\n"
            "  --threads N        encoder threads (default 2)\n"
            "  --force            write into a non-empty --out\n");
}

static void usage_objects(FILE *f)
{
    fprintf(
        f, "usage: ramp data objects --out DIR [options]\n\n"
           "Pastes Fashion-MNIST items (1-4 a picture, scaled to 20-64 px at size 128) onto\n"
           "textured RGB canvases and writes the data of the objects kits:\n"
           "DIR/data/imgs/<id>.png, DIR/data/masks/<id>.png (0 background, 1 + class,\n"
           "255 void), DIR/data/train.csv and test.csv (boxes: id,class,x0,y0,x1,y1),\n"
           "DIR/data/seg_train.csv and seg_test.csv (ids), class_codes.csv and\n"
           "seg_class_codes.csv, and DIR/problem.ini when DIR has none. The same seed\n"
           "gives the same bytes.\n\n"
           "options:\n"
           "  --out DIR        the kit folder (kits/objects_detection, kits/objects_segmentation)\n"
           "  --n-train N      training images (default 3000)\n"
           "  --n-test N       test images (default 1000)\n"
           "  --size S         canvas side in pixels, 32-1024 (default 128)\n"
           "  --seed X         the random seed (default 0)\n"
           "  --source DIR     the IDX .gz files (default /usr/share/datasets/fashion-mnist)\n"
           "  --threads N      threads (default 2)\n"
           "  --force          write into a non-empty DIR/data\n"
           "  --segmentation   the problem.ini written is kits/objects_segmentation's\n"
           "                   (default: kits/objects_detection's)\n");
}

static void usage_circles(FILE *f)
{
    fprintf(f, "usage: ramp data circles --out DIR [options]\n\n"
               "Draws crater-like circles (0-6 a picture, radius 4-24 px at size 128, shaded\n"
               "bowls with raised rims) on a noisy gray terrain and writes the data of the\n"
               "circles kit: DIR/data/imgs/<id>.png, DIR/data/train.csv and test.csv\n"
               "(id,x,y,r), DIR/data/class_codes.csv, and DIR/problem.ini when DIR has none.\n"
               "The same seed gives the same bytes.\n\n"
               "options:\n"
               "  --out DIR        the kit folder (kits/circles)\n"
               "  --n-train N      training images (default 2000)\n"
               "  --n-test N       test images (default 600)\n"
               "  --size S         image side in pixels, 32-1024 (default 128)\n"
               "  --seed X         the random seed (default 0)\n"
               "  --threads N      threads (default 2)\n"
               "  --force          write into a non-empty DIR/data\n");
}

static int cmd_synth(int argc, char **argv, int circles)
{
    ramp_synth_opts o = {.n_train = -1, .n_test = -1};
    int64_t n_train = -1, n_test = -1;
    uint64_t seed = 0;
    const ramp__cli_opt opts[] = {
        RAMP__OPT_STR("--out", &o.out_dir),
        RAMP__OPT_STR("--source", &o.source_dir),
        RAMP__OPT_INT("--n-train", &n_train, 0, 99999),
        RAMP__OPT_INT("--n-test", &n_test, 0, 99999),
        RAMP__OPT_INT("--size", &o.size, 32, 1024),
        RAMP__OPT_U64("--seed", &seed),
        RAMP__OPT_INT("--threads", &o.n_threads, 1, 64),
        RAMP__OPT_FLAG("--force", &o.force),
        RAMP__OPT_FLAG("--segmentation", &o.segmentation),
        RAMP__OPT_END,
    };
    const ramp__cli_opt *use = opts;
    ramp__cli_opt copts[sizeof opts / sizeof *opts];
    if (circles) { /* no --source */
        int k = 0;
        for (int i = 0; opts[i].name; i++)
            if (strcmp(opts[i].name, "--source") && strcmp(opts[i].name, "--segmentation"))
                copts[k++] = opts[i];
        copts[k] = opts[sizeof opts / sizeof *opts - 1];
        use = copts;
    }
    const char *cmd = circles ? "data circles" : "data objects";
    int rc = ramp__cli_parse(&(ramp__cli_spec){.cmd = cmd,
                                               .usage = circles ? usage_circles : usage_objects,
                                               .opts = use},
                             argc, argv);
    if (rc) return rc == 1 ? 0 : rc;
    if (!o.out_dir) {
        ramp__cli_error("%s: --out DIR is required (see --help)", cmd);
        return 2;
    }
    o.n_train = (long)n_train;
    o.n_test = (long)n_test;
    o.seed = seed;
    ramp_synth_stats stats;
    ramp_err err;
    double t0 = now_s();
    ramp_status st = circles ? ramp_kit_build_circles(&stats, &o, &err)
                             : ramp_kit_build_objects(&stats, &o, &err);
    if (st) {
        ramp__cli_error("%s", err.msg);
        return 1;
    }
    double dt = now_s() - t0;
    int side = o.size ? o.size : 128;
    printf("%s data in %s/data: %zu train + %zu test images %dx%d, %zu %s, %.1f MB, %.2f s\n",
           circles ? "circles" : "objects", o.out_dir, stats.n_train, stats.n_test, side, side,
           stats.n_objects, circles ? "circles" : "objects", (double)stats.bytes / 1e6, dt);
    if (stats.wrote_problem)
        printf("%s/problem.ini: the %s kit's (kits/%s/problem.ini)\n", o.out_dir,
               circles          ? "circles"
               : o.segmentation ? "segmentation"
                                : "detection",
               circles          ? "circles"
               : o.segmentation ? "objects_segmentation"
                                : "objects_detection");
    return 0;
}

static void usage_check(FILE *f)
{
    fprintf(f, "usage: ramp data check KIT [--data DIR] [--threads N]\n\n"
               "Checks a kit: problem.ini, the train/test CSVs and every listed image.\n"
               "Lists every problem found and exits 1 if any; otherwise prints a summary.\n\n"
               "options:\n"
               "  --data DIR     the data folder (default KIT/data)\n"
               "  --threads N    decoder threads (default 2)\n");
}

/* Parses a non-negative integer option value; -1 if bad. */
static int cmd_fmnist(int argc, char **argv)
{
    ramp_fmnist_opts o = {.limit_train = -1, .limit_test = -1};
    const char *format = "png";
    int64_t limit_train = -1, limit_test = -1;
    const ramp__cli_opt opts[] = {
        RAMP__OPT_STR("--out", &o.out_dir),
        RAMP__OPT_STR("--source", &o.source_dir),
        RAMP__OPT_STR("--format", &format),
        RAMP__OPT_INT("--size", &o.size, 1, 4096),
        RAMP__OPT_INT("--limit-train", &limit_train, 0, 0),
        RAMP__OPT_INT("--limit-test", &limit_test, 0, 0),
        RAMP__OPT_INT("--threads", &o.n_threads, 1, 64),
        RAMP__OPT_FLAG("--rgb", &o.rgb),
        RAMP__OPT_FLAG("--force", &o.force),
        RAMP__OPT_END,
    };
    int rc = ramp__cli_parse(&(ramp__cli_spec){ .cmd = "data fashion-mnist",
                                                .usage = usage_fmnist, .opts = opts },
                             argc, argv);
    if (rc) return rc == 1 ? 0 : rc;
    o.limit_train = (long)limit_train;
    o.limit_test = (long)limit_test;
    if (!strcmp(format, "png")) {
        o.jpeg = 0;
    } else if (!strcmp(format, "jpg") || !strcmp(format, "jpeg")) {
        o.jpeg = 1;
    } else {
        ramp__cli_error("data fashion-mnist: --format is png or jpg, not '%s'", format);
        return 2;
    }
    if (!o.out_dir) {
        ramp__cli_error("data fashion-mnist: --out DIR is required (see --help)");
        return 2;
    }
    ramp_fmnist_stats stats;
    ramp_err err;
    double t0 = now_s();
    if (ramp_kit_build_fashion_mnist(&stats, &o, &err)) {
        ramp__cli_error("%s", err.msg);
        return 1;
    }
    double dt = now_s() - t0;
    int side = o.size ? o.size : 28;
    printf("fashion-mnist kit in %s: %zu train + %zu test images, %s %dx%d %s, %.1f MB, %.2f s "
           "(%.0f img/s)\n",
           o.out_dir, stats.n_train, stats.n_test, o.jpeg ? "JPEG q90" : "PNG", side, side,
           o.rgb ? "RGB" : "gray", (double)stats.bytes / 1e6, dt,
           dt > 0 ? (double)(stats.n_train + stats.n_test) / dt : 0.0);
    return 0;
}

static int cmd_check(int argc, char **argv)
{
    const char *kit = NULL, *data = NULL;
    int threads = 2;
    const ramp__cli_opt opts[] = {
        RAMP__OPT_STR("--data", &data),
        RAMP__OPT_INT("--threads", &threads, 1, 64),
        RAMP__OPT_END,
    };
    int rc = ramp__cli_parse(&(ramp__cli_spec){ .cmd = "data check", .usage = usage_check,
                                                .opts = opts, .pos = &kit, .max_pos = 1 },
                             argc, argv);
    if (rc) return rc == 1 ? 0 : rc;
    if (!kit) {
        ramp__cli_error("data check: no kit given (see 'ramp data check --help')");
        return 2;
    }
    ramp_kit_summary sum;
    ramp_err err;
    double t0 = now_s();
    ramp_status st = ramp_kit_check(&sum, kit, data, threads, &err);
    double dt = now_s() - t0;
    if (st && st != RAMP_EFORMAT) {
        ramp__cli_error("%s", err.msg);
        return 1;
    }
    if (st) {
        for (size_t i = 0; i < sum.n_problems; i++)
            printf("%s\n", sum.problems[i]);
        printf("%zu problem%s found in %s\n", sum.n_problems, sum.n_problems == 1 ? "" : "s", kit);
        ramp_kit_summary_free(&sum);
        return 1;
    }
    printf("kit %s: OK (%.2f s)\n", kit, dt);
    static const char *const split[2] = {"train", "test"};
    for (int s = 0; s < 2; s++) {
        if (sum.workflow == RAMP_WORKFLOW_DETECTION) {
            printf("  %-5s %zu images, %zu objects; objects per class:", split[s], sum.n_rows[s],
                   sum.n_objects[s]);
            for (int c = 0; c < sum.n_classes; c++)
                printf(" %zu", sum.per_class[s][c]);
        } else if (sum.workflow == RAMP_WORKFLOW_SEGMENTATION) {
            uint64_t total = 0;
            for (int c = 0; c <= sum.n_classes; c++)
                total += sum.pixels_per_class[s][c];
            printf("  %-5s %zu images; mask pixels per class (%%):", split[s], sum.n_rows[s]);
            for (int c = 0; c < sum.n_classes; c++)
                printf(" %.2f",
                       total ? 100.0 * (double)sum.pixels_per_class[s][c] / (double)total : 0.0);
            printf(", void %.2f",
                   total ? 100.0 * (double)sum.pixels_per_class[s][sum.n_classes] / (double)total
                         : 0.0);
        } else {
            printf("  %-5s %zu rows; per class:", split[s], sum.n_rows[s]);
            for (int c = 0; c < sum.n_classes; c++)
                printf(" %zu", sum.per_class[s][c]);
        }
        printf("\n");
    }
    printf("  images: %zu (%zu PNG, %zu JPEG), size %dx%d", sum.n_images, sum.n_png, sum.n_jpeg,
           sum.min_w, sum.min_h);
    if (sum.min_w != sum.max_w || sum.min_h != sum.max_h) printf(" to %dx%d", sum.max_w, sum.max_h);
    printf(", channels:");
    for (int c = 1; c <= 4; c++)
        if (sum.n_channels[c]) printf(" %d (%zu images)", c, sum.n_channels[c]);
    printf("\n");
    ramp_kit_summary_free(&sum);
    return 0;
}

int ramp__cmd_data(int argc, char **argv)
{
    if (argc < 2 || ramp__cli_is_help(argv[1])) {
        usage_data(argc < 2 ? stderr : stdout);
        return argc < 2 ? 2 : 0;
    }
    if (strcmp(argv[1], "fashion-mnist") == 0) return cmd_fmnist(argc - 1, argv + 1);
    if (strcmp(argv[1], "check") == 0) return cmd_check(argc - 1, argv + 1);
    if (strcmp(argv[1], "objects") == 0) return cmd_synth(argc - 1, argv + 1, 0);
    if (strcmp(argv[1], "circles") == 0) return cmd_synth(argc - 1, argv + 1, 1);
    ramp__cli_error("data: unknown subcommand '%s' (see 'ramp data --help')", argv[1]);
    return 2;
}
