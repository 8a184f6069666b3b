/*
 * Copyright 2026 roomcast developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#define G_LOG_DOMAIN "RcServer"

#include "config.h"

#include <glib/gi18n.h>
#include <errno.h>
#include <sys/socket.h>

#include "protocol/rc-protocol.h"
#include "rc-log.h"
#include "rc-metrics.h"
#include "transport/rc-client-io-stream.h"
#include "transport/rc-client-poller.h"
#include "transport/rc-http-connection.h"
#include "transport/rc-http.h"
#include "transport/rc-listener.h"
#include "transport/rc-server.h"
#include "transport/rc-static.h"
#include "transport/rc-ws-client.h"

struct _RcServer {
	GObject parent_instance;
	RcEngine *engine;
	SoupServer *soup;
	RcListener *listener;
	gboolean loopback; /* bound to a loopback address: Host is checked */
	gboolean tls;	   /* serves https:// and wss:// only */
	guint port;
	GHashTable *waiting; /* RcHttpConnection (owned) whose request is not complete */
	guint sweep_id;
};

G_DEFINE_TYPE(RcServer, rc_server, G_TYPE_OBJECT)

/* what an accepted upgrade carries until the 101 is on the wire */
typedef struct {
	RcServer *server;
	RcServerUpgradeFunc func;
	gpointer user_data;
	GDestroyNotify destroy;
	gchar *peer;
} RcUpgrade;

/* the handler's data, freed with the handler: after it ran, or with a message that
 * never got its 101 out */
static void
rc_upgrade_free(gpointer data, GClosure *closure)
{
	RcUpgrade *up = data;
	if (up->destroy != NULL)
		up->destroy(up->user_data);
	g_free(up->peer);
	g_free(up);
}

static RcConfig *
rc_server_get_config(RcServer *self)
{
	return rc_engine_get_config(self->engine);
}

static void
rc_server_upgrade_done_cb(SoupServerMessage *msg, gpointer user_data)
{
	RcUpgrade *up = user_data;
	RcServer *self = up->server;
	RcConfig *config = rc_server_get_config(self);
	g_autoptr(GIOStream) base = NULL;
	g_autoptr(GSocket) socket = NULL;
	g_autoptr(GIOStream) stream = NULL;
	g_autoptr(SoupWebsocketConnection) conn = NULL;
	const gchar *origin;
	GMainContext *parking;

	RcHttpConnection *hc = rc_http_connection_from_message(msg);

	/* this handler runs once; its data lives until it returns */
	g_signal_handlers_disconnect_by_func(msg, rc_server_upgrade_done_cb, user_data);
	if (hc == NULL)
		return;
	socket = g_object_ref(rc_http_connection_get_socket(hc));
	rc_http_connection_set_message(hc, NULL);
	base = soup_server_message_steal_connection(msg);
	if (base == NULL)
		return;
	stream = rc_client_io_stream_new(base, g_socket_get_fd(socket), rc_http_connection_is_tls(hc));
	origin = soup_message_headers_get_one(soup_server_message_get_request_headers(msg), "Origin");
	/* libsoup attaches the connection's input source to the thread-default
	 * context: park it there, the poller dispatches it (see rc-client-poller.h) */
	parking = rc_client_poller_get_parking_context(rc_client_poller_get_default());
	g_main_context_push_thread_default(parking);
	conn = soup_websocket_connection_new(stream,
					     soup_server_message_get_uri(msg),
					     SOUP_WEBSOCKET_CONNECTION_SERVER,
					     origin,
					     NULL,
					     NULL);
	g_main_context_pop_thread_default(parking);
	/* Every member of a room gets the same pre-built frame bytes: that is only right
	 * while no extension (permessage-deflate) rewrites frames on a connection. The
	 * upgrade offers none, so none can be negotiated. */
	g_assert(soup_websocket_connection_get_extensions(conn) == NULL);
	soup_websocket_connection_set_max_incoming_payload_size(conn,
								rc_config_get_max_frame_bytes(config));
	/* libsoup pings nothing by default; idle peers are the kernel's business */
	soup_websocket_connection_set_keepalive_interval(conn, 0);
	up->func(conn, stream, up->peer, up->user_data);
}

/* a peer can send these at will: counted always, logged within a limit */
static RcLogLimit rc_server_upgrade_log = RC_LOG_LIMIT_INIT("refused WebSocket upgrades");

void
rc_server_note_refused_upgrade(SoupServerMessage *msg, guint status, const gchar *reason)
{
	SoupMessageHeaders *headers = soup_server_message_get_request_headers(msg);
	g_autofree gchar *peer = NULL;
	g_autofree gchar *why = NULL;

	if (!soup_message_headers_header_contains(headers, "Upgrade", "websocket"))
		return;
	rc_metrics_count_refused_upgrade(status);
	peer = rc_http_get_peer(msg);
	why = g_strchomp(g_strdup(reason));
	rc_log_limited(&rc_server_upgrade_log,
		       peer,
		       NULL,
		       "refused a WebSocket upgrade to %s from %s: %u %s",
		       g_uri_get_path(soup_server_message_get_uri(msg)),
		       peer,
		       status,
		       why);
}

/* the answer to a /ws upgrade that is not taken */
static void
rc_server_refuse_upgrade(SoupServerMessage *msg, guint status, const gchar *text)
{
	rc_server_note_refused_upgrade(msg, status, text);
	rc_http_set_text(msg, status, text);
}

