/*
 * test_json.c - the strict JSON parser and the writer.
 */
#include <math.h>
#include <stdlib.h>
#include "testutil.h"

static crq_node *parse_ok(const char *text)
{
	crq_node *n = NULL;

	assert_crq_ok(crq_json_parse(&n, text, strlen(text), "t.json"));
	assert_non_null(n);
	return n;
}

static void parse_fails(const char *text, size_t len, const char *msg)
{
	crq_node *n = (crq_node *)&n;	/* must be reset to NULL */

	assert_crq_fails(crq_json_parse(&n, text, len, "t.json"),
		CRQ_EINVALID, msg);
	assert_null(n);
	/* every message names the input and a position */
	assert_non_null(strstr(crq_error_last(), "t.json:"));
}

#define FAILS(text, msg) parse_fails((text), sizeof(text) - 1, (msg))

/* Write n and compare with want; frees n. */
static void write_is(crq_node *n, int pretty, const char *want)
{
	crq_buf b = CRQ_BUF_INIT;

	crq_json_write(&b, n, pretty);
	assert_string_equal(crq_buf_cstr(&b), want);
	crq_buf_dispose(&b);
	crq_node_free(n);
}

/* Parse text and write it back compactly. */
static void roundtrip(const char *text, const char *want)
{
	write_is(parse_ok(text), 0, want ? want : text);
}

static void test_scalars(void **state)
{
	crq_node *n;

	(void)state;
	n = parse_ok("null");
	assert_int_equal(n->kind, CRQ_NODE_NULL);
	crq_node_free(n);
	n = parse_ok(" true ");
	assert_int_equal(n->kind, CRQ_NODE_BOOL);
	assert_int_equal(n->b, 1);
	crq_node_free(n);
	n = parse_ok("false");
	assert_int_equal(n->kind, CRQ_NODE_BOOL);
	assert_int_equal(n->b, 0);
	crq_node_free(n);
	n = parse_ok("\"hi\"");
	assert_int_equal(n->kind, CRQ_NODE_STRING);
	assert_string_equal(n->str, "hi");
	assert_int_equal(n->len, 2);
	assert_int_equal(n->plain, 0);
	crq_node_free(n);
}

static void test_numbers(void **state)
{
	crq_node *n;

	(void)state;
	n = parse_ok("-42");
	assert_int_equal(n->kind, CRQ_NODE_INT);
	assert_true(n->i == -42);
	crq_node_free(n);
	n = parse_ok("0");
	assert_int_equal(n->kind, CRQ_NODE_INT);
	assert_true(n->i == 0);
	crq_node_free(n);
	n = parse_ok("9223372036854775807");
	assert_int_equal(n->kind, CRQ_NODE_INT);
	assert_true(n->i == 9223372036854775807LL);
	crq_node_free(n);
	/* does not fit in long long: a double */
	n = parse_ok("9223372036854775808");
	assert_int_equal(n->kind, CRQ_NODE_NUMBER);
	assert_true(n->n == 9223372036854775808.0);
	crq_node_free(n);
	n = parse_ok("1.5");
	assert_int_equal(n->kind, CRQ_NODE_NUMBER);
	assert_true(n->n == 1.5);
	crq_node_free(n);
	n = parse_ok("1.0");
	assert_int_equal(n->kind, CRQ_NODE_NUMBER);
	crq_node_free(n);
	n = parse_ok("-2E+3");
	assert_int_equal(n->kind, CRQ_NODE_NUMBER);
	assert_true(n->n == -2000.0);
	crq_node_free(n);
	n = parse_ok("1e-400");
	assert_int_equal(n->kind, CRQ_NODE_NUMBER);
	assert_true(n->n == 0.0);
	crq_node_free(n);
}

static void test_containers(void **state)
{
	crq_node *n;

	(void)state;
	n = parse_ok("{\"b\": [1, {\"c\": null}], \"a\": \"x\"}");
	assert_int_equal(n->kind, CRQ_NODE_OBJECT);
	assert_int_equal(n->count, 2);
	/* source order is kept */
	assert_string_equal(n->keys[0], "b");
	assert_string_equal(n->keys[1], "a");
	assert_int_equal(n->items[0]->kind, CRQ_NODE_ARRAY);
	assert_int_equal(n->items[0]->count, 2);
	assert_int_equal(n->items[0]->items[1]->kind, CRQ_NODE_OBJECT);
	assert_string_equal(crq_node_get_str(n, "a"), "x");
	crq_node_free(n);
	n = parse_ok("[]");
	assert_int_equal(n->kind, CRQ_NODE_ARRAY);
	assert_int_equal(n->count, 0);
	crq_node_free(n);
	n = parse_ok("{ }");
	assert_int_equal(n->kind, CRQ_NODE_OBJECT);
	assert_int_equal(n->count, 0);
	crq_node_free(n);
}

