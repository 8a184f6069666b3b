/*
 * Copyright 2026 roomcast developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * libFuzzer entry for the client frame parser; also linked with
 * fuzz-replay.c so the corpus runs as a plain test under gcc.
 */
#include "config.h"

#include <json-glib/json-glib.h>

#include "protocol/rc-protocol.h"

int LLVMFuzzerTestOneInput(const guint8 *data, gsize size);

int
LLVMFuzzerTestOneInput(const guint8 *data, gsize size)
{
	g_auto(RcClientFrame) frame = {0};
	g_autoptr(GError) error = NULL;
	if (rc_protocol_parse_client_frame((const gchar *)data, size, 4096, &frame, &error)) {
		g_autoptr(JsonParser) parser = json_parser_new();
		/* what the hand-written reader accepts must be JSON to a real parser too */
		g_assert_true(json_parser_load_from_data(parser, (const gchar *)data, size, NULL));
		g_assert_no_error(error);
		if (frame.type != RC_FRAME_PING) {
			g_assert_true(rc_protocol_validate_namespace(frame.ns, NULL));
			g_assert_true(rc_protocol_validate_room_code(frame.room_code, NULL));
		}
		if (frame.type == RC_FRAME_SEND)
			g_assert_true(rc_protocol_validate_text(frame.text, 4096, NULL));
	} else {
		g_assert_nonnull(error);
	}
	return 0;
}
