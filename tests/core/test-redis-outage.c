/*
 * Copyright 2026 roomcast developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#define G_LOG_DOMAIN "RcTestRedisOutage"

#include <string.h>

#include "rc-test-harness.h"
#include "rc-test-lossless.h"
#include "rc-test-redis-extra.h"

/*
 * Redis killed and restarted under two nodes. While it is
 * down the nodes keep their clients, say so on /healthz and /metrics, and
 * answer sends with `unavailable`; afterwards they reconnect and resubscribe
 * by themselves. Redis stopped with SIGSTOP (it keeps its connections and
 * answers nothing) is found out by [redis] timeout, and resumes by itself.
 */

/* how long a node may take to notice / recover (reconnect backoff included) */
#define NOTICE_MS 5000
#define RECOVER_MS 10000

typedef struct {
	RcTestNode *node;
	guint status;
	const gchar *redis;
} HealthWait;

static gboolean
health_is(gpointer user_data)
{
	HealthWait *w = user_data;
	g_autoptr(RcTestHttpReply) reply = rc_test_http_get(w->node, "/healthz");
	g_autoptr(JsonObject) body = NULL;

	if (reply->status != w->status)
		return FALSE;
	body = rc_test_json_parse_object(reply->body);
	return body != NULL && g_strcmp0(rc_test_json_get_string(body, "redis"), w->redis) == 0;
}

static void
assert_health(RcTestNode *node, guint status, const gchar *redis_state, guint timeout_ms)
{
	HealthWait w = {node, status, redis_state};

	if (!rc_test_wait_until(health_is, &w, timeout_ms)) {
		g_autoptr(RcTestHttpReply) reply = rc_test_http_get(node, "/healthz");
		g_error("/healthz: expected %u with \"redis\":\"%s\" within %u ms, got %u %s",
			status,
			redis_state,
			timeout_ms,
			reply->status,
			reply->body);
	}
}

static gdouble
metric(RcTestNode *node, const gchar *name)
{
	g_autoptr(RcTestHttpReply) reply = rc_test_http_get(node, "/metrics");

	g_assert_cmpuint(reply->status, ==, 200);
	return rc_test_metrics_value(reply->body, name);
}

/* a node of Redis at @url with a config file of @contents */
static RcTestNode *
start_node_config(const gchar *url, const gchar *id, const gchar *contents)
{
	const gchar *config = rc_test_write_config(contents);

	return rc_test_node_new("--port",
				"0",
				"--bus",
				"none",
				"--node-id",
				id,
				"--redis",
				url,
				"--config",
				config,
				NULL);
}

static RcTestNode *
start_node(RcTestRedis *redis, const gchar *id, const gchar *fanout)
{
	g_autofree gchar *contents = g_strdup_printf("[redis]\nfanout=%s\n", fanout);

	return start_node_config(rc_test_redis_get_url(redis), id, contents);
}

/* a message from @from reaches @to (and its own sender) */
static void
assert_delivery(RcTestWs *from, RcTestWs *to, const gchar *room, const gchar *text)
{
	g_autofree gchar *id = rc_test_ws_send_message(from, "/", room, text);
	g_autoptr(JsonObject) own = rc_test_ws_take(from, "MSG_TO_CLIENTS", NULL, 3000);
	g_autoptr(JsonObject) msg = rc_test_ws_take(to, "MSG_TO_CLIENTS", NULL, 3000);

	g_assert_cmpstr(rc_test_json_get_string(own, "id"), ==, id);
	g_assert_cmpstr(rc_test_json_get_string(msg, "id"), ==, id);
}

/* forgets what the retries left queued */
static void
drain(RcTestWs *ws)
{
	while (rc_test_ws_get_n_queued(ws) > 0)
		json_object_unref(rc_test_ws_try_next(ws, 0));
}

typedef struct {
	RcTestWs *from;
	RcTestWs *to;
	const gchar *room;
	guint attempt;
} CrossWait;

/* sends until one message makes it across; unavailable answers are fine meanwhile */
static gboolean
crossed(gpointer user_data)
{
	CrossWait *w = user_data;
	g_autofree gchar *ref = g_strdup_printf("retry%u", w->attempt++);
	g_autoptr(JsonObject) reply = NULL;
	g_autoptr(JsonObject) msg = NULL;

	rc_test_ws_send_printf(w->from,
			       "{\"type\":\"send\",\"namespace\":\"/\",\"roomCode\":\"%s\","
			       "\"text\":\"retry\",\"ref\":\"%s\"}",
			       w->room,
			       ref);
	reply = rc_test_ws_take(w->from, NULL, ref, 3000);
	if (g_strcmp0(rc_test_json_get_string(reply, "type"), "error") == 0) {
		g_assert_cmpstr(rc_test_json_get_string(reply, "code"), ==, "unavailable");
		rc_test_sleep(200);
		return FALSE;
	}
	g_assert_cmpstr(rc_test_json_get_string(reply, "type"), ==, "ack");
	msg = rc_test_ws_try_next(w->to, 1000);
	while (msg != NULL) {
		if (g_strcmp0(rc_test_json_get_string(msg, "id"),
			      rc_test_json_get_string(reply, "id")) == 0)
			return TRUE;
		g_clear_pointer(&msg, json_object_unref);
		msg = rc_test_ws_try_next(w->to, 1000);
	}
	return FALSE;
}

