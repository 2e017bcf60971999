/*
 * events.c - crq events: the stream of what happened, derived from the
 * history (steps, the automation rules they fired, escalations,
 * deployments) and from the tip's content and the clock (SLA clocks at
 * risk or breached, tasks overdue, windows starting, implementations
 * late; and the same again for each time-driven rule, at the rule's
 * offset).  Every event has an id that depends only on what it is, so
 * a consumer resumes without duplicates.
 */
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "automation.h"
#include "calendar.h"
#include "change.h"
#include "commit.h"
#include "rules.h"

struct ev_ctx {
	crq_repo *repo;
	const crq_node *policy;
	crq_node *docs;		/* {id: doc} at the tip */
	crq_node *out;		/* the events */
	long long from, until;	/* clock events in (from, until] */
	int from_set;
	long long commit_seq;	/* the walk's count of commits seen */
	long long in_commit;	/* events of the current commit so far */
};

/* "evt-" and 24 hex digits of SHA-256 over the event's identity. */
static void event_id(char out[32], const char *kind, const char *change,
	const char *key, const char *rule)
{
	unsigned char md[32];
	unsigned int n = 0;
	crq_buf b = CRQ_BUF_INIT;
	int i;

	crq_buf_printf(&b, "%s\n%s\n%s\n%s", kind, change ? change : "",
		key ? key : "", rule ? rule : "");
	EVP_Digest(b.ptr, b.size, md, &n, EVP_sha256(), NULL);
	strcpy(out, "evt-");
	for (i = 0; i < 12; i++)
		snprintf(out + 4 + 2 * i, 3, "%02x", md[i]);
	crq_buf_dispose(&b);
}

static crq_node *new_event(struct ev_ctx *x, const char *type,
	const char *change, long long t, const char *key, const char *rule)
{
	crq_node *e = crq_node_new(CRQ_NODE_OBJECT);
	const crq_node *doc = change ? crq_node_get(x->docs, change) : NULL;
	char id[32], when[32];

	event_id(id, type, change, key, rule);
	crq_rules_time(when, t);
	/* the order within one second: the history's (an older commit
	 * first, a step before what it fired), then the clock's */
	crq_node_set(e, "_c", crq_node_new_int(x->commit_seq));
	crq_node_set(e, "_k", crq_node_new_int(x->in_commit++));
	crq_node_set(e, "id", crq_node_new_cstr(id));
	crq_node_set(e, "type", crq_node_new_cstr(type));
	crq_node_set(e, "time", crq_node_new_cstr(when));
	if (change)
		crq_node_set(e, "change", crq_node_new_cstr(change));
	if (doc && crq_node_get_str(doc, "title"))
		crq_node_set(e, "title", crq_node_new_cstr(crq_node_get_str(
			doc, "title")));
	if (rule)
		crq_node_set(e, "rule", crq_node_new_cstr(rule));
	crq_node_push(x->out, e);
	return e;
}

/* The rule's notify list and escalation target on e (the tip's
 * policy: what the rule asks for now). */
static void rule_asks(struct ev_ctx *x, crq_node *e, const char *name,
	long long t)
{
	const crq_node *r = crq_auto__rule(x->policy, name);
	const crq_node *n = crq_node_path(r, "then.notify");
	const crq_node *to = crq_node_path(r, "then.escalate.to");

	crq_node_set(e, "notify", n ? crq_node_dup(n) :
		crq_node_new(CRQ_NODE_ARRAY));
	if (to && to->kind == CRQ_NODE_STRING) {
		crq_node *esc = crq_node_new(CRQ_NODE_OBJECT);
		char day[32];

		crq_rules_time(day, t);
		day[10] = '\0';
		crq_node_set(esc, "to", crq_node_new_cstr(to->str));
		crq_node_set(esc, "members", crq_auto__members(x->policy,
			to->str, day));
		crq_node_set(e, "escalate_to", esc);
	}
}

