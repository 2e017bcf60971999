/*
 * test_automation.c - the automation rules' pure parts: what `on`
 * names, which rules a step fires, the effects they write (once), and
 * what each time condition holds for at a given moment.  Every expected
 * instant is worked out by hand in the comment beside it.
 */
#include "testutil.h"
#include "automation.h"
#include "policy.h"
#include "rules.h"

static crq_node *policy;

/* Typed as crq types what it reads: counts are integers, done is a
 * boolean. */
static void typed(crq_node *n, const char *schema_path)
{
	crq_schema *s = NULL;
	crq_issues issues;

	crq_issues_init(&issues);
	assert_int_equal(crq_schema_load(&s, schema_path), 0);
	crq_schema_type(s, n, &issues);
	crq_issues_dispose(&issues);
	crq_schema_free(s);
}

static long long at(const char *rfc3339)
{
	long long t = -1;

	assert_int_equal(crq_time_parse(rfc3339, &t), 0);
	return t;
}

static crq_node *doc_of(const char *text)
{
	crq_node *d = NULL;

	assert_int_equal(crq_yaml_load(&d, text, strlen(text), "doc"), 0);
	typed(d, "schemas/change.schema.json");
	return d;
}

static int setup(void **state)
{
	static const char text[] =
		"roles: {ops: o, director: d, security: s, automation: a}\n"
		"members:\n"
		"  - email: gina@example.com\n"
		"    roles: [director]\n"
		"  - email: hal@example.com\n"
		"    roles: [{role: director, until: '2026-11-01'}]\n"
		"  - email: bot@example.com\n"
		"    roles: [automation]\n"
		"workflow:\n"
		"  actions:\n"
		"    - {name: assess, from: [submitted], to: assessed}\n"
		"    - {name: review, from: [completed], to: reviewed}\n"
		"    - {name: reviewed, from: [reviewed], to: closed}\n"
		"sla:\n"
		"  - name: fast\n"
		"    when: {type: normal}\n"
		"    from: submitted\n"
		"    until: [assessed]\n"
		"    within: 1h\n"
		"  - name: slow\n"
		"    from: submitted\n"
		"    until: [assessed]\n"
		"    within: 10h\n"
		"rule_settable: [owner]\n"
		"rules:\n"
		"  - name: risky\n"
		"    when: {'on': assess, risk: high}\n"
		"    then:\n"
		"      require: [{role: security, count: 1}]\n"
		"      add_task: {title: Prepare, phase: prepare, owner_role: ops, due_in: 1d}\n"
		"      set: {owner: gina@example.com}\n"
		"  - name: entered\n"
		"    when: {'on': 'state:assessed', services: [db]}\n"
		"    then: {notify: [x]}\n"
		"  - name: late\n"
		"    when: {'on': implementation-late, after: 2h}\n"
		"    then: {escalate: {to: director}}\n"
		"  - name: starting\n"
		"    when: {'on': window-starting}\n"
		"    then: {notify: [x]}\n"
		"  - name: overdue\n"
		"    when: {'on': task-overdue, after: 30m}\n"
		"    then: {escalate: {to: gina@example.com}}\n"
		"  - name: breached\n"
		"    when: {'on': sla-breached, sla: fast}\n"
		"    then: {escalate: {to: director}}\n"
		"  - name: at-risk\n"
		"    when: {'on': sla-at-risk}\n"
		"    then: {notify: [x]}\n";

	(void)state;
	if (crq_yaml_load(&policy, text, strlen(text), "policy") < 0)
		return -1;
	typed(policy, "schemas/policy.schema.json");
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	crq_node_free(policy);
	return 0;
}

