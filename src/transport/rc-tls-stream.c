/*
 * Copyright 2026 roomcast developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#define G_LOG_DOMAIN "RcTlsStream"

#include "config.h"

#include "transport/rc-tls-input-stream.h"
#include "transport/rc-tls-stream.h"

struct _RcTlsStream {
	GIOStream parent_instance;
	GSocketConnection *connection;
	GTlsConnection *tls;
	GInputStream *input;
};

G_DEFINE_TYPE(RcTlsStream, rc_tls_stream, G_TYPE_IO_STREAM)

GIOStream *
rc_tls_stream_new(GSocketConnection *connection, GTlsConnection *tls, GBytes *prefix)
{
	RcTlsStream *self = g_object_new(RC_TYPE_TLS_STREAM, NULL);
	self->connection = g_object_ref(connection);
	self->tls = g_object_ref(tls);
	self->input =
	    rc_tls_input_stream_new(g_io_stream_get_input_stream(G_IO_STREAM(tls)), prefix);
	return G_IO_STREAM(self);
}

static GInputStream *
rc_tls_stream_get_input_stream(GIOStream *stream)
{
	return RC_TLS_STREAM(stream)->input;
}

static GOutputStream *
rc_tls_stream_get_output_stream(GIOStream *stream)
{
	return g_io_stream_get_output_stream(G_IO_STREAM(RC_TLS_STREAM(stream)->tls));
}

static gboolean
rc_tls_stream_close(GIOStream *stream, GCancellable *cancellable, GError **error)
{
	RcTlsStream *self = RC_TLS_STREAM(stream);
	return g_io_stream_close(G_IO_STREAM(self->connection), NULL, error);
}

/* GIOStream's default would close in a worker thread: closing a socket never blocks */
static void
rc_tls_stream_close_async(GIOStream *stream,
			  int io_priority,
			  GCancellable *cancellable,
			  GAsyncReadyCallback callback,
			  gpointer user_data)
{
	g_autoptr(GTask) task = g_task_new(stream, cancellable, callback, user_data);
	GError *error = NULL;

	if (!rc_tls_stream_close(stream, cancellable, &error)) {
		g_task_return_error(task, error);
		return;
	}
	g_task_return_boolean(task, TRUE);
}

static gboolean
rc_tls_stream_close_finish(GIOStream *stream, GAsyncResult *res, GError **error)
{
	return g_task_propagate_boolean(G_TASK(res), error);
}

static void
rc_tls_stream_finalize(GObject *object)
{
	RcTlsStream *self = RC_TLS_STREAM(object);
	g_object_unref(self->input);
	g_object_unref(self->tls);
	g_object_unref(self->connection);
	G_OBJECT_CLASS(rc_tls_stream_parent_class)->finalize(object);
}

static void
rc_tls_stream_class_init(RcTlsStreamClass *klass)
{
	GIOStreamClass *io_class = G_IO_STREAM_CLASS(klass);
	G_OBJECT_CLASS(klass)->finalize = rc_tls_stream_finalize;
	io_class->get_input_stream = rc_tls_stream_get_input_stream;
	io_class->get_output_stream = rc_tls_stream_get_output_stream;
	io_class->close_fn = rc_tls_stream_close;
	io_class->close_async = rc_tls_stream_close_async;
	io_class->close_finish = rc_tls_stream_close_finish;
}

static void
rc_tls_stream_init(RcTlsStream *self)
{
}
