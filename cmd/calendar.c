/*
 * calendar.c - crq calendar [--from T] [--to T] [--service S] [--json | --ics]
 */
#include <stdio.h>
#include <string.h>
#include "cmd.h"

static void print_text(crq_buf *text, const crq_node *cal)
{
	const crq_node *w = crq_node_get(cal, "windows");
	const crq_node *f = crq_node_get(cal, "freezes");
	const crq_node *m = crq_node_get(cal, "maintenance");
	const crq_node *c = crq_node_get(cal, "conflicts");
	size_t i, k;

	crq_buf_printf(text, "change calendar from %s%s%s%s%s\n",
		crq_node_get_str(cal, "from"),
		crq_node_get_str(cal, "to") ? " to " : "",
		crq_node_get_str(cal, "to") ? crq_node_get_str(cal, "to") : "",
		crq_node_get_str(cal, "service") ? ", service " : "",
		crq_node_get_str(cal, "service") ?
		crq_node_get_str(cal, "service") : "");
	if (!w->count)
		crq_buf_puts(text, "no change is scheduled or implementing then\n");
	for (i = 0; i < w->count; i++) {
		const crq_node *x = w->items[i];
		const crq_node *svc = crq_node_get(x, "services");

		crq_buf_printf(text, "%s .. %s  %s  %-12s ",
			crq_node_get_str(x, "start"), crq_node_get_str(x, "end"),
			crq_node_get_str(x, "change"), crq_node_get_str(x, "state"));
		for (k = 0; k < svc->count; k++)
			crq_buf_printf(text, "%s%s", k ? "," : "",
				svc->items[k]->str);
		if (!svc->count)
			crq_buf_puts(text, "-");
		crq_buf_printf(text, "  %s%s%s\n", crq_node_get_str(x, "title"),
			crq_node_get_str(x, "implementer") ? "  by " : "",
			crq_node_get_str(x, "implementer") ?
			crq_node_get_str(x, "implementer") : "");
	}
	for (i = 0; i < f->count; i++)
		crq_buf_printf(text, "%s .. %s  freeze '%s'%s%s\n",
			crq_node_get_str(f->items[i], "start"),
			crq_node_get_str(f->items[i], "end"),
			crq_node_get_str(f->items[i], "name"),
			crq_node_get(f->items[i], "services")->count ?
			"" : " (all services)", "");
	for (i = 0; i < m->count; i++)
		crq_buf_printf(text, "%s .. %s  maintenance '%s'\n",
			crq_node_get_str(m->items[i], "start"),
			crq_node_get_str(m->items[i], "end"),
			crq_node_get_str(m->items[i], "name"));
	if (c->count)
		crq_buf_printf(text, "%zu conflict%s:\n", c->count,
			c->count == 1 ? "" : "s");
	for (i = 0; i < c->count; i++)
		crq_buf_printf(text, "  %s: %s\n",
			crq_node_get_str(c->items[i], "kind"),
			crq_node_get_str(c->items[i], "message"));
}

int cmd_calendar(int argc, char **argv, struct cmd_ctx *ctx)
{
	const struct cmd *self = cmd_find("calendar");
	const char *from = NULL, *to = NULL, *service = NULL, *json = NULL,
		*ics = NULL;
	crq_repo *repo = NULL;
	crq_node *cal = NULL;
	crq_buf text = CRQ_BUF_INIT;
	long long tf, tt = 0;
	int a, m, rc, err;

	for (a = 1; a < argc; a++) {
		if ((m = opt_once(self, argc, argv, &a, "--from", &from)) ||
		    (m = opt_once(self, argc, argv, &a, "--to", &to)) ||
		    (m = opt_once(self, argc, argv, &a, "--service", &service)) ||
		    (m = flag_once(self, argv[a], "--json", &json)) ||
		    (m = flag_once(self, argv[a], "--ics", &ics))) {
			if (m < 0)
				return EXIT_USAGE;
			continue;
		}
		return usage_error(self, argv[a][0] == '-' ? "unknown option '%s'" :
			"unexpected argument '%s'", argv[a]);
	}
	if (json && ics)
		return usage_error(self, "--json and --ics do not go together");
	tf = crq_time_now();
	if (from && crq_time_parse(from, &tf) < 0)
		return usage_error(self, "--from '%s' is not a time (RFC 3339)",
			from);
	if (to && crq_time_parse(to, &tt) < 0)
		return usage_error(self, "--to '%s' is not a time (RFC 3339)", to);
	if (to && tt <= tf)
		return usage_error(self, "--to '%s' is not after --from", to);
	if (service && !*service)
		return usage_error(self, "--service needs a service's name");
	if ((rc = open_repo(&repo, ctx)))
		return rc;
	if ((err = crq_calendar(&cal, repo, tf, tt, service)) < 0) {
		rc = report(err);
		goto done;
	}
	if (json) {
		crq_json_write(&text, cal, 1);
		crq_buf_putc(&text, '\n');
	} else if (ics) {
		if ((err = crq_calendar_ics(&text, repo, cal)) < 0) {
			rc = report(err);
			goto done;
		}
	} else {
		print_text(&text, cal);
	}
	fwrite(text.ptr ? text.ptr : "", 1, text.size, stdout);
	rc = finish(0);
done:
	crq_node_free(cal);
	crq_buf_dispose(&text);
	close_repo(repo, ctx);
	return rc;
}
