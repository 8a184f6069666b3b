/*
 * Copyright 2026 roomcast developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#define G_LOG_DOMAIN "RcEioSession"

#include "config.h"

#include <glib/gi18n.h>
#include <string.h>

#include "socketio/rc-eio-packet.h"
#include "socketio/rc-eio-session.h"
#include "transport/rc-client-io-stream.h"
#include "transport/rc-client-poller.h"
#include "transport/rc-signal-hook.h"
#include "transport/rc-ws-frame.h"

/* A POST is handled this many packets per main loop turn, so that one client's
 * batch does not hold up the others. */
#define RC_EIO_POST_SLICE 32
/* the most packets a POST body may hold: more than any maxPayload-sized batch of
 * real packets, and a bound on what parsing one allocates */
#define RC_EIO_MAX_POST_PACKETS 16384

struct _RcEioSession {
	GObject parent_instance;
	RcConfig *config;
	gchar *sid;
	gchar *peer;
	gboolean closed;
	gboolean closed_by_client;
	gushort close_code;
	guint closed_idle_id;
	gboolean websocket; /* the transport packets go over */

	/* polling: encoded packets waiting for a GET, and the GET held for them */
	GQueue queue;
	gsize queued; /* their bytes, separators included */
	SoupServerMessage *poll;
	guint flush_id;

	/* the POST being handled */
	SoupServerMessage *post;
	gboolean post_paused;
	GBytes *post_body;
	GArray *post_packets;
	guint post_index;
	guint post_idle_id;
	gboolean in_post_run;
	GError *post_error;

	/* the WebSocket transport; each connection holds a reference on the session
	 * until libsoup says it closed */
	SoupWebsocketConnection *ws;
	RcClientIOStream *ws_stream;
	RcQueueOutputStream *ws_queue; /* ws_stream's */
	/* an upgrade's WebSocket until the client confirms it */
	SoupWebsocketConnection *probe;
	RcClientIOStream *probe_stream;
	gboolean probed; /* "3probe" went out: polling is paused */
	gint64 probe_since;
};

enum { SIGNAL_PACKET, SIGNAL_PONG, SIGNAL_CLOSED, SIGNAL_LAST };
static guint signals[SIGNAL_LAST] = {0};

G_DEFINE_TYPE(RcEioSession, rc_eio_session, G_TYPE_OBJECT)

/* on a WebSocket connection and its queue: the session they carry (not a reference:
 * the connection holds one on the session until it closes) */
static GQuark rc_eio_session_quark;

/* what every session sends the same way */
static GBytes *
rc_eio_session_static(RcEioPacketType type, const gchar *data, gboolean framed)
{
	g_autoptr(GBytes) packet =
	    rc_eio_packet_encode(type, data, data != NULL ? strlen(data) : 0);
	if (!framed)
		return g_steal_pointer(&packet);
	return rc_ws_frame_text(g_bytes_get_data(packet, NULL), g_bytes_get_size(packet));
}

static GBytes *
rc_eio_session_ping_packet(gboolean framed)
{
	static GBytes *packets[2];
	if (G_UNLIKELY(packets[framed] == NULL))
		packets[framed] = rc_eio_session_static(RC_EIO_PACKET_PING, NULL, framed);
	return packets[framed];
}

const gchar *
rc_eio_session_get_sid(RcEioSession *self)
{
	return self->sid;
}

const gchar *
rc_eio_session_get_peer(RcEioSession *self)
{
	return self->peer;
}

gboolean
rc_eio_session_is_closed(RcEioSession *self)
{
	return self->closed;
}

gushort
rc_eio_session_get_close_code(RcEioSession *self)
{
	return self->close_code;
}

gboolean
rc_eio_session_is_websocket(RcEioSession *self)
{
	return self->websocket;
}

gsize
rc_eio_session_get_queued_bytes(RcEioSession *self)
{
	gsize n = self->queued;
	if (self->ws_queue != NULL)
		n += rc_queue_output_stream_get_queued(self->ws_queue);
	return n;
}

gboolean
rc_eio_session_can_upgrade(RcEioSession *self)
{
	return !self->closed && !self->websocket && self->probe == NULL;
}

/* ---- HTTP answers ------------------------------------------------------------ */

