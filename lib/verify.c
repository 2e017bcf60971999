/*
 * verify.c - the trail proves itself.  Every commit reachable from the
 * tip that the trusted root does not reach is checked: a code commit
 * (no crq path, no Crq-* trailer), one step that the rule engine
 * (lib/rules.c) makes from its parent under the parent's policy by its
 * signer at its time, or a merge that loses no step and adds nothing of
 * its own, whose merged-in steps are also legal where they land.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "cache.h"
#include "calendar.h"
#include "change.h"
#include "commit.h"
#include "nodebin.h"
#include "rules.h"
#include "sign.h"

#define POLICY_PATH ".crq/policy.yaml"
/* how far a commit may be dated after the verifier's clock */
#define FUTURE_SLACK 300

void crq_verify_result_init(crq_verify_result *res)
{
	memset(res, 0, sizeof(*res));
}

void crq_verify_result_dispose(crq_verify_result *res)
{
	size_t i;

	if (!res)
		return;
	for (i = 0; i < res->count; i++) {
		free(res->items[i].change);
		free(res->items[i].rule);
		free(res->items[i].message);
		free(res->items[i].hint);
	}
	free(res->items);
	memset(res, 0, sizeof(*res));
}

struct cached {
	git_oid blob;
	crq_node *doc;		/* NULL: the blob does not parse */
};

#define CACHE_SIZE 16

/* The latest committer time of a commit and all before it. */
struct high_water {
	git_oid id;
	long long t;
	int used;
};

struct sig_slot;

/* What the walk knows of one change's editors (see editors_of), in a
 * table by change id: a store holds 100,000 changes, and a walk asks at
 * every step. */
struct eds_entry {
	char *id;		/* NULL: a free slot */
	crq_node *eds;		/* {email: true} */
	long long stamp;	/* exact while this is the walk's epoch */
	int stamped;
};

struct eds_map {
	struct eds_entry *e;
	size_t n, alloc;
};

struct vctx {
	crq_repo *repo;
	const crq_schema *schema, *pschema;
	crq_verify_result *out;
	long long now;
	/* per change id: {email: true} of who edited it since its last
	 * decision (separation of duties), exact while its stamp (per id)
	 * is epoch: see editors_of; stepped: the separation block took
	 * the commit being walked as a step */
	struct eds_map *editors;
	long long epoch;
	int stepped;
	/* parsed policies and templates by blob id */
	struct cached pol[CACHE_SIZE], tmpl[CACHE_SIZE];
	size_t npol, ntmpl;
	/* the live changes at the parent of the step being checked */
	crq_node *others;
	/* high-water times of the commits walked (open addressing) */
	struct high_water *hw;
	size_t nhw, ahw;
	/* the step being checked, for opts->on_step: the role the engine
	 * found it taken in */
	const crq_verify_options *opts;
	char role[64];
	/* the signature a worker checked for the commit being walked */
	const struct sig_slot *sig;
	git_oid sig_id;
	/* the verdict table of the trusted root (NULL: cache off or not
	 * read): commits verified under it, with their high-water time */
	crq_table *verdicts;
	/* why this machine cannot judge the commit being walked (libical
	 * does not load to check a policy's zones): the run stops with it,
	 * as an error, not a violation, and records nothing of the commit */
	char *cannot;
};

/* Walks of more commits than this go without libgit2's object cache
 * (shorter ones gain from it: its table is not full yet);
 * CRQ_UNCACHED_WALK=N sets another bound (the model-based history test
 * runs its reference walks with 0) */
static size_t uncached_walk(void)
{
	const char *e = getenv("CRQ_UNCACHED_WALK");
	char *end;
	unsigned long long n;

	if (e && *e) {
		n = strtoull(e, &end, 10);
		if (!*end)
			return (size_t)n;
	}
	return 20000;
}

static void cannot_judge(struct vctx *v)
{
	if (!v->cannot)
		v->cannot = crq__strdup(crq_error_last());
}

static void violation(struct vctx *v, const git_oid *commit,
	const char *change, const char *rule, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));

static void violation(struct vctx *v, const git_oid *commit,
	const char *change, const char *rule, const char *fmt, ...)
{
	crq_verify_result *r = v->out;
	crq_violation *x;
	crq_buf msg = CRQ_BUF_INIT;
	char *hint;
	va_list ap;

	va_start(ap, fmt);
	crq_buf_vprintf(&msg, fmt, ap);
	va_end(ap);
	crq__grow((void **)&r->items, &r->alloc, r->count + 1,
		sizeof(*r->items));
	x = &r->items[r->count++];
	memset(x, 0, sizeof(*x));
	git_oid_tostr(x->commit, sizeof(x->commit), commit);
	x->change = change ? crq__strdup(change) : NULL;
	x->rule = crq__strdup(rule);
	/* a message may carry its hint on a line of its own */
	if ((hint = strstr(msg.ptr, "\nhint: "))) {
		x->hint = crq__strdup(hint + 7);
		*hint = '\0';
	}
	x->message = crq__strdup(msg.ptr);
	crq_buf_dispose(&msg);
}

/* The error of a refused step as a violation. */
static void refused(struct vctx *v, const git_oid *commit,
	const char *change, const char *rule)
{
	violation(v, commit, change, rule ? rule : "illegal-action", "%s",
		crq_error_last());
	crq_error_clear();
}

static const char *tr(const crq_node *t, const char *key)
{
	return crq_node_get_str(t, key);
}

/* ---- caches ---- */

static size_t hw_slot(const struct high_water *h, size_t a, const git_oid *id)
{
	size_t i;

	memcpy(&i, id->id, sizeof(i));
	i %= a;
	while (h[i].used && !git_oid_equal(&h[i].id, id))
		i = (i + 1) % a;
	return i;
}

static void hw_put(struct vctx *v, const git_oid *id, long long t)
{
	size_t i;

	if ((v->nhw + 1) * 2 > v->ahw) {
		struct high_water *old = v->hw;
		size_t a = v->ahw;

		v->ahw = a ? a * 2 : 1024;
		v->hw = crq__calloc(v->ahw, sizeof(*v->hw));
		for (i = 0; i < a; i++)
			if (old[i].used)
				v->hw[hw_slot(v->hw, v->ahw, &old[i].id)] = old[i];
		free(old);
	}
	i = hw_slot(v->hw, v->ahw, id);
	if (!v->hw[i].used)
		v->nhw++;
	v->hw[i].used = 1;
	git_oid_cpy(&v->hw[i].id, id);
	v->hw[i].t = t;
}

/* A walked commit's high-water time; for one the walk starts after
 * (the trusted root, a verified tip), its own time. */
static long long hw_get(struct vctx *v, const git_oid *id)
{
	git_commit *c = NULL;
	long long t = 0;

	const unsigned char *cached;
	size_t len;

	if (v->ahw) {
		size_t i = hw_slot(v->hw, v->ahw, id);

		if (v->hw[i].used)
			return v->hw[i].t;
	}
	if ((cached = crq_cache__get(v->verdicts, id, &len)) && len >= 8)
		return (long long)crq_cache__get64(cached);
	if (git_commit_lookup(&c, v->repo->git, id) == 0)
		t = (long long)git_commit_committer(c)->when.time;
	git_commit_free(c);
	return t;
}

static const crq_node *cached_doc(struct vctx *v, struct cached *c,
	size_t *n, const git_oid *blob, const char *name, int policy)
{
	git_blob *b = NULL;
	crq_node *doc = NULL;
	size_t i, slot;

	for (i = 0; i < *n; i++)
		if (git_oid_equal(&c[i].blob, blob))
			return c[i].doc;
	if (git_blob_lookup(&b, v->repo->git, blob) == 0) {
		if (policy) {
			if (crq_policy__parse(&doc, v->pschema,
				git_blob_rawcontent(b),
				(size_t)git_blob_rawsize(b), name, NULL) ==
			    CRQ_EREPO)
				cannot_judge(v);
		} else
			crq_doc__parse(&doc, v->schema,
				git_blob_rawcontent(b),
				(size_t)git_blob_rawsize(b), name, NULL, 0,
				NULL);
		git_blob_free(b);
	}
	crq_error_clear();
	if (doc && doc->kind != CRQ_NODE_OBJECT) {
		crq_node_free(doc);
		doc = NULL;
	}
	if (*n < CACHE_SIZE) {
		slot = (*n)++;
	} else {
		/* full: evict one (no caller holds two of one cache) */
		slot = (size_t)(blob->id[0] % CACHE_SIZE);
		crq_node_free(c[slot].doc);
	}
	git_oid_cpy(&c[slot].blob, blob);
	c[slot].doc = doc;
	return doc;
}

/* The policy in force at commit (NULL when it has none or it does
 * not parse: *present tells which). */
static const crq_node *policy_at(struct vctx *v, const git_oid *commit,
	int *present)
{
	git_oid blob;

	crq_store__blob_at(&blob, v->repo, commit, POLICY_PATH);
	*present = !git_oid_is_zero(&blob);
	if (!*present)
		return NULL;
	return cached_doc(v, v->pol, &v->npol, &blob, POLICY_PATH, 1);
}

static const crq_node *template_at(struct vctx *v, const git_oid *commit,
	const char *name)
{
	crq_buf path = CRQ_BUF_INIT;
	git_oid blob;
	size_t i;

	for (i = 0; name[i]; i++)
		if (name[i] == '/' || (name[i] == '.' && !i))
			return NULL;
	crq_buf_printf(&path, ".crq/templates/%s.yaml", name);
	crq_store__blob_at(&blob, v->repo, commit, path.ptr);
	crq_buf_dispose(&path);
	if (git_oid_is_zero(&blob))
		return NULL;
	return cached_doc(v, v->tmpl, &v->ntmpl, &blob, name, 0);
}

/* Read and parse a blob as a change (strict and validated). */
static int load_change(crq_node **out, struct vctx *v, const git_oid *blob,
	const char *name, crq_buf *text)
{
	git_blob *b = NULL;
	int err;

	*out = NULL;
	if ((err = git_blob_lookup(&b, v->repo->git, blob)) < 0)
		return crq_store__git_error(err, "cannot read blob");
	if (text)
		crq_buf_put(text, git_blob_rawcontent(b),
			(size_t)git_blob_rawsize(b));
	err = crq_change_parse_with(out, v->schema, git_blob_rawcontent(b),
		(size_t)git_blob_rawsize(b), name, NULL);
	git_blob_free(b);
	return err;
}

/* ---- signatures checked ahead, on the other cores ---- */

/*
 * The walk's order is known before it starts, and a commit's signature
 * says the same whatever came before it: worker threads check the
 * signatures of the commits ahead of the walk (each with a repository
 * handle of its own), and the walk, which decides in history order,
 * takes each result when it reaches that commit.  A ring of SIG_RING
 * slots bounds how far ahead they run (and the memory).
 */
#define SIG_RING 4096
#define SIG_MIN 64		/* fewer commits: not worth the threads */

struct sig_slot {
	size_t idx;		/* the walk position this slot holds */
	int done;
	int rc;			/* crq_sshsig_verify's; 1: not a signed commit */
	char *key, *msg;
};

struct sig_pool {
	const git_oid *ids;
	size_t n, next, consumed;
	struct sig_slot ring[SIG_RING];
	pthread_mutex_t mu;
	pthread_cond_t space, ready;
	pthread_t th[8];
	int nth, stop;
	/* who sleeps: signal only then (a wake-up per commit costs more
	 * than a history of code commits takes to check) */
	int walk_waits, workers_wait;
	const char *gitdir;
};

static void sig_check(git_repository *git, const git_oid *id, int *rc,
	char **key, char **msg)
{
	git_odb *odb = NULL;
	git_odb_object *obj = NULL;
	crq_buf payload = CRQ_BUF_INIT, sig = CRQ_BUF_INIT,
		problem = CRQ_BUF_INIT, k = CRQ_BUF_INIT;

	*rc = 1;
	*key = *msg = NULL;
	if (git_repository_odb(&odb, git) == 0 &&
	    git_odb_read(&obj, odb, id) == 0 &&
	    crq_commit__split(&payload, &sig, &problem,
		git_odb_object_data(obj), git_odb_object_size(obj)) == 1 &&
	    !problem.size) {
		*rc = crq_sshsig_verify(sig.ptr, sig.size, payload.ptr,
			payload.size, "git", &k);
		if (*rc < 0)
			*msg = crq__strdup(crq_error_last());
		else
			*key = crq__strdup(crq_buf_cstr(&k));
	}
	crq_error_clear();
	crq_buf_dispose(&payload);
	crq_buf_dispose(&sig);
	crq_buf_dispose(&problem);
	crq_buf_dispose(&k);
	git_odb_object_free(obj);
	git_odb_free(odb);
}

static void *sig_worker(void *arg)
{
	struct sig_pool *p = arg;
	git_repository *git = NULL;

	if (git_repository_open(&git, p->gitdir) < 0)
		git = NULL;
	for (;;) {
		struct sig_slot *sl;
		size_t i;
		int rc;
		char *key, *msg;

		pthread_mutex_lock(&p->mu);
		while (!p->stop && p->next < p->n &&
		       p->next >= p->consumed + SIG_RING) {
			p->workers_wait++;
			pthread_cond_wait(&p->space, &p->mu);
			p->workers_wait--;
		}
		if (p->stop || p->next >= p->n || !git) {
			pthread_mutex_unlock(&p->mu);
			break;
		}
		i = p->next++;
		pthread_mutex_unlock(&p->mu);
		sig_check(git, &p->ids[i], &rc, &key, &msg);
		pthread_mutex_lock(&p->mu);
		sl = &p->ring[i % SIG_RING];
		sl->idx = i;
		sl->rc = rc;
		sl->key = key;
		sl->msg = msg;
		sl->done = 1;
		if (p->walk_waits)
			pthread_cond_broadcast(&p->ready);
		pthread_mutex_unlock(&p->mu);
	}
	git_repository_free(git);
	return NULL;
}

