/*
 * Copyright 2026 roomcast developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <gio/gio.h>

#include "rc-config.h"

G_BEGIN_DECLS

/* roomcastd as a whole: the engine and the front ends built on it (the HTTP and
 * WebSocket server, the D-Bus admin API), started and stopped in order. */
#define RC_TYPE_DAEMON (rc_daemon_get_type())
G_DECLARE_FINAL_TYPE(RcDaemon, rc_daemon, RC, DAEMON, GObject)

RcDaemon *rc_daemon_new(RcConfig *config);
/* loads plugins, binds, connects the bus, exports D-Bus. Errors: RC_ERROR for
 * configuration and plugin problems (exit 1), G_IO_ERROR from binding (exit 2) */
/* what --check-config checks beyond the file: plugins and Redis addresses, each
 * problem appended to @problems */
void rc_daemon_check(RcDaemon *self, GPtrArray *problems);
gboolean rc_daemon_start(RcDaemon *self, GError **error);
guint rc_daemon_get_port(RcDaemon *self);
/* TRUE when the node serves https:// and wss:// */
gboolean rc_daemon_is_tls(RcDaemon *self);
/* stops accepting, closes every client with 1001, then returns via callback; a call
 * while a shutdown is under way is ignored */
void rc_daemon_shutdown_async(RcDaemon *self, GAsyncReadyCallback callback, gpointer user_data);
gboolean rc_daemon_shutdown_finish(RcDaemon *self, GAsyncResult *res, GError **error);
gboolean rc_daemon_reload_config(RcDaemon *self, GError **error);

G_END_DECLS
