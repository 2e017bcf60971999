/*
 * cache.c - the cache under .git/crq/cache/: tables from an object id
 * to bytes (see cache.h).
 *
 * A table NAME is two files:
 *   NAME      sorted: a header (magic, count, data length, a fan-out by
 *             first byte, the header's CRC-32), the entries (key, data
 *             offset, length, the value's CRC-32), a CRC-32 per block of
 *             entries, then the values.  Read through mmap; a block's
 *             CRC is checked the first time a lookup touches it, a
 *             value's on every lookup.
 *   NAME.new  the overlay: records (key, length, CRC of both and the
 *             value, the value) of recent writes, read whole.
 * A writer holds NAME.lock (O_EXCL), re-reads the overlay, and renames
 * a new overlay into place, or, once it holds OVERLAY_MAX entries, a
 * new sorted file (then removes the overlay, whose entries it holds).
 * A reader that has mapped the old file keeps reading it; one that
 * sees both files finds the same values twice.  Nothing is fsynced:
 * a file torn by a crash fails its checksums and is dropped.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>
#include "internal.h"
#include "cache.h"

#define MAGIC "CRQTAB1\n"
#define OMAGIC "CRQOVL1\n"
#define HEAD 1056		/* magic, count, data length, fan-out, CRC, pad */
#define ENTRY 32		/* key 20, offset 4, length 4, CRC 4 */
#define BLOCK 512		/* entries a block CRC covers */
#define OVERLAY_MAX 4096
#define STALE_LOCK 60		/* seconds: a lock older than this is a crash's */

struct rec {
	git_oid key;
	unsigned char *val;
	uint32_t len;
	int used, pending;
};

struct crq_table {
	char *path;
	/* the sorted file */
	unsigned char *map;
	size_t mapsize;
	uint64_t count, data_len;
	const unsigned char *entries, *bcrc, *data;
	unsigned char *checked;		/* a block's CRC was checked */
	int bad;			/* a checksum failed: dropped */
	/* files mapped before a drop or a flush re-read the table: values
	 * got from them stay valid until the table is closed */
	struct retired { unsigned char *map; size_t size; } *retired;
	size_t nretired, aretired;
	/* the overlay and what was put: open addressing by key */
	struct rec *recs;
	size_t nrec, arec, npending;
};

void crq_cache__put64(unsigned char *p, unsigned long long v)
{
	int i;

	for (i = 0; i < 8; i++)
		p[i] = (unsigned char)(v >> (8 * i));
}

unsigned long long crq_cache__get64(const unsigned char *p)
{
	unsigned long long v = 0;
	int i;

	for (i = 7; i >= 0; i--)
		v = (v << 8) | p[i];
	return v;
}

static void put32(unsigned char *p, uint32_t v)
{
	p[0] = (unsigned char)v;
	p[1] = (unsigned char)(v >> 8);
	p[2] = (unsigned char)(v >> 16);
	p[3] = (unsigned char)(v >> 24);
}

static uint32_t get32(const unsigned char *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
		(uint32_t)p[3] << 24;
}

static uint32_t crc(const void *p, size_t n)
{
	uLong c = crc32(0L, Z_NULL, 0);
	const unsigned char *b = p;

	/* zlib takes a uInt length */
	while (n) {
		uInt k = n > 1u << 30 ? 1u << 30 : (uInt)n;

		c = crc32(c, b, k);
		b += k;
		n -= k;
	}
	return (uint32_t)c;
}


/* ---- the in-memory records ---- */

static size_t rec_slot(const struct rec *r, size_t a, const git_oid *k)
{
	size_t i;

	memcpy(&i, k->id, sizeof(i));
	for (i &= a - 1; r[i].used && !git_oid_equal(&r[i].key, k);
			i = (i + 1) & (a - 1))
		;
	return i;
}

