/*
 * validate.c - crq validate [--kind change|policy] [--json] [FILE...]
 */
#include <stdio.h>
#include <string.h>
#include "cmd.h"

/* With --json, one {path, ok, errors: [{where, pointer, message}]}. */
static crq_node *file_json(const char *path, int ok)
{
	crq_node *f = crq_node_new(CRQ_NODE_OBJECT);

	crq_node_set(f, "path", crq_node_new_cstr(path));
	crq_node_set(f, "ok", crq_node_new_bool(ok));
	crq_node_set(f, "errors", crq_node_new(CRQ_NODE_ARRAY));
	return f;
}

/* where: "LINE:COL" when known, else NULL (null) */
static void error_json(crq_node *f, unsigned line, unsigned col,
	const char *pointer, const char *message)
{
	crq_node *e = crq_node_new(CRQ_NODE_OBJECT);
	char where[32];

	snprintf(where, sizeof(where), "%u:%u", line, col);
	crq_node_set(e, "where", line ? crq_node_new_cstr(where) :
		crq_node_new(CRQ_NODE_NULL));
	crq_node_set(e, "pointer", pointer ? crq_node_new_cstr(pointer) :
		crq_node_new(CRQ_NODE_NULL));
	crq_node_set(e, "message", crq_node_new_cstr(message));
	crq_node_push((crq_node *)crq_node_get(f, "errors"), e);
}

/* files NULL: text on stderr; else an entry appended to files */
static int print_issues(crq_node *files, const char *name,
	const crq_issues *issues, int err)
{
	crq_node *f = files ? file_json(name, !err) : NULL;
	size_t i;

	if (f)
		crq_node_push(files, f);
	if (!err)
		return 0;
	if (!issues->count) {
		if (f)
			error_json(f, 0, 0, NULL, crq_error_last());
		else
			fprintf(stderr, "%s\n", crq_error_last());
		return 1;
	}
	for (i = 0; i < issues->count; i++) {
		const crq_issue *is = &issues->items[i];

		if (f)
			error_json(f, is->line, is->col, is->pointer,
				is->message);
		else if (is->line)
			fprintf(stderr, "%s:%u:%u: %s\n", name, is->line,
				is->col, is->message);
		else
			fprintf(stderr, "%s: %s\n", name, is->message);
	}
	return 1;
}

static int validate_one(crq_repo *repo, struct cmd_ctx *ctx,
	crq_node *files, const char *path, const char *text, size_t len,
	const char *kind, int *bad)
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
	*bad += print_issues(files, path, &issues, err);
	crq_issues_dispose(&issues);
	return 0;
}

/* --json: {ok, files: [...]} on stdout */
static void print_json(crq_node *files, int bad)
{
	crq_node *o = crq_node_new(CRQ_NODE_OBJECT);
	crq_buf out = CRQ_BUF_INIT;

	crq_node_set(o, "ok", crq_node_new_bool(!bad));
	crq_node_set(o, "files", files);
	crq_json_write(&out, o, 1);
	crq_buf_putc(&out, '\n');
	fwrite(crq_buf_cstr(&out), 1, out.size, stdout);
	crq_buf_dispose(&out);
	crq_node_free(o);
}

int cmd_validate(int argc, char **argv, struct cmd_ctx *ctx)
{
	const struct cmd *self = cmd_find("validate");
	const char *kind = NULL, *json = NULL;
	crq_node *files = NULL;
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
		if ((m = flag_once(self, argv[a], "--json", &json))) {
			if (m < 0)
				return EXIT_USAGE;
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
		if (json) {
			/* the files that did not load: path and message */
			files = crq_node_new(CRQ_NODE_ARRAY);
			for (i = 0; i < problems.count; i++) {
				const crq_issue *is = &problems.items[i];
				crq_node *f = file_json(is->pointer ?
					is->pointer : "", 0);

				crq_node_push(files, f);
				error_json(f, is->line, is->col, NULL,
					is->message);
			}
			print_json(files, (int)problems.count);
			files = NULL;
		}
		for (i = 0; i < problems.count && !json; i++)
			fprintf(stderr, "%s\n", problems.items[i].message);
		if (problems.count && !json)
			fprintf(stderr, "error: %zu invalid change file%s\n",
				problems.count, problems.count == 1 ? "" : "s");
		rc = finish(problems.count ? EXIT_REFUSED : 0);
		goto done;
	}
	/* inside a store, validate with the store's schema when we can */
	crq_repo_open(&repo, ".", &ctx->opts);
	if (json)
		files = crq_node_new(CRQ_NODE_ARRAY);
	for (a = 1; a < argc; a++) {
		if (!strcmp(argv[a], "--json"))
			continue;
		if (!strcmp(argv[a], "--kind")) {
			a++;
			continue;
		}
		if (!strncmp(argv[a], "--kind=", 7))
			continue;
		crq_buf_clear(&text);
		err = crq_buf_read_file(&text, argv[a], CRQ_YAML_MAX_SIZE);
		if (err == CRQ_ENOTFOUND || err == CRQ_EINVALID) {
			if (files) {
				crq_node *f = file_json(argv[a], 0);

				crq_node_push(files, f);
				error_json(f, 0, 0, NULL, crq_error_last());
			} else {
				fprintf(stderr, "%s\n", crq_error_last());
			}
			bad++;
			continue;
		} else if (err < 0) {
			rc = report(err);
			goto done;
		}
		if ((err = validate_one(repo, ctx, files, strcmp(argv[a], "-") ?
				argv[a] : "<stdin>", crq_buf_cstr(&text),
				text.size, kind, &bad)) < 0) {
			rc = report(err);
			goto done;
		}
	}
	if (files) {
		print_json(files, bad);
		files = NULL;
	}
	rc = finish(bad ? EXIT_REFUSED : 0);
done:
	crq_node_free(files);
	crq_issues_dispose(&problems);
	crq_node_free(list);
	crq_buf_dispose(&text);
	close_repo(repo, ctx);
	return rc;
}
