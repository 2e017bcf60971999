/*
 * workflow.c - actions on changes, as the policy allows them: who may
 * take which action from which state, what must be filled in first,
 * and the approval rules with their separation of duties.
 */
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "change.h"
#include "sign.h"

static void still_needed(crq_buf *out, const crq_node *req,
	const crq_node *held);

static void join_list(crq_buf *out, const crq_node *arr, const char *sep,
	const char *last)
{
	size_t i;

	for (i = 0; arr && arr->kind == CRQ_NODE_ARRAY && i < arr->count; i++) {
		if (i)
			crq_buf_puts(out, i + 1 == arr->count ? last : sep);
		if (arr->items[i]->kind == CRQ_NODE_STRING)
			crq_buf_puts(out, arr->items[i]->str);
	}
}

static void today(char out[11], crq_repo *repo)
{
	crq_buf now = CRQ_BUF_INIT;

	crq_store__now(&now, repo);
	snprintf(out, 11, "%s", now.ptr);
	crq_buf_dispose(&now);
}

/* Is there an expired grant of role (for a better message)? */
static const char *expired_grant(const crq_node *member, const char *role)
{
	const crq_node *roles = crq_node_get(member, "roles");
	long i = crq_node__find(roles, "role", role);

	return i < 0 ? NULL : crq_node_get_str(roles->items[i], "until");
}

/* Members who hold one of roles today, "a, b and c" ("nobody"). */
static void who_may(crq_buf *out, const crq_node *policy,
	const crq_node *roles, const char *day)
{
	const crq_node *members = crq_node_get(policy, "members");
	size_t i, j, n = 0;

	for (i = 0; members && members->kind == CRQ_NODE_ARRAY &&
			i < members->count; i++) {
		const crq_node *m = members->items[i];

		for (j = 0; j < roles->count; j++) {
			if (roles->items[j]->kind == CRQ_NODE_STRING &&
			    crq_policy__has_role(m, roles->items[j]->str, day)) {
				crq_buf_printf(out, "%s%s", n++ ? ", " : "",
					crq_node_get_str(m, "email"));
				break;
			}
		}
	}
	if (!n)
		crq_buf_puts(out, "nobody");
}

static void action_names(crq_buf *out, const crq_node *policy,
	const char *type)
{
	const crq_node *acts = crq_node_path(policy, "workflow.actions");
	size_t i;

	for (i = 0; acts && acts->kind == CRQ_NODE_ARRAY && i < acts->count;
			i++) {
		const crq_node *a = acts->items[i];
		const char *n = crq_node_get_str(a, "name");
		const crq_node *types = crq_node_get(a, "types");

		if (!n || (types && !crq_policy__in_list(types, type)) ||
		    strstr(out->ptr ? out->ptr : "", n))
			continue;
		crq_buf_printf(out, "%s%s", out->size ? ", " : "", n);
	}
}

int crq_workflow__allow(const crq_node **action, const crq_node **member,
	crq_repo *repo, const crq_node *doc, const char *type,
	const char *state, const char *name)
{
	const crq_node *policy, *act, *roles;
	crq_buf email = CRQ_BUF_INIT, hint = CRQ_BUF_INIT;
	const char *id = doc ? crq_node_get_str(doc, "id") : NULL;
	char day[11];
	size_t i;
	int err, named;

	*action = *member = NULL;
	if ((err = crq_store__policy(&policy, repo)) < 0 ||
	    (err = crq_store__email(&email, repo)) < 0)
		goto done;
	today(day, repo);
	if (!(*member = crq_policy__member(policy, email.ptr))) {
		err = crq_error__set(CRQ_EDENIED,
			"'%s' is not a member of this store\n"
			"hint: an admin adds members with 'crq member add'",
			email.ptr);
		goto done;
	}
	/* the key that will sign must be this member's, before anything */
	{
		crq_buf key = CRQ_BUF_INIT;
		const crq_node *keys = crq_node_get(*member, "keys");
		size_t k;
		int mine = 0;

		if ((err = crq_store__signing_key(&key, repo)) < 0) {
			crq_buf_dispose(&key);
			goto done;
		}
		for (k = 0; keys && k < keys->count; k++)
			if (crq_policy__key_is(keys->items[k]->str, key.ptr))
				mine = 1;
		crq_buf_dispose(&key);
		if (!mine) {
			err = crq_error__set(CRQ_EDENIED,
				"the signing key is not a key of member '%s'\n"
				"hint: an admin adds it with 'crq member add' or the policy's keys",
				email.ptr);
			goto done;
		}
	}
	act = crq_policy__action(policy, name, type ? type : "normal", state, &named);
	if (!act) {
		action_names(&hint, policy, type ? type : "normal");
		err = crq_error__set(named ? CRQ_EDENIED : CRQ_EINVALID,
			"%s '%s' for %s changes\nhint: actions: %s",
			named ? "the policy has no action" : "no action", name,
			type ? type : "normal", crq_buf_cstr(&hint));
		goto done;
	}
	if (state && !crq_policy__in_list(crq_node_get(act, "from"), state)) {
		join_list(&hint, crq_node_get(act, "from"), ", ", " or ");
		err = crq_error__set(CRQ_EDENIED,
			"cannot %s %s: it is %s\nhint: %s is allowed from %s",
			name, id ? id : "the change", state, name,
			crq_buf_cstr(&hint));
		goto done;
	}
	roles = crq_node_get(act, "roles");
	for (i = 0; roles && i < roles->count; i++) {
		const char *r = roles->items[i]->str;

		if (crq_policy__has_role(*member, r, day)) {
			*action = act;
			err = 0;
			goto done;
		}
	}
	for (i = 0; roles && i < roles->count; i++) {
		const char *until = expired_grant(*member, roles->items[i]->str);

		if (until) {
			err = crq_error__set(CRQ_EDENIED,
				"%s may not %s %s: the %s role expired on %s\n"
				"hint: an admin renews it with 'crq role grant %s %s --until DATE'",
				email.ptr, name, id ? id : "changes",
				roles->items[i]->str, until, email.ptr,
				roles->items[i]->str);
			goto done;
		}
	}
	join_list(&hint, roles, ", ", " or ");
	crq_buf_puts(&hint, "\nhint: members who may: ");
	who_may(&hint, policy, roles, day);
	err = crq_error__set(CRQ_EDENIED, "%s may not %s %s: needs role %s",
		email.ptr, name, id ? id : "changes", crq_buf_cstr(&hint));
done:
	if (err)
		*member = NULL;
	crq_buf_dispose(&email);
	crq_buf_dispose(&hint);
	return err;
}