static void
run_outage(const gchar *fanout, gboolean crash)
{
	g_autoptr(RcTestRedis) redis = rc_test_redis_new();
	g_autoptr(RcTestNode) n1 = start_node(redis, "o1", fanout);
	g_autoptr(RcTestNode) n2 = start_node(redis, "o2", fanout);
	g_autoptr(RcTestWs) a = rc_test_ws_new(n1, "sender=a");
	g_autoptr(RcTestWs) b = rc_test_ws_new(n2, "sender=b");
	g_autoptr(JsonObject) error = NULL;
	g_autoptr(RcTestHttpReply) posted = NULL;
	g_autoptr(JsonObject) posted_body = NULL;
	const gchar *body =
	    "{\"namespace\":\"/"
	    "\",\"roomCode\":\"outage\",\"msg\":{\"sender\":\"bot\",\"text\":\"x\"}}";
	CrossWait cross = {a, b, "outage", 0};
	CrossWait cross_back = {b, a, "outage", 100};

	rc_test_ws_join(a, "/", "outage");
	rc_test_ws_join(b, "/", "outage");
	assert_health(n1, 200, "connected", NOTICE_MS);
	assert_health(n2, 200, "connected", NOTICE_MS);
	assert_delivery(a, b, "outage", "before");

	if (crash)
		rc_test_redis_kill(redis);
	else
		rc_test_redis_stop(redis);

	/* reported */
	assert_health(n1, 503, "disconnected", NOTICE_MS);
	assert_health(n2, 503, "disconnected", NOTICE_MS);
	g_assert_cmpfloat(metric(n1, "roomcast_redis_up"), ==, 0);
	{
		g_autoptr(RcTestHttpReply) reply = rc_test_http_get(n1, "/healthz");
		g_autoptr(JsonObject) health = rc_test_http_reply_json(reply);
		g_assert_cmpstr(rc_test_json_get_string(health, "status"), !=, "ok");
	}

	/* sends are refused, not lost silently, and the connection stays */
	rc_test_ws_send_text(a,
			     "{\"type\":\"send\",\"namespace\":\"/\",\"roomCode\":\"outage\","
			     "\"text\":\"during\",\"ref\":\"d1\"}");
	error = rc_test_ws_expect_error(a, "unavailable", "d1", 5000);
	rc_test_ws_ping(a);
	rc_test_ws_expect_silence(b, 200);
	posted = rc_test_http_post(n2, "/publish", NULL, body, strlen(body), NULL);
	g_assert_cmpuint(posted->status, ==, 503);
	posted_body = rc_test_http_reply_json(posted);
	g_assert_false(json_object_get_boolean_member(posted_body, "success"));
	/* joining still works: rooms are local */
	rc_test_ws_join(b, "/", "outage-2");

	rc_test_redis_start(redis);

	/* back by themselves */
	assert_health(n1, 200, "connected", RECOVER_MS);
	assert_health(n2, 200, "connected", RECOVER_MS);
	g_assert_cmpfloat(metric(n2, "roomcast_redis_up"), ==, 1);
	/* subscriptions restored: cross-node delivery both ways within seconds */
	g_assert_true(rc_test_wait_until(crossed, &cross, 5000));
	g_assert_true(rc_test_wait_until(crossed, &cross_back, 5000));
	/* and once back, every send works first time */
	rc_test_sleep(300);
	drain(a);
	drain(b);
	assert_delivery(a, b, "outage", "after");
	assert_delivery(b, a, "outage", "after, back");
	{
		g_autoptr(RcTestHttpReply) again =
		    rc_test_http_post(n1, "/publish", NULL, body, strlen(body), NULL);
		g_assert_cmpuint(again->status, ==, 200);
		rc_test_ws_drop(a, "MSG_TO_CLIENTS", NULL, 3000);
		rc_test_ws_drop(b, "MSG_TO_CLIENTS", NULL, 3000);
	}
	/* the ingress channel is listened to again */
	{
		g_autofree gchar *n = rc_test_redis_command(
		    redis,
		    "PUBLISH",
		    "livechat",
		    "{\"namespace\":\"/"
		    "\",\"roomCode\":\"outage-2\",\"msg\":{\"sender\":\"ops\",\"text\":\"i\"}}",
		    NULL);
		g_autoptr(JsonObject) m = rc_test_ws_take(b, "MSG_TO_CLIENTS", NULL, 3000);
		g_assert_cmpint(g_ascii_strtoll(n, NULL, 10), ==, 2);
		g_assert_cmpstr(rc_test_json_get_string(m, "roomCode"), ==, "outage-2");
	}
	if (g_strcmp0(fanout, "per-room") == 0) {
		g_auto(GStrv) channels = rc_test_redis_pubsub_channels(redis, "livechat:*");
		g_autofree gchar *list = g_strjoinv(",", channels);
		g_assert_cmpstr(list, ==, "livechat:{/:outage-2},livechat:{/:outage}");
	}

	g_assert_false(rc_test_ws_is_closed(a));
	g_assert_false(rc_test_ws_is_closed(b));
	rc_test_ws_close(a);
	rc_test_ws_close(b);
	g_assert_cmpint(rc_test_node_stop(n1), ==, 0);
	g_assert_cmpint(rc_test_node_stop(n2), ==, 0);
}

