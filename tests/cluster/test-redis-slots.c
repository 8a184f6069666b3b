/*
 * Copyright 2026 roomcast developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Hash slots, redirections and slot maps, against replies a real Redis 7.0
 * cluster gave (redis-cluster-replies.h) and hand-made broken ones.
 */
#define G_LOG_DOMAIN "RcTestRedisSlots"

#include "config.h"

#include <string.h>

#include "bus/rc-redis-keys.h"
#include "bus/rc-redis-slots.h"
#include "redis-cluster-replies.h"

G_DEFINE_AUTOPTR_CLEANUP_FUNC(redisReply, freeReplyObject)

/* One whole reply from RESP bytes, through hiredis' own parser. */
static redisReply *
parse_resp_len(const gchar *bytes, gsize len)
{
	redisReader *reader = redisReaderCreate();
	void *reply = NULL;
	void *more = NULL;

	g_assert_cmpint(redisReaderFeed(reader, bytes, len), ==, REDIS_OK);
	g_assert_cmpint(redisReaderGetReply(reader, &reply), ==, REDIS_OK);
	g_assert_nonnull(reply);
	/* the fixture is exactly one reply */
	g_assert_cmpint(redisReaderGetReply(reader, &more), ==, REDIS_OK);
	g_assert_null(more);
	redisReaderFree(reader);
	return reply;
}

#define parse_resp(bytes) parse_resp_len((bytes), strlen(bytes))

static guint16
slot_of(const gchar *key)
{
	return rc_redis_key_slot(key, strlen(key));
}

/* ------------------------------------------------------------ hash slot --- */

static void
test_key_slot_known_values(void)
{
	/* CRC-16/XMODEM check value: 0x31C3 */
	g_assert_cmpuint(slot_of("123456789"), ==, 0x31C3);
	/* the rest as `redis-cli CLUSTER KEYSLOT` of Redis 7.0.15 gave them */
	g_assert_cmpuint(slot_of("123456789"), ==, 12739);
	g_assert_cmpuint(slot_of("foo"), ==, 12182);
	g_assert_cmpuint(slot_of("somekey"), ==, 11058);
	g_assert_cmpuint(slot_of("bar"), ==, 5061);
	g_assert_cmpuint(slot_of("user1000"), ==, 3443);
	g_assert_cmpuint(slot_of(""), ==, 0);
	g_assert_cmpuint(slot_of("{"), ==, 4092);
	g_assert_cmpuint(slot_of("}"), ==, 12090);
	g_assert_cmpuint(rc_redis_key_slot(NULL, 0), ==, 0);
	/* only @len bytes count */
	g_assert_cmpuint(rc_redis_key_slot("foobar", 3), ==, 12182);
}

static void
test_key_slot_hash_tags(void)
{
	const struct {
		const gchar *key;
		guint16 slot;
	} cases[] = {
	    {"foo{hash_tag}", 2515},
	    {"bar{hash_tag}", 2515},
	    {"{user1000}.following", 3443},
	    {"{user1000}.followers", 3443},
	    {"{rc:lobby}:messages", 5514},
	    {"rc:lobby", 5514},
	    /* an empty tag: the whole key */
	    {"{}", 15257},
	    {"{}foo", 9500},
	    {"foo{}", 5542},
	    /* only the first '{' and the first '}' after it count */
	    {"{{foo}}", 13308},
	    {"{foo", 13308},
	    {"foo{}{bar}", 8363},
	    {"foo{{bar}}zap", 4015},
	    {"{bar", 4015},
	    {"foo{bar}{zap}", 5061},
	    {"}{bar}", 5061},
	    {"a{b}c{d}", 3300},
	    {"{}}", 14790},
	};

	for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
		g_test_message("key %s", cases[i].key);
		g_assert_cmpuint(slot_of(cases[i].key), ==, cases[i].slot);
	}
	g_assert_cmpuint(slot_of("{user1000}.following"), ==, slot_of("{user1000}.followers"));
	g_assert_cmpuint(slot_of("{user1000}.following"), ==, slot_of("user1000"));
	/* no tag: whole key, different slot */
	g_assert_cmpuint(slot_of("user1000.following"), !=, slot_of("user1000.followers"));
}

static void
test_key_slot_binary(void)
{
	/* keys are bytes: a NUL neither ends the key nor the tag */
	static const gchar with_nul[] = "a\0b{x\0y}z";
	static const gchar tag[] = "x\0y";

	g_assert_cmpuint(rc_redis_key_slot(with_nul, sizeof(with_nul) - 1),
			 ==,
			 rc_redis_key_slot(tag, sizeof(tag) - 1));
	g_assert_cmpuint(rc_redis_key_slot(tag, sizeof(tag) - 1), !=, rc_redis_key_slot("x", 1));
	/* a '{' at the very end opens nothing */
	g_assert_cmpuint(rc_redis_key_slot("ab{", 3), ==, rc_redis_key_slot("ab{x", 3));
	for (guint c = 0; c < 256; c++) {
		gchar byte = (gchar)c;
		g_assert_cmpuint(rc_redis_key_slot(&byte, 1), <, RC_REDIS_SLOT_COUNT);
	}
}

/* the slot of a key without a tag against CRC-16/XMODEM computed bit by bit,
 * the way the cluster specification writes it: every byte value, and lengths
 * around the short keys rooms use */
static guint16
crc16_bitwise(const guint8 *data, gsize len)
{
	guint16 crc = 0;

	for (gsize i = 0; i < len; i++) {
		crc ^= (guint16)(data[i] << 8);
		for (guint bit = 0; bit < 8; bit++)
			crc = (crc & 0x8000) ? (guint16)((crc << 1) ^ 0x1021) : (guint16)(crc << 1);
	}
	return crc;
}

static void
test_key_slot_table(void)
{
	g_autoptr(GRand) rand = g_rand_new_with_seed(16384);
	guint8 key[64];

	for (guint c = 0; c < 256; c++) {
		key[0] = (guint8)c;
		g_assert_cmpuint(rc_redis_key_slot((const gchar *)key, 1),
				 ==,
				 crc16_bitwise(key, 1) & (RC_REDIS_SLOT_COUNT - 1));
	}
	for (guint n = 0; n < 5000; n++) {
		gsize len = g_rand_int_range(rand, 0, sizeof(key) + 1);
		for (gsize i = 0; i < len; i++) {
			/* no braces: the whole key is hashed */
			do
				key[i] = (guint8)g_rand_int_range(rand, 0, 256);
			while (key[i] == '{');
		}
		g_assert_cmpuint(rc_redis_key_slot((const gchar *)key, len),
				 ==,
				 crc16_bitwise(key, len) & (RC_REDIS_SLOT_COUNT - 1));
	}
}

/* a room's keys: the channel, the room's hash tag, a suffix per kind; the
 * channel name parses back to the room, colons in the roomCode and all */
