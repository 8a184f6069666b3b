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
#include "rc-daemon-private.h"
#include "transport/rc-client-private.h"
#include "transport/rc-client-io-stream.h"
#include "transport/rc-client-poller.h"
#include "transport/rc-server.h"
#include "transport/rc-static.h"

struct _RcServer {
	GObject parent_instance;
	RcDaemon *daemon; /* not owned: the daemon owns us */
	SoupServer *soup;
	guint port;
};

G_DEFINE_TYPE(RcServer, rc_server, G_TYPE_OBJECT)

/* what an accepted upgrade carries until the 101 is on the wire */
typedef struct {
	RcServer *server;
	gchar *sender;
	GStrv room_globs;
	gchar *peer;
} RcUpgrade;

static void
rc_upgrade_free(RcUpgrade *up)
{
	g_free(up->sender);
	g_strfreev(up->room_globs);
	g_free(up->peer);
	g_free(up);
}

static void
rc_server_set_json(SoupServerMessage *msg, guint status, const gchar *body)
{
	soup_server_message_set_status(msg, status, NULL);
	soup_server_message_set_response(msg, "application/json", SOUP_MEMORY_COPY, body, strlen(body));
}

static void
rc_server_set_text_error(SoupServerMessage *msg, guint status, const gchar *text)
{
	soup_server_message_set_status(msg, status, NULL);
	soup_server_message_set_response(msg,
					 "text/plain; charset=utf-8",
					 SOUP_MEMORY_COPY,
					 text,
					 strlen(text));
}

static void
rc_server_publish_error(SoupServerMessage *msg, guint status, const gchar *error)
{
	g_autoptr(GString) s = g_string_new("{\"success\":false,\"error\":");
	rc_protocol_append_json_string(s, error);
	g_string_append_c(s, '}');
	rc_server_set_json(msg, status, s->str);
}

static gchar *
rc_server_peer_string(SoupServerMessage *msg)
{
	GSocketAddress *addr = soup_server_message_get_remote_address(msg);
	g_autofree gchar *ip = NULL;
	if (addr == NULL || !G_IS_INET_SOCKET_ADDRESS(addr))
		return g_strdup("unknown");
	ip = g_inet_address_to_string(g_inet_socket_address_get_address(G_INET_SOCKET_ADDRESS(addr)));
	if (g_socket_address_get_family(addr) == G_SOCKET_FAMILY_IPV6)
		return g_strdup_printf("[%s]:%u",
				       ip,
				       g_inet_socket_address_get_port(G_INET_SOCKET_ADDRESS(addr)));
	return g_strdup_printf("%s:%u", ip, g_inet_socket_address_get_port(G_INET_SOCKET_ADDRESS(addr)));
}

/* The sender as the client wrote it: libsoup's decoded query cuts a name at an
 * escaped NUL, which would silently accept "a%00b" as "a". */
static GBytes *
rc_server_query_param(SoupServerMessage *msg, const gchar *name)
{
	const gchar *query = g_uri_get_query(soup_server_message_get_uri(msg));
	g_auto(GStrv) pairs = NULL;
	GBytes *found = NULL;

	if (query == NULL)
		return NULL;
	pairs = g_strsplit(query, "&", -1);
	for (guint i = 0; pairs[i] != NULL; i++) {
		gchar *eq = strchr(pairs[i], '=');
		g_autofree gchar *key = NULL;
		if (eq == NULL)
			continue;
		*eq = '\0';
		key = g_uri_unescape_string(pairs[i], NULL);
		if (g_strcmp0(key, name) != 0)
			continue;
		/* '+' is a space in a query */
		g_strdelimit(eq + 1, "+", ' ');
		g_clear_pointer(&found, g_bytes_unref);
		found = g_uri_unescape_bytes(eq + 1, -1, NULL, NULL);
		if (found == NULL)
			found = g_bytes_new_static("\0", 1); /* malformed escape: refused below */
	}
	return found;
}