static struct sig_pool *sig_pool_start(crq_repo *repo, const git_oid *ids,
	size_t n)
{
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	const char *env = getenv("CRQ_THREADS");
	struct sig_pool *p;
	int want, k;

	if (env && !*env)
		env = NULL;
	/* as many workers as cores: the walk's own work is lighter than a
	 * signature, and the scheduler shares the cores among them all
	 * (measured: 2 workers on 2 cores 1.5x faster than 1) */
	want = env ? atoi(env) : (int)(cpus > 1 ? cpus : 0);
	want = want > 8 ? 8 : want;
	/* CRQ_THREADS (the tests) forces the pool even for a short walk */
	if (want < 1 || !n || (!env && n < SIG_MIN))
		return NULL;
	p = crq__calloc(1, sizeof(*p));
	p->ids = ids;
	p->n = n;
	p->gitdir = repo->gitdir;
	pthread_mutex_init(&p->mu, NULL);
	pthread_cond_init(&p->space, NULL);
	pthread_cond_init(&p->ready, NULL);
	for (k = 0; k < want; k++)
		if (pthread_create(&p->th[p->nth], NULL, sig_worker, p) == 0)
			p->nth++;
	if (!p->nth) {
		pthread_mutex_destroy(&p->mu);
		pthread_cond_destroy(&p->space);
		pthread_cond_destroy(&p->ready);
		free(p);
		return NULL;
	}
	return p;
}

/* The result for walk position i (waits for it); the slot is the
 * walk's until sig_pool_release. */
static struct sig_slot *sig_pool_take(struct sig_pool *p, size_t i,
	git_repository *git)
{
	struct sig_slot *sl = &p->ring[i % SIG_RING];

	pthread_mutex_lock(&p->mu);
	/* no worker has taken it yet: the walk checks it itself rather
	 * than wait */
	if (p->next == i && !(sl->done && sl->idx == i)) {
		p->next = i + 1;
		pthread_mutex_unlock(&p->mu);
		sig_check(git, &p->ids[i], &sl->rc, &sl->key, &sl->msg);
		pthread_mutex_lock(&p->mu);
		sl->idx = i;
		sl->done = 1;
	}
	while (!(sl->done && sl->idx == i)) {
		p->walk_waits = 1;
		pthread_cond_wait(&p->ready, &p->mu);
		p->walk_waits = 0;
	}
	pthread_mutex_unlock(&p->mu);
	return sl;
}

static void sig_pool_release(struct sig_pool *p, size_t i)
{
	struct sig_slot *sl = &p->ring[i % SIG_RING];

	pthread_mutex_lock(&p->mu);
	free(sl->key);
	free(sl->msg);
	sl->key = sl->msg = NULL;
	sl->done = 0;
	p->consumed = i + 1;
	if (p->workers_wait)
		pthread_cond_broadcast(&p->space);
	pthread_mutex_unlock(&p->mu);
}

static void sig_pool_stop(struct sig_pool *p)
{
	int k;
	size_t i;

	if (!p)
		return;
	pthread_mutex_lock(&p->mu);
	p->stop = 1;
	pthread_cond_broadcast(&p->space);
	pthread_mutex_unlock(&p->mu);
	for (k = 0; k < p->nth; k++)
		pthread_join(p->th[k], NULL);
	for (i = 0; i < SIG_RING; i++) {
		free(p->ring[i].key);
		free(p->ring[i].msg);
	}
	pthread_mutex_destroy(&p->mu);
	pthread_cond_destroy(&p->space);
	pthread_cond_destroy(&p->ready);
	free(p);
}

/* A commit's signature: what a worker found for it, else checked here. */
static int verify_sig(struct vctx *v, const git_oid *id, const crq_buf *sig,
	const crq_buf *payload, crq_buf *key)
{
	const struct sig_slot *sl = v->sig;

	if (sl && git_oid_equal(&v->sig_id, id) && sl->rc != 1) {
		if (sl->rc < 0)
			return crq_error__set(CRQ_ESIGN, "%s", sl->msg);
		crq_buf_puts(key, sl->key);
		return 0;
	}
	return crq_sshsig_verify(sig->ptr, sig->size, payload->ptr,
		payload->size, "git", key);
}

/* ---- one step ---- */

/* Who edited change id since its last decision, as of commit parent:
 * crq_workflow__editors, in the graph sense.  The walk keeps it up to
 * date itself along a line of commits, each the only parent of the next
 * one walked: what it holds for a change is exact while the change's
 * stamp is the walk's epoch, which moves on at a merge, at a jump to
 * another line (the walk's start, another branch), and a step on the
 * change that was not taken unstamps it.  When a decision needs it
 * (need) and it is not exact, it is read from the history: so a full
 * walk, a resumed one and the client agree. */
static size_t eds_slot(const struct eds_map *m, const char *id)
{
	size_t h = 5381, mask = m->alloc - 1;
	const char *p;

	for (p = id; *p; p++)
		h = (h * 33) ^ (unsigned char)*p;
	for (h &= mask; m->e[h].id && strcmp(m->e[h].id, id);
	     h = (h + 1) & mask)
		;
	return h;
}

/* The entry of change id; with add, made when missing (else NULL). */
static struct eds_entry *eds_entry(struct eds_map *m, const char *id,
	int add)
{
	size_t i;

	if (m->alloc) {
		i = eds_slot(m, id);
		if (m->e[i].id)
			return &m->e[i];
	}
	if (!add)
		return NULL;
	if ((m->n + 1) * 10 > m->alloc * 7) {
		struct eds_entry *old = m->e;
		size_t k, a = m->alloc;

		m->alloc = a ? a * 2 : 1024;
		m->e = crq__calloc(m->alloc, sizeof(*m->e));
		for (k = 0; k < a; k++)
			if (old[k].id)
				m->e[eds_slot(m, old[k].id)] = old[k];
		free(old);
	}
	i = eds_slot(m, id);
	m->e[i].id = crq__strdup(id);
	m->e[i].eds = crq_node_new(CRQ_NODE_OBJECT);
	m->n++;
	return &m->e[i];
}

static void eds_free(struct eds_map *m)
{
	size_t i;

	if (!m)
		return;
	for (i = 0; i < m->alloc; i++) {
		free(m->e[i].id);
		crq_node_free(m->e[i].eds);
	}
	free(m->e);
	free(m);
}

static crq_node *editors_of(struct vctx *v, const char *id,
	const git_oid *parent, int need)
{
	struct eds_entry *e = eds_entry(v->editors, id, 1);
	crq_node *eds = e->eds;

	if (need && parent && !(e->stamped && e->stamp == v->epoch)) {
		while (eds->count)
			crq_node_remove_at(eds, eds->count - 1);
		if (crq_workflow__editors(eds, v->repo, parent, id) == 0) {
			e->stamp = v->epoch;
			e->stamped = 1;
		}
		crq_error_clear();
	}
	return eds;
}

/* The first top-level field where a and b differ. */
static const char *first_difference(const crq_node *a, const crq_node *b)
{
	size_t i;

	for (i = 0; i < a->count; i++)
		if (!crq_node_get(b, a->keys[i]) ||
		    !crq_node_equal(a->items[i], crq_node_get(b, a->keys[i])))
			return a->keys[i];
	for (i = 0; i < b->count; i++)
		if (!crq_node_get(a, b->keys[i]))
			return b->keys[i];
	return NULL;
}

/* The rule a wrong derived field breaks. */
static const char *field_rule(const char *f)
{
	if (!strcmp(f, "state"))
		return "illegal-transition";
	if (!strcmp(f, "approvals"))
		return "approvals";
	return "derived-field";
}

/* Did the change at path have content digest want at commit hex? */
static int review_fresh(struct vctx *v, const char *hex, const char *path,
	const char *want)
{
	git_oid c, b;
	crq_node *then = NULL;
	char was[72];
	int ok = 0;

	if (git_oid_fromstr(&c, hex) < 0)
		return 0;
	crq_store__blob_at(&b, v->repo, &c, path);
	if (!git_oid_is_zero(&b) && load_change(&then, v, &b, path, NULL) == 0 &&
	    crq_rules_digest(was, v->schema, then) == 0)
		ok = !strcmp(was, want);
	crq_node_free(then);
	crq_error_clear();
	return ok;
}

/* Is path the one crq writes change id to under policy's store layout
 * (prefix, shard size)?  Case twins and copies in other shards are not. */
static int canonical_path(crq_buf *want, const crq_node *policy,
	const char *id, const char *path)
{
	const crq_node *pre = crq_node_path(policy, "store.prefix");
	const crq_node *size = crq_node_path(policy, "store.shard_size");
	const char *prefix = pre ? pre->str : "CHG";
	unsigned long long shard = size ? (unsigned long long)size->i : 1000;
	size_t plen = strlen(prefix), nd;

	crq_buf_clear(want);
	if (strncmp(id, prefix, plen) || id[plen] != '-')
		return 0;
	nd = strspn(id + plen + 1, "0123456789");
	if (nd < 6 || nd > 18 || id[plen + 1 + nd])
		return 0;
	crq_buf_printf(want, "changes/%03llu/%s.yaml",
		strtoull(id + plen + 1, NULL, 10) / shard, id);
	return !path || !strcmp(want->ptr, path);
}

struct step_in {
	git_commit *c;
	const git_oid *id;
	const git_signature *cm;
	const crq_node *policy;		/* the parent's */
	const crq_node *trailers;
	const char *key;		/* the verified signing key */
};

/* The engine's inputs for a committed step on a change: old (NULL for
 * a create) to new by the key's owner at the commit's time, under
 * policy.  Editors are the caller's. */
static void step_of(crq_rules_step *st, struct vctx *v,
	const crq_node *policy, const crq_node *old, const crq_node *new,
	const char *action, const char *key, const git_signature *cm,
	const crq_node *trailers, const git_oid *parent)
{
	const char *tname = crq_node_get_str(old ? old : new, "template");
	const crq_node *oa = old ? crq_node_get(old, "approvals") : NULL;
	const crq_node *na = crq_node_get(new, "approvals");
	size_t on = oa ? oa->count : 0, nn = na ? na->count : 0;

	memset(st, 0, sizeof(*st));
	st->policy = policy;
	st->schema = v->schema;
	st->before = old;
	st->input = new;
	st->input_full = 1;
	st->action = action;
	st->signer_key = key;
	st->signer_email = cm->email;
	st->forge = crq_node_get_str(trailers, "Crq-Forge");
	st->reviewer = crq_node_get_str(trailers, "Crq-Reviewer");
	st->escalate_rule = crq_node_get_str(trailers, "Crq-Escalate");
	st->time = (long long)cm->when.time;
	st->template_doc = tname ? template_at(v, parent, tname) : NULL;
	st->template_name = old ? NULL : tname;
	st->new_id = crq_node_get_str(new, "id");
	/* a decision names its role in the approval it adds */
	if (nn == on + 1)
		st->role = crq_node_get_str(na->items[on], "role");
	/* no-collision is judged against what the parent had scheduled */
	crq_node_free(v->others);
	v->others = NULL;
	if (crq_rules_wants_calendar(policy, action, old) &&
	    crq_change__live(&v->others, v->repo, parent) < 0)
		crq_error_clear();
	st->others = v->others;
}

/* A step on a change: what the rule engine makes of the parent's
 * content must be, byte for byte, what was committed. */
