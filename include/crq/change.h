/*
 * crq/change.h - change requests: ids, paths, parsing, listing, history.
 * Conventions: see crq.h.
 */
#ifndef CRQ_PUBLIC_CHANGE_H
#define CRQ_PUBLIC_CHANGE_H

#include "crq/store.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------------------------------------------ */
/* Change requests.  A change is a crq_node object holding the fields of
 * schemas/change.schema.json. */

/* Path of a change file in the store ("changes/000/CHG-000001.yaml");
 * CRQ_EINVALID when id is not an id of this store. */
int crq_change_path(crq_buf *out, crq_repo *repo, const char *id);
/* The full id ("CHG-000042") of a change id as people type it: the
 * store's prefix in any case with the digits unpadded ("chg-42",
 * "CHG-42") or the number alone ("42").  Every function taking a change
 * id accepts these; what is stored is always the full id.  CRQ_EINVALID
 * naming arg when it is no id of this store (0, signs, other text). */
int crq_change_id_normalize(crq_buf *out, crq_repo *repo, const char *arg);
/* Load change id from the branch tip. */
int crq_change_load(crq_node **out, crq_repo *repo, const char *id);
/* Parse change text: strict YAML, typed by the schema, validated.  On
 * a validation failure returns CRQ_EINVALID with the first problem in
 * crq_error_last() as "name:line:col: message" and every problem in
 * issues (may be NULL). */
int crq_change_parse(crq_node **out, crq_repo *repo, const char *text,
	size_t len, const char *name, crq_issues *issues);
/* Same as crq_change_parse, without a repository (schema from path). */
int crq_change_parse_with(crq_node **out, const crq_schema *schema,
	const char *text, size_t len, const char *name, crq_issues *issues);
/* Canonical text of a document typed by schema (a change, a template,
 * the policy): keys in schema order, canonical YAML. */
void crq_doc_format(crq_buf *out, const crq_schema *schema,
	const crq_node *doc);
/* Canonical text of a change: keys in schema order, canonical YAML. */
void crq_change_format(crq_buf *out, const crq_schema *schema,
	const crq_node *change);

/* Type the plain scalars of partial change fields loaded from YAML
 * (crq_yaml_load) by the change schema; problems are reported as
 * "name:line:col: message" (CRQ_EINVALID). */
int crq_change_type_fields(crq_repo *repo, crq_node *fields,
	const char *name);
/* Apply one "key=value" assignment to doc in memory. */
int crq_change_assign(crq_repo *repo, crq_node *doc, const char *assignment);

/* ------------------------------------------------------------------ */
/* The plan of a change: what a new change takes from another (crq new
 * --from ID) or from a change file given for a new one (crq show ID |
 * crq new -F -), and what crq keeps for itself (lib/plan.c). */

typedef enum {
	/* what the change is and how it is done: title, type, owner,
	 * services, impact, urgency, risk, description, justification,
	 * the implementation, backout and test plans, and the tasks a
	 * person defined (title, owner, phase) */
	CRQ_FIELD_PLAN,
	/* that change's own occasion: its window, incident and links (and
	 * a task's due date); any field this table does not know */
	CRQ_FIELD_OCCASION,
	/* set by crq or recorded by a workflow step: id, state, template,
	 * requester, priority, created, updated, entered, approvals,
	 * extra_approvals, review_due, escalations, implementer,
	 * close_code, review, deployments (a task's done, done_by and
	 * done_at; a task an automation rule added) */
	CRQ_FIELD_CRQ
} crq_field_class;

/* The class of top-level change field name. */
crq_field_class crq_change_field_class(const char *name);

typedef enum {
	CRQ_PLAN_COPY,	/* another change: its plan fields only */
	CRQ_PLAN_INPUT	/* fields given for a new change: all but crq's */
} crq_plan_mode;

/* Fields for a new change (crq_change_create) taken from a source. */
typedef struct {
	crq_node *fields;	/* an object, owned */
	/* the template the source names (a standard change is made from
	 * it again: see crq_change_plan_template); empty when none */
	crq_buf template_name;
	/* the names of the source's fields that were left out, in source
	 * order (an array of strings, owned): top-level names, "tasks.F"
	 * for field F of a task, "tasks.rule" for the tasks automation
	 * rules added (left out whole: the rule adds them again where it
	 * still applies).  CRQ_PLAN_INPUT leaves out CRQ_FIELD_CRQ only
	 * (and keeps a task's "done: false", what every new task holds);
	 * CRQ_PLAN_COPY keeps CRQ_FIELD_PLAN only. */
	crq_node *dropped;
} crq_change_plan;

void crq_change_plan_init(crq_change_plan *plan);
void crq_change_plan_dispose(crq_change_plan *plan);
/* The plan of source (a change, or change fields loaded and typed by
 * crq_change_type_fields) into out (initialised; what it held is
 * replaced).  Values are not validated here: crq_change_create does.
 * CRQ_EINVALID when source is not an object. */
