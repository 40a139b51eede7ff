/* buf.c — a growable text buffer (ramp__buf) for renderers that build a
 * page, a table or a JSON document in memory. An allocation failure is
 * sticky (oom) and later appends are no-ops, so a renderer checks once at
 * the end. It holds ramp's one JSON string escaper, for buffers and files. */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/coreInt.h"

void ramp__buf_put(ramp__buf *b, const void *s, size_t n)
{
    if (b->oom) return;
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 256;
        while (cap < b->len + n + 1) cap *= 2;
        char *p = realloc(b->p, cap);
        if (!p) {
            b->oom = 1;
            return;
        }
        b->p = p;
        b->cap = cap;
    }
    if (n) memcpy(b->p + b->len, s, n);
    b->len += n;
    b->p[b->len] = '\0';
}

void ramp__buf_puts(ramp__buf *b, const char *s)
{
    ramp__buf_put(b, s, strlen(s));
}

void ramp__buf_printf(ramp__buf *b, const char *fmt, ...)
{
    char small[512];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(small, sizeof small, fmt, ap);
    va_end(ap);
    if (n < 0) return;
    if ((size_t)n < sizeof small) {
        ramp__buf_put(b, small, (size_t)n);
        return;
    }
    char *big = malloc((size_t)n + 1);
    if (!big) {
        b->oom = 1;
        return;
    }
    va_start(ap, fmt);
    vsnprintf(big, (size_t)n + 1, fmt, ap);
    va_end(ap);
    ramp__buf_put(b, big, (size_t)n);
    free(big);
}

void ramp__buf_html(ramp__buf *b, const char *s)
{
    for (; s && *s; s++) {
        switch (*s) {
        case '<': ramp__buf_puts(b, "&lt;"); break;
        case '>': ramp__buf_puts(b, "&gt;"); break;
        case '&': ramp__buf_puts(b, "&amp;"); break;
        case '"': ramp__buf_puts(b, "&quot;"); break;
        case '\'': ramp__buf_puts(b, "&#39;"); break;
        default: ramp__buf_put(b, s, 1);
        }
    }
}

/* The one JSON string escaper: s as a quoted JSON string, handed to put in
   pieces (runs of plain bytes, escapes). '"' and '\\' are backslashed, a
   newline is \n, other control bytes and DEL are \u00XX; bytes ≥ 0x80 pass
   as they are (UTF-8 stays UTF-8). s NULL is "". */
static void json_escape(const char *s, void (*put)(void *ctx, const char *p, size_t n), void *ctx)
{
    put(ctx, "\"", 1);
    const char *run = s;
    for (; s && *s; s++) {
        unsigned char c = (unsigned char)*s;
        char esc[8];
        size_t n = 0;
        if (c == '"' || c == '\\')
            esc[0] = '\\', esc[1] = (char)c, n = 2;
        else if (c == '\n')
            esc[0] = '\\', esc[1] = 'n', n = 2;
        else if (c < 0x20 || c == 0x7f)
            n = (size_t)snprintf(esc, sizeof esc, "\\u%04x", c);
        if (!n) continue;
        if (s > run) put(ctx, run, (size_t)(s - run));
        put(ctx, esc, n);
        run = s + 1;
    }
    if (s && s > run) put(ctx, run, (size_t)(s - run));
    put(ctx, "\"", 1);
}

static void put_buf(void *ctx, const char *p, size_t n)
{
    ramp__buf_put(ctx, p, n);
}

static void put_file(void *ctx, const char *p, size_t n)
{
    fwrite(p, 1, n, ctx);
}

void ramp__buf_json(ramp__buf *b, const char *s)
{
    json_escape(s, put_buf, b);
}

void ramp__json_fputs(FILE *f, const char *s)
{
    json_escape(s, put_file, f);
}

void ramp__json_fnum(FILE *f, double v)
{
    if (isfinite(v))
        fprintf(f, "%.17g", v);
    else
        fputs("null", f);
}

void ramp__buf_free(ramp__buf *b)
{
    free(b->p);
    memset(b, 0, sizeof *b);
}