static void check_change_step(struct vctx *v, const struct step_in *s,
	const char *path, const git_oid *old_blob, const git_oid *new_blob)
{
	const crq_node *t = s->trailers;
	const char *cid = tr(t, "Crq-Change"), *action = tr(t, "Crq-Action");
	const git_oid *parent = git_commit_parent_id(s->c, 0);
	crq_node *old = NULL, *new = NULL;
	crq_buf text = CRQ_BUF_INIT, want = CRQ_BUF_INIT, mine = CRQ_BUF_INIT;
	crq_rules_step st;
	crq_rules_result res;
	const char *fid, *f;

	memset(&res, 0, sizeof(res));
	if (git_oid_is_zero(new_blob)) {
		violation(v, s->id, cid, "deleted",
			"'%s' was deleted: no action removes a change", path);
		goto done;
	}
	if (load_change(&new, v, new_blob, path, &text) < 0) {
		violation(v, s->id, cid, "invalid-file", "%s",
			crq_error_last());
		goto done;
	}
	if (!git_oid_is_zero(old_blob) &&
	    load_change(&old, v, old_blob, path, NULL) < 0) {
		violation(v, s->id, cid, "invalid-file",
			"the parent's '%s' is not a valid change: %s", path,
			crq_error_last());
		goto done;
	}
	fid = crq_node_get_str(new, "id");
	if (!fid || !canonical_path(&want, s->policy, fid, path) ||
	    (old && strcmp(fid, crq_node_get_str(old, "id")))) {
		violation(v, s->id, cid, "path",
			"'%s' is not where change '%s' lives", path,
			fid ? fid : "?");
		goto done;
	}
	if (!cid || strcmp(cid, fid) || !action) {
		violation(v, s->id, fid, "trailers",
			"Crq-Change '%s' / Crq-Action '%s' disagree with the file",
			cid ? cid : "(none)", action ? action : "(none)");
		goto done;
	}
	if (!old != !strcmp(action, "create")) {
		violation(v, s->id, fid, "trailers",
			"'%s' %s a new change file", action,
			old ? "does not create" : "cannot create");
		goto done;
	}
	if (!old) {
		/* a new change takes the next free number */
		unsigned long long max = 0;
		const char *num = strrchr(fid, '-') + 1;

		if (crq_change__max_number(&max, v->repo, parent) == 0 &&
		    strtoull(num, NULL, 10) != max + 1) {
			violation(v, s->id, fid, "id",
				"'%s' is not the next free id (number %llu)",
				fid, max + 1);
			goto done;
		}
		crq_error_clear();
	}
	step_of(&st, v, s->policy, old, new, action, s->key, s->cm, t, parent);
	st.editors = old ? editors_of(v, fid, parent,
		crq_rules_is_decision(s->policy,
		action, crq_node_get_str(old, "type"),
		crq_node_get_str(old, "state"))) : NULL;
	if (crq_rules_change(&res, &st) < 0) {
		refused(v, s->id, fid, res.rule);
		goto done;
	}
	snprintf(v->role, sizeof(v->role), "%s", res.role[0] ? res.role :
		res.by_owner ? "owner" : "");
	crq_change_format(&mine, v->schema, res.after);
	if (mine.size != text.size || memcmp(mine.ptr, text.ptr, text.size)) {
		f = first_difference(res.after, new);
		if (f && !strcmp(f, "state") && res.decision == 1 && !res.met)
			violation(v, s->id, fid, "approvals",
				"'%s' moved it on before fresh approvals met the rules",
				action);
		else if (f && res.fired && res.fired->count &&
			 (!strcmp(f, "tasks") || !strcmp(f, "extra_approvals") ||
			  crq_policy__in_list(crq_node_get(s->policy,
				"rule_settable"), f))) {
			crq_buf names = CRQ_BUF_INIT;

			crq_rules_fired_text(&names, &res);
			violation(v, s->id, fid, "automation",
				"'%s' is not what '%s' writes here: the step fires %s, whose effects it must carry",
				f, action, names.ptr);
			crq_buf_dispose(&names);
		} else if (f && st.escalate_rule &&
			   (!strcmp(f, "escalations") || !strcmp(f, "tasks") ||
			    !strcmp(f, "extra_approvals")))
			violation(v, s->id, fid, "escalation",
				"'%s' is not what escalating '%s' writes here",
				f, st.escalate_rule);
		else if (f)
			violation(v, s->id, fid, field_rule(f),
				"'%s' is not what '%s' writes here%s",
				f, action, crq_policy__derived(f) ?
				" (crq derives it)" : "");
		else
			violation(v, s->id, fid, "canonical",
				"the file is not in crq's canonical layout");
		goto done;
	}
	if (crq_rules_changes_nothing(action, old, res.after)) {
		violation(v, s->id, fid, "nothing-to-change",
			"'%s' changes nothing: not a step (a comment records a message)",
			action);
		goto done;
	}
	if ((old ? !tr(t, "Crq-From") || strcmp(tr(t, "Crq-From"),
			res.from) : tr(t, "Crq-From") != NULL) ||
	    !tr(t, "Crq-To") || strcmp(tr(t, "Crq-To"), res.to) ||
	    (res.decision ? !tr(t, "Crq-Digest") ||
	     strcmp(tr(t, "Crq-Digest"), res.digest) :
	     tr(t, "Crq-Digest") != NULL) ||
	    tr(t, "Crq-Policy-Version")) {
		violation(v, s->id, fid, "trailers",
			"the trailers do not say what the step did (%s -> %s)",
			old ? res.from : "(new)", res.to);
		goto done;
	}
	/* the automation rules it fired, as the engine fires them */
	{
		crq_buf fired = CRQ_BUF_INIT;
		const char *said = tr(t, "Crq-Rules");

		crq_rules_fired_text(&fired, &res);
		if (fired.size ? !said || strcmp(said, fired.ptr) : said != NULL)
			violation(v, s->id, fid, "automation",
				"Crq-Rules says '%s', but the step fires %s%s%s",
				said ? said : "(nothing)", fired.size ? "'" : "",
				fired.size ? fired.ptr : "no rule",
				fired.size ? "'" : "");
		crq_buf_dispose(&fired);
	}
	if (st.forge && (!tr(t, "Crq-Reviewed-Commit") ||
	    !review_fresh(v, tr(t, "Crq-Reviewed-Commit"), path,
			res.digest))) {
		violation(v, s->id, fid, "stale-review",
			"the attested review is of %s, where the change differed",
			tr(t, "Crq-Reviewed-Commit") ?
			tr(t, "Crq-Reviewed-Commit") : "no commit");
		goto done;
	}
	if (!st.forge && (tr(t, "Crq-PR") || tr(t, "Crq-Reviewer") ||
	    tr(t, "Crq-Review-Id") || tr(t, "Crq-Reviewed-Commit"))) {
		violation(v, s->id, fid, "trailers",
			"review trailers without Crq-Forge");
		goto done;
	}
	/* separation of duties: who edited since the last decision, as
	 * crq_workflow__editors reads this step (its committer is who) */
	{
		crq_node *eds = editors_of(v, fid, NULL, 0);
		struct eds_entry *sn = eds_entry(v->editors, fid, 1);
		const char *who = crq_node_get_str(res.actor, "email");
		int exact = sn->stamped && sn->stamp == v->epoch;

		if ((res.decision && strcmp(res.from, res.to)) ||
		    !strcmp(action, "create")) {
			/* the round is over (authorized, rejected), or
			 * has just begun: nothing before it counts */
			while (eds->count)
				crq_node_remove_at(eds, eds->count - 1);
			exact = 1;
		}
		if (exact && (!strcmp(action, "edit") ||
			      !strcmp(action, "create")))
			crq_node_set(eds, who, crq_node_new_bool(1));
		if (exact) {
			sn->stamp = v->epoch;
			sn->stamped = 1;
		}
		v->stepped = 1;
	}
done:
	crq_rules_result_dispose(&res);
	crq_node_free(old);
	crq_node_free(new);
	crq_buf_dispose(&text);
	crq_buf_dispose(&want);
	crq_buf_dispose(&mine);
}

/* Equal apart from their `pending` sections? */
static int same_but_pending(const crq_node *a, const crq_node *b)
{
	crq_node *x = crq_node_dup(a), *y = crq_node_dup(b);
	int same;

	crq_node_remove(x, "pending");
	crq_node_remove(y, "pending");
	same = crq_node_equal(x, y);
	crq_node_free(x);
	crq_node_free(y);
	return same;
}

/* A policy step: what the rule engine makes of the parent's policy for
 * this signer must be what was committed. */
static void check_policy_step(struct vctx *v, const struct step_in *s,
	const git_oid *new_blob)
{
	const crq_node *cur = s->policy, *t = s->trailers;
	const crq_node *pend = crq_node_get(cur, "pending"), *npend;
	const crq_node *edited = NULL, *ov, *nv;
	crq_node *np = NULL, *want = NULL;
	crq_buf title = CRQ_BUF_INIT;
	crq_policy_op op;
	const char *rule = NULL, *what = "";
	git_blob *b = NULL;

	if (git_oid_is_zero(new_blob)) {
		violation(v, s->id, NULL, "policy-invalid",
			"the policy was deleted");
		goto done;
	}
	if (git_blob_lookup(&b, v->repo->git, new_blob) < 0 ||
	    crq_policy__parse(&np, v->pschema, git_blob_rawcontent(b),
		(size_t)git_blob_rawsize(b), POLICY_PATH, NULL) < 0) {
		if (crq_error_code() == CRQ_EREPO)
			cannot_judge(v);
		else
			violation(v, s->id, NULL, "policy-invalid", "%s",
				crq_error_last());
		goto done;
	}
	if (!tr(t, "Crq-Action") || strcmp(tr(t, "Crq-Action"), "policy") ||
	    t->count != 1 + (tr(t, "Crq-Policy-Version") != NULL)) {
		violation(v, s->id, NULL, "trailers",
			"a policy step says Crq-Action: policy and nothing of a change");
		goto done;
	}
	npend = crq_node_get(np, "pending");
	if (pend) {
		op = !npend && same_but_pending(cur, np) ?
			CRQ_POLICY_WITHDRAW : CRQ_POLICY_APPROVE;
	} else {
		op = CRQ_POLICY_EDIT;
		edited = npend ? crq_node_get(npend, "policy") : np;
		what = npend && crq_node_get_str(npend, "change") ?
			crq_node_get_str(npend, "change") : "";
		if (!edited || edited->kind != CRQ_NODE_OBJECT) {
			violation(v, s->id, NULL, "policy-proposal",
				"the proposal holds no policy");
			goto done;
		}
	}
	if (crq_rules_policy(&want, &title, &rule, cur, op, edited, what,
			s->key, s->cm->email,
			(long long)s->cm->when.time) < 0) {
		refused(v, s->id, NULL, rule);
		goto done;
	}
	snprintf(v->role, sizeof(v->role), "admin");
	ov = crq_node_get(want, "version");
	nv = crq_node_get(np, "version");
	if (!crq_node_equal(want, np)) {
		if (!crq_node_get(want, "pending") == !npend &&
		    (!ov || !nv || ov->i != nv->i))
			violation(v, s->id, NULL, "policy-version",
				"version %lld, but this step writes version %lld: a policy change bumps it by one",
				nv ? nv->i : 0, ov ? ov->i : 0);
		else if (crq_node_get(want, "pending") && !npend)
			violation(v, s->id, NULL, "policy-admins",
				"the policy needs more than one admin: changes must be proposed");
		else
			violation(v, s->id, NULL, "policy-proposal",
				"the policy written is not what this %s step writes (approvals count signed steps only)",
				op == CRQ_POLICY_EDIT ? "edit" : op ==
				CRQ_POLICY_APPROVE ? "approval" : "withdrawal");
		goto done;
	}
	if (!tr(t, "Crq-Policy-Version") || !nv ||
	    strtoll(tr(t, "Crq-Policy-Version"), NULL, 10) != nv->i) {
		violation(v, s->id, NULL, "trailers",
			"Crq-Policy-Version does not name the version written");
		goto done;
	}
done:
	crq_error_clear();
	git_blob_free(b);
	crq_node_free(np);
	crq_node_free(want);
	crq_buf_dispose(&title);
}

struct delta_file {
	char path[256];
	git_oid old_id, new_id;
	unsigned mode;
};

/* The trees a walk read last, by id: without libgit2's object cache
 * (crq_store__walk_uncached), a linear walk still reads each shard tree
 * once, as the tree of one commit and then the parent's of the next */
#define TREE_MEMO 32
struct tree_memo {
	git_oid id[TREE_MEMO];
	git_tree *tree[TREE_MEMO];
	size_t next;
};

struct diff_acc {
	struct delta_file *files;
	size_t count, alloc;
	size_t other;		/* paths outside crq's */
	struct tree_memo *memo;	/* NULL: every tree from libgit2 */
};

static int memo_tree(git_tree **out, git_repository *git,
	struct tree_memo *m, const git_oid *id)
{
	size_t i, slot;
	int err;

	if (!m)
		return git_tree_lookup(out, git, id);
	for (i = 0; i < TREE_MEMO; i++)
		if (m->tree[i] && git_oid_equal(&m->id[i], id))
			return git_object_dup((git_object **)out,
				(git_object *)m->tree[i]);
	if ((err = git_tree_lookup(out, git, id)) < 0)
		return err;
	slot = m->next++ % TREE_MEMO;
	git_tree_free(m->tree[slot]);
	git_oid_cpy(&m->id[slot], id);
	return git_object_dup((git_object **)&m->tree[slot],
		(git_object *)*out);
}

static void memo_free(struct tree_memo *m)
{
	size_t i;

	for (i = 0; m && i < TREE_MEMO; i++)
		git_tree_free(m->tree[i]);
	free(m);
}

/* The id of the change at path ("changes/000/CHG-000001.yaml"), into
 * buf; NULL for another path. */
static const char *path_change(char buf[64], const char *path)
{
	const char *base = strrchr(path, '/');
	size_t n;

	if (strncmp(path, "changes/", 8) || !base)
		return NULL;
	base++;
	n = strlen(base);
	if (n < 6 || n - 5 >= 64 || strcmp(base + n - 5, ".yaml"))
		return NULL;
	memcpy(buf, base, n - 5);
	buf[n - 5] = '\0';
	return buf;
}

static int is_crq_path(const char *p)
{
	return !strncmp(p, ".crq/", 5) || !strncmp(p, "changes/", 8);
}

/* One path that differs: a crq file into acc->files, another counted. */
static void delta_add(struct diff_acc *acc, const char *path,
	const git_tree_entry *old, const git_tree_entry *new)
{
	struct delta_file *f;

	if (!is_crq_path(path)) {
		acc->other++;
		return;
	}
	crq__grow((void **)&acc->files, &acc->alloc, acc->count + 1,
		sizeof(*acc->files));
	f = &acc->files[acc->count++];
	memset(f, 0, sizeof(*f));
	snprintf(f->path, sizeof(f->path), "%s", path);
	if (old)
		git_oid_cpy(&f->old_id, git_tree_entry_id(old));
	if (new)
		git_oid_cpy(&f->new_id, git_tree_entry_id(new));
	f->mode = new ? (unsigned)git_tree_entry_filemode(new) : 0;
}

static int is_tree(const git_tree_entry *e)
{
	return e && git_tree_entry_type(e) == GIT_OBJECT_TREE;
}

/*
 * The paths under prefix that differ between trees a and b (either may
 * be NULL: everything under the other was added or deleted).  Only the
 * subtrees whose ids differ are opened, so a step costs what it changed,
 * not the size of the store (a tree-to-tree diff reads every shard).
 * At the top, without whole, only .crq/ and changes/ are looked at.
 */
