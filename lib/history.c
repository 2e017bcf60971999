/*
 * history.c - the history index: from a change id to the commits that
 * concern it (see history.h).
 *
 * The entry of commit C at first-parent depth d (a root has depth 1),
 * under C's id in the cache table TABLE, little-endian:
 *   u8      flags (F_*)
 *   u32     d
 *   20      C's first parent                      when d > 1
 *   20      skip: C's ancestor at d - lowbit(d)   when d is even (zero
 *           when d is a power of two: no such commit)
 *   u32, n  the change the log reading names      F_LOG
 *   u32, n  the other reading's, when it differs  F_ED
 *   u32, 4n hashes of the changes named on a merge's side (the
 *           commits its other parents reach and its first does not)
 *                                                 F_MERGE (n = 0: F_WILD)
 *   u32, 4n hashes of everything named in the range (d - lowbit(d), d],
 *           sorted, each once                      lowbit(d) >= SET_MIN
 *
 * C covers the range (d - lowbit(d), d] of its chain: itself, then its
 * first parent's range, that one's skip's, and so on down to C's skip;
 * from any commit the skips cover the rest of the chain in log2(d)
 * ranges.  A search goes down that tree newest first and enters only
 * ranges whose hashes hold what it looks for (ranges too short to
 * carry hashes are read commit by commit), so finding the k commits
 * of a change costs O(k log n) entries.
 *
 * Everything in an entry follows from the commit and its ancestors, so
 * two processes indexing different branches write the same bytes for a
 * commit both see, and one whose write is skipped (the table's lock is
 * busy) only leaves work for the next run.  Nothing read is trusted
 * beyond its checksum and its own consistency: an entry missing where
 * the chain says there must be one means the cache lost a file, and
 * the chain is indexed again from scratch before the search goes on.
 *
 * A second table, SIGNERS, keeps for a commit crq log has shown how it
 * is signed ('n' none, 'b' bad, 'k' and the public key): a signature
 * verifies once, not on every log (it was three quarters of the cost
 * of a log of a change with many steps).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "internal.h"
#include "cache.h"
#include "commit.h"
#include "sign.h"
#include "history.h"

/* The hashes and the layout are part of the name: change either, or
 * how trailers are read, and the version goes up.  The name also holds
 * a stamp of crq's and libgit2's versions (see open_table). */
#define TABLE "history-v2"
#define SIGNERS "signers-v1"
/* Ranges this long or longer carry the hashes of what they hold;
 * shorter ones are read commit by commit (at most SET_MIN - 1 at the
 * bottom of a search), which saves most of the space. */
#define SET_MIN 16
/* A merge whose side names more changes than this is listed as naming
 * every change: a search for the editors of any change enters it. */
#define MAX_SIDE 1024
/* The search gave up: an entry it needs is missing or malformed. */
#define UNSURE (-1000)

enum {
	F_LOG = 1,	/* names a change as crq log reads trailers */
	F_ED = 2,	/* names another as crq_commit__trailers reads them */
	F_MERGE = 4,	/* has more than one parent: what its side names */
	F_WILD = 8,	/* ... too many to list: any change */
};

struct crq_history {
	crq_repo *repo;
	crq_table *t;
	crq_table *signers;	/* opened when first asked */
};

/* What the search looks for. */
struct query {
	const char *id;
	size_t idlen;
	int sides;			/* report merges whose side names id */
	uint32_t hash[3];		/* the id's; as a side names it, WILD */
	size_t nhash;
};

/* An entry as read: the fixed fields, and what the query made of it
 * (values in the table are never held across another lookup, which
 * may drop the file they are mapped from). */
struct entry {
	unsigned flags;
	uint32_t depth;
	git_oid parent, skip;		/* zero when none */
	int event;			/* the commit may concern the query */
	int hit;			/* its range may: no hashes, or a match */
};

/* A commit not yet indexed, as read from git on the way back. */
struct fresh {
	git_oid id, parent;
	unsigned flags;
	char *log, *ed;
	uint32_t *side;
	size_t nside;
};

/* A growing array of hashes. */
struct hashes {
	uint32_t *v;
	size_t n, alloc;
};

static uint32_t lowbit(uint32_t d)
{
	return d & (~d + 1);
}

/* FNV-1a over a kind byte and s: a collision only costs a look at a
 * commit that turns out not to matter. */
