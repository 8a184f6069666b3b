/*
 * Copyright 2026 roomcast developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#define G_LOG_DOMAIN "RcClient"

#include "config.h"

#include <glib/gi18n.h>

#include "protocol/rc-protocol.h"
#include "rc-daemon-private.h"
#include "transport/rc-client-private.h"
#include "transport/rc-client-io-stream.h"
#include "transport/rc-client-poller.h"

struct _RcClient {
	GObject parent_instance;
	RcDaemon *daemon; /* not owned: the daemon outlives its clients */
	SoupWebsocketConnection *conn;
	RcClientIOStream *stream;
	RcQueueOutputStream *queue; /* owned by the stream */
	GSocket *socket;
	gchar *id;
	gchar *sender;
	gchar *peer;
	GStrv room_globs;
	GHashTable *rooms; /* RcRoom set, not owned: rooms live while they have members */
	gboolean closing;
	guint force_close_id;
};

G_DEFINE_TYPE(RcClient, rc_client, G_TYPE_OBJECT)

const gchar *
rc_client_get_id(RcClient *self)
{
	return self->id;
}

const gchar *
rc_client_get_sender(RcClient *self)
{
	return self->sender;
}

const gchar *
rc_client_get_peer(RcClient *self)
{
	return self->peer;
}

gsize
rc_client_get_queued_bytes(RcClient *self)
{
	return rc_queue_output_stream_get_queued(self->queue);
}

/* a peer that reads nothing never lets the close frame through; cut it off */
static gboolean
rc_client_force_close_cb(gpointer user_data)
{
	RcClient *self = RC_CLIENT(user_data);
	self->force_close_id = 0;
	if (soup_websocket_connection_get_state(self->conn) == SOUP_WEBSOCKET_STATE_CLOSED)
		return G_SOURCE_REMOVE;
	g_debug("client %s did not complete the close handshake: dropping it", self->id);
	/* libsoup sees the socket fail and finishes the close */
	g_socket_shutdown(self->socket, TRUE, TRUE, NULL);
	return G_SOURCE_REMOVE;
}

void
rc_client_close(RcClient *self, gushort code, const gchar *reason)
{
	if (self->closing)
		return;
	self->closing = TRUE;
	if (soup_websocket_connection_get_state(self->conn) == SOUP_WEBSOCKET_STATE_OPEN)
		soup_websocket_connection_close(self->conn, code, reason);
	self->force_close_id = g_timeout_add_seconds_full(G_PRIORITY_DEFAULT,
							  5,
							  rc_client_force_close_cb,
							  g_object_ref(self),
							  g_object_unref);
}

void
rc_client_send_frame(RcClient *self, GBytes *frame)
{
	gsize size = g_bytes_get_size(frame);
	RcConfig *config;

	if (self->closing ||
	    soup_websocket_connection_get_state(self->conn) != SOUP_WEBSOCKET_STATE_OPEN)
		return;
	config = rc_daemon_get_config(self->daemon);
	if (rc_client_get_queued_bytes(self) + size > rc_config_get_max_queue_bytes(config)) {
		g_message("client %s (%s) is not reading: closing it as a slow consumer",
			  self->id,
			  self->peer);
		rc_daemon_count_slow_consumer(self->daemon);
		rc_client_close(self, 1013, "slow consumer");
		return;
	}
	rc_queue_output_stream_push(self->queue, frame);
}

void
rc_client_send_json(RcClient *self, GBytes *json)
{
	g_autoptr(GBytes) frame =
	    rc_protocol_ws_text_frame(g_bytes_get_data(json, NULL), g_bytes_get_size(json));
	rc_client_send_frame(self, frame);
}

static void
rc_client_send_owned(RcClient *self, GBytes *json)
{
	rc_client_send_json(self, json);
	g_bytes_unref(json);
}

static void
rc_client_send_error(RcClient *self, const gchar *code, const gchar *message, const gchar *ref)
{
	rc_client_send_owned(self, rc_protocol_build_error(code, message, ref));
}

void
rc_client_send_hello(RcClient *self, const gchar *node_id)
{
	rc_client_send_owned(self, rc_protocol_build_hello(node_id, self->id, self->sender));
}

gboolean
rc_client_may_use_room(RcClient *self, const gchar *room_code)
{
	if (self->room_globs == NULL)
		return TRUE;
	for (guint i = 0; self->room_globs[i] != NULL; i++) {
		if (g_pattern_match_simple(self->room_globs[i], room_code))
			return TRUE;
	}
	return FALSE;
}

gboolean
rc_client_in_room(RcClient *self, RcRoom *room)
{
	return g_hash_table_contains(self->rooms, room);
}