/* ---- approvals ---- */

/* SHA-256 of what an approval covers: the change without its state,
 * timestamps and approvals, in canonical form. */
static int content_digest(char out[72], crq_repo *repo, const crq_node *doc)
{
	const crq_schema *schema;
	crq_node *c = crq_node_dup(doc);
	crq_buf text = CRQ_BUF_INIT;
	unsigned char md[32];
	unsigned int mdlen = 0;
	int err, i;

	crq_node_remove(c, "approvals");
	crq_node_remove(c, "state");
	crq_node_remove(c, "updated");
	if ((err = crq_repo_change_schema(&schema, repo)) < 0)
		goto done;
	crq_change_format(&text, schema, c);
	if (!EVP_Digest(text.ptr, text.size, md, &mdlen, EVP_sha256(), NULL)) {
		err = crq_error__set(CRQ_ERROR, "cannot compute SHA-256");
		goto done;
	}
	strcpy(out, "sha256:");
	for (i = 0; i < 32; i++)
		snprintf(out + 7 + 2 * i, 3, "%02x", md[i]);
done:
	crq_node_free(c);
	crq_buf_dispose(&text);
	return err;
}

/* Required approvals for doc: role -> count, the largest count any
 * matching rule asks for. */
static crq_node *requirements(const crq_node *policy, const crq_node *doc)
{
	const crq_node *rules = crq_node_get(policy, "approval_rules");
	crq_node *req = crq_node_new(CRQ_NODE_OBJECT);
	const char *type = crq_node_get_str(doc, "type");
	const char *risk = crq_node_get_str(doc, "risk");
	const crq_node *svc = crq_node_get(doc, "services");
	size_t i, j, k;

	for (i = 0; rules && rules->kind == CRQ_NODE_ARRAY &&
			i < rules->count; i++) {
		const crq_node *r = rules->items[i];
		const crq_node *when = crq_node_get(r, "when");
		const char *wt = crq_node_get_str(when, "type");
		const char *wr = crq_node_get_str(when, "risk");
		const crq_node *ws = crq_node_get(when, "services");
		const crq_node *need = crq_node_get(r, "require");
		int ok = 1;

		if (wt && (!type || strcmp(wt, type)))
			ok = 0;
		if (wr && (!risk || strcmp(wr, risk)))
			ok = 0;
		/* emergency changes follow their own rule, not the risk ones */
		if (!wt && type && !strcmp(type, "emergency"))
			ok = 0;
		if (ws && ws->count) {
			int hit = 0;

			for (j = 0; svc && j < svc->count; j++)
				for (k = 0; k < ws->count; k++)
					if (!strcmp(svc->items[j]->str,
						    ws->items[k]->str))
						hit = 1;
			ok = ok && hit;
		}
		for (j = 0; ok && need && j < need->count; j++) {
			const char *role = crq_node_get_str(need->items[j],
				"role");
			const crq_node *cnt = crq_node_get(need->items[j],
				"count");
			crq_node *have = crq_node_get(req, role);

			if (!have || have->i < cnt->i)
				crq_node_set(req, role,
					crq_node_new_int(cnt->i));
		}
	}
	return req;
}

/* Count the approvals that still hold (same digest, distinct members)
 * into a role -> count object. */
static crq_node *approvals_held(const crq_node *doc, const char *digest)
{
	const crq_node *apps = crq_node_get(doc, "approvals");
	crq_node *held = crq_node_new(CRQ_NODE_OBJECT);
	crq_node *seen = crq_node_new(CRQ_NODE_OBJECT);
	size_t i;

	for (i = 0; apps && apps->kind == CRQ_NODE_ARRAY && i < apps->count;
			i++) {
		const crq_node *a = apps->items[i];
		const char *by = crq_node_get_str(a, "by");
		const char *role = crq_node_get_str(a, "role");
		const char *dec = crq_node_get_str(a, "decision");
		const char *dig = crq_node_get_str(a, "digest");
		crq_node *c;

		if (!by || !role || !dec || strcmp(dec, "approved") || !dig ||
		    strcmp(dig, digest) || crq_node_get(seen, by))
			continue;
		crq_node_set(seen, by, crq_node_new_bool(1));
		c = crq_node_get(held, role);
		if (c)
			c->i++;
		else
			crq_node_set(held, role, crq_node_new_int(1));
	}
	crq_node_free(seen);
	return held;
}

