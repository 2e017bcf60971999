/*
 * fuzz_yaml.c - the strict YAML loader never crashes, and what it
 * accepts survives emit -> load unchanged.
 */
#include "fuzz.h"

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

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static crq_schema *any;
	crq_node *a = NULL, *b = NULL;
	crq_buf out = CRQ_BUF_INIT;

	if (!any)
		any = fuzz_any_schema();
	if (crq_yaml_load(&a, (const char *)data, size, "fuzz") < 0)
		return 0;
	FUZZ_CHECK(crq_schema_type(any, a, NULL) == 0);
	crq_yaml_emit(&out, a);
	FUZZ_CHECK(crq_yaml_load(&b, crq_buf_cstr(&out), out.size,
		"emitted") == 0);
	FUZZ_CHECK(crq_schema_type(any, b, NULL) == 0);
	FUZZ_CHECK(has_nan(a) || crq_node_equal(a, b));
	crq_node_free(a);
	crq_node_free(b);
	crq_buf_dispose(&out);
	return 0;
}
