/*
 * json.c - strict RFC 8259 JSON parser and writer.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "internal.h"

struct parser {
	const char *text;
	const char *end;
	const char *p;
	const char *name;
	unsigned line;
	const char *bol;	/* beginning of the current line */
	int depth;
	/* the last column computed, so that long lines stay linear */
	const char *cpos;
	unsigned ccol;
};

/* 1-based column (in characters) of at, on the current line. */
static unsigned column_at(struct parser *ps, const char *at)
{
	if (!ps->cpos || ps->cpos < ps->bol || at < ps->cpos) {
		ps->cpos = ps->bol;
		ps->ccol = 1;
	}
	ps->ccol += (unsigned)crq_utf8__length(ps->cpos,
		(size_t)(at - ps->cpos));
	ps->cpos = at;
	return ps->ccol;
}

static int fail_at(struct parser *ps, const char *at,
	const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static int fail_at(struct parser *ps, const char *at,
	const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return crq_error__set(CRQ_EINVALID, "%s:%u:%u: %s", ps->name,
		ps->line, column_at(ps, at), msg);
}

/* Describe the character at p for an error message. */
static const char *describe(const struct parser *ps, const char *p,
	char *tmp, size_t size)
{
	unsigned char c;

	if (p >= ps->end)
		return "end of input";
	c = (unsigned char)*p;
	if (c >= 0x20 && c < 0x7f)
		snprintf(tmp, size, "character '%c'", c);
	else
		snprintf(tmp, size, "byte 0x%02x", c);
	return tmp;
}

static int unexpected(struct parser *ps, const char *what)
{
	char tmp[32];

	return fail_at(ps, ps->p, "unexpected %s%s%s",
		describe(ps, ps->p, tmp, sizeof(tmp)),
		what ? ", expected " : "", what ? what : "");
}

static void skip_ws(struct parser *ps)
{
	while (ps->p < ps->end) {
		char c = *ps->p;

		if (c == '\n') {
			ps->line++;
			ps->bol = ++ps->p;
		} else if (c == ' ' || c == '\t' || c == '\r') {
			ps->p++;
		} else {
			break;
		}
	}
}

static int hex4(const char *p, unsigned *out)
{
	unsigned v = 0;
	int i;

	for (i = 0; i < 4; i++) {
		char c = p[i];

		v <<= 4;
		if (c >= '0' && c <= '9')
			v |= (unsigned)(c - '0');
		else if (c >= 'a' && c <= 'f')
			v |= (unsigned)(c - 'a' + 10);
		else if (c >= 'A' && c <= 'F')
			v |= (unsigned)(c - 'A' + 10);
		else
			return -1;
	}
	*out = v;
	return 0;
}

static void put_utf8(crq_buf *b, unsigned cp)
{
	char s[4];
	size_t n;

	if (cp < 0x80) {
		s[0] = (char)cp;
		n = 1;
	} else if (cp < 0x800) {
		s[0] = (char)(0xc0 | (cp >> 6));
		s[1] = (char)(0x80 | (cp & 0x3f));
		n = 2;
	} else if (cp < 0x10000) {
		s[0] = (char)(0xe0 | (cp >> 12));
		s[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
		s[2] = (char)(0x80 | (cp & 0x3f));
		n = 3;
	} else {
		s[0] = (char)(0xf0 | (cp >> 18));
		s[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
		s[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
		s[3] = (char)(0x80 | (cp & 0x3f));
		n = 4;
	}
	crq_buf_put(b, s, n);
}

/* Parse a \uXXXX escape (p at the backslash), possibly a surrogate pair. */
static int parse_uescape(struct parser *ps, crq_buf *b)
{
	const char *start = ps->p;
	unsigned cp, lo;

	if (ps->end - ps->p < 6 || hex4(ps->p + 2, &cp) < 0)
		return fail_at(ps, start, "invalid \\u escape");
	ps->p += 6;
	if (cp >= 0xdc00 && cp <= 0xdfff)
		return fail_at(ps, start, "lone low surrogate \\u%04x", cp);
	if (cp >= 0xd800 && cp <= 0xdbff) {
		if (ps->end - ps->p < 6 || ps->p[0] != '\\' ||
		    ps->p[1] != 'u' || hex4(ps->p + 2, &lo) < 0 ||
		    lo < 0xdc00 || lo > 0xdfff)
			return fail_at(ps, start,
				"lone high surrogate \\u%04x", cp);
		ps->p += 6;
		cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
	}
	if (cp == 0)
		return fail_at(ps, start, "\\u0000 is not supported");
	put_utf8(b, cp);
	return 0;
}

/* Parse a string literal (ps->p at the opening quote) into b. */
static int parse_string(struct parser *ps, crq_buf *b)
{
	const char *start = ps->p;
	int err = 0;

	crq_buf_clear(b);
	crq_buf_put(b, "", 0);
	ps->p++;
	for (;;) {
		const char *run = ps->p;
		unsigned char c;

		while (ps->p < ps->end && *ps->p != '"' && *ps->p != '\\' &&
		       (unsigned char)*ps->p >= 0x20)
			ps->p++;
		crq_buf_put(b, run, (size_t)(ps->p - run));
		if (ps->p >= ps->end) {
			err = fail_at(ps, start, "unterminated string");
			goto done;
		}
		c = (unsigned char)*ps->p;
		if (c == '"') {
			ps->p++;
			break;
		}
		if (c < 0x20) {
			err = fail_at(ps, ps->p,
				"unescaped control character 0x%02x in string",
				c);
			goto done;
		}
		/* backslash */
		if (ps->p + 1 >= ps->end) {
			err = fail_at(ps, start, "unterminated string");
			goto done;
		}
		switch (ps->p[1]) {
		case '"': crq_buf_putc(b, '"'); break;
		case '\\': crq_buf_putc(b, '\\'); break;
		case '/': crq_buf_putc(b, '/'); break;
		case 'b': crq_buf_putc(b, '\b'); break;
		case 'f': crq_buf_putc(b, '\f'); break;
		case 'n': crq_buf_putc(b, '\n'); break;
		case 'r': crq_buf_putc(b, '\r'); break;
		case 't': crq_buf_putc(b, '\t'); break;
		case 'u':
			if ((err = parse_uescape(ps, b)) < 0)
				goto done;
			continue;
		default:
			err = fail_at(ps, ps->p, "invalid escape sequence");
			goto done;
		}
		ps->p += 2;
	}
done:
	return err;
}

static int is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static int parse_number(struct parser *ps, crq_node **out)
{
	const char *start = ps->p;
	const char *p = ps->p;
	int integral = 1;
	char tmp[64], *copy = tmp, *end;
	size_t len;
	int err = 0;

	if (p < ps->end && *p == '-')
		p++;
	if (p >= ps->end || !is_digit(*p)) {
		ps->p = p;
		return unexpected(ps, "a digit");
	}
	if (*p == '0') {
		p++;
		if (p < ps->end && is_digit(*p))
			return fail_at(ps, start,
				"leading zeros are not allowed in numbers");
	} else {
		while (p < ps->end && is_digit(*p))
			p++;
	}
	if (p < ps->end && *p == '.') {
		integral = 0;
		p++;
		if (p >= ps->end || !is_digit(*p)) {
			ps->p = p;
			return unexpected(ps, "a digit after '.'");
		}
		while (p < ps->end && is_digit(*p))
			p++;
	}
	if (p < ps->end && (*p == 'e' || *p == 'E')) {
		integral = 0;
		p++;
		if (p < ps->end && (*p == '+' || *p == '-'))
			p++;
		if (p >= ps->end || !is_digit(*p)) {
			ps->p = p;
			return unexpected(ps, "a digit in the exponent");
		}
		while (p < ps->end && is_digit(*p))
			p++;
	}
	len = (size_t)(p - start);
	if (len >= sizeof(tmp))
		copy = crq__malloc(len + 1);
	memcpy(copy, start, len);
	copy[len] = '\0';
	if (integral) {
		long long v;

		errno = 0;
		v = strtoll(copy, &end, 10);
		if (errno == 0 && *end == '\0') {
			*out = crq_node_new_int(v);
			goto done;
		}
	}
	*out = crq_node_new(CRQ_NODE_NUMBER);
	(*out)->n = strtod(copy, &end);
	if (*end != '\0' || !isfinite((*out)->n)) {
		crq_node_free(*out);
		*out = NULL;
		err = fail_at(ps, start, "number out of range");
		goto done;
	}
done:
	if (copy != tmp)
		free(copy);
	if (!err)
		ps->p = p;
	return err;
}

static int parse_value(struct parser *ps, crq_node **out, crq_buf *tmp);

static int parse_literal(struct parser *ps, crq_node **out)
{
	static const struct {
		const char *word;
		crq_node_kind kind;
		int b;
	} lits[] = {
		{ "true", CRQ_NODE_BOOL, 1 },
		{ "false", CRQ_NODE_BOOL, 0 },
		{ "null", CRQ_NODE_NULL, 0 },
	};
	size_t i, n;

	for (i = 0; i < CRQ_ARRAY_SIZE(lits); i++) {
		n = strlen(lits[i].word);
		if ((size_t)(ps->end - ps->p) >= n &&
		    !memcmp(ps->p, lits[i].word, n)) {
			*out = crq_node_new(lits[i].kind);
			(*out)->b = lits[i].b;
			ps->p += n;
			return 0;
		}
	}
	return unexpected(ps, "a JSON value");
}

static int parse_array(struct parser *ps, crq_node *arr, crq_buf *tmp)
{
	crq_node *item;
	int err;

	ps->p++;
	skip_ws(ps);
	if (ps->p < ps->end && *ps->p == ']') {
		ps->p++;
		return 0;
	}
	for (;;) {
		item = NULL;
		if ((err = parse_value(ps, &item, tmp)) < 0)
			return err;
		crq_node_push(arr, item);
		skip_ws(ps);
		if (ps->p < ps->end && *ps->p == ',') {
			ps->p++;
			continue;
		}
		if (ps->p < ps->end && *ps->p == ']') {
			ps->p++;
			return 0;
		}
		return unexpected(ps, "',' or ']'");
	}
}

/* Open-addressing set of key indexes, used for duplicate detection in
 * objects too large for a linear scan. */
struct keyset {
	size_t *slots;		/* index + 1; 0 = empty */
	size_t cap;
};

#define KEYSET_MIN 16

static size_t key_hash(const char *s)
{
	size_t h = 14695981039346656037ULL & SIZE_MAX;

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * (1099511628211ULL & SIZE_MAX);
	return h;
}

/* Add obj->keys[idx] unless present; returns 1 when it was a duplicate. */
static int keyset_add(struct keyset *ks, const crq_node *obj, size_t idx)
{
	const char *key = obj->keys[idx];
	size_t i, j;

	if ((idx + 1) * 2 > ks->cap) {
		free(ks->slots);
		ks->cap = ks->cap ? ks->cap * 2 : 4 * KEYSET_MIN;
		ks->slots = crq__calloc(ks->cap, sizeof(*ks->slots));
		for (j = 0; j < idx; j++) {
			i = key_hash(obj->keys[j]) & (ks->cap - 1);
			while (ks->slots[i])
				i = (i + 1) & (ks->cap - 1);
			ks->slots[i] = j + 1;
		}
	}
	i = key_hash(key) & (ks->cap - 1);
	while (ks->slots[i]) {
		if (!strcmp(obj->keys[ks->slots[i] - 1], key))
			return 1;
		i = (i + 1) & (ks->cap - 1);
	}
	ks->slots[i] = idx + 1;
	return 0;
}

static int is_duplicate(struct keyset *ks, const crq_node *obj)
{
	size_t last = obj->count - 1, i;

	if (obj->count > KEYSET_MIN)
		return keyset_add(ks, obj, last);
	for (i = 0; i < last; i++)
		if (!strcmp(obj->keys[i], obj->keys[last]))
			return 1;
	return 0;
}

static int parse_object(struct parser *ps, crq_node *obj, crq_buf *tmp)
{
	struct keyset ks = { NULL, 0 };
	crq_node *val;
	unsigned keyline, keycol;
	int err = 0;

	ps->p++;
	skip_ws(ps);
	if (ps->p < ps->end && *ps->p == '}') {
		ps->p++;
		goto done;
	}
	for (;;) {
		if (ps->p >= ps->end || *ps->p != '"') {
			err = unexpected(ps, "a string key");
			goto done;
		}
		keyline = ps->line;
		keycol = column_at(ps, ps->p);
		if ((err = parse_string(ps, tmp)) < 0)
			goto done;
		crq_node__append(obj, crq__strdup(crq_buf_cstr(tmp)), NULL);
		if (is_duplicate(&ks, obj)) {
			err = crq_error__set(CRQ_EINVALID,
				"%s:%u:%u: duplicate key '%s'", ps->name,
				keyline, keycol, crq_buf_cstr(tmp));
			goto done;
		}
		skip_ws(ps);
		if (ps->p >= ps->end || *ps->p != ':') {
			err = unexpected(ps, "':'");
			goto done;
		}
		ps->p++;
		val = NULL;
		if ((err = parse_value(ps, &val, tmp)) < 0)
			goto done;
		obj->items[obj->count - 1] = val;
		skip_ws(ps);
		if (ps->p < ps->end && *ps->p == ',') {
			ps->p++;
			skip_ws(ps);
			continue;
		}
		if (ps->p < ps->end && *ps->p == '}') {
			ps->p++;
			goto done;
		}
		err = unexpected(ps, "',' or '}'");
		goto done;
	}
done:
	free(ks.slots);
	return err;
}

static int parse_value(struct parser *ps, crq_node **out, crq_buf *tmp)
{
	unsigned line, col;
	crq_node *n = NULL;
	int err = 0;

	skip_ws(ps);
	line = ps->line;
	col = column_at(ps, ps->p);
	if (ps->p >= ps->end)
		return unexpected(ps, "a JSON value");
	switch (*ps->p) {
	case '{':
	case '[':
		if (ps->depth >= CRQ_JSON_MAX_DEPTH)
			return fail_at(ps, ps->p,
				"nesting deeper than %d levels",
				CRQ_JSON_MAX_DEPTH);
		ps->depth++;
		if (*ps->p == '{') {
			n = crq_node_new(CRQ_NODE_OBJECT);
			err = parse_object(ps, n, tmp);
		} else {
			n = crq_node_new(CRQ_NODE_ARRAY);
			err = parse_array(ps, n, tmp);
		}
		ps->depth--;
		break;
	case '"':
		if ((err = parse_string(ps, tmp)) < 0)
			break;
		n = crq_node_new_string(crq_buf_cstr(tmp), tmp->size);
		break;
	case '-':
	case '0': case '1': case '2': case '3': case '4':
	case '5': case '6': case '7': case '8': case '9':
		err = parse_number(ps, &n);
		break;
	default:
		err = parse_literal(ps, &n);
		break;
	}
	if (err < 0) {
		crq_node_free(n);
		return err;
	}
	n->line = line;
	n->col = col;
	*out = n;
	return 0;
}

int crq_json_parse(crq_node **out, const char *text, size_t len,
	const char *name)
{
	struct parser ps;
	crq_buf tmp = CRQ_BUF_INIT;
	crq_node *root = NULL;
	size_t bad;
	int err = 0;

	*out = NULL;
	memset(&ps, 0, sizeof(ps));
	ps.text = ps.p = ps.bol = text;
	ps.end = text + len;
	ps.name = name ? name : "<json>";
	ps.line = 1;
	if (!crq_utf8__valid(text, len, &bad)) {
		/* find the line and column of the bad byte */
		const char *q;

		for (q = text; q < text + bad; q++)
			if (*q == '\n') {
				ps.line++;
				ps.bol = q + 1;
			}
		err = fail_at(&ps, text + bad, "invalid UTF-8");
		goto done;
	}
	if ((err = parse_value(&ps, &root, &tmp)) < 0)
		goto done;
	skip_ws(&ps);
	if (ps.p < ps.end) {
		err = unexpected(&ps, "end of input after the value");
		goto done;
	}
	*out = root;
	root = NULL;
done:
	crq_node_free(root);
	crq_buf_dispose(&tmp);
	return err;
}

/* ------------------------------------------------------------------ */
/* Writer */

void crq_json_write_string(crq_buf *out, const char *str, size_t len)
{
	size_t i, run = 0;

	/* room for the common case, a string with nothing to escape */
	crq_buf_grow(out, len + 2);
	crq_buf_putc(out, '"');
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)str[i];
		const char *esc = NULL;
		char hex[8];

		switch (c) {
		case '"': esc = "\\\""; break;
		case '\\': esc = "\\\\"; break;
		case '\n': esc = "\\n"; break;
		case '\t': esc = "\\t"; break;
		case '\r': esc = "\\r"; break;
		case '\b': esc = "\\b"; break;
		case '\f': esc = "\\f"; break;
		default:
			if (c < 0x20) {
				snprintf(hex, sizeof(hex), "\\u%04x", c);
				esc = hex;
			}
			break;
		}
		if (!esc)
			continue;
		crq_buf_put(out, str + run, i - run);
		crq_buf_puts(out, esc);
		run = i + 1;
	}
	crq_buf_put(out, str + run, len - run);
	crq_buf_putc(out, '"');
}

static void write_number(crq_buf *out, double d)
{
	static const char *const fmts[] = { "%.15g", "%.16g", "%.17g" };
	char tmp[64];
	size_t i;

	if (!isfinite(d)) {
		crq_buf_puts(out, "null");
		return;
	}
	for (i = 0; i < CRQ_ARRAY_SIZE(fmts); i++) {
		snprintf(tmp, sizeof(tmp), fmts[i], d);
		if (strtod(tmp, NULL) == d)
			break;
	}
	crq_buf_puts(out, tmp);
}

/* As "%lld" does, without the cost of printf for every number. */
static void write_int(crq_buf *out, long long i)
{
	char tmp[24], *p = tmp + sizeof(tmp);
	unsigned long long u = i < 0 ? 0ULL - (unsigned long long)i :
		(unsigned long long)i;

	do
		*--p = (char)('0' + u % 10);
	while (u /= 10);
	if (i < 0)
		*--p = '-';
	crq_buf_put(out, p, (size_t)(tmp + sizeof(tmp) - p));
}

static void indent(crq_buf *out, int pretty, int level)
{
	static const char spaces[] = "                                ";
	size_t n = 2 * (size_t)level, k;

	if (!pretty)
		return;
	crq_buf_putc(out, '\n');
	for (; n; n -= k) {
		k = n < sizeof(spaces) - 1 ? n : sizeof(spaces) - 1;
		crq_buf_put(out, spaces, k);
	}
}

static void write_node(crq_buf *out, const crq_node *n, int pretty,
	int level)
{
	size_t i;

	if (!n) {
		crq_buf_puts(out, "null");
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
		write_int(out, n->i);
		break;
	case CRQ_NODE_NUMBER:
		write_number(out, n->n);
		break;
	case CRQ_NODE_STRING:
		crq_json_write_string(out, n->str ? n->str : "",
			n->str ? n->len : 0);
		break;
	case CRQ_NODE_ARRAY:
		crq_buf_putc(out, '[');
		for (i = 0; i < n->count; i++) {
			if (i)
				crq_buf_putc(out, ',');
			indent(out, pretty, level + 1);
			write_node(out, n->items[i], pretty, level + 1);
		}
		if (n->count)
			indent(out, pretty, level);
		crq_buf_putc(out, ']');
		break;
	case CRQ_NODE_OBJECT:
		crq_buf_putc(out, '{');
		for (i = 0; i < n->count; i++) {
			if (i)
				crq_buf_putc(out, ',');
			indent(out, pretty, level + 1);
			crq_json_write_string(out, n->keys[i],
				strlen(n->keys[i]));
			crq_buf_puts(out, pretty ? ": " : ":");
			write_node(out, n->items[i], pretty, level + 1);
		}
		if (n->count)
			indent(out, pretty, level);
		crq_buf_putc(out, '}');
		break;
	}
}

void crq_json__write_at(crq_buf *out, const crq_node *node, int level)
{
	write_node(out, node, 1, level);
	crq_buf_put(out, "", 0);
}

void crq_json_write(crq_buf *out, const crq_node *node, int pretty)
{
	write_node(out, node, pretty, 0);
	/* keep the NUL-termination invariant even for empty output */
	crq_buf_put(out, "", 0);
}
