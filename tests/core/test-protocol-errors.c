/*
 * Copyright 2026 roomcast developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#define G_LOG_DOMAIN "RcTestProtocol"

#include <string.h>

#include "rc-test-harness.h"

/*
 * The WebSocket protocol on one embedded node: names, the frames, every bad input
 * with its error code, and the connection still working after each of them.
 */

static RcTestNode *node;

static RcTestWs *
connect_joined(const gchar *query, const gchar *room)
{
	RcTestWs *ws = rc_test_ws_new(node, query);

	if (room != NULL)
		rc_test_ws_join(ws, "/", room);
	return ws;
}

/* the error frame for @frame, then proof the connection still works */
static void
assert_error_then_alive(RcTestWs *ws, const gchar *frame, const gchar *code)
{
	g_autoptr(JsonObject) error = NULL;

	g_test_message("sending %.200s%s", frame, strlen(frame) > 200 ? "…" : "");
	rc_test_ws_send_text(ws, frame);
	error = rc_test_ws_expect_error(ws, code, NULL, 3000);
	rc_test_ws_ping(ws);
	g_assert_false(rc_test_ws_is_closed(ws));
}

static void
test_hello(void)
{
	g_autoptr(RcTestWs) ws = rc_test_ws_new(node, "sender=alice");
	JsonObject *hello = rc_test_ws_get_hello(ws);

	g_assert_cmpstr(rc_test_json_get_string(hello, "type"), ==, "hello");
	g_assert_cmpstr(rc_test_json_get_string(hello, "node"), ==, "proto-node");
	g_assert_cmpstr(rc_test_ws_get_sender(ws), ==, "alice");
	g_assert_nonnull(rc_test_ws_get_client_id(ws));
	g_assert_cmpstr(rc_test_ws_get_client_id(ws), !=, "");
}

static void
test_guest_sender(void)
{
	g_autoptr(RcTestWs) a = rc_test_ws_new(node, NULL);
	g_autoptr(RcTestWs) b = rc_test_ws_new(node, NULL);
	g_autofree gchar *id = NULL;
	g_autoptr(JsonObject) msg = NULL;

	g_assert_true(g_str_has_prefix(rc_test_ws_get_sender(a), "guest-"));
	g_assert_cmpuint(strlen(rc_test_ws_get_sender(a)), >, strlen("guest-"));
	/* a random suffix: two guests are told apart */
	g_assert_cmpstr(rc_test_ws_get_sender(a), !=, rc_test_ws_get_sender(b));
	g_assert_cmpstr(rc_test_ws_get_client_id(a), !=, rc_test_ws_get_client_id(b));

	/* and it is the sender of what the guest says */
	rc_test_ws_join(a, "/", "guest-room");
	id = rc_test_ws_send_message(a, "/", "guest-room", "hi");
	msg = rc_test_ws_take(a, "MSG_TO_CLIENTS", NULL, 3000);
	g_assert_cmpstr(
	    json_object_get_string_member(json_object_get_object_member(msg, "msg"), "sender"),
	    ==,
	    rc_test_ws_get_sender(a));
}

static void
test_join_send_leave(void)
{
	g_autoptr(RcTestWs) ws = rc_test_ws_new(node, "sender=bob");
	g_autoptr(JsonObject) joined = NULL;
	g_autoptr(JsonObject) msg = NULL;
	g_autoptr(JsonObject) left = NULL;
	g_autofree gchar *id = NULL;
	JsonObject *body;
	gint64 now = g_get_real_time() / 1000;

	rc_test_ws_send_text(ws, "{\"type\":\"join\",\"namespace\":\"/\",\"roomCode\":\"room_1\"}");
	joined = rc_test_ws_expect(ws, "joined", 3000);
	g_assert_cmpstr(rc_test_json_get_string(joined, "namespace"), ==, "/");
	g_assert_cmpstr(rc_test_json_get_string(joined, "roomCode"), ==, "room_1");

	/* ack and echo may come in either order: take each by type */
	rc_test_ws_send_text(ws,
			     "{\"type\":\"send\",\"namespace\":\"/\",\"roomCode\":\"room_1\","
			     "\"text\":\"héllo\",\"ref\":\"c1\"}");
	{
		g_autoptr(JsonObject) ack = rc_test_ws_take(ws, "ack", "c1", 3000);
		id = g_strdup(rc_test_json_get_string(ack, "id"));
	}
	g_assert_nonnull(id);
	msg = rc_test_ws_take(ws, "MSG_TO_CLIENTS", NULL, 3000);
	g_assert_cmpstr(rc_test_json_get_string(msg, "namespace"), ==, "/");
	g_assert_cmpstr(rc_test_json_get_string(msg, "roomCode"), ==, "room_1");
	g_assert_cmpstr(rc_test_json_get_string(msg, "id"), ==, id);
	g_assert_true(json_object_has_member(msg, "ts"));
	/* milliseconds since the epoch, roughly now */
	g_assert_cmpint(json_object_get_int_member(msg, "ts"), >=, now - 60000);
	g_assert_cmpint(json_object_get_int_member(msg, "ts"), <=, now + 60000);
	body = json_object_get_object_member(msg, "msg");
	g_assert_nonnull(body);
	g_assert_cmpstr(rc_test_json_get_string(body, "sender"), ==, "bob");
	g_assert_cmpstr(rc_test_json_get_string(body, "text"), ==, "héllo");

	rc_test_ws_send_text(ws,
			     "{\"type\":\"leave\",\"namespace\":\"/\",\"roomCode\":\"room_1\"}");
	left = rc_test_ws_expect(ws, "left", 3000);
	g_assert_cmpstr(rc_test_json_get_string(left, "namespace"), ==, "/");
	g_assert_cmpstr(rc_test_json_get_string(left, "roomCode"), ==, "room_1");

	/* after leaving, the room is not ours any more */
	assert_error_then_alive(
	    ws,
	    "{\"type\":\"send\",\"namespace\":\"/\",\"roomCode\":\"room_1\",\"text\":\"x\"}",
	    "not_joined");
	assert_error_then_alive(
	    ws, "{\"type\":\"leave\",\"namespace\":\"/\",\"roomCode\":\"room_1\"}", "not_joined");
}

