/*
 * list.c - crq list [filters] [--json | --format text|json|FMT]
 */
#include <stdio.h>
#include <stdlib.h>
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

/* The placeholders of fmt must be %%, %n or %(field), field a property
 * of the change schema (dotted for those of objects); without a schema
 * only their syntax is checked.  Returns 0 or the usage exit code. */
static int check_format(const struct cmd *self, const crq_schema *schema,
	const char *fmt)
{
	const char *p, *end;
	crq_buf key = CRQ_BUF_INIT;
	int rc = 0;

	for (p = fmt; *p && !rc; p++) {
		if (*p != '%')
			continue;
		if (p[1] == '%' || p[1] == 'n') {
			p++;
			continue;
		}
		if (p[1] != '(' || !(end = strchr(p, ')'))) {
			rc = usage_error(self, "bad placeholder at '%s' in --format\n"
				"hint: use %%(field), %%n or %%%%", p);
			break;
		}
		crq_buf_clear(&key);
		crq_buf_put(&key, p + 2, (size_t)(end - p - 2));
		/* "", ".a", "a..b", "a.": no empty step in the path */
		if (schema && (!key.size || key.ptr[0] == '.' ||
		    key.ptr[key.size - 1] == '.' || strstr(key.ptr, "..") ||
		    !crq_schema_lookup(schema, crq_buf_cstr(&key))))
			rc = usage_error(self, "unknown field '%s' in --format\n"
				"hint: fields are the change's properties "
				"('crq schema change'), e.g. %%(window.start)",
				crq_buf_cstr(&key));
		p = end;
	}
	crq_buf_dispose(&key);
	return rc;
}

/* value must be one of the schema's values of field (its enum), when
 * the schema lists them.  Returns 0 or the usage exit code. */
static int check_value(const struct cmd *self, const crq_schema *schema,
	const char *field, const char *value)
{
	const crq_node *s = crq_schema_lookup(schema, field);
	const crq_node *e = s ? crq_node_get(s, "enum") : NULL;
	crq_buf valid = CRQ_BUF_INIT;
	size_t i;
	int rc = 0;

	if (!e || e->kind != CRQ_NODE_ARRAY)
		return 0;
	for (i = 0; i < e->count; i++) {
		if (e->items[i]->kind != CRQ_NODE_STRING)
			continue;
		if (!strcmp(e->items[i]->str, value))
			goto done;
		crq_buf_printf(&valid, "%s%s", valid.size ? ", " : "",
			e->items[i]->str);
	}
	rc = usage_error(self, "unknown %s '%s' (valid: %s)", field, value,
		crq_buf_cstr(&valid));
done:
	crq_buf_dispose(&valid);
	return rc;
}

/* The fields fmt names (checked by check_format), NULL-terminated;
 * the caller frees each and the array. */
