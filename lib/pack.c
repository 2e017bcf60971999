/*
 * pack.c - objects held in memory by a backend in front of git's
 * object database, then written as one pack file and its index.
 *
 * Formats: git's Documentation/gitformat-pack.txt (pack version 2,
 * index version 2).  Every object goes in whole (zlib) or as a
 * REF_DELTA against an earlier object of the same pack, so the pack
 * stands alone as git requires of the packs in objects/pack.  The
 * delta of a new version against the old one of the same path is the
 * common head and tail copied and the middle inserted: one changed
 * entry of a tree, one edited stretch of a change file.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <git2/sys/odb_backend.h>
#include <openssl/evp.h>
#include <zlib.h>
#include "pack.h"

#define HASH_LEN 20
#define MAX_DEPTH 50		/* git's default pack.depth */
#define OBJ_REF_DELTA 7
#define COPY_MAX 0x10000	/* what git's own encoder copies at once */

struct obj {
	git_oid id;
	git_object_t type;
	unsigned char *data;
	size_t len;
	size_t base;		/* 1 + the index of its delta base, 0 none */
	unsigned depth;
};

/* A pack this handle wrote, for merging. */
struct written {
	char hex[GIT_OID_HEXSZ + 1];
	size_t size;		/* of the .pack */
};

struct crq_pack {
	git_odb_backend be;	/* first: libgit2 hands us this pointer */
	git_repository *git;
	struct written *packs;	/* oldest first */
	size_t npacks, apacks;
	size_t made;		/* packs written and merged */
	struct obj *objs;
	size_t count, alloc;
	size_t *slots;		/* open addressing: 1 + index, 0 free */
	size_t nslots;
	size_t bytes;
};

static size_t slot_of(const crq_pack *p, const git_oid *id)
{
	size_t h;

	memcpy(&h, id->id, sizeof(h));
	return h & (p->nslots - 1);
}

/* 1 + the index of id, 0 when not held */
static size_t find(const crq_pack *p, const git_oid *id)
{
	size_t i;

	if (!p->nslots)
		return 0;
	for (i = slot_of(p, id); p->slots[i]; i = (i + 1) & (p->nslots - 1))
		if (git_oid_equal(&p->objs[p->slots[i] - 1].id, id))
			return p->slots[i];
	return 0;
}

static void rehash(crq_pack *p, size_t n)
{
	size_t i, j;

	free(p->slots);
	p->nslots = n;
	p->slots = crq__calloc(n, sizeof(*p->slots));
	for (i = 0; i < p->count; i++) {
		for (j = slot_of(p, &p->objs[i].id); p->slots[j];
		     j = (j + 1) & (n - 1))
			;
		p->slots[j] = i + 1;
	}
}

static int be_write(git_odb_backend *be, const git_oid *id, const void *data,
	size_t len, git_object_t type)
{
	crq_pack *p = (crq_pack *)be;
	struct obj *o;

	if (find(p, id))
		return 0;
	crq__grow((void **)&p->objs, &p->alloc, p->count + 1, sizeof(*p->objs));
	o = &p->objs[p->count++];
	memset(o, 0, sizeof(*o));
	git_oid_cpy(&o->id, id);
	o->type = type;
	o->len = len;
	o->data = crq__malloc(len ? len : 1);
	memcpy(o->data, data, len);
	p->bytes += len;
	if (p->count * 2 > p->nslots)
		rehash(p, p->nslots ? p->nslots * 2 : 1024);
	else {
		size_t j;

		for (j = slot_of(p, id); p->slots[j];
		     j = (j + 1) & (p->nslots - 1))
			;
		p->slots[j] = p->count;
	}
	return 0;
}

static int be_read(void **out, size_t *len, git_object_t *type,
	git_odb_backend *be, const git_oid *id)
{
	crq_pack *p = (crq_pack *)be;
	size_t i = find(p, id);
	const struct obj *o;

	if (!i)
		return GIT_ENOTFOUND;
	o = &p->objs[i - 1];
	if (!(*out = git_odb_backend_data_alloc(be, o->len ? o->len : 1)))
		return -1;
	memcpy(*out, o->data, o->len);
	*len = o->len;
	*type = o->type;
	return 0;
}

