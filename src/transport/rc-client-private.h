/*
 * Copyright 2026 roomcast developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include "transport/rc-client.h"

G_BEGIN_DECLS

typedef struct _RcDaemon RcDaemon;

RcClient *rc_client_new(RcDaemon *daemon,
			SoupWebsocketConnection *conn,
			GIOStream *io_stream,
			GSocket *socket,
			const gchar *id,
			const gchar *sender,
			const gchar *peer,
			GStrv room_globs);
void rc_client_send_hello(RcClient *self, const gchar *node_id);
/* TRUE when the auth plugin allows this room (no globs: every room) */
gboolean rc_client_may_use_room(RcClient *self, const gchar *room_code);
gboolean rc_client_in_room(RcClient *self, RcRoom *room);
void rc_client_add_room(RcClient *self, RcRoom *room);
void rc_client_remove_room(RcClient *self, RcRoom *room);
/* (element-type RcRoom) (transfer container) */
GPtrArray *rc_client_get_rooms(RcClient *self);

G_END_DECLS
