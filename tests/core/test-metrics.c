/*
 * Copyright 2026 roomcast developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#define G_LOG_DOMAIN "RcTestMetrics"

#include <string.h>

#include "rc-test-harness.h"

/* /metrics beyond the engine's counters: the delivery latency histogram, the build
 * and process metrics, errors sent, refused upgrades, plugin refusals and Redis
 * reconnects, each moved by its cause on a node of its own; `promtool check
 * metrics` on the whole page; and the rate-limited info lines of refusals. */

static RcTestRedis *redis;

#define BAD_ORIGIN "http://evil.example"

static gchar *
get_metrics(RcTestNode *n)
{
	g_autoptr(RcTestHttpReply) reply = rc_test_http_get(n, "/metrics");
	g_assert_cmpuint(reply->status, ==, 200);
	return g_strdup(reply->body);
}

static gdouble
metric(RcTestNode *n, const gchar *sample)
{
	g_autofree gchar *text = get_metrics(n);
	return rc_test_metrics_value(text, sample);
}

static RcTestNode *
plugin_node_new(const gchar *config)
{
	g_autofree gchar *plugin_dir =
	    g_build_filename(g_getenv("ROOMCAST_BUILD_ROOT"), "plugins", NULL);
	const gchar *path = rc_test_write_config(config);
	return rc_test_node_new(
	    "--port", "0", "--bus", "none", "--plugin-dir", plugin_dir, "--config", path, NULL);
}

/* an upgrade of /ws?@query from @origin that must be refused with @status */
static void
assert_upgrade_refused(RcTestNode *n, const gchar *query, const gchar *origin, guint status)
{
	g_autofree gchar *url = rc_test_node_get_ws_url(n, query);
	g_autoptr(GError) error = NULL;
	guint got = 0;
	RcTestWs *ws = rc_test_ws_try_connect(url, origin, NULL, &got, &error);

	g_assert_null(ws);
	g_assert_cmpuint(got, ==, status);
}

/* GLib writes info and debug lines to stdout, warnings and messages to stderr */
typedef struct {
	RcTestNode *node;
	const gchar *substring;
	const gchar *line;
} StdoutWait;

static gboolean
stdout_has_cb(gpointer user_data)
{
	StdoutWait *w = user_data;
	GPtrArray *lines = rc_test_node_get_stdout_lines(w->node);

	for (guint i = 0; i < lines->len; i++) {
		if (strstr(g_ptr_array_index(lines, i), w->substring) != NULL) {
			w->line = g_ptr_array_index(lines, i);
			return TRUE;
		}
	}
	return FALSE;
}

/* the first stdout line with @substring, waiting up to @timeout_ms; NULL if none */
static const gchar *
wait_stdout(RcTestNode *n, const gchar *substring, guint timeout_ms)
{
	StdoutWait w = {n, substring, NULL};
	if (!rc_test_wait_until(stdout_has_cb, &w, timeout_ms))
		return NULL;
	return w.line;
}

/* ---- promtool ------------------------------------------------------------------ */

/* the whole page, after some of everything, is what Prometheus' own linter wants:
 * exit 0 and not a word of complaint */
static void
test_promtool(void)
{
	g_autofree gchar *promtool = g_find_program_in_path("promtool");
	g_autoptr(RcTestNode) n = rc_test_node_new("--port", "0", "--bus", "none", NULL);
	g_autoptr(RcTestWs) a = rc_test_ws_new(n, NULL);
	g_autoptr(RcTestWs) b = rc_test_ws_new(n, NULL);
	g_autofree gchar *id = NULL;
	g_autofree gchar *text = NULL;
	g_autoptr(GSubprocess) proc = NULL;
	g_autoptr(GError) error = NULL;
	g_autofree gchar *out = NULL;
	g_autofree gchar *err = NULL;

	if (promtool == NULL) {
		g_test_skip("promtool is not installed (Debian package prometheus)");
		return;
	}
	rc_test_ws_join(a, "/", "lint");
	rc_test_ws_join(b, "/", "lint");
	id = rc_test_ws_send_message(a, "/", "lint", "hello");
	rc_test_ws_drop(b, "MSG_TO_CLIENTS", NULL, 3000);
	rc_test_ws_send_text(a, "{");
	rc_test_ws_drop(a, "error", NULL, 3000);
	assert_upgrade_refused(n, NULL, BAD_ORIGIN, 403);
	text = get_metrics(n);

	proc = g_subprocess_new(G_SUBPROCESS_FLAGS_STDIN_PIPE | G_SUBPROCESS_FLAGS_STDOUT_PIPE |
				    G_SUBPROCESS_FLAGS_STDERR_PIPE,
				&error,
				promtool,
				"check",
				"metrics",
				NULL);
	g_assert_no_error(error);
	g_subprocess_communicate_utf8(proc, text, NULL, &out, &err, &error);
	g_assert_no_error(error);
	g_test_message("promtool: stdout “%s” stderr “%s”", out, err);
	g_assert_true(g_subprocess_get_if_exited(proc));
	g_assert_cmpint(g_subprocess_get_exit_status(proc), ==, 0);
	g_assert_cmpstr(out, ==, "");
	g_assert_cmpstr(err, ==, "");
	g_assert_cmpint(rc_test_node_stop(n), ==, 0);
}