static void
test_room_keys(void)
{
	static const struct {
		RcRedisKey which;
		const gchar *key;
	} kinds[] = {
	    {RC_REDIS_KEY_CHANNEL, "livechat:{/team:a:b}"},
	    {RC_REDIS_KEY_META, "livechat:{/team:a:b}:meta"},
	    {RC_REDIS_KEY_HISTORY, "livechat:{/team:a:b}:history"},
	    {RC_REDIS_KEY_INGRESS_SEEN, "livechat:{/team:a:b}:ingress"},
	    {RC_REDIS_KEY_PRESENCE, "livechat:{/team:a:b}:presence"},
	    {RC_REDIS_KEY_PRESENCE_NODES, "livechat:{/team:a:b}:nodes"},
	};
	g_autofree gchar *ns = NULL;
	g_autofree gchar *room_code = NULL;
	g_autofree gchar *channel = NULL;
	g_autofree gchar *empty = rc_redis_room_key("", RC_REDIS_KEY_META, "/", "r");

	for (guint i = 0; i < G_N_ELEMENTS(kinds); i++) {
		g_autofree gchar *key =
		    rc_redis_room_key("livechat", kinds[i].which, "/team", "a:b");
		g_assert_cmpstr(key, ==, kinds[i].key);
		/* every key of a room is in the room's slot */
		g_assert_cmpuint(slot_of(key), ==, slot_of("{/team:a:b}"));
	}
	g_assert_cmpstr(empty, ==, ":{/:r}:meta");
	channel = rc_redis_room_key("x", RC_REDIS_KEY_CHANNEL, "/", "r1");
	g_assert_true(rc_redis_parse_room_channel("x", channel, &ns, &room_code));
	g_assert_cmpstr(ns, ==, "/");
	g_assert_cmpstr(room_code, ==, "r1");
}

/* ---------------------------------------------------------- redirection --- */

static void
test_redirect_moved(void)
{
	g_autoptr(redisReply) reply = parse_resp(reply_moved);
	g_autofree gchar *host = NULL;
	gboolean ask = TRUE;
	guint16 slot = 0, port = 0;

	g_assert_cmpint(reply->type, ==, REDIS_REPLY_ERROR);
	g_assert_cmpstr(reply->str, ==, "MOVED 12182 127.0.0.1:21700");
	g_assert_true(rc_redis_parse_redirect(reply, &ask, &slot, &host, &port));
	g_assert_false(ask);
	g_assert_cmpuint(slot, ==, 12182);
	g_assert_cmpuint(slot, ==, slot_of("foo"));
	g_assert_cmpstr(host, ==, "127.0.0.1");
	g_assert_cmpuint(port, ==, 21700);

	/* an importing node still answers MOVED, to the slot's owner */
	{
		g_autoptr(redisReply) imp = parse_resp(reply_moved_importing);
		g_autofree gchar *h = NULL;
		g_assert_true(rc_redis_parse_redirect(imp, &ask, &slot, &h, &port));
		g_assert_false(ask);
		g_assert_cmpstr(h, ==, "127.0.0.1");
		g_assert_cmpuint(port, ==, 21700);
	}
	/* every out argument is optional */
	g_assert_true(rc_redis_parse_redirect(reply, NULL, NULL, NULL, NULL));
}

static void
test_redirect_ask(void)
{
	g_autoptr(redisReply) reply = parse_resp(reply_ask);
	g_autofree gchar *host = NULL;
	gboolean is_ask = FALSE;
	guint16 slot = 0, port = 0;

	g_assert_cmpstr(reply->str, ==, "ASK 12182 127.0.0.1:21698");
	g_assert_true(rc_redis_parse_redirect(reply, &is_ask, &slot, &host, &port));
	g_assert_true(is_ask);
	g_assert_cmpuint(slot, ==, 12182);
	g_assert_cmpstr(host, ==, "127.0.0.1");
	g_assert_cmpuint(port, ==, 21698);
}

static void
test_redirect_unknown_endpoint(void)
{
	g_autoptr(redisReply) unknown = parse_resp(reply_moved_unknown);
	g_autoptr(redisReply) qmark = parse_resp(reply_moved_qmark);
	gchar *host = (gchar *)"untouched";
	guint16 port = 0, slot = 0;

	g_assert_cmpstr(unknown->str, ==, "MOVED 12182 :21700");
	g_assert_true(rc_redis_parse_redirect(unknown, NULL, &slot, &host, &port));
	g_assert_null(host);
	g_assert_cmpuint(port, ==, 21700);
	g_assert_cmpuint(slot, ==, 12182);

	host = (gchar *)"untouched";
	g_assert_cmpstr(qmark->str, ==, "MOVED 12182 ?:21700");
	g_assert_true(rc_redis_parse_redirect(qmark, NULL, NULL, &host, &port));
	g_assert_null(host);
	g_assert_cmpuint(port, ==, 21700);
}

static void
test_redirect_ipv6(void)
{
	g_autoptr(redisReply) reply = parse_resp(reply_moved_v6);
	g_autoptr(redisReply) bracketed = parse_resp("-ASK 7 [2001:db8::5]:7001\r\n");
	g_autoptr(redisReply) hostname = parse_resp("-MOVED 0 redis-3.example:6379\r\n");
	g_autofree gchar *host = NULL;
	g_autofree gchar *host2 = NULL;
	g_autofree gchar *host3 = NULL;
	guint16 port = 0, slot = 1;
	gboolean is_ask = FALSE;

	/* Redis 7.0 writes IPv6 addresses without brackets */
	g_assert_cmpstr(reply->str, ==, "MOVED 12182 ::1:23002");
	g_assert_true(rc_redis_parse_redirect(reply, NULL, NULL, &host, &port));
	g_assert_cmpstr(host, ==, "::1");
	g_assert_cmpuint(port, ==, 23002);

	g_assert_true(rc_redis_parse_redirect(bracketed, &is_ask, &slot, &host2, &port));
	g_assert_true(is_ask);
	g_assert_cmpuint(slot, ==, 7);
	g_assert_cmpstr(host2, ==, "2001:db8::5");
	g_assert_cmpuint(port, ==, 7001);

	g_assert_true(rc_redis_parse_redirect(hostname, NULL, &slot, &host3, &port));
	g_assert_cmpuint(slot, ==, 0);
	g_assert_cmpstr(host3, ==, "redis-3.example");
	g_assert_cmpuint(port, ==, 6379);
}

