/*
 * change.c - the change request model: ids and paths, parsing, the
 * canonical layout, and creating, editing and listing changes.
 */
#include <ctype.h>
#include <pthread.h>
#include <unistd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "change.h"

int crq_change__closed(const char *state)
{
	return !state || !strcmp(state, "closed") ||
		!strcmp(state, "cancelled") || !strcmp(state, "rejected");
}

int crq_change_parse_with(crq_node **out, const crq_schema *schema,
	const char *text, size_t len, const char *name, crq_issues *issues)
{
	return crq_doc__parse(out, schema, text, len, name, issues,
		1, NULL);
}

int crq_change_parse(crq_node **out, crq_repo *repo, const char *text,
	size_t len, const char *name, crq_issues *issues)
{
	const crq_schema *schema;
	int err;

	*out = NULL;
	if ((err = crq_repo_change_schema(&schema, repo)) < 0)
		return err;
	return crq_change_parse_with(out, schema, text, len, name, issues);
}

int crq_change_type_fields(crq_repo *repo, crq_node *fields,
	const char *name)
{
	const crq_schema *schema;
	crq_issues issues;
	int err;

	if ((err = crq_repo_change_schema(&schema, repo)) < 0)
		return err;
	crq_issues_init(&issues);
	if (crq_schema_type(schema, fields, &issues) < 0 && issues.count)
		err = crq_doc__issues_error(&issues, name);
	crq_issues_dispose(&issues);
	return err;
}

/* ---- ids and paths ---- */

static int parse_id(unsigned long long *num, crq_repo *repo, const char *id)
{
	const crq_node *policy;
	size_t plen, i;
	int err;

	if ((err = crq_policy__tip(&policy, repo)) < 0)
		return err;
	plen = strlen(repo->prefix);
	if (strncmp(id, repo->prefix, plen) || id[plen] != '-')
		goto bad;
	for (i = plen + 1; id[i]; i++)
		if (!isdigit((unsigned char)id[i]))
			goto bad;
	if (i - plen - 1 < 6 || i - plen - 1 > 18)
		goto bad;
	*num = strtoull(id + plen + 1, NULL, 10);
	return 0;
bad:
	return crq_error__set(CRQ_EINVALID,
		"'%s' is not a change id of this store (expected %s-NNNNNN)",
		id, repo->prefix);
}

static void path_for(crq_buf *out, crq_repo *repo, unsigned long long num)
{
	crq_buf_printf(out, "changes/%03llu/%s-%06llu.yaml",
		num / repo->shard_size, repo->prefix, num);
}

int crq_change_path(crq_buf *out, crq_repo *repo, const char *id)
{
	unsigned long long num = 0;
	int err = parse_id(&num, repo, id);

	if (err < 0)
		return err;
	path_for(out, repo, num);
	return 0;
}

/* Load change id at commit (tip when NULL); text/blob optional. */
int crq_change__load_at(crq_node **out, crq_repo *repo, const git_oid *commit,
	const char *id, crq_buf *text_out, git_oid *blob)
{
	crq_buf path = CRQ_BUF_INIT, text = CRQ_BUF_INIT;
	const crq_node *idn;
	int err;

	*out = NULL;
	if ((err = crq_change_path(&path, repo, id)) < 0)
		goto done;
	if ((err = crq_store__read(repo, commit, path.ptr, &text, blob)) < 0) {
		if (err == CRQ_ENOTFOUND)
			err = crq_error__set(CRQ_ENOTFOUND,
				"no such change '%s'", id);
		goto done;
	}
	if ((err = crq_change_parse(out, repo, text.ptr, text.size, path.ptr,
			NULL)) < 0)
		goto done;
	idn = crq_node_get(*out, "id");
	if (!idn || idn->kind != CRQ_NODE_STRING || strcmp(idn->str, id)) {
		err = crq_error__set(CRQ_EINVALID,
			"%s: id does not match the file name", path.ptr);
		crq_node_free(*out);
		*out = NULL;
		goto done;
	}
	if (text_out)
		crq_buf_put(text_out, text.ptr, text.size);
done:
	crq_buf_dispose(&path);
	crq_buf_dispose(&text);
	return err;
}

