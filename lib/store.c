/*
 * store.c - the crq store in git: opening, reading, and the one place
 * where crq creates commits and moves the branch.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include "change.h"
#include "sign.h"

#define POLICY_PATH ".crq/policy.yaml"
#define TEMPLATE_DIR ".crq/templates"
#define MAX_RETRY 8
#define CACHE_BYTES (16 * 1024 * 1024)	/* libgit2's object cache, raw bytes */

int crq_store__git_error(int code, const char *what)
{
	const git_error *e = git_error_last();
	const char *msg = e && e->message ? e->message : "unknown error";
	int crq = CRQ_EREPO;

	if (code == GIT_ENOTFOUND)
		crq = CRQ_ENOTFOUND;
	else if (code == GIT_EMODIFIED || code == GIT_ELOCKED)
		crq = CRQ_ECONFLICT;
	return crq_error__set(crq, "%s: %s", what, msg);
}

static void repo_dispose_fields(crq_repo *repo)
{
	size_t i;

	if (repo->lock_fd >= 0)
		close(repo->lock_fd);
	git_repository_free(repo->git);
	free(repo->workdir);
	free(repo->gitdir);
	free(repo->branch);
	free(repo->datadir);
	for (i = 0; i < repo->config_count; i++)
		free(repo->config[i]);
	free(repo->config);
	git_config_free(repo->cfg);
	crq_schema_free(repo->change_schema);
	crq_schema_free(repo->policy_schema);
	crq_node_free(repo->policy);
	crq_signer_free(repo->signer);	/* wipes the private key */
	if (repo->live)
		repo->live_free(repo->live);
}

void crq_repo_free(crq_repo *repo)
{
	if (!repo)
		return;
	repo_dispose_fields(repo);
	free(repo);
	git_libgit2_shutdown();
}

static char *strip_slash(const char *p)
{
	char *s = crq__strdup(p);
	size_t n = strlen(s);

	while (n > 1 && s[n - 1] == '/')
		s[--n] = '\0';
	return s;
}

static void cache_options(void);

int crq_store__setup(crq_repo **out, git_repository *git, const crq_options *opts)
{
	crq_repo *repo = crq__calloc(1, sizeof(*repo));
	git_reference *head = NULL;
	const char *target;
	size_t i;
	int err = 0;

	/* each open repo holds one libgit2 reference, dropped by _free */
	git_libgit2_init();
	cache_options();
	repo->git = git;
	if (git_repository_workdir(git))
		repo->workdir = strip_slash(git_repository_workdir(git));
	repo->gitdir = strip_slash(git_repository_path(git));
	repo->datadir = crq__strdup(opts && opts->datadir ? opts->datadir : ".");
	if (opts && opts->config_count) {
		repo->config = crq__calloc(opts->config_count, sizeof(char *));
		for (i = 0; i < opts->config_count; i++)
			repo->config[i] = crq__strdup(opts->config[i]);
		repo->config_count = opts->config_count;
	}
	repo->shard_size = 1000;
	repo->lock_fd = -1;
	strcpy(repo->prefix, "CHG");

	if ((err = git_reference_lookup(&head, git, "HEAD")) < 0) {
		err = crq_store__git_error(err, "cannot read HEAD");
		goto done;
	}
	if (git_reference_type(head) != GIT_REFERENCE_SYMBOLIC ||
	    !(target = git_reference_symbolic_target(head)) ||
	    strncmp(target, "refs/heads/", 11)) {
		err = crq_error__set(CRQ_EREPO,
			"HEAD is detached in '%s'; check out a branch first",
			repo->gitdir);
		goto done;
	}
	repo->branch = crq__strdup(target);
done:
	git_reference_free(head);
	if (err) {
		crq_repo_free(repo);
		return err;
	}
	*out = repo;
	return 0;
}

int crq_store__open_git(git_repository **out, const char *path, unsigned flags)
{
	int err;

	git_libgit2_init();
	err = git_repository_open_ext(out, path, flags, NULL);
	git_libgit2_shutdown();
	return err;
}

/* libgit2's object cache, for every handle crq opens. */
static void cache_options(void)
{
	/* many commands on the same changes: keep small blobs (change
	 * files, the policy) in libgit2's object cache as it keeps trees
	 * and commits, instead of inflating them from disk at every read */
	git_libgit2_opts(GIT_OPT_SET_CACHE_OBJECT_LIMIT, GIT_OBJECT_BLOB,
		(size_t)64 * 1024);
	/* the cache counts an object by its raw size, but a parsed commit
	 * or tree takes several times that: libgit2's default (256 MB of
	 * raw objects) let a walk of a million commits reach 2.3 GB */
	git_libgit2_opts(GIT_OPT_SET_CACHE_MAX_SIZE, (ssize_t)CACHE_BYTES);
}

