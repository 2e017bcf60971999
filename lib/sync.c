/*
 * sync.c - crq sync: share a store through a git remote.  Local steps
 * that are not upstream yet are replayed on top of the remote tip as
 * the user's own steps again (re-checked, re-signed); a new change
 * whose id was taken upstream meanwhile gets the next free id.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "change.h"

#define POLICY_PATH ".crq/policy.yaml"

struct push_state {
	char msg[256];
};

static int push_status(const char *ref, const char *status, void *data)
{
	struct push_state *ps = data;

	if (status)
		snprintf(ps->msg, sizeof(ps->msg), "%s: %s", ref, status);
	return 0;
}

/* How many crq files (change files, the policy) commit changes against
 * its first parent; path gets the last one. */
static int step_file(crq_buf *path, git_repository *git, git_commit *c)
{
	git_tree *t = NULL, *pt = NULL;
	git_commit *p = NULL;
	git_diff *diff = NULL;
	size_t i;
	int err, n = 0;

	if ((err = git_commit_tree(&t, c)) < 0 ||
	    (err = git_commit_parent(&p, c, 0)) < 0 ||
	    (err = git_commit_tree(&pt, p)) < 0 ||
	    (err = git_diff_tree_to_tree(&diff, git, pt, t, NULL)) < 0)
		goto done;
	for (i = 0; i < git_diff_num_deltas(diff); i++) {
		const char *f = git_diff_get_delta(diff, i)->new_file.path;

		if (!strncmp(f, "changes/", 8) || !strcmp(f, POLICY_PATH)) {
			crq_buf_clear(path);
			crq_buf_puts(path, f);
			n++;
		}
	}
	err = n;
done:
	git_diff_free(diff);
	git_tree_free(t);
	git_tree_free(pt);
	git_commit_free(p);
	return err;
}

static int doc_at(crq_node **out, crq_repo *repo, const git_oid *commit,
	const char *path)
{
	const crq_schema *schema;
	crq_buf text = CRQ_BUF_INIT;
	int err;

	*out = NULL;
	if ((err = crq_repo_change_schema(&schema, repo)) < 0 ||
	    (err = crq_store__read(repo, commit, path, &text, NULL)) < 0)
		goto done;
	err = crq_change_parse_with(out, schema, text.ptr, text.size, path,
		NULL);
done:
	crq_buf_dispose(&text);
	return err;
}

/* "key=value" assignments turning old into new for the fields a
 * person sets (not state, timestamps, approvals, computed ones). */
static void assignments(crq_node *list, const crq_node *old,
	const crq_node *new)
{
	crq_node *keys = crq_node_new(CRQ_NODE_OBJECT);
	const crq_node *side[2] = { old, new };
	size_t i;
	int s;

	for (s = 0; s < 2; s++)
		for (i = 0; side[s] && i < side[s]->count; i++)
			crq_node_set(keys, side[s]->keys[i],
				crq_node_new_bool(1));
	for (i = 0; i < keys->count; i++) {
		const char *f = keys->keys[i];
		const crq_node *a = old ? crq_node_get(old, f) : NULL;
		const crq_node *b = crq_node_get(new, f);
		crq_buf as = CRQ_BUF_INIT;

		if (crq_change__derived(f) ||
		    ((!a) == (!b) && (!a || crq_node_equal(a, b))))
			continue;
		if (!strcmp(f, "review") && b) {
			/* the review names its reviewer itself */
			const char *sum = crq_node_get_str(b, "summary");

			crq_buf_printf(&as, "review.summary=%s", sum ? sum : "");
		} else if (!b) {
			crq_buf_printf(&as, "%s=", f);
		} else if (b->kind == CRQ_NODE_STRING) {
			crq_buf_printf(&as, "%s=%s", f, b->str);
		} else {
			crq_buf_printf(&as, "%s=", f);
			crq_yaml_emit(&as, b);
		}
		crq_node_push(list, crq_node_new_cstr(as.ptr));
		crq_buf_dispose(&as);
	}
	crq_node_free(keys);
}

/* Body of a commit message without subject and trailers. */
static void body_of(crq_buf *out, git_commit *c)
{
	const char *b = git_commit_body(c);
	const char *t = b ? strstr(b, "Crq-") : NULL;
	size_t n = b ? (t ? (size_t)(t - b) : strlen(b)) : 0;

	while (n && (b[n - 1] == '\n' || b[n - 1] == ' '))
		n--;
	if (n)
		crq_buf_put(out, b, n);
}