/* ---- events of steps ---- */

/* The deployment a deploy step recorded: by its signer, at its time. */
static const crq_node *deployment_of(struct ev_ctx *x, const char *change,
	const char *by, long long t)
{
	const crq_node *d = crq_node_get(crq_node_get(x->docs, change),
		"deployments");
	char when[32];
	size_t i;

	crq_rules_time(when, t);
	for (i = 0; d && d->kind == CRQ_NODE_ARRAY && i < d->count; i++) {
		const char *b = crq_node_get_str(d->items[i], "by");
		const char *a = crq_node_get_str(d->items[i], "at");

		if (b && a && by && !strcmp(b, by) && !strcmp(a, when))
			return d->items[i];
	}
	return NULL;
}

static int step_events(const crq_step_seen *s, void *payload)
{
	struct ev_ctx *x = payload;
	char hex[GIT_OID_HEXSZ + 1], buf[512];
	crq_node *e;
	const char *p;

	if (s->time > x->until)
		return 0;
	x->commit_seq++;
	x->in_commit = 0;
	git_oid_tostr(hex, sizeof(hex), s->id);
	e = new_event(x, "step", s->change, s->time, hex, NULL);
	crq_node_set(e, "commit", crq_node_new_cstr(hex));
	crq_node_set(e, "action", crq_node_new_cstr(s->action));
	if (s->from)
		crq_node_set(e, "from", crq_node_new_cstr(s->from));
	if (s->to)
		crq_node_set(e, "to", crq_node_new_cstr(s->to));
	if (s->by)
		crq_node_set(e, "by", crq_node_new_cstr(s->by));
	if (s->from && s->to && strcmp(s->from, s->to))
		snprintf(buf, sizeof(buf), "%s: %s by %s (%s -> %s)",
			s->change, s->action, s->by ? s->by : "?", s->from,
			s->to);
	else
		snprintf(buf, sizeof(buf), "%s: %s by %s", s->change,
			s->action, s->by ? s->by : "?");
	crq_node_set(e, "summary", crq_node_new_cstr(buf));
	crq_node_set(e, "notify", crq_node_new(CRQ_NODE_ARRAY));
	/* the rules it fired, one event each */
	for (p = s->rules; p && *p; ) {
		size_t n = strcspn(p, ", ");
		char name[80];

		if (n && n < sizeof(name)) {
			memcpy(name, p, n);
			name[n] = '\0';
			e = new_event(x, "rule", s->change, s->time, hex, name);
			crq_node_set(e, "commit", crq_node_new_cstr(hex));
			crq_node_set(e, "action", crq_node_new_cstr(s->action));
			if (s->by)
				crq_node_set(e, "by", crq_node_new_cstr(s->by));
			snprintf(buf, sizeof(buf), "%s: rule %s fired on %s",
				s->change, name, s->action);
			crq_node_set(e, "summary", crq_node_new_cstr(buf));
			rule_asks(x, e, name, s->time);
		}
		p += n;
		p += strspn(p, ", ");
	}
	if (s->escalate) {
		const crq_node *r = crq_auto__rule(x->policy, s->escalate);
		const crq_node *to = crq_node_path(r, "then.escalate.to");

		e = new_event(x, "escalation", s->change, s->time, hex,
			s->escalate);
		crq_node_set(e, "commit", crq_node_new_cstr(hex));
		if (s->by)
			crq_node_set(e, "by", crq_node_new_cstr(s->by));
		snprintf(buf, sizeof(buf), "%s: escalated to %s (rule %s)",
			s->change, to && to->kind == CRQ_NODE_STRING ? to->str :
			"nobody", s->escalate);
		crq_node_set(e, "summary", crq_node_new_cstr(buf));
		rule_asks(x, e, s->escalate, s->time);
	}
	{
		const crq_node *d = deployment_of(x, s->change, s->by,
			s->time);

		if (d && !strcmp(s->action, "deploy")) {
			crq_node *dd = crq_node_dup(d);

			crq_node_remove(dd, "by");
			crq_node_remove(dd, "at");
			e = new_event(x, "deployment", s->change, s->time, hex,
				NULL);
			crq_node_set(e, "commit", crq_node_new_cstr(hex));
			if (s->by)
				crq_node_set(e, "by", crq_node_new_cstr(s->by));
			snprintf(buf, sizeof(buf), "%s: deployed %.12s%s%s by %s",
				s->change, crq_node_get_str(d, "ref"),
				crq_node_get_str(d, "environment") ? " to " : "",
				crq_node_get_str(d, "environment") ?
				crq_node_get_str(d, "environment") : "",
				s->by ? s->by : "?");
			crq_node_set(e, "summary", crq_node_new_cstr(buf));
			crq_node_set(e, "deployment", dd);
			crq_node_set(e, "notify", crq_node_new(CRQ_NODE_ARRAY));
		}
	}
	return 0;
}

