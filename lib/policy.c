/*
 * policy.c - the policy file: parsing with the rules a schema cannot
 * state, and policy changes (members, roles), each a commit by an admin
 * of the policy it replaces.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cache.h"
#include "calendar.h"
#include "doc.h"
#include "nodebin.h"
#include "policy.h"

#define POLICY_PATH ".crq/policy.yaml"

/* "type base64" of a key line, for comparing keys whatever comment. */
static void key_id(char *out, size_t n, const char *line)
{
	size_t a = strcspn(line, " "), b;

	b = line[a] ? strcspn(line + a + 1, " ") : 0;
	snprintf(out, n, "%.*s", (int)(a + (line[a] ? 1 + b : 0)), line);
}

const char *crq_policy__grant_role(const crq_node *g)
{
	return g->kind == CRQ_NODE_STRING ? g->str : crq_node_get_str(g, "role");
}

/* ---- queries shared by the workflow and verify ---- */

int crq_policy__in_list(const crq_node *arr, const char *s)
{
	size_t i;

	if (!arr || arr->kind != CRQ_NODE_ARRAY)
		return 0;
	for (i = 0; i < arr->count; i++) {
		const crq_node *n = arr->items[i];

		if (n->kind == CRQ_NODE_STRING &&
		    (!strcmp(n->str, "*") || !strcmp(n->str, s)))
			return 1;
	}
	return 0;
}

int crq_policy__has_role(const crq_node *member, const char *role,
	const char *day)
{
	const crq_node *roles = crq_node_get(member, "roles");
	size_t i;

	if (!strcmp(role, "*"))
		return 1;
	for (i = 0; roles && roles->kind == CRQ_NODE_ARRAY &&
			i < roles->count; i++) {
		const crq_node *g = roles->items[i];
		const char *name = crq_policy__grant_role(g);
		const char *until = g->kind == CRQ_NODE_OBJECT ?
			crq_node_get_str(g, "until") : NULL;

		if (name && !strcmp(name, role) &&
		    (!until || strcmp(day, until) <= 0))
			return 1;
	}
	return 0;
}

const crq_node *crq_policy__member(const crq_node *policy, const char *email)
{
	const crq_node *members = crq_node_get(policy, "members");
	long i = crq_node__find(members, "email", email);

	return i < 0 ? NULL : members->items[i];
}

int crq_policy__key_is(const char *line, const char *key)
{
	size_t n = strlen(key);

	return !strncmp(line, key, n) && (!line[n] || line[n] == ' ');
}

const crq_node *crq_policy__key_owner(const crq_node *policy,
	const char *key)
{
	const crq_node *members = crq_node_get(policy, "members");
	size_t i, j;

	for (i = 0; members && i < members->count; i++) {
		const crq_node *keys = crq_node_get(members->items[i], "keys");

		for (j = 0; keys && j < keys->count; j++)
			if (crq_policy__key_is(keys->items[j]->str, key))
				return members->items[i];
	}
	return NULL;
}

const crq_node *crq_policy__action(const crq_node *policy, const char *name,
	const char *type, const char *state, int *named)
{
	const crq_node *acts = crq_node_path(policy, "workflow.actions");
	const crq_node *typed = NULL;
	size_t i;

	*named = 0;
	for (i = 0; acts && acts->kind == CRQ_NODE_ARRAY && i < acts->count;
			i++) {
		const crq_node *a = acts->items[i];
		const char *n = crq_node_get_str(a, "name");
		const crq_node *types = crq_node_get(a, "types");

		if (!n || strcmp(n, name))
			continue;
		*named = 1;
		if (types && !crq_policy__in_list(types, type))
			continue;
		if (!typed)
			typed = a;
		if (!state || crq_policy__in_list(crq_node_get(a, "from"),
				state))
			return a;
	}
	return typed;
}

