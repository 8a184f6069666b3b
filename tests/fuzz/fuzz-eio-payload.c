/*
 * Copyright 2026 roomcast developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * libFuzzer entry for the Engine.IO polling body and frame parser: what it
 * accepts encodes back to the same bytes, and every packet stays inside the
 * body it came from.
 */
#include "config.h"

#include <string.h>

#include "socketio/rc-eio-packet.h"

int LLVMFuzzerTestOneInput(const guint8 *data, gsize size);

#define MAX_BYTES 65536
#define MAX_PACKETS 64

static void
check_packet(const gchar *body, gsize size, const RcEioPacket *p)
{
	g_assert_true(p->data >= body && p->data + p->len <= body + size);
	g_assert_cmpuint(p->type, <=, RC_EIO_PACKET_NOOP);
	if (p->binary) {
		g_assert_cmpint(p->type, ==, RC_EIO_PACKET_MESSAGE);
		g_assert_cmpuint(p->len % 4, ==, 0);
		return;
	}
	g_assert_true(g_utf8_validate(p->data, p->len, NULL));
	g_assert_null(memchr(p->data, RC_EIO_RECORD_SEPARATOR, p->len));
	if (p->type == RC_EIO_PACKET_CLOSE || p->type == RC_EIO_PACKET_UPGRADE ||
	    p->type == RC_EIO_PACKET_NOOP)
		g_assert_cmpuint(p->len, ==, 0);
}

int
LLVMFuzzerTestOneInput(const guint8 *data, gsize size)
{
	const gchar *body = (const gchar *)data;
	g_autoptr(GError) error = NULL;
	g_autoptr(GArray) packets =
	    rc_eio_payload_parse(body, size, MAX_BYTES, MAX_PACKETS, &error);
	RcEioPacket frame = {0};

	if (packets == NULL) {
		g_assert_nonnull(error);
		g_assert_true(error->domain == RC_EIO_ERROR);
	} else {
		g_autoptr(GString) again = g_string_new(NULL);
		g_assert_no_error(error);
		g_assert_cmpuint(packets->len, >, 0);
		g_assert_cmpuint(packets->len, <=, MAX_PACKETS);
		for (guint i = 0; i < packets->len; i++) {
			const RcEioPacket *p = &g_array_index(packets, RcEioPacket, i);
			g_autoptr(GString) one = g_string_new(NULL);
			check_packet(body, size, p);
			if (p->binary) {
				g_string_append_c(one, 'b');
				g_string_append_len(one, p->data, (gssize)p->len);
			} else {
				rc_eio_packet_append(one, p->type, p->data, p->len);
			}
			rc_eio_payload_append(again, one->str, one->len);
		}
		/* the encoder writes the body back byte for byte */
		g_assert_cmpmem(again->str, again->len, body, size);
	}

	/* the same bytes as one text frame: a one-packet body parses the same */
	if (rc_eio_packet_parse_frame(body, size, FALSE, &frame, NULL)) {
		check_packet(body, size, &frame);
		g_assert_true(packets != NULL || size > MAX_BYTES);
	}
	return 0;
}