void
rc_client_add_room(RcClient *self, RcRoom *room)
{
	g_hash_table_add(self->rooms, room);
}

void
rc_client_remove_room(RcClient *self, RcRoom *room)
{
	g_hash_table_remove(self->rooms, room);
}

GPtrArray *
rc_client_get_rooms(RcClient *self)
{
	GPtrArray *out = g_ptr_array_new();
	GHashTableIter iter;
	gpointer key;
	g_hash_table_iter_init(&iter, self->rooms);
	while (g_hash_table_iter_next(&iter, &key, NULL))
		g_ptr_array_add(out, key);
	return out;
}

void
rc_client_force_leave(RcClient *self, RcRoom *room, const gchar *reason)
{
	g_autoptr(RcRoom) keep G_GNUC_UNUSED = g_object_ref(room);
	if (!rc_client_in_room(self, room))
		return;
	rc_daemon_client_leave(self->daemon, self, room);
	rc_client_send_owned(self,
			     rc_protocol_build_room_reply("left",
							  rc_room_get_namespace(keep),
							  rc_room_get_code(keep),
							  NULL,
							  reason));
}

typedef struct {
	RcClient *client;
	gchar *ref;
} RcClientSend;

static void
rc_client_send_cb(GObject *source, GAsyncResult *res, gpointer user_data)
{
	RcClientSend *cs = user_data;
	g_autoptr(GError) error = NULL;
	g_autofree gchar *id = rc_daemon_publish_finish(RC_DAEMON(source), res, &error);

	if (id == NULL)
		rc_client_send_error(cs->client,
				     rc_daemon_error_to_code(error),
				     error->message,
				     cs->ref);
	else
		rc_client_send_owned(cs->client, rc_protocol_build_ack(cs->ref, id));
	g_object_unref(cs->client);
	g_free(cs->ref);
	g_free(cs);
}

static void
rc_client_handle_frame(RcClient *self, const gchar *data, gsize len)
{
	g_auto(RcClientFrame) frame = {0};
	g_autoptr(GError) error = NULL;
	RcConfig *config = rc_daemon_get_config(self->daemon);
	RcRoom *room;

	if (!rc_protocol_parse_client_frame(data,
					    len,
					    rc_config_get_max_text_bytes(config),
					    &frame,
					    &error)) {
		gboolean too_large = g_error_matches(error,
						     RC_PROTOCOL_ERROR,
						     RC_PROTOCOL_ERROR_TOO_LARGE);
		rc_client_send_error(self,
				     too_large ? "too_large" : "bad_request",
				     error->message,
				     frame.ref);
		return;
	}
	switch (frame.type) {
	case RC_FRAME_PING:
		rc_client_send_owned(self, rc_protocol_build_pong(frame.ref));
		return;
	case RC_FRAME_JOIN:
		if (!rc_client_may_use_room(self, frame.room_code)) {
			rc_client_send_error(self,
					     "forbidden",
					     _("this identity may not join that room"),
					     frame.ref);
			return;
		}
		rc_daemon_client_join(self->daemon, self, frame.ns, frame.room_code, frame.ref);
		return;
	case RC_FRAME_LEAVE:
		room = rc_daemon_lookup_room(self->daemon, frame.ns, frame.room_code);
		if (room == NULL || !rc_client_in_room(self, room)) {
			rc_client_send_error(self,
					     "not_joined",
					     _("not a member of that room"),
					     frame.ref);
			return;
		}
		rc_daemon_client_leave(self->daemon, self, room);
		rc_client_send_owned(
		    self,
		    rc_protocol_build_room_reply("left", frame.ns, frame.room_code, frame.ref, NULL));
		return;
	case RC_FRAME_SEND: {
		RcClientSend *cs;
		/* refused rooms say so, whether or not a join was tried */
		if (!rc_client_may_use_room(self, frame.room_code)) {
			rc_client_send_error(self,
					     "forbidden",
					     _("this identity may not send to that room"),
					     frame.ref);
			return;
		}
		room = rc_daemon_lookup_room(self->daemon, frame.ns, frame.room_code);
		if (room == NULL || !rc_client_in_room(self, room)) {
			rc_client_send_error(self,
					     "not_joined",
					     _("join the room before sending to it"),
					     frame.ref);
			return;
		}
		cs = g_new0(RcClientSend, 1);
		cs->client = g_object_ref(self);
		cs->ref = g_steal_pointer(&frame.ref);
		rc_daemon_publish_async(self->daemon,
					frame.ns,
					frame.room_code,
					self->sender,
					frame.text,
					RC_SOURCE_WEBSOCKET,
					self,
					NULL,
					rc_client_send_cb,
					cs);
		return;
	}
	default:
		g_assert_not_reached();
	}
}

