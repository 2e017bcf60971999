/*
 * crq/policy.h - the policy and the policy steps.
 * Conventions: see crq.h.
 */
#ifndef CRQ_PUBLIC_POLICY_H
#define CRQ_PUBLIC_POLICY_H

#include "crq/store.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------------------------------------------ */
/* The policy (.crq/policy.yaml).  Every change to it is one commit by
 * an admin of the policy it replaces (judged by the parent commit's
 * policy) and bumps its version by one; the result must pass the same
 * checks as `crq policy check`. */

/* The policy on the branch tip (borrowed from repo). */
int crq_policy_get(const crq_node **out, crq_repo *repo);
/* The states of policy's workflow (crq policy states): every state an
 * action starts from ('*', any, is none of them) or leads to, in the
 * order the actions name them, as an array of {state, enter, leave}:
 * the actions that lead to it and those that start from it. */
int crq_policy_states(crq_node **out, const crq_node *policy);
/* Add a member; key is an OpenSSH public key line (may be NULL);
 * handles are "forge=name" strings (github=alice), nhandles of them. */
int crq_policy_member_add(crq_repo *repo, const char *email,
	const char *name, const char *const *roles, size_t nroles,
	const char *key, const char *const *handles, size_t nhandles);
int crq_policy_member_remove(crq_repo *repo, const char *email);
/* Grant role (replacing an earlier grant of it); until "YYYY-MM-DD"
 * (inclusive) or NULL for no expiry. */
int crq_policy_role_grant(crq_repo *repo, const char *email,
	const char *role, const char *until);
int crq_policy_role_revoke(crq_repo *repo, const char *email,
	const char *role);
/* Replace the policy with text (a whole policy file; its version and
 * any pending change are ignored: the version goes up by one). */
int crq_policy_apply(crq_repo *repo, const char *text, size_t len,
	const char *name);
/* With admin_threshold N > 1, a policy change is first proposed (kept
 * under `pending`; the policy in force does not change) and takes
 * effect with the approval that makes N distinct admins.  Approve or
 * withdraw the pending change (admins only). */
int crq_policy_approve(crq_repo *repo);
int crq_policy_withdraw(crq_repo *repo);
/* git's gpg.ssh.allowedSignersFile lines for every member key:
 * 'EMAIL namespaces="git" TYPE BASE64'. */
int crq_policy_allowed_signers(crq_buf *out, crq_repo *repo);

#ifdef __cplusplus
}
#endif

#endif
