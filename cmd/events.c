/*
 * events.c - crq events, crq escalate, crq gate, crq deploy; and the
 * notifications sent after a local step.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cmd.h"

/* Send the events of commit hex to the channels of this machine; a
 * notification never fails the step: failures are warnings, and the
 * journal keeps them for crq notify retry. */
static void notify_commit(crq_repo *repo, const char *hex)
{
	crq_node *events = NULL, *channels = NULL;
	crq_notify_report *r = NULL;
	size_t n = 0, i;

	if (crq_notify_channels(&channels, repo) < 0) {
		fprintf(stderr, "warning: no notification sent: %s\n",
			crq_error_last());
		goto done;
	}
	if (!channels->count)
		goto done;	/* spare the walk */
	if (crq_events_of_commit(&events, repo, hex) < 0 ||
	    crq_notify_send(&r, &n, repo, events) < 0) {
		fprintf(stderr, "warning: no notification sent: %s\n",
			crq_error_last());
		goto done;
	}
	for (i = 0; i < n; i++)
		if (!r[i].ok)
			fprintf(stderr, "warning: notifying %s failed: %s\n"
				"hint: crq notify retry sends it again\n",
				r[i].channel, r[i].error ? r[i].error : "?");
done:
	crq_notify_reports_free(r, n);
	crq_node_free(events);
	crq_node_free(channels);
}

void notify_step(crq_repo *repo)
{
	crq_buf hex = CRQ_BUF_INIT;

	if (crq_repo_last_step(&hex, repo) == 0)
		notify_commit(repo, hex.ptr);
	crq_buf_dispose(&hex);
}

static void event_line(crq_buf *out, const crq_node *e)
{
	crq_buf_printf(out, "%s  %-19s %s  %s\n", crq_node_get_str(e, "time"),
		crq_node_get_str(e, "type"), crq_node_get_str(e, "id"),
		crq_node_get_str(e, "summary"));
}

int cmd_events(int argc, char **argv, struct cmd_ctx *ctx)
{
	const struct cmd *self = cmd_find("events");
	crq_events_options opts = CRQ_EVENTS_OPTIONS_INIT;
	const char *json = NULL, *since = NULL, *until = NULL;
	crq_repo *repo = NULL;
	crq_node *out = NULL;
	crq_buf text = CRQ_BUF_INIT;
	size_t i;
	int a, m, rc, err;

	for (a = 1; a < argc; a++) {
		if ((m = opt_once(self, argc, argv, &a, "--since", &since)) ||
		    (m = opt_once(self, argc, argv, &a, "--until", &until)) ||
		    (m = flag_once(self, argv[a], "--json", &json))) {
			if (m < 0)
				return EXIT_USAGE;
			continue;
		}
		return usage_error(self, argv[a][0] == '-' ?
			"unknown option '%s'" : "unexpected argument '%s'",
			argv[a]);
	}
	opts.since = since;
	opts.until = until;
	if ((rc = open_repo(&repo, ctx)))
		return rc;
	if ((err = crq_events(&out, repo, &opts)) < 0) {
		rc = report(err);
		goto done;
	}
	if (json) {
		crq_json_write(&text, out, 1);
		crq_buf_putc(&text, '\n');
	} else {
		for (i = 0; i < out->count; i++)
			event_line(&text, out->items[i]);
	}
	fputs(crq_buf_cstr(&text), stdout);
	rc = finish(0);
done:
	crq_node_free(out);
	crq_buf_dispose(&text);
	close_repo(repo, ctx);
	return rc;
}

int cmd_escalate(int argc, char **argv, struct cmd_ctx *ctx)
{
	const struct cmd *self = cmd_find("escalate");
	const char *json = NULL, *at = NULL, *dry = NULL;
	crq_repo *repo = NULL;
	crq_node *out = NULL;
	crq_buf text = CRQ_BUF_INIT;
	long long t = 0;
	size_t i, j;
	int a, m, rc, err;

	for (a = 1; a < argc; a++) {
		if ((m = opt_once(self, argc, argv, &a, "--at", &at)) ||
		    (m = flag_once(self, argv[a], "--dry-run", &dry)) ||
		    (m = flag_once(self, argv[a], "--json", &json))) {
			if (m < 0)
				return EXIT_USAGE;
			continue;
		}
		return usage_error(self, argv[a][0] == '-' ?
			"unknown option '%s'" : "unexpected argument '%s'",
			argv[a]);
	}
	if (at && crq_time_parse(at, &t) < 0)
		return usage_error(self, "--at '%s' is not a time (RFC 3339)", at);
	if ((rc = open_repo(&repo, ctx)))
		return rc;
	err = crq_escalate(&out, repo, t, dry != NULL);
	if (err < 0) {
		rc = report(err);
		goto done;
	}
	if (json) {
		crq_json_write(&text, out, 1);
		crq_buf_putc(&text, '\n');
	} else if (!out->count) {
		crq_buf_puts(&text, "nothing to escalate\n");
	}
	for (i = 0; i < out->count; i++) {
		const crq_node *o = out->items[i];
		const crq_node *s = crq_node_get(o, "subjects");

		if (!json) {
			crq_buf_printf(&text, "%s %s: rule %s (%s) to %s:",
				dry ? "would escalate" : "escalated",
				crq_node_get_str(o, "change"),
				crq_node_get_str(o, "rule"),
				crq_node_get_str(o, "on"),
				crq_node_get_str(o, "to") ?
				crq_node_get_str(o, "to") : "nobody");
			for (j = 0; s && j < s->count; j++)
				crq_buf_printf(&text, " %s", s->items[j]->str);
			crq_buf_putc(&text, '\n');
		}
	}
	fputs(crq_buf_cstr(&text), stdout);
	fflush(stdout);
	/* tell each escalation's channels */
	for (i = 0; !dry && i < out->count; i++)
		if (crq_node_get_str(out->items[i], "commit"))
			notify_commit(repo, crq_node_get_str(out->items[i],
				"commit"));
	rc = finish(0);
done:
	crq_node_free(out);
	crq_buf_dispose(&text);
	close_repo(repo, ctx);
	return rc;
}

