/*
 * report.c - change metrics (crq report), read from the verified
 * history: one full run of crq verify tells every step (the walk is the
 * only read of the history), the tip gives the changes, the policy the
 * targets.  A change a refused commit names is left out of every
 * number: metrics built on steps verify does not accept would state as
 * fact what the history does not prove.
 *
 * The numbers themselves are a pure function of (policy, changes,
 * steps, excluded, now): report_of() below reads nothing else, so the
 * same inputs give the same report.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "calendar.h"
#include "change.h"
#include "policy.h"
#include "rules.h"
#include "trail.h"

/* One step of a change, as the walk told it (the strings are the
 * trail's). */
struct rstep {
	const char *change, *action, *from, *to, *by;
	long long time;
	size_t seq;		/* walk order: ties on time keep it */
};

static int eq(const char *a, const char *b)
{
	return a && b && !strcmp(a, b);
}

/* By change, then time, then walk order (a merged-in line's steps fall
 * in place by their time). */
static int by_change_time(const void *a, const void *b)
{
	const struct rstep *x = a, *y = b;
	int c = strcmp(x->change, y->change);

	if (c)
		return c;
	if (x->time != y->time)
		return x->time < y->time ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* ---- groups: a key with a series of values and a few counters ---- */

struct group {
	char *key;
	long long *v;		/* the series (durations) */
	size_t n, alloc;
	long long total;	/* sum of the series */
	long long c[4];		/* counters, by what the group is for */
	size_t rank;		/* for sort_groups() */
};

struct groups {
	struct group *v;
	size_t n, alloc;
};

static struct group *group_of(struct groups *g, const char *key)
{
	struct group *x;
	size_t i;

	for (i = 0; i < g->n; i++)
		if (!strcmp(g->v[i].key, key))
			return &g->v[i];
	crq__grow((void **)&g->v, &g->alloc, g->n + 1, sizeof(*g->v));
	x = &g->v[g->n++];
	memset(x, 0, sizeof(*x));
	x->key = crq__strdup(key);
	return x;
}

static void group_add(struct group *x, long long v)
{
	crq__grow((void **)&x->v, &x->alloc, x->n + 1, sizeof(*x->v));
	x->v[x->n++] = v;
	x->total += v;
}

static void groups_dispose(struct groups *g)
{
	size_t i;

	for (i = 0; i < g->n; i++) {
		free(g->v[i].key);
		free(g->v[i].v);
	}
	free(g->v);
	memset(g, 0, sizeof(*g));
}

/* Order of states and types as the change schema lists them; others
 * after them, by name. */
static const char *const state_order[] = { "draft", "submitted",
	"assessed", "authorized", "scheduled", "implementing", "completed",
	"failed", "reviewed", "closed", "rejected", "cancelled" };
static const char *const type_order[] = { "standard", "normal",
	"emergency" };

static size_t rank_in(const char *const *list, size_t n, const char *key)
{
	size_t i;

	for (i = 0; list && i < n; i++)
		if (!strcmp(list[i], key))
			return i;
	return n;
}

static int by_rank(const void *a, const void *b)
{
	const struct group *x = a, *y = b;

	if (x->rank != y->rank)
		return x->rank < y->rank ? -1 : 1;
	return strcmp(x->key, y->key);
}

/* Sort g by list's order (NULL: by key alone). */
static void sort_groups(struct groups *g, const char *const *list, size_t n)
{
	size_t i;

	for (i = 0; i < g->n; i++)
		g->v[i].rank = rank_in(list, n, g->v[i].key);
	if (g->n > 1)
		crq__sort(g->v, g->n, sizeof(*g->v), by_rank);
}

static int by_value(const void *a, const void *b)
{
	long long x = *(const long long *)a, y = *(const long long *)b;

	return x < y ? -1 : x > y;
}

/* ---- values ---- */

static crq_node *null_node(void)
{
	return crq_node_new(CRQ_NODE_NULL);
}

static crq_node *rate_node(long long num, long long den)
{
	crq_node *n;

	if (den <= 0)
		return null_node();
	n = crq_node_new(CRQ_NODE_NUMBER);
	n->n = round((double)num * 10000.0 / (double)den) / 10000.0;
	return n;
}

/* Nearest rank over the sorted series: x[ceil(k/100 * n)], 1-based. */
static crq_node *percentile_node(const struct group *x, unsigned k)
{
	size_t r;

	if (!x || !x->n)
		return null_node();
	r = (k * x->n + 99) / 100;
	if (r < 1)
		r = 1;
	return crq_node_new_int(x->v[r - 1]);
}

/* {count, p50, p90} of a series (sorted here); NULL x: empty. */
static crq_node *stats_node(struct group *x)
{
	crq_node *o = crq_node_new(CRQ_NODE_OBJECT);

	if (x && x->n > 1)
		crq__sort(x->v, x->n, sizeof(*x->v), by_value);
	crq_node_set(o, "count", crq_node_new_int(x ? (long long)x->n : 0));
	crq_node_set(o, "p50", percentile_node(x, 50));
	crq_node_set(o, "p90", percentile_node(x, 90));
	return o;
}

static crq_node *counts_node(struct groups *g, const char *const *order,
	size_t n)
{
	crq_node *o = crq_node_new(CRQ_NODE_OBJECT);
	size_t i;

	sort_groups(g, order, n);
	for (i = 0; i < g->n; i++)
		crq_node_set(o, g->v[i].key, crq_node_new_int(g->v[i].c[0]));
	return o;
}

/* ---- one change ---- */

/* Everything the report adds up, over the changes kept. */
struct tally {
	long long changes, emergency;
	struct groups types, states, services, months;
	struct groups leads;		/* the three lead times */
	/* in_state: c[0] blocked, c[1] has a target, c[2] the target */
	struct groups in_state;
	struct groups latency;		/* per role */
	struct groups outcomes;		/* per close code */
	struct groups sla;		/* c[0] met, c[1] breached,
					 * c[2] running */
	struct groups load;		/* c[0] steps, c[1] created,
					 * c[2] approvals, c[3] implemented */
	long long closed_out;
};

static void count(struct groups *g, const char *key)
{
	group_of(g, key)->c[0]++;
}

static long long when(const char *s)
{
	long long t = 0;

	return s && crq_store__parse_time(s, &t) == 0 ? t : -1;
}

/* The first entries into the states the lead times run between (-1:
 * not yet). */
struct firsts {
	long long submitted, authorized, implemented, closed;
};

static void note_entry(struct firsts *f, const char *to, long long t)
{
	if (eq(to, "submitted") && f->submitted < 0)
		f->submitted = t;
	if (eq(to, "authorized") && f->authorized < 0)
		f->authorized = t;
	if ((eq(to, "completed") || eq(to, "failed")) && f->implemented < 0)
		f->implemented = t;
	if (eq(to, "closed") && f->closed < 0)
		f->closed = t;
}

/*
 * The trail of one change: its visits to states (entered at a step
 * that changes the state, left at the next), summed per state; the
 * first entries for the lead times; the approvals' latency from
 * entering the state each was given in; the members' load.
 */
static void measure(struct tally *t, const crq_node *policy,
	const crq_node *doc, const struct rstep *trail, size_t n,
	long long now)
{
	const char *type = crq_node_get_str(doc, "type");
	const crq_node *apps = crq_node_get(doc, "approvals");
	struct groups spent = { NULL, 0, 0 };
	struct firsts f = { -1, -1, -1, -1 };
	const char *cur = NULL;
	long long entered = 0, created = when(crq_node_get_str(doc, "created"));
	unsigned char *matched = NULL;
	size_t i, k, na = apps && apps->kind == CRQ_NODE_ARRAY ?
		apps->count : 0;

	matched = crq__calloc(na + 1, 1);
	for (i = 0; i < n; i++) {
		const struct rstep *s = &trail[i];

		if (s->by) {
			struct group *m = group_of(&t->load, s->by);

			m->c[0]++;
			if (i == 0 && !s->from)
				m->c[1]++;
		}
		/* an approval is given in the state before its step */
		if (s->action && s->by && cur &&
		    crq_rules_is_decision(policy, s->action, type, s->from)) {
			for (k = 0; k < na; k++) {
				const crq_node *a = apps->items[k];

				if (matched[k] ||
				    !eq(crq_node_get_str(a, "by"), s->by) ||
				    when(crq_node_get_str(a, "at")) !=
				    s->time || !crq_node_get_str(a, "role"))
					continue;
				matched[k] = 1;
				group_add(group_of(&t->latency,
					crq_node_get_str(a, "role")),
					s->time - entered);
			}
		}
		if (!s->to || eq(s->to, cur))
			continue;
		if (cur && !crq_change__closed(cur))
			group_add(group_of(&spent, cur), s->time - entered);
		if ((eq(s->to, "completed") || eq(s->to, "failed")) && s->by)
			group_of(&t->load, s->by)->c[3]++;
		note_entry(&f, s->to, s->time);
		cur = s->to;
		entered = s->time;
	}
	/* still in a state that is not final: it counts until now */
	if (cur && !crq_change__closed(cur))
		group_add(group_of(&spent, cur),
			now > entered ? now - entered : 0);
	for (k = 0; k < na; k++) {
		const char *by = crq_node_get_str(apps->items[k], "by");

		if (by)
			group_of(&t->load, by)->c[2]++;
	}
	for (i = 0; i < spent.n; i++) {
		struct group *g = group_of(&t->in_state, spent.v[i].key);

		group_add(g, spent.v[i].total);
		/* the target is known when the state's group was made */
		if (g->c[1] && spent.v[i].total > g->c[2])
			g->c[0]++;
	}
	if (created < 0 && n)
		created = trail[0].time;
	if (created >= 0 && f.closed >= created)
		group_add(group_of(&t->leads, "created_to_closed"),
			f.closed - created);
	if (f.submitted >= 0 && f.authorized >= f.submitted)
		group_add(group_of(&t->leads, "submitted_to_authorized"),
			f.authorized - f.submitted);
	if (f.authorized >= 0 && f.implemented >= f.authorized)
		group_add(group_of(&t->leads, "authorized_to_implemented"),
			f.implemented - f.authorized);
	free(matched);
	groups_dispose(&spent);
}

static void tally_change(struct tally *t, const crq_node *policy,
	const crq_node *doc, const struct rstep *trail, size_t n,
	long long now)
{
	const char *type = crq_node_get_str(doc, "type");
	const char *state = crq_node_get_str(doc, "state");
	const char *code = crq_node_get_str(doc, "close_code");
	const crq_node *svc = crq_node_get(doc, "services");
	long long created = when(crq_node_get_str(doc, "created"));
	crq_node *clocks;
	size_t i;

	t->changes++;
	count(&t->types, type ? type : "unknown");
	count(&t->states, state ? state : "unknown");
	for (i = 0; svc && svc->kind == CRQ_NODE_ARRAY && i < svc->count; i++)
		if (svc->items[i]->kind == CRQ_NODE_STRING)
			count(&t->services, svc->items[i]->str);
	if (created >= 0) {
		char buf[32];

		/* the month in UTC, whatever offset created was written in */
		crq_rules_time(buf, created);
		buf[7] = '\0';
		count(&t->months, buf);
	}
	if (eq(type, "emergency"))
		t->emergency++;
	if (code) {
		t->closed_out++;
		count(&t->outcomes, code);
	}
	clocks = crq_sla__clocks(policy, doc, now);
	for (i = 0; i < clocks->count; i++) {
		const char *name = crq_node_get_str(clocks->items[i], "target");
		const char *st = crq_node_get_str(clocks->items[i], "state");
		struct group *g;

		if (!name || !st)
			continue;
		g = group_of(&t->sla, name);
		if (!strcmp(st, "met"))
			g->c[0]++;
		else if (!strcmp(st, "breached"))
			g->c[1]++;
		else
			g->c[2]++;	/* running, at-risk */
	}
	crq_node_free(clocks);
	measure(t, policy, doc, trail, n, now);
}

static void tally_dispose(struct tally *t)
{
	groups_dispose(&t->types);
	groups_dispose(&t->states);
	groups_dispose(&t->services);
	groups_dispose(&t->months);
	groups_dispose(&t->leads);
	groups_dispose(&t->in_state);
	groups_dispose(&t->latency);
	groups_dispose(&t->outcomes);
	groups_dispose(&t->sla);
	groups_dispose(&t->load);
}

/* ---- the filters ---- */

static int has_service(const crq_node *doc, const char *service)
{
	const crq_node *svc = crq_node_get(doc, "services");
	size_t i;

	for (i = 0; svc && svc->kind == CRQ_NODE_ARRAY && i < svc->count; i++)
		if (eq(svc->items[i]->str, service))
			return 1;
	return 0;
}

static int wanted(const crq_report_options *o, const crq_node *doc)
{
	long long created = when(crq_node_get_str(doc, "created"));

	if ((o->from || o->to) && created < 0)
		return 0;
	if (o->from && created < o->from)
		return 0;
	if (o->to && created > o->to)
		return 0;
	if (o->type && !eq(crq_node_get_str(doc, "type"), o->type))
		return 0;
	return !o->service || has_service(doc, o->service);
}

/* The first step of change id in steps (sorted by change), and how
 * many it has. */
static const struct rstep *trail_of(size_t *n, const struct rstep *steps,
	size_t nsteps, const char *id)
{
	size_t lo = 0, hi = nsteps, e;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (strcmp(steps[mid].change, id) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (e = lo; e < nsteps && !strcmp(steps[e].change, id); e++)
		;
	*n = e - lo;
	return steps + lo;
}

/* ---- the node ---- */

static crq_node *outcomes_node(struct tally *t)
{
	static const char *const codes[] = { "successful",
		"successful_with_issues", "failed", "backed_out" };
	static const char *const rates[] = { "success_rate",
		"with_issues_rate", "failed_rate", "backed_out_rate" };
	crq_node *o = crq_node_new(CRQ_NODE_OBJECT);
	long long n[4];
	size_t i;

	for (i = 0; i < 4; i++)
		n[i] = group_of(&t->outcomes, codes[i])->c[0];
	crq_node_set(o, "closed_out", crq_node_new_int(t->closed_out));
	for (i = 0; i < 4; i++)
		crq_node_set(o, codes[i], crq_node_new_int(n[i]));
	for (i = 0; i < 4; i++)
		crq_node_set(o, rates[i], rate_node(n[i], t->closed_out));
	crq_node_set(o, "change_failure_rate", rate_node(n[2] + n[3],
		t->closed_out));
	crq_node_set(o, "emergency_share", rate_node(t->emergency,
		t->changes));
	return o;
}

static crq_node *in_state_node(struct tally *t)
{
	crq_node *o = crq_node_new(CRQ_NODE_OBJECT);
	size_t i;

	sort_groups(&t->in_state, state_order, CRQ_ARRAY_SIZE(state_order));
	for (i = 0; i < t->in_state.n; i++) {
		struct group *g = &t->in_state.v[i];
		crq_node *s = stats_node(g);

		crq_node_set(s, "total", crq_node_new_int(g->total));
		crq_node_set(s, "target", g->c[1] ?
			crq_node_new_int(g->c[2]) : null_node());
		crq_node_set(s, "blocked", crq_node_new_int(g->c[0]));
		crq_node_set(s, "blocking_rate", g->c[1] ?
			rate_node(g->c[0], (long long)g->n) : null_node());
		crq_node_set(o, g->key, s);
	}
	return o;
}

static crq_node *sla_node(struct tally *t)
{
	crq_node *a = crq_node_new(CRQ_NODE_ARRAY);
	size_t i;

	for (i = 0; i < t->sla.n; i++) {
		struct group *g = &t->sla.v[i];
		crq_node *o = crq_node_new(CRQ_NODE_OBJECT);

		crq_node_set(o, "target", crq_node_new_cstr(g->key));
		crq_node_set(o, "met", crq_node_new_int(g->c[0]));
		crq_node_set(o, "breached", crq_node_new_int(g->c[1]));
		crq_node_set(o, "running", crq_node_new_int(g->c[2]));
		crq_node_set(o, "compliance", rate_node(g->c[0],
			g->c[0] + g->c[1]));
		crq_node_push(a, o);
	}
	return a;
}

static crq_node *load_node(struct tally *t)
{
	crq_node *a = crq_node_new(CRQ_NODE_ARRAY);
	size_t i;

	sort_groups(&t->load, NULL, 0);
	for (i = 0; i < t->load.n; i++) {
		struct group *g = &t->load.v[i];
		crq_node *o = crq_node_new(CRQ_NODE_OBJECT);

		crq_node_set(o, "member", crq_node_new_cstr(g->key));
		crq_node_set(o, "steps", crq_node_new_int(g->c[0]));
		crq_node_set(o, "created", crq_node_new_int(g->c[1]));
		crq_node_set(o, "approvals", crq_node_new_int(g->c[2]));
		crq_node_set(o, "implemented", crq_node_new_int(g->c[3]));
		crq_node_push(a, o);
	}
	return a;
}

/*
 * The report of the changes (the tip's, in id order) that excluded
 * ({id: true}) does not name and o's filters keep, from their steps
 * (sorted by change, then time), under policy, at now.  verify is
 * verify's summary, copied in.
 */
static crq_node *report_of(const crq_node *policy, const crq_node *changes,
	const struct rstep *steps, size_t nsteps, const crq_node *excluded,
	const crq_node *verify, const crq_report_options *o, long long now)
{
	static const char *const leads[] = { "created_to_closed",
		"submitted_to_authorized", "authorized_to_implemented" };
	const crq_node *targets = crq_node_path(policy, "report.targets");
	const crq_node *sla = crq_node_get(policy, "sla");
	struct tally t;
	crq_node *r, *x;
	size_t i;

	memset(&t, 0, sizeof(t));
	/* the policy's order first: targets and states with a target show
	 * even when no change reached them */
	for (i = 0; sla && sla->kind == CRQ_NODE_ARRAY && i < sla->count; i++)
		if (crq_node_get_str(sla->items[i], "name"))
			group_of(&t.sla, crq_node_get_str(sla->items[i],
				"name"));
	for (i = 0; targets && targets->kind == CRQ_NODE_OBJECT &&
			i < targets->count; i++) {
		const crq_node *d = targets->items[i];
		long long secs = d->kind == CRQ_NODE_STRING ?
			crq_cal__duration(d->str) : -1;
		struct group *g;

		if (secs < 0)
			continue;
		g = group_of(&t.in_state, targets->keys[i]);
		g->c[1] = 1;	/* has a target */
		g->c[2] = secs;
	}
	for (i = 0; i < changes->count; i++) {
		const crq_node *doc = changes->items[i];
		const char *id = crq_node_get_str(doc, "id");
		const struct rstep *trail;
		size_t n;

		if (!id || crq_node_get(excluded, id) || !wanted(o, doc))
			continue;
		trail = trail_of(&n, steps, nsteps, id);
		tally_change(&t, policy, doc, trail, n, now);
	}

	r = crq_node_new(CRQ_NODE_OBJECT);
	crq_node_set(r, "generated", crq_trail__time(now));
	crq_node_set(r, "from", o->from ? crq_trail__time(o->from) : null_node());
	crq_node_set(r, "to", o->to ? crq_trail__time(o->to) : null_node());
	x = crq_node_new(CRQ_NODE_OBJECT);
	crq_node_set(x, "service", crq_trail__str(o->service));
	crq_node_set(x, "type", crq_trail__str(o->type));
	crq_node_set(r, "filters", x);
	crq_node_set(r, "verify", crq_node_dup(verify));
	x = crq_node_new(CRQ_NODE_ARRAY);
	for (i = 0; i < excluded->count; i++)
		crq_node_push(x, crq_node_new_cstr(excluded->keys[i]));
	crq_node_set(r, "excluded", x);
	crq_node_set(r, "changes", crq_node_new_int(t.changes));

	x = crq_node_new(CRQ_NODE_OBJECT);
	crq_node_set(x, "by_type", counts_node(&t.types, type_order,
		CRQ_ARRAY_SIZE(type_order)));
	crq_node_set(x, "by_state", counts_node(&t.states, state_order,
		CRQ_ARRAY_SIZE(state_order)));
	crq_node_set(x, "by_service", counts_node(&t.services, NULL, 0));
	crq_node_set(x, "by_month", counts_node(&t.months, NULL, 0));
	crq_node_set(r, "volume", x);

	x = crq_node_new(CRQ_NODE_OBJECT);
	for (i = 0; i < CRQ_ARRAY_SIZE(leads); i++)
		crq_node_set(x, leads[i], stats_node(group_of(&t.leads,
			leads[i])));
	crq_node_set(r, "lead_times", x);
	crq_node_set(r, "time_in_state", in_state_node(&t));

	x = crq_node_new(CRQ_NODE_OBJECT);
	sort_groups(&t.latency, NULL, 0);
	for (i = 0; i < t.latency.n; i++)
		crq_node_set(x, t.latency.v[i].key,
			stats_node(&t.latency.v[i]));
	crq_node_set(r, "approval_latency", x);
	crq_node_set(r, "outcomes", outcomes_node(&t));
	crq_node_set(r, "sla", sla_node(&t));
	crq_node_set(r, "load", load_node(&t));
	tally_dispose(&t);
	return r;
}

/* ---- from the repository ---- */

static int by_key(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* {id: true} of the changes verify refused a commit of, by id. */
static crq_node *excluded_of(const crq_trail *t)
{
	const crq_verify_result *res = &t->verify;
	const char **ids;
	crq_node *out;
	size_t i, n = 0;

	ids = crq__calloc(t->n + res->count + 1, sizeof(*ids));
	for (i = 0; i < t->n; i++)
		if (t->v[i].refused && t->v[i].change)
			ids[n++] = t->v[i].change;
	for (i = 0; i < res->count; i++)
		if (crq_trail__refuses_change(&res->items[i]))
			ids[n++] = res->items[i].change;
	if (n > 1)
		crq__sort(ids, n, sizeof(*ids), by_key);
	out = crq_node_new(CRQ_NODE_OBJECT);
	for (i = 0; i < n; i++)
		if (!i || strcmp(ids[i], ids[i - 1]))
			crq_node__append(out, crq__strdup(ids[i]),
				crq_node_new_bool(1));
	free(ids);
	return out;
}

int crq_report__of(crq_node **out, crq_repo *repo, const crq_trail *t,
	const crq_node *changes, const crq_report_options *opts)
{
	crq_report_options none = CRQ_REPORT_OPTIONS_INIT;
	struct rstep *steps = NULL;
	crq_node *excluded = NULL, *verify = NULL;
	const crq_node *policy;
	size_t i, n = 0;
	int err;

	*out = NULL;
	if (!opts)
		opts = &none;
	if ((err = crq_policy__tip(&policy, repo)) < 0)
		return err;
	/* the steps of changes (policy steps measure no change) */
	steps = crq__calloc(t->n + 1, sizeof(*steps));
	for (i = 0; i < t->n; i++) {
		const crq_trail_step *x = &t->v[i];

		if (!x->change)
			continue;
		steps[n].change = x->change;
		steps[n].action = x->action;
		steps[n].from = x->from;
		steps[n].to = x->to;
		steps[n].by = x->by;
		steps[n].time = x->time;
		steps[n].seq = x->seq;
		n++;
	}
	if (n > 1)
		crq__sort(steps, n, sizeof(*steps), by_change_time);
	excluded = excluded_of(t);
	verify = crq_trail__verify_node(t, 0);
	*out = report_of(policy, changes, steps, n, excluded, verify, opts,
		opts->now ? opts->now : crq_time_now());
	free(steps);
	crq_node_free(excluded);
	crq_node_free(verify);
	return 0;
}

int crq_report(crq_node **out, crq_repo *repo, const crq_report_options *opts)
{
	crq_trail t;
	crq_node *changes = NULL;
	int err;

	*out = NULL;
	if ((err = crq_trail__read(&t, repo, opts ? opts->trust : NULL,
			opts ? opts->require_trust : 0)) == 0 &&
	    (err = crq_change_list(&changes, repo, NULL, NULL)) == 0)
		err = crq_report__of(out, repo, &t, changes, opts);
	crq_node_free(changes);
	crq_trail__dispose(&t);
	return err;
}
