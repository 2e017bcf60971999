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
	{ "schedule", "--implementer", "implementer" },
	{ "complete", "--close-code", "close_code" },
	{ "fail", "--close-code", "close_code" },
	{ NULL, NULL, NULL }
};

#define NFIELD_OPTS (sizeof(field_opts) / sizeof(field_opts[0]))

/* The field option argv[*a] of action (NULL: of any, checked later),
 * into got[*ngot].  1 on a match, 0 when it is none, -1 after a usage
 * error. */
static int field_option(const struct cmd *self, int argc, char **argv,
	int *a, const char *action, const struct field_opt **got,
	const char **vals, size_t *ngot)
{
	const struct field_opt *f;
	const char *v = NULL;
	size_t k;
	int m;

	for (f = field_opts; f->opt; f++) {
		if (action && f->action && strcmp(f->action, action))
			continue;
		if (!(m = opt_value(argc, argv, a, f->opt, &v)))
			continue;
		if (m < 0) {
			usage_error(self, "option '%s' needs a value", f->opt);
			return -1;
		}
		for (k = 0; k < *ngot; k++)
			if (!strcmp(got[k]->opt, f->opt)) {
				usage_error(self, "option '%s' given twice",
					f->opt);
				return -1;
			}
		got[*ngot] = f;
		vals[(*ngot)++] = v;
		return 1;
	}
	return 0;
}

/* crq ACTION ID [options], crq do ID ACTION [options]: the options may
 * come before, between or after the positionals. */
static int act(const struct cmd *self, int is_do, int argc, char **argv,
	struct cmd_ctx *ctx)
{
	/* one per field option, + fail's close code or review's summary */
	const char *sets[NFIELD_OPTS + 1];
	char *owned[NFIELD_OPTS + 1] = { NULL };
	const struct field_opt *got[NFIELD_OPTS], *f;
	const char *vals[NFIELD_OPTS], *pos[2] = { NULL, NULL };
	const char *id, *action, *message = NULL, *role = NULL;
	crq_act_opts opts;
	crq_repo *repo = NULL;
	crq_buf to = CRQ_BUF_INIT, from = CRQ_BUF_INIT;
	crq_node *doc = NULL;
	size_t nsets = 0, ngot = 0, i, n;
	int a, m, rc = 0, err, have_close = 0, npos = 0, decides;

