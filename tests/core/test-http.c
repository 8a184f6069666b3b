/*
 * Copyright 2026 roomcast developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#define G_LOG_DOMAIN "RcTestHttp"

#include <string.h>

#include "rc-test-harness.h"

/* The HTTP routes on embedded nodes: POST /publish, /healthz, /metrics. */

static RcTestNode *node;

static RcTestHttpReply *
publish(RcTestNode *n, const gchar *body, const gchar *const *headers)
{
	return rc_test_http_post(n, "/publish", NULL, body, strlen(body), headers);
}

/* a refusal: @status and {"success":false,"error":"..."} */
static void
assert_refused(RcTestHttpReply *reply, guint status)
{
	g_autoptr(JsonObject) body = NULL;
	const gchar *error;

	g_test_message("HTTP %u %s", reply->status, reply->body);
	g_assert_cmpuint(reply->status, ==, status);
	body = rc_test_http_reply_json(reply);
	g_assert_true(json_object_has_member(body, "success"));
	g_assert_false(json_object_get_boolean_member(body, "success"));
	error = rc_test_json_get_string(body, "error");
	g_assert_nonnull(error);
	g_assert_cmpstr(error, !=, "");
}

/* a 200 {"success":true,"id":...}; returns the id */
static gchar *
assert_published(RcTestHttpReply *reply)
{
	g_autoptr(JsonObject) body = NULL;
	const gchar *id;

	g_test_message("HTTP %u %s", reply->status, reply->body);
	g_assert_cmpuint(reply->status, ==, 200);
	body = rc_test_http_reply_json(reply);
	g_assert_true(json_object_get_boolean_member(body, "success"));
	id = rc_test_json_get_string(body, "id");
	g_assert_nonnull(id);
	g_assert_cmpstr(id, !=, "");
	return g_strdup(id);
}

/* after a refusal the node still publishes */
static void
assert_still_publishes(RcTestNode *n, RcTestWs *member, const gchar *room)
{
	g_autofree gchar *body =
	    g_strdup_printf("{\"namespace\":\"/"
			    "\",\"roomCode\":\"%s\",\"msg\":{\"sender\":\"bot\",\"text\":\"ok\"}}",
			    room);
	g_autoptr(RcTestHttpReply) reply = publish(n, body, NULL);
	g_autofree gchar *id = assert_published(reply);
	g_autoptr(JsonObject) msg = rc_test_ws_take(member, "MSG_TO_CLIENTS", NULL, 3000);

	g_assert_cmpstr(rc_test_json_get_string(msg, "id"), ==, id);
	rc_test_ws_expect_silence(member, 0);
}

static void
test_publish_success(void)
{
	g_autoptr(RcTestWs) ws = rc_test_ws_new(node, NULL);
	g_autoptr(RcTestWs) other_room = rc_test_ws_new(node, NULL);
	g_autoptr(RcTestHttpReply) reply = NULL;
	g_autoptr(JsonObject) msg = NULL;
	g_autofree gchar *id = NULL;
	JsonObject *body;

	rc_test_ws_join(ws, "/team", "room_1");
	rc_test_ws_join(other_room, "/", "room_1");
	reply = publish(node,
			"{\"namespace\":\"/team\",\"roomCode\":\"room_1\","
			"\"msg\":{\"sender\":\"bot\",\"text\":\"hi from http\"}}",
			NULL);
	id = assert_published(reply);
	g_assert_true(g_str_has_prefix(reply->content_type, "application/json"));
	msg = rc_test_ws_expect(ws, "MSG_TO_CLIENTS", 3000);
	g_assert_cmpstr(rc_test_json_get_string(msg, "namespace"), ==, "/team");
	g_assert_cmpstr(rc_test_json_get_string(msg, "roomCode"), ==, "room_1");
	g_assert_cmpstr(rc_test_json_get_string(msg, "id"), ==, id);
	g_assert_true(json_object_has_member(msg, "ts"));
	body = json_object_get_object_member(msg, "msg");
	g_assert_cmpstr(rc_test_json_get_string(body, "sender"), ==, "bot");
	g_assert_cmpstr(rc_test_json_get_string(body, "text"), ==, "hi from http");
	/* same roomCode, other namespace: not delivered */
	rc_test_ws_expect_silence(other_room, 200);
}

