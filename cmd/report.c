/*
 * report.c - crq report: change metrics from the verified history, as
 * text, JSON (schemas/report.schema.json), CSV (metric,key,value) or
 * one HTML file.
 */
#include <stdio.h>
#include <string.h>
#include "cmd.h"

#define N_OF(a) (sizeof(a) / sizeof((a)[0]))

static const char *s_or(const crq_node *o, const char *key, const char *dflt)
{
	const char *s = crq_node_get_str(o, key);

	return s ? s : dflt;
}

static long long int_of(const crq_node *o, const char *key)
{
	const crq_node *v = crq_node_get(o, key);

	return v && v->kind == CRQ_NODE_INT ? v->i : 0;
}

/* A duration as "1d 2h 5m" (seconds only under a minute); "-" for
 * none. */
static void dur_text(char out[40], const crq_node *v)
{
	long long s, d, h, m;
	size_t n = 0;

	if (!v || v->kind != CRQ_NODE_INT) {
		snprintf(out, 40, "-");
		return;
	}
	s = v->i;
	if (s < 60) {
		snprintf(out, 40, s ? "%llds" : "0m", s);
		return;
	}
	d = s / 86400;
	h = s % 86400 / 3600;
	m = s % 3600 / 60;
	out[0] = '\0';
	if (d)
		n += (size_t)snprintf(out + n, 40 - n, "%lldd", d);
	if (h)
		n += (size_t)snprintf(out + n, 40 - n, "%s%lldh", n ? " " : "",
			h);
	if (m)
		snprintf(out + n, 40 - n, "%s%lldm", n ? " " : "", m);
}

/* A rate as a percentage with one decimal; "-" for none. */
static void rate_text(char out[16], const crq_node *v)
{
	if (!v || (v->kind != CRQ_NODE_NUMBER && v->kind != CRQ_NODE_INT))
		snprintf(out, 16, "-");
	else
		snprintf(out, 16, "%.1f%%", (v->kind == CRQ_NODE_INT ?
			(double)v->i : v->n) * 100.0);
}

/* The width of a table's first column: its heading and keys, indented
 * by two. */
static int key_width(const crq_node *obj, const char *field,
	const char *heading)
{
	size_t w = strlen(heading), i, n;

	for (i = 0; obj && i < obj->count; i++) {
		n = 2 + strlen(field ? s_or(obj->items[i], field, "") :
			obj->keys[i]);
		if (n > w)
			w = n;
	}
	return (int)(w < 26 ? 26 : w);
}

static void counts_text(crq_buf *out, const crq_node *obj,
	const char *heading)
{
	int w = key_width(obj, NULL, heading);
	size_t i;

	crq_buf_printf(out, "%s\n", heading);
	if (!obj || !obj->count)
		crq_buf_puts(out, "  (none)\n");
	for (i = 0; obj && i < obj->count; i++)
		crq_buf_printf(out, "  %-*s %6lld\n", w - 2, obj->keys[i],
			obj->items[i]->i);
}

static void stats_text(crq_buf *out, int w, const char *name,
	const crq_node *s)
{
	char a[40], b[40];

	dur_text(a, crq_node_get(s, "p50"));
	dur_text(b, crq_node_get(s, "p90"));
	crq_buf_printf(out, "  %-*s %6lld %12s %12s", w - 2, name,
		int_of(s, "count"), a, b);
}