int crq_change_load(crq_node **out, crq_repo *repo, const char *id)
{
	return crq_change__load_at(out, repo, NULL, id, NULL, NULL);
}

/* The changes/ tree of commit; *out is NULL when there is none. */
static int changes_tree(git_tree **out, crq_repo *repo, const git_oid *commit)
{
	git_commit *c = NULL;
	git_tree *root = NULL;
	git_tree_entry *e = NULL;
	int err;

	*out = NULL;
	if ((err = git_commit_lookup(&c, repo->git, commit)) < 0 ||
	    (err = git_commit_tree(&root, c)) < 0) {
		err = crq_store__git_error(err, "cannot read commit");
		goto done;
	}
	err = git_tree_entry_bypath(&e, root, "changes");
	if (err == GIT_ENOTFOUND) {
		err = 0;
		goto done;
	}
	if (err < 0 || (err = git_tree_lookup(out, repo->git,
			git_tree_entry_id(e))) < 0)
		err = crq_store__git_error(err, "cannot read changes/");
done:
	git_tree_entry_free(e);
	git_tree_free(root);
	git_commit_free(c);
	return err;
}

/* Call fn for each file in a shard folder of changes/ at commit, in
 * tree order; a negative return stops with it. */
static int each_change_file(crq_repo *repo, const git_oid *commit,
	int (*fn)(const git_tree_entry *shard, const git_tree_entry *file,
		void *payload), void *payload)
{
	git_tree *changes = NULL, *shard = NULL;
	size_t s, i;
	int err;

	if ((err = changes_tree(&changes, repo, commit)) < 0 || !changes)
		return err;
	for (s = 0; s < git_tree_entrycount(changes); s++) {
		const git_tree_entry *se = git_tree_entry_byindex(changes, s);

		if (git_tree_entry_type(se) != GIT_OBJECT_TREE)
			continue;
		git_tree_free(shard);
		shard = NULL;
		if ((err = git_tree_lookup(&shard, repo->git,
				git_tree_entry_id(se))) < 0) {
			err = crq_store__git_error(err, "cannot read shard");
			goto done;
		}
		for (i = 0; i < git_tree_entrycount(shard); i++) {
			const git_tree_entry *fe =
				git_tree_entry_byindex(shard, i);

			if (git_tree_entry_type(fe) == GIT_OBJECT_BLOB &&
			    (err = fn(se, fe, payload)) < 0)
				goto done;
		}
	}
	err = 0;
done:
	git_tree_free(shard);
	git_tree_free(changes);
	return err;
}

/* ---- the changes that hold a window (scheduled, implementing) ---- */

/* By blob: the parsed change when it is live, NULL when it is not.
 * Open addressing; a blob never changes, so entries stay valid. */
struct live_slot {
	git_oid blob;
	crq_node *doc;
	int used;
};

struct crq_live {
	struct live_slot *slots;
	size_t n, alloc;
};

void crq_change__live_free(struct crq_live *l)
{
	size_t i;

	if (!l)
		return;
	for (i = 0; i < l->alloc; i++)
		crq_node_free(l->slots[i].doc);
	free(l->slots);
	free(l);
}

static struct live_slot *live_slot(struct crq_live *l, const git_oid *id)
{
	size_t h, mask = l->alloc - 1;

	memcpy(&h, id->id, sizeof(h));
	for (h &= mask; l->slots[h].used; h = (h + 1) & mask)
		if (git_oid_equal(&l->slots[h].blob, id))
			break;
	return &l->slots[h];
}

static void live_grow(struct crq_live *l)
{
	struct live_slot *old = l->slots;
	size_t i, n = l->alloc;

	l->alloc = n ? n * 2 : 1024;
	l->slots = crq__calloc(l->alloc, sizeof(*l->slots));
	for (i = 0; i < n; i++)
		if (old[i].used)
			*live_slot(l, &old[i].blob) = old[i];
	free(old);
}

/* The live change in blob, or NULL (borrowed from the cache).  Files
 * crq verifies are in its canonical layout, where the state is a line
 * of its own: only those files are parsed. */
