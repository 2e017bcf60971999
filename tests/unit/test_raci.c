/*
 * test_raci.c - crq_raci on a small policy that reaches what the
 * default one does not: phases derived from names, states and `from`
 * states (and given), every time condition's watched actions, rules
 * limited by type, an escalation to an e-mail, '*' roles, the errors.
 * Every expected cell is worked out by hand beside it.
 */
#include "testutil.h"

static crq_node *policy;

static int setup(void **state)
{
	static const char text[] =
		"version: 3\n"
		"roles: {req: r, mgr: m, ops: o, boss: b, lead: l, watch: w, bot: a}\n"
		"approval_rules:\n"
		"  - {name: std, when: {type: standard}, require: [{role: boss, count: 1}]}\n"
		"  - {name: any, when: {}, require: [{role: lead, count: 1}]}\n"
		"  - {name: em, when: {type: emergency}, require: [{role: mgr, count: 1}]}\n"
		"sla:\n"
		"  - {name: resp, when: {type: normal}, from: submitted, until: [authorized], within: 1h}\n"
		"  - {name: other, from: implementing, until: [completed], within: 1h}\n"
		"rules:\n"
		"  - name: r1\n"
		"    when: {'on': vet, type: emergency}\n"
		"    then: {require: [{role: boss, count: 1}]}\n"
		"  - name: r2\n"
		"    when: {'on': 'state:scheduled'}\n"
		"    then: {add_task: {title: T, owner_role: ops}}\n"
		"  - name: r3\n"
		"    when: {'on': plan, type: emergency}\n"
		"    then: {add_task: {title: T, owner_role: watch}}\n"
		"  - name: starting\n"
		"    when: {'on': window-starting}\n"
		"    then: {escalate: {to: boss}}\n"
		"  - name: over\n"
		"    when: {'on': task-overdue}\n"
		"    then: {escalate: {to: lead}, add_task: {title: T, owner_role: req}}\n"
		"  - name: mail\n"
		"    when: {'on': implementation-late}\n"
		"    then: {escalate: {to: x@example.com}}\n"
		"  - name: breached\n"
		"    when: {'on': sla-breached, sla: resp}\n"
		"    then: {escalate: {to: watch}}\n"
		"workflow:\n"
		"  actions:\n"
		"    - {name: create, from: ['*'], to: draft, roles: [req]}\n"
		"    - {name: plan, types: [normal], from: [draft], to: submitted, roles: [req, mgr]}\n"
		"    - {name: vet, from: [submitted], to: assessed, roles: [mgr]}\n"
		"    - {name: ok, types: [normal, standard], from: [assessed], to: authorized, roles: [mgr, lead], approval: true}\n"
		"    - {name: book, from: [authorized], to: scheduled, roles: [mgr]}\n"
		"    - {name: go, from: [scheduled], to: implementing, roles: [ops]}\n"
		"    - {name: note, from: [implementing], roles: ['*']}\n"
		"    - {name: poke, from: [draft, implementing], roles: [mgr]}\n"
		"    - {name: done, from: [implementing], to: completed, roles: [ops]}\n"
		"    - {name: check, phase: verify, from: [completed], to: reviewed, roles: [lead]}\n"
		"    - {name: tick, from: [implementing], roles: [ops], tasks: done}\n"
		"    - {name: esc, from: [scheduled, implementing], roles: [bot], escalation: true}\n"
		"    - {name: drop, types: [emergency], from: [scheduled], to: cancelled, roles: [mgr]}\n";
	crq_schema *s = NULL;
	crq_issues issues;

	(void)state;
	if (crq_yaml_load(&policy, text, strlen(text), "policy") < 0)
		return -1;
	crq_issues_init(&issues);
	if (crq_schema_load(&s, "schemas/policy.schema.json") < 0)
		return -1;
	crq_schema_type(s, policy, &issues);
	crq_issues_dispose(&issues);
	crq_schema_free(s);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	crq_node_free(policy);
	return 0;
}

/* The row of action (the first of that name), and its phase. */
static const crq_node *row(const crq_node *raci, const char *action,
	const char **phase)
{
	const crq_node *phases = crq_node_get(raci, "phases");
	size_t i, k;

	for (i = 0; i < phases->count; i++) {
		const crq_node *rows = crq_node_get(phases->items[i], "actions");

		for (k = 0; k < rows->count; k++)
			if (!strcmp(crq_node_get_str(rows->items[k], "action"),
					action)) {
				if (phase)
					*phase = crq_node_get_str(
						phases->items[i], "phase");
				return rows->items[k];
			}
	}
	fail_msg("no row for %s", action);
	return NULL;
}

static const char *cell(const crq_node *raci, const char *action,
	const char *role)
{
	const char *c = crq_node_get_str(crq_node_get(row(raci, action, NULL),
		"cells"), role);

	assert_non_null(c);
	return c;
}

