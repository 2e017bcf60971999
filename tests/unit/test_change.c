/*
 * test_change.c - the change model: create, load, set, update, list,
 * canonical format, ids and shards.
 */
#include "testutil.h"
#include <stdlib.h>
#include <unistd.h>
#include "store.h"

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
	return test_env_teardown(tmpdir);
}

static crq_node *fields(const char *yaml)
{
	crq_node *n = NULL;

	assert_crq_ok(crq_yaml_load(&n, yaml, strlen(yaml), "fields"));
	assert_crq_ok(crq_change_type_fields(repo, n, "fields"));
	return n;
}

static void test_create_and_load(void **state)
{
	crq_buf id = CRQ_BUF_INIT, path = CRQ_BUF_INIT;
	crq_node *f = fields("title: Patch web\nimpact: high\nurgency: low\n"
		"services: [web]\n"), *doc = NULL;

	(void)state;
	assert_crq_ok(crq_change_create(&id, repo, f, NULL));
	assert_string_equal(id.ptr, "CHG-000001");
	assert_crq_ok(crq_change_path(&path, repo, id.ptr));
	assert_string_equal(path.ptr, "changes/000/CHG-000001.yaml");
	assert_crq_ok(crq_change_load(&doc, repo, "CHG-000001"));
	assert_string_equal(crq_node_get_str(doc, "state"), "draft");
	assert_string_equal(crq_node_get_str(doc, "type"), "normal");
	assert_string_equal(crq_node_get_str(doc, "requester"),
		"test@example.com");
	assert_string_equal(crq_node_get_str(doc, "priority"), "medium");
	assert_string_equal(crq_node_get_str(doc, "created"),
		"2026-11-23T10:00:00Z");
	crq_node_free(doc);
	crq_buf_clear(&id);
	assert_crq_ok(crq_change_create(&id, repo, f, NULL));
	assert_string_equal(id.ptr, "CHG-000002");
	crq_node_free(f);
	crq_buf_dispose(&id);
	crq_buf_dispose(&path);
}

static void test_create_refusals(void **state)
{
	crq_buf id = CRQ_BUF_INIT;
	crq_node *f;

	(void)state;
	f = fields("title: x\nstate: closed\n");
	assert_crq_fails(crq_change_create(&id, repo, f, NULL), CRQ_EDENIED,
		"field 'state' is set by crq");
	crq_node_free(f);
	f = fields("title: x\nrisk: extreme\n");
	assert_crq_fails(crq_change_create(&id, repo, f, NULL), CRQ_EINVALID,
		"'risk' must be one of");
	crq_node_free(f);
	f = fields("title: x\n");
	assert_crq_fails(crq_change_create(&id, repo, f, "missing"),
		CRQ_ENOTFOUND, "no such template 'missing'");
	crq_node_free(f);
	assert_int_equal(id.size, 0);
	crq_buf_dispose(&id);
}

static void test_template(void **state)
{
	crq_buf id = CRQ_BUF_INIT;
	crq_node *doc = NULL;

	(void)state;
	assert_crq_ok(crq_change_create(&id, repo, NULL, "os-patch"));
	assert_crq_ok(crq_change_load(&doc, repo, id.ptr));
	assert_string_equal(crq_node_get_str(doc, "type"), "standard");
	assert_string_equal(crq_node_get_str(doc, "template"), "os-patch");
	assert_non_null(crq_node_get_str(doc, "backout_plan"));
	crq_node_free(doc);
	crq_buf_dispose(&id);
}

static void test_set_and_update(void **state)
{
	const char *a1[] = { "risk=high", "window.start=2026-12-01T10:00:00Z",
		"window.end=2026-12-01T11:00:00Z", "services=[a, b]" };
	const char *a2[] = { "risk=" };
	const char *bad[] = { "colour=red" };
	crq_node *doc = NULL;

	(void)state;
	assert_crq_ok(crq_change_set(repo, "CHG-000001", a1, 4));
	assert_crq_ok(crq_change_load(&doc, repo, "CHG-000001"));
	assert_string_equal(crq_node_get_str(doc, "risk"), "high");
	assert_string_equal(crq_node_path(doc, "window.end")->str,
		"2026-12-01T11:00:00Z");
	assert_int_equal(crq_node_get(doc, "services")->count, 2);
	/* unchanged content is no commit */
	assert_crq_fails(crq_change_update(repo, "CHG-000001", doc, "edit"),
		CRQ_EEXISTS, "nothing to change");
	crq_node_set(doc, "state", crq_node_new_cstr("closed"));
	assert_crq_fails(crq_change_update(repo, "CHG-000001", doc, "edit"),
		CRQ_EDENIED, "field 'state' is set by crq");
	crq_node_free(doc);
	assert_crq_ok(crq_change_set(repo, "CHG-000001", a2, 1));
	assert_crq_ok(crq_change_load(&doc, repo, "CHG-000001"));
	assert_null(crq_node_get(doc, "risk"));
	crq_node_free(doc);
	assert_crq_fails(crq_change_set(repo, "CHG-000001", bad, 1),
		CRQ_EINVALID, "unknown field 'colour'");
	assert_crq_fails(crq_change_set(repo, "CHG-000404", a2, 1),
		CRQ_ENOTFOUND, "no such change 'CHG-000404'");
	assert_crq_fails(crq_change_set(repo, "BAD-1", a2, 1),
		CRQ_EINVALID, "is not a change id of this store");
}

