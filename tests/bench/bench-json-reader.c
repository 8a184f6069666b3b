/*
 * Copyright 2026 roomcast developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * What the hand-written RcJsonReader saves over json-glib on the two hot parsers: a
 * client "send" frame and a Redis payload, each read into the fields the node needs.
 *
 *   bench-json-reader [ITERATIONS]
 *
 * Prints ns per parse for both readers and their ratio; the test suite runs it with a
 * small count only to keep it working (its timings are not asserted).
 */
#include "config.h"

#include <json-glib/json-glib.h>

#include "protocol/rc-protocol.h"

static const gchar frame[] =
    "{\"type\":\"send\",\"namespace\":\"/\",\"roomCode\":\"room_7\","
    "\"text\":\"lo:12:3456:1732850000123.456 a chat line of ordinary length\",\"ref\":\"c3456\"}";
static const gchar payload[] =
    "{\"namespace\":\"/\",\"roomCode\":\"room_7\",\"id\":\"3f2a9b10-1c2d\",\"ts\":1732850000123,"
    "\"offset\":4711,\"msg\":{\"sender\":\"alice\",\"text\":\"lo:12:3456:1732850000123.456 a "
    "chat line of ordinary length\"},\"origin\":\"n1\",\"epoch\":\"k3j4h5\"}";

static const gchar *
member_string(JsonObject *object, const gchar *name)
{
	JsonNode *node = json_object_get_member(object, name);
	return node != NULL && JSON_NODE_HOLDS_VALUE(node) ? json_node_get_string(node) : NULL;
}

/* what the node would do with json-glib: parse, then take the same fields out */
static gsize
glib_frame(void)
{
	g_autoptr(JsonParser) parser = json_parser_new_immutable();
	JsonObject *o;
	gsize n = 0;

	if (!json_parser_load_from_data(parser, frame, sizeof(frame) - 1, NULL))
		g_error("json-glib refused the frame");
	o = json_node_get_object(json_parser_get_root(parser));
	n += strlen(member_string(o, "type"));
	n += strlen(member_string(o, "namespace"));
	n += strlen(member_string(o, "roomCode"));
	n += strlen(member_string(o, "text"));
	n += strlen(member_string(o, "ref"));
	return n;
}

static gsize
glib_payload(void)
{
	g_autoptr(JsonParser) parser = json_parser_new_immutable();
	JsonObject *o, *msg;
	gsize n = 0;

	if (!json_parser_load_from_data(parser, payload, sizeof(payload) - 1, NULL))
		g_error("json-glib refused the payload");
	o = json_node_get_object(json_parser_get_root(parser));
	msg = json_object_get_object_member(o, "msg");
	n += strlen(member_string(o, "namespace")) + strlen(member_string(o, "roomCode"));
	n += strlen(member_string(o, "id")) + strlen(member_string(o, "origin"));
	n += strlen(member_string(o, "epoch"));
	n += (gsize)json_object_get_int_member(o, "ts") + (gsize)json_object_get_int_member(o, "offset");
	n += strlen(member_string(msg, "sender")) + strlen(member_string(msg, "text"));
	return n;
}

static gsize
own_frame(void)
{
	g_auto(RcClientFrame) f = {0};
	if (!rc_protocol_parse_client_frame(frame, sizeof(frame) - 1, 4096, &f, NULL))
		g_error("RcJsonReader refused the frame");
	return strlen(f.text) + strlen(f.ref);
}

static gsize
own_payload(void)
{
	g_autoptr(RcMessage) msg = rc_protocol_parse_message(payload, sizeof(payload) - 1, 4096, NULL);
	if (msg == NULL)
		g_error("RcJsonReader refused the payload");
	return strlen(rc_message_get_text(msg)) + rc_message_get_offset(msg);
}

static gdouble
ns_per_call(gsize (*fn)(void), guint iterations, gsize *sink)
{
	gint64 start = g_get_monotonic_time();
	for (guint i = 0; i < iterations; i++)
		*sink += fn();
	return (gdouble)(g_get_monotonic_time() - start) * 1000.0 / iterations;
}

int
main(int argc, char **argv)
{
	guint iterations = argc > 1 ? (guint)g_ascii_strtoull(argv[1], NULL, 10) : 200000;
	gsize sink = 0;
	gdouble gf, of, gp, op;

	if (iterations == 0)
		iterations = 1;
	/* warm caches and allocators once */
	ns_per_call(glib_frame, iterations / 10 + 1, &sink);
	ns_per_call(own_frame, iterations / 10 + 1, &sink);
	gf = ns_per_call(glib_frame, iterations, &sink);
	of = ns_per_call(own_frame, iterations, &sink);
	gp = ns_per_call(glib_payload, iterations, &sink);
	op = ns_per_call(own_payload, iterations, &sink);
	g_print("client frame:  json-glib %8.0f ns   RcJsonReader %8.0f ns   %.1fx\n", gf, of, gf / of);
	g_print("Redis payload: json-glib %8.0f ns   RcJsonReader %8.0f ns   %.1fx\n", gp, op, gp / op);
	g_print("(%u iterations each; checksum %zu)\n", iterations, sink);
	return 0;
}
