/*
 * Copyright 2026 roomcast developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * libFuzzer entry for the client frame parser; also linked with
 * fuzz-replay.c so the corpus runs as a plain test under gcc. Whatever the
 * hand-written reader accepts, json-glib must read as JSON with the same values.
 * The UTF-8 check is compared with GLib's on every input.
 */
#include "config.h"

#include "protocol/rc-protocol.h"
#include "rc-fuzz-json.h"

int LLVMFuzzerTestOneInput(const guint8 *data, gsize size);

int
LLVMFuzzerTestOneInput(const guint8 *data, gsize size)
{
	g_auto(RcClientFrame) frame = {0};
	g_autoptr(GError) error = NULL;
	g_autoptr(JsonObject) object = NULL;
	static const gchar *const types[] = {"join", "leave", "send", "ping", "history", "who"};

	G_STATIC_ASSERT(G_N_ELEMENTS(types) == RC_FRAME_WHO + 1);

	/* the codec's UTF-8 check answers as GLib's on any bytes */
	g_assert_cmpint(rc_protocol_utf8_validate((const gchar *)data, size), ==,
			g_utf8_validate((const gchar *)data, (gssize)size, NULL));

	if (!rc_protocol_parse_client_frame((const gchar *)data, size, 4096, &frame, &error)) {
		g_assert_nonnull(error);
		return 0;
	}
	g_assert_no_error(error);
	object = rc_fuzz_json_root(data, size);
	g_assert_cmpstr(rc_fuzz_json_string(object, "type", NULL), ==, types[frame.type]);
	g_assert_cmpstr(rc_fuzz_json_string(object, "ref", NULL), ==, frame.ref);
	if (frame.type != RC_FRAME_PING) {
		g_assert_cmpstr(rc_fuzz_json_string(object, "namespace", "/"), ==, frame.ns);
		g_assert_cmpstr(rc_fuzz_json_string(object, "roomCode", NULL), ==, frame.room_code);
		g_assert_true(rc_protocol_validate_namespace(frame.ns, NULL));
		g_assert_true(rc_protocol_validate_room_code(frame.room_code, NULL));
	}
	if (frame.type == RC_FRAME_JOIN) {
		JsonObject *since = json_object_get_member(object, "since") != NULL
					? json_object_get_object_member(object, "since")
					: NULL;
		g_assert_cmpint(rc_fuzz_json_int(object, "history", -1), ==, frame.history);
		g_assert_cmpint(since != NULL, ==, frame.since);
		if (since != NULL) {
			g_assert_cmpstr(rc_fuzz_json_string(since, "epoch", NULL), ==, frame.since_epoch);
			g_assert_cmpint(rc_fuzz_json_int(since, "offset", -1), ==, (gint64)frame.since_offset);
		}
	}
	if (frame.type == RC_FRAME_HISTORY) {
		g_assert_cmpint(rc_fuzz_json_int(object, "limit", 0), ==, (gint64)frame.limit);
		g_assert_cmpint(rc_fuzz_json_int(object, "before", 0), ==, (gint64)frame.before);
	}
	if (frame.type == RC_FRAME_SEND) {
		g_assert_cmpstr(rc_fuzz_json_string(object, "text", NULL), ==, frame.text);
		g_assert_true(rc_protocol_validate_text(frame.text, 4096, NULL));
	}
	return 0;
}