/* ids are the node's prefix and a counter in hex: one more each publish, the
 * same shape on either side of a change in the number of digits */
static void
test_publish_ids(void)
{
	g_autofree gchar *prefix = NULL;
	guint64 first = 0;
	gsize digits = 0;
	gboolean crossed = FALSE;

	/* twenty, and on until the counter gains a digit (at 0x10 or 0x100 from
	 * wherever the earlier tests left it) */
	for (guint i = 0; i < 20 || !crossed; i++) {
		g_autoptr(RcTestHttpReply) reply =
		    publish(node, "{\"roomCode\":\"ids\",\"msg\":{\"sender\":\"bot\",\"text\":\"n\"}}", NULL);
		g_autofree gchar *id = assert_published(reply);
		const gchar *dash = strrchr(id, '-');
		gchar *end = NULL;
		guint64 n;

		g_assert_cmpuint(i, <, 300);
		g_assert_nonnull(dash);
		g_assert_true(g_regex_match_simple("^[0-9a-f]{16}-[1-9a-f][0-9a-f]*$", id, 0, 0));
		n = g_ascii_strtoull(dash + 1, &end, 16);
		g_assert_cmpint(*end, ==, '\0');
		if (i == 0) {
			prefix = g_strndup(id, dash - id);
			first = n;
		} else {
			g_assert_cmpmem(id, dash - id, prefix, strlen(prefix));
			g_assert_cmpuint(n, ==, first + i);
			if (strlen(dash + 1) > digits)
				crossed = TRUE;
		}
		digits = strlen(dash + 1);
	}
}

static void
test_publish_default_namespace(void)
{
	g_autoptr(RcTestWs) ws = rc_test_ws_new(node, NULL);
	g_autoptr(RcTestHttpReply) reply = NULL;
	g_autoptr(JsonObject) msg = NULL;
	g_autofree gchar *id = NULL;

	rc_test_ws_join(ws, "/", "dflt");
	reply = publish(
	    node, "{\"roomCode\":\"dflt\",\"msg\":{\"sender\":\"bot\",\"text\":\"x\"}}", NULL);
	id = assert_published(reply);
	msg = rc_test_ws_expect(ws, "MSG_TO_CLIENTS", 3000);
	g_assert_cmpstr(rc_test_json_get_string(msg, "id"), ==, id);
}

static void
test_publish_malformed(void)
{
	g_autoptr(RcTestWs) ws = rc_test_ws_new(node, NULL);
	g_autofree gchar *opening = g_strnfill(30000, '[');
	g_autofree gchar *closing = g_strnfill(30000, ']');
	/* deep nesting under max_frame_bytes */
	g_autofree gchar *deep = g_strconcat(opening, closing, NULL);
	const gchar *bodies[] = {
	    deep,
	    "{not json",
	    "",
	    "[1,2,3]",
	    "\"text\"",
	    "null",
	    "{\"namespace\":\"/\",\"roomCode\":\"h\",\"msg\":{\"sender\":\"bot\",\"text\":\"x\"}",
	};

	rc_test_ws_join(ws, "/", "h-malformed");
	for (guint i = 0; i < G_N_ELEMENTS(bodies); i++) {
		g_autoptr(RcTestHttpReply) reply = publish(node, bodies[i], NULL);
		g_test_message("body %.100s", bodies[i]);
		assert_refused(reply, 400);
	}
	rc_test_ws_expect_silence(ws, 100);
	assert_still_publishes(node, ws, "h-malformed");
}

static void
test_publish_missing_fields(void)
{
	g_autoptr(RcTestWs) ws = rc_test_ws_new(node, NULL);
	const gchar *bodies[] = {
	    "{}",
	    "{\"namespace\":\"/\",\"msg\":{\"sender\":\"bot\",\"text\":\"x\"}}",
	    "{\"namespace\":\"/\",\"roomCode\":\"h-missing\"}",
	    "{\"namespace\":\"/\",\"roomCode\":\"h-missing\",\"msg\":{\"text\":\"x\"}}",
	    "{\"namespace\":\"/\",\"roomCode\":\"h-missing\",\"msg\":{\"sender\":\"bot\"}}",
	    "{\"namespace\":\"/\",\"roomCode\":\"h-missing\",\"msg\":{}}",
	};

	rc_test_ws_join(ws, "/", "h-missing");
	for (guint i = 0; i < G_N_ELEMENTS(bodies); i++) {
		g_autoptr(RcTestHttpReply) reply = publish(node, bodies[i], NULL);
		assert_refused(reply, 400);
	}
	rc_test_ws_expect_silence(ws, 100);
	assert_still_publishes(node, ws, "h-missing");
}

