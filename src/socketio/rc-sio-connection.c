/*
 * Copyright 2026 roomcast developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#define G_LOG_DOMAIN "RcSioConnection"

#include "config.h"

#include <glib/gi18n.h>

#include "protocol/rc-protocol.h"
#include "rc-metrics.h"
#include "socketio/rc-sio-client.h"
#include "socketio/rc-sio-connection.h"
#include "socketio/rc-sio-packet.h"

/* namespaces one session may have connected at once: each is a member with rooms */
#define RC_SIO_MAX_NAMESPACES 32

struct _RcSioConnection {
	GObject parent_instance;
	RcEngine *engine;      /* not owned: the engine outlives its front ends */
	RcEioSession *session; /* not owned; NULL once closed */
	SoupMessageHeaders *headers;
	GHashTable *query;
	GHashTable *clients; /* namespace → RcSioClient (owned) */
	guint skip_binary;   /* attachments of a refused binary packet still to come */
};

G_DEFINE_TYPE(RcSioConnection, rc_sio_connection, G_TYPE_OBJECT)

RcEioSession *
rc_sio_connection_get_session(RcSioConnection *self)
{
	return self->session;
}

static void
rc_sio_connection_send(RcSioConnection *self, GBytes *packet)
{
	g_autoptr(GBytes) owned = packet;
	if (self->session != NULL)
		rc_eio_session_send_packet(self->session, owned);
}

static void
rc_sio_connection_drop_client(RcSioConnection *self, RcSioClient *client)
{
	g_autoptr(RcSioClient) keep = g_object_ref(client);

	g_hash_table_remove(self->clients, rc_sio_client_get_namespace(client));
	rc_sio_client_detach(keep);
	rc_engine_remove_member(self->engine, RC_MEMBER(keep));
}

void
rc_sio_connection_forget(RcSioConnection *self, const gchar *nsp)
{
	RcSioClient *client = g_hash_table_lookup(self->clients, nsp);
	if (client != NULL)
		rc_sio_connection_drop_client(self, client);
}

static void
rc_sio_connection_drop_all(RcSioConnection *self)
{
	g_autoptr(GPtrArray) clients = g_ptr_array_new_with_free_func(g_object_unref);
	GHashTableIter iter;
	gpointer value;

	g_hash_table_iter_init(&iter, self->clients);
	while (g_hash_table_iter_next(&iter, NULL, &value))
		g_ptr_array_add(clients, g_object_ref(value));
	for (guint i = 0; i < clients->len; i++)
		rc_sio_connection_drop_client(self, g_ptr_array_index(clients, i));
}

/* the client broke the protocol: the session ends */
static void
rc_sio_connection_fail(RcSioConnection *self, const GError *error)
{
	if (self->session != NULL)
		rc_eio_session_fail(self->session, error);
}

static void
rc_sio_connection_fail_literal(RcSioConnection *self, const gchar *message)
{
	g_autoptr(GError) error =
	    g_error_new_literal(RC_SIO_ERROR, RC_SIO_ERROR_MALFORMED, message);
	rc_sio_connection_fail(self, error);
}

/* CONNECT_ERROR: its message is the error code, its data says more */
static void
rc_sio_connection_refuse(RcSioConnection *self, const gchar *nsp, const GError *error)
{
	const gchar *code = rc_error_get_wire_code(error);
	g_autoptr(GString) data = g_string_new("{\"code\":");
	GString *packet = g_string_new("4");

	rc_metrics_count_error(code);
	rc_protocol_append_json_string(data, code);
	g_string_append(data, ",\"message\":");
	rc_protocol_append_json_string(data, error->message);
	if (error->domain == RC_ERROR)
		g_string_append_printf(data, ",\"status\":%u", rc_error_get_http_status(error));
	g_string_append_c(data, '}');
	g_debug("namespace %s refused: %s", nsp, error->message);
	rc_sio_packet_append(
	    packet, RC_SIO_PACKET_CONNECT_ERROR, nsp, RC_SIO_NO_ACK_ID, "{\"message\":");
	rc_protocol_append_json_string(packet, code);
	g_string_append(packet, ",\"data\":");
	g_string_append_len(packet, data->str, (gssize)data->len);
	g_string_append_c(packet, '}');
	rc_sio_connection_send(self, g_string_free_to_bytes(packet));
}

/* the member of a string field of the CONNECT data: absent (or null) is NULL,
 * another type an error */
static gboolean
rc_sio_connection_auth_string(JsonObject *auth,
			      const gchar *name,
			      const gchar **out,
			      GError **error)
{
	JsonNode *node = auth != NULL ? json_object_get_member(auth, name) : NULL;

	*out = NULL;
	if (node == NULL || JSON_NODE_HOLDS_NULL(node))
		return TRUE;
	if (!JSON_NODE_HOLDS_VALUE(node) || json_node_get_value_type(node) != G_TYPE_STRING) {
		g_set_error(
		    error, RC_ERROR, RC_ERROR_INVALID_ARGS, _("auth.%s must be a string"), name);
		return FALSE;
	}
	*out = json_node_get_string(node);
	return TRUE;
}

