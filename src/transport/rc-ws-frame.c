/*
 * Copyright 2026 roomcast developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#define G_LOG_DOMAIN "RcWsFrame"

#include "config.h"

#include <string.h>

#include "transport/rc-ws-frame.h"

GBytes *
rc_ws_frame_text(const gchar *payload, gsize len)
{
	guint8 *buf = g_malloc(len + 10);
	gsize head;

	buf[0] = 0x81; /* FIN | text */
	if (len < 126) {
		buf[1] = (guint8)len;
		head = 2;
	} else if (len < 65536) {
		buf[1] = 126;
		buf[2] = (guint8)(len >> 8);
		buf[3] = (guint8)len;
		head = 4;
	} else {
		buf[1] = 127;
		for (guint i = 0; i < 8; i++)
			buf[2 + i] = (guint8)((guint64)len >> (56 - 8 * i));
		head = 10;
	}
	memcpy(buf + head, payload, len);
	return g_bytes_new_take(buf, head + len);
}

GBytes *
rc_ws_frame_close(gushort code, const gchar *reason)
{
	gsize len = reason != NULL ? MIN(strlen(reason), 123) : 0;
	guint8 *buf = g_malloc(4 + len);

	buf[0] = 0x88; /* FIN | close */
	buf[1] = (guint8)(2 + len);
	buf[2] = (guint8)(code >> 8);
	buf[3] = (guint8)code;
	if (len > 0)
		memcpy(buf + 4, reason, len);
	return g_bytes_new_take(buf, 4 + len);
}

gint
rc_ws_frame_opcode(const guint8 *data, gsize len)
{
	return len > 0 ? data[0] & 0x0f : -1;
}

/* the header's full length once its first two bytes are known */
static gsize
rc_ws_header_size(const guint8 *header)
{
	gsize size = 2;
	guint8 len7 = header[1] & 0x7f;
	if (len7 == 126)
		size += 2;
	else if (len7 == 127)
		size += 8;
	if (header[1] & 0x80)
		size += 4; /* mask */
	return size;
}

static guint64
rc_ws_header_payload_len(const guint8 *header)
{
	guint8 len7 = header[1] & 0x7f;
	guint64 len = 0;
	if (len7 < 126)
		return len7;
	if (len7 == 126)
		return (guint64)header[2] << 8 | header[3];
	for (guint i = 0; i < 8; i++)
		len = len << 8 | header[2 + i];
	return len;
}

gboolean
rc_ws_frame_counter_feed(RcWsFrameCounter *self,
			 const guint8 *data,
			 gsize len,
			 guint64 max_message,
			 guint64 *message_total)
{
	gsize at = 0;

	while (at < len) {
		if (self->in_payload) {
			guint64 take = MIN(self->payload_left, (guint64)(len - at));
			self->payload_left -= take;
			at += (gsize)take;
			if (self->payload_left == 0)
				self->in_payload = FALSE;
			continue;
		}
		self->header[self->header_len++] = data[at++];
		if (self->header_len < 2 || self->header_len < rc_ws_header_size(self->header))
			continue;
		{
			guint8 opcode = self->header[0] & 0x0f;
			gboolean fin = (self->header[0] & 0x80) != 0;
			guint64 payload = rc_ws_header_payload_len(self->header);

			if (opcode < 0x8) {
				/* a new message starts with a data frame that is no continuation */
				if (opcode != 0x0)
					self->message_total = 0;
				/* saturating: a 2^64 length must not wrap around to a small one */
				self->message_total = payload > G_MAXUINT64 - self->message_total
							  ? G_MAXUINT64
							  : self->message_total + payload;
				if (max_message > 0 && self->message_total > max_message) {
					if (message_total != NULL)
						*message_total = self->message_total;
					return FALSE;
				}
				if (fin)
					self->message_total = 0;
			}
			self->header_len = 0;
			self->payload_left = payload;
			self->in_payload = payload > 0;
		}
	}
	if (message_total != NULL)
		*message_total = self->message_total;
	return TRUE;
}
