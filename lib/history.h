/*
 * history.h - lib-internal: the history index (DESIGN §9), from a change
 * id to the commits that concern it, so that reading a change's history
 * (crq log, the editors a decision must not come from) costs the
 * change's own steps, not the length of the store's history.
 *
 * The index lives in the cache (lib/cache.h), one entry per commit,
 * keyed by the commit and computed from it and its ancestors only:
 * content-addressed, so never stale, only missing, and
 * any number of processes may add to it at once.  An entry holds the
 * commit's first-parent depth, its first parent, a skip pointer (the
 * first-parent ancestor at depth d - lowbit(d), a Fenwick tree over
 * the chain), what its trailers name and, for a merge, which changes
 * the commits on its side name (those its other parents reach and its
 * first does not: what a walk down the first parents would miss); an
 * entry whose skip range is
 * long also holds hashes of everything named in that range, so a
 * search skips the ranges that cannot hold what it looks for.
 */
#ifndef CRQ_HISTORY_H
#define CRQ_HISTORY_H

#include <git2.h>
#include "store.h"

/* The trailers as crq log reads them: the last Crq-Change, Crq-Action,
 * Crq-From and Crq-To of a message (NULL when absent). */
typedef struct {
	const char *change, *action, *from, *to;
} crq_log_trailers;

/* Read them from message; they point into tr, which the caller frees
 * with git_message_trailer_array_free(). */
void crq_history__trailers(crq_log_trailers *out,
	git_message_trailer_array *tr, const char *message);

typedef struct crq_history crq_history;

/* Open repo's history index; NULL when the cache is off. */
crq_history *crq_history__open(crq_repo *repo);
/* Write what was indexed (best effort: skipped when another process
 * is writing) and free h; h may be NULL. */
void crq_history__close(crq_history *h);

/* Called for a commit the index found; back is the number of
 * first-parent steps from the search's start to it.  Returns 0 to go
 * on, > 0 to stop the search, < 0 on error. */
typedef int (*crq_history_fn)(const git_oid *commit,
	unsigned long long back, void *payload);

/*
 * Call fn, newest first, for the commits on from's first-parent chain
 * (from included) that may concern change id: those whose trailers name
 * id (crq_history__names) and, with sides, the merges whose side names
 * it (crq_history__side_names).  A few others may come too with sides
 * (a hash that collides, a side that names too many changes to list),
 * the same crq_history__side_names finds: fn checks each commit.
 * The part of the chain not yet indexed is indexed first, as far back
 * as the first commit that is.
 *
 * Returns what fn returned to stop, or 0 at the end of the chain.  A
 * part of the index lost (a cache file that failed its checksum) is
 * rebuilt on the way, fn seeing each commit once.  < 0 when fn failed
 * or the index could not answer even so (the history cannot be read):
 * then the caller reads the history itself, as if there were no index.
 */
int crq_history__each(crq_history *h, const git_oid *from, const char *id,
	int sides, crq_history_fn fn, void *payload);

/* Does c's message name change id, as crq_history__trailers (the last
 * of each trailer) or crq_commit__trailers (the first) reads it, with
 * a Crq-Action?  1 or 0. */
int crq_history__names(git_commit *c, const char *id);

/*
 * Set *hit when the side of merge m (the commits its other parents
 * reach and its first does not, as git log p1..p2) may hold a commit
 * that names change id (crq_history__names): yes, or a side too long
 * to list, or a hash that collides, exactly as the index answers.
 * 0, or < 0 when the history cannot be read.  Costs a walk of the side.
 */
int crq_history__side_names(int *hit, crq_repo *repo, git_commit *m,
	const char *id);

/*
 * How commit id is signed, from the commit alone: CRQ_SIGNER_NONE (no
 * signature), CRQ_SIGNER_BAD (one that does not verify, or more than
 * one signature header) or CRQ_SIGNER_KEY, with key the public key
 * ("type base64") that made it.  Who holds that key is the policy's
 * business, so the answer never goes stale and, with h (which may be
 * NULL), is kept in the cache: a long history is verified once.
 * < 0 when the commit cannot be read.
 */
enum { CRQ_SIGNER_NONE, CRQ_SIGNER_BAD, CRQ_SIGNER_KEY };
int crq_history__signer(crq_buf *key, crq_history *h, const git_oid *id,
	git_repository *git);

#endif
