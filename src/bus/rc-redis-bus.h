/*
 * Copyright 2026 roomcast developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include "bus/rc-bus.h"
#include "rc-config.h"

G_BEGIN_DECLS

/* Redis pub/sub through two hiredis async connections (publisher, subscriber)
 * driven by the main loop. */
#define RC_TYPE_REDIS_BUS (rc_redis_bus_get_type())
G_DECLARE_FINAL_TYPE(RcRedisBus, rc_redis_bus, RC, REDIS_BUS, RcBus)

/* the Redis URL, channel and fanout come from @config at start */
RcBus *rc_redis_bus_new(RcConfig *config, GError **error);
/* the channel a room's messages travel on in per-room mode: CHANNEL:NAMESPACE:ROOMCODE */
gchar *rc_redis_bus_room_channel(const gchar *channel, const gchar *ns, const gchar *room_code);

G_END_DECLS