static void
test_namespace_default(void)
{
	g_autoptr(RcTestWs) ws = rc_test_ws_new(node, NULL);
	g_autoptr(JsonObject) joined = NULL;

	/* namespace defaults to "/" */
	rc_test_ws_send_text(ws, "{\"type\":\"join\",\"roomCode\":\"dflt\"}");
	joined = rc_test_ws_expect(ws, "joined", 3000);
	g_assert_cmpstr(rc_test_json_get_string(joined, "namespace"), ==, "/");
	g_assert_cmpstr(rc_test_json_get_string(joined, "roomCode"), ==, "dflt");
}

static void
test_ping(void)
{
	g_autoptr(RcTestWs) ws = rc_test_ws_new(node, NULL);
	g_autoptr(JsonObject) pong = NULL;
	g_autoptr(JsonObject) pong2 = NULL;

	rc_test_ws_send_text(ws, "{\"type\":\"ping\",\"ref\":\"p1\"}");
	pong = rc_test_ws_expect(ws, "pong", 3000);
	g_assert_cmpstr(rc_test_json_get_string(pong, "ref"), ==, "p1");
	/* ref is optional */
	rc_test_ws_send_text(ws, "{\"type\":\"ping\"}");
	pong2 = rc_test_ws_expect(ws, "pong", 3000);
	g_assert_null(rc_test_json_get_string(pong2, "ref"));
}

static void
test_send_without_join(void)
{
	g_autoptr(RcTestWs) ws = rc_test_ws_new(node, NULL);
	g_autoptr(JsonObject) error = NULL;

	rc_test_ws_send_text(ws,
			     "{\"type\":\"send\",\"namespace\":\"/\",\"roomCode\":\"nowhere\","
			     "\"text\":\"hi\",\"ref\":\"c9\"}");
	/* the ref is echoed in errors too */
	error = rc_test_ws_expect_error(ws, "not_joined", "c9", 3000);
	rc_test_ws_ping(ws);
}

static void
test_leave_without_join(void)
{
	g_autoptr(RcTestWs) ws = rc_test_ws_new(node, NULL);

	assert_error_then_alive(ws,
				"{\"type\":\"leave\",\"namespace\":\"/\",\"roomCode\":\"nowhere\","
				"\"ref\":\"l1\"}",
				"not_joined");
}

/* "not in that room" reads the same for a send and a leave, and names the room */
static void
test_not_joined_wording(void)
{
	g_autoptr(RcTestWs) ws = rc_test_ws_new(node, NULL);
	g_autoptr(JsonObject) sent = NULL;
	g_autoptr(JsonObject) left = NULL;
	const gchar *expected = "not a member of room “nowhere” in namespace “/”: join it first";

	rc_test_ws_send_text(ws,
			     "{\"type\":\"send\",\"namespace\":\"/\",\"roomCode\":\"nowhere\","
			     "\"text\":\"hi\",\"ref\":\"s1\"}");
	sent = rc_test_ws_expect_error(ws, "not_joined", "s1", 3000);
	g_assert_cmpstr(rc_test_json_get_string(sent, "message"), ==, expected);
	rc_test_ws_send_text(
	    ws, "{\"type\":\"leave\",\"namespace\":\"/\",\"roomCode\":\"nowhere\",\"ref\":\"l1\"}");
	left = rc_test_ws_expect_error(ws, "not_joined", "l1", 3000);
	g_assert_cmpstr(rc_test_json_get_string(left, "message"), ==, expected);
	rc_test_ws_ping(ws);
}

static void
test_malformed_json(void)
{
	g_autoptr(RcTestWs) ws = connect_joined(NULL, "mj");
	const gchar *frames[] = {
	    "{not json",
	    "",
	    "{\"type\":\"ping\"",
	    "{\"type\":\"ping\"}garbage",
	};

	for (guint i = 0; i < G_N_ELEMENTS(frames); i++)
		assert_error_then_alive(ws, frames[i], "bad_request");
}

