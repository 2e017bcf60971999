/* raci.c - crq raci (being written). */
#include "cmd.h"

int cmd_raci(int argc, char **argv, struct cmd_ctx *ctx)
{
	(void)argc;
	(void)argv;
	(void)ctx;
	return usage_error(cmd_find("raci"), "not built yet");
}