static int rules_met(const crq_node *req, const crq_node *held)
{
	size_t i;

	for (i = 0; i < req->count; i++) {
		const crq_node *h = crq_node_get(held, req->keys[i]);

		if (!h || h->i < req->items[i]->i)
			return 0;
	}
	return 1;
}

int crq_workflow__approved(crq_buf *missing, crq_repo *repo,
	const crq_node *policy, const crq_node *doc)
{
	char digest[72];
	crq_node *req, *held;
	int err, met;

	if ((err = content_digest(digest, repo, doc)) < 0)
		return err;
	req = requirements(policy, doc);
	held = approvals_held(doc, digest);
	met = rules_met(req, held);
	if (!met && missing)
		still_needed(missing, req, held);
	crq_node_free(req);
	crq_node_free(held);
	return met;
}

int crq_workflow__digest(char out[72], crq_repo *repo, const crq_node *doc)
{
	return content_digest(out, repo, doc);
}

static void still_needed(crq_buf *out, const crq_node *req,
	const crq_node *held)
{
	size_t i, n = 0;

	for (i = 0; i < req->count; i++) {
		const crq_node *h = crq_node_get(held, req->keys[i]);
		long long miss = req->items[i]->i - (h ? h->i : 0);

		if (miss > 0)
			crq_buf_printf(out, "%s%lld %s", n++ ? ", " : "", miss,
				req->keys[i]);
	}
	if (!n)
		crq_buf_puts(out, "nothing");
}

/* Authors of edits to change id since its last approval or rejection
 * (first-parent history from tip back to the change's creation). */
static int plan_editors(crq_node *out, crq_repo *repo, const git_oid *tip,
	const char *id)
{
	git_commit *c = NULL, *p = NULL;
	git_message_trailer_array tr;
	int err = 0, steps = 0;

	if ((err = git_commit_lookup(&c, repo->git, tip)) < 0)
		return crq_store__git_error(err, "cannot read history");
	while (c && steps++ < 1000000) {
		const char *change = NULL, *action = NULL;
		size_t i;

		memset(&tr, 0, sizeof(tr));
		if (git_message_trailers(&tr, git_commit_message(c)) == 0) {
			for (i = 0; i < tr.count; i++) {
				if (!strcmp(tr.trailers[i].key, "Crq-Change"))
					change = tr.trailers[i].value;
				else if (!strcmp(tr.trailers[i].key,
						"Crq-Action"))
					action = tr.trailers[i].value;
			}
		}
		if (change && action && !strcmp(change, id)) {
			if (!strcmp(action, "approve") ||
			    !strcmp(action, "reject")) {
				git_message_trailer_array_free(&tr);
				break;
			}
			if (!strcmp(action, "edit") ||
			    !strcmp(action, "create"))
				crq_node_set(out, git_commit_author(c)->email,
					crq_node_new_bool(1));
			if (!strcmp(action, "create")) {
				git_message_trailer_array_free(&tr);
				break;
			}
		}
		git_message_trailer_array_free(&tr);
		if (git_commit_parentcount(c) == 0)
			break;
		if ((err = git_commit_parent(&p, c, 0)) < 0) {
			err = crq_store__git_error(err, "cannot read history");
			break;
		}
		git_commit_free(c);
		c = p;
		p = NULL;
	}
	git_commit_free(c);
	return err < 0 ? err : 0;
}

int crq_workflow__editors(crq_node *out, crq_repo *repo, const git_oid *tip,
	const char *id)
{
	return plan_editors(out, repo, tip, id);
}

/* Record the actor's approval (or rejection) on doc.  Picks the role
 * the approval counts for; refuses self-approval and approval by
 * anyone who changed the plan since the last approval. */
