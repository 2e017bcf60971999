/*
 * test_yaml.c - the strict YAML loader, the scalar resolution helpers
 * and the canonical emitter.
 */
#include <math.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>
#include "testutil.h"
#include "internal.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

static crq_node *load_ok(const char *text)
{
	crq_node *n = NULL;

	assert_crq_ok(crq_yaml_load(&n, text, strlen(text), "x.yaml"));
	assert_non_null(n);
	return n;
}

static void load_fails(const char *text, size_t len, const char *msg)
{
	crq_node *n = (crq_node *)&n;	/* must be reset to NULL */

	assert_crq_fails(crq_yaml_load(&n, text, len, "x.yaml"),
		CRQ_EINVALID, msg);
	assert_null(n);
}

#define FAILS(text, msg) load_fails((text), sizeof(text) - 1, (msg))

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void assert_pos(const crq_node *n, unsigned line, unsigned col)
{
	assert_non_null(n);
	assert_int_equal(n->line, line);
	assert_int_equal(n->col, col);
}

/* Type plain scalars by YAML 1.2 core rules, as a schema would. */
static void resolve(crq_node *n)
{
	long long i;
	double d;
	int b;
	size_t k;

	if (n->kind == CRQ_NODE_STRING && n->plain) {
		n->plain = 0;
		if (crq_yaml_plain_null(n->str)) {
			n->kind = CRQ_NODE_NULL;
		} else if (crq_yaml_plain_bool(n->str, &b)) {
			n->kind = CRQ_NODE_BOOL;
			n->b = b;
		} else if (crq_yaml_plain_int(n->str, &i)) {
			n->kind = CRQ_NODE_INT;
			n->i = i;
		} else if (crq_yaml_plain_float(n->str, &d)) {
			n->kind = CRQ_NODE_NUMBER;
			n->n = d;
		} else {
			return;
		}
		free(n->str);
		n->str = NULL;
		n->len = 0;
	}
	for (k = 0; k < n->count; k++)
		resolve(n->items[k]);
}

/* ------------------------------------------------------------------ */
/* Loading */

static void test_load_document(void **state)
{
	const char *text =
		"# a change\n"
		"id: CHG-000001\n"
		"title: 'Upgrade db-01'\n"
		"done: no\n"
		"window:\n"
		"  start: \"2026-01-02T10:00:00Z\"\n"
		"  end:\n"
		"services: [db-01, api]\n"
		"plan: |\n"
		"  step one\n"
		"  step two\n"
		"note: >\n"
		"  folded\n"
		"  text\n"
		"tasks:\n"
		"  - title: Snapshot\n"
		"    done: true\n";
	crq_node *n = load_ok(text), *w, *s, *t;

	(void)state;
	assert_int_equal(n->kind, CRQ_NODE_OBJECT);
	assert_pos(n, 2, 1);
	assert_int_equal(n->count, 8);
	assert_string_equal(n->keys[0], "id");
	assert_string_equal(n->keys[7], "tasks");

	assert_string_equal(crq_node_get_str(n, "id"), "CHG-000001");
	assert_int_equal(crq_node_get(n, "id")->plain, 1);
	assert_pos(crq_node_get(n, "id"), 2, 5);
	assert_int_equal(crq_node_get(n, "title")->plain, 0);
	assert_pos(crq_node_get(n, "title"), 3, 8);
	/* untyped: `no` stays the string "no", flagged plain */
	assert_string_equal(crq_node_get_str(n, "done"), "no");
	assert_int_equal(crq_node_get(n, "done")->plain, 1);

	w = crq_node_get(n, "window");
	assert_int_equal(w->kind, CRQ_NODE_OBJECT);
	assert_pos(w, 6, 3);
	assert_string_equal(crq_node_get_str(w, "start"),
		"2026-01-02T10:00:00Z");
	assert_int_equal(crq_node_get(w, "start")->plain, 0);
	assert_pos(crq_node_get(w, "start"), 6, 10);
	/* an empty value is an empty plain scalar */
	assert_string_equal(crq_node_get_str(w, "end"), "");
	assert_int_equal(crq_node_get(w, "end")->plain, 1);
	assert_int_equal(crq_node_get(w, "end")->line, 7);

	s = crq_node_get(n, "services");
	assert_int_equal(s->kind, CRQ_NODE_ARRAY);
	assert_pos(s, 8, 11);
	assert_int_equal(s->count, 2);
	assert_string_equal(s->items[1]->str, "api");
	assert_pos(s->items[1], 8, 19);

	assert_string_equal(crq_node_get_str(n, "plan"),
		"step one\nstep two\n");
	assert_int_equal(crq_node_get(n, "plan")->plain, 0);
	assert_pos(crq_node_get(n, "plan"), 9, 7);
	assert_string_equal(crq_node_get_str(n, "note"), "folded text\n");
	assert_int_equal(crq_node_get(n, "note")->plain, 0);

	t = crq_node_path(n, "tasks");
	assert_int_equal(t->kind, CRQ_NODE_ARRAY);
	assert_pos(t, 16, 3);
	assert_pos(t->items[0], 16, 5);
	assert_pos(crq_node_get(t->items[0], "done"), 17, 11);
	assert_int_equal(crq_node_get(t->items[0], "done")->plain, 1);
	crq_node_free(n);
}

static void test_load_empty(void **state)
{
	static const char *const empties[] = {
		"", "\n", "# only a comment\n", "---\n", "---\n...\n",
		"\xef\xbb\xbf"
	};
	crq_node *n;
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(empties); i++) {
		n = load_ok(empties[i]);
		assert_int_equal(n->kind, CRQ_NODE_NULL);
		assert_true(n->line >= 1);
		crq_node_free(n);
	}
	/* NULL text with no length is an empty stream */
	assert_crq_ok(crq_yaml_load(&n, NULL, 0, "x.yaml"));
	assert_int_equal(n->kind, CRQ_NODE_NULL);
	crq_node_free(n);

	n = load_ok("key:\n");
	assert_string_equal(crq_node_get_str(n, "key"), "");
	assert_int_equal(crq_node_get(n, "key")->plain, 1);
	crq_node_free(n);

	/* empty quoted strings are strings, not plain */
	n = load_ok("a: ''\nb: \"\"\n");
	assert_int_equal(crq_node_get(n, "a")->plain, 0);
	assert_int_equal(crq_node_get(n, "b")->plain, 0);
	crq_node_free(n);

	/* a quoted empty root is a string, not an empty document */
	n = load_ok("''\n");
	assert_int_equal(n->kind, CRQ_NODE_STRING);
	crq_node_free(n);
}

static void test_load_scalars_and_keys(void **state)
{
	crq_node *n;

	(void)state;
	n = load_ok("plain\n");
	assert_int_equal(n->kind, CRQ_NODE_STRING);
	assert_int_equal(n->plain, 1);
	assert_pos(n, 1, 1);
	crq_node_free(n);

	/* keys are stored as written, quoted or not */
	n = load_ok("'a b': 1\n\"c\\td\": 2\n3: x\nnull: y\n\"<<\": z\n");
	assert_int_equal(n->count, 5);
	assert_string_equal(n->keys[0], "a b");
	assert_string_equal(n->keys[1], "c\td");
	assert_string_equal(n->keys[2], "3");
	assert_string_equal(n->keys[3], "null");
	assert_string_equal(n->keys[4], "<<");
	crq_node_free(n);

	/* an explicit key that is a scalar is fine */
	n = load_ok("? a\n: b\n");
	assert_string_equal(crq_node_get_str(n, "a"), "b");
	crq_node_free(n);

	/* double-quoted escapes decode to UTF-8 */
	n = load_ok("a: \"\\u00e9\\x41\\n\"\n");
	assert_string_equal(crq_node_get_str(n, "a"), "\xc3\xa9" "A\n");
	assert_int_equal(crq_node_get(n, "a")->len, 4);
	crq_node_free(n);

	/* a byte order mark is accepted and does not shift columns */
	n = load_ok("\xef\xbb\xbf" "a: b\n");
	assert_pos(crq_node_get(n, "a"), 1, 4);
	crq_node_free(n);

	/* CR LF line ends */
	n = load_ok("a: 1\r\nb: 2\r\n");
	assert_pos(crq_node_get(n, "b"), 2, 4);
	assert_string_equal(crq_node_get_str(n, "b"), "2");
	crq_node_free(n);
}

