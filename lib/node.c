/*
 * node.c - the value tree shared by JSON, YAML, schemas and changes.
 */
#include <assert.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "internal.h"

crq_node *crq_node_new(crq_node_kind kind)
{
	crq_node *n = crq__calloc(1, sizeof(*n));

	n->kind = kind;
	return n;
}

crq_node *crq_node_new_string(const char *str, size_t len)
{
	crq_node *n = crq_node_new(CRQ_NODE_STRING);

	n->str = crq__strndup(str, len);
	n->len = len;
	return n;
}

crq_node *crq_node_new_cstr(const char *str)
{
	return crq_node_new_string(str, strlen(str));
}

crq_node *crq_node_new_int(long long i)
{
	crq_node *n = crq_node_new(CRQ_NODE_INT);

	n->i = i;
	return n;
}

crq_node *crq_node_new_bool(int b)
{
	crq_node *n = crq_node_new(CRQ_NODE_BOOL);

	n->b = !!b;
	return n;
}

void crq_node_free(crq_node *node)
{
	size_t i;

	if (!node)
		return;
	if (node->block) {
		/* the block starts with its root */
		if (node->block == CRQ_NODE_BLOCK_ROOT)
			free(node);
		return;
	}
	for (i = 0; i < node->count; i++) {
		if (node->keys)
			free(node->keys[i]);
		crq_node_free(node->items[i]);
	}
	free(node->keys);
	free(node->items);
	free(node->str);
	free(node);
}

crq_node *crq_node_dup(const crq_node *node)
{
	crq_node *n;
	size_t i;

	if (!node)
		return NULL;
	n = crq_node_new(node->kind);
	n->plain = node->plain;
	n->line = node->line;
	n->col = node->col;
	n->b = node->b;
	n->i = node->i;
	n->n = node->n;
	if (node->str) {
		n->str = crq__strndup(node->str, node->len);
		n->len = node->len;
	}
	if (node->count) {
		n->alloc = node->count;
		n->items = crq__calloc(node->count, sizeof(*n->items));
		if (node->kind == CRQ_NODE_OBJECT)
			n->keys = crq__calloc(node->count, sizeof(*n->keys));
		for (i = 0; i < node->count; i++) {
			n->items[i] = crq_node_dup(node->items[i]);
			if (n->keys)
				n->keys[i] = crq__strdup(node->keys[i]);
		}
		n->count = node->count;
	}
	return n;
}

static int is_numeric(const crq_node *n, double *out)
{
	if (n->kind == CRQ_NODE_INT) {
		*out = (double)n->i;
		return 1;
	}
	if (n->kind == CRQ_NODE_NUMBER) {
		*out = n->n;
		return 1;
	}
	return 0;
}

int crq_node_equal(const crq_node *a, const crq_node *b)
{
	double x, y;
	size_t i;

	if (a->kind == CRQ_NODE_INT && b->kind == CRQ_NODE_INT)
		return a->i == b->i;
	if (is_numeric(a, &x) && is_numeric(b, &y))
		return x == y;
	if (a->kind != b->kind)
		return 0;
	switch (a->kind) {
	case CRQ_NODE_NULL:
		return 1;
	case CRQ_NODE_BOOL:
		return a->b == b->b;
	case CRQ_NODE_STRING:
		return a->len == b->len && !memcmp(a->str, b->str, a->len);
	case CRQ_NODE_ARRAY:
		if (a->count != b->count)
			return 0;
		for (i = 0; i < a->count; i++)
			if (!crq_node_equal(a->items[i], b->items[i]))
				return 0;
		return 1;
	case CRQ_NODE_OBJECT:
		if (a->count != b->count)
			return 0;
		for (i = 0; i < a->count; i++) {
			const crq_node *o = crq_node_get(b, a->keys[i]);

			if (!o || !crq_node_equal(a->items[i], o))
				return 0;
		}
		return 1;
	default:
		return 0;
	}
}

long crq_node_index(const crq_node *obj, const char *key)
{
	size_t i;

	if (!obj || obj->kind != CRQ_NODE_OBJECT)
		return -1;
	for (i = 0; i < obj->count; i++)
		if (!strcmp(obj->keys[i], key))
			return (long)i;
	return -1;
}