static int delta_trees(struct diff_acc *acc, git_repository *git,
	const git_tree *a, const git_tree *b, const char *prefix, int whole,
	int depth)
{
	const git_tree *side[2] = { a, b };
	size_t s, i, n;
	int err = 0;

	if (depth > 64)
		return crq_error__set(CRQ_EREPO, "trees nested too deep under '%s'",
			prefix);
	for (s = 0; s < 2 && !err; s++) {
		const git_tree *t = side[s], *o = side[!s];

		n = t ? git_tree_entrycount(t) : 0;
		for (i = 0; i < n && !err; i++) {
			const git_tree_entry *e = git_tree_entry_byindex(t, i);
			const char *name = git_tree_entry_name(e);
			const git_tree_entry *f = o ?
				git_tree_entry_byname(o, name) : NULL;
			const git_tree_entry *old = s ? f : e, *new = s ? e : f;
			git_tree *ta = NULL, *tb = NULL;
			crq_buf path = CRQ_BUF_INIT;

			/* a pair is looked at once, from b's side */
			if (!s && f)
				continue;
			if (f && git_oid_equal(git_tree_entry_id(e),
					git_tree_entry_id(f)) &&
			    git_tree_entry_filemode(e) ==
			    git_tree_entry_filemode(f))
				continue;
			if (!*prefix && !whole && strcmp(name, ".crq") &&
			    strcmp(name, "changes"))
				continue;
			crq_buf_printf(&path, "%s%s", prefix, name);
			/* a file on one side: its own delta; trees: what is
			 * under them */
			if (!is_tree(old) || !is_tree(new))
				if ((old && !is_tree(old)) ||
				    (new && !is_tree(new)))
					delta_add(acc, path.ptr,
						is_tree(old) ? NULL : old,
						is_tree(new) ? NULL : new);
			if (is_tree(old) || is_tree(new)) {
				crq_buf_putc(&path, '/');
				if ((is_tree(old) && memo_tree(&ta, git,
					acc->memo, git_tree_entry_id(old)) < 0) ||
				    (is_tree(new) && memo_tree(&tb, git,
					acc->memo, git_tree_entry_id(new)) < 0))
					err = crq_store__git_error(-1,
						"cannot read tree");
				else
					err = delta_trees(acc, git, ta, tb,
						path.ptr, whole, depth + 1);
			}
			git_tree_free(ta);
			git_tree_free(tb);
			crq_buf_dispose(&path);
		}
	}
	return err;
}

/* The crq files that differ between trees a (may be NULL) and b, and
 * how many other paths (all of them only when whole). */
static int crq_delta(struct diff_acc *acc, git_repository *git,
	git_tree *a, git_tree *b, int whole)
{
	acc->count = acc->other = 0;
	return delta_trees(acc, git, a, b, "", whole, 0);
}

/* A commit with one parent (or none) that touches crq paths or carries
 * Crq-* trailers: one step. */
static void judge_step(struct vctx *v, git_commit *c,
	const struct diff_acc *acc, const crq_node *trailers,
	const char *trailer_problem, const char **verdict, crq_buf *signer,
	long long *version)
{
	const git_oid *id = git_commit_id(c);
	const git_signature *cm = git_commit_committer(c);
	const git_signature *au = git_commit_author(c);
	const char *cid = tr(trailers, "Crq-Change");
	git_odb *odb = NULL;
	git_odb_object *obj = NULL;
	crq_buf payload = CRQ_BUF_INIT, sig = CRQ_BUF_INIT,
		problem = CRQ_BUF_INIT, key = CRQ_BUF_INIT,
		path = CRQ_BUF_INIT;
	const crq_node *policy;
	struct step_in s;
	git_oid old_blob, new_blob;
	size_t i;
	int present;

	v->out->checked++;
	if (!git_commit_parentcount(c)) {
		violation(v, id, cid, "root",
			"a root commit other than the trusted root brings crq files or steps");
		return;
	}
	policy = policy_at(v, git_commit_parent_id(c, 0), &present);
	if (policy && crq_node_get(policy, "version"))
		*version = crq_node_get(policy, "version")->i;
	if (!policy) {
		violation(v, id, cid, "no-policy", present ?
			"the parent's policy does not parse" :
			"a step without a crq policy before it");
		return;
	}
	/* the raw object, its signature, its signer */
	if (git_repository_odb(&odb, v->repo->git) < 0 ||
	    git_odb_read(&obj, odb, id) < 0) {
		violation(v, id, cid, "unreadable", "%s",
			git_error_last() ? git_error_last()->message : "?");
		goto done;
	}
	i = (size_t)crq_commit__split(&payload, &sig, &problem,
		git_odb_object_data(obj), git_odb_object_size(obj));
	*verdict = i ? "bad" : "unsigned";
	if (problem.size) {
		violation(v, id, cid, "commit-format", "%s", problem.ptr);
		goto done;
	}
	if (!i) {
		violation(v, id, cid, "unsigned",
			"a commit touching crq files must be signed");
		goto done;
	}
	if (verify_sig(v, id, &sig, &payload, &key) < 0) {
		violation(v, id, cid, "bad-signature", "%s",
			crq_error_last());
		goto done;
	}
	*verdict = "unknown-key";
	crq_buf_puts(signer, key.ptr);
	if (strncmp(key.ptr, "ssh-ed25519 ", 12)) {
		violation(v, id, cid, "key-type",
			"crq signatures are ed25519, not '%.*s'",
			(int)strcspn(key.ptr, " "), key.ptr);
		goto done;
	}
	if (!crq_policy__key_owner(policy, key.ptr)) {
		violation(v, id, cid, "unknown-key",
			"the signing key belongs to no member of the parent's policy");
		goto done;
	}
	*verdict = "good";
	if (strcmp(crq_node_get_str(crq_policy__key_owner(policy, key.ptr),
			"email"), cm->email)) {
		violation(v, id, cid, "committer",
			"signed by %s's key but committed as %s",
			crq_node_get_str(crq_policy__key_owner(policy, key.ptr),
				"email"), cm->email);
		goto done;
	}
	if (strcmp(au->email, cm->email) || au->when.time != cm->when.time) {
		violation(v, id, cid, "committer",
			"authored as %s but committed as %s: crq writes one identity and time",
			au->email, cm->email);
		goto done;
	}
	if (trailer_problem && *trailer_problem) {
		violation(v, id, cid, "trailers", "%s", trailer_problem);
		goto done;
	}
	/* the shape of the step: its one file and nothing else */
	if (acc->other) {
		violation(v, id, cid, "one-file",
			"a crq step changes its one crq file and nothing else, this one %zu other path%s too",
			acc->other, acc->other == 1 ? "" : "s");
		goto done;
	}
	if (acc->count > 1) {
		violation(v, id, cid, "one-file",
			"a crq step changes exactly one file, this one %zu",
			acc->count);
		goto done;
	}
	for (i = 0; i < acc->count; i++) {
		const struct delta_file *f = &acc->files[i];
		size_t sz = 0;
		git_object_t ty;

		if (f->mode && f->mode != GIT_FILEMODE_BLOB) {
			violation(v, id, cid, "file-mode",
				"'%s' is not a regular file (mode %o)",
				f->path, f->mode);
			goto done;
		}
		if (f->mode && git_odb_read_header(&sz, &ty, odb,
				&f->new_id) == 0 && sz > CRQ_STORE_MAX_FILE) {
			violation(v, id, cid, "file-size",
				"'%s' is larger than %d bytes", f->path,
				CRQ_STORE_MAX_FILE);
			goto done;
		}
	}
	memset(&s, 0, sizeof(s));
	s.c = c;
	s.id = id;
	s.cm = cm;
	s.policy = policy;
	s.trailers = trailers;
	s.key = key.ptr;
	if (!acc->count) {
		/* trailers without a file change: a step on that change
		 * whose content stayed as it was */
		if (!cid || !canonical_path(&path, policy, cid, NULL)) {
			violation(v, id, cid, tr(trailers, "Crq-Action") &&
				!strcmp(tr(trailers, "Crq-Action"), "policy") ?
				"policy-version" : "trailers",
				"Crq-* trailers on a commit that changes no crq file");
			goto done;
		}
		crq_store__blob_at(&old_blob, v->repo,
			git_commit_parent_id(c, 0), path.ptr);
		check_change_step(v, &s, path.ptr, &old_blob, &old_blob);
		goto done;
	}
	if (!strcmp(acc->files[0].path, POLICY_PATH)) {
		check_policy_step(v, &s, &acc->files[0].new_id);
		goto done;
	}
	if (strncmp(acc->files[0].path, "changes/", 8)) {
		violation(v, id, cid, "path",
			"'%s' is not a place crq writes", acc->files[0].path);
		goto done;
	}
	git_oid_cpy(&old_blob, &acc->files[0].old_id);
	git_oid_cpy(&new_blob, &acc->files[0].new_id);
	check_change_step(v, &s, acc->files[0].path, &old_blob, &new_blob);
done:
	crq_error_clear();
	crq_buf_dispose(&payload);
	crq_buf_dispose(&sig);
	crq_buf_dispose(&problem);
	crq_buf_dispose(&key);
	crq_buf_dispose(&path);
	git_odb_object_free(obj);
	git_odb_free(odb);
}

/* A step: judged, then told to opts->on_step with its verdicts. */
static void check_step(struct vctx *v, git_commit *c,
	const struct diff_acc *acc, const crq_node *trailers,
	const char *trailer_problem, size_t before)
{
	crq_verify_step st;
	crq_buf key = CRQ_BUF_INIT;
	char hex[41], idbuf[64];
	size_t i;

	memset(&st, 0, sizeof(st));
	st.signature = "unsigned";
	v->role[0] = '\0';
	judge_step(v, c, acc, trailers, trailer_problem, &st.signature,
		&key, &st.policy_version);
	if (!v->opts->on_step)
		goto done;
	git_oid_tostr(hex, sizeof(hex), git_commit_id(c));
	st.commit = hex;
	/* the change whose file it wrote, whatever its trailer claims */
	st.change = acc->count == 1 ? path_change(idbuf,
		acc->files[0].path) : NULL;
	if (!st.change && !(acc->count == 1 &&
	    !strcmp(acc->files[0].path, POLICY_PATH)))
		st.change = tr(trailers, "Crq-Change");
	st.action = tr(trailers, "Crq-Action");
	st.from = tr(trailers, "Crq-From");
	st.to = tr(trailers, "Crq-To");
	st.by = git_commit_committer(c)->email;
	st.time = (long long)git_commit_committer(c)->when.time;
	st.key = key.size ? key.ptr : NULL;
	for (i = 0; i < acc->count; i++)
		st.wrote_policy |= !strcmp(acc->files[i].path, POLICY_PATH);
	if (v->out->count > before) {
		st.refused = 1;
		st.rule = v->out->items[before].rule;
		st.message = v->out->items[before].message;
	} else {
		st.role = v->role[0] ? v->role : NULL;
	}
	v->opts->on_step(&st, v->opts->payload);
done:
	crq_buf_dispose(&key);
}

/* ---- merges ---- */

static void day_of(char out[11], long long t)
{
	char buf[32];

	crq_rules_time(buf, t);
	memcpy(out, buf, 10);
	out[10] = '\0';
}

/* The signing key of commit c ("ssh-ed25519 BASE64"), when its one
 * signature verifies; 0 or < 0. */
static int signing_key(crq_buf *key, struct vctx *v, const git_oid *c)
{
	git_odb *odb = NULL;
	git_odb_object *obj = NULL;
	crq_buf payload = CRQ_BUF_INIT, sig = CRQ_BUF_INIT,
		problem = CRQ_BUF_INIT;
	int err = -1;

	if (git_repository_odb(&odb, v->repo->git) == 0 &&
	    git_odb_read(&obj, odb, c) == 0 &&
	    crq_commit__split(&payload, &sig, &problem,
		git_odb_object_data(obj), git_odb_object_size(obj)) == 1 &&
	    !problem.size)
		err = crq_sshsig_verify(sig.ptr, sig.size, payload.ptr,
			payload.size, "git", key);
	crq_error_clear();
	crq_buf_dispose(&payload);
	crq_buf_dispose(&sig);
	crq_buf_dispose(&problem);
	git_odb_object_free(obj);
	git_odb_free(odb);
	return err;
}

/*
 * A step that a merge brings in must also be legal where it lands: the
 * rule engine, run on it under the landing branch's policy, must make
 * the same content (its approval rules, guards and fields), and at the
 * merge the signer must still be that member, holding a role the action
 * needs (grants are checked on the merge's day).  Judged from the
 * commit itself, so a resumed walk or a --base judges it the same.
 * Each step's own legality is check_step's: here what fails to read
 * was reported there.
 */
