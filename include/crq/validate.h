/*
 * crq/validate.h - validation of files for editors and hooks.
 * Conventions: see crq.h.
 */
#ifndef CRQ_PUBLIC_VALIDATE_H
#define CRQ_PUBLIC_VALIDATE_H

#include "crq/store.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------------------------------------------ */
/* Validation of files for editors and hooks. */

/* Validate the change files and policy that differ between the
 * branch tip and an index (what a commit would record), for pre-commit
 * hooks; *files: how many.  index_path names the index file to read
 * (git's GIT_INDEX_FILE: git commit -a and git commit PATH record a
 * temporary index, not the repository's); NULL for the repository's
 * own index.  Each problem is an issue whose message is
 * "path:line:col: problem". */
int crq_validate_index(crq_repo *repo, const char *datadir,
	const char *index_path, crq_issues *issues, size_t *files);
/* Validate a change or policy file (policy when its path ends in
 * .crq/policy.yaml or when kind is "policy"); issues collects every
 * problem.  Returns 0, CRQ_EINVALID, or another error. */
int crq_validate_file(crq_repo *repo, const char *datadir, const char *path,
	const char *text, size_t len, const char *kind, crq_issues *issues);

#ifdef __cplusplus
}
#endif

#endif
