/*
 * automation.h - the policy's automation rules (lib/automation.c):
 * which rules a step fires, their content effects, and the time-driven
 * conditions (SLA at risk or breached, tasks overdue, windows starting,
 * implementations late) and what each holds for.  Pure, like the rule
 * engine that calls it: the caller passes policy, content and time.
 */
#ifndef CRQ_AUTOMATION_H
#define CRQ_AUTOMATION_H

#include "internal.h"

/* The rule called name (borrowed), or NULL. */
const crq_node *crq_auto__rule(const crq_node *policy, const char *name);

/* Append to names (an array of strings) the rules a step fires: those
 * on action, or on entering `to` (when to differs from from), whose
 * conditions doc (the content after the step) matches; policy order. */
void crq_auto__fired(crq_node *names, const crq_node *policy,
	const char *action, const char *from, const char *to,
	const crq_node *doc);

/* Apply rule's content effects to doc at now: extra approvals, a task
 * (once per rule and title), fields set.  Idempotent. */
void crq_auto__apply(crq_node *doc, const crq_node *policy,
	const crq_node *rule, long long now);
/* Does the rule have a content effect or an escalation (so that a time
 * condition records a step)? */
int crq_auto__records(const crq_node *rule);

/*
 * What a time-driven rule's condition holds for on doc at now: an array
 * of {on, subject, since, ...} (owned), one per SLA clock, task or
 * window it holds for (subject is stable text naming it: "sla:TARGET:
 * STARTED", "task:N:DUE", "late:END", "window:START"; since is when it
 * began to hold).  Empty when the rule's conditions do not match doc or
 * the change is closed.
 */
crq_node *crq_auto__holds(const crq_node *policy, const crq_node *rule,
	const crq_node *doc, long long now);

/* How far from the moment itself a time-driven rule's condition holds:
 * its `after` (task-overdue, implementation-late; default 0) or, for
 * window-starting, its `before` (default an hour), in seconds. */
long long crq_auto__offset(const crq_node *rule);

/* Whom an escalation goes to on day: the member `to` names, or the
 * members holding role `to` (an array of e-mails, owned). */
crq_node *crq_auto__members(const crq_node *policy, const char *to,
	const char *day);

#endif
