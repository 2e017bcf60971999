/*
 * error.c - the last error of the calling thread.
 */
#include <stdio.h>
#include <string.h>
#include <git2.h>
#include "internal.h"

#define ERRMAX 1024

static _Thread_local char errmsg[ERRMAX];
static _Thread_local int errcode;

const char *crq_error_last(void)
{
	return errmsg[0] ? errmsg : "no error";
}

int crq_error_code(void)
{
	return errcode;
}

void crq_error_clear(void)
{
	errmsg[0] = '\0';
	errcode = 0;
}

static int set_v(int code, const char *fmt, va_list ap)
	__attribute__((format(printf, 2, 0)));

static int set_v(int code, const char *fmt, va_list ap)
{
	vsnprintf(errmsg, sizeof(errmsg), fmt, ap);
	errcode = code;
	return code;
}

int crq_error__set(int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	set_v(code, fmt, ap);
	va_end(ap);
	return code;
}

int crq_error_set(int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	set_v(code, fmt, ap);
	va_end(ap);
	return code;
}

int crq_error__prefix(const char *fmt, ...)
{
	char prefix[ERRMAX], old[ERRMAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(prefix, sizeof(prefix), fmt, ap);
	va_end(ap);
	memcpy(old, errmsg, sizeof(old));
	/* truncation of an over-long message is intended */
	{
		const char *parts[3] = { prefix, ": ", old };
		size_t len = 0, i, n;

		for (i = 0; i < 3; i++) {
			n = strlen(parts[i]);
			if (n > sizeof(errmsg) - 1 - len)
				n = sizeof(errmsg) - 1 - len;
			memcpy(errmsg + len, parts[i], n);
			len += n;
		}
		errmsg[len] = '\0';
	}
	return errcode;
}

/* ---- what modules let go of at crq_global_shutdown ---- */

static void (*shutdown_fns[8])(void);
static size_t nshutdown;

void crq__at_shutdown(void (*fn)(void))
{
	size_t i;

	for (i = 0; i < nshutdown; i++)
		if (shutdown_fns[i] == fn)
			return;
	if (nshutdown < CRQ_ARRAY_SIZE(shutdown_fns))
		shutdown_fns[nshutdown++] = fn;
}

void crq__shutdown_run(void)
{
	while (nshutdown)
		shutdown_fns[--nshutdown]();
}

int crq_store__git_error(int code, const char *what)
{
	const git_error *e = git_error_last();
	const char *msg = e && e->message ? e->message : "unknown error";
	int crq = CRQ_EREPO;

	if (code == GIT_ENOTFOUND)
		crq = CRQ_ENOTFOUND;
	else if (code == GIT_EMODIFIED || code == GIT_ELOCKED)
		crq = CRQ_ECONFLICT;
	return crq_error__set(crq, "%s: %s", what, msg);
}
