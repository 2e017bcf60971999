/*
 * term.c - git's terminal habits: a pager for long output and colour,
 * both only for a terminal unless asked for.
 *
 * The pager, and the colour of messages, read the configuration only
 * for a terminal; the colour of a command's output reads color.ui from
 * the store the command opened anyway.  A command writing to a pipe or
 * a file opens nothing more than it did.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include "cmd.h"

extern char **environ;

static const crq_options *term_opts;	/* the -c overrides */
static int color_flag = COLOR_UNSET;	/* --color */
static int pager_flag = -1;		/* -p: 1, --no-pager: 0 */
static crq_config *config;		/* opened on first need */
static int config_tried;
static int color_ui = -2;		/* color.ui, once read: COLOR_* */
static int color_on[3] = { -1, -1, -1 };	/* decided, per fd */
static pid_t pager_pid;
static int out_paged, err_paged;	/* fd 1 / fd 2 go to the pager */

void term_setup(const crq_options *opts, int color, int pager)
{
	term_opts = opts;
	color_flag = color;
	pager_flag = pager;
}

int color_parse(const char *value)
{
	int b;

	if (!strcmp(value, "auto"))
		return COLOR_AUTO;
	if (!strcmp(value, "always"))
		return COLOR_ALWAYS;
	if (!strcmp(value, "never"))
		return COLOR_NEVER;
	/* color.ui = true is auto to git, false never */
	b = crq_config_parse_bool(value);
	return b < 0 ? COLOR_UNSET : b ? COLOR_AUTO : COLOR_NEVER;
}

/* The configuration of the current directory, NULL when it cannot be
 * read (the command says why when it opens the store). */
static crq_config *term_config(void)
{
	if (!config_tried) {
		config_tried = 1;
		if (crq_config_open(&config, ".", term_opts) < 0)
			config = NULL;
		crq_error_clear();
	}
	return config;
}

void term_dispose(void)
{
	crq_config_free(config);
	config = NULL;
	config_tried = 0;
}

/* color.ui: from the open store's configuration when there is one
 * (read there already), else from term_config(). */
static int read_color_ui(crq_repo *repo)
{
	crq_buf v = CRQ_BUF_INIT;
	crq_config *cfg;
	int err;

	if (color_ui != -2)
		return color_ui;
	if (repo && !config)
		err = crq_repo_config(&v, repo, "color.ui");
	else if ((cfg = term_config()))
		err = crq_config_get(&v, cfg, "color.ui");
	else
		err = CRQ_ENOTFOUND;
	color_ui = COLOR_AUTO;
	if (err == 0 && (color_ui = color_parse(crq_buf_cstr(&v))) ==
			COLOR_UNSET) {
		fprintf(stderr, "warning: color.ui '%s' is not auto, always, "
			"never, true or false; taken as auto\n",
			crq_buf_cstr(&v));
		color_ui = COLOR_AUTO;
	}
	crq_error_clear();
	crq_buf_dispose(&v);
	return color_ui;
}

/* A terminal, or the pager in front of one; TERM=dumb has no colour. */
static int colour_terminal(int fd)
{
	const char *term = getenv("TERM");

	if (!(isatty(fd) || (fd == 1 && out_paged) || (fd == 2 && err_paged)))
		return 0;
	return term && *term && strcmp(term, "dumb");
}

static int decide(int fd, crq_repo *repo)
{
	const char *no = getenv("NO_COLOR");
	int ui;

	/* messages are coloured for a person only, whatever was asked */
	if (fd == 2 && !(isatty(2) || err_paged))
		return 0;
	if (color_flag == COLOR_NEVER)
		return 0;
	if (color_flag == COLOR_ALWAYS)
		return 1;
	/* https://no-color.org: only an explicit --color=always wins */
	if (no && *no)
		return 0;
	ui = color_flag == COLOR_AUTO ? COLOR_AUTO : read_color_ui(repo);
	if (ui == COLOR_NEVER)
		return 0;
	if (ui == COLOR_ALWAYS)
		return 1;
	return colour_terminal(fd);
}

int use_color(int fd, crq_repo *repo)
{
	int code, saved = errno;
	char *msg;

	if (fd != 1 && fd != 2)
		return 0;
	if (color_on[fd] < 0) {
		/* asked while an error is being reported: isatty() and
		 * reading the config must not replace it (crq's, or errno
		 * for a "%m" or strerror(errno) beside the tag) */
		code = crq_error_code();
		msg = code ? strdup(crq_error_last()) : NULL;
		color_on[fd] = decide(fd, repo);
		if (msg)
			crq_error_set(code, "%s", msg);
		free(msg);
		errno = saved;
	}
	return color_on[fd];
}

