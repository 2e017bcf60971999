/*
 * template.c - crq template list|show: the templates of standard
 * changes the store offers.
 */
#include <stdio.h>
#include <string.h>
#include "cmd.h"

static int template_list(const struct cmd *self, int argc, char **argv,
	struct cmd_ctx *ctx)
{
	const char *json = NULL;
	crq_node *arr = NULL;
	crq_repo *repo = NULL;
	crq_buf out = CRQ_BUF_INIT;
	size_t i, w = 4;
	int rc, err;

	if ((rc = json_flag_only(self, argc, argv, 2, &json)))
		return rc;
	if ((rc = open_repo(&repo, ctx)))
		return rc;
	if ((err = crq_template_list(&arr, repo)) < 0) {
		rc = report(err);
		goto done;
	}
	if (json) {
		crq_json_write(&out, arr, 1);
		crq_buf_putc(&out, '\n');
	} else {
		for (i = 0; i < arr->count; i++)
			if (strlen(crq_node_get_str(arr->items[i], "name")) > w)
				w = strlen(crq_node_get_str(arr->items[i],
					"name"));
		for (i = 0; i < arr->count; i++) {
			const char *title = crq_node_get_str(arr->items[i],
				"title");

			crq_buf_printf(&out, "%-*s  %s\n", (int)w,
				crq_node_get_str(arr->items[i], "name"),
				title ? title : "");
		}
	}
	text_safe(&out);
	fwrite(crq_buf_cstr(&out), 1, out.size, stdout);
	rc = finish(0);
done:
	crq_node_free(arr);
	crq_buf_dispose(&out);
	close_repo(repo, ctx);
	return rc;
}

static int template_show(const struct cmd *self, int argc, char **argv,
	struct cmd_ctx *ctx)
{
	crq_repo *repo = NULL;
	crq_buf text = CRQ_BUF_INIT;
	int rc, err;

	if (argc < 3)
		return usage_error(self, "which template?");
	if (argc > 3)
		return usage_error(self, argv[3][0] == '-' ?
			"unknown option '%s'" : "unexpected argument '%s'",
			argv[3]);
	if (argv[2][0] == '-')
		return usage_error(self, "unknown option '%s'", argv[2]);
	if ((rc = open_repo(&repo, ctx)))
		return rc;
	if ((err = crq_template_read(&text, repo, argv[2])) < 0) {
		rc = report(err);
		goto done;
	}
	/* the file as it is: what crq new --template starts from */
	fwrite(crq_buf_cstr(&text), 1, text.size, stdout);
	rc = finish(0);
done:
	crq_buf_dispose(&text);
	close_repo(repo, ctx);
	return rc;
}

int cmd_template(int argc, char **argv, struct cmd_ctx *ctx)
{
	const struct cmd *self = cmd_find("template");

	if (argc < 2)
		return usage_error(self, "list or show?");
	if (!strcmp(argv[1], "list"))
		return template_list(self, argc, argv, ctx);
	if (!strcmp(argv[1], "show"))
		return template_show(self, argc, argv, ctx);
	return usage_error(self, "unknown subcommand '%s'", argv[1]);
}
