/*
 * Copyright 2026 roomcast developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The Engine.IO packet codec: every packet type both ways, the examples of the
 * protocol document and bodies a real socket.io-client 4 sent, every malformed
 * frame and polling body, and the limits.
 */
#define G_LOG_DOMAIN "RcTestEioPacket"

#include "config.h"

#include <json-glib/json-glib.h>
#include <string.h>

#include "socketio/rc-eio-packet.h"

#define LEN(s) (sizeof(s) - 1)

static void
assert_packet(
    const RcEioPacket *p, RcEioPacketType type, gboolean binary, const gchar *data, gsize len)
{
	g_assert_cmpint(p->type, ==, type);
	g_assert_cmpint(p->binary, ==, binary);
	g_assert_cmpmem(p->data, p->len, data, len);
}

static void
test_frame_types(void)
{
	static const struct {
		const gchar *frame;
		RcEioPacketType type;
		const gchar *data;
	} cases[] = {
	    {"0{\"sid\":\"lv_VI97HAXpY6yYWAAAC\",\"upgrades\":[\"websocket\"],"
	     "\"pingInterval\":25000,\"pingTimeout\":20000,\"maxPayload\":1000000}",
	     RC_EIO_PACKET_OPEN,
	     "{\"sid\":\"lv_VI97HAXpY6yYWAAAC\",\"upgrades\":[\"websocket\"],"
	     "\"pingInterval\":25000,\"pingTimeout\":20000,\"maxPayload\":1000000}"},
	    {"1", RC_EIO_PACKET_CLOSE, ""},
	    {"2", RC_EIO_PACKET_PING, ""},
	    {"2probe", RC_EIO_PACKET_PING, "probe"},
	    {"3", RC_EIO_PACKET_PONG, ""},
	    {"3probe", RC_EIO_PACKET_PONG, "probe"},
	    {"4hello", RC_EIO_PACKET_MESSAGE, "hello"},
	    {"4", RC_EIO_PACKET_MESSAGE, ""},
	    {"42/chat,0[\"join\",\"room1\"]",
	     RC_EIO_PACKET_MESSAGE,
	     "2/chat,0[\"join\",\"room1\"]"},
	    {"4h\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80",
	     RC_EIO_PACKET_MESSAGE,
	     "h\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80"},
	    {"5", RC_EIO_PACKET_UPGRADE, ""},
	    {"6", RC_EIO_PACKET_NOOP, ""},
	};

	for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
		g_autoptr(GError) error = NULL;
		RcEioPacket p = {0};
		gboolean ok = rc_eio_packet_parse_frame(
		    cases[i].frame, strlen(cases[i].frame), FALSE, &p, &error);
		g_assert_no_error(error);
		g_assert_true(ok);
		assert_packet(&p, cases[i].type, FALSE, cases[i].data, strlen(cases[i].data));
		/* a view into the frame, not a copy */
		g_assert_true(p.data == cases[i].frame + 1);
	}
}

static void
test_frame_binary(void)
{
	static const gchar raw[] = "\x00\x01\x1e\xff\x34";
	static const gchar b64[] = "bAQIDBA==";
	g_autoptr(GError) error = NULL;
	RcEioPacket p = {0};

	/* a binary frame is a message whatever its first byte */
	g_assert_true(rc_eio_packet_parse_frame(raw, LEN(raw), TRUE, &p, &error));
	g_assert_no_error(error);
	assert_packet(&p, RC_EIO_PACKET_MESSAGE, TRUE, raw, LEN(raw));
	g_assert_true(rc_eio_packet_parse_frame("", 0, TRUE, &p, &error));
	assert_packet(&p, RC_EIO_PACKET_MESSAGE, TRUE, "", 0);

	/* the base64 form, from a polling body or a text frame */
	g_assert_true(rc_eio_packet_parse_frame(b64, LEN(b64), FALSE, &p, &error));
	g_assert_no_error(error);
	assert_packet(&p, RC_EIO_PACKET_MESSAGE, TRUE, "AQIDBA==", 8);
	g_assert_true(rc_eio_packet_parse_frame("b", 1, FALSE, &p, &error));
	assert_packet(&p, RC_EIO_PACKET_MESSAGE, TRUE, "", 0);
	g_assert_true(rc_eio_packet_parse_frame("bAQID", 5, FALSE, &p, &error));
	assert_packet(&p, RC_EIO_PACKET_MESSAGE, TRUE, "AQID", 4);
	g_assert_true(rc_eio_packet_parse_frame("bAQ==", 5, FALSE, &p, &error));
	g_assert_true(rc_eio_packet_parse_frame("bAQI=", 5, FALSE, &p, &error));
	g_assert_true(rc_eio_packet_parse_frame("b+/9z", 5, FALSE, &p, &error));
	g_assert_no_error(error);
}

