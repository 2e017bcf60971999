/*
 * verify.c - the trail proves itself: walk the branch from the commit
 * that introduced the policy and check every commit that touches crq
 * paths against the policy of its parent.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "change.h"
#include "sign.h"

#define POLICY_PATH ".crq/policy.yaml"
#define MAX_FILE (1024 * 1024)

int crq_verify__split_commit(crq_buf *payload, crq_buf *sig,
	crq_buf *problem, const char *data, size_t len)
{
	const char *p = data, *end = data + len;
	int nsig = 0, in_sig = 0, seen_committer = 0, n = 0;

	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t l = nl ? (size_t)(nl - p) + 1 : (size_t)(end - p);

		if (l == 1 && *p == '\n') {
			crq_buf_put(payload, p, (size_t)(end - p));
			break;
		}
		if (in_sig && *p == ' ') {
			crq_buf_put(sig, p + 1, l - 1);
			p += l;
			continue;
		}
		in_sig = 0;
		n++;
		if (l > 7 && !memcmp(p, "gpgsig ", 7)) {
			if (!seen_committer && !problem->size)
				crq_buf_puts(problem,
					"gpgsig header before committer");
			if (nsig++ && !problem->size)
				crq_buf_puts(problem,
					"more than one signature header");
			in_sig = 1;
			crq_buf_put(sig, p + 7, l - 7);
		} else if ((n == 1 && l > 5 && !memcmp(p, "tree ", 5)) ||
			   (l > 7 && !memcmp(p, "parent ", 7)) ||
			   (l > 7 && !memcmp(p, "author ", 7))) {
			crq_buf_put(payload, p, l);
		} else if (l > 10 && !memcmp(p, "committer ", 10)) {
			seen_committer = 1;
			crq_buf_put(payload, p, l);
		} else {
			if (!problem->size)
				crq_buf_printf(problem,
					"header '%.*s' is not allowed in a crq commit",
					(int)strcspn(p, " \n"), p);
			crq_buf_put(payload, p, l);
		}
		p += l;
	}
	/* the armor's own final newline is not part of it */
	if (sig->size && sig->ptr[sig->size - 1] == '\n')
		sig->ptr[--sig->size] = '\0';
	return nsig;
}

/* ---- the walk ---- */

struct vctx {
	crq_repo *repo;
	const crq_schema *schema, *pschema;
	crq_issues *out;
	size_t checked;
	/* per change id: {email: true} of who edited it since its last
	 * decision (separation of duties) */
	crq_node *editors;
	crq_node *unread;	/* changes whose earlier edits are unread */
};

static void violation(struct vctx *v, const git_oid *commit,
	const char *change, const char *rule, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));

static void violation(struct vctx *v, const git_oid *commit,
	const char *change, const char *rule, const char *fmt, ...)
{
	char hex[GIT_OID_HEXSZ + 1];
	crq_buf msg = CRQ_BUF_INIT;
	va_list ap;

	git_oid_tostr(hex, sizeof(hex), commit);
	va_start(ap, fmt);
	crq_buf_vprintf(&msg, fmt, ap);
	va_end(ap);
	crq_issues_add(v->out, NULL, hex, "%s %s %s: %s", hex,
		change ? change : "-", rule, msg.ptr);
	crq_buf_dispose(&msg);
}

static const char *trailer(const git_message_trailer_array *tr,
	const char *key)
{
	size_t i;

	for (i = 0; i < tr->count; i++)
		if (!strcmp(tr->trailers[i].key, key))
			return tr->trailers[i].value;
	return NULL;
}

/* Read and parse a blob as a change or policy. */
static int load_blob(crq_node **out, struct vctx *v, const git_oid *blob,
	const char *name, int policy)
{
	git_blob *b = NULL;
	int err;

	*out = NULL;
	if ((err = git_blob_lookup(&b, v->repo->git, blob)) < 0)
		return crq_store__git_error(err, "cannot read blob");
	err = policy ? crq_policy__parse(out, v->pschema,
			git_blob_rawcontent(b), (size_t)git_blob_rawsize(b),
			name, NULL) :
		crq_change_parse_with(out, v->schema, git_blob_rawcontent(b),
			(size_t)git_blob_rawsize(b), name, NULL);
	git_blob_free(b);
	return err;
}

struct delta_file {
	char path[256];
	git_oid old_id, new_id;
	int had_old, has_new;
	unsigned mode;
};

static int is_crq_path(const char *p)
{
	return !strncmp(p, ".crq/", 5) || !strncmp(p, "changes/", 8);
}

/* Is word one of the blank-separated words of list? */
static int word_in(const char *list, const char *word)
{
	size_t n = strlen(word);

	while (*list) {
		size_t w = strcspn(list, " ");

		if (w == n && !strncmp(list, word, n))
			return 1;
		list += w + (list[w] == ' ');
	}
	return 0;
}

/* Equal apart from their `pending` sections? */
static int same_but_pending(const crq_node *a, const crq_node *b)
{
	crq_node *x = crq_node_dup(a), *y = crq_node_dup(b);
	int same;

	crq_node_remove(x, "pending");
	crq_node_remove(y, "pending");
	same = crq_node_equal(x, y);
	crq_node_free(x);
	crq_node_free(y);
	return same;
}

/* A policy step: a plain change (threshold 1, version + 1), a
 * proposal or an approval of one (policy in force unchanged), the
 * approval that puts a proposal in force (version + 1, enough
 * admins) or a withdrawal. */