const crq_node *crq_policy__by_handle(const crq_node *policy,
	const char *forge, const char *login)
{
	const crq_node *members = crq_node_get(policy, "members");
	size_t i;

	for (i = 0; members && i < members->count; i++) {
		const crq_node *h = crq_node_get(members->items[i], "handles");
		const char *v = h ? crq_node_get_str(h, forge) : NULL;

		if (v && !strcmp(v, login))
			return members->items[i];
	}
	return NULL;
}

static void check_role(crq_issues *issues, const crq_node *roles,
	const crq_node *at, const char *ptr, const char *role)
{
	if (strcmp(role, "*") && !crq_node_get(roles, role))
		crq_issues_add(issues, at, ptr,
			"role '%s' is not defined under roles", role);
}

/* ---- what crq derives ---- */

/* Fields only crq writes: on creation or by the rules of an action. */
static const char *const derived_fields[] = {
	"id", "state", "requester", "created", "updated", "priority",
	"approvals", "review_due", "template", "entered",
	"extra_approvals", "escalations", NULL
};

int crq_policy__derived(const char *field)
{
	size_t i;

	for (i = 0; derived_fields[i]; i++)
		if (!strcmp(field, derived_fields[i]))
			return 1;
	return 0;
}

/* ---- automation rules: what `on` names ---- */

static const char *const time_ons[] = {
	"sla-at-risk", "sla-breached", "task-overdue", "window-starting",
	"implementation-late", NULL
};

int crq_policy__time_on(const char *on)
{
	size_t i;

	for (i = 0; on && time_ons[i]; i++)
		if (!strcmp(on, time_ons[i]))
			return 1;
	return 0;
}

static int is_action(const crq_node *policy, const char *name)
{
	const crq_node *acts = crq_node_path(policy, "workflow.actions");
	size_t i;

	for (i = 0; acts && acts->kind == CRQ_NODE_ARRAY && i < acts->count;
			i++) {
		const char *n = crq_node_get_str(acts->items[i], "name");

		if (n && !strcmp(n, name))
			return 1;
	}
	return 0;
}

/* A state some action leads to or starts from (the states a policy
 * uses). */
static int is_state(const crq_node *policy, const char *name)
{
	const crq_node *acts = crq_node_path(policy, "workflow.actions");
	size_t i;

	if (!strcmp(name, "draft"))
		return 1;
	for (i = 0; acts && acts->kind == CRQ_NODE_ARRAY && i < acts->count;
			i++) {
		const char *to = crq_node_get_str(acts->items[i], "to");
		const crq_node *from = crq_node_get(acts->items[i], "from");
		size_t j;

		if (to && !strcmp(to, name))
			return 1;
		for (j = 0; from && from->kind == CRQ_NODE_ARRAY &&
				j < from->count; j++)
			if (from->items[j]->kind == CRQ_NODE_STRING &&
			    !strcmp(from->items[j]->str, name))
				return 1;
	}
	return 0;
}

crq_on_kind crq_policy__on(const crq_node *policy, const char *on,
	const char **name)
{
	int a, s;

	*name = on;
	if (!on)
		return CRQ_ON_NONE;
	if (crq_policy__time_on(on))
		return CRQ_ON_TIME;
	if (!strncmp(on, "action:", 7)) {
		*name = on + 7;
		return is_action(policy, *name) ? CRQ_ON_ACTION : CRQ_ON_NONE;
	}
	if (!strncmp(on, "state:", 6)) {
		*name = on + 6;
		return is_state(policy, *name) ? CRQ_ON_STATE : CRQ_ON_NONE;
	}
	a = is_action(policy, on);
	s = is_state(policy, on);
	if (a && s)
		return CRQ_ON_NONE;
	return a ? CRQ_ON_ACTION : s ? CRQ_ON_STATE : CRQ_ON_NONE;
}

int crq_policy__unsettable(const char *field)
{
	static const char *const read[] = {
		"type", "risk", "impact", "urgency", "priority", "services",
		"tasks", "window", "deployments", "escalations",
		"extra_approvals", "implementer", NULL
	};
	size_t i;

	if (crq_policy__derived(field))
		return 1;
	for (i = 0; read[i]; i++)
		if (!strcmp(field, read[i]))
			return 1;
	return 0;
}

