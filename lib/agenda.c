/*
 * agenda.c - the change calendar: the windows of scheduled and
 * implementing changes, the freezes and maintenance windows around
 * them, and their conflicts; as data and as RFC 5545 (libical).  All of
 * it comes from the branch tip and the policy.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "calendar.h"
#include "dynload.h"
#include "change.h"
#include "commit.h"
#include "rules.h"

/* without an end, maintenance occurrences are listed this far ahead */
#define MAINTENANCE_AHEAD (28 * 86400LL)
/* and at most a year of them in any range */
#define MAINTENANCE_MAX (366 * 86400LL)

static int live_state(const char *s)
{
	return s && (!strcmp(s, "scheduled") || !strcmp(s, "implementing"));
}

/* Does a change on services concern service (it names it, or names
 * something the service depends on)? */
static int concerns(const crq_node *policy, const crq_node *services,
	const char *service)
{
	crq_node *t;
	int r;

	if (!service)
		return 1;
	t = crq_cal__touches(policy, services);
	r = crq_node_get(t, service) != NULL;
	crq_node_free(t);
	return r;
}

/* Does a freeze on services hold a change to service: does the service,
 * or something depending on it, appear among them? */
static int holds_service(const crq_node *policy, const crq_node *services,
	const char *service)
{
	crq_node *one = crq_node_new(CRQ_NODE_ARRAY), *t;
	size_t i;
	int r = 0;

	crq_node_push(one, crq_node_new_cstr(service));
	t = crq_cal__touches(policy, one);
	for (i = 0; i < services->count && !r; i++)
		r = services->items[i]->kind == CRQ_NODE_STRING &&
			crq_node_get(t, services->items[i]->str) != NULL;
	crq_node_free(t);
	crq_node_free(one);
	return r;
}

static crq_node *strings(const crq_node *arr)
{
	return arr && arr->kind == CRQ_NODE_ARRAY ? crq_node_dup(arr) :
		crq_node_new(CRQ_NODE_ARRAY);
}

static int count_schedule(const crq_step_seen *st, void *payload)
{
	crq_node *cnt;

	if (!strcmp(st->action, "schedule") &&
	    (cnt = crq_node_get(payload, st->change)))
		cnt->i++;
	return 0;
}

/* How many schedule steps each window's change has had, on any line of
 * the history (a merged-in reschedule counts): windows[].schedules. */
static void count_schedules(crq_repo *repo, crq_node *windows)
{
	crq_node *n = crq_node_new(CRQ_NODE_OBJECT);
	size_t i;

	for (i = 0; i < windows->count; i++)
		crq_node_set(n, crq_node_get_str(windows->items[i], "change"),
			crq_node_new_int(0));
	if (windows->count && crq_commit__walk_steps(repo, count_schedule, n) < 0)
		crq_error_clear();
	for (i = 0; i < windows->count; i++)
		crq_node_set(windows->items[i], "schedules", crq_node_new_int(
			crq_node_get(n, crq_node_get_str(windows->items[i],
			"change"))->i));
	crq_node_free(n);
}

struct occ {
	crq_node *list;
	const crq_node *m;
};

static int add_occurrence(long long s, long long e, void *payload)
{
	struct occ *o = payload;
	crq_node *x = crq_node_new(CRQ_NODE_OBJECT);
	char t[32];

	crq_node_set(x, "name", crq_node_new_cstr(crq_node_get_str(o->m,
		"name")));
	crq_rules_time(t, s);
	crq_node_set(x, "start", crq_node_new_cstr(t));
	crq_rules_time(t, e);
	crq_node_set(x, "end", crq_node_new_cstr(t));
	crq_node_set(x, "services", strings(crq_node_get(o->m, "services")));
	crq_node_set(x, "tz", crq_node_new_cstr(crq_node_get_str(o->m, "tz")));
	crq_node_push(o->list, x);
	return 0;
}

static void conflict(crq_node *list, const char *kind, const char *a,
	const char *b, const char *key, const char *val, const char *fmt, ...)
	__attribute__((format(printf, 7, 8)));

