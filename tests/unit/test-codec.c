/*
 * Copyright 2026 roomcast developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#define G_LOG_DOMAIN "RcTestCodec"

#include "config.h"

#include <json-glib/json-glib.h>
#include <string.h>

#include "bus/rc-bus.h"
#include "bus/rc-redis-connection.h"
#include "protocol/rc-json-reader.h"
#include "protocol/rc-protocol.h"

/* The hand-written encoders of the hot path, each against the library code it
 * stands in for: integers against printf and GLib's parser, RESP commands
 * against hiredis. */

static const guint64 edge_u64[] = {
    0, 1, 9, 10, 11, 99, 100, 101, 999, 1000, 65535, 65536, G_MAXUINT32, (guint64)G_MAXUINT32 + 1,
    G_MAXINT64, (guint64)G_MAXINT64 + 1, G_MAXUINT64 - 1, G_MAXUINT64,
};

static const gint64 edge_i64[] = {
    G_MININT64, G_MININT64 + 1, -1000000007, -10, -9, -1, 0, 1, 9, 10, G_MAXINT64 - 1, G_MAXINT64,
};

static void
check_uint64(guint64 v)
{
	g_autofree gchar *want = g_strdup_printf("%" G_GUINT64_FORMAT, v);
	g_autoptr(GString) s = g_string_new("x");
	gchar buf[RC_PROTOCOL_UINT64_DIGITS + 1];
	gsize n = rc_protocol_format_uint64(buf, v);

	g_assert_cmpuint(n, <=, RC_PROTOCOL_UINT64_DIGITS);
	buf[n] = '\0';
	g_assert_cmpstr(buf, ==, want);
	/* appends, leaving what was there */
	rc_protocol_append_uint64(s, v);
	g_assert_cmpint(s->str[0], ==, 'x');
	g_assert_cmpstr(s->str + 1, ==, want);
}

static void
check_int64(gint64 v)
{
	g_autofree gchar *want = g_strdup_printf("%" G_GINT64_FORMAT, v);
	g_autoptr(GString) s = g_string_new("{");

	rc_protocol_append_int64(s, v);
	g_assert_cmpstr(s->str + 1, ==, want);
}

static void
test_integers(void)
{
	g_autoptr(GRand) rand = g_rand_new_with_seed(20261207);

	for (guint i = 0; i < G_N_ELEMENTS(edge_u64); i++)
		check_uint64(edge_u64[i]);
	for (guint i = 0; i < G_N_ELEMENTS(edge_i64); i++)
		check_int64(edge_i64[i]);
	for (guint i = 0; i < 20000; i++) {
		guint64 v = ((guint64)g_rand_int(rand) << 32) | g_rand_int(rand);
		/* every length of number, not only the 19- and 20-digit ones */
		v >>= g_rand_int_range(rand, 0, 64);
		check_uint64(v);
		check_int64((gint64)v);
		check_int64(-(gint64)(v >> 1));
	}
}

/* RcJsonReader's integers against g_ascii_string_to_signed() on the same text */
static void
check_read_int64(const gchar *text)
{
	RcJsonReader r;
	g_autoptr(GError) error = NULL;
	gint64 got = 0, want = 0;
	gboolean ok, want_ok;

	rc_json_reader_init(&r, text, strlen(text));
	ok = rc_json_reader_read_int64(&r, &got, &error);
	want_ok = g_ascii_string_to_signed(text, 10, G_MININT64, G_MAXINT64, &want, NULL);
	if (want_ok != ok)
		g_error("“%s”: read %s, GLib %s", text, ok ? "took it" : error->message,
			want_ok ? "takes it" : "does not");
	if (ok)
		g_assert_cmpint(got, ==, want);
	else
		g_assert_nonnull(strstr(error->message, "integer out of range"));
}

