/*
 * Copyright 2026 roomcast developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#define G_LOG_DOMAIN "RcPluginSdk"

#include <glib/gi18n.h>

#include "rc-plugin.h"

typedef struct {
	gchar *name;
} RcPluginPrivate;

G_DEFINE_TYPE_WITH_PRIVATE(RcPlugin, rc_plugin, G_TYPE_OBJECT)

enum {
	PROP_0,
	PROP_NAME,
	N_PROPS,
};

static GParamSpec *props[N_PROPS];

static void
rc_plugin_finalize(GObject *object)
{
	RcPluginPrivate *priv = rc_plugin_get_instance_private(RC_PLUGIN(object));

	g_free(priv->name);
	G_OBJECT_CLASS(rc_plugin_parent_class)->finalize(object);
}

static void
rc_plugin_get_property(GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
	RcPluginPrivate *priv = rc_plugin_get_instance_private(RC_PLUGIN(object));

	switch (prop_id) {
	case PROP_NAME:
		g_value_set_string(value, priv->name);
		break;
	default:
		G_OBJECT_WARN_INVALID_PROPERTY_ID(object, prop_id, pspec);
	}
}

static void
rc_plugin_set_property(GObject *object, guint prop_id, const GValue *value, GParamSpec *pspec)
{
	RcPluginPrivate *priv = rc_plugin_get_instance_private(RC_PLUGIN(object));

	switch (prop_id) {
	case PROP_NAME:
		g_free(priv->name);
		priv->name = g_value_dup_string(value);
		break;
	default:
		G_OBJECT_WARN_INVALID_PROPERTY_ID(object, prop_id, pspec);
	}
}

static void
rc_plugin_class_init(RcPluginClass *klass)
{
	GObjectClass *object_class = G_OBJECT_CLASS(klass);

	object_class->finalize = rc_plugin_finalize;
	object_class->get_property = rc_plugin_get_property;
	object_class->set_property = rc_plugin_set_property;

	props[PROP_NAME] = g_param_spec_string("name",
					       NULL,
					       NULL,
					       NULL,
					       G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY |
						   G_PARAM_STATIC_STRINGS);
	g_object_class_install_properties(object_class, N_PROPS, props);
}

static void
rc_plugin_init(RcPlugin *self)
{
}

const gchar *
rc_plugin_get_name(RcPlugin *self)
{
	RcPluginPrivate *priv;

	g_return_val_if_fail(RC_IS_PLUGIN(self), NULL);

	priv = rc_plugin_get_instance_private(self);
	return priv->name;
}

gboolean
rc_plugin_is_auth(RcPlugin *self)
{
	g_return_val_if_fail(RC_IS_PLUGIN(self), FALSE);

	return RC_PLUGIN_GET_CLASS(self)->authenticate != NULL;
}

gboolean
rc_plugin_is_filter(RcPlugin *self)
{
	g_return_val_if_fail(RC_IS_PLUGIN(self), FALSE);

	return RC_PLUGIN_GET_CLASS(self)->filter != NULL;
}

const gchar *const *
rc_plugin_get_settings(RcPlugin *self)
{
	g_return_val_if_fail(RC_IS_PLUGIN(self), NULL);

	return RC_PLUGIN_GET_CLASS(self)->settings;
}

gboolean
rc_plugin_startup(RcPlugin *self, GKeyFile *keyfile, const gchar *group, GError **error)
{
	RcPluginClass *klass;

	g_return_val_if_fail(RC_IS_PLUGIN(self), FALSE);
	g_return_val_if_fail(keyfile != NULL, FALSE);
	g_return_val_if_fail(group != NULL, FALSE);

	klass = RC_PLUGIN_GET_CLASS(self);
	if (klass->startup == NULL)
		return TRUE;
	return klass->startup(self, keyfile, group, error);
}

gboolean
rc_plugin_authenticate(RcPlugin *self, RcAuthRequest *request, RcIdentity *identity, GError **error)
{
	RcPluginClass *klass;

	g_return_val_if_fail(RC_IS_PLUGIN(self), FALSE);
	g_return_val_if_fail(RC_IS_AUTH_REQUEST(request), FALSE);
	g_return_val_if_fail(RC_IS_IDENTITY(identity), FALSE);

	klass = RC_PLUGIN_GET_CLASS(self);
	if (klass->authenticate == NULL) {
		/* never let a misconfigured hook open the door */
		g_set_error_literal(error,
				    RC_PLUGIN_ERROR,
				    RC_PLUGIN_ERROR_UNAUTHORIZED,
				    _("plugin has no authenticate hook"));
		return FALSE;
	}
	return klass->authenticate(self, request, identity, error);
}

gboolean
rc_plugin_filter(RcPlugin *self, RcFilterMessage *message, GError **error)
{
	RcPluginClass *klass;

	g_return_val_if_fail(RC_IS_PLUGIN(self), FALSE);
	g_return_val_if_fail(RC_IS_FILTER_MESSAGE(message), FALSE);

	klass = RC_PLUGIN_GET_CLASS(self);
	if (klass->filter == NULL)
		return TRUE;
	return klass->filter(self, message, error);
}

void
rc_plugin_connection_closed(RcPlugin *self, const gchar *connection_id)
{
	RcPluginClass *klass;

	g_return_if_fail(RC_IS_PLUGIN(self));
	g_return_if_fail(connection_id != NULL);

	klass = RC_PLUGIN_GET_CLASS(self);
	if (klass->connection_closed != NULL)
		klass->connection_closed(self, connection_id);
}
