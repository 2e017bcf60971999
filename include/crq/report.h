/*
 * crq/report.h - change metrics (crq report), read from the verified
 * history.  Conventions: see crq.h.  The node's shape is
 * schemas/report.schema.json.
 */
#ifndef CRQ_PUBLIC_REPORT_H
#define CRQ_PUBLIC_REPORT_H

#include "crq/node.h"
#include "crq/store.h"

#ifdef __cplusplus
extern "C" {
#endif

#define CRQ_REPORT_OPTIONS_VERSION 1

typedef struct {
	unsigned int version;
	long long from, to;	/* changes created in [from, to] (0: open) */
	const char *service;	/* changes naming this service */
	const char *type;	/* changes of this type */
	const char *trust;	/* the trusted root (as crq verify) */
	int require_trust;
	long long now;		/* 0: crq_time_now() */
} crq_report_options;

#define CRQ_REPORT_OPTIONS_INIT { CRQ_REPORT_OPTIONS_VERSION, 0, 0, NULL, \
	NULL, NULL, 0, 0 }

int crq_report(crq_node **out, crq_repo *repo, const crq_report_options *opts);

#ifdef __cplusplus
}
#endif

#endif
