/*
 * sync.c - crq sync [REMOTE]
 */
#include <stdio.h>
#include "cmd.h"

int cmd_sync(int argc, char **argv, struct cmd_ctx *ctx)
{
	const struct cmd *self = cmd_find("sync");
	crq_repo *repo = NULL;
	crq_buf out = CRQ_BUF_INIT;
	int rc, err;

	if (argc > 2)
		return usage_error(self, "too many arguments");
	if (argc == 2 && argv[1][0] == '-')
		return usage_error(self, "unknown option '%s'", argv[1]);
	if ((rc = open_repo(&repo, ctx)))
		return rc;
	err = crq_sync(&out, repo, argc == 2 ? argv[1] : "origin");
	fputs(crq_buf_cstr(&out), stdout);
	rc = err < 0 ? report(err) : finish(0);
	crq_buf_dispose(&out);
	close_repo(repo, ctx);
	return rc;
}
