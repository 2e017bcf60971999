/*
 * schema.c - JSON Schema draft-07 validation and schema-driven typing of
 * YAML plain scalars.
 */
#define PCRE2_CODE_UNIT_WIDTH 8
#include <math.h>
#include <pcre2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "internal.h"

#define SCHEMA_MAX_SIZE (4 * 1024 * 1024)
/* Nested validation calls allowed before a $ref loop is assumed. */
#define SCHEMA_MAX_DEPTH 1024
/* Longest list of enum values quoted in an issue. */
#define ENUM_LIST_MAX 200

struct regex {
	const void *key;	/* pattern node or patternProperties key */
	pcre2_code *code;
	pcre2_match_data *md;
};

struct crq_schema {
	crq_node *root;
	char *name;
	/* compiled patterns, filled lazily (logically const) */
	struct regex *re;
	size_t nre, are;
};

/* ------------------------------------------------------------------ */
/* Issues */

void crq_issues_init(crq_issues *issues)
{
	issues->items = NULL;
	issues->count = issues->alloc = 0;
}

void crq_issues_dispose(crq_issues *issues)
{
	size_t i;

	for (i = 0; i < issues->count; i++) {
		free(issues->items[i].pointer);
		free(issues->items[i].message);
	}
	free(issues->items);
	crq_issues_init(issues);
}

void crq_issues_add(crq_issues *issues, const crq_node *at,
	const char *pointer, const char *fmt, ...)
{
	crq_buf msg = CRQ_BUF_INIT;
	crq_issue *it;
	va_list ap;

	va_start(ap, fmt);
	crq_buf_vprintf(&msg, fmt, ap);
	va_end(ap);
	crq__grow((void **)&issues->items, &issues->alloc, issues->count + 1,
		sizeof(*issues->items));
	it = &issues->items[issues->count++];
	it->pointer = crq__strdup(pointer ? pointer : "");
	it->message = crq_buf_detach(&msg);
	it->line = at ? at->line : 0;
	it->col = at ? at->col : 0;
}

/* ------------------------------------------------------------------ */
/* Loading */

int crq_schema_from_node(crq_schema **out, crq_node *root, const char *name)
{
	crq_schema *s;

	*out = NULL;
	if (!name)
		name = "schema";
	if (!root || (root->kind != CRQ_NODE_OBJECT &&
	    root->kind != CRQ_NODE_BOOL)) {
		crq_node_free(root);
		return crq_error__set(CRQ_EINVALID,
			"%s: a schema must be an object or a boolean", name);
	}
	s = crq__calloc(1, sizeof(*s));
	s->root = root;
	s->name = crq__strdup(name);
	*out = s;
	return 0;
}

int crq_schema_load(crq_schema **out, const char *path)
{
	crq_buf text = CRQ_BUF_INIT;
	crq_node *root = NULL;
	int err;

	*out = NULL;
	if ((err = crq_buf_read_file(&text, path, SCHEMA_MAX_SIZE)) < 0)
		goto done;
	if ((err = crq_json_parse(&root, crq_buf_cstr(&text), text.size,
	    path)) < 0)
		goto done;
	err = crq_schema_from_node(out, root, path);
done:
	crq_buf_dispose(&text);
	return err;
}

void crq_schema_free(crq_schema *schema)
{
	size_t i;

	if (!schema)
		return;
	for (i = 0; i < schema->nre; i++) {
		pcre2_match_data_free(schema->re[i].md);
		pcre2_code_free(schema->re[i].code);
	}
	free(schema->re);
	crq_node_free(schema->root);
	free(schema->name);
	free(schema);
}

const crq_node *crq_schema_root(const crq_schema *schema)
{
	return schema->root;
}

/* ------------------------------------------------------------------ */
/* Patterns */

/* Find or compile the regular expression pattern, cached under key. */
static int regex_get(const crq_schema *cs, const void *key,
	const char *pattern, struct regex **out)
{
	crq_schema *s = (crq_schema *)cs;
	PCRE2_UCHAR msg[256];
	PCRE2_SIZE off;
	pcre2_code *code;
	int ec;
	size_t i;

	for (i = 0; i < s->nre; i++) {
		if (s->re[i].key == key) {
			*out = &s->re[i];
			return 0;
		}
	}
	code = pcre2_compile((PCRE2_SPTR)pattern, PCRE2_ZERO_TERMINATED,
		PCRE2_UTF, &ec, &off, NULL);
	if (!code) {
		pcre2_get_error_message(ec, msg, sizeof(msg));
		return crq_error__set(CRQ_EINVALID,
			"%s: invalid pattern '%s': %s at offset %zu", s->name,
			pattern, (const char *)msg, (size_t)off);
	}
	crq__grow((void **)&s->re, &s->are, s->nre + 1, sizeof(*s->re));
	s->re[s->nre].key = key;
	s->re[s->nre].code = code;
	s->re[s->nre].md = pcre2_match_data_create_from_pattern(code, NULL);
	if (!s->re[s->nre].md)
		abort();
	*out = &s->re[s->nre++];
	return 0;
}

/* 1 when str matches, 0 when not, < 0 on a bad pattern. */
static int regex_match(const crq_schema *s, const void *key,
	const char *pattern, const char *str, size_t len)
{
	struct regex *re;
	int err, rc;

	if ((err = regex_get(s, key, pattern, &re)) < 0)
		return err;
	rc = pcre2_match(re->code, (PCRE2_SPTR)str, len, 0, 0, re->md, NULL);
	return rc >= 0;
}