/* ---- events of the clock ---- */

static int in_range(const struct ev_ctx *x, long long t)
{
	return t <= x->until && (!x->from_set || t > x->from);
}

static long long when_of(const crq_node *o, const char *key)
{
	long long t;

	return crq_store__parse_time(crq_node_get_str(o, key), &t) < 0 ?
		-1 : t;
}

static long long entered(const crq_node *doc, const char *state)
{
	return when_of(crq_node_get(doc, "entered"), state);
}

/* One clock event of kind on doc at t (with a rule: the rule's). */
static void clock_event(struct ev_ctx *x, const char *kind,
	const crq_node *doc, long long t, const char *subject,
	const char *rule, const char *what, crq_node *detail,
	const char *detail_key)
{
	const char *id = crq_node_get_str(doc, "id");
	char buf[512];
	crq_node *e;

	if (!in_range(x, t)) {
		crq_node_free(detail);
		return;
	}
	e = new_event(x, kind, id, t, subject, rule);
	snprintf(buf, sizeof(buf), "%s: %s%s%s", id, what, rule ? " (rule " :
		"", rule ? rule : "");
	if (rule)
		strncat(buf, ")", sizeof(buf) - strlen(buf) - 1);
	crq_node_set(e, "summary", crq_node_new_cstr(buf));
	crq_node_set(e, detail_key, detail);
	if (rule)
		rule_asks(x, e, rule, t);
	else
		crq_node_set(e, "notify", crq_node_new(CRQ_NODE_ARRAY));
}

/* The clock events of kind on doc, offset seconds after (or, for
 * window-starting, before) the moment itself; rule: whose they are. */
