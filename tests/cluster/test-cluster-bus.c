/*
 * Copyright 2026 roomcast developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * roomcast on a real Redis Cluster (three masters, one replica each): three
 * roomcastd nodes, with rooms picked so that every shard serves some of them.
 * First what must hold on a healthy cluster (sharded channels only where a
 * node has members, offsets and order, HTTP and both ingress paths, history,
 * recovery and presence across nodes), then what must survive the cluster's
 * own events, each under a steady load of senders on every node: a slot
 * moving to another master, a master killed and its replica promoted, a
 * promoted replica that lacks the last writes, a whole shard lost and back,
 * every master gone. The tests run in order on one cluster and build on one
 * another's layout; each uses rooms of its own.
 */
#define G_LOG_DOMAIN "RcTestClusterBus"

#include <glib/gstdio.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

#include "rc-test-cluster.h"

#define N_NODES 3
#define CHANNEL "livechat"
/* every message a load test sends stays in the history, so all can be checked */
#define HISTORY_SIZE 5000
/* the load: every sender sends one message this often */
#define LOAD_INTERVAL_MS 60
/* how long after the promotion delivery must have resumed */
#define RESUME_WITHIN_MS 10000

static RcTestRedis *redis;
static RcTestCluster *cluster;
static RcTestNode *nodes[N_NODES];
static gchar *config_path;

/* ------------------------------------------------------------- helpers --- */

static const gchar *
node_name(guint i)
{
	static const gchar *const names[] = {"n1", "n2", "n3", "n4", "n5"};
	return names[i];
}

static RcTestNode *
start_node(const gchar *id)
{
	return rc_test_node_new("--port",
				"0",
				"--bus",
				"none",
				"--node-id",
				id,
				"--config",
				config_path,
				"--redis",
				rc_test_redis_get_url(redis),
				NULL);
}

static gchar *
room_channel(const gchar *room)
{
	return g_strdup_printf(CHANNEL ":{/:%s}", room);
}

static guint16
key_slot(const gchar *key)
{
	g_autofree gchar *slot = rc_test_cluster_command(
	    cluster, rc_test_cluster_get_master_port(cluster, 0), "CLUSTER", "KEYSLOT", key, NULL);
	return (guint16)g_ascii_strtoull(slot, NULL, 10);
}

static guint16
room_slot(const gchar *room)
{
	g_autofree gchar *channel = room_channel(room);
	return key_slot(channel);
}

static gint
room_shard(const gchar *room)
{
	return rc_test_cluster_master_for_slot(cluster, room_slot(room));
}

/* "PREFIX-N" with the smallest N whose slot the master of @shard serves, and
 * whose slot no room in @taken has (so that moving one moves no other) */
static gchar *
room_on_shard(const gchar *prefix, guint shard, GPtrArray *taken)
{
	for (guint i = 0; i < 1000; i++) {
		g_autofree gchar *room = g_strdup_printf("%s-%u", prefix, i);
		gboolean clash = FALSE;

		if (room_shard(room) != (gint)shard)
			continue;
		for (guint t = 0; taken != NULL && t < taken->len && !clash; t++)
			clash = room_slot(taken->pdata[t]) == room_slot(room);
		if (!clash)
			return g_steal_pointer(&room);
	}
	g_error("no room name %s-N on shard %u", prefix, shard);
}

static JsonObject *
msg_body(JsonObject *frame)
{
	return json_object_get_object_member(frame, "msg");
}

static guint64
frame_offset(JsonObject *frame)
{
	return json_object_has_member(frame, "offset")
		   ? (guint64)json_object_get_int_member(frame, "offset")
		   : 0;
}

/* joins and returns the joined frame */
static JsonObject *
join_room(RcTestWs *ws, const gchar *room, const gchar *extra)
{
	JsonObject *joined;

	rc_test_ws_send_printf(ws,
			       "{\"type\":\"join\",\"namespace\":\"/\",\"roomCode\":\"%s\"%s%s}",
			       room,
			       extra != NULL ? "," : "",
			       extra != NULL ? extra : "");
	joined = rc_test_ws_take(ws, "joined", NULL, 10000);
	g_assert_cmpstr(rc_test_json_get_string(joined, "roomCode"), ==, room);
	return joined;
}

static void
leave_room(RcTestWs *ws, const gchar *room)
{
	rc_test_ws_send_printf(
	    ws, "{\"type\":\"leave\",\"namespace\":\"/\",\"roomCode\":\"%s\"}", room);
	rc_test_ws_drop(ws, "left", NULL, 5000);
}

static JsonObject *
http_json(RcTestNode *node, const gchar *path, guint expected_status)
{
	g_autoptr(RcTestHttpReply) reply = rc_test_http_get(node, path);

	if (reply->status != expected_status)
		g_error("GET %s: %u %s (expected %u)",
			path,
			reply->status,
			reply->body,
			expected_status);
	return rc_test_http_reply_json(reply);
}

static JsonObject *
get_history(RcTestNode *node, const gchar *room)
{
	g_autofree gchar *path =
	    g_strdup_printf("/history?namespace=%%2F&roomCode=%s&limit=%u", room, HISTORY_SIZE);
	return http_json(node, path, 200);
}

static JsonArray *
history_messages(JsonObject *history)
{
	return json_object_get_array_member(history, "messages");
}

typedef struct {
	RcTestNode *node;
	const gchar *state; /* "connected", "degraded", "disconnected" */
	guint status;
} HealthWait;

static gboolean
health_is(gpointer user_data)
{
	HealthWait *w = user_data;
	g_autoptr(RcTestHttpReply) reply = rc_test_http_get(w->node, "/healthz");
	g_autoptr(JsonObject) body = rc_test_json_parse_object(reply->body);

	return reply->status == w->status &&
	       g_strcmp0(rc_test_json_get_string(body, "redis"), w->state) == 0;
}

static void
wait_health(RcTestNode *node, const gchar *state, guint status, guint timeout_ms)
{
	HealthWait w = {node, state, status};

	if (!rc_test_wait_until(health_is, &w, timeout_ms)) {
		g_autoptr(RcTestHttpReply) reply = rc_test_http_get(node, "/healthz");
		g_error("node %d: /healthz is %u %s, not %u \"%s\" after %u ms",
			rc_test_node_get_pid(node),
			reply->status,
			reply->body,
			status,
			state,
			rc_test_timeout(timeout_ms));
	}
}

static void
assert_shards_metric(RcTestNode *node, guint up, guint down, guint redis_up)
{
	g_autoptr(RcTestHttpReply) metrics = rc_test_http_get(node, "/metrics");

	g_assert_cmpuint(metrics->status, ==, 200);
	g_assert_cmpfloat(
	    rc_test_metrics_value(metrics->body, "roomcast_redis_shards{state=\"up\"}"), ==, up);
	g_assert_cmpfloat(
	    rc_test_metrics_value(metrics->body, "roomcast_redis_shards{state=\"down\"}"),
	    ==,
	    down);
	g_assert_cmpfloat(rc_test_metrics_value(metrics->body, "roomcast_redis_up"), ==, redis_up);
}

static gint
compare_strings(gconstpointer a, gconstpointer b)
{
	return g_strcmp0(*(const gchar *const *)a, *(const gchar *const *)b);
}

/* PUBSUB SHARDCHANNELS (or CHANNELS) CHANNEL* of one cluster node, sorted and
 * joined with spaces */
static gchar *
node_channels(guint16 port, gboolean sharded)
{
	g_autofree gchar *flat = rc_test_cluster_command(
	    cluster, port, "PUBSUB", sharded ? "SHARDCHANNELS" : "CHANNELS", CHANNEL "*", NULL);
	g_auto(GStrv) lines = g_strsplit(flat, "\n", -1);
	g_autoptr(GPtrArray) sorted = g_ptr_array_new();

	for (guint i = 0; lines[i] != NULL; i++) {
		if (lines[i][0] != '\0')
			g_ptr_array_add(sorted, lines[i]);
	}
	g_ptr_array_sort(sorted, compare_strings);
	g_ptr_array_add(sorted, NULL);
	return g_strjoinv(" ", (gchar **)sorted->pdata);
}

static gint
node_shard_numsub(guint16 port, const gchar *channel)
{
	g_autofree gchar *flat =
	    rc_test_cluster_command(cluster, port, "PUBSUB", "SHARDNUMSUB", channel, NULL);
	g_auto(GStrv) parts = g_strsplit(flat, "\n", -1);

	g_assert_cmpuint(g_strv_length(parts), ==, 2);
	return (gint)g_ascii_strtoll(parts[1], NULL, 10);
}

/* ------------------------------------------------------------ healthy --- */

static void
test_healthz(void)
{
	for (guint i = 0; i < N_NODES; i++) {
		g_autoptr(JsonObject) body = http_json(nodes[i], "/healthz", 200);

		g_assert_cmpstr(rc_test_json_get_string(body, "status"), ==, "ok");
		g_assert_cmpstr(rc_test_json_get_string(body, "redis"), ==, "connected");
		/* only a degraded cluster counts its shards down */
		g_assert_false(json_object_has_member(body, "shards_down"));
		assert_shards_metric(nodes[i], RC_TEST_CLUSTER_N_MASTERS, 0, 1);
	}
}

typedef struct {
	const gchar *room;
	guint n_nodes; /* nodes with members of it: its subscribers */
} ExpectedSub;

typedef struct {
	const ExpectedSub *subs;
	guint n_subs;
	GString *why;
} SubsWait;

/* Every master lists exactly the channels of its rooms that have subscribers,
 * each with that many subscribers; replicas list none; the ingress channel is
 * a classic channel of one master with every node on it. */
static gboolean
subs_match(gpointer user_data)
{
	SubsWait *w = user_data;
	guint ingress_found = 0;

	g_string_truncate(w->why, 0);
	for (guint s = 0; s < RC_TEST_CLUSTER_N_MASTERS; s++) {
		guint16 master = rc_test_cluster_get_master_port(cluster, s);
		guint16 replica = rc_test_cluster_get_replica_port(cluster, s);
		g_autoptr(GPtrArray) want = g_ptr_array_new_with_free_func(g_free);
		g_autofree gchar *expected = NULL;
		g_autofree gchar *listed = node_channels(master, TRUE);
		g_autofree gchar *classic = node_channels(master, FALSE);

		for (guint i = 0; i < w->n_subs; i++) {
			if (w->subs[i].n_nodes > 0 && room_shard(w->subs[i].room) == (gint)s)
				g_ptr_array_add(want, room_channel(w->subs[i].room));
		}
		g_ptr_array_sort(want, compare_strings);
		g_ptr_array_add(want, NULL);
		expected = g_strjoinv(" ", (gchar **)want->pdata);
		if (g_strcmp0(listed, expected) != 0) {
			g_string_append_printf(w->why,
					       "master %u lists [%s], expected [%s]; ",
					       master,
					       listed,
					       expected);
			continue;
		}
		for (guint i = 0; i < w->n_subs; i++) {
			g_autofree gchar *channel = room_channel(w->subs[i].room);
			gint n;

			if (w->subs[i].n_nodes == 0 || room_shard(w->subs[i].room) != (gint)s)
				continue;
			n = node_shard_numsub(master, channel);
			if (n != (gint)w->subs[i].n_nodes)
				g_string_append_printf(w->why,
						       "%s has %d subscribers, expected %u; ",
						       channel,
						       n,
						       w->subs[i].n_nodes);
		}
		if (rc_test_cluster_is_running(cluster, replica)) {
			g_autofree gchar *on_replica = node_channels(replica, TRUE);
			if (on_replica[0] != '\0')
				g_string_append_printf(
				    w->why, "replica %u lists [%s]; ", replica, on_replica);
		}
		/* the room channels are sharded only */
		if (g_strcmp0(classic, CHANNEL) == 0) {
			g_autofree gchar *numsub = rc_test_cluster_command(
			    cluster, master, "PUBSUB", "NUMSUB", CHANNEL, NULL);
			ingress_found++;
			if (!g_str_has_suffix(numsub, "\n3"))
				g_string_append_printf(
				    w->why, "the ingress channel has subscribers [%s]; ", numsub);
		} else if (classic[0] != '\0') {
			g_string_append_printf(
			    w->why, "master %u has classic channels [%s]; ", master, classic);
		}
	}
	if (ingress_found != 1)
		g_string_append_printf(
		    w->why, "the ingress channel is on %u masters, not one; ", ingress_found);
	return w->why->len == 0;
}

