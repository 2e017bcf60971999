/*
 * member.c - crq member add|remove, crq role grant|revoke: policy
 * changes, each one commit by an admin; crq member list, crq role list.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "cmd.h"

/* First line of a .pub file, as "type base64 [comment]". */
static int read_key(crq_buf *out, const char *path)
{
	crq_buf text = CRQ_BUF_INIT;
	int err = crq_buf_read_file(&text, path, 64 * 1024);
	size_t n;

	if (err < 0) {
		crq_buf_dispose(&text);
		return err;
	}
	n = strcspn(crq_buf_cstr(&text), "\r\n");
	crq_buf_put(out, crq_buf_cstr(&text), n);
	crq_buf_dispose(&text);
	return 0;
}

/* Role of a roles item: "name" or {role, until}. */
static const char *role_of(const crq_node *r, const char **until)
{
	*until = NULL;
	if (r->kind == CRQ_NODE_STRING)
		return r->str;
	*until = crq_node_get_str(r, "until");
	return crq_node_get_str(r, "role");
}

/* crq member list [--json]: the members of the policy on the tip. */
static int member_list(const struct cmd *self, int argc, char **argv,
	struct cmd_ctx *ctx)
{
	const char *json = NULL;
	const crq_node *policy, *members;
	crq_node *arr = NULL;
	crq_repo *repo = NULL;
	crq_buf out = CRQ_BUF_INIT;
	size_t i, j, we = 5, wn = 4;
	int rc = 0;

	if ((rc = json_flag_only(self, argc, argv, 2, &json)))
		return rc;
	if ((rc = open_policy(&repo, &policy, ctx)))
		return rc;
	members = crq_node_get(policy, "members");
	arr = crq_node_new(CRQ_NODE_ARRAY);
	for (i = 0; members && members->kind == CRQ_NODE_ARRAY &&
	     i < members->count; i++) {
		const crq_node *mb = members->items[i], *roles, *keys;
		crq_node *o = crq_node_new(CRQ_NODE_OBJECT), *ra, *ka;
		const char *email = crq_node_get_str(mb, "email");
		const char *name = crq_node_get_str(mb, "name");

		crq_node_set(o, "email", crq_node_new_cstr(email ? email : ""));
		if (name)
			crq_node_set(o, "name", crq_node_new_cstr(name));
		ra = crq_node_new(CRQ_NODE_ARRAY);
		roles = crq_node_get(mb, "roles");
		for (j = 0; roles && j < roles->count; j++) {
			const char *until, *r = role_of(roles->items[j], &until);
			crq_node *ro = crq_node_new(CRQ_NODE_OBJECT);

			crq_node_set(ro, "role", crq_node_new_cstr(r ? r : ""));
			if (until)
				crq_node_set(ro, "until",
					crq_node_new_cstr(until));
			crq_node_push(ra, ro);
		}
		crq_node_set(o, "roles", ra);
		ka = crq_node_new(CRQ_NODE_ARRAY);
		keys = crq_node_get(mb, "keys");
		for (j = 0; keys && j < keys->count; j++) {
			const char *k = keys->items[j]->kind == CRQ_NODE_STRING ?
				keys->items[j]->str : "";
			crq_node *ko = crq_node_new(CRQ_NODE_OBJECT);
			crq_buf type = CRQ_BUF_INIT, fp = CRQ_BUF_INIT;

			crq_buf_put(&type, k, strcspn(k, " "));
			crq_node_set(ko, "type", crq_node_new_cstr(
				crq_buf_cstr(&type)));
			crq_node_set(ko, "key", crq_node_new_cstr(k));
			if (crq_audit_fingerprint(&fp, k) == 0)
				crq_node_set(ko, "fingerprint",
					crq_node_new_cstr(crq_buf_cstr(&fp)));
			else
				crq_node_set(ko, "fingerprint",
					crq_node_new(CRQ_NODE_NULL));
			crq_node_push(ka, ko);
			crq_buf_dispose(&type);
			crq_buf_dispose(&fp);
		}
		crq_node_set(o, "keys", ka);
		crq_node_push(arr, o);
		if (email && strlen(email) > we)
			we = strlen(email);
		if (name && strlen(name) > wn)
			wn = strlen(name);
	}
	if (json) {
		crq_json_write(&out, arr, 1);
		crq_buf_putc(&out, '\n');
	} else {
		for (i = 0; i < arr->count; i++) {
			const crq_node *o = arr->items[i];
			const crq_node *ra = crq_node_get(o, "roles");
			const crq_node *ka = crq_node_get(o, "keys");
			const char *name = crq_node_get_str(o, "name");

			crq_buf_printf(&out, "%-*s  %-*s  ", (int)we,
				crq_node_get_str(o, "email"), (int)wn,
				name ? name : "-");
			for (j = 0; j < ra->count; j++) {
				const char *until = crq_node_get_str(
					ra->items[j], "until");

				crq_buf_printf(&out, "%s%s%s%s", j ? "," : "",
					crq_node_get_str(ra->items[j], "role"),
					until ? "<=" : "", until ? until : "");
			}
			if (!ra->count)
				crq_buf_puts(&out, "-");
			/* each key: its type and fingerprint, as
			 * ssh-keygen -lf names it */
			for (j = 0; j < ka->count; j++) {
				const char *f = crq_node_get_str(ka->items[j],
					"fingerprint");

				crq_buf_printf(&out, "%s%s %s", j ? ", " : "  ",
					crq_node_get_str(ka->items[j], "type"),
					f ? f : "-");
			}
			crq_buf_putc(&out, '\n');
		}
	}
	text_safe(&out);
	fwrite(crq_buf_cstr(&out), 1, out.size, stdout);
	rc = finish(0);
	crq_node_free(arr);
	crq_buf_dispose(&out);
	close_repo(repo, ctx);
	return rc;
}