/* ---- build and process ------------------------------------------------------------ */

static void
test_build_info(void)
{
	g_autoptr(RcTestNode) n = rc_test_node_new("--port", "0", "--bus", "none", NULL);
	g_autofree gchar *text = get_metrics(n);
	g_autofree gchar *sample =
	    g_strdup_printf("roomcast_build_info{version=\"%s\"}", g_getenv("ROOMCAST_VERSION"));

	g_assert_nonnull(g_getenv("ROOMCAST_VERSION"));
	g_assert_cmpfloat(rc_test_metrics_value(text, sample), ==, 1);
	g_assert_nonnull(strstr(text, "# TYPE roomcast_build_info gauge\n"));
	/* one version only */
	g_assert_null(strstr(strstr(text, "roomcast_build_info{") + 1, "roomcast_build_info{"));
	g_assert_cmpint(rc_test_node_stop(n), ==, 0);
}

static void
test_process(void)
{
	g_autoptr(RcTestNode) n = rc_test_node_new("--port", "0", "--bus", "none", NULL);
	g_autoptr(RcTestWs) a = rc_test_ws_new(n, NULL);
	g_autoptr(RcTestWs) b = rc_test_ws_new(n, NULL);
	g_autofree gchar *text = get_metrics(n);
	gdouble now = (gdouble)g_get_real_time() / G_USEC_PER_SEC;
	gdouble fds = rc_test_metrics_value(text, "process_open_fds");
	gdouble rss = rc_test_metrics_value(text, "process_resident_memory_bytes");
	gint counted = rc_test_node_count_fds(n);

	g_test_message("fds %g (counted %d), rss %g", fds, counted, rss);
	g_assert_cmpfloat(fds, >, 0);
	/* the two clients and the listener at least; what /proc says from outside, give
	 * or take the one of the HTTP request in flight */
	g_assert_cmpfloat(fds, >=, 3);
	g_assert_cmpfloat(ABS(fds - counted), <=, 2);
	g_assert_cmpfloat(rc_test_metrics_value(text, "process_max_fds"), >, fds);
	g_assert_cmpfloat(rss, >, 1024 * 1024);
	g_assert_cmpfloat(ABS(rss / 1024 - (gdouble)rc_test_node_get_rss_kb(n)), <, 16 * 1024);
	g_assert_cmpfloat(rc_test_metrics_value(text, "process_virtual_memory_bytes"), >=, rss);
	g_assert_cmpfloat(rc_test_metrics_value(text, "process_cpu_seconds_total"), >=, 0);
	/* started within the last minute (the node is seconds old) */
	g_assert_cmpfloat(rc_test_metrics_value(text, "process_start_time_seconds"), <=, now + 2);
	g_assert_cmpfloat(rc_test_metrics_value(text, "process_start_time_seconds"), >, now - 60);
	g_assert_cmpint(rc_test_node_stop(n), ==, 0);
}

/* ---- errors sent to clients ------------------------------------------------------- */

