/*
 * nodebin.c - the binary form of a node tree (see nodebin.h).
 *
 *   tree  := "CNB1" node
 *   node  := tag [vals] [line col] [b] [i] [n] [len bytes] [count kids]
 *   tag   := one byte: kind (bits 0-2), STR (3: str is set), POS (4:
 *            line or col is not 0), PLAIN (5), VALS (6: a vals byte
 *            follows); bit 7 is 0
 *   vals  := one byte, not 0: B (bit 0: b is not 0), I (1), N (2)
 *   kids  := for an ARRAY count nodes, for an OBJECT count (key node)
 *            pairs, a key being len bytes without a NUL
 * Numbers are LEB128 varints (b and i zigzag-coded), n the 8 bytes of
 * the double, little-endian.  Only ARRAY and OBJECT have a count.
 *
 * Fields a parser leaves at zero cost nothing, so a schema or a policy
 * takes about as many bytes as its text.  The decoder trusts nothing:
 * a cached value passed its checksum, but a checksum is not a proof
 * that this code wrote the bytes.  Each length and count is checked
 * against the bytes left before anything is allocated for it (every
 * node takes at least one byte, so a count cannot ask for more memory
 * than a few times the input).
 */
#include <link.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "nodebin.h"

#define MAGIC "CNB1"
#define T_STR 0x08
#define T_POS 0x10
#define T_PLAIN 0x20
#define T_VALS 0x40
#define V_B 0x01
#define V_I 0x02
#define V_N 0x04

/* ---- encoding ---- */

static void put_uv(crq_buf *out, unsigned long long v)
{
	unsigned char b[10];
	size_t n = 0;

	do {
		b[n] = (unsigned char)(v & 0x7f);
		v >>= 7;
		if (v)
			b[n] |= 0x80;
		n++;
	} while (v);
	crq_buf_put(out, (const char *)b, n);
}

static unsigned long long zigzag(long long v)
{
	return ((unsigned long long)v << 1) ^ (v < 0 ? ~0ull : 0);
}

static int encode(crq_buf *out, const crq_node *n, int depth)
{
	unsigned char tag, vals = 0;
	size_t i;

	if (depth > CRQ_NODEBIN_MAX_DEPTH ||
	    (unsigned)n->kind > CRQ_NODE_OBJECT)
		return -1;
	if (n->kind != CRQ_NODE_ARRAY && n->kind != CRQ_NODE_OBJECT &&
	    n->count)
		return -1;
	if ((n->kind == CRQ_NODE_OBJECT && n->count && !n->keys) ||
	    (n->kind == CRQ_NODE_ARRAY && n->keys))
		return -1;
	vals = (n->b ? V_B : 0) | (n->i ? V_I : 0);
	{
		uint64_t bits;

		memcpy(&bits, &n->n, sizeof(bits));
		if (bits)
			vals |= V_N;
	}
	tag = (unsigned char)n->kind | (n->str ? T_STR : 0) |
		(n->line || n->col ? T_POS : 0) | (n->plain ? T_PLAIN : 0) |
		(vals ? T_VALS : 0);
	crq_buf_put(out, (const char *)&tag, 1);
	if (vals)
		crq_buf_put(out, (const char *)&vals, 1);
	if (tag & T_POS) {
		put_uv(out, n->line);
		put_uv(out, n->col);
	}
	if (vals & V_B)
		put_uv(out, zigzag(n->b));
	if (vals & V_I)
		put_uv(out, zigzag(n->i));
	if (vals & V_N) {
		unsigned char b[8];
		uint64_t bits;

		memcpy(&bits, &n->n, sizeof(bits));
		for (i = 0; i < 8; i++)
			b[i] = (unsigned char)(bits >> (8 * i));
		crq_buf_put(out, (const char *)b, 8);
	}
	if (n->str) {
		put_uv(out, n->len);
		crq_buf_put(out, n->str, n->len);
	}
	if (n->kind != CRQ_NODE_ARRAY && n->kind != CRQ_NODE_OBJECT)
		return 0;
	put_uv(out, n->count);
	for (i = 0; i < n->count; i++) {
		if (n->kind == CRQ_NODE_OBJECT) {
			size_t k = strlen(n->keys[i]);

			put_uv(out, k);
			crq_buf_put(out, n->keys[i], k);
		}
		if (!n->items[i] || encode(out, n->items[i], depth + 1) < 0)
			return -1;
	}
	return 0;
}

int crq_nodebin__encode(crq_buf *out, const crq_node *n)
{
	size_t was = out->size;

	crq_buf_put(out, MAGIC, 4);
	if (!n || encode(out, n, 0) < 0) {
		out->size = was;
		if (out->ptr)
			out->ptr[was] = '\0';
		return crq_error__set(CRQ_EINVALID,
			"a tree the cache cannot hold");
	}
	return 0;
}