static int record_decision(int *met, crq_repo *repo, const git_oid *tip,
	crq_node *doc, const crq_node *action, const crq_node *member,
	const char *decision, const char *want_role, const char *now,
	char digest[72])
{
	const crq_node *policy;
	const char *email = crq_node_get_str(member, "email");
	const char *id = crq_node_get_str(doc, "id");
	const char *requester = crq_node_get_str(doc, "requester");
	const crq_node *roles = crq_node_get(action, "roles");
	crq_node *req = NULL, *held = NULL, *editors = NULL, *a, *apps;
	crq_buf hint = CRQ_BUF_INIT;
	const char *role = NULL;
	char day[11];
	size_t i;
	int err, approve = !strcmp(decision, "approved");

	*met = 0;
	if ((err = crq_store__policy(&policy, repo)) < 0 ||
	    (err = content_digest(digest, repo, doc)) < 0)
		goto done;
	today(day, repo);
	if (requester && !strcmp(requester, email)) {
		err = crq_error__set(CRQ_EDENIED,
			"%s may not %s %s: the requester cannot decide on their own change\n"
			"hint: separation of duties; another member must",
			email, approve ? "approve" : "reject", id);
		goto done;
	}
	editors = crq_node_new(CRQ_NODE_OBJECT);
	if ((err = plan_editors(editors, repo, tip, id)) < 0)
		goto done;
	if (crq_node_get(editors, email)) {
		err = crq_error__set(CRQ_EDENIED,
			"%s may not %s %s: they changed it since the last approval\n"
			"hint: separation of duties; another member must",
			email, approve ? "approve" : "reject", id);
		goto done;
	}
	if (want_role && !crq_policy__has_role(member, want_role, day)) {
		const char *until = expired_grant(member, want_role);

		if (until)
			err = crq_error__set(CRQ_EDENIED,
				"%s may not %s %s as %s: the grant expired on %s",
				email, approve ? "approve" : "reject", id,
				want_role, until);
		else
			err = crq_error__set(CRQ_EDENIED,
				"%s may not %s %s as %s: they do not hold that role",
				email, approve ? "approve" : "reject", id,
				want_role);
		goto done;
	}
	req = requirements(policy, doc);
	held = approvals_held(doc, digest);
	apps = crq_node_get(doc, "approvals");
	for (i = 0; approve && apps && i < apps->count; i++) {
		const char *by = crq_node_get_str(apps->items[i], "by");
		const char *dig = crq_node_get_str(apps->items[i], "digest");

		if (by && dig && !strcmp(by, email) && !strcmp(dig, digest)) {
			err = crq_error__set(CRQ_EDENIED,
				"%s already approved %s as it stands\n"
				"hint: approvals count distinct members",
				email, id);
			goto done;
		}
	}
	/* the role this decision is taken in */
	for (i = 0; i < req->count && !role; i++) {
		const char *r = req->keys[i];
		const crq_node *h = crq_node_get(held, r);

		if ((want_role && strcmp(want_role, r)) ||
		    !crq_policy__in_list(roles, r) || !crq_policy__has_role(member, r, day))
			continue;
		if (!approve || !h || h->i < req->items[i]->i)
			role = r;
	}
	if (!role && !approve) {
		for (i = 0; roles && i < roles->count && !role; i++)
			if ((!want_role || !strcmp(want_role,
					roles->items[i]->str)) &&
			    crq_policy__has_role(member, roles->items[i]->str, day))
				role = roles->items[i]->str;
	}
	if (!role) {
		still_needed(&hint, req, held);
		err = crq_error__set(CRQ_EDENIED,
			"%s's approval is not needed for %s: no open requirement for %s\n"
			"hint: still needed: %s",
			email, id, want_role ? want_role :
			"any of their roles", crq_buf_cstr(&hint));
		goto done;
	}
	a = crq_node_new(CRQ_NODE_OBJECT);
	crq_node_set(a, "by", crq_node_new_cstr(email));
	crq_node_set(a, "role", crq_node_new_cstr(role));
	crq_node_set(a, "decision", crq_node_new_cstr(decision));
	crq_node_set(a, "at", crq_node_new_cstr(now));
	crq_node_set(a, "digest", crq_node_new_cstr(digest));
	if (!(apps = crq_node_get(doc, "approvals"))) {
		crq_node_set(doc, "approvals", crq_node_new(CRQ_NODE_ARRAY));
		apps = crq_node_get(doc, "approvals");
	}
	crq_node_push(apps, a);
	crq_node_free(held);
	held = approvals_held(doc, digest);
	*met = approve && rules_met(req, held);
done:
	crq_node_free(req);
	crq_node_free(held);
	crq_node_free(editors);
	crq_buf_dispose(&hint);
	return err;
}

/* ---- actions ---- */

static int check_requires(const crq_node *action, const crq_node *doc,
	const char *name)
{
	const crq_node *req = crq_node_get(action, "requires");
	const char *id = crq_node_get_str(doc, "id");
	size_t i;

	for (i = 0; req && i < req->count; i++) {
		const char *f = req->items[i]->str;
		const crq_node *v = crq_node_path(doc, f);

		if (!v || v->kind == CRQ_NODE_NULL ||
		    (v->kind == CRQ_NODE_STRING && !v->len) ||
		    ((v->kind == CRQ_NODE_ARRAY ||
		      v->kind == CRQ_NODE_OBJECT) && !v->count))
			return crq_error__set(CRQ_EDENIED,
				"cannot %s %s: '%s' is missing\n"
				"hint: crq set %s %s=...", name, id, f, id, f);
	}
	return 0;
}

/* Does freeze f apply to doc (its types and services)? */
static int freeze_applies(const crq_node *f, const crq_node *doc)
{
	const crq_node *svc = crq_node_get(f, "services");
	const crq_node *types = crq_node_get(f, "types");
	const crq_node *mine = crq_node_get(doc, "services");
	const char *type = crq_node_get_str(doc, "type");
	size_t i;

	if (types ? !crq_policy__in_list(types, type ? type : "normal") :
	    (type && !strcmp(type, "emergency")))
		return 0;
	if (!svc || !svc->count)
		return 1;
	for (i = 0; mine && i < mine->count; i++)
		if (mine->items[i]->kind == CRQ_NODE_STRING &&
		    crq_policy__in_list(svc, mine->items[i]->str))
			return 1;
	return 0;
}

/* The action's guards: no-freeze (the change's window, or now when it
 * has none, must not overlap a freeze that applies to it) and
 * window-ahead (the window starts in the future). */