static void test_reject_anchors_aliases(void **state)
{
	double t0;

	(void)state;
	FAILS("x: 1\ny: 2\nz:     &a foo\n",
		"x.yaml:3:8: anchors are not allowed");
	FAILS("z: &a foo\n", "x.yaml:1:4: anchors are not allowed");
	FAILS("a: &s [1]\n", "x.yaml:1:4: anchors are not allowed");
	FAILS("a: &m {b: 1}\n", "x.yaml:1:4: anchors are not allowed");
	FAILS("&k a: 1\n", "x.yaml:1:1: anchors are not allowed");
	/* the event API does not check that an alias has an anchor */
	FAILS("a: 1\nb: *x\n", "x.yaml:2:4: aliases are not allowed");
	FAILS("- *x\n", "x.yaml:1:3: aliases are not allowed");
	FAILS("*x : 1\n", "x.yaml:1:1: aliases are not allowed");

	/* "billion laughs": refused at its first anchor, at once */
	t0 = now();
	FAILS("a: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n"
		"b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\n"
		"c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]\n"
		"d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]\n"
		"e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]\n"
		"f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]\n"
		"g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]\n"
		"h: &h [*g,*g,*g,*g,*g,*g,*g,*g,*g]\n"
		"i: &i [*h,*h,*h,*h,*h,*h,*h,*h,*h]\n",
		"x.yaml:1:4: anchors are not allowed");
	assert_true(now() - t0 < 1.0);
	/* the same bomb without anchors stops at its first alias */
	FAILS("a: [\"lol\",\"lol\"]\nb: [*a,*a,*a,*a,*a,*a,*a,*a,*a]\n",
		"x.yaml:2:5: aliases are not allowed");
}

static void test_reject_tags(void **state)
{
	(void)state;
	FAILS("a: !!str x\n", "x.yaml:1:4: tags are not allowed");
	FAILS("a: !!int 1\n", "x.yaml:1:4: tags are not allowed");
	FAILS("a: !local x\n", "x.yaml:1:4: tags are not allowed");
	FAILS("a: ! x\n", "x.yaml:1:4: tags are not allowed");
	FAILS("a: !<tag:yaml.org,2002:str> x\n",
		"x.yaml:1:4: tags are not allowed");
	FAILS("!!str a: x\n", "x.yaml:1:1: tags are not allowed");
	FAILS("- a\n- !!map {}\n", "x.yaml:2:3: tags are not allowed");
	FAILS("a: !!seq\n  - x\n", "x.yaml:1:4: tags are not allowed");
	FAILS("!!map\na: 1\n", "x.yaml:1:1: tags are not allowed");
	FAILS("a: !!str\n", "x.yaml:1:4: tags are not allowed");
}

static void test_reject_directives_documents(void **state)
{
	(void)state;
	FAILS("%YAML 1.1\n---\na: 1\n",
		"x.yaml:1:1: directives are not allowed");
	FAILS("%TAG !e! tag:example.com,2000:\n---\na: 1\n",
		"x.yaml:1:1: directives are not allowed");
	/* unknown directives are a libyaml error */
	FAILS("%FOO bar\n---\na: 1\n", "x.yaml:1:");
	FAILS("a: 1\n---\nb: 2\n",
		"x.yaml:2:1: only one document is allowed");
	FAILS("a: 1\n...\n---\nb: 2\n",
		"x.yaml:3:1: only one document is allowed");
	FAILS("a: 1\n...\nb: 2\n",
		"x.yaml:3:1: did not find expected <document start>");
	FAILS("---\n---\n", "x.yaml:2:1: only one document is allowed");
	FAILS("--- a\n--- b\n", "x.yaml:2:1: only one document is allowed");
}

static void test_reject_keys(void **state)
{
	(void)state;
	FAILS("<<: {a: 1}\n", "x.yaml:1:1: merge keys are not allowed");
	FAILS("a:\n  b: 1\n  <<: {c: 2}\n",
		"x.yaml:3:3: merge keys are not allowed");
	FAILS("{<<: x}\n", "x.yaml:1:2: merge keys are not allowed");
	FAILS("[a]: 1\n", "x.yaml:1:1: complex keys are not allowed");
	FAILS("{a: 1}: 2\n", "x.yaml:1:1: complex keys are not allowed");
	FAILS("? [a]\n: b\n", "x.yaml:1:3: complex keys are not allowed");
	FAILS("? - a\n: b\n", "x.yaml:1:3: complex keys are not allowed");
	FAILS("? a: 1\n: b\n", "x.yaml:1:3: complex keys are not allowed");
	FAILS("{[a]: 1}\n", "x.yaml:1:2: complex keys are not allowed");

	FAILS("a: 1\nb: 2\na: 3\n",
		"x.yaml:3:1: duplicate key 'a' (first at line 1)");
	FAILS("a: [1, {b: 1, b: 2}]\n",
		"x.yaml:1:15: duplicate key 'b' (first at line 1)");
	/* quoting does not make a key different */
	FAILS("a: 1\n'a': 2\n",
		"x.yaml:2:1: duplicate key 'a' (first at line 1)");
	FAILS("x:\n  k: 1\n  j: 2\n  \"k\": 3\n",
		"x.yaml:4:3: duplicate key 'k' (first at line 2)");
	/* a duplicate empty key */
	FAILS("'': 1\n\"\": 2\n", "duplicate key '' (first at line 1)");
	/* control characters and long keys are shown safely */
	FAILS("\"a\\nb\": 1\n\"a\\nb\": 2\n", "duplicate key 'a?b'");
	FAILS("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
		"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa: 1\n"
		"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
		"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa: 2\n",
		"...' (first at line 1)");
}

static void test_many_keys(void **state)
{
	crq_buf b = CRQ_BUF_INIT;
	crq_node *n;
	int i;

	(void)state;
	for (i = 0; i < 20000; i++)
		crq_buf_printf(&b, "key%d: %d\n", i, i);
	n = load_ok(crq_buf_cstr(&b));
	assert_int_equal(n->count, 20000);
	assert_string_equal(n->keys[12345], "key12345");
	assert_string_equal(crq_node_get_str(n, "key19999"), "19999");
	crq_node_free(n);
	crq_buf_puts(&b, "key777: again\n");
	load_fails(b.ptr, b.size,
		"x.yaml:20001:1: duplicate key 'key777' (first at line 778)");
	crq_buf_dispose(&b);
}

