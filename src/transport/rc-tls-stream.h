/*
 * Copyright 2026 roomcast developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/* A client's TLS connection after its handshake, as libsoup gets it: the request
 * head already read comes first on input (RcTlsInputStream), output goes through
 * the TLS connection.
 *
 * Closing closes the TCP connection at once, on the main loop, without a TLS
 * close_notify: GIO would send it from a worker thread, or block the loop when the
 * peer does not read, and every answer is framed anyway (Content-Length, chunks,
 * the WebSocket close frame), so a client never needs it to see where one ends. */
#define RC_TYPE_TLS_STREAM (rc_tls_stream_get_type())
G_DECLARE_FINAL_TYPE(RcTlsStream, rc_tls_stream, RC, TLS_STREAM, GIOStream)

/* @tls runs over @connection; @prefix: bytes already read from @tls, or NULL */
GIOStream *rc_tls_stream_new(GSocketConnection *connection, GTlsConnection *tls, GBytes *prefix);

G_END_DECLS
