/*
 * Copyright 2026 roomcast developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#define G_LOG_DOMAIN "RcTestEioServer"

#include <string.h>

#include "rc-test-harness.h"

/*
 * /socket.io/ against a real roomcastd, spoken by hand: raw HTTP polling requests
 * and WebSockets, so that every malformed request, every timeout and every limit
 * can be reached exactly. (tests/socketio/client/ runs the real socket.io-client.)
 */

/* short, to see timeouts happen; stretched with the other timeouts under valgrind */
#define PING_INTERVAL_MS rc_test_timeout(400)
#define PING_TIMEOUT_MS rc_test_timeout(300)

/* ---- HTTP, asynchronous: a held poll must not stop the test ------------------ */

typedef struct {
	SoupMessage *msg;
	gboolean done;
	guint status;
	gchar *body;
	gsize len;
	gchar *content_type;
	gchar *cache_control;
} Req;

static SoupSession *
session(void)
{
	static SoupSession *s;
	if (s == NULL)
		s = soup_session_new_with_options(
		    "max-conns", 64, "max-conns-per-host", 64, "timeout", 30, NULL);
	return s;
}

static void
req_free(Req *r)
{
	g_clear_object(&r->msg);
	g_free(r->body);
	g_free(r->content_type);
	g_free(r->cache_control);
	g_free(r);
}
G_DEFINE_AUTOPTR_CLEANUP_FUNC(Req, req_free)

static void
req_done_cb(GObject *source, GAsyncResult *res, gpointer user_data)
{
	Req *r = user_data;
	g_autoptr(GError) error = NULL;
	g_autoptr(GBytes) bytes =
	    soup_session_send_and_read_finish(SOUP_SESSION(source), res, &error);
	SoupMessageHeaders *headers = soup_message_get_response_headers(r->msg);

	r->done = TRUE;
	if (bytes == NULL) {
		g_test_message("request failed: %s", error->message);
		r->body = g_strdup("");
		return;
	}
	r->status = soup_message_get_status(r->msg);
	r->len = g_bytes_get_size(bytes);
	r->body = g_strndup(g_bytes_get_data(bytes, NULL), r->len);
	r->content_type = g_strdup(soup_message_headers_get_one(headers, "Content-Type"));
	r->cache_control = g_strdup(soup_message_headers_get_one(headers, "Cache-Control"));
}

static Req *
req_start(
    const gchar *method, const gchar *url, const gchar *content_type, const gchar *body, gsize len)
{
	Req *r = g_new0(Req, 1);

	r->msg = soup_message_new(method, url);
	g_assert_nonnull(r->msg);
	if (body != NULL) {
		g_autoptr(GBytes) bytes = g_bytes_new(body, len);
		soup_message_set_request_body_from_bytes(r->msg, content_type, bytes);
	}
	soup_session_send_and_read_async(
	    session(), r->msg, G_PRIORITY_DEFAULT, NULL, req_done_cb, r);
	return r;
}

static gboolean
req_is_done(gpointer user_data)
{
	return ((Req *)user_data)->done;
}

static Req *
req_wait(Req *r, guint timeout_ms)
{
	if (!rc_test_wait_until(req_is_done, r, rc_test_timeout(timeout_ms)))
		g_error("no answer to %s %s in %u ms",
			soup_message_get_method(r->msg),
			g_uri_to_string(soup_message_get_uri(r->msg)),
			timeout_ms);
	return r;
}

static Req *
req(const gchar *method, const gchar *url, const gchar *content_type, const gchar *body, gsize len)
{
	return req_wait(req_start(method, url, content_type, body, len), 10000);
}

/* ---- Engine.IO by hand ------------------------------------------------------- */

static gchar *
eio_url(RcTestNode *node, const gchar *query)
{
	return g_strdup_printf("%s/socket.io/?%s", rc_test_node_get_base_url(node), query);
}

static gchar *
poll_url(RcTestNode *node, const gchar *sid)
{
	return g_strdup_printf("%s/socket.io/?EIO=4&transport=polling&t=%08x&sid=%s",
			       rc_test_node_get_base_url(node),
			       g_random_int(),
			       sid);
}