/* Replay one local step on the current tip. */
static int replay(crq_buf *report, crq_repo *repo, git_commit *c,
	crq_node *idmap)
{
	git_message_trailer_array tr;
	crq_buf path = CRQ_BUF_INIT, body = CRQ_BUF_INIT, newid = CRQ_BUF_INIT;
	crq_node *old = NULL, *new = NULL, *sets = crq_node_new(CRQ_NODE_ARRAY);
	const char *id = NULL, *action = NULL, *mapped;
	const char **argv = NULL;
	size_t i;
	int err;

	memset(&tr, 0, sizeof(tr));
	git_message_trailers(&tr, git_commit_message(c));
	for (i = 0; i < tr.count; i++) {
		if (!strcmp(tr.trailers[i].key, "Crq-Change"))
			id = tr.trailers[i].value;
		else if (!strcmp(tr.trailers[i].key, "Crq-Action"))
			action = tr.trailers[i].value;
	}
	body_of(&body, c);
	/* each step is signed only by its author: replaying someone
	 * else's local step as ours would put our name on their decision */
	{
		crq_buf me = CRQ_BUF_INIT;
		const char *by = git_commit_committer(c)->email;

		err = crq_store__email(&me, repo);
		if (!err && strcmp(me.ptr, by))
			err = crq_error__set(CRQ_EDENIED,
				"local step %.10s is %s's: only its author can sign it again\n"
				"hint: run crq sync as %s (or let them push it)",
				git_oid_tostr_s(git_commit_id(c)), by, by);
		crq_buf_dispose(&me);
		if (err < 0)
			goto done;
	}
	if ((err = step_file(&path, repo->git, c)) < 0)
		goto done;
	if (err == 0 && id && action && !strcmp(action, "comment")) {
		/* a comment that changed nothing in the file */
		crq_act_opts opts;

		memset(&opts, 0, sizeof(opts));
		opts.message = body.size ? body.ptr : "-";
		mapped = crq_node_get_str(idmap, id) ?
			crq_node_get_str(idmap, id) : id;
		err = crq_change_act(NULL, repo, mapped, action, &opts);
		if (!err)
			crq_buf_printf(report, "replayed comment %s\n", mapped);
		goto done;
	}
	if (err != 1) {
		/* a code commit cannot be re-signed as a crq step */
		err = crq_error__set(CRQ_EDENIED,
			"local commit %.10s is not one crq step; rebase it with git first",
			git_oid_tostr_s(git_commit_id(c)));
		goto done;
	}
	if (!strcmp(path.ptr, POLICY_PATH)) {
		crq_buf text = CRQ_BUF_INIT;

		if ((err = crq_store__read(repo, git_commit_id(c), POLICY_PATH,
				&text, NULL)) == 0)
			err = crq_policy_apply(repo, text.ptr, text.size,
				POLICY_PATH);
		crq_buf_dispose(&text);
		goto done;
	}
	if (!id || !action) {
		err = crq_error__set(CRQ_EINVALID,
			"local commit %.10s has no crq trailers",
			git_oid_tostr_s(git_commit_id(c)));
		goto done;
	}
	mapped = crq_node_get_str(idmap, id) ? crq_node_get_str(idmap, id) : id;
	if ((err = doc_at(&new, repo, git_commit_id(c), path.ptr)) < 0)
		goto done;
	if (strcmp(action, "create"))
		doc_at(&old, repo, git_commit_parent_id(c, 0), path.ptr);
	assignments(sets, old, new);
	argv = calloc(sets->count + 1, sizeof(*argv));
	for (i = 0; i < sets->count; i++)
		argv[i] = sets->items[i]->str;
	if (!strcmp(action, "create")) {
		crq_node *fields = crq_node_new(CRQ_NODE_OBJECT);
		const char *tmpl = crq_node_get_str(new, "template");

		for (i = 0; i < new->count; i++) {
			const char *k = new->keys[i];

			if (!crq_change__derived(k))
				crq_node_set(fields, k,
					crq_node_dup(new->items[i]));
		}
		err = crq_change_create(&newid, repo, fields, tmpl);
		crq_node_free(fields);
		if (!err && strcmp(newid.ptr, id)) {
			crq_node_set(idmap, id, crq_node_new_cstr(newid.ptr));
			crq_buf_printf(report,
				"renumbered %s to %s: the id was taken upstream\n",
				id, newid.ptr);
		}
	} else if (!strcmp(action, "edit")) {
		err = sets->count ? crq_change_set(repo, mapped, argv,
			sets->count) : 0;
		if (err == CRQ_EEXISTS)
			err = 0;
	} else {
		crq_act_opts opts;
		const crq_node *apps = crq_node_get(new, "approvals");

		memset(&opts, 0, sizeof(opts));
		opts.message = body.size ? body.ptr : NULL;
		/* review: its summary is the message */
		if (!strcmp(action, "review"))
			opts.message = NULL;
		opts.assignments = argv;
		opts.count = sets->count;
		if ((!strcmp(action, "approve") || !strcmp(action, "reject")) &&
		    apps && apps->count)
			opts.role = crq_node_get_str(
				apps->items[apps->count - 1], "role");
		err = crq_change_act(NULL, repo, mapped, action, &opts);
	}
	if (!err)
		crq_buf_printf(report, "replayed %s %s\n", action,
			crq_node_get_str(idmap, id) ? crq_node_get_str(idmap,
				id) : id);
done:
	if (err < 0)
		crq_error__prefix("cannot replay %.10s (%s %s)",
			git_oid_tostr_s(git_commit_id(c)), action ? action : "?",
			id ? id : "?");
	git_message_trailer_array_free(&tr);
	free(argv);
	crq_node_free(old);
	crq_node_free(new);
	crq_node_free(sets);
	crq_buf_dispose(&path);
	crq_buf_dispose(&body);
	crq_buf_dispose(&newid);
	return err;
}

