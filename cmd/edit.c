/*
 * edit.c - crq edit ID, crq set ID KEY=VALUE...
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include "cmd.h"

struct edit_state {
	crq_repo *repo;
	const char *id;
	const char *name;
	crq_node *base;		/* the change as the text began from */
	int unchanged;
};

/* The fields that differ between a and b (not the clock), "a, b". */
static void fields_between(crq_buf *out, const crq_node *a,
	const crq_node *b)
{
	const crq_node *side[2] = { a, b };
	size_t i;
	int s;

	for (s = 0; s < 2; s++)
		for (i = 0; i < side[s]->count; i++) {
			const char *f = side[s]->keys[i];
			const crq_node *x = crq_node_get(a, f);
			const crq_node *y = crq_node_get(b, f);

			if (!strcmp(f, "updated") || (s && x))
				continue;
			if ((!x) != (!y) || (x && !crq_node_equal(x, y)))
				crq_buf_printf(out, "%s%s", out->size ? ", " : "",
					f);
		}
}

static int accept_edit(const char *text, size_t len, void *payload)
{
	struct edit_state *st = payload;
	crq_node *doc = NULL;
	int err;

	/* protected fields are checked before the schema: a clearer no */
	if ((err = crq_yaml_load(&doc, text, len, st->name)) < 0 ||
	    (err = crq_change_type_fields(st->repo, doc, st->name)) < 0) {
		crq_node_free(doc);
		return err;
	}
	/* someone else's step since the text began would be undone by
	 * saving it as it is: say what moved, once, and let the user fold
	 * it in */
	{
		crq_node *now = NULL;
		crq_buf moved = CRQ_BUF_INIT;

		if ((err = crq_change_load(&now, st->repo, st->id)) < 0) {
			crq_node_free(doc);
			return err;
		}
		if (st->base && !crq_node_equal(now, st->base)) {
			fields_between(&moved, st->base, now);
			err = crq_error_set(CRQ_ECONFLICT,
				"%s changed while this text was being edited (%s): saving it as it is would undo that\n"
				"hint: fold the change into your text (crq show %s) and save again, or crq edit %s --discard",
				st->id, moved.size ? moved.ptr : "its state",
				st->id, st->id);
		}
		crq_node_free(st->base);
		st->base = now;
		crq_buf_dispose(&moved);
		if (err < 0) {
			crq_node_free(doc);
			return err;
		}
	}
	err = crq_change_update(st->repo, st->id, doc, "edit");
	if (err == CRQ_EEXISTS) {
		/* saved as it was: nothing to commit, nothing to keep */
		st->unchanged = 1;
		err = 0;
	} else if (err == 0) {
		notify_step(st->repo);
	}
	crq_node_free(doc);
	return err;
}

/* .git/CRQ_EDIT_<ID>.yaml: where a refused edit of id is kept. */
static int kept_file(crq_buf *out, crq_repo *repo, const char *id)
{
	crq_buf path = CRQ_BUF_INIT;
	int err;

	/* the id names a file: only an id of this store */
	if ((err = crq_change_path(&path, repo, id)) == 0)
		crq_buf_printf(out, "%s/CRQ_EDIT_%s.yaml",
			crq_repo_gitdir(repo), id);
	crq_buf_dispose(&path);
	return err;
}

/* crq edit ID --discard: drop the kept text, printing it on stdout
 * (the last copy there is) when it is text; nothing kept is not an
 * error.  Whatever is at the path goes: a file too large to reopen, a
 * link (not what it points to), an empty directory. */
static int discard(const char *id, const char *file)
{
	crq_buf text = CRQ_BUF_INIT, base = CRQ_BUF_INIT;
	int err, kind = kept_kind(file), lock;

	if (kind == KEPT_NONE) {
		fprintf(stderr, "%s: no kept text to discard\n", id);
		return finish(0);
	}
	if ((lock = kept_lock(file)) < 0)
		return EXIT_REFUSED;
	if (kind == KEPT_TEXT) {
		if ((err = crq_buf_read_file(&text, file,
				CRQ_YAML_MAX_SIZE)) < 0) {
			close(lock);
			return report(err);
		}
		fwrite(text.ptr, 1, text.size, stdout);
		crq_buf_dispose(&text);
		if ((err = finish(0))) {
			close(lock);
			return err;	/* kept: stdout lost the copy */
		}
	}
	if (unlink(file) < 0 && (errno != EISDIR || rmdir(file) < 0)) {
		fprintf(stderr, "fatal: cannot remove '%s': %s\n", file,
			strerror(errno));
		close(lock);
		return EXIT_FAILURE_REPO;
	}
	crq_buf_printf(&base, "%s.base", file);
	unlink(base.ptr);
	crq_buf_dispose(&base);
	close(lock);
	fprintf(stderr, "%s: dropped %s kept in '%s'\n", id, kind == KEPT_TEXT ?
		"the text" : "what was", file);
	return 0;
}

