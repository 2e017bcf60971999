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
		    crq_change__closed(crq_node_get_str(docs->items[i], "state")))
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
