/*
 * Copyright 2026 roomcast developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#define G_LOG_DOMAIN "RcDbusAdmin"

#include "config.h"

#include "dbus/rc-dbus-live-skeleton.h"

struct _RcDbusLiveSkeleton {
	RcDbusDaemonSkeleton parent_instance;
	RcDbusPropertyFunc func;
	gpointer user_data;
};

G_DEFINE_TYPE(RcDbusLiveSkeleton, rc_dbus_live_skeleton, RC_DBUS_TYPE_DAEMON_SKELETON)

static GVariant *
rc_dbus_live_skeleton_get_property(GDBusConnection *connection,
				   const gchar *sender,
				   const gchar *object_path,
				   const gchar *interface_name,
				   const gchar *property_name,
				   GError **error,
				   gpointer user_data)
{
	RcDbusLiveSkeleton *self = RC_DBUS_LIVE_SKELETON(user_data);
	GVariant *value = self->func(property_name, self->user_data);
	if (value == NULL)
		g_set_error(error,
			    G_DBUS_ERROR,
			    G_DBUS_ERROR_UNKNOWN_PROPERTY,
			    "No property %s",
			    property_name);
	return value;
}

/* the generated method dispatch, with our property getter */
static GDBusInterfaceVTable *
rc_dbus_live_skeleton_get_vtable(GDBusInterfaceSkeleton *skeleton)
{
	static GDBusInterfaceVTable vtable;
	if (vtable.method_call == NULL) {
		GDBusInterfaceVTable *parent =
		    G_DBUS_INTERFACE_SKELETON_CLASS(rc_dbus_live_skeleton_parent_class)
			->get_vtable(skeleton);
		vtable = *parent;
		vtable.get_property = rc_dbus_live_skeleton_get_property;
	}
	return &vtable;
}

static GVariant *
rc_dbus_live_skeleton_get_properties(GDBusInterfaceSkeleton *skeleton)
{
	RcDbusLiveSkeleton *self = RC_DBUS_LIVE_SKELETON(skeleton);
	GDBusInterfaceInfo *info = g_dbus_interface_skeleton_get_info(skeleton);
	GVariantBuilder builder;

	g_variant_builder_init(&builder, G_VARIANT_TYPE_VARDICT);
	for (guint i = 0; info->properties != NULL && info->properties[i] != NULL; i++) {
		const gchar *name = info->properties[i]->name;
		GVariant *value = self->func(name, self->user_data);
		if (value != NULL)
			g_variant_builder_add(&builder, "{sv}", name, value);
	}
	return g_variant_builder_end(&builder);
}

void
rc_dbus_live_skeleton_emit_changed(RcDbusLiveSkeleton *self, GVariant *changed)
{
	GDBusInterfaceSkeleton *skeleton = G_DBUS_INTERFACE_SKELETON(self);
	g_autoptr(GVariant) args =
	    g_variant_ref_sink(g_variant_new("(s@a{sv}as)",
					     g_dbus_interface_skeleton_get_info(skeleton)->name,
					     changed,
					     NULL));
	GList *connections = g_dbus_interface_skeleton_get_connections(skeleton);

	for (GList *l = connections; l != NULL; l = l->next) {
		g_autoptr(GError) error = NULL;
		if (!g_dbus_connection_emit_signal(l->data,
						   NULL,
						   g_dbus_interface_skeleton_get_object_path(skeleton),
						   "org.freedesktop.DBus.Properties",
						   "PropertiesChanged",
						   args,
						   &error))
			g_debug("PropertiesChanged not sent: %s", error->message);
	}
	g_list_free_full(connections, g_object_unref);
}

static void
rc_dbus_live_skeleton_class_init(RcDbusLiveSkeletonClass *klass)
{
	GDBusInterfaceSkeletonClass *skeleton_class = G_DBUS_INTERFACE_SKELETON_CLASS(klass);
	skeleton_class->get_vtable = rc_dbus_live_skeleton_get_vtable;
	skeleton_class->get_properties = rc_dbus_live_skeleton_get_properties;
}

static void
rc_dbus_live_skeleton_init(RcDbusLiveSkeleton *self)
{
}

RcDbusLiveSkeleton *
rc_dbus_live_skeleton_new(RcDbusPropertyFunc func, gpointer user_data)
{
	RcDbusLiveSkeleton *self = g_object_new(RC_TYPE_DBUS_LIVE_SKELETON, NULL);
	self->func = func;
	self->user_data = user_data;
	return self;
}