int cmd_member(int argc, char **argv, struct cmd_ctx *ctx)
{
	const struct cmd *self = cmd_find("member");
	const char **roles = calloc((size_t)argc + 1, sizeof(char *));
	const char **handles = calloc((size_t)argc + 1, sizeof(char *));
	const char *name = NULL, *keyfile = NULL, *email = NULL, *v;
	crq_repo *repo = NULL;
	crq_buf key = CRQ_BUF_INIT;
	size_t nroles = 0, nhandles = 0;
	int a, m, rc = 0, err, add;

	if (argc < 2) {
		rc = usage_error(self, "add or remove? (list shows the members)");
		goto done;
	}
	if (!strcmp(argv[1], "list")) {
		rc = member_list(self, argc, argv, ctx);
		goto done;
	}
	if (strcmp(argv[1], "add") && strcmp(argv[1], "remove")) {
		rc = usage_error(self, "unknown subcommand '%s'", argv[1]);
		goto done;
	}
	add = !strcmp(argv[1], "add");
	for (a = 2; a < argc; a++) {
		if (add && ((m = opt_once(self, argc, argv, &a, "--name", &name)) ||
		    (m = opt_once(self, argc, argv, &a, "--key", &keyfile)))) {
			if (m < 0) {
				rc = EXIT_USAGE;
				goto done;
			}
			continue;
		}
		/* repeatable */
		if (add && (m = opt_value(argc, argv, &a, "--handle", &v))) {
			if (m < 0)
				goto missing;
			handles[nhandles++] = v;
			continue;
		}
		if (add && (m = opt_value(argc, argv, &a, "--role", &v))) {
			if (m < 0)
				goto missing;
			roles[nroles++] = v;
			continue;
		}
		if (argv[a][0] == '-' || email) {
			rc = usage_error(self, argv[a][0] == '-' ?
				"unknown option '%s'" : "unexpected argument '%s'",
				argv[a]);
			goto done;
		}
		email = argv[a];
	}
	if (!email) {
		rc = usage_error(self, "which member (e-mail)?");
		goto done;
	}
	if (add && !name) {
		rc = usage_error(self, "a member needs a name (--name)");
		goto done;
	}
	if (keyfile && (err = read_key(&key, keyfile)) < 0) {
		rc = report(err);
		goto done;
	}
	if ((rc = open_repo(&repo, ctx)))
		goto done;
	err = add ? crq_policy_member_add(repo, email, name, roles, nroles,
			keyfile ? key.ptr : NULL, handles, nhandles) :
		crq_policy_member_remove(repo, email);
	if (err >= 0) {
		crq_buf what = CRQ_BUF_INIT;
		size_t i;

		if (add) {
			crq_buf_printf(&what, "added member %s (%s)", email, name);
			for (i = 0; i < nroles; i++)
				crq_buf_printf(&what, "%s%s", i ? ", " : " with roles ",
					roles[i]);
			if (keyfile)
				crq_buf_puts(&what, " and a key");
		} else {
			crq_buf_printf(&what, "removed member %s", email);
		}
		say_policy(repo, what.ptr);
		crq_buf_dispose(&what);
	}
	rc = err < 0 ? report(err) : finish(0);
	goto done;
missing:
	rc = usage_error(self, "option '%s' needs a value", argv[a]);
done:
	crq_buf_dispose(&key);
	close_repo(repo, ctx);
	free(roles);
	free(handles);
	return rc;
}

