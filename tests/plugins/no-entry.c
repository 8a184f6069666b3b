/*
 * Copyright 2026 roomcast developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * A loadable module that is not a roomcast plugin: it has no entry symbol.
 */
#define G_LOG_DOMAIN "RcPluginNoEntry"

#include <gmodule.h>

G_MODULE_EXPORT int rc_not_a_plugin(void);

G_MODULE_EXPORT int
rc_not_a_plugin(void)
{
	return 42;
}
