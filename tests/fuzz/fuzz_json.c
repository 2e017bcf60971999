/*
 * fuzz_json.c - the JSON parser never crashes, and what it accepts
 * survives write -> parse unchanged, compact and pretty.
 */
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	crq_node *a = NULL, *b = NULL;
	crq_buf out = CRQ_BUF_INIT;
	int pretty;

	if (crq_json_parse(&a, (const char *)data, size, "fuzz") < 0)
		return 0;
	for (pretty = 0; pretty < 2; pretty++) {
		crq_buf_clear(&out);
		crq_json_write(&out, a, pretty);
		FUZZ_CHECK(crq_json_parse(&b, crq_buf_cstr(&out), out.size,
			"written") == 0);
		FUZZ_CHECK(crq_node_equal(a, b));
		crq_node_free(b);
		b = NULL;
	}
	crq_node_free(a);
	crq_buf_dispose(&out);
	return 0;
}