static void
test_errors(void)
{
	g_autoptr(RcTestNode) n = rc_test_node_new("--port", "0", "--bus", "none", NULL);
	g_autoptr(RcTestWs) ws = rc_test_ws_new(n, NULL);
	g_autofree gchar *m0 = get_metrics(n);
	g_autofree gchar *m1 = NULL;
	g_autofree gchar *m2 = NULL;
	const gchar *codes[] = {"bad_request",
				"forbidden",
				"not_joined",
				"rate_limited",
				"rejected",
				"too_large",
				"too_many_rooms",
				"unavailable"};

	/* every code is there from the start, at 0 */
	for (guint i = 0; i < G_N_ELEMENTS(codes); i++) {
		g_autofree gchar *s =
		    g_strdup_printf("roomcast_errors_total{code=\"%s\"}", codes[i]);
		g_assert_cmpfloat(rc_test_metrics_value(m0, s), ==, 0);
	}

	rc_test_ws_send_text(ws, "{not json");
	json_object_unref(rc_test_ws_expect_error(ws, "bad_request", NULL, 3000));
	m1 = get_metrics(n);
	g_assert_cmpfloat(
	    rc_test_metrics_value(m1, "roomcast_errors_total{code=\"bad_request\"}"), ==, 1);
	for (guint i = 1; i < G_N_ELEMENTS(codes); i++) {
		g_autofree gchar *s =
		    g_strdup_printf("roomcast_errors_total{code=\"%s\"}", codes[i]);
		g_assert_cmpfloat(rc_test_metrics_value(m1, s), ==, 0);
	}

	/* another code, and the first again */
	rc_test_ws_send_text(
	    ws, "{\"type\":\"leave\",\"namespace\":\"/\",\"roomCode\":\"nowhere\",\"ref\":\"l1\"}");
	json_object_unref(rc_test_ws_expect_error(ws, "not_joined", "l1", 3000));
	rc_test_ws_send_text(ws, "[]");
	json_object_unref(rc_test_ws_expect_error(ws, "bad_request", NULL, 3000));
	rc_test_ws_ping(ws);
	m2 = get_metrics(n);
	g_assert_cmpfloat(
	    rc_test_metrics_value(m2, "roomcast_errors_total{code=\"bad_request\"}"), ==, 2);
	g_assert_cmpfloat(
	    rc_test_metrics_value(m2, "roomcast_errors_total{code=\"not_joined\"}"), ==, 1);
	g_assert_cmpint(rc_test_node_stop(n), ==, 0);
}

/* ---- refused upgrades and plugin refusals ----------------------------------------- */

static void
test_upgrades_refused(void)
{
	g_autoptr(RcTestNode) n = rc_test_node_new("--port", "0", "--bus", "none", NULL);
	g_autofree gchar *m0 = get_metrics(n);
	g_autofree gchar *m1 = NULL;
	g_autoptr(RcTestHttpReply) plain = NULL;
	g_autoptr(RcTestWs) ws = NULL;

	g_assert_cmpfloat(
	    rc_test_metrics_value(m0, "roomcast_upgrades_refused_total{status=\"400\"}"), ==, 0);
	g_assert_cmpfloat(
	    rc_test_metrics_value(m0, "roomcast_upgrades_refused_total{status=\"401\"}"), ==, 0);
	g_assert_cmpfloat(
	    rc_test_metrics_value(m0, "roomcast_upgrades_refused_total{status=\"403\"}"), ==, 0);
	assert_upgrade_refused(n, NULL, BAD_ORIGIN, 403);
	assert_upgrade_refused(n, NULL, BAD_ORIGIN, 403);
	/* a sender with a control character */
	assert_upgrade_refused(n, "sender=a%01b", NULL, 400);
	/* a plain GET of /ws is no upgrade, and an own-origin upgrade is taken */
	plain = rc_test_http_get(n, "/ws");
	g_assert_cmpuint(plain->status, ==, 400);
	ws = rc_test_ws_new(n, NULL);
	rc_test_ws_ping(ws);

	m1 = get_metrics(n);
	g_assert_cmpfloat(
	    rc_test_metrics_value(m1, "roomcast_upgrades_refused_total{status=\"403\"}"), ==, 2);
	g_assert_cmpfloat(
	    rc_test_metrics_value(m1, "roomcast_upgrades_refused_total{status=\"400\"}"), ==, 1);
	g_assert_cmpfloat(
	    rc_test_metrics_value(m1, "roomcast_upgrades_refused_total{status=\"401\"}"), ==, 0);
	g_assert_cmpint(rc_test_node_stop(n), ==, 0);
}