/* Automation rules: unique names, an `on` the policy knows, what only
 * a time condition takes, roles and members that exist, fields a rule
 * may set, and requirements that come before the approvals. */
static void check_automation(const crq_node *doc, crq_issues *issues)
{
	const crq_node *rules = crq_node_get(doc, "rules");
	const crq_node *roles = crq_node_get(doc, "roles");
	const crq_node *settable = crq_node_get(doc, "rule_settable");
	const crq_node *acts = crq_node_path(doc, "workflow.actions");
	crq_node *names = crq_node_new(CRQ_NODE_OBJECT);
	char ptr[64];
	size_t i, j;

	for (i = 0; settable && settable->kind == CRQ_NODE_ARRAY &&
			i < settable->count; i++)
		if (settable->items[i]->kind == CRQ_NODE_STRING &&
		    crq_policy__unsettable(settable->items[i]->str))
			crq_issues_add(issues, settable->items[i],
				"/rule_settable",
				"rule_settable may not name '%s': crq derives it, or rules and clocks read it",
				settable->items[i]->str);
	for (i = 0; rules && rules->kind == CRQ_NODE_ARRAY && i < rules->count;
			i++) {
		const crq_node *r = rules->items[i];
		const char *name = crq_node_get_str(r, "name");
		const crq_node *when = crq_node_get(r, "when");
		const crq_node *then = crq_node_get(r, "then");
		const char *on = crq_node_get_str(when, "on"), *what;
		const crq_node *req = crq_node_get(then, "require");
		const crq_node *task = crq_node_get(then, "add_task");
		const crq_node *set = crq_node_get(then, "set");
		const char *to = crq_node_path(then, "escalate.to") ?
			crq_node_path(then, "escalate.to")->str : NULL;
		crq_on_kind kind = crq_policy__on(doc, on, &what);

		snprintf(ptr, sizeof(ptr), "/rules/%zu", i);
		if (!name || !on)
			continue;
		if (crq_node_get(names, name))
			crq_issues_add(issues, crq_node_get(r, "name"), ptr,
				"rule '%s' is named twice", name);
		crq_node_set(names, name, crq_node_new_bool(1));
		if (kind == CRQ_ON_NONE && !strchr(on, ':') &&
		    is_action(doc, on) && is_state(doc, on))
			crq_issues_add(issues, crq_node_get(when, "on"), ptr,
				"rule '%s' is on '%s', an action and a state alike: write action:%s or state:%s",
				name, on, on, on);
		else if (kind == CRQ_ON_NONE)
			crq_issues_add(issues, crq_node_get(when, "on"), ptr,
				"rule '%s' is on '%s', which names no action, state or time condition of this policy",
				name, on);
		if (crq_node_get(when, "sla") && (!on || strncmp(on, "sla-", 4)))
			crq_issues_add(issues, crq_node_get(when, "sla"), ptr,
				"rule '%s': when.sla is for sla-at-risk and sla-breached",
				name);
		if (crq_node_get(when, "after") && strcmp(on, "task-overdue") &&
		    strcmp(on, "implementation-late"))
			crq_issues_add(issues, crq_node_get(when, "after"), ptr,
				"rule '%s': when.after is for task-overdue and implementation-late",
				name);
		if (crq_node_get(when, "before") && strcmp(on, "window-starting"))
			crq_issues_add(issues, crq_node_get(when, "before"), ptr,
				"rule '%s': when.before is for window-starting",
				name);
		if (to && kind != CRQ_ON_TIME)
			crq_issues_add(issues, crq_node_get(then, "escalate"), ptr,
				"rule '%s': escalate is for a time condition (crq escalate records it); a step notifies instead",
				name);
		if (to && !strchr(to, '@') && !crq_node_get(roles, to))
			crq_issues_add(issues, crq_node_get(then, "escalate"), ptr,
				"rule '%s' escalates to '%s', which is no role of the policy",
				name, to);
		if (to && strchr(to, '@') && !crq_policy__member(doc, to))
			crq_issues_add(issues, crq_node_get(then, "escalate"), ptr,
				"rule '%s' escalates to '%s', who is not a member",
				name, to);
		for (j = 0; req && req->kind == CRQ_NODE_ARRAY &&
				j < req->count; j++) {
			const char *role = crq_node_get_str(req->items[j],
				"role");

			if (role && !crq_node_get(roles, role))
				crq_issues_add(issues, req->items[j], ptr,
					"rule '%s' requires role '%s', which the policy does not define",
					name, role);
		}
		/* a requirement must stand before the approvals it adds to */
		if (req && kind != CRQ_ON_TIME) {
			for (j = 0; acts && acts->kind == CRQ_NODE_ARRAY &&
					j < acts->count; j++) {
				const crq_node *a = acts->items[j];
				const crq_node *ap = crq_node_get(a, "approval");
				const char *an = crq_node_get_str(a, "name");
				const char *at = crq_node_get_str(a, "to");
				int approval = (ap && ap->kind == CRQ_NODE_BOOL &&
					ap->b) || (an && !strcmp(an, "reject"));

				if (approval && ((kind == CRQ_ON_ACTION && an &&
						!strcmp(an, what)) ||
				    (kind == CRQ_ON_STATE && at &&
						!strcmp(at, what)))) {
					crq_issues_add(issues, req, ptr,
						"rule '%s' requires approvals on '%s', which a decision takes or reaches: the requirement would come too late",
						name, on);
					break;
				}
			}
		}
		if (task && crq_node_get_str(task, "owner_role") &&
		    !crq_node_get(roles, crq_node_get_str(task, "owner_role")))
			crq_issues_add(issues, task, ptr,
				"rule '%s' gives a task to role '%s', which the policy does not define",
				name, crq_node_get_str(task, "owner_role"));
		if (task && crq_node_get_str(task, "owner") &&
		    !crq_policy__member(doc, crq_node_get_str(task, "owner")))
			crq_issues_add(issues, task, ptr,
				"rule '%s' gives a task to '%s', who is not a member",
				name, crq_node_get_str(task, "owner"));
		/* what a rule writes into changes is text like any other */
		if (then && crq_node__control_char(then))
			crq_issues_add(issues, then, ptr,
				"rule '%s' writes a control character (U+%04X): it would reach other members' terminals",
				name, crq_node__control_char(then));
		if (task && crq_node_get_str(task, "due_in") &&
		    crq_cal__duration(crq_node_get_str(task, "due_in")) >
			3650LL * 86400)
			crq_issues_add(issues, task, ptr,
				"rule '%s' gives its task %s: more than ten years",
				name, crq_node_get_str(task, "due_in"));
		for (j = 0; set && set->kind == CRQ_NODE_OBJECT &&
				j < set->count; j++)
			if (!crq_policy__in_list(settable, set->keys[j]) ||
			    crq_policy__unsettable(set->keys[j]))
				crq_issues_add(issues, set->items[j], ptr,
					"rule '%s' sets '%s', which rule_settable does not list",
					name, set->keys[j]);
	}
	crq_node_free(names);
}

