/*
 * crq.h - the public interface of libcrq, change requests as code in git.
 *
 * Conventions (see STYLE.md):
 *  - Functions return 0 on success and a negative CRQ_E* code on failure;
 *    crq_error_last() then describes the failure in one line.
 *  - Out-parameters come first and are named `out`.  Objects returned
 *    through `**out` belong to the caller and are released with the
 *    matching _free(), which accepts NULL.  Returned `const` pointers are
 *    borrowed from the object they came from.
 *  - The library never prints, never exits and never reads argv.
 *  - Running out of memory aborts the process (as git does): no function
 *    reports ENOMEM.
 */

#ifndef CRQ_H
#define CRQ_H

#include "crq/error.h"
#include "crq/buf.h"
#include "crq/node.h"
#include "crq/json.h"
#include "crq/yaml.h"
#include "crq/schema.h"
#include "crq/store.h"
#include "crq/change.h"
#include "crq/workflow.h"
#include "crq/sync.h"
#include "crq/policy.h"
#include "crq/verify.h"
#include "crq/validate.h"
#include "crq/events.h"
#include "crq/notify.h"
#include "crq/gate.h"
#include "crq/audit.h"
#include "crq/report.h"
#include "crq/raci.h"
#include "crq/dashboard.h"
#include "crq/config.h"

#endif