void color_put(crq_buf *out, int on, const char *sgr, const char *text)
{
	if (!text)
		text = "";
	if (on && sgr && *sgr)
		crq_buf_printf(out, "\033[%sm%s\033[m", sgr, text);
	else
		crq_buf_puts(out, text);
}

const char *state_sgr(const char *state)
{
	static const struct { const char *state, *sgr; } map[] = {
		{ "draft", SGR_BLUE },
		{ "submitted", SGR_YELLOW },
		{ "assessed", SGR_YELLOW },
		{ "authorized", SGR_CYAN },
		{ "scheduled", SGR_CYAN },
		{ "implementing", SGR_MAGENTA },
		{ "completed", SGR_GREEN },
		{ "reviewed", SGR_GREEN },
		{ "closed", SGR_GREEN },
		{ "failed", SGR_RED },
		{ "rejected", SGR_RED },
		{ "cancelled", SGR_DIM },
	};
	size_t i;

	for (i = 0; state && i < sizeof(map) / sizeof(map[0]); i++)
		if (!strcmp(state, map[i].state))
			return map[i].sgr;
	return NULL;	/* a state of the policy's own: plain */
}

const char *tag(const char *word)
{
	static const struct { const char *word, *plain, *colour; } tags[] = {
		{ "error", "error:", "\033[1;31merror:\033[m" },
		{ "fatal", "fatal:", "\033[1;31mfatal:\033[m" },
		{ "warning", "warning:", "\033[1;33mwarning:\033[m" },
		{ "hint", "hint:", "\033[33mhint:\033[m" },
	};
	size_t i;

	for (i = 0; i < sizeof(tags) / sizeof(tags[0]); i++)
		if (!strcmp(word, tags[i].word))
			return use_color(2, NULL) ? tags[i].colour :
				tags[i].plain;
	return word;
}

/* ---- the pager ---- */

static void wait_pager(void)
{
	int status;

	if (pager_pid <= 0)
		return;
	/* the pager's end of file: then wait, so that the shell's prompt
	 * does not come back under the pager */
	fflush(stdout);
	fflush(stderr);
	close(1);
	if (err_paged)
		close(2);
	while (waitpid(pager_pid, &status, 0) < 0 && errno == EINTR)
		;
	pager_pid = 0;
}

/* A signal (the pager quit: SIGPIPE; ^C) ends crq as it would have
 * without a pager, after the pager is done with the terminal. */
static void wait_pager_signal(int sig)
{
	int status;

	if (pager_pid > 0) {
		close(1);
		if (err_paged)
			close(2);
		while (waitpid(pager_pid, &status, 0) < 0 && errno == EINTR)
			;
		pager_pid = 0;
	}
	signal(sig, SIG_DFL);
	raise(sig);
}

/* environ, with LESS=FRX and LV=-c where they are unset (as git sets
 * them), built before fork: the child only execs. */
static char **pager_env(void)
{
	static char less_frx[] = "LESS=FRX", lv_c[] = "LV=-c";
	size_t n = 0, i;
	char **env;
	int less = 0, lv = 0;

	while (environ[n])
		n++;
	if (!(env = calloc(n + 3, sizeof(*env))))
		abort();
	for (i = 0; i < n; i++) {
		less |= !strncmp(environ[i], "LESS=", 5);
		lv |= !strncmp(environ[i], "LV=", 3);
		env[i] = environ[i];
	}
	if (!less)
		env[n++] = less_frx;
	if (!lv)
		env[n++] = lv_c;
	env[n] = NULL;
	return env;
}

/* The pager for cmd: CRQ_PAGER, pager.CMD when it names a program,
 * core.pager, PAGER, less; into out.  0 when pager.CMD turns paging
 * off, 1 when on, -1 when it says nothing. */
