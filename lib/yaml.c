/*
 * yaml.c - strict YAML loader (libyaml event API) and canonical emitter.
 *
 * The loader accepts the part of YAML that a change file needs: one
 * document of mappings, sequences and scalars.  libyaml's event API
 * passes anchors, aliases, tags, directives, merge keys, duplicate keys
 * and extra documents straight through and resolves no types, so all of
 * that is decided here.  Plain scalars stay untyped (node->plain) for
 * the schema to type.
 */
#include <errno.h>
#include <locale.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>
#include "internal.h"

#define IS_DIGIT(c) ((c) >= '0' && (c) <= '9')

/* ------------------------------------------------------------------ */
/* Locale-independent number conversion */

/* strtod() and printf("%g") follow LC_NUMERIC, which a program using
 * libcrq may have set; YAML numbers always use '.'. */
static double c_strtod(const char *s)
{
	locale_t c = newlocale(LC_NUMERIC_MASK, "C", (locale_t)0);
	double d;

	if (!c)
		return strtod(s, NULL);
	d = strtod_l(s, NULL, c);
	freelocale(c);
	return d;
}

/* Shortest "%.Ng" that reads back as d, without an exponent for
 * magnitudes from 1e-4 to below 1e17 (100.0 rather than 1e+02). */
static void c_format_double(char *tmp, size_t size, double d)
{
	locale_t c = newlocale(LC_NUMERIC_MASK, "C", (locale_t)0);
	locale_t old = (locale_t)0;
	const char *e;
	int prec, exp;

	if (c)
		old = uselocale(c);
	for (prec = 1; prec < 17; prec++) {
		snprintf(tmp, size, "%.*g", prec, d);
		if (strtod(tmp, NULL) == d)
			break;
	}
	snprintf(tmp, size, "%.*e", prec - 1, d);
	e = strchr(tmp, 'e');
	exp = e ? atoi(e + 1) : 0;
	if (exp >= -4 && exp < 17 && exp + 1 > prec)
		prec = exp + 1;
	snprintf(tmp, size, "%.*g", prec, d);
	if (c) {
		uselocale(old);
		freelocale(c);
	}
}

/* ------------------------------------------------------------------ */
/* Scalar resolution */

static int one_of(const char *s, const char *const *list)
{
	for (; *list; list++)
		if (!strcmp(s, *list))
			return 1;
	return 0;
}

int crq_yaml_plain_null(const char *s)
{
	static const char *const nulls[] = {
		"", "~", "null", "Null", "NULL", NULL
	};

	return one_of(s, nulls);
}

int crq_yaml_plain_bool(const char *s, int *out)
{
	static const char *const trues[] = { "true", "True", "TRUE", NULL };
	static const char *const falses[] = {
		"false", "False", "FALSE", NULL
	};
	int b;

	if (one_of(s, trues))
		b = 1;
	else if (one_of(s, falses))
		b = 0;
	else
		return 0;
	if (out)
		*out = b;
	return 1;
}

int crq_yaml_plain_int(const char *s, long long *out)
{
	const char *p = s;
	long long v;

	if (*p == '-' || *p == '+')
		p++;
	if (!IS_DIGIT(*p))
		return 0;
	while (IS_DIGIT(*p))
		p++;
	if (*p)
		return 0;
	errno = 0;
	v = strtoll(s, NULL, 10);
	if (errno == ERANGE)
		return 0;
	if (out)
		*out = v;
	return 1;
}

static const char *skip_digits(const char *p)
{
	while (IS_DIGIT(*p))
		p++;
	return p;
}

static int is_inf(const char *p)
{
	return !strcmp(p, ".inf") || !strcmp(p, ".Inf") || !strcmp(p, ".INF");
}

static int is_nan(const char *p)
{
	return !strcmp(p, ".nan") || !strcmp(p, ".NaN") || !strcmp(p, ".NAN");
}

int crq_yaml_plain_float(const char *s, double *out)
{
	const char *p = s, *q;
	double d;

	if (*p == '-' || *p == '+')
		p++;
	if (is_inf(p)) {
		d = *s == '-' ? -INFINITY : INFINITY;
		goto done;
	}
	if (p == s && is_nan(p)) {
		d = NAN;
		goto done;
	}
	if (*p == '.') {
		q = skip_digits(p + 1);
		if (q == p + 1)
			return 0;
		p = q;
	} else {
		q = skip_digits(p);
		if (q == p)
			return 0;
		p = q;
		if (*p == '.')
			p = skip_digits(p + 1);
	}
	if (*p == 'e' || *p == 'E') {
		p++;
		if (*p == '-' || *p == '+')
			p++;
		q = skip_digits(p);
		if (q == p)
			return 0;
		p = q;
	}
	if (*p)
		return 0;
	d = c_strtod(s);
done:
	if (out)
		*out = d;
	return 1;
}

/* Match n1..n2 digits at *p, advancing it. */
static int digits(const char **p, int n1, int n2)
{
	int n = 0;

	while (n < n2 && IS_DIGIT((*p)[n]))
		n++;
	if (n < n1)
		return 0;
	*p += n;
	return 1;
}

static int is_blank(char c)
{
	return c == ' ' || c == '\t';
}

int crq_yaml_plain_timestamp(const char *s)
{
	const char *p = s;

	if (!digits(&p, 4, 4) || *p++ != '-' || !digits(&p, 1, 2) ||
	    *p++ != '-' || !digits(&p, 1, 2))
		return 0;
	if (!*p)
		return 1;
	if (*p == 'T' || *p == 't') {
		p++;
	} else if (is_blank(*p)) {
		while (is_blank(*p))
			p++;
	} else {
		return 0;
	}
	if (!digits(&p, 1, 2) || *p++ != ':' || !digits(&p, 2, 2) ||
	    *p++ != ':' || !digits(&p, 2, 2))
		return 0;
	if (*p == '.')
		p = skip_digits(p + 1);
	while (is_blank(*p))
		p++;
	if (*p == 'Z') {
		p++;
	} else if (*p == '-' || *p == '+') {
		p++;
		if (!digits(&p, 1, 2))
			return 0;
		if (*p == ':') {
			p++;
			if (!digits(&p, 2, 2))
				return 0;
		}
	}
	return !*p;
}