/* ------------------------------------------------------------------ */
/* References */

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Resolve a local "#/a/b" reference; NULL when it cannot be. */
static const crq_node *resolve_ref(const crq_schema *s, const char *ref)
{
	const crq_node *n = s->root;
	crq_buf frag = CRQ_BUF_INIT, tok = CRQ_BUF_INIT;
	const char *p;
	size_t i;

	if (ref[0] != '#')
		return NULL;
	/* percent-decode the fragment */
	for (p = ref + 1; *p; p++) {
		if (*p == '%' && hexval(p[1]) >= 0 && hexval(p[2]) >= 0) {
			crq_buf_putc(&frag,
				(char)(hexval(p[1]) * 16 + hexval(p[2])));
			p += 2;
		} else {
			crq_buf_putc(&frag, *p);
		}
	}
	p = crq_buf_cstr(&frag);
	if (*p && *p != '/') {
		n = NULL;
		goto done;
	}
	while (n && *p == '/') {
		p++;
		crq_buf_clear(&tok);
		crq_buf_put(&tok, "", 0);
		for (; *p && *p != '/'; p++) {
			if (p[0] == '~' && p[1] == '0') {
				crq_buf_putc(&tok, '~');
				p++;
			} else if (p[0] == '~' && p[1] == '1') {
				crq_buf_putc(&tok, '/');
				p++;
			} else {
				crq_buf_putc(&tok, *p);
			}
		}
		if (n->kind == CRQ_NODE_OBJECT) {
			n = crq_node_get(n, crq_buf_cstr(&tok));
		} else if (n->kind == CRQ_NODE_ARRAY) {
			const char *t = crq_buf_cstr(&tok);
			size_t idx = 0;

			if (!*t || (t[0] == '0' && t[1])) {
				n = NULL;
				break;
			}
			for (i = 0; t[i]; i++) {
				if (t[i] < '0' || t[i] > '9' ||
				    idx > (SIZE_MAX - 9) / 10) {
					idx = SIZE_MAX;
					break;
				}
				idx = idx * 10 + (size_t)(t[i] - '0');
			}
			n = idx < n->count ? n->items[idx] : NULL;
		} else {
			n = NULL;
		}
	}
done:
	crq_buf_dispose(&frag);
	crq_buf_dispose(&tok);
	return n;
}

/* ------------------------------------------------------------------ */
/* Helpers */

static int is_number(const crq_node *n)
{
	return n->kind == CRQ_NODE_INT || n->kind == CRQ_NODE_NUMBER;
}

static double num(const crq_node *n)
{
	return n->kind == CRQ_NODE_INT ? (double)n->i : n->n;
}

static int is_integral(const crq_node *n)
{
	return n->kind == CRQ_NODE_INT ||
		(n->kind == CRQ_NODE_NUMBER && isfinite(n->n) &&
		 n->n == floor(n->n));
}

/* A non-negative integer keyword value, or -1. */
static long long count_kw(const crq_node *s, const char *key)
{
	const crq_node *n = crq_node_get(s, key);

	if (!n || !is_integral(n) || num(n) < 0)
		return -1;
	return n->kind == CRQ_NODE_INT ? n->i : (long long)n->n;
}

static const char *kind_name(const crq_node *n)
{
	switch (n->kind) {
	case CRQ_NODE_NULL: return "null";
	case CRQ_NODE_BOOL: return "boolean";
	case CRQ_NODE_INT: return "integer";
	case CRQ_NODE_NUMBER: return "number";
	case CRQ_NODE_STRING: return "string";
	case CRQ_NODE_ARRAY: return "array";
	case CRQ_NODE_OBJECT: return "object";
	}
	return "value";
}

/* Compare two numbers: < 0, 0, > 0. */
static int num_cmp(const crq_node *a, const crq_node *b)
{
	double x, y;

	if (a->kind == CRQ_NODE_INT && b->kind == CRQ_NODE_INT)
		return (a->i > b->i) - (a->i < b->i);
	x = num(a);
	y = num(b);
	return (x > y) - (x < y);
}

static int is_multiple(const crq_node *x, const crq_node *m)
{
	double q;

	if (x->kind == CRQ_NODE_INT && m->kind == CRQ_NODE_INT) {
		if (m->i == 0)
			return 0;
		if (m->i == -1)
			return 1;
		return x->i % m->i == 0;
	}
	if (num(m) == 0)
		return 0;
	q = num(x) / num(m);
	if (!isfinite(q))
		return 0;
	if (fabs(q) >= 9007199254740992.0)	/* 2^53: always integral */
		return 1;
	return fabs(q - nearbyint(q)) < 1e-9;
}

/* Append a short rendering of a value: strings bare, others as JSON. */
static void put_value(crq_buf *b, const crq_node *n)
{
	if (n->kind == CRQ_NODE_STRING)
		crq_buf_put(b, n->str, n->len);
	else
		crq_json_write(b, n, 0);
}

static int two_digits(const char *s, int *out)
{
	if (s[0] < '0' || s[0] > '9' || s[1] < '0' || s[1] > '9')
		return 0;
	*out = (s[0] - '0') * 10 + (s[1] - '0');
	return 1;
}

/* Parse an RFC 3339 full-date at s; returns the length (10) or 0. */
static size_t full_date(const char *s)
{
	static const int mdays[] = {
		31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31
	};
	int hi, lo, year, month, day, max;

	if (!two_digits(s, &hi) || !two_digits(s + 2, &lo) || s[4] != '-' ||
	    !two_digits(s + 5, &month) || s[7] != '-' ||
	    !two_digits(s + 8, &day))
		return 0;
	year = hi * 100 + lo;
	if (month < 1 || month > 12 || day < 1)
		return 0;
	max = mdays[month - 1];
	if (month == 2 && year % 4 == 0 &&
	    (year % 100 != 0 || year % 400 == 0))
		max = 29;
	return day <= max ? 10 : 0;
}

static int is_date(const char *s)
{
	return full_date(s) == 10 && s[10] == '\0';
}