static void
test_redirect_invalid(void)
{
	const gchar *bad[] = {
	    "-MOVED 16384 127.0.0.1:7000\r\n", /* no such slot */
	    "-MOVED -1 127.0.0.1:7000\r\n",
	    "-MOVED 99999999999999999999999 127.0.0.1:7000\r\n",
	    "-MOVED 1 127.0.0.1\r\n", /* no port */
	    "-MOVED 1 127.0.0.1:\r\n",
	    "-MOVED 1 127.0.0.1:0\r\n",
	    "-MOVED 1 127.0.0.1:65536\r\n",
	    "-MOVED 1 127.0.0.1:7000x\r\n",
	    "-MOVED 1 127.0.0.1:+7000\r\n",
	    "-MOVED x 127.0.0.1:7000\r\n",
	    "-MOVED  1 127.0.0.1:7000\r\n", /* two spaces */
	    "-MOVED 1 127.0.0.1:7000 \r\n",
	    "-ASK 1 127.0.0.1:7000 extra\r\n",
	    "-MOVED 1\r\n",
	    "-MOVED\r\n",
	    "-MOVED \r\n",
	    "-MOVEDX 1 127.0.0.1:7000\r\n",
	    "-moved 1 127.0.0.1:7000\r\n",
	    "-ERR MOVED 1 127.0.0.1:7000\r\n",
	    "-ASKING 1 127.0.0.1:7000\r\n",
	    "-TRYAGAIN Multiple keys request during rehashing of slot\r\n",
	    "-CLUSTERDOWN Hash slot not served\r\n",
	    /* not errors at all */
	    "+MOVED 1 127.0.0.1:7000\r\n",
	    "$22\r\nMOVED 1 127.0.0.1:7000\r\n",
	    ":1\r\n",
	    "*0\r\n",
	    "$-1\r\n",
	};
	g_autoptr(redisReply) cross = parse_resp(reply_crossslot);

	for (guint i = 0; i < G_N_ELEMENTS(bad); i++) {
		g_autoptr(redisReply) reply = parse_resp(bad[i]);
		gchar *host = (gchar *)"untouched";
		guint16 slot = 42, port = 42;
		gboolean is_ask = 42;

		g_test_message("reply %s", bad[i]);
		g_assert_false(rc_redis_parse_redirect(reply, &is_ask, &slot, &host, &port));
		g_assert_cmpstr(host, ==, "untouched");
		g_assert_cmpuint(slot, ==, 42);
		g_assert_cmpuint(port, ==, 42);
		g_assert_cmpint(is_ask, ==, 42);
	}
	g_assert_false(rc_redis_parse_redirect(cross, NULL, NULL, NULL, NULL));
	g_assert_false(rc_redis_parse_redirect(NULL, NULL, NULL, NULL, NULL));
	{
		/* a NUL in the endpoint is no host name */
		static const gchar nul[] = "MOVED 1 127.0\0.0.1:7000";
		redisReply fake = {
		    .type = REDIS_REPLY_ERROR, .str = (char *)nul, .len = sizeof(nul) - 1};
		g_assert_false(rc_redis_parse_redirect(&fake, NULL, NULL, NULL, NULL));
	}
}

/* ------------------------------------------------------------- topology --- */

static RcRedisTopology *
topology_from(gboolean shards, const gchar *resp, const gchar *asked_host)
{
	g_autoptr(redisReply) reply = parse_resp(resp);
	g_autoptr(GError) error = NULL;
	RcRedisTopology *topo = shards
				    ? rc_redis_topology_new_from_shards(reply, asked_host, &error)
				    : rc_redis_topology_new_from_slots(reply, asked_host, &error);

	g_assert_no_error(error);
	g_assert_nonnull(topo);
	return topo;
}

static void
assert_master(RcRedisTopology *topo,
	      guint shard,
	      const gchar *host,
	      guint16 port,
	      const gchar *id,
	      RcRedisNodeHealth health)
{
	const RcRedisNode *master = rc_redis_topology_get_master(topo, shard);
	guint16 p = 0;

	g_assert_nonnull(master);
	g_assert_true(master->is_master);
	g_assert_cmpstr(master->host, ==, host);
	g_assert_cmpuint(master->port, ==, port);
	g_assert_cmpstr(master->id, ==, id);
	g_assert_cmpint(master->health, ==, health);
	g_assert_cmpstr(rc_redis_topology_get_master_address(topo, shard, &p), ==, host);
	g_assert_cmpuint(p, ==, port);
}

static void
assert_range(RcRedisTopology *topo, guint shard, guint index, guint first, guint last)
{
	guint16 f = 0, l = 0;

	g_assert_cmpuint(rc_redis_topology_get_n_ranges(topo, shard), >, index);
	rc_redis_topology_get_range(topo, shard, index, &f, &l);
	g_assert_cmpuint(f, ==, first);
	g_assert_cmpuint(l, ==, last);
	g_assert_cmpint(rc_redis_topology_shard_for_slot(topo, (guint16)first), ==, (gint)shard);
	g_assert_cmpint(rc_redis_topology_shard_for_slot(topo, (guint16)last), ==, (gint)shard);
}

/* the settled six-node cluster, whichever command described it */
static void
assert_settled_cluster(RcRedisTopology *topo, RcRedisNodeHealth health)
{
	const RcRedisNode *replica;

	g_assert_cmpuint(rc_redis_topology_get_n_shards(topo), ==, 3);
	g_assert_cmpuint(rc_redis_topology_get_n_unassigned(topo), ==, 0);
	assert_master(
	    topo, 0, "127.0.0.1", 20324, "84a090fe5442d516be55968845a7cad16b92ef42", health);
	assert_master(
	    topo, 1, "127.0.0.1", 20325, "8ec0982bcfb559ef0b1006bcf9afa26142a4658e", health);
	assert_master(
	    topo, 2, "127.0.0.1", 20326, "8eaae4422040c45cdf17031dbdf0b4fd5d2d22c3", health);
	assert_range(topo, 0, 0, 0, 5460);
	assert_range(topo, 1, 0, 5461, 10922);
	assert_range(topo, 2, 0, 10923, 16383);
	g_assert_cmpuint(rc_redis_topology_get_n_slots(topo, 0), ==, 5461);
	g_assert_cmpuint(rc_redis_topology_get_n_slots(topo, 1), ==, 5462);
	g_assert_cmpuint(rc_redis_topology_get_n_slots(topo, 2), ==, 5461);
	for (guint i = 0; i < 3; i++) {
		g_assert_cmpuint(rc_redis_topology_get_n_ranges(topo, i), ==, 1);
		g_assert_cmpuint(rc_redis_topology_get_n_replicas(topo, i), ==, 1);
	}
	replica = rc_redis_topology_get_replica(topo, 0, 0);
	g_assert_false(replica->is_master);
	g_assert_cmpstr(replica->host, ==, "127.0.0.1");
	g_assert_cmpuint(replica->port, ==, 20329);
	g_assert_cmpstr(replica->id, ==, "20d8a28468bb2e77a9d4128594c0a02b2fb56455");
	g_assert_cmpint(replica->health, ==, health);
	g_assert_cmpuint(rc_redis_topology_get_replica(topo, 1, 0)->port, ==, 20327);
	g_assert_cmpuint(rc_redis_topology_get_replica(topo, 2, 0)->port, ==, 20328);

	/* "foo" is slot 12182, the third master's */
	g_assert_cmpint(rc_redis_topology_shard_for_key(topo, "foo", 3), ==, 2);
	g_assert_cmpint(rc_redis_topology_shard_for_key(topo, "{user1000}.following", 20), ==, 0);
	g_assert_cmpint(rc_redis_topology_shard_for_slot(topo, 5460), ==, 0);
	g_assert_cmpint(rc_redis_topology_shard_for_slot(topo, 5461), ==, 1);
	g_assert_cmpint(rc_redis_topology_find_shard(topo, "127.0.0.1", 20325), ==, 1);
	/* replicas are no shard's address */
	g_assert_cmpint(
	    rc_redis_topology_find_shard(topo, "127.0.0.1", 20329), ==, RC_REDIS_SHARD_NONE);
	g_assert_cmpint(
	    rc_redis_topology_find_shard(topo, "127.0.0.2", 20325), ==, RC_REDIS_SHARD_NONE);
}