static uint32_t hash(char kind, const char *s, size_t n)
{
	uint32_t h = 2166136261u;
	size_t i;

	h = (h ^ (unsigned char)kind) * 16777619u;
	for (i = 0; i < n; i++)
		h = (h ^ (unsigned char)s[i]) * 16777619u;
	return h;
}

#define WILD hash('w', "", 0)

static void hashes_add(struct hashes *h, uint32_t v)
{
	crq__grow((void **)&h->v, &h->alloc, h->n + 1, sizeof(*h->v));
	h->v[h->n++] = v;
}

static void put32(crq_buf *b, uint32_t v)
{
	unsigned char p[4];

	p[0] = (unsigned char)v;
	p[1] = (unsigned char)(v >> 8);
	p[2] = (unsigned char)(v >> 16);
	p[3] = (unsigned char)(v >> 24);
	crq_buf_put(b, (const char *)p, 4);
}

static uint32_t get32(const unsigned char *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
		(uint32_t)p[3] << 24;
}

static int by_value(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

/* Sort and keep each once. */
static void hashes_unique(struct hashes *h)
{
	size_t i, k = 0;

	if (h->n)
		crq__sort(h->v, h->n, sizeof(*h->v), by_value);
	for (i = 0; i < h->n; i++)
		if (!k || h->v[k - 1] != h->v[i])
			h->v[k++] = h->v[i];
	h->n = k;
}

/* Is v among the n sorted little-endian hashes at p? */
static int has_hash(const unsigned char *p, uint32_t n, uint32_t v)
{
	uint32_t lo = 0, hi = n;

	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2, x = get32(p + 4 * mid);

		if (x == v)
			return 1;
		if (x < v)
			lo = mid + 1;
		else
			hi = mid;
	}
	return 0;
}

/* Is v among the n sorted hashes in h? */
static int has_hash_n(const uint32_t *h, size_t n, uint32_t v)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (h[mid] == v)
			return 1;
		if (h[mid] < v)
			lo = mid + 1;
		else
			hi = mid;
	}
	return 0;
}

void crq_history__trailers(crq_log_trailers *out,
	git_message_trailer_array *tr, const char *message)
{
	size_t i;

	memset(out, 0, sizeof(*out));
	memset(tr, 0, sizeof(*tr));
	/* a message git cannot parse has no trailers */
	if (git_message_trailers(tr, message) < 0)
		memset(tr, 0, sizeof(*tr));
	for (i = 0; i < tr->count; i++) {
		const char *k = tr->trailers[i].key;

		if (!strcmp(k, "Crq-Change"))
			out->change = tr->trailers[i].value;
		else if (!strcmp(k, "Crq-Action"))
			out->action = tr->trailers[i].value;
		else if (!strcmp(k, "Crq-From"))
			out->from = tr->trailers[i].value;
		else if (!strcmp(k, "Crq-To"))
			out->to = tr->trailers[i].value;
	}
}

/* Table base of repo's cache, for this crq and this libgit2: what is
 * in it follows from the commits and from how these versions read them
 * (a newer libgit2 might find other trailers). */
static crq_table *open_table(crq_repo *repo, const char *base)
{
	crq_buf name = CRQ_BUF_INIT, stamp = CRQ_BUF_INIT;
	crq_table *t;
	int major = 0, minor = 0, rev = 0;

	git_libgit2_version(&major, &minor, &rev);
	crq_buf_printf(&stamp, "%s %d.%d.%d", CRQ_VERSION, major, minor, rev);
	crq_buf_printf(&name, "%s-%08lx", base,
		(unsigned long)hash('v', stamp.ptr, stamp.size));
	t = crq_cache__open(repo, name.ptr);
	crq_buf_dispose(&name);
	crq_buf_dispose(&stamp);
	return t;
}

crq_history *crq_history__open(crq_repo *repo)
{
	crq_table *t = open_table(repo, TABLE);
	crq_history *h;

	if (!t)
		return NULL;
	h = crq__calloc(1, sizeof(*h));
	h->repo = repo;
	h->t = t;
	return h;
}

void crq_history__close(crq_history *h)
{
	if (!h)
		return;
	crq_cache__flush(h->t);
	crq_cache__close(h->t);
	crq_cache__flush(h->signers);
	crq_cache__close(h->signers);
	free(h);
}