gboolean
rc_server_accept_websocket(RcServer *self,
			   SoupServerMessage *msg,
			   RcServerUpgradeFunc func,
			   gpointer user_data,
			   GDestroyNotify destroy)
{
	RcUpgrade *up;

	if (!soup_websocket_server_process_handshake(msg, NULL, NULL, NULL, NULL)) {
		if (destroy != NULL)
			destroy(user_data);
		rc_server_refuse_upgrade(
		    msg, SOUP_STATUS_BAD_REQUEST, _("bad WebSocket handshake\n"));
		return FALSE;
	}
	/* process_handshake appended Upgrade to the Connection: close every reply gets */
	soup_message_headers_replace(soup_server_message_get_response_headers(msg),
				     "Connection",
				     "Upgrade");
	up = g_new0(RcUpgrade, 1);
	up->server = self;
	up->func = func;
	up->user_data = user_data;
	up->destroy = destroy;
	up->peer = rc_http_get_peer(msg);
	g_signal_connect_data(msg,
			      "wrote-informational",
			      G_CALLBACK(rc_server_upgrade_done_cb),
			      up,
			      rc_upgrade_free,
			      0);
	return TRUE;
}

/* what a /ws upgrade carries to its client */
typedef struct {
	RcServer *server;
	gchar *sender;
	GStrv room_globs;
} RcWsUpgrade;

static void
rc_ws_upgrade_free(RcWsUpgrade *wu)
{
	g_free(wu->sender);
	g_strfreev(wu->room_globs);
	g_free(wu);
}

static void
rc_server_ws_upgraded(SoupWebsocketConnection *conn,
		      GIOStream *stream,
		      const gchar *peer,
		      gpointer user_data)
{
	RcWsUpgrade *wu = user_data;
	RcServer *self = wu->server;
	g_autofree gchar *id = rc_engine_new_client_id(self->engine);
	g_autoptr(RcWsClient) client =
	    rc_ws_client_new(self->engine, conn, stream, id, wu->sender, peer, wu->room_globs);

	g_debug("client %s connected from %s as %s", id, peer, wu->sender);
	rc_ws_client_start(client);
}

/* the sender a client without auth plugins names itself with, or a guest name */
static gchar *
rc_server_query_sender(GHashTable *query, GError **error)
{
	const gchar *name = g_hash_table_lookup(query, "sender");
	if (name == NULL)
		return g_strdup_printf("guest-%06x", g_random_int_range(0, 0xffffff));
	if (!rc_protocol_validate_sender(name, NULL)) {
		g_set_error_literal(
		    error,
		    RC_ERROR,
		    RC_ERROR_INVALID_ARGS,
		    _("invalid sender: 1–64 bytes of UTF-8 without control characters\n"));
		return NULL;
	}
	return g_strdup(name);
}

static void
rc_server_ws_cb(SoupServer *soup,
		SoupServerMessage *msg,
		const gchar *path,
		GHashTable *unused,
		gpointer user_data)
{
	RcServer *self = RC_SERVER(user_data);
	g_autoptr(GError) error = NULL;
	g_autoptr(GHashTable) query = NULL;
	g_autofree gchar *sender = NULL;
	g_auto(GStrv) room_globs = NULL;
	RcWsUpgrade *wu;

	if (g_strcmp0(path, "/ws") != 0) {
		rc_server_refuse_upgrade(msg, SOUP_STATUS_NOT_FOUND, _("not found\n"));
		return;
	}
	if (!soup_websocket_server_check_handshake(msg, NULL, NULL, NULL, &error)) {
		rc_server_refuse_upgrade(msg, SOUP_STATUS_BAD_REQUEST, error->message);
		return;
	}
	/* a draining node sends its clients elsewhere: new ones go there at once */
	if (rc_engine_is_draining(self->engine)) {
		soup_message_headers_replace(soup_server_message_get_response_headers(msg),
					     "Retry-After",
					     "5");
		rc_server_refuse_upgrade(msg,
					 SOUP_STATUS_SERVICE_UNAVAILABLE,
					 _("this node is draining: connect to another one\n"));
		return;
	}
	query = rc_http_get_query(msg, &error);
	if (rc_engine_has_auth(self->engine)) {
		g_autoptr(RcAuthRequest) request = NULL;
		if (query == NULL) {
			g_autofree gchar *text =
			    g_strdup_printf(_("malformed query string: %s\n"), error->message);
			rc_server_refuse_upgrade(msg, SOUP_STATUS_UNAUTHORIZED, text);
			return;
		}
		request = rc_http_auth_request_new(msg, query);
		if (!rc_engine_authenticate(self->engine, request, &sender, &room_globs, &error)) {
			g_debug("upgrade refused: %s", error->message);
			rc_server_refuse_upgrade(
			    msg, rc_error_get_http_status(error), error->message);
			return;
		}
	} else {
		if (query == NULL) {
			g_autofree gchar *text =
			    g_strdup_printf(_("malformed query string: %s\n"), error->message);
			rc_server_refuse_upgrade(msg, SOUP_STATUS_BAD_REQUEST, text);
			return;
		}
		sender = rc_server_query_sender(query, &error);
		if (sender == NULL) {
			rc_server_refuse_upgrade(msg, SOUP_STATUS_BAD_REQUEST, error->message);
			return;
		}
	}
	wu = g_new0(RcWsUpgrade, 1);
	wu->server = self;
	wu->sender = g_steal_pointer(&sender);
	wu->room_globs = g_steal_pointer(&room_globs);
	rc_server_accept_websocket(self,
				   msg,
				   rc_server_ws_upgraded,
				   wu,
				   (GDestroyNotify)rc_ws_upgrade_free);
}

static void
rc_server_publish_cb(GObject *source, GAsyncResult *res, gpointer user_data)
{
	g_autoptr(SoupServerMessage) msg = user_data;
	g_autoptr(GError) error = NULL;
	g_autoptr(RcMessage) published = rc_engine_publish_finish(RC_ENGINE(source), res, &error);

	if (published == NULL) {
		rc_http_set_json_error(msg, rc_error_get_http_status(error), error->message);
	} else {
		g_autoptr(JsonBuilder) builder = json_builder_new();
		json_builder_begin_object(builder);
		json_builder_set_member_name(builder, "success");
		json_builder_add_boolean_value(builder, TRUE);
		json_builder_set_member_name(builder, "id");
		json_builder_add_string_value(builder, rc_message_get_id(published));
		json_builder_end_object(builder);
		rc_http_set_json(msg, SOUP_STATUS_OK, builder);
	}
	soup_server_message_unpause(msg);
}

