/*
 * Copyright 2026 roomcast developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The test cluster itself: it starts with every slot served, sharded pub/sub
 * works on the owning shard, a killed master fails over, a slot moves with
 * its keys, and nothing is left running afterwards. And RcTestRedis with a
 * cluster behind it: commands routed by key, counted over the masters,
 * nodes pointed at the seeds, the whole cluster stopped and started.
 */
#define G_LOG_DOMAIN "RcTestClusterHarness"

#include <hiredis/hiredis.h>
#include <string.h>

#include "rc-test-cluster.h"

G_DEFINE_AUTOPTR_CLEANUP_FUNC(redisReply, freeReplyObject)
G_DEFINE_AUTOPTR_CLEANUP_FUNC(redisContext, redisFree)

static redisContext *
connect_port(guint16 port)
{
	struct timeval tv = {5, 0};
	redisContext *ctx = redisConnectWithTimeout("127.0.0.1", port, tv);

	g_assert_nonnull(ctx);
	g_assert_cmpint(ctx->err, ==, 0);
	g_assert_cmpint(redisSetTimeout(ctx, tv), ==, REDIS_OK);
	return ctx;
}

static gboolean
process_alive(GPid pid)
{
	g_autofree gchar *path = g_strdup_printf("/proc/%d/stat", pid);
	g_autofree gchar *stat = NULL;
	const gchar *end;

	if (!g_file_get_contents(path, &stat, NULL, NULL))
		return FALSE;
	/* "PID (comm) STATE ...": a zombie is gone too */
	end = strrchr(stat, ')');
	return end != NULL && end[1] == ' ' && end[2] != 'Z' && end[2] != 'X';
}

/* Frees the cluster and checks that none of its nodes is left. */
static void
free_and_check(RcTestCluster *cluster)
{
	g_autofree gchar *dir = g_strdup(rc_test_cluster_get_dir(cluster));
	GPid pids[6];
	guint n = 0;

	for (guint i = 0; i < RC_TEST_CLUSTER_N_MASTERS; i++) {
		guint16 ports[] = {rc_test_cluster_get_master_port(cluster, i),
				   rc_test_cluster_get_replica_port(cluster, i)};
		for (guint j = 0; j < G_N_ELEMENTS(ports); j++) {
			GPid pid = rc_test_cluster_get_pid(cluster, ports[j]);
			if (pid != 0)
				pids[n++] = pid;
		}
	}
	g_assert_cmpuint(n, >, 0);
	for (guint i = 0; i < n; i++)
		g_assert_true(process_alive(pids[i]));
	rc_test_cluster_free(cluster);
	for (guint i = 0; i < n; i++)
		g_assert_false(process_alive(pids[i]));
	g_assert_false(g_file_test(dir, G_FILE_TEST_EXISTS));
}

static guint16
slot_of(RcTestCluster *cluster, const gchar *key)
{
	g_autofree gchar *slot = rc_test_cluster_command(
	    cluster, rc_test_cluster_get_master_port(cluster, 0), "CLUSTER", "KEYSLOT", key, NULL);
	return (guint16)g_ascii_strtoull(slot, NULL, 10);
}