static void
test_read_integers(void)
{
	g_autoptr(GRand) rand = g_rand_new_with_seed(64);
	const gchar *edges[] = {
	    "0",
	    "-0",
	    "7",
	    "-7",
	    "9223372036854775807",
	    "9223372036854775808",
	    "-9223372036854775808",
	    "-9223372036854775809",
	    "18446744073709551615",
	    "99999999999999999999",
	    "-99999999999999999999",
	    "1000000000000000000",
	    "922337203685477580",
	    "-922337203685477580",
	};

	for (guint i = 0; i < G_N_ELEMENTS(edges); i++)
		check_read_int64(edges[i]);
	for (guint i = 0; i < 20000; i++) {
		gchar text[32];
		guint n = (guint)g_rand_int_range(rand, 1, 23);
		guint at = 0;
		if (g_rand_boolean(rand))
			text[at++] = '-';
		/* JSON has no leading zeros */
		text[at++] = (gchar)('1' + g_rand_int_range(rand, 0, 9));
		for (guint k = 1; k < n; k++)
			text[at++] = (gchar)('0' + g_rand_int_range(rand, 0, 10));
		text[at] = '\0';
		check_read_int64(text);
	}
}

/* what a message frame says its numbers are, read back with json-glib */
static void
test_message_numbers(void)
{
	const gint64 ts[] = {0, 1, 1764547200123, G_MAXINT64, -5, G_MININT64};

	for (guint i = 0; i < G_N_ELEMENTS(ts); i++) {
		g_autoptr(RcMessage) msg = rc_message_new("ns", "room", "ann", "hi", "id-1", ts[i], "n1");
		g_autoptr(GBytes) frame = NULL;
		g_autoptr(JsonParser) parser = json_parser_new();
		g_autoptr(GError) error = NULL;
		JsonObject *obj;
		gsize len = 0;
		const gchar *data;

		rc_message_set_offset(msg, "e1", G_MAXUINT64 >> (i * 8));
		frame = rc_protocol_build_message(msg);
		data = g_bytes_get_data(frame, &len);
		g_assert_true(json_parser_load_from_data(parser, data, (gssize)len, &error));
		g_assert_no_error(error);
		obj = json_node_get_object(json_parser_get_root(parser));
		g_assert_cmpint(json_object_get_int_member(obj, "ts"), ==, ts[i]);
		/* json-glib reads integers as gint64: compare the text for the top half */
		if ((G_MAXUINT64 >> (i * 8)) <= G_MAXINT64) {
			g_assert_cmpint(json_object_get_int_member(obj, "offset"),
					==,
					(gint64)(G_MAXUINT64 >> (i * 8)));
		} else {
			g_autofree gchar *want =
			    g_strdup_printf(",\"offset\":%" G_GUINT64_FORMAT ",", G_MAXUINT64 >> (i * 8));
			g_assert_nonnull(g_strstr_len(data, (gssize)len, want));
		}
	}
}

static void
check_resp(guint argc, const gchar *const *argv, const gsize *lens)
{
	g_autoptr(GByteArray) out = g_byte_array_new();
	char *want = NULL;
	int n = redisFormatCommandArgv(&want, (int)argc, (const char **)argv, lens);

	g_assert_cmpint(n, >, 0);
	g_byte_array_append(out, (const guint8 *)"prefix", 6);
	rc_redis_append_command(out, argc, argv, lens);
	g_assert_cmpuint(out->len, ==, 6 + (guint)n);
	g_assert_cmpmem(out->data, 6, "prefix", 6);
	g_assert_cmpmem(out->data + 6, out->len - 6, want, (gsize)n);
	redisFreeCommand(want);
}

