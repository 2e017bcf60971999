/*
 * error.c - the last error of the calling thread.
 */
#include <stdio.h>
#include <string.h>
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

int crq_error__set(int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(errmsg, sizeof(errmsg), fmt, ap);
	va_end(ap);
	errcode = code;
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
	snprintf(errmsg, sizeof(errmsg), "%s: %s", prefix, old);
	return errcode;
}
