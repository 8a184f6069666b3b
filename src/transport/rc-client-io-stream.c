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
rc_client_io_stream_new(GIOStream *base, gint fd, gboolean tls)
{
	RcClientIOStream *self = g_object_new(RC_TYPE_CLIENT_IO_STREAM, NULL);
	RcClientPoller *poller = rc_client_poller_get_default();
	self->base = g_object_ref(base);
	self->input = rc_client_input_stream_new(g_io_stream_get_input_stream(base), fd, poller);
	/* TLS holds decrypted bytes that the socket no longer shows */
	rc_client_input_stream_set_buffered(RC_CLIENT_INPUT_STREAM(self->input), tls);
	/* without TLS the stream libsoup hands over writes straight to the socket */
	self->output = rc_queue_output_stream_new(g_io_stream_get_output_stream(base),
						  fd,
						  !tls,
						  poller);
	return G_IO_STREAM(self);
}

RcClientInputStream *
rc_client_io_stream_get_input(RcClientIOStream *self)
{
	return RC_CLIENT_INPUT_STREAM(self->input);
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

/* how long a closed connection may keep its socket to write what is still queued
 * (the close frame, above all), should the peer start reading again */
#define RC_CLIENT_IO_STREAM_LINGER_S 5

typedef struct {
	RcClientIOStream *self;
	gint io_priority;
	gulong drained_id;
	guint timeout_id;
} RcLinger;

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

static void
rc_client_io_stream_close_now(GTask *task)
{
	RcClientIOStream *self = g_task_get_source_object(task);
	RcLinger *linger = g_task_get_task_data(task);

	g_clear_signal_handler(&linger->drained_id, self->output);
	g_clear_handle_id(&linger->timeout_id, g_source_remove);
	g_output_stream_close(self->output, NULL, NULL);
	g_io_stream_close_async(self->base,
				linger->io_priority,
				g_task_get_cancellable(task),
				rc_client_io_stream_close_cb,
				task);
}

static void
rc_client_io_stream_drained_cb(RcQueueOutputStream *queue, gpointer user_data)
{
	rc_client_io_stream_close_now(G_TASK(user_data));
}

static gboolean
rc_client_io_stream_linger_cb(gpointer user_data)
{
	GTask *task = G_TASK(user_data);
	RcLinger *linger = g_task_get_task_data(task);
	linger->timeout_id = 0;
	g_debug("closing with %zu bytes still queued",
		rc_queue_output_stream_get_queued(RC_QUEUE_OUTPUT_STREAM(linger->self->output)));
	rc_client_io_stream_close_now(task);
	return G_SOURCE_REMOVE;
}

/* GIOStream's default would close in a worker thread; the socket closes without one.
 * What is still queued gets a few seconds to go out first: libsoup closes the
 * stream right after queueing its last frame, and a slow reader must still be able
 * to read the close frame that tells it why. */
static void
rc_client_io_stream_close_async(GIOStream *stream,
				int io_priority,
				GCancellable *cancellable,
				GAsyncReadyCallback callback,
				gpointer user_data)
{
	RcClientIOStream *self = RC_CLIENT_IO_STREAM(stream);
	RcQueueOutputStream *queue = RC_QUEUE_OUTPUT_STREAM(self->output);
	RcLinger *linger = g_new0(RcLinger, 1);
	GTask *task;

	/* libsoup closes from its input callback, in the parking context: the
	 * completion must come back on the main loop */
	rc_client_poller_leave();
	task = g_task_new(stream, cancellable, callback, user_data);
	linger->self = self;
	linger->io_priority = io_priority;
	g_task_set_task_data(task, linger, g_free);
	if (rc_queue_output_stream_get_queued(queue) == 0 ||
	    rc_queue_output_stream_has_failed(queue)) {
		rc_client_io_stream_close_now(task);
	} else {
		linger->drained_id = g_signal_connect(queue,
						      "drained",
						      G_CALLBACK(rc_client_io_stream_drained_cb),
						      task);
		linger->timeout_id = g_timeout_add_seconds(RC_CLIENT_IO_STREAM_LINGER_S,
							   rc_client_io_stream_linger_cb,
							   task);
	}
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
