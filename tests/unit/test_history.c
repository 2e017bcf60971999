/*
 * test_history.c - the history index (lib/history.c) against the walks
 * it stands in for: on random histories made with git fast-import (a
 * side branch merged back, the merge taking one side's file, the
 * other's or neither; steps, decisions, trailers twice, code commits),
 * the editors of every change and its log at random commits are the
 * same with the cache on as off; and the editors are what their
 * definition says, read off the whole graph (an oracle: git log P ^D...).
 */
#include "testutil.h"
#include <unistd.h>
#include "store.h"
#include "change.h"
#include "commit.h"

static char tmpdir[64];
static crq_options opts;
static crq_repo *repo;

static int setup(void **state)
{
	char p[128];

	(void)state;
	if (test_env_setup(tmpdir, &opts) < 0)
		return -1;
	snprintf(p, sizeof(p), "%s/s", tmpdir);
	return crq_repo_init(&repo, p, &opts);
}

static int teardown(void **state)
{
	(void)state;
	crq_repo_free(repo);
	unsetenv("CRQ_CACHE");
	return test_env_teardown(tmpdir);
}

static unsigned long long rng = 88172645463325252ull;

static unsigned pick(unsigned n)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (unsigned)(rng % n);
}

#define NCHG 5

struct gen {
	crq_buf out;
	int mark;
	long long when;
	char file[2][NCHG][32];		/* main's and side's change files */
};

/* One commit on branch; files "path\0data" pairs. */
static void gen_commit(struct gen *g, const char *branch, const char *msg,
	const char *from, const char *merge, const char *const *files,
	size_t nfiles)
{
	size_t i;

	g->mark++;
	crq_buf_printf(&g->out, "commit refs/heads/%s\nmark :%d\n", branch,
		g->mark);
	crq_buf_printf(&g->out, "committer %c <%c@x> %lld +0000\n",
		'a' + pick(8), 'a' + pick(8), g->when++);
	crq_buf_printf(&g->out, "data %zu\n%s", strlen(msg), msg);
	if (from)
		crq_buf_printf(&g->out, "from %s\n", from);
	if (merge)
		crq_buf_printf(&g->out, "merge %s\n", merge);
	for (i = 0; i < nfiles; i++) {
		const char *data = files[i] + strlen(files[i]) + 1;

		crq_buf_printf(&g->out, "M 100644 inline %s\ndata %zu\n%s\n",
			files[i], strlen(data), data);
	}
}

/* A random commit's message and file ("path\0data", empty when none)
 * for branch b (0 main, 1 side). */
static void gen_step(struct gen *g, int b, crq_buf *msg, crq_buf *file)
{
	unsigned r = pick(1000), c = pick(NCHG) + 1;

	crq_buf_clear(msg);
	crq_buf_clear(file);
	if (r < 750) {
		crq_buf_puts(msg, "code\n");
		crq_buf_printf(file, "src/f%c%u", '\0', pick(100000));
	} else if (r < 900) {
		const char *act = pick(100) ? "edit" : "create";

		crq_buf_printf(msg, "CHG-%06u: %s\n\nCrq-Change: CHG-%06u\n"
			"Crq-Action: %s\nCrq-From: x\nCrq-To: x\n", c, act, c,
			act);
		snprintf(g->file[b][c - 1], sizeof(g->file[b][c - 1]), "%u",
			pick(1000000));
		crq_buf_printf(file, "changes/000/CHG-%06u.yaml%c%s", c, '\0',
			g->file[b][c - 1]);
	} else if (r < 912) {
		crq_buf_printf(msg, "CHG-%06u: approve\n\nCrq-Change: CHG-%06u\n"
			"Crq-Action: approve\nCrq-Digest: y\nCrq-From: x\n"
			"Crq-To: %s\n", c, c, pick(2) ? "x" : "z");
	} else if (r < 930) {
		crq_buf_printf(msg, "x\n\nCrq-Change: CHG-%06u\nCrq-Action: edit\n"
			"Crq-Change: CHG-%06u\n", c, pick(NCHG) + 1);
	} else {
		crq_buf_printf(msg, "CHG-%06u: comment\n\nCrq-Change: CHG-%06u\n"
			"Crq-Action: comment\n", c, c);
	}
}

