/*
 * hook.c - crq hook install | pre-receive | pre-push | pre-commit |
 * pre-merge-commit:
 * git hooks that refuse what crq verify refuses.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "cmd.h"

#define ZERO "0000000000000000000000000000000000000000"
#define MARK "# written by crq hook install"

/* Verify one ref update; prints why it refuses.  Returns an exit code. */
static int check_update(crq_repo *repo, const char *old, const char *new,
	const char *ref)
{
	crq_verify_options opts = CRQ_VERIFY_OPTIONS_INIT;
	crq_verify_result v;
	crq_buf pin = CRQ_BUF_INIT, out = CRQ_BUF_INIT;
	size_t i;
	int err, rc = 0, had, has;

	/* replace refs would show other people's git another history */
	if (!strncmp(ref, "refs/replace/", 13)) {
		fprintf(stderr, "crq: refusing %s: replace refs rewrite what git shows of the history\n",
			ref);
		return EXIT_REFUSED;
	}
	had = strcmp(old, ZERO) ? crq_repo_has_policy(repo, old) : 0;
	if (!strcmp(new, ZERO)) {
		if (had > 0) {
			fprintf(stderr, "crq: refusing to delete %s: it holds a change store\n",
				ref);
			return EXIT_REFUSED;
		}
		return 0;
	}
	has = crq_repo_has_policy(repo, new);
	if (has < 0)
		return report(has);
	if (!has && !had)
		return 0;	/* not a crq branch */
	if (had > 0 && crq_repo_descends(repo, new, old) != 1) {
		fprintf(stderr, "crq: refusing %s: %.10s does not descend from %.10s "
			"(history of a change store is never rewritten)\n",
			ref, new, old);
		return EXIT_REFUSED;
	}
	/* the root pinned at install (or at the first push) judges it:
	 * a re-rooted history does not descend from it */
	if (crq_repo_config(&pin, repo, "crq.trust") < 0) {
		if ((err = crq_repo_pin_trust(&pin, repo, new)) < 0)
			return report(err);
		fprintf(stderr, "crq: pinned the trusted root %.12s (crq.trust)\n",
			pin.ptr);
	}
	opts.rev = new;
	opts.trust = pin.ptr;
	crq_verify_result_init(&v);
	if ((err = crq_verify_run(&v, repo, &opts)) < 0) {
		crq_verify_result_dispose(&v);
		crq_buf_dispose(&pin);
		return report(err);
	}
	for (i = 0; i < v.count; i++)
		violation_text(&out, &v.items[i], "crq: ");
	fputs(crq_buf_cstr(&out), stderr);
	if (v.count) {
		fprintf(stderr, "crq: refusing %s: %zu violation%s in %zu commits checked\n",
			ref, v.count, v.count == 1 ? "" : "s", v.checked);
		rc = EXIT_REFUSED;
	}
	crq_verify_result_dispose(&v);
	crq_buf_dispose(&out);
	crq_buf_dispose(&pin);
	return rc;
}

/* Lines "old new ref" (pre-receive) or "lref lsha rref rsha"
 * (pre-push) on stdin. */
static int updates(struct cmd_ctx *ctx, int push)
{
	crq_repo *repo = NULL;
	char line[1024], a[64], b[64], c[512], d[64];
	int rc, worst = 0;

	if ((rc = open_repo(&repo, ctx)))
		return rc;
	while (fgets(line, sizeof(line), stdin)) {
		if (push) {
			/* named by the remote ref: the one the push updates
			 * (the local one is "(delete)" for a deletion) */
			if (sscanf(line, "%*s %63s %511s %63s", b, c, d) != 3)
				continue;
			rc = check_update(repo, d, b, c);
		} else {
			if (sscanf(line, "%63s %63s %511s", a, b, c) != 3)
				continue;
			rc = check_update(repo, a, b, c);
		}
		if (rc > worst)
			worst = rc;
	}
	close_repo(repo, ctx);
	return worst;
}

