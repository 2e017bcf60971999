/*
 * worktree.c - the work tree and git index of a checked-out store
 * branch: refuse a step over a user's edit, write a step's files and
 * their index entries without rewriting the index entry by entry.
 *
 * The index format is git's Documentation/gitformat-index.txt
 * (versions 2, 3 and 4).  What this file keeps from it: the entries
 * it does not change, byte for byte; the TREE (cache tree), REUC and
 * NAME extensions, TREE brought up to date; not the optional
 * extensions git rebuilds on its own (untracked cache, fsmonitor, the
 * offset tables), as libgit2 drops them too.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <openssl/evp.h>
#include "store.h"
#include "worktree.h"

#define HASH_LEN 20
#define ENTRY_FIXED 62		/* stat data, id and flags */
#define F_EXTENDED 0x4000
#define F_STAGE 0x3000
#define F_NAMEMASK 0x0fff
#define MAX_INDEX ((size_t)1 << 31)
/* past this a racily clean file is smudged rather than hashed */
#define RACY_HASH_MAX (16 * 1024 * 1024)
#define MARK_LEN 192		/* the line of .git/crq/index-written */

/* 32 bits each: an index is at most MAX_INDEX bytes, and this table
 * (one entry per tracked file) is the one thing parsed whole */
struct entry {
	uint32_t off;		/* in buf */
	uint32_t len;		/* its bytes there */
	uint32_t path;		/* offset of its full path: in buf, or in
				 * names for version 4 */
	uint32_t plen;
};

struct ext {
	char sig[4];
	size_t off, len;	/* of the whole extension, header included */
};

struct crq_index {
	unsigned char *buf;	/* the file, mapped (copy on write) */
	size_t size;
	unsigned version;
	struct entry *ents;
	size_t count, alloc;
	char *names;		/* version 4: the paths, spelt out */
	size_t names_len, names_alloc;
	size_t ext_off;		/* end of the entries */
	struct ext *exts;
	size_t next, ext_alloc;
	struct stat st;		/* the file it was read from */
};

struct crq_worktree {
	git_repository *git;
	char *workdir;
	char *path;		/* .git/index */
	char *mark;		/* .git/crq/index-written */
	struct crq_index *ix;	/* NULL: libgit2's index (gi) instead */
	git_index *gi;
};

static uint32_t get32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
		(uint32_t)p[2] << 8 | p[3];
}

static void put32(unsigned char *p, uint32_t v)
{
	p[0] = (unsigned char)(v >> 24);
	p[1] = (unsigned char)(v >> 16);
	p[2] = (unsigned char)(v >> 8);
	p[3] = (unsigned char)v;
}

static const char *ent_path(const struct crq_index *ix, const struct entry *e)
{
	return ix->version == 4 ? ix->names + e->path :
		(const char *)ix->buf + e->path;
}

static unsigned ent_flags(const struct crq_index *ix, const struct entry *e)
{
	const unsigned char *p = ix->buf + e->off + 60;

	return (unsigned)p[0] << 8 | p[1];
}

/* git's order: by name as unsigned bytes, a prefix first; then stage */
static int name_cmp(const char *a, size_t la, const char *b, size_t lb)
{
	int c = memcmp(a, b, la < lb ? la : lb);

	return c ? c : la < lb ? -1 : la > lb;
}

static void index_free(struct crq_index *ix)
{
	if (!ix)
		return;
	if (ix->buf)
		munmap(ix->buf, ix->size);
	free(ix->ents);
	free(ix->names);
	free(ix->exts);
	free(ix);
}

static int sha1(unsigned char *out, const void *p, size_t n)
{
	unsigned int len = 0;

	return EVP_Digest(p, n, out, &len, EVP_sha1(), NULL) == 1 &&
		len == HASH_LEN ? 0 : -1;
}

/* git's varint (varint.c): 7 bits a byte, each continuation adds 1 */
static int get_varint(const unsigned char **p, const unsigned char *end,
	size_t *out)
{
	const unsigned char *q = *p;
	size_t v;
	unsigned char c;

	if (q >= end)
		return -1;
	c = *q++;
	v = c & 127;
	while (c & 128) {
		if (q >= end || v > (SIZE_MAX >> 8))
			return -1;
		c = *q++;
		v = ((v + 1) << 7) + (c & 127);
	}
	*p = q;
	*out = v;
	return 0;
}

static size_t put_varint(unsigned char *buf, size_t v)
{
	unsigned char tmp[16];
	size_t pos = sizeof(tmp) - 1;

	tmp[pos] = v & 127;
	while (v >>= 7)
		tmp[--pos] = 128 | (--v & 127);
	memcpy(buf, tmp + pos, sizeof(tmp) - pos);
	return sizeof(tmp) - pos;
}

/*
 * Parse ix->buf: 0, 1 when its form is one to leave to libgit2, or
 * CRQ_EREPO when it is broken.  The checksum was checked by the caller
 * (or the bytes are ours).
 */