typedef struct {
	const gchar *data;
	gsize len;
	const gchar *message;
} Malformed;

#define M(s, msg)                                                                                  \
	{                                                                                          \
		s, LEN(s), msg                                                                     \
	}

static const Malformed malformed_frames[] = {
    M("", "empty packet"),
    M("7", "packet type must be a digit 0–6 or “b”"),
    M("9x", "packet type must be a digit 0–6 or “b”"),
    M("x", "packet type must be a digit 0–6 or “b”"),
    M("B", "packet type must be a digit 0–6 or “b”"),
    M(" 4hello", "packet type must be a digit 0–6 or “b”"),
    M("/4", "packet type must be a digit 0–6 or “b”"),
    M("0", "open packet without handshake data"),
    M("1x", "“close” packets carry no data"),
    M("5probe", "“upgrade” packets carry no data"),
    M("6 ", "“noop” packets carry no data"),
    M("4\xff", "packet is not valid UTF-8 text"),
    M("4\xc3", "packet is not valid UTF-8 text"),
    M("4\xc0\xaf", "packet is not valid UTF-8 text"),
    M("4\xed\xa0\x80", "packet is not valid UTF-8 text"),
    M("4\xf4\x90\x80\x80", "packet is not valid UTF-8 text"),
    M("4a\0b", "packet is not valid UTF-8 text"),
    M("\0", "packet is not valid UTF-8 text"),
    M("4a\x1e"
      "4b",
      "record separator 0x1e inside a packet"),
    M("2\x1e", "record separator 0x1e inside a packet"),
    M("bAQI", "binary packet is not valid padded base64"),
    M("bAQIDB", "binary packet is not valid padded base64"),
    M("bA=QI", "binary packet is not valid padded base64"),
    M("bAQ=I", "binary packet is not valid padded base64"),
    M("bA===", "binary packet is not valid padded base64"),
    M("b====", "binary packet is not valid padded base64"),
    M("bAQ-_", "binary packet is not valid padded base64"),
    M("bAQI D", "binary packet is not valid padded base64"),
    M("bAQID\n", "binary packet is not valid padded base64"),
};

static void
test_frame_malformed(void)
{
	for (guint i = 0; i < G_N_ELEMENTS(malformed_frames); i++) {
		g_autoptr(GError) error = NULL;
		RcEioPacket p = {0};
		g_test_message("frame %u", i);
		g_assert_false(rc_eio_packet_parse_frame(
		    malformed_frames[i].data, malformed_frames[i].len, FALSE, &p, &error));
		g_assert_error(error, RC_EIO_ERROR, RC_EIO_ERROR_MALFORMED);
		g_assert_cmpstr(error->message, ==, malformed_frames[i].message);
	}
}

static GArray *
parse_payload(const gchar *data, gsize len, GError **error)
{
	return rc_eio_payload_parse(data, len, 1000000, 64, error);
}

