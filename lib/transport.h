/*
 * transport.h - fetch and push through the system git, so that every
 * transport git knows works the way it does for git: credential
 * helpers, ~/.ssh/config, proxies, protocol v2, and every hook on the
 * other side (local paths included, which libgit2 serves without any).
 */
#ifndef CRQ_TRANSPORT_H
#define CRQ_TRANSPORT_H

#include "store.h"

/* Run `git --git-dir=GITDIR args...` (CRQ_GIT names another git),
 * stdin from /dev/null; out and err (either may be NULL) get what it
 * printed.  Returns its exit status (0 success), or < 0 when it could
 * not be run (error set). */
int crq_transport__git(crq_repo *repo, crq_buf *out, crq_buf *err,
	const char *const *args);

/* Fetch remote's branch into refs/remotes/REMOTE/BRANCH.  *found = 0
 * when the remote has no such branch (the tracking ref is left alone).
 * A failure is CRQ_EREPO with git's words. */
int crq_transport__fetch(crq_repo *repo, const char *remote,
	const char *branch, int *found);

enum crq_push_result {
	CRQ_PUSH_OK = 0,
	CRQ_PUSH_STALE,		/* the remote moved: fetch and try again */
	CRQ_PUSH_REFUSED,	/* the server or its hook said no: why is set */
	CRQ_PUSH_REFUSED_HERE	/* refused before it left (a pre-push hook) */
};

/* Push commit to remote's branch if and only if the remote branch is
 * still expect (NULL: it must not exist): a compare-and-swap.  why gets
 * git's and the hooks' words on refusal.  < 0 when git failed for
 * another reason (error set). */
int crq_transport__push(crq_repo *repo, const char *remote,
	const char *branch, const git_oid *commit, const git_oid *expect,
	crq_buf *why);

#endif
