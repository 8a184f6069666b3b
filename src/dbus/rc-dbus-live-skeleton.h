/*
 * Copyright 2026 roomcast developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include "dbus/rc-dbus-generated.h"

G_BEGIN_DECLS

/* The generated org.roomcast.Daemon skeleton, with properties read live: a Get or
 * GetAll asks @func for the current value instead of answering from the values
 * last set on the skeleton. PropertiesChanged is then the owner's business
 * (rc_dbus_live_skeleton_emit_changed()), so it can be coalesced without making
 * the values stale. */
#define RC_TYPE_DBUS_LIVE_SKELETON (rc_dbus_live_skeleton_get_type())
G_DECLARE_FINAL_TYPE(RcDbusLiveSkeleton,
		     rc_dbus_live_skeleton,
		     RC,
		     DBUS_LIVE_SKELETON,
		     RcDbusDaemonSkeleton)

/* returns the value of property @name (floating or full), NULL when unknown */
typedef GVariant *(*RcDbusPropertyFunc)(const gchar *name, gpointer user_data);

RcDbusLiveSkeleton *rc_dbus_live_skeleton_new(RcDbusPropertyFunc func, gpointer user_data);
/* emits PropertiesChanged with @changed (a{sv}, floating is fine) on every connection */
void rc_dbus_live_skeleton_emit_changed(RcDbusLiveSkeleton *self, GVariant *changed);

G_END_DECLS
