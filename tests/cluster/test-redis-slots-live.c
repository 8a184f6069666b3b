/*
 * Copyright 2026 roomcast developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Slot routing against a live cluster: our hash slots against CLUSTER KEYSLOT,
 * the slot maps built from CLUSTER SHARDS and CLUSTER SLOTS of every node
 * against each other and against where Redis actually redirects, through a
 * slot migration and a failover. hiredis' synchronous API is fine here: this
 * is a test, not the daemon.
 */
#define G_LOG_DOMAIN "RcTestRedisSlotsLive"

#include "config.h"

#include <string.h>

#include "bus/rc-redis-slots.h"
#include "rc-test-cluster.h"

G_DEFINE_AUTOPTR_CLEANUP_FUNC(redisReply, freeReplyObject)
G_DEFINE_AUTOPTR_CLEANUP_FUNC(redisContext, redisFree)

/* one cluster for the whole program; the tests run in order */
static RcTestCluster *cluster;

static redisContext *
connect_port(guint16 port)
{
	struct timeval tv = {5, 0};
	redisContext *ctx = redisConnectWithTimeout("127.0.0.1", port, tv);

	g_assert_nonnull(ctx);
	g_assert_cmpint(ctx->err, ==, 0);
	/* a reply that never comes fails the test instead of hanging it */
	g_assert_cmpint(redisSetTimeout(ctx, tv), ==, REDIS_OK);
	return ctx;
}

static redisReply *
ask(redisContext *ctx, gint argc, const gchar **argv, const gsize *lens)
{
	redisReply *reply = redisCommandArgv(ctx, argc, argv, lens);

	g_assert_nonnull(reply);
	return reply;
}

static RcRedisTopology *
topology_of(guint16 port, gboolean shards)
{
	g_autoptr(redisContext) ctx = connect_port(port);
	const gchar *argv[] = {"CLUSTER", shards ? "SHARDS" : "SLOTS"};
	g_autoptr(redisReply) reply = ask(ctx, 2, argv, NULL);
	g_autoptr(GError) error = NULL;
	RcRedisTopology *topo = shards
				    ? rc_redis_topology_new_from_shards(reply, "127.0.0.1", &error)
				    : rc_redis_topology_new_from_slots(reply, "127.0.0.1", &error);

	g_assert_no_error(error);
	g_assert_nonnull(topo);
	return topo;
}

static guint16
all_ports(guint16 *ports)
{
	for (guint i = 0; i < RC_TEST_CLUSTER_N_MASTERS; i++) {
		ports[2 * i] = rc_test_cluster_get_master_port(cluster, i);
		ports[2 * i + 1] = rc_test_cluster_get_replica_port(cluster, i);
	}
	return 2 * RC_TEST_CLUSTER_N_MASTERS;
}

/* Both commands on every running node give the same owners, and those are
 * the harness's masters. */
static RcRedisTopology *
check_agreement(void)
{
	guint16 ports[2 * RC_TEST_CLUSTER_N_MASTERS];
	guint n = all_ports(ports);
	RcRedisTopology *first = NULL;

	for (guint i = 0; i < n; i++) {
		g_autoptr(RcRedisTopology) shards = NULL;
		g_autoptr(RcRedisTopology) slots = NULL;

		if (rc_test_cluster_get_pid(cluster, ports[i]) == 0)
			continue;
		shards = topology_of(ports[i], TRUE);
		slots = topology_of(ports[i], FALSE);
		if (!rc_redis_topology_same_owners(shards, slots)) {
			g_autofree gchar *a = rc_redis_topology_to_string(shards);
			g_autofree gchar *b = rc_redis_topology_to_string(slots);
			g_error("node %u: CLUSTER SHARDS says\n%sCLUSTER SLOTS says\n%s",
				ports[i],
				a,
				b);
		}
		g_assert_cmpuint(rc_redis_topology_get_n_unassigned(shards), ==, 0);
		if (first == NULL)
			first = g_steal_pointer(&shards);
		else
			g_assert_true(rc_redis_topology_same_owners(first, shards));
	}
	g_assert_nonnull(first);
	for (guint s = 0; s < RC_TEST_CLUSTER_N_MASTERS; s++) {
		guint16 port = rc_test_cluster_get_master_port(cluster, s);
		gint shard = rc_redis_topology_find_shard(first, "127.0.0.1", port);
		const RcRedisNode *master;

		g_assert_cmpint(shard, !=, RC_REDIS_SHARD_NONE);
		master = rc_redis_topology_get_master(first, (guint)shard);
		g_assert_cmpstr(master->id, ==, rc_test_cluster_get_node_id(cluster, port));
		g_assert_cmpint(master->health, ==, RC_REDIS_NODE_HEALTH_ONLINE);
	}
	return first;
}