static int be_read_header(size_t *len, git_object_t *type,
	git_odb_backend *be, const git_oid *id)
{
	crq_pack *p = (crq_pack *)be;
	size_t i = find(p, id);

	if (!i)
		return GIT_ENOTFOUND;
	*len = p->objs[i - 1].len;
	*type = p->objs[i - 1].type;
	return 0;
}

static int be_exists(git_odb_backend *be, const git_oid *id)
{
	return find((crq_pack *)be, id) != 0;
}

/* An abbreviated id (len hex digits): the held object it names. */
static size_t find_prefix(const crq_pack *p, const git_oid *short_id,
	size_t len, int *ambiguous)
{
	size_t i, hit = 0;

	*ambiguous = 0;
	for (i = 0; i < p->count; i++)
		if (!git_oid_ncmp(&p->objs[i].id, short_id, len)) {
			if (hit)
				*ambiguous = 1;
			hit = i + 1;
		}
	return hit;
}

static int be_exists_prefix(git_oid *out, git_odb_backend *be,
	const git_oid *short_id, size_t len)
{
	int amb;
	size_t i = find_prefix((crq_pack *)be, short_id, len, &amb);

	if (amb)
		return GIT_EAMBIGUOUS;
	if (!i)
		return GIT_ENOTFOUND;
	git_oid_cpy(out, &((crq_pack *)be)->objs[i - 1].id);
	return 0;
}

static int be_read_prefix(git_oid *out, void **data, size_t *len,
	git_object_t *type, git_odb_backend *be, const git_oid *short_id,
	size_t n)
{
	int amb, err;
	size_t i = find_prefix((crq_pack *)be, short_id, n, &amb);

	if (amb)
		return GIT_EAMBIGUOUS;
	if (!i)
		return GIT_ENOTFOUND;
	git_oid_cpy(out, &((crq_pack *)be)->objs[i - 1].id);
	err = be_read(data, len, type, be, out);
	return err;
}

static int be_foreach(git_odb_backend *be, git_odb_foreach_cb cb, void *payload)
{
	crq_pack *p = (crq_pack *)be;
	size_t i;
	int err;

	for (i = 0; i < p->count; i++)
		if ((err = cb(&p->objs[i].id, payload)) != 0)
			return err;
	return 0;
}

static void clear(crq_pack *p)
{
	size_t i;

	for (i = 0; i < p->count; i++)
		free(p->objs[i].data);
	p->count = 0;
	p->bytes = 0;
	if (p->nslots)
		memset(p->slots, 0, p->nslots * sizeof(*p->slots));
	/* a write goes through to git's backends again */
	p->be.write = NULL;
}

static void be_free(git_odb_backend *be)
{
	crq_pack *p = (crq_pack *)be;

	clear(p);
	free(p->objs);
	free(p->slots);
	free(p->packs);
	free(p);
}

int crq_pack__attach(crq_pack **out, git_repository *git)
{
	crq_pack *p = crq__calloc(1, sizeof(*p));
	git_odb *odb = NULL;
	int err;

	*out = NULL;
	git_odb_init_backend(&p->be, GIT_ODB_BACKEND_VERSION);
	p->git = git;
	p->be.read = be_read;
	p->be.read_prefix = be_read_prefix;
	p->be.read_header = be_read_header;
	p->be.exists = be_exists;
	p->be.exists_prefix = be_exists_prefix;
	p->be.foreach = be_foreach;
	p->be.free = be_free;
	/* write stays NULL until crq_pack__hold: libgit2 skips a backend
	 * that cannot write, so nothing lands here by accident */
	if ((err = git_repository_odb(&odb, git)) < 0 ||
	    (err = git_odb_add_backend(odb, &p->be, 1000)) < 0) {
		git_odb_free(odb);
		free(p);
		return crq_error__set(CRQ_EREPO, "cannot hold objects: %s",
			git_error_last() ? git_error_last()->message : "?");
	}
	git_odb_free(odb);
	*out = p;
	return 0;
}

