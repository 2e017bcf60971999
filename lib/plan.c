/*
 * plan.c - the plan of a change: which of its fields a new change may
 * take from it (crq new --from ID, crq show ID | crq new -F -), and
 * which crq keeps for itself.
 */
#include <string.h>
#include "change.h"

/*
 * Every top-level property of schemas/change.schema.json, by class.
 * The schema marks none of them (no readOnly), so this table is the
 * one place that says it; the fields the rule engine derives itself
 * (crq_policy__derived: id, state, requester, priority, approvals,
 * created, ...) are crq's whatever the table says, so the two cannot
 * disagree.  Besides those, crq's are what a workflow step records:
 * the implementer a schedule names, the close code, the review and the
 * deployments.  A field the schema gains and this table lacks is not
 * copied by --from (CRQ_FIELD_OCCASION): copying a record of another
 * change is worse than leaving out a plan field.
 */
static const struct {
	const char *name;
	crq_field_class cls;
} field_classes[] = {
	{ "title", CRQ_FIELD_PLAN },
	{ "type", CRQ_FIELD_PLAN },
	{ "owner", CRQ_FIELD_PLAN },
	{ "services", CRQ_FIELD_PLAN },
	{ "impact", CRQ_FIELD_PLAN },
	{ "urgency", CRQ_FIELD_PLAN },
	{ "risk", CRQ_FIELD_PLAN },
	{ "description", CRQ_FIELD_PLAN },
	{ "justification", CRQ_FIELD_PLAN },
	{ "implementation_plan", CRQ_FIELD_PLAN },
	{ "backout_plan", CRQ_FIELD_PLAN },
	{ "test_plan", CRQ_FIELD_PLAN },
	{ "tasks", CRQ_FIELD_PLAN },	/* their definitions: plan_tasks() */
	/* this change's own: its slot, its incident, its commits */
	{ "window", CRQ_FIELD_OCCASION },
	{ "incident", CRQ_FIELD_OCCASION },
	{ "links", CRQ_FIELD_OCCASION },
	/* recorded by steps */
	{ "implementer", CRQ_FIELD_CRQ },
	{ "close_code", CRQ_FIELD_CRQ },
	{ "review", CRQ_FIELD_CRQ },
	{ "deployments", CRQ_FIELD_CRQ },
	{ NULL, CRQ_FIELD_OCCASION }
};

/* The same for the fields of a task. */
static const struct {
	const char *name;
	crq_field_class cls;
} task_classes[] = {
	{ "title", CRQ_FIELD_PLAN },
	{ "owner", CRQ_FIELD_PLAN },
	{ "phase", CRQ_FIELD_PLAN },
	{ "due", CRQ_FIELD_OCCASION },	/* a date of that change's timeline */
	{ "done", CRQ_FIELD_CRQ },	/* crq task done / reopen */
	{ "done_by", CRQ_FIELD_CRQ },
	{ "done_at", CRQ_FIELD_CRQ },
	/* a task with either is an automation rule's, left out whole */
	{ "role", CRQ_FIELD_CRQ },
	{ "rule", CRQ_FIELD_CRQ },
	{ NULL, CRQ_FIELD_OCCASION }
};

crq_field_class crq_change_field_class(const char *name)
{
	size_t i;

	if (crq_policy__derived(name))
		return CRQ_FIELD_CRQ;
	for (i = 0; field_classes[i].name; i++)
		if (!strcmp(field_classes[i].name, name))
			return field_classes[i].cls;
	return CRQ_FIELD_OCCASION;
}

static crq_field_class task_field_class(const char *name)
{
	size_t i;

	for (i = 0; task_classes[i].name; i++)
		if (!strcmp(task_classes[i].name, name))
			return task_classes[i].cls;
	return CRQ_FIELD_OCCASION;
}

void crq_change_plan_init(crq_change_plan *plan)
{
	plan->fields = NULL;
	crq_buf_init(&plan->template_name);
	plan->dropped = NULL;
}

void crq_change_plan_dispose(crq_change_plan *plan)
{
	crq_node_free(plan->fields);
	plan->fields = NULL;
	crq_buf_dispose(&plan->template_name);
	crq_node_free(plan->dropped);
	plan->dropped = NULL;
}

/* Add name to the dropped names once. */
static void drop(crq_change_plan *plan, const char *name)
{
	size_t i;

	for (i = 0; i < plan->dropped->count; i++)
		if (!strcmp(plan->dropped->items[i]->str, name))
			return;
	crq_node_push(plan->dropped, crq_node_new_cstr(name));
}