static void clock_kind(struct ev_ctx *x, const crq_node *doc,
	const char *kind, long long off, const char *rule, const crq_node *sla)
{
	const char *state = crq_node_get_str(doc, "state");
	char what[256], subject[160], t1[32];
	long long ws, we, t;
	size_t i;

	if (!strncmp(kind, "sla-", 4)) {
		crq_node *clocks = crq_sla__clocks(x->policy, doc, x->until);
		int breach = !strcmp(kind, "sla-breached");

		for (i = 0; i < clocks->count; i++) {
			const crq_node *c = clocks->items[i];
			const char *target = crq_node_get_str(c, "target");
			long long at = when_of(c, breach ? "due" : "at_risk");
			long long stop = when_of(c, "stopped");
			crq_node *d;

			if (!crq_cal__admits(sla, target) || at < 0 ||
			    (stop >= 0 && stop <= at))
				continue;
			snprintf(subject, sizeof(subject), "sla:%s:%s", target,
				crq_node_get_str(c, "started"));
			snprintf(what, sizeof(what), "SLA %s %s (due %s)",
				target, breach ? "breached" : "at risk",
				crq_node_get_str(c, "due"));
			d = crq_node_new(CRQ_NODE_OBJECT);
			crq_node_set(d, "target", crq_node_new_cstr(target));
			crq_node_set(d, "started", crq_node_new_cstr(
				crq_node_get_str(c, "started")));
			if (crq_node_get_str(c, "due"))
				crq_node_set(d, "due", crq_node_new_cstr(
					crq_node_get_str(c, "due")));
			crq_node_set(d, "state", crq_node_new_cstr(breach ?
				"breached" : "at-risk"));
			clock_event(x, kind, doc, at, subject, rule, what, d,
				"sla");
		}
		crq_node_free(clocks);
		return;
	}
	if (!strcmp(kind, "task-overdue")) {
		const crq_node *tasks = crq_node_get(doc, "tasks");

		for (i = 0; tasks && tasks->kind == CRQ_NODE_ARRAY &&
				i < tasks->count; i++) {
			const crq_node *tk = tasks->items[i];
			long long due = when_of(tk, "due");
			long long done = when_of(tk, "done_at");
			crq_node *d;

			if (due < 0 || (done >= 0 && done <= due + off))
				continue;
			crq_rules_time(t1, due);
			snprintf(subject, sizeof(subject), "task:%zu:%s", i + 1,
				t1);
			snprintf(what, sizeof(what), "task %zu '%s' overdue (due %s)",
				i + 1, crq_node_get_str(tk, "title"), t1);
			d = crq_node_new(CRQ_NODE_OBJECT);
			crq_node_set(d, "number", crq_node_new_int(
				(long long)i + 1));
			crq_node_set(d, "title", crq_node_new_cstr(
				crq_node_get_str(tk, "title")));
			if (crq_node_get_str(tk, "owner"))
				crq_node_set(d, "owner", crq_node_new_cstr(
					crq_node_get_str(tk, "owner")));
			if (crq_node_get_str(tk, "role"))
				crq_node_set(d, "role", crq_node_new_cstr(
					crq_node_get_str(tk, "role")));
			crq_node_set(d, "due", crq_node_new_cstr(t1));
			clock_event(x, kind, doc, due + off, subject, rule, what,
				d, "task");
		}
		return;
	}
	if (crq_cal__window(doc, &ws, &we) < 0 || entered(doc, "scheduled") < 0 ||
	    !state || !strcmp(state, "cancelled") || !strcmp(state, "rejected"))
		return;
	if (!strcmp(kind, "window-starting")) {
		long long started = entered(doc, "implementing");

		t = ws - off;
		/* it was started before: nothing was about to start */
		if (started >= 0 && started <= t)
			return;
		crq_rules_time(t1, ws);
		snprintf(subject, sizeof(subject), "window:%s", t1);
		snprintf(what, sizeof(what), "window opens at %s", t1);
	} else {	/* implementation-late */
		long long c = entered(doc, "completed"), f = entered(doc,
			"failed"), done = c >= 0 && (f < 0 || c < f) ? c : f;

		t = we + off;
		if (done >= 0 && done <= t)
			return;
		crq_rules_time(t1, we);
		snprintf(subject, sizeof(subject), "late:%s", t1);
		snprintf(what, sizeof(what), "not implemented when its window closed at %s",
			t1);
	}
	{
		crq_node *d = crq_node_new(CRQ_NODE_OBJECT);

		crq_node_set(d, "start", crq_node_new_cstr(crq_node_path(doc,
			"window.start")->str));
		crq_node_set(d, "end", crq_node_new_cstr(crq_node_path(doc,
			"window.end")->str));
		clock_event(x, kind, doc, t, subject, rule, what, d, "window");
	}
}

