/*
 * raci.c - the RACI matrix of the workflow, derived from the policy
 * alone: it shows what crq enforces and cannot drift from it.
 *
 * Rows: each workflow action as the policy lists it (an action named
 * twice for different types is two rows).  Columns: the policy's roles
 * in policy order.  Letters (a cell combines them, in RACI order):
 *   R  the role is in the action's roles ('*': every role).
 *   A  on an approval action (approval: true): the roles the approval
 *      rules require for the action's types (a rule's when.type; a
 *      rule without one holds for every type but emergency, as the
 *      rule engine has it), and the roles an automation rule's
 *      then.require adds: approvals the rules require as well.
 *   C  consulted: the roles an automation rule gives a task to
 *      (add_task owner_role) or asks approval from (then.require) on
 *      the action that fires it: a step rule's action ('on' names it,
 *      or names a state the action enters); a time rule's effects land
 *      in the escalation step, so on the escalation actions.
 *   I  informed: the role a time rule escalates to (escalate.to, when
 *      it is a role; an e-mail names no column), on the escalation
 *      actions and on the actions that end what the rule watches:
 *        sla-at-risk, sla-breached  the actions that stop the clocks
 *                                   of its SLA targets (when.sla, else
 *                                   all): from a state the clock runs
 *                                   in to one of the target's until
 *        task-overdue               the actions marking a task done
 *        window-starting            the actions leaving scheduled
 *        implementation-late        the actions leaving scheduled and
 *                                   implementing for another state
 *      Notify channels are configured on the sending machine, not
 *      roles: they give no letter.
 * A rule counts only on rows of the change types it can fire for: its
 * when.type, and the types of the actions that fire it.
 *
 * Phase: the action's `phase` when the policy gives one, else
 *   escalation: true                      oversight
 *   approval: true                        authorize
 *   deployments: add                      implement
 *   tasks: add | done | reopen            implement (the policy's
 *                                         tasks are the implementation's
 *                                         phases: design ... verify)
 *   create, edit, submit                  request
 *   assess                                assess
 *   reject                                authorize
 *   schedule                              schedule
 *   start, complete, fail, deploy         implement
 *   review                                review
 *   close, cancel                         close
 *   otherwise by the state it leads to (`to`; without one, its `from`
 *   states when they all agree):
 *     draft, submitted                    request
 *     assessed                            assess
 *     authorized, rejected                authorize
 *     scheduled                           schedule
 *     implementing, completed, failed     implement
 *     reviewed                            review
 *     closed, cancelled                   close
 *   and "other" when nothing tells.
 * Phases come in the order request, assess, authorize, schedule,
 * implement, review, close, then any others alphabetically; actions
 * within a phase in policy order.
 */
#include <assert.h>
#include <stdlib.h>
#include <string.h>
#include "calendar.h"
#include "policy.h"

enum { T_STANDARD = 1, T_NORMAL = 2, T_EMERGENCY = 4, T_ALL = 7 };
enum { M_R = 1, M_A = 2, M_C = 4, M_I = 8 };

static const char *const type_names[] = { "standard", "normal", "emergency" };

static const char *const phase_order[] = {
	"request", "assess", "authorize", "schedule", "implement", "review",
	"close", NULL
};

static const char *const by_name[][2] = {
	{ "create", "request" }, { "edit", "request" },
	{ "submit", "request" }, { "assess", "assess" },
	{ "reject", "authorize" }, { "schedule", "schedule" },
	{ "start", "implement" }, { "complete", "implement" },
	{ "fail", "implement" }, { "deploy", "implement" },
	{ "review", "review" }, { "close", "close" }, { "cancel", "close" },
	{ NULL, NULL }
};

static const char *const by_state[][2] = {
	{ "draft", "request" }, { "submitted", "request" },
	{ "assessed", "assess" }, { "authorized", "authorize" },
	{ "rejected", "authorize" }, { "scheduled", "schedule" },
	{ "implementing", "implement" }, { "completed", "implement" },
	{ "failed", "implement" }, { "reviewed", "review" },
	{ "closed", "close" }, { "cancelled", "close" }, { NULL, NULL }
};