crq_node *crq_node_get(const crq_node *obj, const char *key)
{
	long i = crq_node_index(obj, key);

	return i < 0 ? NULL : obj->items[i];
}

const char *crq_node_get_str(const crq_node *obj, const char *key)
{
	const crq_node *n = crq_node_get(obj, key);

	return n && n->kind == CRQ_NODE_STRING ? n->str : NULL;
}

void crq_node_set(crq_node *obj, const char *key, crq_node *val)
{
	long i = crq_node_index(obj, key);

	assert(!obj->block);

	if (i >= 0) {
		crq_node_free(obj->items[i]);
		obj->items[i] = val;
		return;
	}
	crq_node__append(obj, crq__strdup(key), val);
}

long crq_node__find(const crq_node *arr, const char *field,
	const char *value)
{
	size_t i;

	for (i = 0; arr && arr->kind == CRQ_NODE_ARRAY && i < arr->count;
			i++) {
		const char *s = crq_node_get_str(arr->items[i], field);

		if (s && !strcmp(s, value))
			return (long)i;
	}
	return -1;
}

int crq_node__has(const crq_node *arr, const char *s)
{
	size_t i;

	for (i = 0; arr && arr->kind == CRQ_NODE_ARRAY && i < arr->count; i++)
		if (arr->items[i]->kind == CRQ_NODE_STRING &&
		    !strcmp(arr->items[i]->str, s))
			return 1;
	return 0;
}

void crq_node__append(crq_node *obj, char *key, crq_node *val)
{
	size_t ka = obj->alloc;

	assert(!obj->block);

	/* keys and items share obj->alloc */
	crq__grow((void **)&obj->items, &obj->alloc, obj->count + 1,
		sizeof(*obj->items));
	if (!obj->keys || ka != obj->alloc)
		obj->keys = crq__realloc(obj->keys,
			obj->alloc * sizeof(*obj->keys));
	obj->keys[obj->count] = key;
	obj->items[obj->count++] = val;
}

int crq_node_remove(crq_node *obj, const char *key)
{
	long i = crq_node_index(obj, key);

	if (i < 0)
		return 0;
	crq_node_remove_at(obj, (size_t)i);
	return 1;
}

void crq_node_remove_at(crq_node *arr, size_t i)
{
	assert(!arr->block);
	if (i >= arr->count)
		return;
	if (arr->keys) {
		free(arr->keys[i]);
		memmove(arr->keys + i, arr->keys + i + 1,
			(arr->count - i - 1) * sizeof(*arr->keys));
	}
	crq_node_free(arr->items[i]);
	memmove(arr->items + i, arr->items + i + 1,
		(arr->count - i - 1) * sizeof(*arr->items));
	arr->count--;
}

void crq_node_push(crq_node *arr, crq_node *val)
{
	assert(!arr->block);
	crq__grow((void **)&arr->items, &arr->alloc, arr->count + 1,
		sizeof(*arr->items));
	arr->items[arr->count++] = val;
}

crq_node *crq_node__walk(const crq_node *root, const char *path, char sep)
{
	const crq_node *n = root;
	const char *p = path;
	const char seps[2] = { sep, '\0' };

	while (n && *p) {
		size_t len = strcspn(p, seps);
		char key[256];

		if (len >= sizeof(key))
			return NULL;
		memcpy(key, p, len);
		key[len] = '\0';
		n = crq_node_get(n, key);
		p += len + (p[len] == sep);
	}
	return (crq_node *)n;
}

crq_node *crq_node_path(const crq_node *root, const char *dotted)
{
	return crq_node__walk(root, dotted, '.');
}

/* The first control character (C0 but tab and newline, DEL) in a
 * value's strings, or 0. */
unsigned crq_node__control_char(const crq_node *v)
{
	size_t i;
	unsigned c;

	if (v->kind == CRQ_NODE_STRING) {
		for (i = 0; i < v->len; i++) {
			c = (unsigned char)v->str[i];
			if ((c < 0x20 && c != '\t' && c != '\n') || c == 0x7f)
				return c ? c : 0x2400;	/* NUL shown as such */
		}
		return 0;
	}
	if (v->kind == CRQ_NODE_ARRAY || v->kind == CRQ_NODE_OBJECT)
		for (i = 0; i < v->count; i++)
			if ((c = crq_node__control_char(v->items[i])))
				return c;
	return 0;
}