static void
test_resp(void)
{
	g_autoptr(GRand) rand = g_rand_new_with_seed(7);
	const gchar *simple[] = {"PING"};
	const gsize simple_lens[] = {4};
	const gchar *with_empty[] = {"SET", "k", ""};
	const gsize with_empty_lens[] = {3, 1, 0};
	/* bytes a string function would stop at or mangle */
	const gchar binary[] = {'a', '\0', '\r', '\n', '$', '*', (gchar)0xff};
	const gchar *with_binary[] = {"PUBLISH", "ch", binary};
	const gsize with_binary_lens[] = {7, 2, sizeof(binary)};

	check_resp(1, simple, simple_lens);
	check_resp(3, with_empty, with_empty_lens);
	check_resp(3, with_binary, with_binary_lens);

	for (guint round = 0; round < 500; round++) {
		/* past the 16 sizes the queue keeps on the stack, too */
		guint argc = (guint)g_rand_int_range(rand, 1, 40);
		g_autoptr(GPtrArray) args = g_ptr_array_new_with_free_func(g_free);
		g_autofree gsize *lens = g_new(gsize, argc);

		for (guint i = 0; i < argc; i++) {
			/* lengths of every digit count up to 5 */
			gsize len = (gsize)g_rand_int_range(rand, 0, 4) == 0
					? (gsize)g_rand_int_range(rand, 0, 20000)
					: (gsize)g_rand_int_range(rand, 0, 12);
			guint8 *a = g_malloc(len + 1);
			for (gsize j = 0; j < len; j++)
				a[j] = (guint8)g_rand_int_range(rand, 0, 256);
			g_ptr_array_add(args, a);
			lens[i] = len;
		}
		check_resp(argc, (const gchar *const *)args->pdata, lens);
	}
}

/* the validator's ASCII fast path answers as GLib does: NUL, high bytes and broken
 * sequences in every position, before, at and after each 8-byte word */
static void
check_utf8(const gchar *data, gsize len)
{
	gboolean want = g_utf8_validate(data, (gssize)len, NULL);
	if (rc_protocol_utf8_validate(data, len) != want) {
		g_autofree gchar *hex = g_strescape(data, NULL);
		g_error("%" G_GSIZE_FORMAT " bytes “%s”: GLib says %s", len, hex, want ? "valid" : "invalid");
	}
}

static void
test_utf8(void)
{
	g_autoptr(GRand) rand = g_rand_new_with_seed(8);
	static const gchar *const odd[] = {"\0", "\xc3", "\xc3\xa9", "\xe2\x82\xac", "\xe2\x82",
					   "\xf0\x9f\x98\x80", "\xed\xa0\x80", "\xc0\xaf", "\xff", "\x80"};

	check_utf8("", 0);
	for (gsize at = 0; at < 24; at++) {
		for (guint k = 0; k < G_N_ELEMENTS(odd); k++) {
			gsize olen = MAX(strlen(odd[k]), 1);
			for (gsize tail = 0; tail < 10; tail++) {
				g_autofree gchar *buf = g_malloc(at + olen + tail + 1);
				memset(buf, 'a', at);
				memcpy(buf + at, odd[k], olen);
				memset(buf + at + olen, 'b', tail);
				buf[at + olen + tail] = '\0';
				check_utf8(buf, at + olen + tail);
			}
		}
	}
	for (guint round = 0; round < 20000; round++) {
		gchar buf[64];
		gsize len = (gsize)g_rand_int_range(rand, 0, sizeof(buf));
		for (gsize i = 0; i < len; i++) {
			guint pick = (guint)g_rand_int_range(rand, 0, 64);
			buf[i] = pick == 0 ? '\0' : pick < 4 ? (gchar)g_rand_int_range(rand, 0x80, 0x100)
							     : (gchar)g_rand_int_range(rand, 0x20, 0x7f);
		}
		check_utf8(buf, len);
	}
}

