/*
 * sync.c - crq sync: share a store through a git remote.
 *
 * git fetches and pushes (lib/transport.c: every transport and every
 * hook works as it does for git); crq replays.  When both sides moved,
 * the local steps are replayed on the remote tip on a ref of crq's own
 * (refs/crq/replay/BRANCH), never on the branch: decisions only onto
 * the content they decided on, edits and policy steps as the operation
 * they were, each re-signed by its own author only.  The local steps
 * are recorded first (refs/crq/sync/BRANCH, .git/crq/sync-state), the
 * push is a compare-and-swap on the remote ref, and the branch moves
 * by compare-and-swap after it, so a kill at any point leaves every
 * step on the branch, on the remote or under the crq ref, and the next
 * crq sync finishes or redoes what was cut short.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include "change.h"
#include "commit.h"
#include "rules.h"
#include "transport.h"

#define POLICY_PATH ".crq/policy.yaml"
#define MAX_ATTEMPTS 8
#define CRQ_EISDIR (-1000)	/* disk_blob: a directory is there */

/* ---- the journal: what a sync in progress has done ---- */

struct sync_state {
	char remote[256];
	char branch[256];
	char phase[16];		/* replay | push | move */
	git_oid local;		/* the branch when the sync began */
	git_oid upstream;	/* the remote tip replayed onto */
	git_oid result;		/* what is pushed (push, move) */
	int has_upstream, has_result, stopped;
	git_oid stop_at;	/* the local step that stopped it */
	git_oid *skip;		/* local steps the user dropped */
	size_t nskip, askip;
	git_oid since;		/* local steps are those after it (when set;
				 * else those after the merge base) */
	int has_since;
	git_oid *tried;		/* results pushed before, maybe landed */
	size_t ntried, atried;
	crq_buf why;		/* why it stopped */
	time_t written;		/* when the journal was last written */
};

/* ---- what a sync did, as data (crq_sync_run_ext) ---- */

static crq_node *oid_node(const git_oid *id)
{
	char hex[41];

	if (!id)
		return crq_node_new(CRQ_NODE_NULL);
	git_oid_tostr(hex, sizeof(hex), id);
	return crq_node_new_cstr(hex);
}

static crq_node *str_node(const char *s)
{
	return s ? crq_node_new_cstr(s) : crq_node_new(CRQ_NODE_NULL);
}

/* Every key of the result, so that its shape does not depend on what
 * happened. */
static crq_node *result_new(const char *remote, const char *branch)
{
	static const char *const nulls[] = { "resumed", "landed", "fetched",
		"local", "outcome", "fast_forward", "replay", "pushed",
		"stopped", "refused", "head", NULL };
	crq_node *r = crq_node_new(CRQ_NODE_OBJECT);
	size_t i;

	crq_node_set(r, "remote", str_node(remote));
	crq_node_set(r, "branch", str_node(branch));
	for (i = 0; nulls[i]; i++)
		crq_node_set(r, nulls[i], crq_node_new(CRQ_NODE_NULL));
	crq_node_set(r, "steps", crq_node_new(CRQ_NODE_ARRAY));
	crq_node_set(r, "retries", crq_node_new_int(0));
	return r;
}

/* A local step the replay took, dropped, skipped or stopped at. */
static void result_step(crq_node *res, const git_oid *commit,
	const char *action, const char *change, const char *outcome,
	const char *reason, const char *renumbered)
{
	crq_node *o = crq_node_new(CRQ_NODE_OBJECT);

	crq_node_set(o, "commit", oid_node(commit));
	crq_node_set(o, "action", str_node(action));
	crq_node_set(o, "change", str_node(change));
	crq_node_set(o, "outcome", crq_node_new_cstr(outcome));
	crq_node_set(o, "reason", str_node(reason));
	crq_node_set(o, "renumbered", str_node(renumbered));
	crq_node_push(crq_node_get(res, "steps"), o);
}

/* {from, to, steps} */
static crq_node *move_node(const git_oid *from, const git_oid *to,
	size_t steps)
{
	crq_node *o = crq_node_new(CRQ_NODE_OBJECT);

	crq_node_set(o, "from", oid_node(from));
	crq_node_set(o, "to", oid_node(to));
	crq_node_set(o, "steps", crq_node_new_int((long long)steps));
	return o;
}

static void state_path(crq_buf *out, crq_repo *repo)
{
	crq_buf_printf(out, "%s/crq/sync-state", repo->gitdir);
}

static void state_dispose(struct sync_state *st)
{
	free(st->skip);
	free(st->tried);
	crq_buf_dispose(&st->why);
	memset(st, 0, sizeof(*st));
}

static int state_save(crq_repo *repo, const struct sync_state *st)
{
	crq_buf path = CRQ_BUF_INIT, tmp = CRQ_BUF_INIT, text = CRQ_BUF_INIT;
	const char *p;
	size_t i;
	int fd, err = 0;

	state_path(&path, repo);
	crq_buf_printf(&tmp, "%s.tmp", path.ptr);
	crq_buf_printf(&text, "remote %s\nbranch %s\nphase %s\nlocal %s\n",
		st->remote, st->branch, st->phase, git_oid_tostr_s(&st->local));
	if (st->has_upstream)
		crq_buf_printf(&text, "upstream %s\n",
			git_oid_tostr_s(&st->upstream));
	if (st->has_result)
		crq_buf_printf(&text, "result %s\n",
			git_oid_tostr_s(&st->result));
	for (i = 0; i < st->nskip; i++)
		crq_buf_printf(&text, "skip %s\n", git_oid_tostr_s(&st->skip[i]));
	for (i = 0; i < st->ntried; i++)
		crq_buf_printf(&text, "tried %s\n",
			git_oid_tostr_s(&st->tried[i]));
	if (st->has_since)
		crq_buf_printf(&text, "since %s\n", git_oid_tostr_s(&st->since));
	if (st->stopped) {
		crq_buf_printf(&text, "stopped %s\n",
			git_oid_tostr_s(&st->stop_at));
		for (p = st->why.ptr ? st->why.ptr : ""; *p; ) {
			size_t n = strcspn(p, "\n");

			crq_buf_printf(&text, "why %.*s\n", (int)n, p);
			p += n + (p[n] == '\n');
		}
	}
	{
		crq_buf dir = CRQ_BUF_INIT;

		crq_buf_printf(&dir, "%s/crq", repo->gitdir);
		mkdir(dir.ptr, 0777);
		crq_buf_dispose(&dir);
	}
	/* written whole, then renamed: a kill leaves the old or the new */
	fd = open(tmp.ptr, O_CREAT | O_TRUNC | O_WRONLY | O_CLOEXEC, 0666);
	if (fd < 0 || write(fd, text.ptr, text.size) != (ssize_t)text.size ||
	    fsync(fd) < 0 || close(fd) < 0 || rename(tmp.ptr, path.ptr) < 0) {
		err = crq_error__set(CRQ_EREPO, "cannot write '%s': %s",
			path.ptr, strerror(errno));
		if (fd >= 0)
			close(fd);
		unlink(tmp.ptr);
	}
	crq_buf_dispose(&path);
	crq_buf_dispose(&tmp);
	crq_buf_dispose(&text);
	return err;
}

/* 1 loaded, 0 none, < 0 unreadable. */
static int state_load(crq_repo *repo, struct sync_state *st)
{
	crq_buf path = CRQ_BUF_INIT;
	char line[1100];
	FILE *f;
	int err = 1, have_local = 0;

	memset(st, 0, sizeof(*st));
	state_path(&path, repo);
	{
		struct stat sb;

		if (stat(path.ptr, &sb) == 0)
			st->written = sb.st_mtime;
	}
	if (!(f = fopen(path.ptr, "r"))) {
		err = errno == ENOENT ? 0 : crq_error__set(CRQ_EREPO,
			"cannot read '%s': %s", path.ptr, strerror(errno));
		goto done;
	}
	while (fgets(line, sizeof(line), f)) {
		char *v = strchr(line, ' ');
		git_oid o;

		line[strcspn(line, "\n")] = '\0';
		if (!v)
			continue;
		*v++ = '\0';
		if (!strcmp(line, "why")) {
			crq_buf_printf(&st->why, "%s%s", st->why.size ? "\n" :
				"", v);
			continue;
		}
		if (!strcmp(line, "remote") || !strcmp(line, "branch") ||
		    !strcmp(line, "phase")) {
			char *to = line[0] == 'r' ? st->remote : line[0] == 'b' ?
				st->branch : st->phase;
			size_t cap = line[0] == 'p' ? sizeof(st->phase) :
				sizeof(st->remote);

			snprintf(to, cap, "%s", v);
			continue;
		}
		if (git_oid_fromstr(&o, v) < 0)
			continue;
		if (!strcmp(line, "local")) {
			st->local = o;
			have_local = 1;
		} else if (!strcmp(line, "upstream")) {
			st->upstream = o;
			st->has_upstream = 1;
		} else if (!strcmp(line, "result")) {
			st->result = o;
			st->has_result = 1;
		} else if (!strcmp(line, "stopped")) {
			st->stop_at = o;
			st->stopped = 1;
		} else if (!strcmp(line, "skip")) {
			crq__grow((void **)&st->skip, &st->askip,
				st->nskip + 1, sizeof(*st->skip));
			st->skip[st->nskip++] = o;
		} else if (!strcmp(line, "tried")) {
			crq__grow((void **)&st->tried, &st->atried,
				st->ntried + 1, sizeof(*st->tried));
			st->tried[st->ntried++] = o;
		} else if (!strcmp(line, "since")) {
			st->since = o;
			st->has_since = 1;
		}
	}
	fclose(f);
	if (!have_local || !st->branch[0] || !st->remote[0])
		err = crq_error__set(CRQ_EREPO,
			"'%s' is damaged; the local steps are at refs/crq/sync/*\n"
			"hint: crq sync --abort forgets it", path.ptr);
done:
	crq_buf_dispose(&path);
	return err;
}

static void state_clear(crq_repo *repo)
{
	crq_buf path = CRQ_BUF_INIT;

	state_path(&path, repo);
	remove(path.ptr);	/* a file, or an empty directory put there */
	crq_buf_dispose(&path);
}

/*
 * A lock file a killed crq sync left behind.  crq's own refs are written
 * only under the writers' lock we hold, so theirs is stale for sure;
 * the branch's and the index's only when they are younger than the
 * journal of the sync that was cut short (since) and have not changed
 * for a few seconds: git writes a lock and renames it in one go.
 */
static void stale_lock(crq_buf *report, crq_repo *repo, const char *rel,
	time_t since)
{
	crq_buf path = CRQ_BUF_INIT;
	struct stat sb;

	crq_buf_printf(&path, "%s/%s.lock", repo->gitdir, rel);
	if (lstat(path.ptr, &sb) == 0 && S_ISREG(sb.st_mode) && since &&
	    sb.st_mtime >= since && time(NULL) - sb.st_mtime < 2) {
		/* a live git would have renamed it by now */
		time_t seen = sb.st_mtime;

		sleep(2);
		if (lstat(path.ptr, &sb) < 0 || sb.st_mtime != seen)
			goto done;
	}
	if (lstat(path.ptr, &sb) == 0 && S_ISREG(sb.st_mode) &&
	    (since == 0 || sb.st_mtime >= since) &&
	    unlink(path.ptr) == 0 && report)
		crq_buf_printf(report, "removed %s, left by a crq sync that was cut short\n",
			path.ptr);
done:
	crq_buf_dispose(&path);
}

