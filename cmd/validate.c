/*
 * validate.c - crq validate [--kind change|policy] [FILE...]
 */
#include <stdio.h>
#include <string.h>
#include "cmd.h"

static int print_issues(const char *name, const crq_issues *issues, int err)
{
	size_t i;

	if (!err)
		return 0;
	if (!issues->count) {
		fprintf(stderr, "%s\n", crq_error_last());
		return 1;
	}
	for (i = 0; i < issues->count; i++) {
		const crq_issue *is = &issues->items[i];

		if (is->line)
			fprintf(stderr, "%s:%u:%u: %s\n", name, is->line,
				is->col, is->message);
		else
			fprintf(stderr, "%s: %s\n", name, is->message);
	}
	return 1;
}

static int validate_one(crq_repo *repo, struct cmd_ctx *ctx,
	const char *path, const char *text, size_t len, const char *kind,
	int *bad)
{
	crq_issues issues;
	int err;

	crq_issues_init(&issues);
	err = crq_validate_file(repo, ctx->datadir, path, text, len, kind,
		&issues);
	if (err < 0 && err != CRQ_EINVALID) {
		crq_issues_dispose(&issues);
		return err;
	}
	*bad += print_issues(path, &issues, err);
	crq_issues_dispose(&issues);
	return 0;
}

int cmd_validate(int argc, char **argv, struct cmd_ctx *ctx)
{
	const struct cmd *self = cmd_find("validate");
	const char *kind = NULL;
	crq_repo *repo = NULL;
	crq_buf text = CRQ_BUF_INIT;
	crq_node *list = NULL;
	int a, m, bad = 0, nfiles = 0, err = 0, rc;
	crq_issues problems;
	size_t i;

	crq_issues_init(&problems);
	for (a = 1; a < argc; a++) {
		const char *prev = kind;

		if ((m = opt_value(argc, argv, &a, "--kind", &kind)) < 0)
			return usage_error(self, "option '--kind' needs a value");
		if (m && prev)
			return usage_error(self, "option '--kind' given twice");
		if (m) {
			if (strcmp(kind, "change") && strcmp(kind, "policy"))
				return usage_error(self, "unknown kind '%s'", kind);
			continue;
		}
		if (argv[a][0] == '-' && argv[a][1])
			return usage_error(self, "unknown option '%s'", argv[a]);
		nfiles++;
	}
	if (!nfiles) {
		/* everything on the branch: the policy loads or says why */
		if ((rc = open_repo(&repo, ctx)))
			return rc;
		err = crq_change_list(&list, repo, NULL, &problems);
		if (err < 0) {
			rc = report(err);
			goto done;
		}
		for (i = 0; i < problems.count; i++)
			fprintf(stderr, "%s\n", problems.items[i].message);
		if (problems.count)
			fprintf(stderr, "error: %zu invalid change file%s\n",
				problems.count, problems.count == 1 ? "" : "s");
		rc = finish(problems.count ? EXIT_REFUSED : 0);
		goto done;
	}
	/* inside a store, validate with the store's schema when we can */
	crq_repo_open(&repo, ".", &ctx->opts);
	for (a = 1; a < argc; a++) {
		if (!strcmp(argv[a], "--kind")) {
			a++;
			continue;
		}
		if (!strncmp(argv[a], "--kind=", 7))
			continue;
		crq_buf_clear(&text);
		err = crq_buf_read_file(&text, argv[a], CRQ_YAML_MAX_SIZE);
		if (err == CRQ_ENOTFOUND || err == CRQ_EINVALID) {
			fprintf(stderr, "%s\n", crq_error_last());
			bad++;
			continue;
		} else if (err < 0) {
			rc = report(err);
			goto done;
		}
		if ((err = validate_one(repo, ctx, strcmp(argv[a], "-") ?
				argv[a] : "<stdin>", crq_buf_cstr(&text),
				text.size, kind, &bad)) < 0) {
			rc = report(err);
			goto done;
		}
	}
	rc = finish(bad ? EXIT_REFUSED : 0);
done:
	crq_issues_dispose(&problems);
	crq_node_free(list);
	crq_buf_dispose(&text);
	close_repo(repo, ctx);
	return rc;
}
