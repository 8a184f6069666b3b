/*
 * Copyright 2026 roomcast developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#define G_LOG_DOMAIN "RcEioServer"

#include "config.h"

#include <glib/gi18n.h>
#include <sys/random.h>

#include "socketio/rc-eio-packet.h"
#include "socketio/rc-eio-server.h"
#include "socketio/rc-eio-session.h"
#include "socketio/rc-sio-connection.h"
#include "transport/rc-http-connection.h"
#include "transport/rc-http.h"
#include "transport/rc-signal-hook.h"

/* bytes of randomness in a session id: 20 characters of base64url */
#define RC_EIO_SID_BYTES 15

/* a session as the server keeps it: the Engine.IO session, its Socket.IO side,
 * and its place in the heartbeat */
typedef struct {
	RcEioServer *server;
	RcEioSession *session;
	RcSioConnection *sio;
	GList link;    /* in ping_wait or pong_wait, or in neither */
	GQueue *queue; /* the one it is in */
	gint64 deadline;
	guint ping_interval_ms;
	guint ping_timeout_ms;
} RcEioEntry;

/* on a session: its RcEioEntry */
static GQuark rc_eio_entry_quark;

struct _RcEioServer {
	GObject parent_instance;
	RcEngine *engine;     /* not owned: the engine outlives its front ends */
	RcServer *server;     /* not owned: it owns the route */
	GHashTable *sessions; /* sid → RcEioEntry (owned) */
	/* Every session waits either for its next ping or for the answer to its last
	 * one. Each wait has one length for all, so each queue is in deadline order;
	 * one timer at the earliest deadline serves the node. */
	GQueue ping_wait;
	GQueue pong_wait;
	GSource *heartbeat;
	gboolean stopping;
};

G_DEFINE_TYPE(RcEioServer, rc_eio_server, G_TYPE_OBJECT)

guint
rc_eio_server_get_n_sessions(RcEioServer *self)
{
	return g_hash_table_size(self->sessions);
}

/* ---- heartbeat --------------------------------------------------------------- */

static void
rc_eio_server_arm(RcEioServer *self)
{
	GList *ping = g_queue_peek_head_link(&self->ping_wait);
	GList *pong = g_queue_peek_head_link(&self->pong_wait);
	gint64 next = -1;

	if (ping != NULL)
		next = ((RcEioEntry *)ping->data)->deadline;
	if (pong != NULL && (next < 0 || ((RcEioEntry *)pong->data)->deadline < next))
		next = ((RcEioEntry *)pong->data)->deadline;
	g_source_set_ready_time(self->heartbeat, next);
}

static void
rc_eio_entry_unlink(RcEioEntry *entry)
{
	if (entry->queue == NULL)
		return;
	g_queue_unlink(entry->queue, &entry->link);
	entry->queue = NULL;
}

static void
rc_eio_entry_wait(RcEioEntry *entry, GQueue *queue, gint64 deadline)
{
	rc_eio_entry_unlink(entry);
	entry->deadline = deadline;
	entry->queue = queue;
	g_queue_push_tail_link(queue, &entry->link);
	rc_eio_server_arm(entry->server);
}

static gboolean
rc_eio_server_heartbeat_cb(gpointer user_data)
{
	RcEioServer *self = RC_EIO_SERVER(user_data);
	gint64 now = g_get_monotonic_time();
	GList *link;

	while ((link = g_queue_peek_head_link(&self->pong_wait)) != NULL &&
	       ((RcEioEntry *)link->data)->deadline <= now) {
		RcEioEntry *entry = link->data;
		rc_eio_entry_unlink(entry);
		g_debug("session %s: no answer to a ping in time",
			rc_eio_session_get_sid(entry->session));
		rc_eio_session_close(
		    entry->session, SOUP_WEBSOCKET_CLOSE_NO_STATUS, "ping timeout");
	}
	while ((link = g_queue_peek_head_link(&self->ping_wait)) != NULL &&
	       ((RcEioEntry *)link->data)->deadline <= now) {
		RcEioEntry *entry = link->data;
		rc_eio_entry_unlink(entry);
		if (rc_eio_session_ping(entry->session))
			rc_eio_entry_wait(
			    entry, &self->pong_wait, now + (gint64)entry->ping_timeout_ms * 1000);
	}
	rc_eio_server_arm(self);
	return G_SOURCE_CONTINUE;
}