static void
assert_subscriptions(const ExpectedSub *subs, guint n_subs)
{
	g_autoptr(GString) why = g_string_new(NULL);
	SubsWait w = {subs, n_subs, why};

	if (!rc_test_wait_until(subs_match, &w, 5000))
		g_error("sharded subscriptions: %s", why->str);
}

static void
test_shard_channels(void)
{
	/* a-0 on n1 and n2, b-0 on n3, a-1 on n2, b-1 nowhere, a-2 on n3 and n1, b-2 on n1 */
	const guint room_of[] = {0, 0, 1, 2, 4, 4, 5};
	const guint node_of[] = {0, 1, 2, 1, 2, 0, 0};
	g_autoptr(GPtrArray) rooms = g_ptr_array_new_with_free_func(g_free);
	RcTestWs *ws[G_N_ELEMENTS(room_of)];
	ExpectedSub subs[6];

	/* two rooms on every shard */
	for (guint s = 0; s < RC_TEST_CLUSTER_N_MASTERS; s++) {
		g_ptr_array_add(rooms, room_on_shard("shch-a", s, rooms));
		g_ptr_array_add(rooms, room_on_shard("shch-b", s, rooms));
	}
	for (guint i = 0; i < rooms->len; i++) {
		subs[i].room = rooms->pdata[i];
		subs[i].n_nodes = 0;
		g_test_message("%s: slot %u, shard %d",
			       (gchar *)rooms->pdata[i],
			       room_slot(rooms->pdata[i]),
			       room_shard(rooms->pdata[i]));
	}
	/* no members, no room channels */
	assert_subscriptions(subs, G_N_ELEMENTS(subs));

	for (guint i = 0; i < G_N_ELEMENTS(ws); i++) {
		g_autoptr(JsonObject) joined = NULL;
		ws[i] = rc_test_ws_new(nodes[node_of[i]], NULL);
		joined = join_room(ws[i], rooms->pdata[room_of[i]], NULL);
		subs[room_of[i]].n_nodes++;
	}
	assert_subscriptions(subs, G_N_ELEMENTS(subs));
	/* a second member on n1 of a-2 changes nothing */
	{
		g_autoptr(RcTestWs) again = rc_test_ws_new(nodes[0], NULL);
		g_autoptr(JsonObject) joined = join_room(again, rooms->pdata[4], NULL);
		rc_test_sleep(200);
		assert_subscriptions(subs, G_N_ELEMENTS(subs));
		rc_test_ws_close(again);
	}
	rc_test_sleep(200);
	assert_subscriptions(subs, G_N_ELEMENTS(subs));

	/* b-2's only member disconnects: its channel goes */
	g_clear_pointer(&ws[6], rc_test_ws_free);
	subs[5].n_nodes--;
	assert_subscriptions(subs, G_N_ELEMENTS(subs));
	/* a-0 loses its member on n1 by leave: one subscriber left... */
	leave_room(ws[0], rooms->pdata[0]);
	subs[0].n_nodes--;
	assert_subscriptions(subs, G_N_ELEMENTS(subs));
	/* ...and the one on n2 by disconnecting: the channel goes */
	g_clear_pointer(&ws[1], rc_test_ws_free);
	subs[0].n_nodes--;
	assert_subscriptions(subs, G_N_ELEMENTS(subs));

	for (guint i = 0; i < G_N_ELEMENTS(ws); i++) {
		if (ws[i] != NULL)
			rc_test_ws_free(ws[i]);
	}
	for (guint i = 0; i < G_N_ELEMENTS(subs); i++)
		subs[i].n_nodes = 0;
	assert_subscriptions(subs, G_N_ELEMENTS(subs));
}

/* @n MSG_TO_CLIENTS frames of @ws, in arrival order (other frames stay queued) */
static GPtrArray *
collect(RcTestWs *ws, guint n, guint timeout_ms)
{
	GPtrArray *frames = g_ptr_array_new_with_free_func((GDestroyNotify)json_object_unref);

	while (frames->len < n)
		g_ptr_array_add(frames, rc_test_ws_take(ws, "MSG_TO_CLIENTS", NULL, timeout_ms));
	return frames;
}

static void
test_order_and_offsets(void)
{
	enum { N_MSGS = 40, PER_ROOM = 2 * N_NODES };
	RcTestWs *ws[RC_TEST_CLUSTER_N_MASTERS][PER_ROOM];
	gchar *rooms[RC_TEST_CLUSTER_N_MASTERS];
	gchar *epochs[RC_TEST_CLUSTER_N_MASTERS];

	for (guint r = 0; r < RC_TEST_CLUSTER_N_MASTERS; r++) {
		rooms[r] = room_on_shard("order", r, NULL);
		/* a sender on every node, and a member that only listens */
		for (guint m = 0; m < PER_ROOM; m++) {
			g_autofree gchar *query =
			    g_strdup_printf("sender=%c%u", m < N_NODES ? 's' : 'l', m % N_NODES);
			g_autoptr(JsonObject) joined = NULL;

			ws[r][m] = rc_test_ws_new(nodes[m % N_NODES], query);
			joined = join_room(ws[r][m], rooms[r], NULL);
			g_assert_cmpint(json_object_get_int_member(joined, "offset"), ==, 0);
			if (m == 0)
				epochs[r] = g_strdup(rc_test_json_get_string(joined, "epoch"));
			/* one epoch for the room, whichever node is asked */
			g_assert_cmpstr(rc_test_json_get_string(joined, "epoch"), ==, epochs[r]);
		}
	}
	/* every sender of every room at once, without waiting for acks */
	for (guint k = 0; k < N_MSGS; k++) {
		for (guint r = 0; r < RC_TEST_CLUSTER_N_MASTERS; r++) {
			for (guint m = 0; m < N_NODES; m++)
				rc_test_ws_send_printf(
				    ws[r][m],
				    "{\"type\":\"send\",\"namespace\":\"/\","
				    "\"roomCode\":\"%s\",\"text\":\"%u\",\"ref\":\"r%u\"}",
				    rooms[r],
				    k,
				    k);
		}
	}
	for (guint r = 0; r < RC_TEST_CLUSTER_N_MASTERS; r++) {
		for (guint m = 0; m < N_NODES; m++) {
			for (guint k = 0; k < N_MSGS; k++) {
				g_autofree gchar *ref = g_strdup_printf("r%u", k);
				rc_test_ws_drop(ws[r][m], "ack", ref, 10000);
			}
		}
	}
	for (guint r = 0; r < RC_TEST_CLUSTER_N_MASTERS; r++) {
		g_autoptr(GPtrArray) first = collect(ws[r][0], N_NODES * N_MSGS, 10000);

		for (guint m = 0; m < PER_ROOM; m++) {
			g_autoptr(GPtrArray) seen =
			    m == 0 ? g_ptr_array_ref(first)
				   : collect(ws[r][m], N_NODES * N_MSGS, 10000);
			gint last[N_NODES] = {-1, -1, -1};

			for (guint j = 0; j < seen->len; j++) {
				JsonObject *a = seen->pdata[j];
				const gchar *sender =
				    rc_test_json_get_string(msg_body(a), "sender");
				guint s = (guint)g_ascii_strtoull(sender + 1, NULL, 10);
				gint k = (gint)g_ascii_strtoll(
				    rc_test_json_get_string(msg_body(a), "text"), NULL, 10);

				/* offsets 1, 2, 3... in the room's epoch */
				g_assert_cmpuint(frame_offset(a), ==, j + 1);
				g_assert_cmpstr(
				    rc_test_json_get_string(a, "roomCode"), ==, rooms[r]);
				/* the same sequence at every member, on every node */
				g_assert_cmpstr(rc_test_json_get_string(a, "id"),
						==,
						rc_test_json_get_string(first->pdata[j], "id"));
				/* each sender's messages in the order sent */
				g_assert_cmpuint(s, <, N_NODES);
				g_assert_cmpint(k, ==, last[s] + 1);
				last[s] = k;
			}
			rc_test_ws_expect_silence(ws[r][m], m == 0 ? 200 : 0);
		}
	}
	for (guint r = 0; r < RC_TEST_CLUSTER_N_MASTERS; r++) {
		for (guint m = 0; m < PER_ROOM; m++)
			rc_test_ws_free(ws[r][m]);
		g_free(rooms[r]);
		g_free(epochs[r]);
	}
}

/* one member per node in a room on every shard */
typedef struct {
	gchar *rooms[RC_TEST_CLUSTER_N_MASTERS];
	RcTestWs *ws[RC_TEST_CLUSTER_N_MASTERS][N_NODES];
} Spread;

static Spread *
spread_new(const gchar *prefix, const gchar *join_extra)
{
	Spread *sp = g_new0(Spread, 1);

	for (guint r = 0; r < RC_TEST_CLUSTER_N_MASTERS; r++) {
		sp->rooms[r] = room_on_shard(prefix, r, NULL);
		for (guint n = 0; n < N_NODES; n++) {
			g_autoptr(JsonObject) joined = NULL;
			sp->ws[r][n] = rc_test_ws_new(nodes[n], NULL);
			joined = join_room(sp->ws[r][n], sp->rooms[r], join_extra);
		}
	}
	return sp;
}

static void
spread_free(Spread *sp)
{
	for (guint r = 0; r < RC_TEST_CLUSTER_N_MASTERS; r++) {
		for (guint n = 0; n < N_NODES; n++)
			rc_test_ws_free(sp->ws[r][n]);
		g_free(sp->rooms[r]);
	}
	g_free(sp);
}
G_DEFINE_AUTOPTR_CLEANUP_FUNC(Spread, spread_free)

/* every member of room @r gets one message with @text from @sender (and
 * @id, when not NULL); returns its offset, the same everywhere (0: none) */
static guint64
spread_expect(Spread *sp, guint r, const gchar *sender, const gchar *text, const gchar *id)
{
	guint64 offset = 0;
	g_autofree gchar *first_id = NULL;

	for (guint n = 0; n < N_NODES; n++) {
		g_autoptr(JsonObject) msg =
		    rc_test_ws_take(sp->ws[r][n], "MSG_TO_CLIENTS", NULL, 5000);

		g_assert_cmpstr(rc_test_json_get_string(msg, "roomCode"), ==, sp->rooms[r]);
		g_assert_cmpstr(rc_test_json_get_string(msg_body(msg), "sender"), ==, sender);
		g_assert_cmpstr(rc_test_json_get_string(msg_body(msg), "text"), ==, text);
		if (id != NULL)
			g_assert_cmpstr(rc_test_json_get_string(msg, "id"), ==, id);
		if (n == 0) {
			offset = frame_offset(msg);
			first_id = g_strdup(rc_test_json_get_string(msg, "id"));
		}
		g_assert_cmpuint(frame_offset(msg), ==, offset);
		/* a payload without an id gets one from each node; with an offset it has
		 * one from the node that took it in */
		if (offset > 0)
			g_assert_cmpstr(rc_test_json_get_string(msg, "id"), ==, first_id);
	}
	return offset;
}

