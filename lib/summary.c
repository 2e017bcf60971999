/*
 * summary.c - the summary of a change: its short top-level fields as
 * bytes (see summary.h).
 *
 * The bytes are, for each field the change has, in the order of the
 * table below: the field's index, its kind, and then
 *   STRING            a 4-byte length, the bytes, a NUL
 *   STRINGS, ARRAY    a 4-byte count, then each string as above
 *   OTHER             nothing
 * Numbers are little-endian.  The NULs let a reader hand out the
 * strings where they lie.
 */
#include <string.h>
#include "summary.h"

static const char *const field_names[CRQ_SUM__COUNT] = {
	"id", "title", "type", "state", "template", "requester", "owner",
	"services", "impact", "urgency", "priority", "risk", "implementer",
	"incident", "close_code", "review_due", "created", "updated"
};

int crq_summary__field(const char *name)
{
	int i;

	/* the first letter rules out most: a change has some 25 keys */
	for (i = 0; i < CRQ_SUM__COUNT; i++)
		if (name[0] == field_names[i][0] &&
		    !strcmp(name + 1, field_names[i] + 1))
			return i;
	return -1;
}

static void put32(crq_buf *out, uint32_t v)
{
	char b[4];

	b[0] = (char)(v & 0xff);
	b[1] = (char)((v >> 8) & 0xff);
	b[2] = (char)((v >> 16) & 0xff);
	b[3] = (char)((v >> 24) & 0xff);
	crq_buf_put(out, b, 4);
}

static uint32_t get32(const char *p)
{
	const unsigned char *b = (const unsigned char *)p;

	return (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 |
		(uint32_t)b[3] << 24;
}

static void put_string(crq_buf *out, const crq_node *s)
{
	put32(out, (uint32_t)s->len);
	crq_buf_put(out, s->str, s->len);
	crq_buf_putc(out, '\0');
}

void crq_summary__write(crq_buf *out, const crq_node *doc)
{
	const crq_node *at[CRQ_SUM__COUNT] = { NULL };
	size_t i, k, n;
	int f;

	/* one pass over the change's keys, not a lookup per field */
	for (i = 0; doc->kind == CRQ_NODE_OBJECT && i < doc->count; i++)
		if ((f = crq_summary__field(doc->keys[i])) >= 0 && !at[f])
			at[f] = doc->items[i];
	for (f = 0; f < CRQ_SUM__COUNT; f++) {
		const crq_node *v = at[f];
		char head[2];

		if (!v)
			continue;
		head[0] = (char)f;
		if (v->kind == CRQ_NODE_STRING) {
			head[1] = CRQ_SUM_STRING;
			crq_buf_put(out, head, 2);
			put_string(out, v);
		} else if (v->kind == CRQ_NODE_ARRAY) {
			for (k = n = 0; k < v->count; k++)
				n += v->items[k]->kind == CRQ_NODE_STRING;
			head[1] = n == v->count ? CRQ_SUM_STRINGS : CRQ_SUM_ARRAY;
			crq_buf_put(out, head, 2);
			put32(out, (uint32_t)n);
			for (k = 0; k < v->count; k++)
				if (v->items[k]->kind == CRQ_NODE_STRING)
					put_string(out, v->items[k]);
		} else {
			head[1] = CRQ_SUM_OTHER;
			crq_buf_put(out, head, 2);
		}
	}
}

/* Check one string at p of at most avail bytes; its size, or 0. */
static size_t string_size(const char *p, size_t avail)
{
	uint32_t len;

	if (avail < 5 || (len = get32(p)) > avail - 5 || p[4 + len] != '\0')
		return 0;
	return 5 + (size_t)len;
}

int crq_summary__read(crq_summary *out, const void *data, size_t len)
{
	const char *p = data, *end = p + len;
	int last = -1;

	memset(out, 0, sizeof(*out));
	while (p < end) {
		crq_summary_value *v;
		size_t n;
		uint32_t k;
		int f = (unsigned char)p[0];

		if (end - p < 2 || f >= CRQ_SUM__COUNT || f <= last ||
		    p[1] < CRQ_SUM_STRING || p[1] > CRQ_SUM_OTHER)
			return -1;
		last = f;
		v = &out->v[f];
		v->kind = (unsigned char)p[1];
		p += 2;
		if (v->kind == CRQ_SUM_STRING) {
			if (!(n = string_size(p, (size_t)(end - p))))
				return -1;
			v->len = get32(p);
			v->data = p + 4;
			p += n;
		} else if (v->kind != CRQ_SUM_OTHER) {
			if (end - p < 4)
				return -1;
			v->count = get32(p);
			p += 4;
			v->data = p;
			for (k = 0; k < v->count; k++) {
				if (!(n = string_size(p, (size_t)(end - p))))
					return -1;
				p += n;
			}
		}
	}
	return 0;
}

const char *crq_summary__str(const crq_summary *s, int field)
{
	return s->v[field].kind == CRQ_SUM_STRING ? s->v[field].data : NULL;
}

int crq_summary__has(const crq_summary *s, int field, const char *item)
{
	const crq_summary_value *v = &s->v[field];
	const char *p = v->data;
	size_t want = strlen(item);
	uint32_t k, len;

	if (v->kind != CRQ_SUM_STRINGS && v->kind != CRQ_SUM_ARRAY)
		return 0;
	for (k = 0; k < v->count; k++, p += 5 + len) {
		len = get32(p);
		if (len == want && !memcmp(p + 4, item, want))
			return 1;
	}
	return 0;
}

void crq_summary__fields(crq_summary_fields *out, const char *const *names)
{
	int f, k;

	out->n = 0;
	out->all = 1;
	for (; *names; names++) {
		if ((f = crq_summary__field(*names)) < 0) {
			out->all = 0;
			continue;
		}
		for (k = 0; k < out->n && out->idx[k] != f; k++)
			;
		if (k == out->n)
			out->idx[out->n++] = f;
	}
}

int crq_summary__covers(const crq_summary *s, const crq_summary_fields *fs)
{
	int k;

	if (!fs->all)
		return 0;
	for (k = 0; k < fs->n; k++)
		if (s->v[fs->idx[k]].kind != CRQ_SUM_ABSENT &&
		    s->v[fs->idx[k]].kind != CRQ_SUM_STRING &&
		    s->v[fs->idx[k]].kind != CRQ_SUM_STRINGS)
			return 0;
	return 1;
}

crq_node *crq_summary__doc(const crq_summary *s, const crq_summary_fields *fs)
{
	crq_node *doc = crq_node_new(CRQ_NODE_OBJECT);
	uint32_t i, len;
	int k, f;

	for (k = 0; k < fs->n; k++) {
		const crq_summary_value *v = &s->v[f = fs->idx[k]];
		const char *p;
		crq_node *arr;

		if (v->kind == CRQ_SUM_STRING) {
			crq_node__append(doc, crq__strdup(field_names[f]),
				crq_node_new_string(v->data, v->len));
		} else if (v->kind == CRQ_SUM_STRINGS) {
			arr = crq_node_new(CRQ_NODE_ARRAY);
			for (i = 0, p = v->data; i < v->count; i++, p += 5 + len) {
				len = get32(p);
				crq_node_push(arr, crq_node_new_string(p + 4, len));
			}
			crq_node__append(doc, crq__strdup(field_names[f]), arr);
		}
	}
	return doc;
}