static int index_parse(struct crq_index *ix)
{
	const unsigned char *b = ix->buf;
	size_t end, off, i, n;

	if (ix->size < 12 + HASH_LEN || memcmp(b, "DIRC", 4))
		return crq_error__set(CRQ_EREPO, "index file corrupt");
	ix->version = get32(b + 4);
	if (ix->version < 2 || ix->version > 4)
		return 1;
	n = get32(b + 8);
	end = ix->size - HASH_LEN;
	off = 12;
	ix->count = ix->names_len = ix->next = 0;
	if (n > (end - off) / ENTRY_FIXED)
		goto corrupt;
	crq__grow((void **)&ix->ents, &ix->alloc, n, sizeof(*ix->ents));
	for (i = 0; i < n; i++) {
		struct entry *e;
		size_t hdr, plen;
		unsigned flags;

		if (off + ENTRY_FIXED > end)
			goto corrupt;
		flags = (unsigned)b[off + 60] << 8 | b[off + 61];
		hdr = ENTRY_FIXED;
		if (flags & F_EXTENDED) {
			if (ix->version < 3)
				goto corrupt;
			hdr += 2;
		}
		crq__grow((void **)&ix->ents, &ix->alloc, ix->count + 1,
			sizeof(*ix->ents));
		e = &ix->ents[ix->count++];
		e->off = (uint32_t)off;
		if (ix->version < 4) {
			const unsigned char *nul = memchr(b + off + hdr, '\0',
				end - off - hdr);

			if (!nul)
				goto corrupt;
			plen = (size_t)(nul - (b + off + hdr));
			e->path = (uint32_t)(off + hdr);
			e->plen = (uint32_t)plen;
			e->len = (uint32_t)((hdr + plen + 8) & ~(size_t)7);
		} else {
			const unsigned char *q = b + off + hdr, *nul;
			size_t strip, prev = e == ix->ents ? 0 : e[-1].plen,
				sfx;

			if (get_varint(&q, b + end, &strip) < 0 || strip > prev ||
			    !(nul = memchr(q, '\0', (size_t)(b + end - q))))
				goto corrupt;
			sfx = (size_t)(nul - q);
			plen = prev - strip + sfx;
			if (ix->names_len + plen + 1 > UINT32_MAX)
				return 1;	/* beyond the table's offsets */
			crq__grow((void **)&ix->names, &ix->names_alloc,
				ix->names_len + plen + 1, 1);
			if (prev - strip)
				memmove(ix->names + ix->names_len,
					ix->names + e[-1].path, prev - strip);
			memcpy(ix->names + ix->names_len + prev - strip, q, sfx);
			ix->names[ix->names_len + plen] = '\0';
			e->path = (uint32_t)ix->names_len;
			e->plen = (uint32_t)plen;
			ix->names_len += plen + 1;
			e->len = (uint32_t)(nul + 1 - (b + off));
		}
		if (!plen || off + e->len > end)
			goto corrupt;
		off += e->len;
	}
	ix->ext_off = off;
	while (off < end) {
		struct ext *x;
		size_t len;

		if (off + 8 > end || (len = get32(b + off + 4)) > end - off - 8)
			goto corrupt;
		/* a required extension (lower case) we do not know: a split
		 * or sparse index */
		if (b[off] < 'A' || b[off] > 'Z')
			return 1;
		crq__grow((void **)&ix->exts, &ix->ext_alloc, ix->next + 1,
			sizeof(*ix->exts));
		x = &ix->exts[ix->next++];
		memcpy(x->sig, b + off, 4);
		x->off = off;
		x->len = 8 + len;
		off += 8 + len;
	}
	return 0;
corrupt:
	return crq_error__set(CRQ_EREPO, "index file corrupt");
}

/* The line that names an index file crq wrote: its identity and
 * checksum. */
static void mark_line(crq_buf *out, const struct stat *st,
	const unsigned char *sum)
{
	size_t i;

	crq_buf_printf(out, "%llu %llu %llu %lld.%09ld %lld.%09ld ",
		(unsigned long long)st->st_dev, (unsigned long long)st->st_ino,
		(unsigned long long)st->st_size, (long long)st->st_mtim.tv_sec,
		(long)st->st_mtim.tv_nsec, (long long)st->st_ctim.tv_sec,
		(long)st->st_ctim.tv_nsec);
	for (i = 0; i < HASH_LEN; i++)
		crq_buf_printf(out, "%02x", sum[i]);
	crq_buf_putc(out, '\n');
}

/*
 * Is the index at st the very file crq last wrote here, checksum and
 * all?  Then its SHA-1 was computed as it was written and need not be
 * read again: the same inode, size, and modification and change times
 * to the nanosecond cannot belong to a file anyone rewrote since (git
 * replaces the index by a rename, which gives a new inode and times).
 */
static int marked(const char *mark, const struct stat *st,
	const unsigned char *sum)
{
	crq_buf want = CRQ_BUF_INIT, have = CRQ_BUF_INIT;
	int same;

	if (!mark)
		return 0;
	mark_line(&want, st, sum);
	while (want.size < MARK_LEN - 1)
		crq_buf_putc(&want, ' ');
	crq_buf_putc(&want, '\n');
	same = crq_buf_read_file(&have, mark, 4096) == 0 &&
		have.size == want.size && !memcmp(have.ptr, want.ptr, want.size);
	crq_buf_dispose(&want);
	crq_buf_dispose(&have);
	return same;
}

