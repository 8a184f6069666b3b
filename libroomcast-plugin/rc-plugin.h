/*
 * Copyright 2026 roomcast developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <gmodule.h>
#include <glib-object.h>

#include "rc-auth-request.h"
#include "rc-filter-message.h"
#include "rc-identity.h"
#include "rc-plugin-error.h"

G_BEGIN_DECLS

/* Bumped whenever a change to this SDK would break a plugin built against an older
 * one; roomcastd refuses a plugin built for another number. */
#define RC_PLUGIN_ABI_VERSION 1

/* A plugin: subclass RcPlugin and set the hooks you need in class_init. A class
 * that sets authenticate is an auth plugin, one that sets filter is a filter plugin;
 * one class may be both. */
#define RC_TYPE_PLUGIN (rc_plugin_get_type())
G_DECLARE_DERIVABLE_TYPE(RcPlugin, rc_plugin, RC, PLUGIN, GObject)

struct _RcPluginClass {
	GObjectClass parent_class;

	/* Reads the plugin's settings from @group ("plugin:NAME") of @keyfile. Called once,
	 * before any other hook. FALSE stops the daemon (exit 1) with the error's message.
	 * On ReloadConfig a new instance is started with the new file and replaces this
	 * one only when every plugin started. */
	gboolean (*startup)(RcPlugin *self, GKeyFile *keyfile, const gchar *group, GError **error);
	/* Accepts the upgrade request by setting at least the sender of @identity, or
	 * refuses it with RC_PLUGIN_ERROR_UNAUTHORIZED (HTTP 401, the next auth plugin is
	 * asked) or RC_PLUGIN_ERROR_FORBIDDEN (HTTP 403, final). */
	gboolean (*authenticate)(RcPlugin *self,
				 RcAuthRequest *request,
				 RcIdentity *identity,
				 GError **error);
	/* Passes the message (TRUE), rewrites it with rc_filter_message_set_text(), or
	 * refuses it with RC_PLUGIN_ERROR_REJECTED or RC_PLUGIN_ERROR_RATE_LIMITED and a
	 * reason the sender gets to read. */
	gboolean (*filter)(RcPlugin *self, RcFilterMessage *message, GError **error);
	/* A WebSocket connection closed: forget what was kept about it. */
	void (*connection_closed)(RcPlugin *self, const gchar *connection_id);
	/* The keys startup reads from its group, NULL-terminated, or NULL. When set,
	 * roomcastd names every other key of the group as unknown (with the key it
	 * probably meant): a warning at start and on reload, and a problem for
	 * --check-config, as for its own groups. */
	const gchar *const *settings;

	/*< private >*/
	gpointer padding[15];
};

/* What the entry symbol of a plugin module returns. abi_version stays the first field
 * in every ABI so that the daemon can always read it. */
typedef struct {
	guint32 abi_version;
	const gchar *name;
	GType (*get_type)(void);
	/*< private >*/
	gpointer padding[4];
} RcPluginInfo;

#define RC_PLUGIN_ENTRY_SYMBOL "rc_plugin_get_info"

/* Put once in the plugin's .c file: RC_PLUGIN_DEFINE("my-plugin", my_plugin_get_type)
 * The name must match the module's file name (my-plugin.so). */
#define RC_PLUGIN_DEFINE(plugin_name, type_get_func)                                               \
	G_MODULE_EXPORT const RcPluginInfo *rc_plugin_get_info(void);                              \
	G_MODULE_EXPORT const RcPluginInfo *rc_plugin_get_info(void)                               \
	{                                                                                          \
		static const RcPluginInfo info = {                                                 \
		    .abi_version = RC_PLUGIN_ABI_VERSION,                                          \
		    .name = (plugin_name),                                                         \
		    .get_type = (type_get_func),                                                   \
		};                                                                                 \
		return &info;                                                                      \
	}

/* the name the plugin was loaded as (its "name" property) */
const gchar *rc_plugin_get_name(RcPlugin *self);
gboolean rc_plugin_is_auth(RcPlugin *self);
gboolean rc_plugin_is_filter(RcPlugin *self);

/* Call the class hooks; used by the daemon and handy in a plugin's own tests. */
gboolean rc_plugin_startup(RcPlugin *self, GKeyFile *keyfile, const gchar *group, GError **error);
/* the class's settings, NULL when it does not list them */
const gchar *const *rc_plugin_get_settings(RcPlugin *self);
gboolean rc_plugin_authenticate(RcPlugin *self,
				RcAuthRequest *request,
				RcIdentity *identity,
				GError **error);
gboolean rc_plugin_filter(RcPlugin *self, RcFilterMessage *message, GError **error);
void rc_plugin_connection_closed(RcPlugin *self, const gchar *connection_id);

G_END_DECLS