/* the open packet of a new polling session; returns its sid */
static gchar *
eio_handshake(RcTestNode *node, JsonObject **open)
{
	g_autofree gchar *url = eio_url(node, "EIO=4&transport=polling&t=abcdefgh");
	g_autoptr(Req) r = req("GET", url, NULL, NULL, 0);
	g_autoptr(JsonObject) obj = NULL;

	g_assert_cmpuint(r->status, ==, 200);
	g_assert_cmpstr(r->content_type, ==, "text/plain; charset=UTF-8");
	g_assert_cmpstr(r->cache_control, ==, "no-store");
	g_assert_cmpint(r->body[0], ==, '0');
	obj = rc_test_json_parse_object(r->body + 1);
	g_assert_nonnull(obj);
	g_assert_cmpuint(strlen(json_object_get_string_member(obj, "sid")), ==, 20);
	if (open != NULL)
		*open = json_object_ref(obj);
	return g_strdup(json_object_get_string_member(obj, "sid"));
}

static Req *
eio_post_full(RcTestNode *node, const gchar *sid, const gchar *body, gsize len)
{
	g_autofree gchar *url = poll_url(node, sid);
	return req("POST", url, "text/plain;charset=UTF-8", body, len);
}

static void
eio_post(RcTestNode *node, const gchar *sid, const gchar *body)
{
	g_autoptr(Req) r = eio_post_full(node, sid, body, strlen(body));
	g_assert_cmpuint(r->status, ==, 200);
	g_assert_cmpstr(r->body, ==, "ok");
	g_assert_cmpstr(r->content_type, ==, "text/html");
}

static Req *
eio_poll_start(RcTestNode *node, const gchar *sid)
{
	g_autofree gchar *url = poll_url(node, sid);
	return req_start("GET", url, NULL, NULL, 0);
}

static gchar *
eio_poll(RcTestNode *node, const gchar *sid)
{
	g_autoptr(Req) r = req_wait(eio_poll_start(node, sid), PING_INTERVAL_MS + 5000);
	g_assert_cmpuint(r->status, ==, 200);
	g_assert_cmpstr(r->content_type, ==, "text/plain; charset=UTF-8");
	return g_steal_pointer(&r->body);
}

/* packets polled and not looked at yet, per sid */
static GQueue *
pending(const gchar *sid)
{
	static GHashTable *table;
	GQueue *queue;

	if (table == NULL)
		table = g_hash_table_new(g_str_hash, g_str_equal);
	queue = g_hash_table_lookup(table, sid);
	if (queue == NULL) {
		queue = g_queue_new();
		g_hash_table_insert(table, g_strdup(sid), queue);
	}
	return queue;
}

/* the first packet, polled or kept from before, that starts with @prefix (pings
 * are answered); the others stay for later calls, in order */
static gchar *
eio_poll_for(RcTestNode *node, const gchar *sid, const gchar *prefix)
{
	GQueue *queue = pending(sid);

	for (guint round = 0; round < 20; round++) {
		for (GList *l = queue->head; l != NULL; l = l->next) {
			if (g_str_has_prefix(l->data, prefix)) {
				gchar *packet = l->data;
				g_queue_delete_link(queue, l);
				return packet;
			}
		}
		{
			g_autofree gchar *body = eio_poll(node, sid);
			g_auto(GStrv) packets = g_strsplit(body, "\x1e", -1);
			for (guint i = 0; packets[i] != NULL; i++) {
				if (g_strcmp0(packets[i], "2") == 0)
					eio_post(node, sid, "3");
				else
					g_queue_push_tail(queue, g_strdup(packets[i]));
			}
		}
	}
	g_error("no packet starting with %s", prefix);
	return NULL;
}

/* the HTTP error answer: @status and Engine.IO's error @code */
static void
assert_eio_error(Req *r, guint status, gint code)
{
	g_autoptr(JsonObject) obj = rc_test_json_parse_object(r->body);

	g_test_message("%u %s", r->status, r->body);
	g_assert_cmpuint(r->status, ==, status);
	g_assert_nonnull(obj);
	g_assert_cmpint(json_object_get_int_member(obj, "code"), ==, code);
	g_assert_true(json_object_has_member(obj, "message"));
}

static void
assert_sid_unknown(RcTestNode *node, const gchar *sid)
{
	g_autofree gchar *url = poll_url(node, sid);
	g_autoptr(Req) r = req("GET", url, NULL, NULL, 0);
	assert_eio_error(r, 400, 1);
}

static gdouble
metric(RcTestNode *node, const gchar *name)
{
	g_autoptr(RcTestHttpReply) reply = rc_test_http_get(node, "/metrics");
	g_assert_cmpuint(reply->status, ==, 200);
	return rc_test_metrics_value(reply->body, name);
}

static void
assert_node_healthy(RcTestNode *node)
{
	g_autoptr(RcTestHttpReply) health = rc_test_http_get(node, "/healthz");
	g_autofree gchar *sid = NULL;

	g_assert_cmpuint(health->status, ==, 200);
	sid = eio_handshake(node, NULL);
	eio_post(node, sid, "40/health,");
	g_free(eio_poll_for(node, sid, "40/health,{\"sid\":"));
	eio_post(node, sid, "1");
}