static void
test_keyslot_random_keys(void)
{
	g_autoptr(redisContext) ctx = connect_port(rc_test_cluster_get_master_port(cluster, 0));
	g_autoptr(GRand) rand = g_rand_new_with_seed(g_test_rand_int());
	guint tagged = 0;

	for (guint i = 0; i < 1000; i++) {
		g_autoptr(GByteArray) key = g_byte_array_new();
		guint len = (guint)g_rand_int_range(rand, 0, 40);
		const gchar *argv[] = {"CLUSTER", "KEYSLOT", NULL};
		gsize lens[] = {7, 7, 0};
		g_autoptr(redisReply) reply = NULL;

		for (guint j = 0; j < len; j++) {
			/* every byte value, and braces often */
			guint8 c = (guint8)g_rand_int_range(rand, 0, 256);
			switch (g_rand_int_range(rand, 0, 8)) {
			case 0:
				c = '{';
				break;
			case 1:
				c = '}';
				break;
			default:
				break;
			}
			g_byte_array_append(key, &c, 1);
		}
		/* a third with a proper tag somewhere */
		if (i % 3 == 0) {
			static const guint8 tag[] = "{room:lobby}";
			guint at = (guint)g_rand_int_range(rand, 0, (gint)len + 1);
			g_autoptr(GByteArray) tail = g_byte_array_new();

			g_byte_array_append(tail, key->data + at, key->len - at);
			g_byte_array_set_size(key, at);
			g_byte_array_append(key, tag, sizeof(tag) - 1);
			g_byte_array_append(key, tail->data, tail->len);
		}
		if (key->len > 0 && memchr(key->data, '{', key->len) != NULL)
			tagged++;
		argv[2] = key->len > 0 ? (const gchar *)key->data : "";
		lens[2] = key->len;
		reply = ask(ctx, 3, argv, lens);
		g_assert_cmpint(reply->type, ==, REDIS_REPLY_INTEGER);
		if (rc_redis_key_slot((const gchar *)key->data, key->len) != reply->integer) {
			g_autoptr(GString) hex = g_string_new(NULL);
			for (guint j = 0; j < key->len; j++)
				g_string_append_printf(hex, "%02x", key->data[j]);
			g_error("key %s: Redis says slot %lld, we say %u",
				hex->str,
				reply->integer,
				rc_redis_key_slot((const gchar *)key->data, key->len));
		}
	}
	g_assert_cmpuint(tagged, >, 400);
}

static void
test_topology_agrees(void)
{
	g_autoptr(RcRedisTopology) topo = check_agreement();
	g_autoptr(RcRedisTopology) shards =
	    topology_of(rc_test_cluster_get_replica_port(cluster, 2), TRUE);
	g_autoptr(redisContext) ctx = connect_port(rc_test_cluster_get_master_port(cluster, 0));
	guint redirected = 0;

	g_assert_cmpuint(rc_redis_topology_get_n_shards(topo), ==, 3);
	g_assert_cmpuint(rc_redis_topology_get_n_shards(shards), ==, 3);
	for (guint s = 0; s < 3; s++) {
		guint16 first;
		gint index;
		const RcRedisNode *replica;

		rc_redis_topology_get_range(shards, s, 0, &first, NULL);
		index = rc_test_cluster_master_for_slot(cluster, first);
		g_assert_cmpint(index, >=, 0);
		g_assert_cmpuint(rc_redis_topology_get_master(shards, s)->port,
				 ==,
				 rc_test_cluster_get_master_port(cluster, (guint)index));
		g_assert_cmpuint(rc_redis_topology_get_n_replicas(shards, s), ==, 1);
		replica = rc_redis_topology_get_replica(shards, s, 0);
		g_assert_cmpint(replica->health, ==, RC_REDIS_NODE_HEALTH_ONLINE);
		g_assert_cmpint(replica->replication_offset, >, 0);
		g_assert_cmpuint(
		    replica->port, ==, rc_test_cluster_get_replica_port(cluster, (guint)index));
	}
	/* where Redis redirects is where the map says */
	for (guint i = 0; i < 300; i++) {
		g_autofree gchar *key = g_strdup_printf("{room:%u}:messages", i);
		const gchar *argv[] = {"GET", key};
		g_autoptr(redisReply) reply = ask(ctx, 2, argv, NULL);
		gint shard = rc_redis_topology_shard_for_key(topo, key, strlen(key));
		g_autofree gchar *host = NULL;
		guint16 port = 0, slot = 0;
		gboolean is_ask = TRUE;
		const gchar *master_host;
		guint16 master_port;

		g_assert_cmpint(shard, !=, RC_REDIS_SHARD_NONE);
		master_host =
		    rc_redis_topology_get_master_address(topo, (guint)shard, &master_port);
		if (reply->type != REDIS_REPLY_ERROR) {
			g_assert_cmpuint(
			    master_port, ==, rc_test_cluster_get_master_port(cluster, 0));
			continue;
		}
		g_assert_true(rc_redis_parse_redirect(reply, &is_ask, &slot, &host, &port));
		g_assert_false(is_ask);
		g_assert_cmpuint(slot, ==, rc_redis_key_slot(key, strlen(key)));
		g_assert_cmpstr(host, ==, master_host);
		g_assert_cmpuint(port, ==, master_port);
		redirected++;
	}
	g_assert_cmpuint(redirected, >, 100);
}

