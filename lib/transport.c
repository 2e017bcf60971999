/*
 * transport.c - fetch and push with the system git (see transport.h).
 * Objects and refs of the store are still written with libgit2; git
 * only moves them between repositories.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "transport.h"

int crq_transport__git(crq_repo *repo, crq_buf *out, crq_buf *err,
	const char *const *args)
{
	const char *git = getenv("CRQ_GIT");
	crq_buf gd = CRQ_BUF_INIT, wt = CRQ_BUF_INIT;
	const char **argv;
	size_t n = 0, i, k = 0;
	int po[2] = { -1, -1 }, pe[2] = { -1, -1 }, status = 0, rc;
	pid_t pid;

	if (!git || !*git)
		git = "git";
	while (args[n])
		n++;
	argv = crq__calloc(n + 5, sizeof(*argv));
	crq_buf_printf(&gd, "--git-dir=%s", repo->gitdir);
	argv[k++] = git;
	argv[k++] = gd.ptr;
	if (repo->workdir) {
		crq_buf_printf(&wt, "--work-tree=%s", repo->workdir);
		argv[k++] = wt.ptr;
	}
	for (i = 0; i < n; i++)
		argv[k++] = args[i];
	argv[k] = NULL;
	if (pipe2(po, O_CLOEXEC) < 0 || pipe2(pe, O_CLOEXEC) < 0) {
		rc = crq_error__set(CRQ_ERROR, "cannot run git: %s",
			strerror(errno));
		goto done;
	}
	fflush(NULL);
	if ((pid = fork()) < 0) {
		rc = crq_error__set(CRQ_ERROR, "cannot run git: %s",
			strerror(errno));
		goto done;
	}
	if (pid == 0) {
		int null = open("/dev/null", O_RDONLY);

		if (null >= 0)
			dup2(null, 0);
		dup2(po[1], 1);
		dup2(pe[1], 2);
		if (chdir(repo->workdir ? repo->workdir : repo->gitdir) < 0)
			_exit(127);
		/* the command line names the repository; nothing else may */
		unsetenv("GIT_DIR");
		unsetenv("GIT_WORK_TREE");
		unsetenv("GIT_INDEX_FILE");
		unsetenv("GIT_OBJECT_DIRECTORY");
		unsetenv("GIT_ALTERNATE_OBJECT_DIRECTORIES");
		signal(SIGPIPE, SIG_DFL);
		execvp(git, (char *const *)argv);
		fprintf(stderr, "cannot run %s: %s\n", git, strerror(errno));
		_exit(127);
	}
	close(po[1]);
	close(pe[1]);
	po[1] = pe[1] = -1;
	for (;;) {
		struct pollfd fds[2];
		int nf = 0;

		if (po[0] >= 0) {
			fds[nf].fd = po[0];
			fds[nf++].events = POLLIN;
		}
		if (pe[0] >= 0) {
			fds[nf].fd = pe[0];
			fds[nf++].events = POLLIN;
		}
		if (!nf)
			break;
		if (poll(fds, (nfds_t)nf, -1) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		for (i = 0; i < (size_t)nf; i++) {
			int *fd = fds[i].fd == po[0] ? &po[0] : &pe[0];
			char chunk[4096];
			ssize_t got;

			if (!(fds[i].revents & (POLLIN | POLLHUP | POLLERR)))
				continue;
			got = read(*fd, chunk, sizeof(chunk));
			if (got > 0) {
				crq_buf *to = *fd == po[0] ? out : err;

				if (to)
					crq_buf_put(to, chunk, (size_t)got);
			} else if (got == 0 || errno != EINTR) {
				close(*fd);
				*fd = -1;
			}
		}
	}
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (WIFEXITED(status) && WEXITSTATUS(status) == 127 && err &&
	    strstr(crq_buf_cstr(err), "cannot run ")) {
		rc = crq_error__set(CRQ_ERROR, "%s",
			crq_buf_cstr(err));
		goto done;
	}
	rc = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
done:
	if (po[0] >= 0)
		close(po[0]);
	if (pe[0] >= 0)
		close(pe[0]);
	if (po[1] >= 0)
		close(po[1]);
	if (pe[1] >= 0)
		close(pe[1]);
	free(argv);
	crq_buf_dispose(&gd);
	crq_buf_dispose(&wt);
	return rc;
}

