/*
 * crq/validate.h - validation of files for editors and hooks.
 * Conventions: see crq.h.
 */
#ifndef CRQ_PUBLIC_VALIDATE_H
#define CRQ_PUBLIC_VALIDATE_H

#include "crq/store.h"

/* ------------------------------------------------------------------ */
/* Validation of files for editors and hooks. */

/* Validate the change files and policy staged in the index (what a
 * commit would record), for pre-commit hooks; *files: how many.  Each
 * problem is an issue whose message is "path:line:col: problem". */
int crq_validate_staged(crq_repo *repo, const char *datadir,
	crq_issues *issues, size_t *files);

/* Validate a change or policy file (policy when its path ends in
 * .crq/policy.yaml or when kind is "policy"); issues collects every
 * problem.  Returns 0, CRQ_EINVALID, or another error. */
int crq_validate_file(crq_repo *repo, const char *datadir, const char *path,
	const char *text, size_t len, const char *kind, crq_issues *issues);

#endif