static void
rc_server_publish_handler(SoupServer *soup,
			  SoupServerMessage *msg,
			  const gchar *path,
			  GHashTable *query,
			  gpointer user_data)
{
	RcServer *self = RC_SERVER(user_data);
	RcConfig *config = rc_server_get_config(self);
	SoupMessageBody *body;
	g_autoptr(GBytes) bytes = NULL;
	g_autoptr(GError) error = NULL;
	g_autoptr(RcMessage) message = NULL;

	if (g_strcmp0(path, "/publish") != 0) {
		rc_http_set_json_error(msg, SOUP_STATUS_NOT_FOUND, _("not found"));
		return;
	}
	body = soup_server_message_get_request_body(msg);
	bytes = soup_message_body_flatten(body);
	if (g_bytes_get_size(bytes) > rc_config_get_max_frame_bytes(config)) {
		rc_http_set_json_error(msg,
				       SOUP_STATUS_REQUEST_ENTITY_TOO_LARGE,
				       _("the body is larger than max_frame_bytes"));
		return;
	}
	message = rc_protocol_parse_message(g_bytes_get_data(bytes, NULL),
					    g_bytes_get_size(bytes),
					    rc_config_get_max_text_bytes(config),
					    &error);
	if (message == NULL) {
		rc_http_set_json_error(msg, rc_error_get_http_status(error), error->message);
		return;
	}
	soup_server_message_pause(msg);
	rc_engine_publish_async(self->engine,
				rc_message_get_namespace(message),
				rc_message_get_room_code(message),
				rc_message_get_sender(message),
				rc_message_get_text(message),
				RC_SOURCE_HTTP,
				NULL,
				NULL,
				rc_server_publish_cb,
				g_object_ref(msg));
}

/* a positive integer query parameter; absent is @fallback */
static gboolean
rc_server_query_uint(GHashTable *query, const gchar *name, guint64 fallback, guint64 *out, GError **error)
{
	const gchar *value = g_hash_table_lookup(query, name);
	*out = fallback;
	if (value == NULL)
		return TRUE;
	if (!g_ascii_string_to_unsigned(value, 10, 1, G_MAXINT64, out, NULL)) {
		g_set_error(error,
			    RC_ERROR,
			    RC_ERROR_INVALID_ARGS,
			    _("%s must be an integer of at least 1"),
			    name);
		return FALSE;
	}
	return TRUE;
}

static void
rc_server_history_cb(GObject *source, GAsyncResult *res, gpointer user_data)
{
	g_autoptr(SoupServerMessage) msg = user_data;
	g_autoptr(GError) error = NULL;
	g_autoptr(RcHistory) history = rc_engine_history_finish(RC_ENGINE(source), res, &error);
	GString *body;
	gsize len;

	if (history == NULL) {
		rc_http_set_json_error(msg, rc_error_get_http_status(error), error->message);
		soup_server_message_unpause(msg);
		return;
	}
	body = g_string_new("{\"epoch\":");
	rc_protocol_append_json_string(body, history->epoch);
	g_string_append_printf(body, ",\"offset\":%" G_GUINT64_FORMAT ",\"messages\":[", history->top);
	for (guint i = 0; i < history->messages->len; i++) {
		if (i > 0)
			g_string_append_c(body, ',');
		rc_protocol_append_message(body, g_ptr_array_index(history->messages, i), FALSE);
	}
	g_string_append(body, "]}");
	len = body->len;
	soup_server_message_set_status(msg, SOUP_STATUS_OK, NULL);
	soup_server_message_set_response(msg,
					 "application/json",
					 SOUP_MEMORY_TAKE,
					 g_string_free(body, FALSE),
					 len);
	soup_server_message_unpause(msg);
}

/* GET /history?namespace=NS&roomCode=R[&limit=N][&before=K] */
static void
rc_server_history_handler(SoupServer *soup,
			  SoupServerMessage *msg,
			  const gchar *path,
			  GHashTable *unused,
			  gpointer user_data)
{
	RcServer *self = RC_SERVER(user_data);
	g_autoptr(GError) error = NULL;
	g_autoptr(GHashTable) query = NULL;
	const gchar *ns;
	const gchar *room_code;
	guint64 limit = 0, before = 0;

	if (g_strcmp0(path, "/history") != 0) {
		rc_http_set_json_error(msg, SOUP_STATUS_NOT_FOUND, _("not found"));
		return;
	}
	query = rc_http_get_query(msg, &error);
	if (query == NULL) {
		rc_http_set_json_error(msg, SOUP_STATUS_BAD_REQUEST, error->message);
		return;
	}
	ns = g_hash_table_lookup(query, "namespace");
	room_code = g_hash_table_lookup(query, "roomCode");
	if (room_code == NULL) {
		rc_http_set_json_error(msg, SOUP_STATUS_BAD_REQUEST, _("missing parameter roomCode"));
		return;
	}
	if (!rc_server_query_uint(query, "limit", 0, &limit, &error) ||
	    !rc_server_query_uint(query, "before", 0, &before, &error)) {
		rc_http_set_json_error(msg, SOUP_STATUS_BAD_REQUEST, error->message);
		return;
	}
	soup_server_message_pause(msg);
	rc_engine_history_async(self->engine,
				NULL,
				ns != NULL ? ns : "/",
				room_code,
				(guint)MIN(limit, G_MAXUINT),
				before,
				rc_server_history_cb,
				g_object_ref(msg));
}