void crq_pack__hold(crq_pack *p)
{
	p->be.write = be_write;
}

void crq_pack__hint(crq_pack *p, const git_oid *obj, const git_oid *base)
{
	size_t i = find(p, obj), b = find(p, base);

	if (!i || !b || b >= i || p->objs[b - 1].depth >= MAX_DEPTH ||
	    p->objs[b - 1].type != p->objs[i - 1].type)
		return;
	p->objs[i - 1].base = b;
	p->objs[i - 1].depth = p->objs[b - 1].depth + 1;
}

size_t crq_pack__count(const crq_pack *p)
{
	return p->count;
}

size_t crq_pack__bytes(const crq_pack *p)
{
	return p->bytes;
}

void crq_pack__drop(crq_pack *p)
{
	clear(p);
}

size_t crq_pack__made(const crq_pack *p)
{
	return p->made;
}

void crq_pack__adopt(crq_pack *p, const crq_pack *old)
{
	crq__grow((void **)&p->packs, &p->apacks, old->npacks + 1,
		sizeof(*p->packs));
	memcpy(p->packs, old->packs, old->npacks * sizeof(*p->packs));
	p->npacks = old->npacks;
}

/* ---- writing ---- */

static void delta_size(crq_buf *d, size_t n)
{
	do {
		unsigned char c = n & 0x7f;

		n >>= 7;
		if (n)
			c |= 0x80;
		crq_buf_putc(d, (char)c);
	} while (n);
}

static void delta_copy(crq_buf *d, size_t off, size_t len)
{
	while (len) {
		size_t n = len < COPY_MAX ? len : COPY_MAX;
		unsigned char op[8];
		int k = 1, i;

		op[0] = 0x80;
		for (i = 0; i < 4; i++)
			if ((off >> (8 * i)) & 0xff) {
				op[0] |= (unsigned char)(1 << i);
				op[k++] = (unsigned char)(off >> (8 * i));
			}
		/* a size of 0x10000 is written as none at all */
		for (i = 0; i < 3 && n != COPY_MAX; i++)
			if ((n >> (8 * i)) & 0xff) {
				op[0] |= (unsigned char)(0x10 << i);
				op[k++] = (unsigned char)(n >> (8 * i));
			}
		crq_buf_put(d, (const char *)op, (size_t)k);
		off += n;
		len -= n;
	}
}

static void delta_insert(crq_buf *d, const unsigned char *p, size_t len)
{
	while (len) {
		size_t n = len < 127 ? len : 127;

		crq_buf_putc(d, (char)n);
		crq_buf_put(d, (const char *)p, n);
		p += n;
		len -= n;
	}
}

/* The delta that makes t from b: their common head, the middle of t,
 * their common tail. */
static void make_delta(crq_buf *d, const struct obj *b, const struct obj *t)
{
	size_t head = 0, tail = 0, max = b->len < t->len ? b->len : t->len;

	while (head < max && b->data[head] == t->data[head])
		head++;
	while (tail < max - head &&
	       b->data[b->len - 1 - tail] == t->data[t->len - 1 - tail])
		tail++;
	delta_size(d, b->len);
	delta_size(d, t->len);
	delta_copy(d, 0, head);
	delta_insert(d, t->data + head, t->len - head - tail);
	delta_copy(d, b->len - tail, tail);
}