/* keys and values read in place and decoded from escapes give the same message */
static void
test_json_escapes(void)
{
	static const gchar *const frames[] = {
	    "{\"roomCode\":\"r1\",\"msg\":{\"sender\":\"bob\",\"text\":\"hi \\\"x\\\" \\u00e9\\n\"},\"ts\":5}",
	    "{\"room\\u0043ode\":\"r1\",\"m\\u0073g\":{\"s\\u0065nder\":\"bob\",\"\\u0074ext\":\"hi \\\"x\\\" "
	    "\\u00e9\\n\"},\"\\u0074s\":5}",
	    " { \"roomCode\" : \"r1\" , \"msg\" : { \"sender\" : \"bob\" , \"text\" : \"hi \\\"x\\\" \\u00e9\\n\" } , "
	    "\"ts\" : 5 } ",
	    /* an unknown member skipped, its keys checked but not kept */
	    "{\"x\":{\"\\u0061\":[1,{\"b\\n\":null}],\"c\":\"d\"},\"roomCode\":\"r1\",\"msg\":{\"sender\":\"bob\","
	    "\"text\":\"hi \\\"x\\\" \\u00e9\\n\"},\"ts\":5}",
	};
	static const gchar *const refused[] = {
	    "{roomCode\":\"r1\"}", "{\"roomCode:\"r1\"}", "{\"roomCode\"\"r1\"}", "{\"a\x01\":1}", "{\"a\\x\":1}",
	    "{\"roomCode\":\"r1\",\"msg\":{\"sender\":\"bob\",\"text\":\"a\\ud800\"}}",
	    "{\"x\":{\"\\q\":1},\"roomCode\":\"r1\"}", "{\"x\":{\"a\x02\":1},\"roomCode\":\"r1\"}",
	};

	for (guint i = 0; i < G_N_ELEMENTS(frames); i++) {
		g_autoptr(GError) error = NULL;
		g_autoptr(RcMessage) msg = rc_protocol_parse_message(frames[i], strlen(frames[i]), 4096, &error);
		g_assert_no_error(error);
		g_assert_cmpstr(rc_message_get_room_code(msg), ==, "r1");
		g_assert_cmpstr(rc_message_get_namespace(msg), ==, "/");
		g_assert_cmpstr(rc_message_get_sender(msg), ==, "bob");
		g_assert_cmpstr(rc_message_get_text(msg), ==, "hi \"x\" \xc3\xa9\n");
		g_assert_cmpint(rc_message_get_ts(msg), ==, 5);
	}
	for (guint i = 0; i < G_N_ELEMENTS(refused); i++) {
		g_autoptr(GError) error = NULL;
		g_autoptr(RcMessage) msg = rc_protocol_parse_message(refused[i], strlen(refused[i]), 4096, &error);
		g_assert_null(msg);
		g_assert_error(error, RC_PROTOCOL_ERROR, RC_PROTOCOL_ERROR_BAD_REQUEST);
	}
	/* past the parse's stack block: values taken from the heap one */
	{
		g_autoptr(GString) big = g_string_new("{\"roomCode\":\"r1\",\"msg\":{\"sender\":\"bob\",\"text\":\"");
		g_autoptr(GError) error = NULL;
		g_autoptr(RcMessage) msg = NULL;
		for (guint i = 0; i < 300; i++)
			g_string_append(big, "\\u00e9");
		g_string_append(big, "\"}}");
		msg = rc_protocol_parse_message(big->str, big->len, 4096, &error);
		g_assert_no_error(error);
		g_assert_cmpuint(strlen(rc_message_get_text(msg)), ==, 600);
	}
}

/* epochs: 12 characters of [0-9a-z], every character in every position, no repeats */
static void
test_epochs(void)
{
	g_autoptr(GHashTable) seen = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	guint hits[12][36] = {{0}};

	for (guint round = 0; round < 100000; round++) {
		gchar *epoch = rc_bus_new_epoch();

		g_assert_cmpuint(strlen(epoch), ==, 12);
		for (guint i = 0; i < 12; i++) {
			const gchar *at = strchr("0123456789abcdefghijklmnopqrstuvwxyz", epoch[i]);
			g_assert_nonnull(at);
			hits[i][at - "0123456789abcdefghijklmnopqrstuvwxyz"]++;
		}
		g_assert_true(g_hash_table_add(seen, epoch));
	}
	/* 100000 draws put 2778 (± 53) on each character; a digit stuck, or one
	 * skewed by cutting digits from too few random bits (2200 on the rarer
	 * ones), falls far below */
	for (guint i = 0; i < 12; i++)
		for (guint c = 0; c < 36; c++)
			g_assert_cmpuint(hits[i][c], >, 2500);
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/codec/integers", test_integers);
	g_test_add_func("/codec/read-integers", test_read_integers);
	g_test_add_func("/codec/message-numbers", test_message_numbers);
	g_test_add_func("/codec/resp", test_resp);
	g_test_add_func("/codec/epochs", test_epochs);
	g_test_add_func("/codec/utf8", test_utf8);
	g_test_add_func("/codec/json-escapes", test_json_escapes);
	return g_test_run();
}
