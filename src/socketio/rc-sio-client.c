/*
 * Copyright 2026 roomcast developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#define G_LOG_DOMAIN "RcSioClient"

#include "config.h"

#include <glib/gi18n.h>

#include "protocol/rc-protocol.h"
#include "rc-metrics.h"
#include "socketio/rc-eio-packet.h"
#include "socketio/rc-eio-session.h"
#include "socketio/rc-sio-client.h"
#include "transport/rc-ws-frame.h"

struct _RcSioClient {
	GObject parent_instance;
	RcEngine *engine;	     /* not owned: the engine outlives its members */
	RcSioConnection *connection; /* not owned; NULL once detached */
	RcEioSession *session;	     /* the connection's, while attached */
	gchar *nsp;
	gchar *id;
	gchar *sender;
	gchar *peer;
	GStrv room_globs;
};

static void rc_sio_client_member_init(RcMemberInterface *iface);

G_DEFINE_TYPE_WITH_CODE(RcSioClient,
			rc_sio_client,
			G_TYPE_OBJECT,
			G_IMPLEMENT_INTERFACE(RC_TYPE_MEMBER, rc_sio_client_member_init))

const gchar *
rc_sio_client_get_namespace(RcSioClient *self)
{
	return self->nsp;
}

void
rc_sio_client_detach(RcSioClient *self)
{
	self->connection = NULL;
	self->session = NULL;
}

/* the session outlives the client's attachment: the connection detaches its
 * clients when the session closes, before it goes */
static inline RcEioSession *
rc_sio_client_get_session(RcSioClient *self)
{
	return self->session;
}

GBytes *
rc_sio_client_build_packet(RcSioPacketType type, const gchar *nsp, gint64 ack_id, const gchar *json)
{
	GString *s = g_string_sized_new(32 + (json != NULL ? strlen(json) : 0));
	g_string_append_c(s, '0' + RC_EIO_PACKET_MESSAGE);
	rc_sio_packet_append(s, type, nsp, ack_id, json);
	return g_string_free_to_bytes(s);
}

/* a packet for this client alone; takes @packet */
static void
rc_sio_client_send(RcSioClient *self, GBytes *packet)
{
	g_autoptr(GBytes) owned = packet;
	RcEioSession *session = rc_sio_client_get_session(self);
	if (session != NULL)
		rc_eio_session_send_packet(session, owned);
}

/* ---- answers ----------------------------------------------------------------- */

/* the ack @ack_id with one argument, the JSON object @object */
static void
rc_sio_client_ack(RcSioClient *self, gint64 ack_id, const gchar *object)
{
	g_autofree gchar *args = NULL;

	if (ack_id == RC_SIO_NO_ACK_ID)
		return;
	args = g_strconcat("[", object, "]", NULL);
	rc_sio_client_send(self,
			   rc_sio_client_build_packet(RC_SIO_PACKET_ACK, self->nsp, ack_id, args));
}

/* a refusal: the ack when the client asked for one, else an "error" event */
static void
rc_sio_client_refuse(RcSioClient *self, gint64 ack_id, const GError *error)
{
	const gchar *code = rc_error_get_wire_code(error);
	g_autoptr(GString) s = g_string_new(NULL);

	rc_metrics_count_error(code);
	if (ack_id != RC_SIO_NO_ACK_ID) {
		g_string_append(s, "{\"error\":");
		rc_protocol_append_json_string(s, code);
		g_string_append(s, ",\"message\":");
		rc_protocol_append_json_string(s, error->message);
		g_string_append_c(s, '}');
		rc_sio_client_ack(self, ack_id, s->str);
		return;
	}
	g_string_append(s, "[\"error\",{\"code\":");
	rc_protocol_append_json_string(s, code);
	g_string_append(s, ",\"message\":");
	rc_protocol_append_json_string(s, error->message);
	g_string_append(s, "}]");
	rc_sio_client_send(
	    self,
	    rc_sio_client_build_packet(RC_SIO_PACKET_EVENT, self->nsp, RC_SIO_NO_ACK_ID, s->str));
}