/* The rules a JSON schema cannot state. */
static void semantic_checks(const crq_node *doc, crq_issues *issues)
{
	const crq_node *members = crq_node_get(doc, "members");
	const crq_node *roles = crq_node_get(doc, "roles");
	const crq_node *acts = crq_node_path(doc, "workflow.actions");
	const crq_node *rules = crq_node_get(doc, "approval_rules");
	crq_node *emails = crq_node_new(CRQ_NODE_OBJECT);
	crq_node *keys = crq_node_new(CRQ_NODE_OBJECT);
	char kid[1024], ptr[128];
	size_t i, j;
	int admins = 0;

	for (i = 0; members && i < members->count; i++) {
		const crq_node *m = members->items[i];
		const char *email = crq_node_get_str(m, "email");
		const crq_node *g = crq_node_get(m, "roles");
		const crq_node *k = crq_node_get(m, "keys");

		snprintf(ptr, sizeof(ptr), "/members/%zu", i);
		if (email && crq_node_get(emails, email))
			crq_issues_add(issues, crq_node_get(m, "email"), ptr,
				"member '%s' is listed twice", email);
		else if (email)
			crq_node_set(emails, email, crq_node_new_bool(1));
		for (j = 0; g && j < g->count; j++) {
			const char *r = crq_policy__grant_role(g->items[j]);

			if (!r)
				continue;
			check_role(issues, roles, g->items[j], ptr, r);
			if (!strcmp(r, "admin"))
				admins++;
		}
		for (j = 0; k && j < k->count; j++) {
			const crq_node *owner;

			key_id(kid, sizeof(kid), k->items[j]->str);
			/* what verify accepts is what a policy may hold */
			if (strncmp(kid, "ssh-ed25519 ", 12))
				crq_issues_add(issues, k->items[j], ptr,
					"key of '%s' is not an ssh-ed25519 key: crq steps are signed with ed25519",
					email ? email : "?");
			owner = crq_node_get(keys, kid);
			if (owner)
				crq_issues_add(issues, k->items[j], ptr,
					"key of '%s' already belongs to '%s': one key, one member",
					email ? email : "?", owner->str);
			else
				crq_node_set(keys, kid,
					crq_node_new_cstr(email ? email : "?"));
		}
	}
	if (members && members->count && !admins)
		crq_issues_add(issues, members, "/members",
			"no member holds the admin role: nobody could change the policy");
	{
		const crq_node *t = crq_node_get(doc, "admin_threshold");

		if (t && t->kind == CRQ_NODE_INT && members &&
		    members->count && t->i > admins)
			crq_issues_add(issues, t, "/admin_threshold",
				"admin_threshold is %lld but only %d member%s hold%s the admin role: nobody could change the policy",
				t->i, admins, admins == 1 ? "" : "s",
				admins == 1 ? "s" : "");
	}
	for (i = 0; acts && i < acts->count; i++) {
		const crq_node *r = crq_node_get(acts->items[i], "roles");

		snprintf(ptr, sizeof(ptr), "/workflow/actions/%zu", i);
		for (j = 0; r && j < r->count; j++)
			check_role(issues, roles, r->items[j], ptr,
				r->items[j]->str);
	}
	for (i = 0; rules && i < rules->count; i++) {
		const crq_node *req = crq_node_get(rules->items[i], "require");

		snprintf(ptr, sizeof(ptr), "/approval_rules/%zu", i);
		for (j = 0; req && j < req->count; j++) {
			const char *r = crq_node_get_str(req->items[j], "role");

			if (r)
				check_role(issues, roles, req->items[j], ptr, r);
		}
	}
	{
		const crq_node *cat = crq_node_get(doc, "services");

		for (i = 0; cat && cat->kind == CRQ_NODE_ARRAY &&
				i < cat->count; i++) {
			const char *o = crq_node_get_str(cat->items[i], "owner");

			snprintf(ptr, sizeof(ptr), "/services/%zu", i);
			if (o && members && members->count &&
			    !crq_node_get(emails, o))
				crq_issues_add(issues, crq_node_get(cat->items[i],
					"owner"), ptr,
					"the owner of service '%s' must be a member: '%s' is not",
					crq_node_get_str(cat->items[i], "name"), o);
		}
	}
	crq_cal__check_policy(doc, issues);
	check_automation(doc, issues);
	crq_node_free(emails);
	crq_node_free(keys);
}