static void
test_outage_single(void)
{
	run_outage("single", FALSE);
}

static void
test_outage_per_room(void)
{
	/* killed, not stopped: Redis says no goodbye */
	run_outage("per-room", TRUE);
}

static void
test_start_without_redis(void)
{
	/* a node whose Redis is not up yet still starts, serves, and connects later */
	g_autoptr(RcTestRedis) redis = rc_test_redis_new();
	g_autoptr(RcTestNode) n1 = NULL;
	g_autoptr(RcTestWs) a = NULL;
	g_autoptr(JsonObject) error = NULL;

	rc_test_redis_stop(redis);
	n1 = start_node(redis, "late", "single");
	assert_health(n1, 503, "disconnected", NOTICE_MS);
	a = rc_test_ws_new(n1, NULL);
	rc_test_ws_join(a, "/", "late");
	rc_test_ws_send_text(a,
			     "{\"type\":\"send\",\"namespace\":\"/\",\"roomCode\":\"late\","
			     "\"text\":\"x\",\"ref\":\"l1\"}");
	error = rc_test_ws_expect_error(a, "unavailable", "l1", 5000);
	rc_test_redis_start(redis);
	assert_health(n1, 200, "connected", RECOVER_MS);
	{
		g_autofree gchar *id = rc_test_ws_send_message(a, "/", "late", "now");
		g_autoptr(JsonObject) m = rc_test_ws_take(a, "MSG_TO_CLIENTS", NULL, 3000);
		g_assert_cmpstr(rc_test_json_get_string(m, "id"), ==, id);
	}
	rc_test_ws_close(a);
	g_assert_cmpint(rc_test_node_stop(n1), ==, 0);
}

/* a node of Redis at @url with [redis] timeout = @timeout_s */
static RcTestNode *
start_node_timeout(const gchar *url, const gchar *id, guint timeout_s)
{
	g_autofree gchar *contents = g_strdup_printf("[redis]\ntimeout=%u\n", timeout_s);

	return start_node_config(url, id, contents);
}

/* sends from @m with a fresh ref; returns the ref */
static gchar *
send_one(RcTestMember *m, const gchar *text)
{
	gchar *ref = rc_test_member_new_ref(m, "st");

	rc_test_member_send(m, ref, text);
	return ref;
}

/* the send @ref of @m must be acked; returns the id */
static gchar *
acked(RcTestMember *m, const gchar *ref, guint timeout_ms)
{
	g_autoptr(JsonObject) reply = rc_test_member_wait_reply(m, ref, timeout_ms);
	g_autofree gchar *text = rc_test_json_to_string(reply);

	if (g_strcmp0(rc_test_json_get_string(reply, "type"), "ack") != 0)
		g_error("%s: expected an ack, got %s", ref, text);
	return g_strdup(rc_test_json_get_string(reply, "id"));
}

static gboolean
has_id(RcTestMember *m, const gchar *id)
{
	rc_test_member_pump(m);
	for (guint i = 0; i < m->messages->len; i++) {
		if (g_strcmp0(rc_test_json_get_string(m->messages->pdata[i], "id"), id) == 0)
			return TRUE;
	}
	return FALSE;
}

/* /healthz says disconnected as soon as one of a node's connections to Redis is
 * lost. Sends are refused at once when the one their room's commands go to is
 * lost too, which its own ping can find a little later (a send before that
 * waits for Redis, as the one in flight does). */
static gboolean
commands_lost(gpointer node)
{
	return metric(node, "roomcast_redis_shards{state=\"up\"}") == 0;
}

static void
wait_commands_lost(RcTestNode *node, guint timeout_ms)
{
	if (!rc_test_wait_until(commands_lost, node, timeout_ms))
		g_error("the command connection still up %u ms after /healthz said "
			"disconnected",
			rc_test_timeout(timeout_ms));
}

