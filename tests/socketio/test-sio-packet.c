/*
 * Copyright 2026 roomcast developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The Socket.IO packet codec: every packet type both ways, the examples of the
 * protocol document and of its test suite, what a real socket.io 4.8 server and
 * client put on the wire, every malformed form, the limits, and round trips.
 */
#define G_LOG_DOMAIN "RcTestSioPacket"

#include "config.h"

#include <string.h>

#include "socketio/rc-eio-packet.h"
#include "socketio/rc-sio-packet.h"

#define LEN(s) (sizeof(s) - 1)
#define MAX_BYTES 4096
#define MAX_DEPTH 8

static gboolean
parse(const gchar *text, RcSioPacket *p, GError **error)
{
	return rc_sio_packet_parse(text, strlen(text), MAX_BYTES, MAX_DEPTH, p, error);
}

static gchar *
data_to_string(const RcSioPacket *p)
{
	if (p->data == NULL)
		return NULL;
	return json_to_string(p->data, FALSE);
}

typedef struct {
	const gchar *text;
	RcSioPacketType type;
	const gchar *nsp;
	gint64 ack_id;
	const gchar *data; /* as json-glib writes it back; NULL for none */
	const gchar *event;
} Valid;

static const Valid valid_packets[] = {
    /* the examples of the protocol document */
    {"0", RC_SIO_PACKET_CONNECT, "/", -1, NULL, NULL},
    {"0/admin,{\"sid\":\"oSO0OpakMV_3jnilAAAA\"}",
     RC_SIO_PACKET_CONNECT,
     "/admin",
     -1,
     "{\"sid\":\"oSO0OpakMV_3jnilAAAA\"}",
     NULL},
    {"4{\"message\":\"Not authorized\"}",
     RC_SIO_PACKET_CONNECT_ERROR,
     "/",
     -1,
     "{\"message\":\"Not authorized\"}",
     NULL},
    {"2[\"foo\"]", RC_SIO_PACKET_EVENT, "/", -1, "[\"foo\"]", "foo"},
    {"2/admin,[\"bar\"]", RC_SIO_PACKET_EVENT, "/admin", -1, "[\"bar\"]", "bar"},
    {"212[\"foo\"]", RC_SIO_PACKET_EVENT, "/", 12, "[\"foo\"]", "foo"},
    {"3/admin,13[\"bar\"]", RC_SIO_PACKET_ACK, "/admin", 13, "[\"bar\"]", NULL},
    {"312[]", RC_SIO_PACKET_ACK, "/", 12, "[]", NULL},
    {"1", RC_SIO_PACKET_DISCONNECT, "/", -1, NULL, NULL},
    {"1/admin,", RC_SIO_PACKET_DISCONNECT, "/admin", -1, NULL, NULL},
    {"2[\"hey\",\"Jude\"]", RC_SIO_PACKET_EVENT, "/", -1, "[\"hey\",\"Jude\"]", "hey"},
    {"2/admin,1[\"tellme\"]", RC_SIO_PACKET_EVENT, "/admin", 1, "[\"tellme\"]", "tellme"},
    /* what a client takes from its URL path, for the caller to refuse cleanly */
    {"0/no spaces,", RC_SIO_PACKET_CONNECT, "/no spaces", -1, NULL, NULL},
    {"2/caf\xc3\xa9,[\"a\"]", RC_SIO_PACKET_EVENT, "/caf\xc3\xa9", -1, "[\"a\"]", "a"},
    /* the protocol's test suite, which also leaves out the comma after a namespace
     * that ends the packet */
    {"0{\"token\":\"123\"}", RC_SIO_PACKET_CONNECT, "/", -1, "{\"token\":\"123\"}", NULL},
    {"0/custom,", RC_SIO_PACKET_CONNECT, "/custom", -1, NULL, NULL},
    {"0/custom", RC_SIO_PACKET_CONNECT, "/custom", -1, NULL, NULL},
    {"0/custom,{\"token\":\"abc\"}",
     RC_SIO_PACKET_CONNECT,
     "/custom",
     -1,
     "{\"token\":\"abc\"}",
     NULL},
    {"1/custom", RC_SIO_PACKET_DISCONNECT, "/custom", -1, NULL, NULL},
    {"2[\"message\",1,\"2\",{\"3\":[true]}]",
     RC_SIO_PACKET_EVENT,
     "/",
     -1,
     "[\"message\",1,\"2\",{\"3\":[true]}]",
     "message"},
    {"2456[\"message-with-ack\",1,\"2\",{\"3\":[false]}]",
     RC_SIO_PACKET_EVENT,
     "/",
     456,
     "[\"message-with-ack\",1,\"2\",{\"3\":[false]}]",
     "message-with-ack"},
    {"3456[1,\"2\",{\"3\":[false]}]",
     RC_SIO_PACKET_ACK,
     "/",
     456,
     "[1,\"2\",{\"3\":[false]}]",
     NULL},
    {"4/random,{\"message\":\"Invalid namespace\"}",
     RC_SIO_PACKET_CONNECT_ERROR,
     "/random",
     -1,
     "{\"message\":\"Invalid namespace\"}",
     NULL},
    /* what socket.io-client 4.8 sent to a socket.io 4.8 server, and its replies */
    {"0/chat,{\"sender\":\"alice\"}",
     RC_SIO_PACKET_CONNECT,
     "/chat",
     -1,
     "{\"sender\":\"alice\"}",
     NULL},
    {"0/chat,{\"sid\":\"-TXHEurF_R2z6Y3VAAAA\"}",
     RC_SIO_PACKET_CONNECT,
     "/chat",
     -1,
     "{\"sid\":\"-TXHEurF_R2z6Y3VAAAA\"}",
     NULL},
    {"2/chat,0[\"join\",\"room1\"]",
     RC_SIO_PACKET_EVENT,
     "/chat",
     0,
     "[\"join\",\"room1\"]",
     "join"},
    {"2/chat,[\"noack\",\"x\",1]",
     RC_SIO_PACKET_EVENT,
     "/chat",
     -1,
     "[\"noack\",\"x\",1]",
     "noack"},
    {"2/chat,1[\"join\",\"room2\",{\"history\":10}]",
     RC_SIO_PACKET_EVENT,
     "/chat",
     1,
     "[\"join\",\"room2\",{\"history\":10}]",
     "join"},
    {"3/chat,0[{\"joined\":true,\"epoch\":\"e1\",\"offset\":0}]",
     RC_SIO_PACKET_ACK,
     "/chat",
     0,
     "[{\"joined\":true,\"epoch\":\"e1\",\"offset\":0}]",
     NULL},
    {"4/chat,{\"message\":\"forbidden\",\"data\":{\"code\":\"forbidden\",\"detail\":\"go away\"}}",
     RC_SIO_PACKET_CONNECT_ERROR,
     "/chat",
     -1,
     "{\"message\":\"forbidden\",\"data\":{\"code\":\"forbidden\",\"detail\":\"go away\"}}",
     NULL},
    {"1/chat,", RC_SIO_PACKET_DISCONNECT, "/chat", -1, NULL, NULL},
    /* edges that are still well-formed */
    {"0{}", RC_SIO_PACKET_CONNECT, "/", -1, "{}", NULL},
    {"2/a/b.c-d_e~1,[\"x\"]", RC_SIO_PACKET_EVENT, "/a/b.c-d_e~1", -1, "[\"x\"]", "x"},
    {"2/chat7,7[\"x\"]", RC_SIO_PACKET_EVENT, "/chat7", 7, "[\"x\"]", "x"},
    {"29007199254740991[\"x\"]",
     RC_SIO_PACKET_EVENT,
     "/",
     G_GINT64_CONSTANT(9007199254740991),
     "[\"x\"]",
     "x"},
    {"2[\"\"]", RC_SIO_PACKET_EVENT, "/", -1, "[\"\"]", ""},
    {"2[\"Connect\"]", RC_SIO_PACKET_EVENT, "/", -1, "[\"Connect\"]", "Connect"},
    {"2[\"error\",{\"code\":\"x\"}]",
     RC_SIO_PACKET_EVENT,
     "/",
     -1,
     "[\"error\",{\"code\":\"x\"}]",
     "error"},
    {"2[\"x\"] \n", RC_SIO_PACKET_EVENT, "/", -1, "[\"x\"]", "x"},
    {"2[ \"x\" , 1 ]", RC_SIO_PACKET_EVENT, "/", -1, "[\"x\",1]", "x"},
    {"2[\"x\",null,true,false,-1,0,{},[]]",
     RC_SIO_PACKET_EVENT,
     "/",
     -1,
     "[\"x\",null,true,false,-1,0,{},[]]",
     "x"},
    {"2[\"x\",9223372036854775807,-9223372036854775808]",
     RC_SIO_PACKET_EVENT,
     "/",
     -1,
     "[\"x\",9223372036854775807,-9223372036854775808]",
     "x"},
};

