/*
 * batch.c - crq batch: many commands from standard input in one
 * process, one per line, for scripts and imports.  Starting a process
 * costs more than a step itself (libgit2's initialisation alone parses
 * the system's CA bundle), so a batch of steps is much faster.
 *
 * Steps are written in groups (crq_repo_hold_steps): one pack file and
 * one move of the branch for up to GROUP_STEPS of them, instead of
 * five loose objects and a ref update each.  A group is written when
 * it is full or old, before any command that is not a step, and
 * whenever no more input is waiting, so that a script that feeds a line
 * and waits for its answer gets it written.  What the steps print
 * reaches standard output only once they are written: an answer is
 * never given for a step a crash could still lose.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "cmd.h"

#define MAX_ARGS 256
#define GROUP_STEPS 1000
#define GROUP_BYTES ((size_t)64 * 1024 * 1024)
#define GROUP_MS 1000

/* Split line into words: blanks separate, '...' and "..." quote (with
 * \" and \\ inside double quotes).  Returns the count, -1 on an
 * unterminated quote or too many words. */
static int split(char *line, char **argv)
{
	char *r = line, *w = line;
	int n = 0;

	for (;;) {
		while (*r == ' ' || *r == '\t')
			r++;
		if (!*r || *r == '#')
			return n;
		if (n == MAX_ARGS - 1)
			return -1;
		argv[n++] = w;
		while (*r && *r != ' ' && *r != '\t') {
			char q = *r;

			if (q != '\'' && q != '"') {
				*w++ = *r++;
				continue;
			}
			r++;
			while (*r && *r != q) {
				if (q == '"' && *r == '\\' &&
				    (r[1] == '"' || r[1] == '\\'))
					r++;
				*w++ = *r++;
			}
			if (*r != q)
				return -1;
			r++;
		}
		if (*r)
			r++;
		*w++ = '\0';
		argv[n] = NULL;
	}
}

/* Standard input by lines, knowing whether another is already there
 * (stdio's buffer would hide that). */
struct input {
	char *buf;
	size_t start, len, cap;
	int eof;
};

static int fill(struct input *in)
{
	ssize_t n;

	if (in->start) {
		memmove(in->buf, in->buf + in->start, in->len - in->start);
		in->len -= in->start;
		in->start = 0;
	}
	if (in->len + 1 >= in->cap) {
		in->cap = in->cap ? in->cap * 2 : 65536;
		if (!(in->buf = realloc(in->buf, in->cap)))
			return -1;
	}
	do
		n = read(0, in->buf + in->len, in->cap - in->len - 1);
	while (n < 0 && errno == EINTR);
	if (n <= 0) {
		in->eof = 1;
		return n;
	}
	in->len += (size_t)n;
	return 1;
}

/* The next line (without its newline), NULL at the end. */
static char *next_line(struct input *in)
{
	char *nl, *line;

	while (!(nl = in->len > in->start ? memchr(in->buf + in->start,
			'\n', in->len - in->start) : NULL)) {
		if (in->eof || fill(in) <= 0) {
			if (in->start == in->len)
				return NULL;
			nl = in->buf + in->len++;	/* the last line, unended */
			break;
		}
	}
	*nl = '\0';
	line = in->buf + in->start;
	in->start = (size_t)(nl + 1 - in->buf);
	return line;
}

static int input_waiting(const struct input *in)
{
	struct pollfd p = { 0, POLLIN, 0 };

	return in->eof || (in->len > in->start &&
		memchr(in->buf + in->start, '\n', in->len - in->start)) ||
		poll(&p, 1, 0) > 0;
}

/* Commands whose steps may be held: each reads the branch only through
 * the repository handle and writes only steps.  Anything else (a
 * report, crq sync, an editor) runs on the written branch. */
static int may_hold(int n, char **args)
{
	static const char *const steps[] = { "new", "set", "comment", "do",
		"submit", "assess", "approve", "reject", "schedule", "start",
		"complete", "fail", "review", "close", "cancel", NULL };
	int i;

	for (i = 1; i < n; i++)
		if (!strcmp(args[i], "-e") || !strcmp(args[i], "--edit") ||
		    !strcmp(args[i], "-h") || !strcmp(args[i], "--help"))
			return 0;
	if (!strcmp(args[0], "task"))
		return n > 1 && (!strcmp(args[1], "add") ||
			!strcmp(args[1], "done") || !strcmp(args[1], "reopen"));
	for (i = 0; steps[i]; i++)
		if (!strcmp(args[0], steps[i]))
			return 1;
	return 0;
}

/* Standard output held back (fd 1 on a temporary file) while steps
 * are held, then let out in order once they are written. */
struct out {
	int real;		/* standard output, -1 while not held */
	FILE *tmp;
};

