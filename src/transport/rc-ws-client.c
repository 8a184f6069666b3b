/*
 * Copyright 2026 roomcast developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#define G_LOG_DOMAIN "RcWsClient"

#include "config.h"

#include <glib/gi18n.h>

#include "protocol/rc-protocol.h"
#include "rc-metrics.h"
#include "transport/rc-client-io-stream.h"
#include "transport/rc-client-poller.h"
#include "transport/rc-signal-hook.h"
#include "transport/rc-ws-client.h"
#include "transport/rc-ws-frame.h"

struct _RcWsClient {
	GObject parent_instance;
	/* what a delivery reads comes first, in one cache line */
	RcQueueOutputStream *queue; /* owned by the stream */
	RcEngine *engine;	    /* not owned: the engine outlives its members */
	gboolean closing;
	SoupWebsocketConnection *conn;
	RcClientIOStream *stream;
	gchar *id;
	gchar *sender;
	gchar *peer;
	GStrv room_globs;
};

static void rc_ws_client_member_init(RcMemberInterface *iface);

static GQuark rc_ws_client_quark;

G_DEFINE_TYPE_WITH_CODE(RcWsClient,
			rc_ws_client,
			G_TYPE_OBJECT,
			G_IMPLEMENT_INTERFACE(RC_TYPE_MEMBER, rc_ws_client_member_init))

/* libsoup 3.2 refuses to send the registered codes 1012–1014 (service restart, try
 * again later, bad gateway): soup_websocket_connection_close() turns them into a
 * protocol error and drops the connection at once. test-transport checks that it
 * still does, so this can go when it stops. */
static gboolean
rc_ws_client_code_refused_by_libsoup(gushort code)
{
	return code >= 1012 && code <= 1014;
}

/* A peer that never answers is cut off by libsoup after its close timeout; what is
 * queued then still has RcClientIOStream's linger to go out. */
static void
rc_ws_client_close(RcWsClient *self, gushort code, const gchar *reason)
{
	if (self->closing)
		return;
	self->closing = TRUE;
	if (soup_websocket_connection_get_state(self->conn) != SOUP_WEBSOCKET_STATE_OPEN)
		return;
	if (rc_ws_client_code_refused_by_libsoup(code)) {
		g_autoptr(GBytes) frame = rc_ws_frame_close(code, reason);
		/* ours goes out; libsoup's own close frame after it is dropped by the queue,
		 * and libsoup still waits for the peer's answer as after any close */
		rc_queue_output_stream_push_control(self->queue, frame);
		code = SOUP_WEBSOCKET_CLOSE_NORMAL;
	}
	soup_websocket_connection_close(self->conn, code, reason);
}

static void
rc_ws_client_slow_consumer(RcWsClient *self)
{
	if (self->closing)
		return;
	g_message("client %s (%s) is not reading: closing it as a slow consumer",
		  self->id,
		  self->peer);
	rc_engine_count_slow_consumer(self->engine);
	rc_ws_client_close(self, 1013, "slow consumer");
}

/* @frame is a complete WebSocket frame, possibly shared with other members */
static void
rc_ws_client_send_frame_stamped(RcWsClient *self, GBytes *frame, gint64 accepted_at)
{
	RcConfig *config = rc_engine_get_config(self->engine);

	if (self->closing)
		return;
	if (rc_queue_output_stream_get_queued(self->queue) + g_bytes_get_size(frame) >
	    rc_config_get_max_queue_bytes(config)) {
		rc_ws_client_slow_consumer(self);
		return;
	}
	rc_queue_output_stream_push_stamped(self->queue, frame, accepted_at);
}

static void
rc_ws_client_send_frame(RcWsClient *self, GBytes *frame)
{
	rc_ws_client_send_frame_stamped(self, frame, 0);
}

/* frames one JSON reply for this client alone and takes @json */
static void
rc_ws_client_send_json(RcWsClient *self, GBytes *json)
{
	g_autoptr(GBytes) owned = json;
	g_autoptr(GBytes) frame =
	    rc_ws_frame_text(g_bytes_get_data(owned, NULL), g_bytes_get_size(owned));
	rc_ws_client_send_frame(self, frame);
}