static void
test_parse_valid(void)
{
	for (guint i = 0; i < G_N_ELEMENTS(valid_packets); i++) {
		const Valid *v = &valid_packets[i];
		g_auto(RcSioPacket) p = {0};
		g_autoptr(GError) error = NULL;
		g_autofree gchar *data = NULL;

		g_test_message("packet %u: %s", i, v->text);
		g_assert_true(parse(v->text, &p, &error));
		g_assert_no_error(error);
		g_assert_cmpint(p.type, ==, v->type);
		g_assert_cmpstr(p.nsp, ==, v->nsp);
		g_assert_cmpint(p.ack_id, ==, v->ack_id);
		g_assert_cmpuint(p.attachments, ==, 0);
		data = data_to_string(&p);
		g_assert_cmpstr(data, ==, v->data);
		g_assert_cmpstr(p.event, ==, v->event);
		if (v->type == RC_SIO_PACKET_EVENT || v->type == RC_SIO_PACKET_ACK)
			g_assert_true(JSON_NODE_HOLDS_ARRAY(p.data));
	}
}

static void
test_parse_reuse(void)
{
	g_auto(RcSioPacket) p = {0};
	g_autoptr(GError) error = NULL;

	/* a second parse into the same struct drops what the first left */
	g_assert_true(parse("2/chat,5[\"join\",\"a\"]", &p, &error));
	g_assert_true(parse("1", &p, &error));
	g_assert_no_error(error);
	g_assert_cmpint(p.type, ==, RC_SIO_PACKET_DISCONNECT);
	g_assert_cmpstr(p.nsp, ==, "/");
	g_assert_cmpint(p.ack_id, ==, RC_SIO_NO_ACK_ID);
	g_assert_null(p.data);
	g_assert_null(p.event);
	/* so does a failed one */
	g_assert_true(parse("2/chat,5[\"join\",\"a\"]", &p, &error));
	g_assert_false(parse("2/chat,5[\"join\",]", &p, &error));
	g_assert_error(error, RC_SIO_ERROR, RC_SIO_ERROR_MALFORMED);
	g_assert_null(p.event);
}

static void
test_parse_unicode(void)
{
	g_auto(RcSioPacket) p = {0};
	g_autoptr(GError) error = NULL;
	JsonObject *o;

	/* what the client sent for {roomCode:"room1", text:"hi é€ 😀"} */
	g_assert_true(
	    parse("2/chat,2[\"send\",{\"roomCode\":\"room1\",\"text\":\"hi \xc3\xa9\xe2\x82\xac "
		  "\xf0\x9f\x98\x80\"}]",
		  &p,
		  &error));
	g_assert_no_error(error);
	g_assert_cmpstr(p.event, ==, "send");
	o = json_array_get_object_element(json_node_get_array(p.data), 1);
	g_assert_cmpstr(json_object_get_string_member(o, "text"),
			==,
			"hi \xc3\xa9\xe2\x82\xac \xf0\x9f\x98\x80");

	/* the same characters escaped, a surrogate pair included */
	g_assert_true(
	    parse("2[\"send\",\"\\u00e9\\u20ac\\ud83d\\ude00\\/\\\"\\\\\\n\"]", &p, &error));
	g_assert_no_error(error);
	g_assert_cmpstr(json_array_get_string_element(json_node_get_array(p.data), 1),
			==,
			"\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80/\"\\\n");

	/* a non-ASCII event name */
	g_assert_true(parse("2[\"\xc3\xa9v\xc3\xa9nement\"]", &p, &error));
	g_assert_cmpstr(p.event, ==, "\xc3\xa9v\xc3\xa9nement");
}