/* A policy refused only because this machine cannot load libical to
 * check its time zones fails with CRQ_EREPO, not CRQ_EINVALID: its
 * bytes were not judged, and verify must not call it a violation. */
static int zone_error(int err, unsigned before)
{
	char *msg;

	if (err < 0 && crq_cal__zone_failures() != before) {
		msg = crq__strdup(crq_error_last());
		err = crq_error__set(CRQ_EREPO, "%s", msg);
		free(msg);
	}
	return err;
}

int crq_policy__parse(crq_node **out, const crq_schema *schema,
	const char *text, size_t len, const char *name, crq_issues *issues)
{
	unsigned before = crq_cal__zone_failures();

	return zone_error(crq_doc__parse(out, schema, text, len, name,
		issues, 1, semantic_checks), before);
}

/*
 * ---- the tip's policy, through the cache ----
 *
 * Every command reads the policy of the tip, and parsing it (YAML,
 * typing and validating by the policy schema, whose own parse and
 * compile are most of the cost, then semantic_checks) costs a small
 * command more than its own work.  So a policy that passed is kept in
 * the cache (DESIGN §9) under its blob id, as its tree (lib/nodebin.c)
 * after the id of the bytes of the policy schema that validated it.  The
 * outcome of the parse is a function of the blob, that schema and this
 * build's code (the table's name carries the build), with one
 * exception: whether a time zone is known is this machine's libical's
 * answer, so a hit runs the zone checks again, and a policy naming a
 * zone libical does not know (or a libical that does not load) fails
 * as its parse would.  Only a policy that passed is kept: one that
 * fails is parsed again, and gives its error, every time.  A value of
 * another schema or that does not decode is a miss, replaced by the
 * parse; writing is best effort.
 */
