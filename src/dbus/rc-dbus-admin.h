/*
 * Copyright 2026 roomcast developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

typedef struct _RcDaemon RcDaemon;

/* Exports org.roomcast.Daemon at /org/roomcast for one RcDaemon. */
#define RC_TYPE_DBUS_ADMIN (rc_dbus_admin_get_type())
G_DECLARE_FINAL_TYPE(RcDbusAdmin, rc_dbus_admin, RC, DBUS_ADMIN, GObject)

RcDbusAdmin *rc_dbus_admin_new(RcDaemon *daemon);
/* connects to @bus_type and owns @name; losing either later is only logged */
gboolean rc_dbus_admin_start(RcDbusAdmin *self, GBusType bus_type, const gchar *name, GError **error);
void rc_dbus_admin_stop(RcDbusAdmin *self);

G_END_DECLS
