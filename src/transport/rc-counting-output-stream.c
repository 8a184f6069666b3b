/*
 * Copyright 2026 roomcast developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#define G_LOG_DOMAIN "RcCountingOutputStream"

#include "config.h"

#include "transport/rc-counting-output-stream.h"

struct _RcCountingOutputStream {
	GOutputStream parent_instance;
	GOutputStream *base;
	guint64 written;
};

static void rc_counting_output_stream_pollable_init(GPollableOutputStreamInterface *iface);

G_DEFINE_TYPE_WITH_CODE(RcCountingOutputStream,
			rc_counting_output_stream,
			G_TYPE_OUTPUT_STREAM,
			G_IMPLEMENT_INTERFACE(G_TYPE_POLLABLE_OUTPUT_STREAM,
					      rc_counting_output_stream_pollable_init))

GOutputStream *
rc_counting_output_stream_new(GOutputStream *base)
{
	RcCountingOutputStream *self = g_object_new(RC_TYPE_COUNTING_OUTPUT_STREAM, NULL);
	self->base = g_object_ref(base);
	return G_OUTPUT_STREAM(self);
}

guint64
rc_counting_output_stream_get_written(RcCountingOutputStream *self)
{
	return self->written;
}

static gssize
rc_counting_output_stream_write(GOutputStream *stream,
				const void *buffer,
				gsize count,
				GCancellable *cancellable,
				GError **error)
{
	RcCountingOutputStream *self = RC_COUNTING_OUTPUT_STREAM(stream);
	gssize n = g_output_stream_write(self->base, buffer, count, cancellable, error);
	if (n > 0)
		self->written += (guint64)n;
	return n;
}

static gboolean
rc_counting_output_stream_flush(GOutputStream *stream, GCancellable *cancellable, GError **error)
{
	RcCountingOutputStream *self = RC_COUNTING_OUTPUT_STREAM(stream);
	return g_output_stream_flush(self->base, cancellable, error);
}

/* the owning RcCountingIOStream closes the base stream */
static gboolean
rc_counting_output_stream_close(GOutputStream *stream, GCancellable *cancellable, GError **error)
{
	return TRUE;
}

static gboolean
rc_counting_output_stream_can_poll(GPollableOutputStream *stream)
{
	return TRUE;
}

static gboolean
rc_counting_output_stream_is_writable(GPollableOutputStream *stream)
{
	RcCountingOutputStream *self = RC_COUNTING_OUTPUT_STREAM(stream);
	return g_pollable_output_stream_is_writable(G_POLLABLE_OUTPUT_STREAM(self->base));
}

static GSource *
rc_counting_output_stream_create_source(GPollableOutputStream *stream, GCancellable *cancellable)
{
	RcCountingOutputStream *self = RC_COUNTING_OUTPUT_STREAM(stream);
	return g_pollable_output_stream_create_source(G_POLLABLE_OUTPUT_STREAM(self->base),
						      cancellable);
}

static gssize
rc_counting_output_stream_write_nonblocking(GPollableOutputStream *stream,
					    const void *buffer,
					    gsize count,
					    GError **error)
{
	RcCountingOutputStream *self = RC_COUNTING_OUTPUT_STREAM(stream);
	gssize n = g_pollable_output_stream_write_nonblocking(G_POLLABLE_OUTPUT_STREAM(self->base),
							      buffer,
							      count,
							      NULL,
							      error);
	if (n > 0)
		self->written += (guint64)n;
	return n;
}

static void
rc_counting_output_stream_pollable_init(GPollableOutputStreamInterface *iface)
{
	iface->can_poll = rc_counting_output_stream_can_poll;
	iface->is_writable = rc_counting_output_stream_is_writable;
	iface->create_source = rc_counting_output_stream_create_source;
	iface->write_nonblocking = rc_counting_output_stream_write_nonblocking;
}

static void
rc_counting_output_stream_finalize(GObject *object)
{
	RcCountingOutputStream *self = RC_COUNTING_OUTPUT_STREAM(object);
	g_object_unref(self->base);
	G_OBJECT_CLASS(rc_counting_output_stream_parent_class)->finalize(object);
}

static void
rc_counting_output_stream_class_init(RcCountingOutputStreamClass *klass)
{
	GOutputStreamClass *stream_class = G_OUTPUT_STREAM_CLASS(klass);
	G_OBJECT_CLASS(klass)->finalize = rc_counting_output_stream_finalize;
	stream_class->write_fn = rc_counting_output_stream_write;
	stream_class->flush = rc_counting_output_stream_flush;
	stream_class->close_fn = rc_counting_output_stream_close;
}

static void
rc_counting_output_stream_init(RcCountingOutputStream *self)
{
}
