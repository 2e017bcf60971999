/*
 * dashboard.c - one self-contained HTML5 page from the report, the
 * audit pack, the calendar and the RACI matrix: a pure renderer from
 * crq_node trees to text.
 *
 * Security decisions: the page has no script, loads nothing (no URL,
 * no font, no url(), no @import) and every string that comes from a
 * node goes through esc(): change titles, members and messages come
 * from repositories we do not trust.  It is deterministic: "now" is
 * the nodes' generated time, never the clock.
 */
#include <assert.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "internal.h"

#define DAY 86400LL
/* at most this many months in the calendar, rows in the Gantt chart */
#define MAX_MONTHS 24
#define MAX_ROWS 500

struct page {
	crq_buf *out;
	int charts;		/* charts so far: their element ids */
	long long now;		/* the nodes' "generated", 0 when none */
};

static void put(struct page *p, const char *s)
{
	crq_buf_puts(p->out, s);
}

static void putf(struct page *p, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void putf(struct page *p, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	crq_buf_vprintf(p->out, fmt, ap);
	va_end(ap);
}

/* ---- escaping ------------------------------------------------------ */

/* The code point at s (len > 0 bytes) and its length in *n; -1 (*n =
 * 1) for a malformed sequence. */
static long utf8_next(const unsigned char *s, size_t len, size_t *n)
{
	unsigned c = s[0];
	long cp, min;
	size_t k, need;

	*n = 1;
	if (c < 0x80)
		return (long)c;
	if (c >= 0xc2 && c <= 0xdf) {
		need = 1, cp = c & 0x1f, min = 0x80;
	} else if (c >= 0xe0 && c <= 0xef) {
		need = 2, cp = c & 0x0f, min = 0x800;
	} else if (c >= 0xf0 && c <= 0xf4) {
		need = 3, cp = c & 0x07, min = 0x10000;
	} else {
		return -1;
	}
	if (len < need + 1)
		return -1;
	for (k = 1; k <= need; k++) {
		if ((s[k] & 0xc0) != 0x80)
			return -1;
		cp = cp << 6 | (s[k] & 0x3f);
	}
	if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return -1;
	*n = need + 1;
	return cp;
}

/* Characters HTML calls parse errors (controls, non-characters), and a
 * terminal's escapes: never written. */
static int dropped(long cp)
{
	if (cp == '\t' || cp == '\n')
		return 0;
	return cp >= 0 && (cp < 0x20 || (cp >= 0x7f && cp <= 0x9f) ||
		(cp >= 0xfdd0 && cp <= 0xfdef) || (cp & 0xfffe) == 0xfffe);
}

/*
 * s for text and attribute values alike: & < > " ' and / as character
 * references (data can neither close an element nor an attribute, nor
 * write "//"), dropped() characters left out, malformed UTF-8 as
 * U+FFFD.  At most max code points (0: all); a cut ends in an ellipsis.
 */
static void esc_cut(crq_buf *out, const char *s, size_t max, int ellipsis)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t len, i, n, cps = 0, limit = 0;
	long cp;

	if (!s)
		return;
	len = strlen(s);
	if (max) {
		for (i = 0; i < len; i += n)
			if (!dropped(utf8_next(u + i, len - i, &n)))
				cps++;
		if (cps > max)
			limit = ellipsis ? max - 1 : max;
		cps = 0;
	}
	for (i = 0; i < len; i += n) {
		cp = utf8_next(u + i, len - i, &n);
		if (dropped(cp))
			continue;
		if (limit && cps == limit) {
			if (ellipsis)
				crq_buf_puts(out, "\xe2\x80\xa6");
			break;
		}
		cps++;
		switch (cp) {
		case '&': crq_buf_puts(out, "&amp;"); break;
		case '<': crq_buf_puts(out, "&lt;"); break;
		case '>': crq_buf_puts(out, "&gt;"); break;
		case '"': crq_buf_puts(out, "&quot;"); break;
		case '\'': crq_buf_puts(out, "&#39;"); break;
		case '/': crq_buf_puts(out, "&#47;"); break;
		case -1: crq_buf_puts(out, "\xef\xbf\xbd"); break;
		default: crq_buf_put(out, s + i, n);
		}
	}
}

static void esc_max(crq_buf *out, const char *s, size_t max)
{
	esc_cut(out, s, max, 1);
}

/* the first n characters: commit ids */
static void esc_short(struct page *p, const char *s, size_t n)
{
	esc_cut(p->out, s, n, 0);
}

static void esc(struct page *p, const char *s)
{
	esc_max(p->out, s, 0);
}

/* s, or an em dash when there is none */
static void esc_or_dash(struct page *p, const char *s)
{
	if (s && *s)
		esc(p, s);
	else
		put(p, "\xe2\x80\x94");
}

