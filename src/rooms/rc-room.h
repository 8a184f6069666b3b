/*
 * Copyright 2026 roomcast developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <glib-object.h>

#include "rc-message.h"

G_BEGIN_DECLS

typedef struct _RcClient RcClient;

#define RC_TYPE_ROOM (rc_room_get_type())
G_DECLARE_FINAL_TYPE(RcRoom, rc_room, RC, ROOM, GObject)

RcRoom *rc_room_new(const gchar *ns, const gchar *room_code);
const gchar *rc_room_get_namespace(RcRoom *self);
const gchar *rc_room_get_code(RcRoom *self);
/* "NS\nROOM": the registry's key, unambiguous since neither name holds a newline */
const gchar *rc_room_get_key(RcRoom *self);
guint rc_room_get_n_members(RcRoom *self);
/* messages delivered to this room on this node */
guint64 rc_room_get_n_messages(RcRoom *self);
/* (element-type RcClient) (transfer container) */
GPtrArray *rc_room_get_members(RcRoom *self);
gboolean rc_room_has_member(RcRoom *self, RcClient *client);
gboolean rc_room_add_member(RcRoom *self, RcClient *client);
gboolean rc_room_remove_member(RcRoom *self, RcClient *client);
/* sends the message's WebSocket frame, built once, to every member; returns recipients */
guint rc_room_broadcast(RcRoom *self, RcMessage *msg);

/* per-room bus subscription state, owned by the registry */
gboolean rc_room_get_ready(RcRoom *self);
void rc_room_set_ready(RcRoom *self, gboolean ready);

gchar *rc_room_make_key(const gchar *ns, const gchar *room_code);

G_END_DECLS
