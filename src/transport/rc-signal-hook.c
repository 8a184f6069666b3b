/*
 * Copyright 2026 roomcast developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#define G_LOG_DOMAIN "RcSignalHook"

#include "config.h"

#include "transport/rc-signal-hook.h"

void
rc_signal_hook_add(GType type, const gchar *signal, GSignalEmissionHook hook)
{
	guint id;

	g_type_class_unref(g_type_class_ref(type));
	id = g_signal_lookup(signal, type);
	g_return_if_fail(id != 0);
	g_signal_add_emission_hook(id, 0, hook, NULL, NULL);
}

gpointer
rc_signal_hook_peek_target(const GValue *instance, GQuark quark)
{
	return g_object_get_qdata(g_value_get_object(instance), quark);
}

gpointer
rc_signal_hook_ref_target(const GValue *instance, GQuark quark)
{
	gpointer target = rc_signal_hook_peek_target(instance, quark);
	return target != NULL ? g_object_ref(target) : NULL;
}