/* git's own words, one line: the last "fatal:"/"error:" line, or the
 * last line. */
static void last_words(crq_buf *out, const char *text)
{
	const char *best = NULL, *p = text, *line_end;

	while (p && *p) {
		line_end = strchr(p, '\n');
		if (!strncmp(p, "fatal:", 6) || !strncmp(p, "error:", 6) ||
		    !best)
			best = p;
		if (!line_end)
			break;
		p = line_end + 1;
	}
	if (best)
		crq_buf_put(out, best, strcspn(best, "\n"));
}

/*
 * git fetch killed while it updated the tracking ref leaves its lock, and
 * every fetch after it fails.  A lock of ours (inside our git dir, a
 * remote-tracking ref) that has not changed for two seconds is stale: git
 * holds such a lock for the time of a rename.  Returns 1 when it removed
 * the lock named in git's message.
 */
static int stale_fetch_lock(crq_repo *repo, const char *msg)
{
	const char *p = strstr(msg, "Unable to create '"), *e;
	crq_buf path = CRQ_BUF_INIT, remotes = CRQ_BUF_INIT;
	struct stat a, b;
	int removed = 0;

	if (!p)
		return 0;
	p += 18;
	if (!(e = strstr(p, ".lock'")))
		return 0;
	crq_buf_put(&path, p, (size_t)(e - p) + 5);
	crq_buf_printf(&remotes, "%s/refs/remotes/", repo->gitdir);
	if (!strncmp(path.ptr, remotes.ptr, remotes.size) &&
	    !strstr(path.ptr, "/../") && lstat(path.ptr, &a) == 0 &&
	    S_ISREG(a.st_mode)) {
		if (time(NULL) - a.st_mtime < 2)
			sleep(2);
		if (lstat(path.ptr, &b) == 0 && b.st_mtime == a.st_mtime &&
		    b.st_ino == a.st_ino && unlink(path.ptr) == 0)
			removed = 1;
	}
	crq_buf_dispose(&path);
	crq_buf_dispose(&remotes);
	return removed;
}

int crq_transport__fetch(crq_repo *repo, const char *remote,
	const char *branch, int *found)
{
	crq_buf spec = CRQ_BUF_INIT, err = CRQ_BUF_INIT, why = CRQ_BUF_INIT;
	const char *args[8];
	int rc, tries;

	*found = 1;
	crq_buf_printf(&spec, "+refs/heads/%s:refs/remotes/%s/%s", branch,
		remote, branch);
	args[0] = "fetch";
	args[1] = "--quiet";
	args[2] = "--no-tags";
	args[3] = "--no-write-fetch-head";
	args[4] = remote;
	args[5] = spec.ptr;
	args[6] = NULL;
	rc = crq_transport__git(repo, NULL, &err, args);
	for (tries = 0; rc > 0 && tries < 5; tries++) {
		if (stale_fetch_lock(repo, crq_buf_cstr(&err)))
			;	/* a killed fetch's lock: gone now */
		else if (strstr(crq_buf_cstr(&err), "cannot lock ref"))
			usleep(200 * 1000);	/* another git moved it: again */
		else
			break;
		crq_buf_clear(&err);
		rc = crq_transport__git(repo, NULL, &err, args);
	}
	if (rc > 0) {
		if (strstr(err.ptr ? err.ptr : "", "couldn't find remote ref")) {
			*found = 0;
			rc = 0;
		} else {
			last_words(&why, crq_buf_cstr(&err));
			rc = crq_error__set(CRQ_EREPO,
				"cannot fetch from '%s': %s", remote,
				why.size ? why.ptr : "git fetch failed");
		}
	}
	crq_buf_dispose(&spec);
	crq_buf_dispose(&err);
	crq_buf_dispose(&why);
	return rc;
}