static void
test_payload_examples(void)
{
	/* the two examples of the protocol document */
	static const gchar ex1[] = "4hello\x1e"
				   "2\x1e"
				   "4world";
	static const gchar ex2[] = "4hello\x1e"
				   "bAQIDBA==";
	/* bodies socket.io-client 4.8 POSTed: the CONNECT with auth, two packets, and a
	 * binary event with its attachment */
	static const gchar connect[] = "40/chat,{\"sender\":\"alice\"}";
	static const gchar batch[] = "42/chat,[\"m\",\"xxx\"]\x1e"
				     "42/chat,[\"m\",\"yyy\"]";
	static const gchar bin[] = "42/chat,1[\"join\",\"b\"]\x1e"
				   "451-/chat,[\"bin\",\"t\",{\"_placeholder\":true,\"num\":0}]\x1e"
				   "bAQIDBA==";
	g_autoptr(GError) error = NULL;
	g_autoptr(GArray) a = NULL;

	a = parse_payload(ex1, LEN(ex1), &error);
	g_assert_no_error(error);
	g_assert_cmpuint(a->len, ==, 3);
	assert_packet(&g_array_index(a, RcEioPacket, 0), RC_EIO_PACKET_MESSAGE, FALSE, "hello", 5);
	assert_packet(&g_array_index(a, RcEioPacket, 1), RC_EIO_PACKET_PING, FALSE, "", 0);
	assert_packet(&g_array_index(a, RcEioPacket, 2), RC_EIO_PACKET_MESSAGE, FALSE, "world", 5);
	g_clear_pointer(&a, g_array_unref);

	a = parse_payload(ex2, LEN(ex2), &error);
	g_assert_no_error(error);
	g_assert_cmpuint(a->len, ==, 2);
	assert_packet(&g_array_index(a, RcEioPacket, 0), RC_EIO_PACKET_MESSAGE, FALSE, "hello", 5);
	assert_packet(
	    &g_array_index(a, RcEioPacket, 1), RC_EIO_PACKET_MESSAGE, TRUE, "AQIDBA==", 8);
	g_clear_pointer(&a, g_array_unref);

	a = parse_payload(connect, LEN(connect), &error);
	g_assert_no_error(error);
	g_assert_cmpuint(a->len, ==, 1);
	assert_packet(&g_array_index(a, RcEioPacket, 0),
		      RC_EIO_PACKET_MESSAGE,
		      FALSE,
		      connect + 1,
		      LEN(connect) - 1);
	g_clear_pointer(&a, g_array_unref);

	a = parse_payload(batch, LEN(batch), &error);
	g_assert_no_error(error);
	g_assert_cmpuint(a->len, ==, 2);
	assert_packet(&g_array_index(a, RcEioPacket, 1),
		      RC_EIO_PACKET_MESSAGE,
		      FALSE,
		      "2/chat,[\"m\",\"yyy\"]",
		      LEN("2/chat,[\"m\",\"yyy\"]"));
	g_clear_pointer(&a, g_array_unref);

	a = parse_payload(bin, LEN(bin), &error);
	g_assert_no_error(error);
	g_assert_cmpuint(a->len, ==, 3);
	g_assert_false(g_array_index(a, RcEioPacket, 0).binary);
	assert_packet(&g_array_index(a, RcEioPacket, 1),
		      RC_EIO_PACKET_MESSAGE,
		      FALSE,
		      "51-/chat,[\"bin\",\"t\",{\"_placeholder\":true,\"num\":0}]",
		      LEN("51-/chat,[\"bin\",\"t\",{\"_placeholder\":true,\"num\":0}]"));
	assert_packet(
	    &g_array_index(a, RcEioPacket, 2), RC_EIO_PACKET_MESSAGE, TRUE, "AQIDBA==", 8);
	g_clear_pointer(&a, g_array_unref);

	/* the client's pong and close over polling */
	a = parse_payload("3", 1, &error);
	g_assert_no_error(error);
	assert_packet(&g_array_index(a, RcEioPacket, 0), RC_EIO_PACKET_PONG, FALSE, "", 0);
	g_clear_pointer(&a, g_array_unref);
	a = parse_payload("1", 1, &error);
	g_assert_no_error(error);
	assert_packet(&g_array_index(a, RcEioPacket, 0), RC_EIO_PACKET_CLOSE, FALSE, "", 0);
}