int crq_schema_is_datetime(const char *s)
{
	int h, m, sec;

	if (!full_date(s))
		return 0;
	s += 10;
	if (*s != 'T' && *s != 't')
		return 0;
	s++;
	if (!two_digits(s, &h) || s[2] != ':' || !two_digits(s + 3, &m) ||
	    s[5] != ':' || !two_digits(s + 6, &sec))
		return 0;
	if (h > 23 || m > 59 || sec > 60)
		return 0;
	s += 8;
	if (*s == '.') {
		s++;
		if (*s < '0' || *s > '9')
			return 0;
		while (*s >= '0' && *s <= '9')
			s++;
	}
	if (*s == 'Z' || *s == 'z')
		return s[1] == '\0';
	if (*s != '+' && *s != '-')
		return 0;
	s++;
	if (!two_digits(s, &h) || s[2] != ':' || !two_digits(s + 3, &m))
		return 0;
	return h <= 23 && m <= 59 && s[5] == '\0';
}

/* ------------------------------------------------------------------ */
/* Validation */

struct vctx {
	const crq_schema *schema;
	crq_buf ptr;		/* JSON pointer of the current instance */
	crq_buf label;		/* dotted name of the current instance */
	int depth;
};

struct mark {
	size_t ptr, label;
};

static struct mark push_key(struct vctx *v, const char *key)
{
	struct mark m = { v->ptr.size, v->label.size };
	const char *p;

	crq_buf_putc(&v->ptr, '/');
	for (p = key; *p; p++) {
		if (*p == '~')
			crq_buf_put(&v->ptr, "~0", 2);
		else if (*p == '/')
			crq_buf_put(&v->ptr, "~1", 2);
		else
			crq_buf_putc(&v->ptr, *p);
	}
	if (v->label.size)
		crq_buf_putc(&v->label, '.');
	crq_buf_puts(&v->label, key);
	return m;
}

static struct mark push_index(struct vctx *v, size_t i)
{
	struct mark m = { v->ptr.size, v->label.size };

	crq_buf_printf(&v->ptr, "/%zu", i);
	crq_buf_printf(&v->label, "[%zu]", i);
	return m;
}

static void pop(struct vctx *v, struct mark m)
{
	v->ptr.size = m.ptr;
	crq_buf_put(&v->ptr, "", 0);
	v->label.size = m.label;
	crq_buf_put(&v->label, "", 0);
}

/* Add an issue "<subject> <message>" for inst, when out is not NULL. */
static int fail(struct vctx *v, crq_issues *out, const crq_node *inst,
	const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static int fail(struct vctx *v, crq_issues *out, const crq_node *inst,
	const char *fmt, ...)
{
	crq_buf msg = CRQ_BUF_INIT;
	va_list ap;

	if (!out)
		return 1;
	if (v->label.size)
		crq_buf_printf(&msg, "'%s' ", v->label.ptr);
	else
		crq_buf_puts(&msg, "the document ");
	va_start(ap, fmt);
	crq_buf_vprintf(&msg, fmt, ap);
	va_end(ap);
	crq_issues_add(out, inst, crq_buf_cstr(&v->ptr), "%s",
		crq_buf_cstr(&msg));
	crq_buf_dispose(&msg);
	return 1;
}

static int validate(struct vctx *v, const crq_node *s, const crq_node *inst,
	crq_issues *out);

/* Combine a keyword result into the running result; -1 = stop. */
#define MERGE(res, r, out) do { \
	if ((r) < 0) \
		return (r); \
	if ((r) > 0) { \
		(res) = 1; \
		if (!(out)) \
			return 1; \
	} \
} while (0)

/* 1 when a type name accepts inst, 0 when not, < 0 for a bad name. */
static int type_ok(struct vctx *v, const crq_node *t, const crq_node *inst)
{
	const char *name = t->kind == CRQ_NODE_STRING ? t->str : "";

	if (!strcmp(name, "null"))
		return inst->kind == CRQ_NODE_NULL;
	if (!strcmp(name, "boolean"))
		return inst->kind == CRQ_NODE_BOOL;
	if (!strcmp(name, "integer"))
		return is_integral(inst);
	if (!strcmp(name, "number"))
		return is_number(inst);
	if (!strcmp(name, "string"))
		return inst->kind == CRQ_NODE_STRING;
	if (!strcmp(name, "array"))
		return inst->kind == CRQ_NODE_ARRAY;
	if (!strcmp(name, "object"))
		return inst->kind == CRQ_NODE_OBJECT;
	return crq_error__set(CRQ_EINVALID, "%s: invalid type in schema",
		v->schema->name);
}

static int check_type(struct vctx *v, const crq_node *t, const crq_node *inst,
	crq_issues *out)
{
	crq_buf names = CRQ_BUF_INIT;
	size_t i;
	int r;

	if (t->kind != CRQ_NODE_ARRAY) {
		if ((r = type_ok(v, t, inst)) != 0)
			return r < 0 ? r : 0;
		return fail(v, out, inst, "must be of type %s, not %s",
			t->str, kind_name(inst));
	}
	for (i = 0; i < t->count; i++)
		if ((r = type_ok(v, t->items[i], inst)) != 0)
			return r < 0 ? r : 0;
	if (!out)
		return 1;
	for (i = 0; i < t->count; i++) {
		if (i)
			crq_buf_puts(&names, i + 1 == t->count ? " or " : ", ");
		crq_buf_puts(&names, t->items[i]->str);
	}
	fail(v, out, inst, "must be of type %s, not %s",
		crq_buf_cstr(&names), kind_name(inst));
	crq_buf_dispose(&names);
	return 1;
}

