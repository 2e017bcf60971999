/*
 * schema.c - JSON Schema draft-07 validation and schema-driven typing of
 * YAML plain scalars.
 *
 * A schema is compiled once, when it is loaded: every schema object
 * reachable from the root gets a struct csch with its keywords already
 * looked up, its $ref resolved, its patterns compiled and what the
 * typing pass needs precomputed.  Validating and typing then only walk
 * those structs, which nothing changes after loading: a loaded schema
 * may be used by several threads at once.
 */
#define PCRE2_CODE_UNIT_WIDTH 8
#include <math.h>
#include <pcre2.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "internal.h"
#include "schema.h"

/* Nested validation calls allowed before a $ref loop is assumed. */
#define SCHEMA_MAX_DEPTH 1024
/* Longest list of enum values quoted in an issue. */
#define ENUM_LIST_MAX 200

/* JSON types as bits, for typing plain scalars. */
enum {
	T_NULL = 1, T_BOOL = 2, T_INT = 4, T_NUM = 8, T_STR = 16,
	T_ARR = 32, T_OBJ = 64, T_ANY = 127
};

struct tinfo {
	unsigned bits;		/* acceptable JSON types */
	int ts;			/* format date-time or date applies */
};

/* A type name of the "type" keyword, as validation checks it. */
enum { TY_NULL, TY_BOOL, TY_INT, TY_NUM, TY_STR, TY_ARR, TY_OBJ, TY_BAD };

enum { FMT_NONE, FMT_DATETIME, FMT_DATE };

/* What kind of node a schema location holds. */
enum { CS_OTHER, CS_BOOL, CS_OBJECT };

struct cregex {
	const char *pattern;
	pcre2_code *code;	/* NULL when the pattern does not compile */
	/* The message for a pattern that does not compile.  It is reported
	 * when validation reaches the pattern, not at load: a schema with
	 * a bad pattern where no instance goes is still usable. */
	char *error;
};

struct csch;

struct cprop {
	const char *key;
	uint32_t hash;
	struct csch *sub;
};

struct cpattern {		/* one member of patternProperties */
	struct cregex re;
	struct csch *sub;
};

struct cdep {			/* one member of dependencies */
	const char *key;
	const crq_node *names;	/* array of required names, or NULL */
	struct csch *sub;	/* the schema when not an array */
};

struct clist {			/* allOf, anyOf, oneOf, a tuple of items */
	int present;		/* the keyword is there and an array */
	size_t count;
	struct csch **items;
};

/* One compiled schema location.  Absent keywords are NULL (or -1 for
 * counts); the crq_node pointers are borrowed from the schema root. */
struct csch {
	const crq_node *node;
	int kind;		/* CS_* */
	int b;			/* CS_BOOL: its value */
	/* A string $ref makes every other keyword ignored; target is NULL
	 * when it cannot be resolved. */
	const char *ref;
	struct csch *target;

	const crq_node *type;
	unsigned char *types;	/* TY_* of each name of type */
	size_t ntypes;
	const crq_node *enum_, *const_;

	/* objects */
	struct cprop *props;	/* properties, in schema order */
	size_t nprops;
	uint32_t *ptab;		/* hash of props: index + 1, 0 = empty */
	size_t pmask;
	struct cpattern *pats;
	size_t npats;
	struct csch *addprops, *propnames;
	const crq_node *required;	/* an array, or NULL */
	struct cdep *deps;
	size_t ndeps;
	long long min_props, max_props;

	/* arrays */
	int has_items;		/* the items keyword is there */
	struct csch *items;	/* items as one schema for every item */
	struct clist tuple;	/* items as an array */
	struct csch *additems, *contains;
	int unique;
	long long min_items, max_items;

	/* strings */
	long long min_len, max_len;
	struct cregex *pattern;
	int format;		/* FMT_* */

	/* numbers: minimum, maximum, exclusiveMinimum, exclusiveMaximum */
	const crq_node *bound[4];
	const crq_node *multiple_of;

	/* applicators */
	struct clist all, any, one;
	struct csch *not_, *if_, *then_, *else_;

	/* Typing.  leaf: the types this object itself allows (type, enum,
	 * const, format).  own: types_at() of this location with an empty
	 * path, valid when own_height >= 0; evaluating it takes calls
	 * own_height levels deep, so it holds wherever that stays within
	 * SCHEMA_MAX_DEPTH.  kids: 0 when types_at() with a non-empty
	 * path is always { T_ANY, 0 }. */
	struct tinfo leaf, own;
	int own_height, own_state;
	int kids, kids_state;
};

