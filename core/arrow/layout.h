/* core/arrow/layout.h — the physical layout of a type, for code that
 * moves values without reading them (builders, take, validation).
 *
 * A map is laid out as a list whose element is its `entries` struct, so
 * what copies, slices or checks a list does the same to a map. */
#ifndef SLUICE_CORE_LAYOUT_H
#define SLUICE_CORE_LAYOUT_H

#include <sluice/types.h>

static inline enum sluice_type sluice_layout_of(const struct ArrowSchema *s)
{
    enum sluice_type t = sluice_type_of(s);
    return t == SLUICE_TYPE_MAP ? SLUICE_TYPE_ARRAY : t;
}

/* Buffers of an Arrow node of the layout: validity and values (and a
 * string's data); a struct has only its validity. */
static inline int64_t sluice_layout_buffers(enum sluice_type t)
{
    switch (t) {
    case SLUICE_TYPE_STRING: return 3;
    case SLUICE_TYPE_STRUCT: return 1;
    default: return 2;
    }
}

#endif