static void check_policy_step(struct vctx *v, const git_oid *id,
	const crq_node *old, const crq_node *np, const char *email,
	long long ov, long long nv)
{
	const crq_node *op = crq_node_get(old, "pending");
	const crq_node *pp = crq_node_get(np, "pending");
	const crq_node *th = crq_node_get(old, "admin_threshold");
	long long threshold = th ? th->i : 1;

	if (pp) {
		const crq_node *apps = crq_node_get(pp, "approvals");

		if (!same_but_pending(old, np) || nv != ov)
			violation(v, id, NULL, "policy-proposal",
				"a proposal may not change the policy in force");
		if (!crq_policy__in_list(apps, email) || (op && apps->count !=
		    crq_node_get(op, "approvals")->count + 1))
			violation(v, id, NULL, "policy-proposal",
				"the proposal's approvals do not match its signer %s",
				email);
		return;
	}
	if (op && same_but_pending(old, np) && nv == ov)
		return;		/* withdrawn */
	if (op) {
		const crq_node *apps = crq_node_get(op, "approvals");

		if (!crq_node_equal(crq_node_get(op, "policy"), np))
			violation(v, id, NULL, "policy-proposal",
				"the policy put in force is not the one proposed");
		else if (crq_policy__in_list(apps, email) ||
		    (long long)apps->count + 1 < threshold)
			violation(v, id, NULL, "policy-admins",
				"the proposal needed %lld distinct admins",
				threshold);
	} else if (threshold > 1) {
		violation(v, id, NULL, "policy-admins",
			"the policy needs %lld admins: changes must be proposed",
			threshold);
	}
	if (nv != ov + 1)
		violation(v, id, NULL, "policy-version",
			"version %lld after %lld: a policy change bumps it by one",
			nv, ov);
}

/* Is path the one crq writes change id to under policy's store layout
 * (prefix, shard size)?  Case twins and copies in other shards are not. */
static int canonical_path(const crq_node *policy, const char *id,
	const char *path)
{
	const crq_node *pre = crq_node_path(policy, "store.prefix");
	const crq_node *size = crq_node_path(policy, "store.shard_size");
	const char *prefix = pre ? pre->str : "CHG";
	unsigned long long shard = size ? (unsigned long long)size->i : 1000;
	size_t plen = strlen(prefix);
	char want[256];

	if (strncmp(id, prefix, plen) || id[plen] != '-')
		return 0;
	snprintf(want, sizeof(want), "changes/%03llu/%s.yaml",
		strtoull(id + plen + 1, NULL, 10) / shard, id);
	return !strcmp(want, path);
}

/* Did the change at path have content digest want at commit hex? */
static int review_fresh(struct vctx *v, const char *hex, const char *path,
	const char *want)
{
	git_oid c, b;
	crq_node *then = NULL;
	char was[72];
	int ok = 0;

	if (git_oid_fromstr(&c, hex) < 0)
		return 0;
	crq_store__blob_at(&b, v->repo, &c, path);
	if (!git_oid_is_zero(&b) && load_blob(&then, v, &b, path, 0) == 0 &&
	    crq_workflow__digest(was, v->repo, then) == 0)
		ok = !strcmp(was, want);
	crq_node_free(then);
	crq_error_clear();
	return ok;
}

/* Check one non-merge commit.  policy: the parent's (NULL for the
 * root, which brings its own). */