static void
rc_sio_client_refuse_literal(RcSioClient *self, gint64 ack_id, const gchar *message)
{
	g_autoptr(GError) error = g_error_new_literal(RC_ERROR, RC_ERROR_INVALID_ARGS, message);
	rc_sio_client_refuse(self, ack_id, error);
}

void
rc_sio_client_refuse_binary(RcSioClient *self, gint64 ack_id)
{
	g_autoptr(GError) error = g_error_new_literal(
	    RC_ERROR, RC_ERROR_INVALID_ARGS, _("binary events are not supported: send JSON"));
	/* the event says so in every case; an ack, when asked for, too */
	rc_sio_client_refuse(self, RC_SIO_NO_ACK_ID, error);
	if (ack_id != RC_SIO_NO_ACK_ID)
		rc_sio_client_refuse(self, ack_id, error);
}

/* a request in flight: the client, and the ack it waits for */
typedef struct {
	RcSioClient *client;
	gint64 ack_id;
} RcSioRequest;

static RcSioRequest *
rc_sio_request_new(RcSioClient *client, gint64 ack_id)
{
	RcSioRequest *r = g_new0(RcSioRequest, 1);
	r->client = g_object_ref(client);
	r->ack_id = ack_id;
	return r;
}

static void
rc_sio_request_free(RcSioRequest *r)
{
	g_object_unref(r->client);
	g_free(r);
}

/* ---- the events' arguments --------------------------------------------------- */

/* argument @i, NULL when there is none (or it is null) */
static JsonNode *
rc_sio_client_arg(JsonArray *args, guint i)
{
	JsonNode *node = i < json_array_get_length(args) ? json_array_get_element(args, i) : NULL;
	return node != NULL && !JSON_NODE_HOLDS_NULL(node) ? node : NULL;
}

static gboolean
rc_sio_node_is_string(JsonNode *node)
{
	return node != NULL && JSON_NODE_HOLDS_VALUE(node) &&
	       json_node_get_value_type(node) == G_TYPE_STRING;
}

/* a room code argument, checked like every room code */
static const gchar *
rc_sio_client_room_arg(JsonNode *node, GError **error)
{
	g_autoptr(GError) local = NULL;
	const gchar *room_code;

	if (!rc_sio_node_is_string(node)) {
		g_set_error_literal(
		    error, RC_ERROR, RC_ERROR_INVALID_ARGS, _("the room code must be a string"));
		return NULL;
	}
	room_code = json_node_get_string(node);
	if (!rc_protocol_validate_room_code(room_code, &local)) {
		g_set_error_literal(error, RC_ERROR, RC_ERROR_INVALID_ARGS, local->message);
		return NULL;
	}
	return room_code;
}

/* an integer option of an options object: absent (or null) leaves @out alone */
static gboolean
rc_sio_client_int_option(
    JsonObject *options, const gchar *name, gint64 min, gint64 *out, GError **error)
{
	JsonNode *node = json_object_get_member(options, name);

	if (node == NULL || JSON_NODE_HOLDS_NULL(node))
		return TRUE;
	if (!JSON_NODE_HOLDS_VALUE(node) || json_node_get_value_type(node) != G_TYPE_INT64 ||
	    json_node_get_int(node) < min) {
		g_set_error(error,
			    RC_ERROR,
			    RC_ERROR_INVALID_ARGS,
			    _("option “%s” must be an integer of at least %d"),
			    name,
			    (gint)min);
		return FALSE;
	}
	*out = json_node_get_int(node);
	return TRUE;
}

/* the options argument: absent, null or an object */
static gboolean
rc_sio_client_options_arg(JsonNode *node, JsonObject **options, GError **error)
{
	*options = NULL;
	if (node == NULL)
		return TRUE;
	if (!JSON_NODE_HOLDS_OBJECT(node)) {
		g_set_error_literal(
		    error, RC_ERROR, RC_ERROR_INVALID_ARGS, _("the options must be an object"));
		return FALSE;
	}
	*options = json_node_get_object(node);
	return TRUE;
}

