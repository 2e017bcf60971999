/*
 * test_schema.c - the draft-07 validator and the typing of plain scalars.
 */
#include <math.h>
#include <stdlib.h>
#include <unistd.h>
#include "testutil.h"

static crq_node *json(const char *text)
{
	crq_node *n = NULL;

	assert_crq_ok(crq_json_parse(&n, text, strlen(text), "test.json"));
	return n;
}

static crq_schema *schema_of(const char *text)
{
	crq_schema *s = NULL;

	assert_crq_ok(crq_schema_from_node(&s, json(text), "test-schema"));
	assert_non_null(s);
	return s;
}

/* Validate doc against schema; returns the code, issues in *is. */
static int run(const char *schema, const char *doc, crq_issues *is)
{
	crq_schema *s = schema_of(schema);
	crq_node *d = json(doc);
	int rc;

	crq_issues_init(is);
	rc = crq_schema_validate(s, d, is);
	crq_node_free(d);
	crq_schema_free(s);
	return rc;
}

static void valid(const char *schema, const char *doc)
{
	crq_issues is;
	int rc = run(schema, doc, &is);

	if (rc != 0 || is.count)
		print_error("%s against %s: %d, %s\n", doc, schema, rc,
			is.count ? is.items[0].message : crq_error_last());
	assert_int_equal(rc, 0);
	assert_int_equal(is.count, 0);
	crq_issues_dispose(&is);
}

/* Exactly one issue, at pointer, whose message contains msg. */
static void invalid(const char *schema, const char *doc, const char *pointer,
	const char *msg)
{
	crq_issues is;
	int rc = run(schema, doc, &is);
	size_t i;

	if (is.count != 1 || !strstr(is.items[0].message, msg))
		for (i = 0; i < is.count; i++)
			print_error("issue %zu: %s: %s\n", i,
				is.items[i].pointer, is.items[i].message);
	assert_int_equal(rc, CRQ_EINVALID);
	assert_int_equal(is.count, 1);
	assert_string_equal(is.items[0].pointer, pointer);
	assert_non_null(strstr(is.items[0].message, msg));
	/* one line, no trailing newline */
	assert_null(strchr(is.items[0].message, '\n'));
	crq_issues_dispose(&is);
}

static size_t count_issues(const char *schema, const char *doc)
{
	crq_issues is;
	size_t n;

	run(schema, doc, &is);
	n = is.count;
	crq_issues_dispose(&is);
	return n;
}

/* The schema itself is broken: an error, not an issue. */
static void schema_error(const char *schema, const char *doc,
	const char *msg)
{
	crq_issues is;

	assert_crq_fails(run(schema, doc, &is), CRQ_EINVALID, msg);
	assert_int_equal(is.count, 0);
	crq_issues_dispose(&is);
}

static void test_issues(void **state)
{
	crq_issues is;
	crq_node *n = crq_node_new_int(1);

	(void)state;
	n->line = 3;
	n->col = 7;
	crq_issues_init(&is);
	assert_int_equal(is.count, 0);
	crq_issues_add(&is, n, "/a/0", "bad %s %d", "thing", 42);
	crq_issues_add(&is, NULL, NULL, "no position");
	assert_int_equal(is.count, 2);
	assert_string_equal(is.items[0].pointer, "/a/0");
	assert_string_equal(is.items[0].message, "bad thing 42");
	assert_int_equal(is.items[0].line, 3);
	assert_int_equal(is.items[0].col, 7);
	assert_string_equal(is.items[1].pointer, "");
	assert_int_equal(is.items[1].line, 0);
	assert_int_equal(is.items[1].col, 0);
	crq_issues_dispose(&is);
	assert_int_equal(is.count, 0);
	assert_null(is.items);
	crq_node_free(n);
}

static void test_load(void **state)
{
	char path[] = "/tmp/crq-schema-XXXXXX";
	const char *text = "{\"type\": \"object\",\n \"required\": [\"a\"]}";
	crq_schema *s = NULL;
	crq_node *d;
	FILE *f;
	int fd;

	(void)state;
	fd = mkstemp(path);
	assert_true(fd >= 0);
	f = fdopen(fd, "w");
	fputs(text, f);
	fclose(f);
	assert_crq_ok(crq_schema_load(&s, path));
	assert_int_equal(crq_schema_root(s)->kind, CRQ_NODE_OBJECT);
	assert_string_equal(crq_node_get_str(crq_schema_root(s), "type"),
		"object");
	d = json("{}");
	assert_crq_fails(crq_schema_validate(s, d, NULL), CRQ_EINVALID,
		"does not match");
	crq_node_free(d);
	crq_schema_free(s);

	/* broken JSON: the parser's message with the file name */
	f = fopen(path, "w");
	fputs("{\"type\": \"object\",\n \"type\": 1}", f);
	fclose(f);
	s = (crq_schema *)&s;
	assert_crq_fails(crq_schema_load(&s, path), CRQ_EINVALID,
		":2:2: duplicate key 'type'");
	assert_null(s);
	assert_non_null(strstr(crq_error_last(), path));
	unlink(path);
	assert_crq_fails(crq_schema_load(&s, path), CRQ_ENOTFOUND, path);
	assert_null(s);

	assert_crq_fails(crq_schema_from_node(&s, json("[1]"), "x.json"),
		CRQ_EINVALID,
		"x.json: a schema must be an object or a boolean");
	assert_null(s);
	crq_schema_free(NULL);
}

