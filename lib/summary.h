/*
 * summary.h - lib-internal: the summary of a change (lib/summary.c),
 * the few short fields crq list prints and filters on, as bytes that
 * can be kept in the cache by blob id (DESIGN §9) and read back
 * without parsing the change again.
 *
 * The bytes are a function of the change alone; what else they depend
 * on (this code, the schema that typed the change) is the caller's to
 * stamp on them.
 */
#ifndef CRQ_SUMMARY_H
#define CRQ_SUMMARY_H

#include <stdint.h>
#include "internal.h"

/* The fields a summary holds: top-level, short, the ones listings
 * print and filter on. */
enum {
	CRQ_SUM_ID, CRQ_SUM_TITLE, CRQ_SUM_TYPE, CRQ_SUM_STATE,
	CRQ_SUM_TEMPLATE, CRQ_SUM_REQUESTER, CRQ_SUM_OWNER, CRQ_SUM_SERVICES,
	CRQ_SUM_IMPACT, CRQ_SUM_URGENCY, CRQ_SUM_PRIORITY, CRQ_SUM_RISK,
	CRQ_SUM_IMPLEMENTER, CRQ_SUM_INCIDENT, CRQ_SUM_CLOSE_CODE,
	CRQ_SUM_REVIEW_DUE, CRQ_SUM_CREATED, CRQ_SUM_UPDATED,
	CRQ_SUM__COUNT
};

/* What a summary knows of one field. */
enum {
	CRQ_SUM_ABSENT,		/* not in the change */
	CRQ_SUM_STRING,		/* a string */
	CRQ_SUM_STRINGS,	/* an array of strings only */
	CRQ_SUM_ARRAY,		/* an array with other items: only its
				 * strings are kept (enough to filter on) */
	CRQ_SUM_OTHER		/* something else: only that it is there */
};

typedef struct {
	unsigned char kind;
	uint32_t count;		/* arrays: the strings kept */
	uint32_t len;		/* STRING: its length */
	/* STRING: the string, NUL-terminated; arrays: the strings kept,
	 * each as a 4-byte length, its bytes and a NUL */
	const char *data;
} crq_summary_value;

/* A summary read back: pointers into the bytes given to
 * crq_summary__read, valid as long as they are. */
typedef struct {
	crq_summary_value v[CRQ_SUM__COUNT];
} crq_summary;

/* Index of a summary field by name, -1 when the summary lacks it. */
int crq_summary__field(const char *name);
/* Append the summary of change doc (an object) to out. */
void crq_summary__write(crq_buf *out, const crq_node *doc);
/* Read summary bytes; -1 when they are not a summary. */
int crq_summary__read(crq_summary *out, const void *data, size_t len);
/* The string value of field, NULL when it is absent or not a string
 * (what crq_node_get_str says of the change). */
const char *crq_summary__str(const crq_summary *s, int field);
/* Is field an array holding the string item? */
int crq_summary__has(const crq_summary *s, int field, const char *item);
/* Fields named for a listing, resolved once: their summary indexes
 * (each once), and whether a summary has them all. */
typedef struct {
	int idx[CRQ_SUM__COUNT];
	int n;
	int all;
} crq_summary_fields;

/* Resolve names (NULL-terminated). */
void crq_summary__fields(crq_summary_fields *out, const char *const *names);
/* Does s hold each of fs exactly as the change does: absent, a string,
 * or an array of strings? */
int crq_summary__covers(const crq_summary *s, const crq_summary_fields *fs);
/* An object with the fields of fs that s holds (crq_summary__covers),
 * as the change has them; the caller frees it. */
crq_node *crq_summary__doc(const crq_summary *s, const crq_summary_fields *fs);

#endif
