/*
 * workflow.c - the commands that make steps on changes: create, edit,
 * the policy's actions and imported forge reviews.  Each reads the tip
 * under the writers' lock, asks the rule engine (lib/rules.c) for the
 * content after the step, and commits it signed at the step's time;
 * crq verify runs the same engine on every commit.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "change.h"
#include "rules.h"
#include "commit.h"
#include "history.h"

/* Commits the editors' walk and crq log read one by one before they
 * ask the history index: a change made recently is found as fast
 * without it, and a store that never looks further back never builds
 * it. */
#define WALK_FIRST 100
/* ... and the longest walk: the editors' walk never reads more */
#define EDITORS_MAX 1000000

/*
 * The editors a decision must not come from (DESIGN §4, separation of
 * duties), in the graph sense: as of commit P, the committers (verify
 * holds them to the signers) of the create and edit steps on change id
 * that P reaches, less those that a decision which moved the change on
 * (Crq-Digest, Crq-From != Crq-To: authorized, rejected) and which P
 * reaches itself reaches too, as git log P ^D1 ^D2 would show them.
 * An approval that did not yet meet the rules clears nothing: an editor
 * may not approve after someone else did.  A create ends the change's
 * history below it (verify refuses anything on an id before its create).
 *
 * The walk goes down first-parent chains, one at a time, interesting
 * (from P) or not (from a decision's parents), marking the commits it
 * meets.  A chain ends at a decision (its parents start uninteresting
 * chains), at a create, at the root, or at a commit already marked: one
 * marked uninteresting has everything below it on its chain marked (or
 * to be) as well; one marked interesting, by an interesting chain, the
 * same; an uninteresting chain turns it and goes on, turning what the
 * interesting one found below.  At a merge whose side (what its other
 * parents reach and its first does not) names the change, its other
 * parents start chains of the same kind: a step its first parent does
 * not reach lies on such a side, so none is missed, and the answer does
 * not depend on the order of the chains nor on commit times.  Past
 * WALK_FIRST commits, or from its first merge on, a chain goes on on
 * the history index, which
 * reports exactly the commits the walk would stop at (and some more, it
 * checks each); when it cannot answer, the whole walk is done again
 * without it.  At most EDITORS_MAX commits are read.
 */
enum {
	M_INT = 1,		/* reached from P */
	M_UNINT = 2,		/* ... or from a decision that moved it on */
	M_EDIT = 4,		/* a create or an edit: email is its committer */
	M_STOP = 8,		/* a create: nothing below it counts */
	M_MERGE = 16,		/* its other parents start chains */
};

struct mark {
	git_oid id;
	unsigned flags;		/* 0: a free slot */
	char *email;
};

struct chain {
	git_oid from;
	int unint;
};

struct edwalk {
	crq_repo *repo;
	const char *id;
	crq_history *h;		/* NULL: walk commit by commit */
	struct mark *m;		/* open addressing, a power of two */
	size_t nm, am;
	struct chain *todo[2];	/* interesting, uninteresting */
	size_t ntodo[2], atodo[2];
	unsigned long long reads;
	int index_failed;
};

static size_t mark_slot(const struct mark *m, size_t a, const git_oid *id)
{
	size_t i = ((size_t)id->id[0] | (size_t)id->id[1] << 8 |
		(size_t)id->id[2] << 16 | (size_t)id->id[3] << 24) & (a - 1);

	while (m[i].flags && !git_oid_equal(&m[i].id, id))
		i = (i + 1) & (a - 1);
	return i;
}

static struct mark *mark_get(struct edwalk *w, const git_oid *id)
{
	struct mark *k;

	if (!w->am)
		return NULL;
	k = &w->m[mark_slot(w->m, w->am, id)];
	return k->flags ? k : NULL;
}

static struct mark *mark_add(struct edwalk *w, const git_oid *id,
	unsigned flags)
{
	struct mark *k;

	if (2 * (w->nm + 1) > w->am) {
		size_t a = w->am ? 2 * w->am : 64, i;
		struct mark *m = crq__calloc(a, sizeof(*m));

		for (i = 0; i < w->am; i++)
			if (w->m[i].flags)
				m[mark_slot(m, a, &w->m[i].id)] = w->m[i];
		free(w->m);
		w->m = m;
		w->am = a;
	}
	k = &w->m[mark_slot(w->m, w->am, id)];
	git_oid_cpy(&k->id, id);
	k->flags = flags;
	k->email = NULL;
	w->nm++;
	return k;
}

static void chain_add(struct edwalk *w, const git_oid *from, int unint)
{
	crq__grow((void **)&w->todo[unint], &w->atodo[unint],
		w->ntodo[unint] + 1, sizeof(*w->todo[unint]));
	git_oid_cpy(&w->todo[unint][w->ntodo[unint]].from, from);
	w->todo[unint][w->ntodo[unint]++].unint = unint;
}

/* The chains from c's parents first + 1 on, of kind unint. */
static void chains_from(struct edwalk *w, git_commit *c, unsigned first,
	int unint)
{
	unsigned k, n = git_commit_parentcount(c);

	for (k = first; k < n; k++)
		chain_add(w, git_commit_parent_id(c, k), unint);
}

/* Commit c on a chain of kind unint: 1 when the chain ends there, 0
 * when it goes on to c's first parent, < 0 on error.  indexed: the
 * index reported c (so a merge among them names the change, or its
 * side does). */
