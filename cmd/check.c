/*
 * check.c - crq check --base REV [--head REV] [--format FMT | --json]: the
 * pull-request gate.
 */
#include <stdio.h>
#include <string.h>
#include "cmd.h"

static void xml(crq_buf *out, const char *s)
{
	for (; *s; s++) {
		switch (*s) {
		case '<': crq_buf_puts(out, "&lt;"); break;
		case '>': crq_buf_puts(out, "&gt;"); break;
		case '&': crq_buf_puts(out, "&amp;"); break;
		case '"': crq_buf_puts(out, "&quot;"); break;
		default: crq_buf_putc(out, *s);
		}
	}
}

/* GitHub workflow commands: % CR LF are escaped in the message. */
static void gh(crq_buf *out, const char *s)
{
	for (; *s; s++) {
		if (*s == '%')
			crq_buf_puts(out, "%25");
		else if (*s == '\n')
			crq_buf_puts(out, "%0A");
		else if (*s == '\r')
			crq_buf_puts(out, "%0D");
		else
			crq_buf_putc(out, *s);
	}
}

static const char *const formats[] = { "text", "json", "github", "junit",
	NULL };

int cmd_check(int argc, char **argv, struct cmd_ctx *ctx)
{
	const struct cmd *self = cmd_find("check");
	const char *base = NULL, *head = NULL, *format = NULL, *json = NULL;
	crq_verify_options opts = CRQ_VERIFY_OPTIONS_INIT;
	crq_verify_result v;
	crq_repo *repo = NULL;
	crq_buf mb = CRQ_BUF_INIT, out = CRQ_BUF_INIT, line = CRQ_BUF_INIT;
	crq_node *status = NULL;
	size_t i;
	int a, m, rc, err;

	crq_verify_result_init(&v);
	for (a = 1; a < argc; a++) {
		if ((m = opt_once(self, argc, argv, &a, "--base", &base)) ||
		    (m = opt_once(self, argc, argv, &a, "--head", &head)) ||
		    (m = opt_once(self, argc, argv, &a, "--format", &format)) ||
		    (m = opt_once(self, argc, argv, &a, "--trust", &opts.trust)) ||
		    (m = flag_once(self, argv[a], "--json", &json))) {
			if (m < 0)
				return EXIT_USAGE;
			continue;
		}
		return usage_error(self, argv[a][0] == '-' ?
			"unknown option '%s'" : "unexpected argument '%s'",
			argv[a]);
	}
	if (!base)
		return usage_error(self, "--base is required (e.g. origin/main)");
	if (!head)
		head = "HEAD";
	if ((rc = pick_json_format(self, json, &format, formats)))
		return rc;
	if ((rc = open_repo(&repo, ctx)))
		return rc;
	/* what head adds over base, which upstream verified; base itself
	 * must descend from the trusted root (in CI: from outside) */
	opts.rev = head;
	opts.require_trust = ci_mode();
	if ((err = crq_merge_base(&mb, repo, base, head)) < 0)
		goto fail;
	opts.base = mb.ptr;
	if ((err = crq_verify_run(&v, repo, &opts)) < 0 ||
	    (err = crq_change_status(&status, repo, mb.ptr, head)) < 0) {
fail:
		rc = report(err);
		goto done;
	}
	if (!strcmp(format, "json")) {
		crq_node *o = crq_node_new(CRQ_NODE_OBJECT);
		crq_node *arr = violations_json(&v);

		crq_node_set(o, "ok", crq_node_new_bool(v.count == 0));
		crq_node_set(o, "checked", crq_node_new_int((long long)v.checked));
		crq_node_set(o, "violations", arr);
		crq_node_set(o, "changes", status);
		status = NULL;
		crq_json_write(&out, o, 1);
		crq_buf_putc(&out, '\n');
		crq_node_free(o);
	} else if (!strcmp(format, "junit")) {
		crq_buf_printf(&out, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
			"<testsuite name=\"crq check\" tests=\"%zu\" failures=\"%zu\">\n",
			status->count + 1, v.count ? (size_t)1 : 0);
		crq_buf_puts(&out, "  <testcase classname=\"crq\" name=\"verify\">\n");
		for (i = 0; i < v.count; i++) {
			crq_buf_clear(&line);
			violation_text(&line, &v.items[i], "");
			crq_buf_puts(&out, "    <failure message=\"");
			xml(&out, line.ptr);
			crq_buf_puts(&out, "\"/>\n");
		}
		crq_buf_puts(&out, "  </testcase>\n");
		for (i = 0; i < status->count; i++) {
			const crq_node *s = status->items[i];
			const char *needs = crq_node_get_str(s, "needs");

			crq_buf_puts(&out, "  <testcase classname=\"crq\" name=\"");
			xml(&out, crq_node_get_str(s, "id"));
			crq_buf_puts(&out, "\">");
			if (needs) {
				crq_buf_puts(&out, "<system-out>needs ");
				xml(&out, needs);
				crq_buf_puts(&out, "</system-out>");
			}
			crq_buf_puts(&out, "</testcase>\n");
		}
		crq_buf_puts(&out, "</testsuite>\n");
	} else {
		int github = !strcmp(format, "github");
		int color = !github && use_color(1, repo);

		for (i = 0; i < v.count; i++) {
			crq_buf_clear(&line);
			violation_color(&line, &v.items[i], "", color);
			if (github) {
				/* one annotation: the lines joined */
				while (line.size && line.ptr[line.size - 1] ==
						'\n')
					line.ptr[--line.size] = '\0';
				crq_buf_printf(&out, "::error title=crq %s::",
					v.items[i].rule);
				gh(&out, line.ptr);
				crq_buf_putc(&out, '\n');
			} else {
				crq_buf_puts(&out, line.ptr);
			}
		}
		for (i = 0; i < status->count; i++) {
			const crq_node *s = status->items[i];
			const crq_node *by = crq_node_get(s, "approvals");
			const char *needs = crq_node_get_str(s, "needs");
			size_t j;

			crq_buf_printf(&out, "%s%s %s", github ? "::notice title=" : "",
				crq_node_get_str(s, "id"), github ? "::" : "");
			color_put(&out, color, state_sgr(crq_node_get_str(s,
				"state")), crq_node_get_str(s, "state"));
			if (needs) {
				crq_buf_puts(&out, ": ");
				crq_buf_clear(&line);
				crq_buf_printf(&line, "needs %s", needs);
				color_put(&out, color, SGR_YELLOW, line.ptr);
				crq_buf_puts(&out, " (has: ");
				for (j = 0; j < by->count; j++)
					crq_buf_printf(&out, "%s%s", j ? ", " : "",
						by->items[j]->str);
				crq_buf_puts(&out, by->count ? ")" : "nobody)");
			}
			crq_buf_putc(&out, '\n');
		}
		if (!github) {
			/* the verdict: ok in green, refused in red */
			crq_buf_clear(&line);
			crq_buf_printf(&line,
				"%zu commit%s checked, %zu violation%s",
				v.checked, v.checked == 1 ? "" : "s", v.count,
				v.count == 1 ? "" : "s");
			color_put(&out, color, v.count ? SGR_BOLD_RED :
				SGR_GREEN, line.ptr);
			crq_buf_putc(&out, '\n');
		}
	}
	fwrite(crq_buf_cstr(&out), 1, out.size, stdout);
	rc = finish(v.count ? EXIT_REFUSED : 0);
done:
	crq_verify_result_dispose(&v);
	crq_node_free(status);
	crq_buf_dispose(&line);
	crq_buf_dispose(&mb);
	crq_buf_dispose(&out);
	close_repo(repo, ctx);
	return rc;
}
