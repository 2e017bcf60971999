/*
 * crq/sync.h - sharing a store through a remote.
 * Conventions: see crq.h.
 */
#ifndef CRQ_PUBLIC_SYNC_H
#define CRQ_PUBLIC_SYNC_H

#include "crq/store.h"

/* ------------------------------------------------------------------ */
/* Sharing a store. */

/*
 * Share the store through remote (e.g. "origin"; NULL: origin).  git
 * fetches and pushes, so every transport and every hook there works as
 * for git push.  When only the remote moved, take it; when only the
 * branch did, push it; when both did, replay the local crq steps on the
 * remote tip as the user's own again (re-checked by the rule engine,
 * re-signed; never someone else's step): a decision only onto the
 * content it decided on, an edit only where upstream did not change the
 * same field, a policy step as the operation it was (a conflict names
 * both steps); a new change whose id was taken upstream gets the next
 * free id.  The push is a compare-and-swap on the remote branch, tried
 * again when someone pushed first; the branch and the work tree move
 * after it, by compare-and-swap, touching only paths that changed, and
 * never past an uncommitted edit (refused, naming the file).
 *
 * The local steps are recorded under refs/crq/sync/BRANCH and the
 * progress in .git/crq/sync-state before anything moves: a sync cut
 * short is finished by the next one.  A step that no longer applies
 * stops the sync with nothing pushed and the branch as it was; then
 * CRQ_SYNC_CONTINUE tries again, CRQ_SYNC_SKIP drops that step (it stays
 * under the crq ref) and goes on, CRQ_SYNC_ABORT forgets the sync.
 * What happened is appended to report, a line each.
 */
typedef enum {
	CRQ_SYNC_RUN = 0,
	CRQ_SYNC_CONTINUE,
	CRQ_SYNC_SKIP,
	CRQ_SYNC_ABORT
} crq_sync_mode;

int crq_sync_run(crq_buf *report, crq_repo *repo, const char *remote,
	crq_sync_mode mode);
/* crq_sync_run(report, repo, remote, CRQ_SYNC_RUN). */
int crq_sync(crq_buf *report, crq_repo *repo, const char *remote);

#endif