static int edwalk_visit(struct edwalk *w, git_commit *c, int unint,
	int indexed)
{
	struct mark *k = mark_get(w, git_commit_id(c));
	crq_node *t = NULL;
	crq_buf problem = CRQ_BUF_INIT;
	const char *change, *action, *from, *to;
	unsigned flags = unint ? M_UNINT : M_INT;
	int r = 0, hit = 0, named;

	if (k) {
		if (k->flags & M_UNINT || !unint)
			return 1;
		/* what an interesting chain found, a decision reaches */
		k->flags = (k->flags & ~(unsigned)M_INT) | M_UNINT;
		if (k->flags & M_MERGE)
			chains_from(w, c, 1, 1);
		return k->flags & M_STOP ? 1 : 0;
	}
	/* a message that does not hold the id names it in no reading */
	named = strstr(git_commit_message(c), w->id) != NULL;
	if (named)
		crq_commit__trailers(&t, &problem, git_commit_message(c));
	change = crq_node_get_str(t, "Crq-Change");
	action = crq_node_get_str(t, "Crq-Action");
	from = crq_node_get_str(t, "Crq-From");
	to = crq_node_get_str(t, "Crq-To");
	if (change && action && !strcmp(change, w->id)) {
		if (crq_node_get(t, "Crq-Digest") && from && to &&
		    strcmp(from, to)) {
			/* a decision that moved it on: below it, nothing */
			mark_add(w, git_commit_id(c), M_UNINT);
			chains_from(w, c, 0, 1);
			r = 1;
			goto done;
		}
		if (!strcmp(action, "edit") || !strcmp(action, "create"))
			flags |= M_EDIT;
		if (!strcmp(action, "create"))
			flags |= M_STOP;
	}
	if (!(flags & M_STOP) && git_commit_parentcount(c) > 1) {
		if (indexed || (named && crq_history__names(c, w->id)))
			hit = 1;
		else if ((r = crq_history__side_names(&hit, w->repo, c,
				w->id)) < 0)
			goto done;
		if (hit) {
			flags |= M_MERGE;
			chains_from(w, c, 1, unint);
		}
	}
	k = mark_add(w, git_commit_id(c), flags);
	if (flags & M_EDIT)
		k->email = crq__strdup(git_commit_committer(c)->email);
	r = flags & M_STOP ? 1 : 0;
done:
	crq_node_free(t);
	crq_buf_dispose(&problem);
	return r;
}

struct edwalk_event {
	struct edwalk *w;
	int unint;
};

static int edwalk_event(const git_oid *id, unsigned long long back,
	void *payload)
{
	struct edwalk_event *ev = payload;
	git_commit *c = NULL;
	int err, r;

	(void)back;
	if (ev->w->reads++ >= EDITORS_MAX)
		return 1;
	if ((err = git_commit_lookup(&c, ev->w->repo->git, id)) < 0)
		return crq_store__git_error(err, "cannot read history");
	r = edwalk_visit(ev->w, c, ev->unint, 1);
	git_commit_free(c);
	return r;
}

/* One chain, from commit from: commit by commit, and on the index (when
 * there is one) past WALK_FIRST commits or from the first merge on:
 * the index knows what a merge's side names without walking it again. */
static int edwalk_chain(struct edwalk *w, const git_oid *from, int unint)
{
	git_commit *c = NULL;
	git_oid at;
	unsigned n = 0;
	int r = 0, err;

	git_oid_cpy(&at, from);
	while (w->reads < EDITORS_MAX) {
		if ((err = git_commit_lookup(&c, w->repo->git, &at)) < 0)
			return crq_store__git_error(err, "cannot read history");
		if (w->h && (n == WALK_FIRST ||
				git_commit_parentcount(c) > 1)) {
			struct edwalk_event ev;

			ev.w = w;
			ev.unint = unint;
			if ((r = crq_history__each(w->h, &at, w->id, 1,
					edwalk_event, &ev)) < 0)
				w->index_failed = 1;
			break;
		}
		w->reads++;
		if ((r = edwalk_visit(w, c, unint, 0)) != 0 ||
		    !git_commit_parentcount(c))
			break;
		git_oid_cpy(&at, git_commit_parent_id(c, 0));
		git_commit_free(c);
		c = NULL;
		n++;
	}
	git_commit_free(c);
	return r < 0 ? r : 0;
}

static void edwalk_dispose(struct edwalk *w)
{
	size_t i;

	for (i = 0; i < w->am; i++)
		free(w->m[i].email);
	free(w->m);
	free(w->todo[0]);
	free(w->todo[1]);
}