static int deflate_into(crq_buf *out, const unsigned char *data, size_t len)
{
	z_stream z;
	uLong bound;
	int rc;

	memset(&z, 0, sizeof(z));
	if (deflateInit(&z, Z_DEFAULT_COMPRESSION) != Z_OK)
		return -1;
	bound = deflateBound(&z, (uLong)len);
	crq_buf_grow(out, bound);
	z.next_in = (Bytef *)data;
	z.avail_in = (uInt)len;
	z.next_out = (Bytef *)out->ptr + out->size;
	z.avail_out = (uInt)bound;
	rc = deflate(&z, Z_FINISH);
	if (rc == Z_STREAM_END)
		out->size += z.total_out;
	deflateEnd(&z);
	return rc == Z_STREAM_END ? 0 : -1;
}

/* One object's entry: the type-and-size header, the base for a
 * delta, the deflated bytes. */
static int put_object(crq_buf *pack, const crq_pack *p, const struct obj *o,
	crq_buf *scratch)
{
	const unsigned char *data = o->data;
	size_t len = o->len;
	unsigned type = (unsigned)o->type;
	unsigned char hdr[16];
	size_t n = 0;

	if (o->base) {
		crq_buf_clear(scratch);
		make_delta(scratch, &p->objs[o->base - 1], o);
		/* worth it only when it saves most of the object */
		if (scratch->size < o->len / 2) {
			data = (const unsigned char *)scratch->ptr;
			len = scratch->size;
			type = OBJ_REF_DELTA;
		}
	}
	hdr[n] = (unsigned char)(type << 4 | (len & 15));
	len >>= 4;
	while (len) {
		hdr[n++] |= 0x80;
		hdr[n] = len & 0x7f;
		len >>= 7;
	}
	n++;
	crq_buf_put(pack, (const char *)hdr, n);
	if (type == OBJ_REF_DELTA) {
		crq_buf_put(pack, (const char *)p->objs[o->base - 1].id.id,
			HASH_LEN);
		return deflate_into(pack, data, scratch->size);
	}
	return deflate_into(pack, data, o->len);
}

static int sha1(unsigned char *out, const void *data, size_t n)
{
	unsigned int len = 0;

	return EVP_Digest(data, n, out, &len, EVP_sha1(), NULL) == 1 &&
		len == HASH_LEN ? 0 : -1;
}

static void put32(crq_buf *b, uint32_t v)
{
	unsigned char c[4] = { (unsigned char)(v >> 24),
		(unsigned char)(v >> 16), (unsigned char)(v >> 8),
		(unsigned char)v };

	crq_buf_put(b, (const char *)c, 4);
}

static const crq_pack *sort_pack;

static int by_id(const void *a, const void *b)
{
	return git_oid_cmp(&sort_pack->objs[*(const size_t *)a].id,
		&sort_pack->objs[*(const size_t *)b].id);
}

/* The index (version 2) of the pack: fan-out, ids, CRCs, offsets. */
static void make_idx(crq_buf *idx, const crq_pack *p, const uint64_t *offs,
	const uint32_t *crcs, const unsigned char *pack_sum)
{
	size_t *order = crq__calloc(p->count, sizeof(*order));
	size_t i, large = 0;
	unsigned char sum[HASH_LEN];
	uint32_t fan[256];

	for (i = 0; i < p->count; i++)
		order[i] = i;
	sort_pack = p;
	crq__sort(order, p->count, sizeof(*order), by_id);
	memset(fan, 0, sizeof(fan));
	for (i = 0; i < p->count; i++)
		fan[p->objs[i].id.id[0]]++;
	for (i = 1; i < 256; i++)
		fan[i] += fan[i - 1];
	crq_buf_put(idx, "\377tOc", 4);
	put32(idx, 2);
	for (i = 0; i < 256; i++)
		put32(idx, fan[i]);
	for (i = 0; i < p->count; i++)
		crq_buf_put(idx, (const char *)p->objs[order[i]].id.id,
			HASH_LEN);
	for (i = 0; i < p->count; i++)
		put32(idx, crcs[order[i]]);
	for (i = 0; i < p->count; i++) {
		uint64_t o = offs[order[i]];

		if (o < 0x80000000u)
			put32(idx, (uint32_t)o);
		else
			put32(idx, 0x80000000u | (uint32_t)large++);
	}
	for (i = 0; i < p->count; i++) {
		uint64_t o = offs[order[i]];

		if (o >= 0x80000000u) {
			put32(idx, (uint32_t)(o >> 32));
			put32(idx, (uint32_t)o);
		}
	}
	crq_buf_put(idx, (const char *)pack_sum, HASH_LEN);
	sha1(sum, idx->ptr, idx->size);
	crq_buf_put(idx, (const char *)sum, HASH_LEN);
	free(order);
}