void crq_global_init(void)
{
	git_libgit2_init();
	cache_options();
}

void crq_global_shutdown(void)
{
	crq__shutdown_run();
	git_libgit2_shutdown();
}

int crq_repo_open(crq_repo **out, const char *path, const crq_options *opts)
{
	git_repository *git = NULL;
	int err;

	*out = NULL;
	git_libgit2_init();
	/* inside a git hook (pre-receive) the pushed objects sit in a
	 * quarantine that only git's environment points to */
	if (getenv("GIT_DIR") && (getenv("GIT_QUARANTINE_PATH") ||
			getenv("GIT_OBJECT_DIRECTORY")))
		err = crq_store__open_git(&git, NULL, GIT_REPOSITORY_OPEN_FROM_ENV);
	else
		err = crq_store__open_git(&git, path, 0);
	if (err == GIT_ENOTFOUND) {
		err = crq_error__set(CRQ_EREPO,
			"not a git repository (or any parent): '%s'", path);
		goto done;
	} else if (err < 0) {
		err = crq_store__git_error(err, "cannot open repository");
		goto done;
	}
	err = crq_store__setup(out, git, opts);
	git = NULL;
done:
	git_repository_free(git);
	git_libgit2_shutdown();
	return err;
}

const char *crq_repo_workdir(const crq_repo *repo)
{
	return repo->workdir;
}

const char *crq_repo_gitdir(const crq_repo *repo)
{
	return repo->gitdir;
}

void crq_repo_set_step_time(crq_repo *repo, long long t)
{
	repo->step_at = t;
}

int crq_repo_last_step(crq_buf *out, const crq_repo *repo)
{
	char hex[GIT_OID_HEXSZ + 1];

	if (!repo->has_last_step)
		return CRQ_ENOTFOUND;
	git_oid_tostr(hex, sizeof(hex), &repo->last_step);
	crq_buf_puts(out, hex);
	return 0;
}

long long crq_repo_clock_behind(const crq_repo *repo)
{
	return repo->clock_behind;
}

const char *crq_repo_branch(const crq_repo *repo)
{
	return repo->branch;
}

void crq_repo_datafile(crq_buf *out, const crq_repo *repo, const char *rel)
{
	crq_buf_printf(out, "%s/%s", repo->datadir, rel);
}

/* The repository's configuration, read once per command: a snapshot
 * kept until crq_repo_refresh() (each fresh snapshot stats every
 * configuration file again). */
static int repo_cfg(git_config **out, crq_repo *repo)
{
	int err;

	if (!repo->cfg &&
	    (err = git_repository_config_snapshot(&repo->cfg, repo->git)) < 0) {
		repo->cfg = NULL;
		return crq_store__git_error(err, "cannot read git config");
	}
	*out = repo->cfg;
	return 0;
}

/* A configuration value: -c overrides first, then the repository's
 * configuration (repo NULL: the global one). */
static int config_get(crq_buf *out, crq_repo *repo,
	const char *const *over, size_t nover, const char *name)
{
	git_config *cfg = NULL, *snap = NULL;
	git_buf val = { 0 };
	size_t i, n = strlen(name);
	int err;

	/* later -c options win, as in git */
	for (i = nover; i-- > 0;) {
		const char *c = over[i];

		if (!strncasecmp(c, name, n) && c[n] == '=') {
			crq_buf_puts(out, c + n + 1);
			return 0;
		}
	}
	if (repo) {
		if ((err = repo_cfg(&cfg, repo)) < 0)
			return err;
	} else {
		if ((err = git_config_open_default(&snap)) == 0)
			err = git_config_snapshot(&cfg, snap);
		git_config_free(snap);
		if (err < 0)
			return crq_store__git_error(err,
				"cannot read git config");
	}
	err = git_config_get_string_buf(&val, cfg, name);
	if (err == GIT_ENOTFOUND) {
		err = crq_error__set(CRQ_ENOTFOUND, "'%s' is not set", name);
	} else if (err < 0) {
		err = crq_store__git_error(err, "cannot read git config");
	} else {
		crq_buf_put(out, val.ptr, val.size);
		err = 0;
	}
	git_buf_dispose(&val);
	if (!repo)
		git_config_free(cfg);
	return err;
}

int crq_repo_config(crq_buf *out, crq_repo *repo, const char *name)
{
	return config_get(out, repo, (const char *const *)repo->config,
		repo->config_count, name);
}

int crq_repo_set_config(crq_repo *repo, const char *name, const char *value)
{
	git_config *cfg = NULL;
	int err;

	if ((err = git_repository_config(&cfg, repo->git)) < 0 ||
	    (err = git_config_set_string(cfg, name, value)) < 0)
		err = crq_store__git_error(err, "cannot write the git config");
	git_config_free(cfg);
	/* later reads see it */
	git_config_free(repo->cfg);
	repo->cfg = NULL;
	return err < 0 ? err : 0;
}