static void
test_parse_numbers(void)
{
	g_auto(RcSioPacket) p = {0};
	g_autoptr(GError) error = NULL;
	JsonObject *o;

	/* integers json-glib keeps exactly, beyond what a double holds */
	g_assert_true(parse(
	    "2[\"join\",\"a\",{\"since\":9007199254740993,\"neg\":-12,\"f\":1.5e3,\"g\":-0.25,"
	    "\"tiny\":1e-400}]",
	    &p,
	    &error));
	g_assert_no_error(error);
	o = json_array_get_object_element(json_node_get_array(p.data), 2);
	g_assert_cmpint(
	    json_object_get_int_member(o, "since"), ==, G_GINT64_CONSTANT(9007199254740993));
	g_assert_cmpint(json_object_get_int_member(o, "neg"), ==, -12);
	g_assert_cmpfloat(json_object_get_double_member(o, "f"), ==, 1500.0);
	g_assert_cmpfloat(json_object_get_double_member(o, "g"), ==, -0.25);
	g_assert_cmpfloat(json_object_get_double_member(o, "tiny"), ==, 0.0);
}

typedef struct {
	const gchar *text;
	gsize len; /* 0: strlen */
	const gchar *message;
} Malformed;

static const Malformed malformed_packets[] = {
    /* framing */
    {"", 0, "empty packet"},
    {"7", 0, "packet type must be a digit 0–6"},
    {"9[\"a\"]", 0, "packet type must be a digit 0–6"},
    {"abc", 0, "packet type must be a digit 0–6"},
    {"-1", 0, "packet type must be a digit 0–6"},
    {" 2[\"a\"]", 0, "packet type must be a digit 0–6"},
    {"[\"a\"]", 0, "packet type must be a digit 0–6"},
    /* namespace */
    {"2/chat[\"a\"]", 0, "the namespace must be followed by “,”"},
    {"0/chat{\"token\":1}", 0, "the namespace must be followed by “,”"},
    {"2/chat5[\"a\"]", 0, "the namespace must be followed by “,”"},
    {"2/,[\"a\"]", 0, "the main namespace “/” is never written out"},
    {"0/", 0, "the main namespace “/” is never written out"},
    {"2/ch\"at,[\"a\"]", 0, "invalid character in the namespace"},
    {"2/ch]at,[\"a\"]", 0, "invalid character in the namespace"},
    {"2/ch}at,[\"a\"]", 0, "invalid character in the namespace"},
    {"2/ch\tat,[\"a\"]", 0, "invalid character in the namespace"},
    {"2/chat\x7f,[\"a\"]", 0, "invalid character in the namespace"},
    /* ack ids */
    {"2abc[\"message-with-ack\",1,\"2\",{\"3\":[false]}]",
     0,
     "EVENT data must be a JSON array of the event name and arguments"},
    {"212x", 0, "EVENT data must be a JSON array of the event name and arguments"},
    {"201[\"a\"]", 0, "ack id with a leading zero"},
    {"2/chat,00[\"a\"]", 0, "ack id with a leading zero"},
    {"29007199254740992[\"a\"]", 0, "ack id out of range: at most 2^53 - 1"},
    {"218446744073709551616[\"a\"]", 0, "ack id out of range: at most 2^53 - 1"},
    {"299999999999999999999999999999[\"a\"]", 0, "ack id out of range: at most 2^53 - 1"},
    {"3[\"a\"]", 0, "ACK packets need an ack id"},
    {"3/chat,[]", 0, "ACK packets need an ack id"},
    {"01", 0, "CONNECT packets have no ack id"},
    {"0/chat,1{}", 0, "CONNECT packets have no ack id"},
    {"11", 0, "DISCONNECT packets have no ack id"},
    {"41{\"message\":\"x\"}", 0, "CONNECT_ERROR packets have no ack id"},
    /* data of the wrong shape */
    {"2", 0, "EVENT data must be a JSON array of the event name and arguments"},
    {"2/chat,", 0, "EVENT data must be a JSON array of the event name and arguments"},
    {"2{}", 0, "EVENT data must be a JSON array of the event name and arguments"},
    {"2\"a\"", 0, "EVENT data must be a JSON array of the event name and arguments"},
    {"2 [\"a\"]", 0, "EVENT data must be a JSON array of the event name and arguments"},
    {"2[]", 0, "an EVENT array needs the event name first"},
    {"2[ ]", 0, "an EVENT array needs the event name first"},
    {"2[1]", 0, "the event name must be a string"},
    {"2[null]", 0, "the event name must be a string"},
    {"2[[\"a\"]]", 0, "the event name must be a string"},
    {"2[{\"a\":1}]", 0, "the event name must be a string"},
    {"2[\"connect\"]", 0, "“connect” is a reserved event name"},
    {"2[\"connect_error\"]", 0, "“connect_error” is a reserved event name"},
    {"2[\"disconnect\"]", 0, "“disconnect” is a reserved event name"},
    {"2[\"disconnecting\"]", 0, "“disconnecting” is a reserved event name"},
    {"2[\"newListener\"]", 0, "“newListener” is a reserved event name"},
    {"2/chat,[\"removeListener\",1]", 0, "“removeListener” is a reserved event name"},
    {"312", 0, "ACK data must be a JSON array"},
    {"312{}", 0, "ACK data must be a JSON array"},
    {"312\"x\"", 0, "ACK data must be a JSON array"},
    {"0[]", 0, "CONNECT data must be a JSON object"},
    {"0\"token\"", 0, "CONNECT data must be a JSON object"},
    {"0/chat,[]", 0, "CONNECT data must be a JSON object"},
    {"1{}", 0, "DISCONNECT packets carry no data"},
    {"1/chat,{}", 0, "DISCONNECT packets carry no data"},
    {"1/chat,x", 0, "DISCONNECT packets carry no data"},
    {"4", 0, "CONNECT_ERROR data must be a JSON object"},
    {"4\"Not authorized\"", 0, "CONNECT_ERROR data must be a JSON object"},
    {"4/chat,", 0, "CONNECT_ERROR data must be a JSON object"},
    /* binary types, up to where they are refused */
    {"5", 0, "a binary packet starts with its attachment count, 1–10, and “-”"},
    {"5-[\"a\"]", 0, "a binary packet starts with its attachment count, 1–10, and “-”"},
    {"50-[\"a\"]", 0, "a binary packet starts with its attachment count, 1–10, and “-”"},
    {"501-[\"a\"]", 0, "a binary packet starts with its attachment count, 1–10, and “-”"},
    {"511-[\"a\"]", 0, "a binary packet starts with its attachment count, 1–10, and “-”"},
    {"51[\"a\"]", 0, "a binary packet starts with its attachment count, 1–10, and “-”"},
    {"51", 0, "a binary packet starts with its attachment count, 1–10, and “-”"},
    {"5x-[\"a\"]", 0, "a binary packet starts with its attachment count, 1–10, and “-”"},
    {"51-", 0, "binary packet data must be a JSON array"},
    {"51-{}", 0, "binary packet data must be a JSON array"},
    {"51-/chat,", 0, "binary packet data must be a JSON array"},
    {"51-/chat[\"a\"]", 0, "the namespace must be followed by “,”"},
    {"61-[\"a\"]", 0, "BINARY_ACK packets need an ack id"},
    {"51-01[\"a\"]", 0, "ack id with a leading zero"},
    /* JSON that json-glib alone would take */
    {"2[\"a\",]", 0, "packet data: malformed JSON at byte 5: expected a value"},
    {"2[\"a\" \"b\"]", 0, "packet data: malformed JSON at byte 5: expected , or ]"},
    {"2['a']", 0, "packet data: malformed JSON at byte 1: expected a value"},
    {"2[\"a\",0x10]", 0, "packet data: malformed JSON at byte 6: expected , or ]"},
    {"2[\"a\",01]", 0, "packet data: malformed JSON at byte 6: expected , or ]"},
    {"2[\"a\",NaN]", 0, "packet data: malformed JSON at byte 5: expected a value"},
    {"2[\"a\",Infinity]", 0, "packet data: malformed JSON at byte 5: expected a value"},
    {"2[\"a\",.5]", 0, "packet data: malformed JSON at byte 5: expected a value"},
    {"2[\"a\",1.]", 0, "packet data: malformed JSON at byte 5: bad number"},
    {"2[\"a\",+1]", 0, "packet data: malformed JSON at byte 5: expected a value"},
    {"2[\"a\",-]", 0, "packet data: malformed JSON at byte 5: bad number"},
    {"2[\"a\",1e]", 0, "packet data: malformed JSON at byte 5: bad number"},
    {"2[\"a\",tru]", 0, "packet data: malformed JSON at byte 5: unexpected word"},
    {"2[\"a\",True]", 0, "packet data: malformed JSON at byte 5: expected a value"},
    {"2[\"a\",{\"k\":1,}]", 0, "packet data: malformed JSON at byte 12: expected a string"},
    {"2[\"a\",{k:1}]", 0, "packet data: malformed JSON at byte 6: expected a string"},
    {"2[\"a\"]/*c*/", 0, "packet data: malformed JSON at byte 5: trailing data"},
    {"2[\"a\"]//c", 0, "packet data: malformed JSON at byte 5: trailing data"},
    {"2[\"a\"][1]", 0, "packet data: malformed JSON at byte 5: trailing data"},
    {"2[\"a\"]x", 0, "packet data: malformed JSON at byte 5: trailing data"},
    {"0{}{}", 0, "packet data: malformed JSON at byte 2: trailing data"},
    {"2[\"a\"", 0, "packet data: malformed JSON at byte 4: expected , or ]"},
    {"2[\"a", 0, "packet data: malformed JSON at byte 3: unterminated string"},
    {"2[\"a\tb\"]", 0, "packet data: malformed JSON at byte 3: control character in a string"},
    {"2[\"a\\u0000\"]", 0, "packet data: malformed JSON at byte 9: NUL character in a string"},
    {"2[\"a\\ud800\"]", 0, "packet data: malformed JSON at byte 9: unpaired surrogate"},
    {"2[\"a\\udc00x\"]", 0, "packet data: malformed JSON at byte 9: unpaired surrogate"},
    {"2[\"a\\x41\"]", 0, "packet data: malformed JSON at byte 4: bad escape"},
    {"2[\"a\\u12\"]", 0, "packet data: malformed JSON at byte 4: bad \\u escape"},
    /* numbers json-glib would not keep */
    {"2[\"a\",1e999]", 0, "JSON number at byte 5 is out of range"},
    {"2[\"a\",-1e999]", 0, "JSON number at byte 5 is out of range"},
    {"2[\"a\",123456789012345678901234567890]", 0, "JSON number at byte 5 is out of range"},
    {"2[\"a\",9223372036854775808]", 0, "JSON number at byte 5 is out of range"},
    {"2[\"a\",{\"n\":-9223372036854775809}]", 0, "JSON number at byte 10 is out of range"},
    /* nesting beyond the caller's limit, 8 here */
    {"2[\"a\",[[[[[[[[1]]]]]]]]]", 0, "JSON data nested deeper than 8 levels"},
    {"2[\"a\",{\"b\":{\"c\":{\"d\":{\"e\":{\"f\":{\"g\":{\"h\":{\"i\":1}}}}}}}}]",
     0,
     "JSON data nested deeper than 8 levels"},
    /* not UTF-8 */
    {"2[\"\xff\"]", 0, "packet is not valid UTF-8"},
    {"2[\"\xc3\"]", 0, "packet is not valid UTF-8"},
    {"2[\"\xc0\xaf\"]", 0, "packet is not valid UTF-8"},
    {"2[\"\xed\xa0\x80\"]", 0, "packet is not valid UTF-8"},
    {"2/\xff,[\"a\"]", 0, "packet is not valid UTF-8"},
    {"2[\"a\0b\"]", 8, "packet is not valid UTF-8"},
    {"2[\"a\"]\0", 7, "packet is not valid UTF-8"},
};