static void test_reject_bytes(void **state)
{
	(void)state;
	FAILS("a: b\0c\n", "x.yaml:1:5: NUL bytes are not allowed");
	FAILS("a: 1\nb: \xc3\xa9\0\n", "x.yaml:2:5: NUL bytes are not allowed");
	/* NUL through an escape */
	FAILS("a: \"x\\0y\"\n", "x.yaml:1:4: NUL characters are not allowed");
	FAILS("a: \"x\\x00\"\n", "x.yaml:1:4: NUL characters are not allowed");
	FAILS("\"\\u0000\": 1\n",
		"x.yaml:1:1: NUL characters are not allowed");

	FAILS("ab: \xff\n", "x.yaml:1:5: invalid UTF-8");
	/* columns count characters: "é" is one */
	FAILS("a:\n  \xc3\xa9: \xc3\x28\n", "x.yaml:2:6: invalid UTF-8");
	/* overlong, surrogate, above U+10FFFF, truncated */
	FAILS("a: \xc0\xaf\n", "x.yaml:1:4: invalid UTF-8");
	FAILS("a: \xed\xa0\x80\n", "x.yaml:1:4: invalid UTF-8");
	FAILS("a: \xf4\x90\x80\x80\n", "x.yaml:1:4: invalid UTF-8");
	FAILS("a: \xe2\x82\n", "x.yaml:1:4: invalid UTF-8");
	/* UTF-16 is not UTF-8 */
	FAILS("\xff\xfe" "a\0:\0", "x.yaml:1:1: invalid UTF-8");
	/* the first problem wins */
	FAILS("a\0\xff", "x.yaml:1:2: NUL bytes");
	FAILS("a\xff\0", "x.yaml:1:2: invalid UTF-8");
	/* a byte order mark is not counted */
	FAILS("\xef\xbb\xbf" "ab\xff", "x.yaml:1:3: invalid UTF-8");

	/* control characters, found by libyaml's reader */
	FAILS("a: b\x01\n", "x.yaml:1:5: control characters are not allowed");
	FAILS("a: 1\r\nb: \x7f\n",
		"x.yaml:2:4: control characters are not allowed");
}

static void test_syntax_errors(void **state)
{
	(void)state;
	FAILS("a: b: c\n",
		"x.yaml:1:5: mapping values are not allowed in this context");
	FAILS("a:\n  - [\n",
		"x.yaml:3:1: did not find expected node content "
		"while parsing a flow node");
	FAILS("a: 'open\n", "x.yaml:2:1: found unexpected end of stream "
		"while scanning a quoted scalar");
	FAILS("a:\n\tb: 1\n", "x.yaml:2:1: found character that cannot "
		"start any token while scanning for the next token");
	FAILS("a: \"\\ud800\"\n", "x.yaml:1:");
}

static void test_depth(void **state)
{
	crq_buf b = CRQ_BUF_INIT;
	crq_node *n, *p;
	int i;

	(void)state;
	/* 64 levels load */
	for (i = 0; i < CRQ_YAML_MAX_DEPTH; i++)
		crq_buf_putc(&b, '[');
	for (i = 0; i < CRQ_YAML_MAX_DEPTH; i++)
		crq_buf_putc(&b, ']');
	n = load_ok(b.ptr);
	for (p = n, i = 1; p->count; p = p->items[0])
		i++;
	assert_int_equal(i, CRQ_YAML_MAX_DEPTH);
	crq_node_free(n);

	/* 65 do not, flow or block */
	crq_buf_clear(&b);
	for (i = 0; i <= CRQ_YAML_MAX_DEPTH; i++)
		crq_buf_putc(&b, '[');
	for (i = 0; i <= CRQ_YAML_MAX_DEPTH; i++)
		crq_buf_putc(&b, ']');
	load_fails(b.ptr, b.size,
		"x.yaml:1:65: nesting deeper than 64 levels");

	crq_buf_clear(&b);
	for (i = 0; i <= CRQ_YAML_MAX_DEPTH; i++)
		crq_buf_printf(&b, "%*sk:\n", i, "");
	crq_buf_printf(&b, "%*sk: v\n", i, "");
	load_fails(b.ptr, b.size,
		"x.yaml:65:65: nesting deeper than 64 levels");

	crq_buf_clear(&b);
	for (i = 0; i <= CRQ_YAML_MAX_DEPTH; i++)
		crq_buf_puts(&b, "- ");
	crq_buf_puts(&b, "x\n");
	load_fails(b.ptr, b.size,
		"x.yaml:1:129: nesting deeper than 64 levels");
	crq_buf_dispose(&b);
}

/* A megabyte of one opening token is refused at once: libyaml has no
 * nesting limit and its flow nesting is quadratic. */
static void deep_run(const char *unit, const char *msg)
{
	crq_buf b = CRQ_BUF_INIT;
	size_t n = strlen(unit);
	double t0;

	while (b.size + n <= CRQ_YAML_MAX_SIZE)
		crq_buf_put(&b, unit, n);
	t0 = now();
	load_fails(b.ptr, b.size, msg);
	assert_true(now() - t0 < 1.0);
	crq_buf_dispose(&b);
}

static void test_deep_runs_fast(void **state)
{
	(void)state;
	deep_run("[", "x.yaml:1:65: nesting deeper than 64 levels");
	deep_run("- ", "x.yaml:1:129: nesting deeper than 64 levels");
	deep_run("{a: ", "x.yaml:1:257: nesting deeper than 64 levels");
	deep_run("[{a: ", "x.yaml:1:161: nesting deeper than 64 levels");
	/* in a flow mapping "{" starts a key */
	deep_run("{", "x.yaml:1:2: complex keys are not allowed");
}

static void test_size_limit(void **state)
{
	crq_buf b = CRQ_BUF_INIT;
	crq_node *n;

	(void)state;
	crq_buf_puts(&b, "a: 1\n#");
	while (b.size < CRQ_YAML_MAX_SIZE)
		crq_buf_putc(&b, 'x');
	assert_crq_ok(crq_yaml_load(&n, b.ptr, b.size, "x.yaml"));
	assert_string_equal(crq_node_get_str(n, "a"), "1");
	crq_node_free(n);
	crq_buf_putc(&b, 'x');
	load_fails(b.ptr, b.size,
		"x.yaml: file is larger than 1048576 bytes");
	crq_buf_dispose(&b);
}

/* ------------------------------------------------------------------ */
/* Scalar resolution */

static void test_plain_ambiguous(void **state)
{
	static const char *const yes[] = {
		"", "~", "null", "Null", "NULL",
		"y", "Y", "yes", "Yes", "YES", "n", "N", "no", "No", "NO",
		"true", "True", "TRUE", "false", "False", "FALSE",
		"on", "On", "ON", "off", "Off", "OFF",
		"0", "7", "-1", "+1", "09", "0755", "-0755", "0o17", "0x1F",
		"0xdead_beef", "-0x1", "0b1010", "+0b1_0", "1_000", "1__",
		"12:30", "1:20:30", "-1:20", "190:20:30.15", "1:2",
		"1e3", "1E3", "1e+3", "1.5e-3", "6.8523015e+5", ".5", "-.5",
		"+12.5", "1.", "1_000.5", "3.14", "0.", "._5",
		".inf", ".Inf", ".INF", "-.inf", "+.Inf", "-.INF",
		".nan", ".NaN", ".NAN",
		"2026-01-02", "2026-1-2", "2026-01-02T10:00:00Z",
		"2026-01-02t10:00:00Z",
		"2001-12-14t21:59:43.10-05:00", "2001-12-14 21:59:43.10 -5",
		"2001-12-15 2:59:43.10", "2002-12-14T10:00:00+01",
		"<<", "="
	};
	static const char *const no[] = {
		"hello", "CHG-000001", "1.2.3", "10.0.0.1", "12:30pm", "v1",
		"db-01", "nil", "None", "yess", "o", "t", "f", "0x", "0b",
		"0o", "0b2", "0o8", "0xg", "1e", "1e+", "e3", ".", "-", "+",
		"..", "-.", "_1", "1:", "1:60", "12:345", "1:2:", ".infinity",
		"-nan", "inf", "nan", "2026-01", "2026-01-02T", "2026-01-02x",
		"2026-01-02T10:00", "2026-01-02T10:00:00Q", "20260-01-02",
		"1,000", "<", "==", "a=b", "1 2", " 1", "1st", "TrUe",
		"yES", "0x1.8p1", "Infinity", "NaN"
	};
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(yes); i++) {
		if (!crq_yaml_plain_ambiguous(yes[i]))
			print_error("'%s' should be ambiguous\n", yes[i]);
		assert_true(crq_yaml_plain_ambiguous(yes[i]));
	}
	for (i = 0; i < ARRAY_SIZE(no); i++) {
		if (crq_yaml_plain_ambiguous(no[i]))
			print_error("'%s' should not be ambiguous\n", no[i]);
		assert_false(crq_yaml_plain_ambiguous(no[i]));
	}
}