static void test_on(void **state)
{
	const char *name;

	(void)state;
	assert_int_equal(crq_policy__on(policy, "assess", &name), CRQ_ON_ACTION);
	assert_string_equal(name, "assess");
	assert_int_equal(crq_policy__on(policy, "action:assess", &name),
		CRQ_ON_ACTION);
	assert_string_equal(name, "assess");
	assert_int_equal(crq_policy__on(policy, "assessed", &name), CRQ_ON_STATE);
	assert_int_equal(crq_policy__on(policy, "state:closed", &name),
		CRQ_ON_STATE);
	assert_string_equal(name, "closed");
	assert_int_equal(crq_policy__on(policy, "sla-breached", &name),
		CRQ_ON_TIME);
	/* "reviewed" is an action and a state alike: ambiguous */
	assert_int_equal(crq_policy__on(policy, "reviewed", &name), CRQ_ON_NONE);
	assert_int_equal(crq_policy__on(policy, "state:reviewed", &name),
		CRQ_ON_STATE);
	assert_int_equal(crq_policy__on(policy, "action:reviewed", &name),
		CRQ_ON_ACTION);
	assert_int_equal(crq_policy__on(policy, "action:frob", &name),
		CRQ_ON_NONE);
	assert_int_equal(crq_policy__on(policy, "frob", &name), CRQ_ON_NONE);
	assert_int_equal(crq_policy__on(policy, NULL, &name), CRQ_ON_NONE);
}

static void test_fired(void **state)
{
	crq_node *names = crq_node_new(CRQ_NODE_ARRAY);
	crq_node *d = doc_of("id: CHG-000001\ntype: normal\nrisk: high\n"
		"services: [db]\nstate: assessed\n");

	(void)state;
	crq_auto__fired(names, policy, "assess", "submitted", "assessed", d);
	assert_int_equal(names->count, 2);
	assert_string_equal(names->items[0]->str, "risky");
	assert_string_equal(names->items[1]->str, "entered");
	crq_node_free(names);
	/* a comment in the state enters nothing */
	names = crq_node_new(CRQ_NODE_ARRAY);
	crq_auto__fired(names, policy, "comment", "assessed", "assessed", d);
	assert_int_equal(names->count, 0);
	crq_node_free(names);
	crq_node_free(d);
	/* a low risk fires the state rule only */
	d = doc_of("id: CHG-000001\ntype: normal\nrisk: low\nservices: [db]\n");
	names = crq_node_new(CRQ_NODE_ARRAY);
	crq_auto__fired(names, policy, "assess", "submitted", "assessed", d);
	assert_int_equal(names->count, 1);
	assert_string_equal(names->items[0]->str, "entered");
	crq_node_free(names);
	crq_node_free(d);
}

static void test_apply_once(void **state)
{
	crq_node *d = doc_of("id: CHG-000001\ntype: normal\nrisk: high\n"
		"tasks:\n  - title: mine\n");
	const crq_node *rule = crq_auto__rule(policy, "risky");
	const crq_node *t, *e;

	(void)state;
	assert_non_null(rule);
	crq_auto__apply(d, policy, rule, at("2026-11-23T10:00:00Z"));
	crq_auto__apply(d, policy, rule, at("2026-11-23T11:00:00Z"));
	t = crq_node_get(d, "tasks");
	assert_int_equal(t->count, 2);	/* once per rule and title */
	assert_string_equal(crq_node_get_str(t->items[1], "title"), "Prepare");
	assert_string_equal(crq_node_get_str(t->items[1], "role"), "ops");
	assert_string_equal(crq_node_get_str(t->items[1], "rule"), "risky");
	/* due in a day from the first time it fired */
	assert_string_equal(crq_node_get_str(t->items[1], "due"),
		"2026-11-24T10:00:00Z");
	e = crq_node_get(d, "extra_approvals");
	assert_int_equal(e->count, 1);
	assert_string_equal(crq_node_get_str(e->items[0], "role"), "security");
	assert_int_equal(crq_node_get(e->items[0], "count")->i, 1);
	assert_string_equal(crq_node_get_str(d, "owner"), "gina@example.com");
	crq_node_free(d);
}

