/*
 * Copyright 2026 roomcast developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include "transport/rc-client-poller.h"

G_BEGIN_DECLS

/* A client socket's input as libsoup reads it: reads go straight to the socket,
 * and the source libsoup waits on is parked with the RcClientPoller. */
#define RC_TYPE_CLIENT_INPUT_STREAM (rc_client_input_stream_get_type())
G_DECLARE_FINAL_TYPE(RcClientInputStream,
		     rc_client_input_stream,
		     RC,
		     CLIENT_INPUT_STREAM,
		     GInputStream)

/* Reads are bounded per poller round, so that one connection's burst is handled in
 * slices between the other connections' turns; and the WebSocket frames that go
 * through are counted, so that a message is refused (SOUP_WEBSOCKET_CLOSE_TOO_BIG)
 * as soon as its fragments pass the limit. */
GInputStream *rc_client_input_stream_new(GInputStream *base, gint fd, RcClientPoller *poller);
/* the most bytes a message may have over all its fragments; 0 for no limit */
void rc_client_input_stream_set_max_message(RcClientInputStream *self, guint64 max_message);
/* @base may hold bytes the socket does not show (TLS): a read cut short by the
 * budget makes sure it is looked at again in the next round */
void rc_client_input_stream_set_buffered(RcClientInputStream *self, gboolean buffered);

G_END_DECLS