static void test_plain_resolution(void **state)
{
	long long i;
	double d;
	int b;

	(void)state;
	assert_true(crq_yaml_plain_null(""));
	assert_true(crq_yaml_plain_null("~"));
	assert_true(crq_yaml_plain_null("null"));
	assert_true(crq_yaml_plain_null("Null"));
	assert_true(crq_yaml_plain_null("NULL"));
	assert_false(crq_yaml_plain_null("nULL"));
	assert_false(crq_yaml_plain_null("none"));

	assert_true(crq_yaml_plain_bool("true", &b) && b == 1);
	assert_true(crq_yaml_plain_bool("True", &b) && b == 1);
	assert_true(crq_yaml_plain_bool("TRUE", &b) && b == 1);
	assert_true(crq_yaml_plain_bool("false", &b) && b == 0);
	assert_true(crq_yaml_plain_bool("False", &b) && b == 0);
	assert_true(crq_yaml_plain_bool("FALSE", &b) && b == 0);
	/* YAML 1.1 only: ambiguous, but not a 1.2 bool */
	assert_false(crq_yaml_plain_bool("yes", &b));
	assert_false(crq_yaml_plain_bool("on", &b));
	assert_false(crq_yaml_plain_bool("tRUE", &b));

	assert_true(crq_yaml_plain_int("0", &i) && i == 0);
	assert_true(crq_yaml_plain_int("-42", &i) && i == -42);
	assert_true(crq_yaml_plain_int("+7", &i) && i == 7);
	assert_true(crq_yaml_plain_int("0755", &i) && i == 755);
	assert_true(crq_yaml_plain_int("9223372036854775807", &i) &&
		i == 9223372036854775807LL);
	assert_true(crq_yaml_plain_int("-9223372036854775808", &i) &&
		i == -9223372036854775807LL - 1);
	assert_false(crq_yaml_plain_int("9223372036854775808", &i));
	assert_false(crq_yaml_plain_int("1_000", &i));
	assert_false(crq_yaml_plain_int("0x1F", &i));
	assert_false(crq_yaml_plain_int("1.0", &i));
	assert_false(crq_yaml_plain_int("-", &i));
	assert_false(crq_yaml_plain_int("", &i));
	assert_false(crq_yaml_plain_int(" 1", &i));

	assert_true(crq_yaml_plain_float("1.5", &d) && d == 1.5);
	assert_true(crq_yaml_plain_float("-1.", &d) && d == -1.0);
	assert_true(crq_yaml_plain_float(".5", &d) && d == 0.5);
	assert_true(crq_yaml_plain_float("+.5", &d) && d == 0.5);
	assert_true(crq_yaml_plain_float("1e3", &d) && d == 1000.0);
	assert_true(crq_yaml_plain_float("1.0e+20", &d) && d == 1e20);
	assert_true(crq_yaml_plain_float("2E-2", &d) && d == 0.02);
	assert_true(crq_yaml_plain_float("12", &d) && d == 12.0);
	assert_true(crq_yaml_plain_float("0.1", &d) && d == 0.1);
	assert_true(crq_yaml_plain_float(".inf", &d) && isinf(d) && d > 0);
	assert_true(crq_yaml_plain_float("+.Inf", &d) && isinf(d) && d > 0);
	assert_true(crq_yaml_plain_float("-.INF", &d) && isinf(d) && d < 0);
	assert_true(crq_yaml_plain_float(".nan", &d) && isnan(d));
	assert_true(crq_yaml_plain_float(".NaN", &d) && isnan(d));
	assert_true(crq_yaml_plain_float(".NAN", &d) && isnan(d));
	assert_false(crq_yaml_plain_float("-.nan", &d));
	assert_false(crq_yaml_plain_float(".", &d));
	assert_false(crq_yaml_plain_float("1e", &d));
	assert_false(crq_yaml_plain_float("1_0.5", &d));
	assert_false(crq_yaml_plain_float("0x10", &d));
	assert_false(crq_yaml_plain_float("inf", &d));
	assert_false(crq_yaml_plain_float("nan", &d));
	assert_false(crq_yaml_plain_float("1.2.3", &d));
	assert_false(crq_yaml_plain_float("", &d));

	assert_true(crq_yaml_plain_timestamp("2026-01-02"));
	assert_true(crq_yaml_plain_timestamp("2026-1-2"));
	assert_true(crq_yaml_plain_timestamp("2026-01-02T10:00:00Z"));
	assert_true(crq_yaml_plain_timestamp("2026-01-02t10:00:00.123"));
	assert_true(crq_yaml_plain_timestamp("2026-01-02 1:00:00 +01:00"));
	assert_true(crq_yaml_plain_timestamp("2026-01-02\t\t10:00:00-5"));
	assert_false(crq_yaml_plain_timestamp("2026-01-02T10:00"));
	assert_false(crq_yaml_plain_timestamp("2026-01-02T10:00:00+"));
	assert_false(crq_yaml_plain_timestamp("2026-01-02T10:00:00+1:0"));
	assert_false(crq_yaml_plain_timestamp("26-01-02"));
	assert_false(crq_yaml_plain_timestamp("2026-001-02"));
	assert_false(crq_yaml_plain_timestamp("2026/01/02"));
}

/* ------------------------------------------------------------------ */
/* Emitting */

static void emit_is(const crq_node *n, const char *want)
{
	crq_buf b = CRQ_BUF_INIT;

	crq_yaml_emit(&b, n);
	if (strcmp(crq_buf_cstr(&b), want))
		print_error("emitted:\n%s\nwanted:\n%s\n", crq_buf_cstr(&b),
			want);
	assert_string_equal(crq_buf_cstr(&b), want);
	crq_buf_dispose(&b);
}

static crq_node *number(double d)
{
	crq_node *n = crq_node_new(CRQ_NODE_NUMBER);

	n->n = d;
	return n;
}