static void check_landing(struct vctx *v, const git_oid *merge,
	git_commit *c, const crq_node *policy, const char *day, int full)
{
	const git_signature *cm = git_commit_committer(c);
	const git_oid *parent;
	struct diff_acc acc = { NULL, 0, 0, 0, NULL };
	git_tree *t = NULL, *pt = NULL;
	git_commit *p = NULL;
	crq_node *trailers = NULL, *old = NULL, *new = NULL, *eds = NULL;
	crq_buf key = CRQ_BUF_INIT, problem = CRQ_BUF_INIT,
		text = CRQ_BUF_INIT, mine = CRQ_BUF_INIT, path = CRQ_BUF_INIT;
	const crq_node *signer, *roles, *act, *judge = policy, *actor;
	crq_rules_step st;
	crq_rules_result res;
	git_oid ob, nb;
	const char *fid, *action;
	char hex[12];
	size_t i;
	int ok = 0;
	size_t before = v->out->count;

	memset(&res, 0, sizeof(res));
	git_oid_tostr(hex, sizeof(hex), git_commit_id(c));
	if (git_commit_parentcount(c) != 1)
		goto done;
	parent = git_commit_parent_id(c, 0);
	crq_commit__trailers(&trailers, &problem, git_commit_message(c));
	if (git_commit_tree(&t, c) < 0 || git_commit_parent(&p, c, 0) < 0 ||
	    git_commit_tree(&pt, p) < 0 ||
	    crq_delta(&acc, v->repo->git, pt, t, 0) < 0 ||
	    (!acc.count && !trailers->count) || acc.count > 1 ||
	    signing_key(&key, v, git_commit_id(c)) < 0)
		goto done;
	signer = crq_policy__key_owner(policy, key.ptr);
	if (!signer || strcmp(crq_node_get_str(signer, "email"), cm->email)) {
		violation(v, merge, NULL, "landing",
			"step %s by %s lands where that key is no member's",
			hex, cm->email);
		goto done;
	}
	if (acc.count && !strcmp(acc.files[0].path, POLICY_PATH)) {
		if (!crq_policy__has_role(signer, "admin", day))
			violation(v, merge, NULL, "landing",
				"policy step %s by %s lands where they are no admin",
				hex, cm->email);
		goto done;
	}
	action = crq_node_get_str(trailers, "Crq-Action");
	if (acc.count)
		crq_buf_puts(&path, acc.files[0].path);
	else if (!crq_node_get_str(trailers, "Crq-Change") ||
		 !canonical_path(&path, policy, crq_node_get_str(trailers,
			"Crq-Change"), NULL))
		goto done;
	crq_store__blob_at(&ob, v->repo, parent, path.ptr);
	crq_store__blob_at(&nb, v->repo, git_commit_id(c), path.ptr);
	if (!action || git_oid_is_zero(&nb) ||
	    load_change(&new, v, &nb, path.ptr, &text) < 0 ||
	    (!git_oid_is_zero(&ob) &&
	     load_change(&old, v, &ob, path.ptr, NULL) < 0))
		goto done;
	fid = crq_node_get_str(new, "id");
	/* not full: the step stands under its own parent's policy (checked
	 * there); only who may still take it is asked of the landing one */
	if (!full) {
		int present;

		if (!(judge = policy_at(v, parent, &present)))
			goto done;
	}
	step_of(&st, v, judge, old, new, action, key.ptr, cm, trailers,
		parent);
	if (old && crq_rules_is_decision(judge, action,
			crq_node_get_str(old, "type"),
			crq_node_get_str(old, "state"))) {
		eds = crq_node_new(CRQ_NODE_OBJECT);
		crq_workflow__editors(eds, v->repo, parent, fid);
		st.editors = eds;
	}
	if (crq_rules_change(&res, &st) < 0) {
		if (full)
			violation(v, merge, fid, "landing",
				"step %s ('%s') is not legal under the policy it lands under: %s",
				hex, action, crq_error_last());
		goto done;
	}
	crq_change_format(&mine, v->schema, res.after);
	if (mine.size != text.size || memcmp(mine.ptr, text.ptr, text.size)) {
		const char *f = first_difference(res.after, new);

		violation(v, merge, fid, "landing",
			"step %s ('%s') lands under a policy where it writes another '%s'",
			hex, action, f ? f : "layout");
		goto done;
	}
	act = res.action_def;
	roles = crq_node_get(act, "roles");
	actor = crq_policy__member(policy, crq_node_get_str(res.actor,
		"email"));
	for (i = 0; actor && roles && i < roles->count && !ok; i++)
		ok = crq_policy__has_role(actor, roles->items[i]->str, day);
	if (ok && res.decision)
		ok = crq_policy__has_role(actor, res.role, day);
	/* a task step its owner took: still a member, the role of a task
	 * given to a role still held */
	if (!ok && actor && res.by_owner && res.task) {
		const crq_node *tasks = crq_node_get(new, "tasks");
		const crq_node *tk = tasks && tasks->kind == CRQ_NODE_ARRAY &&
			res.task <= tasks->count ? tasks->items[res.task - 1] :
			NULL;
		const char *owner = crq_node_get_str(tk, "owner");
		const char *role = crq_node_get_str(tk, "role");

		ok = (owner && !strcmp(owner, crq_node_get_str(actor,
			"email"))) || (role && crq_policy__has_role(actor, role,
			day));
	}
	if (!ok)
		violation(v, merge, fid, "landing",
			"step %s ('%s' by %s) lands on %s, when they no longer hold the role it needs",
			hex, action, crq_node_get_str(res.actor, "email"), day);
done:
	/* what was said here is about that step */
	for (i = before; i < v->out->count; i++)
		git_oid_tostr(v->out->items[i].step,
			sizeof(v->out->items[i].step), git_commit_id(c));
	crq_error_clear();
	crq_rules_result_dispose(&res);
	crq_node_free(trailers);
	crq_node_free(old);
	crq_node_free(new);
	crq_node_free(eds);
	crq_buf_dispose(&key);
	crq_buf_dispose(&problem);
	crq_buf_dispose(&text);
	crq_buf_dispose(&mine);
	crq_buf_dispose(&path);
	free(acc.files);
	git_tree_free(t);
	git_tree_free(pt);
	git_commit_free(p);
}

static int blob_mode_at(git_oid *out, crq_repo *repo, const git_oid *c,
	const char *path)
{
	git_commit *commit = NULL;
	git_tree *tree = NULL;
	git_tree_entry *e = NULL;
	int mode = 0;

	memset(out, 0, sizeof(*out));
	if (git_commit_lookup(&commit, repo->git, c) == 0 &&
	    git_commit_tree(&tree, commit) == 0 &&
	    git_tree_entry_bypath(&e, tree, path) == 0) {
		git_oid_cpy(out, git_tree_entry_id(e));
		mode = (int)git_tree_entry_filemode(e);
	}
	git_tree_entry_free(e);
	git_tree_free(tree);
	git_commit_free(commit);
	return mode;
}

/*
 * A merge (any number of parents): each crq path takes the content of
 * one parent; every other parent whose content differs made no step on
 * it since it parted from that one; no step of its own.  The steps it
 * brings in are judged where they land.
 */
/* Key of a collision: its kind and the pair of changes. */
static void collision_key(crq_buf *out, const crq_node *c)
{
	const crq_node *ids = crq_node_get(c, "changes");

	crq_buf_clear(out);
	crq_buf_printf(out, "%s %s %s", crq_node_get_str(c, "kind"),
		ids->items[0]->str, ids->count > 1 ? ids->items[1]->str : "");
}

/* A merge may not bring together two windows that collide when the
 * policy it puts in force refuses collisions: each side's schedule was
 * legal on its own line, the result is not.  A collision one of the
 * parents already had is that parent's (reported at its step or merge,
 * which was judged the same way). */
static void check_merge_calendar(struct vctx *v, git_commit *m)
{
	const git_oid *id = git_commit_id(m);
	const crq_node *policy;
	crq_node *live = NULL, *conf, *seen = crq_node_new(CRQ_NODE_OBJECT);
	crq_buf key = CRQ_BUF_INIT;
	unsigned k;
	size_t i;
	int present;

	/* the policy the merge puts in force: a line that still said warn
	 * does not decide for the one that says refuse */
	policy = policy_at(v, id, &present);
	if (!policy || !crq_rules_refuses_collisions(policy) ||
	    crq_change__live(&live, v->repo, id) < 0)
		goto done;
	conf = crq_cal__collisions(policy, live);
	crq_node_free(live);
	live = NULL;
	for (k = 0; conf->count && k < git_commit_parentcount(m); k++) {
		crq_node *pc;

		if (crq_change__live(&live, v->repo,
				git_commit_parent_id(m, k)) < 0)
			continue;
		pc = crq_cal__collisions(policy, live);
		for (i = 0; i < pc->count; i++) {
			collision_key(&key, pc->items[i]);
			crq_node_set(seen, key.ptr, crq_node_new_bool(1));
		}
		crq_node_free(pc);
		crq_node_free(live);
		live = NULL;
	}
	for (i = 0; i < conf->count; i++) {
		const crq_node *c = conf->items[i];

		collision_key(&key, c);
		if (!crq_node_get(seen, key.ptr))
			violation(v, id, crq_node_get(c, "changes")->items[0]->str,
				"no-collision",
				"the merge brings together windows that collide: %s",
				crq_node_get_str(c, "message"));
	}
	crq_node_free(conf);
done:
	crq_error_clear();
	crq_node_free(live);
	crq_node_free(seen);
	crq_buf_dispose(&key);
}

static int check_merge(struct vctx *v, git_commit *m,
	const crq_node *trailers)
{
	const git_oid *id = git_commit_id(m);
	unsigned n = git_commit_parentcount(m), k, q;
	struct diff_acc acc = { NULL, 0, 0, 0, NULL };
	crq_node *paths = crq_node_new(CRQ_NODE_OBJECT);
	git_tree *mt = NULL;
	const crq_node *landing, *merged;
	crq_node *merged_own = NULL, *pk_own = NULL;
	git_revwalk *walk = NULL;
	git_oid *blobs = crq__calloc(n + 1, sizeof(git_oid));
	int *modes = crq__calloc(n + 1, sizeof(int));
	git_oid sid;
	size_t j;
	int err = 0, present;
	char day[11];

	v->out->checked++;
	if (trailers->count)
		violation(v, id, tr(trailers, "Crq-Change"), "merge-step",
			"a merge is no step: it carries Crq-* trailers");
	landing = policy_at(v, git_commit_parent_id(m, 0), &present);
	/* own copies: judging a step reads its parent's policy through the
	 * same cache, which may evict */
	merged = policy_at(v, id, &present);
	merged = merged_own = merged ? crq_node_dup(merged) : NULL;
	if (landing && crq_node_get(landing, "linear_history") &&
	    crq_node_get(landing, "linear_history")->b)
		violation(v, id, NULL, "linear-history",
			"the policy requires a linear history: no merges");
	if ((err = git_commit_tree(&mt, m)) < 0) {
		err = crq_store__git_error(err, "cannot read tree");
		goto done;
	}
	for (k = 0; k < n; k++) {
		git_commit *p = NULL;
		git_tree *pt = NULL;

		if ((err = git_commit_parent(&p, m, k)) < 0 ||
		    (err = git_commit_tree(&pt, p)) < 0) {
			git_commit_free(p);
			err = crq_store__git_error(err, "cannot read parent");
			goto done;
		}
		err = crq_delta(&acc, v->repo->git, pt, mt, 0);
		git_tree_free(pt);
		git_commit_free(p);
		if (err < 0)
			goto done;
		for (j = 0; j < acc.count; j++)
			crq_node_set(paths, acc.files[j].path,
				crq_node_new_bool(1));
	}
	for (j = 0; j < paths->count; j++) {
		const char *path = paths->keys[j];
		char cid[64];
		int chosen = -1;

		modes[n] = blob_mode_at(&blobs[n], v->repo, id, path);
		for (k = 0; k < n; k++) {
			modes[k] = blob_mode_at(&blobs[k], v->repo,
				git_commit_parent_id(m, k), path);
			if (chosen < 0 && modes[k] == modes[n] &&
			    git_oid_equal(&blobs[k], &blobs[n]))
				chosen = (int)k;
		}
		if (chosen < 0) {
			/* two sides that both moved it cannot be merged
			 * without losing one: say so rather than "evil" */
			unsigned moved = 0;
			git_oid base, bb;

			for (q = 1; q < n; q++)
				if (git_merge_base(&base, v->repo->git,
					git_commit_parent_id(m, 0),
					git_commit_parent_id(m, q)) == 0) {
					crq_store__blob_at(&bb, v->repo, &base,
						path);
					moved += !git_oid_equal(&bb, &blobs[0]) &&
						!git_oid_equal(&bb, &blobs[q]);
				}
			if (moved)
				violation(v, id, path_change(cid, path),
					"both-sides",
					"both sides changed '%s' since they parted: a step would be lost\n"
					"hint: run crq sync (rebase the branch's steps) instead of merging",
					path);
			else
				violation(v, id, path_change(cid, path),
					"evil-merge",
					"'%s' in the merge matches no parent",
					path);
			continue;
		}
		for (q = 0; q < n; q++) {
			git_oid base, bb;

			if (git_oid_equal(&blobs[q], &blobs[n]))
				continue;
			if (git_merge_base(&base, v->repo->git,
				git_commit_parent_id(m, q),
				git_commit_parent_id(m, (unsigned)chosen)) < 0) {
				violation(v, id, path_change(cid, path),
					"unrelated-merge",
					"'%s' comes from a history that shares no commit with the other side",
					path);
				continue;
			}
			crq_store__blob_at(&bb, v->repo, &base, path);
			if (git_oid_equal(&bb, &blobs[q]))
				continue;	/* q left it alone */
			violation(v, id, path_change(cid, path), "both-sides",
				git_oid_is_zero(&bb) && !git_oid_is_zero(&blobs[q]) &&
				!git_oid_is_zero(&blobs[chosen]) ?
				"both sides created '%s': one id, two changes\n"
				"hint: run crq sync (it renumbers the new change) instead of merging" :
				"both sides changed '%s' since they parted: a step would be lost\n"
				"hint: run crq sync (rebase the branch's steps) instead of merging",
				path);
		}
	}
	crq_error_clear();
	/*
	 * The steps it brings in, judged where they land.  Every parent is
	 * a branch the merge lands the others' steps on, whichever comes
	 * first (git merge main on a pull request's branch swaps them).
	 * A step from parent j lands on parent k under k's policy when k
	 * changed its policy since the two parted; when k did not, k's
	 * policy is the one the step was already judged by (or j changed
	 * it, and j's steps were judged under j's own).
	 */
	day_of(day, (long long)git_commit_committer(m)->when.time);
	for (k = 0; k < n; k++) {
		const crq_node *pk = policy_at(v, git_commit_parent_id(m, k),
			&present);
		git_oid kb;

		crq_node_free(pk_own);
		pk = pk_own = pk ? crq_node_dup(pk) : NULL;
		if (!pk)
			continue;
		crq_store__blob_at(&kb, v->repo, git_commit_parent_id(m, k),
			POLICY_PATH);
		for (q = 0; q < n; q++) {
			git_oid base, bb;
			int full;

			if (q == k || git_merge_base(&base, v->repo->git,
					git_commit_parent_id(m, k),
					git_commit_parent_id(m, q)) < 0)
				continue;
			crq_store__blob_at(&bb, v->repo, &base, POLICY_PATH);
			full = !git_oid_equal(&bb, &kb);
			/* what reaches the first parent's line is also asked,
			 * on the merge's day, whether its signer may still
			 * (grants run out), under the policy the merge puts
			 * in force */
			if (!full && k)
				continue;
			git_revwalk_free(walk);
			walk = NULL;
			if ((err = git_revwalk_new(&walk, v->repo->git)) < 0) {
				err = crq_store__git_error(err,
					"cannot walk history");
				goto done;
			}
			git_revwalk_push(walk, git_commit_parent_id(m, q));
			git_revwalk_hide(walk, git_commit_parent_id(m, k));
			while (git_revwalk_next(&sid, walk) == 0) {
				git_commit *sc = NULL;

				if (git_commit_lookup(&sc, v->repo->git,
						&sid) == 0)
					check_landing(v, id, sc, full ? pk :
						merged ? merged : pk, day, full);
				git_commit_free(sc);
			}
		}
	}
	check_merge_calendar(v, m);
	err = 0;
done:
	crq_node_free(merged_own);
	crq_node_free(pk_own);
	git_revwalk_free(walk);
	git_tree_free(mt);
	free(acc.files);
	free(blobs);
	free(modes);
	crq_node_free(paths);
	return err;
}

