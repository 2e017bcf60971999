/*
 * fuzz.h - shared by the fuzz targets: each defines
 * LLVMFuzzerTestOneInput() and is built two ways, with libFuzzer
 * (make fuzz) and with replay.c, which feeds it the saved corpus as a
 * regression test in make test.
 */
#ifndef CRQ_FUZZ_H
#define CRQ_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include "crq.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A broken invariant: say which and stop, so the fuzzer keeps the input. */
#define FUZZ_CHECK(cond) do { \
	if (!(cond)) { \
		fprintf(stderr, "fuzz invariant failed: %s (%s:%d)\n", \
			#cond, __FILE__, __LINE__); \
		abort(); \
	} \
} while (0)

/* Type every plain scalar by YAML 1.2 core rules: a schema that allows
 * anything. */
static inline crq_schema *fuzz_any_schema(void)
{
	crq_schema *s = NULL;

	if (crq_schema_from_node(&s, crq_node_new_bool(1), "any") < 0)
		abort();
	return s;
}

#endif
