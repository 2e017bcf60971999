/*
 * notify.c - crq notify [--since REV|TIME|ID] [--until REV|TIME] [--json]
 *            crq notify retry [--json] | test CHANNEL [--json] |
 *            list [--json]
 */
#include <stdio.h>
#include <string.h>
#include "cmd.h"

#define NO_CHANNEL "no notify channel is configured\n" \
	"hint: git config crq.notify.NAME.type slack; git config " \
	"crq.notify.NAME.url URL (see 'crq help notify')"

/* One line per delivery: "sent ID to CHANNEL" on stdout, the failures
 * on stderr; --json: the reports as an array on stdout (the failures
 * still on stderr, for the people watching).  Exit 1 when one failed. */
static int print_reports(const crq_notify_report *r, size_t count,
	const char *json, const char *none, int journaled)
{
	crq_node *arr = crq_node_new(CRQ_NODE_ARRAY);
	crq_buf text = CRQ_BUF_INIT;
	size_t i, failed = 0;

	for (i = 0; i < count; i++) {
		crq_node *o = crq_node_new(CRQ_NODE_OBJECT);

		crq_node_set(o, "channel", crq_node_new_cstr(r[i].channel));
		crq_node_set(o, "event", crq_node_new_cstr(r[i].event));
		crq_node_set(o, "ok", crq_node_new_bool(r[i].ok));
		crq_node_set(o, "attempts", crq_node_new_int(r[i].attempts));
		crq_node_set(o, "error", r[i].error ?
			crq_node_new_cstr(r[i].error) :
			crq_node_new(CRQ_NODE_NULL));
		crq_node_push(arr, o);
		if (r[i].ok) {
			if (!json)
				crq_buf_printf(&text, "sent %s to %s\n",
					r[i].event, r[i].channel);
			continue;
		}
		failed++;
		fprintf(stderr, "error: cannot send %s to '%s' (%d attempt%s): "
			"%s\n", r[i].event, r[i].channel, r[i].attempts,
			r[i].attempts == 1 ? "" : "s", r[i].error);
	}
	if (json) {
		crq_json_write(&text, arr, 1);
		crq_buf_putc(&text, '\n');
	} else if (!count && none) {
		fprintf(stderr, "%s\n", none);
	}
	if (failed && journaled)
		fprintf(stderr, "hint: kept for 'crq notify retry'\n");
	fputs(crq_buf_cstr(&text), stdout);
	crq_node_free(arr);
	crq_buf_dispose(&text);
	return finish(failed ? EXIT_REFUSED : 0);
}

static int notify_events(const struct cmd *self, int argc, char **argv,
	struct cmd_ctx *ctx)
{
	crq_events_options opts = CRQ_EVENTS_OPTIONS_INIT;
	const char *json = NULL;
	crq_repo *repo = NULL;
	crq_node *events = NULL, *channels = NULL;
	crq_notify_report *r = NULL;
	size_t count = 0;
	int a, m, rc, err;

	for (a = 1; a < argc; a++) {
		if ((m = opt_once(self, argc, argv, &a, "--since", &opts.since)) ||
		    (m = opt_once(self, argc, argv, &a, "--until", &opts.until)) ||
		    (m = flag_once(self, argv[a], "--json", &json))) {
			if (m < 0)
				return EXIT_USAGE;
			continue;
		}
		return usage_error(self, argv[a][0] == '-' ?
			"unknown option '%s'" : "unexpected argument '%s'",
			argv[a]);
	}
	if ((rc = open_repo(&repo, ctx)))
		return rc;
	/* no channel: say so, and spare the walk of the history */
	if ((err = crq_notify_channels(&channels, repo)) < 0) {
		rc = report(err);
		goto done;
	}
	if (!channels->count) {
		rc = print_reports(NULL, 0, json, NO_CHANNEL, 0);
		goto done;
	}
	if ((err = crq_events(&events, repo, &opts)) < 0 ||
	    (err = crq_notify_send(&r, &count, repo, events)) < 0) {
		rc = report(err);
		goto done;
	}
	rc = print_reports(r, count, json, "nothing to send", 1);
done:
	crq_notify_reports_free(r, count);
	crq_node_free(events);
	crq_node_free(channels);
	close_repo(repo, ctx);
	return rc;
}

/* Only --json after the subcommand (and, for test, one CHANNEL). */
static int sub_args(const struct cmd *self, int argc, char **argv,
	const char **json, const char **name)
{
	int a, m;

	for (a = 2; a < argc; a++) {
		if ((m = flag_once(self, argv[a], "--json", json))) {
			if (m < 0)
				return EXIT_USAGE;
			continue;
		}
		if (argv[a][0] == '-')
			return usage_error(self, "unknown option '%s'", argv[a]);
		if (!name || *name)
			return usage_error(self, "unexpected argument '%s'",
				argv[a]);
		*name = argv[a];
	}
	if (name && !*name)
		return usage_error(self, "notify test: which channel?");
	return 0;
}