static void
rc_eio_session_set_body(
    SoupServerMessage *msg, guint status, const gchar *content_type, gchar *body, gsize len)
{
	soup_server_message_set_status(msg, status, NULL);
	soup_message_headers_replace(
	    soup_server_message_get_response_headers(msg), "Cache-Control", "no-store");
	soup_server_message_set_response(msg, content_type, SOUP_MEMORY_TAKE, body, len);
}

static void
rc_eio_session_set_error(SoupServerMessage *msg, guint status, const gchar *detail)
{
	g_autoptr(GBytes) body = rc_eio_build_http_error(RC_EIO_HTTP_BAD_REQUEST, detail);
	gsize len = 0;
	gchar *data = g_bytes_unref_to_data(g_steal_pointer(&body), &len);
	rc_eio_session_set_body(msg, status, "application/json", data, len);
}

static void rc_eio_session_message_gone_cb(SoupServerMessage *msg, gpointer user_data);

/* the held GET, taken from the session: NULL when there is none */
static SoupServerMessage *
rc_eio_session_take_poll(RcEioSession *self)
{
	SoupServerMessage *msg = g_steal_pointer(&self->poll);
	if (msg != NULL)
		g_signal_handlers_disconnect_by_func(msg, rc_eio_session_message_gone_cb, self);
	g_clear_handle_id(&self->flush_id, g_source_remove);
	return msg;
}

/* answers the held GET with @body (taken) */
static void
rc_eio_session_answer_poll(RcEioSession *self, gchar *body, gsize len)
{
	g_autoptr(SoupServerMessage) msg = rc_eio_session_take_poll(self);

	if (msg == NULL) {
		g_free(body);
		return;
	}
	rc_eio_session_set_body(msg, SOUP_STATUS_OK, "text/plain; charset=UTF-8", body, len);
	soup_server_message_unpause(msg);
}

static void
rc_eio_session_answer_poll_with(RcEioSession *self, RcEioPacketType type)
{
	gchar *body = g_strdup_printf("%c", '0' + type);
	rc_eio_session_answer_poll(self, body, 1);
}

/* everything queued, as one polling payload */
static gchar *
rc_eio_session_take_queue(RcEioSession *self, gsize *len)
{
	GString *payload = g_string_sized_new(self->queued);
	GBytes *packet;

	while ((packet = g_queue_pop_head(&self->queue)) != NULL) {
		gsize size = 0;
		const gchar *data = g_bytes_get_data(packet, &size);
		rc_eio_payload_append(payload, data, size);
		g_bytes_unref(packet);
	}
	self->queued = 0;
	*len = payload->len;
	return g_string_free(payload, FALSE);
}

static void
rc_eio_session_drop_queue(RcEioSession *self)
{
	g_queue_clear_full(&self->queue, (GDestroyNotify)g_bytes_unref);
	self->queued = 0;
}

static gboolean
rc_eio_session_flush_cb(gpointer user_data)
{
	RcEioSession *self = RC_EIO_SESSION(user_data);
	gchar *body;
	gsize len = 0;

	self->flush_id = 0;
	if (self->poll == NULL || g_queue_is_empty(&self->queue))
		return G_SOURCE_REMOVE;
	body = rc_eio_session_take_queue(self, &len);
	rc_eio_session_answer_poll(self, body, len);
	return G_SOURCE_REMOVE;
}

/* the client closed the connection of a held request: there is nobody to answer */
static void
rc_eio_session_message_gone_cb(SoupServerMessage *msg, gpointer user_data)
{
	RcEioSession *self = RC_EIO_SESSION(user_data);

	if (msg == self->poll) {
		g_object_unref(rc_eio_session_take_poll(self));
		return;
	}
	if (msg == self->post) {
		g_signal_handlers_disconnect_by_func(msg, rc_eio_session_message_gone_cb, self);
		self->post_paused = FALSE;
	}
}

/* ---- closing ----------------------------------------------------------------- */

static gboolean
rc_eio_session_closed_idle_cb(gpointer user_data)
{
	RcEioSession *self = RC_EIO_SESSION(user_data);
	self->closed_idle_id = 0;
	g_signal_emit(self, signals[SIGNAL_CLOSED], 0);
	return G_SOURCE_REMOVE;
}

/* libsoup refuses to send 1012–1014 itself (see RcWsClient): such a close frame goes
 * ahead through the queue, and libsoup closes normally behind it */