struct crq_schema {
	crq_node *root;
	char *name;
	struct csch *croot;
	struct csch **all;	/* every compiled location, to free them */
	size_t nall, aall;
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

/* A keyword's value n as a non-negative integer, or -1. */
static long long count_kw(const crq_node *n)
{
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
/* Typing helpers used when compiling */

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


/* ------------------------------------------------------------------ */
/* Compiling */

static uint32_t hash_key(const char *s)
{
	uint32_t h = 2166136261u;	/* FNV-1a */

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 16777619u;
	return h;
}

static void regex_compile(struct cregex *re, const crq_schema *s,
	const char *pattern)
{
	PCRE2_UCHAR msg[256];
	PCRE2_SIZE off;
	crq_buf err = CRQ_BUF_INIT;
	int ec;

	re->pattern = pattern;
	re->code = pcre2_compile((PCRE2_SPTR)pattern, PCRE2_ZERO_TERMINATED,
		PCRE2_UTF, &ec, &off, NULL);
	if (re->code)
		return;
	pcre2_get_error_message(ec, msg, sizeof(msg));
	crq_buf_printf(&err, "%s: invalid pattern '%s': %s at offset %zu",
		s->name, pattern, (const char *)msg, (size_t)off);
	re->error = crq_buf_detach(&err);
}

static void regex_dispose(struct cregex *re)
{
	pcre2_code_free(re->code);
	free(re->error);
}

/* 1 when str matches, 0 when not, < 0 for a pattern that does not
 * compile.  *md is the caller's match data, created on first use: the
 * compiled pattern is shared, the match data is not. */
static int regex_match(const struct cregex *re, pcre2_match_data **md,
	const char *str, size_t len)
{
	if (!re->code)
		return crq_error__set(CRQ_EINVALID, "%s", re->error);
	/* only whether it matches counts, so one ovector pair will do */
	if (!*md && !(*md = pcre2_match_data_create(1, NULL)))
		abort();
	return pcre2_match(re->code, (PCRE2_SPTR)str, len, 0, 0, *md,
		NULL) >= 0;
}

struct compiler {
	crq_schema *s;
	struct cmap {
		const crq_node *node;
		struct csch *cs;
	} *map;			/* node -> location, open addressing */
	size_t mask, used;
};

static size_t ptr_slot(const void *p, size_t mask)
{
	uint64_t h = (uint64_t)(uintptr_t)p * 0x9e3779b97f4a7c15ull;

	return (size_t)(h >> 32) & mask;
}

/* The location of schema node n, created (and queued for compiling at
 * the end of s->all) the first time; so a schema node reached along
 * several paths, or through a $ref loop, is compiled once. */
static struct csch *location(struct compiler *c, const crq_node *n)
{
	struct csch *cs;
	size_t i, j, old;
	struct cmap *m;

	if (!n)
		return NULL;
	if (2 * (c->used + 1) > c->mask + 1) {
		old = c->mask + 1;
		m = c->map;
		c->mask = old * 2 - 1;
		c->map = crq__calloc(c->mask + 1, sizeof(*c->map));
		for (j = 0; j < old; j++) {
			if (!m[j].node)
				continue;
			for (i = ptr_slot(m[j].node, c->mask); c->map[i].node;
			     i = (i + 1) & c->mask)
				;
			c->map[i] = m[j];
		}
		free(m);
	}
	for (i = ptr_slot(n, c->mask); c->map[i].node; i = (i + 1) & c->mask)
		if (c->map[i].node == n)
			return c->map[i].cs;
	cs = crq__calloc(1, sizeof(*cs));
	cs->node = n;
	c->map[i].node = n;
	c->map[i].cs = cs;
	c->used++;
	crq__grow((void **)&c->s->all, &c->s->aall, c->s->nall + 1,
		sizeof(*c->s->all));
	c->s->all[c->s->nall++] = cs;
	return cs;
}

static void compile_list(struct compiler *c, struct clist *l,
	const crq_node *k)
{
	size_t i;

	if (!k || k->kind != CRQ_NODE_ARRAY)
		return;
	l->present = 1;
	l->count = k->count;
	l->items = crq__calloc(k->count ? k->count : 1, sizeof(*l->items));
	for (i = 0; i < k->count; i++)
		l->items[i] = location(c, k->items[i]);
}

static int type_code(const crq_node *t)
{
	static const char *const names[] = {
		[TY_NULL] = "null", [TY_BOOL] = "boolean",
		[TY_INT] = "integer", [TY_NUM] = "number",
		[TY_STR] = "string", [TY_ARR] = "array",
		[TY_OBJ] = "object",
	};
	int i;

	if (t->kind != CRQ_NODE_STRING)
		return TY_BAD;
	for (i = 0; i < TY_BAD; i++)
		if (!strcmp(t->str, names[i]))
			return i;
	return TY_BAD;
}

static void compile_type(struct csch *cs, const crq_node *k)
{
	size_t i;

	cs->type = k;
	if (k->kind != CRQ_NODE_ARRAY) {
		cs->ntypes = 1;
		cs->types = crq__malloc(1);
		cs->types[0] = (unsigned char)type_code(k);
		return;
	}
	cs->ntypes = k->count;
	cs->types = crq__malloc(k->count ? k->count : 1);
	for (i = 0; i < k->count; i++)
		cs->types[i] = (unsigned char)type_code(k->items[i]);
}

/* properties: the members in order, and a hash table over them in which
 * only the first of two equal keys is entered (crq_node_get finds the
 * first). */
static void compile_props(struct compiler *c, struct csch *cs,
	const crq_node *k)
{
	size_t i, j, size = 4;

	if (!k || k->kind != CRQ_NODE_OBJECT || !k->count)
		return;
	while (size < 2 * k->count)
		size *= 2;
	cs->pmask = size - 1;
	cs->ptab = crq__calloc(size, sizeof(*cs->ptab));
	cs->props = crq__calloc(k->count, sizeof(*cs->props));
	cs->nprops = k->count;
	for (i = 0; i < k->count; i++) {
		struct cprop *p = &cs->props[i];

		p->key = k->keys[i];
		p->hash = hash_key(p->key);
		p->sub = location(c, k->items[i]);
		for (j = p->hash & cs->pmask; cs->ptab[j];
		     j = (j + 1) & cs->pmask)
			if (!strcmp(cs->props[cs->ptab[j] - 1].key, p->key))
				break;
		if (!cs->ptab[j])
			cs->ptab[j] = (uint32_t)(i + 1);
	}
}

/* The schema of properties[key], or NULL. */
static const struct csch *prop_get(const struct csch *cs, const char *key,
	uint32_t hash)
{
	size_t j;
	const struct cprop *p;

	if (!cs->ptab)
		return NULL;
	for (j = hash & cs->pmask; cs->ptab[j]; j = (j + 1) & cs->pmask) {
		p = &cs->props[cs->ptab[j] - 1];
		if (p->hash == hash && !strcmp(p->key, key))
			return p->sub;
	}
	return NULL;
}

/* The keywords compile_object() reads, found in one pass over a schema
 * object's members rather than one lookup each (a schema has thousands
 * of locations, each with a handful of members): kw[KW_X] is the value
 * of the first member named X, as crq_node_get() finds it, or NULL.
 * KW_MINIMUM .. KW_EXMAX are in the order of csch.bound. */
enum {
	KW_REF, KW_TYPE, KW_ENUM, KW_CONST, KW_PROPERTIES, KW_PATTERNPROPS,
	KW_ADDPROPS, KW_PROPNAMES, KW_REQUIRED, KW_DEPENDENCIES, KW_MINPROPS,
	KW_MAXPROPS, KW_ITEMS, KW_ADDITEMS, KW_CONTAINS, KW_UNIQUE,
	KW_MINITEMS, KW_MAXITEMS, KW_MINLEN, KW_MAXLEN, KW_PATTERN, KW_FORMAT,
	KW_MINIMUM, KW_MAXIMUM, KW_EXMIN, KW_EXMAX, KW_MULTIPLE, KW_ALLOF,
	KW_ANYOF, KW_ONEOF, KW_NOT, KW_IF, KW_THEN, KW_ELSE, KW_COUNT
};

static const char *const kw_names[KW_COUNT] = {
	[KW_REF] = "$ref", [KW_TYPE] = "type", [KW_ENUM] = "enum",
	[KW_CONST] = "const", [KW_PROPERTIES] = "properties",
	[KW_PATTERNPROPS] = "patternProperties",
	[KW_ADDPROPS] = "additionalProperties",
	[KW_PROPNAMES] = "propertyNames", [KW_REQUIRED] = "required",
	[KW_DEPENDENCIES] = "dependencies", [KW_MINPROPS] = "minProperties",
	[KW_MAXPROPS] = "maxProperties", [KW_ITEMS] = "items",
	[KW_ADDITEMS] = "additionalItems", [KW_CONTAINS] = "contains",
	[KW_UNIQUE] = "uniqueItems", [KW_MINITEMS] = "minItems",
	[KW_MAXITEMS] = "maxItems", [KW_MINLEN] = "minLength",
	[KW_MAXLEN] = "maxLength", [KW_PATTERN] = "pattern",
	[KW_FORMAT] = "format", [KW_MINIMUM] = "minimum",
	[KW_MAXIMUM] = "maximum", [KW_EXMIN] = "exclusiveMinimum",
	[KW_EXMAX] = "exclusiveMaximum", [KW_MULTIPLE] = "multipleOf",
	[KW_ALLOF] = "allOf", [KW_ANYOF] = "anyOf", [KW_ONEOF] = "oneOf",
	[KW_NOT] = "not", [KW_IF] = "if", [KW_THEN] = "then",
	[KW_ELSE] = "else",
};

static void keywords(const crq_node *kw[KW_COUNT], const crq_node *s)
{
	size_t i;
	int k;

	memset(kw, 0, KW_COUNT * sizeof(*kw));
	for (i = 0; i < s->count; i++) {
		const char *key = s->keys[i];

		for (k = 0; k < KW_COUNT; k++)
			if (kw_names[k][0] == key[0] &&
			    !strcmp(kw_names[k], key)) {
				if (!kw[k])
					kw[k] = s->items[i];
				break;
			}
	}
}

static void compile_object(struct compiler *c, struct csch *cs)
{
	const crq_node *s = cs->node, *k, *kw[KW_COUNT];
	unsigned b;
	size_t i;

	cs->kind = CS_OBJECT;
	keywords(kw, s);
	if ((k = kw[KW_REF]) && k->kind == CRQ_NODE_STRING) {
		const crq_node *t = resolve_ref(c->s, k->str);

		cs->ref = k->str;
		cs->target = location(c, t);
		return;
	}

	if ((k = kw[KW_TYPE]))
		compile_type(cs, k);
	cs->enum_ = kw[KW_ENUM];
	cs->const_ = kw[KW_CONST];

	compile_props(c, cs, kw[KW_PROPERTIES]);
	k = kw[KW_PATTERNPROPS];
	if (k && k->kind == CRQ_NODE_OBJECT && k->count) {
		cs->npats = k->count;
		cs->pats = crq__calloc(k->count, sizeof(*cs->pats));
		for (i = 0; i < k->count; i++) {
			regex_compile(&cs->pats[i].re, c->s, k->keys[i]);
			cs->pats[i].sub = location(c, k->items[i]);
		}
	}
	cs->addprops = location(c, kw[KW_ADDPROPS]);
	cs->propnames = location(c, kw[KW_PROPNAMES]);
	if ((k = kw[KW_REQUIRED]) && k->kind == CRQ_NODE_ARRAY)
		cs->required = k;
	k = kw[KW_DEPENDENCIES];
	if (k && k->kind == CRQ_NODE_OBJECT && k->count) {
		cs->ndeps = k->count;
		cs->deps = crq__calloc(k->count, sizeof(*cs->deps));
		for (i = 0; i < k->count; i++) {
			cs->deps[i].key = k->keys[i];
			if (k->items[i]->kind == CRQ_NODE_ARRAY)
				cs->deps[i].names = k->items[i];
			else
				cs->deps[i].sub = location(c, k->items[i]);
		}
	}
	cs->min_props = count_kw(kw[KW_MINPROPS]);
	cs->max_props = count_kw(kw[KW_MAXPROPS]);

	if ((k = kw[KW_ITEMS])) {
		cs->has_items = 1;
		if (k->kind == CRQ_NODE_ARRAY)
			compile_list(c, &cs->tuple, k);
		else
			cs->items = location(c, k);
	}
	cs->additems = location(c, kw[KW_ADDITEMS]);
	cs->contains = location(c, kw[KW_CONTAINS]);
	k = kw[KW_UNIQUE];
	cs->unique = k && k->kind == CRQ_NODE_BOOL && k->b;
	cs->min_items = count_kw(kw[KW_MINITEMS]);
	cs->max_items = count_kw(kw[KW_MAXITEMS]);

	cs->min_len = count_kw(kw[KW_MINLEN]);
	cs->max_len = count_kw(kw[KW_MAXLEN]);
	if ((k = kw[KW_PATTERN]) && k->kind == CRQ_NODE_STRING) {
		cs->pattern = crq__calloc(1, sizeof(*cs->pattern));
		regex_compile(cs->pattern, c->s, k->str);
	}
	if ((k = kw[KW_FORMAT]) && k->kind == CRQ_NODE_STRING) {
		if (!strcmp(k->str, "date-time"))
			cs->format = FMT_DATETIME;
		else if (!strcmp(k->str, "date"))
			cs->format = FMT_DATE;
	}

	for (i = 0; i < 4; i++)
		if ((k = kw[KW_MINIMUM + i]) && is_number(k))
			cs->bound[i] = k;
	if ((k = kw[KW_MULTIPLE]) && is_number(k))
		cs->multiple_of = k;

	compile_list(c, &cs->all, kw[KW_ALLOF]);
	compile_list(c, &cs->any, kw[KW_ANYOF]);
	compile_list(c, &cs->one, kw[KW_ONEOF]);
	cs->not_ = location(c, kw[KW_NOT]);
	cs->if_ = location(c, kw[KW_IF]);
	cs->then_ = location(c, kw[KW_THEN]);
	cs->else_ = location(c, kw[KW_ELSE]);

	/* the types the object itself allows, as own_types() did */
	cs->leaf.bits = T_ANY;
	if (cs->type)
		cs->leaf.bits &= type_bits(cs->type);
	if (cs->enum_ && cs->enum_->kind == CRQ_NODE_ARRAY) {
		for (i = 0, b = 0; i < cs->enum_->count; i++)
			b |= value_bits(cs->enum_->items[i]);
		cs->leaf.bits &= b;
	}
	if (cs->const_)
		cs->leaf.bits &= value_bits(cs->const_);
	cs->leaf.ts = cs->format != FMT_NONE;
}

static void compile_one(struct compiler *c, struct csch *cs)
{
	switch (cs->node->kind) {
	case CRQ_NODE_BOOL:
		cs->kind = CS_BOOL;
		cs->b = cs->node->b;
		break;
	case CRQ_NODE_OBJECT:
		compile_object(c, cs);
		break;
	default:
		/* validation reports it, if it ever gets here */
		cs->kind = CS_OTHER;
		break;
	}
}

/* Precompute cs->own (see struct csch); returns own_height, -1 when it
 * cannot be memoised (a cycle, or deeper than any evaluation goes). */
static int own_memo(struct csch *cs, int depth)
{
	struct tinfo t = { T_ANY, 0 };
	int h = 0, bad = 0;
	unsigned u;
	size_t i, j;
	const struct clist *alts[2];

	if (cs->own_state == 2)
		return cs->own_height;
	if (cs->own_state == 1 || depth > SCHEMA_MAX_DEPTH)
		return -1;
	cs->own_state = 1;
#define SUB(x, c) do { \
	int sh_ = own_memo((x), depth + 1); \
	if (sh_ < 0) \
		bad = 1; \
	else if (sh_ + 1 > h) \
		h = sh_ + 1; \
	(c) = (x)->own; \
} while (0)
	if (cs->kind == CS_BOOL) {
		if (!cs->b)
			t.bits = 0;
	} else if (cs->kind != CS_OBJECT) {
		/* { T_ANY, 0 } */
	} else if (cs->ref) {
		if (cs->target)
			SUB(cs->target, t);
	} else {
		struct tinfo c;

		t = cs->leaf;
		for (i = 0; i < cs->all.count; i++) {
			SUB(cs->all.items[i], c);
			t.bits &= c.bits;
			t.ts |= c.ts;
		}
		alts[0] = &cs->any;
		alts[1] = &cs->one;
		for (j = 0; j < 2; j++) {
			if (!alts[j]->present)
				continue;
			for (i = 0, u = 0; i < alts[j]->count; i++) {
				SUB(alts[j]->items[i], c);
				u |= c.bits;
				t.ts |= c.ts;
			}
			t.bits &= u;
		}
		if (cs->if_) {
			u = 0;
			if (cs->then_) {
				SUB(cs->then_, c);
				u |= c.bits;
				t.ts |= c.ts;
			} else {
				u = T_ANY;
			}
			if (cs->else_) {
				SUB(cs->else_, c);
				u |= c.bits;
				t.ts |= c.ts;
			} else {
				u = T_ANY;
			}
			t.bits &= u;
		}
	}
#undef SUB
	cs->own = t;
	cs->own_height = bad ? -1 : h;
	cs->own_state = 2;
	return cs->own_height;
}

/* Precompute cs->kids (see struct csch); errs towards 1. */
static int kids_memo(struct csch *cs, int depth)
{
	int k = 0;
	size_t i;

	if (cs->kids_state == 2)
		return cs->kids;
	if (cs->kids_state == 1 || depth > SCHEMA_MAX_DEPTH)
		return 1;
	cs->kids_state = 1;
	if (cs->kind == CS_BOOL) {
		k = !cs->b;
	} else if (cs->kind != CS_OBJECT) {
		k = 0;
	} else if (cs->ref) {
		k = cs->target && kids_memo(cs->target, depth + 1);
	} else {
		k = cs->nprops || cs->npats || cs->addprops ||
			cs->has_items;
		/* an empty anyOf/oneOf allows nothing */
		if ((cs->any.present && !cs->any.count) ||
		    (cs->one.present && !cs->one.count))
			k = 1;
		for (i = 0; !k && i < cs->all.count; i++)
			k = kids_memo(cs->all.items[i], depth + 1);
		for (i = 0; !k && i < cs->any.count; i++)
			k = kids_memo(cs->any.items[i], depth + 1);
		for (i = 0; !k && i < cs->one.count; i++)
			k = kids_memo(cs->one.items[i], depth + 1);
		if (!k && cs->if_)
			k = (cs->then_ && kids_memo(cs->then_, depth + 1)) ||
				(cs->else_ && kids_memo(cs->else_, depth + 1));
	}
	cs->kids = k;
	cs->kids_state = 2;
	return k;
}

static void csch_free(struct csch *cs)
{
	size_t i;

	free(cs->types);
	free(cs->props);
	free(cs->ptab);
	for (i = 0; i < cs->npats; i++)
		regex_dispose(&cs->pats[i].re);
	free(cs->pats);
	free(cs->deps);
	free(cs->tuple.items);
	if (cs->pattern)
		regex_dispose(cs->pattern);
	free(cs->pattern);
	free(cs->all.items);
	free(cs->any.items);
	free(cs->one.items);
	free(cs);
}

/* ------------------------------------------------------------------ */
/* Loading */

int crq_schema_from_node(crq_schema **out, crq_node *root, const char *name)
{
	struct compiler c;
	crq_schema *s;
	size_t i;

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
	memset(&c, 0, sizeof(c));
	c.s = s;
	c.mask = 63;
	c.map = crq__calloc(c.mask + 1, sizeof(*c.map));
	s->croot = location(&c, root);
	/* compiling a location queues the ones it refers to */
	for (i = 0; i < s->nall; i++)
		compile_one(&c, s->all[i]);
	free(c.map);
	for (i = 0; i < s->nall; i++) {
		own_memo(s->all[i], 0);
		kids_memo(s->all[i], 0);
	}
	*out = s;
	return 0;
}

int crq_schema_load(crq_schema **out, const char *path)
{
	crq_buf text = CRQ_BUF_INIT;
	crq_node *root = NULL;
	int err;

	*out = NULL;
	if ((err = crq_buf_read_file(&text, path, CRQ_SCHEMA_MAX_SIZE)) < 0)
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
	for (i = 0; i < schema->nall; i++)
		csch_free(schema->all[i]);
	free(schema->all);
	crq_node_free(schema->root);
	free(schema->name);
	free(schema);
}

const crq_node *crq_schema_root(const crq_schema *schema)
{
	return schema->root;
}

/* ------------------------------------------------------------------ */
/* Validation */

struct vctx {
	const crq_schema *schema;
	crq_buf ptr;		/* JSON pointer of the current instance */
	crq_buf label;		/* dotted name of the current instance */
	int depth;
	pcre2_match_data *md;	/* this call's, for regex_match() */
};

struct mark {
	size_t ptr, label;
};

/* Append key to a JSON pointer as one escaped reference token. */
static void put_token(crq_buf *ptr, const char *key)
{
	size_t n;

	crq_buf_putc(ptr, '/');
	for (;;) {
		n = strcspn(key, "~/");
		crq_buf_put(ptr, key, n);
		key += n;
		if (!*key)
			break;
		crq_buf_put(ptr, *key == '~' ? "~0" : "~1", 2);
		key++;
	}
}

static struct mark push_key(struct vctx *v, const char *key)
{
	struct mark m = { v->ptr.size, v->label.size };