static void
test_migration(void)
{
	const gchar *key = "{room:migrating}:last";
	guint16 slot = rc_redis_key_slot(key, strlen(key));
	gint from = rc_test_cluster_master_for_slot(cluster, slot);
	guint to = (guint)(from + 1) % RC_TEST_CLUSTER_N_MASTERS;
	guint16 src = rc_test_cluster_get_master_port(cluster, (guint)from);
	guint16 dst = rc_test_cluster_get_master_port(cluster, to);
	g_autofree gchar *slot_s = g_strdup_printf("%u", slot);
	g_autoptr(RcRedisTopology) before = check_agreement();
	g_autoptr(RcRedisTopology) after = NULL;
	g_autoptr(redisContext) sub = NULL;
	void *r = NULL;

	/* half-way: the source sends clients of missing keys to the target */
	g_free(rc_test_cluster_command(cluster,
				       dst,
				       "CLUSTER",
				       "SETSLOT",
				       slot_s,
				       "IMPORTING",
				       rc_test_cluster_get_node_id(cluster, src),
				       NULL));
	g_free(rc_test_cluster_command(cluster,
				       src,
				       "CLUSTER",
				       "SETSLOT",
				       slot_s,
				       "MIGRATING",
				       rc_test_cluster_get_node_id(cluster, dst),
				       NULL));
	{
		g_autoptr(redisReply) reply =
		    rc_test_cluster_command_reply(cluster, src, "GET", key, NULL);
		g_autofree gchar *host = NULL;
		gboolean is_ask = FALSE;
		guint16 s = 0, port = 0;

		g_assert_true(rc_redis_parse_redirect(reply, &is_ask, &s, &host, &port));
		g_assert_true(is_ask);
		g_assert_cmpuint(s, ==, slot);
		g_assert_cmpstr(host, ==, "127.0.0.1");
		g_assert_cmpuint(port, ==, dst);
	}
	/* the slot map does not change while a slot migrates */
	{
		g_autoptr(RcRedisTopology) during = check_agreement();
		g_assert_true(rc_redis_topology_same_owners(before, during));
	}
	g_free(rc_test_cluster_command(cluster, src, "CLUSTER", "SETSLOT", slot_s, "STABLE", NULL));
	g_free(rc_test_cluster_command(cluster, dst, "CLUSTER", "SETSLOT", slot_s, "STABLE", NULL));

	/* a completed move changes exactly that slot's owner */
	g_free(rc_test_cluster_command(cluster, src, "SET", key, "x", NULL));
	sub = connect_port(src);
	r = redisCommand(sub, "SSUBSCRIBE %s", key);
	g_assert_nonnull(r);
	freeReplyObject(r);
	rc_test_cluster_move_slot(cluster, slot, to);
	/* the old owner drops its subscribers of the slot's channels, saying so */
	g_assert_cmpint(redisGetReply(sub, &r), ==, REDIS_OK);
	{
		g_autoptr(redisReply) gone = r;
		g_assert_cmpint(gone->type, ==, REDIS_REPLY_ARRAY);
		g_assert_cmpuint(gone->elements, ==, 3);
		g_assert_cmpstr(gone->element[0]->str, ==, "sunsubscribe");
		g_assert_cmpstr(gone->element[1]->str, ==, key);
		g_assert_cmpint(gone->element[2]->integer, ==, 0);
	}
	after = check_agreement();
	g_assert_false(rc_redis_topology_same_owners(before, after));
	g_assert_cmpint(rc_redis_topology_shard_for_slot(after, slot),
			==,
			rc_redis_topology_find_shard(after, "127.0.0.1", dst));
	for (guint s = 0; s < RC_REDIS_SLOT_COUNT; s++) {
		guint16 pa, pb;
		if (s == slot)
			continue;
		rc_redis_topology_get_master_address(
		    before, (guint)rc_redis_topology_shard_for_slot(before, (guint16)s), &pb);
		rc_redis_topology_get_master_address(
		    after, (guint)rc_redis_topology_shard_for_slot(after, (guint16)s), &pa);
		if (pa != pb)
			g_error("slot %u moved from %u to %u too", s, pb, pa);
	}
	g_assert_cmpuint(rc_redis_topology_get_n_ranges(
			     after, (guint)rc_redis_topology_find_shard(after, "127.0.0.1", dst)),
			 ==,
			 2);
	{
		g_autoptr(redisReply) reply =
		    rc_test_cluster_command_reply(cluster, src, "GET", key, NULL);
		g_autofree gchar *host = NULL;
		gboolean is_ask = TRUE;
		guint16 port = 0;

		g_assert_true(rc_redis_parse_redirect(reply, &is_ask, NULL, &host, &port));
		g_assert_false(is_ask);
		g_assert_cmpuint(port, ==, dst);
	}
	rc_test_cluster_move_slot(cluster, slot, (guint)from);
}