static const char *skip_set(const char *p, const char *set)
{
	while (*p && strchr(set, *p))
		p++;
	return p;
}

/*
 * Numbers as any YAML 1.1 or 1.2 resolver reads them, deliberately a
 * little wider than each: ints in base 2, 8, 10 and 16 with '_'
 * separators, sexagesimal ints and floats (1:20:30, 190:20:30.15),
 * floats with or without fraction, exponent or leading digits, and
 * .inf / .nan with an optional sign.  The YAML 1.1 spec's float regexp
 * also matches "1.2.3" and "."; no real resolver does (PyYAML,
 * SnakeYAML, Go), so neither do we: version numbers and addresses stay
 * plain strings.
 */
static int yaml11_number(const char *s)
{
	const char *p = s, *q;
	int have_int;

	if (*p == '-' || *p == '+')
		p++;
	if (is_inf(p) || is_nan(p))
		return 1;
	if (p[0] == '0' && (p[1] == 'b' || p[1] == 'o' || p[1] == 'x')) {
		const char *set = p[1] == 'b' ? "01_" :
			p[1] == 'o' ? "01234567_" : "0123456789abcdefABCDEF_";

		q = skip_set(p + 2, set);
		return q > p + 2 && !*q;
	}
	have_int = IS_DIGIT(*p);
	if (have_int)
		p = skip_set(p, "0123456789_");
	if (have_int && *p == ':') {
		while (*p == ':') {
			p++;
			if (!IS_DIGIT(*p))
				return 0;
			if (IS_DIGIT(p[1]) && *p <= '5')
				p += 2;
			else
				p++;
		}
		if (*p == '.')
			p = skip_set(p + 1, "0123456789_");
		return !*p;
	}
	if (*p == '.') {
		q = skip_set(p + 1, "0123456789_");
		if (!have_int && q == p + 1)
			return 0;
		p = q;
	} else if (!have_int) {
		return 0;
	}
	if (*p == 'e' || *p == 'E') {
		p++;
		if (*p == '-' || *p == '+')
			p++;
		q = skip_digits(p);
		if (q == p)
			return 0;
		p = q;
	}
	return !*p;
}

int crq_yaml_plain_ambiguous(const char *s)
{
	static const char *const words[] = {
		"y", "Y", "yes", "Yes", "YES", "n", "N", "no", "No", "NO",
		"true", "True", "TRUE", "false", "False", "FALSE",
		"on", "On", "ON", "off", "Off", "OFF",
		"<<", "=", NULL
	};
	/* No null or word above is longer than five bytes: most text needs
	 * no comparing with each of them. */
	int is_short = strnlen(s, 6) <= 5;

	return (is_short && (crq_yaml_plain_null(s) || one_of(s, words))) ||
		yaml11_number(s) || crq_yaml_plain_timestamp(s);
}

/* ------------------------------------------------------------------ */
/* Loader */

struct slot {
	size_t idx;		/* member index + 1; 0 when free */
	unsigned line;		/* line of the member's key */
};

struct frame {
	crq_node *node;
	char *key;		/* mapping: key waiting for its value */
	unsigned kline;
	struct slot *slots;	/* mapping: open-addressing set of keys */
	size_t nslots;
};

struct loader {
	const char *name;
	const char *text;
	size_t len;
	crq_node *root;
	struct frame stack[CRQ_YAML_MAX_DEPTH];
	int depth;
	int docs;
};

/*
 * Line and column (1-based, in characters) of byte offset off, counting
 * line breaks as libyaml does (LF, CR LF, CR, NEL, LS, PS) and not
 * counting a leading byte order mark, so that our messages and
 * libyaml's agree.
 */
static void position(const char *text, size_t len, size_t off,
	unsigned *line, unsigned *col)
{
	const unsigned char *s = (const unsigned char *)text;
	size_t i = 0;
	unsigned l = 1, c = 1;

	if (off >= 3 && len >= 3 && !memcmp(s, "\xef\xbb\xbf", 3))
		i = 3;
	while (i < off && i < len) {
		size_t brk = 0;

		if (s[i] == '\r' && i + 1 < len && s[i + 1] == '\n')
			brk = 2;
		else if (s[i] == '\n' || s[i] == '\r')
			brk = 1;
		else if (s[i] == 0xc2 && i + 1 < len && s[i + 1] == 0x85)
			brk = 2;
		else if (s[i] == 0xe2 && i + 2 < len && s[i + 1] == 0x80 &&
			 (s[i + 2] == 0xa8 || s[i + 2] == 0xa9))
			brk = 3;
		if (brk) {
			l++;
			c = 1;
			i += brk;
			continue;
		}
		if ((s[i] & 0xc0) != 0x80)
			c++;
		i++;
	}
	*line = l;
	*col = c;
}

