/*
 * Copyright 2026 roomcast developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#define G_LOG_DOMAIN "RcClientInputStream"

#include "config.h"

#include "transport/rc-client-input-stream.h"

struct _RcClientInputStream {
	GInputStream parent_instance;
	GPollableInputStream *base;
	gint fd;
	RcClientPoller *poller;
};

static void rc_client_input_stream_pollable_init(GPollableInputStreamInterface *iface);

G_DEFINE_TYPE_WITH_CODE(RcClientInputStream,
			rc_client_input_stream,
			G_TYPE_INPUT_STREAM,
			G_IMPLEMENT_INTERFACE(G_TYPE_POLLABLE_INPUT_STREAM,
					      rc_client_input_stream_pollable_init))

GInputStream *
rc_client_input_stream_new(GInputStream *base, gint fd, RcClientPoller *poller)
{
	RcClientInputStream *self = g_object_new(RC_TYPE_CLIENT_INPUT_STREAM, NULL);
	g_return_val_if_fail(G_IS_POLLABLE_INPUT_STREAM(base), NULL);
	self->base = G_POLLABLE_INPUT_STREAM(g_object_ref(base));
	self->fd = fd;
	self->poller = poller;
	return G_INPUT_STREAM(self);
}

static gssize
rc_client_input_stream_read(GInputStream *stream,
			    void *buffer,
			    gsize count,
			    GCancellable *cancellable,
			    GError **error)
{
	RcClientInputStream *self = RC_CLIENT_INPUT_STREAM(stream);
	return g_input_stream_read(G_INPUT_STREAM(self->base), buffer, count, cancellable, error);
}

/* the owning RcClientIOStream closes the socket */
static gboolean
rc_client_input_stream_close(GInputStream *stream, GCancellable *cancellable, GError **error)
{
	return TRUE;
}

static gboolean
rc_client_input_stream_can_poll(GPollableInputStream *stream)
{
	return TRUE;
}

static gboolean
rc_client_input_stream_is_readable(GPollableInputStream *stream)
{
	RcClientInputStream *self = RC_CLIENT_INPUT_STREAM(stream);
	return g_pollable_input_stream_is_readable(self->base);
}

static GSource *
rc_client_input_stream_create_source(GPollableInputStream *stream, GCancellable *cancellable)
{
	RcClientInputStream *self = RC_CLIENT_INPUT_STREAM(stream);
	if (cancellable != NULL)
		return g_pollable_input_stream_create_source(self->base, cancellable);
	return rc_client_poller_create_source(self->poller, G_OBJECT(self), self->fd, G_IO_IN);
}

static gssize
rc_client_input_stream_read_nonblocking(GPollableInputStream *stream,
					void *buffer,
					gsize count,
					GError **error)
{
	RcClientInputStream *self = RC_CLIENT_INPUT_STREAM(stream);
	return g_pollable_input_stream_read_nonblocking(self->base, buffer, count, NULL, error);
}

static void
rc_client_input_stream_pollable_init(GPollableInputStreamInterface *iface)
{
	iface->can_poll = rc_client_input_stream_can_poll;
	iface->is_readable = rc_client_input_stream_is_readable;
	iface->create_source = rc_client_input_stream_create_source;
	iface->read_nonblocking = rc_client_input_stream_read_nonblocking;
}

static void
rc_client_input_stream_finalize(GObject *object)
{
	RcClientInputStream *self = RC_CLIENT_INPUT_STREAM(object);
	g_object_unref(self->base);
	G_OBJECT_CLASS(rc_client_input_stream_parent_class)->finalize(object);
}

static void
rc_client_input_stream_class_init(RcClientInputStreamClass *klass)
{
	GInputStreamClass *stream_class = G_INPUT_STREAM_CLASS(klass);
	G_OBJECT_CLASS(klass)->finalize = rc_client_input_stream_finalize;
	stream_class->read_fn = rc_client_input_stream_read;
	stream_class->close_fn = rc_client_input_stream_close;
}

static void
rc_client_input_stream_init(RcClientInputStream *self)
{
}