static void clock_events(struct ev_ctx *x, const crq_node *doc)
{
	static const char *const kinds[] = {
		"sla-at-risk", "sla-breached", "task-overdue",
		"window-starting", "implementation-late", NULL
	};
	const crq_node *rules = crq_node_get(x->policy, "rules");
	size_t i;

	for (i = 0; kinds[i]; i++)
		clock_kind(x, doc, kinds[i], 0, NULL, NULL);
	for (i = 0; rules && rules->kind == CRQ_NODE_ARRAY &&
			i < rules->count; i++) {
		const crq_node *r = rules->items[i];
		const crq_node *when = crq_node_get(r, "when");
		const char *on = crq_node_get_str(when, "on");

		if (!crq_policy__time_on(on) || !crq_cal__matches(when, doc))
			continue;
		clock_kind(x, doc, on, crq_auto__offset(r),
			crq_node_get_str(r, "name"),
			crq_node_get(when, "sla"));
	}
}

/* ---- the stream ---- */

static int by_time(const void *a, const void *b)
{
	const crq_node *x = *(const crq_node *const *)a;
	const crq_node *y = *(const crq_node *const *)b;
	int c = strcmp(crq_node_get_str(x, "time"), crq_node_get_str(y,
		"time"));
	long long xc = crq_node_get(x, "_c")->i, yc = crq_node_get(y, "_c")->i;
	long long xk = crq_node_get(x, "_k")->i, yk = crq_node_get(y, "_k")->i;

	if (c)
		return c;
	/* the walk goes newest first: a higher count is older; clock
	 * events (0) come after the steps of their second */
	if (xc != yc)
		return !xc ? 1 : !yc ? -1 : xc > yc ? -1 : 1;
	return xk < yk ? -1 : xk > yk;
}

static void sort_events(crq_node *out)
{
	size_t i;

	crq__sort(out->items, out->count, sizeof(*out->items), by_time);
	for (i = 0; i < out->count; i++) {
		crq_node_remove(out->items[i], "_c");
		crq_node_remove(out->items[i], "_k");
	}
}

/* A revision's commit, or CRQ_ENOTFOUND. */
static int resolve(git_oid *out, long long *when, crq_repo *repo,
	const char *rev)
{
	git_object *o = NULL;
	git_commit *c = NULL;
	int err;

	if (git_revparse_single(&o, repo->git, rev) < 0 ||
	    git_object_peel((git_object **)&c, o, GIT_OBJECT_COMMIT) < 0) {
		git_object_free(o);
		return crq_error__set(CRQ_ENOTFOUND,
			"'%s' is neither a time (RFC 3339), an event id nor a revision",
			rev);
	}
	git_oid_cpy(out, git_commit_id(c));
	*when = (long long)git_commit_committer(c)->when.time;
	err = 0;
	git_commit_free(c);
	git_object_free(o);
	return err;
}

static int load_docs(crq_node **out, crq_repo *repo)
{
	crq_node *list = NULL, *docs;
	size_t i;
	int err;

	*out = NULL;
	if ((err = crq_change_list(&list, repo, NULL, NULL)) < 0)
		return err;
	docs = crq_node_new(CRQ_NODE_OBJECT);
	for (i = 0; i < list->count; i++) {
		const char *id = crq_node_get_str(list->items[i], "id");

		/* moved, not copied: a store's every change is here */
		if (id) {
			crq_node_set(docs, id, list->items[i]);
			list->items[i] = NULL;
		}
	}
	crq_node_free(list);
	*out = docs;
	return 0;
}