static int fail(const struct loader *ld, yaml_mark_t mark,
	const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static int fail(const struct loader *ld, yaml_mark_t mark,
	const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return crq_error__set(CRQ_EINVALID, "%s:%u:%u: %s", ld->name,
		(unsigned)mark.line + 1, (unsigned)mark.column + 1, msg);
}

/* A key as shown in a message: at most 60 bytes, one line. */
static void show_key(char *dst, size_t size, const char *key)
{
	size_t i = 0, n, max = size - 4;

	for (; *key; key += n) {
		unsigned char c = (unsigned char)*key;

		n = c < 0xc0 ? 1 : c < 0xe0 ? 2 : c < 0xf0 ? 3 : 4;
		if (i + n > max)
			break;
		if (n == 1) {
			dst[i++] = c < 0x20 || c == 0x7f ? '?' : (char)c;
		} else {
			memcpy(dst + i, key, n);
			i += n;
		}
	}
	if (*key) {
		memcpy(dst + i, "...", 3);
		i += 3;
	}
	dst[i] = '\0';
}

/* FNV-1a, then a 64-bit finaliser so that all bits reach the low ones. */
static uint64_t hash_key(const char *s)
{
	uint64_t h = 0xcbf29ce484222325ULL;

	for (; *s; s++) {
		h ^= (unsigned char)*s;
		h *= 0x100000001b3ULL;
	}
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdULL;
	h ^= h >> 33;
	h *= 0xc4ceb9fe1a85ec53ULL;
	h ^= h >> 33;
	return h;
}

static struct slot *find_slot(const struct frame *f, const char *key)
{
	size_t mask = f->nslots - 1, i = (size_t)hash_key(key) & mask;

	for (;; i = (i + 1) & mask) {
		struct slot *s = &f->slots[i];

		if (!s->idx || !strcmp(f->node->keys[s->idx - 1], key))
			return s;
	}
}

static void grow_slots(struct frame *f)
{
	struct slot *old = f->slots;
	size_t i, n = f->nslots;

	f->nslots = n ? n * 2 : 16;
	f->slots = crq__calloc(f->nslots, sizeof(*f->slots));
	for (i = 0; i < n; i++) {
		if (old[i].idx)
			*find_slot(f, f->node->keys[old[i].idx - 1]) = old[i];
	}
	free(old);
}

/* Append the pending key and val to the mapping of f (owns both). */
static void add_member(struct frame *f, crq_node *val)
{
	crq_node *obj = f->node;
	struct slot *s;

	crq_node__append(obj, f->key, val);
	f->key = NULL;
	if ((obj->count + 1) * 2 > f->nslots)
		grow_slots(f);
	s = find_slot(f, obj->keys[obj->count - 1]);
	s->idx = obj->count;
	s->line = f->kline;
}

static struct frame *top(struct loader *ld)
{
	return ld->depth ? &ld->stack[ld->depth - 1] : NULL;
}

static int want_key(struct loader *ld)
{
	struct frame *f = top(ld);

	return f && f->node->kind == CRQ_NODE_OBJECT && !f->key;
}

/* Hang node (owned) under the current container, or make it the root. */
static void attach(struct loader *ld, crq_node *node)
{
	struct frame *f = top(ld);

	if (!f)
		ld->root = node;
	else if (f->node->kind == CRQ_NODE_ARRAY)
		crq_node_push(f->node, node);
	else
		add_member(f, node);
}

static int check_props(const struct loader *ld, const yaml_event_t *ev,
	const yaml_char_t *anchor, const yaml_char_t *tag)
{
	if (anchor)
		return fail(ld, ev->start_mark, "anchors are not allowed");
	if (tag)
		return fail(ld, ev->start_mark, "tags are not allowed");
	return 0;
}

static void set_pos(crq_node *node, const yaml_event_t *ev)
{
	node->line = (unsigned)ev->start_mark.line + 1;
	node->col = (unsigned)ev->start_mark.column + 1;
}

static int on_key(struct loader *ld, yaml_event_t *ev)
{
	struct frame *f = top(ld);
	const char *key = (const char *)ev->data.scalar.value;
	int plain = ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
	struct slot *s;
	char shown[64];

	if (plain && !strcmp(key, "<<"))
		return fail(ld, ev->start_mark, "merge keys are not allowed");
	if (f->nslots) {
		s = find_slot(f, key);
		if (s->idx) {
			show_key(shown, sizeof(shown), key);
			return fail(ld, ev->start_mark,
				"duplicate key '%s' (first at line %u)",
				shown, s->line);
		}
	}
	/* take libyaml's copy (malloc'd, NUL-terminated) instead of
	 * duplicating it: a measurable share of loading a whole store */
	f->key = (char *)ev->data.scalar.value;
	ev->data.scalar.value = NULL;
	f->kline = (unsigned)ev->start_mark.line + 1;
	return 0;
}

static int on_scalar(struct loader *ld, yaml_event_t *ev)
{
	const char *value = (const char *)ev->data.scalar.value;
	size_t len = ev->data.scalar.length;
	int plain = ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
	crq_node *node;
	int err;

	err = check_props(ld, ev, ev->data.scalar.anchor,
		ev->data.scalar.tag);
	if (err)
		return err;
	/* "\0" and "\x00" escapes in double-quoted scalars */
	if (memchr(value, '\0', len))
		return fail(ld, ev->start_mark,
			"NUL characters are not allowed");
	if (want_key(ld))
		return on_key(ld, ev);
	if (!ld->depth && plain && !len) {
		/* only an empty document has an empty plain root */
		node = crq_node_new(CRQ_NODE_NULL);
	} else {
		node = crq_node_new(CRQ_NODE_STRING);
		node->str = (char *)ev->data.scalar.value;
		node->len = len;
		ev->data.scalar.value = NULL;	/* taken, as in on_key() */
		node->plain = plain;
	}
	set_pos(node, ev);
	attach(ld, node);
	return 0;
}

static int on_start(struct loader *ld, const yaml_event_t *ev,
	crq_node_kind kind)
{
	const yaml_char_t *anchor, *tag;
	struct frame *f;
	crq_node *node;
	int err;

	if (kind == CRQ_NODE_OBJECT) {
		anchor = ev->data.mapping_start.anchor;
		tag = ev->data.mapping_start.tag;
	} else {
		anchor = ev->data.sequence_start.anchor;
		tag = ev->data.sequence_start.tag;
	}
	err = check_props(ld, ev, anchor, tag);
	if (err)
		return err;
	if (want_key(ld))
		return fail(ld, ev->start_mark, "complex keys are not allowed");
	if (ld->depth == CRQ_YAML_MAX_DEPTH)
		return fail(ld, ev->start_mark,
			"nesting deeper than %d levels", CRQ_YAML_MAX_DEPTH);
	node = crq_node_new(kind);
	set_pos(node, ev);
	attach(ld, node);
	f = &ld->stack[ld->depth++];
	memset(f, 0, sizeof(*f));
	f->node = node;
	return 0;
}

static void pop(struct loader *ld)
{
	struct frame *f = &ld->stack[--ld->depth];

	free(f->key);
	free(f->slots);
	memset(f, 0, sizeof(*f));
}

static int on_event(struct loader *ld, yaml_event_t *ev, int *end)
{
	switch (ev->type) {
	case YAML_STREAM_END_EVENT:
		*end = 1;
		return 0;
	case YAML_DOCUMENT_START_EVENT:
		if (ld->docs++)
			return fail(ld, ev->start_mark,
				"only one document is allowed");
		if (ev->data.document_start.version_directive ||
		    ev->data.document_start.tag_directives.start !=
		    ev->data.document_start.tag_directives.end)
			return fail(ld, ev->start_mark,
				"directives are not allowed");
		return 0;
	case YAML_ALIAS_EVENT:
		return fail(ld, ev->start_mark, "aliases are not allowed");
	case YAML_SCALAR_EVENT:
		return on_scalar(ld, ev);
	case YAML_SEQUENCE_START_EVENT:
		return on_start(ld, ev, CRQ_NODE_ARRAY);
	case YAML_MAPPING_START_EVENT:
		return on_start(ld, ev, CRQ_NODE_OBJECT);
	case YAML_SEQUENCE_END_EVENT:
	case YAML_MAPPING_END_EVENT:
		pop(ld);
		return 0;
	default:
		return 0;
	}
}

static int parse_error(const struct loader *ld, const yaml_parser_t *p)
{
	unsigned line, col;
	const char *problem = p->problem ? p->problem : "invalid YAML";

	switch (p->error) {
	case YAML_MEMORY_ERROR:
		return crq_error__set(CRQ_ERROR, "%s: out of memory", ld->name);
	case YAML_READER_ERROR:
		position(ld->text, ld->len, p->problem_offset, &line, &col);
		/* an escape sequence: coloured output piped in */
		if (p->problem_offset < ld->len &&
		    ld->text[p->problem_offset] == '\033')
			return crq_error__set(CRQ_EINVALID,
				"%s:%u:%u: %s (a terminal colour code)\n"
				"hint: coloured output piped in? crq --color=never show ...",
				ld->name, line, col, problem);
		return crq_error__set(CRQ_EINVALID, "%s:%u:%u: %s", ld->name,
			line, col, problem);
	default:
		return crq_error__set(CRQ_EINVALID, "%s:%u:%u: %s%s%s",
			ld->name, (unsigned)p->problem_mark.line + 1,
			(unsigned)p->problem_mark.column + 1, problem,
			p->context ? " " : "", p->context ? p->context : "");
	}
}

/* Size, NUL bytes and UTF-8, before libyaml sees the text. */
static int precheck(const struct loader *ld)
{
	const char *nul = memchr(ld->text, '\0', ld->len);
	size_t bad = ld->len, off;
	unsigned line, col;

	if (ld->len > CRQ_YAML_MAX_SIZE)
		return crq_error__set(CRQ_EINVALID,
			"%s: file is larger than %d bytes", ld->name,
			CRQ_YAML_MAX_SIZE);
	crq_utf8__valid(ld->text, ld->len, &bad);
	if (nul && (size_t)(nul - ld->text) < bad) {
		off = (size_t)(nul - ld->text);
		position(ld->text, ld->len, off, &line, &col);
		return crq_error__set(CRQ_EINVALID,
			"%s:%u:%u: NUL bytes are not allowed", ld->name,
			line, col);
	}
	if (bad < ld->len) {
		position(ld->text, ld->len, bad, &line, &col);
		return crq_error__set(CRQ_EINVALID, "%s:%u:%u: invalid UTF-8",
			ld->name, line, col);
	}
	return 0;
}

/* ------------------------------------------------------------------ */
/*
 * The fast path.  Nearly every file crq reads was written by the
 * emitter below, and libyaml's general scanner is most of the time of
 * loading a whole store.  crq_yaml__load_fast() reads only a small
 * block-style subset: ASCII text, identifier keys, plain and one-line
 * single-quoted scalars, literal blocks, [] and {}, and the nesting the
 * emitter writes (two spaces a level, "- key: value" items).  At the
 * first byte outside that subset it gives up and the text goes to the
 * libyaml path, so every refusal and message is that path's.  Where it
 * does not give up it builds exactly the tree libyaml's events would
 * (kinds, text, plain flags, positions): tests/unit/test_yaml.c and the
 * yaml fuzz target hold the two paths to that.
 */
struct fast {
	const char *text, *end;
	const char *p;		/* start of the current line */
	unsigned line;		/* its number, 1-based */
	int depth;
};

/* Spaces at the start of the line at fp->p (the text is ASCII, no
 * tabs: checked before). */
static size_t fast_indent(const struct fast *fp)
{
	const char *q = fp->p;

	while (q < fp->end && *q == ' ')
		q++;
	return (size_t)(q - fp->p);
}

static const char *fast_eol(const struct fast *fp, const char *q)
{
	const char *e = memchr(q, '\n', (size_t)(fp->end - q));

	return e ? e : fp->end;
}

static void fast_next_line(struct fast *fp, const char *eol)
{
	fp->p = eol + 1;
	fp->line++;
}

static int key_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		(c >= '0' && c <= '9') || c == '_' || c == '-' || c == '.';
}

