/*
 * change.c - the change request model: ids and paths, parsing, the
 * canonical layout, and creating, editing and listing changes.
 */
#include <assert.h>
#include <ctype.h>
#include <pthread.h>
#include <unistd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <git2/sys/odb_backend.h>
#include "change.h"
#include "cache.h"
#include "summary.h"

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

/* The number of a change id as people type it: PREFIX-NNNNNN, the
 * prefix in any case and the digits unpadded (CHG-42, chg-42), or the
 * number alone (42).  0 when arg is none of these or the number is 0. */
static unsigned long long id_number(const char *arg, const char *prefix)
{
	size_t plen = strlen(prefix), i, n;
	unsigned long long num = 0;

	if (!strncasecmp(arg, prefix, plen) && arg[plen] == '-')
		arg += plen + 1;
	for (i = 0; isdigit((unsigned char)arg[i]); i++)
		;
	if (!i || arg[i])
		return 0;
	while (*arg == '0' && arg[1])
		arg++, i--;
	for (n = 0; n < i; n++) {
		if (n == 18)	/* more than an id holds */
			return 0;
		num = num * 10 + (unsigned long long)(arg[n] - '0');
	}
	return num;
}

static int parse_id(unsigned long long *num, crq_repo *repo, const char *id)
{
	const crq_node *policy;
	int err;

	if ((err = crq_policy__tip(&policy, repo)) < 0)
		return err;
	if (!(*num = id_number(id, repo->prefix)))
		return crq_error__set(CRQ_EINVALID,
			"'%s' is not a change id of this store (expected %s-NNNNNN)",
			id, repo->prefix);
	return 0;
}