static void
rc_eio_session_close_websocket(SoupWebsocketConnection *conn,
			       RcClientIOStream *stream,
			       gushort code,
			       const gchar *reason)
{
	if (conn == NULL || soup_websocket_connection_get_state(conn) != SOUP_WEBSOCKET_STATE_OPEN)
		return;
	if (code >= 1012 && code <= 1014) {
		g_autoptr(GBytes) frame = rc_ws_frame_close(code, reason);
		rc_queue_output_stream_push_control(rc_client_io_stream_get_queue(stream), frame);
		code = SOUP_WEBSOCKET_CLOSE_NORMAL;
	}
	soup_websocket_connection_close(
	    conn, code, code != SOUP_WEBSOCKET_CLOSE_NO_STATUS ? reason : NULL);
}

static void rc_eio_session_post_finish(RcEioSession *self);

void
rc_eio_session_close(RcEioSession *self, gushort code, const gchar *reason)
{
	if (self->closed)
		return;
	self->closed = TRUE;
	self->close_code = code;
	g_debug("session %s closed (%u%s%s)",
		self->sid,
		code,
		reason != NULL ? " " : "",
		reason != NULL ? reason : "");
	/* a client that said goodbye itself gets a noop for its held poll */
	rc_eio_session_answer_poll_with(
	    self, self->closed_by_client ? RC_EIO_PACKET_NOOP : RC_EIO_PACKET_CLOSE);
	rc_eio_session_drop_queue(self);
	if (self->post != NULL && !self->in_post_run)
		rc_eio_session_post_finish(self);
	rc_eio_session_close_websocket(self->ws, self->ws_stream, code, reason);
	rc_eio_session_close_websocket(
	    self->probe, self->probe_stream, SOUP_WEBSOCKET_CLOSE_NO_STATUS, NULL);
	/* never from inside a send: a member must not leave its room while the room
	 * delivers to it */
	self->closed_idle_id = g_idle_add_full(
	    G_PRIORITY_DEFAULT, rc_eio_session_closed_idle_cb, g_object_ref(self), g_object_unref);
}

void
rc_eio_session_fail(RcEioSession *self, const GError *error)
{
	if (self->closed)
		return;
	g_debug("session %s (%s): %s", self->sid, self->peer, error->message);
	if (self->post != NULL && self->post_error == NULL)
		self->post_error = g_error_copy(error);
	rc_eio_session_close(self, RC_EIO_CLOSE_PROTOCOL_ERROR, "protocol error");
}

static void
rc_eio_session_fail_literal(RcEioSession *self, const gchar *message)
{
	g_autoptr(GError) error =
	    g_error_new_literal(RC_EIO_ERROR, RC_EIO_ERROR_MALFORMED, message);
	rc_eio_session_fail(self, error);
}

static void
rc_eio_session_slow_consumer(RcEioSession *self)
{
	if (self->closed)
		return;
	g_message("socket.io session %s (%s) is not reading: closing it as a slow consumer",
		  self->sid,
		  self->peer);
	rc_eio_session_close(self, RC_EIO_CLOSE_SLOW_CONSUMER, "slow consumer");
}

/* ---- sending ----------------------------------------------------------------- */

static void
rc_eio_session_push_frame_stamped(RcEioSession *self, GBytes *frame, gint64 accepted_at)
{
	RcQueueOutputStream *queue = self->ws_queue;

	if (rc_queue_output_stream_is_closed(queue))
		return;
	if (rc_queue_output_stream_get_queued(queue) + g_bytes_get_size(frame) >
	    rc_config_get_max_queue_bytes(self->config)) {
		rc_eio_session_slow_consumer(self);
		return;
	}
	rc_queue_output_stream_push_stamped(queue, frame, accepted_at);
}

static void
rc_eio_session_push_frame(RcEioSession *self, GBytes *frame)
{
	rc_eio_session_push_frame_stamped(self, frame, 0);
}

static void
rc_eio_session_push_packet_framed(RcEioSession *self, GBytes *packet)
{
	g_autoptr(GBytes) frame =
	    rc_ws_frame_text(g_bytes_get_data(packet, NULL), g_bytes_get_size(packet));
	rc_eio_session_push_frame(self, frame);
}