static void report_text(crq_buf *out, const crq_node *r)
{
	static const char *const leads[][2] = {
		{ "created_to_closed", "created -> closed" },
		{ "submitted_to_authorized", "submitted -> authorized" },
		{ "authorized_to_implemented", "authorized -> implemented" } };
	static const char *const codes[][2] = {
		{ "successful", "successful" },
		{ "successful_with_issues", "successful with issues" },
		{ "failed", "failed" }, { "backed_out", "backed out" } };
	static const char *const rates[] = { "success_rate",
		"with_issues_rate", "failed_rate", "backed_out_rate" };
	const crq_node *v = crq_node_get(r, "verify");
	const crq_node *f = crq_node_get(r, "filters");
	const crq_node *ex = crq_node_get(r, "excluded");
	const crq_node *vol = crq_node_get(r, "volume");
	const crq_node *lt = crq_node_get(r, "lead_times");
	const crq_node *tis = crq_node_get(r, "time_in_state");
	const crq_node *al = crq_node_get(r, "approval_latency");
	const crq_node *oc = crq_node_get(r, "outcomes");
	const crq_node *sla = crq_node_get(r, "sla");
	const crq_node *load = crq_node_get(r, "load");
	char a[40], b[40];
	size_t i;
	int w;

	crq_buf_printf(out, "crq report, %s\n", s_or(r, "generated", ""));
	crq_buf_puts(out, "changes:");
	if (crq_node_get_str(r, "from"))
		crq_buf_printf(out, " created from %s", s_or(r, "from", ""));
	if (crq_node_get_str(r, "to"))
		crq_buf_printf(out, "%s %s", crq_node_get_str(r, "from") ?
			" to" : " created until", s_or(r, "to", ""));
	if (crq_node_get_str(f, "service"))
		crq_buf_printf(out, " of service %s", s_or(f, "service", ""));
	if (crq_node_get_str(f, "type"))
		crq_buf_printf(out, " of type %s", s_or(f, "type", ""));
	if (!crq_node_get_str(r, "from") && !crq_node_get_str(r, "to") &&
	    !crq_node_get_str(f, "service") && !crq_node_get_str(f, "type"))
		crq_buf_puts(out, " all");
	crq_buf_putc(out, '\n');
	crq_buf_printf(out, "crq verify: %s, %lld commits checked",
		crq_node_get(v, "clean")->b ? "clean" : "REFUSED",
		int_of(v, "checked"));
	if (!crq_node_get(v, "clean")->b)
		crq_buf_printf(out, ", %lld refused", int_of(v, "violations"));
	crq_buf_putc(out, '\n');
	if (ex->count) {
		crq_buf_puts(out,
			"left out (crq verify refuses commits of them):");
		for (i = 0; i < ex->count; i++)
			crq_buf_printf(out, " %s", ex->items[i]->str);
		crq_buf_putc(out, '\n');
	}
	crq_buf_printf(out, "\n%lld change%s\n\n", int_of(r, "changes"),
		int_of(r, "changes") == 1 ? "" : "s");

	counts_text(out, crq_node_get(vol, "by_type"), "volume by type");
	counts_text(out, crq_node_get(vol, "by_state"), "volume by state");
	counts_text(out, crq_node_get(vol, "by_service"), "volume by service");
	counts_text(out, crq_node_get(vol, "by_month"), "volume by month");

	w = 28;
	crq_buf_printf(out, "\n%-*s %6s %12s %12s\n", w, "lead times", "count",
		"p50", "p90");
	for (i = 0; i < N_OF(leads); i++) {
		stats_text(out, w, leads[i][1], crq_node_get(lt, leads[i][0]));
		crq_buf_putc(out, '\n');
	}

	w = key_width(tis, NULL, "time in state");
	crq_buf_printf(out, "\n%-*s %6s %12s %12s %12s %12s %7s %7s\n", w,
		"time in state", "count", "p50", "p90", "total", "target",
		"blocked", "rate");
	for (i = 0; i < tis->count; i++) {
		const crq_node *s = tis->items[i];
		char c[16];

		stats_text(out, w, tis->keys[i], s);
		dur_text(a, crq_node_get(s, "total"));
		dur_text(b, crq_node_get(s, "target"));
		rate_text(c, crq_node_get(s, "blocking_rate"));
		crq_buf_printf(out, " %12s %12s %7lld %7s\n", a, b,
			int_of(s, "blocked"), c);
	}

	w = key_width(al, NULL, "approval latency");
	crq_buf_printf(out, "\n%-*s %6s %12s %12s\n", w, "approval latency",
		"count", "p50", "p90");
	if (!al->count)
		crq_buf_puts(out, "  (none)\n");
	for (i = 0; i < al->count; i++) {
		stats_text(out, w, al->keys[i], al->items[i]);
		crq_buf_putc(out, '\n');
	}

	w = 28;
	crq_buf_printf(out, "\noutcomes\n  %-*s %6lld\n", w - 2, "closed out",
		int_of(oc, "closed_out"));
	for (i = 0; i < N_OF(codes); i++) {
		rate_text(a, crq_node_get(oc, rates[i]));
		crq_buf_printf(out, "  %-*s %6lld %7s\n", w - 2, codes[i][1],
			int_of(oc, codes[i][0]), a);
	}
	rate_text(a, crq_node_get(oc, "change_failure_rate"));
	crq_buf_printf(out, "  %-*s %6s %7s\n", w - 2, "change failure rate",
		"", a);
	rate_text(a, crq_node_get(oc, "emergency_share"));
	crq_buf_printf(out, "  %-*s %6s %7s\n", w - 2, "emergency share", "",
		a);

	w = key_width(sla, "target", "SLA");
	crq_buf_printf(out, "\n%-*s %6s %8s %8s %10s\n", w, "SLA", "met",
		"breached", "running", "compliance");
	if (!sla->count)
		crq_buf_puts(out, "  (no targets)\n");
	for (i = 0; i < sla->count; i++) {
		const crq_node *s = sla->items[i];

		rate_text(a, crq_node_get(s, "compliance"));
		crq_buf_printf(out, "  %-*s %6lld %8lld %8lld %10s\n", w - 2,
			s_or(s, "target", ""), int_of(s, "met"),
			int_of(s, "breached"), int_of(s, "running"), a);
	}

	w = key_width(load, "member", "load");
	crq_buf_printf(out, "\n%-*s %6s %8s %9s %11s\n", w, "load", "steps",
		"created", "approvals", "implemented");
	if (!load->count)
		crq_buf_puts(out, "  (none)\n");
	for (i = 0; i < load->count; i++) {
		const crq_node *m = load->items[i];

		crq_buf_printf(out, "  %-*s %6lld %8lld %9lld %11lld\n", w - 2,
			s_or(m, "member", ""), int_of(m, "steps"),
			int_of(m, "created"), int_of(m, "approvals"),
			int_of(m, "implemented"));
	}
}