static int set_ref(crq_repo *repo, const char *name, const git_oid *to,
	const char *why)
{
	git_reference *ref = NULL;
	int err;

	stale_lock(NULL, repo, name, 0);
	err = git_reference_create(&ref, repo->git, name, to, 1, why);

	git_reference_free(ref);
	return err < 0 ? crq_store__git_error(err, "cannot write a crq ref") : 0;
}

static void drop_ref(crq_repo *repo, const char *name)
{
	git_reference *ref = NULL;

	stale_lock(NULL, repo, name, 0);
	if (git_reference_lookup(&ref, repo->git, name) == 0)
		git_reference_delete(ref);
	git_reference_free(ref);
}

/* ---- the work tree: never overwrite what the user has not committed ---- */

/* What the work tree has at path: *present 0 when nothing; oid the
 * blob it would be (git's filters applied). */
static int disk_blob(git_oid *oid, int *present, crq_repo *repo,
	const char *path)
{
	crq_buf full = CRQ_BUF_INIT;
	struct stat sb;
	int err = 0;

	crq_buf_printf(&full, "%s%s%s", repo->workdir,
		repo->workdir[strlen(repo->workdir) - 1] == '/' ? "" : "/", path);
	*present = lstat(full.ptr, &sb) == 0;
	if (*present && S_ISDIR(sb.st_mode))
		err = CRQ_EISDIR;
	else if (*present && S_ISLNK(sb.st_mode)) {
		char target[4096];
		ssize_t n = readlink(full.ptr, target, sizeof(target));

		if (n < 0 || git_odb_hash(oid, target, (size_t)n,
				GIT_OBJECT_BLOB) < 0)
			err = crq_store__git_error(-1, "cannot read a link");
	} else if (*present && git_repository_hashfile(oid, repo->git,
			full.ptr, GIT_OBJECT_BLOB, path) < 0)
		err = crq_store__git_error(-1, "cannot read the work tree");
	crq_buf_dispose(&full);
	return err;
}

/* Put the blob (or nothing, when id is NULL) at path in the work tree. */
static int write_path(crq_repo *repo, const char *path, const git_oid *id,
	git_filemode_t mode)
{
	crq_buf full = CRQ_BUF_INIT, tmp = CRQ_BUF_INIT;
	git_buf out = { 0 };
	git_blob *blob = NULL;
	char *slash;
	int err = 0, fd;

	crq_buf_printf(&full, "%s%s%s", repo->workdir,
		repo->workdir[strlen(repo->workdir) - 1] == '/' ? "" : "/", path);
	if (!id) {
		if (unlink(full.ptr) < 0 && errno != ENOENT)
			err = crq_error__set(CRQ_EREPO, "cannot remove '%s': %s",
				path, strerror(errno));
		goto done;
	}
	for (slash = full.ptr + strlen(repo->workdir) + 1;
	     (slash = strchr(slash, '/')); slash++) {
		*slash = '\0';
		mkdir(full.ptr, 0777);
		*slash = '/';
	}
	if ((err = git_blob_lookup(&blob, repo->git, id)) < 0) {
		err = crq_store__git_error(err, "cannot read a blob");
		goto done;
	}
	crq_buf_printf(&tmp, "%s.crq-sync.tmp", full.ptr);
	unlink(tmp.ptr);
	if (mode == GIT_FILEMODE_LINK) {
		crq_buf target = CRQ_BUF_INIT;

		crq_buf_put(&target, git_blob_rawcontent(blob),
			(size_t)git_blob_rawsize(blob));
		if (symlink(crq_buf_cstr(&target), tmp.ptr) < 0)
			err = -1;
		crq_buf_dispose(&target);
	} else {
		git_blob_filter_options fo;

		git_blob_filter_options_init(&fo, GIT_BLOB_FILTER_OPTIONS_VERSION);
		if (git_blob_filter(&out, blob, path, &fo) < 0) {
			err = crq_store__git_error(-1, "cannot filter a blob");
			goto done;
		}
		fd = open(tmp.ptr, O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC,
			mode == GIT_FILEMODE_BLOB_EXECUTABLE ? 0777 : 0666);
		if (fd < 0 || write(fd, out.ptr, out.size) != (ssize_t)out.size ||
		    close(fd) < 0) {
			if (fd >= 0)
				close(fd);
			err = -1;
		}
	}
	/* renamed into place: a kill leaves the old file or the new */
	if (err == 0 && rename(tmp.ptr, full.ptr) < 0)
		err = -1;
	if (err == -1) {
		err = crq_error__set(CRQ_EREPO, "cannot write '%s': %s", path,
			strerror(errno));
		unlink(tmp.ptr);
	}
done:
	git_buf_dispose(&out);
	git_blob_free(blob);
	crq_buf_dispose(&full);
	crq_buf_dispose(&tmp);
	return err;
}

/*
 * May a tree from the remote put path in the work tree?  What git's
 * checkout refuses: an absolute path, an empty, "." or ".." component,
 * a ".git" one in any case (and with the trailing dots and spaces some
 * file systems drop), a backslash; and nothing beyond a symbolic link
 * in the work tree, which would lead outside it.
 */
/* Does the move from ta to tb turn the file (or link) at prefix into a
 * directory?  Then the work tree's file there goes first. */
static int becomes_dir(git_tree *ta, git_tree *tb, const char *prefix)
{
	git_tree_entry *a = NULL, *b = NULL;
	int yes = git_tree_entry_bypath(&a, ta, prefix) == 0 &&
		git_tree_entry_type(a) == GIT_OBJECT_BLOB &&
		git_tree_entry_bypath(&b, tb, prefix) == 0 &&
		git_tree_entry_type(b) == GIT_OBJECT_TREE;

	git_tree_entry_free(a);
	git_tree_entry_free(b);
	return yes;
}

static int safe_path(crq_repo *repo, const char *path, git_tree *ta,
	git_tree *tb)
{
	crq_buf full = CRQ_BUF_INIT;
	const char *p = path, *e;
	struct stat sb;
	int err = 0;

	if (!*path || *path == '/' || strchr(path, '\\'))
		goto bad;
	for (; ; p = e + 1) {
		size_t n;

		e = strchr(p, '/');
		n = e ? (size_t)(e - p) : strlen(p);
		while (n && (p[n - 1] == '.' || p[n - 1] == ' ') &&
		       !(n <= 2 && p[0] == '.' && (n == 1 || p[1] == '.')))
			n--;
		if (!n || (n == 1 && p[0] == '.') ||
		    (n == 2 && p[0] == '.' && p[1] == '.') ||
		    (n == 4 && !strncasecmp(p, ".git", 4)))
			goto bad;
		if (!e)
			break;
		/* a leading directory must be a directory, not a link */
		crq_buf_clear(&full);
		crq_buf_printf(&full, "%s/%.*s", repo->workdir,
			(int)(e - path), path);
		if (lstat(full.ptr, &sb) == 0 && !S_ISDIR(sb.st_mode)) {
			crq_buf prefix = CRQ_BUF_INIT;
			int goes;

			crq_buf_put(&prefix, path, (size_t)(e - path));
			goes = becomes_dir(ta, tb, prefix.ptr);
			crq_buf_dispose(&prefix);
			if (goes)
				continue;	/* tracked, and removed first */
			err = crq_error__set(CRQ_ECONFLICT,
				"'%s' lies beyond '%.*s', which is not a directory in the work tree\n"
				"hint: move it away, then run crq sync again",
				path, (int)(e - path), path);
			goto done;
		}
	}
	goto done;
bad:
	err = crq_error__set(CRQ_EDENIED,
		"the remote's tree has a path no checkout may write: '%s'\n"
		"hint: nothing was written; ask whoever pushed it to remove it",
		path);
done:
	crq_buf_dispose(&full);
	return err;
}

/* Remove the directories above path that are empty now. */
static void prune_dirs(crq_repo *repo, const char *path)
{
	crq_buf full = CRQ_BUF_INIT;
	char *slash;

	crq_buf_printf(&full, "%s/%s", repo->workdir, path);
	while ((slash = strrchr(full.ptr, '/')) &&
	       (size_t)(slash - full.ptr) > strlen(repo->workdir)) {
		*slash = '\0';
		if (rmdir(full.ptr) < 0)
			break;
	}
	crq_buf_dispose(&full);
}

enum follow_do { FOLLOW_NONE, FOLLOW_WRITE, FOLLOW_REPLACE_DIR };

/*
 * Bring the work tree and the index from tree of from to tree of to,
 * path by path: a path the work tree has as from had it is updated, one
 * it has as to has it already is left (a sync cut short may have done
 * part), anything else is the user's and refuses the whole move before
 * a byte is written; so does a path no checkout may write.  Removals go
 * first, so a tracked directory can give way to a file.  Nothing else
 * in the work tree is touched.
 */