static void test_boolean_schemas(void **state)
{
	(void)state;
	valid("true", "{\"a\": [1]}");
	invalid("false", "1", "", "the document is not allowed");
	invalid("{\"properties\": {\"a\": false}}", "{\"a\": 1}", "/a",
		"'a' is not allowed");
	valid("{\"properties\": {\"a\": false}}", "{\"b\": 1}");
}

static void test_type(void **state)
{
	(void)state;
	valid("{\"type\": \"integer\"}", "1");
	valid("{\"type\": \"integer\"}", "1.0");
	valid("{\"type\": \"integer\"}", "-1e3");
	invalid("{\"type\": \"integer\"}", "1.5", "",
		"the document must be of type integer, not number");
	valid("{\"type\": \"number\"}", "1");
	valid("{\"type\": \"number\"}", "1.5");
	invalid("{\"type\": \"number\"}", "\"1\"", "",
		"must be of type number, not string");
	valid("{\"type\": \"null\"}", "null");
	invalid("{\"type\": \"boolean\"}", "0", "", "type boolean");
	valid("{\"type\": \"array\"}", "[]");
	invalid("{\"type\": \"object\"}", "[]", "", "not array");
	invalid("{\"properties\": {\"n\": {\"type\": [\"string\", \"null\"]}}}",
		"{\"n\": 1}", "/n", "'n' must be of type string or null, "
		"not integer");
	invalid("{\"type\": [\"string\", \"integer\", \"null\"]}", "true", "",
		"must be of type string, integer or null, not boolean");
	valid("{\"type\": [\"string\", \"null\"]}", "null");
	schema_error("{\"type\": \"float\"}", "1", "invalid type");
	/* a failed type check does not pile up more issues */
	assert_int_equal(count_issues("{\"type\": \"string\", \"minLength\": 9,"
		" \"enum\": [\"x\"]}", "1"), 1);
}

static void test_enum_const(void **state)
{
	(void)state;
	valid("{\"enum\": [\"a\", 1, null]}", "1.0");
	valid("{\"enum\": [{\"a\": [1]}]}", "{\"a\": [1]}");
	invalid("{\"properties\": {\"state\": {\"enum\": [\"draft\", "
		"\"submitted\", 3]}}}", "{\"state\": \"open\"}", "/state",
		"'state' must be one of: draft, submitted, 3");
	invalid("{\"enum\": [false]}", "0", "", "must be one of: false");
	valid("{\"const\": 2}", "2.0");
	invalid("{\"const\": \"x\"}", "\"y\"", "", "must be \"x\"");
	invalid("{\"const\": {\"a\": false}}", "{\"a\": 0}", "",
		"must be {\"a\":false}");
}