static void test_phases(void **state)
{
	static const char *const want[] = { "request", "assess", "authorize",
		"schedule", "implement", "close", "other", "oversight",
		"verify" };
	static const char *const of[][2] = {
		{ "create", "request" },	/* by name */
		{ "plan", "request" },		/* to submitted */
		{ "vet", "assess" },		/* to assessed */
		{ "ok", "authorize" },		/* approval: true */
		{ "book", "schedule" },		/* to scheduled */
		{ "go", "implement" },		/* to implementing */
		{ "note", "implement" },	/* no to, from implementing */
		{ "poke", "other" },		/* from draft and implementing */
		{ "done", "implement" },	/* to completed */
		{ "check", "verify" },		/* given */
		{ "tick", "implement" },	/* tasks: done */
		{ "esc", "oversight" },		/* escalation: true */
		{ "drop", "close" },		/* to cancelled */
	};
	crq_node *raci = NULL;
	const crq_node *phases;
	const char *p = NULL;
	size_t i;

	(void)state;
	assert_crq_ok(crq_raci(&raci, policy));
	phases = crq_node_get(raci, "phases");
	assert_int_equal(phases->count, sizeof(want) / sizeof(want[0]));
	for (i = 0; i < phases->count; i++)
		assert_string_equal(crq_node_get_str(phases->items[i], "phase"),
			want[i]);
	for (i = 0; i < sizeof(of) / sizeof(of[0]); i++) {
		row(raci, of[i][0], &p);
		assert_string_equal(p, of[i][1]);
	}
	/* within a phase, policy order: go, note, done, tick */
	phases = crq_node_get(phases->items[4], "actions");
	assert_int_equal(phases->count, 4);
	assert_string_equal(crq_node_get_str(phases->items[0], "action"), "go");
	assert_string_equal(crq_node_get_str(phases->items[3], "action"),
		"tick");
	/* the row's shape */
	assert_int_equal(crq_node_get(row(raci, "note", NULL), "to")->kind,
		CRQ_NODE_NULL);
	assert_int_equal(crq_node_get(row(raci, "note", NULL), "types")->kind,
		CRQ_NODE_NULL);
	assert_int_equal(crq_node_get(row(raci, "ok", NULL), "types")->count,
		2);
	assert_int_equal(crq_node_get(raci, "roles")->count, 7);
	crq_node_free(raci);
}

static void test_cells(void **state)
{
	crq_node *raci = NULL;

	(void)state;
	assert_crq_ok(crq_raci(&raci, policy));
	/* ok (normal, standard): std (standard) -> boss A; any (no type,
	 * and the types are not only emergency) -> lead A; em (emergency)
	 * not; r1 fires only for emergencies: no boss from it */
	assert_string_equal(cell(raci, "ok", "mgr"), "R");
	assert_string_equal(cell(raci, "ok", "lead"), "RA");
	assert_string_equal(cell(raci, "ok", "boss"), "A");
	/* ok: the SLA resp (normal) runs in submitted and assessed; ok
	 * stops it (to authorized) -> watch I */
	assert_string_equal(cell(raci, "ok", "watch"), "I");
	/* vet (all types) fires r1 for emergencies: boss asked, C */
	assert_string_equal(cell(raci, "vet", "boss"), "C");
	assert_string_equal(cell(raci, "vet", "watch"), "");
	/* r3 is on plan for emergencies, plan is normal only: never */
	assert_string_equal(cell(raci, "plan", "watch"), "");
	/* r2 on entering scheduled: ops' task on book */
	assert_string_equal(cell(raci, "book", "ops"), "C");
	assert_string_equal(cell(raci, "book", "mgr"), "R");
	/* window-starting watches scheduled: go and drop leave it */
	assert_string_equal(cell(raci, "go", "boss"), "I");
	assert_string_equal(cell(raci, "drop", "boss"), "I");
	assert_string_equal(cell(raci, "done", "boss"), "");
	/* task-overdue: lead informed where a task is done; its task for
	 * req lands in the escalation step */
	assert_string_equal(cell(raci, "tick", "lead"), "I");
	assert_string_equal(cell(raci, "tick", "ops"), "R");
	assert_string_equal(cell(raci, "esc", "lead"), "I");
	assert_string_equal(cell(raci, "esc", "req"), "C");
	/* the escalation step: bot takes it; boss, lead, watch informed;
	 * an e-mail (mail) names no column */
	assert_string_equal(cell(raci, "esc", "bot"), "R");
	assert_string_equal(cell(raci, "esc", "boss"), "I");
	assert_string_equal(cell(raci, "esc", "watch"), "I");
	assert_string_equal(cell(raci, "done", "watch"), "");
	/* '*' roles: everyone */
	assert_string_equal(cell(raci, "note", "bot"), "R");
	assert_string_equal(cell(raci, "note", "watch"), "R");
	assert_string_equal(cell(raci, "create", "mgr"), "");
	crq_node_free(raci);
}

static void test_errors(void **state)
{
	crq_node *raci = (crq_node *)1, *p = NULL;
	static const char noname[] =
		"roles: {a: a}\nworkflow: {actions: [{from: [draft], roles: [a]}]}\n";

	(void)state;
	p = crq_node_new(CRQ_NODE_OBJECT);
	assert_crq_fails(crq_raci(&raci, p), CRQ_EINVALID,
		"no workflow.actions");
	assert_null(raci);
	crq_node_free(p);
	assert_int_equal(crq_yaml_load(&p, noname, strlen(noname), "p"), 0);
	assert_crq_fails(crq_raci(&raci, p), CRQ_EINVALID,
		"workflow action 1 has no name");
	assert_null(raci);
	crq_node_free(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_phases),
		cmocka_unit_test(test_cells),
		cmocka_unit_test(test_errors),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
