/*
 * Copyright 2026 roomcast developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <glib-object.h>
#include <hiredis/hiredis.h>

G_BEGIN_DECLS

/*
 * Redis Cluster routing without a cluster-aware client library: the hash slot
 * of a key, the slot map a node reports (CLUSTER SHARDS, or CLUSTER SLOTS on
 * servers without it) and the MOVED/ASK redirections. Pure functions over
 * hiredis replies: no I/O, no main loop.
 */

#define RC_REDIS_SLOT_COUNT 16384
/* what the slot lookups return for a slot no shard serves */
#define RC_REDIS_SHARD_NONE (-1)

/* CRC16 (XMODEM) of the key's hash tag, or of the whole key when it has none,
 * modulo 16384. The tag is what lies between the first '{' and the first '}'
 * after it, when that is not empty: "{user1}.a" and "{user1}.b" share a slot,
 * "{}x" and "x{}{y}" hash whole, "{{a}}" hashes "{a". */
guint16 rc_redis_key_slot(const gchar *key, gsize len);

/* Reads "MOVED SLOT HOST:PORT" or "ASK SLOT HOST:PORT" from an error reply.
 * The port follows the last colon, so a bare IPv6 address ("::1:7000", the
 * way Redis writes it) works, and so does a bracketed one. *@host is set to
 * NULL when Redis named no usable endpoint (":7000" from a node configured
 * for unknown endpoints, "?:7000" from one that prefers hostnames but has
 * none): the target then is the host of the node that sent the redirection,
 * on the given port. Every out argument may be NULL. Returns FALSE (and
 * touches nothing) for any other reply. */
gboolean rc_redis_parse_redirect(
    const redisReply *error_reply, gboolean *ask, guint16 *slot, gchar **host, guint16 *port);

#define RC_REDIS_TOPOLOGY_ERROR (rc_redis_topology_error_quark())
GQuark rc_redis_topology_error_quark(void);
typedef enum {
	/* the server answered with an error (e.g. no CLUSTER SHARDS before
	 * Redis 7.0, or cluster support disabled): the message is Redis' */
	RC_REDIS_TOPOLOGY_ERROR_SERVER,
	/* the reply is not a slot map this code understands */
	RC_REDIS_TOPOLOGY_ERROR_INVALID,
} RcRedisTopologyError;

typedef enum {
	RC_REDIS_NODE_HEALTH_UNKNOWN, /* CLUSTER SLOTS does not say */
	RC_REDIS_NODE_HEALTH_ONLINE,
	RC_REDIS_NODE_HEALTH_FAILED,
	RC_REDIS_NODE_HEALTH_LOADING,
} RcRedisNodeHealth;

/* One node as the cluster describes it. Owned by its topology; read-only. */
typedef struct {
	gchar *id;   /* 40 hex digits; "" when the server did not say */
	gchar *host; /* where to connect: the preferred endpoint, or its stand-in */
	guint16 port;	  /* plain TCP; 0 for a node that only speaks TLS */
	guint16 tls_port; /* 0 when the node has no TLS port (or the server does not say) */
	gchar *ip;	 /* the address the node announces; NULL when not reported */
	gchar *hostname; /* NULL when the node announces none */
	gboolean is_master;
	RcRedisNodeHealth health;
	gint64 replication_offset; /* -1 when not reported */
} RcRedisNode;

/* FALSE only when the cluster says the node failed or is still loading */
gboolean rc_redis_node_is_usable(const RcRedisNode *node);

/*
 * A snapshot of the cluster's layout: shards (a master and its replicas),
 * each serving some slot ranges, and the owner of every slot. Shards are
 * ordered by their lowest slot, those serving none last, so two snapshots of
 * an unchanged cluster number their shards alike whichever command made them.
 *
 * @asked_host is the host of the node that answered. It stands in for an
 * endpoint the node does not know: an empty or NULL endpoint (a cluster set up
 * for unknown endpoints, as behind a load balancer) becomes @asked_host; "?"
 * (hostnames preferred, none announced) becomes the node's IP when it
 * announces one, else @asked_host. @asked_host may be NULL when nothing
 * better than the announced IP is known.
 */
typedef struct _RcRedisTopology RcRedisTopology;

#define RC_TYPE_REDIS_TOPOLOGY (rc_redis_topology_get_type())
GType rc_redis_topology_get_type(void);

/* from the reply to CLUSTER SHARDS (Redis 7.0 and later) */
RcRedisTopology *
rc_redis_topology_new_from_shards(const redisReply *reply, const gchar *asked_host, GError **error);
/* from the reply to CLUSTER SLOTS (any cluster-enabled Redis); it tells no
 * health and leaves out failed replicas */
RcRedisTopology *
rc_redis_topology_new_from_slots(const redisReply *reply, const gchar *asked_host, GError **error);
RcRedisTopology *rc_redis_topology_ref(RcRedisTopology *self);
void rc_redis_topology_unref(RcRedisTopology *self);

guint rc_redis_topology_get_n_shards(RcRedisTopology *self);
/* slots not served by any shard (0 in a healthy cluster) */
guint rc_redis_topology_get_n_unassigned(RcRedisTopology *self);
/* shard index serving @slot, or RC_REDIS_SHARD_NONE */
gint rc_redis_topology_shard_for_slot(RcRedisTopology *self, guint16 slot);
gint rc_redis_topology_shard_for_key(RcRedisTopology *self, const gchar *key, gsize len);
/* shard whose master is at @host:@port, or RC_REDIS_SHARD_NONE */
gint rc_redis_topology_find_shard(RcRedisTopology *self, const gchar *host, guint16 port);

const RcRedisNode *rc_redis_topology_get_master(RcRedisTopology *self, guint shard);
/* convenience: the master's host (owned by the topology) and port */
const gchar *
rc_redis_topology_get_master_address(RcRedisTopology *self, guint shard, guint16 *port);
guint rc_redis_topology_get_n_replicas(RcRedisTopology *self, guint shard);
const RcRedisNode *rc_redis_topology_get_replica(RcRedisTopology *self, guint shard, guint index);
/* number of slots the shard serves, and its ranges as (first, last) pairs,
 * inclusive and in ascending order */
guint rc_redis_topology_get_n_slots(RcRedisTopology *self, guint shard);
guint rc_redis_topology_get_n_ranges(RcRedisTopology *self, guint shard);
void rc_redis_topology_get_range(
    RcRedisTopology *self, guint shard, guint index, guint16 *first, guint16 *last);

/* TRUE when every slot has the same owner in both: unassigned in both, or
 * served by masters with the same id (when both snapshots know it) at the
 * same address. Replicas and health are not compared. */
gboolean rc_redis_topology_same_owners(RcRedisTopology *a, RcRedisTopology *b);

/* one line per shard, for logs and test failures: its ranges ("-" for none),
 * then "HOST:PORT ID [HEALTH]" of the master and of each replica:
 * "0-99,101-5460 127.0.0.1:7000 7161f2ce... [online] replicas 127.0.0.1:7003 ..." */
gchar *rc_redis_topology_to_string(RcRedisTopology *self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(RcRedisTopology, rc_redis_topology_unref)

G_END_DECLS