static void test_object_keywords(void **state)
{
	const char *s = "{\"properties\": {\"a\": {\"type\": \"string\"}},"
		" \"patternProperties\": {\"^x-\": {\"type\": \"integer\"}},"
		" \"additionalProperties\": false}";

	(void)state;
	valid(s, "{\"a\": \"1\", \"x-b\": 2}");
	invalid(s, "{\"a\": 1}", "/a", "'a' must be of type string");
	invalid(s, "{\"x-b\": \"2\"}", "/x-b", "'x-b' must be of type integer");
	invalid(s, "{\"b\": 1}", "/b", "'b' is not an allowed field");
	assert_int_equal(count_issues(s, "{\"b\": 1, \"c\": 2, \"a\": 3}"), 3);
	invalid("{\"additionalProperties\": {\"type\": \"boolean\"}}",
		"{\"k\": 1}", "/k", "'k' must be of type boolean");
	invalid("{\"required\": [\"title\", \"id\"]}", "{\"id\": 1}", "",
		"missing required field 'title'");
	invalid("{\"properties\": {\"window\": {\"required\": [\"start\"]}}}",
		"{\"window\": {}}", "/window",
		"missing required field 'window.start'");
	invalid("{\"propertyNames\": {\"pattern\": \"^[a-z]+$\"}}",
		"{\"ok\": 1, \"Bad\": 2}", "/Bad", "'Bad' has an invalid name");
	invalid("{\"minProperties\": 2}", "{\"a\": 1}", "",
		"must have at least 2 fields");
	invalid("{\"maxProperties\": 1}", "{\"a\": 1, \"b\": 2}", "",
		"must have at most 1 field");
	valid("{\"maxProperties\": 1}", "[1, 2]");
	invalid("{\"dependencies\": {\"a\": [\"b\"]}}", "{\"a\": 1}", "",
		"must have field 'b' when it has field 'a'");
	valid("{\"dependencies\": {\"a\": [\"b\"]}}", "{\"c\": 1}");
	invalid("{\"dependencies\": {\"a\": {\"required\": [\"c\"]}}}",
		"{\"a\": 1}", "", "missing required field 'c'");
	/* escaping in pointers */
	invalid("{\"additionalProperties\": false}", "{\"a/b~c\": 1}",
		"/a~1b~0c", "'a/b~c' is not an allowed field");
}

static void test_array_keywords(void **state)
{
	(void)state;
	valid("{\"items\": {\"type\": \"integer\"}}", "[1, 2]");
	invalid("{\"properties\": {\"l\": {\"items\": {\"type\": "
		"\"integer\"}}}}", "{\"l\": [1, \"x\"]}", "/l/1",
		"'l[1]' must be of type integer");
	invalid("{\"items\": [{\"type\": \"string\"}], \"additionalItems\": "
		"false}", "[\"a\", 2]", "/1", "'[1]' is not allowed");
	valid("{\"items\": [{\"type\": \"string\"}]}", "[\"a\", 2]");
	invalid("{\"items\": [true], \"additionalItems\": {\"type\": "
		"\"null\"}}", "[1, null, 2]", "/2", "type null");
	invalid("{\"contains\": {\"const\": 3}}", "[1, 2]", "",
		"must contain at least one matching item");
	invalid("{\"contains\": true}", "[]", "", "must contain");
	valid("{\"contains\": {\"const\": 3}}", "[1, 3]");
	invalid("{\"minItems\": 1}", "[]", "", "must have at least 1 item");
	invalid("{\"maxItems\": 1}", "[1, 2]", "", "must have at most 1 item");
	invalid("{\"uniqueItems\": true}", "[1, {\"a\": 1}, {\"a\": 1.0}]", "",
		"must not contain duplicate items (item 2 repeats item 1)");
	valid("{\"uniqueItems\": true}", "[1, true, \"1\", [1], {\"a\": 1}]");
	valid("{\"uniqueItems\": false}", "[1, 1]");
}

static void test_string_keywords(void **state)
{
	(void)state;
	/* lengths count code points */
	valid("{\"maxLength\": 2}", "\"\xc3\xa9\xc3\xa9\"");
	invalid("{\"maxLength\": 2}", "\"abc\"", "",
		"must be at most 2 characters long");
	invalid("{\"minLength\": 2}", "\"\xf0\x9f\x98\x80\"", "",
		"must be at least 2 characters long");
	invalid("{\"minLength\": 1}", "\"\"", "", "at least 1 character long");
	valid("{\"pattern\": \"^[A-Z]+-[0-9]{6}$\"}", "\"CHG-000001\"");
	invalid("{\"pattern\": \"^[A-Z]+-[0-9]{6}$\"}", "\"CHG-1\"", "",
		"must match the pattern '^[A-Z]+-[0-9]{6}$'");
	/* not anchored, UTF-8 aware */
	valid("{\"pattern\": \"b\"}", "\"abc\"");
	valid("{\"pattern\": \"^.$\"}", "\"\xc3\xa9\"");
	valid("{\"pattern\": \"^x\"}", "12");
	schema_error("{\"pattern\": \"(\"}", "\"a\"",
		"test-schema: invalid pattern '('");
	schema_error("{\"patternProperties\": {\"[\": true}}", "{\"a\": 1}",
		"invalid pattern '['");
}