static int follow(crq_repo *repo, const git_oid *from, const git_oid *to,
	int write)
{
	git_commit *a = NULL, *b = NULL;
	git_tree *ta = NULL, *tb = NULL;
	git_diff *diff = NULL;
	git_index *idx = NULL;
	unsigned char *todo = NULL;
	size_t i, n;
	int err, pass;

	if ((err = git_commit_lookup(&a, repo->git, from)) < 0 ||
	    (err = git_commit_lookup(&b, repo->git, to)) < 0 ||
	    (err = git_commit_tree(&ta, a)) < 0 ||
	    (err = git_commit_tree(&tb, b)) < 0 ||
	    (err = git_diff_tree_to_tree(&diff, repo->git, ta, tb, NULL)) < 0 ||
	    (err = git_repository_index(&idx, repo->git)) < 0 ||
	    (err = git_index_read(idx, 1)) < 0) {
		err = crq_store__git_error(err, "cannot compare trees");
		goto done;
	}
	n = git_diff_num_deltas(diff);
	todo = crq__calloc(n ? n : 1, 1);
	for (i = 0; i < n; i++) {
		const git_diff_delta *d = git_diff_get_delta(diff, i);
		const git_diff_file *was = &d->old_file, *want = &d->new_file;
		int had = d->status != GIT_DELTA_ADDED;
		int gets = d->status != GIT_DELTA_DELETED;
		const char *path = gets ? want->path : was->path;
		const git_index_entry *e = git_index_get_bypath(idx, path, 0);
		git_tree_entry *dir = NULL;
		git_oid disk;
		int present;

		if (was->mode == GIT_FILEMODE_COMMIT ||
		    want->mode == GIT_FILEMODE_COMMIT)
			continue;	/* a submodule: git's business */
		if ((err = safe_path(repo, path, ta, tb)) < 0)
			goto done;
		err = disk_blob(&disk, &present, repo, path);
		if (err == CRQ_EISDIR) {
			/* a file where a tracked directory was: it goes
			 * when its files do, if nothing else is in it */
			crq_error_clear();
			err = 0;
			if (!had && git_tree_entry_bypath(&dir, ta, path) == 0 &&
			    git_tree_entry_type(dir) == GIT_OBJECT_TREE)
				todo[i] = FOLLOW_REPLACE_DIR;
			git_tree_entry_free(dir);
			if (todo[i])
				continue;
			err = crq_error__set(CRQ_ECONFLICT,
				"'%s' is a directory in the work tree that crq sync would replace\n"
				"hint: move it away, then run crq sync again", path);
		}
		if (err < 0)
			goto done;
		if (present == gets && (!gets || git_oid_equal(&disk, &want->id)))
			todo[i] = FOLLOW_NONE;	/* there already */
		else if (present == had && (!had || git_oid_equal(&disk,
				&was->id)) && (!e ? !had : git_oid_equal(&e->id,
				&was->id)))
			todo[i] = FOLLOW_WRITE;
		else {
			err = crq_error__set(CRQ_ECONFLICT,
				"'%s' has uncommitted changes that crq sync would overwrite\n"
				"hint: commit or stash it, then run crq sync again",
				path);
			goto done;
		}
	}
	if (!write)
		goto done;
	/* removals first, then the rest */
	for (pass = 0; pass < 2; pass++)
		for (i = 0; i < n; i++) {
			const git_diff_delta *d = git_diff_get_delta(diff, i);
			int gets = d->status != GIT_DELTA_DELETED;
			const char *path = gets ? d->new_file.path :
				d->old_file.path;

			if (gets != pass || d->old_file.mode == GIT_FILEMODE_COMMIT ||
			    d->new_file.mode == GIT_FILEMODE_COMMIT)
				continue;
			if (todo[i] == FOLLOW_REPLACE_DIR) {
				crq_buf full = CRQ_BUF_INIT;

				crq_buf_printf(&full, "%s/%s", repo->workdir, path);
				if (rmdir(full.ptr) < 0 && errno != ENOENT)
					err = crq_error__set(CRQ_ECONFLICT,
						"'%s' is a directory with files git does not track; crq sync would replace it\n"
						"hint: move them away, then run crq sync --continue",
						path);
				crq_buf_dispose(&full);
				if (err < 0)
					goto done;
			}
			if (todo[i] != FOLLOW_NONE &&
			    (err = write_path(repo, path, gets ?
					&d->new_file.id : NULL,
					d->new_file.mode)) < 0)
				goto done;
			if (!gets)
				prune_dirs(repo, path);
			err = gets ? git_index_add_bypath(idx, path) :
				git_index_remove_bypath(idx, path);
			if (err < 0) {
				err = crq_store__git_error(err,
					"cannot update the index");
				goto done;
			}
		}
	if ((err = git_index_write(idx)) < 0) {
		err = crq_store__git_error(err, "cannot write the index");
		goto done;
	}
	err = 0;
done:
	free(todo);
	git_index_free(idx);
	git_diff_free(diff);
	git_tree_free(ta);
	git_tree_free(tb);
	git_commit_free(a);
	git_commit_free(b);
	return err;
}

static int on_head(crq_repo *repo)
{
	git_reference *head = NULL;
	int on = 0;

	if (repo->workdir && git_reference_lookup(&head, repo->git,
			"HEAD") == 0)
		on = git_reference_type(head) == GIT_REFERENCE_SYMBOLIC &&
			!strcmp(git_reference_symbolic_target(head),
				repo->branch);
	git_reference_free(head);
	return on;
}

/* Refuse when moving from -> to would overwrite an uncommitted edit. */
static int dirty_overlap(crq_repo *repo, const git_oid *from,
	const git_oid *to)
{
	return on_head(repo) ? follow(repo, from, to, 0) : 0;
}

/* Move the branch from -> to (compare-and-swap) and the work tree with
 * it, touching only the paths that differ between the two. */
static int move_branch(crq_repo *repo, const git_oid *from, const git_oid *to)
{
	git_reference *ref = NULL;
	git_oid now;
	int unborn, err;

	repo->tip_known = 0;
	if ((err = crq_store__tip(repo, &now, &unborn)) < 0)
		return err;
	if (!git_oid_equal(&now, to) && !unborn &&
	    git_graph_descendant_of(repo->git, &now, to) == 1) {
		/* moved by the sync cut short, and new steps since */
	} else if (!git_oid_equal(&now, to)) {
		if (unborn || !git_oid_equal(&now, from))
			return crq_error__set(CRQ_ECONFLICT,
				"branch '%s' moved during crq sync (now %.10s)\n"
				"hint: run crq sync again",
				crq_store__branch_name(repo), git_oid_tostr_s(&now));
		if ((err = dirty_overlap(repo, from, to)) < 0)
			return err;
		err = git_reference_create_matching(&ref, repo->git,
			repo->branch, to, 1, from, "crq sync");
		git_reference_free(ref);
		if (err == GIT_EMODIFIED)
			return crq_error__set(CRQ_ECONFLICT,
				"branch '%s' moved during crq sync; run crq sync again",
				crq_store__branch_name(repo));
		if (err < 0)
			return crq_store__git_error(err, "cannot move the branch");
	}
	/* else: a sync cut short moved it already; the work tree may
	 * be half way, which follow() finishes */
	repo->tip_known = 0;
	crq_node_free(repo->policy);
	repo->policy = NULL;
	if (!on_head(repo))
		return 0;
	if ((err = follow(repo, from, to, 1)) < 0)
		crq_error__prefix("the branch is at %.10s but the work tree could not follow",
			git_oid_tostr_s(to));
	return err;
}

/* ---- replaying one local step ---- */

/* The crq files (change files, the policy) commit changes against its
 * first parent; path gets the last one.  Returns how many. */
static int step_files(crq_buf *path, git_repository *git, git_commit *c)
{
	git_tree *t = NULL, *pt = NULL;
	git_commit *p = NULL;
	git_diff *diff = NULL;
	size_t i;
	int err, n = 0;

	if ((err = git_commit_tree(&t, c)) < 0 ||
	    (err = git_commit_parent(&p, c, 0)) < 0 ||
	    (err = git_commit_tree(&pt, p)) < 0 ||
	    (err = git_diff_tree_to_tree(&diff, git, pt, t, NULL)) < 0) {
		err = crq_store__git_error(err, "cannot read a local step");
		goto done;
	}
	for (i = 0; i < git_diff_num_deltas(diff); i++) {
		const char *f = git_diff_get_delta(diff, i)->new_file.path;

		if (!strncmp(f, "changes/", 8) || !strcmp(f, POLICY_PATH)) {
			crq_buf_clear(path);
			crq_buf_puts(path, f);
			n++;
		} else {
			n += 1000;	/* not a crq file at all */
		}
	}
	err = n;
done:
	git_diff_free(diff);
	git_tree_free(t);
	git_tree_free(pt);
	git_commit_free(p);
	return err;
}

/* The change file (or the policy) at path in commit, parsed. */
static int doc_at(crq_node **out, crq_repo *repo, const git_oid *commit,
	const char *path)
{
	const crq_schema *schema;
	crq_buf text = CRQ_BUF_INIT;
	int err, policy = !strcmp(path, POLICY_PATH);

	*out = NULL;
	if ((err = policy ? crq_store__policy_schema(&schema, repo) :
			crq_repo_change_schema(&schema, repo)) < 0 ||
	    (err = crq_store__read(repo, commit, path, &text, NULL)) < 0)
		goto done;
	err = policy ? crq_policy__parse(out, schema, text.ptr, text.size,
			path, NULL) :
		crq_change_parse_with(out, schema, text.ptr, text.size, path,
			NULL);
done:
	crq_buf_dispose(&text);
	return err;
}

static int same(const crq_node *a, const crq_node *b)
{
	return (!a) == (!b) && (!a || crq_node_equal(a, b));
}

/* "key=value" for a field, as crq set takes it. */
static void assignment(crq_buf *as, const char *f, const crq_node *b)
{
	if (!strcmp(f, "review") && b) {
		/* the review names its reviewer itself */
		const char *sum = crq_node_get_str(b, "summary");

		crq_buf_printf(as, "review.summary=%s", sum ? sum : "");
	} else if (!b) {
		crq_buf_printf(as, "%s=", f);
	} else if (b->kind == CRQ_NODE_STRING) {
		crq_buf_printf(as, "%s=%s", f, b->str);
	} else {
		crq_buf_printf(as, "%s=", f);
		crq_yaml_emit(as, b);
	}
}

/*
 * The fields a person set in the step old -> new, as assignments onto
 * cur (the change upstream now): a field upstream changed too, to
 * something else, is a conflict (named in conflict); one upstream has
 * already as the step left it is dropped.
 */
/* Is b, in field f, what an automation rule writes there (a rule's
 * task added, a value a rule sets)?  The replayed step fires the rule
 * again where it still applies: not the person's to assign. */
static int rules_wrote(const crq_node *policy, const char *f,
	const crq_node *a, const crq_node *b)
{
	const crq_node *rules = crq_node_get(policy, "rules");
	size_t i;

	if (!strcmp(f, "tasks") && b && b->kind == CRQ_NODE_ARRAY) {
		size_t na = a && a->kind == CRQ_NODE_ARRAY ? a->count : 0;

		if (b->count <= na)
			return 0;
		for (i = 0; i < na; i++)
			if (!crq_node_equal(a->items[i], b->items[i]))
				return 0;
		for (i = na; i < b->count; i++)
			if (!crq_node_get(b->items[i], "rule"))
				return 0;
		return 1;
	}
	if (!b || !crq_policy__in_list(crq_node_get(policy, "rule_settable"),
			f))
		return 0;
	for (i = 0; rules && rules->kind == CRQ_NODE_ARRAY &&
			i < rules->count; i++) {
		const crq_node *v = crq_node_get(crq_node_path(rules->items[i],
			"then.set"), f);

		if (v && crq_node_equal(v, b))
			return 1;
	}
	return 0;
}

static void assignments(crq_node *list, crq_buf *conflict,
	const crq_node *policy, const crq_node *old, const crq_node *new,
	const crq_node *cur)
{
	crq_node *keys = crq_node_new(CRQ_NODE_OBJECT);
	const crq_node *side[2] = { old, new };
	size_t i;
	int s;

	for (s = 0; s < 2; s++)
		for (i = 0; side[s] && i < side[s]->count; i++)
			crq_node_set(keys, side[s]->keys[i],
				crq_node_new_bool(1));
	for (i = 0; i < keys->count; i++) {
		const char *f = keys->keys[i];
		const crq_node *a = old ? crq_node_get(old, f) : NULL;
		const crq_node *b = crq_node_get(new, f);
		const crq_node *c = cur ? crq_node_get(cur, f) : NULL;
		crq_buf as = CRQ_BUF_INIT;

		if (crq_policy__derived(f) || same(a, b) ||
		    !strcmp(f, "deployments") || rules_wrote(policy, f, a, b))
			continue;
		if (cur && same(c, b))
			continue;	/* upstream has it already */
		if (cur && !same(c, a) && !conflict->size) {
			crq_buf_printf(conflict, "%s", f);
			continue;
		}
		assignment(&as, f, b);
		crq_node_push(list, crq_node_new_cstr(as.ptr));
		crq_buf_dispose(&as);
	}
	crq_node_free(keys);
}

