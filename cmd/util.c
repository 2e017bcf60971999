/*
 * util.c - what all commands share: error reporting, help, the editor.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include "cmd.h"

int report(int err)
{
	int code;

	switch (err) {
	case CRQ_EUSAGE:
		code = EXIT_USAGE;
		break;
	case CRQ_EREPO:
	case CRQ_ERROR:
	case CRQ_ESIGN:
		code = EXIT_FAILURE_REPO;
		break;
	default:
		code = EXIT_REFUSED;
	}
	fprintf(stderr, "%s: %s\n", code == EXIT_FAILURE_REPO ? "fatal" :
		"error", crq_error_last());
	return code;
}

int usage_error(const struct cmd *cmd, const char *fmt, ...)
{
	va_list ap;

	if (fmt) {
		fputs("error: ", stderr);
		va_start(ap, fmt);
		vfprintf(stderr, fmt, ap);
		va_end(ap);
		fputc('\n', stderr);
	}
	fprintf(stderr, "usage: %s\n", cmd->usage);
	return EXIT_USAGE;
}

int print_help(const struct cmd *cmd)
{
	printf("usage: %s\n\n%s.\n", cmd->usage, cmd->summary);
	if (cmd->help && *cmd->help)
		printf("\n%s", cmd->help);
	return finish(0);
}

int wants_help(int argc, char **argv)
{
	int i;

	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--"))
			return 0;
		if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help"))
			return 1;
	}
	return 0;
}

int open_repo(crq_repo **out, struct cmd_ctx *ctx)
{
	int err;

	if (ctx->repo) {
		crq_repo_refresh(ctx->repo);
		*out = ctx->repo;
		return 0;
	}
	if ((err = crq_repo_open(out, ".", &ctx->opts)) < 0)
		return report(err);
	if (ctx->keep_repo)
		ctx->repo = *out;
	return 0;
}

void close_repo(crq_repo *repo, struct cmd_ctx *ctx)
{
	if (repo != ctx->repo)
		crq_repo_free(repo);
}

int finish(int code)
{
	if (fflush(stdout) != 0 || ferror(stdout)) {
		fprintf(stderr, "fatal: cannot write to standard output: %s\n",
			strerror(errno));
		return EXIT_FAILURE_REPO;
	}
	return code;
}

int run_editor(crq_repo *repo, const char *path)
{
	crq_buf cfg = CRQ_BUF_INIT;
	const char *ed = getenv("GIT_EDITOR");
	pid_t pid;
	int status, err = 0;

	if ((!ed || !*ed) && crq_repo_config(&cfg, repo, "core.editor") == 0)
		ed = cfg.ptr;
	if (!ed || !*ed)
		ed = getenv("VISUAL");
	if (!ed || !*ed)
		ed = getenv("EDITOR");
	if (!ed || !*ed)
		ed = "vi";
	fflush(stdout);
	pid = fork();
	if (pid < 0) {
		fprintf(stderr, "fatal: cannot start editor: %s\n",
			strerror(errno));
		err = -1;
	} else if (pid == 0) {
		/* as git does: the editor setting is a shell snippet */
		char *script = malloc(strlen(ed) + 8);

		if (!script)
			_exit(127);
		sprintf(script, "%s \"$@\"", ed);
		execl("/bin/sh", "sh", "-c", script, ed, path, (char *)NULL);
		_exit(127);
	} else {
		while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
			;
		if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
			fprintf(stderr, "error: the editor '%s' failed\n", ed);
			err = -1;
		}
	}
	crq_buf_dispose(&cfg);
	return err;
}

static int write_text(const char *path, const char *text, size_t len)
{
	FILE *f = fopen(path, "w");

	if (!f)
		return -1;
	if (fwrite(text, 1, len, f) != len) {
		fclose(f);
		return -1;
	}
	return fclose(f);
}

/* Drop our own "# error:" banner lines from the top of the text. */
static const char *skip_banner(const char *t)
{
	while (!strncmp(t, "# error: ", 9) || !strncmp(t, "# hint: ", 8)) {
		const char *nl = strchr(t, '\n');

		if (!nl)
			return t + strlen(t);
		t = nl + 1;
	}
	return t;
}

