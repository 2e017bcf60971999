/*
 * gate.c - crq escalate (the time-driven automation rules, recorded as
 * signed escalate steps) and crq gate (may a deploy go out now?).  Both
 * read the branch tip; crq verify is what proves it (the command runs
 * it first).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "automation.h"
#include "calendar.h"
#include "change.h"
#include "rules.h"

/* ---- escalate ---- */

/* The subjects of holds that doc has not escalated under rule yet. */
static crq_node *fresh(const crq_node *holds, const crq_node *doc,
	const char *rule)
{
	const crq_node *done = crq_node_get(doc, "escalations");
	crq_node *out = crq_node_new(CRQ_NODE_ARRAY);
	size_t i, j;

	for (i = 0; i < holds->count; i++) {
		const char *subj = crq_node_get_str(holds->items[i], "subject");
		int seen = 0;

		for (j = 0; done && done->kind == CRQ_NODE_ARRAY &&
				j < done->count; j++) {
			const char *r = crq_node_get_str(done->items[j], "rule");
			const char *s = crq_node_get_str(done->items[j],
				"subject");

			if (r && s && !strcmp(r, rule) && !strcmp(s, subj))
				seen = 1;
		}
		if (!seen)
			crq_node_push(out, crq_node_new_cstr(subj));
	}
	return out;
}

int crq_escalate(crq_node **out, crq_repo *repo, long long at, int dry_run)
{
	const crq_node *tip, *rules;
	crq_node *policy = NULL, *docs = NULL;
	crq_node *res = crq_node_new(CRQ_NODE_ARRAY);
	long long now = crq_time_now();
	char day[32];
	size_t i, k;
	int err;

	*out = NULL;
	if (!at)
		at = now;
	if (at > now + 60) {
		crq_node_free(res);
		return crq_error__set(CRQ_EINVALID,
			"--at is in the future: an escalation is recorded when its condition holds");
	}
	crq_rules_time(day, at);
	day[10] = '\0';
	/* our own copy: every step re-reads the repository's (the lock
	 * refreshes it), and each is judged under the tip's by the engine */
	if ((err = crq_policy__tip(&tip, repo)) < 0 ||
	    (err = crq_change_list(&docs, repo, NULL, NULL)) < 0)
		goto done;
	policy = crq_node_dup(tip);
	if (!dry_run) {
		/* the steps are the automation member's: say so up front */
		crq_buf me = CRQ_BUF_INIT;
		const crq_node *m;

		err = crq_repo_user_email(&me, repo);
		m = err < 0 ? NULL : crq_policy__member(policy, me.ptr);
		if (!err && (!m || !crq_policy__has_role(m, "automation",
				day)))
			err = crq_error__set(CRQ_EDENIED,
				"%s may not escalate: only a member holding the automation role may\n"
				"hint: crq escalate runs as the automation member (cron, CI); --dry-run shows what it would record",
				me.ptr);
		crq_buf_dispose(&me);
		if (err < 0)
			goto done;
	}
	rules = crq_node_get(policy, "rules");
	crq_repo_set_step_time(repo, at);
	for (k = 0; rules && rules->kind == CRQ_NODE_ARRAY && k < rules->count;
			k++) {
		const crq_node *rule = rules->items[k];
		const char *name = crq_node_get_str(rule, "name");
		const crq_node *to = crq_node_path(rule, "then.escalate.to");

		if (!crq_policy__time_on(crq_node_path(rule, "when.on") ?
				crq_node_path(rule, "when.on")->str : NULL) ||
		    !crq_auto__records(rule))
			continue;
		for (i = 0; i < docs->count; i++) {
			const crq_node *doc = docs->items[i];
			const char *id = crq_node_get_str(doc, "id");
			crq_node *holds, *subjects, *r;
			crq_act_opts opts;
			crq_buf msg = CRQ_BUF_INIT, hex = CRQ_BUF_INIT;
			size_t j;

			if (crq_change__closed(crq_node_get_str(doc, "state")))
				continue;
			holds = crq_auto__holds(policy, rule, doc, at);
			subjects = fresh(holds, doc, name);
			crq_node_free(holds);
			if (!subjects->count) {
				crq_node_free(subjects);
				continue;
			}
			r = crq_node_new(CRQ_NODE_OBJECT);
			crq_node_set(r, "change", crq_node_new_cstr(id));
			crq_node_set(r, "rule", crq_node_new_cstr(name));
			crq_node_set(r, "on", crq_node_new_cstr(crq_node_path(
				rule, "when.on")->str));
			crq_node_set(r, "subjects", subjects);
			if (to && to->kind == CRQ_NODE_STRING) {
				crq_node_set(r, "to", crq_node_new_cstr(to->str));
				crq_node_set(r, "members", crq_auto__members(
					policy, to->str, day));
			}
			crq_node_push(res, r);
			if (dry_run)
				continue;
			crq_buf_printf(&msg, "Rule %s: %s.", name,
				crq_node_path(rule, "when.on")->str);
			for (j = 0; j < subjects->count; j++)
				crq_buf_printf(&msg, "%s%s", j ? ", " : " ",
					subjects->items[j]->str);
			memset(&opts, 0, sizeof(opts));
			opts.message = msg.ptr;
			opts.rule = name;
			err = crq_change_act(NULL, repo, id, "escalate", &opts);
			crq_buf_dispose(&msg);
			if (err < 0) {
				crq_error__prefix("cannot escalate %s (rule %s)",
					id, name);
				goto done;
			}
			if (crq_repo_last_step(&hex, repo) == 0)
				crq_node_set(r, "commit", crq_node_new_cstr(
					hex.ptr));
			crq_buf_dispose(&hex);
		}
	}
done:
	crq_repo_set_step_time(repo, 0);
	crq_node_free(policy);
	crq_node_free(docs);
	if (err < 0)
		crq_node_free(res);
	else
		*out = res;
	return err;
}