/* ---- reading entries ---- */

struct cursor {
	const unsigned char *p;
	size_t n;
	int bad;
};

static const unsigned char *take(struct cursor *c, size_t n)
{
	const unsigned char *p = c->p;

	if (c->bad || c->n < n) {
		c->bad = 1;
		return NULL;
	}
	c->p += n;
	c->n -= n;
	return p;
}

static uint32_t take32(struct cursor *c)
{
	const unsigned char *p = take(c, 4);

	return p ? get32(p) : 0;
}

/* A string field: does it equal the query's id?  Its hash to own. */
static void take_name(struct cursor *c, struct entry *e,
	const struct query *q, struct hashes *own)
{
	uint32_t n = take32(c);
	const unsigned char *s = take(c, n);

	if (!s)
		return;
	if (q && n == q->idlen && !memcmp(s, q->id, n))
		e->event = 1;
	if (own)
		hashes_add(own, hash('c', (const char *)s, n));
}

/* A list of hashes: is one of the nwant in want among them?  All of
 * them to out. */
static int take_hashes(struct cursor *c, const uint32_t *want,
	size_t nwant, struct hashes *out)
{
	uint32_t n = take32(c), i;
	const unsigned char *p;
	int hit = 0;

	if (n > c->n / 4 || !(p = take(c, (size_t)n * 4))) {
		c->bad = 1;
		return 0;
	}
	for (i = 0; want && i < nwant && !hit; i++)
		hit = has_hash(p, n, want[i]);
	for (i = 0; out && i < n; i++)
		hashes_add(out, get32(p + 4 * i));
	return hit;
}

/*
 * Read the entry of commit id into e; 0, or -1 when there is none or
 * it is malformed.  With q, say whether the commit and its range may
 * concern it; own gets the hashes of what the commit itself names,
 * range those of its whole range (when it carries them).
 */
static int load(struct entry *e, crq_history *h, const git_oid *id,
	const struct query *q, struct hashes *own, struct hashes *range)
{
	struct cursor c;
	const unsigned char *p;
	size_t len;
	uint32_t low;

	memset(e, 0, sizeof(*e));
	if (!(c.p = crq_cache__get(h->t, id, &len)))
		return -1;
	c.n = len;
	c.bad = 0;
	if ((p = take(&c, 1)))
		e->flags = *p;
	e->depth = take32(&c);
	if (c.bad || !e->depth || e->flags & ~(F_LOG | F_ED | F_MERGE | F_WILD))
		return -1;
	low = lowbit(e->depth);
	if (e->depth > 1 && (p = take(&c, GIT_OID_RAWSZ)))
		git_oid_fromraw(&e->parent, p);
	if (low > 1 && (p = take(&c, GIT_OID_RAWSZ)))
		git_oid_fromraw(&e->skip, p);
	if (e->flags & F_LOG)
		take_name(&c, e, q, own);
	if (e->flags & F_ED)
		take_name(&c, e, q, own);
	if (e->flags & F_MERGE) {
		/* q->hash[1] is the id's as a side names it */
		if (take_hashes(&c, q && q->sides ? &q->hash[1] : NULL, 1,
				own) || (q && q->sides && e->flags & F_WILD))
			e->event = 1;
		if (own && e->flags & F_WILD)
			hashes_add(own, WILD);
	}
	e->hit = 1;
	if (low >= SET_MIN)
		e->hit = take_hashes(&c, q ? q->hash : NULL,
			q ? q->nhash : 0, range);
	if (c.bad || c.n)
		return -1;
	return 0;
}

/* The commit the skip pointer of e leads to (its first parent for an
 * odd depth), zero below the root. */
static const git_oid *skip_of(const struct entry *e)
{
	return lowbit(e->depth) > 1 ? &e->skip : &e->parent;
}

/* ---- indexing ---- */

static void fresh_dispose(struct fresh *f)
{
	free(f->log);
	free(f->ed);
	free(f->side);
}

/* The changes commit c names, as the log (*log) and the editors' walk
 * (*ed, when it differs) read its trailers; NULL when none.  The
 * editors' reading (the first of each trailer) is built on the same
 * parser, so a message without trailers has none. */