static void
test_non_object(void)
{
	g_autoptr(RcTestWs) ws = rc_test_ws_new(node, NULL);
	const gchar *frames[] = {"[1,2]", "\"ping\"", "42", "null", "true", "[]"};

	for (guint i = 0; i < G_N_ELEMENTS(frames); i++)
		assert_error_then_alive(ws, frames[i], "bad_request");
}

static void
test_wrong_types(void)
{
	g_autoptr(RcTestWs) ws = connect_joined(NULL, "wt");
	const gchar *frames[] = {
	    "{\"type\":5}",
	    "{\"type\":null}",
	    "{\"type\":[\"join\"]}",
	    "{\"type\":\"join\",\"namespace\":\"/\",\"roomCode\":5}",
	    "{\"type\":\"join\",\"namespace\":7,\"roomCode\":\"wt\"}",
	    "{\"type\":\"join\",\"namespace\":\"/\",\"roomCode\":{\"a\":1}}",
	    "{\"type\":\"send\",\"namespace\":\"/\",\"roomCode\":\"wt\",\"text\":123}",
	    "{\"type\":\"send\",\"namespace\":\"/\",\"roomCode\":\"wt\",\"text\":null}",
	    "{\"type\":\"send\",\"namespace\":\"/\",\"roomCode\":\"wt\",\"text\":[\"hi\"]}",
	    "{\"type\":\"leave\",\"namespace\":\"/\",\"roomCode\":false}",
	};

	for (guint i = 0; i < G_N_ELEMENTS(frames); i++)
		assert_error_then_alive(ws, frames[i], "bad_request");
}

static void
test_missing_fields(void)
{
	g_autoptr(RcTestWs) ws = connect_joined(NULL, "mf");
	const gchar *frames[] = {
	    "{}",
	    "{\"namespace\":\"/\",\"roomCode\":\"mf\"}",
	    "{\"type\":\"join\",\"namespace\":\"/\"}",
	    "{\"type\":\"leave\",\"namespace\":\"/\"}",
	    "{\"type\":\"send\",\"namespace\":\"/\",\"roomCode\":\"mf\"}",
	    "{\"type\":\"send\",\"namespace\":\"/\",\"text\":\"hi\"}",
	};

	for (guint i = 0; i < G_N_ELEMENTS(frames); i++)
		assert_error_then_alive(ws, frames[i], "bad_request");
}

static void
test_unknown_type(void)
{
	g_autoptr(RcTestWs) ws = rc_test_ws_new(node, NULL);
	g_autoptr(JsonObject) error = NULL;

	rc_test_ws_send_text(ws, "{\"type\":\"dance\",\"ref\":\"u1\"}");
	error = rc_test_ws_expect_error(ws, "bad_request", "u1", 3000);
	assert_error_then_alive(ws, "{\"type\":\"MSG_TO_CLIENTS\"}", "bad_request");
	assert_error_then_alive(ws, "{\"type\":\"\"}", "bad_request");
}

static void
test_bad_namespace(void)
{
	g_autoptr(RcTestWs) ws = rc_test_ws_new(node, NULL);
	g_autofree gchar *long_ns = g_strnfill(65, 'n');
	g_autofree gchar *max_ns = g_strnfill(64, 'n');
	g_autofree gchar *frame = NULL;
	const gchar *bad[] = {
	    "", "room", "/a b", "//x", "/x/y", "/é", "/a*", "/a\\nb", "/a\\u0000b"};

	for (guint i = 0; i < G_N_ELEMENTS(bad); i++) {
		g_autofree gchar *f = g_strdup_printf(
		    "{\"type\":\"join\",\"namespace\":\"%s\",\"roomCode\":\"r\"}", bad[i]);
		assert_error_then_alive(ws, f, "bad_request");
	}
	frame = g_strdup_printf("{\"type\":\"join\",\"namespace\":\"/%s\",\"roomCode\":\"r\"}",
				long_ns);
	assert_error_then_alive(ws, frame, "bad_request");
	/* the same errors for send */
	assert_error_then_alive(
	    ws,
	    "{\"type\":\"send\",\"namespace\":\"bad\",\"roomCode\":\"r\",\"text\":\"x\"}",
	    "bad_request");

	/* the limits themselves are fine */
	{
		g_autofree gchar *ns = g_strconcat("/", max_ns, NULL);
		rc_test_ws_join(ws, ns, "r");
	}
	rc_test_ws_join(ws, "/Az09_.-", "r");
}

