/*
 * commit.h - lib-internal: the raw commit parser and the Crq-* trailers
 * (lib/commit.c), shared by verify, the log and sync.
 */
#ifndef CRQ_COMMIT_H
#define CRQ_COMMIT_H

#include <git2.h>
#include "internal.h"

/* Split a raw commit object into its signed payload (the object
 * without the gpgsig header) and the armored signature; problem gets
 * the first header a crq commit may not have.  Returns the number of
 * gpgsig headers. */
int crq_commit__split(crq_buf *payload, crq_buf *sig, crq_buf *problem,
	const char *data, size_t len);

/* The Crq-* trailers of message as an object {key: value}.  Keys that
 * start with "Crq-" in any case must be one crq writes, each once:
 * problem (left empty when all is well) names the first that is not. */
int crq_commit__trailers(crq_node **out, crq_buf *problem,
	const char *message);

/* A crq step met in a walk of the history. */
typedef struct {
	const git_oid *id;
	const char *change, *action, *from, *to;	/* its trailers */
	const char *rules, *escalate;	/* Crq-Rules, Crq-Escalate (or NULL) */
	const char *by;					/* committer e-mail */
	long long time;					/* committer time */
} crq_step_seen;

/* Call fn for every commit reachable from the branch tip that carries
 * Crq-Change and Crq-Action, newest first by commit time, on every line
 * of the history (merged-in steps too); fn returns non-zero to stop.
 * The strings are valid during the call only. */
int crq_commit__walk_steps(struct crq_repo *repo,
	int (*fn)(const crq_step_seen *step, void *payload), void *payload);
/* The same, of the commits not reachable from hide (NULL: all). */
int crq_commit__walk_steps_since(struct crq_repo *repo, const git_oid *hide,
	int (*fn)(const crq_step_seen *step, void *payload), void *payload);

#endif