/* Length of "key" before the ':' at q (an identifier, or one in single
 * quotes as the emitter writes a key YAML 1.1 would read as a boolean,
 * 'on'; then ':' and a space or the end of the line), 0 when q does
 * not start one.  *name / *nlen: the key's text. */
static size_t fast_key(const char *q, const char *eol, const char **name,
	size_t *nlen)
{
	const char *k = q;
	int quoted = k < eol && *k == '\'';

	k += quoted;
	*name = k;
	if (k >= eol || !(key_char(*k) && *k != '-' && *k != '.'))
		return 0;
	while (k < eol && key_char(*k))
		k++;
	*nlen = (size_t)(k - *name);
	if (quoted && (k >= eol || *k++ != '\''))
		return 0;
	if (k >= eol || *k != ':' || (k + 1 < eol && k[1] != ' '))
		return 0;
	return (size_t)(k - q);
}

static crq_node *fast_node(crq_node_kind kind, unsigned line, size_t col)
{
	crq_node *n = crq_node_new(kind);

	n->line = line;
	n->col = (unsigned)col + 1;
	return n;
}

/*
 * A literal block whose indicator ('|', '|-' or '|+') is at q; its
 * lines are indented by exactly ind.  Leaves fp at the first line
 * after the block.
 */
static crq_node *fast_literal(struct fast *fp, const char *q,
	const char *eol, size_t ind)
{
	crq_buf body = CRQ_BUF_INIT;
	crq_node *n;
	char chomp = q + 1 < eol ? q[1] : 0;
	unsigned line = fp->line;
	size_t col = (size_t)(q - fp->p), nl;

	if ((q + 1 < eol && chomp != '-' && chomp != '+') ||
	    eol - q > 2)
		return NULL;
	if (eol >= fp->end)
		return NULL;
	fast_next_line(fp, eol);
	/* the first line sets libyaml's indentation: it must be ours */
	if (fp->p >= fp->end || fast_indent(fp) != ind ||
	    fp->p[ind] == '\n')
		return NULL;
	while (fp->p < fp->end) {
		const char *e = fast_eol(fp, fp->p);
		size_t sp = fast_indent(fp);

		if (e == fp->end)
			break;	/* no final line break: not ours */
		if (fp->p == e) {
			crq_buf_putc(&body, '\n');
		} else if (fp->p + sp == e) {
			break;	/* a line of spaces only */
		} else if (sp < ind) {
			goto end;
		} else {
			crq_buf_put(&body, fp->p + ind,
				(size_t)(e - fp->p) - ind);
			crq_buf_putc(&body, '\n');
		}
		fast_next_line(fp, e);
	}
	if (fp->p < fp->end) {
		crq_buf_dispose(&body);
		return NULL;
	}
end:
	/* chomping: clip keeps one final line break, strip none, keep all */
	nl = 0;
	while (nl < body.size && body.ptr[body.size - 1 - nl] == '\n')
		nl++;
	if (chomp == '-')
		body.size -= nl;
	else if (!chomp && nl > 1)
		body.size -= nl - 1;
	n = fast_node(CRQ_NODE_STRING, line, col);
	n->str = crq__strndup(body.ptr ? body.ptr : "", body.size);
	n->len = body.size;
	crq_buf_dispose(&body);
	return n;
}