struct matrix {
	const crq_node *policy;
	const crq_node *roles;		/* object: name -> meaning */
	const crq_node *acts;		/* workflow.actions */
	unsigned char *marks;	/* a row an action, a column a role */
};

static const char *lookup(const char *const table[][2], const char *key)
{
	size_t i;

	for (i = 0; key && table[i][0]; i++)
		if (!strcmp(table[i][0], key))
			return table[i][1];
	return NULL;
}

static int flag(const crq_node *a, const char *key)
{
	const crq_node *v = crq_node_get(a, key);

	return v && v->kind == CRQ_NODE_BOOL && v->b;
}

/* The change types a `when` value (a type or a list; none: all)
 * admits, as a mask. */
static unsigned admitted(const crq_node *want)
{
	unsigned mask = 0, t;

	for (t = 0; t < 3; t++)
		if (crq_cal__admits(want, type_names[t]))
			mask |= 1u << t;
	return mask;
}

/* The types an action applies to (no `types`: all). */
static unsigned types_of(const crq_node *a)
{
	const crq_node *types = crq_node_get(a, "types");

	return types ? admitted(types) : T_ALL;
}

static const char *phase_of(const crq_node *a)
{
	const char *p = crq_node_get_str(a, "phase");
	const char *to = crq_node_get_str(a, "to");
	const crq_node *from = crq_node_get(a, "from");
	size_t i;

	if (p && *p)
		return p;
	if (flag(a, "escalation"))
		return "oversight";
	if (flag(a, "approval"))
		return "authorize";
	if (crq_node_get(a, "deployments") || crq_node_get(a, "tasks"))
		return "implement";
	if ((p = lookup(by_name, crq_node_get_str(a, "name"))))
		return p;
	if (to)
		return (p = lookup(by_state, to)) ? p : "other";
	/* the state stays: the states it is taken in, when they agree */
	for (i = 0, p = NULL; from && from->kind == CRQ_NODE_ARRAY &&
			i < from->count; i++) {
		const char *q = from->items[i]->kind == CRQ_NODE_STRING ?
			lookup(by_state, from->items[i]->str) : NULL;

		if (!q || (p && strcmp(p, q)))
			return "other";
		p = q;
	}
	return p ? p : "other";
}

static size_t phase_rank(const char *p)
{
	size_t i;

	for (i = 0; phase_order[i]; i++)
		if (!strcmp(phase_order[i], p))
			return i;
	return i;
}

static int phase_cmp(const void *x, const void *y)
{
	const char *a = *(const char *const *)x, *b = *(const char *const *)y;
	size_t ra = phase_rank(a), rb = phase_rank(b);

	return ra != rb ? (ra < rb ? -1 : 1) : strcmp(a, b);
}

static void mark(struct matrix *m, size_t row, const char *role,
	unsigned what)
{
	size_t n = m->roles->count, j;
	long k;

	if (!role)
		return;
	if (!strcmp(role, "*")) {
		for (j = 0; j < n; j++)
			m->marks[row * n + j] |= (unsigned char)what;
		return;
	}
	if ((k = crq_node_index(m->roles, role)) >= 0)
		m->marks[row * n + (size_t)k] |= (unsigned char)what;
}

/* Mark the roles of a list of {role, count} (a require). */
static void mark_required(struct matrix *m, size_t row,
	const crq_node *req, unsigned what)
{
	size_t j;

	for (j = 0; req && req->kind == CRQ_NODE_ARRAY && j < req->count; j++)
		mark(m, row, crq_node_get_str(req->items[j], "role"), what);
}