static void rec_put(crq_table *t, const git_oid *k, const void *val,
	size_t len, int pending)
{
	struct rec *r;
	size_t i;

	if ((t->nrec + 1) * 4 > t->arec * 3) {
		struct rec *old = t->recs;
		size_t a = t->arec;

		t->arec = a ? a * 2 : 64;
		t->recs = crq__calloc(t->arec, sizeof(*t->recs));
		for (i = 0; i < a; i++)
			if (old[i].used)
				t->recs[rec_slot(t->recs, t->arec,
					&old[i].key)] = old[i];
		free(old);
	}
	r = &t->recs[rec_slot(t->recs, t->arec, k)];
	if (r->used) {
		if (r->len == len && !memcmp(r->val, val, len)) {
			if (pending && !r->pending)
				t->npending++;
			r->pending |= pending;
			return;
		}
		free(r->val);
	} else {
		t->nrec++;
	}
	r->used = 1;
	git_oid_cpy(&r->key, k);
	r->val = crq__malloc(len ? len : 1);
	memcpy(r->val, val, len);
	r->len = (uint32_t)len;
	if (pending && !r->pending)
		t->npending++;
	r->pending |= pending;
}

/* ---- the files ---- */

static void unmap(crq_table *t)
{
	if (t->map) {
		crq__grow((void **)&t->retired, &t->aretired, t->nretired + 1,
			sizeof(*t->retired));
		t->retired[t->nretired].map = t->map;
		t->retired[t->nretired++].size = t->mapsize;
	}
	free(t->checked);
	t->map = NULL;
	t->checked = NULL;
	t->count = t->data_len = 0;
}

/* A checksum failed: the file is never trusted again, and goes. */
static void drop(crq_table *t, const char *path)
{
	t->bad = 1;
	unmap(t);
	unlink(path);
}

