/*
 * calendar.c - durations, time zones (libical's, over the system's
 * zoneinfo, loaded on first use; UTC without it), business hours,
 * weekly maintenance windows and the service catalogue's dependencies.
 * See calendar.h.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "calendar.h"
#include "dynload.h"
#include "store.h"

#define DAY 86400LL
/* how far a clock or a due time is searched for */
#define MAX_DAYS 3660

static const char *const day_names[] = {
	"mon", "tue", "wed", "thu", "fri", "sat", "sun"
};

long long crq_cal__duration(const char *s)
{
	long long total = 0, n;
	int any = 0, last = 0;	/* d=1 h=2 m=3: in that order, once each */

	if (!s || !*s)
		return -1;
	while (*s) {
		int unit;

		if (*s < '0' || *s > '9')
			return -1;
		for (n = 0; *s >= '0' && *s <= '9'; s++) {
			n = n * 10 + (*s - '0');
			if (n > 100000000)
				return -1;
		}
		switch (*s) {
		case 'd': unit = 1; n *= DAY; break;
		case 'h': unit = 2; n *= 3600; break;
		case 'm': unit = 3; n *= 60; break;
		default: return -1;
		}
		if (unit <= last)
			return -1;
		last = unit;
		total += n;
		any = 1;
		s++;
	}
	return any ? total : -1;
}

void crq_cal__duration_text(char out[32], long long secs)
{
	long long m = secs / 60, d = m / 1440, h = m % 1440 / 60;
	int n = 0;

	m %= 60;
	out[0] = '\0';
	if (secs < 60) {
		snprintf(out, 32, "0m");
		return;
	}
	if (d)
		n += snprintf(out + n, 32 - n, "%lldd", d);
	if (h)
		n += snprintf(out + n, 32 - n, "%lldh", h);
	if (m)
		snprintf(out + n, 32 - n, "%lldm", m);
}

/* ---- zones ---- */

static int is_utc(const char *tz)
{
	return !tz || !strcmp(tz, "UTC") || !strcmp(tz, "Etc/UTC");
}

static const crq_ical_api *ical_live;	/* once loaded */

const crq_ical_api *crq_cal__ical(void)
{
	const crq_ical_api *ic = crq_dl__ical();

	if (ic) {
		ical_live = ic;
		/* libical keeps the zones it loads until told */
		crq__at_shutdown(crq_cal__shutdown);
	}
	return ic;
}

void crq_cal__shutdown(void)
{
	if (ical_live)
		ical_live->icaltimezone_free_builtin_timezones();
}

/* A zone other than UTC, with the table to use it: NULL when tz is not
 * known, or libical cannot be loaded (which the policy's parse, where
 * each zone a policy names is checked, reports; a computation after it
 * has no error to return, and counts in UTC). */
static icaltimezone *zone(const crq_ical_api **ic, const char *tz)
{
	if (!(*ic = crq_cal__ical()))
		return NULL;
	return (*ic)->icaltimezone_get_builtin_timezone(tz);
}

int crq_cal__zone_known(const char *tz)
{
	const crq_ical_api *ic;

	/* UTC needs no libical: most policies name no other zone, and
	 * every command parses the policy */
	if (is_utc(tz))
		return 1;
	if (!(ic = crq_cal__ical()))
		return -1;
	ic->icalerror_clear_errno();
	return ic->icaltimezone_get_builtin_timezone(tz) != NULL;
}

/* days since 1970-01-01 of a civil date, and back (proleptic
 * Gregorian; H. Hinnant's algorithms) */
