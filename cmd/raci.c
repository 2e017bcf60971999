/*
 * raci.c - crq raci: the RACI matrix of the workflow (lib/raci.c
 * derives it from the policy in force) as text, Markdown, JSON or one
 * HTML page.
 */
#include <stdio.h>
#include <string.h>
#include "cmd.h"

#define LEGEND_R "R: may take the action"
#define LEGEND_A "A: its approval is required (approval rules, rules' require)"
#define LEGEND_C "C: consulted (a rule gives it a task or asks its approval)"
#define LEGEND_I "I: informed (a rule escalates to it)"

static const char *s_or(const crq_node *o, const char *key, const char *dflt)
{
	const char *s = crq_node_get_str(o, key);

	return s ? s : dflt;
}

/* The action's types as "normal,emergency", or "all". */
static void types_text(crq_buf *out, const crq_node *row)
{
	const crq_node *t = crq_node_get(row, "types");
	size_t i;

	if (!t || t->kind != CRQ_NODE_ARRAY) {
		crq_buf_puts(out, "all");
		return;
	}
	for (i = 0; i < t->count; i++)
		crq_buf_printf(out, "%s%s", i ? "," : "",
			t->items[i]->kind == CRQ_NODE_STRING ?
			t->items[i]->str : "?");
}

static long long policy_version(const crq_node *policy)
{
	const crq_node *v = crq_node_get(policy, "version");

	return v && v->kind == CRQ_NODE_INT ? v->i : 0;
}

/* ---- text ---- */

/* Drop the spaces a padded line ends in. */
static void end_line(crq_buf *out)
{
	while (out->size && out->ptr[out->size - 1] == ' ')
		out->size--;
	crq_buf_putc(out, '\n');
}

static void raci_text(crq_buf *out, const crq_node *raci, long long version)
{
	const crq_node *roles = crq_node_get(raci, "roles");
	const crq_node *phases = crq_node_get(raci, "phases");
	crq_buf t = CRQ_BUF_INIT;
	size_t i, k, j, w0 = strlen("action"), w1 = strlen("types"), w;

	for (i = 0; i < phases->count; i++) {
		const crq_node *ph = phases->items[i];
		const crq_node *rows = crq_node_get(ph, "actions");

		for (k = 0; k < rows->count; k++) {
			w = 2 + strlen(s_or(rows->items[k], "action", ""));
			if (w > w0)
				w0 = w;
			crq_buf_clear(&t);
			types_text(&t, rows->items[k]);
			if (t.size > w1)
				w1 = t.size;
		}
	}
	crq_buf_printf(out, "crq raci: the workflow of policy version %lld\n",
		version);
	crq_buf_puts(out, "legend: " LEGEND_R "; " LEGEND_A "; " LEGEND_C
		"; " LEGEND_I "\n\n");
	crq_buf_printf(out, "%-*s  %-*s", (int)w0, "action", (int)w1,
		"types");
	for (j = 0; j < roles->count; j++)
		crq_buf_printf(out, "  %-4s", roles->items[j]->str);
	end_line(out);
	for (i = 0; i < phases->count; i++) {
		const crq_node *ph = phases->items[i];
		const crq_node *rows = crq_node_get(ph, "actions");

		crq_buf_printf(out, "%s\n", s_or(ph, "phase", ""));
		for (k = 0; k < rows->count; k++) {
			const crq_node *cells = crq_node_get(rows->items[k],
				"cells");

			crq_buf_clear(&t);
			types_text(&t, rows->items[k]);
			crq_buf_printf(out, "  %-*s  %-*s", (int)w0 - 2,
				s_or(rows->items[k], "action", ""), (int)w1,
				crq_buf_cstr(&t));
			for (j = 0; j < roles->count; j++) {
				w = strlen(roles->items[j]->str);
				if (w < 4)
					w = 4;
				crq_buf_printf(out, "  %-*s", (int)w,
					s_or(cells, roles->items[j]->str, ""));
			}
			end_line(out);
		}
	}
	crq_buf_dispose(&t);
}

/* ---- Markdown (GitHub tables) ---- */

/* s as the text of a table cell: a pipe or other markup is escaped,
 * HTML is not markup, a line break is a space. */
static void md_text(crq_buf *out, const char *s)
{
	for (; *s; s++) {
		if (*s == '&')
			crq_buf_puts(out, "&amp;");
		else if (*s == '<')
			crq_buf_puts(out, "&lt;");
		else if (*s == '>')
			crq_buf_puts(out, "&gt;");
		else if (*s == '\n' || *s == '\r' || *s == '\t')
			crq_buf_putc(out, ' ');
		else if (strchr("\\|*_`[]~#!", *s))
			crq_buf_printf(out, "\\%c", *s);
		else
			crq_buf_putc(out, *s);
	}
}

