/*
 * policy.h - lib-internal queries on a parsed policy (lib/policy.c),
 * shared by the rule engine, the workflow and verify.
 */
#ifndef CRQ_POLICY_H
#define CRQ_POLICY_H

#include "store.h"

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

/* What a rule's `on` names. */
typedef enum {
	CRQ_ON_NONE = 0,	/* nothing the policy knows */
	CRQ_ON_ACTION,		/* a step of that action is taken */
	CRQ_ON_STATE,		/* a change enters that state */
	CRQ_ON_TIME		/* a condition of the clock */
} crq_on_kind;

/* Classify on ("assess", "action:assess", "state:assessed",
 * "sla-breached" ...) under policy; *name gets the action's or state's
 * name (borrowed from on).  CRQ_ON_NONE also when a bare name is both
 * an action and a state (ambiguous). */
crq_on_kind crq_policy__on(const crq_node *policy, const char *on,
	const char **name);
/* Is on one of the time conditions? */
int crq_policy__time_on(const char *on);

/* Is field one a rule's `set` may never write (crq derives it, or the
 * rules' conditions and clocks read it)? */
int crq_policy__unsettable(const char *field);

/* Is field one only crq writes (id, state, requester, created, updated,
 * priority, approvals, review_due, template, entered, extra_approvals,
 * escalations): on creation or by the rules of an action, never a
 * person?  The policy's `sets` cannot grant it. */
int crq_policy__derived(const char *field);

/* Parse a policy (lib/policy.c): strict YAML, typed and validated by schema, plus the
 * rules a schema cannot state (one key one member, unique e-mails,
 * defined roles, an admin).  Problems go to issues (may be NULL); the
 * first is the error message. */
int crq_policy__parse(crq_node **out, const crq_schema *schema,
	const char *text, size_t len, const char *name, crq_issues *issues);
/* The policy on the branch tip, read once per handle (borrowed); sets
 * the store layout (prefix, shard size) it names. */
int crq_policy__tip(const crq_node **out, crq_repo *repo);
/* The role name of a grant (a string or {role, until}). */
const char *crq_policy__grant_role(const crq_node *g);
/* The member whose handles.<forge> is login, or NULL (borrowed). */
const crq_node *crq_policy__by_handle(const crq_node *policy,
	const char *forge, const char *login);

#endif
