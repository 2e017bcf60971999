/*
 * edit.c - crq edit ID, crq set ID KEY=VALUE...
 */
#include <stdio.h>
#include <string.h>
#include "cmd.h"

struct edit_state {
	crq_repo *repo;
	const char *id;
	const char *name;
	int unchanged;
};

static int accept_edit(const char *text, size_t len, void *payload)
{
	struct edit_state *st = payload;
	crq_node *doc = NULL;
	int err;

	/* protected fields are checked before the schema: a clearer no */
	if ((err = crq_yaml_load(&doc, text, len, st->name)) < 0 ||
	    (err = crq_change_type_fields(st->repo, doc, st->name)) < 0) {
		crq_node_free(doc);
		return err;
	}
	err = crq_change_update(st->repo, st->id, doc, "edit");
	if (err == CRQ_EEXISTS) {
		st->unchanged = 1;
		err = 0;
	}
	crq_node_free(doc);
	return err;
}

int cmd_edit(int argc, char **argv, struct cmd_ctx *ctx)
{
	const struct cmd *self = cmd_find("edit");
	struct edit_state st;
	const crq_schema *schema;
	crq_repo *repo = NULL;
	crq_node *doc = NULL;
	crq_buf text = CRQ_BUF_INIT, file = CRQ_BUF_INIT;
	int rc, err;

	if (argc != 2 || argv[1][0] == '-')
		return usage_error(self, argc < 2 ? "which change?" :
			argv[1][0] == '-' ? "unknown option" : "too many arguments");
	if ((rc = open_repo(&repo, ctx)))
		return rc;
	memset(&st, 0, sizeof(st));
	st.repo = repo;
	st.id = argv[1];
	if ((err = crq_change_load(&doc, repo, st.id)) < 0 ||
	    (err = crq_repo_change_schema(&schema, repo)) < 0) {
		rc = report(err);
		goto done;
	}
	crq_change_format(&text, schema, doc);
	crq_buf_printf(&file, "%s/CRQ_EDIT_%s.yaml", crq_repo_gitdir(repo),
		st.id);
	st.name = file.ptr;
	rc = edit_loop(repo, file.ptr, text.ptr, accept_edit, &st);
	if (!rc && st.unchanged)
		fprintf(stderr, "%s: nothing changed\n", st.id);
	if (!rc)
		rc = finish(0);
done:
	crq_buf_dispose(&text);
	crq_buf_dispose(&file);
	crq_node_free(doc);
	close_repo(repo, ctx);
	return rc;
}

int cmd_set(int argc, char **argv, struct cmd_ctx *ctx)
{
	const struct cmd *self = cmd_find("set");
	crq_repo *repo = NULL;
	int rc, err, i;

	if (argc < 3)
		return usage_error(self, argc < 2 ? "which change?" :
			"nothing to set");
	for (i = 1; i < argc; i++)
		if (argv[i][0] == '-')
			return usage_error(self, "unknown option '%s'", argv[i]);
	for (i = 2; i < argc; i++)
		if (!strchr(argv[i], '=') || argv[i][0] == '=')
			return usage_error(self, "'%s' is not KEY=VALUE", argv[i]);
	if ((rc = open_repo(&repo, ctx)))
		return rc;
	err = crq_change_set(repo, argv[1], (const char *const *)argv + 2,
		(size_t)argc - 2);
	if (err == CRQ_EEXISTS) {
		fprintf(stderr, "%s: nothing changed\n", argv[1]);
		rc = finish(0);
	} else if (err < 0) {
		rc = report(err);
	} else {
		rc = finish(0);
	}
	close_repo(repo, ctx);
	return rc;
}
