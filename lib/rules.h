/*
 * rules.h - the one rule engine (lib/rules.c): pure functions over
 * (policy, content before, step, signer, time) that return the content
 * after or the reason the step is refused.  The commands call them to
 * make a step; crq verify calls the same functions on every commit and
 * compares with what was committed.  Nothing here reads the repository,
 * the clock or the environment: the caller passes all of it in.
 */
#ifndef CRQ_RULES_H
#define CRQ_RULES_H

#include "internal.h"

/* One step on a change, as its inputs. */
typedef struct {
	const crq_node *policy;		/* the parent commit's policy */
	const crq_schema *schema;	/* the change schema */
	const crq_node *before;		/* the change at the parent; NULL:
					 * the step creates it */
	/*
	 * The content proposed: the fields a person sets are read from it.
	 * input_full = 1 (verify): it is a whole committed file, and the
	 * fields crq derives in it are ignored here (the caller compares
	 * the result with it).  input_full = 0 (commands): a derived field
	 * that differs from before is refused as set by hand.
	 */
	const crq_node *input;
	int input_full;
	const char *action;		/* the action's name */
	const char *signer_key;		/* "ssh-ed25519 BASE64" that signs */
	const char *signer_email;	/* the committer */
	/* a forge review attested by a bot: forge and reviewer login */
	const char *forge, *reviewer;
	long long time;			/* the step's (committer) time */
	const char *role;		/* a decision's role; NULL: pick */
	const crq_node *template_doc;	/* a standard change's template */
	const char *template_name;	/* create: --template */
	const char *new_id;		/* create: the next free id */
	const crq_node *editors;	/* {email: true}: edited since the
					 * last decision (may be NULL) */
	/* the other changes at the parent that are scheduled or
	 * implementing (an array; may be NULL when the action has no
	 * no-collision guard, see crq_rules_wants_calendar) */
	const crq_node *others;
	/* an escalation step (an action with escalation: true): the
	 * time-driven automation rule it escalates (Crq-Escalate) */
	const char *escalate_rule;
} crq_rules_step;

typedef struct {
	crq_node *after;		/* the content crq writes (owned) */
	const crq_node *action_def;	/* the policy's action (borrowed) */
	const crq_node *actor;		/* the member acting (borrowed) */
	const crq_node *signer;		/* the member signing (borrowed) */
	char from[40], to[40];		/* states: from is "" for a create */
	char digest[72];		/* a decision: what was decided on */
	char role[64];			/* the role the step is taken in (a
					 * decision's: the one its approval
					 * names; "" for a task owner's) */
	int decision;			/* 1 approve, 2 reject, 0 neither */
	int met;			/* the approval rules are now met */
	int by_owner;			/* no role: allowed only as the task's owner */
	size_t task;			/* a task step: the task's number (1-based) */
	const char *rule;		/* refusal: the rule's name */
	/* the automation rules the step fired (names, policy order;
	 * Crq-Rules), owned; NULL when none */
	crq_node *fired;
} crq_rules_result;

/* "a, b" of the rules res fired ("" when none), as Crq-Rules says. */
void crq_rules_fired_text(crq_buf *out, const crq_rules_result *res);

/*
 * Apply step.  0 and res->after on success; on refusal CRQ_EDENIED (or
 * CRQ_EINVALID for content the schema refuses) with the reason in
 * crq_error_last() (a "hint:" line may follow) and its rule's name in
 * res->rule.  res is disposed with crq_rules_result_dispose().
 */
int crq_rules_change(crq_rules_result *res, const crq_rules_step *step);
void crq_rules_result_dispose(crq_rules_result *res);
/* Would the step before -> after record nothing but the clock?  Such a
 * step is not one (rule "nothing-to-change"): a comment records only its
 * message and is the exception. */
int crq_rules_changes_nothing(const char *action, const crq_node *before,
	const crq_node *after);

/* Does the policy refuse collisions (an action has no-collision, and
 * calendar.collisions is not warn)?  A merge may then not bring two
 * colliding windows together. */
int crq_rules_refuses_collisions(const crq_node *policy);
/* Does action on before (NULL: a create) check the calendar, so that
 * the step needs `others`? */
int crq_rules_wants_calendar(const crq_node *policy, const char *action,
	const crq_node *before);

/* Is action on a change of type in state a decision (an approval or a
 * rejection), for which who edited it since the last one matters? */
int crq_rules_is_decision(const crq_node *policy, const char *action,
	const char *type, const char *state);

/* "sha256:..." of what an approval of doc covers. */
int crq_rules_digest(char out[72], const crq_schema *schema,
	const crq_node *doc);
/* Do doc's fresh approvals meet policy's approval rules?  1 yes, 0 no
 * (missing, may be NULL, gets what is still needed), < 0 error. */
int crq_rules_approved(crq_buf *missing, const crq_node *policy,
	const crq_schema *schema, const crq_node *doc);

/* The approvals doc still needs by role, {role: count} (empty when none
 * or when no rule covers it). */
crq_node *crq_rules_missing(const crq_node *policy, const crq_schema *schema,
	const crq_node *doc);

/* The policy's priority for doc's impact and urgency (NULL: none). */
const char *crq_rules_priority(const crq_node *policy, const crq_node *doc);

/* How long before its window work may start (calendar.start_tolerance,
 * default 15 minutes), in seconds. */
long long crq_rules_start_tolerance(const crq_node *policy);

/* RFC 3339 UTC text of t, and its day (YYYY-MM-DD). */
void crq_rules_time(char out[32], long long t);

/* ---- policy steps ---- */

typedef enum {
	CRQ_POLICY_EDIT,	/* change it (proposed under a threshold) */
	CRQ_POLICY_APPROVE,	/* approve the pending change */
	CRQ_POLICY_WITHDRAW	/* withdraw the pending change */
} crq_policy_op;

/*
 * The policy written by op on cur (the parent's policy) by the member
 * whose key signs, at time t.  EDIT: edited is the changed policy (its
 * version and pending are ignored: the version goes up by one); what
 * names the change.  With admin_threshold N > 1 an edit is proposed
 * under `pending` and takes effect with the N-th distinct admin's
 * approval.  Refuses (CRQ_EDENIED, res rule) signers who are not admins
 * of cur.  The title of the commit goes to title.
 */
int crq_rules_policy(crq_node **out, crq_buf *title, const char **rule,
	const crq_node *cur, crq_policy_op op, const crq_node *edited,
	const char *what, const char *signer_key, const char *signer_email,
	long long t);

#endif