/* data into a new file at tmp (a template for mkstemp), synced. */
static int write_synced(crq_buf *tmp, const crq_buf *data)
{
	int fd = mkstemp(tmp->ptr), err = 0;

	if (fd < 0)
		return crq_error__set(CRQ_EREPO, "cannot create '%s': %s",
			tmp->ptr, strerror(errno));
	/* read-only, as git leaves its packs */
	if (fchmod(fd, 0444) < 0 || crq__write_all(fd, data->ptr, data->size) < 0 ||
	    fsync(fd) < 0)
		err = crq_error__set(CRQ_EREPO, "cannot write '%s': %s",
			tmp->ptr, strerror(errno));
	if (close(fd) < 0 && !err)
		err = crq_error__set(CRQ_EREPO, "cannot write '%s': %s",
			tmp->ptr, strerror(errno));
	if (err)
		unlink(tmp->ptr);
	return err;
}

static int sync_dir(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC), err = 0;

	if (fd < 0 || fsync(fd) < 0)
		err = crq_error__set(CRQ_EREPO, "cannot sync '%s': %s", dir,
			strerror(errno));
	if (fd >= 0)
		close(fd);
	return err;
}

/* ---- merging packs ---- */

/* A pack and its index, mapped. */
struct mapped {
	const unsigned char *pack, *idx;
	size_t pack_len, idx_len, count;
};

static void unmap(struct mapped *m)
{
	if (m->pack)
		munmap((void *)m->pack, m->pack_len);
	if (m->idx)
		munmap((void *)m->idx, m->idx_len);
	memset(m, 0, sizeof(*m));
}

static const unsigned char *map_file(const char *path, size_t *len)
{
	struct stat st;
	void *p;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return NULL;
	if (fstat(fd, &st) < 0 || st.st_size <= 0) {
		close(fd);
		return NULL;
	}
	p = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	close(fd);
	if (p == MAP_FAILED)
		return NULL;
	*len = (size_t)st.st_size;
	return p;
}

static uint32_t get32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
		(uint32_t)p[2] << 8 | p[3];
}

/* Map pack-HEX.{pack,idx} under dir and check what merging relies on:
 * a version 2 index of as many objects as the pack says. */
static int map_pack(struct mapped *m, const char *dir, const char *hex)
{
	crq_buf path = CRQ_BUF_INIT;
	size_t n;

	memset(m, 0, sizeof(*m));
	crq_buf_printf(&path, "%s/pack-%s.pack", dir, hex);
	m->pack = map_file(path.ptr, &m->pack_len);
	crq_buf_clear(&path);
	crq_buf_printf(&path, "%s/pack-%s.idx", dir, hex);
	m->idx = map_file(path.ptr, &m->idx_len);
	crq_buf_dispose(&path);
	if (!m->pack || !m->idx || m->pack_len < 32 || m->idx_len < 8 + 1024 ||
	    memcmp(m->pack, "PACK", 4) || get32(m->pack + 4) != 2 ||
	    memcmp(m->idx, "\377tOc", 4) || get32(m->idx + 4) != 2)
		goto bad;
	n = get32(m->idx + 8 + 255 * 4);
	if (n != get32(m->pack + 8) ||
	    m->idx_len < 8 + 1024 + n * (HASH_LEN + 8) + 2 * HASH_LEN)
		goto bad;
	m->count = n;
	return 0;
bad:
	unmap(m);
	return -1;
}