static void
test_topology_shards_settled(void)
{
	g_autoptr(RcRedisTopology) topo = topology_from(TRUE, reply_shards_ok, "127.0.0.1");
	const RcRedisNode *master = rc_redis_topology_get_master(topo, 0);

	assert_settled_cluster(topo, RC_REDIS_NODE_HEALTH_ONLINE);
	g_assert_cmpstr(master->ip, ==, "127.0.0.1");
	g_assert_null(master->hostname);
	g_assert_cmpint(master->replication_offset, >, 0);
	g_assert_true(rc_redis_node_is_usable(master));
	g_assert_true(rc_redis_node_is_usable(rc_redis_topology_get_replica(topo, 0, 0)));
}

static void
test_topology_slots_settled(void)
{
	g_autoptr(RcRedisTopology) topo = topology_from(FALSE, reply_slots_ok, "127.0.0.1");
	g_autoptr(RcRedisTopology) shards = topology_from(TRUE, reply_shards_ok, "127.0.0.1");
	const RcRedisNode *master = rc_redis_topology_get_master(topo, 0);

	assert_settled_cluster(topo, RC_REDIS_NODE_HEALTH_UNKNOWN);
	/* with IP endpoints the endpoint is the IP */
	g_assert_cmpstr(master->ip, ==, "127.0.0.1");
	g_assert_cmpint(master->replication_offset, ==, -1);
	g_assert_true(rc_redis_node_is_usable(master));
	g_assert_true(rc_redis_topology_same_owners(topo, shards));
	g_assert_true(rc_redis_topology_same_owners(shards, topo));
}

static void
test_topology_fresh_replicas_loading(void)
{
	g_autoptr(RcRedisTopology) shards = topology_from(TRUE, reply_shards_fresh, "127.0.0.1");
	g_autoptr(RcRedisTopology) slots = topology_from(FALSE, reply_slots_fresh, "127.0.0.1");

	g_assert_cmpuint(rc_redis_topology_get_n_shards(shards), ==, 3);
	for (guint i = 0; i < 3; i++) {
		const RcRedisNode *replica = rc_redis_topology_get_replica(shards, i, 0);
		g_assert_cmpint(replica->health, ==, RC_REDIS_NODE_HEALTH_LOADING);
		g_assert_false(rc_redis_node_is_usable(replica));
		g_assert_cmpint(replica->replication_offset, ==, 0);
		g_assert_true(rc_redis_node_is_usable(rc_redis_topology_get_master(shards, i)));
		/* CLUSTER SLOTS does not list them at all */
		g_assert_cmpuint(rc_redis_topology_get_n_replicas(slots, i), ==, 0);
	}
	assert_master(shards,
		      2,
		      "127.0.0.1",
		      21700,
		      "e1ee50287a7cef8a913d874c317d5316092ca238",
		      RC_REDIS_NODE_HEALTH_ONLINE);
	g_assert_true(rc_redis_topology_same_owners(shards, slots));
}

static void
test_topology_unknown_endpoint(void)
{
	/* the cluster is reached through the host we asked */
	g_autoptr(RcRedisTopology) shards =
	    topology_from(TRUE, reply_shards_unknown, "redis.internal");
	g_autoptr(RcRedisTopology) slots =
	    topology_from(FALSE, reply_slots_unknown, "redis.internal");
	/* without one, the announced IP is all there is */
	g_autoptr(RcRedisTopology) shards_ip = topology_from(TRUE, reply_shards_unknown, NULL);
	g_autoptr(RcRedisTopology) slots_ip = topology_from(FALSE, reply_slots_unknown, "");

	for (guint i = 0; i < 3; i++) {
		g_assert_cmpstr(
		    rc_redis_topology_get_master(shards, i)->host, ==, "redis.internal");
		g_assert_cmpstr(rc_redis_topology_get_master(shards, i)->ip, ==, "127.0.0.1");
		g_assert_cmpstr(
		    rc_redis_topology_get_replica(shards, i, 0)->host, ==, "redis.internal");
		g_assert_cmpstr(rc_redis_topology_get_master(slots, i)->host, ==, "redis.internal");
		/* CLUSTER SLOTS tells the IP in its metadata then */
		g_assert_cmpstr(rc_redis_topology_get_master(slots, i)->ip, ==, "127.0.0.1");
		g_assert_cmpstr(rc_redis_topology_get_master(shards_ip, i)->host, ==, "127.0.0.1");
		g_assert_cmpstr(rc_redis_topology_get_master(slots_ip, i)->host, ==, "127.0.0.1");
	}
	assert_master(shards,
		      0,
		      "redis.internal",
		      21698,
		      "81b6de66fc47672dfa65a6bbc550ff8de12e088e",
		      RC_REDIS_NODE_HEALTH_ONLINE);
	g_assert_true(rc_redis_topology_same_owners(shards, slots));
	g_assert_true(rc_redis_topology_same_owners(shards_ip, slots_ip));
	/* same ids, other addresses: other owners */
	g_assert_false(rc_redis_topology_same_owners(shards, shards_ip));
}

static void
test_topology_hostname_missing(void)
{
	/* "?": hostnames preferred, none announced; the IP still reaches the node */
	g_autoptr(RcRedisTopology) shards =
	    topology_from(TRUE, reply_shards_qmark, "redis.internal");
	g_autoptr(RcRedisTopology) slots =
	    topology_from(FALSE, reply_slots_qmark, "redis.internal");

	for (guint i = 0; i < 3; i++) {
		g_assert_cmpstr(rc_redis_topology_get_master(shards, i)->host, ==, "127.0.0.1");
		g_assert_cmpstr(rc_redis_topology_get_master(slots, i)->host, ==, "127.0.0.1");
		g_assert_null(rc_redis_topology_get_master(shards, i)->hostname);
	}
	g_assert_true(rc_redis_topology_same_owners(shards, slots));
}

