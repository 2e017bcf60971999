/*
 * sla.c - crq sla [ID] [--at TIME] [--at-risk] [--breached] [--all] [--json]
 */
#include <stdio.h>
#include <string.h>
#include "cmd.h"

int cmd_sla(int argc, char **argv, struct cmd_ctx *ctx)
{
	const struct cmd *self = cmd_find("sla");
	const char *at = NULL, *json = NULL, *risk = NULL, *late = NULL,
		*all = NULL, *id = NULL;
	crq_repo *repo = NULL;
	crq_node *out = NULL;
	crq_buf text = CRQ_BUF_INIT;
	unsigned flags = CRQ_SLA_COMMITS;
	long long now;
	size_t i;
	int a, m, rc, err;

	for (a = 1; a < argc; a++) {
		if ((m = opt_once(self, argc, argv, &a, "--at", &at)) ||
		    (m = flag_once(self, argv[a], "--json", &json)) ||
		    (m = flag_once(self, argv[a], "--at-risk", &risk)) ||
		    (m = flag_once(self, argv[a], "--breached", &late)) ||
		    (m = flag_once(self, argv[a], "--all", &all))) {
			if (m < 0)
				return EXIT_USAGE;
			continue;
		}
		if (argv[a][0] == '-' || id)
			return usage_error(self, argv[a][0] == '-' ?
				"unknown option '%s'" : "unexpected argument '%s'",
				argv[a]);
		id = argv[a];
	}
	now = crq_time_now();
	if (at && crq_time_parse(at, &now) < 0)
		return usage_error(self, "--at '%s' is not a time (RFC 3339)", at);
	if (risk)
		flags |= CRQ_SLA_AT_RISK;
	if (late)
		flags |= CRQ_SLA_BREACHED;
	if (all)
		flags |= CRQ_SLA_ALL;
	if ((rc = open_repo(&repo, ctx)))
		return rc;
	if ((err = crq_sla(&out, repo, id, now, flags)) < 0) {
		rc = report(err);
		goto done;
	}
	if (json) {
		crq_json_write(&text, out, 1);
		crq_buf_putc(&text, '\n');
	} else {
		if (!out->count)
			crq_buf_printf(&text, "no SLA clock%s%s\n",
				id ? " on " : risk || late ? " at risk or breached" :
				" runs on an open change", id ? id : "");
		for (i = 0; i < out->count; i++) {
			const crq_node *o = out->items[i];
			const char *c = crq_node_get_str(o, "started_commit");
			const crq_node *p = crq_node_get(o, "paused");

			crq_buf_printf(&text,
				"%s  %-22s %-9s %3lld%%  %s of %s (%s)  started %s%s%.10s  due %s",
				crq_node_get_str(o, "change"),
				crq_node_get_str(o, "target"),
				crq_node_get_str(o, "state"),
				crq_node_get(o, "percent")->i,
				crq_node_get_str(o, "elapsed_text"),
				crq_node_get_str(o, "within"),
				crq_node_get_str(o, "hours"),
				crq_node_get_str(o, "started"),
				c ? " in " : "", c ? c : "",
				crq_node_get_str(o, "due") ?
				crq_node_get_str(o, "due") : "never");
			if (crq_node_get_str(o, "stopped"))
				crq_buf_printf(&text, "  stopped %s (%s)",
					crq_node_get_str(o, "stopped"),
					crq_node_get_str(o, "stopped_in"));
			else if (p && p->b)
				crq_buf_puts(&text, "  paused: outside its hours");
			crq_buf_putc(&text, '\n');
		}
	}
	fputs(crq_buf_cstr(&text), stdout);
	rc = finish(0);
done:
	crq_node_free(out);
	crq_buf_dispose(&text);
	close_repo(repo, ctx);
	return rc;
}