static void
test_auth_refused(void)
{
	const gchar *tokens = rc_test_write_temp_file("tokens-XXXXXX", "t-bob bob\n");
	g_autofree gchar *config = g_strdup_printf(
	    "[plugins]\nenabled=auth-token\n[plugin:auth-token]\ntokens=%s\n", tokens);
	g_autoptr(RcTestNode) n = NULL;
	g_autofree gchar *m1 = NULL;
	g_autoptr(RcTestWs) bob = NULL;
	const gchar *line;

	rc_test_node_set_next_env("G_MESSAGES_DEBUG", "RcPluginHost RcServer");
	n = plugin_node_new(config);
	assert_upgrade_refused(n, "token=wrong", NULL, 401);
	assert_upgrade_refused(n, NULL, NULL, 401);
	bob = rc_test_ws_new(n, "token=t-bob");
	g_assert_cmpstr(rc_test_ws_get_sender(bob), ==, "bob");

	m1 = get_metrics(n);
	g_assert_cmpfloat(
	    rc_test_metrics_value(m1, "roomcast_upgrades_refused_total{status=\"401\"}"), ==, 2);
	g_assert_cmpfloat(
	    rc_test_metrics_value(
		m1, "roomcast_plugin_rejections_total{kind=\"auth\",plugin=\"auth-token\"}"),
	    ==,
	    2);
	/* both said so at info level, with the peer */
	line = wait_stdout(n, "INFO", 3000);
	g_assert_nonnull(line);
	line = wait_stdout(n, "plugin auth-token refused client 127.0.0.1:", 3000);
	g_assert_nonnull(line);
	g_assert_true(strstr(line, "-INFO") != NULL);
	line = wait_stdout(n, "refused a WebSocket upgrade to /ws from 127.0.0.1:", 3000);
	g_assert_nonnull(line);
	g_assert_nonnull(strstr(line, ": 401 "));
	g_assert_cmpint(rc_test_node_stop(n), ==, 0);
}

static void
test_filter_refused(void)
{
	const gchar *words = rc_test_write_temp_file("words-XXXXXX", "darn\n");
	g_autofree gchar *config = g_strdup_printf("[plugins]\nenabled=filter-profanity\n[plugin:"
						   "filter-profanity]\nwords=%s\naction=reject\n",
						   words);
	g_autoptr(RcTestNode) n = NULL;
	g_autoptr(RcTestWs) ws = NULL;
	g_autofree gchar *m1 = NULL;
	g_autofree gchar *id = NULL;
	g_autofree gchar *room_field = NULL;
	const gchar *line;

	rc_test_node_set_next_env("G_MESSAGES_DEBUG", "RcPluginHost");
	n = plugin_node_new(config);
	ws = rc_test_ws_new(n, NULL);
	rc_test_ws_join(ws, "/", "clean");
	rc_test_ws_send_text(ws,
			     "{\"type\":\"send\",\"namespace\":\"/"
			     "\",\"roomCode\":\"clean\",\"text\":\"well darn\",\"ref\":\"f1\"}");
	json_object_unref(rc_test_ws_take(ws, "error", "f1", 3000));
	/* and a clean one goes through */
	id = rc_test_ws_send_message(ws, "/", "clean", "well done");

	m1 = get_metrics(n);
	g_assert_cmpfloat(
	    rc_test_metrics_value(
		m1,
		"roomcast_plugin_rejections_total{kind=\"filter\",plugin=\"filter-profanity\"}"),
	    ==,
	    1);
	g_assert_cmpfloat(
	    rc_test_metrics_value(m1, "roomcast_errors_total{code=\"rejected\"}"), ==, 1);
	line = wait_stdout(n, "plugin filter-profanity refused a message from ", 3000);
	g_assert_nonnull(line);
	room_field = g_strdup_printf("%s to //clean: ", rc_test_ws_get_client_id(ws));
	g_assert_nonnull(strstr(line, room_field));
	g_assert_nonnull(strstr(line, "-INFO"));
	g_assert_cmpint(rc_test_node_stop(n), ==, 0);
}