static int check_enum(struct vctx *v, const crq_node *e, const crq_node *inst,
	crq_issues *out)
{
	crq_buf list = CRQ_BUF_INIT;
	size_t i;

	if (e->kind != CRQ_NODE_ARRAY)
		return 0;
	for (i = 0; i < e->count; i++)
		if (crq_node_equal(e->items[i], inst))
			return 0;
	if (!out)
		return 1;
	for (i = 0; i < e->count; i++) {
		if (list.size > ENUM_LIST_MAX) {
			crq_buf_puts(&list, ", ...");
			break;
		}
		if (i)
			crq_buf_puts(&list, ", ");
		put_value(&list, e->items[i]);
	}
	fail(v, out, inst, "must be one of: %s", crq_buf_cstr(&list));
	crq_buf_dispose(&list);
	return 1;
}

/* Does key match one of the patternProperties?  Validates the member
 * against each matching schema when inst is not NULL. */
static int pattern_props(struct vctx *v, const crq_node *pp,
	const char *key, const crq_node *inst, crq_issues *out, int *matched)
{
	size_t i;
	int res = 0, r;

	if (!pp || pp->kind != CRQ_NODE_OBJECT)
		return 0;
	for (i = 0; i < pp->count; i++) {
		r = regex_match(v->schema, pp->keys[i], pp->keys[i], key,
			strlen(key));
		if (r < 0)
			return r;
		if (!r)
			continue;
		*matched = 1;
		r = validate(v, pp->items[i], inst, out);
		MERGE(res, r, out);
	}
	return res;
}

/* Validate one member of an object (v is at the member's location). */
static int check_member(struct vctx *v, const crq_node *s, const char *key,
	const crq_node *val, crq_issues *out)
{
	const crq_node *props = crq_node_get(s, "properties");
	const crq_node *pp = crq_node_get(s, "patternProperties");
	const crq_node *ap = crq_node_get(s, "additionalProperties");
	const crq_node *pn = crq_node_get(s, "propertyNames");
	const crq_node *sub;
	int res = 0, r, matched = 0;

	if (pn) {
		crq_node *name = crq_node_new_cstr(key);

		name->line = val->line;
		name->col = val->col;
		r = validate(v, pn, name, NULL);
		crq_node_free(name);
		if (r > 0)
			r = fail(v, out, val, "has an invalid name");
		MERGE(res, r, out);
	}
	if (props && props->kind == CRQ_NODE_OBJECT &&
	    (sub = crq_node_get(props, key))) {
		matched = 1;
		r = validate(v, sub, val, out);
		MERGE(res, r, out);
	}
	if (pp) {
		r = pattern_props(v, pp, key, val, out, &matched);
		MERGE(res, r, out);
	}
	if (!matched && ap) {
		if (ap->kind == CRQ_NODE_BOOL && !ap->b)
			r = fail(v, out, val, "is not an allowed field");
		else
			r = validate(v, ap, val, out);
		MERGE(res, r, out);
	}
	return res;
}

static int check_object(struct vctx *v, const crq_node *s,
	const crq_node *inst, crq_issues *out)
{
	const crq_node *req = crq_node_get(s, "required");
	const crq_node *deps = crq_node_get(s, "dependencies");
	long long lim;
	size_t i, j;
	int res = 0, r;
	struct mark m;

	for (i = 0; i < inst->count; i++) {
		m = push_key(v, inst->keys[i]);
		r = check_member(v, s, inst->keys[i], inst->items[i], out);
		pop(v, m);
		MERGE(res, r, out);
	}
	if (req && req->kind == CRQ_NODE_ARRAY) {
		for (i = 0; i < req->count; i++) {
			const crq_node *k = req->items[i];

			if (k->kind != CRQ_NODE_STRING ||
			    crq_node_index(inst, k->str) >= 0)
				continue;
			res = 1;
			if (!out)
				return 1;
			crq_issues_add(out, inst, crq_buf_cstr(&v->ptr),
				"missing required field '%s%s%s'",
				crq_buf_cstr(&v->label),
				v->label.size ? "." : "", k->str);
		}
	}
	if ((lim = count_kw(s, "minProperties")) >= 0 &&
	    inst->count < (unsigned long long)lim) {
		r = fail(v, out, inst, "must have at least %lld field%s", lim,
			lim == 1 ? "" : "s");
		MERGE(res, r, out);
	}
	if ((lim = count_kw(s, "maxProperties")) >= 0 &&
	    inst->count > (unsigned long long)lim) {
		r = fail(v, out, inst, "must have at most %lld field%s", lim,
			lim == 1 ? "" : "s");
		MERGE(res, r, out);
	}
	if (deps && deps->kind == CRQ_NODE_OBJECT) {
		for (i = 0; i < deps->count; i++) {
			const crq_node *d = deps->items[i];

			if (crq_node_index(inst, deps->keys[i]) < 0)
				continue;
			if (d->kind != CRQ_NODE_ARRAY) {
				r = validate(v, d, inst, out);
				MERGE(res, r, out);
				continue;
			}
			for (j = 0; j < d->count; j++) {
				if (d->items[j]->kind != CRQ_NODE_STRING ||
				    crq_node_index(inst, d->items[j]->str) >= 0)
					continue;
				r = fail(v, out, inst,
					"must have field '%s' when it has "
					"field '%s'", d->items[j]->str,
					deps->keys[i]);
				MERGE(res, r, out);
			}
		}
	}
	return res;
}

