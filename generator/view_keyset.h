/* Keyset pagination of named queries (view_keyset.c). */
#ifndef SCHEMAC_GEN_VIEW_KEYSET_H
#define SCHEMAC_GEN_VIEW_KEYSET_H

#include "view_repo.h"

enum { VK_DEFAULT_LIMIT = 50 };

/* The after_<col> parameters come from the cursor, not the caller. */
void vk_hide_cursor_params(vfunc *f, const m_query *q);
/* The prototype's outputs: cursor in, limit, rows, next cursor out. */
const char *vk_outputs(gen_arena *a, const char *row);
/* The sc_keyset descriptor as the template prints it. */
json_t *vk_keyset_view(const vfunc *f, const m_query *q, const char *row);
/* Body: the cursor decoded into the after_ members (before the variant is
 * chosen: their fragment is on when a cursor was given). */
void vk_decode_cursor(vfunc *f, const m_query *q);
/* Body: the page, one row more to know whether a next cursor is due. */
void vk_call_many(vfunc *f);
const char *vk_comment(gen_arena *a, const m_query *q, const char *comment);
/* <query>_cursor(arena, last, &cursor, err). */
json_t *vk_cursor_function(const vfunc *f, const char *row);

#endif
