/* audit.c - crq audit (being written). */
#include "cmd.h"

int cmd_audit(int argc, char **argv, struct cmd_ctx *ctx)
{
	(void)argc;
	(void)argv;
	(void)ctx;
	return usage_error(cmd_find("audit"), "not built yet");
}