static void check_commit(struct vctx *v, git_commit *c,
	const crq_node *policy, const struct delta_file *files, size_t nfiles)
{
	const git_oid *id = git_commit_id(c);
	const git_signature *cm = git_commit_committer(c);
	git_odb *odb = NULL;
	git_odb_object *obj = NULL;
	git_message_trailer_array tr;
	crq_buf payload = CRQ_BUF_INIT, sig = CRQ_BUF_INIT,
		problem = CRQ_BUF_INIT, key = CRQ_BUF_INIT;
	crq_node *old = NULL, *new = NULL;
	const crq_node *member = NULL, *act, *actor;
	const char *actor_email;
	const char *cid = NULL, *action, *from, *to, *type, *ostate, *nstate;
	char day[11];
	time_t t = (time_t)cm->when.time;
	struct tm tm;
	size_t i;
	int nsig;

	memset(&tr, 0, sizeof(tr));
	gmtime_r(&t, &tm);
	strftime(day, sizeof(day), "%Y-%m-%d", &tm);
	git_message_trailers(&tr, git_commit_message(c));
	cid = trailer(&tr, "Crq-Change");
	/* 1. the raw object, its signature, its signer */
	if (git_repository_odb(&odb, v->repo->git) < 0 ||
	    git_odb_read(&obj, odb, id) < 0) {
		violation(v, id, cid, "unreadable", "%s",
			git_error_last() ? git_error_last()->message : "?");
		goto done;
	}
	nsig = crq_verify__split_commit(&payload, &sig, &problem,
		git_odb_object_data(obj), git_odb_object_size(obj));
	if (problem.size)
		violation(v, id, cid, "commit-format", "%s", problem.ptr);
	if (!nsig) {
		violation(v, id, cid, "unsigned",
			"a commit touching crq files must be signed");
		goto done;
	}
	if (crq_sshsig_verify(sig.ptr, sig.size, payload.ptr, payload.size,
			"git", &key) < 0) {
		violation(v, id, cid, "bad-signature", "%s",
			crq_error_last());
		goto done;
	}
	if (strncmp(key.ptr, "ssh-ed25519 ", 12))
		violation(v, id, cid, "key-type",
			"crq signatures are ed25519, not '%.*s'",
			(int)strcspn(key.ptr, " "), key.ptr);
	if (policy && !(member = crq_policy__key_owner(policy, key.ptr))) {
		violation(v, id, cid, "unknown-key",
			"the signing key belongs to no member of the parent's policy");
		goto done;
	}
	if (member && strcmp(crq_node_get_str(member, "email"), cm->email)) {
		violation(v, id, cid, "committer",
			"signed by %s's key but committed as %s",
			crq_node_get_str(member, "email"), cm->email);
		goto done;
	}
	/* 2. the shape of the change */
	for (i = 0; i < nfiles; i++) {
		const struct delta_file *f = &files[i];

		if (f->has_new && f->mode != GIT_FILEMODE_BLOB)
			violation(v, id, cid, "file-mode",
				"'%s' is not a regular file (mode %o)", f->path,
				f->mode);
		else if (f->has_new) {
			size_t sz = 0;
			git_object_t ty;

			if (git_odb_read_header(&sz, &ty, odb, &f->new_id) == 0 &&
			    sz > MAX_FILE)
				violation(v, id, cid, "file-size",
					"'%s' is larger than %d bytes", f->path,
					MAX_FILE);
		}
	}
	if (!policy)
		goto done;	/* the trusted root brings its own policy */
	if (nfiles != 1) {
		violation(v, id, cid, "one-file",
			"a crq step changes exactly one file, this one %zu",
			nfiles);
		goto done;
	}
	if (!strcmp(files[0].path, POLICY_PATH)) {
		crq_node *np = NULL;
		const crq_node *ov = crq_node_get(policy, "version"), *nv;

		if (!crq_policy__has_role(member, "admin", day))
			violation(v, id, NULL, "policy-admin",
				"%s changed the policy without the admin role",
				cm->email);
		if (!files[0].has_new ||
		    load_blob(&np, v, &files[0].new_id, POLICY_PATH, 1) < 0) {
			violation(v, id, NULL, "policy-invalid", "%s",
				files[0].has_new ? crq_error_last() :
				"the policy was deleted");
			goto done;
		}
		nv = crq_node_get(np, "version");
		check_policy_step(v, id, policy, np, cm->email,
			ov ? ov->i : 0, nv ? nv->i : 0);
		crq_node_free(np);
		goto done;
	}
	if (strncmp(files[0].path, "changes/", 8) ||
	    !strstr(files[0].path, ".yaml")) {
		violation(v, id, cid, "path",
			"'%s' is not a place crq writes", files[0].path);
		goto done;
	}
	if (!files[0].has_new) {
		violation(v, id, cid, "deleted",
			"'%s' was deleted: no action removes a change",
			files[0].path);
		goto done;
	}
	if (load_blob(&new, v, &files[0].new_id, files[0].path, 0) < 0) {
		violation(v, id, cid, "invalid-file", "%s", crq_error_last());
		goto done;
	}
	if (files[0].had_old &&
	    load_blob(&old, v, &files[0].old_id, files[0].path, 0) < 0)
		old = NULL;
	{
		const char *fid = crq_node_get_str(new, "id");
		const char *base = strrchr(files[0].path, '/');

		if (!fid || !base || strncmp(base + 1, fid, strlen(fid)) ||
		    strcmp(base + 1 + strlen(fid), ".yaml") ||
		    !canonical_path(policy, fid, files[0].path)) {
			violation(v, id, cid, "path",
				"'%s' is not where change '%s' lives",
				files[0].path, fid ? fid : "?");
			goto done;
		}
		if (!cid || strcmp(cid, fid)) {
			violation(v, id, fid, "trailers",
				"Crq-Change '%s' disagrees with the file",
				cid ? cid : "(none)");
			goto done;
		}
	}
	/* 3. one legal action by that member, or by the member a bot
	 * attests for (a forge review imported as an approval) */
	actor = member;
	actor_email = cm->email;
	if (trailer(&tr, "Crq-Forge")) {
		const char *forge = trailer(&tr, "Crq-Forge");
		const char *login = trailer(&tr, "Crq-Reviewer");
		const crq_node *mm = NULL, *ms = crq_node_get(policy, "members");

		for (i = 0; login && ms && i < ms->count; i++) {
			const crq_node *h = crq_node_get(ms->items[i], "handles");
			const char *hv = h ? crq_node_get_str(h, forge) : NULL;

			if (hv && !strcmp(hv, login))
				mm = ms->items[i];
		}
		if (!crq_policy__in_list(crq_node_get(member, "attests"),
				forge) || !mm ||
		    strcmp(trailer(&tr, "Crq-Action") ?
			trailer(&tr, "Crq-Action") : "", "approve")) {
			violation(v, id, cid, "attestation",
				"%s may not attest this %s review (bot, handle or action)",
				cm->email, forge);
			goto done;
		}
		actor = mm;
		actor_email = crq_node_get_str(mm, "email");
	}
	action = trailer(&tr, "Crq-Action");
	from = trailer(&tr, "Crq-From");
	to = trailer(&tr, "Crq-To");
	type = crq_node_get_str(new, "type");
	ostate = old ? crq_node_get_str(old, "state") : NULL;
	nstate = crq_node_get_str(new, "state");
	if (!action) {
		violation(v, id, cid, "trailers", "no Crq-Action trailer");
		goto done;
	}
	if (!old != !strcmp(action, "create")) {
		violation(v, id, cid, "trailers",
			"'%s' %s a new change file", action,
			old ? "does not create" : "cannot create");
		goto done;
	}
	if ((from || ostate) && (!from || !ostate || strcmp(from, ostate)))
		violation(v, id, cid, "trailers",
			"Crq-From '%s' but the change was '%s'",
			from ? from : "(none)", ostate ? ostate : "(new)");
	if (!to || !nstate || strcmp(to, nstate))
		violation(v, id, cid, "trailers",
			"Crq-To '%s' but the change is now '%s'",
			to ? to : "(none)", nstate ? nstate : "?");
	if (old && type && strcmp(type, crq_node_get_str(old, "type")))
		violation(v, id, cid, "type-changed",
			"a change's type cannot change");
	{
		int named;

		act = crq_policy__action(policy, action, type ? type :
			"normal", ostate, &named);
	}
	/* the typed fallback is not enough here: the state must fit */
	if (act && ostate &&
	    !crq_policy__in_list(crq_node_get(act, "from"), ostate))
		act = NULL;
	if (!act) {
		violation(v, id, cid, "illegal-action",
			"no '%s' from '%s' for %s changes in the parent's policy",
			action, ostate ? ostate : "(new)", type ? type : "?");
		goto done;
	}
	{
		const crq_node *roles = crq_node_get(act, "roles");
		const char *want_to = crq_node_get_str(act, "to");
		int ok = 0;

		for (i = 0; roles && i < roles->count && !ok; i++)
			ok = crq_policy__has_role(actor, roles->items[i]->str,
				day);
		if (!ok)
			violation(v, id, cid, "role",
				"%s took '%s' without a role it needs",
				actor_email, action);
		if (want_to && strcmp(want_to, nstate) &&
		    !(crq_node_get(act, "approval") && ostate &&
		      !strcmp(ostate, nstate)))
			violation(v, id, cid, "illegal-transition",
				"'%s' leads to '%s', not '%s'", action,
				want_to, nstate);
		{
			const crq_node *req = crq_node_get(act, "requires");

			for (i = 0; req && i < req->count; i++) {
				const crq_node *f = crq_node_path(new,
					req->items[i]->str);

				if (!f || f->kind == CRQ_NODE_NULL ||
				    (f->kind == CRQ_NODE_STRING && !f->len))
					violation(v, id, cid, "required-field",
						"'%s' needs '%s' first", action,
						req->items[i]->str);
			}
		}
		if (!want_to && ostate && strcmp(ostate, nstate))
			violation(v, id, cid, "illegal-transition",
				"'%s' keeps the state, but it went %s -> %s",
				action, ostate, nstate);
	}
	/* what the action may change */
	{
		static const char *const always[] = { "state", "updated",
			"priority", NULL };
		static const struct { const char *action, *fields; } may[] = {
			{ "approve", "approvals" }, { "reject", "approvals" },
			{ "assess", "risk impact urgency" },
			{ "schedule", "window" },
			{ "complete", "close_code review_due" },
			{ "fail", "close_code review_due" },
			{ "review", "review" },
		};
		static const char *const fixed[] = { "id", "requester",
			"created", "approvals", "review_due", "type", NULL };
		crq_node *keys = crq_node_new(CRQ_NODE_OBJECT);
		const crq_node *side[2] = { old, new };
		size_t k, m;
		int s2;

		for (s2 = 0; s2 < 2 && old; s2++)
			for (k = 0; k < side[s2]->count; k++)
				crq_node_set(keys, side[s2]->keys[k],
					crq_node_new_bool(1));
		for (k = 0; old && k < keys->count; k++) {
			const char *f = keys->keys[k];
			const crq_node *a = crq_node_get(old, f);
			const crq_node *b = crq_node_get(new, f);
			int allowed = 0;

			if ((!a) == (!b) && (!a || crq_node_equal(a, b)))
				continue;
			for (m = 0; always[m]; m++)
				if (!strcmp(always[m], f))
					allowed = 1;
			if (!strcmp(action, "edit")) {
				allowed = 1;
				for (m = 0; fixed[m]; m++)
					if (!strcmp(fixed[m], f))
						allowed = 0;
			}
			for (m = 0; m < sizeof(may) / sizeof(may[0]); m++)
				if (!strcmp(may[m].action, action) &&
				    word_in(may[m].fields, f))
					allowed = 1;
			if (!allowed)
				violation(v, id, cid, "changed-field",
					"'%s' may not change '%s'", action, f);
		}
		crq_node_free(keys);
	}
	/* fresh, sufficient approvals before a change is authorized */
	if (nstate && !strcmp(nstate, "authorized") && (!ostate ||
	    strcmp(ostate, "authorized")) && type &&
	    strcmp(type, "standard")) {
		crq_buf missing = CRQ_BUF_INIT;

		if (crq_workflow__approved(&missing, v->repo, policy,
				new) == 0)
			violation(v, id, cid, "approvals",
				"authorized without fresh approvals meeting the rules: still needed %s",
				missing.ptr);
		crq_buf_dispose(&missing);
	}
	/* separation of duties: who edited since the last decision */
	{
		crq_node *eds = crq_node_get(v->editors, cid);
		int decision = !strcmp(action, "approve") ||
			!strcmp(action, "reject");

		if (!eds) {
			crq_node_set(v->editors, cid,
				crq_node_new(CRQ_NODE_OBJECT));
			eds = crq_node_get(v->editors, cid);
			/* first seen mid-life (a resumed walk, --trust): its
			 * edits so far are in the history, read when a
			 * decision needs them */
			if (old && git_commit_parentcount(c))
				crq_node_set(v->unread, cid,
					crq_node_new_bool(1));
		}
		if (decision && crq_node_get(v->unread, cid)) {
			crq_workflow__editors(eds, v->repo,
				git_commit_parent_id(c, 0), cid);
			crq_node_remove(v->unread, cid);
		}
		if (decision && crq_node_get(eds, actor_email))
			violation(v, id, cid, "separation",
				"%s decided on a change they edited since its last decision",
				actor_email);
		if (decision) {
			while (eds->count)
				crq_node_remove_at(eds, eds->count - 1);
		} else if (!strcmp(action, "edit") ||
			   !strcmp(action, "create")) {
			crq_node_set(eds, actor_email, crq_node_new_bool(1));
		}
	}
	/* a late review is a fact of the history */
	if (!strcmp(action, "review")) {
		const char *due = crq_node_get_str(old, "review_due");
		const char *at = crq_node_path(new, "review.at") ?
			crq_node_path(new, "review.at")->str : NULL;
		long long td, ta;

		if (due && at && crq_store__parse_time(due, &td) == 0 &&
		    crq_store__parse_time(at, &ta) == 0 && ta > td)
			violation(v, id, cid, "review-late",
				"the emergency review came after its deadline %s",
				due);
	}
	/* approvals: only added, only by this member, only in a decision */
	{
		const crq_node *oa = old ? crq_node_get(old, "approvals") : NULL;
		const crq_node *na = crq_node_get(new, "approvals");
		size_t on = oa ? oa->count : 0, nn = na ? na->count : 0;
		int decision = !strcmp(action, "approve") ||
			!strcmp(action, "reject");

		for (i = 0; i < on; i++)
			if (i >= nn || !crq_node_equal(oa->items[i],
					na->items[i])) {
				violation(v, id, cid, "approvals",
					"a recorded approval was changed or removed");
				break;
			}
		if (nn > on && (!decision || nn != on + 1))
			violation(v, id, cid, "approvals",
				"approvals were written outside a signed approve step");
		else if (nn == on + 1) {
			const crq_node *a = na->items[on];
			const char *by = crq_node_get_str(a, "by");
			const char *req = crq_node_get_str(new, "requester");

			char want[72];
			const char *dig = crq_node_get_str(a, "digest");
			const char *role = crq_node_get_str(a, "role");

			if (!by || strcmp(by, actor_email))
				violation(v, id, cid, "approvals",
					"an approval by %s was written by %s",
					by ? by : "?", cm->email);
			else if (req && !strcmp(req, by))
				violation(v, id, cid, "self-approval",
					"%s decided on their own change", by);
			else if (!role || !crq_policy__has_role(actor, role, day))
				violation(v, id, cid, "approvals",
					"%s approved as %s without that role",
					by, role ? role : "?");
			else if (crq_workflow__digest(want, v->repo, new) == 0 &&
				 (!dig || strcmp(dig, want)))
				violation(v, id, cid, "approvals",
					"the approval's digest is not that of the content it approves");
			else if (trailer(&tr, "Crq-Reviewed-Commit") &&
				 !review_fresh(v, trailer(&tr,
					"Crq-Reviewed-Commit"), files[0].path,
					want))
				violation(v, id, cid, "stale-review",
					"the attested review is of %s, where the change differed",
					trailer(&tr, "Crq-Reviewed-Commit"));
		}
	}
done:
	v->checked++;
	git_message_trailer_array_free(&tr);
	crq_node_free(old);
	crq_node_free(new);
	crq_buf_dispose(&payload);
	crq_buf_dispose(&sig);
	crq_buf_dispose(&problem);
	crq_buf_dispose(&key);
	git_odb_object_free(obj);
	git_odb_free(odb);
}