int crq_repo_change_schema(const crq_schema **out, crq_repo *repo)
{
	crq_buf path = CRQ_BUF_INIT;
	int err = 0;

	if (!repo->change_schema) {
		crq_repo_datafile(&path, repo, "schemas/change.schema.json");
		err = crq_schema_load(&repo->change_schema, path.ptr);
		crq_buf_dispose(&path);
	}
	*out = repo->change_schema;
	return err;
}

int crq_store__policy_schema(const crq_schema **out, crq_repo *repo)
{
	crq_buf path = CRQ_BUF_INIT;
	int err = 0;

	if (!repo->policy_schema) {
		crq_repo_datafile(&path, repo, "schemas/policy.schema.json");
		err = crq_schema_load(&repo->policy_schema, path.ptr);
		crq_buf_dispose(&path);
	}
	*out = repo->policy_schema;
	return err;
}

/* ---- time and identity ---- */

static int parse_date(const char *s, long long *out)
{
	struct tm tm;
	char *end;
	long long t;
	int sign, hh, mm;

	if (*s == '@')
		s++;
	t = strtoll(s, &end, 10);
	if (end != s && (*end == '\0' || *end == ' ')) {
		/* "<epoch> <+hhmm>": the zone does not change the instant */
		*out = t;
		return 0;
	}
	memset(&tm, 0, sizeof(tm));
	/* RFC 3339 (the schema's date-time): 'T' or 't', fractions of a
	 * second (dropped: crq's times are whole seconds) */
	if (strlen(s) > 10 && (s[10] == 'T' || s[10] == 't' || s[10] == ' ')) {
		char head[11];

		memcpy(head, s, 10);
		head[10] = '\0';
		if (!strptime(head, "%Y-%m-%d", &tm) ||
		    !(end = strptime(s + 11, "%H:%M:%S", &tm)))
			return -1;
	} else {
		return -1;
	}
	if (*end == '.') {
		end++;
		if (*end < '0' || *end > '9')
			return -1;
		while (*end >= '0' && *end <= '9')
			end++;
	}
	{
		/* no 31 February: the date must be one */
		struct tm back;
		int y = tm.tm_year, mo = tm.tm_mon, d = tm.tm_mday;
		time_t tt;

		t = (long long)timegm(&tm);
		tt = (time_t)t;
		if (!gmtime_r(&tt, &back) || back.tm_year != y ||
		    back.tm_mon != mo || back.tm_mday != d)
			return -1;
	}
	while (*end == ' ')
		end++;
	if (*end == 'Z' || *end == 'z' || *end == '\0') {
		*out = t;
		return 0;
	}
	if (*end != '+' && *end != '-')
		return -1;
	sign = *end == '-' ? -1 : 1;
	if (sscanf(end + 1, "%2d:%2d", &hh, &mm) != 2 &&
	    sscanf(end + 1, "%2d%2d", &hh, &mm) != 2)
		return -1;
	*out = t - sign * (hh * 3600LL + mm * 60LL);
	return 0;
}

int crq_store__parse_time(const char *s, long long *out)
{
	return !s || parse_date(s, out) < 0 ? CRQ_EINVALID : 0;
}

static long long now_epoch(const char *env)
{
	const char *s = getenv(env);
	long long t;

	if (s && *s && !parse_date(s, &t))
		return t;
	return (long long)time(NULL);
}

int crq_time_parse(const char *text, long long *out)
{
	if (!text || parse_date(text, out) < 0)
		return crq_error__set(CRQ_EINVALID,
			"'%s' is not a time (RFC 3339, e.g. 2026-12-01T10:00:00Z)",
			text ? text : "");
	return 0;
}

long long crq_time_now(void)
{
	return now_epoch("GIT_COMMITTER_DATE");
}

int crq_repo_user_email(crq_buf *out, crq_repo *repo)
{
	return crq_store__email(out, repo);
}

void crq_store__now(crq_buf *out, crq_repo *repo)
{
	time_t t = (time_t)now_epoch("GIT_COMMITTER_DATE");
	struct tm tm;
	char tmp[64];

	(void)repo;
	gmtime_r(&t, &tm);
	strftime(tmp, sizeof(tmp), "%Y-%m-%dT%H:%M:%SZ", &tm);
	crq_buf_puts(out, tmp);
}

