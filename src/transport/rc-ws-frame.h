/*
 * Copyright 2026 roomcast developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Server-to-client WebSocket frames built by roomcast itself rather than libsoup, so
 * that one message's frame is built once and the same bytes go to every member.
 * Server frames are never masked; no extension is ever negotiated on our
 * connections (the upgrade offers none), so the bytes are valid for every peer. */

/* a complete, unfragmented text frame around @payload */
GBytes *rc_ws_frame_text(const gchar *payload, gsize len);
/* a close frame with @code and @reason (at most 123 bytes) */
GBytes *rc_ws_frame_close(gushort code, const gchar *reason);
/* the opcode of the frame starting at @data, -1 when @len is 0 */
gint rc_ws_frame_opcode(const guint8 *data, gsize len);

/* Follows the frame headers of a client's byte stream, fed in any slices, and adds
 * up each message over its fragments (control frames, 8-15, come between fragments
 * and do not count), so that a message over the limit is known from its headers,
 * before its bytes are buffered. The payload bytes themselves are skipped. */
typedef struct {
	guint8 header[14];
	gsize header_len;
	guint64 payload_left;
	guint64 message_total;
	gboolean in_payload;
} RcWsFrameCounter;

/* FALSE as soon as a message passes @max_message (0: no limit); *@message_total is
 * then its size so far */
gboolean rc_ws_frame_counter_feed(RcWsFrameCounter *self,
				  const guint8 *data,
				  gsize len,
				  guint64 max_message,
				  guint64 *message_total);

G_END_DECLS
