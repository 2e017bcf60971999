/*
 * test_rules.c - the rule engine as pure functions: policy, content
 * before, step, signer and time in; content after or a refusal out.
 */
#include "testutil.h"
#include "rules.h"
#include "policy.h"
#include "doc.h"

#define T0 1795428000LL		/* 2026-11-23T10:00:00Z */

static crq_schema *cschema, *pschema;
static crq_node *policy;
static char keys[4][128];
static const char *who[4] = { "alice", "bob", "carol", "dave" };

static crq_node *yaml(const char *text)
{
	crq_node *n = NULL;

	assert_crq_ok(crq_yaml_load(&n, text, strlen(text), "test"));
	assert_int_equal(crq_schema_type(cschema, n, NULL), 0);
	return n;
}

static int setup(void **state)
{
	const char *dir = getenv("CRQ_DATADIR") ? getenv("CRQ_DATADIR") : ".";
	crq_buf p = CRQ_BUF_INIT, text = CRQ_BUF_INIT, m = CRQ_BUF_INIT;
	char tmp[] = "/tmp/crq-rules-XXXXXX", cmd[256];
	const char *at;
	int i;

	(void)state;
	crq_buf_printf(&p, "%s/schemas/change.schema.json", dir);
	if (crq_schema_load(&cschema, p.ptr) < 0)
		return -1;
	crq_buf_clear(&p);
	crq_buf_printf(&p, "%s/schemas/policy.schema.json", dir);
	if (crq_schema_load(&pschema, p.ptr) < 0 || !mkdtemp(tmp))
		return -1;
	for (i = 0; i < 4; i++) {
		crq_buf k = CRQ_BUF_INIT;

		snprintf(cmd, sizeof(cmd), "ssh-keygen -q -t ed25519 -N '' "
			"-f %s/%s </dev/null", tmp, who[i]);
		if (system(cmd) != 0)
			return -1;
		snprintf(cmd, sizeof(cmd), "%s/%s.pub", tmp, who[i]);
		if (crq_buf_read_file(&k, cmd, 4096) < 0)
			return -1;
		/* "ssh-ed25519 BASE64" without the comment */
		*strchr(strchr(k.ptr, ' ') + 1, ' ') = '\0';
		snprintf(keys[i], sizeof(keys[i]), "%s", k.ptr);
		crq_buf_dispose(&k);
	}
	snprintf(cmd, sizeof(cmd), "rm -rf %s", tmp);
	if (system(cmd) != 0)
		return -1;
	crq_buf_clear(&p);
	crq_buf_printf(&p, "%s/examples/policy.yaml", dir);
	if (crq_buf_read_file(&text, p.ptr, 1 << 20) < 0 ||
	    !(at = strstr(text.ptr, "members: []\n")))
		return -1;
	crq_buf_put(&m, text.ptr, (size_t)(at - text.ptr));
	crq_buf_printf(&m, "members:\n"
		"  - email: alice@example.com\n    name: A\n"
		"    roles: [admin, requester, change-manager]\n"
		"    keys: ['%s']\n"
		"  - email: bob@example.com\n    name: B\n"
		"    roles: [change-manager, cab, implementer, reviewer]\n"
		"    keys: ['%s']\n"
		"  - email: carol@example.com\n    name: C\n"
		"    roles: [cab, security, ecab, admin]\n"
		"    keys: ['%s']\n    handles: {github: carol-gh}\n"
		"  - email: dave@example.com\n    name: D\n"
		"    roles: [requester, {role: implementer, until: 2026-11-22}]\n"
		"    keys: ['%s']\n    attests: [github]\n",
		keys[0], keys[1], keys[2], keys[3]);
	crq_buf_puts(&m, at + strlen("members: []\n"));
	if (crq_policy__parse(&policy, pschema, m.ptr, m.size, "policy",
			NULL) < 0) {
		print_error("%s\n", crq_error_last());
		return -1;
	}
	crq_buf_dispose(&p);
	crq_buf_dispose(&text);
	crq_buf_dispose(&m);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	crq_node_free(policy);
	crq_schema_free(cschema);
	crq_schema_free(pschema);
	return 0;
}