static void
rc_server_presence_cb(GObject *source, GAsyncResult *res, gpointer user_data)
{
	g_autoptr(SoupServerMessage) msg = user_data;
	g_autoptr(GError) error = NULL;
	g_autoptr(GPtrArray) members = rc_engine_who_finish(RC_ENGINE(source), res, &error);
	GString *body;
	gsize len;

	if (members == NULL) {
		rc_http_set_json_error(msg, rc_error_get_http_status(error), error->message);
		soup_server_message_unpause(msg);
		return;
	}
	body = g_string_new("{\"members\":[");
	for (guint i = 0; i < members->len; i++) {
		if (i > 0)
			g_string_append_c(body, ',');
		rc_protocol_append_presence_entry(body, g_ptr_array_index(members, i));
	}
	g_string_append(body, "]}");
	len = body->len;
	soup_server_message_set_status(msg, SOUP_STATUS_OK, NULL);
	soup_server_message_set_response(msg,
					 "application/json",
					 SOUP_MEMORY_TAKE,
					 g_string_free(body, FALSE),
					 len);
	soup_server_message_unpause(msg);
}

/* GET /presence?namespace=NS&roomCode=R */
static void
rc_server_presence_handler(SoupServer *soup,
			   SoupServerMessage *msg,
			   const gchar *path,
			   GHashTable *unused,
			   gpointer user_data)
{
	RcServer *self = RC_SERVER(user_data);
	g_autoptr(GError) error = NULL;
	g_autoptr(GHashTable) query = NULL;
	const gchar *ns;
	const gchar *room_code;

	if (g_strcmp0(path, "/presence") != 0) {
		rc_http_set_json_error(msg, SOUP_STATUS_NOT_FOUND, _("not found"));
		return;
	}
	query = rc_http_get_query(msg, &error);
	if (query == NULL) {
		rc_http_set_json_error(msg, SOUP_STATUS_BAD_REQUEST, error->message);
		return;
	}
	ns = g_hash_table_lookup(query, "namespace");
	room_code = g_hash_table_lookup(query, "roomCode");
	if (room_code == NULL) {
		rc_http_set_json_error(msg, SOUP_STATUS_BAD_REQUEST, _("missing parameter roomCode"));
		return;
	}
	soup_server_message_pause(msg);
	rc_engine_who_async(self->engine,
			    NULL,
			    ns != NULL ? ns : "/",
			    room_code,
			    rc_server_presence_cb,
			    g_object_ref(msg));
}

static gboolean
rc_server_route_speaks_json(const gchar *path)
{
	return g_strcmp0(path, "/publish") == 0 || g_strcmp0(path, "/history") == 0 ||
	       g_strcmp0(path, "/presence") == 0;
}

/* a JSON body for the routes that speak JSON, text for the others */
/* {"success":false,"error":…} on the JSON routes, a line of text elsewhere */
static void
rc_server_refuse_connection(RcHttpConnection *hc,
			    gboolean unread,
			    const gchar *path,
			    guint status,
			    const gchar *error)
{
	g_autofree gchar *body = NULL;
	const gchar *content_type = "text/plain; charset=utf-8";

	if (path != NULL && rc_server_route_speaks_json(path)) {
		g_autoptr(JsonBuilder) builder = json_builder_new();
		g_autoptr(JsonGenerator) generator = json_generator_new();
		g_autoptr(JsonNode) root = NULL;

		json_builder_begin_object(builder);
		json_builder_set_member_name(builder, "success");
		json_builder_add_boolean_value(builder, FALSE);
		json_builder_set_member_name(builder, "error");
		json_builder_add_string_value(builder, error);
		json_builder_end_object(builder);
		root = json_builder_get_root(builder);
		json_generator_set_root(generator, root);
		body = json_generator_to_data(generator, NULL);
		content_type = "application/json";
	} else {
		body = g_strconcat(error, "\n", NULL);
	}
	if (unread)
		rc_http_connection_refuse_unread(hc, status, content_type, body);
	else
		rc_http_connection_refuse(hc, status, content_type, body);
}

static void
rc_server_refuse(SoupServerMessage *msg, const gchar *path, guint status, const gchar *error)
{
	RcHttpConnection *hc = rc_http_connection_from_message(msg);

	g_debug("refusing %s %s: %u %s", soup_server_message_get_method(msg), path, status, error);
	rc_server_note_refused_upgrade(msg, status, error);
	if (hc != NULL)
		rc_server_refuse_connection(hc, FALSE, path, status, error);
}

/* 405, with the Allow header naming the methods @path takes */
static void
rc_server_refuse_method(SoupServerMessage *msg,
			const gchar *path,
			const gchar *allow,
			const gchar *error)
{
	RcHttpConnection *hc = rc_http_connection_from_message(msg);

	if (hc != NULL)
		rc_http_connection_set_allow(hc, allow);
	rc_server_refuse(msg, path, SOUP_STATUS_METHOD_NOT_ALLOWED, error);
}

/* the host part of a Host header, lower case, without port or brackets */
static gchar *
rc_server_host_name(const gchar *host)
{
	const gchar *end;
	if (host[0] == '[') {
		end = strchr(host, ']');
		return end != NULL ? g_ascii_strdown(host + 1, end - host - 1) : NULL;
	}
	end = strrchr(host, ':');
	return g_ascii_strdown(host, end != NULL ? end - host : -1);
}

/* A node on a loopback address is often a desktop user's: a web page must not
 * reach it through a name that resolves to 127.0.0.1 (DNS rebinding). */
static gboolean
rc_server_host_allowed(RcServer *self, SoupServerMessage *msg)
{
	const gchar *host = soup_message_headers_get_one(soup_server_message_get_request_headers(msg),
							 "Host");
	const gchar *const *allowed = rc_config_get_allowed_hosts(rc_server_get_config(self));
	g_autofree gchar *name = NULL;
	g_autoptr(GInetAddress) address = NULL;

	if (!self->loopback || host == NULL)
		return TRUE;
	name = rc_server_host_name(host);
	if (name == NULL)
		return FALSE;
	if (g_strcmp0(name, "localhost") == 0)
		return TRUE;
	address = g_inet_address_new_from_string(name);
	if (address != NULL && g_inet_address_get_is_loopback(address))
		return TRUE;
	for (guint i = 0; allowed != NULL && allowed[i] != NULL; i++) {
		if (g_ascii_strcasecmp(allowed[i], name) == 0 || g_ascii_strcasecmp(allowed[i], host) == 0)
			return TRUE;
	}
	return FALSE;
}