/* Does action a bring a change into state (from another one)? */
static int enters(const crq_node *a, const char *state)
{
	const char *to = crq_node_get_str(a, "to");
	const crq_node *from = crq_node_get(a, "from");
	size_t i;

	if (!to || strcmp(to, state))
		return 0;
	for (i = 0; from && from->kind == CRQ_NODE_ARRAY && i < from->count;
			i++)
		if (from->items[i]->kind == CRQ_NODE_STRING &&
		    strcmp(from->items[i]->str, state))
			return 1;
	return 0;
}

/* Is a step of action a what fires a rule on `what` (of kind)? */
static int fires(const crq_node *a, crq_on_kind kind, const char *what)
{
	const char *n = crq_node_get_str(a, "name");

	if (kind == CRQ_ON_ACTION)
		return n && !strcmp(n, what);
	if (kind == CRQ_ON_STATE)
		return enters(a, what);
	return 0;
}

/* Does action a take a change from a state of set (an object used as
 * a set; '*' is no state of it) to a state outside it? */
static int leaves(const crq_node *a, const crq_node *set)
{
	const char *to = crq_node_get_str(a, "to");
	const crq_node *from = crq_node_get(a, "from");
	size_t i;

	if (!to || crq_node_get(set, to))
		return 0;
	for (i = 0; from && from->kind == CRQ_NODE_ARRAY && i < from->count;
			i++)
		if (from->items[i]->kind == CRQ_NODE_STRING &&
		    strcmp(from->items[i]->str, "*") &&
		    crq_node_get(set, from->items[i]->str))
			return 1;
	return 0;
}

/* The states an SLA target's clock runs in, for changes of types:
 * from its `from`, along the actions that lead elsewhere than an
 * `until` state. */
static crq_node *clock_states(const struct matrix *m, const crq_node *target,
	unsigned types)
{
	const crq_node *until = crq_node_get(target, "until");
	const char *from = crq_node_get_str(target, "from");
	crq_node *set = crq_node_new(CRQ_NODE_OBJECT);
	size_t i;
	int grew = 1;

	if (!from)
		return set;
	crq_node_set(set, from, crq_node_new_bool(1));
	while (grew) {
		grew = 0;
		for (i = 0; i < m->acts->count; i++) {
			const crq_node *a = m->acts->items[i];
			const char *to = crq_node_get_str(a, "to");

			if (!(types_of(a) & types) || !to ||
			    crq_node__has(until, to) || !leaves(a, set))
				continue;
			crq_node_set(set, to, crq_node_new_bool(1));
			grew = 1;
		}
	}
	return set;
}

/* Flag in watch[] the actions that end what time rule r (of types)
 * watches. */
static void watched(unsigned char *watch, const struct matrix *m,
	const crq_node *r, unsigned types)
{
	const crq_node *when = crq_node_get(r, "when");
	const char *on = crq_node_get_str(when, "on");
	const crq_node *slas = crq_node_get(m->policy, "sla");
	crq_node *set = crq_node_new(CRQ_NODE_OBJECT);
	size_t i, k;

	if (!strncmp(on, "sla-", 4)) {
		for (k = 0; slas && slas->kind == CRQ_NODE_ARRAY &&
				k < slas->count; k++) {
			const crq_node *t = slas->items[k];
			const char *name = crq_node_get_str(t, "name");
			unsigned st = types &
				admitted(crq_node_path(t, "when.type"));
			crq_node *run;

			if (!name || !st ||
			    !crq_cal__admits(crq_node_get(when, "sla"), name))
				continue;
			run = clock_states(m, t, st);
			for (i = 0; i < m->acts->count; i++)
				if ((types_of(m->acts->items[i]) & st) &&
				    leaves(m->acts->items[i], run))
					watch[i] = 1;
			crq_node_free(run);
		}
		goto done;
	}
	if (!strcmp(on, "task-overdue")) {
		for (i = 0; i < m->acts->count; i++) {
			const char *t = crq_node_get_str(m->acts->items[i],
				"tasks");

			watch[i] = t && !strcmp(t, "done") &&
				(types_of(m->acts->items[i]) & types);
		}
		goto done;
	}
	crq_node_set(set, "scheduled", crq_node_new_bool(1));
	if (!strcmp(on, "implementation-late"))
		crq_node_set(set, "implementing", crq_node_new_bool(1));
	for (i = 0; i < m->acts->count; i++)
		watch[i] = (types_of(m->acts->items[i]) & types) &&
			leaves(m->acts->items[i], set);
done:
	crq_node_free(set);
}

