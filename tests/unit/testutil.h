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

#endif