static void
test_parse_malformed(void)
{
	for (guint i = 0; i < G_N_ELEMENTS(malformed_packets); i++) {
		const Malformed *m = &malformed_packets[i];
		g_auto(RcSioPacket) p = {0};
		g_autoptr(GError) error = NULL;
		gsize len = m->len != 0 ? m->len : strlen(m->text);

		g_autofree gchar *shown = g_strescape(m->text, NULL);

		g_test_message("packet %u: %s", i, shown);
		g_assert_false(rc_sio_packet_parse(m->text, len, MAX_BYTES, MAX_DEPTH, &p, &error));
		g_assert_error(error, RC_SIO_ERROR, RC_SIO_ERROR_MALFORMED);
		g_assert_cmpstr(error->message, ==, m->message);
	}
}

static void
test_parse_namespace_length(void)
{
	g_auto(RcSioPacket) p = {0};
	g_autoptr(GError) error = NULL;
	g_autofree gchar *name = g_strnfill(RC_SIO_MAX_NAMESPACE_BYTES - 1, 'n');
	g_autofree gchar *ok = g_strdup_printf("2/%s,[\"a\"]", name);
	g_autofree gchar *too_long = g_strdup_printf("2/%sn,[\"a\"]", name);

	g_assert_true(parse(ok, &p, &error));
	g_assert_no_error(error);
	g_assert_cmpuint(strlen(p.nsp), ==, RC_SIO_MAX_NAMESPACE_BYTES);
	g_assert_false(parse(too_long, &p, &error));
	g_assert_error(error, RC_SIO_ERROR, RC_SIO_ERROR_MALFORMED);
	g_assert_cmpstr(error->message, ==, "the namespace is longer than 128 bytes");
}

