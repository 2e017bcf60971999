/*
 * policy.c - the policy file: parsing with the rules a schema cannot
 * state, and policy changes (members, roles), each a commit by an admin
 * of the policy it replaces.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "change.h"

#define POLICY_PATH ".crq/policy.yaml"

/* "type base64" of a key line, for comparing keys whatever comment. */
static void key_id(char *out, size_t n, const char *line)
{
	size_t a = strcspn(line, " "), b;

	b = line[a] ? strcspn(line + a + 1, " ") : 0;
	snprintf(out, n, "%.*s", (int)(a + (line[a] ? 1 + b : 0)), line);
}

/* Grants of a member as role names (grant strings or {role, until}). */
static const char *grant_role(const crq_node *g)
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
		const char *name = grant_role(g);
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

static void check_role(crq_issues *issues, const crq_node *roles,
	const crq_node *at, const char *ptr, const char *role)
{
	if (strcmp(role, "*") && !crq_node_get(roles, role))
		crq_issues_add(issues, at, ptr,
			"role '%s' is not defined under roles", role);
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
			const char *r = grant_role(g->items[j]);

			if (!r)
				continue;
			check_role(issues, roles, g->items[j], ptr, r);
			if (!strcmp(r, "admin"))
				admins++;
		}
		for (j = 0; k && j < k->count; j++) {
			const crq_node *owner;

			key_id(kid, sizeof(kid), k->items[j]->str);
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
	crq_node_free(emails);
	crq_node_free(keys);
}

int crq_policy__parse(crq_node **out, const crq_schema *schema,
	const char *text, size_t len, const char *name, crq_issues *issues)
{
	return crq_change__parse_typed(out, schema, text, len, name, issues,
		1, semantic_checks);
}

int crq_policy_get(const crq_node **out, crq_repo *repo)
{
	return crq_store__policy(out, repo);
}

/* ---- policy changes ---- */

typedef int (*policy_edit_fn)(crq_node *policy, void *payload);

/* The leading comment block of the policy file survives rewrites; the
 * rest is written in the canonical layout. */
static void header_of(crq_buf *out, const char *text)
{
	const char *p = text;

	while (*p == '#') {
		const char *nl = strchr(p, '\n');

		p = nl ? nl + 1 : p + strlen(p);
	}
	crq_buf_put(out, text, (size_t)(p - text));
}

enum policy_mode { EDIT, APPROVE, WITHDRAW };

/* The policy to write for mode, and the commit's title. */
static int next_policy(crq_node **out, crq_buf *title, const crq_node *cur,
	const crq_schema *schema, const char *what, policy_edit_fn fn,
	void *payload, enum policy_mode mode, long long threshold,
	const char *email, const char *now)
{
	const crq_node *pending = crq_node_get(cur, "pending");
	const crq_node *v;
	crq_node *next, *apps, *p;
	crq_buf text = CRQ_BUF_INIT;
	size_t i;
	int err;

	*out = NULL;
	if (mode == EDIT) {
		if (pending)
			return crq_error__set(CRQ_EDENIED,
				"a policy change is pending: '%s'\n"
				"hint: crq policy approve, or crq policy withdraw",
				crq_node_get_str(pending, "change"));
		next = crq_node_dup(cur);
		if ((err = fn(next, payload)) < 0) {
			crq_node_free(next);
			return err;
		}
		v = crq_node_get(next, "version");
		crq_node_set(next, "version", crq_node_new_int(
			(v ? v->i : 0) + 1));
		if (threshold <= 1) {
			crq_buf_puts(title, what);
			*out = next;
			return 0;
		}
		/* the proposal must itself be a valid policy */
		crq_change_format(&text, schema, next);
		p = NULL;
		err = crq_policy__parse(&p, schema, text.ptr, text.size,
			POLICY_PATH, NULL);
		crq_buf_dispose(&text);
		crq_node_free(p);
		if (err < 0) {
			crq_node_free(next);
			return crq_error__prefix(
				"the changed policy would be invalid");
		}
		p = crq_node_new(CRQ_NODE_OBJECT);
		crq_node_set(p, "change", crq_node_new_cstr(what));
		crq_node_set(p, "by", crq_node_new_cstr(email));
		crq_node_set(p, "at", crq_node_new_cstr(now));
		apps = crq_node_new(CRQ_NODE_ARRAY);
		crq_node_push(apps, crq_node_new_cstr(email));
		crq_node_set(p, "approvals", apps);
		crq_node_set(p, "policy", next);
		*out = crq_node_dup(cur);
		crq_node_set(*out, "pending", p);
		crq_buf_printf(title, "propose %s (1 of %lld admins)", what,
			threshold);
		return 0;
	}
	if (!pending)
		return crq_error__set(CRQ_ENOTFOUND,
			"no policy change is pending");
	if (mode == WITHDRAW) {
		*out = crq_node_dup(cur);
		crq_node_remove(*out, "pending");
		crq_buf_printf(title, "withdraw %s",
			crq_node_get_str(pending, "change"));
		return 0;
	}
	apps = crq_node_get(pending, "approvals");
	for (i = 0; apps && i < apps->count; i++)
		if (!strcmp(apps->items[i]->str, email))
			return crq_error__set(CRQ_EDENIED,
				"%s already approved the pending policy change\n"
				"hint: it needs %lld distinct admins", email,
				threshold);
	if ((long long)(apps ? apps->count : 0) + 1 >= threshold) {
		*out = crq_node_dup(crq_node_get(pending, "policy"));
		crq_buf_printf(title, "approve %s (%lld of %lld admins: in force)",
			crq_node_get_str(pending, "change"),
			(long long)(apps ? apps->count : 0) + 1, threshold);
		return 0;
	}
	*out = crq_node_dup(cur);
	p = crq_node_get(*out, "pending");
	crq_node_push(crq_node_get(p, "approvals"), crq_node_new_cstr(email));
	crq_buf_printf(title, "approve %s (%zu of %lld admins)",
		crq_node_get_str(pending, "change"),
		crq_node_get(p, "approvals")->count, threshold);
	return 0;
}