int crq_store__identity_with(crq_buf *name, crq_buf *email,
	crq_repo *repo, const char *const *over, size_t nover,
	const char *who)
{
	char env[64];
	const char *v;
	int err;

	snprintf(env, sizeof(env), "GIT_%s_NAME", who);
	if ((v = getenv(env)) && *v)
		crq_buf_puts(name, v);
	else if ((err = config_get(name, repo, over, nover, "user.name")) < 0)
		return crq_error__set(CRQ_EREPO,
			"user.name is not set; run git config user.name 'Your Name'");
	snprintf(env, sizeof(env), "GIT_%s_EMAIL", who);
	if ((v = getenv(env)) && *v)
		crq_buf_puts(email, v);
	else if ((err = config_get(email, repo, over, nover,
			"user.email")) < 0)
		return crq_error__set(CRQ_EREPO,
			"user.email is not set; run git config user.email you@example.com");
	return 0;
}

static int identity(crq_buf *name, crq_buf *email, crq_repo *repo,
	const char *who)
{
	return crq_store__identity_with(name, email, repo,
		(const char *const *)repo->config, repo->config_count, who);
}

int crq_store__email(crq_buf *out, crq_repo *repo)
{
	crq_buf name = CRQ_BUF_INIT;
	int err = identity(&name, out, repo, "COMMITTER");

	crq_buf_dispose(&name);
	return err;
}

/* The committer at time when (both author and committer of a crq
 * commit: the member who takes the step, at the step's time). */
static int make_signature(git_signature **out, crq_repo *repo,
	long long when)
{
	crq_buf name = CRQ_BUF_INIT, email = CRQ_BUF_INIT;
	const char *d;
	int err, offset = 0, sign, hh, mm;
	const char *sp;

	if ((err = identity(&name, &email, repo, "COMMITTER")) < 0)
		goto done;
	d = getenv("GIT_COMMITTER_DATE");
	if (d && (sp = strrchr(d, ' ')) && (sp[1] == '+' || sp[1] == '-') &&
	    sscanf(sp + 2, "%2d%2d", &hh, &mm) == 2) {
		sign = sp[1] == '-' ? -1 : 1;
		offset = sign * (hh * 60 + mm);
	}
	if ((err = git_signature_new(out, name.ptr, email.ptr,
			(git_time_t)when, offset)) < 0)
		err = crq_store__git_error(err, "invalid identity");
done:
	crq_buf_dispose(&name);
	crq_buf_dispose(&email);
	return err;
}

/* ---- reading ---- */

int crq_store__tip(crq_repo *repo, git_oid *out, int *unborn)
{
	int err;

	/* under the writers' lock no crq writer moves the branch; anyone
	 * else who does loses to the compare-and-swap at commit time */
	if (repo->tip_known) {
		git_oid_cpy(out, &repo->tip);
		*unborn = git_oid_is_zero(out);
		return 0;
	}
	err = git_reference_name_to_id(out, repo->git, repo->branch);
	*unborn = 0;
	if (err == GIT_ENOTFOUND) {
		memset(out, 0, sizeof(*out));
		*unborn = 1;
		err = 0;
	}
	if (err < 0)
		return crq_store__git_error(err, "cannot resolve branch");
	if (repo->lock_depth > 0) {
		git_oid_cpy(&repo->tip, out);
		repo->tip_known = 1;
	}
	return 0;
}

int crq_store__read(crq_repo *repo, const git_oid *commit, const char *path,
	crq_buf *out, git_oid *blob_out)
{
	git_oid tip;
	git_commit *c = NULL;
	git_tree *tree = NULL;
	git_tree_entry *entry = NULL;
	git_blob *blob = NULL;
	int unborn, err;

	if (!commit) {
		if ((err = crq_store__tip(repo, &tip, &unborn)) < 0)
			return err;
		if (unborn)
			return crq_error__set(CRQ_ENOTFOUND,
				"branch '%s' has no commits", repo->branch);
		commit = &tip;
	}
	if ((err = git_commit_lookup(&c, repo->git, commit)) < 0 ||
	    (err = git_commit_tree(&tree, c)) < 0) {
		err = crq_store__git_error(err, "cannot read commit");
		goto done;
	}
	if ((err = git_tree_entry_bypath(&entry, tree, path)) < 0) {
		err = err == GIT_ENOTFOUND ?
			crq_error__set(CRQ_ENOTFOUND, "'%s' does not exist", path) :
			crq_store__git_error(err, "cannot read tree");
		goto done;
	}
	if (git_tree_entry_type(entry) != GIT_OBJECT_BLOB) {
		err = crq_error__set(CRQ_EINVALID, "'%s' is not a file", path);
		goto done;
	}
	if ((err = git_blob_lookup(&blob, repo->git,
			git_tree_entry_id(entry))) < 0) {
		err = crq_store__git_error(err, "cannot read blob");
		goto done;
	}
	crq_buf_put(out, git_blob_rawcontent(blob),
		(size_t)git_blob_rawsize(blob));
	if (blob_out)
		git_oid_cpy(blob_out, git_blob_id(blob));
	err = 0;
done:
	git_blob_free(blob);
	git_tree_entry_free(entry);
	git_tree_free(tree);
	git_commit_free(c);
	return err;
}

