/*
 * replay.c - run a fuzz target over saved inputs (files or folders of
 * files): the fuzz corpus as a regression test, no libFuzzer needed.
 */
#include <dirent.h>
#include <string.h>
#include <sys/stat.h>
#include "fuzz.h"

static int run_file(const char *path)
{
	crq_buf b = CRQ_BUF_INIT;

	if (crq_buf_read_file(&b, path, 16 * 1024 * 1024) < 0) {
		fprintf(stderr, "replay: %s\n", crq_error_last());
		return -1;
	}
	LLVMFuzzerTestOneInput((const uint8_t *)crq_buf_cstr(&b), b.size);
	crq_buf_dispose(&b);
	return 0;
}

int main(int argc, char **argv)
{
	int i, n = 0;

	for (i = 1; i < argc; i++) {
		struct stat st;
		DIR *d;
		struct dirent *de;
		char path[4096];

		if (stat(argv[i], &st) < 0) {
			fprintf(stderr, "replay: cannot stat '%s'\n", argv[i]);
			return 1;
		}
		if (!S_ISDIR(st.st_mode)) {
			if (run_file(argv[i]) < 0)
				return 1;
			n++;
			continue;
		}
		if (!(d = opendir(argv[i])))
			return 1;
		while ((de = readdir(d))) {
			if (de->d_name[0] == '.')
				continue;
			snprintf(path, sizeof(path), "%s/%s", argv[i],
				de->d_name);
			if (run_file(path) < 0) {
				closedir(d);
				return 1;
			}
			n++;
		}
		closedir(d);
	}
	printf("replay: %d inputs, no invariant broken\n", n);
	return 0;
}
