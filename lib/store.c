/*
 * store.c - the crq store in git: opening, reading, and the one place
 * where crq creates commits and moves the branch.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include "cache.h"
#include "change.h"
#include "nodebin.h"
#include "schema.h"
#include "pack.h"
#include "sign.h"
#include "worktree.h"

/* the DATADIR crq was built with (the Makefile writes it) */
#ifndef CRQ_DATADIR_DEFAULT
#define CRQ_DATADIR_DEFAULT "/usr/local/share/crq"
#endif

#define POLICY_PATH ".crq/policy.yaml"
#define TEMPLATE_DIR ".crq/templates"
#define MAX_RETRY 8
#define CACHE_BYTES (16 * 1024 * 1024)	/* libgit2's object cache, raw bytes */

static void repo_dispose_fields(crq_repo *repo)
{
	size_t i;

	crq_store__defer_free(repo);	/* held steps are dropped, unwritten */
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

/* The schemas' directory: the caller's, else $CRQ_DATADIR, else the
 * one crq was installed with; a program linking libcrq need not know. */
static const char *default_datadir(const crq_options *opts)
{
	const char *d;

	if (opts && opts->datadir)
		return opts->datadir;
	d = getenv("CRQ_DATADIR");
	return d && *d ? d : CRQ_DATADIR_DEFAULT;
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
	repo->datadir = crq__strdup(default_datadir(opts));
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
	/* a detached HEAD (a CI checkout, a rebase in progress) is read
	 * as it is: commands that only read work on its commit, and a
	 * step refuses (crq_store__need_branch) */
	if (git_reference_type(head) != GIT_REFERENCE_SYMBOLIC) {
		repo->branch = crq__strdup("HEAD");
		repo->detached = 1;
		goto done;
	}
	if (!(target = git_reference_symbolic_target(head)) ||
	    strncmp(target, "refs/heads/", 11)) {
		err = crq_error__set(CRQ_EREPO,
			"HEAD points at '%s' in '%s', not a branch; check out a branch first",
			target ? target : "?", repo->gitdir);
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

/* A walk reads each commit, and most trees, once: caching them gains it
 * little, and past libgit2's limit every store evicts by scanning the
 * whole cache table, which grew the per-commit cost of a verify with
 * the size of the store (100,000 creates: about 45% of the walk).
 * Counted, not a flag: walks may nest (verify under a hook). */
static int uncached_walks;
static pthread_mutex_t walk_lock = PTHREAD_MUTEX_INITIALIZER;

void crq_store__walk_uncached(int begin)
{
	pthread_mutex_lock(&walk_lock);
	if (begin ? uncached_walks++ == 0 : --uncached_walks == 0)
		git_libgit2_opts(GIT_OPT_ENABLE_CACHING, !begin);
	pthread_mutex_unlock(&walk_lock);
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

const char *crq_store__branch_name(const crq_repo *repo)
{
	return repo->detached ? repo->branch : repo->branch + 11;
}

int crq_store__need_branch(crq_repo *repo)
{
	if (!repo->detached)
		return 0;
	return crq_error__set(CRQ_EREPO,
		"HEAD is detached in '%s'; a step moves a branch: check out one first",
		repo->gitdir);
}

int crq_repo_need_branch(crq_repo *repo)
{
	return crq_store__need_branch(repo);
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
	const char *v;
	int err;

	if (crq_config__override(&v, over, nover, name)) {
		crq_buf_puts(out, v);
		return 0;
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
	err = crq_config__string(out, cfg, name);
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

/* ---- the cache: lib/cache.c knows folders, this its place and switch ---- */

int crq_cache__enabled(crq_repo *repo)
{
	const char *e = getenv("CRQ_CACHE");
	crq_buf v = CRQ_BUF_INIT;
	int on = 1;

	if (e && (!strcmp(e, "off") || !strcmp(e, "0") || !strcmp(e, "false")))
		return 0;
	/* a boolean, read as git reads one */
	if (crq_repo_config(&v, repo, "crq.cache") == 0 &&
	    crq_config_parse_bool(v.ptr) == 0)
		on = 0;
	crq_error_clear();
	crq_buf_dispose(&v);
	return on;
}

crq_table *crq_cache__open(crq_repo *repo, const char *name)
{
	crq_buf dir = CRQ_BUF_INIT;
	crq_table *t;

	if (!crq_cache__enabled(repo))
		return NULL;
	crq_buf_printf(&dir, "%s/crq/cache", repo->gitdir);
	t = crq_cache__open_at(dir.ptr, name);
	crq_buf_dispose(&dir);
	return t;
}

int crq_cache_status(crq_node **out, crq_repo *repo)
{
	crq_buf dir = CRQ_BUF_INIT;
	int err;

	crq_buf_printf(&dir, "%s/crq/cache", repo->gitdir);
	err = crq_cache__status_at(out, dir.ptr, crq_cache__enabled(repo));
	crq_buf_dispose(&dir);
	return err;
}

int crq_cache_clear(crq_repo *repo)
{
	crq_buf dir = CRQ_BUF_INIT;
	int err;

	crq_buf_printf(&dir, "%s/crq/cache", repo->gitdir);
	err = crq_cache__clear_at(dir.ptr);
	crq_buf_dispose(&dir);
	return err;
}

/* ---- the schemas ---- */

/*
 * The schemas are files of DATADIR, read at run time: a parse of one
 * is kept in the cache (DESIGN §9) under the id of its bytes, so an
 * edited or reinstalled file is a miss, never a stale hit.  The table
 * is this build's (its JSON parser made the tree).  What is kept is
 * the parsed JSON (lib/nodebin.c), not the compiled schema: compiling
 * holds pointers and PCRE2 codes, and is the smaller part.  A value
 * that does not decode is parsed again and replaced; writing is best
 * effort (a read-only .git still works, slower).
 */
static uint64_t rotl(uint64_t x, int r)
{
	return (x << r) | (x >> (64 - r));
}

static uint64_t fmix(uint64_t k)
{
	k ^= k >> 33;
	k *= 0xff51afd7ed558ccdULL;
	k ^= k >> 33;
	k *= 0xc4ceb9fe1a85ec53ULL;
	return k ^ (k >> 33);
}

/* n (at most 8) bytes at p, little-endian */
static uint64_t load64(const unsigned char *p, size_t n)
{
	uint64_t v = 0;

	if (n == 8) {
		memcpy(&v, p, 8);
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
		v = __builtin_bswap64(v);
#endif
		return v;
	}
	while (n--)
		v = (v << 8) | p[n];
	return v;
}

/*
 * The id of a data file's bytes: MurmurHash3 x64 128 and the length.
 * Not SHA-1: every command hashes the policy schema (30 KB) to find its
 * policy in the cache, and a SHA-1 here costs more than the rest of a
 * small command (OpenSSL's EVP initialises all its providers first; git's
 * collision-detecting SHA-1 is slow).  A cryptographic hash is not needed:
 * what is hashed is crq's own installed files, and who can write those
 * decides the rules anyway; against accident, 128 well-mixed bits (and
 * the length) leave two versions of a file one chance in 2^128 of
 * sharing an id.  The policies themselves are keyed by git's blob ids.
 */
static void digest(git_oid *out, const void *data, size_t n)
{
	const uint64_t c1 = 0x87c37b91114253d5ULL, c2 = 0x4cf5ad432745937fULL;
	const unsigned char *p = data;
	uint64_t h1 = 0x6372712d73636865ULL, h2 = h1, k1, k2;
	size_t i, left;

	for (i = 0; i + 16 <= n; i += 16) {
		k1 = load64(p + i, 8) * c1;
		h1 ^= rotl(k1, 31) * c2;
		h1 = (rotl(h1, 27) + h2) * 5 + 0x52dce729;
		k2 = load64(p + i + 8, 8) * c2;
		h2 ^= rotl(k2, 33) * c1;
		h2 = (rotl(h2, 31) + h1) * 5 + 0x38495ab5;
	}
	left = n - i;
	if (left > 8) {
		k2 = load64(p + i + 8, left - 8) * c2;
		h2 ^= rotl(k2, 33) * c1;
	}
	if (left) {
		k1 = load64(p + i, left > 8 ? 8 : left) * c1;
		h1 ^= rotl(k1, 31) * c2;
	}
	h1 ^= (uint64_t)n;
	h2 ^= (uint64_t)n;
	h1 += h2;
	h2 += h1;
	h1 = fmix(h1);
	h2 = fmix(h2);
	h1 += h2;
	h2 += h1;
	for (i = 0; i < 8; i++) {
		out->id[i] = (unsigned char)(h1 >> (8 * i));
		out->id[8 + i] = (unsigned char)(h2 >> (8 * i));
	}
	for (i = 0; i < 4; i++)
		out->id[16 + i] = (unsigned char)((uint64_t)n >> (8 * i));
}

/* Schema name, from DATADIR/schemas/NAME.schema.json; a table each, so
 * that a command reads the trees of the schemas it uses only. */
static int load_schema(crq_schema **out, git_oid *id, crq_repo *repo,
	const char *name)
{
	crq_buf path = CRQ_BUF_INIT, text = CRQ_BUF_INIT, bin = CRQ_BUF_INIT;
	crq_table *t = NULL;
	crq_node *root = NULL;
	const void *v;
	size_t len;
	int err;

	*out = NULL;
	crq_buf_printf(&bin, "schemas/%s.schema.json", name);
	crq_repo_datafile(&path, repo, bin.ptr);
	crq_buf_clear(&bin);
	if ((err = crq_buf_read_file(&text, path.ptr,
			CRQ_SCHEMA_MAX_SIZE)) < 0)
		goto done;
	digest(id, text.ptr, text.size);
	crq_buf_printf(&bin, "schema-v1-%016llx.%s",
		crq_nodebin__build_stamp(), name);
	t = crq_cache__open(repo, bin.ptr);
	crq_buf_clear(&bin);
	if (t && (v = crq_cache__get(t, id, &len)) &&
	    crq_nodebin__decode(&root, v, len) < 0)
		crq_error_clear();
	if (!root) {
		if ((err = crq_json_parse(&root, crq_buf_cstr(&text),
				text.size, path.ptr)) < 0)
			goto done;
		if (t && crq_nodebin__encode(&bin, root) == 0) {
			crq_cache__put(t, id, bin.ptr, bin.size);
			crq_cache__flush(t);
		}
		crq_error_clear();
	}
	err = crq_schema_from_node(out, root, path.ptr);
done:
	crq_cache__close(t);
	crq_buf_dispose(&path);
	crq_buf_dispose(&text);
	crq_buf_dispose(&bin);
	return err;
}

int crq_repo_change_schema(const crq_schema **out, crq_repo *repo)
{
	int err = 0;

	if (!repo->change_schema)
		err = load_schema(&repo->change_schema, &repo->change_schema_id,
			repo, "change");
	*out = repo->change_schema;
	return err;
}

int crq_store__policy_schema(const crq_schema **out, crq_repo *repo)
{
	int err = 0;

	if (!repo->policy_schema) {
		err = load_schema(&repo->policy_schema, &repo->policy_schema_id,
			repo, "policy");
		repo->policy_schema_id_known = err == 0;
	}
	*out = repo->policy_schema;
	return err;
}

int crq_store__policy_schema_id(git_oid *out, crq_repo *repo)
{
	crq_buf path = CRQ_BUF_INIT, text = CRQ_BUF_INIT;
	int err = 0;

	if (!repo->policy_schema_id_known) {
		crq_repo_datafile(&path, repo, "schemas/policy.schema.json");
		if ((err = crq_buf_read_file(&text, path.ptr,
				CRQ_SCHEMA_MAX_SIZE)) == 0) {
			digest(&repo->policy_schema_id, text.ptr, text.size);
			repo->policy_schema_id_known = 1;
		}
	}
	git_oid_cpy(out, &repo->policy_schema_id);
	crq_buf_dispose(&path);
	crq_buf_dispose(&text);
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

/* ---- steps held in memory (crq batch) ---- */

/*
 * While steps are held, each commit's objects stay in memory (lib/pack.c)
 * and the branch, work tree and index stay where the first held step
 * found them; crq_repo_flush writes the group: one pack, synced, then
 * one compare-and-swap of the branch, then the files and one index
 * write.  A crash before the swap loses the group, never half of it;
 * the writers' lock is held from the first held step to the write, so
 * that no other crq writer builds on a branch that is about to move.
 */
struct crq_defer {
	crq_pack *pack;
	int on;			/* hold the steps taken */
	int holding;		/* some are held (and the lock with them) */
	git_oid base;		/* the branch before the first held step */
	int base_unborn;
	int worktree;		/* the branch is checked out */
	size_t steps;
	crq_worktree *wt;	/* kept from one group to the next */
	crq_worktree_file *files;	/* the last version of each path;
					 * path and data are ours */
	size_t nfiles, afiles;
};

static void held_clear(struct crq_defer *d)
{
	size_t i;

	for (i = 0; i < d->nfiles; i++) {
		free((char *)d->files[i].path);
		free((char *)d->files[i].data);
	}
	d->nfiles = 0;
	d->steps = 0;
}

static crq_worktree_file *held_find(struct crq_defer *d, const char *path)
{
	size_t i;

	for (i = 0; i < d->nfiles; i++)
		if (!strcmp(d->files[i].path, path))
			return &d->files[i];
	return NULL;
}

/* Done with a group, written or not: the lock goes, and with it what
 * the handle knew of the tip. */
static void held_end(crq_repo *repo, struct crq_defer *d, int written)
{
	if (!written)
		crq_pack__drop(d->pack);
	held_clear(d);
	d->holding = 0;
	repo->tip_known = 0;
	crq_store__unlock(repo);
}

static int held_begin(crq_repo *repo, struct crq_defer *d,
	const git_oid *parent, int on)
{
	int err;

	if ((err = crq_store__lock(repo)) < 0)
		return err;
	d->holding = 1;
	d->steps = 0;
	d->base_unborn = !parent;
	if (parent)
		git_oid_cpy(&d->base, parent);
	d->worktree = on;
	if (on) {
		err = d->wt ? crq_worktree__refresh(d->wt) :
			crq_worktree__open(&d->wt, repo->git, repo->workdir);
		if (err < 0) {
			held_end(repo, d, 0);
			return err;
		}
	}
	crq_pack__hold(d->pack);
	return 0;
}

/* Delta hints for the pack: the new blob and trees of path against the
 * old ones at the same place. */
static void held_hints(struct crq_defer *d, const git_tree *old,
	const git_tree *now, const char *path, const git_oid *blob,
	const git_oid *old_blob)
{
	char dir[1024];
	const char *s;

	if (!old)
		return;
	if (!git_oid_is_zero(old_blob))
		crq_pack__hint(d->pack, blob, old_blob);
	crq_pack__hint(d->pack, git_tree_id(now), git_tree_id(old));
	for (s = strchr(path, '/'); s; s = strchr(s + 1, '/')) {
		git_tree_entry *a = NULL, *b = NULL;
		size_t n = (size_t)(s - path);

		if (n >= sizeof(dir))
			break;
		memcpy(dir, path, n);
		dir[n] = '\0';
		if (git_tree_entry_bypath(&a, old, dir) == 0 &&
		    git_tree_entry_bypath(&b, now, dir) == 0)
			crq_pack__hint(d->pack, git_tree_entry_id(b),
				git_tree_entry_id(a));
		git_tree_entry_free(a);
		git_tree_entry_free(b);
	}
}

static void held_add(crq_repo *repo, struct crq_defer *d,
	const git_tree *old, const git_tree *now,
	const crq_worktree_file *files, size_t count, const git_oid *commit)
{
	size_t i;

	for (i = 0; i < count; i++) {
		crq_worktree_file *f = held_find(d, files[i].path);

		held_hints(d, old, now, files[i].path, &files[i].id,
			&files[i].old);
		if (!f) {
			crq__grow((void **)&d->files, &d->afiles, d->nfiles + 1,
				sizeof(*d->files));
			f = &d->files[d->nfiles++];
			f->path = crq__strdup(files[i].path);
			/* the old blob is the base's: the path was not held */
			git_oid_cpy(&f->old, &files[i].old);
		} else {
			free((char *)f->data);
		}
		f->data = crq__strndup(files[i].data, files[i].len);
		f->len = files[i].len;
		git_oid_cpy(&f->id, &files[i].id);
	}
	d->steps++;
	git_oid_cpy(&repo->tip, commit);
	repo->tip_known = 1;
}

int crq_repo_hold_steps(crq_repo *repo, int on)
{
	struct crq_defer *d = repo->defer;
	int err;

	if (!on) {
		if (!d)
			return 0;
		err = crq_repo_flush(repo);
		d->on = 0;
		return err;
	}
	if ((err = crq_store__need_branch(repo)) < 0)
		return err;
	if (!d) {
		d = crq__calloc(1, sizeof(*d));
		if ((err = crq_pack__attach(&d->pack, repo->git)) < 0) {
			free(d);
			return err;
		}
		repo->defer = d;
	}
	d->on = 1;
	return 0;
}

size_t crq_repo_held(size_t *bytes_out, const crq_repo *repo)
{
	const struct crq_defer *d = repo->defer;

	if (bytes_out)
		*bytes_out = d && d->holding ? crq_pack__bytes(d->pack) : 0;
	return d && d->holding ? d->steps : 0;
}

/*
 * libgit2 keeps every pack a repository handle has seen, those a merge
 * removed too, and a lookup that misses (each new object is one) goes
 * through them all: a long batch would slow down with every group.  So
 * after a few packs the handle starts afresh on the same repository;
 * nothing is held then, and nothing read from the old handle is kept
 * but what does not depend on it.  On any failure the old one stays.
 */
#define RENEW_AFTER 16
static void renew_git(crq_repo *repo, struct crq_defer *d)
{
	git_repository *fresh = NULL;
	crq_pack *p = NULL;

	if (crq_pack__made(d->pack) < RENEW_AFTER ||
	    git_repository_open(&fresh, repo->gitdir) < 0)
		return;
	if (crq_pack__attach(&p, fresh) < 0) {
		git_repository_free(fresh);
		crq_error_clear();
		return;
	}
	crq_pack__adopt(p, d->pack);
	crq_worktree__free(d->wt);	/* it knows the old handle */
	d->wt = NULL;
	git_config_free(repo->cfg);
	repo->cfg = NULL;
	git_repository_free(repo->git);	/* and the old backend with it */
	repo->git = fresh;
	d->pack = p;
}

/* The tree of commit id (NULL when there is none). */
static git_tree *tree_of(crq_repo *repo, const git_oid *id)
{
	git_commit *c = NULL;
	git_tree *t = NULL;

	if (id && git_commit_lookup(&c, repo->git, id) == 0)
		git_commit_tree(&t, c);
	git_commit_free(c);
	return t;
}

int crq_repo_flush(crq_repo *repo)
{
	struct crq_defer *d = repo->defer;
	git_reference *ref = NULL;
	git_tree *from = NULL, *to = NULL;
	crq_buf msg = CRQ_BUF_INIT;
	git_oid now;
	size_t i, steps;
	int err, moved;

	if (!d || !d->holding)
		return 0;
	steps = d->steps;
	/* nobody else moves the branch past crq's lock but git itself */
	err = git_reference_name_to_id(&now, repo->git, repo->branch);
	moved = err == GIT_ENOTFOUND ? !d->base_unborn :
		err < 0 || d->base_unborn || !git_oid_equal(&now, &d->base);
	if (moved) {
		err = crq_error__set(CRQ_ECONFLICT,
			"branch '%s' moved while crq held steps for it",
			crq_store__branch_name(repo));
		goto drop;
	}
	/* edits made in the work tree meanwhile are the user's: keep them
	 * and write none of the steps over them */
	if (d->worktree) {
		if ((err = crq_worktree__refresh(d->wt)) < 0)
			goto drop;
		for (i = 0; i < d->nfiles; i++)
			if ((err = crq_worktree__check(d->wt, d->files[i].path,
					&d->files[i].old)) < 0)
				goto drop;
	}
	if ((err = crq_pack__write(d->pack)) < 0)
		goto drop;
	crq_buf_printf(&msg, "crq: %zu step%s", steps, steps == 1 ? "" : "s");
	err = d->base_unborn ?
		git_reference_create(&ref, repo->git, repo->branch, &repo->tip,
			0, msg.ptr) :
		git_reference_create_matching(&ref, repo->git, repo->branch,
			&repo->tip, 1, &d->base, msg.ptr);
	git_reference_free(ref);
	if (err < 0) {
		err = err == GIT_EMODIFIED || err == GIT_EEXISTS ||
			err == GIT_ELOCKED ?
			crq_error__set(CRQ_ECONFLICT,
				"branch '%s' moved while crq held steps for it",
				crq_store__branch_name(repo)) :
			crq_store__git_error(err, "cannot update branch");
		goto drop;
	}
	if (d->worktree && d->nfiles) {
		from = d->base_unborn ? NULL : tree_of(repo, &d->base);
		to = tree_of(repo, &repo->tip);
		err = crq_worktree__update(d->wt, d->files, d->nfiles, from,
			to);
	}
	held_end(repo, d, 1);
	renew_git(repo, d);
	goto done;
drop:
	held_end(repo, d, 0);
	crq_error__prefix("%zu step%s not written", steps,
		steps == 1 ? "" : "s");
done:
	git_tree_free(from);
	git_tree_free(to);
	crq_buf_dispose(&msg);
	return err;
}

void crq_store__defer_free(crq_repo *repo)
{
	struct crq_defer *d = repo->defer;

	if (!d)
		return;
	/* never written by a free: a group goes out by crq_repo_flush */
	if (d->holding)
		held_end(repo, d, 0);
	crq_worktree__free(d->wt);
	free(d->files);
	free(d);
	repo->defer = NULL;	/* the pack backend is the odb's to free */
}

/* ---- one commit ---- */

int crq_store__commit(crq_repo *repo, const git_oid *parent,
	const crq_store_write *writes, size_t count, const char *message,
	long long when, git_oid *out)
{
	struct crq_defer *d = repo->defer && repo->defer->on ?
		repo->defer : NULL;
	git_commit *pc = NULL;
	git_tree *ptree = NULL, *tree = NULL;
	git_signature *author = NULL, *committer = NULL;
	git_reference *ref = NULL;
	crq_worktree *wt = NULL, *own = NULL;
	crq_worktree_file *files = crq__calloc(count ? count : 1,
		sizeof(*files));
	git_oid *blobs = crq__calloc(count ? count : 1, sizeof(git_oid));
	git_oid tree_oid;
	crq_buf reflog = CRQ_BUF_INIT, scratch = CRQ_BUF_INIT;
	const git_commit *parents[1];
	size_t i;
	git_buf payload = { 0 };
	crq_signer *signer = NULL;
	int err, locked = 0, on;

	if ((err = crq_store__need_branch(repo)) < 0)
		goto done;
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
		    (err = git_commit_tree(&ptree, pc)) < 0) {
			err = crq_store__git_error(err, "cannot read parent");
			goto done;
		}
	}
	/*
	 * Serialise crq writers of this repository from the check of the
	 * work tree to the index write, so that they do not check against
	 * an index another is about to rewrite.  Callers usually hold the
	 * lock already, from before they read the tip (crq_store__lock).
	 */
	if ((err = crq_store__lock(repo)) < 0)
		goto done;
	locked = 1;
	on = checked_out(repo);
	if (on) {
		/* a writer that got here first moved the branch: retry */
		git_oid now;
		int unborn;

		if ((err = crq_store__tip(repo, &now, &unborn)) < 0)
			goto done;
		if (unborn != !parent ||
		    (parent && !git_oid_equal(&now, parent))) {
			crq_error__set(CRQ_ECONFLICT,
				"branch '%s' moved while writing; try again",
				crq_store__branch_name(repo));
			err = CRQ_STORE_RACE;
			goto done;
		}
	}
	if (d && !d->holding && (err = held_begin(repo, d, parent, on)) < 0)
		goto done;
	if (on && !d && (err = crq_worktree__open(&own, repo->git,
			repo->workdir)) < 0)
		goto done;
	wt = d ? d->wt : own;
	for (i = 0; i < count; i++) {
		files[i].path = writes[i].path;
		files[i].data = writes[i].data;
		files[i].len = writes[i].len;
		if (parent)
			crq_store__blob_at(&files[i].old, repo, parent,
				writes[i].path);
		/* a path already held was checked when it was first held,
		 * and is again before the group is written */
		if (on && !(d && held_find(d, writes[i].path)) &&
		    (err = crq_worktree__check(wt, writes[i].path,
				&files[i].old)) < 0)
			goto done;
	}
	for (i = 0; i < count; i++) {
		if ((err = git_blob_create_from_buffer(&blobs[i], repo->git,
				writes[i].data, writes[i].len)) < 0) {
			err = crq_store__git_error(err, "cannot write blob");
			goto done;
		}
		git_oid_cpy(&files[i].id, &blobs[i]);
	}
	if (count == 1)
		err = tree_insert(repo->git, ptree, writes[0].path, &blobs[0],
			&tree_oid);
	else
		err = tree_build(repo->git, ptree, writes, blobs, count,
			&tree_oid);
	if (err < 0)
		goto done;
	if ((err = git_tree_lookup(&tree, repo->git, &tree_oid)) < 0) {
		err = crq_store__git_error(err, "cannot read tree");
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
	if (d) {
		/* the branch moves when the group is written */
		held_add(repo, d, ptree, tree, files, count, out);
		err = 0;
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
			crq_store__branch_name(repo));
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
	if (on)
		err = crq_worktree__update(wt, files, count, ptree, tree);
	else
		err = 0;
done:
	git_buf_dispose(&payload);
	if (locked)
		crq_store__unlock(repo);
	crq_worktree__free(own);
	free(blobs);
	free(files);
	crq_buf_dispose(&reflog);
	crq_buf_dispose(&scratch);
	git_reference_free(ref);
	git_signature_free(author);
	git_signature_free(committer);
	git_tree_free(ptree);
	git_tree_free(tree);
	git_commit_free(pc);
	return err;
}