int cmd_gate(int argc, char **argv, struct cmd_ctx *ctx)
{
	const struct cmd *self = cmd_find("gate");
	crq_verify_options vo = CRQ_VERIFY_OPTIONS_INIT;
	crq_verify_result vr;
	const char *json = NULL, *at = NULL, *service = NULL, *trust = NULL;
	crq_repo *repo = NULL;
	crq_node *out = NULL;
	crq_buf text = CRQ_BUF_INIT;
	long long t = 0;
	int a, m, rc, err, allowed;

	crq_verify_result_init(&vr);
	for (a = 1; a < argc; a++) {
		if ((m = opt_once(self, argc, argv, &a, "--service",
				&service)) ||
		    (m = opt_once(self, argc, argv, &a, "--at", &at)) ||
		    (m = opt_once(self, argc, argv, &a, "--trust", &trust)) ||
		    (m = flag_once(self, argv[a], "--json", &json))) {
			if (m < 0)
				return EXIT_USAGE;
			continue;
		}
		return usage_error(self, argv[a][0] == '-' ?
			"unknown option '%s'" : "unexpected argument '%s'",
			argv[a]);
	}
	if (!service)
		return usage_error(self, "--service is required");
	if (at && crq_time_parse(at, &t) < 0)
		return usage_error(self, "--at '%s' is not a time (RFC 3339)", at);
	if ((rc = open_repo(&repo, ctx)))
		return rc;
	/* the answer is only as good as the history it reads */
	vo.trust = trust;
	vo.require_trust = ci_mode();
	if ((err = crq_verify_run(&vr, repo, &vo)) < 0) {
		rc = report(err);
		goto done;
	}
	say_pinned(&vr);
	if (vr.count) {
		fprintf(stderr, "error: the history does not verify (%zu violation%s): no deploy may rely on it\n"
			"hint: crq verify lists them\n", vr.count,
			vr.count == 1 ? "" : "s");
		rc = EXIT_REFUSED;
		goto done;
	}
	if ((err = crq_gate(&out, repo, service, t)) < 0) {
		rc = report(err);
		goto done;
	}
	allowed = crq_node_get(out, "allowed")->b;
	if (json) {
		crq_json_write(&text, out, 1);
		crq_buf_putc(&text, '\n');
		fputs(crq_buf_cstr(&text), stdout);
	} else if (allowed) {
		printf("go: %s (%s), implementing %s to %s\n",
			crq_node_get_str(out, "change"),
			crq_node_get_str(out, "title"),
			crq_node_get_str(crq_node_get(out, "window"), "start"),
			crq_node_get_str(crq_node_get(out, "window"), "end"));
	} else {
		fprintf(stderr, "no deploy of %s now: %s\nhint: %s\n", service,
			crq_node_get_str(out, "reason"),
			crq_node_get_str(out, "hint"));
	}
	rc = finish(allowed ? 0 : EXIT_REFUSED);
done:
	crq_verify_result_dispose(&vr);
	crq_node_free(out);
	crq_buf_dispose(&text);
	close_repo(repo, ctx);
	return rc;
}

/* "sha256:HEX" and friends: an algorithm and at least 32 hex digits. */
static int digest_like(const char *s)
{
	const char *c = strchr(s, ':');
	size_t n;

	if (!c || c == s)
		return 0;
	n = strspn(c + 1, "0123456789abcdef");
	return n >= 32 && n <= 128 && !c[1 + n];
}

int cmd_deploy(int argc, char **argv, struct cmd_ctx *ctx)
{
	const struct cmd *self = cmd_find("deploy");
	const char *ref = NULL, *artifact = NULL, *env = NULL, *msg = NULL,
		*id = NULL;
	crq_repo *repo = NULL;
	size_t n;
	int a, m, rc, err;

	for (a = 1; a < argc; a++) {
		if ((m = opt_once(self, argc, argv, &a, "--ref", &ref)) ||
		    (m = opt_once(self, argc, argv, &a, "--artifact",
				&artifact)) ||
		    (m = opt_once(self, argc, argv, &a, "--environment",
				&env)) ||
		    (m = opt_once(self, argc, argv, &a, "-m", &msg)) ||
		    (m = opt_once(self, argc, argv, &a, "--message", &msg))) {
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
	if (!id)
		return usage_error(self, "which change? crq deploy ID --ref COMMIT");
	if (!ref)
		return usage_error(self, "--ref COMMIT is required: the commit that went out");
	n = strspn(ref, "0123456789abcdef");
	if ((n != 40 && n != 64) || ref[n])
		return usage_error(self,
			"--ref '%s' is not a full commit id (40 or 64 lowercase hex digits)",
			ref);
	if (artifact && !digest_like(artifact))
		return usage_error(self,
			"--artifact '%s' is not a digest (e.g. sha256:HEX)",
			artifact);
	if ((rc = open_repo(&repo, ctx)))
		return rc;
	if ((err = crq_change_deploy(repo, id, ref, artifact, env, msg)) < 0) {
		rc = report(err);
		goto done;
	}
	printf("%s: deployed %.12s%s%s\n", id, ref, env ? " to " : "",
		env ? env : "");
	fflush(stdout);
	notify_step(repo);
	rc = finish(0);
done:
	close_repo(repo, ctx);
	return rc;
}