static void approval_rules(struct matrix *m)
{
	const crq_node *rules = crq_node_get(m->policy, "approval_rules");
	size_t i, k;

	for (i = 0; i < m->acts->count; i++) {
		const crq_node *a = m->acts->items[i];

		if (!flag(a, "approval"))
			continue;
		for (k = 0; rules && rules->kind == CRQ_NODE_ARRAY &&
				k < rules->count; k++) {
			const crq_node *r = rules->items[k];
			const crq_node *wt = crq_node_path(r, "when.type");
			/* emergency changes follow their own rule, not the
			 * risk ones (lib/rules.c) */
			unsigned t = wt ? admitted(wt) : T_ALL & ~T_EMERGENCY;

			if (types_of(a) & t)
				mark_required(m, i, crq_node_get(r, "require"),
					M_A);
		}
	}
}

static void automation_rule(struct matrix *m, const crq_node *r,
	unsigned char *watch)
{
	const crq_node *when = crq_node_get(r, "when");
	const crq_node *then = crq_node_get(r, "then");
	const crq_node *req = crq_node_get(then, "require");
	const char *owner = crq_node_get_str(crq_node_get(then, "add_task"),
		"owner_role");
	const char *to = crq_node_get_str(crq_node_get(then, "escalate"),
		"to");
	const char *what;
	crq_on_kind kind = crq_policy__on(m->policy,
		crq_node_get_str(when, "on"), &what);
	unsigned types = admitted(crq_node_get(when, "type")), fired = 0;
	size_t i;

	if (kind == CRQ_ON_NONE)
		return;
	/* the types of the changes that can take the steps firing it */
	for (i = 0; i < m->acts->count; i++)
		if (kind == CRQ_ON_TIME || fires(m->acts->items[i], kind, what))
			fired |= types_of(m->acts->items[i]);
	if (!(types &= fired))
		return;
	memset(watch, 0, m->acts->count);
	if (kind == CRQ_ON_TIME && to)
		watched(watch, m, r, types);
	for (i = 0; i < m->acts->count; i++) {
		const crq_node *a = m->acts->items[i];
		int approval = flag(a, "approval");
		int fire = kind == CRQ_ON_TIME ? flag(a, "escalation") :
			fires(a, kind, what);

		if (!(types_of(a) & types))
			continue;
		if (approval)
			mark_required(m, i, req, M_A);
		if (fire) {
			if (!approval)
				mark_required(m, i, req, M_C);
			mark(m, i, owner, M_C);
		}
		if (kind == CRQ_ON_TIME && to && (fire || watch[i]))
			mark(m, i, to, M_I);
	}
}

static crq_node *cells_of(const struct matrix *m, size_t row)
{
	crq_node *cells = crq_node_new(CRQ_NODE_OBJECT);
	size_t n = m->roles->count, j;

	for (j = 0; j < n; j++) {
		unsigned v = m->marks[row * n + j];
		char s[5];
		size_t k = 0;

		if (v & M_R)
			s[k++] = 'R';
		if (v & M_A)
			s[k++] = 'A';
		if (v & M_C)
			s[k++] = 'C';
		if (v & M_I)
			s[k++] = 'I';
		s[k] = '\0';
		crq_node_set(cells, m->roles->keys[j], crq_node_new_cstr(s));
	}
	return cells;
}

