/*
 * Copyright 2026 roomcast developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <glib-object.h>

G_BEGIN_DECLS

/* Connections listen to their objects' signals through emission hooks, not handlers:
 * a handler costs about 300 bytes per connection, a hook nothing. One hook per
 * signal serves every instance and finds what the instance belongs to through
 * qdata, which its owner sets and clears. */

/* hooks @hook to @signal of every instance of @type (whose class is made first:
 * its signals exist only once it is) */
void rc_signal_hook_add(GType type, const gchar *signal, GSignalEmissionHook hook);
/* what is under @quark on the emitting instance (@instance, a hook's first value),
 * or NULL; any pointer, no reference taken */
gpointer rc_signal_hook_peek_target(const GValue *instance, GQuark quark);
/* the GObject under @quark on the emitting instance (@instance, a hook's first
 * value), with a reference for the hook to drop; NULL when there is none */
gpointer rc_signal_hook_ref_target(const GValue *instance, GQuark quark);

G_END_DECLS
