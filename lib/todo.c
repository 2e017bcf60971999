/*
 * todo.c - crq todo: what waits for one member, computed from the
 * verified history's tip and the policy, nothing else.  An approval is
 * listed only when the rule engine would take it from them now (their
 * role still needed, separation of duties); the other actions when the
 * change's state and their roles allow it.
 */
#include <stdlib.h>
#include <string.h>
#include "calendar.h"
#include "change.h"
#include "rules.h"

static int holds_a_role(const crq_node *policy, const crq_node *member,
	const char *action, const crq_node *doc, const char *day)
{
	int named;
	const crq_node *act = crq_policy__action(policy, action,
		crq_node_get_str(doc, "type"), crq_node_get_str(doc, "state"),
		&named);
	const crq_node *roles = act ? crq_node_get(act, "roles") : NULL;
	size_t i;

	if (!act || !crq_policy__in_list(crq_node_get(act, "from"),
			crq_node_get_str(doc, "state")))
		return 0;
	for (i = 0; roles && i < roles->count; i++)
		if (crq_policy__has_role(member, roles->items[i]->str, day))
			return 1;
	return 0;
}

/* Does the policy have action for doc's type, from its state? */
static int open_to(const crq_node *policy, const char *action,
	const crq_node *doc)
{
	int named;
	const crq_node *act = crq_policy__action(policy, action,
		crq_node_get_str(doc, "type"), crq_node_get_str(doc, "state"),
		&named);

	return act && crq_policy__in_list(crq_node_get(act, "from"),
		crq_node_get_str(doc, "state"));
}

static void item(crq_node *list, const char *kind, const crq_node *doc,
	const char *what, const char *due, long long now)
{
	crq_node *o = crq_node_new(CRQ_NODE_OBJECT);
	long long t;

	crq_node_set(o, "kind", crq_node_new_cstr(kind));
	crq_node_set(o, "change", crq_node_new_cstr(crq_node_get_str(doc,
		"id")));
	crq_node_set(o, "title", crq_node_new_cstr(crq_node_get_str(doc,
		"title") ? crq_node_get_str(doc, "title") : ""));
	crq_node_set(o, "what", crq_node_new_cstr(what));
	if (due) {
		crq_node_set(o, "due", crq_node_new_cstr(due));
		crq_node_set(o, "overdue", crq_node_new_bool(
			crq_store__parse_time(due, &t) == 0 && t < now));
	}
	crq_node_push(list, o);
}

/* Does the list hold an item on change id? */
static int lists(const crq_node *list, const char *id)
{
	size_t i;

	for (i = 0; id && i < list->count; i++)
		if (!strcmp(crq_node_get_str(list->items[i], "change"), id))
			return 1;
	return 0;
}

/* The members whose approval of doc the rule engine would take now. */
static crq_node *who_could(crq_repo *repo, const git_oid *tip,
	const crq_node *policy, const crq_node *doc, long long now)
{
	const crq_node *members = crq_node_get(policy, "members");
	crq_node *out = crq_node_new(CRQ_NODE_ARRAY);
	size_t i;

	for (i = 0; members && i < members->count; i++) {
		const char *e = crq_node_get_str(members->items[i], "email");

		if (e && crq_workflow__could(repo, tip, policy, doc, "approve",
				e, now) == 0)
			crq_node_push(out, crq_node_new_cstr(e));
		crq_error_clear();
	}
	return out;
}

/* Most urgent first: overdue, then by due time, then the rest in the
 * order found (by change id). */
static long long urgency(const crq_node *o, size_t pos)
{
	const crq_node *late = crq_node_get(o, "overdue");
	const char *due = crq_node_get_str(o, "due");
	long long t;

	if (due && crq_store__parse_time(due, &t) == 0)
		return (late && late->b ? -(1LL << 40) : 0) + t;
	return (1LL << 40) + (long long)pos;
}

