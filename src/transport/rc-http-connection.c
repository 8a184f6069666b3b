/*
 * Copyright 2026 roomcast developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#define G_LOG_DOMAIN "RcHttpConnection"

#include "config.h"

#include <glib/gi18n.h>

#include "transport/rc-http-connection.h"
#include "transport/rc-tls-stream.h"

/* what a refused client may still send before the connection closes */
#define RC_HTTP_DISCARD_MAX_BYTES (16 * 1024 * 1024)
#define RC_HTTP_DISCARD_MAX_US (2 * G_USEC_PER_SEC)
/* the longest request head waited for (libsoup's own limit is larger) */
#define RC_HTTP_HEAD_MAX_BYTES (64 * 1024)
/* how soon a head that came in part is looked at again */
#define RC_HTTP_HEAD_RETRY_MS 20
/* a TLS record: a 5-byte header, then at most 16 KiB (and a little more) */
#define RC_HTTP_TLS_RECORD_MAX (5 + 16384 + 2048)

struct _RcHttpConnection {
	GObject parent_instance;
	GSocketConnection *connection;
	GSocket *socket;
	GSocketAddress *remote;
	SoupServerMessage *msg;
	gint64 deadline_us;
	gboolean done; /* refused, aborted or closed: no longer libsoup's */
	gchar *allow;  /* the Allow header of a 405 answer */
	/* after a refusal: the stolen stream, drained until the client stops */
	GIOStream *stolen;
	GSource *discard_source;
	gint64 discard_until_us;
	gsize discarded;
	/* before libsoup has it: waiting for the request head */
	GSource *head_source;
	gsize head_max;
	RcHttpHeadFunc head_func;
	gpointer head_data;
	/* TLS: the certificate to serve, the connection over the socket once its
	 * handshake started, and the stream libsoup gets after it */
	GTlsCertificate *certificate;
	GTlsConnection *tls;
	GCancellable *handshake_cancel; /* set while the handshake runs */
	GByteArray *head_buf;		/* the head read through TLS so far */
	GIOStream *served;
};

G_DEFINE_TYPE(RcHttpConnection, rc_http_connection, G_TYPE_OBJECT)

#define RC_HTTP_CONNECTION_KEY "rc-http-connection"

RcHttpConnection *
rc_http_connection_new(GSocketConnection *connection, gint64 deadline_us)
{
	RcHttpConnection *self = g_object_new(RC_TYPE_HTTP_CONNECTION, NULL);
	self->connection = g_object_ref(connection);
	self->socket = g_object_ref(g_socket_connection_get_socket(connection));
	self->deadline_us = deadline_us;
	return self;
}

void
rc_http_connection_attach(RcHttpConnection *self, GSocketAddress *remote)
{
	/* libsoup hands this very object back from soup_server_message_get_remote_address();
	 * only a weak pointer back, since the address keeps the connection */
	self->remote = remote;
	g_object_add_weak_pointer(G_OBJECT(remote), (gpointer *)&self->remote);
	g_object_set_data_full(G_OBJECT(remote),
			       RC_HTTP_CONNECTION_KEY,
			       g_object_ref(self),
			       g_object_unref);
}

RcHttpConnection *
rc_http_connection_from_message(SoupServerMessage *msg)
{
	GSocketAddress *remote = soup_server_message_get_remote_address(msg);
	return remote != NULL ? g_object_get_data(G_OBJECT(remote), RC_HTTP_CONNECTION_KEY) : NULL;
}

GSocket *
rc_http_connection_get_socket(RcHttpConnection *self)
{
	return self->socket;
}

GSocketConnection *
rc_http_connection_get_connection(RcHttpConnection *self)
{
	return self->connection;
}

GIOStream *
rc_http_connection_get_stream(RcHttpConnection *self)
{
	return self->served != NULL ? self->served : G_IO_STREAM(self->connection);
}

void
rc_http_connection_set_tls(RcHttpConnection *self, GTlsCertificate *certificate)
{
	g_set_object(&self->certificate, certificate);
}

gboolean
rc_http_connection_is_tls(RcHttpConnection *self)
{
	return self->certificate != NULL;
}

GSocketAddress *
rc_http_connection_get_remote(RcHttpConnection *self)
{
	return self->remote != NULL ? g_object_ref(self->remote) : NULL;
}

void
rc_http_connection_set_message(RcHttpConnection *self, SoupServerMessage *msg)
{
	g_set_object(&self->msg, msg);
}

gboolean
rc_http_connection_is_expired(RcHttpConnection *self, gint64 now_us)
{
	return now_us >= self->deadline_us;
}

