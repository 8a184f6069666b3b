/*
 * Copyright 2026 roomcast developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

typedef struct _RcDaemon RcDaemon;

/* The errors of the admin API, registered as org.roomcast.Error.{Failed,NotFound,
 * InvalidArgs,Unavailable}; every RcError is mapped onto one of them. */
#define RC_DBUS_ERROR (rc_dbus_error_quark())
GQuark rc_dbus_error_quark(void);
typedef enum {
	RC_DBUS_ERROR_FAILED,
	RC_DBUS_ERROR_NOT_FOUND,
	RC_DBUS_ERROR_INVALID_ARGS,
	RC_DBUS_ERROR_UNAVAILABLE,
} RcDbusError;

/* Exports org.roomcast.Daemon at /org/roomcast for one RcDaemon. */
#define RC_TYPE_DBUS_ADMIN (rc_dbus_admin_get_type())
G_DECLARE_FINAL_TYPE(RcDbusAdmin, rc_dbus_admin, RC, DBUS_ADMIN, GObject)

RcDbusAdmin *rc_dbus_admin_new(RcDaemon *daemon);
/* Connects to @bus_type and owns @name without blocking; only an invalid @name fails
 * here. Failing to connect, losing the name or losing the bus later is only logged. */
gboolean
rc_dbus_admin_start(RcDbusAdmin *self, GBusType bus_type, const gchar *name, GError **error);
void rc_dbus_admin_stop(RcDbusAdmin *self);

G_END_DECLS