void
rc_eio_session_send_packet(RcEioSession *self, GBytes *packet)
{
	gsize size = g_bytes_get_size(packet) + 1;

	if (self->closed)
		return;
	if (self->websocket) {
		rc_eio_session_push_packet_framed(self, packet);
		return;
	}
	if (self->queued + size > rc_config_get_max_queue_bytes(self->config)) {
		rc_eio_session_slow_consumer(self);
		return;
	}
	g_queue_push_tail(&self->queue, g_bytes_ref(packet));
	self->queued += size;
	/* what is queued in the same turn goes out in the same answer */
	if (self->poll != NULL && self->flush_id == 0)
		self->flush_id =
		    g_idle_add_full(G_PRIORITY_DEFAULT, rc_eio_session_flush_cb, self, NULL);
}

void
rc_eio_session_send_frame(RcEioSession *self, GBytes *frame, gint64 accepted_at)
{
	g_return_if_fail(self->websocket);

	if (self->closed)
		return;
	rc_eio_session_push_frame_stamped(self, frame, accepted_at);
}

static void
rc_eio_session_drop_probe(RcEioSession *self, gushort code)
{
	rc_eio_session_close_websocket(self->probe, self->probe_stream, code, NULL);
	/* the closed handler lets go of it */
	self->probed = FALSE;
}

gboolean
rc_eio_session_ping(RcEioSession *self)
{
	if (self->closed)
		return FALSE;
	/* a probe the client never confirmed is given up after one ping interval */
	if (self->probe != NULL &&
	    g_get_monotonic_time() - self->probe_since >
		(gint64)rc_config_get_sio_ping_interval(self->config) * 1000) {
		g_debug("session %s: upgrade not completed in time", self->sid);
		rc_eio_session_drop_probe(self, SOUP_WEBSOCKET_CLOSE_NO_STATUS);
	}
	if (self->websocket)
		rc_eio_session_push_frame(self, rc_eio_session_ping_packet(TRUE));
	else
		rc_eio_session_send_packet(self, rc_eio_session_ping_packet(FALSE));
	return !self->closed;
}

/* ---- packets from the client ------------------------------------------------- */

static void
rc_eio_session_handle_packet(RcEioSession *self, const RcEioPacket *packet)
{
	switch (packet->type) {
	case RC_EIO_PACKET_MESSAGE:
		g_signal_emit(self,
			      signals[SIGNAL_PACKET],
			      0,
			      packet->binary,
			      (gpointer)packet->data,
			      (guint64)packet->len);
		return;
	case RC_EIO_PACKET_PONG:
		g_signal_emit(self, signals[SIGNAL_PONG], 0);
		return;
	case RC_EIO_PACKET_CLOSE:
		self->closed_by_client = TRUE;
		rc_eio_session_close(self, SOUP_WEBSOCKET_CLOSE_NO_STATUS, NULL);
		return;
	case RC_EIO_PACKET_OPEN:
		rc_eio_session_fail_literal(self, _("a client never sends an open packet"));
		return;
	case RC_EIO_PACKET_PING:
	case RC_EIO_PACKET_UPGRADE:
	case RC_EIO_PACKET_NOOP:
	default:
		/* the server pings in this protocol version; the others mean nothing here */
		return;
	}
}

static void
rc_eio_session_post_finish(RcEioSession *self)
{
	g_autoptr(SoupServerMessage) msg = g_steal_pointer(&self->post);
	g_autoptr(GError) error = g_steal_pointer(&self->post_error);
	gboolean paused = self->post_paused;

	g_clear_handle_id(&self->post_idle_id, g_source_remove);
	g_clear_pointer(&self->post_packets, g_array_unref);
	g_clear_pointer(&self->post_body, g_bytes_unref);
	self->post_index = 0;
	self->post_paused = FALSE;
	if (msg == NULL)
		return;
	g_signal_handlers_disconnect_by_func(msg, rc_eio_session_message_gone_cb, self);
	if (error != NULL)
		rc_eio_session_set_error(msg, SOUP_STATUS_BAD_REQUEST, error->message);
	else
		rc_eio_session_set_body(msg, SOUP_STATUS_OK, "text/html", g_strdup("ok"), 2);
	if (paused)
		soup_server_message_unpause(msg);
}

/* one slice of the POST; TRUE once it is answered */
static gboolean
rc_eio_session_post_run(RcEioSession *self)
{
	g_autoptr(RcEioSession) keep G_GNUC_UNUSED = g_object_ref(self);

	self->in_post_run = TRUE;
	for (guint n = 0;
	     n < RC_EIO_POST_SLICE && !self->closed && self->post_index < self->post_packets->len;
	     n++) {
		const RcEioPacket *packet =
		    &g_array_index(self->post_packets, RcEioPacket, self->post_index++);
		rc_eio_session_handle_packet(self, packet);
	}
	self->in_post_run = FALSE;
	if (!self->closed && self->post_index < self->post_packets->len)
		return FALSE;
	rc_eio_session_post_finish(self);
	return TRUE;
}