/* The offset in its pack of the object at position i of the index. */
static uint64_t idx_offset(const struct mapped *m, size_t i)
{
	const unsigned char *off = m->idx + 8 + 1024 + m->count * (HASH_LEN + 4);
	uint32_t o = get32(off + 4 * i);
	const unsigned char *big;

	if (!(o & 0x80000000u))
		return o;
	big = off + 4 * m->count + 8 * (size_t)(o & 0x7fffffffu);
	if (big + 8 > m->idx + m->idx_len - 2 * HASH_LEN)
		return 0;
	return (uint64_t)get32(big) << 32 | get32(big + 4);
}

static void unlink_pack(const char *dir, const char *hex)
{
	crq_buf path = CRQ_BUF_INIT;

	/* the index first: a reader never finds an index without its pack */
	crq_buf_printf(&path, "%s/pack-%s.idx", dir, hex);
	unlink(path.ptr);
	crq_buf_clear(&path);
	crq_buf_printf(&path, "%s/pack-%s.pack", dir, hex);
	unlink(path.ptr);
	crq_buf_dispose(&path);
}

/*
 * The last two packs this handle wrote, as one: their entries copied
 * byte for byte, each pack's as one block, so that a delta's base (by
 * id, or by distance within the block) stays where it points; their
 * objects are distinct, as each was written once.  Then a new index,
 * synced, renamed in, and only then the two old packs removed.
 */