static gboolean
rc_eio_heartbeat_dispatch(GSource *source, GSourceFunc callback, gpointer user_data)
{
	return callback(user_data);
}

static GSourceFuncs rc_eio_heartbeat_funcs = {
    .dispatch = rc_eio_heartbeat_dispatch,
};

static void
rc_eio_server_pong(RcEioEntry *entry)
{
	/* only the answer to a ping counts */
	if (entry->queue != &entry->server->pong_wait)
		return;
	rc_eio_entry_wait(entry,
			  &entry->server->ping_wait,
			  g_get_monotonic_time() + (gint64)entry->ping_interval_ms * 1000);
}

/* ---- sessions ---------------------------------------------------------------- */

static void
rc_eio_entry_free(RcEioEntry *entry)
{
	rc_eio_entry_unlink(entry);
	g_object_set_qdata(G_OBJECT(entry->session), rc_eio_entry_quark, NULL);
	/* the Socket.IO side first: it lets go of the session's members */
	g_clear_object(&entry->sio);
	if (!rc_eio_session_is_closed(entry->session))
		rc_eio_session_close(
		    entry->session, SOUP_WEBSOCKET_CLOSE_GOING_AWAY, "server shutting down");
	g_object_unref(entry->session);
	g_free(entry);
}

/* One hook per signal of every session finds the session's entry through qdata:
 * handlers on each session would cost about 300 bytes apiece per connection. */
static gboolean
rc_eio_server_packet_hook(GSignalInvocationHint *ihint,
			  guint n_values,
			  const GValue *values,
			  gpointer data)
{
	RcEioEntry *entry = rc_signal_hook_peek_target(&values[0], rc_eio_entry_quark);
	if (entry != NULL)
		rc_sio_connection_handle_packet(entry->sio,
						g_value_get_boolean(&values[1]),
						g_value_get_pointer(&values[2]),
						g_value_get_uint64(&values[3]));
	return TRUE;
}

static gboolean
rc_eio_server_pong_hook(GSignalInvocationHint *ihint,
			guint n_values,
			const GValue *values,
			gpointer data)
{
	RcEioEntry *entry = rc_signal_hook_peek_target(&values[0], rc_eio_entry_quark);
	if (entry != NULL)
		rc_eio_server_pong(entry);
	return TRUE;
}

static gboolean
rc_eio_server_closed_hook(GSignalInvocationHint *ihint,
			  guint n_values,
			  const GValue *values,
			  gpointer data)
{
	RcEioEntry *entry = rc_signal_hook_peek_target(&values[0], rc_eio_entry_quark);
	g_autoptr(RcEioSession) session = NULL;

	if (entry == NULL)
		return TRUE;
	session = g_object_ref(entry->session);
	/* the Socket.IO side first: it lets go of the members */
	rc_sio_connection_session_closed(entry->sio);
	g_hash_table_remove(entry->server->sessions, rc_eio_session_get_sid(session));
	return TRUE;
}

/* a session id nobody can guess: it is all a polling request shows of its client */
static gchar *
rc_eio_server_new_sid(RcEioServer *self)
{
	guint8 bytes[RC_EIO_SID_BYTES];
	gchar *sid;

	do {
		if (getrandom(bytes, sizeof(bytes), 0) != (gssize)sizeof(bytes)) {
			for (guint i = 0; i < sizeof(bytes); i++)
				bytes[i] = (guint8)g_random_int_range(0, 256);
		}
		sid = g_base64_encode(bytes, sizeof(bytes));
		g_strdelimit(sid, "+", '-');
		g_strdelimit(sid, "/", '_');
		if (!g_hash_table_contains(self->sessions, sid))
			return sid;
		g_free(sid);
	} while (TRUE);
}

