/*
 * Copyright 2026 roomcast developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <gio/gio.h>

#include "engine/rc-engine.h"

G_BEGIN_DECLS

/* Exports org.roomcast.Daemon at /org/roomcast for one engine: methods call the
 * engine, signals and PropertiesChanged follow the engine's own signals. Errors are
 * the engine's, under their org.roomcast.Error.* names. */
#define RC_TYPE_DBUS_ADMIN (rc_dbus_admin_get_type())
G_DECLARE_FINAL_TYPE(RcDbusAdmin, rc_dbus_admin, RC, DBUS_ADMIN, GObject)

RcDbusAdmin *rc_dbus_admin_new(RcEngine *engine);
/* Connects to @bus_type and owns @name without blocking; only an invalid @name fails
 * here. Failing to connect, losing the name or losing the bus later is only logged. */
gboolean
rc_dbus_admin_start(RcDbusAdmin *self, GBusType bus_type, const gchar *name, GError **error);
void rc_dbus_admin_stop(RcDbusAdmin *self);

G_END_DECLS
