/*
 * audit.c - crq audit: the evidence pack (every step with its signer
 * and verdicts, each change's controls) and --permissions.
 */
#include <stdio.h>
#include <string.h>
#include "cmd.h"

#define NAMESPACE "crq-audit"

static const char *s_or(const crq_node *o, const char *key, const char *dflt)
{
	const char *s = crq_node_get_str(o, key);

	return s ? s : dflt;
}

static void short_hex(char out[8], const char *hex)
{
	snprintf(out, 8, "%.7s", hex ? hex : "");
}

static void pack_text(crq_buf *out, const crq_node *pack)
{
	const crq_node *v = crq_node_get(pack, "verify");
	const crq_node *viol = crq_node_get(v, "violations");
	const crq_node *steps = crq_node_get(pack, "steps");
	const crq_node *changes = crq_node_get(pack, "changes");
	const crq_node *sum = crq_node_get(pack, "summary");
	const crq_node *cs = crq_node_get(sum, "controls");
	char a[8], b[8];
	size_t i, k;

	short_hex(a, s_or(pack, "tip", ""));
	short_hex(b, s_or(pack, "root", ""));
	crq_buf_printf(out, "crq audit of %s at %s (trusted root %s), %s\n",
		s_or(pack, "branch", "?"), a, b, s_or(pack, "generated", ""));
	crq_buf_printf(out, "crq verify: %s, %lld commits checked\n",
		crq_node_get(v, "clean")->b ? "clean" : "REFUSED",
		crq_node_get(v, "checked")->i);
	for (i = 0; viol && i < viol->count; i++)
		crq_buf_printf(out, "  refused %s %s %s: %s\n",
			s_or(viol->items[i], "commit", ""),
			s_or(viol->items[i], "change", "-"),
			s_or(viol->items[i], "rule", ""),
			s_or(viol->items[i], "message", ""));
	for (i = 0; i < changes->count; i++) {
		const crq_node *c = changes->items[i];
		const char *id = s_or(c, "id", "");
		const crq_node *ctl = crq_node_get(c, "controls");

		crq_buf_printf(out, "\n%s  %s  [%s, %s]%s\n", id,
			s_or(c, "title", ""), s_or(c, "type", ""),
			s_or(c, "state", ""),
			!strcmp(s_or(c, "verdict", ""), "refused") ?
			"  REFUSED by crq verify" : "");
		for (k = 0; k < steps->count; k++) {
			const crq_node *s = steps->items[k];
			const crq_node *pv = crq_node_get(s, "policy_version");
			char pvt[24];

			if (strcmp(s_or(s, "change", ""), id))
				continue;
			short_hex(a, s_or(s, "commit", ""));
			if (pv && pv->kind == CRQ_NODE_INT)
				snprintf(pvt, sizeof(pvt), "v%lld", pv->i);
			else
				snprintf(pvt, sizeof(pvt), "-");
			crq_buf_printf(out, "  %s %s  %s (%s)  %s %s -> %s  policy %s  %s  signature %s  %s%s%s\n",
				s_or(s, "time", ""), a, s_or(s, "by", "?"),
				s_or(s, "role", "-"), s_or(s, "action", "?"),
				s_or(s, "from", "(new)"), s_or(s, "to", "?"),
				pvt, s_or(s, "key", "-"),
				s_or(s, "signature", ""),
				s_or(s, "verdict", ""),
				crq_node_get_str(s, "rule") ? ": " : "",
				crq_node_get_str(s, "rule") ?
				crq_node_get_str(s, "rule") : "");
		}
		for (k = 0; ctl && k < ctl->count; k++) {
			const crq_node *x = ctl->items[k];

			short_hex(a, s_or(x, "commit", ""));
			crq_buf_printf(out, "  %-12s %-33s %-7s %s\n",
				s_or(x, "status", ""), s_or(x, "control", ""),
				*a ? a : "-", s_or(x, "detail", ""));
		}
	}
	/* steps that belong to no change at the tip: policy steps and any
	 * refused leftovers */
	for (k = 0, i = 0; k < steps->count; k++) {
		const crq_node *s = steps->items[k];
		const char *id = crq_node_get_str(s, "change");
		size_t m;
		int known = 0;

		for (m = 0; id && m < changes->count; m++)
			known |= !strcmp(s_or(changes->items[m], "id", ""),
				id);
		if (known)
			continue;
		if (!i++)
			crq_buf_puts(out, "\npolicy and other steps\n");
		short_hex(a, s_or(s, "commit", ""));
		crq_buf_printf(out, "  %s %s  %s (%s)  %s%s%s  %s  signature %s  %s%s%s\n",
			s_or(s, "time", ""), a, s_or(s, "by", "?"),
			s_or(s, "role", "-"), s_or(s, "action", "?"),
			id ? " " : "", id ? id : "", s_or(s, "key", "-"),
			s_or(s, "signature", ""), s_or(s, "verdict", ""),
			crq_node_get_str(s, "rule") ? ": " : "",
			crq_node_get_str(s, "rule") ?
			crq_node_get_str(s, "rule") : "");
	}
	crq_buf_printf(out, "\n%lld change%s, %lld step%s (%lld refused); controls: %lld pass, %lld fail, %lld pending, %lld not recorded, %lld n/a\n",
		crq_node_get(sum, "changes")->i,
		crq_node_get(sum, "changes")->i == 1 ? "" : "s",
		crq_node_get(sum, "steps")->i,
		crq_node_get(sum, "steps")->i == 1 ? "" : "s",
		crq_node_get(sum, "refused")->i,
		crq_node_get(cs, "pass")->i, crq_node_get(cs, "fail")->i,
		crq_node_get(cs, "pending")->i,
		crq_node_get(cs, "not-recorded")->i,
		crq_node_get(cs, "n/a")->i);
}

