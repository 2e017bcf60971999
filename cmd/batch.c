/*
 * batch.c - crq batch: many commands from standard input in one
 * process, one per line, for scripts and imports.  Starting a process
 * costs more than a step itself (libgit2's initialisation alone parses
 * the system's CA bundle), so a batch of steps is much faster.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cmd.h"

#define MAX_ARGS 256

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

int cmd_batch(int argc, char **argv, struct cmd_ctx *ctx)
{
	const struct cmd *self = cmd_find("batch"), *c;
	char *line = NULL, *args[MAX_ARGS];
	size_t cap = 0;
	ssize_t len;
	long lineno = 0;
	int rc = 0, n;

	(void)argv;
	if (argc > 1)
		return usage_error(self, "crq batch reads its commands from stdin");
	crq_global_init();
	/* one repository handle for every line: the policy, schemas and
	 * signing key are read once, not once per step */
	ctx->keep_repo = 1;
	while ((len = getline(&line, &cap, stdin)) >= 0) {
		lineno++;
		while (len && (line[len - 1] == '\n' || line[len - 1] == '\r'))
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
		/* as on the command line: CMD -h is its help */
		rc = wants_help(n, args) ? print_help(c) : c->fn(n, args, ctx);
		if (rc != 0) {
			fprintf(stderr, "error: stdin:%ld: stopped at '%s' (exit %d)\n",
				lineno, args[0], rc);
			break;
		}
		fflush(stdout);
	}
	free(line);
	crq_repo_free(ctx->repo);
	ctx->repo = NULL;
	ctx->keep_repo = 0;
	crq_global_shutdown();
	return rc ? rc : finish(0);
}