static int live_doc(const crq_node **out, crq_repo *repo, const git_oid *id)
{
	struct crq_live *l = repo->live;
	struct live_slot *slot;
	git_blob *b = NULL;
	const char *text;
	size_t len;
	int err = 0;

	*out = NULL;
	if (!l) {
		l = repo->live = crq__calloc(1, sizeof(*l));
		repo->live_free = crq_change__live_free;
	}
	if ((l->n + 1) * 10 > l->alloc * 7)
		live_grow(l);
	slot = live_slot(l, id);
	if (slot->used) {
		*out = slot->doc;
		return 0;
	}
	if ((err = git_blob_lookup(&b, repo->git, id)) < 0)
		return crq_store__git_error(err, "cannot read a change");
	text = git_blob_rawcontent(b);
	len = (size_t)git_blob_rawsize(b);
	slot->used = 1;
	slot->doc = NULL;
	git_oid_cpy(&slot->blob, id);
	l->n++;
	if (memmem(text, len, "\nstate: scheduled\n", 18) ||
	    memmem(text, len, "\nstate: implementing\n", 21)) {
		crq_node *doc = NULL;

		if (crq_change_parse(&doc, repo, text, len, "change", NULL) == 0 &&
		    crq_node_get(doc, "window"))
			slot->doc = doc;
		else
			crq_node_free(doc);
		crq_error_clear();
	}
	*out = slot->doc;
	git_blob_free(b);
	return 0;
}

struct live_acc {
	crq_repo *repo;
	crq_node *out;
};

static int live_one(const git_tree_entry *shard, const git_tree_entry *file,
	void *payload)
{
	struct live_acc *acc = payload;
	const crq_node *doc;
	int err;

	(void)shard;
	if ((err = live_doc(&doc, acc->repo, git_tree_entry_id(file))) < 0)
		return err;
	if (doc)
		crq_node_push(acc->out, crq_node_dup(doc));
	return 0;
}

int crq_change__live(crq_node **out, crq_repo *repo, const git_oid *commit)
{
	struct live_acc acc = { repo, crq_node_new(CRQ_NODE_ARRAY) };
	int err = commit ? each_change_file(repo, commit, live_one, &acc) : 0;

	if (err < 0) {
		crq_node_free(acc.out);
		acc.out = NULL;
	}
	*out = acc.out;
	return err;
}

/* Number of a shard folder or change file name ("007", "CHG-000123.yaml"),
 * or -1 when the name is not one crq writes. */
static long long name_number(const char *name, const char *prefix)
{
	size_t plen = strlen(prefix), n;

	if (prefix[0]) {
		if (strncmp(name, prefix, plen) || name[plen] != '-')
			return -1;
		name += plen + 1;
	}
	n = strspn(name, "0123456789");
	if (!n || n > 18 || (prefix[0] ? strcmp(name + n, ".yaml") :
			name[n] != '\0'))
		return -1;
	return strtoll(name, NULL, 10);
}

/*
 * Highest change number on commit, 0 when there is none.  Tree entries
 * sort by name, and "1000" sorts before "999", so shards are compared
 * by number; only the highest shard that holds a change is read.
 */
int crq_change__max_number(unsigned long long *out, crq_repo *repo,
	const git_oid *commit)
{
	git_tree *changes = NULL, *shard = NULL;
	long long below = -1, best, num;
	size_t i, n;
	int err;

	*out = 0;
	if ((err = changes_tree(&changes, repo, commit)) < 0 || !changes)
		goto done;
	for (;;) {
		const git_tree_entry *pick = NULL;

		best = -1;
		for (n = 0; n < git_tree_entrycount(changes); n++) {
			const git_tree_entry *se =
				git_tree_entry_byindex(changes, n);

			num = name_number(git_tree_entry_name(se), "");
			if (git_tree_entry_type(se) == GIT_OBJECT_TREE &&
			    num > best && (below < 0 || num < below)) {
				best = num;
				pick = se;
			}
		}
		if (!pick)
			break;
		git_tree_free(shard);
		shard = NULL;
		if ((err = git_tree_lookup(&shard, repo->git,
				git_tree_entry_id(pick))) < 0) {
			err = crq_store__git_error(err, "cannot read shard");
			goto done;
		}
		for (i = 0; i < git_tree_entrycount(shard); i++) {
			num = name_number(git_tree_entry_name(
				git_tree_entry_byindex(shard, i)), repo->prefix);
			if (num > 0 && (unsigned long long)num > *out)
				*out = (unsigned long long)num;
		}
		if (*out)
			break;
		below = best;
	}
	err = 0;
done:
	git_tree_free(shard);
	git_tree_free(changes);
	return err;
}