static int write_hook(const char *dir, const char *name, const char *exe)
{
	char path[PATH_MAX], head[256];
	FILE *f;
	size_t n;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if ((f = fopen(path, "r"))) {
		n = fread(head, 1, sizeof(head) - 1, f);
		head[n] = '\0';
		fclose(f);
		if (!strstr(head, MARK)) {
			fprintf(stderr, "error: '%s' exists and is not crq's; "
				"add 'crq hook %s' to it yourself\n", path, name);
			return EXIT_REFUSED;
		}
	}
	if (!(f = fopen(path, "w"))) {
		fprintf(stderr, "fatal: cannot write '%s': %s\n", path,
			strerror(errno));
		return EXIT_FAILURE_REPO;
	}
	fprintf(f, "#!/bin/sh\n%s\nexec '%s' hook %s \"$@\"\n", MARK, exe,
		name);
	if (fclose(f) != 0 || chmod(path, 0755) < 0) {
		fprintf(stderr, "fatal: cannot write '%s': %s\n", path,
			strerror(errno));
		return EXIT_FAILURE_REPO;
	}
	printf("installed %s\n", path);
	return 0;
}

/* post-receive: the events of what a push brought to the store's
 * branch, to the channels configured here.  It never fails the push
 * (git has taken it already): problems are warnings. */
static int post_receive(struct cmd_ctx *ctx)
{
	crq_repo *repo = NULL;
	char line[1024], a[64], b[64], c[512];
	int rc;

	if ((rc = open_repo(&repo, ctx)))
		return rc;
	while (fgets(line, sizeof(line), stdin)) {
		crq_events_options opts = CRQ_EVENTS_OPTIONS_INIT;
		crq_node *events = NULL;
		crq_notify_report *r = NULL;
		size_t n = 0, i;

		if (sscanf(line, "%63s %63s %511s", a, b, c) != 3 ||
		    strcmp(c, crq_repo_branch(repo)) ||
		    strspn(b, "0") == strlen(b))
			continue;
		/* a new branch: its whole stream (the sent log keeps what
		 * went out before) */
		opts.since = strspn(a, "0") == strlen(a) ? NULL : a;
		if (crq_events(&events, repo, &opts) < 0 ||
		    crq_notify_send(&r, &n, repo, events) < 0) {
			fprintf(stderr, "warning: crq: no notification sent: %s\n",
				crq_error_last());
		}
		for (i = 0; i < n; i++)
			if (!r[i].ok)
				fprintf(stderr, "warning: crq: notifying %s failed: %s (crq notify retry)\n",
					r[i].channel, r[i].error ? r[i].error :
					"?");
		crq_notify_reports_free(r, n);
		crq_node_free(events);
	}
	close_repo(repo, ctx);
	return 0;
}

static int install(struct cmd_ctx *ctx, int notify)
{
	crq_repo *repo = NULL;
	char exe[PATH_MAX], dir[PATH_MAX];
	ssize_t n;
	int rc;

	if ((rc = open_repo(&repo, ctx)))
		return rc;
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n <= 0) {
		fprintf(stderr, "fatal: cannot find the crq binary\n");
		rc = EXIT_FAILURE_REPO;
		goto done;
	}
	exe[n] = '\0';
	snprintf(dir, sizeof(dir), "%s/hooks", crq_repo_gitdir(repo));
	mkdir(dir, 0777);
	if (!crq_repo_workdir(repo)) {
		crq_buf pin = CRQ_BUF_INIT;

		/* pin the store's root now, when there is one: pushes of a
		 * history that does not descend from it are refused */
		if (crq_repo_config(&pin, repo, "crq.trust") < 0) {
			if (crq_repo_has_policy(repo, crq_repo_branch(repo)) == 1 &&
			    crq_repo_pin_trust(&pin, repo, NULL) == 0)
				printf("pinned the trusted root %s (crq.trust)\n",
					pin.ptr);
			else
				printf("no trusted root pinned yet: '%s' holds no store; the first push of one pins it\n",
					strncmp(crq_repo_branch(repo), "refs/heads/", 11) ?
					crq_repo_branch(repo) :
					crq_repo_branch(repo) + 11);
			crq_error_clear();
		}
		/* git itself refuses trees no checkout may write (.git,
		 * .., ...) and malformed objects, before the hook runs */
		crq_buf_clear(&pin);
		if (crq_repo_config(&pin, repo, "receive.fsckObjects") < 0 &&
		    crq_repo_set_config(repo, "receive.fsckObjects",
				"true") == 0)
			printf("set receive.fsckObjects = true (git refuses malformed objects and paths like .git and ..)\n");
		crq_buf_dispose(&pin);
		rc = write_hook(dir, "pre-receive", exe);
		if (!rc && notify)
			rc = write_hook(dir, "post-receive", exe);
	}
	else if (notify) {
		fprintf(stderr, "error: --notify is for the shared (bare) repository: its post-receive hook tells the channels\n"
			"hint: in a clone, crq notifies after each step it takes\n");
		rc = EXIT_USAGE;
	}
	else if (!(rc = write_hook(dir, "pre-commit", exe)) &&
		 !(rc = write_hook(dir, "pre-merge-commit", exe)))
		rc = write_hook(dir, "pre-push", exe);
	if (!rc)
		rc = finish(0);
