/*
 * crq/sync.h - sharing a store through a remote.
 * Conventions: see crq.h.
 */
#ifndef CRQ_PUBLIC_SYNC_H
#define CRQ_PUBLIC_SYNC_H

#include "crq/node.h"
#include "crq/store.h"

#ifdef __cplusplus
extern "C" {
#endif

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

/*
 * crq_sync_run (report may be NULL), and what the sync did as data:
 * *out (when out is not NULL) gets an object with every key below
 * always there (null when it did not happen), also when the sync
 * failed (then it says what was done before it stopped):
 *   remote, branch       the remote and the branch shared
 *   resumed              null, "stopped" or "interrupted": a journal of
 *                        an earlier sync was found and taken up
 *   landed               the commit of an earlier sync's push found on
 *                        the remote (the branch was brought there)
 *   fetched              {ref, tip}: the remote-tracking ref fetched and
 *                        the remote's tip (null: no such branch there)
 *   local                the branch's tip when fetched
 *   outcome              up-to-date, pushed (only the branch had moved),
 *                        fast-forwarded (only the remote had), replayed
 *                        (both: the local steps replayed on the remote's
 *                        tip), landed, aborted, stopped (a step no longer
 *                        applies), refused (the push), failed
 *   fast_forward         {from, to, steps}
 *   steps                [{commit, action, change, outcome (replayed,
 *                        dropped, skipped, stopped), reason, renumbered
 *                        (the id a new change got upstream)}]: the local
 *                        steps of the last replay, oldest first
 *   replay               {onto, result, replayed, dropped}
 *   pushed               {from (null: a new branch there), to, steps,
 *                        new_branch}
 *   stopped              {commit, message}: the step that stopped it
 *   refused              {by (remote or pre-push), message}
 *   retries              how often the remote moved meanwhile
 *   head                 the branch's tip afterwards
 * Commits are full hex ids.  Free it with crq_node_free().
 */
int crq_sync_run_ext(crq_node **out, crq_buf *report, crq_repo *repo,
	const char *remote, crq_sync_mode mode);
/* crq_sync_run(report, repo, remote, CRQ_SYNC_RUN). */
int crq_sync(crq_buf *report, crq_repo *repo, const char *remote);

#ifdef __cplusplus
}
#endif

#endif