/* A step by member i. */
static void step(crq_rules_step *st, int i, const char *action,
	const crq_node *before, const crq_node *input, long long t)
{
	static char email[4][64];

	memset(st, 0, sizeof(*st));
	snprintf(email[i], sizeof(email[i]), "%s@example.com", who[i]);
	st->policy = policy;
	st->schema = cschema;
	st->before = before;
	st->input = input;
	st->action = action;
	st->signer_key = keys[i];
	st->signer_email = email[i];
	st->time = t;
	st->new_id = "CHG-000001";
}

static const char *str(const crq_node *doc, const char *path)
{
	const crq_node *n = crq_node_path(doc, path);

	return n && n->kind == CRQ_NODE_STRING ? n->str : NULL;
}

/* create, then the named actions in turn, each by member i */
static crq_node *walk(int n, const char *const *actions, const int *by,
	const char *fields)
{
	crq_rules_step st;
	crq_rules_result res;
	crq_node *doc = NULL, *in;
	int k;

	in = yaml(fields);
	step(&st, 0, "create", NULL, in, T0);
	assert_crq_ok(crq_rules_change(&res, &st));
	doc = res.after;
	res.after = NULL;
	crq_rules_result_dispose(&res);
	crq_node_free(in);
	for (k = 0; k < n; k++) {
		step(&st, by[k], actions[k], doc, doc, T0 + k + 1);
		assert_crq_ok(crq_rules_change(&res, &st));
		crq_node_free(doc);
		doc = res.after;
		res.after = NULL;
		crq_rules_result_dispose(&res);
	crq_rules_result_dispose(&res);
	}
	return doc;
}

static const char *plan = "title: Upgrade\nservices: [db]\nimpact: high\n"
	"urgency: low\nimplementation_plan: a\nbackout_plan: b\n"
	"test_plan: c\n";

/* entered: set at creation and on every change of state, never on a
 * change made before crq kept it (its old steps must verify as made) */
static void test_entered(void **state)
{
	static const char *const acts[] = { "submit" };
	static const int by[] = { 0 };
	crq_rules_step st;
	crq_rules_result res;
	crq_node *doc = walk(1, acts, by, plan), *old;

	(void)state;
	assert_string_equal(str(doc, "entered.draft"), "2026-11-23T10:00:00Z");
	assert_string_equal(str(doc, "entered.submitted"), "2026-11-23T10:00:01Z");
	old = crq_node_dup(doc);
	crq_node_remove(old, "entered");
	crq_node_set(old, "state", crq_node_new_cstr("draft"));
	step(&st, 0, "submit", old, old, T0 + 5);
	assert_crq_ok(crq_rules_change(&res, &st));
	assert_string_equal(str(res.after, "state"), "submitted");
	assert_null(crq_node_get(res.after, "entered"));
	crq_rules_result_dispose(&res);
	crq_node_free(old);
	crq_node_free(doc);
}

static void test_create_derives(void **state)
{
	crq_rules_step st;
	crq_rules_result res;
	crq_node *in = yaml(plan);

	(void)state;
	step(&st, 0, "create", NULL, in, T0);
	assert_crq_ok(crq_rules_change(&res, &st));
	assert_string_equal(str(res.after, "id"), "CHG-000001");
	assert_string_equal(str(res.after, "state"), "draft");
	assert_string_equal(str(res.after, "type"), "normal");
	assert_string_equal(str(res.after, "requester"), "alice@example.com");
	assert_string_equal(str(res.after, "created"), "2026-11-23T10:00:00Z");
	assert_string_equal(str(res.after, "updated"), "2026-11-23T10:00:00Z");
	/* impact high x urgency low in the example matrix */
	assert_string_equal(str(res.after, "priority"), "medium");
	assert_string_equal(res.to, "draft");
	assert_string_equal(res.from, "");
	crq_rules_result_dispose(&res);
	crq_node_free(in);
	/* a derived field given by hand is refused in a command ... */
	in = yaml("title: x\nrequester: bob@example.com\n");
	step(&st, 0, "create", NULL, in, T0);
	assert_crq_fails(crq_rules_change(&res, &st), CRQ_EDENIED,
		"field 'requester' is set by crq, not by hand");
	assert_string_equal(res.rule, "derived-field");
	/* ... and ignored in verify, which compares the result instead */
	st.input_full = 1;
	assert_crq_ok(crq_rules_change(&res, &st));
	assert_string_equal(str(res.after, "requester"), "alice@example.com");
	crq_rules_result_dispose(&res);
	crq_node_free(in);
}

