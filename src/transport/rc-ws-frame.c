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
