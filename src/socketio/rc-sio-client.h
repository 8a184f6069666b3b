/*
 * Copyright 2026 roomcast developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include "engine/rc-engine.h"
#include "socketio/rc-sio-connection.h"
#include "socketio/rc-sio-packet.h"

G_BEGIN_DECLS

/* One Socket.IO namespace connection, a member of the engine like a /ws client: it
 * turns the client's events (join, leave, send, who, history) into the same engine
 * calls and answers their acks, and writes room events as Socket.IO events
 * (MSG_TO_CLIENTS, presence, left) through the connection's session.
 *
 * Its namespace is the roomcast namespace of every room it uses; its id is the
 * socket id the client is given. */
#define RC_TYPE_SIO_CLIENT (rc_sio_client_get_type())
G_DECLARE_FINAL_TYPE(RcSioClient, rc_sio_client, RC, SIO_CLIENT, GObject)

/* @connection is not owned: it lets go of the client with rc_sio_client_detach() */
RcSioClient *rc_sio_client_new(RcEngine *engine,
			       RcSioConnection *connection,
			       const gchar *nsp,
			       const gchar *id,
			       const gchar *sender,
			       const gchar *peer,
			       GStrv room_globs);
const gchar *rc_sio_client_get_namespace(RcSioClient *self);
/* the connection is gone: nothing more is sent, late answers are dropped */
void rc_sio_client_detach(RcSioClient *self);
/* an EVENT packet of its namespace */
void rc_sio_client_handle_event(RcSioClient *self, const RcSioPacket *packet);
/* a binary event, which is refused with an error event (and its ack, if any) */
void rc_sio_client_refuse_binary(RcSioClient *self, gint64 ack_id);

/* one Engine.IO message packet ("4" and the Socket.IO packet), for @nsp */
GBytes *rc_sio_client_build_packet(RcSioPacketType type,
				   const gchar *nsp,
				   gint64 ack_id,
				   const gchar *json);

G_END_DECLS