/* join's {history, since: {epoch, offset}, presence} */
static gboolean
rc_sio_client_join_options(JsonObject *options,
			   RcJoinOptions *out,
			   gchar **since_epoch,
			   GError **error)
{
	JsonNode *since, *presence;
	gint64 history = -1;

	out->history = -1;
	if (options == NULL)
		return TRUE;
	if (!rc_sio_client_int_option(options, "history", 0, &history, error))
		return FALSE;
	out->history = history > G_MAXINT ? G_MAXINT : (gint)history;
	since = json_object_get_member(options, "since");
	if (since != NULL && !JSON_NODE_HOLDS_NULL(since)) {
		JsonObject *o = JSON_NODE_HOLDS_OBJECT(since) ? json_node_get_object(since) : NULL;
		JsonNode *epoch = o != NULL ? json_object_get_member(o, "epoch") : NULL;
		gint64 offset = -1;
		if (o == NULL || !rc_sio_node_is_string(epoch) ||
		    !rc_sio_client_int_option(o, "offset", 0, &offset, NULL) || offset < 0 ||
		    (json_node_get_string(epoch)[0] != '\0' &&
		     !rc_protocol_validate_epoch(json_node_get_string(epoch), NULL))) {
			g_set_error_literal(
			    error,
			    RC_ERROR,
			    RC_ERROR_INVALID_ARGS,
			    _("option “since” must be {\"epoch\": string, \"offset\": "
			      "integer ≥ 0}"));
			return FALSE;
		}
		*since_epoch = g_strdup(json_node_get_string(epoch));
		out->since = TRUE;
		out->since_epoch = *since_epoch;
		out->since_offset = (guint64)offset;
	}
	presence = json_object_get_member(options, "presence");
	if (presence != NULL && !JSON_NODE_HOLDS_NULL(presence)) {
		if (!JSON_NODE_HOLDS_VALUE(presence) ||
		    json_node_get_value_type(presence) != G_TYPE_BOOLEAN) {
			g_set_error_literal(error,
					    RC_ERROR,
					    RC_ERROR_INVALID_ARGS,
					    _("option “presence” must be true or false"));
			return FALSE;
		}
		out->presence = json_node_get_boolean(presence);
	}
	return TRUE;
}

/* ---- the events -------------------------------------------------------------- */

static void
rc_sio_client_joined_cb(RcEngine *engine,
			RcMember *member,
			const RcJoinResult *result,
			const GError *error,
			gpointer user_data)
{
	RcSioClient *self = RC_SIO_CLIENT(member);
	gint64 ack_id = *(gint64 *)user_data;
	g_autoptr(GString) s = NULL;

	if (error != NULL) {
		rc_sio_client_refuse(self, ack_id, error);
		return;
	}
	if (ack_id == RC_SIO_NO_ACK_ID)
		return;
	s = g_string_new("{\"joined\":true,\"epoch\":");
	rc_protocol_append_json_string(s, result->epoch);
	g_string_append_printf(s, ",\"offset\":%" G_GUINT64_FORMAT, result->offset);
	if (result->since)
		g_string_append_printf(
		    s, ",\"recovered\":%s", result->recovered ? "true" : "false");
	g_string_append_c(s, '}');
	rc_sio_client_ack(self, ack_id, s->str);
}

static void
rc_sio_client_join(RcSioClient *self, JsonArray *args, gint64 ack_id)
{
	g_autoptr(GError) error = NULL;
	g_autofree gchar *since_epoch = NULL;
	RcJoinOptions options = {0};
	JsonObject *object = NULL;
	const gchar *room_code = rc_sio_client_room_arg(rc_sio_client_arg(args, 1), &error);
	gint64 *ack = NULL;

	if (room_code == NULL ||
	    !rc_sio_client_options_arg(rc_sio_client_arg(args, 2), &object, &error) ||
	    !rc_sio_client_join_options(object, &options, &since_epoch, &error)) {
		rc_sio_client_refuse(self, ack_id, error);
		return;
	}
	ack = g_new(gint64, 1);
	*ack = ack_id;
	rc_engine_join(self->engine,
		       RC_MEMBER(self),
		       self->nsp,
		       room_code,
		       &options,
		       rc_sio_client_joined_cb,
		       ack,
		       g_free);
}

