/*
 * store.h - lib-internal interface of the git store (lib/store.c).
 */
#ifndef CRQ_STORE_H
#define CRQ_STORE_H

#include <git2.h>
#include "internal.h"
#include "cache.h"

/* One file to write in a commit. */
typedef struct {
	const char *path;	/* repository-relative, '/'-separated */
	const char *data;
	size_t len;
} crq_store_write;

struct crq_repo {
	git_repository *git;
	char *workdir;		/* NULL when bare */
	char *gitdir;
	char *branch;		/* "refs/heads/main"; "HEAD" when detached */
	int detached;		/* HEAD names a commit: nothing is written */
	char *datadir;
	char **config;		/* "name=value" overrides */
	size_t config_count;
	crq_schema *change_schema;
	crq_schema *policy_schema;
	/* the id (store.c: digest) of the bytes of each schema file as
	 * loaded; the policy schema's also before it is loaded, when
	 * policy_schema_id_known */
	git_oid change_schema_id, policy_schema_id;
	int policy_schema_id_known;
	crq_node *policy;	/* loaded lazily from the tip */
	git_oid policy_commit;	/* the commit policy was read from */
	git_oid policy_blob;	/* and its blob: a new tip with the same
				 * blob keeps the policy */
	struct crq_signer *signer;	/* opened once, lazily */
	char prefix[17];
	unsigned long shard_size;
	int lock_fd;		/* crq.lock while held */
	int lock_depth;
	git_oid tip;		/* the branch tip read under the lock */
	int tip_known;
	git_config *cfg;	/* configuration snapshot, read lazily */
	long long clock_behind;	/* seconds a step was dated past our clock */
	long long step_at;	/* > 0: date steps at this time (crq escalate --at) */
	git_oid last_step;	/* the last step this handle committed */
	int has_last_step;
	struct crq_defer *defer;	/* steps held for crq batch, or NULL */
	struct crq_live *live;	/* changes holding a window, by blob */
	void (*live_free)(struct crq_live *);	/* its owner's (change.c) */
};

/* Is the cache (lib/cache.h) on for repo?  Off with git config
 * crq.cache false or the environment CRQ_CACHE=off (the tests compare
 * both answers). */
int crq_cache__enabled(crq_repo *repo);
/* Open table name of repo's cache (.git/crq/cache); NULL when the
 * cache is off. */
crq_table *crq_cache__open(crq_repo *repo, const char *name);
/* Tip of the branch: *unborn = 1 and out zeroed when it has no commit. */
int crq_store__tip(crq_repo *repo, git_oid *out, int *unborn);
/* Read path at commit (tip when commit is NULL) into out; blob_out may
 * be NULL.  CRQ_ENOTFOUND when absent. */
int crq_store__read(crq_repo *repo, const git_oid *commit, const char *path,
	crq_buf *out, git_oid *blob_out);
/* Blob id of path in commit c (a zero id when absent or unreadable). */
void crq_store__blob_at(git_oid *out, crq_repo *repo, const git_oid *c,
	const char *path);
/* Commit writes on top of parent (NULL for the first commit of the
 * branch) with message, moving the branch with compare-and-swap.
 * Refuses with CRQ_ECONFLICT when the branch is no longer at parent or
 * when the checked-out work tree or index has uncommitted edits to one
 * of the paths; on success keeps work tree and index in step.  All crq
 * commits are created here. */
/* The largest file crq writes under .crq/ or changes/, and crq verify
 * accepts there. */
#define CRQ_STORE_MAX_FILE (1024 * 1024)
int crq_store__commit(crq_repo *repo, const git_oid *parent,
	const crq_store_write *writes, size_t count, const char *message,
	long long when, git_oid *out);
/* The time of a step on parent: now (GIT_COMMITTER_DATE when set), but
 * never earlier than the parent's committer time. */
long long crq_store__step_time(crq_repo *repo, const git_oid *parent);
/* The public key ("type base64") of the signing key git config names. */
int crq_store__signing_key(crq_buf *out, crq_repo *repo);
/* Take / release the repository's writers' lock (.git/crq.lock,
 * flock): crq writers on this machine take turns from reading the tip
 * to moving the branch, so they do not race at all; the ref
 * compare-and-swap still guards against everyone else.  Recursive. */
int crq_store__lock(crq_repo *repo);
void crq_store__unlock(crq_repo *repo);
/* Seconds since the epoch of an RFC 3339 time (or git's "@T +zone"). */
int crq_store__parse_time(const char *s, long long *out);
/* Current time as RFC 3339 UTC, honouring GIT_COMMITTER_DATE. */
void crq_store__now(crq_buf *out, crq_repo *repo);
/* The branch's short name ("main"), or "HEAD" when it is detached. */
const char *crq_store__branch_name(const crq_repo *repo);
/* CRQ_EREPO when HEAD is detached: a step needs a branch to move. */
int crq_store__need_branch(crq_repo *repo);
/* Turn libgit2's object cache off for a long walk (begin 1) and on
 * again after it (begin 0); process-wide, as libgit2's option is. */
void crq_store__walk_uncached(int begin);
/* Committer e-mail (GIT_COMMITTER_EMAIL, user.email), CRQ_EREPO when
 * unset. */
int crq_store__email(crq_buf *out, crq_repo *repo);
/* The policy schema of this run (read once, borrowed). */
int crq_store__policy_schema(const crq_schema **out, crq_repo *repo);
/* The id of the policy schema file's bytes: of the schema loaded, or
 * of the file as it is now when none is (without parsing it). */
int crq_store__policy_schema_id(git_oid *out, crq_repo *repo);


/* For crq init (lib/init.c): open a repository at path without
 * searching upwards (flags for git_repository_open_ext), wrap it in a
 * handle (taking git over), the identity and the signer git config
 * names (repo NULL: the global configuration, with overrides). */
int crq_store__open_git(git_repository **out, const char *path,
	unsigned flags);
int crq_store__setup(crq_repo **out, git_repository *git,
	const crq_options *opts);
struct crq_signer;
int crq_store__identity_with(crq_buf *name, crq_buf *email, crq_repo *repo,
	const char *const *over, size_t nover, const char *who);
int crq_store__open_signer(struct crq_signer **out, crq_repo *repo,
	const char *const *over, size_t nover);

/* Drop the steps repo holds (unwritten) and what holds them: for
 * crq_repo_free. */
void crq_store__defer_free(crq_repo *repo);

/* Returned by crq_store__commit when the branch moved under us (the
 * compare-and-swap lost); callers re-read and retry a few times. */
#define CRQ_STORE_RACE (-100)
#define CRQ_STORE_RETRIES 8

#endif