/* The text's verdicts in colour, after text_safe(): words crq wrote at
 * their places (a control's status opening its line, verify's verdict
 * in the lines crq heads with "crq "), never what the history holds. */
static void color_text(crq_buf *text)
{
	static const struct { const char *word, *sgr; } marks[] = {
		{ "pass", SGR_GREEN }, { "fail", SGR_BOLD_RED },
		{ "pending", SGR_YELLOW }, { "not-recorded", SGR_YELLOW },
		{ "n/a", SGR_DIM }, { "refused", SGR_BOLD_RED },
		{ "clean", SGR_GREEN }, { "REFUSED", SGR_BOLD_RED },
	};
	const size_t nmarks = sizeof(marks) / sizeof(marks[0]);
	crq_buf out = CRQ_BUF_INIT;
	const char *p = crq_buf_cstr(text), *end = p + text->size, *v;
	size_t i;

	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = nl ? (size_t)(nl - p) + 1 : (size_t)(end - p);
		const char *at = NULL, *sgr = NULL;
		size_t w = 0;

		if (n > 2 && !memcmp(p, "  ", 2))
			at = p + 2;
		else if (n > 4 && !memcmp(p, "crq ", 4) &&
			 (v = strstr(p, "crq verify: ")) && v < p + n)
			at = v + 12;
		for (i = 0; at && !sgr && i < nmarks; i++) {
			w = strlen(marks[i].word);
			if ((size_t)(p + n - at) > w &&
			    !memcmp(at, marks[i].word, w) &&
			    strchr(" ,\n", at[w]))
				sgr = marks[i].sgr;
		}
		if (sgr) {
			crq_buf_put(&out, p, (size_t)(at - p));
			crq_buf_printf(&out, "\033[%sm%.*s\033[m", sgr, (int)w,
				at);
			crq_buf_put(&out, at + w, n - (size_t)(at - p) - w);
		} else {
			crq_buf_put(&out, p, n);
		}
		p += n;
	}
	crq_buf_dispose(text);
	*text = out;
}

static const char *const step_cols[] = { "commit", "time", "change",
	"title", "by", "role", "action", "from", "to", "policy_version", "key",
	"signature", "verdict", "rule", "message" };

static void pack_csv(crq_buf *out, const crq_node *pack)
{
	const crq_node *steps = crq_node_get(pack, "steps");
	size_t i, k, n = sizeof(step_cols) / sizeof(step_cols[0]);

	for (k = 0; k < n; k++)
		csv_field(out, step_cols[k], k + 1 == n);
	for (i = 0; i < steps->count; i++) {
		for (k = 0; k < n; k++) {
			const crq_node *v = crq_node_get(steps->items[i],
				step_cols[k]);
			char num[24];

			if (v && v->kind == CRQ_NODE_INT) {
				snprintf(num, sizeof(num), "%lld", v->i);
				csv_field(out, num, k + 1 == n);
			} else {
				csv_field(out, v && v->kind == CRQ_NODE_STRING ?
					v->str : "", k + 1 == n);
			}
		}
	}
}

