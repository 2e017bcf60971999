/*
 * act.c - the workflow actions: crq submit|assess|approve|reject|
 * schedule|start|complete|fail|review|close|cancel|comment ID, and
 * crq do ID ACTION for actions a policy adds.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cmd.h"

/* Options that set a field: --risk R becomes "risk=R". */
struct field_opt {
	const char *action;	/* NULL: every action */
	const char *opt;
	const char *field;
};

static const struct field_opt field_opts[] = {
	{ "assess", "--risk", "risk" },
	{ "assess", "--impact", "impact" },
	{ "assess", "--urgency", "urgency" },
	{ "schedule", "--start", "window.start" },
	{ "schedule", "--end", "window.end" },
	{ "complete", "--close-code", "close_code" },
	{ "fail", "--close-code", "close_code" },
	{ NULL, NULL, NULL }
};

static int act(const struct cmd *self, const char *id, const char *action,
	int argc, char **argv, int first, struct cmd_ctx *ctx)
{
	const char **sets = calloc((size_t)argc + 2, sizeof(char *));
	char **owned = calloc((size_t)argc + 2, sizeof(char *));
	crq_act_opts opts;
	crq_repo *repo = NULL;
	crq_buf to = CRQ_BUF_INIT, from = CRQ_BUF_INIT;
	crq_node *doc = NULL;
	const char *v, *message = NULL;
	size_t nsets = 0, i;
	int a, m, rc = 0, err, have_close = 0;

	memset(&opts, 0, sizeof(opts));
	for (a = first; a < argc; a++) {
		const struct field_opt *f;
		int hit = 0;

		if ((m = opt_value(argc, argv, &a, "-m", &message)) ||
		    (m = opt_value(argc, argv, &a, "--message", &message))) {
			if (m < 0)
				goto missing;
			continue;
		}
		if ((m = opt_value(argc, argv, &a, "--role", &opts.role))) {
			if (m < 0)
				goto missing;
			continue;
		}
		for (f = field_opts; f->opt && !hit; f++) {
			if (f->action && strcmp(f->action, action))
				continue;
			if ((m = opt_value(argc, argv, &a, f->opt, &v)) < 0)
				goto missing;
			if (m) {
				size_t n = strlen(f->field) + strlen(v) + 2;

				owned[nsets] = malloc(n);
				if (!owned[nsets])
					abort();
				snprintf(owned[nsets], n, "%s=%s", f->field, v);
				sets[nsets] = owned[nsets];
				nsets++;
				hit = 1;
				if (!strcmp(f->field, "close_code"))
					have_close = 1;
			}
		}
		if (hit)
			continue;
		rc = usage_error(self, argv[a][0] == '-' ? "unknown option '%s'" :
			"unexpected argument '%s'", argv[a]);
		goto done;
	}
	/* a failed change records its backout unless told otherwise */
	if (!strcmp(action, "fail") && !have_close)
		sets[nsets++] = "close_code=backed_out";
	if (!strcmp(action, "comment") && !message) {
		rc = usage_error(self, "a comment needs its text (-m)");
		goto done;
	}
	if (!strcmp(action, "review")) {
		size_t n;

		if (!message) {
			rc = usage_error(self, "a review needs its summary (-m)");
			goto done;
		}
		n = strlen(message) + 16;
		owned[nsets] = malloc(n);
		if (!owned[nsets])
			abort();
		snprintf(owned[nsets], n, "review.summary=%s", message);
		sets[nsets] = owned[nsets];
		nsets++;
	}
	opts.message = message;
	opts.assignments = sets;
	opts.count = nsets;
	if ((rc = open_repo(&repo, ctx)))
		goto done;
	if ((err = crq_change_load(&doc, repo, id)) < 0) {
		rc = report(err);
		goto done;
	}
	crq_buf_puts(&from, crq_node_get_str(doc, "state"));
	if ((err = crq_change_act(&to, repo, id, action, &opts)) < 0) {
		rc = report(err);
		goto done;
	}
	printf("%s: %s -> %s\n", id, from.ptr, to.ptr);
	rc = finish(0);
	goto done;
missing:
	rc = usage_error(self, "option '%s' needs a value", argv[a]);
done:
	for (i = 0; i < (size_t)argc + 2; i++)
		free(owned[i]);
	free(owned);
	free(sets);
	crq_node_free(doc);
	crq_buf_dispose(&to);
	crq_buf_dispose(&from);
	close_repo(repo, ctx);
	return rc;
}

/* crq approve ID --from-review FILE [--forge github|gitlab] [--pr N] */
static int import_reviews(const struct cmd *self, int argc, char **argv,
	struct cmd_ctx *ctx)
{
	const char *file = NULL, *forge = "github", *pr = NULL;
	crq_repo *repo = NULL;
	crq_buf text = CRQ_BUF_INIT;
	crq_node *reviews = NULL;
	crq_issues problems;
	size_t i, imported = 0;
	int a, m, rc, err;

	crq_issues_init(&problems);
	for (a = 2; a < argc; a++) {
		if ((m = opt_value(argc, argv, &a, "--from-review", &file)) ||
		    (m = opt_value(argc, argv, &a, "--forge", &forge)) ||
		    (m = opt_value(argc, argv, &a, "--pr", &pr))) {
			if (m < 0)
				return usage_error(self,
					"option '%s' needs a value", argv[a]);
			continue;
		}
		return usage_error(self, "'%s' does not go with --from-review",
			argv[a]);
	}
	if ((err = crq_buf_read_file(&text, file, 16 * 1024 * 1024)) < 0 ||
	    (err = crq_json_parse(&reviews, crq_buf_cstr(&text), text.size,
			file)) < 0) {
		rc = report(err == CRQ_ENOTFOUND ? CRQ_EINVALID : err);
		goto done;
	}
	if ((rc = open_repo(&repo, ctx)))
		goto done;
	err = crq_change_import_reviews(repo, argv[1], forge, pr, reviews,
		&problems, &imported);
	for (i = 0; i < problems.count; i++)
		fprintf(stderr, "error: %s\n", problems.items[i].message);
	if (err < 0) {
		rc = report(err);
		goto done;
	}
	printf("%s: imported %zu %s approval%s\n", argv[1], imported, forge,
		imported == 1 ? "" : "s");
	rc = finish(problems.count ? EXIT_REFUSED : 0);
done:
	crq_issues_dispose(&problems);
	crq_node_free(reviews);
	crq_buf_dispose(&text);
	close_repo(repo, ctx);
	return rc;
}

int cmd_act(int argc, char **argv, struct cmd_ctx *ctx)
{
	const struct cmd *self = cmd_find(argv[0]);
	int a;

	if (argc < 2 || argv[1][0] == '-')
		return usage_error(self, "which change?");
	for (a = 2; a < argc; a++)
		if (!strcmp(argv[0], "approve") &&
		    !strncmp(argv[a], "--from-review", 13))
			return import_reviews(self, argc, argv, ctx);
	return act(self, argv[1], argv[0], argc, argv, 2, ctx);
}

int cmd_do(int argc, char **argv, struct cmd_ctx *ctx)
{
	const struct cmd *self = cmd_find("do");

	if (argc < 3 || argv[1][0] == '-' || argv[2][0] == '-')
		return usage_error(self, argc < 2 ? "which change?" :
			"which action?");
	return act(self, argv[1], argv[2], argc, argv, 3, ctx);
}
