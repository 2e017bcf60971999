/*
 * audit.c - the evidence pack (crq audit) and the permission audit
 * (crq audit --permissions).  Both read the history through one full
 * run of crq verify: every step in the pack is a step verify walked,
 * with verify's verdict on it, so nothing is shown as fact that verify
 * refused.  The controls are judged from the steps themselves (their
 * commits, their order in the graph, the content they committed), each
 * naming the commit that proves it.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/evp.h>
#include "change.h"
#include "commit.h"
#include "policy.h"
#include "rules.h"
#include "sign.h"
#include "trail.h"

#define POLICY_PATH ".crq/policy.yaml"
#define EXPIRING_DAYS 30

/* ---- small values ---- */

static crq_node *oid_node(const git_oid *id)
{
	char hex[41];

	git_oid_tostr(hex, sizeof(hex), id);
	return crq_node_new_cstr(hex);
}

/*
 * The one place crq computes a key's fingerprint (crq_audit_fingerprint
 * in audit.h).  It sets no error: the audit takes fingerprints while a
 * step's refusal may still be the error to report.
 */
static int fingerprint(crq_buf *out, const char *key)
{
	const char *b64 = key ? strchr(key, ' ') : NULL;
	unsigned char *blob = NULL, md[32];
	unsigned char enc[64];
	size_t n, len;
	int got, pad = 0, err = CRQ_EINVALID;

	if (!b64)
		goto done;
	b64++;
	len = strcspn(b64, " ");
	if (!len || len % 4)
		goto done;
	blob = crq__malloc(len);
	got = EVP_DecodeBlock(blob, (const unsigned char *)b64, (int)len);
	if (got < 0)
		goto done;
	if (b64[len - 1] == '=')
		pad++;
	if (b64[len - 2] == '=')
		pad++;
	if (got <= pad)
		goto done;
	n = (size_t)got - (size_t)pad;
	if (EVP_Digest(blob, n, md, NULL, EVP_sha256(), NULL) != 1)
		goto done;
	got = EVP_EncodeBlock(enc, md, sizeof(md));
	while (got > 0 && enc[got - 1] == '=')
		got--;
	crq_buf_puts(out, "SHA256:");
	crq_buf_put(out, (const char *)enc, (size_t)got);
	err = 0;
done:
	free(blob);
	return err;
}

int crq_audit_fingerprint(crq_buf *out, const char *key)
{
	if (fingerprint(out, key) < 0)
		return crq_error__set(CRQ_EINVALID,
			"not an ssh public key ('TYPE BASE64'): no fingerprint");
	return 0;
}

static crq_node *fingerprint_node(const char *key)
{
	crq_buf fp = CRQ_BUF_INIT;
	crq_node *n;

	fingerprint(&fp, key);
	n = fp.size ? crq_node_new_cstr(fp.ptr) : crq_node_new(CRQ_NODE_NULL);
	crq_buf_dispose(&fp);
	return n;
}

static int eq(const char *a, const char *b)
{
	return a && b && !strcmp(a, b);
}

/* Does s hold word, in any case? */
static int holds_word(const char *s, const char *word)
{
	size_t n = strlen(word), i;

	if (!s)
		return 0;
	for (; *s; s++) {
		for (i = 0; i < n && s[i] &&
		     tolower((unsigned char)s[i]) ==
		     tolower((unsigned char)word[i]); i++)
			;
		if (i == n)
			return 1;
	}
	return 0;
}

static int text_present(const crq_node *doc, const char *field)
{
	const char *s = crq_node_get_str(doc, field);

	if (!s)
		return 0;
	while (*s && isspace((unsigned char)*s))
		s++;
	return *s != '\0';
}

/* ---- the controls ---- */

struct judge {
	crq_repo *repo;
	const crq_node *policy;		/* the tip's */
	const crq_trail *rows;
	long long now;
};

static void control(crq_node *list, const char *name, const char *status,
	const git_oid *commit, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));

static void control(crq_node *list, const char *name, const char *status,
	const git_oid *commit, const char *fmt, ...)
{
	crq_node *c = crq_node_new(CRQ_NODE_OBJECT);
	crq_buf d = CRQ_BUF_INIT;
	va_list ap;

	va_start(ap, fmt);
	crq_buf_vprintf(&d, fmt, ap);
	va_end(ap);
	crq_node_set(c, "control", crq_node_new_cstr(name));
	crq_node_set(c, "status", crq_node_new_cstr(status));
	crq_node_set(c, "commit", commit ? oid_node(commit) :
		crq_node_new(CRQ_NODE_NULL));
	crq_node_set(c, "detail", crq_node_new_cstr(d.ptr));
	crq_node_push(list, c);
	crq_buf_dispose(&d);
}

static void short_id(char out[12], const git_oid *id)
{
	git_oid_tostr(out, 12, id);
}

/* The change's content as the step at commit committed it. */
static int content_at(crq_node **out, struct judge *j, const char *id,
	const git_oid *commit)
{
	crq_buf path = CRQ_BUF_INIT, text = CRQ_BUF_INIT;
	int err;

	*out = NULL;
	if ((err = crq_change_path(&path, j->repo, id)) == 0 &&
	    (err = crq_store__read(j->repo, commit, path.ptr, &text,
			NULL)) == 0)
		err = crq_change_parse(out, j->repo, text.ptr, text.size,
			path.ptr, NULL);
	crq_error_clear();
	crq_buf_dispose(&path);
	crq_buf_dispose(&text);
	return err;
}

/* Is the action (on a change of type, from state) one that decides? */
static int is_decision(struct judge *j, const crq_trail_step *r,
	const char *type)
{
	return r->action && crq_rules_is_decision(j->policy, r->action, type,
		r->from);
}

