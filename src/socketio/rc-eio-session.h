/*
 * Copyright 2026 roomcast developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <libsoup/soup.h>

#include "rc-config.h"

G_BEGIN_DECLS

/* One Engine.IO session: the packets of one client, over HTTP long-polling, over a
 * WebSocket, or over polling first and then upgraded to a WebSocket. It knows
 * nothing of Socket.IO: message packets go up through ::packet, and whoever uses
 * the session queues its packets here.
 *
 * What it holds for the client is bounded: the polling queue and the WebSocket
 * output queue count against [limits] max_queue_bytes together, and a session
 * over that closes as a slow consumer. Time is the server's business: it pings
 * through rc_eio_session_ping() and closes a session that did not answer.
 *
 * Signals:
 *   ::packet (gboolean binary, gpointer data, guint64 len): a message packet from
 *     the client; @data is only valid during the emission
 *   ::pong: the client answered a ping
 *   ::closed: the session ended, for whatever reason; emitted once, after which
 *     nothing is sent or received any more */
#define RC_TYPE_EIO_SESSION (rc_eio_session_get_type())
G_DECLARE_FINAL_TYPE(RcEioSession, rc_eio_session, RC, EIO_SESSION, GObject)

/* the WebSocket close codes a session closes with besides the usual ones */
#define RC_EIO_CLOSE_PROTOCOL_ERROR 1002
#define RC_EIO_CLOSE_SLOW_CONSUMER 1013

RcEioSession *rc_eio_session_new(RcConfig *config, const gchar *sid, const gchar *peer);
const gchar *rc_eio_session_get_sid(RcEioSession *self);
const gchar *rc_eio_session_get_peer(RcEioSession *self);
gboolean rc_eio_session_is_closed(RcEioSession *self);
/* the WebSocket close code it closed with (RC_EIO_CLOSE_SLOW_CONSUMER, …), 0 while open */
gushort rc_eio_session_get_close_code(RcEioSession *self);
/* TRUE once packets go over the WebSocket: shared frames are then WebSocket frames */
gboolean rc_eio_session_is_websocket(RcEioSession *self);
/* bytes queued for the client and not written to its socket yet */
gsize rc_eio_session_get_queued_bytes(RcEioSession *self);

/* ---- polling (the caller checked sid and transport) ---- */

/* a long-polling GET: answered at once with what is queued, else held until
 * there is something (the server's next ping at the latest) */
void rc_eio_session_handle_poll(RcEioSession *self, SoupServerMessage *msg);
/* a POST with a body of packets; it is answered once they are all handled, a few
 * at a time per main loop turn */
void rc_eio_session_handle_post(RcEioSession *self, SoupServerMessage *msg);
/* whether a WebSocket may be offered to it now: polling, no probe yet */
gboolean rc_eio_session_can_upgrade(RcEioSession *self);

/* ---- WebSocket ---- */

/* Gives the session its WebSocket: the transport of a session that started on one
 * (@probe FALSE), or the probe of an upgrade, which replaces polling once the
 * client confirms it. */
void rc_eio_session_attach_websocket(RcEioSession *self,
				     SoupWebsocketConnection *conn,
				     GIOStream *stream,
				     gboolean probe);

/* ---- sending ---- */

/* queues one encoded Engine.IO packet ("<type><data>"), possibly shared */
void rc_eio_session_send_packet(RcEioSession *self, GBytes *packet);
/* queues a complete WebSocket text frame holding one packet; only while
 * rc_eio_session_is_websocket(). @accepted_at: a message's
 * rc_message_get_accepted_at(), for the delivery latency; 0 for other frames */
void rc_eio_session_send_frame(RcEioSession *self, GBytes *frame, gint64 accepted_at);
/* sends a ping; FALSE when the session is closed */
gboolean rc_eio_session_ping(RcEioSession *self);
/* Closes the session: a WebSocket gets a close frame with @code and @reason, a
 * held poll an Engine.IO close packet. */
void rc_eio_session_close(RcEioSession *self, gushort code, const gchar *reason);
/* the client broke the protocol: @error says how (the POST being handled gets
 * a 400 with it) */
void rc_eio_session_fail(RcEioSession *self, const GError *error);

G_END_DECLS