static RcEioEntry *
rc_eio_server_add_session(RcEioServer *self,
			  const gchar *peer,
			  SoupMessageHeaders *headers,
			  GHashTable *query)
{
	RcConfig *config = rc_engine_get_config(self->engine);
	g_autofree gchar *sid = rc_eio_server_new_sid(self);
	RcEioEntry *entry = g_new0(RcEioEntry, 1);

	entry->server = self;
	entry->link.data = entry;
	entry->ping_interval_ms = rc_config_get_sio_ping_interval(config);
	entry->ping_timeout_ms = rc_config_get_sio_ping_timeout(config);
	entry->session = rc_eio_session_new(config, sid, peer);
	entry->sio = rc_sio_connection_new(self->engine, entry->session, headers, query);
	/* the class's emission hooks find the entry from here (see class_init) */
	g_object_set_qdata(G_OBJECT(entry->session), rc_eio_entry_quark, entry);
	g_hash_table_insert(self->sessions, g_strdup(sid), entry);
	rc_eio_entry_wait(entry,
			  &self->ping_wait,
			  g_get_monotonic_time() + (gint64)entry->ping_interval_ms * 1000);
	g_debug("session %s opened from %s", sid, peer);
	return entry;
}

static GBytes *
rc_eio_server_open_packet(RcEioServer *self, RcEioEntry *entry, gboolean offer_websocket)
{
	RcConfig *config = rc_engine_get_config(self->engine);
	return rc_eio_packet_build_open(rc_eio_session_get_sid(entry->session),
					offer_websocket,
					entry->ping_interval_ms,
					entry->ping_timeout_ms,
					rc_config_get_max_frame_bytes(config));
}

static RcEioEntry *
rc_eio_server_lookup(RcEioServer *self, const gchar *sid)
{
	RcEioEntry *entry = sid != NULL ? g_hash_table_lookup(self->sessions, sid) : NULL;
	/* a closed session is on its way out: its sid is unknown already */
	if (entry == NULL || rc_eio_session_is_closed(entry->session))
		return NULL;
	return entry;
}

/* ---- HTTP -------------------------------------------------------------------- */

static void
rc_eio_server_set_error(SoupServerMessage *msg,
			guint status,
			RcEioHttpError code,
			const gchar *detail)
{
	g_autoptr(GBytes) body = rc_eio_build_http_error(code, detail);
	gsize len = 0;
	gchar *data = g_bytes_unref_to_data(g_steal_pointer(&body), &len);

	g_debug("refusing %s %s: %s",
		soup_server_message_get_method(msg),
		g_uri_get_path(soup_server_message_get_uri(msg)),
		detail != NULL ? detail : "");
	rc_server_note_refused_upgrade(msg, status, detail != NULL ? detail : "");
	soup_server_message_set_status(msg, status, NULL);
	soup_server_message_set_response(msg, "application/json", SOUP_MEMORY_TAKE, data, len);
}

/* A browser page of another origin may use the node when [server] allowed_origins
 * lets it (the node's own checks already refused the others): it must be told it
 * may read the answers. */
static void
rc_eio_server_allow_origin(SoupServerMessage *msg)
{
	SoupMessageHeaders *request = soup_server_message_get_request_headers(msg);
	SoupMessageHeaders *response = soup_server_message_get_response_headers(msg);
	const gchar *origin = soup_message_headers_get_one(request, "Origin");

	if (origin == NULL)
		return;
	soup_message_headers_replace(response, "Access-Control-Allow-Origin", origin);
	soup_message_headers_append(response, "Vary", "Origin");
}

static void
rc_eio_server_preflight(SoupServerMessage *msg)
{
	SoupMessageHeaders *request = soup_server_message_get_request_headers(msg);
	SoupMessageHeaders *response = soup_server_message_get_response_headers(msg);
	const gchar *headers =
	    soup_message_headers_get_one(request, "Access-Control-Request-Headers");

	soup_message_headers_replace(response, "Access-Control-Allow-Methods", "GET, POST");
	if (headers != NULL)
		soup_message_headers_replace(response, "Access-Control-Allow-Headers", headers);
	soup_message_headers_replace(response, "Access-Control-Max-Age", "86400");
	soup_server_message_set_status(msg, SOUP_STATUS_NO_CONTENT, NULL);
}

/* what a WebSocket upgrade carries until its 101 is on the wire */
typedef struct {
	RcEioServer *server;
	gchar *sid; /* NULL for a session that starts on the WebSocket */
	SoupMessageHeaders *headers;
	GHashTable *query;
} RcEioUpgrade;

static void
rc_eio_upgrade_free(RcEioUpgrade *up)
{
	g_object_unref(up->server);
	g_free(up->sid);
	soup_message_headers_unref(up->headers);
	g_hash_table_unref(up->query);
	g_free(up);
}

