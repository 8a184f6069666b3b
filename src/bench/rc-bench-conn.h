/*
 * Copyright 2026 roomcast developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <gio/gio.h>

#include "rc-bench-poller.h"

G_BEGIN_DECLS

/* One client WebSocket (RFC 6455) over a raw non-blocking TCP socket, driven by an
 * RcBenchPoller on the thread-default main context. It does exactly what a load generator needs:
 * the upgrade handshake (checked, including Sec-WebSocket-Accept), masked text frames out, unmasked
 * text frames in (fragments reassembled), ping/pong and the close handshake. See docs/bench.md for
 * why roomcast-bench does not use SoupWebsocketConnection here. */
#define RC_TYPE_BENCH_CONN (rc_bench_conn_get_type())
G_DECLARE_FINAL_TYPE(RcBenchConn, rc_bench_conn, RC, BENCH_CONN, GObject)

/* Plain callbacks rather than GObject signals: a frame costs the generator about a
 * microsecond, and a signal emission per frame would be a good part of that. */
typedef struct {
	/* a complete text frame; @data is not NUL-terminated and only valid during the call */
	void (*text)(RcBenchConn *conn, const gchar *data, gsize len, gpointer user_data);
	/* the connection failed or the server closed it; not called after rc_bench_conn_close() */
	void (*closed)(RcBenchConn *conn, const GError *error, gpointer user_data);
} RcBenchConnCallbacks;

RcBenchConn *
rc_bench_conn_new(RcBenchPoller *poller, const RcBenchConnCallbacks *callbacks, gpointer user_data);

/* Starts connecting to @dest from @source_address (NULL: any) and upgrades with
 * "GET @path_and_query" and "Host: @host". FALSE only when the socket cannot even be set up. */
gboolean rc_bench_conn_start(RcBenchConn *self,
			     GSocketAddress *dest,
			     GInetAddress *source_address,
			     const gchar *host,
			     const gchar *path_and_query,
			     GError **error);

/* Queues one masked text frame; FALSE (and nothing sent) unless the WebSocket is open. */
gboolean rc_bench_conn_send_text(RcBenchConn *self, const gchar *text, gsize len);
gboolean rc_bench_conn_is_open(RcBenchConn *self);
/* bytes written by rc_bench_conn_send_text() that the socket has not taken yet */
gsize rc_bench_conn_get_queued(RcBenchConn *self);
/* the code of the server's close frame, 0 when there was none */
guint rc_bench_conn_get_close_code(RcBenchConn *self);
/* Sends a close frame (best effort) and drops the socket at once; no callback follows. */
void rc_bench_conn_close(RcBenchConn *self);

G_END_DECLS