static void
spread_expect_silence(Spread *sp, guint ms)
{
	for (guint r = 0; r < RC_TEST_CLUSTER_N_MASTERS; r++) {
		for (guint n = 0; n < N_NODES; n++)
			rc_test_ws_expect_silence(sp->ws[r][n], r == 0 && n == 0 ? ms : 0);
	}
}

static gchar *
message_json(const gchar *room, const gchar *sender, const gchar *text)
{
	return g_strdup_printf(
	    "{\"namespace\":\"/\",\"roomCode\":\"%s\",\"msg\":{\"sender\":\"%s\",\"text\":\"%s\"}}",
	    room,
	    sender,
	    text);
}

static void
test_http_publish(void)
{
	g_autoptr(Spread) sp = spread_new("http", NULL);

	/* every node publishes into every shard's room */
	for (guint n = 0; n < N_NODES; n++) {
		for (guint r = 0; r < RC_TEST_CLUSTER_N_MASTERS; r++) {
			g_autofree gchar *text = g_strdup_printf("posted to %s", node_name(n));
			g_autofree gchar *body = message_json(sp->rooms[r], "bot", text);
			g_autoptr(RcTestHttpReply) reply =
			    rc_test_http_post(nodes[n], "/publish", NULL, body, strlen(body), NULL);
			g_autoptr(JsonObject) result = NULL;

			g_assert_cmpuint(reply->status, ==, 200);
			result = rc_test_http_reply_json(reply);
			g_assert_true(json_object_get_boolean_member(result, "success"));
			g_assert_cmpuint(
			    spread_expect(
				sp, r, "bot", text, rc_test_json_get_string(result, "id")),
			    ==,
			    n + 1);
		}
	}
	spread_expect_silence(sp, 300);
}

static gint
cli_publish_on(guint16 port, const gchar *channel, const gchar *payload)
{
	g_autofree gchar *port_s = g_strdup_printf("%u", port);
	const gchar *argv[] = {
	    "redis-cli", "-h", "127.0.0.1", "-p", port_s, "PUBLISH", channel, payload, NULL};
	g_autofree gchar *out = NULL;
	gint status = 0;
	g_autoptr(GError) error = NULL;

	g_spawn_sync(NULL,
		     (gchar **)argv,
		     NULL,
		     G_SPAWN_SEARCH_PATH,
		     NULL,
		     NULL,
		     &out,
		     NULL,
		     &status,
		     &error);
	g_assert_no_error(error);
	g_assert_true(g_spawn_check_wait_status(status, NULL));
	return (gint)g_ascii_strtoll(out, NULL, 10);
}

static void
test_ingress_channel(void)
{
	g_autoptr(Spread) sp = spread_new("ingress-ch", NULL);

	/* classic pub/sub reaches every node of the cluster: a PUBLISH on any of
	 * them, masters and replicas, reaches every member of every node */
	for (guint s = 0; s < RC_TEST_CLUSTER_N_MASTERS; s++) {
		guint16 ports[] = {rc_test_cluster_get_master_port(cluster, s),
				   rc_test_cluster_get_replica_port(cluster, s)};
		for (guint p = 0; p < G_N_ELEMENTS(ports); p++) {
			for (guint r = 0; r < RC_TEST_CLUSTER_N_MASTERS; r++) {
				g_autofree gchar *text = g_strdup_printf("via %u", ports[p]);
				g_autofree gchar *body = message_json(sp->rooms[r], "ops", text);

				cli_publish_on(ports[p], CHANNEL, body);
				/* straight onto the channel: no offset, live only */
				g_assert_cmpuint(spread_expect(sp, r, "ops", text, NULL), ==, 0);
			}
		}
	}
	spread_expect_silence(sp, 300);
	/* where the nodes listen, PUBLISH counts all three */
	{
		g_autofree gchar *body = message_json(sp->rooms[0], "ops", "counted");
		g_assert_cmpint(rc_test_redis_cli_publish(redis, CHANNEL, body), ==, N_NODES);
		spread_expect(sp, 0, "ops", "counted", NULL);
	}
}

/* XADD CHANNEL:ingress * message @body through `redis-cli -c -p @port`; the id */
static gchar *
cli_xadd(guint16 port, const gchar *body)
{
	g_autofree gchar *port_s = g_strdup_printf("%u", port);
	const gchar *argv[] = {"redis-cli",
			       "-c",
			       "-h",
			       "127.0.0.1",
			       "-p",
			       port_s,
			       "XADD",
			       CHANNEL ":ingress",
			       "*",
			       "message",
			       body,
			       NULL};
	gchar *out = NULL;
	gint status = 0;
	g_autoptr(GError) error = NULL;

	g_spawn_sync(NULL,
		     (gchar **)argv,
		     NULL,
		     G_SPAWN_SEARCH_PATH,
		     NULL,
		     NULL,
		     &out,
		     NULL,
		     &status,
		     &error);
	g_assert_no_error(error);
	g_assert_true(g_spawn_check_wait_status(status, NULL));
	return g_strstrip(out);
}

static gboolean
nothing_pending(gpointer user_data)
{
	/* XPENDING's summary: count, smallest and greatest id, consumers */
	g_autofree gchar *pending =
	    rc_test_redis_command(redis, "XPENDING", CHANNEL ":ingress", "roomcast", NULL);
	return g_str_has_prefix(pending, "0\n");
}

static void
test_ingress_stream(void)
{
	g_autoptr(Spread) sp = spread_new("ingress-st", NULL);
	gint stream_shard = rc_test_cluster_master_for_slot(cluster, key_slot(CHANNEL ":ingress"));

	for (guint r = 0; r < RC_TEST_CLUSTER_N_MASTERS; r++) {
		for (guint k = 1; k <= 3; k++) {
			g_autofree gchar *text = g_strdup_printf("entry %u", k);
			g_autofree gchar *body = message_json(sp->rooms[r], "feed", text);
			/* to the stream's master: redis-cli -c follows the redirection from
			 * the first shard's master, the harness asks the owner */
			g_autofree gchar *id =
			    k == 2 ? cli_xadd(rc_test_cluster_get_master_port(cluster, 0), body)
				   : rc_test_redis_command(redis,
							   "XADD",
							   CHANNEL ":ingress",
							   "*",
							   "message",
							   body,
							   NULL);

			g_assert_true(strchr(id, '-') != NULL);
			/* published once, by one node, with an offset */
			g_assert_cmpuint(spread_expect(sp, r, "feed", text, NULL), ==, k);
		}
	}
	spread_expect_silence(sp, 500);
	/* the stream is one key, on the master of its own slot, read by the group */
	g_assert_cmpint(stream_shard, >=, 0);
	{
		g_autofree gchar *exists =
		    rc_test_cluster_command(cluster,
					    rc_test_cluster_get_master_port(cluster, stream_shard),
					    "EXISTS",
					    CHANNEL ":ingress",
					    NULL);

		g_assert_cmpstr(exists, ==, "1");
		/* acknowledged once published: nothing stays pending */
		g_assert_true(rc_test_wait_until(nothing_pending, NULL, 5000));
	}
}

static void
assert_offsets(JsonArray *messages, guint64 first, guint64 last)
{
	g_assert_cmpuint(json_array_get_length(messages), ==, last - first + 1);
	for (guint i = 0; i < json_array_get_length(messages); i++)
		g_assert_cmpuint(
		    frame_offset(json_array_get_object_element(messages, i)), ==, first + i);
}

static void
test_history_and_since(void)
{
	for (guint r = 0; r < RC_TEST_CLUSTER_N_MASTERS; r++) {
		g_autofree gchar *room = room_on_shard("hist", r, NULL);
		g_autoptr(RcTestWs) a = rc_test_ws_new(nodes[0], "sender=alice");
		RcTestWs *b = rc_test_ws_new(nodes[1], NULL);
		g_autoptr(RcTestWs) back = rc_test_ws_new(nodes[2], NULL);
		g_autoptr(RcTestWs) asker = rc_test_ws_new(nodes[1], NULL);
		g_autoptr(RcTestWs) late = rc_test_ws_new(nodes[2], NULL);
		g_autoptr(JsonObject) joined = join_room(a, room, NULL);
		g_autoptr(JsonObject) joined_b = join_room(b, room, NULL);
		g_autoptr(JsonObject) rejoined = NULL;
		g_autoptr(JsonObject) reply = NULL;
		g_autoptr(JsonObject) older = NULL;
		g_autoptr(JsonObject) http = NULL;
		g_autoptr(JsonObject) late_joined = NULL;
		const gchar *epoch = rc_test_json_get_string(joined, "epoch");
		g_autofree gchar *since = NULL;
		gchar *ids[10] = {NULL};

		g_assert_cmpstr(rc_test_json_get_string(joined_b, "epoch"), ==, epoch);
		for (guint k = 1; k <= 5; k++) {
			g_autofree gchar *text = g_strdup_printf("m%u", k);
			g_autoptr(JsonObject) seen = NULL;
			ids[k] = rc_test_ws_send_message(a, "/", room, text);
			seen = rc_test_ws_take(b, "MSG_TO_CLIENTS", NULL, 5000);
			g_assert_cmpuint(frame_offset(seen), ==, k);
		}
		/* b goes away; what it misses is held by the room's master */
		rc_test_ws_free(b);
		for (guint k = 6; k <= 8; k++) {
			g_autofree gchar *text = g_strdup_printf("m%u", k);
			ids[k] = rc_test_ws_send_message(a, "/", room, text);
		}
		/* back on another node, from where it was */
		since = g_strdup_printf("\"since\":{\"epoch\":\"%s\",\"offset\":5}", epoch);
		rejoined = join_room(back, room, since);
		g_assert_true(json_object_get_boolean_member(rejoined, "recovered"));
		g_assert_cmpstr(rc_test_json_get_string(rejoined, "epoch"), ==, epoch);
		g_assert_cmpint(json_object_get_int_member(rejoined, "offset"), ==, 8);
		for (guint k = 6; k <= 8; k++) {
			g_autoptr(JsonObject) m =
			    rc_test_ws_take(back, "MSG_TO_CLIENTS", NULL, 5000);
			g_assert_cmpuint(frame_offset(m), ==, k);
			g_assert_cmpstr(rc_test_json_get_string(m, "id"), ==, ids[k]);
		}
		/* then live, once */
		ids[9] = rc_test_ws_send_message(a, "/", room, "m9");
		{
			g_autoptr(JsonObject) m =
			    rc_test_ws_take(back, "MSG_TO_CLIENTS", NULL, 5000);
			g_assert_cmpuint(frame_offset(m), ==, 9);
			g_assert_cmpstr(rc_test_json_get_string(m, "id"), ==, ids[9]);
		}
		rc_test_ws_expect_silence(back, 200);

		/* the newest four, and what came before offset 3, asked by a non-member */
		rc_test_ws_send_printf(
		    asker,
		    "{\"type\":\"history\",\"namespace\":\"/\",\"roomCode\":\"%s\","
		    "\"limit\":4,\"ref\":\"h1\"}",
		    room);
		reply = rc_test_ws_take(asker, "history", "h1", 5000);
		g_assert_cmpstr(rc_test_json_get_string(reply, "epoch"), ==, epoch);
		assert_offsets(json_object_get_array_member(reply, "messages"), 6, 9);
		rc_test_ws_send_printf(
		    asker,
		    "{\"type\":\"history\",\"namespace\":\"/\",\"roomCode\":\"%s\","
		    "\"before\":3,\"ref\":\"h2\"}",
		    room);
		older = rc_test_ws_take(asker, "history", "h2", 5000);
		assert_offsets(json_object_get_array_member(older, "messages"), 1, 2);
		g_assert_cmpstr(
		    rc_test_json_get_string(json_array_get_object_element(
						json_object_get_array_member(older, "messages"), 0),
					    "id"),
		    ==,
		    ids[1]);
		/* over HTTP from the third node */
		http = get_history(nodes[2], room);
		g_assert_cmpstr(rc_test_json_get_string(http, "epoch"), ==, epoch);
		g_assert_cmpint(json_object_get_int_member(http, "offset"), ==, 9);
		assert_offsets(history_messages(http), 1, 9);
		/* a join with history replays the last three, then goes live */
		late_joined = join_room(late, room, "\"history\":3");
		for (guint k = 7; k <= 9; k++) {
			g_autoptr(JsonObject) m =
			    rc_test_ws_take(late, "MSG_TO_CLIENTS", NULL, 5000);
			g_assert_cmpuint(frame_offset(m), ==, k);
		}
		rc_test_ws_expect_silence(late, 100);
		for (guint k = 0; k < G_N_ELEMENTS(ids); k++)
			g_free(ids[k]);
	}
}