static void conflict(crq_node *list, const char *kind, const char *a,
	const char *b, const char *key, const char *val, const char *fmt, ...)
{
	crq_node *c = crq_node_new(CRQ_NODE_OBJECT);
	crq_node *ids = crq_node_new(CRQ_NODE_ARRAY);
	crq_buf msg = CRQ_BUF_INIT;
	char tmp[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	crq_buf_puts(&msg, tmp);
	crq_node_push(ids, crq_node_new_cstr(a));
	if (b)
		crq_node_push(ids, crq_node_new_cstr(b));
	crq_node_set(c, "kind", crq_node_new_cstr(kind));
	crq_node_set(c, "changes", ids);
	if (key)
		crq_node_set(c, key, crq_node_new_cstr(val));
	crq_node_set(c, "message", crq_node_new_cstr(msg.ptr));
	crq_node_push(list, c);
	crq_buf_dispose(&msg);
}

/* The conflicts among the live windows (docs) of the policy. */
static crq_node *find_conflicts(const crq_node *policy, const crq_node *docs)
{
	crq_node *out = crq_node_new(CRQ_NODE_ARRAY);
	const crq_node *freezes = crq_node_get(policy, "freeze");
	size_t i, j;

	for (i = 0; i < docs->count; i++) {
		const crq_node *a = docs->items[i];
		const char *ia = crq_node_get_str(a, "id");
		const char *type = crq_node_get_str(a, "type");
		long long as, ae, fs, fe;

		if (crq_cal__window(a, &as, &ae) < 0)
			continue;
		for (j = i + 1; j < docs->count; j++) {
			const crq_node *b = docs->items[j];
			const char *ib = crq_node_get_str(b, "id");
			const char *w;

			if (crq_cal__collides(policy, a, b, CRQ_CAL_SERVICE, &w))
				conflict(out, "service", ia, ib, "service", w,
					"%s and %s overlap on service '%s'", ia, ib,
					w);
			if (crq_cal__collides(policy, a, b, CRQ_CAL_IMPLEMENTER,
					&w))
				conflict(out, "implementer", ia, ib,
					"implementer", w,
					"%s and %s overlap with the same implementer %s",
					ia, ib, w);
		}
		if ((!type || !strcmp(type, "normal")) &&
		    crq_cal__in_maintenance(policy, crq_node_get(a, "services"),
				as, ae) == 0)
			conflict(out, "outside-maintenance", ia, NULL, NULL, NULL,
				"%s (normal) is outside every maintenance window of its services",
				ia);
		for (j = 0; freezes && freezes->kind == CRQ_NODE_ARRAY &&
				j < freezes->count; j++) {
			const crq_node *f = freezes->items[j];

			if (!crq_cal__freeze_applies(policy, f, a) ||
			    crq_store__parse_time(crq_node_get_str(f, "start"),
				&fs) < 0 ||
			    crq_store__parse_time(crq_node_get_str(f, "end"),
				&fe) < 0 || !(as < fe && fs < ae))
				continue;
			conflict(out, "freeze", ia, NULL, "freeze",
				crq_node_get_str(f, "name"),
				"%s (%s) is inside the freeze '%s'", ia,
				crq_node_get_str(a, "state"),
				crq_node_get_str(f, "name"));
		}
	}
	return out;
}

crq_node *crq_cal__collisions(const crq_node *policy, const crq_node *docs)
{
	crq_node *all = find_conflicts(policy, docs);
	size_t i;

	for (i = all->count; i-- > 0;) {
		const char *k = crq_node_get_str(all->items[i], "kind");

		if (strcmp(k, "service") && strcmp(k, "implementer"))
			crq_node_remove_at(all, i);
	}
	return all;
}

/* Does conflict c concern a change of the list ids ({id: true})? */
static int names_any(const crq_node *c, const crq_node *ids)
{
	const crq_node *ch = crq_node_get(c, "changes");
	size_t i;

	for (i = 0; ch && i < ch->count; i++)
		if (crq_node_get(ids, ch->items[i]->str))
			return 1;
	return 0;
}

int crq_calendar(crq_node **out, crq_repo *repo, long long from,
	long long to, const char *service)
{
	const crq_node *policy, *freezes, *mw;
	crq_node *docs = NULL, *live, *windows, *fz, *mt, *all, *shown;
	long long mto = to > from && to - from <= MAINTENANCE_MAX ? to :
		from + (to > from ? MAINTENANCE_MAX : MAINTENANCE_AHEAD);
	char t[32];
	git_oid tip;
	size_t i;
	int err, unborn;

	*out = NULL;
	if ((err = crq_policy__tip(&policy, repo)) < 0 ||
	    (err = crq_store__tip(repo, &tip, &unborn)) < 0)
		return err;
	if (service && crq_node_get(policy, "services") &&
	    !crq_cal__service(policy, service))
		return crq_error__set(CRQ_ENOTFOUND,
			"no service '%s' in the policy's services catalogue",
			service);
	if ((err = crq_change_list(&docs, repo, NULL, NULL)) < 0)
		return err;
	live = crq_node_new(CRQ_NODE_ARRAY);
	windows = crq_node_new(CRQ_NODE_ARRAY);
	shown = crq_node_new(CRQ_NODE_OBJECT);
	for (i = 0; i < docs->count; i++) {
		const crq_node *d = docs->items[i];
		const char *id = crq_node_get_str(d, "id");
		long long ws, we;
		crq_node *w;

		if (!live_state(crq_node_get_str(d, "state")) ||
		    crq_cal__window(d, &ws, &we) < 0)
			continue;
		crq_node_push(live, crq_node_dup(d));
		if (we <= from || (to > from && ws >= to) ||
		    !concerns(policy, crq_node_get(d, "services"), service))
			continue;
		w = crq_node_new(CRQ_NODE_OBJECT);
		crq_node_set(w, "change", crq_node_new_cstr(id));
		crq_node_set(w, "title", crq_node_new_cstr(
			crq_node_get_str(d, "title")));
		crq_node_set(w, "type", crq_node_new_cstr(
			crq_node_get_str(d, "type") ? crq_node_get_str(d, "type") :
			"normal"));
		crq_node_set(w, "state", crq_node_new_cstr(
			crq_node_get_str(d, "state")));
		crq_rules_time(t, ws);
		crq_node_set(w, "start", crq_node_new_cstr(t));
		crq_rules_time(t, we);
		crq_node_set(w, "end", crq_node_new_cstr(t));
		crq_node_set(w, "services", strings(crq_node_get(d, "services")));
		if (crq_node_get_str(d, "implementer"))
			crq_node_set(w, "implementer", crq_node_new_cstr(
				crq_node_get_str(d, "implementer")));
		if (crq_node_get_str(d, "risk"))
			crq_node_set(w, "risk", crq_node_new_cstr(
				crq_node_get_str(d, "risk")));
		crq_node_set(w, "updated", crq_node_new_cstr(
			crq_node_get_str(d, "updated") ?
			crq_node_get_str(d, "updated") :
			crq_node_get_str(d, "created")));
		crq_node_push(windows, w);
		crq_node_set(shown, id, crq_node_new_bool(1));
	}
	count_schedules(repo, windows);
	fz = crq_node_new(CRQ_NODE_ARRAY);
	freezes = crq_node_get(policy, "freeze");
	for (i = 0; freezes && freezes->kind == CRQ_NODE_ARRAY &&
			i < freezes->count; i++) {
		const crq_node *f = freezes->items[i];
		const crq_node *svc = crq_node_get(f, "services");
		long long fs, fe;
		crq_node *x;

		if (crq_store__parse_time(crq_node_get_str(f, "start"), &fs) < 0 ||
		    crq_store__parse_time(crq_node_get_str(f, "end"), &fe) < 0 ||
		    fe <= from || (to > from && fs >= to) ||
		    (service && svc && svc->count &&
		     !holds_service(policy, svc, service)))
			continue;
		x = crq_node_new(CRQ_NODE_OBJECT);
		crq_node_set(x, "name", crq_node_new_cstr(crq_node_get_str(f,
			"name")));
		crq_rules_time(t, fs);
		crq_node_set(x, "start", crq_node_new_cstr(t));
		crq_rules_time(t, fe);
		crq_node_set(x, "end", crq_node_new_cstr(t));
		crq_node_set(x, "services", strings(svc));
		if (crq_node_get(f, "types"))
			crq_node_set(x, "types", crq_node_dup(crq_node_get(f,
				"types")));
		crq_node_push(fz, x);
	}
	mt = crq_node_new(CRQ_NODE_ARRAY);
	mw = crq_node_get(policy, "maintenance");
	for (i = 0; mw && mw->kind == CRQ_NODE_ARRAY && i < mw->count; i++) {
		struct occ o = { mt, mw->items[i] };
		const crq_node *svc = crq_node_get(mw->items[i], "services");

		if (service && svc && svc->count &&
		    !crq_policy__in_list(svc, service))
			continue;
		crq_cal__occurrences(mw->items[i], from, mto, add_occurrence, &o);
	}
	all = find_conflicts(policy, live);
	*out = crq_node_new(CRQ_NODE_OBJECT);
	crq_rules_time(t, from);
	crq_node_set(*out, "from", crq_node_new_cstr(t));
	if (to > from) {
		crq_rules_time(t, to);
		crq_node_set(*out, "to", crq_node_new_cstr(t));
	}
	if (service)
		crq_node_set(*out, "service", crq_node_new_cstr(service));
	if (!unborn) {
		git_commit *c = NULL;

		if (git_commit_lookup(&c, repo->git, &tip) == 0) {
			crq_rules_time(t, (long long)git_commit_time(c));
			crq_node_set(*out, "stamp", crq_node_new_cstr(t));
		}
		git_commit_free(c);
	}
	crq_node_set(*out, "windows", windows);
	crq_node_set(*out, "freezes", fz);
	crq_node_set(*out, "maintenance", mt);
	{
		crq_node *conf = crq_node_new(CRQ_NODE_ARRAY);

		for (i = 0; i < all->count; i++)
			if (names_any(all->items[i], shown))
				crq_node_push(conf, crq_node_dup(all->items[i]));
		crq_node_set(*out, "conflicts", conf);
	}
	crq_node_free(all);
	crq_node_free(shown);
	crq_node_free(live);
	crq_node_free(docs);
	return 0;
}

int crq_change_conflicts(crq_node **out, crq_repo *repo, const char *id)
{
	const crq_node *policy;
	crq_node *docs = NULL, *all, *me;
	size_t i;
	int err;

	*out = NULL;
	if ((err = crq_policy__tip(&policy, repo)) < 0 ||
	    (err = crq_change_list(&docs, repo, NULL, NULL)) < 0)
		return err;
	for (i = docs->count; i-- > 0;)
		if (!live_state(crq_node_get_str(docs->items[i], "state")))
			crq_node_remove_at(docs, i);
	all = find_conflicts(policy, docs);
	me = crq_node_new(CRQ_NODE_OBJECT);
	crq_node_set(me, id, crq_node_new_bool(1));
	*out = crq_node_new(CRQ_NODE_ARRAY);
	for (i = 0; i < all->count; i++)
		if (names_any(all->items[i], me))
			crq_node_push(*out, crq_node_dup(all->items[i]));
	crq_node_free(me);
	crq_node_free(all);
	crq_node_free(docs);
	return 0;
}

/* ---- RFC 5545 ---- */

static struct icaltimetype utc_time(const crq_ical_api *ic,
	const char *rfc3339)
{
	long long t = 0;

	crq_store__parse_time(rfc3339, &t);
	return ic->icaltime_from_timet_with_zone((time_t)t, 0,
		ic->icaltimezone_get_utc_timezone());
}

static void add(const crq_ical_api *ic, icalcomponent *c, icalproperty *p)
{
	ic->icalcomponent_add_property(c, p);
}

static void add_x(const crq_ical_api *ic, icalcomponent *c,
	const char *name, const char *value)
{
	icalproperty *p = ic->icalproperty_new_x(value);

	ic->icalproperty_set_x_name(p, name);
	add(ic, c, p);
}

/* text for a UID: letters and digits kept, runs of anything else one
 * '-' ("year-end close" -> "year-end-close") */
static void slug(crq_buf *out, const char *text)
{
	int dash = 0;

	for (; text && *text; text++) {
		unsigned char c = (unsigned char)*text;

		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9')) {
			if (dash)
				crq_buf_putc(out, '-');
			crq_buf_putc(out, (char)c);
			dash = 0;
		} else {
			dash = 1;
		}
	}
}

