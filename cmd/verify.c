/*
 * verify.c - crq verify [--json | --format text|json] [--trust COMMIT] [REV]
 */
#include <stdio.h>
#include <string.h>
#include "cmd.h"

int cmd_verify(int argc, char **argv, struct cmd_ctx *ctx)
{
	const struct cmd *self = cmd_find("verify");
	crq_verify_options opts = CRQ_VERIFY_OPTIONS_INIT;
	crq_verify_result res;
	crq_repo *repo = NULL;
	crq_buf out = CRQ_BUF_INIT, line = CRQ_BUF_INIT;
	static const char *const formats[] = { "text", "json", NULL };
	const char *format = NULL;
	size_t i;
	int json = 0, a, rc, err;

	for (a = 1; a < argc; a++) {
		const char *prev = opts.trust;
		int m;

		if ((m = opt_value(argc, argv, &a, "--trust", &opts.trust)) < 0)
			return usage_error(self, "option '--trust' needs a value");
		if (m && prev)
			return usage_error(self, "option '--trust' given twice");
		if (m)
			continue;
		if ((m = opt_once(self, argc, argv, &a, "--format", &format))) {
			if (m < 0)
				return EXIT_USAGE;
			continue;
		}
		if (!strcmp(argv[a], "--json")) {
			if (json++)
				return usage_error(self,
					"option '--json' given twice");
		} else if (argv[a][0] == '-') {
			return usage_error(self, "unknown option '%s'", argv[a]);
		} else if (opts.rev) {
			return usage_error(self, "too many arguments");
		} else {
			opts.rev = argv[a];
		}
	}
	if ((rc = pick_json_format(self, json ? "--json" : NULL, &format, formats)))
		return rc;
	json = !strcmp(format, "json");
	if ((rc = open_repo(&repo, ctx)))
		return rc;
	crq_verify_result_init(&res);
	/* in CI the root must come from outside the history */
	opts.require_trust = ci_mode();
	if ((err = crq_verify_run(&res, repo, &opts)) < 0) {
		rc = report(err);
		goto done;
	}
	say_pinned(&res);
	if (json) {
		crq_node *arr = violations_json(&res);

		crq_json_write(&out, arr, 1);
		crq_buf_putc(&out, '\n');
		crq_node_free(arr);
	} else {
		int color = use_color(1, repo);

		for (i = 0; i < res.count; i++)
			violation_color(&out, &res.items[i], "", color);
	}
	fwrite(crq_buf_cstr(&out), 1, out.size, stdout);
	if (!json) {
		/* the verdict: ok in green, refused in red */
		crq_buf_printf(&line, "%zu commit%s checked, %zu violation%s",
			res.checked, res.checked == 1 ? "" : "s", res.count,
			res.count == 1 ? "" : "s");
		fflush(stdout);	/* after the lines, also in a pager */
		crq_buf_clear(&out);
		color_put(&out, use_color(2, repo), res.count ?
			SGR_BOLD_RED : SGR_GREEN, line.ptr);
		fprintf(stderr, "%s\n", out.ptr);
	}
	rc = finish(res.count ? EXIT_REFUSED : 0);
done:
	crq_verify_result_dispose(&res);
	crq_buf_dispose(&out);
	crq_buf_dispose(&line);
	close_repo(repo, ctx);
	return rc;
}