static void
test_parse_limits(void)
{
	static const gchar text[] = "2[\"a\",[[1]]]";
	g_auto(RcSioPacket) p = {0};
	g_autoptr(GError) error = NULL;
	g_autoptr(GString) deep = g_string_new("2[\"a\",");

	/* the size limit is inclusive and comes first */
	g_assert_true(rc_sio_packet_parse(text, LEN(text), LEN(text), 3, &p, &error));
	g_assert_no_error(error);
	g_assert_false(rc_sio_packet_parse(text, LEN(text), LEN(text) - 1, 3, &p, &error));
	g_assert_error(error, RC_SIO_ERROR, RC_SIO_ERROR_TOO_LARGE);
	g_assert_cmpstr(error->message, ==, "packet of 12 bytes is over the limit of 11");
	g_clear_error(&error);
	g_assert_false(rc_sio_packet_parse("2\xff", 2, 1, 3, &p, &error));
	g_assert_error(error, RC_SIO_ERROR, RC_SIO_ERROR_TOO_LARGE);
	g_clear_error(&error);

	/* so is the depth: the outer array counts */
	g_assert_false(rc_sio_packet_parse(text, LEN(text), 100, 2, &p, &error));
	g_assert_error(error, RC_SIO_ERROR, RC_SIO_ERROR_MALFORMED);
	g_assert_cmpstr(error->message, ==, "JSON data nested deeper than 2 levels");
	g_clear_error(&error);
	g_assert_false(rc_sio_packet_parse("2[\"a\"]", 6, 100, 0, &p, &error));
	g_assert_error(error, RC_SIO_ERROR, RC_SIO_ERROR_MALFORMED);
	g_clear_error(&error);
	g_assert_true(rc_sio_packet_parse("2[\"a\"]", 6, 100, 1, &p, &error));
	g_assert_no_error(error);

	/* a deep flood costs no stack: refused at the reader's own bound whatever the
	 * caller allows */
	for (guint i = 0; i < 100000; i++)
		g_string_append_c(deep, '[');
	g_assert_false(rc_sio_packet_parse(deep->str, deep->len, G_MAXSIZE, G_MAXUINT, &p, &error));
	g_assert_error(error, RC_SIO_ERROR, RC_SIO_ERROR_MALFORMED);
	g_assert_nonnull(strstr(error->message, "nested too deeply"));
	g_clear_error(&error);

	/* exactly the reader's bound is accepted */
	g_string_assign(deep, "2[\"a\"");
	for (guint i = 1; i < RC_SIO_MAX_JSON_DEPTH; i++)
		g_string_append(deep, ",[0");
	for (guint i = 0; i < RC_SIO_MAX_JSON_DEPTH; i++)
		g_string_append_c(deep, ']');
	g_assert_true(rc_sio_packet_parse(
	    deep->str, deep->len, G_MAXSIZE, RC_SIO_MAX_JSON_DEPTH, &p, &error));
	g_assert_no_error(error);
}