done:
	close_repo(repo, ctx);
	return rc;
}

/* The index git commits: GIT_INDEX_FILE when git set it (a temporary
 * one for git commit -a and git commit PATH), as git reads it: relative
 * to the top of the work tree.  NULL for the repository's own. */
static const char *index_file(crq_buf *out, crq_repo *repo)
{
	const char *env = getenv("GIT_INDEX_FILE");
	const char *top = crq_repo_workdir(repo);

	if (!env || !*env)
		return NULL;
	if (env[0] == '/' || !top)
		crq_buf_puts(out, env);
	else
		crq_buf_printf(out, "%s%s%s", top,
			top[strlen(top) - 1] == '/' ? "" : "/", env);
	return out->ptr;
}

/* The change files and policy as they will be committed must be valid. */
static int pre_commit(struct cmd_ctx *ctx)
{
	crq_repo *repo = NULL;
	crq_issues issues;
	crq_buf idx = CRQ_BUF_INIT;
	size_t i, files = 0;
	int rc, err;

	if ((rc = open_repo(&repo, ctx)))
		return rc;
	crq_issues_init(&issues);
	if ((err = crq_validate_index(repo, ctx->datadir,
			index_file(&idx, repo), &issues, &files)) < 0) {
		rc = report(err);
		goto done;
	}
	for (i = 0; i < issues.count; i++)
		fprintf(stderr, "%s\n", issues.items[i].message);
	if (issues.count)
		fprintf(stderr, "crq: commit refused: %zu problem%s in the staged crq files\n",
			issues.count, issues.count == 1 ? "" : "s");
	rc = issues.count ? EXIT_REFUSED : 0;
done:
	crq_issues_dispose(&issues);
	crq_buf_dispose(&idx);
	close_repo(repo, ctx);
	return rc;
}

int cmd_hook(int argc, char **argv, struct cmd_ctx *ctx)
{
	const struct cmd *self = cmd_find("hook");

	if (argc < 2)
		return usage_error(self, "which hook?");
	if (!strcmp(argv[1], "install") && argc == 2)
		return install(ctx, 0);
	if (!strcmp(argv[1], "install") && argc == 3 &&
	    !strcmp(argv[2], "--notify"))
		return install(ctx, 1);
	if (!strcmp(argv[1], "post-receive") && argc == 2)
		return post_receive(ctx);
	if (!strcmp(argv[1], "pre-receive") && argc == 2)
		return updates(ctx, 0);
	if (!strcmp(argv[1], "pre-push")) {
		/* git passes the remote's name and URL */
		int i;

		for (i = 2; i < argc; i++)
			if (argv[i][0] == '-')
				return usage_error(self, "unknown option '%s'",
					argv[i]);
		if (argc > 4)
			return usage_error(self, "too many arguments");
		return updates(ctx, 1);
	}
	if ((!strcmp(argv[1], "pre-commit") ||
	     !strcmp(argv[1], "pre-merge-commit")) && argc == 2)
		return pre_commit(ctx);
	if (!strcmp(argv[1], "pre-commit") || !strcmp(argv[1], "pre-merge-commit") ||
	    !strcmp(argv[1], "install") || !strcmp(argv[1], "pre-receive") ||
	    !strcmp(argv[1], "post-receive"))
		return usage_error(self, "'%s' takes no arguments", argv[1]);
	return usage_error(self, "unknown hook '%s'", argv[1]);
}