static void
test_stalled(void)
{
	const guint timeout_s = 2;
	g_autoptr(RcTestRedisServer) redis = rc_test_redis_server_new_argv(NULL);
	g_autofree gchar *url =
	    g_strdup_printf("redis://127.0.0.1:%u", rc_test_redis_server_get_port(redis));
	g_autoptr(RcTestNode) n1 = start_node_timeout(url, "st1", timeout_s);
	g_autoptr(RcTestNode) n2 = start_node_timeout(url, "st2", timeout_s);
	g_autoptr(RcTestMember) a = NULL;
	g_autoptr(RcTestMember) b = NULL;
	g_autoptr(GPtrArray) ids = g_ptr_array_new_with_free_func(g_free);
	g_autofree gchar *in_flight = NULL;
	g_autoptr(JsonObject) in_flight_reply = NULL;
	const gchar *body = "{\"namespace\":\"/\",\"roomCode\":\"stall\","
			    "\"msg\":{\"sender\":\"bot\",\"text\":\"during\"}}";
	gint64 stopped_us, noticed_us, resumed_us;
	guint ghosts = 0;

	rc_test_node_wait_redis_connected(n1, NOTICE_MS);
	rc_test_node_wait_redis_connected(n2, NOTICE_MS);
	a = rc_test_member_new(n1, "a", "/", "stall");
	b = rc_test_member_new(n2, "b", "/", "stall");
	json_object_unref(rc_test_member_join(a, NULL));
	json_object_unref(rc_test_member_join(b, NULL));
	/* acked before the stall */
	for (guint i = 0; i < 5; i++) {
		g_autofree gchar *ref = send_one(i % 2 == 0 ? a : b, "before");
		g_ptr_array_add(ids, acked(i % 2 == 0 ? a : b, ref, 3000));
	}

	rc_test_redis_server_signal(redis, SIGSTOP);
	stopped_us = g_get_monotonic_time();
	/* a send just as Redis stops: Redis may run it when it wakes, so it is
	 * answered only then, and truly */
	in_flight = send_one(a, "in flight");

	/* within timeout + 1 s both say so */
	assert_health(n1, 503, "disconnected", (timeout_s + 1) * 1000 + 500);
	noticed_us = g_get_monotonic_time();
	/* n2 has nothing in flight: its idle ping notices, by the same bound from the
	 * stop (n1, with a send in flight, noticed a second earlier, at the timeout) */
	assert_health(n2,
		      503,
		      "disconnected",
		      (guint)MAX(500,
				 (gint64)(timeout_s + 1) * 1000 + 500 -
				     (noticed_us - stopped_us) / 1000));
	g_test_message("SIGSTOP: /healthz said disconnected after %.0f ms ([redis] timeout %u s)",
		       (noticed_us - stopped_us) / 1e3,
		       timeout_s);
	g_assert_cmpint(
	    noticed_us - stopped_us, <=, rc_test_timeout((timeout_s + 1) * 1000 + 500) * 1000);
	g_assert_cmpfloat(metric(n1, "roomcast_redis_up"), ==, 0);
	g_assert_cmpfloat(metric(n2, "roomcast_redis_up"), ==, 0);
	wait_commands_lost(n1, (timeout_s + 1) * 1000);
	wait_commands_lost(n2, (timeout_s + 1) * 1000);
	/* a send now is refused at once, and so is /publish */
	{
		g_autofree gchar *ref = send_one(b, "refused");
		g_autoptr(JsonObject) reply = rc_test_member_wait_reply(b, ref, 1000);
		g_autoptr(RcTestHttpReply) posted =
		    rc_test_http_post(n1, "/publish", NULL, body, strlen(body), NULL);
		g_autoptr(JsonObject) posted_body = rc_test_http_reply_json(posted);

		g_assert_cmpstr(rc_test_json_get_string(reply, "type"), ==, "error");
		g_assert_cmpstr(rc_test_json_get_string(reply, "code"), ==, "unavailable");
		g_assert_cmpuint(posted->status, ==, 503);
		g_assert_false(json_object_get_boolean_member(posted_body, "success"));
	}
	rc_test_member_ping(a);
	rc_test_member_ping(b);

	rc_test_redis_server_signal(redis, SIGCONT);
	resumed_us = g_get_monotonic_time();
	assert_health(n1, 200, "connected", RECOVER_MS);
	assert_health(n2, 200, "connected", RECOVER_MS);
	g_test_message("SIGCONT: both nodes connected again after %.0f ms",
		       (g_get_monotonic_time() - resumed_us) / 1e3);
	g_assert_cmpfloat(metric(n1, "roomcast_redis_up"), ==, 1);
	/* the send in flight: acked once Redis answers again, whether its first try
	 * ran or not */
	in_flight_reply = rc_test_member_wait_reply(a, in_flight, 5000);
	{
		g_autofree gchar *text = rc_test_json_to_string(in_flight_reply);
		g_test_message("the send in flight when Redis stopped got %s", text);
	}
	g_assert_cmpstr(rc_test_json_get_string(in_flight_reply, "type"), ==, "ack");
	g_ptr_array_add(ids, g_strdup(rc_test_json_get_string(in_flight_reply, "id")));

	/* messages flow again, both ways */
	for (guint i = 0; i < 6; i++) {
		g_autofree gchar *ref = send_one(i % 2 == 0 ? b : a, "after");
		g_ptr_array_add(ids, acked(i % 2 == 0 ? b : a, ref, 3000));
	}
	/* every acked one reached both, in offset order, once */
	{
		RcTestMember *both[] = {a, b, NULL};
		gint64 top = 0;
		for (guint k = 0; both[k] != NULL; k++) {
			for (guint i = 0; i < ids->len; i++) {
				for (guint t = 0; t < 100 && !has_id(both[k], ids->pdata[i]); t++)
					rc_test_sleep(50);
				if (!has_id(both[k], ids->pdata[i]))
					g_error("%s never got acked message %s",
						both[k]->name,
						(gchar *)ids->pdata[i]);
			}
		}
		rc_test_member_expect_no_more(a, 300);
		top = rc_test_message_offset(a->messages->pdata[a->messages->len - 1]);
		rc_test_member_assert_offsets(a, 1, top);
		rc_test_member_assert_offsets(b, 1, top);
		for (guint i = 0; i < a->messages->len; i++) {
			g_assert_cmpstr(rc_test_json_get_string(a->messages->pdata[i], "id"),
					==,
					rc_test_json_get_string(b->messages->pdata[i], "id"));
			if (g_strcmp0(rc_test_message_text(a->messages->pdata[i]), "in flight") ==
				0 &&
			    g_strcmp0(rc_test_json_get_string(in_flight_reply, "type"), "ack") != 0)
				ghosts++;
		}
		/* 12 acked, the one in flight among them, each once */
		g_assert_cmpint(top, ==, ids->len);
	}
	g_assert_cmpuint(ghosts, ==, 0);
}