void crq_store__blob_at(git_oid *out, crq_repo *repo, const git_oid *c,
	const char *path)
{
	git_commit *commit = NULL;
	git_tree *tree = NULL;
	git_tree_entry *entry = NULL;

	memset(out, 0, sizeof(*out));
	if (git_commit_lookup(&commit, repo->git, c) == 0 &&
	    git_commit_tree(&tree, commit) == 0 &&
	    git_tree_entry_bypath(&entry, tree, path) == 0)
		git_oid_cpy(out, git_tree_entry_id(entry));
	git_tree_entry_free(entry);
	git_tree_free(tree);
	git_commit_free(commit);
}

void crq_repo_refresh(crq_repo *repo)
{
	git_oid tip, blob;
	int unborn;

	if (!repo->lock_depth) {
		git_config_free(repo->cfg);
		repo->cfg = NULL;
	}
	if (!repo->policy)
		return;
	if (crq_store__tip(repo, &tip, &unborn) < 0 || unborn)
		goto drop;
	if (git_oid_equal(&tip, &repo->policy_commit))
		return;
	/* someone committed: the policy we hold stays if its blob did */
	crq_store__blob_at(&blob, repo, &tip, POLICY_PATH);
	if (git_oid_equal(&blob, &repo->policy_blob)) {
		git_oid_cpy(&repo->policy_commit, &tip);
		return;
	}
drop:
	crq_node_free(repo->policy);
	repo->policy = NULL;
}

/* ---- the writers' lock ---- */

int crq_store__lock(crq_repo *repo)
{
	crq_buf path = CRQ_BUF_INIT;
	int fd, err = 0;

	if (repo->lock_depth++ > 0)
		return 0;
	/* flock() is released by the kernel if the process dies */
	crq_buf_printf(&path, "%s/crq.lock", repo->gitdir);
	fd = open(path.ptr, O_CREAT | O_RDWR | O_CLOEXEC, 0666);
	if (fd < 0 || flock(fd, LOCK_EX) < 0) {
		err = crq_error__set(CRQ_EREPO, "cannot lock '%s': %s",
			path.ptr, strerror(errno));
		if (fd >= 0)
			close(fd);
		repo->lock_depth = 0;
	} else {
		repo->lock_fd = fd;
		/* a policy read before we held the lock may be stale now */
		crq_repo_refresh(repo);
	}
	crq_buf_dispose(&path);
	return err;
}

void crq_store__unlock(crq_repo *repo)
{
	if (repo->lock_depth == 0 || --repo->lock_depth > 0)
		return;
	close(repo->lock_fd);
	repo->lock_fd = -1;
	repo->tip_known = 0;
}

/* ---- signing ---- */

/* The signer git would use: gpg.format and user.signingkey, with -c
 * overrides.  repo NULL reads the global configuration. */
int crq_store__open_signer(crq_signer **out, crq_repo *repo,
	const char *const *over, size_t nover)
{
	crq_buf fmt = CRQ_BUF_INIT, key = CRQ_BUF_INIT;
	int err;

	*out = NULL;
	if ((err = config_get(&fmt, repo, over, nover, "gpg.format")) < 0 &&
	    err != CRQ_ENOTFOUND)
		goto done;
	if ((err = config_get(&key, repo, over, nover, "user.signingkey")) < 0 &&
	    err != CRQ_ENOTFOUND)
		goto done;
	err = crq_signer_open(out, fmt.size ? fmt.ptr : NULL,
		key.size ? key.ptr : NULL);
	if (err < 0 && !key.size)
		err = crq_error__set(CRQ_ESIGN,
			"no signing key: every crq step is a signed commit\n"
			"hint: git config gpg.format ssh; git config user.signingkey ~/.ssh/id_ed25519");
done:
	crq_buf_dispose(&fmt);
	crq_buf_dispose(&key);
	return err;
}

/* The signer of this repository handle, opened once. */
static int repo_signer(crq_signer **out, crq_repo *repo)
{
	int err = 0;

	if (!repo->signer)
		err = crq_store__open_signer(&repo->signer, repo,
			(const char *const *)repo->config, repo->config_count);
	*out = repo->signer;
	return err;
}

int crq_repo_sign(crq_buf *out, crq_repo *repo, const char *data,
	size_t len, const char *namespace_)
{
	crq_signer *s;
	int err;

	if ((err = repo_signer(&s, repo)) < 0 ||
	    (err = crq_signer_sign_ns(s, out, data, len, namespace_)) < 0)
		return err;
	crq_buf_putc(out, '\n');
	return 0;
}

