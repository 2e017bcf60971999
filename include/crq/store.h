/*
 * crq/store.h - the repository that holds a change store.
 * Conventions: see crq.h.
 */
#ifndef CRQ_PUBLIC_STORE_H
#define CRQ_PUBLIC_STORE_H

#include "crq/schema.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------------------------------------------ */
/* The store: a git repository holding .crq/ and changes/. */

typedef struct crq_repo crq_repo;

typedef struct {
	/* Directory holding schemas/ and examples/; NULL: $CRQ_DATADIR,
	 * else the DATADIR libcrq was built with. */
	const char *datadir;
	/* "name=value" git config overrides for this run (like git -c),
	 * consulted before the repository's configuration. */
	const char *const *config;
	size_t config_count;
} crq_options;

/* Keep the library's global state (libgit2's) alive between repository
 * opens, for a process that runs many commands (crq batch).  Each call
 * to crq_global_init() is matched by one to crq_global_shutdown(). */
void crq_global_init(void);
void crq_global_shutdown(void);

/* Open the repository containing path (searching upwards like git). */
int crq_repo_open(crq_repo **out, const char *path, const crq_options *opts);
/* Create a store at path: init the git repository if there is none
 * (branch main), write .crq/policy.yaml and .crq/templates/ from the
 * datadir's examples and commit.  CRQ_EEXISTS if already a store. */
int crq_repo_init(crq_repo **out, const char *path, const crq_options *opts);
void crq_repo_free(crq_repo *repo);
/* Forget what an open repository remembers of the branch (its policy)
 * when the branch has moved since: for a handle kept open across many
 * commands (crq batch).  What does not depend on the branch (schemas,
 * the signing key) stays. */
void crq_repo_refresh(crq_repo *repo);
/* Hold the steps taken through repo (on) and write them in groups,
 * with crq_repo_flush: crq batch.  A group is one pack file and one
 * move of the branch, work tree and index, written whole or not at
 * all; until then other processes do not see its steps, and other crq
 * writers wait for it.  Off writes what is held first (its result). */
int crq_repo_hold_steps(crq_repo *repo, int on);
/* The steps held and not yet written; the bytes their objects take in
 * memory into bytes_out (may be NULL). */
size_t crq_repo_held(size_t *bytes_out, const crq_repo *repo);
/* Write the steps held.  On failure none of them is written:
 * CRQ_ECONFLICT when the branch moved (git itself moved it) or a file
 * they write was edited in the work tree meanwhile. */
int crq_repo_flush(crq_repo *repo);
/* Work tree of the repository, or NULL when bare (borrowed). */
const char *crq_repo_workdir(const crq_repo *repo);
/* Git directory (borrowed). */
const char *crq_repo_gitdir(const crq_repo *repo);
/* Branch crq works on ("refs/heads/main"), borrowed; "HEAD" when HEAD
 * is detached (commands read its commit; a step is refused). */
const char *crq_repo_branch(const crq_repo *repo);
/* CRQ_EREPO when HEAD is detached: a step needs a branch to move.  For
 * a command to ask before it opens an editor. */
int crq_repo_need_branch(crq_repo *repo);
/* How far (seconds) the local clock was behind the history when crq
 * last dated a step of repo: a step is never dated before the steps
 * under it, so it was dated that much later than the clock says.  0
 * when within a minute. */
long long crq_repo_clock_behind(const crq_repo *repo);
/* Date the steps repo takes from now on at t (not before the steps
 * under them), as if the clock said t: crq escalate --at.  0: the
 * clock again. */
void crq_repo_set_step_time(crq_repo *repo, long long t);
/* The commit (hex) of the last step this handle wrote; CRQ_ENOTFOUND
 * when none. */
int crq_repo_last_step(crq_buf *out, const crq_repo *repo);
/* Git config value (overrides first) into out; CRQ_ENOTFOUND if unset. */
int crq_repo_config(crq_buf *out, crq_repo *repo, const char *name);
/* Seconds since the epoch of an RFC 3339 time ("2026-12-01T10:00:00Z",
 * offsets allowed); CRQ_EINVALID when it is not one. */
int crq_time_parse(const char *text, long long *out);
/* crq's "now": GIT_COMMITTER_DATE when set (as for steps), else the
 * clock. */
long long crq_time_now(void);
/* The current user's e-mail (user.email, as steps record it). */
int crq_repo_user_email(crq_buf *out, crq_repo *repo);
/* Set a git config value in the repository's own configuration. */
int crq_repo_set_config(crq_repo *repo, const char *name, const char *value);
/* The change schema of this run (borrowed). */
int crq_repo_change_schema(const crq_schema **out, crq_repo *repo);
/* Full path of a file in the datadir ("schemas/change.schema.json"). */
void crq_repo_datafile(crq_buf *out, const crq_repo *repo, const char *rel);

/* Sign data with the repository's signing key for namespace (SSHSIG,
 * as `ssh-keygen -Y sign -n NAMESPACE` makes it); the armored signature
 * with its final newline goes to out. */
int crq_repo_sign(crq_buf *out, crq_repo *repo, const char *data,
	size_t len, const char *namespace_);

/* The cache under .git/crq/cache/ (DESIGN §9), every checksum
 * checked (a table that fails is dropped, to be rebuilt):
 * {path, enabled, bytes, tables: [{name, entries, bytes, ok}]}. */
int crq_cache_status(crq_node **out, crq_repo *repo);
/* Remove the cache; commands rebuild what they need. */
int crq_cache_clear(crq_repo *repo);

#ifdef __cplusplus
}
#endif

#endif
