/*
 * task.c - crq task add | done | reopen | list
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cmd.h"

static const char *const phases[] = { "design", "prepare", "deploy",
	"verify", NULL };

/* "N" (1-based) or 0 when it is not a task number. */
static size_t task_number(const char *s)
{
	char *end;
	unsigned long n;

	if (!s || *s < '1' || *s > '9')
		return 0;
	n = strtoul(s, &end, 10);
	return *end || n > 100000 ? 0 : (size_t)n;
}

/* The one positional argument (the change) into *slot; an option or a
 * second one is a usage error. */
static int positional(const struct cmd *self, const char *arg,
	const char **slot)
{
	if (arg[0] == '-')
		return usage_error(self, "unknown option '%s'", arg);
	if (*slot)
		return usage_error(self, "unexpected argument '%s'", arg);
	*slot = arg;
	return 0;
}

static int add(const struct cmd *self, int argc, char **argv,
	struct cmd_ctx *ctx)
{
	const char *id = NULL, *title = NULL, *owner = NULL, *due = NULL,
		*phase = NULL, *msg = NULL;
	crq_repo *repo = NULL;
	crq_node *task;
	long long t;
	int a, m, rc, err, i, known;

	for (a = 2; a < argc; a++) {
		if ((m = opt_once(self, argc, argv, &a, "--title", &title)) ||
		    (m = opt_once(self, argc, argv, &a, "--owner", &owner)) ||
		    (m = opt_once(self, argc, argv, &a, "--due", &due)) ||
		    (m = opt_once(self, argc, argv, &a, "--phase", &phase)) ||
		    (m = opt_once(self, argc, argv, &a, "-m", &msg)) ||
		    (m = opt_once(self, argc, argv, &a, "--message", &msg))) {
			if (m < 0)
				return EXIT_USAGE;
			continue;
		}
		if ((rc = positional(self, argv[a], &id)))
			return rc;
	}
	if (!id)
		return usage_error(self, "which change?");
	if (!title || !*title)
		return usage_error(self, "a task needs a title (--title)");
	for (i = 0, known = !phase; phase && phases[i]; i++)
		known |= !strcmp(phase, phases[i]);
	if (!known)
		return usage_error(self, "unknown phase '%s' (valid: design, prepare, deploy, verify)",
			phase);
	if (due && crq_time_parse(due, &t) < 0)
		return usage_error(self, "--due '%s' is not a time (RFC 3339, e.g. 2026-12-01T10:00:00Z)",
			due);
	if ((rc = open_repo(&repo, ctx)))
		return rc;
	task = crq_node_new(CRQ_NODE_OBJECT);
	crq_node_set(task, "title", crq_node_new_cstr(title));
	if (owner)
		crq_node_set(task, "owner", crq_node_new_cstr(owner));
	if (due)
		crq_node_set(task, "due", crq_node_new_cstr(due));
	if (phase)
		crq_node_set(task, "phase", crq_node_new_cstr(phase));
	err = crq_change_task(repo, id, "add", task, 0, msg);
	crq_node_free(task);
	if (err < 0) {
		rc = report(err);
	} else {
		crq_node *doc = NULL;
		const crq_node *tasks;

		if (crq_change_load(&doc, repo, id) == 0 &&
		    (tasks = crq_node_get(doc, "tasks")))
			printf("%s: added task %zu: %s\n", id, tasks->count,
				title);
		crq_node_free(doc);
		fflush(stdout);
		notify_step(repo);
		rc = finish(0);
	}
	close_repo(repo, ctx);
	return rc;
}

static int mark(const struct cmd *self, int argc, char **argv,
	struct cmd_ctx *ctx, const char *op)
{
	const char *id = NULL, *num = NULL, *msg = NULL;
	crq_repo *repo = NULL;
	size_t n;
	int a, m, rc, err;

	for (a = 2; a < argc; a++) {
		if ((m = opt_once(self, argc, argv, &a, "-m", &msg)) ||
		    (m = opt_once(self, argc, argv, &a, "--message", &msg))) {
			if (m < 0)
				return EXIT_USAGE;
			continue;
		}
		if (argv[a][0] == '-')
			return usage_error(self, "unknown option '%s'", argv[a]);
		if (!id)
			id = argv[a];
		else if (!num)
			num = argv[a];
		else
			return usage_error(self, "unexpected argument '%s'",
				argv[a]);
	}
	if (!id || !num)
		return usage_error(self, !id ? "which change?" :
			"which task (its number in crq task list)?");
	if (!(n = task_number(num)))
		return usage_error(self, "'%s' is not a task number", num);
	if ((rc = open_repo(&repo, ctx)))
		return rc;
	err = crq_change_task(repo, id, op, NULL, n, msg);
	if (err < 0) {
		rc = report(err);
	} else {
		printf("%s: task %zu %s\n", id, n, !strcmp(op, "done") ?
			"done" : "reopened");
		fflush(stdout);
		notify_step(repo);
		rc = finish(0);
	}
	close_repo(repo, ctx);
	return rc;
}

/* One task of doc as a line or an object; overdue when not done and
 * past due at now. */