static void commit_names(char **log, char **ed, git_commit *c)
{
	git_message_trailer_array tr;
	crq_log_trailers lt;

	*log = *ed = NULL;
	crq_history__trailers(&lt, &tr, git_commit_message(c));
	if (lt.change && lt.action)
		*log = crq__strdup(lt.change);
	if (tr.count) {
		crq_node *t = NULL;
		crq_buf problem = CRQ_BUF_INIT;
		const char *change, *action;

		crq_commit__trailers(&t, &problem, git_commit_message(c));
		change = crq_node_get_str(t, "Crq-Change");
		action = crq_node_get_str(t, "Crq-Action");
		if (change && action && (!*log || strcmp(change, *log)))
			*ed = crq__strdup(change);
		crq_node_free(t);
		crq_buf_dispose(&problem);
	}
	git_message_trailer_array_free(&tr);
}

int crq_history__names(git_commit *c, const char *id)
{
	char *log, *ed;
	int r;

	commit_names(&log, &ed, c);
	r = (log && !strcmp(log, id)) || (ed && !strcmp(ed, id));
	free(log);
	free(ed);
	return r;
}

/* A set of commit ids (open addressing, a power of two; zero: free). */
struct oidset {
	git_oid *v;
	size_t n, alloc;
};

static size_t oidset_slot(const git_oid *v, size_t a, const git_oid *id)
{
	size_t i = ((size_t)id->id[0] | (size_t)id->id[1] << 8 |
		(size_t)id->id[2] << 16 | (size_t)id->id[3] << 24) & (a - 1);

	while (!git_oid_is_zero(&v[i]) && !git_oid_equal(&v[i], id))
		i = (i + 1) & (a - 1);
	return i;
}

/* Add id; 0 when it was there already. */
static int oidset_add(struct oidset *s, const git_oid *id)
{
	size_t i;

	if (2 * (s->n + 1) > s->alloc) {
		size_t a = s->alloc ? 2 * s->alloc : 64, k;
		git_oid *v = crq__calloc(a, sizeof(*v));

		for (k = 0; k < s->alloc; k++)
			if (!git_oid_is_zero(&s->v[k]))
				git_oid_cpy(&v[oidset_slot(v, a, &s->v[k])],
					&s->v[k]);
		free(s->v);
		s->v = v;
		s->alloc = a;
	}
	i = oidset_slot(s->v, s->alloc, id);
	if (!git_oid_is_zero(&s->v[i]))
		return 0;
	git_oid_cpy(&s->v[i], id);
	s->n++;
	return 1;
}

/*
 * The hashes of the changes named on merge m's side, sorted, each
 * once: the commits its other parents reach and its first does not
 * (git log p1..p2), either reading; *wild when more than MAX_SIDE.
 * The walk goes down from each other parent and stops at the merge
 * bases it has with the first: every commit both reach lies below one
 * of them, so it reads the side and no more (and not git's hidden
 * walk, which dates decide when to stop: with commits of one second,
 * the whole history).  A merge base libgit2 gets wrong by clock skew
 * is a lower common ancestor: a name more, never one less.
 */
static int side_hashes(struct hashes *out, int *wild, git_repository *git,
	git_commit *m)
{
	struct oidset seen = { NULL, 0, 0 };
	git_oid *todo = NULL;
	size_t ntodo = 0, atodo = 0, i;
	unsigned k, n = git_commit_parentcount(m);
	int err = 0;

	*wild = 0;
	for (k = 1; k < n && !err && !*wild; k++) {
		git_oidarray bases = { NULL, 0 };
		const git_oid *q = git_commit_parent_id(m, k);

		err = git_merge_bases(&bases, git, git_commit_parent_id(m, 0),
			q);
		if (err == GIT_ENOTFOUND)
			err = 0;
		for (i = 0; i < bases.count; i++)
			oidset_add(&seen, &bases.ids[i]);
		git_oidarray_dispose(&bases);
		if (err < 0)
			break;
		if (oidset_add(&seen, q)) {
			crq__grow((void **)&todo, &atodo, ntodo + 1,
				sizeof(*todo));
			git_oid_cpy(&todo[ntodo++], q);
		}
		while (ntodo && !*wild) {
			git_commit *c = NULL;
			char *log, *ed;
			unsigned j;

			if ((err = git_commit_lookup(&c, git,
					&todo[--ntodo])) < 0)
				break;
			commit_names(&log, &ed, c);
			if (log)
				hashes_add(out, hash('s', log, strlen(log)));
			if (ed)
				hashes_add(out, hash('s', ed, strlen(ed)));
			free(log);
			free(ed);
			for (j = 0; j < git_commit_parentcount(c); j++)
				if (oidset_add(&seen, git_commit_parent_id(c,
						j))) {
					crq__grow((void **)&todo, &atodo,
						ntodo + 1, sizeof(*todo));
					git_oid_cpy(&todo[ntodo++],
						git_commit_parent_id(c, j));
				}
			git_commit_free(c);
			if (out->n > 4 * MAX_SIDE) {
				hashes_unique(out);
				*wild = out->n > MAX_SIDE;
			}
		}
	}
	hashes_unique(out);
	*wild = *wild || out->n > MAX_SIDE;
	free(todo);
	free(seen.v);
	return err;
}