static gboolean
rc_eio_session_post_idle_cb(gpointer user_data)
{
	RcEioSession *self = RC_EIO_SESSION(user_data);
	if (rc_eio_session_post_run(self)) {
		self->post_idle_id = 0;
		return G_SOURCE_REMOVE;
	}
	return G_SOURCE_CONTINUE;
}

/* a polling body is text (the client sends text/plain); a binary one is the
 * older protocol's, which is not spoken here */
static gboolean
rc_eio_session_content_type_ok(SoupServerMessage *msg)
{
	const gchar *type = soup_message_headers_get_content_type(
	    soup_server_message_get_request_headers(msg), NULL);
	return type == NULL || g_ascii_strcasecmp(type, "application/octet-stream") != 0;
}

void
rc_eio_session_handle_post(RcEioSession *self, SoupServerMessage *msg)
{
	g_autoptr(GError) error = NULL;
	SoupMessageBody *body = soup_server_message_get_request_body(msg);
	const gchar *data;
	gsize len = 0;

	if (self->post != NULL) {
		error =
		    g_error_new_literal(RC_EIO_ERROR,
					RC_EIO_ERROR_MALFORMED,
					_("a second POST while the first one is being handled"));
		rc_eio_session_set_error(msg, SOUP_STATUS_BAD_REQUEST, error->message);
		rc_eio_session_fail(self, error);
		return;
	}
	if (!rc_eio_session_content_type_ok(msg)) {
		error = g_error_new_literal(
		    RC_EIO_ERROR,
		    RC_EIO_ERROR_MALFORMED,
		    _("binary polling bodies (application/octet-stream) are not supported"));
		rc_eio_session_set_error(msg, SOUP_STATUS_BAD_REQUEST, error->message);
		rc_eio_session_fail(self, error);
		return;
	}
	self->post_body = soup_message_body_flatten(body);
	data = g_bytes_get_data(self->post_body, &len);
	self->post_packets = rc_eio_payload_parse(data != NULL ? data : "",
						  len,
						  rc_config_get_max_frame_bytes(self->config),
						  RC_EIO_MAX_POST_PACKETS,
						  &error);
	if (self->post_packets == NULL) {
		g_clear_pointer(&self->post_body, g_bytes_unref);
		rc_eio_session_set_error(
		    msg,
		    g_error_matches(error, RC_EIO_ERROR, RC_EIO_ERROR_TOO_LARGE)
			? SOUP_STATUS_REQUEST_ENTITY_TOO_LARGE
			: SOUP_STATUS_BAD_REQUEST,
		    error->message);
		rc_eio_session_fail(self, error);
		return;
	}
	self->post = g_object_ref(msg);
	g_signal_connect(msg, "disconnected", G_CALLBACK(rc_eio_session_message_gone_cb), self);
	/* most bodies are a packet or two: answered right here */
	if (rc_eio_session_post_run(self))
		return;
	soup_server_message_pause(msg);
	self->post_paused = TRUE;
	self->post_idle_id =
	    g_idle_add_full(G_PRIORITY_DEFAULT, rc_eio_session_post_idle_cb, self, NULL);
}

void
rc_eio_session_handle_poll(RcEioSession *self, SoupServerMessage *msg)
{
	if (self->poll != NULL) {
		g_autoptr(GError) error = g_error_new_literal(
		    RC_EIO_ERROR, RC_EIO_ERROR_MALFORMED, _("a second poll while one is waiting"));
		rc_eio_session_set_error(msg, SOUP_STATUS_BAD_REQUEST, error->message);
		rc_eio_session_fail(self, error);
		return;
	}
	if (self->closed) {
		rc_eio_session_set_body(
		    msg, SOUP_STATUS_OK, "text/plain; charset=UTF-8", g_strdup("1"), 1);
		return;
	}
	if (!g_queue_is_empty(&self->queue)) {
		gsize len = 0;
		gchar *body = rc_eio_session_take_queue(self, &len);
		rc_eio_session_set_body(
		    msg, SOUP_STATUS_OK, "text/plain; charset=UTF-8", body, len);
		return;
	}
	/* the client waits for its poll to come back before it confirms the upgrade */
	if (self->probed) {
		rc_eio_session_set_body(
		    msg, SOUP_STATUS_OK, "text/plain; charset=UTF-8", g_strdup("6"), 1);
		return;
	}
	soup_server_message_pause(msg);
	self->poll = g_object_ref(msg);
	g_signal_connect(msg, "disconnected", G_CALLBACK(rc_eio_session_message_gone_cb), self);
}