static void
test_publish_wrong_types(void)
{
	g_autoptr(RcTestWs) ws = rc_test_ws_new(node, NULL);
	const gchar *bodies[] = {
	    "{\"namespace\":1,\"roomCode\":\"h-types\",\"msg\":{\"sender\":\"b\",\"text\":\"x\"}}",
	    "{\"namespace\":\"/\",\"roomCode\":[],\"msg\":{\"sender\":\"b\",\"text\":\"x\"}}",
	    "{\"namespace\":\"/\",\"roomCode\":\"h-types\",\"msg\":\"hi\"}",
	    "{\"namespace\":\"/\",\"roomCode\":\"h-types\",\"msg\":{\"sender\":1,\"text\":\"x\"}}",
	    "{\"namespace\":\"/\",\"roomCode\":\"h-types\",\"msg\":{\"sender\":\"b\",\"text\":2}}",
	    ("{\"namespace\":\"/\",\"roomCode\":\"h-types\","
	     "\"msg\":{\"sender\":\"b\",\"text\":null}}"),
	};

	rc_test_ws_join(ws, "/", "h-types");
	for (guint i = 0; i < G_N_ELEMENTS(bodies); i++) {
		g_autoptr(RcTestHttpReply) reply = publish(node, bodies[i], NULL);
		assert_refused(reply, 400);
	}
	rc_test_ws_expect_silence(ws, 100);
	assert_still_publishes(node, ws, "h-types");
}

static void
test_publish_bad_names(void)
{
	g_autoptr(RcTestWs) ws = rc_test_ws_new(node, NULL);
	g_autofree gchar *long_room = g_strnfill(129, 'r');
	g_autofree gchar *long_sender = g_strnfill(65, 's');
	g_autofree gchar *body_room = g_strdup_printf(
	    "{\"namespace\":\"/\",\"roomCode\":\"%s\",\"msg\":{\"sender\":\"b\",\"text\":\"x\"}}",
	    long_room);
	g_autofree gchar *body_sender = g_strdup_printf(
	    "{\"namespace\":\"/"
	    "\",\"roomCode\":\"h-names\",\"msg\":{\"sender\":\"%s\",\"text\":\"x\"}}",
	    long_sender);
	const gchar *bodies[] = {
	    "{\"namespace\":\"nope\",\"roomCode\":\"h-names\",\"msg\":{\"sender\":\"b\",\"text\":"
	    "\"x\"}}",
	    "{\"namespace\":\"/a "
	    "b\",\"roomCode\":\"h-names\",\"msg\":{\"sender\":\"b\",\"text\":\"x\"}}",
	    "{\"namespace\":\"/\",\"roomCode\":\"\",\"msg\":{\"sender\":\"b\",\"text\":\"x\"}}",
	    "{\"namespace\":\"/\",\"roomCode\":\"a b\",\"msg\":{\"sender\":\"b\",\"text\":\"x\"}}",
	    "{\"namespace\":\"/"
	    "\",\"roomCode\":\"h-names\",\"msg\":{\"sender\":\"\",\"text\":\"x\"}}",
	    "{\"namespace\":\"/"
	    "\",\"roomCode\":\"h-names\",\"msg\":{\"sender\":\"a\\nb\",\"text\":\"x\"}}",
	    /* a NUL must not cut "a\u0000b" down to a valid "a" */
	    "{\"namespace\":\"/"
	    "\",\"roomCode\":\"h-names\",\"msg\":{\"sender\":\"a\\u0000b\",\"text\":\"x\"}}",
	    "{\"namespace\":\"/"
	    "\",\"roomCode\":\"h-\\u0000x\",\"msg\":{\"sender\":\"b\",\"text\":\"x\"}}",
	    "{\"namespace\":\"/"
	    "\\u0000x\",\"roomCode\":\"h-names\",\"msg\":{\"sender\":\"b\",\"text\":\"x\"}}",
	    body_room,
	    body_sender,
	};

	rc_test_ws_join(ws, "/", "h-names");
	for (guint i = 0; i < G_N_ELEMENTS(bodies); i++) {
		g_autoptr(RcTestHttpReply) reply = publish(node, bodies[i], NULL);
		assert_refused(reply, 400);
	}
	rc_test_ws_expect_silence(ws, 100);
	assert_still_publishes(node, ws, "h-names");
}