static RcTestNode *
new_node_pinging(guint interval_ms, guint timeout_ms, const gchar *extra_config)
{
	g_autofree gchar *contents =
	    g_strdup_printf("[socketio]\nping_interval=%u\nping_timeout=%u\n%s",
			    interval_ms,
			    timeout_ms,
			    extra_config != NULL ? extra_config : "");
	const gchar *config = rc_test_write_config(contents);
	return rc_test_node_new("--port", "0", "--bus", "none", "--config", config, NULL);
}

static RcTestNode *
new_node(const gchar *extra_config)
{
	return new_node_pinging(PING_INTERVAL_MS, PING_TIMEOUT_MS, extra_config);
}

/* ---- the cases --------------------------------------------------------------- */

static void
test_handshake(void)
{
	g_autoptr(RcTestNode) node = new_node("[limits]\nmax_frame_bytes=4096\n");
	g_autoptr(JsonObject) open = NULL;
	g_autofree gchar *sid = eio_handshake(node, &open);
	JsonArray *upgrades = json_object_get_array_member(open, "upgrades");

	g_assert_cmpuint(json_array_get_length(upgrades), ==, 1);
	g_assert_cmpstr(json_array_get_string_element(upgrades, 0), ==, "websocket");
	g_assert_cmpint(json_object_get_int_member(open, "pingInterval"), ==, PING_INTERVAL_MS);
	g_assert_cmpint(json_object_get_int_member(open, "pingTimeout"), ==, PING_TIMEOUT_MS);
	g_assert_cmpint(json_object_get_int_member(open, "maxPayload"), ==, 4096);
	/* a second handshake is a second session */
	{
		g_autofree gchar *other = eio_handshake(node, NULL);
		g_assert_cmpstr(other, !=, sid);
	}
}

static void
test_bad_requests(void)
{
	g_autoptr(RcTestNode) node = new_node(NULL);
	const struct {
		const gchar *method;
		const gchar *query;
		guint status;
		gint code;
	} cases[] = {
	    {"GET", "", 400, 0},
	    {"GET", "EIO=4", 400, 0},
	    {"GET", "EIO=4&transport=foo", 400, 0},
	    {"GET", "transport=polling", 400, 5},
	    {"GET", "EIO=3&transport=polling", 400, 5},
	    {"GET", "EIO=5&transport=websocket", 400, 5},
	    {"PUT", "EIO=4&transport=polling", 400, 2},
	    {"DELETE", "EIO=4&transport=polling", 400, 2},
	    {"OPTIONS", "EIO=4&transport=polling", 400, 2},
	    {"GET", "EIO=4&transport=polling&sid=nope", 400, 1},
	    {"GET", "EIO=4&transport=polling&sid=", 400, 1},
	    {"GET", "EIO=4&transport=websocket&sid=nope", 400, 1},
	    {"GET", "EIO=4&transport=websocket", 400, 3},
	    {"GET", "EIO=4&transport=polling&x=%00", 400, 3},
	};

	for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
		g_autofree gchar *url = eio_url(node, cases[i].query);
		g_autoptr(Req) r = req(cases[i].method, url, NULL, NULL, 0);
		g_test_message("%s ?%s", cases[i].method, cases[i].query);
		assert_eio_error(r, cases[i].status, cases[i].code);
		g_assert_cmpstr(r->content_type, ==, "application/json");
	}
	/* a POST that opens no session, with a body */
	{
		g_autofree gchar *url = eio_url(node, "EIO=4&transport=polling");
		g_autoptr(Req) r = req("POST", url, "text/plain", "40", 2);
		assert_eio_error(r, 400, 2);
	}
	{
		g_autofree gchar *url = eio_url(node, "EIO=4&transport=polling&sid=nope");
		g_autoptr(Req) r = req("POST", url, "text/plain", "40", 2);
		assert_eio_error(r, 400, 1);
	}
	/* nothing else lives under /socket.io/: no client bundle is served */
	{
		g_autoptr(RcTestHttpReply) r = rc_test_http_get(node, "/socket.io/socket.io.js");
		g_assert_cmpuint(r->status, ==, 404);
	}
	assert_node_healthy(node);
}

