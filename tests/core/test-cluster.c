/*
 * Copyright 2026 roomcast developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#define G_LOG_DOMAIN "RcTestCluster"

#include <string.h>

#include "rc-test-harness.h"

/*
 * Three nodes on one real redis-server (fanout = single: all traffic on the ingress channel), with
 * clients spread over them; and two nodes in fanout = per-room.
 */

#define N_NODES 3

static RcTestRedis *redis;
static RcTestNode *nodes[N_NODES];

static JsonObject *
msg_body(JsonObject *frame)
{
	return json_object_get_object_member(frame, "msg");
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
test_healthz_connected(void)
{
	for (guint i = 0; i < N_NODES; i++) {
		g_autoptr(RcTestHttpReply) reply = rc_test_http_get(nodes[i], "/healthz");
		g_autoptr(RcTestHttpReply) metrics = rc_test_http_get(nodes[i], "/metrics");
		g_autoptr(JsonObject) body = NULL;

		g_assert_cmpuint(reply->status, ==, 200);
		body = rc_test_http_reply_json(reply);
		g_assert_cmpstr(rc_test_json_get_string(body, "status"), ==, "ok");
		g_assert_cmpstr(rc_test_json_get_string(body, "redis"), ==, "connected");
		g_assert_cmpfloat(rc_test_metrics_value(metrics->body, "roomcast_redis_up"), ==, 1);
	}
}

static void
test_node_ids(void)
{
	for (guint i = 0; i < N_NODES; i++) {
		g_autoptr(RcTestWs) ws = rc_test_ws_new(nodes[i], NULL);
		g_autofree gchar *expected = g_strdup_printf("n%u", i + 1);

		g_assert_cmpstr(
		    rc_test_json_get_string(rc_test_ws_get_hello(ws), "node"), ==, expected);
	}
}

static void
test_fanout(void)
{
	RcTestWs *members[N_NODES * 2];
	g_autofree gchar *id = NULL;

	/* two members per node */
	for (guint i = 0; i < G_N_ELEMENTS(members); i++) {
		g_autofree gchar *query = g_strdup_printf("sender=u%u", i);
		members[i] = rc_test_ws_new(nodes[i % N_NODES], query);
		rc_test_ws_join(members[i], "/", "fanout");
	}
	id = rc_test_ws_send_message(members[1], "/", "fanout", "to everyone");
	for (guint i = 0; i < G_N_ELEMENTS(members); i++) {
		g_autoptr(JsonObject) msg =
		    rc_test_ws_take(members[i], "MSG_TO_CLIENTS", NULL, 3000);

		g_assert_cmpstr(rc_test_json_get_string(msg, "id"), ==, id);
		g_assert_cmpstr(rc_test_json_get_string(msg, "roomCode"), ==, "fanout");
		g_assert_cmpstr(rc_test_json_get_string(msg_body(msg), "sender"), ==, "u1");
		g_assert_cmpstr(rc_test_json_get_string(msg_body(msg), "text"), ==, "to everyone");
	}
	/* exactly once */
	for (guint i = 0; i < G_N_ELEMENTS(members); i++) {
		rc_test_ws_expect_silence(members[i], i == 0 ? 300 : 0);
		rc_test_ws_free(members[i]);
	}
}

static void
test_isolation(void)
{
	g_autoptr(RcTestWs) x1 = rc_test_ws_new(nodes[0], NULL);
	g_autoptr(RcTestWs) x3 = rc_test_ws_new(nodes[2], NULL);
	g_autoptr(RcTestWs) y2 = rc_test_ws_new(nodes[1], NULL);
	g_autoptr(RcTestWs) y3 = rc_test_ws_new(nodes[2], NULL);
	g_autofree gchar *id_x = NULL;
	g_autofree gchar *id_y = NULL;
	g_autoptr(JsonObject) a = NULL;
	g_autoptr(JsonObject) b = NULL;
	g_autoptr(JsonObject) c = NULL;
	g_autoptr(JsonObject) d = NULL;

	rc_test_ws_join(x1, "/", "iso-x");
	rc_test_ws_join(x3, "/", "iso-x");
	rc_test_ws_join(y2, "/", "iso-y");
	rc_test_ws_join(y3, "/", "iso-y");
	id_x = rc_test_ws_send_message(x1, "/", "iso-x", "for x");
	id_y = rc_test_ws_send_message(y2, "/", "iso-y", "for y");
	a = rc_test_ws_take(x1, "MSG_TO_CLIENTS", NULL, 3000);
	b = rc_test_ws_take(x3, "MSG_TO_CLIENTS", NULL, 3000);
	c = rc_test_ws_take(y2, "MSG_TO_CLIENTS", NULL, 3000);
	d = rc_test_ws_take(y3, "MSG_TO_CLIENTS", NULL, 3000);
	g_assert_cmpstr(rc_test_json_get_string(a, "id"), ==, id_x);
	g_assert_cmpstr(rc_test_json_get_string(b, "id"), ==, id_x);
	g_assert_cmpstr(rc_test_json_get_string(c, "id"), ==, id_y);
	g_assert_cmpstr(rc_test_json_get_string(d, "id"), ==, id_y);
	rc_test_ws_expect_silence(x1, 300);
	rc_test_ws_expect_silence(x3, 0);
	rc_test_ws_expect_silence(y2, 0);
	rc_test_ws_expect_silence(y3, 0);
}

static void
test_namespaces(void)
{
	/* same roomCode in three namespaces: three different rooms */
	const gchar *ns[] = {"/", "/ns1", "/ns2"};
	RcTestWs *ws[3];

	for (guint i = 0; i < 3; i++) {
		ws[i] = rc_test_ws_new(nodes[i], NULL);
		rc_test_ws_join(ws[i], ns[i], "same-code");
	}
	for (guint i = 0; i < 3; i++) {
		g_autofree gchar *text = g_strdup_printf("in %s", ns[i]);
		g_autofree gchar *id = NULL;
		g_autoptr(RcTestWs) sender = rc_test_ws_new(nodes[(i + 1) % 3], NULL);
		g_autoptr(JsonObject) msg = NULL;

		rc_test_ws_join(sender, ns[i], "same-code");
		id = rc_test_ws_send_message(sender, ns[i], "same-code", text);
		msg = rc_test_ws_take(ws[i], "MSG_TO_CLIENTS", NULL, 3000);
		g_assert_cmpstr(rc_test_json_get_string(msg, "namespace"), ==, ns[i]);
		g_assert_cmpstr(rc_test_json_get_string(msg, "id"), ==, id);
		g_assert_cmpstr(rc_test_json_get_string(msg_body(msg), "text"), ==, text);
	}
	rc_test_sleep(300);
	for (guint i = 0; i < 3; i++) {
		rc_test_ws_expect_silence(ws[i], 0);
		rc_test_ws_free(ws[i]);
	}
}

static void
test_same_order_everywhere(void)
{
	enum { N_SENDERS = 3, N_MSGS = 100, N_MEMBERS = 6 };
	RcTestWs *senders[N_SENDERS];
	RcTestWs *members[N_MEMBERS];
	GPtrArray *seen[N_MEMBERS];

	for (guint i = 0; i < N_MEMBERS; i++) {
		members[i] = rc_test_ws_new(nodes[i % N_NODES], NULL);
		rc_test_ws_join(members[i], "/", "order");
	}
	for (guint s = 0; s < N_SENDERS; s++) {
		g_autofree gchar *query = g_strdup_printf("sender=s%u", s);
		senders[s] = rc_test_ws_new(nodes[s], query);
		rc_test_ws_join(senders[s], "/", "order");
	}
	/* interleaved bursts, no waiting for acks */
	for (guint k = 0; k < N_MSGS; k++) {
		for (guint s = 0; s < N_SENDERS; s++)
			rc_test_ws_send_printf(
			    senders[s],
			    "{\"type\":\"send\",\"namespace\":\"/\","
			    "\"roomCode\":\"order\",\"text\":\"%u\",\"ref\":\"r%u\"}",
			    k,
			    k);
	}
	for (guint s = 0; s < N_SENDERS; s++) {
		for (guint k = 0; k < N_MSGS; k++) {
			g_autofree gchar *ref = g_strdup_printf("r%u", k);
			rc_test_ws_drop(senders[s], "ack", ref, 10000);
		}
	}
	for (guint i = 0; i < N_MEMBERS; i++)
		seen[i] = collect(members[i], N_SENDERS * N_MSGS, 10000);

	for (guint i = 0; i < N_MEMBERS; i++) {
		gint last[N_SENDERS] = {-1, -1, -1};
		g_autoptr(GHashTable) ids = g_hash_table_new(g_str_hash, g_str_equal);

		for (guint j = 0; j < seen[i]->len; j++) {
			JsonObject *a = seen[i]->pdata[j];
			JsonObject *b = seen[0]->pdata[j];
			const gchar *sender = rc_test_json_get_string(msg_body(a), "sender");
			guint s = (guint)g_ascii_strtoull(sender + 1, NULL, 10);
			gint k = (gint)g_ascii_strtoll(
			    rc_test_json_get_string(msg_body(a), "text"), NULL, 10);

			/* the same sequence at every member... */
			g_assert_cmpstr(
			    rc_test_json_get_string(a, "id"), ==, rc_test_json_get_string(b, "id"));
			/* ...ids unique in the room... */
			g_assert_false(
			    g_hash_table_contains(ids, rc_test_json_get_string(a, "id")));
			g_hash_table_add(ids, (gpointer)rc_test_json_get_string(a, "id"));
			/* ...and each sender's messages in the order sent */
			g_assert_cmpuint(s, <, N_SENDERS);
			g_assert_cmpint(k, ==, last[s] + 1);
			last[s] = k;
		}
	}
	for (guint i = 0; i < N_MEMBERS; i++) {
		g_ptr_array_unref(seen[i]);
		rc_test_ws_free(members[i]);
	}
	for (guint s = 0; s < N_SENDERS; s++)
		rc_test_ws_free(senders[s]);
}

static void
test_http_publish_cross_node(void)
{
	g_autoptr(RcTestWs) a = rc_test_ws_new(nodes[0], NULL);
	g_autoptr(RcTestWs) c = rc_test_ws_new(nodes[2], NULL);
	const gchar *body =
	    "{\"namespace\":\"/"
	    "\",\"roomCode\":\"via-http\",\"msg\":{\"sender\":\"bot\",\"text\":\"posted\"}}";
	g_autoptr(RcTestHttpReply) reply = NULL;
	g_autoptr(JsonObject) result = NULL;
	g_autoptr(JsonObject) ma = NULL;
	g_autoptr(JsonObject) mc = NULL;

	rc_test_ws_join(a, "/", "via-http");
	rc_test_ws_join(c, "/", "via-http");
	/* POSTed to the node that has no member of the room */
	reply = rc_test_http_post(nodes[1], "/publish", NULL, body, strlen(body), NULL);
	g_assert_cmpuint(reply->status, ==, 200);
	result = rc_test_http_reply_json(reply);
	g_assert_true(json_object_get_boolean_member(result, "success"));
	ma = rc_test_ws_take(a, "MSG_TO_CLIENTS", NULL, 3000);
	mc = rc_test_ws_take(c, "MSG_TO_CLIENTS", NULL, 3000);
	g_assert_cmpstr(
	    rc_test_json_get_string(ma, "id"), ==, rc_test_json_get_string(result, "id"));
	g_assert_cmpstr(
	    rc_test_json_get_string(mc, "id"), ==, rc_test_json_get_string(result, "id"));
	g_assert_cmpstr(rc_test_json_get_string(msg_body(ma), "sender"), ==, "bot");
	g_assert_cmpstr(rc_test_json_get_string(msg_body(mc), "text"), ==, "posted");
}

static void
test_redis_cli_publish(void)
{
	RcTestWs *ws[N_NODES];
	gint receivers;

	for (guint i = 0; i < N_NODES; i++) {
		ws[i] = rc_test_ws_new(nodes[i], NULL);
		rc_test_ws_join(ws[i], "/", "room_1");
	}
	receivers = rc_test_redis_cli_publish(
	    redis,
	    "livechat",
	    "{\"namespace\":\"/"
	    "\",\"roomCode\":\"room_1\",\"msg\":{\"sender\":\"ops\",\"text\":\"hi\"}}");
	/* every node listens on the ingress channel */
	g_assert_cmpint(receivers, >=, N_NODES);
	for (guint i = 0; i < N_NODES; i++) {
		g_autoptr(JsonObject) msg = rc_test_ws_take(ws[i], "MSG_TO_CLIENTS", NULL, 3000);
		const gchar *id = rc_test_json_get_string(msg, "id");

		g_assert_cmpstr(rc_test_json_get_string(msg, "namespace"), ==, "/");
		g_assert_cmpstr(rc_test_json_get_string(msg, "roomCode"), ==, "room_1");
		g_assert_cmpstr(rc_test_json_get_string(msg_body(msg), "sender"), ==, "ops");
		g_assert_cmpstr(rc_test_json_get_string(msg_body(msg), "text"), ==, "hi");
		/* a payload without id gets one from the receiving node */
		g_assert_nonnull(id);
		g_assert_cmpstr(id, !=, "");
		g_assert_true(json_object_has_member(msg, "ts"));
		rc_test_ws_expect_silence(ws[i], i == 0 ? 200 : 0);
	}
	for (guint i = 0; i < N_NODES; i++)
		rc_test_ws_free(ws[i]);
}

static void
test_ingress_with_id(void)
{
	/* a payload that carries roomcast's own fields, as a node publishes it:
	 * every node keeps its id and ts */
	RcTestWs *ws[N_NODES];
	g_autofree gchar *n = NULL;

	for (guint i = 0; i < N_NODES; i++) {
		ws[i] = rc_test_ws_new(nodes[i], NULL);
		rc_test_ws_join(ws[i], "/", "with-id");
	}
	n = rc_test_redis_command(redis,
				  "PUBLISH",
				  "livechat",
				  "{\"namespace\":\"/\",\"roomCode\":\"with-id\",\"id\":\"ext-42\","
				  "\"ts\":1732850000123,\"origin\":\"elsewhere\","
				  "\"msg\":{\"sender\":\"ops\",\"text\":\"with id\"}}",
				  NULL);
	g_assert_cmpint(g_ascii_strtoll(n, NULL, 10), >=, N_NODES);
	for (guint i = 0; i < N_NODES; i++) {
		g_autoptr(JsonObject) msg = rc_test_ws_take(ws[i], "MSG_TO_CLIENTS", NULL, 3000);

		g_assert_cmpstr(rc_test_json_get_string(msg, "id"), ==, "ext-42");
		g_assert_cmpint(json_object_get_int_member(msg, "ts"), ==, 1732850000123);
		g_assert_cmpstr(rc_test_json_get_string(msg_body(msg), "text"), ==, "with id");
		rc_test_ws_free(ws[i]);
	}
}

static void
test_malformed_ingress(void)
{
	g_autoptr(RcTestWs) a = rc_test_ws_new(nodes[0], NULL);
	g_autoptr(RcTestWs) b = rc_test_ws_new(nodes[1], NULL);
	const gchar *garbage[] = {
	    "garbage",
	    "",
	    "[]",
	    "{}",
	    "{\"namespace\":\"/\",\"roomCode\":\"ingress\"}",
	    "{\"namespace\":\"/\",\"roomCode\":\"ingress\",\"msg\":{\"sender\":\"x\",\"text\":5}}",
	    "{\"namespace\":\"/\",\"roomCode\":\"bad "
	    "room\",\"msg\":{\"sender\":\"x\",\"text\":\"y\"}}",
	    "{\"namespace\":\"nope\",\"roomCode\":\"ingress\",\"msg\":{\"sender\":\"x\",\"text\":"
	    "\"y\"}}",
	    "{\"namespace\":\"/"
	    "\",\"roomCode\":\"ingress\",\"msg\":{\"sender\":\"\",\"text\":\"y\"}}",
	};
	guint before[N_NODES];
	g_autofree gchar *out = NULL;
	g_autoptr(JsonObject) ma = NULL;
	g_autoptr(JsonObject) mb = NULL;

	rc_test_ws_join(a, "/", "ingress");
	rc_test_ws_join(b, "/", "ingress");
	for (guint i = 0; i < N_NODES; i++)
		before[i] = rc_test_node_get_stderr_lines(nodes[i])->len;
	for (guint i = 0; i < G_N_ELEMENTS(garbage); i++) {
		g_autofree gchar *n =
		    rc_test_redis_command(redis, "PUBLISH", "livechat", garbage[i], NULL);
		g_assert_cmpint(g_ascii_strtoll(n, NULL, 10), >=, N_NODES);
	}
	rc_test_sleep(300);
	rc_test_ws_expect_silence(a, 0);
	rc_test_ws_expect_silence(b, 0);
	for (guint i = 0; i < N_NODES; i++) {
		/* never fatal, and logged */
		g_assert_true(rc_test_node_is_running(nodes[i]));
		g_assert_cmpuint(rc_test_node_get_stderr_lines(nodes[i])->len, >, before[i]);
	}
	/* a good payload after the bad ones still goes through */
	out = rc_test_redis_command(
	    redis,
	    "PUBLISH",
	    "livechat",
	    "{\"namespace\":\"/"
	    "\",\"roomCode\":\"ingress\",\"msg\":{\"sender\":\"ops\",\"text\":\"ok\"}}",
	    NULL);
	ma = rc_test_ws_take(a, "MSG_TO_CLIENTS", NULL, 3000);
	mb = rc_test_ws_take(b, "MSG_TO_CLIENTS", NULL, 3000);
	g_assert_cmpstr(rc_test_json_get_string(msg_body(ma), "text"), ==, "ok");
	g_assert_cmpstr(rc_test_json_get_string(msg_body(mb), "text"), ==, "ok");
	rc_test_ws_ping(a);
}

static void
test_leave_stops_delivery(void)
{
	g_autoptr(RcTestWs) a = rc_test_ws_new(nodes[0], NULL);
	g_autoptr(RcTestWs) b = rc_test_ws_new(nodes[1], NULL);
	g_autofree gchar *id1 = NULL;
	g_autofree gchar *id2 = NULL;
	g_autoptr(JsonObject) m1 = NULL;
	g_autoptr(JsonObject) own = NULL;
	g_autoptr(JsonObject) left = NULL;

	rc_test_ws_join(a, "/", "leaving");
	rc_test_ws_join(a, "/", "staying");
	rc_test_ws_join(b, "/", "leaving");
	rc_test_ws_join(b, "/", "staying");
	rc_test_ws_send_text(a,
			     "{\"type\":\"leave\",\"namespace\":\"/\",\"roomCode\":\"leaving\"}");
	left = rc_test_ws_expect(a, "left", 3000);
	id1 = rc_test_ws_send_message(b, "/", "leaving", "gone?");
	own = rc_test_ws_take(b, "MSG_TO_CLIENTS", NULL, 3000);
	id2 = rc_test_ws_send_message(b, "/", "staying", "still here");
	m1 = rc_test_ws_take(a, "MSG_TO_CLIENTS", NULL, 3000);
	/* the first message a sees is the one in the room it stayed in */
	g_assert_cmpstr(rc_test_json_get_string(m1, "id"), ==, id2);
	g_assert_cmpstr(rc_test_json_get_string(m1, "roomCode"), ==, "staying");
	rc_test_ws_expect_silence(a, 200);
}

static void
test_disconnect_others_continue(void)
{
	g_autoptr(RcTestWs) a = rc_test_ws_new(nodes[0], NULL);
	g_autoptr(RcTestWs) b = rc_test_ws_new(nodes[1], NULL);
	RcTestWs *c = rc_test_ws_new(nodes[2], NULL);
	g_autofree gchar *id = NULL;
	g_autoptr(JsonObject) m = NULL;

	rc_test_ws_join(a, "/", "dropout");
	rc_test_ws_join(b, "/", "dropout");
	rc_test_ws_join(c, "/", "dropout");
	rc_test_ws_free(c);
	id = rc_test_ws_send_message(a, "/", "dropout", "after c left");
	m = rc_test_ws_take(b, "MSG_TO_CLIENTS", NULL, 3000);
	g_assert_cmpstr(rc_test_json_get_string(m, "id"), ==, id);
}

/* ------------------------------------------------------------ per-room --- */

static RcTestNode *
per_room_node(const gchar *node_id)
{
	/* where Redis is from the config file this time, not from --redis */
	g_autofree gchar *entry = rc_test_redis_get_config_entry(redis);
	g_autofree gchar *contents =
	    g_strdup_printf("[redis]\n%s\nchannel=prchat\nfanout=per-room\n", entry);
	const gchar *config = rc_test_write_config(contents);
	RcTestNode *node = rc_test_node_new(
	    "--port", "0", "--bus", "none", "--node-id", node_id, "--config", config, NULL);

	rc_test_node_wait_redis_connected(node, 5000);
	return node;
}

typedef struct {
	RcTestRedis *redis;
	const gchar *pattern;
	guint n_channels;
	const gchar *numsub_channel;
	gint numsub;
} PubsubWait;

static gboolean
pubsub_matches(gpointer user_data)
{
	PubsubWait *w = user_data;
	g_auto(GStrv) channels = rc_test_redis_pubsub_channels(w->redis, w->pattern);

	if (g_strv_length(channels) != w->n_channels)
		return FALSE;
	if (w->numsub_channel != NULL) {
		g_autofree gchar *reply =
		    rc_test_redis_command(w->redis, "PUBSUB", "NUMSUB", w->numsub_channel, NULL);
		g_auto(GStrv) parts = g_strsplit(reply, "\n", -1);
		if (g_strv_length(parts) != 2 || g_ascii_strtoll(parts[1], NULL, 10) != w->numsub)
			return FALSE;
	}
	return TRUE;
}

static void
assert_pubsub(const gchar *pattern, guint n_channels, const gchar *channel, gint numsub)
{
	PubsubWait w = {redis, pattern, n_channels, channel, numsub};

	if (!rc_test_wait_until(pubsub_matches, &w, 3000)) {
		g_auto(GStrv) channels = rc_test_redis_pubsub_channels(redis, "*");
		g_autofree gchar *list = g_strjoinv(", ", channels);
		g_error("PUBSUB: expected %u channels matching %s (%s with %d subscribers); "
			"channels now: %s",
			n_channels,
			pattern,
			channel != NULL ? channel : "-",
			numsub,
			list);
	}
}

static void
test_per_room_subscriptions(void)
{
	g_autoptr(RcTestNode) p1 = per_room_node("p1");
	g_autoptr(RcTestNode) p2 = per_room_node("p2");
	g_autoptr(RcTestWs) a = NULL;
	RcTestWs *b = NULL;
	g_autoptr(RcTestWs) other = NULL;
	g_auto(GStrv) channels = NULL;
	g_autofree gchar *id = NULL;
	g_autoptr(JsonObject) mb = NULL;
	g_autoptr(JsonObject) left = NULL;
	const gchar *room_channel;

	/* both nodes always listen on the ingress channel; no room channel yet */
	assert_pubsub("prchat", 1, "prchat", 2);
	assert_pubsub("*pr-room*", 0, NULL, 0);

	/* the first local member subscribes the node */
	a = rc_test_ws_new(p1, NULL);
	rc_test_ws_join(a, "/", "pr-room");
	assert_pubsub("*pr-room*", 1, NULL, 0);
	channels = rc_test_redis_pubsub_channels(redis, "*pr-room*");
	room_channel = channels[0];
	g_test_message("room channel: %s", room_channel);
	/* the documented name: CHANNEL:{NAMESPACE:ROOMCODE}, the room's hash tag */
	g_assert_cmpstr(room_channel, ==, "prchat:{/:pr-room}");
	assert_pubsub("*pr-room*", 1, room_channel, 1);

	/* a member on the second node: two subscribers */
	b = rc_test_ws_new(p2, NULL);
	rc_test_ws_join(b, "/", "pr-room");
	assert_pubsub("*pr-room*", 1, room_channel, 2);
	/* a second member on the same node changes nothing */
	other = rc_test_ws_new(p2, NULL);
	rc_test_ws_join(other, "/", "pr-room");
	assert_pubsub("*pr-room*", 1, room_channel, 2);

	id = rc_test_ws_send_message(a, "/", "pr-room", "per-room hello");
	mb = rc_test_ws_take(b, "MSG_TO_CLIENTS", NULL, 3000);
	g_assert_cmpstr(rc_test_json_get_string(mb, "id"), ==, id);

	/* the last member on p1 leaves: p1 unsubscribes */
	rc_test_ws_send_text(a,
			     "{\"type\":\"leave\",\"namespace\":\"/\",\"roomCode\":\"pr-room\"}");
	left = rc_test_ws_take(a, "left", NULL, 3000);
	assert_pubsub("*pr-room*", 1, room_channel, 1);
	/* p2 keeps its subscription while one of its two members remains */
	rc_test_ws_free(b);
	rc_test_sleep(200);
	assert_pubsub("*pr-room*", 1, room_channel, 1);
	rc_test_ws_close(other);
	assert_pubsub("*pr-room*", 0, NULL, 0);
	assert_pubsub("prchat", 1, "prchat", 2);

	g_assert_cmpint(rc_test_node_stop(p1), ==, 0);
	g_assert_cmpint(rc_test_node_stop(p2), ==, 0);
}

static void
test_per_room_delivery_and_order(void)
{
	g_autoptr(RcTestNode) p1 = per_room_node("p1");
	g_autoptr(RcTestNode) p2 = per_room_node("p2");
	g_autoptr(RcTestWs) a = rc_test_ws_new(p1, "sender=s0");
	g_autoptr(RcTestWs) b = rc_test_ws_new(p2, "sender=s1");
	g_autoptr(RcTestWs) c = rc_test_ws_new(p2, NULL);
	g_autoptr(GPtrArray) seen_a = NULL;
	g_autoptr(GPtrArray) seen_b = NULL;
	g_autoptr(GPtrArray) seen_c = NULL;
	g_autoptr(JsonObject) other_room = NULL;

	rc_test_ws_join(a, "/", "pr-order");
	rc_test_ws_join(b, "/", "pr-order");
	rc_test_ws_join(c, "/", "pr-order");
	rc_test_ws_join(c, "/", "pr-other");
	assert_pubsub("*pr-order*", 1, "prchat:{/:pr-order}", 2);

	for (guint k = 0; k < 30; k++) {
		rc_test_ws_send_printf(a,
				       "{\"type\":\"send\",\"namespace\":\"/"
				       "\",\"roomCode\":\"pr-order\",\"text\":\"%u\"}",
				       k);
		rc_test_ws_send_printf(b,
				       "{\"type\":\"send\",\"namespace\":\"/"
				       "\",\"roomCode\":\"pr-order\",\"text\":\"%u\"}",
				       k);
	}
	for (guint k = 0; k < 30; k++) {
		rc_test_ws_drop(a, "ack", NULL, 5000);
		rc_test_ws_drop(b, "ack", NULL, 5000);
	}
	seen_a = collect(a, 60, 10000);
	seen_b = collect(b, 60, 10000);
	seen_c = collect(c, 60, 10000);
	for (guint j = 0; j < 60; j++) {
		const gchar *id = rc_test_json_get_string(seen_a->pdata[j], "id");
		g_assert_cmpstr(rc_test_json_get_string(seen_b->pdata[j], "id"), ==, id);
		g_assert_cmpstr(rc_test_json_get_string(seen_c->pdata[j], "id"), ==, id);
	}

	/* the ingress channel still reaches rooms in per-room mode */
	g_assert_cmpint(
	    rc_test_redis_cli_publish(
		redis,
		"prchat",
		"{\"namespace\":\"/"
		"\",\"roomCode\":\"pr-other\",\"msg\":{\"sender\":\"ops\",\"text\":\"in\"}}"),
	    ==,
	    2);
	other_room = rc_test_ws_take(c, "MSG_TO_CLIENTS", NULL, 3000);
	g_assert_cmpstr(rc_test_json_get_string(other_room, "roomCode"), ==, "pr-other");
	g_assert_cmpstr(rc_test_json_get_string(msg_body(other_room), "text"), ==, "in");
	rc_test_ws_expect_silence(a, 200);

	rc_test_ws_close(a);
	rc_test_ws_close(b);
	rc_test_ws_close(c);
	g_assert_cmpint(rc_test_node_stop(p1), ==, 0);
	g_assert_cmpint(rc_test_node_stop(p2), ==, 0);
}

int
main(int argc, char **argv)
{
	int ret;

	rc_test_init(&argc, &argv);
	redis = rc_test_redis_new();
	for (guint i = 0; i < N_NODES; i++) {
		g_autofree gchar *id = g_strdup_printf("n%u", i + 1);
		nodes[i] = rc_test_node_new("--port",
					    "0",
					    "--bus",
					    "none",
					    "--node-id",
					    id,
					    "--redis",
					    rc_test_redis_get_url(redis),
					    NULL);
	}
	/* the listening line comes before the Redis connection is up */
	for (guint i = 0; i < N_NODES; i++)
		rc_test_node_wait_redis_connected(nodes[i], 5000);

	g_test_add_func("/cluster/healthz-connected", test_healthz_connected);
	g_test_add_func("/cluster/node-ids", test_node_ids);
	g_test_add_func("/cluster/fanout", test_fanout);
	g_test_add_func("/cluster/isolation", test_isolation);
	g_test_add_func("/cluster/namespaces", test_namespaces);
	g_test_add_func("/cluster/same-order-everywhere", test_same_order_everywhere);
	g_test_add_func("/cluster/http-publish", test_http_publish_cross_node);
	g_test_add_func("/cluster/redis-cli-publish", test_redis_cli_publish);
	g_test_add_func("/cluster/ingress-with-id", test_ingress_with_id);
	g_test_add_func("/cluster/malformed-ingress", test_malformed_ingress);
	g_test_add_func("/cluster/leave-stops-delivery", test_leave_stops_delivery);
	g_test_add_func("/cluster/disconnect", test_disconnect_others_continue);
	g_test_add_func("/cluster/per-room/subscriptions", test_per_room_subscriptions);
	g_test_add_func("/cluster/per-room/delivery-and-order", test_per_room_delivery_and_order);
	ret = g_test_run();

	for (guint i = 0; i < N_NODES; i++) {
		g_assert_cmpint(rc_test_node_stop(nodes[i]), ==, 0);
		rc_test_node_free(nodes[i]);
	}
	rc_test_redis_free(redis);
	return ret;
}