static void
test_publish_invalid_utf8(void)
{
	g_autoptr(RcTestWs) ws = rc_test_ws_new(node, NULL);
	/* lone surrogate escapes decode to bytes that are not UTF-8 */
	const gchar *bodies[] = {
	    "{\"namespace\":\"/"
	    "\",\"roomCode\":\"h-utf8\",\"msg\":{\"sender\":\"a\\ud800b\",\"text\":\"x\"}}",
	    "{\"namespace\":\"/"
	    "\",\"roomCode\":\"h-utf8\",\"msg\":{\"sender\":\"b\",\"text\":\"x\\udc00y\"}}",
	    "{\"namespace\":\"/"
	    "\",\"roomCode\":\"h-utf8\",\"msg\":{\"sender\":\"a\\ud800\",\"text\":\"x\"}}",
	    "{\"namespace\":\"/"
	    "\",\"roomCode\":\"h-utf8\",\"msg\":{\"sender\":\"b\",\"text\":\"\xff\xfe\"}}",
	};

	rc_test_ws_join(ws, "/", "h-utf8");
	for (guint i = 0; i < G_N_ELEMENTS(bodies); i++) {
		g_autoptr(RcTestHttpReply) reply = publish(node, bodies[i], NULL);
		/* the refusal itself must be valid JSON, so valid UTF-8 */
		assert_refused(reply, 400);
	}
	rc_test_ws_expect_silence(ws, 100);
	assert_still_publishes(node, ws, "h-utf8");
}

static void
test_publish_oversize(void)
{
	g_autoptr(RcTestWs) ws = rc_test_ws_new(node, NULL);
	g_autofree gchar *text_over = g_strnfill(4097, 't');
	g_autofree gchar *text_max = g_strnfill(4096, 't');
	g_autofree gchar *pad = g_strnfill(70000, ' ');
	g_autofree gchar *body_text =
	    g_strdup_printf("{\"namespace\":\"/"
			    "\",\"roomCode\":\"h-big\",\"msg\":{\"sender\":\"b\",\"text\":\"%s\"}}",
			    text_over);
	/* a small message in a body over max_frame_bytes */
	g_autofree gchar *body_frame = g_strdup_printf(
	    "{\"namespace\":\"/"
	    "\",\"roomCode\":\"h-big\",%s\"msg\":{\"sender\":\"b\",\"text\":\"x\"}}",
	    pad);
	g_autofree gchar *body_max =
	    g_strdup_printf("{\"namespace\":\"/"
			    "\",\"roomCode\":\"h-big\",\"msg\":{\"sender\":\"b\",\"text\":\"%s\"}}",
			    text_max);
	g_autoptr(RcTestHttpReply) r1 = NULL;
	g_autoptr(RcTestHttpReply) r2 = NULL;
	g_autoptr(RcTestHttpReply) r3 = NULL;
	g_autofree gchar *id = NULL;
	g_autoptr(JsonObject) msg = NULL;

	rc_test_ws_join(ws, "/", "h-big");
	r1 = publish(node, body_text, NULL);
	assert_refused(r1, 413);
	r2 = publish(node, body_frame, NULL);
	assert_refused(r2, 413);
	rc_test_ws_expect_silence(ws, 100);
	r3 = publish(node, body_max, NULL);
	id = assert_published(r3);
	msg = rc_test_ws_expect(ws, "MSG_TO_CLIENTS", 3000);
	g_assert_cmpstr(rc_test_json_get_string(msg, "id"), ==, id);
}

