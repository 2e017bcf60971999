/*
 * crq.h - the public interface of libcrq, change requests as code in git.
 *
 * Conventions (see STYLE.md):
 *  - Functions return 0 on success and a negative CRQ_E* code on failure;
 *    crq_error_last() then describes the failure in one line.
 *  - Out-parameters come first and are named `out`.  Objects returned
 *    through `**out` belong to the caller and are released with the
 *    matching _free(), which accepts NULL.  Returned `const` pointers are
 *    borrowed from the object they came from.
 *  - The library never prints, never exits and never reads argv.
 *  - Running out of memory aborts the process (as git does): no function
 *    reports ENOMEM.
 */
#ifndef CRQ_H
#define CRQ_H

#include <stddef.h>
#include <stdarg.h>
#include <stdint.h>

#define CRQ_VERSION "0.1.0"

/* ------------------------------------------------------------------ */
/* Errors                                                              */

enum {
	CRQ_OK = 0,
	CRQ_ERROR = -1,		/* generic failure */
	CRQ_ENOTFOUND = -2,	/* no such change, file, key or object */
	CRQ_EEXISTS = -3,	/* something already exists */
	CRQ_EINVALID = -4,	/* input (YAML, JSON, field value) is invalid */
	CRQ_EDENIED = -5,	/* the action is not allowed */
	CRQ_ECONFLICT = -6,	/* concurrent update or uncommitted user edit */
	CRQ_ESIGN = -7,		/* signing failed */
	CRQ_EREPO = -8,		/* repository or system failure */
	CRQ_EUSAGE = -9		/* the caller used the API wrongly */
};

/* The message of the last error in this thread; never NULL. */
const char *crq_error_last(void);
/* The code of the last error in this thread (0 when none). */
int crq_error_code(void);
/* Forget the last error. */
void crq_error_clear(void);

/* ------------------------------------------------------------------ */
/* Growable string buffer.  Invariant: ptr is NUL-terminated whenever
 * size > 0 or after any put; size excludes the NUL. */

typedef struct {
	char *ptr;
	size_t size;
	size_t asize;
} crq_buf;

#define CRQ_BUF_INIT { NULL, 0, 0 }

