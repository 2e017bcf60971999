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

#endif
