/*
 * crq/raci.h - the RACI matrix of the workflow (crq raci), derived from
 * the policy.  Conventions: see crq.h.
 */
#ifndef CRQ_PUBLIC_RACI_H
#define CRQ_PUBLIC_RACI_H

#include "crq/node.h"
#include "crq/store.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The matrix of policy: {roles: [names], phases: [{phase, actions:
 * [{action, types, from, to, cells: {role: "R" | "A" | "C" | "I" | "RA"
 * ...}}]}]}. */
int crq_raci(crq_node **out, const crq_node *policy);

#ifdef __cplusplus
}
#endif

#endif