void crq_buf_init(crq_buf *buf);
void crq_buf_dispose(crq_buf *buf);
void crq_buf_clear(crq_buf *buf);
void crq_buf_grow(crq_buf *buf, size_t extra);
void crq_buf_put(crq_buf *buf, const char *data, size_t len);
void crq_buf_puts(crq_buf *buf, const char *str);
void crq_buf_putc(crq_buf *buf, char c);
void crq_buf_printf(crq_buf *buf, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void crq_buf_vprintf(crq_buf *buf, const char *fmt, va_list ap);
/* Return the contents as a NUL-terminated string ("" when empty). */
const char *crq_buf_cstr(crq_buf *buf);
/* Hand the allocation to the caller (never NULL) and reset the buffer. */
char *crq_buf_detach(crq_buf *buf);
/* Read a whole file into buf; fails with CRQ_EINVALID when larger than
 * max bytes, CRQ_ENOTFOUND when missing.  path "-" reads stdin. */
int crq_buf_read_file(crq_buf *buf, const char *path, size_t max);

/* ------------------------------------------------------------------ */
/* Value tree shared by the JSON parser, the YAML loader, the schema
 * validator and the change model. */

typedef enum {
	CRQ_NODE_NULL,
	CRQ_NODE_BOOL,
	CRQ_NODE_INT,
	CRQ_NODE_NUMBER,
	CRQ_NODE_STRING,
	CRQ_NODE_ARRAY,
	CRQ_NODE_OBJECT
} crq_node_kind;

typedef struct crq_node crq_node;
struct crq_node {
	crq_node_kind kind;
	/* A YAML plain (unquoted) scalar that has not been typed yet: kind
	 * is CRQ_NODE_STRING and str holds its text.  crq_schema_type()
	 * resolves it and clears the flag. */
	int plain;
	/* 1-based position in the source document, 0 when unknown. */
	unsigned line, col;
	int b;			/* BOOL */
	long long i;		/* INT */
	double n;		/* NUMBER */
	char *str;		/* STRING: NUL-terminated, never contains NUL */
	size_t len;		/* STRING: strlen(str) */
	size_t count;		/* ARRAY / OBJECT: number of items */
	size_t alloc;
	char **keys;		/* OBJECT: keys, in source order */
	crq_node **items;	/* ARRAY items, or OBJECT values */
};

crq_node *crq_node_new(crq_node_kind kind);
crq_node *crq_node_new_string(const char *str, size_t len);
crq_node *crq_node_new_cstr(const char *str);
crq_node *crq_node_new_int(long long i);
crq_node *crq_node_new_bool(int b);
void crq_node_free(crq_node *node);
crq_node *crq_node_dup(const crq_node *node);
/* JSON-Schema equality: 1 == 1.0, object key order does not matter. */
int crq_node_equal(const crq_node *a, const crq_node *b);
/* Object member by key, or NULL. */
crq_node *crq_node_get(const crq_node *obj, const char *key);
/* Index of key in obj, or -1. */
long crq_node_index(const crq_node *obj, const char *key);
/* Set obj[key] = val, taking ownership of val; replaces in place (keeps
 * the position) or appends. */
void crq_node_set(crq_node *obj, const char *key, crq_node *val);
/* Remove obj[key]; returns 1 when something was removed. */
int crq_node_remove(crq_node *obj, const char *key);
/* Remove and free item i of an array (i < count). */
void crq_node_remove_at(crq_node *arr, size_t i);
/* Append to an array, taking ownership. */
void crq_node_push(crq_node *arr, crq_node *val);
/* Convenience: string value of obj[key] or NULL when absent/not string. */
const char *crq_node_get_str(const crq_node *obj, const char *key);
/* Follow a dotted path ("window.start") through objects; NULL if absent. */
crq_node *crq_node_path(const crq_node *root, const char *dotted);

/* ------------------------------------------------------------------ */
/* JSON: strict RFC 8259 parser and writer. */

#define CRQ_JSON_MAX_DEPTH 256

/* Parse text (len bytes) into *out.  name is used in error messages as
 * "name:line:col: message".  Integers without fraction or exponent that
 * fit in long long become CRQ_NODE_INT, other numbers CRQ_NODE_NUMBER.
 * Duplicate keys, trailing garbage, invalid UTF-8 and nesting deeper
 * than CRQ_JSON_MAX_DEPTH are CRQ_EINVALID. */
int crq_json_parse(crq_node **out, const char *text, size_t len,
	const char *name);
/* Append node as JSON to out; pretty = indent by two spaces. */
void crq_json_write(crq_buf *out, const crq_node *node, int pretty);
/* Append str as a JSON string literal (with quotes) to out. */
void crq_json_write_string(crq_buf *out, const char *str, size_t len);

/* ------------------------------------------------------------------ */
/* YAML: strict loader and canonical emitter. */

#define CRQ_YAML_MAX_DEPTH 64
#define CRQ_YAML_MAX_SIZE (1024 * 1024)

/* Load one YAML document.  Rejects, naming name:line:col, anchors,
 * aliases, tags, directives, merge keys, non-scalar keys, duplicate
 * keys, more than one document, NUL bytes, invalid UTF-8, nesting
 * deeper than CRQ_YAML_MAX_DEPTH and input larger than
 * CRQ_YAML_MAX_SIZE.  Plain scalars come back as CRQ_NODE_STRING with
 * plain = 1 (untyped); quoted and block scalars as strings with
 * plain = 0.  An empty document is a CRQ_NODE_NULL node.  A NUL written
 * as an escape ("\0", "\x00") is refused like a raw NUL byte. */
int crq_yaml_load(crq_node **out, const char *text, size_t len,
	const char *name);
/* Append doc in the canonical layout: block style, keys in node order,
 * two-space indentation, strings quoted whenever a YAML 1.1 or 1.2
 * reader could take them for anything but a string, multi-line strings
 * as literal blocks.  crq_yaml_load() of the output gives back an equal
 * tree (after typing).  Strings must be valid UTF-8; invalid bytes are
 * written as U+FFFD. */
void crq_yaml_emit(crq_buf *out, const crq_node *doc);

/* YAML scalar resolution, used to type plain scalars. */
/* 1 when a plain scalar with this text is null (YAML 1.2 core: "", ~,
 * null, Null, NULL). */
int crq_yaml_plain_null(const char *s);
/* 1 and *out set when text is a YAML 1.2 core bool (true/True/TRUE,
 * false/False/FALSE). */
int crq_yaml_plain_bool(const char *s, int *out);
/* 1 and *out set when text is a decimal integer ([-+]?[0-9]+) in range. */
int crq_yaml_plain_int(const char *s, long long *out);
/* 1 and *out set when text is a YAML 1.2 core float (incl. .inf/.nan)
 * or decimal integer. */
int crq_yaml_plain_float(const char *s, double *out);
/* 1 when a YAML 1.1 or 1.2 reader could resolve this plain text to
 * anything but a string: null, bools (yes/no/on/off/y/n ...), ints in
 * any base, octal (0755), sexagesimal (12:30), floats, .inf/.nan,
 * timestamps (2026-01-02, 2026-01-02T10:00:00Z), "<<", "=". */
int crq_yaml_plain_ambiguous(const char *s);
/* 1 when s looks like a YAML timestamp (date or date-time). */
int crq_yaml_plain_timestamp(const char *s);

/* ------------------------------------------------------------------ */
/* Schema validation (JSON Schema draft-07).  A schema is compiled when
 * it is loaded and never changes afterwards: a loaded schema may be
 * used concurrently by several threads (validate, type, lookup). */

typedef struct crq_schema crq_schema;

typedef struct {
	char *pointer;		/* JSON pointer of the instance location */
	char *message;		/* one line, no trailing newline */
	unsigned line, col;	/* position of the instance node, or 0 */
} crq_issue;

typedef struct {
	crq_issue *items;
	size_t count;
	size_t alloc;
} crq_issues;

void crq_issues_init(crq_issues *issues);
void crq_issues_dispose(crq_issues *issues);
void crq_issues_add(crq_issues *issues, const crq_node *at,
	const char *pointer, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* Load a schema from a JSON file. */
int crq_schema_load(crq_schema **out, const char *path);
/* Build a schema from a parsed JSON tree, taking ownership of root.
 * name is used in messages. */
int crq_schema_from_node(crq_schema **out, crq_node *root, const char *name);
void crq_schema_free(crq_schema *schema);
/* The schema document itself (borrowed). */
const crq_node *crq_schema_root(const crq_schema *schema);
/* The schema node that describes the property at a dotted path from the
 * root ("window.start"), following $ref and allOf; NULL if unknown. */
const crq_node *crq_schema_lookup(const crq_schema *schema,
	const char *dotted);

/* Type the plain scalars of doc (from crq_yaml_load) by the types the
 * schema expects at each location; clears node->plain.  A plain scalar
 * in a place that accepts only strings but that a YAML reader could
 * take for something else (`no`, `on`, `0755`, `12:30`) is an issue
 * that says to quote it.  A plain scalar that fits none of the expected
 * types stays a string, for crq_schema_validate() to report.  issues
 * may be NULL.  Returns 0, or CRQ_EINVALID when issues were found. */
int crq_schema_type(const crq_schema *schema, crq_node *doc,
	crq_issues *issues);
/* Validate doc.  Returns 0 when valid, CRQ_EINVALID when issues were
 * found (one issue per failed leaf keyword; issues may be NULL for a
 * yes/no answer), another error on failure of the schema itself (e.g.
 * an unresolvable $ref). */
int crq_schema_validate(const crq_schema *schema, const crq_node *doc,
	crq_issues *issues);
/* 1 when s is an RFC 3339 date-time with a zone. */
int crq_schema_is_datetime(const char *s);

/* ------------------------------------------------------------------ */
/* The store: a git repository holding .crq/ and changes/. */

typedef struct crq_repo crq_repo;

typedef struct {
	/* Directory holding schemas/ and examples/ (required). */
	const char *datadir;
	/* "name=value" git config overrides for this run (like git -c),
	 * consulted before the repository's configuration. */
	const char *const *config;
	size_t config_count;
} crq_options;

/* Keep the library's global state (libgit2's) alive between repository
 * opens, for a process that runs many commands (crq batch).  Each call
 * to crq_global_init() is matched by one to crq_global_shutdown(). */
void crq_global_init(void);
void crq_global_shutdown(void);

/* Open the repository containing path (searching upwards like git). */
int crq_repo_open(crq_repo **out, const char *path, const crq_options *opts);
/* Create a store at path: init the git repository if there is none
 * (branch main), write .crq/policy.yaml and .crq/templates/ from the
 * datadir's examples and commit.  CRQ_EEXISTS if already a store. */
int crq_repo_init(crq_repo **out, const char *path, const crq_options *opts);
void crq_repo_free(crq_repo *repo);
/* Forget what an open repository remembers of the branch (its policy)
 * when the branch has moved since: for a handle kept open across many
 * commands (crq batch).  What does not depend on the branch (schemas,
 * the signing key) stays. */
void crq_repo_refresh(crq_repo *repo);
/* Work tree of the repository, or NULL when bare (borrowed). */
const char *crq_repo_workdir(const crq_repo *repo);
/* Git directory (borrowed). */
const char *crq_repo_gitdir(const crq_repo *repo);
/* Branch crq works on ("refs/heads/main"), borrowed. */
const char *crq_repo_branch(const crq_repo *repo);
/* Git config value (overrides first) into out; CRQ_ENOTFOUND if unset. */
int crq_repo_config(crq_buf *out, crq_repo *repo, const char *name);
/* The change schema of this run (borrowed). */
int crq_repo_change_schema(const crq_schema **out, crq_repo *repo);
/* Full path of a file in the datadir ("schemas/change.schema.json"). */
void crq_repo_datafile(crq_buf *out, const crq_repo *repo, const char *rel);

/* ------------------------------------------------------------------ */
/* Change requests.  A change is a crq_node object holding the fields of
 * schemas/change.schema.json. */

/* Path of a change file in the store ("changes/000/CHG-000001.yaml");
 * CRQ_EINVALID when id is not an id of this store. */
int crq_change_path(crq_buf *out, crq_repo *repo, const char *id);
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
/* Canonical text of a change: keys in schema order, canonical YAML. */
void crq_change_format(crq_buf *out, const crq_schema *schema,
	const crq_node *change);

/* Type the plain scalars of partial change fields loaded from YAML
 * (crq_yaml_load) by the change schema; problems are reported as
 * "name:line:col: message" (CRQ_EINVALID). */
int crq_change_type_fields(crq_repo *repo, crq_node *fields,
	const char *name);
/* Fields for a new change.  fields holds user-supplied fields (may be
 * NULL); template names a template in .crq/templates (may be NULL).
 * The store fills id, state (draft), requester, created, updated and
 * priority.  On success the new id is in id_out. */
int crq_change_create(crq_buf *id_out, crq_repo *repo, const crq_node *fields,
	const char *template_name);
/* Replace change id with doc (validated; id/created must not change);
 * message is the commit subject suffix. */
int crq_change_update(crq_repo *repo, const char *id, const crq_node *doc,
	const char *action);
/* Apply "key=value" assignments (dotted keys; empty value removes the
 * field; non-string fields parse value as YAML) to change id. */
int crq_change_set(crq_repo *repo, const char *id,
	const char *const *assignments, size_t count);
/* Apply one "key=value" assignment to doc in memory. */
int crq_change_assign(crq_repo *repo, crq_node *doc, const char *assignment);

/* Options of a workflow action. */
typedef struct {
	const char *message;	/* commit message body (-m), may be NULL */
	/* "key=value" fields the action sets first (assess --risk, ...) */
	const char *const *assignments;
	size_t count;
	const char *role;	/* approve/reject: act in this role */
} crq_act_opts;

/* Take the policy action name on change id as the current user (a
 * member; identified by user.email).  Checks the action exists for the
 * change's type, the state it may start from, the member's roles
 * (expired grants do not count), the fields it requires; approvals also
 * check separation of duties (not the requester, not anyone who edited
 * the change since the last approval, one approval per member) and
 * move the change on when the approval rules are met.  One commit:
 * "ID: action — title", body, trailers Crq-Change, Crq-Action,
 * Crq-From, Crq-To (+ Crq-Digest on decisions).  On success the new
 * state is appended to to_out (may be NULL).  CRQ_EDENIED with a
 * message and a "hint:" line when the policy says no. */
int crq_change_act(crq_buf *to_out, crq_repo *repo, const char *id,
	const char *name, const crq_act_opts *opts);

/* Import approvals given in a forge (a pull request review) as signed
 * evidence.  reviews is the JSON the forge's API returns (forge
 * "github": the array of GET /repos/{o}/{r}/pulls/{n}/reviews; "gitlab":
 * the merge request approvals object, with "sha").  The current user
 * must be a bot member whose policy entry has attests: [forge] and
 * whose key signs.  Per reviewer the latest review counts, only
 * APPROVED ones; reviewers map to members by handles.<forge>; each
 * becomes one approve commit by the bot recording, for the mapped
 * member, forge, PR, reviewer, review id and reviewed commit in
 * trailers.  Unmapped reviewers, stale reviews (the change differed at
 * the reviewed commit) and approvals the rules refuse (requester,
 * recent editor, role, state) are added to problems, not imported.
 * *imported: how many were. */
int crq_change_import_reviews(crq_repo *repo, const char *id,
	const char *forge, const char *pr, const crq_node *reviews,
	crq_issues *problems, size_t *imported);

/* Share the store through remote (e.g. "origin"): fetch; when only the
 * remote moved, take it; when both did, replay the local crq steps on
 * the remote tip as the user's own steps again (re-checked against the
 * new state, re-signed; a new change whose id was taken upstream gets
 * the next free id and says so); push, and when someone pushed first,
 * do it again.  A step that no longer applies stops the sync: nothing is
 * pushed and the branch is back where it was.  What happened is
 * appended to report, a line each. */
int crq_sync(crq_buf *report, crq_repo *repo, const char *remote);

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
} crq_filter;

/* All changes on the branch tip matching filter (may be NULL), in id
 * order, as an array node.  Files that cannot be read or are invalid
 * are skipped; each adds one issue to problems (may be NULL) whose
 * pointer is the file's path and whose message is the whole error line
 * ("path:line:col: problem").  Files are parsed on all cores. */
int crq_change_list(crq_node **out, crq_repo *repo, const crq_filter *filter,
	crq_issues *problems);
/* Receives output in order; returns 0, or a negative CRQ_E* code to
 * stop (after setting nothing: the caller reports its own failure). */
typedef int (*crq_write_fn)(const char *data, size_t len, void *payload);

/* The same changes as one pretty-printed JSON array (what `crq list
 * --json` prints, without the final newline), passed to write in
 * pieces as they are ready.  Each change is serialised by the thread
 * that parsed it and freed at once, so output overlaps parsing and the
 * store is never held in memory as trees.  A write failure stops the
 * output and is returned. */
int crq_change_list_json(crq_repo *repo, const crq_filter *filter,
	crq_issues *problems, crq_write_fn write, void *payload);

/* ------------------------------------------------------------------ */
/* The policy (.crq/policy.yaml).  Every change to it is one commit by
 * an admin of the policy it replaces (judged by the parent commit's
 * policy) and bumps its version by one; the result must pass the same
 * checks as `crq policy check`. */

/* The policy on the branch tip (borrowed from repo). */
int crq_policy_get(const crq_node **out, crq_repo *repo);
/* Add a member; key is an OpenSSH public key line (may be NULL);
 * handles are "forge=name" strings (github=alice), nhandles of them. */
int crq_policy_member_add(crq_repo *repo, const char *email,
	const char *name, const char *const *roles, size_t nroles,
	const char *key, const char *const *handles, size_t nhandles);
int crq_policy_member_remove(crq_repo *repo, const char *email);
/* Grant role (replacing an earlier grant of it); until "YYYY-MM-DD"
 * (inclusive) or NULL for no expiry. */
int crq_policy_role_grant(crq_repo *repo, const char *email,
	const char *role, const char *until);
int crq_policy_role_revoke(crq_repo *repo, const char *email,
	const char *role);
/* Replace the policy with text (a whole policy file; its version and
 * any pending change are ignored: the version goes up by one). */
int crq_policy_apply(crq_repo *repo, const char *text, size_t len,
	const char *name);
/* With admin_threshold N > 1, a policy change is first proposed (kept
 * under `pending`; the policy in force does not change) and takes
 * effect with the approval that makes N distinct admins.  Approve or
 * withdraw the pending change (admins only). */
int crq_policy_approve(crq_repo *repo);
int crq_policy_withdraw(crq_repo *repo);
/* git's gpg.ssh.allowedSignersFile lines for every member key:
 * 'EMAIL namespaces="git" TYPE BASE64'. */
int crq_policy_allowed_signers(crq_buf *out, crq_repo *repo);

/* ------------------------------------------------------------------ */
/* Verification: the history proves itself. */

/* One thing verify refuses: the commit, the change it concerns (NULL
 * for the policy or a merge), the rule's name, a one-line message and
 * an optional hint. */
typedef struct {
	char commit[41];
	char *change;
	char *rule;
	char *message;
	char *hint;
} crq_violation;

typedef struct {
	crq_violation *items;
	size_t count, alloc;
	size_t checked;		/* commits examined */
	char root[41];		/* the trusted root the walk started from */
	int pinned;		/* 1: this run pinned root (first use) */
} crq_verify_result;

void crq_verify_result_init(crq_verify_result *res);
void crq_verify_result_dispose(crq_verify_result *res);

typedef struct {
	unsigned int version;
	/* the revision to verify (tags peel to their commit); NULL: the
	 * branch crq works on */
	const char *rev;
	/* the trusted root; NULL: git config crq.trust, then the root
	 * pinned in .git/crq/trust, then (first use) the commit that
	 * introduced the policy, pinned from then on */
	const char *trust;
	/* refuse to run without a trusted root from outside the history
	 * (--trust or crq.trust): what CI sets */
	int require_trust;
	/* only commits not reachable from base (crq check); base itself is
	 * taken as verified */
	const char *base;
} crq_verify_options;

#define CRQ_VERIFY_OPTIONS_VERSION 1
#define CRQ_VERIFY_OPTIONS_INIT { CRQ_VERIFY_OPTIONS_VERSION, NULL, NULL, 0, \
	NULL }

