/*
 * automation.c - the policy's automation rules: `when` a step is taken,
 * a state entered or a time condition holds on a matching change,
 * `then` require approvals, add a task, set fields, notify, escalate.
 * The content effects are the rule engine's to apply (lib/rules.c),
 * in the step that fired them; this module says which rules fire and
 * what they write.  Pure.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "automation.h"
#include "calendar.h"
#include "change.h"
#include "policy.h"

const crq_node *crq_auto__rule(const crq_node *policy, const char *name)
{
	const crq_node *rules = crq_node_get(policy, "rules");
	size_t i;

	for (i = 0; name && rules && rules->kind == CRQ_NODE_ARRAY &&
			i < rules->count; i++) {
		const char *n = crq_node_get_str(rules->items[i], "name");

		if (n && !strcmp(n, name))
			return rules->items[i];
	}
	return NULL;
}

void crq_auto__fired(crq_node *names, const crq_node *policy,
	const char *action, const char *from, const char *to,
	const crq_node *doc)
{
	const crq_node *rules = crq_node_get(policy, "rules");
	size_t i;

	for (i = 0; rules && rules->kind == CRQ_NODE_ARRAY &&
			i < rules->count; i++) {
		const crq_node *r = rules->items[i];
		const crq_node *when = crq_node_get(r, "when");
		const char *on = crq_node_get_str(when, "on"), *name;
		crq_on_kind k = crq_policy__on(policy, on, &name);
		int hit = 0;

		if (k == CRQ_ON_ACTION)
			hit = action && !strcmp(name, action);
		else if (k == CRQ_ON_STATE)
			hit = to && !strcmp(name, to) &&
				(!from || strcmp(from, to));
		if (hit && crq_cal__matches(when, doc))
			crq_node_push(names, crq_node_new_cstr(
				crq_node_get_str(r, "name")));
	}
}

int crq_auto__records(const crq_node *rule)
{
	const crq_node *then = crq_node_get(rule, "then");

	return crq_node_get(then, "require") || crq_node_get(then, "add_task") ||
		crq_node_get(then, "set") || crq_node_get(then, "escalate");
}

static crq_node *list_of(crq_node *doc, const char *key)
{
	crq_node *l = crq_node_get(doc, key);

	if (!l || l->kind != CRQ_NODE_ARRAY) {
		l = crq_node_new(CRQ_NODE_ARRAY);
		crq_node_set(doc, key, l);
	}
	return l;
}

void crq_auto__apply(crq_node *doc, const crq_node *policy,
	const crq_node *rule, long long now)
{
	const crq_node *then = crq_node_get(rule, "then");
	const char *name = crq_node_get_str(rule, "name");
	const crq_node *req = crq_node_get(then, "require");
	const crq_node *task = crq_node_get(then, "add_task");
	const crq_node *set = crq_node_get(then, "set");
	const crq_node *settable = crq_node_get(policy, "rule_settable");
	size_t i, j;

	for (i = 0; req && req->kind == CRQ_NODE_ARRAY && i < req->count;
			i++) {
		const char *role = crq_node_get_str(req->items[i], "role");
		const crq_node *cnt = crq_node_get(req->items[i], "count");
		crq_node *extra = list_of(doc, "extra_approvals"), *e;
		int have = 0;

		for (j = 0; j < extra->count; j++)
			if (!strcmp(crq_node_get_str(extra->items[j], "rule") ?
				    crq_node_get_str(extra->items[j], "rule") :
				    "", name) &&
			    !strcmp(crq_node_get_str(extra->items[j], "role") ?
				    crq_node_get_str(extra->items[j], "role") :
				    "", role))
				have = 1;
		if (have || !role || !cnt || cnt->kind != CRQ_NODE_INT)
			continue;
		e = crq_node_new(CRQ_NODE_OBJECT);
		crq_node_set(e, "rule", crq_node_new_cstr(name));
		crq_node_set(e, "role", crq_node_new_cstr(role));
		crq_node_set(e, "count", crq_node_new_int(cnt->i));
		crq_node_push(extra, e);
	}
	if (task && task->kind == CRQ_NODE_OBJECT) {
		const char *title = crq_node_get_str(task, "title");
		crq_node *tasks = list_of(doc, "tasks"), *t;
		const char *due_in = crq_node_get_str(task, "due_in");
		int have = 0;

		for (j = 0; j < tasks->count; j++) {
			const char *r = crq_node_get_str(tasks->items[j], "rule");
			const char *tt = crq_node_get_str(tasks->items[j],
				"title");

			if (r && tt && !strcmp(r, name) && !strcmp(tt, title))
				have = 1;
		}
		if (!have && title) {
			t = crq_node_new(CRQ_NODE_OBJECT);
			crq_node_set(t, "title", crq_node_new_cstr(title));
			if (crq_node_get_str(task, "owner"))
				crq_node_set(t, "owner", crq_node_new_cstr(
					crq_node_get_str(task, "owner")));
			if (crq_node_get_str(task, "owner_role"))
				crq_node_set(t, "role", crq_node_new_cstr(
					crq_node_get_str(task, "owner_role")));
			if (due_in && crq_cal__duration(due_in) >= 0) {
				char due[32];

				crq_cal__time_text(due, now +
					crq_cal__duration(due_in));
				crq_node_set(t, "due", crq_node_new_cstr(due));
			}
			if (crq_node_get_str(task, "phase"))
				crq_node_set(t, "phase", crq_node_new_cstr(
					crq_node_get_str(task, "phase")));
			crq_node_set(t, "rule", crq_node_new_cstr(name));
			crq_node_push(tasks, t);
		}
		if (!tasks->count)
			crq_node_remove(doc, "tasks");
	}
	for (i = 0; set && set->kind == CRQ_NODE_OBJECT && i < set->count;
			i++)
		if (crq_policy__in_list(settable, set->keys[i]) &&
		    !crq_policy__unsettable(set->keys[i]))
			crq_node_set(doc, set->keys[i],
				crq_node_dup(set->items[i]));
	if (crq_node_get(doc, "extra_approvals") &&
	    !crq_node_get(doc, "extra_approvals")->count)
		crq_node_remove(doc, "extra_approvals");
}

static void hold(crq_node *out, const char *on, const char *subject,
	long long since)
{
	crq_node *h = crq_node_new(CRQ_NODE_OBJECT);
	char t[32];

	crq_cal__time_text(t, since);
	crq_node_set(h, "on", crq_node_new_cstr(on));
	crq_node_set(h, "subject", crq_node_new_cstr(subject));
	crq_node_set(h, "since", crq_node_new_cstr(t));
	crq_node_push(out, h);
}

long long crq_auto__offset(const crq_node *rule)
{
	const crq_node *when = crq_node_get(rule, "when");
	const char *on = crq_node_get_str(when, "on");
	int before = on && !strcmp(on, "window-starting");
	const char *v = crq_node_get_str(when, before ? "before" : "after");
	long long d = v ? crq_cal__duration(v) : -1;

	return d >= 0 ? d : before ? 3600 : 0;
}

crq_node *crq_auto__holds(const crq_node *policy, const crq_node *rule,
	const crq_node *doc, long long now)
{
	const crq_node *when = crq_node_get(rule, "when");
	const char *on = crq_node_get_str(when, "on");
	const char *state = crq_node_get_str(doc, "state");
	crq_node *out = crq_node_new(CRQ_NODE_ARRAY);
	char subject[160], t1[32];
	long long ws, we, x;
	size_t i;

	if (!crq_policy__time_on(on) || crq_change__closed(state) ||
	    !crq_cal__matches(when, doc))
		return out;
	if (!strncmp(on, "sla-", 4)) {
		crq_node *clocks = crq_sla__clocks(policy, doc, now);
		int breached = !strcmp(on, "sla-breached");

		for (i = 0; i < clocks->count; i++) {
			const crq_node *c = clocks->items[i];
			const char *st = crq_node_get_str(c, "state");
			const char *target = crq_node_get_str(c, "target");
			const char *since = crq_node_get_str(c, breached ?
				"due" : "at_risk");

			if (crq_node_get(c, "stopped") || !st || !target ||
			    !crq_cal__admits(crq_node_get(when, "sla"), target) ||
			    !(breached ? !strcmp(st, "breached") :
			      !strcmp(st, "at-risk") || !strcmp(st, "breached")) ||
			    !since || crq_store__parse_time(since, &x) < 0)
				continue;
			snprintf(subject, sizeof(subject), "sla:%s:%s", target,
				crq_node_get_str(c, "started"));
			hold(out, on, subject, x);
		}
		crq_node_free(clocks);
	} else if (!strcmp(on, "task-overdue")) {
		const crq_node *tasks = crq_node_get(doc, "tasks");
		long long after = crq_auto__offset(rule);

		for (i = 0; tasks && tasks->kind == CRQ_NODE_ARRAY &&
				i < tasks->count; i++) {
			const crq_node *t = tasks->items[i];
			const crq_node *d = crq_node_get(t, "done");
			const char *due = crq_node_get_str(t, "due");

			if ((d && d->kind == CRQ_NODE_BOOL && d->b) || !due ||
			    crq_store__parse_time(due, &x) < 0 ||
			    x + after > now)
				continue;
			crq_cal__time_text(t1, x);
			snprintf(subject, sizeof(subject), "task:%zu:%s", i + 1,
				t1);
			hold(out, on, subject, x + after);
		}
	} else if (crq_cal__window(doc, &ws, &we) == 0) {
		if (!strcmp(on, "implementation-late")) {
			long long after = crq_auto__offset(rule);

			if ((!strcmp(state, "scheduled") ||
			     !strcmp(state, "implementing")) &&
			    we + after <= now) {
				crq_cal__time_text(t1, we);
				snprintf(subject, sizeof(subject), "late:%s", t1);
				hold(out, on, subject, we + after);
			}
		} else {	/* window-starting */
			long long before = crq_auto__offset(rule);

			if (!strcmp(state, "scheduled") && ws - before <= now &&
			    now < we) {
				crq_cal__time_text(t1, ws);
				snprintf(subject, sizeof(subject), "window:%s", t1);
				hold(out, on, subject, ws - before);
			}
		}
	}
	return out;
}

crq_node *crq_auto__members(const crq_node *policy, const char *to,
	const char *day)
{
	const crq_node *members = crq_node_get(policy, "members");
	crq_node *out = crq_node_new(CRQ_NODE_ARRAY);
	size_t i;

	if (!to)
		return out;
	if (strchr(to, '@')) {
		if (crq_policy__member(policy, to))
			crq_node_push(out, crq_node_new_cstr(to));
		return out;
	}
	for (i = 0; members && members->kind == CRQ_NODE_ARRAY &&
			i < members->count; i++)
		if (crq_policy__has_role(members->items[i], to, day) &&
		    crq_node_get_str(members->items[i], "email"))
			crq_node_push(out, crq_node_new_cstr(crq_node_get_str(
				members->items[i], "email")));
	return out;
}