/* a message POSTed to @room on @node, as @ws receives it */
static JsonObject *
publish_and_take(RcTestNode *node, RcTestWs *ws, const gchar *room)
{
	g_autofree gchar *body = g_strdup_printf(
	    "{\"namespace\":\"/\",\"roomCode\":\"%s\",\"msg\":{\"sender\":\"bot\","
	    "\"text\":\"published\"}}",
	    room);
	g_autoptr(RcTestHttpReply) posted =
	    rc_test_http_post(node, "/publish", NULL, body, strlen(body), NULL);
	JsonObject *msg;

	g_assert_cmpuint(posted->status, ==, 200);
	msg = rc_test_ws_take(ws, "MSG_TO_CLIENTS", NULL, 3000);
	g_assert_cmpstr(rc_test_json_get_string(msg, "roomCode"), ==, room);
	return msg;
}

/* A join whose read of the room fails while the room's messages already arrive
 * (the command connection timed out, the subscriber did not): the room learns
 * where it stands once Redis answers again, and then delivers what comes. */
static void
run_read_lost(const gchar *fanout)
{
	g_autoptr(RcTestRedis) redis = rc_test_redis_new();
	g_autofree gchar *contents = g_strdup_printf("[redis]\nfanout=%s\ntimeout=1\n", fanout);
	g_autoptr(RcTestNode) node =
	    start_node_config(rc_test_redis_get_url(redis), "r1", contents);
	g_autoptr(RcTestWs) a = rc_test_ws_new(node, "sender=a");
	g_autoptr(RcTestWs) b = rc_test_ws_new(node, "sender=b");
	g_autofree gchar *paused = NULL;
	g_autoptr(JsonObject) msg = NULL;
	gint64 paused_us;

	rc_test_ws_join(a, "/", "warm");
	assert_health(node, 200, "connected", NOTICE_MS);
	/* scripts wait out a write pause; subscribing does not */
	paused = rc_test_redis_command(redis, "CLIENT", "PAUSE", "2500", "WRITE", NULL);
	paused_us = g_get_monotonic_time();
	/* answered once the read gives up ([redis] timeout, counted from the oldest
	 * command waiting on the connection), without where it stands */
	rc_test_ws_join(b, "/", "unread");
	rc_test_sleep(MAX(0, (gint)(2800 - (g_get_monotonic_time() - paused_us) / 1000)));
	assert_health(node, 200, "connected", RECOVER_MS);
	msg = publish_and_take(node, b, "unread");
	g_assert_cmpint(json_object_get_int_member(msg, "offset"), ==, 1);
	rc_test_ws_expect_silence(a, 200);
	g_assert_cmpint(rc_test_node_stop(node), ==, 0);
}

static void
test_read_lost_single(void)
{
	run_read_lost("single");
}

static void
test_read_lost_per_room(void)
{
	run_read_lost("per-room");
}

/* A loopback proxy in front of Redis that can hold what a node sends with
 * SUBSCRIBE in it for a while: the time between a subscriber's handshake and
 * the answer to its SUBSCRIBE, which a busy machine makes long, made long.
 * It can also swallow the first script call that carries @drop_marker and cut
 * that connection: a command lost on its way, as with a master that dies. */