static int check_array(struct vctx *v, const crq_node *s,
	const crq_node *inst, crq_issues *out)
{
	const crq_node *items = crq_node_get(s, "items");
	const crq_node *add = crq_node_get(s, "additionalItems");
	const crq_node *contains = crq_node_get(s, "contains");
	const crq_node *uniq = crq_node_get(s, "uniqueItems");
	const crq_node *sub;
	long long lim;
	size_t i, j;
	int res = 0, r = 0;
	struct mark m;

	for (i = 0; items && i < inst->count; i++) {
		if (items->kind != CRQ_NODE_ARRAY)
			sub = items;
		else if (i < items->count)
			sub = items->items[i];
		else if (!(sub = add))
			break;
		m = push_index(v, i);
		r = validate(v, sub, inst->items[i], out);
		pop(v, m);
		MERGE(res, r, out);
	}
	if (contains) {
		for (i = 0; i < inst->count; i++) {
			m = push_index(v, i);
			r = validate(v, contains, inst->items[i], NULL);
			pop(v, m);
			if (r <= 0)
				break;
		}
		if (r < 0)
			return r;
		if (i == inst->count) {
			r = fail(v, out, inst,
				"must contain at least one matching item");
			MERGE(res, r, out);
		}
	}
	if ((lim = count_kw(s, "minItems")) >= 0 &&
	    inst->count < (unsigned long long)lim) {
		r = fail(v, out, inst, "must have at least %lld item%s", lim,
			lim == 1 ? "" : "s");
		MERGE(res, r, out);
	}
	if ((lim = count_kw(s, "maxItems")) >= 0 &&
	    inst->count > (unsigned long long)lim) {
		r = fail(v, out, inst, "must have at most %lld item%s", lim,
			lim == 1 ? "" : "s");
		MERGE(res, r, out);
	}
	if (uniq && uniq->kind == CRQ_NODE_BOOL && uniq->b) {
		for (i = 1; i < inst->count; i++) {
			for (j = 0; j < i; j++)
				if (crq_node_equal(inst->items[i],
				    inst->items[j]))
					break;
			if (j < i) {
				r = fail(v, out, inst,
					"must not contain duplicate items "
					"(item %zu repeats item %zu)", i, j);
				MERGE(res, r, out);
				break;
			}
		}
	}
	return res;
}

static int check_string(struct vctx *v, const crq_node *s,
	const crq_node *inst, crq_issues *out)
{
	const crq_node *pat = crq_node_get(s, "pattern");
	const crq_node *fmt = crq_node_get(s, "format");
	long long lim;
	size_t len = crq_utf8__length(inst->str, inst->len);
	int res = 0, r;

	if ((lim = count_kw(s, "minLength")) >= 0 &&
	    len < (unsigned long long)lim) {
		r = fail(v, out, inst, "must be at least %lld character%s long",
			lim, lim == 1 ? "" : "s");
		MERGE(res, r, out);
	}
	if ((lim = count_kw(s, "maxLength")) >= 0 &&
	    len > (unsigned long long)lim) {
		r = fail(v, out, inst, "must be at most %lld character%s long",
			lim, lim == 1 ? "" : "s");
		MERGE(res, r, out);
	}
	if (pat && pat->kind == CRQ_NODE_STRING) {
		r = regex_match(v->schema, pat, pat->str, inst->str,
			inst->len);
		if (r < 0)
			return r;
		if (!r) {
			r = fail(v, out, inst, "must match the pattern '%s'",
				pat->str);
			MERGE(res, r, out);
		}
	}
	if (fmt && fmt->kind == CRQ_NODE_STRING) {
		if (!strcmp(fmt->str, "date-time") &&
		    !crq_schema_is_datetime(inst->str)) {
			r = fail(v, out, inst,
				"is not an RFC 3339 date-time");
			MERGE(res, r, out);
		} else if (!strcmp(fmt->str, "date") && !is_date(inst->str)) {
			r = fail(v, out, inst,
				"is not an RFC 3339 date (YYYY-MM-DD)");
			MERGE(res, r, out);
		}
	}
	return res;
}

static int check_number(struct vctx *v, const crq_node *s,
	const crq_node *inst, crq_issues *out)
{
	static const struct {
		const char *kw;
		const char *op;
		int bad1, bad2;	/* failing results of num_cmp(inst, limit) */
	} bounds[] = {
		{ "minimum", ">=", -1, -1 },
		{ "maximum", "<=", 1, 1 },
		{ "exclusiveMinimum", ">", -1, 0 },
		{ "exclusiveMaximum", "<", 1, 0 },
	};
	crq_buf lim = CRQ_BUF_INIT;
	const crq_node *k;
	size_t i;
	int res = 0, c;

	for (i = 0; i < CRQ_ARRAY_SIZE(bounds); i++) {
		k = crq_node_get(s, bounds[i].kw);
		if (!k || !is_number(k))
			continue;
		c = num_cmp(inst, k);
		if (c != bounds[i].bad1 && c != bounds[i].bad2)
			continue;
		crq_buf_clear(&lim);
		crq_json_write(&lim, k, 0);
		res = fail(v, out, inst, "must be %s %s", bounds[i].op,
			crq_buf_cstr(&lim));
		if (!out)
			goto done;
	}
	k = crq_node_get(s, "multipleOf");
	if (k && is_number(k) && !is_multiple(inst, k)) {
		crq_buf_clear(&lim);
		crq_json_write(&lim, k, 0);
		fail(v, out, inst, "must be a multiple of %s",
			crq_buf_cstr(&lim));
		res = 1;
	}
done:
	crq_buf_dispose(&lim);
	return res;
}

/* type, enum and const, then the keywords for inst's kind. */
static int check_value(struct vctx *v, const crq_node *s,
	const crq_node *inst, crq_issues *out)
{
	crq_buf val = CRQ_BUF_INIT;
	const crq_node *k;
	int r;

	if ((k = crq_node_get(s, "type")) &&
	    (r = check_type(v, k, inst, out)) != 0)
		return r;
	if ((k = crq_node_get(s, "enum")) &&
	    (r = check_enum(v, k, inst, out)) != 0)
		return r;
	if ((k = crq_node_get(s, "const")) && !crq_node_equal(k, inst)) {
		crq_json_write(&val, k, 0);
		r = fail(v, out, inst, "must be %s", crq_buf_cstr(&val));
		crq_buf_dispose(&val);
		return r;
	}
	switch (inst->kind) {
	case CRQ_NODE_OBJECT:
		return check_object(v, s, inst, out);
	case CRQ_NODE_ARRAY:
		return check_array(v, s, inst, out);
	case CRQ_NODE_STRING:
		return check_string(v, s, inst, out);
	case CRQ_NODE_INT:
	case CRQ_NODE_NUMBER:
		return check_number(v, s, inst, out);
	default:
		return 0;
	}
}

