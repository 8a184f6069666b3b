/*
 * Copyright 2026 roomcast developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <libsoup/soup.h>

#include "engine/rc-engine.h"

G_BEGIN_DECLS

/* The HTTP side of a node: the WebSocket upgrade at /ws, /publish, /healthz,
 * /metrics and the web client, on one SoupServer. */
#define RC_TYPE_SERVER (rc_server_get_type())
G_DECLARE_FINAL_TYPE(RcServer, rc_server, RC, SERVER, GObject)

RcServer *rc_server_new(RcEngine *engine);
/* G_IO_ERROR_* when the address cannot be bound */
gboolean rc_server_listen(RcServer *self,
			  const gchar *address,
			  guint port,
			  gboolean reuse_port,
			  GError **error);
guint rc_server_get_port(RcServer *self);
/* TRUE when the port speaks TLS ([server] tls_certificate and tls_key) */
gboolean rc_server_is_tls(RcServer *self);
/* stops accepting new connections */
void rc_server_stop(RcServer *self);

/* A route that another front end serves on this server. Its requests get the node's
 * own checks first (framing, Host, Origin); then @early sees the headers of those
 * that passed, before any body is read, and may refuse them
 * (rc_http_connection_refuse()); @has_body with @length 0 means chunked. */
typedef void (*RcServerEarlyFunc)(SoupServerMessage *msg,
				  const gchar *path,
				  gboolean has_body,
				  guint64 length,
				  gpointer user_data);
void rc_server_add_route(RcServer *self,
			 const gchar *path,
			 RcServerEarlyFunc early,
			 SoupServerCallback callback,
			 gpointer user_data);

/* Gets a WebSocket connection once its 101 is on the wire: @stream is the
 * RcClientIOStream under @conn; the node's frame limit is set on @conn. */
typedef void (*RcServerUpgradeFunc)(SoupWebsocketConnection *conn,
				    GIOStream *stream,
				    const gchar *peer,
				    gpointer user_data);
/* Answers @msg, a WebSocket handshake the caller checked and accepts, with the
 * 101; @func runs once it is written (never when the client went away first).
 * FALSE with a 400 set on @msg when the handshake is not one. @destroy frees
 * @user_data in every case. */
gboolean rc_server_accept_websocket(RcServer *self,
				    SoupServerMessage *msg,
				    RcServerUpgradeFunc func,
				    gpointer user_data,
				    GDestroyNotify destroy);
/* Counts and logs (rate-limited, at info level) the refusal of @msg with @status
 * when it is a WebSocket upgrade; nothing for other requests. The caller sets the
 * answer itself. */
void rc_server_note_refused_upgrade(SoupServerMessage *msg, guint status, const gchar *reason);

G_END_DECLS