/* ---- the delivery latency ------------------------------------------------------- */

/* buckets in order, each at least the one before, +Inf the count */
static void
assert_histogram(const gchar *text, gdouble *count, gdouble *sum)
{
	const gchar *bounds[] = {"0.0005",
				 "0.001",
				 "0.0025",
				 "0.005",
				 "0.01",
				 "0.025",
				 "0.05",
				 "0.1",
				 "0.25",
				 "0.5",
				 "1",
				 "2.5",
				 "+Inf"};
	gdouble last = 0;

	g_assert_nonnull(strstr(text, "# TYPE roomcast_delivery_latency_seconds histogram\n"));
	for (guint i = 0; i < G_N_ELEMENTS(bounds); i++) {
		g_autofree gchar *s = g_strdup_printf(
		    "roomcast_delivery_latency_seconds_bucket{le=\"%s\"}", bounds[i]);
		gdouble v = rc_test_metrics_value(text, s);
		g_assert_cmpfloat(v, >=, last);
		last = v;
	}
	*count = rc_test_metrics_value(text, "roomcast_delivery_latency_seconds_count");
	*sum = rc_test_metrics_value(text, "roomcast_delivery_latency_seconds_sum");
	g_assert_cmpfloat(last, ==, *count);
	g_assert_cmpfloat(*sum, >=, 0);
}

static void
test_delivery_latency(void)
{
	g_autoptr(RcTestNode) n = rc_test_node_new(
	    "--port", "0", "--bus", "none", "--redis", rc_test_redis_get_url(redis), NULL);
	RcTestWs *members[3];
	g_autofree gchar *m0 = NULL;
	g_autofree gchar *m1 = NULL;
	gdouble count0, sum0, count1, sum1, delivered0, delivered1;
	const guint n_messages = 20;

	rc_test_node_wait_redis_connected(n, 10000);
	for (guint i = 0; i < G_N_ELEMENTS(members); i++) {
		members[i] = rc_test_ws_new(n, NULL);
		rc_test_ws_join(members[i], "/", "lat");
	}
	m0 = get_metrics(n);
	assert_histogram(m0, &count0, &sum0);
	delivered0 = rc_test_metrics_value(m0, "roomcast_messages_delivered_total");

	for (guint k = 0; k < n_messages; k++) {
		g_autofree gchar *text = g_strdup_printf("m%u", k);
		g_autofree gchar *id = rc_test_ws_send_message(members[k % 3], "/", "lat", text);
		for (guint i = 0; i < G_N_ELEMENTS(members); i++)
			rc_test_ws_drop(members[i], "MSG_TO_CLIENTS", NULL, 3000);
	}
	/* one HTTP publish too: the same path from the bus on */
	{
		const gchar *body = "{\"namespace\":\"/\",\"roomCode\":\"lat\","
				    "\"msg\":{\"sender\":\"bot\",\"text\":\"http\"}}";
		g_autoptr(RcTestHttpReply) reply =
		    rc_test_http_post(n, "/publish", NULL, body, strlen(body), NULL);
		g_assert_cmpuint(reply->status, ==, 200);
		for (guint i = 0; i < G_N_ELEMENTS(members); i++)
			rc_test_ws_drop(members[i], "MSG_TO_CLIENTS", NULL, 3000);
	}
	m1 = get_metrics(n);
	assert_histogram(m1, &count1, &sum1);
	delivered1 = rc_test_metrics_value(m1, "roomcast_messages_delivered_total");
	g_test_message("deliveries %g, observed %g, mean %g ms",
		       delivered1 - delivered0,
		       count1 - count0,
		       (sum1 - sum0) * 1000 / MAX(count1 - count0, 1));
	/* every live delivery observed once, when its frame was written */
	g_assert_cmpfloat(delivered1 - delivered0, ==, (n_messages + 1) * G_N_ELEMENTS(members));
	g_assert_cmpfloat(count1 - count0, ==, delivered1 - delivered0);
	g_assert_cmpfloat(sum1, >, sum0);
	/* on loopback, well under a second each */
	g_assert_cmpfloat((sum1 - sum0) / (count1 - count0), <, 1.0);
	for (guint i = 0; i < G_N_ELEMENTS(members); i++)
		rc_test_ws_free(members[i]);
	g_assert_cmpint(rc_test_node_stop(n), ==, 0);
}