/* ---- writing ---- */

void crq_change__message(crq_buf *msg, const char *id, const char *action,
	const crq_node *doc, const char *body, const char *from,
	const char *to)
{
	const char *title = crq_node_get_str(doc, "title");
	size_t n;

	crq_buf_printf(msg, "%s: %s \xe2\x80\x94 %s\n\n", id, action,
		title ? title : "");
	if (body && *body) {
		n = strlen(body);
		while (n && body[n - 1] == '\n')
			n--;
		crq_buf_put(msg, body, n);
		crq_buf_puts(msg, "\n\n");
	}
	crq_buf_printf(msg, "Crq-Change: %s\nCrq-Action: %s\n", id, action);
	if (from)
		crq_buf_printf(msg, "Crq-From: %s\n", from);
	if (to)
		crq_buf_printf(msg, "Crq-To: %s\n", to);
}

/* Validate doc, format it and commit it at path on top of tip. */
int crq_change__write(crq_repo *repo, const git_oid *tip, int unborn,
	const char *path, crq_node *doc, const char *message, long long when)
{
	const crq_schema *schema;
	crq_issues issues;
	crq_buf text = CRQ_BUF_INIT;
	crq_store_write w;
	git_oid out;
	int err;

	crq_issues_init(&issues);
	if ((err = crq_repo_change_schema(&schema, repo)) < 0)
		goto done;
	/* fields given as YAML arrive untyped; typing is idempotent */
	if (crq_schema_type(schema, doc, &issues) < 0 ||
	    (err = crq_schema_validate(schema, doc, &issues)) < 0) {
		err = err ? err : CRQ_EINVALID;
		if (err == CRQ_EINVALID && issues.count)
			err = crq_doc__issues_error(&issues, path);
		goto done;
	}
	crq_change_format(&text, schema, doc);
	w.path = path;
	w.data = text.ptr;
	w.len = text.size;
	err = crq_store__commit(repo, unborn ? NULL : tip, &w, 1, message,
		when, &out);
	if (err == 0) {
		git_oid_cpy(&repo->last_step, &out);
		repo->has_last_step = 1;
	}
done:
	crq_issues_dispose(&issues);
	crq_buf_dispose(&text);
	return err;
}

int crq_change__template(crq_node **out, crq_repo *repo,
	const git_oid *commit, const char *name)
{
	crq_buf path = CRQ_BUF_INIT, text = CRQ_BUF_INIT;
	const crq_schema *schema;
	size_t i;
	int err;

	*out = NULL;
	for (i = 0; name[i]; i++)
		if (!isalnum((unsigned char)name[i]) && !strchr("._-", name[i]))
			break;
	if (!*name || name[i] || name[0] == '.') {
		err = crq_error__set(CRQ_EINVALID, "bad template name '%s'",
			name);
		goto done;
	}
	crq_buf_printf(&path, ".crq/templates/%s.yaml", name);
	if ((err = crq_store__read(repo, commit, path.ptr, &text, NULL)) < 0) {
		if (err == CRQ_ENOTFOUND)
			err = crq_error__set(CRQ_ENOTFOUND,
				"no such template '%s' (%s)", name, path.ptr);
		goto done;
	}
	if ((err = crq_repo_change_schema(&schema, repo)) < 0 ||
	    (err = crq_doc__parse(out, schema, text.ptr, text.size,
			path.ptr, NULL, 0, NULL)) < 0)
		goto done;
	if ((*out)->kind != CRQ_NODE_OBJECT) {
		err = crq_error__set(CRQ_EINVALID, "%s: not a mapping",
			path.ptr);
		crq_node_free(*out);
		*out = NULL;
	}
done:
	crq_buf_dispose(&path);
	crq_buf_dispose(&text);
	return err;
}


