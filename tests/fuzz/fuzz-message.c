/*
 * Copyright 2026 roomcast developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * libFuzzer entry for the Redis payload / POST /publish parser: whatever it
 * accepts must serialize back to a payload it accepts again, unchanged.
 */
#include "config.h"

#include <json-glib/json-glib.h>

#include "protocol/rc-protocol.h"

int LLVMFuzzerTestOneInput(const guint8 *data, gsize size);

int
LLVMFuzzerTestOneInput(const guint8 *data, gsize size)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(RcMessage) msg = rc_protocol_parse_message((const gchar *)data, size, 4096, &error);
	g_autoptr(RcMessage) again = NULL;
	GBytes *payload;

	if (msg == NULL) {
		g_assert_nonnull(error);
		return 0;
	}
	{
		g_autoptr(JsonParser) parser = json_parser_new();
		/* what the hand-written reader accepts must be JSON to a real parser too */
		g_assert_true(json_parser_load_from_data(parser, (const gchar *)data, size, NULL));
	}
	if (rc_message_get_id(msg) == NULL)
		rc_message_set_id(msg, "fuzz-1");
	payload = rc_message_get_payload(msg);
	again = rc_protocol_parse_message(g_bytes_get_data(payload, NULL),
					  g_bytes_get_size(payload),
					  4096,
					  &error);
	g_assert_no_error(error);
	g_assert_cmpstr(rc_message_get_text(again), ==, rc_message_get_text(msg));
	g_assert_cmpstr(rc_message_get_sender(again), ==, rc_message_get_sender(msg));
	g_assert_cmpstr(rc_message_get_room_code(again), ==, rc_message_get_room_code(msg));
	g_assert_cmpstr(rc_message_get_namespace(again), ==, rc_message_get_namespace(msg));
	g_assert_cmpstr(rc_message_get_id(again), ==, rc_message_get_id(msg));
	/* the client frame is JSON too */
	g_assert_true(g_utf8_validate(g_bytes_get_data(rc_message_get_client_frame(msg), NULL),
				      g_bytes_get_size(rc_message_get_client_frame(msg)),
				      NULL));
	return 0;
}