int crq_history__side_names(int *hit, crq_repo *repo, git_commit *m,
	const char *id)
{
	struct hashes hs = { 0 };
	int wild = 0, err;

	*hit = 0;
	if ((err = side_hashes(&hs, &wild, repo->git, m)) < 0) {
		free(hs.v);
		return crq_store__git_error(err, "cannot read history");
	}
	*hit = wild || has_hash_n(hs.v, hs.n, hash('s', id, strlen(id)));
	free(hs.v);
	return 0;
}

/* What the index keeps of commit c, read from git. */
static int read_fresh(struct fresh *f, crq_history *h, git_commit *c)
{
	int err = 0;

	memset(f, 0, sizeof(*f));
	git_oid_cpy(&f->id, git_commit_id(c));
	if (git_commit_parentcount(c))
		git_oid_cpy(&f->parent, git_commit_parent_id(c, 0));
	commit_names(&f->log, &f->ed, c);
	if (f->log)
		f->flags |= F_LOG;
	if (f->ed)
		f->flags |= F_ED;
	if (git_commit_parentcount(c) > 1) {
		struct hashes sh = { 0 };
		int wild = 0;

		f->flags |= F_MERGE;
		if ((err = side_hashes(&sh, &wild, h->repo->git, c)) < 0) {
			free(sh.v);
		} else if (wild) {
			f->flags |= F_WILD;
			free(sh.v);
		} else {
			f->side = sh.v;
			f->nside = sh.n;
		}
	}
	return err < 0 ? crq_store__git_error(err, "cannot read history") : 0;
}

static void put_name(crq_buf *b, const char *s)
{
	put32(b, (uint32_t)strlen(s));
	crq_buf_puts(b, s);
}

/* Write the entry of f at depth d; its ancestors' are in the table. */
static int build(crq_history *h, const struct fresh *f, uint32_t d)
{
	crq_buf v = CRQ_BUF_INIT;
	struct hashes set = { 0 };
	struct entry e;
	unsigned char flags = (unsigned char)f->flags;
	uint32_t low = lowbit(d), xd;
	git_oid x;
	size_t i;
	int err = 0;

	crq_buf_putc(&v, (char)flags);
	put32(&v, d);
	if (d > 1)
		crq_buf_put(&v, (const char *)f->parent.id, GIT_OID_RAWSZ);
	if (low > 1) {
		/* from the first parent, skips land on d - low */
		git_oid_cpy(&x, &f->parent);
		for (xd = d - 1; xd > d - low; xd -= lowbit(xd)) {
			if (load(&e, h, &x, NULL, NULL, NULL) < 0 ||
			    e.depth != xd)
				goto unsure;
			git_oid_cpy(&x, skip_of(&e));
		}
		crq_buf_put(&v, (const char *)x.id, GIT_OID_RAWSZ);
	}
	if (f->log)
		put_name(&v, f->log);
	if (f->ed)
		put_name(&v, f->ed);
	if (f->flags & F_MERGE) {
		put32(&v, (uint32_t)f->nside);
		for (i = 0; i < f->nside; i++)
			put32(&v, f->side[i]);
	}
	if (low >= SET_MIN) {
		/* the own names, then the range below: commit by commit
		 * until a commit carries its range's hashes */
		if (f->log)
			hashes_add(&set, hash('c', f->log, strlen(f->log)));
		if (f->ed)
			hashes_add(&set, hash('c', f->ed, strlen(f->ed)));
		if (f->flags & F_WILD)
			hashes_add(&set, WILD);
		for (i = 0; i < f->nside; i++)
			hashes_add(&set, f->side[i]);
		git_oid_cpy(&x, &f->parent);
		for (xd = d - 1; xd > d - low;) {
			int whole = lowbit(xd) >= SET_MIN;

			if (load(&e, h, &x, NULL, whole ? NULL : &set,
					whole ? &set : NULL) < 0 ||
			    e.depth != xd)
				goto unsure;
			if (whole) {
				git_oid_cpy(&x, skip_of(&e));
				xd -= lowbit(xd);
			} else {
				git_oid_cpy(&x, &e.parent);
				xd--;
			}
		}
		hashes_unique(&set);
		put32(&v, (uint32_t)set.n);
		for (i = 0; i < set.n; i++)
			put32(&v, set.v[i]);
	}
	crq_cache__put(h->t, &f->id, v.ptr, v.size);
	goto done;
unsure:
	err = UNSURE;
done:
	free(set.v);
	crq_buf_dispose(&v);
	return err;
}

