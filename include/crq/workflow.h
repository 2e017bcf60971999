/*
 * crq/workflow.h - the steps on changes (create, edit, actions, forge reviews).
 * Conventions: see crq.h.
 */
#ifndef CRQ_PUBLIC_WORKFLOW_H
#define CRQ_PUBLIC_WORKFLOW_H

#include "crq/change.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------------------------------------------ */
/* Steps on changes, made by the rule engine as the current user. */

/* Fields for a new change.  fields holds user-supplied fields (may be
 * NULL); template names a template in .crq/templates (may be NULL).
 * The store fills id, state (draft), requester, created, updated and
 * priority.  On success the new id is in id_out. */
int crq_change_create(crq_buf *id_out, crq_repo *repo, const crq_node *fields,
	const char *template_name);
/* Replace change id with doc (validated; id/created must not change);
 * message is the commit subject suffix. */
int crq_change_update(crq_repo *repo, const char *id, const crq_node *doc,
	const char *action);
/* Apply "key=value" assignments (dotted keys; empty value removes the
 * field; non-string fields parse value as YAML) to change id. */
int crq_change_set(crq_repo *repo, const char *id,
	const char *const *assignments, size_t count);
/* Options of a workflow action. */
typedef struct {
	const char *message;	/* commit message body (-m), may be NULL */
	/* "key=value" fields the action sets first (assess --risk, ...) */
	const char *const *assignments;
	size_t count;
	const char *role;	/* approve/reject: act in this role */
	/* escalate: the time-driven automation rule it escalates */
	const char *rule;
} crq_act_opts;

/* Record a deployment of change id (the policy's action with
 * `deployments: add`, "deploy"): the commit that went out (40 or 64
 * hex digits), the artifact's digest ("sha256:HEX", may be NULL), the
 * environment (may be NULL).  A signed step, judged like every other:
 * the action's states, roles and guards (in-window, no-freeze). */
int crq_change_deploy(crq_repo *repo, const char *id, const char *ref,
	const char *artifact, const char *environment, const char *message);

/* Take the policy action name on change id as the current user (a
 * member; identified by user.email).  Checks the action exists for the
 * change's type, the state it may start from, the member's roles
 * (expired grants do not count), the fields it requires; approvals also
 * check separation of duties (not the requester, not anyone who edited
 * the change since the last approval, one approval per member) and
 * move the change on when the approval rules are met.  One commit:
 * "ID: action — title", body, trailers Crq-Change, Crq-Action,
 * Crq-From, Crq-To (+ Crq-Digest on decisions).  On success the new
 * state is appended to to_out (may be NULL).  CRQ_EDENIED with a
 * message and a "hint:" line when the policy says no. */
int crq_change_act(crq_buf *to_out, crq_repo *repo, const char *id,
	const char *name, const crq_act_opts *opts);

/*
 * What waits for member email at time now, most urgent first:
 *   {member, at, todo: [{kind, change, title, what, due?, overdue?}],
 *    waiting: [{change, state, waits_for}]}
 * kind: approve (the rule engine would take their approval now: their
 * role is still needed and separation of duties allows it), assess,
 * schedule, start (the window opens within a day), review, task (theirs,
 * not done).  waiting: their own changes and what approvals they still
 * need.  CRQ_ENOTFOUND when email is no member.
 */
int crq_todo(crq_node **out, crq_repo *repo, const char *email,
	long long now);

/* SLA clocks (the policy's sla targets) of change id, or of every open
 * change when id is NULL, at now: an array of {change, target, from,
 * hours, within, started, started_commit (with CRQ_SLA_COMMITS), due,
 * stopped, stopped_in, elapsed, elapsed_text, percent, state, paused};
 * state is running, at-risk (80 % used), met or breached.  Flags
 * filter (at-risk, breached: either) and widen (all: closed changes
 * too). */
#define CRQ_SLA_AT_RISK 1u
#define CRQ_SLA_BREACHED 2u
#define CRQ_SLA_ALL 4u
#define CRQ_SLA_COMMITS 8u
int crq_sla(crq_node **out, crq_repo *repo, const char *id, long long now,
	unsigned flags);

/* The change calendar from `from` to `to` (instants; to <= from: no
 * end), for one service (NULL: all): {from, to, windows: [{change,
 * title, type, state, start, end, services, implementer, schedules}],
 * freezes: [{name, start, end, services}], maintenance: [{name, start,
 * end, services, tz}], conflicts: [{kind, changes, service, implementer,
 * freeze, message}]}; kind is service, implementer, outside-maintenance
 * or freeze.  schedules: the schedule steps the change has had (the
 * iCalendar SEQUENCE). */
int crq_calendar(crq_node **out, crq_repo *repo, long long from,
	long long to, const char *service);
/* The same as RFC 5545 text (one VEVENT per window, freeze and
 * maintenance occurrence). */
int crq_calendar_ics(crq_buf *out, crq_repo *repo, const crq_node *cal);
/* The conflicts the calendar has for change id now (for a warning after
 * a step): an array as under conflicts. */
int crq_change_conflicts(crq_node **out, crq_repo *repo, const char *id);

/* The changes that wait for who (--needs): a member's e-mail, the
 * changes whose approval the rule engine would take from them now; a
 * role of the policy, the changes whose approval rules still need one
 * of that role.  *out: {id: true}. */
int crq_change_needs(crq_node **out, crq_repo *repo, const char *who,
	long long now);

/* Would the current user be allowed to take action on change id as it
 * is now (its state, their roles, the action's guards)?  0, or the
 * refusal the step would get.  Nothing is written. */
int crq_change_may(crq_repo *repo, const char *id, const char *action);

/*
 * A task step on change id (policy actions task-add, task-done,
 * task-reopen): op "add" appends task (an object: title, and owner,
 * due, phase as given); "done" and "reopen" mark task number n
 * (1-based).  message (may be NULL) goes into the commit.  One signed
 * commit, judged by the rule engine like every step (who may, in which
 * states; an owner must be a member; only the task's owner or the
 * action's roles may mark it).
 */
int crq_change_task(crq_repo *repo, const char *id, const char *op,
	const crq_node *task, size_t n, const char *message);

/*
 * The approvals of change id on the branch tip, as an object:
 *   fresh: [{by, role}]   approvals that hold for the content as it is
 *   stale: [{by, role}]   approvals given to other content
 *   met: true|false       whether the fresh ones meet the rules
 *   missing: "1 cab"      what the rules still need (absent when met)
 */
int crq_change_approval_status(crq_node **out, crq_repo *repo,
	const char *id);

/* Import approvals given in a forge (a pull request review) as signed
 * evidence.  reviews is the JSON the forge's API returns (forge
 * "github": the array of GET /repos/{o}/{r}/pulls/{n}/reviews; "gitlab":
 * the merge request approvals object, with "sha").  The current user
 * must be a bot member whose policy entry has attests: [forge] and
 * whose key signs.  Per reviewer the latest review counts, only
 * APPROVED ones; reviewers map to members by handles.<forge>; each
 * becomes one approve commit by the bot recording, for the mapped
 * member, forge, PR, reviewer, review id and reviewed commit in
 * trailers.  Unmapped reviewers, stale reviews (the change differed at
 * the reviewed commit) and approvals the rules refuse (requester,
 * recent editor, role, state) are added to problems, not imported.
 * *imported: how many were. */
int crq_change_import_reviews(crq_repo *repo, const char *id,
	const char *forge, const char *pr, const crq_node *reviews,
	crq_issues *problems, size_t *imported);

#ifdef __cplusplus
}
#endif

#endif