int cmd_edit(int argc, char **argv, struct cmd_ctx *ctx)
{
	const struct cmd *self = cmd_find("edit");
	struct edit_state st;
	const crq_schema *schema;
	crq_repo *repo = NULL;
	crq_node *doc = NULL;
	crq_buf text = CRQ_BUF_INIT, file = CRQ_BUF_INIT, basefile = CRQ_BUF_INIT;
	const char *id = NULL;
	struct said said;
	int rc, err, i, drop = 0;

	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--discard"))
			drop = 1;
		else if (argv[i][0] == '-')
			return usage_error(self, "unknown option '%s'", argv[i]);
		else if (id)
			return usage_error(self, "too many arguments");
		else
			id = argv[i];
	}
	if (!id)
		return usage_error(self, "which change?");
	if ((rc = open_repo(&repo, ctx)))
		return rc;
	memset(&st, 0, sizeof(st));
	st.repo = repo;
	st.id = id;
	if ((err = kept_file(&file, repo, id)) < 0) {
		rc = report(err);
		goto done;
	}
	if (drop) {
		rc = discard(id, file.ptr);
		goto done;
	}
	/* no editor round for a step that cannot be taken */
	if ((err = crq_repo_need_branch(repo)) < 0) {
		rc = report(err);
		goto done;
	}
	if ((err = crq_change_load(&doc, repo, st.id)) < 0 ||
	    (err = crq_repo_change_schema(&schema, repo)) < 0) {
		rc = report(err);
		goto done;
	}
	crq_change_format(&text, schema, doc);
	st.name = file.ptr;
	crq_buf_printf(&basefile, "%s.base", file.ptr);
	if (kept_kind(file.ptr) == KEPT_NONE) {
		/* refused now: no editor round for nothing */
		if ((err = crq_change_may(repo, id, "edit")) < 0) {
			rc = report(err);
			goto done;
		}
		st.base = crq_node_dup(doc);
	} else {
		/* kept text: judged against the change it began from */
		crq_buf b = CRQ_BUF_INIT;

		if (crq_buf_read_file(&b, basefile.ptr, CRQ_YAML_MAX_SIZE) < 0 ||
		    crq_change_parse(&st.base, repo, b.ptr, b.size,
				basefile.ptr, NULL) < 0) {
			crq_error_clear();
			st.base = crq_node_dup(doc);
		}
		crq_buf_dispose(&b);
	}
	said_before(&said, repo, id);
	rc = edit_loop(repo, file.ptr, text.ptr, accept_edit, &st);
	if (rc && kept_kind(file.ptr) == KEPT_TEXT) {
		/* keep what the kept text began from beside it */
		crq_buf b = CRQ_BUF_INIT;

		crq_change_format(&b, schema, st.base);
		write_file_atomic(basefile.ptr, b.ptr, b.size);
		crq_buf_dispose(&b);
		fprintf(stderr, "hint: 'crq edit %s' reopens it, "
			"'crq edit %s --discard' drops it\n", id, id);
	} else {
		unlink(basefile.ptr);
	}
	if (!rc && st.unchanged) {
		said_dispose(&said);
		fprintf(stderr, "error: %s: nothing to change\n", st.id);
		rc = EXIT_REFUSED;
	} else if (!rc) {
		said_after(&said, repo, st.id);
		rc = finish(0);
	} else {
		said_dispose(&said);
	}
done:
	crq_buf_dispose(&text);
	crq_buf_dispose(&file);
	crq_buf_dispose(&basefile);
	crq_node_free(doc);
	crq_node_free(st.base);
	close_repo(repo, ctx);
	return rc;
}

int cmd_set(int argc, char **argv, struct cmd_ctx *ctx)
{
	const struct cmd *self = cmd_find("set");
	struct said said;
	crq_repo *repo = NULL;
	int rc, err, i;

	if (argc < 3)
		return usage_error(self, argc < 2 ? "which change?" :
			"nothing to set");
	for (i = 1; i < argc; i++)
		if (argv[i][0] == '-')
			return usage_error(self, "unknown option '%s'", argv[i]);
	for (i = 2; i < argc; i++)
		if (!strchr(argv[i], '=') || argv[i][0] == '=' ||
		    strchr(argv[i], '=') - argv[i] > 255)
			return usage_error(self, "'%s' is not KEY=VALUE", argv[i]);
	for (i = 2; i < argc; i++) {
		size_t n = (size_t)(strchr(argv[i], '=') - argv[i]);
		int j;

		for (j = 2; j < i; j++)
			if (!strncmp(argv[j], argv[i], n + 1))
				return usage_error(self, "'%.*s' given twice",
					(int)n, argv[i]);
	}
	if ((rc = open_repo(&repo, ctx)))
		return rc;
	said_before(&said, repo, argv[1]);
	err = crq_change_set(repo, argv[1], (const char *const *)argv + 2,
		(size_t)argc - 2);
	if (err < 0) {
		said_dispose(&said);
		rc = report(err);
	} else {
		said_after(&said, repo, argv[1]);
		fflush(stdout);
		notify_step(repo);
		rc = finish(0);
	}
	close_repo(repo, ctx);
	return rc;
}