/*
 * Index the first-parent chain of from back to the first commit that
 * is (all of it when again: a rebuild), oldest first, so that each
 * entry finds its ancestors' in the table.
 */
static int index_chain(crq_history *h, const git_oid *from, int again)
{
	struct fresh *todo = NULL;
	size_t n = 0, alloc = 0, i;
	uint32_t base = 0;
	git_oid at;
	int err = 0;

	git_oid_cpy(&at, from);
	for (;;) {
		struct entry e;
		git_commit *c = NULL;

		if (!again && load(&e, h, &at, NULL, NULL, NULL) == 0) {
			base = e.depth;
			break;
		}
		if ((err = git_commit_lookup(&c, h->repo->git, &at)) < 0) {
			err = crq_store__git_error(err, "cannot read history");
			break;
		}
		crq__grow((void **)&todo, &alloc, n + 1, sizeof(*todo));
		err = read_fresh(&todo[n++], h, c);
		git_commit_free(c);
		if (err < 0 || git_oid_is_zero(&todo[n - 1].parent))
			break;
		git_oid_cpy(&at, &todo[n - 1].parent);
		if (n >= UINT32_MAX - 1) {
			err = crq_error__set(CRQ_EINVALID,
				"history too long to index");
			break;
		}
	}
	/* each entry goes to the table as soon as it is built: what it
	 * read from git is no longer needed */
	for (i = n; i-- > 0;) {
		if (err >= 0)
			err = build(h, &todo[i], base + (uint32_t)(n - i));
		fresh_dispose(&todo[i]);
	}
	free(todo);
	return err;
}

/* ---- searching ---- */

struct search {
	crq_history *h;
	const struct query *q;
	uint32_t top;		/* the start's depth */
	crq_history_fn fn;
	void *payload;
	/* events given to fn, and how many of them a search after a
	 * rebuild passes over (fn has had them) */
	unsigned long long given, skip;
};

/* The commits of e's range, newest first: e's own, then its
 * children's ranges (first parent, then skip after skip). */
static int visit(struct search *s, const git_oid *id, const struct entry *e)
{
	struct entry ce;
	uint32_t cd, lo = e->depth - lowbit(e->depth);
	git_oid c;
	int r;

	if (!e->hit)
		return 0;
	if (e->event && s->given++ >= s->skip &&
	    (r = s->fn(id, s->top - e->depth, s->payload)))
		return r;
	git_oid_cpy(&c, &e->parent);
	for (cd = e->depth - 1; cd > lo; cd -= lowbit(cd)) {
		if (load(&ce, s->h, &c, s->q, NULL, NULL) < 0 ||
		    ce.depth != cd)
			return UNSURE;
		if ((r = visit(s, &c, &ce)))
			return r;
		git_oid_cpy(&c, skip_of(&ce));
	}
	return 0;
}

/* The search from commit from down its whole chain (see visit). */
static int search(struct search *s, const git_oid *from)
{
	struct entry e;
	uint32_t d;
	git_oid c;
	int r;

	git_oid_cpy(&c, from);
	if (load(&e, s->h, &c, s->q, NULL, NULL) < 0)
		return UNSURE;
	s->top = e.depth;
	for (d = e.depth; d > 0; d -= lowbit(d)) {
		if (d != s->top && (load(&e, s->h, &c, s->q, NULL, NULL) < 0 ||
				e.depth != d))
			return UNSURE;
		if ((r = visit(s, &c, &e)))
			return r;
		git_oid_cpy(&c, skip_of(&e));
	}
	return 0;
}