struct diff_acc {
	struct delta_file *files;
	size_t count, alloc;
};

static int diff_cb(const git_diff_delta *d, float progress, void *payload)
{
	struct diff_acc *acc = payload;
	const char *path = d->new_file.path ? d->new_file.path :
		d->old_file.path;
	struct delta_file *f;

	(void)progress;
	if (!is_crq_path(path))
		return 0;
	crq__grow((void **)&acc->files, &acc->alloc, acc->count + 1,
		sizeof(*acc->files));
	f = &acc->files[acc->count++];
	memset(f, 0, sizeof(*f));
	snprintf(f->path, sizeof(f->path), "%s", path);
	f->had_old = d->status != GIT_DELTA_ADDED;
	f->has_new = d->status != GIT_DELTA_DELETED;
	git_oid_cpy(&f->old_id, &d->old_file.id);
	git_oid_cpy(&f->new_id, &d->new_file.id);
	f->mode = d->new_file.mode;
	return 0;
}

/* The crq files commit changes against its first parent (or all of
 * them for a root). */
static int crq_delta(struct diff_acc *acc, git_repository *git,
	git_commit *c)
{
	git_tree *t = NULL, *pt = NULL;
	git_commit *p = NULL;
	git_diff *diff = NULL;
	git_diff_options o;
	int err;

	git_diff_options_init(&o, GIT_DIFF_OPTIONS_VERSION);
	acc->count = 0;
	o.flags = GIT_DIFF_INCLUDE_TYPECHANGE;
	if ((err = git_commit_tree(&t, c)) < 0 ||
	    (git_commit_parentcount(c) &&
	     ((err = git_commit_parent(&p, c, 0)) < 0 ||
	      (err = git_commit_tree(&pt, p)) < 0)) ||
	    (err = git_diff_tree_to_tree(&diff, git, pt, t, &o)) < 0 ||
	    (err = git_diff_foreach(diff, diff_cb, NULL, NULL, NULL,
			acc)) < 0)
		err = crq_store__git_error(err, "cannot diff");
	git_diff_free(diff);
	git_tree_free(t);
	git_tree_free(pt);
	git_commit_free(p);
	return err < 0 ? err : 0;
}