/* Body of a commit message without subject and trailers. */
static void body_of(crq_buf *out, git_commit *c)
{
	const char *b = git_commit_body(c);
	const char *t = b ? strstr(b, "Crq-") : NULL;
	size_t n = b ? (t ? (size_t)(t - b) : strlen(b)) : 0;

	while (n && (b[n - 1] == '\n' || b[n - 1] == ' '))
		n--;
	if (n)
		crq_buf_put(out, b, n);
}

/* Three-way merge of policy values: what the local step changed from
 * base to mine, applied to theirs.  Objects merge key by key, lists of
 * members by email, lists of strings as sets.  Returns the merged value
 * (NULL: absent); a conflict sets *clash to the path. */
static crq_node *merge3(const crq_node *b, const crq_node *m,
	const crq_node *t, const char *path, crq_buf *clash);

static const crq_node *by_email(const crq_node *arr, const char *email)
{
	size_t i;

	for (i = 0; arr && i < arr->count; i++)
		if (crq_node_get_str(arr->items[i], "email") &&
		    !strcmp(crq_node_get_str(arr->items[i], "email"), email))
			return arr->items[i];
	return NULL;
}

static int all_kind(const crq_node *a, crq_node_kind k)
{
	size_t i;

	if (a && a->kind != CRQ_NODE_ARRAY)
		return 0;
	for (i = 0; a && i < a->count; i++)
		if (a->items[i]->kind != k || (k == CRQ_NODE_OBJECT &&
		    !crq_node_get_str(a->items[i], "email")))
			return 0;
	return 1;
}

static int in_list(const crq_node *a, const crq_node *v)
{
	size_t i;

	for (i = 0; a && i < a->count; i++)
		if (crq_node_equal(a->items[i], v))
			return 1;
	return 0;
}

static crq_node *merge3(const crq_node *b, const crq_node *m,
	const crq_node *t, const char *path, crq_buf *clash)
{
	crq_node *out;
	size_t i;
	int s;

	if (same(b, m))
		return t ? crq_node_dup(t) : NULL;
	if (same(b, t) || same(m, t))
		return m ? crq_node_dup(m) : NULL;
	if (b && m && t && b->kind == CRQ_NODE_OBJECT &&
	    m->kind == CRQ_NODE_OBJECT && t->kind == CRQ_NODE_OBJECT) {
		const crq_node *side[3] = { t, m, b };

		out = crq_node_new(CRQ_NODE_OBJECT);
		for (s = 0; s < 3 && !clash->size; s++)
			for (i = 0; i < side[s]->count; i++) {
				const char *k = side[s]->keys[i];
				crq_buf sub = CRQ_BUF_INIT;
				crq_node *v;

				if (crq_node_get(out, k) || (s && !crq_node_get(
						t, k) && !crq_node_get(m, k)))
					continue;
				crq_buf_printf(&sub, "%s%s%s", path,
					*path ? "." : "", k);
				v = merge3(crq_node_get(b, k), crq_node_get(m, k),
					crq_node_get(t, k), sub.ptr, clash);
				crq_buf_dispose(&sub);
				if (v)
					crq_node_set(out, k, v);
			}
		return out;
	}
	if (b && m && t && all_kind(b, CRQ_NODE_STRING) &&
	    all_kind(m, CRQ_NODE_STRING) && all_kind(t, CRQ_NODE_STRING)) {
		/* theirs, plus what I added, less what I removed */
		out = crq_node_new(CRQ_NODE_ARRAY);
		for (i = 0; i < t->count; i++)
			if (in_list(m, t->items[i]) || !in_list(b, t->items[i]))
				crq_node_push(out, crq_node_dup(t->items[i]));
		for (i = 0; i < m->count; i++)
			if (!in_list(b, m->items[i]) && !in_list(out,
					m->items[i]))
				crq_node_push(out, crq_node_dup(m->items[i]));
		return out;
	}
	if (b && m && t && all_kind(b, CRQ_NODE_OBJECT) &&
	    all_kind(m, CRQ_NODE_OBJECT) && all_kind(t, CRQ_NODE_OBJECT)) {
		/* members, by email: theirs in order, then mine added */
		const crq_node *side[2] = { t, m };

		out = crq_node_new(CRQ_NODE_ARRAY);
		for (s = 0; s < 2 && !clash->size; s++)
			for (i = 0; i < side[s]->count; i++) {
				const char *e = crq_node_get_str(
					side[s]->items[i], "email");
				crq_buf sub = CRQ_BUF_INIT;
				crq_node *v;

				if (s && by_email(t, e))
					continue;
				crq_buf_printf(&sub, "%s[%s]", path, e);
				v = merge3(by_email(b, e), by_email(m, e),
					by_email(t, e), sub.ptr, clash);
				crq_buf_dispose(&sub);
				if (v)
					crq_node_push(out, v);
			}
		return out;
	}
	if (!clash->size)
		crq_buf_puts(clash, *path ? path : "the policy");
	return NULL;
}

/* The last policy step in upstream since base, for naming a conflict. */
static void upstream_policy_step(crq_buf *out, crq_repo *repo,
	const git_oid *tip, const git_oid *base)
{
	git_revwalk *walk = NULL;
	git_oid id;

	if (git_revwalk_new(&walk, repo->git) < 0)
		return;
	git_revwalk_simplify_first_parent(walk);
	git_revwalk_push(walk, tip);
	if (base)
		git_revwalk_hide(walk, base);
	while (git_revwalk_next(&id, walk) == 0) {
		git_commit *c = NULL;

		if (git_commit_lookup(&c, repo->git, &id) < 0)
			continue;
		if (strstr(git_commit_message(c), "\nCrq-Action: policy")) {
			crq_buf_printf(out, "%.10s (%s)", git_oid_tostr_s(&id),
				git_commit_summary(c));
			git_commit_free(c);
			break;
		}
		git_commit_free(c);
	}
	git_revwalk_free(walk);
}

/* Replay a policy step as the operation it was. */
static int replay_policy(crq_buf *report, int *dropped, crq_repo *repo,
	git_commit *c, const git_oid *tip, const git_oid *base)
{
	const char *subject = git_commit_summary(c);
	crq_node *b = NULL, *m = NULL, *t = NULL, *merged = NULL;
	const crq_node *bp, *mp, *tp;
	const crq_schema *schema;
	crq_buf clash = CRQ_BUF_INIT, text = CRQ_BUF_INIT, up = CRQ_BUF_INIT;
	int err;

	if ((err = doc_at(&b, repo, git_commit_parent_id(c, 0), POLICY_PATH)) < 0 ||
	    (err = doc_at(&m, repo, git_commit_id(c), POLICY_PATH)) < 0 ||
	    (err = doc_at(&t, repo, tip, POLICY_PATH)) < 0 ||
	    (err = crq_store__policy_schema(&schema, repo)) < 0)
		goto done;
	bp = crq_node_get(b, "pending");
	mp = crq_node_get(m, "pending");
	tp = crq_node_get(t, "pending");
	if (bp && (!mp || (crq_node_get(mp, "policy") && same(crq_node_get(bp,
			"policy"), crq_node_get(mp, "policy"))))) {
		/* an approval or a withdrawal of the pending change: only of
		 * the very change that is pending upstream */
		if (!tp || !same(crq_node_get(bp, "policy"), crq_node_get(tp,
				"policy"))) {
			upstream_policy_step(&up, repo, tip, base);
			err = crq_error__set(CRQ_ECONFLICT,
				"your policy step %.10s (%s) was on a pending change that is not pending upstream any more%s%s",
				git_oid_tostr_s(git_commit_id(c)), subject,
				up.size ? ": see " : "", crq_buf_cstr(&up));
			goto done;
		}
		err = !mp && !strncmp(subject, "policy: withdraw", 16) ?
			crq_policy_withdraw(repo) : crq_policy_approve(repo);
		goto done;
	}
	/* an edit (or its proposal): what it changed, onto upstream's */
	crq_node_remove(b, "pending");
	crq_node_remove(b, "version");
	crq_node_remove(t, "version");
	if (mp) {
		crq_node *p = crq_node_dup(crq_node_get(mp, "policy"));

		crq_node_free(m);
		m = p;
	}
	crq_node_remove(m, "pending");
	crq_node_remove(m, "version");
	if (tp) {
		crq_node_remove(t, "pending");
	}
	merged = merge3(b, m, t, "", &clash);
	if (clash.size) {
		upstream_policy_step(&up, repo, tip, base);
		err = crq_error__set(CRQ_ECONFLICT,
			"your policy step %.10s (%s) and upstream's %s both changed %s",
			git_oid_tostr_s(git_commit_id(c)), subject,
			up.size ? up.ptr : "policy steps", clash.ptr);
		goto done;
	}
	if (same(merged, t)) {
		crq_buf_printf(report, "dropped %.10s (%s): upstream has it already\n",
			git_oid_tostr_s(git_commit_id(c)), subject);
		*dropped = 1;
		err = 0;
		goto done;
	}
	crq_node_set(merged, "version", crq_node_new_int(1));
	crq_doc_format(&text, schema, merged);
	err = crq_policy_apply(repo, text.ptr, text.size, POLICY_PATH);
	if (!err)
		crq_buf_printf(report, "replayed %s\n", subject);
done:
	crq_node_free(b);
	crq_node_free(m);
	crq_node_free(t);
	crq_node_free(merged);
	crq_buf_dispose(&clash);
	crq_buf_dispose(&text);
	crq_buf_dispose(&up);
	return err;
}

struct replay_ctx {
	crq_buf *report;
	crq_node *res;		/* the result: its steps */
	const char *why;	/* why the step at hand was dropped */
	crq_node *idmap;	/* renumbered ids: local -> upstream */
	const git_oid *base;	/* where local and upstream parted */
	size_t replayed, dropped;
};

static const char *mapped_id(struct replay_ctx *rc, const char *id)
{
	const char *m = id ? crq_node_get_str(rc->idmap, id) : NULL;

	return m ? m : id;
}

/* A task without what marking it done records. */
static crq_node *task_plan(const crq_node *t)
{
	crq_node *c = crq_node_dup(t);

	if (c && c->kind == CRQ_NODE_OBJECT) {
		crq_node_remove(c, "done");
		crq_node_remove(c, "done_by");
		crq_node_remove(c, "done_at");
	}
	return c;
}

/*
 * A task step replays as what it did: the task it added is added to the
 * tasks upstream has now; the task it marked is marked if upstream has
 * the same task at that number (the same title, owner, due, phase).
 */