typedef struct {
	GSocketService *service;
	guint16 port;
	guint16 redis_port;
	guint hold_ms;
	const gchar *drop_marker;
} HoldProxy;

typedef struct {
	HoldProxy *proxy;
	GIOStream *from;
	GIOStream *to;
	gboolean upstream;
	guint8 buf[16384];
	GBytes *held;
} HoldPump;

static void hold_pump_read(HoldPump *pump);

static void
hold_pump_free(HoldPump *pump)
{
	g_io_stream_close(pump->from, NULL, NULL);
	g_io_stream_close(pump->to, NULL, NULL);
	g_object_unref(pump->from);
	g_object_unref(pump->to);
	g_clear_pointer(&pump->held, g_bytes_unref);
	g_free(pump);
}

static gboolean
hold_pump_forward(HoldPump *pump, const guint8 *data, gsize len)
{
	return g_output_stream_write_all(
	    g_io_stream_get_output_stream(pump->to), data, len, NULL, NULL, NULL);
}

static gboolean
hold_pump_release_cb(gpointer user_data)
{
	HoldPump *pump = user_data;
	g_autoptr(GBytes) held = g_steal_pointer(&pump->held);
	gsize len;
	const guint8 *data = g_bytes_get_data(held, &len);

	if (!hold_pump_forward(pump, data, len))
		hold_pump_free(pump);
	else
		hold_pump_read(pump);
	return G_SOURCE_REMOVE;
}

static void
hold_pump_read_cb(GObject *source, GAsyncResult *res, gpointer user_data)
{
	HoldPump *pump = user_data;
	gssize n = g_input_stream_read_finish(G_INPUT_STREAM(source), res, NULL);

	if (n <= 0) {
		hold_pump_free(pump);
		return;
	}
	if (pump->upstream && pump->proxy->drop_marker != NULL &&
	    g_strstr_len((const gchar *)pump->buf, n, "EVAL") != NULL &&
	    g_strstr_len((const gchar *)pump->buf, n, pump->proxy->drop_marker) != NULL) {
		pump->proxy->drop_marker = NULL;
		hold_pump_free(pump);
		return;
	}
	if (pump->upstream && pump->proxy->hold_ms > 0 &&
	    g_strstr_len((const gchar *)pump->buf, n, "SUBSCRIBE") != NULL) {
		/* nothing more from this side until the held bytes went on */
		pump->held = g_bytes_new(pump->buf, (gsize)n);
		g_timeout_add(pump->proxy->hold_ms, hold_pump_release_cb, pump);
		return;
	}
	if (!hold_pump_forward(pump, pump->buf, (gsize)n)) {
		hold_pump_free(pump);
		return;
	}
	hold_pump_read(pump);
}

static void
hold_pump_read(HoldPump *pump)
{
	g_input_stream_read_async(g_io_stream_get_input_stream(pump->from),
				  pump->buf,
				  sizeof(pump->buf),
				  G_PRIORITY_DEFAULT,
				  NULL,
				  hold_pump_read_cb,
				  pump);
}

static void
hold_pump_start(HoldProxy *proxy, GIOStream *from, GIOStream *to, gboolean upstream)
{
	HoldPump *pump = g_new0(HoldPump, 1);

	pump->proxy = proxy;
	pump->from = g_object_ref(from);
	pump->to = g_object_ref(to);
	pump->upstream = upstream;
	hold_pump_read(pump);
}

static gboolean
hold_proxy_incoming_cb(GSocketService *service,
		       GSocketConnection *conn,
		       GObject *source,
		       gpointer user_data)
{
	HoldProxy *proxy = user_data;
	g_autoptr(GSocketClient) client = g_socket_client_new();
	g_autoptr(GError) error = NULL;
	g_autoptr(GSocketConnection) redis =
	    g_socket_client_connect_to_host(client, "127.0.0.1", proxy->redis_port, NULL, &error);

	g_assert_no_error(error);
	hold_pump_start(proxy, G_IO_STREAM(conn), G_IO_STREAM(redis), TRUE);
	hold_pump_start(proxy, G_IO_STREAM(redis), G_IO_STREAM(conn), FALSE);
	return TRUE;
}

static HoldProxy *
hold_proxy_new(guint16 redis_port)
{
	HoldProxy *proxy = g_new0(HoldProxy, 1);
	g_autoptr(GError) error = NULL;
	g_autoptr(GInetAddress) lo = g_inet_address_new_loopback(G_SOCKET_FAMILY_IPV4);
	g_autoptr(GSocketAddress) any = g_inet_socket_address_new(lo, 0);
	g_autoptr(GSocketAddress) bound = NULL;

	proxy->redis_port = redis_port;
	proxy->service = g_socket_service_new();
	g_socket_listener_add_address(G_SOCKET_LISTENER(proxy->service),
				      any,
				      G_SOCKET_TYPE_STREAM,
				      G_SOCKET_PROTOCOL_TCP,
				      NULL,
				      &bound,
				      &error);
	g_assert_no_error(error);
	proxy->port = g_inet_socket_address_get_port(G_INET_SOCKET_ADDRESS(bound));
	g_signal_connect(proxy->service, "incoming", G_CALLBACK(hold_proxy_incoming_cb), proxy);
	g_socket_service_start(proxy->service);
	return proxy;
}

