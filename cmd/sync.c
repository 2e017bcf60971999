/*
 * sync.c - crq sync [--continue | --skip | --abort] [REMOTE]
 */
#include <stdio.h>
#include <string.h>
#include "cmd.h"

int cmd_sync(int argc, char **argv, struct cmd_ctx *ctx)
{
	const struct cmd *self = cmd_find("sync");
	crq_sync_mode mode = CRQ_SYNC_RUN;
	const char *remote = NULL, *flag = NULL;
	crq_repo *repo = NULL;
	crq_buf out = CRQ_BUF_INIT;
	int rc, err, i;

	for (i = 1; i < argc; i++) {
		crq_sync_mode m;

		if (!strcmp(argv[i], "--continue"))
			m = CRQ_SYNC_CONTINUE;
		else if (!strcmp(argv[i], "--skip"))
			m = CRQ_SYNC_SKIP;
		else if (!strcmp(argv[i], "--abort"))
			m = CRQ_SYNC_ABORT;
		else if (argv[i][0] == '-')
			return usage_error(self, "unknown option '%s'",
				argv[i]);
		else if (remote)
			return usage_error(self, "too many arguments");
		else {
			remote = argv[i];
			continue;
		}
		if (flag)
			return usage_error(self, "%s and %s together", flag,
				argv[i]);
		flag = argv[i];
		mode = m;
	}
	if (remote && !*remote)
		return usage_error(self, "empty remote name");
	if ((rc = open_repo(&repo, ctx)))
		return rc;
	err = crq_sync_run(&out, repo, remote, mode);
	/* what was done, then why it stopped */
	fputs(crq_buf_cstr(&out), stdout);
	fflush(stdout);
	rc = err < 0 ? report(err) : finish(0);
	crq_buf_dispose(&out);
	close_repo(repo, ctx);
	return rc;
}
