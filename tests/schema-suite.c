/*
 * schema-suite.c - run the JSON-Schema-Test-Suite (draft-07) against the
 * libcrq validator.
 *
 *   schema-suite DIR            run the built-in list of supported files
 *   schema-suite DIR FILE...    run DIR/FILE...
 *
 * Prints "FAIL file: group: test" for every mismatch and a summary line;
 * exits 1 when anything failed.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "crq.h"

/* The draft-07 files for the keywords libcrq implements.  definitions.json
 * and refRemote.json are left out: every group in them needs the remote
 * meta-schema or remote references. */
static const char *const builtin[] = {
	"additionalItems.json",
	"additionalProperties.json",
	"allOf.json",
	"anyOf.json",
	"boolean_schema.json",
	"const.json",
	"contains.json",
	"default.json",
	"dependencies.json",
	"enum.json",
	"exclusiveMaximum.json",
	"exclusiveMinimum.json",
	"if-then-else.json",
	"items.json",
	"maxItems.json",
	"maxLength.json",
	"maxProperties.json",
	"maximum.json",
	"minItems.json",
	"minLength.json",
	"minProperties.json",
	"minimum.json",
	"multipleOf.json",
	"not.json",
	"oneOf.json",
	"pattern.json",
	"patternProperties.json",
	"properties.json",
	"propertyNames.json",
	"ref.json",
	"required.json",
	"type.json",
	"uniqueItems.json",
	"optional/format/date-time.json",
	"optional/format/date.json",
};

/* Groups that need features libcrq does not implement. */
static const struct {
	const char *file;
	const char *group;
	const char *reason;
} skips[] = {
	{ "ref.json", "remote ref, containing refs itself",
		"needs the remote draft-07 meta-schema" },
	{ "ref.json", "Recursive references between schemas",
		"needs $id base-URI changes" },
};

static int passed, failed, skipped, files;

static int is_skipped(const char *file, const char *group)
{
	size_t i;

	for (i = 0; i < sizeof(skips) / sizeof(skips[0]); i++)
		if (!strcmp(skips[i].file, file) &&
		    !strcmp(skips[i].group, group))
			return 1;
	return 0;
}

static const char *desc(const crq_node *n)
{
	const char *s = crq_node_get_str(n, "description");

	return s ? s : "(no description)";
}

static void run_group(const char *file, const crq_node *group)
{
	const crq_node *schema = crq_node_get(group, "schema");
	const crq_node *tests = crq_node_get(group, "tests");
	crq_schema *s = NULL;
	size_t i;
	int err;

	if (!schema || !tests || tests->kind != CRQ_NODE_ARRAY) {
		printf("FAIL %s: %s: malformed test group\n", file,
			desc(group));
		failed++;
		return;
	}
	if (is_skipped(file, desc(group))) {
		skipped += (int)tests->count;
		return;
	}
	err = crq_schema_from_node(&s, crq_node_dup(schema), file);
	for (i = 0; i < tests->count; i++) {
		const crq_node *t = tests->items[i];
		const crq_node *data = crq_node_get(t, "data");
		const crq_node *valid = crq_node_get(t, "valid");
		crq_issues issues;
		int rc = err;

		crq_issues_init(&issues);
		if (!err && data)
			rc = crq_schema_validate(s, data, &issues);
		if (!data || !valid || valid->kind != CRQ_NODE_BOOL ||
		    (rc < 0 && rc != CRQ_EINVALID) ||
		    (rc == CRQ_EINVALID && !issues.count) ||
		    (rc == 0) != valid->b ||
		    (rc == 0) != (issues.count == 0)) {
			printf("FAIL %s: %s: %s", file, desc(group), desc(t));
			if (rc < 0 && !issues.count)
				printf(" (%s)", crq_error_last());
			printf("\n");
			failed++;
		} else {
			passed++;
		}
		crq_issues_dispose(&issues);
	}
	crq_schema_free(s);
}

static void run_file(const char *dir, const char *file)
{
	crq_buf path = CRQ_BUF_INIT, text = CRQ_BUF_INIT;
	crq_node *doc = NULL;
	size_t i;

	crq_buf_printf(&path, "%s/%s", dir, file);
	files++;
	if (crq_buf_read_file(&text, path.ptr, 16 * 1024 * 1024) < 0 ||
	    crq_json_parse(&doc, crq_buf_cstr(&text), text.size,
	    path.ptr) < 0) {
		printf("FAIL %s: %s\n", file, crq_error_last());
		failed++;
		goto done;
	}
	if (doc->kind != CRQ_NODE_ARRAY) {
		printf("FAIL %s: not an array of test groups\n", file);
		failed++;
		goto done;
	}
	for (i = 0; i < doc->count; i++)
		run_group(file, doc->items[i]);
done:
	crq_node_free(doc);
	crq_buf_dispose(&path);
	crq_buf_dispose(&text);
}

int main(int argc, char **argv)
{
	size_t i;
	int a;

	if (argc < 2) {
		fprintf(stderr, "usage: schema-suite DIR [FILE...]\n");
		return 2;
	}
	if (argc == 2) {
		for (i = 0; i < sizeof(builtin) / sizeof(builtin[0]); i++)
			run_file(argv[1], builtin[i]);
	} else {
		for (a = 2; a < argc; a++)
			run_file(argv[1], argv[a]);
	}
	printf("schema-suite: %d passed, %d failed, %d skipped (%d files)\n",
		passed, failed, skipped, files);
	return failed ? 1 : 0;
}