static void
hold_proxy_free(HoldProxy *proxy)
{
	g_socket_service_stop(proxy->service);
	g_socket_listener_close(G_SOCKET_LISTENER(proxy->service));
	g_object_unref(proxy->service);
	g_free(proxy);
}
G_DEFINE_AUTOPTR_CLEANUP_FUNC(HoldProxy, hold_proxy_free)

/* A room joined while the node's subscriber has reconnected and its SUBSCRIBE
 * of every channel is not answered yet is not in that SUBSCRIBE: it is
 * subscribed on its own once that is answered, and its join waits for it. */
static void
test_join_while_resubscribing(void)
{
	/* freed in reverse: the node before the proxy it goes through */
	g_autoptr(RcTestRedis) redis = rc_test_redis_new();
	g_autoptr(HoldProxy) proxy = hold_proxy_new(rc_test_redis_get_port(redis));
	g_autofree gchar *url = g_strdup_printf("redis://127.0.0.1:%u", proxy->port);
	g_autoptr(RcTestNode) node =
	    start_node_config(url, "j1", "[redis]\nfanout=per-room\ntimeout=5\n");
	g_autoptr(RcTestWs) a = rc_test_ws_new(node, "sender=a");
	g_autoptr(RcTestWs) b = rc_test_ws_new(node, "sender=b");
	g_autofree gchar *killed = NULL;
	g_auto(GStrv) channels = NULL;
	g_autofree gchar *list = NULL;
	g_autoptr(JsonObject) msg = NULL;

	rc_test_node_wait_redis_connected(node, NOTICE_MS);
	rc_test_ws_join(a, "/", "warm");
	/* the subscriber drops and comes back; its SUBSCRIBE waits a second */
	proxy->hold_ms = 1000;
	killed = rc_test_redis_command(redis, "CLIENT", "KILL", "TYPE", "pubsub", NULL);
	g_assert_cmpstr(killed, ==, "1");
	rc_test_sleep(400);
	rc_test_ws_join(b, "/", "late");
	assert_health(node, 200, "connected", RECOVER_MS);
	channels = rc_test_redis_pubsub_channels(redis, "livechat:*");
	list = g_strjoinv(",", channels);
	g_assert_cmpstr(list, ==, "livechat:{/:late},livechat:{/:warm}");
	msg = publish_and_take(node, b, "late");
	rc_test_ws_expect_silence(a, 200);
	rc_test_ws_close(a);
	rc_test_ws_close(b);
	g_assert_cmpint(rc_test_node_stop(node), ==, 0);
}

/* "lost-R-N": the sequence number N of a message of test_lost_command_order */
static gint
lost_seq(JsonObject *msg)
{
	const gchar *text = rc_test_message_text(msg);
	const gchar *dash = text != NULL ? strrchr(text, '-') : NULL;

	return dash != NULL ? (gint)g_ascii_strtoll(dash + 1, NULL, 10) : -1;
}

/* A send whose script never reached Redis (the connection dropped with it on
 * the way) is sent again once Redis is back; the sender's next messages, which
 * arrive while it waits, must not overtake it and take lower offsets. */
static gboolean
marker_taken(gpointer user_data)
{
	return ((HoldProxy *)user_data)->drop_marker == NULL;
}

/* A send whose script never reached Redis (the connection dropped with it on
 * the way) is sent again once Redis is back; the sender's next messages, which
 * arrive while it waits, must not overtake it and take lower offsets. */
