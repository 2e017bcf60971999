/*
 * test_commit.c - the raw commit parser and the Crq-* trailers.
 */
#include "testutil.h"
#include "commit.h"

#define HEAD "tree 4b825dc642cb6eb9a060e54bf8d69288fbee4904\n" \
	"author A <a@example.com> 1795428000 +0000\n" \
	"committer A <a@example.com> 1795428000 +0000\n"
#define SIG "gpgsig -----BEGIN SSH SIGNATURE-----\n U1NIU0lH\n" \
	" -----END SSH SIGNATURE-----\n"

static int split(const char *obj, crq_buf *payload, crq_buf *sig,
	crq_buf *problem)
{
	crq_buf_clear(payload);
	crq_buf_clear(sig);
	crq_buf_clear(problem);
	return crq_commit__split(payload, sig, problem, obj, strlen(obj));
}

static void test_split(void **state)
{
	crq_buf p = CRQ_BUF_INIT, s = CRQ_BUF_INIT, pr = CRQ_BUF_INIT;

	(void)state;
	assert_int_equal(split(HEAD SIG "\nmsg\n", &p, &s, &pr), 1);
	assert_string_equal(p.ptr, HEAD "\nmsg\n");
	assert_string_equal(s.ptr, "-----BEGIN SSH SIGNATURE-----\nU1NIU0lH\n"
		"-----END SSH SIGNATURE-----");
	assert_int_equal(pr.size, 0);
	/* a signature moved into the message is no signature */
	assert_int_equal(split(HEAD "\n" SIG "msg\n", &p, &s, &pr), 0);
	/* two signature headers, a header git adds for sha256, a header
	 * before the committer */
	assert_int_equal(split(HEAD SIG SIG "\nmsg\n", &p, &s, &pr), 2);
	assert_string_equal(pr.ptr, "more than one signature header");
	split(HEAD "gpgsig-sha256 x\n\nmsg\n", &p, &s, &pr);
	assert_string_equal(pr.ptr,
		"header 'gpgsig-sha256' is not allowed in a crq commit");
	split("tree 4b825dc642cb6eb9a060e54bf8d69288fbee4904\n" SIG
		"committer A <a@example.com> 1795428000 +0000\n\nm\n", &p, &s,
		&pr);
	assert_string_equal(pr.ptr, "gpgsig header before committer");
	split(HEAD "encoding latin1\n\nmsg\n", &p, &s, &pr);
	assert_string_equal(pr.ptr,
		"header 'encoding' is not allowed in a crq commit");
	crq_buf_dispose(&p);
	crq_buf_dispose(&s);
	crq_buf_dispose(&pr);
}

static void test_trailers(void **state)
{
	crq_node *t = NULL;
	crq_buf pr = CRQ_BUF_INIT;

	(void)state;
	assert_crq_ok(crq_commit__trailers(&t, &pr, "s\n\nbody\n\n"
		"Crq-Change: CHG-000001\nCrq-Action: approve\nSigned-off-by: x\n"));
	assert_int_equal(t->count, 2);
	assert_string_equal(crq_node_get_str(t, "Crq-Action"), "approve");
	assert_int_equal(pr.size, 0);
	crq_node_free(t);
	assert_crq_ok(crq_commit__trailers(&t, &pr, "s\n\n"
		"Crq-Change: CHG-000001\nCrq-Action: edit\nCrq-Action: approve\n"));
	assert_string_equal(pr.ptr, "trailer 'Crq-Action' appears twice");
	assert_string_equal(crq_node_get_str(t, "Crq-Action"), "edit");
	crq_node_free(t);
	crq_buf_clear(&pr);
	assert_crq_ok(crq_commit__trailers(&t, &pr, "s\n\n"
		"crq-change: CHG-000001\n"));
	assert_string_equal(pr.ptr, "unknown trailer 'crq-change'");
	crq_node_free(t);
	crq_buf_clear(&pr);
	/* trailers only count in the last paragraph */
	assert_crq_ok(crq_commit__trailers(&t, &pr, "s\n\n"
		"Crq-Change: CHG-000001\n\nthe end\n"));
	assert_int_equal(t->count, 0);
	crq_node_free(t);
	crq_buf_dispose(&pr);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_split),
		cmocka_unit_test(test_trailers),
	};

	int rc;

	/* the trailer parser allocates through libgit2 */
	git_libgit2_init();
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	git_libgit2_shutdown();
	return rc;
}