static void one(crq_node *json, crq_buf *text, const crq_node *doc,
	size_t n, const crq_node *t, long long now)
{
	const char *due = crq_node_get_str(t, "due");
	const crq_node *d = crq_node_get(t, "done");
	int done = d && d->kind == CRQ_NODE_BOOL && d->b;
	long long when;
	int late = !done && due && crq_time_parse(due, &when) == 0 &&
		when < now;
	const char *keys[] = { "title", "phase", "owner", "due", "done_by",
		"done_at" };
	size_t i;

	if (json) {
		crq_node *o = crq_node_new(CRQ_NODE_OBJECT);

		crq_node_set(o, "change", crq_node_new_cstr(crq_node_get_str(doc,
			"id")));
		crq_node_set(o, "task", crq_node_new_int((long long)n));
		for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
			if (crq_node_get_str(t, keys[i]))
				crq_node_set(o, keys[i], crq_node_new_cstr(
					crq_node_get_str(t, keys[i])));
		crq_node_set(o, "done", crq_node_new_bool(done));
		crq_node_set(o, "overdue", crq_node_new_bool(late));
		crq_node_push(json, o);
		return;
	}
	crq_buf_printf(text, "%s %3zu [%c] %-8s %s", crq_node_get_str(doc, "id"),
		n, done ? 'x' : ' ', crq_node_get_str(t, "phase") ?
		crq_node_get_str(t, "phase") : "-",
		crq_node_get_str(t, "title"));
	if (crq_node_get_str(t, "owner"))
		crq_buf_printf(text, "  owner %s", crq_node_get_str(t, "owner"));
	if (due)
		crq_buf_printf(text, "  due %s%s", due, late ? " (overdue)" : "");
	if (done && crq_node_get_str(t, "done_by"))
		crq_buf_printf(text, "  done by %s at %s",
			crq_node_get_str(t, "done_by"),
			crq_node_get_str(t, "done_at") ?
			crq_node_get_str(t, "done_at") : "?");
	crq_buf_putc(text, '\n');
}

static int list(const struct cmd *self, int argc, char **argv,
	struct cmd_ctx *ctx)
{
	const char *id = NULL, *at = NULL, *json_flag = NULL;
	int mine = 0, overdue = 0, a, m, rc, err;
	crq_repo *repo = NULL;
	crq_node *docs = NULL, *json = NULL;
	crq_buf text = CRQ_BUF_INIT, me = CRQ_BUF_INIT;
	long long now;
	size_t i, k;

	for (a = 2; a < argc; a++) {
		if ((m = opt_once(self, argc, argv, &a, "--at", &at))) {
			if (m < 0)
				return EXIT_USAGE;
			continue;
		}
		if (!strcmp(argv[a], "--mine") || !strcmp(argv[a], "--overdue") ||
		    !strcmp(argv[a], "--json")) {
			int *flag = argv[a][2] == 'm' ? &mine : argv[a][2] == 'o' ?
				&overdue : NULL;

			if (flag ? *flag : json_flag != NULL)
				return usage_error(self, "option '%s' given twice",
					argv[a]);
			if (flag)
				*flag = 1;
			else
				json_flag = argv[a];
			continue;
		}
		if ((rc = positional(self, argv[a], &id)))
			return rc;
	}
	now = crq_time_now();
	if (at && crq_time_parse(at, &now) < 0)
		return usage_error(self, "--at '%s' is not a time (RFC 3339)", at);
	if ((rc = open_repo(&repo, ctx)))
		return rc;
	if (mine && (err = crq_repo_user_email(&me, repo)) < 0) {
		rc = report(err);
		goto done;
	}
	if (id) {
		crq_node *doc = NULL;

		if ((err = crq_change_load(&doc, repo, id)) < 0) {
			rc = report(err);
			goto done;
		}
		docs = crq_node_new(CRQ_NODE_ARRAY);
		crq_node_push(docs, doc);
	} else if ((err = crq_change_list(&docs, repo, NULL, NULL)) < 0) {
		rc = report(err);
		goto done;
	}
	if (json_flag)
		json = crq_node_new(CRQ_NODE_ARRAY);
	for (i = 0; i < docs->count; i++) {
		const crq_node *doc = docs->items[i];
		const crq_node *tasks = crq_node_get(doc, "tasks");

		for (k = 0; tasks && tasks->kind == CRQ_NODE_ARRAY &&
				k < tasks->count; k++) {
			const crq_node *t = tasks->items[k];
			const crq_node *d = crq_node_get(t, "done");
			const char *due = crq_node_get_str(t, "due");
			long long when;

			if (mine && (!crq_node_get_str(t, "owner") ||
			    strcmp(crq_node_get_str(t, "owner"), me.ptr)))
				continue;
			if (overdue && ((d && d->kind == CRQ_NODE_BOOL && d->b) ||
			    !due || crq_time_parse(due, &when) < 0 ||
			    when >= now))
				continue;
			one(json, &text, doc, k + 1, t, now);
		}
	}
	if (json) {
		crq_json_write(&text, json, 1);
		crq_buf_putc(&text, '\n');
	}
	fputs(crq_buf_cstr(&text), stdout);
	rc = finish(0);
done:
	crq_node_free(docs);
	crq_node_free(json);
	crq_buf_dispose(&text);
	crq_buf_dispose(&me);
	close_repo(repo, ctx);
	return rc;
}

int cmd_task(int argc, char **argv, struct cmd_ctx *ctx)
{
	const struct cmd *self = cmd_find("task");

	if (argc < 2)
		return usage_error(self, "which task command (add, done, reopen, list)?");
	if (!strcmp(argv[1], "add"))
		return add(self, argc, argv, ctx);
	if (!strcmp(argv[1], "done"))
		return mark(self, argc, argv, ctx, "done");
	if (!strcmp(argv[1], "reopen"))
		return mark(self, argc, argv, ctx, "reopen");
	if (!strcmp(argv[1], "list"))
		return list(self, argc, argv, ctx);
	return usage_error(self, "unknown task command '%s'", argv[1]);
}
