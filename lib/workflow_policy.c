/*
 * workflow_policy.c - policy changes (members, roles, a whole new
 * policy, proposals under an admin threshold): each one signed commit
 * of the policy file, made by the rule engine from the policy it
 * replaces (lib/rules.c crq_rules_policy), as crq verify checks it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "change.h"
#include "rules.h"

#define POLICY_PATH ".crq/policy.yaml"

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

/*
 * Change the policy.  With admin_threshold N > 1 an edit is proposed
 * (kept under `pending` of the current policy, which stays in force)
 * and takes effect with the approval that makes N distinct admins; the
 * proposal is withdrawn by any admin.  Every step is one commit of the
 * one file.
 */
static int policy_commit(crq_repo *repo, const char *what, policy_edit_fn fn,
	void *payload, crq_policy_op mode)
{
	crq_buf text = CRQ_BUF_INIT, out = CRQ_BUF_INIT, msg = CRQ_BUF_INIT,
		email = CRQ_BUF_INIT, key = CRQ_BUF_INIT;
	const crq_schema *schema;
	crq_node *cur = NULL, *next = NULL, *written = NULL, *edited = NULL;
	crq_buf title = CRQ_BUF_INIT;
	const char *rule;
	crq_store_write w;
	git_oid tip, commit;
	long long when;
	int err, unborn, attempt, locked = 0;

	if ((err = crq_store__policy_schema(&schema, repo)) < 0 ||
	    (err = crq_store__email(&email, repo)) < 0 ||
	    (err = crq_store__signing_key(&key, repo)) < 0)
		goto done;
	if ((err = crq_store__lock(repo)) < 0)
		goto done;
	locked = 1;
	for (attempt = 0; attempt < CRQ_STORE_RETRIES; attempt++) {
		crq_node_free(cur);
		crq_node_free(next);
		crq_node_free(written);
		crq_node_free(edited);
		cur = next = written = edited = NULL;
		crq_buf_clear(&title);
		crq_buf_clear(&text);
		crq_buf_clear(&out);
		crq_buf_clear(&msg);
		if ((err = crq_store__tip(repo, &tip, &unborn)) < 0 ||
		    (err = crq_store__read(repo, &tip, POLICY_PATH, &text,
				NULL)) < 0 ||
		    (err = crq_policy__parse(&cur, schema, text.ptr, text.size,
				POLICY_PATH, NULL)) < 0)
			goto done;
		/* judged by the policy it replaces, by the rule engine */
		when = crq_store__step_time(repo, &tip);
		if (mode == CRQ_POLICY_EDIT) {
			edited = crq_node_dup(cur);
			crq_node_remove(edited, "pending");
			if ((err = fn(edited, payload)) < 0)
				goto done;
		}
		if ((err = crq_rules_policy(&written, &title, &rule, cur, mode,
				edited, what, key.ptr, email.ptr, when)) < 0)
			goto done;
		if (crq_node_path(written, "pending.policy")) {
			/* a proposal must itself be a valid policy */
			crq_doc_format(&out, schema,
				crq_node_path(written, "pending.policy"));
			err = crq_policy__parse(&next, schema, out.ptr,
				out.size, POLICY_PATH, NULL);
			crq_node_free(next);
			next = NULL;
			crq_buf_clear(&out);
			if (err < 0) {
				crq_error__prefix(
					"the changed policy would be invalid");
				goto done;
			}
		}
		header_of(&out, text.ptr);
		crq_doc_format(&out, schema, written);
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
		err = crq_store__commit(repo, &tip, &w, 1, msg.ptr, when,
			&commit);
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
	crq_node_free(edited);
	crq_buf_dispose(&key);
	crq_buf_dispose(&title);
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
		const char *r = crq_policy__grant_role(roles->items[i]);

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
	roles = crq_node_get(m, "roles");
	if (a->until) {
		g = crq_node_new(CRQ_NODE_OBJECT);
		crq_node_set(g, "role", crq_node_new_cstr(a->role));
		crq_node_set(g, "until", crq_node_new_cstr(a->until));
	} else {
		g = crq_node_new_cstr(a->role);
	}
	{
		/* the same grant again, wherever it is in the list: no step */
		size_t i;

		for (i = 0; roles && i < roles->count; i++)
			if (crq_node_equal(roles->items[i], g)) {
				crq_node_free(g);
				return crq_error__set(CRQ_EEXISTS,
					"%s already holds %s%s%s: nothing to change",
					a->email, a->role, a->until ?
					" until " : "", a->until ? a->until : "");
			}
	}
	drop_grant(m, a->role);
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
	err = policy_commit(repo, what.ptr, edit_add, &a, CRQ_POLICY_EDIT);
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
	err = policy_commit(repo, what.ptr, edit_remove, &a, CRQ_POLICY_EDIT);
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
	err = policy_commit(repo, what.ptr, edit_grant, &a, CRQ_POLICY_EDIT);
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
	err = policy_commit(repo, what.ptr, edit_revoke, &a, CRQ_POLICY_EDIT);
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
	err = policy_commit(repo, "edit", edit_replace, doc, CRQ_POLICY_EDIT);
done:
	crq_node_free(doc);
	return err;
}

int crq_policy_approve(crq_repo *repo)
{
	return policy_commit(repo, "", NULL, NULL, CRQ_POLICY_APPROVE);
}

int crq_policy_withdraw(crq_repo *repo)
{
	return policy_commit(repo, "", NULL, NULL, CRQ_POLICY_WITHDRAW);
}

/* The entry of state in arr ({state, enter, leave}), made when new. */
static crq_node *state_entry(crq_node *arr, const char *state)
{
	crq_node *o;
	size_t i;

	for (i = 0; i < arr->count; i++)
		if (!strcmp(crq_node_get_str(arr->items[i], "state"), state))
			return arr->items[i];
	o = crq_node_new(CRQ_NODE_OBJECT);
	crq_node_set(o, "state", crq_node_new_cstr(state));
	crq_node_set(o, "enter", crq_node_new(CRQ_NODE_ARRAY));
	crq_node_set(o, "leave", crq_node_new(CRQ_NODE_ARRAY));
	crq_node_push(arr, o);
	return o;
}

static void add_action(crq_node *list, const char *action)
{
	size_t i;

	for (i = 0; i < list->count; i++)
		if (!strcmp(list->items[i]->str, action))
			return;
	crq_node_push(list, crq_node_new_cstr(action));
}

/* The states of the policy's workflow (crq/policy.h). */
int crq_policy_states(crq_node **out, const crq_node *policy)
{
	const crq_node *actions = crq_node_path(policy, "workflow.actions");
	crq_node *arr = crq_node_new(CRQ_NODE_ARRAY);
	size_t i, k;

	for (i = 0; actions && actions->kind == CRQ_NODE_ARRAY &&
	     i < actions->count; i++) {
		const crq_node *a = actions->items[i];
		const crq_node *from = crq_node_get(a, "from");
		const char *name = crq_node_get_str(a, "name");
		const char *to = crq_node_get_str(a, "to");

		if (!name)
			continue;
		for (k = 0; from && from->kind == CRQ_NODE_ARRAY &&
		     k < from->count; k++) {
			const crq_node *f = from->items[k];

			if (f->kind == CRQ_NODE_STRING && strcmp(f->str, "*"))
				add_action(crq_node_get(state_entry(arr,
					f->str), "leave"), name);
		}
		if (to)
			add_action(crq_node_get(state_entry(arr, to), "enter"),
				name);
	}
	*out = arr;
	return 0;
}