int crq_change_assign(crq_repo *repo, crq_node *doc, const char *assignment)
{
	const crq_schema *schema;
	const crq_node *root, *s, *props;
	const char *eq = strchr(assignment, '=');
	crq_node *parent = doc, *val = NULL;
	char key[256], *p, *dot;
	int err;

	if (!eq || eq == assignment || (size_t)(eq - assignment) >= sizeof(key))
		return crq_error__set(CRQ_EUSAGE,
			"'%s' is not key=value", assignment);
	memcpy(key, assignment, (size_t)(eq - assignment));
	key[eq - assignment] = '\0';
	if ((err = crq_repo_change_schema(&schema, repo)) < 0)
		return err;
	root = crq_schema_root(schema);
	s = root;
	p = key;
	/* walk the dotted path through schema and document together */
	for (;;) {
		dot = strchr(p, '.');
		if (dot)
			*dot = '\0';
		props = crq_node_get(crq_doc__deref(root, s), "properties");
		s = props ? crq_node_get(props, p) : NULL;
		if (!s) {
			if (dot)
				*dot = '.';
			return crq_error__set(CRQ_EINVALID,
				"unknown field '%s'", key);
		}
		if (parent == doc && crq_policy__derived(p))
			return crq_error__set(CRQ_EDENIED,
				"field '%s' is set by crq, not by hand", p);
		if (!dot)
			break;
		if (!crq_node_get(parent, p))
			crq_node_set(parent, p, crq_node_new(CRQ_NODE_OBJECT));
		parent = crq_node_get(parent, p);
		if (parent->kind != CRQ_NODE_OBJECT)
			return crq_error__set(CRQ_EINVALID,
				"field '%s' is not a mapping", p);
		*dot = '.';
		p = dot + 1;
	}
	if (!eq[1]) {
		crq_node_remove(parent, p);
		return 0;
	}
	if (crq_doc__is_string(root, s)) {
		val = crq_node_new_cstr(eq + 1);
	} else {
		crq_buf name = CRQ_BUF_INIT;

		crq_buf_printf(&name, "value of '%s'", key);
		err = crq_yaml_load(&val, eq + 1, strlen(eq + 1), name.ptr);
		crq_buf_dispose(&name);
		if (err < 0)
			return err;
	}
	crq_node_set(parent, p, val);
	return 0;
}