static void test_format(void **state)
{
	const char *dt = "{\"properties\": {\"window\": {\"properties\": "
		"{\"start\": {\"format\": \"date-time\"}}}}}";

	(void)state;
	valid(dt, "{\"window\": {\"start\": \"2026-01-02T10:00:00Z\"}}");
	invalid(dt, "{\"window\": {\"start\": \"2026-01-02 10:00\"}}",
		"/window/start",
		"'window.start' is not an RFC 3339 date-time");
	valid(dt, "{\"window\": {\"start\": 5}}");
	valid("{\"format\": \"date\"}", "\"2024-02-29\"");
	invalid("{\"format\": \"date\"}", "\"2023-02-29\"", "",
		"is not an RFC 3339 date");
	/* unknown formats are annotations */
	valid("{\"format\": \"email\"}", "\"not an address\"");
}

static void test_datetime(void **state)
{
	static const char *const good[] = {
		"2026-01-02T10:00:00Z", "2026-01-02t10:00:00z",
		"1963-06-19T08:30:06.283185Z", "1937-01-01T12:00:27.87+00:20",
		"1990-12-31T15:59:50.123-08:00", "2024-02-29T00:00:00Z",
		"2000-02-29T23:59:60Z", "2026-12-31T23:59:59+14:00",
	};
	static const char *const bad[] = {
		"", "2026-01-02", "2026-01-02T10:00:00", "2026-01-02 10:00:00Z",
		"2026-01-02T10:00Z", "2026-13-02T10:00:00Z",
		"2026-00-02T10:00:00Z", "2026-01-32T10:00:00Z",
		"2023-02-29T10:00:00Z", "1900-02-29T10:00:00Z",
		"2026-04-31T10:00:00Z", "2026-01-02T24:00:00Z",
		"2026-01-02T10:60:00Z", "2026-01-02T10:00:61Z",
		"2026-01-02T10:00:00.Z", "2026-01-02T10:00:00+24:00",
		"2026-01-02T10:00:00+01:60", "2026-01-02T10:00:00+0100",
		"2026-01-02T10:00:00Zx", "1990-02-31T15:59:60.123-08:00",
		"2013-350T01:01:01", "26-01-02T10:00:00Z",
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		if (!crq_schema_is_datetime(good[i]))
			print_error("rejected %s\n", good[i]);
		assert_true(crq_schema_is_datetime(good[i]));
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (crq_schema_is_datetime(bad[i]))
			print_error("accepted %s\n", bad[i]);
		assert_false(crq_schema_is_datetime(bad[i]));
	}
}

static void test_numeric_keywords(void **state)
{
	(void)state;
	valid("{\"minimum\": 1, \"maximum\": 3}", "1");
	valid("{\"minimum\": 1, \"maximum\": 3}", "3.0");
	invalid("{\"minimum\": 1}", "0.5", "", "must be >= 1");
	invalid("{\"maximum\": 2.5}", "3", "", "must be <= 2.5");
	invalid("{\"exclusiveMinimum\": 1}", "1", "", "must be > 1");
	invalid("{\"exclusiveMaximum\": 1}", "1.0", "", "must be < 1");
	valid("{\"exclusiveMaximum\": 1}", "0.99");
	valid("{\"maximum\": 9223372036854775807}", "9223372036854775807");
	invalid("{\"maximum\": 9223372036854775806}", "9223372036854775807",
		"", "must be <= 9223372036854775806");
	valid("{\"minimum\": 5}", "\"a\"");
	assert_int_equal(count_issues("{\"minimum\": 5, \"multipleOf\": 2}",
		"3"), 2);
	valid("{\"multipleOf\": 2}", "10");
	invalid("{\"multipleOf\": 2}", "7", "", "must be a multiple of 2");
	valid("{\"multipleOf\": 0.0001}", "0.0075");
	invalid("{\"multipleOf\": 0.0001}", "0.00751", "",
		"must be a multiple of 0.0001");
	valid("{\"multipleOf\": 1.5}", "4.5");
	valid("{\"multipleOf\": 0.01}", "19.99");
	invalid("{\"multipleOf\": 1.5}", "35", "", "multiple of 1.5");
	valid("{\"multipleOf\": -1}", "-9223372036854775807");
}