static void
test_malformed_payloads(void)
{
	g_autoptr(RcTestNode) node = new_node(NULL);
	const struct {
		const gchar *body;
		gsize len; /* 0: strlen */
	} bodies[] = {
	    {"x", 0},
	    {"7", 0},
	    {"0{}", 0},			  /* clients never open */
	    {"40/chat\x1e", 0},		  /* a trailing separator is an empty packet */
	    {"\03640", 0},		  /* a leading separator, too */
	    {"4\xff", 0},		  /* not UTF-8 */
	    {"4\0", 2},			  /* NUL */
	    {"4abc", 0},		  /* not a Socket.IO packet */
	    {"42/chat,[\"echo\"]", 0},	  /* an event before CONNECT */
	    {"40/chat,[1]", 0},		  /* CONNECT data is an object */
	    {"42[\"disconnect\"]", 0},	  /* reserved event name */
	    {"44{\"message\":\"x\"}", 0}, /* clients never send CONNECT_ERROR */
	    {"bAQID", 0},		  /* binary without a binary event */
	    {"451-[\"a\",{\"_placeholder\":true,\"num\":0}]", 0}, /* attachment missing */
	};

	for (guint i = 0; i < G_N_ELEMENTS(bodies); i++) {
		g_autofree gchar *sid = eio_handshake(node, NULL);
		g_autoptr(Req) held = eio_poll_start(node, sid);
		g_autoptr(Req) r = NULL;

		g_autofree gchar *shown = g_strescape(bodies[i].body, NULL);
		g_test_message("body %u: %s", i, shown);
		rc_test_sleep(50);
		r = eio_post_full(node,
				  sid,
				  bodies[i].body,
				  bodies[i].len != 0 ? bodies[i].len : strlen(bodies[i].body));
		assert_eio_error(r, 400, 3);
		/* the held poll learns the session is over, and the sid is gone */
		req_wait(held, 5000);
		g_assert_cmpuint(held->status, ==, 200);
		g_assert_cmpstr(held->body, ==, "1");
		assert_sid_unknown(node, sid);
	}
	/* an empty body, and a binary one */
	{
		g_autofree gchar *sid = eio_handshake(node, NULL);
		g_autoptr(Req) r = eio_post_full(node, sid, "", 0);
		assert_eio_error(r, 400, 3);
		assert_sid_unknown(node, sid);
	}
	{
		g_autofree gchar *sid = eio_handshake(node, NULL);
		g_autofree gchar *url = poll_url(node, sid);
		g_autoptr(Req) r = req("POST", url, "application/octet-stream", "40", 2);
		assert_eio_error(r, 400, 3);
		assert_sid_unknown(node, sid);
	}
	/* CONNECT twice to one namespace */
	{
		g_autofree gchar *sid = eio_handshake(node, NULL);
		g_autoptr(Req) r = NULL;
		eio_post(node, sid, "40/chat,");
		r = eio_post_full(node, sid, "40/chat,", 8);
		assert_eio_error(r, 400, 3);
		assert_sid_unknown(node, sid);
	}
	g_assert_cmpfloat(metric(node, "roomcast_connections"), ==, 0);
	assert_node_healthy(node);
}

static void
test_oversize_post(void)
{
	g_autoptr(RcTestNode) node = new_node("[limits]\nmax_frame_bytes=1024\n");
	g_autofree gchar *sid = eio_handshake(node, NULL);
	g_autoptr(Req) held = eio_poll_start(node, sid);
	g_autofree gchar *big = g_strnfill(1025, 'x');
	g_autoptr(Req) r = NULL;

	big[0] = '4';
	rc_test_sleep(50);
	r = eio_post_full(node, sid, big, 1025);
	assert_eio_error(r, 413, 3);
	req_wait(held, 5000);
	g_assert_cmpstr(held->body, ==, "1");
	assert_sid_unknown(node, sid);
	/* exactly maxPayload is fine: 512 pongs */
	{
		g_autofree gchar *sid2 = eio_handshake(node, NULL);
		g_autoptr(GString) body = g_string_new("3x");
		while (body->len < 1024)
			g_string_append(body,
					"\x1e"
					"3");
		g_assert_cmpuint(body->len, ==, 1024);
		eio_post(node, sid2, body->str);
	}
	assert_node_healthy(node);
}

static void
test_two_polls(void)
{
	g_autoptr(RcTestNode) node = new_node(NULL);
	g_autofree gchar *sid = eio_handshake(node, NULL);
	g_autoptr(Req) first = eio_poll_start(node, sid);
	g_autoptr(Req) second = NULL;

	rc_test_sleep(100);
	g_assert_false(first->done);
	second = req_wait(eio_poll_start(node, sid), 5000);
	assert_eio_error(second, 400, 3);
	req_wait(first, 5000);
	g_assert_cmpstr(first->body, ==, "1");
	assert_sid_unknown(node, sid);
}