gboolean
rc_http_connection_is_open(RcHttpConnection *self)
{
	return !self->done && !g_socket_is_closed(self->socket);
}

static void
rc_http_connection_finish_discard(RcHttpConnection *self)
{
	if (self->discard_source != NULL) {
		g_source_destroy(self->discard_source);
		g_clear_pointer(&self->discard_source, g_source_unref);
	}
	if (self->stolen != NULL) {
		g_io_stream_close(self->stolen, NULL, NULL);
		g_clear_object(&self->stolen);
	}
}

static gboolean
rc_http_connection_discard_cb(GSocket *socket, GIOCondition condition, gpointer user_data)
{
	RcHttpConnection *self = RC_HTTP_CONNECTION(user_data);
	guint8 buf[16384];

	for (guint i = 0; i < 8; i++) {
		g_autoptr(GError) error = NULL;
		gssize n = g_socket_receive(socket, (gchar *)buf, sizeof(buf), NULL, &error);
		if (n < 0 && g_error_matches(error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK))
			break;
		if (n <= 0) {
			rc_http_connection_finish_discard(self);
			return G_SOURCE_REMOVE;
		}
		self->discarded += (gsize)n;
	}
	if (self->discarded > RC_HTTP_DISCARD_MAX_BYTES ||
	    g_get_monotonic_time() > self->discard_until_us) {
		rc_http_connection_finish_discard(self);
		return G_SOURCE_REMOVE;
	}
	return G_SOURCE_CONTINUE;
}

static gboolean
rc_http_connection_discard_timeout_cb(gpointer user_data)
{
	rc_http_connection_finish_discard(RC_HTTP_CONNECTION(user_data));
	return G_SOURCE_REMOVE;
}

/* takes the connection from libsoup; FALSE when it is no longer there to take */
static gboolean
rc_http_connection_steal(RcHttpConnection *self)
{
	if (self->done || self->msg == NULL)
		return FALSE;
	self->done = TRUE;
	self->stolen = soup_server_message_steal_connection(self->msg);
	g_clear_object(&self->msg);
	return self->stolen != NULL;
}

static void
rc_http_connection_answer(RcHttpConnection *self,
			  guint status,
			  const gchar *content_type,
			  const gchar *body)
{
	g_autoptr(GString) response = g_string_new(NULL);
	g_autoptr(GSource) timeout = NULL;

	g_string_append_printf(response,
			       "HTTP/1.1 %u %s\r\n"
			       "Connection: close\r\n",
			       status,
			       status == 431 ? "Request Header Fields Too Large"
					     : soup_status_get_phrase(status));
	if (self->allow != NULL)
		g_string_append_printf(response, "Allow: %s\r\n", self->allow);
	g_string_append_printf(response,
			       "Content-Type: %s\r\n"
			       "Content-Length: %zu\r\n"
			       "\r\n%s",
			       content_type,
			       strlen(body),
			       body);
	/* a connection that sent only headers has room for a small answer */
	if (self->tls != NULL) {
		GOutputStream *out = g_io_stream_get_output_stream(G_IO_STREAM(self->tls));
		g_pollable_output_stream_write_nonblocking(
		    G_POLLABLE_OUTPUT_STREAM(out), response->str, response->len, NULL, NULL);
	} else {
		g_socket_send(self->socket, response->str, response->len, NULL, NULL);
	}
	/* what the client still sends is read from the socket below, as it is,
	 * whether it was encrypted or not: it is thrown away */
	g_socket_shutdown(self->socket, FALSE, TRUE, NULL);
	self->discard_until_us = g_get_monotonic_time() + RC_HTTP_DISCARD_MAX_US;
	self->discard_source = g_socket_create_source(self->socket, G_IO_IN | G_IO_HUP | G_IO_ERR, NULL);
	g_source_set_callback(self->discard_source,
			      G_SOURCE_FUNC(rc_http_connection_discard_cb),
			      g_object_ref(self),
			      g_object_unref);
	g_source_attach(self->discard_source, NULL);
	/* a client that keeps the connection open without sending is not waited for */
	timeout = g_timeout_source_new(RC_HTTP_DISCARD_MAX_US / 1000);
	g_source_set_callback(timeout,
			      rc_http_connection_discard_timeout_cb,
			      g_object_ref(self),
			      g_object_unref);
	g_source_attach(timeout, NULL);
}

void
rc_http_connection_set_allow(RcHttpConnection *self, const gchar *methods)
{
	g_free(self->allow);
	self->allow = g_strdup(methods);
}

void
rc_http_connection_refuse(RcHttpConnection *self,
			  guint status,
			  const gchar *content_type,
			  const gchar *body)
{
	if (rc_http_connection_steal(self))
		rc_http_connection_answer(self, status, content_type, body);
}