/* crq role list [--json]: the roles the policy on the tip defines, in
 * its order, for people and for shell completion (first column). */
static int role_list(const struct cmd *self, int argc, char **argv,
	struct cmd_ctx *ctx)
{
	const char *json = NULL;
	const crq_node *policy, *roles;
	crq_node *arr = NULL;
	crq_repo *repo = NULL;
	crq_buf out = CRQ_BUF_INIT;
	size_t i, w = 4;
	int rc;

	if ((rc = json_flag_only(self, argc, argv, 2, &json)))
		return rc;
	if ((rc = open_policy(&repo, &policy, ctx)))
		return rc;
	roles = crq_node_get(policy, "roles");
	arr = crq_node_new(CRQ_NODE_ARRAY);
	for (i = 0; roles && roles->kind == CRQ_NODE_OBJECT &&
	     i < roles->count; i++) {
		crq_node *o = crq_node_new(CRQ_NODE_OBJECT);
		const crq_node *d = roles->items[i];

		crq_node_set(o, "name", crq_node_new_cstr(roles->keys[i]));
		crq_node_set(o, "description", d->kind == CRQ_NODE_STRING ?
			crq_node_new_cstr(d->str) : crq_node_new(CRQ_NODE_NULL));
		crq_node_push(arr, o);
		if (strlen(roles->keys[i]) > w)
			w = strlen(roles->keys[i]);
	}
	if (json) {
		crq_json_write(&out, arr, 1);
		crq_buf_putc(&out, '\n');
	} else {
		for (i = 0; i < arr->count; i++) {
			const char *d = crq_node_get_str(arr->items[i],
				"description");

			crq_buf_printf(&out, "%-*s  %s\n", (int)w,
				crq_node_get_str(arr->items[i], "name"),
				d && *d ? d : "-");
		}
	}
	text_safe(&out);
	fwrite(crq_buf_cstr(&out), 1, out.size, stdout);
	rc = finish(0);
	crq_node_free(arr);
	crq_buf_dispose(&out);
	close_repo(repo, ctx);
	return rc;
}

int cmd_role(int argc, char **argv, struct cmd_ctx *ctx)
{
	const struct cmd *self = cmd_find("role");
	const char *until = NULL, *args[2] = { NULL, NULL };
	crq_repo *repo = NULL;
	int a, m, n = 0, rc, err, grant;

	if (argc < 2)
		return usage_error(self, "grant, revoke or list?");
	if (!strcmp(argv[1], "list"))
		return role_list(self, argc, argv, ctx);
	if (strcmp(argv[1], "grant") && strcmp(argv[1], "revoke"))
		return usage_error(self, "unknown subcommand '%s'", argv[1]);
	grant = !strcmp(argv[1], "grant");
	for (a = 2; a < argc; a++) {
		if (grant && (m = opt_once(self, argc, argv, &a, "--until", &until))) {
			if (m < 0)
				return EXIT_USAGE;
			continue;
		}
		if (argv[a][0] == '-' || n == 2)
			return usage_error(self, argv[a][0] == '-' ?
				"unknown option '%s'" : "unexpected argument '%s'",
				argv[a]);
		args[n++] = argv[a];
	}
	if (n < 2)
		return usage_error(self, "which member and role?");
	if (!*args[1])
		return usage_error(self, "an empty role name");
	if (until) {
		/* a day, YYYY-MM-DD, that exists */
		struct tm tm;
		const char *end;

		memset(&tm, 0, sizeof(tm));
		end = strptime(until, "%Y-%m-%d", &tm);
		if (strlen(until) != 10 || !end || *end || tm.tm_mon > 11 ||
		    tm.tm_mday < 1 || tm.tm_mday > 31)
			return usage_error(self, "--until '%s' is not a day (YYYY-MM-DD)",
				until);
	}
	if ((rc = open_repo(&repo, ctx)))
		return rc;
	err = grant ? crq_policy_role_grant(repo, args[0], args[1], until) :
		crq_policy_role_revoke(repo, args[0], args[1]);
	if (err >= 0) {
		crq_buf what = CRQ_BUF_INIT;

		if (grant)
			crq_buf_printf(&what, "granted %s to %s%s%s", args[1],
				args[0], until ? " until " : "", until ? until : "");
		else
			crq_buf_printf(&what, "revoked %s from %s", args[1],
				args[0]);
		say_policy(repo, what.ptr);
		crq_buf_dispose(&what);
	}
	rc = err < 0 ? report(err) : finish(0);
	close_repo(repo, ctx);
	return rc;
}
