/*
 * Copyright 2026 roomcast developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include "bus/rc-redis-connection.h"

G_BEGIN_DECLS

/*
 * A connection to one Redis server that stays: it reconnects by itself with a
 * jittered exponential backoff (100 ms up to 5 s), and PINGs an idle
 * connection every second, so a Redis that stalls without closing anything is
 * caught by the command timeout and reconnected like one that went away.
 *
 * ::opened: a new connection is up (AUTH and SELECT done); the owner sets it up
 * (subscriptions, consumer groups) and calls rc_redis_link_set_ready() when it
 * is fit for use. ::lost: the connection went away or a connect failed; the
 * next attempt is already scheduled, so the owner may still change the
 * endpoint (a cluster slot that moved) before it happens.
 */
#define RC_TYPE_REDIS_LINK (rc_redis_link_get_type())
G_DECLARE_FINAL_TYPE(RcRedisLink, rc_redis_link, RC, REDIS_LINK, GObject)

/* @name shows in logs ("command 127.0.0.1:7000", "ingress") */
RcRedisLink *rc_redis_link_new(const gchar *name, const RcRedisEndpoint *endpoint);
const gchar *rc_redis_link_get_name(RcRedisLink *self);
const RcRedisEndpoint *rc_redis_link_get_endpoint(RcRedisLink *self);
/* used from the next connect on; a link that is not connected tries it at once */
void rc_redis_link_set_endpoint(RcRedisLink *self, const RcRedisEndpoint *endpoint);

void rc_redis_link_start(RcRedisLink *self);
/* closes the connection; no reconnect until the next start */
void rc_redis_link_stop(RcRedisLink *self);
/* closes the connection now and connects again at once: its state is not trusted */
void rc_redis_link_reset(RcRedisLink *self);

/* the connection while open, else NULL */
RcRedisConnection *rc_redis_link_get_connection(RcRedisLink *self);
gboolean rc_redis_link_is_open(RcRedisLink *self);
gboolean rc_redis_link_is_ready(RcRedisLink *self);
void rc_redis_link_set_ready(RcRedisLink *self, gboolean ready);
/* why the last connect failed or the last connection went away (Redis' own
 * words for a refused password); NULL while open and before anything failed.
 * The link logs it at debug level only: its owner decides what to say. */
const GError *rc_redis_link_get_error(RcRedisLink *self);
/* connects that failed since the last success */
guint rc_redis_link_get_attempts(RcRedisLink *self);

G_END_DECLS
