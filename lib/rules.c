/*
 * rules.c - the one rule engine: who may take which action from which
 * state, which fields it may change, what must be filled in first, the
 * guards at the step's time, approvals with their separation of duties,
 * and everything crq derives (state, timestamps, requester, priority,
 * review deadline, template fields).  Pure: the caller passes policy,
 * content, signer and time; the commands and verify both call it.
 */
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "rules.h"
#include "automation.h"
#include "calendar.h"
#include "policy.h"
#include "change.h"

void crq_rules_time(char out[32], long long t)
{
	time_t tt = (time_t)t;
	struct tm tm;

	gmtime_r(&tt, &tm);
	strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static int refuse(crq_rules_result *res, const char *rule, int code,
	const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static int refuse(crq_rules_result *res, const char *rule, int code,
	const char *fmt, ...)
{
	crq_buf msg = CRQ_BUF_INIT;
	va_list ap;

	va_start(ap, fmt);
	crq_buf_vprintf(&msg, fmt, ap);
	va_end(ap);
	if (res)
		res->rule = rule;
	crq_error__set(code, "%s", msg.ptr);
	crq_buf_dispose(&msg);
	return code;
}

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

/* Is there an expired grant of role (for a better message)? */
static const char *expired_grant(const crq_node *member, const char *role)
{
	const crq_node *roles = crq_node_get(member, "roles");
	long i = crq_node__find(roles, "role", role);

	return i < 0 ? NULL : crq_node_get_str(roles->items[i], "until");
}

/* Members who hold one of roles on day, "a, b" ("nobody"). */
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

/* ---- approvals ---- */

int crq_rules_digest(char out[72], const crq_schema *schema,
	const crq_node *doc)
{
	crq_node *c = crq_node_dup(doc);
	crq_buf text = CRQ_BUF_INIT;
	unsigned char md[32];
	unsigned int mdlen = 0;
	int err = 0, i, ruled = 0;

	/* what an approval covers: the change without its state,
	 * timestamps and approvals, in canonical form */
	crq_node_remove(c, "approvals");
	crq_node_remove(c, "state");
	crq_node_remove(c, "updated");
	crq_node_remove(c, "entered");
	/* what the automation rules and the work record is not the plan */
	crq_node_remove(c, "extra_approvals");
	crq_node_remove(c, "escalations");
	crq_node_remove(c, "deployments");
	{
		/* ticking a task off is progress, not a new plan; a task a
		 * rule added is the policy's, not the plan's */
		crq_node *tasks = crq_node_get(c, "tasks");
		size_t k;

		for (k = 0; tasks && tasks->kind == CRQ_NODE_ARRAY &&
				k < tasks->count; k++)
			if (tasks->items[k]->kind == CRQ_NODE_OBJECT &&
			    crq_node_get(tasks->items[k], "rule")) {
				crq_node_remove_at(tasks, k--);
				ruled = 1;
			} else if (tasks->items[k]->kind == CRQ_NODE_OBJECT) {
				crq_node_remove(tasks->items[k], "done");
				crq_node_remove(tasks->items[k], "done_by");
				crq_node_remove(tasks->items[k], "done_at");
			}
	}
	if (ruled && !crq_node_get(c, "tasks")->count)
		crq_node_remove(c, "tasks");
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
	/* what automation rules required of this change */
	{
		const crq_node *extra = crq_node_get(doc, "extra_approvals");

		for (i = 0; extra && extra->kind == CRQ_NODE_ARRAY &&
				i < extra->count; i++) {
			const char *role = crq_node_get_str(extra->items[i],
				"role");
			const crq_node *cnt = crq_node_get(extra->items[i],
				"count");
			crq_node *have = role ? crq_node_get(req, role) : NULL;

			if (role && cnt && cnt->kind == CRQ_NODE_INT &&
			    (!have || have->i < cnt->i))
				crq_node_set(req, role,
					crq_node_new_int(cnt->i));
		}
	}
	return req;
}

/* The approvals that still hold (same digest, distinct members) as a
 * role -> count object. */
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

/* Met when every requirement is held, and there is one at all: a
 * change no approval rule covers cannot be authorized by approvals. */
static int rules_met(const crq_node *req, const crq_node *held)
{
	size_t i;

	if (!req->count)
		return 0;
	for (i = 0; i < req->count; i++) {
		const crq_node *h = crq_node_get(held, req->keys[i]);

		if (!h || h->i < req->items[i]->i)
			return 0;
	}
	return 1;
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
		crq_buf_puts(out, req->count ? "nothing" :
			"an approval rule that covers it (none matches)");
}

int crq_rules_approved(crq_buf *missing, const crq_node *policy,
	const crq_schema *schema, const crq_node *doc)
{
	char digest[72];
	crq_node *req, *held;
	int err, met;

	if ((err = crq_rules_digest(digest, schema, doc)) < 0)
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

crq_node *crq_rules_missing(const crq_node *policy, const crq_schema *schema,
	const crq_node *doc)
{
	char digest[72];
	crq_node *req, *held, *out = crq_node_new(CRQ_NODE_OBJECT);
	size_t i;

	if (crq_rules_digest(digest, schema, doc) < 0)
		return out;
	req = requirements(policy, doc);
	held = approvals_held(doc, digest);
	for (i = 0; i < req->count; i++) {
		const crq_node *h = crq_node_get(held, req->keys[i]);
		long long miss = req->items[i]->i - (h ? h->i : 0);

		if (miss > 0)
			crq_node_set(out, req->keys[i], crq_node_new_int(miss));
	}
	crq_node_free(req);
	crq_node_free(held);
	return out;
}

const char *crq_rules_priority(const crq_node *policy, const crq_node *doc)
{
	const crq_node *m = crq_node_get(policy, "priority_matrix");
	const char *impact = crq_node_get_str(doc, "impact");
	const char *urgency = crq_node_get_str(doc, "urgency");

	if (!impact || !urgency || !m)
		return NULL;
	return crq_node_get_str(crq_node_get(m, impact), urgency);
}

/* Record the actor's decision on doc: separation of duties, the role it
 * counts for, one approval per member and content. */
static int record_decision(crq_rules_result *res, const crq_rules_step *st,
	crq_node *doc, const char *day, const char *now)
{
	const crq_node *member = res->actor, *action = res->action_def;
	const char *email = crq_node_get_str(member, "email");
	const char *id = crq_node_get_str(doc, "id");
	const char *requester = crq_node_get_str(doc, "requester");
	const crq_node *roles = crq_node_get(action, "roles");
	const char *want = st->role, *role = NULL;
	int approve = res->decision == 1;
	const char *verb = approve ? "approve" : "reject";
	crq_node *req = NULL, *held = NULL, *a, *apps;
	crq_buf hint = CRQ_BUF_INIT;
	size_t i;
	int err = 0;

	if ((err = crq_rules_digest(res->digest, st->schema, doc)) < 0)
		goto done;
	if (requester && !strcmp(requester, email)) {
		err = refuse(res, "self-approval", CRQ_EDENIED,
			"%s may not %s %s: the requester cannot decide on their own change\n"
			"hint: separation of duties; another member must",
			email, verb, id);
		goto done;
	}
	if (st->editors && crq_node_get(st->editors, email)) {
		err = refuse(res, "separation", CRQ_EDENIED,
			"%s may not %s %s: they changed it since the last approval\n"
			"hint: separation of duties; another member must",
			email, verb, id);
		goto done;
	}
	if (want && !crq_policy__has_role(member, want, day)) {
		const char *until = expired_grant(member, want);

		if (until)
			err = refuse(res, "approvals", CRQ_EDENIED,
				"%s may not %s %s as %s: the grant expired on %s",
				email, verb, id, want, until);
		else
			err = refuse(res, "approvals", CRQ_EDENIED,
				"%s may not %s %s as %s: they do not hold that role",
				email, verb, id, want);
		goto done;
	}
	req = requirements(st->policy, doc);
	held = approvals_held(doc, res->digest);
	apps = crq_node_get(doc, "approvals");
	for (i = 0; approve && apps && i < apps->count; i++) {
		const char *by = crq_node_get_str(apps->items[i], "by");
		const char *dig = crq_node_get_str(apps->items[i], "digest");

		if (by && dig && !strcmp(by, email) &&
		    !strcmp(dig, res->digest)) {
			err = refuse(res, "approvals", CRQ_EDENIED,
				"%s already approved %s as it stands\n"
				"hint: approvals count distinct members",
				email, id);
			goto done;
		}
	}
	/* the role this decision is taken in: an open requirement */
	for (i = 0; i < req->count && !role; i++) {
		const char *r = req->keys[i];
		const crq_node *h = crq_node_get(held, r);

		if ((want && strcmp(want, r)) ||
		    !crq_policy__in_list(roles, r) ||
		    !crq_policy__has_role(member, r, day))
			continue;
		if (!approve || !h || h->i < req->items[i]->i)
			role = r;
	}
	if (!role && !approve) {
		for (i = 0; roles && i < roles->count && !role; i++)
			if ((!want || !strcmp(want, roles->items[i]->str)) &&
			    crq_policy__has_role(member, roles->items[i]->str,
				day))
				role = roles->items[i]->str;
	}
	if (!role) {
		still_needed(&hint, req, held);
		err = refuse(res, "approvals", CRQ_EDENIED,
			"%s's approval is not needed for %s: no open requirement for %s\n"
			"hint: still needed: %s",
			email, id, want ? want : "any of their roles",
			crq_buf_cstr(&hint));
		goto done;
	}
	snprintf(res->role, sizeof(res->role), "%s", role);
	a = crq_node_new(CRQ_NODE_OBJECT);
	crq_node_set(a, "by", crq_node_new_cstr(email));
	crq_node_set(a, "role", crq_node_new_cstr(role));
	crq_node_set(a, "decision", crq_node_new_cstr(approve ? "approved" :
		"rejected"));
	crq_node_set(a, "at", crq_node_new_cstr(now));
	crq_node_set(a, "digest", crq_node_new_cstr(res->digest));
	if (!(apps = crq_node_get(doc, "approvals"))) {
		crq_node_set(doc, "approvals", crq_node_new(CRQ_NODE_ARRAY));
		apps = crq_node_get(doc, "approvals");
	}
	crq_node_push(apps, a);
	crq_node_free(held);
	held = approvals_held(doc, res->digest);
	res->met = approve && rules_met(req, held);
done:
	crq_node_free(req);
	crq_node_free(held);
	crq_buf_dispose(&hint);
	return err;
}

/* ---- fields ---- */

/* sets names field itself, not through '*'. */
static int names_field(const crq_node *sets, const char *field)
{
	size_t i;

	for (i = 0; sets && sets->kind == CRQ_NODE_ARRAY && i < sets->count;
	     i++)
		if (sets->items[i]->kind == CRQ_NODE_STRING &&
		    !strcmp(sets->items[i]->str, field))
			return 1;
	return 0;
}

/* Is v "not filled in": absent, null, "", [] or {}? */
static int missing(const crq_node *v)
{
	return !v || v->kind == CRQ_NODE_NULL ||
		(v->kind == CRQ_NODE_STRING && !v->len) ||
		((v->kind == CRQ_NODE_ARRAY || v->kind == CRQ_NODE_OBJECT) &&
		 !v->count);
}

static int check_requires(crq_rules_result *res, const crq_node *action,
	const crq_node *doc, const char *name)
{
	const crq_node *req = crq_node_get(action, "requires");
	const char *id = crq_node_get_str(doc, "id");
	size_t i;

	for (i = 0; req && i < req->count; i++) {
		const char *f = req->items[i]->str;

		if (!missing(crq_node_path(doc, f)))
			continue;
		/* a field the step itself sets is given with it
		 * (crq complete ID --close-code C) */
		if (names_field(crq_node_get(action, "sets"), f)) {
			char opt[64];
			size_t k;

			snprintf(opt, sizeof(opt), "%s", f);
			for (k = 0; opt[k]; k++)
				if (opt[k] == '_')
					opt[k] = '-';
			return refuse(res, "required-field", CRQ_EDENIED,
				"cannot %s %s: '%s' is missing\n"
				"hint: crq %s %s --%s ...", name, id, f, name,
				id, opt);
		}
		return refuse(res, "required-field", CRQ_EDENIED,
			"cannot %s %s: '%s' is missing\n"
			"hint: crq set %s %s=...", name, id, f, id, f);
	}
	return 0;
}

static int same(const crq_node *a, const crq_node *b)
{
	return (!a) == (!b) && (!a || crq_node_equal(a, b));
}

/* May action set field (its policy entry's `sets`, '*' for all)? */
/* The first action of policy naming field in its sets, or NULL. */
static const char *named_by(const crq_node *policy, const char *field)
{
	const crq_node *acts = crq_node_path(policy, "workflow.actions");
	size_t i;

	for (i = 0; acts && acts->kind == CRQ_NODE_ARRAY && i < acts->count;
	     i++)
		if (names_field(crq_node_get(acts->items[i], "sets"), field))
			return crq_node_get_str(acts->items[i], "name");
	return NULL;
}

/*
 * May action change field?  Its sets names it, or holds '*'.  But what
 * a step records (the close code complete and fail give, the review,
 * the implementer a schedule names) belongs to the actions that name
 * it: when one of the policy's actions names such a field, '*' (create,
 * edit) does not reach it, or a requester could write the close code
 * or the review into the draft and the step would find it there.
 */
static int may_set(const crq_node *policy, const crq_node *action,
	const char *field)
{
	static const char *const recorded[] = {
		"close_code", "review", "implementer", NULL
	};
	const crq_node *sets = crq_node_get(action, "sets");
	size_t k;

	if (names_field(sets, field))
		return 1;
	for (k = 0; recorded[k]; k++)
		if (!strcmp(recorded[k], field) && named_by(policy, field))
			return 0;
	return crq_policy__in_list(sets, field);
}

/* The first task owner of tasks who is not a member of policy. */
static const char *task_nonmember(const crq_node *policy,
	const crq_node *tasks)
{
	const crq_node *o;
	size_t i;

	for (i = 0; tasks->kind == CRQ_NODE_ARRAY && i < tasks->count; i++) {
		o = crq_node_get(tasks->items[i], "owner");
		if (o && o->kind == CRQ_NODE_STRING &&
		    !crq_policy__member(policy, o->str))
			return o->str;
	}
	return NULL;
}

/* No task in the list is done (or says who did it). */
static int tasks_undone(const crq_node *tasks)
{
	size_t i;

	for (i = 0; tasks->kind == CRQ_NODE_ARRAY && i < tasks->count; i++) {
		const crq_node *t = tasks->items[i], *d;

		if (t->kind != CRQ_NODE_OBJECT)
			continue;
		d = crq_node_get(t, "done");
		if ((d && d->kind == CRQ_NODE_BOOL && d->b) ||
		    crq_node_get(t, "done_by") || crq_node_get(t, "done_at"))
			return 0;
	}
	return 1;
}

/* Does a task of the list name a role?  (The tasks automation rules
 * add are taken out of a step's input before it is judged.) */
static int tasks_with_role(const crq_node *tasks)
{
	size_t i;

	for (i = 0; tasks->kind == CRQ_NODE_ARRAY && i < tasks->count; i++)
		if (tasks->items[i]->kind == CRQ_NODE_OBJECT &&
		    crq_node_get(tasks->items[i], "role"))
			return 1;
	return 0;
}

static int task_done(const crq_node *t)
{
	const crq_node *d = crq_node_get(t, "done");

	return d && d->kind == CRQ_NODE_BOOL && d->b;
}

/* A task without what marking it done records. */
static crq_node *task_plan(const crq_node *t)
{
	crq_node *c = crq_node_dup(t);

	if (c->kind == CRQ_NODE_OBJECT) {
		crq_node_remove(c, "done");
		crq_node_remove(c, "done_by");
		crq_node_remove(c, "done_at");
	}
	return c;
}

/*
 * A task step (the action's `tasks`): add appends exactly one task, not
 * done, whose owner is a member; done and reopen mark exactly one task
 * and change nothing else of it.  crq records who marked it done and
 * when.  Taken without a role of the action (`owner: true`), only the
 * task's owner may.
 */
static int check_tasks(crq_rules_result *res, const crq_rules_step *st,
	crq_node *after, const char *email, const char *now)
{
	const char *op = crq_node_get_str(res->action_def, "tasks");
	const crq_node *bt = st->before ? crq_node_get(st->before, "tasks") :
		NULL;
	const crq_node *it = st->input ? crq_node_get(st->input, "tasks") :
		NULL;
	const char *id = crq_node_get_str(after, "id");
	size_t nb = bt && bt->kind == CRQ_NODE_ARRAY ? bt->count : 0;
	size_t ni = it && it->kind == CRQ_NODE_ARRAY ? it->count : 0;
	size_t i, which = 0, changed = 0;
	crq_node *list;

	if (!op) {
		if (res->by_owner)
			return refuse(res, "role", CRQ_EDENIED,
				"%s may not %s %s: only a task step may be taken by a task's owner",
				email, st->action, id);
		return 0;
	}
	if (!strcmp(op, "add")) {
		const crq_node *t, *owner;

		if (ni != nb + 1)
			return refuse(res, "tasks", CRQ_EDENIED,
				"%s adds one task to %s", st->action, id);
		for (i = 0; i < nb; i++)
			if (!crq_node_equal(bt->items[i], it->items[i]))
				return refuse(res, "tasks", CRQ_EDENIED,
					"%s may not change task %zu of %s",
					st->action, i + 1, id);
		t = it->items[nb];
		if (crq_node__control_char(t))
			return refuse(res, "control-character", CRQ_EINVALID,
				"a task of %s holds a control character (U+%04X)",
				id, crq_node__control_char(t));
		if (t->kind != CRQ_NODE_OBJECT || task_done(t) ||
		    crq_node_get(t, "done_by") || crq_node_get(t, "done_at"))
			return refuse(res, "tasks", CRQ_EDENIED,
				"a new task of %s is not done yet", id);
		owner = crq_node_get(t, "owner");
		if (owner && owner->kind == CRQ_NODE_STRING &&
		    !crq_policy__member(st->policy, owner->str))
			return refuse(res, "task-owner", CRQ_EDENIED,
				"the owner of a task of %s must be a member: '%s' is not",
				id, owner->str);
		if (crq_node_get(t, "role"))
			return refuse(res, "task-owner", CRQ_EDENIED,
				"a task of %s is given to a role only by an automation rule (add_task owner_role)\n"
				"hint: --owner names the member who owns it", id);
		if (res->by_owner)
			return refuse(res, "role", CRQ_EDENIED,
				"%s may not add tasks to %s: needs a role of '%s'",
				email, id, st->action);
		crq_node_set(after, "tasks", crq_node_dup(it));
		res->task = nb + 1;
		return 0;
	}
	/* done or reopen: one task, its done state only */
	if (ni != nb)
		return refuse(res, "tasks", CRQ_EDENIED,
			"%s marks one task of %s; it adds or removes none",
			st->action, id);
	for (i = 0; i < nb; i++) {
		crq_node *a, *b;
		int same_plan;

		if (crq_node_equal(bt->items[i], it->items[i]))
			continue;
		a = task_plan(bt->items[i]);
		b = task_plan(it->items[i]);
		same_plan = crq_node_equal(a, b);
		crq_node_free(a);
		crq_node_free(b);
		if (!same_plan)
			return refuse(res, "tasks", CRQ_EDENIED,
				"%s may not change task %zu of %s but its done state",
				st->action, i + 1, id);
		if (task_done(bt->items[i]) == task_done(it->items[i]))
			continue;	/* who and when: crq's to write */
		which = i + 1;
		changed++;
	}
	if (changed != 1 || (!strcmp(op, "done") ?
			!task_done(it->items[which - 1]) :
			task_done(it->items[which - 1])))
		return refuse(res, "tasks", CRQ_EDENIED,
			"%s marks exactly one task of %s %s", st->action, id,
			!strcmp(op, "done") ? "done" : "not done");
	if (res->by_owner) {
		const char *owner = crq_node_get_str(bt->items[which - 1],
			"owner");
		const char *role = crq_node_get_str(bt->items[which - 1],
			"role");
		char day[32];

		crq_rules_time(day, st->time);
		day[10] = '\0';
		/* a task given to a role: any member holding it owns it */
		if (role && crq_policy__has_role(res->actor, role, day))
			owner = email;
		if (!owner || strcmp(owner, email)) {
			crq_buf roles = CRQ_BUF_INIT;

			join_list(&roles, crq_node_get(res->action_def, "roles"),
				", ", " or ");
			refuse(res, "role", CRQ_EDENIED,
				"%s may not %s task %zu of %s: needs role %s, or to own the task",
				email, !strcmp(op, "done") ? "mark done" : "reopen",
				which, id, crq_buf_cstr(&roles));
			crq_buf_dispose(&roles);
			return CRQ_EDENIED;
		}
	}
	list = crq_node_dup(bt);
	{
		crq_node *t = list->items[which - 1];

		crq_node_remove(t, "done");
		crq_node_remove(t, "done_by");
		crq_node_remove(t, "done_at");
		if (!strcmp(op, "done")) {
			crq_node_set(t, "done", crq_node_new_bool(1));
			crq_node_set(t, "done_by", crq_node_new_cstr(email));
			crq_node_set(t, "done_at", crq_node_new_cstr(now));
		}
	}
	crq_node_set(after, "tasks", list);
	res->task = which;
	return 0;
}

/* Every task of the phases the action requires done. */
static int check_task_phases(crq_rules_result *res, const crq_node *action,
	const crq_node *doc, const char *name)
{
	const crq_node *req = crq_node_get(action, "requires_tasks");
	const crq_node *tasks = crq_node_get(doc, "tasks");
	const char *id = crq_node_get_str(doc, "id");
	crq_buf open = CRQ_BUF_INIT;
	size_t i, n = 0;
	int err = 0;

	for (i = 0; req && tasks && tasks->kind == CRQ_NODE_ARRAY &&
			i < tasks->count; i++) {
		const char *ph = crq_node_get_str(tasks->items[i], "phase");

		if (ph && crq_policy__in_list(req, ph) &&
		    !task_done(tasks->items[i]))
			crq_buf_printf(&open, "%s%zu '%s'", n++ ? ", " : "",
				i + 1, crq_node_get_str(tasks->items[i],
					"title"));
	}
	if (n)
		err = refuse(res, "requires-tasks", CRQ_EDENIED,
			"cannot %s %s: %s of the phases it needs %s not done: %s\n"
			"hint: crq task done %s N",
			name, id, n == 1 ? "a task" : "tasks", n == 1 ? "is" :
			"are", open.ptr, id);
	crq_buf_dispose(&open);
	return err;
}

/*
 * Take the fields the person set from input into after (a copy of
 * before): only those the action's `sets` lists, never a derived one,
 * never one a standard change's template fixes.
 */
static int apply_input(crq_rules_result *res, const crq_rules_step *st,
	crq_node *after, const char *type, crq_node *deferred)
{
	const crq_node *in = st->input, *before = st->before;
	const crq_node *tmpl = st->template_doc;
	const char *tname = before ? crq_node_get_str(before, "template") :
		st->template_name;
	crq_node *keys = crq_node_new(CRQ_NODE_OBJECT);
	const crq_node *side[2] = { before, in };
	size_t i, k;
	int s, err = 0;

	for (s = 0; s < 2; s++)
		for (i = 0; side[s] && i < side[s]->count; i++)
			crq_node_set(keys, side[s]->keys[i],
				crq_node_new_bool(1));
	for (k = 0; k < keys->count; k++) {
		const char *f = keys->keys[k];
		const crq_node *a = before ? crq_node_get(before, f) : NULL;
		const crq_node *b = in ? crq_node_get(in, f) : NULL;
		const crq_node *t = tmpl && strcmp(type, "standard") == 0 ?
			crq_node_get(tmpl, f) : NULL;

		if (crq_policy__derived(f)) {
			if (!st->input_full && !same(a, b)) {
				err = refuse(res, "derived-field", CRQ_EDENIED,
					"field '%s' is set by crq, not by hand",
					f);
				goto done;
			}
			continue;
		}
		if (!strcmp(f, "tasks") && crq_node_get(res->action_def,
				"tasks")) {
			continue;	/* check_tasks() */
		}
		if (!strcmp(f, "deployments")) {
			if (crq_node_get(res->action_def, "deployments"))
				continue;	/* check_deployments() */
			if (!same(a, b)) {
				err = refuse(res, "deployments", CRQ_EDENIED,
					"'%s' may not change the deployments\n"
					"hint: crq deploy records one", st->action);
				goto done;
			}
			continue;
		}
		if (!strcmp(f, "tasks") && before && !same(a, b)) {
			err = refuse(res, "tasks", CRQ_EDENIED,
				"'%s' may not change the tasks\n"
				"hint: crq task add, crq task done and crq task reopen do",
				st->action);
			goto done;
		}
		if (!strcmp(f, "tasks") && !before && b &&
		    tasks_with_role(b)) {
			err = refuse(res, "task-owner", CRQ_EDENIED,
				"a task is given to a role only by an automation rule (add_task owner_role)");
			goto done;
		}
		if (!strcmp(f, "tasks") && !before && b &&
		    !tasks_undone(b)) {
			err = refuse(res, "tasks", CRQ_EDENIED,
				"a new change's tasks are not done yet\n"
				"hint: crq task done marks one");
			goto done;
		}
		if (!strcmp(f, "tasks") && !before && b &&
		    task_nonmember(st->policy, b)) {
			err = refuse(res, "task-owner", CRQ_EDENIED,
				"the owner of a task of a new change must be a member: '%s' is not",
				task_nonmember(st->policy, b));
			goto done;
		}
		if (!strcmp(f, "type")) {
			if (before && !same(a, b)) {
				err = refuse(res, "type-changed", CRQ_EDENIED,
					"a change's type cannot change");
				goto done;
			}
			if (!before && b)
				crq_node_set(after, f, crq_node_dup(b));
			continue;
		}
		if (t && strcmp(f, "title")) {
			/* a standard change is its template: fixed fields */
			if (b && !crq_node_equal(b, t)) {
				err = refuse(res, "template", CRQ_EDENIED,
					"'%s' of a standard change comes from its template '%s'\n"
					"hint: raise a normal change to do otherwise",
					f, tname ? tname : "?");
				goto done;
			}
			continue;
		}
		if (same(a, b))
			continue;
		/* a committed step: a field an automation rule may set is
		 * judged once the rules have fired */
		if (st->input_full && !may_set(st->policy, res->action_def, f) &&
		    crq_policy__in_list(crq_node_get(st->policy,
			"rule_settable"), f) && !crq_policy__unsettable(f)) {
			crq_node_set(deferred, f, crq_node_new_bool(1));
			continue;
		}
		if (!may_set(st->policy, res->action_def, f)) {
			/* '*' would have it: another step records it */
			const char *by = crq_policy__in_list(crq_node_get(
				res->action_def, "sets"), f) ?
				named_by(st->policy, f) : NULL;

			err = by ? refuse(res, "changed-field", CRQ_EDENIED,
				"'%s' may not change '%s': the '%s' step records it\n"
				"hint: crq %s ID records it when the change gets there",
				st->action, f, by, by) :
				refuse(res, "changed-field", CRQ_EDENIED,
				"'%s' may not change '%s'\n"
				"hint: the fields an action may change are its 'sets' in the policy",
				st->action, f);
			goto done;
		}
		if (b && crq_node__control_char(b)) {
			err = refuse(res, "control-character", CRQ_EINVALID,
				"'%s' holds a control character (U+%04X): it would reach other members' terminals\n"
				"hint: only tab and newline are allowed in text",
				f, crq_node__control_char(b));
			goto done;
		}
		if (b)
			crq_node_set(after, f, crq_node_dup(b));
		else
			crq_node_remove(after, f);
	}
done:
	crq_node_free(keys);
	return err;
}

/* ---- guards ---- */

/* The calendar's tolerance for starting early (in-window). */
long long crq_rules_start_tolerance(const crq_node *policy)
{
	const char *t = crq_node_get_str(crq_node_get(policy, "calendar"),
		"start_tolerance");
	long long d = t ? crq_cal__duration(t) : -1;

	return d >= 0 ? d : 15 * 60;
}

/* calendar.collisions: warn lets a colliding step stand (the command
 * warns); refuse, the default, does not. */
static int collisions_warned(const crq_node *policy)
{
	const char *mode = crq_node_get_str(crq_node_get(policy, "calendar"),
		"collisions");

	return mode && !strcmp(mode, "warn");
}

/* no-collision: another scheduled or implementing change whose window
 * overlaps doc's on a related service or with the same implementer. */
static int check_collision(crq_rules_result *res, const crq_node *policy,
	const crq_node *doc, const crq_node *others, const char *name)
{
	const char *id = crq_node_get_str(doc, "id");
	const char *w;
	size_t i;

	if (collisions_warned(policy))
		return 0;
	for (i = 0; others && i < others->count; i++) {
		const crq_node *o = others->items[i];
		const char *oid = crq_node_get_str(o, "id");

		if (!oid || (id && !strcmp(oid, id)))
			continue;
		if (crq_cal__collides(policy, doc, o, CRQ_CAL_SERVICE, &w))
			return refuse(res, "no-collision", CRQ_EDENIED,
				"cannot %s %s: its window overlaps %s (%s, %s to %s) on service '%s'\n"
				"hint: crq calendar --service %s shows the windows taken",
				name, id, oid, crq_node_get_str(o, "state"),
				crq_node_path(o, "window.start")->str,
				crq_node_path(o, "window.end")->str, w, w);
		if (crq_cal__collides(policy, doc, o, CRQ_CAL_IMPLEMENTER, &w))
			return refuse(res, "no-collision", CRQ_EDENIED,
				"cannot %s %s: its implementer %s is booked on %s then (%s to %s)\n"
				"hint: another window, or --implementer someone else",
				name, id, w, oid,
				crq_node_path(o, "window.start")->str,
				crq_node_path(o, "window.end")->str);
	}
	return 0;
}

/* The action's guards at the step's time: no-freeze (the change's
 * window, or the moment itself when it has none, overlaps no freeze
 * that applies to it; an action that starts the work is also refused
 * inside a freeze, whatever its window), window-ahead (the window
 * starts later), in-window (the moment is inside the window, give or
 * take the start tolerance) and no-collision. */
static int check_guards(crq_rules_result *res, const crq_rules_step *st,
	const crq_node *action, const crq_node *doc)
{
	const crq_node *policy = st->policy;
	const char *name = st->action;
	long long now = st->time;
	const crq_node *guards = crq_node_get(action, "guards");
	const char *id = crq_node_get_str(doc, "id");
	const crq_node *ws = crq_node_path(doc, "window.start");
	const crq_node *we = crq_node_path(doc, "window.end");
	const char *to = crq_node_get_str(action, "to");
	int starts = to && !strcmp(to, "implementing");
	/* a deployment happens now: the moment counts, not the window */
	int deploys = crq_node_get(action, "deployments") != NULL;
	long long a, b;

	if (!guards || !guards->count)
		return 0;
	a = b = now;
	if (ws && we && ws->kind == CRQ_NODE_STRING &&
	    we->kind == CRQ_NODE_STRING &&
	    (crq_store__parse_time(ws->str, &a) < 0 ||
	     crq_store__parse_time(we->str, &b) < 0))
		return refuse(res, "guard", CRQ_EINVALID,
			"%s: the window is not a pair of RFC 3339 times", id);
	if (a > b)
		return refuse(res, "guard", CRQ_EDENIED,
			"cannot %s %s: the window ends before it starts", name,
			id);
	if (crq_policy__in_list(guards, "window-ahead") && ws && a <= now)
		return refuse(res, "window-ahead", CRQ_EDENIED,
			"cannot %s %s: the window starts in the past (%s)\n"
			"hint: crq %s %s --start LATER --end LATER", name, id,
			ws->str, name, id);
	if (crq_policy__in_list(guards, "no-collision") && ws &&
	    check_collision(res, policy, doc, st->others, name) < 0)
		return CRQ_EDENIED;
	if (crq_policy__in_list(guards, "no-freeze")) {
		const crq_node *f;

		if (!deploys && (f = crq_cal__freeze_in(policy, doc, a, b)))
			return refuse(res, "no-freeze", CRQ_EDENIED,
				"cannot %s %s: %s overlaps the freeze '%s' (%s to %s)\n"
				"hint: choose a window outside it, or an emergency change",
				name, id, ws ? "its window" : "now",
				crq_node_get_str(f, "name"),
				crq_node_get_str(f, "start"),
				crq_node_get_str(f, "end"));
		/* work starts (or goes out) now, whatever the window says */
		if ((starts || deploys) &&
		    (f = crq_cal__freeze_in(policy, doc, now, now)))
			return refuse(res, "no-freeze", CRQ_EDENIED,
				"cannot %s %s now: it is inside the freeze '%s' (%s to %s)\n"
				"hint: wait until it ends, or raise an emergency change",
				name, id, crq_node_get_str(f, "name"),
				crq_node_get_str(f, "start"),
				crq_node_get_str(f, "end"));
	}
	if (crq_policy__in_list(guards, "in-window")) {
		long long tol = crq_rules_start_tolerance(policy);
		char nowtext[32], tt[32];

		crq_rules_time(nowtext, now);
		crq_cal__duration_text(tt, tol);
		if (!ws)
			return refuse(res, "in-window", CRQ_EDENIED,
				"cannot %s %s: it has no window\n"
				"hint: crq schedule %s --start T --end T", name,
				id, id);
		if (now < a - tol)
			return refuse(res, "in-window", CRQ_EDENIED,
				"cannot %s %s now (%s): its window opens at %s, and work may start %s before at most\n"
				"hint: wait for the window, or reschedule: crq schedule %s --start T --end T",
				name, id, nowtext, ws->str, tt, id);
		if (now > b)
			return refuse(res, "in-window", CRQ_EDENIED,
				"cannot %s %s now (%s): its window closed at %s\n"
				"hint: reschedule it: crq schedule %s --start T --end T",
				name, id, nowtext, we->str, id);
	}
	return 0;
}

int crq_rules_refuses_collisions(const crq_node *policy)
{
	const crq_node *acts = crq_node_path(policy, "workflow.actions");
	size_t i;

	if (collisions_warned(policy))
		return 0;
	for (i = 0; acts && acts->kind == CRQ_NODE_ARRAY && i < acts->count;
			i++)
		if (crq_policy__in_list(crq_node_get(acts->items[i], "guards"),
				"no-collision"))
			return 1;
	return 0;
}

int crq_rules_wants_calendar(const crq_node *policy, const char *action,
	const crq_node *before)
{
	int named;
	const crq_node *act = crq_policy__action(policy, action,
		before ? crq_node_get_str(before, "type") : "normal",
		before ? crq_node_get_str(before, "state") : NULL, &named);

	return act && crq_policy__in_list(crq_node_get(act, "guards"),
		"no-collision");
}

/* What a change names: its services from the catalogue (when there is
 * one), its implementer a member who may start the work. */
static int check_names(crq_rules_result *res, const crq_rules_step *st,
	const crq_node *after)
{
	const crq_node *policy = st->policy, *before = st->before;
	const crq_node *svc = crq_node_get(after, "services");
	const char *id = crq_node_get_str(after, "id");
	const char *who = crq_node_get_str(after, "implementer");
	char day[32];
	size_t i;

	crq_rules_time(day, st->time);
	day[10] = '\0';
	if (crq_node_get(policy, "services") && svc &&
	    svc->kind == CRQ_NODE_ARRAY && !same(svc, before ?
			crq_node_get(before, "services") : NULL))
		for (i = 0; i < svc->count; i++)
			if (svc->items[i]->kind == CRQ_NODE_STRING &&
			    !crq_cal__service(policy, svc->items[i]->str))
				return refuse(res, "unknown-service",
					CRQ_EDENIED,
					"%s names service '%s', which is not in the policy's services catalogue\n"
					"hint: crq policy show lists the services",
					id, svc->items[i]->str);
	/* the work is started by the implementer it was scheduled for */
	{
		const char *to = crq_node_get_str(res->action_def, "to");
		const char *me = crq_node_get_str(res->actor, "email");
		const char *was = before ? crq_node_get_str(before,
			"implementer") : NULL;

		if (to && !strcmp(to, "implementing") && was && me &&
		    strcmp(was, me))
			return refuse(res, "implementer", CRQ_EDENIED,
				"%s may not %s %s: it is scheduled for %s to implement\n"
				"hint: crq schedule %s --start T --end T --implementer %s",
				me, st->action, id, was, id, me);
	}
	if (who && (!before || !crq_node_get_str(before, "implementer") ||
		    strcmp(who, crq_node_get_str(before, "implementer")))) {
		const crq_node *m = crq_policy__member(policy, who);
		int named;
		const crq_node *start = crq_policy__action(policy, "start",
			crq_node_get_str(after, "type"), "scheduled", &named);
		const crq_node *roles = start ? crq_node_get(start, "roles") :
			NULL;
		int may = !roles;

		for (i = 0; m && roles && i < roles->count; i++)
			if (roles->items[i]->kind == CRQ_NODE_STRING &&
			    crq_policy__has_role(m, roles->items[i]->str, day))
				may = 1;
		if (!m || !may)
			return refuse(res, "implementer", CRQ_EDENIED,
				"the implementer of %s must be a member who may start it: '%s' %s",
				id, who, m ? "holds none of the start action's roles" :
				"is not a member");
	}
	return 0;
}

/* ---- who ---- */

/* The signing member (by key and committer), and the member acting:
 * the signer, or the reviewer a bot attests for. */
static int identify(crq_rules_result *res, const crq_rules_step *st)
{
	const crq_node *policy = st->policy, *m, *owner;

	m = crq_policy__member(policy, st->signer_email);
	owner = crq_policy__key_owner(policy, st->signer_key);
	if (!m && !owner)
		return refuse(res, "unknown-key", CRQ_EDENIED,
			"'%s' is not a member of this store\n"
			"hint: an admin adds members with 'crq member add'",
			st->signer_email);
	if (!owner || owner != m)
		return refuse(res, owner ? "committer" : "unknown-key",
			CRQ_EDENIED,
			"the signing key is not a key of member '%s'%s%s\n"
			"hint: an admin adds it with 'crq member add' or the policy's keys",
			st->signer_email, owner ? ": it is " : "",
			owner ? crq_node_get_str(owner, "email") : "");
	res->signer = res->actor = m;
	if (!st->forge)
		return 0;
	if (!crq_policy__in_list(crq_node_get(m, "attests"), st->forge))
		return refuse(res, "attestation", CRQ_EDENIED,
			"%s may not attest %s reviews: the policy names no such bot with this key\n"
			"hint: a member entry with attests: [%s] and this signing key",
			st->signer_email, st->forge, st->forge);
	if (strcmp(st->action, "approve"))
		return refuse(res, "attestation", CRQ_EDENIED,
			"an attested %s review is an approval, not '%s'",
			st->forge, st->action);
	if (!st->reviewer || !(res->actor = crq_policy__by_handle(policy,
			st->forge, st->reviewer)))
		return refuse(res, "attestation", CRQ_EDENIED,
			"%s reviewer '%s' maps to no member (handles.%s)",
			st->forge, st->reviewer ? st->reviewer : "?",
			st->forge);
	return 0;
}

/* The action for the change's type and state, and a role to take it. */
static int allow(crq_rules_result *res, const crq_rules_step *st,
	const char *type, const char *state, const char *id, const char *day)
{
	const crq_node *act, *roles, *member = res->actor;
	const char *email = crq_node_get_str(member, "email");
	const char *name = st->action;
	crq_buf hint = CRQ_BUF_INIT;
	size_t i;
	int named, err;

	act = crq_policy__action(st->policy, name, type, state, &named);
	if (!act) {
		action_names(&hint, st->policy, type);
		err = refuse(res, "illegal-action",
			named ? CRQ_EDENIED : CRQ_EINVALID,
			"%s '%s' for %s changes\nhint: actions: %s",
			named ? "the policy has no action" : "no action", name,
			type, crq_buf_cstr(&hint));
		goto done;
	}
	if (state && !crq_policy__in_list(crq_node_get(act, "from"), state)) {
		join_list(&hint, crq_node_get(act, "from"), ", ", " or ");
		err = refuse(res, "illegal-action", CRQ_EDENIED,
			"cannot %s %s: it is %s\nhint: %s is allowed from %s",
			name, id ? id : "the change", state, name,
			crq_buf_cstr(&hint));
		goto done;
	}
	res->action_def = act;
	roles = crq_node_get(act, "roles");
	for (i = 0; roles && i < roles->count; i++)
		if (crq_policy__has_role(member, roles->items[i]->str, day)) {
			/* the role it is taken in (a decision names its own) */
			snprintf(res->role, sizeof(res->role), "%s",
				roles->items[i]->str);
			err = 0;
			goto done;
		}
	if (crq_node_get(act, "owner") && crq_node_get(act, "owner")->b) {
		/* decided once the task is known (check_tasks) */
		res->by_owner = 1;
		err = 0;
		goto done;
	}
	for (i = 0; roles && i < roles->count; i++) {
		const char *until = expired_grant(member, roles->items[i]->str);

		if (until) {
			err = refuse(res, "role", CRQ_EDENIED,
				"%s may not %s %s: the %s role expired on %s\n"
				"hint: an admin renews it with 'crq role grant %s %s --until DATE'",
				email, name, id ? id : "changes",
				roles->items[i]->str, until, email,
				roles->items[i]->str);
			goto done;
		}
	}
	join_list(&hint, roles, ", ", " or ");
	crq_buf_puts(&hint, "\nhint: members who may: ");
	who_may(&hint, st->policy, roles, day);
	err = refuse(res, "role", CRQ_EDENIED, "%s may not %s %s: needs role %s",
		email, name, id ? id : "changes", crq_buf_cstr(&hint));
done:
	crq_buf_dispose(&hint);
	return err;
}

/* ---- automation, escalation, deployments ---- */

/* Does input hold tasks past before's that a rule added? */
static int has_rule_tasks(const crq_node *input, const crq_node *before)
{
	const crq_node *tasks = input->kind == CRQ_NODE_OBJECT ?
		crq_node_get(input, "tasks") : NULL;
	const crq_node *bt = before ? crq_node_get(before, "tasks") : NULL;
	size_t i = bt && bt->kind == CRQ_NODE_ARRAY ? bt->count : 0;

	for (; tasks && tasks->kind == CRQ_NODE_ARRAY && i < tasks->count;
			i++)
		if (tasks->items[i]->kind == CRQ_NODE_OBJECT &&
		    crq_node_get(tasks->items[i], "rule"))
			return 1;
	return 0;
}

/* The input without the tasks automation rules added in it: those are
 * crq's to write (and verify compares what it writes). */
static crq_node *without_rule_tasks(const crq_node *input,
	const crq_node *before)
{
	crq_node *in = crq_node_dup(input);
	crq_node *tasks = in->kind == CRQ_NODE_OBJECT ?
		crq_node_get(in, "tasks") : NULL;
	const crq_node *bt = before ? crq_node_get(before, "tasks") : NULL;
	size_t nb = bt && bt->kind == CRQ_NODE_ARRAY ? bt->count : 0;
	size_t i;
	int cut = 0;

	for (i = nb; tasks && tasks->kind == CRQ_NODE_ARRAY &&
			i < tasks->count; i++)
		if (tasks->items[i]->kind == CRQ_NODE_OBJECT &&
		    crq_node_get(tasks->items[i], "rule")) {
			crq_node_remove_at(tasks, i--);
			cut = 1;
		}
	if (cut && !tasks->count && !(bt && bt->kind == CRQ_NODE_ARRAY))
		crq_node_remove(in, "tasks");
	return in;
}

/* A deployment step (the action's `deployments: add`): exactly one
 * deployment more, of ref, artifact and environment; crq records who
 * and when. */
static int check_deployments(crq_rules_result *res, const crq_rules_step *st,
	crq_node *after, const char *email, const char *now)
{
	const crq_node *bd = st->before ? crq_node_get(st->before,
		"deployments") : NULL;
	const crq_node *id_ = st->input ? crq_node_get(st->input,
		"deployments") : NULL;
	const char *id = crq_node_get_str(after, "id");
	size_t nb = bd && bd->kind == CRQ_NODE_ARRAY ? bd->count : 0;
	size_t ni = id_ && id_->kind == CRQ_NODE_ARRAY ? id_->count : 0;
	crq_node *list, *d;
	size_t i;

	if (!crq_node_get(res->action_def, "deployments"))
		return 0;
	if (ni != nb + 1)
		return refuse(res, "deployments", CRQ_EDENIED,
			"%s records one deployment of %s", st->action, id);
	for (i = 0; i < nb; i++)
		if (!crq_node_equal(bd->items[i], id_->items[i]))
			return refuse(res, "deployments", CRQ_EDENIED,
				"%s may not change deployment %zu of %s",
				st->action, i + 1, id);
	d = crq_node_dup(id_->items[nb]);
	if (d->kind != CRQ_NODE_OBJECT || !crq_node_get_str(d, "ref")) {
		crq_node_free(d);
		return refuse(res, "deployments", CRQ_EDENIED,
			"a deployment of %s names the commit that went out (ref)",
			id);
	}
	crq_node_remove(d, "by");
	crq_node_remove(d, "at");
	crq_node_set(d, "by", crq_node_new_cstr(email));
	crq_node_set(d, "at", crq_node_new_cstr(now));
	list = bd ? crq_node_dup(bd) : crq_node_new(CRQ_NODE_ARRAY);
	crq_node_push(list, d);
	crq_node_set(after, "deployments", list);
	return 0;
}

/* An escalation step: by an automation member, for a time-driven rule
 * whose condition holds at the step's time for something not escalated
 * before; it records each such thing and the rule's content effects. */
static int check_escalation(crq_rules_result *res, const crq_rules_step *st,
	crq_node *after, const char *day, const char *now)
{
	const crq_node *act = res->action_def;
	const crq_node *flag = crq_node_get(act, "escalation");
	const char *id = crq_node_get_str(after, "id");
	const char *email = crq_node_get_str(res->actor, "email");
	const crq_node *rule, *done_;
	const char *to;
	crq_node *holds = NULL, *list;
	size_t i, j, n = 0;
	int err = 0;

	if (!flag || flag->kind != CRQ_NODE_BOOL || !flag->b) {
		if (st->escalate_rule)
			return refuse(res, "escalation", CRQ_EDENIED,
				"'%s' is no escalation: it escalates no rule",
				st->action);
		return 0;
	}
	if (!crq_policy__has_role(res->actor, "automation", day))
		return refuse(res, "escalation", CRQ_EDENIED,
			"%s may not escalate %s: only a member holding the automation role does\n"
			"hint: crq escalate runs as the automation member (cron, CI)",
			email, id);
	rule = crq_auto__rule(st->policy, st->escalate_rule);
	if (!rule || !crq_policy__time_on(crq_node_path(rule, "when.on") ?
			crq_node_path(rule, "when.on")->str : NULL) ||
	    !crq_auto__records(rule))
		return refuse(res, "escalation", CRQ_EDENIED,
			"%s escalates '%s', which is no time-driven rule of the policy that records anything",
			id, st->escalate_rule ? st->escalate_rule : "(none)");
	to = crq_node_path(rule, "then.escalate.to") ?
		crq_node_path(rule, "then.escalate.to")->str : NULL;
	holds = crq_auto__holds(st->policy, rule, st->before, st->time);
	done_ = crq_node_get(st->before, "escalations");
	list = crq_node_get(after, "escalations");
	if (!list || list->kind != CRQ_NODE_ARRAY) {
		list = crq_node_new(CRQ_NODE_ARRAY);
		crq_node_set(after, "escalations", list);
	}
	for (i = 0; i < holds->count; i++) {
		const char *subj = crq_node_get_str(holds->items[i], "subject");
		crq_node *e;
		int seen = 0;

		for (j = 0; done_ && done_->kind == CRQ_NODE_ARRAY &&
				j < done_->count; j++)
			if (!strcmp(crq_node_get_str(done_->items[j], "rule") ?
				    crq_node_get_str(done_->items[j], "rule") :
				    "", st->escalate_rule) &&
			    !strcmp(crq_node_get_str(done_->items[j],
				    "subject") ? crq_node_get_str(done_->items[j],
				    "subject") : "", subj))
				seen = 1;
		if (seen)
			continue;
		e = crq_node_new(CRQ_NODE_OBJECT);
		crq_node_set(e, "rule", crq_node_new_cstr(st->escalate_rule));
		crq_node_set(e, "on", crq_node_new_cstr(crq_node_get_str(
			holds->items[i], "on")));
		crq_node_set(e, "subject", crq_node_new_cstr(subj));
		if (to)
			crq_node_set(e, "to", crq_node_new_cstr(to));
		crq_node_set(e, "at", crq_node_new_cstr(now));
		crq_node_push(list, e);
		n++;
	}
	if (!n) {
		err = refuse(res, "escalation", CRQ_EDENIED,
			"rule '%s' %s for %s at %s",
			st->escalate_rule, holds->count ?
			"was escalated already for all it holds" :
			"does not hold", id, now);
		goto done;
	}
	crq_auto__apply(after, st->policy, rule, st->time);
done:
	crq_node_free(holds);
	return err;
}

/* The fired rule that wrote the field at JSON pointer ptr ("/owner",
 * "/tasks/2/due"), or NULL. */
static const char *set_by_rule(const crq_rules_result *res,
	const crq_node *policy, const char *ptr)
{
	size_t i, n;

	if (!ptr || *ptr != '/')
		return NULL;
	n = strcspn(ptr + 1, "/");
	for (i = 0; res->fired && i < res->fired->count; i++) {
		const char *name = res->fired->items[i]->str;
		const crq_node *then = crq_node_get(crq_auto__rule(policy,
			name), "then");
		const crq_node *set = crq_node_get(then, "set");
		size_t k;

		for (k = 0; set && set->kind == CRQ_NODE_OBJECT &&
				k < set->count; k++)
			if (strlen(set->keys[k]) == n &&
			    !strncmp(set->keys[k], ptr + 1, n))
				return name;
		if (crq_node_get(then, "add_task") && n == 5 &&
		    !strncmp(ptr + 1, "tasks", 5))
			return name;
	}
	return NULL;
}

void crq_rules_fired_text(crq_buf *out, const crq_rules_result *res)
{
	size_t i;

	for (i = 0; res->fired && i < res->fired->count; i++)
		crq_buf_printf(out, "%s%s", i ? ", " : "",
			res->fired->items[i]->str);
}

/* ---- one step ---- */

int crq_rules_is_decision(const crq_node *policy, const char *action,
	const char *type, const char *state)
{
	int named;
	const crq_node *a = crq_policy__action(policy, action, type ? type :
		"normal", state, &named);

	return !strcmp(action, "reject") || (a && crq_node_get(a, "approval") &&
		crq_node_get(a, "approval")->b);
}

int crq_rules_change(crq_rules_result *res, const crq_rules_step *step)
{
	crq_rules_step local = *step;
	const crq_rules_step *st = &local;
	const crq_node *before = st->before, *act;
	const char *type, *state, *id, *to, *p;
	char now[32], day[11];
	crq_node *after = NULL, *input = NULL;
	crq_node *deferred = crq_node_new(CRQ_NODE_OBJECT);
	crq_issues issues;
	size_t i;
	int err;

	memset(res, 0, sizeof(*res));
	crq_issues_init(&issues);
	if (step->input && has_rule_tasks(step->input, before)) {
		input = without_rule_tasks(step->input, before);
		local.input = input;
	}
	crq_rules_time(now, st->time);
	memcpy(day, now, 10);
	day[10] = '\0';
	if ((err = identify(res, st)) < 0)
		goto done;
	if (before) {
		type = crq_node_get_str(before, "type");
		state = crq_node_get_str(before, "state");
		id = crq_node_get_str(before, "id");
	} else {
		type = st->input ? crq_node_get_str(st->input, "type") : NULL;
		if (!type)
			type = st->template_name ? "standard" : "normal";
		state = NULL;
		id = st->new_id;
	}
	if (!type || !id) {
		err = refuse(res, "invalid-file", CRQ_EINVALID,
			"the change has no type or id");
		goto done;
	}
	if ((err = allow(res, st, type, state, before ? id : NULL, day)) < 0)
		goto done;
	act = res->action_def;
	snprintf(res->from, sizeof(res->from), "%s", state ? state : "");
	after = before ? crq_node_dup(before) : crq_node_new(CRQ_NODE_OBJECT);
	if (!before) {
		crq_node_set(after, "id", crq_node_new_cstr(id));
		crq_node_set(after, "type", crq_node_new_cstr(type));
	}
	if (!strcmp(type, "standard") && !st->template_doc) {
		err = refuse(res, "template", CRQ_EDENIED,
			"a standard change needs its template ('%s' is not in .crq/templates)",
			before ? (crq_node_get_str(before, "template") ?
			crq_node_get_str(before, "template") : "?") :
			st->template_name ? st->template_name : "?");
		goto done;
	}
	if (!before && st->template_doc) {
		const crq_node *t = st->template_doc;

		for (i = 0; i < t->count; i++)
			if (!crq_policy__derived(t->keys[i]) &&
			    strcmp(t->keys[i], "type"))
				crq_node_set(after, t->keys[i],
					crq_node_dup(t->items[i]));
		crq_node_set(after, "template",
			crq_node_new_cstr(st->template_name));
	}
	if ((err = apply_input(res, st, after, type, deferred)) < 0)
		goto done;
	if (!before) {
		crq_node_set(after, "requester", crq_node_new_cstr(
			crq_node_get_str(res->actor, "email")));
		crq_node_set(after, "created", crq_node_new_cstr(now));
	}
	/* a review names its reviewer and time */
	if (!same(crq_node_get(after, "review"), before ?
			crq_node_get(before, "review") : NULL) &&
	    crq_node_get(after, "review") &&
	    crq_node_get(after, "review")->kind == CRQ_NODE_OBJECT) {
		crq_node *rv = crq_node_get(after, "review");

		crq_node_set(rv, "by", crq_node_new_cstr(
			crq_node_get_str(res->actor, "email")));
		crq_node_set(rv, "at", crq_node_new_cstr(now));
	}
	if (crq_schema_type(st->schema, after, &issues) < 0) {
		err = refuse(res, "invalid-file", CRQ_EINVALID, "%s:%u:%u: %s",
			id, issues.items[0].line, issues.items[0].col,
			issues.items[0].message);
		goto done;
	}
	if ((p = crq_rules_priority(st->policy, after)))
		crq_node_set(after, "priority", crq_node_new_cstr(p));
	else
		crq_node_remove(after, "priority");
	if ((err = check_tasks(res, st, after, crq_node_get_str(res->actor,
			"email"), now)) < 0 ||
	    (err = check_task_phases(res, act, after, st->action)) < 0 ||
	    (err = check_requires(res, act, after, st->action)) < 0 ||
	    (err = check_names(res, st, after)) < 0 ||
	    (err = check_guards(res, st, act, after)) < 0 ||
	    (err = check_deployments(res, st, after, crq_node_get_str(
		res->actor, "email"), now)) < 0 ||
	    (err = check_escalation(res, st, after, day, now)) < 0)
		goto done;
	to = crq_node_get_str(act, "to");
	if (crq_rules_is_decision(st->policy, st->action, type, state))
		res->decision = strcmp(st->action, "reject") ? 1 : 2;
	if (res->decision) {
		if ((err = record_decision(res, st, after, day, now)) < 0)
			goto done;
		if (res->decision == 1 && !res->met)
			to = NULL;	/* more approvals needed */
	}
	if (to)
		crq_node_set(after, "state", crq_node_new_cstr(to));
	else if (!before)
		crq_node_set(after, "state", crq_node_new_cstr("draft"));
	snprintf(res->to, sizeof(res->to), "%s",
		crq_node_get_str(after, "state"));
	/* the automation rules the step fires: their effects land in it */
	if (crq_node_get(st->policy, "rules")) {
		res->fired = crq_node_new(CRQ_NODE_ARRAY);
		crq_auto__fired(res->fired, st->policy, st->action, before ?
			state : NULL, res->to, after);
		for (i = 0; i < res->fired->count; i++)
			crq_auto__apply(after, st->policy, crq_auto__rule(
				st->policy, res->fired->items[i]->str),
				st->time);
		if (!res->fired->count) {
			crq_node_free(res->fired);
			res->fired = NULL;
		}
	}
	for (i = 0; i < deferred->count; i++)
		if (!same(crq_node_get(after, deferred->keys[i]),
			  crq_node_get(st->input, deferred->keys[i]))) {
			err = refuse(res, "changed-field", CRQ_EDENIED,
				"'%s' may not change '%s', and no automation rule set it\n"
				"hint: the fields an action may change are its 'sets' in the policy",
				st->action, deferred->keys[i]);
			goto done;
		}
	/* when it entered its state: the SLA clocks start and stop here.
	 * A change created before crq kept these times goes on without
	 * them: its steps verify as they were made, and it has no clocks. */
	if ((!before || crq_node_get(before, "entered")) &&
	    (!before || strcmp(res->to, crq_node_get_str(before, "state") ?
			crq_node_get_str(before, "state") : ""))) {
		crq_node *e = crq_node_get(after, "entered");

		if (!e || e->kind != CRQ_NODE_OBJECT) {
			e = crq_node_new(CRQ_NODE_OBJECT);
			crq_node_set(after, "entered", e);
		}
		crq_node_set(e, res->to, crq_node_new_cstr(now));
	}
	/* an emergency change owes its review within the policy's deadline
	 * from the moment it is implemented */
	if (to && (!strcmp(to, "completed") || !strcmp(to, "failed")) &&
	    !crq_node_get(after, "review_due") && !strcmp(type, "emergency")) {
		const crq_node *h = crq_node_path(st->policy,
			"emergency.review_within_hours");
		char due[32];

		if (h && h->kind == CRQ_NODE_INT) {
			crq_rules_time(due, st->time + h->i * 3600);
			crq_node_set(after, "review_due",
				crq_node_new_cstr(due));
		}
	}
	crq_node_set(after, "updated", crq_node_new_cstr(now));
	/* authorized only with fresh approvals that meet the rules */
	if (!strcmp(res->to, "authorized") && strcmp(res->from, "authorized") &&
	    strcmp(type, "standard")) {
		crq_buf miss = CRQ_BUF_INIT;
		int met = crq_rules_approved(&miss, st->policy, st->schema,
			after);

		if (met == 0)
			err = refuse(res, "approvals", CRQ_EDENIED,
				"%s cannot be authorized without fresh approvals meeting the rules: still needed %s",
				id, miss.ptr);
		crq_buf_dispose(&miss);
		if (met <= 0) {
			err = err ? err : met;
			goto done;
		}
	}
	crq_issues_dispose(&issues);
	crq_issues_init(&issues);
	if ((err = crq_schema_validate(st->schema, after, &issues)) < 0) {
		const char *by = issues.count ? set_by_rule(res, st->policy,
			issues.items[0].pointer) : NULL;

		/* what a rule wrote is the policy's fault, not the change's */
		if (by)
			err = refuse(res, "automation", CRQ_EINVALID,
				"rule '%s' of the policy writes what a change may not hold: %s\n"
				"hint: an admin fixes the rule (crq policy apply)",
				by, issues.items[0].message);
		else if (issues.count)
			err = refuse(res, "invalid-file", CRQ_EINVALID,
				"%s:%u:%u: %s", id, issues.items[0].line,
				issues.items[0].col, issues.items[0].message);
		goto done;
	}
	res->after = after;
	after = NULL;
done:
	crq_issues_dispose(&issues);
	crq_node_free(after);
	crq_node_free(input);
	crq_node_free(deferred);
	return err;
}

/* The window's times as instants ("+01:00" and "Z" alike), in place. */
static void window_instants(crq_node *doc)
{
	static const char *const ends[] = { "start", "end" };
	crq_node *w = crq_node_get(doc, "window");
	size_t i;

	for (i = 0; w && w->kind == CRQ_NODE_OBJECT && i < 2; i++) {
		const char *v = crq_node_get_str(w, ends[i]);
		long long t;
		char text[32];

		if (v && crq_store__parse_time(v, &t) == 0) {
			crq_rules_time(text, t);
			crq_node_set(w, ends[i], crq_node_new_cstr(text));
		}
	}
}

int crq_rules_changes_nothing(const char *action, const crq_node *before,
	const crq_node *after)
{
	crq_node *a, *b;
	int same_doc;

	if (!before || !strcmp(action, "comment"))
		return 0;
	a = crq_node_dup(after);
	b = crq_node_dup(before);
	crq_node_set(a, "updated", crq_node_dup(crq_node_get(before,
		"updated")));
	/* the same window written another way is the same window */
	window_instants(a);
	window_instants(b);
	same_doc = crq_node_equal(a, b);
	crq_node_free(a);
	crq_node_free(b);
	return same_doc;
}

void crq_rules_result_dispose(crq_rules_result *res)
{
	if (!res)
		return;
	crq_node_free(res->after);
	res->after = NULL;
	crq_node_free(res->fired);
	res->fired = NULL;
}

/* ---- policy steps ---- */

int crq_rules_policy(crq_node **out, crq_buf *title, const char **rule,
	const crq_node *cur, crq_policy_op op, const crq_node *edited,
	const char *what, const char *signer_key, const char *signer_email,
	long long t)
{
	const crq_node *pending = crq_node_get(cur, "pending");
	const crq_node *th = crq_node_get(cur, "admin_threshold");
	const crq_node *member, *owner, *v;
	long long threshold = th ? th->i : 1;
	crq_node *next, *apps, *p;
	char now[32];
	size_t i;

	*out = NULL;
	crq_rules_time(now, t);
	member = crq_policy__member(cur, signer_email);
	owner = crq_policy__key_owner(cur, signer_key);
	*rule = "unknown-key";
	if (!member || owner != member)
		return crq_error__set(CRQ_EDENIED, member ?
			"the signing key is not a key of member '%s'" :
			"'%s' is not a member of this store", signer_email);
	*rule = "policy-admin";
	if (!crq_policy__has_role(member, "admin", now))
		return crq_error__set(CRQ_EDENIED,
			"%s may not change the policy: only its admins may\n"
			"hint: ask an admin of the current policy",
			signer_email);
	*rule = "policy-proposal";
	if (op == CRQ_POLICY_EDIT) {
		if (pending)
			return crq_error__set(CRQ_EDENIED,
				"a policy change is pending: '%s'\n"
				"hint: crq policy approve, or crq policy withdraw",
				crq_node_get_str(pending, "change"));
		next = crq_node_dup(edited);
		crq_node_remove(next, "pending");
		/* every change lives at the path the layout gives its id: a
		 * new layout would give one id two places */
		if (!same(crq_node_get(cur, "store"), crq_node_get(next,
				"store"))) {
			crq_node_free(next);
			*rule = "policy-store";
			return crq_error__set(CRQ_EDENIED,
				"the store layout (store.prefix, store.shard_size) cannot change\n"
				"hint: it is chosen when the store is made");
		}
		v = crq_node_get(cur, "version");
		if (v)
			crq_node_set(next, "version", crq_node_dup(v));
		else
			crq_node_remove(next, "version");
		{
			crq_node *c = crq_node_dup(cur);
			int same_doc;

			crq_node_remove(c, "pending");
			same_doc = crq_node_equal(c, next);
			crq_node_free(c);
			if (same_doc) {
				crq_node_free(next);
				*rule = "nothing-to-change";
				return crq_error__set(CRQ_EEXISTS,
					"%s: nothing to change", what);
			}
		}
		crq_node_set(next, "version", crq_node_new_int(
			(v ? v->i : 0) + 1));
		if (threshold <= 1) {
			crq_buf_puts(title, what);
			*out = next;
			*rule = NULL;
			return 0;
		}
		p = crq_node_new(CRQ_NODE_OBJECT);
		crq_node_set(p, "change", crq_node_new_cstr(what));
		crq_node_set(p, "by", crq_node_new_cstr(signer_email));
		crq_node_set(p, "at", crq_node_new_cstr(now));
		apps = crq_node_new(CRQ_NODE_ARRAY);
		crq_node_push(apps, crq_node_new_cstr(signer_email));
		crq_node_set(p, "approvals", apps);
		crq_node_set(p, "policy", next);
		*out = crq_node_dup(cur);
		crq_node_set(*out, "pending", p);
		crq_buf_printf(title, "propose %s (1 of %lld admins)", what,
			threshold);
		*rule = NULL;
		return 0;
	}
	if (!pending)
		return crq_error__set(CRQ_ENOTFOUND,
			"no policy change is pending");
	if (op == CRQ_POLICY_WITHDRAW) {
		*out = crq_node_dup(cur);
		crq_node_remove(*out, "pending");
		crq_buf_printf(title, "withdraw %s",
			crq_node_get_str(pending, "change"));
		*rule = NULL;
		return 0;
	}
	apps = crq_node_get(pending, "approvals");
	for (i = 0; apps && i < apps->count; i++)
		if (!strcmp(apps->items[i]->str, signer_email))
			return crq_error__set(CRQ_EDENIED,
				"%s already approved the pending policy change\n"
				"hint: it needs %lld distinct admins",
				signer_email, threshold);
	*rule = NULL;
	if ((long long)(apps ? apps->count : 0) + 1 >= threshold) {
		*out = crq_node_dup(crq_node_get(pending, "policy"));
		crq_buf_printf(title, "approve %s (%lld of %lld admins: in force)",
			crq_node_get_str(pending, "change"),
			(long long)(apps ? apps->count : 0) + 1, threshold);
		return 0;
	}
	*out = crq_node_dup(cur);
	p = crq_node_get(*out, "pending");
	crq_node_push(crq_node_get(p, "approvals"),
		crq_node_new_cstr(signer_email));
	crq_buf_printf(title, "approve %s (%zu of %lld admins)",
		crq_node_get_str(pending, "change"),
		crq_node_get(p, "approvals")->count, threshold);
	return 0;
}
