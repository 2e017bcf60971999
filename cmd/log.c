/*
 * log.c - crq log [--json] ID: the steps of a change, from its commits.
 */
#include <stdio.h>
#include <string.h>
#include "cmd.h"

int cmd_log(int argc, char **argv, struct cmd_ctx *ctx)
{
	const struct cmd *self = cmd_find("log");
	const char *id = NULL;
	crq_repo *repo = NULL;
	crq_node *steps = NULL;
	crq_buf out = CRQ_BUF_INIT;
	size_t i;
	int json = 0, a, rc, err;

	for (a = 1; a < argc; a++) {
		if (!strcmp(argv[a], "--json")) {
			if (json++)
				return usage_error(self,
					"option '--json' given twice");
		} else if (argv[a][0] == '-') {
			return usage_error(self, "unknown option '%s'", argv[a]);
		} else if (id) {
			return usage_error(self, "too many arguments");
		} else {
			id = argv[a];
		}
	}
	if (!id)
		return usage_error(self, "which change?");
	if ((rc = open_repo(&repo, ctx)))
		return rc;
	if ((err = crq_change_log(&steps, repo, id)) < 0) {
		rc = report(err);
		goto done;
	}
	if (json) {
		crq_json_write(&out, steps, 1);
		crq_buf_putc(&out, '\n');
	} else {
		int color = use_color(1, repo);
		char commit[11];

		for (i = 0; i < steps->count; i++) {
			const crq_node *s = steps->items[i];
			const char *from = crq_node_get_str(s, "from");
			const char *to = crq_node_get_str(s, "to");
			const char *msg = crq_node_get_str(s, "message");
			const char *sig = crq_node_get_str(s, "signature");

			/* the commit as git log shows it, states in their
			 * colours, a good signature green, any other red */
			snprintf(commit, sizeof(commit), "%s",
				crq_node_get_str(s, "commit"));
			color_put(&out, color, SGR_YELLOW, commit);
			crq_buf_printf(&out, "  %s  %-9s %-28s ",
				crq_node_get_str(s, "at"),
				crq_node_get_str(s, "action"),
				crq_node_get_str(s, "by"));
			color_put(&out, color, state_sgr(from), from);
			crq_buf_puts(&out, from || to ? " -> " : "");
			color_put(&out, color, state_sgr(to), to);
			crq_buf_puts(&out, "  ");
			color_put(&out, color, sig && !strcmp(sig, "good") ?
				SGR_GREEN : SGR_BOLD_RED, sig);
			crq_buf_putc(&out, '\n');
			if (msg && *msg)
				crq_buf_printf(&out, "    %s\n", msg);
		}
	}
	fwrite(crq_buf_cstr(&out), 1, out.size, stdout);
	rc = finish(0);
done:
	crq_buf_dispose(&out);
	crq_node_free(steps);
	close_repo(repo, ctx);
	return rc;
}