/* ---- WebSocket --------------------------------------------------------------- */

/* polling ends: what waited for a GET goes over the WebSocket, in order */
static void
rc_eio_session_upgrade(RcEioSession *self)
{
	GBytes *packet;

	g_debug("session %s upgraded to WebSocket", self->sid);
	self->ws = g_steal_pointer(&self->probe);
	self->ws_stream = g_steal_pointer(&self->probe_stream);
	self->ws_queue = rc_client_io_stream_get_queue(self->ws_stream);
	self->websocket = TRUE;
	self->probed = FALSE;
	rc_eio_session_answer_poll_with(self, RC_EIO_PACKET_NOOP);
	while (!self->closed && (packet = g_queue_pop_head(&self->queue)) != NULL) {
		self->queued -= g_bytes_get_size(packet) + 1;
		rc_eio_session_push_packet_framed(self, packet);
		g_bytes_unref(packet);
	}
	rc_eio_session_drop_queue(self);
}

static void
rc_eio_session_handle_probe_frame(RcEioSession *self, gint type, const gchar *data, gsize len)
{
	RcEioPacket packet = {0};

	if (type != SOUP_WEBSOCKET_DATA_TEXT ||
	    !rc_eio_packet_parse_frame(data, len, FALSE, &packet, NULL)) {
		rc_eio_session_drop_probe(self, RC_EIO_CLOSE_PROTOCOL_ERROR);
		return;
	}
	if (!self->probed && packet.type == RC_EIO_PACKET_PING && packet.len == 5 &&
	    memcmp(packet.data, "probe", 5) == 0) {
		g_autoptr(GBytes) frame = rc_eio_session_static(RC_EIO_PACKET_PONG, "probe", TRUE);
		rc_queue_output_stream_push(rc_client_io_stream_get_queue(self->probe_stream),
					    frame);
		/* the client pauses polling now and waits for its held GET to return */
		self->probed = TRUE;
		rc_eio_session_answer_poll_with(self, RC_EIO_PACKET_NOOP);
		return;
	}
	if (self->probed && packet.type == RC_EIO_PACKET_UPGRADE) {
		rc_eio_session_upgrade(self);
		return;
	}
	rc_eio_session_drop_probe(self, RC_EIO_CLOSE_PROTOCOL_ERROR);
}

static void
rc_eio_session_handle_frame(RcEioSession *self, gint type, const gchar *data, gsize len)
{
	g_autoptr(GError) error = NULL;
	RcEioPacket packet = {0};

	if (!rc_eio_packet_parse_frame(
		data, len, type != SOUP_WEBSOCKET_DATA_TEXT, &packet, &error)) {
		rc_eio_session_fail(self, error);
		return;
	}
	rc_eio_session_handle_packet(self, &packet);
}

static void
rc_eio_session_ws_message_cb(SoupWebsocketConnection *conn,
			     gint type,
			     GBytes *message,
			     gpointer user_data)
{
	RcEioSession *self = RC_EIO_SESSION(user_data);
	g_autoptr(RcEioSession) keep G_GNUC_UNUSED = g_object_ref(self);
	gsize len = 0;
	const gchar *data = g_bytes_get_data(message, &len);

	/* libsoup 3.2 still hands over a message completed after it began closing */
	if (self->closed || soup_websocket_connection_get_state(conn) != SOUP_WEBSOCKET_STATE_OPEN)
		return;
	/* libsoup calls us from the poller's parking context: work in the main one */
	rc_client_poller_leave();
	if (conn == self->ws)
		rc_eio_session_handle_frame(self, type, data != NULL ? data : "", len);
	else if (conn == self->probe)
		rc_eio_session_handle_probe_frame(self, type, data != NULL ? data : "", len);
	rc_client_poller_return();
}

/* libsoup drops a connection whose frame is over the limit without telling the
 * peer why: the 1009 close frame goes ahead through the queue */
