/*
 * crq/audit.h - evidence: the audit pack (crq audit) and the permission
 * audit (crq audit --permissions), read from the verified history.
 * Conventions: see crq.h.
 *
 * The pack is a crq_node object (schemas/audit.schema.json):
 *   generated, branch, tip, root      when, which branch, its tip and
 *                                     the trusted root of the walk
 *   verify   {clean, checked, violations: [{commit, change, rule,
 *            message, hint}]}: crq verify's run over the whole history
 *   filters  the filters applied (as given)
 *   steps    [{commit, time, change (null for a policy step), title,
 *            by, role, action, from, to, policy_version, key (SHA256:...
 *            fingerprint, or null), signature (good, bad, unsigned,
 *            unknown-key), verdict (accepted, refused), rule, message
 *            (a refused step: verify's rule and message)}], oldest first
 *            in history order
 *   changes  [{id, title, type, state, requester, services, risk,
 *            created, window {start, end} | null, implementer, tasks
 *            [{number, title, phase, owner, role, due, done}],
 *            deployments [...], verdict (accepted | refused: a step of
 *            it was refused), steps (count), controls [{control,
 *            status, commit, detail}]}], in id order
 *   summary  {changes, steps, refused, controls: {pass, fail, pending,
 *            not-recorded, n/a}}
 * A control's status is pass, fail, pending (not yet due, or not done
 * yet but still allowed), not-recorded (no record to judge by) or n/a;
 * commit is the step that proves it (null when none does).
 */
#ifndef CRQ_PUBLIC_AUDIT_H
#define CRQ_PUBLIC_AUDIT_H

#include "crq/node.h"
#include "crq/store.h"

#ifdef __cplusplus
extern "C" {
#endif

#define CRQ_AUDIT_OPTIONS_VERSION 1

typedef struct {
	unsigned int version;
	const char *change;	/* one change (NULL: all) */
	const char *member;	/* changes this member took a step on */
	const char *role;	/* changes a step was taken on in this role */
	long long since, until;	/* changes with a step in [since, until]
				 * (0: unbounded) */
	const char *grep;	/* id, title or description holds it */
	const char *trust;	/* the trusted root (as crq verify) */
	int require_trust;	/* as crq_verify_options */
} crq_audit_options;

#define CRQ_AUDIT_OPTIONS_INIT { CRQ_AUDIT_OPTIONS_VERSION, NULL, NULL, \
	NULL, 0, 0, NULL, NULL, 0 }

/* The audit pack of repo under opts (may be NULL), into *out.  0 when
 * the history could be read (refused commits are in the pack);
 * CRQ_EREPO as crq_verify_run. */
int crq_audit(crq_node **out, crq_repo *repo, const crq_audit_options *opts);

/* Does the pack hold a refused step or a failing control? */
int crq_audit_failed(const crq_node *pack);

/*
 * The permission audit at now (schemas/permissions.schema.json):
 * {generated, verify, members: [{email, name, keys: [{key,
 * fingerprint}], roles: [{role, since, until, granted_by, commit,
 * active}], admin}], events: [{time, commit, by, kind (member-add,
 * member-remove, grant, grant-change (a new until), revoke, key-add,
 * key-remove), member, role, until, key (fingerprint), verdict}],
 * expiring: [{email, role, until}] (within 30 days of now),
 * admins: [emails]}, read from every policy step of the history (the
 * walk's trusted root as opts->trust says; its filters do not apply).
 */
int crq_audit_permissions(crq_node **out, crq_repo *repo,
	const crq_audit_options *opts, long long now);

/*
 * The fingerprint of an OpenSSH public key line "TYPE BASE64 [COMMENT]"
 * as ssh-keygen -lf shows it: "SHA256:" and the unpadded base64 of the
 * SHA-256 of the key blob, appended to out.  CRQ_EINVALID (out as it
 * was) when the line holds no base64 key blob.
 */
int crq_audit_fingerprint(crq_buf *out, const char *key);

#ifdef __cplusplus
}
#endif

#endif
