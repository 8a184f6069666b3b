/*
 * Copyright 2026 roomcast developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <libsoup/soup.h>

#include "engine/rc-engine.h"
#include "socketio/rc-eio-session.h"

G_BEGIN_DECLS

/* The Socket.IO side of one Engine.IO session: it reads the session's message
 * packets as Socket.IO packets, connects the namespaces the client asks for (each
 * an RcSioClient, a member of the engine, after the auth plugins said yes) and
 * hands their events to them. A malformed packet ends the session.
 *
 * It keeps what auth plugins see of the client: the headers, query and peer of the
 * request that opened the session (a CONNECT's auth.token is added to them). */
#define RC_TYPE_SIO_CONNECTION (rc_sio_connection_get_type())
G_DECLARE_FINAL_TYPE(RcSioConnection, rc_sio_connection, RC, SIO_CONNECTION, GObject)

/* @session is not owned and must outlive the connection */
RcSioConnection *rc_sio_connection_new(RcEngine *engine,
				       RcEioSession *session,
				       SoupMessageHeaders *headers,
				       GHashTable *query);
/* what the session's "packet" signal carries: its owner hands it over (the
 * owner finds the connection for a session; see RcEioServer) */
void rc_sio_connection_handle_packet(RcSioConnection *self,
				     gboolean binary,
				     gconstpointer data,
				     guint64 len);
/* the session's "closed": lets go of the members, before the owner drops the session */
void rc_sio_connection_session_closed(RcSioConnection *self);
/* NULL once the session closed */
RcEioSession *rc_sio_connection_get_session(RcSioConnection *self);
/* the namespace's client was disconnected by the server: it is forgotten */
void rc_sio_connection_forget(RcSioConnection *self, const gchar *nsp);

G_END_DECLS