static void
test_topology_multiple_ranges(void)
{
	g_autoptr(RcRedisTopology) shards = topology_from(TRUE, reply_shards_hostname, "127.0.0.1");
	g_autoptr(RcRedisTopology) slots = topology_from(FALSE, reply_slots_hostname, "127.0.0.1");
	RcRedisTopology *both[] = {shards, slots};

	for (guint t = 0; t < G_N_ELEMENTS(both); t++) {
		RcRedisTopology *topo = both[t];
		const RcRedisNode *first = rc_redis_topology_get_master(topo, 0);

		g_assert_cmpuint(rc_redis_topology_get_n_shards(topo), ==, 3);
		g_assert_cmpuint(rc_redis_topology_get_n_unassigned(topo), ==, 0);
		/* slot 100 went to the second master */
		g_assert_cmpuint(rc_redis_topology_get_n_ranges(topo, 0), ==, 2);
		assert_range(topo, 0, 0, 0, 99);
		assert_range(topo, 0, 1, 101, 5460);
		g_assert_cmpuint(rc_redis_topology_get_n_slots(topo, 0), ==, 5460);
		g_assert_cmpuint(rc_redis_topology_get_n_ranges(topo, 1), ==, 2);
		assert_range(topo, 1, 0, 100, 100);
		assert_range(topo, 1, 1, 5461, 10922);
		g_assert_cmpuint(rc_redis_topology_get_n_slots(topo, 1), ==, 5463);
		g_assert_cmpuint(rc_redis_topology_get_n_ranges(topo, 2), ==, 1);
		/* the announced hostname is kept, the IP endpoint used */
		g_assert_cmpstr(first->hostname, ==, "node-a.example");
		g_assert_cmpstr(first->host, ==, "127.0.0.1");
		g_assert_cmpuint(first->port, ==, 21698);
		g_assert_null(rc_redis_topology_get_master(topo, 1)->hostname);
		/* a master coming once per range in CLUSTER SLOTS is still one shard */
		g_assert_cmpuint(rc_redis_topology_get_n_replicas(topo, 0), ==, 1);
		g_assert_cmpuint(rc_redis_topology_get_replica(topo, 0, 0)->port, ==, 21702);
		g_assert_cmpuint(rc_redis_topology_get_replica(topo, 1, 0)->port, ==, 21703);
	}
	g_assert_true(rc_redis_topology_same_owners(shards, slots));
}

static void
test_topology_failed_master(void)
{
	g_autoptr(RcRedisTopology) shards = topology_from(TRUE, reply_shards_failed, "127.0.0.1");
	g_autoptr(RcRedisTopology) slots = topology_from(FALSE, reply_slots_failed, "127.0.0.1");
	const RcRedisNode *dead = rc_redis_topology_get_master(shards, 2);

	/* Redis 7.0 says "fail" where the documentation says "failed" */
	assert_master(shards,
		      2,
		      "127.0.0.1",
		      21700,
		      "e1ee50287a7cef8a913d874c317d5316092ca238",
		      RC_REDIS_NODE_HEALTH_FAILED);
	g_assert_false(rc_redis_node_is_usable(dead));
	g_assert_cmpint(
	    rc_redis_topology_get_replica(shards, 2, 0)->health, ==, RC_REDIS_NODE_HEALTH_ONLINE);
	g_assert_cmpuint(rc_redis_topology_get_replica(shards, 2, 0)->port, ==, 21701);
	/* the failed master keeps its slots until its replica takes over */
	g_assert_cmpint(rc_redis_topology_shard_for_key(shards, "foo", 3), ==, 2);
	g_assert_cmpuint(rc_redis_topology_get_n_unassigned(shards), ==, 0);
	assert_master(slots,
		      2,
		      "127.0.0.1",
		      21700,
		      "e1ee50287a7cef8a913d874c317d5316092ca238",
		      RC_REDIS_NODE_HEALTH_UNKNOWN);
	g_assert_true(rc_redis_topology_same_owners(shards, slots));
}

static void
test_topology_after_failover(void)
{
	g_autoptr(RcRedisTopology) before = topology_from(TRUE, reply_shards_failed, "127.0.0.1");
	g_autoptr(RcRedisTopology) shards = topology_from(TRUE, reply_shards_after, "127.0.0.1");
	g_autoptr(RcRedisTopology) slots = topology_from(FALSE, reply_slots_after, "127.0.0.1");
	const RcRedisNode *old;

	/* the dead master is a shard of its own, serving nothing, sorted last */
	g_assert_cmpuint(rc_redis_topology_get_n_shards(shards), ==, 4);
	g_assert_cmpuint(rc_redis_topology_get_n_shards(slots), ==, 3);
	old = rc_redis_topology_get_master(shards, 3);
	g_assert_cmpuint(old->port, ==, 21700);
	g_assert_cmpint(old->health, ==, RC_REDIS_NODE_HEALTH_FAILED);
	g_assert_cmpuint(rc_redis_topology_get_n_slots(shards, 3), ==, 0);
	g_assert_cmpuint(rc_redis_topology_get_n_ranges(shards, 3), ==, 0);
	g_assert_cmpuint(rc_redis_topology_get_n_replicas(shards, 3), ==, 0);

	assert_master(shards,
		      2,
		      "127.0.0.1",
		      21701,
		      "4e49a1c05be7258fdbef56ef7fe884ff067163ab",
		      RC_REDIS_NODE_HEALTH_ONLINE);
	g_assert_cmpuint(rc_redis_topology_get_n_replicas(shards, 2), ==, 0);
	g_assert_cmpint(rc_redis_topology_shard_for_key(shards, "foo", 3), ==, 2);
	g_assert_cmpint(rc_redis_topology_find_shard(shards, "127.0.0.1", 21701), ==, 2);
	g_assert_cmpint(rc_redis_topology_find_shard(shards, "127.0.0.1", 21700), ==, 3);
	assert_master(slots,
		      2,
		      "127.0.0.1",
		      21701,
		      "4e49a1c05be7258fdbef56ef7fe884ff067163ab",
		      RC_REDIS_NODE_HEALTH_UNKNOWN);

	g_assert_true(rc_redis_topology_same_owners(shards, slots));
	/* the failover changed the owner of 10923-16383 */
	g_assert_false(rc_redis_topology_same_owners(before, shards));
	g_assert_false(rc_redis_topology_same_owners(slots, before));
}

static void
test_topology_ipv6(void)
{
	g_autoptr(RcRedisTopology) shards = topology_from(TRUE, reply_shards_v6, "::1");
	g_autoptr(RcRedisTopology) slots = topology_from(FALSE, reply_slots_v6, "::1");
	g_autofree gchar *text = rc_redis_topology_to_string(shards);

	assert_master(shards,
		      0,
		      "::1",
		      23000,
		      "a71119aea277ef7405610b66c343a807c97253cf",
		      RC_REDIS_NODE_HEALTH_ONLINE);
	assert_master(shards,
		      2,
		      "::1",
		      23002,
		      "fbf5e96d00a0ab58eb6d66bc779146763e3df80c",
		      RC_REDIS_NODE_HEALTH_ONLINE);
	g_assert_cmpstr(rc_redis_topology_get_master(shards, 1)->ip, ==, "::1");
	g_assert_cmpstr(rc_redis_topology_get_master(slots, 1)->ip, ==, "::1");
	g_assert_cmpint(rc_redis_topology_find_shard(slots, "::1", 23002), ==, 2);
	g_assert_true(rc_redis_topology_same_owners(shards, slots));
	g_assert_nonnull(
	    strstr(text, "10923-16383 [::1]:23002 fbf5e96d00a0ab58eb6d66bc779146763e3df80c"));
}