static const Malformed malformed_payloads[] = {
    M("", "empty payload"),
    M("\x1e", "packet 1 of the payload: empty packet"),
    M("\x1e\x1e", "packet 1 of the payload: empty packet"),
    M("\x1e"
      "4a",
      "packet 1 of the payload: empty packet"),
    M("4a\x1e", "packet 2 of the payload: empty packet"),
    M("4a\x1e\x1e"
      "4b",
      "packet 2 of the payload: empty packet"),
    M("4a\x1ex", "packet 2 of the payload: packet type must be a digit 0–6 or “b”"),
    M("4a\x1e"
      "4\xff",
      "packet 2 of the payload: packet is not valid UTF-8 text"),
    M("4a\x1e"
      "4b\0",
      "packet 2 of the payload: packet is not valid UTF-8 text"),
    M("4\xe2\x82\x1e"
      "4",
      "packet 1 of the payload: packet is not valid UTF-8 text"),
    M("2\x1e"
      "1x\x1e"
      "3",
      "packet 2 of the payload: “close” packets carry no data"),
    M("4a\x1e"
      "bAQI",
      "packet 2 of the payload: binary packet is not valid padded base64"),
    M("4a\x1e"
      "0",
      "packet 2 of the payload: open packet without handshake data"),
    /* the counted-length framing of protocol 3 is not understood */
    M("6:4hello", "packet 1 of the payload: “noop” packets carry no data"),
};

static void
test_payload_malformed(void)
{
	for (guint i = 0; i < G_N_ELEMENTS(malformed_payloads); i++) {
		g_autoptr(GError) error = NULL;
		g_autoptr(GArray) a = NULL;
		g_test_message("payload %u", i);
		a = parse_payload(malformed_payloads[i].data, malformed_payloads[i].len, &error);
		g_assert_null(a);
		g_assert_error(error, RC_EIO_ERROR, RC_EIO_ERROR_MALFORMED);
		g_assert_cmpstr(error->message, ==, malformed_payloads[i].message);
	}
}

static void
test_payload_limits(void)
{
	static const gchar three[] = "2\x1e"
				     "3\x1e"
				     "4x";
	g_autoptr(GError) error = NULL;
	g_autoptr(GArray) a = NULL;
	g_autofree gchar *flood = NULL;
	g_autofree gchar *big = NULL;

	/* the size limit is inclusive */
	a = rc_eio_payload_parse(three, LEN(three), LEN(three), 3, &error);
	g_assert_no_error(error);
	g_assert_cmpuint(a->len, ==, 3);
	g_clear_pointer(&a, g_array_unref);
	a = rc_eio_payload_parse(three, LEN(three), LEN(three) - 1, 3, &error);
	g_assert_null(a);
	g_assert_error(error, RC_EIO_ERROR, RC_EIO_ERROR_TOO_LARGE);
	g_assert_cmpstr(error->message, ==, "payload of 6 bytes is over the limit of 5");
	g_clear_error(&error);

	/* so is the packet count */
	a = rc_eio_payload_parse(three, LEN(three), 100, 2, &error);
	g_assert_null(a);
	g_assert_error(error, RC_EIO_ERROR, RC_EIO_ERROR_TOO_MANY_PACKETS);
	g_assert_cmpstr(error->message, ==, "payload has more than 2 packets");
	g_clear_error(&error);
	a = rc_eio_payload_parse("2", 1, 100, 0, &error);
	g_assert_null(a);
	g_assert_error(error, RC_EIO_ERROR, RC_EIO_ERROR_TOO_MANY_PACKETS);
	g_clear_error(&error);

	/* a body of separators is refused for its count, not read packet by packet */
	flood = g_strnfill(100000, RC_EIO_RECORD_SEPARATOR);
	a = rc_eio_payload_parse(flood, 100000, 1000000, 16, &error);
	g_assert_null(a);
	g_assert_error(error, RC_EIO_ERROR, RC_EIO_ERROR_TOO_MANY_PACKETS);
	g_clear_error(&error);

	/* the size is checked before anything else, even before emptiness */
	big = g_strnfill(2000, 'x');
	a = rc_eio_payload_parse(big, 2000, 1999, 16, &error);
	g_assert_error(error, RC_EIO_ERROR, RC_EIO_ERROR_TOO_LARGE);
	g_clear_error(&error);
	a = rc_eio_payload_parse("", 0, 0, 16, &error);
	g_assert_error(error, RC_EIO_ERROR, RC_EIO_ERROR_MALFORMED);
	g_clear_error(&error);

	/* a single large message under the limit is fine */
	big[0] = '4';
	a = rc_eio_payload_parse(big, 2000, 2000, 1, &error);
	g_assert_no_error(error);
	g_assert_cmpuint(a->len, ==, 1);
	g_assert_cmpuint(g_array_index(a, RcEioPacket, 0).len, ==, 1999);
}

