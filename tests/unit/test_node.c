/*
 * test_node.c - crq_buf, crq_node and the error slot.
 */
#include "testutil.h"
#include <stdlib.h>
#include <unistd.h>

static void test_buf(void **state)
{
	crq_buf b = CRQ_BUF_INIT;
	char *p;
	int i;

	(void)state;
	assert_string_equal(crq_buf_cstr(&b), "");
	crq_buf_puts(&b, "ab");
	crq_buf_putc(&b, 'c');
	crq_buf_printf(&b, "%d-%s", 42, "x");
	assert_string_equal(b.ptr, "abc42-x");
	assert_int_equal(b.size, 7);
	for (i = 0; i < 10000; i++)
		crq_buf_put(&b, "0123456789", 10);
	assert_int_equal(b.size, 100007);
	assert_int_equal(b.ptr[b.size], '\0');
	crq_buf_clear(&b);
	assert_int_equal(b.size, 0);
	assert_string_equal(b.ptr, "");
	crq_buf_puts(&b, "keep");
	p = crq_buf_detach(&b);
	assert_string_equal(p, "keep");
	assert_null(b.ptr);
	free(p);
	p = crq_buf_detach(&b);
	assert_string_equal(p, "");
	free(p);
	crq_buf_dispose(&b);
}

static void test_read_file(void **state)
{
	crq_buf b = CRQ_BUF_INIT;
	char path[] = "/tmp/crq-test-XXXXXX";
	int fd = mkstemp(path);
	FILE *f = fdopen(fd, "w");

	(void)state;
	fputs("hello world", f);
	fclose(f);
	assert_crq_ok(crq_buf_read_file(&b, path, 100));
	assert_string_equal(b.ptr, "hello world");
	crq_buf_clear(&b);
	assert_crq_fails(crq_buf_read_file(&b, path, 5), CRQ_EINVALID,
		"larger than 5 bytes");
	unlink(path);
	crq_buf_clear(&b);
	assert_crq_fails(crq_buf_read_file(&b, path, 100), CRQ_ENOTFOUND,
		"cannot open");
	crq_buf_dispose(&b);
}

static void test_node_object(void **state)
{
	crq_node *o = crq_node_new(CRQ_NODE_OBJECT), *d;
	int i;
	char key[16];

	(void)state;
	crq_node_set(o, "b", crq_node_new_int(1));
	crq_node_set(o, "a", crq_node_new_cstr("x"));
	for (i = 0; i < 50; i++) {
		snprintf(key, sizeof(key), "k%d", i);
		crq_node_set(o, key, crq_node_new_bool(i & 1));
	}
	assert_int_equal(o->count, 52);
	assert_string_equal(o->keys[0], "b");
	assert_string_equal(o->keys[1], "a");
	/* replacing keeps the position */
	crq_node_set(o, "b", crq_node_new_cstr("y"));
	assert_string_equal(o->keys[0], "b");
	assert_string_equal(crq_node_get_str(o, "b"), "y");
	assert_null(crq_node_get_str(o, "k1"));
	assert_int_equal(crq_node_get(o, "k1")->b, 1);
	assert_int_equal(crq_node_index(o, "zz"), -1);
	d = crq_node_dup(o);
	assert_true(crq_node_equal(o, d));
	assert_int_equal(crq_node_remove(d, "a"), 1);
	assert_int_equal(crq_node_remove(d, "a"), 0);
	assert_false(crq_node_equal(o, d));
	assert_int_equal(d->count, 51);
	assert_string_equal(d->keys[1], "k0");
	crq_node_free(d);
	crq_node_free(o);
	crq_node_free(NULL);
}

static void test_node_equal(void **state)
{
	crq_node *a = crq_node_new(CRQ_NODE_OBJECT);
	crq_node *b = crq_node_new(CRQ_NODE_OBJECT);
	crq_node *n = crq_node_new(CRQ_NODE_NUMBER);

	(void)state;
	/* key order does not matter; 1 == 1.0 */
	crq_node_set(a, "x", crq_node_new_int(1));
	crq_node_set(a, "y", crq_node_new_cstr("s"));
	crq_node_set(b, "y", crq_node_new_cstr("s"));
	n->n = 1.0;
	crq_node_set(b, "x", n);
	assert_true(crq_node_equal(a, b));
	crq_node_set(b, "x", crq_node_new_bool(1));
	assert_false(crq_node_equal(a, b));
	crq_node_free(a);
	crq_node_free(b);
}

static void test_node_path(void **state)
{
	crq_node *r = crq_node_new(CRQ_NODE_OBJECT);
	crq_node *w = crq_node_new(CRQ_NODE_OBJECT);

	(void)state;
	crq_node_set(w, "start", crq_node_new_cstr("t0"));
	crq_node_set(r, "window", w);
	assert_string_equal(crq_node_path(r, "window.start")->str, "t0");
	assert_null(crq_node_path(r, "window.end"));
	assert_null(crq_node_path(r, "window.start.x"));
	assert_ptr_equal(crq_node_path(r, "window"), w);
	crq_node_free(r);
}

/* lib-internal, tested here: the UTF-8 check behind both parsers */
int crq_utf8__valid(const char *s, size_t len, size_t *bad);

static void test_utf8(void **state)
{
	static const struct {
		const char *s;
		int ok;
		size_t bad;
	} cases[] = {
		{ "plain ascii, longer than eight bytes", 1, 0 },
		{ "0123456789abcdef\xc3\xa9", 1, 0 },
		{ "01234567\xe2\x82\xac" "01234567", 1, 0 },
		{ "0123456789abcde\xff", 0, 15 },
		{ "01234567\x80", 0, 8 },
		{ "0123456\xc3", 0, 7 },	/* truncated at the end */
		{ "\xc0\xaf", 0, 0 },		/* overlong */
		{ "ab\xed\xa0\x80", 0, 2 },	/* surrogate */
		{ "\xf4\x90\x80\x80", 0, 0 },	/* above U+10FFFF */
		{ "\xf0\x9f\x98\x80 emoji", 1, 0 },
	};
	size_t i, bad;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		bad = 99;
		assert_int_equal(crq_utf8__valid(cases[i].s,
			strlen(cases[i].s), &bad), cases[i].ok);
		if (!cases[i].ok)
			assert_int_equal(bad, cases[i].bad);
	}
}

static void test_error(void **state)
{
	(void)state;
	crq_error_clear();
	assert_string_equal(crq_error_last(), "no error");
	assert_int_equal(crq_error_code(), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_buf),
		cmocka_unit_test(test_read_file),
		cmocka_unit_test(test_node_object),
		cmocka_unit_test(test_node_equal),
		cmocka_unit_test(test_node_path),
		cmocka_unit_test(test_utf8),
		cmocka_unit_test(test_error),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
