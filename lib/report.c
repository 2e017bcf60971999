/* report.c - change metrics (being written). */
#include "internal.h"

int crq_report(crq_node **out, crq_repo *repo, const crq_report_options *opts)
{
	(void)repo;
	(void)opts;
	*out = NULL;
	return crq_error__set(CRQ_EUSAGE, "crq report is not built yet");
}