static void
test_bad_room_code(void)
{
	g_autoptr(RcTestWs) ws = rc_test_ws_new(node, NULL);
	g_autofree gchar *too_long = g_strnfill(129, 'r');
	g_autofree gchar *max_len = g_strnfill(128, 'r');
	/* "a\\u0000b" must not pass as "a" */
	const gchar *bad[] = {
	    "", "a b", "a/b", "é", "room#1", "a\\nb", "<b>", "a\\u0000b", too_long};

	for (guint i = 0; i < G_N_ELEMENTS(bad); i++) {
		g_autofree gchar *f = g_strdup_printf(
		    "{\"type\":\"join\",\"namespace\":\"/\",\"roomCode\":\"%s\",\"ref\":\"b%u\"}",
		    bad[i],
		    i);
		assert_error_then_alive(ws, f, "bad_request");
	}
	rc_test_ws_join(ws, "/", max_len);
	rc_test_ws_join(ws, "/", "Az09_.:@-");
}

static void
test_text_too_large(void)
{
	g_autoptr(RcTestWs) ws = connect_joined("sender=big", "big");
	g_autofree gchar *over = g_strnfill(4097, 'x');
	g_autofree gchar *max = g_strnfill(4096, 'y');
	g_autoptr(GString) multibyte = g_string_new(NULL);
	g_autofree gchar *frame = NULL;
	g_autofree gchar *id = NULL;
	g_autofree gchar *id2 = NULL;
	g_autoptr(JsonObject) error = NULL;
	g_autoptr(JsonObject) echo = NULL;

	frame = g_strdup_printf("{\"type\":\"send\",\"namespace\":\"/\",\"roomCode\":\"big\","
				"\"text\":\"%s\",\"ref\":\"t1\"}",
				over);
	rc_test_ws_send_text(ws, frame);
	error = rc_test_ws_expect_error(ws, "too_large", "t1", 3000);
	/* nothing was delivered, nothing truncated */
	rc_test_ws_ping(ws);

	id = rc_test_ws_send_message(ws, "/", "big", max);
	echo = rc_test_ws_take(ws, "MSG_TO_CLIENTS", NULL, 3000);
	g_assert_cmpuint(strlen(json_object_get_string_member(
			     json_object_get_object_member(echo, "msg"), "text")),
			 ==,
			 4096);

	/* bytes count, not characters: 2049 × "é" is 4098 bytes */
	for (guint i = 0; i < 2049; i++)
		g_string_append(multibyte, "é");
	g_clear_pointer(&frame, g_free);
	frame = g_strdup_printf("{\"type\":\"send\",\"namespace\":\"/\",\"roomCode\":\"big\","
				"\"text\":\"%s\",\"ref\":\"t2\"}",
				multibyte->str);
	assert_error_then_alive(ws, frame, "too_large");
	g_string_truncate(multibyte, 4096);
	id2 = rc_test_ws_send_message(ws, "/", "big", multibyte->str);
}

static void
test_invalid_utf8_escape(void)
{
	g_autoptr(RcTestWs) ws = connect_joined(NULL, "utf");

	/* a lone surrogate escape decodes to bytes that are not UTF-8 */
	assert_error_then_alive(ws,
				"{\"type\":\"send\",\"namespace\":\"/\",\"roomCode\":\"utf\","
				"\"text\":\"a\\ud800b\"}",
				"bad_request");
	/* here json-glib's own parse error quotes the bad bytes: the error
	 * message must still be valid UTF-8 (libsoup refuses to send it otherwise) */
	assert_error_then_alive(ws,
				"{\"type\":\"send\",\"namespace\":\"/\",\"roomCode\":\"utf\","
				"\"text\":\"a\\ud800\"}",
				"bad_request");
	rc_test_ws_expect_silence(ws, 200);
}

static void
test_nul_in_text(void)
{
	/* U+0000 is valid UTF-8: the text arrives whole, or is refused; never cut at the NUL */
	g_autoptr(RcTestWs) ws = connect_joined(NULL, "nul");
	g_autoptr(RcTestRawWs) raw = rc_test_raw_ws_new(node, NULL, 0);
	g_autoptr(JsonObject) hello = rc_test_raw_ws_read_json(raw, 3000);
	g_autoptr(JsonObject) joined = NULL;
	g_autoptr(JsonObject) reply = NULL;

	g_assert_cmpstr(rc_test_json_get_string(hello, "type"), ==, "hello");
	const gchar *join = "{\"type\":\"join\",\"namespace\":\"/\",\"roomCode\":\"nul\"}";

	rc_test_raw_ws_send_frame(raw, 0x1, join, strlen(join));
	joined = rc_test_raw_ws_read_json(raw, 3000);
	g_assert_cmpstr(rc_test_json_get_string(joined, "type"), ==, "joined");
	rc_test_ws_send_text(ws,
			     "{\"type\":\"send\",\"namespace\":\"/\",\"roomCode\":\"nul\","
			     "\"text\":\"a\\u0000b\",\"ref\":\"n1\"}");
	/* a refusal may come without the ref: the frame was not understood */
	reply = rc_test_ws_try_next(ws, 3000);
	g_assert_nonnull(reply);
	if (g_strcmp0(rc_test_json_get_string(reply, "type"), "error") == 0) {
		g_assert_cmpstr(rc_test_json_get_string(reply, "code"), ==, "bad_request");
	} else {
		g_autoptr(GBytes) payload = NULL;
		g_autofree gchar *text = NULL;
		guint8 opcode = 0;

		g_assert_cmpstr(rc_test_json_get_string(reply, "type"), ==, "ack");
		g_assert_true(rc_test_raw_ws_read_frame(raw, 3000, &opcode, &payload, NULL));
		text = g_strndup(g_bytes_get_data(payload, NULL), g_bytes_get_size(payload));
		g_test_message("delivered: %s", text);
		g_assert_nonnull(strstr(text, "\"text\":\"a\\u0000b\""));
	}
	rc_test_ws_ping(ws);
}