static void
rc_sio_client_leave(RcSioClient *self, JsonArray *args, gint64 ack_id)
{
	g_autoptr(GError) error = NULL;
	const gchar *room_code = rc_sio_client_room_arg(rc_sio_client_arg(args, 1), &error);

	if (room_code == NULL ||
	    !rc_engine_leave(self->engine, RC_MEMBER(self), self->nsp, room_code, &error)) {
		rc_sio_client_refuse(self, ack_id, error);
		return;
	}
	rc_sio_client_ack(self, ack_id, "{\"left\":true}");
}

static void
rc_sio_client_sent_cb(GObject *source, GAsyncResult *res, gpointer user_data)
{
	RcSioRequest *r = user_data;
	g_autoptr(GError) error = NULL;
	g_autoptr(RcMessage) msg = rc_engine_publish_finish(RC_ENGINE(source), res, &error);
	g_autoptr(GString) s = NULL;

	if (msg == NULL) {
		rc_sio_client_refuse(r->client, r->ack_id, error);
	} else if (r->ack_id != RC_SIO_NO_ACK_ID) {
		s = g_string_new("{\"id\":");
		rc_protocol_append_json_string(s, rc_message_get_id(msg));
		g_string_append_printf(
		    s, ",\"offset\":%" G_GUINT64_FORMAT, rc_message_get_offset(msg));
		g_string_append_c(s, '}');
		rc_sio_client_ack(r->client, r->ack_id, s->str);
	}
	rc_sio_request_free(r);
}

static void
rc_sio_client_send_event(RcSioClient *self, JsonArray *args, gint64 ack_id)
{
	g_autoptr(GError) error = NULL;
	JsonNode *arg = rc_sio_client_arg(args, 1);
	JsonObject *object =
	    arg != NULL && JSON_NODE_HOLDS_OBJECT(arg) ? json_node_get_object(arg) : NULL;
	JsonNode *text = object != NULL ? json_object_get_member(object, "text") : NULL;
	const gchar *room_code;

	if (object == NULL) {
		rc_sio_client_refuse_literal(
		    self, ack_id, _("send takes an object {roomCode, text}"));
		return;
	}
	room_code = rc_sio_client_room_arg(json_object_get_member(object, "roomCode"), &error);
	if (room_code == NULL) {
		rc_sio_client_refuse(self, ack_id, error);
		return;
	}
	if (!rc_sio_node_is_string(text)) {
		rc_sio_client_refuse_literal(self, ack_id, _("the text must be a string"));
		return;
	}
	rc_engine_send_async(self->engine,
			     RC_MEMBER(self),
			     self->nsp,
			     room_code,
			     json_node_get_string(text),
			     NULL,
			     rc_sio_client_sent_cb,
			     rc_sio_request_new(self, ack_id));
}

static void
rc_sio_client_who_cb(GObject *source, GAsyncResult *res, gpointer user_data)
{
	RcSioRequest *r = user_data;
	g_autoptr(GError) error = NULL;
	g_autoptr(GPtrArray) members = rc_engine_who_finish(RC_ENGINE(source), res, &error);
	g_autoptr(GString) s = NULL;

	if (members == NULL) {
		rc_sio_client_refuse(r->client, r->ack_id, error);
	} else if (r->ack_id != RC_SIO_NO_ACK_ID) {
		s = g_string_new("{\"members\":[");
		for (guint i = 0; i < members->len; i++) {
			if (i > 0)
				g_string_append_c(s, ',');
			rc_protocol_append_presence_entry(s, g_ptr_array_index(members, i));
		}
		g_string_append(s, "]}");
		rc_sio_client_ack(r->client, r->ack_id, s->str);
	}
	rc_sio_request_free(r);
}

