/*
 * worktree.h - lib-internal: the work tree and index of a checked-out
 * store branch (lib/worktree.c).  A step refuses while a path it
 * writes holds a user's edit (in the file or staged); once the branch
 * has moved it writes the files and their index entries.
 *
 * git's index file is one sorted array of every tracked path (9.6 MB
 * at 100,000 files) that libgit2 parses and writes whole.  Here it is
 * read once, checked against its SHA-1, and written back by copying
 * the bytes of the entries a step leaves alone, so that a step costs
 * the same at 100,000 changes as at 1,000.  Forms this code does not
 * rewrite (split or sparse indexes, an unknown required extension, no
 * index yet) go through libgit2's git_index as before.
 */
#ifndef CRQ_WORKTREE_H
#define CRQ_WORKTREE_H

#include <git2.h>
#include "internal.h"

typedef struct crq_worktree crq_worktree;

/* One file a step (or a batch of steps) writes. */
typedef struct {
	const char *path;	/* repository-relative */
	const char *data;
	size_t len;
	git_oid id;		/* its blob */
	git_oid old;		/* the blob at the base, zero: a new file */
} crq_worktree_file;

/* Read the index of git's work tree workdir (borrowed, as git is).
 * CRQ_ECONFLICT when git's index.lock is held (another git process),
 * CRQ_EREPO when the index is corrupt. */
int crq_worktree__open(crq_worktree **out, git_repository *git,
	const char *workdir);
/* Read the index again if something else rewrote it since. */
int crq_worktree__refresh(crq_worktree *wt);
/* 0 when path is at old in the index and the work tree (old NULL or
 * zero: neither has it), else CRQ_ECONFLICT with a message that says
 * so. */
int crq_worktree__check(crq_worktree *wt, const char *path,
	const git_oid *old);
/* Once the branch holds the files (tree tip, from base; base NULL for
 * a first commit): write them into the work tree and the index, under
 * git's index.lock.  Refuses (CRQ_ECONFLICT, writing nothing) when a
 * path's index entry changed since it was checked.  The cache tree
 * follows tip where it matched base. */
int crq_worktree__update(crq_worktree *wt, const crq_worktree_file *files,
	size_t count, const git_tree *base, const git_tree *tip);
void crq_worktree__free(crq_worktree *wt);

#endif
