/* Internal: callbacks kept by reference.
 *
 * An object that lives per call or per dialog keeps a pointer to the
 * application's struct of callbacks rather than a copy of it (memory per
 * dialog, BENCHMARKS.md). Each such struct starts with its `size`, so that an
 * application built against an older, shorter struct still works: a member
 * beyond its size is absent. */
#ifndef SIPD_COMMON_CB_H
#define SIPD_COMMON_CB_H

#include <stddef.h>

/* The member `f` of the callbacks `cbs` (a pointer to a struct of type
 * `type`), or NULL: no struct, or one too short to have it. */
#define SIPD_CB(cbs, type, f)                                                           \
	((cbs) && offsetof(type, f) + sizeof(cbs)->f <= (cbs)->size ? (cbs)->f : NULL)

#endif