/* What auth plugins see: the request that opened the session, with a CONNECT's
 * auth.token in place of any token it carried itself. */
static RcAuthRequest *
rc_sio_connection_auth_request(RcSioConnection *self, const gchar *token)
{
	RcAuthRequest *request = rc_auth_request_new(rc_eio_session_get_peer(self->session));
	SoupMessageHeadersIter iter;
	const gchar *name, *value;
	GHashTableIter qiter;
	gpointer key, qvalue;

	soup_message_headers_iter_init(&iter, self->headers);
	while (soup_message_headers_iter_next(&iter, &name, &value)) {
		if (token != NULL && g_ascii_strcasecmp(name, "Authorization") == 0)
			continue;
		rc_auth_request_add_header(request, name, value);
	}
	g_hash_table_iter_init(&qiter, self->query);
	while (g_hash_table_iter_next(&qiter, &key, &qvalue)) {
		if (token != NULL && g_strcmp0(key, "token") == 0)
			continue;
		rc_auth_request_add_query_param(request, key, qvalue);
	}
	if (token != NULL)
		rc_auth_request_add_query_param(request, "token", token);
	return request;
}

/* who the CONNECT says the client is: the auth plugins' answer, or without them
 * the name it gives (auth.sender, else the sender query), or a guest name */
static gboolean
rc_sio_connection_identify(
    RcSioConnection *self, JsonObject *auth, gchar **sender, GStrv *room_globs, GError **error)
{
	const gchar *name = NULL;

	if (rc_engine_has_auth(self->engine)) {
		g_autoptr(RcAuthRequest) request = NULL;
		const gchar *token = NULL;
		if (!rc_sio_connection_auth_string(auth, "token", &token, error))
			return FALSE;
		request = rc_sio_connection_auth_request(self, token);
		return rc_engine_authenticate(self->engine, request, sender, room_globs, error);
	}
	if (!rc_sio_connection_auth_string(auth, "sender", &name, error))
		return FALSE;
	if (name == NULL)
		name = g_hash_table_lookup(self->query, "sender");
	if (name == NULL) {
		*sender = g_strdup_printf("guest-%06x", g_random_int_range(0, 0xffffff));
		return TRUE;
	}
	if (!rc_protocol_validate_sender(name, NULL)) {
		g_set_error_literal(
		    error,
		    RC_ERROR,
		    RC_ERROR_INVALID_ARGS,
		    _("invalid sender: 1–64 bytes of UTF-8 without control characters"));
		return FALSE;
	}
	*sender = g_strdup(name);
	return TRUE;
}

static void
rc_sio_connection_handle_connect(RcSioConnection *self, const RcSioPacket *packet)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(GError) name_error = NULL;
	g_autofree gchar *sender = NULL;
	g_autofree gchar *id = NULL;
	g_auto(GStrv) room_globs = NULL;
	g_autoptr(RcSioClient) client = NULL;
	JsonObject *auth = packet->data != NULL ? json_node_get_object(packet->data) : NULL;
	GString *reply;

	if (g_hash_table_contains(self->clients, packet->nsp)) {
		rc_sio_connection_fail_literal(self, _("CONNECT to a namespace already connected"));
		return;
	}
	if (!rc_protocol_validate_namespace(packet->nsp, &name_error)) {
		error = g_error_new_literal(RC_ERROR, RC_ERROR_INVALID_ARGS, name_error->message);
		rc_sio_connection_refuse(self, packet->nsp, error);
		return;
	}
	if (g_hash_table_size(self->clients) >= RC_SIO_MAX_NAMESPACES) {
		error = g_error_new(RC_ERROR,
				    RC_ERROR_INVALID_ARGS,
				    _("a connection may use at most %u namespaces"),
				    (guint)RC_SIO_MAX_NAMESPACES);
		rc_sio_connection_refuse(self, packet->nsp, error);
		return;
	}
	if (rc_engine_is_shutting_down(self->engine)) {
		error = g_error_new_literal(
		    RC_ERROR, RC_ERROR_UNAVAILABLE, _("the server is shutting down"));
		rc_sio_connection_refuse(self, packet->nsp, error);
		return;
	}
	if (!rc_sio_connection_identify(self, auth, &sender, &room_globs, &error)) {
		rc_sio_connection_refuse(self, packet->nsp, error);
		return;
	}
	id = rc_engine_new_client_id(self->engine);
	client = rc_sio_client_new(self->engine,
				   self,
				   packet->nsp,
				   id,
				   sender,
				   rc_eio_session_get_peer(self->session),
				   room_globs);
	g_hash_table_insert(self->clients, g_strdup(packet->nsp), g_object_ref(client));
	rc_engine_add_member(self->engine, RC_MEMBER(client));
	g_debug("socket.io client %s connected from %s as %s in %s",
		id,
		rc_eio_session_get_peer(self->session),
		sender,
		packet->nsp);
	/* the socket id the client is given is its client id */
	reply = g_string_new("4");
	rc_sio_packet_append(
	    reply, RC_SIO_PACKET_CONNECT, packet->nsp, RC_SIO_NO_ACK_ID, "{\"sid\":");
	rc_protocol_append_json_string(reply, id);
	g_string_append_c(reply, '}');
	rc_sio_connection_send(self, g_string_free_to_bytes(reply));
}