static void
assert_bytes(GBytes *bytes, const gchar *expected, gsize len)
{
	g_assert_nonnull(bytes);
	g_assert_cmpmem(g_bytes_get_data(bytes, NULL), g_bytes_get_size(bytes), expected, len);
}

static void
test_encode_packets(void)
{
	static const struct {
		RcEioPacketType type;
		const gchar *data;
		const gchar *encoded;
	} cases[] = {
	    {RC_EIO_PACKET_OPEN, "{\"sid\":\"x\"}", "0{\"sid\":\"x\"}"},
	    {RC_EIO_PACKET_CLOSE, "", "1"},
	    {RC_EIO_PACKET_PING, "", "2"},
	    {RC_EIO_PACKET_PING, "probe", "2probe"},
	    {RC_EIO_PACKET_PONG, "", "3"},
	    {RC_EIO_PACKET_PONG, "probe", "3probe"},
	    {RC_EIO_PACKET_MESSAGE, "2[\"hey\",\"Jude\"]", "42[\"hey\",\"Jude\"]"},
	    {RC_EIO_PACKET_MESSAGE, "", "4"},
	    {RC_EIO_PACKET_UPGRADE, "", "5"},
	    {RC_EIO_PACKET_NOOP, "", "6"},
	};

	for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
		g_autoptr(GBytes) b =
		    rc_eio_packet_encode(cases[i].type, cases[i].data, strlen(cases[i].data));
		g_autoptr(GError) error = NULL;
		g_autoptr(GArray) a = NULL;
		RcEioPacket p = {0};
		gsize len = 0;
		const gchar *data = g_bytes_get_data(b, &len);

		assert_bytes(b, cases[i].encoded, strlen(cases[i].encoded));
		/* and back, as a frame and as a polling body */
		g_assert_true(rc_eio_packet_parse_frame(data, len, FALSE, &p, &error));
		g_assert_no_error(error);
		assert_packet(&p, cases[i].type, FALSE, cases[i].data, strlen(cases[i].data));
		a = parse_payload(data, len, &error);
		g_assert_no_error(error);
		g_assert_cmpuint(a->len, ==, 1);
		assert_packet(&g_array_index(a, RcEioPacket, 0),
			      cases[i].type,
			      FALSE,
			      cases[i].data,
			      strlen(cases[i].data));
	}
	/* a NULL data of length 0 is an empty one */
	{
		g_autoptr(GBytes) b = rc_eio_packet_encode(RC_EIO_PACKET_NOOP, NULL, 0);
		assert_bytes(b, "6", 1);
	}
}