int crq_history__each(crq_history *h, const git_oid *from, const char *id,
	int sides, crq_history_fn fn, void *payload)
{
	struct query q;
	struct search s;
	int r;

	memset(&q, 0, sizeof(q));
	q.id = id;
	q.idlen = strlen(id);
	q.sides = sides;
	q.hash[q.nhash++] = hash('c', id, q.idlen);
	if (sides) {
		q.hash[q.nhash++] = hash('s', id, q.idlen);
		q.hash[q.nhash++] = WILD;
	}
	memset(&s, 0, sizeof(s));
	s.h = h;
	s.q = &q;
	s.fn = fn;
	s.payload = payload;
	if ((r = index_chain(h, from, 0)) >= 0)
		r = search(&s, from);
	if (r != UNSURE)
		return r;
	/*
	 * An entry the chain needs (to index what is new, or to search) is
	 * gone: the cache lost a file (its checksum failed) or never wrote
	 * one, and kept a later one.  Index the chain again
	 * from scratch and search again, passing over the commits fn
	 * already had: the entries that gave them were sound, so the
	 * second search meets them in the same order.
	 */
	if ((r = index_chain(h, from, 1)) < 0)
		return r;
	s.skip = s.given;
	s.given = 0;
	if ((r = search(&s, from)) != UNSURE)
		return r;
	return crq_error__set(CRQ_ERROR, "the history index is inconsistent");
}

/* ---- signatures ---- */

int crq_history__signer(crq_buf *key, crq_history *h, const git_oid *id,
	git_repository *git)
{
	git_odb *odb = NULL;
	git_odb_object *obj = NULL;
	crq_buf payload = CRQ_BUF_INIT, sig = CRQ_BUF_INIT;
	crq_buf problem = CRQ_BUF_INIT;
	const unsigned char *v;
	size_t len;
	int nsig, r = CRQ_SIGNER_BAD;

	crq_buf_clear(key);
	if (h && !h->signers)
		h->signers = open_table(h->repo, SIGNERS);
	/* 'n' none, 'b' bad, 'k' and the key */
	if (h && (v = crq_cache__get(h->signers, id, &len)) && len) {
		if (v[0] == 'n' && len == 1)
			return CRQ_SIGNER_NONE;
		if (v[0] == 'b' && len == 1)
			return CRQ_SIGNER_BAD;
		if (v[0] == 'k') {
			crq_buf_put(key, (const char *)v + 1, len - 1);
			return CRQ_SIGNER_KEY;
		}
	}
	if (git_repository_odb(&odb, git) < 0 ||
	    git_odb_read(&obj, odb, id) < 0) {
		r = crq_store__git_error(-1, "cannot read commit");
		goto done;
	}
	/* the raw object, header by header: a gpgsig block moved into
	 * the message does not count (see NOTES on libgit2's extractor) */
	nsig = crq_commit__split(&payload, &sig, &problem,
		git_odb_object_data(obj), git_odb_object_size(obj));
	if (!nsig)
		r = CRQ_SIGNER_NONE;
	else if (nsig == 1 && crq_sshsig_verify(sig.ptr, sig.size,
			payload.ptr, payload.size, "git", key) == 0)
		r = CRQ_SIGNER_KEY;
	else
		crq_buf_clear(key);
	crq_error_clear();
	if (h) {
		crq_buf val = CRQ_BUF_INIT;

		crq_buf_putc(&val, r == CRQ_SIGNER_NONE ? 'n' :
			r == CRQ_SIGNER_BAD ? 'b' : 'k');
		if (r == CRQ_SIGNER_KEY)
			crq_buf_put(&val, key->ptr, key->size);
		crq_cache__put(h->signers, id, val.ptr, val.size);
		crq_buf_dispose(&val);
	}
done:
	crq_buf_dispose(&payload);
	crq_buf_dispose(&sig);
	crq_buf_dispose(&problem);
	git_odb_object_free(obj);
	git_odb_free(odb);
	return r;
}
