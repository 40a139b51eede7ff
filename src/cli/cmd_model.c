/* cmd_model.c — `ramp model`: ONNX models on the command line.
 *
 *   ramp model info FILE.onnx                      the layer table, or what is unsupported
 *   ramp model predict FILE.onnx --input X.npy --output P.npy
 *   ramp model export WEIGHTS --output FILE.onnx   an engine weight file as ONNX
 *
 * Thin wrappers over onnx.h (import, export) and nn.h (the summary,
 * predict, a net from its weight file): the model becomes an engine net,
 * whose summary is the layer table and whose evaluation-mode forward pass
 * gives the outputs; a weight file (ramp_net_save, version 2) carries its
 * graph, so it alone rebuilds the net to export. Exit codes: 0 fine,
 * 1 a model or array that cannot be used (the message names the file and
 * why), 2 usage errors.
 */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cliInt.h"
#include "ramp/nn.h"
#include "ramp/npy.h"
#include "ramp/onnx.h"

static void usage_model(FILE *f)
{
    fprintf(f, "usage: ramp model info FILE.onnx                    the layer table\n"
               "       ramp model predict FILE.onnx --input X.npy --output P.npy\n"
               "                                                    run the model on an array\n"
               "       ramp model export WEIGHTS --output FILE.onnx a weight file as ONNX\n\n"
               "ONNX models in and out of the engine (docs/pretrained.md).\n"
               "'ramp model <subcommand> --help' describes each.\n");
}

static void usage_info(FILE *f)
{
    fprintf(f, "usage: ramp model info FILE.onnx [--shape CxHxW]\n\n"
               "Reads an ONNX model into the engine and prints its layer table (layer, name,\n"
               "type, output shape, parameters) and the totals. A model with an operator or\n"
               "attribute ramp does not support fails (exit 1) with the importer's message,\n"
               "which names every such node. FILE may also be an engine weight file\n"
               "(ramp_net_save), which carries its graph.\n\n"
               "options:\n"
               "  --shape CxHxW   the input size where the model leaves it open (3x224x224)\n");
}

static void usage_predict(FILE *f)
{
    fprintf(f, "usage: ramp model predict FILE.onnx --input X.npy --output P.npy [options]\n\n"
               "Runs the model (evaluation mode: batchnorm's running statistics, no dropout)\n"
               "on a float32 array X of N x C x H x W and writes its output as an N x K float32\n"
               "array: the model's last tensor, so class scores (logits) unless the model ends\n"
               "in Softmax, then probabilities. FILE may also be an engine weight file\n"
               "(ramp_net_save), which carries its graph.\n\n"
               "options:\n"
               "  --input X.npy         the samples, '<f4', N x C x H x W, C order (required)\n"
               "  --output P.npy        where to write the outputs (required)\n"
               "  --batch N             samples per forward pass, 1 to 256 (default 64)\n"
               "  --backend dnnl|ref    the engine's backend (default dnnl: oneDNN)\n"
               "  --threads N           compute threads (default: the cores)\n");
}

static void usage_export(FILE *f)
{
    fprintf(f, "usage: ramp model export WEIGHTS --output FILE.onnx [--softmax]\n\n"
               "Writes an engine weight file (what ramp_net_save writes: the weights and, since\n"
               "version 2, the graph) as an ONNX model that onnxruntime or PyTorch runs. The\n"
               "model outputs class scores (logits), as the engine's last layer does, unless\n"
               "the net ends in a softmax layer or --softmax is given (then probabilities).\n\n"
               "options:\n"
               "  --output FILE.onnx   the model to write (required; replaced atomically)\n"
               "  --softmax            append a Softmax so that the model outputs probabilities\n");
}

/* Is `path` an engine weight file (ramp_net_save's magic)? */
static int is_weight_file(const char *path)
{
    char magic[8] = {0};
    FILE *f = fopen(path, "rb");
    if (!f) return 0;
    size_t n = fread(magic, 1, sizeof magic, f);
    fclose(f);
    return n == sizeof magic && memcmp(magic, "RAMPNNW", 8) == 0;
}