int crq_store__signing_key(crq_buf *out, crq_repo *repo)
{
	crq_signer *s;
	int err = repo_signer(&s, repo);

	if (!err)
		crq_buf_puts(out, crq_signer_public_key(s));
	return err;
}

/* ---- writing ---- */

/* Insert blob at path below base (which may be NULL), giving out. */
static int tree_insert(git_repository *git, const git_tree *base,
	const char *path, const git_oid *blob, git_oid *out)
{
	git_treebuilder *bld = NULL;
	git_tree *sub = NULL;
	const git_tree_entry *e;
	const char *slash = strchr(path, '/');
	char name[256];
	size_t n = slash ? (size_t)(slash - path) : strlen(path);
	git_oid sub_oid;
	int err;

	if (n == 0 || n >= sizeof(name))
		return crq_error__set(CRQ_EUSAGE, "bad path '%s'", path);
	memcpy(name, path, n);
	name[n] = '\0';
	if ((err = git_treebuilder_new(&bld, git, base)) < 0)
		goto fail;
	if (!slash) {
		err = git_treebuilder_insert(NULL, bld, name, blob,
			GIT_FILEMODE_BLOB);
	} else {
		e = base ? git_tree_entry_byname(base, name) : NULL;
		if (e && git_tree_entry_type(e) == GIT_OBJECT_TREE &&
		    (err = git_tree_lookup(&sub, git, git_tree_entry_id(e))) < 0)
			goto fail;
		if ((err = tree_insert(git, sub, slash + 1, blob, &sub_oid)) < 0)
			goto done;
		err = git_treebuilder_insert(NULL, bld, name, &sub_oid,
			GIT_FILEMODE_TREE);
	}
	if (err < 0 || (err = git_treebuilder_write(out, bld)) < 0)
		goto fail;
	err = 0;
	goto done;
fail:
	err = crq_store__git_error(err, "cannot write tree");
done:
	git_tree_free(sub);
	git_treebuilder_free(bld);
	return err;
}

/* Several files at once, through an in-memory index, so that no
 * intermediate trees are left dangling in the object database. */
static int tree_build(git_repository *git, git_tree *base,
	const crq_store_write *writes, const git_oid *blobs, size_t count,
	git_oid *out)
{
	git_index *mi = NULL;
	git_index_entry e;
	size_t i;
	int err;

	if ((err = git_index_new(&mi)) < 0 ||
	    (base && (err = git_index_read_tree(mi, base)) < 0))
		goto fail;
	for (i = 0; i < count; i++) {
		memset(&e, 0, sizeof(e));
		e.mode = GIT_FILEMODE_BLOB;
		e.path = writes[i].path;
		git_oid_cpy(&e.id, &blobs[i]);
		if ((err = git_index_add(mi, &e)) < 0)
			goto fail;
	}
	if ((err = git_index_write_tree_to(out, mi, git)) < 0)
		goto fail;
	git_index_free(mi);
	return 0;
fail:
	git_index_free(mi);
	return crq_store__git_error(err, "cannot write tree");
}

static void full_path(crq_buf *out, crq_repo *repo, const char *path)
{
	crq_buf_clear(out);
	crq_buf_printf(out, "%s/%s", repo->workdir, path);
}

/* Is the work tree (file and index entry) at old (NULL: absent)? */
static int worktree_clean(crq_repo *repo, git_index *idx, const char *path,
	const git_oid *old)
{
	crq_buf fp = CRQ_BUF_INIT, data = CRQ_BUF_INIT;
	const git_index_entry *ie = git_index_get_bypath(idx, path, 0);
	git_oid h;
	struct stat st;
	int err = 0, differs = 0;

	full_path(&fp, repo, path);
	if (old) {
		if (!ie || !git_oid_equal(&ie->id, old))
			differs = 1;
		else if (lstat(fp.ptr, &st) < 0 || !S_ISREG(st.st_mode))
			differs = 1;
		else if ((err = crq_buf_read_file(&data, fp.ptr,
				64 * 1024 * 1024)) < 0)
			goto done;
		else if (git_odb_hash(&h, data.ptr, data.size,
				GIT_OBJECT_BLOB) < 0 || !git_oid_equal(&h, old))
			differs = 1;
	} else {
		if (ie || lstat(fp.ptr, &st) == 0)
			differs = 1;
	}
	if (differs)
		err = crq_error__set(CRQ_ECONFLICT,
			"'%s' has uncommitted changes in the work tree or index; "
			"commit, stash or remove them first", path);
done:
	crq_buf_dispose(&fp);
	crq_buf_dispose(&data);
	return err;
}

static int mkdirs(char *path)
{
	char *p;

	for (p = path + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(path, 0777) < 0 && errno != EEXIST) {
			*p = '/';
			return -1;
		}
		*p = '/';
	}
	return 0;
}