static void
test_start(void)
{
	RcTestCluster *cluster = rc_test_cluster_new();
	g_autoptr(GString) seeds = g_string_new(NULL);
	g_autoptr(GHashTable) ports = g_hash_table_new(NULL, NULL);

	for (guint i = 0; i < RC_TEST_CLUSTER_N_MASTERS; i++) {
		guint16 master = rc_test_cluster_get_master_port(cluster, i);
		guint16 replica = rc_test_cluster_get_replica_port(cluster, i);
		g_autofree gchar *info =
		    rc_test_cluster_command(cluster, master, "CLUSTER", "INFO", NULL);
		g_autofree gchar *repl =
		    rc_test_cluster_command(cluster, replica, "INFO", "replication", NULL);
		g_autofree gchar *master_line = g_strdup_printf("master_port:%u\r", master);
		g_autofree gchar *myid =
		    rc_test_cluster_command(cluster, master, "CLUSTER", "MYID", NULL);

		g_assert_cmpuint(master, !=, 6379);
		g_assert_cmpuint(replica, !=, 6379);
		g_hash_table_add(ports, GUINT_TO_POINTER(master));
		g_hash_table_add(ports, GUINT_TO_POINTER(replica));
		g_assert_nonnull(strstr(info, "cluster_state:ok"));
		g_assert_nonnull(strstr(info, "cluster_slots_assigned:16384"));
		g_assert_nonnull(strstr(info, "cluster_slots_ok:16384"));
		g_assert_nonnull(strstr(info, "cluster_known_nodes:6"));
		g_assert_nonnull(strstr(info, "cluster_size:3"));
		g_assert_nonnull(strstr(repl, "role:slave"));
		g_assert_nonnull(strstr(repl, master_line));
		g_assert_nonnull(strstr(repl, "master_link_status:up"));
		g_assert_cmpstr(myid, ==, rc_test_cluster_get_node_id(cluster, master));
		g_assert_cmpuint(strlen(myid), ==, 40);
	}
	g_assert_cmpuint(g_hash_table_size(ports), ==, 6);
	for (guint i = 0; i < RC_TEST_CLUSTER_N_MASTERS; i++)
		g_string_append_printf(seeds,
				       "%s127.0.0.1:%u",
				       i > 0 ? "," : "",
				       rc_test_cluster_get_master_port(cluster, i));
	for (guint i = 0; i < RC_TEST_CLUSTER_N_MASTERS; i++)
		g_string_append_printf(
		    seeds, ",127.0.0.1:%u", rc_test_cluster_get_replica_port(cluster, i));
	g_assert_cmpstr(rc_test_cluster_get_seeds(cluster), ==, seeds->str);

	/* every slot has its master, and all nodes agree */
	for (guint slot = 0; slot < 16384; slot += 91) {
		gint shard = rc_test_cluster_master_for_slot(cluster, (guint16)slot);
		g_assert_cmpint(shard, ==, slot <= 5460 ? 0 : slot <= 10922 ? 1 : 2);
	}
	g_assert_cmpint(rc_test_cluster_master_for_slot(cluster, 16383), ==, 2);
	for (guint i = 0; i < RC_TEST_CLUSTER_N_MASTERS; i++) {
		guint16 replica = rc_test_cluster_get_replica_port(cluster, i);
		g_assert_cmpuint(rc_test_cluster_slot_owner_seen_by(cluster, replica, 5461),
				 ==,
				 rc_test_cluster_get_master_port(cluster, 1));
	}
	free_and_check(cluster);
}

