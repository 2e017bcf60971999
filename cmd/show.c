/*
 * show.c - crq show [--json] ID
 */
#include <stdio.h>
#include <string.h>
#include "cmd.h"

/* The change file with its top-level keys in bold and the state in its
 * colour: lines at the left margin are keys (the canonical layout
 * indents everything inside a value). */
static void color_yaml(crq_buf *out, const char *text, size_t len)
{
	const char *p = text, *end = text + len;

	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = nl ? (size_t)(nl - p) + 1 : (size_t)(end - p);
		const char *colon = memchr(p, ':', n);
		size_t k = colon ? (size_t)(colon - p) : 0;

		if (colon && ((*p >= 'a' && *p <= 'z') ||
		    (*p >= 'A' && *p <= 'Z') || *p == '_') &&
		    k == strcspn(p, " '\":")) {
			crq_buf key = CRQ_BUF_INIT, val = CRQ_BUF_INIT;
			size_t vn = n - k - 1 - (nl != NULL);

			crq_buf_put(&key, p, k);
			color_put(out, 1, SGR_BOLD, key.ptr);
			crq_buf_putc(out, ':');
			if (!strcmp(key.ptr, "state") && vn > 1 &&
			    colon[1] == ' ') {
				crq_buf_put(&val, colon + 2, vn - 1);
				crq_buf_putc(out, ' ');
				color_put(out, 1, state_sgr(val.ptr), val.ptr);
			} else {
				crq_buf_put(out, colon + 1, vn);
			}
			if (nl)
				crq_buf_putc(out, '\n');
			crq_buf_dispose(&key);
			crq_buf_dispose(&val);
		} else {
			crq_buf_put(out, p, n);
		}
		p += n;
	}
}

int cmd_show(int argc, char **argv, struct cmd_ctx *ctx)
{
	const struct cmd *self = cmd_find("show");
	const char *id = NULL;
	const crq_schema *schema;
	crq_repo *repo = NULL;
	crq_node *doc = NULL;
	crq_buf out = CRQ_BUF_INIT;
	int json = 0, i, err, rc;

	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--json")) {
			if (json++)
				return usage_error(self,
					"option '--json' given twice");
		} else if (argv[i][0] == '-') {
			return usage_error(self, "unknown option '%s'", argv[i]);
		} else if (id) {
			return usage_error(self, "too many arguments");
		} else {
			id = argv[i];
		}
	}
	if (!id)
		return usage_error(self, "which change?");
	if ((rc = open_repo(&repo, ctx)))
		return rc;
	if ((err = crq_change_load(&doc, repo, id)) < 0 ||
	    (err = crq_repo_change_schema(&schema, repo)) < 0) {
		rc = report(err);
		goto done;
	}
	if (json) {
		crq_json_write(&out, doc, 1);
		crq_buf_putc(&out, '\n');
	} else {
		crq_change_format(&out, schema, doc);
		if (use_color(1, repo)) {
			crq_buf plain = out;

			crq_buf_init(&out);
			color_yaml(&out, crq_buf_cstr(&plain), plain.size);
			crq_buf_dispose(&plain);
		}
	}
	fwrite(out.ptr, 1, out.size, stdout);
	rc = finish(0);
done:
	crq_buf_dispose(&out);
	crq_node_free(doc);
	close_repo(repo, ctx);
	return rc;
}
