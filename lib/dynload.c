/*
 * dynload.c - libcurl and libical, loaded on first use.  See dynload.h.
 */
#include <dlfcn.h>
#include <pthread.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include "internal.h"
#include "dynload.h"

struct sym {
	const char *name;
	size_t off;		/* of its member in the table */
};

struct lib {
	const char *soname;
	const char *needed_for;	/* what the error says it is for */
	const struct sym *syms;
	size_t nsyms;
	void *table;
	int ok;
	char why[512];		/* when !ok */
};

#define CURL_SYM(fn) { #fn, offsetof(crq_curl_api, fn) },
#define ICAL_SYM(fn) { #fn, offsetof(crq_ical_api, fn) },

static const struct sym curl_syms[] = { CRQ_CURL_FUNCTIONS(CURL_SYM) };
static const struct sym ical_syms[] = { CRQ_ICAL_FUNCTIONS(ICAL_SYM) };

#define MAX_SYMS 64
_Static_assert(CRQ_ARRAY_SIZE(curl_syms) <= MAX_SYMS &&
	CRQ_ARRAY_SIZE(ical_syms) <= MAX_SYMS, "raise MAX_SYMS");

static crq_curl_api curl_api;
static crq_ical_api ical_api;

static struct lib curl_lib = { CRQ_LIBCURL, "notifications", curl_syms,
	CRQ_ARRAY_SIZE(curl_syms), &curl_api, 0, "" };
static struct lib ical_lib = { CRQ_LIBICAL, "time zones and calendars",
	ical_syms, CRQ_ARRAY_SIZE(ical_syms), &ical_api, 0, "" };

/* dlerror()'s text often starts with the name we gave it */
static const char *without_name(const char *err, const char *soname)
{
	size_t n = strlen(soname);

	if (!err)
		return "unknown error";
	return !strncmp(err, soname, n) && !strncmp(err + n, ": ", 2) ?
		err + n + 2 : err;
}

static void load(struct lib *l)
{
	void *addr[MAX_SYMS];
	void *h;
	size_t i;

	/* RTLD_NOW: a symbol the library itself lacks fails here, with
	 * an error, not later at a call; RTLD_LOCAL: its symbols stay out
	 * of the global scope (libgit2, OpenSSL and it cannot clash) */
	if (!(h = dlopen(l->soname, RTLD_NOW | RTLD_LOCAL))) {
		snprintf(l->why, sizeof(l->why), "%s",
			without_name(dlerror(), l->soname));
		return;
	}
	/* all or nothing: a table is filled only once each one is found */
	for (i = 0; i < l->nsyms; i++) {
		dlerror();
		if (!(addr[i] = dlsym(h, l->syms[i].name))) {
			snprintf(l->why, sizeof(l->why),
				"it has no function %s", l->syms[i].name);
			dlclose(h);
			return;
		}
	}
	/* POSIX: a function's address survives the trip through void * */
	for (i = 0; i < l->nsyms; i++)
		memcpy((char *)l->table + l->syms[i].off, &addr[i],
			sizeof(addr[i]));
	/* the handle is kept: the functions are used until exit */
	l->ok = 1;
}

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static pthread_once_t ical_once = PTHREAD_ONCE_INIT;

static void load_curl(void)
{
	load(&curl_lib);
}

static void load_ical(void)
{
	load(&ical_lib);
}

static const void *loaded(const struct lib *l)
{
	if (l->ok)
		return l->table;
	crq_error__set(CRQ_EREPO, "cannot load %s: %s (needed for %s)",
		l->soname, l->why, l->needed_for);
	return NULL;
}

const crq_curl_api *crq_dl__curl(void)
{
	pthread_once(&curl_once, load_curl);
	return loaded(&curl_lib);
}

const crq_ical_api *crq_dl__ical(void)
{
	pthread_once(&ical_once, load_ical);
	return loaded(&ical_lib);
}