static int matches(const crq_node *doc, const crq_filter *f,
	const char *now)
{
	const char *v;
	const crq_node *svc;
	size_t i;

	if (!f)
		return 1;
	if (f->overdue) {
		const char *due = crq_node_get_str(doc, "review_due");
		const char *st = crq_node_get_str(doc, "state");

		if (!due || strcmp(due, now) >= 0 || !st ||
		    (strcmp(st, "completed") && strcmp(st, "failed")))
			return 0;
	}
#define EQ(field) \
	if (f->field && (!(v = crq_node_get_str(doc, #field)) || \
			strcmp(v, f->field))) \
		return 0;
	EQ(state)
	EQ(type)
	EQ(risk)
	EQ(requester)
#undef EQ
	if (f->service) {
		svc = crq_node_get(doc, "services");
		if (!svc || svc->kind != CRQ_NODE_ARRAY)
			return 0;
		for (i = 0; i < svc->count; i++)
			if (svc->items[i]->kind == CRQ_NODE_STRING &&
			    !strcmp(svc->items[i]->str, f->service))
				return 1;
		return 0;
	}
	return 1;
}

/* One change file of a listing, parsed by a worker thread. */
struct list_job {
	git_oid oid;
	long long num;		/* change number from the name, or -1 */
	char name[96];
	crq_node *doc;		/* parsed and matching, or NULL */
	char *json;		/* JSON mode: the matching change, or NULL */
	char *error;		/* why it could not be read, or NULL */
	int done;		/* under list_sync.mu */
};

/* Workers finish jobs roughly in order; the caller consumes them in
 * order as they finish, so output overlaps parsing. */
struct list_sync {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	size_t waiting;		/* job the consumer sleeps on, or SIZE_MAX */
};

struct list_work {
	struct list_job *jobs;
	size_t count;
	size_t start, step;	/* this worker takes start, start+step, ... */
	const char *gitdir;
	const crq_schema *schema;	/* shared: loaded schemas are read-only */
	const crq_filter *filter;
	const char *now;	/* for filter->overdue */
	struct list_sync *sync;	/* NULL when run on the caller's thread */
	int json;		/* serialise and free each change here */
	int err;
	char errmsg[256];
};

static void job_done(struct list_work *w, size_t i)
{
	if (!w->sync) {
		w->jobs[i].done = 1;
		return;
	}
	pthread_mutex_lock(&w->sync->mu);
	w->jobs[i].done = 1;
	if (w->sync->waiting == i)
		pthread_cond_signal(&w->sync->cv);
	pthread_mutex_unlock(&w->sync->mu);
}

static void parse_job(struct list_work *w, struct list_job *j,
	const git_blob *blob)
{
	if (crq_change_parse_with(&j->doc, w->schema,
			git_blob_rawcontent(blob),
			(size_t)git_blob_rawsize(blob), j->name, NULL) < 0) {
		j->error = crq__strdup(crq_error_last());
	} else if (!matches(j->doc, w->filter, w->now)) {
		crq_node_free(j->doc);
		j->doc = NULL;
	} else if (w->json) {
		crq_buf jb = CRQ_BUF_INIT;

		crq_buf_grow(&jb, 4096);	/* a typical change fits */
		crq_json__write_at(&jb, j->doc, 1);
		j->json = crq_buf_detach(&jb);
		crq_node_free(j->doc);
		j->doc = NULL;
	}
}

/*
 * Each worker has its own repository handle; the schema is shared, as a
 * loaded schema may be used concurrently.  Nothing mutable is shared
 * between threads but the done flags, and the results land in the
 * worker's own slots of the job array.  Every job of the worker is
 * marked done, even after a failure, so the consumer never waits
 * forever.
 */
static void *list_worker(void *arg)
{
	struct list_work *w = arg;
	git_repository *git = NULL;
	git_blob *blob = NULL;
	size_t i = w->start;
	int err;

	if ((err = git_repository_open_bare(&git, w->gitdir)) < 0) {
		w->err = crq_store__git_error(err, "cannot open repository");
		goto done;
	}
	for (; i < w->count; i += w->step) {
		if ((err = git_blob_lookup(&blob, git, &w->jobs[i].oid)) < 0) {
			w->err = crq_store__git_error(err, "cannot read blob");
			goto done;
		}
		parse_job(w, &w->jobs[i], blob);
		git_blob_free(blob);
		blob = NULL;
		job_done(w, i);
	}
done:
	for (; i < w->count; i += w->step)
		job_done(w, i);
	if (w->err)
		snprintf(w->errmsg, sizeof(w->errmsg), "%s", crq_error_last());
	git_blob_free(blob);
	git_repository_free(git);
	return NULL;
}

static size_t list_threads(size_t jobs)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);

	if (jobs < 256 || n < 2)
		return 1;
	return n > 8 ? 8 : (size_t)n;
}

static int job_cmp(const void *a, const void *b)
{
	const struct list_job *x = a, *y = b;

	if (x->num != y->num)
		return x->num < y->num ? -1 : 1;
	return strcmp(x->name, y->name);
}

/* The change files on commit, as jobs in id order (by number: tree
 * order would put CHG-1000000 before CHG-999999). */
struct jobs_acc {
	crq_repo *repo;
	struct list_job *jobs;
	size_t n, alloc;
};