static void
test_deep_nesting(void)
{
	/* a frame under max_frame_bytes that nests 30000 levels deep */
	g_autoptr(RcTestWs) ws = connect_joined(NULL, "deep");
	g_autoptr(GString) arrays = g_string_new(NULL);
	g_autoptr(GString) in_field = g_string_new("{\"type\":\"ping\",\"ref\":\"d\",\"x\":");
	g_autoptr(JsonObject) reply = NULL;

	for (guint i = 0; i < 30000; i++)
		g_string_append_c(arrays, '[');
	for (guint i = 0; i < 30000; i++)
		g_string_append_c(arrays, ']');
	assert_error_then_alive(ws, arrays->str, "bad_request");

	/* an unknown member may be ignored or refused, but must not hurt */
	for (guint i = 0; i < 10000; i++)
		g_string_append(in_field, "{\"a\":");
	g_string_append(in_field, "1");
	for (guint i = 0; i < 10000; i++)
		g_string_append_c(in_field, '}');
	g_string_append_c(in_field, '}');
	g_assert_cmpuint(in_field->len, <=, 65536);
	rc_test_ws_send_text(ws, in_field->str);
	reply = rc_test_ws_try_next(ws, rc_test_timeout(3000));
	g_assert_nonnull(reply);
	g_test_message("deep unknown member → %s", rc_test_json_get_string(reply, "type"));
	g_assert_true(g_strcmp0(rc_test_json_get_string(reply, "type"), "pong") == 0 ||
		      g_strcmp0(rc_test_json_get_string(reply, "code"), "bad_request") == 0);
	rc_test_ws_ping(ws);
}

static void
test_invalid_utf8_frame(void)
{
	g_autoptr(RcTestRawWs) raw = rc_test_raw_ws_new(node, NULL, 0);
	g_autoptr(JsonObject) hello = rc_test_raw_ws_read_json(raw, 3000);
	g_autoptr(GBytes) payload = NULL;
	g_autoptr(RcTestWs) after = NULL;
	const gchar bad[] = "{\"type\":\"ping\",\"ref\":\"\xff\xfe\"}";
	gboolean closed_by_peer = FALSE;
	guint8 opcode = 0;
	const guint8 *data;

	g_assert_nonnull(hello);
	g_assert_cmpstr(rc_test_json_get_string(hello, "type"), ==, "hello");
	/*
	 * RFC 6455 8.1: a text frame that is not UTF-8 fails the connection.
	 * libsoup's server does that itself, before roomcast sees the frame,
	 * with close code 1007; so this is the one bad input after which the
	 * connection does not survive (see docs/protocol.md).
	 */
	rc_test_raw_ws_send_frame(raw, 0x1, bad, sizeof(bad) - 1);
	g_assert_true(rc_test_raw_ws_read_frame(raw, 3000, &opcode, &payload, &closed_by_peer));
	g_assert_cmpuint(opcode, ==, 0x8);
	g_assert_cmpuint(g_bytes_get_size(payload), >=, 2);
	data = g_bytes_get_data(payload, NULL);
	g_assert_cmpuint((data[0] << 8) | data[1], ==, 1007);

	/* the node itself is fine */
	after = rc_test_ws_new(node, NULL);
	rc_test_ws_ping(after);
}

static void
test_binary_frame(void)
{
	g_autoptr(RcTestWs) ws = connect_joined(NULL, "bin");
	const guint8 data[] = {0x7b, 0x7d, 0x00, 0xff};
	g_autoptr(JsonObject) error = NULL;

	rc_test_ws_send_binary(ws, data, sizeof(data));
	error = rc_test_ws_expect_error(ws, "bad_request", NULL, 3000);
	rc_test_ws_ping(ws);
	/* binary JSON is still binary */
	rc_test_ws_send_binary(ws, "{\"type\":\"ping\"}", 15);
	g_clear_pointer(&error, json_object_unref);
	error = rc_test_ws_expect_error(ws, "bad_request", NULL, 3000);
	rc_test_ws_ping(ws);
}