static void
test_polling_session(void)
{
	g_autoptr(RcTestNode) node = new_node(NULL);
	g_autofree gchar *sid = eio_handshake(node, NULL);
	g_autofree gchar *ack = NULL;
	g_autofree gchar *batch = NULL;
	g_auto(GStrv) packets = NULL;
	g_autoptr(Req) held = NULL;

	/* the CONNECT reply comes on a held poll, as soon as it is there */
	held = eio_poll_start(node, sid);
	rc_test_sleep(100);
	g_assert_false(held->done);
	eio_post(node, sid, "40/chat,{\"sender\":\"pat\"}");
	req_wait(held, 2000);
	g_assert_true(g_str_has_prefix(held->body, "40/chat,{\"sid\":\"c"));
	g_assert_cmpfloat(metric(node, "roomcast_connections"), ==, 1);

	/* two packets in one body: a join and an event without an ack */
	eio_post(node,
		 sid,
		 "42/chat,0[\"join\",\"r1\"]\x1e"
		 "42/chat,[\"nothing\"]");
	ack = eio_poll_for(node, sid, "43/chat,0");
	g_assert_true(g_str_has_prefix(ack, "43/chat,0[{\"joined\":true,\"epoch\":\""));
	g_free(eio_poll_for(node, sid, "42/chat,[\"error\",{\"code\":\"bad_request\""));

	/* what is published while nobody polls comes as one batch */
	for (guint i = 0; i < 3; i++) {
		g_autofree gchar *body = g_strdup_printf(
		    "{\"namespace\":\"/"
		    "chat\",\"roomCode\":\"r1\",\"msg\":{\"sender\":\"bot\",\"text\":\"m%u\"}}",
		    i);
		g_autoptr(RcTestHttpReply) r =
		    rc_test_http_post(node, "/publish", NULL, body, strlen(body), NULL);
		g_assert_cmpuint(r->status, ==, 200);
	}
	batch = eio_poll(node, sid);
	packets = g_strsplit(batch, "\x1e", -1);
	g_assert_cmpuint(g_strv_length(packets), ==, 3);
	for (guint i = 0; i < 3; i++) {
		g_autofree gchar *expect = g_strdup_printf(
		    "42/"
		    "chat,[\"MSG_TO_CLIENTS\",{\"sender\":\"bot\",\"text\":\"m%u\"},{\"namespace\":"
		    "\"/chat\",\"roomCode\":\"r1\",\"id\":\"",
		    i);
		g_assert_true(g_str_has_prefix(packets[i], expect));
		g_assert_true(g_str_has_suffix(packets[i], "}]"));
	}
	/* the client says goodbye: its session is gone at once */
	eio_post(node,
		 sid,
		 "41/chat,\x1e"
		 "1");
	assert_sid_unknown(node, sid);
	g_assert_cmpfloat(metric(node, "roomcast_connections"), ==, 0);
}

static gboolean
connections_zero(gpointer user_data)
{
	return metric(user_data, "roomcast_connections") == 0;
}

/* A polling client that goes away leaves nothing behind: after one ping it does
 * not answer, its members leave their rooms (presence too) and the sid is gone;
 * under valgrind the node must also stop without a leak. */
static void
test_polling_gone(void)
{
	g_autoptr(RcTestNode) node = new_node(NULL);
	g_autofree gchar *gone = eio_handshake(node, NULL);
	g_autofree gchar *alive = eio_handshake(node, NULL);
	/* a session that never connects a namespace goes the same way */
	g_autofree gchar *idle = eio_handshake(node, NULL);
	g_autoptr(RcTestHttpReply) presence = NULL;
	gint64 start;

	eio_post(node, gone, "40/chat,{\"sender\":\"gone\"}");
	eio_post(node, gone, "42/chat,[\"join\",\"r1\"]");
	eio_post(node, alive, "40/chat,{\"sender\":\"alive\"}");
	eio_post(node, alive, "42/chat,0[\"join\",\"r1\"]");
	g_free(eio_poll_for(node, alive, "43/chat,0"));
	presence = rc_test_http_get(node, "/presence?namespace=%2Fchat&roomCode=r1");
	g_assert_nonnull(strstr(presence->body, "\"sender\":\"gone\""));
	g_assert_cmpfloat(metric(node, "roomcast_connections"), ==, 2);

	/* "alive" keeps polling and answering pings; "gone" never comes back */
	start = g_get_monotonic_time();
	while (g_get_monotonic_time() - start < 3 * (PING_INTERVAL_MS + PING_TIMEOUT_MS) * 1000) {
		g_autofree gchar *body = eio_poll(node, alive);
		if (g_strcmp0(body, "2") == 0)
			eio_post(node, alive, "3");
	}
	g_assert_cmpfloat(metric(node, "roomcast_connections"), ==, 1);
	g_assert_cmpfloat(metric(node, "roomcast_rooms"), ==, 1);
	assert_sid_unknown(node, gone);
	g_clear_pointer(&presence, rc_test_http_reply_free);
	presence = rc_test_http_get(node, "/presence?namespace=%2Fchat&roomCode=r1");
	g_assert_null(strstr(presence->body, "\"sender\":\"gone\""));
	g_assert_nonnull(strstr(presence->body, "\"sender\":\"alive\""));
	assert_sid_unknown(node, idle);
	eio_post(node, alive, "1");
	g_assert_true(rc_test_wait_until(connections_zero, node, 5000));
	g_assert_cmpint(rc_test_node_stop(node), ==, 0);
}