static void test_positions(void **state)
{
	crq_node *n;

	(void)state;
	n = parse_ok("{\n  \"a\": 1,\n  \"b\": [\n"
		"    true, \"\xc3\xa9\", 3\n  ]\n}");
	assert_int_equal(n->line, 1);
	assert_int_equal(n->col, 1);
	assert_int_equal(n->items[0]->line, 2);
	assert_int_equal(n->items[0]->col, 8);
	assert_int_equal(n->items[1]->line, 3);
	assert_int_equal(n->items[1]->col, 8);
	assert_int_equal(n->items[1]->items[0]->line, 4);
	assert_int_equal(n->items[1]->items[0]->col, 5);
	/* columns count characters, not bytes */
	assert_int_equal(n->items[1]->items[2]->line, 4);
	assert_int_equal(n->items[1]->items[2]->col, 16);
	crq_node_free(n);
}

static void test_escapes(void **state)
{
	crq_node *n;

	(void)state;
	n = parse_ok("\"a\\\"b\\\\c\\/d\\b\\f\\n\\r\\t\\u0041\\u00e9\"");
	assert_string_equal(n->str, "a\"b\\c/d\b\f\n\r\tA\xc3\xa9");
	crq_node_free(n);
	/* a surrogate pair: U+1F600 */
	n = parse_ok("\"\\ud83d\\ude00\"");
	assert_string_equal(n->str, "\xf0\x9f\x98\x80");
	assert_int_equal(n->len, 4);
	crq_node_free(n);
	n = parse_ok("\"\\u20AC\"");
	assert_string_equal(n->str, "\xe2\x82\xac");
	crq_node_free(n);
	/* raw UTF-8 is kept */
	n = parse_ok("\"caf\xc3\xa9\"");
	assert_string_equal(n->str, "caf\xc3\xa9");
	crq_node_free(n);
}

static void test_errors(void **state)
{
	(void)state;
	FAILS("", "t.json:1:1: unexpected end of input");
	FAILS("   ", "t.json:1:4: unexpected end of input");
	FAILS("{\"a\": 1,\n \"a\": 2}", "t.json:2:2: duplicate key 'a'");
	FAILS("[1] x", "t.json:1:5: unexpected character 'x'");
	FAILS("{} {}", "t.json:1:4: unexpected character '{'");
	FAILS("[1,]", "t.json:1:4: unexpected character ']'");
	FAILS("{\"a\":1,}", "t.json:1:8: unexpected character '}'");
	FAILS("[1 2]", "expected ',' or ']'");
	FAILS("{\"a\" 1}", "expected ':'");
	FAILS("{\"a\":1 \"b\":2}", "expected ',' or '}'");
	FAILS("{a:1}", "expected a string key");
	FAILS("[", "t.json:1:2: unexpected end of input");
	FAILS("01", "t.json:1:1: leading zeros are not allowed");
	FAILS("-01", "leading zeros are not allowed");
	FAILS("-", "expected a digit");
	FAILS("1.", "expected a digit after '.'");
	FAILS(".5", "unexpected character '.'");
	FAILS("1e", "expected a digit in the exponent");
	FAILS("+1", "unexpected character '+'");
	FAILS("1e400", "t.json:1:1: number out of range");
	FAILS("NaN", "unexpected character 'N'");
	FAILS("Infinity", "unexpected character 'I'");
	FAILS("tru", "unexpected character 't'");
	FAILS("nul", "expected a JSON value");
	FAILS("'a'", "unexpected character '''");
	FAILS("\"abc", "t.json:1:1: unterminated string");
	FAILS("\"a\\", "unterminated string");
	FAILS("\"a\nb\"", "t.json:1:3: unescaped control character 0x0a");
	FAILS("\"a\tb\"", "unescaped control character 0x09");
	FAILS("\"\\x\"", "t.json:1:2: invalid escape sequence");
	FAILS("\"\\u12\"", "invalid \\u escape");
	FAILS("\"\\u12G4\"", "invalid \\u escape");
	FAILS("\"\\ud800\"", "lone high surrogate \\ud800");
	FAILS("\"\\ud800x\"", "lone high surrogate");
	FAILS("\"\\ud800\\u0041\"", "lone high surrogate");
	FAILS("\"\\udc00\"", "lone low surrogate \\udc00");
	FAILS("\"\\u0000\"", "\\u0000 is not supported");
	FAILS("[\"\xc3\"]", "t.json:1:3: invalid UTF-8");
	FAILS("\n\n  \"\xed\xa0\x80\"", "t.json:3:4: invalid UTF-8");
	FAILS("\"\xc0\xaf\"", "invalid UTF-8");
	FAILS("[1]\0", "unexpected byte 0x00");
	FAILS("\xef\xbb\xbf{}", "unexpected byte 0xef");
	FAILS("{\"a\":\n  [1,\n   2,,\n  ]}",
		"t.json:3:6: unexpected character ','");
}