static void
test_sharded_pubsub(void)
{
	RcTestCluster *cluster = rc_test_cluster_new();
	const gchar *channel = "{room:lobby}:messages";
	guint16 slot = slot_of(cluster, channel);
	gint shard = rc_test_cluster_master_for_slot(cluster, slot);
	guint16 owner, replica, other;
	g_autoptr(redisContext) sub = NULL;
	g_autoptr(redisContext) replica_sub = NULL;
	g_autoptr(redisContext) pub = NULL;
	g_autoptr(redisReply) moved = NULL;
	void *r = NULL;

	g_assert_cmpint(shard, >=, 0);
	owner = rc_test_cluster_get_master_port(cluster, (guint)shard);
	replica = rc_test_cluster_get_replica_port(cluster, (guint)shard);
	other = rc_test_cluster_get_master_port(cluster, (guint)(shard + 1) % 3);

	/* sharded channels live in their slot: another master redirects */
	moved = rc_test_cluster_command_reply(cluster, other, "SSUBSCRIBE", channel, NULL);
	g_assert_cmpint(moved->type, ==, REDIS_REPLY_ERROR);
	{
		g_autofree gchar *expected = g_strdup_printf("MOVED %u 127.0.0.1:%u", slot, owner);
		g_assert_cmpstr(moved->str, ==, expected);
	}

	sub = connect_port(owner);
	r = redisCommand(sub, "SSUBSCRIBE %s", channel);
	{
		g_autoptr(redisReply) ack = r;
		g_assert_nonnull(ack);
		g_assert_cmpint(ack->type, ==, REDIS_REPLY_ARRAY);
		g_assert_cmpuint(ack->elements, ==, 3);
		g_assert_cmpstr(ack->element[0]->str, ==, "ssubscribe");
		g_assert_cmpstr(ack->element[1]->str, ==, channel);
	}
	/* a replica of the shard delivers the shard's messages too */
	replica_sub = connect_port(replica);
	r = redisCommand(replica_sub, "SSUBSCRIBE %s", channel);
	{
		g_autoptr(redisReply) ack = r;
		g_assert_nonnull(ack);
		g_assert_cmpint(ack->type, ==, REDIS_REPLY_ARRAY);
		g_assert_cmpstr(ack->element[0]->str, ==, "ssubscribe");
	}

	pub = connect_port(owner);
	r = redisCommand(pub, "SPUBLISH %s %s", channel, "hello shard");
	{
		g_autoptr(redisReply) n = r;
		g_assert_nonnull(n);
		g_assert_cmpint(n->type, ==, REDIS_REPLY_INTEGER);
		/* the master counts its own subscribers */
		g_assert_cmpint(n->integer, ==, 1);
	}
	for (guint i = 0; i < 2; i++) {
		redisContext *ctx = i == 0 ? sub : replica_sub;
		g_autoptr(redisReply) msg = NULL;

		g_assert_cmpint(redisGetReply(ctx, &r), ==, REDIS_OK);
		msg = r;
		g_assert_cmpint(msg->type, ==, REDIS_REPLY_ARRAY);
		g_assert_cmpuint(msg->elements, ==, 3);
		g_assert_cmpstr(msg->element[0]->str, ==, "smessage");
		g_assert_cmpstr(msg->element[1]->str, ==, channel);
		g_assert_cmpstr(msg->element[2]->str, ==, "hello shard");
	}
	/* publishing through another master is refused, not delivered */
	{
		g_autoptr(redisReply) refused = rc_test_cluster_command_reply(
		    cluster, other, "SPUBLISH", channel, "lost", NULL);
		g_assert_cmpint(refused->type, ==, REDIS_REPLY_ERROR);
		g_assert_true(g_str_has_prefix(refused->str, "MOVED "));
	}
	g_clear_pointer(&sub, redisFree);
	g_clear_pointer(&replica_sub, redisFree);
	g_clear_pointer(&pub, redisFree);
	free_and_check(cluster);
}

static void
test_failover(void)
{
	RcTestCluster *cluster = rc_test_cluster_new();
	const gchar *key = "{room:failover}:last";
	guint16 slot = slot_of(cluster, key);
	gint shard = rc_test_cluster_master_for_slot(cluster, slot);
	guint16 old_master, old_replica;
	guint spent;

	g_assert_cmpint(shard, >=, 0);
	old_master = rc_test_cluster_get_master_port(cluster, (guint)shard);
	old_replica = rc_test_cluster_get_replica_port(cluster, (guint)shard);
	g_free(rc_test_cluster_command(cluster, old_master, "SET", key, "before", NULL));
	/* the write is on the replica before its master dies */
	{
		g_autofree gchar *acked =
		    rc_test_cluster_command(cluster, old_master, "WAIT", "1", "5000", NULL);
		g_assert_cmpstr(acked, ==, "1");
	}

	rc_test_cluster_kill_master(cluster, (guint)shard);
	g_assert_cmpint(rc_test_cluster_get_pid(cluster, old_master), ==, 0);
	spent = rc_test_cluster_wait_failover(cluster, 10000);
	g_test_message("failover took %u ms", spent);
	g_assert_cmpuint(spent, <, rc_test_timeout(10000));

	/* the replica took over, with the data */
	g_assert_cmpuint(rc_test_cluster_get_master_port(cluster, (guint)shard), ==, old_replica);
	g_assert_cmpuint(rc_test_cluster_get_replica_port(cluster, (guint)shard), ==, old_master);
	g_assert_cmpint(rc_test_cluster_master_for_slot(cluster, slot), ==, shard);
	for (guint i = 0; i < RC_TEST_CLUSTER_N_MASTERS; i++) {
		guint16 port = rc_test_cluster_get_master_port(cluster, i);
		g_autofree gchar *info =
		    rc_test_cluster_command(cluster, port, "CLUSTER", "INFO", NULL);
		g_assert_nonnull(strstr(info, "cluster_state:ok"));
		g_assert_cmpuint(
		    rc_test_cluster_slot_owner_seen_by(cluster, port, slot), ==, old_replica);
	}
	{
		g_autofree gchar *value =
		    rc_test_cluster_command(cluster, old_replica, "GET", key, NULL);
		g_autofree gchar *role =
		    rc_test_cluster_command(cluster, old_replica, "INFO", "replication", NULL);
		g_assert_cmpstr(value, ==, "before");
		g_assert_nonnull(strstr(role, "role:master"));
	}
	g_test_message("restarting the old master");
	rc_test_cluster_restart_node(cluster, old_master);
	{
		g_autofree gchar *role =
		    rc_test_cluster_command(cluster, old_master, "INFO", "replication", NULL);
		g_autofree gchar *line = g_strdup_printf("master_port:%u\r", old_replica);
		g_assert_nonnull(strstr(role, "role:slave"));
		g_assert_nonnull(strstr(role, line));
	}
	free_and_check(cluster);
}