static crq_node *row_of(const struct matrix *m, size_t row)
{
	const crq_node *a = m->acts->items[row];
	const crq_node *types = crq_node_get(a, "types");
	const crq_node *from = crq_node_get(a, "from");
	const char *to = crq_node_get_str(a, "to");
	crq_node *o = crq_node_new(CRQ_NODE_OBJECT);

	crq_node_set(o, "action", crq_node_new_cstr(
		crq_node_get_str(a, "name")));
	crq_node_set(o, "types", types ? crq_node_dup(types) :
		crq_node_new(CRQ_NODE_NULL));
	crq_node_set(o, "from", from ? crq_node_dup(from) :
		crq_node_new(CRQ_NODE_ARRAY));
	crq_node_set(o, "to", to ? crq_node_new_cstr(to) :
		crq_node_new(CRQ_NODE_NULL));
	crq_node_set(o, "cells", cells_of(m, row));
	return o;
}

int crq_raci(crq_node **out, const crq_node *policy)
{
	struct matrix m = { policy, NULL, NULL, NULL };
	const crq_node *rules = crq_node_get(policy, "rules");
	const char **phases = NULL;
	unsigned char *watch = NULL;
	crq_node *o = NULL, *list, *ph;
	size_t i, k, n = 0;
	int err = 0;

	assert(out);
	*out = NULL;
	m.roles = crq_node_get(policy, "roles");
	m.acts = crq_node_path(policy, "workflow.actions");
	if (!m.roles || m.roles->kind != CRQ_NODE_OBJECT || !m.acts ||
	    m.acts->kind != CRQ_NODE_ARRAY) {
		err = crq_error__set(CRQ_EINVALID,
			"the policy has no roles or no workflow.actions");
		goto done;
	}
	for (i = 0; i < m.acts->count; i++)
		if (m.acts->items[i]->kind != CRQ_NODE_OBJECT ||
		    !crq_node_get_str(m.acts->items[i], "name")) {
			err = crq_error__set(CRQ_EINVALID,
				"workflow action %zu has no name", i + 1);
			goto done;
		}
	m.marks = crq__calloc(m.acts->count * m.roles->count + 1, 1);
	watch = crq__calloc(m.acts->count + 1, 1);
	phases = crq__calloc(m.acts->count + 1, sizeof(*phases));

	for (i = 0; i < m.acts->count; i++) {
		const crq_node *roles = crq_node_get(m.acts->items[i], "roles");

		for (k = 0; roles && roles->kind == CRQ_NODE_ARRAY &&
				k < roles->count; k++)
			if (roles->items[k]->kind == CRQ_NODE_STRING)
				mark(&m, i, roles->items[k]->str, M_R);
	}
	approval_rules(&m);
	for (i = 0; rules && rules->kind == CRQ_NODE_ARRAY &&
			i < rules->count; i++)
		automation_rule(&m, rules->items[i], watch);

	/* the distinct phases, in order */
	for (i = 0; i < m.acts->count; i++) {
		const char *p = phase_of(m.acts->items[i]);

		for (k = 0; k < n && strcmp(phases[k], p); k++)
			;
		if (k == n)
			phases[n++] = p;
	}
	crq__sort(phases, n, sizeof(*phases), phase_cmp);

	o = crq_node_new(CRQ_NODE_OBJECT);
	list = crq_node_new(CRQ_NODE_ARRAY);
	for (k = 0; k < m.roles->count; k++)
		crq_node_push(list, crq_node_new_cstr(m.roles->keys[k]));
	crq_node_set(o, "roles", list);
	list = crq_node_new(CRQ_NODE_ARRAY);
	for (k = 0; k < n; k++) {
		crq_node *rows = crq_node_new(CRQ_NODE_ARRAY);

		ph = crq_node_new(CRQ_NODE_OBJECT);
		crq_node_set(ph, "phase", crq_node_new_cstr(phases[k]));
		for (i = 0; i < m.acts->count; i++)
			if (!strcmp(phase_of(m.acts->items[i]), phases[k]))
				crq_node_push(rows, row_of(&m, i));
		crq_node_set(ph, "actions", rows);
		crq_node_push(list, ph);
	}
	crq_node_set(o, "phases", list);
	*out = o;
done:
	free(m.marks);
	free(watch);
	free(phases);
	return err;
}