int crq_todo(crq_node **out, crq_repo *repo, const char *email,
	long long now)
{
	const crq_node *policy, *member;
	const crq_schema *schema;
	crq_node *docs = NULL, *list, *waits;
	char nowtext[32], day[11];
	git_oid tip;
	size_t i, k;
	int err, unborn;

	*out = NULL;
	if ((err = crq_policy__tip(&policy, repo)) < 0 ||
	    (err = crq_repo_change_schema(&schema, repo)) < 0 ||
	    (err = crq_store__tip(repo, &tip, &unborn)) < 0)
		return err;
	if (!(member = crq_policy__member(policy, email)))
		return crq_error__set(CRQ_ENOTFOUND,
			"'%s' is not a member of this store", email);
	crq_rules_time(nowtext, now);
	memcpy(day, nowtext, 10);
	day[10] = '\0';
	if ((err = crq_change_list(&docs, repo, NULL, NULL)) < 0)
		return err;
	list = crq_node_new(CRQ_NODE_ARRAY);
	waits = crq_node_new(CRQ_NODE_ARRAY);
	for (i = 0; i < docs->count; i++) {
		const crq_node *doc = docs->items[i];
		const char *state = crq_node_get_str(doc, "state");
		const char *requester = crq_node_get_str(doc, "requester");
		const crq_node *tasks = crq_node_get(doc, "tasks");
		crq_buf miss = CRQ_BUF_INIT, what = CRQ_BUF_INIT;
		int met = 1;

		if (!state || crq_change__closed(state))
			continue;
		/* approvals: the engine says whether it would take theirs */
		if (open_to(policy, "approve", doc) &&
		    crq_rules_is_decision(policy, "approve",
				crq_node_get_str(doc, "type"), state)) {
			met = crq_rules_approved(&miss, policy, schema, doc);
			if (met == 0 && crq_workflow__could(repo, &tip, policy,
					doc, "approve", email, now) == 0) {
				crq_buf_printf(&what, "approve: still needed %s",
					miss.ptr);
				item(list, "approve", doc, what.ptr, NULL, now);
			}
			crq_error_clear();
		}
		if (!strcmp(state, "submitted") &&
		    holds_a_role(policy, member, "assess", doc, day))
			item(list, "assess", doc, "assess: risk and impact",
				NULL, now);
		if (!strcmp(state, "authorized") &&
		    holds_a_role(policy, member, "schedule", doc, day))
			item(list, "schedule", doc, "schedule a window", NULL,
				now);
		if (!strcmp(state, "scheduled") &&
		    holds_a_role(policy, member, "start", doc, day) &&
		    (!crq_node_get_str(doc, "implementer") ||
		     !strcmp(crq_node_get_str(doc, "implementer"), email))) {
			const char *ws = crq_node_get_str(crq_node_get(doc,
				"window"), "start");
			long long t;

			/* the window opens within a day, or is open */
			if (ws && crq_store__parse_time(ws, &t) == 0 &&
			    t - now <= 24 * 3600)
				item(list, "start", doc, "start: the window opens",
					ws, now);
		}
		if ((!strcmp(state, "completed") || !strcmp(state, "failed")) &&
		    holds_a_role(policy, member, "review", doc, day))
			item(list, "review", doc, "review the implementation",
				crq_node_get_str(doc, "review_due"), now);
		for (k = 0; tasks && tasks->kind == CRQ_NODE_ARRAY &&
				k < tasks->count; k++) {
			const crq_node *t = tasks->items[k];
			const crq_node *d = crq_node_get(t, "done");
			const char *owner = crq_node_get_str(t, "owner");
			const char *role = crq_node_get_str(t, "role");
			/* theirs, or given to a role they hold */
			int mine = (owner && !strcmp(owner, email)) ||
				(role && crq_policy__has_role(member, role, day));

			if (!mine ||
			    (d && d->kind == CRQ_NODE_BOOL && d->b) ||
			    !open_to(policy, "task-done", doc))
				continue;
			crq_buf_clear(&what);
			crq_buf_printf(&what, "task %zu: %s", k + 1,
				crq_node_get_str(t, "title"));
			item(list, "task", doc, what.ptr,
				crq_node_get_str(t, "due"), now);
		}
		/* SLA clocks at risk or breached on changes they act on:
		 * theirs, the ones they implement, or listed above */
		if ((requester && !strcmp(requester, email)) ||
		    (crq_node_get_str(doc, "implementer") &&
		     !strcmp(crq_node_get_str(doc, "implementer"), email)) ||
		    lists(list, crq_node_get_str(doc, "id"))) {
			crq_node *clocks = crq_sla__clocks(policy, doc, now);

			for (k = 0; k < clocks->count; k++) {
				const crq_node *c = clocks->items[k];
				const char *cs = crq_node_get_str(c, "state");

				if (strcmp(cs, "at-risk") && strcmp(cs, "breached"))
					continue;
				crq_buf_clear(&what);
				crq_buf_printf(&what, "SLA %s %s: %lld%% of %s used",
					crq_node_get_str(c, "target"), cs,
					crq_node_get(c, "percent")->i,
					crq_node_get_str(c, "within"));
				item(list, "sla", doc, what.ptr,
					crq_node_get_str(c, "due"), now);
			}
			crq_node_free(clocks);
		}
		/* their own changes: who each waits for, by name */
		if (requester && !strcmp(requester, email) && met == 0) {
			crq_node *w = crq_node_new(CRQ_NODE_OBJECT);

			crq_node_set(w, "change", crq_node_new_cstr(
				crq_node_get_str(doc, "id")));
			crq_node_set(w, "state", crq_node_new_cstr(state));
			crq_node_set(w, "waits_for", crq_node_new_cstr(miss.ptr));
			crq_node_set(w, "who", who_could(repo, &tip, policy,
				doc, now));
			crq_node_push(waits, w);
		}
		crq_buf_dispose(&miss);
		crq_buf_dispose(&what);
	}
	/* most urgent first, stably (insertion sort: one person's list) */
	{
		crq_node *sorted = crq_node_new(CRQ_NODE_ARRAY);
		size_t *idx = crq__calloc(list->count ? list->count : 1,
			sizeof(*idx));
		long long *key = crq__calloc(list->count ? list->count : 1,
			sizeof(*key));
		size_t a, b;

		for (a = 0; a < list->count; a++) {
			idx[a] = a;
			key[a] = urgency(list->items[a], a);
		}
		for (a = 1; a < list->count; a++)
			for (b = a; b > 0 && key[idx[b - 1]] > key[idx[b]]; b--) {
				size_t tmp = idx[b];

				idx[b] = idx[b - 1];
				idx[b - 1] = tmp;
			}
		for (a = 0; a < list->count; a++)
			crq_node_push(sorted, crq_node_dup(list->items[idx[a]]));
		free(idx);
		free(key);
		crq_node_free(list);
		list = sorted;
	}
	*out = crq_node_new(CRQ_NODE_OBJECT);
	crq_node_set(*out, "member", crq_node_new_cstr(email));
	crq_node_set(*out, "at", crq_node_new_cstr(nowtext));
	crq_node_set(*out, "todo", list);
	crq_node_set(*out, "waiting", waits);
	crq_node_free(docs);
	return 0;
}

