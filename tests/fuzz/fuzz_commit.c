/*
 * fuzz_commit.c - the raw commit parser and the trailer reader never
 * crash; an object without a signature header comes back whole as the
 * payload, and a signature is never longer than the object.
 */
#include <git2.h>
#include <string.h>
#include "fuzz.h"
#include "commit.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int inited;
	crq_buf payload = CRQ_BUF_INIT, sig = CRQ_BUF_INIT,
		problem = CRQ_BUF_INIT;
	crq_node *t = NULL;
	char *msg;
	int n;

	if (!inited) {
		git_libgit2_init();
		inited = 1;
	}
	n = crq_commit__split(&payload, &sig, &problem, (const char *)data,
		size);
	FUZZ_CHECK(n >= 0);
	FUZZ_CHECK(sig.size <= size && payload.size <= size);
	if (!n)
		FUZZ_CHECK(payload.size == size &&
			!memcmp(crq_buf_cstr(&payload), data, size));
	/* the message as libgit2 hands it over: a C string */
	msg = crq__strndup((const char *)data, size);
	FUZZ_CHECK(crq_commit__trailers(&t, &problem, msg) == 0);
	FUZZ_CHECK(t && t->kind == CRQ_NODE_OBJECT);
	crq_node_free(t);
	free(msg);
	crq_buf_dispose(&payload);
	crq_buf_dispose(&sig);
	crq_buf_dispose(&problem);
	return 0;
}
