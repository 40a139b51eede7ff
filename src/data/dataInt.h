/* dataInt.h — internals of the data module (kits): a CSV record reader
 * shared by the index and class-code readers, and a string hash set.
 *
 * The CSV reader walks a buffer already in memory and yields one record at a
 * time; its fields are copied (unquoted, "" unescaped) into one growing
 * buffer, each NUL-terminated, with its length kept beside it so an embedded
 * NUL can be detected. Blank lines are skipped; a record's line is the
 * physical line (1-based) where it starts, so errors can name file:line.
 */
#ifndef RAMP_DATA_INT_H
#define RAMP_DATA_INT_H

#include <stddef.h>
#include <stdint.h>

#include "ramp/status.h"

typedef struct ramp__csv {
    const char *p, *end; /* unread input */
    const char *name;    /* file name for messages (borrowed) */
    size_t line;         /* physical line of p (1-based) */
    size_t rec_line;     /* line where the current record starts */
    char *buf;           /* field bytes, each field NUL-terminated */
    size_t len, cap;
    size_t *off;  /* field i starts at buf + off[i] */
    size_t *flen; /* field i has flen[i] bytes (before its NUL) */
    size_t nf, fcap;
} ramp__csv;

/* Starts reading `text` (borrowed, must outlive c); skips a UTF-8 BOM. */
void ramp__csv_init(ramp__csv *c, const char *text, size_t len, const char *name);

/* Reads the next non-blank record. Returns 1 when a record was read, 0 at
   the end, or -1 on error with *err set (unterminated quote: names the line
   where the quote opened; out of memory). */
int ramp__csv_next(ramp__csv *c, ramp_err *err);

/* Field i of the current record (i < c->nf) and its length. */
const char *ramp__csv_field(const ramp__csv *c, size_t i, size_t *len);

/* Frees the reader's buffers (not the text). */
void ramp__csv_free(ramp__csv *c);

/* A field's short printable form for messages: n bytes of s, control bytes
   as \xNN, cut with "..." past 40 bytes; NUL-terminated in dst (cap ≥ 48). */
void ramp__csv_show(char *dst, size_t cap, const char *s, size_t n);

/* Parses a decimal integer (optional sign, surrounding spaces allowed) into
   *v. Returns 0 if s[0..n) is not an integer, -1 if it overflows int64, 1 on
   success. */
int ramp__parse_i64(const char *s, size_t n, int64_t *v);

/* An open-addressing set of strings held elsewhere (by offset into a base
   buffer the caller passes to each call, since that buffer may move). */
typedef struct ramp__strset {
    uint32_t *slot; /* entry+1, 0 = empty */
    size_t cap;     /* power of two */
    size_t n;
} ramp__strset;

/* Looks up `s` (len bytes); if absent inserts `entry` (whose string is
   base + offs[entry], lens[entry]) and returns -1; if present returns the
   entry already there. Returns -2 when out of memory. */
long ramp__strset_add(ramp__strset *h, const char *base, const size_t *offs, const size_t *lens,
                      uint32_t entry);
void ramp__strset_free(ramp__strset *h);

#endif