/* FNV-1a of a name, for UIDs */
static unsigned name_hash(const char *s)
{
	unsigned h = 2166136261u;

	for (; s && *s; s++)
		h = (h ^ (unsigned char)*s) * 16777619u;
	return h;
}

static void join(crq_buf *out, const crq_node *arr)
{
	size_t i;

	for (i = 0; arr && i < arr->count; i++)
		crq_buf_printf(out, "%s%s", i ? ", " : "", arr->items[i]->str);
	if (!arr || !arr->count)
		crq_buf_puts(out, "(none)");
}

/* The store's identifier: its first commit (the same in every clone). */
static void store_id(char out[16], crq_repo *repo)
{
	git_commit *c = NULL, *p;
	git_oid tip;
	int unborn;

	snprintf(out, 16, "%s", "unborn");
	if (crq_store__tip(repo, &tip, &unborn) < 0 || unborn ||
	    git_commit_lookup(&c, repo->git, &tip) < 0) {
		crq_error_clear();
		return;
	}
	while (git_commit_parentcount(c) > 0 &&
	       git_commit_parent(&p, c, 0) == 0) {
		git_commit_free(c);
		c = p;
	}
	git_oid_tostr(out, 13, git_commit_id(c));
	git_commit_free(c);
}

static icalcomponent *event(const crq_ical_api *ic, const char *uid,
	const char *stamp, const char *start, const char *end,
	const char *summary, const char *description,
	enum icalproperty_status status, const char *kind)
{
	icalcomponent *ev = ic->icalcomponent_new_vevent();