/* the slow-consumer guard holds for a session that stops polling */
static void
test_polling_queue_bound(void)
{
	g_autoptr(RcTestNode) node = new_node("[limits]\nmax_queue_bytes=4096\n");
	g_autofree gchar *sid = eio_handshake(node, NULL);
	g_autofree gchar *text = g_strnfill(500, 'y');

	eio_post(node, sid, "40/q,");
	eio_post(node, sid, "42/q,0[\"join\",\"r\"]");
	g_free(eio_poll_for(node, sid, "43/q,0"));
	for (guint i = 0; i < 12; i++) {
		g_autofree gchar *body = g_strdup_printf(
		    "{\"namespace\":\"/"
		    "q\",\"roomCode\":\"r\",\"msg\":{\"sender\":\"bot\",\"text\":\"%s\"}}",
		    text);
		g_autoptr(RcTestHttpReply) r =
		    rc_test_http_post(node, "/publish", NULL, body, strlen(body), NULL);
		g_assert_cmpuint(r->status, ==, 200);
	}
	g_assert_true(rc_test_wait_until(connections_zero, node, 5000));
	g_assert_cmpfloat(metric(node, "roomcast_slow_consumers_total"), ==, 1);
	assert_sid_unknown(node, sid);
}

/* ---- WebSocket --------------------------------------------------------------- */

static gchar *
ws_url(RcTestNode *node, const gchar *sid)
{
	return g_strdup_printf("ws://127.0.0.1:%u/socket.io/?EIO=4&transport=websocket%s%s",
			       rc_test_node_get_port(node),
			       sid != NULL ? "&sid=" : "",
			       sid != NULL ? sid : "");
}

/* the next text frame, raw */
static gchar *
ws_next(RcTestWs *ws, guint timeout_ms)
{
	g_autoptr(JsonObject) frame = rc_test_ws_try_next(ws, rc_test_timeout(timeout_ms));
	if (frame == NULL)
		return NULL;
	if (g_strcmp0(rc_test_json_get_string(frame, "type"), "<unparsable>") != 0)
		g_error("unexpected frame %s", rc_test_json_to_string(frame));
	return g_strdup(rc_test_json_get_string(frame, "raw"));
}

/* the open packet a session on a WebSocket starts with */
static void
ws_expect_open(RcTestWs *ws)
{
	g_autofree gchar *open = ws_next(ws, 2000);
	g_assert_nonnull(open);
	g_assert_true(g_str_has_prefix(open, "0{\"sid\":\""));
}

static RcTestWs *
ws_connect(RcTestNode *node, const gchar *sid)
{
	g_autofree gchar *url = ws_url(node, sid);
	g_autoptr(GError) error = NULL;
	guint status = 0;
	RcTestWs *ws = rc_test_ws_try_connect(url, NULL, NULL, &status, &error);

	g_assert_no_error(error);
	g_assert_nonnull(ws);
	return ws;
}