/* .git/crq/NAME: a commit id kept between runs. */
static int state_read(git_oid *out, crq_repo *repo, const char *name)
{
	crq_buf path = CRQ_BUF_INIT, text = CRQ_BUF_INIT;
	int ok;

	crq_buf_printf(&path, "%s/crq/%s", repo->gitdir, name);
	ok = crq_buf_read_file(&text, path.ptr, 128) == 0 &&
		text.size >= GIT_OID_HEXSZ &&
		git_oid_fromstrn(out, text.ptr, GIT_OID_HEXSZ) == 0;
	crq_error_clear();
	crq_buf_dispose(&path);
	crq_buf_dispose(&text);
	return ok;
}

static void state_write(crq_repo *repo, const char *name, const git_oid *id)
{
	crq_buf path = CRQ_BUF_INIT, tmp = CRQ_BUF_INIT;
	char hex[GIT_OID_HEXSZ + 1];
	FILE *f;

	crq_buf_printf(&path, "%s/crq", repo->gitdir);
	mkdir(path.ptr, 0777);
	crq_buf_printf(&path, "/%s", name);
	crq_buf_printf(&tmp, "%s.tmp", path.ptr);
	git_oid_tostr(hex, sizeof(hex), id);
	if ((f = fopen(tmp.ptr, "w"))) {
		fprintf(f, "%s\n", hex);
		/* best effort: a cache that cannot be written only costs time */
		if (fclose(f) == 0)
			rename(tmp.ptr, path.ptr);
		else
			unlink(tmp.ptr);
	}
	crq_buf_dispose(&path);
	crq_buf_dispose(&tmp);
}

/*
 * A merge may take a crq file from its other side only when the first
 * side left that file alone since the two parted: otherwise a step of
 * the first side would be lost (or the merge resolved a conflict by
 * hand).
 */
static void check_both_sides(struct vctx *v, git_commit *merge,
	const struct diff_acc *acc)
{
	const git_oid *p0 = git_commit_parent_id(merge, 0);
	const git_oid *p1 = git_commit_parent_id(merge, 1);
	git_oid base, a, b;
	size_t j;

	if (git_merge_base(&base, v->repo->git, p0, p1) < 0)
		return;
	for (j = 0; j < acc->count; j++) {
		crq_store__blob_at(&a, v->repo, p0, acc->files[j].path);
		crq_store__blob_at(&b, v->repo, &base, acc->files[j].path);
		if (!git_oid_equal(&a, &b))
			violation(v, git_commit_id(merge), NULL, "both-sides",
				"both sides changed '%s' since they parted: a step would be lost\n"
				"hint: run crq sync (rebase the branch's steps) instead of merging",
				acc->files[j].path);
	}
}

/* Check the commits a merge brings in from its other parents, oldest
 * first, each against the policy of its own parent. */
