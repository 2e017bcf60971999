/*
 * template.c - the templates of standard changes a store offers
 * (.crq/templates/NAME.yaml on the branch tip): listing and reading.
 */
#include <ctype.h>
#include <string.h>
#include "change.h"

#define TEMPLATE_DIR ".crq/templates"

static int valid_name(const char *name)
{
	size_t i;

	for (i = 0; name[i]; i++)
		if (!isalnum((unsigned char)name[i]) && !strchr("._-", name[i]))
			return 0;
	return i > 0 && name[0] != '.';
}

int crq_template_read(crq_buf *out, crq_repo *repo, const char *name)
{
	crq_buf path = CRQ_BUF_INIT;
	int err;

	if (!valid_name(name))
		return crq_error__set(CRQ_EINVALID, "bad template name '%s'",
			name);
	crq_buf_printf(&path, "%s/%s.yaml", TEMPLATE_DIR, name);
	if ((err = crq_store__read(repo, NULL, path.ptr, out, NULL)) < 0 &&
	    err == CRQ_ENOTFOUND)
		err = crq_error__set(CRQ_ENOTFOUND,
			"no such template '%s' (%s)", name, path.ptr);
	crq_buf_dispose(&path);
	return err;
}

int crq_template_list(crq_node **out, crq_repo *repo)
{
	git_oid tip;
	git_commit *c = NULL;
	git_tree *root = NULL, *dir = NULL;
	git_tree_entry *entry = NULL;
	crq_node *arr = NULL, *tmpl;
	size_t i, n;
	int unborn, err;

	*out = NULL;
	if ((err = crq_store__tip(repo, &tip, &unborn)) < 0)
		return err;
	arr = crq_node_new(CRQ_NODE_ARRAY);
	if (unborn)
		goto found;
	if ((err = git_commit_lookup(&c, repo->git, &tip)) < 0 ||
	    (err = git_commit_tree(&root, c)) < 0) {
		err = crq_store__git_error(err, "cannot read commit");
		goto done;
	}
	if ((err = git_tree_entry_bypath(&entry, root, TEMPLATE_DIR)) < 0) {
		if (err != GIT_ENOTFOUND) {
			err = crq_store__git_error(err, "cannot read tree");
			goto done;
		}
		goto found;	/* no templates */
	}
	if (git_tree_entry_type(entry) != GIT_OBJECT_TREE)
		goto found;
	if ((err = git_tree_lookup(&dir, repo->git,
			git_tree_entry_id(entry))) < 0) {
		err = crq_store__git_error(err, "cannot read tree");
		goto done;
	}
	/* tree entries come sorted by name */
	for (i = 0; i < git_tree_entrycount(dir); i++) {
		const git_tree_entry *e = git_tree_entry_byindex(dir, i);
		const char *fn = git_tree_entry_name(e);
		crq_buf name = CRQ_BUF_INIT, path = CRQ_BUF_INIT;
		crq_node *o;

		n = strlen(fn);
		if (git_tree_entry_type(e) != GIT_OBJECT_BLOB || n <= 5 ||
		    strcmp(fn + n - 5, ".yaml"))
			continue;
		crq_buf_put(&name, fn, n - 5);
		if (!valid_name(name.ptr)) {
			crq_buf_dispose(&name);
			continue;
		}
		crq_buf_printf(&path, "%s/%s", TEMPLATE_DIR, fn);
		o = crq_node_new(CRQ_NODE_OBJECT);
		crq_node_set(o, "name", crq_node_new_cstr(name.ptr));
		crq_node_set(o, "path", crq_node_new_cstr(path.ptr));
		if (crq_change__template(&tmpl, repo, &tip, name.ptr) == 0) {
			const char *title = crq_node_get_str(tmpl, "title");

			if (title)
				crq_node_set(o, "title",
					crq_node_new_cstr(title));
			crq_node_free(tmpl);
		}
		crq_error_clear();
		crq_node_push(arr, o);
		crq_buf_dispose(&name);
		crq_buf_dispose(&path);
	}
found:
	*out = arr;
	arr = NULL;
	err = 0;
done:
	crq_node_free(arr);
	git_tree_free(dir);
	git_tree_entry_free(entry);
	git_tree_free(root);
	git_commit_free(c);
	return err;
}