static void
test_move_slot(void)
{
	RcTestCluster *cluster = rc_test_cluster_new();
	const gchar *tag = "{room:42}";
	guint16 slot = slot_of(cluster, tag);
	gint from = rc_test_cluster_master_for_slot(cluster, slot);
	guint to;
	guint16 old_owner, new_owner;
	g_autofree gchar *slot_s = g_strdup_printf("%u", slot);

	g_assert_cmpint(from, >=, 0);
	to = (guint)(from + 1) % RC_TEST_CLUSTER_N_MASTERS;
	old_owner = rc_test_cluster_get_master_port(cluster, (guint)from);
	new_owner = rc_test_cluster_get_master_port(cluster, to);
	/* more keys than one MIGRATE batch */
	for (guint i = 0; i < 250; i++) {
		g_autofree gchar *key = g_strdup_printf("%s:%u", tag, i);
		g_autofree gchar *value = g_strdup_printf("v%u", i);
		g_free(rc_test_cluster_command(cluster, old_owner, "SET", key, value, NULL));
	}
	{
		g_autofree gchar *n = rc_test_cluster_command(
		    cluster, old_owner, "CLUSTER", "COUNTKEYSINSLOT", slot_s, NULL);
		g_assert_cmpstr(n, ==, "250");
	}

	rc_test_cluster_move_slot(cluster, slot, to);

	g_assert_cmpint(rc_test_cluster_master_for_slot(cluster, slot), ==, (gint)to);
	/* the old and the new owner agree, and so do the replicas */
	g_assert_cmpuint(
	    rc_test_cluster_slot_owner_seen_by(cluster, old_owner, slot), ==, new_owner);
	g_assert_cmpuint(
	    rc_test_cluster_slot_owner_seen_by(cluster, new_owner, slot), ==, new_owner);
	for (guint i = 0; i < RC_TEST_CLUSTER_N_MASTERS; i++)
		g_assert_cmpuint(rc_test_cluster_slot_owner_seen_by(
				     cluster, rc_test_cluster_get_replica_port(cluster, i), slot),
				 ==,
				 new_owner);
	/* the neighbours stayed */
	g_assert_cmpint(rc_test_cluster_master_for_slot(cluster, (guint16)(slot + 1)), ==, from);
	{
		g_autofree gchar *left = rc_test_cluster_command(
		    cluster, old_owner, "CLUSTER", "COUNTKEYSINSLOT", slot_s, NULL);
		g_autofree gchar *arrived = rc_test_cluster_command(
		    cluster, new_owner, "CLUSTER", "COUNTKEYSINSLOT", slot_s, NULL);
		g_autofree gchar *value =
		    rc_test_cluster_command(cluster, new_owner, "GET", "{room:42}:249", NULL);
		g_assert_cmpstr(left, ==, "0");
		g_assert_cmpstr(arrived, ==, "250");
		g_assert_cmpstr(value, ==, "v249");
	}
	/* the old owner redirects, for keys and sharded channels alike */
	{
		g_autoptr(redisReply) get =
		    rc_test_cluster_command_reply(cluster, old_owner, "GET", "{room:42}:0", NULL);
		g_autoptr(redisReply) pub =
		    rc_test_cluster_command_reply(cluster, old_owner, "SPUBLISH", tag, "x", NULL);
		g_autofree gchar *expected =
		    g_strdup_printf("MOVED %u 127.0.0.1:%u", slot, new_owner);
		g_assert_cmpint(get->type, ==, REDIS_REPLY_ERROR);
		g_assert_cmpstr(get->str, ==, expected);
		g_assert_cmpint(pub->type, ==, REDIS_REPLY_ERROR);
		g_assert_cmpstr(pub->str, ==, expected);
	}
	/* every node is still fine with the new layout */
	for (guint i = 0; i < RC_TEST_CLUSTER_N_MASTERS; i++) {
		g_autofree gchar *info = rc_test_cluster_command(
		    cluster, rc_test_cluster_get_master_port(cluster, i), "CLUSTER", "INFO", NULL);
		g_assert_nonnull(strstr(info, "cluster_state:ok"));
		g_assert_nonnull(strstr(info, "cluster_slots_ok:16384"));
	}
	/* moving it back works the same way */
	rc_test_cluster_move_slot(cluster, slot, (guint)from);
	g_assert_cmpuint(
	    rc_test_cluster_slot_owner_seen_by(cluster, new_owner, slot), ==, old_owner);
	free_and_check(cluster);
}

