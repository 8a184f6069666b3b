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
/* stops accepting new connections */
void rc_server_stop(RcServer *self);

G_END_DECLS