/* n random commits on main (from tip), a side branch now and then. */
static void generate(crq_buf *out, const char *tip, int n)
{
	struct gen g;
	crq_buf msg = CRQ_BUF_INIT, file = CRQ_BUF_INIT, mfiles = CRQ_BUF_INIT;
	char main_at[48], side_at[48] = "";
	int i, c;

	memset(&g, 0, sizeof(g));
	g.when = 1795000000;
	snprintf(main_at, sizeof(main_at), "%s", tip);
	for (i = 0; i < n; i++) {
		unsigned r = pick(100);
		const char *f[NCHG];
		size_t nf = 0;

		if (r < 5 && !*side_at) {
			gen_commit(&g, "side", "fork\n", main_at, NULL, NULL, 0);
			memcpy(g.file[1], g.file[0], sizeof(g.file[0]));
			snprintf(side_at, sizeof(side_at), ":%d", g.mark);
		} else if (r < 20 && *side_at) {
			const char *one = NULL;

			gen_step(&g, 1, &msg, &file);
			if (file.size)
				one = file.ptr;
			gen_commit(&g, "side", msg.ptr, side_at, NULL, &one,
				one ? 1 : 0);
			snprintf(side_at, sizeof(side_at), ":%d", g.mark);
		} else if (r < 26 && *side_at) {
			/* the merge takes side's file, a new one or main's */
			crq_buf_clear(&mfiles);
			for (c = 0; c < NCHG; c++) {
				unsigned k = pick(10);

				if (k < 4 && g.file[1][c][0])
					memcpy(g.file[0][c], g.file[1][c],
						sizeof(g.file[0][c]));
				else if (k < 5)
					snprintf(g.file[0][c],
						sizeof(g.file[0][c]), "m%u",
						pick(1000000));
				else
					continue;
				crq_buf_printf(&mfiles,
					"changes/000/CHG-%06d.yaml%c%s%c",
					c + 1, '\0', g.file[0][c], '\0');
			}
			for (c = 0; (size_t)c < mfiles.size;) {
				f[nf++] = mfiles.ptr + c;
				c += (int)strlen(mfiles.ptr + c) + 1;
				c += (int)strlen(mfiles.ptr + c) + 1;
			}
			gen_commit(&g, "main", "Merge\n", main_at, side_at, f,
				nf);
			snprintf(main_at, sizeof(main_at), ":%d", g.mark);
			*side_at = '\0';
		} else {
			const char *one = NULL;

			gen_step(&g, 0, &msg, &file);
			if (file.size)
				one = file.ptr;
			gen_commit(&g, "main", msg.ptr, main_at, NULL, &one,
				one ? 1 : 0);
			snprintf(main_at, sizeof(main_at), ":%d", g.mark);
		}
	}
	crq_buf_put(out, g.out.ptr, g.out.size);
	crq_buf_dispose(&g.out);
	crq_buf_dispose(&msg);
	crq_buf_dispose(&file);
	crq_buf_dispose(&mfiles);
}

/* How the editors' walk reads commit c as a step on id: 0 none, 'd' a
 * decision that moved it on, 'e' an edit, 'c' a create, 'o' another. */
static int kind_of(git_commit *c, const char *id)
{
	crq_node *t = NULL;
	crq_buf problem = CRQ_BUF_INIT;
	const char *ch, *act, *from, *to;
	int k = 0;

	crq_commit__trailers(&t, &problem, git_commit_message(c));
	ch = crq_node_get_str(t, "Crq-Change");
	act = crq_node_get_str(t, "Crq-Action");
	from = crq_node_get_str(t, "Crq-From");
	to = crq_node_get_str(t, "Crq-To");
	if (ch && act && !strcmp(ch, id)) {
		if (crq_node_get(t, "Crq-Digest") && from && to &&
		    strcmp(from, to))
			k = 'd';
		else
			k = !strcmp(act, "create") ? 'c' :
				!strcmp(act, "edit") ? 'e' : 'o';
	}
	crq_node_free(t);
	crq_buf_dispose(&problem);
	return k;
}

