/*
 * testutil.h - shared helpers for the cmocka unit tests.
 */
#ifndef CRQ_TESTUTIL_H
#define CRQ_TESTUTIL_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "crq.h"

/* Assert that a libcrq call succeeded, printing crq_error_last() if not. */
#define assert_crq_ok(expr) do { \
	int assert_crq_rc_ = (expr); \
	if (assert_crq_rc_ != 0) \
		print_error("%s failed (%d): %s\n", #expr, assert_crq_rc_, \
			crq_error_last()); \
	assert_int_equal(assert_crq_rc_, 0); \
} while (0)

/* Assert that a call failed with code and that the message contains s. */
#define assert_crq_fails(expr, code, s) do { \
	int assert_crq_rc_ = (expr); \
	if (assert_crq_rc_ != (code) || !strstr(crq_error_last(), (s))) \
		print_error("%s: rc %d, message '%s', wanted %d '%s'\n", \
			#expr, assert_crq_rc_, crq_error_last(), (code), (s)); \
	assert_int_equal(assert_crq_rc_, (code)); \
	assert_non_null(strstr(crq_error_last(), (s))); \
} while (0)

/*
 * A throwaway directory with a fixed HOME, identity and date, for tests
 * that need repositories.  test_env_setup() fills tmpdir (64 bytes) and
 * opts; test_env_teardown() removes the directory.
 */
static char test_signingkey[128];
static const char *test_identity[] = { "user.name=Test User",
	"user.email=test@example.com", "gpg.format=ssh", test_signingkey };

static inline int test_env_setup(char *tmpdir, crq_options *opts)
{
	char cmd[256];

	strcpy(tmpdir, "/tmp/crq-unit-XXXXXX");
	if (!mkdtemp(tmpdir))
		return -1;
	/* every crq commit is signed: a throwaway ed25519 key */
	snprintf(cmd, sizeof(cmd),
		"ssh-keygen -q -t ed25519 -N '' -C test -f '%s/key' </dev/null",
		tmpdir);
	if (system(cmd) != 0)
		return -1;
	snprintf(test_signingkey, sizeof(test_signingkey),
		"user.signingkey=%s/key", tmpdir);
	memset(opts, 0, sizeof(*opts));
	opts->datadir = getenv("CRQ_DATADIR") ? getenv("CRQ_DATADIR") : ".";
	opts->config = test_identity;
	opts->config_count = 4;
	setenv("GIT_CONFIG_NOSYSTEM", "1", 1);
	setenv("HOME", tmpdir, 1);
	setenv("GIT_COMMITTER_DATE", "2026-11-23T10:00:00Z", 1);
	setenv("GIT_AUTHOR_DATE", "2026-11-23T10:00:00Z", 1);
	return 0;
}

static inline int test_env_teardown(const char *tmpdir)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	return system(cmd) == 0 ? 0 : -1;
}

#endif