/* Does the policy's action name record deployments? */
static int is_deploy(struct judge *j, const char *name)
{
	const crq_node *acts = crq_node_path(j->policy, "workflow.actions");
	size_t i;

	for (i = 0; name && acts && i < acts->count; i++)
		if (eq(crq_node_get_str(acts->items[i], "name"), name) &&
		    crq_node_get(acts->items[i], "deployments"))
			return 1;
	return 0;
}

/* The steps of one change, in walk order (oldest first). */
struct trail {
	const crq_trail_step **s;
	size_t n;
	long auth, start, review, done;	/* indexes, -1: none */
};

static void controls_of(crq_node *list, struct judge *j, const crq_node *doc,
	const struct trail *t)
{
	const char *id = crq_node_get_str(doc, "id");
	const char *type = crq_node_get_str(doc, "type");
	const char *state = crq_node_get_str(doc, "state");
	const char *requester = crq_node_get_str(doc, "requester");
	const crq_trail_step *auth = t->auth >= 0 ? t->s[t->auth] : NULL;
	const crq_trail_step *start = t->start >= 0 ? t->s[t->start] : NULL;
	const crq_trail_step *rev = t->review >= 0 ? t->s[t->review] : NULL;
	crq_node *authorized = NULL;
	char a[12], b[12];
	size_t i;

	/* 1. authorized before implementation, as ancestry in the graph */
	if (!start) {
		control(list, "authorized-before-implementation", "n/a", NULL,
			"not implemented");
	} else if (!auth) {
		short_id(b, &start->id);
		control(list, "authorized-before-implementation", "fail",
			&start->id, "started in %s with no authorizing step before it",
			b);
	} else {
		int d = git_graph_descendant_of(j->repo->git, &start->id,
			&auth->id);

		short_id(a, &auth->id);
		short_id(b, &start->id);
		if (d == 1 && !auth->refused && !start->refused)
			control(list, "authorized-before-implementation",
				"pass", &auth->id,
				"authorized in %s (%s by %s), an ancestor of the start %s",
				a, auth->action, auth->by, b);
		else
			control(list, "authorized-before-implementation",
				"fail", &start->id,
				d == 1 ? "the authorizing step %s or the start %s was refused by crq verify" :
				"the authorizing step %s is not an ancestor of the start %s in the commit graph",
				a, b);
	}

	/* 2. separation of duties: in the round that authorized it, no
	 * approver had created or edited it, nor requested it */
	{
		long from = 0, k;
		size_t approvers = 0;
		const crq_trail_step *bad = NULL;
		const char *why = "";

		if (auth) {
			for (k = t->auth - 1; k >= 0; k--) {
				const crq_trail_step *r = t->s[k];

				if (is_decision(j, r, type) &&
				    !eq(r->from, r->to)) {
					from = k + 1;
					break;
				}
			}
			for (k = from; k <= t->auth && !bad; k++) {
				const crq_trail_step *r = t->s[k];
				long e;

				/* a refused approval is what the history
				 * claims too */
				if (!is_decision(j, r, type) ||
				    !eq(r->action, auth->action))
					continue;
				approvers++;
				if (eq(r->by, requester)) {
					bad = r;
					why = "the requester";
				}
				for (e = from; e < k && !bad; e++)
					if ((eq(t->s[e]->action, "edit") ||
					     eq(t->s[e]->action, "create")) &&
					    eq(t->s[e]->by, r->by)) {
						bad = r;
						why = "who edited it in that round";
					}
			}
		}
		if (!auth)
			control(list, "separation-of-duties", "n/a", NULL,
				"not authorized");
		else if (bad) {
			short_id(a, &bad->id);
			control(list, "separation-of-duties", "fail", &bad->id,
				"%s approved in %s and is %s", bad->by, a, why);
		} else if (!approvers) {
			short_id(a, &auth->id);
			control(list, "separation-of-duties", "n/a", &auth->id,
				"authorized in %s without approvals (%s)", a,
				eq(type, "standard") ?
				"a standard change, pre-authorized by its template" :
				auth->action);
		} else {
			short_id(a, &auth->id);
			control(list, "separation-of-duties", "pass", &auth->id,
				"%zu approval%s, none by the requester or an editor of the round authorized in %s",
				approvers, approvers == 1 ? "" : "s", a);
		}
	}

	/* 3. the plans, in the content that was authorized */
	if (!auth) {
		control(list, "plans", "n/a", NULL, "not authorized");
	} else if (content_at(&authorized, j, id, &auth->id) < 0) {
		short_id(a, &auth->id);
		control(list, "plans", "fail", &auth->id,
			"the content authorized in %s cannot be read", a);
	} else {
		static const char *const plans[] = { "implementation_plan",
			"backout_plan", "test_plan" };
		crq_buf missing = CRQ_BUF_INIT;

		for (i = 0; i < CRQ_ARRAY_SIZE(plans); i++)
			if (!text_present(authorized, plans[i]))
				crq_buf_printf(&missing, "%s%s",
					missing.size ? ", " : "", plans[i]);
		short_id(a, &auth->id);
		if (missing.size)
			control(list, "plans", "fail", &auth->id,
				"authorized in %s without %s", a, missing.ptr);
		else
			control(list, "plans", "pass", &auth->id,
				"implementation, backout and test plans in the content authorized in %s",
				a);
		crq_buf_dispose(&missing);
	}

	/* 4. an emergency change reviewed by its deadline */
	{
		const char *due = crq_node_get_str(doc, "review_due");
		long long d = 0;

		if (!eq(type, "emergency"))
			control(list, "emergency-review", "n/a", NULL,
				"not an emergency change");
		else if (!start)
			control(list, "emergency-review", "n/a", NULL,
				"not implemented");
		else if (!due || crq_store__parse_time(due, &d) < 0)
			control(list, "emergency-review", "fail", &start->id,
				"implemented with no review deadline recorded");
		else if (rev && rev->time <= d && !rev->refused) {
			short_id(a, &rev->id);
			control(list, "emergency-review", "pass", &rev->id,
				"reviewed in %s, before the deadline %s", a, due);
		} else if (rev) {
			short_id(a, &rev->id);
			control(list, "emergency-review", "fail", &rev->id,
				"reviewed in %s, after the deadline %s", a, due);
		} else if (j->now > d) {
			control(list, "emergency-review", "fail", &start->id,
				"the review was due %s and is still owed", due);
		} else {
			control(list, "emergency-review", "pending", &start->id,
				"the review is due by %s", due);
		}
	}

	/* 5. the post-implementation review */
	{
		const crq_trail_step *end = t->done >= 0 ? t->s[t->done] : NULL;

		if (!end)
			control(list, "post-implementation-review", "n/a", NULL,
				"not implemented");
		else if (rev) {
			short_id(a, &rev->id);
			control(list, "post-implementation-review",
				rev->refused ? "fail" : "pass", &rev->id,
				rev->refused ? "the review %s was refused by crq verify" :
				"reviewed in %s by %s", a, rev->by);
		} else if (eq(type, "standard"))
			control(list, "post-implementation-review", "n/a",
				&end->id, "a standard change closes without a review");
		else if (eq(state, "closed") || eq(state, "cancelled"))
			control(list, "post-implementation-review", "fail",
				&end->id, "%s without a review", state);
		else
			control(list, "post-implementation-review", "pending",
				&end->id, "implemented, the review is still to come");
	}

	/* 6. what was deployed matches what was authorized */
	{
		const crq_node *links = authorized ?
			crq_node_get(authorized, "links") : NULL;
		size_t deploys = 0, named = 0;
		const crq_trail_step *last = NULL, *bad = NULL;
		const char *why = "";
		long k;

		for (i = 0; links && i < links->count; i++)
			if (eq(crq_node_get_str(links->items[i], "type"),
			       "commit"))
				named++;
		for (k = 0; k < (long)t->n && !bad; k++) {
			const crq_trail_step *r = t->s[k];

			if (!is_deploy(j, r->action))
				continue;
			deploys++;
			last = r;
			if (r->refused) {
				bad = r;
				why = "was refused by crq verify";
			} else if (!auth || git_graph_descendant_of(
					j->repo->git, &r->id, &auth->id) != 1) {
				bad = r;
				why = "is not under the authorization (no authorizing step is its ancestor)";
			} else if (!eq(r->from, "authorized") &&
				   !eq(r->from, "scheduled") &&
				   !eq(r->from, "implementing")) {
				bad = r;
				why = "was made while the change was not authorized";
			}
		}
		/* each deployed commit is one the authorized change names */
		if (!bad && named) {
			const crq_node *deps = crq_node_get(doc, "deployments");

			for (i = 0; deps && i < deps->count && !bad; i++) {
				const char *ref = crq_node_get_str(
					deps->items[i], "ref");
				size_t m, hit = 0;

				for (m = 0; m < links->count; m++)
					if (eq(crq_node_get_str(links->items[m],
						"type"), "commit") &&
					    eq(crq_node_get_str(links->items[m],
						"ref"), ref))
						hit = 1;
				if (!hit) {
					bad = last;
					why = "deployed a commit the authorized change does not name";
				}
			}
		}
		if (bad) {
			short_id(a, &bad->id);
			control(list, "deployed-as-authorized", "fail", &bad->id,
				"the deployment recorded in %s %s", a, why);
		} else if (deploys) {
			short_id(a, &last->id);
			control(list, "deployed-as-authorized", "pass", &last->id,
				"%zu deployment%s recorded under the authorization%s, the last in %s",
				deploys, deploys == 1 ? "" : "s", named ?
				", each of a commit the change names" : "", a);
		} else if (start) {
			control(list, "deployed-as-authorized", "not-recorded",
				NULL, "implemented, but no crq deploy record");
		} else {
			control(list, "deployed-as-authorized", "n/a", NULL,
				"not implemented");
		}
	}
	crq_node_free(authorized);
}