static int write_worktree_file(crq_repo *repo, const crq_store_write *w)
{
	crq_buf fp = CRQ_BUF_INIT, tmp = CRQ_BUF_INIT;
	int fd = -1, err = 0;
	size_t off = 0;

	full_path(&fp, repo, w->path);
	crq_buf_printf(&tmp, "%s.crq-tmp-%ld", fp.ptr, (long)getpid());
	if (mkdirs(fp.ptr) < 0 ||
	    (fd = open(tmp.ptr, O_WRONLY | O_CREAT | O_TRUNC, 0666)) < 0)
		goto fail;
	while (off < w->len) {
		ssize_t n = write(fd, w->data + off, w->len - off);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			goto fail;
		}
		off += (size_t)n;
	}
	if (close(fd) < 0) {
		fd = -1;
		goto fail;
	}
	fd = -1;
	if (rename(tmp.ptr, fp.ptr) < 0)
		goto fail;
	goto done;
fail:
	err = crq_error__set(CRQ_EREPO, "cannot write '%s': %s", fp.ptr,
		strerror(errno));
	if (fd >= 0)
		close(fd);
	unlink(tmp.ptr);
done:
	crq_buf_dispose(&fp);
	crq_buf_dispose(&tmp);
	return err;
}

/* The branch is checked out in a work tree when HEAD points at it. */
/* Is the store's branch the one checked out (HEAD names it)?  Steps
 * written elsewhere (a sync's replay ref) leave the work tree alone. */
static int checked_out(crq_repo *repo)
{
	git_reference *head = NULL;
	int on;

	if (!repo->workdir || git_repository_is_bare(repo->git) ||
	    git_reference_lookup(&head, repo->git, "HEAD") < 0)
		return 0;
	on = git_reference_type(head) == GIT_REFERENCE_SYMBOLIC &&
		!strcmp(git_reference_symbolic_target(head), repo->branch);
	git_reference_free(head);
	return on;
}

long long crq_store__step_time(crq_repo *repo, const git_oid *parent)
{
	long long now = repo->step_at > 0 ? repo->step_at :
		now_epoch("GIT_COMMITTER_DATE"), t = now;
	git_commit *c = NULL, *p = NULL;
	int n = 0;

	/* never earlier than what came before: time only goes forward,
	 * also past code commits dated back (up to the last signed step,
	 * which verify already holds to its own past) */
	if (!parent || git_commit_lookup(&c, repo->git, parent) < 0)
		return t;
	while (c && n++ < 256) {
		long long ct = (long long)git_commit_committer(c)->when.time;

		if (ct > t)
			t = ct;
		if (ct - now > 60 && ct - now > repo->clock_behind)
			repo->clock_behind = ct - now;
		if (git_commit_parentcount(c) != 1 ||
		    strstr(git_commit_message(c), "\nCrq-Action: ") ||
		    git_commit_parent(&p, c, 0) < 0)
			break;
		git_commit_free(c);
		c = p;
		p = NULL;
	}
	git_commit_free(c);
	return t;
}

