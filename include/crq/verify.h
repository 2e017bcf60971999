/*
 * crq/verify.h - verification: the history proves itself; the pull-request gate.
 * Conventions: see crq.h.
 */
#ifndef CRQ_PUBLIC_VERIFY_H
#define CRQ_PUBLIC_VERIFY_H

#include "crq/store.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------------------------------------------ */
/* Verification: the history proves itself. */

/* One thing verify refuses: the commit, the change it concerns (NULL
 * for the policy, or a commit that names none), the rule's name, a
 * one-line message and an optional hint. */
typedef struct {
	char commit[41];
	char *change;
	char *rule;
	char *message;
	char *hint;
	/* a step a merge brings in that is not legal where it lands: that
	 * step's id (commit names the merge); "" otherwise */
	char step[41];
} crq_violation;

typedef struct {
	crq_violation *items;
	size_t count, alloc;
	size_t checked;		/* commits examined */
	char root[41];		/* the trusted root the walk started from */
	int pinned;		/* 1: this run pinned root (first use) */
} crq_verify_result;

void crq_verify_result_init(crq_verify_result *res);
void crq_verify_result_dispose(crq_verify_result *res);

/* A step as the walk checked it (strings valid during the call only;
 * those not known are NULL). */
typedef struct crq_verify_step {
	const char *commit;		/* hex */
	const char *change;		/* Crq-Change; NULL for a policy step */
	const char *action, *from, *to;	/* the trailers */
	const char *by;			/* the committer's e-mail */
	long long time;			/* committer time */
	/* the role the rule engine found the step taken in ("owner" for a
	 * task step its owner took without a role; NULL when refused
	 * before it was judged, and for a policy step) */
	const char *role;
	long long policy_version;	/* of the parent's policy (0: none) */
	const char *key;		/* the signing key, "TYPE BASE64" */
	/* good (a valid signature, in canonical form, by a key of a member
	 * of the parent's policy), unknown-key (valid, by another key),
	 * bad (it does not verify, or is not in canonical form) or
	 * unsigned */
	const char *signature;
	/* 1 when verify refused the commit: rule and message name why */
	int refused;
	/* 1 when the commit changed the policy file (whatever its trailers
	 * say it is) */
	int wrote_policy;
	const char *rule, *message;
} crq_verify_step;

typedef struct {
	unsigned int version;
	/* the revision to verify (tags peel to their commit); NULL: the
	 * branch crq works on */
	const char *rev;
	/* the trusted root; NULL: git config crq.trust, then the root
	 * pinned in .git/crq/trust, then (first use) the commit that
	 * introduced the policy, pinned from then on */
	const char *trust;
	/* refuse to run without a trusted root from outside the history
	 * (--trust or crq.trust): what CI sets */
	int require_trust;
	/* only commits not reachable from base (crq check); base itself is
	 * taken as verified */
	const char *base;
	/* walk the whole history from the trusted root: the remembered tip
	 * is neither used nor written (crq audit, crq report) */
	int full;
	/* called for every step (a single-parent commit touching crq paths
	 * or carrying Crq-* trailers) once it is checked, oldest first */
	void (*on_step)(const struct crq_verify_step *step, void *payload);
	void *payload;
} crq_verify_options;

#define CRQ_VERIFY_OPTIONS_VERSION 2
#define CRQ_VERIFY_OPTIONS_INIT { CRQ_VERIFY_OPTIONS_VERSION, NULL, NULL, 0, \
	NULL, 0, NULL, NULL }

/*
 * Verify the history: every commit reachable from the tip that the
 * trusted root does not reach is a commit touching no crq path, one
 * step that the rule engine makes from its parent under the parent's
 * policy by its signer at its time, or a merge that loses no step and
 * adds nothing of its own, whose merged-in steps are also legal under
 * the landing branch's policy at the merge.  Violations go to res, one
 * each.  0 when the walk ran (violations or not); CRQ_EREPO when the
 * history cannot be read, is shallow or partial, or (require_trust)
 * has no trusted root.  Verifying the branch itself remembers the last
 * tip verified clean in .git/crq/: the next run checks only what came
 * after it, and a tip that vanished (rollback, force push) is a
 * violation.
 */
int crq_verify_run(crq_verify_result *res, crq_repo *repo,
	const crq_verify_options *opts);
/* Pin rev's trusted root in the repository's git config (crq.trust):
 * what `crq hook install` does in the bare repository.  The root is
 * the commit that introduced the policy on rev's first-parent history.
 * The id goes to out. */
int crq_repo_pin_trust(crq_buf *out, crq_repo *repo, const char *rev);
/* The merge base of a and b, as a hex id, into out. */
int crq_merge_base(crq_buf *out, crq_repo *repo, const char *a,
	const char *b);
/* The changes head touches over base (files that differ), as of head:
 * an array of {id, state, type, approvals: [by...], needs} where needs
 * (only for submitted/assessed normal and emergency changes whose fresh
 * approvals do not meet the rules yet) says what is still needed, e.g.
 * "1 cab, 1 security". */
int crq_change_status(crq_node **out, crq_repo *repo, const char *base,
	const char *head);
/* 1 when commit a is b or one of its ancestors, 0 when not, < 0 on
 * error (revisions by name or id). */
int crq_repo_descends(crq_repo *repo, const char *b, const char *a);
/* 1 when rev's tree holds a crq policy, 0 when not, < 0 on error. */
int crq_repo_has_policy(crq_repo *repo, const char *rev);

#ifdef __cplusplus
}
#endif

#endif