static int merge_last(crq_pack *p, const char *dir)
{
	struct written *a = &p->packs[p->npacks - 2], *b = a + 1;
	struct mapped ma, mb;
	crq_buf pack = CRQ_BUF_INIT, idx = CRQ_BUF_INIT, tmp = CRQ_BUF_INIT,
		name = CRQ_BUF_INIT;
	unsigned char sum[HASH_LEN];
	char hex[GIT_OID_HEXSZ + 1];
	git_oid sum_oid;
	size_t i, j, n, large = 0, blen;
	uint32_t fan[256];
	int err = -1;

	if (map_pack(&ma, dir, a->hex) < 0)
		return -1;
	if (map_pack(&mb, dir, b->hex) < 0) {
		unmap(&ma);
		return -1;
	}
	n = ma.count + mb.count;
	blen = ma.pack_len - 12 - HASH_LEN;	/* where b's block starts,
						 * less the header */
	crq_buf_grow(&pack, ma.pack_len + mb.pack_len);
	crq_buf_put(&pack, "PACK", 4);
	put32(&pack, 2);
	put32(&pack, (uint32_t)n);
	crq_buf_put(&pack, (const char *)ma.pack + 12, blen);
	crq_buf_put(&pack, (const char *)mb.pack + 12,
		mb.pack_len - 12 - HASH_LEN);
	sha1(sum, pack.ptr, pack.size);
	crq_buf_put(&pack, (const char *)sum, HASH_LEN);
	/* the index: the two sorted id lists merged */
	memset(fan, 0, sizeof(fan));
	crq_buf_put(&idx, "\377tOc", 4);
	put32(&idx, 2);
	{
		const unsigned char *ia = ma.idx + 8 + 1024,
			*ib = mb.idx + 8 + 1024;
		size_t *from = crq__calloc(n + 1, sizeof(*from));
		size_t k;

		for (i = j = k = 0; k < n; k++) {
			int take_a = j >= mb.count || (i < ma.count &&
				memcmp(ia + i * HASH_LEN, ib + j * HASH_LEN,
					HASH_LEN) < 0);

			if (!take_a && i < ma.count && !memcmp(ia + i * HASH_LEN,
					ib + j * HASH_LEN, HASH_LEN)) {
				free(from);
				goto done;	/* an object in both */
			}
			from[k] = take_a ? i++ : ma.count + j++;
		}
		for (k = 0; k < n; k++)
			fan[from[k] < ma.count ? ia[from[k] * HASH_LEN] :
				ib[(from[k] - ma.count) * HASH_LEN]]++;
		for (k = 1; k < 256; k++)
			fan[k] += fan[k - 1];
		for (k = 0; k < 256; k++)
			put32(&idx, fan[k]);
		for (k = 0; k < n; k++)
			crq_buf_put(&idx, from[k] < ma.count ?
				(const char *)ia + from[k] * HASH_LEN :
				(const char *)ib + (from[k] - ma.count) * HASH_LEN,
				HASH_LEN);
		for (k = 0; k < n; k++) {
			const struct mapped *m = from[k] < ma.count ? &ma : &mb;
			size_t at = from[k] < ma.count ? from[k] :
				from[k] - ma.count;

			crq_buf_put(&idx, (const char *)m->idx + 8 + 1024 +
				m->count * HASH_LEN + at * 4, 4);
		}
		for (k = 0; k < 2; k++) {
			size_t q;

			for (q = 0; q < n; q++) {
				const struct mapped *m = from[q] < ma.count ?
					&ma : &mb;
				size_t at = from[q] < ma.count ? from[q] :
					from[q] - ma.count;
				uint64_t o = idx_offset(m, at) +
					(m == &mb ? blen : 0);

				if (k == 0)
					put32(&idx, o < 0x80000000u ? (uint32_t)o :
						0x80000000u | (uint32_t)large++);
				else if (o >= 0x80000000u) {
					put32(&idx, (uint32_t)(o >> 32));
					put32(&idx, (uint32_t)o);
				}
			}
		}
		free(from);
	}
	crq_buf_put(&idx, (const char *)sum, HASH_LEN);
	{
		unsigned char isum[HASH_LEN];

		sha1(isum, idx.ptr, idx.size);
		crq_buf_put(&idx, (const char *)isum, HASH_LEN);
	}
	git_oid_fromraw(&sum_oid, sum);
	git_oid_tostr(hex, sizeof(hex), &sum_oid);
	crq_buf_printf(&tmp, "%s/tmp_crq_pack_XXXXXX", dir);
	if (write_synced(&tmp, &pack) < 0)
		goto done;
	crq_buf_printf(&name, "%s/pack-%s.pack", dir, hex);
	if (rename(tmp.ptr, name.ptr) < 0) {
		unlink(tmp.ptr);
		goto done;
	}
	crq_buf_clear(&tmp);
	crq_buf_printf(&tmp, "%s/tmp_crq_idx_XXXXXX", dir);
	crq_buf_clear(&name);
	crq_buf_printf(&name, "%s/pack-%s.idx", dir, hex);
	if (write_synced(&tmp, &idx) < 0 || rename(tmp.ptr, name.ptr) < 0 ||
	    sync_dir(dir) < 0) {
		unlink(tmp.ptr);
		goto done;
	}
	unlink_pack(dir, a->hex);
	unlink_pack(dir, b->hex);
	memcpy(a->hex, hex, sizeof(hex));
	a->size = pack.size;
	p->npacks--;
	p->made++;
	err = 0;
done:
	if (err)
		crq_error_clear();
	unmap(&ma);
	unmap(&mb);
	crq_buf_dispose(&pack);
	crq_buf_dispose(&idx);
	crq_buf_dispose(&tmp);
	crq_buf_dispose(&name);
	return err;
}