static void
rc_client_message_cb(SoupWebsocketConnection *conn, gint type, GBytes *message, gpointer user_data)
{
	RcClient *self = RC_CLIENT(user_data);
	gsize len = 0;
	const gchar *data = g_bytes_get_data(message, &len);

	if (self->closing)
		return;
	rc_client_poller_leave();
	if (type != SOUP_WEBSOCKET_DATA_TEXT)
		rc_client_send_error(self,
				     "bad_request",
				     _("binary frames are not part of the protocol: send JSON text"),
				     NULL);
	else
		rc_client_handle_frame(self, data, len);
	rc_client_poller_return();
}

/* libsoup drops a connection whose frame is over max-incoming-payload-size without
 * telling the peer why: queue the 1009 close frame itself, libsoup closes after it */
static void
rc_client_error_cb(SoupWebsocketConnection *conn, GError *error, gpointer user_data)
{
	RcClient *self = RC_CLIENT(user_data);
	static const gchar reason[] = "frame too large";
	guint8 frame[2 + 2 + sizeof(reason) - 1];
	g_autoptr(GBytes) bytes = NULL;

	g_debug("client %s: %s", self->id, error->message);
	if (!g_error_matches(error, SOUP_WEBSOCKET_ERROR, SOUP_WEBSOCKET_CLOSE_TOO_BIG) ||
	    self->closing)
		return;
	self->closing = TRUE;
	frame[0] = 0x88; /* FIN | close */
	frame[1] = sizeof(frame) - 2;
	frame[2] = SOUP_WEBSOCKET_CLOSE_TOO_BIG >> 8;
	frame[3] = SOUP_WEBSOCKET_CLOSE_TOO_BIG & 0xff;
	memcpy(frame + 4, reason, sizeof(reason) - 1);
	bytes = g_bytes_new(frame, sizeof(frame));
	rc_client_poller_leave();
	rc_queue_output_stream_push(self->queue, bytes);
	rc_client_poller_return();
}

static void
rc_client_closed_cb(SoupWebsocketConnection *conn, gpointer user_data)
{
	RcClient *self = RC_CLIENT(user_data);
	g_autoptr(RcClient) keep G_GNUC_UNUSED = g_object_ref(self);
	g_debug("client %s closed (code %u)", self->id, soup_websocket_connection_get_close_code(conn));
	self->closing = TRUE;
	g_clear_handle_id(&self->force_close_id, g_source_remove);
	rc_client_poller_leave();
	rc_daemon_remove_client(self->daemon, self);
	rc_client_poller_return();
}

RcClient *
rc_client_new(RcDaemon *daemon,
	      SoupWebsocketConnection *conn,
	      GIOStream *io_stream,
	      GSocket *socket,
	      const gchar *id,
	      const gchar *sender,
	      const gchar *peer,
	      GStrv room_globs)
{
	RcClient *self = g_object_new(RC_TYPE_CLIENT, NULL);
	self->daemon = daemon;
	self->conn = g_object_ref(conn);
	self->stream = g_object_ref(RC_CLIENT_IO_STREAM(io_stream));
	self->queue = rc_client_io_stream_get_queue(self->stream);
	self->socket = g_object_ref(socket);
	self->id = g_strdup(id);
	self->sender = g_strdup(sender);
	self->peer = g_strdup(peer);
	self->room_globs = g_strdupv(room_globs);
	g_signal_connect_object(conn, "message", G_CALLBACK(rc_client_message_cb), self, 0);
	g_signal_connect_object(conn, "closed", G_CALLBACK(rc_client_closed_cb), self, 0);
	g_signal_connect_object(conn, "error", G_CALLBACK(rc_client_error_cb), self, 0);
	return self;
}

static void
rc_client_finalize(GObject *object)
{
	RcClient *self = RC_CLIENT(object);
	g_hash_table_unref(self->rooms);
	g_object_unref(self->conn);
	g_object_unref(self->stream);
	g_object_unref(self->socket);
	g_free(self->id);
	g_free(self->sender);
	g_free(self->peer);
	g_strfreev(self->room_globs);
	G_OBJECT_CLASS(rc_client_parent_class)->finalize(object);
}

static void
rc_client_class_init(RcClientClass *klass)
{
	G_OBJECT_CLASS(klass)->finalize = rc_client_finalize;
}

static void
rc_client_init(RcClient *self)
{
	self->rooms = g_hash_table_new(g_direct_hash, g_direct_equal);
}