static void
test_publish_api_token(void)
{
	const gchar *config = rc_test_write_config("[http]\napi_token=s3cret-token\n");
	g_autoptr(RcTestNode) n =
	    rc_test_node_new("--port", "0", "--bus", "none", "--config", config, NULL);
	g_autoptr(RcTestWs) ws = rc_test_ws_new(n, NULL);
	const gchar *body = "{\"namespace\":\"/"
			    "\",\"roomCode\":\"h-tok\",\"msg\":{\"sender\":\"b\",\"text\":\"x\"}}";
	const gchar *wrong[] = {"Authorization", "Bearer nope", NULL};
	const gchar *basic[] = {"Authorization", "Basic czNjcmV0LXRva2Vu", NULL};
	const gchar *prefix[] = {"Authorization", "Bearer s3cret-tokenX", NULL};
	const gchar *right[] = {"Authorization", "Bearer s3cret-token", NULL};
	g_autoptr(RcTestHttpReply) none = NULL;
	g_autoptr(RcTestHttpReply) bad = NULL;
	g_autoptr(RcTestHttpReply) bad2 = NULL;
	g_autoptr(RcTestHttpReply) bad3 = NULL;
	g_autoptr(RcTestHttpReply) good = NULL;
	g_autofree gchar *id = NULL;
	g_autoptr(JsonObject) msg = NULL;

	rc_test_ws_join(ws, "/", "h-tok");
	none = publish(n, body, NULL);
	assert_refused(none, 401);
	bad = publish(n, body, wrong);
	assert_refused(bad, 401);
	bad2 = publish(n, body, basic);
	assert_refused(bad2, 401);
	bad3 = publish(n, body, prefix);
	assert_refused(bad3, 401);
	rc_test_ws_expect_silence(ws, 100);
	good = publish(n, body, right);
	id = assert_published(good);
	msg = rc_test_ws_expect(ws, "MSG_TO_CLIENTS", 3000);
	g_assert_cmpstr(rc_test_json_get_string(msg, "id"), ==, id);

	/* the token guards /publish only */
	{
		g_autoptr(RcTestHttpReply) health = rc_test_http_get(n, "/healthz");
		g_assert_cmpuint(health->status, ==, 200);
	}
	rc_test_ws_close(ws);
	g_assert_cmpint(rc_test_node_stop(n), ==, 0);
}

static void
test_healthz_embedded(void)
{
	g_autoptr(RcTestHttpReply) reply = rc_test_http_get(node, "/healthz");
	g_autoptr(JsonObject) body = NULL;

	g_assert_cmpuint(reply->status, ==, 200);
	body = rc_test_http_reply_json(reply);
	g_assert_cmpstr(rc_test_json_get_string(body, "status"), ==, "ok");
	g_assert_cmpstr(rc_test_json_get_string(body, "redis"), ==, "embedded");
}

static gchar *
get_metrics(RcTestNode *n)
{
	g_autoptr(RcTestHttpReply) reply = rc_test_http_get(n, "/metrics");

	g_assert_cmpuint(reply->status, ==, 200);
	g_assert_nonnull(reply->content_type);
	g_assert_true(g_str_has_prefix(reply->content_type, "text/plain"));
	return g_strdup(reply->body);
}

/* Prometheus text format 0.0.4: HELP/TYPE before the samples of each family,
 * every non-comment line "name[{labels}] value". */
static void
assert_valid_exposition(const gchar *text)
{
	g_auto(GStrv) lines = g_strsplit(text, "\n", -1);
	g_autoptr(GRegex) sample = g_regex_new(
	    "^[a-zA-Z_:][a-zA-Z0-9_:]*(\\{[^}]*\\})? [-+]?([0-9.eE+-]+|NaN|\\+Inf|-Inf)( [0-9]+)?$",
	    0,
	    0,
	    NULL);
	g_autoptr(GRegex) comment =
	    g_regex_new("^# (HELP [a-zA-Z_:][a-zA-Z0-9_:]* .+|TYPE [a-zA-Z_:][a-zA-Z0-9_:]* "
			"(counter|gauge|histogram|summary|untyped))$",
			0,
			0,
			NULL);
	g_autoptr(GHashTable) typed = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	const gchar *required[][2] = {
	    {"roomcast_connections", "gauge"},
	    {"roomcast_rooms", "gauge"},
	    {"roomcast_messages_received_total", "counter"},
	    {"roomcast_messages_delivered_total", "counter"},
	    {"roomcast_redis_up", "gauge"},
	};

	g_assert_true(g_str_has_suffix(text, "\n"));
	for (guint i = 0; lines[i] != NULL; i++) {
		const gchar *line = lines[i];

		if (line[0] == '\0')
			continue;
		if (line[0] == '#') {
			if (!g_regex_match(comment, line, 0, NULL))
				g_error("bad comment line in /metrics: “%s”", line);
			if (g_str_has_prefix(line, "# TYPE ")) {
				g_auto(GStrv) f = g_strsplit(line, " ", 4);
				g_hash_table_insert(typed, g_strdup(f[2]), NULL);
			}
			continue;
		}
		if (!g_regex_match(sample, line, 0, NULL))
			g_error("bad sample line in /metrics: “%s”", line);
	}
	for (guint i = 0; i < G_N_ELEMENTS(required); i++) {
		g_autofree gchar *help = g_strdup_printf("# HELP %s ", required[i][0]);
		g_autofree gchar *type =
		    g_strdup_printf("# TYPE %s %s\n", required[i][0], required[i][1]);
		const gchar *help_at = strstr(text, help);
		const gchar *type_at = strstr(text, type);
		g_autofree gchar *first = g_strdup_printf("\n%s", required[i][0]);
		const gchar *sample_at = strstr(text, first);

		g_test_message("checking %s", required[i][0]);
		g_assert_nonnull(help_at);
		g_assert_nonnull(type_at);
		g_assert_nonnull(sample_at);
		/* metadata comes before the samples */
		g_assert_true(help_at < sample_at);
		g_assert_true(type_at < sample_at);
		rc_test_metrics_value(text, required[i][0]);
	}
}

