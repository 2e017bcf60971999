/*
 * crq/yaml.h - strict YAML loader and canonical emitter.
 * Conventions: see crq.h.
 */
#ifndef CRQ_PUBLIC_YAML_H
#define CRQ_PUBLIC_YAML_H

#include "crq/node.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------------------------------------------ */
/* YAML: strict loader and canonical emitter. */

#define CRQ_YAML_MAX_DEPTH 64
#define CRQ_YAML_MAX_SIZE (1024 * 1024)

/* Load one YAML document.  Rejects, naming name:line:col, anchors,
 * aliases, tags, directives, merge keys, non-scalar keys, duplicate
 * keys, more than one document, NUL bytes, invalid UTF-8, nesting
 * deeper than CRQ_YAML_MAX_DEPTH and input larger than
 * CRQ_YAML_MAX_SIZE.  Plain scalars come back as CRQ_NODE_STRING with
 * plain = 1 (untyped); quoted and block scalars as strings with
 * plain = 0.  An empty document is a CRQ_NODE_NULL node.  A NUL written
 * as an escape ("\0", "\x00") is refused like a raw NUL byte. */
int crq_yaml_load(crq_node **out, const char *text, size_t len,
	const char *name);
/* Append doc in the canonical layout: block style, keys in node order,
 * two-space indentation, strings quoted whenever a YAML 1.1 or 1.2
 * reader could take them for anything but a string, multi-line strings
 * as literal blocks.  crq_yaml_load() of the output gives back an equal
 * tree (after typing).  Strings must be valid UTF-8; invalid bytes are
 * written as U+FFFD. */
void crq_yaml_emit(crq_buf *out, const crq_node *doc);

/* YAML scalar resolution, used to type plain scalars. */
/* 1 when a plain scalar with this text is null (YAML 1.2 core: "", ~,
 * null, Null, NULL). */
int crq_yaml_plain_null(const char *s);
/* 1 and *out set when text is a YAML 1.2 core bool (true/True/TRUE,
 * false/False/FALSE). */
int crq_yaml_plain_bool(const char *s, int *out);
/* 1 and *out set when text is a decimal integer ([-+]?[0-9]+) in range. */
int crq_yaml_plain_int(const char *s, long long *out);
/* 1 and *out set when text is a YAML 1.2 core float (incl. .inf/.nan)
 * or decimal integer. */
int crq_yaml_plain_float(const char *s, double *out);
/* 1 when a YAML 1.1 or 1.2 reader could resolve this plain text to
 * anything but a string: null, bools (yes/no/on/off/y/n ...), ints in
 * any base, octal (0755), sexagesimal (12:30), floats, .inf/.nan,
 * timestamps (2026-01-02, 2026-01-02T10:00:00Z), "<<", "=". */
int crq_yaml_plain_ambiguous(const char *s);
/* 1 when s looks like a YAML timestamp (date or date-time). */
int crq_yaml_plain_timestamp(const char *s);

#ifdef __cplusplus
}
#endif

#endif
