/*
 * test_verify.c - crq_verify_run on histories made through the library:
 * results as structs, the trusted root, and a hostile step written
 * straight through the store.
 */
#include "testutil.h"
#include <unistd.h>
#include "store.h"

static char tmpdir[64];
static crq_options opts;
static crq_repo *repo;

static int setup(void **state)
{
	char p[128];

	(void)state;
	unsetenv("CI");
	if (test_env_setup(tmpdir, &opts) < 0)
		return -1;
	snprintf(p, sizeof(p), "%s/s", tmpdir);
	return crq_repo_init(&repo, p, &opts);
}

static int teardown(void **state)
{
	(void)state;
	crq_repo_free(repo);
	return test_env_teardown(tmpdir);
}

static void test_clean_and_pinned(void **state)
{
	crq_verify_options o = CRQ_VERIFY_OPTIONS_INIT;
	crq_verify_result res;
	crq_buf id = CRQ_BUF_INIT, to = CRQ_BUF_INIT;
	crq_node *f = NULL;

	(void)state;
	assert_crq_ok(crq_yaml_load(&f, "title: One\n", 11, "f"));
	assert_crq_ok(crq_change_create(&id, repo, f, NULL));
	assert_crq_ok(crq_change_act(&to, repo, id.ptr, "comment", NULL));
	crq_verify_result_init(&res);
	assert_crq_ok(crq_verify_run(&res, repo, &o));
	assert_int_equal(res.count, 0);
	assert_int_equal(res.checked, 2);
	assert_int_equal(res.pinned, 1);
	assert_int_equal(strlen(res.root), 40);
	crq_verify_result_dispose(&res);
	/* the next run resumes after the clean tip: nothing new */
	crq_verify_result_init(&res);
	assert_crq_ok(crq_verify_run(&res, repo, &o));
	assert_int_equal(res.checked, 0);
	assert_int_equal(res.pinned, 0);
	crq_verify_result_dispose(&res);
	/* CI: a root from outside the history, or no run */
	o.require_trust = 1;
	crq_verify_result_init(&res);
	assert_crq_fails(crq_verify_run(&res, repo, &o), CRQ_EREPO,
		"no trusted root");
	crq_verify_result_dispose(&res);
	o.trust = "nope";
	assert_crq_fails(crq_verify_run(&res, repo, &o), CRQ_EREPO,
		"cannot resolve trusted commit 'nope'");
	crq_verify_result_dispose(&res);
	crq_node_free(f);
	crq_buf_dispose(&id);
	crq_buf_dispose(&to);
}

static void test_hostile_step(void **state)
{
	crq_verify_options o = CRQ_VERIFY_OPTIONS_INIT;
	crq_verify_result res;
	crq_buf text = CRQ_BUF_INIT, path = CRQ_BUF_INIT;
	crq_store_write w;
	git_oid tip, out;
	char hex[41];
	char *at;
	int unborn;

	(void)state;
	/* a signed step by a member, with a requester crq never writes */
	assert_crq_ok(crq_change_path(&path, repo, "CHG-000001"));
	assert_crq_ok(crq_store__read(repo, NULL, path.ptr, &text, NULL));
	at = strstr(text.ptr, "requester: test@example.com");
	assert_non_null(at);
	memcpy(at + strlen("requester: "), "evil", 4);
	w.path = path.ptr;
	w.data = text.ptr;
	w.len = text.size;
	assert_crq_ok(crq_store__tip(repo, &tip, &unborn));
	assert_crq_ok(crq_store__commit(repo, &tip, &w, 1,
		"CHG-000001: edit \xe2\x80\x94 One\n\nCrq-Change: CHG-000001\n"
		"Crq-Action: edit\nCrq-From: draft\nCrq-To: draft\n",
		crq_store__step_time(repo, &tip), &out));
	git_oid_tostr(hex, sizeof(hex), &out);
	o.rev = "main";
	crq_verify_result_init(&res);
	assert_crq_ok(crq_verify_run(&res, repo, &o));
	assert_int_equal(res.count, 1);
	assert_string_equal(res.items[0].commit, hex);
	assert_string_equal(res.items[0].change, "CHG-000001");
	assert_string_equal(res.items[0].rule, "derived-field");
	assert_non_null(strstr(res.items[0].message, "'requester'"));
	crq_verify_result_dispose(&res);
	/* verifying the branch reports it too, and remembers no clean tip */
	o.rev = NULL;
	crq_verify_result_init(&res);
	assert_crq_ok(crq_verify_run(&res, repo, &o));
	assert_int_equal(res.count, 1);
	crq_verify_result_dispose(&res);
	/* base: only what a branch adds over it is checked */
	o.base = hex;
	crq_verify_result_init(&res);
	assert_crq_ok(crq_verify_run(&res, repo, &o));
	assert_int_equal(res.count, 0);
	assert_int_equal(res.checked, 0);
	crq_verify_result_dispose(&res);
	crq_buf_dispose(&text);
	crq_buf_dispose(&path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_clean_and_pinned),
		cmocka_unit_test(test_hostile_step),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
