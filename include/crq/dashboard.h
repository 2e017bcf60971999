/*
 * crq/dashboard.h - one self-contained HTML file (no network, no
 * scripts, inline SVG charts) of the report, the calendar, the Gantt
 * chart and the audit trails.  Conventions: see crq.h.
 */
#ifndef CRQ_PUBLIC_DASHBOARD_H
#define CRQ_PUBLIC_DASHBOARD_H

#include "crq/audit.h"
#include "crq/node.h"
#include "crq/report.h"
#include "crq/store.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct {
	unsigned int version;
	const char *title;	/* the page's title */
	int audit_first;	/* 1: crq audit's file (trails and controls
				 * first), 0: crq report's (metrics first) */
} crq_dashboard_options;

#define CRQ_DASHBOARD_OPTIONS_VERSION 1
#define CRQ_DASHBOARD_OPTIONS_INIT { CRQ_DASHBOARD_OPTIONS_VERSION, NULL, 0 }

/* Append the page to out.  report (crq_report), audit (crq_audit) and
 * calendar (crq_calendar) may each be NULL: its sections are left out.
 * raci (crq_raci) likewise.  The month calendar and the Gantt chart need
 * a calendar (the argument, or the report's `calendar`); their windows
 * are the calendar's and the pack's (every change that had one, closed
 * ones too).  Nothing is read from the clock: "now" is the pack's or
 * the report's `generated`.  Every string is escaped, control
 * characters dropped, malformed UTF-8 replaced. */
void crq_dashboard_html(crq_buf *out, const crq_node *report,
	const crq_node *audit, const crq_node *calendar, const crq_node *raci,
	const crq_dashboard_options *opts);

/* The whole file of crq report (opts->audit_first 0) or crq audit (1)
 * for repo: the pack (ao) and the report (ro; its trust is ao's) from
 * one walk of the history, the calendar of every window (of
 * ro->service), the RACI matrix of the policy in force, rendered into
 * out.  The pack and the report go to audit_out and report_out when
 * they are not NULL.  Errors as crq_audit. */
int crq_dashboard_write(crq_buf *out, crq_node **audit_out,
	crq_node **report_out, crq_repo *repo, const crq_audit_options *ao,
	const crq_report_options *ro, const crq_dashboard_options *opts);

#ifdef __cplusplus
}
#endif

#endif
