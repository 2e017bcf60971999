/*
 * sla.c - SLA clocks, computed from the branch tip and the policy
 * (crq verify is what proves that tip):
 * a target's clock starts when a change it matches entered `from` and
 * stops when it entered one of `until`, both times crq derived from
 * signed steps (the change's `entered`).  Working time counts in the
 * target's hours (24x7 or a business calendar): the clock stands still
 * outside them.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "calendar.h"
#include "change.h"
#include "commit.h"
#include "rules.h"

#define AT_RISK_PERCENT 80

/* Does a `when` value (a string or a list) admit v? */
static int admits(const crq_node *want, const char *v)
{
	size_t i;

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

static int target_matches(const crq_node *t, const crq_node *doc)
{
	const crq_node *when = crq_node_get(t, "when");
	size_t i, j;

	for (i = 0; when && i < when->count; i++) {
		const char *k = when->keys[i];
		const crq_node *w = when->items[i];

		if (!strcmp(k, "services")) {
			const crq_node *svc = crq_node_get(doc, "services");
			int any = 0;

			for (j = 0; svc && svc->kind == CRQ_NODE_ARRAY &&
					j < svc->count; j++)
				if (svc->items[j]->kind == CRQ_NODE_STRING &&
				    admits(w, svc->items[j]->str))
					any = 1;
			if (!any)
				return 0;
		} else if (!admits(w, crq_node_get_str(doc, k) ? crq_node_get_str(
				doc, k) : (!strcmp(k, "type") ? "normal" : NULL))) {
			return 0;
		}
	}
	return 1;
}

static void put_time(crq_node *o, const char *key, long long t)
{
	char text[32];

	crq_rules_time(text, t);
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
		if (!from || within <= 0 || !target_matches(t, doc) ||
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

/* ---- the commits that started the clocks ---- */

struct starts {
	crq_node *clocks;
	size_t left;
};

static int started_by(const crq_step_seen *st, void *payload)
{
	struct starts *w = payload;
	char when[32], hex[GIT_OID_HEXSZ + 1];
	size_t i;

	/* the step that entered the state, not a comment in it */
	if (!st->to || (st->from && !strcmp(st->from, st->to)))
		return 0;
	crq_rules_time(when, st->time);
	git_oid_tostr(hex, sizeof(hex), st->id);
	for (i = 0; i < w->clocks->count; i++) {
		crq_node *o = w->clocks->items[i];

		if (crq_node_get(o, "started_commit") ||
		    strcmp(crq_node_get_str(o, "change"), st->change) ||
		    strcmp(crq_node_get_str(o, "from"), st->to) ||
		    strcmp(crq_node_get_str(o, "started"), when))
			continue;
		crq_node_set(o, "started_commit", crq_node_new_cstr(hex));
		w->left--;
	}
	return w->left == 0;
}

/* Fill in clocks[].started_commit: the step that moved the change into
 * the clock's state at its start time (a walk of the history that stops
 * once every clock has its commit). */
static int started_commits(crq_repo *repo, crq_node *clocks)
{
	struct starts w = { clocks, clocks->count };

	return w.left ? crq_commit__walk_steps(repo, started_by, &w) : 0;
}

static int terminal(const char *state)
{
	return !state || !strcmp(state, "closed") ||
		!strcmp(state, "cancelled") || !strcmp(state, "rejected");
}

int crq_sla(crq_node **out, crq_repo *repo, const char *id, long long now,
	unsigned flags)
{
	const crq_node *policy;
	crq_node *docs = NULL, *one = NULL;
	size_t i, k;
	int err;

	*out = NULL;
	if ((err = crq_policy__tip(&policy, repo)) < 0)
		return err;
	if (id) {
		if ((err = crq_change_load(&one, repo, id)) < 0)
			return err;
		docs = crq_node_new(CRQ_NODE_ARRAY);
		crq_node_push(docs, one);
	} else if ((err = crq_change_list(&docs, repo, NULL, NULL)) < 0) {
		return err;
	}
	*out = crq_node_new(CRQ_NODE_ARRAY);
	for (i = 0; i < docs->count; i++) {
		crq_node *c;

		/* a closed change's clocks are history, unless asked for */
		if (!id && !(flags & CRQ_SLA_ALL) &&
		    terminal(crq_node_get_str(docs->items[i], "state")))
			continue;
		c = crq_sla__clocks(policy, docs->items[i], now);
		for (k = 0; k < c->count; k++) {
			const char *st = crq_node_get_str(c->items[k], "state");

			if (((flags & CRQ_SLA_BREACHED) ||
			     (flags & CRQ_SLA_AT_RISK)) &&
			    !((flags & CRQ_SLA_BREACHED) &&
			      !strcmp(st, "breached")) &&
			    !((flags & CRQ_SLA_AT_RISK) &&
			      !strcmp(st, "at-risk")))
				continue;
			crq_node_push(*out, crq_node_dup(c->items[k]));
		}
		crq_node_free(c);
	}
	crq_node_free(docs);
	if ((flags & CRQ_SLA_COMMITS) &&
	    (err = started_commits(repo, *out)) < 0) {
		crq_node_free(*out);
		*out = NULL;
	}
	return err;
}