	add(ic, ev, ic->icalproperty_new_uid(uid));
	add(ic, ev, ic->icalproperty_new_dtstamp(utc_time(ic, stamp)));
	add(ic, ev, ic->icalproperty_new_dtstart(utc_time(ic, start)));
	add(ic, ev, ic->icalproperty_new_dtend(utc_time(ic, end)));
	add(ic, ev, ic->icalproperty_new_summary(summary));
	add(ic, ev, ic->icalproperty_new_description(description));
	add(ic, ev, ic->icalproperty_new_status(status));
	add(ic, ev, ic->icalproperty_new_categories(kind));
	add_x(ic, ev, "X-CRQ-KIND", kind);
	return ev;
}

/* A freeze or a maintenance occurrence (x: {name, start, end,
 * services}) as an event; its UID stays the same whatever the range
 * shown: kind, name and start. */
static icalcomponent *span_event(const crq_ical_api *ic, const crq_node *x,
	const char *kind, const char *title, const char *intro,
	const char *stamp, const char *store)
{
	crq_buf uid = CRQ_BUF_INIT, text = CRQ_BUF_INIT, sum = CRQ_BUF_INIT;
	const crq_node *svc = crq_node_get(x, "services");
	icalcomponent *ev;

	crq_buf_printf(&uid, "%s-", kind);
	slug(&uid, crq_node_get_str(x, "name"));
	/* names that differ only in punctuation slug alike */
	crq_buf_printf(&uid, "-%08x-", name_hash(crq_node_get_str(x, "name")));
	slug(&uid, crq_node_get_str(x, "start"));
	crq_buf_printf(&uid, "@%s.crq", store);
	crq_buf_printf(&sum, "%s: %s", title, crq_node_get_str(x, "name"));
	crq_buf_printf(&text, "%s\nServices: ", intro);
	if (svc && svc->count)
		join(&text, svc);
	else
		crq_buf_puts(&text, "all");
	ev = event(ic, uid.ptr, stamp, crq_node_get_str(x, "start"),
		crq_node_get_str(x, "end"), sum.ptr, text.ptr,
		ICAL_STATUS_CONFIRMED, kind);
	/* a maintenance window takes no one's time */
	if (!strcmp(kind, "maintenance"))
		add(ic, ev, ic->icalproperty_new_transp(
			ICAL_TRANSP_TRANSPARENT));
	crq_buf_dispose(&uid);
	crq_buf_dispose(&text);
	crq_buf_dispose(&sum);
	return ev;
}

