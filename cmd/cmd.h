/*
 * cmd.h - the crq command line: shared declarations of cmd/.
 * Only cmd/ prints or exits; it uses nothing but the public lib/crq.h.
 */
#ifndef CRQ_CMD_H
#define CRQ_CMD_H

#include "crq.h"

/* Exit codes, documented in `crq help`. */
#define EXIT_REFUSED 1
#define EXIT_FAILURE_REPO 128
#define EXIT_USAGE 129

struct cmd_ctx {
	crq_options opts;
	const char *datadir;
	int keep_repo;		/* crq batch: one repository handle for all */
	crq_repo *repo;		/* that handle, once opened */
};

struct cmd {
	const char *name;
	int (*fn)(int argc, char **argv, struct cmd_ctx *ctx);
	const char *usage;	/* "crq new [options]" */
	const char *summary;	/* one line for `crq help` */
	const char *help;	/* options and details */
};

extern const struct cmd commands[];
/* crq's own synopsis ("usage: crq ...") and its global options, as
 * crq --help prints them and crq(1) renders them (cmd/main.c). */
extern const char main_synopsis[];
extern const char main_options_help[];
const struct cmd *cmd_find(const char *name);

int cmd_init(int argc, char **argv, struct cmd_ctx *ctx);
int cmd_new(int argc, char **argv, struct cmd_ctx *ctx);
int cmd_show(int argc, char **argv, struct cmd_ctx *ctx);
int cmd_list(int argc, char **argv, struct cmd_ctx *ctx);
int cmd_edit(int argc, char **argv, struct cmd_ctx *ctx);
int cmd_set(int argc, char **argv, struct cmd_ctx *ctx);
int cmd_validate(int argc, char **argv, struct cmd_ctx *ctx);
int cmd_schema(int argc, char **argv, struct cmd_ctx *ctx);
int cmd_help(int argc, char **argv, struct cmd_ctx *ctx);
int cmd_act(int argc, char **argv, struct cmd_ctx *ctx);
int cmd_do(int argc, char **argv, struct cmd_ctx *ctx);
int cmd_member(int argc, char **argv, struct cmd_ctx *ctx);
int cmd_template(int argc, char **argv, struct cmd_ctx *ctx);
int cmd_role(int argc, char **argv, struct cmd_ctx *ctx);
int cmd_policy(int argc, char **argv, struct cmd_ctx *ctx);
int cmd_log(int argc, char **argv, struct cmd_ctx *ctx);
int cmd_batch(int argc, char **argv, struct cmd_ctx *ctx);
int cmd_verify(int argc, char **argv, struct cmd_ctx *ctx);
int cmd_hook(int argc, char **argv, struct cmd_ctx *ctx);
int cmd_check(int argc, char **argv, struct cmd_ctx *ctx);
int cmd_sync(int argc, char **argv, struct cmd_ctx *ctx);
int cmd_task(int argc, char **argv, struct cmd_ctx *ctx);
int cmd_todo(int argc, char **argv, struct cmd_ctx *ctx);
int cmd_sla(int argc, char **argv, struct cmd_ctx *ctx);
int cmd_calendar(int argc, char **argv, struct cmd_ctx *ctx);
int cmd_events(int argc, char **argv, struct cmd_ctx *ctx);
int cmd_notify(int argc, char **argv, struct cmd_ctx *ctx);
int cmd_escalate(int argc, char **argv, struct cmd_ctx *ctx);
int cmd_gate(int argc, char **argv, struct cmd_ctx *ctx);
int cmd_deploy(int argc, char **argv, struct cmd_ctx *ctx);
int cmd_audit(int argc, char **argv, struct cmd_ctx *ctx);
int cmd_report(int argc, char **argv, struct cmd_ctx *ctx);
int cmd_raci(int argc, char **argv, struct cmd_ctx *ctx);
int cmd_cache(int argc, char **argv, struct cmd_ctx *ctx);

/* Print "error: <crq_error_last()>" (or "fatal:" for repository
 * failures) and return the exit code for crq error code err. */
int report(int err);
/* Send the events of the step repo just took to the channels of this
 * machine; failures are warnings (cmd/events.c). */
