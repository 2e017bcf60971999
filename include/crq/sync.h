/*
 * crq/sync.h - sharing a store through a remote.
 * Conventions: see crq.h.
 */
#ifndef CRQ_PUBLIC_SYNC_H
#define CRQ_PUBLIC_SYNC_H

#include "crq/store.h"

/* ------------------------------------------------------------------ */
/* Sharing a store. */

/* Share the store through remote (e.g. "origin"): fetch; when only the
 * remote moved, take it; when both did, replay the local crq steps on
 * the remote tip as the user's own steps again (re-checked against the
 * new state, re-signed; a new change whose id was taken upstream gets
 * the next free id and says so); push, and when someone pushed first,
 * do it again.  A step that no longer applies stops the sync: nothing is
 * pushed and the branch is back where it was.  What happened is
 * appended to report, a line each. */
int crq_sync(crq_buf *report, crq_repo *repo, const char *remote);

#endif
