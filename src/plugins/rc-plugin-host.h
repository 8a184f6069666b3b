/*
 * Copyright 2026 roomcast developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <gio/gio.h>
#include <roomcast-plugin.h>

#include "rc-config.h"

G_BEGIN_DECLS

/* Loads the GModule plugins and runs their auth and filter hooks for the daemon.
 * The daemon only talks to plugins through this object. */
#define RC_TYPE_PLUGIN_HOST (rc_plugin_host_get_type())
G_DECLARE_FINAL_TYPE(RcPluginHost, rc_plugin_host, RC, PLUGIN_HOST, GObject)

RcPluginHost *rc_plugin_host_new(void);

/* Loads @names (in order), each from the first of @dirs (NULL-terminated) that has
 * it, and starts each with its [plugin:NAME] group of @keyfile. FALSE means the
 * daemon must not start (exit 1). */
gboolean rc_plugin_host_load(RcPluginHost *self,
			     const gchar *const *dirs,
			     const gchar *const *names,
			     GKeyFile *keyfile,
			     GError **error);
/* hands the plugins their new settings; on error the old ones stay */
gboolean rc_plugin_host_reload(RcPluginHost *self, GKeyFile *keyfile, GError **error);
/* one line per key of a loaded plugin's group that the plugin does not list
 * among its settings (plugins that list none are not checked) */
void rc_plugin_host_list_unknown_keys(RcPluginHost *self, RcConfig *config, GPtrArray *problems);
/* names of the loaded plugins, load order (transfer full) */
GStrv rc_plugin_host_get_names(RcPluginHost *self);
gboolean rc_plugin_host_has_auth(RcPluginHost *self);

/* Runs the auth plugins on an upgrade request. On success sets @sender (transfer full)
 * and @room_globs (transfer full, NULL when every room is allowed). On refusal returns
 * FALSE with RC_ERROR_UNAUTHORIZED (HTTP 401) or RC_ERROR_FORBIDDEN (HTTP 403). */
gboolean rc_plugin_host_authenticate_request(RcPluginHost *self,
					     RcAuthRequest *request,
					     gchar **sender,
					     GStrv *room_globs,
					     GError **error);

/* Runs the filter plugins in order. @source is an RcSource; @connection_id is the
 * WebSocket client id or NULL for HTTP/D-Bus. A filter may replace *@text.
 * Refusals are RC_ERROR_REJECTED or RC_ERROR_RATE_LIMITED. */
gboolean rc_plugin_host_filter(RcPluginHost *self,
			       gint source,
			       const gchar *connection_id,
			       const gchar *ns,
			       const gchar *room_code,
			       const gchar *sender,
			       gchar **text,
			       GError **error);
/* a WebSocket connection went away; plugins drop its state */
void rc_plugin_host_connection_closed(RcPluginHost *self, const gchar *connection_id);

G_END_DECLS