/* ---- decoding ---- */

/*
 * Two passes over the bytes with the same code and the same checks:
 * the first (a NULL) only counts the nodes, item slots and string
 * bytes; the second carves the tree out of one allocation of that
 * size (see crq_node.block).  A tree of a thousand nodes then costs
 * one malloc and one free, not four thousand of each.
 */
struct rd {
	const unsigned char *p, *end;
	/* the block: counted by the first pass, filled by the second */
	crq_node *nodes;
	crq_node **slots;
	char *chars;
	size_t nnodes, nslots, nchars;
};

static int get_uv(struct rd *r, unsigned long long *out)
{
	unsigned long long v = 0;
	int shift;

	for (shift = 0; shift < 70; shift += 7) {
		unsigned c;

		if (r->p == r->end)
			return -1;
		c = *r->p++;
		/* the tenth byte holds the 64th bit only */
		if (shift == 63 && c > 1)
			return -1;
		v |= (unsigned long long)(c & 0x7f) << shift;
		if (!(c & 0x80)) {
			*out = v;
			return 0;
		}
	}
	return -1;
}

static long long unzigzag(unsigned long long v)
{
	return (long long)(v >> 1) ^ -(long long)(v & 1);
}

/* A length no larger than the bytes left. */
static int get_len(struct rd *r, size_t *out)
{
	unsigned long long v;

	if (get_uv(r, &v) < 0 || v > (unsigned long long)(r->end - r->p))
		return -1;
	*out = (size_t)v;
	return 0;
}

/* len bytes of the input as a NUL-terminated string of the block (the
 * first pass only counts them). */
static char *take_chars(struct rd *r, size_t len)
{
	char *s = NULL;

	if (r->chars) {
		s = r->chars;
		memcpy(s, r->p, len);
		s[len] = '\0';
		r->chars += len + 1;
	} else {
		r->nchars += len + 1;
	}
	r->p += len;
	return s;
}

static int decode(struct rd *r, crq_node **out, int depth)
{
	unsigned char tag, vals = 0;
	unsigned long long v;
	crq_node scratch, *n;
	crq_node **items = NULL;
	char **keys = NULL;
	size_t i, count, len;

	if (depth > CRQ_NODEBIN_MAX_DEPTH || r->p == r->end)
		return -1;
	tag = *r->p++;
	if ((tag & 0x80) || (tag & 7) > CRQ_NODE_OBJECT)
		return -1;
	if (tag & T_VALS) {
		if (r->p == r->end)
			return -1;
		vals = *r->p++;
		if (!vals || (vals & ~(V_B | V_I | V_N)))
			return -1;
	}
	if (r->nodes) {
		n = r->nodes++;
		n->block = CRQ_NODE_BLOCK;
	} else {
		n = &scratch;
		memset(n, 0, sizeof(*n));
		r->nnodes++;
	}
	/* scratch does not outlive this call */
	*out = r->nodes ? n : NULL;
	n->kind = (crq_node_kind)(tag & 7);
	n->plain = !!(tag & T_PLAIN);
	if (tag & T_POS) {
		if (get_uv(r, &v) < 0 || v > 0xffffffffu)
			return -1;
		n->line = (unsigned)v;
		if (get_uv(r, &v) < 0 || v > 0xffffffffu)
			return -1;
		n->col = (unsigned)v;
	}
	if (vals & V_B) {
		long long b;

		if (get_uv(r, &v) < 0)
			return -1;
		b = unzigzag(v);
		if (b < -2147483647LL - 1 || b > 2147483647LL)
			return -1;
		n->b = (int)b;
	}
	if (vals & V_I) {
		if (get_uv(r, &v) < 0)
			return -1;
		n->i = unzigzag(v);
	}
	if (vals & V_N) {
		uint64_t bits = 0;

		if (r->end - r->p < 8)
			return -1;
		for (i = 0; i < 8; i++)
			bits |= (uint64_t)r->p[i] << (8 * i);
		r->p += 8;
		memcpy(&n->n, &bits, sizeof(bits));
	}
	if (tag & T_STR) {
		if (get_len(r, &len) < 0)
			return -1;
		n->len = len;
		n->str = take_chars(r, len);
	}
	if (n->kind != CRQ_NODE_ARRAY && n->kind != CRQ_NODE_OBJECT)
		return 0;
	/* each item takes a byte at least, each member two */
	if (get_len(r, &count) < 0 ||
	    (n->kind == CRQ_NODE_OBJECT && count > (size_t)(r->end - r->p) / 2))
		return -1;
	if (!count)
		return 0;
	if (r->slots) {
		items = r->slots;
		r->slots += count;
		if (n->kind == CRQ_NODE_OBJECT) {
			keys = (char **)r->slots;
			r->slots += count;
		}
	} else {
		r->nslots += n->kind == CRQ_NODE_OBJECT ? 2 * count : count;
	}
	for (i = 0; i < count; i++) {
		crq_node *kid;

		if (n->kind == CRQ_NODE_OBJECT) {
			char *key;

			if (get_len(r, &len) < 0 || memchr(r->p, '\0', len))
				return -1;
			key = take_chars(r, len);
			if (keys)
				keys[i] = key;
		}
		if (decode(r, &kid, depth + 1) < 0)
			return -1;
		if (items)
			items[i] = kid;
	}
	n->items = items;
	n->keys = keys;
	n->count = n->alloc = count;
	return 0;
}

