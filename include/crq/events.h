/*
 * crq/events.h - the stream of what happened in a store (crq events):
 * steps, the automation rules they fired, escalations, deployments,
 * and what the clock brings (SLA clocks at risk or breached, tasks
 * overdue, windows starting, implementations running late).  All of it
 * is derived from the history and the policy: nothing is kept aside.
 *
 * An event is a crq_node object (schemas/event.schema.json):
 *   id        stable: the same event has the same id on every run and
 *             every clone ("evt-" and 24 hex digits)
 *   type      step, rule, escalation, deployment, sla-at-risk,
 *             sla-breached, task-overdue, window-starting,
 *             implementation-late
 *   time      RFC 3339 UTC: when it happened
 *   change    the change's id;  title  its title
 *   summary   one line for people ("alice@example.com approved ...")
 *   commit    the step's commit (types step, rule, escalation,
 *             deployment)
 *   action, from, to, by      a step: what, between which states, who
 *   rule      the automation rule (rule, escalation, and a clock event
 *             a rule watches)
 *   notify    [channel names] the rules ask to be told
 *   escalate_to  {to: role or member, members: [emails]}
 *   sla       {target, started, due, state}  (sla-*)
 *   task      {number, title, owner, role, due}  (task-overdue)
 *   window    {start, end}  (window-starting, implementation-late)
 *   deployment {ref, artifact, environment}  (deployment)
 * The stream is ordered by time, then id.
 */
#ifndef CRQ_PUBLIC_EVENTS_H
#define CRQ_PUBLIC_EVENTS_H

#include "crq/node.h"
#include "crq/store.h"

#ifdef __cplusplus
extern "C" {
#endif

#define CRQ_EVENTS_OPTIONS_VERSION 1

typedef struct {
	unsigned int version;
	/* since: a revision (events of the commits not reachable from
	 * it, and clock events after its time), an RFC 3339 time, or an
	 * event id (the events after it in the stream); NULL: all */
	const char *since;
	/* until: an RFC 3339 time or a revision (its commit's time);
	 * NULL: now */
	const char *until;
} crq_events_options;

#define CRQ_EVENTS_OPTIONS_INIT { CRQ_EVENTS_OPTIONS_VERSION, NULL, NULL }

/* The events of repo under opts, into *out (an array, owned). */
int crq_events(crq_node **out, crq_repo *repo, const crq_events_options *opts);

/* The events a step made: those of commit (hex) alone, for sending
 * right after a local step. */
int crq_events_of_commit(crq_node **out, crq_repo *repo, const char *commit);

#ifdef __cplusplus
}
#endif

#endif
