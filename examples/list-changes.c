/*
 * list-changes - the changes of a crq store, one line each: id, state
 * and title, through libcrq.  Build it against an installed crq:
 *
 *   cc -o list-changes list-changes.c $(pkg-config --cflags --libs crq)
 *   cc -static -o list-changes list-changes.c \
 *           $(pkg-config --static --cflags --libs crq)
 *
 *   ./list-changes [DIR] [STATE]
 *
 * DIR is any directory of the store's git repository (default: the
 * current one); STATE keeps only the changes in that state.  Files that
 * cannot be read are named on stderr and make the exit status 1.
 */
#include <stdio.h>
#include <crq.h>

static int print_change(const crq_change_item *item, void *payload)
{
	const char *id = crq_node_get_str(item->doc, "id");
	const char *state = crq_node_get_str(item->doc, "state");
	const char *title = crq_node_get_str(item->doc, "title");

	(void)payload;
	printf("%s\t%s\t%s\n", id ? id : "?", state ? state : "?",
		title ? title : "");
	return 0;
}

int main(int argc, char **argv)
{
	static const char *const fields[] = { "id", "state", "title", NULL };
	crq_list_options lo = CRQ_LIST_OPTIONS_INIT;
	crq_filter filter = { 0 };
	crq_options opts = { 0 };	/* the installed schemas */
	crq_issues problems;
	crq_repo *repo;
	size_t i;
	int err;

	if (argc > 3) {
		fprintf(stderr, "usage: list-changes [DIR] [STATE]\n");
		return 2;
	}
	if (crq_repo_open(&repo, argc > 1 ? argv[1] : ".", &opts) < 0) {
		fprintf(stderr, "list-changes: %s\n", crq_error_last());
		return 128;
	}
	if (argc > 2) {
		filter.state = argv[2];
		lo.filter = &filter;
	}
	lo.fields = fields;
	crq_issues_init(&problems);
	err = crq_change_list_each(repo, &lo, &problems, print_change, NULL);
	if (err < 0)
		fprintf(stderr, "list-changes: %s\n", crq_error_last());
	for (i = 0; i < problems.count; i++)
		fprintf(stderr, "list-changes: %s\n", problems.items[i].message);
	if (!err && problems.count)
		err = 1;
	crq_issues_dispose(&problems);
	crq_repo_free(repo);
	return err < 0 ? 128 : err;
}