static void test_late(void **state)
{
	const crq_node *rule = crq_auto__rule(policy, "late");
	crq_node *d = doc_of("id: CHG-000001\ntype: normal\nstate: implementing\n"
		"window: {start: '2026-11-23T10:00:00Z', end: '2026-11-23T11:00:00Z'}\n");
	crq_node *h;

	(void)state;
	/* the window closed at 11:00; two hours late from 13:00 */
	h = crq_auto__holds(policy, rule, d, at("2026-11-23T12:59:59Z"));
	assert_int_equal(h->count, 0);
	crq_node_free(h);
	h = crq_auto__holds(policy, rule, d, at("2026-11-23T13:00:00Z"));
	assert_int_equal(h->count, 1);
	assert_string_equal(crq_node_get_str(h->items[0], "subject"),
		"late:2026-11-23T11:00:00Z");
	assert_string_equal(crq_node_get_str(h->items[0], "since"),
		"2026-11-23T13:00:00Z");
	crq_node_free(h);
	crq_node_free(d);
	/* completed: nothing is late */
	d = doc_of("id: CHG-000001\ntype: normal\nstate: completed\n"
		"window: {start: '2026-11-23T10:00:00Z', end: '2026-11-23T11:00:00Z'}\n");
	h = crq_auto__holds(policy, rule, d, at("2026-11-24T00:00:00Z"));
	assert_int_equal(h->count, 0);
	crq_node_free(h);
	crq_node_free(d);
}

static void test_starting(void **state)
{
	const crq_node *rule = crq_auto__rule(policy, "starting");
	crq_node *d = doc_of("id: CHG-000001\ntype: normal\nstate: scheduled\n"
		"window: {start: '2026-11-23T10:00:00Z', end: '2026-11-23T11:00:00Z'}\n");
	crq_node *h;

	(void)state;
	/* no before: an hour before it opens, until it closes */
	h = crq_auto__holds(policy, rule, d, at("2026-11-23T08:59:00Z"));
	assert_int_equal(h->count, 0);
	crq_node_free(h);
	h = crq_auto__holds(policy, rule, d, at("2026-11-23T09:00:00Z"));
	assert_int_equal(h->count, 1);
	assert_string_equal(crq_node_get_str(h->items[0], "subject"),
		"window:2026-11-23T10:00:00Z");
	crq_node_free(h);
	h = crq_auto__holds(policy, rule, d, at("2026-11-23T11:00:00Z"));
	assert_int_equal(h->count, 0);
	crq_node_free(h);
	crq_node_free(d);
}

static void test_overdue(void **state)
{
	const crq_node *rule = crq_auto__rule(policy, "overdue");
	crq_node *d = doc_of("id: CHG-000001\ntype: normal\nstate: scheduled\n"
		"tasks:\n"
		"  - {title: a, due: '2026-11-23T10:00:00Z'}\n"
		"  - {title: b, due: '2026-11-23T09:00:00Z', done: true}\n"
		"  - {title: c}\n"
		"  - {title: d, due: '2026-11-23T10:20:00+01:00'}\n");
	crq_node *h;

	(void)state;
	/* a: due 10:00, overdue by 30 minutes from 10:30; b is done; c has
	 * no due time; d is due 09:20 UTC, past 30 minutes from 09:50 */
	h = crq_auto__holds(policy, rule, d, at("2026-11-23T10:29:00Z"));
	assert_int_equal(h->count, 1);
	assert_string_equal(crq_node_get_str(h->items[0], "subject"),
		"task:4:2026-11-23T09:20:00Z");
	crq_node_free(h);
	h = crq_auto__holds(policy, rule, d, at("2026-11-23T10:30:00Z"));
	assert_int_equal(h->count, 2);
	assert_string_equal(crq_node_get_str(h->items[0], "subject"),
		"task:1:2026-11-23T10:00:00Z");
	crq_node_free(h);
	crq_node_free(d);
}