static void test_who(void **state)
{
	crq_rules_step st;
	crq_rules_result res;
	crq_node *in = yaml("title: x\n");

	(void)state;
	step(&st, 0, "create", NULL, in, T0);
	st.signer_key = keys[1];	/* bob's key, alice as committer */
	assert_crq_fails(crq_rules_change(&res, &st), CRQ_EDENIED,
		"the signing key is not a key of member 'alice@example.com': it is bob@example.com");
	assert_string_equal(res.rule, "committer");
	step(&st, 0, "create", NULL, in, T0);
	st.signer_email = "eve@example.com";
	st.signer_key = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIEVF";
	assert_crq_fails(crq_rules_change(&res, &st), CRQ_EDENIED,
		"'eve@example.com' is not a member of this store");
	assert_string_equal(res.rule, "unknown-key");
	/* carol holds no role that may create */
	step(&st, 2, "create", NULL, in, T0);
	assert_crq_fails(crq_rules_change(&res, &st), CRQ_EDENIED,
		"carol@example.com may not create changes: needs role requester or change-manager\n"
		"hint: members who may: alice@example.com, bob@example.com, dave@example.com");
	assert_string_equal(res.rule, "role");
	crq_node_free(in);
}

static void test_fields_and_requires(void **state)
{
	crq_rules_step st;
	crq_rules_result res;
	crq_node *doc, *in;
	static const char *const acts[] = { "submit" };
	static const int by[] = { 0 };

	(void)state;
	doc = walk(0, NULL, NULL, "title: Upgrade\nservices: []\n"
		"implementation_plan: a\nbackout_plan: ''\n");
	step(&st, 0, "submit", doc, doc, T0 + 1);
	assert_crq_fails(crq_rules_change(&res, &st), CRQ_EDENIED,
		"cannot submit CHG-000001: 'backout_plan' is missing");
	assert_string_equal(res.rule, "required-field");
	crq_node_free(doc);
	doc = walk(1, acts, by, plan);
	assert_string_equal(str(doc, "state"), "submitted");
	/* assess may set risk, not the title */
	in = crq_node_dup(doc);
	crq_node_set(in, "title", crq_node_new_cstr("other"));
	step(&st, 1, "assess", doc, in, T0 + 2);
	assert_crq_fails(crq_rules_change(&res, &st), CRQ_EDENIED,
		"'assess' may not change 'title'");
	assert_string_equal(res.rule, "changed-field");
	crq_node_free(in);
	/* an action the state does not allow */
	step(&st, 1, "start", doc, doc, T0 + 2);
	assert_crq_fails(crq_rules_change(&res, &st), CRQ_EDENIED,
		"cannot start CHG-000001: it is submitted");
	assert_string_equal(res.rule, "illegal-action");
	crq_node_free(doc);
}

