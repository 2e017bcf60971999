/*
 * buf.c - growable strings, memory helpers, UTF-8 checks, and the few
 * file helpers the processes crq runs need (temporary files, whole
 * writes and reads).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "internal.h"

static void oom(size_t n)
{
	fprintf(stderr, "fatal: out of memory allocating %zu bytes\n", n);
	abort();
}

void *crq__malloc(size_t n)
{
	void *p = malloc(n ? n : 1);

	if (!p)
		oom(n);
	return p;
}

void *crq__calloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size ? size : 1);

	if (!p)
		oom(n * size);
	return p;
}

void *crq__realloc(void *p, size_t n)
{
	void *q = realloc(p, n ? n : 1);

	if (!q)
		oom(n);
	return q;
}

char *crq__strndup(const char *s, size_t n)
{
	char *p = crq__malloc(n + 1);

	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

char *crq__strdup(const char *s)
{
	return crq__strndup(s, strlen(s));
}

void crq__sort(void *base, size_t n, size_t size,
	int (*cmp)(const void *, const void *))
{
	if (n > 1)
		qsort(base, n, size, cmp);
}

void crq__grow(void **p, size_t *alloc, size_t need, size_t size)
{
	size_t n = *alloc ? *alloc : 4;

	if (need <= *alloc)
		return;
	while (n < need) {
		if (n > SIZE_MAX / 2 / size)
			oom(SIZE_MAX);
		n *= 2;
	}
	*p = crq__realloc(*p, n * size);
	*alloc = n;
}

void crq_buf_init(crq_buf *buf)
{
	buf->ptr = NULL;
	buf->size = buf->asize = 0;
}

void crq_buf_dispose(crq_buf *buf)
{
	free(buf->ptr);
	crq_buf_init(buf);
}

void crq_buf_clear(crq_buf *buf)
{
	buf->size = 0;
	if (buf->ptr)
		buf->ptr[0] = '\0';
}

void crq_buf_grow(crq_buf *buf, size_t extra)
{
	if (extra > SIZE_MAX - buf->size - 1)
		oom(SIZE_MAX);
	crq__grow((void **)&buf->ptr, &buf->asize, buf->size + extra + 1, 1);
}

void crq_buf_put(crq_buf *buf, const char *data, size_t len)
{
	/* writers put many short pieces: grow only when out of room */
	if (len >= buf->asize - buf->size)
		crq_buf_grow(buf, len);
	if (len)
		memcpy(buf->ptr + buf->size, data, len);
	buf->size += len;
	buf->ptr[buf->size] = '\0';
}

void crq_buf_puts(crq_buf *buf, const char *str)
{
	crq_buf_put(buf, str, strlen(str));
}

void crq_buf_putc(crq_buf *buf, char c)
{
	crq_buf_put(buf, &c, 1);
}

void crq_buf_vprintf(crq_buf *buf, const char *fmt, va_list ap)
{
	va_list cp;
	int n;

	va_copy(cp, ap);
	n = vsnprintf(NULL, 0, fmt, cp);
	va_end(cp);
	if (n < 0)
		return;
	crq_buf_grow(buf, (size_t)n);
	vsnprintf(buf->ptr + buf->size, (size_t)n + 1, fmt, ap);
	buf->size += (size_t)n;
}

void crq_buf_printf(crq_buf *buf, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	crq_buf_vprintf(buf, fmt, ap);
	va_end(ap);
}

const char *crq_buf_cstr(crq_buf *buf)
{
	return buf->ptr ? buf->ptr : "";
}

char *crq_buf_detach(crq_buf *buf)
{
	char *p = buf->ptr ? buf->ptr : crq__strdup("");

	crq_buf_init(buf);
	return p;
}

int crq_buf_read_file(crq_buf *buf, const char *path, size_t max)
{
	FILE *f;
	char tmp[65536];
	size_t n;
	int err = 0;

	if (!strcmp(path, "-")) {
		f = stdin;
	} else if (!(f = fopen(path, "rb"))) {
		return crq_error__set(errno == ENOENT ? CRQ_ENOTFOUND : CRQ_EREPO,
			"cannot open '%s': %s", path, strerror(errno));
	}
	while ((n = fread(tmp, 1, sizeof(tmp), f)) > 0) {
		if (buf->size + n > max) {
			err = crq_error__set(CRQ_EINVALID,
				"'%s' is larger than %zu bytes", path, max);
			goto done;
		}
		crq_buf_put(buf, tmp, n);
	}
	if (ferror(f))
		err = crq_error__set(CRQ_EREPO, "cannot read '%s': %s",
			path, strerror(errno));
	else
		crq_buf_put(buf, "", 0);
done:
	if (f != stdin)
		fclose(f);
	return err;
}

int crq_utf8__valid(const char *str, size_t len, size_t *bad)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t i = 0;

	while (i < len) {
		unsigned c = s[i], cp, need, k;

		/* most text is ASCII: skip it eight bytes at a time */
		while (i + 8 <= len) {
			uint64_t w;

			memcpy(&w, s + i, 8);
			if (w & 0x8080808080808080ULL)
				break;
			i += 8;
		}
		if (i >= len)
			break;
		c = s[i];
		if (c < 0x80) {
			i++;
			continue;
		} else if (c >= 0xc2 && c <= 0xdf) {
			need = 1;
			cp = c & 0x1f;
		} else if (c >= 0xe0 && c <= 0xef) {
			need = 2;
			cp = c & 0x0f;
		} else if (c >= 0xf0 && c <= 0xf4) {
			need = 3;
			cp = c & 0x07;
		} else {
			goto fail;
		}
		if (i + need >= len)
			goto fail;
		for (k = 1; k <= need; k++) {
			if ((s[i + k] & 0xc0) != 0x80)
				goto fail;
			cp = (cp << 6) | (s[i + k] & 0x3f);
		}
		if ((need == 2 && cp < 0x800) || (need == 3 && cp < 0x10000) ||
		    cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
			goto fail;
		i += need + 1;
	}
	return 1;
fail:
	if (bad)
		*bad = i;
	return 0;
}

size_t crq_utf8__length(const char *s, size_t len)
{
	size_t i, n = 0;

	for (i = 0; i < len; i++)
		if (((unsigned char)s[i] & 0xc0) != 0x80)
			n++;
	return n;
}

/* ---- files ---- */

int crq__tmpfile_fd(const char *prefix)
{
	const char *dir = getenv("TMPDIR");
	char path[4096];
	int fd;

	if (!dir || !*dir)
		dir = "/tmp";
	if ((size_t)snprintf(path, sizeof(path), "%s/%s-XXXXXX", dir,
			prefix) >= sizeof(path)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	if ((fd = mkostemp(path, O_CLOEXEC)) >= 0)
		unlink(path);
	return fd;
}

int crq__write_all(int fd, const char *p, size_t n)
{
	ssize_t w;

	while (n) {
		if ((w = write(fd, p, n)) < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

int crq__read_fd(int fd, crq_buf *out, size_t max)
{
	char tmp[8192];
	ssize_t n;

	for (;;) {
		if ((n = read(fd, tmp, sizeof(tmp))) < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		if (n == 0)
			return 0;
		if ((size_t)n > max - out->size) {
			errno = EFBIG;
			return -1;
		}
		crq_buf_put(out, tmp, (size_t)n);
	}
}
