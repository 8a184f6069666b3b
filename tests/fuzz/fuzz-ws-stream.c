/*
 * Copyright 2026 roomcast developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * libFuzzer entry for the WebSocket frame counter that bounds fragmented messages:
 * fed the same client bytes in arbitrary slices, it must reach the same verdict,
 * at the same message size, as a plain reading of the whole stream at once.
 */
#include "config.h"

#include <string.h>

#include "transport/rc-ws-frame.h"

int LLVMFuzzerTestOneInput(const guint8 *data, gsize size);

/* the stream read in one go, frame by frame; FALSE when a message passes @max */
static gboolean
reference(const guint8 *p, gsize len, guint64 max, guint64 *total_out)
{
	gsize at = 0;
	guint64 total = 0;

	while (at + 2 <= len) {
		guint8 opcode = p[at] & 0x0f;
		gboolean fin = (p[at] & 0x80) != 0;
		guint8 len7 = p[at + 1] & 0x7f;
		gsize hdr = 2 + (len7 == 126 ? 2 : len7 == 127 ? 8 : 0) + ((p[at + 1] & 0x80) ? 4 : 0);
		guint64 payload = 0;

		if (at + hdr > len)
			break;
		if (len7 < 126)
			payload = len7;
		else if (len7 == 126)
			payload = (guint64)p[at + 2] << 8 | p[at + 3];
		else
			for (guint i = 0; i < 8; i++)
				payload = payload << 8 | p[at + 2 + i];
		if (opcode < 8) {
			if (opcode != 0)
				total = 0;
			total = payload > G_MAXUINT64 - total ? G_MAXUINT64 : total + payload;
			if (max > 0 && total > max) {
				*total_out = total;
				return FALSE;
			}
			if (fin)
				total = 0;
		}
		at += hdr;
		if (payload > len - at)
			break;
		at += (gsize)payload;
	}
	return TRUE;
}

int
LLVMFuzzerTestOneInput(const guint8 *data, gsize size)
{
	RcWsFrameCounter counter = {0};
	guint64 max, expected_total = 0, got_total = 0;
	gboolean expected, got = TRUE;
	const guint8 *stream;
	gsize len, at = 0;
	guint8 seed;

	if (size < 3)
		return 0;
	/* the first two bytes choose the limit and the slicing */
	max = (guint64)data[0] * 97;
	seed = data[1];
	stream = data + 2;
	len = size - 2;
	expected = reference(stream, len, max, &expected_total);
	while (at < len && got) {
		gsize slice = 1 + (seed % 7) * (seed % 3 == 0 ? 100 : 1);
		slice = MIN(slice, len - at);
		/* a copy of exactly the slice, so reading past it is caught */
		{
			g_autofree guint8 *copy = g_memdup2(stream + at, slice);
			got = rc_ws_frame_counter_feed(&counter, copy, slice, max, &got_total);
		}
		at += slice;
		seed = (guint8)(seed * 31 + 7);
	}
	g_assert_cmpint(got, ==, expected);
	if (!got)
		g_assert_cmpuint(got_total, ==, expected_total);
	return 0;
}