static void
rc_eio_server_upgraded(SoupWebsocketConnection *conn,
		       GIOStream *stream,
		       const gchar *peer,
		       gpointer user_data)
{
	RcEioUpgrade *up = user_data;
	RcEioServer *self = up->server;
	RcEioEntry *entry;
	g_autoptr(GBytes) open = NULL;

	if (up->sid != NULL) {
		entry = rc_eio_server_lookup(self, up->sid);
		if (entry == NULL || !rc_eio_session_can_upgrade(entry->session)) {
			/* the session ended, or upgraded, while the 101 went out */
			soup_websocket_connection_close(conn, SOUP_WEBSOCKET_CLOSE_NO_STATUS, NULL);
			return;
		}
		rc_eio_session_attach_websocket(entry->session, conn, stream, TRUE);
		return;
	}
	if (self->stopping) {
		soup_websocket_connection_close(conn, SOUP_WEBSOCKET_CLOSE_GOING_AWAY, NULL);
		return;
	}
	entry = rc_eio_server_add_session(self, peer, up->headers, up->query);
	rc_eio_session_attach_websocket(entry->session, conn, stream, FALSE);
	open = rc_eio_server_open_packet(self, entry, FALSE);
	rc_eio_session_send_packet(entry->session, open);
}

static void
rc_eio_server_websocket(RcEioServer *self,
			SoupServerMessage *msg,
			RcEioEntry *entry,
			GHashTable *query)
{
	g_autoptr(GError) error = NULL;
	RcEioUpgrade *up;

	if (soup_server_message_get_method(msg) != SOUP_METHOD_GET ||
	    !soup_websocket_server_check_handshake(msg, NULL, NULL, NULL, &error)) {
		rc_eio_server_set_error(msg,
					SOUP_STATUS_BAD_REQUEST,
					RC_EIO_HTTP_BAD_REQUEST,
					error != NULL ? error->message
						      : _("not a WebSocket handshake"));
		return;
	}
	if (entry != NULL && !rc_eio_session_can_upgrade(entry->session)) {
		rc_eio_server_set_error(msg,
					SOUP_STATUS_BAD_REQUEST,
					RC_EIO_HTTP_BAD_REQUEST,
					_("this session is already on a WebSocket or upgrading"));
		return;
	}
	up = g_new0(RcEioUpgrade, 1);
	up->server = g_object_ref(self);
	up->sid = entry != NULL ? g_strdup(rc_eio_session_get_sid(entry->session)) : NULL;
	up->headers = soup_message_headers_ref(soup_server_message_get_request_headers(msg));
	up->query = g_hash_table_ref(query);
	rc_server_accept_websocket(
	    self->server, msg, rc_eio_server_upgraded, up, (GDestroyNotify)rc_eio_upgrade_free);
}

static void
rc_eio_server_handshake(RcEioServer *self, SoupServerMessage *msg, GHashTable *query)
{
	g_autofree gchar *peer = rc_http_get_peer(msg);
	RcEioEntry *entry;
	g_autoptr(GBytes) open = NULL;
	gsize len = 0;
	gchar *body;

	entry = rc_eio_server_add_session(
	    self, peer, soup_server_message_get_request_headers(msg), query);
	open = rc_eio_server_open_packet(self, entry, TRUE);
	body = g_bytes_unref_to_data(g_steal_pointer(&open), &len);
	soup_server_message_set_status(msg, SOUP_STATUS_OK, NULL);
	soup_message_headers_replace(
	    soup_server_message_get_response_headers(msg), "Cache-Control", "no-store");
	soup_server_message_set_response(
	    msg, "text/plain; charset=UTF-8", SOUP_MEMORY_TAKE, body, len);
}

static gboolean
rc_eio_server_path_ok(const gchar *path)
{
	return g_strcmp0(path, "/socket.io/") == 0 || g_strcmp0(path, "/socket.io") == 0;
}