static void
test_parse_binary(void)
{
	static const struct {
		const gchar *text;
		RcSioPacketType type;
		const gchar *nsp;
		gint64 ack_id;
		guint attachments;
	} cases[] = {
	    /* the protocol document */
	    {"51-[\"baz\",{\"_placeholder\":true,\"num\":0}]",
	     RC_SIO_PACKET_BINARY_EVENT,
	     "/",
	     -1,
	     1},
	    {"52-/"
	     "admin,[\"baz\",{\"_placeholder\":true,\"num\":0},{\"_placeholder\":true,\"num\":1}]",
	     RC_SIO_PACKET_BINARY_EVENT,
	     "/admin",
	     -1,
	     2},
	    {"61-15[\"bar\",{\"_placeholder\":true,\"num\":0}]",
	     RC_SIO_PACKET_BINARY_ACK,
	     "/",
	     15,
	     1},
	    {"61-/admin,1[{\"_placeholder\":true,\"num\":0}]",
	     RC_SIO_PACKET_BINARY_ACK,
	     "/admin",
	     1,
	     1},
	    /* its test suite */
	    {"52-[\"message\",{\"_placeholder\":true,\"num\":0},{\"_placeholder\":true,\"num\":1}]",
	     RC_SIO_PACKET_BINARY_EVENT,
	     "/",
	     -1,
	     2},
	    {"52-789[\"message-with-ack\",{\"_placeholder\":true,\"num\":0},{\"_placeholder\":true,"
	     "\"num\":1}]",
	     RC_SIO_PACKET_BINARY_EVENT,
	     "/",
	     789,
	     2},
	    /* socket.io-client 4.8: emit("bin", Buffer.from([1, 2, 3])) */
	    {"51-/chat,[\"bin\",{\"_placeholder\":true,\"num\":0}]",
	     RC_SIO_PACKET_BINARY_EVENT,
	     "/chat",
	     -1,
	     1},
	    {"510-/chat,3[\"x\"]", RC_SIO_PACKET_BINARY_EVENT, "/chat", 3, 10},
	};

	for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
		g_auto(RcSioPacket) p = {0};
		g_autoptr(GError) error = NULL;
		g_test_message("packet %u: %s", i, cases[i].text);
		g_assert_false(parse(cases[i].text, &p, &error));
		g_assert_error(error, RC_SIO_ERROR, RC_SIO_ERROR_BINARY);
		g_assert_cmpint(p.type, ==, cases[i].type);
		g_assert_cmpstr(p.nsp, ==, cases[i].nsp);
		g_assert_cmpint(p.ack_id, ==, cases[i].ack_id);
		g_assert_cmpuint(p.attachments, ==, cases[i].attachments);
		g_assert_null(p.data);
	}
}

static void
assert_bytes(GBytes *bytes, const gchar *expected)
{
	g_assert_nonnull(bytes);
	g_assert_cmpmem(
	    g_bytes_get_data(bytes, NULL), g_bytes_get_size(bytes), expected, strlen(expected));
}

/* parses what an encoder built: it is well-formed and says what was meant */
static void
assert_reparses(GBytes *bytes,
		RcSioPacketType type,
		const gchar *nsp,
		gint64 ack_id,
		const gchar *event,
		RcSioPacket *p)
{
	g_autoptr(GError) error = NULL;
	g_assert_true(rc_sio_packet_parse(g_bytes_get_data(bytes, NULL),
					  g_bytes_get_size(bytes),
					  MAX_BYTES,
					  MAX_DEPTH,
					  p,
					  &error));
	g_assert_no_error(error);
	g_assert_cmpint(p->type, ==, type);
	g_assert_cmpstr(p->nsp, ==, nsp);
	g_assert_cmpint(p->ack_id, ==, ack_id);
	g_assert_cmpstr(p->event, ==, event);
}

static void
test_build_connect(void)
{
	g_auto(RcSioPacket) p = {0};
	g_autoptr(GBytes) main_nsp = rc_sio_packet_build_connect("/", "wZX3oN0bSVIhsaknAAAI");
	g_autoptr(GBytes) null_nsp = rc_sio_packet_build_connect(NULL, "wZX3oN0bSVIhsaknAAAI");
	g_autoptr(GBytes) chat = rc_sio_packet_build_connect("/chat", "-TXHEurF_R2z6Y3VAAAA");
	g_autoptr(GBytes) odd = rc_sio_packet_build_connect("/chat", "a\"b\n");

	assert_bytes(main_nsp, "0{\"sid\":\"wZX3oN0bSVIhsaknAAAI\"}");
	assert_bytes(null_nsp, "0{\"sid\":\"wZX3oN0bSVIhsaknAAAI\"}");
	/* what a socket.io 4.8 server answered, without the Engine.IO "4" */
	assert_bytes(chat, "0/chat,{\"sid\":\"-TXHEurF_R2z6Y3VAAAA\"}");
	assert_reparses(chat, RC_SIO_PACKET_CONNECT, "/chat", -1, NULL, &p);
	assert_reparses(odd, RC_SIO_PACKET_CONNECT, "/chat", -1, NULL, &p);
	g_assert_cmpstr(
	    json_object_get_string_member(json_node_get_object(p.data), "sid"), ==, "a\"b\n");
}

static void
test_build_connect_error(void)
{
	g_auto(RcSioPacket) p = {0};
	g_autoptr(GBytes) spec = rc_sio_packet_build_connect_error(NULL, "Not authorized", NULL);
	g_autoptr(GBytes) unknown =
	    rc_sio_packet_build_connect_error("/nope", "Invalid namespace", NULL);
	g_autoptr(GBytes) with_data = rc_sio_packet_build_connect_error(
	    "/chat", "forbidden", "{\"code\":\"forbidden\",\"detail\":\"go away\"}");
	g_autoptr(GBytes) odd = rc_sio_packet_build_connect_error("/chat", "say \"no\"", NULL);
	JsonObject *o;

	assert_bytes(spec, "4{\"message\":\"Not authorized\"}");
	assert_bytes(unknown, "4/nope,{\"message\":\"Invalid namespace\"}");
	/* the shape a socket.io 4.8 server gives an error with data */
	assert_bytes(
	    with_data,
	    "4/chat,{\"message\":\"forbidden\",\"data\":{\"code\":\"forbidden\",\"detail\":\"go "
	    "away\"}}");
	assert_reparses(with_data, RC_SIO_PACKET_CONNECT_ERROR, "/chat", -1, NULL, &p);
	o = json_node_get_object(p.data);
	g_assert_cmpstr(json_object_get_string_member(o, "message"), ==, "forbidden");
	g_assert_cmpstr(
	    json_object_get_string_member(json_object_get_object_member(o, "data"), "code"),
	    ==,
	    "forbidden");
	assert_reparses(odd, RC_SIO_PACKET_CONNECT_ERROR, "/chat", -1, NULL, &p);
	g_assert_cmpstr(json_object_get_string_member(json_node_get_object(p.data), "message"),
			==,
			"say \"no\"");
}