static int replay_task(struct replay_ctx *rc, crq_repo *repo, git_commit *c,
	const char *action, const char *id, const crq_node *old,
	const crq_node *new, const crq_node *cur, const char *body)
{
	const crq_node *ot = crq_node_get(old, "tasks");
	const crq_node *nt = crq_node_get(new, "tasks");
	const crq_node *ct = crq_node_get(cur, "tasks");
	size_t no = ot ? ot->count : 0, nn = nt ? nt->count : 0, i, n = 0;
	const char *op = action + 5;
	const char *msg = body;
	int err;

	/* the message crq wrote first names the task: write it anew */
	if (msg && !strncmp(msg, "task ", 5)) {
		msg = strstr(msg, "\n\n");
		msg = msg ? msg + 2 : NULL;
	}
	if (!strcmp(op, "add")) {
		crq_node *t;

		if (nn != no + 1)
			return crq_error__set(CRQ_EINVALID,
				"local step %.10s is not one task added",
				git_oid_tostr_s(git_commit_id(c)));
		t = task_plan(nt->items[nn - 1]);
		err = crq_change_task(repo, id, "add", t, 0, msg);
		crq_node_free(t);
	} else {
		crq_node *a, *b;
		int same_task;

		for (i = 0; i < no && i < nn; i++)
			if (!crq_node_equal(ot->items[i], nt->items[i]))
				n = i + 1;
		if (!n)
			return crq_error__set(CRQ_EINVALID,
				"local step %.10s marks no task",
				git_oid_tostr_s(git_commit_id(c)));
		a = task_plan(ot->items[n - 1]);
		b = ct && n <= ct->count ? task_plan(ct->items[n - 1]) : NULL;
		same_task = b && crq_node_equal(a, b);
		crq_node_free(a);
		crq_node_free(b);
		if (!same_task)
			return crq_error__set(CRQ_ECONFLICT,
				"task %zu of %s is not the task your step %.10s marked: it changed upstream",
				n, id, git_oid_tostr_s(git_commit_id(c)));
		err = crq_change_task(repo, id, op, NULL, n, msg);
	}
	if (err == CRQ_EEXISTS) {
		crq_buf_printf(rc->report, "dropped %.10s (%s %s): upstream has it already\n",
			git_oid_tostr_s(git_commit_id(c)), action, id);
		rc->why = "upstream has it already";
		rc->dropped++;
		return 0;
	}
	if (!err)
		crq_buf_printf(rc->report, "replayed %s %s\n", action, id);
	return err;
}

/* Replay one local step on the replay ref's tip. */
static int replay(struct replay_ctx *rc, crq_repo *repo, git_commit *c)
{
	crq_buf path = CRQ_BUF_INIT, body = CRQ_BUF_INIT, newid = CRQ_BUF_INIT,
		problem = CRQ_BUF_INIT, me = CRQ_BUF_INIT, clash = CRQ_BUF_INIT;
	crq_node *tr = NULL, *old = NULL, *new = NULL, *cur = NULL,
		*sets = crq_node_new(CRQ_NODE_ARRAY);
	const char *id = NULL, *action = NULL, *digest, *by, *mid;
	const char **argv = NULL;
	const char *short_id = git_oid_tostr_s(git_commit_id(c));
	char shown[16];
	git_oid tip;
	size_t i, dropped_before;
	int err, unborn, files, skip = 0, pdropped = 0;

	snprintf(shown, sizeof(shown), "%.10s", short_id);
	dropped_before = rc->dropped;
	rc->why = NULL;
	if ((err = crq_commit__trailers(&tr, &problem,
			git_commit_message(c))) < 0)
		goto done;
	id = crq_node_get_str(tr, "Crq-Change");
	action = crq_node_get_str(tr, "Crq-Action");
	digest = crq_node_get_str(tr, "Crq-Digest");
	if (problem.size || !action) {
		err = crq_error__set(CRQ_EDENIED,
			"local commit %s is not a crq step%s%s; rebase it with git first",
			shown, problem.size ? ": " : "", crq_buf_cstr(&problem));
		goto done;
	}
	/* each step is signed only by its author: replaying someone
	 * else's local step as ours would put our name on their decision */
	by = git_commit_committer(c)->email;
	if ((err = crq_store__email(&me, repo)) < 0)
		goto done;
	if (strcmp(me.ptr, by)) {
		err = crq_error__set(CRQ_EDENIED,
			"local step %s is %s's: only its author can sign it again\n"
			"hint: run crq sync as %s (or let them push it)",
			shown, by, by);
		goto done;
	}
	if (id && !*mapped_id(rc, id)) {
		/* its change's create was skipped */
		crq_buf_printf(rc->report, "skipped %s (%s %s): the change's create was skipped (kept at refs/crq/sync)\n",
			shown, action, id);
		rc->why = "the change's create was skipped";
		skip = 1;
		rc->dropped++;
		goto done;
	}
	if ((err = files = step_files(&path, repo->git, c)) < 0)
		goto done;
	body_of(&body, c);
	if ((err = crq_store__tip(repo, &tip, &unborn)) < 0)
		goto done;
	if (files == 0 && !strcmp(action, "comment")) {
		crq_act_opts opts;

		memset(&opts, 0, sizeof(opts));
		opts.message = body.size ? body.ptr : "-";
		err = crq_change_act(NULL, repo, mapped_id(rc, id), action,
			&opts);
		if (!err)
			crq_buf_printf(rc->report, "replayed comment %s\n",
				mapped_id(rc, id));
		goto done;
	}
	if (files == 0) {
		/* older crq wrote steps that changed nothing: nothing to do */
		crq_buf_printf(rc->report, "dropped %s (%s %s): it changed nothing\n",
			shown, action, id ? id : "-");
		rc->why = "it changed nothing";
		rc->dropped++;
		goto done;
	}
	if (files != 1) {
		err = crq_error__set(CRQ_EDENIED,
			"local commit %s is not one crq step (it changes other files); rebase it with git first",
			shown);
		goto done;
	}
	if (!strcmp(path.ptr, POLICY_PATH)) {
		err = replay_policy(rc->report, &pdropped, repo, c, &tip,
			rc->base);
		if (pdropped)
			rc->why = "upstream has it already";
		goto done;
	}
	if (!id) {
		err = crq_error__set(CRQ_EINVALID,
			"local commit %s has no Crq-Change trailer", shown);
		goto done;
	}
	mid = mapped_id(rc, id);
	if ((err = doc_at(&new, repo, git_commit_id(c), path.ptr)) < 0)
		goto done;
	if (strcmp(action, "create")) {
		crq_buf cpath = CRQ_BUF_INIT;

		doc_at(&old, repo, git_commit_parent_id(c, 0), path.ptr);
		if ((err = crq_change_path(&cpath, repo, mid)) == 0)
			err = doc_at(&cur, repo, &tip, cpath.ptr);
		crq_buf_dispose(&cpath);
		if (err < 0)
			goto done;
	}
	if (!strncmp(action, "task-", 5) && old && cur) {
		err = replay_task(rc, repo, c, action, mid, old, new, cur,
			body.size ? body.ptr : NULL);
		goto done;
	}
	if (digest) {
		/* a decision holds only for the content it was made on */
		const crq_schema *schema;
		char now[72];

		if ((err = crq_repo_change_schema(&schema, repo)) < 0 ||
		    (err = crq_rules_digest(now, schema, cur)) < 0)
			goto done;
		if (strcmp(now, digest)) {
			err = crq_error__set(CRQ_ECONFLICT,
				"your %s of %s was for content that changed upstream: review it again",
				!strcmp(action, "reject") ? "rejection" :
				!strcmp(action, "approve") ? "approval" :
				"decision", mid);
			goto done;
		}
	}
	if (!digest && strcmp(action, "create") && strcmp(action, "edit") &&
	    strcmp(action, "comment") && old && cur) {
		/* an assessment, a schedule, a start ...: a judgment of the
		 * content it was taken on, like a decision */
		const crq_schema *schema;
		char was[72], now[72];

		if ((err = crq_repo_change_schema(&schema, repo)) < 0 ||
		    (err = crq_rules_digest(was, schema, old)) < 0 ||
		    (err = crq_rules_digest(now, schema, cur)) < 0)
			goto done;
		if (strcmp(was, now)) {
			err = crq_error__set(CRQ_ECONFLICT,
				"your %s of %s was taken on content that changed upstream: look at it again",
				action, mid);
			goto done;
		}
	}
	{
		const crq_node *policy;

		if ((err = crq_policy__tip(&policy, repo)) < 0)
			goto done;
		assignments(sets, &clash, policy, old, new, cur);
	}
	if (clash.size) {
		err = crq_error__set(CRQ_ECONFLICT,
			"your step %s (%s %s) and upstream both changed %s of %s",
			shown, action, mid, clash.ptr, mid);
		goto done;
	}
	argv = crq__calloc(sets->count + 1, sizeof(*argv));
	for (i = 0; i < sets->count; i++)
		argv[i] = sets->items[i]->str;
	if (!strcmp(action, "create")) {
		crq_node *fields = crq_node_new(CRQ_NODE_OBJECT);
		const char *tmpl = crq_node_get_str(new, "template");

		for (i = 0; i < new->count; i++) {
			const char *k = new->keys[i];

			if (!crq_policy__derived(k))
				crq_node_set(fields, k,
					crq_node_dup(new->items[i]));
		}
		err = crq_change_create(&newid, repo, fields, tmpl);
		crq_node_free(fields);
		if (!err && strcmp(newid.ptr, id)) {
			crq_node_set(rc->idmap, id,
				crq_node_new_cstr(newid.ptr));
			crq_buf_printf(rc->report,
				"renumbered %s to %s: the id was taken upstream\n",
				id, newid.ptr);
		}
	} else if (!strcmp(action, "edit")) {
		err = sets->count ? crq_change_set(repo, mid, argv,
			sets->count) : CRQ_EEXISTS;
	} else if (crq_node_get(new, "deployments") &&
		   !same(crq_node_get(old, "deployments"),
			 crq_node_get(new, "deployments"))) {
		/* a deployment: the same one, on the new tip */
		const crq_node *d = crq_node_get(new, "deployments");
		const crq_node *last = d->kind == CRQ_NODE_ARRAY && d->count ?
			d->items[d->count - 1] : NULL;

		err = last ? crq_change_deploy(repo, mid,
			crq_node_get_str(last, "ref"),
			crq_node_get_str(last, "artifact"),
			crq_node_get_str(last, "environment"),
			body.size ? body.ptr : NULL) : CRQ_EINVALID;
	} else {
		crq_act_opts opts;
		const crq_node *apps = crq_node_get(new, "approvals");

		memset(&opts, 0, sizeof(opts));
		opts.message = body.size ? body.ptr : NULL;
		/* review: its summary is the message */
		if (!strcmp(action, "review"))
			opts.message = NULL;
		opts.assignments = argv;
		opts.count = sets->count;
		opts.rule = crq_node_get_str(tr, "Crq-Escalate");
		if (digest && apps && apps->count)
			opts.role = crq_node_get_str(
				apps->items[apps->count - 1], "role");
		err = crq_change_act(NULL, repo, mid, action, &opts);
	}
	if (err == CRQ_EEXISTS) {
		/* upstream made the same change meanwhile */
		crq_buf_printf(rc->report, "dropped %s (%s %s): upstream has it already\n",
			shown, action, mid);
		rc->why = "upstream has it already";
		rc->dropped++;
		err = 0;
		goto done;
	}
	if (!err)
		crq_buf_printf(rc->report, "replayed %s %s\n", action,
			mapped_id(rc, id));
done:
	if (!err && rc->dropped == dropped_before)
		rc->replayed++;
	if (err < 0 && err != CRQ_ECONFLICT)
		crq_error__prefix("cannot replay %s (%s)", shown,
			id ? id : git_commit_summary(c));
	if (action) {
		const char *now = id ? mapped_id(rc, id) : NULL;

		result_step(rc->res, git_commit_id(c), action, id,
			err < 0 ? "stopped" : skip ? "skipped" :
			rc->dropped != dropped_before || pdropped ? "dropped" :
			"replayed", err < 0 ? crq_error_last() :
			skip || rc->dropped != dropped_before || pdropped ?
			rc->why : NULL,
			now && *now && strcmp(now, id) ? now : NULL);
	} else if (err < 0) {
		result_step(rc->res, git_commit_id(c), NULL, id, "stopped",
			crq_error_last(), NULL);
	}
	crq_node_free(tr);
	free(argv);
	crq_node_free(old);
	crq_node_free(new);
	crq_node_free(cur);
	crq_node_free(sets);
	crq_buf_dispose(&path);
	crq_buf_dispose(&body);
	crq_buf_dispose(&newid);
	crq_buf_dispose(&problem);
	crq_buf_dispose(&me);
	crq_buf_dispose(&clash);
	return err;
}