static void
rc_eio_server_handler(SoupServer *soup,
		      SoupServerMessage *msg,
		      const gchar *path,
		      GHashTable *unused,
		      gpointer user_data)
{
	RcEioServer *self = RC_EIO_SERVER(user_data);
	const gchar *method = soup_server_message_get_method(msg);
	g_autoptr(GHashTable) query = NULL;
	g_autoptr(GError) error = NULL;
	const gchar *transport, *eio, *sid;
	gboolean websocket;
	RcEioEntry *entry = NULL;

	if (!rc_eio_server_path_ok(path)) {
		rc_http_set_text(msg, SOUP_STATUS_NOT_FOUND, _("not found\n"));
		return;
	}
	rc_eio_server_allow_origin(msg);
	if (method == SOUP_METHOD_OPTIONS &&
	    soup_message_headers_get_one(soup_server_message_get_request_headers(msg), "Origin") !=
		NULL) {
		rc_eio_server_preflight(msg);
		return;
	}
	query = rc_http_get_query(msg, &error);
	if (query == NULL) {
		rc_eio_server_set_error(
		    msg, SOUP_STATUS_BAD_REQUEST, RC_EIO_HTTP_BAD_REQUEST, error->message);
		return;
	}
	transport = g_hash_table_lookup(query, "transport");
	eio = g_hash_table_lookup(query, "EIO");
	sid = g_hash_table_lookup(query, "sid");
	if (g_strcmp0(transport, "polling") != 0 && g_strcmp0(transport, "websocket") != 0) {
		rc_eio_server_set_error(msg,
					SOUP_STATUS_BAD_REQUEST,
					RC_EIO_HTTP_UNKNOWN_TRANSPORT,
					_("transport must be polling or websocket"));
		return;
	}
	if (g_strcmp0(eio, "4") != 0) {
		rc_eio_server_set_error(msg,
					SOUP_STATUS_BAD_REQUEST,
					RC_EIO_HTTP_UNSUPPORTED_PROTOCOL_VERSION,
					_("only Engine.IO protocol 4 (EIO=4) is spoken here"));
		return;
	}
	websocket = g_strcmp0(transport, "websocket") == 0;
	if (sid != NULL) {
		entry = rc_eio_server_lookup(self, sid);
		if (entry == NULL) {
			rc_eio_server_set_error(msg,
						SOUP_STATUS_BAD_REQUEST,
						RC_EIO_HTTP_UNKNOWN_SID,
						_("no such session on this node"));
			return;
		}
	} else if (self->stopping) {
		rc_eio_server_set_error(msg,
					SOUP_STATUS_SERVICE_UNAVAILABLE,
					RC_EIO_HTTP_BAD_REQUEST,
					_("the server is shutting down"));
		return;
	}
	if (websocket) {
		rc_eio_server_websocket(self, msg, entry, query);
		return;
	}
	if (entry == NULL) {
		if (method != SOUP_METHOD_GET) {
			rc_eio_server_set_error(msg,
						SOUP_STATUS_BAD_REQUEST,
						RC_EIO_HTTP_BAD_HANDSHAKE_METHOD,
						_("a session starts with a GET"));
			return;
		}
		rc_eio_server_handshake(self, msg, query);
		return;
	}
	if (rc_eio_session_is_websocket(entry->session)) {
		rc_eio_server_set_error(msg,
					SOUP_STATUS_BAD_REQUEST,
					RC_EIO_HTTP_BAD_REQUEST,
					_("this session went over to its WebSocket"));
		return;
	}
	if (method == SOUP_METHOD_GET)
		rc_eio_session_handle_poll(entry->session, msg);
	else if (method == SOUP_METHOD_POST)
		rc_eio_session_handle_post(entry->session, msg);
	else
		rc_eio_server_set_error(msg,
					SOUP_STATUS_BAD_REQUEST,
					RC_EIO_HTTP_BAD_REQUEST,
					_("polling uses GET and POST"));
}

/* on the request headers: a body is a polling POST's, and never more than a
 * maxPayload, which is what the client was told */
