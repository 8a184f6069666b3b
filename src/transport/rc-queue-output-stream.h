/*
 * Copyright 2026 roomcast developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include "transport/rc-client-poller.h"

G_BEGIN_DECLS

/* The single way bytes reach a client's socket. libsoup writes its own frames
 * (pongs, close) through it as a pollable stream, and the daemon pushes shared,
 * ready-made frames without a copy. Whatever the socket does not take at once
 * waits here, in order, and is counted: libsoup gives no backpressure signal. */
#define RC_TYPE_QUEUE_OUTPUT_STREAM (rc_queue_output_stream_get_type())
G_DECLARE_FINAL_TYPE(RcQueueOutputStream,
		     rc_queue_output_stream,
		     RC,
		     QUEUE_OUTPUT_STREAM,
		     GOutputStream)

GOutputStream *rc_queue_output_stream_new(GOutputStream *base, gint fd, RcClientPoller *poller);
/* queues @bytes after everything before it (a reference is kept, no copy) */
void rc_queue_output_stream_push(RcQueueOutputStream *self, GBytes *bytes);
/* bytes accepted and not yet written to the socket */
gsize rc_queue_output_stream_get_queued(RcQueueOutputStream *self);

G_END_DECLS