static int to_buf(const char *data, size_t len, void *payload)
{
	crq_buf_put(payload, data, len);
	return 0;
}

static int fail_write(const char *data, size_t len, void *payload)
{
	(void)data;
	(void)len;
	++*(int *)payload;
	return CRQ_EREPO;
}

static void test_list_and_filter(void **state)
{
	crq_node *list = NULL;
	crq_filter f;
	crq_issues bad;
	crq_buf json = CRQ_BUF_INIT;
	crq_node *parsed = NULL;

	(void)state;
	crq_issues_init(&bad);
	assert_crq_ok(crq_change_list(&list, repo, NULL, &bad));
	assert_int_equal(bad.count, 0);
	/* the JSON listing is the same changes, as JSON */
	assert_crq_ok(crq_change_list_json(repo, NULL, &bad, to_buf, &json));
	assert_crq_ok(crq_json_parse(&parsed, json.ptr, json.size, "list"));
	assert_true(crq_node_equal(parsed, list));
	crq_node_free(parsed);
	crq_buf_dispose(&json);
	assert_int_equal(list->count, 3);
	assert_string_equal(crq_node_get_str(list->items[2], "id"),
		"CHG-000003");
	crq_node_free(list);
	memset(&f, 0, sizeof(f));
	f.service = "a";
	assert_crq_ok(crq_change_list(&list, repo, &f, &bad));
	crq_buf_puts(&json, "");
	assert_crq_ok(crq_change_list_json(repo, &f, &bad, to_buf, &json));
	assert_crq_ok(crq_json_parse(&parsed, json.ptr, json.size, "list"));
	assert_true(crq_node_equal(parsed, list));
	crq_node_free(parsed);
	crq_buf_dispose(&json);
	assert_int_equal(list->count, 1);
	crq_node_free(list);
	f.service = NULL;
	f.type = "standard";
	f.state = "draft";
	assert_crq_ok(crq_change_list(&list, repo, &f, &bad));
	assert_int_equal(list->count, 1);
	assert_string_equal(crq_node_get_str(list->items[0], "template"),
		"os-patch");
	crq_node_free(list);
	f.type = "emergency";
	assert_crq_ok(crq_change_list_json(repo, &f, &bad, to_buf, &json));
	assert_string_equal(json.ptr, "[]");
	crq_buf_dispose(&json);
	{
		int calls = 0;

		/* a failing writer stops the output and fails the call */
		assert_int_equal(crq_change_list_json(repo, NULL, &bad,
			fail_write, &calls), CRQ_EREPO);
		assert_int_equal(calls, 1);
	}
	assert_int_equal(bad.count, 0);
	crq_issues_dispose(&bad);
}

static void test_format_order(void **state)
{
	const crq_schema *schema;
	crq_buf out = CRQ_BUF_INIT;
	crq_node *doc = NULL;
	const char *text = "updated: '2026-01-01T00:00:00Z'\nstate: draft\n"
		"window: {end: '2026-01-02T00:00:00Z', start: '2026-01-01T00:00:00Z'}\n"
		"title: 'yes'\nid: CHG-000009\n";

	(void)state;
	assert_crq_ok(crq_repo_change_schema(&schema, repo));
	assert_crq_ok(crq_yaml_load(&doc, text, strlen(text), "t"));
	{
		crq_issues is;

		crq_issues_init(&is);
		assert_crq_ok(crq_schema_type(schema, doc, &is));
		assert_int_equal(is.count, 0);
		crq_issues_dispose(&is);
	}
	crq_change_format(&out, schema, doc);
	assert_string_equal(out.ptr,
		"id: CHG-000009\ntitle: 'yes'\nstate: draft\nwindow:\n"
		"  start: '2026-01-01T00:00:00Z'\n"
		"  end: '2026-01-02T00:00:00Z'\n"
		"updated: '2026-01-01T00:00:00Z'\n");
	crq_node_free(doc);
	crq_buf_dispose(&out);
}