static int check_guards(crq_repo *repo, const crq_node *action,
	const crq_node *doc, const char *name, const char *now)
{
	const crq_node *guards = crq_node_get(action, "guards");
	const crq_node *policy, *freezes;
	const char *id = crq_node_get_str(doc, "id");
	const crq_node *ws = crq_node_path(doc, "window.start");
	const crq_node *we = crq_node_path(doc, "window.end");
	long long t_now = 0, a, b, fs, fe;
	size_t i;
	int err;

	if (!guards || !guards->count)
		return 0;
	if ((err = crq_store__policy(&policy, repo)) < 0)
		return err;
	crq_store__parse_time(now, &t_now);
	a = b = t_now;
	if (ws && we && ws->kind == CRQ_NODE_STRING &&
	    we->kind == CRQ_NODE_STRING &&
	    (crq_store__parse_time(ws->str, &a) < 0 ||
	     crq_store__parse_time(we->str, &b) < 0))
		return crq_error__set(CRQ_EINVALID,
			"%s: the window is not a pair of RFC 3339 times", id);
	if (a > b)
		return crq_error__set(CRQ_EDENIED,
			"cannot %s %s: the window ends before it starts", name,
			id);
	if (crq_policy__in_list(guards, "window-ahead") && ws && a <= t_now)
		return crq_error__set(CRQ_EDENIED,
			"cannot %s %s: the window starts in the past (%s)\n"
			"hint: crq %s %s --start LATER --end LATER", name, id,
			ws->str, name, id);
	if (!crq_policy__in_list(guards, "no-freeze"))
		return 0;
	freezes = crq_node_get(policy, "freeze");
	for (i = 0; freezes && i < freezes->count; i++) {
		const crq_node *f = freezes->items[i];

		if (!freeze_applies(f, doc) ||
		    crq_store__parse_time(crq_node_get_str(f, "start"),
			&fs) < 0 ||
		    crq_store__parse_time(crq_node_get_str(f, "end"),
			&fe) < 0)
			continue;
		if (a < fe && fs < b)
			return crq_error__set(CRQ_EDENIED,
				"cannot %s %s: %s overlaps the freeze '%s' (%s to %s)\n"
				"hint: choose a window outside it, or an emergency change",
				name, id, ws ? "its window" : "now",
				crq_node_get_str(f, "name"),
				crq_node_get_str(f, "start"),
				crq_node_get_str(f, "end"));
	}
	return 0;
}

int crq_change_act(crq_buf *to_out, crq_repo *repo, const char *id,
	const char *name, const crq_act_opts *opts)
{
	const crq_node *action, *member;
	const crq_schema *schema;
	crq_node *old = NULL, *doc = NULL;
	crq_buf path = CRQ_BUF_INIT, msg = CRQ_BUF_INIT, now = CRQ_BUF_INIT;
	crq_issues issues;
	git_oid tip;
	char digest[72] = "";
	const char *from, *to;
	size_t i;
	int unborn, err, attempt, met = 0, locked = 0;

	crq_issues_init(&issues);
	if ((err = crq_change_path(&path, repo, id)) < 0 ||
	    (err = crq_repo_change_schema(&schema, repo)) < 0)
		goto done;
	/* turns with other crq writers, then every attempt re-reads and
	 * re-checks: the branch may still move under us (a push) */
	if ((err = crq_store__lock(repo)) < 0)
		goto done;
	locked = 1;
	for (attempt = 0; attempt < CRQ_STORE_RETRIES * 4; attempt++) {
		crq_node_free(old);
		crq_node_free(doc);
		old = doc = NULL;
		crq_buf_clear(&msg);
		crq_buf_clear(&now);
		if ((err = crq_store__tip(repo, &tip, &unborn)) < 0 ||
		    (err = crq_change__load_at(&old, repo, &tip, id, NULL,
				NULL)) < 0)
			goto done;
		from = crq_node_get_str(old, "state");
		if ((err = crq_workflow__allow(&action, &member, repo, old,
				crq_node_get_str(old, "type"), from, name)) < 0)
			goto done;
		doc = crq_node_dup(old);
		for (i = 0; opts && i < opts->count; i++)
			if ((err = crq_change_assign(repo, doc,
					opts->assignments[i])) < 0)
				goto done;
		if (crq_schema_type(schema, doc, &issues) < 0) {
			err = crq_change__issues_error(&issues, id);
			goto done;
		}
		crq_store__now(&now, repo);
		/* a review names its reviewer and time */
		if (crq_node_path(doc, "review.summary") &&
		    !crq_node_path(doc, "review.by") &&
		    !crq_node_get(old, "review")) {
			crq_node *rv = crq_node_get(doc, "review");

			crq_node_set(rv, "by", crq_node_new_cstr(
				crq_node_get_str(member, "email")));
			crq_node_set(rv, "at", crq_node_new_cstr(now.ptr));
		}
		if ((err = check_requires(action, doc, name)) < 0 ||
		    (err = check_guards(repo, action, doc, name,
				now.ptr)) < 0)
			goto done;
		to = crq_node_get_str(action, "to");
		if (crq_node_get(action, "approval") &&
		    crq_node_get(action, "approval")->b) {
			if ((err = record_decision(&met, repo, &tip, doc,
					action, member, "approved",
					opts ? opts->role : NULL, now.ptr,
					digest)) < 0)
				goto done;
			if (!met)
				to = NULL;	/* more approvals needed */
		} else if (!strcmp(name, "reject")) {
			if ((err = record_decision(&met, repo, &tip, doc,
					action, member, "rejected",
					opts ? opts->role : NULL, now.ptr,
					digest)) < 0)
				goto done;
		}
		if (to)
			crq_node_set(doc, "state", crq_node_new_cstr(to));
		/* an emergency change owes its review within the policy's
		 * deadline from the moment it is implemented */
		if (to && (!strcmp(to, "completed") || !strcmp(to, "failed")) &&
		    !crq_node_get(doc, "review_due")) {
			const char *type = crq_node_get_str(doc, "type");
			const crq_node *policy, *h;
			long long t;

			if (type && !strcmp(type, "emergency") &&
			    crq_store__policy(&policy, repo) == 0 &&
			    (h = crq_node_path(policy,
				"emergency.review_within_hours")) &&
			    crq_store__parse_time(now.ptr, &t) == 0) {
				time_t due = (time_t)(t + h->i * 3600);
				struct tm tm;
				char buf[32];

				gmtime_r(&due, &tm);
				strftime(buf, sizeof(buf),
					"%Y-%m-%dT%H:%M:%SZ", &tm);
				crq_node_set(doc, "review_due",
					crq_node_new_cstr(buf));
			}
		}
		crq_node_set(doc, "updated", crq_node_new_cstr(now.ptr));
		crq_change__priority(repo, doc);
		crq_change__message(&msg, id, name, doc,
			opts ? opts->message : NULL, from, to ? to : from);
		if (*digest)
			crq_buf_printf(&msg, "Crq-Digest: %s\n", digest);
		err = crq_change__write(repo, &tip, 0, path.ptr, doc, msg.ptr);
		if (err != CRQ_STORE_RACE)
			break;
	}
	if (err == CRQ_STORE_RACE)
		err = crq_error__set(CRQ_ECONFLICT,
			"%s: the branch kept moving; gave up after %d attempts",
			id, attempt);
	if (!err && to_out)
		crq_buf_puts(to_out, crq_node_get_str(doc, "state"));
done:
	if (locked)
		crq_store__unlock(repo);
	crq_issues_dispose(&issues);
	crq_node_free(old);
	crq_node_free(doc);
	crq_buf_dispose(&path);
	crq_buf_dispose(&msg);
	crq_buf_dispose(&now);
	return err;
}

