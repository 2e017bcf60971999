/*
 * nodebin.h - lib-internal: a compact binary form of a crq_node tree
 * (lib/nodebin.c), for trees kept in the cache (DESIGN §9): a parsed
 * schema, a validated policy.  Loading it is a walk over bytes with no
 * tokenising, no number conversion and no lookups.
 *
 * The form holds every field a parser sets: kind, the plain flag,
 * line and column, the bool, integer and number values, the string
 * (with its length, so bytes after a NUL survive), and object keys in
 * their order.  Decoding the encoding of a tree gives a tree
 * crq_node_equal() to it and equal field by field (alloc aside), in one
 * allocation: a read-only tree (crq_node.block), which crq_node_free()
 * of its root frees and crq_node_dup() copies into ordinary nodes.
 */
#ifndef CRQ_NODEBIN_H
#define CRQ_NODEBIN_H

#include "internal.h"

/* Deepest tree the form holds: deeper than the parsers allow
 * (CRQ_JSON_MAX_DEPTH, CRQ_YAML_MAX_DEPTH), so that any parsed tree
 * fits, and shallow enough for a recursive decoder. */
#define CRQ_NODEBIN_MAX_DEPTH 512

/* Append the form of n to out.  CRQ_EINVALID (out as it was) when the
 * tree cannot be held: deeper than CRQ_NODEBIN_MAX_DEPTH, an object
 * without its keys, a key with a NUL, children on a scalar. */
int crq_nodebin__encode(crq_buf *out, const crq_node *n);
/* The tree of exactly len bytes at data, to *out (the caller's, freed
 * with crq_node_free).  The bytes are untrusted: anything malformed
 * (bad magic, a truncation, a length or count past the end, an unknown
 * kind, a NUL in a key, too deep, bytes left over) is CRQ_EINVALID
 * with *out NULL, never a read outside data. */
int crq_nodebin__decode(crq_node **out, const void *data, size_t len);

/* A stamp of this build, for the names of cache tables whose values
 * its code computed (a tree its parsers and checks made is not
 * another build's to trust): the ELF build id of the object holding
 * libcrq, else the version and the time of compiling this file. */
unsigned long long crq_nodebin__build_stamp(void);

#endif