static void test_combinators(void **state)
{
	const char *any = "{\"properties\": {\"v\": {\"anyOf\": ["
		"{\"type\": \"string\", \"maxLength\": 2}, "
		"{\"type\": \"integer\"}]}}}";
	const char *one = "{\"oneOf\": [{\"type\": \"integer\"}, "
		"{\"minimum\": 2}]}";
	const char *cond = "{\"if\": {\"properties\": {\"type\": {\"const\": "
		"\"emergency\"}}}, \"then\": {\"required\": [\"incident\"]}, "
		"\"else\": {\"properties\": {\"incident\": false}}}";

	(void)state;
	valid(any, "{\"v\": \"ab\"}");
	valid(any, "{\"v\": 3}");
	invalid(any, "{\"v\": \"abc\"}", "/v",
		"'v' matches none of the alternatives");
	valid(one, "1");
	valid(one, "2.5");
	invalid(one, "3", "", "the document matches more than one alternative");
	invalid(one, "1.5", "", "matches none of the alternatives");
	invalid("{\"allOf\": [{\"minimum\": 2}, {\"multipleOf\": 2}]}", "3",
		"", "must be a multiple of 2");
	assert_int_equal(count_issues("{\"allOf\": [{\"minimum\": 2}, "
		"{\"multipleOf\": 2}]}", "1"), 2);
	invalid("{\"not\": {\"type\": \"null\"}}", "null", "",
		"matches a schema it must not match");
	valid("{\"not\": {\"type\": \"null\"}}", "0");
	valid(cond, "{\"type\": \"emergency\", \"incident\": \"INC-1\"}");
	valid(cond, "{\"type\": \"normal\"}");
	invalid(cond, "{\"type\": \"emergency\"}", "",
		"missing required field 'incident'");
	invalid(cond, "{\"type\": \"normal\", \"incident\": \"x\"}",
		"/incident", "'incident' is not allowed");
	valid("{\"then\": false}", "1");
}

static void test_ref(void **state)
{
	const char *s = "{\"definitions\": {\"email\": {\"type\": \"string\", "
		"\"pattern\": \"@\"}, \"a/b\": {\"type\": \"integer\"}, "
		"\"t~\": {\"type\": \"null\"}, \"p%\": {\"const\": 1}},"
		" \"properties\": {"
		"\"owner\": {\"$ref\": \"#/definitions/email\", "
		"\"maxLength\": 1},"
		"\"n\": {\"$ref\": \"#/definitions/a~1b\"},"
		"\"t\": {\"$ref\": \"#/definitions/t~0\"},"
		"\"p\": {\"$ref\": \"#/definitions/p%25\"},"
		"\"i\": {\"$ref\": \"#/properties/l/items/1\"},"
		"\"l\": {\"items\": [true, {\"type\": \"boolean\"}]},"
		"\"self\": {\"$ref\": \"#\"}}}";

	(void)state;
	/* siblings of $ref are ignored */
	valid(s, "{\"owner\": \"someone@example.org\"}");
	invalid(s, "{\"owner\": \"someone\"}", "/owner",
		"'owner' must match the pattern '@'");
	valid(s, "{\"n\": 1, \"t\": null, \"p\": 1, \"i\": true}");
	invalid(s, "{\"n\": \"1\"}", "/n", "type integer");
	invalid(s, "{\"t\": 1}", "/t", "type null");
	invalid(s, "{\"p\": 2}", "/p", "must be 1");
	invalid(s, "{\"i\": 1}", "/i", "type boolean");
	invalid(s, "{\"self\": {\"self\": {\"n\": 0.5}}}", "/self/self/n",
		"'self.self.n' must be of type integer");
	schema_error("{\"properties\": {\"a\": {\"$ref\": "
		"\"#/definitions/missing\"}}}", "{\"a\": 1}",
		"test-schema: cannot resolve $ref '#/definitions/missing'");
	schema_error("{\"$ref\": \"other.json#/x\"}", "1",
		"cannot resolve $ref 'other.json#/x'");
	schema_error("{\"$ref\": \"#/items/0\", \"items\": [1]}", "1",
		"a schema must be an object or a boolean");
	schema_error("{\"$ref\": \"#\"}", "1", "(a $ref loop?)");
	schema_error("{\"definitions\": {\"a\": {\"$ref\": "
		"\"#/definitions/b\"}, \"b\": {\"$ref\": \"#/definitions/a\"}},"
		" \"$ref\": \"#/definitions/a\"}", "1", "$ref loop");
	/* an unused broken $ref is no error */
	valid("{\"properties\": {\"a\": {\"$ref\": \"#/nope\"}}}", "{}");
}

static void test_positions(void **state)
{
	crq_issues is;
	int rc;

	(void)state;
	rc = run("{\"properties\": {\"window\": {\"properties\": {\"start\": "
		"{\"type\": \"string\"}}, \"required\": [\"end\"]}}}",
		"{\n  \"window\": {\n    \"start\": 5\n  }\n}", &is);
	assert_int_equal(rc, CRQ_EINVALID);
	assert_int_equal(is.count, 2);
	assert_string_equal(is.items[0].pointer, "/window/start");
	assert_int_equal(is.items[0].line, 3);
	assert_int_equal(is.items[0].col, 14);
	assert_string_equal(is.items[1].pointer, "/window");
	assert_string_equal(is.items[1].message,
		"missing required field 'window.end'");
	assert_int_equal(is.items[1].line, 2);
	assert_int_equal(is.items[1].col, 13);
	crq_issues_dispose(&is);
}

