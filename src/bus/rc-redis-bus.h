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

RcBus *rc_redis_bus_new(const gchar *url,
			const gchar *channel,
			RcFanout fanout,
			gsize max_text_bytes,
			GError **error);
void rc_redis_bus_set_max_text_bytes(RcRedisBus *self, gsize max_text_bytes);
/* the channel a room's messages travel on in per-room mode: CHANNEL:NAMESPACE:ROOMCODE */
gchar *rc_redis_bus_room_channel(const gchar *channel, const gchar *ns, const gchar *room_code);

G_END_DECLS