int crq_nodebin__decode(crq_node **out, const void *data, size_t len)
{
	struct rd r;
	crq_node *root, *block;
	size_t size;

	*out = NULL;
	memset(&r, 0, sizeof(r));
	if (!data || len < 4 || memcmp(data, MAGIC, 4))
		goto bad;
	r.p = (const unsigned char *)data + 4;
	r.end = (const unsigned char *)data + len;
	if (decode(&r, &root, 0) < 0 || r.p != r.end)
		goto bad;
	/* each count is bounded by len: the sum does not overflow */
	size = r.nnodes * sizeof(crq_node) + r.nslots * sizeof(crq_node *) +
		r.nchars;
	block = crq__calloc(1, size);
	r.nodes = block;
	r.slots = (crq_node **)(block + r.nnodes);
	r.chars = (char *)(r.slots + r.nslots);
	r.p = (const unsigned char *)data + 4;
	if (decode(&r, &root, 0) < 0 || r.p != r.end || root != block) {
		free(block);	/* cannot be: the bytes passed once */
		goto bad;
	}
	root->block = CRQ_NODE_BLOCK_ROOT;
	*out = root;
	return 0;
bad:
	return crq_error__set(CRQ_EINVALID, "a malformed cached tree");
}

/* ---- the build stamp ---- */

struct find_id {
	uintptr_t addr;		/* an address in the object sought */
	unsigned long long stamp;
	int found;
};

static unsigned long long fnv(unsigned long long h, const void *p, size_t n)
{
	const unsigned char *b = p;
	size_t i;

	for (i = 0; i < n; i++)
		h = (h ^ b[i]) * 0x100000001b3ull;
	return h;
}

static int each_object(struct dl_phdr_info *info, size_t size, void *data)
{
	struct find_id *f = data;
	int i, here = 0;

	(void)size;
	for (i = 0; i < info->dlpi_phnum; i++) {
		const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
		uintptr_t lo = info->dlpi_addr + ph->p_vaddr;

		if (ph->p_type == PT_LOAD && f->addr >= lo &&
		    f->addr - lo < ph->p_memsz)
			here = 1;
	}
	if (!here)
		return 0;
	for (i = 0; i < info->dlpi_phnum; i++) {
		const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
		const unsigned char *p, *end;

		if (ph->p_type != PT_NOTE)
			continue;
		p = (const unsigned char *)(info->dlpi_addr + ph->p_vaddr);
		end = p + ph->p_memsz;
		while ((size_t)(end - p) >= sizeof(ElfW(Nhdr))) {
			const ElfW(Nhdr) *nh = (const ElfW(Nhdr) *)p;
			size_t name = (nh->n_namesz + 3) & ~(size_t)3;
			size_t desc = (nh->n_descsz + 3) & ~(size_t)3;
			const unsigned char *d;

			if ((size_t)(end - p) - sizeof(*nh) < name + desc)
				break;
			d = p + sizeof(*nh) + name;
			if (nh->n_type == NT_GNU_BUILD_ID &&
			    nh->n_namesz == 4 && nh->n_descsz >= 8 &&
			    !memcmp(p + sizeof(*nh), "GNU", 4)) {
				f->stamp = fnv(0xcbf29ce484222325ull, d,
					nh->n_descsz);
				f->found = 1;
				return 1;
			}
			p = d + desc;
		}
	}
	return 1;
}

unsigned long long crq_nodebin__build_stamp(void)
{
	static const char build[] = CRQ_VERSION " " __DATE__ " " __TIME__;
	struct find_id f;

	/* the id the linker computed from all of the code, where there is
	 * one; the compile time of this file misses a change elsewhere */
	memset(&f, 0, sizeof(f));
	f.addr = (uintptr_t)&crq_nodebin__build_stamp;
	dl_iterate_phdr(each_object, &f);
	if (f.found)
		return f.stamp;
	return fnv(0xcbf29ce484222325ull, build, sizeof(build) - 1);
}