static void
rc_ws_client_send_error(RcWsClient *self, const GError *error, const gchar *ref)
{
	const gchar *code = rc_error_get_wire_code(error);

	rc_metrics_count_error(code);
	rc_ws_client_send_json(self, rc_protocol_build_error(code, error->message, ref));
}

void
rc_ws_client_start(RcWsClient *self)
{
	rc_ws_client_send_json(self,
			       rc_protocol_build_hello(rc_engine_get_node_id(self->engine),
						       self->id,
						       self->sender));
	rc_engine_add_member(self->engine, RC_MEMBER(self));
}

static void
rc_ws_client_join_cb(RcEngine *engine,
		     RcMember *member,
		     const RcJoinResult *result,
		     const GError *error,
		     gpointer user_data)
{
	RcWsClient *self = RC_WS_CLIENT(member);
	const gchar *ref = user_data;

	if (error != NULL) {
		rc_ws_client_send_error(self, error, ref);
		return;
	}
	rc_ws_client_send_json(self,
			       rc_protocol_build_joined(result->ns,
							result->room_code,
							ref,
							result->epoch,
							result->offset,
							result->since,
							result->recovered));
}

typedef struct {
	RcWsClient *client;
	gchar *ns;
	gchar *room_code;
	gchar *ref;
} RcWsClientRequest;

static void
rc_ws_client_request_free(RcWsClientRequest *h)
{
	g_object_unref(h->client);
	g_free(h->ns);
	g_free(h->room_code);
	g_free(h->ref);
	g_free(h);
}

static void
rc_ws_client_history_cb(GObject *source, GAsyncResult *res, gpointer user_data)
{
	RcWsClientRequest *h = user_data;
	g_autoptr(GError) error = NULL;
	g_autoptr(RcHistory) history = rc_engine_history_finish(RC_ENGINE(source), res, &error);

	if (history == NULL)
		rc_ws_client_send_error(h->client, error, h->ref);
	else
		rc_ws_client_send_json(h->client,
				       rc_protocol_build_history(h->ns,
								 h->room_code,
								 h->ref,
								 history->epoch,
								 history->messages));
	rc_ws_client_request_free(h);
}

static void
rc_ws_client_who_cb(GObject *source, GAsyncResult *res, gpointer user_data)
{
	RcWsClientRequest *h = user_data;
	g_autoptr(GError) error = NULL;
	g_autoptr(GPtrArray) members = rc_engine_who_finish(RC_ENGINE(source), res, &error);

	if (members == NULL)
		rc_ws_client_send_error(h->client, error, h->ref);
	else
		rc_ws_client_send_json(
		    h->client,
		    rc_protocol_build_members(h->ns, h->room_code, h->ref, members));
	rc_ws_client_request_free(h);
}

typedef struct {
	RcWsClient *client;
	gchar *ref;
} RcWsClientSend;

static void
rc_ws_client_sent_cb(GObject *source, GAsyncResult *res, gpointer user_data)
{
	RcWsClientSend *cs = user_data;
	g_autoptr(GError) error = NULL;
	g_autoptr(RcMessage) msg = rc_engine_publish_finish(RC_ENGINE(source), res, &error);

	if (msg == NULL)
		rc_ws_client_send_error(cs->client, error, cs->ref);
	else
		rc_ws_client_send_json(cs->client,
				       rc_protocol_build_ack(cs->ref, rc_message_get_id(msg)));
	g_object_unref(cs->client);
	g_free(cs->ref);
	g_free(cs);
}