/* a key of the form "PREFIX-N" on the master of @shard */
static gchar *
key_on_shard(RcTestCluster *cluster, const gchar *prefix, guint shard)
{
	for (guint i = 0; i < 1000; i++) {
		g_autofree gchar *key = g_strdup_printf("%s-%u", prefix, i);
		if (rc_test_cluster_master_for_slot(cluster, slot_of(cluster, key)) == (gint)shard)
			return g_steal_pointer(&key);
	}
	g_assert_not_reached();
}

static guint
count_lines(const gchar *text, const gchar *line)
{
	g_auto(GStrv) lines = g_strsplit(text, "\n", -1);
	guint n = 0;

	for (guint i = 0; lines[i] != NULL; i++)
		n += g_strcmp0(lines[i], line) == 0;
	return n;
}

/* RcTestRedis with a cluster behind it: what tests written for one
 * redis-server call keeps its meaning */
static void
test_redis_backend(void)
{
	g_autoptr(RcTestRedis) redis = rc_test_redis_new_cluster();
	RcTestCluster *cluster = rc_test_redis_get_cluster(redis);
	g_autofree gchar *entry = rc_test_redis_get_config_entry(redis);
	g_autofree gchar *expected_entry =
	    g_strdup_printf("cluster=%s", rc_test_cluster_get_seeds(cluster));
	gchar *keys[RC_TEST_CLUSTER_N_MASTERS];

	g_assert_true(rc_test_redis_is_cluster(redis));
	g_assert_cmpstr(entry, ==, expected_entry);
	g_assert_cmpstr(rc_test_redis_get_seeds(redis), ==, rc_test_cluster_get_seeds(cluster));
	g_assert_true(rc_test_redis_is_running(redis));
	/* keyed commands reach the master of the key, whichever it is */
	for (guint s = 0; s < RC_TEST_CLUSTER_N_MASTERS; s++) {
		guint16 owner = rc_test_cluster_get_master_port(cluster, s);
		g_autofree gchar *value = g_strdup_printf("on shard %u", s);
		g_autofree gchar *set = NULL;
		g_autofree gchar *got = NULL;
		g_autofree gchar *there = NULL;
		g_autofree gchar *via_cli = NULL;

		keys[s] = key_on_shard(cluster, "backend", s);
		set = rc_test_redis_command(redis, "SET", keys[s], value, NULL);
		g_assert_cmpstr(set, ==, "OK");
		got = rc_test_redis_command(redis, "GET", keys[s], NULL);
		g_assert_cmpstr(got, ==, value);
		there = rc_test_cluster_command(cluster, owner, "GET", keys[s], NULL);
		g_assert_cmpstr(there, ==, value);
		via_cli = rc_test_redis_cli(redis, "GET", keys[s], NULL);
		g_assert_cmpstr(via_cli, ==, value);
		g_assert_cmpuint(rc_test_redis_get_port_for_key(redis, keys[s]), ==, owner);
	}
	/* whole-server commands: on every master, integers added up */
	{
		g_autofree gchar *dbsize = rc_test_redis_command(redis, "DBSIZE", NULL);
		g_autofree gchar *all = rc_test_redis_command(redis, "KEYS", "backend-*", NULL);
		g_assert_cmpstr(dbsize, ==, "3");
		for (guint s = 0; s < RC_TEST_CLUSTER_N_MASTERS; s++)
			g_assert_cmpuint(count_lines(all, keys[s]), ==, 1);
	}
	/* a classic subscriber on a replica and a sharded one on a master: both
	 * counted, each once; PUBLISH goes where the channel's slot is */
	{
		g_autofree gchar *tag = key_on_shard(cluster, "{tag}", 1);
		g_autofree gchar *classic = key_on_shard(cluster, "classic", 2);
		g_autoptr(redisContext) on_replica =
		    connect_port(rc_test_cluster_get_replica_port(cluster, 0));
		g_autoptr(redisContext) on_owner =
		    connect_port(rc_test_cluster_get_master_port(cluster, 2));
		g_autoptr(redisContext) sharded =
		    connect_port(rc_test_cluster_get_master_port(cluster, 1));
		g_autoptr(redisReply) r1 = redisCommand(on_replica, "SUBSCRIBE %s", classic);
		g_autoptr(redisReply) r2 = redisCommand(on_owner, "SUBSCRIBE %s", classic);
		g_autoptr(redisReply) r3 = redisCommand(sharded, "SSUBSCRIBE %s", tag);
		g_auto(GStrv) channels = rc_test_redis_pubsub_channels(redis, "*");
		g_autofree gchar *numsub =
		    rc_test_redis_command(redis, "PUBSUB", "NUMSUB", classic, tag, NULL);
		g_autofree gchar *shardnumsub =
		    rc_test_redis_command(redis, "PUBSUB", "SHARDNUMSUB", classic, tag, NULL);
		g_autofree gchar *expected_numsub = g_strdup_printf("%s\n2\n%s\n1", classic, tag);
		g_autofree gchar *expected_shard = g_strdup_printf("%s\n0\n%s\n1", classic, tag);
		g_autofree gchar *published = NULL;

		g_assert_nonnull(r1);
		g_assert_nonnull(r2);
		g_assert_nonnull(r3);
		g_assert_cmpuint(g_strv_length(channels), ==, 2);
		g_assert_true(g_strv_contains((const gchar *const *)channels, classic));
		g_assert_true(g_strv_contains((const gchar *const *)channels, tag));
		g_assert_cmpstr(numsub, ==, expected_numsub);
		g_assert_cmpstr(shardnumsub, ==, expected_shard);
		/* counted where it is sent: on the master of the channel's slot */
		published = rc_test_redis_command(redis, "PUBLISH", classic, "hi", NULL);
		g_assert_cmpstr(published, ==, "1");
		g_assert_cmpint(rc_test_redis_cli_publish(redis, classic, "hi"), ==, 1);
	}
	/* FLUSHALL empties every master */
	{
		g_autofree gchar *ok = rc_test_redis_command(redis, "FLUSHALL", NULL);
		g_autofree gchar *dbsize = rc_test_redis_command(redis, "DBSIZE", NULL);
		g_assert_cmpstr(ok, ==, "OK");
		g_assert_cmpstr(dbsize, ==, "0");
	}
	for (guint s = 0; s < RC_TEST_CLUSTER_N_MASTERS; s++)
		g_free(keys[s]);
}