/* the "members" of a who reply as "sender@node" sorted and joined with spaces */
static gchar *
who(RcTestWs *ws, const gchar *room)
{
	g_autoptr(JsonObject) reply = NULL;
	g_autoptr(GPtrArray) list = g_ptr_array_new_with_free_func(g_free);
	JsonArray *members;

	rc_test_ws_send_printf(
	    ws, "{\"type\":\"who\",\"namespace\":\"/\",\"roomCode\":\"%s\",\"ref\":\"w\"}", room);
	reply = rc_test_ws_take(ws, "members", "w", 5000);
	members = json_object_get_array_member(reply, "members");
	for (guint i = 0; i < json_array_get_length(members); i++) {
		JsonObject *m = json_array_get_object_element(members, i);
		g_ptr_array_add(list,
				g_strdup_printf("%s@%s",
						rc_test_json_get_string(m, "sender"),
						rc_test_json_get_string(m, "node")));
	}
	g_ptr_array_sort(list, compare_strings);
	g_ptr_array_add(list, NULL);
	return g_strjoinv(" ", (gchar **)list->pdata);
}

static void
expect_presence(RcTestWs *ws, const gchar *event, const gchar *sender, const gchar *node)
{
	g_autoptr(JsonObject) p = rc_test_ws_take(ws, "presence", NULL, 5000);

	g_assert_cmpstr(rc_test_json_get_string(p, "event"), ==, event);
	g_assert_cmpstr(rc_test_json_get_string(p, "sender"), ==, sender);
	g_assert_cmpstr(rc_test_json_get_string(p, "node"), ==, node);
}

static void
test_presence(void)
{
	for (guint r = 0; r < RC_TEST_CLUSTER_N_MASTERS; r++) {
		g_autofree gchar *room = room_on_shard("pres", r, NULL);
		g_autoptr(RcTestWs) a = rc_test_ws_new(nodes[0], "sender=ann");
		g_autoptr(RcTestWs) b = rc_test_ws_new(nodes[1], "sender=bob");
		RcTestWs *c = rc_test_ws_new(nodes[2], "sender=cid");
		g_autoptr(RcTestWs) outsider = rc_test_ws_new(nodes[2], NULL);
		g_autoptr(JsonObject) ja = join_room(a, room, "\"presence\":true");
		g_autoptr(JsonObject) jb = join_room(b, room, NULL);
		g_autoptr(JsonObject) jc = join_room(c, room, NULL);
		g_autofree gchar *all = NULL;
		g_autofree gchar *two = NULL;
		g_autofree gchar *path =
		    g_strdup_printf("/presence?namespace=%%2F&roomCode=%s", room);
		g_autoptr(JsonObject) http = NULL;

		/* the others' joins, on other nodes, reach a */
		expect_presence(a, "join", "bob", "n2");
		expect_presence(a, "join", "cid", "n3");
		/* who, from a node where the room has no member, lists every node's */
		all = who(outsider, room);
		g_assert_cmpstr(all, ==, "ann@n1 bob@n2 cid@n3");
		http = http_json(nodes[1], path, 200);
		g_assert_cmpuint(
		    json_array_get_length(json_object_get_array_member(http, "members")), ==, 3);
		/* c disconnects: one leave event, and who forgets it */
		rc_test_ws_free(c);
		expect_presence(a, "leave", "cid", "n3");
		two = who(outsider, room);
		g_assert_cmpstr(two, ==, "ann@n1 bob@n2");
		rc_test_ws_expect_silence(a, 200);
		/* b was not asked for presence events */
		rc_test_ws_expect_silence(b, 0);
	}
}

/* --------------------------------------------------------------- load --- */

/* one message a load member sent, and what became of it */
typedef struct {
	gint64 sent_at;
	gint64 answered_at; /* 0 until its ack or error came */
	gchar *id;	    /* from the ack */
	gchar *error;	    /* the error code instead */
} Send;

static void
send_free(Send *s)
{
	g_free(s->id);
	g_free(s->error);
	g_free(s);
}

/* a member of a load room on one node; it sends as "sN" (N its node), and
 * its texts count up from 0 */
typedef struct {
	RcTestWs *ws;
	guint node;
	GPtrArray *sends; /* Send, index = the text and ref */
	GPtrArray *msgs;  /* MSG_TO_CLIENTS frames in arrival order */
	guint n_answered;
} LoadMember;

typedef struct {
	gchar *room;
	gchar *epoch;
	LoadMember *members[N_NODES];
} LoadRoom;

typedef struct {
	GPtrArray *rooms; /* LoadRoom */
	gboolean sending;
	guint timer;
} Load;

static void
load_member_drain(LoadMember *m, const gchar *room)
{
	while (rc_test_ws_get_n_queued(m->ws) > 0) {
		g_autoptr(JsonObject) frame = rc_test_ws_try_next(m->ws, 0);
		const gchar *type = rc_test_json_get_string(frame, "type");
		const gchar *ref = rc_test_json_get_string(frame, "ref");
		Send *s;
		guint64 k;

		if (g_strcmp0(type, "MSG_TO_CLIENTS") == 0) {
			g_ptr_array_add(m->msgs, g_steal_pointer(&frame));
			continue;
		}
		if (g_strcmp0(type, "ack") != 0 && g_strcmp0(type, "error") != 0) {
			g_autofree gchar *text = rc_test_json_to_string(frame);
			g_error("%s member on %s: unexpected %s", room, node_name(m->node), text);
		}
		if (ref == NULL ||
		    !g_ascii_string_to_unsigned(ref, 10, 0, m->sends->len - 1, &k, NULL)) {
			g_autofree gchar *text = rc_test_json_to_string(frame);
			g_error("%s member on %s: answer to nothing sent: %s",
				room,
				node_name(m->node),
				text);
		}
		s = g_ptr_array_index(m->sends, k);
		if (s->answered_at != 0)
			g_error("%s: message %s of s%u answered twice", room, ref, m->node);
		s->answered_at = g_get_monotonic_time();
		if (g_strcmp0(type, "ack") == 0)
			s->id = g_strdup(rc_test_json_get_string(frame, "id"));
		else
			s->error = g_strdup(rc_test_json_get_string(frame, "code"));
		m->n_answered++;
	}
}

static gboolean
load_tick_cb(gpointer user_data)
{
	Load *load = user_data;

	for (guint r = 0; r < load->rooms->len; r++) {
		LoadRoom *lr = g_ptr_array_index(load->rooms, r);
		for (guint n = 0; n < N_NODES; n++) {
			LoadMember *m = lr->members[n];
			Send *s;

			load_member_drain(m, lr->room);
			if (!load->sending)
				continue;
			s = g_new0(Send, 1);
			s->sent_at = g_get_monotonic_time();
			rc_test_ws_send_printf(
			    m->ws,
			    "{\"type\":\"send\",\"namespace\":\"/\",\"roomCode\":"
			    "\"%s\",\"text\":\"%u\",\"ref\":\"%u\"}",
			    lr->room,
			    m->sends->len,
			    m->sends->len);
			g_ptr_array_add(m->sends, s);
		}
	}
	return G_SOURCE_CONTINUE;
}

/* a sender on every node in each of @rooms, all sending from now on */
static Load *
load_new(GPtrArray *rooms)
{
	Load *load = g_new0(Load, 1);

	load->rooms = g_ptr_array_new();
	for (guint r = 0; r < rooms->len; r++) {
		LoadRoom *lr = g_new0(LoadRoom, 1);

		lr->room = g_strdup(rooms->pdata[r]);
		for (guint n = 0; n < N_NODES; n++) {
			LoadMember *m = g_new0(LoadMember, 1);
			g_autofree gchar *query = g_strdup_printf("sender=s%u", n);
			g_autoptr(JsonObject) joined = NULL;

			m->node = n;
			m->ws = rc_test_ws_new(nodes[n], query);
			m->sends = g_ptr_array_new_with_free_func((GDestroyNotify)send_free);
			m->msgs = g_ptr_array_new_with_free_func((GDestroyNotify)json_object_unref);
			joined = join_room(m->ws, lr->room, NULL);
			g_assert_cmpint(json_object_get_int_member(joined, "offset"), ==, 0);
			if (lr->epoch == NULL)
				lr->epoch = g_strdup(rc_test_json_get_string(joined, "epoch"));
			g_assert_cmpstr(rc_test_json_get_string(joined, "epoch"), ==, lr->epoch);
			lr->members[n] = m;
		}
		g_ptr_array_add(load->rooms, lr);
	}
	load->sending = TRUE;
	load->timer = g_timeout_add(LOAD_INTERVAL_MS, load_tick_cb, load);
	return load;
}

static void
load_free(Load *load)
{
	g_source_remove(load->timer);
	for (guint r = 0; r < load->rooms->len; r++) {
		LoadRoom *lr = g_ptr_array_index(load->rooms, r);
		for (guint n = 0; n < N_NODES; n++) {
			LoadMember *m = lr->members[n];
			rc_test_ws_free(m->ws);
			g_ptr_array_unref(m->sends);
			g_ptr_array_unref(m->msgs);
			g_free(m);
		}
		g_free(lr->room);
		g_free(lr->epoch);
		g_free(lr);
	}
	g_ptr_array_unref(load->rooms);
	g_free(load);
}
G_DEFINE_AUTOPTR_CLEANUP_FUNC(Load, load_free)

static gboolean
load_all_answered(gpointer user_data)
{
	Load *load = user_data;

	for (guint r = 0; r < load->rooms->len; r++) {
		LoadRoom *lr = g_ptr_array_index(load->rooms, r);
		for (guint n = 0; n < N_NODES; n++) {
			if (lr->members[n]->n_answered < lr->members[n]->sends->len)
				return FALSE;
		}
	}
	return TRUE;
}

/* no more sending; every message sent gets its ack or its error */
static void
load_stop(Load *load)
{
	load->sending = FALSE;
	if (!rc_test_wait_until(load_all_answered, load, 20000))
		g_error("sends left unanswered 20 s after the load stopped");
}

/* the first ack of @lr to a message sent after @after, 0 when none */
static gint64
load_first_ack_after(LoadRoom *lr, gint64 after)
{
	gint64 first = 0;

	for (guint n = 0; n < N_NODES; n++) {
		GPtrArray *sends = lr->members[n]->sends;
		for (guint k = 0; k < sends->len; k++) {
			Send *s = g_ptr_array_index(sends, k);
			if (s->id != NULL && s->sent_at > after &&
			    (first == 0 || s->answered_at < first))
				first = s->answered_at;
		}
	}
	return first;
}

typedef struct {
	LoadRoom *room;
	gint64 after;
} AckWait;

static gboolean
acked_after(gpointer user_data)
{
	AckWait *w = user_data;
	return load_first_ack_after(w->room, w->after) != 0;
}

typedef struct {
	guint acked;
	guint errors;
	guint lost; /* acked, and not in the history of the room afterwards */
	guint held; /* messages in the history */
} LoadCounts;

