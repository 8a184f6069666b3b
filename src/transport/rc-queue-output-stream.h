/*
 * Copyright 2026 roomcast developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include "transport/rc-client-poller.h"

G_BEGIN_DECLS

/* The single way bytes reach a client's socket. The client pushes shared, ready-made
 * frames without a copy; libsoup writes its own control frames (pongs, the close
 * frame) through it as a pollable stream. Whatever the socket does not take at once
 * waits here and is counted exactly: libsoup gives no backpressure signal.
 *
 * Order: pushed frames go out in push order. libsoup's control frames go ahead of
 * every queued frame that has not started to be written, behind earlier control
 * frames; after a close frame nothing more is sent and queued data is dropped.
 * ::overflow is emitted (from an idle) when a control frame would take the queue
 * over its limit; that frame is dropped. ::drained is emitted when a write left the
 * queue empty, or the socket failed. */
#define RC_TYPE_QUEUE_OUTPUT_STREAM (rc_queue_output_stream_get_type())
G_DECLARE_FINAL_TYPE(RcQueueOutputStream,
		     rc_queue_output_stream,
		     RC,
		     QUEUE_OUTPUT_STREAM,
		     GOutputStream)

/* @raw: @base is a plain socket's stream on @fd, and the queue may write to @fd itself */
GOutputStream *
rc_queue_output_stream_new(GOutputStream *base, gint fd, gboolean raw, RcClientPoller *poller);
/* queues @bytes after everything pushed before it (a reference is kept, no copy) */
void rc_queue_output_stream_push(RcQueueOutputStream *self, GBytes *bytes);
/* the same for a message frame: when its last byte is written, the time since
 * @accepted_at (g_get_monotonic_time(), 0 for none) goes into the delivery latency */
void
rc_queue_output_stream_push_stamped(RcQueueOutputStream *self, GBytes *bytes, gint64 accepted_at);
/* queues a control frame as libsoup's own are (see above) */
void rc_queue_output_stream_push_control(RcQueueOutputStream *self, GBytes *bytes);
/* a hint for the CPU: load what the next push will read */
void rc_queue_output_stream_prefetch(RcQueueOutputStream *self);
/* bytes accepted and not yet written to the socket */
gsize rc_queue_output_stream_get_queued(RcQueueOutputStream *self);
/* the most bytes libsoup's own frames may take the queue to; 0 for no limit */
void rc_queue_output_stream_set_limit(RcQueueOutputStream *self, gsize limit);
/* whether the socket failed: nothing more can be written */
gboolean rc_queue_output_stream_has_failed(RcQueueOutputStream *self);
/* a close frame went in, or the socket failed: pushes are dropped */
gboolean rc_queue_output_stream_is_closed(RcQueueOutputStream *self);

G_END_DECLS