/* Is a among the n commits in v? */
static int among(const git_oid *v, size_t n, const git_oid *a)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (git_oid_equal(&v[i], a))
			return 1;
	return 0;
}

/* All that the commits in from (n of them; with parents: their parents
 * instead) reach, into *out. */
static size_t reach(git_oid **out, const git_oid *from, size_t n,
	int parents)
{
	git_revwalk *w = NULL;
	size_t i, m = 0, alloc = 0;
	git_oid id;

	*out = NULL;
	assert_int_equal(git_revwalk_new(&w, repo->git), 0);
	for (i = 0; i < n; i++) {
		git_commit *c = NULL;
		unsigned k;

		if (!parents) {
			git_revwalk_push(w, &from[i]);
			continue;
		}
		assert_int_equal(git_commit_lookup(&c, repo->git, &from[i]), 0);
		for (k = 0; k < git_commit_parentcount(c); k++)
			git_revwalk_push(w, git_commit_parent_id(c, k));
		git_commit_free(c);
	}
	while (git_revwalk_next(&id, w) == 0) {
		crq__grow((void **)out, &alloc, m + 1, sizeof(**out));
		git_oid_cpy(&(*out)[m++], &id);
	}
	git_revwalk_free(w);
	return m;
}

static int by_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/*
 * The editors of id at c by their definition, as JSON in out: the
 * committers of the edits and creates c reaches that no decision which
 * moved it on and which c reaches reaches too.  1 when the graph has a
 * step on id below one of its creates (an id made twice, which verify
 * refuses; the walk ends at a create there), 0 when not comparable.
 */
static int oracle(crq_buf *out, const git_oid *at, const char *id)
{
	git_oid *all = NULL, *dec = NULL, *cre = NULL, *below = NULL,
		*under = NULL;
	size_t n, nd = 0, nc = 0, nb, nu, i, ne = 0, ad = 0, ac = 0;
	char **emails = NULL;
	crq_node *eds = crq_node_new(CRQ_NODE_OBJECT);
	int clean = 1;

	n = reach(&all, at, 1, 0);
	emails = calloc(n + 1, sizeof(*emails));
	for (i = 0; i < n; i++) {
		git_commit *c = NULL;
		int k;

		assert_int_equal(git_commit_lookup(&c, repo->git, &all[i]), 0);
		k = kind_of(c, id);
		if (k == 'd') {
			crq__grow((void **)&dec, &ad, nd + 1, sizeof(*dec));
			git_oid_cpy(&dec[nd++], &all[i]);
		} else if (k == 'c') {
			crq__grow((void **)&cre, &ac, nc + 1, sizeof(*cre));
			git_oid_cpy(&cre[nc++], &all[i]);
		}
		git_commit_free(c);
	}
	nb = reach(&below, dec, nd, 0);
	nu = reach(&under, cre, nc, 1);
	for (i = 0; i < n; i++) {
		git_commit *c = NULL;
		int k;

		assert_int_equal(git_commit_lookup(&c, repo->git, &all[i]), 0);
		k = kind_of(c, id);
		if (k && among(under, nu, &all[i]))
			clean = 0;
		if ((k == 'e' || k == 'c') && !among(below, nb, &all[i]))
			emails[ne++] = crq__strdup(git_commit_committer(c)->email);
		git_commit_free(c);
	}
	qsort(emails, ne, sizeof(*emails), by_str);
	for (i = 0; i < ne; i++) {
		crq_node_set(eds, emails[i], crq_node_new_bool(1));
		free(emails[i]);
	}
	crq_buf_puts(out, "0 ");
	crq_json_write(out, eds, 0);
	crq_node_free(eds);
	free(emails);
	free(all);
	free(dec);
	free(cre);
	free(below);
	free(under);
	return clean;
}

