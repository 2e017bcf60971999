/*
 * fuzz_sshsig.c - the SSHSIG verifier and the public key reader never
 * crash on hostile bytes; no made-up signature verifies, and a key the
 * reader accepts reads back as itself.
 */
#include <string.h>
#include "fuzz.h"
#include "sign.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	crq_buf key = CRQ_BUF_INIT, again = CRQ_BUF_INIT;
	char *line;

	/* signed data nobody holds a signature for */
	FUZZ_CHECK(crq_sshsig_verify((const char *)data, size,
		"crq fuzz payload", 16, "git", &key) < 0);
	line = crq__strndup((const char *)data, size);
	crq_buf_clear(&key);
	if (crq_ssh_pubkey_canonical(&key, line) == 0) {
		FUZZ_CHECK(crq_ssh_pubkey_canonical(&again,
			crq_buf_cstr(&key)) == 0);
		FUZZ_CHECK(!strcmp(crq_buf_cstr(&again), crq_buf_cstr(&key)));
	}
	crq_error_clear();
	free(line);
	crq_buf_dispose(&key);
	crq_buf_dispose(&again);
	return 0;
}