/* Objects large enough for the hashed duplicate check. */
static void test_big_object(void **state)
{
	crq_buf b = CRQ_BUF_INIT;
	crq_node *n = NULL;
	int i;

	(void)state;
	crq_buf_putc(&b, '{');
	for (i = 0; i < 5000; i++)
		crq_buf_printf(&b, "%s\"k%d\":%d", i ? "," : "", i, i);
	crq_buf_putc(&b, '}');
	assert_crq_ok(crq_json_parse(&n, b.ptr, b.size, "big"));
	assert_int_equal(n->count, 5000);
	assert_string_equal(n->keys[4321], "k4321");
	assert_true(crq_node_get(n, "k4999")->i == 4999);
	crq_node_free(n);
	/* a duplicate far apart */
	b.size--;
	crq_buf_puts(&b, ",\n\"k17\":1}");
	assert_crq_fails(crq_json_parse(&n, b.ptr, b.size, "big"),
		CRQ_EINVALID, "big:2:1: duplicate key 'k17'");
	assert_null(n);
	crq_buf_dispose(&b);
}

static void test_depth(void **state)
{
	char text[2 * (CRQ_JSON_MAX_DEPTH + 1) + 1];
	crq_node *n;
	int i;

	(void)state;
	for (i = 0; i < CRQ_JSON_MAX_DEPTH; i++) {
		text[i] = '[';
		text[CRQ_JSON_MAX_DEPTH + i] = ']';
	}
	text[2 * CRQ_JSON_MAX_DEPTH] = '\0';
	n = parse_ok(text);
	crq_node_free(n);
	for (i = 0; i <= CRQ_JSON_MAX_DEPTH; i++) {
		text[i] = '[';
		text[CRQ_JSON_MAX_DEPTH + 1 + i] = ']';
	}
	text[2 * CRQ_JSON_MAX_DEPTH + 2] = '\0';
	parse_fails(text, strlen(text), "nesting deeper than 256 levels");
	assert_non_null(strstr(crq_error_last(), "t.json:1:257:"));
}

static void test_write_compact(void **state)
{
	crq_node *n;

	(void)state;
	roundtrip("{\"a\":1,\"b\":[true,null]}", NULL);
	roundtrip(" { \"a\" : [ ] , \"b\" : { } } ", "{\"a\":[],\"b\":{}}");
	roundtrip("[-5,0,9223372036854775807]", NULL);
	roundtrip("[1.5,0.1,1e+300,-2.5e-10]", NULL);
	roundtrip("\"caf\xc3\xa9 \\u263a\"", "\"caf\xc3\xa9 \xe2\x98\xba\"");
	write_is(NULL, 0, "null");
	/* a plain scalar that was never typed is written as a string */
	n = crq_node_new_cstr("yes");
	n->plain = 1;
	write_is(n, 0, "\"yes\"");
}

