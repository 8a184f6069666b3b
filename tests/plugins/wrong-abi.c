/*
 * Copyright 2026 roomcast developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * A plugin that claims to be built for another plugin ABI: the host must refuse it
 * before calling anything else in it.
 */
#define G_LOG_DOMAIN "RcPluginWrongAbi"

#include <roomcast-plugin.h>

static GType
rc_wrong_abi_get_type(void)
{
	g_error("the host called into a plugin built for another ABI");
	return G_TYPE_INVALID;
}

G_MODULE_EXPORT const RcPluginInfo *rc_plugin_get_info(void);

G_MODULE_EXPORT const RcPluginInfo *
rc_plugin_get_info(void)
{
	static const RcPluginInfo info = {
	    .abi_version = RC_PLUGIN_ABI_VERSION + 1,
	    .name = "wrong-abi",
	    .get_type = rc_wrong_abi_get_type,
	};
	return &info;
}
