/*
 * Copyright 2026 roomcast developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include "bus/rc-bus.h"
#include "rc-config.h"

G_BEGIN_DECLS

/* Rooms on one Redis server or on a Redis Cluster: commands and scripts through an
 * RcRedisRouter, messages through a subscriber (classic pub/sub for the ingress
 * channel and, on one server, for the rooms; sharded pub/sub on the master of each
 * room's slot on a cluster), the durable ingress stream through a reader of its own. */
#define RC_TYPE_REDIS_BUS (rc_redis_bus_get_type())
G_DECLARE_FINAL_TYPE(RcRedisBus, rc_redis_bus, RC, REDIS_BUS, RcBus)

/* the Redis URL, channel and fanout come from @config at start */
RcBus *rc_redis_bus_new(RcConfig *config, GError **error);
/* where it connects, for logs: the URL or the first seed, without password */
const gchar *rc_redis_bus_get_display(RcRedisBus *self);
/* After a configuration reload: a password changed in [redis] password_file
 * (or the key removed: the URL's again) is used from the next connect on. */
void rc_redis_bus_reload(RcRedisBus *self);

G_END_DECLS