static void
test_topology_server_error(void)
{
	g_autoptr(redisReply) reply = parse_resp(reply_shards_disabled);
	g_autoptr(GError) error = NULL;
	g_autoptr(GError) error2 = NULL;

	g_assert_null(rc_redis_topology_new_from_shards(reply, "127.0.0.1", &error));
	g_assert_error(error, RC_REDIS_TOPOLOGY_ERROR, RC_REDIS_TOPOLOGY_ERROR_SERVER);
	g_assert_nonnull(strstr(error->message, "cluster support disabled"));
	g_assert_null(rc_redis_topology_new_from_slots(reply, "127.0.0.1", &error2));
	g_assert_error(error2, RC_REDIS_TOPOLOGY_ERROR, RC_REDIS_TOPOLOGY_ERROR_SERVER);
	g_assert_nonnull(strstr(error2->message, "CLUSTER SLOTS"));
}

/* a CLUSTER SHARDS node of our own making */
#define NODE(id, port, role)                                                                       \
	"*10\r\n$2\r\nid\r\n$" id "\r\n$4\r\nport\r\n" port "\r\n$2\r\nip\r\n$9\r\n127.0.0.1\r\n"  \
	"$8\r\nendpoint\r\n$9\r\n127.0.0.1\r\n$4\r\nrole\r\n" role

static void
test_topology_invalid(void)
{
	const struct {
		gboolean shards;
		const gchar *what;
		const gchar *resp;
	} cases[] = {
	    {TRUE, "not an array", "+OK\r\n"},
	    {FALSE, "not an array", ":3\r\n"},
	    {TRUE, "nil", "$-1\r\n"},
	    {TRUE, "a shard that is a string", "*1\r\n$5\r\nslots\r\n"},
	    {TRUE, "odd field list", "*1\r\n*3\r\n$5\r\nslots\r\n*0\r\n$5\r\nnodes\r\n"},
	    {TRUE, "no nodes", "*1\r\n*2\r\n$5\r\nslots\r\n*0\r\n"},
	    {TRUE, "no slots", "*1\r\n*2\r\n$5\r\nnodes\r\n*0\r\n"},
	    {TRUE, "odd slot list", "*1\r\n*4\r\n$5\r\nslots\r\n*1\r\n:0\r\n$5\r\nnodes\r\n*0\r\n"},
	    {TRUE,
	     "slot out of range",
	     "*1\r\n*4\r\n$5\r\nslots\r\n*2\r\n:0\r\n:16384\r\n$5\r\nnodes\r\n*1\r\n" NODE(
		 "1\r\na", ":7000", "$6\r\nmaster\r\n")},
	    {TRUE,
	     "reversed range",
	     "*1\r\n*4\r\n$5\r\nslots\r\n*2\r\n:9\r\n:3\r\n$5\r\nnodes\r\n*1\r\n" NODE(
		 "1\r\na", ":7000", "$6\r\nmaster\r\n")},
	    {TRUE,
	     "slots that are nil",
	     "*1\r\n*4\r\n$5\r\nslots\r\n*2\r\n$-1\r\n$-1\r\n$5\r\nnodes\r\n*1\r\n" NODE(
		 "1\r\na", ":7000", "$6\r\nmaster\r\n")},
	    {TRUE,
	     "slots but only a replica",
	     "*1\r\n*4\r\n$5\r\nslots\r\n*2\r\n:0\r\n:3\r\n$5\r\nnodes\r\n*1\r\n" NODE(
		 "1\r\na", ":7000", "$7\r\nreplica\r\n")},
	    {TRUE,
	     "two masters",
	     "*1\r\n*4\r\n$5\r\nslots\r\n*2\r\n:0\r\n:3\r\n$5\r\nnodes\r\n*2\r\n" NODE(
		 "1\r\na", ":7000", "$6\r\nmaster\r\n")
		 NODE("1\r\nb", ":7001", "$6\r\nmaster\r\n")},
	    {TRUE,
	     "slot served twice",
	     "*2\r\n"
	     "*4\r\n$5\r\nslots\r\n*2\r\n:0\r\n:10\r\n$5\r\nnodes\r\n*1\r\n" NODE(
		 "1\r\na",
		 ":7000",
		 "$6\r\nmaster\r\n") "*4\r\n$5\r\nslots\r\n*2\r\n:10\r\n:20\r\n$5\r\n"
				     "nodes\r\n*1\r\n" NODE("1\r\nb", ":7001", "$6\r\nmaster\r\n")},
	    {TRUE,
	     "port 0",
	     "*1\r\n*4\r\n$5\r\nslots\r\n*0\r\n$5\r\nnodes\r\n*1\r\n" NODE(
		 "1\r\na", ":0", "$6\r\nmaster\r\n")},
	    {TRUE,
	     "port too large",
	     "*1\r\n*4\r\n$5\r\nslots\r\n*0\r\n$5\r\nnodes\r\n*1\r\n" NODE(
		 "1\r\na", ":65536", "$6\r\nmaster\r\n")},
	    {TRUE,
	     "port as text",
	     "*1\r\n*4\r\n$5\r\nslots\r\n*0\r\n$5\r\nnodes\r\n*1\r\n" NODE(
		 "1\r\na", "$2\r\nxy", "$6\r\nmaster\r\n")},
	    {TRUE,
	     "node without any port",
	     "*1\r\n*4\r\n$5\r\nslots\r\n*0\r\n$5\r\nnodes\r\n*1\r\n"
	     "*4\r\n$2\r\nid\r\n$1\r\na\r\n$4\r\nrole\r\n$"
	     "6\r\nmaster\r\n"},
	    {TRUE,
	     "node without id",
	     "*1\r\n*4\r\n$5\r\nslots\r\n*0\r\n$5\r\nnodes\r\n*1\r\n"
	     "*4\r\n$4\r\nport\r\n:7000\r\n$4\r\nrole\r\n$6\r\nmaster\r\n"},
	    {TRUE,
	     "node without role",
	     "*1\r\n*4\r\n$5\r\nslots\r\n*0\r\n$5\r\nnodes\r\n*1\r\n"
	     "*4\r\n$2\r\nid\r\n$1\r\na\r\n$4\r\nport\r\n:7000\r\n"},
	    {TRUE,
	     "node without any address",
	     "*1\r\n*4\r\n$5\r\nslots\r\n*0\r\n$5\r\nnodes\r\n*1\r\n"
	     "*8\r\n$2\r\nid\r\n$1\r\na\r\n$4\r\nport\r\n:7000\r\n$4\r\nrole\r\n$6\r\nmaster\r\n"
	     "$8\r\nendpoint\r\n$0\r\n\r\n"},
	    {TRUE,
	     "node that is no field list",
	     "*1\r\n*4\r\n$5\r\nslots\r\n*0\r\n$5\r\nnodes\r\n*1\r\n:1\r\n"},
	    {FALSE, "entry too short", "*1\r\n*2\r\n:0\r\n:10\r\n"},
	    {FALSE, "entry that is no array", "*1\r\n$2\r\nab\r\n"},
	    {FALSE, "slot out of range", "*1\r\n*3\r\n:0\r\n:16384\r\n*2\r\n$1\r\nh\r\n:7000\r\n"},
	    {FALSE, "reversed range", "*1\r\n*3\r\n:10\r\n:0\r\n*2\r\n$1\r\nh\r\n:7000\r\n"},
	    {FALSE, "node too short", "*1\r\n*3\r\n:0\r\n:10\r\n*1\r\n$1\r\nh\r\n"},
	    {FALSE, "endpoint that is a number", "*1\r\n*3\r\n:0\r\n:10\r\n*2\r\n:1\r\n:7000\r\n"},
	    {FALSE, "port 0", "*1\r\n*3\r\n:0\r\n:10\r\n*2\r\n$1\r\nh\r\n:0\r\n"},
	    {FALSE,
	     "replica with a bad port",
	     "*1\r\n*4\r\n:0\r\n:10\r\n*2\r\n$1\r\nh\r\n:7000\r\n*2\r\n$1\r\nh\r\n:-5\r\n"},
	    {FALSE,
	     "slot served twice",
	     "*2\r\n*3\r\n:0\r\n:10\r\n*3\r\n$1\r\nh\r\n:7000\r\n$1\r\na\r\n"
	     "*3\r\n:5\r\n:20\r\n*3\r\n$1\r\nh\r\n:7001\r\n$1\r\nb\r\n"},
	    {FALSE,
	     "nil endpoint and nothing to stand in",
	     "*1\r\n*3\r\n:0\r\n:10\r\n*2\r\n$-1\r\n:7000\r\n"},
	};

	for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
		g_autoptr(redisReply) reply = parse_resp(cases[i].resp);
		g_autoptr(GError) error = NULL;
		RcRedisTopology *topo;

		g_test_message(
		    "%s: %s", cases[i].shards ? "CLUSTER SHARDS" : "CLUSTER SLOTS", cases[i].what);
		topo = cases[i].shards ? rc_redis_topology_new_from_shards(reply, NULL, &error)
				       : rc_redis_topology_new_from_slots(reply, NULL, &error);
		g_assert_null(topo);
		g_assert_error(error, RC_REDIS_TOPOLOGY_ERROR, RC_REDIS_TOPOLOGY_ERROR_INVALID);
		g_test_message("-> %s", error->message);
		g_assert_true(g_str_has_prefix(error->message, "unusable cluster slot map: "));
	}
	{
		g_autoptr(GError) error = NULL;
		g_assert_null(rc_redis_topology_new_from_shards(NULL, NULL, &error));
		g_assert_error(error, RC_REDIS_TOPOLOGY_ERROR, RC_REDIS_TOPOLOGY_ERROR_INVALID);
	}
}

