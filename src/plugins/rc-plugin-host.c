/*
 * Copyright 2026 roomcast developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * STUB: no plugins yet; replaced by the real GModule host.
 */
#define G_LOG_DOMAIN "RcPluginHost"

#include "config.h"

#include "rc-daemon.h"
#include "rc-plugin-host.h"

struct _RcPluginHost {
	GObject parent_instance;
};

G_DEFINE_TYPE(RcPluginHost, rc_plugin_host, G_TYPE_OBJECT)

static void
rc_plugin_host_class_init(RcPluginHostClass *klass)
{
}

static void
rc_plugin_host_init(RcPluginHost *self)
{
}

RcPluginHost *
rc_plugin_host_new(void)
{
	return g_object_new(RC_TYPE_PLUGIN_HOST, NULL);
}

gboolean
rc_plugin_host_load(RcPluginHost *self,
		    const gchar *dir,
		    const gchar *const *names,
		    GKeyFile *keyfile,
		    GError **error)
{
	if (names != NULL && names[0] != NULL) {
		g_set_error(error, RC_ERROR, RC_ERROR_FAILED, "plugin %s: plugins not supported yet", names[0]);
		return FALSE;
	}
	return TRUE;
}

gboolean
rc_plugin_host_reload(RcPluginHost *self, GKeyFile *keyfile, GError **error)
{
	return TRUE;
}

GStrv
rc_plugin_host_get_names(RcPluginHost *self)
{
	return g_new0(gchar *, 1);
}

gboolean
rc_plugin_host_has_auth(RcPluginHost *self)
{
	return FALSE;
}

gboolean
rc_plugin_host_authenticate(RcPluginHost *self,
			    SoupServerMessage *msg,
			    gchar **sender,
			    GStrv *room_globs,
			    GError **error)
{
	*sender = NULL;
	*room_globs = NULL;
	return TRUE;
}

gboolean
rc_plugin_host_filter(RcPluginHost *self,
		      gint source,
		      const gchar *connection_id,
		      const gchar *ns,
		      const gchar *room_code,
		      const gchar *sender,
		      gchar **text,
		      GError **error)
{
	return TRUE;
}

void
rc_plugin_host_connection_closed(RcPluginHost *self, const gchar *connection_id)
{
}