/* Editors of id at c, and the log of id with the branch at c, as text. */
static void answers(crq_buf *out, const git_oid *c, const char *id)
{
	crq_node *eds = crq_node_new(CRQ_NODE_OBJECT), *steps = NULL;
	git_reference *ref = NULL;
	int err;

	err = crq_workflow__editors(eds, repo, c, id);
	crq_buf_printf(out, "%d ", err);
	crq_json_write(out, eds, 0);
	assert_int_equal(git_reference_create(&ref, repo->git,
		"refs/heads/main", c, 1, NULL), 0);
	git_reference_free(ref);
	err = crq_change_log(&steps, repo, id);
	crq_buf_printf(out, "\n%d ", err);
	if (steps)
		crq_json_write(out, steps, 0);
	crq_buf_putc(out, '\n');
	crq_node_free(eds);
	crq_node_free(steps);
}

static void test_random_histories(void **state)
{
	int seed, k, c, nonempty = 0, checked = 0;

	(void)state;
	for (seed = 0; seed < 4; seed++) {
		crq_buf stream = CRQ_BUF_INIT, cmd = CRQ_BUF_INIT;
		git_oid tip, *all = NULL;
		size_t n = 0, alloc = 0;
		git_revwalk *w = NULL;
		char hex[GIT_OID_HEXSZ + 1];
		int unborn;
		FILE *f;

		assert_crq_ok(crq_store__tip(repo, &tip, &unborn));
		generate(&stream, git_oid_tostr(hex, sizeof(hex), &tip), 1500);
		crq_buf_printf(&cmd, "%s/stream", tmpdir);
		assert_non_null(f = fopen(cmd.ptr, "w"));
		fwrite(stream.ptr, 1, stream.size, f);
		fclose(f);
		crq_buf_clear(&cmd);
		crq_buf_printf(&cmd, "git -C '%s/s' fast-import --quiet --force "
			"<'%s/stream'", tmpdir, tmpdir);
		assert_int_equal(system(cmd.ptr), 0);
		assert_int_equal(git_revwalk_new(&w, repo->git), 0);
		git_revwalk_push_ref(w, "refs/heads/main");
		git_revwalk_push_ref(w, "refs/heads/side");
		crq__grow((void **)&all, &alloc, 1, sizeof(*all));
		while (git_revwalk_next(&all[n], w) == 0)
			crq__grow((void **)&all, &alloc, ++n + 1, sizeof(*all));
		git_revwalk_free(w);
		assert_true(n > 1000);
		for (k = 0; k < 12; k++) {
			const git_oid *at = &all[pick((unsigned)n)];

			for (c = 1; c <= NCHG; c++) {
				crq_buf off = CRQ_BUF_INIT, on = CRQ_BUF_INIT;
				char id[16];

				snprintf(id, sizeof(id), "CHG-%06d", c);
				setenv("CRQ_CACHE", "off", 1);
				answers(&off, at, id);
				unsetenv("CRQ_CACHE");
				answers(&on, at, id);
				if (strcmp(crq_buf_cstr(&off), crq_buf_cstr(&on)))
					print_error("%s at %s:\noff %s\non  %s\n",
						id, git_oid_tostr(hex,
							sizeof(hex), at),
						off.ptr, on.ptr);
				assert_string_equal(crq_buf_cstr(&off),
					crq_buf_cstr(&on));
				nonempty += strncmp(off.ptr, "0 {}", 4) != 0;
				/* the first line: the editors */
				{
					crq_buf want = CRQ_BUF_INIT;
					const char *nl = strchr(off.ptr, '\n');

					if (oracle(&want, at, id)) {
						crq_buf_putc(&want, '\n');
						if (strncmp(off.ptr, want.ptr,
							(size_t)(nl - off.ptr) + 1))
							print_error("%s at %s: oracle %s", id,
								git_oid_tostr(hex, sizeof(hex), at),
								want.ptr);
						assert_true(!strncmp(off.ptr, want.ptr,
							(size_t)(nl - off.ptr) + 1));
						checked++;
					}
					crq_buf_dispose(&want);
				}
				crq_buf_dispose(&off);
				crq_buf_dispose(&on);
			}
		}
		free(all);
		crq_buf_dispose(&stream);
		crq_buf_dispose(&cmd);
	}
	/* the histories are long enough for the index to answer */
	assert_true(nonempty > 20);
	/* and most points are comparable with the oracle */
	print_message("%d of %d answers checked against the oracle\n",
		checked, 4 * 12 * NCHG);
	assert_true(checked > 40);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_random_histories),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
