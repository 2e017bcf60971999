/*
 * schema.c - crq schema change|policy|event|audit|permissions|report
 */
#include <stdio.h>
#include <string.h>
#include "cmd.h"

static const char *const kinds[] = { "change", "policy", "event", "audit",
	"permissions", "report" };

int cmd_schema(int argc, char **argv, struct cmd_ctx *ctx)
{
	const struct cmd *self = cmd_find("schema");
	crq_buf path = CRQ_BUF_INIT, text = CRQ_BUF_INIT;
	size_t i;
	int err;

	if (argc != 2)
		return usage_error(self, argc < 2 ? "which schema?" :
			"too many arguments");
	for (i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
		if (!strcmp(argv[1], kinds[i]))
			break;
	if (i == sizeof(kinds) / sizeof(kinds[0]))
		return usage_error(self, "unknown schema '%s'", argv[1]);
	crq_buf_printf(&path, "%s/schemas/%s.schema.json", ctx->datadir,
		argv[1]);
	err = crq_buf_read_file(&text, path.ptr, 16 * 1024 * 1024);
	if (err < 0) {
		crq_buf_dispose(&path);
		return report(err == CRQ_ENOTFOUND ? CRQ_EREPO : err);
	}
	fwrite(text.ptr, 1, text.size, stdout);
	crq_buf_dispose(&path);
	crq_buf_dispose(&text);
	return finish(0);
}