static int reset_to(crq_repo *repo, const git_oid *to)
{
	git_object *o = NULL;
	int err;

	if ((err = git_object_lookup(&o, repo->git, to, GIT_OBJECT_COMMIT)) < 0 ||
	    (err = git_reset(repo->git, o, GIT_RESET_HARD, NULL)) < 0)
		err = crq_store__git_error(err, "cannot move the branch");
	git_object_free(o);
	/* the policy read before may not be the tip's any more */
	crq_node_free(repo->policy);
	repo->policy = NULL;
	return err;
}

int crq_sync(crq_buf *report, crq_repo *repo, const char *remote_name)
{
	git_remote *remote = NULL;
	git_fetch_options fo;
	git_push_options po;
	git_status_options so;
	git_status_list *st = NULL;
	git_revwalk *walk = NULL;
	git_oid local, upstream, base, id, *steps = NULL;
	crq_buf track = CRQ_BUF_INIT, spec = CRQ_BUF_INIT;
	crq_node *idmap;
	struct push_state ps;
	char *pspec;
	git_strarray refspecs;
	const char *branch = repo->branch + 11;
	size_t n = 0, alloc = 0, i;
	int err, attempt, unborn;

	if (!repo->workdir)
		return crq_error__set(CRQ_EUSAGE,
			"crq sync works in a checked-out store");
	idmap = crq_node_new(CRQ_NODE_OBJECT);
	/* nothing of the user's may be overwritten by the replay */
	git_status_options_init(&so, GIT_STATUS_OPTIONS_VERSION);
	so.flags = GIT_STATUS_OPT_INCLUDE_UNTRACKED;
	if ((err = git_status_list_new(&st, repo->git, &so)) < 0) {
		err = crq_store__git_error(err, "cannot read status");
		goto done;
	}
	for (i = 0; i < git_status_list_entrycount(st); i++) {
		const git_status_entry *e = git_status_byindex(st, i);
		const char *p = e->index_to_workdir ?
			e->index_to_workdir->new_file.path :
			e->head_to_index->new_file.path;

		if (!strncmp(p, "changes/", 8) || !strncmp(p, ".crq/", 5)) {
			err = crq_error__set(CRQ_ECONFLICT,
				"'%s' has uncommitted changes; commit or stash them before crq sync",
				p);
			goto done;
		}
	}
	if ((err = git_remote_lookup(&remote, repo->git, remote_name)) < 0) {
		err = crq_error__set(CRQ_EREPO, "no remote '%s'", remote_name);
		goto done;
	}
	crq_buf_printf(&track, "refs/remotes/%s/%s", remote_name, branch);
	crq_buf_printf(&spec, "refs/heads/%s:refs/heads/%s", branch, branch);
	pspec = spec.ptr;
	refspecs.strings = &pspec;
	refspecs.count = 1;
	for (attempt = 0; attempt < 8; attempt++) {
		int have_up;

		git_fetch_options_init(&fo, GIT_FETCH_OPTIONS_VERSION);
		if ((err = git_remote_fetch(remote, NULL, &fo, "crq sync")) < 0) {
			err = crq_store__git_error(err, "cannot fetch");
			goto done;
		}
		if ((err = crq_store__tip(repo, &local, &unborn)) < 0)
			goto done;
		have_up = git_reference_name_to_id(&upstream, repo->git,
			track.ptr) == 0;
		if (have_up && git_oid_equal(&upstream, &local))
			break;
		if (have_up && git_graph_descendant_of(repo->git, &upstream,
				&local) == 1) {
			/* only upstream moved: take it */
			if ((err = reset_to(repo, &upstream)) < 0)
				goto done;
			crq_buf_printf(report, "up to date with %s/%s\n",
				remote_name, branch);
			break;
		}
		if (have_up && !git_graph_descendant_of(repo->git, &local,
				&upstream)) {
			/* diverged: replay ours on theirs */
			if ((err = git_merge_base(&base, repo->git, &local,
					&upstream)) < 0) {
				err = crq_store__git_error(err,
					"no common history with the remote");
				goto done;
			}
			git_revwalk_new(&walk, repo->git);
			git_revwalk_simplify_first_parent(walk);
			git_revwalk_sorting(walk, GIT_SORT_TOPOLOGICAL |
				GIT_SORT_REVERSE);
			git_revwalk_push(walk, &local);
			git_revwalk_hide(walk, &base);
			n = 0;
			while (git_revwalk_next(&id, walk) == 0) {
				crq__grow((void **)&steps, &alloc, n + 1,
					sizeof(*steps));
				git_oid_cpy(&steps[n++], &id);
			}
			git_revwalk_free(walk);
			walk = NULL;
			if ((err = reset_to(repo, &upstream)) < 0)
				goto done;
			for (i = 0; i < n; i++) {
				git_commit *c = NULL;

				if ((err = git_commit_lookup(&c, repo->git,
						&steps[i])) < 0) {
					err = crq_store__git_error(err,
						"cannot read a local step");
					break;
				}
				err = replay(report, repo, c, idmap);
				git_commit_free(c);
				if (err < 0)
					break;
			}
			if (err < 0) {
				/* never lose a step: back to where we were */
				char why[1024];

				snprintf(why, sizeof(why), "%s", crq_error_last());
				reset_to(repo, &local);
				err = crq_error__set(CRQ_ECONFLICT,
					"%s\nhint: nothing was pushed; your branch is back at %.10s",
					why, git_oid_tostr_s(&local));
				goto done;
			}
		}
		/* push; when someone pushed first, fetch and replay again */
		memset(&ps, 0, sizeof(ps));
		git_push_options_init(&po, GIT_PUSH_OPTIONS_VERSION);
		po.callbacks.push_update_reference = push_status;
		po.callbacks.payload = &ps;
		err = git_remote_push(remote, &refspecs, &po);
		if (err == 0 && !ps.msg[0]) {
			crq_buf_printf(report, "pushed to %s/%s\n", remote_name,
				branch);
			break;
		}
		crq_buf_printf(report, "push refused (%s); again\n",
			ps.msg[0] ? ps.msg : git_error_last() ?
			git_error_last()->message : "?");
		err = CRQ_ECONFLICT;
	}
	if (err == CRQ_ECONFLICT)
		err = crq_error__set(CRQ_ECONFLICT,
			"the remote kept moving; run crq sync again");
done:
	free(steps);
	git_revwalk_free(walk);
	git_status_list_free(st);
	git_remote_free(remote);
	crq_node_free(idmap);
	crq_buf_dispose(&track);
	crq_buf_dispose(&spec);
	return err;
}