static void
test_metrics(void)
{
	/* a node of its own, so the numbers are ours alone */
	g_autoptr(RcTestNode) n = rc_test_node_new("--port", "0", "--bus", "none", NULL);
	g_autofree gchar *m0 = get_metrics(n);
	g_autofree gchar *m1 = NULL;
	g_autofree gchar *m2 = NULL;
	g_autofree gchar *m3 = NULL;
	g_autoptr(RcTestWs) a = NULL;
	g_autoptr(RcTestWs) b = NULL;
	g_autoptr(RcTestWs) c = NULL;
	g_autofree gchar *id = NULL;
	g_autoptr(RcTestHttpReply) posted = NULL;

	assert_valid_exposition(m0);
	g_assert_cmpfloat(rc_test_metrics_value(m0, "roomcast_connections"), ==, 0);
	g_assert_cmpfloat(rc_test_metrics_value(m0, "roomcast_rooms"), ==, 0);
	g_assert_cmpfloat(rc_test_metrics_value(m0, "roomcast_messages_received_total"), ==, 0);
	g_assert_cmpfloat(rc_test_metrics_value(m0, "roomcast_messages_delivered_total"), ==, 0);
	/* 0 when embedded */
	g_assert_cmpfloat(rc_test_metrics_value(m0, "roomcast_redis_up"), ==, 0);

	a = rc_test_ws_new(n, NULL);
	b = rc_test_ws_new(n, NULL);
	c = rc_test_ws_new(n, NULL);
	rc_test_ws_join(a, "/", "m1");
	rc_test_ws_join(b, "/", "m1");
	rc_test_ws_join(c, "/", "m2");
	m1 = get_metrics(n);
	assert_valid_exposition(m1);
	g_assert_cmpfloat(rc_test_metrics_value(m1, "roomcast_connections"), ==, 3);
	g_assert_cmpfloat(rc_test_metrics_value(m1, "roomcast_rooms"), ==, 2);

	/* one message from a client reaches 2 members; one from HTTP reaches 1 */
	id = rc_test_ws_send_message(a, "/", "m1", "count me");
	g_clear_pointer(&id, g_free);
	rc_test_ws_drop(a, "MSG_TO_CLIENTS", NULL, 3000);
	rc_test_ws_drop(b, "MSG_TO_CLIENTS", NULL, 3000);
	posted = publish(
	    n,
	    "{\"namespace\":\"/\",\"roomCode\":\"m2\",\"msg\":{\"sender\":\"b\",\"text\":\"x\"}}",
	    NULL);
	id = assert_published(posted);
	rc_test_ws_drop(c, "MSG_TO_CLIENTS", NULL, 3000);
	m2 = get_metrics(n);
	g_assert_cmpfloat(rc_test_metrics_value(m2, "roomcast_messages_received_total"), ==, 2);
	g_assert_cmpfloat(rc_test_metrics_value(m2, "roomcast_messages_delivered_total"), ==, 3);

	/* gauges go down again when clients leave */
	rc_test_ws_close(c);
	rc_test_ws_close(b);
	rc_test_sleep(200);
	m3 = get_metrics(n);
	g_assert_cmpfloat(rc_test_metrics_value(m3, "roomcast_connections"), ==, 1);
	g_assert_cmpfloat(rc_test_metrics_value(m3, "roomcast_rooms"), ==, 1);
	g_assert_cmpfloat(rc_test_metrics_value(m3, "roomcast_messages_received_total"), ==, 2);

	rc_test_ws_close(a);
	g_assert_cmpint(rc_test_node_stop(n), ==, 0);
}