static void test_approvals(void **state)
{
	static const char *const acts[] = { "submit" };
	static const int by[] = { 0 };
	crq_rules_step st;
	crq_rules_result res;
	crq_node *doc = walk(1, acts, by, plan), *in, *eds;

	(void)state;
	in = crq_node_dup(doc);
	crq_node_set(in, "risk", crq_node_new_cstr("medium"));
	step(&st, 1, "assess", doc, in, T0 + 2);
	assert_crq_ok(crq_rules_change(&res, &st));
	crq_node_free(doc);
	crq_node_free(in);
	doc = res.after;
	res.after = NULL;
	crq_rules_result_dispose(&res);
	/* the requester may not approve */
	step(&st, 0, "approve", doc, doc, T0 + 3);
	assert_crq_fails(crq_rules_change(&res, &st), CRQ_EDENIED,
		"the requester cannot decide on their own change");
	assert_string_equal(res.rule, "self-approval");
	/* nor someone who edited since the last decision */
	eds = crq_node_new(CRQ_NODE_OBJECT);
	crq_node_set(eds, "bob@example.com", crq_node_new_bool(1));
	step(&st, 1, "approve", doc, doc, T0 + 3);
	st.editors = eds;
	assert_crq_fails(crq_rules_change(&res, &st), CRQ_EDENIED,
		"they changed it since the last approval");
	assert_string_equal(res.rule, "separation");
	/* medium risk: one change-manager and one cab */
	step(&st, 1, "approve", doc, doc, T0 + 3);
	st.role = "change-manager";
	assert_crq_ok(crq_rules_change(&res, &st));
	assert_int_equal(res.decision, 1);
	assert_int_equal(res.met, 0);
	assert_string_equal(res.to, "assessed");
	assert_string_equal(res.role, "change-manager");
	assert_string_equal(str(crq_node_get(res.after, "approvals")->items[0],
		"digest"), res.digest);
	crq_node_free(doc);
	doc = res.after;
	res.after = NULL;
	crq_rules_result_dispose(&res);
	step(&st, 1, "approve", doc, doc, T0 + 4);
	assert_crq_fails(crq_rules_change(&res, &st), CRQ_EDENIED,
		"already approved CHG-000001 as it stands");
	step(&st, 2, "approve", doc, doc, T0 + 4);
	assert_crq_ok(crq_rules_change(&res, &st));
	assert_int_equal(res.met, 1);
	assert_string_equal(res.to, "authorized");
	assert_int_equal(crq_rules_approved(NULL, policy, cschema, res.after), 1);
	crq_rules_result_dispose(&res);
	/* no rule covers a change without risk: no approval authorizes it */
	in = crq_node_dup(doc);
	crq_node_remove(in, "risk");
	step(&st, 0, "edit", doc, in, T0 + 5);
	assert_crq_ok(crq_rules_change(&res, &st));
	crq_node_free(doc);
	crq_node_free(in);
	doc = res.after;
	res.after = NULL;
	crq_rules_result_dispose(&res);
	step(&st, 2, "approve", doc, doc, T0 + 6);
	assert_crq_fails(crq_rules_change(&res, &st), CRQ_EDENIED,
		"an approval rule that covers it");
	crq_node_free(eds);
	crq_node_free(doc);
}

static void test_guards_and_deadlines(void **state)
{
	static const char *const acts[] = { "submit", "approve", "start",
		"complete" };
	static const int by[] = { 0, 2, 1, 1 };
	crq_rules_step st;
	crq_rules_result res;
	crq_node *doc, *in;

	(void)state;
	/* the close code is complete's to record: create may not write it */
	in = yaml("title: Hotfix\ntype: emergency\nincident: INC-1\n"
		"close_code: successful\n");
	step(&st, 0, "create", NULL, in, T0);
	assert_int_equal(crq_rules_change(&res, &st), CRQ_EDENIED);
	crq_rules_result_dispose(&res);
	crq_node_free(in);
	/* an emergency change owes its review 72 hours after completion */
	doc = walk(3, acts, by, "title: Hotfix\ntype: emergency\n"
		"incident: INC-1\nimplementation_plan: a\nbackout_plan: b\n");
	in = crq_node_dup(doc);
	crq_node_set(in, "close_code", crq_node_new_cstr("successful"));
	step(&st, by[3], acts[3], doc, in, T0 + 4);
	assert_crq_ok(crq_rules_change(&res, &st));
	crq_node_free(in);
	crq_node_free(doc);
	doc = res.after;
	res.after = NULL;
	crq_rules_result_dispose(&res);
	assert_string_equal(str(doc, "state"), "completed");
	assert_string_equal(str(doc, "close_code"), "successful");
	assert_string_equal(str(doc, "review_due"), "2026-11-26T10:00:04Z");
	/* the review names its reviewer and the step's time */
	in = crq_node_dup(doc);
	crq_node_set(in, "review", yaml("summary: fine\nat: '2020-01-01T00:00:00Z'\n"));
	step(&st, 1, "review", doc, in, T0 + 100);
	st.input_full = 1;
	assert_crq_ok(crq_rules_change(&res, &st));
	assert_string_equal(str(res.after, "review.by"), "bob@example.com");
	assert_string_equal(str(res.after, "review.at"), "2026-11-23T10:01:40Z");
	crq_rules_result_dispose(&res);
	crq_node_free(in);
	crq_node_free(doc);
	/* a window in the year-end freeze for billing; and one in the past */
	{
		static const char *const a2[] = { "submit" };
		static const int b2[] = { 0 };
		crq_node *d;

		d = walk(1, a2, b2, "title: Billing\nimplementation_plan: a\n"
			"backout_plan: b\ntest_plan: c\nservices: [billing]\n");
		crq_node_set(d, "state", crq_node_new_cstr("authorized"));
		in = crq_node_dup(d);
		crq_node_set(in, "window", yaml("start: '2026-12-25T01:00:00Z'\n"
			"end: '2026-12-25T02:00:00Z'\n"));
		step(&st, 1, "schedule", d, in, T0 + 10);
		assert_crq_fails(crq_rules_change(&res, &st), CRQ_EDENIED,
			"overlaps the freeze 'year-end close'");
		assert_string_equal(res.rule, "no-freeze");
		crq_node_set(in, "window", yaml("start: '2026-11-01T01:00:00Z'\n"
			"end: '2026-11-01T02:00:00Z'\n"));
		assert_crq_fails(crq_rules_change(&res, &st), CRQ_EDENIED,
			"the window starts in the past");
		assert_string_equal(res.rule, "window-ahead");
		crq_node_free(in);
		crq_node_free(d);
	}
}