static void
rc_eio_server_early(SoupServerMessage *msg,
		    const gchar *path,
		    gboolean has_body,
		    guint64 length,
		    gpointer user_data)
{
	RcEioServer *self = RC_EIO_SERVER(user_data);
	RcConfig *config = rc_engine_get_config(self->engine);
	RcHttpConnection *hc = rc_http_connection_from_message(msg);
	g_autoptr(GBytes) body = NULL;
	g_autoptr(GHashTable) query = NULL;
	guint status;
	RcEioEntry *entry;

	if (!has_body || hc == NULL)
		return;
	if (soup_server_message_get_method(msg) != SOUP_METHOD_POST) {
		status = SOUP_STATUS_BAD_REQUEST;
		body =
		    rc_eio_build_http_error(RC_EIO_HTTP_BAD_REQUEST, _("only a POST has a body"));
	} else if (length == 0) {
		status = SOUP_STATUS_LENGTH_REQUIRED;
		body = rc_eio_build_http_error(RC_EIO_HTTP_BAD_REQUEST,
					       _("a polling body needs a Content-Length"));
	} else if (length > rc_config_get_max_frame_bytes(config)) {
		status = SOUP_STATUS_REQUEST_ENTITY_TOO_LARGE;
		body = rc_eio_build_http_error(RC_EIO_HTTP_BAD_REQUEST,
					       _("the body is larger than maxPayload"));
	} else {
		return;
	}
	/* the client of a session that sent too much is told by its held poll, too */
	query = rc_http_get_query(msg, NULL);
	entry =
	    query != NULL ? rc_eio_server_lookup(self, g_hash_table_lookup(query, "sid")) : NULL;
	if (entry != NULL && status == SOUP_STATUS_REQUEST_ENTITY_TOO_LARGE)
		rc_eio_session_close(
		    entry->session, SOUP_WEBSOCKET_CLOSE_TOO_BIG, "payload too large");
	rc_http_connection_refuse(hc, status, "application/json", g_bytes_get_data(body, NULL));
}

/* ---- life cycle -------------------------------------------------------------- */

void
rc_eio_server_stop(RcEioServer *self)
{
	g_autoptr(GPtrArray) sessions = g_ptr_array_new_with_free_func(g_object_unref);
	GHashTableIter iter;
	gpointer value;

	self->stopping = TRUE;
	g_hash_table_iter_init(&iter, self->sessions);
	while (g_hash_table_iter_next(&iter, NULL, &value))
		g_ptr_array_add(sessions, g_object_ref(((RcEioEntry *)value)->session));
	for (guint i = 0; i < sessions->len; i++)
		rc_eio_session_close(g_ptr_array_index(sessions, i),
				     SOUP_WEBSOCKET_CLOSE_GOING_AWAY,
				     "server shutting down");
}

RcEioServer *
rc_eio_server_new(RcEngine *engine, RcServer *server)
{
	RcEioServer *self = g_object_new(RC_TYPE_EIO_SERVER, NULL);

	self->engine = engine;
	self->server = server;
	rc_server_add_route(server, "/socket.io", rc_eio_server_early, rc_eio_server_handler, self);
	return self;
}

static void
rc_eio_server_dispose(GObject *object)
{
	RcEioServer *self = RC_EIO_SERVER(object);
	if (self->sessions != NULL)
		g_hash_table_remove_all(self->sessions);
	if (self->heartbeat != NULL) {
		g_source_destroy(self->heartbeat);
		g_clear_pointer(&self->heartbeat, g_source_unref);
	}
	G_OBJECT_CLASS(rc_eio_server_parent_class)->dispose(object);
}

static void
rc_eio_server_finalize(GObject *object)
{
	RcEioServer *self = RC_EIO_SERVER(object);
	g_hash_table_unref(self->sessions);
	G_OBJECT_CLASS(rc_eio_server_parent_class)->finalize(object);
}

static void
rc_eio_server_class_init(RcEioServerClass *klass)
{
	GObjectClass *object_class = G_OBJECT_CLASS(klass);
	object_class->dispose = rc_eio_server_dispose;
	object_class->finalize = rc_eio_server_finalize;

	rc_eio_entry_quark = g_quark_from_static_string("rc-eio-entry");
	rc_signal_hook_add(RC_TYPE_EIO_SESSION, "packet", rc_eio_server_packet_hook);
	rc_signal_hook_add(RC_TYPE_EIO_SESSION, "pong", rc_eio_server_pong_hook);
	rc_signal_hook_add(RC_TYPE_EIO_SESSION, "closed", rc_eio_server_closed_hook);
}

static void
rc_eio_server_init(RcEioServer *self)
{
	self->sessions = g_hash_table_new_full(
	    g_str_hash, g_str_equal, g_free, (GDestroyNotify)rc_eio_entry_free);
	g_queue_init(&self->ping_wait);
	g_queue_init(&self->pong_wait);
	self->heartbeat = g_source_new(&rc_eio_heartbeat_funcs, sizeof(GSource));
	g_source_set_name(self->heartbeat, "socket.io heartbeat");
	g_source_set_callback(self->heartbeat, rc_eio_server_heartbeat_cb, self, NULL);
	g_source_attach(self->heartbeat, NULL);
}