/* ---- the verdict cache ---- */

/* Commits the walk met, by id (open addressing): W_BAD, W_DESC. */
#define W_BAD 1		/* refused, or after a refused commit */
#define W_DESC 2	/* descends from the trusted root */

struct seen {
	git_oid id;
	int flags, used;
};

struct seenmap {
	struct seen *s;
	size_t n, a;
};

static struct seen *seen_at(struct seenmap *m, const git_oid *id, int add)
{
	size_t i;

	if (add && (m->n + 1) * 2 > m->a) {
		struct seen *old = m->s;
		size_t a = m->a;

		m->a = a ? a * 2 : 1024;
		m->s = crq__calloc(m->a, sizeof(*m->s));
		for (i = 0; i < a; i++)
			if (old[i].used)
				*seen_at(m, &old[i].id, 0) = old[i];
		free(old);
	}
	if (!m->a)
		return NULL;
	memcpy(&i, id->id, sizeof(i));
	for (i %= m->a; m->s[i].used; i = (i + 1) % m->a)
		if (git_oid_equal(&m->s[i].id, id))
			return &m->s[i];
	if (!add)
		return &m->s[i];	/* unused: not there */
	m->s[i].used = 1;
	git_oid_cpy(&m->s[i].id, id);
	m->n++;
	return &m->s[i];
}

static struct seen *seen_get(struct seenmap *m, const git_oid *id)
{
	struct seen *e = seen_at(m, id, 0);

	return e && e->used ? e : NULL;
}

/* A stamp of the rules a verdict was reached by: this build (the
 * linker's id of all of its code) and the schemas it read (the ids of
 * their bytes, which CRQ_DATADIR may change): what other rules made of
 * a commit is not this run's to trust.  The schemas are loaded. */
static unsigned long long build_stamp(crq_repo *repo)
{
	unsigned long long h = crq_nodebin__build_stamp();
	const unsigned char *ids[2];
	size_t i, k;

	ids[0] = repo->change_schema_id.id;
	ids[1] = repo->policy_schema_id.id;
	for (k = 0; k < 2; k++)
		for (i = 0; i < GIT_OID_RAWSZ; i++)
			h = (h ^ ids[k][i]) * 0x100000001b3ULL;
	return h;
}

/* The table of commits verified under root, by this build's rules: a
 * verdict reached by other rules is not this one's. */
static crq_table *verdict_table(crq_repo *repo, const git_oid *root)
{
	crq_buf name = CRQ_BUF_INIT;
	char hex[GIT_OID_HEXSZ + 1];
	crq_table *t;

	git_oid_tostr(hex, sizeof(hex), root);
	crq_buf_printf(&name, "verdicts-%016llx-%s", build_stamp(repo), hex);
	t = crq_cache__open(repo, name.ptr);
	crq_buf_dispose(&name);
	return t;
}

/* Walking back from tip, the commits where the walk may stop: the
 * root, and commits the table holds (they and all before them back to
 * the root were verified).  *reached: one was met, so tip descends
 * from the root. */
static int cache_frontier(git_oid **out, size_t *n, struct vctx *v,
	const git_oid *tip, const git_oid *root, int *reached)
{
	struct seenmap seen = { NULL, 0, 0 };
	git_oid *queue = NULL, id;
	size_t qn = 0, qa = 0, qi = 0, na = 0, len;
	git_commit *c = NULL;
	unsigned k;
	int err = 0;

	*out = NULL;
	*n = 0;
	*reached = 0;
	crq__grow((void **)&queue, &qa, 1, sizeof(*queue));
	git_oid_cpy(&queue[qn++], tip);
	seen_at(&seen, tip, 1);
	while (qi < qn) {
		git_oid_cpy(&id, &queue[qi++]);
		if (git_oid_equal(&id, root)) {
			*reached = 1;
			continue;
		}
		if (crq_cache__get(v->verdicts, &id, &len)) {
			*reached = 1;
			crq__grow((void **)out, &na, *n + 1, sizeof(**out));
			git_oid_cpy(&(*out)[(*n)++], &id);
			continue;
		}
		if ((err = git_commit_lookup(&c, v->repo->git, &id)) < 0) {
			err = crq_store__git_error(err, "cannot read commit");
			break;
		}
		for (k = 0; k < git_commit_parentcount(c); k++) {
			const git_oid *p = git_commit_parent_id(c, k);

			if (seen_get(&seen, p))
				continue;
			seen_at(&seen, p, 1);
			crq__grow((void **)&queue, &qa, qn + 1, sizeof(*queue));
			git_oid_cpy(&queue[qn++], p);
		}
		git_commit_free(c);
		c = NULL;
	}
	free(queue);
	free(seen.s);
	return err;
}

/* ---- emergency reviews owed at a tip ---- */

/* Does doc owe its emergency review (done, not yet reviewed)?  Its
 * deadline, or NULL. */
static const char *owes_review(const crq_node *doc)
{
	const char *t = crq_node_get_str(doc, "type");
	const char *st = crq_node_get_str(doc, "state");

	if (!t || strcmp(t, "emergency") || !st ||
	    (strcmp(st, "completed") && strcmp(st, "failed")))
		return NULL;
	return crq_node_get_str(doc, "review_due");
}

/* The emergency reviews owed at tip, as lines "ID\tDUE", into out.  A
 * table keeps them by tip: from one kept for from (an earlier tip),
 * only the change files that differ are read; with none, all
 * emergency changes are listed once. */
static void owed_at(crq_buf *out, struct vctx *v, crq_table *t,
	const git_oid *tip, const git_oid *froms, size_t nfrom)
{
	const git_oid *from = NULL;
	const char *kept;
	size_t len, i;
	crq_node *owed = crq_node_new(CRQ_NODE_OBJECT);
	git_commit *a = NULL, *b = NULL;
	git_tree *ta = NULL, *tb = NULL;
	struct diff_acc acc = { NULL, 0, 0, 0, NULL };
	int done = 0;

	if ((kept = crq_cache__get(t, tip, &len))) {
		crq_buf_put(out, kept, len);
		goto done;
	}
	for (i = 0; i < nfrom && !from; i++)
		if (crq_cache__get(t, &froms[i], &len))
			from = &froms[i];
	if (from && (kept = crq_cache__get(t, from, &len)) &&
	    git_commit_lookup(&a, v->repo->git, from) == 0 &&
	    git_commit_lookup(&b, v->repo->git, tip) == 0 &&
	    git_commit_tree(&ta, a) == 0 && git_commit_tree(&tb, b) == 0 &&
	    crq_delta(&acc, v->repo->git, ta, tb, 0) == 0) {
		const char *p = kept, *end = kept + len, *nl, *tab;

		while (p < end && (nl = memchr(p, '\n', (size_t)(end - p))) &&
		       (tab = memchr(p, '\t', (size_t)(nl - p)))) {
			char *id = crq__strndup(p, (size_t)(tab - p));

			crq_node_set(owed, id, crq_node_new_string(tab + 1,
				(size_t)(nl - tab - 1)));
			free(id);
			p = nl + 1;
		}
		for (i = 0; i < acc.count; i++) {
			char buf[64];
			const char *id = path_change(buf, acc.files[i].path);
			crq_node *doc = NULL;
			const char *due;

			if (!id)
				continue;
			crq_node_remove(owed, id);
			if (git_oid_is_zero(&acc.files[i].new_id) ||
			    load_change(&doc, v, &acc.files[i].new_id,
				acc.files[i].path, NULL) < 0) {
				crq_error_clear();
				continue;
			}
			if ((due = owes_review(doc)))
				crq_node_set(owed, id, crq_node_new_cstr(due));
			crq_node_free(doc);
		}
		done = 1;
	}
	crq_error_clear();
	if (!done) {
		crq_filter f;
		crq_node *all = NULL;
		const char *due;

		memset(&f, 0, sizeof(f));
		f.type = "emergency";
		/* the tip the walk verified, not the branch's (which may
		 * have moved, or not be the one asked for) */
		if (crq_change__list_at(&all, v->repo, tip, &f) < 0) {
			crq_error_clear();
			goto done;
		}
		for (i = 0; i < all->count; i++)
			if ((due = owes_review(all->items[i])) &&
			    crq_node_get_str(all->items[i], "id"))
				crq_node_set(owed, crq_node_get_str(
					all->items[i], "id"),
					crq_node_new_cstr(due));
		crq_node_free(all);
	}
	{
		/* by id, whatever order they were found in */
		size_t *ord = crq__calloc(owed->count + 1, sizeof(*ord)), k, j;

		for (i = 0; i < owed->count; i++) {
			for (k = i; k && strcmp(owed->keys[ord[k - 1]],
					owed->keys[i]) > 0; k--)
				ord[k] = ord[k - 1];
			ord[k] = i;
		}
		for (j = 0; j < owed->count; j++)
			crq_buf_printf(out, "%s\t%s\n", owed->keys[ord[j]],
				owed->items[ord[j]]->str);
		free(ord);
	}
	crq_cache__put(t, tip, out->ptr ? out->ptr : "", out->size);
	crq_cache__flush(t);
done:
	free(acc.files);
	git_tree_free(ta);
	git_tree_free(tb);
	git_commit_free(a);
	git_commit_free(b);
	crq_node_free(owed);
}

/* ---- the walk ---- */

/* .git/crq/NAME: a commit id kept between runs, and after it, when
 * high is not NULL, a number (the verified tip's high-water time: a
 * walk resumed after the tip must see the clock as the whole walk
 * would); 0 when the file or the number is missing or malformed. */
static int state_read_high(git_oid *out, long long *high, crq_repo *repo,
	const char *name)
{
	crq_buf path = CRQ_BUF_INIT, text = CRQ_BUF_INIT;
	int ok;

	crq_buf_printf(&path, "%s/crq/%s", repo->gitdir, name);
	ok = crq_buf_read_file(&text, path.ptr, 128) == 0 &&
		text.size >= GIT_OID_HEXSZ &&
		git_oid_fromstrn(out, text.ptr, GIT_OID_HEXSZ) == 0;
	if (ok && high) {
		const char *p = crq_buf_cstr(&text) + GIT_OID_HEXSZ;
		char *end;

		ok = *p == ' ' && p[1] >= '0' && p[1] <= '9';
		if (ok) {
			errno = 0;
			*high = strtoll(p + 1, &end, 10);
			ok = errno == 0 && *end == ' ';
		}
		/* and the stamp of the rules it was verified by */
		if (ok) {
			char want[20];

			snprintf(want, sizeof(want), "%016llx", build_stamp(repo));
			ok = !strncmp(end + 1, want, 16) && end[17] == '\n' &&
				!end[18];
		}
	}
	crq_error_clear();
	crq_buf_dispose(&path);
	crq_buf_dispose(&text);
	return ok;
}

static int state_read(git_oid *out, crq_repo *repo, const char *name)
{
	return state_read_high(out, NULL, repo, name);
}

/* Write .git/crq/NAME: id, and high when it is not negative. */
static void state_write_high(crq_repo *repo, const char *name,
	const git_oid *id, long long high)
{
	crq_buf path = CRQ_BUF_INIT, tmp = CRQ_BUF_INIT;
	char hex[GIT_OID_HEXSZ + 1];
	FILE *f;

	crq_buf_printf(&path, "%s/crq", repo->gitdir);
	mkdir(path.ptr, 0777);
	crq_buf_printf(&path, "/%s", name);
	crq_buf_printf(&tmp, "%s.tmp", path.ptr);
	git_oid_tostr(hex, sizeof(hex), id);
	if ((f = fopen(tmp.ptr, "w"))) {
		if (high >= 0)
			fprintf(f, "%s %lld %016llx\n", hex, high,
				build_stamp(repo));
		else
			fprintf(f, "%s\n", hex);
		/* best effort: a cache that cannot be written only costs time */
		if (fclose(f) == 0)
			rename(tmp.ptr, path.ptr);
		else
			unlink(tmp.ptr);
	}
	crq_buf_dispose(&path);
	crq_buf_dispose(&tmp);
}