static void test_template_and_attestation(void **state)
{
	crq_rules_step st;
	crq_rules_result res;
	crq_node *tmpl = yaml("title: Patch\nrisk: low\nimpact: low\n"
		"urgency: low\nimplementation_plan: p\nbackout_plan: b\n"
		"test_plan: t\n");
	crq_node *in = yaml("title: Patch host 7\nrisk: high\n");

	(void)state;
	step(&st, 0, "create", NULL, in, T0);
	st.template_doc = tmpl;
	st.template_name = "os-patch";
	assert_crq_fails(crq_rules_change(&res, &st), CRQ_EDENIED,
		"'risk' of a standard change comes from its template 'os-patch'");
	assert_string_equal(res.rule, "template");
	crq_node_remove(in, "risk");
	assert_crq_ok(crq_rules_change(&res, &st));
	assert_string_equal(str(res.after, "type"), "standard");
	assert_string_equal(str(res.after, "template"), "os-patch");
	assert_string_equal(str(res.after, "title"), "Patch host 7");
	assert_string_equal(str(res.after, "backout_plan"), "b");
	crq_rules_result_dispose(&res);
	/* no template, no standard change */
	st.template_doc = NULL;
	assert_crq_fails(crq_rules_change(&res, &st), CRQ_EDENIED,
		"a standard change needs its template");
	crq_node_free(in);
	crq_node_free(tmpl);
	/* a bot attests a reviewer's approval; only an approval */
	in = yaml(plan);
	step(&st, 3, "comment", NULL, in, T0);
	st.forge = "github";
	st.reviewer = "carol-gh";
	assert_crq_fails(crq_rules_change(&res, &st), CRQ_EDENIED,
		"an attested github review is an approval, not 'comment'");
	assert_string_equal(res.rule, "attestation");
	step(&st, 1, "approve", NULL, in, T0);
	st.forge = "github";
	st.reviewer = "carol-gh";
	assert_crq_fails(crq_rules_change(&res, &st), CRQ_EDENIED,
		"bob@example.com may not attest github reviews");
	crq_node_free(in);
}

static void test_nothing_to_change(void **state)
{
	crq_node *before = crq_node_new(CRQ_NODE_OBJECT), *after;

	(void)state;
	crq_node_set(before, "title", crq_node_new_cstr("T"));
	crq_node_set(before, "window", crq_node_new(CRQ_NODE_OBJECT));
	crq_node_set(crq_node_get(before, "window"), "start",
		crq_node_new_cstr("2026-12-10T10:00:00Z"));
	crq_node_set(before, "updated", crq_node_new_cstr("2026-11-23T10:00:00Z"));
	after = crq_node_dup(before);
	/* only the clock moved: nothing to change, except for a comment */
	crq_node_set(after, "updated", crq_node_new_cstr("2026-11-24T10:00:00Z"));
	assert_int_equal(crq_rules_changes_nothing("schedule", before, after), 1);
	assert_int_equal(crq_rules_changes_nothing("comment", before, after), 0);
	assert_int_equal(crq_rules_changes_nothing("create", NULL, after), 0);
	/* the same instant written with an offset is the same window */
	crq_node_set(crq_node_get(after, "window"), "start",
		crq_node_new_cstr("2026-12-10T11:00:00+01:00"));
	assert_int_equal(crq_rules_changes_nothing("schedule", before, after), 1);
	crq_node_set(crq_node_get(after, "window"), "start",
		crq_node_new_cstr("2026-12-11T10:00:00Z"));
	assert_int_equal(crq_rules_changes_nothing("schedule", before, after), 0);
	crq_node_free(before);
	crq_node_free(after);
}