/* ---- the sync ---- */

/* A result this sync pushed, or tried to: it may land yet. */
static void remember_tried(struct sync_state *st, const git_oid *result)
{
	crq__grow((void **)&st->tried, &st->atried, st->ntried + 1,
		sizeof(*st->tried));
	st->tried[st->ntried++] = *result;
}

static int skipped(const struct sync_state *st, const git_oid *id)
{
	size_t i;

	for (i = 0; i < st->nskip; i++)
		if (git_oid_equal(&st->skip[i], id))
			return 1;
	return 0;
}

static size_t count_between(crq_repo *repo, const git_oid *from,
	const git_oid *to)
{
	size_t ahead = 0, behind = 0;

	if (git_graph_ahead_behind(&ahead, &behind, repo->git, to, from) < 0)
		return 0;
	return ahead;
}

/* The commits tip holds (a branch new on the remote). */
static size_t count_all(crq_repo *repo, const git_oid *tip)
{
	git_revwalk *walk = NULL;
	git_oid id;
	size_t n = 0;

	if (git_revwalk_new(&walk, repo->git) < 0)
		return 0;
	if (git_revwalk_push(walk, tip) == 0)
		while (git_revwalk_next(&id, walk) == 0)
			n++;
	git_revwalk_free(walk);
	return n;
}

/* Replay the local steps base..st->local onto st->upstream on the
 * replay ref; *result gets its tip. */
static int replay_all(crq_buf *report, crq_node *res, crq_repo *repo,
	struct sync_state *st, const char *replay_ref, git_oid *result)
{
	struct replay_ctx rc;
	git_revwalk *walk = NULL;
	git_oid base, id;
	char *branch = repo->branch;
	int err;

	memset(&rc, 0, sizeof(rc));
	rc.report = report;
	rc.res = res;
	rc.idmap = crq_node_new(CRQ_NODE_OBJECT);
	/* a replay again (upstream moved): its steps are this replay's */
	crq_node_set(res, "steps", crq_node_new(CRQ_NODE_ARRAY));
	crq_node_set(res, "replay", crq_node_new(CRQ_NODE_NULL));
	if ((err = git_merge_base(&base, repo->git, &st->local,
			&st->upstream)) < 0) {
		err = crq_error__set(CRQ_EREPO,
			"no common history with the remote: the store there is another store");
		goto done;
	}
	rc.base = &base;
	if ((err = set_ref(repo, replay_ref, &st->upstream, "crq sync")) < 0)
		goto done;
	if ((err = git_revwalk_new(&walk, repo->git)) < 0 ||
	    (err = git_revwalk_sorting(walk, GIT_SORT_TOPOLOGICAL |
			GIT_SORT_REVERSE)) < 0 ||
	    (err = git_revwalk_push(walk, &st->local)) < 0 ||
	    (err = git_revwalk_hide(walk, st->has_since ? &st->since :
			&base)) < 0) {
		err = crq_store__git_error(err, "cannot list the local steps");
		goto done;
	}
	git_revwalk_simplify_first_parent(walk);
	/* the steps land on the replay ref, the work tree stays alone */
	repo->branch = crq__strdup(replay_ref);
	repo->tip_known = 0;
	crq_node_free(repo->policy);
	repo->policy = NULL;
	while (!err && git_revwalk_next(&id, walk) == 0) {
		git_commit *c = NULL;

		if (skipped(st, &id)) {
			git_commit *sc = NULL;
			crq_node *t = NULL;
			crq_buf pr = CRQ_BUF_INIT, kept = CRQ_BUF_INIT;

			crq_buf_printf(report, "skipped %.10s (kept at refs/crq/sync/%s)\n",
				git_oid_tostr_s(&id), st->branch);
			crq_buf_printf(&kept, "dropped with crq sync --skip (kept at refs/crq/sync/%s)",
				st->branch);
			/* a change whose create is skipped is not there: its
			 * id must not lead its later steps to another change */
			if (git_commit_lookup(&sc, repo->git, &id) == 0 &&
			    crq_commit__trailers(&t, &pr,
					git_commit_message(sc)) == 0 &&
			    crq_node_get_str(t, "Crq-Change") &&
			    !strcmp(crq_node_get_str(t, "Crq-Action") ?
				crq_node_get_str(t, "Crq-Action") : "",
				"create"))
				crq_node_set(rc.idmap, crq_node_get_str(t,
					"Crq-Change"), crq_node_new_cstr(""));
			result_step(res, &id, crq_node_get_str(t, "Crq-Action"),
				crq_node_get_str(t, "Crq-Change"), "skipped",
				kept.ptr, NULL);
			crq_node_free(t);
			crq_buf_dispose(&pr);
			crq_buf_dispose(&kept);
			git_commit_free(sc);
			continue;
		}
		if ((err = git_commit_lookup(&c, repo->git, &id)) < 0) {
			err = crq_store__git_error(err, "cannot read a local step");
			break;
		}
		if (git_commit_parentcount(c) != 1) {
			err = crq_error__set(CRQ_EDENIED,
				"local commit %.10s is a merge; crq sync replays steps one by one\n"
				"hint: undo the merge (git reset) and run crq sync",
				git_oid_tostr_s(&id));
			result_step(res, &id, NULL, NULL, "stopped",
				crq_error_last(), NULL);
		} else {
			err = replay(&rc, repo, c);
		}
		git_commit_free(c);
		if (err < 0) {
			st->stopped = 1;
			st->stop_at = id;
			crq_buf_clear(&st->why);
			crq_buf_puts(&st->why, crq_error_last());
		}
	}
	free(repo->branch);
	repo->branch = branch;
	repo->tip_known = 0;
	crq_node_free(repo->policy);
	repo->policy = NULL;
	if (!err && (err = git_reference_name_to_id(result, repo->git,
			replay_ref)) < 0)
		err = crq_store__git_error(err, "cannot read the replay");
	if (!err) {
		crq_node *o = crq_node_new(CRQ_NODE_OBJECT);

		crq_node_set(o, "onto", oid_node(&st->upstream));
		crq_node_set(o, "result", oid_node(result));
		crq_node_set(o, "replayed", crq_node_new_int(
			(long long)rc.replayed));
		crq_node_set(o, "dropped", crq_node_new_int(
			(long long)rc.dropped));
		crq_node_set(res, "replay", o);
	}
	if (!err)
		crq_buf_printf(report, "replayed %zu local step%s on %s/%s%s\n",
			rc.replayed, rc.replayed == 1 ? "" : "s", st->remote,
			st->branch, rc.dropped ? " (the others dropped, see above)" :
			"");
done:
	git_revwalk_free(walk);
	crq_node_free(rc.idmap);
	return err;
}

/* Who refused a push, in their words, and what to do. */
static int push_refused(int how, const char *remote, const char *branch,
	const char *why)
{
	if (how == CRQ_PUSH_REFUSED_HERE)
		return crq_error__set(CRQ_EDENIED,
			"the push to %s/%s was refused here, by this clone's pre-push hook:\n%s"
			"hint: nothing was pushed; your branch is as it was; fix or drop the commits it names (git log %s/%s..)",
			remote, branch, why, remote, branch);
	return crq_error__set(CRQ_EDENIED, "%s/%s refused the push:\n%s"
		"hint: nothing was pushed; your branch is as it was; fix or drop the commits it names (git log %s/%s..)",
		remote, branch, why, remote, branch);
}

static int stop_message(const struct sync_state *st)
{
	return crq_error__set(CRQ_ECONFLICT,
		"%s\n"
		"hint: crq sync stopped at your step %.10s; nothing was pushed and your branch is as it was\n"
		"hint: crq sync --skip drops that step (it stays at refs/crq/sync/%s) and shares the rest;\n"
		"hint: crq sync --continue tries it again; crq sync --abort forgets the sync",
		st->why.ptr ? st->why.ptr : "", git_oid_tostr_s(&st->stop_at),
		st->branch);
}

static int valid_remote(crq_repo *repo, const char *name)
{
	git_remote *r = NULL;
	int err = git_remote_lookup(&r, repo->git, name);

	git_remote_free(r);
	if (err == GIT_ENOTFOUND || err == GIT_EINVALIDSPEC)
		return crq_error__set(CRQ_EREPO, "no remote '%s'", name);
	return err < 0 ? crq_store__git_error(err, "cannot read the remote") :
		0;
}

/* Uncommitted edits of crq files: the replay would write past them. */
static int crq_files_clean(crq_repo *repo)
{
	git_status_options so;
	git_status_list *list = NULL;
	size_t i;
	int err;

	git_status_options_init(&so, GIT_STATUS_OPTIONS_VERSION);
	so.flags = GIT_STATUS_OPT_INCLUDE_UNTRACKED;
	if ((err = git_status_list_new(&list, repo->git, &so)) < 0)
		return crq_store__git_error(err, "cannot read status");
	for (i = 0; i < git_status_list_entrycount(list); i++) {
		const git_status_entry *e = git_status_byindex(list, i);
		const char *p = e->index_to_workdir ?
			e->index_to_workdir->new_file.path :
			e->head_to_index->new_file.path;

		if (!strncmp(p, "changes/", 8) || !strncmp(p, ".crq/", 5)) {
			err = crq_error__set(CRQ_ECONFLICT,
				"'%s' has uncommitted changes; commit or stash them before crq sync",
				p);
			break;
		}
	}
	git_status_list_free(list);
	return err;
}

/* A sync is over: its journal and replay ref go, the record of the local
 * steps too unless a skipped one is only there. */
static void journal_done(crq_repo *repo, const struct sync_state *st,
	const char *replay_ref, const char *backup)
{
	state_clear(repo);
	drop_ref(repo, replay_ref);
	if (!st->nskip)
		drop_ref(repo, backup);
}

static int holds(crq_repo *repo, const git_oid *tip, const git_oid *c)
{
	return git_oid_equal(tip, c) ||
		git_graph_descendant_of(repo->git, tip, c) == 1;
}