static void map_sorted(crq_table *t)
{
	struct stat st;
	uint64_t nb;
	int fd = open(t->path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return;
	if (fstat(fd, &st) < 0) {
		close(fd);
		return;
	}
	if (st.st_size < HEAD) {
		close(fd);
		drop(t, t->path);
		return;
	}
	t->mapsize = (size_t)st.st_size;
	t->map = mmap(NULL, t->mapsize, PROT_READ, MAP_PRIVATE, fd, 0);
	close(fd);
	if (t->map == MAP_FAILED) {
		t->map = NULL;
		return;
	}
	t->count = crq_cache__get64(t->map + 8);
	t->data_len = crq_cache__get64(t->map + 16);
	nb = (t->count + BLOCK - 1) / BLOCK;
	if (memcmp(t->map, MAGIC, 8) ||
	    get32(t->map + 1048) != crc(t->map, 1048) ||
	    t->count > (1ull << 32) || t->data_len > (1ull << 32) ||
	    t->mapsize != HEAD + t->count * ENTRY + nb * 4 + t->data_len ||
	    get32(t->map + 24 + 255 * 4) != t->count) {
		drop(t, t->path);
		return;
	}
	t->entries = t->map + HEAD;
	t->bcrc = t->entries + t->count * ENTRY;
	t->data = t->bcrc + nb * 4;
	t->checked = crq__calloc(nb ? nb : 1, 1);
}

static int block_ok(crq_table *t, uint64_t i)
{
	uint64_t b = i / BLOCK, first = b * BLOCK, n = t->count - first;

	if (t->checked[b])
		return 1;
	n = n > BLOCK ? BLOCK : n;
	if (get32(t->bcrc + b * 4) != crc(t->entries + first * ENTRY,
			(size_t)(n * ENTRY))) {
		drop(t, t->path);
		return 0;
	}
	t->checked[b] = 1;
	return 1;
}

static void read_overlay(crq_table *t)
{
	crq_buf path = CRQ_BUF_INIT, text = CRQ_BUF_INIT;
	size_t at = 8;
	int fd;

	crq_buf_printf(&path, "%s.new", t->path);
	if ((fd = open(path.ptr, O_RDONLY | O_CLOEXEC)) < 0)
		goto done;
	if (crq__read_fd(fd, &text, 256u << 20) < 0 || text.size < 8 ||
	    memcmp(text.ptr, OMAGIC, 8)) {
		close(fd);
		drop(t, path.ptr);
		map_sorted(t);	/* only the overlay was bad */
		t->bad = 1;
		goto done;
	}
	close(fd);
	while (at < text.size) {
		const unsigned char *r = (const unsigned char *)text.ptr + at;
		uint32_t len;
		git_oid k;

		if (text.size - at < 28 ||
		    (len = get32(r + 20)) > text.size - at - 28 ||
		    get32(r + 24) != (crc(r, 24) ^ crc(r + 28, len))) {
			/* a torn or altered overlay: none of it is kept */
			size_t i;

			for (i = 0; i < t->arec; i++)
				if (t->recs[i].used && !t->recs[i].pending) {
					free(t->recs[i].val);
					memset(&t->recs[i], 0,
						sizeof(t->recs[i]));
					t->nrec--;
				}
			unlink(path.ptr);
			t->bad = 1;
			break;
		}
		git_oid_fromraw(&k, r);
		rec_put(t, &k, r + 28, len, 0);
		at += 28 + len;
	}
done:
	crq_buf_dispose(&path);
	crq_buf_dispose(&text);
}

crq_table *crq_cache__open_at(const char *folder, const char *name)
{
	crq_table *t;
	crq_buf dir = CRQ_BUF_INIT;

	t = crq__calloc(1, sizeof(*t));
	crq_buf_printf(&dir, "%s/%s", folder, name);
	t->path = crq__strdup(dir.ptr);
	crq_buf_dispose(&dir);
	map_sorted(t);
	read_overlay(t);
	return t;
}

void crq_cache__close(crq_table *t)
{
	size_t i;

	if (!t)
		return;
	unmap(t);
	for (i = 0; i < t->nretired; i++)
		munmap(t->retired[i].map, t->retired[i].size);
	free(t->retired);
	for (i = 0; i < t->arec; i++)
		if (t->recs[i].used)
			free(t->recs[i].val);
	free(t->recs);
	free(t->path);
	free(t);
}

size_t crq_cache__count(const crq_table *t)
{
	return t ? (size_t)t->count + t->nrec : 0;
}

const void *crq_cache__get(crq_table *t, const git_oid *key, size_t *len)
{
	uint64_t lo, hi;
	unsigned b = key->id[0];

	if (!t)
		return NULL;
	if (t->arec) {
		struct rec *r = &t->recs[rec_slot(t->recs, t->arec, key)];

		if (r->used) {
			*len = r->len;
			return r->val;
		}
	}
	if (!t->map)
		return NULL;
	lo = b ? get32(t->map + 24 + (b - 1) * 4) : 0;
	hi = get32(t->map + 24 + b * 4);
	if (hi > t->count || lo > hi) {
		drop(t, t->path);
		return NULL;
	}
	while (lo < hi) {
		uint64_t mid = lo + (hi - lo) / 2;
		const unsigned char *e;
		int c;

		if (!block_ok(t, mid))
			return NULL;
		e = t->entries + mid * ENTRY;
		c = memcmp(e, key->id, GIT_OID_RAWSZ);
		if (c < 0) {
			lo = mid + 1;
		} else if (c > 0) {
			hi = mid;
		} else {
			uint32_t off = get32(e + 20), n = get32(e + 24);

			if ((uint64_t)off + n > t->data_len ||
			    get32(e + 28) != crc(t->data + off, n)) {
				drop(t, t->path);
				return NULL;
			}
			*len = n;
			return t->data + off;
		}
	}
	return NULL;
}

void crq_cache__put(crq_table *t, const git_oid *key, const void *val,
	size_t len)
{
	if (t && len < (1u << 30))
		rec_put(t, key, val, len, 1);
}

/* ---- writing ---- */

static int lock_take(const char *lock)
{
	struct stat st;
	int fd, tries;

	for (tries = 0; tries < 2; tries++) {
		fd = open(lock, O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0666);
		if (fd >= 0) {
			close(fd);
			return 1;
		}
		/* a writer killed mid-write leaves its lock behind */
		if (errno != EEXIST || stat(lock, &st) < 0 ||
		    time(NULL) - st.st_mtime < STALE_LOCK)
			return 0;
		unlink(lock);
	}
	return 0;
}

/* Write p to tmp and rename it to path. */
static int replace_file(const char *path, const crq_buf *p)
{
	crq_buf tmp = CRQ_BUF_INIT;
	int fd, ok = 0;

	crq_buf_printf(&tmp, "%s.tmp", path);
	fd = open(tmp.ptr, O_CREAT | O_TRUNC | O_WRONLY | O_CLOEXEC, 0666);
	if (fd >= 0) {
		ok = crq__write_all(fd, p->ptr, p->size) == 0;
		ok = close(fd) == 0 && ok;
		ok = ok && rename(tmp.ptr, path) == 0;
		if (!ok)
			unlink(tmp.ptr);
	}
	crq_buf_dispose(&tmp);
	return ok;
}

struct sorted {
	const unsigned char *key, *val;
	uint32_t len;
};

static int by_key(const void *a, const void *b)
{
	return memcmp(((const struct sorted *)a)->key,
		((const struct sorted *)b)->key, GIT_OID_RAWSZ);
}

/* The sorted file of everything: the old one's entries and the
 * records, one each. */
static int write_sorted(crq_table *t)
{
	struct sorted *all;
	crq_buf out = CRQ_BUF_INIT;
	size_t n = 0, k, i, nb;
	uint64_t data = 0;
	uint32_t fan[256] = { 0 };
	unsigned char *p;
	int ok;

	all = crq__calloc(t->count + t->nrec + 1, sizeof(*all));
	for (i = 0; i < t->arec; i++)
		if (t->recs[i].used) {
			all[n].key = t->recs[i].key.id;
			all[n].val = t->recs[i].val;
			all[n++].len = t->recs[i].len;
		}
	for (i = 0; t->map && i < t->count; i++) {
		const unsigned char *e = t->entries + i * ENTRY;
		uint32_t off = get32(e + 20), len = get32(e + 24);

		if (!block_ok(t, i) || (uint64_t)off + len > t->data_len ||
		    get32(e + 28) != crc(t->data + off, len)) {
			/* the old file is bad: keep only the records */
			drop(t, t->path);
			n = t->nrec;
			break;
		}
		all[n].key = e;
		all[n].val = t->data + off;
		all[n++].len = len;
	}
	crq__sort(all, n, sizeof(*all), by_key);
	/* a key twice (the records first): keep one */
	for (i = k = 0; i < n; i++)
		if (!k || memcmp(all[k - 1].key, all[i].key, GIT_OID_RAWSZ))
			all[k++] = all[i];
	n = k;
	for (i = 0; i < n; i++) {
		fan[all[i].key[0]]++;
		data += all[i].len;
	}
	if (data >= (1ull << 32)) {
		free(all);
		return 0;
	}
	for (i = 1; i < 256; i++)
		fan[i] += fan[i - 1];
	nb = (n + BLOCK - 1) / BLOCK;
	crq_buf_grow(&out, HEAD + n * ENTRY + nb * 4 + (size_t)data);
	p = (unsigned char *)out.ptr;
	memset(p, 0, HEAD);
	memcpy(p, MAGIC, 8);
	crq_cache__put64(p + 8, n);
	crq_cache__put64(p + 16, data);
	for (i = 0; i < 256; i++)
		put32(p + 24 + i * 4, fan[i]);
	put32(p + 1048, crc(p, 1048));
	data = 0;
	for (i = 0; i < n; i++) {
		unsigned char *e = p + HEAD + i * ENTRY;

		memcpy(e, all[i].key, GIT_OID_RAWSZ);
		put32(e + 20, (uint32_t)data);
		put32(e + 24, all[i].len);
		put32(e + 28, crc(all[i].val, all[i].len));
		memcpy(p + HEAD + n * ENTRY + nb * 4 + data, all[i].val,
			all[i].len);
		data += all[i].len;
	}
	for (i = 0; i < nb; i++) {
		size_t m = n - i * BLOCK > BLOCK ? BLOCK : n - i * BLOCK;

		put32(p + HEAD + n * ENTRY + i * 4,
			crc(p + HEAD + i * BLOCK * ENTRY, m * ENTRY));
	}
	out.size = HEAD + n * ENTRY + nb * 4 + (size_t)data;
	ok = replace_file(t->path, &out);
	crq_buf_dispose(&out);
	free(all);
	return ok;
}

static int write_overlay(crq_table *t, const char *path)
{
	crq_buf out = CRQ_BUF_INIT;
	size_t i;
	int ok;

	crq_buf_put(&out, OMAGIC, 8);
	for (i = 0; i < t->arec; i++) {
		const struct rec *r = &t->recs[i];
		unsigned char h[28];

		if (!r->used)
			continue;
		memcpy(h, r->key.id, GIT_OID_RAWSZ);
		put32(h + 20, r->len);
		put32(h + 24, crc(h, 24) ^ crc(r->val, r->len));
		crq_buf_put(&out, (const char *)h, sizeof(h));
		crq_buf_put(&out, (const char *)r->val, r->len);
	}
	ok = replace_file(path, &out);
	crq_buf_dispose(&out);
	return ok;
}

int crq_cache__flush(crq_table *t)
{
	crq_buf lock = CRQ_BUF_INIT, ov = CRQ_BUF_INIT, dir = CRQ_BUF_INIT;
	char *slash;
	size_t i;

	if (!t || !t->npending)
		return 0;
	crq_buf_puts(&dir, t->path);
	if ((slash = strrchr(dir.ptr, '/'))) {
		*slash = '\0';
		if ((slash = strrchr(dir.ptr, '/'))) {
			*slash = '\0';
			mkdir(dir.ptr, 0777);		/* .git/crq */
			*slash = '/';
		}
		mkdir(dir.ptr, 0777);			/* .git/crq/cache */
	}
	crq_buf_printf(&lock, "%s.lock", t->path);
	crq_buf_printf(&ov, "%s.new", t->path);
	if (!lock_take(lock.ptr))
		goto done;
	/* another writer may have written since this table was opened */
	unmap(t);
	map_sorted(t);
	read_overlay(t);
	if (t->nrec >= OVERLAY_MAX || (!t->map && t->nrec > BLOCK)) {
		if (write_sorted(t))
			unlink(ov.ptr);
	} else {
		write_overlay(t, ov.ptr);
	}
	unlink(lock.ptr);
	for (i = 0; i < t->arec; i++)
		t->recs[i].pending = 0;
	t->npending = 0;
done:
	crq_buf_dispose(&lock);
	crq_buf_dispose(&ov);
	crq_buf_dispose(&dir);
	return 0;
}

/* ---- status and clear ---- */

/* Check every checksum of t; 0 when one fails (t is then dropped). */
static int check_all(crq_table *t)
{
	uint64_t i;

	if (t->bad)
		return 0;
	for (i = 0; t->map && i < t->count; i++) {
		const unsigned char *e = t->entries + i * ENTRY;
		uint32_t off = get32(e + 20), len = get32(e + 24);

		if (!block_ok(t, i))
			return 0;
		if ((uint64_t)off + len > t->data_len ||
		    get32(e + 28) != crc(t->data + off, len)) {
			drop(t, t->path);
			return 0;
		}
		if (i && memcmp(e - ENTRY, e, GIT_OID_RAWSZ) >= 0) {
			drop(t, t->path);	/* out of order */
			return 0;
		}
	}
	return !t->bad;
}

static int by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int crq_cache__status_at(crq_node **out, const char *folder, int enabled)
{
	crq_buf dir = CRQ_BUF_INIT, path = CRQ_BUF_INIT;
	crq_node *o = crq_node_new(CRQ_NODE_OBJECT);
	crq_node *tables = crq_node_new(CRQ_NODE_ARRAY);
	char **names = NULL;
	size_t n = 0, a = 0, i;
	long long total = 0;
	struct dirent *d;
	DIR *dp;

	crq_buf_puts(&dir, folder);
	crq_node_set(o, "path", crq_node_new_cstr(dir.ptr));
	crq_node_set(o, "enabled", crq_node_new_bool(enabled));
	if ((dp = opendir(dir.ptr))) {
		while ((d = readdir(dp))) {
			size_t len = strlen(d->d_name);
			struct stat st;

			if (d->d_name[0] == '.')
				continue;
			crq_buf_clear(&path);
			crq_buf_printf(&path, "%s/%s", dir.ptr, d->d_name);
			if (stat(path.ptr, &st) == 0)
				total += (long long)st.st_size;
			if ((len > 4 && (!strcmp(d->d_name + len - 4, ".new") ||
					 !strcmp(d->d_name + len - 4, ".tmp"))) ||
			    (len > 5 && !strcmp(d->d_name + len - 5, ".lock")))
				len -= d->d_name[len - 5] == '.' ? 5 : 4;
			for (i = 0; i < n; i++)
				if (strlen(names[i]) == len &&
				    !strncmp(names[i], d->d_name, len))
					break;
			if (i == n) {
				crq__grow((void **)&names, &a, n + 1,
					sizeof(*names));
				names[n++] = crq__strndup(d->d_name, len);
			}
		}
		closedir(dp);
	}
	if (n)
		crq__sort(names, n, sizeof(*names), by_name);
	for (i = 0; i < n; i++) {
		crq_node *e = crq_node_new(CRQ_NODE_OBJECT);
		crq_table *t = crq__calloc(1, sizeof(*t));
		long long bytes = 0;
		struct stat st;
		int ok;

		crq_buf_clear(&path);
		crq_buf_printf(&path, "%s/%s", dir.ptr, names[i]);
		t->path = crq__strdup(path.ptr);
		if (stat(path.ptr, &st) == 0)
			bytes += (long long)st.st_size;
		crq_buf_puts(&path, ".new");
		if (stat(path.ptr, &st) == 0)
			bytes += (long long)st.st_size;
		map_sorted(t);
		read_overlay(t);
		ok = check_all(t);
		crq_node_set(e, "name", crq_node_new_cstr(names[i]));
		crq_node_set(e, "entries", crq_node_new_int(
			(long long)crq_cache__count(t)));
		crq_node_set(e, "bytes", crq_node_new_int(bytes));
		/* a table that failed a checksum is gone now: rebuilt as
		 * commands run */
		crq_node_set(e, "ok", crq_node_new_bool(ok));
		crq_node_push(tables, e);
		crq_cache__close(t);
		free(names[i]);
	}
	free(names);
	crq_node_set(o, "bytes", crq_node_new_int(total));
	crq_node_set(o, "tables", tables);
	*out = o;
	crq_buf_dispose(&dir);
	crq_buf_dispose(&path);
	return 0;
}

int crq_cache__clear_at(const char *folder)
{
	crq_buf dir = CRQ_BUF_INIT, path = CRQ_BUF_INIT;
	struct dirent *d;
	DIR *dp;
	int err = 0;

	crq_buf_puts(&dir, folder);
	if ((dp = opendir(dir.ptr))) {
		while ((d = readdir(dp))) {
			if (!strcmp(d->d_name, ".") || !strcmp(d->d_name, ".."))
				continue;
			crq_buf_clear(&path);
			crq_buf_printf(&path, "%s/%s", dir.ptr, d->d_name);
			if (unlink(path.ptr) < 0 && errno != ENOENT)
				err = crq_error__set(CRQ_EREPO,
					"cannot remove %s: %s", path.ptr,
					strerror(errno));
		}
		closedir(dp);
		if (!err && rmdir(dir.ptr) < 0 && errno != ENOENT)
			err = crq_error__set(CRQ_EREPO, "cannot remove %s: %s",
				dir.ptr, strerror(errno));
	} else if (errno != ENOENT) {
		err = crq_error__set(CRQ_EREPO, "cannot read %s: %s", dir.ptr,
			strerror(errno));
	}
	crq_buf_dispose(&dir);
	crq_buf_dispose(&path);
	return err;
}
