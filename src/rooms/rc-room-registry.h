/*
 * Copyright 2026 roomcast developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include "rooms/rc-room.h"

G_BEGIN_DECLS

/* Who is in which room on this node: the one owner of membership. Rooms exist from
 * their first local member to their last (::room-added, ::room-removed); the
 * registry also knows each member's rooms, so leaving everything on disconnect and
 * counting a member's rooms cost nothing extra. */
#define RC_TYPE_ROOM_REGISTRY (rc_room_registry_get_type())
G_DECLARE_FINAL_TYPE(RcRoomRegistry, rc_room_registry, RC, ROOM_REGISTRY, GObject)

RcRoomRegistry *rc_room_registry_new(void);
RcRoom *rc_room_registry_lookup(RcRoomRegistry *self, const gchar *ns, const gchar *room_code);
guint rc_room_registry_get_size(RcRoomRegistry *self);
/* (element-type RcRoom) (transfer container) */
GPtrArray *rc_room_registry_list(RcRoomRegistry *self);

/* adds @member to the room (created when needed) as a pending member, or returns
 * its existing membership; @created says whether it was new */
RcMembership *rc_room_registry_join(RcRoomRegistry *self,
				    RcMember *member,
				    const gchar *ns,
				    const gchar *room_code,
				    gboolean *created);
RcMembership *rc_room_registry_lookup_membership(RcRoomRegistry *self,
						 RcMember *member,
						 const gchar *ns,
						 const gchar *room_code);
/* FALSE when @member was not in @room; drops the room after its last member */
gboolean rc_room_registry_leave(RcRoomRegistry *self, RcMember *member, RcRoom *room);
/* the rooms @member is in (element-type RcRoom) (transfer container) */
GPtrArray *rc_room_registry_get_rooms_of(RcRoomRegistry *self, RcMember *member);
guint rc_room_registry_count_rooms_of(RcRoomRegistry *self, RcMember *member);

G_END_DECLS