/* The net of an ONNX model, or of an engine weight file that carries its
   graph (then p's input size is the file's). */
static ramp_status load_model(ramp_net **net, const char *path, const ramp_net_params *p,
                              ramp_err *err)
{
    if (is_weight_file(path)) return ramp_net_new_from_file(net, path, p, err);
    return ramp_net_load_onnx(net, path, p, err);
}

/* "CxHxW" into p's input size, each from 1 to the engine's limits (C up to
   2^20, H and W up to 2^16); 0 or -1. */
static int parse_shape(const char *s, ramp_net_params *p)
{
    long v[3];
    const long max[3] = { 1L << 20, 1L << 16, 1L << 16 };
    for (int i = 0; i < 3; i++) {
        char *end;
        errno = 0;
        v[i] = strtol(s, &end, 10);
        if (errno || end == s || v[i] < 1 || v[i] > max[i] || *end != (i < 2 ? 'x' : '\0'))
            return -1;
        s = end + 1;
    }
    p->channels = (int)v[0], p->height = (int)v[1], p->width = (int)v[2];
    return 0;
}

static int cmd_info(int argc, char **argv)
{
    const char *file = NULL, *shape = NULL;
    int n_pos = 0;
    const ramp__cli_opt opts[] = {RAMP__OPT_STR("--shape", &shape), RAMP__OPT_END};
    int rc = ramp__cli_parse(&(ramp__cli_spec){.cmd = "model info",
                                               .usage = usage_info,
                                               .opts = opts,
                                               .pos = &file,
                                               .max_pos = 1,
                                               .n_pos = &n_pos},
                             argc, argv);
    if (rc) return rc == 1 ? 0 : rc;
    if (n_pos != 1) {
        usage_info(stderr);
        return 2;
    }
    ramp_net_params p = {.backend = RAMP_NN_REF, .n_threads = 1};
    if (shape && parse_shape(shape, &p)) {
        ramp__cli_error("model info: --shape wants CxHxW (e.g. 3x224x224), not '%s'", shape);
        return 2;
    }
    ramp_net *net = NULL;
    ramp_err err = {0};
    if (load_model(&net, file, &p, &err)) {
        ramp__cli_error("model info: %s", err.msg);
        return 1;
    }
    int in[3];
    ramp_net_layer_shape(net, 0, in);
    printf("%s: %s, input N x %d x %d x %d\n\n", file,
           is_weight_file(file) ? "engine weight file" : "ONNX model", in[0], in[1], in[2]);
    fflush(stdout);
    rc = ramp_net_summary(net, stdout) ? 1 : 0;
    if (rc) ramp__cli_error("model info: %s", ramp_net_errmsg(net));
    ramp_net_free(net);
    return rc;
}

/* X's shape against the net's input; 0, or 1 after saying why. */
static int check_input(const char *path, const ramp_npy *x, int ndim, const size_t *dims,
                       const int in[3])
{
    static const char *names[] = {"float64", "float32", "int64", "int32"};
    if (x->dtype != RAMP_NPY_F4) {
        ramp__cli_error("model predict: %s: dtype %s, but the model takes float32 "
                        "(numpy: X.astype(np.float32))",
                        path, names[x->dtype]);
        return 1;
    }
    if (ndim != 4 || dims[1] != (size_t)in[0] || dims[2] != (size_t)in[1] ||
        dims[3] != (size_t)in[2]) {
        char got[128] = "";
        for (int d = 0; d < ndim; d++)
            snprintf(got + strlen(got), sizeof got - strlen(got), "%s%zu", d ? " x " : "", dims[d]);
        ramp__cli_error("model predict: %s: shape %s, but the model takes N x %d x %d x %d", path,
                        got, in[0], in[1], in[2]);
        return 1;
    }
    if (dims[0] == 0) {
        ramp__cli_error("model predict: %s: no samples (N = 0)", path);
        return 1;
    }
    return 0;
}

