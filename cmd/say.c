/*
 * say.c - after a step, one line of what it changed, and the approvals
 * the change made stale.
 */
#include <stdio.h>
#include <string.h>
#include "cmd.h"

void said_before(struct said *s, crq_repo *repo, const char *id)
{
	memset(s, 0, sizeof(*s));
	if (crq_change_load(&s->doc, repo, id) < 0)
		s->doc = NULL;
	if (crq_change_approval_status(&s->approvals, repo, id) < 0)
		s->approvals = NULL;
}

static void value(crq_buf *out, const crq_node *v)
{
	if (!v)
		crq_buf_puts(out, "(none)");
	else if (v->kind == CRQ_NODE_STRING)
		crq_buf_printf(out, "%s", v->str);
	else if (v->kind == CRQ_NODE_INT)
		crq_buf_printf(out, "%lld", v->i);
	else
		crq_buf_puts(out, "...");
}

/* Short scalars show old -> new; anything else is named. */
static void changed(crq_buf *out, const char *f, const crq_node *a,
	const crq_node *b)
{
	crq_buf x = CRQ_BUF_INIT, y = CRQ_BUF_INIT;

	value(&x, a);
	value(&y, b);
	if ((!a || a->kind == CRQ_NODE_STRING || a->kind == CRQ_NODE_INT) &&
	    (!b || b->kind == CRQ_NODE_STRING || b->kind == CRQ_NODE_INT) &&
	    x.size + y.size < 60 && !strchr(x.ptr, '\n') &&
	    !strchr(y.ptr, '\n'))
		crq_buf_printf(out, "%s%s %s -> %s", out->size ? ", " : "", f,
			x.ptr, y.ptr);
	else
		crq_buf_printf(out, "%s%s %s", out->size ? ", " : "", f,
			!a ? "set" : !b ? "removed" : "changed");
	crq_buf_dispose(&x);
	crq_buf_dispose(&y);
}

void said_after(struct said *s, crq_repo *repo, const char *id)
{
	crq_node *doc = NULL, *now = NULL;
	const crq_node *fresh, *still;
	crq_buf line = CRQ_BUF_INIT;
	size_t i, j;
	int pass;

	if (!s->doc || crq_change_load(&doc, repo, id) < 0)
		goto done;
	/* the fields in the order of the file: the new ones, then gone */
	for (pass = 0; pass < 2; pass++) {
		const crq_node *side = pass ? s->doc : doc;

		for (i = 0; i < side->count; i++) {
			const char *f = side->keys[i];
			const crq_node *a = crq_node_get(s->doc, f);
			const crq_node *b = crq_node_get(doc, f);

			if (!strcmp(f, "updated") || !strcmp(f, "approvals") ||
			    (pass && b))
				continue;
			if ((!a) != (!b) || (a && !crq_node_equal(a, b)))
				changed(&line, f, a, b);
		}
	}
	printf("%s: %s\n", id, line.size ? line.ptr : "nothing changed");
	/* approvals that held before and hold no more */
	if (!s->approvals || crq_change_approval_status(&now, repo, id) < 0)
		goto done;
	fresh = crq_node_get(s->approvals, "fresh");
	still = crq_node_get(now, "fresh");
	crq_buf_clear(&line);
	for (i = 0; fresh && i < fresh->count; i++) {
		const char *by = crq_node_get_str(fresh->items[i], "by");
		int held = 0;

		for (j = 0; still && j < still->count; j++)
			if (!strcmp(by, crq_node_get_str(still->items[j], "by")))
				held = 1;
		if (!held)
			crq_buf_printf(&line, "%s%s (%s)", line.size ? ", " : "",
				by, crq_node_get_str(fresh->items[i], "role") ?
				crq_node_get_str(fresh->items[i], "role") : "?");
	}
	if (line.size)
		printf("%s: approvals now stale (given to the content before): %s\n",
			id, line.ptr);
done:
	crq_node_free(doc);
	crq_node_free(now);
	crq_buf_dispose(&line);
	said_dispose(s);
}

void said_dispose(struct said *s)
{
	crq_node_free(s->doc);
	crq_node_free(s->approvals);
	memset(s, 0, sizeof(*s));
}

/* "approved by X (role); still needed: ..." or "...; authorized". */
void say_decision(crq_repo *repo, const char *id, const char *action,
	const char *to)
{
	crq_node *st = NULL, *doc = NULL;
	const crq_node *apps;
	const char *by = NULL, *role = NULL;

	if (crq_change_load(&doc, repo, id) < 0)
		return;
	apps = crq_node_get(doc, "approvals");
	if (apps && apps->kind == CRQ_NODE_ARRAY && apps->count) {
		by = crq_node_get_str(apps->items[apps->count - 1], "by");
		role = crq_node_get_str(apps->items[apps->count - 1], "role");
	}
	if (!strcmp(action, "reject")) {
		printf("%s: rejected by %s (%s)\n", id, by ? by : "?",
			role ? role : "?");
	} else if (to && !strcmp(to, "authorized")) {
		printf("%s: approved by %s (%s); authorized\n", id,
			by ? by : "?", role ? role : "?");
	} else if (crq_change_approval_status(&st, repo, id) == 0) {
		const char *miss = crq_node_get_str(st, "missing");

		printf("%s: approved by %s (%s); still needed: %s\n", id,
			by ? by : "?", role ? role : "?", miss ? miss : "nothing");
	}
	crq_node_free(st);
	crq_node_free(doc);
}

/* After a policy step: in force (with the version), or proposed. */
void say_policy(crq_repo *repo, const char *what)
{
	const crq_node *p, *pending, *v, *th, *apps;

	if (crq_policy_get(&p, repo) < 0)
		return;
	pending = crq_node_get(p, "pending");
	v = crq_node_get(p, "version");
	if (pending) {
		th = crq_node_get(p, "admin_threshold");
		apps = crq_node_get(pending, "approvals");
		printf("proposed: %s (%zu of %lld admins; in force when approved: crq policy approve)\n",
			what, apps ? apps->count : 0, th ? th->i : 1);
	} else {
		printf("%s (policy version %lld)\n", what, v ? v->i : 0);
	}
}
