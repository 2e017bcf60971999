/*
 * new.c - crq new [options]: a change from options, a file (-F), another
 * change's plan (--from ID) or the editor.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "cmd.h"

struct new_state {
	crq_repo *repo;
	const char *template_name;
	const char *file;
	crq_buf id;
};

static const char skeleton_help[] =
	"# Describe the new change request.  Lines starting with '#' are\n"
	"# ignored; an empty title aborts.  Other fields you may add:\n"
	"#   owner, services (a list), impact, urgency, risk (low|medium|high),\n"
	"#   justification, implementation_plan, backout_plan, test_plan,\n"
	"#   window: {start: ..., end: ...} (RFC 3339), incident, links\n";

static int accept_new(const char *text, size_t len, void *payload)
{
	struct new_state *st = payload;
	crq_node *fields = NULL;
	const char *title;
	int err;

	if ((err = crq_yaml_load(&fields, text, len, st->file)) < 0 ||
	    (err = crq_change_type_fields(st->repo, fields, st->file)) < 0)
		goto done;
	if (fields->kind == CRQ_NODE_NULL ||
	    (fields->kind == CRQ_NODE_OBJECT &&
	     (!(title = crq_node_get_str(fields, "title")) || !*title))) {
		err = EDIT_ABORT;
		fprintf(stderr, "aborting: the title is empty\n");
		goto done;
	}
	err = crq_change_create(&st->id, st->repo, fields, st->template_name);
done:
	crq_node_free(fields);
	return err;
}

static void set_string(crq_node *fields, const char *key, const char *val)
{
	crq_node_set(fields, key, crq_node_new_cstr(val));
}

int cmd_new(int argc, char **argv, struct cmd_ctx *ctx)
{
	const struct cmd *self = cmd_find("new");
	struct new_state st;
	crq_repo *repo = NULL;
	crq_change_plan plan;
	crq_node *fields = NULL, *svc = NULL, *input = NULL;
	crq_buf text = CRQ_BUF_INIT, file = CRQ_BUF_INIT, body = CRQ_BUF_INIT;
	const char **sets = calloc((size_t)argc + 1, sizeof(char *));
	const char *from = NULL, *source = NULL, *given_template = NULL, *v,
		*window = NULL, *name;
	const char *title = NULL, *type = NULL, *impact = NULL,
		*urgency = NULL, *risk = NULL;
	size_t nsets = 0, i;
	int a, m, rc = 0, err, edit = 0;

	memset(&st, 0, sizeof(st));
	crq_buf_init(&st.id);
	crq_change_plan_init(&plan);
	for (a = 1; a < argc; a++) {
		if (!strcmp(argv[a], "-e") || !strcmp(argv[a], "--edit")) {
			if (edit) {
				rc = usage_error(self, "option '%s' given twice",
					argv[a]);
				goto done;
			}
			edit = 1;
			continue;
		}
#define OPT(name, dst) \
		if ((m = opt_once(self, argc, argv, &a, name, dst)) < 0) { \
			rc = EXIT_USAGE; \
			goto done; \
		} else if (m) \
			continue;
		OPT("--title", &title)
		OPT("--type", &type)
		OPT("--impact", &impact)
		OPT("--urgency", &urgency)
		OPT("--risk", &risk)
		OPT("--window", &window)
		OPT("--template", &given_template)
		OPT("--file", &from)
		OPT("-F", &from)
		OPT("--from", &source)
		if ((m = opt_value(argc, argv, &a, "--service", &v)) > 0) {
			if (!svc)
				svc = crq_node_new(CRQ_NODE_ARRAY);
			crq_node_push(svc, crq_node_new_cstr(v));
			continue;
		}
		if (m == 0 && (m = opt_value(argc, argv, &a, "--set", &v)) > 0) {
			const char *eq = strchr(v, '=');

			if (!eq || eq == v || eq - v > 255) {
				rc = usage_error(self, "--set '%.60s' is not KEY=VALUE",
					v);
				goto done;
			}
			sets[nsets++] = v;
			continue;
		}
#undef OPT
		if (m < 0) {
			rc = usage_error(self, "option '%s' needs a value", argv[a]);
			goto done;
		}
		rc = usage_error(self, argv[a][0] == '-' ? "unknown option '%s'" :
			"unexpected argument '%s'", argv[a]);
		goto done;
	}
	if (from && source) {
		rc = usage_error(self, "--from and --file cannot be combined");
		goto done;
	}
	if ((rc = open_repo(&repo, ctx)))
		goto done;
	/* before any editor or input: a step needs a branch */
	if ((err = crq_repo_need_branch(repo)) < 0) {
		rc = report(err);
		goto done;
	}
	st.repo = repo;
	if (source) {
		if ((err = crq_change_plan_load(&plan, repo, source)) < 0) {
			rc = report(err);
			goto done;
		}
	} else if (from) {
		name = strcmp(from, "-") ? from : "<stdin>";
		if ((err = crq_buf_read_file(&text, from, CRQ_YAML_MAX_SIZE)) < 0 ||
		    (err = crq_yaml_load(&input, text.ptr, text.size,
				name)) < 0 ||
		    (input->kind == CRQ_NODE_OBJECT &&
		     (err = crq_change_type_fields(repo, input, name)) < 0)) {
			rc = report(err);
			goto done;
		}
		if (input->kind != CRQ_NODE_OBJECT) {
			fprintf(stderr, "error: %s: expected a mapping of change fields\n",
				name);
			rc = EXIT_REFUSED;
			goto done;
		}
		/* crq show's output holds what crq sets: left out, said */
		if ((err = crq_change_plan_of(&plan, input,
				CRQ_PLAN_INPUT)) < 0) {
			rc = report(err);
			goto done;
		}
		if (plan.dropped->count) {
			fputs("note: dropped fields crq sets itself: ", stderr);
			for (i = 0; i < plan.dropped->count; i++)
				fprintf(stderr, "%s%s", i ? ", " : "",
					plan.dropped->items[i]->str);
			fputc('\n', stderr);
		}
	} else {
		plan.fields = crq_node_new(CRQ_NODE_OBJECT);
	}
	fields = plan.fields;
	if (title)
		set_string(fields, "title", title);
	if (type)
		set_string(fields, "type", type);
	if (impact)
		set_string(fields, "impact", impact);
	if (urgency)
		set_string(fields, "urgency", urgency);
	if (risk)
		set_string(fields, "risk", risk);
	if (svc) {
		crq_node_set(fields, "services", svc);
		svc = NULL;
	}
	if (window) {
		const char *slash = strchr(window, '/');
		crq_node *w;

		if (!slash || slash == window || !slash[1]) {
			rc = usage_error(self, "--window wants START/END, not '%s'",
				window);
			goto done;
		}
		w = crq_node_new(CRQ_NODE_OBJECT);
		crq_node_set(w, "start", crq_node_new_string(window,
			(size_t)(slash - window)));
		crq_node_set(w, "end", crq_node_new_cstr(slash + 1));
		crq_node_set(fields, "window", w);
	}
	for (i = 0; i < nsets; i++)
		if ((err = crq_change_assign(repo, fields, sets[i])) < 0) {
			rc = report(err);
			goto done;
		}
	st.template_name = crq_change_plan_template(&plan, given_template);
	if (!crq_node_get(fields, "title") && !edit && !st.template_name &&
	    !(isatty(0) && isatty(1))) {
		rc = usage_error(self, "a title is required (--title)");
		goto done;
	}
	if (edit || (!crq_node_get(fields, "title") && !st.template_name)) {
		if (!crq_node_get(fields, "title"))
			crq_node_set(fields, "title", crq_node_new_cstr(""));
		crq_yaml_emit(&body, fields);
		crq_buf_puts(&body, skeleton_help);
		crq_buf_printf(&file, "%s/CRQ_NEW.yaml", crq_repo_gitdir(repo));
		st.file = file.ptr;
		rc = edit_loop(repo, file.ptr, body.ptr, accept_new, &st);
		if (rc && access(file.ptr, F_OK) == 0)
			fprintf(stderr, "hint: 'crq new --edit' reopens it; "
				"empty the file there to drop it\n");
		if (rc)
			goto done;
	} else if ((err = crq_change_create(&st.id, repo, fields,
			st.template_name)) < 0) {
		rc = report(err);
		goto done;
	}
	printf("%s\n", st.id.ptr);
	fflush(stdout);
	notify_step(repo);
	rc = finish(0);
done:
	crq_buf_dispose(&st.id);
	crq_buf_dispose(&text);
	crq_buf_dispose(&file);
	crq_buf_dispose(&body);
	crq_change_plan_dispose(&plan);
	crq_node_free(input);
	crq_node_free(svc);
	close_repo(repo, ctx);
	free(sets);
	return rc;
}