static int add_job(const git_tree_entry *shard, const git_tree_entry *file,
	void *payload)
{
	struct jobs_acc *acc = payload;
	struct list_job *j;

	crq__grow((void **)&acc->jobs, &acc->alloc, acc->n + 1,
		sizeof(*acc->jobs));
	j = &acc->jobs[acc->n++];
	memset(j, 0, sizeof(*j));
	git_oid_cpy(&j->oid, git_tree_entry_id(file));
	j->num = name_number(git_tree_entry_name(file), acc->repo->prefix);
	snprintf(j->name, sizeof(j->name), "changes/%s/%s",
		git_tree_entry_name(shard), git_tree_entry_name(file));
	return 0;
}

static int list_jobs(struct list_job **out, size_t *count, crq_repo *repo,
	const git_oid *commit)
{
	struct jobs_acc acc = { repo, NULL, 0, 0 };
	int err = each_change_file(repo, commit, add_job, &acc);

	qsort(acc.jobs, acc.n, sizeof(*acc.jobs), job_cmp);
	*out = acc.jobs;
	*count = acc.n;
	return err;
}

/* Wait until job i is finished (workers running) and take it. */
static void job_wait(struct list_sync *sync, struct list_job *jobs,
	size_t i)
{
	if (!sync)
		return;
	pthread_mutex_lock(&sync->mu);
	while (!jobs[i].done) {
		sync->waiting = i;
		pthread_cond_wait(&sync->cv, &sync->mu);
	}
	sync->waiting = SIZE_MAX;
	pthread_mutex_unlock(&sync->mu);
}

/* List into list (tree mode) or through write (JSON mode). */
static int list_run(crq_node *list, crq_write_fn write, void *payload,
	crq_repo *repo, const crq_filter *filter, crq_issues *problems)
{
	const crq_schema *schema;
	const crq_node *policy;
	struct list_job *jobs = NULL;
	struct list_work *work = NULL;
	struct list_sync sync;
	pthread_t *tids = NULL;
	crq_buf now = CRQ_BUF_INIT;
	size_t i, njobs = 0, nthreads = 0, started = 0, nout = 0;
	git_oid tip;
	int unborn, err, werr = 0, threaded = 0;

	if ((err = crq_policy__tip(&policy, repo)) < 0 ||
	    (err = crq_repo_change_schema(&schema, repo)) < 0 ||
	    (err = crq_store__tip(repo, &tip, &unborn)) < 0 ||
	    (err = list_jobs(&jobs, &njobs, repo, &tip)) < 0)
		goto done;
	crq_store__now(&now, repo);
	nthreads = list_threads(njobs);
	work = crq__calloc(nthreads, sizeof(*work));
	tids = crq__calloc(nthreads, sizeof(*tids));
	for (i = 0; i < nthreads; i++) {
		work[i].jobs = jobs;
		work[i].count = njobs;
		work[i].start = i;
		work[i].step = nthreads;
		work[i].gitdir = repo->gitdir;
		work[i].schema = schema;
		work[i].filter = filter;
		work[i].now = now.ptr;
		work[i].json = write != NULL;
	}
	/*
	 * Reading the whole store, hashing every blob again (libgit2's
	 * strict verification, SHA-1DC) costs more than parsing its YAML
	 * takes on some files; git cat-file does not re-hash either.
	 * Corruption is git fsck's business.  The option is process-wide,
	 * so it is restored to libgit2's default when the listing ends.
	 */
	git_libgit2_opts(GIT_OPT_ENABLE_STRICT_HASH_VERIFICATION, 0);
	if (nthreads > 1) {
		pthread_mutex_init(&sync.mu, NULL);
		pthread_cond_init(&sync.cv, NULL);
		sync.waiting = SIZE_MAX;
		threaded = 1;
		for (i = 0; i < nthreads; i++)
			work[i].sync = &sync;
		for (started = 0; started < nthreads; started++)
			if (pthread_create(&tids[started], NULL, list_worker,
					&work[started]) != 0)
				break;
		if (started == 0) {
			threaded = 0;
			for (i = 0; i < nthreads; i++)
				work[i].sync = NULL;
		}
	}
	/* without threads (or with too few), do the work here first */
	for (i = started; i < nthreads; i++)
		list_worker(&work[i]);
	for (i = 0; i < njobs; i++) {
		struct list_job *j = &jobs[i];

		job_wait(threaded ? &sync : NULL, jobs, i);
		if (j->error) {
			if (problems)
				crq_issues_add(problems, NULL, j->name, "%s",
					j->error);
		} else if (j->json && !werr) {
			if ((werr = write(nout++ ? ",\n  " : "[\n  ", 4,
					payload)) == 0)
				werr = write(j->json, strlen(j->json),
					payload);
		} else if (j->doc) {
			crq_node_push(list, j->doc);
			j->doc = NULL;
		}
		free(j->json);
		j->json = NULL;
	}
	if (threaded) {
		for (i = 0; i < started; i++)
			pthread_join(tids[i], NULL);
		pthread_cond_destroy(&sync.cv);
		pthread_mutex_destroy(&sync.mu);
	}
	git_libgit2_opts(GIT_OPT_ENABLE_STRICT_HASH_VERIFICATION, 1);
	for (i = 0; i < nthreads; i++) {
		if (work[i].err) {
			err = crq_error__set(work[i].err, "%s", work[i].errmsg);
			goto done;
		}
	}
	if (write && !werr)
		werr = nout ? write("\n]", 2, payload) : write("[]", 2, payload);
	if (werr < 0) {
		err = werr;
		goto done;
	}
	err = 0;
done:
	for (i = 0; i < njobs; i++) {
		crq_node_free(jobs[i].doc);
		free(jobs[i].json);
		free(jobs[i].error);
	}
	free(jobs);
	free(work);
	free(tids);
	crq_buf_dispose(&now);
	return err;
}

