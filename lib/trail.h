/*
 * trail.h - lib-internal: the verified trail the evidence commands read
 * (lib/trail.c).  One full run of crq verify tells every step it
 * walked, with its verdicts; crq audit and crq report read nothing else
 * of the history, so they state as fact only what verify accepted, and
 * show as refused what it refused.
 */
#ifndef CRQ_TRAIL_H
#define CRQ_TRAIL_H

#include <git2.h>
#include "internal.h"

/* One step as the walk told it (see crq_verify_step). */
typedef struct {
	git_oid id;
	long long time;
	char *change, *action, *from, *to, *by, *role, *key;
	const char *signature;		/* good, bad, unsigned, unknown-key */
	long long version;		/* the parent's policy version */
	int refused;
	int wrote_policy;		/* it changed .crq/policy.yaml */
	char *rule, *message;		/* a refused step's */
	size_t seq;			/* walk order (oldest first) */
} crq_trail_step;

typedef struct {
	crq_trail_step *v;
	size_t n, alloc;
	crq_verify_result verify;	/* the run's violations */
} crq_trail;

/* Walk the whole history of repo's branch from the trusted root (trust,
 * as crq verify --trust; require_trust as in CI) into t. */
int crq_trail__read(crq_trail *t, crq_repo *repo, const char *trust,
	int require_trust);
void crq_trail__dispose(crq_trail *t);

/* Does violation x say a commit of its change is refused?  Not one that
 * says what the tip owes (an emergency review overdue): the steps are
 * sound, the audit's emergency-review control says the rest. */
int crq_trail__refuses_change(const crq_violation *x);

/* The pack and the report of a trail read once (lib/audit.c,
 * lib/report.c), with the tip's changes (crq_change_list): what
 * crq_audit and crq_report do after reading it, for a caller that
 * wants both from one walk. */
int crq_audit__of(crq_node **out, crq_repo *repo, const crq_trail *t,
	const crq_node *changes, const crq_audit_options *opts);
int crq_report__of(crq_node **out, crq_repo *repo, const crq_trail *t,
	const crq_node *changes, const crq_report_options *opts);

/* {clean, checked, violations}: violations as the list of {commit,
 * change, rule, message, hint} (list = 1) or their number. */
crq_node *crq_trail__verify_node(const crq_trail *t, int list);

/* A string node, or null for NULL; an RFC 3339 UTC time node. */
crq_node *crq_trail__str(const char *s);
crq_node *crq_trail__time(long long t);

#endif
