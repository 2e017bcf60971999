/*
 * util.c - what all commands share: error reporting, help, the editor.
 */
#include <errno.h>
#include <stdarg.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include "cmd.h"

/* Refused rounds of one edit_loop before it stops and keeps the text. */
#define EDIT_MAX_ROUNDS 5

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
	fprintf(stderr, "%s %s\n", tag(code == EXIT_FAILURE_REPO ? "fatal" :
		"error"), crq_error_last());
	return code;
}

int usage_error(const struct cmd *cmd, const char *fmt, ...)
{
	va_list ap;

	if (fmt) {
		fprintf(stderr, "%s ", tag("error"));
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

int open_policy(crq_repo **out, const crq_node **policy,
	struct cmd_ctx *ctx)
{
	int rc, err;

	if ((rc = open_repo(out, ctx)))
		return rc;
	if ((err = crq_policy_get(policy, *out)) < 0) {
		rc = report(err);
		close_repo(*out, ctx);
		*out = NULL;
		return rc;
	}
	return 0;
}

void close_repo(crq_repo *repo, struct cmd_ctx *ctx)
{
	long long behind = repo ? crq_repo_clock_behind(repo) : 0;

	if (behind)
		fprintf(stderr, "%s your clock is %llds behind the branch; "
			"the step is dated after the steps under it\n",
			tag("warning"), behind);
	if (repo != ctx->repo)
		crq_repo_free(repo);
}

int finish(int code)
{
	if (fflush(stdout) != 0 || ferror(stdout)) {
		/* the pager (or head) quit early: as a write to a closed
		 * pipe ends a program, quietly */
		if (errno == EPIPE)
			die_of_sigpipe();
		fprintf(stderr, "%s cannot write to standard output: %s\n",
			tag("fatal"), strerror(errno));
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

/* Replace path with text through a temporary file: a full disk never
 * leaves the user's text half written, and nothing planted at the
 * temporary path (a link) is written through. */
int write_file_atomic(const char *path, const char *text, size_t len)
{
	crq_buf tmp = CRQ_BUF_INIT;
	int fd, err = -1;

	crq_buf_printf(&tmp, "%s.tmp", path);
	unlink(tmp.ptr);
	fd = open(tmp.ptr, O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC |
		O_NOFOLLOW, 0666);
	if (fd < 0)
		goto done;
	if (write(fd, text, len) != (ssize_t)len) {
		close(fd);
		goto fail;
	}
	if (close(fd) != 0 || rename(tmp.ptr, path) < 0)
		goto fail;
	err = 0;
	goto done;
fail:
	unlink(tmp.ptr);
done:
	crq_buf_dispose(&tmp);
	return err;
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

/* The banner above a refused text: YAML comments, so the line numbers
 * of later errors are those of the file in the editor. */
static void banner(crq_buf *out, const char *why, const char *body)
{
	size_t n;

	do {	/* one comment line for each line of the message */
		n = strcspn(why, "\n");
		if (!strncmp(why, "hint: ", 6))
			crq_buf_printf(out, "# %.*s\n", (int)n, why);
		else
			crq_buf_printf(out, "# error: %.*s\n", (int)n, why);
		why += n + (why[n] == '\n');
	} while (*why);
	crq_buf_puts(out, "# hint: fix it and save; to give up, save it unchanged (kept\n"
		"# hint: for the next edit) or empty the file (dropped)\n");
	crq_buf_puts(out, skip_banner(body));
}

/* The "# error:" lines of a banner on stderr, as "error: ...". */
static void show_banner(const char *t)
{
	while (!strncmp(t, "# error: ", 9) || !strncmp(t, "# hint: ", 8)) {
		size_t skip = t[2] == 'e' ? 9 : 2;
		size_t n = strcspn(t + skip, "\n");

		fprintf(stderr, "%s%.*s\n", skip == 9 ? "error: " : "", (int)n,
			t + skip);
		t += skip + n + (t[skip + n] == '\n');
	}
}

/* Only blank and comment lines: the user emptied the file. */
static int blank_text(const char *t)
{
	for (;;) {
		t += strspn(t, " \t\r");
		if (*t == '#')
			t += strcspn(t, "\n");
		else if (*t && *t != '\n')
			return 0;
		if (!*t)
			return 1;
		t++;
	}
}

/* Stop: the text stays in file with why on top, for the next run. */
static int keep_text(const char *file, const char *why, const char *body)
{
	crq_buf t = CRQ_BUF_INIT;
	int code = EXIT_REFUSED;

	banner(&t, why, body);
	if (write_file_atomic(file, t.ptr, t.size) < 0) {
		fprintf(stderr, "fatal: cannot write '%s': %s\n", file,
			strerror(errno));
		code = EXIT_FAILURE_REPO;
	}
	fprintf(stderr, "hint: your text is kept in '%s'\n", file);
	crq_buf_dispose(&t);
	return code;
}

/* The editor failed: keep what it left unless it is only what crq
 * wrote (nothing of the user's to keep). */
static int editor_failed(const char *file, const char *initial)
{
	crq_buf text = CRQ_BUF_INIT;
	int code = EXIT_REFUSED;

	if (crq_buf_read_file(&text, file, CRQ_YAML_MAX_SIZE) < 0)
		fprintf(stderr, "hint: what the editor left is in '%s'\n", file);
	else if (!strcmp(crq_buf_cstr(&text), initial) ||
		 blank_text(crq_buf_cstr(&text)))
		unlink(file);
	else if (!strncmp(crq_buf_cstr(&text), "# error: ", 9))
		fprintf(stderr, "hint: your text is kept in '%s'\n", file);
	else
		code = keep_text(file, "the editor failed on this text",
			crq_buf_cstr(&text));
	crq_buf_dispose(&text);
	return code;
}

int kept_lock(const char *file)
{
	crq_buf path = CRQ_BUF_INIT;
	int fd;

	crq_buf_printf(&path, "%s.lock", file);
	fd = open(path.ptr, O_CREAT | O_RDWR | O_CLOEXEC | O_NOFOLLOW, 0666);
	if (fd < 0 || flock(fd, LOCK_EX | LOCK_NB) < 0) {
		if (fd >= 0 && errno == EWOULDBLOCK)
			fprintf(stderr, "error: another crq is editing '%s' right now\n"
				"hint: finish that editor first\n", file);
		else
			fprintf(stderr, "fatal: cannot lock '%s': %s\n",
				path.ptr, strerror(errno));
		if (fd >= 0)
			close(fd);
		fd = -1;
	}
	crq_buf_dispose(&path);
	return fd;
}

int kept_kind(const char *file)
{
	struct stat sb;

	if (lstat(file, &sb) < 0)
		return errno == ENOENT ? KEPT_NONE : KEPT_ODD;
	if (!S_ISREG(sb.st_mode))
		return KEPT_ODD;
	return sb.st_size > CRQ_YAML_MAX_SIZE ? KEPT_HUGE : KEPT_TEXT;
}

int edit_loop(crq_repo *repo, const char *file, const char *initial,
	edit_accept_fn accept, void *payload)
{
	crq_buf text = CRQ_BUF_INIT, shown = CRQ_BUF_INIT;
	int err, code, rounds = 0, lock, kind;

	/* one editor per kept file: a second would take over its text */
	if ((lock = kept_lock(file)) < 0)
		return EXIT_REFUSED;
	kind = kept_kind(file);
	if (kind == KEPT_ODD || kind == KEPT_HUGE) {
		fprintf(stderr, "error: '%s' is %s; it is not reopened\n"
			"hint: look at it, then remove it (crq edit ID --discard does)\n",
			file, kind == KEPT_ODD ? "not a regular file" :
			"too large to be a change");
		close(lock);
		return EXIT_REFUSED;
	}
	/* the text of a refused edit is reopened, never replaced unseen */
	if (kind == KEPT_TEXT) {
		if ((err = crq_buf_read_file(&shown, file,
				CRQ_YAML_MAX_SIZE)) < 0) {
			code = report(err);
			goto done;
		}
		fprintf(stderr, "hint: reopening the text kept in '%s'\n", file);
	} else {
		crq_buf_puts(&shown, initial);
	}
	for (;;) {
		if (write_file_atomic(file, crq_buf_cstr(&shown), shown.size) < 0) {
			fprintf(stderr, "fatal: cannot write '%s': %s\n", file,
				strerror(errno));
			code = EXIT_FAILURE_REPO;
			break;
		}
		if (run_editor(repo, file) < 0) {
			code = editor_failed(file, initial);
			break;
		}
		crq_buf_clear(&text);
		if ((err = crq_buf_read_file(&text, file, CRQ_YAML_MAX_SIZE)) < 0) {
			code = report(err);
			if (access(file, F_OK) == 0)
				fprintf(stderr, "hint: your text is in '%s'\n", file);
			else
				fprintf(stderr, "hint: the editor removed '%s'; nothing was committed\n",
					file);
			break;
		}
		if (blank_text(crq_buf_cstr(&text))) {
			unlink(file);
			fprintf(stderr, "aborting: the text is empty\n");
			code = EXIT_REFUSED;
			break;
		}
		if (text.size == shown.size &&
		    !memcmp(text.ptr, shown.ptr, text.size) &&
		    !strncmp(crq_buf_cstr(&shown), "# error: ", 9)) {
			if (!rounds)	/* kept from an earlier run: say why */
				show_banner(shown.ptr);
			fprintf(stderr, "error: file unchanged after a refusal; giving up\n"
				"hint: your text is kept in '%s'\n", file);
			code = EXIT_REFUSED;
			break;
		}
		err = accept(crq_buf_cstr(&text), text.size, payload);
		if (err == CRQ_EINVALID || err == CRQ_EDENIED) {
			/* show the problem and reopen: never lose the text */
			fprintf(stderr, "error: %s\n", crq_error_last());
			crq_buf_clear(&shown);
			banner(&shown, crq_error_last(), crq_buf_cstr(&text));
			if (++rounds < EDIT_MAX_ROUNDS)
				continue;
			/* an editor that never fixes its text must not spin */
			fprintf(stderr, "error: still refused after %d rounds; giving up\n",
				rounds);
			code = keep_text(file, crq_error_last(),
				crq_buf_cstr(&text));
		} else if (err == 0) {
			unlink(file);
			code = 0;
		} else if (err == EDIT_ABORT) {
			unlink(file);	/* the user asked for it */
			code = EXIT_REFUSED;
		} else {
			code = report(err);
			keep_text(file, crq_error_last(), crq_buf_cstr(&text));
		}
		break;
	}
done:
	crq_buf_dispose(&text);
	crq_buf_dispose(&shown);
	close(lock);
	return code;
}

int opt_value(int argc, char **argv, int *i, const char *name,
	const char **out)
{
	const char *a = argv[*i], *v;
	size_t n = strlen(name);
	char c;

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
	/* "--pr --from-review": an option ("-x", "--name", "--") is not
	 * this one's value; "-" (stdin), "-1" or "- item" are, and
	 * --name=-x gives any value */
	v = argv[*i + 1];
	if (v[0] == '-') {
		c = v[1] == '-' ? v[2] : v[1];
		if ((v[1] == '-' && !c) || (c >= 'a' && c <= 'z') ||
		    (c >= 'A' && c <= 'Z'))
			return -1;
	}
	*out = argv[++*i];
	return 1;
}

int opt_once(const struct cmd *self, int argc, char **argv, int *i,
	const char *name, const char **out)
{
	const char *prev = *out;
	int m = opt_value(argc, argv, i, name, out);

	if (m < 0)
		usage_error(self, "option '%s' needs a value", name);
	else if (m > 0 && prev)
		usage_error(self, "option '%s' given twice", name);
	else
		return m;
	return -1;
}

int flag_once(const struct cmd *self, const char *arg, const char *name,
	const char **seen)
{
	if (strcmp(arg, name))
		return 0;
	if (*seen) {
		usage_error(self, "option '%s' given twice", name);
		return -1;
	}
	*seen = arg;
	return 1;
}

int json_flag_only(const struct cmd *self, int argc, char **argv, int from,
	const char **json)
{
	int a, m;

	for (a = from; a < argc; a++) {
		if ((m = flag_once(self, argv[a], "--json", json))) {
			if (m < 0)
				return EXIT_USAGE;
			continue;
		}
		return usage_error(self, argv[a][0] == '-' ?
			"unknown option '%s'" : "unexpected argument '%s'",
			argv[a]);
	}
	return 0;
}

void violation_text(crq_buf *out, const crq_violation *x, const char *pre)
{
	violation_color(out, x, pre, 0);
}

void violation_color(crq_buf *out, const crq_violation *x, const char *pre,
	int color)
{
	crq_buf_puts(out, pre);
	color_put(out, color, SGR_YELLOW, x->commit);
	crq_buf_printf(out, " %s ", x->change ? x->change : "-");
	color_put(out, color, SGR_BOLD_RED, x->rule);
	crq_buf_printf(out, ": %s\n", x->message);
	if (x->hint) {
		crq_buf_puts(out, pre);
		color_put(out, color, SGR_YELLOW, "hint:");
		crq_buf_printf(out, " %s\n", x->hint);
	}
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

void say_pinned(const crq_verify_result *res)
{
	if (res->pinned)
		fprintf(stderr, "crq: pinned the trusted root %.12s on first use "
			"(.git/crq/trust)\n", res->root);
}

int parse_when(const char *text, long long *out, int end_of_day)
{
	char buf[40];
	size_t n = strlen(text);

	/* a date alone: its first (or last) second, UTC */
	if (n == 10 && text[4] == '-' && text[7] == '-') {
		snprintf(buf, sizeof(buf), "%sT%s", text,
			end_of_day ? "23:59:59Z" : "00:00:00Z");
		text = buf;
	}
	return crq_time_parse(text, out);
}

void csv_field(crq_buf *out, const char *s, int last)
{
	const char *p;

	if (!s)
		s = "";
	/* RFC 4180: quote a field holding a comma, quote or line break;
	 * a leading = + - @ would be a formula to a spreadsheet: quoted
	 * behind an apostrophe */
	if (strpbrk(s, ",\"\r\n") || (*s && strchr("=+-@", *s))) {
		crq_buf_putc(out, '"');
		if (*s && strchr("=+-@", *s))
			crq_buf_putc(out, '\'');
		for (p = s; *p; p++) {
			if (*p == '"')
				crq_buf_putc(out, '"');
			crq_buf_putc(out, *p);
		}
		crq_buf_putc(out, '"');
	} else {
		crq_buf_puts(out, s);
	}
	crq_buf_puts(out, last ? "\r\n" : ",");
}

int write_output(crq_repo *repo, const char *path, const crq_buf *text,
	int sign, const char *namespace_)
{
	crq_buf sig = CRQ_BUF_INIT, sigpath = CRQ_BUF_INIT;
	int err;

	if (!path) {
		fwrite(text->ptr ? text->ptr : "", 1, text->size, stdout);
		return 0;
	}
	/* sign first: a key that cannot sign leaves nothing written */
	if (sign && (err = crq_repo_sign(&sig, repo, text->ptr ? text->ptr :
			"", text->size, namespace_)) < 0) {
		crq_buf_dispose(&sig);
		return report(err);
	}
	if (write_file_atomic(path, text->ptr ? text->ptr : "",
			text->size) < 0) {
		fprintf(stderr, "error: cannot write '%s': %s\n", path,
			strerror(errno));
		crq_buf_dispose(&sig);
		return EXIT_FAILURE_REPO;
	}
	if (sign) {
		crq_buf_printf(&sigpath, "%s.sig", path);
		if (write_file_atomic(sigpath.ptr, sig.ptr, sig.size) < 0) {
			fprintf(stderr, "error: cannot write '%s': %s\n",
				sigpath.ptr, strerror(errno));
			unlink(path);
			crq_buf_dispose(&sig);
			crq_buf_dispose(&sigpath);
			return EXIT_FAILURE_REPO;
		}
		fprintf(stderr, "signed: %s (namespace %s)\n", sigpath.ptr,
			namespace_);
	}
	crq_buf_dispose(&sig);
	crq_buf_dispose(&sigpath);
	return 0;
}

void text_safe(crq_buf *text)
{
	size_t i;

	for (i = 0; i < text->size; i++) {
		unsigned char c = (unsigned char)text->ptr[i];
		unsigned char d = i + 2 < text->size ?
			(unsigned char)text->ptr[i + 1] : 0;
		unsigned char e = d ? (unsigned char)text->ptr[i + 2] : 0;

		if ((c < 0x20 && c != '\n' && c != '\r' && c != '\t') ||
		    c == 0x7f)
			text->ptr[i] = '?';
		/* C1 controls (U+0080..U+009F), and what reorders or hides
		 * text: U+200B..U+200F, U+202A..U+202E, U+2066..U+2069 */
		else if (c == 0xc2 && i + 1 < text->size &&
			 (unsigned char)text->ptr[i + 1] >= 0x80 &&
			 (unsigned char)text->ptr[i + 1] <= 0x9f)
			text->ptr[i] = '?', text->ptr[i + 1] = '?';
		else if (c == 0xe2 && ((d == 0x80 && ((e >= 0x8b &&
			 e <= 0x8f) || (e >= 0xaa && e <= 0xae))) ||
			 (d == 0x81 && e >= 0xa6 && e <= 0xa9)))
			memcpy(text->ptr + i, "???", 3);
	}
}

int pick_json_format(const struct cmd *self, const char *json,
	const char **format, const char *const *allowed)
{
	if (json && *format && strcmp(*format, "json"))
		return usage_error(self, "--json and --format %s exclude each other",
			*format);
	if (json)
		*format = "json";
	return pick_format(self, format, allowed);
}

int pick_format(const struct cmd *self, const char **format,
	const char *const *allowed)
{
	crq_buf list = CRQ_BUF_INIT;
	size_t i;
	int rc;

	if (!allowed)	/* any: a template */
		return 0;
	if (!*format) {
		*format = allowed[0];
		return 0;
	}
	for (i = 0; allowed[i]; i++)
		if (!strcmp(*format, allowed[i]))
			return 0;
	for (i = 0; allowed[i]; i++)
		crq_buf_printf(&list, "%s%s", i == 0 ? "" : allowed[i + 1] ?
			", " : " or ", allowed[i]);
	rc = usage_error(self, "unknown format '%s' (--format '%s': %s)",
		*format, *format, list.ptr);
	crq_buf_dispose(&list);
	return rc;
}
