/*
 * change.h - lib-internal interface between the change model
 * (lib/change.c) and the workflow (lib/workflow.c).
 */
#ifndef CRQ_CHANGE_H
#define CRQ_CHANGE_H

#include "store.h"
#include "policy.h"
#include "doc.h"

/* Load change id at commit (tip when NULL); text/blob optional. */
int crq_change__load_at(crq_node **out, crq_repo *repo, const git_oid *commit,
	const char *id, crq_buf *text_out, git_oid *blob);
/* Type, validate and format doc and commit it at path on top of tip
 * (CRQ_STORE_RACE when the branch moved). */
int crq_change__write(crq_repo *repo, const git_oid *tip, int unborn,
	const char *path, crq_node *doc, const char *message, long long when);
/* Is state one a change ends in (closed, cancelled, rejected; or none
 * at all)? */
int crq_change__closed(const char *state);
/* Highest change number on commit (0 when none). */
/* The changes at commit (NULL: none) that are scheduled or implementing
 * with a window, as an array of their contents (owned).  Cached by blob
 * in repo, so a walk reads each file once. */
/* crq_change_list of commit rather than the branch tip (problems
 * dropped). */
int crq_change__list_at(crq_node **out, crq_repo *repo,
	const git_oid *commit, const crq_filter *filter);
int crq_change__live(crq_node **out, crq_repo *repo, const git_oid *commit);
struct crq_live;
void crq_change__live_free(struct crq_live *l);
int crq_change__max_number(unsigned long long *out, crq_repo *repo,
	const git_oid *commit);
/* Template name of .crq/templates at commit (tip when NULL), parsed and
 * typed by the change schema. */
int crq_change__template(crq_node **out, crq_repo *repo,
	const git_oid *commit, const char *name);
/* Commit message: "ID: action — title", body, Crq-* trailers (from/to
 * omitted when NULL). */
void crq_change__message(crq_buf *msg, const char *id, const char *action,
	const crq_node *doc, const char *body, const char *from,
	const char *to);
/* Do doc's fresh approvals (digest of its current content, distinct
 * members) meet policy's approval rules?  1 yes, 0 no (missing gets
 * what is still needed), < 0 error. */
int crq_workflow__approved(crq_buf *missing, crq_repo *repo,
	const crq_node *policy, const crq_node *doc);
/* Could member email take action on doc (at commit tip) at time when,
 * judged by the rule engine as if they signed it with their key?  0, or
 * the refusal.  Nothing is written. */
int crq_workflow__could(crq_repo *repo, const git_oid *tip,
	const crq_node *policy, const crq_node *doc, const char *action,
	const char *email, long long when);
/* Who edited change id since its last decision, in the graph sense
 * (lib/workflow.c, crq_workflow__editors): the committers of the create
 * and edit steps tip reaches, less those a decision that moved the
 * change on (and that tip reaches) also reaches, into out. */
int crq_workflow__editors(crq_node *out, crq_repo *repo, const git_oid *tip,
	const char *id);

#endif