int crq_change_plan_of(crq_change_plan *out, const crq_node *source,
	crq_plan_mode mode);
/* The plan of change id on the branch tip (CRQ_PLAN_COPY); ids as
 * crq_change_id_normalize takes them, CRQ_ENOTFOUND "no such change"
 * as crq_change_load. */
int crq_change_plan_load(crq_change_plan *out, crq_repo *repo,
	const char *id);
/* The template to make the new change from: given when not NULL, else
 * the source's template when plan's fields (after any overrides) still
 * make a standard change (type standard or none), else NULL.
 * Borrowed. */
const char *crq_change_plan_template(const crq_change_plan *plan,
	const char *given);

/* The steps of change id, oldest first, from the commits of the branch
 * (first-parent history back to its creation): an array of objects
 * {commit, at, by, name, action, from, to, message, signature}; signature
 * is "good" (a valid SSH signature by one of the author's keys in the
 * current policy), "unknown-key", "bad" or "unsigned". */
int crq_change_log(crq_node **out, crq_repo *repo, const char *id);

typedef struct {
	const char *state, *type, *risk, *service, *requester;
	/* only changes whose review_due has passed (now: the clock, or
	 * GIT_COMMITTER_DATE) and that still owe their review */
	int overdue;
	/* when not NULL: only changes in one of these states
	 * (NULL-terminated), and only those whose id is a key of ids (an
	 * object) */
	const char *const *states;
	const crq_node *ids;
} crq_filter;

/* All changes on the branch tip matching filter (may be NULL), in id
 * order, as an array node.  Files that cannot be read or are invalid
 * are skipped; each adds one issue to problems (may be NULL) whose
 * pointer is the file's path and whose message is the whole error line
 * ("path:line:col: problem").  Files are parsed on all cores; with a
 * filter, the summaries in the cache (DESIGN §9) spare parsing the
 * changes it leaves out. */
int crq_change_list(crq_node **out, crq_repo *repo, const crq_filter *filter,
	crq_issues *problems);

/* One change of a listing; borrowed, valid during the call only. */
typedef struct {
	const char *path;	/* "changes/000/CHG-000001.yaml" */
	/* the change: all its fields, or, when the options name fields,
	 * at least those, as the change has them */
	const crq_node *doc;
} crq_change_item;

/* Called for each change in id order; a negative CRQ_E* code stops
 * the listing and is returned. */
typedef int (*crq_change_fn)(const crq_change_item *item, void *payload);

typedef struct {
	unsigned int version;
	const crq_filter *filter;	/* may be NULL */
	/* The fields the caller reads of each change, as crq_node_path
	 * takes them (NULL-terminated), or NULL for every field.  When
	 * the summaries kept in the cache hold them all (id, title, type,
	 * state, requester, services, risk, ...), no change file is read
	 * that was read before; the listing keeps no more than a window of
	 * changes in memory, whatever the store's size. */
	const char *const *fields;
} crq_list_options;

#define CRQ_LIST_OPTIONS_VERSION 1
#define CRQ_LIST_OPTIONS_INIT { CRQ_LIST_OPTIONS_VERSION, NULL, NULL }

/* The changes of crq_change_list passed to fn one at a time, problems
 * as there. */
int crq_change_list_each(crq_repo *repo, const crq_list_options *opts,
	crq_issues *problems, crq_change_fn fn, void *payload);
/* Receives output in order; returns 0, or a negative CRQ_E* code to
 * stop (after setting nothing: the caller reports its own failure). */
typedef int (*crq_write_fn)(const char *data, size_t len, void *payload);

/* The same changes as one pretty-printed JSON array (what `crq list
 * --json` prints, without the final newline), passed to write in
 * pieces as they are ready.  Each change is serialised by the thread
 * that parsed it and freed at once, so output overlaps parsing and the
 * store is never held in memory as trees; the JSON of each change is
 * kept in the cache by blob id, so a file read once is not parsed
 * again.  A write failure stops the output and is returned. */
int crq_change_list_json(crq_repo *repo, const crq_filter *filter,
	crq_issues *problems, crq_write_fn write, void *payload);

/* ------------------------------------------------------------------ */
/* Templates of standard changes (.crq/templates/NAME.yaml on the
 * branch tip). */

/* The templates, by name: an array of {name, path, title} (title when
 * the template has one). */
int crq_template_list(crq_node **out, crq_repo *repo);
/* The text of template name, byte for byte; CRQ_ENOTFOUND when there is
 * none, CRQ_EINVALID for a name that is no template name. */
int crq_template_read(crq_buf *out, crq_repo *repo, const char *name);

#ifdef __cplusplus
}
#endif

#endif
