/*
 * list.c - crq list [filters] [--json | --format FMT]
 */
#include <stdio.h>
#include <string.h>
#include "cmd.h"

/* Append the text of a field for --format: scalars as they are, lists
 * joined by ',', mappings as JSON. */
static void field_text(crq_buf *out, const crq_node *n)
{
	size_t i;

	if (!n)
		return;
	switch (n->kind) {
	case CRQ_NODE_STRING:
		crq_buf_put(out, n->str, n->len);
		break;
	case CRQ_NODE_ARRAY:
		for (i = 0; i < n->count; i++) {
			if (i)
				crq_buf_putc(out, ',');
			field_text(out, n->items[i]);
		}
		break;
	case CRQ_NODE_NULL:
		break;
	case CRQ_NODE_BOOL:
		crq_buf_puts(out, n->b ? "true" : "false");
		break;
	case CRQ_NODE_INT:
		crq_buf_printf(out, "%lld", n->i);
		break;
	default:
		crq_json_write(out, n, 0);
	}
}

static int check_format(const char *fmt)
{
	const char *p;

	for (p = fmt; *p; p++) {
		if (*p != '%')
			continue;
		if (p[1] == '%' || p[1] == 'n') {
			p++;
		} else if (p[1] == '(' && strchr(p, ')')) {
			p = strchr(p, ')');
		} else {
			fprintf(stderr, "error: bad placeholder at '%s' in --format\n"
				"hint: use %%(field), %%n or %%%%\n", p);
			return -1;
		}
	}
	return 0;
}

static void format_one(crq_buf *out, const char *fmt, const crq_node *doc)
{
	const char *p;
	char key[256];

	for (p = fmt; *p; p++) {
		if (*p != '%') {
			crq_buf_putc(out, *p);
			continue;
		}
		if (p[1] == '%') {
			crq_buf_putc(out, '%');
			p++;
		} else if (p[1] == 'n') {
			crq_buf_putc(out, '\n');
			p++;
		} else {
			const char *end = strchr(p, ')');
			size_t len = (size_t)(end - p - 2);

			if (len >= sizeof(key))
				len = sizeof(key) - 1;
			memcpy(key, p + 2, len);
			key[len] = '\0';
			field_text(out, crq_node_path(doc, key));
			p = end;
		}
	}
	crq_buf_putc(out, '\n');
}

static int write_stdout(const char *data, size_t len, void *payload)
{
	int *failed = payload;

	if (fwrite(data, 1, len, stdout) != len) {
		*failed = 1;
		return CRQ_EREPO;
	}
	return 0;
}

int cmd_list(int argc, char **argv, struct cmd_ctx *ctx)
{
	const struct cmd *self = cmd_find("list");
	crq_filter f;
	const char *fmt = NULL;
	crq_repo *repo = NULL;
	crq_node *list = NULL;
	crq_buf out = CRQ_BUF_INIT;
	crq_issues problems;
	size_t i;
	int json = 0, a, err, rc, m, wfail = 0;

	memset(&f, 0, sizeof(f));
	for (a = 1; a < argc; a++) {
		if (!strcmp(argv[a], "--json")) {
			json = 1;
			continue;
		}
		if (!strcmp(argv[a], "--overdue")) {
			f.overdue = 1;
			continue;
		}
#define OPT(name, dst) \
		if ((m = opt_value(argc, argv, &a, name, dst)) < 0) \
			return usage_error(self, "option '%s' needs a value", name); \
		else if (m) \
			continue;
		OPT("--state", &f.state)
		OPT("--type", &f.type)
		OPT("--risk", &f.risk)
		OPT("--service", &f.service)
		OPT("--requester", &f.requester)
		OPT("--format", &fmt)
#undef OPT
		if (argv[a][0] == '-')
			return usage_error(self, "unknown option '%s'", argv[a]);
		return usage_error(self, "unexpected argument '%s'", argv[a]);
	}
	if (json && fmt)
		return usage_error(self, "--json and --format exclude each other");
	if (fmt && check_format(fmt) < 0)
		return EXIT_USAGE;
	if ((rc = open_repo(&repo, ctx)))
		return rc;
	crq_issues_init(&problems);
	/* --json is built on all cores, without keeping every tree */
	if (json)
		err = crq_change_list_json(repo, &f, &problems, write_stdout,
			&wfail);
	else
		err = crq_change_list(&list, repo, &f, &problems);
	if (err < 0) {
		rc = wfail ? finish(0) : report(err);
		goto done;
	}
	for (i = 0; i < problems.count; i++)
		fprintf(stderr, "warning: %s\n", problems.items[i].message);
	if (problems.count)
		fprintf(stderr, "warning: %zu change file%s could not be read\n"
			"hint: run 'crq validate'\n", problems.count,
			problems.count == 1 ? "" : "s");
	if (json) {
		crq_buf_putc(&out, '\n');
	} else {
		for (i = 0; i < list->count; i++) {
			const crq_node *d = list->items[i];

			if (fmt) {
				format_one(&out, fmt, d);
				continue;
			}
			crq_buf_printf(&out, "%-12s %-12s %-9s %-6s %s\n",
				crq_node_get_str(d, "id"),
				crq_node_get_str(d, "state"),
				crq_node_get_str(d, "type"),
				crq_node_get_str(d, "risk") ?
				crq_node_get_str(d, "risk") : "-",
				crq_node_get_str(d, "title"));
		}
	}
	fwrite(crq_buf_cstr(&out), 1, out.size, stdout);
	rc = finish(problems.count ? EXIT_REFUSED : 0);
done:
	crq_issues_dispose(&problems);
	crq_buf_dispose(&out);
	crq_node_free(list);
	close_repo(repo, ctx);
	return rc;
}