/* libsoup 3.2 reads "-5" or "5, 2" as a length and parses the body as the next
 * request, and takes a request with both Content-Length and Transfer-Encoding:
 * the ways to smuggle a request past a proxy. Only one plain length is a length. */
static gboolean
rc_server_framing_ok(SoupServerMessage *msg, gboolean *has_body, guint64 *length)
{
	SoupMessageHeaders *headers = soup_server_message_get_request_headers(msg);
	const gchar *cl = soup_message_headers_get_list(headers, "Content-Length");
	const gchar *te = soup_message_headers_get_list(headers, "Transfer-Encoding");

	*length = 0;
	*has_body = te != NULL;
	if (cl != NULL && te != NULL)
		return FALSE;
	if (cl != NULL) {
		if (!g_ascii_string_to_unsigned(cl, 10, 0, G_MAXINT64, length, NULL))
			return FALSE;
		*has_body = *length > 0;
	}
	return TRUE;
}

static void rc_server_publish_chunk_cb(SoupServerMessage *msg, GBytes *chunk, gpointer user_data);

/* The checks every route gets, on the request headers: FALSE when the request
 * was refused. */
static gboolean
rc_server_early_common(RcServer *self,
		       SoupServerMessage *msg,
		       const gchar *path,
		       gboolean *has_body,
		       guint64 *length)
{
	RcConfig *config = rc_server_get_config(self);

	if (!rc_server_framing_ok(msg, has_body, length)) {
		rc_server_refuse(msg,
				 path,
				 SOUP_STATUS_BAD_REQUEST,
				 _("malformed request framing: one Content-Length, or chunked"));
		return FALSE;
	}
	if (!rc_server_host_allowed(self, msg)) {
		rc_server_refuse(msg,
				 path,
				 SOUP_STATUS_FORBIDDEN,
				 _("this node does not answer to that Host name"));
		return FALSE;
	}
	if (!rc_http_origin_allowed(config, msg)) {
		rc_server_refuse(msg,
				 path,
				 SOUP_STATUS_FORBIDDEN,
				 _("requests from this origin are not allowed"));
		return FALSE;
	}
	return TRUE;
}

/* Everything is decided from the request headers, before libsoup reads a body:
 * a refused request is answered at once and its body never buffered. */
static void
rc_server_early_handler(SoupServer *soup,
			SoupServerMessage *msg,
			const gchar *path,
			GHashTable *query,
			gpointer user_data)
{
	RcServer *self = RC_SERVER(user_data);
	RcConfig *config = rc_server_get_config(self);
	const gchar *method = soup_server_message_get_method(msg);
	gboolean is_publish = g_strcmp0(path, "/publish") == 0;
	gboolean has_body = FALSE;
	guint64 length = 0;

	if (!rc_server_early_common(self, msg, path, &has_body, &length))
		return;
	if (!is_publish) {
		/* the read-only routes: GET (and HEAD), whatever else is asked */
		if ((g_strcmp0(path, "/history") == 0 || g_strcmp0(path, "/presence") == 0 ||
		     g_strcmp0(path, "/healthz") == 0 || g_strcmp0(path, "/metrics") == 0) &&
		    method != SOUP_METHOD_GET && method != SOUP_METHOD_HEAD) {
			rc_server_refuse_method(msg, path, "GET, HEAD", _("use GET"));
			return;
		}
		if (has_body) {
			rc_server_refuse_method(msg,
						path,
						g_strcmp0(path, "/ws") == 0 ? "GET" : "GET, HEAD",
						_("this route takes no request body"));
			return;
		}
		/* what rooms said is guarded like what is said to them */
		if ((g_strcmp0(path, "/history") == 0 || g_strcmp0(path, "/presence") == 0) &&
		    !rc_http_check_api_token(config, msg))
			rc_server_refuse(msg,
					 path,
					 SOUP_STATUS_UNAUTHORIZED,
					 _("missing or wrong Authorization: Bearer token"));
		return;
	}
	if (method != SOUP_METHOD_POST) {
		rc_server_refuse_method(msg, path, "POST", _("use POST with a JSON Message body"));
		return;
	}
	if (!rc_http_check_api_token(config, msg)) {
		rc_server_refuse(msg,
				 path,
				 SOUP_STATUS_UNAUTHORIZED,
				 _("missing or wrong Authorization: Bearer token"));
		return;
	}
	if (length > rc_config_get_max_frame_bytes(config)) {
		rc_server_refuse(msg,
				 path,
				 SOUP_STATUS_REQUEST_ENTITY_TOO_LARGE,
				 _("the body is larger than max_frame_bytes"));
		return;
	}
	/* a chunked body says its size only as it comes */
	if (has_body && length == 0)
		g_signal_connect(msg, "got-chunk", G_CALLBACK(rc_server_publish_chunk_cb), self);
}

static void
rc_server_publish_chunk_cb(SoupServerMessage *msg, GBytes *chunk, gpointer user_data)
{
	RcServer *self = RC_SERVER(user_data);
	SoupMessageBody *body = soup_server_message_get_request_body(msg);

	if ((guint64)body->length <= rc_config_get_max_frame_bytes(rc_server_get_config(self)))
		return;
	g_signal_handlers_disconnect_by_func(msg, rc_server_publish_chunk_cb, user_data);
	rc_server_refuse(msg,
			 "/publish",
			 SOUP_STATUS_REQUEST_ENTITY_TOO_LARGE,
			 _("the body is larger than max_frame_bytes"));
}

/* a route mounted by another front end, with its own early check */
typedef struct {
	RcServer *server;
	RcServerEarlyFunc early;
	gpointer user_data;
} RcServerRoute;