/* nodes given --redis URL (or --redis=URL) of a cluster backend get its seeds */
static void
test_redis_backend_nodes(void)
{
	g_autoptr(RcTestRedis) redis = rc_test_redis_new_cluster();
	g_autofree gchar *flag = g_strdup_printf("--redis=%s", rc_test_redis_get_url(redis));
	g_autoptr(RcTestNode) a = rc_test_node_new(
	    "--port", "0", "--bus", "none", "--redis", rc_test_redis_get_url(redis), NULL);
	g_autoptr(RcTestNode) b = rc_test_node_new("--port", "0", "--bus", "none", flag, NULL);
	RcTestNode *both[] = {a, b};

	for (guint i = 0; i < G_N_ELEMENTS(both); i++) {
		g_autoptr(RcTestHttpReply) metrics = NULL;

		rc_test_node_wait_redis_connected(both[i], 10000);
		g_assert_nonnull(rc_test_node_wait_stderr(both[i], "(cluster)", 1000));
		metrics = rc_test_http_get(both[i], "/metrics");
		g_assert_cmpfloat(
		    rc_test_metrics_value(metrics->body, "roomcast_redis_shards{state=\"up\"}"),
		    ==,
		    RC_TEST_CLUSTER_N_MASTERS);
		g_assert_cmpint(rc_test_node_stop(both[i]), ==, 0);
	}
}