static crq_node *change_doc(void)
{
	crq_node *doc = crq_node_new(CRQ_NODE_OBJECT);
	crq_node *services = crq_node_new(CRQ_NODE_ARRAY);
	crq_node *window = crq_node_new(CRQ_NODE_OBJECT);
	crq_node *tasks = crq_node_new(CRQ_NODE_ARRAY);
	crq_node *t1 = crq_node_new(CRQ_NODE_OBJECT);
	crq_node *t2 = crq_node_new(CRQ_NODE_OBJECT);
	crq_node *links = crq_node_new(CRQ_NODE_ARRAY);

	crq_node_set(doc, "id", crq_node_new_cstr("CHG-000001"));
	crq_node_set(doc, "title",
		crq_node_new_cstr("Upgrade db-01 to PostgreSQL 16"));
	crq_node_set(doc, "type", crq_node_new_cstr("normal"));
	crq_node_set(doc, "priority", crq_node_new_int(2));
	crq_node_set(doc, "risk", number(0.5));
	crq_node_set(doc, "emergency", crq_node_new_bool(0));
	crq_node_set(doc, "incident", crq_node_new(CRQ_NODE_NULL));
	crq_node_push(services, crq_node_new_cstr("db-01"));
	crq_node_push(services, crq_node_new_cstr("on"));
	crq_node_set(doc, "services", services);
	crq_node_set(window, "start",
		crq_node_new_cstr("2026-01-02T10:00:00Z"));
	crq_node_set(window, "end", crq_node_new_cstr("2026-01-02T12:00:00Z"));
	crq_node_set(doc, "window", window);
	crq_node_set(t1, "title", crq_node_new_cstr("Snapshot"));
	crq_node_set(t1, "owner", crq_node_new_cstr("alice@example.com"));
	crq_node_set(t1, "done", crq_node_new_bool(1));
	crq_node_push(tasks, t1);
	crq_node_set(t2, "title", crq_node_new_cstr("Upgrade: run it"));
	crq_node_set(t2, "steps", crq_node_new_cstr("stop api\nupgrade\n"));
	crq_node_push(tasks, t2);
	crq_node_set(doc, "tasks", tasks);
	crq_node_set(doc, "plan", crq_node_new_cstr("1. stop\n2. upgrade"));
	crq_node_set(doc, "notes", crq_node_new_cstr(""));
	crq_node_set(doc, "version", crq_node_new_cstr("16"));
	crq_node_set(doc, "links", links);
	crq_node_set(doc, "review", crq_node_new(CRQ_NODE_OBJECT));
	return doc;
}

static const char change_yaml[] =
	"id: CHG-000001\n"
	"title: Upgrade db-01 to PostgreSQL 16\n"
	"type: normal\n"
	"priority: 2\n"
	"risk: 0.5\n"
	"emergency: false\n"
	"incident: null\n"
	"services:\n"
	"  - db-01\n"
	"  - 'on'\n"
	"window:\n"
	"  start: '2026-01-02T10:00:00Z'\n"
	"  end: '2026-01-02T12:00:00Z'\n"
	"tasks:\n"
	"  - title: Snapshot\n"
	"    owner: alice@example.com\n"
	"    done: true\n"
	"  - title: 'Upgrade: run it'\n"
	"    steps: |\n"
	"      stop api\n"
	"      upgrade\n"
	"plan: |-\n"
	"  1. stop\n"
	"  2. upgrade\n"
	"notes: ''\n"
	"version: '16'\n"
	"links: []\n"
	"review: {}\n";

static void test_emit_golden(void **state)
{
	crq_node *doc = change_doc(), *back;

	(void)state;
	emit_is(doc, change_yaml);
	back = load_ok(change_yaml);
	resolve(back);
	assert_true(crq_node_equal(doc, back));
	crq_node_free(back);
	crq_node_free(doc);
}

static void test_emit_layout(void **state)
{
	crq_node *arr = crq_node_new(CRQ_NODE_ARRAY);
	crq_node *inner = crq_node_new(CRQ_NODE_ARRAY);
	crq_node *obj = crq_node_new(CRQ_NODE_OBJECT);
	crq_node *sub = crq_node_new(CRQ_NODE_ARRAY);
	crq_node *deep = crq_node_new(CRQ_NODE_OBJECT);
	crq_node *n;

	(void)state;
	crq_node_push(inner, crq_node_new_cstr("a"));
	crq_node_push(inner, crq_node_new_cstr("b"));
	crq_node_push(arr, inner);
	crq_node_push(sub, crq_node_new_cstr("x"));
	crq_node_set(deep, "z", crq_node_new_cstr("text\n"));
	crq_node_push(sub, deep);
	crq_node_set(obj, "k1", crq_node_new_cstr("v1"));
	crq_node_set(obj, "k2", sub);
	crq_node_set(obj, "k3", crq_node_new(CRQ_NODE_OBJECT));
	crq_node_push(arr, obj);
	crq_node_push(arr, crq_node_new(CRQ_NODE_ARRAY));
	crq_node_push(arr, crq_node_new_cstr("last\nline"));
	emit_is(arr,
		"- - a\n"
		"  - b\n"
		"- k1: v1\n"
		"  k2:\n"
		"    - x\n"
		"    - z: |\n"
		"        text\n"
		"  k3: {}\n"
		"- []\n"
		"- |-\n"
		"  last\n"
		"  line\n");
	crq_node_free(arr);

	/* scalar roots and empty containers */
	n = crq_node_new(CRQ_NODE_NULL);
	emit_is(n, "null\n");
	crq_node_free(n);
	emit_is(NULL, "null\n");
	n = crq_node_new_cstr("yes");
	emit_is(n, "'yes'\n");
	crq_node_free(n);
	n = crq_node_new_cstr("a\nb\n");
	emit_is(n, "|\n  a\n  b\n");
	crq_node_free(n);
	n = crq_node_new(CRQ_NODE_OBJECT);
	emit_is(n, "{}\n");
	crq_node_free(n);
	n = crq_node_new(CRQ_NODE_ARRAY);
	emit_is(n, "[]\n");
	crq_node_free(n);
	n = crq_node_new_int(-9223372036854775807LL - 1);
	emit_is(n, "-9223372036854775808\n");
	crq_node_free(n);
}

static void test_emit_strings(void **state)
{
	static const struct {
		const char *in, *out;
	} cases[] = {
		{ "hello world", "hello world\n" },
		{ "", "''\n" },
		{ "it's", "it's\n" },
		{ "'q'", "'''q'''\n" },
		{ " lead", "' lead'\n" },
		{ "trail ", "'trail '\n" },
		{ "a: b", "'a: b'\n" },
		{ "a:b", "a:b\n" },
		{ "a #b", "'a #b'\n" },
		{ "a#b", "a#b\n" },
		{ "key:", "'key:'\n" },
		{ "-x", "'-x'\n" },
		{ "...", "'...'\n" },
		{ "--- x", "'--- x'\n" },
		{ "12:30pm", "12:30pm\n" },
		{ "0755", "'0755'\n" },
		{ "\u00e9 \u00fcn\u00efcode", "\u00e9 \u00fcn\u00efcode\n" },
		{ "tab\there", "\"tab\\there\"\n" },
		{ "dq\"", "dq\"\n" },
		{ "\"dq", "'\"dq'\n" },
		{ "back\\slash", "back\\slash\n" },
		{ "ctrl\x01", "\"ctrl\\x01\"\n" },
		{ "del\x7f", "\"del\\x7F\"\n" },
		{ "cr\r\nlf", "\"cr\\r\\nlf\"\n" },
		{ "nel\xc2\x85", "\"nel\\x85\"\n" },
		{ "ls\xe2\x80\xa8ps\xe2\x80\xa9", "\"ls\\u2028ps\\u2029\"\n" },
		{ "bom\xef\xbb\xbf", "\"bom\\uFEFF\"\n" },
		{ "bad\xff", "\"bad\\uFFFD\"\n" },
		{ "multi\nline", "|-\n  multi\n  line\n" },
		{ "multi\nline\n", "|\n  multi\n  line\n" },
		{ "ends\n\n", "|+\n  ends\n\n" },
		{ "a\n\n  b", "|-\n  a\n\n    b\n" },
		{ "\nlead", "\"\\nlead\"\n" },
		{ " x\ny", "\" x\\ny\"\n" },
		{ "x \ny", "\"x \\ny\"\n" },
		{ "x\ny\t", "\"x\\ny\\t\"\n" },
		{ "\n", "\"\\n\"\n" },
	};
	crq_node *n;
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		n = crq_node_new_cstr(cases[i].in);
		emit_is(n, cases[i].out);
		crq_node_free(n);
	}
}

