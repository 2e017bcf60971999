/*
 * init.c - crq init [DIR]
 */
#include <stdio.h>
#include <string.h>
#include "cmd.h"

int cmd_init(int argc, char **argv, struct cmd_ctx *ctx)
{
	const struct cmd *self = cmd_find("init");
	const char *dir = ".";
	crq_repo *repo = NULL;
	int err, i, ndir = 0;

	for (i = 1; i < argc; i++) {
		if (argv[i][0] == '-' && argv[i][1])
			return usage_error(self, "unknown option '%s'", argv[i]);
		dir = argv[i];
		ndir++;
	}
	if (ndir > 1)
		return usage_error(self, "too many arguments");
	if ((err = crq_repo_init(&repo, dir, &ctx->opts)) < 0)
		return report(err);
	printf("initialised crq store in %s (branch %s)\n",
		crq_repo_workdir(repo) ? crq_repo_workdir(repo) :
		crq_repo_gitdir(repo), crq_repo_branch(repo) + 11);
	crq_repo_free(repo);
	return finish(0);
}