static void
test_failover(void)
{
	guint16 victim = rc_test_cluster_get_master_port(cluster, 1);
	guint16 heir = rc_test_cluster_get_replica_port(cluster, 1);
	g_autoptr(RcRedisTopology) before = check_agreement();
	g_autoptr(RcRedisTopology) after = NULL;
	g_autoptr(RcRedisTopology) shards = NULL;
	gint old, now;

	rc_test_cluster_kill_master(cluster, 1);
	rc_test_cluster_wait_failover(cluster, 10000);
	after = check_agreement();
	g_assert_false(rc_redis_topology_same_owners(before, after));
	g_assert_cmpint(rc_redis_topology_shard_for_slot(after, 5461),
			==,
			rc_redis_topology_find_shard(after, "127.0.0.1", heir));

	/* CLUSTER SHARDS still lists the dead master: failed, serving nothing */
	shards = topology_of(rc_test_cluster_get_master_port(cluster, 0), TRUE);
	old = rc_redis_topology_find_shard(shards, "127.0.0.1", victim);
	now = rc_redis_topology_find_shard(shards, "127.0.0.1", heir);
	g_assert_cmpint(old, !=, RC_REDIS_SHARD_NONE);
	g_assert_cmpint(rc_redis_topology_get_master(shards, (guint)old)->health,
			==,
			RC_REDIS_NODE_HEALTH_FAILED);
	g_assert_cmpuint(rc_redis_topology_get_n_slots(shards, (guint)old), ==, 0);
	g_assert_cmpuint(rc_redis_topology_get_n_slots(shards, (guint)now), ==, 5462);
	g_assert_cmpuint(rc_redis_topology_get_n_shards(shards), ==, 4);

	/* back as a replica: three shards again */
	rc_test_cluster_restart_node(cluster, victim);
	{
		g_autoptr(RcRedisTopology) healed = check_agreement();
		g_autoptr(RcRedisTopology) healed_shards =
		    topology_of(rc_test_cluster_get_master_port(cluster, 2), TRUE);
		gint s = rc_redis_topology_find_shard(healed_shards, "127.0.0.1", heir);

		g_assert_true(rc_redis_topology_same_owners(after, healed));
		g_assert_cmpuint(rc_redis_topology_get_n_shards(healed_shards), ==, 3);
		g_assert_cmpuint(rc_redis_topology_get_n_replicas(healed_shards, (guint)s), ==, 1);
		g_assert_cmpuint(
		    rc_redis_topology_get_replica(healed_shards, (guint)s, 0)->port, ==, victim);
	}
}

int
main(int argc, char **argv)
{
	gint status;

	rc_test_init(&argc, &argv);
	g_test_add_func("/redis-slots-live/keyslot-random-keys", test_keyslot_random_keys);
	g_test_add_func("/redis-slots-live/topology-agrees", test_topology_agrees);
	g_test_add_func("/redis-slots-live/migration", test_migration);
	g_test_add_func("/redis-slots-live/failover", test_failover);
	cluster = rc_test_cluster_new();
	status = g_test_run();
	g_clear_pointer(&cluster, rc_test_cluster_free);
	return status;
}