static int cmd_predict(int argc, char **argv)
{
    const char *file = NULL, *in_path = NULL, *out_path = NULL, *backend = "dnnl";
    int n_pos = 0, batch = 64, threads = 0;
    const ramp__cli_opt opts[] = {
        RAMP__OPT_STR("--input", &in_path),
        RAMP__OPT_STR("--output", &out_path),
        RAMP__OPT_INT("--batch", &batch, 1, 256),
        RAMP__OPT_STR("--backend", &backend),
        RAMP__OPT_INT("--threads", &threads, 1, 1024),
        RAMP__OPT_END,
    };
    int rc = ramp__cli_parse(&(ramp__cli_spec){.cmd = "model predict",
                                               .usage = usage_predict,
                                               .opts = opts,
                                               .pos = &file,
                                               .max_pos = 1,
                                               .n_pos = &n_pos},
                             argc, argv);
    if (rc) return rc == 1 ? 0 : rc;
    if (n_pos != 1 || !in_path || !out_path) {
        if (n_pos == 1)
            ramp__cli_error("model predict: %s is required", in_path ? "--output" : "--input");
        else
            usage_predict(stderr);
        return 2;
    }
    ramp_net_params p = {.seed = 1, .n_threads = threads};
    if (strcmp(backend, "dnnl") == 0) {
        p.backend = RAMP_NN_DNNL;
    } else if (strcmp(backend, "ref") == 0) {
        p.backend = RAMP_NN_REF;
    } else {
        ramp__cli_error("model predict: --backend is dnnl or ref, not '%s'", backend);
        return 2;
    }
    ramp_npy x = {0};
    int ndim = 0;
    size_t dims[RAMP_NPY_MAX_DIMS];
    ramp_err err = {0};
    ramp_net *net = NULL;
    float *out = NULL;
    rc = 1;
    /* the model at its own input size; at X's where the model leaves it open */
    int have_x = 0;
    if (load_model(&net, file, &p, &err)) {
        ramp_err err2 = {0};
        have_x = ramp_npy_read_nd(&x, &ndim, dims, in_path, 0, &err2) == RAMP_OK;
        if (!have_x || ndim != 4) {
            ramp__cli_error("model predict: %s", err.msg);
            goto done;
        }
        /* rows hold the data read, so a row's size is bounded; an empty X is not */
        if (dims[0] < 1 || dims[1] > (1u << 20) || dims[2] > (1u << 16) || dims[3] > (1u << 16)) {
            ramp__cli_error("model predict: %s: shape %zu x %zu x %zu x %zu: no rows, or "
                            "beyond C ≤ 2^20, H and W ≤ 2^16", in_path, dims[0], dims[1],
                            dims[2], dims[3]);
            goto done;
        }
        p.channels = (int)dims[1];
        p.height = (int)dims[2];
        p.width = (int)dims[3];
        if (is_weight_file(file) || ramp_net_load_onnx(&net, file, &p, &err2)) {
            ramp__cli_error("model predict: %s", err.msg);
            goto done;
        }
    }
    if (!have_x && ramp_npy_read_nd(&x, &ndim, dims, in_path, 0, &err)) {
        ramp__cli_error("model predict: %s", err.msg);
        goto done;
    }
    int in[3], last = ramp_net_n_layers(net) - 1, os[3];
    ramp_net_layer_shape(net, 0, in);
    ramp_net_layer_shape(net, last, os);
    if (check_input(in_path, &x, ndim, dims, in)) goto done;
    size_t n = dims[0], f = (size_t)in[0] * in[1] * in[2], k = (size_t)os[0] * os[1] * os[2];
    if (!(out = malloc(n * k * sizeof *out))) {
        ramp__cli_error("model predict: out of memory for %zu x %zu outputs", n, k);
        goto done;
    }
    /* the model's last tensor: predict's probabilities after a softmax
       layer (the engine's softmax layer passes its input on), any other
       last layer's own output (logits) */
    int softmax = strcmp(ramp_net_layer_type(net, last), "Softmax") == 0;
    for (size_t i = 0; i < n; i += (size_t)batch) {
        size_t m = n - i < (size_t)batch ? n - i : (size_t)batch;
        const float *xi = (const float *)x.data + i * f;
        float *yi = out + i * k;
        if (ramp_net_predict(net, xi, m, yi) ||
            (!softmax && ramp_net_get_output(net, last, yi, m * k))) {
            ramp__cli_error("model predict: %s: %s", file, ramp_net_errmsg(net));
            goto done;
        }
    }
    if (ramp_npy_write_matrix_f(out_path, out, n, k, &err)) {
        ramp__cli_error("model predict: %s", err.msg);
        goto done;
    }
    fprintf(stderr, "ramp: model predict: %zu samples -> %s (%zu x %zu, %s)\n", n, out_path, n, k,
            softmax ? "probabilities" : "the model's last layer: logits");
    rc = 0;
done:
    free(out);
    ramp_net_free(net);
    ramp_npy_clear(&x);
    return rc;
}

