/*
 * Copyright 2026 roomcast developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * libFuzzer entry for the Redis payload / POST /publish parser: whatever it
 * accepts, json-glib must read with the same values, and it must serialize back
 * to a payload it accepts again, unchanged.
 */
#include "config.h"

#include "protocol/rc-protocol.h"
#include "rc-fuzz-json.h"

int LLVMFuzzerTestOneInput(const guint8 *data, gsize size);

static void
rc_fuzz_assert_same(RcMessage *a, RcMessage *b)
{
	g_assert_cmpstr(rc_message_get_text(a), ==, rc_message_get_text(b));
	g_assert_cmpstr(rc_message_get_sender(a), ==, rc_message_get_sender(b));
	g_assert_cmpstr(rc_message_get_room_code(a), ==, rc_message_get_room_code(b));
	g_assert_cmpstr(rc_message_get_namespace(a), ==, rc_message_get_namespace(b));
	g_assert_cmpstr(rc_message_get_id(a), ==, rc_message_get_id(b));
	g_assert_cmpstr(rc_message_get_origin(a), ==, rc_message_get_origin(b));
	g_assert_cmpstr(rc_message_get_epoch(a), ==, rc_message_get_epoch(b));
	g_assert_cmpint(rc_message_get_ts(a), ==, rc_message_get_ts(b));
	g_assert_cmpuint(rc_message_get_offset(a), ==, rc_message_get_offset(b));
}

int
LLVMFuzzerTestOneInput(const guint8 *data, gsize size)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(RcMessage) msg = rc_protocol_parse_message((const gchar *)data, size, 4096, &error);
	g_autoptr(RcMessage) again = NULL;
	g_autoptr(JsonObject) object = NULL;
	g_autoptr(JsonObject) frame_object = NULL;
	g_autoptr(GBytes) frame = NULL;
	JsonObject *inner;
	GBytes *payload;

	if (msg == NULL) {
		g_assert_nonnull(error);
		return 0;
	}
	object = rc_fuzz_json_root(data, size);
	g_assert_cmpstr(rc_fuzz_json_string(object, "namespace", "/"), ==, rc_message_get_namespace(msg));
	g_assert_cmpstr(rc_fuzz_json_string(object, "roomCode", NULL), ==, rc_message_get_room_code(msg));
	g_assert_cmpstr(rc_fuzz_json_string(object, "id", NULL), ==, rc_message_get_id(msg));
	g_assert_cmpstr(rc_fuzz_json_string(object, "origin", NULL), ==, rc_message_get_origin(msg));
	g_assert_cmpstr(rc_fuzz_json_string(object, "epoch", NULL), ==, rc_message_get_epoch(msg));
	g_assert_cmpint(rc_fuzz_json_int(object, "ts", 0), ==, rc_message_get_ts(msg));
	g_assert_cmpint(rc_fuzz_json_int(object, "offset", 0), ==, (gint64)rc_message_get_offset(msg));
	inner = json_object_get_object_member(object, "msg");
	g_assert_nonnull(inner);
	g_assert_cmpstr(rc_fuzz_json_string(inner, "sender", NULL), ==, rc_message_get_sender(msg));
	g_assert_cmpstr(rc_fuzz_json_string(inner, "text", NULL), ==, rc_message_get_text(msg));

	if (rc_message_get_id(msg) == NULL)
		rc_message_set_id(msg, "fuzz-1");
	payload = rc_message_get_payload(msg);
	again = rc_protocol_parse_message(g_bytes_get_data(payload, NULL),
					  g_bytes_get_size(payload),
					  4096,
					  &error);
	g_assert_no_error(error);
	rc_fuzz_assert_same(msg, again);
	/* the client frame is JSON that says the same */
	frame = rc_protocol_build_message(msg);
	frame_object = rc_fuzz_json_root(g_bytes_get_data(frame, NULL), g_bytes_get_size(frame));
	g_assert_cmpstr(rc_fuzz_json_string(frame_object, "type", NULL), ==, "MSG_TO_CLIENTS");
	g_assert_cmpstr(rc_fuzz_json_string(frame_object, "id", NULL), ==, rc_message_get_id(msg));
	g_assert_cmpstr(rc_fuzz_json_string(json_object_get_object_member(frame_object, "msg"),
					    "text",
					    NULL),
			==,
			rc_message_get_text(msg));
	return 0;
}