static void
rc_http_connection_stop_head(RcHttpConnection *self)
{
	if (self->head_source != NULL) {
		g_source_destroy(self->head_source);
		g_clear_pointer(&self->head_source, g_source_unref);
	}
}

void
rc_http_connection_refuse_unread(RcHttpConnection *self,
				 guint status,
				 const gchar *content_type,
				 const gchar *body)
{
	if (self->done)
		return;
	rc_http_connection_stop_head(self);
	self->done = TRUE;
	self->stolen = G_IO_STREAM(g_object_ref(self->connection));
	rc_http_connection_answer(self, status, content_type, body);
}

static void rc_http_connection_watch_head(RcHttpConnection *self);

static gboolean
rc_http_connection_head_retry_cb(gpointer user_data)
{
	RcHttpConnection *self = RC_HTTP_CONNECTION(user_data);
	g_clear_pointer(&self->head_source, g_source_unref);
	rc_http_connection_watch_head(self);
	return G_SOURCE_REMOVE;
}

static gboolean
rc_http_connection_head_cb(GSocket *socket, GIOCondition condition, gpointer user_data)
{
	RcHttpConnection *self = RC_HTTP_CONNECTION(user_data);
	/* the main loop is single-threaded: one buffer serves every connection */
	static gchar buf[RC_HTTP_HEAD_MAX_BYTES];
	GInputVector vec = {buf, MIN(self->head_max, sizeof(buf))};
	gint flags = G_SOCKET_MSG_PEEK;
	g_autoptr(GError) error = NULL;
	g_autoptr(GError) head_error = NULL;
	g_autofree gchar *path = NULL;
	RcHttpHeadResult result;
	guint status = 0;
	gssize n;

	n = g_socket_receive_message(socket, NULL, &vec, 1, NULL, NULL, &flags, NULL, &error);
	if (n < 0 && g_error_matches(error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK))
		return G_SOURCE_CONTINUE;
	if (n <= 0) {
		/* gone before it asked anything */
		g_clear_pointer(&self->head_source, g_source_unref);
		self->done = TRUE;
		g_io_stream_close(G_IO_STREAM(self->connection), NULL, NULL);
		return G_SOURCE_REMOVE;
	}
	result = rc_http_check_head(buf, (gsize)n, vec.size, &path, &status, &head_error);
	g_clear_pointer(&self->head_source, g_source_unref);
	if (result == RC_HTTP_HEAD_INCOMPLETE) {
		/* the bytes stay unread, so the socket stays readable: look again a little
		 * later instead of spinning (a head usually comes whole, in one segment) */
		self->head_source = g_timeout_source_new(RC_HTTP_HEAD_RETRY_MS);
		g_source_set_callback(self->head_source, rc_http_connection_head_retry_cb, self, NULL);
		g_source_attach(self->head_source, NULL);
		return G_SOURCE_REMOVE;
	}
	self->head_func(self, result, path, status, head_error, self->head_data);
	return G_SOURCE_REMOVE;
}

static void rc_http_connection_watch_hello(RcHttpConnection *self);

void
rc_http_connection_wait_head(RcHttpConnection *self,
			     gsize max_len,
			     RcHttpHeadFunc func,
			     gpointer user_data)
{
	g_return_if_fail(self->head_source == NULL);
	self->head_max = MIN(max_len, RC_HTTP_HEAD_MAX_BYTES);
	self->head_func = func;
	self->head_data = user_data;
	if (self->certificate != NULL)
		rc_http_connection_watch_hello(self);
	else
		rc_http_connection_watch_head(self);
}

/* ---- TLS ---------------------------------------------------------------------- */

static void
rc_http_connection_close_now(RcHttpConnection *self)
{
	self->done = TRUE;
	g_io_stream_close(G_IO_STREAM(self->connection), NULL, NULL);
}

/* the head, read through TLS: bytes are taken as they come and handed to libsoup
 * again in front of the rest (RcTlsInputStream) */