/* An element id from data: letters, digits, - _ . kept, others '_'. */
static void put_id(struct page *p, const char *s)
{
	char c[2] = { 0, 0 };

	if (!s || !*s) {
		put(p, "x");
		return;
	}
	for (; *s; s++) {
		c[0] = (*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
			(*s >= '0' && *s <= '9') || *s == '-' || *s == '_' ||
			*s == '.' ? *s : '_';
		put(p, c);
	}
}

/* A class name from data: [a-z0-9-], upper case lowered, the rest
 * left out ("n/a" -> "na"); "other" when nothing is left. */
static void put_token(struct page *p, const char *s)
{
	char c[2] = { 0, 0 };
	size_t n = 0;

	for (; s && *s; s++) {
		if (*s >= 'A' && *s <= 'Z')
			c[0] = (char)(*s - 'A' + 'a');
		else if ((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') ||
			 *s == '-')
			c[0] = *s;
		else
			continue;
		put(p, c);
		n++;
	}
	if (!n)
		put(p, "other");
}

/* ---- reading the nodes --------------------------------------------- */

static const crq_node *member(const crq_node *o, const char *k)
{
	return o && o->kind == CRQ_NODE_OBJECT ? crq_node_get(o, k) : NULL;
}

static const char *mstr(const crq_node *o, const char *k)
{
	const crq_node *v = member(o, k);

	return v && v->kind == CRQ_NODE_STRING ? v->str : NULL;
}

static const crq_node *marr(const crq_node *o, const char *k)
{
	const crq_node *v = member(o, k);

	return v && v->kind == CRQ_NODE_ARRAY ? v : NULL;
}

static const crq_node *mobj(const crq_node *o, const char *k)
{
	const crq_node *v = member(o, k);

	return v && v->kind == CRQ_NODE_OBJECT ? v : NULL;
}

static double num(const crq_node *v)
{
	if (v && v->kind == CRQ_NODE_INT)
		return (double)v->i;
	if (v && v->kind == CRQ_NODE_NUMBER)
		return v->n;
	return NAN;
}

/* o[k] as a number, NAN when absent, null or not a number */
static double mnum(const crq_node *o, const char *k)
{
	return num(member(o, k));
}

static long long mint(const crq_node *o, const char *k)
{
	double d = mnum(o, k);

	return isnan(d) ? 0 : (long long)d;
}

static int mtrue(const crq_node *o, const char *k)
{
	const crq_node *v = member(o, k);

	return v && v->kind == CRQ_NODE_BOOL && v->b;
}

/* ---- time ---------------------------------------------------------- */

static const char *const month_name[] = { "January", "February", "March",
	"April", "May", "June", "July", "August", "September", "October",
	"November", "December" };
static const char *const wday_name[] = { "Monday", "Tuesday",
	"Wednesday", "Thursday", "Friday", "Saturday", "Sunday" };

/* Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant). */
static long long days_from_civil(long long y, int m, int d)
{
	long long era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

static void civil_from_days(long long z, int *y, int *m, int *d)
{
	long long era, doe, yoe, doy, mp;

	z += 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = z - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	*d = (int)(doy - (153 * mp + 2) / 5 + 1);
	*m = (int)(mp < 10 ? mp + 3 : mp - 9);
	*y = (int)(yoe + era * 400 + (*m <= 2));
}

static long long floordiv(long long a, long long b)
{
	return a / b - (a % b != 0 && (a < 0) != (b < 0));
}

/* Monday 0 .. Sunday 6 of day z (days since the epoch, a Thursday) */
static int weekday(long long z)
{
	return (int)(((z + 3) % 7 + 7) % 7);
}

static int is_digits(const char *s, int n)
{
	int i;

	for (i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return 0;
	return 1;
}

static int digits(const char *s, int n)
{
	int v = 0, i;

	for (i = 0; i < n; i++)
		v = v * 10 + (s[i] - '0');
	return v;
}

/* RFC 3339 (or a date YYYY-MM-DD: its midnight) to seconds since the
 * epoch; 0 when s is not one. */
static int parse_time(const char *s, long long *t)
{
	int y, mo, d, h = 0, mi = 0, se = 0;
	long long off = 0;
	const char *r;

	if (!s || strlen(s) < 10 || !is_digits(s, 4) || s[4] != '-' ||
	    !is_digits(s + 5, 2) || s[7] != '-' || !is_digits(s + 8, 2))
		return 0;
	y = digits(s, 4), mo = digits(s + 5, 2), d = digits(s + 8, 2);
	r = s + 10;
	if (*r == 'T' || *r == 't' || *r == ' ') {
		if (strlen(r) < 9 || !is_digits(r + 1, 2) || r[3] != ':' ||
		    !is_digits(r + 4, 2) || r[6] != ':' || !is_digits(r + 7, 2))
			return 0;
		h = digits(r + 1, 2), mi = digits(r + 4, 2);
		se = digits(r + 7, 2);
		r += 9;
		if (*r == '.')
			for (r++; *r >= '0' && *r <= '9'; r++)
				;
		if (*r == 'Z' || *r == 'z') {
			r++;
		} else if ((*r == '+' || *r == '-') && strlen(r) >= 6 &&
			   is_digits(r + 1, 2) && r[3] == ':' &&
			   is_digits(r + 4, 2)) {
			off = digits(r + 1, 2) * 3600LL + digits(r + 4, 2) * 60;
			if (*r == '-')
				off = -off;
			r += 6;
		} else {
			return 0;
		}
	}
	if (*r || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 ||
	    mi > 59 || se > 60)
		return 0;
	*t = days_from_civil(y, mo, d) * DAY + h * 3600LL + mi * 60 + se - off;
	return 1;
}

/* "2026-11-05 01:00", with ":SS" when there are seconds */
static void fmt_time(char out[32], long long t)
{
	long long z = floordiv(t, DAY), s = t - z * DAY;
	int y, m, d;

	civil_from_days(z, &y, &m, &d);
	snprintf(out, 32, "%04d-%02d-%02d %02d:%02d", y, m, d,
		(int)(s / 3600), (int)(s % 3600 / 60));
	if (s % 60)
		snprintf(out + 16, 16, ":%02d", (int)(s % 60));
}

/* "01:00" */
static void fmt_hm(char out[16], long long t)
{
	long long s = t - floordiv(t, DAY) * DAY;

	snprintf(out, 16, "%02d:%02d", (int)(s / 3600), (int)(s % 3600 / 60));
}

/* "Nov 5" */
static void fmt_md(char out[16], long long t)
{
	int y, m, d;

	civil_from_days(floordiv(t, DAY), &y, &m, &d);
	snprintf(out, 16, "%.3s %d", month_name[m - 1], d);
}

/* An instant from the nodes: <time> with the original as datetime. */
static void put_time(struct page *p, const char *s)
{
	char b[32];
	long long t;

	if (!s) {
		put(p, "\xe2\x80\x94");
		return;
	}
	if (!parse_time(s, &t)) {
		esc(p, s);
		return;
	}
	fmt_time(b, t);
	put(p, "<time datetime=\"");
	esc(p, s);
	putf(p, "\">%s</time>", b);
}

/* Durations for people: 45s, 12m, 2h 30m, 3d 4h. */
static void fmt_dur(char out[32], double secs)
{
	const char *sign = "";
	long long s, d, h, m;

	if (isnan(secs)) {
		snprintf(out, 32, "\xe2\x80\x94");
		return;
	}
	if (secs < 0) {
		sign = "-";
		secs = -secs;
	}
	if (secs > 1e15)	/* thirty million years: llround's range */
		secs = 1e15;
	s = llround(secs);
	d = s / DAY, h = s % DAY / 3600, m = s % 3600 / 60;
	if (d && h)
		snprintf(out, 32, "%s%lldd %lldh", sign, d, h);
	else if (d)
		snprintf(out, 32, "%s%lldd", sign, d);
	else if (h && m)
		snprintf(out, 32, "%s%lldh %lldm", sign, h, m);
	else if (h)
		snprintf(out, 32, "%s%lldh", sign, h);
	else if (m)
		snprintf(out, 32, "%s%lldm", sign, m);
	else
		snprintf(out, 32, "%s%llds", sign, s);
}

enum unit { U_COUNT, U_SECS, U_RATE };

static void fmt_value(char out[32], enum unit u, double v)
{
	if (isnan(v))
		snprintf(out, 32, "\xe2\x80\x94");
	else if (u == U_SECS)
		fmt_dur(out, v);
	else if (u == U_RATE)
		snprintf(out, 32, "%.1f%%", v * 100);
	else if (v == floor(v))
		snprintf(out, 32, "%.0f", v);
	else
		snprintf(out, 32, "%.2f", v);
}

/* ---- tables -------------------------------------------------------- */

/* <table> with its caption and column headers (NULL-terminated;
 * a leading '#' marks a numeric column) */
static void table_open(struct page *p, const char *cls, const char *caption,
	const char *const *heads)
{
	size_t i;

	putf(p, "<table class=\"%s\">\n<caption>", cls);
	put(p, caption);
	put(p, "</caption>\n<thead><tr>");
	for (i = 0; heads[i]; i++)
		putf(p, "<th scope=\"col\"%s>%s</th>",
			heads[i][0] == '#' ? " class=\"num\"" : "",
			heads[i] + (heads[i][0] == '#'));
	put(p, "</tr></thead>\n<tbody>\n");
}

static void table_close(struct page *p)
{
	put(p, "</tbody>\n</table>\n");
}

static void td_num(struct page *p, enum unit u, double v)
{
	char b[32];

	fmt_value(b, u, v);
	putf(p, "<td class=\"num\">%s</td>", b);
}

/* ---- charts -------------------------------------------------------- */

struct chart {
	const char *title;	/* its <title> */
	const char *lead;	/* its <desc> starts so */
	enum unit unit;
	size_t ncat, nser;
	const char *ser[2];	/* series names: a legend when two */
	const char **cat;	/* category labels (from the nodes) */
	const char **cls;	/* a bar class per category, or NULL: by
				 * series (s0, s1) */
	double *v;		/* ncat * nser values, NAN: none */
	double *target;		/* a marker per category (NAN: none), or
				 * NULL */
	const char *target_name;
	int wide;		/* the full width of the page */
};

static void chart_init(struct chart *c, size_t ncat, size_t nser)
{
	size_t i;

	memset(c, 0, sizeof(*c));
	c->ncat = ncat;
	c->nser = nser;
	c->cat = crq__calloc(ncat + 1, sizeof(*c->cat));
	c->v = crq__calloc(ncat * nser + 1, sizeof(*c->v));
	for (i = 0; i < ncat * nser; i++)
		c->v[i] = NAN;
}

static void chart_dispose(struct chart *c)
{
	free(c->cat);
	free((void *)c->cls);
	free(c->v);
	free(c->target);
}

static double chart_max(const struct chart *c)
{
	double m = 0;
	size_t i;

	for (i = 0; i < c->ncat * c->nser; i++)
		if (!isnan(c->v[i]) && c->v[i] > m)
			m = c->v[i];
	for (i = 0; c->target && i < c->ncat; i++)
		if (!isnan(c->target[i]) && c->target[i] > m)
			m = c->target[i];
	return m;
}

/* The axis: its end (a whole number of steps) and the step, in steps
 * people read: 1, 2, 5 times a power of ten; minutes, hours, days;
 * quarters of 100%. */
static double axis_max(enum unit u, double max, double *step)
{
	static const double secs[] = { 60, 300, 600, 900, 1800, 3600, 7200,
		10800, 21600, 43200, 86400, 172800, 345600, 604800, 1209600,
		2592000, 5184000, 7776000, 15552000, 31536000 };
	double raw = max / 4, mag;
	size_t i;

	if (u == U_RATE) {
		*step = 0.25;
		return 1;
	}
	if (!(raw > 0))
		raw = u == U_SECS ? 3600 : 1;
	if (u == U_SECS) {
		*step = secs[CRQ_ARRAY_SIZE(secs) - 1];
		for (i = 0; i < CRQ_ARRAY_SIZE(secs); i++)
			if (secs[i] >= raw) {
				*step = secs[i];
				break;
			}
		if (*step < raw)
			*step *= ceil(raw / *step);
	} else {
		mag = pow(10, floor(log10(raw)));
		*step = raw <= mag ? mag : raw <= 2 * mag ? 2 * mag :
			raw <= 5 * mag ? 5 * mag : 10 * mag;
		if (*step < 1)
			*step = 1;
	}
	return max > 0 ? *step * ceil(max / *step - 1e-9) : *step;
}

/* <svg class="chart"> with its accessible name and text alternative
 * (the text of desc follows; the caller closes it with desc_end). */
static int chart_open(struct page *p, int w, int h, const char *title)
{
	int id = ++p->charts;

	putf(p, "<svg class=\"chart\" role=\"img\" "
		"aria-labelledby=\"chart-%d-t chart-%d-d\" "
		"viewBox=\"0 0 %d %d\" width=\"%d\" height=\"%d\">\n"
		"<title id=\"chart-%d-t\">", id, id, w, h, w, h, id);
	esc(p, title);
	putf(p, "</title>\n<desc id=\"chart-%d-d\">", id);
	return id;
}

static void desc_end(struct page *p)
{
	put(p, "</desc>\n");
}

/* The text alternative of a bar chart: every number it shows. */
static void chart_desc(struct page *p, const struct chart *c)
{
	char b[32];
	size_t i, s;

	esc(p, c->lead);
	put(p, ": ");
	for (i = 0; i < c->ncat; i++) {
		put(p, i ? "; " : "");
		esc(p, c->cat[i]);
		for (s = 0; s < c->nser; s++) {
			fmt_value(b, c->unit, c->v[i * c->nser + s]);
			putf(p, "%s%s%s%s", s ? ", " : " ", c->nser > 1 ?
				c->ser[s] : "", c->nser > 1 ? " " : "", b);
		}
		if (c->target && !isnan(c->target[i])) {
			fmt_value(b, c->unit, c->target[i]);
			putf(p, ", %s %s", c->target_name, b);
		}
	}
	put(p, ".");
	desc_end(p);
}

static void tick_label(char out[32], enum unit u, double v)
{
	if (v == 0)
		snprintf(out, 32, "0");
	else if (u == U_RATE)
		snprintf(out, 32, "%.0f%%", v * 100);
	else
		fmt_value(out, u, v);
}

static void legend(struct page *p, const struct chart *c, int x, int y)
{
	size_t s;

	put(p, "<g class=\"legend\">");
	for (s = 0; c->nser > 1 && s < c->nser; s++, x += 70)
		putf(p, "<rect class=\"bar s%zu\" x=\"%d\" y=\"%d\" "
			"width=\"10\" height=\"10\" rx=\"2\"/>"
			"<text x=\"%d\" y=\"%d\">%s</text>",
			s, x, y - 9, x + 14, y, c->ser[s]);
	if (c->target)
		putf(p, "<line class=\"target\" x1=\"%d\" y1=\"%d\" x2=\"%d\" "
			"y2=\"%d\"/><text x=\"%d\" y=\"%d\">%s</text>", x + 4,
			y - 11, x + 4, y + 1, x + 12, y, c->target_name);
	put(p, "</g>\n");
}

static void bar_class(struct page *p, const struct chart *c, size_t i,
	size_t s)
{
	if (c->cls && c->cls[i])
		putf(p, "bar %s", c->cls[i]);
	else
		putf(p, "bar s%zu", s);
}

/* Horizontal bars: a row per category, a bar per series. */
static void chart_rows(struct page *p, const struct chart *c)
{
	const int W = c->wide ? 820 : 560, LX = 150, X0 = 158,
		X1 = W - 76, BH = 12;
	int legend_h = c->nser > 1 || c->target ? 24 : 4;
	int rowh = (int)c->nser * (BH + 3) + 9, top = legend_h + 4;
	int bottom = top + (int)c->ncat * rowh, H = bottom + 20;
	double step, amax = axis_max(c->unit, chart_max(c), &step), x, w;
	char b[32];
	size_t i, s, k;
	int y, by;

	chart_open(p, W, H, c->title);
	chart_desc(p, c);
	if (legend_h > 4)
		legend(p, c, X0, 14);
	put(p, "<g class=\"axis\">");
	for (k = 0; k * step <= amax * (1 + 1e-9); k++) {
		x = X0 + (X1 - X0) * (k * step / amax);
		tick_label(b, c->unit, k * step);
		putf(p, "<line class=\"gl\" x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" "
			"y2=\"%d\"/><text class=\"tick\" x=\"%.1f\" y=\"%d\" "
			"text-anchor=\"middle\">%s</text>", x, top - 2, x,
			bottom, x, bottom + 14, b);
	}
	putf(p, "<line class=\"base\" x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\"/>"
		"</g>\n", X0, top - 2, X0, bottom);
	for (i = 0; i < c->ncat; i++) {
		y = top + (int)i * rowh + 4;
		putf(p, "<g class=\"row\"><text class=\"label\" x=\"%d\" "
			"y=\"%d\" text-anchor=\"end\">", LX,
			y + (int)c->nser * (BH + 3) / 2 + 3);
		esc_max(p->out, c->cat[i], 24);
		put(p, "</text>");
		for (s = 0; s < c->nser; s++) {
			double v = c->v[i * c->nser + s];

			by = y + (int)s * (BH + 3);
			fmt_value(b, c->unit, v);
			if (isnan(v)) {
				putf(p, "<text class=\"val none\" x=\"%d\" "
					"y=\"%d\">%s</text>", X0 + 4, by + BH - 2, b);
				continue;
			}
			w = (X1 - X0) * (v > 0 ? v : 0) / amax;
			if (v > 0 && w < 1.5)
				w = 1.5;
			put(p, "<rect class=\"");
			bar_class(p, c, i, s);
			putf(p, "\" x=\"%d\" y=\"%d\" width=\"%.1f\" "
				"height=\"%d\" rx=\"2\"><title>", X0, by, w, BH);
			esc(p, c->cat[i]);
			putf(p, "%s%s: %s</title></rect><text class=\"val\" "
				"x=\"%.1f\" y=\"%d\">%s</text>",
				c->nser > 1 ? " " : "", c->nser > 1 ? c->ser[s] : "",
				b, X0 + w + 4,
				by + BH - 2, b);
		}
		if (c->target && !isnan(c->target[i])) {
			x = X0 + (X1 - X0) * c->target[i] / amax;
			putf(p, "<line class=\"target\" x1=\"%.1f\" y1=\"%d\" "
				"x2=\"%.1f\" y2=\"%d\"/>", x, y - 3, x,
				y + (int)c->nser * (BH + 3));
		}
		put(p, "</g>\n");
	}
	put(p, "</svg>\n");
}

/* Columns: a column per category (months, left to right). */
static void chart_cols(struct page *p, const struct chart *c)
{
	const int W = 560, H = 230, X0 = 40, X1 = 548, TOP = 18, Y1 = H - 42;
	double step, amax = axis_max(c->unit, chart_max(c), &step), band,
		bw, x, h, y;
	int many = c->ncat > 8, every = c->ncat > 24 ? 3 : c->ncat > 16 ? 2 : 1;
	char b[32];
	size_t i, k;

	chart_open(p, W, H, c->title);
	chart_desc(p, c);
	put(p, "<g class=\"axis\">");
	for (k = 0; k * step <= amax * (1 + 1e-9); k++) {
		y = Y1 - (Y1 - TOP) * (k * step / amax);
		tick_label(b, c->unit, k * step);
		putf(p, "<line class=\"gl\" x1=\"%d\" y1=\"%.1f\" x2=\"%d\" "
			"y2=\"%.1f\"/><text class=\"tick\" x=\"%d\" y=\"%.1f\" "
			"text-anchor=\"end\">%s</text>", X0, y, X1, y, X0 - 6,
			y + 3.5, b);
	}
	putf(p, "<line class=\"base\" x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\"/>"
		"</g>\n", X0, Y1, X1, Y1);
	band = (double)(X1 - X0) / (double)(c->ncat ? c->ncat : 1);
	bw = band * 0.66 > 46 ? 46 : band * 0.66;
	for (i = 0; i < c->ncat; i++) {
		double v = c->v[i];
		int yy = 0, mm = 0;
		const char *l = c->cat[i];

		x = X0 + band * (double)i + (band - bw) / 2;
		fmt_value(b, c->unit, v);
		put(p, "<g class=\"col\">");
		if (!isnan(v)) {
			h = (Y1 - TOP) * (v > 0 ? v : 0) / amax;
			put(p, "<rect class=\"");
			bar_class(p, c, i, 0);
			putf(p, "\" x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" "
				"height=\"%.1f\" rx=\"2\"><title>", x, Y1 - h,
				bw, h);
			esc(p, l);
			putf(p, ": %s</title></rect><text class=\"val\" "
				"x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">%s"
				"</text>", b,
				x + bw / 2, Y1 - h - 4, b);
		}
		if (i % (size_t)every == 0) {
			putf(p, "<text class=\"label\" x=\"%.1f\" y=\"%d\" "
				"text-anchor=\"middle\">", x + bw / 2, Y1 + 15);
			if (l && strlen(l) == 7 && is_digits(l, 4) &&
			    l[4] == '-' && is_digits(l + 5, 2) &&
			    (mm = digits(l + 5, 2)) >= 1 && mm <= 12) {
				yy = digits(l, 4);
				if (!many)
					putf(p, "%.3s %d</text>",
						month_name[mm - 1], yy);
				else
					putf(p, "%.3s</text>",
						month_name[mm - 1]);
				if (many && (i == 0 || mm == 1))
					putf(p, "<text class=\"tick\" "
						"x=\"%.1f\" y=\"%d\" "
						"text-anchor=\"middle\">%d"
						"</text>",
						x + bw / 2, Y1 + 29, yy);
			} else {
				esc_max(p->out, l, 10);
				put(p, "</text>");
			}
		}
		put(p, "</g>\n");
	}
	put(p, "</svg>\n");
}

/* ---- the page's frame ---------------------------------------------- */

static const char style[] =
":root{--ink:#1f2937;--muted:#5b6472;--line:#e3e7ed;--soft:#f3f5f8;"
"--accent:#1d4ed8;--p50:#2563eb;--p90:#93c5fd;--good:#15803d;"
"--warn:#b45309;--bad:#b91c1c}\n"
"*{box-sizing:border-box}\n"
"html{-webkit-print-color-adjust:exact;print-color-adjust:exact}\n"
"body{margin:0;background:#eef1f5;color:var(--ink);"
"font:14px/1.45 system-ui,-apple-system,\"Segoe UI\",Roboto,"
"\"DejaVu Sans\",\"Liberation Sans\",Arial,sans-serif}\n"
".page{max-width:1200px;margin:0 auto;padding:20px 24px 40px}\n"
"header.top{background:#12315a;color:#fff;padding:18px 24px;"
"border-radius:10px}\n"
"header.top h1{margin:0 0 4px;font-size:24px;letter-spacing:.01em}\n"
"header.top p{margin:0;color:#d5deea;font-size:13px}\n"
"nav.toc{margin:12px 0 0}\n"
"nav.toc ul{list-style:none;margin:0;padding:0;display:flex;"
"flex-wrap:wrap;gap:8px}\n"
"nav.toc a{display:inline-block;padding:4px 12px;border-radius:999px;"
"background:#fff;border:1px solid var(--line);color:var(--accent);"
"text-decoration:none;font-size:13px}\n"
"section.block{background:#fff;border:1px solid var(--line);"
"border-radius:10px;padding:18px 22px;margin:16px 0}\n"
"h2{font-size:19px;margin:0 0 12px;padding-bottom:8px;"
"border-bottom:2px solid var(--line)}\n"
"h3{font-size:15px;margin:0 0 8px}\n"
"p.lead{margin:0 0 12px;color:var(--muted)}\n"
"p.empty{color:var(--muted);font-style:italic}\n"
"dl.cards{display:grid;grid-template-columns:repeat(auto-fill,"
"minmax(150px,1fr));gap:10px;margin:0 0 8px}\n"
"dl.cards div{border:1px solid var(--line);border-left:4px solid "
"var(--accent);border-radius:8px;padding:8px 12px;background:#fafbfd}\n"
"dl.cards dt{font-size:11.5px;color:var(--muted);text-transform:uppercase;"
"letter-spacing:.04em}\n"
"dl.cards dd{margin:2px 0 0;font-size:22px;font-weight:650}\n"
"dl.cards dd small{display:block;font-size:12px;font-weight:400;"
"color:var(--muted)}\n"
"dl.cards div.good{border-left-color:var(--good)}\n"
"dl.cards div.good dd{color:var(--good)}\n"
"dl.cards div.bad{border-left-color:var(--bad);background:#fff7f7}\n"
"dl.cards div.bad dd{color:var(--bad)}\n"
".grid{display:grid;grid-template-columns:repeat(2,minmax(0,1fr));"
"gap:14px;align-items:start}\n"
"section.metric{border:1px solid var(--line);border-radius:8px;"
"padding:12px 14px;min-width:0}\n"
"section.metric.wide{grid-column:1/-1}\n"
"svg.chart{display:block;max-width:100%;height:auto;margin:4px 0 6px}\n"
"svg text{font-family:inherit;font-size:11px;fill:#374151}\n"
"svg .tick{fill:var(--muted);font-size:10px}\n"
"svg .val{font-size:10.5px;fill:#1f2937}\n"
"svg .val.none{fill:var(--muted)}\n"
"svg .gl{stroke:#e8ebf0;stroke-width:1}\n"
"svg .base{stroke:#9aa3af;stroke-width:1}\n"
"svg .bar.s0{fill:var(--p50)}\n"
"svg .bar.s1{fill:var(--p90)}\n"
"svg .bar.ok{fill:#16a34a}\n"
"svg .bar.warn{fill:#f59e0b}\n"
"svg .bar.bad{fill:#dc2626}\n"
"svg .bar.back{fill:#7c3aed}\n"
"svg .bar.muted{fill:#9ca3af}\n"
"svg .target{stroke:#111827;stroke-width:2;stroke-dasharray:3 2}\n"
"table{border-collapse:collapse;width:100%;margin:8px 0 14px;"
"font-size:13px}\n"
"caption{text-align:left;font-weight:650;padding:2px 0 6px;"
"color:var(--ink)}\n"
"th,td{border-bottom:1px solid var(--line);padding:5px 8px;"
"text-align:left;vertical-align:top}\n"
"thead th{background:var(--soft);font-size:12px;color:#374151;"
"white-space:nowrap}\n"
"tbody th{font-weight:600}\n"
".num{text-align:right;font-variant-numeric:tabular-nums;"
"white-space:nowrap}\n"
"table.data{font-size:12px;margin-top:0}\n"
"table.data th,table.data td{padding:3px 8px}\n"
"table.data caption{font-weight:400;color:var(--muted);font-size:12px}\n"
"code,.mono{font-family:\"DejaVu Sans Mono\",Menlo,Consolas,monospace;"
"font-size:12px}\n"
"code.fp{font-size:10.5px;word-break:break-all}\n"
"table.trail code.fp{font-size:10px}\n"
"time{white-space:nowrap}\n"
"a{color:var(--accent)}\n"
".tag{display:inline-block;padding:1px 8px;border-radius:999px;"
"background:var(--soft);border:1px solid var(--line);font-size:12px;"
"margin-right:4px}\n"
".tag.t-emergency{background:#fee2e2;border-color:#fca5a5;color:#7f1d1d}\n"
".tag.t-standard{background:#dcfce7;border-color:#86efac;color:#14532d}\n"
".tag.t-normal{background:#dbeafe;border-color:#93c5fd;color:#1e3a8a}\n"
".tag.v-refused{background:#b91c1c;border-color:#b91c1c;color:#fff}\n"
".tag.v-accepted{background:#f0fdf4;border-color:#86efac;color:#14532d}\n"
"section.change{border:1px solid var(--line);border-radius:8px;"
"padding:14px 16px;margin:14px 0}\n"
"section.change.refused{border-color:#fca5a5;"
"box-shadow:inset 4px 0 0 var(--bad)}\n"
"section.change h3 .cid{font-family:\"DejaVu Sans Mono\",Menlo,monospace;"
"color:var(--accent);margin-right:6px}\n"
"dl.facts{display:grid;grid-template-columns:repeat(auto-fill,"
"minmax(200px,1fr));gap:4px 18px;margin:8px 0 10px;font-size:13px}\n"
"dl.facts dt{color:var(--muted);font-size:11.5px}\n"
"dl.facts dd{margin:0}\n"
"td.control{font-weight:650;white-space:nowrap}\n"
"td.status-pass{background:#dcfce7;color:#14532d}\n"
"td.status-fail{background:#fee2e2;color:#991b1b}\n"
"td.status-pending{background:#fef3c7;color:#92400e}\n"
"td.status-not-recorded{background:#e5e7eb;color:#374151}\n"
"td.status-na{background:#f6f7f9;color:#6b7280;font-weight:400}\n"
"table.trail{font-size:12px}\n"
"table.trail th,table.trail td{padding:4px 6px}\n"
"table.trail td{white-space:nowrap}\n"
"table.trail td.wrap{white-space:normal}\n"
"tr.refused td,tr.refused th{background:#fef2f2}\n"
"tr.refused td:first-child{box-shadow:inset 4px 0 0 var(--bad)}\n"
"td.v-refused{color:#991b1b;white-space:normal!important;min-width:220px}\n"
"td.v-accepted{color:var(--good)}\n"
"td.sig-good{color:var(--good)}\n"
"td.sig-bad,td.sig-unsigned,td.sig-unknown-key{color:#991b1b;"
"font-weight:650}\n"
"tr.bad td{background:#fff7f7}\n"
".legend-row{display:flex;flex-wrap:wrap;gap:14px;font-size:12px;"
"color:var(--muted);margin:0 0 10px;padding:0;list-style:none}\n"
".sw{display:inline-block;width:12px;height:12px;border-radius:3px;"
"vertical-align:-2px;margin-right:5px;border:1px solid #0002}\n"
".sw.normal{background:#dbeafe}.sw.emergency{background:#fee2e2}"
".sw.standard{background:#dcfce7}.sw.freeze{background:#e2e8f0}"
".sw.maint{background:#f5f3ff}.sw.task{background:#fffbeb}\n"
"table.cal{table-layout:fixed;font-size:12px}\n"
"table.cal caption{font-size:15px}\n"
"table.cal th{text-align:center}\n"
"table.cal td{height:84px;border:1px solid var(--line);padding:3px;"
"overflow:hidden}\n"
"table.cal td.cal-out{background:#f8f9fb}\n"
"table.cal td.we{background:#fbfcfd}\n"
"table.cal td.frozen{background:#eef2f7}\n"
".cal-date{display:block;font-size:11px;color:var(--muted);"
"text-align:right}\n"
".cal-window,.cal-freeze,.cal-maint{font-size:11px;line-height:1.3;"
"border-radius:4px;padding:1px 4px;margin-top:2px;white-space:nowrap;"
"overflow:hidden;text-overflow:ellipsis}\n"
".cal-window{background:#dbeafe;border-left:3px solid #2563eb}\n"
".cal-window[data-type=emergency]{background:#fee2e2;"
"border-left-color:#dc2626}\n"
".cal-window[data-type=standard]{background:#dcfce7;"
"border-left-color:#16a34a}\n"
".cal-window b{font-weight:650}\n"
".cal-window{white-space:normal}\n"
".cal-time{white-space:nowrap}\n"
".cal-title{display:block;white-space:nowrap;overflow:hidden;"
"text-overflow:ellipsis;color:#374151}\n"
".cal-freeze{background:#e2e8f0;border-left:3px solid #475569;"
"color:#1e293b}\n"
".cal-maint{background:#f5f3ff;border-left:3px solid #a78bfa;"
"color:#4c1d95}\n"
".cal-window,.cal-freeze,.cal-maint,.cal-task{font-size:11px}\n"
".cal-task{line-height:1.3;border-radius:4px;padding:1px 4px;"
"margin-top:2px;white-space:nowrap;overflow:hidden;"
"text-overflow:ellipsis;background:#fffbeb;border-left:3px dotted "
"#b45309;color:#78350f}\n"
".cal-task[data-done=true]{border-left-style:solid;color:#6b7280}\n"
"svg .gantt-row{fill:#f7f9fc}\n"
"svg .gantt-we{fill:#f1f4f8}\n"
"svg .gantt-freeze{fill:#cbd5e1;fill-opacity:.45}\n"
"svg .gantt-freeze-label{fill:#334155;font-size:10px}\n"
"svg .gantt-bar{fill:#2563eb}\n"
"svg .gantt-bar[data-type=emergency]{fill:#dc2626}\n"
"svg .gantt-bar[data-type=standard]{fill:#16a34a}\n"
"svg .gantt-due{fill:#fff;stroke:#b45309;stroke-width:1.5}\n"
"svg .gantt-due[data-done=true]{fill:#b45309}\n"
"svg .gantt-now{stroke:#dc2626;stroke-width:1.5;stroke-dasharray:4 3}\n"
"svg .gantt-now-label{fill:#dc2626;font-size:10px}\n"
"svg .gantt-month{font-weight:650;font-size:11.5px}\n"
"svg .gid{font-weight:650;fill:#1d4ed8}\n"
"svg .gwin{font-size:10px;fill:var(--muted)}\n"
"table.raci td.cell{border-left:2px solid #fff;text-align:center;"
"font-weight:650;"
"font-family:\"DejaVu Sans Mono\",Menlo,monospace}\n"
"table.raci td.has-r{background:#dbeafe}\n"
"table.raci td.has-a{background:#fde68a}\n"
"table.raci td.has-c{background:#ede9fe}\n"
"table.raci td.has-i{background:#f1f5f9}\n"
"table.raci tbody th[scope=rowgroup]{background:var(--soft);"
"text-transform:uppercase;font-size:11.5px;letter-spacing:.05em;"
"color:var(--muted)}\n"
"footer{color:var(--muted);font-size:12px;text-align:center;"
"margin-top:18px}\n"
"@media (max-width:900px){.grid{grid-template-columns:1fr}}\n"
"@media print{\n"
"@page{size:A4;margin:12mm 11mm}\n"
"body{background:#fff;font-size:9pt}\n"
".page{max-width:none;padding:0}\n"
"nav.toc{display:none}\n"
"header.top{border-radius:0;padding:10px 14px}\n"
"section.block{border:0;border-radius:0;padding:0;margin:0;"
"break-before:page}\n"
"main>section.block:first-child{break-before:auto;margin-top:10px}\n"
".grid{grid-template-columns:1fr 1fr;gap:8px}\n"
"section.metric,svg.chart,dl.cards,table.cal,table.raci tbody{"
"break-inside:avoid}\n"
"section.change{break-inside:auto;border-color:#cbd5e1}\n"
"h2,h3,caption{break-after:avoid}\n"
"thead{display:table-header-group}\n"
"tr{break-inside:avoid}\n"
"table{font-size:8pt}\n"
"th,td,table.trail th,table.trail td{padding:2px 4px}\n"
"thead th{font-size:7.5pt}\n"
"code,.mono{font-size:7.5pt}\n"
"table.trail{font-size:7pt}\n"
"table.trail td{white-space:normal}\n"
"code.fp,table.trail code.fp{font-size:6pt}\n"
"dl.cards{grid-template-columns:repeat(6,minmax(0,1fr));gap:5px}\n"
"dl.cards div{padding:3px 7px}\n"
"dl.cards dt{font-size:6.5pt}\n"
"dl.cards dd{font-size:13pt}\n"
"dl.cards dd small{font-size:6.5pt}\n"
"dl.facts{font-size:8pt}\n"
"table.cal td{height:62px}\n"
"a{color:inherit;text-decoration:none}\n"
"}\n";

static void page_head(struct page *p, const char *title)
{
	put(p, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n"
		"<meta charset=\"utf-8\">\n"
		"<meta name=\"viewport\" content=\"width=device-width, "
		"initial-scale=1\">\n"
		"<meta name=\"generator\" content=\"crq\">\n"
		"<title>");
	esc(p, title);
	put(p, "</title>\n<style>\n");
	put(p, style);
	put(p, "</style>\n</head>\n<body>\n<div class=\"page\">\n");
}

/* ---- summary ------------------------------------------------------- */

static void card(struct page *p, const char *cls, const char *label,
	const char *value, const char *small)
{
	putf(p, "<div%s%s%s><dt>%s</dt><dd>%s", *cls ? " class=\"" : "", cls,
		*cls ? "\"" : "", label, value);
	if (small)
		putf(p, " <small>%s</small>", small);
	put(p, "</dd></div>\n");
}

static void card_num(struct page *p, const char *cls, const char *label,
	enum unit u, double v, const char *small)
{
	char b[32];

	fmt_value(b, u, v);
	card(p, cls, label, b, small);
}

/* verify's violations: a count (the report's) or a list (the pack's) */
static long long violations(const crq_node *verify)
{
	const crq_node *v = member(verify, "violations");

	if (v && v->kind == CRQ_NODE_ARRAY)
		return (long long)v->count;
	return isnan(num(v)) ? 0 : (long long)num(v);
}

static void summary(struct page *p, const crq_node *rep,
	const crq_node *audit)
{
	const crq_node *verify = member(audit, "verify") ?
		member(audit, "verify") : member(rep, "verify");
	const crq_node *sum = mobj(audit, "summary");
	const crq_node *ctl = mobj(sum, "controls");
	const crq_node *viol = marr(mobj(audit, "verify"), "violations");
	const crq_node *excl = marr(rep, "excluded");
	char b[64];
	size_t i;

	put(p, "<section id=\"summary\" class=\"block\">\n<h2>Summary</h2>\n"
		"<dl class=\"cards\">\n");
	if (sum)
		card_num(p, "", "Changes", U_COUNT, mnum(sum, "changes"), NULL);
	else
		card_num(p, "", "Changes", U_COUNT, mnum(rep, "changes"), NULL);
	if (sum) {
		card_num(p, "", "Steps", U_COUNT, mnum(sum, "steps"), NULL);
		card_num(p, mint(sum, "refused") ? "bad" : "good",
			"Refused steps", U_COUNT, mnum(sum, "refused"), NULL);
		card_num(p, "good", "Controls passed", U_COUNT,
			mnum(ctl, "pass"), NULL);
		card_num(p, mint(ctl, "fail") ? "bad" : "good",
			"Controls failed", U_COUNT, mnum(ctl, "fail"), NULL);
		snprintf(b, sizeof(b), "%lld", mint(ctl, "pending"));
		card(p, "", "Controls pending", b, NULL);
		snprintf(b, sizeof(b), "%lld", mint(ctl, "not-recorded"));
		card(p, "", "Not recorded", b, NULL);
	}
	if (verify) {
		long long nv = violations(verify);

		snprintf(b, sizeof(b), "%lld commits checked",
			mint(verify, "checked"));
		if (mtrue(verify, "clean"))
			card(p, "good", "Verify", "clean", b);
		else if (nv)
			card_num(p, "bad", nv == 1 ? "Verify: violation" :
				"Verify: violations", U_COUNT, (double)nv, b);
		else
			card(p, "bad", "Verify", "not clean", b);
	}
	if (rep) {
		const crq_node *o = mobj(rep, "outcomes");
		double cfr = mnum(o, "change_failure_rate");

		card_num(p, isnan(cfr) ? "" : cfr > 0.15 ? "bad" : "good",
			"Change failure rate", U_RATE, cfr, NULL);
		card_num(p, "", "Success rate", U_RATE, mnum(o, "success_rate"),
			NULL);
		card_num(p, "", "Lead time p50", U_SECS, mnum(mobj(mobj(rep,
			"lead_times"), "created_to_closed"), "p50"), NULL);
		card_num(p, "", "Emergency share", U_RATE,
			mnum(o, "emergency_share"), NULL);
	}
	put(p, "</dl>\n");
	if (viol && viol->count) {
		static const char *const h[] = { "Commit", "Change", "Rule",
			"Message", "Hint", NULL };

		table_open(p, "violations", "Commits crq verify refuses", h);
		for (i = 0; i < viol->count; i++) {
			const crq_node *v = viol->items[i];

			put(p, "<tr class=\"bad\"><td><code>");
			esc_short(p, mstr(v, "commit"), 10);
			put(p, "</code></td><td>");
			esc_or_dash(p, mstr(v, "change"));
			put(p, "</td><td><code>");
			esc(p, mstr(v, "rule"));
			put(p, "</code></td><td>");
			esc(p, mstr(v, "message"));
			put(p, "</td><td>");
			esc_or_dash(p, mstr(v, "hint"));
			put(p, "</td></tr>\n");
		}
		table_close(p);
	}
	if (excl && excl->count) {
		put(p, "<p class=\"lead\">Left out of the metrics (a step of them "
			"is refused): ");
		for (i = 0; i < excl->count; i++) {
			put(p, i ? ", " : "");
			if (excl->items[i]->kind == CRQ_NODE_STRING)
				esc(p, excl->items[i]->str);
		}
		put(p, ".</p>\n");
	}
	put(p, "</section>\n");
}

/* ---- metrics ------------------------------------------------------- */

static void metric_open(struct page *p, const char *id, const char *title,
	int wide)
{
	putf(p, "<section class=\"metric%s\" id=\"m-%s\">\n<h3>%s</h3>\n",
		wide ? " wide" : "", id, title);
}

static void metric_close(struct page *p)
{
	put(p, "</section>\n");
}

static void empty(struct page *p, const char *what)
{
	putf(p, "<p class=\"empty\">%s</p>\n", what);
}

static int cmp_keys(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* {key: n} as bars (months: columns in key order) and a table */
static void counts(struct page *p, const char *id, const char *title,
	const char *lead, const char *col, const crq_node *obj, int months)
{
	struct chart c;
	size_t i, n = obj ? obj->count : 0;
	const char *h[] = { NULL, "#Changes", NULL };

	metric_open(p, id, title, 0);
	if (!n) {
		empty(p, "No changes.");
		metric_close(p);
		return;
	}
	chart_init(&c, n, 1);
	c.title = title;
	c.lead = lead;
	c.unit = U_COUNT;
	for (i = 0; i < n; i++)
		c.cat[i] = obj->keys[i];
	if (months)
		crq__sort(c.cat, n, sizeof(*c.cat), cmp_keys);
	for (i = 0; i < n; i++)
		c.v[i] = mnum(obj, c.cat[i]);
	if (months)
		chart_cols(p, &c);
	else
		chart_rows(p, &c);
	h[0] = col;
	table_open(p, "data", lead, h);
	for (i = 0; i < n; i++) {
		put(p, "<tr><th scope=\"row\">");
		esc(p, c.cat[i]);
		put(p, "</th>");
		td_num(p, U_COUNT, c.v[i]);
		put(p, "</tr>\n");
	}
	table_close(p);
	chart_dispose(&c);
	metric_close(p);
}

static const char *lead_label(const char *k)
{
	if (!strcmp(k, "created_to_closed"))
		return "Created \xe2\x86\x92 closed";
	if (!strcmp(k, "submitted_to_authorized"))
		return "Submitted \xe2\x86\x92 authorized";
	if (!strcmp(k, "authorized_to_implemented"))
		return "Authorized \xe2\x86\x92 implemented";
	return k;
}

/* {name: {count, p50, p90, ...}} as grouped bars p50/p90 */
static void percentiles(struct page *p, const char *id, const char *title,
	const char *lead, const char *col, const char *countcol,
	const crq_node *obj, int tis)
{
	struct chart c;
	size_t i, n = obj && obj->kind == CRQ_NODE_OBJECT ? obj->count : 0;
	const char *h[10];
	size_t nh = 0;

	metric_open(p, id, title, tis);
	if (!n) {
		empty(p, "Nothing measured yet.");
		metric_close(p);
		return;
	}
	chart_init(&c, n, 2);
	c.title = title;
	c.lead = lead;
	c.unit = U_SECS;
	c.ser[0] = "p50";
	c.ser[1] = "p90";
	c.wide = tis;
	if (tis) {
		c.target = crq__calloc(n, sizeof(*c.target));
		c.target_name = "target";
	}
	for (i = 0; i < n; i++) {
		c.cat[i] = lead_label(obj->keys[i]);
		c.v[2 * i] = mnum(obj->items[i], "p50");
		c.v[2 * i + 1] = mnum(obj->items[i], "p90");
		if (tis)
			c.target[i] = mnum(obj->items[i], "target");
	}
	for (i = 0; c.target && i < n && isnan(c.target[i]); i++)
		;
	if (c.target && i == n) {
		free(c.target);
		c.target = NULL;
	}
	chart_rows(p, &c);
	h[nh++] = col;
	h[nh++] = countcol;
	h[nh++] = "#p50";
	h[nh++] = "#p90";
	if (tis) {
		h[nh++] = "#Total";
		h[nh++] = "#Target";
		h[nh++] = "#Blocked";
		h[nh++] = "#Blocking rate";
	}
	h[nh] = NULL;
	table_open(p, "data", lead, h);
	for (i = 0; i < n; i++) {
		const crq_node *o = obj->items[i];

		put(p, "<tr><th scope=\"row\">");
		esc(p, c.cat[i]);
		put(p, "</th>");
		td_num(p, U_COUNT, mnum(o, "count"));
		td_num(p, U_SECS, c.v[2 * i]);
		td_num(p, U_SECS, c.v[2 * i + 1]);
		if (tis) {
			td_num(p, U_SECS, mnum(o, "total"));
			td_num(p, U_SECS, mnum(o, "target"));
			td_num(p, U_COUNT, mnum(o, "blocked"));
			td_num(p, U_RATE, mnum(o, "blocking_rate"));
		}
		put(p, "</tr>\n");
	}
	table_close(p);
	chart_dispose(&c);
	metric_close(p);
}

static void outcomes(struct page *p, const crq_node *o)
{
	static const char *const key[] = { "successful",
		"successful_with_issues", "failed", "backed_out" };
	static const char *const rate[] = { "success_rate", "with_issues_rate",
		"failed_rate", "backed_out_rate" };
	static const char *const label[] = { "Successful",
		"Successful with issues", "Failed", "Backed out" };
	static const char *const cls[] = { "ok", "warn", "bad", "back" };
	static const char *const h[] = { "Outcome", "#Changes",
		"#Share of closed-out", NULL };
	struct chart c;
	size_t i;

	metric_open(p, "outcomes", "Outcomes", 0);
	if (!o) {
		empty(p, "No outcomes.");
		metric_close(p);
		return;
	}
	chart_init(&c, 4, 1);
	c.title = "Outcomes";
	c.lead = "Closed-out changes by outcome";
	c.unit = U_COUNT;
	c.cls = crq__calloc(4, sizeof(*c.cls));
	for (i = 0; i < 4; i++) {
		c.cat[i] = label[i];
		c.cls[i] = cls[i];
		c.v[i] = mnum(o, key[i]);
	}
	chart_rows(p, &c);
	table_open(p, "data", "Closed-out changes by outcome", h);
	for (i = 0; i < 4; i++) {
		putf(p, "<tr><th scope=\"row\">%s</th>", label[i]);
		td_num(p, U_COUNT, c.v[i]);
		td_num(p, U_RATE, mnum(o, rate[i]));
		put(p, "</tr>\n");
	}
	put(p, "<tr><th scope=\"row\">Closed out</th>");
	td_num(p, U_COUNT, mnum(o, "closed_out"));
	put(p, "<td></td></tr>\n<tr><th scope=\"row\">Change failure rate "
		"(failed + backed out)</th><td></td>");
	td_num(p, U_RATE, mnum(o, "change_failure_rate"));
	put(p, "</tr>\n<tr><th scope=\"row\">Emergency share (of all "
		"changes)</th><td></td>");
	td_num(p, U_RATE, mnum(o, "emergency_share"));
	put(p, "</tr>\n");
	table_close(p);
	chart_dispose(&c);
	metric_close(p);
}

static void sla(struct page *p, const crq_node *arr)
{
	static const char *const h[] = { "Target", "#Met", "#Breached",
		"#Running", "#Compliance", NULL };
	struct chart c;
	size_t i, n = arr ? arr->count : 0;

	metric_open(p, "sla", "SLA compliance", 0);
	if (!n) {
		empty(p, "No SLA targets in the policy.");
		metric_close(p);
		return;
	}
	chart_init(&c, n, 1);
	c.title = "SLA compliance";
	c.lead = "Share of the SLA clocks that stopped in time, per target";
	c.unit = U_RATE;
	c.cls = crq__calloc(n, sizeof(*c.cls));
	for (i = 0; i < n; i++) {
		double v = mnum(arr->items[i], "compliance");

		c.cat[i] = mstr(arr->items[i], "target") ?
			mstr(arr->items[i], "target") : "?";
		c.v[i] = v;
		c.cls[i] = isnan(v) ? "muted" : v >= 0.95 ? "ok" :
			v >= 0.8 ? "warn" : "bad";
	}
	chart_rows(p, &c);
	table_open(p, "data", "SLA clocks per target", h);
	for (i = 0; i < n; i++) {
		const crq_node *o = arr->items[i];

		put(p, "<tr><th scope=\"row\">");
		esc(p, c.cat[i]);
		put(p, "</th>");
		td_num(p, U_COUNT, mnum(o, "met"));
		td_num(p, U_COUNT, mnum(o, "breached"));
		td_num(p, U_COUNT, mnum(o, "running"));
		td_num(p, U_RATE, c.v[i]);
		put(p, "</tr>\n");
	}
	table_close(p);
	chart_dispose(&c);
	metric_close(p);
}

static void load(struct page *p, const crq_node *arr)
{
	static const char *const h[] = { "Member", "#Steps", "#Created",
		"#Approvals", "#Implemented", NULL };
	size_t i;

	if (!arr || !arr->count)
		return;
	metric_open(p, "load", "Load per member", 1);
	table_open(p, "data", "Steps taken, changes created, approvals "
		"given and changes implemented per member", h);
	for (i = 0; i < arr->count; i++) {
		const crq_node *o = arr->items[i];

		put(p, "<tr><th scope=\"row\">");
		esc_or_dash(p, mstr(o, "member"));
		put(p, "</th>");
		td_num(p, U_COUNT, mnum(o, "steps"));
		td_num(p, U_COUNT, mnum(o, "created"));
		td_num(p, U_COUNT, mnum(o, "approvals"));
		td_num(p, U_COUNT, mnum(o, "implemented"));
		put(p, "</tr>\n");
	}
	table_close(p);
	metric_close(p);
}

static void put_scope(struct page *p, const crq_node *rep)
{
	const crq_node *f = mobj(rep, "filters");

	put(p, "<p class=\"lead\">Changes created ");
	if (mstr(rep, "from") || mstr(rep, "to")) {
		put(p, "from ");
		if (mstr(rep, "from"))
			put_time(p, mstr(rep, "from"));
		else
			put(p, "the start");
		put(p, " to ");
		if (mstr(rep, "to"))
			put_time(p, mstr(rep, "to"));
		else
			put(p, "now");
	} else {
		put(p, "at any time");
	}
	if (mstr(f, "service")) {
		put(p, ", service ");
		esc(p, mstr(f, "service"));
	}
	if (mstr(f, "type")) {
		put(p, ", type ");
		esc(p, mstr(f, "type"));
	}
	putf(p, ": %lld changes from the verified history. Durations in "
		"days (d), hours (h), minutes (m); p50 is the median, p90 the "
		"value 90%% stay under.</p>\n", mint(rep, "changes"));
}

static void metrics(struct page *p, const crq_node *rep)
{
	const crq_node *vol = mobj(rep, "volume");

	put(p, "<section id=\"metrics\" class=\"block\">\n<h2>Metrics</h2>\n");
	put_scope(p, rep);
	put(p, "<div class=\"grid\">\n");
	counts(p, "volume-month", "Volume by month",
		"Changes created per month", "Month", mobj(vol, "by_month"), 1);
	counts(p, "volume-type", "Volume by type", "Changes per type", "Type",
		mobj(vol, "by_type"), 0);
	counts(p, "volume-state", "Volume by state", "Changes per state now",
		"State", mobj(vol, "by_state"), 0);
	if (mobj(vol, "by_service") && mobj(vol, "by_service")->count)
		counts(p, "volume-service", "Volume by service",
			"Changes per service", "Service",
			mobj(vol, "by_service"), 0);
	percentiles(p, "lead-times", "Lead times",
		"Lead times (p50 and p90)", "Interval", "#Changes",
		mobj(rep, "lead_times"), 0);
	percentiles(p, "approval-latency", "Approval latency per role",
		"Time from entering the state to the approval, per role "
		"(p50 and p90)", "Role", "#Approvals",
		mobj(rep, "approval_latency"), 0);
	outcomes(p, mobj(rep, "outcomes"));
	sla(p, marr(rep, "sla"));
	percentiles(p, "time-in-state", "Time in state",
		"Time spent in each state per change (p50 and p90), against "
		"the policy's targets", "State", "#Changes",
		mobj(rep, "time_in_state"), 1);
	load(p, marr(rep, "load"));
	put(p, "</div>\n</section>\n");
}

/* ---- windows: the calendar's and the pack's ------------------------ */

struct win {
	const char *id, *title, *type, *state, *implementer;
	long long start, end;	/* has_window */
	int has_window;
	const crq_node *tasks;	/* the pack's tasks, or NULL */
	long long first;	/* sort key: start, else the first due */
};

static int cmp_win_id(const void *a, const void *b)
{
	const struct win *x = a, *y = b;

	return strcmp(x->id, y->id);
}

static int cmp_win_time(const void *a, const void *b)
{
	const struct win *x = a, *y = b;

	if (x->first != y->first)
		return x->first < y->first ? -1 : 1;
	return strcmp(x->id, y->id);
}

static int task_due(const crq_node *task, long long *t)
{
	return parse_time(mstr(task, "due"), t);
}

/* Every change with a window or a task due: the pack's changes (all of
 * them, closed ones too) and the calendar's windows (the pack may be
 * missing or filtered), by time. */
static struct win *windows(size_t *n, const crq_node *cal,
	const crq_node *audit)
{
	const crq_node *ch = marr(audit, "changes"), *cw = marr(cal, "windows");
	size_t i, k, nin = 0, cap = (ch ? ch->count : 0) + (cw ? cw->count : 0);
	struct win *w = crq__calloc(cap + 1, sizeof(*w)), key, *hit;
	long long t;

	for (i = 0; ch && i < ch->count; i++) {
		const crq_node *c = ch->items[i], *win = mobj(c, "window"),
			*tasks = marr(c, "tasks");
		struct win *x = &w[*n];

		if (!mstr(c, "id"))
			continue;
		memset(x, 0, sizeof(*x));
		x->id = mstr(c, "id");
		x->title = mstr(c, "title");
		x->type = mstr(c, "type");
		x->state = mstr(c, "state");
		x->implementer = mstr(c, "implementer");
		x->tasks = tasks;
		x->has_window = parse_time(mstr(win, "start"), &x->start) &&
			parse_time(mstr(win, "end"), &x->end);
		x->first = x->has_window ? x->start : 0;
		for (k = 0; !x->has_window && tasks && k < tasks->count; k++)
			if (task_due(tasks->items[k], &t) &&
			    (!x->first || t < x->first))
				x->first = t;
		if (x->has_window || x->first)
			(*n)++;
	}
	nin = *n;
	crq__sort(w, nin, sizeof(*w), cmp_win_id);
	for (i = 0; cw && i < cw->count; i++) {
		const crq_node *c = cw->items[i];
		long long s, e;

		if (!mstr(c, "change") || !parse_time(mstr(c, "start"), &s) ||
		    !parse_time(mstr(c, "end"), &e))
			continue;
		key.id = mstr(c, "change");
		hit = nin ? bsearch(&key, w, nin, sizeof(*w), cmp_win_id) :
			NULL;
		if (hit && hit->has_window)
			continue;
		if (!hit) {
			hit = &w[(*n)++];
			memset(hit, 0, sizeof(*hit));
			hit->id = key.id;
		}
		hit->title = hit->title ? hit->title : mstr(c, "title");
		hit->type = hit->type ? hit->type : mstr(c, "type");
		hit->state = hit->state ? hit->state : mstr(c, "state");
		hit->implementer = hit->implementer ? hit->implementer :
			mstr(c, "implementer");
		hit->has_window = 1;
		hit->start = hit->first = s;
		hit->end = e;
	}
	crq__sort(w, *n, sizeof(*w), cmp_win_time);
	return w;
}

/* does [s, e) touch day [d, d + DAY)? (an empty one: its instant) */
static int touches(long long s, long long e, long long d)
{
	if (e <= s)
		return s >= d && s < d + DAY;
	return s < d + DAY && e > d;
}

/* ---- the month calendar -------------------------------------------- */

struct span {
	const char *name, *kind;	/* kind: freeze, maintenance */
	long long start, end;
	const crq_node *services;
};

static struct span *spans(size_t *n, const crq_node *cal)
{
	static const char *const what[] = { "freezes", "maintenance" };
	const crq_node *a;
	size_t i, k, cap = 0;
	struct span *s;

	for (k = 0; k < 2; k++)
		cap += (a = marr(cal, what[k])) ? a->count : 0;
	s = crq__calloc(cap + 1, sizeof(*s));
	*n = 0;
	for (k = 0; k < 2; k++)
		for (i = 0; (a = marr(cal, what[k])) && i < a->count; i++) {
			struct span *x = &s[*n];

			if (!parse_time(mstr(a->items[i], "start"), &x->start) ||
			    !parse_time(mstr(a->items[i], "end"), &x->end))
				continue;
			x->name = mstr(a->items[i], "name");
			x->kind = k ? "maintenance" : "freeze";
			x->services = marr(a->items[i], "services");
			(*n)++;
		}
	return s;
}

static int cmp_int(const void *a, const void *b)
{
	int x = *(const int *)a, y = *(const int *)b;

	return x < y ? -1 : x > y;
}

/* months (year * 12 + month - 1) from s to e, at most 3 of one span */
static void add_months(int **m, size_t *n, size_t *alloc, long long s,
	long long e)
{
	int y, mo, d, first, last, k;

	civil_from_days(floordiv(s, DAY), &y, &mo, &d);
	first = y * 12 + mo - 1;
	civil_from_days(floordiv(e > s ? e - 1 : s, DAY), &y, &mo, &d);
	last = y * 12 + mo - 1;
	if (last > first + 2)
		last = first + 2;
	for (k = first; k <= last; k++) {
		crq__grow((void **)m, alloc, *n + 1, sizeof(**m));
		(*m)[(*n)++] = k;
	}
}

static void join_strings(struct page *p, const crq_node *arr)
{
	size_t i, k = 0;

	for (i = 0; arr && i < arr->count; i++)
		if (arr->items[i]->kind == CRQ_NODE_STRING) {
			put(p, k++ ? ", " : "");
			esc(p, arr->items[i]->str);
		}
	if (!k)
		put(p, "all services");
}

/* "01:00–03:00", "22:00 →", "→ 02:00", "all day" within day d */
static void day_range(char out[48], long long s, long long e, long long d)
{
	char a[16], b[16];

	fmt_hm(a, s);
	fmt_hm(b, e);
	if (s >= d && e <= d + DAY)
		snprintf(out, 48, "%s\xe2\x80\x93%s", a, e > s ? b : a);
	else if (s >= d)
		snprintf(out, 48, "%s \xe2\x86\x92", a);
	else if (e <= d + DAY)
		snprintf(out, 48, "\xe2\x86\x92 %s", b);
	else
		snprintf(out, 48, "all day");
}

static void window_title(struct page *p, const struct win *w)
{
	char a[32], b[32], d[32];

	fmt_time(a, w->start);
	fmt_time(b, w->end);
	fmt_dur(d, (double)(w->end - w->start));
	esc(p, w->id);
	put(p, " ");
	esc(p, w->title);
	putf(p, " \xe2\x80\x94 %s to %s (%s)", a, b, d);
	if (w->state) {
		put(p, ", ");
		esc(p, w->state);
	}
	if (w->implementer) {
		put(p, ", implementer ");
		esc(p, w->implementer);
	}
}

/* the tasks of w due on day ds */
static void day_tasks(struct page *p, const struct win *w, long long ds)
{
	char hm[16];
	long long t;
	size_t k;

	for (k = 0; w->tasks && k < w->tasks->count; k++) {
		const crq_node *tk = w->tasks->items[k];
		int done = mtrue(tk, "done");

		if (!task_due(tk, &t) || t < ds || t >= ds + DAY)
			continue;
		fmt_hm(hm, t);
		putf(p, "<div class=\"cal-task\" data-done=\"%s\" title=\"Task "
			"%lld of ", done ? "true" : "false", mint(tk, "number"));
		esc(p, w->id);
		put(p, ": ");
		esc(p, mstr(tk, "title"));
		putf(p, ", due %s (%s)\">Due %s <b>", hm, done ? "done" : "open",
			hm);
		esc(p, w->id);
		putf(p, "</b> #%lld ", mint(tk, "number"));
		esc_max(p->out, mstr(tk, "title"), 40);
		put(p, "</div>");
	}
}

static void day_cell(struct page *p, long long day, int dom,
	const struct win *w, size_t nw, const struct span *sp, size_t ns)
{
	long long ds = day * DAY;
	char r[48];
	size_t i;
	int frozen = 0;

	for (i = 0; i < ns; i++)
		frozen |= !strcmp(sp[i].kind, "freeze") &&
			touches(sp[i].start, sp[i].end, ds);
	putf(p, "<td class=\"cal-day%s%s\"><span class=\"cal-date\">%d</span>",
		weekday(day) >= 5 ? " we" : "", frozen ? " frozen" : "", dom);
	for (i = 0; i < ns; i++) {
		if (strcmp(sp[i].kind, "freeze") ||
		    !touches(sp[i].start, sp[i].end, ds))
			continue;
		put(p, "<div class=\"cal-freeze\" title=\"Freeze ");
		esc(p, sp[i].name);
		put(p, ": ");
		join_strings(p, sp[i].services);
		put(p, "\">Freeze: ");
		esc(p, sp[i].name);
		put(p, "</div>");
	}
	for (i = 0; i < nw; i++) {
		if (!w[i].has_window || !touches(w[i].start, w[i].end, ds))
			continue;
		day_range(r, w[i].start, w[i].end, ds);
		put(p, "<div class=\"cal-window\" data-type=\"");
		put_token(p, w[i].type);
		put(p, "\" title=\"");
		window_title(p, &w[i]);
		put(p, "\"><b>");
		esc(p, w[i].id);
		putf(p, "</b> <span class=\"cal-time\">%s</span> "
			"<span class=\"cal-title\">", r);
		esc_max(p->out, w[i].title, 60);
		put(p, "</span></div>");
	}
	for (i = 0; i < nw; i++)
		day_tasks(p, &w[i], ds);
	for (i = 0; i < ns; i++) {
		if (strcmp(sp[i].kind, "maintenance") ||
		    !touches(sp[i].start, sp[i].end, ds))
			continue;
		day_range(r, sp[i].start, sp[i].end, ds);
		put(p, "<div class=\"cal-maint\" title=\"Maintenance window ");
		esc(p, sp[i].name);
		put(p, ": ");
		join_strings(p, sp[i].services);
		putf(p, "\">%s ", r);
		esc(p, sp[i].name);
		put(p, "</div>");
	}
	put(p, "</td>");
}

static void month_grid(struct page *p, int mi, const struct win *w,
	size_t nw, const struct span *sp, size_t ns)
{
	int y = mi / 12, m = mi % 12 + 1, cell, lead;
	long long first = days_from_civil(y, m, 1), next = m == 12 ?
		days_from_civil(y + 1, 1, 1) : days_from_civil(y, m + 1, 1);
	long long day;

	putf(p, "<table class=\"cal\" id=\"cal-%04d-%02d\">\n<caption>%s %d"
		"</caption>\n<thead><tr>", y, m, month_name[m - 1], y);
	for (cell = 0; cell < 7; cell++)
		putf(p, "<th scope=\"col\" abbr=\"%s\">%.3s</th>",
			wday_name[cell], wday_name[cell]);
	put(p, "</tr></thead>\n<tbody>\n");
	lead = weekday(first);
	for (cell = 0;; cell++) {
		day = first - lead + cell;
		if (cell % 7 == 0) {
			if (day >= next)
				break;
			put(p, "<tr>");
		}
		if (day < first || day >= next)
			put(p, "<td class=\"cal-out\"></td>");
		else
			day_cell(p, day, (int)(day - first + 1), w, nw, sp, ns);
		if (cell % 7 == 6)
			put(p, "</tr>\n");
	}
	put(p, "</tbody>\n</table>\n");
}

static void conflicts(struct page *p, const crq_node *arr)
{
	static const char *const h[] = { "Kind", "Changes", "Message", NULL };
	size_t i;

	if (!arr || !arr->count)
		return;
	table_open(p, "conflicts", "Conflicts in the calendar", h);
	for (i = 0; i < arr->count; i++) {
		const crq_node *c = arr->items[i];

		put(p, "<tr class=\"bad\"><td>");
		esc(p, mstr(c, "kind"));
		put(p, "</td><td>");
		join_strings(p, marr(c, "changes"));
		put(p, "</td><td>");
		esc(p, mstr(c, "message"));
		put(p, "</td></tr>\n");
	}
	table_close(p);
}

static void calendar_section(struct page *p, const crq_node *cal,
	const struct win *w, size_t nw)
{
	struct span *sp;
	size_t ns, i, nm = 0, am = 0, u = 0, skip;
	int *m = NULL;

	sp = spans(&ns, cal);
	for (i = 0; i < nw; i++)
		if (w[i].has_window)
			add_months(&m, &nm, &am, w[i].start, w[i].end);
	for (i = 0; i < ns; i++)
		if (!strcmp(sp[i].kind, "freeze"))
			add_months(&m, &nm, &am, sp[i].start, sp[i].end);
	if (nm)
		crq__sort(m, nm, sizeof(*m), cmp_int);
	for (i = 0; i < nm; i++)
		if (!u || m[u - 1] != m[i])
			m[u++] = m[i];
	put(p, "<section id=\"calendar\" class=\"block\">\n"
		"<h2>Change calendar</h2>\n");
	put(p, "<p class=\"lead\">Every month a change window or a freeze "
		"touches (UTC).</p>\n<ul class=\"legend-row\">"
		"<li><span class=\"sw normal\"></span>normal change</li>"
		"<li><span class=\"sw emergency\"></span>emergency change</li>"
		"<li><span class=\"sw standard\"></span>standard change</li>"
		"<li><span class=\"sw freeze\"></span>freeze</li>"
		"<li><span class=\"sw maint\"></span>maintenance window</li>"
		"<li><span class=\"sw task\"></span>task due</li>"
		"</ul>\n");
	if (!u)
		empty(p, "No change windows and no freezes.");
	skip = u > MAX_MONTHS ? u - MAX_MONTHS : 0;
	if (skip)
		putf(p, "<p class=\"lead\">The last %d months; %zu earlier ones "
			"are left out.</p>\n", MAX_MONTHS, skip);
	for (i = skip; i < u; i++)
		month_grid(p, m[i], w, nw, sp, ns);
	conflicts(p, marr(cal, "conflicts"));
	put(p, "</section>\n");
	free(m);
	free(sp);
}

/* ---- the Gantt chart ----------------------------------------------- */

struct axis {
	long long t0, t1;
	double x0, x1;
};

static double tx(const struct axis *a, long long t)
{
	if (t < a->t0)
		t = a->t0;
	if (t > a->t1)
		t = a->t1;
	return a->x0 + (a->x1 - a->x0) * (double)(t - a->t0) /
		(double)(a->t1 - a->t0);
}

static void gantt_desc(struct page *p, const struct win *w, size_t n,
	const struct axis *a)
{
	char b1[32], b2[32];
	size_t i, k;
	long long t;

	fmt_time(b1, a->t0);
	fmt_time(b2, a->t1);
	putf(p, "One row per change, from %s to %s (UTC): its window as a bar "
		"and its tasks' due dates as diamonds (filled when done). ",
		b1, b2);
	for (i = 0; i < n; i++) {
		esc(p, w[i].id);
		if (w[i].has_window) {
			fmt_time(b1, w[i].start);
			fmt_time(b2, w[i].end);
			putf(p, ": window %s to %s", b1, b2);
		} else {
			put(p, ": no window");
		}
		for (k = 0; w[i].tasks && k < w[i].tasks->count; k++) {
			const crq_node *tk = w[i].tasks->items[k];

			if (!task_due(tk, &t))
				continue;
			fmt_time(b1, t);
			putf(p, ", task %lld due %s%s", mint(tk, "number"), b1,
				mtrue(tk, "done") ? " (done)" : "");
		}
		put(p, "; ");
	}
	desc_end(p);
}

/* The time axis: ticks a day, a week (Mondays), a month or a year
 * apart as the span needs, and the larger unit named above them. */
static void gantt_axis(struct page *p, const struct axis *a, int top,
	int bottom)
{
	long long days = (a->t1 - a->t0) / DAY, d, z0 = floordiv(a->t0, DAY);
	int y, m, dd, tick, head;
	char b[16];
	double x;

	/* weekends behind everything, when days are wide enough */
	for (d = 0; days <= 62 && d < days; d++)
		if (weekday(z0 + d) >= 5)
			putf(p, "<rect class=\"gantt-we\" x=\"%.1f\" y=\"%d\" "
				"width=\"%.1f\" height=\"%d\"/>",
				tx(a, (z0 + d) * DAY), top, tx(a, (z0 + d + 1) * DAY) -
				tx(a, (z0 + d) * DAY), bottom - top);
	put(p, "\n<g class=\"axis\">");
	for (d = 0; d <= days; d++) {
		long long z = z0 + d;

		civil_from_days(z, &y, &m, &dd);
		x = tx(a, z * DAY);
		if (days <= 210) {
			head = dd == 1 || d == 0;
			tick = days <= 35 || weekday(z) == 0;
		} else if (days <= 1100) {
			head = (dd == 1 && m == 1) || d == 0;
			tick = dd == 1;
		} else {
			head = d == 0;
			tick = dd == 1 && m == 1;
		}
		if (head && d < days) {
			if (days <= 210)
				putf(p, "<text class=\"gantt-month\" x=\"%.1f\" "
					"y=\"14\">%s %d</text>", x + 2, month_name[m - 1], y);
			else
				putf(p, "<text class=\"gantt-month\" x=\"%.1f\" "
					"y=\"14\">%d</text>", x + 2, y);
		}
		if (!tick)
			continue;
		if (days <= 35)
			snprintf(b, sizeof(b), "%d", dd);
		else if (days <= 210)
			fmt_md(b, z * DAY);
		else if (days <= 1100)
			snprintf(b, sizeof(b), "%.3s", month_name[m - 1]);
		else
			snprintf(b, sizeof(b), "%d", y);
		putf(p, "<line class=\"gl\" x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" "
			"y2=\"%d\"/>", x, top - 6, x, bottom);
		if (d < days)
			putf(p, "<text class=\"tick\" x=\"%.1f\" y=\"%d\" "
				"text-anchor=\"%s\">%s</text>", days <= 35 ?
				x + (tx(a, (z + 1) * DAY) - x) / 2 : x + 2, top - 9,
				days <= 35 ? "middle" : "start", b);
	}
	putf(p, "<line class=\"base\" x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" "
		"y2=\"%d\"/></g>\n", a->x0, top, a->x1, top);
}

static void gantt_freezes(struct page *p, const struct axis *a,
	const crq_node *cal, int top, int bottom)
{
	struct span *sp;
	size_t ns, i;
	double x0, x1;

	sp = spans(&ns, cal);
	for (i = 0; i < ns; i++) {
		if (strcmp(sp[i].kind, "freeze") || sp[i].end <= a->t0 ||
		    sp[i].start >= a->t1)
			continue;
		x0 = tx(a, sp[i].start);
		x1 = tx(a, sp[i].end);
		putf(p, "<rect class=\"gantt-freeze\" x=\"%.1f\" y=\"%d\" "
			"width=\"%.1f\" height=\"%d\"><title>Freeze ", x0, top,
			x1 - x0 > 1 ? x1 - x0 : 1, bottom - top);
		esc(p, sp[i].name);
		put(p, "</title></rect><text class=\"gantt-freeze-label\" ");
		putf(p, "x=\"%.1f\" y=\"%d\">freeze: ", x0 + 3, bottom + 12);
		esc_max(p->out, sp[i].name, 24);
		put(p, "</text>\n");
	}
	free(sp);
}

static void gantt_row(struct page *p, const struct axis *a,
	const struct win *w, int y, int rh)
{
	char b1[16], b2[16], b3[16], b4[16];
	double x0, x1, left, right;
	long long t;
	size_t k;
	int cy = y + rh / 2;

	putf(p, "<g class=\"gantt-line\"><text class=\"glabel\" x=\"8\" "
		"y=\"%d\"><tspan class=\"gid\">", cy + 4);
	esc(p, w->id);
	put(p, "</tspan> ");
	esc_max(p->out, w->title, 30);
	put(p, "</text>");
	if (w->has_window) {
		x0 = tx(a, w->start);
		x1 = tx(a, w->end);
		if (x1 - x0 < 6)
			x1 = x0 + 6;
		put(p, "<rect class=\"gantt-bar\" data-type=\"");
		put_token(p, w->type);
		putf(p, "\" x=\"%.1f\" y=\"%d\" width=\"%.1f\" height=\"%d\" "
			"rx=\"2\"><title>", x0, cy - 7, x1 - x0, 14);
		window_title(p, w);
		put(p, "</title></rect>");
		fmt_md(b1, w->start);
		fmt_hm(b2, w->start);
		fmt_md(b3, w->end);
		fmt_hm(b4, w->end);
		right = x1;
		left = x0;
		for (k = 0; w->tasks && k < w->tasks->count; k++)
			if (task_due(w->tasks->items[k], &t) && t >= a->t0 &&
			    t <= a->t1) {
				if (tx(a, t) + 7 > right)
					right = tx(a, t) + 7;
				if (tx(a, t) - 7 < left)
					left = tx(a, t) - 7;
			}
		/* beside the bar and its diamonds, on the side with room */
		if (right + 150 < a->x1)
			putf(p, "<text class=\"gwin\" x=\"%.1f\" y=\"%d\">",
				right + 5, cy + 4);
		else
			putf(p, "<text class=\"gwin\" x=\"%.1f\" y=\"%d\" "
				"text-anchor=\"end\">", left - 5, cy + 4);
		if (!strcmp(b1, b3))
			putf(p, "%s %s\xe2\x80\x93%s</text>", b1, b2, b4);
		else
			putf(p, "%s %s \xe2\x80\x93 %s %s</text>", b1, b2, b3, b4);
	}
	for (k = 0; w->tasks && k < w->tasks->count; k++) {
		const crq_node *tk = w->tasks->items[k];

		if (!task_due(tk, &t) || t < a->t0 || t > a->t1)
			continue;
		x0 = tx(a, t);
		putf(p, "<polygon class=\"gantt-due\" data-done=\"%s\" "
			"points=\"%.1f,%d %.1f,%d %.1f,%d %.1f,%d\"><title>",
			mtrue(tk, "done") ? "true" : "false", x0, cy - 6, x0 + 6, cy,
			x0, cy + 6, x0 - 6, cy);
		fmt_md(b1, t);
		fmt_hm(b2, t);
		putf(p, "Task %lld ", mint(tk, "number"));
		esc(p, mstr(tk, "title"));
		putf(p, " due %s %s%s</title></polygon>", b1, b2,
			mtrue(tk, "done") ? " (done)" : "");
	}
	put(p, "</g>\n");
}

static void gantt_table(struct page *p, const struct win *w, size_t n)
{
	static const char *const h[] = { "Change", "Title", "State", "Start",
		"End", "#Duration", "Tasks due", NULL };
	char b[32];
	size_t i, k, m;
	long long t;

	table_open(p, "data gantt-data", "Change windows and task due dates", h);
	for (i = 0; i < n; i++) {
		put(p, "<tr><th scope=\"row\"><a href=\"#chg-");
		put_id(p, w[i].id);
		put(p, "\">");
		esc(p, w[i].id);
		put(p, "</a></th><td>");
		esc_or_dash(p, w[i].title);
		put(p, "</td><td>");
		esc_or_dash(p, w[i].state);
		put(p, "</td>");
		if (w[i].has_window) {
			fmt_time(b, w[i].start);
			putf(p, "<td>%s</td>", b);
			fmt_time(b, w[i].end);
			putf(p, "<td>%s</td>", b);
			td_num(p, U_SECS, (double)(w[i].end - w[i].start));
		} else {
			put(p, "<td>\xe2\x80\x94</td><td>\xe2\x80\x94</td>"
				"<td></td>");
		}
		put(p, "<td>");
		for (k = m = 0; w[i].tasks && k < w[i].tasks->count; k++) {
			const crq_node *tk = w[i].tasks->items[k];

			if (!task_due(tk, &t))
				continue;
			fmt_time(b, t);
			putf(p, "%s#%lld %s%s", m++ ? "; " : "", mint(tk, "number"),
				b, mtrue(tk, "done") ? " (done)" : "");
		}
		put(p, m ? "</td></tr>\n" : "\xe2\x80\x94</td></tr>\n");
	}
	table_close(p);
}

static void gantt_section(struct page *p, const crq_node *cal,
	const struct win *all, size_t nall)
{
	const int W = 1120, TOP = 44, RH = 26;
	const struct win *w = all;
	size_t n = nall, i, k;
	struct axis a = { 0, 0, 300, W - 16 };
	long long t, lo = 0, hi = 0;
	int any = 0, H;

	put(p, "<section id=\"gantt\" class=\"block\">\n<h2>Schedule</h2>\n");
	if (n > MAX_ROWS) {
		w = all + (n - MAX_ROWS);
		putf(p, "<p class=\"lead\">The last %d of %zu changes with a "
			"window or a task due.</p>\n", MAX_ROWS, n);
		n = MAX_ROWS;
	}
	for (i = 0; i < n; i++) {
		if (w[i].has_window) {
			if (!any || w[i].start < lo)
				lo = w[i].start;
			if (!any || w[i].end > hi)
				hi = w[i].end;
			any = 1;
		}
		for (k = 0; w[i].tasks && k < w[i].tasks->count; k++)
			if (task_due(w[i].tasks->items[k], &t)) {
				if (!any || t < lo)
					lo = t;
				if (!any || t > hi)
					hi = t;
				any = 1;
			}
	}
	if (!any) {
		empty(p, "No change has a window or a task due.");
		put(p, "</section>\n");
		return;
	}
	a.t0 = floordiv(lo, DAY) * DAY;
	a.t1 = (floordiv(hi - 1, DAY) + 1) * DAY;
	if (a.t1 < a.t0 + 7 * DAY)
		a.t1 = a.t0 + 7 * DAY;
	put(p, "<p class=\"lead\">Change windows (bars) and task due dates "
		"(diamonds: open, filled: done) over time, in UTC; shaded: "
		"freezes.</p>\n");
	H = TOP + (int)n * RH + 20;
	chart_open(p, W, H, "Schedule of the change windows");
	gantt_desc(p, w, n, &a);
	for (i = 0; i < n; i += 2)
		putf(p, "<rect class=\"gantt-row\" x=\"0\" y=\"%d\" width=\"%d\" "
			"height=\"%d\"/>", TOP + (int)i * RH, W, RH);
	gantt_axis(p, &a, TOP, TOP + (int)n * RH);
	gantt_freezes(p, &a, cal, TOP, TOP + (int)n * RH);
	if (p->now >= a.t0 && p->now <= a.t1) {
		double x = tx(&a, p->now);

		putf(p, "<line class=\"gantt-now\" x1=\"%.1f\" y1=\"%d\" "
			"x2=\"%.1f\" y2=\"%d\"/><text class=\"gantt-now-label\" "
			"x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">now</text>\n",
			x, TOP - 4, x, TOP + (int)n * RH, x, TOP + (int)n * RH + 12);
	}
	for (i = 0; i < n; i++)
		gantt_row(p, &a, &w[i], TOP + (int)i * RH, RH);
	put(p, "</svg>\n");
	gantt_table(p, w, n);
	put(p, "</section>\n");
}

/* ---- changes: trails and controls ---------------------------------- */

struct step_ref {
	const char *change;
	size_t i;
};

static int cmp_step(const void *a, const void *b)
{
	const struct step_ref *x = a, *y = b;
	int c = strcmp(x->change, y->change);

	return c ? c : x->i < y->i ? -1 : x->i > y->i;
}

/* "separation-of-duties" -> "Separation of duties" */
static void control_name(struct page *p, const char *c)
{
	char b[96];
	size_t i;

	if (!c) {
		put(p, "?");
		return;
	}
	for (i = 0; c[i] && i < sizeof(b) - 1; i++)
		b[i] = c[i] == '-' ? ' ' : c[i];
	b[i] = 0;
	if (b[0] >= 'a' && b[0] <= 'z')
		b[0] = (char)(b[0] - 'a' + 'A');
	esc(p, b);
}

static const char *status_text(const char *s)
{
	if (!s)
		return "?";
	if (!strcmp(s, "pass"))
		return "\xe2\x9c\x93 pass";
	if (!strcmp(s, "fail"))
		return "\xe2\x9c\x97 fail";
	if (!strcmp(s, "pending"))
		return "\xe2\x80\xa6 pending";
	if (!strcmp(s, "not-recorded"))
		return "? not recorded";
	if (!strcmp(s, "n/a"))
		return "\xe2\x80\x93 n/a";
	return NULL;
}

static void controls_table(struct page *p, const crq_node *ctl)
{
	static const char *const h[] = { "Control", "Status", "Proven by",
		"Detail", NULL };
	size_t i;

	if (!ctl || !ctl->count)
		return;
	table_open(p, "controls", "Controls", h);
	for (i = 0; i < ctl->count; i++) {
		const crq_node *c = ctl->items[i];
		const char *st = mstr(c, "status"), *text = status_text(st);

		put(p, "<tr><th scope=\"row\">");
		control_name(p, mstr(c, "control"));
		put(p, "</th><td class=\"control status-");
		put_token(p, st);
		put(p, "\">");
		if (text)
			put(p, text);
		else
			esc(p, st);
		put(p, "</td><td>");
		if (mstr(c, "commit")) {
			put(p, "<code>");
			esc_short(p, mstr(c, "commit"), 10);
			put(p, "</code>");
		} else {
			put(p, "\xe2\x80\x94");
		}
		put(p, "</td><td class=\"wrap\">");
		esc(p, mstr(c, "detail"));
		put(p, "</td></tr>\n");
	}
	table_close(p);
}

static void tasks_table(struct page *p, const crq_node *tasks, long long now)
{
	static const char *const h[] = { "#No.", "Task", "Phase", "Owner",
		"Due", "Status", NULL };
	size_t i;
	long long t;

	if (!tasks || !tasks->count)
		return;
	table_open(p, "tasks", "Tasks", h);
	for (i = 0; i < tasks->count; i++) {
		const crq_node *tk = tasks->items[i];
		int done = mtrue(tk, "done"), late = !done && now &&
			task_due(tk, &t) && t < now;

		putf(p, "<tr%s><td class=\"num\">%lld</td><td>",
			late ? " class=\"bad\"" : "", mint(tk, "number"));
		esc_or_dash(p, mstr(tk, "title"));
		put(p, "</td><td>");
		esc_or_dash(p, mstr(tk, "phase"));
		put(p, "</td><td>");
		if (mstr(tk, "owner"))
			esc(p, mstr(tk, "owner"));
		else
			esc_or_dash(p, mstr(tk, "role"));
		put(p, "</td><td>");
		put_time(p, mstr(tk, "due"));
		putf(p, "</td><td>%s</td></tr>\n", done ? "done" :
			late ? "overdue" : "open");
	}
	table_close(p);
}

static void deployments_table(struct page *p, const crq_node *deps)
{
	static const char *const h[] = { "Commit", "Environment", "Artifact",
		"By", "At", NULL };
	size_t i;

	if (!deps || !deps->count)
		return;
	table_open(p, "deployments", "Deployments", h);
	for (i = 0; i < deps->count; i++) {
		const crq_node *d = deps->items[i];

		put(p, "<tr><td><code>");
		esc_short(p, mstr(d, "ref"), 10);
		put(p, "</code></td><td>");
		esc_or_dash(p, mstr(d, "environment"));
		put(p, "</td><td><code class=\"fp\">");
		esc_or_dash(p, mstr(d, "artifact"));
		put(p, "</code></td><td>");
		esc_or_dash(p, mstr(d, "by"));
		put(p, "</td><td>");
		put_time(p, mstr(d, "at") ? mstr(d, "at") : mstr(d, "time"));
		put(p, "</td></tr>\n");
	}
	table_close(p);
}

static void trail_row(struct page *p, const crq_node *s)
{
	const char *verdict = mstr(s, "verdict"), *sig = mstr(s, "signature");
	int refused = verdict && !strcmp(verdict, "refused");
	double pv = mnum(s, "policy_version");

	putf(p, "<tr%s><td>", refused ? " class=\"refused\"" : "");
	put_time(p, mstr(s, "time"));
	put(p, "</td><td><code>");
	esc_short(p, mstr(s, "commit"), 10);
	put(p, "</code></td><td>");
	esc_or_dash(p, mstr(s, "by"));
	put(p, "</td><td>");
	esc_or_dash(p, mstr(s, "role"));
	put(p, "</td><td>");
	esc_or_dash(p, mstr(s, "action"));
	put(p, "</td><td>");
	esc_or_dash(p, mstr(s, "from"));
	put(p, " \xe2\x86\x92 ");
	esc_or_dash(p, mstr(s, "to"));
	put(p, "</td>");
	td_num(p, U_COUNT, pv);
	put(p, "<td class=\"wrap\">");
	if (mstr(s, "key")) {
		/* the column says SHA256; the title keeps it whole */
		const char *k = mstr(s, "key");

		put(p, "<code class=\"fp\" title=\"");
		esc(p, k);
		put(p, "\">");
		esc(p, strncmp(k, "SHA256:", 7) ? k : k + 7);
		put(p, "</code>");
	} else {
		put(p, "\xe2\x80\x94");
	}
	put(p, "</td><td class=\"sig-");
	put_token(p, sig);
	put(p, "\">");
	esc_or_dash(p, sig);
	put(p, "</td><td class=\"v-");
	put_token(p, verdict);
	put(p, "\">");
	if (refused) {
		put(p, "<strong>\xe2\x9c\x97 refused</strong>");
		if (mstr(s, "rule")) {
			put(p, " <code>");
			esc(p, mstr(s, "rule"));
			put(p, "</code>");
		}
		if (mstr(s, "message")) {
			put(p, ": ");
			esc(p, mstr(s, "message"));
		}
	} else {
		esc_or_dash(p, verdict);
	}
	put(p, "</td></tr>\n");
}

static const char *const trail_heads[] = { "Time (UTC)", "Commit",
	"Member", "Role", "Action", "From \xe2\x86\x92 to", "#Policy",
	"Key (SHA256)",
	"Signature", "Verify", NULL };

static void trail_table(struct page *p, const crq_node *steps,
	const struct step_ref *refs, size_t from, size_t to, const char *what)
{
	char cap[160];
	size_t i;

	snprintf(cap, sizeof(cap), "%s: %zu step%s", what, to - from,
		to - from == 1 ? "" : "s");
	table_open(p, "trail", cap, trail_heads);
	for (i = from; i < to; i++)
		trail_row(p, steps->items[refs[i].i]);
	table_close(p);
}

static void fact(struct page *p, const char *name)
{
	putf(p, "<div><dt>%s</dt><dd>", name);
}

static void fact_end(struct page *p)
{
	put(p, "</dd></div>\n");
}

static void change_section(struct page *p, const crq_node *c,
	const crq_node *steps, const struct step_ref *refs, size_t nrefs)
{
	const char *id = mstr(c, "id"), *verdict = mstr(c, "verdict");
	const crq_node *win = mobj(c, "window");
	struct step_ref key = { id, 0 };
	size_t lo = 0, hi = nrefs, mid;
	int refused = verdict && !strcmp(verdict, "refused");
	long long s, e;
	char b[32];

	/* the first of the change's steps, then its run */
	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (cmp_step(&refs[mid], &key) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (hi = lo; hi < nrefs && !strcmp(refs[hi].change, id); hi++)
		;
	put(p, "<section class=\"change\" id=\"chg-");
	put_id(p, id);
	putf(p, "\"%s>\n<h3><span class=\"cid\">", refused ?
		" data-verdict=\"refused\"" : "");
	esc(p, id);
	put(p, "</span>");
	esc_or_dash(p, mstr(c, "title"));
	put(p, "</h3>\n<p>");
	if (mstr(c, "type")) {
		put(p, "<span class=\"tag t-");
		put_token(p, mstr(c, "type"));
		put(p, "\">");
		esc(p, mstr(c, "type"));
		put(p, "</span>");
	}
	if (mstr(c, "state")) {
		put(p, "<span class=\"tag\">");
		esc(p, mstr(c, "state"));
		put(p, "</span>");
	}
	if (mstr(c, "risk")) {
		put(p, "<span class=\"tag\">risk ");
		esc(p, mstr(c, "risk"));
		put(p, "</span>");
	}
	if (verdict) {
		put(p, "<span class=\"tag v-");
		put_token(p, verdict);
		put(p, "\">");
		put(p, refused ? "a step refused" : "all steps accepted");
		put(p, "</span>");
	}
	put(p, "</p>\n<dl class=\"facts\">\n");
	fact(p, "Requester");
	esc_or_dash(p, mstr(c, "requester"));
	fact_end(p);
	fact(p, "Implementer");
	esc_or_dash(p, mstr(c, "implementer"));
	fact_end(p);
	fact(p, "Services");
	if (marr(c, "services") && marr(c, "services")->count)
		join_strings(p, marr(c, "services"));
	else
		put(p, "\xe2\x80\x94");
	fact_end(p);
	fact(p, "Created");
	put_time(p, mstr(c, "created"));
	fact_end(p);
	fact(p, "Window");
	if (parse_time(mstr(win, "start"), &s) &&
	    parse_time(mstr(win, "end"), &e)) {
		put_time(p, mstr(win, "start"));
		if (floordiv(s, DAY) == floordiv(e, DAY)) {
			/* the same day: its end as a time of day */
			fmt_hm(b, e);
			put(p, "\xe2\x80\x93<time datetime=\"");
			esc(p, mstr(win, "end"));
			putf(p, "\">%s</time>", b);
		} else {
			put(p, " \xe2\x80\x93 ");
			put_time(p, mstr(win, "end"));
		}
		fmt_dur(b, (double)(e - s));
		putf(p, " (%s)", b);
	} else {
		put(p, "\xe2\x80\x94");
	}
	fact_end(p);
	fact(p, "Close code");
	esc_or_dash(p, mstr(c, "close_code"));
	fact_end(p);
	if (mstr(c, "review_due")) {
		fact(p, "Review due");
		put_time(p, mstr(c, "review_due"));
		fact_end(p);
	}
	put(p, "</dl>\n");
	controls_table(p, marr(c, "controls"));
	tasks_table(p, marr(c, "tasks"), p->now);
	deployments_table(p, marr(c, "deployments"));
	if (hi > lo)
		trail_table(p, steps, refs, lo, hi, "Trail");
	else
		empty(p, "No steps in the pack.");
	put(p, "</section>\n");
}

static void change_index(struct page *p, const crq_node *ch)
{
	static const char *const h[] = { "Change", "Title", "Type", "State",
		"#Steps", "Controls", "Verify", NULL };
	static const char *const st[] = { "pass", "fail", "pending",
		"not-recorded", "n/a" };
	size_t i, k, j, cnt;

	table_open(p, "index", "The changes in this file", h);
	for (i = 0; i < ch->count; i++) {
		const crq_node *c = ch->items[i], *ctl = marr(c, "controls");
		const char *v = mstr(c, "verdict");
		int bad = v && !strcmp(v, "refused");

		for (j = 0; ctl && j < ctl->count; j++)
			bad |= mstr(ctl->items[j], "status") &&
				!strcmp(mstr(ctl->items[j], "status"), "fail");
		putf(p, "<tr%s><th scope=\"row\"><a href=\"#chg-",
			bad ? " class=\"bad\"" : "");
		put_id(p, mstr(c, "id"));
		put(p, "\">");
		esc(p, mstr(c, "id"));
		put(p, "</a></th><td>");
		esc_or_dash(p, mstr(c, "title"));
		put(p, "</td><td>");
		esc_or_dash(p, mstr(c, "type"));
		put(p, "</td><td>");
		esc_or_dash(p, mstr(c, "state"));
		put(p, "</td>");
		td_num(p, U_COUNT, mnum(c, "steps"));
		put(p, "<td>");
		for (k = 0, cnt = 0; k < CRQ_ARRAY_SIZE(st); k++) {
			size_t m = 0;

			for (j = 0; ctl && j < ctl->count; j++)
				m += mstr(ctl->items[j], "status") &&
					!strcmp(mstr(ctl->items[j], "status"), st[k]);
			if (m)
				putf(p, "%s%zu %s", cnt++ ? " \xc2\xb7 " : "", m,
					st[k]);
		}
		put(p, cnt ? "</td><td>" : "\xe2\x80\x94</td><td>");
		esc_or_dash(p, v);
		put(p, "</td></tr>\n");
	}
	table_close(p);
}

static void changes_section(struct page *p, const crq_node *audit)
{
	const crq_node *ch = marr(audit, "changes");
	const crq_node *steps = marr(audit, "steps");
	struct step_ref *refs;
	size_t i, n = 0, pol = 0;

	refs = crq__calloc((steps ? steps->count : 0) + 1, sizeof(*refs));
	for (i = 0; steps && i < steps->count; i++) {
		const char *c = mstr(steps->items[i], "change");

		refs[n].change = c ? c : "";	/* "": policy steps */
		refs[n].i = i;
		n++;
	}
	crq__sort(refs, n, sizeof(*refs), cmp_step);
	put(p, "<section id=\"changes\" class=\"block\">\n"
		"<h2>Changes: trails and controls</h2>\n");
	put(p, "<p class=\"lead\">Every step of each change as crq verify "
		"judged it: who took it in which role, under which policy "
		"version, signed by which key; and each control with the "
		"commit that proves it.</p>\n");
	if (ch && ch->count)
		change_index(p, ch);
	else
		empty(p, "No changes in the pack.");
	for (i = 0; ch && i < ch->count; i++)
		if (mstr(ch->items[i], "id"))
			change_section(p, ch->items[i], steps, refs, n);
	while (pol < n && !*refs[pol].change)
		pol++;
	if (pol) {
		put(p, "<section class=\"policy-trail\" id=\"policy-steps\">\n"
			"<h3>Policy and membership steps</h3>\n");
		trail_table(p, steps, refs, 0, pol, "Policy steps");
		put(p, "</section>\n");
	}
	put(p, "</section>\n");
	free(refs);
}

/* ---- RACI ---------------------------------------------------------- */

static void raci_cell(struct page *p, const char *v)
{
	const char *k;

	put(p, "<td class=\"cell");
	for (k = v; k && *k; k++)
		if (*k == 'R' || *k == 'A' || *k == 'C' || *k == 'I')
			putf(p, " has-%c", *k - 'A' + 'a');
	put(p, "\">");
	esc(p, v);
	put(p, "</td>");
}

/* "draft, submitted → assessed"; "(any state)" for "*"; an action
 * that leaves the state as it is: "in draft, submitted" */
static void raci_states(struct page *p, const crq_node *from, const char *to)
{
	int any = !from || !from->count || (from->count == 1 &&
		from->items[0]->kind == CRQ_NODE_STRING &&
		!strcmp(from->items[0]->str, "*"));

	if (!to)
		put(p, "in ");
	if (any)
		put(p, "any state");
	else
		join_strings(p, from);
	if (to) {
		put(p, " \xe2\x86\x92 ");
		esc(p, to);
	}
}

static void raci_section(struct page *p, const crq_node *raci)
{
	const crq_node *roles = marr(raci, "roles");
	const crq_node *phases = marr(raci, "phases");
	size_t i, k, r, nr = roles ? roles->count : 0;

	put(p, "<section id=\"raci\" class=\"block\">\n<h2>RACI matrix</h2>\n"
		"<p class=\"lead\">Read from the policy in force: "
		"<b>R</b> responsible (may take the action), <b>A</b> "
		"accountable (its approval is required), <b>C</b> consulted, "
		"<b>I</b> informed.</p>\n");
	put(p, "<table class=\"raci\">\n<caption>Workflow actions by phase "
		"against the policy's roles</caption>\n<thead><tr>"
		"<th scope=\"col\">Action</th><th scope=\"col\">From "
		"\xe2\x86\x92 to</th>");
	for (r = 0; r < nr; r++) {
		put(p, "<th scope=\"col\">");
		if (roles->items[r]->kind == CRQ_NODE_STRING)
			esc(p, roles->items[r]->str);
		put(p, "</th>");
	}
	put(p, "</tr></thead>\n");
	for (i = 0; phases && i < phases->count; i++) {
		const crq_node *ph = phases->items[i];
		const crq_node *acts = marr(ph, "actions");

		putf(p, "<tbody>\n<tr><th scope=\"rowgroup\" colspan=\"%zu\">",
			nr + 2);
		esc_or_dash(p, mstr(ph, "phase"));
		put(p, "</th></tr>\n");
		for (k = 0; acts && k < acts->count; k++) {
			const crq_node *a = acts->items[k];
			const crq_node *cells = mobj(a, "cells");
			const crq_node *types = marr(a, "types");

			put(p, "<tr><th scope=\"row\">");
			esc_or_dash(p, mstr(a, "action"));
			if (types && types->count) {
				put(p, " <small>(");
				join_strings(p, types);
				put(p, ")</small>");
			}
			put(p, "</th><td>");
			raci_states(p, marr(a, "from"), mstr(a, "to"));
			put(p, "</td>");
			for (r = 0; r < nr; r++) {
				const crq_node *role = roles->items[r];

				raci_cell(p, role->kind == CRQ_NODE_STRING ?
					mstr(cells, role->str) : NULL);
			}
			put(p, "</tr>\n");
		}
		put(p, "</tbody>\n");
	}
	put(p, "</table>\n</section>\n");
}

/* ---- the page ------------------------------------------------------ */

static void top(struct page *p, const char *title, const crq_node *rep,
	const crq_node *audit)
{
	const char *gen = mstr(audit, "generated") ? mstr(audit, "generated") :
		mstr(rep, "generated");

	put(p, "<header class=\"top\">\n<h1>");
	esc(p, title);
	put(p, "</h1>\n<p>");
	if (gen) {
		put(p, "Generated ");
		put_time(p, gen);
		put(p, " UTC");
	} else {
		put(p, "Change management evidence");
	}
	if (mstr(audit, "branch")) {
		put(p, " \xc2\xb7 branch ");
		esc(p, mstr(audit, "branch"));
	}
	if (mstr(audit, "tip")) {
		put(p, " \xc2\xb7 tip <code>");
		esc_short(p, mstr(audit, "tip"), 10);
		put(p, "</code>");
	}
	if (mstr(audit, "root")) {
		put(p, " \xc2\xb7 trusted root <code>");
		esc_short(p, mstr(audit, "root"), 10);
		put(p, "</code>");
	}
	put(p, " \xc2\xb7 all times UTC</p>\n</header>\n");
}

static void toc(struct page *p, const crq_node *rep, const crq_node *audit,
	const crq_node *cal, const crq_node *raci, int audit_first)
{
	put(p, "<nav class=\"toc\" aria-label=\"Contents\"><ul>"
		"<li><a href=\"#summary\">Summary</a></li>");
	if (audit && audit_first)
		put(p, "<li><a href=\"#changes\">Trails and controls</a></li>");
	if (rep)
		put(p, "<li><a href=\"#metrics\">Metrics</a></li>");
	if (cal)
		put(p, "<li><a href=\"#calendar\">Calendar</a></li>"
			"<li><a href=\"#gantt\">Schedule</a></li>");
	if (audit && !audit_first)
		put(p, "<li><a href=\"#changes\">Trails and controls</a></li>");
	if (raci)
		put(p, "<li><a href=\"#raci\">RACI matrix</a></li>");
	put(p, "</ul></nav>\n");
}

void crq_dashboard_html(crq_buf *out, const crq_node *report,
	const crq_node *audit, const crq_node *calendar, const crq_node *raci,
	const crq_dashboard_options *opts)
{
	struct page p = { out, 0, 0 };
	const crq_node *cal = calendar ? calendar : mobj(report, "calendar");
	int audit_first = opts && opts->audit_first;
	const char *title = opts && opts->title ? opts->title :
		audit_first ? "crq audit" : "crq report";
	struct win *w = NULL;
	size_t nw = 0;

	assert(out);
	if (!parse_time(mstr(audit, "generated"), &p.now))
		parse_time(mstr(report, "generated"), &p.now);
	if (cal)
		w = windows(&nw, cal, audit);
	page_head(&p, title);
	top(&p, title, report, audit);
	toc(&p, report, audit, cal, raci, audit_first);
	put(&p, "<main>\n");
	summary(&p, report, audit);
	if (audit && audit_first)
		changes_section(&p, audit);
	if (report)
		metrics(&p, report);
	if (cal) {
		calendar_section(&p, cal, w, nw);
		gantt_section(&p, cal, w, nw);
	}
	if (audit && !audit_first)
		changes_section(&p, audit);
	if (raci)
		raci_section(&p, raci);
	put(&p, "</main>\n<footer>Written by crq from the verified history. "
		"One self-contained file: no scripts, nothing loaded from "
		"the network.</footer>\n</div>\n</body>\n</html>\n");
	free(w);
}