static void test_policy_steps(void **state)
{
	crq_node *out = NULL, *edited = crq_node_dup(policy), *two, *p2;
	crq_buf title = CRQ_BUF_INIT;
	const crq_node *v;
	const char *rule;

	(void)state;
	crq_node_set(edited, "version", crq_node_new_int(99));
	/* only the version differs: that changes nothing */
	assert_crq_fails(crq_rules_policy(&out, &title, &rule, policy,
		CRQ_POLICY_EDIT, edited, "tidy", keys[0], "alice@example.com",
		T0), CRQ_EEXISTS, "tidy: nothing to change");
	assert_string_equal(rule, "nothing-to-change");
	assert_null(out);
	crq_node_set(crq_node_get(edited, "members")->items[0], "name",
		crq_node_new_cstr("Alice A."));
	assert_crq_ok(crq_rules_policy(&out, &title, &rule, policy,
		CRQ_POLICY_EDIT, edited, "tidy", keys[0], "alice@example.com",
		T0));
	v = crq_node_get(out, "version");
	assert_int_equal(v->i, crq_node_get(policy, "version")->i + 1);
	assert_string_equal(title.ptr, "tidy");
	crq_node_free(out);
	assert_crq_fails(crq_rules_policy(&out, &title, &rule, policy,
		CRQ_POLICY_EDIT, edited, "tidy", keys[1], "bob@example.com", T0),
		CRQ_EDENIED, "only its admins may");
	assert_string_equal(rule, "policy-admin");
	/* two admins: a proposal first, in force with the second */
	two = crq_node_dup(policy);
	crq_node_set(two, "admin_threshold", crq_node_new_int(2));
	crq_buf_clear(&title);
	assert_crq_ok(crq_rules_policy(&p2, &title, &rule, two,
		CRQ_POLICY_EDIT, edited, "tidy", keys[0], "alice@example.com",
		T0));
	assert_string_equal(str(p2, "pending.by"), "alice@example.com");
	assert_int_equal(crq_node_path(p2, "pending.approvals")->count, 1);
	assert_int_equal(crq_node_get(p2, "version")->i,
		crq_node_get(two, "version")->i);
	assert_crq_fails(crq_rules_policy(&out, &title, &rule, p2,
		CRQ_POLICY_APPROVE, NULL, NULL, keys[0], "alice@example.com", T0),
		CRQ_EDENIED, "already approved the pending policy change");
	assert_crq_ok(crq_rules_policy(&out, &title, &rule, p2,
		CRQ_POLICY_APPROVE, NULL, NULL, keys[2], "carol@example.com",
		T0));
	assert_null(crq_node_get(out, "pending"));
	assert_int_equal(crq_node_get(out, "version")->i,
		crq_node_get(two, "version")->i + 1);
	crq_node_free(out);
	assert_crq_ok(crq_rules_policy(&out, &title, &rule, p2,
		CRQ_POLICY_WITHDRAW, NULL, NULL, keys[2], "carol@example.com",
		T0));
	assert_true(crq_node_equal(out, two));
	crq_node_free(out);
	crq_node_free(p2);
	crq_node_free(two);
	crq_node_free(edited);
	crq_buf_dispose(&title);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_create_derives),
		cmocka_unit_test(test_entered),
		cmocka_unit_test(test_who),
		cmocka_unit_test(test_fields_and_requires),
		cmocka_unit_test(test_approvals),
		cmocka_unit_test(test_guards_and_deadlines),
		cmocka_unit_test(test_template_and_attestation),
		cmocka_unit_test(test_nothing_to_change),
		cmocka_unit_test(test_policy_steps),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