/* allOf, anyOf, oneOf, not and if/then/else. */
static int check_applicators(struct vctx *v, const crq_node *s,
	const crq_node *inst, crq_issues *out)
{
	const crq_node *k;
	size_t i, n;
	int res = 0, r = 0;

	if ((k = crq_node_get(s, "allOf")) && k->kind == CRQ_NODE_ARRAY) {
		for (i = 0; i < k->count; i++) {
			r = validate(v, k->items[i], inst, out);
			MERGE(res, r, out);
		}
	}
	if ((k = crq_node_get(s, "anyOf")) && k->kind == CRQ_NODE_ARRAY) {
		for (i = 0; i < k->count; i++)
			if ((r = validate(v, k->items[i], inst, NULL)) <= 0)
				break;
		if (r < 0)
			return r;
		if (i == k->count) {
			r = fail(v, out, inst,
				"matches none of the alternatives");
			MERGE(res, r, out);
		}
	}
	if ((k = crq_node_get(s, "oneOf")) && k->kind == CRQ_NODE_ARRAY) {
		for (i = n = 0; i < k->count && n < 2; i++) {
			if ((r = validate(v, k->items[i], inst, NULL)) < 0)
				return r;
			n += r == 0;
		}
		if (n != 1) {
			r = fail(v, out, inst, "%s", n ? "matches more than "
				"one alternative" :
				"matches none of the alternatives");
			MERGE(res, r, out);
		}
	}
	if ((k = crq_node_get(s, "not"))) {
		if ((r = validate(v, k, inst, NULL)) < 0)
			return r;
		if (r == 0) {
			r = fail(v, out, inst,
				"matches a schema it must not match");
			MERGE(res, r, out);
		}
	}
	if ((k = crq_node_get(s, "if"))) {
		if ((r = validate(v, k, inst, NULL)) < 0)
			return r;
		if ((k = crq_node_get(s, r == 0 ? "then" : "else"))) {
			r = validate(v, k, inst, out);
			MERGE(res, r, out);
		}
	}
	return res;
}

/* 0 when inst is valid, 1 when not (issues added to out unless NULL),
 * < 0 when the schema is broken. */
static int validate(struct vctx *v, const crq_node *s, const crq_node *inst,
	crq_issues *out)
{
	const crq_node *k, *ref;
	int res = 0, r;

	if (s->kind == CRQ_NODE_BOOL)
		return s->b ? 0 : fail(v, out, inst, "is not allowed here");
	if (s->kind != CRQ_NODE_OBJECT)
		return crq_error__set(CRQ_EINVALID,
			"%s: a schema must be an object or a boolean, not %s",
			v->schema->name, kind_name(s));
	if (v->depth >= SCHEMA_MAX_DEPTH)
		return crq_error__set(CRQ_EINVALID,
			"%s: schema recursion deeper than %d levels "
			"(a $ref loop?)", v->schema->name, SCHEMA_MAX_DEPTH);
	v->depth++;
	/* in draft-07 the keywords beside $ref are ignored */
	if ((k = crq_node_get(s, "$ref")) && k->kind == CRQ_NODE_STRING) {
		if (!(ref = resolve_ref(v->schema, k->str)))
			res = crq_error__set(CRQ_EINVALID,
				"%s: cannot resolve $ref '%s'",
				v->schema->name, k->str);
		else
			res = validate(v, ref, inst, out);
		goto done;
	}
	res = check_value(v, s, inst, out);
	if (res < 0 || (res > 0 && !out))
		goto done;
	r = check_applicators(v, s, inst, out);
	res = r < 0 ? r : res | r;
done:
	v->depth--;
	return res;
}

int crq_schema_validate(const crq_schema *schema, const crq_node *doc,
	crq_issues *issues)
{
	struct vctx v;
	int r;

	memset(&v, 0, sizeof(v));
	v.schema = schema;
	crq_buf_put(&v.ptr, "", 0);
	crq_buf_put(&v.label, "", 0);
	r = validate(&v, schema->root, doc, issues);
	crq_buf_dispose(&v.ptr);
	crq_buf_dispose(&v.label);
	if (r > 0)
		return crq_error__set(CRQ_EINVALID,
			"document does not match schema '%s'", schema->name);
	return r;
}

/* ------------------------------------------------------------------ */
/* Lookup */

/* Follow $ref chains; NULL on a broken or looping reference. */
static const crq_node *deref(const crq_schema *s, const crq_node *n)
{
	const crq_node *k;
	int hops = 0;

	while (n && n->kind == CRQ_NODE_OBJECT &&
	       (k = crq_node_get(n, "$ref")) && k->kind == CRQ_NODE_STRING) {
		if (++hops > SCHEMA_MAX_DEPTH)
			return NULL;
		n = resolve_ref(s, k->str);
	}
	return n;
}

static const crq_node *lookup_prop(const crq_schema *s, const crq_node *n,
	const char *key, int depth)
{
	const crq_node *props, *all, *found;
	size_t i;

	n = deref(s, n);
	if (!n || n->kind != CRQ_NODE_OBJECT || depth > SCHEMA_MAX_DEPTH)
		return NULL;
	props = crq_node_get(n, "properties");
	if ((found = crq_node_get(props, key)))
		return deref(s, found);
	all = crq_node_get(n, "allOf");
	if (all && all->kind == CRQ_NODE_ARRAY)
		for (i = 0; i < all->count; i++)
			if ((found = lookup_prop(s, all->items[i], key,
			    depth + 1)))
				return found;
	return NULL;
}