int crq_change_id_normalize(crq_buf *out, crq_repo *repo, const char *arg)
{
	unsigned long long num = 0;
	int err = parse_id(&num, repo, arg);

	if (err < 0)
		return err;
	crq_buf_printf(out, "%s-%06llu", repo->prefix, num);
	return 0;
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
	crq_buf path = CRQ_BUF_INIT, text = CRQ_BUF_INIT, full = CRQ_BUF_INIT;
	const crq_node *idn;
	int err;

	*out = NULL;
	if ((err = crq_change_id_normalize(&full, repo, id)) < 0 ||
	    (err = crq_change_path(&path, repo, full.ptr)) < 0)
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
	if (!idn || idn->kind != CRQ_NODE_STRING || strcmp(idn->str, full.ptr)) {
		err = crq_error__set(CRQ_EINVALID,
			"%s: id does not match the file name", path.ptr);
		crq_node_free(*out);
		*out = NULL;
		goto done;
	}
	if (text_out)
		crq_buf_put(text_out, text.ptr, text.size);
done:
	crq_buf_dispose(&full);
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

/* By shard tree: the live changes it holds, in tree order (borrowed
 * from the blob slots, which keep them until the end), so a listing
 * reads only the shards that changed since the last one. */
struct shard_slot {
	git_oid tree;
	const crq_node **docs;
	size_t n;
	int used;
};

struct crq_live {
	struct live_slot *slots;
	size_t n, alloc;
	struct shard_slot *shards;
	size_t nshards, ashards;
};

void crq_change__live_free(struct crq_live *l)
{
	size_t i;

	if (!l)
		return;
	for (i = 0; i < l->alloc; i++)
		crq_node_free(l->slots[i].doc);
	for (i = 0; i < l->ashards; i++)
		free(l->shards[i].docs);
	free(l->slots);
	free(l->shards);
	free(l);
}

static struct shard_slot *shard_slot(struct shard_slot *v, size_t a,
	const git_oid *id)
{
	size_t h, mask = a - 1;

	memcpy(&h, id->id, sizeof(h));
	for (h &= mask; v[h].used; h = (h + 1) & mask)
		if (git_oid_equal(&v[h].tree, id))
			break;
	return &v[h];
}

/* The slot of shard tree id, to fill when it is not used yet. */
static struct shard_slot *shard_memo(struct crq_live *l, const git_oid *id)
{
	if ((l->nshards + 1) * 10 > l->ashards * 7) {
		struct shard_slot *old = l->shards;
		size_t i, n = l->ashards;

		l->ashards = n ? n * 2 : 256;
		l->shards = crq__calloc(l->ashards, sizeof(*l->shards));
		for (i = 0; i < n; i++)
			if (old[i].used)
				*shard_slot(l->shards, l->ashards,
					&old[i].tree) = old[i];
		free(old);
	}
	return shard_slot(l->shards, l->ashards, id);
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

static struct crq_live *live_of(crq_repo *repo)
{
	if (!repo->live) {
		repo->live = crq__calloc(1, sizeof(struct crq_live));
		repo->live_free = crq_change__live_free;
	}
	return repo->live;
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
	if (!l)
		l = live_of(repo);
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

/* The live changes of shard tree id into slot (not yet used). */
static int live_shard(struct shard_slot *slot, crq_repo *repo,
	const git_oid *id)
{
	git_tree *shard = NULL;
	size_t i, alloc = 0;
	int err;

	if ((err = git_tree_lookup(&shard, repo->git, id)) < 0)
		return crq_store__git_error(err, "cannot read shard");
	for (i = 0; i < git_tree_entrycount(shard); i++) {
		const git_tree_entry *fe = git_tree_entry_byindex(shard, i);
		const crq_node *doc;

		if (git_tree_entry_type(fe) != GIT_OBJECT_BLOB)
			continue;
		if ((err = live_doc(&doc, repo, git_tree_entry_id(fe))) < 0)
			break;
		if (!doc)
			continue;
		crq__grow((void **)&slot->docs, &alloc, slot->n + 1,
			sizeof(*slot->docs));
		slot->docs[slot->n++] = doc;
	}
	git_tree_free(shard);
	if (err < 0) {
		free(slot->docs);
		slot->docs = NULL;
		slot->n = 0;
		return err;
	}
	git_oid_cpy(&slot->tree, id);
	slot->used = 1;
	live_of(repo)->nshards++;
	return 0;
}

int crq_change__live(crq_node **out, crq_repo *repo, const git_oid *commit)
{
	crq_node *list = crq_node_new(CRQ_NODE_ARRAY);
	git_tree *changes = NULL;
	size_t s, i;
	int err = 0;

	if (commit && (err = changes_tree(&changes, repo, commit)) == 0 &&
	    changes)
		for (s = 0; s < git_tree_entrycount(changes); s++) {
			const git_tree_entry *se =
				git_tree_entry_byindex(changes, s);
			struct shard_slot *slot;

			if (git_tree_entry_type(se) != GIT_OBJECT_TREE)
				continue;
			slot = shard_memo(live_of(repo), git_tree_entry_id(se));
			if (!slot->used && (err = live_shard(slot, repo,
					git_tree_entry_id(se))) < 0)
				break;
			for (i = 0; i < slot->n; i++)
				crq_node_push(list, crq_node_dup(slot->docs[i]));
		}
	git_tree_free(changes);
	if (err < 0) {
		crq_node_free(list);
		list = NULL;
	}
	*out = list;
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

	/* the id as the file holds it, never as a user abbreviated it */
	if (crq_node_get_str(doc, "id"))
		id = crq_node_get_str(doc, "id");
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

/* ---- listing ---- */

/*
 * A listing reads the changes/ tree of the tip and hands the changes
 * over in id order.  What it knows of a change file by its blob id is
 * kept in the cache (DESIGN §9), in two tables per LIST_PART changes
 * (by number, so that a listing opens them one after the other and
 * keeps none but the current ones in memory):
 *   summaries-v1.N  the summary (lib/summary.h): enough to filter and
 *                   to print the usual fields
 *   json-v1.N       the change as crq list --json prints it
 * Each value starts with a stamp of the schema that typed the change,
 * so that another schema makes them misses, not wrong answers; the
 * table names carry the version of this code.  Only valid changes are
 * kept: a file that fails is parsed again and reported every time.
 * The tables are read and written by the thread that hands the changes
 * over; worker threads parse what the tables lack.
 */
#define LIST_PART 2048		/* changes, by number, of a pair of tables */
#define LIST_PARTS 4096		/* pairs at most: the last takes the rest */
#define LIST_AHEAD 2048		/* jobs looked up ahead of the output */
#define LIST_CHUNK 256		/* jobs a worker takes at once */
#define STAMP 8			/* bytes of schema stamp on each value */
#define JSON_EXACT 1		/* flag: parsing the JSON gives the change */
#define CACHED_SUM 1		/* list_slot.cached: the summary */
#define CACHED_JSON 2		/* the JSON */

/* What a change needs: nothing (filtered out, or all in the cache),
 * its cached JSON parsed, or its file parsed. */
enum { JOB_SKIP, JOB_HIT, JOB_JSONDOC, JOB_PARSE };

/* What the caller wants of each change. */
enum { WANT_NONE, WANT_FIELDS, WANT_FULL };

/* A change file of the listing; how is set before workers see it, and
 * not changed after. */
struct list_job {
	git_oid oid;
	unsigned char how;
	long long num;		/* change number from the name, or -1 */
	union {
		size_t off;	/* of its path in the run's names, while
				 * they grow */
		const char *path;	/* once all are there */
	} name;
};

/* The work of a job in the window [emit, scout): slot job % LIST_AHEAD.
 * A slot being worked on belongs to its worker until done is set. */
struct list_slot {
	int done;		/* under run.mu */
	int cached;		/* the cache had its summary, its JSON */
	int parsed;		/* the file was parsed: sumbuf, jsonbuf */
	int matched;		/* parsed: does it pass the filter? */
	int fatal;		/* the file could not be read: stop */
	crq_summary sum;	/* read from the cache or the parse */
	const char *json;	/* cached bytes, past their header */
	size_t jsonlen;
	crq_buf sumbuf, jsonbuf;	/* JOB_PARSE: the values to cache */
	crq_node *doc;
	char *error;
};

/* The pair of tables of one part, open while the window is in it. */
struct list_part {
	long long part;
	crq_table *sums, *jsons;
	int jsons_open;
};

/*
 * Reads the change files of a listing (one per thread): from the pack
 * and loose-object backends directly, not through a repository.  A
 * repository keeps what it reads in its object cache, and crq lets it
 * keep blobs (store.c): reading every file of the store once would only
 * fill that cache with 16 MB of blobs and churn it.  What the backends
 * lack (objects of an alternate) is read through the repository.
 */
struct blob_reader {
	const char *objects;		/* the objects folder */
	const char *gitdir;
	git_odb_backend *pack, *loose;
	int tried;
	git_repository *git;		/* the fallback */
	int own_git;
};

/* A file read by a blob_reader. */
struct blob_text {
	const char *ptr;
	size_t len;
	void *raw;			/* from backend from */
	git_odb_backend *from;
	git_blob *blob;			/* or through the repository */
};

static int backend_read(struct blob_text *out, git_odb_backend *b,
	const git_oid *id)
{
	git_object_t type;
	void *raw;
	size_t len;

	if (!b || b->read(&raw, &len, &type, b, id) < 0) {
		git_error_clear();
		return 0;
	}
	if (type != GIT_OBJECT_BLOB) {
		git_odb_backend_data_free(b, raw);
		return 0;
	}
	out->ptr = raw;
	out->len = len;
	out->raw = raw;
	out->from = b;
	return 1;
}

static int reader_read(struct blob_text *out, struct blob_reader *rd,
	const git_oid *id)
{
	int err;

	memset(out, 0, sizeof(*out));
	if (!rd->tried) {
		rd->tried = 1;
		if (git_odb_backend_pack(&rd->pack, rd->objects) < 0)
			rd->pack = NULL;
		if (git_odb_backend_loose(&rd->loose, rd->objects, -1, 0, 0,
				0) < 0)
			rd->loose = NULL;
		git_error_clear();
	}
	if (backend_read(out, rd->pack, id) || backend_read(out, rd->loose, id))
		return 0;
	if (!rd->git) {
		if ((err = git_repository_open_bare(&rd->git, rd->gitdir)) < 0)
			return crq_store__git_error(err, "cannot read blob");
		rd->own_git = 1;
	}
	if ((err = git_blob_lookup(&out->blob, rd->git, id)) < 0)
		return crq_store__git_error(err, "cannot read blob");
	out->ptr = git_blob_rawcontent(out->blob);
	out->len = (size_t)git_blob_rawsize(out->blob);
	return 0;
}

static void blob_text_dispose(struct blob_text *t)
{
	if (t->raw)
		git_odb_backend_data_free(t->from, t->raw);
	git_blob_free(t->blob);
}

static void reader_dispose(struct blob_reader *rd)
{
	if (rd->pack)
		rd->pack->free(rd->pack);
	if (rd->loose)
		rd->loose->free(rd->loose);
	if (rd->own_git)
		git_repository_free(rd->git);
}

typedef int (*list_fn)(const crq_change_item *item, crq_node **doc,
	const char *json, size_t len, void *payload);

struct list_run {
	crq_repo *repo;
	const crq_schema *schema;	/* shared: loaded schemas are read-only */
	const crq_filter *filter;
	crq_summary_fields fields;	/* WANT_FIELDS */
	int want;
	int json;			/* hand over the JSON */
	int make_json;			/* make JSON for the cache */
	int use_cache;
	const char *now;		/* for filter->overdue */
	unsigned char stamp[STAMP];
	struct list_job *jobs;
	size_t njobs;
	crq_buf names;
	crq_buf objects;		/* the objects folder */
	struct blob_reader reader;	/* the consumer's */
	struct list_slot *slots;
	/* the consumer's: the next job to hand over and to look up */
	size_t emit, scout;
	struct list_part *parts;	/* open, oldest first */
	size_t nparts, aparts;
	/* shared with the workers, under mu */
	pthread_mutex_t mu;
	pthread_cond_t work, ready;
	size_t published;		/* jobs workers may take: below this */
	size_t claim;			/* the next job no worker took */
	size_t waiting;			/* job the consumer sleeps on */
	int idle, stop;
	/* the workers */
	pthread_t *tids;
	size_t nthreads, started;
	int threaded;
};

static int matches(const crq_summary *s, const crq_filter *f,
	const char *now)
{
	const char *v;
	size_t i;

	if (!f)
		return 1;
	if (f->overdue) {
		const char *due = crq_summary__str(s, CRQ_SUM_REVIEW_DUE);
		const char *st = crq_summary__str(s, CRQ_SUM_STATE);

		if (!due || strcmp(due, now) >= 0 || !st ||
		    (strcmp(st, "completed") && strcmp(st, "failed")))
			return 0;
	}
#define EQ(field, index) \
	if (f->field && (!(v = crq_summary__str(s, index)) || \
			strcmp(v, f->field))) \
		return 0;
	EQ(state, CRQ_SUM_STATE)
	EQ(type, CRQ_SUM_TYPE)
	EQ(risk, CRQ_SUM_RISK)
	EQ(requester, CRQ_SUM_REQUESTER)
#undef EQ
	if (f->states) {
		v = crq_summary__str(s, CRQ_SUM_STATE);
		for (i = 0; v && f->states[i] && strcmp(v, f->states[i]); i++)
			;
		if (!v || !f->states[i])
			return 0;
	}
	if (f->ids && (!(v = crq_summary__str(s, CRQ_SUM_ID)) ||
			!crq_node_get(f->ids, v)))
		return 0;
	if (f->service && !crq_summary__has(s, CRQ_SUM_SERVICES, f->service))
		return 0;
	return 1;
}

/* Does v hold a floating-point number?  Its JSON may not parse back
 * to the same value (NaN, -0), so a change with one is parsed from its
 * file when its fields are asked for. */
static int has_number(const crq_node *v)
{
	size_t i;

	if (v->kind == CRQ_NODE_NUMBER)
		return 1;
	for (i = 0; (v->kind == CRQ_NODE_ARRAY || v->kind == CRQ_NODE_OBJECT) &&
			i < v->count; i++)
		if (has_number(v->items[i]))
			return 1;
	return 0;
}

/* The stamp of what the cached values depend on besides the blob:
 * the schema that types and validates the change. */
static void list_stamp(unsigned char *out, const crq_repo *repo)
{
	/* the id of the schema file's bytes, taken when it was loaded
	 * (lib/store.c): no need to write the schema out and hash it again */
	memcpy(out, repo->change_schema_id.id, STAMP);
}

static long long part_of(const struct list_job *j)
{
	long long p = j->num < 0 ? 0 : j->num / LIST_PART;

	return p < LIST_PARTS ? p : LIST_PARTS - 1;
}

/* The open part of job j (opened when the window enters it). */
static struct list_part *part_for(struct list_run *r,
	const struct list_job *j)
{
	struct list_part *p;
	crq_buf name = CRQ_BUF_INIT;
	long long n = part_of(j);

	if (r->nparts && r->parts[r->nparts - 1].part == n)
		return &r->parts[r->nparts - 1];
	crq__grow((void **)&r->parts, &r->aparts, r->nparts + 1,
		sizeof(*r->parts));
	p = &r->parts[r->nparts++];
	memset(p, 0, sizeof(*p));
	p->part = n;
	crq_buf_printf(&name, "summaries-v1.%lld", n);
	p->sums = crq_cache__open(r->repo, name.ptr);
	crq_buf_dispose(&name);
	return p;
}

static crq_table *part_jsons(struct list_run *r, struct list_part *p)
{
	crq_buf name = CRQ_BUF_INIT;

	if (!p->jsons_open) {
		crq_buf_printf(&name, "json-v1.%lld", p->part);
		p->jsons = crq_cache__open(r->repo, name.ptr);
		p->jsons_open = 1;
		crq_buf_dispose(&name);
	}
	return p->jsons;
}

/* Write what was put into the oldest open part and close it. */
static void part_close(struct list_run *r)
{
	struct list_part *p = &r->parts[0];

	crq_cache__flush(p->sums);
	crq_cache__flush(p->jsons);
	crq_cache__close(p->sums);
	crq_cache__close(p->jsons);
	memmove(r->parts, r->parts + 1, --r->nparts * sizeof(*r->parts));
}

/* A cached value of t under blob id, past its stamp; NULL when there is
 * none for this schema. */
static const char *cached(size_t *len, const struct list_run *r,
	crq_table *t, const git_oid *id)
{
	const char *v = crq_cache__get(t, id, len);

	if (!v || *len < STAMP || memcmp(v, r->stamp, STAMP))
		return NULL;
	*len -= STAMP;
	return v + STAMP;
}

/* Decide what job i needs, from the cache (consumer thread). */
static void classify(struct list_run *r, size_t i)
{
	struct list_job *j = &r->jobs[i];
	struct list_slot *s = &r->slots[i % LIST_AHEAD];
	struct list_part *p;
	const char *v;
	size_t len;
	int covered;

	s->done = s->cached = s->parsed = s->matched = s->fatal = 0;
	s->json = NULL;
	s->doc = NULL;
	s->error = NULL;
	crq_buf_clear(&s->sumbuf);
	crq_buf_clear(&s->jsonbuf);
	j->how = JOB_PARSE;
	if (!r->use_cache)
		return;
	p = part_for(r, j);
	if (!(v = cached(&len, r, p->sums, &j->oid)) ||
	    crq_summary__read(&s->sum, v, len) < 0) {
		/* parsed for want of a summary: its JSON, if kept, is not
		 * put again (an overlay of copies would hide the table) */
		if (r->make_json && cached(&len, r, part_jsons(r, p), &j->oid))
			s->cached = CACHED_JSON;
		return;
	}
	if (!matches(&s->sum, r->filter, r->now)) {
		j->how = JOB_SKIP;
		return;
	}
	s->cached = CACHED_SUM;
	/* the change as its file has it: only the file has it all */
	if (r->want == WANT_FULL)
		return;
	covered = r->want == WANT_NONE ||
		crq_summary__covers(&s->sum, &r->fields);
	if (r->json || !covered) {
		if (!(v = cached(&len, r, part_jsons(r, p), &j->oid)) ||
		    len < 1 || (!covered && !(v[0] & JSON_EXACT)))
			return;
		s->json = v + 1;
		s->jsonlen = len - 1;
		s->cached |= CACHED_JSON;
	}
	j->how = covered ? JOB_HIT : JOB_JSONDOC;
}

/* Parse the file of job j: its summary, its JSON, its tree. */
static void work_parse(struct list_run *r, struct blob_reader *rd,
	struct list_job *j, struct list_slot *s)
{
	struct blob_text text;
	crq_node *doc = NULL;
	char flags;
	int err;

	if ((err = reader_read(&text, rd, &j->oid)) < 0) {
		s->fatal = err;
		s->error = crq__strdup(crq_error_last());
		return;
	}
	if (crq_change_parse_with(&doc, r->schema, text.ptr, text.len,
			j->name.path, NULL) < 0) {
		s->error = crq__strdup(crq_error_last());
		goto done;
	}
	s->parsed = 1;
	crq_buf_grow(&s->sumbuf, 400);		/* a typical summary fits */
	crq_buf_put(&s->sumbuf, (const char *)r->stamp, STAMP);
	crq_summary__write(&s->sumbuf, doc);
	crq_summary__read(&s->sum, s->sumbuf.ptr + STAMP,
		s->sumbuf.size - STAMP);
	s->matched = matches(&s->sum, r->filter, r->now);
	/* for the output, and for the cache that lacks it even when the
	 * change is filtered out: it is at hand now */
	if (r->make_json && ((s->matched && r->json) ||
	    (r->use_cache && !(s->cached & CACHED_JSON)))) {
		flags = has_number(doc) ? 0 : JSON_EXACT;
		crq_buf_grow(&s->jsonbuf, 2000);	/* a typical change fits */
		crq_buf_put(&s->jsonbuf, (const char *)r->stamp, STAMP);
		crq_buf_put(&s->jsonbuf, &flags, 1);
		crq_json__write_at(&s->jsonbuf, doc, 1);
	}
	if (s->matched && (r->want == WANT_FULL ||
	    (r->want == WANT_FIELDS &&
	     !crq_summary__covers(&s->sum, &r->fields)))) {
		s->doc = doc;
		doc = NULL;
	}
done:
	crq_node_free(doc);
	blob_text_dispose(&text);
}

static void work(struct list_run *r, struct blob_reader *rd, size_t i)
{
	struct list_job *j = &r->jobs[i];
	struct list_slot *s = &r->slots[i % LIST_AHEAD];

	if (j->how == JOB_JSONDOC &&
	    crq_json_parse(&s->doc, s->json, s->jsonlen, "cache") == 0)
		return;
	/* not the JSON crq wrote: the file tells */
	crq_error_clear();
	work_parse(r, rd, j, s);
}

/*
 * Workers take chunks of jobs in order: the files of neighbouring
 * changes are near each other in the pack, often deltas of each other,
 * and reading them together finds their bases in the cache of the
 * repository handle (each worker has its own).  Nothing mutable is
 * shared but the counters under mu; a job's slot is the worker's until
 * it marks it done.
 */
static void *list_worker(void *arg)
{
	struct list_run *r = arg;
	struct blob_reader rd = { r->objects.ptr, r->repo->gitdir, NULL, NULL,
		0, NULL, 0 };
	size_t i, end;

	pthread_mutex_lock(&r->mu);
	for (;;) {
		while (!r->stop && r->claim >= r->published) {
			r->idle++;
			pthread_cond_wait(&r->work, &r->mu);
			r->idle--;
		}
		if (r->stop)
			break;
		i = r->claim;
		end = r->published - i > LIST_CHUNK ? i + LIST_CHUNK :
			r->published;
		r->claim = end;
		pthread_mutex_unlock(&r->mu);
		for (; i < end; i++) {
			if (r->jobs[i].how < JOB_JSONDOC)
				continue;
			work(r, &rd, i);
			pthread_mutex_lock(&r->mu);
			r->slots[i % LIST_AHEAD].done = 1;
			if (r->waiting == i)
				pthread_cond_signal(&r->ready);
			pthread_mutex_unlock(&r->mu);
		}
		pthread_mutex_lock(&r->mu);
	}
	pthread_mutex_unlock(&r->mu);
	reader_dispose(&rd);
	return NULL;
}

static size_t list_threads(size_t jobs)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);

	if (jobs < 256 || n < 2)
		return 1;
	return n > 8 ? 8 : (size_t)n;
}

static void start_workers(struct list_run *r)
{
	r->tids = crq__calloc(r->nthreads, sizeof(*r->tids));
	for (r->started = 0; r->started < r->nthreads; r->started++)
		if (pthread_create(&r->tids[r->started], NULL, list_worker,
				r) != 0)
			break;
	/* without threads the consumer does the work itself */
	r->threaded = r->started > 0;
}

static void stop_workers(struct list_run *r)
{
	size_t i;

	if (!r->started)
		return;
	pthread_mutex_lock(&r->mu);
	r->stop = 1;
	pthread_cond_broadcast(&r->work);
	pthread_mutex_unlock(&r->mu);
	for (i = 0; i < r->started; i++)
		pthread_join(r->tids[i], NULL);
	r->started = 0;
}

/* Let the workers at the jobs looked up. */
static void publish(struct list_run *r)
{
	pthread_mutex_lock(&r->mu);
	r->published = r->scout;
	if (r->idle)
		pthread_cond_broadcast(&r->work);
	pthread_mutex_unlock(&r->mu);
}

/* Look up the jobs of the next window and let the workers at those
 * that need work. */
static void look_ahead(struct list_run *r)
{
	size_t from = r->scout, work = 0;

	while (r->scout < r->njobs && r->scout < r->emit + LIST_AHEAD) {
		classify(r, r->scout);
		work += r->jobs[r->scout++].how >= JOB_JSONDOC;
	}
	if (from == r->scout)
		return;
	if (work && !r->tids && r->nthreads > 1) {
		r->claim = r->published = r->emit;
		start_workers(r);
	}
	/* a chunk at a time, so that workers take whole chunks */
	if (r->threaded && (r->scout - r->published >= LIST_CHUNK ||
	    r->scout == r->njobs))
		publish(r);
}

/* Hand job i over (consumer thread). */
static int emit(struct list_run *r, size_t i, crq_issues *problems,
	list_fn fn, void *payload)
{
	struct list_job *j = &r->jobs[i];
	struct list_slot *s = &r->slots[i % LIST_AHEAD];
	crq_change_item item;
	crq_node *partial = NULL;
	const char *json = s->json;
	size_t jsonlen = s->jsonlen;
	int err = 0;

	if (j->how == JOB_SKIP)
		return 0;
	if (j->how >= JOB_JSONDOC && r->threaded) {
		if (r->published <= i)
			publish(r);
		pthread_mutex_lock(&r->mu);
		while (!s->done) {
			r->waiting = i;
			pthread_cond_wait(&r->ready, &r->mu);
		}
		r->waiting = SIZE_MAX;
		pthread_mutex_unlock(&r->mu);
	} else if (j->how >= JOB_JSONDOC) {
		work(r, &r->reader, i);
	}
	if (s->fatal) {
		err = crq_error__set(s->fatal, "%s", s->error);
		goto done;
	}
	if (s->error) {
		if (problems)
			crq_issues_add(problems, NULL, j->name.path, "%s",
				s->error);
		goto done;
	}
	if (s->parsed) {
		if (r->use_cache) {
			/* the oldest open part: those before are closed */
			struct list_part *p = &r->parts[0];

			assert(r->nparts && p->part == part_of(j));
			/* what the cache lacked: a value put again would be
			 * written again */
			if (!(s->cached & CACHED_SUM))
				crq_cache__put(p->sums, &j->oid, s->sumbuf.ptr,
					s->sumbuf.size);
			if (s->jsonbuf.size && !(s->cached & CACHED_JSON))
				crq_cache__put(part_jsons(r, p), &j->oid,
					s->jsonbuf.ptr, s->jsonbuf.size);
		}
		if (!s->matched)
			goto done;
		if (s->jsonbuf.size) {
			json = s->jsonbuf.ptr + STAMP + 1;
			jsonlen = s->jsonbuf.size - STAMP - 1;
		}
	}
	if (!s->doc && r->want == WANT_FIELDS)
		partial = crq_summary__doc(&s->sum, &r->fields);
	item.path = j->name.path;
	item.doc = s->doc ? s->doc : partial;
	err = fn(&item, &s->doc, json, jsonlen, payload);
done:
	crq_node_free(partial);
	crq_node_free(s->doc);
	s->doc = NULL;
	free(s->error);
	s->error = NULL;
	return err;
}

/* The change files on commit, as jobs in id order (by number: tree
 * order would put CHG-1000000 before CHG-999999). */
static int job_cmp(const void *a, const void *b)
{
	const struct list_job *x = a, *y = b;

	if (x->num != y->num)
		return x->num < y->num ? -1 : 1;
	return strcmp(x->name.path, y->name.path);
}

struct jobs_acc {
	struct list_run *run;
	size_t alloc;
};

static int add_job(const git_tree_entry *shard, const git_tree_entry *file,
	void *payload)
{
	struct jobs_acc *acc = payload;
	struct list_run *r = acc->run;
	struct list_job *j;

	crq__grow((void **)&r->jobs, &acc->alloc, r->njobs + 1,
		sizeof(*r->jobs));
	j = &r->jobs[r->njobs++];
	memset(j, 0, sizeof(*j));
	git_oid_cpy(&j->oid, git_tree_entry_id(file));
	j->num = name_number(git_tree_entry_name(file), r->repo->prefix);
	j->name.off = r->names.size;
	crq_buf_printf(&r->names, "changes/%s/%s", git_tree_entry_name(shard),
		git_tree_entry_name(file));
	crq_buf_putc(&r->names, '\0');
	return 0;
}

static int list_jobs(struct list_run *r, const git_oid *commit)
{
	struct jobs_acc acc = { r, 0 };
	int err = each_change_file(r->repo, commit, add_job, &acc);
	size_t i;

	/* the names stay where they are once all are added */
	for (i = 0; i < r->njobs; i++)
		r->jobs[i].name.path = r->names.ptr + r->jobs[i].name.off;
	if (r->njobs)
		crq__sort(r->jobs, r->njobs, sizeof(*r->jobs), job_cmp);
	return err;
}

/* List the changes of commit at (NULL: the branch tip). */
static int list_run(crq_repo *repo, const git_oid *at,
	const crq_filter *filter, int want, const char *const *fields,
	int json, crq_issues *problems, list_fn fn, void *payload)
{
	struct list_run r;
	const crq_node *policy;
	crq_buf now = CRQ_BUF_INIT;
	git_oid tip;
	size_t i;
	int unborn, err;

	memset(&r, 0, sizeof(r));
	r.repo = repo;
	r.filter = filter;
	r.want = want;
	if (want == WANT_FIELDS)
		crq_summary__fields(&r.fields, fields);
	r.json = json;
	r.waiting = SIZE_MAX;
	pthread_mutex_init(&r.mu, NULL);
	pthread_cond_init(&r.work, NULL);
	pthread_cond_init(&r.ready, NULL);
	if ((err = crq_policy__tip(&policy, repo)) < 0 ||
	    (err = crq_repo_change_schema(&r.schema, repo)) < 0 ||
	    (!at && (err = crq_store__tip(repo, &tip, &unborn)) < 0) ||
	    (err = list_jobs(&r, at ? at : &tip)) < 0)
		goto done;
	crq_store__now(&now, repo);
	r.now = now.ptr;
	{
		git_buf objects = GIT_BUF_INIT;

		if ((err = git_repository_item_path(&objects, repo->git,
				GIT_REPOSITORY_ITEM_OBJECTS)) < 0) {
			err = crq_store__git_error(err, "cannot find objects");
			goto done;
		}
		crq_buf_put(&r.objects, objects.ptr, objects.size);
		git_buf_dispose(&objects);
	}
	r.reader.objects = r.objects.ptr;
	r.reader.gitdir = repo->gitdir;
	r.reader.git = repo->git;	/* the fallback is the caller's */
	/* the whole change from its file is not worth a lookup, unless
	 * the filter may spare the parse */
	r.use_cache = (want != WANT_FULL || filter) &&
		crq_cache__enabled(repo);
	crq_error_clear();
	/* JSON where this run hands it out, and for the cache where the
	 * fields asked for are not all a summary's */
	r.make_json = json || (r.use_cache && want == WANT_FIELDS &&
		!r.fields.all);
	if (r.use_cache)
		list_stamp(r.stamp, repo);
	r.slots = crq__calloc(LIST_AHEAD, sizeof(*r.slots));
	r.nthreads = list_threads(r.njobs);
	/*
	 * Reading the whole store, hashing every blob again (libgit2's
	 * strict verification, SHA-1DC) costs more than parsing its YAML
	 * takes on some files; git cat-file does not re-hash either.
	 * Corruption is git fsck's business.  The option is process-wide,
	 * so it is restored to libgit2's default when the listing ends.
	 */
	git_libgit2_opts(GIT_OPT_ENABLE_STRICT_HASH_VERIFICATION, 0);
	for (r.emit = 0; r.emit < r.njobs && !err; r.emit++) {
		look_ahead(&r);
		err = emit(&r, r.emit, problems, fn, payload);
		/* the last job of its part: the part's tables are done */
		if (r.nparts && (r.emit + 1 == r.njobs ||
		    part_of(&r.jobs[r.emit + 1]) != r.parts[0].part))
			part_close(&r);
	}
	stop_workers(&r);
	git_libgit2_opts(GIT_OPT_ENABLE_STRICT_HASH_VERIFICATION, 1);
done:
	while (r.nparts)
		part_close(&r);
	/* after a stop, what was looked up but not handed over */
	for (i = r.emit; i < r.scout; i++) {
		crq_node_free(r.slots[i % LIST_AHEAD].doc);
		free(r.slots[i % LIST_AHEAD].error);
	}
	for (i = 0; r.slots && i < LIST_AHEAD; i++) {
		crq_buf_dispose(&r.slots[i].sumbuf);
		crq_buf_dispose(&r.slots[i].jsonbuf);
	}
	free(r.slots);
	free(r.tids);
	free(r.jobs);
	free(r.parts);
	reader_dispose(&r.reader);
	crq_buf_dispose(&r.objects);
	crq_buf_dispose(&r.names);
	crq_buf_dispose(&now);
	pthread_cond_destroy(&r.ready);
	pthread_cond_destroy(&r.work);
	pthread_mutex_destroy(&r.mu);
	return err;
}

static int to_array(const crq_change_item *item, crq_node **doc,
	const char *json, size_t len, void *payload)
{
	(void)item;
	(void)json;
	(void)len;
	crq_node_push(payload, *doc);
	*doc = NULL;
	return 0;
}

int crq_change_list(crq_node **out, crq_repo *repo, const crq_filter *filter,
	crq_issues *problems)
{
	crq_node *list = crq_node_new(CRQ_NODE_ARRAY);
	int err = list_run(repo, NULL, filter, WANT_FULL, NULL, 0, problems,
		to_array, list);

	if (err < 0) {
		crq_node_free(list);
		list = NULL;
	}
	*out = list;
	return err;
}

int crq_change__list_at(crq_node **out, crq_repo *repo,
	const git_oid *commit, const crq_filter *filter)
{
	crq_node *list = crq_node_new(CRQ_NODE_ARRAY);
	int err = list_run(repo, commit, filter, WANT_FULL, NULL, 0, NULL,
		to_array, list);

	if (err < 0) {
		crq_node_free(list);
		list = NULL;
	}
	*out = list;
	return err;
}

struct each_acc {
	crq_change_fn fn;
	void *payload;
};

static int to_each(const crq_change_item *item, crq_node **doc,
	const char *json, size_t len, void *payload)
{
	struct each_acc *acc = payload;

	(void)doc;
	(void)json;
	(void)len;
	return acc->fn(item, acc->payload);
}

int crq_change_list_each(crq_repo *repo, const crq_list_options *opts,
	crq_issues *problems, crq_change_fn fn, void *payload)
{
	struct each_acc acc = { fn, payload };

	assert(opts && opts->version == CRQ_LIST_OPTIONS_VERSION);
	return list_run(repo, NULL, opts->filter, opts->fields ? WANT_FIELDS :
		WANT_FULL, opts->fields, 0, problems, to_each, &acc);
}

struct json_acc {
	crq_write_fn write;
	void *payload;
	size_t n;
};

static int to_json(const crq_change_item *item, crq_node **doc,
	const char *json, size_t len, void *payload)
{
	struct json_acc *acc = payload;
	int err;

	(void)item;
	(void)doc;
	if ((err = acc->write(acc->n++ ? ",\n  " : "[\n  ", 4,
			acc->payload)) < 0)
		return err;
	return acc->write(json, len, acc->payload);
}

int crq_change_list_json(crq_repo *repo, const crq_filter *filter,
	crq_issues *problems, crq_write_fn write, void *payload)
{
	struct json_acc acc = { write, payload, 0 };
	int err = list_run(repo, NULL, filter, WANT_NONE, NULL, 1, problems,
		to_json, &acc);

	if (err < 0)
		return err;
	return acc.n ? write("\n]", 2, payload) : write("[]", 2, payload);
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
