/*
 * crq/error.h - errors: codes and the last error of this thread.
 * Conventions: see crq.h.
 */
#ifndef CRQ_PUBLIC_ERROR_H
#define CRQ_PUBLIC_ERROR_H

#include <stddef.h>
#include <stdarg.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define CRQ_VERSION "0.1.0"


/* ------------------------------------------------------------------ */
/* Errors                                                              */

enum {
	CRQ_OK = 0,
	CRQ_ERROR = -1,		/* generic failure */
	CRQ_ENOTFOUND = -2,	/* no such change, file, key or object */
	CRQ_EEXISTS = -3,	/* something already exists */
	CRQ_EINVALID = -4,	/* input (YAML, JSON, field value) is invalid */
	CRQ_EDENIED = -5,	/* the action is not allowed */
	CRQ_ECONFLICT = -6,	/* concurrent update or uncommitted user edit */
	CRQ_ESIGN = -7,		/* signing failed */
	CRQ_EREPO = -8,		/* repository or system failure */
	CRQ_EUSAGE = -9		/* the caller used the API wrongly */
};

/* The message of the last error in this thread; never NULL. */
const char *crq_error_last(void);
/* The code of the last error in this thread (0 when none). */
int crq_error_code(void);
/* Forget the last error. */
void crq_error_clear(void);
/* Set the last error (for callbacks that hand an error back through
 * libcrq, like an editor's accept function); returns code. */
int crq_error_set(int code, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#ifdef __cplusplus
}
#endif

#endif