static void
rc_sio_client_who(RcSioClient *self, JsonArray *args, gint64 ack_id)
{
	g_autoptr(GError) error = NULL;
	const gchar *room_code = rc_sio_client_room_arg(rc_sio_client_arg(args, 1), &error);

	if (room_code == NULL) {
		rc_sio_client_refuse(self, ack_id, error);
		return;
	}
	rc_engine_who_async(self->engine,
			    RC_MEMBER(self),
			    self->nsp,
			    room_code,
			    rc_sio_client_who_cb,
			    rc_sio_request_new(self, ack_id));
}

static void
rc_sio_client_history_cb(GObject *source, GAsyncResult *res, gpointer user_data)
{
	RcSioRequest *r = user_data;
	g_autoptr(GError) error = NULL;
	g_autoptr(RcHistory) history = rc_engine_history_finish(RC_ENGINE(source), res, &error);
	g_autoptr(GString) s = NULL;

	if (history == NULL) {
		rc_sio_client_refuse(r->client, r->ack_id, error);
	} else if (r->ack_id != RC_SIO_NO_ACK_ID) {
		s = g_string_new("{\"epoch\":");
		rc_protocol_append_json_string(s, history->epoch);
		g_string_append(s, ",\"messages\":[");
		for (guint i = 0; i < history->messages->len; i++) {
			if (i > 0)
				g_string_append_c(s, ',');
			rc_protocol_append_message(
			    s, g_ptr_array_index(history->messages, i), FALSE);
		}
		g_string_append(s, "]}");
		rc_sio_client_ack(r->client, r->ack_id, s->str);
	}
	rc_sio_request_free(r);
}

static void
rc_sio_client_history(RcSioClient *self, JsonArray *args, gint64 ack_id)
{
	g_autoptr(GError) error = NULL;
	JsonObject *options = NULL;
	gint64 limit = 0, before = 0;
	const gchar *room_code = rc_sio_client_room_arg(rc_sio_client_arg(args, 1), &error);

	if (room_code == NULL ||
	    !rc_sio_client_options_arg(rc_sio_client_arg(args, 2), &options, &error) ||
	    (options != NULL &&
	     (!rc_sio_client_int_option(options, "limit", 1, &limit, &error) ||
	      !rc_sio_client_int_option(options, "before", 1, &before, &error)))) {
		rc_sio_client_refuse(self, ack_id, error);
		return;
	}
	rc_engine_history_async(self->engine,
				RC_MEMBER(self),
				self->nsp,
				room_code,
				(guint)MIN(limit, G_MAXUINT),
				(guint64)before,
				rc_sio_client_history_cb,
				rc_sio_request_new(self, ack_id));
}

void
rc_sio_client_handle_event(RcSioClient *self, const RcSioPacket *packet)
{
	JsonArray *args = json_node_get_array(packet->data);
	const gchar *name = packet->event;

	if (g_strcmp0(name, "join") == 0)
		rc_sio_client_join(self, args, packet->ack_id);
	else if (g_strcmp0(name, "leave") == 0)
		rc_sio_client_leave(self, args, packet->ack_id);
	else if (g_strcmp0(name, "send") == 0)
		rc_sio_client_send_event(self, args, packet->ack_id);
	else if (g_strcmp0(name, "who") == 0)
		rc_sio_client_who(self, args, packet->ack_id);
	else if (g_strcmp0(name, "history") == 0)
		rc_sio_client_history(self, args, packet->ack_id);
	else {
		g_autoptr(GError) error =
		    g_error_new(RC_ERROR, RC_ERROR_INVALID_ARGS, _("unknown event “%s”"), name);
		rc_sio_client_refuse(self, packet->ack_id, error);
	}
}

/* ---- RcMember ---------------------------------------------------------------- */

static const gchar *
rc_sio_client_get_id(RcMember *member)
{
	return RC_SIO_CLIENT(member)->id;
}

static const gchar *
rc_sio_client_get_sender(RcMember *member)
{
	return RC_SIO_CLIENT(member)->sender;
}

static const gchar *
rc_sio_client_get_peer(RcMember *member)
{
	return RC_SIO_CLIENT(member)->peer;
}

static const gchar *const *
rc_sio_client_get_room_globs(RcMember *member)
{
	return (const gchar *const *)RC_SIO_CLIENT(member)->room_globs;
}