static void test_emit_numbers(void **state)
{
	static const struct {
		double d;
		const char *out;
	} cases[] = {
		{ 1.0, "1.0\n" },
		{ -2.0, "-2.0\n" },
		{ 0.1, "0.1\n" },
		{ 0.5, "0.5\n" },
		{ 100.0, "100.0\n" },
		{ 1e16, "10000000000000000.0\n" },
		{ 1e17, "1.0e+17\n" },
		{ 0.0001, "0.0001\n" },
		{ 0.00001, "1.0e-05\n" },
		{ 1234.5, "1234.5\n" },
		{ 1e20, "1.0e+20\n" },
		{ 1.5e-7, "1.5e-07\n" },
		{ 123456789012345680.0, "1.2345678901234568e+17\n" },
		{ 3.141592653589793, "3.141592653589793\n" },
	};
	crq_node *n, *back;
	double d;
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		n = number(cases[i].d);
		emit_is(n, cases[i].out);
		crq_node_free(n);
	}
	n = number(INFINITY);
	emit_is(n, ".inf\n");
	n->n = -INFINITY;
	emit_is(n, "-.inf\n");
	n->n = NAN;
	emit_is(n, ".nan\n");
	crq_node_free(n);
	n = number(-0.0);
	emit_is(n, "-0.0\n");
	crq_node_free(n);

	/* every double reads back exactly */
	for (i = 0, d = 1e-300; i < 200; i++, d *= -7.3e3) {
		crq_buf b = CRQ_BUF_INIT;
		double r;

		if (isinf(d))
			break;
		n = number(d / 3.0);
		crq_yaml_emit(&b, n);
		back = load_ok(b.ptr);
		assert_true(back->plain);
		assert_true(crq_yaml_plain_float(back->str, &r));
		assert_false(crq_yaml_plain_int(back->str, NULL));
		assert_true(r == n->n);
		crq_node_free(back);
		crq_node_free(n);
		crq_buf_dispose(&b);
	}
}

static void test_emit_long_key(void **state)
{
	crq_node *doc = crq_node_new(CRQ_NODE_OBJECT);
	crq_node *arr = crq_node_new(CRQ_NODE_ARRAY);
	crq_node *item = crq_node_new(CRQ_NODE_OBJECT);
	crq_node *back;
	crq_buf b = CRQ_BUF_INIT;
	char key[2001];

	(void)state;
	memset(key, 'k', sizeof(key) - 1);
	key[sizeof(key) - 1] = '\0';
	crq_node_set(doc, key, crq_node_new_cstr("v"));
	crq_node_set(item, key, crq_node_new_int(1));
	crq_node_set(item, "short", crq_node_new_int(2));
	crq_node_push(arr, item);
	crq_node_set(doc, "list", arr);
	crq_yaml_emit(&b, doc);
	assert_true(!strncmp(b.ptr, "? kkk", 5));
	back = load_ok(b.ptr);
	resolve(back);
	assert_true(crq_node_equal(doc, back));
	crq_node_free(back);
	crq_node_free(doc);
	crq_buf_dispose(&b);
}

/* ------------------------------------------------------------------ */
/* Round trip: load(emit(T)), typed by YAML 1.2 core rules, equals T */

static const char *const tricky[] = {
	"", " ", " lead", "trail ", "a: b", "a #b", "#x", "-x", "- x", "-",
	"--- x", "---", "...", "... x", "multi\nline\n", "multi\nline",
	"ends\n\n", "ends\n\n\n", "\n", "\n\n", "\nlead", "a\n\n\nb",
	"a\n  indented\nb", "tab\there", "\ttab", "quote'd", "dq\"",
	"'single'", "\"double\"", "ctrl\x01", "bell\a", "esc\x1b[0m",
	"\u00e9 \u00fcn\u00efcode", "emoji \xf0\x9f\x98\x80",
	"nbsp\xc2\xa0", "\xc2\xa0lead", "nel\xc2\x85x", "ls\xe2\x80\xa8x",
	"bom\xef\xbb\xbfx", "\xef\xbf\xbe", "c1\xc2\x9b",
	"yes", "no", "on", "off", "y", "n", "Yes", "NO", "0755", "0o17",
	"0x1F", "0b11", "12:30", "1:20:30", "1_000", "1e3", "1.5", ".5",
	"-1", "+1", ".inf", "-.Inf", ".nan", "null", "Null", "~", "true",
	"False", "2026-01-02", "2026-01-02T10:00:00Z", "2026-01-02 10:00:00",
	"<<", "=", "[x]", "{x}", "*a", "&a", "!t", "%x", "@x", "`x", "|x",
	">x", "key:", "?x", "? x", ",x", ":x", ": x", "x:", "a,b", "[", "}",
	"12:30pm", "1.2.3", "10.0.0.1", "v1", "db-01", "CHG-000001",
	"a: b\nc: d", "- a\n- b", "# comment\ntext", "text # not\nx",
	"x\r\ny", "\r", "back\\slash", "\\n", "\"", "'", "''", "a'b\"c",
	"trailing\nspace \n", "  two lead\nx", "x\n ", "\x7f",
	"a\x01\nb", "%YAML 1.2", "&anchor x", "!!str x", "*alias",
	"a\tb\nc", "long line with spaces and: colon", "x #", "x#",
};

static crq_node *tricky_tree(void)
{
	crq_node *root = crq_node_new(CRQ_NODE_OBJECT);
	crq_node *list = crq_node_new(CRQ_NODE_ARRAY);
	crq_node *as_keys = crq_node_new(CRQ_NODE_OBJECT);
	crq_node *objs = crq_node_new(CRQ_NODE_ARRAY);
	crq_node *nested = crq_node_new(CRQ_NODE_ARRAY);
	crq_node *scalars = crq_node_new(CRQ_NODE_ARRAY);
	crq_node *o, *a, *p;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(tricky); i++) {
		crq_node *s = crq_node_new_cstr(tricky[i]);

		/* plain or not, a string is emitted the same way */
		s->plain = (int)(i & 1);
		crq_node_push(list, s);
		crq_node_set(as_keys, tricky[i], crq_node_new_cstr(tricky[i]));
		o = crq_node_new(CRQ_NODE_OBJECT);
		crq_node_set(o, tricky[i], crq_node_new_cstr(tricky[i]));
		crq_node_set(o, "next", crq_node_new_cstr(tricky[i]));
		crq_node_push(objs, o);
	}
	crq_node_push(scalars, crq_node_new_int(0));
	crq_node_push(scalars, crq_node_new_int(-42));
	crq_node_push(scalars, crq_node_new_int(9223372036854775807LL));
	crq_node_push(scalars, crq_node_new_int(-9223372036854775807LL - 1));
	crq_node_push(scalars, number(1.0));
	crq_node_push(scalars, number(-0.25));
	crq_node_push(scalars, number(1e300));
	crq_node_push(scalars, number(5e-324));
	crq_node_push(scalars, number(0.1 + 0.2));
	crq_node_push(scalars, number(INFINITY));
	crq_node_push(scalars, number(-INFINITY));
	crq_node_push(scalars, crq_node_new_bool(1));
	crq_node_push(scalars, crq_node_new_bool(0));
	crq_node_push(scalars, crq_node_new(CRQ_NODE_NULL));
	crq_node_push(scalars, crq_node_new(CRQ_NODE_ARRAY));
	crq_node_push(scalars, crq_node_new(CRQ_NODE_OBJECT));

	/* arrays of arrays of objects, a few levels deep */
	p = nested;
	for (i = 0; i < 6; i++) {
		a = crq_node_new(CRQ_NODE_ARRAY);
		o = crq_node_new(CRQ_NODE_OBJECT);
		crq_node_set(o, "text", crq_node_new_cstr("x\ny\n"));
		crq_node_set(o, "empty", crq_node_new(CRQ_NODE_ARRAY));
		crq_node_set(o, "level", crq_node_new_int((long long)i));
		crq_node_push(p, o);
		crq_node_push(p, crq_node_new_cstr(tricky[i * 7]));
		crq_node_push(p, a);
		p = a;
	}
	crq_node_set(root, "list", list);
	crq_node_set(root, "keys", as_keys);
	crq_node_set(root, "objects", objs);
	crq_node_set(root, "scalars", scalars);
	crq_node_set(root, "nested", nested);
	return root;
}