/* ---- CSV: one row per number, metric the path to its object ---- */

static void csv_value(crq_buf *out, const char *metric, const char *key,
	const crq_node *v)
{
	char num[40];

	if (v->kind == CRQ_NODE_INT)
		snprintf(num, sizeof(num), "%lld", v->i);
	else if (v->kind == CRQ_NODE_NUMBER)
		snprintf(num, sizeof(num), "%.4f", v->n);
	else if (v->kind == CRQ_NODE_NULL)
		num[0] = '\0';
	else
		return;		/* not a number (verify.clean) */
	/* a rate keeps only the digits it has: 0.4000 -> 0.4 */
	if (v->kind == CRQ_NODE_NUMBER && strchr(num, '.')) {
		size_t n = strlen(num);

		while (n && num[n - 1] == '0')
			num[--n] = '\0';
		if (n && num[n - 1] == '.')
			num[--n] = '\0';
	}
	csv_field(out, metric, 0);
	csv_field(out, key, 0);
	csv_field(out, num, 1);
}

/* The numbers of obj: those right in it as rows of metric, objects in
 * it as metric.KEY; arrays (sla, load) item by item as metric.NAME,
 * the item's name field (name). */
static void csv_walk(crq_buf *out, const char *metric, const crq_node *obj)
{
	crq_buf sub = CRQ_BUF_INIT;
	size_t i;

	for (i = 0; i < obj->count; i++) {
		const crq_node *v = obj->items[i];

		if (v->kind != CRQ_NODE_OBJECT) {
			csv_value(out, metric, obj->keys[i], v);
			continue;
		}
		crq_buf_clear(&sub);
		crq_buf_printf(&sub, "%s.%s", metric, obj->keys[i]);
		csv_walk(out, sub.ptr, v);
	}
	crq_buf_dispose(&sub);
}

static void csv_list(crq_buf *out, const char *metric, const crq_node *arr,
	const char *name)
{
	crq_buf sub = CRQ_BUF_INIT;
	size_t i, k;

	for (i = 0; i < arr->count; i++) {
		const crq_node *o = arr->items[i];

		crq_buf_clear(&sub);
		crq_buf_printf(&sub, "%s.%s", metric, s_or(o, name, ""));
		for (k = 0; k < o->count; k++)
			if (strcmp(o->keys[k], name))
				csv_value(out, sub.ptr, o->keys[k],
					o->items[k]);
	}
	crq_buf_dispose(&sub);
}

static void report_csv(crq_buf *out, const crq_node *r)
{
	static const char *const objs[] = { "verify", "volume", "lead_times",
		"time_in_state", "approval_latency", "outcomes" };
	size_t i;

	csv_field(out, "metric", 0);
	csv_field(out, "key", 0);
	csv_field(out, "value", 1);
	csv_value(out, "changes", "count", crq_node_get(r, "changes"));
	for (i = 0; i < N_OF(objs); i++)
		csv_walk(out, objs[i], crq_node_get(r, objs[i]));
	csv_list(out, "sla", crq_node_get(r, "sla"), "target");
	csv_list(out, "load", crq_node_get(r, "load"), "member");
}

