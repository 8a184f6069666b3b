/*
 * Copyright 2026 roomcast developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * STUB: replaced by the real D-Bus admin object.
 */
#define G_LOG_DOMAIN "RcDbusAdmin"

#include "config.h"

#include "rc-daemon.h"
#include "dbus/rc-dbus-admin.h"

struct _RcDbusAdmin {
	GObject parent_instance;
	RcDaemon *daemon; /* not owned: the daemon owns us */
};

G_DEFINE_TYPE(RcDbusAdmin, rc_dbus_admin, G_TYPE_OBJECT)

static void
rc_dbus_admin_class_init(RcDbusAdminClass *klass)
{
}

static void
rc_dbus_admin_init(RcDbusAdmin *self)
{
}

RcDbusAdmin *
rc_dbus_admin_new(RcDaemon *daemon)
{
	RcDbusAdmin *self = g_object_new(RC_TYPE_DBUS_ADMIN, NULL);
	self->daemon = daemon;
	return self;
}

gboolean
rc_dbus_admin_start(RcDbusAdmin *self, GBusType bus_type, const gchar *name, GError **error)
{
	return TRUE;
}

void
rc_dbus_admin_stop(RcDbusAdmin *self)
{
}
