/*
 * todo.c - crq todo [--member EMAIL] [--at TIME] [--json]
 */
#include <stdio.h>
#include <string.h>
#include "cmd.h"

int cmd_todo(int argc, char **argv, struct cmd_ctx *ctx)
{
	const struct cmd *self = cmd_find("todo");
	const char *who = NULL, *at = NULL, *json = NULL;
	crq_repo *repo = NULL;
	crq_node *out = NULL;
	crq_buf me = CRQ_BUF_INIT, text = CRQ_BUF_INIT;
	const crq_node *list, *waits;
	long long now;
	size_t i;
	int a, m, rc, err;

	for (a = 1; a < argc; a++) {
		if ((m = opt_once(self, argc, argv, &a, "--member", &who)) ||
		    (m = opt_once(self, argc, argv, &a, "--at", &at))) {
			if (m < 0)
				return EXIT_USAGE;
			continue;
		}
		if (!strcmp(argv[a], "--json")) {
			if (json)
				return usage_error(self, "option '--json' given twice");
			json = argv[a];
			continue;
		}
		return usage_error(self, argv[a][0] == '-' ? "unknown option '%s'" :
			"unexpected argument '%s'", argv[a]);
	}
	now = crq_time_now();
	if (at && crq_time_parse(at, &now) < 0)
		return usage_error(self, "--at '%s' is not a time (RFC 3339)", at);
	if ((rc = open_repo(&repo, ctx)))
		return rc;
	if (!who) {
		if ((err = crq_repo_user_email(&me, repo)) < 0) {
			rc = report(err);
			goto done;
		}
		who = me.ptr;
	}
	if ((err = crq_todo(&out, repo, who, now)) < 0) {
		rc = report(err);
		goto done;
	}
	if (json) {
		crq_json_write(&text, out, 1);
		crq_buf_putc(&text, '\n');
	} else {
		list = crq_node_get(out, "todo");
		waits = crq_node_get(out, "waiting");
		if (!list->count && !waits->count)
			crq_buf_printf(&text, "nothing waits for %s\n", who);
		for (i = 0; i < list->count; i++) {
			const crq_node *o = list->items[i];
			const crq_node *late = crq_node_get(o, "overdue");

			crq_buf_printf(&text, "%-8s %s  %s: %s",
				crq_node_get_str(o, "kind"),
				crq_node_get_str(o, "change"),
				crq_node_get_str(o, "title"),
				crq_node_get_str(o, "what"));
			if (crq_node_get_str(o, "due"))
				crq_buf_printf(&text, "  (due %s%s)",
					crq_node_get_str(o, "due"),
					late && late->b ? ", overdue" : "");
			crq_buf_putc(&text, '\n');
		}
		for (i = 0; i < waits->count; i++) {
			const crq_node *w = crq_node_get(waits->items[i], "who");
			size_t k;

			crq_buf_printf(&text, "yours    %s  %s, waits for %s",
				crq_node_get_str(waits->items[i], "change"),
				crq_node_get_str(waits->items[i], "state"),
				crq_node_get_str(waits->items[i], "waits_for"));
			for (k = 0; w && k < w->count; k++)
				crq_buf_printf(&text, "%s%s", k ? ", " : " from ",
					w->items[k]->str);
			if (w && !w->count)
				crq_buf_puts(&text, ": no member can give it now");
			crq_buf_putc(&text, '\n');
		}
	}
	fputs(crq_buf_cstr(&text), stdout);
	rc = finish(0);
done:
	crq_node_free(out);
	crq_buf_dispose(&me);
	crq_buf_dispose(&text);
	close_repo(repo, ctx);
	return rc;
}