/* A scalar at q, the rest of the line; literal blocks are indented by
 * ind.  Leaves fp at the next line. */
static crq_node *fast_scalar(struct fast *fp, const char *q, size_t ind)
{
	const char *eol = fast_eol(fp, q), *r;
	size_t col = (size_t)(q - fp->p);
	crq_node *n;
	char *w;

	if (q >= eol || eol >= fp->end)
		return NULL;
	if (*q == '|')
		return fast_literal(fp, q, eol, ind);
	if (eol - q == 2 && ((q[0] == '[' && q[1] == ']') ||
	    (q[0] == '{' && q[1] == '}'))) {
		/* the emitter's empty list and mapping */
		n = fast_node(*q == '[' ? CRQ_NODE_ARRAY : CRQ_NODE_OBJECT,
			fp->line, col);
		fast_next_line(fp, eol);
		return n;
	}
	if (*q == '\'') {
		/* one line, '' for a quote, nothing after the closing one */
		n = fast_node(CRQ_NODE_STRING, fp->line, col);
		n->str = w = crq__malloc((size_t)(eol - q));
		for (r = q + 1; r < eol; r++) {
			if (*r == '\'') {
				if (r + 1 < eol && r[1] == '\'') {
					*w++ = *r++;
					continue;
				}
				break;
			}
			*w++ = *r;
		}
		if (r + 1 != eol) {
			crq_node_free(n);
			return NULL;
		}
		*w = '\0';
		n->len = (size_t)(w - n->str);
		fast_next_line(fp, eol);
		return n;
	}
	/* plain: no indicator first, no ": " or " #", no space or ':' at
	 * the end (libyaml would drop or refuse those) */
	if (strchr("-?:,[]{}#&*!|>'\"%@` ", *q) || eol[-1] == ' ' ||
	    eol[-1] == ':')
		return NULL;
	for (r = q; r + 1 < eol; r++)
		if ((r[0] == ':' && r[1] == ' ') || (r[0] == ' ' && r[1] == '#'))
			return NULL;
	n = fast_node(CRQ_NODE_STRING, fp->line, col);
	n->str = crq__strndup(q, (size_t)(eol - q));
	n->len = (size_t)(eol - q);
	n->plain = 1;
	fast_next_line(fp, eol);
	return n;
}

