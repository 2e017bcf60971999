/*
 * cache.h - the cache under .git/crq/cache/ (DESIGN §9).
 *
 * A table maps a git object id to bytes crq computed from that object
 * (a verdict, a parsed summary): content-addressed, so an entry is
 * never stale, only missing.  Each table is a sorted file, mapped, and
 * a small overlay of recent entries; both are checksummed, and a
 * corrupt or truncated file is dropped and rebuilt, never trusted.
 * Writers take a lock and replace files by rename, so any number of
 * processes may read while one writes; a writer that finds the lock
 * taken skips its write (the cache only saves time).
 */
#ifndef CRQ_CACHE_H
#define CRQ_CACHE_H

#include <git2.h>
#include "internal.h"

/* A repository's tables are opened through lib/store.h (crq_cache__open,
 * which knows where its cache is and whether it is on); this file knows
 * folders only. */
typedef struct crq_table crq_table;

/* Open table name (letters, digits, '-', '.') in folder dir; a missing
 * table is empty. */
crq_table *crq_cache__open_at(const char *dir, const char *name);
/* What crq_cache_status and crq_cache_clear (crq/store.h) do, for the
 * cache folder dir. */
int crq_cache__status_at(crq_node **out, const char *dir, int enabled);
int crq_cache__clear_at(const char *dir);
/* The value under key, its length to *len; NULL when there is none or
 * the entry fails its checksum (then the table is dropped).  Valid
 * until the table is closed. */
const void *crq_cache__get(crq_table *t, const git_oid *key, size_t *len);
/* Remember a value (written by crq_cache__flush). */
void crq_cache__put(crq_table *t, const git_oid *key, const void *val,
	size_t len);
/* Entries in the table (both files and what was put). */
size_t crq_cache__count(const crq_table *t);
/* Write what was put: into the overlay, or, once that grows large,
 * into a new sorted file.  Best effort; 0 even when skipped. */
int crq_cache__flush(crq_table *t);
void crq_cache__close(crq_table *t);

/* Little-endian numbers in cache values. */
void crq_cache__put64(unsigned char *p, unsigned long long v);
unsigned long long crq_cache__get64(const unsigned char *p);

#endif