static int by_string(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The walk from tip; uninteresting chains first, so that the
 * interesting ones end early at what they marked. */
static int edwalk_run(crq_node *out, struct edwalk *w, const git_oid *tip)
{
	char **emails = NULL;
	size_t n = 0, alloc = 0, i;
	int err = 0;

	chain_add(w, tip, 0);
	while (err >= 0 && (w->ntodo[0] || w->ntodo[1])) {
		int u = w->ntodo[1] ? 1 : 0;
		struct chain ch = w->todo[u][--w->ntodo[u]];

		err = edwalk_chain(w, &ch.from, ch.unint);
	}
	if (err < 0)
		return err;
	/* in a stable order: the same whatever order the chains took */
	for (i = 0; i < w->am; i++)
		if ((w->m[i].flags & (M_INT | M_EDIT)) == (M_INT | M_EDIT)) {
			crq__grow((void **)&emails, &alloc, n + 1,
				sizeof(*emails));
			emails[n++] = w->m[i].email;
		}
	if (n)
		crq__sort(emails, n, sizeof(*emails), by_string);
	for (i = 0; i < n; i++)
		crq_node_set(out, emails[i], crq_node_new_bool(1));
	free(emails);
	return 0;
}

static int plan_editors(crq_node *out, crq_repo *repo, const git_oid *tip,
	const char *id)
{
	struct edwalk w;
	int err;

	memset(&w, 0, sizeof(w));
	w.repo = repo;
	w.id = id;
	w.h = crq_history__open(repo);
	err = edwalk_run(out, &w, tip);
	if (err < 0 && w.index_failed) {
		/* the index could not answer: the same walk without it */
		crq_error_clear();
		crq_history__close(w.h);
		edwalk_dispose(&w);
		memset(&w, 0, sizeof(w));
		w.repo = repo;
		w.id = id;
		err = edwalk_run(out, &w, tip);
	}
	crq_history__close(w.h);
	edwalk_dispose(&w);
	return err < 0 ? err : 0;
}

int crq_workflow__editors(crq_node *out, crq_repo *repo, const git_oid *tip,
	const char *id)
{
	return plan_editors(out, repo, tip, id);
}

int crq_workflow__approved(crq_buf *missing, crq_repo *repo,
	const crq_node *policy, const crq_node *doc)
{
	const crq_schema *schema;
	int err;

	if ((err = crq_repo_change_schema(&schema, repo)) < 0)
		return err;
	return crq_rules_approved(missing, policy, schema, doc);
}

/* Who edited change doc since its last decision, when action on it is
 * a decision (separation of duties); *out stays NULL otherwise. */
static int decision_editors(crq_node **out, crq_repo *repo,
	const git_oid *tip, const crq_node *policy, const char *action,
	const crq_node *doc)
{
	*out = NULL;
	if (!crq_rules_is_decision(policy, action, crq_node_get_str(doc,
			"type"), crq_node_get_str(doc, "state")))
		return 0;
	*out = crq_node_new(CRQ_NODE_OBJECT);
	return plan_editors(*out, repo, tip, crq_node_get_str(doc, "id"));
}

/* ---- one step ---- */

/* What a command asks for; the rest comes from the tip. */
struct step_req {
	const char *id;			/* NULL: create a change */
	const char *action;
	const crq_node *fields;		/* create: the fields given */
	const char *template_name;	/* create: --template */
	const crq_node *doc;		/* edit: the whole new content */
	const crq_act_opts *opts;	/* assignments, message, role */
	const crq_node *as_member;	/* a forge review: the reviewer */
	const char *forge, *reviewer, *trailers;
	const git_oid *tip;		/* import: the tip already read */
	const crq_node *deployment;	/* deploy: {ref, artifact, environment} */
	int dry_run;			/* only judge: would it be allowed? */
};

/* The proposed content: the fields given (create), the new content
 * (edit), or the change with the action's assignments. */
static int step_input(crq_node **out, crq_repo *repo,
	const struct step_req *rq, const crq_node *old)
{
	const crq_schema *schema;
	crq_issues issues;
	crq_node *in;
	size_t i;
	int err = 0;

	*out = NULL;
	if (rq->fields && rq->fields->kind != CRQ_NODE_OBJECT)
		return crq_error__set(CRQ_EINVALID,
			"change fields must be a mapping");
	if ((err = crq_repo_change_schema(&schema, repo)) < 0)
		return err;
	in = rq->doc ? crq_node_dup(rq->doc) : rq->fields ?
		crq_node_dup(rq->fields) : old ? crq_node_dup(old) :
		crq_node_new(CRQ_NODE_OBJECT);
	if (in->kind != CRQ_NODE_OBJECT) {
		crq_node_free(in);
		return crq_error__set(CRQ_EINVALID, "a change is a mapping");
	}
	for (i = 0; rq->opts && i < rq->opts->count; i++)
		if ((err = crq_change_assign(repo, in,
				rq->opts->assignments[i])) < 0)
			goto done;
	if (rq->deployment) {
		crq_node *list = crq_node_get(in, "deployments");

		if (!list || list->kind != CRQ_NODE_ARRAY) {
			list = crq_node_new(CRQ_NODE_ARRAY);
			crq_node_set(in, "deployments", list);
		}
		crq_node_push(list, crq_node_dup(rq->deployment));
	}
	crq_issues_init(&issues);
	if (crq_schema_type(schema, in, &issues) < 0)
		err = crq_doc__issues_error(&issues, rq->id ? rq->id :
			"the new change");
	crq_issues_dispose(&issues);
done:
	if (err < 0)
		crq_node_free(in);
	else
		*out = in;
	return err;
}

/* Take one step as the current user on the tip, retrying when the
 * branch moves.  id_out / to_out (may be NULL) get the change's id and
 * its new state. */
static int take_step(crq_buf *id_out, crq_buf *to_out, crq_repo *repo,
	const struct step_req *rq)
{
	crq_rules_step st;
	crq_rules_result res;
	const crq_schema *schema;
	const crq_node *policy;
	crq_node *old = NULL, *in = NULL, *tmpl = NULL, *editors = NULL;
	crq_node *others = NULL;
	crq_buf email = CRQ_BUF_INIT, key = CRQ_BUF_INIT, id = CRQ_BUF_INIT,
		path = CRQ_BUF_INIT, msg = CRQ_BUF_INIT;
	unsigned long long num;
	const char *tname;
	git_oid tip;
	int unborn, err, attempt, locked = 0;

	memset(&res, 0, sizeof(res));
	if ((err = crq_repo_change_schema(&schema, repo)) < 0 ||
	    (err = crq_store__email(&email, repo)) < 0 ||
	    (err = crq_store__signing_key(&key, repo)) < 0)
		goto done;
	if (rq->id && (err = crq_change_path(&path, repo, rq->id)) < 0)
		goto done;
	/* turns with other crq writers, then every attempt re-reads and
	 * re-checks: the branch may still move under us (a push) */
	if ((err = crq_store__lock(repo)) < 0)
		goto done;
	locked = 1;
	for (attempt = 0; attempt < CRQ_STORE_RETRIES * 4; attempt++) {
		crq_rules_result_dispose(&res);
		crq_node_free(old);
		crq_node_free(in);
		crq_node_free(tmpl);
		crq_node_free(editors);
		crq_node_free(others);
		old = in = tmpl = editors = others = NULL;
		crq_buf_clear(&msg);
		if ((err = crq_store__tip(repo, &tip, &unborn)) < 0)
			goto done;
		if (unborn) {
			err = crq_error__set(CRQ_EREPO,
				"branch has no commits; run 'crq init'");
			goto done;
		}
		if (rq->tip && !git_oid_equal(rq->tip, &tip)) {
			err = crq_error__set(CRQ_ECONFLICT,
				"the branch moved; run it again");
			goto done;
		}
		if ((err = crq_policy__tip(&policy, repo)) < 0)
			goto done;
		if (rq->id) {
			crq_buf_clear(&id);
			crq_buf_puts(&id, rq->id);
			if ((err = crq_change__load_at(&old, repo, &tip, rq->id,
					NULL, NULL)) < 0)
				goto done;
		} else {
			if ((err = crq_change__max_number(&num, repo,
					&tip)) < 0)
				goto done;
			crq_buf_clear(&id);
			crq_buf_clear(&path);
			crq_buf_printf(&id, "%s-%06llu", repo->prefix, num + 1);
			if ((err = crq_change_path(&path, repo, id.ptr)) < 0)
				goto done;
		}
		if ((err = step_input(&in, repo, rq, old)) < 0)
			goto done;
		tname = old ? crq_node_get_str(old, "template") :
			rq->template_name;
		if (tname && (err = crq_change__template(&tmpl, repo, &tip,
				tname)) < 0 &&
		    (rq->template_name || err != CRQ_ENOTFOUND))
			goto done;
		if (old && (err = decision_editors(&editors, repo, &tip,
				policy, rq->action, old)) < 0)
			goto done;
		if (crq_rules_wants_calendar(policy, rq->action, old) &&
		    (err = crq_change__live(&others, repo, &tip)) < 0)
			goto done;
		memset(&st, 0, sizeof(st));
		st.policy = policy;
		st.schema = schema;
		st.before = old;
		st.input = in;
		st.others = others;
		st.action = rq->action;
		st.signer_key = key.ptr;
		st.signer_email = email.ptr;
		st.forge = rq->forge;
		st.reviewer = rq->reviewer;
		st.time = crq_store__step_time(repo, &tip);
		st.role = rq->opts ? rq->opts->role : NULL;
		st.template_doc = tmpl;
		st.template_name = rq->template_name;
		st.new_id = id.ptr;
		st.editors = editors;
		st.escalate_rule = rq->opts ? rq->opts->rule : NULL;
		if ((err = crq_rules_change(&res, &st)) < 0)
			goto done;
		if (rq->dry_run)
			goto done;
		if (crq_rules_changes_nothing(rq->action, old, res.after)) {
			err = crq_error__set(CRQ_EEXISTS, "%s: nothing to change",
				id.ptr);
			goto done;
		}
		crq_change__message(&msg, id.ptr, rq->action, res.after,
			rq->opts ? rq->opts->message : NULL,
			old ? res.from : NULL, res.to);
		if (res.decision)
			crq_buf_printf(&msg, "Crq-Digest: %s\n", res.digest);
		if (st.escalate_rule)
			crq_buf_printf(&msg, "Crq-Escalate: %s\n",
				st.escalate_rule);
		if (res.fired && res.fired->count) {
			crq_buf_puts(&msg, "Crq-Rules: ");
			crq_rules_fired_text(&msg, &res);
			crq_buf_putc(&msg, '\n');
		}
		if (rq->trailers)
			crq_buf_puts(&msg, rq->trailers);
		err = crq_change__write(repo, &tip, 0, path.ptr, res.after,
			msg.ptr, st.time);
		if (err != CRQ_STORE_RACE)
			break;
	}
	if (err == CRQ_STORE_RACE)
		err = crq_error__set(CRQ_ECONFLICT,
			"%s: the branch kept moving; gave up after %d attempts",
			id.ptr, attempt);
	if (!err && id_out)
		crq_buf_puts(id_out, id.ptr);
	if (!err && to_out)
		crq_buf_puts(to_out, res.to);
done:
	if (locked)
		crq_store__unlock(repo);
	crq_rules_result_dispose(&res);
	crq_node_free(old);
	crq_node_free(in);
	crq_node_free(tmpl);
	crq_node_free(editors);
	crq_node_free(others);
	crq_buf_dispose(&email);
	crq_buf_dispose(&key);
	crq_buf_dispose(&id);
	crq_buf_dispose(&path);
	crq_buf_dispose(&msg);
	return err;
}

int crq_change_create(crq_buf *id_out, crq_repo *repo, const crq_node *fields,
	const char *template_name)
{
	struct step_req rq;
	size_t i;

	for (i = 0; fields && fields->kind == CRQ_NODE_OBJECT &&
			i < fields->count; i++)
		if (crq_policy__derived(fields->keys[i]))
			return crq_error__set(CRQ_EDENIED,
				"field '%s' is set by crq, not by hand",
				fields->keys[i]);
	if (template_name && fields && crq_node_get_str(fields, "type") &&
	    strcmp(crq_node_get_str(fields, "type"), "standard"))
		return crq_error__set(CRQ_EINVALID,
			"a change from a template is a standard change, not '%s'",
			crq_node_get_str(fields, "type"));
	memset(&rq, 0, sizeof(rq));
	rq.action = "create";
	rq.fields = fields;
	rq.template_name = template_name;
	return take_step(id_out, NULL, repo, &rq);
}

int crq_change_update(crq_repo *repo, const char *id, const crq_node *doc,
	const char *action)
{
	struct step_req rq;

	if (doc->kind != CRQ_NODE_OBJECT)
		return crq_error__set(CRQ_EINVALID, "a change is a mapping");
	memset(&rq, 0, sizeof(rq));
	rq.id = id;
	rq.action = action;
	rq.doc = doc;
	return take_step(NULL, NULL, repo, &rq);
}

int crq_change_set(crq_repo *repo, const char *id,
	const char *const *assignments, size_t count)
{
	const crq_schema *schema;
	crq_node *doc = NULL;
	crq_issues issues;
	size_t i;
	int err;

	crq_issues_init(&issues);
	if ((err = crq_change_load(&doc, repo, id)) < 0 ||
	    (err = crq_repo_change_schema(&schema, repo)) < 0)
		goto done;
	for (i = 0; i < count; i++)
		if ((err = crq_change_assign(repo, doc, assignments[i])) < 0)
			goto done;
	if (crq_schema_type(schema, doc, &issues) < 0 && issues.count) {
		err = crq_doc__issues_error(&issues, id);
		goto done;
	}
	err = crq_change_update(repo, id, doc, "edit");
done:
	crq_issues_dispose(&issues);
	crq_node_free(doc);
	return err;
}

int crq_change_act(crq_buf *to_out, crq_repo *repo, const char *id,
	const char *name, const crq_act_opts *opts)
{
	struct step_req rq;

	memset(&rq, 0, sizeof(rq));
	rq.id = id;
	rq.action = name;
	rq.opts = opts;
	return take_step(NULL, to_out, repo, &rq);
}

int crq_change_deploy(crq_repo *repo, const char *id, const char *ref,
	const char *artifact, const char *environment, const char *message)
{
	struct step_req rq;
	crq_act_opts opts;
	crq_node *d = crq_node_new(CRQ_NODE_OBJECT);
	int err;

	crq_node_set(d, "ref", crq_node_new_cstr(ref));
	if (artifact)
		crq_node_set(d, "artifact", crq_node_new_cstr(artifact));
	if (environment)
		crq_node_set(d, "environment", crq_node_new_cstr(environment));
	memset(&opts, 0, sizeof(opts));
	opts.message = message;
	memset(&rq, 0, sizeof(rq));
	rq.id = id;
	rq.action = "deploy";
	rq.opts = &opts;
	rq.deployment = d;
	err = take_step(NULL, NULL, repo, &rq);
	crq_node_free(d);
	return err;
}

/* ---- history ---- */

/*
 * Signature status of a commit for crq log: "good" (a valid SSH
 * signature by a key the policy gives to the commit's committer),
 * "unknown-key" (valid, but not the committer's key in this policy), "bad"
 * (does not verify, or more than one signature header) or "unsigned".
 * Whether and by which key a commit is signed comes from the cache
 * when h has it (crq_history__signer); who holds the key, from policy.
 */
static const char *signature_status(crq_history *h, git_repository *git,
	const git_oid *id, const crq_node *policy, const char *email)
{
	crq_buf key = CRQ_BUF_INIT;
	const char *status = "unsigned";

	switch (crq_history__signer(&key, h, id, git)) {
	case CRQ_SIGNER_BAD:
		status = "bad";
		break;
	case CRQ_SIGNER_KEY: {
		const crq_node *m = crq_policy__key_owner(policy, key.ptr);
		const char *owner = m ? crq_node_get_str(m, "email") : NULL;

		status = owner && !strcmp(owner, email) ? "good" :
			"unknown-key";
		break;
	}
	default:
		break;
	}
	crq_error_clear();
	crq_buf_dispose(&key);
	return status;
}

/* One commit of crq log's walk: c's step into steps when it is one of
 * change id's.  LOG_STEP when it was, LOG_CREATE too when it creates
 * the change (the walk ends there). */
enum { LOG_STEP = 1, LOG_CREATE = 2 };

static int log_step(crq_node *steps, crq_repo *repo, crq_history *h,
	const crq_node *policy, git_commit *c, const char *id)
{
	git_message_trailer_array tr;
	crq_log_trailers lt;
	const git_signature *a = git_commit_committer(c);
	int r = 0;

	crq_history__trailers(&lt, &tr, git_commit_message(c));
	if (lt.change && lt.action && !strcmp(lt.change, id)) {
		crq_node *s = crq_node_new(CRQ_NODE_OBJECT);
		const char *body = git_commit_body(c);
		time_t t = (time_t)a->when.time;
		char hex[GIT_OID_HEXSZ + 1], when[32];
		struct tm tm;
		size_t blen = 0;

		git_oid_tostr(hex, sizeof(hex), git_commit_id(c));
		gmtime_r(&t, &tm);
		strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
		crq_node_set(s, "commit", crq_node_new_cstr(hex));
		crq_node_set(s, "at", crq_node_new_cstr(when));
		crq_node_set(s, "by", crq_node_new_cstr(a->email));
		crq_node_set(s, "name", crq_node_new_cstr(a->name));
		crq_node_set(s, "action", crq_node_new_cstr(lt.action));
		if (lt.from)
			crq_node_set(s, "from", crq_node_new_cstr(lt.from));
		if (lt.to)
			crq_node_set(s, "to", crq_node_new_cstr(lt.to));
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
			signature_status(h, repo->git, git_commit_id(c),
				policy, a->email)));
		crq_node_push(steps, s);
		r = LOG_STEP;
		if (!strcmp(lt.action, "create"))
			r |= LOG_CREATE;
	}
	git_message_trailer_array_free(&tr);
	return r;
}

