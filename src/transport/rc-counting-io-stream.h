/*
 * Copyright 2026 roomcast developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/* Wraps a stolen HTTP connection so its writes are counted (see
 * RcCountingOutputStream); reads go straight to the base stream. */
#define RC_TYPE_COUNTING_IO_STREAM (rc_counting_io_stream_get_type())
G_DECLARE_FINAL_TYPE(RcCountingIOStream, rc_counting_io_stream, RC, COUNTING_IO_STREAM, GIOStream)

GIOStream *rc_counting_io_stream_new(GIOStream *base);
guint64 rc_counting_io_stream_get_written(RcCountingIOStream *self);
GIOStream *rc_counting_io_stream_get_base(RcCountingIOStream *self);

G_END_DECLS
