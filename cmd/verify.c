/*
 * verify.c - crq verify [--json] [REV]
 */
#include <stdio.h>
#include <string.h>
#include "cmd.h"

int cmd_verify(int argc, char **argv, struct cmd_ctx *ctx)
{
	const struct cmd *self = cmd_find("verify");
	const char *rev = NULL, *trust = NULL;
	crq_buf cfg = CRQ_BUF_INIT;
	crq_repo *repo = NULL;
	crq_issues v;
	crq_buf out = CRQ_BUF_INIT;
	size_t i, checked = 0;
	int json = 0, a, rc, err;

	for (a = 1; a < argc; a++) {
		int m;

		if ((m = opt_value(argc, argv, &a, "--trust", &trust)) < 0)
			return usage_error(self, "option '--trust' needs a value");
		if (m)
			continue;
		if (!strcmp(argv[a], "--json"))
			json = 1;
		else if (argv[a][0] == '-')
			return usage_error(self, "unknown option '%s'", argv[a]);
		else if (rev)
			return usage_error(self, "too many arguments");
		else
			rev = argv[a];
	}
	if ((rc = open_repo(&repo, ctx)))
		return rc;
	crq_issues_init(&v);
	if (!trust && crq_repo_config(&cfg, repo, "crq.trust") == 0)
		trust = cfg.ptr;
	if ((err = crq_verify_ext(repo, rev, trust, &v, &checked)) < 0) {
		rc = report(err);
		goto done;
	}
	if (json) {
		crq_node *arr = crq_node_new(CRQ_NODE_ARRAY);

		for (i = 0; i < v.count; i++) {
			crq_node *o = crq_node_new(CRQ_NODE_OBJECT);
			char c[41], change[64], rule[64];
			const char *msg = v.items[i].message;

			if (sscanf(msg, "%40s %63s %63[^:]", c, change, rule) != 3)
				continue;
			crq_node_set(o, "commit", crq_node_new_cstr(c));
			if (strcmp(change, "-"))
				crq_node_set(o, "change",
					crq_node_new_cstr(change));
			crq_node_set(o, "rule", crq_node_new_cstr(rule));
			crq_node_set(o, "message", crq_node_new_cstr(
				strstr(msg, ": ") ? strstr(msg, ": ") + 2 : msg));
			crq_node_push(arr, o);
		}
		crq_json_write(&out, arr, 1);
		crq_buf_putc(&out, '\n');
		crq_node_free(arr);
		fwrite(out.ptr, 1, out.size, stdout);
	} else {
		for (i = 0; i < v.count; i++)
			printf("%s\n", v.items[i].message);
		fprintf(stderr, "%zu commit%s checked, %zu violation%s\n",
			checked, checked == 1 ? "" : "s", v.count,
			v.count == 1 ? "" : "s");
	}
	rc = finish(v.count ? EXIT_REFUSED : 0);
done:
	crq_issues_dispose(&v);
	crq_buf_dispose(&out);
	crq_buf_dispose(&cfg);
	close_repo(repo, ctx);
	return rc;
}
