/*
 * change.h - lib-internal interface between the change model
 * (lib/change.c) and the workflow (lib/workflow.c).
 */
#ifndef CRQ_CHANGE_H
#define CRQ_CHANGE_H

#include "store.h"

/* Load change id at commit (tip when NULL); text/blob optional. */
int crq_change__load_at(crq_node **out, crq_repo *repo, const git_oid *commit,
	const char *id, crq_buf *text_out, git_oid *blob);
/* Type, validate and format doc and commit it at path on top of tip
 * (CRQ_STORE_RACE when the branch moved). */
int crq_change__write(crq_repo *repo, const git_oid *tip, int unborn,
	const char *path, crq_node *doc, const char *message);
/* Commit message: "ID: action — title", body, Crq-* trailers (from/to
 * omitted when NULL). */
void crq_change__message(crq_buf *msg, const char *id, const char *action,
	const crq_node *doc, const char *body, const char *from,
	const char *to);
/* Set or drop doc's priority from the policy's impact x urgency matrix. */
void crq_change__priority(crq_repo *repo, crq_node *doc);
/* First issue as "name:line:col: message (and N more problems)". */
int crq_change__issues_error(const crq_issues *issues, const char *name);

/* Strict YAML, typed by schema, validated when validate is set, then
 * extra's checks (may be NULL); problems go to issues (may be NULL) and
 * the first becomes the error. */
int crq_change__parse_typed(crq_node **out, const crq_schema *schema,
	const char *text, size_t len, const char *name, crq_issues *issues,
	int validate, void (*extra)(const crq_node *doc, crq_issues *issues));

/* Policy queries (lib/policy.c).  A string list contains s, or '*'. */
int crq_policy__in_list(const crq_node *arr, const char *s);
/* member holds role on day (YYYY-MM-DD; grants with until count through
 * that day); role '*' is anyone. */
int crq_policy__has_role(const crq_node *member, const char *role,
	const char *day);
/* The member with e-mail email, or NULL (borrowed). */
const crq_node *crq_policy__member(const crq_node *policy, const char *email);
/* Is the key line ("type base64 [comment]") the key "type base64"? */
int crq_policy__key_is(const char *line, const char *key);
/* The member owning key ("type base64"), or NULL (borrowed). */
const crq_node *crq_policy__key_owner(const crq_node *policy,
	const char *key);

/* The policy's action name for a change of type: the one that may
 * start from state, else the first for the type (to say why not);
 * *named tells whether the policy knows the name at all. */
const crq_node *crq_policy__action(const crq_node *policy, const char *name,
	const char *type, const char *state, int *named);

/* Workflow: may the current user take action on a change of this type
 * in this state?  Fills the action's policy entry and the acting
 * member (both borrowed from the policy).  state NULL: a new change. */
int crq_workflow__allow(const crq_node **action, const crq_node **member,
	crq_repo *repo, const crq_node *doc, const char *type,
	const char *state, const char *name);

/* Do doc's fresh approvals (digest of its current content, distinct
 * members) meet policy's approval rules?  1 yes, 0 no (missing gets
 * what is still needed), < 0 error. */
int crq_workflow__approved(crq_buf *missing, crq_repo *repo,
	const crq_node *policy, const crq_node *doc);
/* Authors of edits to change id since its last decision, from the
 * first-parent history ending at tip, into out ({email: true}). */
int crq_workflow__editors(crq_node *out, crq_repo *repo, const git_oid *tip,
	const char *id);
/* "sha256:..." of what an approval of doc covers. */
int crq_workflow__digest(char out[72], crq_repo *repo, const crq_node *doc);

/* Split a raw commit object into its signed payload (the object
 * without the gpgsig header) and the armored signature; problem gets
 * the first header a crq commit may not have.  Returns the number of
 * gpgsig headers. */
int crq_verify__split_commit(crq_buf *payload, crq_buf *sig,
	crq_buf *problem, const char *data, size_t len);

#endif
