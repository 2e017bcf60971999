/*
 * crq/buf.h - a growable string buffer.
 * Conventions: see crq.h.
 */
#ifndef CRQ_PUBLIC_BUF_H
#define CRQ_PUBLIC_BUF_H

#include "crq/error.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------------------------------------------ */
/* Growable string buffer.  Invariant: ptr is NUL-terminated whenever
 * size > 0 or after any put; size excludes the NUL. */

typedef struct {
	char *ptr;
	size_t size;
	size_t asize;
} crq_buf;

#define CRQ_BUF_INIT { NULL, 0, 0 }

void crq_buf_init(crq_buf *buf);
void crq_buf_dispose(crq_buf *buf);
void crq_buf_clear(crq_buf *buf);
void crq_buf_grow(crq_buf *buf, size_t extra);
void crq_buf_put(crq_buf *buf, const char *data, size_t len);
void crq_buf_puts(crq_buf *buf, const char *str);
void crq_buf_putc(crq_buf *buf, char c);
void crq_buf_printf(crq_buf *buf, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void crq_buf_vprintf(crq_buf *buf, const char *fmt, va_list ap);
/* Return the contents as a NUL-terminated string ("" when empty). */
const char *crq_buf_cstr(crq_buf *buf);
/* Hand the allocation to the caller (never NULL) and reset the buffer. */
char *crq_buf_detach(crq_buf *buf);
/* Read a whole file into buf; fails with CRQ_EINVALID when larger than
 * max bytes, CRQ_ENOTFOUND when missing.  path "-" reads stdin. */
int crq_buf_read_file(crq_buf *buf, const char *path, size_t max);

#ifdef __cplusplus
}
#endif

#endif
