/*
 * crq/config.h - git configuration, read without opening a change store.
 * Conventions: see crq.h.
 *
 * For what a command decides before it runs (a pager, colour): the
 * configuration git would use in a directory, at the cost of finding
 * its repository and reading its config files, nothing more.  Once a
 * store is open, crq_repo_config() reads the same values.
 */
#ifndef CRQ_PUBLIC_CONFIG_H
#define CRQ_PUBLIC_CONFIG_H

#include "crq/buf.h"
#include "crq/store.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct crq_config crq_config;

/* The configuration for path: the -c overrides of opts (may be NULL)
 * first, the later winning as in git, then the configuration of the
 * git repository containing path (searched upwards; inside a git hook
 * the one git's environment names), or, when path is in none, the
 * global and system configuration.  CRQ_EREPO when a repository or
 * config file is there but cannot be read. */
int crq_config_open(crq_config **out, const char *path,
	const crq_options *opts);
void crq_config_free(crq_config *cfg);
/* The value of name ("core.pager") into out; CRQ_ENOTFOUND when it is
 * not set. */
int crq_config_get(crq_buf *out, crq_config *cfg, const char *name);
/* A boolean as git reads one (true, yes, on, 1 / false, no, off, 0, any
 * case; a key set without a value is true): 1 or 0 into *out.
 * CRQ_ENOTFOUND when unset, CRQ_EINVALID when the value is no boolean
 * (the message names the key and its value). */
int crq_config_get_bool(int *out, crq_config *cfg, const char *name);
/* The same reading of a value: 1, 0, or -1 when text is no boolean. */
int crq_config_parse_bool(const char *text);

#ifdef __cplusplus
}
#endif

#endif
