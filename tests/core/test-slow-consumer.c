/*
 * Copyright 2026 roomcast developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#define G_LOG_DOMAIN "RcTestSlowConsumer"

#include <string.h>

#include "rc-test-harness.h"

/*
 * Issue 2 part 7: a client that stops reading while its room carries traffic.
 * The node must not buffer for it without bound: it closes it (1013) once more
 * than [limits] max_queue_bytes wait for it, and the other members keep
 * receiving everything, in order, meanwhile.
 */

#define QUEUE_LIMIT 262144 /* the Redis variant runs with the default, 1 MiB */
#define BATCH 50
#define MAX_BATCHES 150
#define TEXT_BYTES 4000

static gdouble
metric(RcTestNode *node, const gchar *name)
{
	g_autoptr(RcTestHttpReply) reply = rc_test_http_get(node, "/metrics");

	g_assert_cmpuint(reply->status, ==, 200);
	return rc_test_metrics_value(reply->body, name);
}

/*
 * The node has given up on the slow client: it is no longer counted, or
 * (while libsoup still waits for the close handshake the client will never
 * read) the node's own roomcast_slow_consumers_total says so.
 */
static gboolean
slow_client_dropped(RcTestNode *node)
{
	g_autoptr(RcTestHttpReply) reply = rc_test_http_get(node, "/metrics");
	gdouble slow = 0;

	g_assert_cmpuint(reply->status, ==, 200);
	if (rc_test_metrics_value(reply->body, "roomcast_connections") == 2)
		return TRUE;
	return rc_test_metrics_try_value(reply->body, "roomcast_slow_consumers_total", &slow) &&
	       slow >= 1;
}

static gboolean
connections_back_to_2(gpointer user_data)
{
	return metric(user_data, "roomcast_connections") == 2;
}

