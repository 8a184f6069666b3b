/*
 * Copyright 2026 roomcast developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#define G_LOG_DOMAIN "RcPluginSdk"

#include "rc-plugin-error.h"

G_DEFINE_QUARK(rc-plugin-error-quark, rc_plugin_error)