const crq_node *crq_schema_lookup(const crq_schema *schema,
	const char *dotted)
{
	const crq_node *n = schema->root;
	crq_buf key = CRQ_BUF_INIT;
	const char *p = dotted;

	while (n && *p) {
		const char *dot = strchr(p, '.');
		size_t len = dot ? (size_t)(dot - p) : strlen(p);

		crq_buf_clear(&key);
		crq_buf_put(&key, p, len);
		n = lookup_prop(schema, n, crq_buf_cstr(&key), 0);
		p += len + (dot ? 1 : 0);
	}
	crq_buf_dispose(&key);
	return n;
}

/* ------------------------------------------------------------------ */
/* Typing of plain scalars */

enum {
	T_NULL = 1, T_BOOL = 2, T_INT = 4, T_NUM = 8, T_STR = 16,
	T_ARR = 32, T_OBJ = 64, T_ANY = 127
};

struct tinfo {
	unsigned bits;		/* acceptable JSON types */
	int ts;			/* format date-time or date applies */
};

struct seg {
	const char *key;	/* object member, or NULL for an array item */
	size_t index;
};

static unsigned type_bits(const crq_node *t)
{
	static const struct {
		const char *name;
		unsigned bits;
	} names[] = {
		{ "null", T_NULL }, { "boolean", T_BOOL },
		{ "integer", T_INT }, { "number", T_INT | T_NUM },
		{ "string", T_STR }, { "array", T_ARR },
		{ "object", T_OBJ },
	};
	unsigned bits = 0;
	size_t i;

	if (t->kind == CRQ_NODE_ARRAY) {
		for (i = 0; i < t->count; i++)
			bits |= type_bits(t->items[i]);
		return bits;
	}
	if (t->kind != CRQ_NODE_STRING)
		return T_ANY;
	for (i = 0; i < CRQ_ARRAY_SIZE(names); i++)
		if (!strcmp(t->str, names[i].name))
			return names[i].bits;
	return T_ANY;
}

static unsigned value_bits(const crq_node *n)
{
	switch (n->kind) {
	case CRQ_NODE_NULL: return T_NULL;
	case CRQ_NODE_BOOL: return T_BOOL;
	case CRQ_NODE_INT: return T_INT | T_NUM;
	case CRQ_NODE_NUMBER: return is_integral(n) ? T_INT | T_NUM : T_NUM;
	case CRQ_NODE_STRING: return T_STR;
	case CRQ_NODE_ARRAY: return T_ARR;
	case CRQ_NODE_OBJECT: return T_OBJ;
	}
	return T_ANY;
}

/* The types a schema itself allows (type, enum, const). */
static struct tinfo own_types(const crq_node *s)
{
	struct tinfo t = { T_ANY, 0 };
	const crq_node *k;
	unsigned b;
	size_t i;

	if ((k = crq_node_get(s, "type")))
		t.bits &= type_bits(k);
	if ((k = crq_node_get(s, "enum")) && k->kind == CRQ_NODE_ARRAY) {
		for (i = 0, b = 0; i < k->count; i++)
			b |= value_bits(k->items[i]);
		t.bits &= b;
	}
	if ((k = crq_node_get(s, "const")))
		t.bits &= value_bits(k);
	if ((k = crq_node_get(s, "format")) && k->kind == CRQ_NODE_STRING &&
	    (!strcmp(k->str, "date-time") || !strcmp(k->str, "date")))
		t.ts = 1;
	return t;
}

static struct tinfo types_at(const crq_schema *cs, const crq_node *s,
	const struct seg *path, size_t n, int depth);

/* Types allowed at path[1..] under the member/item schemas of s that
 * apply to path[0]. */
static struct tinfo child_types(const crq_schema *cs, const crq_node *s,
	const struct seg *path, size_t n, int depth)
{
	struct tinfo t = { T_ANY, 0 }, c;
	const crq_node *k, *sub = NULL;
	int matched = 0;
	size_t i;

#define MEET(x) do { \
	c = types_at(cs, (x), path + 1, n - 1, depth + 1); \
	t.bits &= c.bits; \
	t.ts |= c.ts; \
} while (0)
	if (path[0].key) {
		if ((sub = crq_node_get(crq_node_get(s, "properties"),
		    path[0].key))) {
			matched = 1;
			MEET(sub);
		}
		k = crq_node_get(s, "patternProperties");
		for (i = 0; k && k->kind == CRQ_NODE_OBJECT && i < k->count;
		     i++) {
			if (regex_match(cs, k->keys[i], k->keys[i],
			    path[0].key, strlen(path[0].key)) != 1)
				continue;
			matched = 1;
			MEET(k->items[i]);
		}
		if (!matched && (sub = crq_node_get(s,
		    "additionalProperties")))
			MEET(sub);
	} else if ((k = crq_node_get(s, "items"))) {
		if (k->kind != CRQ_NODE_ARRAY)
			sub = k;
		else if (path[0].index < k->count)
			sub = k->items[path[0].index];
		else
			sub = crq_node_get(s, "additionalItems");
		if (sub)
			MEET(sub);
	}
#undef MEET
	return t;
}