int crq_change_needs(crq_node **out, crq_repo *repo, const char *who,
	long long now)
{
	const crq_node *policy, *roles;
	const crq_schema *schema;
	crq_node *docs = NULL, *todo = NULL;
	size_t i;
	int err;

	*out = NULL;
	if ((err = crq_policy__tip(&policy, repo)) < 0 ||
	    (err = crq_repo_change_schema(&schema, repo)) < 0)
		return err;
	if (strchr(who, '@')) {
		/* a member: the approvals the engine would take from them */
		const crq_node *list;

		if ((err = crq_todo(&todo, repo, who, now)) < 0)
			return err;
		*out = crq_node_new(CRQ_NODE_OBJECT);
		list = crq_node_get(todo, "todo");
		for (i = 0; i < list->count; i++)
			if (!strcmp(crq_node_get_str(list->items[i], "kind"),
					"approve"))
				crq_node_set(*out, crq_node_get_str(
					list->items[i], "change"),
					crq_node_new_bool(1));
		crq_node_free(todo);
		return 0;
	}
	roles = crq_node_get(policy, "roles");
	if (!roles || !crq_node_get(roles, who))
		return crq_error__set(CRQ_ENOTFOUND,
			"the policy has no role '%s'", who);
	if ((err = crq_change_list(&docs, repo, NULL, NULL)) < 0)
		return err;
	*out = crq_node_new(CRQ_NODE_OBJECT);
	for (i = 0; i < docs->count; i++) {
		const crq_node *doc = docs->items[i];
		crq_node *miss;

		if (!crq_node_get_str(doc, "state") ||
		    !open_to(policy, "approve", doc))
			continue;
		miss = crq_rules_missing(policy, schema, doc);
		if (crq_node_get(miss, who))
			crq_node_set(*out, crq_node_get_str(doc, "id"),
				crq_node_new_bool(1));
		crq_node_free(miss);
	}
	crq_node_free(docs);
	return 0;
}
