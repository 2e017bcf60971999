/*
 * test_history.c - the history index (lib/history.c) against the walks
 * it stands in for: on random histories made with git fast-import (a
 * side branch merged back, the merge taking one side's file, the
 * other's or neither; steps, decisions, trailers twice, code commits),
 * the editors of every change and its log at random commits are the
 * same with the cache on as off.
 */
#include "testutil.h"
#include <unistd.h>
#include "store.h"
#include "change.h"

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
	int seed, k, c, nonempty = 0;

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
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_random_histories),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