static void
test_build_disconnect(void)
{
	g_auto(RcSioPacket) p = {0};
	g_autoptr(GBytes) main_nsp = rc_sio_packet_build_disconnect("/");
	g_autoptr(GBytes) admin = rc_sio_packet_build_disconnect("/admin");

	assert_bytes(main_nsp, "1");
	assert_bytes(admin, "1/admin,");
	assert_reparses(main_nsp, RC_SIO_PACKET_DISCONNECT, "/", -1, NULL, &p);
	assert_reparses(admin, RC_SIO_PACKET_DISCONNECT, "/admin", -1, NULL, &p);
	g_assert_null(p.data);
}

static void
test_build_event(void)
{
	static const gchar *args =
	    "[{\"sender\":\"alice\",\"text\":\"hi \xc3\xa9\xe2\x82\xac \xf0\x9f\x98\x80\"},"
	    "{\"namespace\":\"/chat\",\"roomCode\":\"room1\",\"id\":\"m1\",\"ts\":"
	    "1700000000000,\"offset\":1}]";
	g_auto(RcSioPacket) p = {0};
	g_autoptr(GBytes) msg = rc_sio_packet_build_event("/chat", "MSG_TO_CLIENTS", args);
	g_autoptr(GBytes) bare = rc_sio_packet_build_event("/", "error", NULL);
	g_autoptr(GBytes) empty = rc_sio_packet_build_event("/", "x", "[]");
	g_autoptr(GBytes) spaced = rc_sio_packet_build_event("/", "x", "[ \n]");
	g_autoptr(GBytes) one = rc_sio_packet_build_event(NULL, "hey", "[\"Jude\"]");
	g_autoptr(GBytes) escaped = rc_sio_packet_build_event("/a", "q\"\\", "[1]");

	/* byte for byte what a socket.io 4.8 server sent for
	 * emit("MSG_TO_CLIENTS", {sender, text}, {namespace, roomCode, id, ts, offset}) */
	assert_bytes(
	    msg,
	    "2/chat,[\"MSG_TO_CLIENTS\",{\"sender\":\"alice\",\"text\":\"hi \xc3\xa9\xe2\x82\xac "
	    "\xf0\x9f\x98\x80\"},{\"namespace\":\"/chat\",\"roomCode\":\"room1\",\"id\":\"m1\","
	    "\"ts\":1700000000000,\"offset\":1}]");
	assert_reparses(msg, RC_SIO_PACKET_EVENT, "/chat", -1, "MSG_TO_CLIENTS", &p);
	g_assert_cmpuint(json_array_get_length(json_node_get_array(p.data)), ==, 3);

	assert_bytes(bare, "2[\"error\"]");
	assert_bytes(empty, "2[\"x\"]");
	assert_bytes(spaced, "2[\"x\"]");
	/* the protocol document's sample session */
	assert_bytes(one, "2[\"hey\",\"Jude\"]");
	assert_bytes(escaped, "2/a,[\"q\\\"\\\\\",1]");
	assert_reparses(escaped, RC_SIO_PACKET_EVENT, "/a", -1, "q\"\\", &p);
}

static void
test_build_ack(void)
{
	g_auto(RcSioPacket) p = {0};
	g_autoptr(GBytes) joined = rc_sio_packet_build_ack(
	    "/chat", 0, "[{\"joined\":true,\"epoch\":\"e1\",\"offset\":0}]");
	g_autoptr(GBytes) empty = rc_sio_packet_build_ack("/", 12, "[]");
	g_autoptr(GBytes) admin = rc_sio_packet_build_ack("/admin", 13, "[\"bar\"]");
	g_autoptr(GBytes) max = rc_sio_packet_build_ack("/", RC_SIO_MAX_ACK_ID, "[]");

	/* byte for byte what a socket.io 4.8 server acked, without the Engine.IO "4" */
	assert_bytes(joined, "3/chat,0[{\"joined\":true,\"epoch\":\"e1\",\"offset\":0}]");
	assert_reparses(joined, RC_SIO_PACKET_ACK, "/chat", 0, NULL, &p);
	/* the protocol document */
	assert_bytes(empty, "312[]");
	assert_bytes(admin, "3/admin,13[\"bar\"]");
	assert_reparses(max, RC_SIO_PACKET_ACK, "/", RC_SIO_MAX_ACK_ID, NULL, &p);
}

/* every valid packet written back from its parts is the same bytes */
static void
test_round_trip(void)
{
	for (guint i = 0; i < G_N_ELEMENTS(valid_packets); i++) {
		const Valid *v = &valid_packets[i];
		g_auto(RcSioPacket) p = {0};
		g_autoptr(GError) error = NULL;
		g_autoptr(GString) again = g_string_new(NULL);
		g_autofree gchar *data = NULL;

		/* the forms a peer may send that an encoder never writes */
		if (strchr(v->text, ' ') != NULL || g_str_has_suffix(v->text, "\n") ||
		    (v->nsp[1] != '\0' && v->data == NULL && !g_str_has_suffix(v->text, ",")))
			continue;
		g_assert_true(parse(v->text, &p, &error));
		data = data_to_string(&p);
		rc_sio_packet_append(again, p.type, p.nsp, p.ack_id, data);
		/* the main namespace and a namespace without data keep the comma */
		g_assert_cmpstr(again->str, ==, v->text);
	}
}