static long long days_from_civil(int y, int m, int d)
{
	long long era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
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

static int weekday(long long days)
{
	/* 1970-01-01 was a Thursday (3, counting from Monday) */
	return (int)(((days % 7) + 7 + 3) % 7);
}

long long crq_cal__instant(const char *tz, int y, int m, int d, int h,
	int min)
{
	long long days = days_from_civil(y, m, d) + h / 24;
	const crq_ical_api *ic;
	icaltimezone *z;
	struct icaltimetype tt;

	h %= 24;
	if (is_utc(tz) || !(z = zone(&ic, tz)))
		return days * DAY + h * 3600LL + min * 60LL;
	civil_from_days(days, &y, &m, &d);
	tt = ic->icaltime_null_time();
	tt.year = y;
	tt.month = m;
	tt.day = d;
	tt.hour = h;
	tt.minute = min;
	tt.is_date = 0;
	return (long long)ic->icaltime_as_timet_with_zone(tt, z);
}

void crq_cal__local(crq_local *out, const char *tz, long long t)
{
	const crq_ical_api *ic;
	icaltimezone *z;
	long long days;

	if (is_utc(tz) || !(z = zone(&ic, tz))) {
		days = (t >= 0 ? t : t - DAY + 1) / DAY;
		civil_from_days(days, &out->year, &out->month, &out->day);
		out->hour = (int)((t - days * DAY) / 3600);
		out->minute = (int)((t - days * DAY) % 3600 / 60);
	} else {
		struct icaltimetype tt = ic->icaltime_from_timet_with_zone(
			(time_t)t, 0, z);

		out->year = tt.year;
		out->month = tt.month;
		out->day = tt.day;
		out->hour = tt.hour;
		out->minute = tt.minute;
	}
	out->wday = weekday(days_from_civil(out->year, out->month, out->day));
}

/* "HH:MM" at s into minutes; -1 when not one (24:00 is 1440). */
static int clock_minutes(const char *s)
{
	int h, m;

	if (!s || strlen(s) != 5 || s[2] != ':' ||
	    sscanf(s, "%2d:%2d", &h, &m) != 2 || m > 59 ||
	    h > 24 || (h == 24 && m))
		return -1;
	return h * 60 + m;
}

/* ---- business hours ---- */

struct span {
	long long s, e;
};

/* The working spans of local day `days` (days since the epoch) in
 * calendar cal, up to max of them. */
static size_t day_spans(struct span *out, size_t max, const crq_node *cal,
	long long days)
{
	const char *tz = crq_node_get_str(cal, "tz");
	const crq_node *hol = crq_node_get(cal, "holidays");
	const crq_node *list = crq_node_get(crq_node_get(cal, "hours"),
		day_names[weekday(days)]);
	char date[16];
	int y, m, d;
	size_t i, n = 0;

	civil_from_days(days, &y, &m, &d);
	snprintf(date, sizeof(date), "%04d-%02d-%02d", y, m, d);
	if (crq_node__has(hol, date) || !list ||
	    list->kind != CRQ_NODE_ARRAY)
		return 0;
	for (i = 0; i < list->count && n < max; i++) {
		const char *iv = list->items[i]->kind == CRQ_NODE_STRING ?
			list->items[i]->str : "";
		char a[6] = "", b[6] = "";
		int ma, mb;

		if (strlen(iv) != 11 || iv[5] != '-')
			continue;
		memcpy(a, iv, 5);
		memcpy(b, iv + 6, 5);
		ma = clock_minutes(a);
		mb = clock_minutes(b);
		if (ma < 0 || mb <= ma)
			continue;
		out[n].s = crq_cal__instant(tz, y, m, d, ma / 60, ma % 60);
		out[n].e = crq_cal__instant(tz, y, m, d, mb / 60, mb % 60);
		if (out[n].e > out[n].s)
			n++;
	}
	return n;
}

static const crq_node *calendar_of(const crq_node *policy, const char *hours)
{
	return crq_node_get(crq_node_get(policy, "calendars"), hours);
}

static long long local_days(const char *tz, long long t)
{
	crq_local l;

	crq_cal__local(&l, tz, t);
	return days_from_civil(l.year, l.month, l.day);
}

long long crq_cal__worked(const crq_node *policy, const char *hours,
	long long a, long long b)
{
	const crq_node *cal;
	struct span sp[16];
	long long day, last, total = 0;
	size_t i, n;

	if (b <= a)
		return 0;
	if (!hours || !strcmp(hours, "24x7"))
		return b - a;
	if (!(cal = calendar_of(policy, hours)))
		return -1;
	/* ten years of working time is a breach whatever the target:
	 * counting further (an --at in 9999) only takes time */
	if (b - a > MAX_DAYS * DAY)
		b = a + MAX_DAYS * DAY;
	day = local_days(crq_node_get_str(cal, "tz"), a) - 1;
	last = local_days(crq_node_get_str(cal, "tz"), b) + 1;
	for (; day <= last; day++) {
		n = day_spans(sp, 16, cal, day);
		for (i = 0; i < n; i++) {
			long long s = sp[i].s > a ? sp[i].s : a;
			long long e = sp[i].e < b ? sp[i].e : b;

			if (e > s)
				total += e - s;
		}
	}
	return total;
}

long long crq_cal__due(const crq_node *policy, const char *hours,
	long long start, long long within)
{
	const crq_node *cal;
	struct span sp[16];
	long long day, end, left = within;
	size_t i, n;

	if (!hours || !strcmp(hours, "24x7"))
		return start + within;
	if (!(cal = calendar_of(policy, hours)))
		return -1;
	day = local_days(crq_node_get_str(cal, "tz"), start) - 1;
	for (end = day + MAX_DAYS; day <= end; day++) {
		n = day_spans(sp, 16, cal, day);
		for (i = 0; i < n; i++) {
			long long s = sp[i].s > start ? sp[i].s : start;

			if (sp[i].e <= s)
				continue;
			if (left <= sp[i].e - s)
				return s + left;
			left -= sp[i].e - s;
		}
	}
	return -1;
}

/* ---- maintenance windows ---- */

int crq_cal__maintenance_applies(const crq_node *m, const crq_node *services)
{
	const crq_node *svc = crq_node_get(m, "services");
	size_t i;

	if (!svc || !svc->count)
		return 1;
	for (i = 0; services && services->kind == CRQ_NODE_ARRAY &&
			i < services->count; i++)
		if (services->items[i]->kind == CRQ_NODE_STRING &&
		    crq_node__has(svc, services->items[i]->str))
			return 1;
	return 0;
}

int crq_cal__occurrences(const crq_node *m, long long from, long long to,
	int (*fn)(long long s, long long e, void *payload), void *payload)
{
	const char *tz = crq_node_get_str(m, "tz");
	const crq_node *days = crq_node_get(m, "days");
	int ms = clock_minutes(crq_node_get_str(m, "start"));
	int me = clock_minutes(crq_node_get_str(m, "end"));
	long long day, last;
	int r;

	if (ms < 0 || me < 0 || crq_cal__zone_known(tz) <= 0 || to <= from)
		return 0;
	if (me <= ms)
		me += 1440;	/* ends the next day */
	day = local_days(tz, from) - 2;
	last = local_days(tz, to) + 1;
	for (; day <= last; day++) {
		int y, mo, d;
		long long s, e;

		if (!crq_node__has(days, day_names[weekday(day)]))
			continue;
		civil_from_days(day, &y, &mo, &d);
		s = crq_cal__instant(tz, y, mo, d, ms / 60, ms % 60);
		e = crq_cal__instant(tz, y, mo, d, me / 60, me % 60);
		if (s < to && from < e && (r = fn(s, e, payload)))
			return r;
	}
	return 0;
}

struct holds {
	long long ws, we;
};

static int holds_window(long long s, long long e, void *payload)
{
	const struct holds *h = payload;

	return s <= h->ws && h->we <= e;
}

int crq_cal__in_maintenance(const crq_node *policy, const crq_node *services,
	long long ws, long long we)
{
	const crq_node *mw = crq_node_get(policy, "maintenance");
	struct holds h = { ws, we };
	int applies = 0;
	size_t i;

	for (i = 0; mw && mw->kind == CRQ_NODE_ARRAY && i < mw->count; i++) {
		if (!crq_cal__maintenance_applies(mw->items[i], services))
			continue;
		applies = 1;
		/* an occurrence that holds the window holds its start: look
		 * there only, whatever the window's length */
		if (crq_cal__occurrences(mw->items[i], ws, ws + 1,
				holds_window, &h))
			return 1;
	}
	return applies ? 0 : -1;
}

/* ---- services ---- */

const crq_node *crq_cal__service(const crq_node *policy, const char *name)
{
	const crq_node *cat = crq_node_get(policy, "services");
	long i;

	if (!cat || cat->kind != CRQ_NODE_ARRAY)
		return NULL;
	i = crq_node__find(cat, "name", name);
	return i < 0 ? NULL : cat->items[i];
}

crq_node *crq_cal__touches(const crq_node *policy, const crq_node *services)
{
	const crq_node *cat = crq_node_get(policy, "services");
	crq_node *set = crq_node_new(CRQ_NODE_OBJECT);
	size_t i, j;
	int grew = 1;

	for (i = 0; services && services->kind == CRQ_NODE_ARRAY &&
			i < services->count; i++)
		if (services->items[i]->kind == CRQ_NODE_STRING)
			crq_node_set(set, services->items[i]->str,
				crq_node_new_bool(1));
	/* what depends on a touched service is touched too */
	while (grew && cat && cat->kind == CRQ_NODE_ARRAY) {
		grew = 0;
		for (i = 0; i < cat->count; i++) {
			const char *n = crq_node_get_str(cat->items[i], "name");
			const crq_node *deps = crq_node_get(cat->items[i],
				"depends_on");

			if (!n || crq_node_get(set, n))
				continue;
			for (j = 0; deps && j < deps->count; j++)
				if (deps->items[j]->kind == CRQ_NODE_STRING &&
				    crq_node_get(set, deps->items[j]->str)) {
					crq_node_set(set, n, crq_node_new_bool(1));
					grew = 1;
					break;
				}
		}
	}
	return set;
}

static const char *named_in(const crq_node *touched, const crq_node *names)
{
	size_t i;

	for (i = 0; names && names->kind == CRQ_NODE_ARRAY &&
			i < names->count; i++)
		if (names->items[i]->kind == CRQ_NODE_STRING &&
		    crq_node_get(touched, names->items[i]->str))
			return names->items[i]->str;
	return NULL;
}

const char *crq_cal__related(const crq_node *policy, const crq_node *a,
	const crq_node *b)
{
	crq_node *ta = crq_cal__touches(policy, a);
	crq_node *tb = crq_cal__touches(policy, b);
	const char *r = named_in(ta, b);

	if (!r)
		r = named_in(tb, a);
	crq_node_free(ta);
	crq_node_free(tb);
	return r;
}

int crq_cal__freeze_applies(const crq_node *policy, const crq_node *f,
	const crq_node *doc)
{
	const crq_node *svc = crq_node_get(f, "services");
	const crq_node *types = crq_node_get(f, "types");
	const char *type = crq_node_get_str(doc, "type");
	crq_node *touched;
	int r;

	if (types ? !crq_node__has(types, type ? type : "normal") :
	    (type && !strcmp(type, "emergency")))
		return 0;
	/* a freeze without services holds every change, one with no
	 * service included */
	if (!svc || !svc->count)
		return 1;
	touched = crq_cal__touches(policy, crq_node_get(doc, "services"));
	r = named_in(touched, svc) != NULL;
	crq_node_free(touched);
	return r;
}

const crq_node *crq_cal__freeze_in(const crq_node *policy,
	const crq_node *doc, long long a, long long b)
{
	const crq_node *fr = crq_node_get(policy, "freeze");
	long long fs, fe;
	size_t i;

	if (b <= a)
		b = a + 1;
	for (i = 0; fr && fr->kind == CRQ_NODE_ARRAY && i < fr->count; i++)
		if (crq_cal__freeze_applies(policy, fr->items[i], doc) &&
		    crq_store__parse_time(crq_node_get_str(fr->items[i],
			"start"), &fs) == 0 &&
		    crq_store__parse_time(crq_node_get_str(fr->items[i],
			"end"), &fe) == 0 && a < fe && fs < b)
			return fr->items[i];
	return NULL;
}

int crq_cal__collides(const crq_node *policy, const crq_node *a,
	const crq_node *b, int kind, const char **what)
{
	const char *wa = crq_node_get_str(a, "implementer");
	const char *wb = crq_node_get_str(b, "implementer");
	long long as, ae, bs, be;

	*what = NULL;
	if (crq_cal__window(a, &as, &ae) < 0 ||
	    crq_cal__window(b, &bs, &be) < 0 || !(as < be && bs < ae))
		return 0;
	if (kind == CRQ_CAL_SERVICE)
		*what = crq_cal__related(policy, crq_node_get(a, "services"),
			crq_node_get(b, "services"));
	else if (wa && wb && !strcmp(wa, wb))
		*what = wa;
	return *what != NULL;
}

int crq_cal__window(const crq_node *doc, long long *ws, long long *we)
{
	const crq_node *w = crq_node_get(doc, "window");

	return crq_store__parse_time(crq_node_get_str(w, "start"), ws) < 0 ||
		crq_store__parse_time(crq_node_get_str(w, "end"), we) < 0 ?
		-1 : 0;
}

/* ---- policy checks ---- */

/* A day's opening spans: each ends after it starts (an overnight span
 * is two, one on each day), and none overlaps another (it would count
 * twice). */
static void check_spans(crq_issues *issues, const crq_node *list,
	const char *cal, const char *day)
{
	int from[16], to[16];
	size_t i, j, n = 0;

	for (i = 0; list->kind == CRQ_NODE_ARRAY && i < list->count &&
			n < 16; i++) {
		const char *iv = list->items[i]->kind == CRQ_NODE_STRING ?
			list->items[i]->str : "";
		char a[6] = "", b[6] = "";

		if (strlen(iv) != 11)
			continue;
		memcpy(a, iv, 5);
		memcpy(b, iv + 6, 5);
		from[n] = clock_minutes(a);
		to[n] = clock_minutes(b);
		if (to[n] <= from[n]) {
			crq_issues_add(issues, list->items[i], "/calendars",
				"calendar '%s', %s: '%s' ends before it starts (an overnight span is two: one each day)",
				cal, day, iv);
			continue;
		}
		for (j = 0; j < n; j++)
			if (from[n] < to[j] && from[j] < to[n])
				crq_issues_add(issues, list->items[i],
					"/calendars",
					"calendar '%s', %s: '%s' overlaps another span of the day",
					cal, day, iv);
		n++;
	}
}

/* Names go to terminals and calendars: no control characters, and one
 * entry a name (an iCalendar UID is made of it). */
static void check_names(crq_issues *issues, const crq_node *list,
	const char *what)
{
	size_t i, j;
	char ptr[64];

	for (i = 0; list && list->kind == CRQ_NODE_ARRAY && i < list->count;
			i++) {
		const char *n = crq_node_get_str(list->items[i], "name");
		const unsigned char *p;

		snprintf(ptr, sizeof(ptr), "/%s/%zu", what, i);
		for (p = (const unsigned char *)n; p && *p; p++)
			if (*p < 0x20 || *p == 0x7f) {
				crq_issues_add(issues, list->items[i], ptr,
					"%s %zu: its name holds a control character (U+%04X)",
					what, i + 1, *p);
				break;
			}
		for (j = 0; n && j < i; j++) {
			const char *o = crq_node_get_str(list->items[j], "name");

			if (o && !strcmp(o, n))
				crq_issues_add(issues, list->items[i], ptr,
					"%s '%s' is listed twice", what, n);
		}
	}
}

static void check_known(crq_issues *issues, const crq_node *policy,
	const crq_node *names, const char *ptr, const char *what)
{
	size_t i;

	for (i = 0; names && names->kind == CRQ_NODE_ARRAY &&
			i < names->count; i++)
		if (names->items[i]->kind == CRQ_NODE_STRING &&
		    !crq_cal__service(policy, names->items[i]->str))
			crq_issues_add(issues, names->items[i], ptr,
				"%s service '%s', which is not in the services catalogue",
				what, names->items[i]->str);
}

static _Thread_local unsigned zone_failures;

unsigned crq_cal__zone_failures(void)
{
	return zone_failures;
}

static void check_zone(crq_issues *issues, const crq_node *n,
	const char *ptr)
{
	int known;

	if (!n || n->kind != CRQ_NODE_STRING)
		return;
	if ((known = crq_cal__zone_known(n->str)) < 0 && ++zone_failures)
		crq_issues_add(issues, n, ptr, "time zone '%s': %s", n->str,
			crq_error_last());
	else if (!known)
		crq_issues_add(issues, n, ptr,
			"time zone '%s' is not known here (see /usr/share/zoneinfo)",
			n->str);
}

void crq_cal__check_policy(const crq_node *doc, crq_issues *issues)
{
	const crq_node *cat = crq_node_get(doc, "services");
	const crq_node *mw = crq_node_get(doc, "maintenance");
	const crq_node *cals = crq_node_get(doc, "calendars");
	const crq_node *sla = crq_node_get(doc, "sla");
	const crq_node *fr = crq_node_get(doc, "freeze");
	char ptr[128], what[160];
	size_t i, j;

	if (cat && cat->kind == CRQ_NODE_ARRAY) {
		for (i = 0; i < cat->count; i++) {
			const char *n = crq_node_get_str(cat->items[i], "name");
			crq_node *up;

			snprintf(ptr, sizeof(ptr), "/services/%zu", i);
			for (j = 0; n && j < i; j++)
				if (!strcmp(n, crq_node_get_str(cat->items[j],
						"name") ? crq_node_get_str(
						cat->items[j], "name") : ""))
					crq_issues_add(issues, cat->items[i], ptr,
						"service '%s' is listed twice", n);
			snprintf(what, sizeof(what), "service '%s' depends on",
				n ? n : "?");
			check_known(issues, doc, crq_node_get(cat->items[i],
				"depends_on"), ptr, what);
			/* a cycle: one of what it depends on depends on it */
			if (n && crq_node_get(cat->items[i], "depends_on")) {
				const crq_node *deps = crq_node_get(cat->items[i],
					"depends_on");
				crq_node *self = crq_node_new(CRQ_NODE_ARRAY);

				crq_node_push(self, crq_node_new_cstr(n));
				up = crq_cal__touches(doc, self);
				if (named_in(up, deps))
					crq_issues_add(issues, cat->items[i], ptr,
						"service '%s' depends on itself through depends_on",
						n);
				crq_node_free(up);
				crq_node_free(self);
			}
		}
		for (i = 0; fr && fr->kind == CRQ_NODE_ARRAY && i < fr->count; i++) {
			snprintf(ptr, sizeof(ptr), "/freeze/%zu", i);
			check_known(issues, doc, crq_node_get(fr->items[i],
				"services"), ptr, "the freeze names");
		}
		for (i = 0; mw && mw->kind == CRQ_NODE_ARRAY && i < mw->count; i++) {
			snprintf(ptr, sizeof(ptr), "/maintenance/%zu", i);
			check_known(issues, doc, crq_node_get(mw->items[i],
				"services"), ptr, "the maintenance window names");
		}
	}
	check_names(issues, fr, "freeze");
	check_names(issues, mw, "maintenance");
	for (i = 0; fr && fr->kind == CRQ_NODE_ARRAY && i < fr->count; i++) {
		long long a, b;

		snprintf(ptr, sizeof(ptr), "/freeze/%zu", i);
		if (crq_store__parse_time(crq_node_get_str(fr->items[i],
				"start"), &a) == 0 &&
		    crq_store__parse_time(crq_node_get_str(fr->items[i],
				"end"), &b) == 0 && b <= a)
			crq_issues_add(issues, fr->items[i], ptr,
				"the freeze '%s' ends before it starts",
				crq_node_get_str(fr->items[i], "name"));
	}
	for (i = 0; mw && mw->kind == CRQ_NODE_ARRAY && i < mw->count; i++) {
		snprintf(ptr, sizeof(ptr), "/maintenance/%zu/tz", i);
		check_zone(issues, crq_node_get(mw->items[i], "tz"), ptr);
	}
	for (i = 0; cals && cals->kind == CRQ_NODE_OBJECT && i < cals->count;
			i++) {
		const crq_node *hours = crq_node_get(cals->items[i], "hours");

		snprintf(ptr, sizeof(ptr), "/calendars/%s/tz", cals->keys[i]);
		check_zone(issues, crq_node_get(cals->items[i], "tz"), ptr);
		for (j = 0; hours && hours->kind == CRQ_NODE_OBJECT &&
				j < hours->count; j++)
			check_spans(issues, hours->items[j], cals->keys[i],
				hours->keys[j]);
		if (!strcmp(cals->keys[i], "24x7"))
			crq_issues_add(issues, cals->items[i], ptr,
				"a calendar may not be called '24x7': that name means round the clock");
	}
	for (i = 0; sla && sla->kind == CRQ_NODE_ARRAY && i < sla->count; i++) {
		const crq_node *t = sla->items[i];
		const char *n = crq_node_get_str(t, "name");
		const char *h = crq_node_get_str(t, "hours");
		const char *w = crq_node_get_str(t, "within");

		snprintf(ptr, sizeof(ptr), "/sla/%zu", i);
		for (j = 0; n && j < i; j++) {
			const char *o = crq_node_get_str(sla->items[j], "name");

			if (o && !strcmp(o, n))
				crq_issues_add(issues, t, ptr,
					"SLA target '%s' is listed twice", n);
		}
		if (h && strcmp(h, "24x7") && !calendar_of(doc, h))
			crq_issues_add(issues, crq_node_get(t, "hours"), ptr,
				"SLA target '%s' counts in calendar '%s', which is not under calendars",
				n ? n : "?", h);
		if (w && crq_cal__duration(w) <= 0)
			crq_issues_add(issues, crq_node_get(t, "within"), ptr,
				"SLA target '%s': within '%s' is not a duration above zero",
				n ? n : "?", w);
		if (crq_node__has(crq_node_get(t, "until"),
				crq_node_get_str(t, "from") ?
				crq_node_get_str(t, "from") : ""))
			crq_issues_add(issues, t, ptr,
				"SLA target '%s' stops in the state it starts from",
				n ? n : "?");
	}
	{
		const crq_node *tol = crq_node_path(doc,
			"calendar.start_tolerance");

		if (tol && tol->kind == CRQ_NODE_STRING &&
		    crq_cal__duration(tol->str) < 0)
			crq_issues_add(issues, tol, "/calendar/start_tolerance",
				"start_tolerance '%s' is not a duration", tol->str);
	}
}

/* ---- SLA clocks ---- */

void crq_cal__time_text(char out[32], long long t)
{
	time_t tt = (time_t)t;
	struct tm tm;

	gmtime_r(&tt, &tm);
	strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

#define AT_RISK_PERCENT 80

int crq_cal__admits(const crq_node *want, const char *v)
{
	size_t i;

	if (!want)
		return 1;
	if (!v)
		return 0;
	if (want->kind == CRQ_NODE_STRING)
		return !strcmp(want->str, v);
	for (i = 0; want->kind == CRQ_NODE_ARRAY && i < want->count; i++)
		if (want->items[i]->kind == CRQ_NODE_STRING &&
		    !strcmp(want->items[i]->str, v))
			return 1;
	return 0;
}

int crq_cal__matches(const crq_node *when, const crq_node *doc)
{
	size_t i, j;

	for (i = 0; when && i < when->count; i++) {
		const char *k = when->keys[i];
		const crq_node *w = when->items[i];

		/* what a rule's `when` says of time, not of the change */
		if (!strcmp(k, "on") || !strcmp(k, "sla") ||
		    !strcmp(k, "after") || !strcmp(k, "before"))
			continue;
		if (!strcmp(k, "services")) {
			const crq_node *svc = crq_node_get(doc, "services");
			int any = 0;

			for (j = 0; svc && svc->kind == CRQ_NODE_ARRAY &&
					j < svc->count; j++)
				if (svc->items[j]->kind == CRQ_NODE_STRING &&
				    crq_cal__admits(w, svc->items[j]->str))
					any = 1;
			if (!any)
				return 0;
		} else if (!crq_cal__admits(w, crq_node_get_str(doc, k) ? crq_node_get_str(
				doc, k) : (!strcmp(k, "type") ? "normal" : NULL))) {
			return 0;
		}
	}
	return 1;
}

static void put_time(crq_node *o, const char *key, long long t)
{
	char text[32];

	crq_cal__time_text(text, t);
	crq_node_set(o, key, crq_node_new_cstr(text));
}

crq_node *crq_sla__clocks(const crq_node *policy, const crq_node *doc,
	long long now)
{
	const crq_node *targets = crq_node_get(policy, "sla");
	const crq_node *entered = crq_node_get(doc, "entered");
	crq_node *out = crq_node_new(CRQ_NODE_ARRAY);
	size_t i, j;

	for (i = 0; targets && targets->kind == CRQ_NODE_ARRAY &&
			i < targets->count; i++) {
		const crq_node *t = targets->items[i];
		const char *from = crq_node_get_str(t, "from");
		const char *hours = crq_node_get_str(t, "hours");
		const crq_node *until = crq_node_get(t, "until");
		long long within = crq_cal__duration(crq_node_get_str(t,
			"within"));
		long long started, stopped = -1, end, worked, due, x;
		const char *stop_state = NULL, *state;
		crq_node *o;
		char text[32];

		/* at `now`, a step dated later has not been taken yet */
		if (!from || within <= 0 ||
		    !crq_cal__matches(crq_node_get(t, "when"), doc) ||
		    crq_store__parse_time(crq_node_get_str(entered, from),
			&started) < 0 || started > now)
			continue;
		for (j = 0; until && j < until->count; j++) {
			const char *u = until->items[j]->kind == CRQ_NODE_STRING ?
				until->items[j]->str : "";

			if (crq_store__parse_time(crq_node_get_str(entered, u),
					&x) == 0 && x >= started && x <= now &&
			    (stopped < 0 || x < stopped)) {
				stopped = x;
				stop_state = u;
			}
		}
		end = stopped >= 0 ? stopped : now;
		worked = crq_cal__worked(policy, hours, started, end);
		due = crq_cal__due(policy, hours, started, within);
		if (worked < 0)
			continue;	/* unknown calendar: policy check says */
		if (stopped >= 0)
			state = due >= 0 && stopped <= due ? "met" : "breached";
		else if (due >= 0 && now >= due)
			state = "breached";
		else if (worked * 100 >= within * AT_RISK_PERCENT)
			state = "at-risk";
		else
			state = "running";
		o = crq_node_new(CRQ_NODE_OBJECT);
		crq_node_set(o, "change", crq_node_new_cstr(
			crq_node_get_str(doc, "id")));
		crq_node_set(o, "target", crq_node_new_cstr(
			crq_node_get_str(t, "name")));
		crq_node_set(o, "from", crq_node_new_cstr(from));
		crq_node_set(o, "hours", crq_node_new_cstr(hours ? hours :
			"24x7"));
		crq_node_set(o, "within", crq_node_new_cstr(
			crq_node_get_str(t, "within")));
		put_time(o, "started", started);
		if (due >= 0)
			put_time(o, "due", due);
		x = crq_cal__due(policy, hours, started,
			within * AT_RISK_PERCENT / 100);
		if (x >= 0)
			put_time(o, "at_risk", x);
		if (stopped >= 0) {
			put_time(o, "stopped", stopped);
			crq_node_set(o, "stopped_in", crq_node_new_cstr(
				stop_state));
		}
		crq_node_set(o, "elapsed", crq_node_new_int(worked));
		crq_cal__duration_text(text, worked);
		crq_node_set(o, "elapsed_text", crq_node_new_cstr(text));
		crq_node_set(o, "percent", crq_node_new_int(
			worked * 100 / within));
		crq_node_set(o, "state", crq_node_new_cstr(state));
		/* a running clock outside its hours stands still */
		crq_node_set(o, "paused", crq_node_new_bool(stopped < 0 &&
			crq_cal__worked(policy, hours, now, now + 1) == 0));
		crq_node_push(out, o);
	}
	return out;
}