static int cmd_export(int argc, char **argv)
{
    const char *weights = NULL, *out = NULL;
    int n_pos = 0, softmax = 0;
    const ramp__cli_opt opts[] = {
        RAMP__OPT_STR("--output", &out),
        RAMP__OPT_FLAG("--softmax", &softmax),
        RAMP__OPT_END,
    };
    int rc = ramp__cli_parse(&(ramp__cli_spec){.cmd = "model export",
                                               .usage = usage_export,
                                               .opts = opts,
                                               .pos = &weights,
                                               .max_pos = 1,
                                               .n_pos = &n_pos},
                             argc, argv);
    if (rc) return rc == 1 ? 0 : rc;
    if (n_pos != 1 || !out) {
        if (n_pos == 1)
            ramp__cli_error("model export: --output is required");
        else
            usage_export(stderr);
        return 2;
    }
    ramp_net *net = NULL;
    ramp_err err = {0};
    if (ramp_net_new_from_file(&net, weights,
                               &(ramp_net_params){.backend = RAMP_NN_REF, .n_threads = 1}, &err)) {
        ramp__cli_error("model export: %s", err.msg);
        return 1;
    }
    int last = ramp_net_n_layers(net) - 1;
    if (softmax && strcmp(ramp_net_layer_type(net, last), "Softmax") != 0 &&
        ramp_net_softmax(net)) {
        ramp__cli_error("model export: --softmax: %s", ramp_net_errmsg(net));
        ramp_net_free(net);
        return 1;
    }
    rc = 0;
    if (ramp_net_save_onnx(net, out)) {
        ramp__cli_error("model export: %s", ramp_net_errmsg(net));
        rc = 1;
    } else {
        last = ramp_net_n_layers(net) - 1;
        fprintf(stderr, "ramp: model export: %s -> %s (%d layers, %zu parameters; outputs %s)\n",
                weights, out, last, ramp_net_n_params(net),
                strcmp(ramp_net_layer_type(net, last), "Softmax") == 0 ? "probabilities"
                                                                       : "logits");
    }
    ramp_net_free(net);
    return rc;
}

int ramp__cmd_model(int argc, char **argv)
{
    if (argc < 2 || ramp__cli_is_help(argv[1])) {
        usage_model(argc < 2 ? stderr : stdout);
        return argc < 2 ? 2 : 0;
    }
    if (strcmp(argv[1], "info") == 0) return cmd_info(argc - 1, argv + 1);
    if (strcmp(argv[1], "predict") == 0) return cmd_predict(argc - 1, argv + 1);
    if (strcmp(argv[1], "export") == 0) return cmd_export(argc - 1, argv + 1);
    ramp__cli_error("model: unknown subcommand '%s' (see 'ramp model --help')", argv[1]);
    return 2;
}