int crq_pack__write(crq_pack *p)
{
	crq_buf pack = CRQ_BUF_INIT, idx = CRQ_BUF_INIT, scratch = CRQ_BUF_INIT,
		dir = CRQ_BUF_INIT, tpack = CRQ_BUF_INIT, tidx = CRQ_BUF_INIT,
		name = CRQ_BUF_INIT;
	uint64_t *offs = NULL;
	uint32_t *crcs = NULL;
	unsigned char sum[HASH_LEN];
	char hex[GIT_OID_HEXSZ + 1];
	git_oid sum_oid;
	git_odb *odb = NULL;
	size_t i;
	int err = 0;

	if (!p->count)
		goto done;
	offs = crq__calloc(p->count, sizeof(*offs));
	crcs = crq__calloc(p->count, sizeof(*crcs));
	crq_buf_grow(&pack, p->bytes / 4 + 4096);
	crq_buf_put(&pack, "PACK", 4);
	put32(&pack, 2);
	put32(&pack, (uint32_t)p->count);
	for (i = 0; i < p->count; i++) {
		offs[i] = pack.size;
		if (put_object(&pack, p, &p->objs[i], &scratch) < 0) {
			err = crq_error__set(CRQ_EREPO,
				"cannot compress an object for the pack");
			goto done;
		}
		crcs[i] = (uint32_t)crc32(0, (const Bytef *)pack.ptr + offs[i],
			(uInt)(pack.size - offs[i]));
	}
	sha1(sum, pack.ptr, pack.size);
	crq_buf_put(&pack, (const char *)sum, HASH_LEN);
	make_idx(&idx, p, offs, crcs, sum);
	git_oid_fromraw(&sum_oid, sum);
	git_oid_tostr(hex, sizeof(hex), &sum_oid);

	crq_buf_printf(&dir, "%sobjects/pack", git_repository_path(p->git));
	if (mkdir(dir.ptr, 0777) < 0 && errno != EEXIST) {
		err = crq_error__set(CRQ_EREPO, "cannot create '%s': %s",
			dir.ptr, strerror(errno));
		goto done;
	}
	crq_buf_printf(&tpack, "%s/tmp_crq_pack_XXXXXX", dir.ptr);
	crq_buf_printf(&tidx, "%s/tmp_crq_idx_XXXXXX", dir.ptr);
	if ((err = write_synced(&tpack, &pack)) < 0)
		goto done;
	if ((err = write_synced(&tidx, &idx)) < 0) {
		unlink(tpack.ptr);
		goto done;
	}
	/* the pack before its index: readers find a pack by its index */
	crq_buf_printf(&name, "%s/pack-%s.pack", dir.ptr, hex);
	if (rename(tpack.ptr, name.ptr) < 0) {
		err = crq_error__set(CRQ_EREPO, "cannot write '%s': %s",
			name.ptr, strerror(errno));
		unlink(tpack.ptr);
		unlink(tidx.ptr);
		goto done;
	}
	crq_buf_clear(&name);
	crq_buf_printf(&name, "%s/pack-%s.idx", dir.ptr, hex);
	if (rename(tidx.ptr, name.ptr) < 0) {
		err = crq_error__set(CRQ_EREPO, "cannot write '%s': %s",
			name.ptr, strerror(errno));
		unlink(tidx.ptr);
		goto done;
	}
	/* durable before any ref names what is in it */
	if ((err = sync_dir(dir.ptr)) < 0)
		goto done;
	crq__grow((void **)&p->packs, &p->apacks, p->npacks + 1,
		sizeof(*p->packs));
	memcpy(p->packs[p->npacks].hex, hex, sizeof(hex));
	p->packs[p->npacks++].size = pack.size;
	p->made++;
	clear(p);
	/* a long batch writes a pack a group: merged as they pile up, the
	 * sizes at least doubling from the newest back, so that a batch
	 * leaves a handful of packs, not one per group.  A merge that
	 * fails leaves the packs as they are, which is sound. */
	while (p->npacks >= 2 && p->packs[p->npacks - 2].size <
			2 * p->packs[p->npacks - 1].size &&
	       merge_last(p, dir.ptr) == 0)
		;
	if (git_repository_odb(&odb, p->git) == 0)
		git_odb_refresh(odb);
	git_odb_free(odb);
done:
	free(offs);
	free(crcs);
	crq_buf_dispose(&pack);
	crq_buf_dispose(&idx);
	crq_buf_dispose(&scratch);
	crq_buf_dispose(&dir);
	crq_buf_dispose(&tpack);
	crq_buf_dispose(&tidx);
	crq_buf_dispose(&name);
	return err;
}
