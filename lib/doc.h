/*
 * doc.h - lib-internal: documents typed by a schema (lib/doc.c), below
 * the store, the policy and the change model.
 */
#ifndef CRQ_DOC_H
#define CRQ_DOC_H

#include "internal.h"

/* Strict YAML, typed by schema, validated when validate is set, then
 * extra's checks (may be NULL); problems go to issues (may be NULL) and
 * the first becomes the error. */
int crq_doc__parse(crq_node **out, const crq_schema *schema,
	const char *text, size_t len, const char *name, crq_issues *issues,
	int validate, void (*extra)(const crq_node *doc, crq_issues *issues));
/* First issue as "name:line:col: message (and N more problems)". */
int crq_doc__issues_error(const crq_issues *issues, const char *name);
/* The schema node s resolved through $ref (root: the schema). */
const crq_node *crq_doc__deref(const crq_node *root, const crq_node *s);
/* Does schema node s accept only strings? */
int crq_doc__is_string(const crq_node *root, const crq_node *s);

#endif