typedef struct {
	LoadRoom *room;
	GHashTable *ids; /* the history's ids */
} DeliveredWait;

static gboolean
all_delivered(gpointer user_data)
{
	DeliveredWait *w = user_data;

	for (guint n = 0; n < N_NODES; n++) {
		GPtrArray *msgs = w->room->members[n]->msgs;
		guint found = 0;
		for (guint i = 0; i < msgs->len; i++)
			found += g_hash_table_contains(
			    w->ids, rc_test_json_get_string(msgs->pdata[i], "id"));
		if (found < g_hash_table_size(w->ids))
			return FALSE;
	}
	return TRUE;
}

static Send *
load_send_of(LoadRoom *lr, JsonObject *frame)
{
	const gchar *sender = rc_test_json_get_string(msg_body(frame), "sender");
	const gchar *text = rc_test_json_get_string(msg_body(frame), "text");
	guint64 n, k;

	if (sender == NULL || sender[0] != 's' ||
	    !g_ascii_string_to_unsigned(sender + 1, 10, 0, N_NODES - 1, &n, NULL) ||
	    !g_ascii_string_to_unsigned(text, 10, 0, lr->members[n]->sends->len - 1, &k, NULL))
		return NULL;
	return g_ptr_array_index(lr->members[n]->sends, k);
}

/*
 * After load_stop(): the room's history (read through @node) holds offsets 1
 * to its top, in the epoch the room had at the start, each sender's messages
 * in the order sent; every member of every node got exactly those messages,
 * once each and in offset order; every acked message is among them, except
 * that with @lossy_before (a master killed then) a message sent before it may
 * be missing, gone with its master, and then was delivered at most once.
 */
static LoadCounts
load_check_room(LoadRoom *lr, RcTestNode *node, gint64 lossy_before)
{
	g_autoptr(JsonObject) history = get_history(node, lr->room);
	JsonArray *held = history_messages(history);
	guint n_held = json_array_get_length(held);
	g_autoptr(GHashTable) ids = g_hash_table_new(g_str_hash, g_str_equal);
	gint64 last_k[N_NODES] = {-1, -1, -1};
	LoadCounts counts = {0, 0, 0, n_held};
	DeliveredWait wait = {lr, ids};

	g_assert_cmpstr(rc_test_json_get_string(history, "epoch"), ==, lr->epoch);
	g_assert_cmpuint(json_object_get_int_member(history, "offset"), ==, n_held);
	g_assert_cmpuint(n_held, <, HISTORY_SIZE);
	for (guint i = 0; i < n_held; i++) {
		JsonObject *msg = json_array_get_object_element(held, i);
		Send *s = load_send_of(lr, msg);
		guint64 sender = g_ascii_strtoull(
		    rc_test_json_get_string(msg_body(msg), "sender") + 1, NULL, 10);
		gint64 k =
		    g_ascii_strtoll(rc_test_json_get_string(msg_body(msg), "text"), NULL, 10);

		g_assert_cmpuint(frame_offset(msg), ==, i + 1);
		g_assert_nonnull(s);
		g_assert_cmpint(k, >, last_k[sender]);
		last_k[sender] = k;
		/* an ack is the same message; an error for a message that got in is a
		 * reply the master never sent before it died */
		if (s->id != NULL)
			g_assert_cmpstr(s->id, ==, rc_test_json_get_string(msg, "id"));
		else if (lossy_before == 0 || s->sent_at >= lossy_before)
			g_error("%s: %s (%s) is in the history but was answered %s",
				lr->room,
				rc_test_json_get_string(msg, "id"),
				rc_test_json_get_string(msg_body(msg), "text"),
				s->error);
		g_hash_table_add(ids, (gpointer)rc_test_json_get_string(msg, "id"));
	}
	for (guint n = 0; n < N_NODES; n++) {
		GPtrArray *sends = lr->members[n]->sends;
		for (guint k = 0; k < sends->len; k++) {
			Send *s = g_ptr_array_index(sends, k);
			if (s->id == NULL) {
				counts.errors++;
				continue;
			}
			counts.acked++;
			if (g_hash_table_contains(ids, s->id))
				continue;
			counts.lost++;
			if (lossy_before == 0 || s->sent_at >= lossy_before)
				g_error("%s: message %u of s%u, acked %s %.3f s after it was sent, "
					"is not in the history",
					lr->room,
					k,
					n,
					s->id,
					(s->answered_at - s->sent_at) / 1e6);
		}
	}
	if (!rc_test_wait_until(all_delivered, &wait, 10000))
		g_error(
		    "%s: not every member got all %u messages of the history", lr->room, n_held);
	/* duplicates come late, if at all */
	rc_test_sleep(300);
	for (guint n = 0; n < N_NODES; n++) {
		LoadMember *m = lr->members[n];
		g_autoptr(GHashTable) seen = g_hash_table_new(g_str_hash, g_str_equal);
		guint j = 0;

		load_member_drain(m, lr->room);
		for (guint i = 0; i < m->msgs->len; i++) {
			JsonObject *msg = m->msgs->pdata[i];
			const gchar *id = rc_test_json_get_string(msg, "id");
			Send *s = load_send_of(lr, msg);

			if (g_hash_table_contains(seen, id))
				g_error("%s: %s delivered twice on %s", lr->room, id, node_name(n));
			g_hash_table_add(seen, (gpointer)id);
			g_assert_nonnull(s);
			if (!g_hash_table_contains(ids, id)) {
				/* delivered, then lost with its master */
				if (lossy_before == 0 || s->sent_at >= lossy_before)
					g_error("%s: %s delivered on %s is not in the history",
						lr->room,
						id,
						node_name(n));
				continue;
			}
			/* the history's messages in its order */
			g_assert_cmpstr(
			    id,
			    ==,
			    rc_test_json_get_string(json_array_get_object_element(held, j), "id"));
			g_assert_cmpuint(frame_offset(msg), ==, j + 1);
			j++;
		}
		g_assert_cmpuint(j, ==, n_held);
	}
	g_test_message("%s: %u acked, %u refused, %u held, %u acked but lost",
		       lr->room,
		       counts.acked,
		       counts.errors,
		       counts.held,
		       counts.lost);
	return counts;
}

/*
 * A node subscribes to a master's sharded channels over a connection it opens
 * for the first room there. The first join answers only once that room is
 * subscribed, as on one Redis: with no history kept, a message accepted right
 * after the join reaches the member live or never.
 */
static void
test_first_join_subscribed(void)
{
	const gchar *config = rc_test_write_config("[history]\nsize=0\n");

	for (guint round = 0; round < 3; round++) {
		g_autoptr(RcTestNode) fresh = rc_test_node_new("--port",
							       "0",
							       "--bus",
							       "none",
							       "--node-id",
							       "fresh",
							       "--config",
							       config,
							       "--redis",
							       rc_test_redis_get_url(redis),
							       NULL);

		rc_test_node_wait_redis_connected(fresh, 10000);
		for (guint s = 0; s < RC_TEST_CLUSTER_N_MASTERS; s++) {
			g_autofree gchar *prefix = g_strdup_printf("first%u", round);
			g_autofree gchar *room = room_on_shard(prefix, s, NULL);
			g_autofree gchar *body =
			    message_json(room, "bot", "right after the first join");
			g_autoptr(RcTestWs) member = rc_test_ws_new(fresh, NULL);
			g_autoptr(JsonObject) joined = join_room(member, room, NULL);
			g_autoptr(RcTestHttpReply) reply =
			    rc_test_http_post(nodes[0], "/publish", NULL, body, strlen(body), NULL);
			g_autoptr(JsonObject) msg = NULL;

			g_assert_cmpuint(reply->status, ==, 200);
			msg = rc_test_ws_try_next(member, 3000);
			if (msg == NULL)
				g_error("round %u: the message right after the first join into %s "
					"(shard %u) never came",
					round,
					room,
					s);
			g_assert_cmpstr(rc_test_json_get_string(msg, "type"), ==, "MSG_TO_CLIENTS");
			g_assert_cmpstr(rc_test_json_get_string(msg, "roomCode"), ==, room);
			rc_test_ws_close(member);
		}
		g_assert_cmpint(rc_test_node_stop(fresh), ==, 0);
	}
}

/*
 * A join that comes while the node's subscriber on the room's master is
 * reconnecting (here: Redis closed it) completes before the room is
 * subscribed. A message accepted right after it, before the subscription is
 * back, is not delivered live; the member must get it all the same, from the
 * history, and nothing comes after it to reveal a gap.
 */
static void
test_join_while_resubscribing(void)
{
	const guint shard = 1;
	g_autofree gchar *anchor = room_on_shard("resub-anchor", shard, NULL);
	g_autoptr(RcTestWs) keeper = rc_test_ws_new(nodes[0], NULL);
	g_autoptr(JsonObject) kj = join_room(keeper, anchor, NULL);

	for (guint round = 0; round < 5; round++) {
		g_autofree gchar *prefix = g_strdup_printf("resub%u", round);
		g_autofree gchar *room = room_on_shard(prefix, shard, NULL);
		g_autofree gchar *body = message_json(room, "bot", "right after the join");
		g_autoptr(RcTestWs) member = rc_test_ws_new(nodes[0], NULL);
		g_autoptr(JsonObject) joined = NULL;
		g_autoptr(RcTestHttpReply) reply = NULL;
		g_autoptr(JsonObject) msg = NULL;
		g_autofree gchar *killed = NULL;

		/* n1's subscriber on that master goes (the others' too) */
		killed = rc_test_cluster_command(cluster,
						 rc_test_cluster_get_master_port(cluster, shard),
						 "CLIENT",
						 "KILL",
						 "TYPE",
						 "pubsub",
						 NULL);
		g_assert_cmpint(g_ascii_strtoll(killed, NULL, 10), >=, 1);
		joined = join_room(member, room, NULL);
		g_assert_cmpint(json_object_get_int_member(joined, "offset"), ==, 0);
		reply = rc_test_http_post(nodes[1], "/publish", NULL, body, strlen(body), NULL);
		g_assert_cmpuint(reply->status, ==, 200);
		msg = rc_test_ws_try_next(member, 5000);
		if (msg == NULL)
			g_error("round %u: the message accepted right after the join into %s never "
				"came",
				round,
				room);
		g_assert_cmpstr(rc_test_json_get_string(msg, "type"), ==, "MSG_TO_CLIENTS");
		g_assert_cmpuint(frame_offset(msg), ==, 1);
		rc_test_ws_expect_silence(member, 200);
	}
	for (guint n = 0; n < N_NODES; n++)
		wait_health(nodes[n], "connected", 200, 5000);
}

/* ------------------------------------------------------ cluster events --- */

static GPtrArray *
rooms_on_every_shard(const gchar *prefix)
{
	GPtrArray *rooms = g_ptr_array_new_with_free_func(g_free);

	for (guint s = 0; s < RC_TEST_CLUSTER_N_MASTERS; s++)
		g_ptr_array_add(rooms, room_on_shard(prefix, s, rooms));
	return rooms;
}

/* load_check_room() for every room of @load, after a move of @moved's slot that
 * left the masters up: nothing lost, every room busy throughout, and nothing
 * refused but in @moved's room when @moved_may_refuse */
static void
load_check_after_move(Load *load, guint moved, gboolean moved_may_refuse)
{
	for (guint r = 0; r < load->rooms->len; r++) {
		LoadCounts c = load_check_room(g_ptr_array_index(load->rooms, r), nodes[r], 0);
		if (r != moved || !moved_may_refuse)
			g_assert_cmpuint(c.errors, ==, 0);
		g_assert_cmpuint(c.lost, ==, 0);
		g_assert_cmpuint(c.held, >, 20);
	}
}

