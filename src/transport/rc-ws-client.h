/*
 * Copyright 2026 roomcast developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <libsoup/soup.h>

#include "engine/rc-engine.h"

G_BEGIN_DECLS

/* One /ws connection: it reads the client's JSON frames, calls the engine for them,
 * and, as an RcMember, writes room events and replies through its send queue. */
#define RC_TYPE_WS_CLIENT (rc_ws_client_get_type())
G_DECLARE_FINAL_TYPE(RcWsClient, rc_ws_client, RC, WS_CLIENT, GObject)

/* @io_stream is the RcClientIOStream under @conn */
RcWsClient *rc_ws_client_new(RcEngine *engine,
			     SoupWebsocketConnection *conn,
			     GIOStream *io_stream,
			     const gchar *id,
			     const gchar *sender,
			     const gchar *peer,
			     GStrv room_globs);
/* sends the hello frame and joins the engine */
void rc_ws_client_start(RcWsClient *self);

G_END_DECLS