/* ---- the deployment gate ---- */

/* service and, through the catalogue's depends_on, what it depends on
 * ({name: true}). */
static void depends(crq_node *set, const crq_node *policy, const char *name,
	int depth)
{
	const crq_node *svc, *deps;
	size_t i;

	if (crq_node_get(set, name) || depth > 64)
		return;
	crq_node_set(set, name, crq_node_new_bool(1));
	svc = crq_cal__service(policy, name);
	deps = svc ? crq_node_get(svc, "depends_on") : NULL;
	for (i = 0; deps && deps->kind == CRQ_NODE_ARRAY && i < deps->count;
			i++)
		if (deps->items[i]->kind == CRQ_NODE_STRING)
			depends(set, policy, deps->items[i]->str, depth + 1);
}

static int names_any(const crq_node *doc, const crq_node *set)
{
	const crq_node *svc = crq_node_get(doc, "services");
	size_t i;

	for (i = 0; svc && svc->kind == CRQ_NODE_ARRAY && i < svc->count; i++)
		if (svc->items[i]->kind == CRQ_NODE_STRING &&
		    crq_node_get(set, svc->items[i]->str))
			return 1;
	return 0;
}

static void window_of(crq_node *o, const crq_node *doc)
{
	const crq_node *w = crq_node_get(doc, "window");

	if (w)
		crq_node_set(o, "window", crq_node_dup(w));
}

/* Why doc does not let the deploy out at t (NULL: it does); hint gets
 * what would. */
static const char *why_not(crq_buf *why, crq_buf *hint,
	const crq_node *policy, const crq_node *doc, long long t)
{
	const char *id = crq_node_get_str(doc, "id");
	const char *state = crq_node_get_str(doc, "state");
	const char *type = crq_node_get_str(doc, "type");
	const crq_node *f;
	long long ws, we, tol = crq_rules_start_tolerance(policy);

	if (!strcmp(state, "implementing")) {
		/* an emergency change may start without a window, and
		 * freezes do not hold it: the policy's emergency deploy
		 * has no guards either */
		int emergency = type && !strcmp(type, "emergency");

		if (emergency)
			return NULL;
		if (crq_cal__window(doc, &ws, &we) < 0) {
			crq_buf_printf(why, "%s is implementing but has no window",
				id);
			crq_buf_printf(hint, "crq schedule %s --start T --end T",
				id);
			return why->ptr;
		}
		if (t < ws - tol || t > we) {
			crq_buf_printf(why, "%s is implementing, but its window is %s to %s",
				id, crq_node_path(doc, "window.start")->str,
				crq_node_path(doc, "window.end")->str);
			crq_buf_printf(hint, t < ws - tol ?
				"deploy when the window opens" :
				"the window closed: reschedule %s (crq schedule %s --start T --end T)",
				id, id);
			return why->ptr;
		}
		if (!emergency && (f = crq_cal__freeze_in(policy, doc, t, t))) {
			crq_buf_printf(why, "%s is inside the freeze '%s' (%s to %s)",
				id, crq_node_get_str(f, "name"),
				crq_node_get_str(f, "start"),
				crq_node_get_str(f, "end"));
			crq_buf_printf(hint, "wait until %s, or raise an emergency change",
				crq_node_get_str(f, "end"));
			return why->ptr;
		}
		return NULL;
	}
	if (!strcmp(state, "scheduled")) {
		crq_buf_printf(why, "%s is scheduled (%s to %s) but not started",
			id, crq_node_path(doc, "window.start") ?
			crq_node_path(doc, "window.start")->str : "?",
			crq_node_path(doc, "window.end") ?
			crq_node_path(doc, "window.end")->str : "?");
		crq_buf_printf(hint, "crq start %s, in its window", id);
		return why->ptr;
	}
	if (!strcmp(state, "authorized")) {
		crq_buf_printf(why, "%s is authorized but not scheduled", id);
		crq_buf_printf(hint, "crq schedule %s --start T --end T, then crq start %s",
			id, id);
		return why->ptr;
	}
	crq_buf_printf(why, "%s is %s, not authorized and implementing", id,
		state);
	crq_buf_printf(hint, "crq todo shows what %s waits for", id);
	return why->ptr;
}