static gsize
rc_sio_client_get_queued_bytes(RcMember *member)
{
	RcEioSession *session = rc_sio_client_get_session(RC_SIO_CLIENT(member));
	return session != NULL ? rc_eio_session_get_queued_bytes(session) : 0;
}

/* ["MSG_TO_CLIENTS",{"sender","text"},{"namespace","roomCode","id","ts","offset"}] */
static GBytes *
rc_sio_client_build_message(RcMessage *msg)
{
	GString *s = g_string_sized_new(160 + strlen(rc_message_get_text(msg)));

	g_string_append_c(s, '0' + RC_EIO_PACKET_MESSAGE);
	rc_sio_packet_append(s,
			     RC_SIO_PACKET_EVENT,
			     rc_message_get_namespace(msg),
			     RC_SIO_NO_ACK_ID,
			     "[\"MSG_TO_CLIENTS\",");
	rc_protocol_append_message_body(s, msg);
	g_string_append(s, ",{");
	rc_protocol_append_message_meta(s, msg);
	g_string_append(s, "}]");
	return g_string_free_to_bytes(s);
}

/* The packet goes to the session in its transport's form, built once per node:
 * the namespace is in the packet, and a message belongs to one room of one
 * namespace, so every socket.io member of the room shares the same bytes. */
static void
rc_sio_client_send_message(RcMember *member, RcMessage *msg)
{
	/* once per member per message: no type check */
	RcEioSession *session = rc_sio_client_get_session((RcSioClient *)member);
	GBytes *cached;

	if (session == NULL)
		return;
	if (rc_eio_session_is_websocket(session)) {
		cached = rc_message_peek_frame(msg, RC_WIRE_SIO_WS);
		if (G_UNLIKELY(cached == NULL)) {
			g_autoptr(GBytes) packet = rc_sio_client_build_message(msg);
			g_autoptr(GBytes) frame = rc_ws_frame_text(g_bytes_get_data(packet, NULL),
								   g_bytes_get_size(packet));
			cached = rc_message_set_frame(msg, RC_WIRE_SIO_WS, frame);
		}
		rc_eio_session_send_frame(session, cached, rc_message_get_accepted_at(msg));
		return;
	}
	/* polling: the answer to a long poll is libsoup's to write, and not measured */
	cached = rc_message_peek_frame(msg, RC_WIRE_SIO_POLLING);
	if (G_UNLIKELY(cached == NULL)) {
		g_autoptr(GBytes) packet = rc_sio_client_build_message(msg);
		cached = rc_message_set_frame(msg, RC_WIRE_SIO_POLLING, packet);
	}
	rc_eio_session_send_packet(session, cached);
}

/* ["presence",{the /ws presence object}] */
static GBytes *
rc_sio_client_build_presence(RcPresence *event)
{
	g_autoptr(GBytes) json = rc_protocol_build_presence(event);
	g_autofree gchar *args = g_strdup_printf("[\"presence\",%.*s]",
						 (gint)g_bytes_get_size(json),
						 (const gchar *)g_bytes_get_data(json, NULL));
	return rc_sio_client_build_packet(
	    RC_SIO_PACKET_EVENT, rc_presence_get_namespace(event), RC_SIO_NO_ACK_ID, args);
}

static void
rc_sio_client_send_presence(RcMember *member, RcPresence *event)
{
	RcEioSession *session = rc_sio_client_get_session((RcSioClient *)member);
	GBytes *cached;

	if (session == NULL)
		return;
	if (rc_eio_session_is_websocket(session)) {
		cached = rc_presence_peek_frame(event, RC_WIRE_SIO_WS);
		if (G_UNLIKELY(cached == NULL)) {
			g_autoptr(GBytes) packet = rc_sio_client_build_presence(event);
			g_autoptr(GBytes) frame = rc_ws_frame_text(g_bytes_get_data(packet, NULL),
								   g_bytes_get_size(packet));
			cached = rc_presence_set_frame(event, RC_WIRE_SIO_WS, frame);
		}
		rc_eio_session_send_frame(session, cached, 0);
		return;
	}
	cached = rc_presence_peek_frame(event, RC_WIRE_SIO_POLLING);
	if (G_UNLIKELY(cached == NULL)) {
		g_autoptr(GBytes) packet = rc_sio_client_build_presence(event);
		cached = rc_presence_set_frame(event, RC_WIRE_SIO_POLLING, packet);
	}
	rc_eio_session_send_packet(session, cached);
}