void
rc_sio_connection_handle_packet(RcSioConnection *self,
				gboolean binary,
				gconstpointer data,
				guint64 len)
{
	RcConfig *config = rc_engine_get_config(self->engine);
	g_auto(RcSioPacket) packet = {0};
	g_autoptr(GError) error = NULL;
	RcSioClient *client;

	if (binary) {
		if (self->skip_binary > 0) {
			self->skip_binary--;
			return;
		}
		rc_sio_connection_fail_literal(self,
					       _("a binary packet that no binary event announced"));
		return;
	}
	if (self->skip_binary > 0) {
		rc_sio_connection_fail_literal(self, _("a binary event's attachments are missing"));
		return;
	}
	if (!rc_sio_packet_parse(data,
				 (gsize)len,
				 rc_config_get_max_frame_bytes(config),
				 RC_SIO_MAX_JSON_DEPTH,
				 &packet,
				 &error)) {
		if (!g_error_matches(error, RC_SIO_ERROR, RC_SIO_ERROR_BINARY)) {
			rc_sio_connection_fail(self, error);
			return;
		}
		/* refused, but well formed: its attachments are skipped */
		self->skip_binary = packet.attachments;
		client = g_hash_table_lookup(self->clients, packet.nsp);
		if (client == NULL) {
			rc_sio_connection_fail_literal(
			    self, _("a packet for a namespace that is not connected"));
			return;
		}
		if (packet.type == RC_SIO_PACKET_BINARY_EVENT)
			rc_sio_client_refuse_binary(client, packet.ack_id);
		return;
	}
	switch (packet.type) {
	case RC_SIO_PACKET_CONNECT:
		rc_sio_connection_handle_connect(self, &packet);
		return;
	case RC_SIO_PACKET_DISCONNECT:
		rc_sio_connection_forget(self, packet.nsp);
		return;
	case RC_SIO_PACKET_EVENT:
		client = g_hash_table_lookup(self->clients, packet.nsp);
		if (client == NULL) {
			rc_sio_connection_fail_literal(
			    self, _("a packet for a namespace that is not connected"));
			return;
		}
		rc_sio_client_handle_event(client, &packet);
		return;
	case RC_SIO_PACKET_ACK:
		/* the server never asks the client for an ack */
		return;
	case RC_SIO_PACKET_CONNECT_ERROR:
	default:
		rc_sio_connection_fail_literal(self, _("a client never sends CONNECT_ERROR"));
		return;
	}
}

void
rc_sio_connection_session_closed(RcSioConnection *self)
{
	g_autoptr(RcSioConnection) keep G_GNUC_UNUSED = g_object_ref(self);

	g_return_if_fail(self->session != NULL);
	if (rc_eio_session_get_close_code(self->session) == RC_EIO_CLOSE_SLOW_CONSUMER)
		rc_engine_count_slow_consumer(self->engine);
	rc_sio_connection_drop_all(self);
	self->session = NULL;
}

RcSioConnection *
rc_sio_connection_new(RcEngine *engine,
		      RcEioSession *session,
		      SoupMessageHeaders *headers,
		      GHashTable *query)
{
	RcSioConnection *self = g_object_new(RC_TYPE_SIO_CONNECTION, NULL);

	self->engine = engine;
	self->session = session;
	self->headers = soup_message_headers_ref(headers);
	self->query = g_hash_table_ref(query);
	return self;
}

static void
rc_sio_connection_dispose(GObject *object)
{
	RcSioConnection *self = RC_SIO_CONNECTION(object);

	self->session = NULL;
	if (self->clients != NULL)
		rc_sio_connection_drop_all(self);
	G_OBJECT_CLASS(rc_sio_connection_parent_class)->dispose(object);
}

static void
rc_sio_connection_finalize(GObject *object)
{
	RcSioConnection *self = RC_SIO_CONNECTION(object);
	g_hash_table_unref(self->clients);
	soup_message_headers_unref(self->headers);
	g_hash_table_unref(self->query);
	G_OBJECT_CLASS(rc_sio_connection_parent_class)->finalize(object);
}

static void
rc_sio_connection_class_init(RcSioConnectionClass *klass)
{
	GObjectClass *object_class = G_OBJECT_CLASS(klass);
	object_class->dispose = rc_sio_connection_dispose;
	object_class->finalize = rc_sio_connection_finalize;
}

static void
rc_sio_connection_init(RcSioConnection *self)
{
	self->clients = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_object_unref);
}