/* a member that does not read: its frames wait in the node's queue, and are measured
 * when they are written, not when they were queued */
static void
test_delivery_latency_queued(void)
{
	const gchar *config = rc_test_write_config("[limits]\nmax_queue_bytes=16777216\n");
	g_autoptr(RcTestNode) n =
	    rc_test_node_new("--port", "0", "--bus", "none", "--config", config, NULL);
	g_autoptr(RcTestWs) flood = rc_test_ws_new(n, NULL);
	g_autoptr(RcTestRawWs) slow = NULL;
	g_autoptr(JsonObject) hello = NULL;
	g_autoptr(JsonObject) joined = NULL;
	g_autofree gchar *filler = g_strnfill(4000, 'x');
	g_autofree gchar *m0 = NULL;
	g_autofree gchar *m1 = NULL;
	g_autofree gchar *m2 = NULL;
	const gchar *join = "{\"type\":\"join\",\"namespace\":\"/\",\"roomCode\":\"q\"}";
	guint n_sent = 0;
	gdouble count0, sum0, count1 = 0, sum1 = 0, count2, sum2, slow_ones;
	guint n_read = 0;

	rc_test_ws_join(flood, "/", "q");
	slow = rc_test_raw_ws_new(n, NULL, 4096);
	hello = rc_test_raw_ws_read_json(slow, 3000);
	g_assert_nonnull(hello);
	rc_test_raw_ws_send_frame(slow, 0x1, join, strlen(join));
	joined = rc_test_raw_ws_read_json(slow, 3000);
	g_assert_cmpstr(rc_test_json_get_string(joined, "type"), ==, "joined");
	m0 = get_metrics(n);
	assert_histogram(m0, &count0, &sum0);

	/* batches until the kernel holds no more for a client with a 4 kB window and
	 * frames wait in the node */
	for (guint batch = 0; batch < 100; batch++) {
		for (guint i = 0; i < 50; i++, n_sent++)
			rc_test_ws_send_printf(
			    flood,
			    "{\"type\":\"send\",\"namespace\":\"/\",\"roomCode\":\"q\","
			    "\"text\":\"%s\",\"ref\":\"q%u\"}",
			    filler,
			    n_sent);
		for (guint i = 0; i < 50; i++)
			rc_test_ws_drop(flood, "MSG_TO_CLIENTS", NULL, 5000);
		g_clear_pointer(&m1, g_free);
		m1 = get_metrics(n);
		assert_histogram(m1, &count1, &sum1);
		/* the reading member's are in; are some of the other's still waiting? */
		g_assert_cmpfloat(count1 - count0, >=, n_sent);
		if (count1 - count0 <= 2 * n_sent - 20)
			break;
	}
	g_test_message(
	    "%u messages sent, %g of %u deliveries written", n_sent, count1 - count0, 2 * n_sent);
	g_assert_cmpfloat(count1 - count0, <=, 2 * n_sent - 20);

	rc_test_sleep(600);
	while (n_read < n_sent) {
		g_autoptr(JsonObject) msg = rc_test_raw_ws_read_json(slow, 5000);
		g_assert_nonnull(msg);
		if (g_strcmp0(rc_test_json_get_string(msg, "type"), "MSG_TO_CLIENTS") == 0)
			n_read++;
	}
	/* the last frame was read, so it was written: every one is in now */
	m2 = get_metrics(n);
	assert_histogram(m2, &count2, &sum2);
	g_assert_cmpfloat(count2 - count0, ==, 2 * n_sent);
	slow_ones =
	    rc_test_metrics_value(m2, "roomcast_delivery_latency_seconds_bucket{le=\"+Inf\"}") -
	    rc_test_metrics_value(m2, "roomcast_delivery_latency_seconds_bucket{le=\"0.25\"}");
	g_test_message("%g deliveries took over 0.25 s", slow_ones);
	/* those that waited through the 600 ms sleep */
	g_assert_cmpfloat(slow_ones, >=, 20);
	g_assert_cmpfloat(sum2 - sum1, >=, 20 * 0.25);
	g_assert_cmpint(rc_test_node_stop(n), ==, 0);
}