static void test_lookup(void **state)
{
	crq_schema *s = schema_of("{\"definitions\": {\"win\": {\"allOf\": ["
		"{\"properties\": {\"start\": "
		"{\"$ref\": \"#/definitions/dt\"}}}]},"
		" \"dt\": {\"type\": \"string\", \"format\": \"date-time\"}},"
		" \"allOf\": [{\"properties\": "
		"{\"id\": {\"type\": \"string\"}}}],"
		" \"properties\": {\"window\": "
		"{\"$ref\": \"#/definitions/win\"}}}");
	const crq_node *n;

	(void)state;
	n = crq_schema_lookup(s, "window.start");
	assert_non_null(n);
	assert_string_equal(crq_node_get_str(n, "format"), "date-time");
	n = crq_schema_lookup(s, "id");
	assert_non_null(n);
	assert_string_equal(crq_node_get_str(n, "type"), "string");
	assert_non_null(crq_schema_lookup(s, "window"));
	assert_null(crq_schema_lookup(s, "window.end"));
	assert_null(crq_schema_lookup(s, "nope"));
	assert_null(crq_schema_lookup(s, "id.x"));
	assert_ptr_equal(crq_schema_lookup(s, ""), crq_schema_root(s));
	crq_schema_free(s);
}

/* ------------------------------------------------------------------ */
/* Typing */

static const char *type_schema =
	"{\"type\": \"object\","
	" \"definitions\": {\"text\": {\"type\": \"string\"}},"
	" \"properties\": {"
	"  \"title\": {\"type\": \"string\"},"
	"  \"note\": {\"$ref\": \"#/definitions/text\"},"
	"  \"count\": {\"type\": \"integer\"},"
	"  \"ratio\": {\"type\": \"number\"},"
	"  \"done\": {\"type\": \"boolean\"},"
	"  \"maybe\": {\"type\": [\"string\", \"null\"]},"
	"  \"flag\": {\"type\": [\"string\", \"boolean\"]},"
	"  \"state\": {\"enum\": [\"draft\", \"on\"]},"
	"  \"level\": {\"enum\": [1, 2, 3]},"
	"  \"start\": {\"type\": \"string\", \"format\": \"date-time\"},"
	"  \"day\": {\"type\": \"string\", \"format\": \"date\"},"
	"  \"tags\": {\"type\": \"array\", \"items\": {\"type\": \"string\"}},"
	"  \"pair\": {\"items\": [{\"type\": \"integer\"}],"
	"            \"additionalItems\": {\"type\": \"string\"}},"
	"  \"env\": {\"additionalProperties\": {\"type\": \"string\"}},"
	"  \"pp\": {\"patternProperties\": {\"^n_\": {\"type\": \"number\"}}},"
	"  \"alt\": {\"anyOf\": [{\"type\": \"integer\"},"
	"            {\"type\": \"null\"}]},"
	"  \"both\": {\"allOf\": [{\"type\": [\"string\", \"integer\"]},"
	"            {\"type\": [\"string\", \"boolean\"]}]},"
	"  \"cond\": {\"if\": {\"type\": \"string\"},"
	"            \"then\": {\"type\": \"string\"},"
	"            \"else\": {\"type\": \"boolean\"}}"
	" }}";

struct typed {
	crq_schema *schema;
	crq_node *doc;
	crq_issues issues;
	int rc;
};

static void type_doc(struct typed *t, const char *yaml)
{
	t->schema = schema_of(type_schema);
	t->doc = NULL;
	assert_crq_ok(crq_yaml_load(&t->doc, yaml, strlen(yaml), "t.yaml"));
	crq_issues_init(&t->issues);
	t->rc = crq_schema_type(t->schema, t->doc, &t->issues);
}

static void typed_done(struct typed *t)
{
	crq_issues_dispose(&t->issues);
	crq_node_free(t->doc);
	crq_schema_free(t->schema);
}

/* Type "key: value" and check the resulting node. */
static crq_node *type_one(struct typed *t, const char *yaml)
{
	crq_node *n;

	type_doc(t, yaml);
	assert_int_equal(t->doc->kind, CRQ_NODE_OBJECT);
	n = t->doc->items[0];
	assert_int_equal(n->plain, 0);
	return n;
}