/* Does this field of a task stay?  An undone task's "done: false" is
 * what every new task holds, so a file may keep it. */
static int task_field_kept(const char *key, const crq_node *v,
	crq_plan_mode mode)
{
	crq_field_class c = task_field_class(key);

	if (c == CRQ_FIELD_PLAN)
		return 1;
	if (mode == CRQ_PLAN_COPY)
		return 0;
	if (!strcmp(key, "done"))
		return v->kind == CRQ_NODE_BOOL && !v->b;
	return c == CRQ_FIELD_OCCASION;
}

/* The task definitions of tasks: the tasks a person added, with the
 * fields the mode keeps; NULL when none is left. */
static crq_node *plan_tasks(crq_change_plan *plan, const crq_node *tasks,
	crq_plan_mode mode)
{
	crq_node *out = crq_node_new(CRQ_NODE_ARRAY), *t;
	size_t i, k;

	if (tasks->kind != CRQ_NODE_ARRAY) {
		/* not a list: validation names the problem */
		crq_node_free(out);
		return mode == CRQ_PLAN_INPUT ? crq_node_dup(tasks) : NULL;
	}
	for (i = 0; i < tasks->count; i++) {
		const crq_node *src = tasks->items[i];

		if (src->kind != CRQ_NODE_OBJECT) {
			if (mode == CRQ_PLAN_INPUT)
				crq_node_push(out, crq_node_dup(src));
			continue;
		}
		if (crq_node_get(src, "rule") || crq_node_get(src, "role")) {
			/* the rule adds it again where it still applies */
			drop(plan, "tasks.rule");
			continue;
		}
		t = crq_node_new(CRQ_NODE_OBJECT);
		for (k = 0; k < src->count; k++) {
			crq_buf name = CRQ_BUF_INIT;

			if (task_field_kept(src->keys[k], src->items[k],
					mode)) {
				crq_node_set(t, src->keys[k],
					crq_node_dup(src->items[k]));
				continue;
			}
			crq_buf_printf(&name, "tasks.%s", src->keys[k]);
			drop(plan, name.ptr);
			crq_buf_dispose(&name);
		}
		crq_node_push(out, t);
	}
	if (!out->count) {
		crq_node_free(out);
		return NULL;
	}
	return out;
}

int crq_change_plan_of(crq_change_plan *out, const crq_node *source,
	crq_plan_mode mode)
{
	size_t i;

	crq_change_plan_dispose(out);
	crq_change_plan_init(out);
	if (!source || source->kind != CRQ_NODE_OBJECT)
		return crq_error__set(CRQ_EINVALID,
			"expected a mapping of change fields");
	out->fields = crq_node_new(CRQ_NODE_OBJECT);
	out->dropped = crq_node_new(CRQ_NODE_ARRAY);
	for (i = 0; i < source->count; i++) {
		const char *key = source->keys[i];
		const crq_node *v = source->items[i];
		crq_field_class c = crq_change_field_class(key);
		crq_node *tasks;

		if (!strcmp(key, "template") && v->kind == CRQ_NODE_STRING) {
			/* a standard change is made from its template again;
			 * crq writes the field itself */
			crq_buf_clear(&out->template_name);
			crq_buf_puts(&out->template_name, v->str);
			continue;
		}
		if (c == CRQ_FIELD_CRQ ||
		    (c == CRQ_FIELD_OCCASION && mode == CRQ_PLAN_COPY)) {
			drop(out, key);
			continue;
		}
		if (!strcmp(key, "tasks")) {
			if ((tasks = plan_tasks(out, v, mode)))
				crq_node_set(out->fields, key, tasks);
			continue;
		}
		crq_node_set(out->fields, key, crq_node_dup(v));
	}
	return 0;
}

int crq_change_plan_load(crq_change_plan *out, crq_repo *repo,
	const char *id)
{
	crq_node *doc = NULL;
	int err;

	crq_change_plan_dispose(out);
	crq_change_plan_init(out);
	if ((err = crq_change_load(&doc, repo, id)) < 0)
		return err;
	err = crq_change_plan_of(out, doc, CRQ_PLAN_COPY);
	crq_node_free(doc);
	return err;
}

const char *crq_change_plan_template(const crq_change_plan *plan,
	const char *given)
{
	const char *type;

	if (given)
		return given;
	if (!plan->template_name.size)
		return NULL;
	/* the source's template goes with its type: --type normal makes
	 * a normal change of a standard one's plan */
	type = plan->fields ? crq_node_get_str(plan->fields, "type") : NULL;
	return !type || !strcmp(type, "standard") ?
		plan->template_name.ptr : NULL;
}
