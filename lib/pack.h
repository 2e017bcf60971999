/*
 * pack.h - lib-internal: objects held in memory until they go to disk
 * as one pack file (lib/pack.c), for a batch of steps.
 *
 * A step writes five objects (the change file, three trees, the
 * commit); as loose objects that is five files a step, hundreds of
 * thousands over a long batch, which slow the object database and git
 * itself until a gc.  Held, they go out as one pack and its index per
 * group of steps, each new version of a path a delta against the one
 * before it in the pack.
 */
#ifndef CRQ_PACK_H
#define CRQ_PACK_H

#include <git2.h>
#include "internal.h"

typedef struct crq_pack crq_pack;

/* Put a holding backend in front of git's object database (for the
 * life of the repository: libgit2 cannot take one out again; its odb
 * frees it).  While not holding, it writes nothing and holds nothing. */
int crq_pack__attach(crq_pack **out, git_repository *git);
/* From now on new objects stay in memory, readable as any other. */
void crq_pack__hold(crq_pack *p);
/* obj, just written, is a new version of base (the same path before
 * the step): a hint for a delta.  Ignored unless both are held. */
void crq_pack__hint(crq_pack *p, const git_oid *obj, const git_oid *base);
/* Objects and bytes held. */
size_t crq_pack__count(const crq_pack *p);
size_t crq_pack__bytes(const crq_pack *p);
/* Write what is held as one pack and its index into objects/pack,
 * synced to disk before it returns, then hold nothing and write
 * through to git's object database again. */
int crq_pack__write(crq_pack *p);
/* Forget what is held (the steps will not be written); write through
 * again. */
void crq_pack__drop(crq_pack *p);
/* Packs written (and merged) since attached: libgit2 keeps every pack
 * it has seen, removed ones too, for the life of its repository. */
size_t crq_pack__made(const crq_pack *p);
/* Take over from old (of a repository handle about to be freed) the
 * packs it wrote, to merge with the next ones.  Neither holds objects. */
void crq_pack__adopt(crq_pack *p, const crq_pack *old);

#endif