static void expect_str(const char *yaml, const char *want)
{
	struct typed t;
	crq_node *n = type_one(&t, yaml);

	if (t.rc)
		print_error("%s: %s\n", yaml, t.issues.count ?
			t.issues.items[0].message : crq_error_last());
	assert_int_equal(t.rc, 0);
	assert_int_equal(n->kind, CRQ_NODE_STRING);
	assert_string_equal(n->str, want);
	assert_int_equal(n->len, strlen(want));
	typed_done(&t);
}

static void expect_kind(const char *yaml, crq_node_kind kind)
{
	struct typed t;
	crq_node *n = type_one(&t, yaml);

	assert_int_equal(t.rc, 0);
	assert_int_equal(n->kind, kind);
	assert_null(n->str);
	typed_done(&t);
}

static void expect_quote_it(const char *yaml, const char *pointer,
	const char *text)
{
	struct typed t;
	char want[128];

	type_doc(&t, yaml);
	assert_int_equal(t.rc, CRQ_EINVALID);
	assert_int_equal(t.issues.count, 1);
	assert_string_equal(t.issues.items[0].pointer, pointer);
	snprintf(want, sizeof(want), "ambiguous plain scalar '%s' in a string "
		"field; quote it", text);
	assert_string_equal(t.issues.items[0].message, want);
	typed_done(&t);
}

static void test_type_strings(void **state)
{
	struct typed t;
	crq_node *n;

	(void)state;
	expect_str("title: hello world", "hello world");
	expect_str("title: '0755'", "0755");
	expect_str("note: plain text", "plain text");
	expect_str("title: 1.2.3", "1.2.3");
	expect_str("start: 2026-01-02T10:00:00Z", "2026-01-02T10:00:00Z");
	expect_str("day: 2026-01-02", "2026-01-02");
	expect_str("maybe: x", "x");
	expect_str("state: draft", "draft");
	expect_str("flag: maybe", "maybe");
	expect_quote_it("title: no", "/title", "no");
	expect_quote_it("note: on", "/note", "on");
	expect_quote_it("title: 0755", "/title", "0755");
	expect_quote_it("title: 12:30", "/title", "12:30");
	expect_quote_it("title: 2026-01-02", "/title", "2026-01-02");
	expect_quote_it("state: on", "/state", "on");
	expect_quote_it("tags: [a, 'b', yes]", "/tags/2", "yes");
	expect_quote_it("env: {A: 'x', B: off}", "/env/B", "off");
	expect_quote_it("pair: [1, null]", "/pair/1", "null");

	/* the issue carries the scalar's position */
	type_doc(&t, "title: ok\ntags:\n  - a\n  - No\n");
	assert_int_equal(t.rc, CRQ_EINVALID);
	assert_int_equal(t.issues.count, 1);
	assert_string_equal(t.issues.items[0].pointer, "/tags/1");
	assert_int_equal(t.issues.items[0].line, 4);
	assert_int_equal(t.issues.items[0].col, 5);
	assert_non_null(strstr(crq_error_last(), "quoted"));
	n = t.doc->items[1]->items[1];
	assert_int_equal(n->kind, CRQ_NODE_STRING);
	assert_int_equal(n->plain, 0);
	typed_done(&t);
}

static void test_type_values(void **state)
{
	struct typed t;
	crq_node *n;

	(void)state;
	n = type_one(&t, "count: 0755");
	assert_int_equal(t.rc, 0);
	assert_int_equal(n->kind, CRQ_NODE_INT);
	assert_true(n->i == 755);
	typed_done(&t);
	n = type_one(&t, "count: -12");
	assert_int_equal(n->kind, CRQ_NODE_INT);
	assert_true(n->i == -12);
	typed_done(&t);
	n = type_one(&t, "count: 2.0");
	assert_int_equal(n->kind, CRQ_NODE_NUMBER);
	assert_true(n->n == 2.0);
	typed_done(&t);
	n = type_one(&t, "ratio: 0.25");
	assert_int_equal(n->kind, CRQ_NODE_NUMBER);
	assert_true(n->n == 0.25);
	typed_done(&t);
	n = type_one(&t, "ratio: 4");
	assert_int_equal(n->kind, CRQ_NODE_INT);
	typed_done(&t);
	n = type_one(&t, "done: true");
	assert_int_equal(n->kind, CRQ_NODE_BOOL);
	assert_int_equal(n->b, 1);
	typed_done(&t);
	n = type_one(&t, "flag: False");
	assert_int_equal(n->kind, CRQ_NODE_BOOL);
	assert_int_equal(n->b, 0);
	typed_done(&t);
	n = type_one(&t, "level: 2");
	assert_int_equal(n->kind, CRQ_NODE_INT);
	assert_true(n->i == 2);
	typed_done(&t);
	n = type_one(&t, "pp: {n_x: 7.5, other: 7.5}");
	assert_int_equal(n->items[0]->kind, CRQ_NODE_NUMBER);
	assert_int_equal(n->items[1]->kind, CRQ_NODE_NUMBER);
	typed_done(&t);
	n = type_one(&t, "pair: [1, x, '2']");
	assert_int_equal(n->items[0]->kind, CRQ_NODE_INT);
	assert_int_equal(n->items[1]->kind, CRQ_NODE_STRING);
	assert_int_equal(n->items[2]->kind, CRQ_NODE_STRING);
	typed_done(&t);
	expect_kind("maybe: ~", CRQ_NODE_NULL);
	expect_kind("maybe: null", CRQ_NODE_NULL);
	expect_kind("alt: null", CRQ_NODE_NULL);
	expect_kind("alt: 5", CRQ_NODE_INT);
	/* allOf intersects: only string is left */
	expect_quote_it("both: 5", "/both", "5");
	expect_kind("cond: true", CRQ_NODE_BOOL);
	/* not acceptable as anything: stays a string for validation */
	expect_str("count: many", "many");
	expect_str("done: yes", "yes");
	expect_str("count: 1.5e", "1.5e");
}