static void perm_text(crq_buf *out, const crq_node *p)
{
	const crq_node *members = crq_node_get(p, "members");
	const crq_node *events = crq_node_get(p, "events");
	const crq_node *exp = crq_node_get(p, "expiring");
	const crq_node *admins = crq_node_get(p, "admins");
	const crq_node *v = crq_node_get(p, "verify");
	char a[8];
	size_t i, k;

	crq_buf_printf(out, "crq audit --permissions, %s; crq verify: %s\n",
		s_or(p, "generated", ""),
		crq_node_get(v, "clean")->b ? "clean" : "REFUSED");
	crq_buf_puts(out, "\nmembers\n");
	for (i = 0; i < members->count; i++) {
		const crq_node *m = members->items[i];
		const crq_node *roles = crq_node_get(m, "roles");
		const crq_node *keys = crq_node_get(m, "keys");

		crq_buf_printf(out, "  %s%s%s%s\n", s_or(m, "email", ""),
			crq_node_get_str(m, "name") ? " (" : "",
			crq_node_get_str(m, "name") ? crq_node_get_str(m,
				"name") : "",
			crq_node_get_str(m, "name") ? ")" : "");
		for (k = 0; k < roles->count; k++) {
			const crq_node *r = roles->items[k];

			short_hex(a, s_or(r, "commit", ""));
			if (!crq_node_get(r, "proven")->b) {
				crq_buf_printf(out, "    role %-16s NOT PROVEN: no step crq verify accepts granted it\n",
					s_or(r, "role", ""));
				continue;
			}
			crq_buf_printf(out, "    role %-16s since %s by %s in %s%s%s%s\n",
				s_or(r, "role", ""), s_or(r, "since", "?"),
				s_or(r, "granted_by", "the trusted root"),
				*a ? a : "-",
				crq_node_get_str(r, "until") ? ", until " : "",
				crq_node_get_str(r, "until") ?
				crq_node_get_str(r, "until") : "",
				crq_node_get(r, "active")->b ? "" :
				" (expired)");
		}
		for (k = 0; k < keys->count; k++)
			crq_buf_printf(out, "    key  %s\n",
				s_or(keys->items[k], "fingerprint", "?"));
	}
	crq_buf_puts(out, "\nadmins:");
	for (i = 0; i < admins->count; i++)
		crq_buf_printf(out, " %s", admins->items[i]->str);
	crq_buf_printf(out, "%s\n\ngrants expiring within 30 days:%s\n",
		admins->count ? "" : " none", exp->count ? "" : " none");
	for (i = 0; i < exp->count; i++)
		crq_buf_printf(out, "  %s %s until %s\n",
			s_or(exp->items[i], "email", ""),
			s_or(exp->items[i], "role", ""),
			s_or(exp->items[i], "until", ""));
	crq_buf_puts(out, "\nhistory\n");
	for (i = 0; i < events->count; i++) {
		const crq_node *e = events->items[i];

		short_hex(a, s_or(e, "commit", ""));
		crq_buf_printf(out, "  %s %s  %s  %-13s %s%s%s%s%s%s%s%s\n",
			s_or(e, "time", ""), a,
			s_or(e, "by", "(trusted root)"),
			s_or(e, "kind", ""), s_or(e, "member", ""),
			crq_node_get_str(e, "role") ? " " : "",
			crq_node_get_str(e, "role") ? crq_node_get_str(e,
				"role") : "",
			crq_node_get_str(e, "until") ? " until " : "",
			crq_node_get_str(e, "until") ? crq_node_get_str(e,
				"until") : "",
			crq_node_get_str(e, "key") ? " " : "",
			crq_node_get_str(e, "key") ? crq_node_get_str(e,
				"key") : "",
			strcmp(s_or(e, "verdict", ""), "refused") ? "" :
			"  REFUSED by crq verify");
	}
}

static const char *const perm_cols[] = { "time", "commit", "by", "kind",
	"member", "role", "until", "key", "verdict" };

static void perm_csv(crq_buf *out, const crq_node *p)
{
	const crq_node *events = crq_node_get(p, "events");
	size_t i, k, n = sizeof(perm_cols) / sizeof(perm_cols[0]);

	for (k = 0; k < n; k++)
		csv_field(out, perm_cols[k], k + 1 == n);
	for (i = 0; i < events->count; i++)
		for (k = 0; k < n; k++)
			csv_field(out, crq_node_get_str(events->items[i],
				perm_cols[k]), k + 1 == n);
}

static const char *const formats[] = { "text", "json", "csv", "html", NULL };