	/* --role: the role of a decision (crq do: the policy's own) */
	decides = is_do || !strcmp(argv[0], "approve") ||
		!strcmp(argv[0], "reject");
	for (a = 1; a < argc; a++) {
		if ((m = opt_once(self, argc, argv, &a, "-m", &message)) ||
		    (m = opt_once(self, argc, argv, &a, "--message", &message)) ||
		    (decides &&
		     (m = opt_once(self, argc, argv, &a, "--role", &role))) ||
		    (m = field_option(self, argc, argv, &a,
				is_do ? NULL : argv[0], got, vals, &ngot))) {
			if (m < 0) {
				rc = EXIT_USAGE;
				goto done;
			}
			continue;
		}
		if (argv[a][0] == '-' || npos == 1 + is_do) {
			rc = usage_error(self, argv[a][0] == '-' ?
				"unknown option '%s'" : "unexpected argument '%s'",
				argv[a]);
			goto done;
		}
		pos[npos++] = argv[a];
	}
	if (npos < 1 + is_do) {
		rc = usage_error(self, npos ? "which action?" : "which change?");
		goto done;
	}
	id = pos[0];
	action = is_do ? pos[1] : argv[0];
	for (i = 0; i < ngot; i++) {
		/* crq do: the option must be one of the action's */
		for (f = field_opts; f->opt; f++)
			if (!strcmp(f->opt, got[i]->opt) &&
			    (!f->action || !strcmp(f->action, action)))
				break;
		if (!f->opt) {
			rc = usage_error(self, "option '%s' does not go with '%s'",
				got[i]->opt, action);
			goto done;
		}
		n = strlen(f->field) + strlen(vals[i]) + 2;
		if (!(owned[nsets] = malloc(n)))
			abort();
		snprintf(owned[nsets], n, "%s=%s", f->field, vals[i]);
		sets[nsets] = owned[nsets];
		nsets++;
		if (!strcmp(f->field, "close_code"))
			have_close = 1;
	}
	/* a failed change records its backout unless told otherwise */
	if (!strcmp(action, "fail") && !have_close)
		sets[nsets++] = "close_code=backed_out";
	if (!strcmp(action, "comment") && !message) {
		rc = usage_error(self, "a comment needs its text (-m)");
		goto done;
	}
	if (!strcmp(action, "review")) {
		if (!message) {
			rc = usage_error(self, "a review needs its summary (-m)");
			goto done;
		}
		n = strlen(message) + 16;
		if (!(owned[nsets] = malloc(n)))
			abort();
		snprintf(owned[nsets], n, "review.summary=%s", message);
		sets[nsets] = owned[nsets];
		nsets++;
	}
	memset(&opts, 0, sizeof(opts));
	opts.message = message;
	opts.role = role;
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
	if (!strcmp(action, "approve") || !strcmp(action, "reject"))
		say_decision(repo, id, action, to.ptr);
	/* what the calendar holds against the new window (what the policy
	 * did not refuse: collisions: warn, maintenance windows, ...) */
	if (!strcmp(to.ptr, "scheduled")) {
		crq_node *conf = NULL;

		if (crq_change_conflicts(&conf, repo, id) == 0)
			for (i = 0; i < conf->count; i++)
				fprintf(stderr, "warning: %s\n", crq_node_get_str(
					conf->items[i], "message"));
		crq_error_clear();
		crq_node_free(conf);
	}
	fflush(stdout);
	notify_step(repo);
	rc = finish(0);
done:
	for (i = 0; i < nsets; i++)
		free(owned[i]);
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
	const char *id = NULL, *file = NULL, *forge = NULL, *pr = NULL;
	crq_repo *repo = NULL;
	crq_buf text = CRQ_BUF_INIT;
	crq_node *reviews = NULL;
	crq_issues problems;
	size_t i, imported = 0;
	int a, m, rc, err;

	crq_issues_init(&problems);
	for (a = 1; a < argc; a++) {
		if ((m = opt_once(self, argc, argv, &a, "--from-review", &file)) ||
		    (m = opt_once(self, argc, argv, &a, "--forge", &forge)) ||
		    (m = opt_once(self, argc, argv, &a, "--pr", &pr))) {
			if (m < 0)
				return EXIT_USAGE;
			continue;
		}
		if (argv[a][0] == '-')
			return usage_error(self,
				"'%s' does not go with --from-review", argv[a]);
		if (id)
			return usage_error(self, "unexpected argument '%s'",
				argv[a]);
		id = argv[a];
	}
	if (!id)
		return usage_error(self, "which change?");
	if (!file)
		return usage_error(self, "option '--from-review' needs a value");
	if (!forge)
		forge = "github";
	if ((err = crq_buf_read_file(&text, file, 16 * 1024 * 1024)) < 0 ||
	    (err = crq_json_parse(&reviews, crq_buf_cstr(&text), text.size,
			file)) < 0) {
		rc = report(err == CRQ_ENOTFOUND ? CRQ_EINVALID : err);
		goto done;
	}
	if ((rc = open_repo(&repo, ctx)))
		goto done;
	err = crq_change_import_reviews(repo, id, forge, pr, reviews,
		&problems, &imported);
	for (i = 0; i < problems.count; i++)
		fprintf(stderr, "error: %s\n", problems.items[i].message);
	if (err == CRQ_EUSAGE) {
		/* an unknown --forge */
		rc = usage_error(self, "%s", crq_error_last());
		goto done;
	}
	if (err < 0) {
		rc = report(err);
		goto done;
	}
	printf("%s: imported %zu %s approval%s\n", id, imported, forge,
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

	for (a = 1; a < argc && !strcmp(argv[0], "approve"); a++)
		if (!strcmp(argv[a], "--from-review") ||
		    !strncmp(argv[a], "--from-review=", 14))
			return import_reviews(self, argc, argv, ctx);
	return act(self, 0, argc, argv, ctx);
}

int cmd_do(int argc, char **argv, struct cmd_ctx *ctx)
{
	return act(cmd_find("do"), 1, argc, argv, ctx);
}