static void
test_frame_too_large(void)
{
	g_autoptr(RcTestWs) ws = connect_joined(NULL, "huge");
	g_autoptr(RcTestWs) other = connect_joined(NULL, "huge");
	/* one byte over the default max_frame_bytes */
	const gchar *head =
	    "{\"type\":\"send\",\"namespace\":\"/\",\"roomCode\":\"huge\",\"text\":\"";
	g_autofree gchar *filler = g_strnfill(65537 - strlen(head) - 2, 'z');
	g_autofree gchar *frame = g_strconcat(head, filler, "\"}", NULL);
	g_autofree gchar *id = NULL;
	g_autoptr(JsonObject) msg = NULL;
	gushort code;

	g_assert_cmpuint(strlen(frame), ==, 65537);
	rc_test_ws_send_text(ws, frame);
	code = rc_test_ws_wait_closed(ws, 5000);
	g_assert_cmpuint(code, ==, 1009);
	/* nothing reached the room; the other member is fine */
	rc_test_ws_expect_silence(other, 200);
	rc_test_ws_ping(other);
	id = rc_test_ws_send_message(other, "/", "huge", "still here");
	msg = rc_test_ws_take(other, "MSG_TO_CLIENTS", NULL, 3000);
	g_assert_cmpstr(rc_test_json_get_string(msg, "id"), ==, id);
}

static void
test_frame_at_limit(void)
{
	g_autoptr(RcTestWs) ws = connect_joined(NULL, "limit");
	/* exactly max_frame_bytes is allowed; the text inside is too big for a message */
	const gchar *head =
	    "{\"type\":\"send\",\"namespace\":\"/\",\"roomCode\":\"limit\",\"text\":\"";
	const gchar *tail = "\",\"ref\":\"fl\"}";
	gsize fill = 65536 - strlen(head) - strlen(tail);
	g_autofree gchar *filler = g_strnfill(fill, 'q');
	g_autofree gchar *frame = g_strconcat(head, filler, tail, NULL);
	g_autoptr(JsonObject) error = NULL;

	g_assert_cmpuint(strlen(frame), ==, 65536);
	rc_test_ws_send_text(ws, frame);
	error = rc_test_ws_expect_error(ws, "too_large", "fl", 3000);
	rc_test_ws_ping(ws);
}

static void
test_limits_from_config(void)
{
	const gchar *config =
	    rc_test_write_config("[limits]\nmax_text_bytes=10\nmax_frame_bytes=1024\n");
	g_autoptr(RcTestNode) n =
	    rc_test_node_new("--port", "0", "--bus", "none", "--config", config, NULL);
	g_autoptr(RcTestWs) ws = rc_test_ws_new(n, NULL);
	g_autoptr(RcTestWs) big = rc_test_ws_new(n, NULL);
	g_autofree gchar *id = NULL;
	g_autofree gchar *filler = g_strnfill(1100, 'f');
	g_autoptr(JsonObject) error = NULL;

	rc_test_ws_join(ws, "/", "lim");
	id = rc_test_ws_send_message(ws, "/", "lim", "0123456789");
	{
		g_autoptr(JsonObject) echo = rc_test_ws_take(ws, "MSG_TO_CLIENTS", NULL, 3000);
		g_assert_cmpstr(rc_test_json_get_string(echo, "id"), ==, id);
	}
	rc_test_ws_send_text(ws,
			     "{\"type\":\"send\",\"namespace\":\"/\",\"roomCode\":\"lim\","
			     "\"text\":\"0123456789a\",\"ref\":\"l11\"}");
	error = rc_test_ws_take(ws, "error", "l11", 3000);
	g_assert_cmpstr(rc_test_json_get_string(error, "code"), ==, "too_large");
	rc_test_ws_ping(ws);

	/* a 1100-byte frame is over this node's max_frame_bytes */
	rc_test_ws_send_printf(big, "{\"type\":\"ping\",\"ref\":\"%s\"}", filler);
	g_assert_cmpuint(rc_test_ws_wait_closed(big, 5000), ==, 1009);
	rc_test_ws_close(ws);
	g_assert_cmpint(rc_test_node_stop(n), ==, 0);
}

static void
test_sender_field_ignored(void)
{
	g_autoptr(RcTestWs) ws = connect_joined("sender=alice", "spoof");
	g_autoptr(RcTestWs) other = connect_joined("sender=carol", "spoof");
	g_autoptr(JsonObject) ack = NULL;
	g_autoptr(JsonObject) msg = NULL;

	rc_test_ws_send_text(ws,
			     "{\"type\":\"send\",\"namespace\":\"/\",\"roomCode\":\"spoof\","
			     "\"text\":\"I am root\",\"sender\":\"mallory\",\"ref\":\"sp\"}");
	ack = rc_test_ws_take(ws, "ack", "sp", 3000);
	msg = rc_test_ws_take(other, "MSG_TO_CLIENTS", NULL, 3000);
	g_assert_cmpstr(
	    rc_test_json_get_string(json_object_get_object_member(msg, "msg"), "sender"),
	    ==,
	    "alice");
}