/*
 * Verify the history: every commit reachable from the tip that the
 * trusted root does not reach is a commit touching no crq path, one
 * step that the rule engine makes from its parent under the parent's
 * policy by its signer at its time, or a merge that loses no step and
 * adds nothing of its own, whose merged-in steps are also legal under
 * the landing branch's policy at the merge.  Violations go to res, one
 * each.  0 when the walk ran (violations or not); CRQ_EREPO when the
 * history cannot be read, is shallow or partial, or (require_trust)
 * has no trusted root.  Verifying the branch itself remembers the last
 * tip verified clean in .git/crq/: the next run checks only what came
 * after it, and a tip that vanished (rollback, force push) is a
 * violation.
 */
int crq_verify_run(crq_verify_result *res, crq_repo *repo,
	const crq_verify_options *opts);
/* Pin rev's trusted root in the repository's git config (crq.trust):
 * what `crq hook install` does in the bare repository.  The root is
 * the commit that introduced the policy on rev's first-parent history.
 * The id goes to out. */
int crq_repo_pin_trust(crq_buf *out, crq_repo *repo, const char *rev);
/* The merge base of a and b, as a hex id, into out. */
int crq_merge_base(crq_buf *out, crq_repo *repo, const char *a,
	const char *b);
/* The changes head touches over base (files that differ), as of head:
 * an array of {id, state, type, approvals: [by...], needs} where needs
 * (only for submitted/assessed normal and emergency changes whose fresh
 * approvals do not meet the rules yet) says what is still needed, e.g.
 * "1 cab, 1 security". */
int crq_change_status(crq_node **out, crq_repo *repo, const char *base,
	const char *head);
/* 1 when commit a is b or one of its ancestors, 0 when not, < 0 on
 * error (revisions by name or id). */
int crq_repo_descends(crq_repo *repo, const char *b, const char *a);
/* 1 when rev's tree holds a crq policy, 0 when not, < 0 on error. */
int crq_repo_has_policy(crq_repo *repo, const char *rev);

/* ------------------------------------------------------------------ */
/* Validation of files for editors and hooks. */

/* Validate the change files and policy staged in the index (what a
 * commit would record), for pre-commit hooks; *files: how many.  Each
 * problem is an issue whose message is "path:line:col: problem". */
int crq_validate_staged(crq_repo *repo, const char *datadir,
	crq_issues *issues, size_t *files);

/* Validate a change or policy file (policy when its path ends in
 * .crq/policy.yaml or when kind is "policy"); issues collects every
 * problem.  Returns 0, CRQ_EINVALID, or another error. */
int crq_validate_file(crq_repo *repo, const char *datadir, const char *path,
	const char *text, size_t len, const char *kind, crq_issues *issues);

#endif
