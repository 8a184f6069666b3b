/*
 * Copyright 2026 roomcast developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <roomcast-plugin.h>

G_BEGIN_DECLS

/* filter-ratelimit: a token bucket per WebSocket connection */
#define RC_TYPE_FILTER_RATELIMIT_PLUGIN (rc_filter_ratelimit_plugin_get_type())
G_DECLARE_FINAL_TYPE(
    RcFilterRatelimitPlugin, rc_filter_ratelimit_plugin, RC, FILTER_RATELIMIT_PLUGIN, RcPlugin)

G_END_DECLS
