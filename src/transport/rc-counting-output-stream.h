/*
 * Copyright 2026 roomcast developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/* A pollable output stream that counts what reached its base stream, so a
 * connection knows how much libsoup still holds for a slow reader. */
#define RC_TYPE_COUNTING_OUTPUT_STREAM (rc_counting_output_stream_get_type())
G_DECLARE_FINAL_TYPE(RcCountingOutputStream,
		     rc_counting_output_stream,
		     RC,
		     COUNTING_OUTPUT_STREAM,
		     GOutputStream)

GOutputStream *rc_counting_output_stream_new(GOutputStream *base);
guint64 rc_counting_output_stream_get_written(RcCountingOutputStream *self);

G_END_DECLS