int crq_transport__push(crq_repo *repo, const char *remote,
	const char *branch, const git_oid *commit, const git_oid *expect,
	crq_buf *why)
{
	crq_buf spec = CRQ_BUF_INIT, lease = CRQ_BUF_INIT, out = CRQ_BUF_INIT,
		err = CRQ_BUF_INIT;
	const char *args[8], *p;
	int rc;

	crq_buf_printf(&spec, "%s:refs/heads/%s", git_oid_tostr_s(commit),
		branch);
	/* the lease makes the push a compare-and-swap on the remote ref */
	crq_buf_printf(&lease, "--force-with-lease=refs/heads/%s:%s", branch,
		expect ? git_oid_tostr_s(expect) : "");
	args[0] = "push";
	args[1] = "--porcelain";
	args[2] = lease.ptr;
	args[3] = remote;
	args[4] = spec.ptr;
	args[5] = NULL;
	rc = crq_transport__git(repo, &out, &err, args);
	if (rc < 0)
		goto done;
	/* what git says of the ref counts, not its exit status alone: a
	 * pushed ref whose tracking ref could not be updated here still
	 * landed */
	for (p = crq_buf_cstr(&out); p && *p; p = strchr(p, '\n') ?
			strchr(p, '\n') + 1 : NULL)
		if (strchr(" +*=", p[0]) && p[0] && p[1] == '\t' &&
		    !strncmp(p + 2 + strcspn(p + 2, ":\t"), ":refs/heads/", 12)) {
			rc = CRQ_PUSH_OK;
			goto done;
		}
	if (rc == 0) {
		rc = CRQ_PUSH_OK;
		goto done;
	}
	/* "!\tSRC:DST\t[rejected] (stale info)" and its kin */
	for (p = crq_buf_cstr(&out); (p = strstr(p, "!\t")); p++) {
		const char *eol = p + strcspn(p, "\n");

		size_t len = (size_t)(eol - p);

		/* someone else's push won the race for the ref */
		if (memmem(p, len, "stale info", 10) ||
		    memmem(p, len, "fetch first", 11) ||
		    memmem(p, len, "non-fast-forward", 16) ||
		    memmem(p, len, "failed to update ref", 20) ||
		    memmem(p, len, "failed to lock", 14)) {
			rc = CRQ_PUSH_STALE;
			goto done;
		}
	}
	/* anything else said no: the hooks' own words, then git's */
	for (p = crq_buf_cstr(&err); *p; ) {
		size_t len = strcspn(p, "\n");

		if (len && strncmp(p, "To ", 3) &&
		    strncmp(p, "error: failed to push", 21))
			crq_buf_printf(why, "%.*s\n", (int)len, p);
		p += len + (p[len] == '\n');
	}
	for (p = crq_buf_cstr(&out); (p = strstr(p, "!\t")); p++)
		crq_buf_printf(why, "%.*s\n", (int)strcspn(p + 2, "\n"),
			p + 2);
	if (!why->size)
		crq_buf_printf(why, "git push exited with %d\n", rc);
	/* the other side speaks as "remote:" and rejects as "[remote
	 * rejected]"; a refusal without either came from this side */
	rc = strstr(crq_buf_cstr(&out), "remote rejected") ||
		strstr(crq_buf_cstr(&err), "remote: ") ? CRQ_PUSH_REFUSED :
		CRQ_PUSH_REFUSED_HERE;
done:
	crq_buf_dispose(&spec);
	crq_buf_dispose(&lease);
	crq_buf_dispose(&out);
	crq_buf_dispose(&err);
	return rc;
}
