/*
 * init.c - crq init: a new store (or crq inside an existing
 * repository), its first commit holding the policy from the datadir's
 * examples, with whoever initialises it as the first member and admin.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "policy.h"
#include "sign.h"

#define POLICY_PATH ".crq/policy.yaml"
#define TEMPLATE_DIR ".crq/templates"

/* ---- init ---- */

static int add_file(crq_buf *names, crq_buf *datas, size_t *count,
	const char *path, const char *src)
{
	crq_buf data = CRQ_BUF_INIT;
	int err = crq_buf_read_file(&data, src, CRQ_YAML_MAX_SIZE);

	if (err < 0) {
		crq_buf_dispose(&data);
		return err;
	}
	crq_buf_puts(&names[*count], path);
	datas[*count] = data;
	(*count)++;
	return 0;
}

/*
 * Whoever initialises the store is its first member: admin, and able to
 * raise and manage changes until others join.  The entry replaces the
 * example's "members: []" line so the file keeps its comments.
 */
static int add_first_admin(crq_buf *policy, crq_repo *repo)
{
	static const char *const roles[] = { "admin", "requester",
		"change-manager" };
	crq_buf name = CRQ_BUF_INIT, email = CRQ_BUF_INIT, out = CRQ_BUF_INIT;
	crq_node *doc = crq_node_new(CRQ_NODE_OBJECT);
	crq_node *list = crq_node_new(CRQ_NODE_ARRAY);
	crq_node *m = crq_node_new(CRQ_NODE_OBJECT);
	crq_node *r = crq_node_new(CRQ_NODE_ARRAY);
	const char *at, *p = crq_buf_cstr(policy);
	size_t i;
	int err;

	if ((err = crq_store__identity_with(&name, &email, repo,
			(const char *const *)repo->config, repo->config_count,
			"COMMITTER")) < 0)
		goto done;
	if (!(at = strstr(p, "\nmembers: []\n"))) {
		err = crq_error__set(CRQ_EREPO,
			"the default policy has no 'members: []' line to fill");
		goto done;
	}
	crq_node_set(m, "email", crq_node_new_cstr(email.ptr));
	crq_node_set(m, "name", crq_node_new_cstr(name.ptr));
	for (i = 0; i < CRQ_ARRAY_SIZE(roles); i++)
		crq_node_push(r, crq_node_new_cstr(roles[i]));
	crq_node_set(m, "roles", r);
	{
		crq_buf key = CRQ_BUF_INIT;
		crq_node *keys;

		if ((err = crq_store__signing_key(&key, repo)) < 0) {
			crq_buf_dispose(&key);
			goto done;
		}
		keys = crq_node_new(CRQ_NODE_ARRAY);
		crq_node_push(keys, crq_node_new_cstr(key.ptr));
		crq_node_set(m, "keys", keys);
		crq_buf_dispose(&key);
	}
	crq_node_push(list, m);
	crq_node_set(doc, "members", list);
	crq_buf_put(&out, p, (size_t)(at - p) + 1);
	crq_yaml_emit(&out, doc);
	crq_buf_puts(&out, at + strlen("\nmembers: []\n"));
	crq_buf_dispose(policy);
	*policy = out;
	crq_buf_init(&out);
done:
	crq_node_free(doc);
	crq_buf_dispose(&name);
	crq_buf_dispose(&email);
	crq_buf_dispose(&out);
	return err;
}

