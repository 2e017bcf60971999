/*
 * cache.c - crq cache status|clear: the cache under .git/crq/cache/
 * (lib/cache.c), what is in it and whether its checksums hold.
 */
#include <stdio.h>
#include <string.h>
#include "cmd.h"

static int get_bool(const crq_node *o, const char *key)
{
	const crq_node *v = crq_node_get(o, key);

	return v && v->kind == CRQ_NODE_BOOL && v->b;
}

static long long get_int(const crq_node *o, const char *key)
{
	const crq_node *v = crq_node_get(o, key);

	return v && v->kind == CRQ_NODE_INT ? v->i : 0;
}

static int status(crq_repo *repo, int json)
{
	crq_node *st = NULL;
	crq_buf out = CRQ_BUF_INIT;
	const crq_node *tables;
	size_t i;
	int err, bad = 0;

	if ((err = crq_cache_status(&st, repo)) < 0)
		return report(err);
	tables = crq_node_get(st, "tables");
	for (i = 0; i < tables->count; i++)
		bad += !get_bool(tables->items[i], "ok");
	if (json) {
		crq_json_write(&out, st, 1);
		crq_buf_putc(&out, '\n');
	} else {
		crq_buf_printf(&out, "%s: %s, %lld bytes\n",
			crq_node_get_str(st, "path"),
			get_bool(st, "enabled") ? "on" :
			"off (crq.cache or CRQ_CACHE)",
			get_int(st, "bytes"));
		for (i = 0; i < tables->count; i++) {
			const crq_node *t = tables->items[i];

			crq_buf_printf(&out, "  %-60s %9lld entries %11lld bytes  %s\n",
				crq_node_get_str(t, "name"),
				get_int(t, "entries"),
				get_int(t, "bytes"),
				get_bool(t, "ok") ? "ok" :
				"corrupt: dropped, rebuilt as commands run");
		}
	}
	fwrite(crq_buf_cstr(&out), 1, out.size, stdout);
	crq_buf_dispose(&out);
	crq_node_free(st);
	/* a corrupt table was found (and dropped): say so in the code */
	return finish(bad ? 1 : 0);
}

int cmd_cache(int argc, char **argv, struct cmd_ctx *ctx)
{
	const struct cmd *self = cmd_find("cache");
	const char *what;
	crq_repo *repo = NULL;
	int json = 0, a, rc, err;

	if (argc < 2)
		return usage_error(self, "status or clear?");
	what = argv[1];
	if (strcmp(what, "status") && strcmp(what, "clear"))
		return usage_error(self, "unknown subcommand '%s'", what);
	for (a = 2; a < argc; a++) {
		if (!strcmp(argv[a], "--json") && !strcmp(what, "status")) {
			if (json++)
				return usage_error(self,
					"option '--json' given twice");
		} else {
			return usage_error(self, argv[a][0] == '-' ?
				"unknown option '%s'" : "unexpected argument '%s'",
				argv[a]);
		}
	}
	if ((rc = open_repo(&repo, ctx)))
		return rc;
	if (!strcmp(what, "status")) {
		rc = status(repo, json);
	} else if ((err = crq_cache_clear(repo)) < 0) {
		rc = report(err);
	} else {
		rc = finish(0);
	}
	close_repo(repo, ctx);
	return rc;
}