static int check_side(struct vctx *v, git_commit *merge)
{
	git_revwalk *walk = NULL;
	struct diff_acc acc = { NULL, 0, 0 };
	git_oid id;
	unsigned k;
	int err;

	if ((err = git_revwalk_new(&walk, v->repo->git)) < 0)
		return crq_store__git_error(err, "cannot walk history");
	git_revwalk_sorting(walk, GIT_SORT_TOPOLOGICAL | GIT_SORT_REVERSE);
	for (k = 1; k < git_commit_parentcount(merge); k++)
		git_revwalk_push(walk, git_commit_parent_id(merge, k));
	git_revwalk_hide(walk, git_commit_parent_id(merge, 0));
	while (git_revwalk_next(&id, walk) == 0) {
		git_commit *c = NULL;
		crq_node *policy = NULL;
		git_oid pb;

		if (git_commit_lookup(&c, v->repo->git, &id) < 0)
			continue;
		if (git_commit_parentcount(c) == 1 &&
		    crq_delta(&acc, v->repo->git, c) == 0 && acc.count) {
			crq_store__blob_at(&pb, v->repo,
				git_commit_parent_id(c, 0), POLICY_PATH);
			if (git_oid_is_zero(&pb) ||
			    load_blob(&policy, v, &pb, POLICY_PATH, 1) < 0)
				violation(v, &id, NULL, "no-policy",
					"a merged commit changes crq files without a policy before it");
			else
				check_commit(v, c, policy, acc.files,
					acc.count);
		}
		crq_node_free(policy);
		git_commit_free(c);
	}
	free(acc.files);
	git_revwalk_free(walk);
	return 0;
}

int crq_verify(crq_repo *repo, const char *rev, crq_issues *violations,
	size_t *checked)
{
	return crq_verify_ext(repo, rev, NULL, violations, checked);
}

int crq_verify_ext(crq_repo *repo, const char *rev, const char *trust,
	crq_issues *violations, size_t *checked)
{
	struct vctx v;
	struct diff_acc acc = { NULL, 0, 0 };
	git_object *obj = NULL;
	git_commit *c = NULL, *p = NULL;
	git_oid *chain = NULL;
	crq_node *policy = NULL, *np = NULL;
	const crq_schema *schema, *pschema;
	size_t n = 0, alloc = 0, i, j, resume = 0;
	git_time_t last = 0;
	git_oid pinned, verified, trusted;
	int err, have_pin, have_verified, have_trust = 0, cacheable;
	int found_verified = 0;

	memset(&v, 0, sizeof(v));
	v.repo = repo;
	v.out = violations;
	v.editors = crq_node_new(CRQ_NODE_OBJECT);
	v.unread = crq_node_new(CRQ_NODE_OBJECT);
	if ((err = crq_repo_change_schema(&schema, repo)) < 0 ||
	    (err = crq_store__policy_schema(&pschema, repo)) < 0)
		goto done;
	v.schema = schema;
	v.pschema = pschema;
	if ((err = git_revparse_single(&obj, repo->git,
			rev ? rev : repo->branch)) < 0 ||
	    (err = git_commit_lookup(&c, repo->git, git_object_id(obj))) < 0) {
		err = crq_error__set(CRQ_EREPO, "cannot resolve '%s'",
			rev ? rev : repo->branch + 11);
		goto done;
	}
	/*
	 * The branch itself (not another revision) keeps state in
	 * .git/crq/: the pinned root, and the last tip verified clean,
	 * where a later run resumes and which must stay in the history.
	 */
	cacheable = !rev && !trust;
	have_pin = state_read(&pinned, repo, "trust");
	have_verified = cacheable && state_read(&verified, repo, "verified");
	if (trust) {
		git_object *to = NULL;

		if (git_revparse_single(&to, repo->git, trust) < 0) {
			err = crq_error__set(CRQ_EREPO,
				"cannot resolve trusted commit '%s'", trust);
			goto done;
		}
		git_oid_cpy(&trusted, git_object_id(to));
		git_object_free(to);
		have_trust = 1;
	}
	/* first-parent chain back to the commit that brought the policy */
	for (;;) {
		git_tree_entry *e = NULL;
		git_tree *t = NULL;
		int has;

		if (have_verified && git_oid_equal(git_commit_id(c),
				&verified)) {
			found_verified = 1;
			break;
		}
		if (git_commit_tree(&t, c) < 0)
			break;
		has = git_tree_entry_bypath(&e, t, POLICY_PATH) == 0;
		git_tree_entry_free(e);
		git_tree_free(t);
		if (!has)
			break;
		crq__grow((void **)&chain, &alloc, n + 1, sizeof(*chain));
		git_oid_cpy(&chain[n++], git_commit_id(c));
		if (have_trust && git_oid_equal(git_commit_id(c), &trusted))
			break;
		if (!git_commit_parentcount(c) ||
		    git_commit_parent(&p, c, 0) < 0)
			break;
		git_commit_free(c);
		c = p;
		p = NULL;
	}
	if (found_verified) {
		/* resume: the policy in force at the verified tip */
		git_tree *t = NULL;
		git_tree_entry *e = NULL;

		if (git_commit_tree(&t, c) == 0 &&
		    git_tree_entry_bypath(&e, t, POLICY_PATH) == 0)
			load_blob(&policy, &v, git_tree_entry_id(e),
				POLICY_PATH, 1);
		last = git_commit_committer(c)->when.time;
		git_tree_entry_free(e);
		git_tree_free(t);
		resume = 1;
	} else if (!n) {
		err = crq_error__set(CRQ_EREPO, "no crq policy on '%s'",
			rev ? rev : repo->branch + 11);
		goto done;
	} else {
		if (have_verified)
			violation(&v, &verified, NULL, "rewrite",
				"the last verified tip is no longer in the history (rollback or force push)");
		if (!trust && have_pin && !git_oid_equal(&pinned,
				&chain[n - 1]))
			violation(&v, &chain[n - 1], NULL, "root",
				"the history starts at another commit than the pinned root");
		if (!trust && !have_pin && !rev)
			state_write(repo, "trust", &chain[n - 1]);
		/* the trusted root's policy judges the commit after it, even
		 * when the root did not change the policy itself (--trust) */
		{
			git_commit *rc = NULL;
			git_tree *t = NULL;
			git_tree_entry *e = NULL;

			if (git_commit_lookup(&rc, repo->git,
					&chain[n - 1]) == 0 &&
			    git_commit_tree(&t, rc) == 0 &&
			    git_tree_entry_bypath(&e, t, POLICY_PATH) == 0)
				load_blob(&policy, &v, git_tree_entry_id(e),
					POLICY_PATH, 1);
			git_tree_entry_free(e);
			git_tree_free(t);
			git_commit_free(rc);
		}
	}
	/* oldest first: the root is trusted and brings the first policy */
	for (i = n; i-- > 0;) {
		git_commit *cc = NULL;
		const git_signature *cm;

		if ((err = git_commit_lookup(&cc, repo->git, &chain[i])) < 0) {
			err = crq_store__git_error(err, "cannot read commit");
			goto done;
		}
		cm = git_commit_committer(cc);
		if (cm->when.time < last)
			violation(&v, &chain[i], NULL, "time",
				"committer time goes backwards");
		last = cm->when.time;
		if ((err = crq_delta(&acc, repo->git, cc)) < 0) {
			git_commit_free(cc);
			goto done;
		}
		if (git_commit_parentcount(cc) > 1 && policy &&
		    crq_node_get(policy, "linear_history") &&
		    crq_node_get(policy, "linear_history")->b)
			violation(&v, &chain[i], NULL, "linear-history",
				"the policy requires a linear history: no merges");
		if (git_commit_parentcount(cc) > 1) {
			/* the steps the merge brings in are checked too */
			if ((err = check_side(&v, cc)) < 0) {
				git_commit_free(cc);
				goto done;
			}
			if ((err = crq_delta(&acc, repo->git, cc)) < 0) {
				git_commit_free(cc);
				goto done;
			}
			check_both_sides(&v, cc, &acc);
			/* merges bring no crq content of their own */
			for (j = 0; j < acc.count; j++) {
				git_commit *op = NULL;
				git_tree *ot = NULL;
				git_tree_entry *oe = NULL;
				int same = 0;

				if (git_commit_parent(&op, cc, 1) == 0 &&
				    git_commit_tree(&ot, op) == 0 &&
				    git_tree_entry_bypath(&oe, ot,
					acc.files[j].path) == 0)
					same = git_oid_equal(
						git_tree_entry_id(oe),
						&acc.files[j].new_id);
				if (!same)
					violation(&v, &chain[i], NULL,
						"evil-merge",
						"'%s' in the merge matches neither parent",
						acc.files[j].path);
				git_tree_entry_free(oe);
				git_tree_free(ot);
				git_commit_free(op);
			}
		} else if (acc.count) {
			check_commit(&v, cc, i == n - 1 && !resume ? NULL :
				policy, acc.files, acc.count);
		}
		/* the next commit is judged by this one's policy */
		for (j = 0; j < acc.count; j++) {
			if (strcmp(acc.files[j].path, POLICY_PATH) ||
			    !acc.files[j].has_new)
				continue;
			if (load_blob(&np, &v, &acc.files[j].new_id,
					POLICY_PATH, 1) == 0) {
				crq_node_free(policy);
				policy = np;
				np = NULL;
			}
		}
		git_commit_free(cc);
	}
	/* emergency reviews still owed past their deadline, at the tip */
	if (!rev && !trust) {
		crq_filter f;
		crq_node *owed = NULL;

		memset(&f, 0, sizeof(f));
		f.type = "emergency";
		f.overdue = 1;
		if (crq_change_list(&owed, repo, &f, NULL) == 0) {
			for (i = 0; i < owed->count; i++)
				violation(&v, n ? &chain[0] : &verified,
					crq_node_get_str(owed->items[i], "id"),
					"review-overdue",
					"the emergency review was due %s",
					crq_node_get_str(owed->items[i],
						"review_due"));
		}
		crq_node_free(owed);
		crq_error_clear();
	}
	err = 0;
	if (checked)
		*checked = v.checked;
	if (cacheable && n && violations->count == 0)
		state_write(repo, "verified", &chain[0]);
done:
	crq_node_free(v.editors);
	crq_node_free(v.unread);
	crq_node_free(policy);
	crq_node_free(np);
	free(chain);
	free(acc.files);
	git_commit_free(c);
	git_commit_free(p);
	git_object_free(obj);
	return err;
}