/* each route takes its methods; another gets 405 with an Allow header naming them */
static void
test_wrong_method(void)
{
	const struct {
		const gchar *method;
		const gchar *path;
		const gchar *allow;
	} cases[] = {
	    {"POST", "/healthz", "GET, HEAD"},
	    {"DELETE", "/metrics", "GET, HEAD"},
	    {"POST", "/history?roomCode=r", "GET, HEAD"},
	    {"PUT", "/presence?roomCode=r", "GET, HEAD"},
	    {"GET", "/publish", "POST"},
	    {"POST", "/", "GET, HEAD"},
	    /* a body where the route takes none */
	    {"GET", "/healthz", "GET, HEAD"},
	};

	for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
		g_autoptr(RcTestRawHttp) conn = rc_test_raw_http_new(node);
		gboolean with_body = i == G_N_ELEMENTS(cases) - 1;
		g_autofree gchar *request =
		    g_strdup_printf("%s %s HTTP/1.1\r\nHost: 127.0.0.1:%u\r\n%s\r\n%s",
				    cases[i].method,
				    cases[i].path,
				    rc_test_node_get_port(node),
				    with_body ? "Content-Length: 5\r\n" : "",
				    with_body ? "hello" : "");
		g_autofree gchar *allow = g_strdup_printf("\r\nAllow: %s\r\n", cases[i].allow);
		g_autoptr(GError) error = NULL;
		g_autoptr(GBytes) received = NULL;
		g_autoptr(RcTestHttpReply) reply = NULL;
		gboolean closed = FALSE;
		gsize len = 0;
		const gchar *data;

		g_assert_true(rc_test_raw_http_send(conn, request, -1, &error));
		received = rc_test_raw_http_read_until_close(conn, 3000, &closed);
		reply = rc_test_http_reply_parse(received);
		data = g_bytes_get_data(received, &len);
		g_test_message("%s %s -> %u", cases[i].method, cases[i].path, reply->status);
		g_assert_cmpuint(reply->status, ==, 405);
		g_assert_nonnull(g_strstr_len(data, (gssize)len, allow));
	}
	/* and the right method still works */
	{
		g_autoptr(RcTestHttpReply) reply = rc_test_http_get(node, "/healthz");
		g_assert_cmpuint(reply->status, ==, 200);
	}
}

static void
test_unknown_route(void)
{
	g_autoptr(RcTestHttpReply) reply = rc_test_http_get(node, "/no/such/route");

	g_assert_cmpuint(reply->status, ==, 404);
}

int
main(int argc, char **argv)
{
	int ret;

	rc_test_init(&argc, &argv);
	node = rc_test_node_new("--port", "0", "--bus", "none", NULL);

	g_test_add_func("/http/publish/success", test_publish_success);
	g_test_add_func("/http/publish/default-namespace", test_publish_default_namespace);
	g_test_add_func("/http/publish/ids", test_publish_ids);
	g_test_add_func("/http/publish/malformed", test_publish_malformed);
	g_test_add_func("/http/publish/missing-fields", test_publish_missing_fields);
	g_test_add_func("/http/publish/wrong-types", test_publish_wrong_types);
	g_test_add_func("/http/publish/bad-names", test_publish_bad_names);
	g_test_add_func("/http/publish/invalid-utf8", test_publish_invalid_utf8);
	g_test_add_func("/http/publish/oversize", test_publish_oversize);
	g_test_add_func("/http/publish/api-token", test_publish_api_token);
	g_test_add_func("/http/healthz/embedded", test_healthz_embedded);
	g_test_add_func("/http/metrics", test_metrics);
	g_test_add_func("/http/unknown-route", test_unknown_route);
	g_test_add_func("/http/wrong-method", test_wrong_method);
	ret = g_test_run();

	g_assert_cmpint(rc_test_node_stop(node), ==, 0);
	rc_test_node_free(node);
	return ret;
}