static crq_node *fast_block(struct fast *fp, size_t ind);

/* The value after "key:" (at q, the ':'), whose key is at column ind. */
static crq_node *fast_value(struct fast *fp, const char *q, size_t ind)
{
	const char *eol = fast_eol(fp, q);

	if (q + 1 < eol)
		return fast_scalar(fp, q + 2, ind + 2);
	/* "key:" alone: a block two columns deeper on the next line */
	if (eol >= fp->end)
		return NULL;
	fast_next_line(fp, eol);
	if (fp->p >= fp->end || fast_indent(fp) != ind + 2)
		return NULL;
	return fast_block(fp, ind + 2);
}

/* A mapping whose first key is at q on the current line and whose keys
 * are at column ind. */
static crq_node *fast_mapping(struct fast *fp, const char *q, size_t ind)
{
	crq_node *obj = fast_node(CRQ_NODE_OBJECT, fp->line,
		(size_t)(q - fp->p)), *val;
	size_t klen, nlen, i;
	const char *name;
	char *key;

	if (++fp->depth > CRQ_YAML_MAX_DEPTH)
		goto fail;
	for (;;) {
		if (!(klen = fast_key(q, fast_eol(fp, q), &name, &nlen)) ||
		    obj->count >= 128)
			goto fail;
		for (i = 0; i < obj->count; i++)
			if (!strncmp(obj->keys[i], name, nlen) &&
			    !obj->keys[i][nlen])
				goto fail;	/* libyaml's path says where */
		key = crq__strndup(name, nlen);
		if (!(val = fast_value(fp, q + klen, ind))) {
			free(key);
			goto fail;
		}
		crq_node__append(obj, key, val);
		if (fp->p >= fp->end || fast_indent(fp) < ind)
			break;
		if (fast_indent(fp) != ind)
			goto fail;
		q = fp->p + ind;
	}
	fp->depth--;
	return obj;
fail:
	crq_node_free(obj);
	return NULL;
}

/* A sequence whose dashes are at column ind, the first on this line. */
static crq_node *fast_sequence(struct fast *fp, size_t ind)
{
	crq_node *arr = fast_node(CRQ_NODE_ARRAY, fp->line, ind), *item;
	const char *q, *eol, *name;
	size_t nlen;

	if (++fp->depth > CRQ_YAML_MAX_DEPTH)
		goto fail;
	for (;;) {
		q = fp->p + ind;
		eol = fast_eol(fp, q);
		if (eol - q < 3 || q[0] != '-' || q[1] != ' ')
			goto fail;
		q += 2;
		if (fast_key(q, eol, &name, &nlen))
			item = fast_mapping(fp, q, ind + 2);
		else if (*q == '-')
			item = NULL;	/* "- - x": libyaml's */
		else
			item = fast_scalar(fp, q, ind + 2);
		if (!item)
			goto fail;
		crq_node_push(arr, item);
		if (fp->p >= fp->end || fast_indent(fp) < ind)
			break;
		if (fast_indent(fp) != ind)
			goto fail;
	}
	fp->depth--;
	return arr;
fail:
	crq_node_free(arr);
	return NULL;
}

/* A mapping or sequence starting at column ind of the current line. */
static crq_node *fast_block(struct fast *fp, size_t ind)
{
	const char *q = fp->p + ind;

	if (q < fp->end && *q == '-')
		return fast_sequence(fp, ind);
	return fast_mapping(fp, q, ind);
}

/* 1 and *out when text is in the fast subset, else 0. */
int crq_yaml__load_fast(crq_node **out, const char *text, size_t len)
{
	struct fast fp;
	crq_node *root;
	size_t i;

	*out = NULL;
	if (!len || text[len - 1] != '\n')
		return 0;
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)text[i];

		if ((c < 0x20 && c != '\n') || c > 0x7e)
			return 0;
	}
	fp.text = fp.p = text;
	fp.end = text + len;
	fp.line = 1;
	fp.depth = 0;
	if (!(root = fast_mapping(&fp, text, 0)))
		return 0;
	if (fp.p != fp.end) {
		crq_node_free(root);
		return 0;
	}
	*out = root;
	return 1;
}

int crq_yaml_load(crq_node **out, const char *text, size_t len,
	const char *name)
{
	if (text && len <= CRQ_YAML_MAX_SIZE &&
	    crq_yaml__load_fast(out, text, len))
		return 0;
	return crq_yaml__load_slow(out, text, len, name);
}

int crq_yaml__load_slow(crq_node **out, const char *text, size_t len,
	const char *name)
{
	struct loader ld;
	yaml_parser_t parser;
	yaml_event_t ev;
	int err, have_parser = 0, end = 0;

	*out = NULL;
	memset(&ld, 0, sizeof(ld));
	ld.name = name ? name : "<yaml>";
	ld.text = text ? text : "";
	ld.len = text ? len : 0;
	err = precheck(&ld);
	if (err)
		goto done;
	if (!yaml_parser_initialize(&parser)) {
		err = crq_error__set(CRQ_ERROR, "%s: out of memory", ld.name);
		goto done;
	}
	have_parser = 1;
	yaml_parser_set_input_string(&parser,
		(const unsigned char *)ld.text, ld.len);
	while (!end) {
		if (!yaml_parser_parse(&parser, &ev)) {
			err = parse_error(&ld, &parser);
			goto done;
		}
		err = on_event(&ld, &ev, &end);
		yaml_event_delete(&ev);
		if (err)
			goto done;
	}
	if (!ld.root) {
		ld.root = crq_node_new(CRQ_NODE_NULL);
		ld.root->line = ld.root->col = 1;
	}
	*out = ld.root;
	ld.root = NULL;
done:
	while (ld.depth)
		pop(&ld);
	crq_node_free(ld.root);
	if (have_parser)
		yaml_parser_delete(&parser);
	return err;
}