/* the HTTP error bodies: the reference server's words, and what was wrong */
static void
test_encode_http_error(void)
{
	g_autoptr(GBytes) unknown = rc_eio_build_http_error(RC_EIO_HTTP_UNKNOWN_TRANSPORT, NULL);
	g_autoptr(GBytes) sid = rc_eio_build_http_error(RC_EIO_HTTP_UNKNOWN_SID, NULL);
	g_autoptr(GBytes) method = rc_eio_build_http_error(RC_EIO_HTTP_BAD_HANDSHAKE_METHOD, NULL);
	g_autoptr(GBytes) version =
	    rc_eio_build_http_error(RC_EIO_HTTP_UNSUPPORTED_PROTOCOL_VERSION, NULL);
	g_autoptr(GBytes) detail =
	    rc_eio_build_http_error(RC_EIO_HTTP_BAD_REQUEST, "a \"quoted\"\nline");
	static const gchar unknown_expected[] = "{\"code\":0,\"message\":\"Transport unknown\"}";
	static const gchar sid_expected[] = "{\"code\":1,\"message\":\"Session ID unknown\"}";
	static const gchar method_expected[] = "{\"code\":2,\"message\":\"Bad handshake method\"}";
	static const gchar version_expected[] =
	    "{\"code\":5,\"message\":\"Unsupported protocol version\"}";
	static const gchar detail_expected[] =
	    "{\"code\":3,\"message\":\"Bad request\",\"detail\":\"a \\\"quoted\\\"\\nline\"}";

	assert_bytes(unknown, unknown_expected, LEN(unknown_expected));
	assert_bytes(sid, sid_expected, LEN(sid_expected));
	assert_bytes(method, method_expected, LEN(method_expected));
	assert_bytes(version, version_expected, LEN(version_expected));
	assert_bytes(detail, detail_expected, LEN(detail_expected));
}

static void
test_encode_open(void)
{
	g_autoptr(GBytes) polling =
	    rc_eio_packet_build_open("sNA9kpWTc6GDpb78AAAA", TRUE, 25000, 20000, 1000000);
	g_autoptr(GBytes) ws =
	    rc_eio_packet_build_open("1pSkqxG4l048mtmDAAAA", FALSE, 25000, 20000, 1000000);
	g_autoptr(GBytes) odd = rc_eio_packet_build_open("a\"b\\c", FALSE, 1, 2, G_MAXUINT64);
	g_autoptr(JsonParser) parser = json_parser_new();
	g_autoptr(GError) error = NULL;
	JsonObject *o;

	/* byte for byte what a socket.io 4.8 server sends, for polling and for websocket */
	static const gchar polling_expected[] = "0{\"sid\":\"sNA9kpWTc6GDpb78AAAA\",\"upgrades\":["
						"\"websocket\"],\"pingInterval\":25000,"
						"\"pingTimeout\":20000,\"maxPayload\":1000000}";
	static const gchar ws_expected[] =
	    "0{\"sid\":\"1pSkqxG4l048mtmDAAAA\",\"upgrades\":[],\"pingInterval\":25000,"
	    "\"pingTimeout\":20000,\"maxPayload\":1000000}";
	assert_bytes(polling, polling_expected, LEN(polling_expected));
	assert_bytes(ws, ws_expected, LEN(ws_expected));

	/* the sid is escaped and the handshake is JSON */
	g_assert_true(json_parser_load_from_data(parser,
						 (const gchar *)g_bytes_get_data(odd, NULL) + 1,
						 (gssize)g_bytes_get_size(odd) - 1,
						 &error));
	g_assert_no_error(error);
	o = json_node_get_object(json_parser_get_root(parser));
	g_assert_cmpstr(json_object_get_string_member(o, "sid"), ==, "a\"b\\c");
	g_assert_cmpint(json_object_get_int_member(o, "pingInterval"), ==, 1);
	g_assert_cmpint(json_object_get_int_member(o, "pingTimeout"), ==, 2);
	g_assert_cmpuint(json_array_get_length(json_object_get_array_member(o, "upgrades")), ==, 0);
}

