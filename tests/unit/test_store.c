/*
 * test_store.c - the git store: init, open, config, and the one commit
 * path with its compare-and-swap and work-tree guard.
 */
#include "testutil.h"
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>
#include "store.h"
#include "policy.h"

static char tmpdir[64];
static crq_options opts;

static int setup(void **state)
{
	(void)state;
	return test_env_setup(tmpdir, &opts);
}

static int teardown(void **state)
{
	(void)state;
	return test_env_teardown(tmpdir);
}

static void path_in(char *out, size_t n, const char *rel)
{
	snprintf(out, n, "%s/%s", tmpdir, rel);
}

static void test_init_and_open(void **state)
{
	crq_repo *repo = NULL, *again = NULL;
	crq_buf b = CRQ_BUF_INIT;
	const crq_node *policy;
	char p[256];

	(void)state;
	path_in(p, sizeof(p), "s");
	assert_crq_ok(crq_repo_init(&repo, p, &opts));
	assert_string_equal(crq_repo_branch(repo), "refs/heads/main");
	assert_string_equal(crq_repo_workdir(repo), p);
	assert_crq_ok(crq_store__read(repo, NULL, ".crq/policy.yaml", &b,
		NULL));
	assert_non_null(strstr(b.ptr, "priority_matrix"));
	assert_crq_ok(crq_policy__tip(&policy, repo));
	assert_string_equal(repo->prefix, "CHG");
	assert_int_equal(repo->shard_size, 1000);
	crq_repo_free(repo);
	assert_crq_fails(crq_repo_init(&again, p, &opts), CRQ_EEXISTS,
		"is already a crq store");
	assert_null(again);
	/* open searches upwards like git */
	path_in(p, sizeof(p), "s/.crq");
	assert_crq_ok(crq_repo_open(&repo, p, &opts));
	crq_buf_clear(&b);
	assert_crq_ok(crq_repo_config(&b, repo, "user.email"));
	assert_string_equal(b.ptr, "test@example.com");
	crq_buf_clear(&b);
	assert_crq_fails(crq_repo_config(&b, repo, "crq.nothing"),
		CRQ_ENOTFOUND, "'crq.nothing' is not set");
	crq_repo_free(repo);
	crq_buf_dispose(&b);
}

static void test_open_errors(void **state)
{
	crq_repo *repo = NULL;
	char p[256];

	(void)state;
	path_in(p, sizeof(p), "plain");
	mkdir(p, 0777);
	setenv("GIT_CEILING_DIRECTORIES", tmpdir, 1);
	assert_crq_fails(crq_repo_open(&repo, p, &opts), CRQ_EREPO,
		"not a git repository");
	unsetenv("GIT_CEILING_DIRECTORIES");
	assert_null(repo);
}

static void test_commit_cas(void **state)
{
	crq_repo *repo = NULL;
	crq_store_write w = { "notes/a.txt", "one\n", 4 };
	git_oid tip, first, second, stale;
	crq_buf b = CRQ_BUF_INIT;
	int unborn;
	char p[256];

	(void)state;
	path_in(p, sizeof(p), "cas");
	assert_crq_ok(crq_repo_init(&repo, p, &opts));
	assert_crq_ok(crq_store__tip(repo, &tip, &unborn));
	assert_int_equal(unborn, 0);
	assert_crq_ok(crq_store__commit(repo, &tip, &w, 1, "one\n", crq_store__step_time(repo, &tip), &first));
	git_oid_cpy(&stale, &tip);
	/* a writer still holding the old tip loses the race cleanly */
	w.data = "two\n";
	assert_int_equal(crq_store__commit(repo, &stale, &w, 1, "two\n", crq_store__step_time(repo, &stale),
		&second), CRQ_STORE_RACE);
	assert_crq_ok(crq_store__tip(repo, &tip, &unborn));
	assert_true(git_oid_equal(&tip, &first));
	/* the work tree file and index follow the branch */
	path_in(p, sizeof(p), "cas/notes/a.txt");
	assert_crq_ok(crq_buf_read_file(&b, p, 100));
	assert_string_equal(b.ptr, "one\n");
	/* an uncommitted edit is never overwritten */
	{
		FILE *f = fopen(p, "a");

		fputs("mine\n", f);
		fclose(f);
	}
	assert_crq_fails(crq_store__commit(repo, &tip, &w, 1, "two\n", crq_store__step_time(repo, &tip),
		&second), CRQ_ECONFLICT, "'notes/a.txt' has uncommitted changes");
	crq_buf_clear(&b);
	assert_crq_ok(crq_buf_read_file(&b, p, 100));
	assert_string_equal(b.ptr, "one\nmine\n");
	crq_buf_dispose(&b);
	crq_repo_free(repo);
}

static void test_bare(void **state)
{
	crq_repo *repo = NULL;
	crq_store_write w = { "x/y/z.txt", "z\n", 2 };
	git_repository *g = NULL;
	git_oid tip, out;
	crq_buf b = CRQ_BUF_INIT;
	int unborn;
	char p[256];

	(void)state;
	path_in(p, sizeof(p), "bare.git");
	git_libgit2_init();
	assert_int_equal(git_repository_init(&g, p, 1), 0);
	git_repository_free(g);
	git_libgit2_shutdown();
	assert_crq_ok(crq_repo_init(&repo, p, &opts));
	assert_null(crq_repo_workdir(repo));
	assert_crq_ok(crq_store__tip(repo, &tip, &unborn));
	assert_crq_ok(crq_store__commit(repo, &tip, &w, 1, "z\n", crq_store__step_time(repo, &tip), &out));
	assert_crq_ok(crq_store__read(repo, NULL, "x/y/z.txt", &b, NULL));
	assert_string_equal(b.ptr, "z\n");
	crq_buf_clear(&b);
	assert_crq_fails(crq_store__read(repo, NULL, "x/y", &b, NULL),
		CRQ_EINVALID, "'x/y' is not a file");
	assert_crq_fails(crq_store__read(repo, NULL, "nope", &b, NULL),
		CRQ_ENOTFOUND, "'nope' does not exist");
	crq_buf_dispose(&b);
	crq_repo_free(repo);
}

static void test_now(void **state)
{
	crq_buf b = CRQ_BUF_INIT;

	(void)state;
	setenv("GIT_COMMITTER_DATE", "@1700000000 +0200", 1);
	crq_store__now(&b, NULL);
	assert_string_equal(b.ptr, "2023-11-14T22:13:20Z");
	crq_buf_clear(&b);
	setenv("GIT_COMMITTER_DATE", "2026-01-02T03:04:05+01:00", 1);
	crq_store__now(&b, NULL);
	assert_string_equal(b.ptr, "2026-01-02T02:04:05Z");
	setenv("GIT_COMMITTER_DATE", "2026-11-23T10:00:00Z", 1);
	crq_buf_dispose(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_init_and_open),
		cmocka_unit_test(test_open_errors),
		cmocka_unit_test(test_commit_cas),
		cmocka_unit_test(test_bare),
		cmocka_unit_test(test_now),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