int crq_events(crq_node **out, crq_repo *repo, const crq_events_options *opts)
{
	struct ev_ctx x;
	crq_node *docs = NULL;
	const char *since = opts ? opts->since : NULL;
	const char *until = opts ? opts->until : NULL;
	git_oid hide, u;
	int have_hide = 0, err;
	size_t i;

	*out = NULL;
	memset(&x, 0, sizeof(x));
	x.repo = repo;
	x.until = crq_time_now();
	if (until && crq_store__parse_time(until, &x.until) < 0 &&
	    (err = resolve(&u, &x.until, repo, until)) < 0)
		return err;
	if (since && strncmp(since, "evt-", 4)) {
		if (crq_store__parse_time(since, &x.from) < 0) {
			if ((err = resolve(&hide, &x.from, repo, since)) < 0)
				return err;
			have_hide = 1;
		}
		x.from_set = 1;
	}
	if ((err = crq_policy__tip(&x.policy, repo)) < 0 ||
	    (err = load_docs(&docs, repo)) < 0)
		return err;
	x.docs = docs;
	x.out = crq_node_new(CRQ_NODE_ARRAY);
	if ((err = crq_commit__walk_steps_since(repo, have_hide ? &hide : NULL,
			step_events, &x)) < 0)
		goto done;
	/* a time given: the steps dated after it too */
	if (x.from_set && !have_hide)
		for (i = 0; i < x.out->count; i++)
			if (!in_range(&x, when_of(x.out->items[i], "time")))
				crq_node_remove_at(x.out, i--);
	x.commit_seq = 0;
	for (i = 0; i < docs->count; i++)
		clock_events(&x, docs->items[i]);
	sort_events(x.out);
	if (since && !strncmp(since, "evt-", 4)) {
		for (i = 0; i < x.out->count; i++)
			if (!strcmp(crq_node_get_str(x.out->items[i], "id"),
					since))
				break;
		if (i == x.out->count) {
			err = crq_error__set(CRQ_ENOTFOUND,
				"event '%s' is not in the stream (until %s)",
				since, until ? until : "now");
			goto done;
		}
		{
			/* the events after it */
			crq_node *rest = crq_node_new(CRQ_NODE_ARRAY);
			size_t k;

			for (k = i + 1; k < x.out->count; k++)
				crq_node_push(rest, crq_node_dup(
					x.out->items[k]));
			crq_node_free(x.out);
			x.out = rest;
		}
	}
done:
	crq_node_free(docs);
	if (err < 0)
		crq_node_free(x.out);
	else
		*out = x.out;
	return err;
}

struct one {
	const git_oid *want;
	struct ev_ctx *x;
	int found;
};

static int only_one(const crq_step_seen *s, void *payload)
{
	struct one *o = payload;

	crq_node *doc = NULL;

	if (!git_oid_equal(s->id, o->want))
		return 0;
	o->found = 1;
	/* the change's title and deployments: its content at the tip */
	if (crq_change_load(&doc, o->x->repo, s->change) == 0)
		crq_node_set(o->x->docs, s->change, doc);
	crq_error_clear();
	step_events(s, o->x);
	return 1;
}

int crq_events_of_commit(crq_node **out, crq_repo *repo, const char *commit)
{
	struct ev_ctx x;
	struct one o;
	crq_node *docs = NULL;
	git_oid id, parent;
	git_commit *c = NULL;
	long long t;
	int err;

	*out = NULL;
	memset(&x, 0, sizeof(x));
	if ((err = resolve(&id, &t, repo, commit)) < 0 ||
	    (err = crq_policy__tip(&x.policy, repo)) < 0)
		return err;
	docs = crq_node_new(CRQ_NODE_OBJECT);
	x.repo = repo;
	x.docs = docs;
	x.until = t;
	x.out = crq_node_new(CRQ_NODE_ARRAY);
	o.want = &id;
	o.x = &x;
	o.found = 0;
	/* walk only what the commit adds over its first parent */
	if (git_commit_lookup(&c, repo->git, &id) == 0 &&
	    git_commit_parentcount(c) > 0) {
		git_oid_cpy(&parent, git_commit_parent_id(c, 0));
		err = crq_commit__walk_steps_since(repo, &parent, only_one, &o);
	} else {
		err = crq_commit__walk_steps(repo, only_one, &o);
	}
	git_commit_free(c);
	crq_node_free(docs);
	if (err < 0) {
		crq_node_free(x.out);
		return err;
	}
	sort_events(x.out);
	*out = x.out;
	return 0;
}