static void
test_encode_payload(void)
{
	GBytes *packets[3];
	g_autoptr(GBytes) one = NULL;
	g_autoptr(GBytes) body = NULL;
	g_autoptr(GArray) a = NULL;
	g_autoptr(GError) error = NULL;
	g_autoptr(GString) s = g_string_new(NULL);
	static const gchar expected[] =
	    "40/chat,{\"sid\":\"x\"}\x1e"
	    "42/chat,[\"MSG_TO_CLIENTS\",{\"sender\":\"bob\",\"text\":\"m0\"}]\x1e"
	    "6";

	packets[0] = rc_eio_packet_encode(RC_EIO_PACKET_MESSAGE, "0/chat,{\"sid\":\"x\"}", 18);
	packets[1] = rc_eio_packet_encode(
	    RC_EIO_PACKET_MESSAGE,
	    "2/chat,[\"MSG_TO_CLIENTS\",{\"sender\":\"bob\",\"text\":\"m0\"}]",
	    LEN("2/chat,[\"MSG_TO_CLIENTS\",{\"sender\":\"bob\",\"text\":\"m0\"}]"));
	packets[2] = rc_eio_packet_encode(RC_EIO_PACKET_NOOP, NULL, 0);

	/* a single packet goes without a separator */
	one = rc_eio_payload_encode(packets, 1);
	assert_bytes(one, "40/chat,{\"sid\":\"x\"}", 19);

	body = rc_eio_payload_encode(packets, 3);
	assert_bytes(body, expected, LEN(expected));
	a = parse_payload(g_bytes_get_data(body, NULL), g_bytes_get_size(body), &error);
	g_assert_no_error(error);
	g_assert_cmpuint(a->len, ==, 3);
	assert_packet(&g_array_index(a, RcEioPacket, 0),
		      RC_EIO_PACKET_MESSAGE,
		      FALSE,
		      "0/chat,{\"sid\":\"x\"}",
		      18);
	assert_packet(&g_array_index(a, RcEioPacket, 2), RC_EIO_PACKET_NOOP, FALSE, "", 0);

	/* the appender builds the same body */
	for (guint i = 0; i < 3; i++)
		rc_eio_payload_append(
		    s, g_bytes_get_data(packets[i], NULL), g_bytes_get_size(packets[i]));
	g_assert_cmpmem(s->str, s->len, expected, LEN(expected));

	for (guint i = 0; i < 3; i++)
		g_bytes_unref(packets[i]);
}

static void
test_type_names(void)
{
	g_assert_cmpstr(rc_eio_packet_type_to_string(RC_EIO_PACKET_OPEN), ==, "open");
	g_assert_cmpstr(rc_eio_packet_type_to_string(RC_EIO_PACKET_NOOP), ==, "noop");
	g_assert_cmpstr(rc_eio_packet_type_to_string((RcEioPacketType)7), ==, "unknown");
}

/* misuse by the caller is a critical, not a malformed wire */
static void
test_encode_misuse(void)
{
	if (g_test_subprocess()) {
		g_autoptr(GString) s = g_string_new(NULL);
		switch (g_test_get_path()[strlen(g_test_get_path()) - 1]) {
		case '1':
			rc_eio_payload_append(s,
					      "4a\x1e"
					      "4b",
					      5);
			break;
		case '2':
			rc_eio_packet_append(s, RC_EIO_PACKET_CLOSE, "x", 1);
			break;
		default:
			g_bytes_unref(rc_eio_packet_encode((RcEioPacketType)7, NULL, 0));
			break;
		}
		return;
	}
	g_test_trap_subprocess(NULL, 0, G_TEST_SUBPROCESS_DEFAULT);
	g_test_trap_assert_failed();
	g_test_trap_assert_stderr("*CRITICAL*");
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/eio/frame/types", test_frame_types);
	g_test_add_func("/eio/frame/binary", test_frame_binary);
	g_test_add_func("/eio/frame/malformed", test_frame_malformed);
	g_test_add_func("/eio/payload/examples", test_payload_examples);
	g_test_add_func("/eio/payload/malformed", test_payload_malformed);
	g_test_add_func("/eio/payload/limits", test_payload_limits);
	g_test_add_func("/eio/encode/packets", test_encode_packets);
	g_test_add_func("/eio/encode/open", test_encode_open);
	g_test_add_func("/eio/encode/http-error", test_encode_http_error);
	g_test_add_func("/eio/encode/payload", test_encode_payload);
	g_test_add_func("/eio/encode/type-names", test_type_names);
	g_test_add_func("/eio/encode/misuse/1", test_encode_misuse);
	g_test_add_func("/eio/encode/misuse/2", test_encode_misuse);
	g_test_add_func("/eio/encode/misuse/3", test_encode_misuse);
	return g_test_run();
}
