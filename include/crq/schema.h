/*
 * crq/schema.h - JSON Schema (draft-07) validation and typing.
 * Conventions: see crq.h.
 */
#ifndef CRQ_PUBLIC_SCHEMA_H
#define CRQ_PUBLIC_SCHEMA_H

#include "crq/node.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------------------------------------------ */
/* Schema validation (JSON Schema draft-07).  A schema is compiled when
 * it is loaded and never changes afterwards: a loaded schema may be
 * used concurrently by several threads (validate, type, lookup). */

typedef struct crq_schema crq_schema;

typedef struct {
	char *pointer;		/* JSON pointer of the instance location */
	char *message;		/* one line, no trailing newline */
	unsigned line, col;	/* position of the instance node, or 0 */
} crq_issue;

typedef struct {
	crq_issue *items;
	size_t count;
	size_t alloc;
} crq_issues;

void crq_issues_init(crq_issues *issues);
void crq_issues_dispose(crq_issues *issues);
void crq_issues_add(crq_issues *issues, const crq_node *at,
	const char *pointer, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* Load a schema from a JSON file. */
int crq_schema_load(crq_schema **out, const char *path);
/* Build a schema from a parsed JSON tree, taking ownership of root.
 * name is used in messages. */
int crq_schema_from_node(crq_schema **out, crq_node *root, const char *name);
void crq_schema_free(crq_schema *schema);
/* The schema document itself (borrowed). */
const crq_node *crq_schema_root(const crq_schema *schema);
/* The schema node that describes the property at a dotted path from the
 * root ("window.start"), following $ref and allOf; NULL if unknown. */
const crq_node *crq_schema_lookup(const crq_schema *schema,
	const char *dotted);

/* Type the plain scalars of doc (from crq_yaml_load) by the types the
 * schema expects at each location; clears node->plain.  A plain scalar
 * in a place that accepts only strings but that a YAML reader could
 * take for something else (`no`, `on`, `0755`, `12:30`) is an issue
 * that says to quote it.  A plain scalar that fits none of the expected
 * types stays a string, for crq_schema_validate() to report.  issues
 * may be NULL.  Returns 0, or CRQ_EINVALID when issues were found. */
int crq_schema_type(const crq_schema *schema, crq_node *doc,
	crq_issues *issues);
/* Validate doc.  Returns 0 when valid, CRQ_EINVALID when issues were
 * found (one issue per failed leaf keyword; issues may be NULL for a
 * yes/no answer), another error on failure of the schema itself (e.g.
 * an unresolvable $ref). */
int crq_schema_validate(const crq_schema *schema, const crq_node *doc,
	crq_issues *issues);
/* 1 when s is an RFC 3339 date-time with a zone. */
int crq_schema_is_datetime(const char *s);

#ifdef __cplusplus
}
#endif

#endif
