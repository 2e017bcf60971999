/*
 * trail.c - the verified trail the evidence commands read: one full
 * run of crq verify, every step it walked with its verdicts.
 */
#include <stdlib.h>
#include <string.h>
#include "rules.h"
#include "trail.h"

static char *dup_or_null(const char *s)
{
	return s ? crq__strdup(s) : NULL;
}

/* The verdict names are static: the step's strings live for the call. */
static const char *sig_name(const char *s)
{
	static const char *const names[] = { "good", "bad", "unsigned",
		"unknown-key" };
	size_t i;

	for (i = 0; s && i < CRQ_ARRAY_SIZE(names); i++)
		if (!strcmp(s, names[i]))
			return names[i];
	return "bad";
}

static void on_step(const crq_verify_step *st, void *payload)
{
	crq_trail *t = payload;
	crq_trail_step *x;

	crq__grow((void **)&t->v, &t->alloc, t->n + 1, sizeof(*t->v));
	x = &t->v[t->n];
	memset(x, 0, sizeof(*x));
	git_oid_fromstr(&x->id, st->commit);
	x->time = st->time;
	x->change = dup_or_null(st->change);
	x->action = dup_or_null(st->action);
	x->from = dup_or_null(st->from);
	x->to = dup_or_null(st->to);
	x->by = dup_or_null(st->by);
	x->role = dup_or_null(st->role);
	x->key = dup_or_null(st->key);
	x->signature = sig_name(st->signature);
	x->version = st->policy_version;
	x->refused = st->refused;
	x->wrote_policy = st->wrote_policy;
	x->rule = dup_or_null(st->rule);
	x->message = dup_or_null(st->message);
	x->seq = t->n++;
}

int crq_trail__read(crq_trail *t, crq_repo *repo, const char *trust,
	int require_trust)
{
	crq_verify_options vo = CRQ_VERIFY_OPTIONS_INIT;
	size_t i, k;
	int err;

	memset(t, 0, sizeof(*t));
	crq_verify_result_init(&t->verify);
	vo.full = 1;
	vo.trust = trust;
	vo.require_trust = require_trust;
	vo.on_step = on_step;
	vo.payload = t;
	if ((err = crq_verify_run(&t->verify, repo, &vo)) < 0)
		return err;
	/* a step refused where a merge lands it is refused too */
	for (i = 0; i < t->verify.count; i++) {
		const crq_violation *x = &t->verify.items[i];
		git_oid id;

		if (!x->step[0] || git_oid_fromstr(&id, x->step) < 0)
			continue;
		for (k = 0; k < t->n; k++) {
			crq_trail_step *r = &t->v[k];

			if (!git_oid_equal(&r->id, &id) || r->refused)
				continue;
			r->refused = 1;
			r->rule = dup_or_null(x->rule);
			r->message = dup_or_null(x->message);
		}
	}
	return 0;
}

void crq_trail__dispose(crq_trail *t)
{
	size_t i;

	for (i = 0; i < t->n; i++) {
		crq_trail_step *x = &t->v[i];

		free(x->change);
		free(x->action);
		free(x->from);
		free(x->to);
		free(x->by);
		free(x->role);
		free(x->key);
		free(x->rule);
		free(x->message);
	}
	free(t->v);
	crq_verify_result_dispose(&t->verify);
	memset(t, 0, sizeof(*t));
}

int crq_trail__refuses_change(const crq_violation *x)
{
	return x->change && !(x->rule && !strcmp(x->rule, "review-overdue"));
}

crq_node *crq_trail__str(const char *s)
{
	return s ? crq_node_new_cstr(s) : crq_node_new(CRQ_NODE_NULL);
}

crq_node *crq_trail__time(long long t)
{
	char buf[32];

	crq_rules_time(buf, t);
	return crq_node_new_cstr(buf);
}

crq_node *crq_trail__verify_node(const crq_trail *t, int list)
{
	const crq_verify_result *res = &t->verify;
	crq_node *v = crq_node_new(CRQ_NODE_OBJECT);
	crq_node *items;
	size_t i;

	crq_node_set(v, "clean", crq_node_new_bool(res->count == 0));
	crq_node_set(v, "checked", crq_node_new_int((long long)res->checked));
	if (!list) {
		crq_node_set(v, "violations",
			crq_node_new_int((long long)res->count));
		return v;
	}
	items = crq_node_new(CRQ_NODE_ARRAY);
	for (i = 0; i < res->count; i++) {
		const crq_violation *x = &res->items[i];
		crq_node *o = crq_node_new(CRQ_NODE_OBJECT);

		crq_node_set(o, "commit", crq_node_new_cstr(x->commit));
		crq_node_set(o, "change", crq_trail__str(x->change));
		crq_node_set(o, "rule", crq_trail__str(x->rule));
		crq_node_set(o, "message", crq_trail__str(x->message));
		crq_node_set(o, "hint", crq_trail__str(x->hint));
		crq_node_push(items, o);
	}
	crq_node_set(v, "violations", items);
	return v;
}