static void
test_resharding_under_load(void)
{
	g_autoptr(GPtrArray) rooms = rooms_on_every_shard("reshard");
	const gchar *busy = rooms->pdata[0];
	g_autofree gchar *channel = room_channel(busy);
	guint16 slot = room_slot(busy);
	guint16 from = rc_test_cluster_get_master_port(cluster, 0);
	guint16 to = rc_test_cluster_get_master_port(cluster, 2);
	g_autoptr(Load) load = load_new(rooms);
	g_autofree gchar *listed = NULL;
	g_autofree gchar *meta = g_strdup_printf(CHANNEL ":{/:%s}:meta", busy);

	rc_test_sleep(1500);
	g_test_message("moving slot %u of %s from %u to %u", slot, busy, from, to);
	rc_test_cluster_move_slot(cluster, slot, 2);
	g_assert_cmpint(room_shard(busy), ==, 2);
	/* the keys went along */
	{
		g_autofree gchar *there =
		    rc_test_cluster_command(cluster, to, "EXISTS", meta, NULL);
		g_assert_cmpstr(there, ==, "1");
	}
	rc_test_sleep(2500);
	load_stop(load);
	/* nothing was down: nothing was refused */
	load_check_after_move(load, 0, FALSE);
	/* every node subscribes to the room's channel on its new master now, and
	 * no longer on the old one */
	listed = node_channels(from, TRUE);
	g_assert_null(strstr(listed, channel));
	g_free(listed);
	listed = node_channels(to, TRUE);
	g_assert_nonnull(strstr(listed, channel));
	g_assert_cmpint(node_shard_numsub(to, channel), ==, N_NODES);
	g_assert_cmpint(node_shard_numsub(from, channel), ==, 0);
	for (guint n = 0; n < N_NODES; n++)
		wait_health(nodes[n], "connected", 200, 5000);
}

/* A slot that takes long to migrate: the rooms whose keys have not moved yet
 * keep working at the source all along (a call naming a key the room does not
 * have, next to one it has, would get TRYAGAIN until the migration ends). */
static void
test_slot_migrating_slowly(void)
{
	g_autoptr(GPtrArray) rooms = rooms_on_every_shard("slowmove");
	const gchar *busy = rooms->pdata[0];
	guint16 slot = room_slot(busy);
	g_autoptr(Load) load = load_new(rooms);

	rc_test_sleep(1000);
	/* longer than a refused command is retried */
	rc_test_cluster_move_slot_held(cluster, slot, 2, 3000, NULL);
	g_assert_cmpint(room_shard(busy), ==, 2);
	rc_test_sleep(1500);
	load_stop(load);
	load_check_after_move(load, 0, FALSE);
}

/* how many calls a master refused with TRYAGAIN so far */
static guint64
tryagain_count(guint16 port)
{
	g_autofree gchar *info = rc_test_cluster_command(cluster, port, "INFO", "errorstats", NULL);
	const gchar *at = strstr(info, "errorstat_TRYAGAIN:count=");

	return at != NULL ? g_ascii_strtoull(at + strlen("errorstat_TRYAGAIN:count="), NULL, 10) : 0;
}

/* A room whose keys are split over two masters for a moment (its history moved,
 * its meta not yet): each call is refused with TRYAGAIN and tried again. What is
 * accepted stays in each sender's order; what waited too long is refused. */
static void
test_slot_keys_split(void)
{
	g_autoptr(GPtrArray) rooms = rooms_on_every_shard("splitkeys");
	const gchar *busy = rooms->pdata[0];
	guint16 slot = room_slot(busy);
	g_autofree gchar *history = g_strdup_printf(CHANNEL ":{/:%s}:history", busy);
	guint16 from = rc_test_cluster_get_master_port(cluster, room_shard(busy));
	g_autoptr(Load) load = load_new(rooms);
	guint64 refused;

	rc_test_sleep(1000);
	refused = tryagain_count(from);
	/* about the time a refused call is tried for: some wait it out, some do not */
	rc_test_cluster_move_slot_held(cluster, slot, 2, 1500, history);
	rc_test_sleep(1500);
	load_stop(load);
	/* the split was seen: the old master refused calls meanwhile */
	g_assert_cmpuint(tryagain_count(from), >, refused + 5);
	/* each sender's accepted messages in order (load_check_room), none lost;
	 * what waited too long in the split room may have been refused */
	load_check_after_move(load, 0, TRUE);
}

static void
test_failover_under_load(void)
{
	g_autoptr(GPtrArray) rooms = rooms_on_every_shard("failover");
	/* the shard with the ingress channel too: its subscription must move */
	gint shard = rc_test_cluster_master_for_slot(cluster, key_slot(CHANNEL));
	guint16 old_master = rc_test_cluster_get_master_port(cluster, shard);
	g_autoptr(Load) load = load_new(rooms);
	LoadRoom *hit = g_ptr_array_index(load->rooms, shard);
	gint64 killed_at, promoted_at, resumed_at;
	guint failover_ms;
	AckWait wait;

	rc_test_sleep(1500);
	g_test_message("killing the master of shard %d (%u)", shard, old_master);
	killed_at = g_get_monotonic_time();
	rc_test_cluster_kill_master(cluster, shard);
	failover_ms = rc_test_cluster_wait_failover(cluster, 30000);
	promoted_at = g_get_monotonic_time();
	wait.room = hit;
	wait.after = killed_at;
	/* by itself: nothing but time passes here */
	if (!rc_test_wait_until(acked_after, &wait, RESUME_WITHIN_MS))
		g_error("no message into %s acked within %u ms of the promotion",
			hit->room,
			RESUME_WITHIN_MS);
	resumed_at = load_first_ack_after(hit, killed_at);
	g_test_message("failover took %u ms; the first ack in %s came %.3f s after the promotion",
		       failover_ms,
		       hit->room,
		       (resumed_at - promoted_at) / 1e6);
	g_assert_cmpint(
	    resumed_at - promoted_at, <=, rc_test_timeout(RESUME_WITHIN_MS) * (gint64)1000);
	rc_test_sleep(2000);
	load_stop(load);
	for (guint r = 0; r < load->rooms->len; r++) {
		LoadRoom *lr = g_ptr_array_index(load->rooms, r);
		gboolean on_hit = lr == hit;
		LoadCounts c =
		    load_check_room(lr, nodes[(r + 1) % N_NODES], on_hit ? killed_at : 0);

		/* the other shards went on as if nothing happened */
		if (!on_hit)
			g_assert_cmpuint(c.errors, ==, 0);
		g_assert_cmpuint(c.held, >, 20);
	}
	for (guint n = 0; n < N_NODES; n++)
		wait_health(nodes[n], "connected", 200, 5000);
	/* the ingress channel followed its master too */
	{
		g_autoptr(Spread) sp = spread_new("after-failover", NULL);
		g_autofree gchar *body = message_json(sp->rooms[shard], "ops", "still there");
		g_assert_cmpint(rc_test_redis_cli_publish(redis, CHANNEL, body), ==, N_NODES);
		spread_expect(sp, shard, "ops", "still there", NULL);
	}
	/* the old master comes back as the new one's replica */
	rc_test_cluster_restart_node(cluster, old_master);
	g_assert_cmpuint(rc_test_cluster_get_replica_port(cluster, shard), ==, old_master);
}

static guint64
info_offset(guint16 port, const gchar *field)
{
	g_autofree gchar *info =
	    rc_test_cluster_command(cluster, port, "INFO", "replication", NULL);
	g_auto(GStrv) lines = g_strsplit(info, "\n", -1);
	gsize n = strlen(field);

	for (guint i = 0; lines[i] != NULL; i++) {
		if (strncmp(lines[i], field, n) == 0 && lines[i][n] == ':')
			return g_ascii_strtoull(lines[i] + n + 1, NULL, 10);
	}
	g_error("no %s in INFO replication of %u", field, port);
}

typedef struct {
	guint16 replica;
	guint64 offset;
} SyncWait;

static gboolean
replica_has(gpointer user_data)
{
	SyncWait *w = user_data;
	return info_offset(w->replica, "slave_repl_offset") >= w->offset;
}

/* until @replica has applied everything @master had written so far */
static void
wait_replica_in_sync(guint16 master, guint16 replica)
{
	SyncWait w = {replica, info_offset(master, "master_repl_offset")};

	if (!rc_test_wait_until(replica_has, &w, 5000))
		g_error("replica %u did not reach offset %" G_GUINT64_FORMAT " of %u",
			replica,
			w.offset,
			master);
}

/*
 * Replication is asynchronous: a master can ack messages its replica never
 * gets. Made certain here: the replica is stopped and cut off, three messages
 * are accepted (and delivered) by the master alone, then the master dies and
 * the replica, let go, is promoted without them. The new master gives their
 * offsets to the next messages; those are in the history and must reach every
 * member, although each node has delivered those offsets already.
 */
static void
test_failover_lost_writes(void)
{
	const guint shard = 0;
	g_autofree gchar *room = room_on_shard("lostw", shard, NULL);
	guint16 master = rc_test_cluster_get_master_port(cluster, shard);
	guint16 replica = rc_test_cluster_get_replica_port(cluster, shard);
	GPid replica_pid = rc_test_cluster_get_pid(cluster, replica);
	RcTestWs *m[N_NODES];
	g_autoptr(RcTestWs) sender = rc_test_ws_new(nodes[0], "sender=w");
	g_autoptr(JsonObject) sj = join_room(sender, room, NULL);
	const gchar *epoch = rc_test_json_get_string(sj, "epoch");
	gchar *after_ids[3];
	g_autoptr(JsonObject) history = NULL;
	g_autofree gchar *missing = NULL;
	g_autofree gchar *killed = NULL;

	for (guint n = 0; n < N_NODES; n++) {
		g_autoptr(JsonObject) joined = NULL;
		m[n] = rc_test_ws_new(nodes[n], NULL);
		joined = join_room(m[n], room, NULL);
	}
	for (guint k = 1; k <= 5; k++) {
		g_autofree gchar *text = g_strdup_printf("kept %u", k);
		g_free(rc_test_ws_send_message(sender, "/", room, text));
		for (guint n = 0; n < N_NODES; n++) {
			g_autoptr(JsonObject) f =
			    rc_test_ws_take(m[n], "MSG_TO_CLIENTS", NULL, 5000);
			g_assert_cmpuint(frame_offset(f), ==, k);
		}
	}
	/* the replica has all five */
	wait_replica_in_sync(master, replica);
	g_assert_cmpint(kill(replica_pid, SIGSTOP), ==, 0);
	killed =
	    rc_test_cluster_command(cluster, master, "CLIENT", "KILL", "TYPE", "replica", NULL);
	g_assert_cmpstr(killed, ==, "1");
	for (guint k = 6; k <= 8; k++) {
		g_autofree gchar *text = g_strdup_printf("lost %u", k);
		g_free(rc_test_ws_send_message(sender, "/", room, text));
		for (guint n = 0; n < N_NODES; n++) {
			g_autoptr(JsonObject) f =
			    rc_test_ws_take(m[n], "MSG_TO_CLIENTS", NULL, 5000);
			g_assert_cmpuint(frame_offset(f), ==, k);
		}
	}
	rc_test_cluster_kill_master(cluster, shard);
	g_assert_cmpint(kill(replica_pid, SIGCONT), ==, 0);
	rc_test_cluster_wait_failover(cluster, 30000);
	for (guint n = 0; n < N_NODES; n++)
		wait_health(nodes[n], "connected", 200, 10000);

	/* the sends after it: offsets 6 to 8 again, in the same epoch */
	for (guint k = 0; k < 3; k++) {
		g_autofree gchar *text = g_strdup_printf("after %u", k);
		gchar *id = NULL;

		/* the node may learn of the new master only now */
		for (guint attempt = 0; attempt < 50 && id == NULL; attempt++) {
			g_autoptr(JsonObject) answer = NULL;
			rc_test_ws_send_printf(
			    sender,
			    "{\"type\":\"send\",\"namespace\":\"/\",\"roomCode\":"
			    "\"%s\",\"text\":\"%s\",\"ref\":\"a%u\"}",
			    room,
			    text,
			    attempt);
			answer = rc_test_ws_take(sender, NULL, NULL, 5000);
			while (g_strcmp0(rc_test_json_get_string(answer, "type"),
					 "MSG_TO_CLIENTS") == 0) {
				g_clear_pointer(&answer, json_object_unref);
				answer = rc_test_ws_take(sender, NULL, NULL, 5000);
			}
			if (g_strcmp0(rc_test_json_get_string(answer, "type"), "ack") == 0)
				id = g_strdup(rc_test_json_get_string(answer, "id"));
			else
				rc_test_sleep(200);
		}
		g_assert_nonnull(id);
		after_ids[k] = id;
	}
	history = get_history(nodes[1], room);
	g_assert_cmpstr(rc_test_json_get_string(history, "epoch"), ==, epoch);
	assert_offsets(history_messages(history), 1, 8);
	for (guint k = 0; k < 3; k++)
		g_assert_cmpstr(
		    rc_test_json_get_string(
			json_array_get_object_element(history_messages(history), 5 + k), "id"),
		    ==,
		    after_ids[k]);
	for (guint n = 0; n < N_NODES && missing == NULL; n++) {
		for (guint k = 0; k < 3 && missing == NULL; k++) {
			g_autoptr(JsonObject) f = rc_test_ws_try_next(m[n], 5000);

			if (f == NULL) {
				missing =
				    g_strdup_printf("the member on %s never got message %u after "
						    "the failover (%s, offset %u, in the history)",
						    node_name(n),
						    k,
						    after_ids[k],
						    6 + k);
				break;
			}
			g_assert_cmpstr(rc_test_json_get_string(f, "type"), ==, "MSG_TO_CLIENTS");
			g_assert_cmpstr(rc_test_json_get_string(f, "id"), ==, after_ids[k]);
			g_assert_cmpuint(frame_offset(f), ==, 6 + k);
		}
		if (missing == NULL)
			rc_test_ws_expect_silence(m[n], n == 0 ? 300 : 0);
	}
	for (guint n = 0; n < N_NODES; n++)
		rc_test_ws_free(m[n]);
	/* the new master's messages at the offsets of the lost ones reach everyone:
	 * the nodes read their last offsets again after the failover and see new ids */
	if (missing != NULL)
		g_error("%s", missing);
	for (guint k = 0; k < 3; k++)
		g_free(after_ids[k]);
	rc_test_cluster_restart_node(cluster, master);
}