static void
test_topology_lenient(void)
{
	/* what later servers may add, and what they may leave out */
	g_autoptr(RcRedisTopology) extra = topology_from(
	    TRUE,
	    "*1\r\n*6\r\n$7\r\nshardid\r\n$1\r\nx\r\n$5\r\nslots\r\n*4\r\n$1\r\n0\r\n$2\r\n10\r\n"
	    ":20\r\n:20\r\n$5\r\nnodes\r\n*2\r\n"
	    "*12\r\n$2\r\nid\r\n$1\r\na\r\n$4\r\nport\r\n:7000\r\n$8\r\ntls-port\r\n:7100\r\n"
	    "$2\r\nip\r\n$8\r\n10.0.0.1\r\n$4\r\nrole\r\n$6\r\nmaster\r\n$6\r\nhealth\r\n"
	    "$9\r\nwho-knows\r\n"
	    /* no endpoint field: the IP */
	    "*8\r\n$2\r\nid\r\n$1\r\nb\r\n$4\r\nport\r\n:7001\r\n$4\r\nrole\r\n$7\r\nreplica\r\n"
	    "$8\r\nendpoint\r\n$-1\r\n",
	    "seed.example");
	/* replicas of a master that is gone: nothing to route to */
	g_autoptr(RcRedisTopology) orphan =
	    topology_from(TRUE,
			  "*1\r\n*4\r\n$5\r\nslots\r\n*0\r\n$5\r\nnodes\r\n*1\r\n" NODE(
			      "1\r\na", ":7000", "$7\r\nreplica\r\n"),
			  NULL);
	/* CLUSTER SLOTS of Redis 3: no id, no metadata */
	g_autoptr(RcRedisTopology) old =
	    topology_from(FALSE,
			  "*1\r\n*4\r\n:0\r\n:16383\r\n*2\r\n$4\r\nhost\r\n:7000\r\n*2\r\n$"
			  "4\r\nhost\r\n:7001\r\n",
			  NULL);
	/* a node that only speaks TLS */
	g_autoptr(RcRedisTopology) tls_only = topology_from(
	    TRUE,
	    "*1\r\n*4\r\n$5\r\nslots\r\n*2\r\n:0\r\n:16383\r\n$5\r\nnodes\r\n*1\r\n"
	    "*8\r\n$2\r\nid\r\n$1\r\na\r\n$8\r\ntls-port\r\n:7000\r\n$4\r\nrole\r\n$"
	    "6\r\nmaster\r\n$8\r\nendpoint\r\n$4\r\nhost\r\n",
	    NULL);
	const RcRedisNode *master = rc_redis_topology_get_master(extra, 0);
	const RcRedisNode *replica = rc_redis_topology_get_replica(extra, 0, 0);

	g_assert_cmpuint(master->tls_port, ==, 7100);
	g_assert_cmpuint(replica->tls_port, ==, 0);
	g_assert_cmpuint(rc_redis_topology_get_master(tls_only, 0)->port, ==, 0);
	g_assert_cmpuint(rc_redis_topology_get_master(tls_only, 0)->tls_port, ==, 7000);

	g_assert_cmpuint(rc_redis_topology_get_n_slots(extra, 0), ==, 12);
	g_assert_cmpuint(rc_redis_topology_get_n_unassigned(extra), ==, RC_REDIS_SLOT_COUNT - 12);
	g_assert_cmpint(rc_redis_topology_shard_for_slot(extra, 11), ==, RC_REDIS_SHARD_NONE);
	g_assert_cmpint(rc_redis_topology_shard_for_slot(extra, 20), ==, 0);
	g_assert_cmpstr(master->host, ==, "10.0.0.1");
	g_assert_cmpuint(master->port, ==, 7000);
	g_assert_cmpint(master->health, ==, RC_REDIS_NODE_HEALTH_UNKNOWN);
	g_assert_cmpint(master->replication_offset, ==, -1);
	/* nil endpoint, no IP: the host we asked */
	g_assert_cmpstr(replica->host, ==, "seed.example");
	g_assert_null(replica->ip);

	g_assert_cmpuint(rc_redis_topology_get_n_shards(orphan), ==, 0);
	g_assert_cmpuint(rc_redis_topology_get_n_unassigned(orphan), ==, RC_REDIS_SLOT_COUNT);

	g_assert_cmpstr(rc_redis_topology_get_master(old, 0)->id, ==, "");
	g_assert_cmpstr(rc_redis_topology_get_master(old, 0)->host, ==, "host");
	g_assert_cmpuint(rc_redis_topology_get_replica(old, 0, 0)->port, ==, 7001);
	g_assert_cmpuint(rc_redis_topology_get_n_unassigned(old), ==, 0);
}