static crq_table *policy_table(crq_repo *repo)
{
	char name[64];

	snprintf(name, sizeof(name), "policy-v1-%016llx",
		crq_nodebin__build_stamp());
	return crq_cache__open(repo, name);
}

/* The tree of blob from the cache, or NULL. */
static crq_node *cached_policy(crq_repo *repo, const git_oid *blob)
{
	crq_table *t;
	crq_node *doc = NULL;
	const unsigned char *v;
	git_oid sid;
	size_t len;

	if (git_oid_is_zero(blob) || !(t = policy_table(repo)))
		return NULL;
	if (crq_store__policy_schema_id(&sid, repo) == 0 &&
	    (v = crq_cache__get(t, blob, &len)) && len >= GIT_OID_RAWSZ &&
	    !memcmp(v, sid.id, GIT_OID_RAWSZ) &&
	    crq_nodebin__decode(&doc, v + GIT_OID_RAWSZ,
			len - GIT_OID_RAWSZ) == 0 &&
	    doc->kind != CRQ_NODE_OBJECT) {
		crq_node_free(doc);
		doc = NULL;
	}
	crq_error_clear();
	crq_cache__close(t);
	return doc;
}

static void keep_policy(crq_repo *repo, const git_oid *blob,
	const crq_node *doc)
{
	crq_buf v = CRQ_BUF_INIT;
	crq_table *t;
	git_oid sid;

	if (git_oid_is_zero(blob) || !(t = policy_table(repo)))
		return;
	/* the schema that validated doc is loaded: its id is of its bytes */
	if (crq_store__policy_schema_id(&sid, repo) == 0) {
		crq_buf_put(&v, (const char *)sid.id, GIT_OID_RAWSZ);
		if (crq_nodebin__encode(&v, doc) == 0) {
			crq_cache__put(t, blob, v.ptr, v.size);
			crq_cache__flush(t);
		}
	}
	crq_error_clear();
	crq_cache__close(t);
	crq_buf_dispose(&v);
}