static void
rc_server_route_early_handler(SoupServer *soup,
			      SoupServerMessage *msg,
			      const gchar *path,
			      GHashTable *query,
			      gpointer user_data)
{
	RcServerRoute *route = user_data;
	gboolean has_body = FALSE;
	guint64 length = 0;

	if (!rc_server_early_common(route->server, msg, path, &has_body, &length))
		return;
	route->early(msg, path, has_body, length, route->user_data);
}

void
rc_server_add_route(RcServer *self,
		    const gchar *path,
		    RcServerEarlyFunc early,
		    SoupServerCallback callback,
		    gpointer user_data)
{
	RcServerRoute *route = g_new0(RcServerRoute, 1);

	route->server = self;
	route->early = early;
	route->user_data = user_data;
	soup_server_add_early_handler(self->soup, path, rc_server_route_early_handler, route, g_free);
	soup_server_add_handler(self->soup, path, callback, user_data, NULL);
}

static void
rc_server_healthz_handler(SoupServer *soup,
			  SoupServerMessage *msg,
			  const gchar *path,
			  GHashTable *query,
			  gpointer user_data)
{
	RcServer *self = RC_SERVER(user_data);
	gboolean draining = rc_engine_is_draining(self->engine);
	gboolean down =
	    draining || rc_engine_get_bus_state(self->engine) == RC_BUS_STATE_DISCONNECTED;
	g_autoptr(JsonBuilder) builder = json_builder_new();
	RcEngineStats stats;

	if (g_strcmp0(path, "/healthz") != 0) {
		rc_http_set_text(msg, SOUP_STATUS_NOT_FOUND, _("not found\n"));
		return;
	}
	rc_engine_get_stats(self->engine, &stats);
	json_builder_begin_object(builder);
	json_builder_set_member_name(builder, "status");
	json_builder_add_string_value(builder,
				      draining ? "draining"
				      : down	 ? "unavailable"
						 : "ok");
	json_builder_set_member_name(builder, "redis");
	json_builder_add_string_value(builder, rc_engine_get_bus_state_name(self->engine));
	/* rooms on the unreachable shards of a cluster answer unavailable */
	if (stats.bus_state == RC_BUS_STATE_DEGRADED) {
		json_builder_set_member_name(builder, "shards_down");
		json_builder_add_int_value(builder, stats.shards_down);
	}
	/* why, as Redis said it (a refused password) or the network did; never a secret */
	if (rc_engine_get_bus_error(self->engine) != NULL) {
		json_builder_set_member_name(builder, "error");
		json_builder_add_string_value(builder, rc_engine_get_bus_error(self->engine));
	}
	json_builder_set_member_name(builder, "node");
	json_builder_add_string_value(builder, rc_engine_get_node_id(self->engine));
	json_builder_set_member_name(builder, "connections");
	json_builder_add_int_value(builder, stats.connections);
	json_builder_set_member_name(builder, "rooms");
	json_builder_add_int_value(builder, stats.rooms);
	json_builder_set_member_name(builder, "version");
	json_builder_add_string_value(builder, PACKAGE_VERSION);
	json_builder_end_object(builder);
	rc_http_set_json(msg, down ? SOUP_STATUS_SERVICE_UNAVAILABLE : SOUP_STATUS_OK, builder);
}

static void
rc_server_metric(GString *s, const gchar *name, const gchar *type, const gchar *help, guint64 value)
{
	g_string_append_printf(s,
			       "# HELP %s %s\n# TYPE %s %s\n%s %" G_GUINT64_FORMAT "\n",
			       name,
			       help,
			       name,
			       type,
			       name,
			       value);
}

static void
rc_server_metrics_handler(SoupServer *soup,
			  SoupServerMessage *msg,
			  const gchar *path,
			  GHashTable *query,
			  gpointer user_data)
{
	RcServer *self = RC_SERVER(user_data);
	GString *s;
	RcEngineStats stats;
	gsize len;

	if (g_strcmp0(path, "/metrics") != 0) {
		rc_http_set_text(msg, SOUP_STATUS_NOT_FOUND, _("not found\n"));
		return;
	}
	rc_engine_get_stats(self->engine, &stats);
	s = g_string_new(NULL);
	rc_server_metric(s, "roomcast_connections", "gauge", "Open WebSocket connections on this node.",
			 stats.connections);
	rc_server_metric(s, "roomcast_rooms", "gauge", "Rooms with members on this node.", stats.rooms);
	rc_server_metric(s, "roomcast_messages_received_total", "counter",
			 "Messages this node accepted from WebSocket, HTTP and D-Bus.", stats.received);
	rc_server_metric(s, "roomcast_messages_delivered_total", "counter",
			 "Message frames this node sent to its clients.", stats.delivered);
	rc_server_metric(s, "roomcast_redis_up", "gauge",
			 "1 when connected to Redis (on a cluster: to at least one shard), 0 when "
			 "disconnected or embedded.",
			 stats.bus_state == RC_BUS_STATE_CONNECTED ||
				 stats.bus_state == RC_BUS_STATE_DEGRADED
			     ? 1
			     : 0);
	g_string_append_printf(s,
			       "# HELP roomcast_redis_shards Redis servers (the masters of a cluster) "
			       "this node reaches, and does not.\n"
			       "# TYPE roomcast_redis_shards gauge\n"
			       "roomcast_redis_shards{state=\"up\"} %u\n"
			       "roomcast_redis_shards{state=\"down\"} %u\n",
			       stats.shards_up,
			       stats.shards_down);
	rc_server_metric(s, "roomcast_invalid_payloads_total", "counter",
			 "Bus payloads dropped because they were not a valid Message.",
			 stats.invalid_payloads);
	rc_server_metric(s, "roomcast_slow_consumers_total", "counter",
			 "Clients closed with 1013 because they did not read fast enough.",
			 stats.slow_consumers);
	rc_server_metric(s, "roomcast_recovered_messages_total", "counter",
			 "Messages this node delivered from history (history, since, recovery).",
			 stats.recovered);
	rc_server_metric(s, "roomcast_history_misses_total", "counter",
			 "Recoveries that could not give every message asked for.",
			 stats.history_misses);
	rc_metrics_append(s);
	len = s->len;
	soup_server_message_set_status(msg, SOUP_STATUS_OK, NULL);
	soup_server_message_set_response(msg,
					 "text/plain; version=0.0.4; charset=utf-8",
					 SOUP_MEMORY_TAKE,
					 g_string_free(s, FALSE),
					 len);
}

