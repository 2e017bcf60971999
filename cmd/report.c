/* report.c - crq report (being written). */
#include "cmd.h"

int cmd_report(int argc, char **argv, struct cmd_ctx *ctx)
{
	(void)argc;
	(void)argv;
	(void)ctx;
	return usage_error(cmd_find("report"), "not built yet");
}
