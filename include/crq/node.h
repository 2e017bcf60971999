/*
 * crq/node.h - the value tree shared by the parsers, the schema and the model.
 * Conventions: see crq.h.
 */
#ifndef CRQ_PUBLIC_NODE_H
#define CRQ_PUBLIC_NODE_H

#include "crq/buf.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------------------------------------------ */
/* Value tree shared by the JSON parser, the YAML loader, the schema
 * validator and the change model. */

typedef enum {
	CRQ_NODE_NULL,
	CRQ_NODE_BOOL,
	CRQ_NODE_INT,
	CRQ_NODE_NUMBER,
	CRQ_NODE_STRING,
	CRQ_NODE_ARRAY,
	CRQ_NODE_OBJECT
} crq_node_kind;

typedef struct crq_node crq_node;
struct crq_node {
	crq_node_kind kind;
	/* A YAML plain (unquoted) scalar that has not been typed yet: kind
	 * is CRQ_NODE_STRING and str holds its text.  crq_schema_type()
	 * resolves it and clears the flag. */
	int plain;
	/* 1-based position in the source document, 0 when unknown. */
	unsigned line, col;
	int b;			/* BOOL */
	long long i;		/* INT */
	double n;		/* NUMBER */
	char *str;		/* STRING: NUL-terminated, never contains NUL */
	size_t len;		/* STRING: strlen(str) */
	size_t count;		/* ARRAY / OBJECT: number of items */
	size_t alloc;
	char **keys;		/* OBJECT: keys, in source order */
	crq_node **items;	/* ARRAY items, or OBJECT values */
	/* 0 for a node of its own.  A tree loaded from the cache lives in
	 * one allocation: its root has CRQ_NODE_BLOCK_ROOT, the nodes
	 * under it CRQ_NODE_BLOCK.  Such a tree is read-only (the mutators
	 * below assert it); crq_node_free() of its root frees it all, of
	 * another of its nodes nothing; crq_node_dup() of any of its nodes
	 * is an ordinary tree. */
	int block;
};

#define CRQ_NODE_BLOCK 1
#define CRQ_NODE_BLOCK_ROOT 2

crq_node *crq_node_new(crq_node_kind kind);
crq_node *crq_node_new_string(const char *str, size_t len);
crq_node *crq_node_new_cstr(const char *str);
crq_node *crq_node_new_int(long long i);
crq_node *crq_node_new_bool(int b);
void crq_node_free(crq_node *node);
crq_node *crq_node_dup(const crq_node *node);
/* JSON-Schema equality: 1 == 1.0, object key order does not matter. */
int crq_node_equal(const crq_node *a, const crq_node *b);
/* Object member by key, or NULL. */
crq_node *crq_node_get(const crq_node *obj, const char *key);
/* Index of key in obj, or -1. */
long crq_node_index(const crq_node *obj, const char *key);
/* Set obj[key] = val, taking ownership of val; replaces in place (keeps
 * the position) or appends. */
void crq_node_set(crq_node *obj, const char *key, crq_node *val);
/* Remove obj[key]; returns 1 when something was removed. */
int crq_node_remove(crq_node *obj, const char *key);
/* Remove and free item i of an array (i < count). */
void crq_node_remove_at(crq_node *arr, size_t i);
/* Append to an array, taking ownership. */
void crq_node_push(crq_node *arr, crq_node *val);
/* Convenience: string value of obj[key] or NULL when absent/not string. */
const char *crq_node_get_str(const crq_node *obj, const char *key);
/* Follow a dotted path ("window.start") through objects; NULL if absent. */
crq_node *crq_node_path(const crq_node *root, const char *dotted);

#ifdef __cplusplus
}
#endif

#endif