static void
test_topology_empty(void)
{
	g_autoptr(RcRedisTopology) shards = topology_from(TRUE, "*0\r\n", NULL);
	g_autoptr(RcRedisTopology) slots = topology_from(FALSE, "*0\r\n", NULL);
	g_autoptr(RcRedisTopology) full = topology_from(TRUE, reply_shards_ok, NULL);
	g_autofree gchar *text = rc_redis_topology_to_string(shards);

	g_assert_cmpuint(rc_redis_topology_get_n_shards(shards), ==, 0);
	g_assert_cmpuint(rc_redis_topology_get_n_unassigned(shards), ==, RC_REDIS_SLOT_COUNT);
	g_assert_cmpint(rc_redis_topology_shard_for_slot(shards, 0), ==, RC_REDIS_SHARD_NONE);
	g_assert_cmpint(rc_redis_topology_shard_for_key(slots, "foo", 3), ==, RC_REDIS_SHARD_NONE);
	g_assert_cmpint(
	    rc_redis_topology_find_shard(shards, "127.0.0.1", 7000), ==, RC_REDIS_SHARD_NONE);
	g_assert_true(rc_redis_topology_same_owners(shards, slots));
	g_assert_false(rc_redis_topology_same_owners(shards, full));
	g_assert_false(rc_redis_topology_same_owners(full, slots));
	g_assert_cmpstr(text, ==, "");
}

static void
test_topology_same_owners(void)
{
	g_autoptr(RcRedisTopology) ok = topology_from(TRUE, reply_shards_ok, "127.0.0.1");
	g_autoptr(RcRedisTopology) ok2 = topology_from(FALSE, reply_slots_ok, "127.0.0.1");
	g_autoptr(RcRedisTopology) moved_100 =
	    topology_from(TRUE, reply_shards_hostname, "127.0.0.1");
	g_autoptr(RcRedisTopology) fresh = topology_from(TRUE, reply_shards_fresh, "127.0.0.1");
	g_autoptr(RcRedisTopology) failed = topology_from(TRUE, reply_shards_failed, "127.0.0.1");
	g_autoptr(RcRedisTopology) one_slot =
	    topology_from(FALSE, reply_slots_hostname, "127.0.0.1");

	g_assert_true(rc_redis_topology_same_owners(ok, ok));
	g_assert_true(rc_redis_topology_same_owners(ok, ok2));
	/* another cluster: other ids and ports */
	g_assert_false(rc_redis_topology_same_owners(ok, fresh));
	/* health does not matter, the owner does */
	g_assert_true(rc_redis_topology_same_owners(moved_100, failed));
	/* one slot (100) apart */
	g_assert_false(rc_redis_topology_same_owners(fresh, moved_100));
	g_assert_false(rc_redis_topology_same_owners(one_slot, fresh));
	g_assert_true(rc_redis_topology_same_owners(one_slot, moved_100));
}

static void
test_topology_to_string(void)
{
	g_autoptr(RcRedisTopology) topo = topology_from(TRUE, reply_shards_after, "127.0.0.1");
	g_autofree gchar *text = rc_redis_topology_to_string(topo);

	g_assert_cmpstr(
	    text,
	    ==,
	    "0-99,101-5460 127.0.0.1:21698 81b6de66fc47672dfa65a6bbc550ff8de12e088e "
	    "[online] replicas 127.0.0.1:21702 28ba1de162c8207f8e7ea2f9c9f4fafa371c6f8c "
	    "[online]\n"
	    "100,5461-10922 127.0.0.1:21699 4b22f2c930baad72037917ce69df22bd1053d191 "
	    "[online] replicas 127.0.0.1:21703 2ff4e2eb20e6b76fe205cc7da4e09043e084fa05 "
	    "[online]\n"
	    "10923-16383 127.0.0.1:21701 4e49a1c05be7258fdbef56ef7fe884ff067163ab "
	    "[online]\n"
	    "- 127.0.0.1:21700 e1ee50287a7cef8a913d874c317d5316092ca238 [failed]\n");
}

static void
test_topology_boxed(void)
{
	RcRedisTopology *topo = topology_from(TRUE, reply_shards_ok, NULL);
	RcRedisTopology *copy;

	g_assert_true(G_TYPE_IS_BOXED(RC_TYPE_REDIS_TOPOLOGY));
	copy = g_boxed_copy(RC_TYPE_REDIS_TOPOLOGY, topo);
	g_assert_true(copy == topo);
	rc_redis_topology_unref(topo);
	/* still alive through the copy */
	g_assert_cmpuint(rc_redis_topology_get_n_shards(copy), ==, 3);
	g_boxed_free(RC_TYPE_REDIS_TOPOLOGY, copy);
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);

	g_test_add_func("/redis-slots/key-slot/known-values", test_key_slot_known_values);
	g_test_add_func("/redis-slots/key-slot/hash-tags", test_key_slot_hash_tags);
	g_test_add_func("/redis-slots/key-slot/binary", test_key_slot_binary);
	g_test_add_func("/redis-slots/key-slot/table", test_key_slot_table);
	g_test_add_func("/redis-slots/room-keys", test_room_keys);
	g_test_add_func("/redis-slots/redirect/moved", test_redirect_moved);
	g_test_add_func("/redis-slots/redirect/ask", test_redirect_ask);
	g_test_add_func("/redis-slots/redirect/unknown-endpoint", test_redirect_unknown_endpoint);
	g_test_add_func("/redis-slots/redirect/ipv6", test_redirect_ipv6);
	g_test_add_func("/redis-slots/redirect/invalid", test_redirect_invalid);
	g_test_add_func("/redis-slots/topology/shards-settled", test_topology_shards_settled);
	g_test_add_func("/redis-slots/topology/slots-settled", test_topology_slots_settled);
	g_test_add_func("/redis-slots/topology/fresh-replicas-loading",
			test_topology_fresh_replicas_loading);
	g_test_add_func("/redis-slots/topology/unknown-endpoint", test_topology_unknown_endpoint);
	g_test_add_func("/redis-slots/topology/hostname-missing", test_topology_hostname_missing);
	g_test_add_func("/redis-slots/topology/multiple-ranges", test_topology_multiple_ranges);
	g_test_add_func("/redis-slots/topology/failed-master", test_topology_failed_master);
	g_test_add_func("/redis-slots/topology/after-failover", test_topology_after_failover);
	g_test_add_func("/redis-slots/topology/ipv6", test_topology_ipv6);
	g_test_add_func("/redis-slots/topology/server-error", test_topology_server_error);
	g_test_add_func("/redis-slots/topology/invalid", test_topology_invalid);
	g_test_add_func("/redis-slots/topology/lenient", test_topology_lenient);
	g_test_add_func("/redis-slots/topology/empty", test_topology_empty);
	g_test_add_func("/redis-slots/topology/same-owners", test_topology_same_owners);
	g_test_add_func("/redis-slots/topology/to-string", test_topology_to_string);
	g_test_add_func("/redis-slots/topology/boxed", test_topology_boxed);
	return g_test_run();
}