void notify_step(crq_repo *repo);
/* Say on stderr that a verify run pinned the trusted root (first use). */
void say_pinned(const crq_verify_result *res);
/* Print "usage: ..." for cmd with an optional problem line; returns 129. */
int usage_error(const struct cmd *cmd, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Print the full help of cmd to stdout; returns 0. */
int print_help(const struct cmd *cmd);
/* If argv[1] is -h or --help print help and return 1. */
int wants_help(int argc, char **argv);
/* Open the store containing the current directory. */
int open_repo(crq_repo **out, struct cmd_ctx *ctx);
/* open_repo() and the policy on its branch tip (borrowed); on failure
 * the error is reported, nothing is left open, and the exit code
 * returned. */
int open_policy(crq_repo **out, const crq_node **policy,
	struct cmd_ctx *ctx);
/* Release what open_repo() gave (kept open under crq batch). */
void close_repo(crq_repo *repo, struct cmd_ctx *ctx);
/* Exit status after flushing stdout: 128 when stdout failed. */
int finish(int code);
/* A violation as "COMMIT CHANGE RULE: message" (+ "hint: ..." line),
 * each line prefixed with pre. */
void violation_text(crq_buf *out, const crq_violation *x, const char *pre);
/* The same, the commit, rule and hint in colour when color is set. */
void violation_color(crq_buf *out, const crq_violation *x, const char *pre,
	int color);
/* The violations as a JSON array of {commit, change, rule, message,
 * hint}. */
crq_node *violations_json(const crq_verify_result *res);
/* Running in CI (CI set and not "false"/"0"): verify needs a trusted
 * root from outside the history. */
int ci_mode(void);

/* Saying what a step did (cmd/say.c): said_before() before the step,
 * said_after() after it prints "ID: field old -> new, ..." and the
 * approvals it made stale; say_decision() after an approve or reject:
 * by whom, in which role, and what is still needed. */
struct said {
	crq_node *doc;
	crq_node *approvals;
};
void said_before(struct said *s, crq_repo *repo, const char *id);
void said_after(struct said *s, crq_repo *repo, const char *id);
void said_dispose(struct said *s);
void say_decision(crq_repo *repo, const char *id, const char *action,
	const char *to);
void say_policy(crq_repo *repo, const char *what);

/* Match option name at argv[*i] ("--name VALUE" or "--name=VALUE");
 * 1 and *out set (and *i advanced) on a match, 0 when argv[*i] is
 * another option, -1 when the value is missing. */
int opt_value(int argc, char **argv, int *i, const char *name,
	const char **out);
/* opt_value() for an option given at most once: a repeat, or a missing
 * value, is a usage error (printed); returns -1 then, else as opt_value
 * (*out must start NULL). */
/* A flag without value (--json) given at most once: 1 when argv's arg is
 * name (recorded in *seen), 0 when it is not, -1 after a usage error. */
int flag_once(const struct cmd *self, const char *arg, const char *name,
	const char **seen);
/* argv[from..] may hold --json (once) and nothing else: 0, or the
 * usage error's exit code */
int json_flag_only(const struct cmd *self, int argc, char **argv, int from,
	const char **json);
int opt_once(const struct cmd *self, int argc, char **argv, int *i,
	const char *name, const char **out);

/* Run the user's editor on path (GIT_EDITOR, core.editor, VISUAL,
 * EDITOR, vi). */
int run_editor(crq_repo *repo, const char *path);
/* Edit text in a file under the git dir until accept() takes it.
 * Text kept there by an earlier refusal is reopened instead of initial.
 * On refusal the error is shown at the top of the file and the editor
 * reopens; the loop stops, keeping the file (never lose the user's
 * text), after 5 refusals, when the user saves it unchanged or when the
 * editor fails.  The file is removed on success, when the user empties
 * it, or when accept() aborts.  Reports problems itself and returns an
 * exit code. */
#define EDIT_ABORT 1	/* accept() printed why it gave up */
/* Lock a kept file for one editor (flock of FILE.lock, gone with the
 * process); -1 with the error printed when another holds it. */
int kept_lock(const char *file);
/* Write path whole through a fresh temporary file (0, or -1 and errno). */
int write_file_atomic(const char *path, const char *text, size_t len);
/* An RFC 3339 time, or a date YYYY-MM-DD (its first second, or with
 * end_of_day its last, UTC), as seconds since the epoch; CRQ_EINVALID
 * when it is neither. */
int parse_when(const char *text, long long *out, int end_of_day);
/* Append s as one CSV field (RFC 4180 quoting; a leading = + - @ is
 * kept from spreadsheets' formulas behind an apostrophe) and a comma,
 * or CRLF when last. */
void csv_field(crq_buf *out, const char *s, int last);
/* Replace the control characters of text (but tab and line breaks),
 * C1 controls and the bidirectional and zero-width marks with '?': what
 * a history holds reaches a terminal as text. */
void text_safe(crq_buf *text);
/* --format's value among allowed (NULL-terminated; none given: the
 * first); 0, or the usage error's exit code after saying which are.
 * allowed NULL: any value (a template, as crq list's), NULL when none
 * is given. */
int pick_format(const struct cmd *self, const char **format,
	const char *const *allowed);
/* The same, with --json (json non-NULL when given) meaning --format
 * json; another --format beside it is a usage error. */
int pick_json_format(const struct cmd *self, const char *json,
	const char **format, const char *const *allowed);
/* Write text to stdout (path NULL) or, atomically, to path; with sign
 * also path.sig, an SSH signature of the same bytes for namespace by
 * the user's signing key (made before anything is written).  0, or the
 * exit code after saying what failed. */
int write_output(crq_repo *repo, const char *path, const crq_buf *text,
	int sign, const char *namespace_);
/* What is at a kept file's path. */
enum { KEPT_NONE, KEPT_TEXT, KEPT_HUGE, KEPT_ODD };
int kept_kind(const char *file);
typedef int (*edit_accept_fn)(const char *text, size_t len, void *payload);
int edit_loop(crq_repo *repo, const char *file, const char *initial,
	edit_accept_fn accept, void *payload);

/* Terminal habits (cmd/term.c): a pager and colour, as git has them.
 * term_setup() takes the -c overrides (kept, for reading the config
 * when needed), --color (COLOR_*) and -p (1) / --no-pager (0) / -1. */
enum { COLOR_UNSET = -1, COLOR_NEVER, COLOR_ALWAYS, COLOR_AUTO };
void term_setup(const crq_options *opts, int color, int pager);
/* Release what term.c read; the pager is waited for at exit. */
void term_dispose(void);
/* "auto", "always", "never" or a git boolean (true: auto) as COLOR_*;
 * COLOR_UNSET when it is none. */
int color_parse(const char *value);
/* Colour on fd (1: stdout, 2: stderr)?  --color=never/always decide,
 * then NO_COLOR (off), then color.ui (read from repo's configuration
 * when given); auto colours a terminal or the pager in front of one
 * (TERM not dumb).  stderr is coloured only for a terminal. */
int use_color(int fd, crq_repo *repo);
/* text, inside SGR sgr ("1;31") and a reset when on and sgr set */
void color_put(crq_buf *out, int on, const char *sgr, const char *text);
#define SGR_RED "31"
#define SGR_GREEN "32"
#define SGR_YELLOW "33"
#define SGR_BLUE "34"
#define SGR_MAGENTA "35"
#define SGR_CYAN "36"
#define SGR_BOLD "1"
#define SGR_DIM "2"
#define SGR_BOLD_RED "1;31"
#define SGR_BOLD_GREEN "1;32"
/* The colour of a change state (NULL: none, e.g. a policy's own). */
const char *state_sgr(const char *state);
/* "error:", "fatal:", "warning:", "hint:" for stderr, coloured when
 * stderr is. */
const char *tag(const char *word);
/* Send stdout (and stderr, when it is the same terminal) through the
 * pager when stdout is a terminal and the command pages: by_default,
 * unless pager.CMD (git config) says otherwise, -p forces it and
 * --no-pager forbids it.  Never inside crq batch.  The pager is
 * CRQ_PAGER, pager.CMD when a program, core.pager, PAGER or less
 * ("" or cat: none), run by sh -c with LESS=FRX and LV=-c unless set. */
void pager_maybe(struct cmd_ctx *ctx, const char *cmd, int by_default);
/* stdout is a closed pipe (the pager quit): end as SIGPIPE ends a
 * program, without a message. */
void die_of_sigpipe(void) __attribute__((noreturn));

/* man.c: manual pages (scdoc) and completion names from commands[]. */
int man_scdoc_command(const struct cmd *c);
int man_scdoc_main(void);
int man_commands(void);
int man_options(const struct cmd *c);

#endif