static void
rc_ws_client_handle_frame(RcWsClient *self, const gchar *data, gsize len)
{
	g_auto(RcClientFrame) frame = {0};
	g_autoptr(GError) error = NULL;
	RcConfig *config = rc_engine_get_config(self->engine);
	RcWsClientSend *cs;

	if (!rc_protocol_parse_client_frame(data,
					    len,
					    rc_config_get_max_text_bytes(config),
					    &frame,
					    &error)) {
		rc_ws_client_send_error(self, error, frame.ref);
		return;
	}
	switch (frame.type) {
	case RC_FRAME_PING:
		rc_ws_client_send_json(self, rc_protocol_build_pong(frame.ref));
		return;
	case RC_FRAME_JOIN: {
		RcJoinOptions options = {
		    .history = frame.history > G_MAXINT ? G_MAXINT : (gint)frame.history,
		    .since = frame.since,
		    .since_epoch = frame.since_epoch,
		    .since_offset = frame.since_offset,
		    .presence = frame.presence,
		};
		rc_engine_join(self->engine,
			       RC_MEMBER(self),
			       frame.ns,
			       frame.room_code,
			       &options,
			       rc_ws_client_join_cb,
			       g_steal_pointer(&frame.ref),
			       g_free);
		return;
	}
	case RC_FRAME_HISTORY: {
		RcWsClientRequest *h = g_new0(RcWsClientRequest, 1);
		h->client = g_object_ref(self);
		h->ns = g_strdup(frame.ns);
		h->room_code = g_strdup(frame.room_code);
		h->ref = g_steal_pointer(&frame.ref);
		rc_engine_history_async(self->engine,
					RC_MEMBER(self),
					frame.ns,
					frame.room_code,
					(guint)MIN(frame.limit, G_MAXUINT),
					frame.before,
					rc_ws_client_history_cb,
					h);
		return;
	}
	case RC_FRAME_WHO: {
		RcWsClientRequest *h = g_new0(RcWsClientRequest, 1);
		h->client = g_object_ref(self);
		h->ns = g_strdup(frame.ns);
		h->room_code = g_strdup(frame.room_code);
		h->ref = g_steal_pointer(&frame.ref);
		rc_engine_who_async(self->engine,
				    RC_MEMBER(self),
				    frame.ns,
				    frame.room_code,
				    rc_ws_client_who_cb,
				    h);
		return;
	}
	case RC_FRAME_LEAVE:
		if (!rc_engine_leave(self->engine, RC_MEMBER(self), frame.ns, frame.room_code, &error)) {
			rc_ws_client_send_error(self, error, frame.ref);
			return;
		}
		rc_ws_client_send_json(
		    self,
		    rc_protocol_build_room_reply("left", frame.ns, frame.room_code, frame.ref, NULL));
		return;
	case RC_FRAME_SEND:
		cs = g_new0(RcWsClientSend, 1);
		cs->client = g_object_ref(self);
		cs->ref = g_steal_pointer(&frame.ref);
		rc_engine_send_async(self->engine,
				     RC_MEMBER(self),
				     frame.ns,
				     frame.room_code,
				     frame.text,
				     NULL,
				     rc_ws_client_sent_cb,
				     cs);
		return;
	default:
		g_assert_not_reached();
	}
}

static void
rc_ws_client_on_message(RcWsClient *self, SoupWebsocketConnection *conn, gint type, GBytes *message)
{
	gsize len = 0;
	const gchar *data = g_bytes_get_data(message, &len);

	/* libsoup 3.2 still hands over a message completed after it began closing */
	if (self->closing || soup_websocket_connection_get_state(conn) != SOUP_WEBSOCKET_STATE_OPEN)
		return;
	/* libsoup calls us from the poller's parking context: work in the main one */
	rc_client_poller_leave();
	if (type != SOUP_WEBSOCKET_DATA_TEXT) {
		g_autoptr(GError) error = g_error_new_literal(
		    RC_ERROR,
		    RC_ERROR_INVALID_ARGS,
		    _("binary frames are not part of the protocol: send JSON text"));
		rc_ws_client_send_error(self, error, NULL);
	} else {
		rc_ws_client_handle_frame(self, data, len);
	}
	rc_client_poller_return();
}

/* libsoup drops a connection whose frame is over max-incoming-payload-size without
 * telling the peer why: queue the 1009 close frame ourselves, libsoup closes after it */
static void
rc_ws_client_on_error(RcWsClient *self, const GError *error)
{
	g_autoptr(GBytes) frame = NULL;

	g_debug("client %s: %s", self->id, error->message);
	if (!g_error_matches(error, SOUP_WEBSOCKET_ERROR, SOUP_WEBSOCKET_CLOSE_TOO_BIG) ||
	    self->closing)
		return;
	self->closing = TRUE;
	frame = rc_ws_frame_close(SOUP_WEBSOCKET_CLOSE_TOO_BIG, "frame too large");
	rc_client_poller_leave();
	rc_queue_output_stream_push_control(self->queue, frame);
	rc_client_poller_return();
}

