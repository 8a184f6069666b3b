/*
 * Copyright 2026 roomcast developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include "engine/rc-engine.h"
#include "transport/rc-server.h"

G_BEGIN_DECLS

/* Engine.IO at /socket.io/ on a node's HTTP server: the handshake, the sessions by
 * sid with their polling requests and WebSockets, and their heartbeat (one timer for
 * every session of the node). Each session speaks Socket.IO through an
 * RcSioConnection. Sessions live in this process only: a client's polling requests
 * must all reach the node that opened its session. */
#define RC_TYPE_EIO_SERVER (rc_eio_server_get_type())
G_DECLARE_FINAL_TYPE(RcEioServer, rc_eio_server, RC, EIO_SERVER, GObject)

/* mounts /socket.io/ on @server */
RcEioServer *rc_eio_server_new(RcEngine *engine, RcServer *server);
/* refuses new sessions and closes every session (WebSockets with 1001) */
void rc_eio_server_stop(RcEioServer *self);
guint rc_eio_server_get_n_sessions(RcEioServer *self);

G_END_DECLS
