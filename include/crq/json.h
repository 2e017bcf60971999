/*
 * crq/json.h - strict JSON parser and writer.
 * Conventions: see crq.h.
 */
#ifndef CRQ_PUBLIC_JSON_H
#define CRQ_PUBLIC_JSON_H

#include "crq/node.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------------------------------------------ */
/* JSON: strict RFC 8259 parser and writer. */

#define CRQ_JSON_MAX_DEPTH 256

/* Parse text (len bytes) into *out.  name is used in error messages as
 * "name:line:col: message".  Integers without fraction or exponent that
 * fit in long long become CRQ_NODE_INT, other numbers CRQ_NODE_NUMBER.
 * Duplicate keys, trailing garbage, invalid UTF-8 and nesting deeper
 * than CRQ_JSON_MAX_DEPTH are CRQ_EINVALID. */
int crq_json_parse(crq_node **out, const char *text, size_t len,
	const char *name);
/* Append node as JSON to out; pretty = indent by two spaces. */
void crq_json_write(crq_buf *out, const crq_node *node, int pretty);
/* Append str as a JSON string literal (with quotes) to out. */
void crq_json_write_string(crq_buf *out, const char *str, size_t len);

#ifdef __cplusplus
}
#endif

#endif