static int resolve(git_oid *out, crq_repo *repo, const char *rev)
{
	git_object *o = NULL;
	int err = git_revparse_single(&o, repo->git, rev);

	if (err < 0)
		return crq_error__set(CRQ_EREPO, "cannot resolve '%s'", rev);
	git_oid_cpy(out, git_object_id(o));
	git_object_free(o);
	return 0;
}

int crq_repo_descends(crq_repo *repo, const char *b, const char *a)
{
	git_oid ob, oa;
	int err;

	if ((err = resolve(&ob, repo, b)) < 0 ||
	    (err = resolve(&oa, repo, a)) < 0)
		return err;
	if (git_oid_equal(&ob, &oa))
		return 1;
	err = git_graph_descendant_of(repo->git, &ob, &oa);
	return err < 0 ? crq_store__git_error(err, "cannot walk history") :
		err;
}

int crq_repo_has_policy(crq_repo *repo, const char *rev)
{
	git_oid id;
	crq_buf text = CRQ_BUF_INIT;
	int err;

	if ((err = resolve(&id, repo, rev)) < 0)
		return err;
	{
		git_object *o = NULL;
		git_commit *c = NULL;

		/* peel to a commit */
		if (git_object_lookup(&o, repo->git, &id, GIT_OBJECT_ANY) < 0 ||
		    git_object_peel((git_object **)&c, o, GIT_OBJECT_COMMIT) < 0) {
			git_object_free(o);
			return 0;
		}
		git_oid_cpy(&id, git_commit_id(c));
		git_commit_free(c);
		git_object_free(o);
	}
	err = crq_store__read(repo, &id, POLICY_PATH, &text, NULL);
	crq_buf_dispose(&text);
	return err == 0 ? 1 : err == CRQ_ENOTFOUND ? 0 : err;
}

/* ---- the pull-request gate ---- */

int crq_merge_base(crq_buf *out, crq_repo *repo, const char *a,
	const char *b)
{
	git_oid oa, ob, mb;
	char hex[GIT_OID_HEXSZ + 1];
	int err;

	if ((err = resolve(&oa, repo, a)) < 0 ||
	    (err = resolve(&ob, repo, b)) < 0)
		return err;
	if ((err = git_merge_base(&mb, repo->git, &oa, &ob)) < 0)
		return err == GIT_ENOTFOUND ? crq_error__set(CRQ_EREPO,
			"'%s' and '%s' share no history", a, b) :
			crq_store__git_error(err, "cannot find merge base");
	git_oid_tostr(hex, sizeof(hex), &mb);
	crq_buf_puts(out, hex);
	return 0;
}

