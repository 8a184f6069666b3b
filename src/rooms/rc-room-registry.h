/*
 * Copyright 2026 roomcast developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include "rooms/rc-room.h"

G_BEGIN_DECLS

/* The rooms that have local members, by (namespace, roomCode). A room exists from
 * its first local member to its last. */
#define RC_TYPE_ROOM_REGISTRY (rc_room_registry_get_type())
G_DECLARE_FINAL_TYPE(RcRoomRegistry, rc_room_registry, RC, ROOM_REGISTRY, GObject)

RcRoomRegistry *rc_room_registry_new(void);
RcRoom *rc_room_registry_lookup(RcRoomRegistry *self, const gchar *ns, const gchar *room_code);
RcRoom *rc_room_registry_lookup_key(RcRoomRegistry *self, const gchar *key);
/* emits ::room-added when it had to create the room */
RcRoom *rc_room_registry_ensure(RcRoomRegistry *self, const gchar *ns, const gchar *room_code);
/* emits ::room-removed and drops the room once it has no members */
void rc_room_registry_prune(RcRoomRegistry *self, RcRoom *room);
guint rc_room_registry_get_size(RcRoomRegistry *self);
/* (element-type RcRoom) (transfer container) */
GPtrArray *rc_room_registry_list(RcRoomRegistry *self);

G_END_DECLS