/*
 * Change the policy.  With admin_threshold N > 1 an edit is proposed
 * (kept under `pending` of the current policy, which stays in force)
 * and takes effect with the approval that makes N distinct admins; the
 * proposal is withdrawn by any admin.  Every step is one commit of the
 * one file.
 */
static int policy_commit(crq_repo *repo, const char *what, policy_edit_fn fn,
	void *payload, enum policy_mode mode)
{
	crq_buf text = CRQ_BUF_INIT, out = CRQ_BUF_INIT, msg = CRQ_BUF_INIT,
		email = CRQ_BUF_INIT;
	const crq_schema *schema;
	crq_node *cur = NULL, *next = NULL, *v, *written = NULL;
	crq_buf title = CRQ_BUF_INIT, now = CRQ_BUF_INIT;
	long long threshold;
	const crq_node *member;
	crq_store_write w;
	git_oid tip, commit;
	char day[11];
	int err, unborn, attempt, locked = 0;

	if ((err = crq_store__policy_schema(&schema, repo)) < 0 ||
	    (err = crq_store__email(&email, repo)) < 0)
		goto done;
	if ((err = crq_store__lock(repo)) < 0)
		goto done;
	locked = 1;
	for (attempt = 0; attempt < CRQ_STORE_RETRIES; attempt++) {
		crq_node_free(cur);
		crq_node_free(next);
		crq_node_free(written);
		cur = next = written = NULL;
		crq_buf_clear(&title);
		crq_buf_clear(&now);
		crq_buf_clear(&text);
		crq_buf_clear(&out);
		crq_buf_clear(&msg);
		if ((err = crq_store__tip(repo, &tip, &unborn)) < 0 ||
		    (err = crq_store__read(repo, &tip, POLICY_PATH, &text,
				NULL)) < 0 ||
		    (err = crq_policy__parse(&cur, schema, text.ptr, text.size,
				POLICY_PATH, NULL)) < 0)
			goto done;
		/* judged by the policy it replaces */
		member = crq_policy__member(cur, email.ptr);
		crq_store__now(&now, repo);
		snprintf(day, sizeof(day), "%s", now.ptr);
		if (!member || !crq_policy__has_role(member, "admin", day)) {
			err = crq_error__set(CRQ_EDENIED,
				"%s may not change the policy: only its admins may\n"
				"hint: ask an admin of the current policy",
				email.ptr);
			goto done;
		}
		v = crq_node_get(cur, "admin_threshold");
		threshold = v ? v->i : 1;
		if ((err = next_policy(&written, &title, cur, schema, what, fn,
				payload, mode, threshold, email.ptr,
				now.ptr)) < 0)
			goto done;
		header_of(&out, text.ptr);
		crq_change_format(&out, schema, written);
		/* what we write must pass our own checks */
		if ((err = crq_policy__parse(&next, schema, out.ptr, out.size,
				POLICY_PATH, NULL)) < 0) {
			crq_error__prefix("the changed policy would be invalid");
			goto done;
		}
		crq_buf_printf(&msg, "policy: %s\n\nCrq-Action: policy\n"
			"Crq-Policy-Version: %lld\n", title.ptr,
			crq_node_get(next, "version")->i);
		w.path = POLICY_PATH;
		w.data = out.ptr;
		w.len = out.size;
		err = crq_store__commit(repo, &tip, &w, 1, msg.ptr, &commit);
		if (err != CRQ_STORE_RACE)
			break;
	}
	if (err == CRQ_STORE_RACE)
		err = CRQ_ECONFLICT;
	if (!err) {
		/* later reads see the new policy */
		crq_node_free(repo->policy);
		repo->policy = NULL;
	}
done:
	if (locked)
		crq_store__unlock(repo);
	crq_node_free(cur);
	crq_node_free(next);
	crq_node_free(written);
	crq_buf_dispose(&title);
	crq_buf_dispose(&now);
	crq_buf_dispose(&text);
	crq_buf_dispose(&out);
	crq_buf_dispose(&msg);
	crq_buf_dispose(&email);
	return err;
}