static int notify_retry(const struct cmd *self, int argc, char **argv,
	struct cmd_ctx *ctx)
{
	const char *json = NULL;
	crq_repo *repo = NULL;
	crq_notify_report *r = NULL;
	size_t count = 0;
	int rc, err;

	if ((rc = sub_args(self, argc, argv, &json, NULL)) ||
	    (rc = open_repo(&repo, ctx)))
		return rc;
	if ((err = crq_notify_retry(&r, &count, repo)) < 0)
		rc = report(err);
	else
		rc = print_reports(r, count, json, "nothing to retry", 1);
	crq_notify_reports_free(r, count);
	close_repo(repo, ctx);
	return rc;
}

static int notify_test(const struct cmd *self, int argc, char **argv,
	struct cmd_ctx *ctx)
{
	const char *json = NULL, *name = NULL;
	crq_repo *repo = NULL;
	crq_notify_report *r = NULL;
	size_t count = 0;
	int rc, err;

	if ((rc = sub_args(self, argc, argv, &json, &name)) ||
	    (rc = open_repo(&repo, ctx)))
		return rc;
	if ((err = crq_notify_test(&r, &count, repo, name)) < 0)
		rc = report(err);
	else
		rc = print_reports(r, count, json, NULL, 0);
	crq_notify_reports_free(r, count);
	close_repo(repo, ctx);
	return rc;
}

/* A channel as shown: the secret as "(set)", the url without its path
 * and query (where the webhooks keep their tokens). */
static crq_node *channel_shown(const crq_node *ch)
{
	crq_node *o = crq_node_dup(ch);
	const char *url = crq_node_get_str(ch, "url");
	crq_buf b = CRQ_BUF_INIT;

	if (crq_node_get(o, "secret"))
		crq_node_set(o, "secret", crq_node_new_cstr("(set)"));
	if (url) {
		crq_notify_url_shown(&b, url);
		crq_node_set(o, "url", crq_node_new_cstr(crq_buf_cstr(&b)));
	}
	crq_buf_dispose(&b);
	return o;
}

static void channel_line(crq_buf *out, const crq_node *o)
{
	const crq_node *ev = crq_node_get(o, "events");
	const char *cmd = crq_node_get_str(o, "command");
	size_t i;

	crq_buf_printf(out, "%-16s %-9s ", crq_node_get_str(o, "name"),
		crq_node_get_str(o, "type"));
	if (cmd && !strcmp(crq_node_get_str(o, "type"), "command"))
		crq_buf_printf(out, "command: %s", cmd);
	else
		crq_buf_puts(out, crq_node_get_str(o, "url"));
	if (crq_node_get(o, "secret"))
		crq_buf_puts(out, "  secret (set)");
	crq_buf_puts(out, "  events: ");
	for (i = 0; ev && i < ev->count; i++)
		crq_buf_printf(out, "%s%s", i ? "," : "", ev->items[i]->str);
	if (!ev || !ev->count)
		crq_buf_puts(out, "(only those a rule sends it)");
	crq_buf_printf(out, "  timeout %llds  retries %lld\n",
		crq_node_get(o, "timeout")->i, crq_node_get(o, "retries")->i);
}

static int notify_list(const struct cmd *self, int argc, char **argv,
	struct cmd_ctx *ctx)
{
	const char *json = NULL;
	crq_repo *repo = NULL;
	crq_node *channels = NULL, *shown = NULL;
	crq_buf text = CRQ_BUF_INIT;
	size_t i;
	int rc, err;

	if ((rc = sub_args(self, argc, argv, &json, NULL)) ||
	    (rc = open_repo(&repo, ctx)))
		return rc;
	if ((err = crq_notify_channels(&channels, repo)) < 0) {
		rc = report(err);
		goto done;
	}
	shown = crq_node_new(CRQ_NODE_ARRAY);
	for (i = 0; i < channels->count; i++)
		crq_node_push(shown, channel_shown(channels->items[i]));
	if (json) {
		crq_json_write(&text, shown, 1);
		crq_buf_putc(&text, '\n');
	} else if (!shown->count) {
		fprintf(stderr, "%s\n", NO_CHANNEL);
	}
	for (i = 0; !json && i < shown->count; i++)
		channel_line(&text, shown->items[i]);
	fputs(crq_buf_cstr(&text), stdout);
	rc = finish(0);
done:
	crq_node_free(channels);
	crq_node_free(shown);
	crq_buf_dispose(&text);
	close_repo(repo, ctx);
	return rc;
}

int cmd_notify(int argc, char **argv, struct cmd_ctx *ctx)
{
	const struct cmd *self = cmd_find("notify");
	const char *sub = argc > 1 ? argv[1] : "";

	if (!strcmp(sub, "retry"))
		return notify_retry(self, argc, argv, ctx);
	if (!strcmp(sub, "test"))
		return notify_test(self, argc, argv, ctx);
	if (!strcmp(sub, "list"))
		return notify_list(self, argc, argv, ctx);
	return notify_events(self, argc, argv, ctx);
}