static void out_hold(struct out *o)
{
	if (o->real >= 0)
		return;
	fflush(stdout);
	if (!o->tmp && !(o->tmp = tmpfile()))
		return;
	if ((o->real = dup(1)) >= 0 && dup2(fileno(o->tmp), 1) < 0) {
		close(o->real);
		o->real = -1;
	}
}

/* Let what was held out (or drop it: its steps were not written). */
static int out_release(struct out *o, int keep)
{
	char buf[65536];
	size_t n;
	int err = 0;

	if (o->real < 0)
		return 0;
	fflush(stdout);
	dup2(o->real, 1);
	close(o->real);
	o->real = -1;
	rewind(o->tmp);
	while (keep && (n = fread(buf, 1, sizeof(buf), o->tmp)) > 0)
		if (fwrite(buf, 1, n, stdout) != n)
			err = -1;
	rewind(o->tmp);
	if (ftruncate(fileno(o->tmp), 0) < 0)
		err = -1;
	if (fflush(stdout) != 0)
		err = -1;
	return err;
}

static long long now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (long long)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

struct group {
	long first, last;	/* the lines of the steps held */
	long long since;	/* when the first was held */
};

/* Write the steps held; on failure say which lines were lost. */
static int write_group(struct cmd_ctx *ctx, struct out *o, struct group *g)
{
	int err = ctx->repo ? crq_repo_flush(ctx->repo) : 0;

	out_release(o, err == 0);
	if (err < 0) {
		int rc = report(err);

		fprintf(stderr, "error: stdin:%ld-%ld: those steps were not "
			"written; run them again\n", g->first, g->last);
		g->first = 0;
		return rc;
	}
	g->first = 0;
	return 0;
}

int cmd_batch(int argc, char **argv, struct cmd_ctx *ctx)
{
	const struct cmd *self = cmd_find("batch"), *c;
	struct input in = { NULL, 0, 0, 0, 0 };
	struct out out = { -1, NULL };
	struct group g = { 0, 0, 0 };
	char *line, *args[MAX_ARGS];
	long lineno = 0;
	int rc = 0, n, held, holding = 0;
	size_t bytes;

	(void)argv;
	if (argc > 1)
		return usage_error(self, "crq batch reads its commands from stdin");
	crq_global_init();
	/* one repository handle for every line: the policy, schemas and
	 * signing key are read once, not once per step */
	ctx->keep_repo = 1;
	while ((line = next_line(&in))) {
		size_t len = strlen(line);

		lineno++;
		while (len && line[len - 1] == '\r')
			line[--len] = '\0';
		if ((n = split(line, args)) < 0) {
			rc = usage_error(self,
				"stdin:%ld: unterminated quote or too many words",
				lineno);
			break;
		}
		if (n == 0)
			continue;
		if (!(c = cmd_find(args[0])) || c->fn == cmd_batch ||
		    c->fn == cmd_help) {
			rc = usage_error(self,
				"stdin:%ld: '%s' is not a command crq batch runs",
				lineno, args[0]);
			break;
		}
		args[n] = NULL;
		held = holding && may_hold(n, args);
		if (!held) {
			/* it runs on the written branch, its steps unheld */
			if ((rc = write_group(ctx, &out, &g)) != 0)
				break;
			if (holding)
				crq_repo_hold_steps(ctx->repo, 0);
			holding = 0;
		} else {
			out_hold(&out);
		}
		/* as on the command line: CMD -h is its help */
		rc = wants_help(n, args) ? print_help(c) : c->fn(n, args, ctx);
		if (ctx->repo && crq_repo_held(NULL, ctx->repo)) {
			if (!g.first) {
				g.first = lineno;
				g.since = now_ms();
			}
			g.last = lineno;
		}
		if (rc != 0) {
			fprintf(stderr, "error: stdin:%ld: stopped at '%s' (exit %d)\n",
				lineno, args[0], rc);
			break;
		}
		/* the repository is open once a command opened it */
		if (!holding && ctx->repo &&
		    crq_repo_hold_steps(ctx->repo, 1) == 0)
			holding = 1;
		if (!ctx->repo || !crq_repo_held(&bytes, ctx->repo)) {
			out_release(&out, 1);
			continue;
		}
		if (crq_repo_held(NULL, ctx->repo) >= GROUP_STEPS ||
		    bytes >= GROUP_BYTES || now_ms() - g.since >= GROUP_MS ||
		    !input_waiting(&in)) {
			if ((rc = write_group(ctx, &out, &g)) != 0)
				break;
		}
	}
	/* the steps before a failure stand, as they would one by one */
	n = write_group(ctx, &out, &g);
	if (!rc)
		rc = n;
	if (out.tmp)
		fclose(out.tmp);
	free(in.buf);
	crq_repo_free(ctx->repo);
	ctx->repo = NULL;
	ctx->keep_repo = 0;
	crq_global_shutdown();
	return rc ? rc : finish(0);
}