static crq_node *member_of(crq_node *policy, const char *email, long *index)
{
	crq_node *m = crq_node_get(policy, "members");
	long i = crq_node__find(m, "email", email);

	if (index)
		*index = i;
	return i < 0 ? NULL : m->items[i];
}

struct member_args {
	const char *email, *name, *key, *role, *until;
	const char *const *roles;
	size_t nroles;
	const char *const *handles;
	size_t nhandles;
};

static int edit_add(crq_node *policy, void *payload)
{
	struct member_args *a = payload;
	crq_node *m, *r, *list;
	size_t i;

	if (member_of(policy, a->email, NULL))
		return crq_error__set(CRQ_EEXISTS,
			"'%s' is already a member", a->email);
	m = crq_node_new(CRQ_NODE_OBJECT);
	crq_node_set(m, "email", crq_node_new_cstr(a->email));
	crq_node_set(m, "name", crq_node_new_cstr(a->name));
	r = crq_node_new(CRQ_NODE_ARRAY);
	for (i = 0; i < a->nroles; i++)
		crq_node_push(r, crq_node_new_cstr(a->roles[i]));
	crq_node_set(m, "roles", r);
	if (a->key) {
		crq_node *k = crq_node_new(CRQ_NODE_ARRAY);

		crq_node_push(k, crq_node_new_cstr(a->key));
		crq_node_set(m, "keys", k);
	}
	if (a->nhandles) {
		crq_node *h = crq_node_new(CRQ_NODE_OBJECT);

		for (i = 0; i < a->nhandles; i++) {
			const char *eq = strchr(a->handles[i], '=');
			char forge[64];

			if (!eq || eq == a->handles[i] || !eq[1] ||
			    (size_t)(eq - a->handles[i]) >= sizeof(forge)) {
				crq_node_free(h);
				crq_node_free(m);
				return crq_error__set(CRQ_EINVALID,
					"'%s' is not FORGE=NAME (github=alice)",
					a->handles[i]);
			}
			memcpy(forge, a->handles[i],
				(size_t)(eq - a->handles[i]));
			forge[eq - a->handles[i]] = '\0';
			crq_node_set(h, forge, crq_node_new_cstr(eq + 1));
		}
		crq_node_set(m, "handles", h);
	}
	if (!(list = crq_node_get(policy, "members"))) {
		crq_node_set(policy, "members", crq_node_new(CRQ_NODE_ARRAY));
		list = crq_node_get(policy, "members");
	}
	crq_node_push(list, m);
	return 0;
}

static int edit_remove(crq_node *policy, void *payload)
{
	struct member_args *a = payload;
	crq_node *list = crq_node_get(policy, "members");
	long i = -1;

	if (!member_of(policy, a->email, &i))
		return crq_error__set(CRQ_ENOTFOUND, "'%s' is not a member",
			a->email);
	crq_node_remove_at(list, (size_t)i);
	return 0;
}

/* Drop member's grant of role; 1 when there was one. */
static int drop_grant(crq_node *member, const char *role)
{
	crq_node *roles = crq_node_get(member, "roles");
	size_t i;

	for (i = 0; roles && i < roles->count; i++) {
		const char *r = grant_role(roles->items[i]);

		if (r && !strcmp(r, role)) {
			crq_node_remove_at(roles, i);
			return 1;
		}
	}
	return 0;
}