static int cmpstr(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int crq_repo_init(crq_repo **out, const char *path, const crq_options *opts)
{
	git_repository *git = NULL;
	git_repository_init_options io;
	crq_repo *repo = NULL;
	crq_buf names[64], datas[64], src = CRQ_BUF_INIT, probe = CRQ_BUF_INIT;
	crq_store_write writes[64];
	char *tnames[60];
	size_t count = 0, nt = 0, i;
	DIR *dir = NULL;
	struct dirent *de;
	git_oid tip, commit;
	int unborn, err;
	const crq_node *policy;

	*out = NULL;
	for (i = 0; i < 64; i++) {
		crq_buf_init(&names[i]);
		crq_buf_init(&datas[i]);
	}
	git_libgit2_init();
	err = crq_store__open_git(&git, path, GIT_REPOSITORY_OPEN_NO_SEARCH);
	if (err == GIT_ENOTFOUND) {
		crq_buf n = CRQ_BUF_INIT, e = CRQ_BUF_INIT;

		/* refuse before creating anything: no half-made stores */
		crq_signer *sg = NULL;

		err = crq_store__identity_with(&n, &e, NULL, opts ? opts->config : NULL,
			opts ? opts->config_count : 0, "COMMITTER");
		if (!err)
			err = crq_store__open_signer(&sg, NULL, opts ? opts->config : NULL,
				opts ? opts->config_count : 0);
		crq_signer_free(sg);
		crq_buf_dispose(&n);
		crq_buf_dispose(&e);
		if (err < 0)
			goto done;
		git_repository_init_options_init(&io,
			GIT_REPOSITORY_INIT_OPTIONS_VERSION);
		io.flags = GIT_REPOSITORY_INIT_MKPATH;
		io.initial_head = "main";
		if ((err = git_repository_init_ext(&git, path, &io)) < 0) {
			err = crq_store__git_error(err,
				"cannot create repository");
			goto done;
		}
	} else if (err < 0) {
		err = crq_store__git_error(err, "cannot open repository");
		goto done;
	}
	err = crq_store__setup(&repo, git, opts);
	git = NULL;		/* owned by repo now, or freed by setup */
	if (err < 0)
		goto done;
	if ((err = crq_store__tip(repo, &tip, &unborn)) < 0)
		goto done;
	if (!unborn && crq_store__read(repo, &tip, POLICY_PATH, &probe,
			NULL) == 0) {
		err = crq_error__set(CRQ_EEXISTS,
			"'%s' is already a crq store", repo->workdir ?
			repo->workdir : repo->gitdir);
		goto done;
	}
	crq_repo_datafile(&src, repo, "examples/policy.yaml");
	if ((err = add_file(names, datas, &count, POLICY_PATH, src.ptr)) < 0 ||
	    (err = add_first_admin(&datas[count - 1], repo)) < 0)
		goto done;
	crq_buf_clear(&src);
	crq_repo_datafile(&src, repo, "examples/templates");
	if ((dir = opendir(src.ptr))) {
		while ((de = readdir(dir)) && nt < CRQ_ARRAY_SIZE(tnames)) {
			size_t n = strlen(de->d_name);

			if (n > 5 && !strcmp(de->d_name + n - 5, ".yaml"))
				tnames[nt++] = crq__strdup(de->d_name);
		}
		closedir(dir);
	}
	crq__sort(tnames, nt, sizeof(*tnames), cmpstr);
	for (i = 0; i < nt && !err; i++) {
		crq_buf dst = CRQ_BUF_INIT, from = CRQ_BUF_INIT;

		crq_buf_printf(&dst, "%s/%s", TEMPLATE_DIR, tnames[i]);
		crq_buf_printf(&from, "%s/%s", src.ptr, tnames[i]);
		err = add_file(names, datas, &count, dst.ptr, from.ptr);
		crq_buf_dispose(&dst);
		crq_buf_dispose(&from);
	}
	if (err < 0)
		goto done;
	for (i = 0; i < count; i++) {
		writes[i].path = names[i].ptr;
		writes[i].data = crq_buf_cstr(&datas[i]);
		writes[i].len = datas[i].size;
	}
	if ((err = crq_store__commit(repo, unborn ? NULL : &tip, writes, count,
			"crq: initialise change store\n",
			crq_store__step_time(repo, unborn ? NULL : &tip),
			&commit)) < 0)
		goto done;
	/* the policy we just wrote must load: catches a broken datadir */
	if ((err = crq_policy__tip(&policy, repo)) < 0)
		goto done;
	*out = repo;
	repo = NULL;
done:
	for (i = 0; i < nt; i++)
		free(tnames[i]);
	for (i = 0; i < 64; i++) {
		crq_buf_dispose(&names[i]);
		crq_buf_dispose(&datas[i]);
	}
	crq_buf_dispose(&src);
	crq_buf_dispose(&probe);
	crq_repo_free(repo);
	git_repository_free(git);
	git_libgit2_shutdown();
	return err;
}