static gboolean
rc_http_connection_tls_head_cb(GObject *stream, gpointer user_data)
{
	RcHttpConnection *self = RC_HTTP_CONNECTION(user_data);
	g_autoptr(GError) head_error = NULL;
	g_autofree gchar *path = NULL;
	g_autoptr(GBytes) prefix = NULL;
	RcHttpHeadResult result;
	guint status = 0;

	while (self->head_buf->len < self->head_max) {
		g_autoptr(GError) error = NULL;
		guint len = self->head_buf->len;
		gsize want = MIN(self->head_max - len, 16384);
		gssize n;

		g_byte_array_set_size(self->head_buf, len + (guint)want);
		n = g_pollable_input_stream_read_nonblocking(G_POLLABLE_INPUT_STREAM(stream),
							     self->head_buf->data + len,
							     want,
							     NULL,
							     &error);
		g_byte_array_set_size(self->head_buf, len + (guint)MAX(n, 0));
		if (n < 0 && g_error_matches(error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK))
			break;
		if (n <= 0) {
			g_debug("TLS connection gone before its request head: %s",
				error != NULL ? error->message : "end of stream");
			g_clear_pointer(&self->head_source, g_source_unref);
			rc_http_connection_close_now(self);
			return G_SOURCE_REMOVE;
		}
	}
	if (self->head_buf->len == 0)
		return G_SOURCE_CONTINUE;
	result = rc_http_check_head((const gchar *)self->head_buf->data,
				    self->head_buf->len,
				    self->head_max,
				    &path,
				    &status,
				    &head_error);
	if (result == RC_HTTP_HEAD_INCOMPLETE)
		return G_SOURCE_CONTINUE;
	g_clear_pointer(&self->head_source, g_source_unref);
	prefix = g_byte_array_free_to_bytes(g_steal_pointer(&self->head_buf));
	self->served = rc_tls_stream_new(self->connection, self->tls, prefix);
	self->head_func(self, result, path, status, head_error, self->head_data);
	return G_SOURCE_REMOVE;
}

static void
rc_http_connection_handshake_cb(GObject *source, GAsyncResult *res, gpointer user_data)
{
	g_autoptr(RcHttpConnection) self = RC_HTTP_CONNECTION(user_data);
	g_autoptr(GError) error = NULL;
	GInputStream *input;

	g_clear_object(&self->handshake_cancel);
	if (!g_tls_connection_handshake_finish(G_TLS_CONNECTION(source), res, &error)) {
		/* a client that does not trust the certificate ends up here too */
		g_debug("TLS handshake failed: %s", error->message);
		rc_http_connection_close_now(self);
		return;
	}
	/* aborted meanwhile: its socket was left to this callback */
	if (self->done) {
		g_io_stream_close(G_IO_STREAM(self->connection), NULL, NULL);
		return;
	}
	self->head_buf = g_byte_array_new();
	input = g_io_stream_get_input_stream(G_IO_STREAM(self->tls));
	self->head_source =
	    g_pollable_input_stream_create_source(G_POLLABLE_INPUT_STREAM(input), NULL);
	g_source_set_callback(
	    self->head_source, G_SOURCE_FUNC(rc_http_connection_tls_head_cb), self, NULL);
	g_source_attach(self->head_source, NULL);
}

static void
rc_http_connection_start_handshake(RcHttpConnection *self)
{
	g_autoptr(GError) error = NULL;
	GIOStream *tls =
	    g_tls_server_connection_new(G_IO_STREAM(self->connection), self->certificate, &error);
	if (tls == NULL) {
		g_warning("cannot serve TLS: %s", error->message);
		rc_http_connection_close_now(self);
		return;
	}
	self->tls = G_TLS_CONNECTION(tls);
	/* the requests are framed: a client that just closes has lost nothing */
	g_tls_connection_set_require_close_notify(self->tls, FALSE);
	self->handshake_cancel = g_cancellable_new();
	g_tls_connection_handshake_async(self->tls,
					 G_PRIORITY_DEFAULT,
					 self->handshake_cancel,
					 rc_http_connection_handshake_cb,
					 g_object_ref(self));
}

static gboolean
rc_http_connection_hello_retry_cb(gpointer user_data)
{
	RcHttpConnection *self = RC_HTTP_CONNECTION(user_data);
	g_clear_pointer(&self->head_source, g_source_unref);
	rc_http_connection_watch_hello(self);
	return G_SOURCE_REMOVE;
}

/* GIO runs a handshake in a worker thread, which blocks while it waits for the
 * client: the first record (the ClientHello) is awaited here on the main loop, so
 * that clients that connect and send nothing, or too little, hold no thread at all.
 * What is no TLS at all, plain HTTP above all, gets a plain answer. */
