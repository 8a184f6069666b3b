/*
 * Copyright 2026 roomcast developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#define G_LOG_DOMAIN "RcTlsInputStream"

#include "config.h"

#include <string.h>

#include "transport/rc-tls-input-stream.h"

struct _RcTlsInputStream {
	GInputStream parent_instance;
	GPollableInputStream *base;
	GBytes *prefix;
	gsize offset;
};

static void rc_tls_input_stream_pollable_init(GPollableInputStreamInterface *iface);

G_DEFINE_TYPE_WITH_CODE(RcTlsInputStream,
			rc_tls_input_stream,
			G_TYPE_INPUT_STREAM,
			G_IMPLEMENT_INTERFACE(G_TYPE_POLLABLE_INPUT_STREAM,
					      rc_tls_input_stream_pollable_init))

GInputStream *
rc_tls_input_stream_new(GInputStream *base, GBytes *prefix)
{
	RcTlsInputStream *self = g_object_new(RC_TYPE_TLS_INPUT_STREAM, NULL);
	g_return_val_if_fail(G_IS_POLLABLE_INPUT_STREAM(base), NULL);
	self->base = G_POLLABLE_INPUT_STREAM(g_object_ref(base));
	if (prefix != NULL && g_bytes_get_size(prefix) > 0)
		self->prefix = g_bytes_ref(prefix);
	return G_INPUT_STREAM(self);
}

/* what is left of the prefix, copied into @buffer */
static gssize
rc_tls_input_stream_take_prefix(RcTlsInputStream *self, void *buffer, gsize count)
{
	gsize size = 0;
	const guint8 *data = g_bytes_get_data(self->prefix, &size);
	gsize n = MIN(count, size - self->offset);

	memcpy(buffer, data + self->offset, n);
	self->offset += n;
	if (self->offset >= size)
		g_clear_pointer(&self->prefix, g_bytes_unref);
	return (gssize)n;
}

static gssize
rc_tls_input_stream_read_nonblocking(GPollableInputStream *stream,
				     void *buffer,
				     gsize count,
				     GError **error)
{
	RcTlsInputStream *self = RC_TLS_INPUT_STREAM(stream);
	if (self->prefix != NULL && count > 0)
		return rc_tls_input_stream_take_prefix(self, buffer, count);
	return g_pollable_input_stream_read_nonblocking(self->base, buffer, count, NULL, error);
}

static gssize
rc_tls_input_stream_read(
    GInputStream *stream, void *buffer, gsize count, GCancellable *cancellable, GError **error)
{
	RcTlsInputStream *self = RC_TLS_INPUT_STREAM(stream);
	if (self->prefix != NULL && count > 0)
		return rc_tls_input_stream_take_prefix(self, buffer, count);
	return g_input_stream_read(G_INPUT_STREAM(self->base), buffer, count, cancellable, error);
}

/* the owning RcTlsStream closes the connection */
static gboolean
rc_tls_input_stream_close(GInputStream *stream, GCancellable *cancellable, GError **error)
{
	return TRUE;
}

static gboolean
rc_tls_input_stream_can_poll(GPollableInputStream *stream)
{
	return TRUE;
}

static gboolean
rc_tls_input_stream_is_readable(GPollableInputStream *stream)
{
	RcTlsInputStream *self = RC_TLS_INPUT_STREAM(stream);
	return self->prefix != NULL || g_pollable_input_stream_is_readable(self->base);
}

static GSource *
rc_tls_input_stream_create_source(GPollableInputStream *stream, GCancellable *cancellable)
{
	RcTlsInputStream *self = RC_TLS_INPUT_STREAM(stream);
	g_autoptr(GSource) child = NULL;
	GSource *source;

	if (self->prefix != NULL) {
		/* bytes at hand: ready at once */
		source = g_pollable_source_new_full(self, NULL, cancellable);
		g_source_set_ready_time(source, 0);
		return source;
	}
	child = g_pollable_input_stream_create_source(self->base, NULL);
	return g_pollable_source_new_full(self, child, cancellable);
}

static void
rc_tls_input_stream_pollable_init(GPollableInputStreamInterface *iface)
{
	iface->can_poll = rc_tls_input_stream_can_poll;
	iface->is_readable = rc_tls_input_stream_is_readable;
	iface->create_source = rc_tls_input_stream_create_source;
	iface->read_nonblocking = rc_tls_input_stream_read_nonblocking;
}

static void
rc_tls_input_stream_finalize(GObject *object)
{
	RcTlsInputStream *self = RC_TLS_INPUT_STREAM(object);
	g_clear_pointer(&self->prefix, g_bytes_unref);
	g_object_unref(self->base);
	G_OBJECT_CLASS(rc_tls_input_stream_parent_class)->finalize(object);
}

static void
rc_tls_input_stream_class_init(RcTlsInputStreamClass *klass)
{
	GInputStreamClass *stream_class = G_INPUT_STREAM_CLASS(klass);
	G_OBJECT_CLASS(klass)->finalize = rc_tls_input_stream_finalize;
	stream_class->read_fn = rc_tls_input_stream_read;
	stream_class->close_fn = rc_tls_input_stream_close;
}

static void
rc_tls_input_stream_init(RcTlsInputStream *self)
{
}