int cmd_audit(int argc, char **argv, struct cmd_ctx *ctx)
{
	const struct cmd *self = cmd_find("audit");
	crq_audit_options o = CRQ_AUDIT_OPTIONS_INIT;
	const char *format = NULL, *json = NULL, *output = NULL, *sign = NULL,
		*perms = NULL, *since = NULL, *until = NULL;
	crq_repo *repo = NULL;
	crq_node *pack = NULL;
	crq_buf text = CRQ_BUF_INIT;
	int a, m, rc, err, failed;

	for (a = 1; a < argc; a++) {
		if ((m = opt_once(self, argc, argv, &a, "--change", &o.change)) ||
		    (m = opt_once(self, argc, argv, &a, "--member", &o.member)) ||
		    (m = opt_once(self, argc, argv, &a, "--role", &o.role)) ||
		    (m = opt_once(self, argc, argv, &a, "--since", &since)) ||
		    (m = opt_once(self, argc, argv, &a, "--until", &until)) ||
		    (m = opt_once(self, argc, argv, &a, "--grep", &o.grep)) ||
		    (m = opt_once(self, argc, argv, &a, "--format", &format)) ||
		    (m = flag_once(self, argv[a], "--json", &json)) ||
		    (m = opt_once(self, argc, argv, &a, "-o", &output)) ||
		    (m = opt_once(self, argc, argv, &a, "--trust", &o.trust)) ||
		    (m = flag_once(self, argv[a], "--sign", &sign)) ||
		    (m = flag_once(self, argv[a], "--permissions", &perms))) {
			if (m < 0)
				return EXIT_USAGE;
			continue;
		}
		return usage_error(self, argv[a][0] == '-' ?
			"unknown option '%s'" : "unexpected argument '%s'",
			argv[a]);
	}
	if ((rc = pick_json_format(self, json, &format, formats)))
		return rc;
	if (perms && !strcmp(format, "html"))
		return usage_error(self,
			"--permissions comes as text, json or csv");
	if (perms && (o.change || o.member || o.role || since || until ||
	    o.grep))
		return usage_error(self,
			"--permissions takes no filters (it covers every member)");
	if (sign && !output)
		return usage_error(self,
			"--sign needs -o FILE (the signature goes to FILE.sig)");
	if (output && !*output)
		return usage_error(self, "-o needs a file name");
	if (since && parse_when(since, &o.since, 0) < 0)
		return usage_error(self,
			"--since '%s' is not a time (RFC 3339) or a date (YYYY-MM-DD)",
			since);
	if (until && parse_when(until, &o.until, 1) < 0)
		return usage_error(self,
			"--until '%s' is not a time (RFC 3339) or a date (YYYY-MM-DD)",
			until);
	if (since && until && o.until < o.since)
		return usage_error(self, "--until '%s' is before --since '%s'",
			until, since);
	/* on a terminal the text goes through a pager (the others when
	 * pager.audit says so) */
	if (!output)
		pager_maybe(ctx, "audit", !strcmp(format, "text"));
	crq_error_clear();
	if ((rc = open_repo(&repo, ctx)))
		return rc;
	/* in CI the root must come from outside the history */
	o.require_trust = ci_mode();
	if (perms) {
		err = crq_audit_permissions(&pack, repo, &o, crq_time_now());
	} else if (!strcmp(format, "html")) {
		crq_report_options ro = CRQ_REPORT_OPTIONS_INIT;
		crq_dashboard_options dop = CRQ_DASHBOARD_OPTIONS_INIT;

		dop.title = "crq audit";
		dop.audit_first = 1;
		err = crq_dashboard_write(&text, &pack, NULL, repo, &o, &ro,
			&dop);
	} else {
		err = crq_audit(&pack, repo, &o);
	}
	if (err < 0) {
		rc = report(err);
		goto done;
	}
	if (o.change && !perms && !crq_node_get(pack, "changes")->count &&
	    !crq_node_get(pack, "steps")->count) {
		fprintf(stderr, "%s no change '%s' in the store\n",
			tag("error"), o.change);
		rc = EXIT_REFUSED;
		goto done;
	}
	if (!strcmp(format, "json")) {
		crq_json_write(&text, pack, 1);
		crq_buf_putc(&text, '\n');
	} else if (!strcmp(format, "csv")) {
		if (perms)
			perm_csv(&text, pack);
		else
			pack_csv(&text, pack);
	} else if (!strcmp(format, "html")) {
		;	/* written with the pack */
	} else if (perms) {
		perm_text(&text, pack);
	} else {
		pack_text(&text, pack);
	}
	/* what a hostile commit wrote (an action, a title) reaches the
	 * terminal as text, never as control sequences */
	if (!strcmp(format, "text") || !strcmp(format, "csv"))
		text_safe(&text);
	if (!strcmp(format, "text") && !output && use_color(1, repo))
		color_text(&text);
	if ((rc = write_output(repo, output, &text, sign != NULL, NAMESPACE)))
		goto done;
	failed = perms ? !crq_node_get(crq_node_get(pack, "verify"),
		"clean")->b : crq_audit_failed(pack);
	fflush(stdout);
	if (failed)
		fprintf(stderr, "%s\n", perms ?
			"crq verify refuses commits of this history" :
			"the audit found refused commits or failing controls");
	rc = finish(failed ? EXIT_REFUSED : 0);
done:
	crq_node_free(pack);
	crq_buf_dispose(&text);
	close_repo(repo, ctx);
	return rc;
}
