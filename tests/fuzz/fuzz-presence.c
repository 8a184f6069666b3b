/*
 * Copyright 2026 roomcast developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * libFuzzer entry for the presence event parser, which reads what other nodes
 * (or anything with access to Redis) publish; also linked with fuzz-replay.c so
 * the corpus runs as a plain test under gcc. Whatever it accepts, json-glib must
 * read as JSON with the same values.
 */
#include "config.h"

#include "protocol/rc-protocol.h"
#include "rc-fuzz-json.h"
#include "rc-presence.h"

int LLVMFuzzerTestOneInput(const guint8 *data, gsize size);

int
LLVMFuzzerTestOneInput(const guint8 *data, gsize size)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(GError) error_in_room = NULL;
	g_autoptr(RcPresence) event = NULL;
	g_autoptr(RcPresence) in_room = NULL;
	g_autoptr(JsonObject) object = NULL;

	/* a room's own channel names the room; the event need not */
	in_room = rc_protocol_parse_presence((const gchar *)data, size, "/", "r", &error_in_room);
	g_assert_true((in_room == NULL) == (error_in_room != NULL));
	event = rc_protocol_parse_presence((const gchar *)data, size, NULL, NULL, &error);
	if (event == NULL) {
		g_assert_nonnull(error);
		return 0;
	}
	g_assert_no_error(error);
	/* what names its room is valid without one given */
	g_assert_nonnull(in_room);
	object = rc_fuzz_json_root(data, size);
	g_assert_cmpstr(rc_fuzz_json_string(object, "namespace", "/"), ==,
			rc_presence_get_namespace(event));
	g_assert_cmpstr(rc_fuzz_json_string(object, "roomCode", NULL), ==,
			rc_presence_get_room_code(event));
	g_assert_cmpstr(rc_fuzz_json_string(object, "event", NULL), ==, rc_presence_get_event(event));
	g_assert_cmpstr(rc_fuzz_json_string(object, "client", NULL), ==, rc_presence_get_client(event));
	g_assert_cmpstr(rc_fuzz_json_string(object, "sender", NULL), ==, rc_presence_get_sender(event));
	g_assert_cmpstr(rc_fuzz_json_string(object, "node", NULL), ==, rc_presence_get_node(event));
	g_assert_true(rc_protocol_validate_sender(rc_presence_get_sender(event), NULL));
	return 0;
}