static void
rc_eio_session_ws_error_cb(SoupWebsocketConnection *conn, GError *error, gpointer user_data)
{
	RcEioSession *self = RC_EIO_SESSION(user_data);
	RcClientIOStream *stream = conn == self->ws ? self->ws_stream : self->probe_stream;
	g_autoptr(GBytes) frame = NULL;

	g_debug("session %s: %s", self->sid, error->message);
	if (!g_error_matches(error, SOUP_WEBSOCKET_ERROR, SOUP_WEBSOCKET_CLOSE_TOO_BIG) ||
	    stream == NULL)
		return;
	frame = rc_ws_frame_close(SOUP_WEBSOCKET_CLOSE_TOO_BIG, "frame too large");
	rc_client_poller_leave();
	rc_queue_output_stream_push_control(rc_client_io_stream_get_queue(stream), frame);
	if (conn == self->ws)
		rc_eio_session_close(self, SOUP_WEBSOCKET_CLOSE_TOO_BIG, "frame too large");
	rc_client_poller_return();
}

static void
rc_eio_session_ws_closed_cb(SoupWebsocketConnection *conn, gpointer user_data)
{
	RcEioSession *self = RC_EIO_SESSION(user_data);

	rc_client_poller_leave();
	g_object_set_qdata(G_OBJECT(conn), rc_eio_session_quark, NULL);
	if (conn == self->ws || conn == self->probe) {
		RcClientIOStream *stream = conn == self->ws ? self->ws_stream : self->probe_stream;
		if (stream != NULL)
			g_object_set_qdata(G_OBJECT(rc_client_io_stream_get_queue(stream)),
					   rc_eio_session_quark,
					   NULL);
	}
	if (conn == self->ws) {
		self->ws_queue = NULL;
		g_clear_object(&self->ws_stream);
		rc_eio_session_close(self, SOUP_WEBSOCKET_CLOSE_NO_STATUS, NULL);
	} else if (conn == self->probe) {
		g_debug("session %s: upgrade probe closed", self->sid);
		g_clear_object(&self->probe_stream);
		self->probed = FALSE;
		self->probe = NULL;
	}
	if (self->ws == conn)
		self->ws = NULL;
	g_object_unref(conn);
	rc_client_poller_return();
	/* the connection's hold on the session */
	g_object_unref(self);
}

static gboolean
rc_eio_session_message_hook(GSignalInvocationHint *ihint,
			    guint n_values,
			    const GValue *values,
			    gpointer data)
{
	g_autoptr(RcEioSession) self = rc_signal_hook_ref_target(&values[0], rc_eio_session_quark);
	if (self != NULL)
		rc_eio_session_ws_message_cb(g_value_get_object(&values[0]),
					     g_value_get_int(&values[1]),
					     g_value_get_boxed(&values[2]),
					     self);
	return TRUE;
}

static gboolean
rc_eio_session_error_hook(GSignalInvocationHint *ihint,
			  guint n_values,
			  const GValue *values,
			  gpointer data)
{
	g_autoptr(RcEioSession) self = rc_signal_hook_ref_target(&values[0], rc_eio_session_quark);
	if (self != NULL)
		rc_eio_session_ws_error_cb(
		    g_value_get_object(&values[0]), g_value_get_boxed(&values[1]), self);
	return TRUE;
}

static gboolean
rc_eio_session_closed_hook(GSignalInvocationHint *ihint,
			   guint n_values,
			   const GValue *values,
			   gpointer data)
{
	g_autoptr(RcEioSession) self = rc_signal_hook_ref_target(&values[0], rc_eio_session_quark);
	if (self != NULL)
		rc_eio_session_ws_closed_cb(g_value_get_object(&values[0]), self);
	return TRUE;
}

static gboolean
rc_eio_session_overflow_hook(GSignalInvocationHint *ihint,
			     guint n_values,
			     const GValue *values,
			     gpointer data)
{
	g_autoptr(RcEioSession) self = rc_signal_hook_ref_target(&values[0], rc_eio_session_quark);
	if (self != NULL)
		rc_eio_session_slow_consumer(self);
	return TRUE;
}

