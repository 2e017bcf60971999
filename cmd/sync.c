/*
 * sync.c - crq sync [--continue | --skip | --abort] [--json] [REMOTE]
 */
#include <stdio.h>
#include <string.h>
#include "cmd.h"

/* What stopped a sync, as a word for --json. */
static const char *error_kind(int err)
{
	switch (err) {
	case CRQ_ENOTFOUND: return "not-found";
	case CRQ_EEXISTS: return "exists";
	case CRQ_EINVALID: return "invalid";
	case CRQ_EDENIED: return "denied";
	case CRQ_ECONFLICT: return "conflict";
	case CRQ_ESIGN: return "sign";
	case CRQ_EREPO: return "repo";
	case CRQ_EUSAGE: return "usage";
	default: return "error";
	}
}

/* --json: what the library says the sync did (crq/sync.h:
 * crq_sync_run_ext), with mode, ok, error {kind, message} | null and
 * report (the lines crq sync prints) added. */
static void print_json(crq_node *o, const char *mode, crq_buf *report_,
	int err)
{
	crq_node *lines = crq_node_new(CRQ_NODE_ARRAY);
	crq_buf out = CRQ_BUF_INIT;
	const char *p = crq_buf_cstr(report_), *nl;

	for (; *p; p = nl + 1) {
		if (!(nl = strchr(p, '\n')))
			nl = p + strlen(p) - 1;
		crq_node_push(lines, crq_node_new_string(p,
			(size_t)(nl - p) + (*nl != '\n')));
	}
	crq_node_set(o, "mode", crq_node_new_cstr(mode));
	crq_node_set(o, "ok", crq_node_new_bool(err >= 0));
	if (err < 0) {
		crq_node *e = crq_node_new(CRQ_NODE_OBJECT);

		crq_node_set(e, "kind", crq_node_new_cstr(error_kind(err)));
		crq_node_set(e, "message", crq_node_new_cstr(crq_error_last()));
		crq_node_set(o, "error", e);
	} else {
		crq_node_set(o, "error", crq_node_new(CRQ_NODE_NULL));
	}
	crq_node_set(o, "report", lines);
	crq_json_write(&out, o, 1);
	crq_buf_putc(&out, '\n');
	fwrite(crq_buf_cstr(&out), 1, out.size, stdout);
	fflush(stdout);
	crq_buf_dispose(&out);
}

int cmd_sync(int argc, char **argv, struct cmd_ctx *ctx)
{
	const struct cmd *self = cmd_find("sync");
	crq_sync_mode mode = CRQ_SYNC_RUN;
	const char *remote = NULL, *flag = NULL, *json = NULL;
	crq_repo *repo = NULL;
	crq_buf out = CRQ_BUF_INIT;
	crq_node *res = NULL;
	int rc, err, i;

	for (i = 1; i < argc; i++) {
		crq_sync_mode m;

		if ((rc = flag_once(self, argv[i], "--json", &json))) {
			if (rc < 0)
				return EXIT_USAGE;
			continue;
		}
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
	err = crq_sync_run_ext(&res, &out, repo, remote, mode);
	/* what was done, then why it stopped */
	if (json) {
		print_json(res, flag ? flag + 2 : "run", &out, err);
	} else {
		fputs(crq_buf_cstr(&out), stdout);
		fflush(stdout);
	}
	rc = err < 0 ? report(err) : finish(0);
	crq_node_free(res);
	crq_buf_dispose(&out);
	close_repo(repo, ctx);
	return rc;
}