static guint16
shard_port(guint shard, gboolean master)
{
	return master ? rc_test_cluster_get_master_port(cluster, shard)
		      : rc_test_cluster_get_replica_port(cluster, shard);
}

static void
expect_unavailable(RcTestWs *ws, const gchar *frame, const gchar *ref)
{
	g_autoptr(JsonObject) error = NULL;

	rc_test_ws_send_text(ws, frame);
	error = rc_test_ws_take(ws, "error", ref, 5000);
	g_assert_cmpstr(rc_test_json_get_string(error, "code"), ==, "unavailable");
}

static void
expect_http_unavailable(RcTestNode *node, const gchar *path, const gchar *body)
{
	g_autoptr(RcTestHttpReply) reply =
	    body != NULL ? rc_test_http_post(node, path, NULL, body, strlen(body), NULL)
			 : rc_test_http_get(node, path);
	g_autoptr(JsonObject) json = NULL;

	g_assert_cmpuint(reply->status, ==, 503);
	json = rc_test_http_reply_json(reply);
	g_assert_false(json_object_get_boolean_member_with_default(json, "success", FALSE));
	g_assert_nonnull(rc_test_json_get_string(json, "error"));
}

typedef struct {
	RcTestWs *ws;
	const gchar *room;
	const gchar *expected;
} WhoWait;

static gboolean
who_is(gpointer user_data)
{
	WhoWait *w = user_data;
	g_autofree gchar *list = who(w->ws, w->room);
	return g_strcmp0(list, w->expected) == 0;
}

static void
test_shard_lost(void)
{
	gint channel_shard = rc_test_cluster_master_for_slot(cluster, key_slot(CHANNEL));
	gint stream_shard = rc_test_cluster_master_for_slot(cluster, key_slot(CHANNEL ":ingress"));
	guint lost = 0;
	g_autoptr(Spread) sp = NULL;
	guint16 ports[2];

	/* a shard without the ingress channel and stream, when there is one */
	while (lost < RC_TEST_CLUSTER_N_MASTERS - 1 &&
	       ((gint)lost == channel_shard || (gint)lost == stream_shard))
		lost++;
	if ((gint)lost == channel_shard)
		lost = (channel_shard + 1) % RC_TEST_CLUSTER_N_MASTERS;
	sp = g_new0(Spread, 1);
	for (guint r = 0; r < RC_TEST_CLUSTER_N_MASTERS; r++) {
		sp->rooms[r] = room_on_shard("shardlost", r, NULL);
		for (guint n = 0; n < N_NODES; n++) {
			g_autofree gchar *query = g_strdup_printf("sender=u%u", n);
			g_autoptr(JsonObject) joined = NULL;
			sp->ws[r][n] = rc_test_ws_new(nodes[n], query);
			joined = join_room(sp->ws[r][n], sp->rooms[r], NULL);
		}
	}
	/* the replica first, so nobody takes over */
	ports[0] = shard_port(lost, TRUE);
	ports[1] = shard_port(lost, FALSE);
	g_test_message("losing shard %u (%u and %u)", lost, ports[0], ports[1]);
	rc_test_cluster_kill_node(cluster, ports[1]);
	rc_test_cluster_kill_node(cluster, ports[0]);

	for (guint n = 0; n < N_NODES; n++) {
		g_autoptr(JsonObject) health = NULL;

		wait_health(nodes[n], "degraded", 200, 5000);
		health = http_json(nodes[n], "/healthz", 200);
		g_assert_cmpstr(rc_test_json_get_string(health, "status"), ==, "ok");
		g_assert_cmpint(json_object_get_int_member(health, "shards_down"), ==, 1);
		assert_shards_metric(nodes[n], 2, 1, 1);
	}
	/* the lost shard's room answers unavailable, on every node, by every way in */
	for (guint n = 0; n < N_NODES; n++) {
		RcTestWs *ws = sp->ws[lost][n];
		const gchar *room = sp->rooms[lost];
		g_autofree gchar *send =
		    g_strdup_printf("{\"type\":\"send\",\"namespace\":\"/"
				    "\",\"roomCode\":\"%s\",\"text\":\"x\",\"ref\":\"s\"}",
				    room);
		g_autofree gchar *history = g_strdup_printf(
		    "{\"type\":\"history\",\"namespace\":\"/\",\"roomCode\":\"%s\",\"ref\":\"h\"}",
		    room);
		g_autofree gchar *whom = g_strdup_printf(
		    "{\"type\":\"who\",\"namespace\":\"/\",\"roomCode\":\"%s\",\"ref\":\"w\"}",
		    room);
		g_autofree gchar *body = message_json(room, "bot", "x");
		g_autofree gchar *hpath =
		    g_strdup_printf("/history?namespace=%%2F&roomCode=%s", room);
		g_autofree gchar *ppath =
		    g_strdup_printf("/presence?namespace=%%2F&roomCode=%s", room);

		expect_unavailable(ws, send, "s");
		expect_unavailable(ws, history, "h");
		expect_unavailable(ws, whom, "w");
		expect_http_unavailable(nodes[n], "/publish", body);
		expect_http_unavailable(nodes[n], hpath, NULL);
		expect_http_unavailable(nodes[n], ppath, NULL);
	}
	/* the other shards' rooms work as before, from every node */
	for (guint r = 0; r < RC_TEST_CLUSTER_N_MASTERS; r++) {
		if (r == lost)
			continue;
		for (guint n = 0; n < N_NODES; n++) {
			g_autofree gchar *text = g_strdup_printf("while shard %u is lost", lost);
			g_autofree gchar *sender = g_strdup_printf("u%u", n);
			g_autofree gchar *id =
			    rc_test_ws_send_message(sp->ws[r][n], "/", sp->rooms[r], text);
			g_autofree gchar *who_all = NULL;

			spread_expect(sp, r, sender, text, id);
			who_all = who(sp->ws[r][(n + 1) % N_NODES], sp->rooms[r]);
			g_assert_cmpstr(who_all, ==, "u0@n1 u1@n2 u2@n3");
		}
	}
	spread_expect_silence(sp, 200);

	/* back, empty: everything recovers by itself */
	rc_test_cluster_restart_nodes(cluster, ports, 2);
	for (guint n = 0; n < N_NODES; n++) {
		g_autoptr(JsonObject) health = NULL;

		wait_health(nodes[n], "connected", 200, 15000);
		health = http_json(nodes[n], "/healthz", 200);
		g_assert_false(json_object_has_member(health, "shards_down"));
		assert_shards_metric(nodes[n], RC_TEST_CLUSTER_N_MASTERS, 0, 1);
	}
	{
		g_autofree gchar *id =
		    rc_test_ws_send_message(sp->ws[lost][1], "/", sp->rooms[lost], "back");
		WhoWait w = {sp->ws[lost][2], sp->rooms[lost], "u0@n1 u1@n2 u2@n3"};
		guint n;

		/* the room's subscriptions come back a little later than the commands:
		 * what they missed comes from the history */
		for (n = 0; n < N_NODES; n++) {
			g_autoptr(JsonObject) msg =
			    rc_test_ws_take(sp->ws[lost][n], "MSG_TO_CLIENTS", NULL, 10000);
			g_assert_cmpstr(rc_test_json_get_string(msg, "id"), ==, id);
			g_assert_cmpstr(rc_test_json_get_string(msg_body(msg), "text"), ==, "back");
		}
		/* the members the restarted master forgot are written again */
		if (!rc_test_wait_until(who_is, &w, 5000)) {
			g_autofree gchar *list = who(w.ws, w.room);
			g_error("who in %s after the shard came back: %s", w.room, list);
		}
	}
	spread_expect_silence(sp, 300);
}

