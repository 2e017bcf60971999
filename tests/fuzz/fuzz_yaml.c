/*
 * fuzz_yaml.c - the strict YAML loader never crashes, what it accepts
 * survives emit -> load unchanged, and wherever its fast path takes a
 * text, libyaml's path builds the same tree.
 */
#include <string.h>
#include "fuzz.h"
#include "internal.h"

/* NaN never equals itself, so trees holding one cannot be compared. */
static int has_nan(const crq_node *n)
{
	size_t i;

	if (n->kind == CRQ_NODE_NUMBER)
		return n->n != n->n;
	for (i = 0; i < n->count; i++)
		if (has_nan(n->items[i]))
			return 1;
	return 0;
}

/* Same kinds, text, plain flags and positions. */
static int same_tree(const crq_node *a, const crq_node *b)
{
	size_t i;

	if (a->kind != b->kind || a->plain != b->plain ||
	    a->line != b->line || a->col != b->col || a->count != b->count)
		return 0;
	if (a->kind == CRQ_NODE_STRING &&
	    (a->len != b->len || memcmp(a->str, b->str, a->len)))
		return 0;
	for (i = 0; i < a->count; i++) {
		if (a->kind == CRQ_NODE_OBJECT &&
		    strcmp(a->keys[i], b->keys[i]))
			return 0;
		if (!same_tree(a->items[i], b->items[i]))
			return 0;
	}
	return 1;
}

static void fast_agrees(const char *text, size_t len)
{
	crq_node *fast = NULL, *slow = NULL;

	if (!crq_yaml__load_fast(&fast, text, len))
		return;
	FUZZ_CHECK(crq_yaml__load_slow(&slow, text, len, "fuzz") == 0);
	FUZZ_CHECK(same_tree(fast, slow));
	crq_node_free(fast);
	crq_node_free(slow);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static crq_schema *any;
	crq_node *a = NULL, *b = NULL;
	crq_buf out = CRQ_BUF_INIT;

	if (!any)
		any = fuzz_any_schema();
	fast_agrees((const char *)data, size);
	if (crq_yaml_load(&a, (const char *)data, size, "fuzz") < 0)
		return 0;
	FUZZ_CHECK(crq_schema_type(any, a, NULL) == 0);
	crq_yaml_emit(&out, a);
	fast_agrees(out.ptr, out.size);
	FUZZ_CHECK(crq_yaml_load(&b, crq_buf_cstr(&out), out.size,
		"emitted") == 0);
	FUZZ_CHECK(crq_schema_type(any, b, NULL) == 0);
	FUZZ_CHECK(has_nan(a) || crq_node_equal(a, b));
	crq_node_free(a);
	crq_node_free(b);
	crq_buf_dispose(&out);
	return 0;
}
