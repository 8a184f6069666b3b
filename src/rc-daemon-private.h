/*
 * Copyright 2026 roomcast developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include "plugins/rc-plugin-host.h"
#include "rc-daemon.h"

G_BEGIN_DECLS

/* What the transport asks of the daemon; not for plugins or the D-Bus layer. */
RcPluginHost *rc_daemon_get_plugin_host(RcDaemon *self);
gchar *rc_daemon_new_client_id(RcDaemon *self);
void rc_daemon_add_client(RcDaemon *self, RcClient *client);
void rc_daemon_remove_client(RcDaemon *self, RcClient *client);
/* replies joined (maybe later, once the bus carries the room) */
void rc_daemon_client_join(RcDaemon *self,
			   RcClient *client,
			   const gchar *ns,
			   const gchar *room_code,
			   const gchar *ref);
void rc_daemon_client_leave(RcDaemon *self, RcClient *client, RcRoom *room);
const gchar *rc_daemon_get_bus_state(RcDaemon *self);
guint64 rc_daemon_get_invalid_payloads(RcDaemon *self);
guint64 rc_daemon_get_slow_consumers(RcDaemon *self);
void rc_daemon_count_slow_consumer(RcDaemon *self);
/* maps an error from publishing to the wire protocol's error code */
const gchar *rc_daemon_error_to_code(const GError *error);

G_END_DECLS