/* emit, load, type; returns the emitted text */
static char *round_trip(const crq_node *t)
{
	crq_buf b = CRQ_BUF_INIT, again = CRQ_BUF_INIT;
	crq_node *back = NULL;

	crq_yaml_emit(&b, t);
	assert_crq_ok(crq_yaml_load(&back, b.ptr, b.size, "rt.yaml"));
	resolve(back);
	if (!crq_node_equal(t, back))
		print_error("round trip changed the tree:\n%s\n", b.ptr);
	assert_true(crq_node_equal(t, back));
	/* the canonical form is a fixed point */
	crq_yaml_emit(&again, back);
	assert_string_equal(again.ptr, b.ptr);
	crq_node_free(back);
	crq_buf_dispose(&again);
	return crq_buf_detach(&b);
}

static void test_round_trip(void **state)
{
	crq_node *t = tricky_tree(), *n;
	size_t i;

	(void)state;
	free(round_trip(t));
	/* each string alone as the root, a key and a list item */
	for (i = 0; i < ARRAY_SIZE(tricky); i++) {
		n = crq_node_new_cstr(tricky[i]);
		free(round_trip(n));
		crq_node_free(n);
	}
	for (i = 0; i < t->count; i++)
		free(round_trip(t->items[i]));
	crq_node_free(t);
}

/* PyYAML's reading as JSON; keys that are not strings and values that
 * are not JSON (dates) show up as "!..." strings that match nothing. */
static const char pyyaml_script[] =
	"import yaml, sys, json\n"
	"def fix(o):\n"
	"    if isinstance(o, dict):\n"
	"        return {(k if isinstance(k, str) else \"!key \" + repr(k)):\n"
	"                fix(v) for k, v in o.items()}\n"
	"    if isinstance(o, list):\n"
	"        return [fix(v) for v in o]\n"
	"    if o is None or isinstance(o, (str, bool, int, float)):\n"
	"        return o\n"
	"    return \"!\" + repr(o)\n"
	"print(json.dumps(fix(yaml.safe_load(sys.stdin.buffer))))\n";

/* Every emitted string stays a string for PyYAML, a YAML 1.1 reader. */
static void pyyaml_agrees(const crq_node *t)
{
	char path[] = "/tmp/crq-test-yaml-XXXXXX";
	crq_buf yaml = CRQ_BUF_INIT, json = CRQ_BUF_INIT, cmd = CRQ_BUF_INIT;
	crq_node *back = NULL;
	FILE *f, *p;
	char tmp[4096];
	size_t n;
	int fd;

	crq_yaml_emit(&yaml, t);
	fd = mkstemp(path);
	assert_true(fd >= 0);
	f = fdopen(fd, "w");
	assert_non_null(f);
	assert_int_equal(fwrite(yaml.ptr, 1, yaml.size, f), yaml.size);
	assert_int_equal(fclose(f), 0);
	crq_buf_printf(&cmd, "/usr/bin/python3 -c '%s' < %s", pyyaml_script,
		path);
	p = popen(cmd.ptr, "r");
	assert_non_null(p);
	while ((n = fread(tmp, 1, sizeof(tmp), p)) > 0)
		crq_buf_put(&json, tmp, n);
	assert_int_equal(pclose(p), 0);
	unlink(path);
	assert_crq_ok(crq_json_parse(&back, json.ptr, json.size, "py.json"));
	if (!crq_node_equal(t, back))
		print_error("PyYAML read\n%s\nas %s\n", yaml.ptr, json.ptr);
	assert_true(crq_node_equal(t, back));
	crq_node_free(back);
	crq_buf_dispose(&yaml);
	crq_buf_dispose(&json);
	crq_buf_dispose(&cmd);
}

static void test_pyyaml_cross_check(void **state)
{
	crq_node *t, *scalars;
	size_t i;

	(void)state;
	if (access("/usr/bin/python3", X_OK) ||
	    system("/usr/bin/python3 -c 'import yaml' 2>/dev/null")) {
		print_message("python3-yaml missing: skipped\n");
		skip();
	}
	t = tricky_tree();
	/* JSON has no infinities */
	scalars = crq_node_get(t, "scalars");
	for (i = 0; i < scalars->count; i++) {
		crq_node *s = scalars->items[i];

		if (s->kind == CRQ_NODE_NUMBER && isinf(s->n))
			s->n = 1.5;
	}
	pyyaml_agrees(t);
	crq_node_free(t);
	t = change_doc();
	pyyaml_agrees(t);
	crq_node_free(t);
}


/* ------------------------------------------------------------------ */
/* The fast path builds exactly the tree of the libyaml path */

static void same_tree(const crq_node *a, const crq_node *b)
{
	size_t i;

	assert_int_equal(a->kind, b->kind);
	assert_int_equal(a->plain, b->plain);
	assert_int_equal(a->line, b->line);
	assert_int_equal(a->col, b->col);
	assert_int_equal(a->count, b->count);
	if (a->kind == CRQ_NODE_STRING) {
		assert_int_equal(a->len, b->len);
		assert_memory_equal(a->str, b->str, a->len + 1);
	}
	for (i = 0; i < a->count; i++) {
		if (a->kind == CRQ_NODE_OBJECT)
			assert_string_equal(a->keys[i], b->keys[i]);
		same_tree(a->items[i], b->items[i]);
	}
}

/* 1 when the fast path took text; then libyaml must agree on the tree */
static int fast_agrees(const char *text, size_t len)
{
	crq_node *fast = NULL, *slow = NULL;

	if (!crq_yaml__load_fast(&fast, text, len)) {
		assert_null(fast);
		return 0;
	}
	if (crq_yaml__load_slow(&slow, text, len, "x.yaml") != 0)
		print_error("fast path took what libyaml refuses (%s):\n%.*s\n",
			crq_error_last(), (int)len, text);
	assert_non_null(slow);
	same_tree(fast, slow);
	crq_node_free(fast);
	crq_node_free(slow);
	return 1;
}

/* A change file as crq writes it, and a policy-like document. */
static const char canonical_change[] =
	"id: CHG-000042\n"
	"title: Rotate TLS certificates on edge-01, edge-02 [prod] {eu}\n"
	"type: normal\n"
	"state: submitted\n"
	"requester: alice@example.com\n"
	"services:\n"
	"  - edge\n"
	"  - 'yes'\n"
	"  - web\n"
	"impact: high\n"
	"urgency: low\n"
	"description: |\n"
	"  Certificates expire on 2026-12-01: renew them.\n"
	"\n"
	"    indented # not a comment\n"
	"  'quoted' and \"double\" stay as they are\n"
	"implementation_plan: |-\n"
	"  1. drain\n"
	"  2. rotate\n"
	"backout_plan: |+\n"
	"  restore the old bundle\n"
	"\n"
	"\n"
	"test_plan: curl -v https://edge-01/health#ok\n"
	"justification: 'it''s due: soon # really'\n"
	"window:\n"
	"  start: '2026-12-01T02:00:00Z'\n"
	"  end: '2026-12-01T04:00:00Z'\n"
	"tasks:\n"
	"  - title: Prepare\n"
	"    owner: bob@example.com\n"
	"    done: true\n"
	"  - title: Apply\n"
	"    notes: |\n"
	"      first\n"
	"      second\n"
	"    done: false\n"
	"approvals:\n"
	"  - by: carol@example.com\n"
	"    role: cab\n"
	"    digest: sha256:0123456789abcdef\n"
	"created: 2026-11-23T10:00:00Z\n"
	"x.y-z_0: 12:30\n"
	"empty: ''\n"
	"deep:\n"
	"  a:\n"
	"    b:\n"
	"      - c:\n"
	"          - d\n"
	"          - 1.5\n"
	"        e: null\n"
	"none: []\n"
	"nothing: {}\n"
	"lists:\n"
	"  - []\n"
	"  - {}\n";

