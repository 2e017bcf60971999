/*
 * policy.c - crq policy check [FILE] | show [--json] | states [--json] |
 * allowed-signers | apply | approve | withdraw
 */
#include <stdio.h>
#include <string.h>
#include "cmd.h"

/* The arguments of a subcommand, argv[2..]: --json (when json is not
 * NULL) and at most max of them, into *file.  0 or the usage exit code. */
static int sub_args(const struct cmd *self, int argc, char **argv,
	int max, int *json, const char **file)
{
	int a, n = 0;

	for (a = 2; a < argc; a++) {
		if (json && !strcmp(argv[a], "--json")) {
			if ((*json)++)
				return usage_error(self,
					"option '--json' given twice");
			continue;
		}
		/* "-" is a file: standard input */
		if (argv[a][0] == '-' && argv[a][1])
			return usage_error(self, "unknown option '%s'", argv[a]);
		if (n++ == max)
			return usage_error(self, "unexpected argument '%s'",
				argv[a]);
		*file = argv[a];
	}
	return 0;
}

int cmd_policy(int argc, char **argv, struct cmd_ctx *ctx)
{
	const struct cmd *self = cmd_find("policy");
	const crq_node *policy;
	const char *file = NULL;
	crq_repo *repo = NULL;
	crq_buf out = CRQ_BUF_INIT, text = CRQ_BUF_INIT;
	crq_issues issues;
	size_t i;
	int rc, err, json = 0;

	crq_issues_init(&issues);
	if (argc < 2)
		return usage_error(self,
			"check, show, states, apply, approve, withdraw or allowed-signers?");
	if (!strcmp(argv[1], "check")) {
		if ((rc = sub_args(self, argc, argv, 1, NULL, &file)))
			return rc;
		if (!file) {
			/* the branch's policy: loading it runs every check */
			if ((rc = open_repo(&repo, ctx)))
				return rc;
			err = crq_policy_get(&policy, repo);
			rc = err < 0 ? report(err) : finish(0);
			goto done;
		}
		if ((err = crq_buf_read_file(&text, file, CRQ_YAML_MAX_SIZE)) < 0) {
			rc = report(err == CRQ_ENOTFOUND ? CRQ_EINVALID : err);
			goto done;
		}
		err = crq_validate_file(NULL, ctx->datadir, strcmp(file, "-") ?
			file : "<stdin>", crq_buf_cstr(&text), text.size,
			"policy", &issues);
		for (i = 0; i < issues.count; i++)
			fprintf(stderr, "%s:%u:%u: %s\n", file,
				issues.items[i].line, issues.items[i].col,
				issues.items[i].message);
		if (err < 0 && !issues.count)
			fprintf(stderr, "%s\n", crq_error_last());
		rc = finish(err < 0 ? EXIT_REFUSED : 0);
		goto done;
	}
	if (!strcmp(argv[1], "show")) {
		if ((rc = sub_args(self, argc, argv, 0, &json, &file)))
			return rc;
		if ((rc = open_policy(&repo, &policy, ctx)))
			return rc;
		if (json) {
			crq_json_write(&out, policy, 1);
			crq_buf_putc(&out, '\n');
		} else {
			crq_yaml_emit(&out, policy);
		}
		fwrite(out.ptr, 1, out.size, stdout);
		rc = finish(0);
		goto done;
	}
	if (!strcmp(argv[1], "states")) {
		crq_node *states;

		if ((rc = sub_args(self, argc, argv, 0, &json, &file)))
			return rc;
		if ((rc = open_policy(&repo, &policy, ctx)))
			return rc;
		if ((err = crq_policy_states(&states, policy)) < 0) {
			rc = report(err);
			goto done;
		}
		if (json) {
			crq_json_write(&out, states, 1);
			crq_buf_putc(&out, '\n');
		} else {
			/* a name a line: for people, and for completion */
			for (i = 0; i < states->count; i++)
				crq_buf_printf(&out, "%s\n", crq_node_get_str(
					states->items[i], "state"));
		}
		crq_node_free(states);
		text_safe(&out);
		fwrite(crq_buf_cstr(&out), 1, out.size, stdout);
		rc = finish(0);
		goto done;
	}
	if (!strcmp(argv[1], "allowed-signers")) {
		if ((rc = sub_args(self, argc, argv, 0, NULL, &file)))
			return rc;
		if ((rc = open_repo(&repo, ctx)))
			return rc;
		if ((err = crq_policy_allowed_signers(&out, repo)) < 0) {
			rc = report(err);
			goto done;
		}
		fwrite(crq_buf_cstr(&out), 1, out.size, stdout);
		rc = finish(0);
		goto done;
	}
	if (!strcmp(argv[1], "approve") || !strcmp(argv[1], "withdraw")) {
		if ((rc = sub_args(self, argc, argv, 0, NULL, &file)))
			return rc;
		if ((rc = open_repo(&repo, ctx)))
			return rc;
		err = !strcmp(argv[1], "approve") ? crq_policy_approve(repo) :
			crq_policy_withdraw(repo);
		rc = err < 0 ? report(err) : finish(0);
		goto done;
	}
	if (!strcmp(argv[1], "apply")) {
		if ((rc = sub_args(self, argc, argv, 1, NULL, &file)))
			return rc;
		if (!file)
			return usage_error(self, "apply which file?");
		if ((err = crq_buf_read_file(&text, file,
				CRQ_YAML_MAX_SIZE)) < 0) {
			rc = report(err == CRQ_ENOTFOUND ? CRQ_EINVALID : err);
			goto done;
		}
		if ((rc = open_repo(&repo, ctx)))
			goto done;
		err = crq_policy_apply(repo, crq_buf_cstr(&text), text.size,
			strcmp(file, "-") ? file : "<stdin>");
		rc = err < 0 ? report(err) : finish(0);
		goto done;
	}
	return usage_error(self, "unknown subcommand '%s'", argv[1]);
done:
	crq_issues_dispose(&issues);
	crq_buf_dispose(&out);
	crq_buf_dispose(&text);
	close_repo(repo, ctx);
	return rc;
}
