/*
 * config.c - git configuration without a change store: what cmd/ reads
 * before a command runs (pager, colour).
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <git2.h>
#include "internal.h"

struct crq_config {
	char **over;		/* "name=value", -c order */
	size_t nover;
	git_config *cfg;	/* a snapshot: reads need no locking */
};

/* The repository crq_repo_open() would open for path, or none. */
static int open_git(git_repository **out, const char *path)
{
	/* inside a git hook the pushed objects and config are where
	 * git's environment says */
	if (getenv("GIT_DIR") && (getenv("GIT_QUARANTINE_PATH") ||
			getenv("GIT_OBJECT_DIRECTORY")))
		return git_repository_open_ext(out, NULL,
			GIT_REPOSITORY_OPEN_FROM_ENV, NULL);
	return git_repository_open_ext(out, path, 0, NULL);
}

int crq_config_open(crq_config **out, const char *path,
	const crq_options *opts)
{
	crq_config *c;
	git_repository *git = NULL;
	git_config *snap = NULL;
	size_t i;
	int err;

	*out = NULL;
	/* the handle holds one libgit2 reference, dropped by _free: a
	 * store opened meanwhile does not set libgit2 up a second time */
	git_libgit2_init();
	c = crq__calloc(1, sizeof(*c));
	if (opts && opts->config_count) {
		c->over = crq__calloc(opts->config_count, sizeof(char *));
		for (i = 0; i < opts->config_count; i++)
			c->over[i] = crq__strdup(opts->config[i]);
		c->nover = opts->config_count;
	}
	err = open_git(&git, path ? path : ".");
	if (err == 0) {
		err = git_repository_config_snapshot(&c->cfg, git);
	} else if (err == GIT_ENOTFOUND) {
		if ((err = git_config_open_default(&snap)) == 0)
			err = git_config_snapshot(&c->cfg, snap);
	}
	git_config_free(snap);
	git_repository_free(git);
	if (err < 0) {
		err = crq_store__git_error(err, "cannot read git config");
		crq_config_free(c);
		return err;
	}
	*out = c;
	return 0;
}

void crq_config_free(crq_config *cfg)
{
	size_t i;

	if (!cfg)
		return;
	for (i = 0; i < cfg->nover; i++)
		free(cfg->over[i]);
	free(cfg->over);
	git_config_free(cfg->cfg);
	free(cfg);
	git_libgit2_shutdown();
}

int crq_config__override(const char **out, const char *const *over,
	size_t nover, const char *name)
{
	size_t i, n = strlen(name);

	/* later -c options win, as in git */
	for (i = nover; i-- > 0;) {
		const char *o = over[i];

		if (!strncasecmp(o, name, n) && o[n] == '=') {
			*out = o + n + 1;
			return 1;
		}
	}
	return 0;
}

int crq_config__string(crq_buf *out, git_config *cfg, const char *name)
{
	git_buf val = { 0 };
	int err;

	err = git_config_get_string_buf(&val, cfg, name);
	if (err == GIT_ENOTFOUND) {
		err = crq_error__set(CRQ_ENOTFOUND, "'%s' is not set", name);
	} else if (err < 0) {
		err = crq_store__git_error(err, "cannot read git config");
	} else {
		crq_buf_put(out, val.ptr ? val.ptr : "", val.size);
		err = 0;
	}
	git_buf_dispose(&val);
	return err;
}

static int override(const char **out, crq_config *cfg, const char *name)
{
	return crq_config__override(out, (const char *const *)cfg->over,
		cfg->nover, name);
}

int crq_config_get(crq_buf *out, crq_config *cfg, const char *name)
{
	const char *v;

	if (override(&v, cfg, name)) {
		crq_buf_puts(out, v);
		return 0;
	}
	return crq_config__string(out, cfg->cfg, name);
}

int crq_config_parse_bool(const char *text)
{
	/* "key =" is false to git ("key" alone, true, is read by
	 * libgit2 in crq_config_get_bool) */
	static const char *const yes[] = { "true", "yes", "on", "1" };
	static const char *const no[] = { "false", "no", "off", "0", "" };
	size_t i;

	for (i = 0; i < CRQ_ARRAY_SIZE(yes); i++)
		if (!strcasecmp(text, yes[i]))
			return 1;
	for (i = 0; i < CRQ_ARRAY_SIZE(no); i++)
		if (!strcasecmp(text, no[i]))
			return 0;
	return -1;
}

int crq_config_get_bool(int *out, crq_config *cfg, const char *name)
{
	git_buf val = { 0 };
	const char *v;
	int err, b;

	if (override(&v, cfg, name)) {
		if ((b = crq_config_parse_bool(v)) < 0)
			return crq_error__set(CRQ_EINVALID,
				"bad boolean config value '%s' for '%s'",
				v, name);
		*out = b;
		return 0;
	}
	err = git_config_get_bool(&b, cfg->cfg, name);
	if (err == GIT_ENOTFOUND)
		return crq_error__set(CRQ_ENOTFOUND, "'%s' is not set", name);
	if (err < 0) {
		/* say which value, as git does */
		if (git_config_get_string_buf(&val, cfg->cfg, name) == 0)
			err = crq_error__set(CRQ_EINVALID,
				"bad boolean config value '%s' for '%s'",
				val.ptr ? val.ptr : "", name);
		else
			err = crq_store__git_error(err,
				"cannot read git config");
		git_buf_dispose(&val);
		return err;
	}
	*out = b;
	return 0;
}