/* an administrator closed the room: the "left" event, with the /ws left object */
static void
rc_sio_client_removed(RcMember *member,
		      const gchar *ns,
		      const gchar *room_code,
		      const gchar *reason)
{
	RcSioClient *self = RC_SIO_CLIENT(member);
	g_autoptr(GBytes) json = rc_protocol_build_room_reply("left", ns, room_code, NULL, reason);
	g_autofree gchar *args = g_strdup_printf("[\"left\",%.*s]",
						 (gint)g_bytes_get_size(json),
						 (const gchar *)g_bytes_get_data(json, NULL));
	rc_sio_client_send(
	    self,
	    rc_sio_client_build_packet(RC_SIO_PACKET_EVENT, self->nsp, RC_SIO_NO_ACK_ID, args));
}

/* A kick disconnects the namespace (the client does not come back by itself);
 * anything else (shutdown, a slow consumer) ends the whole session, which the
 * client answers by reconnecting. */
static void
rc_sio_client_close(RcMember *member, gushort code, const gchar *reason)
{
	RcSioClient *self = RC_SIO_CLIENT(member);
	g_autoptr(RcSioClient) keep G_GNUC_UNUSED = g_object_ref(self);
	RcEioSession *session = rc_sio_client_get_session(self);

	if (session == NULL)
		return;
	if (code == 1008) {
		rc_sio_client_send(
		    self,
		    rc_sio_client_build_packet(
			RC_SIO_PACKET_DISCONNECT, self->nsp, RC_SIO_NO_ACK_ID, NULL));
		rc_sio_connection_forget(self->connection, self->nsp);
		return;
	}
	rc_eio_session_close(session, code, reason);
}

static void
rc_sio_client_member_init(RcMemberInterface *iface)
{
	iface->get_id = rc_sio_client_get_id;
	iface->get_sender = rc_sio_client_get_sender;
	iface->get_peer = rc_sio_client_get_peer;
	iface->get_room_globs = rc_sio_client_get_room_globs;
	iface->get_queued_bytes = rc_sio_client_get_queued_bytes;
	iface->send_message = rc_sio_client_send_message;
	iface->send_presence = rc_sio_client_send_presence;
	iface->removed = rc_sio_client_removed;
	iface->close = rc_sio_client_close;
}

/* ---- life cycle -------------------------------------------------------------- */

RcSioClient *
rc_sio_client_new(RcEngine *engine,
		  RcSioConnection *connection,
		  const gchar *nsp,
		  const gchar *id,
		  const gchar *sender,
		  const gchar *peer,
		  GStrv room_globs)
{
	RcSioClient *self = g_object_new(RC_TYPE_SIO_CLIENT, NULL);
	self->engine = engine;
	self->connection = connection;
	self->session = rc_sio_connection_get_session(connection);
	self->nsp = g_strdup(nsp);
	self->id = g_strdup(id);
	self->sender = g_strdup(sender);
	self->peer = g_strdup(peer);
	self->room_globs = g_strdupv(room_globs);
	return self;
}

static void
rc_sio_client_finalize(GObject *object)
{
	RcSioClient *self = RC_SIO_CLIENT(object);
	g_free(self->nsp);
	g_free(self->id);
	g_free(self->sender);
	g_free(self->peer);
	g_strfreev(self->room_globs);
	G_OBJECT_CLASS(rc_sio_client_parent_class)->finalize(object);
}

static void
rc_sio_client_class_init(RcSioClientClass *klass)
{
	G_OBJECT_CLASS(klass)->finalize = rc_sio_client_finalize;
}

static void
rc_sio_client_init(RcSioClient *self)
{
}
