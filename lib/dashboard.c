/* dashboard.c - the HTML file (being written). */
#include "internal.h"

void crq_dashboard_html(crq_buf *out, const crq_node *report,
	const crq_node *audit, const crq_node *calendar, const crq_node *raci,
	const crq_dashboard_options *opts)
{
	(void)report;
	(void)audit;
	(void)calendar;
	(void)raci;
	(void)opts;
	crq_buf_puts(out, "<!DOCTYPE html>\n");
}