/*
 * The change's trail out of all rows, and its landmarks: the first
 * start, the first completion or failure, the first review, and the
 * authorization the start relied on: the latest step into authorized
 * dated no later than the start (by time: whether it is also the
 * start's ancestor in the graph is what the control asks).  Refused
 * steps count as what the history claims; the controls fail on them.
 */
static void trail_of(struct trail *t, const crq_trail *rows,
	const crq_trail_step *const *byid, const char *id)
{
	const crq_trail_step *st;
	size_t i, lo = 0, hi = rows->n;

	t->n = 0;
	t->auth = t->start = t->review = t->done = -1;
	/* the first row of id in byid (sorted by change, then walk order) */
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		/* policy rows (no change) sort last */
		if (byid[mid]->change && strcmp(byid[mid]->change, id) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (i = lo; i < rows->n && eq(byid[i]->change, id); i++)
		t->s[t->n++] = byid[i];
	for (i = 0; i < t->n; i++) {
		const crq_trail_step *r = t->s[i];

		if (eq(r->to, "implementing") && !eq(r->from, "implementing") &&
		    t->start < 0)
			t->start = (long)i;
		if ((eq(r->to, "completed") || eq(r->to, "failed")) &&
		    t->done < 0)
			t->done = (long)i;
		if (eq(r->to, "reviewed") && t->review < 0)
			t->review = (long)i;
	}
	st = t->start >= 0 ? t->s[t->start] : NULL;
	for (i = 0; i < t->n; i++) {
		const crq_trail_step *r = t->s[i];
		const crq_trail_step *best = t->auth >= 0 ? t->s[t->auth] : NULL;

		if (!eq(r->to, "authorized") || eq(r->from, "authorized") ||
		    (st && r->time > st->time))
			continue;
		/* later wins; at the same time, an accepted one */
		if (!best || r->time > best->time ||
		    (r->time == best->time && (best->refused ||
		     !r->refused)))
			t->auth = (long)i;
	}
}

/* Does the change's trail meet the filters? */
static int wanted(const crq_audit_options *o, const crq_node *doc,
	const struct trail *t)
{
	size_t i;
	int member = !o->member, role = !o->role, when = !o->since &&
		!o->until;

	if (o->change && !eq(o->change, crq_node_get_str(doc, "id")))
		return 0;
	if (o->grep && !holds_word(crq_node_get_str(doc, "id"), o->grep) &&
	    !holds_word(crq_node_get_str(doc, "title"), o->grep) &&
	    !holds_word(crq_node_get_str(doc, "description"), o->grep))
		return 0;
	for (i = 0; i < t->n; i++) {
		const crq_trail_step *r = t->s[i];

		member |= eq(r->by, o->member);
		role |= eq(r->role, o->role);
		when |= (!o->since || r->time >= o->since) &&
			(!o->until || r->time <= o->until);
	}
	return member && role && when;
}

static int row_wanted(const crq_audit_options *o, const crq_trail_step *r)
{
	if (o->change || o->grep)
		return 0;
	return (!o->member || eq(r->by, o->member)) &&
		(!o->role || eq(r->role, o->role)) &&
		(!o->since || r->time >= o->since) &&
		(!o->until || r->time <= o->until);
}

static crq_node *row_node(const crq_trail_step *r, const char *title)
{
	crq_node *n = crq_node_new(CRQ_NODE_OBJECT);

	crq_node_set(n, "commit", oid_node(&r->id));
	crq_node_set(n, "time", crq_trail__time(r->time));
	crq_node_set(n, "change", crq_trail__str(r->change));
	crq_node_set(n, "title", crq_trail__str(title));
	crq_node_set(n, "by", crq_trail__str(r->by));
	crq_node_set(n, "role", crq_trail__str(r->role));
	crq_node_set(n, "action", crq_trail__str(r->action));
	crq_node_set(n, "from", crq_trail__str(r->from));
	crq_node_set(n, "to", crq_trail__str(r->to));
	crq_node_set(n, "policy_version", r->version ?
		crq_node_new_int(r->version) : crq_node_new(CRQ_NODE_NULL));
	crq_node_set(n, "key", fingerprint_node(r->key));
	crq_node_set(n, "signature", crq_node_new_cstr(r->signature));
	crq_node_set(n, "verdict", crq_node_new_cstr(r->refused ?
		"refused" : "accepted"));
	crq_node_set(n, "rule", crq_trail__str(r->rule));
	crq_node_set(n, "message", crq_trail__str(r->message));
	return n;
}

static void copy_field(crq_node *to, const crq_node *from, const char *key)
{
	const crq_node *v = crq_node_get(from, key);

	crq_node_set(to, key, v ? crq_node_dup(v) :
		crq_node_new(CRQ_NODE_NULL));
}

static void count_status(crq_node *sum, const crq_node *controls)
{
	size_t i;

	for (i = 0; i < controls->count; i++) {
		const char *s = crq_node_get_str(controls->items[i], "status");
		crq_node *c = crq_node_get(sum, s);

		if (c)
			c->i++;
	}
}

static crq_node *filters_node(const crq_audit_options *o)
{
	crq_node *f = crq_node_new(CRQ_NODE_OBJECT);

	crq_node_set(f, "change", crq_trail__str(o->change));
	crq_node_set(f, "member", crq_trail__str(o->member));
	crq_node_set(f, "role", crq_trail__str(o->role));
	crq_node_set(f, "since", o->since ? crq_trail__time(o->since) :
		crq_node_new(CRQ_NODE_NULL));
	crq_node_set(f, "until", o->until ? crq_trail__time(o->until) :
		crq_node_new(CRQ_NODE_NULL));
	crq_node_set(f, "grep", crq_trail__str(o->grep));
	return f;
}

/*
 * A change verify refuses a commit of proves nothing: a control its
 * own steps would pass fails, naming the first refused commit (a step
 * of it, or a merge that rewrote it).
 */
static void unproven(crq_node *controls, const crq_trail *rows,
	const char *id, const struct trail *t)
{
	const char *rule = NULL, *hex = NULL;
	git_oid at;
	size_t i;

	for (i = 0; i < t->n && !rule; i++)
		if (t->s[i]->refused) {
			rule = t->s[i]->rule;
			git_oid_cpy(&at, &t->s[i]->id);
		}
	for (i = 0; i < rows->verify.count && !rule; i++)
		if (eq(rows->verify.items[i].change, id) &&
		    crq_trail__refuses_change(&rows->verify.items[i])) {
			rule = rows->verify.items[i].rule;
			hex = rows->verify.items[i].commit;
			git_oid_fromstr(&at, hex);
		}
	if (!rule)
		return;
	for (i = 0; i < controls->count; i++) {
		crq_node *c = controls->items[i];
		char a[12];

		if (!eq(crq_node_get_str(c, "status"), "pass"))
			continue;
		short_id(a, &at);
		crq_node_set(c, "status", crq_node_new_cstr("fail"));
		crq_node_set(c, "commit", oid_node(&at));
		{
			crq_buf d = CRQ_BUF_INIT;

			crq_buf_printf(&d, "not proven: crq verify refuses %s (%s) of this change; its own steps would pass: %s",
				a, rule ? rule : "?",
				crq_node_get_str(c, "detail"));
			crq_node_set(c, "detail", crq_node_new_cstr(d.ptr));
			crq_buf_dispose(&d);
		}
	}
}

/* Rows of changes by change id, then in walk order (policy rows last). */
static int by_change(const void *a, const void *b)
{
	const crq_trail_step *x = *(const crq_trail_step *const *)a;
	const crq_trail_step *y = *(const crq_trail_step *const *)b;
	int c;

	if (!x->change || !y->change)
		c = !x->change - !y->change;
	else
		c = strcmp(x->change, y->change);
	return c ? c : (x < y ? -1 : x > y);
}

static int by_string(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

int crq_audit__of(crq_node **out, crq_repo *repo, const crq_trail *rows,
	const crq_node *changes, const crq_audit_options *opts)
{
	crq_audit_options none = CRQ_AUDIT_OPTIONS_INIT;
	struct judge j;
	struct trail t = { NULL, 0, -1, -1, -1, -1 };
	crq_node *pack = NULL, *steps, *list, *sum, *cs;
	const crq_trail_step **byid = NULL;
	const char **bad_ids = NULL, **tip_ids = NULL;
	size_t nbad = 0;
	const crq_node *policy;
	git_oid tip;
	size_t i, k, nsteps = 0, nrefused = 0;
	int err, unborn = 0;

	*out = NULL;
	if (!opts)
		opts = &none;
	if ((err = crq_policy__tip(&policy, repo)) < 0 ||
	    (err = crq_store__tip(repo, &tip, &unborn)) < 0)
		goto done;
	memset(&j, 0, sizeof(j));
	j.repo = repo;
	j.policy = policy;
	j.rows = rows;
	j.now = crq_time_now();
	/* the changes verify names, and the rows by change, sorted */
	bad_ids = crq__calloc(rows->verify.count + 1, sizeof(*bad_ids));
	for (i = 0; i < rows->verify.count; i++)
		if (crq_trail__refuses_change(&rows->verify.items[i]))
			bad_ids[nbad++] = rows->verify.items[i].change;
	crq__sort(bad_ids, nbad, sizeof(*bad_ids), by_string);
	byid = crq__calloc(rows->n + 1, sizeof(*byid));
	for (i = 0; i < rows->n; i++)
		byid[i] = &rows->v[i];
	crq__sort(byid, rows->n, sizeof(*byid), by_change);
	tip_ids = crq__calloc(changes->count + 1, sizeof(*tip_ids));
	for (i = 0; i < changes->count; i++)
		tip_ids[i] = crq_node_get_str(changes->items[i], "id") ?
			crq_node_get_str(changes->items[i], "id") : "";
	crq__sort(tip_ids, changes->count, sizeof(*tip_ids), by_string);
	pack = crq_node_new(CRQ_NODE_OBJECT);
	crq_node_set(pack, "generated", crq_trail__time(j.now));
	crq_node_set(pack, "branch", crq_node_new_cstr(crq_store__branch_name(repo)));
	crq_node_set(pack, "tip", oid_node(&tip));
	crq_node_set(pack, "root", crq_node_new_cstr(rows->verify.root));
	crq_node_set(pack, "verify", crq_trail__verify_node(rows, 1));
	crq_node_set(pack, "filters", filters_node(opts));
	steps = crq_node_new(CRQ_NODE_ARRAY);
	list = crq_node_new(CRQ_NODE_ARRAY);
	sum = crq_node_new(CRQ_NODE_OBJECT);
	cs = crq_node_new(CRQ_NODE_OBJECT);
	crq_node_set(cs, "pass", crq_node_new_int(0));
	crq_node_set(cs, "fail", crq_node_new_int(0));
	crq_node_set(cs, "pending", crq_node_new_int(0));
	crq_node_set(cs, "not-recorded", crq_node_new_int(0));
	crq_node_set(cs, "n/a", crq_node_new_int(0));
	t.s = crq__calloc(rows->n + 1, sizeof(*t.s));
	/* which rows go in: those of the changes kept, in walk order */
	{
		/* the kept rows' changes (NULL: not kept) */
		const crq_node **keep = crq__calloc(rows->n + 1, sizeof(*keep));

		for (i = 0; i < changes->count; i++) {
			const crq_node *doc = changes->items[i];
			const char *id = crq_node_get_str(doc, "id");
			crq_node *c, *ctl;
			int bad;

			if (!id)
				continue;
			trail_of(&t, rows, byid, id);
			if (!wanted(opts, doc, &t))
				continue;
			for (k = 0; k < t.n; k++)
				keep[t.s[k] - rows->v] = doc;
			c = crq_node_new(CRQ_NODE_OBJECT);
			copy_field(c, doc, "id");
			copy_field(c, doc, "title");
			copy_field(c, doc, "type");
			copy_field(c, doc, "state");
			copy_field(c, doc, "requester");
			copy_field(c, doc, "services");
			copy_field(c, doc, "risk");
			copy_field(c, doc, "created");
			copy_field(c, doc, "window");
			copy_field(c, doc, "implementer");
			copy_field(c, doc, "close_code");
			copy_field(c, doc, "review_due");
			{
				const crq_node *tk = crq_node_get(doc, "tasks");
				crq_node *tasks = crq_node_new(CRQ_NODE_ARRAY);

				for (k = 0; tk && k < tk->count; k++) {
					crq_node *x = crq_node_new(
						CRQ_NODE_OBJECT);
					const crq_node *d;

					crq_node_set(x, "number",
						crq_node_new_int((long long)k + 1));
					copy_field(x, tk->items[k], "title");
					copy_field(x, tk->items[k], "phase");
					copy_field(x, tk->items[k], "owner");
					copy_field(x, tk->items[k], "role");
					copy_field(x, tk->items[k], "due");
					d = crq_node_get(tk->items[k], "done");
					crq_node_set(x, "done", crq_node_new_bool(
						d && d->kind != CRQ_NODE_NULL &&
						!(d->kind == CRQ_NODE_BOOL &&
						  !d->b)));
					crq_node_push(tasks, x);
				}
				crq_node_set(c, "tasks", tasks);
			}
			{
				const crq_node *dp = crq_node_get(doc,
					"deployments");

				crq_node_set(c, "deployments", dp ?
					crq_node_dup(dp) :
					crq_node_new(CRQ_NODE_ARRAY));
			}
			bad = bsearch(&id, bad_ids, nbad, sizeof(*bad_ids),
				by_string) != NULL;
			for (k = 0; k < t.n; k++)
				bad |= t.s[k]->refused;
			crq_node_set(c, "verdict", crq_node_new_cstr(bad ?
				"refused" : "accepted"));
			crq_node_set(c, "steps", crq_node_new_int(
				(long long)t.n));
			ctl = crq_node_new(CRQ_NODE_ARRAY);
			controls_of(ctl, &j, doc, &t);
			if (bad)
				unproven(ctl, rows, id, &t);
			count_status(cs, ctl);
			crq_node_set(c, "controls", ctl);
			crq_node_push(list, c);
		}
		/* in walk order: the kept changes' steps, the policy steps
		 * the filters let through, and steps of a change that is
		 * not at the tip (its file there does not parse) when
		 * nothing narrows the pack, or --change names it */
		for (i = 0; i < rows->n; i++) {
			const crq_trail_step *r = &rows->v[i];
			int in = keep[i] != NULL;

			if (!in && !r->change)
				in = row_wanted(opts, r);
			else if (!in)
				in = (opts->change ? eq(r->change,
					opts->change) : !opts->grep &&
					!opts->member && !opts->role &&
					!opts->since && !opts->until) &&
					!bsearch(&r->change, tip_ids,
					changes->count, sizeof(*tip_ids),
					by_string);
			if (!in)
				continue;
			crq_node_push(steps, row_node(r, keep[i] ?
				crq_node_get_str(keep[i], "title") : NULL));
			nsteps++;
			nrefused += r->refused;
		}
		free(keep);
	}
	crq_node_set(pack, "steps", steps);
	crq_node_set(pack, "changes", list);
	crq_node_set(sum, "changes", crq_node_new_int((long long)list->count));
	crq_node_set(sum, "steps", crq_node_new_int((long long)nsteps));
	crq_node_set(sum, "refused", crq_node_new_int((long long)nrefused));
	crq_node_set(sum, "violations", crq_node_new_int((long long)rows->verify.count));
	crq_node_set(sum, "controls", cs);
	crq_node_set(pack, "summary", sum);
	*out = pack;
	pack = NULL;
	err = 0;
done:
	free(t.s);
	crq_node_free(pack);
	free(byid);
	free(bad_ids);
	free(tip_ids);
	return err;
}

int crq_audit(crq_node **out, crq_repo *repo, const crq_audit_options *opts)
{
	crq_audit_options none = CRQ_AUDIT_OPTIONS_INIT;
	crq_trail rows;
	crq_node *changes = NULL;
	int err;

	*out = NULL;
	if (!opts)
		opts = &none;
	if ((err = crq_trail__read(&rows, repo, opts->trust,
			opts->require_trust)) == 0 &&
	    (err = crq_change_list(&changes, repo, NULL, NULL)) == 0)
		err = crq_audit__of(out, repo, &rows, changes, opts);
	crq_node_free(changes);
	crq_trail__dispose(&rows);
	return err;
}

int crq_audit_failed(const crq_node *pack)
{
	const crq_node *sum = crq_node_get(pack, "summary");
	const crq_node *f = crq_node_path(sum, "controls.fail");
	const crq_node *r = crq_node_get(sum, "refused");
	const crq_node *v = crq_node_get(sum, "violations");

	return (f && f->i > 0) || (r && r->i > 0) || (v && v->i > 0);
}

/* ---- the permission audit ---- */

/* A member's grants as {role: until-or-""}. */
static crq_node *grants_of(const crq_node *m)
{
	const crq_node *roles = crq_node_get(m, "roles");
	crq_node *g = crq_node_new(CRQ_NODE_OBJECT);
	size_t i;

	for (i = 0; roles && i < roles->count; i++) {
		const char *r = crq_policy__grant_role(roles->items[i]);
		const char *until = roles->items[i]->kind == CRQ_NODE_OBJECT ?
			crq_node_get_str(roles->items[i], "until") : NULL;

		if (r)
			crq_node_set(g, r, crq_node_new_cstr(until ? until :
				""));
	}
	return g;
}

static crq_node *keys_of(const crq_node *m)
{
	const crq_node *keys = crq_node_get(m, "keys");
	crq_node *k = crq_node_new(CRQ_NODE_OBJECT);
	size_t i;

	for (i = 0; keys && i < keys->count; i++) {
		crq_buf canon = CRQ_BUF_INIT;

		if (keys->items[i]->kind == CRQ_NODE_STRING &&
		    crq_ssh_pubkey_canonical(&canon, keys->items[i]->str) == 0)
			crq_node_set(k, canon.ptr, crq_node_new_bool(1));
		crq_error_clear();
		crq_buf_dispose(&canon);
	}
	return k;
}

struct perm {
	crq_node *events;
	/* email -> {role: {since, granted_by, commit}} of the grants in
	 * force */
	crq_node *held;
};

static void perm_event(struct perm *p, const crq_trail_step *r, const char *kind,
	const char *member, const char *role, const char *until,
	const char *extra)
{
	crq_node *e = crq_node_new(CRQ_NODE_OBJECT);

	crq_node_set(e, "time", crq_trail__time(r->time));
	crq_node_set(e, "commit", oid_node(&r->id));
	crq_node_set(e, "by", crq_trail__str(r->by));
	crq_node_set(e, "kind", crq_node_new_cstr(kind));
	crq_node_set(e, "member", crq_trail__str(member));
	crq_node_set(e, "role", crq_trail__str(role));
	crq_node_set(e, "until", until && *until ? crq_node_new_cstr(until) :
		crq_node_new(CRQ_NODE_NULL));
	crq_node_set(e, "key", extra ? fingerprint_node(extra) :
		crq_node_new(CRQ_NODE_NULL));
	crq_node_set(e, "verdict", crq_node_new_cstr(r->refused ? "refused" :
		"accepted"));
	crq_node_push(p->events, e);
}

static crq_node *held_of(struct perm *p, const char *email)
{
	crq_node *h = crq_node_get(p->held, email);

	if (!h) {
		crq_node_set(p->held, email, crq_node_new(CRQ_NODE_OBJECT));
		h = crq_node_get(p->held, email);
	}
	return h;
}

/* What one policy step changed about members, roles and keys. */
static void perm_diff(struct perm *p, const crq_trail_step *r,
	const crq_node *old, const crq_node *new)
{
	const crq_node *om = crq_node_get(old, "members");
	const crq_node *nm = crq_node_get(new, "members");
	size_t i, k;

	for (i = 0; nm && i < nm->count; i++) {
		const char *email = crq_node_get_str(nm->items[i], "email");
		const crq_node *was = email ? crq_policy__member(old, email) :
			NULL;
		crq_node *ng = grants_of(nm->items[i]);
		crq_node *og = was ? grants_of(was) : crq_node_new(
			CRQ_NODE_OBJECT);
		crq_node *nk = keys_of(nm->items[i]);
		crq_node *ok = was ? keys_of(was) : crq_node_new(
			CRQ_NODE_OBJECT);
		crq_node *h;

		if (!email)
			goto next;
		h = held_of(p, email);
		if (!was)
			perm_event(p, r, "member-add", email, NULL, NULL, NULL);
		for (k = 0; k < ng->count; k++) {
			const crq_node *o = crq_node_get(og, ng->keys[k]);

			if (o && !strcmp(o->str, ng->items[k]->str))
				continue;
			perm_event(p, r, o ? "grant-change" : "grant",
				email, ng->keys[k], ng->items[k]->str, NULL);
			/* a new end keeps the grant's origin */
			if (!r->refused && !(o && crq_node_get(h,
					ng->keys[k]))) {
				crq_node *g = crq_node_new(CRQ_NODE_OBJECT);

				crq_node_set(g, "since", crq_trail__time(r->time));
				crq_node_set(g, "granted_by", crq_trail__str(r->by));
				crq_node_set(g, "commit", oid_node(&r->id));
				crq_node_set(h, ng->keys[k], g);
			}
		}
		for (k = 0; k < og->count; k++)
			if (!crq_node_get(ng, og->keys[k])) {
				perm_event(p, r, "revoke", email, og->keys[k],
					NULL, NULL);
				crq_node_remove(h, og->keys[k]);
			}
		for (k = 0; k < nk->count; k++)
			if (!crq_node_get(ok, nk->keys[k]))
				perm_event(p, r, "key-add", email, NULL, NULL,
					nk->keys[k]);
		for (k = 0; k < ok->count; k++)
			if (!crq_node_get(nk, ok->keys[k]))
				perm_event(p, r, "key-remove", email, NULL,
					NULL, ok->keys[k]);
next:
		crq_node_free(ng);
		crq_node_free(og);
		crq_node_free(nk);
		crq_node_free(ok);
	}
	for (i = 0; om && i < om->count; i++) {
		const char *email = crq_node_get_str(om->items[i], "email");

		if (email && !crq_policy__member(new, email)) {
			perm_event(p, r, "member-remove", email, NULL, NULL,
				NULL);
			crq_node_remove(p->held, email);
		}
	}
}

/* The policy at commit c (NULL: none there or unreadable). */
static crq_node *policy_at(crq_repo *repo, const crq_schema *ps,
	const git_oid *c)
{
	crq_buf text = CRQ_BUF_INIT;
	crq_node *p = NULL;

	if (crq_store__read(repo, c, POLICY_PATH, &text, NULL) == 0 &&
	    crq_policy__parse(&p, ps, text.ptr, text.size, POLICY_PATH,
		NULL) < 0)
		p = NULL;
	crq_error_clear();
	crq_buf_dispose(&text);
	return p;
}

int crq_audit_permissions(crq_node **out, crq_repo *repo,
	const crq_audit_options *opts, long long now)
{
	crq_trail rows;
	struct perm p = { NULL, NULL };
	const crq_node *tip_policy, *members;
	const crq_schema *ps;
	crq_node *prev = NULL, *pack = NULL, *list, *expiring, *admins;
	git_oid root;
	char today[32], horizon[32];
	size_t i, k;
	int err;

	*out = NULL;
	if ((err = crq_trail__read(&rows, repo, opts ? opts->trust : NULL,
			opts ? opts->require_trust : 0)) < 0 ||
	    (err = crq_policy__tip(&tip_policy, repo)) < 0 ||
	    (err = crq_store__policy_schema(&ps, repo)) < 0)
		goto done;
	p.events = crq_node_new(CRQ_NODE_ARRAY);
	p.held = crq_node_new(CRQ_NODE_OBJECT);
	/* the trusted root's policy is where the story starts: its members
	 * are granted by the commit that set the store up */
	git_oid_fromstr(&root, rows.verify.root);
	prev = policy_at(repo, ps, &root);
	if (prev) {
		git_commit *c = NULL;
		crq_trail_step r0;
		crq_node *empty = crq_node_new(CRQ_NODE_OBJECT);

		memset(&r0, 0, sizeof(r0));
		git_oid_cpy(&r0.id, &root);
		/* the store's first commit made its members; a root
		 * picked later (--trust) only finds them in force */
		if (git_commit_lookup(&c, repo->git, &root) == 0) {
			r0.time = (long long)git_commit_committer(c)->when.time;
			if (!git_commit_parentcount(c))
				r0.by = (char *)git_commit_committer(c)->email;
		}
		perm_diff(&p, &r0, empty, prev);
		crq_node_free(empty);
		git_commit_free(c);
	}
	for (i = 0; i < rows.n; i++) {
		const crq_trail_step *r = &rows.v[i];
		crq_node *cur;

		/* every step that wrote the policy, whatever it says it
		 * is (a refused one is shown, and grants nothing) */
		if (!r->wrote_policy ||
		    !(cur = policy_at(repo, ps, &r->id)))
			continue;
		/* the policy before this step is its parent's: a step on a
		 * side branch diffs against its own line */
		{
			git_commit *c = NULL;
			crq_node *before = NULL;

			if (git_commit_lookup(&c, repo->git, &r->id) == 0 &&
			    git_commit_parentcount(c))
				before = policy_at(repo, ps,
					git_commit_parent_id(c, 0));
			git_commit_free(c);
			if (before) {
				crq_node_free(prev);
				prev = before;
			}
		}
		if (prev) {
			perm_diff(&p, r, prev, cur);
		} else {
			crq_node *empty = crq_node_new(CRQ_NODE_OBJECT);

			perm_diff(&p, r, empty, cur);
			crq_node_free(empty);
		}
		crq_node_free(prev);
		prev = cur;
	}
	crq_rules_time(today, now);
	today[10] = '\0';
	crq_rules_time(horizon, now + EXPIRING_DAYS * 86400LL);
	horizon[10] = '\0';
	pack = crq_node_new(CRQ_NODE_OBJECT);
	crq_node_set(pack, "generated", crq_trail__time(now));
	crq_node_set(pack, "verify", crq_trail__verify_node(&rows, 1));
	list = crq_node_new(CRQ_NODE_ARRAY);
	expiring = crq_node_new(CRQ_NODE_ARRAY);
	admins = crq_node_new(CRQ_NODE_ARRAY);
	members = crq_node_get(tip_policy, "members");
	for (i = 0; members && i < members->count; i++) {
		const crq_node *m = members->items[i];
		const char *email = crq_node_get_str(m, "email");
		const crq_node *roles = crq_node_get(m, "roles");
		const crq_node *keys = crq_node_get(m, "keys");
		const crq_node *h = email ? crq_node_get(p.held, email) : NULL;
		crq_node *o = crq_node_new(CRQ_NODE_OBJECT);
		crq_node *rl = crq_node_new(CRQ_NODE_ARRAY);
		crq_node *kl = crq_node_new(CRQ_NODE_ARRAY);
		int admin = 0;

		crq_node_set(o, "email", crq_trail__str(email));
		copy_field(o, m, "name");
		for (k = 0; keys && k < keys->count; k++) {
			crq_buf canon = CRQ_BUF_INIT;
			crq_node *x = crq_node_new(CRQ_NODE_OBJECT);

			if (keys->items[k]->kind == CRQ_NODE_STRING)
				crq_ssh_pubkey_canonical(&canon,
					keys->items[k]->str);
			crq_error_clear();
			crq_node_set(x, "key", crq_node_new_cstr(
				crq_buf_cstr(&canon)));
			crq_node_set(x, "fingerprint",
				fingerprint_node(crq_buf_cstr(&canon)));
			crq_node_push(kl, x);
			crq_buf_dispose(&canon);
		}
		for (k = 0; roles && k < roles->count; k++) {
			const char *role = crq_policy__grant_role(
				roles->items[k]);
			const char *until = roles->items[k]->kind ==
				CRQ_NODE_OBJECT ? crq_node_get_str(
				roles->items[k], "until") : NULL;
			const crq_node *g = role && h ? crq_node_get(h, role) :
				NULL;
			crq_node *x = crq_node_new(CRQ_NODE_OBJECT);

			if (!role) {
				crq_node_free(x);
				continue;
			}
			crq_node_set(x, "role", crq_node_new_cstr(role));
			crq_node_set(x, "since", g ? crq_node_dup(
				crq_node_get(g, "since")) :
				crq_node_new(CRQ_NODE_NULL));
			crq_node_set(x, "until", crq_trail__str(until));
			crq_node_set(x, "granted_by", g ? crq_node_dup(
				crq_node_get(g, "granted_by")) :
				crq_node_new(CRQ_NODE_NULL));
			crq_node_set(x, "commit", g ? crq_node_dup(
				crq_node_get(g, "commit")) :
				crq_node_new(CRQ_NODE_NULL));
			crq_node_set(x, "active", crq_node_new_bool(
				crq_policy__has_role(m, role, today)));
			/* proven: an accepted step (or the trusted root)
			 * granted it; the tip's policy alone proves nothing
			 * when verify refuses the commit that wrote it */
			crq_node_set(x, "proven", crq_node_new_bool(g != NULL));
			crq_node_push(rl, x);
			if (!strcmp(role, "admin") && g &&
			    crq_policy__has_role(m, role, today))
				admin = 1;
			if (until && strcmp(until, today) >= 0 &&
			    strcmp(until, horizon) <= 0) {
				crq_node *e = crq_node_new(CRQ_NODE_OBJECT);

				crq_node_set(e, "email", crq_trail__str(email));
				crq_node_set(e, "role",
					crq_node_new_cstr(role));
				crq_node_set(e, "until",
					crq_node_new_cstr(until));
				crq_node_push(expiring, e);
			}
		}
		crq_node_set(o, "keys", kl);
		crq_node_set(o, "roles", rl);
		crq_node_set(o, "admin", crq_node_new_bool(admin));
		if (admin)
			crq_node_push(admins, crq_trail__str(email));
		crq_node_push(list, o);
	}
	crq_node_set(pack, "members", list);
	crq_node_set(pack, "events", p.events);
	p.events = NULL;
	crq_node_set(pack, "expiring", expiring);
	crq_node_set(pack, "admins", admins);
	*out = pack;
	err = 0;
done:
	crq_node_free(prev);
	crq_node_free(p.events);
	crq_node_free(p.held);
	crq_trail__dispose(&rows);
	return err;
}