int crq_store__commit(crq_repo *repo, const git_oid *parent,
	const crq_store_write *writes, size_t count, const char *message,
	long long when, git_oid *out)
{
	git_commit *pc = NULL;
	git_tree *tree = NULL, *next = NULL;
	git_signature *author = NULL, *committer = NULL;
	git_reference *ref = NULL;
	git_index *idx = NULL;
	git_oid *blobs = crq__calloc(count ? count : 1, sizeof(git_oid));
	git_oid tree_oid, old_blob;
	crq_buf reflog = CRQ_BUF_INIT, scratch = CRQ_BUF_INIT;
	const git_commit *parents[1];
	size_t i;
	git_buf payload = { 0 };
	crq_signer *signer = NULL;
	int err, locked = 0;

	/* never write what verify would refuse */
	for (i = 0; i < count; i++)
		if (writes[i].data && writes[i].len > CRQ_STORE_MAX_FILE) {
			err = crq_error__set(CRQ_EINVALID,
				"'%s' would be %zu bytes: a crq file may hold %d at most",
				writes[i].path, writes[i].len, CRQ_STORE_MAX_FILE);
			goto done;
		}
	if ((err = make_signature(&author, repo, when)) < 0 ||
	    (err = make_signature(&committer, repo, when)) < 0 ||
	    (err = repo_signer(&signer, repo)) < 0)
		goto done;
	if (parent) {
		if ((err = git_commit_lookup(&pc, repo->git, parent)) < 0 ||
		    (err = git_commit_tree(&tree, pc)) < 0) {
			err = crq_store__git_error(err, "cannot read parent");
			goto done;
		}
	}
	/*
	 * Serialise crq writers of this repository from the check of the
	 * work tree to the index write: the index is read, modified and
	 * written whole, so two writers interleaving there would drop each
	 * other's entries.  Callers usually hold the lock already, from
	 * before they read the tip (crq_store__lock).
	 */
	if ((err = crq_store__lock(repo)) < 0)
		goto done;
	locked = 1;
	if (checked_out(repo)) {
		/* a writer that got here first moved the branch: retry */
		{
			git_oid now;
			int unborn;

			if ((err = crq_store__tip(repo, &now, &unborn)) < 0)
				goto done;
			if (unborn != !parent ||
			    (parent && !git_oid_equal(&now, parent))) {
				crq_error__set(CRQ_ECONFLICT,
					"branch '%s' moved while writing; try again",
					repo->branch + 11);
				err = CRQ_STORE_RACE;
				goto done;
			}
		}
		if ((err = git_repository_index(&idx, repo->git)) < 0 ||
		    (err = git_index_read(idx, 1)) < 0) {
			err = crq_store__git_error(err, "cannot read index");
			goto done;
		}
		for (i = 0; i < count; i++) {
			int have;

			crq_buf_clear(&scratch);
			have = parent && crq_store__read(repo, parent,
				writes[i].path, &scratch, &old_blob) == 0;
			if ((err = worktree_clean(repo, idx, writes[i].path,
					have ? &old_blob : NULL)) < 0)
				goto done;
		}
	}
	for (i = 0; i < count; i++) {
		if ((err = git_blob_create_from_buffer(&blobs[i], repo->git,
				writes[i].data, writes[i].len)) < 0) {
			err = crq_store__git_error(err, "cannot write blob");
			goto done;
		}
	}
	if (count == 1)
		err = tree_insert(repo->git, tree, writes[0].path, &blobs[0],
			&tree_oid);
	else
		err = tree_build(repo->git, tree, writes, blobs, count,
			&tree_oid);
	if (err < 0)
		goto done;
	if ((err = git_tree_lookup(&next, repo->git, &tree_oid)) < 0) {
		err = crq_store__git_error(err, "cannot read tree");
		goto done;
	}
	git_tree_free(tree);
	tree = next;
	next = NULL;
	if (!tree) {
		err = crq_error__set(CRQ_EUSAGE, "empty commit");
		goto done;
	}
	parents[0] = pc;
	/* sign what git signs: the commit object without its gpgsig */
	if ((err = git_commit_create_buffer(&payload, repo->git, author,
			committer, NULL, message, tree, pc ? 1 : 0,
			parents)) < 0) {
		err = crq_store__git_error(err, "cannot write commit");
		goto done;
	}
	crq_buf_clear(&scratch);
	if ((err = crq_signer_sign(signer, &scratch, payload.ptr,
			payload.size)) < 0)
		goto done;
	if ((err = git_commit_create_with_signature(out, repo->git,
			payload.ptr, scratch.ptr, NULL)) < 0) {
		err = crq_store__git_error(err, "cannot write commit");
		goto done;
	}
	crq_buf_printf(&reflog, "crq: %.*s", (int)strcspn(message, "\n"),
		message);
	/* compare-and-swap: lose the race cleanly instead of losing a step */
	if (parent)
		err = git_reference_create_matching(&ref, repo->git,
			repo->branch, out, 1, parent, reflog.ptr);
	else
		err = git_reference_create(&ref, repo->git, repo->branch, out,
			0, reflog.ptr);
	if (err == GIT_EMODIFIED || err == GIT_EEXISTS || err == GIT_ELOCKED) {
		crq_error__set(CRQ_ECONFLICT,
			"branch '%s' moved while writing; try again",
			repo->branch + 11);
		err = CRQ_STORE_RACE;
		repo->tip_known = 0;	/* someone else moved it: read again */
		goto done;
	} else if (err < 0) {
		err = crq_store__git_error(err, "cannot update branch");
		repo->tip_known = 0;
		goto done;
	}
	if (repo->tip_known)
		git_oid_cpy(&repo->tip, out);
	if (idx) {
		for (i = 0; i < count; i++) {
			if ((err = write_worktree_file(repo, &writes[i])) < 0)
				goto done;
			if ((err = git_index_add_bypath(idx,
					writes[i].path)) < 0) {
				err = crq_store__git_error(err,
					"cannot update index");
				goto done;
			}
		}
		if ((err = git_index_write(idx)) < 0) {
			err = crq_store__git_error(err, "cannot write index");
			goto done;
		}
	}
	err = 0;
done:
	git_buf_dispose(&payload);
	if (locked)
		crq_store__unlock(repo);
	free(blobs);
	crq_buf_dispose(&reflog);
	crq_buf_dispose(&scratch);
	git_index_free(idx);
	git_reference_free(ref);
	git_signature_free(author);
	git_signature_free(committer);
	git_tree_free(tree);
	git_tree_free(next);
	git_commit_free(pc);
	return err;
}