static void test_fast_path_takes_canonical(void **state)
{
	static const char *const files[] = {
		"examples/changes/CHG-000001.yaml",
		"examples/changes/CHG-000002.yaml",
		"examples/changes/CHG-000003.yaml",
		"examples/policy.yaml",
	};
	crq_buf text = CRQ_BUF_INIT, out = CRQ_BUF_INIT;
	crq_node *doc;
	size_t i;

	static const char *const small[] = {
		"null: x\n", "true: 'no'\n", "1: 2\n", "_a.b-c: d e f\n",
		"a:\n  - b\n  - c: d\n    e: |-\n      f\n",
		"a: x:y\nb: x#y\nc: '#'\n",
		/* the emitter quotes a key YAML 1.1 reads as a boolean */
		"'on': assess\n", "a:\n  - 'no': 1\n    'yes': 2\n",
	};

	(void)state;
	assert_true(fast_agrees(canonical_change, strlen(canonical_change)));
	for (i = 0; i < ARRAY_SIZE(small); i++)
		assert_true(fast_agrees(small[i], strlen(small[i])));
	for (i = 0; i < ARRAY_SIZE(files); i++) {
		crq_buf_clear(&text);
		crq_buf_clear(&out);
		assert_crq_ok(crq_buf_read_file(&text, files[i], 1 << 20));
		doc = load_ok(crq_buf_cstr(&text));
		/* what crq writes is what the fast path is for */
		crq_yaml_emit(&out, doc);
		if (!fast_agrees(out.ptr, out.size))
			print_error("fast path refused emitted %s:\n%s\n",
				files[i], out.ptr);
		assert_true(fast_agrees(out.ptr, out.size));
		/* the hand-written file (comments) may go either way */
		fast_agrees(text.ptr, text.size);
		crq_node_free(doc);
	}
	crq_buf_dispose(&text);
	crq_buf_dispose(&out);
}

static void test_fast_path_gives_up(void **state)
{
	/* each is outside the subset: libyaml reads it (or says why) */
	static const char *const outside[] = {
		"", "a: b", "a: b\r\n", "a:\tb\n", "a: \xc3\xa9\n",
		"# c\na: b\n", "a: b # c\n", "a: b\n# c\n", "a: b\n\nc: d\n",
		"---\na: b\n", "%YAML 1.1\n---\na: b\n", "a: b\n...\n",
		"a: \"b\"\n", "a: {b: c}\n", "a: [b]\n", "a: [ ]\n", "a: []x\n", "a: &x b\nc: *x\n",
		"a: !!str b\n", "a: b\na: c\n", "a:\n", "a:\nb: c\n",
		"a: b \n", "a: b:\n", "a: b: c\n", "a: b\n  c\n",
		"a:\n    b: c\n", "a:\n- b\n", "a:\n  - - b\n", "a:\n  -\n",
		"a: |2\n   x\n", "a: |\n    x\n", "a: |\n\n  x\n",
		"a: |\n  x\n  \n", "a: |\n  x", "a: 'b\n  c'\n", "a: 'b' \n",
		"a: 'b'c\n", "'a b': c\n", "'a''b': c\n", "? a\n: b\n", "<<: b\n", "- a\n",
		"a\n", "a: -b\n", "a: :b\n", "a: >\n  x\n", "a: @b\n",
		" a: b\n", "a: b\n c: d\n", "a: b\n   c: d\n", "-a: b\n",
		"a : b\n", "a:  b\n",
	};
	crq_node *n = NULL;
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(outside); i++) {
		if (crq_yaml__load_fast(&n, outside[i], strlen(outside[i])))
			print_error("fast path took '%s'\n", outside[i]);
		assert_null(n);
	}
	/* nesting beyond the bound is left to libyaml's message */
	{
		crq_buf deep = CRQ_BUF_INIT;

		for (i = 0; i < 70; i++) {
			crq_buf_printf(&deep, "%*sk:\n", (int)(2 * i), "");
		}
		crq_buf_printf(&deep, "%*sk: v\n", 140, "");
		assert_int_equal(crq_yaml__load_fast(&n, deep.ptr, deep.size), 0);
		load_fails(deep.ptr, deep.size, "nesting deeper than");
		crq_buf_dispose(&deep);
	}
}

/* Every one-byte edit of a canonical document: wherever the fast path
 * still takes the text, libyaml reads the same tree. */
static void test_fast_path_mutations(void **state)
{
	static const char edits[] = { 0, ' ', '\n', ':', '#', '-', '\'',
		'|', 'x', '"' };
	const char *doc = canonical_change;
	size_t len = strlen(doc), pos, e, taken = 0, total = 0;
	char *buf = malloc(len + 2);

	(void)state;
	for (pos = 0; pos < len; pos++) {
		for (e = 0; e < ARRAY_SIZE(edits); e++) {
			size_t n;

			if (edits[e] == 0) {	/* delete the byte */
				memcpy(buf, doc, pos);
				memcpy(buf + pos, doc + pos + 1, len - pos - 1);
				n = len - 1;
			} else if (e & 1) {	/* insert */
				memcpy(buf, doc, pos);
				buf[pos] = edits[e];
				memcpy(buf + pos + 1, doc + pos, len - pos);
				n = len + 1;
			} else {		/* replace */
				memcpy(buf, doc, len);
				buf[pos] = edits[e];
				n = len;
			}
			taken += (size_t)fast_agrees(buf, n);
			total++;
		}
	}
	/* the sweep must exercise the fast path, not only its refusals */
	assert_true(taken > total / 4);
	free(buf);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_load_document),
		cmocka_unit_test(test_load_empty),
		cmocka_unit_test(test_load_scalars_and_keys),
		cmocka_unit_test(test_reject_anchors_aliases),
		cmocka_unit_test(test_reject_tags),
		cmocka_unit_test(test_reject_directives_documents),
		cmocka_unit_test(test_reject_keys),
		cmocka_unit_test(test_many_keys),
		cmocka_unit_test(test_reject_bytes),
		cmocka_unit_test(test_syntax_errors),
		cmocka_unit_test(test_depth),
		cmocka_unit_test(test_deep_runs_fast),
		cmocka_unit_test(test_size_limit),
		cmocka_unit_test(test_plain_ambiguous),
		cmocka_unit_test(test_plain_resolution),
		cmocka_unit_test(test_emit_golden),
		cmocka_unit_test(test_emit_layout),
		cmocka_unit_test(test_emit_strings),
		cmocka_unit_test(test_emit_numbers),
		cmocka_unit_test(test_emit_long_key),
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_fast_path_takes_canonical),
		cmocka_unit_test(test_fast_path_gives_up),
		cmocka_unit_test(test_fast_path_mutations),
		cmocka_unit_test(test_pyyaml_cross_check),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