int crq_change_status(crq_node **out, crq_repo *repo, const char *base,
	const char *head)
{
	git_oid ob, oh;
	git_commit *cb = NULL, *ch = NULL;
	git_tree *tb = NULL, *th = NULL;
	git_diff *diff = NULL;
	git_diff_options o;
	crq_node *list = crq_node_new(CRQ_NODE_ARRAY), *policy = NULL;
	crq_buf text = CRQ_BUF_INIT;
	const crq_schema *schema, *pschema;
	size_t i, j;
	int err;

	*out = NULL;
	git_diff_options_init(&o, GIT_DIFF_OPTIONS_VERSION);
	if ((err = resolve(&ob, repo, base)) < 0 ||
	    (err = resolve(&oh, repo, head)) < 0 ||
	    (err = crq_repo_change_schema(&schema, repo)) < 0 ||
	    (err = crq_store__policy_schema(&pschema, repo)) < 0)
		goto done;
	if ((err = git_commit_lookup(&cb, repo->git, &ob)) < 0 ||
	    (err = git_commit_lookup(&ch, repo->git, &oh)) < 0 ||
	    (err = git_commit_tree(&tb, cb)) < 0 ||
	    (err = git_commit_tree(&th, ch)) < 0 ||
	    (err = git_diff_tree_to_tree(&diff, repo->git, tb, th, &o)) < 0) {
		err = crq_store__git_error(err, "cannot compare");
		goto done;
	}
	if ((err = crq_store__read(repo, &oh, POLICY_PATH, &text, NULL)) < 0 ||
	    (err = crq_policy__parse(&policy, pschema, text.ptr, text.size,
			POLICY_PATH, NULL)) < 0)
		goto done;
	for (i = 0; i < git_diff_num_deltas(diff); i++) {
		const git_diff_delta *d = git_diff_get_delta(diff, i);
		const char *path = d->new_file.path;
		crq_node *doc = NULL, *s, *by;
		const crq_node *apps;
		crq_buf blob = CRQ_BUF_INIT, missing = CRQ_BUF_INIT;
		const char *state, *type;

		if (strncmp(path, "changes/", 8) ||
		    d->status == GIT_DELTA_DELETED)
			continue;
		if (crq_store__read(repo, &oh, path, &blob, NULL) < 0 ||
		    crq_change_parse_with(&doc, schema, blob.ptr, blob.size,
			path, NULL) < 0) {
			crq_buf_dispose(&blob);
			continue;	/* verify reports it */
		}
		crq_buf_dispose(&blob);
		s = crq_node_new(CRQ_NODE_OBJECT);
		state = crq_node_get_str(doc, "state");
		type = crq_node_get_str(doc, "type");
		crq_node_set(s, "id", crq_node_dup(crq_node_get(doc, "id")));
		crq_node_set(s, "state", crq_node_new_cstr(state));
		crq_node_set(s, "type", crq_node_new_cstr(type));
		by = crq_node_new(CRQ_NODE_ARRAY);
		apps = crq_node_get(doc, "approvals");
		for (j = 0; apps && j < apps->count; j++)
			crq_node_push(by, crq_node_new_cstr(
				crq_node_get_str(apps->items[j], "by")));
		crq_node_set(s, "approvals", by);
		if ((!strcmp(state, "submitted") || !strcmp(state, "assessed")) &&
		    strcmp(type, "standard") &&
		    crq_workflow__approved(&missing, repo, policy, doc) == 0)
			crq_node_set(s, "needs", crq_node_new_cstr(missing.ptr));
		crq_buf_dispose(&missing);
		crq_node_push(list, s);
		crq_node_free(doc);
	}
	*out = list;
	list = NULL;
	err = 0;
done:
	crq_node_free(list);
	crq_node_free(policy);
	crq_buf_dispose(&text);
	git_diff_free(diff);
	git_tree_free(tb);
	git_tree_free(th);
	git_commit_free(cb);
	git_commit_free(ch);
	return err;
}

int crq_validate_staged(crq_repo *repo, const char *datadir,
	crq_issues *issues, size_t *files)
{
	git_index *idx = NULL;
	git_oid tip;
	git_commit *c = NULL;
	git_tree *t = NULL;
	git_diff *diff = NULL;
	size_t i;
	int err, unborn;

	*files = 0;
	if ((err = crq_store__tip(repo, &tip, &unborn)) < 0)
		return err;
	if ((err = git_repository_index(&idx, repo->git)) < 0 ||
	    (!unborn && ((err = git_commit_lookup(&c, repo->git, &tip)) < 0 ||
			 (err = git_commit_tree(&t, c)) < 0)) ||
	    (err = git_diff_tree_to_index(&diff, repo->git, t, idx,
			NULL)) < 0) {
		err = crq_store__git_error(err, "cannot read the index");
		goto done;
	}
	for (i = 0; i < git_diff_num_deltas(diff); i++) {
		const git_diff_delta *d = git_diff_get_delta(diff, i);
		const char *path = d->new_file.path;
		git_blob *b = NULL;
		int e;

		if (d->status == GIT_DELTA_DELETED || !is_crq_path(path) ||
		    (strncmp(path, "changes/", 8) && strcmp(path, POLICY_PATH)))
			continue;
		(*files)++;
		if (git_blob_lookup(&b, repo->git, &d->new_file.id) < 0)
			continue;
		{
			crq_issues one;
			size_t k;

			crq_issues_init(&one);
			e = crq_validate_file(repo, datadir, path,
				git_blob_rawcontent(b),
				(size_t)git_blob_rawsize(b), NULL, &one);
			/* one line each, naming the file */
			for (k = 0; k < one.count; k++)
				crq_issues_add(issues, NULL, path,
					"%s:%u:%u: %s", path, one.items[k].line,
					one.items[k].col, one.items[k].message);
			if (e < 0 && !one.count)
				crq_issues_add(issues, NULL, path, "%s",
					crq_error_last());
			crq_issues_dispose(&one);
		}
		git_blob_free(b);
	}
	err = 0;
done:
	git_diff_free(diff);
	git_tree_free(t);
	git_commit_free(c);
	git_index_free(idx);
	return err;
}