static void test_prefix_and_shards(void **state)
{
	crq_repo *r = NULL;
	crq_store_write w;
	crq_buf id = CRQ_BUF_INIT, path = CRQ_BUF_INIT, pol = CRQ_BUF_INIT;
	crq_node *f = NULL;
	git_oid tip, out;
	char p[128];
	int unborn, i;
	const char *t = "title: x\n";

	(void)state;
	snprintf(p, sizeof(p), "%s/ops", tmpdir);
	assert_crq_ok(crq_repo_init(&r, p, &opts));
	{
		crq_buf pub = CRQ_BUF_INIT;

		snprintf(p, sizeof(p), "%s/key.pub", tmpdir);
		assert_crq_ok(crq_buf_read_file(&pub, p, 4096));
		pub.ptr[strcspn(pub.ptr, "\n")] = '\0';
		crq_buf_printf(&pol, "version: 2\nstore:\n  prefix: OPS\n"
			"  shard_size: 10\nroles:\n  requester: raises\n"
			"  admin: edits policy\nmembers:\n"
			"  - email: test@example.com\n    name: T\n"
			"    roles: [requester, admin]\n    keys: ['%s']\n",
			pub.ptr);
		crq_buf_dispose(&pub);
		snprintf(p, sizeof(p), "%s/ops", tmpdir);
	}
	crq_buf_puts(&pol, ""
		"workflow:\n  actions:\n    - name: create\n"
		"      from: ['*']\n      to: draft\n      roles: [requester]\n"
		"      sets: ['*']\n");
	w.path = ".crq/policy.yaml";
	w.data = pol.ptr;
	w.len = pol.size;
	assert_crq_ok(crq_store__tip(r, &tip, &unborn));
	assert_crq_ok(crq_store__commit(r, &tip, &w, 1, "policy\n", crq_store__step_time(r, &tip), &out));
	crq_repo_free(r);
	assert_crq_ok(crq_repo_open(&r, p, &opts));
	assert_crq_ok(crq_yaml_load(&f, t, strlen(t), "f"));
	for (i = 0; i < 12; i++) {
		crq_buf_clear(&id);
		assert_crq_ok(crq_change_create(&id, r, f, NULL));
	}
	assert_string_equal(id.ptr, "OPS-000012");
	assert_crq_ok(crq_change_path(&path, r, id.ptr));
	assert_string_equal(path.ptr, "changes/001/OPS-000012.yaml");
	crq_buf_clear(&path);
	assert_crq_fails(crq_change_path(&path, r, "CHG-000001"),
		CRQ_EINVALID, "expected OPS-NNNNNN");
	crq_node_free(f);
	crq_repo_free(r);
	crq_buf_dispose(&id);
	crq_buf_dispose(&path);
	crq_buf_dispose(&pol);
}

/* Shard "1000" sorts before "999" in a git tree; ids must not. */
static void test_big_numbers(void **state)
{
	crq_repo *r = NULL;
	crq_store_write w[2];
	crq_buf a = CRQ_BUF_INIT, b = CRQ_BUF_INIT, id = CRQ_BUF_INIT;
	crq_node *list = NULL, *f = NULL;
	git_oid tip, out;
	char p[128];
	int unborn;
	const char *t = "title: next\n";
	const char *fmt = "id: CHG-%s\ntitle: t\ntype: normal\n"
		"state: draft\nrequester: a@example.com\n"
		"created: '2026-01-01T00:00:00Z'\n";

	(void)state;
	snprintf(p, sizeof(p), "%s/big", tmpdir);
	assert_crq_ok(crq_repo_init(&r, p, &opts));
	crq_buf_printf(&a, fmt, "999999");
	crq_buf_printf(&b, fmt, "1000000");
	w[0].path = "changes/999/CHG-999999.yaml";
	w[0].data = a.ptr;
	w[0].len = a.size;
	w[1].path = "changes/1000/CHG-1000000.yaml";
	w[1].data = b.ptr;
	w[1].len = b.size;
	assert_crq_ok(crq_store__tip(r, &tip, &unborn));
	assert_crq_ok(crq_store__commit(r, &tip, w, 2, "big\n", crq_store__step_time(r, &tip), &out));
	assert_crq_ok(crq_change_list(&list, r, NULL, NULL));
	assert_int_equal(list->count, 2);
	assert_string_equal(crq_node_get_str(list->items[0], "id"),
		"CHG-999999");
	assert_string_equal(crq_node_get_str(list->items[1], "id"),
		"CHG-1000000");
	crq_node_free(list);
	assert_crq_ok(crq_yaml_load(&f, t, strlen(t), "f"));
	assert_crq_ok(crq_change_create(&id, r, f, NULL));
	assert_string_equal(id.ptr, "CHG-1000001");
	crq_node_free(f);
	crq_repo_free(r);
	crq_buf_dispose(&a);
	crq_buf_dispose(&b);
	crq_buf_dispose(&id);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_create_and_load),
		cmocka_unit_test(test_create_refusals),
		cmocka_unit_test(test_template),
		cmocka_unit_test(test_set_and_update),
		cmocka_unit_test(test_list_and_filter),
		cmocka_unit_test(test_format_order),
		cmocka_unit_test(test_prefix_and_shards),
		cmocka_unit_test(test_big_numbers),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
