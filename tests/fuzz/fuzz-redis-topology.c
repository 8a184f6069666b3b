/*
 * Copyright 2026 roomcast developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * libFuzzer entry for the Redis Cluster slot maps and redirections: arbitrary
 * bytes go through hiredis' reply parser with roomcast's reply objects and
 * their budget, and every reply it makes goes into both topology builders and
 * the redirection parser. Whatever they accept must be a consistent slot map.
 */
#include "config.h"

#include <hiredis/hiredis.h>
#include <string.h>

#include "bus/rc-redis-reply.h"
#include "bus/rc-redis-slots.h"

int LLVMFuzzerTestOneInput(const guint8 *data, gsize size);

static void
check_topology(RcRedisTopology *topo)
{
	guint n_shards = rc_redis_topology_get_n_shards(topo);
	guint total = rc_redis_topology_get_n_unassigned(topo);
	g_autofree gchar *text = rc_redis_topology_to_string(topo);

	g_assert_nonnull(text);
	g_assert_true(rc_redis_topology_same_owners(topo, topo));
	for (guint i = 0; i < n_shards; i++) {
		const RcRedisNode *master = rc_redis_topology_get_master(topo, i);
		guint16 port = 0;
		guint in_ranges = 0;

		g_assert_nonnull(master);
		g_assert_true(master->is_master);
		g_assert_nonnull(master->id);
		g_assert_nonnull(master->host);
		g_assert_cmpuint(strlen(master->host), >, 0);
		/* a TLS-only node has port 0 and its tls-port */
		g_assert_true(master->port > 0 || master->tls_port > 0);
		g_assert_true(rc_redis_topology_get_master_address(topo, i, &port) == master->host);
		g_assert_cmpuint(port, ==, master->port);
		/* the first shard with this address may come earlier */
		g_assert_cmpint(
		    rc_redis_topology_find_shard(topo, master->host, port), <=, (gint)i);
		for (guint r = 0; r < rc_redis_topology_get_n_replicas(topo, i); r++) {
			const RcRedisNode *replica = rc_redis_topology_get_replica(topo, i, r);
			g_assert_nonnull(replica->host);
			g_assert_true(replica->port > 0 || replica->tls_port > 0);
		}
		for (guint r = 0; r < rc_redis_topology_get_n_ranges(topo, i); r++) {
			guint16 first, last;
			rc_redis_topology_get_range(topo, i, r, &first, &last);
			g_assert_cmpuint(first, <=, last);
			g_assert_cmpuint(last, <, RC_REDIS_SLOT_COUNT);
			g_assert_cmpint(rc_redis_topology_shard_for_slot(topo, first), ==, (gint)i);
			g_assert_cmpint(rc_redis_topology_shard_for_slot(topo, last), ==, (gint)i);
			in_ranges += last - first + 1u;
		}
		g_assert_cmpuint(in_ranges, ==, rc_redis_topology_get_n_slots(topo, i));
		total += in_ranges;
	}
	g_assert_cmpuint(total, ==, RC_REDIS_SLOT_COUNT);
	g_assert_cmpint(rc_redis_topology_shard_for_key(topo, "{room}", 6), <, (gint)n_shards);
}

static RcRedisTopology *
build(gboolean shards, const redisReply *reply, const gchar *asked_host)
{
	g_autoptr(GError) error = NULL;
	RcRedisTopology *topo = shards
				    ? rc_redis_topology_new_from_shards(reply, asked_host, &error)
				    : rc_redis_topology_new_from_slots(reply, asked_host, &error);

	g_assert_true((topo == NULL) == (error != NULL));
	if (topo != NULL)
		check_topology(topo);
	else
		g_assert_true(g_error_matches(error,
					      RC_REDIS_TOPOLOGY_ERROR,
					      RC_REDIS_TOPOLOGY_ERROR_INVALID) ||
			      g_error_matches(
				  error, RC_REDIS_TOPOLOGY_ERROR, RC_REDIS_TOPOLOGY_ERROR_SERVER));
	return topo;
}

int
LLVMFuzzerTestOneInput(const guint8 *data, gsize size)
{
	/* below a connection's budget, so that the budget, not the fuzzer's memory
	 * limit, is what stops an array header announcing millions of elements */
	RcRedisReplyBudget budget = {.max = 64 * 1024 * 1024};
	redisReader *reader = rc_redis_reader_new(&budget);

	g_assert_nonnull(reader);
	if (redisReaderFeed(reader, (const char *)data, size) != REDIS_OK) {
		redisReaderFree(reader);
		return 0;
	}
	for (guint n = 0; n < 16; n++) {
		void *parsed = NULL;
		redisReply *reply;
		g_autoptr(RcRedisTopology) shards = NULL;
		g_autoptr(RcRedisTopology) shards_seed = NULL;
		g_autoptr(RcRedisTopology) slots = NULL;
		g_autofree gchar *host = NULL;
		gboolean ask = FALSE;
		guint16 slot = 0, port = 0;

		budget.used = 0;
		if (redisReaderGetReply(reader, &parsed) != REDIS_OK || parsed == NULL)
			break;
		reply = parsed;
		shards = build(TRUE, reply, NULL);
		shards_seed = build(TRUE, reply, "127.0.0.1");
		slots = build(FALSE, reply, "::1");
		if (shards != NULL && shards_seed != NULL)
			g_assert_cmpuint(rc_redis_topology_get_n_shards(shards),
					 ==,
					 rc_redis_topology_get_n_shards(shards_seed));
		if (shards != NULL && slots != NULL)
			rc_redis_topology_same_owners(shards, slots);
		if (rc_redis_parse_redirect(reply, &ask, &slot, &host, &port)) {
			g_assert_cmpuint(slot, <, RC_REDIS_SLOT_COUNT);
			g_assert_cmpuint(port, >, 0);
			g_assert_true(host == NULL || host[0] != '\0');
		}
		rc_redis_reply_free(reply);
	}
	redisReaderFree(reader);
	return 0;
}