/* socket.io on a WebSocket shares the /ws path: the same histogram, the same error
 * counter; a refused Engine.IO upgrade is counted too */
static gchar *
sio_next(RcTestWs *ws)
{
	g_autoptr(JsonObject) frame = rc_test_ws_try_next(ws, rc_test_timeout(3000));
	g_assert_nonnull(frame);
	g_assert_cmpstr(rc_test_json_get_string(frame, "type"), ==, "<unparsable>");
	return g_strdup(rc_test_json_get_string(frame, "raw"));
}

static void
test_socketio(void)
{
	g_autoptr(RcTestNode) n = rc_test_node_new("--port", "0", "--bus", "none", NULL);
	g_autofree gchar *url = g_strdup_printf(
	    "ws://127.0.0.1:%u/socket.io/?EIO=4&transport=websocket", rc_test_node_get_port(n));
	g_autofree gchar *bad_url = g_strdup_printf("%s&sid=nope", url);
	g_autoptr(GError) error = NULL;
	guint status = 0;
	g_autoptr(RcTestWs) ws = rc_test_ws_try_connect(url, NULL, NULL, &status, &error);
	g_autoptr(RcTestWs) refused = NULL;
	g_autofree gchar *open = NULL;
	g_autofree gchar *connected = NULL;
	g_autofree gchar *joined = NULL;
	g_autofree gchar *msg = NULL;
	g_autofree gchar *refusal = NULL;
	g_autofree gchar *m0 = NULL;
	g_autofree gchar *m1 = NULL;
	g_autoptr(RcTestHttpReply) reply = NULL;
	const gchar *body = "{\"namespace\":\"/chat\",\"roomCode\":\"r\","
			    "\"msg\":{\"sender\":\"bot\",\"text\":\"to sio\"}}";
	gdouble count0, sum0, count1, sum1;

	g_assert_no_error(error);
	g_assert_nonnull(ws);
	open = sio_next(ws);
	g_assert_true(g_str_has_prefix(open, "0{\"sid\":\""));
	rc_test_ws_send_text(ws, "40/chat,{\"sender\":\"wes\"}");
	connected = sio_next(ws);
	g_assert_true(g_str_has_prefix(connected, "40/chat,"));
	rc_test_ws_send_text(ws, "42/chat,7[\"join\",\"r\"]");
	joined = sio_next(ws);
	g_assert_true(g_str_has_prefix(joined, "43/chat,7[{\"joined\":true"));
	m0 = get_metrics(n);
	assert_histogram(m0, &count0, &sum0);

	reply = rc_test_http_post(n, "/publish", NULL, body, strlen(body), NULL);
	g_assert_cmpuint(reply->status, ==, 200);
	msg = sio_next(ws);
	g_assert_true(g_str_has_prefix(msg, "42/chat,[\"MSG_TO_CLIENTS\""));
	/* a join of a bad room code, with an ack: refused as bad_request */
	rc_test_ws_send_text(ws, "42/chat,8[\"join\",\"\"]");
	refusal = sio_next(ws);
	g_assert_true(g_str_has_prefix(refusal, "43/chat,8[{\"error\":\"bad_request\""));
	refused = rc_test_ws_try_connect(bad_url, NULL, NULL, &status, &error);
	g_assert_null(refused);
	g_assert_cmpuint(status, ==, 400);

	m1 = get_metrics(n);
	assert_histogram(m1, &count1, &sum1);
	g_assert_cmpfloat(count1 - count0, ==, 1);
	g_assert_cmpfloat(rc_test_metrics_value(m1, "roomcast_messages_delivered_total"), ==, 1);
	g_assert_cmpfloat(
	    rc_test_metrics_value(m1, "roomcast_errors_total{code=\"bad_request\"}"), ==, 1);
	g_assert_cmpfloat(
	    rc_test_metrics_value(m1, "roomcast_upgrades_refused_total{status=\"400\"}"), ==, 1);
	g_assert_cmpint(rc_test_node_stop(n), ==, 0);
}

/* ---- Redis reconnects ----------------------------------------------------------- */

static gboolean
redis_down_cb(gpointer user_data)
{
	return metric(user_data, "roomcast_redis_up") == 0;
}