static void
test_websocket_session(void)
{
	g_autoptr(RcTestNode) node = new_node(NULL);
	g_autoptr(RcTestWs) ws = ws_connect(node, NULL);
	g_autofree gchar *open = ws_next(ws, 2000);
	g_autofree gchar *connected = NULL;
	g_autofree gchar *joined = NULL;
	g_autofree gchar *ping = NULL;
	gint64 start;
	gushort code;

	g_assert_true(g_str_has_prefix(open, "0{\"sid\":\""));
	g_assert_nonnull(strstr(open, "\"upgrades\":[]"));
	rc_test_ws_send_text(ws, "40/chat,{\"sender\":\"wes\"}");
	connected = ws_next(ws, 2000);
	g_assert_true(g_str_has_prefix(connected, "40/chat,{\"sid\":\"c"));
	rc_test_ws_send_text(ws, "42/chat,7[\"join\",\"r\"]");
	joined = ws_next(ws, 2000);
	g_assert_true(g_str_has_prefix(joined, "43/chat,7[{\"joined\":true"));
	/* a binary event is refused, the connection stays */
	rc_test_ws_send_text(ws, "451-/chat,3[\"send\",{\"_placeholder\":true,\"num\":0}]");
	rc_test_ws_send_binary(ws, "\x01\x02", 2);
	{
		g_autofree gchar *error_event = ws_next(ws, 2000);
		g_autofree gchar *error_ack = ws_next(ws, 2000);
		g_assert_true(
		    g_str_has_prefix(error_event, "42/chat,[\"error\",{\"code\":\"bad_request\""));
		g_assert_true(g_str_has_prefix(error_ack, "43/chat,3[{\"error\":\"bad_request\""));
	}
	/* pings come from the server every interval; answered, the session stays */
	for (guint i = 0; i < 3; i++) {
		g_autofree gchar *p = ws_next(ws, PING_INTERVAL_MS + 1000);
		g_assert_cmpstr(p, ==, "2");
		rc_test_ws_send_text(ws, "3");
	}
	g_assert_cmpfloat(metric(node, "roomcast_connections"), ==, 1);
	/* unanswered, the server closes it after ping_timeout */
	ping = ws_next(ws, PING_INTERVAL_MS + 1000);
	g_assert_cmpstr(ping, ==, "2");
	start = g_get_monotonic_time();
	code = rc_test_ws_wait_closed(ws, 5000);
	g_test_message("closed with %u after %" G_GINT64_FORMAT " ms",
		       code,
		       (g_get_monotonic_time() - start) / 1000);
	g_assert_cmpint((g_get_monotonic_time() - start) / 1000, >=, PING_TIMEOUT_MS - 50);
	g_assert_true(rc_test_wait_until(connections_zero, node, 5000));
}

static void
test_websocket_protocol_errors(void)
{
	g_autoptr(RcTestNode) node = new_node(NULL);
	const gchar *frames[] = {
	    "40/chat,\03642/chat,[\"x\"]", /* two packets in one frame */
	    "42/chat,[\"x\"]",		   /* before CONNECT */
	    "x",
	    "4{}",
	};

	for (guint i = 0; i < G_N_ELEMENTS(frames); i++) {
		g_autoptr(RcTestWs) ws = ws_connect(node, NULL);
		ws_expect_open(ws);
		g_test_message("frame %s", frames[i]);
		rc_test_ws_send_text(ws, frames[i]);
		g_assert_cmpuint(rc_test_ws_wait_closed(ws, 5000), ==, 1002);
	}
	/* a binary frame that no binary event announced */
	{
		g_autoptr(RcTestWs) ws = ws_connect(node, NULL);
		ws_expect_open(ws);
		rc_test_ws_send_binary(ws, "\x01", 1);
		g_assert_cmpuint(rc_test_ws_wait_closed(ws, 5000), ==, 1002);
	}
	/* a frame over maxPayload */
	{
		g_autoptr(RcTestWs) ws = ws_connect(node, NULL);
		ws_expect_open(ws);
		g_autofree gchar *big = g_strnfill(70000, 'x');
		big[0] = '4';
		rc_test_ws_send_text(ws, big);
		g_assert_cmpuint(rc_test_ws_wait_closed(ws, 5000), ==, 1009);
	}
	assert_node_healthy(node);
}

