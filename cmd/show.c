/*
 * show.c - crq show [--json] ID
 */
#include <stdio.h>
#include <string.h>
#include "cmd.h"

int cmd_show(int argc, char **argv, struct cmd_ctx *ctx)
{
	const struct cmd *self = cmd_find("show");
	const char *id = NULL;
	const crq_schema *schema;
	crq_repo *repo = NULL;
	crq_node *doc = NULL;
	crq_buf out = CRQ_BUF_INIT;
	int json = 0, i, err, rc;

	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--json")) {
			if (json++)
				return usage_error(self,
					"option '--json' given twice");
		} else if (argv[i][0] == '-') {
			return usage_error(self, "unknown option '%s'", argv[i]);
		} else if (id) {
			return usage_error(self, "too many arguments");
		} else {
			id = argv[i];
		}
	}
	if (!id)
		return usage_error(self, "which change?");
	if ((rc = open_repo(&repo, ctx)))
		return rc;
	if ((err = crq_change_load(&doc, repo, id)) < 0 ||
	    (err = crq_repo_change_schema(&schema, repo)) < 0) {
		rc = report(err);
		goto done;
	}
	if (json) {
		crq_json_write(&out, doc, 1);
		crq_buf_putc(&out, '\n');
	} else {
		crq_change_format(&out, schema, doc);
	}
	fwrite(out.ptr, 1, out.size, stdout);
	rc = finish(0);
done:
	crq_buf_dispose(&out);
	crq_node_free(doc);
	close_repo(repo, ctx);
	return rc;
}