int crq_calendar_ics(crq_buf *out, crq_repo *repo, const crq_node *cal)
{
	const crq_node *w = crq_node_get(cal, "windows");
	const crq_node *f = crq_node_get(cal, "freezes");
	const crq_node *m = crq_node_get(cal, "maintenance");
	const char *stamp = crq_node_get_str(cal, "stamp") ?
		crq_node_get_str(cal, "stamp") : crq_node_get_str(cal, "from");
	const crq_ical_api *ic = crq_cal__ical();
	icalcomponent *vcal;
	crq_buf uid = CRQ_BUF_INIT, text = CRQ_BUF_INIT, sum = CRQ_BUF_INIT;
	char store[16];
	char *ics;
	size_t i;

	if (!ic)
		return crq_error_code();
	vcal = ic->icalcomponent_new_vcalendar();
	store_id(store, repo);
	add(ic, vcal, ic->icalproperty_new_version("2.0"));
	add(ic, vcal, ic->icalproperty_new_prodid(
		"-//crq//change calendar//EN"));
	add(ic, vcal, ic->icalproperty_new_calscale("GREGORIAN"));
	add_x(ic, vcal, "X-WR-CALNAME", "crq changes");
	for (i = 0; w && i < w->count; i++) {
		const crq_node *x = w->items[i];
		const char *id = crq_node_get_str(x, "change");
		const char *state = crq_node_get_str(x, "state");
		icalcomponent *ev;

		crq_buf_clear(&uid);
		crq_buf_clear(&text);
		crq_buf_clear(&sum);
		crq_buf_printf(&uid, "%s@%s.crq", id, store);
		crq_buf_printf(&sum, "%s: %s", id, crq_node_get_str(x, "title"));
		crq_buf_printf(&text, "%s change %s, %s.\nServices: ",
			crq_node_get_str(x, "type"), id, state);
		join(&text, crq_node_get(x, "services"));
		if (crq_node_get_str(x, "implementer"))
			crq_buf_printf(&text, "\nImplementer: %s",
				crq_node_get_str(x, "implementer"));
		if (crq_node_get_str(x, "risk"))
			crq_buf_printf(&text, "\nRisk: %s",
				crq_node_get_str(x, "risk"));
		crq_buf_printf(&text, "\ncrq show %s", id);
		ev = event(ic, uid.ptr, crq_node_get_str(x, "updated"),
			crq_node_get_str(x, "start"), crq_node_get_str(x, "end"),
			sum.ptr, text.ptr, !strcmp(state, "implementing") ?
			ICAL_STATUS_CONFIRMED : ICAL_STATUS_TENTATIVE, "change");
		add(ic, ev, ic->icalproperty_new_sequence(
			(int)crq_node_get(x, "schedules")->i));
		add_x(ic, ev, "X-CRQ-CHANGE", id);
		add_x(ic, ev, "X-CRQ-STATE", state);
		ic->icalcomponent_add_component(vcal, ev);
	}
	for (i = 0; f && i < f->count; i++)
		ic->icalcomponent_add_component(vcal, span_event(ic,
			f->items[i], "freeze", "Freeze",
			"No change may be scheduled or started.", stamp, store));
	for (i = 0; m && i < m->count; i++)
		ic->icalcomponent_add_component(vcal, span_event(ic,
			m->items[i], "maintenance", "Maintenance",
			"Maintenance window.",
			stamp, store));
	ics = ic->icalcomponent_as_ical_string_r(vcal);
	crq_buf_puts(out, ics ? ics : "");
	free(ics);
	ic->icalcomponent_free(vcal);
	crq_buf_dispose(&uid);
	crq_buf_dispose(&text);
	crq_buf_dispose(&sum);
	return ics ? 0 : crq_error__set(CRQ_EINVALID,
		"cannot write the calendar: %s",
		ic->icalerror_strerror(*ic->icalerrno_return()));
}