/* browsers send Origin; anything else (bots, CLIs) is not subject to it */
static gboolean
rc_server_origin_allowed(RcServer *self, SoupServerMessage *msg)
{
	SoupMessageHeaders *headers = soup_server_message_get_request_headers(msg);
	const gchar *origin = soup_message_headers_get_one(headers, "Origin");
	const gchar *host = soup_message_headers_get_one(headers, "Host");
	const gchar *const *allowed = rc_config_get_allowed_origins(rc_daemon_get_config(self->daemon));
	g_autofree gchar *own_http = NULL;
	g_autofree gchar *own_https = NULL;

	if (origin == NULL)
		return TRUE;
	if (host != NULL) {
		own_http = g_strconcat("http://", host, NULL);
		own_https = g_strconcat("https://", host, NULL);
		if (g_ascii_strcasecmp(origin, own_http) == 0 ||
		    g_ascii_strcasecmp(origin, own_https) == 0)
			return TRUE;
	}
	for (guint i = 0; allowed != NULL && allowed[i] != NULL; i++) {
		if (g_strcmp0(allowed[i], "*") == 0 || g_ascii_strcasecmp(allowed[i], origin) == 0)
			return TRUE;
	}
	return FALSE;
}

static void
rc_server_upgrade_done_cb(SoupServerMessage *msg, gpointer user_data)
{
	RcUpgrade *up = user_data;
	RcServer *self = up->server;
	RcConfig *config = rc_daemon_get_config(self->daemon);
	g_autoptr(GIOStream) base = NULL;
	g_autoptr(GSocket) socket = NULL;
	g_autoptr(GIOStream) stream = NULL;
	g_autoptr(SoupWebsocketConnection) conn = NULL;
	g_autoptr(RcClient) client = NULL;
	g_autofree gchar *id = NULL;
	const gchar *origin;
	GMainContext *parking;

	/* this handler runs once; the data goes with the message */
	g_signal_handlers_disconnect_by_func(msg, rc_server_upgrade_done_cb, user_data);
	socket = g_object_ref(soup_server_message_get_socket(msg));
	base = soup_server_message_steal_connection(msg);
	if (base == NULL) {
		rc_upgrade_free(up);
		return;
	}
	stream = rc_client_io_stream_new(base, g_socket_get_fd(socket));
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
	soup_websocket_connection_set_max_incoming_payload_size(conn,
								rc_config_get_max_frame_bytes(config));
	/* libsoup pings nothing by default; idle peers are the kernel's business */
	soup_websocket_connection_set_keepalive_interval(conn, 0);
	id = rc_daemon_new_client_id(self->daemon);
	client = rc_client_new(self->daemon,
			       conn,
			       stream,
			       socket,
			       id,
			       up->sender,
			       up->peer,
			       up->room_globs);
	g_debug("client %s connected from %s as %s", id, up->peer, up->sender);
	rc_daemon_add_client(self->daemon, client);
	rc_upgrade_free(up);
}