/* @queue_limit 0: the default max_queue_bytes (1 MiB) */
static void
run_slow_consumer(const gchar *redis_url, guint queue_limit)
{
	g_autofree gchar *contents =
	    queue_limit > 0 ? g_strdup_printf("[limits]\nmax_queue_bytes=%u\n", queue_limit)
			    : g_strdup("# default limits\n");
	const gchar *config = rc_test_write_config(contents);
	g_autoptr(RcTestNode) node = NULL;
	g_autoptr(RcTestWs) fast = NULL;
	g_autoptr(RcTestWs) flood = NULL;
	g_autoptr(RcTestRawWs) slow = NULL;
	g_autoptr(JsonObject) hello = NULL;
	g_autoptr(JsonObject) joined = NULL;
	g_autofree gchar *filler = g_strnfill(TEXT_BYTES - 6, 'x');
	const gchar *join = "{\"type\":\"join\",\"namespace\":\"/\",\"roomCode\":\"slow\"}";
	guint64 rss_start;
	guint64 rss_max = 0;
	/* ASan keeps freed memory in quarantine (256 MiB by default): only a loose bound there */
	/* sanitizers and valgrind keep shadow memory: only a loose bound means anything */
	guint64 rss_limit_kb = g_getenv("RC_TEST_SANITIZED") != NULL ||
				       g_getenv("RC_TEST_DAEMON_WRAPPER") != NULL
				   ? 512 * 1024
				   : 16 * 1024;
	gboolean dropped = FALSE;
	guint after_drop = 0;
	gboolean saw_close = FALSE;
	gboolean saw_eof = FALSE;
	guint seq = 0;
	guint batches = 0;

	if (redis_url != NULL) {
		node = rc_test_node_new(
		    "--port", "0", "--bus", "none", "--config", config, "--redis", redis_url, NULL);
		rc_test_node_wait_redis_connected(node, 5000);
	} else {
		node = rc_test_node_new("--port", "0", "--bus", "none", "--config", config, NULL);
	}
	fast = rc_test_ws_new(node, "sender=fast");
	flood = rc_test_ws_new(node, "sender=flood");
	rc_test_ws_join(fast, "/", "slow");
	rc_test_ws_join(flood, "/", "slow");

	/* a tiny receive window, so the kernel cannot hide megabytes for it */
	slow = rc_test_raw_ws_new(node, "sender=slow", 4096);
	hello = rc_test_raw_ws_read_json(slow, 3000);
	g_assert_nonnull(hello);
	g_assert_cmpstr(rc_test_json_get_string(hello, "type"), ==, "hello");
	rc_test_raw_ws_send_frame(slow, 0x1, join, strlen(join));
	joined = rc_test_raw_ws_read_json(slow, 3000);
	g_assert_nonnull(joined);
	g_assert_cmpstr(rc_test_json_get_string(joined, "type"), ==, "joined");
	/* from here on, the slow client never reads */
	g_assert_cmpfloat(metric(node, "roomcast_connections"), ==, 3);
	rss_start = rc_test_node_get_rss_kb(node);
	g_assert_cmpuint(rss_start, >, 0);

	/* keep the room busy a while after the drop: nothing may pile up for the
	 * dead client either */
	for (batches = 0; batches < MAX_BATCHES && after_drop < 10; batches++) {
		guint first = seq;

		for (guint i = 0; i < BATCH; i++, seq++)
			rc_test_ws_send_printf(
			    flood,
			    "{\"type\":\"send\",\"namespace\":\"/\","
			    "\"roomCode\":\"slow\",\"text\":\"%06u%s\",\"ref\":\"f%u\"}",
			    seq,
			    filler,
			    seq);
		/* the others get every message, in order, without waiting for the slow one */
		for (guint i = first; i < seq; i++) {
			g_autofree gchar *ref = g_strdup_printf("f%u", i);
			g_autofree gchar *prefix = g_strdup_printf("%06u", i);
			rc_test_ws_drop(flood, "ack", ref, 5000);
			rc_test_ws_drop(flood, "MSG_TO_CLIENTS", NULL, 5000);
			g_autoptr(JsonObject) msg =
			    rc_test_ws_take(fast, "MSG_TO_CLIENTS", NULL, 5000);
			const gchar *text = rc_test_json_get_string(
			    json_object_get_object_member(msg, "msg"), "text");

			g_assert_true(g_str_has_prefix(text, prefix));
			g_assert_cmpuint(strlen(text), ==, TEXT_BYTES);
		}
		rss_max = MAX(rss_max, rc_test_node_get_rss_kb(node));
		if (dropped)
			after_drop++;
		else
			dropped = slow_client_dropped(node);
	}
	g_test_message("%u messages (%u KiB) sent; slow client dropped: %s; RSS %" G_GUINT64_FORMAT
		       " KiB → max %" G_GUINT64_FORMAT " KiB",
		       seq,
		       seq * TEXT_BYTES / 1024,
		       dropped ? "yes" : "no",
		       rss_start,
		       rss_max);
	g_assert_true(dropped);
	/* bounded: far below what was sent through the room */
	g_assert_cmpuint(rss_max, <, rss_start + rss_limit_kb);
	g_assert_false(rc_test_ws_is_closed(fast));
	g_assert_false(rc_test_ws_is_closed(flood));

	/* now read what reached the slow client's socket: it ends in a close */
	for (;;) {
		g_autoptr(GBytes) payload = NULL;
		guint8 opcode = 0;
		gboolean closed_by_peer = FALSE;

		if (!rc_test_raw_ws_read_frame(slow, 10000, &opcode, &payload, &closed_by_peer)) {
			saw_eof = closed_by_peer;
			break;
		}
		/* RC_TEST_DEBUG_FRAMES=1 lists what the slow client finally reads */
		if (g_getenv("RC_TEST_DEBUG_FRAMES") != NULL) {
			g_test_message("frame opcode %u size %" G_GSIZE_FORMAT,
				       opcode,
				       g_bytes_get_size(payload));
		}
		if (opcode == 0x8) {
			const guint8 *d = g_bytes_get_data(payload, NULL);
			g_assert_cmpuint(g_bytes_get_size(payload), >=, 2);
			g_test_message("close frame: code %u, reason “%.*s”",
				       (d[0] << 8) | d[1],
				       (gint)g_bytes_get_size(payload) - 2,
				       d + 2);
			g_assert_cmpuint((d[0] << 8) | d[1], ==, 1013);
			saw_close = TRUE;
			break;
		}
	}
	g_test_message("slow client saw %s",
		       saw_close ? "a 1013 close frame"
		       : saw_eof ? "EOF/RST"
				 : "nothing");
	g_assert_true(saw_close || saw_eof);
	/* and it is gone from the node's books */
	g_assert_true(rc_test_wait_until(connections_back_to_2, node, 10000));

	/* the room goes on */
	{
		g_autofree gchar *id = rc_test_ws_send_message(flood, "/", "slow", "after");
		g_autoptr(JsonObject) msg = rc_test_ws_take(fast, "MSG_TO_CLIENTS", NULL, 3000);
		g_assert_cmpstr(rc_test_json_get_string(msg, "id"), ==, id);
	}
	rc_test_ws_close(fast);
	rc_test_ws_close(flood);
	g_assert_cmpint(rc_test_node_stop(node), ==, 0);
}

static void
test_slow_consumer_embedded(void)
{
	run_slow_consumer(NULL, QUEUE_LIMIT);
}

static void
test_slow_consumer_redis(void)
{
	g_autoptr(RcTestRedis) redis = rc_test_redis_new();

	run_slow_consumer(rc_test_redis_get_url(redis), 0);
}

int
main(int argc, char **argv)
{
	rc_test_init(&argc, &argv);
	g_test_add_func("/slow-consumer/embedded", test_slow_consumer_embedded);
	g_test_add_func("/slow-consumer/redis", test_slow_consumer_redis);
	return g_test_run();
}
