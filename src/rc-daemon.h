/*
 * Copyright 2026 roomcast developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <gio/gio.h>

#include "rc-config.h"
#include "rc-message.h"
#include "rooms/rc-room.h"
#include "transport/rc-client.h"

G_BEGIN_DECLS

#define RC_TYPE_DAEMON (rc_daemon_get_type())
G_DECLARE_FINAL_TYPE(RcDaemon, rc_daemon, RC, DAEMON, GObject)

/* Errors the admin surfaces (D-Bus, HTTP) map to their own codes. */
#define RC_ERROR (rc_error_quark())
GQuark rc_error_quark(void);
typedef enum {
	RC_ERROR_FAILED,
	RC_ERROR_NOT_FOUND,
	RC_ERROR_INVALID_ARGS, /* bad_request */
	RC_ERROR_UNAVAILABLE,  /* bus down, nothing was sent */
	RC_ERROR_TOO_LARGE,
	RC_ERROR_FORBIDDEN,
	RC_ERROR_REJECTED,     /* a filter plugin refused it */
	RC_ERROR_RATE_LIMITED,
	RC_ERROR_NOT_JOINED,
	RC_ERROR_UNAUTHORIZED,
} RcError;

/* Where a published message came from; filters may treat them differently. */
typedef enum {
	RC_SOURCE_WEBSOCKET,
	RC_SOURCE_HTTP,
	RC_SOURCE_DBUS,
} RcSource;

RcDaemon *rc_daemon_new(RcConfig *config);
/* binds, connects the bus, loads plugins, exports D-Bus; error code RC_ERROR_FAILED
 * for config/plugin problems (exit 1), G_IO_ERROR_* from binding (exit 2) */
gboolean rc_daemon_start(RcDaemon *self, GError **error);
/* closes every client with 1001, flushes, then returns via callback */
void rc_daemon_shutdown_async(RcDaemon *self, GAsyncReadyCallback callback, gpointer user_data);
gboolean rc_daemon_shutdown_finish(RcDaemon *self, GAsyncResult *res, GError **error);
gboolean rc_daemon_reload_config(RcDaemon *self, GError **error);

RcConfig *rc_daemon_get_config(RcDaemon *self);
const gchar *rc_daemon_get_node_id(RcDaemon *self);
guint rc_daemon_get_port(RcDaemon *self);
guint rc_daemon_get_connections(RcDaemon *self);
guint rc_daemon_get_n_rooms(RcDaemon *self);
gboolean rc_daemon_get_redis_connected(RcDaemon *self);
gboolean rc_daemon_is_embedded(RcDaemon *self);
guint64 rc_daemon_get_messages_received(RcDaemon *self);
guint64 rc_daemon_get_messages_delivered(RcDaemon *self);
/* names of the loaded plugins, in load order; never NULL */
GStrv rc_daemon_get_plugin_names(RcDaemon *self);

/* (element-type RcRoom) (transfer container) */
GPtrArray *rc_daemon_list_rooms(RcDaemon *self);
RcRoom *rc_daemon_lookup_room(RcDaemon *self, const gchar *ns, const gchar *room_code);
RcClient *rc_daemon_lookup_client(RcDaemon *self, const gchar *client_id);

gboolean rc_daemon_kick_client(RcDaemon *self,
			       const gchar *client_id,
			       const gchar *reason,
			       GError **error);
/* every local member gets {"type":"left",...,"reason"} and stays connected */
gboolean rc_daemon_close_room(RcDaemon *self,
			      const gchar *ns,
			      const gchar *room_code,
			      const gchar *reason,
			      guint *removed,
			      GError **error);

/* validates, runs the filter plugins, publishes on the bus; finishes with the
 * message id once the bus accepted it. @client is the sending connection or NULL. */
void rc_daemon_publish_async(RcDaemon *self,
			     const gchar *ns,
			     const gchar *room_code,
			     const gchar *sender,
			     const gchar *text,
			     RcSource source,
			     RcClient *client,
			     GCancellable *cancellable,
			     GAsyncReadyCallback callback,
			     gpointer user_data);
gchar *rc_daemon_publish_finish(RcDaemon *self, GAsyncResult *res, GError **error);

G_END_DECLS
