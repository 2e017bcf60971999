/*
 * evidence.c - the HTML file of crq report and crq audit: the pack and
 * the report from one walk of the history (lib/trail.c), the calendar
 * and the RACI matrix, rendered by lib/dashboard.c.
 */
#include "change.h"
#include "policy.h"
#include "trail.h"

int crq_dashboard_write(crq_buf *out, crq_node **audit_out,
	crq_node **report_out, crq_repo *repo, const crq_audit_options *ao,
	const crq_report_options *ro, const crq_dashboard_options *opts)
{
	crq_audit_options anone = CRQ_AUDIT_OPTIONS_INIT;
	crq_trail t;
	crq_node *changes = NULL, *pack = NULL, *rep = NULL, *cal = NULL,
		*raci = NULL;
	const crq_node *policy;
	int err;

	if (audit_out)
		*audit_out = NULL;
	if (report_out)
		*report_out = NULL;
	if (!ao)
		ao = &anone;
	if ((err = crq_trail__read(&t, repo, ao->trust,
			ao->require_trust)) < 0 ||
	    (err = crq_change_list(&changes, repo, NULL, NULL)) < 0 ||
	    (err = crq_audit__of(&pack, repo, &t, changes, ao)) < 0 ||
	    (err = crq_report__of(&rep, repo, &t, changes, ro)) < 0)
		goto done;
	/* every window (to <= from: no end), of the report's service */
	if (crq_calendar(&cal, repo, 0, 0, ro ? ro->service : NULL) < 0)
		cal = NULL;
	if (crq_policy__tip(&policy, repo) < 0 || crq_raci(&raci, policy) < 0)
		raci = NULL;
	crq_error_clear();
	crq_dashboard_html(out, rep, pack, cal, raci, opts);
	if (audit_out) {
		*audit_out = pack;
		pack = NULL;
	}
	if (report_out) {
		*report_out = rep;
		rep = NULL;
	}
done:
	crq_node_free(changes);
	crq_node_free(pack);
	crq_node_free(rep);
	crq_node_free(cal);
	crq_node_free(raci);
	crq_trail__dispose(&t);
	return err;
}
