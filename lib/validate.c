/*
 * validate.c - what a commit would record, validated for the
 * pre-commit hook: the change files and the policy in an index.
 */
#include <string.h>
#include "store.h"

#define POLICY_PATH ".crq/policy.yaml"

/* One staged file; each problem an issue "path:line:col: problem". */
static void validate_blob(crq_repo *repo, const char *datadir,
	const char *path, const git_oid *id, crq_issues *issues)
{
	git_blob *b = NULL;
	crq_issues one;
	size_t k;
	int e;

	if (git_blob_lookup(&b, repo->git, id) < 0) {
		crq_issues_add(issues, NULL, path, "%s: cannot read the staged file",
			path);
		return;
	}
	crq_issues_init(&one);
	e = crq_validate_file(repo, datadir, path, git_blob_rawcontent(b),
		(size_t)git_blob_rawsize(b), NULL, &one);
	for (k = 0; k < one.count; k++)
		crq_issues_add(issues, NULL, path, "%s:%u:%u: %s", path,
			one.items[k].line, one.items[k].col,
			one.items[k].message);
	if (e < 0 && !one.count)
		crq_issues_add(issues, NULL, path, "%s", crq_error_last());
	crq_issues_dispose(&one);
	git_blob_free(b);
}

/* A change file lives where the store's layout puts its id: anywhere
 * else crq neither finds it nor sees its id taken. */
static void misplaced(crq_repo *repo, const char *path, crq_issues *issues)
{
	const char *name = strrchr(path, '/') + 1;
	const char *dot = strrchr(name, '.');
	crq_buf id = CRQ_BUF_INIT, want = CRQ_BUF_INIT;

	if (dot && !strcmp(dot, ".yaml")) {
		crq_buf_put(&id, name, (size_t)(dot - name));
		if (crq_change_path(&want, repo, id.ptr) == 0 &&
		    strcmp(want.ptr, path))
			crq_issues_add(issues, NULL, path,
				"%s: %s lives at '%s', not here", path, id.ptr,
				want.ptr);
		crq_error_clear();
	}
	crq_buf_dispose(&id);
	crq_buf_dispose(&want);
}

int crq_validate_index(crq_repo *repo, const char *datadir,
	const char *index_path, crq_issues *issues, size_t *files)
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
	/* git commit -a and git commit PATH record a temporary index,
	 * not the repository's */
	err = index_path ? git_index_open(&idx, index_path) :
		git_repository_index(&idx, repo->git);
	if (err < 0) {
		crq_buf what = CRQ_BUF_INIT;

		crq_buf_printf(&what, "cannot read the index '%s'",
			index_path ? index_path : "index");
		err = crq_store__git_error(err, what.ptr);
		crq_buf_dispose(&what);
		return err;
	}
	if ((!unborn && ((err = git_commit_lookup(&c, repo->git, &tip)) < 0 ||
			 (err = git_commit_tree(&t, c)) < 0)) ||
	    (err = git_diff_tree_to_index(&diff, repo->git, t, idx,
			NULL)) < 0) {
		err = crq_store__git_error(err, "cannot read the index");
		goto done;
	}
	for (i = 0; i < git_diff_num_deltas(diff); i++) {
		const git_diff_delta *d = git_diff_get_delta(diff, i);
		const char *path = d->new_file.path;

		if (d->status == GIT_DELTA_DELETED &&
		    !strcmp(d->old_file.path, POLICY_PATH)) {
			(*files)++;
			crq_issues_add(issues, NULL, POLICY_PATH,
				"%s: the policy cannot be deleted: without it this is no change store",
				POLICY_PATH);
			continue;
		}
		if (d->status == GIT_DELTA_DELETED ||
		    (strncmp(path, "changes/", 8) && strcmp(path, POLICY_PATH)))
			continue;
		(*files)++;
		if (!strncmp(path, "changes/", 8))
			misplaced(repo, path, issues);
		validate_blob(repo, datadir, path, &d->new_file.id, issues);
	}
	err = 0;
done:
	git_diff_free(diff);
	git_tree_free(t);
	git_commit_free(c);
	git_index_free(idx);
	return err;
}