static void test_type_any(void **state)
{
	struct typed t;
	crq_node *n;
	size_t i;

	(void)state;
	/* unknown fields: YAML 1.2 core resolution */
	type_doc(&t, "x: [1, 2.5, true, null, ~, no, 0o7, '3', a]\n"
		"y: {z: 1}\n");
	assert_int_equal(t.rc, 0);
	n = t.doc->items[0];
	assert_int_equal(n->items[0]->kind, CRQ_NODE_INT);
	assert_int_equal(n->items[1]->kind, CRQ_NODE_NUMBER);
	assert_int_equal(n->items[2]->kind, CRQ_NODE_BOOL);
	assert_int_equal(n->items[3]->kind, CRQ_NODE_NULL);
	assert_int_equal(n->items[4]->kind, CRQ_NODE_NULL);
	assert_int_equal(n->items[5]->kind, CRQ_NODE_STRING);
	assert_string_equal(n->items[5]->str, "no");
	assert_int_equal(n->items[6]->kind, CRQ_NODE_STRING);
	assert_int_equal(n->items[7]->kind, CRQ_NODE_STRING);
	assert_int_equal(n->items[8]->kind, CRQ_NODE_STRING);
	for (i = 0; i < n->count; i++)
		assert_int_equal(n->items[i]->plain, 0);
	assert_int_equal(t.doc->items[1]->items[0]->kind, CRQ_NODE_INT);
	typed_done(&t);
}

static void test_type_then_validate(void **state)
{
	struct typed t;
	int rc;

	(void)state;
	type_doc(&t, "title: 'no'\ncount: 3\nstart: 2026-01-02T10:00:00Z\n"
		"tags: [a, b]\n");
	assert_int_equal(t.rc, 0);
	assert_crq_ok(crq_schema_validate(t.schema, t.doc, &t.issues));
	typed_done(&t);

	type_doc(&t, "count: many\nstart: 2026-01-02\n");
	assert_int_equal(t.rc, 0);
	rc = crq_schema_validate(t.schema, t.doc, &t.issues);
	assert_int_equal(rc, CRQ_EINVALID);
	assert_int_equal(t.issues.count, 2);
	assert_string_equal(t.issues.items[0].message,
		"'count' must be of type integer, not string");
	assert_int_equal(t.issues.items[0].line, 1);
	assert_int_equal(t.issues.items[0].col, 8);
	assert_string_equal(t.issues.items[1].message,
		"'start' is not an RFC 3339 date-time");
	assert_int_equal(t.issues.items[1].line, 2);
	typed_done(&t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_issues),
		cmocka_unit_test(test_load),
		cmocka_unit_test(test_boolean_schemas),
		cmocka_unit_test(test_type),
		cmocka_unit_test(test_enum_const),
		cmocka_unit_test(test_object_keywords),
		cmocka_unit_test(test_array_keywords),
		cmocka_unit_test(test_string_keywords),
		cmocka_unit_test(test_format),
		cmocka_unit_test(test_datetime),
		cmocka_unit_test(test_numeric_keywords),
		cmocka_unit_test(test_combinators),
		cmocka_unit_test(test_ref),
		cmocka_unit_test(test_positions),
		cmocka_unit_test(test_lookup),
		cmocka_unit_test(test_type_strings),
		cmocka_unit_test(test_type_values),
		cmocka_unit_test(test_type_any),
		cmocka_unit_test(test_type_then_validate),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
