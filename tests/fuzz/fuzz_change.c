/*
 * fuzz_change.c - change files: strict YAML, typed and validated by the
 * real change schema; an accepted change survives the canonical layout
 * unchanged.  The schema comes from $CRQ_DATADIR (default ".").
 */
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static crq_schema *schema;
	crq_node *a = NULL, *b = NULL;
	crq_buf out = CRQ_BUF_INIT;

	if (!schema) {
		const char *dir = getenv("CRQ_DATADIR");
		char path[4096];

		snprintf(path, sizeof(path), "%s/schemas/change.schema.json",
			dir ? dir : ".");
		if (crq_schema_load(&schema, path) < 0) {
			fprintf(stderr, "%s\n", crq_error_last());
			abort();
		}
	}
	if (crq_change_parse_with(&a, schema, (const char *)data, size,
			"fuzz", NULL) < 0)
		return 0;
	crq_change_format(&out, schema, a);
	FUZZ_CHECK(crq_change_parse_with(&b, schema, crq_buf_cstr(&out),
		out.size, "formatted", NULL) == 0);
	FUZZ_CHECK(crq_node_equal(a, b));
	crq_node_free(a);
	crq_node_free(b);
	crq_buf_dispose(&out);
	return 0;
}
