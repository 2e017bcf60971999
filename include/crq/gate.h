/*
 * crq/gate.h - automation that acts on its own: escalations for the
 * time-driven rules (crq escalate) and the deployment gate (crq gate).
 */
#ifndef CRQ_PUBLIC_GATE_H
#define CRQ_PUBLIC_GATE_H

#include "crq/node.h"
#include "crq/store.h"

#ifdef __cplusplus
extern "C" {
#endif

/*
 * Record the escalations the time-driven automation rules call for at
 * `at` (0: now; never later than now): for each rule that records
 * something (escalate, require, add_task, set) and each open change it
 * matches, whose condition holds for something not escalated before,
 * one signed escalate step by the current user (an automation member),
 * dated at.  Idempotent: a second run records nothing new.  *out: an
 * array of {change, rule, on, subjects, to, members, commit} (commit
 * absent with dry_run).
 */
int crq_escalate(crq_node **out, crq_repo *repo, long long at, int dry_run);

/*
 * May a deploy of service go out at `at` (0: now)?  Yes when a change
 * for service, or for a service it depends on, is implementing, `at`
 * is inside its window (from start_tolerance before it opens) and no
 * freeze applies to it (an emergency change passes freezes).  *out:
 * {service, at, allowed, change, title, window, deployments, reason,
 * hint, candidates: [{change, state, window, why}]}.  The answer is in
 * `allowed`; < 0 only when it could not be judged.
 */
int crq_gate(crq_node **out, crq_repo *repo, const char *service,
	long long at);

#ifdef __cplusplus
}
#endif

#endif