static void state_write(crq_repo *repo, const char *name, const git_oid *id)
{
	state_write_high(repo, name, id, -1);
}

/* A revision as a commit (annotated tags verify as their target). */
static int peel(git_oid *out, crq_repo *repo, const char *rev)
{
	git_object *o = NULL, *c = NULL;
	int err;

	if (git_revparse_single(&o, repo->git, rev) < 0 ||
	    git_object_peel(&c, o, GIT_OBJECT_COMMIT) < 0)
		err = crq_error__set(CRQ_EREPO, "cannot resolve '%s'", rev);
	else {
		git_oid_cpy(out, git_object_id(c));
		err = 0;
	}
	git_object_free(c);
	git_object_free(o);
	return err;
}

/* The commit that introduced the policy on tip's first-parent history. */
static int find_root(git_oid *out, crq_repo *repo, const git_oid *tip,
	const char *name)
{
	git_oid c, p;
	git_commit *commit = NULL;
	int found = 0;

	/* the oldest commit with a policy along the first parents, not
	 * the newest: a history that deleted the policy and brought in
	 * another one must be judged from the store's own beginning */
	git_oid_cpy(&c, tip);
	for (;;) {
		crq_store__blob_at(&p, repo, &c, POLICY_PATH);
		if (!git_oid_is_zero(&p)) {
			git_oid_cpy(out, &c);
			found = 1;
		}
		if (git_commit_lookup(&commit, repo->git, &c) < 0 ||
		    !git_commit_parentcount(commit))
			break;
		git_oid_cpy(&c, git_commit_parent_id(commit, 0));
		git_commit_free(commit);
		commit = NULL;
	}
	git_commit_free(commit);
	return found ? 0 : crq_error__set(CRQ_EREPO, "no crq policy on '%s'",
		name);
}

int crq_repo_pin_trust(crq_buf *out, crq_repo *repo, const char *rev)
{
	git_oid tip, root;
	git_config *cfg = NULL;
	char hex[GIT_OID_HEXSZ + 1];
	int err;

	if ((err = peel(&tip, repo, rev ? rev : repo->branch)) < 0 ||
	    (err = find_root(&root, repo, &tip, rev ? rev :
			crq_store__branch_name(repo))) < 0)
		return err;
	git_oid_tostr(hex, sizeof(hex), &root);
	if ((err = git_repository_config(&cfg, repo->git)) < 0 ||
	    (err = git_config_set_string(cfg, "crq.trust", hex)) < 0)
		err = crq_store__git_error(err, "cannot write crq.trust");
	git_config_free(cfg);
	if (!err)
		crq_buf_puts(out, hex);
	return err;
}

static int count_ref(const char *name, void *payload)
{
	(void)name;
	(*(int *)payload)++;
	return 0;
}

/* Shallow and partial clones lack the history verify must read. */
static int whole_history(crq_repo *repo)
{
	crq_buf v = CRQ_BUF_INIT;
	int partial = crq_repo_config(&v, repo, "extensions.partialclone") == 0;

	crq_buf_dispose(&v);
	crq_error_clear();
	if (git_repository_is_shallow(repo->git) == 1 || partial)
		return crq_error__set(CRQ_EREPO,
			"this clone is %s: crq verify needs the whole history\n"
			"hint: fetch the whole history (git fetch --unshallow; in CI fetch-depth: 0)",
			partial ? "partial" : "shallow");
	return 0;
}

static int verify_run(crq_verify_result *res, crq_repo *repo,
	const crq_verify_options *opts);

/*
 * The walk reads every commit and tree it judges without hashing each
 * again (libgit2's strict verification: a quarter of a cold walk).
 * Every object came in through git's own checks: index-pack hashes
 * what a push or fetch brings (with SHA-1 collision detection), and
 * the pre-receive hook judges those very objects.  git log and git
 * verify-commit do not re-hash either; what a disk or someone with
 * write access to .git changes afterwards is git fsck's to find.  The
 * option is process-wide: restored when the run ends.
 */
int crq_verify_run(crq_verify_result *res, crq_repo *repo,
	const crq_verify_options *opts)
{
	int err;

	git_libgit2_opts(GIT_OPT_ENABLE_STRICT_HASH_VERIFICATION, 0);
	err = verify_run(res, repo, opts);
	git_libgit2_opts(GIT_OPT_ENABLE_STRICT_HASH_VERIFICATION, 1);
	return err;
}

static int verify_run(crq_verify_result *res, crq_repo *repo,
	const crq_verify_options *opts)
{
	crq_verify_options none = CRQ_VERIFY_OPTIONS_INIT;
	struct vctx v;
	git_revwalk *walk = NULL;
	git_commit *c = NULL;
	crq_buf cfg = CRQ_BUF_INIT, now = CRQ_BUF_INIT;
	struct diff_acc acc = { NULL, 0, 0, 0, NULL };
	crq_table *vt = NULL;
	git_oid tip, root, verified, vroot, base, id, *frontier = NULL;
	struct seenmap walked = { NULL, 0, 0 };
	struct sig_pool *pool = NULL;
	git_oid *order = NULL;
	const char *name;
	size_t i, nfrontier = 0, nfrontier_alloc = 0, norder = 0,
		norder_alloc = 0, wi, nunsigned = 0;
	long long vhigh = 0;
	int err, have_root = 0, cacheable, resume = 0, pin = 0, reached = 0,
		record = 0, nreplace = 0, uncached = 0;

	if (!opts)
		opts = &none;
	name = opts->rev ? opts->rev : crq_store__branch_name(repo);
	memset(&v, 0, sizeof(v));
	v.repo = repo;
	v.out = res;
	v.opts = opts;
	v.editors = crq__calloc(1, sizeof(*v.editors));
	crq_store__now(&now, repo);
	crq_store__parse_time(now.ptr, &v.now);
	if ((err = crq_repo_change_schema(&v.schema, repo)) < 0 ||
	    (err = crq_store__policy_schema(&v.pschema, repo)) < 0 ||
	    (err = whole_history(repo)) < 0 ||
	    (err = peel(&tip, repo, opts->rev ? opts->rev : repo->branch)) < 0)
		goto done;
	/* the trusted root comes from outside the history */
	if (opts->trust) {
		if ((err = peel(&root, repo, opts->trust)) < 0) {
			err = crq_error__set(CRQ_EREPO,
				"cannot resolve trusted commit '%s'",
				opts->trust);
			goto done;
		}
		have_root = 1;
	} else if (crq_repo_config(&cfg, repo, "crq.trust") == 0) {
		if ((err = peel(&root, repo, cfg.ptr)) < 0) {
			err = crq_error__set(CRQ_EREPO,
				"cannot resolve crq.trust '%s'", cfg.ptr);
			goto done;
		}
		have_root = 1;
	} else if (opts->require_trust) {
		err = crq_error__set(CRQ_EREPO,
			"no trusted root: in CI crq verify needs one from outside the history\n"
			"hint: pass --trust COMMIT (the store's first commit) from a CI variable, or set git config crq.trust");
		goto done;
	} else if (state_read(&root, repo, "trust")) {
		have_root = 1;
	}
	crq_error_clear();
	if (!have_root) {
		if ((err = find_root(&root, repo, &tip, name)) < 0)
			goto done;
		pin = !opts->rev && !repo->detached;
	}
	git_oid_tostr(res->root, sizeof(res->root), &root);
	/* a detached HEAD is a look at one commit, not the branch this
	 * clone follows: its tip is not remembered */
	cacheable = !opts->rev && !opts->base && !opts->full &&
		!repo->detached;
	/* the verdicts of commits verified before under this root: the walk
	 * stops at them (a full walk reads every step, but records too) */
	vt = verdict_table(repo, &root);
	if (!opts->full && !opts->on_step)
		v.verdicts = vt;
	/* the remembered tip's high-water time comes with it: a file
	 * without one (an older crq's) is not resumed from */
	if (cacheable && state_read_high(&verified, &vhigh, repo, "verified") &&
	    state_read(&vroot, repo, "verified-root") &&
	    git_oid_equal(&vroot, &root)) {
		if (git_oid_equal(&verified, &tip) ||
		    git_graph_descendant_of(repo->git, &tip, &verified) == 1)
			resume = 1;
		else
			violation(&v, &verified, NULL, "rewrite",
				"the last verified tip is no longer in the history (rollback or force push)");
		/* with the table the walk stops at what it holds; a
		 * remembered tip it does not hold (a cleared cache) is
		 * walked past, so that the table is filled again */
		if (v.verdicts && !crq_cache__get(v.verdicts, &verified, &i))
			resume = 0;
		/* a tip verified by a clock later than this one: what it
		 * stands on may be "in the future" here, which only a walk
		 * that reads it again can say */
		if (vhigh > v.now + FUTURE_SLACK)
			resume = 0;
		if (resume)
			hw_put(&v, &verified, vhigh);
	}
	if (crq_cache__count(v.verdicts) &&
	    (err = cache_frontier(&frontier, &nfrontier, &v, &tip, &root,
			&reached)) < 0)
		goto done;
	/* the same for recorded commits: their high-water times say
	 * whether one is later than this clock allows; then this run reads
	 * everything again, as a walk without the table would */
	for (i = 0; i < nfrontier; i++)
		if (hw_get(&v, &frontier[i]) > v.now + FUTURE_SLACK) {
			nfrontier = 0;
			reached = 0;
			v.verdicts = NULL;
			break;
		}
	nfrontier_alloc = nfrontier;
	/* a tip after one verified under this root descends from it too:
	 * only a fresh walk needs the (whole-history) ancestry check */
	if (!resume && !reached && !git_oid_equal(&root, &tip) &&
	    git_graph_descendant_of(repo->git, &tip, &root) != 1) {
		violation(&v, &tip, NULL, "root",
			"the history does not descend from the trusted root %s\n"
			"hint: a re-rooted or rewritten store; fetch the real one",
			res->root);
		err = 0;
		goto done;
	}
	if (pin) {
		state_write(repo, "trust", &root);
		res->pinned = 1;
	}
	/* git shows a replaced object's stand-in; verify (libgit2) reads
	 * the real one: the two would not be judging the same history */
	{
		int replaced = 0;

		git_reference_foreach_glob(repo->git, "refs/replace/*",
			count_ref, &replaced);
		crq_buf_clear(&cfg);
		crq_buf_printf(&cfg, "%s/info/grafts", repo->gitdir);
		nreplace = replaced || access(cfg.ptr, F_OK) == 0;
		if (access(cfg.ptr, F_OK) == 0)
			violation(&v, &tip, NULL, "replace-ref",
				"%s makes git show another history than the one verified\n"
				"hint: remove it", cfg.ptr);
		if (replaced)
			violation(&v, &tip, NULL, "replace-ref",
				"%d replace ref%s (refs/replace/) make git show another history than the one verified\n"
				"hint: git replace -d them, or fetch a clone without them",
				replaced, replaced == 1 ? "" : "s");
	}
	if ((err = git_revwalk_new(&walk, repo->git)) < 0) {
		err = crq_store__git_error(err, "cannot walk history");
		goto done;
	}
	git_revwalk_sorting(walk, GIT_SORT_TOPOLOGICAL | GIT_SORT_REVERSE);
	if ((err = git_revwalk_push(walk, &tip)) < 0 ||
	    (err = git_revwalk_hide(walk, &root)) < 0 ||
	    (resume && (err = git_revwalk_hide(walk, &verified)) < 0)) {
		err = crq_store__git_error(err, "cannot walk history");
		goto done;
	}
	for (i = 0; i < nfrontier; i++)
		if ((err = git_revwalk_hide(walk, &frontier[i])) < 0) {
			err = crq_store__git_error(err, "cannot walk history");
			goto done;
		}
	if (opts->base) {
		if ((err = peel(&base, repo, opts->base)) < 0 ||
		    (err = git_revwalk_hide(walk, &base)) < 0) {
			err = err == CRQ_EREPO ? err :
				crq_store__git_error(err, "cannot walk history");
			goto done;
		}
	}
	/* what the walk finds legal is recorded when all it stands on was
	 * verified: not over an unverified base, nor when git would show
	 * another history than the one read */
	record = vt && !nreplace && (!opts->base ||
		git_oid_equal(&base, &root) ||
		crq_cache__get(vt, &base, &i));
	/* the order first: the signatures ahead are checked meanwhile */
	while ((err = git_revwalk_next(&id, walk)) == 0) {
		crq__grow((void **)&order, &norder_alloc, norder + 1,
			sizeof(*order));
		git_oid_cpy(&order[norder++], &id);
	}
	if (err != GIT_ITEROVER) {
		err = crq_store__git_error(err, "cannot walk history");
		goto done;
	}
	/* a long walk reads each commit once: no object cache (see
	 * crq_store__walk_uncached) */
	if (norder > uncached_walk()) {
		crq_store__walk_uncached(1);
		uncached = 1;
		acc.memo = crq__calloc(1, sizeof(*acc.memo));
	}
	pool = sig_pool_start(repo, order, norder);
	for (wi = 0; wi < norder; wi++) {
		const git_signature *cm;
		crq_node *trailers = NULL;
		crq_buf tp = CRQ_BUF_INIT;
		long long high;
		unsigned k, n;
		size_t nviol = res->count;

		git_oid_cpy(&id, &order[wi]);
		if (pool) {
			v.sig = sig_pool_take(pool, wi, repo->git);
			git_oid_cpy(&v.sig_id, &id);
		}
		git_commit_free(c);
		c = NULL;
		if ((err = git_commit_lookup(&c, repo->git, &id)) < 0) {
			err = crq_store__git_error(err, "cannot read commit");
			goto done;
		}
		cm = git_commit_committer(c);
		n = git_commit_parentcount(c);
		/* the editors the walk keeps are exact along a line only */
		if (n != 1 || !wi || !git_oid_equal(git_commit_parent_id(c, 0),
				&order[wi - 1]))
			v.epoch++;
		v.stepped = 0;
		crq_commit__trailers(&trailers, &tp, git_commit_message(c));
		if ((long long)cm->when.time > v.now + FUTURE_SLACK)
			violation(&v, &id, tr(trailers, "Crq-Change"), "time",
				"committed in the future (%lld s ahead of this clock)",
				(long long)cm->when.time - v.now);
		/* the latest time before this commit, on any path: a code
		 * commit dated back does not reset the clock for the step
		 * after it */
		{
			long long before = 0, t;

			for (k = 0; k < n; k++) {
				t = hw_get(&v, git_commit_parent_id(c, k));
				before = t > before ? t : before;
			}
			hw_put(&v, &id, (long long)cm->when.time > before ?
				(long long)cm->when.time : before);
			high = before;
		}
		if (n > 1) {
			if ((long long)cm->when.time < high)
				violation(&v, &id, NULL, "time",
					"committer time goes backwards");
			err = check_merge(&v, c, trailers);
		} else {
			git_tree *t = NULL, *pt = NULL;
			git_commit *p = NULL;

			if ((err = memo_tree(&t, repo->git, acc.memo,
					git_commit_tree_id(c))) < 0 ||
			    (n && ((err = git_commit_parent(&p, c, 0)) < 0 ||
				   (err = memo_tree(&pt, repo->git, acc.memo,
					git_commit_tree_id(p))) < 0)))
				err = crq_store__git_error(err,
					"cannot read commit");
			else
				err = crq_delta(&acc, repo->git, pt, t, 1);
			if (!err && (acc.count || trailers->count || tp.size)) {
				if ((long long)cm->when.time < high)
					violation(&v, &id,
						tr(trailers, "Crq-Change"),
						"time",
						"committer time goes backwards");
				check_step(&v, c, &acc, trailers, tp.ptr,
					nviol);
				/* a step on a change not taken as one: what
				 * the walk holds of its editors is not what
				 * its trailers say to crq_workflow__editors */
				if (tr(trailers, "Crq-Change") &&
				    (!v.stepped || res->count > nviol)) {
					struct eds_entry *e = eds_entry(
						v.editors, tr(trailers,
						"Crq-Change"), 0);

					if (e)
						e->stamped = 0;
				}
			}
			git_tree_free(t);
			git_tree_free(pt);
			git_commit_free(p);
		}
		crq_node_free(trailers);
		crq_buf_dispose(&tp);
		if (err < 0)
			goto done;
		if (v.cannot) {
			char hex[GIT_OID_HEXSZ + 1];

			git_oid_tostr(hex, sizeof(hex), &id);
			err = crq_error__set(CRQ_EREPO,
				"cannot judge commit %s on this machine: %s",
				hex, v.cannot);
			goto done;
		}
		/* a commit is good when nothing was refused in it or before
		 * it; it is recorded when it also descends from the root */
		if (vt) {
			int fl = res->count > nviol ? W_BAD : 0;
			size_t len;

			for (k = 0; k < n; k++) {
				const git_oid *p = git_commit_parent_id(c, k);
				const struct seen *pw = seen_get(&walked, p);

				if (pw)
					fl |= pw->flags;
				else if (git_oid_equal(p, &root) ||
					 crq_cache__get(vt, p, &len))
					fl |= W_DESC;
			}
			seen_at(&walked, &id, 1)->flags = fl;
			if (record && fl == W_DESC) {
				unsigned char val[8];

				crq_cache__put64(val,
					(unsigned long long)hw_get(&v, &id));
				crq_cache__put(vt, &id, val, sizeof(val));
			}
		}
		if (pool) {
			nunsigned += v.sig->rc == 1;
			v.sig = NULL;
			sig_pool_release(pool, wi);
			/* mostly commits without a signature (code): reading
			 * each twice costs more than the threads save */
			if (wi % 256 == 255) {
				if (nunsigned > 192) {
					sig_pool_stop(pool);
					pool = NULL;
				}
				nunsigned = 0;
			}
		}
	}
	sig_pool_stop(pool);
	pool = NULL;
	if (uncached) {
		crq_store__walk_uncached(0);
		uncached = 0;
	}
	/* emergency reviews still owed past their deadline, at the tip */
	if (!opts->rev && !opts->base) {
		crq_buf owed = CRQ_BUF_INIT, nowstr = CRQ_BUF_INIT;
		crq_table *ot;
		char oname[40];
		const char *p, *nl, *tab;

		/* by this build, as the verdicts are */
		snprintf(oname, sizeof(oname), "owed-v1-%016llx",
			build_stamp(repo));
		ot = crq_cache__open(repo, oname);

		crq_store__now(&nowstr, repo);
		/* from what was kept for the last verified tip, or for a
		 * commit the walk stopped at */
		crq__grow((void **)&frontier, &nfrontier_alloc, nfrontier + 1,
			sizeof(*frontier));
		if (resume)
			git_oid_cpy(&frontier[nfrontier++], &verified);
		owed_at(&owed, &v, ot, &tip, frontier, nfrontier);
		for (p = crq_buf_cstr(&owed); (nl = strchr(p, '\n')) &&
				(tab = memchr(p, '\t', (size_t)(nl - p)));
				p = nl + 1) {
			crq_buf cid = CRQ_BUF_INIT, due = CRQ_BUF_INIT;

			crq_buf_put(&cid, p, (size_t)(tab - p));
			crq_buf_put(&due, tab + 1, (size_t)(nl - tab - 1));
			if (strcmp(due.ptr, nowstr.ptr) < 0)
				violation(&v, &tip, cid.ptr, "review-overdue",
					"the emergency review was due %s",
					due.ptr);
			crq_buf_dispose(&cid);
			crq_buf_dispose(&due);
		}
		crq_cache__close(ot);
		crq_buf_dispose(&owed);
		crq_buf_dispose(&nowstr);
	}
	if (cacheable && res->count == 0) {
		state_write_high(repo, "verified", &tip, hw_get(&v, &tip));
		state_write(repo, "verified-root", &root);
	}
	if (record)
		crq_cache__flush(vt);
	err = 0;
done:
	sig_pool_stop(pool);
	if (uncached)
		crq_store__walk_uncached(0);
	free(order);
	crq_cache__close(vt);
	free(frontier);
	free(walked.s);
	for (i = 0; i < v.npol; i++)
		crq_node_free(v.pol[i].doc);
	for (i = 0; i < v.ntmpl; i++)
		crq_node_free(v.tmpl[i].doc);
	free(acc.files);
	memo_free(acc.memo);
	free(v.hw);
	eds_free(v.editors);
	free(v.cannot);
	crq_node_free(v.others);
	git_commit_free(c);
	git_revwalk_free(walk);
	crq_buf_dispose(&cfg);
	crq_buf_dispose(&now);
	return err;
}