/* Is a result this sync pushed on the remote (at upstream)? */
static int landed(crq_repo *repo, const struct sync_state *st,
	const git_oid *upstream, git_oid *which)
{
	size_t i;

	if (st->has_result && strcmp(st->phase, "replay") &&
	    holds(repo, upstream, &st->result)) {
		*which = st->result;
		return 1;
	}
	for (i = 0; i < st->ntried; i++)
		if (holds(repo, upstream, &st->tried[i])) {
			*which = st->tried[i];
			return 1;
		}
	return 0;
}

/*
 * The sync's push (which) is on the remote: bring the branch there.
 * Steps made on the branch since (after a kill) are kept: they become
 * the local steps of a replay onto it, and *still is set.
 */
static int finish_landed(crq_buf *report, crq_node *res, crq_repo *repo,
	struct sync_state *st, const git_oid *which, const char *backup,
	int *still)
{
	git_oid now;
	int unborn, err;

	*still = 0;
	repo->tip_known = 0;
	if ((err = crq_store__tip(repo, &now, &unborn)) < 0)
		return err;
	if (!unborn && (git_oid_equal(&now, &st->local) || holds(repo, &now,
			which))) {
		st->result = *which;
		st->has_result = 1;
		snprintf(st->phase, sizeof(st->phase), "move");
		if ((err = state_save(repo, st)) < 0 ||
		    (err = move_branch(repo, &st->local, which)) < 0) {
			if (err == CRQ_ECONFLICT)
				crq_error__prefix("crq sync pushed %.10s already; your branch follows it once the way is clear (crq sync --continue)",
					git_oid_tostr_s(which));
			return err;
		}
		crq_buf_printf(report, "the sync's push had landed: %s is at %.10s\n",
			st->branch, git_oid_tostr_s(which));
		crq_node_set(res, "landed", oid_node(which));
		crq_node_set(res, "outcome", crq_node_new_cstr("landed"));
		return 0;
	}
	if (unborn || git_graph_descendant_of(repo->git, &now, &st->local) != 1)
		return crq_error__set(CRQ_ECONFLICT,
			"branch '%s' no longer holds the steps the sync pushed as %.10s\n"
			"hint: git reset --keep %.10s puts it there; then run crq sync",
			st->branch, git_oid_tostr_s(which), git_oid_tostr_s(which));
	/* the steps up to st->local are on the remote (replayed); those
	 * after it are new */
	crq_buf_printf(report, "the sync's push had landed (%.10s); %zu newer step%s of yours replay onto it\n",
		git_oid_tostr_s(which), count_between(repo, &st->local, &now),
		count_between(repo, &st->local, &now) == 1 ? "" : "s");
	crq_node_set(res, "landed", oid_node(which));
	st->since = st->local;
	st->has_since = 1;
	st->local = now;
	st->has_result = 0;
	st->ntried = 0;
	snprintf(st->phase, sizeof(st->phase), "replay");
	if ((err = set_ref(repo, backup, &now, "crq sync")) < 0 ||
	    (err = state_save(repo, st)) < 0)
		return err;
	*still = 1;
	return 0;
}

static void bump_retries(crq_node *res)
{
	crq_node *n = crq_node_get(res, "retries");

	crq_node_set(res, "retries", crq_node_new_int(
		(n && n->kind == CRQ_NODE_INT ? n->i : 0) + 1));
}

/* A push refused: by whom (the remote, or this clone's pre-push hook),
 * in their words. */
static void refused(crq_node *res, int how, const char *why)
{
	crq_node *o = crq_node_new(CRQ_NODE_OBJECT);

	crq_node_set(o, "by", crq_node_new_cstr(how == CRQ_PUSH_REFUSED_HERE ?
		"pre-push" : "remote"));
	crq_node_set(o, "message", crq_node_new_cstr(why ? why : ""));
	crq_node_set(res, "refused", o);
	crq_node_set(res, "outcome", crq_node_new_cstr("refused"));
}

static void set_outcome(crq_node *res, const char *what)
{
	crq_node_set(res, "outcome", crq_node_new_cstr(what));
}