void
rc_eio_session_attach_websocket(RcEioSession *self,
				SoupWebsocketConnection *conn,
				GIOStream *stream,
				gboolean probe)
{
	RcClientIOStream *client_stream = RC_CLIENT_IO_STREAM(stream);
	RcQueueOutputStream *queue = rc_client_io_stream_get_queue(client_stream);

	g_return_if_fail(probe ? rc_eio_session_can_upgrade(self) : self->ws == NULL);

	rc_queue_output_stream_set_limit(queue, rc_config_get_max_queue_bytes(self->config));
	rc_client_input_stream_set_max_message(rc_client_io_stream_get_input(client_stream),
					       rc_config_get_max_frame_bytes(self->config));
	g_object_ref(self);
	/* the class's emission hooks find us from here (see class_init) */
	g_object_set_qdata(G_OBJECT(conn), rc_eio_session_quark, self);
	g_object_set_qdata(G_OBJECT(queue), rc_eio_session_quark, self);
	if (probe) {
		self->probe = g_object_ref(conn);
		self->probe_stream = g_object_ref(client_stream);
		self->probe_since = g_get_monotonic_time();
	} else {
		self->ws = g_object_ref(conn);
		self->ws_stream = g_object_ref(client_stream);
		self->ws_queue = queue;
		self->websocket = TRUE;
	}
}

/* ---- life cycle -------------------------------------------------------------- */

RcEioSession *
rc_eio_session_new(RcConfig *config, const gchar *sid, const gchar *peer)
{
	RcEioSession *self = g_object_new(RC_TYPE_EIO_SESSION, NULL);
	self->config = g_object_ref(config);
	self->sid = g_strdup(sid);
	self->peer = g_strdup(peer);
	return self;
}

static void
rc_eio_session_dispose(GObject *object)
{
	RcEioSession *self = RC_EIO_SESSION(object);

	/* WebSockets hold a reference: none is left by now */
	g_clear_handle_id(&self->closed_idle_id, g_source_remove);
	g_clear_handle_id(&self->flush_id, g_source_remove);
	if (self->poll != NULL)
		g_object_unref(rc_eio_session_take_poll(self));
	if (self->post != NULL)
		rc_eio_session_post_finish(self);
	rc_eio_session_drop_queue(self);
	G_OBJECT_CLASS(rc_eio_session_parent_class)->dispose(object);
}

static void
rc_eio_session_finalize(GObject *object)
{
	RcEioSession *self = RC_EIO_SESSION(object);
	g_clear_error(&self->post_error);
	g_object_unref(self->config);
	g_free(self->sid);
	g_free(self->peer);
	G_OBJECT_CLASS(rc_eio_session_parent_class)->finalize(object);
}

static void
rc_eio_session_class_init(RcEioSessionClass *klass)
{
	GObjectClass *object_class = G_OBJECT_CLASS(klass);
	object_class->dispose = rc_eio_session_dispose;
	object_class->finalize = rc_eio_session_finalize;

	/* One hook per signal for every connection, not four handlers on each of them
	 * (about 300 bytes apiece), as the /ws client does. */
	rc_eio_session_quark = g_quark_from_static_string("rc-eio-session");
	rc_signal_hook_add(SOUP_TYPE_WEBSOCKET_CONNECTION, "message", rc_eio_session_message_hook);
	rc_signal_hook_add(SOUP_TYPE_WEBSOCKET_CONNECTION, "error", rc_eio_session_error_hook);
	rc_signal_hook_add(SOUP_TYPE_WEBSOCKET_CONNECTION, "closed", rc_eio_session_closed_hook);
	rc_signal_hook_add(RC_TYPE_QUEUE_OUTPUT_STREAM, "overflow", rc_eio_session_overflow_hook);
	signals[SIGNAL_PACKET] = g_signal_new("packet",
					      G_TYPE_FROM_CLASS(klass),
					      G_SIGNAL_RUN_LAST,
					      0,
					      NULL,
					      NULL,
					      NULL,
					      G_TYPE_NONE,
					      3,
					      G_TYPE_BOOLEAN,
					      G_TYPE_POINTER,
					      G_TYPE_UINT64);
	signals[SIGNAL_PONG] = g_signal_new("pong",
					    G_TYPE_FROM_CLASS(klass),
					    G_SIGNAL_RUN_LAST,
					    0,
					    NULL,
					    NULL,
					    NULL,
					    G_TYPE_NONE,
					    0);
	signals[SIGNAL_CLOSED] = g_signal_new("closed",
					      G_TYPE_FROM_CLASS(klass),
					      G_SIGNAL_RUN_LAST,
					      0,
					      NULL,
					      NULL,
					      NULL,
					      G_TYPE_NONE,
					      0);
}

static void
rc_eio_session_init(RcEioSession *self)
{
	g_queue_init(&self->queue);
}