static int resolve(git_oid *out, crq_repo *repo, const char *rev)
{
	git_object *o = NULL;
	int err = git_revparse_single(&o, repo->git, rev);

	if (err < 0)
		return crq_error__set(CRQ_EREPO, "cannot resolve '%s'", rev);
	git_oid_cpy(out, git_object_id(o));
	git_object_free(o);
	return 0;
}

int crq_repo_descends(crq_repo *repo, const char *b, const char *a)
{
	git_oid ob, oa;
	int err;

	if ((err = resolve(&ob, repo, b)) < 0 ||
	    (err = resolve(&oa, repo, a)) < 0)
		return err;
	if (git_oid_equal(&ob, &oa))
		return 1;
	err = git_graph_descendant_of(repo->git, &ob, &oa);
	return err < 0 ? crq_store__git_error(err, "cannot walk history") :
		err;
}

int crq_repo_has_policy(crq_repo *repo, const char *rev)
{
	git_oid id;
	crq_buf text = CRQ_BUF_INIT;
	int err;

	if ((err = resolve(&id, repo, rev)) < 0)
		return err;
	{
		git_object *o = NULL;
		git_commit *c = NULL;

		/* peel to a commit */
		if (git_object_lookup(&o, repo->git, &id, GIT_OBJECT_ANY) < 0 ||
		    git_object_peel((git_object **)&c, o, GIT_OBJECT_COMMIT) < 0) {
			git_object_free(o);
			return 0;
		}
		git_oid_cpy(&id, git_commit_id(c));
		git_commit_free(c);
		git_object_free(o);
	}
	err = crq_store__read(repo, &id, POLICY_PATH, &text, NULL);
	crq_buf_dispose(&text);
	return err == 0 ? 1 : err == CRQ_ENOTFOUND ? 0 : err;
}

/* ---- the pull-request gate ---- */

int crq_merge_base(crq_buf *out, crq_repo *repo, const char *a,
	const char *b)
{
	git_oid oa, ob, mb;
	char hex[GIT_OID_HEXSZ + 1];
	int err;

	if ((err = resolve(&oa, repo, a)) < 0 ||
	    (err = resolve(&ob, repo, b)) < 0)
		return err;
	if ((err = git_merge_base(&mb, repo->git, &oa, &ob)) < 0)
		return err == GIT_ENOTFOUND ? crq_error__set(CRQ_EREPO,
			"'%s' and '%s' share no history", a, b) :
			crq_store__git_error(err, "cannot find merge base");
	git_oid_tostr(hex, sizeof(hex), &mb);
	crq_buf_puts(out, hex);
	return 0;
}

int crq_change_status(crq_node **out, crq_repo *repo, const char *base,
	const char *head)
{
	git_oid ob, oh;
	git_commit *cb = NULL, *ch = NULL;
	git_tree *tb = NULL, *th = NULL;
	struct diff_acc acc = { NULL, 0, 0, 0, NULL };
	crq_node *list = crq_node_new(CRQ_NODE_ARRAY), *policy = NULL;
	crq_buf text = CRQ_BUF_INIT;
	const crq_schema *schema, *pschema;
	size_t i, j;
	int err;

	*out = NULL;
	if ((err = resolve(&ob, repo, base)) < 0 ||
	    (err = resolve(&oh, repo, head)) < 0 ||
	    (err = crq_repo_change_schema(&schema, repo)) < 0 ||
	    (err = crq_store__policy_schema(&pschema, repo)) < 0)
		goto done;
	if ((err = git_commit_lookup(&cb, repo->git, &ob)) < 0 ||
	    (err = git_commit_lookup(&ch, repo->git, &oh)) < 0 ||
	    (err = git_commit_tree(&tb, cb)) < 0 ||
	    (err = git_commit_tree(&th, ch)) < 0 ||
	    (err = crq_delta(&acc, repo->git, tb, th, 0)) < 0) {
		err = crq_store__git_error(err, "cannot compare");
		goto done;
	}
	if ((err = crq_store__read(repo, &oh, POLICY_PATH, &text, NULL)) < 0 ||
	    (err = crq_policy__parse(&policy, pschema, text.ptr, text.size,
			POLICY_PATH, NULL)) < 0)
		goto done;
	/* the files that differ: only the subtrees whose ids differ are
	 * read (a tree-to-tree diff reads every shard) */
	for (i = 0; i < acc.count; i++) {
		const char *path = acc.files[i].path;
		crq_node *doc = NULL, *s, *by;
		const crq_node *apps;
		crq_buf blob = CRQ_BUF_INIT, missing = CRQ_BUF_INIT;
		const char *state, *type;

		if (strncmp(path, "changes/", 8) ||
		    git_oid_is_zero(&acc.files[i].new_id))
			continue;
		if (crq_store__read(repo, &oh, path, &blob, NULL) < 0 ||
		    crq_change_parse_with(&doc, schema, blob.ptr, blob.size,
			path, NULL) < 0) {
			crq_buf_dispose(&blob);
			continue;	/* verify reports it */
		}
		crq_buf_dispose(&blob);
		s = crq_node_new(CRQ_NODE_OBJECT);
		state = crq_node_get_str(doc, "state");
		type = crq_node_get_str(doc, "type");
		crq_node_set(s, "id", crq_node_dup(crq_node_get(doc, "id")));
		crq_node_set(s, "state", crq_node_new_cstr(state));
		crq_node_set(s, "type", crq_node_new_cstr(type));
		by = crq_node_new(CRQ_NODE_ARRAY);
		apps = crq_node_get(doc, "approvals");
		for (j = 0; apps && j < apps->count; j++)
			crq_node_push(by, crq_node_new_cstr(
				crq_node_get_str(apps->items[j], "by")));
		crq_node_set(s, "approvals", by);
		if ((!strcmp(state, "submitted") || !strcmp(state, "assessed")) &&
		    strcmp(type, "standard") &&
		    crq_workflow__approved(&missing, repo, policy, doc) == 0)
			crq_node_set(s, "needs", crq_node_new_cstr(missing.ptr));
		crq_buf_dispose(&missing);
		crq_node_push(list, s);
		crq_node_free(doc);
	}
	*out = list;
	list = NULL;
	err = 0;
done:
	crq_node_free(list);
	crq_node_free(policy);
	crq_buf_dispose(&text);
	free(acc.files);
	git_tree_free(tb);
	git_tree_free(th);
	git_commit_free(cb);
	git_commit_free(ch);
	return err;
}