static void write_mark(const char *mark, const char *path,
	const unsigned char *sum)
{
	crq_buf line = CRQ_BUF_INIT, dir = CRQ_BUF_INIT;
	struct stat st;
	int fd;

	if (stat(path, &st) < 0)
		return;
	mark_line(&line, &st, sum);
	crq_buf_put(&dir, mark, (size_t)(strrchr(mark, '/') - mark));
	mkdir(dir.ptr, 0777);
	/* written over in place, padded to one length: truncating a file
	 * makes ext4 flush it (auto_da_alloc), milliseconds a step; a
	 * torn line matches no index, and the next step just checks */
	while (line.size < MARK_LEN - 1)
		crq_buf_putc(&line, ' ');
	crq_buf_putc(&line, '\n');
	if ((fd = open(mark, O_WRONLY | O_CREAT | O_CLOEXEC, 0666)) >= 0) {
		if (pwrite(fd, line.ptr, line.size, 0) != (ssize_t)line.size)
			(void)ftruncate(fd, 0);
		close(fd);
	}
	crq_buf_dispose(&line);
	crq_buf_dispose(&dir);
}

/* 0 and *out, 1 when there is no index or its form is libgit2's to
 * handle, CRQ_EREPO when it cannot be read or is corrupt. */
static int index_load(struct crq_index **out, const char *path,
	const char *mark)
{
	struct crq_index *ix = crq__calloc(1, sizeof(*ix));
	unsigned char sum[HASH_LEN];
	void *map;
	int fd, err;

	*out = NULL;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0) {
		index_free(ix);
		if (errno == ENOENT)
			return 1;
		return crq_error__set(CRQ_EREPO, "cannot read '%s': %s", path,
			strerror(errno));
	}
	if (fstat(fd, &ix->st) < 0 || !S_ISREG(ix->st.st_mode) ||
	    (size_t)ix->st.st_size > MAX_INDEX ||
	    (size_t)ix->st.st_size < 12 + HASH_LEN) {
		close(fd);
		index_free(ix);
		return crq_error__set(CRQ_EREPO, "index file corrupt: '%s'",
			path);
	}
	/* private: racily clean entries are smudged in our copy only */
	map = mmap(NULL, (size_t)ix->st.st_size, PROT_READ | PROT_WRITE,
		MAP_PRIVATE, fd, 0);
	close(fd);
	if (map == MAP_FAILED) {
		index_free(ix);
		return crq_error__set(CRQ_EREPO, "cannot read '%s': %s", path,
			strerror(errno));
	}
	ix->buf = map;
	ix->size = (size_t)ix->st.st_size;
	/* git refuses an index whose checksum is wrong: so do we, rather
	 * than write it back under a checksum that makes it look sound */
	if (!marked(mark, &ix->st, ix->buf + ix->size - HASH_LEN) &&
	    (sha1(sum, ix->buf, ix->size - HASH_LEN) < 0 ||
	     memcmp(sum, ix->buf + ix->size - HASH_LEN, HASH_LEN))) {
		static const unsigned char zero[HASH_LEN];

		/* index.skipHash: for libgit2 to accept or refuse */
		err = !memcmp(zero, ix->buf + ix->size - HASH_LEN, HASH_LEN) ?
			1 : crq_error__set(CRQ_EREPO,
				"index file corrupt (bad checksum): '%s'", path);
		index_free(ix);
		return err;
	}
	if ((err = index_parse(ix)) != 0) {
		index_free(ix);
		return err;
	}
	*out = ix;
	return 0;
}