static void
rc_server_default_handler(SoupServer *soup,
			  SoupServerMessage *msg,
			  const gchar *path,
			  GHashTable *query,
			  gpointer user_data)
{
	const gchar *method = soup_server_message_get_method(msg);
	if (method != SOUP_METHOD_GET && method != SOUP_METHOD_HEAD) {
		soup_message_headers_replace(soup_server_message_get_response_headers(msg),
					     "Allow",
					     "GET, HEAD");
		rc_http_set_text(msg, SOUP_STATUS_METHOD_NOT_ALLOWED, _("method not allowed\n"));
		return;
	}
	rc_static_serve(msg, path);
}

/* ---- connections ------------------------------------------------------------ */

static void
rc_server_finish_waiting(RcServer *self, RcHttpConnection *hc)
{
	g_hash_table_remove(self->waiting, hc);
}

static gboolean
rc_server_sweep_cb(gpointer user_data)
{
	RcServer *self = RC_SERVER(user_data);
	gint64 now = g_get_monotonic_time();
	GHashTableIter iter;
	gpointer key;
	g_autoptr(GPtrArray) expired = g_ptr_array_new_with_free_func(g_object_unref);

	g_hash_table_iter_init(&iter, self->waiting);
	while (g_hash_table_iter_next(&iter, &key, NULL)) {
		RcHttpConnection *hc = key;
		if (!rc_http_connection_is_open(hc) || rc_http_connection_is_expired(hc, now)) {
			g_ptr_array_add(expired, g_object_ref(hc));
			g_hash_table_iter_remove(&iter);
		}
	}
	for (guint i = 0; i < expired->len; i++) {
		RcHttpConnection *hc = g_ptr_array_index(expired, i);
		if (rc_http_connection_is_open(hc))
			rc_http_connection_abort(hc);
	}
	if (g_hash_table_size(self->waiting) > 0)
		return G_SOURCE_CONTINUE;
	self->sweep_id = 0;
	return G_SOURCE_REMOVE;
}

/* the head is there and libsoup may have it, unless it is one that libsoup
 * cannot refuse without harm */
static void
rc_server_head_cb(RcHttpConnection *hc,
		  RcHttpHeadResult result,
		  const gchar *path,
		  guint status,
		  const GError *error,
		  gpointer user_data)
{
	RcServer *self = RC_SERVER(user_data);
	GSocketConnection *connection = rc_http_connection_get_connection(hc);
	g_autoptr(GSocketAddress) local = g_socket_connection_get_local_address(connection, NULL);
	g_autoptr(GSocketAddress) remote = rc_http_connection_get_remote(hc);
	g_autoptr(GError) error_local = NULL;

	if (result == RC_HTTP_HEAD_BAD) {
		g_debug("refusing a request head: %u %s", status, error->message);
		rc_server_refuse_connection(hc, TRUE, path, status, error->message);
		return;
	}
	if (local == NULL ||
	    !soup_server_accept_iostream(self->soup,
					 rc_http_connection_get_stream(hc),
					 local,
					 remote,
					 &error_local))
		g_debug("connection not served: %s",
			error_local != NULL ? error_local->message : "no address");
}

/* libsoup hands accepted connections to a SoupServer without listeners of its own,
 * and that keeps no connection alive after its response: see RcHttpConnection */
static void
rc_server_accepted_cb(RcListener *listener, GSocketConnection *connection, gpointer user_data)
{
	RcServer *self = RC_SERVER(user_data);
	RcConfig *config = rc_server_get_config(self);
	g_autoptr(GSocketAddress) local = g_socket_connection_get_local_address(connection, NULL);
	g_autoptr(GSocketAddress) remote = g_socket_connection_get_remote_address(connection, NULL);
	g_autoptr(RcHttpConnection) hc = NULL;
	gint64 deadline;

	/* gone again already, or not a TCP peer: nothing to serve */
	if (local == NULL || remote == NULL) {
		g_io_stream_close(G_IO_STREAM(connection), NULL, NULL);
		return;
	}
	deadline = g_get_monotonic_time() +
		   (gint64)rc_config_get_idle_timeout(config) * G_USEC_PER_SEC;
	hc = rc_http_connection_new(connection, deadline);
	rc_http_connection_attach(hc, remote);
	/* the certificate of the moment: a reload changes it for new connections only */
	if (self->tls)
		rc_http_connection_set_tls(hc, rc_config_get_tls_certificate(config));
	g_hash_table_add(self->waiting, g_object_ref(hc));
	if (self->sweep_id == 0)
		self->sweep_id = g_timeout_add_seconds(1, rc_server_sweep_cb, self);
	rc_http_connection_wait_head(hc, G_MAXSIZE, rc_server_head_cb, self);
}

static void
rc_server_request_started_cb(SoupServer *soup, SoupServerMessage *msg, gpointer user_data)
{
	RcHttpConnection *hc = rc_http_connection_from_message(msg);
	if (hc == NULL)
		return;
	rc_http_connection_set_message(hc, msg);
	/* said up front for answers written before the body (Expect: 100-continue) */
	soup_message_headers_replace(soup_server_message_get_response_headers(msg),
				     "Connection",
				     "close");
}

static void
rc_server_request_read_cb(SoupServer *soup, SoupServerMessage *msg, gpointer user_data)
{
	RcServer *self = RC_SERVER(user_data);
	RcHttpConnection *hc = rc_http_connection_from_message(msg);

	/* a 100 Continue cleared the response headers: say it again */
	soup_message_headers_replace(soup_server_message_get_response_headers(msg),
				     "Connection",
				     "close");
	if (hc != NULL)
		rc_server_finish_waiting(self, hc);
}