/* polling first, then the probe, the paused poll answered with a noop, and "5" */
static void
test_upgrade(void)
{
	/* no ping may answer the held poll meanwhile */
	g_autoptr(RcTestNode) node = new_node_pinging(60000, 60000, NULL);
	g_autofree gchar *sid = eio_handshake(node, NULL);
	g_autoptr(RcTestWs) ws = NULL;
	g_autoptr(Req) held = NULL;
	g_autofree gchar *probe = NULL;
	g_autofree gchar *msg = NULL;

	eio_post(node, sid, "40/up,");
	g_free(eio_poll_for(node, sid, "40/up,"));
	held = eio_poll_start(node, sid);
	rc_test_sleep(100);
	ws = ws_connect(node, sid);
	/* a second WebSocket for the same session is refused while the first probes */
	{
		g_autofree gchar *url = ws_url(node, sid);
		g_autoptr(GError) error = NULL;
		guint status = 0;
		RcTestWs *second = rc_test_ws_try_connect(url, NULL, NULL, &status, &error);
		g_assert_null(second);
		g_assert_cmpuint(status, ==, 400);
	}
	g_assert_false(held->done);
	rc_test_ws_send_text(ws, "2probe");
	probe = ws_next(ws, 2000);
	g_assert_cmpstr(probe, ==, "3probe");
	req_wait(held, 2000);
	g_assert_cmpstr(held->body, ==, "6");
	/* the client pauses polling here; what comes meanwhile waits for the switch */
	eio_post(node, sid, "42/up,1[\"join\",\"r\"]");
	rc_test_ws_send_text(ws, "5");
	msg = ws_next(ws, 2000);
	g_assert_true(g_str_has_prefix(msg, "43/up,1[{\"joined\":true"));
	/* polling is over for this session */
	{
		g_autofree gchar *url = poll_url(node, sid);
		g_autoptr(Req) r = req("GET", url, NULL, NULL, 0);
		assert_eio_error(r, 400, 3);
	}
	rc_test_ws_send_text(ws, "42/up,2[\"send\",{\"roomCode\":\"r\",\"text\":\"over ws\"}]");
	{
		g_autofree gchar *a = ws_next(ws, 2000);
		g_autofree gchar *b = ws_next(ws, 2000);
		g_autofree gchar *both = g_strconcat(a, "\n", b, NULL);
		g_assert_nonnull(strstr(both, "42/up,[\"MSG_TO_CLIENTS\",{\"sender\":\"guest-"));
		g_assert_nonnull(strstr(both, "43/up,2[{\"id\":\""));
	}
}

/* a socket.io WebSocket client that stops reading is dropped like a /ws one */
static void
test_websocket_slow_consumer(void)
{
	/* pings unanswered must not end it first */
	g_autoptr(RcTestNode) node =
	    new_node_pinging(60000, 60000, "[limits]\nmax_queue_bytes=65536\n");
	g_autoptr(RcTestRawWs) slow =
	    rc_test_raw_ws_new_at(node, "/socket.io/?EIO=4&transport=websocket", 4096);
	g_autofree gchar *text = g_strnfill(4000, 'z');
	gboolean closed = FALSE;
	guint8 opcode = 0;

	rc_test_raw_ws_send_frame(slow, 0x1, "40/s,", 5);
	rc_test_raw_ws_send_frame(slow, 0x1, "42/s,[\"join\",\"r\"]", 17);
	rc_test_sleep(300);
	/* the kernel buffers a few MB on loopback before the queue starts to grow */
	for (guint i = 0; i < 5000 && !closed; i++) {
		g_autofree gchar *body = g_strdup_printf(
		    "{\"namespace\":\"/"
		    "s\",\"roomCode\":\"r\",\"msg\":{\"sender\":\"bot\",\"text\":\"%s\"}}",
		    text);
		g_autoptr(RcTestHttpReply) r =
		    rc_test_http_post(node, "/publish", NULL, body, strlen(body), NULL);
		g_assert_cmpuint(r->status, ==, 200);
		if (i % 50 == 49)
			closed = metric(node, "roomcast_slow_consumers_total") >= 1;
	}
	g_assert_true(closed);
	g_assert_true(rc_test_wait_until(connections_zero, node, 5000));
	/* the close frame 1013 went ahead of what was dropped */
	for (;;) {
		g_autoptr(GBytes) payload = NULL;
		gboolean eof = FALSE;
		if (!rc_test_raw_ws_read_frame(slow, 10000, &opcode, &payload, &eof))
			break;
		if (opcode == 0x8) {
			const guint8 *d = g_bytes_get_data(payload, NULL);
			g_assert_cmpuint((d[0] << 8) | d[1], ==, 1013);
			break;
		}
	}
	g_assert_cmpuint(opcode, ==, 0x8);
}

int
main(int argc, char **argv)
{
	rc_test_init(&argc, &argv);
	g_test_add_func("/socketio/http/handshake", test_handshake);
	g_test_add_func("/socketio/http/bad-requests", test_bad_requests);
	g_test_add_func("/socketio/http/malformed-payloads", test_malformed_payloads);
	g_test_add_func("/socketio/http/oversize-post", test_oversize_post);
	g_test_add_func("/socketio/http/two-polls", test_two_polls);
	g_test_add_func("/socketio/polling/session", test_polling_session);
	g_test_add_func("/socketio/polling/client-gone", test_polling_gone);
	g_test_add_func("/socketio/polling/queue-bound", test_polling_queue_bound);
	g_test_add_func("/socketio/websocket/session-and-heartbeat", test_websocket_session);
	g_test_add_func("/socketio/websocket/protocol-errors", test_websocket_protocol_errors);
	g_test_add_func("/socketio/websocket/upgrade", test_upgrade);
	g_test_add_func("/socketio/websocket/slow-consumer", test_websocket_slow_consumer);
	return g_test_run();
}