static void
test_bad_sender_query(void)
{
	g_autofree gchar *long_name = g_strnfill(65, 's');
	g_autofree gchar *too_long = g_strconcat("sender=", long_name, NULL);
	g_autofree gchar *max_name = g_strnfill(64, 's');
	g_autofree gchar *max_query = g_strconcat("sender=", max_name, NULL);
	const gchar *bad[] = {
	    "sender=",
	    "sender=%0Aevil",
	    "sender=%FF%FE",
	    "sender=tab%09tab",
	    "sender=del%7F",
	    too_long,
	};

	for (guint i = 0; i < G_N_ELEMENTS(bad); i++) {
		g_autofree gchar *url = rc_test_node_get_ws_url(node, bad[i]);
		g_autoptr(GError) error = NULL;
		g_autoptr(RcTestWs) ws = NULL;
		guint status = 0;

		ws = rc_test_ws_try_connect(url, NULL, NULL, &status, &error);
		g_test_message("%s → HTTP %u", bad[i], status);
		g_assert_null(ws);
		g_assert_cmpuint(status, ==, 400);
	}

	/* limits and non-ASCII names are fine */
	{
		g_autoptr(RcTestWs) ws = rc_test_ws_new(node, max_query);
		g_autoptr(RcTestWs) ws2 = rc_test_ws_new(node, "sender=Zo%C3%AB");
		g_assert_cmpstr(rc_test_ws_get_sender(ws), ==, max_name);
		g_assert_cmpstr(rc_test_ws_get_sender(ws2), ==, "Zoë");
	}
}

/* a name without a value (a flag such as "?debug") has an empty one: the
 * connection is not refused for it, and the other parameters count */
static void
test_query_name_without_value(void)
{
	const gchar *queries[] = {"debug", "debug&sender=flag", "sender=flag&debug", "a&&b&sender=flag"};

	for (guint i = 0; i < G_N_ELEMENTS(queries); i++) {
		g_autoptr(RcTestWs) ws = rc_test_ws_new(node, queries[i]);
		g_test_message("?%s → sender %s", queries[i], rc_test_ws_get_sender(ws));
		if (strstr(queries[i], "sender=flag") != NULL)
			g_assert_cmpstr(rc_test_ws_get_sender(ws), ==, "flag");
	}
}

/* libsoup decodes %00 into a NUL that ends the C string: "a%00b" must not
 * silently become "a" */
static void
test_bad_sender_nul(void)
{
	g_autofree gchar *url = rc_test_node_get_ws_url(node, "sender=a%00b");
	g_autoptr(GError) error = NULL;
	g_autoptr(RcTestWs) ws = NULL;
	guint status = 0;

	ws = rc_test_ws_try_connect(url, NULL, NULL, &status, &error);
	if (ws != NULL) {
		g_autoptr(JsonObject) hello = rc_test_ws_expect(ws, "hello", 3000);
		g_test_message("sender=a%%00b was accepted as sender “%s”",
			       rc_test_json_get_string(hello, "sender"));
	}
	g_assert_cmpuint(status, ==, 400);
}

static void
assert_upgrade_status(RcTestNode *n, const gchar *origin, guint expected)
{
	g_autofree gchar *url = rc_test_node_get_ws_url(n, NULL);
	g_autoptr(GError) error = NULL;
	g_autoptr(RcTestWs) ws = NULL;
	guint status = 0;

	ws = rc_test_ws_try_connect(url, origin, NULL, &status, &error);
	g_test_message("Origin %s → HTTP %u", origin != NULL ? origin : "(none)", status);
	g_assert_cmpuint(status, ==, expected);
	if (expected == 101) {
		g_autoptr(JsonObject) hello = NULL;
		g_assert_no_error(error);
		g_assert_nonnull(ws);
		hello = rc_test_ws_expect(ws, "hello", 3000);
	} else {
		g_assert_null(ws);
	}
}

static void
test_origin_default(void)
{
	g_autofree gchar *own = g_strdup(rc_test_node_get_base_url(node));

	assert_upgrade_status(node, NULL, 101);
	assert_upgrade_status(node, own, 101);
	assert_upgrade_status(node, "http://evil.example", 403);
	assert_upgrade_status(node, "http://127.0.0.1:1", 403);
	assert_upgrade_status(node, "null", 403);
}

static void
test_origin_allowed_list(void)
{
	const gchar *config = rc_test_write_config(
	    "[server]\nallowed_origins=http://chat.example;https://other.example:8443\n");
	g_autoptr(RcTestNode) n =
	    rc_test_node_new("--port", "0", "--bus", "none", "--config", config, NULL);
	g_autofree gchar *own = g_strdup(rc_test_node_get_base_url(n));

	assert_upgrade_status(n, "http://chat.example", 101);
	/* the same origin spelt otherwise: the default port written out, another case */
	assert_upgrade_status(n, "http://chat.example:80", 101);
	assert_upgrade_status(n, "HTTP://Chat.Example", 101);
	assert_upgrade_status(n, "http://chat.example:8080", 403);
	assert_upgrade_status(n, "https://chat.example", 403);
	assert_upgrade_status(n, "http://chat.example@evil.example", 403);
	assert_upgrade_status(n, "https://other.example:8443", 101);
	assert_upgrade_status(n, "https://other.example", 403);
	assert_upgrade_status(n, own, 101);
	assert_upgrade_status(n, NULL, 101);
	assert_upgrade_status(n, "http://evil.example", 403);
	assert_upgrade_status(n, "http://chat.example.evil", 403);
	g_assert_cmpint(rc_test_node_stop(n), ==, 0);
}