static void raci_md(crq_buf *out, const crq_node *raci, long long version)
{
	const crq_node *roles = crq_node_get(raci, "roles");
	const crq_node *phases = crq_node_get(raci, "phases");
	crq_buf t = CRQ_BUF_INIT;
	size_t i, k, j;

	crq_buf_printf(out,
		"RACI matrix of the workflow (policy version %lld)\n\n",
		version);
	crq_buf_puts(out, "| Phase | Action | Types |");
	for (j = 0; j < roles->count; j++) {
		crq_buf_putc(out, ' ');
		md_text(out, roles->items[j]->str);
		crq_buf_puts(out, " |");
	}
	crq_buf_puts(out, "\n| --- | --- | --- |");
	for (j = 0; j < roles->count; j++)
		crq_buf_puts(out, " :-: |");
	crq_buf_putc(out, '\n');
	for (i = 0; i < phases->count; i++) {
		const crq_node *ph = phases->items[i];
		const crq_node *rows = crq_node_get(ph, "actions");

		for (k = 0; k < rows->count; k++) {
			const crq_node *cells = crq_node_get(rows->items[k],
				"cells");

			crq_buf_puts(out, "| ");
			md_text(out, s_or(ph, "phase", ""));
			crq_buf_puts(out, " | ");
			md_text(out, s_or(rows->items[k], "action", ""));
			crq_buf_puts(out, " | ");
			crq_buf_clear(&t);
			types_text(&t, rows->items[k]);
			md_text(out, crq_buf_cstr(&t));
			crq_buf_puts(out, " |");
			for (j = 0; j < roles->count; j++) {
				crq_buf_putc(out, ' ');
				md_text(out, s_or(cells, roles->items[j]->str,
					""));
				crq_buf_puts(out, " |");
			}
			crq_buf_putc(out, '\n');
		}
	}
	crq_buf_puts(out, "\n" LEGEND_R ". " LEGEND_A ". " LEGEND_C ". "
		LEGEND_I ".\n");
	crq_buf_dispose(&t);
}

/* ---- HTML ---- */

static void html_text(crq_buf *out, const char *s)
{
	for (; *s; s++) {
		switch (*s) {
		case '&': crq_buf_puts(out, "&amp;"); break;
		case '<': crq_buf_puts(out, "&lt;"); break;
		case '>': crq_buf_puts(out, "&gt;"); break;
		case '"': crq_buf_puts(out, "&quot;"); break;
		case '\'': crq_buf_puts(out, "&#39;"); break;
		default: crq_buf_putc(out, *s);
		}
	}
}

static const char html_style[] =
	"body{font-family:system-ui,sans-serif;margin:1.5rem;color:#111;"
	"background:#fff}\n"
	"table{border-collapse:collapse;font-size:.9rem}\n"
	"caption{text-align:left;font-weight:600;padding:.4rem 0}\n"
	"th,td{border:1px solid #999;padding:.2rem .5rem;text-align:center}\n"
	"thead th{background:#eee}\n"
	"th[scope=row],th[scope=rowgroup],td.types{text-align:left}\n"
	"th[scope=rowgroup]{background:#f6f6f6;vertical-align:top}\n"
	"td.R{background:#dbeafe}\n"
	"td.A{background:#fde68a;font-weight:700}\n"
	"td.C{color:#065f46}\n"
	"td.I{color:#6b21a8}\n"
	"@media print{body{margin:0}td,th{border-color:#000}}\n";