static int edit_grant(crq_node *policy, void *payload)
{
	struct member_args *a = payload;
	crq_node *m = member_of(policy, a->email, NULL), *roles, *g;

	if (!m)
		return crq_error__set(CRQ_ENOTFOUND, "'%s' is not a member",
			a->email);
	drop_grant(m, a->role);
	roles = crq_node_get(m, "roles");
	if (a->until) {
		g = crq_node_new(CRQ_NODE_OBJECT);
		crq_node_set(g, "role", crq_node_new_cstr(a->role));
		crq_node_set(g, "until", crq_node_new_cstr(a->until));
	} else {
		g = crq_node_new_cstr(a->role);
	}
	crq_node_push(roles, g);
	return 0;
}

static int edit_revoke(crq_node *policy, void *payload)
{
	struct member_args *a = payload;
	crq_node *m = member_of(policy, a->email, NULL);

	if (!m)
		return crq_error__set(CRQ_ENOTFOUND, "'%s' is not a member",
			a->email);
	if (drop_grant(m, a->role))
		return 0;
	return crq_error__set(CRQ_ENOTFOUND, "'%s' does not hold role '%s'",
		a->email, a->role);
}

int crq_policy_member_add(crq_repo *repo, const char *email, const char *name,
	const char *const *roles, size_t nroles, const char *key,
	const char *const *handles, size_t nhandles)
{
	struct member_args a = { email, name, key, NULL, NULL, roles, nroles,
		handles, nhandles };
	crq_buf what = CRQ_BUF_INIT;
	int err;

	crq_buf_printf(&what, "add member %s", email);
	err = policy_commit(repo, what.ptr, edit_add, &a, EDIT);
	crq_buf_dispose(&what);
	return err;
}

int crq_policy_member_remove(crq_repo *repo, const char *email)
{
	struct member_args a = { email, NULL, NULL, NULL, NULL, NULL, 0,
		NULL, 0 };
	crq_buf what = CRQ_BUF_INIT;
	int err;

	crq_buf_printf(&what, "remove member %s", email);
	err = policy_commit(repo, what.ptr, edit_remove, &a, EDIT);
	crq_buf_dispose(&what);
	return err;
}

int crq_policy_role_grant(crq_repo *repo, const char *email, const char *role,
	const char *until)
{
	struct member_args a = { email, NULL, NULL, role, until, NULL, 0,
		NULL, 0 };
	crq_buf what = CRQ_BUF_INIT;
	int err;

	crq_buf_printf(&what, "grant %s to %s%s%s", role, email,
		until ? " until " : "", until ? until : "");
	err = policy_commit(repo, what.ptr, edit_grant, &a, EDIT);
	crq_buf_dispose(&what);
	return err;
}

int crq_policy_role_revoke(crq_repo *repo, const char *email, const char *role)
{
	struct member_args a = { email, NULL, NULL, role, NULL, NULL, 0,
		NULL, 0 };
	crq_buf what = CRQ_BUF_INIT;
	int err;

	crq_buf_printf(&what, "revoke %s from %s", role, email);
	err = policy_commit(repo, what.ptr, edit_revoke, &a, EDIT);
	crq_buf_dispose(&what);
	return err;
}

static int edit_replace(crq_node *policy, void *payload)
{
	const crq_node *with = payload;
	size_t i;

	/* the version is the commit's to bump */
	for (i = policy->count; i-- > 0;)
		if (strcmp(policy->keys[i], "version"))
			crq_node_remove_at(policy, i);
	for (i = 0; i < with->count; i++)
		if (strcmp(with->keys[i], "version") &&
		    strcmp(with->keys[i], "pending"))
			crq_node_set(policy, with->keys[i],
				crq_node_dup(with->items[i]));
	return 0;
}

int crq_policy_apply(crq_repo *repo, const char *text, size_t len,
	const char *name)
{
	const crq_schema *schema;
	crq_node *doc = NULL;
	int err;

	if ((err = crq_store__policy_schema(&schema, repo)) < 0 ||
	    (err = crq_policy__parse(&doc, schema, text, len, name,
			NULL)) < 0)
		goto done;
	err = policy_commit(repo, "edit", edit_replace, doc, EDIT);
done:
	crq_node_free(doc);
	return err;
}

int crq_policy_approve(crq_repo *repo)
{
	return policy_commit(repo, "", NULL, NULL, APPROVE);
}

int crq_policy_withdraw(crq_repo *repo)
{
	return policy_commit(repo, "", NULL, NULL, WITHDRAW);
}

int crq_policy_allowed_signers(crq_buf *out, crq_repo *repo)
{
	const crq_node *policy, *members;
	char kid[1024];
	size_t i, j;
	int err;

	if ((err = crq_store__policy(&policy, repo)) < 0)
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
