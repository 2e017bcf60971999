/*
 * doc.c - documents typed by a schema: the strict load (YAML, typed and
 * validated by the schema, plus a caller's own checks) and the
 * canonical writer (keys in schema order), for changes, templates and
 * the policy alike.
 */
#include <stdio.h>
#include <string.h>
#include "doc.h"

/* ---- schema helpers ---- */

/* Follow a local "#/definitions/x" style $ref. */
const crq_node *crq_doc__deref(const crq_node *root, const crq_node *s)
{
	int guard = 0;

	while (s && s->kind == CRQ_NODE_OBJECT && guard++ < 32) {
		const char *ref = crq_node_get_str(s, "$ref");

		if (!ref || strncmp(ref, "#/", 2))
			return s;
		s = crq_node__walk(root, ref + 2, '/');
	}
	return s;
}

int crq_doc__is_string(const crq_node *root, const crq_node *s)
{
	const crq_node *t, *e;
	size_t i;

	s = crq_doc__deref(root, s);
	if (!s || s->kind != CRQ_NODE_OBJECT)
		return 0;
	t = crq_node_get(s, "type");
	if (t && t->kind == CRQ_NODE_STRING)
		return !strcmp(t->str, "string");
	e = crq_node_get(s, "enum");
	if (!t && e && e->kind == CRQ_NODE_ARRAY && e->count) {
		for (i = 0; i < e->count; i++)
			if (e->items[i]->kind != CRQ_NODE_STRING)
				return 0;
		return 1;
	}
	return 0;
}

/* Copy of n with object keys in the order of the schema's properties,
 * unknown keys after them in their original order. */
static crq_node *ordered(const crq_node *root, const crq_node *s,
	const crq_node *n)
{
	const crq_node *props, *items;
	crq_node *o;
	size_t i;

	s = crq_doc__deref(root, s);
	if (n->kind == CRQ_NODE_ARRAY) {
		items = s ? crq_node_get(s, "items") : NULL;
		o = crq_node_new(CRQ_NODE_ARRAY);
		for (i = 0; i < n->count; i++)
			crq_node_push(o, ordered(root, items, n->items[i]));
		return o;
	}
	if (n->kind != CRQ_NODE_OBJECT)
		return crq_node_dup(n);
	o = crq_node_new(CRQ_NODE_OBJECT);
	props = s ? crq_node_get(s, "properties") : NULL;
	if (props && props->kind == CRQ_NODE_OBJECT) {
		for (i = 0; i < props->count; i++) {
			const crq_node *v = crq_node_get(n, props->keys[i]);

			if (v)
				crq_node_set(o, props->keys[i],
					ordered(root, props->items[i], v));
		}
	}
	for (i = 0; i < n->count; i++)
		if (crq_node_index(o, n->keys[i]) < 0)
			crq_node_set(o, n->keys[i], crq_node_dup(n->items[i]));
	return o;
}

void crq_doc_format(crq_buf *out, const crq_schema *schema,
	const crq_node *change)
{
	const crq_node *root = crq_schema_root(schema);
	crq_node *o = ordered(root, root, change);

	crq_yaml_emit(out, o);
	crq_node_free(o);
}

/* ---- parsing ---- */

int crq_doc__issues_error(const crq_issues *issues, const char *name)
{
	const crq_issue *is = &issues->items[0];
	crq_buf more = CRQ_BUF_INIT;
	int err;

	if (issues->count > 1)
		crq_buf_printf(&more, " (and %zu more problem%s)",
			issues->count - 1, issues->count > 2 ? "s" : "");
	if (is->line)
		err = crq_error__set(CRQ_EINVALID, "%s:%u:%u: %s%s", name,
			is->line, is->col, is->message, crq_buf_cstr(&more));
	else
		err = crq_error__set(CRQ_EINVALID, "%s: %s%s", name,
			is->message, crq_buf_cstr(&more));
	crq_buf_dispose(&more);
	return err;
}

int crq_doc__parse(crq_node **out, const crq_schema *schema,
	const char *text, size_t len, const char *name, crq_issues *issues,
	int validate, void (*extra)(const crq_node *doc, crq_issues *issues))
{
	crq_issues local;
	crq_issues *is = issues ? issues : &local;
	size_t before;
	crq_node *doc = NULL;
	int err;

	*out = NULL;
	crq_issues_init(&local);
	if ((err = crq_yaml_load(&doc, text, len, name)) < 0)
		goto done;
	if (doc->kind == CRQ_NODE_NULL) {
		err = crq_error__set(CRQ_EINVALID, "%s: empty document", name);
		goto done;
	}
	before = is->count;
	crq_schema_type(schema, doc, is);
	if (validate && is->count == before &&
	    (err = crq_schema_validate(schema, doc, is)) < 0 &&
	    err != CRQ_EINVALID)
		goto done;
	if (extra && is->count == before)
		extra(doc, is);
	if (is->count > before) {
		crq_issues sub = { is->items + before, is->count - before, 0 };

		err = crq_doc__issues_error(&sub, name);
		goto done;
	}
	err = 0;
	*out = doc;
	doc = NULL;
done:
	crq_node_free(doc);
	crq_issues_dispose(&local);
	return err;
}

void crq_change_format(crq_buf *out, const crq_schema *schema,
	const crq_node *change)
{
	crq_doc_format(out, schema, change);
}