/* stop and start take the whole cluster down and up, without its data */
static void
test_redis_backend_restart(void)
{
	g_autoptr(RcTestRedis) redis = rc_test_redis_new_cluster();
	RcTestCluster *cluster = rc_test_redis_get_cluster(redis);
	g_autofree gchar *set = rc_test_redis_command(redis, "SET", "survivor", "x", NULL);
	g_autofree gchar *dbsize = NULL;

	rc_test_redis_stop(redis);
	g_assert_false(rc_test_redis_is_running(redis));
	for (guint s = 0; s < RC_TEST_CLUSTER_N_MASTERS; s++) {
		g_assert_false(rc_test_cluster_is_running(
		    cluster, rc_test_cluster_get_master_port(cluster, s)));
		g_assert_false(rc_test_cluster_is_running(
		    cluster, rc_test_cluster_get_replica_port(cluster, s)));
	}
	rc_test_redis_start(redis);
	g_assert_true(rc_test_redis_is_running(redis));
	dbsize = rc_test_redis_command(redis, "DBSIZE", NULL);
	g_assert_cmpstr(dbsize, ==, "0");
	g_free(set);
	set = rc_test_redis_command(redis, "SET", "survivor", "y", NULL);
	g_assert_cmpstr(set, ==, "OK");
}

/* RC_TEST_REDIS picks the backend of rc_test_redis_new() */
static void
test_redis_backend_env(void)
{
	if (g_test_subprocess()) {
		g_setenv("RC_TEST_REDIS", "bogus", TRUE);
		rc_test_redis_want_cluster();
		return;
	}
	g_unsetenv("RC_TEST_REDIS");
	g_assert_false(rc_test_redis_want_cluster());
	g_setenv("RC_TEST_REDIS", "single", TRUE);
	g_assert_false(rc_test_redis_want_cluster());
	g_setenv("RC_TEST_REDIS", "cluster", TRUE);
	g_assert_true(rc_test_redis_want_cluster());
	{
		g_autoptr(RcTestRedis) redis = rc_test_redis_new();
		g_assert_true(rc_test_redis_is_cluster(redis));
	}
	g_unsetenv("RC_TEST_REDIS");
	{
		g_autoptr(RcTestRedis) redis = rc_test_redis_new();
		g_autofree gchar *entry = rc_test_redis_get_config_entry(redis);
		g_autofree gchar *expected =
		    g_strdup_printf("url=%s", rc_test_redis_get_url(redis));
		g_assert_false(rc_test_redis_is_cluster(redis));
		g_assert_null(rc_test_redis_get_cluster(redis));
		g_assert_cmpstr(entry, ==, expected);
	}
	g_test_trap_subprocess(NULL, 0, G_TEST_SUBPROCESS_DEFAULT);
	g_test_trap_assert_failed();
	g_test_trap_assert_stderr("*RC_TEST_REDIS=bogus*");
}

int
main(int argc, char **argv)
{
	rc_test_init(&argc, &argv);

	g_test_add_func("/cluster-harness/start", test_start);
	g_test_add_func("/cluster-harness/sharded-pubsub", test_sharded_pubsub);
	g_test_add_func("/cluster-harness/failover", test_failover);
	g_test_add_func("/cluster-harness/move-slot", test_move_slot);
	g_test_add_func("/cluster-harness/redis-backend/commands", test_redis_backend);
	g_test_add_func("/cluster-harness/redis-backend/nodes", test_redis_backend_nodes);
	g_test_add_func("/cluster-harness/redis-backend/restart", test_redis_backend_restart);
	g_test_add_func("/cluster-harness/redis-backend/env", test_redis_backend_env);
	return g_test_run();
}
