/* buf.c — a growable text buffer (ramp__buf) for renderers that build a
 * page, a table or a JSON document in memory. An allocation failure is
 * sticky (oom) and later appends are no-ops, so a renderer checks once at
 * the end. */
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

void ramp__buf_json(ramp__buf *b, const char *s)
{
    ramp__buf_put(b, "\"", 1);
    for (; s && *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\')
            ramp__buf_printf(b, "\\%c", c);
        else if (c == '\n')
            ramp__buf_puts(b, "\\n");
        else if (c < 0x20 || c == 0x7f)
            ramp__buf_printf(b, "\\u%04x", c);
        else
            ramp__buf_put(b, s, 1);
    }
    ramp__buf_put(b, "\"", 1);
}

void ramp__buf_free(ramp__buf *b)
{
    free(b->p);
    memset(b, 0, sizeof *b);
}