/* ---- history ---- */

/*
 * Signature status of a commit for crq log: "good" (a valid SSH
 * signature by a key the policy gives to the commit's author),
 * "unknown-key" (valid, but not the author's key in this policy), "bad"
 * (does not verify, or more than one signature header) or "unsigned".
 * The raw object is parsed header by header: a gpgsig block moved into
 * the message does not count (see NOTES on libgit2's extractor).
 */
static const char *signature_status(git_repository *git, const git_oid *id,
	const crq_node *policy, const char *email)
{
	git_odb *odb = NULL;
	git_odb_object *obj = NULL;
	crq_buf payload = CRQ_BUF_INIT, sig = CRQ_BUF_INIT, key = CRQ_BUF_INIT;
	const char *status = "unsigned";
	int nsig = 0;

	if (git_repository_odb(&odb, git) < 0 ||
	    git_odb_read(&obj, odb, id) < 0)
		goto done;
	{
		crq_buf problem = CRQ_BUF_INIT;

		nsig = crq_verify__split_commit(&payload, &sig, &problem,
			git_odb_object_data(obj), git_odb_object_size(obj));
		crq_buf_dispose(&problem);
	}
	if (!nsig)
		goto done;
	status = "bad";
	if (nsig != 1 || crq_sshsig_verify(sig.ptr, sig.size, payload.ptr,
			payload.size, "git", &key) < 0)
		goto done;
	status = "unknown-key";
	{
		const crq_node *m = crq_policy__key_owner(policy, key.ptr);
		const char *owner = m ? crq_node_get_str(m, "email") : NULL;

		if (owner && !strcmp(owner, email))
			status = "good";
	}
done:
	crq_error_clear();
	crq_buf_dispose(&payload);
	crq_buf_dispose(&sig);
	crq_buf_dispose(&key);
	git_odb_object_free(obj);
	git_odb_free(odb);
	return status;
}

int crq_change_log(crq_node **out, crq_repo *repo, const char *id)
{
	crq_node *steps = crq_node_new(CRQ_NODE_ARRAY), *rev;
	git_commit *c = NULL, *p = NULL;
	git_message_trailer_array tr;
	crq_buf path = CRQ_BUF_INIT;
	const crq_node *policy;
	git_oid tip;
	char hex[GIT_OID_HEXSZ + 1], when[32];
	int err, unborn, found = 0, stop;
	size_t i;

	*out = NULL;
	if ((err = crq_store__policy(&policy, repo)) < 0 ||
	    (err = crq_change_path(&path, repo, id)) < 0 ||
	    (err = crq_store__tip(repo, &tip, &unborn)) < 0)
		goto done;
	if (unborn || (err = git_commit_lookup(&c, repo->git, &tip)) < 0) {
		err = unborn ? crq_error__set(CRQ_ENOTFOUND,
			"no such change '%s'", id) :
			crq_store__git_error(err, "cannot read history");
		goto done;
	}
	while (c) {
		const char *change = NULL, *action = NULL, *from = NULL,
			*to = NULL;
		const git_signature *a = git_commit_author(c);

		memset(&tr, 0, sizeof(tr));
		git_message_trailers(&tr, git_commit_message(c));
		for (i = 0; i < tr.count; i++) {
			const char *k = tr.trailers[i].key;

			if (!strcmp(k, "Crq-Change"))
				change = tr.trailers[i].value;
			else if (!strcmp(k, "Crq-Action"))
				action = tr.trailers[i].value;
			else if (!strcmp(k, "Crq-From"))
				from = tr.trailers[i].value;
			else if (!strcmp(k, "Crq-To"))
				to = tr.trailers[i].value;
		}
		if (change && action && !strcmp(change, id)) {
			crq_node *s = crq_node_new(CRQ_NODE_OBJECT);
			const char *body = git_commit_body(c);
			time_t t = (time_t)a->when.time;
			struct tm tm;
			size_t blen = 0;

			found = 1;
			git_oid_tostr(hex, sizeof(hex), git_commit_id(c));
			gmtime_r(&t, &tm);
			strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
			crq_node_set(s, "commit", crq_node_new_cstr(hex));
			crq_node_set(s, "at", crq_node_new_cstr(when));
			crq_node_set(s, "by", crq_node_new_cstr(a->email));
			crq_node_set(s, "name", crq_node_new_cstr(a->name));
			crq_node_set(s, "action", crq_node_new_cstr(action));
			if (from)
				crq_node_set(s, "from", crq_node_new_cstr(from));
			if (to)
				crq_node_set(s, "to", crq_node_new_cstr(to));
			/* the body without the trailer block */
			if (body) {
				const char *tb = strstr(body, "Crq-Change:");

				blen = tb ? (size_t)(tb - body) : strlen(body);
				while (blen && (body[blen - 1] == '\n' ||
						body[blen - 1] == ' '))
					blen--;
			}
			crq_node_set(s, "message",
				crq_node_new_string(body ? body : "", blen));
			crq_node_set(s, "signature", crq_node_new_cstr(
				signature_status(repo->git, git_commit_id(c),
					policy, a->email)));
			crq_node_push(steps, s);
		}
		/* change and action point into tr: decide before freeing */
		stop = change && action && !strcmp(change, id) &&
			!strcmp(action, "create");
		git_message_trailer_array_free(&tr);
		if (stop || git_commit_parentcount(c) == 0)
			break;
		if ((err = git_commit_parent(&p, c, 0)) < 0) {
			err = crq_store__git_error(err, "cannot read history");
			goto done;
		}
		git_commit_free(c);
		c = p;
		p = NULL;
	}
	if (!found) {
		err = crq_error__set(CRQ_ENOTFOUND, "no such change '%s'", id);
		goto done;
	}
	/* oldest first */
	rev = crq_node_new(CRQ_NODE_ARRAY);
	for (i = steps->count; i-- > 0;) {
		crq_node_push(rev, steps->items[i]);
		steps->items[i] = NULL;
	}
	steps->count = 0;
	*out = rev;
	err = 0;
done:
	crq_node_free(steps);
	git_commit_free(c);
	crq_buf_dispose(&path);
	return err;
}