static void test_write_numbers(void **state)
{
	static const double values[] = {
		0.1, 1.0 / 3, 2.0 / 3, 1e21, 1e-7, 123456.789,
		5e-324, 1.7976931348623157e308, 0.30000000000000004
	};
	crq_node *n;
	size_t i;

	(void)state;
	n = crq_node_new(CRQ_NODE_NUMBER);
	n->n = 0.1;
	write_is(n, 0, "0.1");
	n = crq_node_new(CRQ_NODE_NUMBER);
	n->n = 1.0 / 3;
	write_is(n, 0, "0.3333333333333333");
	n = crq_node_new(CRQ_NODE_NUMBER);
	n->n = 0.30000000000000004;
	write_is(n, 0, "0.30000000000000004");
	n = crq_node_new(CRQ_NODE_NUMBER);
	n->n = 2.0;
	write_is(n, 0, "2");
	n = crq_node_new(CRQ_NODE_NUMBER);
	n->n = INFINITY;
	write_is(n, 0, "null");
	n = crq_node_new(CRQ_NODE_NUMBER);
	n->n = NAN;
	write_is(n, 0, "null");
	n = crq_node_new_int(-9223372036854775807LL - 1);
	write_is(n, 0, "-9223372036854775808");
	/* every double survives a write and a parse */
	for (i = 0; i < sizeof(values) / sizeof(values[0]); i++) {
		crq_buf b = CRQ_BUF_INIT;
		crq_node *m = NULL;

		n = crq_node_new(CRQ_NODE_NUMBER);
		n->n = values[i];
		crq_json_write(&b, n, 0);
		assert_crq_ok(crq_json_parse(&m, b.ptr, b.size, "n"));
		assert_true(m->kind == CRQ_NODE_NUMBER ||
			m->kind == CRQ_NODE_INT);
		assert_true(m->n == values[i]);
		crq_node_free(m);
		crq_node_free(n);
		crq_buf_dispose(&b);
	}
}

static void test_write_pretty(void **state)
{
	(void)state;
	write_is(parse_ok("{\"a\":1,\"b\":[true,null],\"c\":{},\"d\":[],"
		"\"e\":{\"f\":\"g\"}}"), 1,
		"{\n"
		"  \"a\": 1,\n"
		"  \"b\": [\n"
		"    true,\n"
		"    null\n"
		"  ],\n"
		"  \"c\": {},\n"
		"  \"d\": [],\n"
		"  \"e\": {\n"
		"    \"f\": \"g\"\n"
		"  }\n"
		"}");
	write_is(parse_ok("[]"), 1, "[]");
	write_is(parse_ok("{}"), 1, "{}");
	write_is(parse_ok("3"), 1, "3");
}

static void test_write_string(void **state)
{
	crq_buf b = CRQ_BUF_INIT;
	crq_node *n = NULL;
	const char raw[] = "q\"b\\n\nt\tr\rb\bf\f\x01\x1f\x7f/\xc3\xa9";

	(void)state;
	crq_json_write_string(&b, raw, sizeof(raw) - 1);
	assert_string_equal(crq_buf_cstr(&b),
		"\"q\\\"b\\\\n\\nt\\tr\\rb\\bf\\f\\u0001\\u001f\x7f/"
		"\xc3\xa9\"");
	/* and back */
	assert_crq_ok(crq_json_parse(&n, b.ptr, b.size, "s"));
	assert_int_equal(n->len, sizeof(raw) - 1);
	assert_memory_equal(n->str, raw, sizeof(raw) - 1);
	crq_node_free(n);
	crq_buf_clear(&b);
	crq_json_write_string(&b, "", 0);
	assert_string_equal(crq_buf_cstr(&b), "\"\"");
	/* appends */
	crq_json_write_string(&b, "ab", 1);
	assert_string_equal(crq_buf_cstr(&b), "\"\"\"a\"");
	crq_buf_dispose(&b);
}

static void test_roundtrip_tree(void **state)
{
	const char *text = "{\"id\":\"CR-1\",\"n\":[1,2.25,-3],\"o\":{\"k\":"
		"[{\"x\":null}]},\"s\":\"line\\nnext\"}";
	crq_buf b = CRQ_BUF_INIT;
	crq_node *a, *c = NULL;

	(void)state;
	a = parse_ok(text);
	crq_json_write(&b, a, 1);
	assert_crq_ok(crq_json_parse(&c, b.ptr, b.size, "pretty"));
	assert_true(crq_node_equal(a, c));
	crq_buf_clear(&b);
	crq_json_write(&b, c, 0);
	assert_string_equal(crq_buf_cstr(&b), text);
	crq_node_free(a);
	crq_node_free(c);
	crq_buf_dispose(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_scalars),
		cmocka_unit_test(test_numbers),
		cmocka_unit_test(test_containers),
		cmocka_unit_test(test_positions),
		cmocka_unit_test(test_escapes),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_big_object),
		cmocka_unit_test(test_depth),
		cmocka_unit_test(test_write_compact),
		cmocka_unit_test(test_write_numbers),
		cmocka_unit_test(test_write_pretty),
		cmocka_unit_test(test_write_string),
		cmocka_unit_test(test_roundtrip_tree),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
