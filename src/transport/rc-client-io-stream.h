/*
 * Copyright 2026 roomcast developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include "transport/rc-client-input-stream.h"
#include "transport/rc-queue-output-stream.h"

G_BEGIN_DECLS

/* A stolen HTTP connection as the WebSocket sees it: reads through an
 * RcClientInputStream, writes through an RcQueueOutputStream, both waiting on
 * the node's RcClientPoller rather than on GSources of their own. */
#define RC_TYPE_CLIENT_IO_STREAM (rc_client_io_stream_get_type())
G_DECLARE_FINAL_TYPE(RcClientIOStream, rc_client_io_stream, RC, CLIENT_IO_STREAM, GIOStream)

/* @tls: @base is a TLS connection over the socket @fd. Without TLS its output
 * writes to @fd itself, unbuffered, so the queue may send() to @fd directly; with
 * TLS its input may hold decrypted bytes the socket no longer shows. */
GIOStream *rc_client_io_stream_new(GIOStream *base, gint fd, gboolean tls);
RcClientInputStream *rc_client_io_stream_get_input(RcClientIOStream *self);
RcQueueOutputStream *rc_client_io_stream_get_queue(RcClientIOStream *self);

G_END_DECLS
