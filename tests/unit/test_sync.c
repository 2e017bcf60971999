/*
 * test_sync.c - crq_sync between two clones of one store through a bare
 * repository: steps move, a colliding new id is renumbered, the result
 * verifies, and what cannot be synced is refused with nothing pushed.
 */
#include "testutil.h"
#include <unistd.h>

static char tmpdir[64];
static crq_options opts;

static int setup(void **state)
{
	(void)state;
	unsetenv("CI");
	return test_env_setup(tmpdir, &opts);
}

static int teardown(void **state)
{
	(void)state;
	return test_env_teardown(tmpdir);
}

static void sh(const char *fmt, const char *arg)
{
	char cmd[512];

	snprintf(cmd, sizeof(cmd), fmt, arg, arg, arg);
	assert_int_equal(system(cmd), 0);
}

static void rev(char out[41], const char *dir)
{
	char cmd[256];
	FILE *f;

	snprintf(cmd, sizeof(cmd), "git -C '%s' rev-parse main", dir);
	f = popen(cmd, "r");
	assert_non_null(f);
	assert_non_null(fgets(out, 41, f));
	pclose(f);
}

static void test_two_clones(void **state)
{
	crq_repo *a = NULL, *b = NULL;
	crq_buf id = CRQ_BUF_INIT, report = CRQ_BUF_INIT;
	crq_verify_options o = CRQ_VERIFY_OPTIONS_INIT;
	crq_verify_result res;
	crq_node *f = NULL;
	char pa[128], pb[128], r1[41], r2[41];

	(void)state;
	snprintf(pa, sizeof(pa), "%s/a", tmpdir);
	snprintf(pb, sizeof(pb), "%s/b", tmpdir);
	assert_crq_ok(crq_repo_init(&a, pa, &opts));
	sh("cd '%s' && git clone -q --bare a remote.git && "
		"git -C a remote add origin \"$PWD/remote.git\" && "
		"git clone -q remote.git b", tmpdir);
	assert_crq_ok(crq_repo_open(&b, pb, &opts));
	assert_crq_ok(crq_yaml_load(&f, "title: t\n", 9, "f"));
	/* both clones create the first change */
	assert_crq_ok(crq_change_create(&id, a, f, NULL));
	assert_string_equal(id.ptr, "CHG-000001");
	assert_crq_ok(crq_sync(&report, a, "origin"));
	crq_buf_clear(&id);
	/* (another title: the same step at the same second by the same
	 * member is the same commit, byte for byte) */
	crq_node_free(f);
	assert_crq_ok(crq_yaml_load(&f, "title: u\n", 9, "f"));
	assert_crq_ok(crq_change_create(&id, b, f, NULL));
	assert_string_equal(id.ptr, "CHG-000001");
	crq_buf_clear(&report);
	assert_crq_ok(crq_sync(&report, b, "origin"));
	assert_non_null(strstr(report.ptr,
		"renumbered CHG-000001 to CHG-000002"));
	snprintf(pa, sizeof(pa), "%s/remote.git", tmpdir);
	rev(r1, pa);
	rev(r2, pb);
	assert_string_equal(r1, r2);
	crq_verify_result_init(&res);
	assert_crq_ok(crq_verify_run(&res, b, &o));
	assert_int_equal(res.count, 0);
	assert_int_equal(res.checked, 2);
	crq_verify_result_dispose(&res);
	/* an unknown remote: refused, nothing moved */
	crq_buf_clear(&report);
	assert_int_not_equal(crq_sync(&report, b, "nowhere"), 0);
	rev(r1, pb);
	assert_string_equal(r1, r2);
	crq_node_free(f);
	crq_buf_dispose(&id);
	crq_buf_dispose(&report);
	crq_repo_free(a);
	crq_repo_free(b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_two_clones),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