static void test_sla(void **state)
{
	const crq_node *breach = crq_auto__rule(policy, "breached");
	const crq_node *risk = crq_auto__rule(policy, "at-risk");
	crq_node *d = doc_of("id: CHG-000001\ntype: normal\nstate: submitted\n"
		"entered: {submitted: '2026-11-23T10:00:00Z'}\n");
	crq_node *h;

	(void)state;
	/* fast: 1h round the clock, at risk from 10:48, breached at 11:00;
	 * slow: 10h, at risk from 18:00 */
	h = crq_auto__holds(policy, risk, d, at("2026-11-23T10:47:00Z"));
	assert_int_equal(h->count, 0);
	crq_node_free(h);
	h = crq_auto__holds(policy, risk, d, at("2026-11-23T10:48:00Z"));
	assert_int_equal(h->count, 1);
	assert_string_equal(crq_node_get_str(h->items[0], "subject"),
		"sla:fast:2026-11-23T10:00:00Z");
	assert_string_equal(crq_node_get_str(h->items[0], "since"),
		"2026-11-23T10:48:00Z");
	crq_node_free(h);
	h = crq_auto__holds(policy, breach, d, at("2026-11-23T10:59:59Z"));
	assert_int_equal(h->count, 0);
	crq_node_free(h);
	/* only the target the rule names */
	h = crq_auto__holds(policy, breach, d, at("2026-11-23T23:00:00Z"));
	assert_int_equal(h->count, 1);
	assert_string_equal(crq_node_get_str(h->items[0], "since"),
		"2026-11-23T11:00:00Z");
	crq_node_free(h);
	crq_node_free(d);
	/* stopped in time: nothing holds */
	d = doc_of("id: CHG-000001\ntype: normal\nstate: assessed\n"
		"entered: {submitted: '2026-11-23T10:00:00Z', assessed: '2026-11-23T10:30:00Z'}\n");
	h = crq_auto__holds(policy, breach, d, at("2026-11-23T23:00:00Z"));
	assert_int_equal(h->count, 0);
	crq_node_free(h);
	crq_node_free(d);
	/* closed: nothing holds, whatever the clock */
	d = doc_of("id: CHG-000001\ntype: normal\nstate: closed\n"
		"entered: {submitted: '2026-11-23T10:00:00Z'}\n");
	h = crq_auto__holds(policy, breach, d, at("2026-11-23T23:00:00Z"));
	assert_int_equal(h->count, 0);
	crq_node_free(h);
	crq_node_free(d);
}

static void test_members(void **state)
{
	crq_node *m;

	(void)state;
	/* hal's grant expired on 11-01 */
	m = crq_auto__members(policy, "director", "2026-11-23");
	assert_int_equal(m->count, 1);
	assert_string_equal(m->items[0]->str, "gina@example.com");
	crq_node_free(m);
	m = crq_auto__members(policy, "director", "2026-10-01");
	assert_int_equal(m->count, 2);
	crq_node_free(m);
	m = crq_auto__members(policy, "bot@example.com", "2026-11-23");
	assert_int_equal(m->count, 1);
	crq_node_free(m);
	m = crq_auto__members(policy, "nobody@example.com", "2026-11-23");
	assert_int_equal(m->count, 0);
	crq_node_free(m);
}

static void test_unsettable(void **state)
{
	(void)state;
	assert_true(crq_policy__unsettable("state"));
	assert_true(crq_policy__unsettable("risk"));
	assert_true(crq_policy__unsettable("extra_approvals"));
	assert_true(crq_policy__unsettable("window"));
	assert_false(crq_policy__unsettable("owner"));
	assert_false(crq_policy__unsettable("justification"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_on),
		cmocka_unit_test(test_fired),
		cmocka_unit_test(test_apply_once),
		cmocka_unit_test(test_late),
		cmocka_unit_test(test_starting),
		cmocka_unit_test(test_overdue),
		cmocka_unit_test(test_sla),
		cmocka_unit_test(test_members),
		cmocka_unit_test(test_unsettable),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