int edit_loop(crq_repo *repo, const char *file, const char *initial,
	edit_accept_fn accept, void *payload)
{
	crq_buf text = CRQ_BUF_INIT, shown = CRQ_BUF_INIT;
	int err, code;

	crq_buf_puts(&shown, initial);
	for (;;) {
		if (write_text(file, shown.ptr, shown.size) < 0) {
			fprintf(stderr, "fatal: cannot write '%s': %s\n", file,
				strerror(errno));
			code = EXIT_FAILURE_REPO;
			break;
		}
		if (run_editor(repo, file) < 0) {
			fprintf(stderr, "hint: your text is kept in '%s'\n", file);
			code = EXIT_REFUSED;
			break;
		}
		crq_buf_clear(&text);
		if ((err = crq_buf_read_file(&text, file, CRQ_YAML_MAX_SIZE)) < 0) {
			code = report(err);
			break;
		}
		if (text.size == shown.size &&
		    !memcmp(text.ptr, shown.ptr, text.size) &&
		    !strncmp(shown.ptr, "# error: ", 9)) {
			fprintf(stderr,
				"error: file unchanged after a refusal; giving up\n"
				"hint: your text is kept in '%s'\n", file);
			code = EXIT_REFUSED;
			break;
		}
		/* the banner is a YAML comment: line numbers stay true */
		err = accept(crq_buf_cstr(&text), text.size, payload);
		if (err == CRQ_EINVALID || err == CRQ_EDENIED) {
			/* show the problem and reopen: never lose the text */
			fprintf(stderr, "error: %s\n", crq_error_last());
			crq_buf_clear(&shown);
			crq_buf_printf(&shown, "# error: %s\n", crq_error_last());
			crq_buf_puts(&shown,
				"# hint: fix it and save; save unchanged to give up\n");
			crq_buf_puts(&shown, skip_banner(crq_buf_cstr(&text)));
			continue;
		}
		if (err == 0) {
			unlink(file);
			code = 0;
		} else if (err == EDIT_ABORT) {
			code = EXIT_REFUSED;
		} else {
			code = report(err);
			fprintf(stderr, "hint: your text is kept in '%s'\n", file);
		}
		break;
	}
	crq_buf_dispose(&text);
	crq_buf_dispose(&shown);
	return code;
}

int opt_value(int argc, char **argv, int *i, const char *name,
	const char **out)
{
	const char *a = argv[*i];
	size_t n = strlen(name);

	if (strncmp(a, name, n))
		return 0;
	if (a[n] == '=' && name[1] == '-') {
		*out = a + n + 1;
		return 1;
	}
	if (a[n])
		return 0;
	if (*i + 1 >= argc)
		return -1;
	*out = argv[++*i];
	return 1;
}

void violation_text(crq_buf *out, const crq_violation *x, const char *pre)
{
	crq_buf_printf(out, "%s%s %s %s: %s\n", pre, x->commit,
		x->change ? x->change : "-", x->rule, x->message);
	if (x->hint)
		crq_buf_printf(out, "%shint: %s\n", pre, x->hint);
}

crq_node *violations_json(const crq_verify_result *res)
{
	crq_node *arr = crq_node_new(CRQ_NODE_ARRAY);
	size_t i;

	for (i = 0; i < res->count; i++) {
		const crq_violation *x = &res->items[i];
		crq_node *o = crq_node_new(CRQ_NODE_OBJECT);

		crq_node_set(o, "commit", crq_node_new_cstr(x->commit));
		if (x->change)
			crq_node_set(o, "change", crq_node_new_cstr(x->change));
		crq_node_set(o, "rule", crq_node_new_cstr(x->rule));
		crq_node_set(o, "message", crq_node_new_cstr(x->message));
		if (x->hint)
			crq_node_set(o, "hint", crq_node_new_cstr(x->hint));
		crq_node_push(arr, o);
	}
	return arr;
}

int ci_mode(void)
{
	const char *ci = getenv("CI");

	return ci && *ci && strcmp(ci, "false") && strcmp(ci, "0");
}