static void
test_all_masters_gone(void)
{
	g_autoptr(Spread) sp = spread_new("gone", NULL);
	g_autoptr(RcTestNode) late = NULL;
	guint16 ports[2 * RC_TEST_CLUSTER_N_MASTERS];
	guint warnings = 0;
	GPtrArray *lines;
	g_autofree gchar *seeds = NULL;

	for (guint s = 0; s < RC_TEST_CLUSTER_N_MASTERS; s++) {
		ports[s] = shard_port(s, TRUE);
		ports[s + RC_TEST_CLUSTER_N_MASTERS] = shard_port(s, FALSE);
	}
	/* at once, so no replica can win an election */
	for (guint s = 0; s < RC_TEST_CLUSTER_N_MASTERS; s++)
		rc_test_cluster_kill_node(cluster, ports[s]);
	for (guint n = 0; n < N_NODES; n++) {
		g_autoptr(JsonObject) health = NULL;

		wait_health(nodes[n], "disconnected", 503, 5000);
		health = http_json(nodes[n], "/healthz", 503);
		g_assert_cmpstr(rc_test_json_get_string(health, "status"), ==, "unavailable");
		assert_shards_metric(nodes[n], 0, RC_TEST_CLUSTER_N_MASTERS, 0);
		for (guint r = 0; r < RC_TEST_CLUSTER_N_MASTERS; r++) {
			g_autofree gchar *send =
			    g_strdup_printf("{\"type\":\"send\",\"namespace\":\"/"
					    "\",\"roomCode\":\"%s\",\"text\":\"x\","
					    "\"ref\":\"s\"}",
					    sp->rooms[r]);
			expect_unavailable(sp->ws[r][n], send, "s");
		}
	}

	/* nobody answers at all: a node started now runs, says so once and waits */
	for (guint s = 0; s < RC_TEST_CLUSTER_N_MASTERS; s++)
		rc_test_cluster_kill_node(cluster, ports[s + RC_TEST_CLUSTER_N_MASTERS]);
	late = start_node("n4");
	wait_health(late, "disconnected", 503, 3000);
	g_assert_nonnull(
	    rc_test_node_wait_stderr(late, "cannot learn the Redis Cluster layout", 5000));
	rc_test_sleep(3000);
	g_assert_true(rc_test_node_is_running(late));
	wait_health(late, "disconnected", 503, 1000);
	lines = rc_test_node_get_stderr_lines(late);
	for (guint i = 0; i < lines->len; i++)
		warnings += strstr(lines->pdata[i], "WARNING") != NULL;
	g_assert_cmpuint(warnings, ==, 1);
	seeds = g_strdup(rc_test_redis_get_seeds(redis));

	/* the whole cluster back: every node finds it by itself */
	rc_test_cluster_restart_nodes(cluster, ports, G_N_ELEMENTS(ports));
	for (guint n = 0; n < N_NODES; n++)
		wait_health(nodes[n], "connected", 200, 15000);
	wait_health(late, "connected", 200, 15000);
	for (guint r = 0; r < RC_TEST_CLUSTER_N_MASTERS; r++) {
		g_autofree gchar *id =
		    rc_test_ws_send_message(sp->ws[r][r % N_NODES], "/", sp->rooms[r], "all back");
		g_autoptr(RcTestWs) newcomer = rc_test_ws_new(late, NULL);
		g_autoptr(JsonObject) joined = join_room(newcomer, sp->rooms[r], "\"history\":1");
		g_autoptr(JsonObject) replayed = NULL;

		for (guint n = 0; n < N_NODES; n++) {
			g_autoptr(JsonObject) msg =
			    rc_test_ws_take(sp->ws[r][n], "MSG_TO_CLIENTS", NULL, 10000);
			g_assert_cmpstr(rc_test_json_get_string(msg, "id"), ==, id);
		}
		/* the late node serves the room too */
		replayed = rc_test_ws_take(newcomer, "MSG_TO_CLIENTS", NULL, 5000);
		g_assert_cmpstr(rc_test_json_get_string(replayed, "id"), ==, id);
	}
	g_assert_cmpint(rc_test_node_stop(late), ==, 0);
}

/* ---------------------------------------------------------- bad input --- */

static guint
count_lines(GPtrArray *lines)
{
	guint n = 0;

	for (guint i = 0; i < lines->len; i++)
		n += ((const gchar *)lines->pdata[i])[0] != '\0';
	return n;
}

static void
assert_start_fails(const gchar *const *args, const gchar *why)
{
	g_autoptr(RcTestNode) node = rc_test_node_spawn(args);
	g_autofree gchar *joined = g_strjoinv(" ", (gchar **)args);
	gint status = rc_test_node_wait_exit(node, 10000);
	GPtrArray *err = rc_test_node_get_stderr_lines(node);
	GPtrArray *out = rc_test_node_get_stdout_lines(node);

	g_test_message("roomcastd %s -> exit %d", joined, status);
	for (guint i = 0; i < err->len; i++)
		g_test_message("  stderr: %s", (const gchar *)err->pdata[i]);
	g_assert_cmpint(status, ==, 1);
	/* one line that says why */
	g_assert_cmpuint(count_lines(err), ==, 1);
	g_assert_true(g_str_has_prefix(err->pdata[0], "roomcastd: "));
	g_assert_nonnull(strstr(err->pdata[0], why));
	g_assert_null(strstr(err->pdata[0], "[redis] [redis]"));
	for (guint i = 0; i < out->len; i++)
		g_assert_null(strstr(out->pdata[i], "listening on"));
}

static void
test_bad_seed_lists(void)
{
	const struct {
		const gchar *value;
		const gchar *why;
	} cases[] = {
	    {"", "empty"},
	    {",", "empty"},
	    {"127.0.0.1:7000,", "entry 2 is empty"},
	    {"127.0.0.1:99999", "99999"},
	    {"127.0.0.1:0", "port 0"},
	    {"127.0.0.1:x", "port"},
	    {"127.0.0.1", "HOST:PORT"},
	    {"unix:/x", "TCP"},
	    {"redis://127.0.0.1:7000/1", "database"},
	};

	for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
		const gchar *flag[] = {
		    "--port", "0", "--bus", "none", "--redis-cluster", cases[i].value, NULL};
		g_autofree gchar *contents =
		    g_strdup_printf("[redis]\ncluster=%s\n", cases[i].value);
		const gchar *config = rc_test_write_config(contents);
		const gchar *file[] = {"--port", "0", "--bus", "none", "--config", config, NULL};

		assert_start_fails(flag, cases[i].why);
		/* an empty value in the file means the key is not set */
		if (cases[i].value[0] != '\0')
			assert_start_fails(file, cases[i].why);
	}
}

static void
test_cluster_and_url(void)
{
	const gchar *both[] = {"--port",
			       "0",
			       "--bus",
			       "none",
			       "--redis",
			       "redis://127.0.0.1:7000",
			       "--redis-cluster",
			       "127.0.0.1:7000",
			       NULL};
	const gchar *config = rc_test_write_config("[redis]\ncluster=127.0.0.1:7001\n");
	const gchar *mixed[] = {"--port",
				"0",
				"--bus",
				"none",
				"--config",
				config,
				"--redis",
				"redis://127.0.0.1:7000",
				NULL};
	const gchar *both_keys =
	    rc_test_write_config("[redis]\nurl=redis://127.0.0.1:7000\ncluster=127.0.0.1:7001\n");
	const gchar *file[] = {"--port", "0", "--bus", "none", "--config", both_keys, NULL};

	assert_start_fails(both, "exclude");
	assert_start_fails(mixed, "exclude");
	assert_start_fails(file, "exclude");
}

/* a node whose seeds are not a cluster runs, says why once, and waits */
static void
assert_waits_for_cluster(const gchar *seeds, const gchar *why)
{
	g_autoptr(RcTestNode) node = rc_test_node_new(
	    "--port", "0", "--bus", "none", "--node-id", "lonely", "--redis-cluster", seeds, NULL);
	g_autoptr(RcTestWs) ws = rc_test_ws_new(node, NULL);
	g_autoptr(JsonObject) joined = join_room(ws, "nobody-home", NULL);
	GPtrArray *lines;
	guint warnings = 0;
	const gchar *line;

	wait_health(node, "disconnected", 503, 3000);
	line = rc_test_node_wait_stderr(node, "cannot learn the Redis Cluster layout", 5000);
	g_assert_nonnull(line);
	g_assert_nonnull(strstr(line, why));
	rc_test_ws_send_text(ws,
			     "{\"type\":\"send\",\"namespace\":\"/\",\"roomCode\":\"nobody-home\","
			     "\"text\":\"x\",\"ref\":\"s\"}");
	{
		g_autoptr(JsonObject) error = rc_test_ws_take(ws, "error", "s", 5000);
		g_assert_cmpstr(rc_test_json_get_string(error, "code"), ==, "unavailable");
	}
	/* it keeps asking (every second), but warns once */
	rc_test_sleep(2500);
	g_assert_true(rc_test_node_is_running(node));
	assert_shards_metric(node, 0, 1, 0);
	lines = rc_test_node_get_stderr_lines(node);
	for (guint i = 0; i < lines->len; i++)
		warnings += strstr(lines->pdata[i], "WARNING") != NULL;
	g_assert_cmpuint(warnings, ==, 1);
	rc_test_ws_close(ws);
	g_assert_cmpint(rc_test_node_stop(node), ==, 0);
}

static void
test_seeds_unreachable(void)
{
	g_autofree gchar *seeds =
	    g_strdup_printf("127.0.0.1:%u,127.0.0.1:%u", rc_test_free_port(), rc_test_free_port());

	assert_waits_for_cluster(seeds, "refused");
}

static void
test_seed_not_a_cluster(void)
{
	/* one redis-server without cluster support */
	g_autoptr(RcTestRedis) plain = rc_test_redis_new();
	g_autofree gchar *seeds = g_strdup_printf("127.0.0.1:%u", rc_test_redis_get_port(plain));

	g_assert_false(rc_test_redis_is_cluster(plain));
	assert_waits_for_cluster(seeds, "cluster support disabled");
}

int
main(int argc, char **argv)
{
	g_autoptr(GError) error = NULL;
	g_autofree gchar *config = g_strdup_printf("[history]\nsize=%u\n", HISTORY_SIZE);
	gint fd;
	int ret;

	rc_test_init(&argc, &argv);
	fd = g_file_open_tmp("roomcast-cluster-XXXXXX.conf", &config_path, &error);
	g_assert_no_error(error);
	close(fd);
	g_assert_true(g_file_set_contents(config_path, config, -1, NULL));
	redis = rc_test_redis_new_cluster();
	cluster = rc_test_redis_get_cluster(redis);
	for (guint i = 0; i < N_NODES; i++)
		nodes[i] = start_node(node_name(i));
	for (guint i = 0; i < N_NODES; i++)
		rc_test_node_wait_redis_connected(nodes[i], 10000);

	g_test_add_func("/cluster-bus/bad-input/seed-lists", test_bad_seed_lists);
	g_test_add_func("/cluster-bus/bad-input/cluster-and-url", test_cluster_and_url);
	g_test_add_func("/cluster-bus/bad-input/seeds-unreachable", test_seeds_unreachable);
	g_test_add_func("/cluster-bus/bad-input/seed-not-a-cluster", test_seed_not_a_cluster);
	g_test_add_func("/cluster-bus/healthz", test_healthz);
	g_test_add_func("/cluster-bus/shard-channels", test_shard_channels);
	g_test_add_func("/cluster-bus/order-and-offsets", test_order_and_offsets);
	g_test_add_func("/cluster-bus/http-publish", test_http_publish);
	g_test_add_func("/cluster-bus/ingress-channel", test_ingress_channel);
	g_test_add_func("/cluster-bus/ingress-stream", test_ingress_stream);
	g_test_add_func("/cluster-bus/history-and-since", test_history_and_since);
	g_test_add_func("/cluster-bus/presence", test_presence);
	g_test_add_func("/cluster-bus/first-join-subscribed", test_first_join_subscribed);
	g_test_add_func("/cluster-bus/join-while-resubscribing", test_join_while_resubscribing);
	g_test_add_func("/cluster-bus/resharding-under-load", test_resharding_under_load);
	g_test_add_func("/cluster-bus/slot-migrating-slowly", test_slot_migrating_slowly);
	g_test_add_func("/cluster-bus/slot-keys-split", test_slot_keys_split);
	g_test_add_func("/cluster-bus/failover-under-load", test_failover_under_load);
	g_test_add_func("/cluster-bus/failover-lost-writes", test_failover_lost_writes);
	g_test_add_func("/cluster-bus/shard-lost", test_shard_lost);
	g_test_add_func("/cluster-bus/all-masters-gone", test_all_masters_gone);
	ret = g_test_run();

	for (guint i = 0; i < N_NODES; i++) {
		g_assert_cmpint(rc_test_node_stop(nodes[i]), ==, 0);
		rc_test_node_free(nodes[i]);
	}
	rc_test_redis_free(redis);
	g_unlink(config_path);
	g_free(config_path);
	return ret;
}