static struct tinfo types_at(const crq_schema *cs, const crq_node *s,
	const struct seg *path, size_t n, int depth)
{
	static const char *const alts[] = { "anyOf", "oneOf" };
	struct tinfo t = { T_ANY, 0 }, c;
	const crq_node *k;
	unsigned u;
	size_t i, j;

	if (depth > SCHEMA_MAX_DEPTH)
		return t;
	if (s->kind == CRQ_NODE_BOOL) {
		if (!s->b)
			t.bits = 0;
		return t;
	}
	if (s->kind != CRQ_NODE_OBJECT)
		return t;
	if ((k = crq_node_get(s, "$ref")) && k->kind == CRQ_NODE_STRING) {
		if (!(s = resolve_ref(cs, k->str)))
			return t;
		return types_at(cs, s, path, n, depth + 1);
	}
	t = n ? child_types(cs, s, path, n, depth) : own_types(s);
	if ((k = crq_node_get(s, "allOf")) && k->kind == CRQ_NODE_ARRAY) {
		for (i = 0; i < k->count; i++) {
			c = types_at(cs, k->items[i], path, n, depth + 1);
			t.bits &= c.bits;
			t.ts |= c.ts;
		}
	}
	for (j = 0; j < CRQ_ARRAY_SIZE(alts); j++) {
		k = crq_node_get(s, alts[j]);
		if (!k || k->kind != CRQ_NODE_ARRAY)
			continue;
		for (i = 0, u = 0; i < k->count; i++) {
			c = types_at(cs, k->items[i], path, n, depth + 1);
			u |= c.bits;
			t.ts |= c.ts;
		}
		t.bits &= u;
	}
	if (crq_node_get(s, "if")) {
		u = 0;
		if ((k = crq_node_get(s, "then"))) {
			c = types_at(cs, k, path, n, depth + 1);
			u |= c.bits;
			t.ts |= c.ts;
		} else {
			u = T_ANY;
		}
		if ((k = crq_node_get(s, "else"))) {
			c = types_at(cs, k, path, n, depth + 1);
			u |= c.bits;
			t.ts |= c.ts;
		} else {
			u = T_ANY;
		}
		t.bits &= u;
	}
	return t;
}

static void set_null(crq_node *n)
{
	free(n->str);
	n->str = NULL;
	n->len = 0;
	n->kind = CRQ_NODE_NULL;
}

/* Try to give n one of the non-string types in bits; 1 on success. */
static int resolve_scalar(crq_node *n, unsigned bits)
{
	const char *s = n->str;
	long long i;
	double d;
	int b;

	if ((bits & T_NULL) && crq_yaml_plain_null(s)) {
		set_null(n);
		return 1;
	}
	if ((bits & T_BOOL) && crq_yaml_plain_bool(s, &b)) {
		set_null(n);
		n->kind = CRQ_NODE_BOOL;
		n->b = b;
		return 1;
	}
	if ((bits & (T_INT | T_NUM)) && crq_yaml_plain_int(s, &i)) {
		set_null(n);
		n->kind = CRQ_NODE_INT;
		n->i = i;
		return 1;
	}
	/* "integer" also accepts numbers with an integral value (1.0) */
	if ((bits & (T_INT | T_NUM)) && crq_yaml_plain_float(s, &d) &&
	    ((bits & T_NUM) || (isfinite(d) && d == floor(d)))) {
		set_null(n);
		n->kind = CRQ_NODE_NUMBER;
		n->n = d;
		return 1;
	}
	return 0;
}

struct tctx {
	const crq_schema *schema;
	crq_issues *issues;
	struct seg *path;
	size_t depth, alloc;
	crq_buf ptr;
	size_t added;
};

static void type_scalar(struct tctx *t, crq_node *n)
{
	struct tinfo ti;

	ti = types_at(t->schema, t->schema->root, t->path, t->depth, 0);
	n->plain = 0;
	if (ti.bits == 0)
		ti.bits = T_ANY;
	if (!(ti.bits & T_STR) || (ti.bits & T_ANY) == T_ANY) {
		/* leave unresolvable text as a string for validation */
		resolve_scalar(n, ti.bits);
		return;
	}
	if (!crq_yaml_plain_ambiguous(n->str))
		return;
	if (resolve_scalar(n, ti.bits))
		return;
	if (ti.ts && crq_yaml_plain_timestamp(n->str))
		return;
	if (!n->len) {
		/* an empty value: let validation report the missing string */
		set_null(n);
		return;
	}
	if (t->issues)
		crq_issues_add(t->issues, n, crq_buf_cstr(&t->ptr),
			"ambiguous plain scalar '%s' in a string field; "
			"quote it", n->str);
	t->added++;
}

static void type_walk(struct tctx *t, crq_node *n)
{
	size_t i, mark;
	const char *p;

	if (n->plain && n->kind == CRQ_NODE_STRING) {
		type_scalar(t, n);
		return;
	}
	n->plain = 0;
	if (n->kind != CRQ_NODE_ARRAY && n->kind != CRQ_NODE_OBJECT)
		return;
	crq__grow((void **)&t->path, &t->alloc, t->depth + 1,
		sizeof(*t->path));
	for (i = 0; i < n->count; i++) {
		mark = t->ptr.size;
		if (n->kind == CRQ_NODE_OBJECT) {
			t->path[t->depth].key = n->keys[i];
			crq_buf_putc(&t->ptr, '/');
			for (p = n->keys[i]; *p; p++) {
				if (*p == '~')
					crq_buf_put(&t->ptr, "~0", 2);
				else if (*p == '/')
					crq_buf_put(&t->ptr, "~1", 2);
				else
					crq_buf_putc(&t->ptr, *p);
			}
		} else {
			t->path[t->depth].key = NULL;
			t->path[t->depth].index = i;
			crq_buf_printf(&t->ptr, "/%zu", i);
		}
		t->depth++;
		type_walk(t, n->items[i]);
		t->depth--;
		t->ptr.size = mark;
		crq_buf_put(&t->ptr, "", 0);
	}
}

int crq_schema_type(const crq_schema *schema, crq_node *doc,
	crq_issues *issues)
{
	struct tctx t;

	memset(&t, 0, sizeof(t));
	t.schema = schema;
	t.issues = issues;
	crq_buf_put(&t.ptr, "", 0);
	type_walk(&t, doc);
	free(t.path);
	crq_buf_dispose(&t.ptr);
	if (t.added)
		return crq_error__set(CRQ_EINVALID,
			"%zu plain scalar%s must be quoted", t.added,
			t.added == 1 ? "" : "s");
	return 0;
}