/* ---- forge reviews as signed evidence ---- */

struct review {
	const char *login, *state, *commit;
	char id[32];
};

/* The latest review of each reviewer, in the forge's API shape:
 * GitHub's array of reviews, or GitLab's approvals object. */
static int read_reviews(struct review **out, size_t *count,
	const crq_node *doc, const char *forge)
{
	struct review *r = NULL;
	size_t n = 0, alloc = 0, i, j;

	*out = NULL;
	*count = 0;
	if (!strcmp(forge, "github")) {
		if (doc->kind != CRQ_NODE_ARRAY)
			return crq_error__set(CRQ_EINVALID,
				"a GitHub review list is a JSON array");
		for (i = 0; i < doc->count; i++) {
			const crq_node *rv = doc->items[i];
			const char *login = crq_node_path(rv, "user.login") ?
				crq_node_path(rv, "user.login")->str : NULL;
			const crq_node *idn = crq_node_get(rv, "id");

			if (!login || !crq_node_get_str(rv, "state"))
				continue;
			/* a later review by the same person replaces theirs */
			for (j = 0; j < n && strcmp(r[j].login, login); j++)
				;
			if (j == n) {
				crq__grow((void **)&r, &alloc, n + 1, sizeof(*r));
				n++;
			}
			r[j].login = login;
			r[j].state = crq_node_get_str(rv, "state");
			r[j].commit = crq_node_get_str(rv, "commit_id");
			if (idn && idn->kind == CRQ_NODE_INT)
				snprintf(r[j].id, sizeof(r[j].id), "%lld",
					idn->i);
			else
				snprintf(r[j].id, sizeof(r[j].id), "%s",
					idn && idn->kind == CRQ_NODE_STRING ?
					idn->str : "?");
		}
	} else if (!strcmp(forge, "gitlab")) {
		const crq_node *by = crq_node_get(doc, "approved_by");

		if (doc->kind != CRQ_NODE_OBJECT || !by ||
		    by->kind != CRQ_NODE_ARRAY)
			return crq_error__set(CRQ_EINVALID,
				"a GitLab approvals object has 'approved_by'");
		for (i = 0; i < by->count; i++) {
			const crq_node *u = crq_node_path(by->items[i],
				"user.username");

			if (!u || u->kind != CRQ_NODE_STRING)
				continue;
			crq__grow((void **)&r, &alloc, n + 1, sizeof(*r));
			r[n].login = u->str;
			r[n].state = "APPROVED";
			r[n].commit = crq_node_get_str(doc, "sha");
			snprintf(r[n].id, sizeof(r[n].id), "approval");
			n++;
		}
	} else {
		return crq_error__set(CRQ_EUSAGE,
			"unknown forge '%s' (github or gitlab)", forge);
	}
	*out = r;
	*count = n;
	return 0;
}

static const crq_node *member_by_handle(const crq_node *policy,
	const char *forge, const char *login)
{
	const crq_node *members = crq_node_get(policy, "members");
	size_t i;

	for (i = 0; members && i < members->count; i++) {
		const char *h = crq_node_path(members->items[i], "handles") ?
			crq_node_get_str(crq_node_get(members->items[i],
				"handles"), forge) : NULL;

		if (h && !strcmp(h, login))
			return members->items[i];
	}
	return NULL;
}