static char **format_fields(const char *fmt)
{
	const char *p, *end;
	char **fields = calloc(strlen(fmt) / 3 + 2, sizeof(*fields));
	size_t n = 0;

	if (!fields)
		abort();
	for (p = fmt; *p; p++) {
		if (*p != '%')
			continue;
		if (p[1] != '(') {
			p++;
			continue;
		}
		end = strchr(p, ')');
		if (!(fields[n++] = strndup(p + 2, (size_t)(end - p - 2))))
			abort();
		p = end;
	}
	return fields;
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

/* s left-aligned in width bytes, then a space, as printf's "%-*s "
 * writes it (NULL as glibc prints it) */
static void column(crq_buf *out, const char *s, size_t width)
{
	static const char spaces[] = "            ";
	size_t n;

	if (!s)
		s = "(null)";
	n = strlen(s);
	crq_buf_put(out, s, n);
	if (n < width)
		crq_buf_put(out, spaces, width - n);
	crq_buf_putc(out, ' ');
}

struct printer {
	const char *fmt;	/* --format, or NULL for the table */
	crq_buf line;
	int failed;
	int color;		/* the table's states in colour */
};

/* column() of a state, in its colour: padded by what shows */
static void state_column(crq_buf *out, const char *s, int color)
{
	const char *sgr = color ? state_sgr(s) : NULL;

	if (!sgr || !s) {
		column(out, s, 12);
		return;
	}
	color_put(out, 1, sgr, s);
	/* the escapes take no room on the terminal */
	column(out, "", 12 - (strlen(s) < 12 ? strlen(s) : 12));
}

/* text_safe() on what buf holds from offset at on. */
static void safe_from(crq_buf *buf, size_t at)
{
	crq_buf tail = CRQ_BUF_INIT;

	crq_buf_put(&tail, buf->ptr + at, buf->size - at);
	text_safe(&tail);
	memcpy(buf->ptr + at, tail.ptr, tail.size);
	crq_buf_dispose(&tail);
}

/* One change as it comes: nothing is kept, whatever the store's size. */
static int print_change(const crq_change_item *item, void *payload)
{
	struct printer *p = payload;
	const crq_node *d = item->doc;

	crq_buf_clear(&p->line);
	if (p->fmt) {
		format_one(&p->line, p->fmt, d);
	} else {
		/* "%-12s %-12s %-9s %-6s %s\n", without printf's cost at
		 * every line of a large store */
		column(&p->line, crq_node_get_str(d, "id"), 12);
		state_column(&p->line, crq_node_get_str(d, "state"),
			p->color);
		column(&p->line, crq_node_get_str(d, "type"), 9);
		column(&p->line, crq_node_get_str(d, "risk") ?
			crq_node_get_str(d, "risk") : "-", 6);
		/* the table is for a person: nothing in a title may
		 * reorder or hide what the terminal shows (U+202E ...) */
		{
			size_t at = p->line.size;

			column(&p->line, crq_node_get_str(d, "title"), 0);
			safe_from(&p->line, at);
		}
		p->line.ptr[p->line.size - 1] = '\n';
	}
	return write_stdout(p->line.ptr, p->line.size, &p->failed);
}

/* What the table prints */
static const char *const table_fields[] = {
	"id", "state", "type", "risk", "title", NULL
};

int cmd_list(int argc, char **argv, struct cmd_ctx *ctx)
{
	const struct cmd *self = cmd_find("list");
	const char **states = calloc((size_t)argc + 1, sizeof(char *));
	const crq_schema *schema;
	crq_filter f;
	const char *fmt = NULL, *v, *needs = NULL, *sla = NULL;
	const char *json_flag = NULL, *overdue = NULL;
	crq_repo *repo = NULL;
	crq_node *wanted = NULL;
	crq_list_options opts = CRQ_LIST_OPTIONS_INIT;
	struct printer pr = { NULL, CRQ_BUF_INIT, 0, 0 };
	char **fields = NULL;
	crq_issues problems;
	size_t i, nstates = 0;
	int json = 0, a, err, rc = 0, m;

	memset(&f, 0, sizeof(f));
	crq_issues_init(&problems);
	if (!states)
		abort();
	for (a = 1; a < argc; a++) {
		if ((m = flag_once(self, argv[a], "--json", &json_flag)) ||
		    (m = flag_once(self, argv[a], "--overdue", &overdue))) {
			if (m < 0) {
				rc = EXIT_USAGE;
				goto done;
			}
			continue;
		}
		/* repeatable: any of the states */
		if ((m = opt_value(argc, argv, &a, "--state", &v))) {
			if (m < 0) {
				rc = usage_error(self,
					"option '--state' needs a value");
				goto done;
			}
			states[nstates++] = v;
			continue;
		}
		if ((m = opt_once(self, argc, argv, &a, "--type", &f.type)) ||
		    (m = opt_once(self, argc, argv, &a, "--risk", &f.risk)) ||
		    (m = opt_once(self, argc, argv, &a, "--service", &f.service)) ||
		    (m = opt_once(self, argc, argv, &a, "--requester",
				&f.requester)) ||
		    (m = opt_once(self, argc, argv, &a, "--needs", &needs)) ||
		    (m = opt_once(self, argc, argv, &a, "--sla", &sla)) ||
		    (m = opt_once(self, argc, argv, &a, "--format", &fmt))) {
			if (m < 0) {
				rc = EXIT_USAGE;
				goto done;
			}
			continue;
		}
		rc = usage_error(self, argv[a][0] == '-' ? "unknown option '%s'" :
			"unexpected argument '%s'", argv[a]);
		goto done;
	}
	f.overdue = overdue != NULL;
	/* any template (allowed NULL); the words alone are none: as for
	 * the other commands, --format json is --json and --format text
	 * the table */
	if ((rc = pick_json_format(self, json_flag, &fmt, NULL)))
		goto done;
	json = fmt && !strcmp(fmt, "json");
	if (fmt && (json || !strcmp(fmt, "text")))
		fmt = NULL;
	if (fmt && (rc = check_format(self, NULL, fmt)))
		goto done;
	if (sla && strcmp(sla, "breached") && strcmp(sla, "at-risk")) {
		rc = usage_error(self, "--sla '%s': breached or at-risk", sla);
		goto done;
	}
	if ((rc = open_repo(&repo, ctx)))
		goto done;
	/* the values the schema allows, before any output */
	if ((err = crq_repo_change_schema(&schema, repo)) < 0) {
		rc = report(err);
		goto done;
	}
	for (i = 0; i < nstates && !rc; i++)
		rc = check_value(self, schema, "state", states[i]);
	if (!rc && f.type)
		rc = check_value(self, schema, "type", f.type);
	if (!rc && f.risk)
		rc = check_value(self, schema, "risk", f.risk);
	if (!rc && fmt)
		rc = check_format(self, schema, fmt);
	if (rc)
		goto done;
	if (needs && (err = crq_change_needs(&wanted, repo, needs,
			crq_time_now())) < 0) {
		rc = report(err);
		goto done;
	}
	/* --sla: the changes with a clock in that state now */
	if (sla) {
		crq_node *clocks = NULL;

		if ((err = crq_sla(&clocks, repo, NULL, crq_time_now(),
				!strcmp(sla, "breached") ? CRQ_SLA_BREACHED :
				CRQ_SLA_AT_RISK)) < 0) {
			crq_node_free(wanted);
			wanted = NULL;
			rc = report(err);
			goto done;
		}
		if (!wanted) {
			wanted = crq_node_new(CRQ_NODE_OBJECT);
			for (i = 0; i < clocks->count; i++)
				crq_node_set(wanted, crq_node_get_str(
					clocks->items[i], "change"),
					crq_node_new_bool(1));
		} else {
			/* --needs and --sla: both */
			crq_node *both = crq_node_new(CRQ_NODE_OBJECT);

			for (i = 0; i < clocks->count; i++) {
				const char *id = crq_node_get_str(
					clocks->items[i], "change");

				if (crq_node_get(wanted, id))
					crq_node_set(both, id,
						crq_node_new_bool(1));
			}
			crq_node_free(wanted);
			wanted = both;
		}
		crq_node_free(clocks);
	}
	/* several states: any of them (states ends in NULL) */
	if (nstates == 1)
		f.state = states[0];
	else if (nstates > 1)
		f.states = states;
	/* --needs, --sla: the changes waiting for that member or role */
	f.ids = wanted;
	/* the output as it is made: built on all cores, from the cache
	 * where it can be, without keeping every change */
	if (json) {
		err = crq_change_list_json(repo, &f, &problems, write_stdout,
			&pr.failed);
		if (err == 0)
			err = write_stdout("\n", 1, &pr.failed);
	} else {
		pr.fmt = fmt;
		pr.color = !fmt && use_color(1, repo);
		opts.filter = &f;
		opts.fields = table_fields;
		if (fmt)
			opts.fields = (const char *const *)(fields =
				format_fields(fmt));
		err = crq_change_list_each(repo, &opts, &problems,
			print_change, &pr);
	}
	if (err < 0) {
		rc = pr.failed ? finish(0) : report(err);
		goto done;
	}
	for (i = 0; i < problems.count; i++)
		fprintf(stderr, "%s %s\n", tag("warning"),
			problems.items[i].message);
	if (problems.count)
		fprintf(stderr, "%s %zu change file%s could not be read\n"
			"%s run 'crq validate'\n", tag("warning"),
			problems.count, problems.count == 1 ? "" : "s",
			tag("hint"));
	rc = finish(problems.count ? EXIT_REFUSED : 0);
done:
	for (i = 0; fields && fields[i]; i++)
		free(fields[i]);
	free(fields);
	crq_issues_dispose(&problems);
	crq_buf_dispose(&pr.line);
	crq_node_free(wanted);
	close_repo(repo, ctx);
	free(states);
	return rc;
}