static int sync_locked(crq_buf *report, crq_node *res, crq_repo *repo,
	const char *remote, int remote_given, crq_sync_mode mode)
{
	struct sync_state st;
	crq_buf track = CRQ_BUF_INIT, backup = CRQ_BUF_INIT,
		replay_ref = CRQ_BUF_INIT, why = CRQ_BUF_INIT;
	const char *branch = crq_store__branch_name(repo);
	git_oid local, upstream, result;
	char a[11], b[11], rname[256];
	int err, have, attempt, found, unborn, pushed;

	if ((have = state_load(repo, &st)) < 0) {
		if (mode != CRQ_SYNC_ABORT)
			return have;
		state_clear(repo);
		crq_buf_puts(report, "removed the damaged journal .git/crq/sync-state; your branch is as it was\n");
		set_outcome(res, "aborted");
		return 0;
	}
	/* a journal whose result is not here was not written by a sync of
	 * this clone that pushed: damaged */
	if (have && st.has_result && strcmp(st.phase, "replay")) {
		git_odb *odb = NULL;
		int there = git_repository_odb(&odb, repo->git) == 0 &&
			git_odb_exists(odb, &st.result);

		git_odb_free(odb);
		if (!there && mode == CRQ_SYNC_ABORT) {
			state_clear(repo);
			crq_buf_puts(report, "removed the damaged journal .git/crq/sync-state; your branch is as it was\n");
			set_outcome(res, "aborted");
			err = 0;
			goto done;
		}
		if (!there) {
			err = crq_error__set(CRQ_EREPO,
				"'.git/crq/sync-state' names a pushed result %.10s this clone does not have: it is damaged\n"
				"hint: crq sync --abort forgets it; your steps are at refs/crq/sync/%s",
				git_oid_tostr_s(&st.result), st.branch);
			goto done;
		}
	}
	if (have && mode == CRQ_SYNC_ABORT && strcmp(st.branch, branch) &&
	    strcmp(st.phase, "push") && strcmp(st.phase, "move")) {
		/* forget another branch's sync from here too */
		crq_buf other = CRQ_BUF_INIT;

		crq_buf_printf(&other, "refs/crq/replay/%s", st.branch);
		drop_ref(repo, other.ptr);
		crq_buf_dispose(&other);
		state_clear(repo);
		crq_buf_printf(report, "aborted the sync of branch '%s' (its steps are also at refs/crq/sync/%s)\n",
			st.branch, st.branch);
		set_outcome(res, "aborted");
		err = 0;
		goto done;
	}
	if (remote_given && (err = valid_remote(repo, remote)) < 0)
		goto done;
	if (have && remote_given && strcmp(remote, st.remote)) {
		err = crq_error__set(CRQ_ECONFLICT,
			"a crq sync with remote '%s' is in progress; finish it first (crq sync --continue, or --abort)",
			st.remote);
		goto done;
	}
	if (have && strcmp(st.branch, branch)) {
		err = crq_error__set(CRQ_ECONFLICT,
			"a crq sync of branch '%s' is in progress; check it out to finish or abort it",
			st.branch);
		goto done;
	}
	crq_buf_printf(&backup, "refs/crq/sync/%s", branch);
	crq_buf_printf(&replay_ref, "refs/crq/replay/%s", branch);
	if (mode == CRQ_SYNC_ABORT) {
		if (!have) {
			err = crq_error__set(CRQ_ENOTFOUND,
				"no crq sync is in progress");
			goto done;
		}
		if (!strcmp(st.phase, "push") || !strcmp(st.phase, "move")) {
			err = crq_error__set(CRQ_ECONFLICT,
				"the sync may have pushed already (%.10s); it cannot be undone\n"
				"hint: crq sync --continue finishes it",
				git_oid_tostr_s(&st.result));
			goto done;
		}
		state_clear(repo);
		drop_ref(repo, replay_ref.ptr);
		crq_buf_printf(report, "aborted the sync; your branch is as it was (your steps are also at %s)\n",
			backup.ptr);
		set_outcome(res, "aborted");
		err = 0;
		goto done;
	}
	if (!have && mode != CRQ_SYNC_RUN) {
		err = crq_error__set(CRQ_ENOTFOUND,
			"no crq sync is in progress: nothing to %s",
			mode == CRQ_SYNC_SKIP ? "skip" : "continue");
		goto done;
	}
	if (mode == CRQ_SYNC_SKIP) {
		if (!st.stopped) {
			err = crq_error__set(CRQ_ENOTFOUND,
				"the sync in progress did not stop at a step: nothing to skip\n"
				"hint: crq sync --continue");
			goto done;
		}
		crq__grow((void **)&st.skip, &st.askip, st.nskip + 1,
			sizeof(*st.skip));
		st.skip[st.nskip++] = st.stop_at;
		crq_buf_printf(report, "dropping %.10s from the sync (kept at %s)\n",
			git_oid_tostr_s(&st.stop_at), backup.ptr);
	}
	if (have) {
		if (mode == CRQ_SYNC_RUN && st.stopped)
			crq_buf_printf(report, "found a stopped crq sync (at %.10s): trying again\n",
				git_oid_tostr_s(&st.stop_at));
		else if (mode == CRQ_SYNC_RUN)
			crq_buf_printf(report, "found an interrupted crq sync (%s phase; your steps are at %s): finishing it\n",
				st.phase, backup.ptr);
		crq_node_set(res, "resumed", crq_node_new_cstr(st.stopped ?
			"stopped" : "interrupted"));
		st.stopped = 0;
		crq_buf_clear(&st.why);
		snprintf(rname, sizeof(rname), "%s", st.remote);
		remote = rname;
		crq_node_set(res, "remote", crq_node_new_cstr(remote));
	} else {
		snprintf(st.remote, sizeof(st.remote), "%s", remote);
		snprintf(st.branch, sizeof(st.branch), "%s", branch);
	}
	if ((err = valid_remote(repo, remote)) < 0)
		goto done;
	if (have && (!strcmp(st.phase, "move") || !strcmp(st.phase, "push"))) {
		/* cut short while moving the branch and the work tree */
		stale_lock(report, repo, repo->branch, st.written);
		stale_lock(report, repo, "index", st.written);
	}
	if (have && !strcmp(st.phase, "move") && st.has_result) {
		/* pushed; only the branch was left to move */
		int still;

		if ((err = finish_landed(report, res, repo, &st, &st.result,
				backup.ptr, &still)) < 0)
			goto done;
		if (!still) {
			have = 0;
			journal_done(repo, &st, replay_ref.ptr, backup.ptr);
			state_dispose(&st);
			snprintf(st.remote, sizeof(st.remote), "%s", remote);
			snprintf(st.branch, sizeof(st.branch), "%s", branch);
		}
	}
	crq_buf_printf(&track, "refs/remotes/%s/%s", remote, branch);
	for (attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
		if ((err = crq_transport__fetch(repo, remote, branch,
				&found)) < 0)
			goto done;
		repo->tip_known = 0;
		if ((err = crq_store__tip(repo, &local, &unborn)) < 0)
			goto done;
		if (unborn) {
			const crq_node *p;

			/* says where the store is, when a remote has it */
			err = crq_policy__tip(&p, repo);
			if (err >= 0)
				err = crq_error__set(CRQ_EREPO,
					"branch '%s' has no commits", branch);
			goto done;
		}
		if (found && (err = git_reference_name_to_id(&upstream,
				repo->git, track.ptr)) < 0) {
			err = crq_store__git_error(err, "cannot read the fetched tip");
			goto done;
		}
		{
			crq_node *f = crq_node_new(CRQ_NODE_OBJECT);

			crq_node_set(f, "ref", crq_node_new_cstr(track.ptr));
			crq_node_set(f, "tip", oid_node(found ? &upstream :
				NULL));
			crq_node_set(res, "fetched", f);
			crq_node_set(res, "local", oid_node(&local));
		}
		if (have && found && landed(repo, &st, &upstream, &result)) {
			/* a push of this sync landed before it was cut short */
			int still;

			if ((err = finish_landed(report, res, repo, &st, &result,
					backup.ptr, &still)) < 0)
				goto done;
			if (!still) {
				journal_done(repo, &st, replay_ref.ptr, backup.ptr);
				have = 0;
			}
			attempt--;
			continue;
		}
		if (have && strcmp(st.phase, "replay")) {
			/* its push did not land (yet: a git push cut loose
			 * may still): keep an eye on it, replay again */
			if (st.has_result) {
				remember_tried(&st, &st.result);
				st.has_result = 0;
			}
			snprintf(st.phase, sizeof(st.phase), "replay");
		}
		if (have && !git_oid_equal(&local, &st.local)) {
			/* steps made since the sync was cut short */
			if (git_graph_descendant_of(repo->git, &local,
					&st.local) != 1) {
				err = crq_error__set(CRQ_ECONFLICT,
					"branch '%s' no longer holds the steps of the interrupted sync\n"
					"hint: they are at %s; crq sync --abort forgets the sync",
					branch, backup.ptr);
				goto done;
			}
			st.local = local;
			if ((err = set_ref(repo, backup.ptr, &local,
					"crq sync")) < 0)
				goto done;
		}
		if (!found || git_oid_equal(&upstream, &local) ||
		    git_graph_descendant_of(repo->git, &local, &upstream) == 1) {
			size_t n = found ? count_between(repo, &upstream,
				&local) : 0;

			if (found && !n) {
				if (!report->size)
					crq_buf_printf(report, "nothing to do: %s is the same as %s/%s\n",
						branch, remote, branch);
				if (!crq_node_get_str(res, "outcome"))
					set_outcome(res, "up-to-date");
				err = 0;
				break;
			}
			crq_buf_clear(&why);
			err = crq_transport__push(repo, remote, branch, &local,
				found ? &upstream : NULL, &why);
			if (err == CRQ_PUSH_STALE) {
				bump_retries(res);
				continue;
			}
			if (err == CRQ_PUSH_REFUSED || err == CRQ_PUSH_REFUSED_HERE) {
				refused(res, err, why.ptr);
				err = push_refused(err, remote, branch, why.ptr);
				goto done;
			}
			if (err < 0)
				goto done;
			set_ref(repo, track.ptr, &local, "crq sync: pushed");
			{
				crq_node *o = move_node(found ? &upstream :
					NULL, &local, found ? n :
					count_all(repo, &local));

				crq_node_set(o, "new_branch",
					crq_node_new_bool(!found));
				crq_node_set(res, "pushed", o);
				set_outcome(res, "pushed");
			}
			if (found)
				crq_buf_printf(report, "pushed %zu step%s to %s/%s (%s..%s)\n",
					n, n == 1 ? "" : "s", remote, branch,
					git_oid_tostr(a, sizeof(a), &upstream),
					git_oid_tostr(b, sizeof(b), &local));
			else
				crq_buf_printf(report, "pushed %s to %s (a new branch there)\n",
					branch, remote);
			break;
		}
		if (git_graph_descendant_of(repo->git, &upstream, &local) == 1) {
			/* only upstream moved: take it */
			if ((err = dirty_overlap(repo, &local, &upstream)) < 0)
				goto done;
			st.local = local;
			st.result = upstream;
			st.has_result = 1;
			snprintf(st.phase, sizeof(st.phase), "move");
			if ((err = state_save(repo, &st)) < 0 ||
			    (err = move_branch(repo, &local, &upstream)) < 0)
				goto done;
			state_clear(repo);
			crq_node_set(res, "fast_forward", move_node(&local,
				&upstream, count_between(repo, &local,
				&upstream)));
			set_outcome(res, "fast-forwarded");
			crq_buf_printf(report, "fast-forwarded %s from %s to %s (%zu step%s)\n",
				branch, git_oid_tostr(a, sizeof(a), &local),
				git_oid_tostr(b, sizeof(b), &upstream),
				count_between(repo, &local, &upstream),
				count_between(repo, &local, &upstream) == 1 ?
				"" : "s");
			err = 0;
			break;
		}
		/* both moved: record the local steps, then replay them */
		if ((err = crq_files_clean(repo)) < 0)
			goto done;
		if (!have) {
			st.local = local;
			have = 1;
		}
		st.upstream = upstream;
		st.has_upstream = 1;
		st.has_result = 0;
		snprintf(st.phase, sizeof(st.phase), "replay");
		if ((err = set_ref(repo, backup.ptr, &st.local, "crq sync")) < 0 ||
		    (err = state_save(repo, &st)) < 0)
			goto done;
		if ((err = replay_all(report, res, repo, &st, replay_ref.ptr,
				&result)) < 0) {
			if (st.stopped) {
				crq_node *o = crq_node_new(CRQ_NODE_OBJECT);

				crq_node_set(o, "commit", oid_node(&st.stop_at));
				crq_node_set(o, "message", crq_node_new_cstr(
					crq_buf_cstr(&st.why)));
				crq_node_set(res, "stopped", o);
				set_outcome(res, "stopped");
				state_save(repo, &st);
				err = stop_message(&st);
			}
			goto done;
		}
		if ((err = dirty_overlap(repo, &local, &result)) < 0)
			goto done;
		st.result = result;
		st.has_result = 1;
		pushed = 0;
		if (git_oid_equal(&result, &upstream)) {
			pushed = 1;	/* nothing of ours is left to push */
		} else {
			snprintf(st.phase, sizeof(st.phase), "push");
			if ((err = state_save(repo, &st)) < 0)
				goto done;
			crq_buf_clear(&why);
			err = crq_transport__push(repo, remote, branch, &result,
				&upstream, &why);
			if (err == CRQ_PUSH_STALE) {
				crq_buf_printf(report, "%s/%s moved meanwhile; again\n",
					remote, branch);
				bump_retries(res);
				snprintf(st.phase, sizeof(st.phase), "replay");
				remember_tried(&st, &result);
				st.has_result = 0;
				state_save(repo, &st);
				continue;
			}
			if (err == CRQ_PUSH_REFUSED || err == CRQ_PUSH_REFUSED_HERE) {
				/* kept in mind in case it landed after all */
				snprintf(st.phase, sizeof(st.phase), "replay");
				remember_tried(&st, &result);
				st.has_result = 0;
				state_save(repo, &st);
				refused(res, err, why.ptr);
				err = push_refused(err, remote, branch, why.ptr);
				goto done;
			}
			if (err < 0)
				goto done;
			set_ref(repo, track.ptr, &result, "crq sync: pushed");
			{
				crq_node *o = move_node(&upstream, &result,
					count_between(repo, &upstream, &result));

				crq_node_set(o, "new_branch",
					crq_node_new_bool(0));
				crq_node_set(res, "pushed", o);
			}
		}
		snprintf(st.phase, sizeof(st.phase), "move");
		if ((err = state_save(repo, &st)) < 0)
			goto done;
		if ((err = move_branch(repo, &st.local, &result)) < 0) {
			if (err == CRQ_ECONFLICT && !pushed)
				crq_error__prefix("crq sync pushed %.10s already; your branch follows it once the way is clear (crq sync --continue)",
					git_oid_tostr_s(&result));
			goto done;
		}
		set_outcome(res, "replayed");
		if (pushed)
			crq_buf_printf(report, "%s is at %s/%s (%.10s): nothing of yours was left to push\n",
				branch, remote, branch, git_oid_tostr_s(&result));
		else
			crq_buf_printf(report, "pushed to %s/%s (%.10s)\n",
				remote, branch, git_oid_tostr_s(&result));
		journal_done(repo, &st, replay_ref.ptr, backup.ptr);
		have = 0;
		err = 0;
		break;
	}
	if (!err && attempt < MAX_ATTEMPTS && have) {
		/* a resumed sync that ended another way than a replay */
		journal_done(repo, &st, replay_ref.ptr, backup.ptr);
	}
	if (attempt == MAX_ATTEMPTS) {
		if (have && !strcmp(st.phase, "replay")) {
			state_clear(repo);
			drop_ref(repo, replay_ref.ptr);
		}
		err = crq_error__set(CRQ_ECONFLICT,
			"%s/%s kept moving (%d attempts); run crq sync again",
			remote, branch, MAX_ATTEMPTS);
	}
done:
	state_dispose(&st);
	crq_buf_dispose(&track);
	crq_buf_dispose(&backup);
	crq_buf_dispose(&replay_ref);
	crq_buf_dispose(&why);
	return err;
}

int crq_sync_run_ext(crq_node **out, crq_buf *report, crq_repo *repo,
	const char *remote, crq_sync_mode mode)
{
	crq_node *res = result_new(remote ? remote : "origin",
		repo->branch && !strncmp(repo->branch, "refs/heads/", 11) ?
		crq_store__branch_name(repo) : NULL);
	crq_buf scratch = CRQ_BUF_INIT;
	git_oid head;
	int err;

	if (!report)
		report = &scratch;
	if (!repo->workdir) {
		err = crq_error__set(CRQ_EUSAGE,
			"crq sync works in a checked-out store");
		goto done;
	}
	if (strncmp(repo->branch, "refs/heads/", 11)) {
		err = crq_error__set(CRQ_EUSAGE,
			"crq sync shares a branch (refs/heads/...), not '%s'",
			repo->branch);
		goto done;
	}
	/* no other crq writer of this clone steps in between */
	if ((err = crq_store__lock(repo)) < 0)
		goto done;
	err = sync_locked(report, res, repo, remote ? remote : "origin",
		!!remote, mode);
	crq_store__unlock(repo);
	/* where the branch is now: read after, whatever happened */
	if (git_reference_name_to_id(&head, repo->git, repo->branch) == 0)
		crq_node_set(res, "head", oid_node(&head));
done:
	if (err < 0 && !crq_node_get_str(res, "outcome"))
		set_outcome(res, "failed");
	if (out)
		*out = res;
	else
		crq_node_free(res);
	crq_buf_dispose(&scratch);
	return err;
}

int crq_sync_run(crq_buf *report, crq_repo *repo, const char *remote,
	crq_sync_mode mode)
{
	return crq_sync_run_ext(NULL, report, repo, remote, mode);
}

int crq_sync(crq_buf *report, crq_repo *repo, const char *remote)
{
	return crq_sync_run(report, repo, remote, CRQ_SYNC_RUN);
}