/* what crosses the wire in a session, both layers at once */
static void
test_captured_session(void)
{
	/* the client's CONNECT in its first POST body */
	static const gchar post[] = "40/chat,{\"sender\":\"alice\"}";
	/* a later POST: an event with an ack, a binary event and its attachment */
	static const gchar post2[] =
	    "42/chat,1[\"join\",\"b\"]\x1e"
	    "451-/chat,[\"bin\",\"t\",{\"_placeholder\":true,\"num\":0}]\x1e"
	    "bAQIDBA==";
	g_autoptr(GError) error = NULL;
	g_autoptr(GArray) packets = NULL;
	g_autoptr(GBytes) sio = NULL;
	g_autoptr(GBytes) eio = NULL;
	g_autoptr(GString) fast = g_string_new("4");
	g_auto(RcSioPacket) p = {0};
	const RcEioPacket *e;

	packets = rc_eio_payload_parse(post, LEN(post), 1000000, 16, &error);
	g_assert_no_error(error);
	e = &g_array_index(packets, RcEioPacket, 0);
	g_assert_cmpint(e->type, ==, RC_EIO_PACKET_MESSAGE);
	g_assert_true(rc_sio_packet_parse(e->data, e->len, MAX_BYTES, MAX_DEPTH, &p, &error));
	g_assert_no_error(error);
	g_assert_cmpint(p.type, ==, RC_SIO_PACKET_CONNECT);
	g_assert_cmpstr(p.nsp, ==, "/chat");
	g_assert_cmpstr(
	    json_object_get_string_member(json_node_get_object(p.data), "sender"), ==, "alice");
	g_clear_pointer(&packets, g_array_unref);

	/* the reply, wrapped as a transport sends it */
	sio = rc_sio_packet_build_connect(p.nsp, "-TXHEurF_R2z6Y3VAAAA");
	eio = rc_eio_packet_encode(
	    RC_EIO_PACKET_MESSAGE, g_bytes_get_data(sio, NULL), g_bytes_get_size(sio));
	assert_bytes(eio, "40/chat,{\"sid\":\"-TXHEurF_R2z6Y3VAAAA\"}");
	/* or built in place, without the copy */
	rc_sio_packet_append(fast, RC_SIO_PACKET_ACK, "/chat", 1, "[{\"joined\":true}]");
	g_assert_cmpstr(fast->str, ==, "43/chat,1[{\"joined\":true}]");

	packets = rc_eio_payload_parse(post2, LEN(post2), 1000000, 16, &error);
	g_assert_no_error(error);
	g_assert_cmpuint(packets->len, ==, 3);
	e = &g_array_index(packets, RcEioPacket, 0);
	g_assert_true(rc_sio_packet_parse(e->data, e->len, MAX_BYTES, MAX_DEPTH, &p, &error));
	g_assert_cmpstr(p.event, ==, "join");
	g_assert_cmpint(p.ack_id, ==, 1);
	e = &g_array_index(packets, RcEioPacket, 1);
	g_assert_false(rc_sio_packet_parse(e->data, e->len, MAX_BYTES, MAX_DEPTH, &p, &error));
	g_assert_error(error, RC_SIO_ERROR, RC_SIO_ERROR_BINARY);
	g_assert_cmpuint(p.attachments, ==, 1);
	/* the one attachment that follows, for the caller to skip */
	g_assert_true(g_array_index(packets, RcEioPacket, 2).binary);
}

static void
test_type_names(void)
{
	g_assert_cmpstr(rc_sio_packet_type_to_string(RC_SIO_PACKET_CONNECT), ==, "CONNECT");
	g_assert_cmpstr(rc_sio_packet_type_to_string(RC_SIO_PACKET_BINARY_ACK), ==, "BINARY_ACK");
	g_assert_cmpstr(rc_sio_packet_type_to_string((RcSioPacketType)7), ==, "unknown");
}

/* misuse by the caller is a critical, not a malformed wire */
static void
test_build_misuse(void)
{
	if (g_test_subprocess()) {
		g_autoptr(GString) s = g_string_new(NULL);
		switch (g_test_get_path()[strlen(g_test_get_path()) - 1]) {
		case '1':
			g_bytes_unref(rc_sio_packet_build_ack("/", RC_SIO_NO_ACK_ID, "[]"));
			break;
		case '2':
			g_bytes_unref(rc_sio_packet_build_ack("/", RC_SIO_MAX_ACK_ID + 1, "[]"));
			break;
		case '3':
			g_bytes_unref(rc_sio_packet_build_event("/", "x", "{}"));
			break;
		case '4':
			rc_sio_packet_append(s, RC_SIO_PACKET_EVENT, "/a,b", -1, "[\"x\"]");
			break;
		case '5':
			rc_sio_packet_append(s, RC_SIO_PACKET_BINARY_EVENT, "/", -1, "[\"x\"]");
			break;
		default:
			rc_sio_packet_append(s, RC_SIO_PACKET_EVENT, "chat", -1, "[\"x\"]");
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
	g_test_add_func("/sio/parse/valid", test_parse_valid);
	g_test_add_func("/sio/parse/reuse", test_parse_reuse);
	g_test_add_func("/sio/parse/unicode", test_parse_unicode);
	g_test_add_func("/sio/parse/numbers", test_parse_numbers);
	g_test_add_func("/sio/parse/malformed", test_parse_malformed);
	g_test_add_func("/sio/parse/namespace-length", test_parse_namespace_length);
	g_test_add_func("/sio/parse/limits", test_parse_limits);
	g_test_add_func("/sio/parse/binary-refused", test_parse_binary);
	g_test_add_func("/sio/build/connect", test_build_connect);
	g_test_add_func("/sio/build/connect-error", test_build_connect_error);
	g_test_add_func("/sio/build/disconnect", test_build_disconnect);
	g_test_add_func("/sio/build/event", test_build_event);
	g_test_add_func("/sio/build/ack", test_build_ack);
	g_test_add_func("/sio/build/type-names", test_type_names);
	g_test_add_func("/sio/build/misuse/1", test_build_misuse);
	g_test_add_func("/sio/build/misuse/2", test_build_misuse);
	g_test_add_func("/sio/build/misuse/3", test_build_misuse);
	g_test_add_func("/sio/build/misuse/4", test_build_misuse);
	g_test_add_func("/sio/build/misuse/5", test_build_misuse);
	g_test_add_func("/sio/build/misuse/6", test_build_misuse);
	g_test_add_func("/sio/round-trip", test_round_trip);
	g_test_add_func("/sio/captured-session", test_captured_session);
	return g_test_run();
}
