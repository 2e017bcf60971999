/*
 * internal.h - helpers shared inside libcrq; never included by cmd/.
 */
#ifndef CRQ_INTERNAL_H
#define CRQ_INTERNAL_H

#include "crq.h"

/* Allocation that aborts on exhaustion (see crq.h). */
void *crq__malloc(size_t n);
void *crq__calloc(size_t n, size_t size);
void *crq__realloc(void *p, size_t n);
char *crq__strdup(const char *s);
char *crq__strndup(const char *s, size_t n);
/* Grow *p (of *alloc elements of size) to hold at least need elements. */
void crq__grow(void **p, size_t *alloc, size_t need, size_t size);
/* qsort, for any n: qsort's base must not be NULL, even for none. */
void crq__sort(void *base, size_t n, size_t size,
	int (*cmp)(const void *, const void *));
/* Files (lib/buf.c): an unlinked temporary file in $TMPDIR (or /tmp)
 * named after prefix, or -1 with errno set; all of p written to fd
 * (0, or -1 with errno); fd read to its end into out, at most max
 * bytes in all (more: -1, EFBIG). */
int crq__tmpfile_fd(const char *prefix);
int crq__write_all(int fd, const char *p, size_t n);
int crq__read_fd(int fd, crq_buf *out, size_t max);

/* Translate the last libgit2 error into a crq error (lib/error.c):
 * "what: libgit2's message", returning the crq code for git's. */
int crq_store__git_error(int code, const char *what);
/* git config, shared by crq_repo_config() and crq_config_get(): the
 * last -c "name=value" of over for name (borrowed) into *out, or 0 when
 * none; and a value of cfg into out (CRQ_ENOTFOUND when unset). */
struct git_config;
int crq_config__override(const char **out, const char *const *over,
	size_t nover, const char *name);
int crq_config__string(crq_buf *out, struct git_config *cfg,
	const char *name);
/* Record an error for crq_error_last() and return code. */
int crq_error__set(int code, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Prefix the current error message with "prefix: ". Returns the code. */
int crq_error__prefix(const char *fmt, ...)
	__attribute__((format(printf, 1, 2)));

/* Validate UTF-8: returns 1 when s[0..len) is well-formed (no
 * overlongs, surrogates or code points above U+10FFFF); on failure
 * *bad is set to the offset of the first bad byte. */
int crq_utf8__valid(const char *s, size_t len, size_t *bad);
/* Number of code points in a valid UTF-8 string. */
size_t crq_utf8__length(const char *s, size_t len);

/* Pretty JSON of node as if nested level deep (two spaces a level). */
void crq_json__write_at(crq_buf *out, const crq_node *node, int level);

/* The two paths of crq_yaml_load(), for the tests that hold them to
 * the same trees: the fast one returns 1 and the tree for text in the
 * subset the emitter writes, else 0 (and writes nothing); the other is
 * libyaml's. */
int crq_yaml__load_fast(crq_node **out, const char *text, size_t len);
int crq_yaml__load_slow(crq_node **out, const char *text, size_t len,
	const char *name);

/* Index of the first object in arr (an ARRAY) whose field is the
 * string value, -1 when there is none. */
long crq_node__find(const crq_node *arr, const char *field,
	const char *value);
/* Does arr (an ARRAY) hold the string s? */
int crq_node__has(const crq_node *arr, const char *s);
/* The first control character (C0 but tab and newline, DEL) in a
 * value's strings, or 0 (NUL as U+2400): text that would reach other
 * members' terminals. */
unsigned crq_node__control_char(const crq_node *v);
/* The node at path, keys separated by sep ("a.b", "definitions/x"),
 * or NULL. */
crq_node *crq_node__walk(const crq_node *root, const char *path, char sep);
/* Append key (taken over) and val to obj, without a duplicate check. */
void crq_node__append(crq_node *obj, char *key, crq_node *val);

/* Run fn at crq_global_shutdown (for what a module loaded once, such
 * as libical's zones); a handful at most, each once. */
void crq__at_shutdown(void (*fn)(void));
void crq__shutdown_run(void);

#define CRQ_ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

#endif
