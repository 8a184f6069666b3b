/*
 * Copyright 2026 roomcast developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * A plugin whose file name (misnamed.so) differs from the name it declares.
 */
#define G_LOG_DOMAIN "RcPluginMisnamed"

#include <roomcast-plugin.h>

G_DECLARE_FINAL_TYPE(RcMisnamedPlugin, rc_misnamed_plugin, RC, MISNAMED_PLUGIN, RcPlugin)

struct _RcMisnamedPlugin {
	RcPlugin parent_instance;
};

G_DEFINE_TYPE(RcMisnamedPlugin, rc_misnamed_plugin, RC_TYPE_PLUGIN)

RC_PLUGIN_DEFINE("something-else", rc_misnamed_plugin_get_type)

static void
rc_misnamed_plugin_class_init(RcMisnamedPluginClass *klass)
{
}

static void
rc_misnamed_plugin_init(RcMisnamedPlugin *self)
{
}