static void
rc_ws_client_on_closed(RcWsClient *self, SoupWebsocketConnection *conn)
{
	g_debug("client %s closed (code %u)", self->id, soup_websocket_connection_get_close_code(conn));
	self->closing = TRUE;
	rc_client_poller_leave();
	rc_engine_remove_member(self->engine, RC_MEMBER(self));
	rc_client_poller_return();
}

/* ---- RcMember ---------------------------------------------------------------- */

static const gchar *
rc_ws_client_get_id(RcMember *member)
{
	return RC_WS_CLIENT(member)->id;
}

static const gchar *
rc_ws_client_get_sender(RcMember *member)
{
	return RC_WS_CLIENT(member)->sender;
}

static const gchar *
rc_ws_client_get_peer(RcMember *member)
{
	return RC_WS_CLIENT(member)->peer;
}

static const gchar *const *
rc_ws_client_get_room_globs(RcMember *member)
{
	return (const gchar *const *)RC_WS_CLIENT(member)->room_globs;
}

static gsize
rc_ws_client_get_queued_bytes(RcMember *member)
{
	return rc_queue_output_stream_get_queued(RC_WS_CLIENT(member)->queue);
}

static void
rc_ws_client_send_message(RcMember *member, RcMessage *msg)
{
	RcWsClient *self = (RcWsClient *)member;
	GBytes *frame = rc_message_peek_frame(msg, RC_WIRE_WS);

	/* the first /ws member to get this message builds the frame the others share */
	if (G_UNLIKELY(frame == NULL)) {
		g_autoptr(GBytes) json = rc_protocol_build_message(msg);
		g_autoptr(GBytes) built =
		    rc_ws_frame_text(g_bytes_get_data(json, NULL), g_bytes_get_size(json));
		frame = rc_message_set_frame(msg, RC_WIRE_WS, built);
	}
	rc_ws_client_send_frame_stamped(self, frame, rc_message_get_accepted_at(msg));
}

static void
rc_ws_client_prefetch(RcMember *member)
{
	RcWsClient *self = (RcWsClient *)member;

	__builtin_prefetch(&self->closing);
	rc_queue_output_stream_prefetch(self->queue);
}

static void
rc_ws_client_send_presence(RcMember *member, RcPresence *event)
{
	GBytes *frame = rc_presence_peek_frame(event, RC_WIRE_WS);

	if (G_UNLIKELY(frame == NULL)) {
		g_autoptr(GBytes) json = rc_protocol_build_presence(event);
		g_autoptr(GBytes) built =
		    rc_ws_frame_text(g_bytes_get_data(json, NULL), g_bytes_get_size(json));
		frame = rc_presence_set_frame(event, RC_WIRE_WS, built);
	}
	rc_ws_client_send_frame(RC_WS_CLIENT(member), frame);
}

static void
rc_ws_client_removed(RcMember *member, const gchar *ns, const gchar *room_code, const gchar *reason)
{
	rc_ws_client_send_json(RC_WS_CLIENT(member),
			       rc_protocol_build_room_reply("left", ns, room_code, NULL, reason));
}

static void
rc_ws_client_member_close(RcMember *member, gushort code, const gchar *reason)
{
	rc_ws_client_close(RC_WS_CLIENT(member), code, reason);
}

static void
rc_ws_client_member_init(RcMemberInterface *iface)
{
	iface->get_id = rc_ws_client_get_id;
	iface->get_sender = rc_ws_client_get_sender;
	iface->get_peer = rc_ws_client_get_peer;
	iface->get_room_globs = rc_ws_client_get_room_globs;
	iface->get_queued_bytes = rc_ws_client_get_queued_bytes;
	iface->send_message = rc_ws_client_send_message;
	iface->prefetch = rc_ws_client_prefetch;
	iface->send_presence = rc_ws_client_send_presence;
	iface->removed = rc_ws_client_removed;
	iface->close = rc_ws_client_member_close;
}

/* ---- life cycle -------------------------------------------------------------- */

