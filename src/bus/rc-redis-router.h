/*
 * Copyright 2026 roomcast developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include "bus/rc-redis-link.h"
#include "bus/rc-redis-script.h"

G_BEGIN_DECLS

/*
 * Where a command on a key goes: one Redis server, or the master that serves
 * the key's slot in a Redis Cluster. Keeps one command link per master, learns
 * the cluster's layout itself (CLUSTER SHARDS, or CLUSTER SLOTS on servers
 * without it) from the seed list or any node it knows, and follows the
 * cluster's redirections: MOVED sends the command to the new owner and
 * refreshes the layout, ASK sends ASKING and the command to the slot's
 * importing master once, TRYAGAIN and CLUSTERDOWN retry after a short pause.
 * A lost master (a failover) and a changed layout (a resharding) are found by
 * refreshing the layout every second while something is amiss, every ten
 * seconds otherwise.
 *
 * A command is never sent twice once Redis may have run it: only refusals
 * (redirections, TRYAGAIN, CLUSTERDOWN) are retried. A command for a shard
 * whose master is down fails at once with G_IO_ERROR_NOT_CONNECTED.
 *
 * Shards are named by their master's address, "HOST:PORT".
 *
 * ::changed: the layout, or whether a shard is up, changed.
 * ::shard-opened (address): a master's command link connected again (Redis may
 * have lost what it held, or this is a new master).
 * ::failed: a connect failed, a connection was lost, or no node told the
 * layout; rc_redis_router_get_error() says why. The router logs none of these
 * above debug level: its owner reports them.
 */
#define RC_TYPE_REDIS_ROUTER (rc_redis_router_get_type())
G_DECLARE_FINAL_TYPE(RcRedisRouter, rc_redis_router, RC, REDIS_ROUTER, GObject)

/* one Redis server: every key is on it */
RcRedisRouter *rc_redis_router_new_single(const RcRedisEndpoint *endpoint);
/* a cluster reached through @seeds (RcRedisEndpoint); the masters are reached
 * with the first seed's credentials and TLS settings */
RcRedisRouter *rc_redis_router_new_cluster(GPtrArray *seeds);
gboolean rc_redis_router_is_cluster(RcRedisRouter *self);

/* loaded on every master as soon as it is connected */
void rc_redis_router_add_script(RcRedisRouter *self, RcRedisScript *script);

void rc_redis_router_start(RcRedisRouter *self);
void rc_redis_router_stop(RcRedisRouter *self);
/* asks for the layout again soon (several calls make one refresh) */
void rc_redis_router_refresh(RcRedisRouter *self);

/* Runs a command (or, with @script, the script with @n_keys keys) on the
 * server of @key; see above. @func gets the connection it ran on (NULL when it
 * was not sent) and is called exactly once. */
void rc_redis_router_command(RcRedisRouter *self,
			     const gchar *key,
			     RcRedisScript *script,
			     guint n_keys,
			     guint argc,
			     const gchar *const *argv,
			     const gsize *lens,
			     RcRedisReplyFunc func,
			     gpointer user_data);

/* whether the shard of @key has a connected master */
gboolean rc_redis_router_key_is_up(RcRedisRouter *self, const gchar *key);
/* whether @address is the master of a shard */
gboolean rc_redis_router_has_shard(RcRedisRouter *self, const gchar *address);
/* the shard of @key ("HOST:PORT"), or NULL when no known master serves it */
const gchar *rc_redis_router_get_shard_for_key(RcRedisRouter *self, const gchar *key);
/* how to reach the master of @key's shard, or NULL */
const RcRedisEndpoint *rc_redis_router_get_endpoint_for_key(RcRedisRouter *self, const gchar *key);
/* the first server of the seed list (or the single one), for logs */
const RcRedisEndpoint *rc_redis_router_get_first_endpoint(RcRedisRouter *self);

/* commands sent and not answered yet, on every master */
guint rc_redis_router_get_n_pending(RcRedisRouter *self);
/* why a shard is down (the first one by address) or the layout unknown, or NULL */
const gchar *rc_redis_router_get_error(RcRedisRouter *self);
/* a new password for every server (NULL: none): used from each link's next
 * connect on; links that are down try it at once */
void rc_redis_router_set_password(RcRedisRouter *self, const gchar *password);

guint rc_redis_router_get_n_shards(RcRedisRouter *self);
guint rc_redis_router_get_n_shards_up(RcRedisRouter *self);

G_END_DECLS