/* ------------------------------------------------------------------ */
/* Emitter */

enum { CTX_ROOT, CTX_VALUE, CTX_ITEM };
enum { STYLE_PLAIN, STYLE_SINGLE, STYLE_LITERAL, STYLE_DOUBLE };

/* Implicit keys must end within 1024 characters of their start. */
#define MAX_IMPLICIT_KEY 1000

/* Length of the well-formed UTF-8 sequence at s (left bytes), or 0. */
static size_t utf8_seq(const char *s, size_t left)
{
	unsigned char c = (unsigned char)*s;
	size_t n = c < 0x80 ? 1 : c < 0xc2 ? 0 : c < 0xe0 ? 2 :
		c < 0xf0 ? 3 : c < 0xf5 ? 4 : 0;

	if (!n || n > left || !crq_utf8__valid(s, n, NULL))
		return 0;
	return n;
}

/* Decode one code point of valid UTF-8; returns its length. */
static size_t utf8_decode(const unsigned char *s, unsigned *cp)
{
	if (s[0] < 0x80) {
		*cp = s[0];
		return 1;
	}
	if (s[0] < 0xe0) {
		*cp = (s[0] & 0x1fu) << 6 | (s[1] & 0x3fu);
		return 2;
	}
	if (s[0] < 0xf0) {
		*cp = (s[0] & 0x0fu) << 12 | (s[1] & 0x3fu) << 6 |
			(s[2] & 0x3fu);
		return 3;
	}
	*cp = (s[0] & 0x07u) << 18 | (s[1] & 0x3fu) << 12 |
		(s[2] & 0x3fu) << 6 | (s[3] & 0x3fu);
	return 4;
}

/* A character that may appear unescaped outside double quotes: no
 * controls (C0, DEL, C1), no characters YAML 1.1 reads as line breaks
 * (NEL, LS, PS), no BOM and no non-characters libyaml refuses. */
static int printable(unsigned cp)
{
	if (cp < 0x20 || cp == 0x7f || (cp >= 0x80 && cp <= 0x9f))
		return 0;
	return cp != 0x2028 && cp != 0x2029 && cp != 0xfeff &&
		cp != 0xfffe && cp != 0xffff;
}

static int plain_ok(const char *s, size_t len)
{
	if (!len || s[0] == ' ' || s[len - 1] == ' ' || s[len - 1] == ':')
		return 0;
	if (strchr("-?:,[]{}#&*!|>'\"%@`", s[0]))
		return 0;
	/* "..." at the start of a line ends a document */
	if (!strncmp(s, "...", 3))
		return 0;
	if (strstr(s, ": ") || strstr(s, " #"))
		return 0;
	return !crq_yaml_plain_ambiguous(s);
}

static int string_style(const char *s, size_t len, int allow_literal)
{
	const unsigned char *u = (const unsigned char *)s;
	int newline = 0, unsafe = 0, trailing = 0;
	size_t i, n;
	unsigned cp;

	if (!crq_utf8__valid(s, len, NULL))
		return STYLE_DOUBLE;
	for (i = 0; i < len; i += n) {
		n = utf8_decode(u + i, &cp);
		if (cp == '\n')
			newline = 1;
		else if (!printable(cp))
			unsafe = 1;
		if (cp == ' ' && (i + 1 == len || s[i + 1] == '\n'))
			trailing = 1;
	}
	if (unsafe)
		return STYLE_DOUBLE;
	if (!newline)
		return plain_ok(s, len) ? STYLE_PLAIN : STYLE_SINGLE;
	/* a literal block takes its indentation from the first line */
	if (allow_literal && !trailing && s[0] != '\n' && s[0] != ' ')
		return STYLE_LITERAL;
	return STYLE_DOUBLE;
}

static void pad(crq_buf *out, size_t n)
{
	while (n--)
		crq_buf_putc(out, ' ');
}

static void put_single(crq_buf *out, const char *s, size_t len)
{
	size_t i;

	crq_buf_putc(out, '\'');
	for (i = 0; i < len; i++) {
		if (s[i] == '\'')
			crq_buf_putc(out, '\'');
		crq_buf_putc(out, s[i]);
	}
	crq_buf_putc(out, '\'');
}

static void put_double(crq_buf *out, const char *s, size_t len)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t i = 0, n;
	unsigned cp;

	crq_buf_putc(out, '"');
	while (i < len) {
		if (!utf8_seq(s + i, len - i)) {
			/* not representable in YAML text */
			crq_buf_puts(out, "\\uFFFD");
			i++;
			continue;
		}
		n = utf8_decode(u + i, &cp);
		if (cp == '"' || cp == '\\') {
			crq_buf_putc(out, '\\');
			crq_buf_putc(out, (char)cp);
		} else if (cp == '\n') {
			crq_buf_puts(out, "\\n");
		} else if (cp == '\t') {
			crq_buf_puts(out, "\\t");
		} else if (cp == '\r') {
			crq_buf_puts(out, "\\r");
		} else if (printable(cp)) {
			crq_buf_put(out, s + i, n);
		} else if (cp < 0x100) {
			crq_buf_printf(out, "\\x%02X", cp);
		} else {
			crq_buf_printf(out, "\\u%04X", cp);
		}
		i += n;
	}
	crq_buf_putc(out, '"');
}