static void raci_html(crq_buf *out, const crq_node *raci, long long version)
{
	const crq_node *roles = crq_node_get(raci, "roles");
	const crq_node *phases = crq_node_get(raci, "phases");
	crq_buf t = CRQ_BUF_INIT;
	size_t i, k, j;

	crq_buf_puts(out, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n"
		"<meta charset=\"utf-8\">\n"
		"<meta name=\"viewport\"\n"
		" content=\"width=device-width, initial-scale=1\">\n"
		"<title>crq raci: the RACI matrix of the workflow</title>\n"
		"<style>\n");
	crq_buf_puts(out, html_style);
	crq_buf_puts(out, "</style>\n</head>\n<body>\n"
		"<h1>RACI matrix of the workflow</h1>\n");
	crq_buf_printf(out, "<p>Derived from policy version %lld, the policy "
		"crq enforces.</p>\n<ul class=\"legend\">\n", version);
	crq_buf_puts(out, "<li>" LEGEND_R "</li>\n<li>" LEGEND_A "</li>\n<li>"
		LEGEND_C "</li>\n<li>" LEGEND_I "</li>\n</ul>\n");
	crq_buf_printf(out, "<table class=\"raci\">\n<caption>Workflow actions "
		"by phase against the roles of policy version %lld</caption>\n"
		"<thead>\n<tr><th scope=\"col\">Phase</th>"
		"<th scope=\"col\">Action</th><th scope=\"col\">Types</th>",
		version);
	for (j = 0; j < roles->count; j++) {
		crq_buf_puts(out, "<th scope=\"col\">");
		html_text(out, roles->items[j]->str);
		crq_buf_puts(out, "</th>");
	}
	crq_buf_puts(out, "</tr>\n</thead>\n");
	for (i = 0; i < phases->count; i++) {
		const crq_node *ph = phases->items[i];
		const crq_node *rows = crq_node_get(ph, "actions");

		if (!rows->count)
			continue;
		crq_buf_puts(out, "<tbody>\n");
		for (k = 0; k < rows->count; k++) {
			const crq_node *cells = crq_node_get(rows->items[k],
				"cells");

			crq_buf_puts(out, "<tr>");
			if (!k) {
				crq_buf_printf(out, "<th scope=\"rowgroup\" "
					"rowspan=\"%zu\">", rows->count);
				html_text(out, s_or(ph, "phase", ""));
				crq_buf_puts(out, "</th>");
			}
			crq_buf_puts(out, "<th scope=\"row\">");
			html_text(out, s_or(rows->items[k], "action", ""));
			crq_buf_puts(out, "</th><td class=\"types\">");
			crq_buf_clear(&t);
			types_text(&t, rows->items[k]);
			html_text(out, crq_buf_cstr(&t));
			crq_buf_puts(out, "</td>");
			for (j = 0; j < roles->count; j++) {
				const char *c = s_or(cells,
					roles->items[j]->str, "");
				const char *p;

				crq_buf_puts(out, "<td");
				if (*c) {
					/* one class a letter, for the style */
					crq_buf_puts(out, " class=\"");
					for (p = c; *p; p++)
						crq_buf_printf(out, "%s%c",
							p == c ? "" : " ", *p);
					crq_buf_putc(out, '"');
				}
				crq_buf_putc(out, '>');
				html_text(out, c);
				crq_buf_puts(out, "</td>");
			}
			crq_buf_puts(out, "</tr>\n");
		}
		crq_buf_puts(out, "</tbody>\n");
	}
	crq_buf_puts(out, "</table>\n</body>\n</html>\n");
	crq_buf_dispose(&t);
}

static const char *const formats[] = { "text", "md", "json", "html", NULL };

int cmd_raci(int argc, char **argv, struct cmd_ctx *ctx)
{
	const struct cmd *self = cmd_find("raci");
	const char *format = NULL, *json = NULL, *output = NULL;
	const crq_node *policy;
	crq_repo *repo = NULL;
	crq_node *raci = NULL;
	crq_buf text = CRQ_BUF_INIT;
	int a, m, rc, err;

	for (a = 1; a < argc; a++) {
		if ((m = opt_once(self, argc, argv, &a, "--format", &format)) ||
		    (m = flag_once(self, argv[a], "--json", &json)) ||
		    (m = opt_once(self, argc, argv, &a, "-o", &output))) {
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
	crq_error_clear();
	if ((rc = open_repo(&repo, ctx)))
		return rc;
	if ((err = crq_policy_get(&policy, repo)) < 0 ||
	    (err = crq_raci(&raci, policy)) < 0) {
		rc = report(err);
		goto done;
	}
	if (!strcmp(format, "json")) {
		crq_json_write(&text, raci, 1);
		crq_buf_putc(&text, '\n');
	} else if (!strcmp(format, "md")) {
		raci_md(&text, raci, policy_version(policy));
	} else if (!strcmp(format, "html")) {
		raci_html(&text, raci, policy_version(policy));
	} else {
		raci_text(&text, raci, policy_version(policy));
	}
	if ((rc = write_output(repo, output, &text, 0, NULL)))
		goto done;
	rc = finish(0);
done:
	crq_node_free(raci);
	crq_buf_dispose(&text);
	close_repo(repo, ctx);
	return rc;
}