static void
rc_server_ws_cb(SoupServer *soup,
		SoupServerMessage *msg,
		const gchar *path,
		GHashTable *query,
		gpointer user_data)
{
	RcServer *self = RC_SERVER(user_data);
	RcPluginHost *plugins = rc_daemon_get_plugin_host(self->daemon);
	g_autoptr(GError) error = NULL;
	g_autofree gchar *sender = NULL;
	g_auto(GStrv) room_globs = NULL;
	RcUpgrade *up;

	if (g_strcmp0(path, "/ws") != 0) {
		rc_server_set_text_error(msg, SOUP_STATUS_NOT_FOUND, _("not found\n"));
		return;
	}
	if (!rc_server_origin_allowed(self, msg)) {
		rc_server_set_text_error(msg,
					 SOUP_STATUS_FORBIDDEN,
					 _("this origin may not open a WebSocket here\n"));
		return;
	}
	if (!soup_websocket_server_check_handshake(msg, NULL, NULL, NULL, &error)) {
		rc_server_set_text_error(msg, SOUP_STATUS_BAD_REQUEST, error->message);
		return;
	}
	if (rc_plugin_host_has_auth(plugins)) {
		if (!rc_plugin_host_authenticate(plugins, msg, &sender, &room_globs, &error)) {
			guint status = g_error_matches(error, RC_ERROR, RC_ERROR_FORBIDDEN)
					   ? SOUP_STATUS_FORBIDDEN
					   : SOUP_STATUS_UNAUTHORIZED;
			g_debug("upgrade refused: %s", error->message);
			rc_server_set_text_error(msg, status, error->message);
			return;
		}
	} else {
		g_autoptr(GBytes) name = rc_server_query_param(msg, "sender");
		if (name != NULL) {
			gsize len = 0;
			const gchar *data = g_bytes_get_data(name, &len);
			sender = g_strndup(data, len);
			if (strlen(sender) != len || !rc_protocol_validate_sender(sender, &error)) {
				rc_server_set_text_error(msg,
							 SOUP_STATUS_BAD_REQUEST,
							 _("invalid sender: 1–64 bytes of UTF-8 without "
							   "control characters\n"));
				return;
			}
		} else {
			sender = g_strdup_printf("guest-%06x", g_random_int_range(0, 0xffffff));
		}
	}
	if (!soup_websocket_server_process_handshake(msg, NULL, NULL, NULL, NULL)) {
		rc_server_set_text_error(msg, SOUP_STATUS_BAD_REQUEST, _("bad WebSocket handshake\n"));
		return;
	}
	up = g_new0(RcUpgrade, 1);
	up->server = self;
	up->sender = g_steal_pointer(&sender);
	up->room_globs = g_steal_pointer(&room_globs);
	up->peer = rc_server_peer_string(msg);
	g_signal_connect(msg, "wrote-informational", G_CALLBACK(rc_server_upgrade_done_cb), up);
}

static gboolean
rc_server_check_api_token(RcServer *self, SoupServerMessage *msg)
{
	const gchar *token = rc_config_get_api_token(rc_daemon_get_config(self->daemon));
	const gchar *auth;
	g_autofree gchar *expected = NULL;
	gsize i, diff = 0, len;

	if (token == NULL)
		return TRUE;
	auth = soup_message_headers_get_one(soup_server_message_get_request_headers(msg),
					    "Authorization");
	if (auth == NULL)
		return FALSE;
	expected = g_strconcat("Bearer ", token, NULL);
	len = strlen(expected);
	if (strlen(auth) != len)
		return FALSE;
	/* constant time: the token is a secret */
	for (i = 0; i < len; i++)
		diff |= (guchar)auth[i] ^ (guchar)expected[i];
	return diff == 0;
}