/* ---- HTML ---- */

static const char *const formats[] = { "text", "json", "csv", "html", NULL };

int cmd_report(int argc, char **argv, struct cmd_ctx *ctx)
{
	const struct cmd *self = cmd_find("report");
	crq_report_options o = CRQ_REPORT_OPTIONS_INIT;
	const char *format = NULL, *json = NULL, *output = NULL, *from = NULL,
		*to = NULL;
	crq_repo *repo = NULL;
	crq_node *rep = NULL;
	const crq_node *v, *ex;
	crq_buf text = CRQ_BUF_INIT;
	int a, m, rc, err;

	for (a = 1; a < argc; a++) {
		if ((m = opt_once(self, argc, argv, &a, "--from", &from)) ||
		    (m = opt_once(self, argc, argv, &a, "--to", &to)) ||
		    (m = opt_once(self, argc, argv, &a, "--service",
			&o.service)) ||
		    (m = opt_once(self, argc, argv, &a, "--type", &o.type)) ||
		    (m = opt_once(self, argc, argv, &a, "--format", &format)) ||
		    (m = flag_once(self, argv[a], "--json", &json)) ||
		    (m = opt_once(self, argc, argv, &a, "-o", &output)) ||
		    (m = opt_once(self, argc, argv, &a, "--trust", &o.trust))) {
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
	if (output && !*output)
		return usage_error(self, "-o needs a file name");
	if (o.service && !*o.service)
		return usage_error(self, "--service needs a service name");
	if (o.type && strcmp(o.type, "standard") && strcmp(o.type, "normal") &&
	    strcmp(o.type, "emergency"))
		return usage_error(self,
			"--type '%s': standard, normal or emergency", o.type);
	if (from && parse_when(from, &o.from, 0) < 0)
		return usage_error(self,
			"--from '%s' is not a time (RFC 3339) or a date (YYYY-MM-DD)",
			from);
	if (to && parse_when(to, &o.to, 1) < 0)
		return usage_error(self,
			"--to '%s' is not a time (RFC 3339) or a date (YYYY-MM-DD)",
			to);
	if (from && to && o.to < o.from)
		return usage_error(self, "--to '%s' is before --from '%s'", to,
			from);
	/* on a terminal the text goes through a pager (the others when
	 * pager.report says so) */
	if (!output)
		pager_maybe(ctx, "report", !strcmp(format, "text"));
	crq_error_clear();
	if ((rc = open_repo(&repo, ctx)))
		return rc;
	/* in CI the root must come from outside the history */
	o.require_trust = ci_mode();
	if (!strcmp(format, "html")) {
		crq_audit_options ao = CRQ_AUDIT_OPTIONS_INIT;
		crq_dashboard_options dop = CRQ_DASHBOARD_OPTIONS_INIT;

		/* the trails shown are the pack's: all changes */
		ao.trust = o.trust;
		ao.require_trust = o.require_trust;
		dop.title = "crq report";
		err = crq_dashboard_write(&text, NULL, &rep, repo, &ao, &o,
			&dop);
	} else {
		err = crq_report(&rep, repo, &o);
	}
	if (err < 0) {
		rc = report(err);
		goto done;
	}
	if (!strcmp(format, "json")) {
		crq_json_write(&text, rep, 1);
		crq_buf_putc(&text, '\n');
	} else if (!strcmp(format, "csv")) {
		report_csv(&text, rep);
	} else if (strcmp(format, "html")) {
		report_text(&text, rep);
	}
	if (strcmp(format, "json") && strcmp(format, "html"))
		text_safe(&text);
	if ((rc = write_output(repo, output, &text, 0, NULL)))
		goto done;
	fflush(stdout);
	v = crq_node_get(rep, "verify");
	ex = crq_node_get(rep, "excluded");
	/* the report stands: what verify refuses is left out, and said */
	if (ex->count)
		fprintf(stderr, "%s %zu change%s left out: crq verify refuses commits of %s\n",
			tag("warning"), ex->count, ex->count == 1 ? "" : "s",
			ex->count == 1 ? "it" : "them");
	else if (!crq_node_get(v, "clean")->b)
		fprintf(stderr, "%s crq verify refuses %lld commit%s of this history\n",
			tag("warning"), int_of(v, "violations"),
			int_of(v, "violations") == 1 ? "" : "s");
	rc = finish(0);
done:
	crq_node_free(rep);
	crq_buf_dispose(&text);
	close_repo(repo, ctx);
	return rc;
}