RcWsClient *
rc_ws_client_new(RcEngine *engine,
		 SoupWebsocketConnection *conn,
		 GIOStream *io_stream,
		 const gchar *id,
		 const gchar *sender,
		 const gchar *peer,
		 GStrv room_globs)
{
	RcWsClient *self = g_object_new(RC_TYPE_WS_CLIENT, NULL);
	RcConfig *config = rc_engine_get_config(engine);

	self->engine = engine;
	self->conn = g_object_ref(conn);
	self->stream = g_object_ref(RC_CLIENT_IO_STREAM(io_stream));
	self->queue = rc_client_io_stream_get_queue(self->stream);
	self->id = g_strdup(id);
	self->sender = g_strdup(sender);
	self->peer = g_strdup(peer);
	self->room_globs = g_strdupv(room_globs);
	rc_queue_output_stream_set_limit(self->queue, rc_config_get_max_queue_bytes(config));
	rc_client_input_stream_set_max_message(rc_client_io_stream_get_input(self->stream),
					       rc_config_get_max_frame_bytes(config));
	/* the class's emission hooks find us from here (see class_init) */
	g_object_set_qdata(G_OBJECT(conn), rc_ws_client_quark, self);
	g_object_set_qdata(G_OBJECT(self->queue), rc_ws_client_quark, self);
	return self;
}

static void
rc_ws_client_finalize(GObject *object)
{
	RcWsClient *self = RC_WS_CLIENT(object);
	g_object_set_qdata(G_OBJECT(self->conn), rc_ws_client_quark, NULL);
	g_object_set_qdata(G_OBJECT(self->queue), rc_ws_client_quark, NULL);
	g_object_unref(self->conn);
	g_object_unref(self->stream);
	g_free(self->id);
	g_free(self->sender);
	g_free(self->peer);
	g_strfreev(self->room_globs);
	G_OBJECT_CLASS(rc_ws_client_parent_class)->finalize(object);
}

static gboolean
rc_ws_client_message_hook(GSignalInvocationHint *ihint,
			  guint n_values,
			  const GValue *values,
			  gpointer data)
{
	g_autoptr(RcWsClient) self = rc_signal_hook_ref_target(&values[0], rc_ws_client_quark);
	if (self != NULL)
		rc_ws_client_on_message(self,
					g_value_get_object(&values[0]),
					g_value_get_int(&values[1]),
					g_value_get_boxed(&values[2]));
	return TRUE;
}

static gboolean
rc_ws_client_closed_hook(GSignalInvocationHint *ihint,
			 guint n_values,
			 const GValue *values,
			 gpointer data)
{
	g_autoptr(RcWsClient) self = rc_signal_hook_ref_target(&values[0], rc_ws_client_quark);
	if (self != NULL)
		rc_ws_client_on_closed(self, g_value_get_object(&values[0]));
	return TRUE;
}

static gboolean
rc_ws_client_error_hook(GSignalInvocationHint *ihint,
			guint n_values,
			const GValue *values,
			gpointer data)
{
	g_autoptr(RcWsClient) self = rc_signal_hook_ref_target(&values[0], rc_ws_client_quark);
	if (self != NULL)
		rc_ws_client_on_error(self, g_value_get_boxed(&values[1]));
	return TRUE;
}

static gboolean
rc_ws_client_overflow_hook(GSignalInvocationHint *ihint,
			   guint n_values,
			   const GValue *values,
			   gpointer data)
{
	g_autoptr(RcWsClient) self = rc_signal_hook_ref_target(&values[0], rc_ws_client_quark);
	if (self != NULL)
		rc_ws_client_slow_consumer(self);
	return TRUE;
}

static void
rc_ws_client_class_init(RcWsClientClass *klass)
{
	G_OBJECT_CLASS(klass)->finalize = rc_ws_client_finalize;

	/* A handler on each connection costs a closure and the signal system's
	 * bookkeeping for it, about 300 bytes, and four of them made up a fifth of
	 * an idle connection's memory. One hook per signal for all connections,
	 * finding its client through qdata, costs nothing per connection. */
	rc_ws_client_quark = g_quark_from_static_string("rc-ws-client");
	rc_signal_hook_add(SOUP_TYPE_WEBSOCKET_CONNECTION, "message", rc_ws_client_message_hook);
	rc_signal_hook_add(SOUP_TYPE_WEBSOCKET_CONNECTION, "closed", rc_ws_client_closed_hook);
	rc_signal_hook_add(SOUP_TYPE_WEBSOCKET_CONNECTION, "error", rc_ws_client_error_hook);
	rc_signal_hook_add(RC_TYPE_QUEUE_OUTPUT_STREAM, "overflow", rc_ws_client_overflow_hook);
}

static void
rc_ws_client_init(RcWsClient *self)
{
}
