/*
 * test_nodebin.c - the binary form of node trees kept in the cache
 * (lib/nodebin.c): a round trip gives the same tree field by field, and
 * malformed bytes (truncated, flipped, hostile counts) are refused
 * without a read outside them.
 */
#include "testutil.h"
#include <limits.h>
#include <math.h>
#include "internal.h"
#include "nodebin.h"

/* Field-by-field equality (stricter than crq_node_equal: key order,
 * positions, the plain flag, the bits of a double, str on any kind). */
static int same(const crq_node *a, const crq_node *b)
{
	size_t i;

	if (a->kind != b->kind || a->plain != b->plain ||
	    a->line != b->line || a->col != b->col || a->b != b->b ||
	    a->i != b->i || memcmp(&a->n, &b->n, sizeof(a->n)) ||
	    !a->str != !b->str || a->count != b->count)
		return 0;
	if (a->str && (a->len != b->len || memcmp(a->str, b->str, a->len) ||
	    b->str[b->len] != '\0'))
		return 0;
	if (!a->keys != !b->keys)
		return 0;
	for (i = 0; i < a->count; i++) {
		if (a->keys && strcmp(a->keys[i], b->keys[i]))
			return 0;
		if (!same(a->items[i], b->items[i]))
			return 0;
	}
	return 1;
}

/* Every node of a decoded tree is in its block, the root owning it. */
static int all_block(const crq_node *n, int root)
{
	size_t i;

	if (n->block != (root ? CRQ_NODE_BLOCK_ROOT : CRQ_NODE_BLOCK))
		return 0;
	for (i = 0; i < n->count; i++)
		if (!all_block(n->items[i], 0))
			return 0;
	return 1;
}

static void round_trip(const crq_node *n)
{
	crq_buf b = CRQ_BUF_INIT;
	crq_node *back = NULL, *dup;

	assert_crq_ok(crq_nodebin__encode(&b, n));
	assert_crq_ok(crq_nodebin__decode(&back, b.ptr, b.size));
	assert_true(same(n, back));
	assert_true(all_block(back, 1));
	/* a copy of a loaded tree is an ordinary one */
	dup = crq_node_dup(back);
	assert_int_equal(dup->block, 0);
	assert_true(same(n, dup));
	if (dup->kind == CRQ_NODE_OBJECT)
		crq_node_set(dup, "added", crq_node_new_int(1));
	crq_node_free(dup);
	/* freeing an inner node of a block frees nothing */
	if (back->count)
		crq_node_free(back->items[0]);
	crq_node_free(back);
	crq_buf_dispose(&b);
}

static crq_node *num(double d)
{
	crq_node *n = crq_node_new(CRQ_NODE_NUMBER);

	n->n = d;
	return n;
}

static crq_node *odd_tree(void)
{
	crq_node *o = crq_node_new(CRQ_NODE_OBJECT), *a, *s;

	crq_node_set(o, "null", crq_node_new(CRQ_NODE_NULL));
	crq_node_set(o, "t", crq_node_new_bool(1));
	crq_node_set(o, "f", crq_node_new_bool(0));
	crq_node_set(o, "min", crq_node_new_int(LLONG_MIN));
	crq_node_set(o, "max", crq_node_new_int(LLONG_MAX));
	crq_node_set(o, "minus1", crq_node_new_int(-1));
	crq_node_set(o, "zero", crq_node_new_int(0));
	crq_node_set(o, "negzero", num(-0.0));
	crq_node_set(o, "inf", num(INFINITY));
	crq_node_set(o, "nan", num(NAN));
	crq_node_set(o, "tiny", num(5e-324));
	crq_node_set(o, "pi", num(3.141592653589793));
	crq_node_set(o, "", crq_node_new_cstr(""));
	crq_node_set(o, "nul", crq_node_new_string("a\0b", 3));
	crq_node_set(o, "utf8",
		crq_node_new_cstr("\xc3\xa9t\xc3\xa9 \xe2\x80\x94"));
	s = crq_node_new_cstr("yes");
	s->plain = 1;
	s->line = 4000000000u;
	s->col = 7;
	crq_node_set(o, "plain", s);
	crq_node_set(o, "emptyobj", crq_node_new(CRQ_NODE_OBJECT));
	crq_node_set(o, "emptyarr", crq_node_new(CRQ_NODE_ARRAY));
	/* the same key twice, as crq_node__append allows */
	crq_node__append(o, crq__strdup("twice"), crq_node_new_int(1));
	crq_node__append(o, crq__strdup("twice"), crq_node_new_int(2));
	a = crq_node_new(CRQ_NODE_ARRAY);
	crq_node_push(a, crq_node_new_int(1));
	crq_node_push(a, crq_node_new(CRQ_NODE_OBJECT));
	crq_node_push(a, crq_node_new(CRQ_NODE_ARRAY));
	crq_node_set(o, "arr", a);
	/* an int that still holds the text it was typed from */
	s = crq_node_new_cstr("12");
	s->kind = CRQ_NODE_INT;
	s->i = 12;
	crq_node_set(o, "typed", s);
	return o;
}

