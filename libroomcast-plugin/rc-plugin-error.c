/*
 * Copyright 2026 roomcast developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#define G_LOG_DOMAIN "RcPluginSdk"

#include "rc-plugin-error.h"

GQuark
rc_plugin_error_quark(void)
{
	return g_quark_from_static_string("rc-plugin-error-quark");
}
