/*
 * Copyright 2026 roomcast developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * libFuzzer entry for the Socket.IO packet parser: whatever it accepts is
 * JSON to json-glib, obeys the shape rules, and encodes back to a packet that
 * parses to the same thing.
 */
#include "config.h"

#include <string.h>

#include "socketio/rc-sio-packet.h"

int LLVMFuzzerTestOneInput(const guint8 *data, gsize size);

#define MAX_BYTES 16384
#define MAX_DEPTH 16

int
LLVMFuzzerTestOneInput(const guint8 *data, gsize size)
{
	g_auto(RcSioPacket) p = {0};
	g_auto(RcSioPacket) again = {0};
	g_autoptr(GError) error = NULL;
	g_autoptr(GString) encoded = NULL;
	g_autofree gchar *original = NULL;
	g_autofree gchar *json = NULL;
	g_autofree gchar *json_again = NULL;

	if (!rc_sio_packet_parse((const gchar *)data, size, MAX_BYTES, MAX_DEPTH, &p, &error)) {
		g_assert_nonnull(error);
		g_assert_true(error->domain == RC_SIO_ERROR);
		if (g_error_matches(error, RC_SIO_ERROR, RC_SIO_ERROR_BINARY)) {
			g_assert_true(p.type == RC_SIO_PACKET_BINARY_EVENT ||
				      p.type == RC_SIO_PACKET_BINARY_ACK);
			g_assert_cmpuint(p.attachments, >=, 1);
			g_assert_cmpuint(p.attachments, <=, RC_SIO_MAX_ATTACHMENTS);
			g_assert_nonnull(p.nsp);
			g_assert_true(p.type != RC_SIO_PACKET_BINARY_ACK || p.ack_id >= 0);
		}
		return 0;
	}
	g_assert_no_error(error);
	g_assert_cmpuint(p.type, <=, RC_SIO_PACKET_CONNECT_ERROR);
	g_assert_nonnull(p.nsp);
	g_assert_true(p.nsp[0] == '/');
	g_assert_null(strchr(p.nsp, ','));
	g_assert_cmpint(p.ack_id, >=, RC_SIO_NO_ACK_ID);
	g_assert_cmpint(p.ack_id, <=, RC_SIO_MAX_ACK_ID);
	switch (p.type) {
	case RC_SIO_PACKET_CONNECT:
		g_assert_true(p.data == NULL || JSON_NODE_HOLDS_OBJECT(p.data));
		break;
	case RC_SIO_PACKET_DISCONNECT:
		g_assert_null(p.data);
		break;
	case RC_SIO_PACKET_EVENT:
		g_assert_true(JSON_NODE_HOLDS_ARRAY(p.data));
		g_assert_nonnull(p.event);
		g_assert_true(g_utf8_validate(p.event, -1, NULL));
		break;
	case RC_SIO_PACKET_ACK:
		g_assert_true(JSON_NODE_HOLDS_ARRAY(p.data));
		g_assert_cmpint(p.ack_id, >=, 0);
		break;
	case RC_SIO_PACKET_CONNECT_ERROR:
	default:
		g_assert_true(JSON_NODE_HOLDS_OBJECT(p.data));
		break;
	}

	/* Written back from its parts, it parses to the same packet. The data goes
	 * back as it came: json-glib 1.6 writes some doubles as invalid JSON (1e+92
	 * as "1e+92.0"). It starts at the first [ or {, which no header holds. */
	if (p.data != NULL) {
		const gchar *bracket = memchr(data, '[', size);
		const gchar *brace = memchr(data, '{', size);
		const gchar *start =
		    bracket == NULL || (brace != NULL && brace < bracket) ? brace : bracket;
		g_assert_nonnull(start);
		original = g_strndup(start, size - (gsize)(start - (const gchar *)data));
		json = json_to_string(p.data, FALSE);
	}
	encoded = g_string_new(NULL);
	rc_sio_packet_append(encoded, p.type, p.nsp, p.ack_id, original);
	g_assert_true(
	    rc_sio_packet_parse(encoded->str, encoded->len, G_MAXSIZE, MAX_DEPTH, &again, &error));
	g_assert_no_error(error);
	g_assert_cmpint(again.type, ==, p.type);
	g_assert_cmpstr(again.nsp, ==, p.nsp);
	g_assert_cmpint(again.ack_id, ==, p.ack_id);
	g_assert_cmpstr(again.event, ==, p.event);
	if (again.data != NULL)
		json_again = json_to_string(again.data, FALSE);
	g_assert_cmpstr(json_again, ==, json);
	return 0;
}
