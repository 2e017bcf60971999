/*
 * schema.h - lib-internal: what the loaders of schemas share with
 * lib/schema.c (crq_schema_load, and the store's cached load).
 */
#ifndef CRQ_SCHEMA_H
#define CRQ_SCHEMA_H

#include "internal.h"

/* The largest schema file read. */
#define CRQ_SCHEMA_MAX_SIZE (4 * 1024 * 1024)

#endif