static void
test_origin_wildcard(void)
{
	const gchar *config = rc_test_write_config("[server]\nallowed_origins=*\n");
	g_autoptr(RcTestNode) n =
	    rc_test_node_new("--port", "0", "--bus", "none", "--config", config, NULL);

	assert_upgrade_status(n, "http://evil.example", 101);
	assert_upgrade_status(n, "http://anything.example:1234", 101);
	g_assert_cmpint(rc_test_node_stop(n), ==, 0);
}

static void
test_many_errors_one_connection(void)
{
	g_autoptr(RcTestWs) ws = connect_joined("sender=dave", "survivor");
	g_autoptr(RcTestWs) peer = connect_joined(NULL, "survivor");
	g_autofree gchar *id = NULL;
	g_autoptr(JsonObject) msg = NULL;

	/* a burst of bad frames: one error each, in order, and the connection lives */
	for (guint i = 0; i < 50; i++)
		rc_test_ws_send_printf(ws, "{\"type\":\"nope\",\"ref\":\"e%u\"}", i);
	for (guint i = 0; i < 50; i++) {
		g_autofree gchar *ref = g_strdup_printf("e%u", i);
		json_object_unref(rc_test_ws_expect_error(ws, "bad_request", ref, 3000));
	}
	id = rc_test_ws_send_message(ws, "/", "survivor", "still alive");
	msg = rc_test_ws_take(peer, "MSG_TO_CLIENTS", NULL, 3000);
	g_assert_cmpstr(rc_test_json_get_string(msg, "id"), ==, id);
}

int
main(int argc, char **argv)
{
	int ret;

	rc_test_init(&argc, &argv);
	node = rc_test_node_new("--port", "0", "--bus", "none", "--node-id", "proto-node", NULL);

	g_test_add_func("/protocol/hello", test_hello);
	g_test_add_func("/protocol/query-name-without-value", test_query_name_without_value);
	g_test_add_func("/protocol/guest-sender", test_guest_sender);
	g_test_add_func("/protocol/join-send-leave", test_join_send_leave);
	g_test_add_func("/protocol/namespace-default", test_namespace_default);
	g_test_add_func("/protocol/ping", test_ping);
	g_test_add_func("/protocol/sender-field-ignored", test_sender_field_ignored);
	g_test_add_func("/protocol/error/send-without-join", test_send_without_join);
	g_test_add_func("/protocol/error/leave-without-join", test_leave_without_join);
	g_test_add_func("/protocol/error/not-joined-wording", test_not_joined_wording);
	g_test_add_func("/protocol/error/malformed-json", test_malformed_json);
	g_test_add_func("/protocol/error/non-object", test_non_object);
	g_test_add_func("/protocol/error/wrong-types", test_wrong_types);
	g_test_add_func("/protocol/error/missing-fields", test_missing_fields);
	g_test_add_func("/protocol/error/unknown-type", test_unknown_type);
	g_test_add_func("/protocol/error/bad-namespace", test_bad_namespace);
	g_test_add_func("/protocol/error/bad-room-code", test_bad_room_code);
	g_test_add_func("/protocol/error/text-too-large", test_text_too_large);
	g_test_add_func("/protocol/error/invalid-utf8-escape", test_invalid_utf8_escape);
	g_test_add_func("/protocol/error/nul-in-text", test_nul_in_text);
	g_test_add_func("/protocol/error/deep-nesting", test_deep_nesting);
	g_test_add_func("/protocol/error/invalid-utf8-frame", test_invalid_utf8_frame);
	g_test_add_func("/protocol/error/binary-frame", test_binary_frame);
	g_test_add_func("/protocol/error/frame-too-large", test_frame_too_large);
	g_test_add_func("/protocol/error/frame-at-limit", test_frame_at_limit);
	g_test_add_func("/protocol/error/limits-from-config", test_limits_from_config);
	g_test_add_func("/protocol/error/many-on-one-connection", test_many_errors_one_connection);
	g_test_add_func("/protocol/upgrade/bad-sender", test_bad_sender_query);
	g_test_add_func("/protocol/upgrade/bad-sender-nul", test_bad_sender_nul);
	g_test_add_func("/protocol/upgrade/origin-default", test_origin_default);
	g_test_add_func("/protocol/upgrade/origin-allowed-list", test_origin_allowed_list);
	g_test_add_func("/protocol/upgrade/origin-wildcard", test_origin_wildcard);
	ret = g_test_run();

	/* a clean shutdown is part of every run (and catches leaks under ASan) */
	g_assert_cmpint(rc_test_node_stop(node), ==, 0);
	rc_test_node_free(node);
	return ret;
}