int crq_gate(crq_node **out, crq_repo *repo, const char *service,
	long long at)
{
	const crq_node *policy;
	crq_node *docs = NULL, *set = crq_node_new(CRQ_NODE_OBJECT);
	crq_node *res = crq_node_new(CRQ_NODE_OBJECT);
	crq_node *cands = crq_node_new(CRQ_NODE_ARRAY);
	crq_buf why0 = CRQ_BUF_INIT, hint0 = CRQ_BUF_INIT;
	const crq_node *pass = NULL;
	char when[32];
	size_t i;
	int err;

	*out = NULL;
	if (!at)
		at = crq_time_now();
	crq_rules_time(when, at);
	crq_node_set(res, "service", crq_node_new_cstr(service));
	crq_node_set(res, "at", crq_node_new_cstr(when));
	if ((err = crq_policy__tip(&policy, repo)) < 0 ||
	    (err = crq_change_list(&docs, repo, NULL, NULL)) < 0)
		goto done;
	if (crq_node_get(policy, "services") && !crq_cal__service(policy,
			service)) {
		err = crq_error__set(CRQ_ENOTFOUND,
			"service '%s' is not in the policy's services catalogue\n"
			"hint: crq policy show lists the services", service);
		goto done;
	}
	depends(set, policy, service, 0);
	for (i = 0; i < docs->count; i++) {
		const crq_node *doc = docs->items[i];
		crq_buf why = CRQ_BUF_INIT, hint = CRQ_BUF_INIT;
		crq_node *c;

		if (crq_change__closed(crq_node_get_str(doc, "state")) ||
		    !names_any(doc, set))
			continue;
		c = crq_node_new(CRQ_NODE_OBJECT);
		crq_node_set(c, "change", crq_node_new_cstr(crq_node_get_str(
			doc, "id")));
		crq_node_set(c, "state", crq_node_new_cstr(crq_node_get_str(
			doc, "state")));
		window_of(c, doc);
		if (why_not(&why, &hint, policy, doc, at)) {
			crq_node_set(c, "why", crq_node_new_cstr(why.ptr));
			/* the nearest to passing explains the refusal */
			if (!why0.size || !strcmp(crq_node_get_str(doc, "state"),
					"implementing")) {
				crq_buf_clear(&why0);
				crq_buf_clear(&hint0);
				crq_buf_puts(&why0, why.ptr);
				crq_buf_puts(&hint0, hint.ptr);
			}
		} else if (!pass) {
			pass = doc;
		}
		crq_node_push(cands, c);
		crq_buf_dispose(&why);
		crq_buf_dispose(&hint);
	}
	crq_node_set(res, "allowed", crq_node_new_bool(pass != NULL));
	if (pass) {
		const crq_node *d = crq_node_get(pass, "deployments");

		crq_node_set(res, "change", crq_node_new_cstr(crq_node_get_str(
			pass, "id")));
		crq_node_set(res, "title", crq_node_new_cstr(crq_node_get_str(
			pass, "title")));
		window_of(res, pass);
		crq_node_set(res, "deployments", d ? crq_node_dup(d) :
			crq_node_new(CRQ_NODE_ARRAY));
	} else if (why0.size) {
		crq_node_set(res, "reason", crq_node_new_cstr(why0.ptr));
		crq_node_set(res, "hint", crq_node_new_cstr(hint0.ptr));
	} else {
		crq_buf_printf(&why0, "no open change names service '%s'%s",
			service, set->count > 1 ? " or what it depends on" : "");
		crq_node_set(res, "reason", crq_node_new_cstr(why0.ptr));
		crq_buf_printf(&hint0, "raise one: crq new --title ... --service %s, and take it through to implementing",
			service);
		crq_node_set(res, "hint", crq_node_new_cstr(hint0.ptr));
	}
	crq_node_set(res, "candidates", cands);
	cands = NULL;
done:
	crq_node_free(docs);
	crq_node_free(set);
	crq_node_free(cands);
	crq_buf_dispose(&why0);
	crq_buf_dispose(&hint0);
	if (err < 0)
		crq_node_free(res);
	else
		*out = res;
	return err;
}
