/*
 * commit.c - the raw commit object as crq reads it: the signed payload
 * and the signature, header by header (never libgit2's extractor, see
 * NOTES), and the Crq-* trailers of a message.
 */
#include <string.h>
#include <strings.h>
#include "commit.h"
#include "store.h"

int crq_commit__split(crq_buf *payload, crq_buf *sig,
	crq_buf *problem, const char *data, size_t len)
{
	const char *p = data, *end = data + len;
	int nsig = 0, in_sig = 0, seen_committer = 0, n = 0;

	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t l = nl ? (size_t)(nl - p) + 1 : (size_t)(end - p);

		if (l == 1 && *p == '\n') {
			crq_buf_put(payload, p, (size_t)(end - p));
			break;
		}
		if (in_sig && *p == ' ') {
			crq_buf_put(sig, p + 1, l - 1);
			p += l;
			continue;
		}
		in_sig = 0;
		n++;
		if (l > 7 && !memcmp(p, "gpgsig ", 7)) {
			if (!seen_committer && !problem->size)
				crq_buf_puts(problem,
					"gpgsig header before committer");
			if (nsig++ && !problem->size)
				crq_buf_puts(problem,
					"more than one signature header");
			in_sig = 1;
			crq_buf_put(sig, p + 7, l - 7);
		} else if ((n == 1 && l > 5 && !memcmp(p, "tree ", 5)) ||
			   (l > 7 && !memcmp(p, "parent ", 7)) ||
			   (l > 7 && !memcmp(p, "author ", 7))) {
			crq_buf_put(payload, p, l);
		} else if (l > 10 && !memcmp(p, "committer ", 10)) {
			seen_committer = 1;
			crq_buf_put(payload, p, l);
		} else {
			/* the raw object need not end in a NUL: stay in l */
			size_t w = 0;

			while (w < l && p[w] != ' ' && p[w] != '\n')
				w++;
			if (!problem->size)
				crq_buf_printf(problem,
					"header '%.*s' is not allowed in a crq commit",
					(int)w, p);
			crq_buf_put(payload, p, l);
		}
		p += l;
	}
	/* the armor's own final newline is not part of it */
	if (sig->size && sig->ptr[sig->size - 1] == '\n')
		sig->ptr[--sig->size] = '\0';
	return nsig;
}


static const char *const known_trailers[] = {
	"Crq-Change", "Crq-Action", "Crq-From", "Crq-To", "Crq-Digest",
	"Crq-Policy-Version", "Crq-Forge", "Crq-PR", "Crq-Reviewer",
	"Crq-Review-Id", "Crq-Reviewed-Commit", "Crq-Rules", "Crq-Escalate",
	NULL
};

int crq_commit__trailers(crq_node **out, crq_buf *problem,
	const char *message)
{
	git_message_trailer_array tr;
	crq_node *o = crq_node_new(CRQ_NODE_OBJECT);
	size_t i, k;

	memset(&tr, 0, sizeof(tr));
	if (git_message_trailers(&tr, message) < 0) {
		*out = o;
		return 0;
	}
	for (i = 0; i < tr.count; i++) {
		const char *key = tr.trailers[i].key;

		if (strncasecmp(key, "crq-", 4))
			continue;
		for (k = 0; known_trailers[k] &&
				strcmp(known_trailers[k], key); k++)
			;
		if (!known_trailers[k]) {
			if (!problem->size)
				crq_buf_printf(problem,
					"unknown trailer '%s'", key);
			continue;
		}
		if (crq_node_get(o, key)) {
			if (!problem->size)
				crq_buf_printf(problem,
					"trailer '%s' appears twice", key);
			continue;
		}
		crq_node_set(o, key, crq_node_new_cstr(tr.trailers[i].value));
	}
	git_message_trailer_array_free(&tr);
	*out = o;
	return 0;
}

int crq_commit__walk_steps(struct crq_repo *repo,
	int (*fn)(const crq_step_seen *step, void *payload), void *payload)
{
	return crq_commit__walk_steps_since(repo, NULL, fn, payload);
}

int crq_commit__walk_steps_since(struct crq_repo *repo, const git_oid *hide,
	int (*fn)(const crq_step_seen *step, void *payload), void *payload)
{
	git_revwalk *w = NULL;
	git_oid oid, tip;
	int err, unborn, stop = 0;

	if ((err = crq_store__tip(repo, &tip, &unborn)) < 0 || unborn)
		return err;
	if ((err = git_revwalk_new(&w, repo->git)) < 0 ||
	    (err = git_revwalk_push(w, &tip)) < 0 ||
	    (hide && (err = git_revwalk_hide(w, hide)) < 0)) {
		git_revwalk_free(w);
		return crq_store__git_error(err, "cannot walk the history");
	}
	git_revwalk_sorting(w, GIT_SORT_TOPOLOGICAL | GIT_SORT_TIME);
	while (!stop && git_revwalk_next(&oid, w) == 0) {
		git_commit *c = NULL;
		git_message_trailer_array tr;
		crq_step_seen s;
		size_t k;

		if (git_commit_lookup(&c, repo->git, &oid) < 0)
			continue;
		memset(&tr, 0, sizeof(tr));
		memset(&s, 0, sizeof(s));
		git_message_trailers(&tr, git_commit_message(c));
		for (k = 0; k < tr.count; k++) {
			const char *key = tr.trailers[k].key;

			if (!strcmp(key, "Crq-Change"))
				s.change = tr.trailers[k].value;
			else if (!strcmp(key, "Crq-Action"))
				s.action = tr.trailers[k].value;
			else if (!strcmp(key, "Crq-From"))
				s.from = tr.trailers[k].value;
			else if (!strcmp(key, "Crq-To"))
				s.to = tr.trailers[k].value;
			else if (!strcmp(key, "Crq-Rules"))
				s.rules = tr.trailers[k].value;
			else if (!strcmp(key, "Crq-Escalate"))
				s.escalate = tr.trailers[k].value;
		}
		s.id = &oid;
		s.by = git_commit_committer(c)->email;
		s.time = (long long)git_commit_committer(c)->when.time;
		if (s.change && s.action)
			stop = fn(&s, payload);
		git_message_trailer_array_free(&tr);
		git_commit_free(c);
	}
	git_revwalk_free(w);
	return 0;
}