static void
test_lost_command_order(void)
{
	/* the gap of a round: a node that is up again, its lost send not yet sent
	 * again; a round covers it when a message sent this long before the lost
	 * one's ack came back was acked */
	const gint64 window_us = 8000;
	const guint max_rounds = 10;
	g_autoptr(RcTestRedis) redis = rc_test_redis_new();
	g_autoptr(HoldProxy) proxy = hold_proxy_new(rc_test_redis_get_port(redis));
	g_autofree gchar *url = g_strdup_printf("redis://127.0.0.1:%u", proxy->port);
	g_autoptr(RcTestNode) node = start_node_config(url, "o1", "[redis]\ntimeout=5\n");
	g_autoptr(RcTestMember) a = NULL;
	g_autoptr(RcTestMember) b = NULL;
	g_autoptr(GPtrArray) ids = g_ptr_array_new_with_free_func(g_free);
	guint seq = 0, refused = 0, rounds = 0, covered = 0;
	gint64 top;

	rc_test_node_wait_redis_connected(node, NOTICE_MS);
	a = rc_test_member_new(node, "a", "/", "order");
	b = rc_test_member_new(node, "b", "/", "order");
	json_object_unref(rc_test_member_join(a, NULL));
	json_object_unref(rc_test_member_join(b, NULL));
	/* three rounds, and more until one of them covered the gap */
	while (rounds < 3 || (covered == 0 && rounds < max_rounds)) {
		g_autoptr(GPtrArray) refs = g_ptr_array_new_with_free_func(g_free);
		g_autoptr(GArray) sent_us = g_array_new(FALSE, FALSE, sizeof(gint64));
		g_autofree gchar *marker = g_strdup_printf("lost-%u-", rounds);
		g_autoptr(JsonObject) first_reply = NULL;
		gint64 first_acked_us = 0;
		gint64 deadline = g_get_monotonic_time() + rc_test_timeout(10000) * 1000;
		gboolean round_covered = FALSE;

		/* the first of the round is lost; the others come every 4 ms, across the
		 * reconnect, until the lost one is acked and a while after */
		proxy->drop_marker = marker;
		for (guint i = 0; i < 80 || first_reply == NULL; i++) {
			g_autofree gchar *text = g_strdup_printf("lost-%u-%u", rounds, seq++);
			gchar *ref = rc_test_member_new_ref(a, "lo");
			gint64 now = g_get_monotonic_time();

			g_assert_cmpint(now, <, deadline);
			rc_test_member_send(a, ref, text);
			g_ptr_array_add(refs, ref);
			g_array_append_val(sent_us, now);
			rc_test_sleep(4);
			if (first_reply == NULL) {
				first_reply = rc_test_member_try_reply(a, refs->pdata[0], 0);
				if (first_reply != NULL)
					first_acked_us = g_get_monotonic_time();
			}
		}
		g_assert_true(rc_test_wait_until(marker_taken, proxy, NOTICE_MS));
		/* the lost one was sent again, and acked */
		g_assert_cmpstr(rc_test_json_get_string(first_reply, "type"), ==, "ack");
		g_ptr_array_add(ids, g_strdup(rc_test_json_get_string(first_reply, "id")));
		for (guint i = 1; i < refs->len; i++) {
			g_autoptr(JsonObject) reply =
			    rc_test_member_wait_reply(a, refs->pdata[i], 10000);
			const gchar *type = rc_test_json_get_string(reply, "type");
			if (g_strcmp0(type, "ack") == 0) {
				g_ptr_array_add(ids,
						g_strdup(rc_test_json_get_string(reply, "id")));
				if (g_array_index(sent_us, gint64, i) <= first_acked_us - window_us)
					round_covered = TRUE;
			} else {
				/* sent while the node had no connection to Redis */
				g_assert_cmpstr(type, ==, "error");
				g_assert_cmpstr(
				    rc_test_json_get_string(reply, "code"), ==, "unavailable");
				refused++;
			}
		}
		if (round_covered)
			covered++;
		rounds++;
		assert_health(node, 200, "connected", RECOVER_MS);
	}
	g_test_message("%u rounds, %u of them with a send acked in the gap; %u acked, %u "
		       "refused while the node reconnected",
		       rounds,
		       covered,
		       ids->len,
		       refused);
	g_assert_cmpuint(covered, >, 0);
	for (guint i = 0; i < ids->len; i++) {
		for (guint t = 0; t < 100 && !has_id(b, ids->pdata[i]); t++)
			rc_test_sleep(50);
		if (!has_id(b, ids->pdata[i]))
			g_error("b never got acked message %s", (gchar *)ids->pdata[i]);
	}
	rc_test_member_expect_no_more(b, 300);
	top = rc_test_message_offset(b->messages->pdata[b->messages->len - 1]);
	rc_test_member_assert_offsets(b, 1, top);
	g_assert_cmpint(top, ==, ids->len);
	/* offsets in the order a sent them */
	for (guint i = 1; i < b->messages->len; i++) {
		gint prev = lost_seq(b->messages->pdata[i - 1]);
		gint next = lost_seq(b->messages->pdata[i]);
		if (next <= prev)
			g_error("offset %u has a's message %d, offset %u its message %d",
				i,
				prev,
				i + 1,
				next);
	}
	g_assert_cmpint(rc_test_node_stop(node), ==, 0);
}

int
main(int argc, char **argv)
{
	rc_test_lossless_init(&argc, &argv);
	g_test_add_func("/redis-outage/single", test_outage_single);
	g_test_add_func("/redis-outage/per-room", test_outage_per_room);
	g_test_add_func("/redis-outage/start-without-redis", test_start_without_redis);
	g_test_add_func("/redis-outage/stalled", test_stalled);
	g_test_add_func("/redis-outage/read-lost/single", test_read_lost_single);
	g_test_add_func("/redis-outage/read-lost/per-room", test_read_lost_per_room);
	g_test_add_func("/redis-outage/join-while-resubscribing", test_join_while_resubscribing);
	g_test_add_func("/redis-outage/lost-command-order", test_lost_command_order);
	return g_test_run();
}