static gboolean
rc_http_connection_hello_cb(GSocket *socket, GIOCondition condition, gpointer user_data)
{
	RcHttpConnection *self = RC_HTTP_CONNECTION(user_data);
	static guint8 buf[RC_HTTP_TLS_RECORD_MAX];
	GInputVector vec = {buf, sizeof(buf)};
	gint flags = G_SOCKET_MSG_PEEK;
	g_autoptr(GError) error = NULL;
	gsize record;
	gssize n;

	n = g_socket_receive_message(socket, NULL, &vec, 1, NULL, NULL, &flags, NULL, &error);
	if (n < 0 && g_error_matches(error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK))
		return G_SOURCE_CONTINUE;
	g_clear_pointer(&self->head_source, g_source_unref);
	if (n <= 0) {
		rc_http_connection_close_now(self);
		return G_SOURCE_REMOVE;
	}
	/* 22: a handshake record */
	if (buf[0] != 22) {
		g_debug("refusing a connection that does not speak TLS");
		rc_http_connection_refuse_unread(
		    self,
		    SOUP_STATUS_BAD_REQUEST,
		    "text/plain; charset=utf-8",
		    _("this port speaks TLS only: use https:// or wss://\n"));
		return G_SOURCE_REMOVE;
	}
	record = n >= 5 ? 5 + ((gsize)buf[3] << 8 | buf[4]) : G_MAXSIZE;
	if ((gsize)n < MIN(record, sizeof(buf))) {
		self->head_source = g_timeout_source_new(RC_HTTP_HEAD_RETRY_MS);
		g_source_set_callback(
		    self->head_source, rc_http_connection_hello_retry_cb, self, NULL);
		g_source_attach(self->head_source, NULL);
		return G_SOURCE_REMOVE;
	}
	rc_http_connection_start_handshake(self);
	return G_SOURCE_REMOVE;
}

static void
rc_http_connection_watch_hello(RcHttpConnection *self)
{
	self->head_source =
	    g_socket_create_source(self->socket, G_IO_IN | G_IO_HUP | G_IO_ERR, NULL);
	g_source_set_callback(
	    self->head_source, G_SOURCE_FUNC(rc_http_connection_hello_cb), self, NULL);
	g_source_attach(self->head_source, NULL);
}

static void
rc_http_connection_watch_head(RcHttpConnection *self)
{
	self->head_source = g_socket_create_source(self->socket, G_IO_IN | G_IO_HUP | G_IO_ERR, NULL);
	g_source_set_callback(self->head_source,
			      G_SOURCE_FUNC(rc_http_connection_head_cb),
			      self,
			      NULL);
	g_source_attach(self->head_source, NULL);
}

void
rc_http_connection_abort(RcHttpConnection *self)
{
	if (self->handshake_cancel != NULL) {
		/* the handshake's thread still uses the socket: its callback closes it */
		self->done = TRUE;
		g_debug("closing a TLS connection whose handshake did not end in time");
		g_cancellable_cancel(self->handshake_cancel);
		return;
	}
	if (self->head_source != NULL) {
		rc_http_connection_stop_head(self);
		self->done = TRUE;
		g_debug("closing an HTTP connection that sent no complete request head in time");
		g_io_stream_close(G_IO_STREAM(self->connection), NULL, NULL);
		return;
	}
	if (!rc_http_connection_steal(self)) {
		self->done = TRUE;
		return;
	}
	g_debug("closing an HTTP connection that sent no complete request in time");
	g_io_stream_close(self->stolen, NULL, NULL);
	g_clear_object(&self->stolen);
}

static void
rc_http_connection_dispose(GObject *object)
{
	RcHttpConnection *self = RC_HTTP_CONNECTION(object);
	rc_http_connection_stop_head(self);
	rc_http_connection_finish_discard(self);
	g_clear_object(&self->msg);
	if (self->handshake_cancel != NULL)
		g_cancellable_cancel(self->handshake_cancel);
	g_clear_object(&self->handshake_cancel);
	G_OBJECT_CLASS(rc_http_connection_parent_class)->dispose(object);
}

static void
rc_http_connection_finalize(GObject *object)
{
	RcHttpConnection *self = RC_HTTP_CONNECTION(object);
	if (self->remote != NULL)
		g_object_remove_weak_pointer(G_OBJECT(self->remote), (gpointer *)&self->remote);
	if (self->head_buf != NULL)
		g_byte_array_unref(self->head_buf);
	g_clear_object(&self->served);
	g_clear_object(&self->tls);
	g_clear_object(&self->certificate);
	g_free(self->allow);
	g_object_unref(self->socket);
	g_object_unref(self->connection);
	G_OBJECT_CLASS(rc_http_connection_parent_class)->finalize(object);
}

static void
rc_http_connection_class_init(RcHttpConnectionClass *klass)
{
	GObjectClass *object_class = G_OBJECT_CLASS(klass);
	object_class->dispose = rc_http_connection_dispose;
	object_class->finalize = rc_http_connection_finalize;
}

static void
rc_http_connection_init(RcHttpConnection *self)
{
}