/* crq log's walk on the history index. */
struct log_walk {
	crq_repo *repo;
	crq_history *h;
	const crq_node *policy;
	crq_node *steps;
	const char *id;
};

static int log_event(const git_oid *id, unsigned long long back,
	void *payload)
{
	struct log_walk *w = payload;
	git_commit *c = NULL;
	int err, r;

	(void)back;
	if ((err = git_commit_lookup(&c, w->repo->git, id)) < 0)
		return crq_store__git_error(err, "cannot read history");
	r = log_step(w->steps, w->repo, w->h, w->policy, c, w->id);
	git_commit_free(c);
	/* the index found a step that is none: it is wrong, walk */
	if (!(r & LOG_STEP))
		return crq_error__set(CRQ_ERROR, "not a step of '%s'", w->id);
	return r & LOG_CREATE ? 1 : 0;
}

/* The steps of change id: its commits on the first-parent history from
 * the tip back to its creation.  Past WALK_FIRST commits the rest comes
 * from the history index, which finds the same commits or none (then
 * the walk goes on); the signatures, from the cache of signers. */
int crq_change_log(crq_node **out, crq_repo *repo, const char *id)
{
	crq_node *steps = crq_node_new(CRQ_NODE_ARRAY), *rev;
	git_commit *c = NULL, *p = NULL;
	crq_buf path = CRQ_BUF_INIT;
	crq_history *h = NULL;
	const crq_node *policy;
	crq_buf full = CRQ_BUF_INIT;
	git_oid tip;
	int err, unborn, n = 0;
	size_t i;

	*out = NULL;
	/* the commits name the full id: 42 is CHG-000042 */
	if ((err = crq_policy__tip(&policy, repo)) < 0 ||
	    (err = crq_change_id_normalize(&full, repo, id)) < 0)
		goto done;
	id = full.ptr;
	if ((err = crq_change_path(&path, repo, id)) < 0 ||
	    (err = crq_store__tip(repo, &tip, &unborn)) < 0)
		goto done;
	if (unborn || (err = git_commit_lookup(&c, repo->git, &tip)) < 0) {
		err = unborn ? crq_error__set(CRQ_ENOTFOUND,
			"no such change '%s'", id) :
			crq_store__git_error(err, "cannot read history");
		goto done;
	}
	h = crq_history__open(repo);
	while (c) {
		if (log_step(steps, repo, h, policy, c, id) & LOG_CREATE ||
		    git_commit_parentcount(c) == 0)
			break;
		if (++n == WALK_FIRST && h) {
			struct log_walk w = { repo, h, policy, steps, id };
			size_t had = steps->count;

			if (crq_history__each(h, git_commit_parent_id(c, 0),
					id, 0, log_event, &w) >= 0)
				break;
			/* what the index added goes: the walk adds it */
			while (steps->count > had)
				crq_node_remove_at(steps, steps->count - 1);
			crq_error_clear();
		}
		if ((err = git_commit_parent(&p, c, 0)) < 0) {
			err = crq_store__git_error(err, "cannot read history");
			goto done;
		}
		git_commit_free(c);
		c = p;
		p = NULL;
	}
	if (!steps->count) {
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
	crq_history__close(h);
	crq_node_free(steps);
	git_commit_free(c);
	crq_buf_dispose(&path);
	crq_buf_dispose(&full);
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

int crq_change_import_reviews(crq_repo *repo, const char *id,
	const char *forge, const char *pr, const crq_node *reviews,
	crq_issues *problems, size_t *imported)
{
	const crq_node *policy, *bot, *member;
	struct review *rv = NULL;
	crq_node *doc = NULL, *then = NULL;
	crq_buf email = CRQ_BUF_INIT, key = CRQ_BUF_INIT, path = CRQ_BUF_INIT,
		trailers = CRQ_BUF_INIT, blob = CRQ_BUF_INIT;
	const crq_schema *schema;
	struct step_req rq;
	char digest[72], was[72];
	git_oid tip, rc;
	size_t n = 0, i;
	int err, unborn, locked = 0;

	*imported = 0;
	if ((err = read_reviews(&rv, &n, reviews, forge)) < 0 ||
	    (err = crq_store__email(&email, repo)) < 0 ||
	    (err = crq_store__signing_key(&key, repo)) < 0 ||
	    (err = crq_change_path(&path, repo, id)) < 0 ||
	    (err = crq_repo_change_schema(&schema, repo)) < 0 ||
	    (err = crq_store__lock(repo)) < 0)
		goto done;
	locked = 1;
	if ((err = crq_policy__tip(&policy, repo)) < 0)
		goto done;
	/* the bot: a member the policy lets attest for this forge (the
	 * rule engine checks it again on every step) */
	bot = crq_policy__key_owner(policy, key.ptr);
	if (!bot || strcmp(crq_node_get_str(bot, "email"), email.ptr) ||
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
		if (!(member = crq_policy__by_handle(policy, forge,
				rv[i].login))) {
			crq_issues_add(problems, NULL, rv[i].login,
				"%s reviewer '%s' maps to no member (handles.%s): not imported",
				forge, rv[i].login, forge);
			continue;
		}
		crq_node_free(doc);
		doc = NULL;
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
		    crq_rules_digest(was, schema, then) < 0 ||
		    crq_rules_digest(digest, schema, doc) < 0 ||
		    strcmp(was, digest)) {
			crq_error_clear();
			crq_issues_add(problems, NULL, rv[i].login,
				"%s's review %s is of %s, where %s differs from now: stale, not imported",
				rv[i].login, rv[i].id,
				rv[i].commit ? rv[i].commit : "an unknown commit",
				id);
			continue;
		}
		crq_buf_clear(&trailers);
		crq_buf_printf(&trailers, "Crq-Forge: %s\nCrq-PR: %s\n"
			"Crq-Reviewer: %s\nCrq-Review-Id: %s\n"
			"Crq-Reviewed-Commit: %s\n", forge, pr ? pr : "?",
			rv[i].login, rv[i].id, rv[i].commit);
		memset(&rq, 0, sizeof(rq));
		rq.id = id;
		rq.action = "approve";
		rq.forge = forge;
		rq.reviewer = rv[i].login;
		rq.trailers = trailers.ptr;
		rq.tip = &tip;
		err = take_step(NULL, NULL, repo, &rq);
		if (err == CRQ_EDENIED) {
			crq_issues_add(problems, NULL, rv[i].login, "%s",
				crq_error_last());
			err = 0;
			continue;
		}
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
	crq_buf_dispose(&trailers);
	crq_buf_dispose(&blob);
	return err;
}

int crq_change_approval_status(crq_node **out, crq_repo *repo,
	const char *id)
{
	const crq_schema *schema;
	const crq_node *policy, *apps;
	crq_node *doc = NULL, *fresh, *stale, *seen;
	crq_buf missing = CRQ_BUF_INIT;
	char digest[72];
	size_t i;
	int err, met;

	*out = NULL;
	if ((err = crq_repo_change_schema(&schema, repo)) < 0 ||
	    (err = crq_policy__tip(&policy, repo)) < 0 ||
	    (err = crq_change_load(&doc, repo, id)) < 0 ||
	    (err = crq_rules_digest(digest, schema, doc)) < 0)
		goto done;
	fresh = crq_node_new(CRQ_NODE_ARRAY);
	stale = crq_node_new(CRQ_NODE_ARRAY);
	seen = crq_node_new(CRQ_NODE_OBJECT);
	apps = crq_node_get(doc, "approvals");
	for (i = 0; apps && apps->kind == CRQ_NODE_ARRAY && i < apps->count;
			i++) {
		const crq_node *a = apps->items[i];
		const char *dec = crq_node_get_str(a, "decision");
		const char *dig = crq_node_get_str(a, "digest");
		const char *by = crq_node_get_str(a, "by");
		crq_node *o;

		if (!dec || strcmp(dec, "approved") || !by)
			continue;
		o = crq_node_new(CRQ_NODE_OBJECT);
		crq_node_set(o, "by", crq_node_new_cstr(by));
		if (crq_node_get_str(a, "role"))
			crq_node_set(o, "role", crq_node_new_cstr(
				crq_node_get_str(a, "role")));
		if (dig && !strcmp(dig, digest) && !crq_node_get(seen, by)) {
			crq_node_set(seen, by, crq_node_new_bool(1));
			crq_node_push(fresh, o);
		} else {
			crq_node_push(stale, o);
		}
	}
	crq_node_free(seen);
	met = crq_rules_approved(&missing, policy, schema, doc);
	if (met < 0) {
		crq_node_free(fresh);
		crq_node_free(stale);
		err = met;
		goto done;
	}
	*out = crq_node_new(CRQ_NODE_OBJECT);
	crq_node_set(*out, "fresh", fresh);
	crq_node_set(*out, "stale", stale);
	crq_node_set(*out, "met", crq_node_new_bool(met));
	if (!met)
		crq_node_set(*out, "missing", crq_node_new_cstr(
			crq_buf_cstr(&missing)));
	err = 0;
done:
	crq_node_free(doc);
	crq_buf_dispose(&missing);
	return err;
}

int crq_change_task(crq_repo *repo, const char *id, const char *op,
	const crq_node *task, size_t n, const char *message)
{
	struct step_req rq;
	crq_act_opts opts;
	crq_node *doc = NULL, *tasks;
	crq_buf action = CRQ_BUF_INIT, msg = CRQ_BUF_INIT;
	int err;

	if (strcmp(op, "add") && strcmp(op, "done") && strcmp(op, "reopen"))
		return crq_error__set(CRQ_EUSAGE, "no task step '%s'", op);
	if ((err = crq_change_load(&doc, repo, id)) < 0)
		return err;
	tasks = crq_node_get(doc, "tasks");
	if (!tasks) {
		tasks = crq_node_new(CRQ_NODE_ARRAY);
		crq_node_set(doc, "tasks", tasks);
	}
	if (!strcmp(op, "add")) {
		if (!task || task->kind != CRQ_NODE_OBJECT) {
			err = crq_error__set(CRQ_EUSAGE, "a task is a mapping");
			goto done;
		}
		crq_node_push(tasks, crq_node_dup(task));
		n = tasks->count;
	} else {
		crq_node *t;

		if (n < 1 || n > tasks->count) {
			err = crq_error__set(CRQ_ENOTFOUND,
				"%s has no task %zu (it has %zu)", id, n,
				tasks->count);
			goto done;
		}
		t = tasks->items[n - 1];
		if (!strcmp(op, "done") && crq_node_get(t, "done") &&
		    crq_node_get(t, "done")->b) {
			err = crq_error__set(CRQ_EEXISTS,
				"%s: task %zu is done already: nothing to change",
				id, n);
			goto done;
		}
		if (!strcmp(op, "reopen") && !(crq_node_get(t, "done") &&
		    crq_node_get(t, "done")->b)) {
			err = crq_error__set(CRQ_EEXISTS,
				"%s: task %zu is not done: nothing to change",
				id, n);
			goto done;
		}
		crq_node_set(t, "done", crq_node_new_bool(!strcmp(op, "done")));
	}
	crq_buf_printf(&action, "task-%s", op);
	crq_buf_printf(&msg, "task %zu: %s", n, crq_node_get_str(
		tasks->items[n - 1], "title") ? crq_node_get_str(
		tasks->items[n - 1], "title") : "?");
	if (message && *message)
		crq_buf_printf(&msg, "\n\n%s", message);
	memset(&opts, 0, sizeof(opts));
	opts.message = msg.ptr;
	memset(&rq, 0, sizeof(rq));
	rq.id = id;
	rq.action = action.ptr;
	rq.doc = doc;
	rq.opts = &opts;
	err = take_step(NULL, NULL, repo, &rq);
done:
	crq_node_free(doc);
	crq_buf_dispose(&action);
	crq_buf_dispose(&msg);
	return err;
}

int crq_change_may(crq_repo *repo, const char *id, const char *action)
{
	struct step_req rq;

	memset(&rq, 0, sizeof(rq));
	rq.id = id;
	rq.action = action;
	rq.dry_run = 1;
	return take_step(NULL, NULL, repo, &rq);
}

int crq_workflow__could(crq_repo *repo, const git_oid *tip,
	const crq_node *policy, const crq_node *doc, const char *action,
	const char *email, long long when)
{
	const crq_node *member = crq_policy__member(policy, email), *keys;
	const crq_schema *schema;
	crq_rules_step st;
	crq_rules_result res;
	crq_node *tmpl = NULL, *editors = NULL, *others = NULL;
	crq_buf key = CRQ_BUF_INIT;
	const char *tname = crq_node_get_str(doc, "template");
	const char *line;
	int err;

	keys = member ? crq_node_get(member, "keys") : NULL;
	if (!keys || !keys->count || keys->items[0]->kind != CRQ_NODE_STRING)
		return CRQ_EDENIED;
	/* the member's own key: "TYPE BASE64" of its first line */
	line = keys->items[0]->str;
	crq_buf_put(&key, line, strcspn(line + strcspn(line, " ") + 1, " ") +
		strcspn(line, " ") + 1);
	if ((err = crq_repo_change_schema(&schema, repo)) < 0)
		goto done;
	if (tname && crq_change__template(&tmpl, repo, tip, tname) < 0)
		crq_error_clear();
	if ((err = decision_editors(&editors, repo, tip, policy, action,
			doc)) < 0)
		goto done;
	if (crq_rules_wants_calendar(policy, action, doc) &&
	    (err = crq_change__live(&others, repo, tip)) < 0)
		goto done;
	memset(&st, 0, sizeof(st));
	st.policy = policy;
	st.schema = schema;
	st.before = doc;
	st.input = doc;
	st.action = action;
	st.others = others;
	st.signer_key = key.ptr;
	st.signer_email = email;
	st.time = when;
	st.template_doc = tmpl;
	st.editors = editors;
	err = crq_rules_change(&res, &st);
	crq_rules_result_dispose(&res);
done:
	crq_node_free(tmpl);
	crq_node_free(editors);
	crq_node_free(others);
	crq_buf_dispose(&key);
	return err;
}