static crq_node *deep(int levels)
{
	crq_node *root = crq_node_new(CRQ_NODE_ARRAY), *n = root;
	int i;

	for (i = 1; i < levels; i++) {
		crq_node *k = crq_node_new(i % 2 ? CRQ_NODE_OBJECT :
			CRQ_NODE_ARRAY);

		if (n->kind == CRQ_NODE_OBJECT)
			crq_node_set(n, "k", k);
		else
			crq_node_push(n, k);
		n = k;
	}
	return root;
}

static unsigned long long rng = 88172645463325252ull;

static unsigned long long next(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static crq_node *random_tree(int depth)
{
	unsigned k = (unsigned)(next() % (depth > 6 ? 5 : 7));
	crq_node *n;
	char key[16];
	size_t i, c;

	switch (k) {
	case 0:
		return crq_node_new(CRQ_NODE_NULL);
	case 1:
		return crq_node_new_bool((int)(next() & 1));
	case 2:
		return crq_node_new_int((long long)next());
	case 3:
		n = num((double)(long long)next() / 1024.0);
		n->line = (unsigned)(next() % 100000);
		n->col = (unsigned)(next() % 300);
		return n;
	case 4:
		c = (size_t)(next() % 40);
		n = crq_node_new_string("", 0);
		free(n->str);
		n->str = crq__malloc(c + 1);
		for (i = 0; i < c; i++)
			n->str[i] = (char)(next() & 0xff);
		n->str[c] = '\0';
		n->len = c;
		n->plain = (int)(next() & 1);
		return n;
	case 5:
		n = crq_node_new(CRQ_NODE_ARRAY);
		for (c = (size_t)(next() % 6), i = 0; i < c; i++)
			crq_node_push(n, random_tree(depth + 1));
		return n;
	default:
		n = crq_node_new(CRQ_NODE_OBJECT);
		for (c = (size_t)(next() % 6), i = 0; i < c; i++) {
			snprintf(key, sizeof(key), "k%llu", next() % 8);
			crq_node__append(n, crq__strdup(key),
				random_tree(depth + 1));
		}
		return n;
	}
}

static void test_round_trip(void **state)
{
	static const char *const files[] = {
		"schemas/change.schema.json", "schemas/policy.schema.json",
		"schemas/audit.schema.json", "schemas/report.schema.json",
	};
	static const char yaml[] =
		"title: x\nrisk: low\nlist: [1, 2.5, yes, ~, '0755']\n"
		"nested:\n  a: {b: c}\n  e: []\n  f: {}\nempty:\n";
	crq_buf text = CRQ_BUF_INIT;
	crq_node *n;
	size_t i;

	(void)state;
	for (i = 0; i < CRQ_ARRAY_SIZE(files); i++) {
		crq_buf_clear(&text);
		assert_crq_ok(crq_buf_read_file(&text, files[i], 1 << 22));
		assert_crq_ok(crq_json_parse(&n, text.ptr, text.size,
			files[i]));
		round_trip(n);
		crq_node_free(n);
	}
	/* a YAML load: positions, plain scalars not typed yet */
	assert_crq_ok(crq_yaml_load(&n, yaml, sizeof(yaml) - 1, "t.yaml"));
	round_trip(n);
	crq_node_free(n);
	n = odd_tree();
	round_trip(n);
	crq_node_free(n);
	/* scalars as roots */
	n = crq_node_new_cstr("alone");
	round_trip(n);
	crq_node_free(n);
	n = crq_node_new(CRQ_NODE_NULL);
	round_trip(n);
	crq_node_free(n);
	n = deep(CRQ_NODEBIN_MAX_DEPTH + 1);
	round_trip(n);
	crq_node_free(n);
	for (i = 0; i < 300; i++) {
		n = random_tree(0);
		round_trip(n);
		crq_node_free(n);
	}
	crq_buf_dispose(&text);
}

static void test_encode_refuses(void **state)
{
	crq_buf b = CRQ_BUF_INIT;
	crq_node *n = deep(CRQ_NODEBIN_MAX_DEPTH + 2), *o;

	(void)state;
	crq_buf_puts(&b, "keep");
	assert_crq_fails(crq_nodebin__encode(&b, n), CRQ_EINVALID,
		"cannot hold");
	assert_string_equal(b.ptr, "keep");
	crq_node_free(n);
	/* children on a scalar */
	n = crq_node_new_int(1);
	n->items = crq__calloc(1, sizeof(*n->items));
	n->items[0] = crq_node_new(CRQ_NODE_NULL);
	n->count = n->alloc = 1;
	assert_int_equal(crq_nodebin__encode(&b, n), CRQ_EINVALID);
	n->kind = CRQ_NODE_ARRAY;
	crq_node_free(n);
	/* an object without keys */
	o = crq_node_new(CRQ_NODE_OBJECT);
	o->items = crq__calloc(1, sizeof(*o->items));
	o->items[0] = crq_node_new(CRQ_NODE_NULL);
	o->count = o->alloc = 1;
	assert_int_equal(crq_nodebin__encode(&b, o), CRQ_EINVALID);
	o->kind = CRQ_NODE_ARRAY;
	crq_node_free(o);
	assert_string_equal(b.ptr, "keep");
	crq_buf_dispose(&b);
}

static void refused(const void *p, size_t len)
{
	crq_node *n = (crq_node *)1;

	assert_int_equal(crq_nodebin__decode(&n, p, len), CRQ_EINVALID);
	assert_null(n);
}

#define R(lit) refused(lit, sizeof(lit) - 1)

static void test_hostile(void **state)
{
	crq_buf b = CRQ_BUF_INIT, h = CRQ_BUF_INIT;
	crq_node *t = odd_tree(), *n;
	size_t i, len;
	char *copy;
	int bit;

	(void)state;
	assert_crq_ok(crq_nodebin__encode(&b, t));
	/* every truncation, each in a buffer of exactly its length (ASan
	 * sees a read past it) */
	for (len = 0; len < b.size; len++) {
		copy = crq__malloc(len ? len : 1);
		memcpy(copy, b.ptr, len);
		refused(copy, len);
		free(copy);
	}
	/* a byte more */
	crq_buf_putc(&b, 0);
	refused(b.ptr, b.size);
	b.size--;
	/* every bit flipped: refused, or some other well-formed tree */
	copy = crq__malloc(b.size);
	for (i = 0; i < b.size; i++)
		for (bit = 0; bit < 8; bit++) {
			memcpy(copy, b.ptr, b.size);
			copy[i] ^= (char)(1 << bit);
			if (crq_nodebin__decode(&n, copy, b.size) == 0) {
				crq_buf r = CRQ_BUF_INIT;

				/* what decodes encodes back to the same bytes
				 * or to an equivalent tree */
				assert_crq_ok(crq_nodebin__encode(&r, n));
				crq_node_free(n);
				crq_buf_dispose(&r);
			}
		}
	free(copy);
	refused(NULL, 0);
	R("CNB0\0");
	R("CNB1");
	R("CNB1\x07");				/* kind 7 */
	R("CNB1\x80");				/* bit 7 */
	R("CNB1\x40\x00");			/* a vals byte of 0 */
	R("CNB1\x40\x08");			/* an unknown vals bit */
	/* an integer of more than 64 bits */
	R("CNB1\x42\x02\xff\xff\xff\xff\xff\xff\xff\xff\xff\x7f");
	R("CNB1\x42\x02\xff\xff\xff\xff\xff\xff\xff\xff\xff\x02");
	R("CNB1\x42\x02\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01");
	R("CNB1\x44\x04\x01\x02\x03");		/* a double cut short */
	R("CNB1\x10\x80\x80\x80\x80\x10\x00");	/* line 2^32 */
	R("CNB1\x41\x01\x80\x80\x80\x80\x10");	/* a bool of 2^31 */
	R("CNB1\x0c\x05" "ab");			/* string past the end */
	R("CNB1\x05\xff\xff\xff\xff\x0f");	/* a huge array */
	R("CNB1\x05\x03\x00\x00");		/* items missing */
	R("CNB1\x06\x02\x01" "a\x00");		/* object cut short */
	R("CNB1\x06\x01\x02" "a\0\x00");		/* NUL in a key */
	R("CNB1\x06\x01\x05" "abc\x00");		/* key past the end */
	/* and what is well-formed decodes */
	assert_crq_ok(crq_nodebin__decode(&n, "CNB1\x06\x01\x01" "a\x00",
		9));
	assert_int_equal(n->kind, CRQ_NODE_OBJECT);
	assert_string_equal(n->keys[0], "a");
	crq_node_free(n);
	/* deeper than the limit */
	crq_buf_put(&h, "CNB1", 4);
	for (i = 0; i < CRQ_NODEBIN_MAX_DEPTH + 1; i++)
		crq_buf_put(&h, "\x05\x01", 2);
	crq_buf_putc(&h, 0);
	refused(h.ptr, h.size);
	/* one level less is fine */
	memmove(h.ptr + 4, h.ptr + 6, h.size - 6);
	h.size -= 2;
	assert_crq_ok(crq_nodebin__decode(&n, h.ptr, h.size));
	crq_node_free(n);
	crq_node_free(t);
	crq_buf_dispose(&b);
	crq_buf_dispose(&h);
}

static void test_stamp(void **state)
{
	(void)state;
	assert_true(crq_nodebin__build_stamp() != 0);
	assert_true(crq_nodebin__build_stamp() == crq_nodebin__build_stamp());
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_encode_refuses),
		cmocka_unit_test(test_hostile),
		cmocka_unit_test(test_stamp),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