static int pager_for(crq_buf *out, const char *cmd)
{
	crq_config *cfg = term_config();
	crq_buf key = CRQ_BUF_INIT, v = CRQ_BUF_INIT;
	const char *env;
	int on = -1, b, err;

	if (cfg && cmd) {
		crq_buf_printf(&key, "pager.%s", cmd);
		if ((err = crq_config_get_bool(&b, cfg, key.ptr)) == 0)
			on = b;
		else if (err == CRQ_EINVALID &&
			 crq_config_get(&v, cfg, key.ptr) == 0)
			on = 1;	/* a program: this command's pager */
	}
	if ((env = getenv("CRQ_PAGER")))
		crq_buf_puts(out, env);
	else if (v.size)
		crq_buf_puts(out, v.ptr);
	else if (cfg && crq_config_get(out, cfg, "core.pager") == 0)
		;	/* set, even to "": git's order */
	else if ((env = getenv("PAGER")))
		crq_buf_puts(out, env);
	else
		crq_buf_puts(out, "less");
	crq_error_clear();
	crq_buf_dispose(&key);
	crq_buf_dispose(&v);
	return on;
}

static void start(char *pager)
{
	static char sh[] = "sh", dash_c[] = "-c";
	static const int sigs[] = { SIGPIPE, SIGINT, SIGHUP, SIGTERM,
		SIGQUIT };
	char **env;
	int fds[2];
	size_t i;
	pid_t pid;

	fflush(stdout);
	if (pipe(fds) < 0) {
		fprintf(stderr, "warning: cannot start the pager: %s\n",
			strerror(errno));
		return;
	}
	env = pager_env();
	pid = fork();
	if (pid < 0) {
		fprintf(stderr, "warning: cannot start the pager: %s\n",
			strerror(errno));
		close(fds[0]);
		close(fds[1]);
		free(env);
		return;
	}
	if (pid == 0) {
		/* as git does: the setting is a shell command */
		char *argv[] = { sh, dash_c, pager, NULL };

		dup2(fds[0], 0);
		close(fds[0]);
		close(fds[1]);
		execve("/bin/sh", argv, env);
		_exit(127);
	}
	free(env);
	pager_pid = pid;
	dup2(fds[1], 1);
	out_paged = 1;
	/* messages go through the pager too when they would reach the
	 * same terminal, so they are not drawn over */
	if (isatty(2)) {
		dup2(fds[1], 2);
		err_paged = 1;
	}
	close(fds[0]);
	close(fds[1]);
	/* lines as they come, as on the terminal: messages on stderr
	 * stay in their place among them */
	if (err_paged)
		setvbuf(stdout, NULL, _IOLBF, 0);
	color_on[1] = color_on[2] = -1;
	atexit(wait_pager);
	for (i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		signal(sigs[i], wait_pager_signal);
}

/* A pager that is one word (less, most, /usr/bin/lv) must be there: on
 * a machine without less the output goes to the terminal as it is, as
 * git does when it cannot start its pager, rather than into sh's "not
 * found" and a broken pipe.  A command line is sh's to judge. */
static int runnable(const char *pager)
{
	const char *path = getenv("PATH"), *p, *colon;
	crq_buf cand = CRQ_BUF_INIT;
	int found = 0;

	if (pager[strcspn(pager, " \t\n|&;<>()$`\\\"'*?[#~=%")])
		return 1;
	if (strchr(pager, '/'))
		return access(pager, X_OK) == 0;
	for (p = path && *path ? path : "/usr/bin:/bin"; !found; p = colon + 1) {
		colon = strchr(p, ':');
		crq_buf_clear(&cand);
		crq_buf_printf(&cand, "%.*s/%s", colon ? (int)(colon - p) :
			(int)strlen(p), p, pager);
		found = access(cand.ptr, X_OK) == 0;
		if (!colon)
			break;
	}
	crq_buf_dispose(&cand);
	return found;
}

void pager_maybe(struct cmd_ctx *ctx, const char *cmd, int by_default)
{
	crq_buf pager = CRQ_BUF_INIT;
	int on;

	/* once; never for a command inside crq batch; only for a
	 * terminal */
	if (pager_pid || pager_flag == 0 || (ctx && ctx->keep_repo) ||
	    !isatty(1))
		return;
	on = pager_for(&pager, cmd);
	if (pager_flag == 1)
		on = 1;	/* -p wins over pager.CMD, as in git */
	else if (on < 0)
		on = by_default;
	if (on && pager.size && strcmp(pager.ptr, "cat")) {
		if (runnable(pager.ptr))
			start(pager.ptr);
		else
			fprintf(stderr, "warning: cannot run the pager '%s': "
				"not found\n", pager.ptr);
	}
	crq_buf_dispose(&pager);
}

void die_of_sigpipe(void)
{
	/* what writing to a closed pipe does by default, also when
	 * SIGPIPE was being ignored: quietly, after the pager */
	wait_pager_signal(SIGPIPE);
	_exit(128 + SIGPIPE);
}