/* The first entry not before (path, stage 0). */
static size_t lower_bound(const struct crq_index *ix, const char *path,
	size_t len)
{
	size_t lo = 0, hi = ix->count;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const struct entry *e = &ix->ents[mid];

		if (name_cmp(ent_path(ix, e), e->plen, path, len) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static int has_path(const struct crq_index *ix, size_t i, const char *path,
	size_t len)
{
	return i < ix->count && ix->ents[i].plen == len &&
		!memcmp(ent_path(ix, &ix->ents[i]), path, len);
}

enum { ABSENT, FILE_AT, OTHER };

/*
 * What the index holds at path: ABSENT, FILE_AT (one stage-0 entry, a
 * regular file without skip-worktree or intent-to-add; *at its slot),
 * or OTHER: conflict stages, those flags, a symlink or submodule, or a
 * directory / file clash along the path, all of which a step must
 * leave to the user.
 */
static int index_find(const struct crq_index *ix, const char *path,
	size_t *at)
{
	size_t len = strlen(path), i = lower_bound(ix, path, len), k;
	const struct entry *e;
	const unsigned char *p;

	*at = i;
	/* a file where the path needs a folder, or a folder at the path */
	for (k = 1; k < len; k++)
		if (path[k] == '/' && has_path(ix, lower_bound(ix, path, k),
				path, k))
			return OTHER;
	if (!has_path(ix, i, path, len)) {
		const char *next = i < ix->count ?
			ent_path(ix, &ix->ents[i]) : NULL;

		if (next && ix->ents[i].plen > len &&
		    !memcmp(next, path, len) && next[len] == '/')
			return OTHER;
		return ABSENT;
	}
	e = &ix->ents[i];
	p = ix->buf + e->off;
	if ((ent_flags(ix, e) & (F_STAGE | F_EXTENDED)) ||
	    (get32(p + 24) & 0170000) != 0100000 ||
	    has_path(ix, i + 1, path, len))
		return OTHER;
	return FILE_AT;
}

static void full_path(crq_buf *out, const char *workdir, const char *path)
{
	crq_buf_clear(out);
	crq_buf_printf(out, "%s/%s", workdir, path);
}

static int file_is(const char *file, const git_oid *want, int *same)
{
	crq_buf data = CRQ_BUF_INIT;
	git_oid h;
	struct stat st;
	int err;

	*same = 0;
	if (lstat(file, &st) < 0 || !S_ISREG(st.st_mode))
		return 0;
	if ((err = crq_buf_read_file(&data, file, 64 * 1024 * 1024)) < 0)
		return err;
	*same = git_odb_hash(&h, data.ptr, data.size, GIT_OBJECT_BLOB) == 0 &&
		git_oid_equal(&h, want);
	crq_buf_dispose(&data);
	return 0;
}

static int conflict(const char *path)
{
	return crq_error__set(CRQ_ECONFLICT,
		"'%s' has uncommitted changes in the work tree or index; "
		"commit, stash or remove them first", path);
}

int crq_worktree__check(crq_worktree *wt, const char *path, const git_oid *old)
{
	crq_buf fp = CRQ_BUF_INIT;
	struct stat st;
	int err = 0, differs = 0, same;

	if (old && git_oid_is_zero(old))
		old = NULL;
	if (wt->ix) {
		size_t at;
		int kind = index_find(wt->ix, path, &at);

		if (old)
			differs = kind != FILE_AT || memcmp(wt->ix->buf +
				wt->ix->ents[at].off + 40, old->id, HASH_LEN);
		else
			differs = kind != ABSENT;
	} else {
		const git_index_entry *ie = git_index_get_bypath(wt->gi, path, 0);

		differs = old ? !ie || !git_oid_equal(&ie->id, old) : !!ie;
	}
	full_path(&fp, wt->workdir, path);
	if (!differs && old) {
		if ((err = file_is(fp.ptr, old, &same)) < 0)
			goto done;
		differs = !same;
	} else if (!differs && lstat(fp.ptr, &st) == 0) {
		differs = 1;
	}
	if (differs)
		err = conflict(path);
done:
	crq_buf_dispose(&fp);
	return err;
}

static int lock_path(crq_buf *out, const crq_worktree *wt)
{
	crq_buf_clear(out);
	crq_buf_printf(out, "%s.lock", wt->path);
	return 0;
}

static int locked_error(const char *lock)
{
	return crq_error__set(CRQ_ECONFLICT,
		"'%s' exists: another git process seems to be running in this "
		"repository\nhint: if none is, remove the file and try again",
		lock);
}

int crq_worktree__open(crq_worktree **out, git_repository *git,
	const char *workdir)
{
	crq_worktree *wt = crq__calloc(1, sizeof(*wt));
	crq_buf lock = CRQ_BUF_INIT;
	int err;

	*out = NULL;
	wt->git = git;
	wt->workdir = crq__strdup(workdir);
	wt->path = crq__malloc(strlen(git_repository_path(git)) + 8);
	sprintf(wt->path, "%sindex", git_repository_path(git));
	wt->mark = crq__malloc(strlen(git_repository_path(git)) + 24);
	sprintf(wt->mark, "%scrq/index-written", git_repository_path(git));
	/* refuse before anything is committed, not after */
	lock_path(&lock, wt);
	if (access(lock.ptr, F_OK) == 0) {
		err = locked_error(lock.ptr);
		goto done;
	}
	if ((err = index_load(&wt->ix, wt->path, wt->mark)) < 0)
		goto done;
	if (err == 1 && ((err = git_repository_index(&wt->gi, git)) < 0 ||
			(err = git_index_read(wt->gi, 0)) < 0))
		err = crq_store__git_error(err, "cannot read index");
	if (err > 0)
		err = 0;
done:
	crq_buf_dispose(&lock);
	if (err < 0)
		crq_worktree__free(wt);
	else
		*out = wt;
	return err;
}

static int same_file(const struct stat *a, const struct stat *b)
{
	return a->st_dev == b->st_dev && a->st_ino == b->st_ino &&
		a->st_size == b->st_size &&
		a->st_mtim.tv_sec == b->st_mtim.tv_sec &&
		a->st_mtim.tv_nsec == b->st_mtim.tv_nsec &&
		a->st_ctim.tv_sec == b->st_ctim.tv_sec &&
		a->st_ctim.tv_nsec == b->st_ctim.tv_nsec;
}

int crq_worktree__refresh(crq_worktree *wt)
{
	struct crq_index *ix = NULL;
	struct stat st;
	int err;

	if (!wt->ix) {
		if ((err = git_index_read(wt->gi, 0)) < 0)
			return crq_store__git_error(err, "cannot read index");
		return 0;
	}
	if (stat(wt->path, &st) == 0 && same_file(&st, &wt->ix->st))
		return 0;
	if ((err = index_load(&ix, wt->path, wt->mark)) < 0)
		return err;
	index_free(wt->ix);
	wt->ix = ix;
	if (err == 1) {
		/* now a form for libgit2 */
		if ((err = git_repository_index(&wt->gi, wt->git)) < 0 ||
		    (err = git_index_read(wt->gi, 1)) < 0)
			return crq_store__git_error(err, "cannot read index");
	}
	return 0;
}

void crq_worktree__free(crq_worktree *wt)
{
	if (!wt)
		return;
	index_free(wt->ix);
	git_index_free(wt->gi);
	free(wt->workdir);
	free(wt->path);
	free(wt->mark);
	free(wt);
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

/* Replace the file whole (a reader sees the old or the new one); its
 * stat, taken after the rename (which changes ctime), into st. */
static int write_file(const crq_worktree *wt, const crq_worktree_file *f,
	struct stat *st)
{
	crq_buf fp = CRQ_BUF_INIT, tmp = CRQ_BUF_INIT;
	int fd = -1, err = 0;

	full_path(&fp, wt->workdir, f->path);
	crq_buf_printf(&tmp, "%s.crq-tmp-%ld", fp.ptr, (long)getpid());
	if (mkdirs(fp.ptr) < 0 ||
	    (fd = open(tmp.ptr, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
			0666)) < 0 ||
	    crq__write_all(fd, f->data, f->len) < 0)
		goto fail;
	if (close(fd) < 0) {
		fd = -1;
		goto fail;
	}
	fd = -1;
	if (rename(tmp.ptr, fp.ptr) < 0 || (st && lstat(fp.ptr, st) < 0))
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

/* ---- the cache tree (TREE) ---- */

struct tnode {
	const char *name;
	size_t nlen;
	long count;		/* -1: invalid */
	long nsub;
	unsigned char id[HASH_LEN];
	struct tnode **sub;
};

static void tnode_free(struct tnode *t)
{
	long i;

	if (!t)
		return;
	for (i = 0; i < t->nsub; i++)
		tnode_free(t->sub[i]);
	free(t->sub);
	free(t);
}

static int parse_long(const unsigned char **p, const unsigned char *end,
	char stop, long *out)
{
	const unsigned char *q = *p;
	int neg = 0;
	long v = 0;

	if (q < end && *q == '-') {
		neg = 1;
		q++;
	}
	if (q >= end || *q < '0' || *q > '9')
		return -1;
	while (q < end && *q >= '0' && *q <= '9') {
		if (v > 100000000)
			return -1;
		v = v * 10 + (*q++ - '0');
	}
	if (q >= end || *q != stop)
		return -1;
	*p = q + 1;
	*out = neg ? -v : v;
	return 0;
}

static struct tnode *tree_parse(const unsigned char **p,
	const unsigned char *end, int depth)
{
	struct tnode *t;
	const unsigned char *nul;
	long i;

	if (depth > 1024 || !(nul = memchr(*p, '\0', (size_t)(end - *p))))
		return NULL;
	t = crq__calloc(1, sizeof(*t));
	t->name = (const char *)*p;
	t->nlen = (size_t)(nul - *p);
	*p = nul + 1;
	if (parse_long(p, end, ' ', &t->count) < 0 ||
	    parse_long(p, end, '\n', &t->nsub) < 0 || t->nsub < 0 ||
	    t->nsub > end - *p)
		goto bad;
	if (t->count >= 0) {
		if (end - *p < HASH_LEN)
			goto bad;
		memcpy(t->id, *p, HASH_LEN);
		*p += HASH_LEN;
	}
	t->sub = crq__calloc((size_t)t->nsub + 1, sizeof(*t->sub));
	for (i = 0; i < t->nsub; i++)
		if (!(t->sub[i] = tree_parse(p, end, depth + 1)))
			goto bad;
	return t;
bad:
	tnode_free(t);
	return NULL;
}

static void tree_write(crq_buf *out, const struct tnode *t)
{
	long i;

	crq_buf_put(out, t->name, t->nlen);
	crq_buf_putc(out, '\0');
	crq_buf_printf(out, "%ld %ld\n", t->count, t->nsub);
	if (t->count >= 0)
		crq_buf_put(out, (const char *)t->id, HASH_LEN);
	for (i = 0; i < t->nsub; i++)
		tree_write(out, t->sub[i]);
}

static int tree_id_at(unsigned char *out, const git_tree *tree,
	const char *dir, size_t len)
{
	git_tree_entry *e = NULL;
	char *d;
	int ok;

	if (!tree)
		return -1;
	if (!len) {
		memcpy(out, git_tree_id(tree)->id, HASH_LEN);
		return 0;
	}
	d = crq__strndup(dir, len);
	ok = git_tree_entry_bypath(&e, tree, d) == 0 &&
		git_tree_entry_type(e) == GIT_OBJECT_TREE;
	if (ok)
		memcpy(out, git_tree_entry_id(e)->id, HASH_LEN);
	git_tree_entry_free(e);
	free(d);
	return ok ? 0 : -1;
}

/* What follows folder dir (len bytes, "" the root) in path, or NULL
 * when path is not under it. */
static const char *under(const char *path, const char *dir, size_t len)
{
	if (!len)
		return path;
	return !strncmp(path, dir, len) && path[len] == '/' ?
		path + len + 1 : NULL;
}

/*
 * Bring the node for folder dir (len bytes, "" for the root, else
 * "a/b") up to date for the files written: a node that named base's
 * tree there names tip's now, as the entries under it are those of
 * tip; any other node on their way is invalidated (count -1), as git
 * does when it adds a path.  Returns whether t is valid after.
 */
static int tree_update(struct tnode *t, crq_buf *dir,
	const crq_worktree_file *files, size_t count, const git_tree *base,
	const git_tree *tip)
{
	size_t i, len = dir->size;
	unsigned char id[HASH_LEN];
	int ok = t->count >= 0, on = 0;
	long k;

	for (i = 0; i < count; i++) {
		const char *rest = under(files[i].path, dir->ptr, len), *slash;
		size_t n;
		int found = 0;

		if (!rest)
			continue;
		on = 1;
		if (git_oid_is_zero(&files[i].old))
			ok = 0;	/* a new entry: counts change */
		if (!(slash = strchr(rest, '/')))
			continue;
		/* its folder's node, updated below however many files */
		n = (size_t)(slash - rest);
		for (k = 0; k < t->nsub && !found; k++)
			found = t->sub[k]->nlen == n &&
				!memcmp(t->sub[k]->name, rest, n);
		if (!found)
			ok = 0;
	}
	if (!on)
		return t->count >= 0;
	for (k = 0; k < t->nsub; k++) {
		struct tnode *s = t->sub[k];
		int sub_on = 0;

		for (i = 0; i < count && !sub_on; i++) {
			const char *rest = under(files[i].path, dir->ptr, len);

			sub_on = rest && !strncmp(rest, s->name, s->nlen) &&
				rest[s->nlen] == '/';
		}
		if (!sub_on)
			continue;
		if (len)
			crq_buf_putc(dir, '/');
		crq_buf_put(dir, s->name, s->nlen);
		if (!tree_update(s, dir, files, count, base, tip))
			ok = 0;
		dir->size = len;
		dir->ptr[len] = '\0';
	}
	if (ok && (tree_id_at(id, base, dir->ptr, len) < 0 ||
			memcmp(id, t->id, HASH_LEN) ||
			tree_id_at(t->id, tip, dir->ptr, len) < 0))
		ok = 0;
	if (!ok)
		t->count = -1;
	return ok;
}

/* ---- writing the index ---- */

/* The new index goes straight to the lock file, hashed on the way:
 * the unchanged runs of entries are written from the mapped old file,
 * never copied into a buffer of its size. */
struct out {
	int fd;
	EVP_MD_CTX *md;
	unsigned char stage[64 * 1024];
	size_t n;
	int err;		/* errno of a failed write */
};

static void out_flush(struct out *o)
{
	if (o->n && !o->err && crq__write_all(o->fd, (const char *)o->stage,
			o->n) < 0)
		o->err = errno ? errno : EIO;
	if (o->n)
		EVP_DigestUpdate(o->md, o->stage, o->n);
	o->n = 0;
}

static void out_put(struct out *o, const void *p, size_t n)
{
	if (n > sizeof(o->stage) / 2) {
		out_flush(o);
		if (!o->err && crq__write_all(o->fd, p, n) < 0)
			o->err = errno ? errno : EIO;
		EVP_DigestUpdate(o->md, p, n);
		return;
	}
	if (o->n + n > sizeof(o->stage))
		out_flush(o);
	memcpy(o->stage + o->n, p, n);
	o->n += n;
}

/* The TREE extension for the new index; nothing when the old one does
 * not parse (git rebuilds a missing one). */
static void tree_ext(struct out *o, const struct crq_index *ix,
	const struct ext *x, const crq_worktree_file *files, size_t count,
	const git_tree *base, const git_tree *tip)
{
	const unsigned char *p = ix->buf + x->off + 8, *end = p + x->len - 8;
	struct tnode *root = tree_parse(&p, end, 0);
	crq_buf body = CRQ_BUF_INIT, dir = CRQ_BUF_INIT;
	unsigned char hdr[8];

	if (root && p == end && root->nlen == 0) {
		crq_buf_puts(&dir, "");
		tree_update(root, &dir, files, count, base, tip);
		tree_write(&body, root);
		memcpy(hdr, "TREE", 4);
		put32(hdr + 4, (uint32_t)body.size);
		out_put(o, hdr, 8);
		out_put(o, body.ptr, body.size);
	}
	tnode_free(root);
	crq_buf_dispose(&body);
	crq_buf_dispose(&dir);
}

/*
 * A racily clean entry: its file was changed in the second the index
 * was written, so its stat data may match a file whose content does
 * not.  git and libgit2 look at such entries when they write an index
 * and smudge (size 0) those whose content differs, since the new
 * index file's later time would make them look clean for good.  So do
 * we: a file edit must not vanish from git status.
 */
static void smudge_racy(struct crq_index *ix, const char *workdir)
{
	crq_buf fp = CRQ_BUF_INIT;
	uint32_t isec = (uint32_t)ix->st.st_mtim.tv_sec;
	size_t i;

	for (i = 0; i < ix->count; i++) {
		unsigned char *p = ix->buf + ix->ents[i].off;
		uint32_t mode = get32(p + 24);
		struct stat st;
		git_oid want;
		int same = 0;

		if (get32(p + 8) < isec || (mode & 0170000) == 0160000 ||
		    get32(p + 36) == 0 || (ent_flags(ix, &ix->ents[i]) & F_STAGE))
			continue;
		full_path(&fp, workdir, ent_path(ix, &ix->ents[i]));
		/* what git's stat check tells from the entry anyway needs
		 * nothing */
		if (lstat(fp.ptr, &st) < 0 || (uint32_t)st.st_size !=
		    get32(p + 36) || (uint32_t)st.st_mtim.tv_sec != get32(p + 8))
			continue;
		memcpy(want.id, p + 40, HASH_LEN);
		if (S_ISREG(st.st_mode) && (mode & 0170000) == 0100000 &&
		    st.st_size <= RACY_HASH_MAX &&
		    file_is(fp.ptr, &want, &same) == 0 && same)
			continue;
		put32(p + 36, 0);
	}
	crq_buf_dispose(&fp);
}

/* Version 4 spells a path as what to drop of the one before and what
 * to add. */
static void put_path4(crq_buf *e, const char *path, size_t len,
	const char *prev, size_t plen)
{
	unsigned char v[16];
	size_t common = 0;

	while (common < len && common < plen && path[common] == prev[common])
		common++;
	crq_buf_put(e, (const char *)v, put_varint(v, plen - common));
	crq_buf_put(e, path + common, len - common);
	crq_buf_putc(e, '\0');
}

/* One entry, for git to take as clean: the file's stat, mode 100644
 * (what crq's trees say), the blob id, stage 0. */
static void put_entry(struct out *o, crq_buf *e, const struct crq_index *ix,
	const char *path, size_t len, const char *prev, size_t plen,
	const struct stat *st, const git_oid *id)
{
	unsigned char h[ENTRY_FIXED];

	put32(h, (uint32_t)st->st_ctim.tv_sec);
	put32(h + 4, (uint32_t)st->st_ctim.tv_nsec);
	put32(h + 8, (uint32_t)st->st_mtim.tv_sec);
	put32(h + 12, (uint32_t)st->st_mtim.tv_nsec);
	put32(h + 16, (uint32_t)st->st_dev);
	put32(h + 20, (uint32_t)st->st_ino);
	put32(h + 24, 0100644);
	put32(h + 28, (uint32_t)st->st_uid);
	put32(h + 32, (uint32_t)st->st_gid);
	put32(h + 36, (uint32_t)st->st_size);
	memcpy(h + 40, id->id, HASH_LEN);
	h[60] = (unsigned char)((len < F_NAMEMASK ? len : F_NAMEMASK) >> 8);
	h[61] = (unsigned char)(len < F_NAMEMASK ? len : F_NAMEMASK);
	crq_buf_clear(e);
	crq_buf_put(e, (const char *)h, ENTRY_FIXED);
	if (ix->version == 4) {
		put_path4(e, path, len, prev, plen);
	} else {
		/* NUL padded to a multiple of eight, at least one NUL */
		crq_buf_put(e, path, len);
		do
			crq_buf_putc(e, '\0');
		while (e->size % 8);
	}
	out_put(o, e->ptr, e->size);
}

/* Entries [from, to) as they are, but for version 4 the first, whose
 * path is spelt against the entry before it in the output. */
static void copy_entries(struct out *o, crq_buf *e, const struct crq_index *ix,
	size_t from, size_t to, const char *prev, size_t plen)
{
	const struct entry *en;

	if (from >= to)
		return;
	en = &ix->ents[from];
	if (ix->version == 4 && (from == 0 ? plen != 0 :
			plen != en[-1].plen || memcmp(prev, ent_path(ix, &en[-1]),
				plen))) {
		size_t hdr = (ent_flags(ix, en) & F_EXTENDED) ?
			ENTRY_FIXED + 2 : ENTRY_FIXED;

		crq_buf_clear(e);
		crq_buf_put(e, (const char *)ix->buf + en->off, hdr);
		put_path4(e, ent_path(ix, en), en->plen, prev, plen);
		out_put(o, e->ptr, e->size);
		if (++from >= to)
			return;
		en++;
	}
	out_put(o, ix->buf + en->off,
		ix->ents[to - 1].off + ix->ents[to - 1].len - en->off);
}

static int file_cmp(const void *a, const void *b)
{
	const crq_worktree_file *x = *(const crq_worktree_file *const *)a;
	const crq_worktree_file *y = *(const crq_worktree_file *const *)b;

	return name_cmp(x->path, strlen(x->path), y->path, strlen(y->path));
}

/* The new index: ix with files set (their stats in sts), into o. */
static void index_build(struct out *o, struct crq_index *ix,
	const crq_worktree_file *files, const struct stat *sts, size_t count,
	const git_tree *base, const git_tree *tip)
{
	const crq_worktree_file **sorted = crq__calloc(count + 1,
		sizeof(*sorted));
	crq_buf e = CRQ_BUF_INIT;
	unsigned char hdr[12];
	const char *prev = "";
	size_t i, pos = 0, plen = 0, n = ix->count;

	for (i = 0; i < count; i++)
		sorted[i] = &files[i];
	crq__sort(sorted, count, sizeof(*sorted), file_cmp);
	/* the header holds the count of entries to come */
	for (i = 0; i < count; i++)
		if ((!i || file_cmp(&sorted[i - 1], &sorted[i])) &&
		    !has_path(ix, lower_bound(ix, sorted[i]->path,
				strlen(sorted[i]->path)), sorted[i]->path,
				strlen(sorted[i]->path)))
			n++;
	memcpy(hdr, ix->buf, 8);
	put32(hdr + 8, (uint32_t)n);
	out_put(o, hdr, 12);
	for (i = 0; i < count; i++) {
		const crq_worktree_file *f = sorted[i];
		size_t len = strlen(f->path), at = lower_bound(ix, f->path, len);

		if (i && !file_cmp(&sorted[i - 1], &sorted[i]))
			continue;	/* a path twice: the caller's bug */
		copy_entries(o, &e, ix, pos, at, prev, plen);
		if (at > pos) {
			prev = ent_path(ix, &ix->ents[at - 1]);
			plen = ix->ents[at - 1].plen;
		}
		put_entry(o, &e, ix, f->path, len, prev, plen,
			&sts[f - files], &f->id);
		prev = f->path;
		plen = len;
		pos = has_path(ix, at, f->path, len) ? at + 1 : at;
	}
	copy_entries(o, &e, ix, pos, ix->count, prev, plen);
	for (i = 0; i < ix->next; i++) {
		const struct ext *x = &ix->exts[i];

		if (!memcmp(x->sig, "TREE", 4))
			tree_ext(o, ix, x, files, count, base, tip);
		else if (!memcmp(x->sig, "REUC", 4) ||
			 !memcmp(x->sig, "NAME", 4))
			out_put(o, ix->buf + x->off, x->len);
	}
	out_flush(o);
	crq_buf_dispose(&e);
	free(sorted);
}

/* Do the index entries of files still say what was checked? */
static int still_checked(const struct crq_index *ix,
	const crq_worktree_file *files, size_t count)
{
	size_t i, at;

	for (i = 0; i < count; i++) {
		int kind = index_find(ix, files[i].path, &at);

		if (git_oid_is_zero(&files[i].old) ? kind != ABSENT :
		    kind != FILE_AT || memcmp(ix->buf + ix->ents[at].off + 40,
				files[i].old.id, HASH_LEN))
			return conflict(files[i].path);
	}
	return 0;
}

static int update_fast(crq_worktree *wt, const crq_worktree_file *files,
	size_t count, const git_tree *base, const git_tree *tip)
{
	crq_buf lock = CRQ_BUF_INIT;
	struct stat *sts = crq__calloc(count + 1, sizeof(*sts));
	struct out *o = crq__calloc(1, sizeof(*o));
	unsigned char sum[HASH_LEN];
	unsigned int sumlen = 0;
	size_t i;
	int fd, err = 0;

	lock_path(&lock, wt);
	fd = open(lock.ptr, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
	if (fd < 0) {
		err = errno == EEXIST ? locked_error(lock.ptr) :
			crq_error__set(CRQ_EREPO, "cannot create '%s': %s",
				lock.ptr, strerror(errno));
		goto done;
	}
	/* under the lock: what git did to the index since we read it */
	if ((err = crq_worktree__refresh(wt)) < 0)
		goto done;
	if (!wt->ix) {
		/* it became a form for libgit2, which takes its own lock */
		close(fd);
		fd = -1;
		unlink(lock.ptr);
		err = 1;
		goto done;
	}
	if ((err = still_checked(wt->ix, files, count)) < 0)
		goto done;
	for (i = 0; i < count; i++)
		if ((err = write_file(wt, &files[i], &sts[i])) < 0)
			goto done;
	smudge_racy(wt->ix, wt->workdir);
	o->fd = fd;
	if (!(o->md = EVP_MD_CTX_new()) ||
	    EVP_DigestInit_ex(o->md, EVP_sha1(), NULL) != 1) {
		err = crq_error__set(CRQ_EREPO, "cannot hash the index");
		goto done;
	}
	index_build(o, wt->ix, files, sts, count, base, tip);
	if (EVP_DigestFinal_ex(o->md, sum, &sumlen) != 1 || sumlen != HASH_LEN) {
		err = crq_error__set(CRQ_EREPO, "cannot hash the index");
		goto done;
	}
	if (o->err || crq__write_all(fd, (const char *)sum, HASH_LEN) < 0 ||
	    close(fd) < 0) {
		fd = -1;
		err = crq_error__set(CRQ_EREPO, "cannot write '%s': %s",
			lock.ptr, strerror(o->err ? o->err : errno));
		unlink(lock.ptr);
		goto done;
	}
	fd = -1;
	if (rename(lock.ptr, wt->path) < 0) {
		err = crq_error__set(CRQ_EREPO, "cannot write '%s': %s",
			wt->path, strerror(errno));
		unlink(lock.ptr);
		goto done;
	}
	/* its checksum is ours: the next step (or group) need not read
	 * the whole file to check it */
	write_mark(wt->mark, wt->path, sum);
	memset(&wt->ix->st, 0, sizeof(wt->ix->st));
done:
	if (fd >= 0) {
		close(fd);
		unlink(lock.ptr);
	}
	if (o->md)
		EVP_MD_CTX_free(o->md);
	free(o);
	free(sts);
	crq_buf_dispose(&lock);
	return err;
}

static int update_libgit2(crq_worktree *wt, const crq_worktree_file *files,
	size_t count)
{
	size_t i;
	int err;

	for (i = 0; i < count; i++) {
		if ((err = write_file(wt, &files[i], NULL)) < 0)
			return err;
		if ((err = git_index_add_bypath(wt->gi, files[i].path)) < 0)
			return crq_store__git_error(err, "cannot update index");
	}
	if ((err = git_index_write(wt->gi)) < 0)
		return crq_store__git_error(err, "cannot write index");
	return 0;
}

int crq_worktree__update(crq_worktree *wt, const crq_worktree_file *files,
	size_t count, const git_tree *base, const git_tree *tip)
{
	int err;

	if (wt->ix && (err = update_fast(wt, files, count, base, tip)) != 1)
		return err;
	return update_libgit2(wt, files, count);
}
