/*
 * Copyright 2026 roomcast developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#define G_LOG_DOMAIN "RcClientIOStream"

#include "config.h"

#include "transport/rc-client-input-stream.h"
#include "transport/rc-client-io-stream.h"

struct _RcClientIOStream {
	GIOStream parent_instance;
	GIOStream *base;
	GInputStream *input;
	GOutputStream *output;
};

G_DEFINE_TYPE(RcClientIOStream, rc_client_io_stream, G_TYPE_IO_STREAM)

GIOStream *
rc_client_io_stream_new(GIOStream *base, gint fd)
{
	RcClientIOStream *self = g_object_new(RC_TYPE_CLIENT_IO_STREAM, NULL);
	RcClientPoller *poller = rc_client_poller_get_default();
	self->base = g_object_ref(base);
	self->input = rc_client_input_stream_new(g_io_stream_get_input_stream(base), fd, poller);
	self->output = rc_queue_output_stream_new(g_io_stream_get_output_stream(base), fd, poller);
	return G_IO_STREAM(self);
}

RcQueueOutputStream *
rc_client_io_stream_get_queue(RcClientIOStream *self)
{
	return RC_QUEUE_OUTPUT_STREAM(self->output);
}

static GInputStream *
rc_client_io_stream_get_input_stream(GIOStream *stream)
{
	return RC_CLIENT_IO_STREAM(stream)->input;
}

static GOutputStream *
rc_client_io_stream_get_output_stream(GIOStream *stream)
{
	return RC_CLIENT_IO_STREAM(stream)->output;
}

static gboolean
rc_client_io_stream_close(GIOStream *stream, GCancellable *cancellable, GError **error)
{
	RcClientIOStream *self = RC_CLIENT_IO_STREAM(stream);
	g_output_stream_close(self->output, NULL, NULL);
	return g_io_stream_close(self->base, cancellable, error);
}

static void
rc_client_io_stream_close_cb(GObject *source, GAsyncResult *res, gpointer user_data)
{
	g_autoptr(GTask) task = user_data;
	g_autoptr(GError) error = NULL;
	/* g_io_stream_close_async() wrapped our task in one of its own, created in
	 * the parking context libsoup closed from: have that one delivered too */
	rc_client_poller_run_parked_soon(rc_client_poller_get_default());
	if (!g_io_stream_close_finish(G_IO_STREAM(source), res, &error)) {
		g_task_return_error(task, g_steal_pointer(&error));
		return;
	}
	g_task_return_boolean(task, TRUE);
}

/* GIOStream's default would close in a worker thread; the socket closes without one */
static void
rc_client_io_stream_close_async(GIOStream *stream,
				int io_priority,
				GCancellable *cancellable,
				GAsyncReadyCallback callback,
				gpointer user_data)
{
	RcClientIOStream *self = RC_CLIENT_IO_STREAM(stream);
	GTask *task;
	/* libsoup closes from its input callback, in the parking context: the
	 * completion must come back on the main loop */
	rc_client_poller_leave();
	task = g_task_new(stream, cancellable, callback, user_data);
	g_output_stream_close(self->output, NULL, NULL);
	g_io_stream_close_async(self->base, io_priority, cancellable, rc_client_io_stream_close_cb, task);
	rc_client_poller_return();
}

static gboolean
rc_client_io_stream_close_finish(GIOStream *stream, GAsyncResult *res, GError **error)
{
	return g_task_propagate_boolean(G_TASK(res), error);
}

static void
rc_client_io_stream_finalize(GObject *object)
{
	RcClientIOStream *self = RC_CLIENT_IO_STREAM(object);
	g_object_unref(self->input);
	g_object_unref(self->output);
	g_object_unref(self->base);
	G_OBJECT_CLASS(rc_client_io_stream_parent_class)->finalize(object);
}

static void
rc_client_io_stream_class_init(RcClientIOStreamClass *klass)
{
	GIOStreamClass *io_class = G_IO_STREAM_CLASS(klass);
	G_OBJECT_CLASS(klass)->finalize = rc_client_io_stream_finalize;
	io_class->get_input_stream = rc_client_io_stream_get_input_stream;
	io_class->get_output_stream = rc_client_io_stream_get_output_stream;
	io_class->close_fn = rc_client_io_stream_close;
	io_class->close_async = rc_client_io_stream_close_async;
	io_class->close_finish = rc_client_io_stream_close_finish;
}

static void
rc_client_io_stream_init(RcClientIOStream *self)
{
}