static void
test_redis_reconnects(void)
{
	g_autoptr(RcTestNode) n = rc_test_node_new(
	    "--port", "0", "--bus", "none", "--redis", rc_test_redis_get_url(redis), NULL);

	rc_test_node_wait_redis_connected(n, 10000);
	/* the first connection is no reconnect */
	g_assert_cmpfloat(metric(n, "roomcast_redis_reconnects_total"), ==, 0);

	for (guint round = 1; round <= 2; round++) {
		rc_test_redis_stop(redis);
		g_assert_true(rc_test_wait_until(redis_down_cb, n, 10000));
		g_assert_cmpfloat(metric(n, "roomcast_redis_reconnects_total"), ==, round - 1);
		rc_test_redis_start(redis);
		rc_test_node_wait_redis_connected(n, 15000);
		/* once per outage, whatever number of connections the node has */
		g_assert_cmpfloat(metric(n, "roomcast_redis_reconnects_total"), ==, round);
	}
	g_assert_cmpint(rc_test_node_stop(n), ==, 0);
}

/* ---- logs ------------------------------------------------------------------------- */

static guint
count_lines(RcTestNode *n, const gchar *substring)
{
	GPtrArray *lines = rc_test_node_get_stdout_lines(n);
	guint count = 0;

	for (guint i = 0; i < lines->len; i++) {
		if (strstr(g_ptr_array_index(lines, i), substring) != NULL)
			count++;
	}
	return count;
}

static gboolean
eleven_logged_cb(gpointer user_data)
{
	return count_lines(user_data, "refused a WebSocket upgrade to /ws from 127.0.0.1:") == 11;
}

/* a flood of refused upgrades: 10 lines, then one that says how many more there were,
 * when the 10 s window ends; every one counted on /metrics */
static void
test_log_rate_limit(void)
{
	g_autoptr(RcTestNode) n = NULL;
	const guint n_refused = 40;
	const gchar *line;

	rc_test_node_set_next_env("G_MESSAGES_DEBUG", "RcServer");
	n = rc_test_node_new("--port", "0", "--bus", "none", NULL);
	for (guint i = 0; i < n_refused; i++)
		assert_upgrade_refused(n, NULL, BAD_ORIGIN, 403);
	g_assert_cmpfloat(
	    metric(n, "roomcast_upgrades_refused_total{status=\"403\"}"), ==, n_refused);
	line = wait_stdout(n, "refused WebSocket upgrades in the last 10 s", 15000);
	g_assert_nonnull(line);
	g_test_message("%s", line);
	g_assert_nonnull(
	    strstr(line, "30 more refused WebSocket upgrades in the last 10 s not logged"));
	g_assert_nonnull(strstr(line, "-INFO"));
	g_assert_cmpuint(
	    count_lines(n, "refused a WebSocket upgrade to /ws from 127.0.0.1:"), ==, 10);
	g_assert_cmpuint(count_lines(n, "not logged"), ==, 1);

	/* a new window: logged again */
	assert_upgrade_refused(n, NULL, BAD_ORIGIN, 403);
	g_assert_true(rc_test_wait_until(eleven_logged_cb, n, 3000));
	g_assert_cmpint(rc_test_node_stop(n), ==, 0);
}

int
main(int argc, char **argv)
{
	int ret;

	rc_test_init(&argc, &argv);
	redis = rc_test_redis_new();

	g_test_add_func("/metrics/promtool", test_promtool);
	g_test_add_func("/metrics/build-info", test_build_info);
	g_test_add_func("/metrics/process", test_process);
	g_test_add_func("/metrics/errors", test_errors);
	g_test_add_func("/metrics/upgrades-refused", test_upgrades_refused);
	g_test_add_func("/metrics/auth-refused", test_auth_refused);
	g_test_add_func("/metrics/filter-refused", test_filter_refused);
	g_test_add_func("/metrics/delivery-latency", test_delivery_latency);
	g_test_add_func("/metrics/delivery-latency-queued", test_delivery_latency_queued);
	g_test_add_func("/metrics/socketio", test_socketio);
	g_test_add_func("/metrics/redis-reconnects", test_redis_reconnects);
	g_test_add_func("/logs/rate-limit", test_log_rate_limit);
	ret = g_test_run();
	rc_test_redis_free(redis);
	return ret;
}