	put_token(&v->ptr, key);
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

static int validate(struct vctx *v, const struct csch *s,
	const crq_node *inst, crq_issues *out);

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
static int type_ok(struct vctx *v, int code, const crq_node *inst)
{
	switch (code) {
	case TY_NULL: return inst->kind == CRQ_NODE_NULL;
	case TY_BOOL: return inst->kind == CRQ_NODE_BOOL;
	case TY_INT: return is_integral(inst);
	case TY_NUM: return is_number(inst);
	case TY_STR: return inst->kind == CRQ_NODE_STRING;
	case TY_ARR: return inst->kind == CRQ_NODE_ARRAY;
	case TY_OBJ: return inst->kind == CRQ_NODE_OBJECT;
	}
	return crq_error__set(CRQ_EINVALID, "%s: invalid type in schema",
		v->schema->name);
}

static int check_type(struct vctx *v, const struct csch *s,
	const crq_node *inst, crq_issues *out)
{
	const crq_node *t = s->type;
	crq_buf names = CRQ_BUF_INIT;
	size_t i;
	int r;

	for (i = 0; i < s->ntypes; i++)
		if ((r = type_ok(v, s->types[i], inst)) != 0)
			return r < 0 ? r : 0;
	if (!out)
		return 1;
	if (t->kind != CRQ_NODE_ARRAY)
		return fail(v, out, inst, "must be of type %s, not %s",
			t->str, kind_name(inst));
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

/* Validate one member of an object (v is at the member's location). */
static int check_member(struct vctx *v, const struct csch *s,
	const char *key, uint32_t hash, const crq_node *val, crq_issues *out)
{
	const struct csch *sub;
	size_t i;
	int res = 0, r, matched = 0;

	if (s->propnames) {
		crq_node *name = crq_node_new_cstr(key);

		name->line = val->line;
		name->col = val->col;
		r = validate(v, s->propnames, name, NULL);
		crq_node_free(name);
		if (r > 0)
			r = fail(v, out, val, "has an invalid name");
		MERGE(res, r, out);
	}
	if ((sub = prop_get(s, key, hash))) {
		matched = 1;
		r = validate(v, sub, val, out);
		MERGE(res, r, out);
	}
	for (i = 0; i < s->npats; i++) {
		r = regex_match(&s->pats[i].re, &v->md, key, strlen(key));
		if (r < 0)
			return r;
		if (!r)
			continue;
		matched = 1;
		r = validate(v, s->pats[i].sub, val, out);
		MERGE(res, r, out);
	}
	if (!matched && s->addprops) {
		if (s->addprops->kind == CS_BOOL && !s->addprops->b)
			r = fail(v, out, val, "is not an allowed field");
		else
			r = validate(v, s->addprops, val, out);
		MERGE(res, r, out);
	}
	return res;
}

/* Whether a member is needed only when something looks members up. */
static int has_member_checks(const struct csch *s)
{
	return s->propnames || s->ptab || s->npats || s->addprops;
}

static int check_object(struct vctx *v, const struct csch *s,
	const crq_node *inst, crq_issues *out)
{
	const crq_node *req = s->required;
	long long lim;
	size_t i, j;
	int res = 0, r;
	struct mark m;

	/* the common if-schema has none: skip building member pointers */
	for (i = 0; has_member_checks(s) && i < inst->count; i++) {
		m = push_key(v, inst->keys[i]);
		r = check_member(v, s, inst->keys[i],
			s->ptab ? hash_key(inst->keys[i]) : 0,
			inst->items[i], out);
		pop(v, m);
		MERGE(res, r, out);
	}
	for (i = 0; req && i < req->count; i++) {
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
	if ((lim = s->min_props) >= 0 &&
	    inst->count < (unsigned long long)lim) {
		r = fail(v, out, inst, "must have at least %lld field%s", lim,
			lim == 1 ? "" : "s");
		MERGE(res, r, out);
	}
	if ((lim = s->max_props) >= 0 &&
	    inst->count > (unsigned long long)lim) {
		r = fail(v, out, inst, "must have at most %lld field%s", lim,
			lim == 1 ? "" : "s");
		MERGE(res, r, out);
	}
	for (i = 0; i < s->ndeps; i++) {
		const struct cdep *d = &s->deps[i];

		if (crq_node_index(inst, d->key) < 0)
			continue;
		if (!d->names) {
			r = validate(v, d->sub, inst, out);
			MERGE(res, r, out);
			continue;
		}
		for (j = 0; j < d->names->count; j++) {
			const crq_node *n = d->names->items[j];

			if (n->kind != CRQ_NODE_STRING ||
			    crq_node_index(inst, n->str) >= 0)
				continue;
			r = fail(v, out, inst,
				"must have field '%s' when it has "
				"field '%s'", n->str, d->key);
			MERGE(res, r, out);
		}
	}
	return res;
}

static int check_array(struct vctx *v, const struct csch *s,
	const crq_node *inst, crq_issues *out)
{
	const struct csch *sub;
	long long lim;
	size_t i, j;
	int res = 0, r = 0;
	struct mark m;

	for (i = 0; s->has_items && i < inst->count; i++) {
		if (s->items)
			sub = s->items;
		else if (i < s->tuple.count)
			sub = s->tuple.items[i];
		else if (!(sub = s->additems))
			break;
		m = push_index(v, i);
		r = validate(v, sub, inst->items[i], out);
		pop(v, m);
		MERGE(res, r, out);
	}
	if (s->contains) {
		for (i = 0; i < inst->count; i++) {
			m = push_index(v, i);
			r = validate(v, s->contains, inst->items[i], NULL);
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
	if ((lim = s->min_items) >= 0 &&
	    inst->count < (unsigned long long)lim) {
		r = fail(v, out, inst, "must have at least %lld item%s", lim,
			lim == 1 ? "" : "s");
		MERGE(res, r, out);
	}
	if ((lim = s->max_items) >= 0 &&
	    inst->count > (unsigned long long)lim) {
		r = fail(v, out, inst, "must have at most %lld item%s", lim,
			lim == 1 ? "" : "s");
		MERGE(res, r, out);
	}
	if (s->unique) {
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

static int check_string(struct vctx *v, const struct csch *s,
	const crq_node *inst, crq_issues *out)
{
	long long lim;
	size_t len = 0;
	int res = 0, r;

	if (s->min_len >= 0 || s->max_len >= 0)
		len = crq_utf8__length(inst->str, inst->len);
	if ((lim = s->min_len) >= 0 && len < (unsigned long long)lim) {
		r = fail(v, out, inst, "must be at least %lld character%s long",
			lim, lim == 1 ? "" : "s");
		MERGE(res, r, out);
	}
	if ((lim = s->max_len) >= 0 && len > (unsigned long long)lim) {
		r = fail(v, out, inst, "must be at most %lld character%s long",
			lim, lim == 1 ? "" : "s");
		MERGE(res, r, out);
	}
	if (s->pattern) {
		r = regex_match(s->pattern, &v->md, inst->str, inst->len);
		if (r < 0)
			return r;
		if (!r) {
			r = fail(v, out, inst, "must match the pattern '%s'",
				s->pattern->pattern);
			MERGE(res, r, out);
		}
	}
	if (s->format == FMT_DATETIME && !crq_schema_is_datetime(inst->str)) {
		r = fail(v, out, inst, "is not an RFC 3339 date-time");
		MERGE(res, r, out);
	} else if (s->format == FMT_DATE && !is_date(inst->str)) {
		r = fail(v, out, inst, "is not an RFC 3339 date (YYYY-MM-DD)");
		MERGE(res, r, out);
	}
	return res;
}

static int check_number(struct vctx *v, const struct csch *s,
	const crq_node *inst, crq_issues *out)
{
	/* in the order of struct csch's bound[] */
	static const struct {
		const char *op;
		int bad1, bad2;	/* failing results of num_cmp(inst, limit) */
	} bounds[] = {
		{ ">=", -1, -1 },
		{ "<=", 1, 1 },
		{ ">", -1, 0 },
		{ "<", 1, 0 },
	};
	crq_buf lim = CRQ_BUF_INIT;
	const crq_node *k;
	size_t i;
	int res = 0, c;

	for (i = 0; i < CRQ_ARRAY_SIZE(bounds); i++) {
		if (!(k = s->bound[i]))
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
	k = s->multiple_of;
	if (k && !is_multiple(inst, k)) {
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
static int check_value(struct vctx *v, const struct csch *s,
	const crq_node *inst, crq_issues *out)
{
	crq_buf val = CRQ_BUF_INIT;
	int r;

	if (s->type && (r = check_type(v, s, inst, out)) != 0)
		return r;
	if (s->enum_ && (r = check_enum(v, s->enum_, inst, out)) != 0)
		return r;
	if (s->const_ && !crq_node_equal(s->const_, inst)) {
		crq_json_write(&val, s->const_, 0);
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
static int check_applicators(struct vctx *v, const struct csch *s,
	const crq_node *inst, crq_issues *out)
{
	const struct clist *k;
	size_t i, n;
	int res = 0, r = 0;

	k = &s->all;
	for (i = 0; i < k->count; i++) {
		r = validate(v, k->items[i], inst, out);
		MERGE(res, r, out);
	}
	if ((k = &s->any)->present) {
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
	if ((k = &s->one)->present) {
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
	if (s->not_) {
		if ((r = validate(v, s->not_, inst, NULL)) < 0)
			return r;
		if (r == 0) {
			r = fail(v, out, inst,
				"matches a schema it must not match");
			MERGE(res, r, out);
		}
	}
	if (s->if_) {
		const struct csch *branch;

		if ((r = validate(v, s->if_, inst, NULL)) < 0)
			return r;
		if ((branch = r == 0 ? s->then_ : s->else_)) {
			r = validate(v, branch, inst, out);
			MERGE(res, r, out);
		}
	}
	return res;
}

/* 0 when inst is valid, 1 when not (issues added to out unless NULL),
 * < 0 when the schema is broken. */
static int validate(struct vctx *v, const struct csch *s,
	const crq_node *inst, crq_issues *out)
{
	int res = 0, r;

	if (s->kind == CS_BOOL)
		return s->b ? 0 : fail(v, out, inst, "is not allowed here");
	if (s->kind != CS_OBJECT)
		return crq_error__set(CRQ_EINVALID,
			"%s: a schema must be an object or a boolean, not %s",
			v->schema->name, kind_name(s->node));
	if (v->depth >= SCHEMA_MAX_DEPTH)
		return crq_error__set(CRQ_EINVALID,
			"%s: schema recursion deeper than %d levels "
			"(a $ref loop?)", v->schema->name, SCHEMA_MAX_DEPTH);
	v->depth++;
	/* in draft-07 the keywords beside $ref are ignored */
	if (s->ref) {
		if (!s->target)
			res = crq_error__set(CRQ_EINVALID,
				"%s: cannot resolve $ref '%s'",
				v->schema->name, s->ref);
		else
			res = validate(v, s->target, inst, out);
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
	r = validate(&v, schema->croot, doc, issues);
	crq_buf_dispose(&v.ptr);
	crq_buf_dispose(&v.label);
	pcre2_match_data_free(v.md);
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

struct seg {
	const char *key;	/* object member, or NULL for an array item */
	uint32_t hash;		/* hash_key(key) */
	size_t index;
};

static struct tinfo types_at(const struct csch *s, const struct seg *path,
	size_t n, int depth, pcre2_match_data **md);

/* Types allowed at path[1..] under the member/item schemas of s that
 * apply to path[0]. */
static struct tinfo child_types(const struct csch *s, const struct seg *path,
	size_t n, int depth, pcre2_match_data **md)
{
	struct tinfo t = { T_ANY, 0 }, c;
	const struct csch *sub = NULL;
	int matched = 0;
	size_t i;

#define MEET(x) do { \
	c = types_at((x), path + 1, n - 1, depth + 1, md); \
	t.bits &= c.bits; \
	t.ts |= c.ts; \
} while (0)
	if (path[0].key) {
		if ((sub = prop_get(s, path[0].key, path[0].hash))) {
			matched = 1;
			MEET(sub);
		}
		for (i = 0; i < s->npats; i++) {
			if (regex_match(&s->pats[i].re, md, path[0].key,
			    strlen(path[0].key)) != 1)
				continue;
			matched = 1;
			MEET(s->pats[i].sub);
		}
		if (!matched && s->addprops)
			MEET(s->addprops);
	} else if (s->has_items) {
		if (s->items)
			sub = s->items;
		else if (path[0].index < s->tuple.count)
			sub = s->tuple.items[path[0].index];
		else
			sub = s->additems;
		if (sub)
			MEET(sub);
	}
#undef MEET
	return t;
}

static struct tinfo types_at(const struct csch *s, const struct seg *path,
	size_t n, int depth, pcre2_match_data **md)
{
	const struct clist *alts[2];
	struct tinfo t = { T_ANY, 0 }, c;
	unsigned u;
	size_t i, j;

	if (depth > SCHEMA_MAX_DEPTH)
		return t;
	if (s->kind == CS_BOOL) {
		if (!s->b)
			t.bits = 0;
		return t;
	}
	if (s->kind != CS_OBJECT)
		return t;
	/* what compiling worked out already */
	if (n && !s->kids)
		return t;
	if (!n && s->own_height >= 0 &&
	    depth + s->own_height <= SCHEMA_MAX_DEPTH)
		return s->own;
	if (s->ref) {
		if (!s->target)
			return t;
		return types_at(s->target, path, n, depth + 1, md);
	}
	t = n ? child_types(s, path, n, depth, md) : s->leaf;
	for (i = 0; i < s->all.count; i++) {
		c = types_at(s->all.items[i], path, n, depth + 1, md);
		t.bits &= c.bits;
		t.ts |= c.ts;
	}
	alts[0] = &s->any;
	alts[1] = &s->one;
	for (j = 0; j < CRQ_ARRAY_SIZE(alts); j++) {
		if (!alts[j]->present)
			continue;
		for (i = 0, u = 0; i < alts[j]->count; i++) {
			c = types_at(alts[j]->items[i], path, n, depth + 1, md);
			u |= c.bits;
			t.ts |= c.ts;
		}
		t.bits &= u;
	}
	if (s->if_) {
		u = 0;
		if (s->then_) {
			c = types_at(s->then_, path, n, depth + 1, md);
			u |= c.bits;
			t.ts |= c.ts;
		} else {
			u = T_ANY;
		}
		if (s->else_) {
			c = types_at(s->else_, path, n, depth + 1, md);
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
	pcre2_match_data *md;	/* this call's, for regex_match() */
};

static void type_scalar(struct tctx *t, crq_node *n)
{
	struct tinfo ti;

	ti = types_at(t->schema->croot, t->path, t->depth, 0, &t->md);
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
			t->path[t->depth].hash = hash_key(n->keys[i]);
			put_token(&t->ptr, n->keys[i]);
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
	pcre2_match_data_free(t.md);
	if (t.added)
		return crq_error__set(CRQ_EINVALID,
			"%zu plain scalar%s must be quoted", t.added,
			t.added == 1 ? "" : "s");
	return 0;
}
