/*
 * test_policy.c - parsing a policy (what a schema cannot say) and the
 * queries the rule engine, the workflow and verify share.
 */
#include "testutil.h"
#include "policy.h"

static crq_schema *schema;
static const char *K1 = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBRq6GQ9Zzvm6l2jV8pV4bbcdz3d7GGdVzjzHzaq7TJ1";
static const char *K2 = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIFbWq1Wf3DkKQ8dvr7iQvN3kKk9PQk0d0Fv7VqRr6u7c";

static int setup(void **state)
{
	const char *dir = getenv("CRQ_DATADIR") ? getenv("CRQ_DATADIR") : ".";
	char p[512];

	(void)state;
	snprintf(p, sizeof(p), "%s/schemas/policy.schema.json", dir);
	return crq_schema_load(&schema, p);
}

static int teardown(void **state)
{
	(void)state;
	crq_schema_free(schema);
	return 0;
}

/* A small policy with members (YAML lines) and extra top-level text. */
static int parse(crq_node **out, const char *members, const char *extra)
{
	crq_buf t = CRQ_BUF_INIT;
	int err;

	crq_buf_printf(&t, "version: 1\nroles:\n  admin: a\n  cab: c\n"
		"members:\n%s%s"
		"workflow:\n  actions:\n    - name: comment\n"
		"      from: ['*']\n      roles: ['*']\n", members, extra);
	err = crq_policy__parse(out, schema, t.ptr, t.size, "policy.yaml",
		NULL);
	crq_buf_dispose(&t);
	return err;
}

static void test_semantics(void **state)
{
	crq_node *p = NULL;
	char m[1024];

	(void)state;
	snprintf(m, sizeof(m), "  - email: a@example.com\n    name: A\n"
		"    roles: [admin]\n    keys: ['%s']\n", K1);
	assert_crq_ok(parse(&p, m, ""));
	crq_node_free(p);
	snprintf(m, sizeof(m), "  - email: a@example.com\n    name: A\n"
		"    roles: [admin]\n    keys: ['%s']\n"
		"  - email: b@example.com\n    name: B\n"
		"    roles: [cab]\n    keys: ['%s']\n", K1, K1);
	assert_crq_fails(parse(&p, m, ""), CRQ_EINVALID,
		"already belongs to 'a@example.com': one key, one member");
	snprintf(m, sizeof(m), "  - email: a@example.com\n    name: A\n"
		"    roles: [admin]\n    keys: ['ssh-rsa AAAAB3NzaC1yc2E']\n");
	assert_crq_fails(parse(&p, m, ""), CRQ_EINVALID,
		"is not an ssh-ed25519 key");
	snprintf(m, sizeof(m), "  - email: a@example.com\n    name: A\n"
		"    roles: [cab]\n");
	assert_crq_fails(parse(&p, m, ""), CRQ_EINVALID,
		"no member holds the admin role");
	snprintf(m, sizeof(m), "  - email: a@example.com\n    name: A\n"
		"    roles: [admin, boss]\n");
	assert_crq_fails(parse(&p, m, ""), CRQ_EINVALID, "boss");
	snprintf(m, sizeof(m), "  - email: a@example.com\n    name: A\n"
		"    roles: [admin]\n");
	assert_crq_fails(parse(&p, m, "admin_threshold: 2\n"), CRQ_EINVALID,
		"admin_threshold is 2 but only 1 member holds the admin role");
}

static void test_queries(void **state)
{
	crq_node *p = NULL;
	const crq_node *m;
	int named;
	char text[1024];

	(void)state;
	snprintf(text, sizeof(text), "  - email: a@example.com\n    name: A\n"
		"    roles: [admin, {role: cab, until: 2026-11-30}]\n"
		"    keys: ['%s comment']\n    handles: {github: a-gh}\n"
		"  - email: b@example.com\n    name: B\n    roles: [cab]\n"
		"    keys: ['%s']\n", K1, K2);
	assert_crq_ok(parse(&p, text, ""));
	m = crq_policy__member(p, "a@example.com");
	assert_non_null(m);
	assert_true(crq_policy__has_role(m, "cab", "2026-11-30"));
	assert_false(crq_policy__has_role(m, "cab", "2026-12-01"));
	assert_true(crq_policy__has_role(m, "*", "2099-01-01"));
	assert_ptr_equal(crq_policy__key_owner(p, K1), m);
	assert_ptr_equal(crq_policy__key_owner(p, K2),
		crq_policy__member(p, "b@example.com"));
	assert_null(crq_policy__key_owner(p, "ssh-ed25519 AAAA"));
	assert_ptr_equal(crq_policy__by_handle(p, "github", "a-gh"), m);
	assert_null(crq_policy__by_handle(p, "gitlab", "a-gh"));
	assert_non_null(crq_policy__action(p, "comment", "normal", "draft",
		&named));
	assert_int_equal(named, 1);
	assert_null(crq_policy__action(p, "approve", "normal", "draft",
		&named));
	assert_int_equal(named, 0);
	crq_node_free(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_semantics),
		cmocka_unit_test(test_queries),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