static void
rc_server_request_done_cb(SoupServer *soup, SoupServerMessage *msg, gpointer user_data)
{
	RcServer *self = RC_SERVER(user_data);
	RcHttpConnection *hc = rc_http_connection_from_message(msg);
	if (hc == NULL)
		return;
	rc_http_connection_set_message(hc, NULL);
	rc_server_finish_waiting(self, hc);
}

gboolean
rc_server_listen(RcServer *self,
		 const gchar *address,
		 guint port,
		 gboolean reuse_port,
		 GError **error)
{
	g_autoptr(GInetAddress) inet = g_inet_address_new_from_string(address);
	g_autoptr(GSocketAddress) sockaddr = NULL;
	g_autoptr(GSocket) socket = NULL;
	g_autoptr(GSocketAddress) local = NULL;

	if (inet == NULL) {
		g_set_error(error,
			    G_IO_ERROR,
			    G_IO_ERROR_INVALID_ARGUMENT,
			    _("invalid listen address “%s”"),
			    address);
		return FALSE;
	}
	sockaddr = g_inet_socket_address_new(inet, (guint16)port);
	socket = g_socket_new(g_inet_address_get_family(inet),
			      G_SOCKET_TYPE_STREAM,
			      G_SOCKET_PROTOCOL_TCP,
			      error);
	if (socket == NULL)
		return FALSE;
	if (reuse_port) {
		/* Several processes on one port share the accept load. g_socket_bind()
		 * clears SO_REUSEPORT on stream sockets, so bind by hand here. */
		struct sockaddr_storage native;
		gssize len = g_socket_address_get_native_size(sockaddr);
		if (!g_socket_set_option(socket, SOL_SOCKET, SO_REUSEADDR, 1, error) ||
		    !g_socket_set_option(socket, SOL_SOCKET, SO_REUSEPORT, 1, error) ||
		    !g_socket_address_to_native(sockaddr, &native, sizeof(native), error))
			return FALSE;
		if (bind(g_socket_get_fd(socket), (struct sockaddr *)&native, (socklen_t)len) != 0) {
			gint errsv = errno;
			g_set_error(error,
				    G_IO_ERROR,
				    g_io_error_from_errno(errsv),
				    _("Error binding to address %s:%u: %s"),
				    address,
				    port,
				    g_strerror(errsv));
			return FALSE;
		}
	} else if (!g_socket_bind(socket, sockaddr, TRUE, error)) {
		return FALSE;
	}
	g_socket_set_listen_backlog(socket, 1024);
	if (!g_socket_listen(socket, error))
		return FALSE;
	local = g_socket_get_local_address(socket, error);
	if (local == NULL)
		return FALSE;
	self->port = g_inet_socket_address_get_port(G_INET_SOCKET_ADDRESS(local));
	self->loopback = g_inet_address_get_is_loopback(inet);
	self->tls = rc_config_get_tls_certificate(rc_server_get_config(self)) != NULL;
	self->listener = rc_listener_new(socket);
	g_signal_connect(self->listener, "accepted", G_CALLBACK(rc_server_accepted_cb), self);
	return TRUE;
}

guint
rc_server_get_port(RcServer *self)
{
	return self->port;
}

gboolean
rc_server_is_tls(RcServer *self)
{
	return self->tls;
}

void
rc_server_stop(RcServer *self)
{
	if (self->listener != NULL)
		rc_listener_stop(self->listener);
	g_clear_handle_id(&self->sweep_id, g_source_remove);
	g_hash_table_remove_all(self->waiting);
	soup_server_disconnect(self->soup);
}

static void
rc_server_finalize(GObject *object)
{
	RcServer *self = RC_SERVER(object);
	rc_server_stop(self);
	g_clear_object(&self->listener);
	g_hash_table_unref(self->waiting);
	g_object_unref(self->soup);
	g_object_unref(self->engine);
	G_OBJECT_CLASS(rc_server_parent_class)->finalize(object);
}

static void
rc_server_class_init(RcServerClass *klass)
{
	G_OBJECT_CLASS(klass)->finalize = rc_server_finalize;
}

static void
rc_server_init(RcServer *self)
{
	self->soup = soup_server_new("server-header", "roomcast/" PACKAGE_VERSION " ", NULL);
	self->waiting = g_hash_table_new_full(g_direct_hash, g_direct_equal, g_object_unref, NULL);
	g_signal_connect(self->soup, "request-started", G_CALLBACK(rc_server_request_started_cb), self);
	g_signal_connect(self->soup, "request-read", G_CALLBACK(rc_server_request_read_cb), self);
	g_signal_connect(self->soup, "request-finished", G_CALLBACK(rc_server_request_done_cb), self);
	g_signal_connect(self->soup, "request-aborted", G_CALLBACK(rc_server_request_done_cb), self);
}

RcServer *
rc_server_new(RcEngine *engine)
{
	RcServer *self = g_object_new(RC_TYPE_SERVER, NULL);
	const struct {
		const gchar *path;
		SoupServerCallback callback;
	} routes[] = {
	    {"/ws", rc_server_ws_cb},
	    {"/publish", rc_server_publish_handler},
	    {"/history", rc_server_history_handler},
	    {"/presence", rc_server_presence_handler},
	    {"/healthz", rc_server_healthz_handler},
	    {"/metrics", rc_server_metrics_handler},
	    {NULL, rc_server_default_handler},
	};

	/* libsoup looks up one handler per path, early part included: every route
	 * gets the early checks */
	for (guint i = 0; i < G_N_ELEMENTS(routes); i++) {
		soup_server_add_early_handler(self->soup,
					      routes[i].path,
					      rc_server_early_handler,
					      self,
					      NULL);
		soup_server_add_handler(self->soup, routes[i].path, routes[i].callback, self, NULL);
	}
	self->engine = g_object_ref(engine);
	return self;
}