int crq_change_list(crq_node **out, crq_repo *repo, const crq_filter *filter,
	crq_issues *problems)
{
	crq_node *list = crq_node_new(CRQ_NODE_ARRAY);
	int err = list_run(list, NULL, NULL, repo, filter, problems);

	if (err < 0) {
		crq_node_free(list);
		list = NULL;
	}
	*out = list;
	return err;
}

int crq_change_list_json(crq_repo *repo, const crq_filter *filter,
	crq_issues *problems, crq_write_fn write, void *payload)
{
	return list_run(NULL, write, payload, repo, filter, problems);
}

/* ---- validation of files ---- */

int crq_validate_file(crq_repo *repo, const char *datadir, const char *path,
	const char *text, size_t len, const char *kind, crq_issues *issues)
{
	crq_schema *own = NULL;
	const crq_schema *schema = NULL;
	crq_buf sp = CRQ_BUF_INIT;
	crq_node *doc = NULL;
	const char *base = strrchr(path, '/');
	size_t plen = strlen(path);
	int policy, err;

	base = base ? base + 1 : path;
	policy = kind ? !strcmp(kind, "policy") :
		(plen >= 11 && !strcmp(path + plen - 11, "policy.yaml"));
	if (!policy && repo) {
		if ((err = crq_repo_change_schema(&schema, repo)) < 0)
			goto done;
	} else {
		crq_buf_printf(&sp, "%s/schemas/%s.schema.json", datadir,
			policy ? "policy" : "change");
		if ((err = crq_schema_load(&own, sp.ptr)) < 0)
			goto done;
		schema = own;
	}
	if (policy)
		err = crq_policy__parse(&doc, schema, text, len, path, issues);
	else
		err = crq_doc__parse(&doc, schema, text, len, path,
			issues, 1, NULL);
	if (err < 0)
		goto done;
	if (!policy) {
		const char *id = crq_node_get_str(doc, "id");
		size_t n = strlen(base);

		if (id && n > 5 && !strcmp(base + n - 5, ".yaml") &&
		    (strlen(id) != n - 5 || strncmp(id, base, n - 5))) {
			crq_node *idn = crq_node_get(doc, "id");

			crq_issues_add(issues, idn, "/id",
				"id '%s' does not match the file name '%s'",
				id, base);
			err = crq_error__set(CRQ_EINVALID,
				"%s:%u:%u: id '%s' does not match the file name '%s'",
				path, idn->line, idn->col, id, base);
		}
	}
done:
	crq_node_free(doc);
	crq_schema_free(own);
	crq_buf_dispose(&sp);
	return err;
}