static void put_literal(crq_buf *out, const char *s, size_t len,
	size_t indent)
{
	size_t nl = 0, i = 0;

	while (nl < len && s[len - 1 - nl] == '\n')
		nl++;
	crq_buf_puts(out, nl == 0 ? "|-\n" : nl == 1 ? "|\n" : "|+\n");
	while (i < len) {
		const char *e = memchr(s + i, '\n', len - i);
		size_t n = e ? (size_t)(e - (s + i)) : len - i;

		if (n) {
			pad(out, indent);
			crq_buf_put(out, s + i, n);
		}
		crq_buf_putc(out, '\n');
		i += n + 1;
	}
}

/* A string scalar; literal blocks are indented to indent + 2.  Ends the
 * line. */
static void put_string(crq_buf *out, const char *s, size_t len,
	size_t indent)
{
	switch (string_style(s, len, 1)) {
	case STYLE_PLAIN:
		crq_buf_put(out, s, len);
		break;
	case STYLE_SINGLE:
		put_single(out, s, len);
		break;
	case STYLE_LITERAL:
		put_literal(out, s, len, indent + 2);
		return;
	default:
		put_double(out, s, len);
		break;
	}
	crq_buf_putc(out, '\n');
}

static void put_number(crq_buf *out, double d)
{
	char tmp[64];

	if (isnan(d)) {
		crq_buf_puts(out, ".nan");
		return;
	}
	if (isinf(d)) {
		crq_buf_puts(out, d < 0 ? "-.inf" : ".inf");
		return;
	}
	c_format_double(tmp, sizeof(tmp), d);
	/* YAML 1.1 floats need a '.', or they read as ints or strings */
	if (!strchr(tmp, '.')) {
		char *e = strchr(tmp, 'e');

		if (e) {
			crq_buf_put(out, tmp, (size_t)(e - tmp));
			crq_buf_puts(out, ".0");
			crq_buf_puts(out, e);
			return;
		}
		crq_buf_puts(out, tmp);
		crq_buf_puts(out, ".0");
		return;
	}
	crq_buf_puts(out, tmp);
}

/* A key followed by ':'. */
static void put_key(crq_buf *out, const char *key, size_t indent)
{
	crq_buf tmp = CRQ_BUF_INIT;
	size_t len = strlen(key);

	switch (string_style(key, len, 0)) {
	case STYLE_PLAIN:
		crq_buf_put(&tmp, key, len);
		break;
	case STYLE_SINGLE:
		put_single(&tmp, key, len);
		break;
	default:
		put_double(&tmp, key, len);
		break;
	}
	if (tmp.size > MAX_IMPLICIT_KEY) {
		crq_buf_puts(out, "? ");
		crq_buf_put(out, tmp.ptr, tmp.size);
		crq_buf_putc(out, '\n');
		pad(out, indent);
	} else {
		crq_buf_put(out, tmp.ptr, tmp.size);
	}
	crq_buf_putc(out, ':');
	crq_buf_dispose(&tmp);
}

static void emit_node(crq_buf *out, const crq_node *n, size_t indent,
	int ctx);

static void emit_members(crq_buf *out, const crq_node *obj, size_t indent,
	int inline_first)
{
	size_t i;

	for (i = 0; i < obj->count; i++) {
		if (i || !inline_first)
			pad(out, indent);
		put_key(out, obj->keys[i], indent);
		emit_node(out, obj->items[i], indent, CTX_VALUE);
	}
}

static void emit_items(crq_buf *out, const crq_node *arr, size_t indent,
	int inline_first)
{
	size_t i;

	for (i = 0; i < arr->count; i++) {
		if (i || !inline_first)
			pad(out, indent);
		crq_buf_putc(out, '-');
		emit_node(out, arr->items[i], indent, CTX_ITEM);
	}
}

/*
 * Emit n, the cursor being at the start of a line (CTX_ROOT), after
 * "key:" (CTX_VALUE) or after "-" (CTX_ITEM); indent is the column of
 * that key or dash.
 */
static void emit_node(crq_buf *out, const crq_node *n, size_t indent,
	int ctx)
{
	int container = (n->kind == CRQ_NODE_OBJECT ||
		n->kind == CRQ_NODE_ARRAY) && n->count;

	if (ctx != CTX_ROOT && !(container && ctx == CTX_VALUE))
		crq_buf_putc(out, ' ');
	if (container) {
		int inl = ctx == CTX_ITEM;
		size_t in = ctx == CTX_ROOT ? 0 : indent + 2;

		if (ctx == CTX_VALUE)
			crq_buf_putc(out, '\n');
		if (n->kind == CRQ_NODE_OBJECT)
			emit_members(out, n, in, inl);
		else
			emit_items(out, n, in, inl);
		return;
	}
	switch (n->kind) {
	case CRQ_NODE_NULL:
		crq_buf_puts(out, "null");
		break;
	case CRQ_NODE_BOOL:
		crq_buf_puts(out, n->b ? "true" : "false");
		break;
	case CRQ_NODE_INT:
		crq_buf_printf(out, "%lld", n->i);
		break;
	case CRQ_NODE_NUMBER:
		put_number(out, n->n);
		break;
	case CRQ_NODE_STRING:
		put_string(out, n->str ? n->str : "", n->str ? n->len : 0,
			indent);
		return;
	case CRQ_NODE_ARRAY:
		crq_buf_puts(out, "[]");
		break;
	case CRQ_NODE_OBJECT:
		crq_buf_puts(out, "{}");
		break;
	}
	crq_buf_putc(out, '\n');
}

void crq_yaml_emit(crq_buf *out, const crq_node *doc)
{
	if (!doc) {
		crq_buf_puts(out, "null\n");
		return;
	}
	emit_node(out, doc, 0, CTX_ROOT);
}