int crq_policy__tip(const crq_node **out, crq_repo *repo)
{
	crq_buf text = CRQ_BUF_INIT;
	crq_issues issues;
	const crq_schema *schema;
	crq_node *doc = NULL, *n;
	git_oid tip;
	int err, unborn;

	crq_issues_init(&issues);
	if (repo->policy) {
		*out = repo->policy;
		return 0;
	}
	if ((err = crq_store__tip(repo, &tip, &unborn)) < 0)
		goto done;
	if (unborn) {
		err = CRQ_ENOTFOUND;
	} else {
		git_oid blob;

		crq_store__blob_at(&blob, repo, &tip, POLICY_PATH);
		if ((doc = cached_policy(repo, &blob))) {
			unsigned before = crq_cal__zone_failures();

			git_oid_cpy(&repo->policy_blob, &blob);
			crq_cal__check_policy(doc, &issues);
			if (issues.count) {
				/* as the parse would (crq_policy__parse) */
				err = zone_error(crq_doc__issues_error(&issues,
					POLICY_PATH), before);
				goto done;
			}
			goto parsed;
		}
		err = crq_store__read(repo, &tip, POLICY_PATH, &text,
			&repo->policy_blob);
	}
	if (err < 0) {
		if (err == CRQ_ENOTFOUND) {
			/* a clone left on the remote's default branch, with
			 * the store on another one */
			git_reference_iterator *it = NULL;
			git_reference *ref = NULL;
			crq_buf there = CRQ_BUF_INIT;

			if (git_reference_iterator_glob_new(&it, repo->git,
					"refs/remotes/*") == 0) {
				while (!there.size &&
				       git_reference_next(&ref, it) == 0) {
					const git_oid *o = git_reference_target(ref);
					git_oid blob;

					if (o && git_reference_type(ref) ==
					    GIT_REFERENCE_DIRECT) {
						crq_store__blob_at(&blob, repo, o,
							POLICY_PATH);
						if (!git_oid_is_zero(&blob))
							crq_buf_puts(&there,
								git_reference_shorthand(ref));
					}
					git_reference_free(ref);
				}
				git_reference_iterator_free(it);
			}
			if (there.size && strchr(there.ptr, '/'))
				err = crq_error__set(CRQ_EREPO,
					"not a crq store: branch '%s' has no %s\n"
					"hint: the store is on %s: git checkout %s",
					crq_store__branch_name(repo), POLICY_PATH, there.ptr,
					strchr(there.ptr, '/') + 1);
			else
				err = crq_error__set(CRQ_EREPO,
					"not a crq store: branch '%s' has no %s; run 'crq init'",
					crq_store__branch_name(repo), POLICY_PATH);
			crq_buf_dispose(&there);
		}
		goto done;
	}
	if ((err = crq_store__policy_schema(&schema, repo)) < 0 ||
	    (err = crq_policy__parse(&doc, schema, text.ptr, text.size,
			POLICY_PATH, &issues)) < 0)
		goto done;
	keep_policy(repo, &repo->policy_blob, doc);
parsed:
	n = crq_node_path(doc, "store.prefix");
	if (n && n->kind == CRQ_NODE_STRING)
		snprintf(repo->prefix, sizeof(repo->prefix), "%s", n->str);
	n = crq_node_path(doc, "store.shard_size");
	if (n && n->kind == CRQ_NODE_INT)
		repo->shard_size = (unsigned long)n->i;
	repo->policy = doc;
	git_oid_cpy(&repo->policy_commit, &tip);
	doc = NULL;
	*out = repo->policy;
done:
	crq_issues_dispose(&issues);
	crq_node_free(doc);
	crq_buf_dispose(&text);
	return err;
}

int crq_policy_get(const crq_node **out, crq_repo *repo)
{
	return crq_policy__tip(out, repo);
}

int crq_policy_allowed_signers(crq_buf *out, crq_repo *repo)
{
	const crq_node *policy, *members;
	char kid[1024];
	size_t i, j;
	int err;

	if ((err = crq_policy__tip(&policy, repo)) < 0)
		return err;
	members = crq_node_get(policy, "members");
	for (i = 0; members && i < members->count; i++) {
		const crq_node *m = members->items[i];
		const crq_node *k = crq_node_get(m, "keys");

		for (j = 0; k && j < k->count; j++) {
			key_id(kid, sizeof(kid), k->items[j]->str);
			crq_buf_printf(out, "%s namespaces=\"git\" %s\n",
				crq_node_get_str(m, "email"), kid);
		}
	}
	return 0;
}