static void
rc_server_publish_cb(GObject *source, GAsyncResult *res, gpointer user_data)
{
	g_autoptr(SoupServerMessage) msg = user_data;
	g_autoptr(GError) error = NULL;
	g_autofree gchar *id = rc_daemon_publish_finish(RC_DAEMON(source), res, &error);

	if (id == NULL) {
		guint status = SOUP_STATUS_BAD_REQUEST;
		if (g_error_matches(error, RC_ERROR, RC_ERROR_TOO_LARGE))
			status = SOUP_STATUS_REQUEST_ENTITY_TOO_LARGE;
		else if (g_error_matches(error, RC_ERROR, RC_ERROR_REJECTED))
			status = SOUP_STATUS_UNPROCESSABLE_ENTITY;
		else if (g_error_matches(error, RC_ERROR, RC_ERROR_UNAVAILABLE))
			status = SOUP_STATUS_SERVICE_UNAVAILABLE;
		else if (g_error_matches(error, RC_ERROR, RC_ERROR_RATE_LIMITED))
			status = 429; /* Too Many Requests */
		else if (g_error_matches(error, RC_ERROR, RC_ERROR_FORBIDDEN))
			status = SOUP_STATUS_FORBIDDEN;
		rc_server_publish_error(msg, status, error->message);
	} else {
		g_autoptr(GString) s = g_string_new("{\"success\":true,\"id\":");
		rc_protocol_append_json_string(s, id);
		g_string_append_c(s, '}');
		rc_server_set_json(msg, SOUP_STATUS_OK, s->str);
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
	RcConfig *config = rc_daemon_get_config(self->daemon);
	SoupMessageBody *body;
	g_autoptr(GBytes) bytes = NULL;
	g_autoptr(GError) error = NULL;
	g_autoptr(RcMessage) message = NULL;

	if (g_strcmp0(path, "/publish") != 0) {
		rc_server_publish_error(msg, SOUP_STATUS_NOT_FOUND, _("not found"));
		return;
	}
	if (soup_server_message_get_method(msg) != SOUP_METHOD_POST) {
		soup_message_headers_replace(soup_server_message_get_response_headers(msg),
					     "Allow",
					     "POST");
		rc_server_publish_error(msg,
					SOUP_STATUS_METHOD_NOT_ALLOWED,
					_("use POST with a JSON Message body"));
		return;
	}
	if (!rc_server_check_api_token(self, msg)) {
		soup_message_headers_replace(soup_server_message_get_response_headers(msg),
					     "WWW-Authenticate",
					     "Bearer");
		rc_server_publish_error(msg,
					SOUP_STATUS_UNAUTHORIZED,
					_("missing or wrong Authorization: Bearer token"));
		return;
	}
	body = soup_server_message_get_request_body(msg);
	bytes = soup_message_body_flatten(body);
	if (g_bytes_get_size(bytes) > rc_config_get_max_frame_bytes(config)) {
		rc_server_publish_error(msg,
					SOUP_STATUS_REQUEST_ENTITY_TOO_LARGE,
					_("the body is larger than max_frame_bytes"));
		return;
	}
	message = rc_protocol_parse_message(g_bytes_get_data(bytes, NULL),
					    g_bytes_get_size(bytes),
					    rc_config_get_max_text_bytes(config),
					    &error);
	if (message == NULL) {
		rc_server_publish_error(msg,
					g_error_matches(error,
							RC_PROTOCOL_ERROR,
							RC_PROTOCOL_ERROR_TOO_LARGE)
					    ? SOUP_STATUS_REQUEST_ENTITY_TOO_LARGE
					    : SOUP_STATUS_BAD_REQUEST,
					error->message);
		return;
	}
	soup_server_message_pause(msg);
	rc_daemon_publish_async(self->daemon,
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

/* refuses oversize bodies from their headers, before libsoup buffers them */
static void
rc_server_publish_early_handler(SoupServer *soup,
				SoupServerMessage *msg,
				const gchar *path,
				GHashTable *query,
				gpointer user_data)
{
	RcServer *self = RC_SERVER(user_data);
	RcConfig *config = rc_daemon_get_config(self->daemon);
	goffset len = soup_message_headers_get_content_length(
	    soup_server_message_get_request_headers(msg));
	if (len > 0 && (guint64)len > rc_config_get_max_frame_bytes(config))
		rc_server_publish_error(msg,
					SOUP_STATUS_REQUEST_ENTITY_TOO_LARGE,
					_("the body is larger than max_frame_bytes"));
}

static void
rc_server_healthz_handler(SoupServer *soup,
			  SoupServerMessage *msg,
			  const gchar *path,
			  GHashTable *query,
			  gpointer user_data)
{
	RcServer *self = RC_SERVER(user_data);
	const gchar *state = rc_daemon_get_bus_state(self->daemon);
	gboolean down = g_strcmp0(state, "disconnected") == 0;
	g_autoptr(GString) s = g_string_new(NULL);

	if (g_strcmp0(path, "/healthz") != 0) {
		rc_server_set_text_error(msg, SOUP_STATUS_NOT_FOUND, _("not found\n"));
		return;
	}
	g_string_append_printf(s, "{\"status\":\"%s\",\"redis\":\"%s\",\"node\":",
			       down ? "unavailable" : "ok",
			       state);
	rc_protocol_append_json_string(s, rc_daemon_get_node_id(self->daemon));
	g_string_append_printf(s,
			       ",\"connections\":%u,\"rooms\":%u,\"version\":\"%s\"}",
			       rc_daemon_get_connections(self->daemon),
			       rc_daemon_get_n_rooms(self->daemon),
			       PACKAGE_VERSION);
	rc_server_set_json(msg, down ? SOUP_STATUS_SERVICE_UNAVAILABLE : SOUP_STATUS_OK, s->str);
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
	RcDaemon *d = self->daemon;
	GString *s = g_string_new(NULL);
	gsize len;

	if (g_strcmp0(path, "/metrics") != 0) {
		g_string_free(s, TRUE);
		rc_server_set_text_error(msg, SOUP_STATUS_NOT_FOUND, _("not found\n"));
		return;
	}
	rc_server_metric(s, "roomcast_connections", "gauge", "Open WebSocket connections on this node.",
			 rc_daemon_get_connections(d));
	rc_server_metric(s, "roomcast_rooms", "gauge", "Rooms with members on this node.",
			 rc_daemon_get_n_rooms(d));
	rc_server_metric(s, "roomcast_messages_received_total", "counter",
			 "Messages this node accepted from WebSocket, HTTP and D-Bus.",
			 rc_daemon_get_messages_received(d));
	rc_server_metric(s, "roomcast_messages_delivered_total", "counter",
			 "Message frames this node sent to its clients.",
			 rc_daemon_get_messages_delivered(d));
	rc_server_metric(s, "roomcast_redis_up", "gauge",
			 "1 when connected to Redis, 0 when disconnected or embedded.",
			 rc_daemon_get_redis_connected(d) ? 1 : 0);
	rc_server_metric(s, "roomcast_invalid_payloads_total", "counter",
			 "Bus payloads dropped because they were not a valid Message.",
			 rc_daemon_get_invalid_payloads(d));
	rc_server_metric(s, "roomcast_slow_consumers_total", "counter",
			 "Clients closed with 1013 because they did not read fast enough.",
			 rc_daemon_get_slow_consumers(d));
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
		rc_server_set_text_error(msg, SOUP_STATUS_METHOD_NOT_ALLOWED, _("method not allowed\n"));
		return;
	}
	rc_static_serve(msg, path);
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
	if (!soup_server_listen_socket(self->soup, socket, 0, error))
		return FALSE;
	local = g_socket_get_local_address(socket, error);
	if (local == NULL)
		return FALSE;
	self->port = g_inet_socket_address_get_port(G_INET_SOCKET_ADDRESS(local));
	return TRUE;
}

guint
rc_server_get_port(RcServer *self)
{
	return self->port;
}

void
rc_server_stop(RcServer *self)
{
	soup_server_disconnect(self->soup);
}

static void
rc_server_finalize(GObject *object)
{
	RcServer *self = RC_SERVER(object);
	soup_server_disconnect(self->soup);
	g_object_unref(self->soup);
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
}

RcServer *
rc_server_new(RcDaemon *daemon)
{
	RcServer *self = g_object_new(RC_TYPE_SERVER, NULL);
	self->daemon = daemon;
	soup_server_add_handler(self->soup, "/ws", rc_server_ws_cb, self, NULL);
	soup_server_add_early_handler(self->soup,
				      "/publish",
				      rc_server_publish_early_handler,
				      self,
				      NULL);
	soup_server_add_handler(self->soup, "/publish", rc_server_publish_handler, self, NULL);
	soup_server_add_handler(self->soup, "/healthz", rc_server_healthz_handler, self, NULL);
	soup_server_add_handler(self->soup, "/metrics", rc_server_metrics_handler, self, NULL);
	soup_server_add_handler(self->soup, NULL, rc_server_default_handler, self, NULL);
	return self;
}
