/*
 * Copyright 2026 roomcast developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <libsoup/soup.h>

#include "rooms/rc-room.h"

G_BEGIN_DECLS

/* One WebSocket connection: its identity, its rooms and its send queue. */
#define RC_TYPE_CLIENT (rc_client_get_type())
G_DECLARE_FINAL_TYPE(RcClient, rc_client, RC, CLIENT, GObject)

const gchar *rc_client_get_id(RcClient *self);
const gchar *rc_client_get_sender(RcClient *self);
/* "ADDR:PORT" of the peer */
const gchar *rc_client_get_peer(RcClient *self);
/* bytes handed to the connection and not yet written to its socket */
gsize rc_client_get_queued_bytes(RcClient *self);
/* @frame is a complete WebSocket frame, shared between recipients: never copied */
void rc_client_send_frame(RcClient *self, GBytes *frame);
/* frames one JSON text and sends it (for replies to one client) */
void rc_client_send_json(RcClient *self, GBytes *json);
/* close with a WebSocket close code and reason */
void rc_client_close(RcClient *self, gushort code, const gchar *reason);
/* remove from @room as an admin would, telling the client {"type":"left",...,"reason"} */
void rc_client_force_leave(RcClient *self, RcRoom *room, const gchar *reason);

G_END_DECLS