int crq_change_import_reviews(crq_repo *repo, const char *id,
	const char *forge, const char *pr, const crq_node *reviews,
	crq_issues *problems, size_t *imported)
{
	const crq_node *policy, *bot, *member, *action, *keys;
	struct review *rv = NULL;
	crq_node *doc = NULL, *then = NULL;
	crq_buf email = CRQ_BUF_INIT, key = CRQ_BUF_INIT, path = CRQ_BUF_INIT,
		msg = CRQ_BUF_INIT, now = CRQ_BUF_INIT, blob = CRQ_BUF_INIT;
	const crq_schema *schema;
	char digest[72], was[72];
	git_oid tip, rc;
	size_t n = 0, i, k;
	int err, unborn, met, mine = 0, locked = 0;

	*imported = 0;
	if ((err = read_reviews(&rv, &n, reviews, forge)) < 0 ||
	    (err = crq_store__email(&email, repo)) < 0 ||
	    (err = crq_store__signing_key(&key, repo)) < 0 ||
	    (err = crq_change_path(&path, repo, id)) < 0 ||
	    (err = crq_repo_change_schema(&schema, repo)) < 0 ||
	    (err = crq_store__lock(repo)) < 0)
		goto done;
	locked = 1;
	if ((err = crq_store__policy(&policy, repo)) < 0)
		goto done;
	/* the bot: a member the policy lets attest for this forge */
	bot = crq_policy__member(policy, email.ptr);
	keys = bot ? crq_node_get(bot, "keys") : NULL;
	for (k = 0; keys && k < keys->count; k++)
		if (crq_policy__key_is(keys->items[k]->str, key.ptr))
			mine = 1;
	if (!bot || !mine ||
	    !crq_policy__in_list(crq_node_get(bot, "attests"), forge)) {
		err = crq_error__set(CRQ_EDENIED,
			"%s may not attest %s reviews: the policy names no such bot with this key\n"
			"hint: a member entry with attests: [%s] and this signing key",
			email.ptr, forge, forge);
		goto done;
	}
	for (i = 0; i < n; i++) {
		if (strcmp(rv[i].state, "APPROVED"))
			continue;	/* the latest review is what counts */
		if (!(member = member_by_handle(policy, forge, rv[i].login))) {
			crq_issues_add(problems, NULL, rv[i].login,
				"%s reviewer '%s' maps to no member (handles.%s): not imported",
				forge, rv[i].login, forge);
			continue;
		}
		crq_node_free(doc);
		doc = NULL;
		crq_buf_clear(&msg);
		crq_buf_clear(&now);
		if ((err = crq_store__tip(repo, &tip, &unborn)) < 0 ||
		    (err = crq_change__load_at(&doc, repo, &tip, id, NULL,
				NULL)) < 0)
			goto done;
		/* stale: the reviewed commit must hold the content as it is */
		crq_buf_clear(&blob);
		crq_node_free(then);
		then = NULL;
		if (!rv[i].commit || git_oid_fromstr(&rc, rv[i].commit) < 0 ||
		    crq_store__read(repo, &rc, path.ptr, &blob, NULL) < 0 ||
		    crq_change_parse_with(&then, schema, blob.ptr, blob.size,
			path.ptr, NULL) < 0 ||
		    content_digest(was, repo, then) < 0 ||
		    content_digest(digest, repo, doc) < 0 ||
		    strcmp(was, digest)) {
			crq_error_clear();
			crq_issues_add(problems, NULL, rv[i].login,
				"%s's review %s is of %s, where %s differs from now: stale, not imported",
				rv[i].login, rv[i].id,
				rv[i].commit ? rv[i].commit : "an unknown commit",
				id);
			continue;
		}
		action = NULL;
		{
			int named;

			action = crq_policy__action(policy, "approve",
				crq_node_get_str(doc, "type"),
				crq_node_get_str(doc, "state"), &named);
		}
		if (!action || !crq_policy__in_list(crq_node_get(action, "from"),
				crq_node_get_str(doc, "state"))) {
			crq_issues_add(problems, NULL, rv[i].login,
				"%s cannot be approved in state %s: %s's review not imported",
				id, crq_node_get_str(doc, "state"), rv[i].login);
			continue;
		}
		crq_store__now(&now, repo);
		if ((err = record_decision(&met, repo, &tip, doc, action,
				member, "approved", NULL, now.ptr,
				digest)) < 0) {
			crq_issues_add(problems, NULL, rv[i].login, "%s",
				crq_error_last());
			err = 0;
			continue;
		}
		{
			char from[32];
			const char *to = met ? crq_node_get_str(action, "to") :
				NULL;

			snprintf(from, sizeof(from), "%s",
				crq_node_get_str(doc, "state"));
			if (to)
				crq_node_set(doc, "state", crq_node_new_cstr(to));
			crq_node_set(doc, "updated", crq_node_new_cstr(now.ptr));
			crq_change__message(&msg, id, "approve", doc, NULL,
				from, to ? to : from);
		}
		crq_buf_printf(&msg, "Crq-Digest: %s\nCrq-Forge: %s\n"
			"Crq-PR: %s\nCrq-Reviewer: %s\nCrq-Review-Id: %s\n"
			"Crq-Reviewed-Commit: %s\n", digest, forge,
			pr ? pr : "?", rv[i].login, rv[i].id, rv[i].commit);
		err = crq_change__write(repo, &tip, 0, path.ptr, doc, msg.ptr);
		if (err == CRQ_STORE_RACE)
			err = crq_error__set(CRQ_ECONFLICT,
				"%s: the branch moved; run the import again", id);
		if (err < 0)
			goto done;
		(*imported)++;
	}
	err = 0;
done:
	if (locked)
		crq_store__unlock(repo);
	free(rv);
	crq_node_free(doc);
	crq_node_free(then);
	crq_buf_dispose(&email);
	crq_buf_dispose(&key);
	crq_buf_dispose(&path);
	crq_buf_dispose(&msg);
	crq_buf_dispose(&now);
	crq_buf_dispose(&blob);
	return err;
}
